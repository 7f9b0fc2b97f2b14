//! The netstack end to end: the echo test image on solo5-spt (and a small
//! run on solo5-hvt) in a network namespace of the test's own, and its
//! host-process build on loopback, driven by real kernel sockets.

use e2e::net::{check_tcp_echo, check_udp_echo, idle_close_after, wait_udp_echo, Guest, TestNet};
use e2e::{fnv1a64, image, Tender, FNV1A64_INIT};
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::time::Duration;

const IMAGE: &str = "echo-test";
const GUEST_V4: &str = "10.53.0.2";
const GUEST_V6: &str = "fd53::2";
const READY: Duration = Duration::from_secs(20);

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("literal address")
}

fn boot_echo(net: &TestNet, tender: Tender, extra: &[&str]) -> Guest {
    let mut args = vec![
        "--ipv4=10.53.0.2/24",
        "--ipv6=fd53::2/64",
        "--ipv4-gateway=10.53.0.1",
    ];
    args.extend_from_slice(extra);
    let mut guest = net.boot(tender, &image(IMAGE, tender), "tap0", &args);
    guest.wait_for("echo: serving UDP and TCP on port 7", READY);
    guest
}

#[test]
fn spt_answers_ping_v4_and_v6() {
    let net = TestNet::up(1);
    let _guest = boot_echo(&net, Tender::Spt, &[]);
    assert!(net.ping(GUEST_V4, 3), "ping {GUEST_V4}");
    assert!(net.ping(GUEST_V6, 3), "ping {GUEST_V6}");
}

#[test]
fn spt_echoes_10000_udp_datagrams_v4_and_v6() {
    let net = TestNet::up(1);
    let _guest = boot_echo(&net, Tender::Spt, &[]);
    let resent = net.run(|| {
        wait_udp_echo(addr("10.53.0.2:7"), READY);
        check_udp_echo(addr("10.53.0.2:7"), 10_000, 1400)
            + check_udp_echo(addr("[fd53::2]:7"), 500, 1400)
    });
    assert!(
        resent < 10,
        "{resent} datagrams had to be resent on a local bridge"
    );
}

#[test]
fn spt_echoes_64_concurrent_tcp_connections_of_1_mib() {
    let net = TestNet::up(1);
    // Not a test of idle timeouts (spt_closes_an_idle_connection_after_its_
    // timeout is): under the full suite's load on 2 cores one of the 64
    // connections once waited 10 s, the default, and was reset.
    let _guest = boot_echo(&net, Tender::Spt, &["--idle-timeout-ms=120000"]);
    net.run(|| check_tcp_echo(addr("10.53.0.2:7"), 64, 1 << 20));
    net.run(|| check_tcp_echo(addr("[fd53::2]:7"), 4, 64 << 10));
}

#[test]
fn spt_client_sends_16_mib_to_a_host_server() {
    let net = TestNet::up(1);
    const BYTES: usize = 16 << 20;
    let listener = net.run(|| TcpListener::bind("10.53.0.1:9000").expect("bind the sink"));
    let sink = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("the guest connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let (mut total, mut hash) = (0usize, FNV1A64_INIT);
        let mut buf = vec![0u8; 65536];
        loop {
            match stream.read(&mut buf).expect("read from the guest") {
                0 => return (total, hash),
                n => {
                    total += n;
                    hash = fnv1a64(hash, &buf[..n]);
                }
            }
        }
    });
    let mut guest = net.boot(
        Tender::Spt,
        &image(IMAGE, Tender::Spt),
        "tap0",
        &[
            "--ipv4=10.53.0.2/24",
            "--connect=10.53.0.1:9000",
            "--bytes=16777216",
            "--seed=7",
        ],
    );
    assert_eq!(
        guest.wait_exit(Duration::from_secs(60)),
        0,
        "{}",
        guest.output()
    );
    let line = guest.wait_for("client: sent", Duration::from_secs(1));
    let (received, hash) = sink.join().expect("sink");
    assert_eq!(received, BYTES);
    assert_eq!(
        line,
        format!("client: sent {BYTES} bytes fnv1a64={hash:016x}"),
        "checksums agree"
    );
}

#[test]
fn spt_closes_an_idle_connection_after_its_timeout() {
    let net = TestNet::up(1);
    let _guest = boot_echo(&net, Tender::Spt, &["--idle-timeout-ms=1000"]);
    let waited = net.run(|| idle_close_after(addr("10.53.0.2:7"), Duration::from_secs(10)));
    assert!(
        waited >= Duration::from_millis(900),
        "closed too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "closed too late: {waited:?}"
    );
}

#[test]
fn spt_missing_or_malformed_ipv4_is_a_clear_error() {
    let net = TestNet::up(1);
    for (args, needle) in [
        (vec![], "no address"),
        (vec!["--ipv4=10.53.0.2"], "--ipv4"),
        (vec!["--ipv4=10.53.0.300/24"], "10.53.0.300/24"),
    ] {
        let mut guest = net.boot(Tender::Spt, &image(IMAGE, Tender::Spt), "tap0", &args);
        assert_eq!(
            guest.wait_exit(Duration::from_secs(20)),
            2,
            "{args:?}: {}",
            guest.output()
        );
        let line = guest.wait_for("echo-test: ", Duration::from_secs(1));
        assert!(line.contains(needle), "{args:?}: {line}");
    }
}

#[test]
fn hvt_boots_answers_ping_and_echoes() {
    let net = TestNet::up(1);
    let mut guest = net.boot(
        Tender::Hvt,
        &image(IMAGE, Tender::Hvt),
        "tap0",
        &["--ipv4=10.53.0.2/24", "--ipv6=fd53::2/64"],
    );
    guest.wait_for(
        "echo: serving UDP and TCP on port 7",
        Duration::from_secs(120),
    );
    assert!(net.ping(GUEST_V4, 2), "ping {GUEST_V4}");
    assert!(net.ping(GUEST_V6, 2), "ping {GUEST_V6}");
    net.run(|| {
        wait_udp_echo(addr("10.53.0.2:7"), Duration::from_secs(60));
        check_udp_echo(addr("10.53.0.2:7"), 20, 200);
        check_tcp_echo(addr("10.53.0.2:7"), 2, 4096);
    });
}

/// The host-process build of the echo test (built by `cargo nextest run
/// --workspace` with the tests).
fn host_echo(extra: &[&str]) -> Guest {
    let target = e2e::target_dir();
    let binary = target.join("debug/echo-test");
    assert!(
        binary.exists(),
        "{} missing: cargo build -p echo-test",
        binary.display()
    );
    let mut command = Command::new(binary);
    command.args(extra);
    let mut guest = Guest::spawn(command);
    guest.wait_for("echo: serving", READY);
    guest
}

/// A port free for both UDP and TCP on 127.0.0.1, below Linux's ephemeral
/// range (32768-60999): a port the kernel picked would be free only until
/// another test's outbound connection (300 of them in slow_tcp_clients)
/// takes it as its source port.
fn free_port() -> u16 {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 500) as u16 * 20;
    for _ in 0..10_000 {
        let offset = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 12_000;
        let port = 20_000 + (base - 20_000 + offset) % 12_000;
        let udp = std::net::UdpSocket::bind(("127.0.0.1", port));
        let tcp = TcpListener::bind(("127.0.0.1", port));
        if udp.is_ok() && tcp.is_ok() {
            return port;
        }
    }
    panic!("no free port below the ephemeral range");
}

#[test]
fn host_process_build_passes_the_same_echo_tests_on_loopback() {
    // The transfers run against the default idle timeout (10 s): under a
    // loaded CI machine a busy connection may sit a second unread.
    let port = free_port();
    let _echo = host_echo(&[&format!("--listen=127.0.0.1:{port}")]);
    let server = addr(&format!("127.0.0.1:{port}"));
    wait_udp_echo(server, READY);
    assert_eq!(
        check_udp_echo(server, 10_000, 1400),
        0,
        "no loss on loopback"
    );
    check_tcp_echo(server, 64, 1 << 20);
    // The idle check on a server with a short timeout.
    let idle_port = free_port();
    let _idle_echo = host_echo(&[
        &format!("--listen=127.0.0.1:{idle_port}"),
        "--idle-timeout-ms=1000",
    ]);
    let waited = idle_close_after(
        addr(&format!("127.0.0.1:{idle_port}")),
        Duration::from_secs(10),
    );
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

#[test]
fn host_process_build_rejects_bad_arguments() {
    let target = e2e::target_dir();
    let output = Command::new(target.join("debug/echo-test"))
        .arg("--listen=nowhere")
        .output()
        .expect("run echo-test");
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("echo-test: ") && stdout.contains("--listen"),
        "{stdout}"
    );
}

#[test]
fn spt_idle_guest_sleeps_instead_of_spinning() {
    let net = TestNet::up(1);
    let guest = boot_echo(&net, Tender::Spt, &[]);
    let before = guest.cpu_time();
    std::thread::sleep(Duration::from_secs(2));
    let used = guest.cpu_time() - before;
    // A busy-waiting loop would use the full 2 s of a core.
    assert!(
        used < Duration::from_millis(100),
        "idle guest used {used:?} of CPU in 2 s"
    );
}
