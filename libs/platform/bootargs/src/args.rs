//! Reading parsed arguments.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::str::FromStr;

use crate::error::{ApiMisuse, Error};
use crate::spec::{ArgKind, ArgSpec};

/// What the command line said about one declared argument.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Slot {
    /// The argument appeared at least once.
    pub(crate) present: bool,
    /// Its values in order (none for a flag, at most one for a value).
    pub(crate) values: Vec<String>,
}

/// Parsed boot arguments, read by name.
///
/// Every accessor checks the name and kind against the specs: reading an
/// undeclared name, or a flag as a value, is [`Error::ApiMisuse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args<'s> {
    specs: &'s [ArgSpec],
    /// One per spec, same order.
    slots: Vec<Slot>,
}

/// A declared single value as read by the accessors.
struct Single<'a> {
    name: &'static str,
    metavar: &'static str,
    default: Option<&'static str>,
    given: Option<&'a str>,
}

/// A declared repeated value as read by the accessors.
struct Repeated<'a> {
    name: &'static str,
    metavar: &'static str,
    given: &'a [String],
}

impl<'s> Args<'s> {
    pub(crate) fn new(specs: &'s [ArgSpec], slots: Vec<Slot>) -> Self {
        Args { specs, slots }
    }

    /// Whether the flag `--name` was given.
    ///
    /// # Errors
    ///
    /// [`Error::ApiMisuse`] if `name` is not a declared flag.
    pub fn flag(&self, name: &str) -> Result<bool, Error> {
        let (spec, slot) = self.find(name)?;
        match spec.kind {
            ArgKind::Flag => Ok(slot.present),
            _ => Err(wrong_kind(spec, ArgKind::Flag.noun())),
        }
    }

    /// The value of `--name=VALUE`, or its default when absent.
    ///
    /// # Errors
    ///
    /// [`Error::ApiMisuse`] if `name` is not a declared single value.
    pub fn value(&self, name: &str) -> Result<Option<&str>, Error> {
        let single = self.single(name)?;
        Ok(single.given.or(single.default))
    }

    /// All values of a repeated `--name=VALUE`, in command-line order.
    ///
    /// # Errors
    ///
    /// [`Error::ApiMisuse`] if `name` is not a declared repeated value.
    pub fn values(&self, name: &str) -> Result<&[String], Error> {
        Ok(self.repeated(name)?.given)
    }

    /// The value of `--name=VALUE` (or its default) parsed as `T`; `None`
    /// when it is absent and has no default.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] if the given value does not parse, naming
    /// the metavar as what was expected; [`Error::ApiMisuse`] if `name` is
    /// not a declared single value or its default does not parse.
    pub fn parse_value<T: FromStr>(&self, name: &str) -> Result<Option<T>, Error> {
        let Single {
            name,
            metavar,
            default,
            given,
        } = self.single(name)?;
        if let Some(value) = given {
            return parse_one(name, metavar, value).map(Some);
        }
        let Some(default) = default else {
            return Ok(None);
        };
        T::from_str(default).map(Some).map_err(|_| {
            ApiMisuse::InvalidDefault {
                name,
                default,
                metavar,
            }
            .into()
        })
    }

    /// Like [`parse_value`](Self::parse_value), for a value the program
    /// cannot run without.
    ///
    /// # Errors
    ///
    /// [`Error::MissingRequired`] if the value is absent and has no
    /// default, or any error of [`parse_value`](Self::parse_value).
    pub fn parse_required<T: FromStr>(&self, name: &str) -> Result<T, Error> {
        let Single { name, metavar, .. } = self.single(name)?;
        self.parse_value(name)?
            .ok_or(Error::MissingRequired { name, metavar })
    }

    /// All values of a repeated `--name=VALUE`, each parsed as `T`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] for the first value that does not parse;
    /// [`Error::ApiMisuse`] if `name` is not a declared repeated value.
    pub fn parse_values<T: FromStr>(&self, name: &str) -> Result<Vec<T>, Error> {
        let Repeated {
            name,
            metavar,
            given,
        } = self.repeated(name)?;
        given
            .iter()
            .map(|value| parse_one(name, metavar, value))
            .collect()
    }

    fn find(&self, name: &str) -> Result<(&'s ArgSpec, &Slot), Error> {
        let undeclared = || {
            Error::from(ApiMisuse::UndeclaredName {
                name: name.to_string(),
            })
        };
        let index = self
            .specs
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(undeclared)?;
        Ok((&self.specs[index], &self.slots[index]))
    }

    fn single(&self, name: &str) -> Result<Single<'_>, Error> {
        let (spec, slot) = self.find(name)?;
        match spec.kind {
            ArgKind::Value { metavar, default } => Ok(Single {
                name: spec.name,
                metavar,
                default,
                given: slot.values.first().map(String::as_str),
            }),
            _ => Err(wrong_kind(spec, "a single value")),
        }
    }

    fn repeated(&self, name: &str) -> Result<Repeated<'_>, Error> {
        let (spec, slot) = self.find(name)?;
        match spec.kind {
            ArgKind::Repeated { metavar } => Ok(Repeated {
                name: spec.name,
                metavar,
                given: &slot.values,
            }),
            _ => Err(wrong_kind(spec, "a repeated value")),
        }
    }
}

fn wrong_kind(spec: &ArgSpec, requested: &'static str) -> Error {
    let (name, declared) = (spec.name, spec.kind.noun());
    ApiMisuse::WrongKind {
        name,
        declared,
        requested,
    }
    .into()
}

fn parse_one<T: FromStr>(
    name: &'static str,
    metavar: &'static str,
    value: &str,
) -> Result<T, Error> {
    T::from_str(value).map_err(|_| Error::InvalidValue {
        name,
        value: value.to_string(),
        metavar,
    })
}
