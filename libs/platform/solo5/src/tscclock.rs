//! TSC to nanoseconds, as Solo5's `bindings/hvt/tscclock.c` does it: a
//! 32.32 fixed-point multiplier chosen from the frequency the tender measured
//! (no floating point: the images are soft-float).

const NSEC_PER_SEC: u64 = 1_000_000_000;

/// Converts TSC ticks to nanoseconds for one TSC frequency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TscScale {
    mult: u32,
    shift: u8,
}

impl TscScale {
    /// The scale for `tsc_hz`, or `None` for a frequency below 1 Hz or so
    /// high that no multiplier fits (neither happens with a real tender).
    pub fn new(tsc_hz: u64) -> Option<TscScale> {
        if tsc_hz == 0 {
            return None;
        }
        // The largest shift (≤ 32) whose multiplier still fits in 32 bits
        // keeps the most precision.
        let mut shift: u8 = 32;
        while shift > 0 {
            let mult = ((NSEC_PER_SEC as u128) << shift) / tsc_hz as u128;
            if mult <= u32::MAX as u128 {
                if mult == 0 {
                    return None;
                }
                return Some(TscScale {
                    mult: mult as u32,
                    shift,
                });
            }
            shift -= 1;
        }
        None
    }

    /// Nanoseconds in `ticks` TSC ticks.
    pub fn ticks_to_ns(&self, ticks: u64) -> u64 {
        ((ticks as u128 * self.mult as u128) >> self.shift) as u64
    }
}

/// A monotonic clock over a free-running counter: accumulates converted
/// deltas so the multiplication never overflows however long the guest runs.
#[derive(Clone, Copy, Debug)]
pub struct MonotonicClock {
    scale: TscScale,
    last_ticks: u64,
    now_ns: u64,
}

impl MonotonicClock {
    /// A clock that reads `start_ticks` as time zero plus their conversion
    /// (so monotonic time is "time since the counter started").
    pub fn new(scale: TscScale, start_ticks: u64) -> Self {
        MonotonicClock {
            scale,
            last_ticks: start_ticks,
            now_ns: scale.ticks_to_ns(start_ticks),
        }
    }

    /// Advances to the counter value `ticks` and returns nanoseconds. A
    /// counter that went backwards (never on an invariant TSC) leaves the
    /// clock where it was, so the result never decreases.
    pub fn advance(&mut self, ticks: u64) -> u64 {
        if ticks > self.last_ticks {
            self.now_ns += self.scale.ticks_to_ns(ticks - self.last_ticks);
            self.last_ticks = ticks;
        }
        self.now_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_second_of_ticks_is_one_second() {
        for hz in [1_000_000u64, 2_100_000_000, 3_000_000_000, 4_999_999_999] {
            let scale = TscScale::new(hz).expect("valid frequency");
            let ns = scale.ticks_to_ns(hz);
            assert!(ns.abs_diff(NSEC_PER_SEC) <= 1, "{hz} Hz gave {ns} ns");
        }
    }

    #[test]
    fn zero_frequency_is_rejected() {
        assert_eq!(TscScale::new(0), None);
    }

    #[test]
    fn clock_is_monotonic_and_accumulates() {
        let scale = TscScale::new(1_000_000_000).expect("1 GHz");
        let mut clock = MonotonicClock::new(scale, 500);
        assert_eq!(clock.advance(500), 500);
        assert_eq!(clock.advance(1_500), 1_500);
        assert_eq!(
            clock.advance(1_000),
            1_500,
            "a counter going back does not move time back"
        );
        assert_eq!(clock.advance(u64::MAX / 2), u64::MAX / 2);
    }
}
