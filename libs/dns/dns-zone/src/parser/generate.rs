//! BIND's `$GENERATE` (BIND 9 ARM, "BIND Primary File Extension: the
//! $GENERATE Directive"; `lib/dns/master.c` `genname`, `nibbles`):
//!
//! `$GENERATE start-stop[/step] lhs [ttl] [class] type rhs`
//!
//! In `lhs` and `rhs`, `$` is the iterator; `${offset[,width[,base]]}` adds
//! `offset`, pads to `width` with zeros, and prints in base `d`, `o`, `x`,
//! `X`, or `n`/`N` (nibbles, least significant first, separated by dots,
//! as reverse IPv6 names need; width then counts characters, dots
//! included, as in BIND). `$$` is a literal `$`; a backslash escape
//! (`\$`) is kept as written for the name or RDATA parser to decode.
//!
//! BIND accepts any range within 0..2^31-1. Here one `$GENERATE` makes at
//! most [`MAX_GENERATE`] records and one zone at most
//! [`MAX_GENERATED_PER_ZONE`]: a /16 of reverse names is 256 directives of
//! 256, well inside, while a two-line file cannot expand to millions of
//! records.

use alloc::string::String;
use alloc::vec::Vec;

/// Most records one `$GENERATE` may make.
pub const MAX_GENERATE: u64 = 65_536;

/// Most records all `$GENERATE`s of a zone may make together.
pub const MAX_GENERATED_PER_ZONE: u64 = 262_144;

/// `start-stop[/step]`: start, stop, step; the error says what is wrong.
pub(crate) fn parse_range(text: &[u8]) -> Result<(u64, u64, u64), &'static str> {
    let text = core::str::from_utf8(text).map_err(|_| RANGE)?;
    let (range, step) = match text.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (text, None),
    };
    let (start, stop) = range.split_once('-').ok_or(RANGE)?;
    let number = |s: &str| -> Result<u64, &'static str> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RANGE);
        }
        s.parse::<u64>()
            .ok()
            .filter(|&n| n <= i32::MAX as u64)
            .ok_or("a range within 0-2147483647")
    };
    let (start, stop) = (number(start)?, number(stop)?);
    let step = match step {
        Some(s) => number(s)?,
        None => 1,
    };
    if step == 0 {
        return Err("a step of at least 1");
    }
    if stop < start {
        return Err("a range whose stop is not below its start");
    }
    Ok((start, stop, step))
}

const RANGE: &str = "a range start-stop or start-stop/step (decimal numbers)";

/// How many values `start..=stop` by `step` has.
pub(crate) fn count(start: u64, stop: u64, step: u64) -> u64 {
    (stop - start) / step + 1
}

/// `template` with `$` replaced by `value`; the error says what is wrong
/// with a `${…}` modifier.
pub(crate) fn substitute(
    template: &[u8],
    value: u64,
    out: &mut Vec<u8>,
) -> Result<(), &'static str> {
    out.clear();
    let mut i = 0;
    while i < template.len() {
        match template[i] {
            b'\\' => {
                out.extend_from_slice(&template[i..(i + 2).min(template.len())]);
                i += 2;
            }
            b'$' if template.get(i + 1) == Some(&b'$') => {
                out.push(b'$');
                i += 2;
            }
            b'$' if template.get(i + 1) == Some(&b'{') => {
                let close = template[i..]
                    .iter()
                    .position(|&b| b == b'}')
                    .ok_or("a `}` closing the `${` modifier")?;
                let inner =
                    core::str::from_utf8(&template[i + 2..i + close]).map_err(|_| MODIFIER)?;
                format(inner, value, out)?;
                i += close + 1;
            }
            b'$' => {
                push_decimal(value as i64, 0, out);
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(())
}

const MODIFIER: &str = "a modifier ${offset}, ${offset,width} or ${offset,width,base} \
     (base one of d, o, x, X, n, N)";

/// One `${offset[,width[,base]]}`.
fn format(inner: &str, value: u64, out: &mut Vec<u8>) -> Result<(), &'static str> {
    let mut parts = inner.split(',');
    let offset = parts.next().ok_or(MODIFIER)?;
    let offset: i64 = parse_signed(offset).ok_or(MODIFIER)?;
    let width: usize = match parts.next() {
        Some(w) if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) => w
            .parse()
            .ok()
            .filter(|&w| w <= 255)
            .ok_or("a width of at most 255")?,
        Some(_) => return Err(MODIFIER),
        None => 0,
    };
    let base = match parts.next() {
        Some(b) if b.len() == 1 && b"doxXnN".contains(&b.as_bytes()[0]) => b.as_bytes()[0],
        Some(_) => return Err(MODIFIER),
        None => b'd',
    };
    if parts.next().is_some() {
        return Err(MODIFIER);
    }
    let n = value as i64 + offset;
    if !(i32::MIN as i64..=i32::MAX as i64).contains(&n) {
        return Err("an offset that keeps the value within 32 bits");
    }
    // As C's printf of an int: o, x, X and the nibbles print the bits of a
    // negative value as unsigned.
    let bits = n as i32 as u32;
    match base {
        b'd' => push_decimal(n, width, out),
        b'o' => push_radix(bits, 8, false, width, out),
        b'x' => push_radix(bits, 16, false, width, out),
        b'X' => push_radix(bits, 16, true, width, out),
        _ => push_nibbles(bits, base == b'N', width, out),
    }
    Ok(())
}

fn parse_signed(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 11 {
        return None;
    }
    s.parse().ok()
}

fn push_decimal(n: i64, width: usize, out: &mut Vec<u8>) {
    let mut digits = String::new();
    let mut m = n.unsigned_abs();
    loop {
        digits.insert(0, char::from(b'0' + (m % 10) as u8));
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        digits.insert(0, '-');
    }
    // printf("%0*d"): zeros after the sign.
    let pad = width.saturating_sub(digits.len());
    let sign = usize::from(n < 0);
    out.extend_from_slice(&digits.as_bytes()[..sign]);
    out.extend(core::iter::repeat_n(b'0', pad));
    out.extend_from_slice(&digits.as_bytes()[sign..]);
}

fn push_radix(mut n: u32, radix: u32, upper: bool, width: usize, out: &mut Vec<u8>) {
    let mut digits = Vec::new();
    loop {
        digits.push(digit(n % radix, upper));
        n /= radix;
        if n == 0 {
            break;
        }
    }
    out.extend(core::iter::repeat_n(
        b'0',
        width.saturating_sub(digits.len()),
    ));
    out.extend(digits.iter().rev());
}

fn digit(d: u32, upper: bool) -> u8 {
    match d {
        0..=9 => b'0' + d as u8,
        _ if upper => b'A' + (d - 10) as u8,
        _ => b'a' + (d - 10) as u8,
    }
}

/// BIND's `nibbles`: least significant nibble first, dot-separated, until
/// the value is used up and `width` characters (dots included) are written.
fn push_nibbles(mut value: u32, upper: bool, mut width: usize, out: &mut Vec<u8>) {
    loop {
        out.push(digit(value & 0xf, upper));
        value >>= 4;
        width = width.saturating_sub(1);
        if width > 0 || value != 0 {
            out.push(b'.');
            width = width.saturating_sub(1);
        }
        if value == 0 && width == 0 {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(t: &str, v: u64) -> String {
        let mut out = Vec::new();
        substitute(t.as_bytes(), v, &mut out).expect("valid template");
        String::from_utf8(out).expect("ascii")
    }

    /// The examples of BIND's ARM.
    #[test]
    fn substitutions_as_bind_makes_them() {
        assert_eq!(sub("$", 7), "7");
        assert_eq!(sub("host-$.$$", 7), "host-7.$");
        assert_eq!(sub("\\$a$", 3), "\\$a3");
        assert_eq!(sub("${0,3,d}", 7), "007");
        assert_eq!(sub("${-5}", 3), "-2");
        assert_eq!(sub("${-5,4}", 3), "-002");
        assert_eq!(sub("${10,4,x}", 5), "000f");
        assert_eq!(sub("${0,2,X}", 255), "FF");
        assert_eq!(sub("${0,0,o}", 8), "10");
        assert_eq!(sub("${0,0,n}", 0x1a), "a.1");
        assert_eq!(sub("${0,4,n}", 1), "1.0.");
        assert_eq!(sub("${0,3,N}", 0xb), "B.0");
        assert_eq!(sub("${0,8,n}", 0x12), "2.1.0.0.");
    }

    #[test]
    fn bad_modifiers_and_ranges() {
        let mut out = Vec::new();
        for bad in [
            "${",
            "${x}",
            "${1,2,q}",
            "${1,,d}",
            "${1,2,d,4}",
            "${99999999999}",
        ] {
            assert!(substitute(bad.as_bytes(), 1, &mut out).is_err(), "{bad}");
        }
        assert_eq!(parse_range(b"1-10"), Ok((1, 10, 1)));
        assert_eq!(parse_range(b"0-255/4"), Ok((0, 255, 4)));
        for bad in ["10-1", "1-", "-1-2", "1-2/0", "a-b", "1-3000000000", "1-2/"] {
            assert!(parse_range(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(count(0, 255, 4), 64);
    }
}
