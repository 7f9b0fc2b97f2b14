//! Domain names in presentation format (RFC 1035 §5.1) and uncompressed wire
//! format, on top of [`hickory_proto::rr::Name`].
//!
//! hickory's `Name` compares case-insensitively and orders names canonically
//! (RFC 4034 §6.1), which is exactly what the zone model needs for its keys.
//! Its text parser is only partly available without `std` and allocates per
//! label, so names are parsed here straight from the bytes of a zone file.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use hickory_proto::rr::Name;
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

/// Longest name on the wire, root label included (RFC 1035 §2.3.4).
pub const MAX_NAME_WIRE_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// Why a name in presentation format was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// Two dots in a row, or a leading dot (only the root name is ".").
    EmptyLabel,
    /// A label longer than 63 octets.
    LabelTooLong,
    /// A name longer than 255 octets in wire format.
    NameTooLong,
    /// A backslash at the end of the name, or `\DDD` above 255.
    BadEscape,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EmptyLabel => "empty label in domain name",
            Self::LabelTooLong => "label longer than 63 octets",
            Self::NameTooLong => "domain name longer than 255 octets",
            Self::BadEscape => "bad escape sequence in domain name",
        })
    }
}

/// Parses a name in presentation format: `@` is `origin`, a name without a
/// final dot is relative to `origin`, `\X` and `\DDD` are escapes.
///
/// `wire` is scratch space (cleared here) so that callers parsing many names
/// reuse one buffer.
pub fn parse_name(text: &[u8], origin: &Name, wire: &mut Vec<u8>) -> Result<Name, NameError> {
    wire.clear();
    if text == b"@" {
        return Ok(origin.clone());
    }
    if text == b"." {
        return Ok(Name::root());
    }
    let absolute = text_to_wire(text, wire)?;
    if !absolute {
        // Drop the root label written by text_to_wire and append the origin.
        wire.pop();
        name_to_wire(origin, wire);
    }
    if wire.len() > MAX_NAME_WIRE_LEN {
        return Err(NameError::NameTooLong);
    }
    name_from_wire_exact(wire).ok_or(NameError::NameTooLong)
}

/// Converts presentation text into wire labels in `wire` (root label
/// appended); returns whether the text ended with an unescaped dot.
fn text_to_wire(text: &[u8], wire: &mut Vec<u8>) -> Result<bool, NameError> {
    let mut label_start = wire.len();
    wire.push(0);
    let mut i = 0;
    let mut absolute = false;
    while i < text.len() {
        let c = text[i];
        match c {
            b'.' => {
                let len = wire.len() - label_start - 1;
                if len == 0 {
                    return Err(NameError::EmptyLabel);
                }
                wire[label_start] = len as u8;
                label_start = wire.len();
                wire.push(0);
                i += 1;
                if i == text.len() {
                    absolute = true;
                }
                continue;
            }
            b'\\' => {
                let (byte, used) = unescape_at(text, i).ok_or(NameError::BadEscape)?;
                wire.push(byte);
                i += used;
            }
            _ => {
                wire.push(c);
                i += 1;
            }
        }
        if wire.len() - label_start - 1 > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong);
        }
        if wire.len() > MAX_NAME_WIRE_LEN + 1 {
            return Err(NameError::NameTooLong);
        }
    }
    if !absolute {
        let len = wire.len() - label_start - 1;
        if len == 0 {
            return Err(NameError::EmptyLabel);
        }
        wire[label_start] = len as u8;
        wire.push(0);
    }
    Ok(absolute)
}

/// Decodes the escape starting at `text[i] == b'\\'`: `\DDD` (decimal, at
/// most 255) or `\X`. Returns the byte and the number of input bytes used.
pub fn unescape_at(text: &[u8], i: usize) -> Option<(u8, usize)> {
    let rest = text.get(i + 1..)?;
    match rest {
        [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            let v = u32::from(a - b'0') * 100 + u32::from(b - b'0') * 10 + u32::from(c - b'0');
            u8::try_from(v).ok().map(|v| (v, 4))
        }
        [a, ..] if a.is_ascii_digit() => None,
        [x, ..] => Some((*x, 2)),
        [] => None,
    }
}

/// Appends the uncompressed wire form of `name` (always absolute).
pub fn name_to_wire(name: &Name, out: &mut Vec<u8>) {
    for label in name.iter() {
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
}

/// Length of the uncompressed name starting at `data[pos]`, if well formed
/// (no compression pointers; labels of at most 63 octets; at most 255 octets).
pub fn wire_name_len(data: &[u8], pos: usize) -> Option<usize> {
    let mut p = pos;
    loop {
        let len = usize::from(*data.get(p)?);
        if len > MAX_LABEL_LEN {
            return None;
        }
        p += 1 + len;
        if p - pos > MAX_NAME_WIRE_LEN || p > data.len() {
            return None;
        }
        if len == 0 {
            return Some(p - pos);
        }
    }
}

/// Decodes an uncompressed wire name at `data[pos]`; returns it and its length.
pub fn name_from_wire(data: &[u8], pos: usize) -> Option<(Name, usize)> {
    let len = wire_name_len(data, pos)?;
    Some((name_from_wire_exact(&data[pos..pos + len])?, len))
}

fn name_from_wire_exact(wire: &[u8]) -> Option<Name> {
    let mut decoder = BinDecoder::new(wire);
    Name::read(&mut decoder).ok()
}

/// Writes `name` in presentation format, absolute (with the final dot),
/// escaping every octet that is not a letter, digit, `-`, `_`, `*`, or
/// another printable character without a special meaning in zone files.
pub fn write_name(out: &mut String, name: &Name) {
    if name.is_root() {
        out.push('.');
        return;
    }
    for label in name.iter() {
        write_label(out, label);
        out.push('.');
    }
}

/// Writes one label with escapes (see [`write_name`]).
pub fn write_label(out: &mut String, label: &[u8]) {
    for &b in label {
        match b {
            b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x21..=0x7e => out.push(char::from(b)),
            _ => push_decimal_escape(out, b),
        }
    }
}

/// Appends `\DDD` for `b`.
pub fn push_decimal_escape(out: &mut String, b: u8) {
    out.push('\\');
    out.push(char::from(b'0' + b / 100));
    out.push(char::from(b'0' + (b / 10) % 10));
    out.push(char::from(b'0' + b % 10));
}

/// A byte string whose lexicographic order is the canonical name order
/// (RFC 4034 §6.1): labels from the root down, lowercased, each ended by a
/// 0 octet; octets 0 and 1 inside labels are escaped as `1,1` and `1,2` so
/// that the terminator still sorts first.
pub fn canonical_key(name: &Name, out: &mut Vec<u8>) {
    out.clear();
    for label in name.iter().rev() {
        for &b in label {
            match b {
                0 | 1 => out.extend_from_slice(&[1, b + 1]),
                _ => out.push(b.to_ascii_lowercase()),
            }
        }
        out.push(0);
    }
}

/// The lowercase uncompressed wire form of the name whose key is `key`
/// ([`canonical_key`]'s inverse, up to case): a store that keeps only the
/// key of an all-lowercase owner writes the owner from it.
pub fn key_to_wire(key: &[u8], out: &mut Vec<u8>) {
    let mut wire = [0u8; MAX_NAME_WIRE_LEN];
    if let Some(len) = key_to_wire_into(key, &mut wire) {
        out.extend_from_slice(&wire[..len]);
    }
}

/// [`key_to_wire`] into `out`; its length, or `None` if `key` is not the
/// key of a name.
pub fn key_to_wire_into(key: &[u8], out: &mut [u8; MAX_NAME_WIRE_LEN]) -> Option<usize> {
    // Labels end at each 0 and are written leaf first: from the end of
    // the key backwards, each label unescaped after its length octet.
    if key.is_empty() {
        // The root.
        out[0] = 0;
        return Some(1);
    }
    let mut len = 0;
    let mut end = key.len() - 1;
    if key[end] != 0 {
        return None;
    }
    loop {
        let start = key[..end]
            .iter()
            .rposition(|&b| b == 0)
            .map_or(0, |i| i + 1);
        let label = &key[start..end];
        let at = len;
        *out.get_mut(at)? = 0;
        len += 1;
        let mut i = 0;
        while i < label.len() {
            let b = match label[i] {
                1 => {
                    i += 1;
                    label.get(i)?.checked_sub(1)?
                }
                b => b,
            };
            *out.get_mut(len)? = b;
            len += 1;
            i += 1;
        }
        out[at] = u8::try_from(len - at - 1).ok()?;
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    *out.get_mut(len)? = 0;
    Some(len + 1)
}

/// RFC 4034 §6.1's example of canonical order, in order (for tests here
/// and of the keys).
#[cfg(test)]
pub(crate) const RFC4034_ORDER: [&str; 9] = [
    "example.",
    "a.example.",
    "yljkjljk.a.example.",
    "Z.a.example.",
    "zABC.a.EXAMPLE.",
    "z.example.",
    "\\001.z.example.",
    "*.z.example.",
    "\\200.z.example.",
];

/// The name in presentation format (absolute, escaped).
pub fn name_to_string(name: &Name) -> String {
    let mut s = String::new();
    write_name(&mut s, name);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Name {
        let mut w = Vec::new();
        parse_name(b"example.com.", &Name::root(), &mut w).unwrap()
    }

    #[test]
    fn relative_absolute_and_at() {
        let o = origin();
        let mut w = Vec::new();
        assert_eq!(
            name_to_string(&parse_name(b"www", &o, &mut w).unwrap()),
            "www.example.com."
        );
        assert_eq!(
            name_to_string(&parse_name(b"www.example.org.", &o, &mut w).unwrap()),
            "www.example.org."
        );
        assert_eq!(
            name_to_string(&parse_name(b"@", &o, &mut w).unwrap()),
            "example.com."
        );
        assert_eq!(name_to_string(&parse_name(b".", &o, &mut w).unwrap()), ".");
    }

    #[test]
    fn escapes() {
        let o = origin();
        let mut w = Vec::new();
        let n = parse_name(b"a\\.b\\065\\\\", &o, &mut w).unwrap();
        assert_eq!(n.num_labels(), 3);
        assert_eq!(n.iter().next().unwrap(), b"a.bA\\");
        assert_eq!(name_to_string(&n), "a\\.bA\\\\.example.com.");
        assert_eq!(parse_name(b"a\\256", &o, &mut w), Err(NameError::BadEscape));
        assert_eq!(parse_name(b"a\\", &o, &mut w), Err(NameError::BadEscape));
        assert_eq!(parse_name(b"a\\25", &o, &mut w), Err(NameError::BadEscape));
    }

    #[test]
    fn canonical_key_orders_like_rfc4034() {
        let names = RFC4034_ORDER;
        let mut w = Vec::new();
        let parsed: Vec<Name> = names
            .iter()
            .map(|n| parse_name(n.as_bytes(), &Name::root(), &mut w).unwrap())
            .collect();
        let keys: Vec<Vec<u8>> = parsed
            .iter()
            .map(|n| {
                let mut k = Vec::new();
                canonical_key(n, &mut k);
                k
            })
            .collect();
        for i in 1..keys.len() {
            assert!(keys[i - 1] < keys[i], "{} < {}", names[i - 1], names[i]);
            assert!(parsed[i - 1] < parsed[i]);
        }
        let mut k1 = Vec::new();
        let mut k2 = Vec::new();
        canonical_key(
            &parse_name(b"a.\\000", &Name::root(), &mut w).unwrap(),
            &mut k1,
        );
        canonical_key(
            &parse_name(b"\\000\\000", &Name::root(), &mut w).unwrap(),
            &mut k2,
        );
        assert!(k1 < k2);
    }

    #[test]
    fn limits() {
        let o = origin();
        let mut w = Vec::new();
        assert_eq!(parse_name(b"a..b", &o, &mut w), Err(NameError::EmptyLabel));
        assert_eq!(parse_name(b".a", &o, &mut w), Err(NameError::EmptyLabel));
        let long = [b'a'; 64];
        assert_eq!(parse_name(&long, &o, &mut w), Err(NameError::LabelTooLong));
        let ok = [b'a'; 63];
        assert!(parse_name(&ok, &o, &mut w).is_ok());
        let mut big = Vec::new();
        for _ in 0..4 {
            big.extend_from_slice(&[b'a'; 63]);
            big.push(b'.');
        }
        assert_eq!(
            parse_name(&big, &Name::root(), &mut w),
            Err(NameError::NameTooLong)
        );
    }

    #[test]
    fn a_key_turns_back_into_the_lowercase_wire_name() {
        let mut w = Vec::new();
        for text in RFC4034_ORDER
            .iter()
            .copied()
            .chain(["\\000\\001x.\\002.", "."])
        {
            let name = parse_name(text.as_bytes(), &Name::root(), &mut w).unwrap();
            let mut key = Vec::new();
            canonical_key(&name, &mut key);
            let mut wire = Vec::new();
            key_to_wire(&key, &mut wire);
            let mut want = Vec::new();
            name_to_wire(&name.to_lowercase(), &mut want);
            assert_eq!(wire, want, "{text}");
        }
    }
}
