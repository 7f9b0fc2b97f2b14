//! HTTP framing over real TLS: a test-only server (rustls with ring, our
//! own code, for what openssl s_server and pebble cannot be made to send)
//! answers with scripted bytes, written in pieces so that TLS records
//! split the HTTP message at odd places. Chunked bodies with extensions
//! and trailers, keep-alive, `Connection: close`, bodies delimited by the
//! end of the connection with and without close_notify, a kept-alive
//! connection the server closed while idle (the request is sent again),
//! and oversized or malformed responses.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use common::*;
use https::{HttpError, HttpsError, Request, MAX_BODY_BYTES};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How the server ends after writing a response.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Then {
    /// Waits for the next request on the connection.
    KeepOpen,
    /// Sends close_notify and closes TCP.
    CloseNotify,
    /// Closes TCP without close_notify.
    TcpClose,
}

/// A response: the pieces to write (each flushed as its own TLS
/// records), then what to do.
struct Reply {
    pieces: Vec<Vec<u8>>,
    then: Then,
}

fn reply(pieces: &[&[u8]], then: Then) -> Reply {
    Reply {
        pieces: pieces.iter().map(|p| p.to_vec()).collect(),
        then,
    }
}

/// Serves `replies` in order, one per request, over as many connections
/// as the replies' `then` make; returns the requests' heads.
fn serve(dir: &TempDir, replies: Vec<Reply>) -> (u16, JoinHandle<Vec<String>>) {
    let certs = vec![CertificateDer::from_pem_file(dir.path("ip-leaf.pem")).unwrap()];
    let key = PrivateKeyDer::from_pem_file(dir.path("ip-leaf.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread = thread::spawn(move || {
        let mut heads = Vec::new();
        let mut replies = replies.into_iter().peekable();
        while replies.peek().is_some() {
            let (mut tcp, _) = listener.accept().unwrap();
            let mut tls = rustls::ServerConnection::new(config.clone()).unwrap();
            // Until the client closes the connection.
            while let Some(head) = read_request(&mut tls, &mut tcp) {
                heads.push(head);
                let Some(reply) = replies.next() else { break };
                // The client may give up and close mid-way (oversized
                // bodies): then this connection is done.
                let written = reply.pieces.iter().all(|piece| {
                    tls.writer().write_all(piece).is_ok() && tls.complete_io(&mut tcp).is_ok()
                });
                if !written {
                    break;
                }
                match reply.then {
                    Then::KeepOpen => continue,
                    Then::CloseNotify => {
                        tls.send_close_notify();
                        let _ = tls.complete_io(&mut tcp);
                    }
                    Then::TcpClose => {}
                }
                let _ = tcp.shutdown(Shutdown::Both);
                break;
            }
        }
        heads
    });
    (port, thread)
}

/// One request head (and its Content-Length body, skipped), or `None` at
/// the end of the connection.
fn read_request(tls: &mut rustls::ServerConnection, tcp: &mut TcpStream) -> Option<String> {
    let mut data = Vec::new();
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(String::from_utf8_lossy(&data[..end]).into_owned());
        }
        let mut buf = [0u8; 4096];
        match tls.reader().read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => {
                data.extend_from_slice(&buf[..n]);
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return None,
        }
        match tls.complete_io(tcp) {
            Ok((0, 0)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

fn setup(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    make_ca(&dir.0, "good");
    make_leaf(&dir.0, "good", "ip-leaf", "IP:127.0.0.1", KeyType::P256);
    dir
}

#[test]
fn chunked_bodies_split_across_records_on_one_connection() {
    if !have("openssl") {
        return;
    }
    let dir = setup("chunked");
    // 100 000 bytes in 100 chunks, with extensions, then trailers.
    let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut chunked = Vec::new();
    for (i, chunk) in body.chunks(1000).enumerate() {
        chunked.extend_from_slice(format!("{:x};n={i}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\nX-Digest: sha-256=abc\r\n\r\n");
    // Cut the message at odd places, each piece its own TLS records.
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n";
    let mut pieces: Vec<&[u8]> = vec![&head[..7], &head[7..]];
    let mut rest = &chunked[..];
    for size in [1, 2, 3, 5, 1000, 16_384, 17_000].iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*size).min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    let (port, server) = serve(
        &dir,
        vec![
            Reply {
                pieces: pieces.iter().map(|p| p.to_vec()).collect(),
                then: Then::KeepOpen,
            },
            reply(
                &[b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"],
                Then::KeepOpen,
            ),
            reply(
                &[
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                    b"0\r\n\r\n",
                ],
                Then::KeepOpen,
            ),
        ],
    );
    let mut client = loopback_client(trust_anchor(&dir.0, "good"));
    let url = format!("https://127.0.0.1:{port}/");
    let response = client.send(Request::get(&url)).unwrap();
    assert_eq!(response.body, body);
    assert_eq!(
        response.trailers,
        vec![("X-Digest".to_string(), "sha-256=abc".to_string())]
    );
    assert_eq!(client.send(Request::get(&url)).unwrap().body, b"first");
    assert!(client.send(Request::get(&url)).unwrap().body.is_empty());
    assert_eq!(client.connections_opened(), 1);
    drop(client);
    let heads = server.join().unwrap();
    assert_eq!(heads.len(), 3);
    assert!(
        heads[0].starts_with("GET / HTTP/1.1\r\nHost: 127.0.0.1:"),
        "{}",
        heads[0]
    );
    assert!(
        heads[0].contains("\r\nUser-Agent: solodns-letsencrypt\r\n"),
        "{}",
        heads[0]
    );
    assert!(
        heads[0].contains("\r\nConnection: keep-alive"),
        "{}",
        heads[0]
    );
}

#[test]
fn connection_close_and_bodies_delimited_by_the_end() {
    if !have("openssl") {
        return;
    }
    let dir = setup("close");
    let (port, server) = serve(
        &dir,
        vec![
            reply(
                &[b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\none"],
                Then::CloseNotify,
            ),
            // HTTP/1.0 without a length: the body ends with the connection.
            reply(
                &[b"HTTP/1.0 200 OK\r\n\r\nuntil ", b"the end"],
                Then::CloseNotify,
            ),
            reply(&[b"HTTP/1.1 200 OK\r\n\r\ncut off?"], Then::TcpClose),
            reply(
                &[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
                Then::CloseNotify,
            ),
        ],
    );
    let mut client = loopback_client(trust_anchor(&dir.0, "good"));
    let url = format!("https://127.0.0.1:{port}/");
    assert_eq!(client.send(Request::get(&url)).unwrap().body, b"one");
    assert_eq!(
        client.send(Request::get(&url)).unwrap().body,
        b"until the end"
    );
    let error = client.send(Request::get(&url)).unwrap_err();
    assert!(matches!(error, HttpsError::Truncated), "{error}");
    let error = client.send(Request::get(&url)).unwrap_err();
    assert!(
        matches!(
            error,
            HttpsError::Http(HttpError::TruncatedBody {
                received: 3,
                expected: 10
            })
        ),
        "{error}"
    );
    assert_eq!(client.connections_opened(), 4);
    drop(client);
    server.join().unwrap();
}

/// The server closes a kept-alive connection while it is idle; the next
/// request, written onto it before the close is seen, is sent again on a
/// new connection.
#[test]
fn idle_connection_closed_by_the_server_is_replaced() {
    if !have("openssl") {
        return;
    }
    let dir = setup("idle");
    let (port, server) = serve(
        &dir,
        vec![
            reply(
                &[b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"],
                Then::KeepOpen,
            ),
            // The second request arrives and is dropped with the connection.
            reply(&[], Then::CloseNotify),
            reply(
                &[b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"],
                Then::KeepOpen,
            ),
        ],
    );
    let mut client = loopback_client(trust_anchor(&dir.0, "good"));
    let url = format!("https://127.0.0.1:{port}/");
    assert_eq!(client.send(Request::get(&url)).unwrap().body, b"a");
    assert_eq!(client.send(Request::get(&url)).unwrap().body, b"b");
    assert_eq!(client.connections_opened(), 2);
    drop(client);
    assert_eq!(server.join().unwrap().len(), 3);
}

#[test]
fn oversized_and_malformed_responses() {
    if !have("openssl") {
        return;
    }
    let dir = setup("bad");
    let huge = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY_BYTES + 1
    );
    let mut chunked_huge = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..=MAX_BODY_BYTES / 65_536 {
        chunked_huge.extend_from_slice(b"10000\r\n");
        chunked_huge.extend_from_slice(&[b'x'; 65_536]);
        chunked_huge.extend_from_slice(b"\r\n");
    }
    let (port, server) = serve(
        &dir,
        vec![
            reply(&[huge.as_bytes()], Then::KeepOpen),
            Reply {
                pieces: chunked_huge.chunks(16_384).map(<[u8]>::to_vec).collect(),
                then: Then::KeepOpen,
            },
            reply(
                &[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
                Then::KeepOpen,
            ),
            reply(&[b"SSH-2.0-OpenSSH_9.2\r\n\r\n"], Then::KeepOpen),
        ],
    );
    let mut client = loopback_client(trust_anchor(&dir.0, "good"));
    let url = format!("https://127.0.0.1:{port}/");
    let error = client.send(Request::get(&url)).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the response body (Content-Length: {}) is larger than {MAX_BODY_BYTES} bytes",
            MAX_BODY_BYTES + 1
        )
    );
    let error = client.send(Request::get(&url)).unwrap_err();
    assert!(
        matches!(
            error,
            HttpsError::Http(HttpError::BodyTooLarge { declared: None })
        ),
        "{error}"
    );
    let error = client.send(Request::get(&url)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "a chunk-size line should be hex digits, got \"zz\""
    );
    let error = client.send(Request::get(&url)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the response status line should be 'HTTP/1.1 <3 digits> <reason>', got \"SSH-2.0-OpenSSH_9.2\""
    );
    // Each error closed its connection.
    assert_eq!(client.connections_opened(), 4);
    drop(client);
    server.join().unwrap();
}
