//! `solodns certify`'s own errors, before and at the first contact with
//! the server: bad arguments, a server that is not there, key files and
//! CSRs it cannot use. (The whole exchange with a server and a stand-in
//! letsencrypt service is tests/e2e/tests/certify.rs.)

mod common;

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{fails, solodns, stderr, TempDir};

const KEY: &str = "admin._update.example.com:SHA256:mOXoBNOOlH8X0Fyj0uWbkqRQ6i/RDhhfLb6MRhYv4rE=";

/// A loopback port nothing listens on (it was free a moment ago).
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr.to_string()
}

fn openssl_missing() -> bool {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipped: openssl (Debian package openssl) is not installed");
        return true;
    }
    false
}

fn openssl(args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn bad_arguments_are_named() {
    let server = closed_port();
    let secret = "mOXoBNOOlH8X0Fyj0uWbkqRQ6i/RDhhfLb6MRhYv4rE=";
    for (args, says) in [
        (
            vec!["localhost", "--dns-server", &server, "--key", KEY],
            "one label",
        ),
        (
            vec!["www.*.example.com", "--dns-server", &server, "--key", KEY],
            "wildcard",
        ),
        (
            vec![
                "www.example.com",
                "--dns-server",
                "127.0.0.1:0",
                "--key",
                KEY,
            ],
            "port 0",
        ),
        (
            vec![
                "www.example.com",
                "--dns-server",
                &server,
                "--key",
                "admin._update.example.com:MD5:mOXoBNOOlH8X0Fyj0uWbkqRQ6i/RDhhfLb6MRhYv4rE=",
            ],
            "--key",
        ),
        (
            vec![
                "www.example.com",
                "--dns-server",
                &server,
                "--key",
                KEY,
                "--timeout",
                "0",
            ],
            "--timeout",
        ),
        (
            vec![
                "www.example.com",
                "--dns-server",
                &server,
                "--key",
                KEY,
                "--key-type",
                "dsa",
            ],
            "--key-type",
        ),
        (
            vec![
                "www.example.com",
                "--dns-server",
                &server,
                "--key",
                KEY,
                "--csr",
                "x.req",
                "--key-type",
                "rsa2048",
            ],
            "cannot be used with",
        ),
        (
            vec![
                "www.example.com",
                "--dns-server",
                &server,
                "--key",
                KEY,
                "--san",
                "a..b",
            ],
            "empty label",
        ),
    ] {
        let mut all = vec!["certify"];
        all.extend(args);
        let o = solodns(&all);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {e}");
        assert!(e.contains(says), "{all:?}: {says:?} not in {e}");
        assert!(!e.contains(secret), "the secret is shown: {e}");
    }
}

/// Nothing listens: the error names the server and what failed; the key
/// was made and written (0600) before anything was sent.
#[test]
fn an_unreachable_server_is_named() {
    let dir = TempDir::new("certify-unreachable");
    let out = dir.path().join("out");
    let server = closed_port();
    let e = fails(&[
        "certify",
        "www.example.com",
        "--dns-server",
        &server,
        "--key",
        KEY,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        e.contains("cannot query TLSA _letsencrypt._tcp.www.example.com"),
        "{e}"
    );
    assert!(
        e.contains(&server) && e.contains("connection refused"),
        "{e}"
    );
    let key = out.join("www.example.com.key");
    let mode = std::fs::metadata(&key)
        .expect("the key file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(&key)
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(out.join("www.example.com.req").exists());

    // Again: the key is reused, not overwritten.
    let before = std::fs::read(&key).unwrap();
    let e = fails(&[
        "certify",
        "www.example.com",
        "--dns-server",
        &server,
        "--key",
        KEY,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(e.contains("reusing the existing private key"), "{e}");
    assert_eq!(std::fs::read(&key).unwrap(), before);

    // A wildcard host: its files are named _wildcard.…
    fails(&[
        "certify",
        "*.example.com",
        "--dns-server",
        &server,
        "--key",
        KEY,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(out.join("_wildcard.example.com.key").exists());
}

#[test]
fn unusable_key_files_and_csrs_are_refused() {
    if openssl_missing() {
        return;
    }
    let dir = TempDir::new("certify-files");
    let out = dir.path().to_str().unwrap().to_owned();
    let server = closed_port();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "certify",
            "www.example.com",
            "--dns-server",
            &server,
            "--key",
            KEY,
            "--out",
            &out,
        ];
        args.extend_from_slice(extra);
        fails(&args)
    };
    let key = dir.path().join("www.example.com.key");

    std::fs::write(&key, "hello\n").unwrap();
    let e = run(&[]);
    assert!(
        e.contains("www.example.com.key: no private key in it"),
        "{e}"
    );

    std::fs::remove_file(&key).unwrap();
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-out",
        key.to_str().unwrap(),
    ]);
    let e = run(&["--key-type", "rsa2048"]);
    assert!(
        e.contains("holds an ECDSA P-256 key, and --key-type asks for rsa2048"),
        "{e}"
    );
    // The same key without --key-type is used (and its loose mode noted).
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = run(&[]);
    assert!(
        e.contains("reusing the existing private key") && e.contains("(ECDSA P-256)"),
        "{e}"
    );
    assert!(e.contains("readable by others (mode 644)"), "{e}");

    // A CSR for other names.
    let other = dir.path().join("other.req");
    openssl(&[
        "req",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        "/CN=other.example.com",
        "-addext",
        "subjectAltName=DNS:other.example.com",
        "-out",
        other.to_str().unwrap(),
    ]);
    let e = run(&["--csr", other.to_str().unwrap()]);
    assert!(
        e.contains("does not ask for www.example.com (it names: other.example.com)"),
        "{e}"
    );
    // A file that is no CSR.
    let e = run(&["--csr", key.to_str().unwrap()]);
    assert!(e.contains("no CERTIFICATE REQUEST in it"), "{e}");
    let e = run(&["--csr", dir.path().join("missing.req").to_str().unwrap()]);
    assert!(e.contains("missing.req: No such file"), "{e}");
    // A CSR that is good gets as far as the server.
    let good = dir.path().join("good.req");
    openssl(&[
        "req",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-subj",
        "/CN=www.example.com",
        "-out",
        good.to_str().unwrap(),
        "-outform",
        "DER",
    ]);
    let e = run(&["--csr", good.to_str().unwrap()]);
    assert!(e.contains("connection refused"), "{e}");
}
