//! The rustls crypto provider: `rustls-rustcrypto` 0.0.2-alpha (RustCrypto
//! algorithms) with three things of ours on top (why: see the crate docs):
//! randomness from `getrandom`, an X25519 key exchange that refuses an
//! all-zero shared secret, and ChaCha20-Poly1305 preferred to AES-GCM.
//! Also the wall clock rustls asks for certificate validity.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

use rustls::crypto::{
    ActiveKeyExchange, CryptoProvider, GetRandomFailed, SecureRandom, SharedSecret,
    SupportedKxGroup,
};
use rustls::pki_types::UnixTime;
use rustls::time_provider::TimeProvider;
use rustls::{CipherSuite, NamedGroup, PeerMisbehaved};

/// Cipher suites in the order we offer them. ChaCha20-Poly1305 first: the
/// unikernels run the portable (software) AES and GHASH, which are
/// several times slower than ChaCha20 and Poly1305 in software.
const SUITE_ORDER: [CipherSuite; 9] = [
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
];

/// The provider every connection uses.
pub(crate) fn crypto_provider() -> CryptoProvider {
    let base = rustls_rustcrypto::provider();
    let cipher_suites = SUITE_ORDER
        .iter()
        .filter_map(|id| base.cipher_suites.iter().find(|s| s.suite() == *id))
        .copied()
        .collect();
    // Ours for X25519; P-256 and P-384 as they are (their public keys are
    // checked to be points of the curve, so the secret cannot be zero).
    let mut kx_groups: Vec<&'static dyn SupportedKxGroup> = alloc::vec![&CheckedX25519];
    kx_groups.extend(
        base.kx_groups
            .iter()
            .filter(|g| matches!(g.name(), NamedGroup::secp256r1 | NamedGroup::secp384r1)),
    );
    CryptoProvider {
        cipher_suites,
        kx_groups,
        signature_verification_algorithms: base.signature_verification_algorithms,
        secure_random: &GetRandom,
        key_provider: base.key_provider,
    }
}

/// Randomness from `getrandom` 0.2: the OS on the host; in a unikernel the
/// custom backend that libs/platform/solo5 registers (its ChaCha20 DRBG).
#[derive(Debug)]
struct GetRandom;

impl SecureRandom for GetRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        getrandom::getrandom(buf).map_err(|_| GetRandomFailed)
    }
}

/// X25519 (RFC 7748) that refuses a peer key giving the all-zero secret,
/// as RFC 8446 §7.4.2 requires (rustls-rustcrypto does not check).
#[derive(Debug)]
struct CheckedX25519;

impl SupportedKxGroup for CheckedX25519 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        let secret = x25519_dalek::EphemeralSecret::random_from_rng(rand_core::OsRng);
        let public = x25519_dalek::PublicKey::from(&secret);
        Ok(Box::new(X25519Exchange { secret, public }))
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

struct X25519Exchange {
    secret: x25519_dalek::EphemeralSecret,
    public: x25519_dalek::PublicKey,
}

impl ActiveKeyExchange for X25519Exchange {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, rustls::Error> {
        let peer: [u8; 32] = peer
            .try_into()
            .map_err(|_| rustls::Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        if !shared.was_contributory() {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        Ok(SharedSecret::from(&shared.as_bytes()[..]))
    }

    fn pub_key(&self) -> &[u8] {
        self.public.as_bytes()
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

/// The wall clock as the caller last gave it: seconds since 1970, 0 for
/// not set (rustls then refuses every certificate).
#[derive(Debug, Default)]
pub(crate) struct WallClock(AtomicU64);

impl WallClock {
    pub(crate) fn set(&self, unix_seconds: u64) {
        self.0.store(unix_seconds, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl TimeProvider for WallClock {
    fn current_time(&self) -> Option<UnixTime> {
        match self.get() {
            0 => None,
            seconds => Some(UnixTime::since_unix_epoch(Duration::from_secs(seconds))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_in_our_order_all_present() {
        let provider = crypto_provider();
        let ids: Vec<CipherSuite> = provider.cipher_suites.iter().map(|s| s.suite()).collect();
        assert_eq!(ids, SUITE_ORDER);
        let groups: Vec<NamedGroup> = provider.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(
            groups,
            [
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::secp384r1
            ]
        );
    }

    #[test]
    fn x25519_refuses_low_order_points() {
        // The identity and a point of order 8 (RFC 7748 §6.1 and
        // libsodium's blocklist) give the all-zero secret.
        let mut order_eight = [0u8; 32];
        order_eight[..8].copy_from_slice(&[0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae]);
        order_eight[8..16].copy_from_slice(&[0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a]);
        order_eight[16..24].copy_from_slice(&[0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd]);
        order_eight[24..].copy_from_slice(&[0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00]);
        for bad in [[0u8; 32], order_eight] {
            let exchange = CheckedX25519.start().unwrap();
            assert!(exchange.complete(&bad).is_err());
        }
        let exchange = CheckedX25519.start().unwrap();
        assert!(exchange.complete(&[9u8; 31]).is_err());
        // Two honest halves agree.
        let (a, b) = (
            CheckedX25519.start().unwrap(),
            CheckedX25519.start().unwrap(),
        );
        let (a_pub, b_pub) = (a.pub_key().to_vec(), b.pub_key().to_vec());
        let (ab, ba) = (a.complete(&b_pub).unwrap(), b.complete(&a_pub).unwrap());
        assert_eq!(ab.secret_bytes(), ba.secret_bytes());
    }

    #[test]
    fn clock_unset_is_none() {
        let clock = WallClock::default();
        assert_eq!(clock.current_time(), None);
        clock.set(1_800_000_000);
        assert_eq!(
            clock.current_time().map(|t| t.as_secs()),
            Some(1_800_000_000)
        );
    }
}
