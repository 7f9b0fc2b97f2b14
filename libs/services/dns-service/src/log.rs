//! How much a service logs ([`LogLevel`]) and how its lines look.

use core::fmt;

/// A line printer: the console in images, stdout on the host.
pub type Log = fn(fmt::Arguments<'_>);

/// How much to log, from least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Only what the operator must act on (a service that cannot run).
    Error,
    /// Also what failed and was retried or refused: fetches, pushes and
    /// transfers that failed, zones that did not load, UPDATEs that could
    /// not be made durable.
    Warn,
    /// Also every change of what is served: zones loaded, replaced or
    /// removed, UPDATEs made durable, NOTIFYs acted on.
    Info,
    /// Also routine work: checks that found nothing new, steps of an
    /// UPDATE on its way to git.
    Debug,
}

impl core::str::FromStr for LogLevel {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "error" => Ok(LogLevel::Error),
            "warn" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            _ => Err(()),
        }
    }
}

/// A wall-clock instant printed as RFC 3339 UTC with milliseconds
/// (`2026-12-02T12:34:56.789Z`), the prefix of every log line in both
/// builds: operators correlate lines with other hosts' logs and with git.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    unix_ns: u64,
}

impl Timestamp {
    /// The instant `unix_ns` nanoseconds after 1970-01-01T00:00:00Z.
    pub fn from_unix_ns(unix_ns: u64) -> Timestamp {
        Timestamp { unix_ns }
    }
}

/// Year, month (1-12) and day (1-31) of a day count since 1970-01-01, in
/// the proleptic Gregorian calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.unix_ns / 1_000_000_000;
        let millis = (self.unix_ns / 1_000_000) % 1000;
        let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
        let of_day = seconds % 86_400;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        )
    }
}

/// A [`Log`] that drops lines above its level.
#[derive(Clone, Copy, Debug)]
pub struct Logger {
    sink: Log,
    level: LogLevel,
}

impl Logger {
    /// Lines up to `level` go to `sink`.
    pub fn new(sink: Log, level: LogLevel) -> Logger {
        Logger { sink, level }
    }

    /// Whether lines at `level` are printed.
    pub fn enabled(&self, level: LogLevel) -> bool {
        level <= self.level
    }

    /// Prints `args` if `level` is enabled.
    pub fn at(&self, level: LogLevel, args: fmt::Arguments<'_>) {
        if self.enabled(level) {
            (self.sink)(args);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_parse_and_order() {
        assert_eq!("debug".parse(), Ok(LogLevel::Debug));
        assert!("loud".parse::<LogLevel>().is_err());
        assert!(LogLevel::Error < LogLevel::Warn && LogLevel::Info < LogLevel::Debug);
        let logger = Logger::new(|_| {}, LogLevel::Info);
        assert!(logger.enabled(LogLevel::Warn) && !logger.enabled(LogLevel::Debug));
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let at = |ns| alloc::format!("{}", Timestamp::from_unix_ns(ns));
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        // `date -u -d @1796214896` (2026-12-02 12:34:56) and a leap day.
        assert_eq!(at(1_796_214_896_789_000_000), "2026-12-02T12:34:56.789Z");
        assert_eq!(at(951_782_400_000_000_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(4_107_542_399_999_999_999), "2100-02-28T23:59:59.999Z");
    }
}
