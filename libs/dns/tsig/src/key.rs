//! Shared secrets and how a verifier finds them.

use alloc::vec::Vec;
use core::fmt;

use dns_wire::Name;

use crate::algorithm::Algorithm;

/// A TSIG key: its name, algorithm and shared secret.
///
/// `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    name: Name,
    algorithm: Algorithm,
    secret: Vec<u8>,
}

impl Key {
    /// A key named `name` (compared case-insensitively, RFC 8945 §4.2).
    pub fn new(name: Name, algorithm: Algorithm, secret: Vec<u8>) -> Self {
        Self {
            name,
            algorithm,
            secret,
        }
    }

    /// The key name.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The shared secret.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Octets a TSIG record signed with this key takes, with `other_len`
    /// octets of other data: owner, fixed fields, algorithm name, full MAC.
    /// Builders of large messages reserve this much.
    pub fn tsig_len(&self, other_len: usize) -> usize {
        let mut name = Vec::with_capacity(64);
        dns_wire::name::name_to_wire(&self.name, &mut name);
        name.len()
            + 10
            + self.algorithm.wire_name().len()
            + 16
            + self.algorithm.output_len()
            + other_len
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// Where a verifier finds the key a message names.
pub trait KeyLookup {
    /// The key called `name` (case-insensitive), if known.
    fn find_key(&self, name: &Name) -> Option<&Key>;
}

impl KeyLookup for Key {
    fn find_key(&self, name: &Name) -> Option<&Key> {
        (self.name == *name).then_some(self)
    }
}

impl KeyLookup for [Key] {
    fn find_key(&self, name: &Name) -> Option<&Key> {
        self.iter().find(|k| k.name == *name)
    }
}

impl KeyLookup for Vec<Key> {
    fn find_key(&self, name: &Name) -> Option<&Key> {
        self.as_slice().find_key(name)
    }
}

impl<K: KeyLookup + ?Sized> KeyLookup for &K {
    fn find_key(&self, name: &Name) -> Option<&Key> {
        (**self).find_key(name)
    }
}
