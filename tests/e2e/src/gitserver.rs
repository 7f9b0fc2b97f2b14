//! A real git server for tests: a bare repository made from
//! `zones-example/`, served by OpenSSH to the git-shell account
//! [`crate::sshd::GIT_USER`].

use crate::net::TestNet;
use crate::sshd::{ensure_git_user, Sshd, GIT_USER};
use crate::{repo_root, TempDir};
use ssh::ClientKey;
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

/// `git` in `dir`, as root working on a repository the git-shell account
/// owns: `safe.directory` from a global config of our own, since git drops
/// `-c` settings and config variables when it runs `upload-pack` for a
/// local remote.
fn git_command(dir: &Path) -> Command {
    let config = std::env::temp_dir().join("solodns-e2e-gitconfig");
    if !config.exists() {
        let unique = config.with_extension(std::process::id().to_string());
        std::fs::write(
            &unique,
            "[safe]\n\tdirectory = *\n[user]\n\tname = Test\n\temail = test@example.com\n",
        )
        .expect("write git config");
        std::fs::rename(&unique, &config).expect("install git config");
    }
    let mut command = Command::new("git");
    command.env("GIT_CONFIG_GLOBAL", config).current_dir(dir);
    command
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir).args(args).output().expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl GitServer {
    /// Serves a repository holding `zones-example/` on `listen` (inside
    /// `net` when given) to the holder of `authorized_key`.
    pub fn start(net: Option<&TestNet>, listen: SocketAddr, authorized_key: &str) -> GitServer {
        GitServer::start_with(
            net,
            listen,
            authorized_key,
            &repo_root().join("zones-example"),
        )
    }

    /// Like [`GitServer::start`], the repository holding the files of
    /// `source` (a flat directory) instead.
    pub fn start_with(
        net: Option<&TestNet>,
        listen: SocketAddr,
        authorized_key: &str,
        source: &Path,
    ) -> GitServer {
        ensure_git_user();
        let dir = TempDir::new("git");
        let bare = dir.path().join("zones.git");
        let work = dir.path().join("work");
        git(
            dir.path(),
            &[
                "init",
                "-q",
                "--bare",
                "-b",
                "main",
                "--shared=0666",
                "zones.git",
            ],
        );
        git(dir.path(), &["clone", "-q", "zones.git", "work"]);
        for entry in
            std::fs::read_dir(source).unwrap_or_else(|e| panic!("read {}: {e}", source.display()))
        {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), work.join(entry.file_name())).expect("copy zone file");
        }
        git(&work, &["add", "."]);
        let message = source
            .file_name()
            .map_or_else(|| "zones".into(), |name| name.to_string_lossy());
        git(&work, &["commit", "-q", "-m", &message]);
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

    /// A server on the host side of `net` (10.53.0.1:2222) for the holder
    /// of `key`: primary-git in the test network.
    pub fn in_testnet(net: &TestNet, key: &ClientKey) -> GitServer {
        GitServer::start(
            Some(net),
            "10.53.0.1:2222".parse().expect("address"),
            &key.authorized_keys_line("primary-git"),
        )
    }

    /// primary-git's boot arguments for this repository, logging in with
    /// `key`: `--remote`, `--ssh-key`, `--ssh-authenticator`.
    pub fn primary_git_args(&self, key: &ClientKey) -> Vec<String> {
        vec![
            format!("--remote={}", self.url),
            format!("--ssh-key={}", key.to_secret_text()),
            format!("--ssh-authenticator={}", self.sshd.fingerprint),
        ]
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
    /// operator would (after pulling what the primary pushed).
    pub fn push_file(&self, file: &str, contents: &str, message: &str) {
        self.edit_file(file, |_| contents.to_string(), message);
    }

    /// Pulls, rewrites `file` with `edit` of its contents, commits and
    /// pushes.
    pub fn edit_file(&self, file: &str, edit: impl FnOnce(&str) -> String, message: &str) {
        let work = self.dir.path().join("work");
        git(&work, &["pull", "-q", "--rebase", "origin", "main"]);
        let old = std::fs::read_to_string(work.join(file)).unwrap_or_default();
        std::fs::write(work.join(file), edit(&old)).expect("write file");
        git(&work, &["add", file]);
        git(&work, &["commit", "-q", "-m", message]);
        // Someone (the primary) may push in between: pull and try again.
        let mut why = String::new();
        for _ in 0..5 {
            let pushed = git_command(&work)
                .args(["push", "-q", "origin", "HEAD:main"])
                .output()
                .expect("run git push");
            if pushed.status.success() {
                // The repository is shared (--shared=0666): what root wrote
                // stays writable for the git user, no chown needed (one
                // would race with the primary's own pushes).
                return;
            }
            why = String::from_utf8_lossy(&pushed.stderr).into_owned();
            git(&work, &["pull", "-q", "--rebase", "origin", "main"]);
        }
        panic!("git push of {file} kept being rejected: {why}");
    }

    /// Pulls, removes `file`, commits and pushes.
    pub fn remove_file(&self, file: &str, message: &str) {
        let work = self.dir.path().join("work");
        git(&work, &["pull", "-q", "--rebase", "origin", "main"]);
        git(&work, &["rm", "-q", file]);
        git(&work, &["commit", "-q", "-m", message]);
        git(&work, &["push", "-q", "origin", "HEAD:main"]);
    }

    /// Installs (`Some`) or removes (`None`) the server-side hook `name`
    /// (e.g. `pre-receive`), a shell script.
    pub fn set_hook(&self, name: &str, script: Option<&str>) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.bare().join("hooks").join(name);
        match script {
            Some(script) => {
                std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("write hook");
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .expect("make the hook executable");
            }
            None => std::fs::remove_file(&path).expect("remove hook"),
        }
    }

    /// `git log -1 --format=FORMAT main` in the bare repository.
    pub fn last_commit(&self, format: &str) -> String {
        git(
            &self.bare(),
            &["log", "-1", &format!("--format={format}"), "main"],
        )
    }

    /// Number of commits on `main`.
    pub fn commit_count(&self) -> usize {
        git(&self.bare(), &["rev-list", "--count", "main"])
            .trim()
            .parse()
            .expect("a count")
    }

    /// `file` as committed on `main`.
    pub fn file(&self, file: &str) -> String {
        git(&self.bare(), &["show", &format!("main:{file}")])
    }
}
