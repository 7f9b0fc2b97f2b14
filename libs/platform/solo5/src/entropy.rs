//! Randomness: a ChaCha20 fast-key-erasure DRBG (crate `drbg`) seeded at
//! boot from RDSEED (RDRAND where RDSEED is missing) mixed with TSC jitter,
//! and registered as the `getrandom` custom backend for crates that ask for
//! randomness themselves (getrandom 0.2, and 0.3/0.4 which share one hook).

use core::arch::asm;
use core::arch::x86_64::__cpuid_count;
use drbg::{Drbg, SeedCollector};
use spin::Mutex;

static DRBG: Mutex<Option<Drbg>> = Mutex::new(None);

/// Hardware words to mix in; each RDSEED word carries full entropy, so this
/// is four times the 256-bit seed.
const HARDWARE_WORDS: usize = 16;
/// TSC jitter samples added on top (cheap, and independent of the RNG unit).
const JITTER_SAMPLES: usize = 64;
/// Intel's guidance: retry RDRAND/RDSEED a bounded number of times.
const RETRIES: usize = 100;

fn rdtsc() -> u64 {
    // SAFETY: rdtsc has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

fn rdseed() -> Option<u64> {
    for _ in 0..RETRIES {
        let value: u64;
        let ok: u8;
        // SAFETY: only called when CPUID advertises RDSEED.
        unsafe {
            asm!("rdseed {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack))
        };
        if ok == 1 {
            return Some(value);
        }
    }
    None
}

fn rdrand() -> Option<u64> {
    for _ in 0..RETRIES {
        let value: u64;
        let ok: u8;
        // SAFETY: only called when CPUID advertises RDRAND.
        unsafe {
            asm!("rdrand {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack))
        };
        if ok == 1 {
            return Some(value);
        }
    }
    None
}

/// Seeds the DRBG. Aborts when the CPU offers neither RDSEED nor RDRAND:
/// TSC jitter alone is too weak for TSIG and SSH keys.
pub(crate) fn init() {
    let has_rdrand = (__cpuid_count(1, 0).ecx >> 30) & 1 == 1;
    let has_rdseed = (__cpuid_count(7, 0).ebx >> 18) & 1 == 1;
    let source: fn() -> Option<u64> = match (has_rdseed, has_rdrand) {
        (true, _) => rdseed,
        (false, true) => rdrand,
        (false, false) => crate::abort_early("Solo5: the CPU has neither RDSEED nor RDRAND"),
    };
    let mut collector = SeedCollector::new();
    for _ in 0..HARDWARE_WORDS {
        match source() {
            Some(word) => collector.absorb_u64(word),
            None => crate::abort_early("Solo5: the CPU random number unit keeps failing"),
        }
    }
    let mut previous = rdtsc();
    for _ in 0..JITTER_SAMPLES {
        let now = rdtsc();
        collector.absorb_u64(now.wrapping_sub(previous));
        previous = now;
    }
    *DRBG.lock() = Some(Drbg::from_seed(collector.finish()));
}

/// Fills `dest` with random bytes.
pub fn fill(dest: &mut [u8]) {
    match DRBG.lock().as_mut() {
        Some(drbg) => drbg.fill_bytes(dest),
        None => crate::abort_early("Solo5: randomness requested before the DRBG was seeded"),
    }
}

/// Mixes fresh hardware entropy into the DRBG (call now and then from long
/// running services; cheap).
pub fn reseed() {
    let mut extra = [0u8; 32];
    for chunk in extra.chunks_mut(8) {
        let word = rdseed().or_else(rdrand).unwrap_or_else(rdtsc);
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    if let Some(drbg) = DRBG.lock().as_mut() {
        drbg.reseed(&extra);
    }
}

/// The getrandom 0.3 and 0.4 custom backend (both call this symbol).
#[no_mangle]
unsafe extern "Rust" fn __getrandom_v03_custom(
    dest: *mut u8,
    len: usize,
) -> Result<(), getrandom::Error> {
    // SAFETY: getrandom passes a valid, writable buffer of `len` bytes.
    fill(unsafe { core::slice::from_raw_parts_mut(dest, len) });
    Ok(())
}

fn getrandom02_fill(dest: &mut [u8]) -> Result<(), getrandom02::Error> {
    fill(dest);
    Ok(())
}
getrandom02::register_custom_getrandom!(getrandom02_fill);
