//! Helpers for tests against the real `git`: scratch repositories with
//! deterministic ids, and a driver that runs our state machines against
//! `git upload-pack` / `git receive-pack` child processes over pipes.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use git::protocol::{fetch, push, Error};
use git::{Fetch, ObjectId, Push};

/// A fresh directory under cargo's scratch area for integration tests.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("git-tests");
    let n = N.fetch_add(1, Ordering::Relaxed);
    if n == 0 {
        remove_stale(&root);
    }
    let dir = root.join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Removes the directories of earlier test processes that have exited.
fn remove_stale(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name.rsplit('-').nth(1).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// `git` with no user or system configuration and fixed identities and
/// dates, so that commit ids are the same on every run.
pub fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "A U Thor")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_AUTHOR_DATE", "1700000000 +0100")
        .env("GIT_COMMITTER_NAME", "C O Mitter")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_COMMITTER_DATE", "1700000000 +0100")
        .args(["-c", "init.defaultBranch=main", "-c", "protocol.version=0"]);
    c
}

/// Runs git and returns stdout; panics with stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(git_bytes(dir, args)).unwrap()
}

/// Runs git and returns stdout as bytes.
pub fn git_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = git_cmd(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs git with `input` on stdin.
pub fn git_stdin(dir: &Path, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = git_cmd(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// The id `rev` resolves to.
pub fn rev_parse(dir: &Path, rev: &str) -> ObjectId {
    git(dir, &["rev-parse", rev]).trim().parse().unwrap()
}

/// Writes `path` (relative to `dir`), creating directories.
pub fn write_file(dir: &Path, path: &str, data: &[u8]) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// A working repository with a few commits on `main`: zone-like files at
/// the root, a `_keys` file and a subdirectory. Returns its path.
pub fn make_work_repo(name: &str) -> PathBuf {
    let dir = scratch(name);
    git(&dir, &["init", "-q"]);
    write_file(&dir, "example.com", zone("example.com", 1).as_bytes());
    write_file(
        &dir,
        "_keys",
        b"update._update.example.com. DNSKEY 0 3 163 c2VjcmV0\n",
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "initial"]);
    write_file(&dir, "example.com", zone("example.com", 2).as_bytes());
    write_file(&dir, "example.org", zone("example.org", 1).as_bytes());
    write_file(&dir, "sub/dir/nested.zone", b"; nested\n");
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "second"]);
    dir
}

/// A bare clone of `work`, as a remote to fetch from and push to.
pub fn make_bare(work: &Path, name: &str) -> PathBuf {
    let dir = scratch(name);
    git(
        &dir,
        &["clone", "-q", "--bare", work.to_str().unwrap(), "repo.git"],
    );
    dir.join("repo.git")
}

/// A small zone file with `serial` in it.
pub fn zone(origin: &str, serial: u32) -> String {
    let mut s = format!(
        "$ORIGIN {origin}.\n$TTL 3600\n@ SOA ns1 hostmaster {serial} 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n"
    );
    for i in 0..40 {
        s.push_str(&format!("host{i} A 192.0.2.{}\n", i + 10));
    }
    s
}

/// A machine that the driver can run: fetch or push.
pub trait Machine {
    type Done;
    fn input(&mut self, bytes: &[u8]);
    fn input_eof(&mut self);
    fn output(&self) -> &[u8];
    fn consume_output(&mut self, n: usize);
    /// `Ok(None)`: needs input.
    fn step(&mut self) -> Result<Option<Self::Done>, Error>;
}

impl Machine for Fetch {
    type Done = fetch::Event;
    fn input(&mut self, bytes: &[u8]) {
        Fetch::input(self, bytes)
    }
    fn input_eof(&mut self) {
        Fetch::input_eof(self)
    }
    fn output(&self) -> &[u8] {
        Fetch::output(self)
    }
    fn consume_output(&mut self, n: usize) {
        Fetch::consume_output(self, n)
    }
    fn step(&mut self) -> Result<Option<fetch::Event>, Error> {
        match self.progress()? {
            fetch::Event::NeedInput => Ok(None),
            e => Ok(Some(e)),
        }
    }
}

impl Machine for Push {
    type Done = push::PushResult;
    fn input(&mut self, bytes: &[u8]) {
        Push::input(self, bytes)
    }
    fn input_eof(&mut self) {
        Push::input_eof(self)
    }
    fn output(&self) -> &[u8] {
        Push::output(self)
    }
    fn consume_output(&mut self, n: usize) {
        Push::consume_output(self, n)
    }
    fn step(&mut self) -> Result<Option<push::PushResult>, Error> {
        match self.progress()? {
            push::Event::NeedInput => Ok(None),
            push::Event::Done(r) => Ok(Some(r)),
        }
    }
}

/// What a session produced, with the bytes each side sent.
pub struct Session<T> {
    pub result: Result<T, Error>,
    pub sent: Vec<u8>,
    pub received: Vec<u8>,
    pub stderr: String,
}

/// Runs `machine` against `git <service> <repo>` (protocol v0 over pipes,
/// as OpenSSH's exec channel gives it), reading in `chunk`-byte reads.
/// `before_output` runs once, after the advertisement arrived and before
/// our first bytes are written (to race the remote).
pub fn drive<M: Machine>(
    machine: &mut M,
    service: &str,
    repo: &Path,
    chunk: usize,
    before_output: impl FnMut(),
) -> Session<M::Done> {
    drive_env(machine, service, repo, chunk, None, before_output)
}

/// [`drive`] with `GIT_PROTOCOL` set (as `ssh -o SendEnv=GIT_PROTOCOL`
/// would pass it).
pub fn drive_env<M: Machine>(
    machine: &mut M,
    service: &str,
    repo: &Path,
    chunk: usize,
    git_protocol: Option<&str>,
    mut before_output: impl FnMut(),
) -> Session<M::Done> {
    let mut cmd = git_cmd(repo.parent().unwrap());
    cmd.env_remove("GIT_PROTOCOL");
    if let Some(p) = git_protocol {
        cmd.env("GIT_PROTOCOL", p);
    }
    let mut child = cmd
        .args([service, repo.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git service runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stdin = child.stdin.take().unwrap();
    // A writer thread, so that a large pack upload cannot deadlock against
    // the remote's progress output.
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let writer = thread::spawn(move || {
        let mut stdin = stdin;
        for chunk in rx {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let err_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut sent = Vec::new();
    let mut received = Vec::new();
    let mut buf = vec![0u8; chunk];
    let mut first_output = true;
    let result = loop {
        let step = machine.step();
        let out = machine.output().to_vec();
        if !out.is_empty() {
            if first_output {
                before_output();
                first_output = false;
            }
            machine.consume_output(out.len());
            sent.extend_from_slice(&out);
            let _ = tx.send(out);
        }
        match step {
            Err(e) => break Err(e),
            Ok(Some(done)) => break Ok(done),
            Ok(None) => {
                let n = stdout.read(&mut buf).unwrap();
                if n == 0 {
                    machine.input_eof();
                } else {
                    received.extend_from_slice(&buf[..n]);
                    machine.input(&buf[..n]);
                }
            }
        }
    };
    drop(tx);
    writer.join().unwrap();
    // Drain what the remote still says, then let it exit.
    let _ = stdout.read_to_end(&mut received);
    let _ = child.wait();
    let stderr = err_reader.join().unwrap();
    Session {
        result,
        sent,
        received,
        stderr,
    }
}
