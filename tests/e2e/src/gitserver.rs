//! A real git server for tests: a bare repository made from
//! `zones-example/`, served by OpenSSH to the git-shell account
//! [`crate::sshd::GIT_USER`].

use crate::net::TestNet;
use crate::sshd::{ensure_git_user, Sshd, GIT_USER};
use crate::{repo_root, TempDir};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A bare repository behind sshd; both go away on drop.
pub struct GitServer {
    /// The SSH server.
    pub sshd: Sshd,
    dir: TempDir,
    /// `ssh://solodns-git@IP:PORT/…/zones.git#main`.
    pub url: String,
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "safe.directory=*",
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl GitServer {
    /// Serves a repository holding `zones-example/` on `listen` (inside
    /// `net` when given) to the holder of `authorized_key`.
    pub fn start(net: Option<&TestNet>, listen: SocketAddr, authorized_key: &str) -> GitServer {
        ensure_git_user();
        let dir = TempDir::new("git");
        let bare = dir.path().join("zones.git");
        let work = dir.path().join("work");
        git(
            dir.path(),
            &["init", "-q", "--bare", "-b", "main", "zones.git"],
        );
        git(dir.path(), &["clone", "-q", "zones.git", "work"]);
        for entry in std::fs::read_dir(repo_root().join("zones-example")).expect("zones-example") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), work.join(entry.file_name())).expect("copy zone file");
        }
        git(&work, &["add", "."]);
        git(&work, &["commit", "-q", "-m", "zones-example"]);
        git(&work, &["push", "-q", "origin", "HEAD:main"]);
        let server = GitServer {
            sshd: Sshd::start_at(net, listen, authorized_key, ""),
            url: String::new(),
            dir,
        };
        server.give_to_git_user();
        let url = format!(
            "ssh://{GIT_USER}@{listen}/{}#main",
            bare.display().to_string().trim_start_matches('/')
        );
        GitServer { url, ..server }
    }

    fn give_to_git_user(&self) {
        let status = Command::new("chown")
            .args(["-R", GIT_USER])
            .arg(self.bare())
            .status()
            .expect("chown");
        assert!(status.success(), "chown failed");
    }

    /// The bare repository.
    pub fn bare(&self) -> PathBuf {
        self.dir.path().join("zones.git")
    }

    /// Commits `contents` as `file` in the working copy and pushes it, as an
    /// operator would.
    pub fn push_file(&self, file: &str, contents: &str, message: &str) {
        let work = self.dir.path().join("work");
        std::fs::write(work.join(file), contents).expect("write file");
        git(&work, &["add", file]);
        git(&work, &["commit", "-q", "-m", message]);
        git(&work, &["push", "-q", "origin", "HEAD:main"]);
        self.give_to_git_user();
    }
}
