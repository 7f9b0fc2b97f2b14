//! Owner names as lookup keys: byte strings whose lexicographic order is the
//! canonical name order (RFC 4034 §6.1), so that the zone's map compares
//! keys with `memcmp` instead of hickory's label-by-label, case-folding
//! comparison (27 % of a query's time before, issue 15's profile).
//!
//! The encoding is [`canonical_key`]'s: labels from the root down, each
//! lowercased and ended by a 0 octet, octets 0 and 1 inside a label escaped
//! as `1,1` and `1,2`. Since no escaped label contains a 0, the key of an
//! ancestor is exactly a prefix of its descendants' keys ending at a label
//! boundary: the zone's lookups walk ancestors by slicing one key
//! ([`KeyBuf::ancestor`]) rather than building a name per ancestor, and all
//! descendants of a name follow it in the map.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::fmt;

use hickory_proto::rr::Name;

use crate::name::{canonical_key, MAX_LABEL_LEN, MAX_NAME_WIRE_LEN};

/// Longest key: every octet of a longest name escaped.
pub const MAX_KEY_LEN: usize = 2 * MAX_NAME_WIRE_LEN;
/// Most labels a name has (RFC 1035 §3.1: 255 octets, one per empty label
/// length, the root excluded).
const MAX_LABELS: usize = MAX_NAME_WIRE_LEN / 2;

/// An owned key, as stored in a zone's map.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NameKey(Box<[u8]>);

impl NameKey {
    /// The key of `name`.
    pub fn new(name: &Name) -> Self {
        let mut key = Vec::with_capacity(name.len() + 1);
        canonical_key(name, &mut key);
        Self(key.into_boxed_slice())
    }

    /// A key from its bytes, as [`canonical_key`] writes them (a loader that
    /// computed them once keeps them).
    pub fn from_key_bytes(bytes: &[u8]) -> Self {
        Self(bytes.into())
    }

    /// The empty key (the root's), without an allocation: a placeholder.
    pub fn empty() -> Self {
        Self(Box::default())
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<[u8]> for NameKey {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for NameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NameKey({:?})",
            self.0.escape_ascii().collect::<Vec<_>>()
        )
    }
}

/// The key of a name on the stack, with its label boundaries: the key of
/// each ancestor is a slice of it, so one lookup walk builds it once.
#[derive(Clone)]
pub struct KeyBuf {
    bytes: [u8; MAX_KEY_LEN],
    /// `ends[i]`: length of the key of the ancestor with `i + 1` labels.
    ends: [u16; MAX_LABELS],
    labels: u8,
}

impl KeyBuf {
    fn empty() -> Self {
        Self {
            bytes: [0; MAX_KEY_LEN],
            ends: [0; MAX_LABELS],
            labels: 0,
        }
    }

    /// The key of `name`.
    pub fn from_name(name: &Name) -> Self {
        let mut buf = Self::empty();
        for label in name.iter().rev() {
            // A `Name` holds at most 255 octets, so this cannot fail.
            let pushed = buf.push_label(label);
            debug_assert!(pushed);
        }
        buf
    }

    /// The key of the uncompressed wire name `wire` (as a query's
    /// question holds it); `None` unless `wire` is exactly one well-formed
    /// name.
    pub fn from_wire(wire: &[u8]) -> Option<Self> {
        if wire.len() > MAX_NAME_WIRE_LEN {
            return None;
        }
        let mut starts = [0u8; MAX_LABELS];
        let mut count = 0;
        let mut p = 0;
        loop {
            let len = usize::from(*wire.get(p)?);
            if len == 0 {
                break;
            }
            if len > MAX_LABEL_LEN || count == MAX_LABELS {
                return None;
            }
            starts[count] = p as u8;
            count += 1;
            p += 1 + len;
        }
        if p + 1 != wire.len() {
            return None;
        }
        let mut buf = Self::empty();
        for &start in starts[..count].iter().rev() {
            let start = usize::from(start);
            let len = usize::from(wire[start]);
            if !buf.push_label(&wire[start + 1..start + 1 + len]) {
                return None;
            }
        }
        Some(buf)
    }

    /// Appends `label` below the name so far; `false` if the name would
    /// grow past the longest key.
    fn push_label(&mut self, label: &[u8]) -> bool {
        let mut at = self.len();
        if usize::from(self.labels) == MAX_LABELS || at + 2 * label.len() + 1 > MAX_KEY_LEN {
            return false;
        }
        for &b in label {
            if b <= 1 {
                self.bytes[at] = 1;
                self.bytes[at + 1] = b + 1;
                at += 2;
            } else {
                self.bytes[at] = b.to_ascii_lowercase();
                at += 1;
            }
        }
        self.bytes[at] = 0;
        self.ends[usize::from(self.labels)] = (at + 1) as u16;
        self.labels += 1;
        true
    }

    fn len(&self) -> usize {
        match self.labels {
            0 => 0,
            n => usize::from(self.ends[usize::from(n) - 1]),
        }
    }

    /// Number of labels (the root has none).
    pub fn labels(&self) -> usize {
        usize::from(self.labels)
    }

    /// The key of the whole name.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len()]
    }

    /// The key of the ancestor with `labels` labels (at most
    /// [`KeyBuf::labels`]; 0 is the root).
    pub fn ancestor(&self, labels: usize) -> &[u8] {
        match labels.min(self.labels()) {
            0 => &[],
            n => &self.bytes[..usize::from(self.ends[n - 1])],
        }
    }

    /// The key of `label` below the ancestor with `labels` labels (the
    /// wildcard `*.<closest encloser>`), if it fits.
    pub fn child_of_ancestor(&self, labels: usize, label: &[u8]) -> Option<Self> {
        let mut child = self.clone();
        child.labels = labels.min(self.labels()) as u8;
        child.push_label(label).then_some(child)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn name(s: &str) -> Name {
        crate::name::parse_name(s.as_bytes(), &Name::root(), &mut Vec::new()).unwrap()
    }

    #[test]
    fn order_is_canonical_order() {
        let sorted = crate::name::RFC4034_ORDER;
        let mut keys: Vec<(NameKey, &str)> = sorted
            .iter()
            .rev()
            .map(|s| (NameKey::new(&name(s)), *s))
            .collect();
        keys.sort();
        let order: Vec<&str> = keys.iter().map(|(_, s)| *s).collect();
        assert_eq!(order, sorted);
        for pair in sorted.windows(2) {
            assert_eq!(
                NameKey::new(&name(pair[0])).cmp(&NameKey::new(&name(pair[1]))),
                name(pair[0]).cmp(&name(pair[1])),
                "{pair:?}"
            );
        }
    }

    #[test]
    fn octets_0_and_1_sort_before_others_and_after_the_end_of_a_label() {
        let names = ["a.", "a\\000.", "a\\000\\000.", "a\\001.", "a\\002.", "aa."];
        for pair in names.windows(2) {
            assert!(
                NameKey::new(&name(pair[0])) < NameKey::new(&name(pair[1])),
                "{pair:?}"
            );
            assert!(name(pair[0]) < name(pair[1]), "{pair:?}");
        }
    }

    #[test]
    fn ancestors_are_prefixes_and_wire_form_agrees() {
        let n = name("www.Sub.Example.COM.");
        let buf = KeyBuf::from_name(&n);
        assert_eq!(buf.labels(), 4);
        assert_eq!(buf.as_bytes(), NameKey::new(&n).as_bytes());
        assert_eq!(buf.ancestor(0), b"");
        assert_eq!(
            buf.ancestor(2),
            NameKey::new(&name("example.com.")).as_bytes()
        );
        assert_eq!(buf.ancestor(9), buf.as_bytes());
        let wire = b"\x03WWW\x03sub\x07example\x03com\x00";
        assert_eq!(KeyBuf::from_wire(wire).unwrap().as_bytes(), buf.as_bytes());
        let wild = buf.child_of_ancestor(2, b"*").unwrap();
        assert_eq!(
            wild.as_bytes(),
            NameKey::new(&name("*.example.com.")).as_bytes()
        );
        assert_eq!(wild.labels(), 3);
    }

    #[test]
    fn malformed_wire_names_have_no_key() {
        assert!(KeyBuf::from_wire(b"").is_none());
        assert!(KeyBuf::from_wire(b"\x03www").is_none());
        assert!(
            KeyBuf::from_wire(b"\x01a\x00\x00").is_none(),
            "trailing bytes"
        );
        assert!(KeyBuf::from_wire(b"\x40aaaa").is_none(), "label type 01");
        assert!(KeyBuf::from_wire(b"\xc0\x0c").is_none(), "pointer");
        let mut long = vec![];
        for _ in 0..128 {
            long.extend_from_slice(b"\x01a");
        }
        long.push(0);
        assert!(KeyBuf::from_wire(&long).is_none(), "257 octets");
        assert_eq!(KeyBuf::from_wire(b"\x00").unwrap().labels(), 0);
    }

    #[test]
    fn longest_names_fit_even_when_every_octet_is_escaped() {
        // 4 labels of 63 zero octets, 1 of 2: 255 octets on the wire.
        let mut wire = vec![];
        for len in [63u8, 63, 63, 61] {
            wire.push(len);
            wire.extend(core::iter::repeat_n(0, usize::from(len)));
        }
        wire.push(0);
        assert_eq!(wire.len(), 255);
        let buf = KeyBuf::from_wire(&wire).unwrap();
        assert_eq!(buf.as_bytes().len(), 2 * 250 + 4);
    }
}
