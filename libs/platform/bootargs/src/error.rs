//! Errors of parsing and reading boot arguments.

use alloc::string::String;
use core::fmt;

/// A boot-argument error: either the command line is wrong (all variants
/// but one, each naming the offending token) or the program is
/// ([`Error::ApiMisuse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A token names no declared argument.
    UnknownArgument {
        /// The token as given.
        token: String,
    },
    /// A token is not of the form `--name` or `--name=value`.
    MalformedToken {
        /// The token as given.
        token: String,
    },
    /// A flag was given a value (`--verbose=1`).
    UnexpectedValue {
        /// The flag.
        name: &'static str,
        /// The token as given.
        token: String,
    },
    /// An argument that takes a value was given without one (`--ipv4`).
    MissingValue {
        /// The argument.
        name: &'static str,
        /// Its metavar.
        metavar: &'static str,
    },
    /// An argument that may appear once appeared again.
    Duplicate {
        /// The argument.
        name: &'static str,
        /// The token of the second occurrence.
        token: String,
    },
    /// A value does not parse as the type the program reads it as.
    InvalidValue {
        /// The argument.
        name: &'static str,
        /// The value as given.
        value: String,
        /// What was expected instead.
        metavar: &'static str,
    },
    /// A value the program requires is neither given nor defaulted.
    MissingRequired {
        /// The argument.
        name: &'static str,
        /// Its metavar.
        metavar: &'static str,
    },
    /// The program, not the command line, is wrong.
    ApiMisuse(ApiMisuse),
}

/// A mistake of the program using this crate, not of whoever booted it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiMisuse {
    /// The spec table is malformed.
    InvalidSpec {
        /// The offending name.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An accessor was called with a name the spec table does not declare.
    UndeclaredName {
        /// The name asked for.
        name: String,
    },
    /// An accessor for one kind was called on an argument of another kind.
    WrongKind {
        /// The argument.
        name: &'static str,
        /// Its declared kind.
        declared: &'static str,
        /// The kind the accessor reads.
        requested: &'static str,
    },
    /// A declared default does not parse as the type it is read as.
    InvalidDefault {
        /// The argument.
        name: &'static str,
        /// The default.
        default: &'static str,
        /// What was expected instead.
        metavar: &'static str,
    },
}

/// A token as errors show it: its name, never its value (the value may be
/// a secret: `--ssh-key=ed25519:SEED` mistyped, or given twice). A token
/// without `=` that does not start with `-` may itself be a pasted
/// secret: it is not shown.
struct Shown<'a>(&'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once('=') {
            Some((name, _)) => write!(f, "`{name}=…`"),
            None if self.0.starts_with('-') => write!(f, "`{}`", self.0),
            None => write!(
                f,
                "of {} characters not starting with --",
                self.0.chars().count()
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownArgument { token } => {
                write!(f, "unknown argument {} (see --help)", Shown(token))
            }
            Error::MalformedToken { token } => {
                write!(
                    f,
                    "malformed argument {} (expected --NAME or --NAME=VALUE)",
                    Shown(token)
                )
            }
            Error::UnexpectedValue { name, token } => {
                write!(
                    f,
                    "unexpected value in {} (--{name} is a flag and takes no value)",
                    Shown(token)
                )
            }
            Error::MissingValue { name, metavar } => {
                write!(
                    f,
                    "missing value for `--{name}` (expected --{name}={metavar})"
                )
            }
            Error::Duplicate { name, token } => {
                write!(
                    f,
                    "{}: --{name} is given more than once (expected at most once)",
                    Shown(token)
                )
            }
            Error::InvalidValue {
                name,
                value,
                metavar,
            } => {
                // Values read as numbers, addresses, durations: never secrets
                // (those are read as text and checked by their owner).
                write!(
                    f,
                    "invalid value for --{name}: `{value}` (expected {metavar})"
                )
            }
            Error::MissingRequired { name, metavar } => {
                write!(f, "missing required argument --{name}={metavar}")
            }
            Error::ApiMisuse(misuse) => write!(f, "API misuse: {misuse}"),
        }
    }
}

impl fmt::Display for ApiMisuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiMisuse::InvalidSpec { name, reason } => {
                write!(f, "invalid argument spec `{name}`: {reason}")
            }
            ApiMisuse::UndeclaredName { name } => {
                write!(f, "`--{name}` is not declared in the argument specs")
            }
            ApiMisuse::WrongKind {
                name,
                declared,
                requested,
            } => {
                write!(
                    f,
                    "--{name} is declared as {declared} but read as {requested}"
                )
            }
            ApiMisuse::InvalidDefault {
                name,
                default,
                metavar,
            } => {
                write!(
                    f,
                    "the default `{default}` of --{name} is not a valid {metavar}"
                )
            }
        }
    }
}

impl core::error::Error for Error {}
impl core::error::Error for ApiMisuse {}

impl From<ApiMisuse> for Error {
    fn from(misuse: ApiMisuse) -> Self {
        Error::ApiMisuse(misuse)
    }
}
