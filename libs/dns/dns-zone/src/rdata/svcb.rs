//! SVCB and HTTPS SvcParams (RFC 9460 §2.1, §2.2, §7, Appendix A).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::net::{Ipv4Addr, Ipv6Addr};

use data_encoding::BASE64;

use super::text::{expected, ipv4, ipv6, parse_uint, unescape_into, RdataText};
use super::RdataError;
use crate::parser::error::ParseError;
use crate::parser::lexer::TokenKind;

const MANDATORY: u16 = 0;
const ALPN: u16 = 1;
const NO_DEFAULT_ALPN: u16 = 2;
const PORT: u16 = 3;
const IPV4HINT: u16 = 4;
const ECH: u16 = 5;
const IPV6HINT: u16 = 6;
const DOHPATH: u16 = 7;
const OHTTP: u16 = 8;

static KEY_NAMES: &[(u16, &str)] = &[
    (MANDATORY, "mandatory"),
    (ALPN, "alpn"),
    (NO_DEFAULT_ALPN, "no-default-alpn"),
    (PORT, "port"),
    (IPV4HINT, "ipv4hint"),
    (ECH, "ech"),
    (IPV6HINT, "ipv6hint"),
    (DOHPATH, "dohpath"),
    (OHTTP, "ohttp"),
];

/// `mandatory`, `alpn`, … or `keyNNNNN`.
fn key_from_text(text: &[u8]) -> Option<u16> {
    if let Some((k, _)) = KEY_NAMES.iter().find(|(_, n)| n.as_bytes() == text) {
        return Some(*k);
    }
    let digits = text.strip_prefix(b"key")?;
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    parse_uint(digits, 65_535).map(|v| v as u16)
}

fn write_key(out: &mut String, key: u16) {
    match KEY_NAMES.iter().find(|(k, _)| *k == key) {
        Some((_, n)) => out.push_str(n),
        None => {
            let _ = write!(out, "key{key}");
        }
    }
}

/// Splits a decoded value-list (RFC 9460 Appendix A.1) on unescaped commas,
/// undoing `\,` and `\\`.
fn split_value_list(value: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut items = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\\' => {
                cur.push(*value.get(i + 1)?);
                i += 2;
            }
            b',' => {
                items.push(core::mem::take(&mut cur));
                i += 1;
            }
            b => {
                cur.push(b);
                i += 1;
            }
        }
    }
    items.push(cur);
    Some(items)
}

/// Parses SvcParams up to the end of the line into `out`, sorted by key.
pub(crate) fn parse_params(p: &mut RdataText<'_, '_>, out: &mut Vec<u8>) -> Result<(), ParseError> {
    let mut params: Vec<(u16, Vec<u8>)> = Vec::new();
    let first = p.lx.peek()?;
    while !p.lx.peek()?.is_end() {
        let t = p.lx.next_token()?;
        let TokenKind::Word(word) = t.kind else {
            return Err(expected(&t, "a SvcParam (key=value)"));
        };
        let (key_text, mut raw_value) = match word.iter().position(|&b| b == b'=') {
            Some(i) => (&word[..i], Some(&word[i + 1..])),
            None => (word, None),
        };
        let key = key_from_text(key_text)
            .ok_or_else(|| expected(&t, "a SvcParamKey (mandatory, alpn, port, …, keyNNNNN)"))?;
        if raw_value == Some(b"") {
            // `key="quoted value"`: the quoted string is the next, adjacent token.
            let next = p.lx.peek()?;
            if let (TokenKind::Quoted(q), true) = (next.kind, next.adjacent) {
                raw_value = Some(q);
                p.lx.next_token()?;
            }
        }
        let mut value = Vec::new();
        if let Some(raw) = raw_value {
            unescape_into(raw, &mut value)
                .ok_or_else(|| expected(&t, "a SvcParam value with valid escapes"))?;
        }
        let mut wire = Vec::new();
        let bad = |what| expected(&t, what);
        match key {
            MANDATORY => {
                let items = split_value_list(&value).ok_or_else(|| bad("a list of keys"))?;
                let mut keys = Vec::new();
                for item in items {
                    keys.push(
                        key_from_text(&item)
                            .ok_or_else(|| bad("a comma-separated list of SvcParamKeys"))?,
                    );
                }
                keys.sort_unstable();
                for k in keys {
                    wire.extend_from_slice(&k.to_be_bytes());
                }
            }
            ALPN => {
                for item in split_value_list(&value).ok_or_else(|| bad("a list of ALPN ids"))? {
                    if item.is_empty() || item.len() > 255 {
                        return Err(bad("ALPN ids of 1 to 255 octets, separated by commas"));
                    }
                    wire.push(item.len() as u8);
                    wire.extend_from_slice(&item);
                }
            }
            NO_DEFAULT_ALPN | OHTTP => {
                if raw_value.is_some() {
                    return Err(bad("this SvcParamKey without a value"));
                }
            }
            PORT => {
                let v = parse_uint(&value, 65_535).ok_or_else(|| bad("a port number"))? as u16;
                wire.extend_from_slice(&v.to_be_bytes());
            }
            IPV4HINT => {
                for item in value.split(|&b| b == b',') {
                    wire.extend_from_slice(
                        &ipv4(item)
                            .ok_or_else(|| bad("comma-separated IPv4 addresses"))?
                            .octets(),
                    );
                }
            }
            IPV6HINT => {
                for item in value.split(|&b| b == b',') {
                    wire.extend_from_slice(
                        &ipv6(item)
                            .ok_or_else(|| bad("comma-separated IPv6 addresses"))?
                            .octets(),
                    );
                }
            }
            ECH => {
                wire = BASE64
                    .decode(&value)
                    .map_err(|_| bad("base64 ECHConfigList"))?;
            }
            _ => wire = value,
        }
        if params.iter().any(|(k, _)| *k == key) {
            return Err(expected(&t, "each SvcParamKey at most once"));
        }
        params.push((key, wire));
    }
    params.sort_by_key(|(k, _)| *k);
    let start = out.len();
    for (k, v) in &params {
        out.extend_from_slice(&k.to_be_bytes());
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(v);
    }
    if let Err(e) = validate_params(&out[start..]) {
        return Err(ParseError::new(
            first.line,
            first.col,
            crate::parser::error::ParseErrorKind::Rdata(e),
        ));
    }
    Ok(())
}

/// Iterates over `(key, value)` of wire SvcParams; `None` ends a malformed list.
fn params(data: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), RdataError>> {
    let mut pos = 0;
    core::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let Some(hdr) = data.get(pos..pos + 4) else {
            pos = data.len();
            return Some(Err(RdataError::Truncated));
        };
        let key = u16::from_be_bytes([hdr[0], hdr[1]]);
        let len = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
        let Some(value) = data.get(pos + 4..pos + 4 + len) else {
            pos = data.len();
            return Some(Err(RdataError::Truncated));
        };
        pos += 4 + len;
        Some(Ok((key, value)))
    })
}

/// Checks wire SvcParams: strictly increasing keys and well-formed values
/// for the keys RFC 9460 defines.
pub(crate) fn validate_params(data: &[u8]) -> Result<(), RdataError> {
    let mut last: Option<u16> = None;
    let mut seen: Vec<u16> = Vec::new();
    let mut mandatory: &[u8] = &[];
    for param in params(data) {
        let (key, value) = param?;
        if last.is_some_and(|l| key <= l) {
            return Err(RdataError::BadValue(
                "SvcParamKeys must be in strictly increasing order",
            ));
        }
        last = Some(key);
        seen.push(key);
        let ok = match key {
            MANDATORY => {
                mandatory = value;
                !value.is_empty()
                    && value.len() % 2 == 0
                    && value.chunks(2).all(|k| *k != [0u8, 0])
                    && value.windows(4).step_by(2).all(|w| {
                        u16::from_be_bytes([w[0], w[1]]) < u16::from_be_bytes([w[2], w[3]])
                    })
            }
            ALPN => {
                let mut p = 0;
                let mut ok = !value.is_empty();
                while ok && p < value.len() {
                    let l = usize::from(value[p]);
                    ok = l > 0 && p + 1 + l <= value.len();
                    p += 1 + l;
                }
                ok
            }
            NO_DEFAULT_ALPN | OHTTP => value.is_empty(),
            PORT => value.len() == 2,
            IPV4HINT => !value.is_empty() && value.len() % 4 == 0,
            IPV6HINT => !value.is_empty() && value.len() % 16 == 0,
            _ => true,
        };
        if !ok {
            return Err(RdataError::BadValue("malformed SvcParam value"));
        }
    }
    for k in mandatory.chunks(2) {
        if !seen.contains(&u16::from_be_bytes([k[0], k[1]])) {
            return Err(RdataError::BadValue("a key listed in mandatory is missing"));
        }
    }
    if seen.contains(&NO_DEFAULT_ALPN) && !seen.contains(&ALPN) {
        return Err(RdataError::BadValue("no-default-alpn without alpn"));
    }
    Ok(())
}

/// Writes a value inside quotes with char-string escapes; `list` also
/// escapes commas and backslashes of value-list items (Appendix A.1).
fn write_quoted_bytes(out: &mut String, bytes: &[u8], list: bool) {
    for &b in bytes {
        match b {
            b',' if list => out.push_str("\\\\,"),
            b'\\' if list => out.push_str("\\\\\\\\"),
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => crate::name::push_decimal_escape(out, b),
        }
    }
}

/// Writes wire SvcParams in presentation format, separated by spaces.
pub(crate) fn print_params(out: &mut String, data: &[u8]) {
    for (i, (key, value)) in params(data).map_while(Result::ok).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_key(out, key);
        match key {
            MANDATORY => {
                out.push('=');
                for (i, k) in value.chunks(2).enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_key(out, u16::from_be_bytes([k[0], k[1]]));
                }
            }
            ALPN => {
                out.push_str("=\"");
                let mut p = 0;
                let mut first = true;
                while p < value.len() {
                    let l = usize::from(value[p]);
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    write_quoted_bytes(out, &value[p + 1..(p + 1 + l).min(value.len())], true);
                    p += 1 + l;
                }
                out.push('"');
            }
            NO_DEFAULT_ALPN | OHTTP => {}
            PORT => {
                let _ = write!(out, "={}", u16::from_be_bytes([value[0], value[1]]));
            }
            IPV4HINT => {
                for (i, a) in value.chunks(4).enumerate() {
                    let _ = write!(
                        out,
                        "{}{}",
                        if i == 0 { '=' } else { ',' },
                        Ipv4Addr::new(a[0], a[1], a[2], a[3])
                    );
                }
            }
            IPV6HINT => {
                for (i, a) in value.chunks(16).enumerate() {
                    let mut o = [0u8; 16];
                    o.copy_from_slice(a);
                    let _ = write!(
                        out,
                        "{}{}",
                        if i == 0 { '=' } else { ',' },
                        Ipv6Addr::from(o)
                    );
                }
            }
            ECH => {
                out.push_str("=\"");
                out.push_str(&BASE64.encode(value));
                out.push('"');
            }
            _ => {
                if !value.is_empty() {
                    out.push_str("=\"");
                    write_quoted_bytes(out, value, false);
                    out.push('"');
                }
            }
        }
    }
}
