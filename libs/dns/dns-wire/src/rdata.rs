//! RDATA of received records, with compressed names expanded.
//!
//! RFC 3597 §4: receivers must decompress the names in the RDATA of the
//! RFC 1035 types and should for RP, AFSDB, RT, PX, NAPTR, SRV and KX
//! (KX per RFC 2230). Every other type is copied as received; a
//! compression pointer left in it is then rejected when the RDATA is
//! checked against its schema (`dns_rr::Rdata::from_wire`).

use alloc::vec::Vec;

use crate::name::{read_name, WireError};

/// How the RDATA of a type is laid out around its names.
enum Shape {
    /// Copied as received.
    Opaque,
    /// `prefix` fixed octets, then `names` domain names, then `suffix`
    /// fixed octets (exactly).
    Names {
        prefix: usize,
        names: usize,
        suffix: usize,
    },
    /// NAPTR: two u16, three character strings, one name.
    Naptr,
}

fn shape(rtype: u16) -> Shape {
    let names = |prefix, names, suffix| Shape::Names {
        prefix,
        names,
        suffix,
    };
    match rtype {
        // NS, MD, MF, CNAME, MB, MG, MR, PTR
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 => names(0, 1, 0),
        // SOA: MNAME RNAME and five u32
        6 => names(0, 2, 20),
        // MINFO, RP
        14 | 17 => names(0, 2, 0),
        // MX, AFSDB, RT, KX
        15 | 18 | 21 | 36 => names(2, 1, 0),
        // PX
        26 => names(2, 2, 0),
        // SRV
        33 => names(6, 1, 0),
        // NAPTR
        35 => Shape::Naptr,
        _ => Shape::Opaque,
    }
}

/// Appends the RDATA at `msg[start..start + len]` of type `rtype` to `out`,
/// with names decompressed.
pub(crate) fn read_rdata(
    msg: &[u8],
    start: usize,
    len: usize,
    rtype: u16,
    out: &mut Vec<u8>,
) -> Result<(), WireError> {
    let end = start + len;
    let rd = msg.get(start..end).ok_or(WireError::Truncated)?;
    out.clear();
    let mut scratch = Vec::new();
    let mut name_at = |pos: usize, out: &mut Vec<u8>| -> Result<usize, WireError> {
        if pos >= end {
            return Err(WireError::BadRdata);
        }
        let next = read_name(msg, pos, &mut scratch)?;
        if next > end {
            return Err(WireError::BadRdata);
        }
        out.extend_from_slice(&scratch);
        Ok(next)
    };
    match shape(rtype) {
        // Empty RDATA (UPDATE deletions, RFC 2136 §2.5.2) is read as empty
        // whatever the type; `Rdata::from_wire` decides whether it is valid.
        _ if len == 0 => {}
        Shape::Opaque => out.extend_from_slice(rd),
        Shape::Names {
            prefix,
            names,
            suffix,
        } => {
            let fixed = rd.get(..prefix).ok_or(WireError::BadRdata)?;
            out.extend_from_slice(fixed);
            let mut pos = start + prefix;
            for _ in 0..names {
                pos = name_at(pos, out)?;
            }
            if end - pos != suffix {
                return Err(WireError::BadRdata);
            }
            out.extend_from_slice(&msg[pos..end]);
        }
        Shape::Naptr => {
            let mut pos = start + 4;
            if pos > end {
                return Err(WireError::BadRdata);
            }
            for _ in 0..3 {
                let l = usize::from(
                    *msg.get(pos)
                        .filter(|_| pos < end)
                        .ok_or(WireError::BadRdata)?,
                );
                pos += 1 + l;
                if pos > end {
                    return Err(WireError::BadRdata);
                }
            }
            out.extend_from_slice(&msg[start..pos]);
            let next = name_at(pos, out)?;
            if next != end {
                return Err(WireError::BadRdata);
            }
        }
    }
    Ok(())
}

/// Whether names in the RDATA of `rtype` may be compressed when writing
/// (RFC 3597 §4: only the well-known types of RFC 1035).
pub(crate) fn compressible(rtype: u16) -> Option<(usize, usize)> {
    match rtype {
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 => Some((0, 1)),
        6 => Some((0, 2)),
        14 => Some((0, 2)),
        15 => Some((2, 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soa_and_mx_are_expanded() {
        // 0: "example." at offset 0, then an MX RDATA at 9: pref 10, "mail" + ptr.
        let mut msg = b"\x07example\x00".to_vec();
        let mx_at = msg.len();
        msg.extend_from_slice(b"\x00\x0a\x04mail\xc0\x00");
        let mut out = Vec::new();
        read_rdata(&msg, mx_at, msg.len() - mx_at, 15, &mut out).unwrap();
        assert_eq!(out, b"\x00\x0a\x04mail\x07example\x00");
        // SOA with both names compressed.
        let soa_at = msg.len();
        msg.extend_from_slice(b"\xc0\x00\x02ns\xc0\x00");
        msg.extend_from_slice(&[0; 20]);
        read_rdata(&msg, soa_at, msg.len() - soa_at, 6, &mut out).unwrap();
        assert_eq!(&out[..9], b"\x07example\x00");
        assert_eq!(out.len(), 9 + 12 + 20);
        // SOA without its fixed fields.
        assert_eq!(
            read_rdata(&msg, soa_at, 7, 6, &mut out),
            Err(WireError::BadRdata)
        );
    }

    #[test]
    fn a_name_may_not_run_past_the_rdata() {
        let msg = b"\x03www\x07example\x00";
        let mut out = Vec::new();
        // RDLENGTH 4 but the name is 13 octets long.
        assert_eq!(read_rdata(msg, 0, 4, 5, &mut out), Err(WireError::BadRdata));
    }
}
