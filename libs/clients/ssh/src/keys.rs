//! The client key (an ed25519 seed) and the pinned host-key fingerprint.

use alloc::string::String;
use alloc::vec::Vec;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use core::fmt;
use sha2::{Digest, Sha256};

/// Why a key or fingerprint argument was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Not `ed25519:BASE64` (only ed25519 client keys are supported).
    NotEd25519,
    /// Not `SHA256:BASE64` (only SHA-256 fingerprints are accepted).
    NotSha256,
    /// The base64 part does not decode.
    BadBase64,
    /// The decoded key or digest has the wrong length.
    BadLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::NotEd25519 => f.write_str("expected ed25519:BASE64 (a 32-byte seed)"),
            KeyError::NotSha256 => {
                f.write_str("expected SHA256:BASE64, as `ssh-keygen -l` prints it")
            }
            KeyError::BadBase64 => f.write_str("the base64 part does not decode"),
            KeyError::BadLength { expected, found } => {
                write!(f, "expected {expected} bytes, found {found}")
            }
        }
    }
}

fn decode(text: &str) -> Result<Vec<u8>, KeyError> {
    // ssh-keygen prints fingerprints without padding; accept both forms.
    STANDARD_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| KeyError::BadBase64)
}

fn fixed<const N: usize>(bytes: Vec<u8>) -> Result<[u8; N], KeyError> {
    let found = bytes.len();
    bytes
        .try_into()
        .map_err(|_| KeyError::BadLength { expected: N, found })
}

/// An ed25519 client key, from its 32-byte seed.
#[derive(Clone)]
pub struct ClientKey {
    seed: [u8; 32],
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientKey(ed25519, secret)")
    }
}

impl ClientKey {
    /// From the raw seed.
    pub fn from_seed(seed: [u8; 32]) -> ClientKey {
        ClientKey { seed }
    }

    /// Parses `ed25519:BASE64SEED`.
    pub fn parse(text: &str) -> Result<ClientKey, KeyError> {
        let encoded = text.strip_prefix("ed25519:").ok_or(KeyError::NotEd25519)?;
        Ok(ClientKey {
            seed: fixed(decode(encoded)?)?,
        })
    }

    /// The secret form [`ClientKey::parse`] reads: `ed25519:BASE64SEED`, as
    /// primary-git's `--ssh-key` takes it.
    pub fn to_secret_text(&self) -> String {
        let mut text = String::from("ed25519:");
        text.push_str(&STANDARD.encode(self.seed));
        text
    }

    /// The signing key for sunset.
    pub(crate) fn sign_key(&self) -> sunset::SignKey {
        sunset::SignKey::Ed25519(sunset::ed25519_dalek::SigningKey::from_bytes(&self.seed))
    }

    /// The public key as one `authorized_keys` line: `ssh-ed25519 BASE64 comment`.
    pub fn authorized_keys_line(&self, comment: &str) -> String {
        let public = sunset::ed25519_dalek::SigningKey::from_bytes(&self.seed)
            .verifying_key()
            .to_bytes();
        let mut line = String::from("ssh-ed25519 ");
        line.push_str(&STANDARD.encode(ed25519_blob(&public)));
        if !comment.is_empty() {
            line.push(' ');
            line.push_str(comment);
        }
        line
    }
}

/// The SSH wire encoding of an ed25519 public key (RFC 8709 §4).
pub(crate) fn ed25519_blob(key: &[u8; 32]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(51);
    blob.extend_from_slice(&11u32.to_be_bytes());
    blob.extend_from_slice(b"ssh-ed25519");
    blob.extend_from_slice(&32u32.to_be_bytes());
    blob.extend_from_slice(key);
    blob
}

/// `SHA256:BASE64` of a public key blob, as `ssh-keygen -l` prints it.
pub fn fingerprint_of_blob(blob: &[u8]) -> String {
    let mut text = String::from("SHA256:");
    text.push_str(&STANDARD_NO_PAD.encode(Sha256::digest(blob)));
    text
}

/// The host key the server must present: a pinned SHA-256 fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticator {
    digest: [u8; 32],
}

impl Authenticator {
    /// Parses `SHA256:BASE64`.
    pub fn parse(text: &str) -> Result<Authenticator, KeyError> {
        let encoded = text.strip_prefix("SHA256:").ok_or(KeyError::NotSha256)?;
        Ok(Authenticator {
            digest: fixed(decode(encoded)?)?,
        })
    }

    /// Whether the key blob `blob` is the pinned one.
    pub fn matches(&self, blob: &[u8]) -> bool {
        // Public data: a plain comparison is fine.
        Sha256::digest(blob).as_slice() == self.digest
    }
}

impl fmt::Display for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SHA256:{}", STANDARD_NO_PAD.encode(self.digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    // RFC 8032 §7.1 test 1: secret key (seed) and its public key.
    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn seed_gives_the_rfc8032_public_key() {
        let seed: [u8; 32] = hex(SEED).try_into().expect("32 bytes");
        let encoded = alloc::format!("ed25519:{}", STANDARD.encode(seed));
        let key = ClientKey::parse(&encoded).expect("parses");
        assert_eq!(
            key.to_secret_text(),
            encoded,
            "to_secret_text is parse's inverse"
        );
        let line = key.authorized_keys_line("solodns");
        let public: [u8; 32] = hex(PUBLIC).try_into().expect("32 bytes");
        assert_eq!(
            line,
            alloc::format!(
                "ssh-ed25519 {} solodns",
                STANDARD.encode(ed25519_blob(&public))
            )
        );
    }

    #[test]
    fn fingerprints_round_trip_and_match() {
        let public: [u8; 32] = hex(PUBLIC).try_into().expect("32 bytes");
        let blob = ed25519_blob(&public);
        let printed = fingerprint_of_blob(&blob);
        let pinned = Authenticator::parse(&printed).expect("parses");
        assert!(pinned.matches(&blob));
        assert_eq!(pinned.to_string(), printed);
        assert!(!pinned.matches(&ed25519_blob(&[0; 32])));
    }

    #[test]
    fn malformed_arguments_say_what_was_expected() {
        assert_eq!(
            ClientKey::parse("rsa:AAAA").unwrap_err(),
            KeyError::NotEd25519
        );
        assert_eq!(
            ClientKey::parse("ed25519:!!").unwrap_err(),
            KeyError::BadBase64
        );
        assert_eq!(
            ClientKey::parse("ed25519:AAAA").unwrap_err(),
            KeyError::BadLength {
                expected: 32,
                found: 3
            }
        );
        assert_eq!(
            Authenticator::parse("MD5:aa").unwrap_err(),
            KeyError::NotSha256
        );
        assert!(KeyError::NotSha256.to_string().contains("ssh-keygen -l"));
    }
}
