//! Making a signed UPDATE durable in git before it is acknowledged: commit
//! the zone's new file on the served head, push; when the remote moved,
//! fetch, apply the UPDATE again on the new head (prerequisites checked
//! again) and push again, a bounded number of times.

use alloc::format;
use alloc::string::String;
use core::time::Duration;
use dns_service::{DnsService, LogLevel, UpdateId, ZoneSet};
use dns_update::Rebased;
use dns_zone::name::name_to_string;
use dns_zone::{Name, Record};
use git_remote::{Commit, Identity, Sync, SyncError};
use netstack::Instant;

/// Pushes tried for one UPDATE before it is answered SERVFAIL.
pub const MAX_PUSHES: u32 = 5;
/// An UPDATE not durable after this long is answered SERVFAIL (nsupdate
/// over UDP gives up after about 10 s; the change may still land, and is
/// then served after the next fetch).
pub const UPDATE_DEADLINE: Duration = Duration::from_secs(30);
/// Changed records listed in a commit message; the rest are counted.
const MESSAGE_RECORDS: usize = 40;

/// Who the commits of UPDATEs are by.
#[derive(Clone, Debug)]
pub struct Authors {
    /// The commits' author.
    pub author: Identity,
    /// The commits' committer.
    pub committer: Identity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the git remote to be free (a fetch is running).
    Queued,
    /// This commit is being pushed.
    Pushing(git::ObjectId),
    /// The push of this commit failed: fetching to see where the branch is.
    Checking(git::ObjectId),
}

/// The one UPDATE being made durable (the DNS service holds the others
/// back until it is complete).
#[derive(Debug)]
pub struct Durable {
    id: UpdateId,
    zone: Name,
    key: Name,
    /// The commit the pending change was computed on.
    based_on: Option<git::ObjectId>,
    pushes: u32,
    phase: Phase,
    deadline: Instant,
    /// The file being pushed and the digest of its new contents.
    written: Option<(String, dns_service::FileDigest)>,
}

/// What became of an UPDATE, for the log.
pub enum Step {
    /// Still in progress.
    Waiting,
    /// Finished (answered); this line, at this level, says how.
    Done(LogLevel, String),
    /// In progress; this line, at this level, says what happened.
    Progress(LogLevel, String),
}

impl Durable {
    /// The UPDATE `id` of `zone` signed by `key`, computed on `head`.
    pub fn new(
        id: UpdateId,
        zone: Name,
        key: Name,
        head: Option<git::ObjectId>,
        now: Instant,
    ) -> Durable {
        Durable {
            id,
            zone,
            key,
            based_on: head,
            pushes: 0,
            phase: Phase::Queued,
            deadline: now.after(UPDATE_DEADLINE),
            written: None,
        }
    }

    /// When it is given up.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Answers SERVFAIL (nothing changes) and says why.
    fn servfail(
        &self,
        dns: &mut DnsService,
        now: Instant,
        unix_time: u64,
        why: impl core::fmt::Display,
    ) -> Step {
        dns.complete_update(self.id, false, now, unix_time);
        Step::Done(
            LogLevel::Warn,
            format!("{} answered SERVFAIL: {why}", self.what()),
        )
    }

    /// What the log calls it.
    fn what(&self) -> String {
        format!(
            "UPDATE of {} by {}",
            name_to_string(&self.zone),
            name_to_string(&self.key)
        )
    }

    /// Starts a push when the remote is free; gives up at the deadline.
    pub fn advance(
        &mut self,
        dns: &mut DnsService,
        zones: &ZoneSet,
        sync: &mut Sync,
        authors: &Authors,
        now: Instant,
        unix_time: u64,
    ) -> Step {
        if now >= self.deadline && !matches!(self.phase, Phase::Pushing(_)) {
            return self.servfail(
                dns,
                now,
                unix_time,
                format!(
                    "not durable in git after {} s ({} pushes)",
                    UPDATE_DEADLINE.as_secs(),
                    self.pushes
                ),
            );
        }
        if self.phase != Phase::Queued || !sync.can_push() {
            return Step::Waiting;
        }
        if let Some(why) = zones.broken(&self.zone) {
            // Writing the served version over the operator's file would
            // drop their change without a word: refuse until it is fixed.
            let head = sync.head().map(|c| format!("{c}")).unwrap_or_default();
            let why = format!(
                "the zone's file at commit {head} is not served ({why}); fix it and push, then update again"
            );
            return self.servfail(dns, now, unix_time, why);
        }
        if sync.head() != self.based_on {
            // The branch moved since the change was computed: redo it there.
            match dns.rebase_update(self.id, unix_time) {
                Some(Rebased::Changed) => self.based_on = sync.head(),
                Some(Rebased::Unchanged) => {
                    return Step::Done(
                        LogLevel::Info,
                        format!(
                            "{}: the new head already has the change; answered NOERROR",
                            self.what()
                        ),
                    )
                }
                Some(Rebased::Refused(why)) => {
                    return Step::Done(
                        LogLevel::Info,
                        format!("{} on the new head: {why}", self.what()),
                    )
                }
                None => {
                    return Step::Done(
                        LogLevel::Info,
                        format!("{}: no longer pending", self.what()),
                    )
                }
            }
        }
        let Some(change) = dns.pending_change(self.id) else {
            return Step::Done(
                LogLevel::Info,
                format!("{}: no longer pending", self.what()),
            );
        };
        let Some(file) = zones.file_of(&self.zone) else {
            return self.servfail(
                dns,
                now,
                unix_time,
                "the zone has no file in the repository",
            );
        };
        let contents = dns_zone::print_zone(&change.new).into_bytes();
        let message = commit_message(&self.zone, &self.key, &change.diff);
        let commit = Commit {
            path: file,
            contents: &contents,
            message: &message,
            author: &authors.author,
            committer: &authors.committer,
        };
        match sync.push(commit, unix_time) {
            Ok(commit) => {
                self.pushes += 1;
                self.phase = Phase::Pushing(commit);
                self.written = Some((file.into(), dns_service::FileDigest::of(&contents)));
                Step::Progress(
                    LogLevel::Debug,
                    format!(
                        "{}: pushing commit {commit} (serial {}, push {} of {MAX_PUSHES})",
                        self.what(),
                        change.new.serial().0,
                        self.pushes
                    ),
                )
            }
            Err(error) => self.servfail(dns, now, unix_time, error),
        }
    }

    /// The push of `commit` reached the remote: serve and acknowledge.
    pub fn pushed(
        &mut self,
        commit: git::ObjectId,
        dns: &mut DnsService,
        zones: &mut ZoneSet,
        now: Instant,
        unix_time: u64,
    ) -> Step {
        if !matches!(self.phase, Phase::Pushing(c) | Phase::Checking(c) if c == commit) {
            return Step::Waiting;
        }
        if let Some((file, digest)) = self.written.take() {
            zones.record_written(&file, digest);
        }
        dns.complete_update(self.id, true, now, unix_time);
        Step::Done(
            LogLevel::Info,
            format!(
                "{}: durable in commit {commit}; answered NOERROR",
                self.what()
            ),
        )
    }

    /// The push of `commit` failed: fetch to learn where the branch is,
    /// unless the remote refused for good.
    pub fn push_failed(
        &mut self,
        commit: git::ObjectId,
        error: &SyncError,
        dns: &mut DnsService,
        sync: &mut Sync,
        now: Instant,
        unix_time: u64,
    ) -> Step {
        if self.phase != Phase::Pushing(commit) {
            return Step::Waiting;
        }
        if let SyncError::Rejected(why) = error {
            if !why.fetch_and_retry() {
                return self.servfail(
                    dns,
                    now,
                    unix_time,
                    format!("the remote refused commit {commit}: {error}"),
                );
            }
        }
        self.phase = Phase::Checking(commit);
        sync.fetch();
        Step::Progress(
            LogLevel::Warn,
            format!(
                "{}: push of {commit} failed ({error}); fetching",
                self.what()
            ),
        )
    }

    /// A fetch ended at `head` (call it before reloading the fetched files,
    /// so the file we pushed is recorded as ours first). If it is
    /// the commit we pushed, the change is durable; otherwise try again on
    /// the new head, or give up after [`MAX_PUSHES`].
    pub fn fetched(
        &mut self,
        head: git::ObjectId,
        dns: &mut DnsService,
        zones: &mut ZoneSet,
        now: Instant,
        unix_time: u64,
    ) -> Step {
        let Phase::Checking(commit) = self.phase else {
            return Step::Waiting;
        };
        if head == commit {
            return self.pushed(commit, dns, zones, now, unix_time);
        }
        self.written = None;
        if self.pushes >= MAX_PUSHES {
            return self.servfail(
                dns,
                now,
                unix_time,
                format!("the branch kept moving ({MAX_PUSHES} pushes)"),
            );
        }
        self.phase = Phase::Queued;
        Step::Progress(
            LogLevel::Info,
            format!(
                "{}: the branch is at {head}; applying it again there",
                self.what()
            ),
        )
    }
}

/// `UPDATE zone by key`, then the records deleted and added.
fn commit_message(zone: &Name, key: &Name, diff: &dns_zone::ZoneDiff) -> String {
    let mut message = format!(
        "UPDATE {} by {}: serial {} -> {}\n\n",
        name_to_string(zone),
        name_to_string(key),
        diff.from_serial().0,
        diff.to_serial().0
    );
    let changes = diff
        .deleted
        .iter()
        .map(|r| ('-', r))
        .chain(diff.added.iter().map(|r| ('+', r)));
    let total = diff.deleted.len() + diff.added.len();
    for (sign, record) in changes.take(MESSAGE_RECORDS) {
        message.push(sign);
        message.push_str(&record_line(record));
        message.push('\n');
    }
    if total > MESSAGE_RECORDS {
        message.push_str(&format!("... and {} more\n", total - MESSAGE_RECORDS));
    }
    message
}

fn record_line(record: &Record) -> String {
    format!(
        "{} {} IN {} {}",
        name_to_string(&record.owner),
        record.ttl,
        dns_zone::type_mnemonic(record.rtype),
        record.rdata.to_text(record.rtype)
    )
}
