//! Fields with a presentation grammar of their own: LOC (RFC 1876), APL
//! (RFC 3123), WKS (RFC 1035 §3.4.2), type bitmaps (RFC 4034 §4.1.2,
//! RFC 2535 §5.2), signature times (RFC 4034 §3.2), NSEC3 salt and hash
//! (RFC 5155 §3.3), NSAP (RFC 1706), ATMA, EUI-48/64 (RFC 7043), ILNP
//! (RFC 6742), A6 (RFC 2874), HIP (RFC 8005) and AMTRELAY (RFC 8777).
//!
//! Each field has a parser (text to wire, on [`RdataText`]), a printer
//! (wire to text) and, where the schema walk needs it, a validator. The
//! printers only see data the validators accepted.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::net::{Ipv4Addr, Ipv6Addr};

use data_encoding::{BASE32_DNSSEC, BASE64, HEXLOWER, HEXLOWER_PERMISSIVE, HEXUPPER};

use super::schema::{parse_u16_strict, type_from_mnemonic, type_mnemonic};
use super::text::{expected, ipv4, ipv6, parse_uint, RdataText};
use super::RdataError;
use crate::parser::error::ParseError;
use crate::parser::lexer::TokenKind;
use hickory_proto::rr::RecordType;

// ---------------------------------------------------------------------------
// Type bitmaps

/// Checks an NSEC-style type bitmap: windows in increasing order, each 1 to
/// 32 octets without trailing zero octets (RFC 4034 §4.1.2).
pub(crate) fn validate_type_bitmap(data: &[u8]) -> Result<(), RdataError> {
    let mut p = 0;
    let mut last_window: Option<u8> = None;
    while p < data.len() {
        let window = data[p];
        let len = usize::from(*data.get(p + 1).ok_or(RdataError::Truncated)?);
        if last_window.is_some_and(|w| w >= window) {
            return Err(RdataError::BadValue(
                "type bitmap windows out of order or repeated",
            ));
        }
        if len == 0 || len > 32 {
            return Err(RdataError::BadValue(
                "type bitmap window length must be 1 to 32",
            ));
        }
        let bits = data.get(p + 2..p + 2 + len).ok_or(RdataError::Truncated)?;
        if bits[len - 1] == 0 {
            return Err(RdataError::BadValue(
                "type bitmap window with trailing zero octets",
            ));
        }
        last_window = Some(window);
        p += 2 + len;
    }
    Ok(())
}

/// The types of an NSEC-style bitmap, in increasing order.
fn bitmap_types(data: &[u8]) -> Vec<u16> {
    let mut types = Vec::new();
    let mut p = 0;
    while p + 1 < data.len() {
        let window = u16::from(data[p]);
        let len = usize::from(data[p + 1]);
        for (i, &b) in data[p + 2..(p + 2 + len).min(data.len())]
            .iter()
            .enumerate()
        {
            for bit in 0..8 {
                if b & (0x80 >> bit) != 0 {
                    types.push(window * 256 + (i as u16) * 8 + bit);
                }
            }
        }
        p += 2 + len;
    }
    types
}

fn encode_type_bitmap(types: &mut [u16], out: &mut Vec<u8>) {
    types.sort_unstable();
    let mut i = 0;
    while i < types.len() {
        let window = types[i] >> 8;
        let mut bits = [0u8; 32];
        let mut len = 0;
        while i < types.len() && types[i] >> 8 == window {
            let low = usize::from(types[i] & 0xff);
            bits[low / 8] |= 0x80 >> (low % 8);
            len = low / 8 + 1;
            i += 1;
        }
        out.push(window as u8);
        out.push(len as u8);
        out.extend_from_slice(&bits[..len]);
    }
}

fn write_types(out: &mut String, types: impl IntoIterator<Item = u16>) {
    for (i, t) in types.into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&type_mnemonic(RecordType::from(t)));
    }
}

pub(crate) fn print_type_bitmap(out: &mut String, data: &[u8]) {
    write_types(out, bitmap_types(data));
}

/// The types of an NXT bitmap (bit n of the plain bitmap is type n).
fn nxt_types(data: &[u8]) -> impl Iterator<Item = u16> + '_ {
    (0..data.len() * 8)
        .filter(|&t| data[t / 8] & (0x80 >> (t % 8)) != 0)
        .map(|t| t as u16)
}

pub(crate) fn print_nxt_bitmap(out: &mut String, data: &[u8]) {
    write_types(out, nxt_types(data));
}

/// A type mnemonic, `TYPEnnn`, or (as BIND's DSYNC parser allows) a number.
fn rr_type(text: &[u8]) -> Option<u16> {
    type_from_mnemonic(text)
        .map(u16::from)
        .or_else(|| parse_u16_strict(text))
}

// ---------------------------------------------------------------------------
// Signature times (RFC 4034 §3.2)

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYYMMDDHHmmSS` (UTC, modulo 2^32 as RFC 4034 §3.2 says) or seconds.
fn parse_time(text: &[u8]) -> Option<u32> {
    if text.len() != 14 {
        return parse_uint(text, u64::from(u32::MAX)).map(|v| v as u32);
    }
    let n = |r: core::ops::Range<usize>| parse_uint(&text[r], 9999).map(|v| v as u32);
    let (y, mo, d, h, mi, s) = (
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(8..10)?,
        n(10..12)?,
        n(12..14)?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if y < 1970 || !(1..=12).contains(&mo) || d == 0 || d > month_days[mo as usize - 1] {
        return None;
    }
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let secs = days_from_civil(i64::from(y), mo, d) * 86_400
        + i64::from(h) * 3600
        + i64::from(mi) * 60
        + i64::from(s);
    Some(secs as u64 as u32)
}

pub(crate) fn print_time(out: &mut String, v: u32) {
    let v = i64::from(v);
    let (y, m, d) = civil_from_days(v / 86_400);
    let s = v % 86_400;
    let _ = write!(
        out,
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
}

// ---------------------------------------------------------------------------
// LOC (RFC 1876)

/// 2^31: the equator and the prime meridian (RFC 1876 §2).
const LOC_EQUATOR: u32 = 1 << 31;
/// 100 000 m below the WGS 84 spheroid, in cm: altitude 0 (RFC 1876 §2).
const LOC_ALTITUDE_BASE: i64 = 10_000_000;
const POWERS_OF_TEN: [u64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// `[-]metres[.cm][m]` in centimetres; at most two decimals.
fn parse_metres(text: &[u8], negative_ok: bool) -> Option<i64> {
    let text = text.strip_suffix(b"m").unwrap_or(text);
    let (neg, text) = match text.strip_prefix(b"-") {
        Some(t) if negative_ok => (true, t),
        Some(_) => return None,
        None => (false, text),
    };
    let (whole, frac) = match text.iter().position(|&b| b == b'.') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, &b""[..]),
    };
    if frac.len() > 2 || (whole.is_empty() && frac.is_empty()) {
        return None;
    }
    let whole = if whole.is_empty() {
        0
    } else {
        parse_uint(whole, 100_000_000)?
    };
    let mut cm = 0;
    for (i, &d) in frac.iter().enumerate() {
        if !d.is_ascii_digit() {
            return None;
        }
        cm += u64::from(d - b'0') * if i == 0 { 10 } else { 1 };
    }
    let v = (whole * 100 + cm) as i64;
    Some(if neg { -v } else { v })
}

/// A size or precision in cm as RFC 1876's mantissa/exponent octet
/// (the reference `precsize_aton`: the mantissa is truncated).
fn encode_precision(cm: u64) -> Option<u8> {
    let exponent = (0..10).find(|&e| e == 9 || cm < POWERS_OF_TEN[e + 1])?;
    let mantissa = cm / POWERS_OF_TEN[exponent];
    if mantissa > 9 {
        return None;
    }
    Some(((mantissa as u8) << 4) | exponent as u8)
}

fn write_cm(out: &mut String, cm: i64) {
    let sign = if cm < 0 { "-" } else { "" };
    let a = cm.unsigned_abs();
    let _ = write!(out, "{sign}{}.{:02}m", a / 100, a % 100);
}

fn write_precision(out: &mut String, b: u8) {
    write_cm(
        out,
        (u64::from(b >> 4) * POWERS_OF_TEN[usize::from(b & 0x0f)]) as i64,
    );
}

fn write_angle(out: &mut String, v: u32, pos: char, neg: char) {
    let (hemisphere, a) = if v >= LOC_EQUATOR {
        (pos, v - LOC_EQUATOR)
    } else {
        (neg, LOC_EQUATOR - v)
    };
    let ms = a % 1000;
    let s = a / 1000;
    let _ = write!(
        out,
        "{} {} {}.{ms:03} {hemisphere}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
}

pub(crate) fn print_loc(out: &mut String, b: &[u8]) {
    let be32 = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    write_angle(out, be32(4), 'N', 'S');
    out.push(' ');
    write_angle(out, be32(8), 'E', 'W');
    out.push(' ');
    write_cm(out, i64::from(be32(12)) - LOC_ALTITUDE_BASE);
    for &p in &b[1..4] {
        out.push(' ');
        write_precision(out, p);
    }
}

// ---------------------------------------------------------------------------
// APL (RFC 3123)

pub(crate) fn validate_apl(data: &[u8]) -> Result<(), RdataError> {
    let mut p = 0;
    while p < data.len() {
        let head = data.get(p..p + 4).ok_or(RdataError::Truncated)?;
        let family = u16::from_be_bytes([head[0], head[1]]);
        let (prefix, len) = (head[2], usize::from(head[3] & 0x7f));
        let max = match family {
            1 => (32, 4),
            2 => (128, 16),
            _ => return Err(RdataError::BadValue("APL address family must be 1 or 2")),
        };
        if prefix > max.0 || len > max.1 {
            return Err(RdataError::BadValue(
                "APL prefix or address longer than the family allows",
            ));
        }
        let afd = data.get(p + 4..p + 4 + len).ok_or(RdataError::Truncated)?;
        if afd.last() == Some(&0) {
            return Err(RdataError::BadValue(
                "APL address with trailing zero octets (RFC 3123 §4)",
            ));
        }
        p += 4 + len;
    }
    Ok(())
}

pub(crate) fn print_apl(out: &mut String, data: &[u8]) {
    let mut p = 0;
    while p + 4 <= data.len() {
        let family = u16::from_be_bytes([data[p], data[p + 1]]);
        let len = usize::from(data[p + 3] & 0x7f);
        if p > 0 {
            out.push(' ');
        }
        if data[p + 3] & 0x80 != 0 {
            out.push('!');
        }
        let afd = &data[p + 4..p + 4 + len];
        let mut addr = [0u8; 16];
        addr[..len].copy_from_slice(afd);
        let _ = if family == 1 {
            write!(
                out,
                "1:{}/{}",
                Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]),
                data[p + 2]
            )
        } else {
            write!(out, "2:{}/{}", Ipv6Addr::from(addr), data[p + 2])
        };
        p += 4 + len;
    }
}

// ---------------------------------------------------------------------------
// WKS (RFC 1035 §3.4.2)

/// Service names BIND and NSD find in a Debian `/etc/services` (the usual
/// ones); any port may be written as a number.
static SERVICES: &[(&str, u16)] = &[
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("time", 37),
    ("whois", 43),
    ("domain", 53),
    ("gopher", 70),
    ("finger", 79),
    ("http", 80),
    ("www", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("sunrpc", 111),
    ("auth", 113),
    ("nntp", 119),
    ("ntp", 123),
    ("imap2", 143),
    ("imap", 143),
    ("snmp", 161),
    ("ldap", 389),
    ("https", 443),
    ("submission", 587),
    ("ldaps", 636),
    ("domain-s", 853),
    ("imaps", 993),
    ("pop3s", 995),
];

fn wks_protocol(text: &[u8]) -> Option<u8> {
    if text.eq_ignore_ascii_case(b"tcp") {
        Some(6)
    } else if text.eq_ignore_ascii_case(b"udp") {
        Some(17)
    } else {
        parse_uint(text, 255).map(|v| v as u8)
    }
}

pub(crate) fn print_wks_bitmap(out: &mut String, data: &[u8]) {
    write_list(out, nxt_types(data));
}

fn write_list(out: &mut String, items: impl IntoIterator<Item = u16>) {
    for (i, v) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{v}");
    }
}

/// Sets bit `n` of a plain bitmap (WKS ports, NXT types), growing it.
fn set_bit(bits: &mut Vec<u8>, n: usize) {
    if bits.len() <= n / 8 {
        bits.resize(n / 8 + 1, 0);
    }
    bits[n / 8] |= 0x80 >> (n % 8);
}

// ---------------------------------------------------------------------------
// ATMA (ATM Forum af-dans-0152.000)

pub(crate) fn validate_atma(data: &[u8]) -> Result<(), RdataError> {
    match data.split_first() {
        None | Some((_, [])) => Err(RdataError::Truncated),
        Some((0, _)) => Ok(()),
        Some((1, digits)) if digits.iter().all(u8::is_ascii_digit) => Ok(()),
        Some((1, _)) => Err(RdataError::BadValue("ATMA E.164 address must be digits")),
        Some(_) => Err(RdataError::BadValue(
            "ATMA format must be 0 (AESA) or 1 (E.164)",
        )),
    }
}

pub(crate) fn print_atma(out: &mut String, data: &[u8]) {
    if data[0] == 1 {
        out.push('+');
        out.extend(data[1..].iter().map(|&b| char::from(b)));
    } else {
        out.push_str(&HEXLOWER.encode(&data[1..]));
    }
}

// ---------------------------------------------------------------------------
// HIP (RFC 8005 §3)

/// The length of the HIT length, PK algorithm, PK length, HIT and public
/// key fields.
pub(crate) fn hip_len(data: &[u8]) -> Result<usize, RdataError> {
    let head = data.get(..4).ok_or(RdataError::Truncated)?;
    let hit = usize::from(head[0]);
    let pk = usize::from(u16::from_be_bytes([head[2], head[3]]));
    if hit == 0 {
        return Err(RdataError::BadValue("HIP HIT is empty"));
    }
    let len = 4 + hit + pk;
    if len > data.len() {
        return Err(RdataError::Truncated);
    }
    Ok(len)
}

pub(crate) fn print_hip(out: &mut String, b: &[u8]) {
    let hit = usize::from(b[0]);
    let _ = write!(out, "{} {}", b[1], HEXUPPER.encode(&b[4..4 + hit]));
    if b.len() > 4 + hit {
        out.push(' ');
        out.push_str(&BASE64.encode(&b[4 + hit..]));
    }
}

// ---------------------------------------------------------------------------
// Printing of the small fields

pub(crate) fn print_eui(out: &mut String, b: &[u8]) {
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        let _ = write!(out, "{x:02x}");
    }
}

pub(crate) fn print_ilnp64(out: &mut String, b: &[u8]) {
    for i in 0..4 {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{:02x}{:02x}", b[2 * i], b[2 * i + 1]);
    }
}

pub(crate) fn print_nsap(out: &mut String, b: &[u8]) {
    out.push_str("0x");
    out.push_str(&HEXLOWER.encode(b));
}

pub(crate) fn print_salt(out: &mut String, b: &[u8]) {
    if b.len() <= 1 {
        out.push('-');
    } else {
        out.push_str(&HEXUPPER.encode(&b[1..]));
    }
}

pub(crate) fn print_base32_hash(out: &mut String, b: &[u8]) {
    out.push_str(&BASE32_DNSSEC.encode(&b[1..]).to_ascii_uppercase());
}

pub(crate) fn print_a6_suffix(out: &mut String, b: &[u8]) {
    if b.is_empty() {
        // Prefix length 128: no suffix, and no token for it (as BIND).
        return;
    }
    let mut addr = [0u8; 16];
    addr[16 - b.len()..].copy_from_slice(b);
    let _ = write!(out, "{}", Ipv6Addr::from(addr));
}

pub(crate) fn print_amt_type(out: &mut String, b: u8) {
    let _ = write!(out, "{} {}", b >> 7, b & 0x7f);
}

pub(crate) fn print_dsync_scheme(out: &mut String, b: u8) {
    if b == 1 {
        out.push_str("NOTIFY");
    } else {
        let _ = write!(out, "{b}");
    }
}

pub(crate) fn print_rr_type(out: &mut String, b: &[u8]) {
    out.push_str(&type_mnemonic(RecordType::from(u16::from_be_bytes([
        b[0], b[1],
    ]))));
}

pub(crate) fn print_base64_dash(out: &mut String, b: &[u8]) {
    if b.is_empty() {
        out.push('-');
    } else {
        out.push_str(&BASE64.encode(b));
    }
}

// ---------------------------------------------------------------------------
// Parsing

/// Decodes `len` hex digit pairs separated by `sep` (EUI-48/64).
fn parse_eui(text: &[u8], n: usize, out: &mut Vec<u8>) -> Option<()> {
    if text.len() != n * 3 - 1 {
        return None;
    }
    for (i, group) in text.split(|&b| b == b'-').enumerate() {
        if i >= n || group.len() != 2 {
            return None;
        }
        out.extend_from_slice(&HEXLOWER_PERMISSIVE.decode(group).ok()?);
    }
    Some(())
}

/// Four groups of one to four hex digits separated by `:` (RFC 6742 §2.3).
fn parse_ilnp64(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let groups: Vec<&[u8]> = text.split(|&b| b == b':').collect();
    if groups.len() != 4 {
        return None;
    }
    for g in groups {
        if g.is_empty() || g.len() > 4 || !g.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let v = g.iter().fold(0u16, |acc, &d| {
            acc * 16 + (char::from(d).to_digit(16).expect("hex digit") as u16)
        });
        out.extend_from_slice(&v.to_be_bytes());
    }
    Some(())
}

/// `0x` and hex digits, `.` allowed between them (RFC 1706 §5).
fn parse_nsap(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let digits = text
        .strip_prefix(b"0x")
        .or_else(|| text.strip_prefix(b"0X"))?;
    let hex: Vec<u8> = digits.iter().copied().filter(|&b| b != b'.').collect();
    if hex.is_empty() {
        return None;
    }
    out.extend_from_slice(&HEXLOWER_PERMISSIVE.decode(&hex).ok()?);
    Some(())
}

const LATITUDE: &str = "a LOC latitude: degrees (0-90) [minutes [seconds]] N or S";
const LONGITUDE: &str = "a LOC longitude: degrees (0-180) [minutes [seconds]] E or W";
const ALTITUDE: &str = "a LOC altitude in metres (-100000.00 to 42849672.95, optional m)";
const PRECISION: &str = "a LOC size or precision in metres (0 to 90000000.00, optional m)";

impl RdataText<'_, '_> {
    /// The degrees, minutes and seconds of a LOC latitude or longitude, as
    /// the RFC 1876 32-bit value.
    fn loc_angle(
        &mut self,
        max_degrees: u64,
        what: &'static str,
        hemispheres: [u8; 2],
    ) -> Result<u32, ParseError> {
        let first = self.word(what)?;
        let degrees =
            parse_uint(first.text(), max_degrees).ok_or_else(|| expected(&first, what))?;
        let mut minutes = 0;
        let mut thousandths = 0;
        let mut t = self.word(what)?;
        if let Some(m) = parse_uint(t.text(), 59) {
            minutes = m;
            t = self.word(what)?;
            if t.text().first().is_some_and(u8::is_ascii_digit) {
                let text = t.text();
                let (s, frac) = match text.iter().position(|&b| b == b'.') {
                    Some(i) => (&text[..i], &text[i + 1..]),
                    None => (text, &b""[..]),
                };
                let secs = parse_uint(s, 59).ok_or_else(|| expected(&t, what))?;
                if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
                    return Err(expected(&t, what));
                }
                let mut ms = 0;
                for i in 0..3 {
                    ms = ms * 10 + frac.get(i).map_or(0, |d| u64::from(d - b'0'));
                }
                thousandths = secs * 1000 + ms;
                t = self.word(what)?;
            }
        }
        let value = (degrees * 3600 + minutes * 60) * 1000 + thousandths;
        if value > max_degrees * 3_600_000 {
            return Err(expected(&first, what));
        }
        let value = value as u32;
        match t.text() {
            [h] if h.eq_ignore_ascii_case(&hemispheres[0]) => Ok(LOC_EQUATOR + value),
            [h] if h.eq_ignore_ascii_case(&hemispheres[1]) => Ok(LOC_EQUATOR - value),
            _ => Err(expected(&t, what)),
        }
    }

    /// LOC (RFC 1876 §3): latitude, longitude, altitude, then optional size
    /// (default 1 m), horizontal (10 km) and vertical (10 m) precision.
    pub(crate) fn loc(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let latitude = self.loc_angle(90, LATITUDE, [b'N', b'S'])?;
        let longitude = self.loc_angle(180, LONGITUDE, [b'E', b'W'])?;
        let t = self.word(ALTITUDE)?;
        let altitude = parse_metres(t.text(), true)
            .map(|cm| cm + LOC_ALTITUDE_BASE)
            .filter(|&v| (0..=i64::from(u32::MAX)).contains(&v))
            .ok_or_else(|| expected(&t, ALTITUDE))?;
        // size 1 m, horizontal precision 10 000 m, vertical precision 10 m
        let mut precision = [0x12u8, 0x16, 0x13];
        for p in &mut precision {
            if self.lx.peek()?.is_end() {
                break;
            }
            let t = self.word(PRECISION)?;
            // Above 90000000.00 m the octet cannot hold it: refused, as
            // BIND and Knot refuse it, not truncated.
            *p = parse_metres(t.text(), false)
                .filter(|&cm| (0..=9_000_000_000).contains(&cm))
                .and_then(|cm| encode_precision(cm as u64))
                .ok_or_else(|| expected(&t, PRECISION))?;
        }
        out.push(0);
        out.extend_from_slice(&precision);
        out.extend_from_slice(&latitude.to_be_bytes());
        out.extend_from_slice(&longitude.to_be_bytes());
        out.extend_from_slice(&(altitude as u32).to_be_bytes());
        Ok(())
    }

    /// APL items up to the end of the line: `[!]family:address/prefix`.
    pub(crate) fn apl(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        const WHAT: &str = "an APL item ([!]1:IPv4/prefix or [!]2:IPv6/prefix)";
        while !self.lx.peek()?.is_end() {
            let t = self.word(WHAT)?;
            let bad = || expected(&t, WHAT);
            let text = t.text();
            let (negated, text) = match text.strip_prefix(b"!") {
                Some(rest) => (true, rest),
                None => (false, text),
            };
            let colon = text.iter().position(|&b| b == b':').ok_or_else(bad)?;
            let slash = text.iter().rposition(|&b| b == b'/').ok_or_else(bad)?;
            if slash < colon {
                return Err(bad());
            }
            let family = parse_uint(&text[..colon], 65_535).ok_or_else(bad)? as u16;
            let address = &text[colon + 1..slash];
            let (bytes, max): (Vec<u8>, u64) = match family {
                1 => (ipv4(address).ok_or_else(bad)?.octets().to_vec(), 32),
                2 => (ipv6(address).ok_or_else(bad)?.octets().to_vec(), 128),
                _ => return Err(bad()),
            };
            let prefix = parse_uint(&text[slash + 1..], max).ok_or_else(bad)? as u8;
            let len = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            out.extend_from_slice(&family.to_be_bytes());
            out.push(prefix);
            out.push(len as u8 | if negated { 0x80 } else { 0 });
            out.extend_from_slice(&bytes[..len]);
        }
        Ok(())
    }

    /// WKS services up to the end of the line: port numbers or names.
    pub(crate) fn wks_bitmap(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        const WHAT: &str = "a WKS service (a port number or a service name)";
        let mut bits = Vec::new();
        while !self.lx.peek()?.is_end() {
            let t = self.word(WHAT)?;
            let port = parse_uint(t.text(), 65_535)
                .map(|v| v as u16)
                .or_else(|| {
                    SERVICES
                        .iter()
                        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(t.text()))
                        .map(|(_, p)| *p)
                })
                .ok_or_else(|| expected(&t, WHAT))?;
            set_bit(&mut bits, usize::from(port));
        }
        out.extend_from_slice(&bits);
        Ok(())
    }

    /// An NSEC-style type bitmap (`mnemonic` or `TYPEnnn` words), possibly
    /// empty, or an NXT bitmap (types up to 127).
    pub(crate) fn type_bitmap(
        &mut self,
        nxt: bool,
        non_empty: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), ParseError> {
        let what = if nxt {
            "a record type from 1 to 127 (NXT bitmap)"
        } else {
            "a record type (mnemonic or TYPEnnn)"
        };
        if non_empty && self.lx.peek()?.is_end() {
            let t = self.lx.peek()?;
            return Err(expected(&t, "at least one record type in the NXT bitmap"));
        }
        let mut types = Vec::new();
        while !self.lx.peek()?.is_end() {
            let t = self.word(what)?;
            let code = type_from_mnemonic(t.text())
                .map(u16::from)
                .filter(|&c| !nxt || c <= 127)
                .ok_or_else(|| expected(&t, what))?;
            types.push(code);
        }
        if nxt {
            let mut bits = Vec::new();
            for t in types {
                set_bit(&mut bits, usize::from(t));
            }
            out.extend_from_slice(&bits);
        } else {
            encode_type_bitmap(&mut types, out);
        }
        Ok(())
    }

    /// The fields with a grammar of their own that take one token or a
    /// fixed number of tokens.
    pub(crate) fn special(
        &mut self,
        field: super::schema::Field,
        selector: &mut u8,
        out: &mut Vec<u8>,
    ) -> Result<(), ParseError> {
        use super::schema::Field as F;
        match field {
            F::CharStrOpt => {
                if !self.lx.peek()?.is_end() {
                    let t = self.word_or_quoted("a character string")?;
                    self.char_string(&t, out)?;
                }
            }
            F::RrType => {
                const WHAT: &str = "a record type (mnemonic or TYPEnnn)";
                let t = self.word(WHAT)?;
                let v = rr_type(t.text()).ok_or_else(|| expected(&t, WHAT))?;
                out.extend_from_slice(&v.to_be_bytes());
            }
            F::Time => {
                const WHAT: &str = "a signature time (YYYYMMDDHHmmSS or seconds since 1970)";
                let t = self.word(WHAT)?;
                let v = parse_time(t.text()).ok_or_else(|| expected(&t, WHAT))?;
                out.extend_from_slice(&v.to_be_bytes());
            }
            F::TypeBitmap => self.type_bitmap(false, false, out)?,
            F::NxtBitmap => self.type_bitmap(true, true, out)?,
            F::Salt => {
                const WHAT: &str = "an NSEC3 salt (hex, or - for none)";
                let t = self.word(WHAT)?;
                if t.text() == b"-" {
                    out.push(0);
                } else {
                    let salt = HEXLOWER_PERMISSIVE
                        .decode(t.text())
                        .ok()
                        .filter(|s| !s.is_empty() && s.len() <= 255)
                        .ok_or_else(|| expected(&t, WHAT))?;
                    out.push(salt.len() as u8);
                    out.extend_from_slice(&salt);
                }
            }
            F::Base32Hash => {
                const WHAT: &str = "an NSEC3 next hashed owner name (base32hex)";
                let t = self.word(WHAT)?;
                let hash = BASE32_DNSSEC
                    .decode(t.text())
                    .ok()
                    .filter(|s| !s.is_empty() && s.len() <= 255)
                    .ok_or_else(|| expected(&t, WHAT))?;
                out.push(hash.len() as u8);
                out.extend_from_slice(&hash);
            }
            F::Loc => self.loc(out)?,
            F::Apl => self.apl(out)?,
            F::WksProtocol => {
                const WHAT: &str = "a WKS protocol (a number, tcp or udp)";
                let t = self.word(WHAT)?;
                out.push(wks_protocol(t.text()).ok_or_else(|| expected(&t, WHAT))?);
            }
            F::WksBitmap => self.wks_bitmap(out)?,
            F::Nsap => {
                const WHAT: &str = "an NSAP address (0x and hex digits, dots allowed)";
                let t = self.word(WHAT)?;
                parse_nsap(t.text(), out).ok_or_else(|| expected(&t, WHAT))?;
            }
            F::Eui48 | F::Eui64 => {
                let (n, what) = if field == F::Eui48 {
                    (6, "an EUI-48 address (xx-xx-xx-xx-xx-xx)")
                } else {
                    (8, "an EUI-64 address (xx-xx-xx-xx-xx-xx-xx-xx)")
                };
                let t = self.word(what)?;
                parse_eui(t.text(), n, out).ok_or_else(|| expected(&t, what))?;
            }
            F::Ilnp64 => {
                const WHAT: &str =
                    "a 64-bit ILNP value (four 16-bit hex groups, xxxx:xxxx:xxxx:xxxx)";
                let t = self.word(WHAT)?;
                parse_ilnp64(t.text(), out).ok_or_else(|| expected(&t, WHAT))?;
            }
            F::A6PrefixLen => {
                let v = self.number(128, "an A6 prefix length from 0 to 128")? as u8;
                *selector = v;
                out.push(v);
            }
            F::A6Suffix => {
                const WHAT: &str = "an A6 address suffix (an IPv6 address)";
                if *selector == 128 {
                    // No suffix at all (RFC 2874 §3.1.1); BIND reads no token.
                    return Ok(());
                }
                let t = self.word(WHAT)?;
                let addr = ipv6(t.text()).ok_or_else(|| expected(&t, WHAT))?.octets();
                let plen = usize::from(*selector);
                let n = (128 - plen).div_ceil(8);
                let mut suffix = addr[16 - n..].to_vec();
                if plen % 8 != 0 {
                    // The bits of the prefix are not part of the suffix
                    // (RFC 2874 §3.1.1); BIND keeps only the suffix bits.
                    suffix[0] &= 0xff >> (plen % 8);
                }
                out.extend_from_slice(&suffix);
            }
            F::A6PrefixName => {
                if *selector != 0 {
                    let t = self.word("an A6 prefix name")?;
                    self.name(&t, out)?;
                }
            }
            F::Hip => {
                let alg = self.number(255, "a HIP public key algorithm from 0 to 255")? as u8;
                let t = self.word("a HIP HIT in hex")?;
                let hit = HEXLOWER_PERMISSIVE
                    .decode(t.text())
                    .ok()
                    .filter(|h| !h.is_empty() && h.len() <= 255)
                    .ok_or_else(|| expected(&t, "a HIP HIT in hex (1 to 255 octets)"))?;
                let t = self.word("a HIP public key in base64")?;
                let key = BASE64
                    .decode(t.text())
                    .ok()
                    .filter(|k| k.len() <= 65_535)
                    .ok_or_else(|| expected(&t, "a HIP public key in base64"))?;
                out.push(hit.len() as u8);
                out.push(alg);
                out.extend_from_slice(&(key.len() as u16).to_be_bytes());
                out.extend_from_slice(&hit);
                out.extend_from_slice(&key);
            }
            F::NameList => {
                while !self.lx.peek()?.is_end() {
                    let t = self.word("a rendezvous server name")?;
                    self.name(&t, out)?;
                }
            }
            F::AmtType => {
                let d = self.number(1, "an AMTRELAY discovery optional bit (0 or 1)")? as u8;
                let ty = self.number(127, "an AMTRELAY relay type from 0 to 127")? as u8;
                *selector = ty;
                out.push(d << 7 | ty);
            }
            F::Base64Dash => {
                if self.lx.peek()?.kind == TokenKind::Word(b"-") {
                    self.lx.next_token()?;
                } else {
                    let first = self.rest_words("base64 data or -", true)?;
                    let decoded = BASE64
                        .decode(self.scratch)
                        .map_err(|_| expected(&first, "base64 data or -"))?;
                    out.extend_from_slice(&decoded);
                }
            }
            F::DsyncScheme => {
                const WHAT: &str = "a DSYNC scheme (NOTIFY or a number from 0 to 255)";
                let t = self.word(WHAT)?;
                let v = if t.text().eq_ignore_ascii_case(b"NOTIFY") {
                    Some(1)
                } else {
                    parse_uint(t.text(), 255).map(|v| v as u8)
                };
                out.push(v.ok_or_else(|| expected(&t, WHAT))?);
            }
            F::Atma => {
                const WHAT: &str = "an ATM address (hex digits for AESA, +digits for E.164)";
                let t = self.word(WHAT)?;
                let text = t.text();
                if let Some(digits) = text.strip_prefix(b"+") {
                    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                        return Err(expected(&t, WHAT));
                    }
                    out.push(1);
                    out.extend_from_slice(digits);
                } else {
                    let hex: Vec<u8> = text.iter().copied().filter(|&b| b != b'.').collect();
                    let bytes = HEXLOWER_PERMISSIVE
                        .decode(&hex)
                        .ok()
                        .filter(|b| !b.is_empty())
                        .ok_or_else(|| expected(&t, WHAT))?;
                    out.push(0);
                    out.extend_from_slice(&bytes);
                }
            }
            _ => unreachable!("not a special field"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        assert_eq!(parse_time(b"19700101000000"), Some(0));
        assert_eq!(parse_time(b"20260229000000"), None);
        assert_eq!(parse_time(b"20240229120000"), Some(1_709_208_000));
        let mut s = String::new();
        print_time(&mut s, 1_709_208_000);
        assert_eq!(s, "20240229120000");
        assert_eq!(parse_time(b"21060207062815"), Some(u32::MAX));
        assert_eq!(parse_time(b"12345"), Some(12345));
    }

    #[test]
    fn precision_encoding() {
        assert_eq!(encode_precision(100), Some(0x12));
        assert_eq!(encode_precision(1_000_000), Some(0x16));
        assert_eq!(encode_precision(0), Some(0x00));
        assert_eq!(encode_precision(9_000_000_000), Some(0x99));
        assert_eq!(encode_precision(10_000_000_000), None);
    }
}
