//! Pack writing: every object whole (no deltas), zlib-deflated.

use alloc::vec::Vec;
use miniz_oxide::deflate::compress_to_vec_zlib;
use sha1::{Digest, Sha1};

use super::{HEADER_LEN, SIGNATURE};
use crate::object::Kind;

/// zlib level for pack entries: git's default (`core.compression` -1 → 6).
const COMPRESSION_LEVEL: u8 = 6;

/// Writes a version-2 pack holding `objects`, with its SHA-1 trailer.
pub fn write<'a, I>(objects: I) -> Vec<u8>
where
    I: IntoIterator<Item = (Kind, &'a [u8])>,
{
    let mut out = Vec::with_capacity(HEADER_LEN + 64);
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    let mut count: u32 = 0;
    for (kind, data) in objects {
        write_entry_header(&mut out, kind.pack_type(), data.len() as u64);
        out.extend_from_slice(&compress_to_vec_zlib(data, COMPRESSION_LEVEL));
        count = count
            .checked_add(1)
            .expect("fewer than 2^32 objects in one pack");
    }
    out[8..12].copy_from_slice(&count.to_be_bytes());
    let trailer: [u8; 20] = Sha1::digest(&out).into();
    out.extend_from_slice(&trailer);
    out
}

/// Appends the type-and-size header of a pack entry.
fn write_entry_header(out: &mut Vec<u8>, kind: u8, mut size: u64) {
    let mut c = (kind << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size != 0 {
        out.push(c | 0x80);
        c = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::{decode, Limits};
    use alloc::string::ToString;

    #[test]
    fn round_trip() {
        let big = alloc::vec![b'x'; 100_000];
        let objects = [
            (Kind::Blob, &b"hello\n"[..]),
            (Kind::Blob, &big[..]),
            (Kind::Tree, &b""[..]),
        ];
        let pack = write(objects.iter().copied());
        let decoded = decode(&pack, &Limits::default(), |_| None).unwrap();
        assert_eq!(decoded.len(), 3);
        assert_eq!(
            decoded[0].id.to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(decoded[1].data, big);
        assert_eq!(
            decoded[2].id.to_string(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
    }

    #[test]
    fn empty_pack() {
        let pack = write(core::iter::empty());
        assert_eq!(pack.len(), 32);
        assert!(decode(&pack, &Limits::default(), |_| None)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn header_sizes() {
        let mut v = Vec::new();
        write_entry_header(&mut v, 3, 5);
        assert_eq!(v, [0x35]);
        v.clear();
        write_entry_header(&mut v, 1, 300);
        assert_eq!(v, [0x9c, 0x12]);
    }
}
