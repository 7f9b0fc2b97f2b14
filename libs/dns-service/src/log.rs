//! How much a service logs: `--log-level`, shared by the unikernels.

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

/// The `--log-level` boot argument (part of [`crate::SERVICE_ARGS`]).
pub const LOG_LEVEL_ARG: bootargs::ArgSpec = bootargs::ArgSpec {
    name: "log-level",
    kind: bootargs::ArgKind::Value {
        metavar: "error|warn|info|debug",
        default: Some("info"),
    },
    help: "what to log: errors only; also failures that are retried or refused; also every change of what is served; also routine checks",
};

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
}
