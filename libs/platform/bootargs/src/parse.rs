//! Tokenising and matching the command line against the specs.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::args::{Args, Slot};
use crate::error::Error;
use crate::help;
use crate::spec::{self, ArgKind, ArgSpec, HELP_NAME};

/// The outcome of [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<'s> {
    /// `--help` was given: the text to print before exiting.
    Help(String),
    /// The arguments, ready to be read.
    Args(Args<'s>),
}

/// Parses `cmdline` against `specs`.
///
/// `program` names the unikernel in the help text. When `--help` is among
/// the tokens, the result is [`Parsed::Help`] whatever else is given.
///
/// # Errors
///
/// The first malformed, unknown, duplicate or incomplete token, or
/// [`Error::ApiMisuse`] if `specs` itself is malformed (an empty or
/// duplicate name, a name containing `=`, the reserved name `help`).
pub fn parse<'s>(program: &str, specs: &'s [ArgSpec], cmdline: &str) -> Result<Parsed<'s>, Error> {
    spec::validate(specs)?;
    let tokens = || cmdline.split([' ', '\t']).filter(|t| !t.is_empty());
    let help_token = ["--", HELP_NAME].concat();
    if tokens().any(|t| t == help_token) {
        return Ok(Parsed::Help(help::render(program, specs)));
    }

    let mut slots: Vec<Slot> = specs.iter().map(|_| Slot::default()).collect();
    for token in tokens() {
        let malformed = || Error::MalformedToken {
            token: token.to_string(),
        };
        let body = token.strip_prefix("--").ok_or_else(malformed)?;
        let (name, value) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (body, None),
        };
        if name.is_empty() {
            return Err(malformed());
        }
        if name == HELP_NAME {
            // `--help` itself was handled above; this is `--help=…`.
            return Err(Error::UnexpectedValue {
                name: HELP_NAME,
                token: token.to_string(),
            });
        }
        let Some(index) = specs.iter().position(|s| s.name == name) else {
            return Err(Error::UnknownArgument {
                token: token.to_string(),
            });
        };
        let spec = &specs[index];
        let slot = &mut slots[index];
        match (spec.kind, value) {
            (ArgKind::Flag, Some(_)) => {
                return Err(Error::UnexpectedValue {
                    name: spec.name,
                    token: token.to_string(),
                });
            }
            (ArgKind::Value { metavar, .. } | ArgKind::Repeated { metavar }, None) => {
                return Err(Error::MissingValue {
                    name: spec.name,
                    metavar,
                });
            }
            (ArgKind::Flag | ArgKind::Value { .. }, _) if slot.present => {
                return Err(Error::Duplicate {
                    name: spec.name,
                    token: token.to_string(),
                });
            }
            (_, value) => {
                slot.present = true;
                slot.values.extend(value.map(str::to_string));
            }
        }
    }
    Ok(Parsed::Args(Args::new(specs, slots)))
}

/// Exit status for a bad command line (as BSD's `EX_USAGE` is 64, but the
/// shell convention for usage errors, 2, is what our tests and docs use).
pub const EXIT_USAGE: i32 = 2;

/// [`parse`] the way every solodns program does it, in images and host
/// processes alike: `--help` prints the help text through `print` and exits
/// 0; a bad argument prints `<program>: <error>` as one line and exits with
/// [`EXIT_USAGE`]. `print` writes text as given (no newline added).
pub fn parse_or_exit<'s>(
    program: &str,
    specs: &'s [ArgSpec],
    cmdline: &str,
    print: &mut dyn FnMut(&str),
    exit: fn(i32) -> !,
) -> Args<'s> {
    match parse(program, specs, cmdline) {
        Ok(Parsed::Args(args)) => args,
        Ok(Parsed::Help(text)) => {
            print(&text);
            exit(0)
        }
        Err(error) => {
            print(&alloc::format!("{program}: {error}\n"));
            exit(EXIT_USAGE)
        }
    }
}
