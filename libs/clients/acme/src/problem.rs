//! Problem documents (RFC 7807, RFC 8555 §6.7): how an ACME server says no.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Deserialize;

use crate::resources::Identifier;

/// `urn:ietf:params:acme:error:` — the namespace of ACME's error types.
pub(crate) const ACME_ERROR: &str = "urn:ietf:params:acme:error:";

/// An RFC 7807 problem document from the server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[non_exhaustive]
pub struct Problem {
    /// The problem type URI, e.g. `urn:ietf:params:acme:error:badNonce`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Human-readable explanation.
    #[serde(default)]
    pub detail: String,
    /// The HTTP status the server put in the document, if any.
    #[serde(default)]
    pub status: Option<u16>,
    /// Per-identifier problems (RFC 8555 §6.7.1).
    #[serde(default)]
    pub subproblems: Vec<Subproblem>,
}

/// One identifier's problem inside a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[non_exhaustive]
pub struct Subproblem {
    /// The problem type URI.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Human-readable explanation.
    #[serde(default)]
    pub detail: String,
    /// The identifier it is about.
    #[serde(default)]
    pub identifier: Option<Identifier>,
}

impl Problem {
    /// The document in `body`, if it is one (a JSON object with a string
    /// `type` or `detail`).
    pub fn parse(body: &[u8]) -> Option<Problem> {
        let problem: Problem = serde_json::from_slice(body).ok()?;
        (!problem.kind.is_empty() || !problem.detail.is_empty()).then_some(problem)
    }

    /// Whether this is the ACME error `name` (e.g. `badNonce`).
    pub fn is_acme(&self, name: &str) -> bool {
        self.kind
            .strip_prefix(ACME_ERROR)
            .is_some_and(|kind| kind == name)
    }
}

/// `type: detail`, the ACME namespace shortened to `acme:`.
fn write_kind_detail(f: &mut fmt::Formatter<'_>, kind: &str, detail: &str) -> fmt::Result {
    let kind = match kind.strip_prefix(ACME_ERROR) {
        Some(short) => {
            f.write_str("acme:")?;
            short
        }
        None => kind,
    };
    match (kind.is_empty(), detail.is_empty()) {
        (false, false) => write!(f, "{kind}: {detail}"),
        (false, true) => f.write_str(kind),
        (true, _) => f.write_str(detail),
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_kind_detail(f, &self.kind, &self.detail)?;
        for (i, sub) in self.subproblems.iter().enumerate() {
            f.write_str(if i == 0 { " (" } else { "; " })?;
            if let Some(identifier) = &sub.identifier {
                write!(f, "{}: ", identifier.value)?;
            }
            write_kind_detail(f, &sub.kind, &sub.detail)?;
        }
        if !self.subproblems.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn rfc8555_section_6_7_1_subproblems() {
        // RFC 8555 §6.7.1's example.
        let body = br#"{
            "type": "urn:ietf:params:acme:error:malformed",
            "detail": "Some of the identifiers requested were rejected",
            "subproblems": [
                {
                    "type": "urn:ietf:params:acme:error:malformed",
                    "detail": "Invalid underscore in DNS name \"_example.org\"",
                    "identifier": {
                        "type": "dns",
                        "value": "_example.org"
                    }
                },
                {
                    "type": "urn:ietf:params:acme:error:rejectedIdentifier",
                    "detail": "This CA will not issue for \"example.net\"",
                    "identifier": {
                        "type": "dns",
                        "value": "example.net"
                    }
                }
            ]
        }"#;
        let problem = Problem::parse(body).unwrap();
        assert!(problem.is_acme("malformed"));
        assert_eq!(problem.subproblems.len(), 2);
        assert_eq!(
            problem.to_string(),
            "acme:malformed: Some of the identifiers requested were rejected \
             (_example.org: acme:malformed: Invalid underscore in DNS name \"_example.org\"; \
             example.net: acme:rejectedIdentifier: This CA will not issue for \"example.net\")"
        );
    }

    #[test]
    fn pebble_bad_nonce_and_non_problems() {
        let body = br#"{
   "type": "urn:ietf:params:acme:error:badNonce",
   "detail": "JWS has an invalid anti-replay nonce: \"zYGKkAfEs0xVnAj1mVV4Ug\"",
   "status": 400
}"#;
        let problem = Problem::parse(body).unwrap();
        assert!(problem.is_acme("badNonce"));
        assert!(!problem.is_acme("badNonc"));
        assert_eq!(problem.status, Some(400));
        assert_eq!(Problem::parse(b"<html>busy</html>"), None);
        assert_eq!(Problem::parse(b"{}"), None);
        assert_eq!(Problem::parse(br#"{"type": 5}"#), None);
    }
}
