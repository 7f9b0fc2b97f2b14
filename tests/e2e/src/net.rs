//! Test networks (a namespace of the test's own, from `scripts/testnet`),
//! guests running in them, and echo checks shared by the image and
//! host-process tests.

use crate::{repo_root, Tender};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A network namespace with a bridge (10.53.0.1/24, fd53::1/64) and taps;
/// removed on drop.
pub struct TestNet {
    name: String,
}

impl TestNet {
    /// Creates a namespace with `taps` tap devices.
    pub fn up(taps: usize) -> TestNet {
        let name = format!(
            "solodns-t{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let status = Command::new(repo_root().join("scripts/testnet"))
            .args(["up", &name, &taps.to_string()])
            .status()
            .expect("run scripts/testnet");
        assert!(
            status.success(),
            "scripts/testnet up {name} failed (needs root)"
        );
        TestNet { name }
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command run inside the namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }

    /// Boots `image` on `tender` with its net device on `tap`.
    pub fn boot(&self, tender: Tender, image: &Path, tap: &str, guest_args: &[&str]) -> Guest {
        let mut command = self.command(tender.program());
        command
            .args(["--mem=128", &format!("--net:service={tap}"), "--"])
            .arg(image)
            .args(guest_args);
        Guest::spawn(command)
    }

    /// Runs `f` on a thread inside the namespace: sockets it creates (and
    /// threads it starts) live there.
    #[allow(unsafe_code)] // each unsafe block below says why (SAFETY)
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let namespace = File::open(&path).expect("open the namespace");
                    // SAFETY: setns on this thread only, with a namespace fd.
                    let rc = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) };
                    assert_eq!(rc, 0, "setns into {path}");
                    f()
                })
                .join()
                .expect("namespace thread panicked")
        })
    }

    /// `ping -c COUNT` from the host side; true if every echo came back.
    pub fn ping(&self, address: &str, count: u32) -> bool {
        let output = self
            .command("ping")
            .args(["-c", &count.to_string(), "-i", "0.2", "-W", "2", address])
            .output()
            .expect("run ping (package iputils-ping)");
        output.status.success()
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("scripts/testnet"))
            .args(["down", &self.name])
            .status();
    }
}

/// A running guest (or host process) whose stdout is collected line by line;
/// killed on drop.
pub struct Guest {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Guest {
    /// Starts `command` with stdout captured.
    pub fn spawn(mut command: Command) -> Guest {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start the guest");
        let (sender, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("piped")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("piped")),
        ] {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Guest {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most `limit`) for a line containing `needle`; returns it.
    pub fn wait_for(&mut self, needle: &str, limit: Duration) -> String {
        self.try_wait_for(needle, limit).unwrap_or_else(|| {
            panic!(
                "no line with `{needle}` within {limit:?}; output:\n{}",
                self.seen.join("\n")
            )
        })
    }

    /// Like [`Guest::wait_for`], `None` when no such line came in time (or
    /// the guest ended).
    pub fn try_wait_for(&mut self, needle: &str, limit: Duration) -> Option<String> {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return Some(line.clone());
        }
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            self.seen.push(line.clone());
            if line.contains(needle) {
                return Some(line);
            }
        }
    }

    /// Waits (at most `limit`) for the exit status.
    pub fn wait_exit(&mut self, limit: Duration) -> i32 {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// CPU time (user + system) the process and its children have used,
    /// from /proc; the guest is the tender, a child of `ip netns exec`
    /// which execs it, so this is the guest's own.
    #[allow(unsafe_code)] // each unsafe block below says why (SAFETY)
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("read /proc/PID/stat");
        // Fields after the command name: utime and stime are the 14th and 15th.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .expect("comm in parentheses")
            .1
            .split_whitespace()
            .collect();
        let ticks: u64 =
            fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        Duration::from_millis(ticks * 1000 / hz.max(1))
    }

    /// Everything printed so far (after draining what is buffered).
    pub fn output(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until a UDP echo answers at `server` (at most `limit`).
pub fn wait_udp_echo(server: SocketAddr, limit: Duration) {
    let socket = UdpSocket::bind(any_address(server)).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 16];
    while Instant::now() < deadline {
        let _ = socket.send_to(b"ready?", server);
        if let Ok((n, _)) = socket.recv_from(&mut buf) {
            if &buf[..n] == b"ready?" {
                return;
            }
        }
    }
    panic!("no UDP echo from {server} within {limit:?}");
}

fn any_address(server: SocketAddr) -> SocketAddr {
    if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("literal")
    } else {
        "[::]:0".parse().expect("literal")
    }
}

/// Sends `count` datagrams (distinct contents, up to `max_size` bytes) one
/// at a time and checks each echo; a lost datagram is resent (at most 3
/// times). Returns how many were resent.
pub fn check_udp_echo(server: SocketAddr, count: usize, max_size: usize) -> usize {
    let socket = UdpSocket::bind(any_address(server)).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let mut resent = 0;
    let mut buf = vec![0u8; 65536];
    for i in 0..count {
        let size = 8 + (i * 131) % (max_size - 8);
        let mut datagram = vec![0u8; size];
        datagram[..8].copy_from_slice(&(i as u64).to_le_bytes());
        for (j, byte) in datagram.iter_mut().enumerate().skip(8) {
            *byte = (i ^ j) as u8;
        }
        let mut attempts = 0;
        loop {
            socket.send_to(&datagram, server).expect("send");
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    assert_eq!(from, server, "echo from the server");
                    if buf[..n.min(8)] != datagram[..8] {
                        continue; // a late echo of an earlier resend
                    }
                    assert!(buf[..n] == datagram[..], "datagram {i} came back changed");
                    break;
                }
                Err(_) => {
                    attempts += 1;
                    resent += 1;
                    assert!(attempts <= 3, "datagram {i} lost 3 times");
                }
            }
        }
    }
    resent
}

/// Opens `connections` TCP connections at once and echoes `bytes` bytes on
/// each (writer and reader threads), checking every byte.
pub fn check_tcp_echo(server: SocketAddr, connections: usize, bytes: usize) {
    let streams: Vec<TcpStream> = (0..connections)
        .map(|i| {
            let stream = TcpStream::connect_timeout(&server, Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("connection {i} to {server}: {e}"));
            stream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .expect("timeout");
            stream
        })
        .collect();
    std::thread::scope(|scope| {
        for (i, stream) in streams.into_iter().enumerate() {
            scope.spawn(move || {
                let data: Vec<u8> = (0..bytes).map(|j| (j.wrapping_mul(7) ^ i) as u8).collect();
                let mut writer = stream.try_clone().expect("clone");
                let sent = data.clone();
                let write = std::thread::spawn(move || writer.write_all(&sent));
                let mut back = vec![0u8; bytes];
                let mut reader = stream;
                reader
                    .read_exact(&mut back)
                    .unwrap_or_else(|e| panic!("connection {i}: echo read: {e}"));
                write.join().expect("writer").expect("write");
                assert!(back == data, "connection {i}: echoed bytes differ");
            });
        }
    });
}

/// Connects and sends nothing; returns how long until the server closed.
pub fn idle_close_after(server: SocketAddr, limit: Duration) -> Duration {
    let mut stream = TcpStream::connect_timeout(&server, Duration::from_secs(5)).expect("connect");
    stream.set_read_timeout(Some(limit)).expect("timeout");
    let started = Instant::now();
    let mut buf = [0u8; 16];
    match stream.read(&mut buf) {
        Ok(0) => started.elapsed(),
        Ok(n) => panic!("server sent {n} bytes on an idle connection"),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => started.elapsed(),
        Err(e) => panic!("idle connection not closed within {limit:?}: {e}"),
    }
}
