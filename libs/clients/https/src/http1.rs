//! HTTP/1.1 messages (RFC 9112): the request as bytes, and an incremental
//! parser for the response, with `Content-Length` and `chunked` bodies.
//!
//! The parser takes bytes in pieces of any size (down to one byte) and
//! never panics: every malformed or oversized input is an [`HttpError`]
//! that says what was wrong. Sizes are bounded by [`MAX_HEADER_BYTES`],
//! [`MAX_HEADER_FIELDS`], [`MAX_BODY_BYTES`], [`MAX_CHUNK_LINE_BYTES`] and
//! [`MAX_INTERIM_RESPONSES`].

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::url::Url;

/// Largest header block of a response (status line and fields, and again
/// for the trailer fields of a chunked body), in bytes. ACME responses
/// carry a dozen short fields, well under 2 KiB; 16 KiB is what common
/// servers allow for request headers.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Most header fields in one header block: a few dozen in practice.
pub const MAX_HEADER_FIELDS: usize = 128;

/// Largest response body, in bytes, after removing the chunked coding.
/// The biggest ACME response is a certificate chain of a few KiB; 1 MiB
/// bounds what a broken or hostile server can make us store.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Longest line of a chunked body's size (hex digits and extensions).
pub const MAX_CHUNK_LINE_BYTES: usize = 1024;

/// Most interim (1xx) responses skipped before the final one: we send no
/// `Expect`, so servers have no reason to send any.
pub const MAX_INTERIM_RESPONSES: usize = 8;

/// Header fields the client writes itself; a request may not set them.
const CLIENT_FIELDS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// The request methods this client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: the response has no body (RFC 9110 §9.3.2).
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute `https://` URL.
    pub url: String,
    /// Header fields to send besides `Host`, `User-Agent` (unless given
    /// here), `Connection` and `Content-Length`, which the client writes.
    pub headers: Vec<(String, String)>,
    /// The body (empty for GET and HEAD).
    pub body: Vec<u8>,
}

impl Request {
    /// A `GET` of `url` without extra header fields.
    pub fn get(url: &str) -> Request {
        Request {
            method: Method::Get,
            url: url.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// A response, its body without transfer coding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase (informative only).
    pub reason: String,
    /// Header fields in the order received, names as sent (compare them
    /// without case, or use [`Response::header`]).
    pub headers: Vec<(String, String)>,
    /// Trailer fields of a chunked body (RFC 9112 §7.1.2), kept apart from
    /// the header fields.
    pub trailers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The value of the first header field called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request that cannot be sent as it is (a caller mistake).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The name is not an HTTP token (RFC 9110 §5.1).
    BadFieldName(String),
    /// The value of this field holds CR, LF, NUL or another control
    /// character, which would end or corrupt the header block.
    BadFieldValue(String),
    /// The client writes this field itself.
    ReservedField(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::BadFieldName(name) => {
                write!(f, "request header name {name:?} is not an HTTP token")
            }
            RequestError::BadFieldValue(name) => write!(
                f,
                "request header {name} has a control character (CR, LF, NUL, …) in its value"
            ),
            RequestError::ReservedField(name) => {
                write!(
                    f,
                    "request header {name} is written by the HTTPS client itself"
                )
            }
        }
    }
}

/// Whether `b` is a `tchar` (RFC 9110 §5.6.2).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(|&b| is_token_byte(b))
}

/// Field-value bytes: visible ASCII, obs-text, space and tab (RFC 9110 §5.5).
fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80
}

/// The bytes of `request` to `url` (already parsed from `request.url`).
pub fn encode_request(
    request: &Request,
    url: &Url,
    user_agent: &str,
) -> Result<Vec<u8>, RequestError> {
    for (name, value) in &request.headers {
        if !is_token(name.as_bytes()) {
            return Err(RequestError::BadFieldName(name.clone()));
        }
        if !value.bytes().all(is_field_value_byte) {
            return Err(RequestError::BadFieldValue(name.clone()));
        }
        if CLIENT_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            return Err(RequestError::ReservedField(name.clone()));
        }
    }
    if !user_agent.bytes().all(is_field_value_byte) {
        return Err(RequestError::BadFieldValue("User-Agent".into()));
    }
    let mut head = alloc::format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\n",
        request.method,
        url.target,
        url.authority()
    );
    let has_user_agent = request
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("user-agent"));
    if !has_user_agent && !user_agent.is_empty() {
        head.push_str("User-Agent: ");
        head.push_str(user_agent);
        head.push_str("\r\n");
    }
    head.push_str("Connection: keep-alive\r\n");
    // A POST or PUT says its length even when empty (RFC 9110 §8.6).
    if !request.body.is_empty() || matches!(request.method, Method::Post | Method::Put) {
        head.push_str(&alloc::format!(
            "Content-Length: {}\r\n",
            request.body.len()
        ));
    }
    for (name, value) in &request.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value.trim_matches([' ', '\t']));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&request.body);
    Ok(bytes)
}

/// What is wrong with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The header (or trailer) block is longer than [`MAX_HEADER_BYTES`].
    HeaderTooLarge,
    /// More than [`MAX_HEADER_FIELDS`] fields in one block.
    TooManyHeaderFields,
    /// The body is longer than [`MAX_BODY_BYTES`]; the `Content-Length`
    /// if that is how we know.
    BodyTooLarge {
        /// The declared length, if declared.
        declared: Option<u64>,
    },
    /// The first line is not `HTTP/1.x NNN reason` (an excerpt of it).
    BadStatusLine(String),
    /// An HTTP version other than 1.0 and 1.1.
    UnsupportedVersion(String),
    /// A field line is not `name: value` (an excerpt of it).
    BadHeaderLine(String),
    /// A field line starts with white space (obsolete line folding,
    /// RFC 9112 §5.2).
    ObsoleteLineFolding,
    /// `Content-Length` is not a decimal number, or its values disagree.
    BadContentLength(String),
    /// A transfer coding other than one `chunked`: we ask for none.
    UnsupportedTransferCoding(String),
    /// A chunk-size line is not hex digits (an excerpt of it).
    BadChunkSize(String),
    /// A chunk's data is not followed by CRLF.
    BadChunkEnd,
    /// A chunk-size line is longer than [`MAX_CHUNK_LINE_BYTES`].
    ChunkLineTooLong,
    /// More than [`MAX_INTERIM_RESPONSES`] 1xx responses.
    TooManyInterimResponses,
    /// `101 Switching Protocols`, which we never ask for.
    UnexpectedUpgrade,
    /// The connection ended inside the header block.
    TruncatedHead,
    /// The connection ended inside a `Content-Length` body.
    TruncatedBody {
        /// Body bytes received.
        received: usize,
        /// Body bytes declared.
        expected: usize,
    },
    /// The connection ended inside a chunked body (before its last chunk
    /// and trailer section).
    TruncatedChunked {
        /// Body bytes received.
        received: usize,
    },
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::HeaderTooLarge => write!(
                f,
                "the response header block is larger than {MAX_HEADER_BYTES} bytes"
            ),
            HttpError::TooManyHeaderFields => write!(
                f,
                "the response has more than {MAX_HEADER_FIELDS} header fields"
            ),
            HttpError::BodyTooLarge { declared: Some(n) } => write!(
                f,
                "the response body (Content-Length: {n}) is larger than {MAX_BODY_BYTES} bytes"
            ),
            HttpError::BodyTooLarge { declared: None } => {
                write!(f, "the response body is larger than {MAX_BODY_BYTES} bytes")
            }
            HttpError::BadStatusLine(line) => write!(
                f,
                "the response status line should be 'HTTP/1.1 <3 digits> <reason>', got \"{line}\""
            ),
            HttpError::UnsupportedVersion(version) => write!(
                f,
                "the response is {version}: only HTTP/1.0 and HTTP/1.1 are supported"
            ),
            HttpError::BadHeaderLine(line) => write!(
                f,
                "a response header line should be '<token>: <value>', got \"{line}\""
            ),
            HttpError::ObsoleteLineFolding => {
                f.write_str("a response header line is folded (starts with white space)")
            }
            HttpError::BadContentLength(value) => write!(
                f,
                "the response Content-Length \"{value}\" is not one decimal number"
            ),
            HttpError::UnsupportedTransferCoding(codings) => write!(
                f,
                "the response Transfer-Encoding is \"{codings}\": only chunked is supported"
            ),
            HttpError::BadChunkSize(line) => {
                write!(f, "a chunk-size line should be hex digits, got \"{line}\"")
            }
            HttpError::BadChunkEnd => f.write_str("a chunk's data is not followed by CRLF"),
            HttpError::ChunkLineTooLong => write!(
                f,
                "a chunk-size line is longer than {MAX_CHUNK_LINE_BYTES} bytes"
            ),
            HttpError::TooManyInterimResponses => write!(
                f,
                "more than {MAX_INTERIM_RESPONSES} interim (1xx) responses"
            ),
            HttpError::UnexpectedUpgrade => {
                f.write_str("the server switched protocols (101), which was not asked for")
            }
            HttpError::TruncatedHead => {
                f.write_str("the connection closed inside the response header block")
            }
            HttpError::TruncatedBody { received, expected } => write!(
                f,
                "the connection closed after {received} of {expected} body bytes"
            ),
            HttpError::TruncatedChunked { received } => write!(
                f,
                "the connection closed inside the chunked body (after {received} bytes)"
            ),
        }
    }
}

/// At most this much of a bad line goes into an error message.
const EXCERPT_BYTES: usize = 64;

/// A printable excerpt of untrusted bytes.
fn excerpt(bytes: &[u8]) -> String {
    let mut text = String::new();
    for &b in bytes.iter().take(EXCERPT_BYTES) {
        for c in core::ascii::escape_default(b) {
            text.push(char::from(c));
        }
    }
    if bytes.len() > EXCERPT_BYTES {
        text.push('…');
    }
    text
}

/// Where the parser stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Status line and header fields.
    Head,
    /// A body of known length: bytes still to come.
    Fixed { remaining: usize },
    /// A chunk-size line.
    ChunkSize,
    /// Chunk data: bytes still to come.
    ChunkData { remaining: usize },
    /// The CRLF after chunk data.
    ChunkDataEnd,
    /// Trailer fields after the last chunk.
    Trailers,
    /// A body delimited by the end of the connection.
    UntilClose,
    /// The response is complete.
    Done,
}

/// A complete response and what it means for the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The response.
    pub response: Response,
    /// Whether the connection may carry another request (HTTP/1.1 without
    /// `Connection: close`, or HTTP/1.0 with `keep-alive`, and a body not
    /// delimited by the end of the connection).
    pub keep_alive: bool,
}

/// An incremental parser of one response (and the 1xx responses before
/// it). Feed bytes with [`ResponseParser::push`], the end of the
/// connection with [`ResponseParser::end_of_input`]; take the response
/// with [`ResponseParser::take`] once [`ResponseParser::is_complete`].
#[derive(Debug, Clone)]
pub struct ResponseParser {
    /// The request was HEAD: no body, whatever the fields say.
    head_request: bool,
    stage: Stage,
    /// Unparsed bytes.
    buf: Vec<u8>,
    /// How far `buf` was searched for the end of the current line block.
    scanned: usize,
    /// Bytes received in all.
    received: usize,
    interim: usize,
    response: Response,
    keep_alive: bool,
    /// Bytes of the trailer block so far.
    trailer_bytes: usize,
    /// The first error: the parser stays failed.
    failed: Option<HttpError>,
}

impl ResponseParser {
    /// A parser for the response to a request with `method`.
    pub fn new(method: Method) -> Self {
        ResponseParser {
            head_request: method == Method::Head,
            stage: Stage::Head,
            buf: Vec::new(),
            scanned: 0,
            received: 0,
            interim: 0,
            response: Response::default(),
            keep_alive: false,
            trailer_bytes: 0,
            failed: None,
        }
    }

    /// Whether any byte has arrived (a connection reused for this request
    /// that closes before the first byte may be retried).
    pub fn received_anything(&self) -> bool {
        self.received > 0
    }

    /// Whether the response is complete.
    pub fn is_complete(&self) -> bool {
        self.stage == Stage::Done && self.failed.is_none()
    }

    /// Bytes received after the end of the response (a server must send
    /// none before the next request: if there are, the connection cannot
    /// be reused).
    pub fn surplus(&self) -> usize {
        if self.stage == Stage::Done {
            self.buf.len()
        } else {
            0
        }
    }

    /// Takes the response once it is complete.
    pub fn take(&mut self) -> Option<Parsed> {
        if !self.is_complete() {
            return None;
        }
        Some(Parsed {
            response: core::mem::take(&mut self.response),
            keep_alive: self.keep_alive && self.buf.is_empty(),
        })
    }

    /// Feeds the next bytes of the connection.
    pub fn push(&mut self, data: &[u8]) -> Result<(), HttpError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        self.received = self.received.saturating_add(data.len());
        if self.stage == Stage::Done {
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        self.buf.extend_from_slice(data);
        let result = self.advance();
        if let Err(error) = &result {
            self.failed = Some(error.clone());
        }
        result
    }

    /// The connection ended (TCP FIN or TLS close_notify): completes a body
    /// delimited by it, or reports what was cut off. `Ok` with nothing
    /// received means the server closed without answering.
    pub fn end_of_input(&mut self) -> Result<(), HttpError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let error = match self.stage {
            Stage::Done => return Ok(()),
            Stage::UntilClose => {
                self.stage = Stage::Done;
                return Ok(());
            }
            Stage::Head => HttpError::TruncatedHead,
            Stage::Fixed { remaining } => HttpError::TruncatedBody {
                received: self.response.body.len(),
                expected: self.response.body.len().saturating_add(remaining),
            },
            Stage::ChunkSize | Stage::ChunkData { .. } | Stage::ChunkDataEnd | Stage::Trailers => {
                HttpError::TruncatedChunked {
                    received: self.response.body.len(),
                }
            }
        };
        self.failed = Some(error.clone());
        Err(error)
    }

    /// Parses what `buf` holds as far as it goes.
    fn advance(&mut self) -> Result<(), HttpError> {
        let mut at = 0;
        let result = loop {
            match self.step(at) {
                Ok(Some(next)) => at = next,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.buf.drain(..at.min(self.buf.len()));
        self.scanned = self.scanned.saturating_sub(at);
        result
    }

    /// One step from offset `at` of `buf`: the offset after what it used,
    /// or `None` when it needs more bytes (or is done).
    fn step(&mut self, at: usize) -> Result<Option<usize>, HttpError> {
        let available = self.buf.len() - at;
        match self.stage {
            Stage::Done => Ok(None),
            Stage::Head => {
                let Some(end) = self.find_block_end(at, MAX_HEADER_BYTES)? else {
                    return Ok(None);
                };
                let block = self.buf[at..end].to_vec();
                self.parse_head(&block)?;
                Ok(Some(end))
            }
            Stage::Fixed { remaining } => {
                let n = remaining.min(available);
                self.response.body.extend_from_slice(&self.buf[at..at + n]);
                let remaining = remaining - n;
                self.stage = if remaining == 0 {
                    Stage::Done
                } else {
                    Stage::Fixed { remaining }
                };
                Ok(if n == 0 && remaining > 0 {
                    None
                } else {
                    Some(at + n)
                })
            }
            Stage::UntilClose => {
                if self.response.body.len() + available > MAX_BODY_BYTES {
                    return Err(HttpError::BodyTooLarge { declared: None });
                }
                self.response.body.extend_from_slice(&self.buf[at..]);
                Ok(if available == 0 {
                    None
                } else {
                    Some(self.buf.len())
                })
            }
            Stage::ChunkSize => {
                let rest = &self.buf[at..];
                let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
                    if rest.len() > MAX_CHUNK_LINE_BYTES {
                        return Err(HttpError::ChunkLineTooLong);
                    }
                    return Ok(None);
                };
                if lf > MAX_CHUNK_LINE_BYTES {
                    return Err(HttpError::ChunkLineTooLong);
                }
                let line = strip_cr(&rest[..lf]);
                let size = parse_chunk_size(line)?;
                if size == 0 {
                    self.stage = Stage::Trailers;
                } else {
                    if size > MAX_BODY_BYTES - self.response.body.len() {
                        return Err(HttpError::BodyTooLarge { declared: None });
                    }
                    self.stage = Stage::ChunkData { remaining: size };
                }
                Ok(Some(at + lf + 1))
            }
            Stage::ChunkData { remaining } => {
                let n = remaining.min(available);
                if n == 0 {
                    return Ok(None);
                }
                self.response.body.extend_from_slice(&self.buf[at..at + n]);
                let remaining = remaining - n;
                self.stage = if remaining == 0 {
                    Stage::ChunkDataEnd
                } else {
                    Stage::ChunkData { remaining }
                };
                Ok(Some(at + n))
            }
            Stage::ChunkDataEnd => match &self.buf[at..] {
                [b'\n', ..] => {
                    self.stage = Stage::ChunkSize;
                    Ok(Some(at + 1))
                }
                [b'\r', b'\n', ..] => {
                    self.stage = Stage::ChunkSize;
                    Ok(Some(at + 2))
                }
                [] | [b'\r'] => Ok(None),
                _ => Err(HttpError::BadChunkEnd),
            },
            Stage::Trailers => {
                let limit = MAX_HEADER_BYTES.saturating_sub(self.trailer_bytes);
                let Some(end) = self.find_block_end(at, limit)? else {
                    return Ok(None);
                };
                let block = self.buf[at..end].to_vec();
                self.trailer_bytes += block.len();
                let mut fields = Vec::new();
                parse_fields(&block, &mut fields)?;
                self.response.trailers = fields;
                self.stage = Stage::Done;
                Ok(Some(end))
            }
        }
    }

    /// The end (after the empty line) of the line block starting at `at`,
    /// searching on from where the last call stopped; a block may be just
    /// the empty line. Errors when the block exceeds `limit` bytes.
    fn find_block_end(&mut self, at: usize, limit: usize) -> Result<Option<usize>, HttpError> {
        let mut from = self.scanned.max(at);
        while let Some(offset) = self.buf[from..].iter().position(|&b| b == b'\n') {
            let lf = from + offset;
            // The line ending here is empty if it starts at `at` or after
            // the previous LF (a CR before this LF does not count).
            let line_start = self.buf[at..lf]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(at, |p| at + p + 1);
            if strip_cr(&self.buf[line_start..lf]).is_empty() {
                self.scanned = 0;
                if lf + 1 - at > limit {
                    return Err(HttpError::HeaderTooLarge);
                }
                return Ok(Some(lf + 1));
            }
            from = lf + 1;
        }
        self.scanned = self.buf.len();
        if self.buf.len() - at > limit {
            return Err(HttpError::HeaderTooLarge);
        }
        Ok(None)
    }

    /// A status line and header fields (`block` ends with the empty line).
    fn parse_head(&mut self, block: &[u8]) -> Result<(), HttpError> {
        let (status_line, fields_block) = match block.iter().position(|&b| b == b'\n') {
            Some(lf) => (strip_cr(&block[..lf]), &block[lf + 1..]),
            None => (block, &[][..]),
        };
        if status_line.is_empty() {
            // RFC 9112 §2.2 lets a recipient skip empty lines before the
            // start line; we do not: a server sends none.
            return Err(HttpError::BadStatusLine(String::new()));
        }
        let (minor_version, status, reason) = parse_status_line(status_line)?;
        let mut headers = Vec::new();
        parse_fields(fields_block, &mut headers)?;

        if (100..200).contains(&status) {
            if status == 101 {
                return Err(HttpError::UnexpectedUpgrade);
            }
            self.interim += 1;
            if self.interim > MAX_INTERIM_RESPONSES {
                return Err(HttpError::TooManyInterimResponses);
            }
            return Ok(()); // the final response follows
        }

        let connection_has = |token: &str| {
            headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
                .flat_map(|(_, v)| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        let mut keep_alive = if minor_version == 1 {
            !connection_has("close")
        } else {
            connection_has("keep-alive") && !connection_has("close")
        };

        let codings: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        let has_transfer_encoding = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"));
        let content_length = content_length(&headers)?;

        // RFC 9112 §6.3, in its order.
        let no_body = self.head_request || status == 204 || status == 304;
        self.stage = if no_body {
            Stage::Done
        } else if has_transfer_encoding {
            match codings.as_slice() {
                [only] if only.eq_ignore_ascii_case("chunked") => {}
                _ => {
                    return Err(HttpError::UnsupportedTransferCoding(codings.join(", ")));
                }
            }
            // Both framings: Transfer-Encoding wins, and the connection
            // must not be reused (§6.3 item 3).
            if content_length.is_some() {
                keep_alive = false;
            }
            Stage::ChunkSize
        } else if let Some(length) = content_length {
            if length > MAX_BODY_BYTES as u64 {
                return Err(HttpError::BodyTooLarge {
                    declared: Some(length),
                });
            }
            match length {
                0 => Stage::Done,
                n => Stage::Fixed {
                    remaining: n as usize,
                },
            }
        } else {
            keep_alive = false;
            Stage::UntilClose
        };
        self.keep_alive = keep_alive;
        self.response.status = status;
        self.response.reason = reason;
        self.response.headers = headers;
        Ok(())
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `HTTP/1.x SP 3DIGIT [SP reason]`: minor version, status, reason.
fn parse_status_line(line: &[u8]) -> Result<(u8, u16, String), HttpError> {
    let bad = || HttpError::BadStatusLine(excerpt(line));
    let (version, rest) = match line.iter().position(|&b| b == b' ') {
        Some(sp) => (&line[..sp], &line[sp + 1..]),
        None => return Err(bad()),
    };
    let minor = match version {
        b"HTTP/1.1" => 1,
        b"HTTP/1.0" => 0,
        // Another version number (`HTTP/2`, `HTTP/1.2`): not ours.
        v if v.starts_with(b"HTTP/")
            && (1..=3).contains(&(v.len() - 5))
            && v[5..].iter().all(|&b| b.is_ascii_digit() || b == b'.') =>
        {
            return Err(HttpError::UnsupportedVersion(excerpt(v)))
        }
        _ => return Err(bad()),
    };
    let (code, reason) = match rest {
        [a, b, c] => ([*a, *b, *c], &[][..]),
        [a, b, c, b' ', reason @ ..] => ([*a, *b, *c], reason),
        _ => return Err(bad()),
    };
    if !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' {
        return Err(bad());
    }
    let status = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    if !reason.iter().all(|&b| is_field_value_byte(b)) {
        return Err(bad());
    }
    Ok((minor, status, String::from_utf8_lossy(reason).into_owned()))
}

/// Field lines of a block that ends with the empty line.
fn parse_fields(block: &[u8], fields: &mut Vec<(String, String)>) -> Result<(), HttpError> {
    for raw in block.split(|&b| b == b'\n') {
        let line = strip_cr(raw);
        if line.is_empty() {
            // The empty line ends the block (it is the last line; the
            // final split after its LF is empty too).
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            return Err(HttpError::ObsoleteLineFolding);
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(HttpError::BadHeaderLine(excerpt(line)));
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        // No white space between name and colon (RFC 9112 §5.1).
        if !is_token(name) || !value.iter().all(|&b| is_field_value_byte(b)) {
            return Err(HttpError::BadHeaderLine(excerpt(line)));
        }
        if fields.len() == MAX_HEADER_FIELDS {
            return Err(HttpError::TooManyHeaderFields);
        }
        let value = value.trim_ascii();
        fields.push((
            String::from_utf8_lossy(name).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        ));
    }
    Ok(())
}

/// The `Content-Length`, if any: every value (in every field, comma
/// separated) must be the same decimal number (RFC 9110 §8.6).
fn content_length(headers: &[(String, String)]) -> Result<Option<u64>, HttpError> {
    let mut length = None;
    for (_, value) in headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        for part in value.split(',') {
            let part = part.trim();
            let bad = || HttpError::BadContentLength(excerpt(value.as_bytes()));
            if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let n: u64 = part.parse().map_err(|_| bad())?;
            match length {
                Some(previous) if previous != n => return Err(bad()),
                _ => length = Some(n),
            }
        }
    }
    Ok(length)
}

/// `chunk-size [ chunk-ext ]` (RFC 9112 §7.1): hex digits, then optional
/// white space and `;extensions`, which are ignored.
fn parse_chunk_size(line: &[u8]) -> Result<usize, HttpError> {
    let bad = || HttpError::BadChunkSize(excerpt(line));
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(bad());
    }
    let rest = &line[digits..];
    let rest = rest.trim_ascii_start();
    if !(rest.is_empty() || rest[0] == b';') || !rest.iter().all(|&b| is_field_value_byte(b)) {
        return Err(bad());
    }
    let mut size: usize = 0;
    for &d in &line[..digits] {
        let value = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => d - b'A' + 10,
        };
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(usize::from(value)))
            .ok_or(HttpError::BodyTooLarge { declared: None })?;
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// Parses `bytes` in one piece and ends the input.
    fn parse(method: Method, bytes: &[u8]) -> Result<Parsed, HttpError> {
        let mut parser = ResponseParser::new(method);
        parser.push(bytes)?;
        if !parser.is_complete() {
            parser.end_of_input()?;
        }
        Ok(parser.take().expect("complete"))
    }

    fn get(bytes: &[u8]) -> Result<Parsed, HttpError> {
        parse(Method::Get, bytes)
    }

    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n\
        5;ext=1\r\nhello\r\n1A\r\n, chunked world, 26 bytes.\r\n0\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n";

    #[test]
    fn content_length_body() {
        let p = get(b"HTTP/1.1 201 Created\r\nLocation: /acct/1\r\ncontent-length: 5\r\n\r\nhello")
            .unwrap();
        assert_eq!(p.response.status, 201);
        assert_eq!(p.response.reason, "Created");
        assert_eq!(p.response.header("LOCATION"), Some("/acct/1"));
        assert_eq!(p.response.body, b"hello");
        assert!(p.keep_alive);
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let p = get(CHUNKED).unwrap();
        assert_eq!(p.response.body, b"hello, chunked world, 26 bytes.");
        assert_eq!(
            p.response.trailers,
            vec![
                ("X-Checksum".into(), "abc".into()),
                ("X-Other".into(), "d".into())
            ]
        );
        assert_eq!(p.response.header("content-type"), Some("text/plain"));
        assert!(p.keep_alive);
    }

    /// Every split of the input into two pieces, and byte by byte, gives
    /// the same response as one piece.
    #[test]
    fn split_at_every_byte_boundary() {
        let inputs: [&[u8]; 4] = [
            CHUNKED,
            b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX: y\r\n\r\n",
            b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n",
        ];
        for input in inputs {
            let whole = get(input).unwrap();
            for split in 0..=input.len() {
                let mut parser = ResponseParser::new(Method::Get);
                parser.push(&input[..split]).unwrap();
                parser.push(&input[split..]).unwrap();
                assert_eq!(parser.take().as_ref(), Some(&whole), "split at {split}");
            }
            let mut parser = ResponseParser::new(Method::Get);
            for byte in input {
                parser.push(core::slice::from_ref(byte)).unwrap();
            }
            assert_eq!(parser.take(), Some(whole));
        }
    }

    #[test]
    fn bodyless_responses() {
        let p = parse(
            Method::Head,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nReplay-Nonce: abc\r\n\r\n",
        )
        .unwrap();
        assert_eq!((p.response.body.len(), p.keep_alive), (0, true));
        assert_eq!(p.response.header("replay-nonce"), Some("abc"));
        let p = get(b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
        assert!(p.response.body.is_empty());
        let p = get(b"HTTP/1.1 304 Not Modified\r\n\r\n").unwrap();
        assert_eq!(p.response.status, 304);
        let p = get(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert!(p.keep_alive && p.response.body.is_empty());
    }

    #[test]
    fn interim_responses_are_skipped() {
        let p = get(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").unwrap();
        assert_eq!(
            (p.response.status, p.response.body.as_slice()),
            (200, &b"ok"[..])
        );
        assert_eq!(p.response.header("link"), None);
        let many = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(MAX_INTERIM_RESPONSES + 1);
        assert_eq!(get(&many), Err(HttpError::TooManyInterimResponses));
        assert_eq!(
            get(b"HTTP/1.1 101 Switching Protocols\r\n\r\n"),
            Err(HttpError::UnexpectedUpgrade)
        );
    }

    #[test]
    fn connection_reuse() {
        let close =
            get(b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, close\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        assert!(!close.keep_alive);
        let old = get(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert!(!old.keep_alive);
        let old_kept =
            get(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert!(old_kept.keep_alive);
        // Delimited by the end of the connection.
        let until_close = get(b"HTTP/1.1 200 OK\r\n\r\nall of it").unwrap();
        assert_eq!(until_close.response.body, b"all of it");
        assert!(!until_close.keep_alive);
        // Both framings: chunked wins, no reuse.
        let both = get(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n").unwrap();
        assert_eq!(both.response.body, b"ab");
        assert!(!both.keep_alive);
        // Bytes after the response: no reuse.
        let mut parser = ResponseParser::new(Method::Get);
        parser
            .push(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP")
            .unwrap();
        assert_eq!(parser.surplus(), 4);
        assert!(!parser.take().unwrap().keep_alive);
    }

    #[test]
    fn bad_lengths() {
        for value in [
            "-1",
            "1x",
            "",
            " ",
            "0x10",
            "99999999999999999999",
            "5, 6",
            "+5",
        ] {
            let input = alloc::format!("HTTP/1.1 200 OK\r\nContent-Length: {value}\r\n\r\n");
            assert!(
                matches!(get(input.as_bytes()), Err(HttpError::BadContentLength(_))),
                "{value:?}"
            );
        }
        // Repeated and equal values are one length.
        let p =
            get(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nab").unwrap();
        assert_eq!(p.response.body, b"ab");
        let differing =
            get(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc");
        assert!(matches!(differing, Err(HttpError::BadContentLength(_))));

        for size in ["g", "", " 5", "5 x", "-5"] {
            let input =
                alloc::format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\n");
            assert!(
                matches!(get(input.as_bytes()), Err(HttpError::BadChunkSize(_))),
                "{size:?}"
            );
        }
        let overflow =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n";
        assert_eq!(
            get(overflow),
            Err(HttpError::BodyTooLarge { declared: None })
        );
        let no_crlf = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n";
        assert_eq!(get(no_crlf), Err(HttpError::BadChunkEnd));
        let long_line = alloc::format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;{}",
            "x".repeat(MAX_CHUNK_LINE_BYTES + 1)
        );
        assert_eq!(get(long_line.as_bytes()), Err(HttpError::ChunkLineTooLong));
        for coding in ["gzip", "gzip, chunked", "chunked, chunked", "identity"] {
            let input = alloc::format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: {coding}\r\n\r\n");
            assert_eq!(
                get(input.as_bytes()),
                Err(HttpError::UnsupportedTransferCoding(coding.into()))
            );
        }
    }

    #[test]
    fn oversize() {
        let big = alloc::format!(
            "HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n",
            "a".repeat(MAX_HEADER_BYTES)
        );
        assert_eq!(get(big.as_bytes()), Err(HttpError::HeaderTooLarge));
        // Without the end of the block in sight, as soon as the limit is passed.
        let mut parser = ResponseParser::new(Method::Get);
        parser.push(b"HTTP/1.1 200 OK\r\n").unwrap();
        let line = b"X-Filler: 0123456789abcdef0123456789abcdef0123456789abcdef\r\n";
        let result = (0..MAX_HEADER_BYTES / line.len() + 1).try_for_each(|_| parser.push(line));
        assert_eq!(result, Err(HttpError::HeaderTooLarge));

        let many: String = (0..=MAX_HEADER_FIELDS)
            .map(|i| alloc::format!("X-{i}: v\r\n"))
            .collect();
        let input = alloc::format!("HTTP/1.1 200 OK\r\n{many}\r\n");
        assert_eq!(get(input.as_bytes()), Err(HttpError::TooManyHeaderFields));

        let declared = alloc::format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        assert_eq!(
            get(declared.as_bytes()),
            Err(HttpError::BodyTooLarge {
                declared: Some(MAX_BODY_BYTES as u64 + 1)
            })
        );
        let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        let chunk = vec![b'x'; 0x10000];
        for _ in 0..MAX_BODY_BYTES / chunk.len() {
            chunked.extend_from_slice(b"10000\r\n");
            chunked.extend_from_slice(&chunk);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"1\r\n");
        assert_eq!(
            get(&chunked),
            Err(HttpError::BodyTooLarge { declared: None })
        );
        let mut until_close = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        until_close.resize(until_close.len() + MAX_BODY_BYTES + 1, b'x');
        assert_eq!(
            get(&until_close),
            Err(HttpError::BodyTooLarge { declared: None })
        );
        let trailers = alloc::format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: {}\r\n\r\n",
            "t".repeat(MAX_HEADER_BYTES)
        );
        assert_eq!(get(trailers.as_bytes()), Err(HttpError::HeaderTooLarge));
    }

    #[test]
    fn malformed_heads() {
        let cases: &[(&[u8], HttpError)] = &[
            (
                b"HTTP/1.1 20 OK\r\n\r\n",
                HttpError::BadStatusLine("HTTP/1.1 20 OK".into()),
            ),
            (
                b"HTTP/1.1 099 X\r\n\r\n",
                HttpError::BadStatusLine("HTTP/1.1 099 X".into()),
            ),
            (
                b"HTTP/1.1 2000 OK\r\n\r\n",
                HttpError::BadStatusLine("HTTP/1.1 2000 OK".into()),
            ),
            (
                b"HTTP/1.1200 OK\r\n\r\n",
                HttpError::BadStatusLine("HTTP/1.1200 OK".into()),
            ),
            (
                b"ICY 200 OK\r\n\r\n",
                HttpError::BadStatusLine("ICY 200 OK".into()),
            ),
            (
                b"\r\nHTTP/1.1 200 OK\r\n\r\n",
                HttpError::BadStatusLine("".into()),
            ),
            (
                b"HTTP/2 200 OK\r\n\r\n",
                HttpError::UnsupportedVersion("HTTP/2".into()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
                HttpError::BadHeaderLine("No colon".into()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nName : v\r\n\r\n",
                HttpError::BadHeaderLine("Name : v".into()),
            ),
            (
                b"HTTP/1.1 200 OK\r\n: v\r\n\r\n",
                HttpError::BadHeaderLine(": v".into()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n",
                HttpError::BadHeaderLine("X: a\\x00b".into()),
            ),
            (
                b"HTTP/1.1 200 OK\r\nX: a\r\n  b\r\n\r\n",
                HttpError::ObsoleteLineFolding,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(get(input).as_ref(), Err(expected), "{}", excerpt(input));
        }
        // A failed parser stays failed.
        let mut parser = ResponseParser::new(Method::Get);
        assert!(parser.push(b"garbage\r\n\r\n").is_err());
        assert!(parser.push(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert!(parser.end_of_input().is_err());
    }

    #[test]
    fn truncation() {
        let mut parser = ResponseParser::new(Method::Get);
        assert_eq!(parser.end_of_input(), Err(HttpError::TruncatedHead));
        assert!(!parser.received_anything());

        let mut parser = ResponseParser::new(Method::Get);
        parser
            .push(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            .unwrap();
        assert_eq!(
            parser.end_of_input(),
            Err(HttpError::TruncatedBody {
                received: 3,
                expected: 10
            })
        );
        let mut parser = ResponseParser::new(Method::Get);
        parser
            .push(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
            .unwrap();
        assert_eq!(
            parser.end_of_input(),
            Err(HttpError::TruncatedChunked { received: 3 })
        );
    }

    #[test]
    fn request_bytes() {
        let url = Url::parse("https://127.0.0.1:14000/acme/new-acct").unwrap();
        let request = Request {
            method: Method::Post,
            url: "https://127.0.0.1:14000/acme/new-acct".into(),
            headers: vec![("Content-Type".into(), "application/jose+json".into())],
            body: b"{}".to_vec(),
        };
        let bytes = encode_request(&request, &url, "solodns-letsencrypt").unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "POST /acme/new-acct HTTP/1.1\r\nHost: 127.0.0.1:14000\r\nUser-Agent: solodns-letsencrypt\r\n\
             Connection: keep-alive\r\nContent-Length: 2\r\nContent-Type: application/jose+json\r\n\r\n{}"
        );
        let url = Url::parse("https://example.org/dir").unwrap();
        let mut head = Request::get("https://example.org/dir");
        head.method = Method::Head;
        head.headers.push(("User-Agent".into(), "other".into()));
        let bytes = encode_request(&head, &url, "solodns-letsencrypt").unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "HEAD /dir HTTP/1.1\r\nHost: example.org\r\nConnection: keep-alive\r\nUser-Agent: other\r\n\r\n"
        );

        let with = |name: &str, value: &str| {
            let mut r = Request::get("https://example.org/");
            r.headers.push((name.into(), value.into()));
            encode_request(&r, &url, "ua")
        };
        assert_eq!(
            with("X", "a\r\nInjected: 1"),
            Err(RequestError::BadFieldValue("X".into()))
        );
        assert_eq!(
            with("Bad Name", "v"),
            Err(RequestError::BadFieldName("Bad Name".into()))
        );
        assert_eq!(
            with("host", "x"),
            Err(RequestError::ReservedField("host".into()))
        );
        assert_eq!(
            with("Content-Length", "1"),
            Err(RequestError::ReservedField("Content-Length".into()))
        );
    }
}
