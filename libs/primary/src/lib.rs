//! The primary-git service: serves the zones of one git branch (OCaml-DNS
//! repository layout) and keeps them in step with the remote.
//!
//! At start it clones (retrying with backoff while the remote is
//! unreachable) and loads every zone file; [`Primary::fetch`] fetches again
//! and reloads what changed. A NOTIFY signed with any key of the
//! repository, for any zone, makes it fetch; one signed with a key the
//! repository does not have yet is answered after the fetch, verified with
//! the keys of the fetched head (a new zone pushed with its key works with
//! the first NOTIFY). A zone file that fails to parse is logged with
//! `file:line:column` and the commit, and its last good version keeps
//! serving; a zone that never loaded is not served.
//!
//! A changed zone file whose SOA serial is not greater than the served
//! one's (RFC 1982) is treated the same way: the served version stays.
//! An UPDATE of a zone whose file at the head is broken in either way is
//! answered SERVFAIL and logged (the operator's file is never replaced
//! silently); UPDATEs of it work again once a good version is pushed.
//!
//! A signed UPDATE is acknowledged only once durable in git ([`update`]):
//! the zone's file is rewritten (as `dns_zone::print_zone` prints it: the
//! original comments and layout are not kept), committed on the served
//! head with the configured author, and pushed; a push that finds the
//! branch moved fetches, applies the UPDATE again on the new head and
//! pushes again, up to [`update::MAX_PUSHES`] times.
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod update;

use alloc::string::String;
use alloc::vec::Vec;
use bootargs::{ArgKind, ArgSpec, Args};
use dns_service::{load_keys, ControlEvent, DnsService, LogLevel, Logger, ZoneFile, ZoneSet};
use git_remote::{Identity, RemoteUrl, Sync, SyncEvent};
use netstack::{Poll, Service, Sockets};
use ssh::{Authenticator, ClientKey};
use update::{Authors, Durable, Step};

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
    ArgSpec {
        name: "git-author",
        kind: ArgKind::Value {
            metavar: "NAME<EMAIL>",
            default: Some(DEFAULT_AUTHOR),
        },
        help: "author of the commits that record dynamic updates; a boot argument cannot hold a space: write it %20",
    },
    ArgSpec {
        name: "git-committer",
        kind: ArgKind::Value {
            metavar: "NAME<EMAIL>",
            default: None,
        },
        help: "committer of those commits (default: the author)",
    },
];

/// The author of update commits unless `--git-author` says otherwise.
pub const DEFAULT_AUTHOR: &str = "solodns%20primary-git<primary-git@solodns.invalid>";

/// Reads [`GIT_ARGS`]: `Ok(None)` when `--remote` is absent, an error
/// message naming the argument when something is missing or malformed.
pub fn git_sync_from_args(args: &Args<'_>) -> Result<Option<(Sync, Authors)>, String> {
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
    let identity = |name: &str, given: &str| {
        percent_decode(given)
            .and_then(|text| Identity::parse(&text))
            .map_err(|e| alloc::format!("--{name}={given}: {e}"))
    };
    let author = identity("git-author", text("git-author")?.unwrap_or(DEFAULT_AUTHOR))?;
    let committer = match text("git-committer")? {
        Some(given) => identity("git-committer", given)?,
        None => author.clone(),
    };
    Ok(Some((
        Sync::new(url, key, authenticator),
        Authors { author, committer },
    )))
}

/// `%XX` escapes decoded (boot arguments are split at spaces, so a space
/// in a value is written `%20`).
fn percent_decode(text: &str) -> Result<String, &'static str> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        if byte != b'%' {
            out.push(byte);
            continue;
        }
        let hex = [bytes.next(), bytes.next()];
        let digit = |d: Option<u8>| d.and_then(|d| char::from(d).to_digit(16));
        match (digit(hex[0]), digit(hex[1])) {
            (Some(high), Some(low)) => out.push((high * 16 + low) as u8),
            _ => return Err("`%` must start a two-digit hex escape such as %20"),
        }
    }
    String::from_utf8(out).map_err(|_| "the escapes do not decode to UTF-8")
}

/// DNS from the zones of a git branch.
pub struct Primary {
    dns: DnsService,
    zones: ZoneSet,
    sync: Sync,
    authors: Authors,
    /// The UPDATE being made durable.
    update: Option<Durable>,
    log: Logger,
}

impl Primary {
    /// Serves through `dns` what `sync` fetches; the first fetch starts
    /// now. Commits of UPDATEs are by `authors`; lines go to `dns`'s log
    /// at its level.
    pub fn new(mut dns: DnsService, (mut sync, authors): (Sync, Authors)) -> Primary {
        sync.fetch();
        dns.fetch_on_notify();
        let log = dns.logger();
        Primary {
            dns,
            zones: ZoneSet::new(),
            sync,
            authors,
            update: None,
            log,
        }
    }

    /// The DNS service, as it serves now.
    pub fn dns(&self) -> &DnsService {
        &self.dns
    }

    /// Fetches again (on NOTIFY) and reloads what changed.
    pub fn fetch(&mut self) {
        self.sync.fetch();
    }

    fn handle(&mut self, net: &mut dyn Sockets, event: SyncEvent) {
        let log = self.log;
        let (now, unix_time) = (net.now(), net.unix_time());
        // A fetch that ends at the commit of a failed push: durable after all.
        let head = match &event {
            SyncEvent::Updated { head, .. } | SyncEvent::UpToDate(head) => Some(*head),
            _ => None,
        };
        if let (Some(head), Some(update)) = (head, self.update.as_mut()) {
            let step = update.fetched(head, &mut self.dns, &mut self.zones, now, unix_time);
            self.report(step);
        }
        match event {
            SyncEvent::Pushed(commit) => {
                if let Some(update) = self.update.as_mut() {
                    let step =
                        update.pushed(commit, &mut self.dns, &mut self.zones, now, unix_time);
                    self.report(step);
                }
            }
            SyncEvent::PushFailed { commit, error } => {
                if let Some(update) = self.update.as_mut() {
                    let step = update.push_failed(
                        commit,
                        &error,
                        &mut self.dns,
                        &mut self.sync,
                        now,
                        unix_time,
                    );
                    self.report(step);
                }
            }
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
                    log.at(
                        LogLevel::Warn,
                        format_args!("primary-git: commit {head}: keys: {line}"),
                    );
                }
                self.dns.replace_keys(keys, unix_time);
                for line in &report.errors {
                    log.at(
                        LogLevel::Warn,
                        format_args!("primary-git: commit {head}: {line}"),
                    );
                }
                for zone in &report.kept {
                    log.at(
                        LogLevel::Warn,
                        format_args!(
                        "primary-git: commit {head}: {zone} keeps serving its last good version"
                    ),
                    );
                }
                for line in &report.warnings {
                    log.at(
                        LogLevel::Warn,
                        format_args!("primary-git: commit {head}: warning: {line}"),
                    );
                }
                for (zone, serial) in &report.loaded {
                    log.at(
                        LogLevel::Info,
                        format_args!("primary-git: commit {head}: loaded {zone} serial {serial}"),
                    );
                }
                for zone in &report.removed {
                    log.at(
                        LogLevel::Info,
                        format_args!("primary-git: commit {head}: removed {zone}"),
                    );
                }
                log.at(
                    LogLevel::Info,
                    format_args!(
                        "primary-git: serving {} zones from commit {head}",
                        self.dns.catalog().len()
                    ),
                );
            }
            SyncEvent::UpToDate(head) => {
                self.dns.release_held_notifies(unix_time);
                log.at(
                    LogLevel::Debug,
                    format_args!("primary-git: up to date at commit {head}"),
                )
            }
            SyncEvent::Failed { error, retry_at } => {
                self.dns.release_held_notifies(unix_time);
                log.at(
                    LogLevel::Warn,
                    format_args!(
                        "primary-git: fetch failed: {error}; retrying in {} s",
                        retry_at.since(now).as_nanos().div_ceil(1_000_000_000)
                    ),
                )
            }
        }
    }

    /// Logs what an UPDATE did; forgets it once it is answered.
    fn report(&mut self, step: Step) {
        match step {
            Step::Waiting => {}
            Step::Progress(level, line) => self.log.at(level, format_args!("primary-git: {line}")),
            Step::Done(level, line) => {
                self.log.at(level, format_args!("primary-git: {line}"));
                self.update = None;
            }
        }
    }

    /// Moves the UPDATE in progress on (a push once git is free).
    fn advance_update(&mut self, net: &mut dyn Sockets) {
        if let Some(update) = self.update.as_mut() {
            let step = update.advance(
                &mut self.dns,
                &self.zones,
                &mut self.sync,
                &self.authors,
                net.now(),
                net.unix_time(),
            );
            self.report(step);
        }
    }
}

impl Primary {
    fn control(&mut self, net: &mut dyn Sockets, event: ControlEvent) {
        let log = self.log;
        match event {
            ControlEvent::Notified { zone, from } => {
                log.at(
                    LogLevel::Info,
                    format_args!("primary-git: NOTIFY for {zone} from {from}: fetching"),
                );
                self.sync.fetch();
            }
            ControlEvent::Update { id, zone, key } => {
                log.at(
                    LogLevel::Info,
                    format_args!("primary-git: UPDATE of {zone} by {key}: committing to git"),
                );
                self.update = Some(Durable::new(id, zone, key, self.sync.head(), net.now()));
            }
            _ => {}
        }
    }
}

impl Service for Primary {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        // Bounded: each round either ends or answered an UPDATE, and the
        // service holds at most a bounded queue of them.
        for _ in 0..64 {
            while let Some(event) = self.sync.poll(net) {
                self.handle(net, event);
            }
            let dns = self.dns.poll(net);
            let events = self.dns.take_events();
            for event in events {
                self.control(net, event);
            }
            self.advance_update(net);
            // Fetches and pushes asked for just now start at once.
            while let Some(event) = self.sync.poll(net) {
                self.handle(net, event);
            }
            self.advance_update(net);
            if self.dns.has_output() {
                // Answers decided just now (a completed UPDATE, the next
                // one's start) go out in another round.
                continue;
            }
            return match dns {
                Poll::Exit(status) => Poll::Exit(status),
                Poll::Until(deadline) => Poll::Until(earliest(&[
                    deadline,
                    self.sync.deadline(),
                    self.update.as_ref().map(Durable::deadline),
                ])),
            };
        }
        Poll::Until(Some(net.now()))
    }
}

/// The earliest of some deadlines.
fn earliest(deadlines: &[Option<netstack::Instant>]) -> Option<netstack::Instant> {
    deadlines.iter().flatten().min().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_in_boot_arguments() {
        let decoded = percent_decode(DEFAULT_AUTHOR).expect("decodes");
        let author = Identity::parse(&decoded).expect("parses");
        assert_eq!(author.name, "solodns primary-git");
        assert_eq!(author.email, "primary-git@solodns.invalid");
        assert_eq!(
            percent_decode("a%2"),
            Err("`%` must start a two-digit hex escape such as %20")
        );
        assert_eq!(percent_decode("caf%C3%A9").as_deref(), Ok("café"));
        assert!(Identity::parse("no email").is_err());
        assert!(Identity::parse("<only@email>").is_err());
        assert!(Identity::parse("A <a@b> trailing").is_err());
        assert_eq!(
            Identity::parse("A\nB <a@b>"),
            Err("a name or email may not contain <, >, line breaks or NUL")
        );
    }

    /// The authors of `cmdline`'s git arguments, or the error it gives.
    fn authors(extra: &str) -> Result<Authors, String> {
        let cmdline = alloc::format!(
            "--remote=ssh://git@10.0.0.1/zones.git \
             --ssh-key=ed25519:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc= \
             --ssh-authenticator=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA {extra}"
        );
        let Ok(bootargs::Parsed::Args(args)) = bootargs::parse("primary-git", GIT_ARGS, &cmdline)
        else {
            panic!("the arguments parse");
        };
        match git_sync_from_args(&args) {
            Ok(Some((_, authors))) => Ok(authors),
            Ok(None) => panic!("--remote was given"),
            Err(error) => Err(error),
        }
    }

    #[test]
    fn authors_come_from_the_boot_arguments_and_bad_ones_are_named() {
        let default = authors("").expect("the default");
        assert_eq!(default.author.name, "solodns primary-git");
        assert_eq!(default.committer, default.author);
        let given = authors("--git-author=Zone%20Robot<robot@example.org>").expect("valid");
        assert_eq!(
            (given.author.name.as_str(), given.author.email.as_str()),
            ("Zone Robot", "robot@example.org")
        );
        assert_eq!(
            given.committer, given.author,
            "the committer defaults to the author"
        );
        let both = authors("--git-author=A<a@x> --git-committer=C<c@x>").expect("valid");
        assert_eq!(both.committer.name, "C");
        assert_eq!(
            authors("--git-committer=nobody").map(|_| ()),
            Err("--git-committer=nobody: expected `Name <email>`".into())
        );
        assert_eq!(
            authors("--git-author=A%2<a@x>").map(|_| ()),
            Err("--git-author=A%2<a@x>: `%` must start a two-digit hex escape such as %20".into())
        );
    }
}
