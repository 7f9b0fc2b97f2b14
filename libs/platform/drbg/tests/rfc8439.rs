//! Known answers derived from RFC 8439, Appendix A.1 ("ChaCha20 Block
//! Functions"), test vectors #1 and #2: key all zero, nonce all zero,
//! block counter 0 and 1.
//!
//! With an all-zero seed the generator's first refill is exactly that
//! keystream: bytes 0..32 of block 0 become the next key, and output starts
//! at byte 32 of block 0, continuing into block 1.

use drbg::{Drbg, KEY_LEN, OUTPUT_PER_REFILL};

/// RFC 8439 A.1 test vector #1, "ChaCha state at the end" serialized.
const BLOCK_0: [u8; 64] = hex(
    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7\
     da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
);

/// RFC 8439 A.1 test vector #2 (block counter 1).
const BLOCK_1: [u8; 64] = hex(
    "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed\
     29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f",
);

const fn hex<const N: usize>(s: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not lowercase hex"),
        }
    }
    let s = s.as_bytes();
    let mut out = [0u8; N];
    let (mut i, mut j) = (0, 0);
    while i < s.len() {
        out[j] = nibble(s[i]) << 4 | nibble(s[i + 1]);
        i += 2;
        j += 1;
    }
    assert!(j == N, "wrong length");
    out
}

#[test]
fn first_output_is_the_rest_of_block_0_then_block_1() {
    let mut drbg = Drbg::from_seed([0; KEY_LEN]);
    let mut out = [0u8; 96];
    drbg.fill_bytes(&mut out);
    assert_eq!(out[..32], BLOCK_0[32..]);
    assert_eq!(out[32..], BLOCK_1);
}

/// The second refill runs under the key taken from the first 32 bytes of
/// block 0. Expected bytes: `openssl enc -chacha20` with that key and a
/// zero IV (counter 0, nonce 0) over 64 zero bytes, bytes 32..64.
#[test]
fn second_refill_is_keyed_by_the_start_of_block_0() {
    const SECOND_REFILL_START: [u8; 32] =
        hex("afbdad2845b93cdbb2fe6463d2fe162adae0f6e676f0494218f5ce0596e79f5c");
    let mut drbg = Drbg::from_seed([0; KEY_LEN]);
    let mut first = [0u8; OUTPUT_PER_REFILL];
    drbg.fill_bytes(&mut first);
    let mut second = [0u8; 32];
    drbg.fill_bytes(&mut second);
    assert_eq!(second, SECOND_REFILL_START);
}

/// `reseed` XORs into the key and rekeys once: from the zero key and
/// `extra = [1; 32]`, the key becomes ChaCha20(key = 01…01) bytes 0..32
/// (`023f3720…`), whose keystream bytes 32..64 are the first output.
#[test]
fn reseed_is_xor_then_one_rekey() {
    const AFTER_RESEED: [u8; 32] =
        hex("968aa5d2195ac07eca250d246c77050cea7ccafe37933004285cd1f2ee566eec");
    let mut drbg = Drbg::from_seed([0; KEY_LEN]);
    drbg.reseed(&[1; 32]);
    let mut out = [0u8; 32];
    drbg.fill_bytes(&mut out);
    assert_eq!(out, AFTER_RESEED);
}

#[test]
fn successive_outputs_differ() {
    let mut drbg = Drbg::from_seed([0; KEY_LEN]);
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    drbg.fill_bytes(&mut a);
    drbg.fill_bytes(&mut b);
    assert_ne!(a, b);
}

#[test]
fn reseed_changes_the_stream() {
    let mut plain = Drbg::from_seed([0; KEY_LEN]);
    let mut reseeded = Drbg::from_seed([0; KEY_LEN]);
    let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
    plain.fill_bytes(&mut a);
    reseeded.fill_bytes(&mut b);
    assert_eq!(a, b);

    reseeded.reseed(&[0x42]);
    plain.fill_bytes(&mut a);
    reseeded.fill_bytes(&mut b);
    assert_ne!(a, b);

    // Entropy beyond the first 32 bytes counts too.
    let (mut short, mut long) = (Drbg::from_seed([0; KEY_LEN]), Drbg::from_seed([0; KEY_LEN]));
    short.reseed(&[7; 32]);
    long.reseed(&[7; 33]);
    short.fill_bytes(&mut a);
    long.fill_bytes(&mut b);
    assert_ne!(a, b);
}
