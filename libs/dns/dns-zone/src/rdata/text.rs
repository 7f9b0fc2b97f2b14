//! RDATA from presentation format (the rest of a master-file line) to wire.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use data_encoding::{BASE64, HEXLOWER_PERMISSIVE};
use hickory_proto::rr::{Name, RecordType};

use super::schema::{self, Field};
use crate::name::{name_to_wire, parse_name, unescape_at};
use crate::parser::error::{ParseError, ParseErrorKind};
use crate::parser::lexer::{Lexer, Token, TokenKind};

/// State for parsing the RDATA of one record.
pub(crate) struct RdataText<'a, 'b> {
    pub lx: &'b mut Lexer<'a>,
    pub origin: &'b Name,
    /// Scratch buffer, reused between records.
    pub scratch: &'b mut Vec<u8>,
    /// Second scratch buffer for names.
    pub name_buf: &'b mut Vec<u8>,
}

/// Describes a token for "found …" in error messages.
pub(crate) fn describe(tok: &Token<'_>) -> String {
    match tok.kind {
        TokenKind::Word(t) | TokenKind::Quoted(t) => {
            let mut s = String::with_capacity(t.len() + 2);
            s.push('"');
            for &b in t {
                if (0x20..0x7f).contains(&b) {
                    s.push(char::from(b));
                } else {
                    crate::name::push_decimal_escape(&mut s, b);
                }
            }
            s.push('"');
            s
        }
        TokenKind::Eol => String::from("end of line"),
        TokenKind::Eof => String::from("end of file"),
    }
}

/// An "expected …, found …" error at `tok`.
pub(crate) fn expected(tok: &Token<'_>, what: &'static str) -> ParseError {
    ParseError::new(
        tok.line,
        tok.col,
        ParseErrorKind::Expected {
            expected: what,
            found: describe(tok),
        },
    )
}

/// A bad domain name at `tok`.
pub(crate) fn name_error(tok: &Token<'_>, error: crate::name::NameError) -> ParseError {
    ParseError::new(
        tok.line,
        tok.col,
        ParseErrorKind::Name {
            error,
            found: describe(tok),
        },
    )
}

/// Parses a TTL or other duration: decimal seconds, or units `1w2d3h4m5s`
/// (case-insensitive; a last number without unit counts as seconds).
pub fn parse_ttl(text: &[u8]) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut current: Option<u64> = None;
    let mut any_unit = false;
    for &c in text {
        if c.is_ascii_digit() {
            let v = current.unwrap_or(0) * 10 + u64::from(c - b'0');
            if v > u64::from(u32::MAX) {
                return None;
            }
            current = Some(v);
        } else {
            let mult = match c.to_ascii_lowercase() {
                b's' => 1,
                b'm' => 60,
                b'h' => 3600,
                b'd' => 86_400,
                b'w' => 604_800,
                _ => return None,
            };
            total += current.take()? * mult;
            any_unit = true;
        }
        if total > u64::from(u32::MAX) {
            return None;
        }
    }
    if let Some(v) = current {
        total += v;
    } else if !any_unit {
        return None;
    }
    u32::try_from(total).ok()
}

/// Decimal integer up to `max`.
pub(crate) fn parse_uint(text: &[u8], max: u64) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in text {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    (v <= max).then_some(v)
}

/// Decodes `\X` / `\DDD` escapes of a character string into `out`.
pub(crate) fn unescape_into(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' {
            let (b, used) = unescape_at(text, i)?;
            out.push(b);
            i += used;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    Some(())
}

static ALGORITHMS: &[(&str, u8)] = &[
    ("RSAMD5", 1),
    ("DH", 2),
    ("DSA", 3),
    ("RSASHA1", 5),
    ("DSA-NSEC3-SHA1", 6),
    ("RSASHA1-NSEC3-SHA1", 7),
    ("RSASHA256", 8),
    ("RSASHA512", 10),
    ("ECC-GOST", 12),
    ("ECDSAP256SHA256", 13),
    ("ECDSAP384SHA384", 14),
    ("ED25519", 15),
    ("ED448", 16),
    ("INDIRECT", 252),
    ("PRIVATEDNS", 253),
    ("PRIVATEOID", 254),
];

pub(crate) static CERT_TYPES: &[(&str, u16)] = &[
    ("PKIX", 1),
    ("SPKI", 2),
    ("PGP", 3),
    ("IPKIX", 4),
    ("ISPKI", 5),
    ("IPGP", 6),
    ("ACPKIX", 7),
    ("IACPKIX", 8),
    ("URI", 253),
    ("OID", 254),
];

impl<'a> RdataText<'a, '_> {
    /// Parses the RDATA of `rtype` into `out` (cleared first).
    pub fn parse(&mut self, rtype: RecordType, out: &mut Vec<u8>) -> Result<(), ParseError> {
        out.clear();
        let first = self.lx.peek()?;
        if first.kind == TokenKind::Word(b"\\#") {
            return self.generic(rtype, out);
        }
        let Some(info) = schema::info(u16::from(rtype)) else {
            return Err(expected(
                &first,
                "RFC 3597 generic RDATA (\\# length hex) for this type",
            ));
        };
        let mut prev_u8 = 0u8;
        for &field in info.fields {
            self.field(field, &mut prev_u8, out)?;
        }
        if out.len() > usize::from(u16::MAX) {
            return Err(ParseError::new(
                first.line,
                first.col,
                ParseErrorKind::Rdata(super::RdataError::TooLong),
            ));
        }
        Ok(())
    }

    pub(crate) fn word(&mut self, what: &'static str) -> Result<Token<'a>, ParseError> {
        let t = self.lx.next_token()?;
        match t.kind {
            TokenKind::Word(_) => Ok(t),
            _ => Err(expected(&t, what)),
        }
    }

    pub(crate) fn word_or_quoted(&mut self, what: &'static str) -> Result<Token<'a>, ParseError> {
        let t = self.lx.next_token()?;
        match t.kind {
            TokenKind::Word(_) | TokenKind::Quoted(_) => Ok(t),
            _ => Err(expected(&t, what)),
        }
    }

    pub(crate) fn number(&mut self, max: u64, what: &'static str) -> Result<u64, ParseError> {
        let t = self.word(what)?;
        parse_uint(t.text(), max).ok_or_else(|| expected(&t, what))
    }

    /// All remaining words of the line, concatenated into the scratch buffer.
    pub(crate) fn rest_words(
        &mut self,
        what: &'static str,
        allow_empty: bool,
    ) -> Result<Token<'a>, ParseError> {
        self.scratch.clear();
        let first = self.lx.peek()?;
        loop {
            let t = self.lx.peek()?;
            match t.kind {
                TokenKind::Word(w) => {
                    self.scratch.extend_from_slice(w);
                    self.lx.next_token()?;
                }
                TokenKind::Eol | TokenKind::Eof => break,
                TokenKind::Quoted(_) => return Err(expected(&t, what)),
            }
        }
        if self.scratch.is_empty() && !allow_empty {
            return Err(expected(&first, what));
        }
        Ok(first)
    }

    fn field(
        &mut self,
        field: Field,
        prev_u8: &mut u8,
        out: &mut Vec<u8>,
    ) -> Result<(), ParseError> {
        match field {
            Field::Name(_) => {
                let t = self.word("a domain name")?;
                self.name(&t, out)?;
            }
            Field::U8 | Field::GatewayType => {
                let v = self.number(255, "a number from 0 to 255")? as u8;
                if field == Field::GatewayType {
                    *prev_u8 = v;
                }
                out.push(v);
            }
            Field::U16 => {
                let v = self.number(65_535, "a number from 0 to 65535")? as u16;
                out.extend_from_slice(&v.to_be_bytes());
            }
            Field::U32 => {
                let v = self.number(u64::from(u32::MAX), "a number from 0 to 4294967295")? as u32;
                out.extend_from_slice(&v.to_be_bytes());
            }
            Field::Period => {
                let t = self.word("a time value (seconds, or units like 1h30m)")?;
                let v = parse_ttl(t.text())
                    .ok_or_else(|| expected(&t, "a time value (seconds, or units like 1h30m)"))?;
                out.extend_from_slice(&v.to_be_bytes());
            }
            Field::Ipv4 => {
                let t = self.word("an IPv4 address")?;
                let a = ipv4(t.text()).ok_or_else(|| expected(&t, "an IPv4 address"))?;
                out.extend_from_slice(&a.octets());
            }
            Field::Ipv6 => {
                let t = self.word("an IPv6 address")?;
                let a = ipv6(t.text()).ok_or_else(|| expected(&t, "an IPv6 address"))?;
                out.extend_from_slice(&a.octets());
            }
            Field::CharStr => {
                let t = self.word_or_quoted("a character string")?;
                self.char_string(&t, out)?;
            }
            Field::CharStrs => {
                let t = self.word_or_quoted("a character string")?;
                self.char_string(&t, out)?;
                while !self.lx.peek()?.is_end() {
                    let t = self.word_or_quoted("a character string")?;
                    self.char_string(&t, out)?;
                }
            }
            Field::Base64 | Field::Base64Opt => {
                let first = self.rest_words("base64 data", field == Field::Base64Opt)?;
                let decoded = BASE64
                    .decode(self.scratch)
                    .map_err(|_| expected(&first, "base64 data"))?;
                out.extend_from_slice(&decoded);
            }
            Field::Hex => {
                let first = self.rest_words("hexadecimal data", false)?;
                let decoded = HEXLOWER_PERMISSIVE
                    .decode(self.scratch)
                    .map_err(|_| expected(&first, "hexadecimal data"))?;
                out.extend_from_slice(&decoded);
            }
            Field::Alg => {
                let t = self.word("an algorithm number or mnemonic")?;
                let v = parse_uint(t.text(), 255).map(|v| v as u8).or_else(|| {
                    ALGORITHMS
                        .iter()
                        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(t.text()))
                        .map(|(_, v)| *v)
                });
                out.push(v.ok_or_else(|| expected(&t, "an algorithm number or mnemonic"))?);
            }
            Field::CertType => {
                let t = self.word("a certificate type")?;
                let v = parse_uint(t.text(), 65_535).map(|v| v as u16).or_else(|| {
                    CERT_TYPES
                        .iter()
                        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(t.text()))
                        .map(|(_, v)| *v)
                });
                out.extend_from_slice(
                    &v.ok_or_else(|| expected(&t, "a certificate type"))?
                        .to_be_bytes(),
                );
            }
            Field::CaaTag => {
                let t = self.word("a CAA tag (letters and digits)")?;
                let tag = t.text();
                if tag.is_empty() || tag.len() > 255 || !tag.iter().all(u8::is_ascii_alphanumeric) {
                    return Err(expected(&t, "a CAA tag (letters and digits)"));
                }
                out.push(tag.len() as u8);
                out.extend_from_slice(tag);
            }
            Field::RawString => {
                let t = self.word_or_quoted("a string")?;
                unescape_into(t.text(), out)
                    .ok_or_else(|| expected(&t, "a string with valid escapes"))?;
            }
            Field::Gateway => {
                let t = self.word("a gateway or relay (by its type: ., IPv4, IPv6 or a name)")?;
                match *prev_u8 {
                    0 if t.text() == b"." => {}
                    0 => return Err(expected(&t, "\".\" for gateway type 0")),
                    1 => out.extend_from_slice(
                        &ipv4(t.text())
                            .ok_or_else(|| expected(&t, "an IPv4 gateway"))?
                            .octets(),
                    ),
                    2 => out.extend_from_slice(
                        &ipv6(t.text())
                            .ok_or_else(|| expected(&t, "an IPv6 gateway"))?
                            .octets(),
                    ),
                    3 => self.name(&t, out)?,
                    _ => return Err(expected(&t, "a gateway type of 0 to 3 before the gateway")),
                }
            }
            Field::SvcParams => super::svcb::parse_params(self, out)?,
            Field::CharStrOpt
            | Field::RrType
            | Field::Time
            | Field::TypeBitmap
            | Field::NxtBitmap
            | Field::Salt
            | Field::Base32Hash
            | Field::Loc
            | Field::Apl
            | Field::WksProtocol
            | Field::WksBitmap
            | Field::Nsap
            | Field::Eui48
            | Field::Eui64
            | Field::Ilnp64
            | Field::A6PrefixLen
            | Field::A6Suffix
            | Field::A6PrefixName
            | Field::Hip
            | Field::NameList
            | Field::AmtType
            | Field::Base64Dash
            | Field::DsyncScheme
            | Field::Atma => self.special(field, prev_u8, out)?,
        }
        Ok(())
    }

    pub(crate) fn name(&mut self, t: &Token<'_>, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let n = parse_name(t.text(), self.origin, self.name_buf).map_err(|e| name_error(t, e))?;
        name_to_wire(&n, out);
        Ok(())
    }

    pub(crate) fn char_string(
        &mut self,
        t: &Token<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), ParseError> {
        let len_at = out.len();
        out.push(0);
        unescape_into(t.text(), out)
            .ok_or_else(|| expected(t, "a character string with valid escapes"))?;
        let len = out.len() - len_at - 1;
        if len > 255 {
            return Err(expected(t, "a character string of at most 255 octets"));
        }
        out[len_at] = len as u8;
        Ok(())
    }

    /// `\# <length> <hex>…` (RFC 3597 §5).
    fn generic(&mut self, rtype: RecordType, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let marker = self.lx.next_token()?;
        let len = self.number(65_535, "the RDATA length in octets")? as usize;
        let first = self.rest_words("hexadecimal RDATA", true)?;
        let decoded = HEXLOWER_PERMISSIVE
            .decode(self.scratch)
            .map_err(|_| expected(&first, "hexadecimal RDATA"))?;
        if decoded.len() != len {
            return Err(expected(
                &first,
                "as many hex octets as the \\# length says",
            ));
        }
        super::validate(rtype, &decoded)
            .map_err(|e| ParseError::new(marker.line, marker.col, ParseErrorKind::Rdata(e)))?;
        out.extend_from_slice(&decoded);
        Ok(())
    }
}

/// Strict dotted-quad IPv4 (no leading zeros beyond "0", four parts).
pub(crate) fn ipv4(text: &[u8]) -> Option<Ipv4Addr> {
    core::str::from_utf8(text).ok()?.parse().ok()
}

/// IPv6 in any RFC 4291 §2.2 text form.
pub(crate) fn ipv6(text: &[u8]) -> Option<Ipv6Addr> {
    core::str::from_utf8(text).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl(b"3600"), Some(3600));
        assert_eq!(parse_ttl(b"1h30m"), Some(5400));
        assert_eq!(parse_ttl(b"1W2D"), Some(7 * 86400 + 2 * 86400));
        assert_eq!(parse_ttl(b"1h30"), Some(3630));
        assert_eq!(parse_ttl(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_ttl(b"4294967296"), None);
        assert_eq!(parse_ttl(b"h"), None);
        assert_eq!(parse_ttl(b"1x"), None);
        assert_eq!(parse_ttl(b""), None);
    }
}
