//! Error messages for people: what an RCODE or a TSIG failure means for the
//! request we sent, and what to check.

use dns_wire::rcode;
use tsig::{Key, ResponseError};

use crate::show_name;

/// The request an answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// NOTIFY (RFC 1996).
    Notify,
    /// UPDATE (RFC 2136).
    Update,
    /// AXFR (RFC 5936).
    Transfer,
}

impl Request {
    fn noun(self) -> &'static str {
        match self {
            Self::Notify => "NOTIFY",
            Self::Update => "UPDATE",
            Self::Transfer => "zone transfer",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Notify => "notify",
            Self::Update => "update",
            Self::Transfer => "transfer",
        }
    }
}

/// The mnemonic of an RCODE or TSIG error, or its number.
pub fn rcode_name(rc: u16) -> String {
    rcode::name(rc).map_or_else(|| format!("RCODE {rc}"), str::to_owned)
}

/// What an error RCODE in the answer to `request` for `zone` means.
/// `prerequisites` names the prerequisites of an UPDATE by kind, for the
/// prerequisite RCODEs.
pub fn rcode(
    request: Request,
    rc: u16,
    zone: &dns_zone::Name,
    key: &Key,
    prerequisites: &dyn Fn(u16) -> Vec<String>,
) -> String {
    let zone = show_name(zone);
    let key = show_name(key.name());
    let named = |rc: u16, text: &str| {
        let which = prerequisites(rc);
        if which.is_empty() {
            text.to_owned()
        } else {
            format!("{text} ({})", which.join("; "))
        }
    };
    let what = match (rc, request) {
        (rcode::FORMERR, r) => format!(
            "the server could not parse our {} (or rejects something in it)",
            r.noun()
        ),
        (rcode::SERVFAIL, Request::Update) => String::from(
            "the server failed to apply or to store the update; see its log",
        ),
        (rcode::SERVFAIL, Request::Transfer) => format!(
            "the server cannot serve {zone} (not loaded, or expired?); see its log"
        ),
        (rcode::SERVFAIL, Request::Notify) => {
            String::from("the server failed to handle the NOTIFY; see its log")
        }
        (rcode::NOTIMP, r) => format!("the server does not implement {}", r.noun()),
        (rcode::REFUSED, Request::Notify) => format!(
            "the server does not accept this key for {zone} (or NOTIFY from this address)"
        ),
        (rcode::REFUSED, r) => format!(
            "the server does not let key {key} {} {zone} (or refuses every {})",
            r.verb(),
            r.noun()
        ),
        (rcode::NOTAUTH, Request::Notify) => format!(
            "the server is not authoritative for {zone}, or not a secondary that takes NOTIFY for it"
        ),
        (rcode::NOTAUTH, _) => format!("the server is not authoritative for {zone}"),
        (rcode::NXDOMAIN, Request::Update) => named(
            rc,
            "a 'name is in use' prerequisite (prereq yxdomain) failed: the name does not exist",
        ),
        (rcode::YXDOMAIN, Request::Update) => named(
            rc,
            "a 'name is not in use' prerequisite (prereq nxdomain) failed: the name exists",
        ),
        (rcode::YXRRSET, Request::Update) => named(
            rc,
            "an 'RRset does not exist' prerequisite (prereq nxrrset) failed: the RRset exists",
        ),
        (rcode::NXRRSET, Request::Update) => named(
            rc,
            "an 'RRset exists' prerequisite (prereq yxrrset) failed: the RRset does not exist, or its records differ",
        ),
        (rcode::NOTZONE, Request::Update) => {
            format!("a name in the update is not in zone {zone}")
        }
        (rcode::NXDOMAIN, Request::Transfer) => format!("{zone} does not exist on the server"),
        (_, r) => format!("the server did not accept the {}", r.noun()),
    };
    format!("{}: {what}", rcode_name(rc))
}

/// What a failed TSIG check of the answer means. `now` is our clock (for
/// BADTIME), `answer_rcode` the RCODE of the (unauthenticated) answer.
pub fn tsig(e: &ResponseError, key: &Key, now: u64, answer_rcode: u16) -> String {
    let name = show_name(key.name());
    let alg = key.algorithm().name();
    let says = if answer_rcode == rcode::NOERROR {
        String::new()
    } else {
        format!(" (it says {})", rcode_name(answer_rcode))
    };
    match e {
        ResponseError::Server { error, server_time } => match *error {
            rcode::BADSIG => format!(
                "BADSIG: the server says our MAC is wrong (wrong secret?) for key {name}"
            ),
            rcode::BADKEY => format!(
                "BADKEY: the server does not know key {name} with algorithm {alg} (key name or algorithm wrong?)"
            ),
            rcode::BADTIME => match server_time {
                Some(t) => {
                    let diff = i128::from(*t) - i128::from(now);
                    format!(
                        "BADTIME: the server's clock and ours differ by {diff} s (more than the allowed fudge); fix the clock"
                    )
                }
                None => String::from(
                    "BADTIME: the server says our clock is off by more than the allowed fudge",
                ),
            },
            rcode::BADTRUNC => {
                String::from("BADTRUNC: the server does not accept our truncated MAC")
            }
            other => format!(
                "{}: the server refused our TSIG signature",
                rcode_name(other)
            ),
        },
        ResponseError::Unsigned => format!(
            "the answer to our signed request is not signed{says}: it cannot be trusted (does the server know key {name}? is it the server you meant?)"
        ),
        ResponseError::BadSig => format!(
            "the answer's MAC does not verify with key {name}{says}: forged or corrupted answer, or the server has another secret for this key"
        ),
        ResponseError::BadTime { time_signed } => {
            let diff = i128::from(*time_signed) - i128::from(now);
            format!(
                "the answer was signed {diff} s away from our clock{says}: clocks differ by more than the fudge; fix the clock"
            )
        }
        ResponseError::WrongKey => format!(
            "the answer is signed with another key than {name} ({alg}){says}"
        ),
        other => format!("TSIG: {other}{says}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        dns_keys::parse_cli_key("k._update.example.com:SHA256:AAAA").unwrap()
    }

    fn zone() -> dns_zone::Name {
        crate::parse_name("example.com").unwrap()
    }

    #[test]
    fn every_rcode_has_a_name_and_an_explanation() {
        let none = |_: u16| Vec::new();
        for rc in 1..=10 {
            for r in [Request::Notify, Request::Update, Request::Transfer] {
                let text = rcode(r, rc, &zone(), &key(), &none);
                assert!(text.starts_with(&rcode_name(rc)), "{text}");
                assert!(!rcode_name(rc).starts_with("RCODE"), "{rc}");
                assert!(text.len() > rcode_name(rc).len() + 20, "{text}");
            }
        }
        assert_eq!(
            rcode(Request::Notify, rcode::REFUSED, &zone(), &key(), &none),
            "REFUSED: the server does not accept this key for example.com (or NOTIFY from this address)"
        );
        let which = |rc: u16| {
            if rc == rcode::YXDOMAIN {
                vec![String::from("prereq nxdomain www.example.com.")]
            } else {
                Vec::new()
            }
        };
        assert_eq!(
            rcode(Request::Update, rcode::YXDOMAIN, &zone(), &key(), &which),
            "YXDOMAIN: a 'name is not in use' prerequisite (prereq nxdomain) failed: the name exists (prereq nxdomain www.example.com.)"
        );
        assert_eq!(rcode_name(23), "RCODE 23");
    }

    #[test]
    fn tsig_errors() {
        let k = key();
        let server = |error, server_time| ResponseError::Server { error, server_time };
        assert_eq!(
            tsig(&server(rcode::BADSIG, None), &k, 0, rcode::NOTAUTH),
            "BADSIG: the server says our MAC is wrong (wrong secret?) for key k._update.example.com"
        );
        assert!(tsig(
            &server(rcode::BADTIME, Some(1000)),
            &k,
            1400,
            rcode::NOTAUTH
        )
        .starts_with("BADTIME: the server's clock and ours differ by -400 s"));
        assert!(tsig(&server(rcode::BADKEY, None), &k, 0, 9).starts_with("BADKEY: "));
        assert!(tsig(&ResponseError::Unsigned, &k, 0, rcode::REFUSED)
            .starts_with("the answer to our signed request is not signed (it says REFUSED)"));
        assert!(
            tsig(&ResponseError::BadTime { time_signed: 700 }, &k, 100, 0)
                .starts_with("the answer was signed 600 s away from our clock")
        );
    }
}
