//! A bounded journal of zone diffs for IXFR (RFC 1995 §5: a server keeps
//! "a history of changes" and falls back to a full transfer for serials
//! older than it remembers).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use dns_zone::{Record, Serial, ZoneDiff};

/// Default number of diffs kept.
pub const DEFAULT_MAX_DIFFS: usize = 64;
/// Default bound on the journal's size (wire octets of its records, an
/// estimate): 8 MiB, so a unikernel's journal stays a fraction of the
/// memory of the zones it serves.
pub const DEFAULT_MAX_BYTES: usize = 8 << 20;

/// Consecutive diffs of one zone, oldest first, bounded by count and size.
#[derive(Debug, Clone)]
pub struct Journal {
    diffs: VecDeque<ZoneDiff>,
    sizes: VecDeque<usize>,
    bytes: usize,
    max_diffs: usize,
    max_bytes: usize,
}

impl Default for Journal {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_DIFFS, DEFAULT_MAX_BYTES)
    }
}

fn record_size(r: &Record) -> usize {
    let mut w = Vec::new();
    dns_zone::name::name_to_wire(&r.owner, &mut w);
    w.len() + 10 + r.rdata.as_bytes().len()
}

/// Estimated wire size of a diff (uncompressed records).
pub fn diff_size(d: &ZoneDiff) -> usize {
    record_size(&d.old_soa)
        + record_size(&d.new_soa)
        + d.deleted.iter().map(record_size).sum::<usize>()
        + d.added.iter().map(record_size).sum::<usize>()
}

impl Journal {
    /// A journal keeping at most `max_diffs` diffs of at most `max_bytes`
    /// (estimated wire octets) together.
    pub fn new(max_diffs: usize, max_bytes: usize) -> Self {
        Self {
            diffs: VecDeque::new(),
            sizes: VecDeque::new(),
            bytes: 0,
            max_diffs,
            max_bytes,
        }
    }

    /// Appends the next diff. A diff that does not continue the last one
    /// (its start serial is not the last end serial) starts the journal
    /// afresh; then the oldest diffs go until the bounds hold. A diff
    /// larger than the whole bound is not kept (the journal is emptied:
    /// clients fall back to AXFR).
    pub fn push(&mut self, diff: ZoneDiff) {
        if self.last_serial().is_some_and(|s| s != diff.from_serial()) {
            self.clear();
        }
        let size = diff_size(&diff);
        if size > self.max_bytes || self.max_diffs == 0 {
            self.clear();
            return;
        }
        self.bytes += size;
        self.sizes.push_back(size);
        self.diffs.push_back(diff);
        while self.diffs.len() > self.max_diffs || self.bytes > self.max_bytes {
            self.diffs.pop_front();
            self.bytes -= self.sizes.pop_front().unwrap_or(0);
        }
    }

    /// Forgets everything (the zone was replaced by a full transfer or a
    /// reload without a diff).
    pub fn clear(&mut self) {
        self.diffs.clear();
        self.sizes.clear();
        self.bytes = 0;
    }

    /// The serial the newest diff leads to.
    pub fn last_serial(&self) -> Option<Serial> {
        self.diffs.back().map(ZoneDiff::to_serial)
    }

    /// The oldest serial a client can start an IXFR from.
    pub fn first_serial(&self) -> Option<Serial> {
        self.diffs.front().map(ZoneDiff::from_serial)
    }

    /// The diffs leading from `serial` to the newest version, if the
    /// journal reaches back that far.
    pub fn diffs_from(&self, serial: Serial) -> Option<Vec<&ZoneDiff>> {
        let start = self.diffs.iter().position(|d| d.from_serial() == serial)?;
        Some(self.diffs.iter().skip(start).collect())
    }

    /// Number of diffs kept.
    pub fn len(&self) -> usize {
        self.diffs.len()
    }

    /// Whether the journal is empty.
    pub fn is_empty(&self) -> bool {
        self.diffs.is_empty()
    }

    /// Estimated size of the kept diffs in octets.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}
