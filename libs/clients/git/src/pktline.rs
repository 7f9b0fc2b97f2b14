//! pkt-line framing (`gitprotocol-common(5)`) and side-band demultiplexing
//! (`gitprotocol-pack(5)`, "side-band, side-band-64k").
//!
//! A pkt-line is four hexadecimal digits giving the length of the whole line
//! (header included) followed by the payload. Three lengths below 4 are
//! special: `0000` flush, `0001` delimiter (protocol v2), `0002` response end
//! (protocol v2). The longest line git sends or accepts is
//! [`MAX_LINE_LEN`] (`LARGE_PACKET_MAX`) bytes.
//!
//! [`decode`] is incremental: it returns [`Stream::Incomplete`] with the
//! number of bytes it still needs, or [`Stream::Complete`] with a line that
//! borrows the input and the number of bytes consumed.

use alloc::vec::Vec;
use core::fmt;

/// Bytes of the length header.
pub const HEADER_LEN: usize = 4;
/// The longest pkt-line, header included (git's `LARGE_PACKET_MAX`).
pub const MAX_LINE_LEN: usize = 65520;
/// The longest payload of a pkt-line.
pub const MAX_DATA_LEN: usize = MAX_LINE_LEN - HEADER_LEN;

/// The flush-pkt.
pub const FLUSH: &[u8; 4] = b"0000";
/// The delim-pkt of protocol v2.
pub const DELIMITER: &[u8; 4] = b"0001";
/// The response-end-pkt of protocol v2.
pub const RESPONSE_END: &[u8; 4] = b"0002";

/// One decoded pkt-line, borrowing the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketLineRef<'a> {
    /// A line with a payload (possibly empty: `0004`).
    Data(&'a [u8]),
    /// `0000`: end of a message.
    Flush,
    /// `0001`: end of a section (protocol v2).
    Delimiter,
    /// `0002`: end of a response (protocol v2 stateless).
    ResponseEnd,
}

impl<'a> PacketLineRef<'a> {
    /// The payload of a data line.
    pub fn as_slice(&self) -> Option<&'a [u8]> {
        match self {
            PacketLineRef::Data(d) => Some(d),
            _ => None,
        }
    }

    /// The payload of a data line without one trailing LF (text lines end
    /// in LF "by convention"; receivers must not require it).
    pub fn as_text(&self) -> Option<&'a [u8]> {
        self.as_slice().map(|d| d.strip_suffix(b"\n").unwrap_or(d))
    }

    /// The message of an `ERR <message>` line, which a server may send
    /// instead of any response to report a fatal error.
    pub fn as_error(&self) -> Option<&'a [u8]> {
        self.as_text().and_then(|t| t.strip_prefix(b"ERR "))
    }
}

/// The result of decoding the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream<'a> {
    /// A whole line was at the start of the buffer.
    Complete {
        /// The line.
        line: PacketLineRef<'a>,
        /// Bytes of the buffer it occupied.
        consumed: usize,
    },
    /// The buffer holds only part of a line.
    Incomplete {
        /// How many more bytes are needed at least.
        needed: usize,
    },
}

/// A malformed pkt-line from the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The length header is not four hexadecimal digits.
    HexLength {
        /// The four header bytes.
        header: [u8; 4],
    },
    /// The length is 3, which no line can have.
    InvalidLength {
        /// The length.
        len: usize,
    },
    /// The length exceeds [`MAX_LINE_LEN`].
    TooLong {
        /// The length.
        len: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::HexLength { header } => write!(
                f,
                "a pkt-line should start with a 4-digit hexadecimal length, got {:?}",
                header.escape_ascii()
            ),
            DecodeError::InvalidLength { len } => write!(
                f,
                "a pkt-line length should be 0000, 0001, 0002 or at least 0004, got {len:04x}"
            ),
            DecodeError::TooLong { len } => write!(
                f,
                "a pkt-line should be at most {MAX_LINE_LEN} bytes long, got {len}"
            ),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A payload that does not fit in one pkt-line (a caller mistake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    /// Length of the payload.
    pub len: usize,
}

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a pkt-line payload should be at most {MAX_DATA_LEN} bytes, got {}",
            self.len
        )
    }
}

impl core::error::Error for TooLong {}

fn parse_len(header: [u8; 4]) -> Result<usize, DecodeError> {
    let mut len = 0usize;
    for c in header {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return Err(DecodeError::HexLength { header }),
        };
        len = (len << 4) | usize::from(v);
    }
    Ok(len)
}

/// Decodes the pkt-line at the start of `buf`.
pub fn decode(buf: &[u8]) -> Result<Stream<'_>, DecodeError> {
    let Some(header) = buf.first_chunk::<HEADER_LEN>() else {
        return Ok(Stream::Incomplete {
            needed: HEADER_LEN - buf.len(),
        });
    };
    let len = parse_len(*header)?;
    let line = match len {
        0 => PacketLineRef::Flush,
        1 => PacketLineRef::Delimiter,
        2 => PacketLineRef::ResponseEnd,
        3 => return Err(DecodeError::InvalidLength { len }),
        _ if len > MAX_LINE_LEN => return Err(DecodeError::TooLong { len }),
        _ => match buf.get(HEADER_LEN..len) {
            Some(data) => PacketLineRef::Data(data),
            None => {
                return Ok(Stream::Incomplete {
                    needed: len - buf.len(),
                })
            }
        },
    };
    let consumed = if len < HEADER_LEN { HEADER_LEN } else { len };
    Ok(Stream::Complete { line, consumed })
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for shift in [12u32, 8, 4, 0] {
        out.push(DIGITS[(len >> shift) & 0xf]);
    }
}

/// Appends a data line carrying `data`.
pub fn write_data(out: &mut Vec<u8>, data: &[u8]) -> Result<(), TooLong> {
    if data.len() > MAX_DATA_LEN {
        return Err(TooLong { len: data.len() });
    }
    out.reserve(HEADER_LEN + data.len());
    push_len(out, HEADER_LEN + data.len());
    out.extend_from_slice(data);
    Ok(())
}

/// Appends a text line: `text` followed by LF.
pub fn write_text(out: &mut Vec<u8>, text: &[u8]) -> Result<(), TooLong> {
    if text.len() + 1 > MAX_DATA_LEN {
        return Err(TooLong {
            len: text.len() + 1,
        });
    }
    push_len(out, HEADER_LEN + text.len() + 1);
    out.extend_from_slice(text);
    out.push(b'\n');
    Ok(())
}

/// Appends a flush-pkt.
pub fn write_flush(out: &mut Vec<u8>) {
    out.extend_from_slice(FLUSH);
}

/// Appends a delim-pkt.
pub fn write_delimiter(out: &mut Vec<u8>) {
    out.extend_from_slice(DELIMITER);
}

/// Appends a response-end-pkt.
pub fn write_response_end(out: &mut Vec<u8>) {
    out.extend_from_slice(RESPONSE_END);
}

/// The side-band channels of `side-band` / `side-band-64k`: the first byte
/// of each data line's payload names the band.
pub mod sideband {
    use core::fmt;

    /// The pack (or report-status) stream.
    pub const DATA: u8 = 1;
    /// Progress messages for a human.
    pub const PROGRESS: u8 = 2;
    /// A fatal error message; the remote stops after it.
    pub const ERROR: u8 = 3;

    /// Largest payload of a `side-band` line (1000-byte lines).
    pub const MAX_SMALL_DATA: usize = 999;
    /// Largest payload of a `side-band-64k` line.
    pub const MAX_LARGE_DATA: usize = super::MAX_DATA_LEN - 1;

    /// One demultiplexed side-band packet, borrowing the pkt-line payload.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Band<'a> {
        /// Band 1: pack data.
        Data(&'a [u8]),
        /// Band 2: progress text.
        Progress(&'a [u8]),
        /// Band 3: error text.
        Error(&'a [u8]),
    }

    /// A side-band payload with no band byte or an unknown band.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum Error {
        /// The payload is empty.
        Empty,
        /// The band byte is not 1, 2 or 3.
        UnknownBand {
            /// The band byte.
            band: u8,
        },
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::Empty => f.write_str(
                    "a side-band packet should start with a band byte, got an empty packet",
                ),
                Error::UnknownBand { band } => {
                    write!(
                        f,
                        "a side-band packet should be on band 1, 2 or 3, got band {band}"
                    )
                }
            }
        }
    }

    impl core::error::Error for Error {}

    /// Splits a data line's payload into band and contents.
    pub fn decode(payload: &[u8]) -> Result<Band<'_>, Error> {
        let (&band, rest) = payload.split_first().ok_or(Error::Empty)?;
        match band {
            DATA => Ok(Band::Data(rest)),
            PROGRESS => Ok(Band::Progress(rest)),
            ERROR => Ok(Band::Error(rest)),
            band => Err(Error::UnknownBand { band }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn specials_and_data() {
        let input = b"0000000100020006a\n0004";
        let mut rest: &[u8] = input;
        let mut lines = vec![];
        while !rest.is_empty() {
            match decode(rest).unwrap() {
                Stream::Complete { line, consumed } => {
                    lines.push(line);
                    rest = &rest[consumed..];
                }
                Stream::Incomplete { .. } => panic!("incomplete"),
            }
        }
        assert_eq!(
            lines,
            vec![
                PacketLineRef::Flush,
                PacketLineRef::Delimiter,
                PacketLineRef::ResponseEnd,
                PacketLineRef::Data(b"a\n"),
                PacketLineRef::Data(b""),
            ]
        );
        assert_eq!(lines[3].as_text(), Some(&b"a"[..]));
    }

    #[test]
    fn incomplete() {
        assert_eq!(decode(b"00").unwrap(), Stream::Incomplete { needed: 2 });
        assert_eq!(decode(b"0009ab").unwrap(), Stream::Incomplete { needed: 3 });
    }

    #[test]
    fn malformed() {
        assert!(matches!(
            decode(b"0003"),
            Err(DecodeError::InvalidLength { len: 3 })
        ));
        assert!(matches!(
            decode(b"zzzz"),
            Err(DecodeError::HexLength { .. })
        ));
        assert!(matches!(
            decode(b"fff1"),
            Err(DecodeError::TooLong { len: 0xfff1 })
        ));
        assert!(decode(b"fff0").unwrap() == Stream::Incomplete { needed: 0xfff0 - 4 });
    }

    #[test]
    fn encode() {
        let mut out = vec![];
        write_text(&mut out, b"done").unwrap();
        write_flush(&mut out);
        write_data(&mut out, b"").unwrap();
        assert_eq!(out, b"0009done\n00000004");
        let big = vec![0u8; MAX_DATA_LEN + 1];
        assert_eq!(
            write_data(&mut out, &big),
            Err(TooLong {
                len: MAX_DATA_LEN + 1
            })
        );
        write_data(&mut out, &big[1..]).unwrap();
    }

    #[test]
    fn err_line() {
        assert_eq!(
            PacketLineRef::Data(b"ERR access denied\n").as_error(),
            Some(&b"access denied"[..])
        );
    }

    #[test]
    fn bands() {
        use sideband::{decode, Band, Error};
        assert_eq!(decode(b"\x01PACK"), Ok(Band::Data(b"PACK")));
        assert_eq!(decode(b"\x02Counting"), Ok(Band::Progress(b"Counting")));
        assert_eq!(decode(b"\x03fatal"), Ok(Band::Error(b"fatal")));
        assert_eq!(decode(b""), Err(Error::Empty));
        assert_eq!(decode(b"\x04x"), Err(Error::UnknownBand { band: 4 }));
    }
}
