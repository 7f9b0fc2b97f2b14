//! The declaration of boot arguments.

use crate::error::ApiMisuse;

/// The name of the argument that every program accepts: `--help` makes
/// [`parse`](crate::parse) return the help text. A spec may not use it.
pub const HELP_NAME: &str = "help";

/// One boot argument, as declared by a unikernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgSpec {
    /// Name without the leading `--`, e.g. `"ipv4"` for `--ipv4=…`.
    pub name: &'static str,
    /// Whether the argument is a flag or takes values.
    pub kind: ArgKind,
    /// One line for the help text: what the argument does.
    pub help: &'static str,
}

/// What an argument looks like on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// `--name`, at most once, without a value.
    Flag,
    /// `--name=VALUE`, at most once.
    Value {
        /// Placeholder for the value in help and error messages: `ADDR/LEN`.
        metavar: &'static str,
        /// The value used when the argument is absent.
        default: Option<&'static str>,
    },
    /// `--name=VALUE`, any number of times; each occurrence adds one value.
    Repeated {
        /// Placeholder for one value in help and error messages: `IP`.
        metavar: &'static str,
    },
}

impl ArgKind {
    /// The metavar of a kind that takes values.
    pub fn metavar(&self) -> Option<&'static str> {
        match self {
            ArgKind::Flag => None,
            ArgKind::Value { metavar, .. } | ArgKind::Repeated { metavar } => Some(metavar),
        }
    }

    /// A word for the kind, used in [`ApiMisuse`] messages.
    pub(crate) fn noun(&self) -> &'static str {
        match self {
            ArgKind::Flag => "a flag",
            ArgKind::Value { .. } => "a single value",
            ArgKind::Repeated { .. } => "a repeated value",
        }
    }
}

/// Checks that a spec table can be parsed against unambiguously.
pub(crate) fn validate(specs: &[ArgSpec]) -> Result<(), ApiMisuse> {
    for (i, spec) in specs.iter().enumerate() {
        let name = spec.name;
        let reason = if name.is_empty() {
            Some("a name must not be empty")
        } else if name == HELP_NAME {
            Some("`--help` is built in")
        } else if name.starts_with('-') {
            Some("a name is given without the leading `--`")
        } else if name.contains(['=', ' ', '\t']) {
            Some("a name must not contain `=`, spaces or tabs")
        } else if spec.kind.metavar().is_some_and(str::is_empty) {
            Some("a metavar must not be empty")
        } else if specs[..i].iter().any(|other| other.name == name) {
            Some("the name is declared twice")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(ApiMisuse::InvalidSpec { name, reason });
        }
    }
    Ok(())
}
