//! Object ids: the SHA-1 of an object's header and contents
//! (`gitformat-pack(5)`, "object-format=sha1").

use core::fmt;
use core::str::FromStr;

/// Bytes in a SHA-1 object id.
pub const SHA1_LEN: usize = 20;
/// Characters in the hexadecimal form of a SHA-1 object id.
pub const SHA1_HEX_LEN: usize = 40;

/// A SHA-1 object id. Ordered bytewise, which is also the order of its
/// hexadecimal form. The default is [`ObjectId::ZERO`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ObjectId([u8; SHA1_LEN]);

/// A malformed hexadecimal object id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HexError {
    /// The text does not have 40 characters.
    Length {
        /// Characters seen.
        actual: usize,
    },
    /// A character is not a hexadecimal digit.
    Digit {
        /// Position of the offending character.
        position: usize,
    },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::Length { actual } => write!(
                f,
                "an object id should be {SHA1_HEX_LEN} hexadecimal digits, got {actual} characters"
            ),
            HexError::Digit { position } => write!(
                f,
                "an object id should be hexadecimal, character {position} is not a hex digit"
            ),
        }
    }
}

impl core::error::Error for HexError {}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl ObjectId {
    /// The all-zero id: "no object" in ref updates and advertisements.
    pub const ZERO: ObjectId = ObjectId([0; SHA1_LEN]);

    /// An id from its 20 bytes.
    pub const fn from_bytes(bytes: [u8; SHA1_LEN]) -> Self {
        ObjectId(bytes)
    }

    /// An id from a slice of exactly 20 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; SHA1_LEN]>::try_from(bytes).ok().map(ObjectId)
    }

    /// The 20 bytes of the id.
    pub const fn as_bytes(&self) -> &[u8; SHA1_LEN] {
        &self.0
    }

    /// Parses 40 hexadecimal digits (either case, as `gitprotocol-pack(5)`
    /// asks of receivers).
    pub fn from_hex(hex: &[u8]) -> Result<Self, HexError> {
        if hex.len() != SHA1_HEX_LEN {
            return Err(HexError::Length { actual: hex.len() });
        }
        let mut out = [0u8; SHA1_LEN];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or(HexError::Digit { position: 2 * i })?;
            let lo = hex_value(pair[1]).ok_or(HexError::Digit {
                position: 2 * i + 1,
            })?;
            out[i] = (hi << 4) | lo;
        }
        Ok(ObjectId(out))
    }

    /// Whether this is [`ObjectId::ZERO`].
    pub fn is_zero(&self) -> bool {
        self.0 == [0; SHA1_LEN]
    }

    /// The lowercase hexadecimal form.
    pub fn to_hex(&self) -> [u8; SHA1_HEX_LEN] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; SHA1_HEX_LEN];
        for (i, b) in self.0.iter().enumerate() {
            out[2 * i] = DIGITS[usize::from(b >> 4)];
            out[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
        }
        out
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_hex();
        // Hex digits are ASCII.
        f.write_str(core::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

impl FromStr for ObjectId {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Self, HexError> {
        ObjectId::from_hex(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let hex = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
        let id: ObjectId = hex.parse().unwrap();
        assert_eq!(alloc::format!("{id}"), hex);
        assert_eq!(
            ObjectId::from_hex(hex.to_uppercase().as_bytes()).unwrap(),
            id
        );
        assert!(!id.is_zero());
        assert!(ObjectId::ZERO.is_zero());
    }

    #[test]
    fn bad_hex() {
        assert_eq!(
            ObjectId::from_hex(b"abc"),
            Err(HexError::Length { actual: 3 })
        );
        let mut s = *b"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
        s[7] = b'g';
        assert_eq!(ObjectId::from_hex(&s), Err(HexError::Digit { position: 7 }));
    }
}
