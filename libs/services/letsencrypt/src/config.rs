//! The letsencrypt service's configuration ([`Config`]) and the checks of
//! its parts: the update key's name ([`update_key_role`]), the account key
//! type ([`account_key_type`]), the contact address
//! ([`is_email_address`]). The letsencrypt unikernel declares the boot
//! arguments (OCaml-DNS's names) and builds the [`Config`] with these.
//!
//! The key follows OCaml-DNS: a TSIG key whose name has an `_update`
//! label; the zone is what follows it (`letsencrypt._update.example.com`
//! updates `example.com`), and the same key signs the transfers of that
//! zone. Where OCaml-DNS defaults differ, ours: the account key is ECDSA
//! P-256 (JWS ES256) unless RSA is asked for, and an RSA key has 2048 bits
//! unless told otherwise (OCaml-DNS: RSA 4096; generating 4096 bits from
//! the seed takes much longer at every boot).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, SocketAddr};

use acme::{AccountKey, ClientConfig, KeyError, KeyType, MAX_RSA_BITS, MIN_RSA_BITS};
use dns_keys::{KeyRole, Operation};
use dns_zone::Name;

use crate::manager::ManagerConfig;

/// Let's Encrypt's production directory.
pub const LETSENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt's staging directory (for tests).
pub const LETSENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// What the letsencrypt service is configured with (the unikernel reads
/// it from its boot arguments).
#[derive(Clone, Debug)]
pub struct Config {
    /// The update key.
    pub key: tsig::Key,
    /// The zone it updates (the name after its `_update` label).
    pub zone: Name,
    /// The primary's DNS address.
    pub dns_server: SocketAddr,
    /// The ACME directory URL.
    pub directory_url: String,
    /// Whether that is Let's Encrypt's production service.
    pub production: bool,
    /// The account key seed (a secret: never logged).
    pub account_key_seed: Vec<u8>,
    /// The account key type.
    pub account_key_type: KeyType,
    /// The contact e-mail address.
    pub email: Option<String>,
    /// How the ACME server's TLS certificate is checked, as OCaml-DNS
    /// writes it (`key-fp:SHA256:…`, `trust-anchor:…`; the HTTPS client
    /// reads it); `None`: the built-in trust anchors.
    pub tls_authenticator: Option<String>,
    /// The recursive resolver that finds the ACME server's address;
    /// `None`: the primary.
    pub resolver: Option<IpAddr>,
}

impl Config {
    /// Derives the account key from the seed (RSA takes a while).
    pub fn account_key(&self) -> Result<AccountKey, KeyError> {
        AccountKey::from_seed(&self.account_key_seed, self.account_key_type)
    }

    /// The manager's configuration with the account key `key`.
    pub fn manager_config(&self, key: AccountKey) -> ManagerConfig {
        let mut acme = ClientConfig::new(&self.directory_url, key);
        if let Some(email) = &self.email {
            acme = acme.with_email(email);
        }
        ManagerConfig {
            key: self.key.clone(),
            zone: self.zone.clone(),
            acme,
        }
    }
}

/// Why a key cannot be the letsencrypt service's update key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyNameError {
    /// The name has no `_update` label.
    NotAnUpdateKey,
    /// Nothing follows the `_update` label.
    NoZone,
}

impl fmt::Display for KeyNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyNameError::NotAnUpdateKey => "the key name needs an `_update` label followed by the zone (e.g. letsencrypt._update.example.com)",
            KeyNameError::NoZone => "no zone follows the `_update` label",
        })
    }
}

/// The role of the update key `key`: the zone it updates (what follows its
/// `_update` label) and the primary its name may name
/// (`<primary-ip>.<our-ip>._update.<zone>`).
pub fn update_key_role(key: &tsig::Key) -> Result<KeyRole, KeyNameError> {
    let role = KeyRole::of(key.name())
        .filter(|r| r.operation == Operation::Update)
        .ok_or(KeyNameError::NotAnUpdateKey)?;
    if role.zone.is_root() {
        return Err(KeyNameError::NoZone);
    }
    Ok(role)
}

/// Why an account key type was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountKeyTypeError {
    /// Neither `ecdsa` (or `p256`) nor `rsa`.
    UnknownType,
    /// An RSA key size outside [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`].
    RsaBits,
}

impl fmt::Display for AccountKeyTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountKeyTypeError::UnknownType => {
                f.write_str("expected ecdsa (P-256, ES256) or rsa (RS256)")
            }
            AccountKeyTypeError::RsaBits => write!(
                f,
                "an RSA account key has {MIN_RSA_BITS} to {MAX_RSA_BITS} bits"
            ),
        }
    }
}

/// The account key type `kind` names (`ecdsa` or `p256`: ECDSA P-256;
/// `rsa`: RSA of `bits` bits; any case). `bits` is only checked for RSA.
pub fn account_key_type(kind: &str, bits: usize) -> Result<KeyType, AccountKeyTypeError> {
    match kind.to_ascii_lowercase().as_str() {
        "ecdsa" | "p256" => Ok(KeyType::EcdsaP256),
        "rsa" if (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) => Ok(KeyType::Rsa { bits }),
        "rsa" => Err(AccountKeyTypeError::RsaBits),
        _ => Err(AccountKeyTypeError::UnknownType),
    }
}

/// Whether `text` looks like a contact e-mail address: something, `@`, a
/// host name with a dot.
pub fn is_email_address(text: &str) -> bool {
    text.split_once('@')
        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn key(text: &str) -> tsig::Key {
        dns_keys::parse_cli_key(text).expect("a key")
    }

    #[test]
    fn the_update_key_names_the_zone_and_maybe_the_primary() {
        let role = update_key_role(&key("letsencrypt._update.example.com:SHA256:c2VjcmV0"))
            .expect("an update key");
        assert_eq!(role.zone, crate::parse_name("example.com").unwrap());
        assert_eq!(role.primary, None);
        let role = update_key_role(&key(
            "192.0.2.10.192.0.2.20._update.sub.example.com:SHA256:c2VjcmV0",
        ))
        .expect("an update key");
        assert_eq!(role.zone, crate::parse_name("sub.example.com").unwrap());
        assert_eq!(role.primary, Some("192.0.2.10".parse().unwrap()));
        for (text, error) in [
            ("le._transfer.example.com", KeyNameError::NotAnUpdateKey),
            ("le.example.com", KeyNameError::NotAnUpdateKey),
            ("le._update", KeyNameError::NoZone),
        ] {
            let key = key(&alloc::format!("{text}:SHA256:c2VjcmV0"));
            assert_eq!(update_key_role(&key).map(|_| ()), Err(error), "{text}");
        }
    }

    #[test]
    fn account_key_types() {
        assert_eq!(account_key_type("ecdsa", 1), Ok(KeyType::EcdsaP256));
        assert_eq!(account_key_type("P256", 2048), Ok(KeyType::EcdsaP256));
        assert_eq!(
            account_key_type("RSA", 4096),
            Ok(KeyType::Rsa { bits: 4096 })
        );
        assert_eq!(
            account_key_type("rsa", 1024),
            Err(AccountKeyTypeError::RsaBits)
        );
        assert_eq!(
            account_key_type("ed25519", 2048),
            Err(AccountKeyTypeError::UnknownType)
        );
        assert_eq!(
            AccountKeyTypeError::RsaBits.to_string(),
            "an RSA account key has 2048 to 4096 bits"
        );
    }

    #[test]
    fn email_addresses() {
        assert!(is_email_address("hostmaster@example.com"));
        for bad in ["nobody", "@example.com", "a@localhost", ""] {
            assert!(!is_email_address(bad), "{bad}");
        }
    }
}
