//! The primary-git service: serves the zones of one git branch (OCaml-DNS
//! repository layout) and keeps them in step with the remote.
//!
//! At start it clones (retrying with backoff while the remote is
//! unreachable) and loads every zone file; [`Primary::fetch`] fetches again
//! and reloads what changed. A zone file that fails to parse is logged with
//! `file:line:column` and the commit, and its last good version keeps
//! serving; a zone that never loaded is not served.
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use bootargs::{ArgKind, ArgSpec, Args};
use dns_service::{load_keys, ControlEvent, DnsService, ZoneFile, ZoneSet};
use git_remote::{RemoteUrl, Sync, SyncEvent};
use netstack::{Poll, Service, Sockets};
use ssh::{Authenticator, ClientKey};

/// The git boot arguments, named as the OCaml-DNS primary names them.
pub const GIT_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "remote",
        kind: ArgKind::Value {
            metavar: "ssh://USER@IP[:PORT]/PATH.git[#BRANCH]",
            default: None,
        },
        help: "git repository holding the zones",
    },
    ArgSpec {
        name: "ssh-key",
        kind: ArgKind::Value {
            metavar: "ed25519:BASE64SEED",
            default: None,
        },
        help: "SSH client key (`solodns keygen ssh` makes one)",
    },
    ArgSpec {
        name: "ssh-authenticator",
        kind: ArgKind::Value {
            metavar: "SHA256:BASE64",
            default: None,
        },
        help: "fingerprint of the git server's SSH host key, as `ssh-keygen -l` prints it",
    },
];

/// Reads [`GIT_ARGS`]: `Ok(None)` when `--remote` is absent, an error
/// message naming the argument when something is missing or malformed.
pub fn git_sync_from_args(args: &Args<'_>) -> Result<Option<Sync>, String> {
    let text = |name: &str| args.value(name).map_err(|e| alloc::format!("{e}"));
    let Some(remote) = text("remote")? else {
        return Ok(None);
    };
    let url: RemoteUrl = remote
        .parse()
        .map_err(|e| alloc::format!("--remote: {e}"))?;
    let key = text("ssh-key")?.ok_or("--ssh-key=ed25519:BASE64SEED is required with --remote")?;
    let key = ClientKey::parse(key).map_err(|e| alloc::format!("--ssh-key: {e}"))?;
    let pinned = text("ssh-authenticator")?
        .ok_or("--ssh-authenticator=SHA256:BASE64 is required with --remote")?;
    let authenticator =
        Authenticator::parse(pinned).map_err(|e| alloc::format!("--ssh-authenticator: {e}"))?;
    Ok(Some(Sync::new(url, key, authenticator)))
}

/// A line printer: the console in images, stdout on the host.
pub type Log = fn(core::fmt::Arguments<'_>);

/// DNS from the zones of a git branch.
pub struct Primary {
    dns: DnsService,
    zones: ZoneSet,
    sync: Sync,
    log: Log,
}

impl Primary {
    /// Serves through `dns` what `sync` fetches; the first fetch starts now.
    pub fn new(dns: DnsService, mut sync: Sync, log: Log) -> Primary {
        sync.fetch();
        Primary {
            dns,
            zones: ZoneSet::new(),
            sync,
            log,
        }
    }

    /// Fetches again (on NOTIFY) and reloads what changed.
    pub fn fetch(&mut self) {
        self.sync.fetch();
    }

    fn handle(&mut self, event: SyncEvent) {
        let log = self.log;
        match event {
            SyncEvent::Updated { head, files } => {
                let files: Vec<ZoneFile> = files
                    .into_iter()
                    .map(|f| ZoneFile {
                        name: f.name,
                        contents: f.contents,
                    })
                    .collect();
                let report = self.dns.reload(&mut self.zones, &files);
                let (keys, problems) = load_keys(&files);
                for line in &problems {
                    log(format_args!("primary-git: commit {head}: keys: {line}"));
                }
                self.dns.replace_keys(keys);
                for line in &report.errors {
                    log(format_args!("primary-git: commit {head}: {line}"));
                }
                for zone in &report.kept {
                    log(format_args!(
                        "primary-git: commit {head}: {zone} keeps serving its last good version"
                    ));
                }
                for line in &report.warnings {
                    log(format_args!("primary-git: commit {head}: warning: {line}"));
                }
                for (zone, serial) in &report.loaded {
                    log(format_args!(
                        "primary-git: commit {head}: loaded {zone} serial {serial}"
                    ));
                }
                for zone in &report.removed {
                    log(format_args!("primary-git: commit {head}: removed {zone}"));
                }
                log(format_args!(
                    "primary-git: serving {} zones from commit {head}",
                    self.dns.catalog().len()
                ));
            }
            SyncEvent::UpToDate(head) => {
                log(format_args!("primary-git: up to date at commit {head}"))
            }
            SyncEvent::Failed { error, retry_at } => log(format_args!(
                "primary-git: fetch failed: {error}; retrying at {} ms",
                retry_at.0 / 1_000_000
            )),
        }
    }
}

impl Primary {
    fn control(&mut self, net: &mut dyn Sockets, event: ControlEvent) {
        let log = self.log;
        match event {
            ControlEvent::Notified { zone, from } => {
                log(format_args!(
                    "primary-git: NOTIFY for {zone} from {from}: fetching"
                ));
                self.sync.fetch();
            }
            ControlEvent::Update { id, zone, key, .. } => {
                // Acknowledged only once durable in git; pushing updates
                // back is not built yet, so nothing changes.
                log(format_args!(
                    "primary-git: UPDATE of {zone} by {key} refused with SERVFAIL: pushing updates to git is not implemented yet"
                ));
                self.dns
                    .complete_update(id, false, net.now(), net.unix_time());
            }
            _ => {}
        }
    }
}

impl Service for Primary {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        while let Some(event) = self.sync.poll(net) {
            self.handle(event);
        }
        let mut dns = self.dns.poll(net);
        let events = self.dns.take_events();
        if !events.is_empty() {
            for event in events {
                self.control(net, event);
            }
            // Send the answers just decided.
            dns = self.dns.poll(net);
        }
        // Fetches asked for just now start at once.
        while let Some(event) = self.sync.poll(net) {
            self.handle(event);
        }
        match dns {
            Poll::Exit(status) => Poll::Exit(status),
            Poll::Until(deadline) => Poll::Until(match (deadline, self.sync.deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }),
        }
    }
}
