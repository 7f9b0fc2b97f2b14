//! `solodns keygen`, and the client side of notify / update / axfr against
//! small fake servers in this process: answers that are unsigned, forged or
//! missing must fail, clearly and within the timeout.

mod common;

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{fails, ok, require_program, run_bounded, solodns, stderr, stdout, TempDir};
use dns_wire::{flags, rcode, Header};
use tsig::{Key, StreamSigner, Tsig};

#[test]
fn keygen_tsig() {
    for (alg, number, len) in [
        (None, 163, 32),
        (Some("sha256"), 163, 32),
        (Some("sha384"), 164, 48),
        (Some("sha512"), 165, 64),
    ] {
        let mut args = vec!["keygen", "ci._update.example.com"];
        if let Some(a) = alg {
            args.extend(["--algorithm", a]);
        }
        let out = ok(&args);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        // Line 1: a _keys file record, read back by the key store.
        let fields: Vec<&str> = lines[0].split(' ').collect();
        assert_eq!(
            fields[..5],
            [
                "ci._update.example.com.",
                "DNSKEY",
                "0",
                "3",
                &number.to_string()
            ]
        );
        let mut store = dns_keys::KeyStore::new();
        store
            .load_keys_file("_keys", lines[0].as_bytes())
            .expect("the _keys line loads");
        // Line 2: the --key argument, the same key.
        let key = dns_keys::parse_cli_key(lines[1]).expect("the --key line parses");
        assert!(
            lines[1].starts_with("ci._update.example.com:SHA"),
            "{}",
            lines[1]
        );
        assert_eq!(key.secret().len(), len);
        assert_eq!(store.get(key.name()), Some(&key));
    }
    // Two runs, two secrets.
    assert_ne!(
        ok(&["keygen", "a._update.example.com"]),
        ok(&["keygen", "a._update.example.com"])
    );
    // A name without a role works, with a note; a bad name or algorithm does not.
    let o = solodns(&["keygen", "plain.example.com"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("has no _update, _transfer or _notify label"));
    for bad in [
        vec!["keygen"],
        vec!["keygen", "a..b"],
        vec!["keygen", "--algorithm", "md5", "a._update.example.com"],
    ] {
        assert_eq!(solodns(&bad).status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn keygen_ssh() {
    let o = solodns(&["keygen", "ssh", "--comment", "primary@example.com"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(stderr(&o).contains("SECRET"), "{}", stderr(&o));
    // Line 1: what primary-git's --ssh-key takes.
    assert!(lines[0].starts_with("ed25519:"));
    let key = ssh::ClientKey::parse(lines[0]).expect("--ssh-key parses the seed");
    // Line 2: its public key for authorized_keys.
    assert_eq!(lines[1], key.authorized_keys_line("primary@example.com"));
    assert!(lines[1].starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));

    // OpenSSH reads the line.
    let keygen = require_program("ssh-keygen", "openssh-client");
    let dir = TempDir::new("keygen-ssh");
    let pubfile = dir.path().join("id.pub");
    std::fs::write(&pubfile, format!("{}\n", lines[1])).unwrap();
    let l = run_bounded(
        Command::new(keygen).arg("-l").arg("-f").arg(&pubfile),
        Duration::from_secs(10),
    );
    let printed = String::from_utf8_lossy(&l.stdout);
    assert!(
        l.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&l.stderr)
    );
    assert!(
        printed.starts_with("256 SHA256:") && printed.contains("primary@example.com (ED25519)"),
        "{printed}"
    );

    // The default comment; another run, another key.
    let again = ok(&["keygen", "ssh"]);
    assert!(again.lines().nth(1).unwrap().ends_with(" primary-git"));
    assert_ne!(again.lines().next(), Some(lines[0]));
}

const KEY: &str = "k._update.example.com:SHA256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";

fn key() -> Key {
    dns_keys::parse_cli_key(KEY).unwrap()
}

/// The answer the fake server gives to a request.
#[derive(Clone, Copy)]
enum Fake {
    /// QR set, the request's ID and opcode, no TSIG.
    Unsigned(u16),
    /// Signed with the right key name but another secret.
    Forged,
    /// Signed correctly, with this RCODE.
    Signed(u16),
    /// Nothing.
    Silent,
}

fn answer(request: &[u8], fake: Fake) -> Option<Vec<u8>> {
    let h = Header::parse(request).unwrap();
    let bare = |rc: u16| {
        let mut out = Vec::new();
        Header {
            id: h.id,
            flags: flags::QR | (h.flags & flags::OPCODE_MASK) | rc,
            counts: [0; 4],
        }
        .write(&mut out);
        out
    };
    let mac = Tsig::locate(request).unwrap().unwrap().tsig.mac;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    match fake {
        Fake::Silent => None,
        Fake::Unsigned(rc) => Some(bare(rc)),
        Fake::Forged => {
            let wrong = Key::new(key().name().clone(), key().algorithm(), b"guess".to_vec());
            let mut m = bare(0);
            StreamSigner::new(wrong, mac).sign(&mut m, now);
            Some(m)
        }
        Fake::Signed(rc) => {
            let mut m = bare(rc);
            StreamSigner::new(key(), mac).sign(&mut m, now);
            Some(m)
        }
    }
}

/// A UDP server answering every request as `fake` says, until dropped.
fn udp_server(fake: Fake) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let addr = sock.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            if &buf[..n] == b"stop" {
                return;
            }
            if let Some(a) = answer(&buf[..n], fake) {
                sock.send_to(&a, from).unwrap();
            }
        }
    });
    (addr, t)
}

fn stop(addr: SocketAddr, t: std::thread::JoinHandle<()>) {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(b"stop", addr)
        .unwrap();
    t.join().unwrap();
}

#[test]
fn notify_and_update_check_the_answer() {
    let cases: [(Fake, &str); 5] = [
        (
            Fake::Unsigned(0),
            "the answer to our signed request is not signed",
        ),
        (
            Fake::Unsigned(rcode::REFUSED),
            "the answer to our signed request is not signed (it says REFUSED)",
        ),
        (
            Fake::Forged,
            "the answer's MAC does not verify with key k._update.example.com",
        ),
        (
            Fake::Signed(rcode::REFUSED),
            "REFUSED: the server does not accept this key for example.com",
        ),
        (
            Fake::Signed(rcode::NOTAUTH),
            "NOTAUTH: the server is not authoritative for example.com",
        ),
    ];
    for (fake, want) in cases {
        let (addr, t) = udp_server(fake);
        let server = addr.to_string();
        let e = fails(&["notify", &server, "example.com", "--key", KEY]);
        assert!(e.starts_with(&format!("solodns notify: {want}")), "{e}");
        let e = fails(&[
            "update",
            &server,
            "--key",
            KEY,
            "--zone",
            "example.com",
            "add www.example.com 60 A 192.0.2.1",
        ]);
        let want = want.replace(
            "REFUSED: the server does not accept this key for example.com",
            "REFUSED: the server does not let key k._update.example.com update example.com",
        );
        assert!(e.starts_with(&format!("solodns update: {want}")), "{e}");
        stop(addr, t);
    }
    // A correct answer.
    let (addr, t) = udp_server(Fake::Signed(0));
    let server = addr.to_string();
    assert_eq!(
        ok(&["notify", &server, "example.com", "--key", KEY]),
        "NOERROR\n"
    );
    assert_eq!(
        ok(&[
            "update",
            &server,
            "--key",
            KEY,
            "--zone",
            "example.com",
            "delete www.example.com"
        ]),
        "NOERROR\n"
    );
    stop(addr, t);
}

#[test]
fn no_answer_is_bounded() {
    let (addr, t) = udp_server(Fake::Silent);
    let server = addr.to_string();
    let start = Instant::now();
    let e = fails(&[
        "notify",
        &server,
        "example.com",
        "--key",
        KEY,
        "--timeout",
        "1",
        "--retries",
        "1",
    ]);
    assert!(
        e.contains(&format!(
            "no answer from {server} over UDP (2 tries, 1 s each)"
        )),
        "{e}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    stop(addr, t);

    // A TCP server that accepts and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap().to_string();
    let start = Instant::now();
    let e = fails(&[
        "axfr",
        &server,
        "example.com",
        "--key",
        KEY,
        "--timeout",
        "1",
    ]);
    assert!(e.contains("nothing received over TCP for 1 s"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
    drop(listener);

    // Nobody listening.
    let e = fails(&[
        "axfr",
        &server,
        "example.com",
        "--key",
        KEY,
        "--timeout",
        "1",
    ]);
    assert!(e.contains("connection refused"), "{e}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["notify", "127.0.0.1", "example.com"],
        vec!["notify", "127.0.0.1:0", "example.com", "--key", KEY],
        vec!["notify", "127.0.0.1", "example.com", "--key", "k:NOPE:AAAA"],
        vec!["update", "127.0.0.1", "--key", KEY],
        vec![
            "update",
            "127.0.0.1",
            "--key",
            KEY,
            "--file",
            "f",
            "add a. 1 A 192.0.2.1",
        ],
        vec!["axfr", "[::1", "example.com", "--key", KEY],
    ] {
        let o = solodns(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    // A script error is exit 1 and names the operation.
    let e = fails(&[
        "update",
        "127.0.0.1",
        "--key",
        KEY,
        "--zone",
        "example.com",
        "add x.example.com 60 A 1.2.3",
    ]);
    assert!(
        e.starts_with("solodns update: operation 1 (\"add x.example.com 60 A 1.2.3\"): "),
        "{e}"
    );
    // The key from the environment.
    let o = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_solodns"))
            .args(["axfr", "127.0.0.1:1", "example.com", "--timeout", "1"])
            .env("SOLODNS_KEY", KEY),
        Duration::from_secs(10),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("connection refused"), "{}", stderr(&o));
}
