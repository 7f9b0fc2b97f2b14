//! The difference between two versions of a zone ([`ZoneDiff`]), as an
//! incremental zone transfer carries it (RFC 1995 §4): the old SOA, the
//! records deleted, the new SOA, the records added.

use alloc::vec::Vec;
use core::cmp::Ordering;

use hickory_proto::rr::{Name, RecordType};

use super::edit::EditError;
use super::key::NameKey;
use super::model::{Node, RRset, RRsetRef, Zone};
use super::serial::Serial;
use crate::rdata::{Rdata, RdataRef};

/// One record with its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub owner: Name,
    /// TTL.
    pub ttl: u32,
    /// Type.
    pub rtype: RecordType,
    /// RDATA.
    pub rdata: Rdata,
}

/// The serial of SOA RDATA in wire format, if it is long enough.
pub fn soa_serial(rdata: &[u8]) -> Option<Serial> {
    let t = rdata.len().checked_sub(20)?;
    let b = &rdata[t..t + 4];
    Some(Serial(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
}

/// The changes from one version of a zone to the next.
///
/// `deleted` and `added` never hold SOA records: the SOA change is
/// `old_soa` → `new_soa`. A TTL change of an RRset is all its old records
/// deleted and all its new records added. Records are compared in
/// canonical form (RFC 4034 §6.2), so a change of case alone is no change;
/// they are listed in canonical order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneDiff {
    /// The SOA of the version the diff starts from.
    pub old_soa: Record,
    /// The SOA of the version the diff leads to.
    pub new_soa: Record,
    /// Records removed.
    pub deleted: Vec<Record>,
    /// Records added.
    pub added: Vec<Record>,
}

impl ZoneDiff {
    /// The serial the diff starts from.
    pub fn from_serial(&self) -> Serial {
        soa_serial(self.old_soa.rdata.as_bytes()).unwrap_or(Serial(0))
    }

    /// The serial the diff leads to.
    pub fn to_serial(&self) -> Serial {
        soa_serial(self.new_soa.rdata.as_bytes()).unwrap_or(Serial(0))
    }

    /// Whether nothing but (possibly) the SOA changes.
    pub fn is_empty(&self) -> bool {
        self.deleted.is_empty() && self.added.is_empty()
    }

    /// Records in the diff, the two SOAs included (its length in an IXFR).
    pub fn record_count(&self) -> usize {
        self.deleted.len() + self.added.len() + 2
    }
}

fn soa_record(zone: &Zone) -> Record {
    let soa = zone.soa();
    Record {
        owner: zone.origin.clone(),
        ttl: soa.ttl(),
        rtype: RecordType::SOA,
        rdata: soa.first().to_owned(),
    }
}

fn push_all(out: &mut Vec<Record>, owner: &Name, set: RRsetRef<'_>) {
    out.extend(set.rdatas().map(|r| Record {
        owner: owner.clone(),
        ttl: set.ttl(),
        rtype: set.rtype(),
        rdata: r.to_owned(),
    }));
}

/// Adds the differences of two RRsets of the same owner and type.
fn diff_sets(d: &mut ZoneDiff, old: (&Name, RRsetRef<'_>), new: (&Name, RRsetRef<'_>)) {
    let (old_owner, a) = old;
    let (new_owner, b) = new;
    if a.ttl() != b.ttl() {
        push_all(&mut d.deleted, old_owner, a);
        push_all(&mut d.added, new_owner, b);
        return;
    }
    let t = a.rtype();
    let (mut x, mut y) = (a.rdatas().peekable(), b.rdatas().peekable());
    let rec = |owner: &Name, r: RdataRef<'_>| Record {
        owner: owner.clone(),
        ttl: a.ttl(),
        rtype: t,
        rdata: r.to_owned(),
    };
    loop {
        let ord = match (x.peek(), y.peek()) {
            (Some(p), Some(q)) => p.canonical_cmp(*q, t),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        match ord {
            Ordering::Less => d.deleted.extend(x.next().map(|r| rec(old_owner, r))),
            Ordering::Greater => d.added.extend(y.next().map(|r| rec(new_owner, r))),
            Ordering::Equal => {
                x.next();
                y.next();
            }
        }
    }
}

/// Adds the differences of the nodes of one name (SOA excepted).
fn diff_nodes(d: &mut ZoneDiff, old: Option<Node<'_>>, new: Option<Node<'_>>) {
    let Some(either) = old.or(new) else {
        return;
    };
    let old_owner = old.unwrap_or(either).owner();
    let new_owner = new.unwrap_or(either).owner();
    let (mut a, mut b) = (
        old.map(|n| n.rrsets()).into_iter().flatten().peekable(),
        new.map(|n| n.rrsets()).into_iter().flatten().peekable(),
    );
    loop {
        let ord = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => u16::from(x.rtype()).cmp(&u16::from(y.rtype())),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        match ord {
            Ordering::Less => {
                let set = a.next().expect("peeked");
                if set.rtype() != RecordType::SOA {
                    push_all(&mut d.deleted, &old_owner, set);
                }
            }
            Ordering::Greater => {
                let set = b.next().expect("peeked");
                if set.rtype() != RecordType::SOA {
                    push_all(&mut d.added, &new_owner, set);
                }
            }
            Ordering::Equal => {
                let (x, y) = (a.next().expect("peeked"), b.next().expect("peeked"));
                if x.rtype() != RecordType::SOA && x != y {
                    diff_sets(d, (&old_owner, x), (&new_owner, y));
                }
            }
        }
    }
}

/// A new version of a zone that differs from the served one but whose SOA
/// serial is not greater (RFC 1982): secondaries that hold the old serial
/// would never see the change, and a later IXFR would apply on top of
/// data they do not have. Checked by [`Zone::check_successor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerialNotIncreased {
    /// The serial of the version served now.
    pub old: Serial,
    /// The serial of the new version.
    pub new: Serial,
}

impl core::fmt::Display for SerialNotIncreased {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let how = match self.new.partial_cmp(&self.old) {
            Some(Ordering::Equal) => "the same",
            Some(Ordering::Less) => "older",
            _ => "2^31 away, neither older nor newer",
        };
        write!(
            f,
            "changed but serial {} not increased from {} ({how}, RFC 1982)",
            self.new, self.old
        )
    }
}

impl Zone {
    /// Whether this zone may replace `old`, the version served now: either
    /// they are equal, or this one's serial is greater (RFC 1982). The one
    /// rule for `solodns zone check --old`, a primary's reload and a
    /// secondary's transfer.
    pub fn check_successor(&self, old: &Zone) -> Result<(), SerialNotIncreased> {
        if self == old || self.serial().partial_cmp(&old.serial()) == Some(Ordering::Greater) {
            return Ok(());
        }
        Err(SerialNotIncreased {
            old: old.serial(),
            new: self.serial(),
        })
    }

    /// The changes from this zone to `new` (a later version of the same
    /// zone), walking both in canonical order.
    pub fn diff(&self, new: &Zone) -> ZoneDiff {
        let mut d = ZoneDiff {
            old_soa: soa_record(self),
            new_soa: soa_record(new),
            deleted: Vec::new(),
            added: Vec::new(),
        };
        // Chunks the two versions share hold the same nodes: skipped.
        let (mut a, mut b) = (self.nodes.cursor(), new.nodes.cursor());
        loop {
            if a.skip_shared(&mut b) {
                continue;
            }
            let ord = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(x), Some(y)) => x.key().cmp(y.key()),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
            };
            match ord {
                Ordering::Less => diff_nodes(&mut d, a.next_node(), None),
                Ordering::Greater => diff_nodes(&mut d, None, b.next_node()),
                Ordering::Equal => {
                    let (x, y) = (a.next_node(), b.next_node());
                    if x.map(Node::sets_bytes) != y.map(Node::sets_bytes) {
                        diff_nodes(&mut d, x, y);
                    }
                }
            }
        }
        d
    }

    /// The changes from this zone to `new` at the given names only (the
    /// caller knows nothing else changed), in canonical order.
    pub fn diff_names<'a>(
        &self,
        new: &Zone,
        names: impl IntoIterator<Item = &'a Name>,
    ) -> ZoneDiff {
        let mut d = ZoneDiff {
            old_soa: soa_record(self),
            new_soa: soa_record(new),
            deleted: Vec::new(),
            added: Vec::new(),
        };
        let mut keys: Vec<NameKey> = names.into_iter().map(NameKey::new).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            diff_nodes(
                &mut d,
                self.node_by_key(key.as_bytes()),
                new.node_by_key(key.as_bytes()),
            );
        }
        d
    }

    /// Applies `diff` (which must start at this zone's serial) and returns
    /// the new version. Strict, as an IXFR client must be: deleting a record
    /// that is not there or adding one that is fails, so that a diverged
    /// copy falls back to a full transfer.
    #[allow(clippy::result_large_err)] // names in errors; a cold path
    pub fn apply_diff(&self, diff: &ZoneDiff) -> Result<Zone, EditError> {
        if self.serial() != diff.from_serial() || diff.new_soa.rtype != RecordType::SOA {
            return Err(EditError::SerialMismatch);
        }
        let mut e = self.edit();
        for r in diff.deleted.iter().filter(|r| r.rtype != RecordType::SOA) {
            if !e.remove_record(&r.owner, r.rtype, &r.rdata) {
                return Err(EditError::MissingRecord(r.clone()));
            }
        }
        for r in diff.added.iter().filter(|r| r.rtype != RecordType::SOA) {
            if !e.add(&r.owner, r.ttl, r.rtype, r.rdata.clone()) {
                return Err(EditError::DuplicateRecord(r.clone()));
            }
        }
        let origin = self.origin.clone();
        e.replace_rrset(
            &origin,
            RRset::new(
                RecordType::SOA,
                diff.new_soa.ttl,
                alloc::vec![diff.new_soa.rdata.clone()],
            ),
        );
        e.finish()
    }
}
