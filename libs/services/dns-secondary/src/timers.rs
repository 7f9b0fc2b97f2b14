//! The SOA timers of one secondary zone (RFC 1034 §4.3.5, RFC 1035
//! §3.3.13): when to check the primary next, and when the copy expires.
//!
//! Sans-IO: every method takes `now`; nothing here reads a clock. Intervals
//! are shortened by a random jitter of up to [`JITTER_PERCENT`] so that
//! many secondaries (or many zones) restarted together do not ask their
//! primary in lockstep.

use core::time::Duration;
use netstack::Instant;

/// Most of an interval the jitter takes off, in percent.
pub const JITTER_PERCENT: u64 = 10;
/// Shortest refresh or retry interval we follow: a zone with smaller SOA
/// values would keep the primary busy; tests use a few seconds.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Longest interval we follow (BIND's max-refresh-time is 4 weeks too).
pub const MAX_INTERVAL: Duration = Duration::from_secs(28 * 24 * 3600);
/// First retry while no copy of the zone has loaded yet (there are no SOA
/// timers to follow): doubles on each failure up to [`BOOT_RETRY_MAX`].
pub const BOOT_RETRY_MIN: Duration = Duration::from_secs(1);
/// Longest wait between attempts while no copy has loaded yet.
pub const BOOT_RETRY_MAX: Duration = Duration::from_secs(60);

/// The refresh, retry and expire fields of an SOA record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoaTimers {
    /// Check the primary this often while it answers.
    pub refresh: Duration,
    /// Check this often after a failed check.
    pub retry: Duration,
    /// Stop answering this long after the last successful check.
    pub expire: Duration,
}

impl SoaTimers {
    /// The timers of an SOA RDATA's last 20 octets (serial, refresh, retry,
    /// expire, minimum) as `dns_zone::Zone::soa_timers` returns them.
    pub fn from_fields(fields: [u32; 5]) -> SoaTimers {
        let seconds = |s: u32| Duration::from_secs(u64::from(s));
        SoaTimers {
            refresh: seconds(fields[1]),
            retry: seconds(fields[2]),
            expire: seconds(fields[3]),
        }
    }
}

/// A small deterministic generator (SplitMix64) for jitter and message IDs;
/// seeded from the platform's randomness by the caller, or fixed in tests.
#[derive(Clone, Debug)]
pub struct Jitter(u64);

impl Jitter {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Jitter {
        Jitter(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `interval` minus a random part of up to [`JITTER_PERCENT`] of it.
    pub fn shorten(&mut self, interval: Duration) -> Duration {
        let nanos = interval.as_nanos().min(u128::from(u64::MAX)) as u64;
        let span = nanos / 100 * JITTER_PERCENT;
        let cut = if span == 0 { 0 } else { self.next_u64() % span };
        Duration::from_nanos(nanos - cut)
    }
}

fn clamp(interval: Duration) -> Duration {
    interval.clamp(MIN_INTERVAL, MAX_INTERVAL)
}

/// When to check a zone's primary and when the zone expires.
///
/// Call [`RefreshTimer::succeeded`] after every check that reached the
/// primary (up to date or transferred), [`RefreshTimer::failed`] after one
/// that did not, [`RefreshTimer::notified`] on a NOTIFY. Poll again at
/// [`RefreshTimer::deadline`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTimer {
    next_check: Instant,
    /// When the loaded copy stops being served; `None` before the first
    /// successful check.
    expires_at: Option<Instant>,
    /// The next wait while no copy has loaded.
    boot_retry: Duration,
}

impl RefreshTimer {
    /// A zone not loaded yet: check at once.
    pub fn new(now: Instant) -> RefreshTimer {
        RefreshTimer {
            next_check: now,
            expires_at: None,
            boot_retry: BOOT_RETRY_MIN,
        }
    }

    /// Whether a check is due.
    pub fn check_due(&self, now: Instant) -> bool {
        now >= self.next_check
    }

    /// When the next check is due.
    pub fn next_check(&self) -> Instant {
        self.next_check
    }

    /// A NOTIFY came (RFC 1996 §4.7): check at once.
    pub fn notified(&mut self, now: Instant) {
        self.next_check = self.next_check.min(now);
    }

    /// The primary answered at `now` (up to date, or a transfer completed)
    /// and the zone's SOA says `timers`: refresh later, expire counts from
    /// now.
    pub fn succeeded(&mut self, now: Instant, timers: SoaTimers, jitter: &mut Jitter) {
        self.next_check = now.after(jitter.shorten(clamp(timers.refresh)));
        self.expires_at = Some(now.after(timers.expire.min(MAX_INTERVAL)));
        self.boot_retry = BOOT_RETRY_MIN;
    }

    /// A check failed at `now`: retry after the SOA retry interval of the
    /// copy we have (`timers`), or with a doubling backoff when there is
    /// none. The expiry time does not move.
    pub fn failed(&mut self, now: Instant, timers: Option<SoaTimers>, jitter: &mut Jitter) {
        let wait = match timers {
            Some(timers) => clamp(timers.retry),
            None => {
                let wait = self.boot_retry;
                self.boot_retry = (wait * 2).min(BOOT_RETRY_MAX);
                wait
            }
        };
        self.next_check = now.after(jitter.shorten(wait));
    }

    /// Whether the copy has expired: no successful check for the SOA
    /// expire time (RFC 1035 §3.3.13).
    pub fn expired(&self, now: Instant) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// When the copy expires, if one has loaded.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// The next time something happens: a check, or the expiry.
    pub fn deadline(&self, now: Instant) -> Instant {
        match self.expires_at {
            Some(at) if at > now => self.next_check.min(at),
            _ => self.next_check,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    fn at(seconds: u64) -> Instant {
        Instant(seconds * SECOND)
    }

    fn timers(refresh: u64, retry: u64, expire: u64) -> SoaTimers {
        SoaTimers {
            refresh: Duration::from_secs(refresh),
            retry: Duration::from_secs(retry),
            expire: Duration::from_secs(expire),
        }
    }

    #[test]
    fn soa_fields_map_to_timers() {
        let t = SoaTimers::from_fields([2026112301, 7200, 3600, 1209600, 300]);
        assert_eq!(t, timers(7200, 3600, 1209600));
    }

    #[test]
    fn a_new_zone_is_checked_at_once_and_never_expires_before_loading() {
        let t = RefreshTimer::new(at(5));
        assert!(t.check_due(at(5)));
        assert!(!t.expired(at(1_000_000)));
        assert_eq!(t.expires_at(), None);
    }

    #[test]
    fn refresh_follows_the_soa_with_at_most_ten_percent_jitter() {
        let mut jitter = Jitter::new(1);
        for seed in 0..200 {
            let mut jitter_seeded = Jitter::new(seed);
            let mut t = RefreshTimer::new(at(0));
            t.succeeded(at(100), timers(7200, 3600, 1209600), &mut jitter_seeded);
            let wait = t.next_check().since(at(100));
            assert!(wait <= Duration::from_secs(7200), "{wait:?}");
            assert!(wait >= Duration::from_secs(6480), "{wait:?}");
            assert_eq!(t.expires_at(), Some(at(100 + 1209600)));
        }
        // Different seeds spread the checks.
        let mut waits = alloc::vec::Vec::new();
        for _ in 0..20 {
            waits.push(jitter.shorten(Duration::from_secs(7200)));
        }
        waits.sort();
        waits.dedup();
        assert!(waits.len() > 10, "jitter varies: {waits:?}");
    }

    #[test]
    fn failures_retry_after_the_soa_retry_and_expire_counts_from_the_last_success() {
        let mut jitter = Jitter::new(7);
        let soa = timers(10, 2, 30);
        let mut t = RefreshTimer::new(at(0));
        t.succeeded(at(0), soa, &mut jitter);
        assert!(!t.check_due(at(8)));
        assert!(t.check_due(at(10)));
        // The primary is gone: retries every ~2 s, expiry stays at 30 s.
        let mut now = at(10);
        while !t.expired(now) {
            assert!(now < at(31), "expired by 30 s");
            t.failed(now, Some(soa), &mut jitter);
            let wait = t.next_check().since(now);
            assert!(wait > Duration::from_millis(1799) && wait <= Duration::from_secs(2));
            now = t.deadline(now);
        }
        assert_eq!(now, at(30), "the deadline lands on the expiry");
        // It answers again: a fresh expiry.
        t.succeeded(at(40), soa, &mut jitter);
        assert!(!t.expired(at(40)));
        assert!(t.expired(at(70)));
    }

    #[test]
    fn before_the_first_load_retries_back_off_to_a_minute() {
        let mut jitter = Jitter::new(3);
        let mut t = RefreshTimer::new(at(0));
        let mut now = at(0);
        let mut waits = alloc::vec::Vec::new();
        for _ in 0..10 {
            t.failed(now, None, &mut jitter);
            let wait = t.next_check().since(now);
            waits.push(wait.as_secs_f64().round() as u64);
            now = t.next_check();
        }
        assert!(waits[0] <= 1 && waits[1] <= 2 && waits[2] <= 4);
        assert!(waits.iter().all(|w| *w <= 60), "{waits:?}");
        assert!(waits[9] >= 54, "{waits:?}");
    }

    #[test]
    fn notify_brings_the_check_forward_but_never_back() {
        let mut jitter = Jitter::new(9);
        let mut t = RefreshTimer::new(at(0));
        t.succeeded(at(0), timers(3600, 600, 86400), &mut jitter);
        assert!(!t.check_due(at(5)));
        t.notified(at(5));
        assert!(t.check_due(at(5)));
        let mut u = RefreshTimer::new(at(0));
        u.notified(at(5));
        assert_eq!(u.next_check(), at(0));
    }

    #[test]
    fn tiny_and_huge_soa_values_are_clamped() {
        let mut jitter = Jitter::new(11);
        let mut t = RefreshTimer::new(at(0));
        t.succeeded(at(0), timers(0, 0, 0), &mut jitter);
        assert!(t.next_check() >= at(0).after(Duration::from_millis(900)));
        assert!(t.expired(at(0)), "an expire of 0 expires at once");
        t.succeeded(
            at(0),
            timers(u32::MAX as u64, 1, u32::MAX as u64),
            &mut jitter,
        );
        assert!(t.next_check() <= at(0).after(MAX_INTERVAL));
        assert_eq!(t.expires_at(), Some(at(0).after(MAX_INTERVAL)));
    }
}
