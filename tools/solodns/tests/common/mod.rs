//! Helpers of the CLI tests: running `solodns`, temporary directories,
//! programs from Debian packages.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `solodns` with `args` (at most a minute); its standard input is
/// empty.
pub fn solodns(args: &[&str]) -> Output {
    run_bounded(
        Command::new(env!("CARGO_BIN_EXE_solodns"))
            .args(args)
            .env_remove("SOLODNS_KEY"),
        Duration::from_secs(60),
    )
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts that `solodns` succeeded and returns its standard output.
#[track_caller]
pub fn ok(args: &[&str]) -> String {
    let o = solodns(args);
    assert!(
        o.status.success(),
        "solodns {args:?} failed ({:?}):\n{}{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// Asserts that `solodns` failed with exit status 1, printed nothing on
/// standard output, and returns its standard error.
#[track_caller]
pub fn fails(args: &[&str]) -> String {
    let o = solodns(args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "solodns {args:?}: expected exit 1:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(
        o.stdout.is_empty(),
        "solodns {args:?} printed {}",
        stdout(&o)
    );
    stderr(&o)
}

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory named after the test and this process.
    pub fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("solodns-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("create a temporary directory");
        TempDir(d)
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

/// Finds `program` on `PATH` or in the sbin directories (where Debian puts
/// the daemons); panics naming the Debian `package` to install.
pub fn require_program(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from));
    for dir in dirs {
        let candidate = dir.join(program);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("`{program}` not found: run scripts/setup (it installs the Debian package `{package}`)")
}

/// Runs `command` to its end, killing it after `limit`.
pub fn run_bounded(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {:?}: {e}", command.get_program()));
    // Drain both pipes while waiting, so a large output cannot block it.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{:?} ran longer than {limit:?}", command.get_program());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// A domain name.
pub fn name(s: &str) -> dns_zone::Name {
    let mut w = Vec::new();
    dns_zone::name::parse_name(s.as_bytes(), &dns_zone::Name::root(), &mut w).expect("a name")
}
