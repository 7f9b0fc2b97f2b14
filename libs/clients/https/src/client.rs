//! The client: one request at a time over one kept-alive TLS connection,
//! sans-IO.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use once_cell::race::OnceBox;
use rustls::client::{Resumption, UnbufferedClientConnection};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::unbuffered::{
    AppDataRecord, ConnectionState, EncodeError, EncryptError, InsufficientSizeError,
    UnbufferedStatus,
};

use crate::authenticator::{Authenticator, CertificateRefusal};
use crate::error::HttpsError;
use crate::http1::{encode_request, Method, ResponseParser};
use crate::provider::{crypto_provider, WallClock};
use crate::url::{Host, Url};
use crate::{Request, Response};

/// Most TLS bytes held while waiting for the rest of a record or
/// handshake message: a handshake message is at most 64 KiB (rustls'
/// limit) plus record headers; anything beyond is a broken peer.
pub const MAX_TLS_BUFFER: usize = 80 * 1024;

/// The `User-Agent` sent unless the configuration or request says
/// otherwise (RFC 8555 §6.1 asks ACME clients to send one).
pub const DEFAULT_USER_AGENT: &str = "solodns-letsencrypt";

/// Default for [`ClientConfig::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Steps of the TLS state machine per call: each step consumes input or
/// produces output, so a handful suffice; the bound only guards against a
/// state that would repeat forever.
const MAX_TLS_STEPS: usize = 256;

/// What the client needs to know.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// How the server's certificate is checked.
    pub authenticator: Authenticator,
    /// `User-Agent` of every request (a request's own field wins).
    pub user_agent: String,
    /// From [`HttpsClient::start`] to the complete response, connection
    /// and handshake included.
    pub request_timeout: Duration,
}

impl ClientConfig {
    /// A configuration with `authenticator` and the defaults.
    pub fn new(authenticator: Authenticator) -> Self {
        ClientConfig {
            authenticator,
            user_agent: String::from(DEFAULT_USER_AGENT),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

impl Default for ClientConfig {
    /// The Let's Encrypt roots and the defaults.
    fn default() -> Self {
        ClientConfig::new(Authenticator::lets_encrypt())
    }
}

/// The request in flight.
#[derive(Debug)]
struct Job {
    url: Url,
    /// The request's bytes, to hand to TLS (again, if retried).
    bytes: Vec<u8>,
    method: Method,
    /// Given to the TLS connection already.
    sent: bool,
    parser: ResponseParser,
    deadline: Duration,
    /// Already retried once on a fresh connection.
    retried: bool,
}

/// One TCP connection and the TLS session on it.
struct Connection {
    host: Host,
    port: u16,
    tls: UnbufferedClientConnection,
    /// What the verifier refused, in words.
    report: Arc<OnceBox<CertificateRefusal>>,
    /// TLS bytes received, not yet processed.
    incoming: Vec<u8>,
    /// TLS bytes for the caller to send.
    outgoing: Vec<u8>,
    /// Plaintext waiting until TLS may send application data.
    plaintext: Vec<u8>,
    /// Responses completed on this connection.
    served: u32,
    /// We want it closed (close_notify queued when possible).
    closing: bool,
    close_notify_sent: bool,
    /// The peer sent close_notify.
    peer_closed: bool,
    /// TLS failed: nothing more can be read or sent but the alert.
    failed: bool,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("served", &self.served)
            .field("closing", &self.closing)
            .field("peer_closed", &self.peer_closed)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// A sans-IO HTTPS/1.1 client: one request at a time, one connection kept
/// alive between requests to the same host and port.
///
/// It holds no socket and reads no clock. Drive it like this:
///
/// 1. [`HttpsClient::start`] a request with the monotonic time and the
///    wall-clock time (seconds since 1970, for certificate validity);
/// 2. then, until [`HttpsClient::response`] returns `Some`:
///    - if [`HttpsClient::wants_connection`] names a host and port, open a
///      TCP connection there and call [`HttpsClient::connected`] once it is
///      established (or [`HttpsClient::connect_failed`]);
///    - send [`HttpsClient::pending_output`] and report how much went out
///      with [`HttpsClient::consume_output`];
///    - pass what TCP received to [`HttpsClient::received`];
///    - if [`HttpsClient::wants_close`], close the TCP connection after the
///      pending output and call [`HttpsClient::connection_closed`]; call it
///      too when the peer closes or resets the connection;
///    - when nothing happens, wake at [`HttpsClient::deadline`] and call
///      [`HttpsClient::handle_timeout`].
///
/// Between requests the connection stays open; a connection the server
/// closed while idle is replaced (and a request that met such a close
/// before any response byte is sent once more on a new connection).
pub struct HttpsClient {
    config: ClientConfig,
    provider: Arc<CryptoProvider>,
    clock: Arc<WallClock>,
    connection: Option<Connection>,
    job: Option<Job>,
    outcome: Option<Result<Response, HttpsError>>,
}

impl core::fmt::Debug for HttpsClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpsClient")
            .field("authenticator", &self.config.authenticator)
            .field("connection", &self.connection)
            .field("in_flight", &self.job.as_ref().map(|j| j.method))
            .finish_non_exhaustive()
    }
}

impl HttpsClient {
    /// A client with `config`, no connection yet.
    pub fn new(config: ClientConfig) -> Self {
        HttpsClient {
            config,
            provider: Arc::new(crypto_provider()),
            clock: Arc::new(WallClock::default()),
            connection: None,
            job: None,
            outcome: None,
        }
    }

    /// Starts `request`; `now` is monotonic time since any fixed origin
    /// (the deadline is measured in it), `unix_time` the wall clock in
    /// seconds since 1970.
    pub fn start(
        &mut self,
        request: Request,
        now: Duration,
        unix_time: u64,
    ) -> Result<(), HttpsError> {
        if self.job.is_some() {
            return Err(HttpsError::Busy);
        }
        let url = Url::parse(&request.url)?;
        let bytes = encode_request(&request, &url, &self.config.user_agent)?;
        self.clock.set(unix_time);
        self.outcome = None;
        if let Some(connection) = &mut self.connection {
            let same_origin = connection.host == url.host && connection.port == url.port;
            if !same_origin || connection.peer_closed || connection.failed {
                connection.closing = true;
            }
        }
        self.job = Some(Job {
            url,
            bytes,
            method: request.method,
            sent: false,
            parser: ResponseParser::new(request.method),
            deadline: now.saturating_add(self.config.request_timeout),
            retried: false,
        });
        self.drive();
        Ok(())
    }

    /// Updates the wall clock (seconds since 1970) used for certificates.
    pub fn set_unix_time(&mut self, unix_time: u64) {
        self.clock.set(unix_time);
    }

    /// Where a new TCP connection is needed, if one is: the request waits
    /// for [`HttpsClient::connected`]. `None` while an old connection is
    /// still there (close it first: [`HttpsClient::wants_close`]).
    pub fn wants_connection(&self) -> Option<(&Host, u16)> {
        match (&self.job, &self.connection) {
            (Some(job), None) => Some((&job.url.host, job.url.port)),
            _ => None,
        }
    }

    /// The TCP connection asked for by [`HttpsClient::wants_connection`] is
    /// established: the TLS handshake starts.
    pub fn connected(&mut self) {
        let Some(job) = &self.job else { return };
        if self.connection.is_some() {
            return;
        }
        let (host, port) = (job.url.host.clone(), job.url.port);
        match self.open_tls(&host) {
            Ok((tls, report)) => {
                self.connection = Some(Connection {
                    host,
                    port,
                    tls,
                    report,
                    incoming: Vec::new(),
                    outgoing: Vec::new(),
                    plaintext: Vec::new(),
                    served: 0,
                    closing: false,
                    close_notify_sent: false,
                    peer_closed: false,
                    failed: false,
                });
                self.drive();
            }
            Err(error) => self.finish(Err(error)),
        }
    }

    /// The TCP connection asked for could not be opened (`reason` in words).
    pub fn connect_failed(&mut self, reason: &str) {
        if self.connection.is_none() && self.job.is_some() {
            self.finish(Err(HttpsError::Connect(reason.to_string())));
        }
    }

    fn open_tls(
        &self,
        host: &Host,
    ) -> Result<(UnbufferedClientConnection, Arc<OnceBox<CertificateRefusal>>), HttpsError> {
        let report = Arc::new(OnceBox::new());
        let verifier = self.config.authenticator.verifier(
            host.clone(),
            self.provider.signature_verification_algorithms,
            report.clone(),
        );
        let mut config =
            rustls::ClientConfig::builder_with_details(self.provider.clone(), self.clock.clone())
                .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
                .map_err(HttpsError::Tls)?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        // No session store without std (and a fresh handshake per
        // connection keeps the authenticator's checks on every one).
        config.resumption = Resumption::disabled();
        let name = match host {
            Host::Dns(name) => ServerName::try_from(name.clone())
                .map_err(|_| HttpsError::Url(crate::url::UrlError::BadHost(name.clone())))?,
            Host::Ip(core::net::IpAddr::V4(ip)) => {
                ServerName::IpAddress(rustls::pki_types::IpAddr::V4(ip.octets().into()))
            }
            Host::Ip(core::net::IpAddr::V6(ip)) => {
                ServerName::IpAddress(rustls::pki_types::IpAddr::V6(ip.segments().into()))
            }
        };
        let tls =
            UnbufferedClientConnection::new(Arc::new(config), name).map_err(HttpsError::Tls)?;
        Ok((tls, report))
    }

    /// TLS bytes to send on the TCP connection (empty: nothing now).
    pub fn pending_output(&self) -> &[u8] {
        self.connection
            .as_ref()
            .map_or(&[][..], |c| c.outgoing.as_slice())
    }

    /// `n` bytes of [`HttpsClient::pending_output`] were sent.
    pub fn consume_output(&mut self, n: usize) {
        if let Some(connection) = &mut self.connection {
            let n = n.min(connection.outgoing.len());
            connection.outgoing.drain(..n);
        }
    }

    /// Bytes received on the TCP connection.
    pub fn received(&mut self, data: &[u8]) {
        let Some(connection) = &mut self.connection else {
            return;
        };
        if connection.failed {
            return;
        }
        connection.incoming.extend_from_slice(data);
        self.drive();
        if let Some(connection) = &mut self.connection {
            if connection.incoming.len() > MAX_TLS_BUFFER && !connection.failed {
                connection.failed = true;
                connection.closing = true;
                self.fail_job(HttpsError::TlsBufferFull);
            }
        }
    }

    /// Whether the caller should close the TCP connection (after sending
    /// the pending output) and then call [`HttpsClient::connection_closed`].
    pub fn wants_close(&self) -> bool {
        self.connection
            .as_ref()
            .is_some_and(|c| c.closing || c.failed || c.peer_closed)
    }

    /// The TCP connection is gone: closed by us after
    /// [`HttpsClient::wants_close`], or by the peer (FIN or reset).
    pub fn connection_closed(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        let Some(job) = &mut self.job else { return };
        if !job.sent {
            return; // the job waits for its own connection
        }
        // A kept-alive connection closed by the server just as we reused
        // it: send the request once more on a new one, if none of the
        // response had come (the server cannot have answered it).
        if connection.served > 0 && !job.parser.received_anything() && !job.retried {
            job.retried = true;
            job.sent = false;
            job.parser = ResponseParser::new(job.method);
            return;
        }
        let result = if connection.peer_closed {
            job.parser.end_of_input().map_err(HttpsError::Http)
        } else if !job.parser.received_anything() {
            Err(HttpsError::ClosedWithoutResponse)
        } else {
            // Without close_notify only a body with its own framing is
            // trusted to be complete.
            match job.parser.end_of_input() {
                Ok(()) => Err(HttpsError::Truncated),
                Err(error) => Err(HttpsError::Http(error)),
            }
        };
        match result {
            Ok(()) => self.complete_if_done(),
            Err(error) => self.finish(Err(error)),
        }
    }

    /// The outcome of the request, once: `None` while it is in flight.
    pub fn response(&mut self) -> Option<Result<Response, HttpsError>> {
        self.outcome.take()
    }

    /// Whether no request is in flight.
    pub fn is_idle(&self) -> bool {
        self.job.is_none()
    }

    /// When [`HttpsClient::handle_timeout`] must be called at the latest.
    pub fn deadline(&self) -> Option<Duration> {
        self.job.as_ref().map(|j| j.deadline)
    }

    /// Fails the request in flight if its deadline has passed at `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.job.as_ref().is_some_and(|j| now >= j.deadline) {
            if let Some(connection) = &mut self.connection {
                connection.closing = true;
            }
            self.finish(Err(HttpsError::Timeout(self.config.request_timeout)));
            self.drive();
        }
    }

    /// Closes the kept-alive connection (TLS close_notify, then
    /// [`HttpsClient::wants_close`]), e.g. before a long idle time.
    pub fn close(&mut self) {
        if let Some(connection) = &mut self.connection {
            connection.closing = true;
        }
        self.drive();
    }

    /// Ends the job with `result`; the connection goes on if it may.
    fn finish(&mut self, result: Result<Response, HttpsError>) {
        if self.job.take().is_some() {
            if result.is_err() {
                if let Some(connection) = &mut self.connection {
                    // After an error the connection's state is unknown.
                    connection.closing = true;
                }
            }
            self.outcome = Some(result);
        }
    }

    fn fail_job(&mut self, error: HttpsError) {
        self.finish(Err(error));
    }

    /// Takes a complete response from the parser.
    fn complete_if_done(&mut self) {
        let Some(job) = &mut self.job else { return };
        let Some(parsed) = job.parser.take() else {
            return;
        };
        if let Some(connection) = &mut self.connection {
            connection.served += 1;
            if !parsed.keep_alive {
                connection.closing = true;
            }
        }
        self.finish(Ok(parsed.response));
    }

    /// Moves bytes through TLS and HTTP as far as they go.
    fn drive(&mut self) {
        // Two rounds: a response completed in the first may close the
        // connection, whose close_notify the second encodes.
        for _ in 0..2 {
            let Some(connection) = &mut self.connection else {
                return;
            };
            if let Some(job) = &mut self.job {
                let usable = !connection.closing && !connection.failed && !connection.peer_closed;
                if !job.sent && usable {
                    connection.plaintext.extend_from_slice(&job.bytes);
                    job.sent = true;
                }
            }
            let mut received = Vec::new();
            let tls_result = pump_tls(connection, &mut received);
            if !received.is_empty() {
                match &mut self.job {
                    Some(job) if job.sent => {
                        if let Err(error) = job.parser.push(&received) {
                            self.finish(Err(HttpsError::Http(error)));
                        }
                    }
                    // Bytes nobody asked for: the connection is not ours
                    // to trust any more.
                    _ => connection.closing = true,
                }
                self.complete_if_done();
            }
            if let Err(error) = tls_result {
                let report = self
                    .connection
                    .as_ref()
                    .and_then(|c| c.report.get().cloned());
                let error = match (report, &error) {
                    (Some(refusal), _) => HttpsError::Certificate(refusal),
                    (None, rustls::Error::FailedToGetCurrentTime) => HttpsError::ClockNotSet,
                    _ => HttpsError::Tls(error),
                };
                self.fail_job(error);
                return;
            }
            let peer_closed = self.connection.as_ref().is_some_and(|c| c.peer_closed);
            if peer_closed && self.job.as_ref().is_some_and(|j| j.sent) {
                // close_notify ends a body delimited by the connection.
                if let Some(job) = &mut self.job {
                    match job.parser.end_of_input() {
                        Ok(()) if job.parser.is_complete() => self.complete_if_done(),
                        // Closed before any byte: like a TCP close, the
                        // caller's connection_closed decides (retry).
                        Err(_) if !job.parser.received_anything() => {}
                        Ok(()) => {}
                        Err(error) => self.finish(Err(HttpsError::Http(error))),
                    }
                }
            }
        }
    }
}

/// Runs the TLS state machine of `connection` until it needs more input;
/// decrypted application data goes to `received`.
fn pump_tls(connection: &mut Connection, received: &mut Vec<u8>) -> Result<(), rustls::Error> {
    if connection.failed {
        return Ok(());
    }
    let Connection {
        tls,
        incoming,
        outgoing,
        plaintext,
        closing,
        close_notify_sent,
        peer_closed,
        failed,
        ..
    } = connection;
    for _ in 0..MAX_TLS_STEPS {
        let UnbufferedStatus { mut discard, state } = tls.process_tls_records(incoming);
        let mut blocked = false;
        let mut error = None;
        match state {
            Ok(ConnectionState::ReadTraffic(mut traffic)) => {
                while let Some(record) = traffic.next_record() {
                    match record {
                        Ok(AppDataRecord {
                            discard: used,
                            payload,
                        }) => {
                            discard += used;
                            received.extend_from_slice(payload);
                        }
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
            }
            Ok(ConnectionState::EncodeTlsData(mut encode)) => {
                let mut room = 2048;
                loop {
                    let start = outgoing.len();
                    outgoing.resize(start + room, 0);
                    match encode.encode(&mut outgoing[start..]) {
                        Ok(n) => {
                            outgoing.truncate(start + n);
                            break;
                        }
                        Err(EncodeError::InsufficientSize(InsufficientSizeError {
                            required_size,
                        })) if required_size > room => {
                            outgoing.truncate(start);
                            room = required_size;
                        }
                        Err(_) => {
                            outgoing.truncate(start);
                            error = Some(rustls::Error::General(String::from(
                                "cannot encode a TLS handshake record",
                            )));
                            break;
                        }
                    }
                }
            }
            Ok(ConnectionState::TransmitTlsData(mut transmit)) => {
                // The bytes are in `outgoing`: handed to the caller.
                if let Some(mut write) = transmit.may_encrypt_app_data() {
                    if let Err(e) = encrypt(&mut write, plaintext, outgoing) {
                        error = Some(e);
                    }
                }
                transmit.done();
            }
            Ok(ConnectionState::WriteTraffic(mut write)) => {
                if let Err(e) = encrypt(&mut write, plaintext, outgoing) {
                    error = Some(e);
                } else if *closing && !*close_notify_sent {
                    let start = outgoing.len();
                    outgoing.resize(start + 128, 0);
                    match write.queue_close_notify(&mut outgoing[start..]) {
                        Ok(n) => outgoing.truncate(start + n),
                        Err(_) => outgoing.truncate(start),
                    }
                    *close_notify_sent = true;
                }
                blocked = true;
            }
            Ok(ConnectionState::BlockedHandshake) => blocked = true,
            Ok(ConnectionState::PeerClosed) => *peer_closed = true,
            Ok(ConnectionState::Closed) => {
                *peer_closed = true;
                blocked = true;
            }
            Ok(_) => blocked = true, // early data: servers only
            Err(e) => error = Some(e),
        }
        let discard = discard.min(incoming.len());
        incoming.drain(..discard);
        if let Some(e) = error {
            *failed = true;
            *closing = true;
            // The alert rustls queued for the peer, if any.
            let UnbufferedStatus { state, .. } = tls.process_tls_records(&mut []);
            if let Ok(ConnectionState::EncodeTlsData(mut encode)) = state {
                let start = outgoing.len();
                outgoing.resize(start + 64, 0);
                match encode.encode(&mut outgoing[start..]) {
                    Ok(n) => outgoing.truncate(start + n),
                    Err(_) => outgoing.truncate(start),
                }
            }
            return Err(e);
        }
        if blocked {
            return Ok(());
        }
    }
    *failed = true;
    *closing = true;
    Err(rustls::Error::General(String::from(
        "the TLS state machine did not settle",
    )))
}

/// Encrypts all of `plaintext` into `outgoing`.
fn encrypt<Data>(
    write: &mut rustls::unbuffered::WriteTraffic<'_, Data>,
    plaintext: &mut Vec<u8>,
    outgoing: &mut Vec<u8>,
) -> Result<(), rustls::Error> {
    if plaintext.is_empty() {
        return Ok(());
    }
    // Records of at most 16 KiB, each with a header, a tag and padding.
    let mut room = plaintext.len() + (plaintext.len() / 16384 + 1) * 64;
    for _ in 0..4 {
        let start = outgoing.len();
        outgoing.resize(start + room, 0);
        match write.encrypt(plaintext, &mut outgoing[start..]) {
            Ok(n) => {
                outgoing.truncate(start + n);
                plaintext.clear();
                return Ok(());
            }
            Err(EncryptError::InsufficientSize(InsufficientSizeError { required_size })) => {
                outgoing.truncate(start);
                room = required_size.max(room + 1);
            }
            Err(EncryptError::EncryptExhausted) => {
                outgoing.truncate(start);
                return Err(rustls::Error::EncryptError);
            }
        }
    }
    Err(rustls::Error::General(String::from(
        "cannot size the TLS output buffer",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::RequestError;
    use crate::url::UrlError;

    const NOW: Duration = Duration::from_secs(100);
    const UNIX: u64 = 1_800_000_000;

    fn client() -> HttpsClient {
        HttpsClient::new(ClientConfig::default())
    }

    #[test]
    fn caller_mistakes_are_returned_by_start() {
        let mut c = client();
        assert!(matches!(
            c.start(Request::get("http://example.org/"), NOW, UNIX),
            Err(HttpsError::Url(UrlError::NotHttps(_)))
        ));
        let mut bad = Request::get("https://example.org/");
        bad.headers.push(("Host".into(), "x".into()));
        assert!(matches!(
            c.start(bad, NOW, UNIX),
            Err(HttpsError::Request(RequestError::ReservedField(_)))
        ));
        assert!(c.is_idle());
        c.start(Request::get("https://example.org/"), NOW, UNIX)
            .unwrap();
        assert!(matches!(
            c.start(Request::get("https://example.org/"), NOW, UNIX),
            Err(HttpsError::Busy)
        ));
    }

    #[test]
    fn asks_for_a_connection_then_says_hello() {
        let mut c = client();
        c.start(Request::get("https://[2001:db8::1]:8443/dir"), NOW, UNIX)
            .unwrap();
        let (host, port) = c.wants_connection().unwrap();
        assert_eq!((host.to_string(), port), ("[2001:db8::1]".into(), 8443));
        assert!(c.pending_output().is_empty(), "nothing before TCP is up");
        c.connected();
        assert!(c.wants_connection().is_none());
        let hello = c.pending_output().to_vec();
        // A TLS handshake record (22) carrying a ClientHello (1).
        assert_eq!((hello[0], hello[5]), (22, 1));
        c.consume_output(hello.len());
        assert!(c.pending_output().is_empty());
        assert_eq!(c.deadline(), Some(NOW + DEFAULT_REQUEST_TIMEOUT));
    }

    #[test]
    fn connect_failure_and_timeout_end_the_request() {
        let mut c = client();
        c.start(Request::get("https://example.org/"), NOW, UNIX)
            .unwrap();
        c.connect_failed("connection refused");
        let error = c.response().unwrap().unwrap_err();
        assert_eq!(error.to_string(), "cannot connect: connection refused");
        assert!(c.is_idle() && c.response().is_none());

        c.start(Request::get("https://example.org/"), NOW, UNIX)
            .unwrap();
        c.connected();
        c.handle_timeout(NOW + Duration::from_secs(29));
        assert!(c.response().is_none());
        c.handle_timeout(NOW + DEFAULT_REQUEST_TIMEOUT);
        assert!(matches!(c.response(), Some(Err(HttpsError::Timeout(_)))));
        assert!(c.wants_close());
        c.connection_closed();
        assert!(!c.wants_close());
    }

    #[test]
    fn garbage_from_the_server_is_a_tls_error_not_a_panic() {
        for garbage in [
            &b"HTTP/1.1 200 OK\r\n\r\n"[..],
            &[22, 3, 3, 0xff, 0xff],
            &[0; 300],
        ] {
            let mut c = client();
            c.start(Request::get("https://example.org/"), NOW, UNIX)
                .unwrap();
            c.connected();
            c.received(garbage);
            assert!(
                matches!(c.response(), Some(Err(HttpsError::Tls(_)))),
                "{garbage:?}"
            );
            assert!(c.wants_close());
        }
        // A server that closes before answering.
        let mut c = client();
        c.start(Request::get("https://example.org/"), NOW, UNIX)
            .unwrap();
        c.connected();
        c.connection_closed();
        assert!(matches!(
            c.response(),
            Some(Err(HttpsError::ClosedWithoutResponse))
        ));
    }
}
