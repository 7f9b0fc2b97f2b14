//! RDATA from wire to presentation format.

use alloc::string::String;
use core::fmt::Write;
use core::net::{Ipv4Addr, Ipv6Addr};

use data_encoding::{BASE64, HEXUPPER};
use hickory_proto::rr::RecordType;

use super::schema::{self, Field};
use super::special;
use super::text::CERT_TYPES;
use crate::name::{push_decimal_escape, write_label};

/// Writes RDATA in the presentation format of its type; the RFC 3597
/// generic form for unknown types or data that does not fit the schema.
pub(crate) fn write_rdata(out: &mut String, rtype: RecordType, data: &[u8]) {
    if let Some(info) = schema::info(u16::from(rtype)) {
        if schema::walk(info, data, |_, _, _| {}).is_ok() {
            let mut piece = String::new();
            let mut first = true;
            let _ = schema::walk(info, data, |field, range, prev_u8| {
                piece.clear();
                write_field(&mut piece, field, &data[range], prev_u8);
                if !piece.is_empty() {
                    if !first {
                        out.push(' ');
                    }
                    first = false;
                    out.push_str(&piece);
                }
            });
            return;
        }
    }
    write_generic(out, data);
}

/// `\# <length> <hex>` (RFC 3597 §5).
pub(crate) fn write_generic(out: &mut String, data: &[u8]) {
    let _ = write!(out, "\\# {}", data.len());
    if !data.is_empty() {
        out.push(' ');
        out.push_str(&HEXUPPER.encode(data));
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn write_field(out: &mut String, field: Field, b: &[u8], prev_u8: u8) {
    match field {
        Field::Name(_) => write_wire_name(out, b),
        Field::Gateway => match prev_u8 {
            0 => out.push('.'),
            1 => {
                let _ = write!(out, "{}", Ipv4Addr::new(b[0], b[1], b[2], b[3]));
            }
            2 => write_ipv6(out, b),
            _ => write_wire_name(out, b),
        },
        Field::U8 | Field::GatewayType | Field::Alg => {
            let _ = write!(out, "{}", b[0]);
        }
        Field::U16 => {
            let _ = write!(out, "{}", be16(b));
        }
        Field::CertType => {
            let v = be16(b);
            match CERT_TYPES.iter().find(|(_, c)| *c == v) {
                Some((n, _)) => out.push_str(n),
                None => {
                    let _ = write!(out, "{v}");
                }
            }
        }
        Field::U32 | Field::Period => {
            let _ = write!(out, "{}", u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        }
        Field::Ipv4 => {
            let _ = write!(out, "{}", Ipv4Addr::new(b[0], b[1], b[2], b[3]));
        }
        Field::Ipv6 => write_ipv6(out, b),
        Field::CharStr => write_char_string(out, &b[1..]),
        Field::CharStrs => {
            let mut p = 0;
            while p < b.len() {
                let l = usize::from(b[p]);
                if p > 0 {
                    out.push(' ');
                }
                write_char_string(out, &b[p + 1..p + 1 + l]);
                p += 1 + l;
            }
        }
        Field::Base64 | Field::Base64Opt => out.push_str(&BASE64.encode(b)),
        Field::Hex => out.push_str(&HEXUPPER.encode(b)),
        Field::CaaTag => out.push_str(core::str::from_utf8(&b[1..]).unwrap_or("?")),
        Field::RawString => write_char_string(out, b),
        Field::SvcParams => super::svcb::print_params(out, b),
        Field::CharStrOpt => {
            if !b.is_empty() {
                write_char_string(out, &b[1..]);
            }
        }
        Field::RrType => special::print_rr_type(out, b),
        Field::Time => special::print_time(out, u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        Field::TypeBitmap => special::print_type_bitmap(out, b),
        Field::NxtBitmap => special::print_nxt_bitmap(out, b),
        Field::Salt => special::print_salt(out, b),
        Field::Base32Hash => special::print_base32_hash(out, b),
        Field::Loc => special::print_loc(out, b),
        Field::Apl => special::print_apl(out, b),
        Field::WksProtocol | Field::A6PrefixLen => {
            let _ = write!(out, "{}", b[0]);
        }
        Field::WksBitmap => special::print_wks_bitmap(out, b),
        Field::Nsap => special::print_nsap(out, b),
        Field::Eui48 | Field::Eui64 => special::print_eui(out, b),
        Field::Ilnp64 => special::print_ilnp64(out, b),
        Field::A6Suffix => special::print_a6_suffix(out, b),
        Field::A6PrefixName => {
            if !b.is_empty() {
                write_wire_name(out, b);
            }
        }
        Field::Hip => special::print_hip(out, b),
        Field::NameList => {
            let mut p = 0;
            while p < b.len() {
                let l = crate::name::wire_name_len(b, p).unwrap_or(b.len() - p);
                if p > 0 {
                    out.push(' ');
                }
                write_wire_name(out, &b[p..p + l]);
                p += l;
            }
        }
        Field::AmtType => special::print_amt_type(out, b[0]),
        Field::Base64Dash => special::print_base64_dash(out, b),
        Field::DsyncScheme => special::print_dsync_scheme(out, b[0]),
        Field::Atma => special::print_atma(out, b),
    }
}

fn write_ipv6(out: &mut String, b: &[u8]) {
    let mut o = [0u8; 16];
    o.copy_from_slice(b);
    let _ = write!(out, "{}", Ipv6Addr::from(o));
}

/// Writes an uncompressed wire name (validated by the walk) absolutely.
fn write_wire_name(out: &mut String, b: &[u8]) {
    if b.len() <= 1 {
        out.push('.');
        return;
    }
    let mut p = 0;
    while p < b.len() {
        let l = usize::from(b[p]);
        if l == 0 {
            break;
        }
        write_label(out, &b[p + 1..p + 1 + l]);
        out.push('.');
        p += 1 + l;
    }
}

/// A `<character-string>` in double quotes with `\"`, `\\` and `\DDD` escapes.
pub(crate) fn write_char_string(out: &mut String, s: &[u8]) {
    out.push('"');
    for &c in s {
        match c {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(c));
            }
            0x20..=0x7e => out.push(char::from(c)),
            _ => push_decimal_escape(out, c),
        }
    }
    out.push('"');
}
