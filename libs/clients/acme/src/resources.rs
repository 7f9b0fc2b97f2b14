//! The ACME resources we read (RFC 8555 §7.1), as the server sends them.
//! Unknown fields are ignored; missing required ones are errors.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// An identifier (RFC 8555 §7.1.3, §9.7.7): we only order `dns` ones.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Identifier {
    /// The identifier type, `dns`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The name; `*.name` in an order for a wildcard.
    pub value: String,
}

impl Identifier {
    /// A `dns` identifier.
    pub fn dns(name: &str) -> Self {
        Identifier {
            kind: String::from("dns"),
            value: String::from(name),
        }
    }
}

/// The status of an account, order, authorisation or challenge (RFC 8555
/// §7.1.6), as the server gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// `pending`.
    Pending,
    /// `ready` (orders).
    Ready,
    /// `processing`.
    Processing,
    /// `valid`.
    Valid,
    /// `invalid`.
    Invalid,
    /// `deactivated` (accounts, authorisations).
    Deactivated,
    /// `expired` (authorisations).
    Expired,
    /// `revoked` (accounts, authorisations).
    Revoked,
    /// A status RFC 8555 does not define, as the server wrote it.
    Other(String),
}

impl Status {
    /// The status named `text` (exactly, as RFC 8555 spells them).
    pub fn parse(text: &str) -> Status {
        match text {
            "pending" => Status::Pending,
            "ready" => Status::Ready,
            "processing" => Status::Processing,
            "valid" => Status::Valid,
            "invalid" => Status::Invalid,
            "deactivated" => Status::Deactivated,
            "expired" => Status::Expired,
            "revoked" => Status::Revoked,
            other => Status::Other(String::from(other)),
        }
    }

    /// Its name on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Pending => "pending",
            Status::Ready => "ready",
            Status::Processing => "processing",
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Deactivated => "deactivated",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Other(text) => text,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The directory (§7.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Directory {
    pub new_nonce: String,
    pub new_account: String,
    pub new_order: String,
}

/// An order (§7.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Order {
    pub status: String,
    #[serde(default)]
    pub authorizations: Vec<String>,
    pub finalize: String,
    #[serde(default)]
    pub certificate: Option<String>,
    #[serde(default)]
    pub error: Option<Problem>,
}

/// An authorisation (§7.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Authorization {
    pub identifier: Identifier,
    pub status: String,
    #[serde(default)]
    pub challenges: Vec<Challenge>,
    #[serde(default)]
    pub wildcard: bool,
}

/// A challenge (§7.1.5, §8).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Challenge {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    /// Required by §7.1.5, yet missing in §7.5's example: a challenge
    /// without one has not been answered, so it is pending.
    #[serde(default = "pending")]
    pub status: String,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub error: Option<Problem>,
}

fn pending() -> String {
    String::from("pending")
}

/// An account (§7.1.2): only its status matters to us.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Account {
    pub status: String,
}

/// The newAccount payloads (§7.3, §7.3.1).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewAccount<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_return_existing: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms_of_service_agreed: Option<bool>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub contact: &'a [String],
}

/// The newOrder payload (§7.4).
#[derive(Serialize)]
pub(crate) struct NewOrder<'a> {
    pub identifiers: &'a [Identifier],
}

/// The finalize payload (§7.4).
#[derive(Serialize)]
pub(crate) struct Finalize<'a> {
    pub csr: &'a str,
}
