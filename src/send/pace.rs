//! Rate pacing: a token bucket on the monotonic clock.
//!
//! Tokens accrue from a base instant at `rate` per second, computed from the
//! elapsed time rather than added up per wake-up, so rounding never drifts
//! and the long-run rate is exact. The sender waits for about a millisecond
//! of tokens (at most a batch) before each batch. Time lost to the
//! scheduler on a busy machine is made up with back-to-back batches, up to
//! 100 ms of debt; beyond that the debt is forgotten, so a long stall is not
//! followed by a burst no receiver could take.

use std::time::{Duration, Instant};

/// Waits are slept except for their last stretch, which is spun
/// (yielding): a sleep can overshoot by tens of microseconds, which at 1M
/// pps is tens of datagrams. Spinning whole waits instead would burn the
/// core the receiver under test needs (on loopback, the same machine).
const SPIN_BELOW: Duration = Duration::from_micros(60);

const NANOS_PER_SEC: u128 = 1_000_000_000;

#[derive(Debug)]
pub struct Pacer {
    rate: u64,
    /// Tokens waited for before a batch.
    burst: u64,
    /// Most tokens that may build up (debt from falling behind).
    limit: u64,
    base: Instant,
    /// Tokens held at `base`.
    credit: u64,
    /// Tokens spent since `base`.
    spent: u64,
}

impl Pacer {
    /// `rate` datagrams per second (at least 1); batches of a millisecond
    /// of tokens, at least one and at most `max_burst`.
    pub fn new(rate: u64, max_burst: usize, now: Instant) -> Self {
        let rate = rate.max(1);
        let burst = (rate / 1000).clamp(1, max_burst.max(1) as u64);
        let limit = (rate / 10).max(burst);
        Pacer { rate, burst, limit, base: now, credit: burst, spent: 0 }
    }

    #[cfg(test)]
    pub fn burst(&self) -> u64 {
        self.burst
    }

    /// Tokens available at `now`.
    pub fn available(&mut self, now: Instant) -> u64 {
        let avail = (self.credit + self.earned(now)).saturating_sub(self.spent);
        if avail > self.limit {
            self.base = now;
            self.credit = self.limit;
            self.spent = 0;
            return self.limit;
        }
        avail
    }

    /// How long until `min(want, burst)` tokens are available (zero if they are).
    pub fn wait_for(&mut self, want: u64, now: Instant) -> Duration {
        let want = want.clamp(1, self.burst);
        let avail = self.available(now);
        if avail >= want {
            return Duration::ZERO;
        }
        // avail < want means spent + want > credit + earned >= credit.
        let needed = u128::from(self.spent + want - self.credit);
        let at_ns = (needed * NANOS_PER_SEC).div_ceil(u128::from(self.rate));
        let elapsed_ns = now.saturating_duration_since(self.base).as_nanos();
        let wait_ns = at_ns.saturating_sub(elapsed_ns);
        Duration::from_nanos(u64::try_from(wait_ns).unwrap_or(u64::MAX))
    }

    /// Blocks until at least `min(want, burst)` tokens are available and
    /// returns how many may be spent now (at most `want`).
    pub fn acquire(&mut self, want: u64) -> u64 {
        loop {
            let now = Instant::now();
            let wait = self.wait_for(want, now);
            if wait.is_zero() {
                return self.available(now).min(want);
            }
            if wait > SPIN_BELOW {
                std::thread::sleep(wait - SPIN_BELOW);
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Records tokens spent (datagrams sent).
    pub fn spend(&mut self, n: u64) {
        self.spent += n;
    }

    fn earned(&self, now: Instant) -> u64 {
        let elapsed_ns = now.saturating_duration_since(self.base).as_nanos();
        u64::try_from(elapsed_ns * u128::from(self.rate) / NANOS_PER_SEC).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_starts_with_a_burst_and_refills_at_rate() {
        let t0 = Instant::now();
        let mut p = Pacer::new(100_000, 64, t0);
        assert_eq!(p.burst(), 64);
        assert_eq!(p.available(t0), 64);
        p.spend(64);
        assert_eq!(p.available(t0), 0);
        // 100k pps: one token per 10 us; the wait is for a burst at most.
        assert_eq!(p.wait_for(1, t0), Duration::from_micros(10));
        assert_eq!(p.wait_for(10, t0), Duration::from_micros(100));
        assert_eq!(p.wait_for(1000, t0), Duration::from_micros(640));
        assert_eq!(p.available(t0 + Duration::from_micros(105)), 10);
        assert_eq!(p.wait_for(10, t0 + Duration::from_micros(105)), Duration::ZERO);
    }

    #[test]
    fn long_run_rate_is_exact_without_drift() {
        // Simulated clock: spend whatever is available every 7 us for 1 s.
        let t0 = Instant::now();
        let mut p = Pacer::new(333_333, 64, t0);
        let mut sent = 0;
        let mut t = t0;
        while t < t0 + Duration::from_secs(1) {
            let n = p.available(t);
            p.spend(n);
            sent += n;
            t += Duration::from_micros(7);
        }
        // The initial burst plus one second of tokens, give or take one.
        let expected: u64 = 333_333 + p.burst();
        assert!(sent.abs_diff(expected) <= 1, "{sent} vs {expected}");
    }

    #[test]
    fn time_lost_to_the_scheduler_is_made_up() {
        // Sending every 3 ms at 10k pps (30 tokens a turn) keeps the rate.
        let t0 = Instant::now();
        let mut p = Pacer::new(10_000, 64, t0);
        let mut sent = 0;
        for turn in 0..1000u64 {
            let now = t0 + Duration::from_millis(3 * turn);
            let n = p.available(now);
            p.spend(n);
            sent += n;
        }
        assert!(sent.abs_diff(29_970 + p.burst()) <= 1, "{sent}");
    }

    #[test]
    fn a_long_stall_does_not_cause_a_long_burst() {
        let t0 = Instant::now();
        let mut p = Pacer::new(10_000, 64, t0);
        assert_eq!(p.burst(), 10);
        p.spend(10);
        // 100 ms of debt at most, however long the stall.
        let later = t0 + Duration::from_secs(5);
        assert_eq!(p.available(later), 1000);
        p.spend(1000);
        assert_eq!(p.available(later), 0);
        assert_eq!(p.wait_for(10, later), Duration::from_millis(1));
    }

    #[test]
    fn low_rates_pace_one_at_a_time() {
        let t0 = Instant::now();
        let mut p = Pacer::new(10, 64, t0);
        assert_eq!(p.burst(), 1);
        p.spend(1);
        assert_eq!(p.wait_for(64, t0), Duration::from_millis(100));
        let mut q = Pacer::new(0, 0, t0);
        assert_eq!(q.burst(), 1);
        q.spend(1);
        assert_eq!(q.wait_for(1, t0), Duration::from_secs(1));
    }
}
