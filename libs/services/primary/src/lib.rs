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
use dns_service::{load_keys, ControlEvent, DnsService, LogLevel, Logger, ZoneFile, ZoneSet};
use git_remote::{Identity, Sync, SyncEvent};
use netstack::{Poll, Service, Sockets};
use update::{Authors, Durable, Step};

/// An identity written `Name<email>` (or `Name <email>`) with `%XX`
/// escapes: `Zone%20Robot<robot@example.org>` is `Zone Robot
/// <robot@example.org>` (a value that cannot hold a space, such as a boot
/// argument, writes it `%20`). Errors say what was expected.
pub fn decode_identity(escaped: &str) -> Result<Identity, &'static str> {
    percent_decode(escaped).and_then(|text| Identity::parse(&text))
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
                let mut files: Vec<ZoneFile> = files
                    .into_iter()
                    .map(|f| ZoneFile {
                        name: f.name,
                        contents: f.contents,
                    })
                    .collect();
                let report = self.dns.reload(&mut self.zones, &mut files);
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
    fn escaped_identities() {
        let author =
            decode_identity("solodns%20primary-git<primary-git@solodns.invalid>").expect("parses");
        assert_eq!(author.name, "solodns primary-git");
        assert_eq!(author.email, "primary-git@solodns.invalid");
        assert_eq!(
            percent_decode("a%2"),
            Err("`%` must start a two-digit hex escape such as %20")
        );
        assert_eq!(
            decode_identity("A%2<a@x>"),
            Err("`%` must start a two-digit hex escape such as %20")
        );
        assert_eq!(percent_decode("caf%C3%A9").as_deref(), Ok("café"));
        assert_eq!(decode_identity("nobody"), Err("expected `Name <email>`"));
        assert!(Identity::parse("no email").is_err());
        assert!(Identity::parse("<only@email>").is_err());
        assert!(Identity::parse("A <a@b> trailing").is_err());
        assert_eq!(
            Identity::parse("A\nB <a@b>"),
            Err("a name or email may not contain <, >, line breaks or NUL")
        );
    }
}
