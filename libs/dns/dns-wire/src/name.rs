//! Names in received messages (RFC 1035 §3.1, §4.1.4).

use alloc::vec::Vec;
use core::fmt;

use dns_rr::name::MAX_NAME_WIRE_LEN;
use dns_rr::Name;

pub use dns_rr::name::{name_from_wire, name_to_string, name_to_wire};

/// A received message that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The message ends inside a field.
    Truncated,
    /// A label length with the reserved bits 01 or 10.
    BadLabel,
    /// A compression pointer that does not point strictly backwards (loops).
    BadPointer,
    /// A name longer than 255 octets.
    NameTooLong,
    /// Octets after the last record the header announces.
    TrailingData,
    /// RDATA that does not fit its type, or whose names overrun it.
    BadRdata,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Truncated => "message ends inside a field",
            Self::BadLabel => "label type 01 or 10 in a name",
            Self::BadPointer => "compression pointer that does not point backwards",
            Self::NameTooLong => "name longer than 255 octets",
            Self::TrailingData => "octets after the last record",
            Self::BadRdata => "RDATA does not fit its type",
        })
    }
}

/// Reads a possibly compressed name at `msg[pos]` into `out` as uncompressed
/// wire format (case preserved). Returns the position after the name in the
/// message (after the first pointer, if any).
///
/// Every pointer must point before the label that holds it, so the walk ends
/// after at most `msg.len()` steps whatever the input.
pub fn read_name(msg: &[u8], mut pos: usize, out: &mut Vec<u8>) -> Result<usize, WireError> {
    out.clear();
    let mut end = None;
    let mut limit = pos;
    loop {
        let len = *msg.get(pos).ok_or(WireError::Truncated)?;
        match len & 0xc0 {
            0x00 => {
                let len = usize::from(len);
                let label = msg
                    .get(pos + 1..pos + 1 + len)
                    .ok_or(WireError::Truncated)?;
                out.push(len as u8);
                out.extend_from_slice(label);
                if out.len() > MAX_NAME_WIRE_LEN {
                    return Err(WireError::NameTooLong);
                }
                pos += 1 + len;
                if len == 0 {
                    return Ok(end.unwrap_or(pos));
                }
            }
            0xc0 => {
                let lo = *msg.get(pos + 1).ok_or(WireError::Truncated)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3f, lo]));
                if target >= limit {
                    return Err(WireError::BadPointer);
                }
                end.get_or_insert(pos + 2);
                limit = target;
                pos = target;
            }
            _ => return Err(WireError::BadLabel),
        }
    }
}

/// Position after the (possibly compressed) name at `msg[pos]`, without
/// decoding it: labels are skipped up to the end or the first pointer.
pub fn skip_name(msg: &[u8], mut pos: usize) -> Result<usize, WireError> {
    let start = pos;
    loop {
        let len = *msg.get(pos).ok_or(WireError::Truncated)?;
        match len & 0xc0 {
            0x00 => {
                pos += 1 + usize::from(len);
                if pos > msg.len() {
                    return Err(WireError::Truncated);
                }
                if pos - start > MAX_NAME_WIRE_LEN {
                    return Err(WireError::NameTooLong);
                }
                if len == 0 {
                    return Ok(pos);
                }
            }
            0xc0 => {
                if pos + 2 > msg.len() {
                    return Err(WireError::Truncated);
                }
                return Ok(pos + 2);
            }
            _ => return Err(WireError::BadLabel),
        }
    }
}

/// Decodes the uncompressed wire name `wire` (as produced by [`read_name`]).
pub(crate) fn to_name(wire: &[u8]) -> Result<Name, WireError> {
    match dns_rr::name::name_from_wire(wire, 0) {
        Some((n, len)) if len == wire.len() => Ok(n),
        _ => Err(WireError::NameTooLong),
    }
}

/// The uncompressed wire form of `name`, lowercased (the canonical form of
/// RFC 4034 §6.2, which TSIG uses for its key and algorithm names).
pub fn canonical_wire(name: &Name) -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    dns_rr::name::name_to_wire(name, &mut v);
    lowercase_wire(&mut v);
    v
}

/// Lowercases the ASCII letters of the labels of an uncompressed wire name.
pub(crate) fn lowercase_wire(wire: &mut [u8]) {
    let mut p = 0;
    while p < wire.len() {
        let len = usize::from(wire[p]);
        if len == 0 {
            break;
        }
        let end = (p + 1 + len).min(wire.len());
        wire[p + 1..end].make_ascii_lowercase();
        p = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_labels() {
        let mut out = Vec::new();
        assert_eq!(read_name(&[0x40, 0], 0, &mut out), Err(WireError::BadLabel));
        assert_eq!(read_name(&[0x80, 0], 0, &mut out), Err(WireError::BadLabel));
        assert_eq!(
            read_name(&[5, b'a'], 0, &mut out),
            Err(WireError::Truncated)
        );
        let mut long = Vec::new();
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'x'; 63]);
        }
        long.push(0);
        assert_eq!(read_name(&long, 0, &mut out), Err(WireError::NameTooLong));
    }

    #[test]
    fn pointers_must_go_backwards() {
        let mut msg = [0u8; 14].to_vec();
        msg[12] = 0xc0;
        msg[13] = 12;
        let mut out = Vec::new();
        assert_eq!(read_name(&msg, 12, &mut out), Err(WireError::BadPointer));
        let msg = [0xc0, 2, 0xc0, 0];
        assert_eq!(read_name(&msg, 2, &mut out), Err(WireError::BadPointer));
        let msg = [1, b'a', 0, 1, b'b', 0xc0, 0];
        assert_eq!(read_name(&msg, 3, &mut out), Ok(7));
        assert_eq!(out, [1, b'b', 1, b'a', 0]);
        assert_eq!(skip_name(&msg, 3), Ok(7));
        assert_eq!(skip_name(&msg, 0), Ok(3));
        assert_eq!(skip_name(&[5, b'a'], 0), Err(WireError::Truncated));
    }

    #[test]
    fn lowercase_only_touches_labels() {
        let mut w = b"\x03WwW\x0bEXAMPLE-COM\x00".to_vec();
        lowercase_wire(&mut w);
        assert_eq!(w, b"\x03www\x0bexample-com\x00");
    }
}
