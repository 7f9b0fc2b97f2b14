//! How long a name waits after failed orders: exponential, capped, with
//! jitter, so that a persistent failure (a refused UPDATE, a CA that says
//! no) never becomes a tight loop against the CA or the primary, and many
//! names failing together do not retry together.

use core::time::Duration;

/// The wait after the first failure.
pub const FIRST_RETRY: Duration = Duration::from_secs(60);
/// The longest wait: a name is tried at least daily.
pub const MAX_RETRY: Duration = Duration::from_secs(24 * 3600);

/// The wait after `failures` failures in a row (at least one), before
/// jitter: [`FIRST_RETRY`] doubled per further failure, at most
/// [`MAX_RETRY`].
pub fn base_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    let delay = FIRST_RETRY.saturating_mul(1u32 << doublings);
    delay.min(MAX_RETRY)
}

/// The wait after `failures` failures with jitter from `random` (any
/// value from the caller's random generator): between three quarters of
/// [`base_delay`] and all of it.
pub fn retry_delay(failures: u32, random: u64) -> Duration {
    let base = u64::try_from(base_delay(failures).as_millis()).unwrap_or(u64::MAX);
    let spread = base / 4;
    let jitter = random % (spread + 1);
    Duration::from_millis(base - jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_a_minute_to_a_day() {
        let minutes = |f| base_delay(f).as_secs() / 60;
        assert_eq!(minutes(0), 1);
        assert_eq!(minutes(1), 1);
        assert_eq!(minutes(2), 2);
        assert_eq!(minutes(3), 4);
        assert_eq!(minutes(11), 1024);
        assert_eq!(minutes(12), 24 * 60);
        assert_eq!(minutes(u32::MAX), 24 * 60);
        for f in 1..40 {
            assert!(base_delay(f + 1) >= base_delay(f));
        }
    }

    #[test]
    fn jitter_stays_within_a_quarter_below_the_base() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for failures in 1..20 {
            let base = base_delay(failures);
            let (mut low, mut high) = (base, Duration::ZERO);
            for _ in 0..2000 {
                // splitmix64
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                let d = retry_delay(failures, z ^ (z >> 31));
                assert!(
                    d <= base && d >= base * 3 / 4,
                    "{failures}: {d:?} vs {base:?}"
                );
                low = low.min(d);
                high = high.max(d);
            }
            // The jitter really spreads: over most of the quarter.
            assert!(high - low > base / 5, "{failures}: {low:?}..{high:?}");
        }
        assert_eq!(retry_delay(1, 0), FIRST_RETRY);
        assert_eq!(retry_delay(1, 15_000), FIRST_RETRY * 3 / 4);
        assert_eq!(retry_delay(1, 15_001), FIRST_RETRY);
    }
}
