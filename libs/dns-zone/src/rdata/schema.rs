//! The RDATA schema: the fields of each supported type, in wire order.

use alloc::borrow::Cow;
use core::ops::Range;

use hickory_proto::rr::RecordType;

use super::RdataError;
use crate::name::wire_name_len;

/// How a domain name inside RDATA is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameMode {
    /// RFC 1035 types: compressible in responses (RFC 3597 §4) and
    /// lowercased in the canonical form.
    Compress,
    /// Lowercased in the canonical form (RFC 4034 §6.2), never compressed.
    Lower,
    /// Neither compressed nor lowercased (e.g. SVCB TargetName, RFC 9460).
    Plain,
}

/// One RDATA field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Name(NameMode),
    U8,
    U16,
    U32,
    /// A 32-bit duration; the text form accepts TTL units (`1h30m`).
    Period,
    Ipv4,
    Ipv6,
    /// One `<character-string>`.
    CharStr,
    /// One or more `<character-string>`s up to the end (TXT, SPF).
    CharStrs,
    /// Base64 up to the end, at least one octet.
    Base64,
    /// Base64 up to the end, possibly empty (IPSECKEY public key).
    Base64Opt,
    /// Hex up to the end, at least one octet.
    Hex,
    /// DNSSEC algorithm number (mnemonics accepted in text, RFC 4034 A.1).
    Alg,
    /// CERT type (mnemonics accepted, RFC 4398 §2.1).
    CertType,
    /// CAA tag: length-prefixed, alphanumeric (RFC 8659 §4.1).
    CaaTag,
    /// Octets up to the end, written as one (quoted) string (CAA value, URI target).
    RawString,
    /// IPSECKEY gateway type: a U8 that selects the form of [`Field::Gateway`].
    GatewayType,
    /// IPSECKEY gateway; its form depends on the gateway type field before it.
    Gateway,
    /// SVCB/HTTPS SvcParams up to the end (RFC 9460 §2.2).
    SvcParams,
}

/// A supported record type.
pub(crate) struct TypeInfo {
    pub code: u16,
    pub name: &'static str,
    pub fields: &'static [Field],
}

use Field::*;
use NameMode::*;

const DS_FIELDS: &[Field] = &[U16, Alg, U8, Hex];
const DNSKEY_FIELDS: &[Field] = &[U16, U8, Alg, Base64];
const TLSA_FIELDS: &[Field] = &[U8, U8, U8, Hex];
const SVCB_FIELDS: &[Field] = &[U16, Name(Plain), SvcParams];

/// Types with a presentation format of their own; every other type is
/// handled in the RFC 3597 generic form.
pub(crate) static TYPES: &[TypeInfo] = &[
    TypeInfo {
        code: 1,
        name: "A",
        fields: &[Ipv4],
    },
    TypeInfo {
        code: 2,
        name: "NS",
        fields: &[Name(Compress)],
    },
    TypeInfo {
        code: 5,
        name: "CNAME",
        fields: &[Name(Compress)],
    },
    TypeInfo {
        code: 6,
        name: "SOA",
        fields: &[
            Name(Compress),
            Name(Compress),
            U32,
            Period,
            Period,
            Period,
            Period,
        ],
    },
    TypeInfo {
        code: 12,
        name: "PTR",
        fields: &[Name(Compress)],
    },
    TypeInfo {
        code: 13,
        name: "HINFO",
        fields: &[CharStr, CharStr],
    },
    TypeInfo {
        code: 15,
        name: "MX",
        fields: &[U16, Name(Compress)],
    },
    TypeInfo {
        code: 16,
        name: "TXT",
        fields: &[CharStrs],
    },
    TypeInfo {
        code: 17,
        name: "RP",
        fields: &[Name(Lower), Name(Lower)],
    },
    TypeInfo {
        code: 18,
        name: "AFSDB",
        fields: &[U16, Name(Lower)],
    },
    TypeInfo {
        code: 28,
        name: "AAAA",
        fields: &[Ipv6],
    },
    TypeInfo {
        code: 33,
        name: "SRV",
        fields: &[U16, U16, U16, Name(Lower)],
    },
    TypeInfo {
        code: 35,
        name: "NAPTR",
        fields: &[U16, U16, CharStr, CharStr, CharStr, Name(Lower)],
    },
    TypeInfo {
        code: 36,
        name: "KX",
        fields: &[U16, Name(Lower)],
    },
    TypeInfo {
        code: 37,
        name: "CERT",
        fields: &[CertType, U16, Alg, Base64],
    },
    TypeInfo {
        code: 39,
        name: "DNAME",
        fields: &[Name(Lower)],
    },
    TypeInfo {
        code: 43,
        name: "DS",
        fields: DS_FIELDS,
    },
    TypeInfo {
        code: 44,
        name: "SSHFP",
        fields: &[U8, U8, Hex],
    },
    TypeInfo {
        code: 45,
        name: "IPSECKEY",
        fields: &[U8, GatewayType, U8, Gateway, Base64Opt],
    },
    TypeInfo {
        code: 48,
        name: "DNSKEY",
        fields: DNSKEY_FIELDS,
    },
    TypeInfo {
        code: 52,
        name: "TLSA",
        fields: TLSA_FIELDS,
    },
    TypeInfo {
        code: 53,
        name: "SMIMEA",
        fields: TLSA_FIELDS,
    },
    TypeInfo {
        code: 59,
        name: "CDS",
        fields: DS_FIELDS,
    },
    TypeInfo {
        code: 60,
        name: "CDNSKEY",
        fields: DNSKEY_FIELDS,
    },
    TypeInfo {
        code: 61,
        name: "OPENPGPKEY",
        fields: &[Base64],
    },
    TypeInfo {
        code: 63,
        name: "ZONEMD",
        fields: &[U32, U8, U8, Hex],
    },
    TypeInfo {
        code: 64,
        name: "SVCB",
        fields: SVCB_FIELDS,
    },
    TypeInfo {
        code: 65,
        name: "HTTPS",
        fields: SVCB_FIELDS,
    },
    TypeInfo {
        code: 99,
        name: "SPF",
        fields: &[CharStrs],
    },
    TypeInfo {
        code: 256,
        name: "URI",
        fields: &[U16, U16, RawString],
    },
    TypeInfo {
        code: 257,
        name: "CAA",
        fields: &[U8, CaaTag, RawString],
    },
];

/// Mnemonics of types without a schema here, printed and parsed by name but
/// with RDATA in the generic form only.
static OTHER_MNEMONICS: &[(u16, &str)] = &[
    (41, "OPT"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (50, "NSEC3"),
    (51, "NSEC3PARAM"),
    (249, "TKEY"),
    (250, "TSIG"),
    (251, "IXFR"),
    (252, "AXFR"),
    (255, "ANY"),
];

/// The schema of a type, if it has one.
pub(crate) fn info(code: u16) -> Option<&'static TypeInfo> {
    TYPES.iter().find(|t| t.code == code)
}

/// Looks a type mnemonic up (case-insensitive), including `TYPEnnn`
/// (RFC 3597 §5).
pub fn type_from_mnemonic(text: &[u8]) -> Option<RecordType> {
    if let Some(t) = TYPES
        .iter()
        .find(|t| t.name.as_bytes().eq_ignore_ascii_case(text))
    {
        return Some(RecordType::from(t.code));
    }
    if let Some((code, _)) = OTHER_MNEMONICS
        .iter()
        .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(text))
    {
        return Some(RecordType::from(*code));
    }
    let digits = strip_prefix_ignore_case(text, b"TYPE")?;
    parse_u16_strict(digits).map(RecordType::from)
}

/// The mnemonic of a type, or `TYPEnnn` when it has none here.
pub fn type_mnemonic(rtype: RecordType) -> Cow<'static, str> {
    let code = u16::from(rtype);
    if let Some(t) = info(code) {
        return Cow::Borrowed(t.name);
    }
    if let Some((_, n)) = OTHER_MNEMONICS.iter().find(|(c, _)| *c == code) {
        return Cow::Borrowed(n);
    }
    Cow::Owned(alloc::format!("TYPE{code}"))
}

pub(crate) fn strip_prefix_ignore_case<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    if text.len() > prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix) {
        Some(&text[prefix.len()..])
    } else {
        None
    }
}

/// Decimal without sign or leading `+`; at most 65535.
pub(crate) fn parse_u16_strict(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits
        .iter()
        .try_fold(0u32, |acc, d| Some(acc * 10 + u32::from(d - b'0')))
        .and_then(|v| u16::try_from(v).ok())
}

/// Walks the fields of `data`, calling `visit(field, byte range, gateway
/// type)` for each; fails unless the data is exactly the fields.
pub(crate) fn walk(
    info: &TypeInfo,
    data: &[u8],
    mut visit: impl FnMut(Field, Range<usize>, u8),
) -> Result<(), RdataError> {
    let mut pos = 0;
    let mut prev_u8 = 0u8;
    for &field in info.fields {
        let rest = data.len() - pos;
        let len = match field {
            Name(_) => wire_name_len(data, pos).ok_or(if rest == 0 {
                RdataError::Truncated
            } else {
                RdataError::BadName
            })?,
            U8 | GatewayType | Alg => 1,
            U16 | CertType => 2,
            U32 | Period | Ipv4 => 4,
            Ipv6 => 16,
            CharStr => 1 + usize::from(*data.get(pos).ok_or(RdataError::Truncated)?),
            CharStrs => {
                if rest == 0 {
                    return Err(RdataError::Truncated);
                }
                let mut p = pos;
                while p < data.len() {
                    p += 1 + usize::from(data[p]);
                }
                if p > data.len() {
                    return Err(RdataError::Truncated);
                }
                rest
            }
            Base64 | Hex | RawString => {
                if rest == 0 && field != RawString {
                    return Err(RdataError::Truncated);
                }
                rest
            }
            Base64Opt => rest,
            CaaTag => {
                let l = usize::from(*data.get(pos).ok_or(RdataError::Truncated)?);
                let tag = data
                    .get(pos + 1..pos + 1 + l)
                    .ok_or(RdataError::Truncated)?;
                if l == 0 || !tag.iter().all(u8::is_ascii_alphanumeric) {
                    return Err(RdataError::BadValue(
                        "CAA tag must be 1 to 255 letters and digits",
                    ));
                }
                1 + l
            }
            Gateway => match prev_u8 {
                0 => 0,
                1 => 4,
                2 => 16,
                3 => wire_name_len(data, pos).ok_or(RdataError::BadName)?,
                _ => return Err(RdataError::BadValue("IPSECKEY gateway type must be 0 to 3")),
            },
            SvcParams => {
                super::svcb::validate_params(&data[pos..])?;
                rest
            }
        };
        if len > rest {
            return Err(RdataError::Truncated);
        }
        if field == GatewayType {
            prev_u8 = data[pos];
        }
        visit(field, pos..pos + len, prev_u8);
        pos += len;
    }
    if pos != data.len() {
        return Err(RdataError::TrailingData);
    }
    Ok(())
}

/// The canonical form of RDATA (RFC 4034 §6.2, RFC 6840 §5.1).
pub(crate) fn canonical(rtype: RecordType, data: &[u8]) -> Cow<'_, [u8]> {
    let Some(info) = info(u16::from(rtype)) else {
        return Cow::Borrowed(data);
    };
    let lowered_fields = info
        .fields
        .iter()
        .any(|f| matches!(f, Name(Compress | Lower)));
    if !lowered_fields || !data.iter().any(u8::is_ascii_uppercase) {
        return Cow::Borrowed(data);
    }
    let mut out = data.to_vec();
    // Invalid data cannot reach here through `Rdata`; leave it as it is.
    let _ = walk(info, data, |field, range, _| {
        if matches!(field, Name(Compress | Lower)) {
            lowercase_wire_name(&mut out[range]);
        }
    });
    Cow::Owned(out)
}

/// Lowercases the label bytes of an uncompressed wire name in place.
pub(crate) fn lowercase_wire_name(name: &mut [u8]) {
    let mut p = 0;
    while p < name.len() {
        let len = usize::from(name[p]);
        let end = (p + 1 + len).min(name.len());
        name[p + 1..end].make_ascii_lowercase();
        p = end;
    }
}
