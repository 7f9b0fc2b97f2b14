//! The `--help` text.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::spec::{ArgKind, ArgSpec, HELP_NAME};

/// Renders one line per argument, help lines aligned in a second column:
///
/// ```text
/// usage: primary [--NAME[=VALUE] ...]
///
/// boot arguments:
///   --ipv4=ADDR/LEN  address of the service interface (default: 10.0.0.2/24)
///   --secondary=IP   a secondary server to notify (repeatable)
///   --verbose        log every query
///   --help           print this help and exit
/// ```
pub(crate) fn render(program: &str, specs: &[ArgSpec]) -> String {
    let help_line = (
        format!("--{HELP_NAME}"),
        String::from("print this help and exit"),
    );
    let rows: Vec<(String, String)> = specs
        .iter()
        .map(|spec| {
            let left = match spec.kind.metavar() {
                Some(metavar) => format!("--{}={metavar}", spec.name),
                None => format!("--{}", spec.name),
            };
            let right = match spec.kind {
                ArgKind::Value {
                    default: Some(default),
                    ..
                } => {
                    format!("{} (default: {default})", spec.help)
                }
                ArgKind::Repeated { .. } => format!("{} (repeatable)", spec.help),
                _ => String::from(spec.help),
            };
            (left, right)
        })
        .chain([help_line])
        .collect();
    let width = rows
        .iter()
        .map(|(left, _)| left.chars().count())
        .max()
        .unwrap_or(0);

    let mut text = format!("usage: {program} [--NAME[=VALUE] ...]\n\nboot arguments:\n");
    for (left, right) in rows {
        // Writing into a String cannot fail.
        let _ = writeln!(text, "  {left:<width$}  {right}");
    }
    text
}
