//! Pack decoding: inflate every entry, then resolve deltas breadth-first
//! from their bases (git's `index-pack` order), so that every object is
//! produced once and no recursion depends on the input.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;
use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_PARSE_ZLIB_HEADER, TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
};
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;
use sha1::{Digest, Sha1};

use super::{
    parse_header, BaseRef, Error, Limits, PackObject, HEADER_LEN, OFS_DELTA, REF_DELTA, TRAILER_LEN,
};
use crate::delta;
use crate::object::{compute_id, Kind};
use crate::oid::{ObjectId, SHA1_LEN};

/// Entries to reserve space for up front, whatever the header claims.
const INITIAL_CAPACITY: usize = 4096;

enum Base {
    /// A non-delta entry of this kind.
    None(Kind),
    /// A delta against the entry with this index.
    Index(usize),
    /// A delta against the object with this id.
    Id(ObjectId),
}

struct Slot {
    offset: u64,
    base: Base,
    /// Inflated contents: the delta until resolved, then the object.
    data: Vec<u8>,
    /// Set once resolved.
    resolved: Option<(Kind, ObjectId)>,
    depth: u32,
}

/// Decodes and verifies a whole pack. `lookup` supplies bases of
/// `REF_DELTA` entries that are not in the pack (a thin pack's bases,
/// which the receiver already has).
///
/// Returns the objects in pack order. Fails on the first malformed entry,
/// on a checksum mismatch, on a missing base, or when a [`Limits`] bound is
/// exceeded; allocations are bounded by the limits, not by what the pack
/// declares.
pub fn decode<'s, F>(pack: &[u8], limits: &Limits, mut lookup: F) -> Result<Vec<PackObject>, Error>
where
    F: FnMut(&ObjectId) -> Option<(Kind, &'s [u8])>,
{
    if pack.len() < HEADER_LEN + TRAILER_LEN {
        return Err(Error::TooShort { len: pack.len() });
    }
    let count = parse_header(pack)?;
    if count > limits.max_objects {
        return Err(Error::TooManyObjects {
            count,
            limit: limits.max_objects,
        });
    }
    let body_end = pack.len() - TRAILER_LEN;
    let expected = ObjectId::from_slice(&pack[body_end..]).expect("trailer is 20 bytes");
    let actual = ObjectId::from_bytes(Sha1::digest(&pack[..body_end]).into());
    if expected != actual {
        return Err(Error::Checksum { expected, actual });
    }

    let mut slots: Vec<Slot> = Vec::with_capacity((count as usize).min(INITIAL_CAPACITY));
    let mut inflater: Box<DecompressorOxide> = Box::default();
    let mut pos = HEADER_LEN;
    let mut inflated_total = 0usize;
    for _ in 0..count {
        let offset = pos as u64;
        let (kind, size, n) =
            entry_header(&pack[pos..body_end]).ok_or(Error::EntryHeader { offset })?;
        pos += n;
        if size > limits.max_object_size as u64 {
            return Err(Error::ObjectTooLarge {
                offset,
                size,
                limit: limits.max_object_size,
            });
        }
        let base = match kind {
            OFS_DELTA => {
                let (distance, n) =
                    ofs_distance(&pack[pos..body_end]).ok_or(Error::EntryHeader { offset })?;
                pos += n;
                let base_offset = offset
                    .checked_sub(distance)
                    .ok_or(Error::OffsetBase { offset })?;
                if distance == 0 {
                    return Err(Error::OffsetBase { offset });
                }
                let index = slots
                    .binary_search_by_key(&base_offset, |s| s.offset)
                    .map_err(|_| Error::OffsetBase { offset })?;
                Base::Index(index)
            }
            REF_DELTA => {
                let id = pack
                    .get(pos..pos + SHA1_LEN)
                    .filter(|_| pos + SHA1_LEN <= body_end)
                    .and_then(ObjectId::from_slice)
                    .ok_or(Error::EntryHeader { offset })?;
                pos += SHA1_LEN;
                Base::Id(id)
            }
            k => Base::None(Kind::from_pack_type(k).ok_or(Error::EntryType { offset, kind: k })?),
        };
        // Bounded by max_object_size above.
        let size = size as usize;
        inflated_total = inflated_total.saturating_add(size);
        if inflated_total > limits.max_total_size {
            return Err(Error::TotalTooLarge {
                limit: limits.max_total_size,
            });
        }
        let (data, used) = inflate(&mut inflater, &pack[pos..body_end], size)
            .map_err(|e| e.at(offset, size as u64))?;
        pos += used;
        slots.push(Slot {
            offset,
            base,
            data,
            resolved: None,
            depth: 0,
        });
    }
    if pos != body_end {
        return Err(Error::TrailingData { offset: pos as u64 });
    }
    drop(inflater);

    resolve(&mut slots, limits, &mut lookup)?;

    Ok(slots
        .into_iter()
        .map(|s| {
            let (kind, id) = s.resolved.expect("resolve() leaves no entry unresolved");
            PackObject {
                id,
                kind,
                data: s.data,
            }
        })
        .collect())
}

fn resolve<'s, F>(slots: &mut [Slot], limits: &Limits, lookup: &mut F) -> Result<(), Error>
where
    F: FnMut(&ObjectId) -> Option<(Kind, &'s [u8])>,
{
    // Edges from bases to their deltas.
    let mut by_index: Vec<(usize, usize)> = Vec::new();
    let mut by_id: BTreeMap<ObjectId, Vec<usize>> = BTreeMap::new();
    let mut ready: Vec<usize> = Vec::new();
    let mut total = 0usize;
    for (i, slot) in slots.iter_mut().enumerate() {
        match slot.base {
            Base::None(kind) => {
                total = add_total(total, slot.data.len(), limits)?;
                slot.resolved = Some((kind, compute_id(kind, &slot.data)));
                ready.push(i);
            }
            Base::Index(b) => by_index.push((b, i)),
            Base::Id(id) => by_id.entry(id).or_default().push(i),
        }
    }
    by_index.sort_unstable();

    // Two rounds: first everything reachable from the pack's own bases,
    // then from bases already held (thin pack), then what those unlock.
    for round in 0..2 {
        if round == 1 {
            let wanted: Vec<ObjectId> = by_id.keys().copied().collect();
            for id in wanted {
                let Some((kind, base)) = lookup(&id) else {
                    continue;
                };
                for child in by_id.remove(&id).unwrap_or_default() {
                    total = apply_delta(slots, child, kind, base, 0, limits, total)?;
                    ready.push(child);
                }
            }
        }
        while let Some(b) = ready.pop() {
            let (kind, id) = slots[b].resolved.expect("ready entries are resolved");
            let start = by_index.partition_point(|&(base, _)| base < b);
            let mut children: Vec<usize> = by_index[start..]
                .iter()
                .take_while(|&&(base, _)| base == b)
                .map(|&(_, c)| c)
                .collect();
            children.extend(by_id.remove(&id).unwrap_or_default());
            for child in children {
                if slots[child].resolved.is_some() {
                    // Named twice (by offset and by id): nothing to do.
                    continue;
                }
                total = apply_from_slot(slots, child, b, kind, limits, total)?;
                ready.push(child);
            }
        }
    }

    if let Some(slot) = slots.iter().find(|s| s.resolved.is_none()) {
        let base = match slot.base {
            Base::Index(i) => BaseRef::Offset(slots[i].offset),
            Base::Id(id) => BaseRef::Id(id),
            Base::None(_) => unreachable!("non-delta entries are resolved first"),
        };
        return Err(Error::MissingBase {
            offset: slot.offset,
            base,
        });
    }
    Ok(())
}

fn add_total(total: usize, add: usize, limits: &Limits) -> Result<usize, Error> {
    let t = total.saturating_add(add);
    if t > limits.max_total_size {
        return Err(Error::TotalTooLarge {
            limit: limits.max_total_size,
        });
    }
    Ok(t)
}

/// Resolves entry `child` against the resolved entry `base`.
fn apply_from_slot(
    slots: &mut [Slot],
    child: usize,
    base: usize,
    kind: Kind,
    limits: &Limits,
    total: usize,
) -> Result<usize, Error> {
    let depth = slots[base].depth + 1;
    let offset = slots[child].offset;
    if depth > limits.max_delta_depth {
        return Err(Error::DeltaTooDeep {
            offset,
            limit: limits.max_delta_depth,
        });
    }
    let data = delta::apply(
        &slots[base].data,
        &slots[child].data,
        limits.max_object_size,
    )
    .map_err(|error| Error::Delta { offset, error })?;
    finish(slots, child, kind, data, depth, limits, total)
}

/// Resolves entry `child` against an object from outside the pack.
fn apply_delta(
    slots: &mut [Slot],
    child: usize,
    kind: Kind,
    base: &[u8],
    base_depth: u32,
    limits: &Limits,
    total: usize,
) -> Result<usize, Error> {
    let depth = base_depth + 1;
    let offset = slots[child].offset;
    if depth > limits.max_delta_depth {
        return Err(Error::DeltaTooDeep {
            offset,
            limit: limits.max_delta_depth,
        });
    }
    let data = delta::apply(base, &slots[child].data, limits.max_object_size)
        .map_err(|error| Error::Delta { offset, error })?;
    finish(slots, child, kind, data, depth, limits, total)
}

fn finish(
    slots: &mut [Slot],
    child: usize,
    kind: Kind,
    data: Vec<u8>,
    depth: u32,
    limits: &Limits,
    total: usize,
) -> Result<usize, Error> {
    let total = add_total(total, data.len(), limits)?;
    let slot = &mut slots[child];
    slot.resolved = Some((kind, compute_id(kind, &data)));
    slot.data = data;
    slot.depth = depth;
    Ok(total)
}

/// Parses an entry header: type, inflated size, bytes used.
fn entry_header(data: &[u8]) -> Option<(u8, u64, usize)> {
    let (&first, _) = data.split_first()?;
    let kind = (first >> 4) & 7;
    let mut size = u64::from(first & 0x0f);
    let mut shift = 4u32;
    let mut i = 0;
    let mut c = first;
    while c & 0x80 != 0 {
        i += 1;
        c = *data.get(i)?;
        if shift > 57 {
            return None;
        }
        size |= u64::from(c & 0x7f) << shift;
        shift += 7;
    }
    Some((kind, size, i + 1))
}

/// Parses the distance back to an `OFS_DELTA` base (a big-endian base-128
/// number where each continuation adds one, git's "offset encoding").
fn ofs_distance(data: &[u8]) -> Option<(u64, usize)> {
    let mut i = 0;
    let mut c = *data.first()?;
    let mut value = u64::from(c & 0x7f);
    while c & 0x80 != 0 {
        i += 1;
        c = *data.get(i)?;
        if value > (u64::MAX >> 7) - 1 {
            return None;
        }
        value = ((value + 1) << 7) | u64::from(c & 0x7f);
    }
    Some((value, i + 1))
}

enum InflateError {
    Corrupt,
    Size,
}

impl InflateError {
    fn at(self, offset: u64, expected: u64) -> Error {
        match self {
            InflateError::Corrupt => Error::Inflate { offset },
            InflateError::Size => Error::InflatedSize { offset, expected },
        }
    }
}

/// Inflates one zlib stream from the start of `input`, which must produce
/// exactly `size` bytes. Returns the data and the compressed bytes used.
fn inflate(
    state: &mut DecompressorOxide,
    input: &[u8],
    size: usize,
) -> Result<(Vec<u8>, usize), InflateError> {
    state.init();
    // One spare byte tells "exactly size" from "more than size".
    let mut out = vec![0u8; size + 1];
    let flags = TINFL_FLAG_PARSE_ZLIB_HEADER | TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, used, written) = decompress(state, input, &mut out, 0, flags);
    match status {
        TINFLStatus::Done if written == size => {
            out.truncate(size);
            Ok((out, used))
        }
        TINFLStatus::Done | TINFLStatus::HasMoreOutput => Err(InflateError::Size),
        _ => Err(InflateError::Corrupt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        // blob of 5 bytes: 0011_0101
        assert_eq!(entry_header(&[0x35]), Some((3, 5, 1)));
        // commit of 300 bytes: 300 = 0b1_0010_1100 -> low 4 = 1100, rest 10010
        assert_eq!(entry_header(&[0x80 | 0x10 | 0x0c, 0x12]), Some((1, 300, 2)));
        assert_eq!(entry_header(&[0x80 | 0x10]), None);
        assert_eq!(entry_header(&[0xff; 12]), None);
        assert_eq!(ofs_distance(&[0x05]), Some((5, 1)));
        // 0x81 0x00 -> ((1 + 1) << 7) | 0 = 256
        assert_eq!(ofs_distance(&[0x81, 0x00]), Some((256, 2)));
        assert_eq!(ofs_distance(&[0xff; 12]), None);
    }
}
