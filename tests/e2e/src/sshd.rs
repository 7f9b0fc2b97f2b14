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
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        Sshd::start_at(
            None,
            format!("127.0.0.1:{port}").parse().expect("address"),
            authorized_key,
            extra_config,
        )
    }

    /// Like [`Sshd::start`], listening on `address` inside `net`'s
    /// namespace when given.
    pub fn start_at(
        net: Option<&crate::net::TestNet>,
        address: std::net::SocketAddr,
        authorized_key: &str,
        extra_config: &str,
    ) -> Sshd {
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
        let config = format!(
            "ListenAddress {address}\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\nPermitRootLogin prohibit-password\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel VERBOSE\n{extra_config}\n",
            path("host_key").display(),
            path("authorized_keys").display(),
            path("sshd.pid").display(),
        );
        std::fs::write(path("sshd_config"), config).expect("write sshd_config");
        std::fs::create_dir_all("/run/sshd").expect("privilege separation directory");
        let mut command = match net {
            Some(net) => net.command(sshd_program()),
            None => Command::new(sshd_program()),
        };
        let child = command
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

/// The account git servers use: its login shell is git-shell, so a key in
/// its authorized_keys can run git-upload-pack and git-receive-pack and
/// nothing else. Created once per machine (tests run as root).
pub const GIT_USER: &str = "solodns-git";

fn git_user_exists() -> bool {
    Command::new("id")
        .arg(GIT_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Creates [`GIT_USER`] if it does not exist yet.
pub fn ensure_git_user() {
    if !git_user_exists() {
        create_git_user();
    }
    // useradd locks the password ("!"), and sshd without PAM refuses locked
    // accounts even for key logins; "*" means no password, not locked.
    let status = Command::new("usermod")
        .args(["-p", "*", GIT_USER])
        .status()
        .expect("run usermod");
    assert!(status.success(), "usermod -p '*' {GIT_USER} failed");
}

fn create_git_user() {
    let shell = Command::new("git")
        .arg("--exec-path")
        .output()
        .expect("git --exec-path");
    let shell = PathBuf::from(String::from_utf8_lossy(&shell.stdout).trim()).join("git-shell");
    let status = Command::new("useradd")
        .args([
            "--system",
            "--home-dir",
            "/nonexistent",
            "--no-create-home",
            "--shell",
        ])
        .arg(&shell)
        .arg(GIT_USER)
        .status()
        .expect("run useradd");
    // Another test may have created it at the same moment.
    assert!(
        status.success() || git_user_exists(),
        "useradd {GIT_USER} failed"
    );
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
