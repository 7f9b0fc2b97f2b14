//! A real OpenSSH server for tests: its own host key, config and
//! authorized_keys in a temp dir, on a loopback port; killed on drop.

use crate::TempDir;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `sshd -D` for one test.
pub struct Sshd {
    child: Child,
    dir: TempDir,
    /// The loopback address it listens on.
    pub address: std::net::SocketAddr,
    /// Its host key's fingerprint as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

impl Sshd {
    /// Starts sshd letting the holder of `authorized_key` (an
    /// `authorized_keys` line) log in as root. `extra_config` lines are
    /// appended to sshd_config.
    pub fn start(authorized_key: &str, extra_config: &str) -> Sshd {
        let dir = TempDir::new("sshd");
        let path = |name: &str| dir.path().join(name);
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "test-host", "-f"])
            .arg(path("host_key"))
            .status()
            .expect("run ssh-keygen");
        assert!(status.success(), "ssh-keygen failed");
        let listing = Command::new("ssh-keygen")
            .arg("-l")
            .arg("-f")
            .arg(path("host_key.pub"))
            .output()
            .expect("ssh-keygen -l");
        let fingerprint = String::from_utf8_lossy(&listing.stdout)
            .split_whitespace()
            .nth(1)
            .expect("ssh-keygen -l prints BITS FINGERPRINT ...")
            .to_string();
        std::fs::write(path("authorized_keys"), format!("{authorized_key}\n"))
            .expect("write authorized_keys");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let address: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let config = format!(
            "ListenAddress {address}\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\nPermitRootLogin prohibit-password\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel VERBOSE\n{extra_config}\n",
            path("host_key").display(),
            path("authorized_keys").display(),
            path("sshd.pid").display(),
        );
        std::fs::write(path("sshd_config"), config).expect("write sshd_config");
        std::fs::create_dir_all("/run/sshd").expect("privilege separation directory");
        let child = Command::new(sshd_program())
            .args(["-D", "-e", "-f"])
            .arg(path("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(path("sshd.log")).expect("log file"))
            .spawn()
            .expect("start sshd (package openssh-server)");
        let server = Sshd {
            child,
            dir,
            address,
            fingerprint,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(address).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen within 10 s:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// What sshd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

fn sshd_program() -> PathBuf {
    PathBuf::from("/usr/sbin/sshd")
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
