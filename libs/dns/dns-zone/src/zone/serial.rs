//! Serial number arithmetic (RFC 1982) for SOA serials.

use core::cmp::Ordering;
use core::fmt;

/// An SOA serial number, compared with RFC 1982 serial number arithmetic
/// (SERIAL_BITS = 32).
///
/// The order is partial: two serials exactly 2^31 apart are incomparable
/// (RFC 1982 §3.2), so `partial_cmp` returns `None` for them and `<`, `>`
/// are both false.
///
/// ```
/// use dns_zone::Serial;
/// assert!(Serial(1) < Serial(2));
/// assert!(Serial(u32::MAX) < Serial(0)); // wraps around
/// assert!(Serial(0).partial_cmp(&Serial(1 << 31)).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Serial(pub u32);

impl Serial {
    /// RFC 1982 §3.1 addition: `n` must be at most 2^31 - 1; larger values
    /// are undefined by the RFC and give `None`.
    pub fn checked_add(self, n: u32) -> Option<Self> {
        (n < (1 << 31)).then(|| Self(self.0.wrapping_add(n)))
    }
}

impl PartialOrd for Serial {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        let (i1, i2) = (self.0, other.0);
        if i1 == i2 {
            return Some(Ordering::Equal);
        }
        let diff = i2.wrapping_sub(i1);
        match diff.cmp(&(1 << 31)) {
            // i1 < i2 and i2 - i1 < 2^31, or i1 > i2 and i1 - i2 > 2^31.
            Ordering::Less => Some(Ordering::Less),
            Ordering::Greater => Some(Ordering::Greater),
            Ordering::Equal => None,
        }
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of RFC 1982 §5.2 (SERIAL_BITS = 8), scaled to 32 bits.
    #[test]
    fn rfc1982_examples() {
        let cases: &[(u32, u32, Option<Ordering>)] = &[
            (0, 1, Some(Ordering::Less)),
            (0, 44, Some(Ordering::Less)),
            (0, (1 << 31) - 1, Some(Ordering::Less)),
            (0, 1 << 31, None),
            (1, 0, Some(Ordering::Greater)),
            (44, 0, Some(Ordering::Greater)),
            (u32::MAX, 0, Some(Ordering::Less)),
            (u32::MAX, (1 << 31) - 2, Some(Ordering::Less)),
            (u32::MAX, (1 << 31) - 1, None),
            (2026112301, 2026112302, Some(Ordering::Less)),
            (7, 7, Some(Ordering::Equal)),
        ];
        for &(a, b, want) in cases {
            assert_eq!(Serial(a).partial_cmp(&Serial(b)), want, "{a} vs {b}");
        }
        assert_eq!(Serial(u32::MAX).checked_add(1), Some(Serial(0)));
        assert_eq!(Serial(0).checked_add(1 << 31), None);
    }
}
