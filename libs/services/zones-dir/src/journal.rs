//! One zone's journal file: the changes made since its zone file was last
//! written, as [`dns_zone::write_journal_entry`] encodes them.
//!
//! The file is `<dir>/.journal/<zone>` (a hidden directory: never read as
//! a zone or an `$INCLUDE`). An entry is appended and synced before the
//! UPDATE is acknowledged; once the zone file holds a serial, the entries
//! up to it are dropped ([`ZoneJournal::written`]).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use dns_zone::{read_journal, write_journal_entry, JournalError, Serial, ZoneDiff};

/// The directory of the journals, inside the zone directory.
pub const JOURNAL_DIR: &str = ".journal";

/// The journal of one zone: its file, and the entries not yet in the zone
/// file (kept in memory to rewrite the file without them).
#[derive(Debug)]
pub struct ZoneJournal {
    path: PathBuf,
    /// (serial the entry leads to, its bytes), oldest first.
    entries: Vec<(Serial, Vec<u8>)>,
    /// Length of the file: what a failed append is cut back to.
    length: u64,
}

/// What [`ZoneJournal::open`] found in a journal file.
#[derive(Debug)]
pub struct Opened {
    /// The journal, holding the entries it read.
    pub journal: ZoneJournal,
    /// The changes read, oldest first.
    pub diffs: Vec<ZoneDiff>,
    /// Why bytes after the last whole entry were not read (a write cut
    /// short by a crash, never acknowledged), if there were any.
    pub torn: Option<JournalError>,
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to `path` atomically: a temporary file, synced, renamed
/// over it, the directory synced.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut out = File::create(&temporary)?;
    out.write_all(bytes)?;
    out.sync_all()?;
    std::fs::rename(&temporary, path)?;
    sync_dir(dir)
}

impl ZoneJournal {
    /// The journal of `zone_file` (the zone's file name) in `dir`, read
    /// if it exists. A torn tail is cut off the file at once, so that new
    /// entries never follow garbage.
    pub fn open(dir: &Path, zone_file: &str) -> io::Result<Opened> {
        let path = dir.join(JOURNAL_DIR).join(zone_file);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let (diffs, torn) = read_journal(&bytes);
        let mut journal = ZoneJournal {
            path,
            entries: Vec::new(),
            length: bytes.len() as u64,
        };
        for diff in &diffs {
            let mut entry = Vec::new();
            write_journal_entry(diff, &mut entry);
            journal.entries.push((diff.to_serial(), entry));
        }
        if torn.is_some() {
            journal.rewrite()?;
        }
        Ok(Opened {
            journal,
            diffs,
            torn,
        })
    }

    /// Path of the journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether changes wait to be written to the zone file.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends `diff` and syncs it: once this returns `Ok`, the change
    /// survives a crash. On an error the file is cut back to what it held.
    pub fn append(&mut self, diff: &ZoneDiff) -> io::Result<()> {
        let mut entry = Vec::new();
        write_journal_entry(diff, &mut entry);
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let created = !self.path.exists();
        if created {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let written = file
            .write_all(&entry)
            .and_then(|()| file.sync_data())
            .and_then(|()| if created { sync_dir(dir) } else { Ok(()) });
        if let Err(error) = written {
            // A partial entry would hide every later one: cut it off.
            let _ = file.set_len(self.length).and_then(|()| file.sync_data());
            return Err(error);
        }
        self.length += entry.len() as u64;
        self.entries.push((diff.to_serial(), entry));
        Ok(())
    }

    /// The zone file now holds `serial`: the entries up to it are dropped
    /// (the file removed when none is left).
    pub fn written(&mut self, serial: Serial) -> io::Result<()> {
        let Some(last) = self.entries.iter().position(|(to, _)| *to == serial) else {
            return Ok(());
        };
        self.entries.drain(..=last);
        self.rewrite()
    }

    /// Forgets every entry and removes the file (the zone file was
    /// replaced by the operator's and is the truth now).
    pub fn discard(&mut self) -> io::Result<()> {
        self.entries.clear();
        self.rewrite()
    }

    fn rewrite(&mut self) -> io::Result<()> {
        if self.entries.is_empty() {
            match std::fs::remove_file(&self.path) {
                Ok(()) => sync_dir(self.path.parent().unwrap_or(Path::new(".")))?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            self.length = 0;
            return Ok(());
        }
        let bytes: Vec<u8> = self
            .entries
            .iter()
            .flat_map(|(_, e)| e.iter().copied())
            .collect();
        replace_file(&self.path, &bytes)?;
        self.length = bytes.len() as u64;
        Ok(())
    }

    /// Moves the file aside as `<zone>.unused-<suffix>` (entries that do
    /// not continue the zone file: kept for the operator, never replayed)
    /// and starts empty; returns the new path.
    pub fn set_aside(&mut self, suffix: &str) -> io::Result<PathBuf> {
        let name = self
            .path
            .file_name()
            .map_or_else(Default::default, |n| n.to_string_lossy());
        let aside = self.path.with_file_name(format!("{name}.unused-{suffix}"));
        std::fs::rename(&self.path, &aside)?;
        sync_dir(self.path.parent().unwrap_or(Path::new(".")))?;
        self.entries.clear();
        self.length = 0;
        Ok(aside)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dns_zone::Zone;

    fn zone(serial: u32, extra: &str) -> Zone {
        let text = format!(
            "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hostmaster {serial} 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n{extra}"
        );
        Zone::parse(text.as_bytes(), "example.com.".parse().unwrap())
            .unwrap()
            .0
    }

    fn temp_dir(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("zones-dir-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn appended_entries_survive_a_reopen_and_go_once_written() {
        let dir = temp_dir("append");
        let (z1, z2, z3) = (
            zone(1, ""),
            zone(2, "a A 192.0.2.2\n"),
            zone(3, "b A 192.0.2.3\n"),
        );
        let mut journal = ZoneJournal::open(&dir, "example.com").unwrap().journal;
        assert!(journal.is_empty() && !journal.path().exists());
        journal.append(&z1.diff(&z2)).unwrap();
        journal.append(&z2.diff(&z3)).unwrap();
        let opened = ZoneJournal::open(&dir, "example.com").unwrap();
        assert_eq!(opened.diffs, [z1.diff(&z2), z2.diff(&z3)]);
        assert!(opened.torn.is_none());
        let mut journal = opened.journal;
        journal.written(Serial(2)).unwrap();
        assert_eq!(
            ZoneJournal::open(&dir, "example.com").unwrap().diffs,
            [z2.diff(&z3)]
        );
        journal.written(Serial(3)).unwrap();
        assert!(!journal.path().exists(), "no entry left, no file");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_torn_tail_is_cut_off_before_the_next_append() {
        let dir = temp_dir("torn");
        let (z1, z2, z3) = (zone(1, ""), zone(2, "a A 192.0.2.2\n"), zone(3, ""));
        let mut journal = ZoneJournal::open(&dir, "example.com").unwrap().journal;
        journal.append(&z1.diff(&z2)).unwrap();
        let path = journal.path().to_path_buf();
        // A crash in the middle of the second entry's write.
        let mut half = Vec::new();
        write_journal_entry(&z2.diff(&z3), &mut half);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&half[..half.len() / 2]).unwrap();
        let opened = ZoneJournal::open(&dir, "example.com").unwrap();
        assert_eq!(opened.diffs, [z1.diff(&z2)]);
        assert!(opened.torn.is_some());
        let mut journal = opened.journal;
        journal.append(&z2.diff(&z3)).unwrap();
        let again = ZoneJournal::open(&dir, "example.com").unwrap();
        assert_eq!(again.diffs, [z1.diff(&z2), z2.diff(&z3)]);
        assert!(again.torn.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
