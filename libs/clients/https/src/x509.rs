//! The few fields of an X.509 certificate (RFC 5280 §4.1) that webpki does
//! not hand out and the authenticators need: the validity period (checked
//! for fingerprint pins, as OCaml's X509 does) and the issuer and subject
//! names (for error messages). A minimal DER reader: it never panics and
//! returns `None` for anything it does not understand.

use alloc::string::String;
use alloc::vec::Vec;

/// What we read from a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateInfo {
    /// The issuer's distinguished name, e.g. `CN=R11, O=Let's Encrypt, C=US`.
    pub issuer: String,
    /// The subject's distinguished name.
    pub subject: String,
    /// Seconds since 1970 of notBefore (negative before 1970).
    pub not_before: i64,
    /// Seconds since 1970 of notAfter.
    pub not_after: i64,
}

/// One DER element: its tag, its contents and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    // Tags above 30 need more bytes; certificates do not use them here.
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |len, &b| (len << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The contents of an element with `tag`, and what follows it.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, contents, rest) = element(input)?;
    (t == tag).then_some((contents, rest))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0] EXPLICIT Version` of tbsCertificate.
const VERSION: u8 = 0xa0;

impl CertificateInfo {
    /// Reads a DER certificate.
    pub(crate) fn parse(der: &[u8]) -> Option<CertificateInfo> {
        let (certificate, _) = expect(der, SEQUENCE)?;
        let (tbs, _) = expect(certificate, SEQUENCE)?;
        let mut rest = tbs;
        if let Some((_, after_version)) = expect(rest, VERSION) {
            rest = after_version;
        }
        let (_, _serial, rest) = element(rest)?;
        let (_signature, rest) = expect(rest, SEQUENCE)?;
        let (issuer, rest) = expect(rest, SEQUENCE)?;
        let (validity, rest) = expect(rest, SEQUENCE)?;
        let (subject, _) = expect(rest, SEQUENCE)?;
        let (not_before, validity) = time(validity)?;
        let (not_after, _) = time(validity)?;
        Some(CertificateInfo {
            issuer: name(issuer),
            subject: name(subject),
            not_before,
            not_after,
        })
    }
}

/// A `Time` (UTCTime or GeneralizedTime, RFC 5280 §4.1.2.5) in seconds
/// since 1970.
fn time(input: &[u8]) -> Option<(i64, &[u8])> {
    let (tag, contents, rest) = element(input)?;
    let digits = contents.strip_suffix(b"Z")?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = |range: core::ops::Range<usize>| -> Option<i64> {
        digits
            .get(range)?
            .iter()
            .try_fold(0i64, |n, &d| Some(n * 10 + i64::from(d - b'0')))
    };
    let (year, rest_at) = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy = number(0..2)?;
            // RFC 5280: 50-99 are 19xx, 00-49 are 20xx.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        (GENERALIZED_TIME, 14) => (number(0..4)?, 4),
        _ => return None,
    };
    let month = number(rest_at..rest_at + 2)?;
    let day = number(rest_at + 2..rest_at + 4)?;
    let hour = number(rest_at + 4..rest_at + 6)?;
    let minute = number(rest_at + 6..rest_at + 8)?;
    let second = number(rest_at + 8..rest_at + 10)?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3_600 + minute * 60 + second, rest))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `2026-12-02T16:24:00Z` for seconds since 1970.
pub(crate) fn format_time(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // civil_from_days (Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    alloc::format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A distinguished name (RDNSequence) as `CN=…, O=…`, the attributes we
/// know by name, others by dotted OID; `?` when unreadable.
fn name(rdn_sequence: &[u8]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = rdn_sequence;
    while !rest.is_empty() {
        let Some((set, after)) = expect(rest, SET) else {
            return String::from("?");
        };
        rest = after;
        let mut attributes = set;
        while !attributes.is_empty() {
            let Some((attribute, after)) = expect(attributes, SEQUENCE) else {
                return String::from("?");
            };
            attributes = after;
            let Some((oid, value)) = expect(attribute, OID) else {
                return String::from("?");
            };
            let Some((_, value, _)) = element(value) else {
                return String::from("?");
            };
            let label = match oid {
                [0x55, 0x04, 0x03] => String::from("CN"),
                [0x55, 0x04, 0x06] => String::from("C"),
                [0x55, 0x04, 0x07] => String::from("L"),
                [0x55, 0x04, 0x08] => String::from("ST"),
                [0x55, 0x04, 0x0a] => String::from("O"),
                [0x55, 0x04, 0x0b] => String::from("OU"),
                _ => dotted_oid(oid),
            };
            parts.push(alloc::format!("{label}={}", String::from_utf8_lossy(value)));
        }
    }
    // Most significant last, as OpenSSL's RFC 2253 form prints it.
    parts.reverse();
    parts.join(", ")
}

fn dotted_oid(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &b in oid {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
        if arcs.len() > 32 {
            break;
        }
    }
    let text: Vec<String> = arcs.iter().map(|a| alloc::format!("{a}")).collect();
    text.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    const X1: &[u8] = include_bytes!("../roots/isrg-root-x1.der");
    const X2: &[u8] = include_bytes!("../roots/isrg-root-x2.der");

    #[test]
    fn reads_the_lets_encrypt_roots() {
        // openssl x509 -noout -subject -dates of the Debian copies.
        let x1 = CertificateInfo::parse(X1).unwrap();
        assert_eq!(
            x1.subject,
            "CN=ISRG Root X1, O=Internet Security Research Group, C=US"
        );
        assert_eq!(x1.issuer, x1.subject);
        assert_eq!(format_time(x1.not_before), "2015-06-04T11:04:38Z");
        assert_eq!(format_time(x1.not_after), "2035-06-04T11:04:38Z");
        let x2 = CertificateInfo::parse(X2).unwrap();
        assert_eq!(
            x2.subject,
            "CN=ISRG Root X2, O=Internet Security Research Group, C=US"
        );
        assert_eq!(format_time(x2.not_after), "2040-09-17T16:00:00Z");
    }

    #[test]
    fn times() {
        assert_eq!(time(b"\x17\x0d700101000000Z"), Some((0, &[][..])));
        assert_eq!(
            time(b"\x17\x0d491231235959Z").map(|t| t.0),
            Some(2_524_607_999)
        );
        assert_eq!(
            time(b"\x18\x0f20000229120000Z").map(|t| format_time(t.0)),
            Some("2000-02-29T12:00:00Z".into())
        );
        assert_eq!(time(b"\x18\x0f19691231235959Z").map(|t| t.0), Some(-1));
        assert_eq!(time(b"\x17\x0d701301000000Z"), None);
        assert_eq!(time(b"\x17\x0b7001010000Z"), None);
        assert_eq!(time(b"\x18\x0d700101000000Z"), None);
    }

    #[test]
    fn garbage_is_none_never_a_panic() {
        assert_eq!(CertificateInfo::parse(b""), None);
        assert_eq!(CertificateInfo::parse(b"\x30\x84\xff\xff\xff\xff"), None);
        for cut in 0..X2.len() {
            assert_eq!(CertificateInfo::parse(&X2[..cut]), None, "cut at {cut}");
        }
        let mut flipped = X2.to_vec();
        for i in 0..flipped.len() {
            flipped[i] ^= 0xff;
            let _ = CertificateInfo::parse(&flipped);
            flipped[i] ^= 0xff;
        }
        assert_eq!(
            dotted_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]),
            "1.2.840.113549"
        );
    }
}
