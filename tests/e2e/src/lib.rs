//! Helpers for the end-to-end tests: where the images and tenders are, and
//! running a guest with a bounded wait.
//!
//! `scripts/test` builds the images (`scripts/build-images`) and the
//! tenders (`scripts/provision-tenders`) before running these tests, and
//! puts the tenders on `PATH`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod debsrc;
pub mod dns;
pub mod gitserver;
pub mod net;
pub mod pebble;
pub mod peers;
pub mod sshd;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The two Solo5 tenders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tender {
    /// `solo5-hvt`: a KVM guest (emulated on our build machines: slow).
    Hvt,
    /// `solo5-spt`: a seccomp-confined process (native speed).
    Spt,
}

impl Tender {
    /// `hvt` or `spt`, the image suffix.
    pub fn name(self) -> &'static str {
        match self {
            Tender::Hvt => "hvt",
            Tender::Spt => "spt",
        }
    }

    /// The tender program, from `PATH` (`scripts/test` puts ours first).
    pub fn program(self) -> PathBuf {
        let program = format!("solo5-{}", self.name());
        let local = repo_root().join("target/tenders/bin").join(&program);
        if local.exists() {
            local
        } else {
            PathBuf::from(program)
        }
    }
}

/// The repository's top directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root exists")
}

/// Cargo's target directory (`CARGO_TARGET_DIR` or `target/`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from)
}

/// A host-process build (`cargo build --workspace --bins`, as `scripts/test`
/// does) in the target directory.
pub fn host_binary(name: &str) -> PathBuf {
    let binary = target_dir().join("debug").join(name);
    assert!(
        binary.exists(),
        "{} missing: cargo build -p {name}",
        binary.display()
    );
    binary
}

/// The secret of the test-only key `name` in `zones-example/_keys`.
pub fn example_key_secret(name: &str) -> String {
    let keys = std::fs::read_to_string(repo_root().join("zones-example/_keys"))
        .expect("zones-example/_keys");
    keys.lines()
        .find(|line| line.starts_with(name))
        .and_then(|line| line.split_whitespace().nth(5))
        .unwrap_or_else(|| panic!("no key {name} in zones-example/_keys"))
        .to_string()
}

/// Path of the image of `crate_name` for `tender`; panics with the command
/// to run when it has not been built.
pub fn image(crate_name: &str, tender: Tender) -> PathBuf {
    let path = repo_root()
        .join("target/images")
        .join(format!("{crate_name}.{}", tender.name()));
    assert!(
        path.exists(),
        "{} is missing: run scripts/build-images first",
        path.display()
    );
    path
}

/// What a guest run produced.
#[derive(Debug)]
pub struct GuestRun {
    /// Everything the guest (and tender) printed on stdout.
    pub stdout: String,
    /// The tender's stderr.
    pub stderr: String,
    /// Exit status of the tender, which is the guest's.
    pub status: ExitStatus,
    /// Host wall clock when the tender was started, ns since the epoch.
    pub started_wall_ns: u64,
}

impl GuestRun {
    /// The exit code, panicking if the tender was killed by a signal.
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("tender killed by a signal: {self:?}"))
    }

    /// The value of the first `key: value` line the guest printed.
    pub fn value(&self, key: &str) -> Option<&str> {
        let prefix = format!("{key}: ");
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix(prefix.as_str()))
    }

    /// Like [`GuestRun::value`], panicking with the whole output when absent.
    pub fn expect_value(&self, key: &str) -> &str {
        self.value(key)
            .unwrap_or_else(|| panic!("guest printed no `{key}:` line:\n{self}"))
    }
}

impl std::fmt::Display for GuestRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `tender TENDER_ARGS -- IMAGE GUEST_ARGS` (the tenders' syntax),
/// waiting at most `limit`.
pub fn run_guest(
    tender: Tender,
    image: &Path,
    tender_args: &[String],
    guest_args: &[&str],
    limit: Duration,
) -> GuestRun {
    let mut command = Command::new(tender.program());
    command
        .args(tender_args)
        .arg("--")
        .arg(image)
        .args(guest_args);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started_wall_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos() as u64;
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", tender.program().display()));
    wait_bounded(child, limit, started_wall_ns)
}

fn wait_bounded(mut child: Child, limit: Duration, started_wall_ns: u64) -> GuestRun {
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for tender") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stdout = out_reader.join().unwrap_or_default();
            panic!("guest still running after {limit:?}; killed. stdout so far:\n{stdout}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    GuestRun {
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        status,
        started_wall_ns,
    }
}

/// A scratch directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory under the system temp dir.
    pub fn new(label: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        let path =
            std::env::temp_dir().join(format!("solodns-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// A new directory holding a copy of zones-example's files (a zone
    /// directory for `primary-git --zones-dir`).
    pub fn with_zones_example(label: &str) -> TempDir {
        let dir = TempDir::new(label);
        let example = repo_root().join("zones-example");
        for entry in std::fs::read_dir(example).expect("zones-example") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
        dir
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The FNV-1a 64-bit offset basis: the state to start [`fnv1a64`] with.
pub const FNV1A64_INIT: u64 = 0xcbf2_9ce4_8422_2325;

/// Folds `bytes` into the FNV-1a 64-bit hash `state` (start with
/// [`FNV1A64_INIT`]). Hashing a stream piece by piece gives the same value
/// as hashing it whole. The echo test's client mode and `netbench tcp-sink`
/// print it as 16 lower-case hex digits.
pub fn fnv1a64(mut state: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        state ^= u64::from(byte);
        state = state.wrapping_mul(0x0000_0100_0000_01b3);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_known_values() {
        // Reference values from the FNV authors' test suite.
        assert_eq!(fnv1a64(FNV1A64_INIT, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(FNV1A64_INIT, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(FNV1A64_INIT, b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(
            fnv1a64(fnv1a64(FNV1A64_INIT, b"foo"), b"bar"),
            0x8594_4171_f739_67e8
        );
    }
}
