//! Reading names from received messages and writing responses with name
//! compression (RFC 1035 §4.1.4).

use alloc::vec::Vec;

use dns_zone::Name;

// Names in received messages are read by dns-wire, shared with the
// control plane (UPDATE, transfers, NOTIFY).
pub use dns_wire::{read_name, WireError};

/// A response being written, with a table of names for compression.
pub(crate) struct Writer {
    pub buf: Vec<u8>,
    /// Lowercased uncompressed suffixes already in `buf`, with their offsets.
    names: Vec<(Vec<u8>, u16)>,
}

/// Offsets above this cannot be the target of a compression pointer.
const MAX_POINTER: usize = 0x3fff;

impl Writer {
    pub fn new(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
            names: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything written after `len`, and the names it introduced.
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
        self.names.retain(|(_, off)| usize::from(*off) < len);
    }

    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Writes an uncompressed wire name (as given) without compressing it,
    /// but remembers its suffixes for later names.
    pub fn name_uncompressed(&mut self, wire: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(wire);
        self.remember(wire, start, usize::MAX);
    }

    /// Writes an uncompressed wire name, compressing it against earlier names.
    pub fn name_compressed(&mut self, wire: &[u8]) {
        let start = self.buf.len();
        let mut p = 0;
        let mut lower = Vec::with_capacity(wire.len());
        while p < wire.len() && wire[p] != 0 {
            lower.clear();
            lower.extend(wire[p..].iter().map(u8::to_ascii_lowercase));
            if let Some((_, off)) = self.names.iter().find(|(n, _)| *n == lower) {
                let off = *off;
                self.buf.extend_from_slice(&wire[..p]);
                self.u16(0xc000 | off);
                self.remember(wire, start, p);
                return;
            }
            p += 1 + usize::from(wire[p]);
        }
        self.buf.extend_from_slice(wire);
        self.remember(wire, start, usize::MAX);
    }

    /// Records the suffixes of `wire` (written at `start`) that begin before
    /// `until` (the part written as labels, not as a pointer).
    fn remember(&mut self, wire: &[u8], start: usize, until: usize) {
        let mut p = 0;
        while p < wire.len() && wire[p] != 0 && p < until {
            let off = start + p;
            if off > MAX_POINTER {
                break;
            }
            let suffix: Vec<u8> = wire[p..].iter().map(u8::to_ascii_lowercase).collect();
            if !self.names.iter().any(|(n, _)| *n == suffix) {
                self.names.push((suffix, off as u16));
            }
            p += 1 + usize::from(wire[p]);
        }
    }
}

/// Uncompressed wire form of a name.
pub(crate) fn name_wire(name: &Name) -> Vec<u8> {
    let mut v = Vec::with_capacity(32);
    dns_zone::name::name_to_wire(name, &mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_is_case_insensitive() {
        let mut w = Writer::new(64);
        w.buf.extend_from_slice(&[0; 12]);
        w.name_uncompressed(b"\x03WWW\x07Example\x03com\x00");
        w.name_compressed(b"\x04mail\x07example\x03COM\x00");
        assert_eq!(&w.buf[29..], b"\x04mail\xc0\x10");
        w.name_compressed(b"\x03www\x07example\x03com\x00");
        assert_eq!(&w.buf[36..], b"\xc0\x0c");
    }
}
