//! TSIG keys and who may do what with them, in the layout OCaml-DNS and
//! robur's `dns-primary-git` use (DESIGN.md §1). `no_std` + `alloc`.
//!
//! - [`KeyStore::load_keys_file`] reads `_keys` (keys for any zone) and
//!   `<zone>._keys` (keys at or below `<zone>`) files: zone-file records
//!   `<name> DNSKEY 0 3 <alg> <base64 secret>` with the OCaml-DNS HMAC
//!   numbers 161 (SHA1), 162 (SHA224), 163 (SHA256), 164 (SHA384), 165
//!   (SHA512), parsed by `dns_zone`'s master-file parser.
//! - [`parse_cli_key`] reads the boot-argument / CLI form
//!   `name:alg:base64` (`alg` as `SHA256` or `hmac-sha256`; BIND's
//!   `alg:name:base64` order of `nsupdate -y` is accepted too).
//! - [`KeyStore::authorise`] decides from the key name ([`role`]):
//!   `<x>._update.<zone>` may update, transfer and notify `<zone>` and
//!   zones below it; `<ip1>.<ip2>._transfer.<zone>` may transfer and
//!   notify; `<x>._notify.<zone>` may notify. Anything else is denied.
//! - [`KeyStore::secondaries`] lists the secondaries named by transfer
//!   keys, the servers a primary notifies.
//!
//! `_keys` files are configuration, never zone data: the caller must not
//! serve them.

#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]
// Errors carry names and records (a hickory `Name` is about 80 octets)
// and travel on cold paths; boxing them would only obscure the API.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

extern crate alloc;

pub mod role;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::IpAddr;

use data_encoding::{BASE64, BASE64_NOPAD};
use dns_zone::name::name_to_string;
use dns_zone::{Diagnostic, Name, RecordType, ZoneParser};
use tsig::{Algorithm, Key, KeyLookup};

pub use role::{KeyRole, Operation};

/// The DNSKEY flags field of a TSIG secret in a `_keys` file.
const DNSKEY_FLAGS: u16 = 0;
/// The DNSKEY protocol field (RFC 4034 §2.1.2: always 3).
const DNSKEY_PROTOCOL: u8 = 3;

/// Why a request is not allowed. Servers answer REFUSED
/// ([`Denied::rcode`]), as BIND does for an UPDATE or transfer outside a
/// key's permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denied {
    /// No key of that name in the store.
    UnknownKey(Name),
    /// The key name has no `_update`, `_transfer` or `_notify` label.
    NoRole(Name),
    /// The key is for another zone.
    WrongZone {
        /// The key.
        key: Name,
        /// The zone the key is for.
        key_zone: Name,
        /// The zone asked for.
        zone: Name,
    },
    /// The key's operation does not grant the one asked for.
    WrongOperation {
        /// The key.
        key: Name,
        /// What the key may do.
        granted: Operation,
        /// What was asked.
        wanted: Operation,
    },
}

impl Denied {
    /// The RCODE to answer with: REFUSED.
    pub fn rcode(&self) -> u16 {
        5
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKey(k) => write!(f, "unknown key {}", name_to_string(k)),
            Self::NoRole(k) => write!(
                f,
                "key {} names no operation (_update, _transfer or _notify)",
                name_to_string(k)
            ),
            Self::WrongZone {
                key,
                key_zone,
                zone,
            } => write!(
                f,
                "key {} is for zone {}, not {}",
                name_to_string(key),
                name_to_string(key_zone),
                name_to_string(zone)
            ),
            Self::WrongOperation {
                key,
                granted,
                wanted,
            } => write!(
                f,
                "key {} grants {granted}, not {wanted}",
                name_to_string(key)
            ),
        }
    }
}

/// A `_keys` file that could not be read: every error, and the warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysFileError {
    /// Syntax errors, in file order.
    pub errors: Vec<Diagnostic>,
    /// Warnings found on the way.
    pub warnings: Vec<Diagnostic>,
}

/// Why a `name:alg:secret` key string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CliKeyError {
    /// Not three colon-separated fields.
    Syntax,
    /// The name is not a valid domain name.
    BadName,
    /// The algorithm is not one of SHA1, SHA224, SHA256, SHA384, SHA512.
    UnknownAlgorithm(String),
    /// The secret is not base64, or empty.
    BadSecret,
}

impl fmt::Display for CliKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax => f.write_str("a key should be 'name:algorithm:base64-secret'"),
            Self::BadName => f.write_str("the key name is not a valid domain name"),
            Self::UnknownAlgorithm(a) => write!(
                f,
                "unknown algorithm '{a}': expected SHA1, SHA224, SHA256, SHA384 or SHA512 (or hmac-sha256 …)"
            ),
            Self::BadSecret => f.write_str("the secret should be non-empty base64"),
        }
    }
}

fn decode_secret(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    let v = BASE64
        .decode(s.as_bytes())
        .or_else(|_| BASE64_NOPAD.decode(s.as_bytes()))
        .ok()?;
    (!v.is_empty()).then_some(v)
}

/// A name in presentation format, absolute with or without the final dot
/// (the zone-file syntax: any octet but `.` in a label, `\` escapes).
fn absolute_name(s: &str) -> Option<Name> {
    let mut wire = Vec::new();
    dns_zone::name::parse_name(s.as_bytes(), &Name::root(), &mut wire).ok()
}

/// Parses a key in the CLI / boot-argument form `name:alg:base64`
/// (`admin._update.example.com:SHA256:c2VjcmV0`), or BIND's
/// `alg:name:base64` (`hmac-sha256:admin._update.example.com:c2VjcmV0`).
/// The name is absolute with or without its final dot. The secret is the
/// text after the last colon, the algorithm the field before it, so that
/// IPv6 labels in transfer-key names survive.
pub fn parse_cli_key(s: &str) -> Result<Key, CliKeyError> {
    let (rest, secret) = s.rsplit_once(':').ok_or(CliKeyError::Syntax)?;
    let (left, right) = rest.rsplit_once(':').ok_or(CliKeyError::Syntax)?;
    let (name, alg) = if let Some(a) = Algorithm::parse(right) {
        (left, a)
    } else if let Some(a) = Algorithm::parse(left) {
        // BIND order: the algorithm first.
        (right, a)
    } else {
        return Err(CliKeyError::UnknownAlgorithm(String::from(right)));
    };
    if name.is_empty() {
        return Err(CliKeyError::Syntax);
    }
    let name = absolute_name(name).ok_or(CliKeyError::BadName)?;
    let secret = decode_secret(secret).ok_or(CliKeyError::BadSecret)?;
    Ok(Key::new(name, alg, secret))
}

/// A token of a `_keys` file may be a secret (a mistyped base64 secret):
/// errors say where it is and how long, not what it is.
fn hide_found_token(kind: &mut dns_zone::ParseErrorKind) {
    use dns_zone::ParseErrorKind as K;
    if let K::Expected { found, .. } | K::Name { found, .. } | K::ClassMismatch { found } = kind {
        if found.starts_with('"') {
            let len = found.chars().count().saturating_sub(2);
            *found = format!("a token of {len} characters (not shown: it may be a secret)");
        }
    }
}

/// A key argument (`name:alg:secret`) as a message may show it: the
/// secret, after the last colon, replaced by `…`; with no colon at all the
/// whole text may be the secret and nothing of it is shown.
pub fn without_secret(text: &str) -> String {
    match text.rsplit_once(':') {
        Some((rest, _)) => format!("{rest}:…"),
        None => String::from("…"),
    }
}

/// The CLI form of a key: `name:SHA256:base64` (name without final dot).
pub fn format_cli_key(key: &Key) -> String {
    let name = name_to_string(key.name());
    format!(
        "{}:{}:{}",
        name.strip_suffix('.')
            .filter(|n| !n.is_empty())
            .unwrap_or(&name),
        key.algorithm().short_name(),
        BASE64.encode(key.secret())
    )
}

/// The `_keys` file line of a key: `name. DNSKEY 0 3 163 base64`.
pub fn format_keys_line(key: &Key) -> String {
    format!(
        "{} DNSKEY {} {} {} {}",
        name_to_string(key.name()),
        DNSKEY_FLAGS,
        DNSKEY_PROTOCOL,
        key.algorithm().dnskey_number(),
        BASE64.encode(key.secret())
    )
}

/// The keys a server knows, by name.
#[derive(Debug, Clone, Default)]
pub struct KeyStore {
    keys: BTreeMap<Name, Key>,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key; returns the one it replaces.
    pub fn insert(&mut self, key: Key) -> Option<Key> {
        self.keys.insert(key.name().clone(), key)
    }

    /// The key called `name` (case-insensitive).
    pub fn get(&self, name: &Name) -> Option<&Key> {
        self.keys.get(name)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// All keys, by name in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = &Key> {
        self.keys.values()
    }

    /// Reads the keys of a `_keys` file (`file_name` `"_keys"`: any key
    /// name) or `<zone>._keys` file (only keys at or below `<zone>`; the
    /// zone is also the file's `$ORIGIN`) into the store. Records that are
    /// not usable TSIG keys (another type, an unknown algorithm number,
    /// an empty secret, a name outside the file's zone) are skipped with a
    /// warning; a key seen twice is replaced with a warning. Syntax errors
    /// reject the whole file and leave the store unchanged.
    pub fn load_keys_file(
        &mut self,
        file_name: &str,
        text: &[u8],
    ) -> Result<Vec<Diagnostic>, KeysFileError> {
        let zone = match file_name.strip_suffix("._keys") {
            Some(z) => absolute_name(z).ok_or_else(|| KeysFileError {
                errors: alloc::vec![Diagnostic {
                    line: 0,
                    column: 0,
                    message: format!("'{file_name}': the file name is not <zone>._keys"),
                    file: None,
                }],
                warnings: Vec::new(),
            })?,
            None if file_name == "_keys" => Name::root(),
            None => {
                return Err(KeysFileError {
                    errors: alloc::vec![Diagnostic {
                        line: 0,
                        column: 0,
                        message: format!("'{file_name}' is neither _keys nor <zone>._keys"),
                        file: None,
                    }],
                    warnings: Vec::new(),
                })
            }
        };
        let mut parser = ZoneParser::new(text, zone.clone()).with_default_ttl(0);
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut found: Vec<Key> = Vec::new();
        let warn = |e: &dns_zone::Entry, message: String| Diagnostic {
            line: e.line,
            column: e.column,
            message,
            file: None,
        };
        for item in parser.by_ref() {
            let e = match item {
                Ok(e) => e,
                Err(mut err) => {
                    hide_found_token(&mut err.kind);
                    errors.push(Diagnostic::from(err));
                    continue;
                }
            };
            let owner = name_to_string(&e.owner);
            if e.rtype != RecordType::DNSKEY {
                warnings.push(warn(&e, format!("{owner}: not a DNSKEY record, ignored")));
                continue;
            }
            if !zone.zone_of(&e.owner) {
                warnings.push(warn(
                    &e,
                    format!(
                        "key {owner} is not in zone {} of this file, ignored",
                        name_to_string(&zone)
                    ),
                ));
                continue;
            }
            let rd = e.rdata.as_bytes();
            let (flags, protocol, number, secret) = match rd {
                [f0, f1, p, a, rest @ ..] => (u16::from_be_bytes([*f0, *f1]), *p, *a, rest),
                _ => {
                    warnings.push(warn(&e, format!("{owner}: DNSKEY too short, ignored")));
                    continue;
                }
            };
            let Some(alg) = Algorithm::from_dnskey_number(number) else {
                warnings.push(warn(
                    &e,
                    format!(
                        "key {owner}: algorithm {number} is not an HMAC we implement (161-165), ignored"
                    ),
                ));
                continue;
            };
            if secret.is_empty() {
                warnings.push(warn(&e, format!("key {owner}: empty secret, ignored")));
                continue;
            }
            if flags != DNSKEY_FLAGS || protocol != DNSKEY_PROTOCOL {
                warnings.push(warn(
                    &e,
                    format!("key {owner}: DNSKEY flags {flags} protocol {protocol}, expected 0 3"),
                ));
            }
            if found.iter().any(|k| k.name() == &e.owner) || self.keys.contains_key(&e.owner) {
                warnings.push(warn(&e, format!("key {owner} defined again, replacing")));
            }
            found.retain(|k| k.name() != &e.owner);
            found.push(Key::new(e.owner.clone(), alg, secret.to_vec()));
        }
        warnings.extend(parser.take_warnings());
        if !errors.is_empty() {
            return Err(KeysFileError { errors, warnings });
        }
        for k in found {
            self.insert(k);
        }
        Ok(warnings)
    }

    /// Whether the key `key_name` may do `op` on `zone`. Returns the key's
    /// role on success.
    pub fn authorise(
        &self,
        key_name: &Name,
        op: Operation,
        zone: &Name,
    ) -> Result<KeyRole, Denied> {
        if !self.keys.contains_key(key_name) {
            return Err(Denied::UnknownKey(key_name.clone()));
        }
        let role = KeyRole::of(key_name).ok_or_else(|| Denied::NoRole(key_name.clone()))?;
        if !role.covers(zone) {
            return Err(Denied::WrongZone {
                key: key_name.clone(),
                key_zone: role.zone,
                zone: zone.clone(),
            });
        }
        if !role.operation.grants(op) {
            return Err(Denied::WrongOperation {
                key: key_name.clone(),
                granted: role.operation,
                wanted: op,
            });
        }
        Ok(role)
    }

    /// The secondaries to notify about `zone`: transfer (or update) keys
    /// for exactly that zone or for the root, with a secondary address
    /// (OCaml-DNS `Authentication.secondaries`). Each comes with its key,
    /// which signs the NOTIFY; a key for exactly the zone comes before a
    /// key for the root.
    pub fn secondaries(&self, zone: &Name) -> Vec<(&Key, IpAddr)> {
        self.transfer_peers(zone, |r| r.secondary)
    }

    /// The primaries of `zone` named by transfer (or update) keys (what a
    /// secondary transfers from), with their keys; a key for exactly the
    /// zone comes before a key for the root.
    pub fn primaries(&self, zone: &Name) -> Vec<(&Key, IpAddr)> {
        self.transfer_peers(zone, |r| r.primary)
    }

    fn transfer_peers(
        &self,
        zone: &Name,
        pick: impl Fn(&KeyRole) -> Option<IpAddr>,
    ) -> Vec<(&Key, IpAddr)> {
        let mut peers: Vec<(bool, &Key, IpAddr)> = self
            .keys
            .values()
            .filter_map(|k| {
                let role = KeyRole::of(k.name())?;
                let matches = role.zone.is_root() || role.zone == *zone;
                (role.operation.grants(Operation::Transfer) && matches)
                    .then(|| pick(&role))
                    .flatten()
                    .map(|ip| (role.zone.is_root(), k, ip))
            })
            .collect();
        // Stable: canonical key order within each group.
        peers.sort_by_key(|(root, _, _)| *root);
        peers.into_iter().map(|(_, k, ip)| (k, ip)).collect()
    }
}

impl KeyLookup for KeyStore {
    fn find_key(&self, name: &Name) -> Option<&Key> {
        self.get(name)
    }
}
