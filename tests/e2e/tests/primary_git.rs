//! primary-git clones its zones from a real git server (OpenSSH, git-shell
//! and a bare repository) and answers from them: as a host process and as
//! an spt image in a namespace of the test's own.

use e2e::gitserver::GitServer;
use e2e::net::{Guest, TestNet};
use e2e::peers::TsigKey;
use e2e::{image, Tender};
use ssh::ClientKey;
use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

const READY: Duration = Duration::from_secs(30);

/// The client key primary-git logs in with, as its boot argument.
fn client_key() -> (ClientKey, String) {
    let key = ClientKey::from_seed([7u8; 32]);
    let text = key.to_secret_text();
    (key, text)
}

/// `NAME IN TYPE` (type number `qtype`), ID 0x5353.
fn query(name: &str, qtype: u16) -> Vec<u8> {
    let mut q = vec![0x53, 0x53, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    q
}

/// Asks `server` over UDP until it answers (at most `limit`).
fn ask(server: SocketAddr, name: &str, qtype: u16, limit: Duration) -> Vec<u8> {
    let socket = UdpSocket::bind(if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        socket.send_to(&query(name, qtype), server).expect("send");
        if let Ok((n, _)) = socket.recv_from(&mut buf) {
            return buf[..n].to_vec();
        }
        assert!(
            Instant::now() < deadline,
            "no answer from {server} within {limit:?}"
        );
    }
}

/// An authoritative NOERROR answer carrying the A record `address`.
fn assert_answers_a(answer: &[u8], address: [u8; 4]) {
    assert_eq!(answer[2] & 0x84, 0x84, "QR and AA set: {answer:?}");
    assert_eq!(answer[3] & 0x0f, 0, "NOERROR: {answer:?}");
    assert!(
        u16::from_be_bytes([answer[6], answer[7]]) >= 1,
        "an answer record"
    );
    let rdata = [&[0, 4][..], &address[..]].concat();
    assert!(
        answer.windows(6).any(|w| w == rdata.as_slice()),
        "A {address:?} in {answer:?}"
    );
}

fn host_binary() -> std::path::PathBuf {
    let target = e2e::target_dir();
    target.join("debug/primary-git")
}

#[test]
fn host_process_clones_and_serves_the_repository() {
    let (key, key_arg) = client_key();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let server = GitServer::start(
        None,
        format!("127.0.0.1:{port}").parse().expect("addr"),
        &key.authorized_keys_line("primary"),
    );
    let dns_port = UdpSocket::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut command = Command::new(host_binary());
    command.args([
        &format!("--remote={}", server.url),
        &format!("--ssh-key={key_arg}"),
        &format!("--ssh-authenticator={}", server.sshd.fingerprint),
        &format!("--listen=127.0.0.1:{dns_port}"),
    ]);
    let mut primary = Guest::spawn(command);
    primary.wait_for("serving 2 zones from commit", READY);
    let answer = ask(
        format!("127.0.0.1:{dns_port}").parse().expect("addr"),
        "mail.example.com",
        1,
        READY,
    );
    assert_answers_a(&answer, [192, 0, 2, 25]);
}

/// Boots the primary-git image at 10.53.0.2 with `server`'s repository as
/// its remote and `authenticator` as the pinned host key.
fn boot_primary(net: &TestNet, server: &GitServer, key_arg: &str, authenticator: &str) -> Guest {
    boot_on(Tender::Spt, net, server, key_arg, authenticator, &[])
}

fn boot_on(
    tender: Tender,
    net: &TestNet,
    server: &GitServer,
    key_arg: &str,
    authenticator: &str,
    extra: &[&str],
) -> Guest {
    let args = [
        "--ipv4=10.53.0.2/24".to_string(),
        format!("--remote={}", server.url),
        format!("--ssh-key={key_arg}"),
        format!("--ssh-authenticator={authenticator}"),
    ];
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(extra);
    net.boot(tender, &image("primary-git", tender), "tap0", &args)
}

#[test]
fn spt_image_clones_and_serves_the_repository() {
    let (key, key_arg) = client_key();
    let net = TestNet::up(1);
    let server = GitServer::in_testnet(&net, &key);
    let mut guest = boot_primary(&net, &server, &key_arg, &server.sshd.fingerprint);
    guest.wait_for("serving 2 zones from commit", READY);
    let answer = net.run(|| {
        ask(
            "10.53.0.2:53".parse().expect("addr"),
            "mail.example.com",
            1,
            READY,
        )
    });
    assert_answers_a(&answer, [192, 0, 2, 25]);
}

#[test]
fn spt_image_refuses_a_wrong_host_key_and_says_which_it_saw() {
    let (key, key_arg) = client_key();
    let net = TestNet::up(1);
    let server = GitServer::in_testnet(&net, &key);
    let wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let mut guest = boot_primary(&net, &server, &key_arg, wrong);
    let line = guest.wait_for("host key mismatch", READY);
    assert!(
        line.contains("host key mismatch")
            && line.contains(&server.sshd.fingerprint)
            && line.contains(wrong),
        "{line}"
    );
    assert!(
        !guest.output().contains("serving 2 zones"),
        "nothing served from an unauthenticated server"
    );
}

/// hvt (emulated here, about 1000 times slower than spt: kept small): the
/// image clones over SSH, answers, and takes a signed NOTIFY (it fetches
/// again and finds the branch where it was).
#[test]
fn hvt_image_clones_answers_and_takes_a_signed_notify() {
    const HVT: Duration = Duration::from_secs(300);
    let (key, key_arg) = client_key();
    let net = TestNet::up(1);
    let server = GitServer::in_testnet(&net, &key);
    let started = Instant::now();
    let mut guest = boot_on(
        Tender::Hvt,
        &net,
        &server,
        &key_arg,
        &server.sshd.fingerprint,
        &["--log-level=debug"],
    );
    guest.wait_for("serving 2 zones from commit", HVT);
    println!("hvt: boot to serving {:?}", started.elapsed());
    let answer = net.run(|| {
        ask(
            "10.53.0.2:53".parse().expect("addr"),
            "mail.example.com",
            1,
            HVT,
        )
    });
    assert_answers_a(&answer, [192, 0, 2, 25]);
    let key = TsigKey::example("admin._update.example.com").solodns_arg();
    let output = net
        .command(e2e::host_binary("solodns"))
        .args([
            "notify",
            "10.53.0.2",
            "example.com",
            "--key",
            &key,
            "--timeout=60",
        ])
        .output()
        .expect("run solodns notify");
    assert!(
        output.status.success(),
        "solodns notify: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    guest.wait_for("NOTIFY for example.com. from 10.53.0.1", HVT);
    guest.wait_for("up to date at commit", HVT);
}
