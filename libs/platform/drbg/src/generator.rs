//! The fast-key-erasure generator.

use core::fmt;

use chacha20::cipher::zeroize::{Zeroize, ZeroizeOnDrop};

use crate::keystream::{rekey, KEY_LEN};

/// Keystream bytes generated per refill: 12 ChaCha20 blocks, the size
/// Bernstein's paper uses. Larger refills amortise the rekey; smaller ones
/// keep less future output in memory.
pub const REFILL_LEN: usize = 768;

/// Output bytes a refill yields: the keystream minus the next key.
pub const OUTPUT_PER_REFILL: usize = REFILL_LEN - KEY_LEN;

/// A ChaCha20 fast-key-erasure random number generator.
///
/// Output is buffered: a refill generates [`REFILL_LEN`] bytes of
/// keystream, keeps the first [`KEY_LEN`] as the next key and serves the
/// remaining [`OUTPUT_PER_REFILL`] bytes to successive
/// [`fill_bytes`](Self::fill_bytes) calls, wiping each byte as it is
/// handed out. Buffering keeps small requests (a 2-byte DNS ID, a 12-byte
/// nonce) cheap: one refill serves hundreds of them.
///
/// Not `Clone`: two copies would hand out the same bytes.
pub struct Drbg {
    key: [u8; KEY_LEN],
    /// Unserved output is `buffer[served..]`; served bytes are zero.
    buffer: [u8; OUTPUT_PER_REFILL],
    served: usize,
}

impl Drbg {
    /// A generator whose key is `seed`. The seed must be uniformly random
    /// and secret, e.g. the output of a [`SeedCollector`](crate::SeedCollector).
    pub fn from_seed(seed: [u8; KEY_LEN]) -> Self {
        Drbg {
            key: seed,
            buffer: [0; OUTPUT_PER_REFILL],
            served: OUTPUT_PER_REFILL,
        }
    }

    /// Fills `out` with random bytes, refilling as often as needed.
    pub fn fill_bytes(&mut self, mut out: &mut [u8]) {
        while !out.is_empty() {
            if self.served == OUTPUT_PER_REFILL {
                rekey(&mut self.key, &mut self.buffer);
                self.served = 0;
            }
            let available = &mut self.buffer[self.served..];
            let n = available.len().min(out.len());
            let (now, rest) = out.split_at_mut(n);
            now.copy_from_slice(&available[..n]);
            available[..n].zeroize();
            self.served += n;
            out = rest;
        }
    }

    /// Mixes `extra` entropy into the state.
    ///
    /// Buffered output is discarded, then each 32-byte chunk of `extra` is
    /// XORed into the key, followed by one fast-key-erasure step (the key
    /// becomes the first 32 keystream bytes under the mixed key). Every
    /// byte served afterwards depends on all of `extra`.
    ///
    /// Why this is sound without a hash function:
    /// - XOR never weakens a secret key: if the key is uniform and unknown,
    ///   `key ^ chunk` is too, for any chunk chosen without knowledge of
    ///   the key, including one chosen by an attacker.
    /// - After a state compromise, the key is known and `key ^ chunk` is
    ///   exactly as hard to guess as the chunk, so the generator recovers
    ///   once the fresh entropy is out of reach of a guess.
    /// - The step after each chunk makes the key a ChaCha20 output rather
    ///   than a value with attacker-known structure, and chains the chunks,
    ///   so later chunks cannot cancel earlier ones by XOR. It relies on the
    ///   assumption the whole design rests on: ChaCha20's keystream is a
    ///   pseudorandom function of its key.
    pub fn reseed(&mut self, extra: &[u8]) {
        self.buffer.zeroize();
        self.served = OUTPUT_PER_REFILL;
        for chunk in extra.chunks(KEY_LEN) {
            self.key.iter_mut().zip(chunk).for_each(|(k, e)| *k ^= e);
            rekey(&mut self.key, &mut []);
        }
    }
}

impl fmt::Debug for Drbg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drbg")
            .field("buffered", &(OUTPUT_PER_REFILL - self.served))
            .finish_non_exhaustive()
    }
}

impl Drop for Drbg {
    fn drop(&mut self) {
        self.key.zeroize();
        self.buffer.zeroize();
    }
}

impl ZeroizeOnDrop for Drbg {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_sizes_do_not_change_the_stream() {
        let mut whole = [0u8; 3 * REFILL_LEN];
        Drbg::from_seed([7; KEY_LEN]).fill_bytes(&mut whole);

        for sizes in [
            &[1usize, 2, 3, 700, 1000][..],
            &[OUTPUT_PER_REFILL, 1, 1],
            &[0, 2303, 0, 1],
        ] {
            let mut drbg = Drbg::from_seed([7; KEY_LEN]);
            let mut pieces = [0u8; 3 * REFILL_LEN];
            let mut at = 0;
            for &size in sizes.iter().cycle().take(64) {
                let end = (at + size).min(pieces.len());
                drbg.fill_bytes(&mut pieces[at..end]);
                at = end;
            }
            assert_eq!(at, pieces.len(), "{sizes:?} cover the buffer");
            assert_eq!(pieces, whole, "{sizes:?}");
        }
    }

    #[test]
    fn served_bytes_are_wiped() {
        let mut drbg = Drbg::from_seed([1; KEY_LEN]);
        let mut out = [0u8; 100];
        drbg.fill_bytes(&mut out);
        assert!(drbg.buffer[..100].iter().all(|&b| b == 0));
        assert!(drbg.buffer[100..].iter().any(|&b| b != 0));
        drbg.reseed(b"x");
        assert!(drbg.buffer.iter().all(|&b| b == 0));
    }

    #[test]
    fn debug_shows_no_key_material() {
        extern crate std;
        let mut drbg = Drbg::from_seed([0xab; KEY_LEN]);
        drbg.fill_bytes(&mut [0u8; 36]);
        assert_eq!(std::format!("{drbg:?}"), "Drbg { buffered: 700, .. }");
    }
}
