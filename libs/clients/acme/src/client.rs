//! The order state machine: directory → account → order → authorisations →
//! dns-01 → finalize → certificate, sans-IO.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem;
use core::time::Duration;

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::b64;
use crate::error::{Error, Malformation};
use crate::http::{Method, Request, Response};
use crate::jws::{self, Signer};
use crate::key::AccountKey;
use crate::pem::pem_chain_to_der;
use crate::problem::Problem;
use crate::resources::{
    Account, Authorization, Directory, Finalize, Identifier, NewAccount, NewOrder, Order, Status,
};
use crate::time::Instant;

/// How many `badNonce` refusals in a row we retry with the fresh nonce
/// before giving up: servers reject a few nonces on purpose (pebble 5 % by
/// default), so a handful in a row means something else is wrong.
pub const MAX_BAD_NONCE_RETRIES: u32 = 5;

/// The longest `Retry-After` we obey; a longer one is cut to this, so a
/// broken server cannot park an order for days.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(600);

/// Wait between polls when the server sends no `Retry-After`.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Polls of authorisations and the order per order, at the default
/// interval about two minutes: pebble and Let's Encrypt validate within
/// seconds.
const DEFAULT_MAX_POLLS: u32 = 60;

/// What the client needs to know.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The directory URL, e.g. `https://acme-v02.api.letsencrypt.org/directory`.
    pub directory_url: String,
    /// The account key.
    pub key: AccountKey,
    /// Account contact URLs (`mailto:…`), sent when the account is created.
    pub contact: Vec<String>,
    /// Wait between polls when the server sends no `Retry-After`.
    pub poll_interval: Duration,
    /// Polls per order (authorisations and order together) before giving up.
    pub max_polls: u32,
}

impl ClientConfig {
    /// The configuration for the server at `directory_url` with `key`, no
    /// contact, default polling.
    pub fn new(directory_url: &str, key: AccountKey) -> Self {
        ClientConfig {
            directory_url: String::from(directory_url),
            key,
            contact: Vec::new(),
            poll_interval: DEFAULT_POLL_INTERVAL,
            max_polls: DEFAULT_MAX_POLLS,
        }
    }

    /// Adds the contact `mailto:email`.
    pub fn with_email(mut self, email: &str) -> Self {
        self.contact.push(format!("mailto:{email}"));
        self
    }
}

/// A TXT record to publish for a dns-01 challenge (RFC 8555 §8.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dns01Challenge {
    /// The identifier as ordered (`*.example.com` for a wildcard).
    pub identifier: String,
    /// Where the TXT record goes: `_acme-challenge.<name without *.>`.
    pub name: String,
    /// The TXT value: base64url(SHA-256(key authorisation)).
    pub value: String,
    /// The key authorisation `token.thumbprint` (RFC 8555 §8.1).
    pub key_authorization: String,
}

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// DER certificates, the leaf first, then its issuers.
    pub chain: Vec<Vec<u8>>,
    /// URLs of alternate chains the server offered (`Link: rel="alternate"`).
    pub alternates: Vec<String>,
}

/// What the caller should do next (from [`Client::poll`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Poll {
    /// Make this request and pass its response to [`Client::handle_response`].
    Send(Request),
    /// A request is out: waiting for [`Client::handle_response`].
    AwaitingResponse,
    /// Nothing to do before this instant; poll again then.
    WaitUntil(Instant),
    /// Publish these TXT records (all of them; two may share a name), and
    /// call [`Client::challenges_published`] once they are served.
    Publish(Vec<Dns01Challenge>),
    /// Waiting for [`Client::challenges_published`].
    AwaitingPublication,
    /// The order is done: here is the certificate. The client is idle again.
    Certificate(Certificate),
    /// The account key could not sign; the order is abandoned.
    Failed(Error),
    /// Nothing in progress ([`Client::account_url`] tells if registered).
    Idle,
}

/// The client's state, named after what it waits for.
#[derive(Debug)]
enum State {
    Idle,
    ExpectDirectory,
    ExpectExistingAccount,
    ExpectNewAccount,
    ExpectOrder,
    ExpectAuthorization(usize),
    ExpectPublication { announced: bool },
    ExpectChallengeAccepted(usize),
    ExpectAuthorizationValid(usize),
    ExpectOrderReady,
    ExpectFinalized,
    ExpectOrderValid,
    ExpectCertificate,
    CertificateReady(Certificate),
}

/// Which kind of request is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InFlight {
    /// `HEAD newNonce`, made because we had no nonce for the state's request.
    Nonce,
    /// The request of the current state.
    Request,
}

/// A challenge we must answer.
#[derive(Debug, Clone)]
struct PendingChallenge {
    record: Dns01Challenge,
    url: String,
    /// Still `pending`: we must POST to it (else the CA is already at it).
    respond: bool,
}

/// The order in progress.
#[derive(Debug, Default)]
struct Job {
    identifiers: Vec<Identifier>,
    csr: Vec<u8>,
    url: String,
    finalize: String,
    authorizations: Vec<String>,
    challenges: Vec<PendingChallenge>,
    certificate: String,
}

/// A sans-IO ACME client for one account, one order at a time.
///
/// Call [`Client::poll`] until it returns [`Poll::Idle`],
/// [`Poll::Certificate`] or [`Poll::Failed`], doing what each answer asks;
/// an `Err` from [`Client::handle_response`] ends the order too. The
/// directory, the account URL and the last nonce are kept across orders.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    thumbprint: String,
    directory: Option<Directory>,
    nonce: Option<String>,
    account_url: Option<String>,
    state: State,
    in_flight: Option<InFlight>,
    bad_nonces: u32,
    job: Option<Job>,
    wake_at: Instant,
    polls: u32,
}

/// The state's request: where, signed how, with what payload.
struct Intent {
    url: String,
    signer: Option<Signer<'static>>,
    payload: Option<Vec<u8>>,
    accept_pem: bool,
}

fn is_base64url(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn parse<T: DeserializeOwned>(request: &'static str, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Malformed {
        request,
        reason: Malformation::Json(e.into()),
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("our payloads always serialise")
}

impl Client {
    /// A client with `config`; nothing is sent until an order or
    /// registration is started.
    pub fn new(config: ClientConfig) -> Self {
        let thumbprint = config.key.jwk().thumbprint();
        Client {
            config,
            thumbprint,
            directory: None,
            nonce: None,
            account_url: None,
            state: State::Idle,
            in_flight: None,
            bad_nonces: 0,
            job: None,
            wake_at: Instant::default(),
            polls: 0,
        }
    }

    /// The account URL (the JWS `kid`), once found or created.
    pub fn account_url(&self) -> Option<&str> {
        self.account_url.as_deref()
    }

    /// The account key's RFC 7638 thumbprint.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Whether nothing is in progress.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle) && self.in_flight.is_none()
    }

    /// Finds or creates the account, then goes idle.
    pub fn register(&mut self) -> Result<(), Error> {
        if !self.is_idle() {
            return Err(Error::Misuse("an order is already in progress"));
        }
        self.state = self.account_state();
        Ok(())
    }

    /// Starts an order for `names` (`*.name` for a wildcard), to be
    /// finalised with `csr_der` (which must name the same identifiers).
    pub fn start_order(&mut self, names: &[&str], csr_der: Vec<u8>) -> Result<(), Error> {
        if !self.is_idle() {
            return Err(Error::Misuse("an order is already in progress"));
        }
        if names.is_empty() || names.iter().any(|n| n.is_empty()) {
            return Err(Error::Misuse("an order needs non-empty names"));
        }
        self.job = Some(Job {
            identifiers: names.iter().map(|n| Identifier::dns(n)).collect(),
            csr: csr_der,
            ..Job::default()
        });
        self.polls = 0;
        self.state = match self.account_url {
            Some(_) => State::ExpectOrder,
            None => self.account_state(),
        };
        Ok(())
    }

    /// Says that every record of [`Poll::Publish`] is now served.
    pub fn challenges_published(&mut self, now: Instant) -> Result<(), Error> {
        if !matches!(self.state, State::ExpectPublication { .. }) {
            return Err(Error::Misuse("no challenges are waiting to be published"));
        }
        self.wake_at = now;
        self.state = self.next_challenge_to_answer(0);
        Ok(())
    }

    fn account_state(&self) -> State {
        match self.directory {
            Some(_) => State::ExpectExistingAccount,
            None => State::ExpectDirectory,
        }
    }

    /// What to do next at `now`.
    pub fn poll(&mut self, now: Instant) -> Poll {
        if self.in_flight.is_some() {
            return Poll::AwaitingResponse;
        }
        match &mut self.state {
            State::Idle => return Poll::Idle,
            State::ExpectPublication { announced } => {
                if mem::replace(announced, true) {
                    return Poll::AwaitingPublication;
                }
                let job = self.job.as_ref().expect("publication is part of an order");
                return Poll::Publish(job.challenges.iter().map(|c| c.record.clone()).collect());
            }
            State::CertificateReady(_) => {
                let State::CertificateReady(certificate) =
                    mem::replace(&mut self.state, State::Idle)
                else {
                    unreachable!("matched just above")
                };
                return Poll::Certificate(certificate);
            }
            _ => {}
        }
        if now < self.wake_at {
            return Poll::WaitUntil(self.wake_at);
        }
        match self.request() {
            Ok(request) => Poll::Send(request),
            Err(e) => {
                self.abandon();
                Poll::Failed(e)
            }
        }
    }

    fn abandon(&mut self) {
        self.state = State::Idle;
        self.job = None;
        self.in_flight = None;
        self.bad_nonces = 0;
    }

    fn job(&self) -> &Job {
        self.job.as_ref().expect("order states have a job")
    }

    fn directory(&self) -> &Directory {
        self.directory
            .as_ref()
            .expect("states after the directory have one")
    }

    fn intent(&self) -> Intent {
        let post = |url: &str, payload: Option<Vec<u8>>| Intent {
            url: String::from(url),
            signer: Some(Signer::Kid("")),
            payload,
            accept_pem: false,
        };
        match self.state {
            State::ExpectDirectory => Intent {
                url: self.config.directory_url.clone(),
                signer: None,
                payload: None,
                accept_pem: false,
            },
            State::ExpectExistingAccount | State::ExpectNewAccount => {
                let existing = matches!(self.state, State::ExpectExistingAccount);
                let payload = NewAccount {
                    only_return_existing: existing.then_some(true),
                    terms_of_service_agreed: (!existing).then_some(true),
                    contact: if existing { &[] } else { &self.config.contact },
                };
                Intent {
                    signer: Some(Signer::Jwk),
                    ..post(&self.directory().new_account, Some(to_json(&payload)))
                }
            }
            State::ExpectOrder => {
                let payload = NewOrder {
                    identifiers: &self.job().identifiers,
                };
                post(&self.directory().new_order, Some(to_json(&payload)))
            }
            State::ExpectAuthorization(i) | State::ExpectAuthorizationValid(i) => {
                post(&self.job().authorizations[i], None)
            }
            State::ExpectChallengeAccepted(i) => {
                post(&self.job().challenges[i].url, Some(b"{}".to_vec()))
            }
            State::ExpectOrderReady | State::ExpectOrderValid => post(&self.job().url, None),
            State::ExpectFinalized => {
                let csr = b64::url(&self.job().csr);
                let payload = to_json(&Finalize { csr: &csr });
                post(&self.job().finalize, Some(payload))
            }
            State::ExpectCertificate => Intent {
                accept_pem: true,
                ..post(&self.job().certificate, None)
            },
            State::Idle | State::ExpectPublication { .. } | State::CertificateReady(_) => {
                unreachable!("no request in this state")
            }
        }
    }

    /// The name of the state's request, for errors.
    fn request_name(&self) -> &'static str {
        match self.state {
            State::ExpectDirectory => "directory",
            State::ExpectExistingAccount | State::ExpectNewAccount => "newAccount",
            State::ExpectOrder => "newOrder",
            State::ExpectAuthorization(_) | State::ExpectAuthorizationValid(_) => "authorization",
            State::ExpectChallengeAccepted(_) => "challenge",
            State::ExpectOrderReady | State::ExpectOrderValid => "order",
            State::ExpectFinalized => "finalize",
            State::ExpectCertificate => "certificate",
            State::Idle | State::ExpectPublication { .. } | State::CertificateReady(_) => "none",
        }
    }

    fn request(&mut self) -> Result<Request, Error> {
        let intent = self.intent();
        let Some(signer) = intent.signer else {
            self.in_flight = Some(InFlight::Request);
            return Ok(Request {
                method: Method::Get,
                url: intent.url,
                headers: Vec::new(),
                body: Vec::new(),
            });
        };
        let Some(nonce) = self.nonce.take() else {
            self.in_flight = Some(InFlight::Nonce);
            return Ok(Request {
                method: Method::Head,
                url: self.directory().new_nonce.clone(),
                headers: Vec::new(),
                body: Vec::new(),
            });
        };
        let signer = match signer {
            Signer::Jwk => Signer::Jwk,
            Signer::Kid(_) => Signer::Kid(
                self.account_url
                    .as_deref()
                    .expect("kid requests come after the account"),
            ),
        };
        let body = jws::sign(
            &self.config.key,
            signer,
            &nonce,
            &intent.url,
            intent.payload.as_deref(),
        )?;
        let mut headers = alloc::vec![("Content-Type", String::from("application/jose+json"))];
        if intent.accept_pem {
            headers.push(("Accept", String::from("application/pem-certificate-chain")));
        }
        self.in_flight = Some(InFlight::Request);
        Ok(Request {
            method: Method::Post,
            url: intent.url,
            headers,
            body,
        })
    }

    /// Takes the response to the last [`Poll::Send`]. An `Err` ends the
    /// order (the client is idle again; the account stays known).
    pub fn handle_response(&mut self, response: &Response, now: Instant) -> Result<(), Error> {
        let Some(in_flight) = self.in_flight.take() else {
            return Err(Error::Misuse("a response while no request is out"));
        };
        // Every response may carry the next nonce (RFC 8555 §6.5); a
        // malformed one is not kept (we would only get badNonce for it).
        if let Some(nonce) = response.header("replay-nonce") {
            if is_base64url(nonce) {
                self.nonce = Some(String::from(nonce));
            }
        }
        let result = match in_flight {
            InFlight::Nonce if self.nonce.is_some() => Ok(()),
            InFlight::Nonce => Err(Error::MissingHeader {
                request: "newNonce",
                header: "Replay-Nonce",
            }),
            InFlight::Request => self.handle(response, now),
        };
        if result.is_err() {
            self.abandon();
        }
        result
    }

    fn handle(&mut self, response: &Response, now: Instant) -> Result<(), Error> {
        let request = self.request_name();
        if !response.is_success() {
            return self.handle_refusal(request, response);
        }
        self.bad_nonces = 0;
        let body = &response.body;
        match self.state {
            State::ExpectDirectory => {
                self.directory = Some(parse(request, body)?);
                self.state = State::ExpectExistingAccount;
            }
            State::ExpectExistingAccount | State::ExpectNewAccount => {
                let location = response.header("location").ok_or(Error::MissingHeader {
                    request,
                    header: "Location",
                })?;
                let account: Account = parse(request, body)?;
                if account.status != "valid" {
                    return Err(Error::AccountStatus(Status::parse(&account.status)));
                }
                self.account_url = Some(String::from(location));
                self.state = match self.job {
                    Some(_) => State::ExpectOrder,
                    None => State::Idle,
                };
            }
            State::ExpectOrder => {
                let location = response.header("location").ok_or(Error::MissingHeader {
                    request,
                    header: "Location",
                })?;
                let order: Order = parse(request, body)?;
                let job = self.job.as_mut().expect("an order state");
                job.url = String::from(location);
                job.finalize = order.finalize.clone();
                job.authorizations = order.authorizations.clone();
                match order.status.as_str() {
                    "pending" if job.authorizations.is_empty() => {
                        return Err(Error::Malformed {
                            request,
                            reason: Malformation::PendingOrderWithoutAuthorizations,
                        })
                    }
                    "pending" => self.state = State::ExpectAuthorization(0),
                    _ => self.order_status(order, now, response)?,
                }
            }
            State::ExpectAuthorization(i) => {
                let authz: Authorization = parse(request, body)?;
                self.read_authorization(authz)?;
                self.state = if i + 1 < self.job().authorizations.len() {
                    State::ExpectAuthorization(i + 1)
                } else if self.job().challenges.is_empty() {
                    // Every authorisation is valid already (reused).
                    State::ExpectOrderReady
                } else {
                    State::ExpectPublication { announced: false }
                };
            }
            State::ExpectChallengeAccepted(i) => {
                let challenge: crate::resources::Challenge = parse(request, body)?;
                if challenge.status == "invalid" {
                    return Err(Error::AuthorizationFailed {
                        identifier: self.job().challenges[i].record.identifier.clone(),
                        status: Status::parse(&challenge.status),
                        problem: challenge.error,
                    });
                }
                self.state = self.next_challenge_to_answer(i + 1);
                if matches!(self.state, State::ExpectAuthorizationValid(_)) {
                    self.wait(now, response, request)?;
                }
            }
            State::ExpectAuthorizationValid(i) => {
                let authz: Authorization = parse(request, body)?;
                match authz.status.as_str() {
                    "valid" if i + 1 < self.job().authorizations.len() => {
                        self.state = State::ExpectAuthorizationValid(i + 1);
                    }
                    "valid" => self.state = State::ExpectOrderReady,
                    "pending" | "processing" => self.wait(now, response, request)?,
                    _ => {
                        let problem = authz.challenges.iter().find_map(|c| c.error.clone());
                        return Err(Error::AuthorizationFailed {
                            identifier: authz.identifier.value,
                            status: Status::parse(&authz.status),
                            problem,
                        });
                    }
                }
            }
            State::ExpectOrderReady | State::ExpectFinalized | State::ExpectOrderValid => {
                let order: Order = parse(request, body)?;
                self.order_status(order, now, response)?;
            }
            State::ExpectCertificate => {
                let chain = pem_chain_to_der(body).map_err(Error::Chain)?;
                self.state = State::CertificateReady(Certificate {
                    chain,
                    alternates: response.links("alternate"),
                });
                self.job = None;
            }
            State::Idle | State::ExpectPublication { .. } | State::CertificateReady(_) => {
                unreachable!("no request is out in this state")
            }
        }
        Ok(())
    }

    /// An error status: retry a badNonce, go on from accountDoesNotExist,
    /// else fail with the server's words.
    fn handle_refusal(&mut self, request: &'static str, response: &Response) -> Result<(), Error> {
        let status = response.status;
        let Some(problem) = Problem::parse(&response.body) else {
            return Err(Error::Status { request, status });
        };
        if problem.is_acme("badNonce") && !matches!(self.state, State::ExpectDirectory) {
            self.bad_nonces += 1;
            if self.bad_nonces > MAX_BAD_NONCE_RETRIES {
                return Err(Error::TooManyBadNonces(problem));
            }
            // The same state sends the same request again, signed with the
            // nonce this refusal carried (or a new one from newNonce).
            return Ok(());
        }
        if problem.is_acme("accountDoesNotExist")
            && matches!(self.state, State::ExpectExistingAccount)
        {
            self.state = State::ExpectNewAccount;
            return Ok(());
        }
        Err(Error::Problem {
            request,
            status,
            problem,
        })
    }

    /// Notes the dns-01 challenge of a pending authorisation.
    fn read_authorization(&mut self, authz: Authorization) -> Result<(), Error> {
        let ordered = if authz.wildcard {
            format!("*.{}", authz.identifier.value)
        } else {
            authz.identifier.value.clone()
        };
        match authz.status.as_str() {
            "valid" => return Ok(()),
            "pending" => {}
            _ => {
                let problem = authz.challenges.iter().find_map(|c| c.error.clone());
                return Err(Error::AuthorizationFailed {
                    identifier: ordered,
                    status: Status::parse(&authz.status),
                    problem,
                });
            }
        }
        let Some(challenge) = authz.challenges.into_iter().find(|c| c.kind == "dns-01") else {
            return Err(Error::NoDns01Challenge {
                identifier: ordered,
            });
        };
        let token = challenge.token.unwrap_or_default();
        if !is_base64url(&token) {
            return Err(Error::Malformed {
                request: "authorization",
                reason: Malformation::NoToken {
                    identifier: ordered,
                },
            });
        }
        let name = authz.identifier.value;
        let key_authorization = format!("{token}.{}", self.thumbprint);
        let value = b64::url(&Sha256::digest(key_authorization.as_bytes()));
        let job = self.job.as_mut().expect("an order state");
        job.challenges.push(PendingChallenge {
            record: Dns01Challenge {
                identifier: ordered,
                name: format!("_acme-challenge.{}", name.trim_start_matches("*.")),
                value,
                key_authorization,
            },
            url: challenge.url,
            respond: challenge.status == "pending",
        });
        Ok(())
    }

    fn next_challenge_to_answer(&self, from: usize) -> State {
        let challenges = &self.job().challenges;
        match (from..challenges.len()).find(|&i| challenges[i].respond) {
            Some(i) => State::ExpectChallengeAccepted(i),
            None => State::ExpectAuthorizationValid(0),
        }
    }

    /// Goes on from an order's status.
    fn order_status(
        &mut self,
        order: Order,
        now: Instant,
        response: &Response,
    ) -> Result<(), Error> {
        let request = "order";
        let finalized = matches!(self.state, State::ExpectFinalized | State::ExpectOrderValid);
        match order.status.as_str() {
            "valid" => {
                let Some(certificate) = order.certificate else {
                    return Err(Error::Malformed {
                        request,
                        reason: Malformation::ValidOrderWithoutCertificate,
                    });
                };
                self.job.as_mut().expect("an order state").certificate = certificate;
                self.state = State::ExpectCertificate;
            }
            "ready" if !finalized => self.state = State::ExpectFinalized,
            "ready" | "processing" if finalized => {
                self.state = State::ExpectOrderValid;
                self.wait(now, response, request)?;
            }
            "pending" if !finalized => {
                self.state = State::ExpectOrderReady;
                self.wait(now, response, request)?;
            }
            status @ ("invalid" | "pending" | "processing" | "ready") => {
                return Err(Error::OrderFailed {
                    status: Status::parse(status),
                    problem: order.error,
                })
            }
            other => {
                return Err(Error::Malformed {
                    request,
                    reason: Malformation::UnknownOrderStatus(Status::parse(other)),
                })
            }
        }
        Ok(())
    }

    /// Schedules the next poll: `Retry-After` (at most
    /// [`MAX_POLL_INTERVAL`]) or the default interval; bounded in count.
    fn wait(
        &mut self,
        now: Instant,
        response: &Response,
        request: &'static str,
    ) -> Result<(), Error> {
        self.polls += 1;
        if self.polls > self.config.max_polls {
            return Err(Error::PollLimit { request });
        }
        let delay = response
            .retry_after()
            .map_or(self.config.poll_interval, |d| d.min(MAX_POLL_INTERVAL));
        self.wake_at = now + delay;
        Ok(())
    }
}
