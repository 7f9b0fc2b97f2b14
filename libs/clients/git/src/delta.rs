//! Delta application (`gitformat-pack(5)`, "Deltified representation"):
//! a delta is the base's size and the result's size as little-endian
//! base-128 numbers, then instructions that copy a range of the base
//! (high bit set) or insert 1–127 literal bytes (high bit clear; 0 is
//! reserved).

use alloc::vec::Vec;
use core::fmt;

/// A malformed delta, or one whose result exceeds the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The delta ends inside a size or an instruction.
    Truncated,
    /// A size does not fit in 64 bits.
    SizeOverflow,
    /// The base is not as long as the delta says.
    BaseSize {
        /// Size the delta expects.
        expected: u64,
        /// Size of the base.
        actual: usize,
    },
    /// The result would exceed the object size limit.
    TooLarge {
        /// Size the delta announces.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// A copy instruction reaches outside the base.
    CopyOutOfRange {
        /// Start of the copy.
        offset: u64,
        /// Bytes to copy.
        len: u64,
    },
    /// The reserved instruction byte 0.
    ReservedInstruction,
    /// The instructions produce more or fewer bytes than announced.
    ResultSize {
        /// Size the delta announces.
        expected: u64,
        /// Bytes the instructions produce (so far, if more).
        actual: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("a delta should not end inside a size or an instruction"),
            Error::SizeOverflow => f.write_str("a delta's sizes should fit in 64 bits"),
            Error::BaseSize { expected, actual } => write!(
                f,
                "a delta's base should be {expected} bytes long, the base object has {actual}"
            ),
            Error::TooLarge { size, limit } => write!(
                f,
                "a delta's result should be at most {limit} bytes (the object size limit), it announces {size}"
            ),
            Error::CopyOutOfRange { offset, len } => write!(
                f,
                "a delta copy should stay inside the base, got {len} bytes at offset {offset}"
            ),
            Error::ReservedInstruction => f.write_str("a delta instruction should not be the reserved byte 0"),
            Error::ResultSize { expected, actual } => write!(
                f,
                "a delta should produce the {expected} bytes it announces, its instructions produce {actual}"
            ),
        }
    }
}

impl core::error::Error for Error {}

/// Reads a little-endian base-128 size, returning it and the bytes read.
fn read_size(data: &[u8]) -> Result<(u64, usize), Error> {
    let mut value = 0u64;
    let mut shift = 0u32;
    for (i, &b) in data.iter().enumerate() {
        if shift > 63 || (shift > 0 && u64::from(b & 0x7f) >> (64 - shift) != 0) {
            return Err(Error::SizeOverflow);
        }
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
        shift += 7;
    }
    Err(Error::Truncated)
}

/// The base size and result size a delta announces.
pub fn sizes(delta: &[u8]) -> Result<(u64, u64), Error> {
    let (base, n) = read_size(delta)?;
    let (result, _) = read_size(&delta[n..])?;
    Ok((base, result))
}

/// Applies `delta` to `base`; the result may be at most `max_size` bytes.
pub fn apply(base: &[u8], delta: &[u8], max_size: usize) -> Result<Vec<u8>, Error> {
    let (base_size, n1) = read_size(delta)?;
    let (result_size, n2) = read_size(&delta[n1..])?;
    if base_size != base.len() as u64 {
        return Err(Error::BaseSize {
            expected: base_size,
            actual: base.len(),
        });
    }
    if result_size > max_size as u64 {
        return Err(Error::TooLarge {
            size: result_size,
            limit: max_size,
        });
    }
    // Fits in usize: bounded by max_size.
    let result_len = result_size as usize;
    let mut out = Vec::with_capacity(result_len);
    let mut ops = &delta[n1 + n2..];
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        if op & 0x80 != 0 {
            let mut fields = [0u8; 7];
            let mut rest = ops;
            for (bit, field) in fields.iter_mut().enumerate() {
                if op & (1 << bit) != 0 {
                    let (&b, r) = rest.split_first().ok_or(Error::Truncated)?;
                    *field = b;
                    rest = r;
                }
            }
            ops = rest;
            let offset = u64::from(u32::from_le_bytes([
                fields[0], fields[1], fields[2], fields[3],
            ]));
            let mut len = u64::from(u32::from_le_bytes([fields[4], fields[5], fields[6], 0]));
            if len == 0 {
                len = 0x10000;
            }
            let end = offset + len;
            if end > base.len() as u64 {
                return Err(Error::CopyOutOfRange { offset, len });
            }
            if (out.len() as u64) + len > result_size {
                return Err(Error::ResultSize {
                    expected: result_size,
                    actual: out.len() as u64 + len,
                });
            }
            out.extend_from_slice(&base[offset as usize..end as usize]);
        } else if op != 0 {
            let len = usize::from(op);
            let lit = ops.get(..len).ok_or(Error::Truncated)?;
            if out.len() + len > result_len {
                return Err(Error::ResultSize {
                    expected: result_size,
                    actual: (out.len() + len) as u64,
                });
            }
            out.extend_from_slice(lit);
            ops = &ops[len..];
        } else {
            return Err(Error::ReservedInstruction);
        }
    }
    if out.len() != result_len {
        return Err(Error::ResultSize {
            expected: result_size,
            actual: out.len() as u64,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_and_insert() {
        let base = b"hello world";
        // base 11, result 17: copy "hello " (6 at 0), insert "there",
        // copy " world" (6 at 5).
        let delta = [
            11,
            17, // sizes
            0x80 | 0x10,
            6, // copy len 6 from offset 0 ("hello ")
            5,
            b't',
            b'h',
            b'e',
            b'r',
            b'e', // insert "there"
            0x80 | 0x01 | 0x10,
            5,
            6, // copy 6 from offset 5 (" world")
        ];
        assert_eq!(apply(base, &delta, 100).unwrap(), b"hello there world");
        assert_eq!(sizes(&delta).unwrap(), (11, 17));
    }

    #[test]
    fn copy_of_zero_means_64k() {
        let base = alloc::vec![7u8; 0x10000];
        let delta = [0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80];
        assert_eq!(apply(&base, &delta, 0x10000).unwrap(), base);
    }

    #[test]
    fn hostile() {
        let base = b"abc";
        assert_eq!(
            apply(base, &[4, 1, 1, b'x'], 10),
            Err(Error::BaseSize {
                expected: 4,
                actual: 3
            })
        );
        assert_eq!(
            apply(base, &[3, 100, 0x90, 1], 10),
            Err(Error::TooLarge {
                size: 100,
                limit: 10
            })
        );
        assert_eq!(
            apply(base, &[3, 4, 0x91, 2, 2], 10),
            Err(Error::CopyOutOfRange { offset: 2, len: 2 })
        );
        assert_eq!(apply(base, &[3, 1, 0], 10), Err(Error::ReservedInstruction));
        assert_eq!(apply(base, &[3, 1, 2, b'x'], 10), Err(Error::Truncated));
        assert_eq!(
            apply(base, &[3, 2, 1, b'x'], 10),
            Err(Error::ResultSize {
                expected: 2,
                actual: 1
            })
        );
        assert_eq!(
            apply(base, &[3, 1, 0x90, 3], 10),
            Err(Error::ResultSize {
                expected: 1,
                actual: 3
            })
        );
        assert_eq!(apply(base, &[0x83], 10), Err(Error::Truncated));
        assert_eq!(
            apply(
                base,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
                10
            ),
            Err(Error::SizeOverflow)
        );
    }
}
