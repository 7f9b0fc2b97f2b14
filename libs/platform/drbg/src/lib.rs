//! Randomness for solodns unikernels: a ChaCha20 fast-key-erasure random
//! number generator ([`Drbg`]) and the accumulator that turns raw entropy
//! samples into its seed ([`SeedCollector`]).
//!
//! The construction is Bernstein's "Fast-key-erasure random-number
//! generators" (2017): the whole state is one 32-byte ChaCha20 key. A refill
//! runs ChaCha20 under that key (nonce 0, block counter from 0), takes the
//! first 32 bytes of keystream as the next key and hands out the rest,
//! wiping every byte as it is handed out. Whoever reads the state at any
//! moment learns nothing about output that was already returned.
//!
//! This crate does no IO: the unikernel reads RDSEED/RDRAND and TSC jitter
//! (in `libs/platform/solo5`), feeds the words to a [`SeedCollector`], and passes
//! the [`Drbg`] it yields to whatever needs randomness.
//!
//! ```
//! use drbg::SeedCollector;
//!
//! let mut collector = SeedCollector::new();
//! for sample in [0x1234_5678_9abc_def0_u64, 17, 23, 5] {
//!     collector.absorb_u64(sample); // RDSEED words, TSC deltas, …
//! }
//! let mut rng = collector.into_drbg();
//! let mut nonce = [0u8; 12];
//! rng.fill_bytes(&mut nonce);
//! rng.reseed(&0xfeed_u64.to_le_bytes()); // later entropy
//! ```
//!
//! On `x86_64-unknown-none` the crate insists on the portable ChaCha20
//! backend (`--cfg chacha20_force_soft`, set in `.cargo/config.toml`): the
//! SIMD backends need SSE, which unikernel images do not use. Nothing in
//! this crate panics.

#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

#[cfg(all(target_os = "none", not(chacha20_force_soft)))]
compile_error!(
    "drbg on a bare-metal target needs `--cfg chacha20_force_soft` \
     (see .cargo/config.toml): ChaCha20's SIMD backends use SSE"
);

mod generator;
mod keystream;
mod seed;

pub use generator::{Drbg, OUTPUT_PER_REFILL, REFILL_LEN};
pub use keystream::KEY_LEN;
pub use seed::SeedCollector;
