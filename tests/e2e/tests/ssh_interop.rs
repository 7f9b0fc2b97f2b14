//! libs/clients/ssh against real OpenSSH: pinned host key, ed25519 key from a seed,
//! an exec channel whose stdin and stdout carry data both ways.

use e2e::sshd::Sshd;
use ssh::{Authenticator, ClientKey, ExecClient, SshError, Status};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn key(byte: u8) -> ClientKey {
    ClientKey::from_seed([byte; 32])
}

/// Runs `command` over SSH, writing `stdin`; returns (stdout, exit status).
fn run(
    server: &Sshd,
    key: ClientKey,
    pinned: &str,
    command: &str,
    stdin: &[u8],
) -> Result<(Vec<u8>, u32), SshError> {
    let authenticator = Authenticator::parse(pinned).expect("fingerprint parses");
    let mut client = ExecClient::new("root", key, authenticator, command);
    let mut tcp = TcpStream::connect(server.address).expect("connect to sshd");
    tcp.set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut stdout, mut written, mut pending) = (Vec::new(), 0, Vec::new());
    let mut buf = vec![0u8; 65536];
    loop {
        assert!(
            Instant::now() < deadline,
            "no result within 20 s; sshd log:\n{}",
            server.log()
        );
        let status = client.poll()?;
        loop {
            let out = client.output();
            if out.is_empty() {
                break;
            }
            let n = out.len();
            tcp.write_all(out).expect("send to sshd");
            client.consume_output(n);
        }
        if status == Status::Running && written < stdin.len() {
            written += client.write(&stdin[written..])?;
        }
        loop {
            let n = client.read(&mut buf)?;
            if n == 0 {
                break;
            }
            stdout.extend_from_slice(&buf[..n]);
        }
        // The exit status may come before the last of stdout.
        if let Status::Exited(code) = status {
            if client.stdout_ended() {
                return Ok((stdout, code));
            }
        }
        if pending.is_empty() {
            match tcp.read(&mut buf) {
                Ok(0) => return Err(SshError::Closed),
                Ok(n) => pending.extend_from_slice(&buf[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => panic!("read from sshd: {e}"),
            }
        }
        if !pending.is_empty() {
            let used = client.input(&pending)?;
            pending.drain(..used);
        }
    }
}

#[test]
fn exec_channel_carries_stdin_and_stdout_and_exit_status() {
    let server = Sshd::start(&key(1).authorized_keys_line("test"), "");
    let (stdout, status) = run(
        &server,
        key(1),
        &server.fingerprint,
        "head -c 11; exit 3",
        b"hello world",
    )
    .expect("runs");
    assert_eq!(stdout, b"hello world");
    assert_eq!(status, 3);
    // Large output crosses several channel windows.
    let (stdout, status) = run(
        &server,
        key(1),
        &server.fingerprint,
        "head -c 3000000 /dev/zero",
        b"",
    )
    .expect("runs");
    assert_eq!((stdout.len(), status), (3_000_000, 0));
}

#[test]
fn a_wrong_host_key_fingerprint_is_refused_and_names_what_was_seen() {
    let server = Sshd::start(&key(1).authorized_keys_line("test"), "");
    let wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let error = run(&server, key(1), wrong, "true", b"").expect_err("must refuse");
    assert_eq!(
        error,
        SshError::HostKeyMismatch {
            seen: server.fingerprint.clone(),
            expected: wrong.to_string()
        }
    );
    assert!(error.to_string().contains(&server.fingerprint), "{error}");
}

#[test]
fn a_key_not_in_authorized_keys_is_refused() {
    let server = Sshd::start(&key(1).authorized_keys_line("test"), "");
    let error = run(&server, key(2), &server.fingerprint, "true", b"").expect_err("must refuse");
    assert_eq!(
        error,
        SshError::AuthenticationFailed,
        "sshd log:\n{}",
        server.log()
    );
}
