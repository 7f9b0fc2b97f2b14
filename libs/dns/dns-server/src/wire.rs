//! Reading names from received messages and writing responses with name
//! compression (RFC 1035 §4.1.4).

use alloc::vec::Vec;

use dns_zone::Name;

// Names in received messages are read by dns-wire, shared with the
// control plane (UPDATE, transfers, NOTIFY).
use dns_wire::NameCompressor;
pub use dns_wire::{read_name, WireError};

/// A response being written, with a table of names for compression
/// (dns-wire's [`NameCompressor`], case-insensitive).
pub(crate) struct Writer {
    pub buf: Vec<u8>,
    names: NameCompressor,
}

impl Writer {
    pub fn new(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
            names: NameCompressor::new(false),
        }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Drops everything written after `len`, and the names it introduced.
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
        self.names.forget_from(len);
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
        self.names.write(&mut self.buf, wire, false);
    }

    /// Writes an uncompressed wire name, compressing it against earlier names.
    pub fn name_compressed(&mut self, wire: &[u8]) {
        self.names.write(&mut self.buf, wire, true);
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
