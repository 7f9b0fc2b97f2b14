//! The account key: JWK (RFC 7517), its thumbprint (RFC 7638), signatures
//! for JWS (RFC 7518 §3.3 RS256, §3.4 ES256), derived from a seed.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

use crate::b64;

/// HKDF salt of the account-key derivation; a new derivation would get a
/// new salt (and so new accounts), never a silent change of this one.
const SEED_SALT: &[u8] = b"solodns acme account key v1";

/// How many HKDF outputs to try for a P-256 scalar: each fails (is zero or
/// not below the group order) with probability below 2^-32.
const P256_ATTEMPTS: u8 = 16;

/// Smallest RSA modulus we make: what CAs accept for account keys
/// (Let's Encrypt and pebble refuse smaller ones).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus we make: generation time grows with the cube of the
/// size, and nothing asks for more.
pub const MAX_RSA_BITS: usize = 4096;

/// Which kind of account key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// ECDSA P-256 with SHA-256, JWS `ES256` (the default).
    EcdsaP256,
    /// RSA PKCS#1 v1.5 with SHA-256, JWS `RS256`, with a modulus of this
    /// many bits.
    Rsa {
        /// Modulus size in bits, [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`].
        bits: usize,
    },
}

/// Why an account key could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The seed is empty.
    EmptySeed,
    /// The RSA size is outside [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`].
    RsaBits(usize),
    /// No HKDF output was a valid P-256 scalar (practically impossible).
    NoScalar,
    /// The RSA implementation failed to generate or sign.
    Rsa,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::EmptySeed => f.write_str("the account key seed is empty"),
            KeyError::RsaBits(bits) => write!(
                f,
                "an RSA account key of {bits} bits is not supported \
                 ({MIN_RSA_BITS} to {MAX_RSA_BITS})"
            ),
            KeyError::NoScalar => f.write_str("the seed gives no P-256 key"),
            KeyError::Rsa => f.write_str("RSA key generation or signing failed"),
        }
    }
}

/// The public part of an account key as a JWK, in the members RFC 7638 §3.2
/// requires for its thumbprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jwk {
    /// `kty` `EC`, `crv` `P-256`: the coordinates, base64url.
    EcP256 {
        /// x coordinate, 32 bytes big-endian, base64url.
        x: String,
        /// y coordinate, 32 bytes big-endian, base64url.
        y: String,
    },
    /// `kty` `RSA`: modulus and exponent, big-endian without leading
    /// zeros, base64url.
    Rsa {
        /// Modulus.
        n: String,
        /// Public exponent.
        e: String,
    },
}

impl Jwk {
    /// The JWK with exactly the required members, in lexicographic order
    /// and without whitespace (RFC 7638 §3): what the thumbprint hashes, and
    /// also what we put in the JWS header.
    pub fn canonical_json(&self) -> String {
        // Base64url values need no JSON escaping.
        match self {
            Jwk::EcP256 { x, y } => {
                format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#)
            }
            Jwk::Rsa { n, e } => format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#),
        }
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url: the account part of a
    /// key authorisation (RFC 8555 §8.1).
    pub fn thumbprint(&self) -> String {
        b64::url(&Sha256::digest(self.canonical_json().as_bytes()))
    }
}

/// The RSA key of [`AccountKey::from_seed`], any size (the tests use
/// small ones: a 2048-bit key takes minutes in an unoptimised build).
fn rsa_from_hkdf(hkdf: &Hkdf<Sha256>, bits: usize) -> Result<AccountKey, KeyError> {
    let mut rng_seed = [0u8; 32];
    hkdf.expand(b"rsa", &mut rng_seed)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let mut rng = ChaCha20Rng::from_seed(rng_seed);
    let key = rsa::RsaPrivateKey::new(&mut rng, bits).map_err(|_| KeyError::Rsa)?;
    Ok(AccountKey::Rsa(key))
}

/// An ACME account key. Signing is deterministic (RFC 6979 for ECDSA,
/// PKCS#1 v1.5 for RSA), so it needs no random numbers after creation.
#[derive(Clone)]
pub enum AccountKey {
    /// ES256.
    EcdsaP256(p256::ecdsa::SigningKey),
    /// RS256.
    Rsa(rsa::RsaPrivateKey),
}

impl fmt::Debug for AccountKey {
    // Never print the private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountKey({}, {})", self.alg(), self.jwk().thumbprint())
    }
}

impl AccountKey {
    /// The key that `seed` gives: the same seed and type always give the
    /// same key, hence the same ACME account.
    ///
    /// Derivation (keep it stable: changing it changes every account):
    /// HKDF-SHA256 (RFC 5869) extracts a key from `seed` with the salt
    /// `solodns acme account key v1`; then
    /// - P-256: expand with info `p256` followed by a counter byte 0, 1, …
    ///   to 32 bytes, and take the first output that is a valid scalar
    ///   (non-zero, below the group order; rejection sampling, so the key
    ///   is uniform);
    /// - RSA: expand with info `rsa` to a 32-byte ChaCha20 seed, and
    ///   generate the key with `rsa` 0.9's `RsaPrivateKey::new` from that
    ///   ChaCha20 RNG (`rand_chacha` 0.3). The result depends on that
    ///   crate's prime search: a different `rsa` version may give another
    ///   key, so Cargo.lock pins it.
    pub fn from_seed(seed: &[u8], key_type: KeyType) -> Result<Self, KeyError> {
        if seed.is_empty() {
            return Err(KeyError::EmptySeed);
        }
        let hkdf = Hkdf::<Sha256>::new(Some(SEED_SALT), seed);
        match key_type {
            KeyType::EcdsaP256 => {
                for counter in 0..P256_ATTEMPTS {
                    let mut scalar = p256::FieldBytes::default();
                    hkdf.expand(&[b'p', b'2', b'5', b'6', counter], &mut scalar)
                        .expect("32 bytes is a valid HKDF-SHA256 output length");
                    if let Ok(secret) = p256::SecretKey::from_bytes(&scalar) {
                        return Ok(AccountKey::EcdsaP256(secret.into()));
                    }
                }
                Err(KeyError::NoScalar)
            }
            KeyType::Rsa { bits } => {
                if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                    return Err(KeyError::RsaBits(bits));
                }
                rsa_from_hkdf(&hkdf, bits)
            }
        }
    }

    /// The JWS `alg` of this key.
    pub fn alg(&self) -> &'static str {
        match self {
            AccountKey::EcdsaP256(_) => "ES256",
            AccountKey::Rsa(_) => "RS256",
        }
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Jwk {
        match self {
            AccountKey::EcdsaP256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    unreachable!("an uncompressed point of a valid key has both coordinates")
                };
                Jwk::EcP256 {
                    x: b64::url(x),
                    y: b64::url(y),
                }
            }
            AccountKey::Rsa(key) => Jwk::Rsa {
                n: b64::url(&key.n().to_bytes_be()),
                e: b64::url(&key.e().to_bytes_be()),
            },
        }
    }

    /// The JWS signature of `message`: ES256 as r || s, 64 bytes (RFC 7518
    /// §3.4, not DER); RS256 as the PKCS#1 v1.5 signature.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            AccountKey::EcdsaP256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                Ok(signature.to_bytes().to_vec())
            }
            AccountKey::Rsa(key) => key
                .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
                .map_err(|_| KeyError::Rsa),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn rfc7638_section_3_1_thumbprint() {
        let jwk = Jwk::Rsa {
            n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into(),
            e: "AQAB".into(),
        };
        assert_eq!(
            jwk.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn same_seed_same_key_other_seed_other_key() {
        let a = AccountKey::from_seed(b"seed one", KeyType::EcdsaP256).unwrap();
        let b = AccountKey::from_seed(b"seed one", KeyType::EcdsaP256).unwrap();
        let c = AccountKey::from_seed(b"seed two", KeyType::EcdsaP256).unwrap();
        assert_eq!(a.jwk(), b.jwk());
        assert_ne!(a.jwk(), c.jwk());
        assert_eq!(
            AccountKey::from_seed(b"", KeyType::EcdsaP256).unwrap_err(),
            KeyError::EmptySeed
        );
        assert_eq!(
            AccountKey::from_seed(b"x", KeyType::Rsa { bits: 1024 }).unwrap_err(),
            KeyError::RsaBits(1024)
        );
    }

    #[test]
    fn es256_signature_verifies_with_p256() {
        let key = AccountKey::from_seed(b"verify me", KeyType::EcdsaP256).unwrap();
        let signature = key.sign(b"header.payload").unwrap();
        assert_eq!(signature.len(), 64);
        let Jwk::EcP256 { x, y } = key.jwk() else {
            panic!("an EC JWK")
        };
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let mut sec1 = alloc::vec![4u8];
        sec1.extend(URL_SAFE_NO_PAD.decode(x).unwrap());
        sec1.extend(URL_SAFE_NO_PAD.decode(y).unwrap());
        let verifier = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
        let signature = p256::ecdsa::Signature::from_slice(&signature).unwrap();
        verifier.verify(b"header.payload", &signature).unwrap();
        assert!(verifier.verify(b"header.payloaD", &signature).is_err());
        // RFC 6979: the same message gives the same signature.
        assert_eq!(key.sign(b"m").unwrap(), key.sign(b"m").unwrap());
    }

    #[test]
    fn rs256_from_seed_is_deterministic_and_verifies() {
        // from_seed's path for a 2048-bit key, at 512 bits for speed.
        let hkdf = |seed: &[u8]| Hkdf::<Sha256>::new(Some(SEED_SALT), seed);
        let key = rsa_from_hkdf(&hkdf(b"rsa seed"), 512).unwrap();
        let again = rsa_from_hkdf(&hkdf(b"rsa seed"), 512).unwrap();
        let other = rsa_from_hkdf(&hkdf(b"rsa seed 2"), 512).unwrap();
        assert_eq!(key.jwk(), again.jwk());
        assert_ne!(key.jwk(), other.jwk());
        assert_eq!(key.alg(), "RS256");
        let AccountKey::Rsa(private) = &key else {
            panic!("an RSA key")
        };
        assert_eq!(private.n().bits(), 512);
        let signature = key.sign(b"header.payload").unwrap();
        private
            .to_public_key()
            .verify(
                rsa::Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(b"header.payload"),
                &signature,
            )
            .unwrap();
    }
}
