//! Turning entropy samples into a seed.

use core::fmt;

use chacha20::cipher::zeroize::{Zeroize, ZeroizeOnDrop};

use crate::generator::Drbg;
use crate::keystream::{rekey, KEY_LEN};

/// Accumulates entropy samples into a 32-byte seed.
///
/// Samples are XORed into a ChaCha20 key, 32 bytes at a time; each time
/// 32 bytes have been absorbed, the key is replaced by the first 32 bytes
/// of its own keystream. The key thus chains every sample absorbed so far
/// through ChaCha20, so the seed is as hard to guess as the samples
/// together, however the entropy is spread over their bits (TSC deltas
/// carry a few bits in their low bytes; RDSEED words carry 64).
///
/// Rekeying per 32 bytes rather than per sample keeps collection cheap
/// under an emulating hypervisor, where one ChaCha20 block costs
/// milliseconds.
///
/// The samples themselves (RDSEED, RDRAND, TSC jitter) are read by the
/// caller; this type only mixes.
pub struct SeedCollector {
    key: [u8; KEY_LEN],
    /// Bytes XORed into `key` since the last rekey.
    pending: usize,
    absorbed: u64,
}

impl SeedCollector {
    /// An empty collector.
    pub fn new() -> Self {
        SeedCollector {
            key: [0; KEY_LEN],
            pending: 0,
            absorbed: 0,
        }
    }

    /// Absorbs one 64-bit sample: an RDSEED/RDRAND word or a TSC delta.
    pub fn absorb_u64(&mut self, sample: u64) {
        self.absorb(&sample.to_le_bytes());
    }

    /// Absorbs arbitrary bytes.
    pub fn absorb(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.key[self.pending] ^= byte;
            self.pending += 1;
            if self.pending == KEY_LEN {
                rekey(&mut self.key, &mut []);
                self.pending = 0;
            }
        }
        self.absorbed = self.absorbed.saturating_add(bytes.len() as u64);
    }

    /// How many bytes have been absorbed, for callers that collect until
    /// a quota is met.
    pub fn absorbed(&self) -> u64 {
        self.absorbed
    }

    /// The seed: the key after a final rekey, so that the seed is a
    /// ChaCha20 output even when the last samples were not followed by one.
    pub fn finish(mut self) -> [u8; KEY_LEN] {
        rekey(&mut self.key, &mut []);
        let seed = self.key;
        // `self` is wiped when dropped here.
        seed
    }

    /// A generator seeded with [`finish`](Self::finish).
    pub fn into_drbg(self) -> Drbg {
        Drbg::from_seed(self.finish())
    }
}

impl Default for SeedCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SeedCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeedCollector")
            .field("absorbed", &self.absorbed)
            .finish_non_exhaustive()
    }
}

impl Drop for SeedCollector {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl ZeroizeOnDrop for SeedCollector {}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_of(samples: &[u64]) -> [u8; KEY_LEN] {
        let mut collector = SeedCollector::new();
        samples.iter().for_each(|&s| collector.absorb_u64(s));
        collector.finish()
    }

    #[test]
    fn every_sample_and_its_position_matter() {
        let samples = [1u64, 2, 3, 4, 5, 6, 7, 8, 9];
        let seed = seed_of(&samples);
        assert_eq!(seed, seed_of(&samples), "deterministic");
        assert_ne!(seed, seed_of(&[]));
        for i in 0..samples.len() {
            let mut changed = samples;
            changed[i] ^= 1 << 40;
            assert_ne!(seed, seed_of(&changed), "sample {i}");
        }
        // Equal samples 32 bytes apart would cancel under plain XOR.
        assert_ne!(seed_of(&[9, 0, 0, 0, 9]), seed_of(&[0, 0, 0, 0, 0]));
        assert_ne!(seed_of(&[1, 2]), seed_of(&[2, 1]));
    }

    #[test]
    fn absorbing_in_pieces_is_absorbing_at_once() {
        let bytes: [u8; 100] = core::array::from_fn(|i| i as u8);
        let mut whole = SeedCollector::new();
        whole.absorb(&bytes);
        let mut pieces = SeedCollector::new();
        for piece in bytes.chunks(7) {
            pieces.absorb(piece);
        }
        assert_eq!(pieces.absorbed(), 100);
        assert_eq!(whole.finish(), pieces.finish());
    }

    #[test]
    fn collector_seeds_a_generator() {
        let mut collector = SeedCollector::default();
        collector.absorb_u64(0x0123_4567_89ab_cdef);
        let seed = seed_of(&[0x0123_4567_89ab_cdef]);
        let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
        collector.into_drbg().fill_bytes(&mut a);
        Drbg::from_seed(seed).fill_bytes(&mut b);
        assert_eq!(a, b);
    }
}
