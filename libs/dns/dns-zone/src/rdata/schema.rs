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
    /// Zero or one `<character-string>` at the end (ISDN subaddress, RFC 1183 §3.2).
    CharStrOpt,
    /// A record type: mnemonic or `TYPEnnn` in text (SIG/RRSIG type covered, DSYNC).
    RrType,
    /// A signature time: `YYYYMMDDHHmmSS` or seconds in text (RFC 4034 §3.2).
    Time,
    /// NSEC/NSEC3/CSYNC type bitmap up to the end, possibly empty (RFC 4034 §4.1.2).
    TypeBitmap,
    /// NXT type bitmap up to the end: a plain bitmap of types 0..127 (RFC 2535 §5.2).
    NxtBitmap,
    /// Length-prefixed hex, `-` for none (NSEC3 salt, RFC 5155 §3.3).
    Salt,
    /// Length-prefixed base32hex without padding (NSEC3 next hashed owner, RFC 5155 §3.3).
    Base32Hash,
    /// LOC RDATA, version 0, all 16 octets (RFC 1876 §2, §3).
    Loc,
    /// APL items up to the end (RFC 3123 §4, §5).
    Apl,
    /// WKS protocol: a number, `tcp` or `udp` (RFC 1035 §3.4.2).
    WksProtocol,
    /// WKS service bitmap up to the end: ports or service names in text.
    WksBitmap,
    /// NSAP address: `0x` and hex, dots allowed (RFC 1706 §5).
    Nsap,
    /// EUI-48 address, `xx-xx-xx-xx-xx-xx` (RFC 7043 §3.2).
    Eui48,
    /// EUI-64 address, `xx-xx-xx-xx-xx-xx-xx-xx` (RFC 7043 §4.2).
    Eui64,
    /// ILNP 64-bit NodeID or Locator, `xxxx:xxxx:xxxx:xxxx` (RFC 6742 §2.3, §2.5).
    Ilnp64,
    /// A6 prefix length; selects the lengths of the next two fields (RFC 2874 §3.1).
    A6PrefixLen,
    /// A6 address suffix: `(128 - prefix length) / 8` octets rounded up; an
    /// IPv6 address in text, absent for prefix length 128.
    A6Suffix,
    /// A6 prefix name: present only when the prefix length is not 0.
    A6PrefixName,
    /// HIP HIT length, PK algorithm, PK length, HIT and public key (RFC 8005 §3, §4).
    Hip,
    /// Domain names up to the end, possibly none, not lowercased (HIP rendezvous servers).
    NameList,
    /// AMTRELAY discovery bit and relay type (two numbers in text); selects the relay form (RFC 8777 §4.2).
    AmtType,
    /// Base64 up to the end, or `-` for none (DOA data).
    Base64Dash,
    /// DSYNC scheme: a number or `NOTIFY`.
    DsyncScheme,
    /// ATMA address: format octet and address; hex (AESA) or `+digits` (E.164) in text.
    Atma,
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
const SIG_FIELDS: &[Field] = &[RrType, Alg, U8, U32, Time, Time, U16, Name(Lower), Base64];
const KEY_FIELDS: &[Field] = &[U16, U8, Alg, Base64Opt];
const ONE_NAME: &[Field] = &[Name(Compress)];
const TEXTS: &[Field] = &[CharStrs];

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
        code: 3,
        name: "MD",
        fields: ONE_NAME,
    },
    TypeInfo {
        code: 4,
        name: "MF",
        fields: ONE_NAME,
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
        code: 7,
        name: "MB",
        fields: ONE_NAME,
    },
    TypeInfo {
        code: 8,
        name: "MG",
        fields: ONE_NAME,
    },
    TypeInfo {
        code: 9,
        name: "MR",
        fields: ONE_NAME,
    },
    TypeInfo {
        code: 11,
        name: "WKS",
        fields: &[Ipv4, WksProtocol, WksBitmap],
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
        code: 14,
        name: "MINFO",
        fields: &[Name(Compress), Name(Compress)],
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
        code: 19,
        name: "X25",
        fields: &[CharStr],
    },
    TypeInfo {
        code: 20,
        name: "ISDN",
        fields: &[CharStr, CharStrOpt],
    },
    TypeInfo {
        code: 21,
        name: "RT",
        fields: &[U16, Name(Lower)],
    },
    TypeInfo {
        code: 22,
        name: "NSAP",
        fields: &[Nsap],
    },
    TypeInfo {
        code: 23,
        name: "NSAP-PTR",
        fields: &[Name(Plain)],
    },
    TypeInfo {
        code: 24,
        name: "SIG",
        fields: SIG_FIELDS,
    },
    TypeInfo {
        code: 25,
        name: "KEY",
        fields: KEY_FIELDS,
    },
    TypeInfo {
        code: 26,
        name: "PX",
        fields: &[U16, Name(Lower), Name(Lower)],
    },
    TypeInfo {
        code: 27,
        name: "GPOS",
        fields: &[CharStr, CharStr, CharStr],
    },
    TypeInfo {
        code: 28,
        name: "AAAA",
        fields: &[Ipv6],
    },
    TypeInfo {
        code: 29,
        name: "LOC",
        fields: &[Loc],
    },
    TypeInfo {
        code: 30,
        name: "NXT",
        fields: &[Name(Lower), NxtBitmap],
    },
    TypeInfo {
        code: 31,
        name: "EID",
        fields: &[Hex],
    },
    TypeInfo {
        code: 32,
        name: "NIMLOC",
        fields: &[Hex],
    },
    TypeInfo {
        code: 33,
        name: "SRV",
        fields: &[U16, U16, U16, Name(Lower)],
    },
    TypeInfo {
        code: 34,
        name: "ATMA",
        fields: &[Atma],
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
        code: 38,
        name: "A6",
        fields: &[A6PrefixLen, A6Suffix, A6PrefixName],
    },
    TypeInfo {
        code: 39,
        name: "DNAME",
        fields: &[Name(Lower)],
    },
    TypeInfo {
        code: 40,
        name: "SINK",
        fields: &[U8, U8, U8, Base64Opt],
    },
    TypeInfo {
        code: 42,
        name: "APL",
        fields: &[Apl],
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
        code: 46,
        name: "RRSIG",
        fields: SIG_FIELDS,
    },
    TypeInfo {
        code: 47,
        name: "NSEC",
        // An empty bitmap: NSD and Knot read it, BIND refuses it; we read it
        // (RFC 4034 §4.1.2 does not forbid it).
        fields: &[Name(Plain), TypeBitmap],
    },
    TypeInfo {
        code: 48,
        name: "DNSKEY",
        fields: DNSKEY_FIELDS,
    },
    TypeInfo {
        code: 49,
        name: "DHCID",
        fields: &[Base64],
    },
    TypeInfo {
        code: 50,
        name: "NSEC3",
        fields: &[U8, U8, U16, Salt, Base32Hash, TypeBitmap],
    },
    TypeInfo {
        code: 51,
        name: "NSEC3PARAM",
        fields: &[U8, U8, U16, Salt],
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
        code: 55,
        name: "HIP",
        fields: &[Hip, NameList],
    },
    TypeInfo {
        code: 56,
        name: "NINFO",
        fields: TEXTS,
    },
    TypeInfo {
        code: 57,
        name: "RKEY",
        fields: &[U16, U8, Alg, Base64],
    },
    TypeInfo {
        code: 58,
        name: "TALINK",
        fields: &[Name(Plain), Name(Plain)],
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
        code: 62,
        name: "CSYNC",
        fields: &[U32, U16, TypeBitmap],
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
        code: 66,
        name: "DSYNC",
        fields: &[RrType, DsyncScheme, U16, Name(Plain)],
    },
    TypeInfo {
        code: 67,
        name: "HHIT",
        fields: &[Base64],
    },
    TypeInfo {
        code: 68,
        name: "BRID",
        fields: &[Base64],
    },
    TypeInfo {
        code: 99,
        name: "SPF",
        fields: &[CharStrs],
    },
    TypeInfo {
        code: 104,
        name: "NID",
        fields: &[U16, Ilnp64],
    },
    TypeInfo {
        code: 105,
        name: "L32",
        fields: &[U16, Ipv4],
    },
    TypeInfo {
        code: 106,
        name: "L64",
        fields: &[U16, Ilnp64],
    },
    TypeInfo {
        code: 107,
        name: "LP",
        fields: &[U16, Name(Plain)],
    },
    TypeInfo {
        code: 108,
        name: "EUI48",
        fields: &[Eui48],
    },
    TypeInfo {
        code: 109,
        name: "EUI64",
        fields: &[Eui64],
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
    TypeInfo {
        code: 258,
        name: "AVC",
        fields: TEXTS,
    },
    TypeInfo {
        code: 259,
        name: "DOA",
        fields: &[U32, U32, U8, CharStr, Base64Dash],
    },
    TypeInfo {
        code: 260,
        name: "AMTRELAY",
        fields: &[U8, AmtType, Gateway],
    },
    TypeInfo {
        code: 261,
        name: "RESINFO",
        fields: TEXTS,
    },
    TypeInfo {
        code: 262,
        name: "WALLET",
        fields: TEXTS,
    },
    TypeInfo {
        code: 32768,
        name: "TA",
        fields: DS_FIELDS,
    },
    TypeInfo {
        code: 32769,
        name: "DLV",
        fields: DS_FIELDS,
    },
];

/// Mnemonics of types without a schema here, printed and parsed by name but
/// with RDATA in the generic form only.
static OTHER_MNEMONICS: &[(u16, &str)] = &[
    (41, "OPT"),
    (249, "TKEY"),
    (250, "TSIG"),
    (251, "IXFR"),
    (252, "AXFR"),
    (255, "ANY"),
];

/// Mnemonics read but never printed: Knot 3.2 does not know `NULL` (BIND
/// and NSD do), so it is printed `TYPE10` for every peer to load the file.
static READ_ONLY_MNEMONICS: &[(u16, &str)] = &[(10, "NULL")];

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
        .chain(READ_ONLY_MNEMONICS)
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

/// Walks the fields of `data`, calling `visit(field, byte range, selector)`
/// for each; fails unless the data is exactly the fields. The selector is
/// the value of the last selecting field (IPSECKEY gateway type, AMTRELAY
/// relay type, A6 prefix length) that decides the form of a later field.
pub(crate) fn walk(
    info: &TypeInfo,
    data: &[u8],
    mut visit: impl FnMut(Field, Range<usize>, u8),
) -> Result<(), RdataError> {
    let mut pos = 0;
    let mut selector = 0u8;
    for &field in info.fields {
        let rest = data.len() - pos;
        let len = match field {
            Name(_) => wire_name_len(data, pos).ok_or(if rest == 0 {
                RdataError::Truncated
            } else {
                RdataError::BadName
            })?,
            U8 | GatewayType | Alg | WksProtocol | DsyncScheme | AmtType => 1,
            A6PrefixLen => {
                let l = *data.get(pos).ok_or(RdataError::Truncated)?;
                if l > 128 {
                    return Err(RdataError::BadValue("A6 prefix length must be 0 to 128"));
                }
                1
            }
            U16 | CertType | RrType => 2,
            U32 | Period | Ipv4 | Time => 4,
            Eui48 => 6,
            Eui64 | Ilnp64 => 8,
            Ipv6 => 16,
            Loc => {
                if data.get(pos) != Some(&0) {
                    return Err(RdataError::BadValue("LOC version must be 0"));
                }
                let loc = data.get(pos..pos + 16).ok_or(RdataError::Truncated)?;
                // Mantissa 1 to 9 and exponent 0 to 9, or 0 for zero (RFC
                // 1876 §2); latitude and longitude within ±90° and ±180°:
                // BIND's checks, so that every accepted value prints.
                if loc[1..4]
                    .iter()
                    .any(|&b| b != 0 && (b >> 4 > 9 || b >> 4 == 0 || b & 0x0f > 9))
                {
                    return Err(RdataError::BadValue("LOC size or precision out of range"));
                }
                let angle = |i: usize| {
                    i64::from(u32::from_be_bytes([
                        loc[i],
                        loc[i + 1],
                        loc[i + 2],
                        loc[i + 3],
                    ])) - (1i64 << 31)
                };
                if angle(4).abs() > 90 * 3_600_000 || angle(8).abs() > 180 * 3_600_000 {
                    return Err(RdataError::BadValue(
                        "LOC latitude or longitude out of range",
                    ));
                }
                16
            }
            CharStr => 1 + usize::from(*data.get(pos).ok_or(RdataError::Truncated)?),
            CharStrOpt => {
                if rest == 0 {
                    0
                } else {
                    1 + usize::from(data[pos])
                }
            }
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
            Base64 | Hex | RawString | Nsap => {
                if rest == 0 && field != RawString {
                    return Err(RdataError::Truncated);
                }
                rest
            }
            Base64Opt | Base64Dash => rest,
            WksBitmap => {
                // Text cannot say "port bits that are all zero", so such
                // wire would not survive printing; BIND writes none.
                if data[pos..].last() == Some(&0) {
                    return Err(RdataError::BadValue("WKS bitmap has trailing zero octets"));
                }
                rest
            }
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
            Salt => 1 + usize::from(*data.get(pos).ok_or(RdataError::Truncated)?),
            Base32Hash => {
                let l = usize::from(*data.get(pos).ok_or(RdataError::Truncated)?);
                if l == 0 {
                    return Err(RdataError::BadValue(
                        "NSEC3 next hashed owner name is empty",
                    ));
                }
                1 + l
            }
            TypeBitmap => {
                super::special::validate_type_bitmap(&data[pos..])?;
                rest
            }
            NxtBitmap => {
                if rest == 0 {
                    // The NXT bit itself is always set (RFC 2535 §5.2).
                    return Err(RdataError::BadValue("NXT bitmap is empty"));
                }
                if data[pos..].last() == Some(&0) {
                    return Err(RdataError::BadValue("NXT bitmap has trailing zero octets"));
                }
                if rest > 16 {
                    return Err(RdataError::BadValue("NXT bitmap longer than 16 octets"));
                }
                rest
            }
            Apl => {
                super::special::validate_apl(&data[pos..])?;
                rest
            }
            Atma => {
                super::special::validate_atma(&data[pos..])?;
                rest
            }
            A6Suffix => {
                let len = usize::from(128 - selector.min(128)).div_ceil(8);
                let pad = selector % 8;
                // The bits of the first octet that belong to the prefix
                // must be zero (RFC 2874 §3.1.1).
                if len > 0 && pad != 0 && data.get(pos).is_some_and(|&b| b & !(0xff >> pad) != 0) {
                    return Err(RdataError::BadValue("A6 suffix has bits inside the prefix"));
                }
                len
            }
            A6PrefixName => {
                if selector == 0 {
                    0
                } else {
                    wire_name_len(data, pos).ok_or(RdataError::BadName)?
                }
            }
            Hip => super::special::hip_len(&data[pos..])?,
            NameList => {
                let mut p = pos;
                while p < data.len() {
                    p += wire_name_len(data, p).ok_or(RdataError::BadName)?;
                }
                rest
            }
            Gateway => match selector {
                0 => 0,
                1 => 4,
                2 => 16,
                3 => wire_name_len(data, pos).ok_or(RdataError::BadName)?,
                _ => return Err(RdataError::BadValue("gateway or relay type must be 0 to 3")),
            },
            SvcParams => {
                super::svcb::validate_params(&data[pos..])?;
                rest
            }
        };
        if len > rest {
            return Err(RdataError::Truncated);
        }
        match field {
            GatewayType | A6PrefixLen => selector = data[pos],
            AmtType => selector = data[pos] & 0x7f,
            _ => {}
        }
        visit(field, pos..pos + len, selector);
        pos += len;
    }
    if pos != data.len() {
        return Err(RdataError::TrailingData);
    }
    Ok(())
}

/// Whether the canonical form lowercases the names of this field.
fn lowered(field: Field) -> bool {
    matches!(field, Name(Compress | Lower) | A6PrefixName)
}

/// The canonical form of RDATA (RFC 4034 §6.2, RFC 6840 §5.1).
pub(crate) fn canonical(rtype: RecordType, data: &[u8]) -> Cow<'_, [u8]> {
    let Some(info) = info(u16::from(rtype)) else {
        return Cow::Borrowed(data);
    };
    let lowered_fields = info.fields.iter().any(|&f| lowered(f));
    if !lowered_fields || !data.iter().any(u8::is_ascii_uppercase) {
        return Cow::Borrowed(data);
    }
    let mut out = data.to_vec();
    // Invalid data cannot reach here through `Rdata`; leave it as it is.
    let _ = walk(info, data, |field, range, _| {
        if lowered(field) {
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
