//! The caller's clocks.

use core::fmt;

/// The time, as the caller passes it to every call: the monotonic clock
/// that timers run on, and the wall clock that certificates, renewal and
/// TSIG need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// The monotonic clock (the one [`acme::Client`] runs on).
    pub instant: acme::Instant,
    /// Seconds since 1970 (UTC).
    pub unix: u64,
}

impl Now {
    /// The time `instant` on the monotonic clock, `unix` on the wall clock.
    pub fn new(instant: acme::Instant, unix: u64) -> Self {
        Now { instant, unix }
    }

    /// The monotonic instant at which the wall clock shows `unix` (now if
    /// that is past).
    pub fn instant_at(&self, unix: u64) -> acme::Instant {
        self.instant + core::time::Duration::from_secs(unix.saturating_sub(self.unix))
    }
}

/// Seconds since 1970 shown as an RFC 3339 UTC time, for log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub u64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0 / 86_400;
        let seconds = self.0 % 86_400;
        // Civil from days (Howard Hinnant's algorithm), years from March.
        let z = days + 719_468;
        let era = z / 146_097;
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + u64::from(month <= 2);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn rfc3339() {
        assert_eq!(Rfc3339(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Rfc3339(951_825_600).to_string(), "2000-02-29T12:00:00Z");
        assert_eq!(Rfc3339(1_700_000_000).to_string(), "2023-11-14T22:13:20Z");
        assert_eq!(Rfc3339(4_102_444_799).to_string(), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn instant_at() {
        let now = Now::new(acme::Instant::from_millis(5_000), 1_000);
        assert_eq!(now.instant_at(1_010).millis(), 15_000);
        assert_eq!(now.instant_at(10).millis(), 5_000);
    }
}
