//! primary-git's `--zones-dir` mode (host-process build, `std`): serves the
//! zone files of a directory (OCaml-DNS layout, as a git checkout holds
//! them) and makes UPDATEs durable in it.
//!
//! # Durability
//!
//! An UPDATE is acknowledged once its change is appended to the zone's
//! journal (`<dir>/.journal/<zone>`, [`journal`]) and synced: the cost of
//! the change, not of the zone, as BIND's `.jnl` and Knot's journal make
//! it. The zone file itself is rewritten (as `dns_zone::print_zone` prints
//! it) in the background ([`flush`]) once the zone has had no change for
//! [`WRITE_AFTER_QUIET`], and at the latest [`WRITE_AT_MOST_AFTER`] after
//! its first unwritten change; then the journal drops what the file holds.
//! At start, the journal's changes that continue the zone file's serial
//! are applied again (a crash between acknowledgement and the file write
//! loses nothing); entries that do not continue it (the file was edited
//! while the server was stopped) are set aside, logged and not applied.
//!
//! A NOTIFY rereads the directory, after every pending zone file is
//! written (so the reread sees the served version, not an older one).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod flush;
pub mod journal;
pub mod repository;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dns_service::{load_keys, ControlEvent, DnsService, Log, ZoneSet};
use dns_zone::{Name, Serial, Zone};
use netstack::{Instant, Poll, Service, Sockets};

use flush::{write_zone_file, Flusher, Written};
use journal::ZoneJournal;
pub use repository::read_repository;

/// A zone file is rewritten once its zone has had no change for this long.
pub const WRITE_AFTER_QUIET: Duration = Duration::from_millis(250);
/// ...and at the latest this long after its first change not in the file.
pub const WRITE_AT_MOST_AFTER: Duration = Duration::from_secs(5);
/// A zone file that could not be written is tried again after this long
/// (its changes are safe in the journal meanwhile).
const WRITE_RETRY: Duration = Duration::from_secs(10);
/// While a file is being written, how often the loop looks for its end.
const WRITE_CHECK: Duration = Duration::from_millis(20);
/// Longest wait for background writes before a reread of the directory.
const WRITE_WAIT_BOUND: Duration = Duration::from_secs(120);

/// Journal and zone-file state of one zone with changes.
#[derive(Debug)]
struct Unwritten {
    /// The zone's file name in the directory.
    file: String,
    journal: ZoneJournal,
    /// The first change not in the zone file, if any.
    since: Option<Instant>,
    /// The last change.
    last: Instant,
    writing: bool,
    retry_at: Option<Instant>,
}

impl Unwritten {
    /// The state of the zone in `file`, whose changes are in `journal`;
    /// none of them is unwritten yet.
    fn new(file: String, journal: ZoneJournal, now: Instant) -> Unwritten {
        Unwritten {
            file,
            journal,
            since: None,
            last: now,
            writing: false,
            retry_at: None,
        }
    }
}

/// Whether the zone file `file` is still in `dir` to be rewritten: an
/// operator who removed it wants the zone gone (at the next reread), not
/// brought back by our write.
fn zone_file_exists(dir: &Path, file: &str) -> bool {
    dir.join(file).exists()
}

/// The `--zones-dir` primary: a [`DnsService`] over a zone directory.
pub struct DirectoryPrimary {
    dns: DnsService,
    zones: ZoneSet,
    dir: PathBuf,
    log: Log,
    program: &'static str,
    unwritten: BTreeMap<Name, Unwritten>,
    flusher: Flusher,
}

macro_rules! say {
    ($self:expr, $($arg:tt)*) => {
        ($self.log)(format_args!("{}: {}", $self.program, format_args!($($arg)*)))
    };
}

impl DirectoryPrimary {
    /// Loads the zones of `dir` into `dns`, replays their journals, and
    /// returns the service; lines go to `log`, prefixed by `program`.
    /// An unreadable directory is an error; broken zone files are logged.
    pub fn start(
        dns: DnsService,
        dir: PathBuf,
        log: Log,
        program: &'static str,
        now: Instant,
        unix_time: u64,
    ) -> std::io::Result<DirectoryPrimary> {
        let mut primary = DirectoryPrimary {
            dns,
            zones: ZoneSet::new(),
            dir,
            log,
            program,
            unwritten: BTreeMap::new(),
            flusher: Flusher::default(),
        };
        primary.reload(unix_time)?;
        let apexes: Vec<Name> = primary
            .dns
            .catalog()
            .zones()
            .map(|z| z.origin().clone())
            .collect();
        for apex in apexes {
            primary.replay(&apex, now, unix_time);
        }
        Ok(primary)
    }

    /// The DNS service.
    pub fn dns(&self) -> &DnsService {
        &self.dns
    }

    /// The zone file name of `apex`: the one it was loaded from.
    fn file_of(&self, apex: &Name) -> String {
        self.zones.file_of(apex).map_or_else(
            || apex.to_ascii().trim_end_matches('.').to_string(),
            str::to_string,
        )
    }

    /// Applies the journal of `apex` (read from disk) on the served zone.
    fn replay(&mut self, apex: &Name, now: Instant, unix_time: u64) {
        let file = self.file_of(apex);
        let opened = match ZoneJournal::open(&self.dir, &file) {
            Ok(opened) => opened,
            Err(error) => {
                return say!(self, "{file}: journal unreadable, not replayed: {error}");
            }
        };
        if let Some(torn) = &opened.torn {
            say!(self, "{file}: {torn}: cut off (never acknowledged)");
        }
        let Some(served) = self.dns.catalog().get(apex) else {
            return;
        };
        let file_serial = served.serial();
        let mut zone: Zone = served.clone();
        let mut applied = 0;
        let mut problem = None;
        for diff in &opened.diffs {
            if diff.from_serial() == zone.serial() {
                match zone.apply_diff(diff) {
                    Ok(next) => {
                        zone = next;
                        applied += 1;
                    }
                    Err(error) => {
                        problem = Some(format!("{error}"));
                        break;
                    }
                }
            } else if applied == 0 && !newer(diff.to_serial(), file_serial) {
                // Already in the zone file (written before the journal
                // was cut down to what follows it).
            } else {
                problem = Some(format!(
                    "an entry from serial {} to {} does not follow serial {}",
                    diff.from_serial(),
                    diff.to_serial(),
                    zone.serial()
                ));
                break;
            }
        }
        let mut journal = opened.journal;
        if let Some(problem) = problem {
            match journal.set_aside(&unix_time.to_string()) {
                Ok(aside) => say!(
                    self,
                    "{file}: journal does not continue the zone file ({problem}; the file was changed while the server was stopped?): set aside as {}, not applied",
                    aside.display()
                ),
                Err(error) => say!(self, "{file}: journal: {problem}; cannot set it aside: {error}"),
            }
        } else if let Err(error) = journal.written(file_serial) {
            say!(self, "{file}: journal: {error}");
        }
        if applied > 0 {
            say!(
                self,
                "{file}: {applied} changes replayed from the journal: serial {file_serial} -> {}",
                zone.serial()
            );
            self.dns.install_zone(zone, now);
        }
        if applied > 0 || !journal.is_empty() {
            let mut state = Unwritten::new(file, journal, now);
            state.since = Some(now);
            self.unwritten.insert(apex.clone(), state);
        }
    }

    /// Rereads the directory; an unreadable one is reported to the caller
    /// and changes nothing.
    fn reload(&mut self, unix_time: u64) -> std::io::Result<()> {
        let mut files = read_repository(&self.dir)?;
        let report = self.dns.reload(&mut self.zones, &mut files);
        let (keys, problems) = load_keys(&files);
        self.dns.replace_keys(keys, unix_time);
        for line in report
            .errors
            .iter()
            .chain(&report.warnings)
            .chain(&problems)
        {
            say!(self, "{line}");
        }
        for (zone, serial) in &report.loaded {
            say!(self, "loaded {zone} serial {serial}");
        }
        // A zone whose file was removed is no longer served: its unwritten
        // changes go with it.
        for removed in &report.removed {
            let apexes: Vec<Name> = self
                .unwritten
                .iter()
                .filter(|(_, state)| state.file == *removed)
                .map(|(apex, _)| apex.clone())
                .collect();
            for apex in apexes {
                if let Some(mut state) = self.unwritten.remove(&apex) {
                    if let Err(error) = state.journal.discard() {
                        say!(self, "{removed}: journal: {error}");
                    }
                }
            }
        }
        Ok(())
    }

    /// Makes the UPDATE `id` durable in the journal, then answers it.
    fn update(
        &mut self,
        id: dns_service::UpdateId,
        zone: &Name,
        key: &Name,
        now: Instant,
        unix_time: u64,
    ) {
        let Some(change) = self.dns.pending_change(id) else {
            return;
        };
        let serial = change.new.serial().0;
        let apex = change.new.origin().clone();
        if let Some(why) = self.zones.broken(&apex) {
            // Never overwrite the operator's broken file silently.
            say!(self, "UPDATE of {zone} by {key} answered SERVFAIL: the zone's file is not served ({why}); fix it first");
            return self.dns.complete_update(id, false, now, unix_time);
        }
        if !self.unwritten.contains_key(&apex) {
            let file = self.file_of(&apex);
            let journal = match ZoneJournal::open(&self.dir, &file) {
                Ok(opened) => opened.journal,
                Err(error) => {
                    say!(
                        self,
                        "UPDATE of {zone} by {key} not durable: journal: {error}"
                    );
                    return self.dns.complete_update(id, false, now, unix_time);
                }
            };
            self.unwritten
                .insert(apex.clone(), Unwritten::new(file, journal, now));
        }
        let Some(state) = self.unwritten.get_mut(&apex) else {
            return;
        };
        let durable = match state.journal.append(&change.diff) {
            Ok(()) => {
                state.since.get_or_insert(now);
                state.last = now;
                say!(self, "UPDATE of {zone} by {key}: serial {serial}");
                true
            }
            Err(error) => {
                say!(
                    self,
                    "UPDATE of {zone} by {key} not durable: journal {}: {error}",
                    state.journal.path().display()
                );
                false
            }
        };
        self.dns.complete_update(id, durable, now, unix_time);
    }

    /// Takes note of background writes that ended.
    fn written(&mut self, done: Vec<Written>, now: Instant) {
        for Written {
            apex,
            serial,
            result,
        } in done
        {
            let served = self.dns.catalog().get(&apex).map(Zone::serial);
            let Some(state) = self.unwritten.get_mut(&apex) else {
                continue;
            };
            state.writing = false;
            match result {
                Ok(digest) => {
                    // Ours and served: a reread need not parse it again.
                    self.zones.record_written(&state.file, digest);
                    if let Err(error) = state.journal.written(serial) {
                        say!(self, "{}: journal: {error}", state.file);
                    }
                    if served == Some(serial) {
                        state.since = None;
                    }
                }
                Err(error) => {
                    state.retry_at = Some(now.after(WRITE_RETRY));
                    say!(
                        self,
                        "{}: cannot write the zone file: {error}; its changes are safe in the journal; trying again in {} s",
                        state.file,
                        WRITE_RETRY.as_secs()
                    );
                }
            }
        }
        self.unwritten
            .retain(|_, s| s.writing || s.since.is_some() || !s.journal.is_empty());
    }

    /// When the zone file of a zone with unwritten changes is due.
    fn due(state: &Unwritten) -> Option<Instant> {
        let since = state.since?;
        if state.writing {
            return None;
        }
        let due = state
            .last
            .after(WRITE_AFTER_QUIET)
            .min(since.after(WRITE_AT_MOST_AFTER));
        Some(state.retry_at.map_or(due, |r| r.max(due)))
    }

    /// Starts the zone-file writes that are due; returns when to look again.
    fn start_writes(&mut self, now: Instant) -> Option<Instant> {
        let mut next = None::<Instant>;
        for (apex, state) in &mut self.unwritten {
            match Self::due(state) {
                Some(due) if due <= now && !zone_file_exists(&self.dir, &state.file) => {
                    state.since = None;
                    (self.log)(format_args!(
                        "{}: {}: the zone file was removed; not written again (its changes stay in the journal until the zone is reread)",
                        self.program, state.file
                    ));
                }
                Some(due) if due <= now => {
                    let Some(zone) = self.dns.catalog().get(apex) else {
                        state.since = None;
                        continue;
                    };
                    match self.flusher.start(zone.clone(), self.dir.join(&state.file)) {
                        Ok(()) => {
                            state.writing = true;
                            state.retry_at = None;
                        }
                        Err(error) => {
                            state.retry_at = Some(now.after(WRITE_RETRY));
                            (self.log)(format_args!(
                                "{}: {}: cannot start writing the zone file: {error}",
                                self.program, state.file
                            ));
                        }
                    }
                }
                Some(due) => next = Some(next.map_or(due, |n| n.min(due))),
                None => {}
            }
        }
        if self.flusher.busy() {
            let check = now.after(WRITE_CHECK);
            next = Some(next.map_or(check, |n| n.min(check)));
        }
        next
    }

    /// Writes every zone file with changes now, waiting for the writes
    /// under way first.
    fn write_all_now(&mut self, now: Instant) {
        let done = self.flusher.wait_all(WRITE_WAIT_BOUND);
        self.written(done, now);
        let apexes: Vec<Name> = self.unwritten.keys().cloned().collect();
        for apex in apexes {
            let Some(zone) = self.dns.catalog().get(&apex) else {
                continue;
            };
            let Some(state) = self.unwritten.get(&apex) else {
                continue;
            };
            if state.since.is_none() || state.writing || !zone_file_exists(&self.dir, &state.file) {
                continue;
            }
            let serial = zone.serial();
            let result = write_zone_file(&self.dir.join(&state.file), zone);
            self.written(
                vec![Written {
                    apex,
                    serial,
                    result,
                }],
                now,
            );
        }
    }

    fn handle(&mut self, net: &mut dyn Sockets, events: Vec<ControlEvent>) {
        for event in events {
            match event {
                ControlEvent::Update { id, zone, key } => {
                    self.update(id, &zone, &key, net.now(), net.unix_time());
                }
                ControlEvent::Notified { zone, from } => {
                    say!(
                        self,
                        "NOTIFY for {zone} from {from}: rereading {}",
                        self.dir.display()
                    );
                    self.write_all_now(net.now());
                    if let Err(error) = self.reload(net.unix_time()) {
                        self.dns.release_held_notifies(net.unix_time());
                        say!(self, "{}: {error}", self.dir.display());
                    }
                }
                _ => {}
            }
        }
    }
}

/// Whether serial `a` is after `b` (RFC 1982: some pairs are neither).
fn newer(a: Serial, b: Serial) -> bool {
    a > b
}

impl Service for DirectoryPrimary {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        let mut result = self.dns.poll(net);
        // Answers decided here, and UPDATEs that waited for them, go
        // out in further rounds; bounded, the rest at the next poll.
        for _ in 0..64 {
            let events = self.dns.take_events();
            if events.is_empty() && !self.dns.has_output() {
                break;
            }
            self.handle(net, events);
            result = self.dns.poll(net);
        }
        let now = net.now();
        let done = self.flusher.finished();
        self.written(done, now);
        let next = self.start_writes(now);
        match (result, next) {
            (Poll::Until(Some(at)), Some(next)) => Poll::Until(Some(at.min(next))),
            (Poll::Until(None), next) => Poll::Until(next),
            (other, _) => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(since: Option<u64>, last: u64, writing: bool, retry_at: Option<u64>) -> Unwritten {
        let dir = std::env::temp_dir().join(format!("zones-dir-due-{}", std::process::id()));
        let ms = |t: u64| Instant(t * 1_000_000);
        Unwritten {
            file: "example.com".into(),
            journal: ZoneJournal::open(&dir, "example.com")
                .expect("no file yet")
                .journal,
            since: since.map(ms),
            last: ms(last),
            writing,
            retry_at: retry_at.map(ms),
        }
    }

    fn due_ms(state: &Unwritten) -> Option<u64> {
        DirectoryPrimary::due(state).map(|t| t.0 / 1_000_000)
    }

    #[test]
    fn a_zone_file_is_due_after_a_quiet_spell_or_at_most_after_its_first_change() {
        let quiet = WRITE_AFTER_QUIET.as_millis() as u64;
        let most = WRITE_AT_MOST_AFTER.as_millis() as u64;
        // One change at 1000 ms: written a quiet spell later.
        assert_eq!(
            due_ms(&state(Some(1000), 1000, false, None)),
            Some(1000 + quiet)
        );
        // Changes since 1000 ms, the last just now: the first one bounds it.
        let busy = 1000 + most - 10;
        assert_eq!(
            due_ms(&state(Some(1000), busy, false, None)),
            Some(1000 + most)
        );
        // Nothing unwritten, or a write under way: not due.
        assert_eq!(due_ms(&state(None, 1000, false, None)), None);
        assert_eq!(due_ms(&state(Some(1000), 1000, true, None)), None);
        // After a failed write, not before the retry time.
        let retry = 1000 + quiet + 10_000;
        assert_eq!(
            due_ms(&state(Some(1000), 1000, false, Some(retry))),
            Some(retry)
        );
    }
}
