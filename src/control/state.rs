//! What the health endpoint judges the sensor by: whether rules are
//! loaded, whether it is shutting down, and when each worker last made
//! progress.
//!
//! Workers write only their own heartbeat, once per batch or idle tick, so
//! the cost on the packet path is one relaxed store to a cache line nobody
//! else writes; the control thread reads them when asked.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

/// The sensor's health as a load balancer should see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Healthy,
    /// Inspecting, but shedding load or state (what rose in the last
    /// stats interval, one entry per kind of loss). A load balancer should
    /// keep sending: the sensor is up, and its drop counters say what it
    /// shed.
    Degraded(Vec<String>),
    /// Why traffic should go elsewhere, one reason per entry.
    Unhealthy(Vec<String>),
}

impl Health {
    /// Whether traffic should keep coming (healthy or degraded).
    pub fn is_healthy(&self) -> bool {
        matches!(self, Health::Healthy | Health::Degraded(_))
    }
}

/// Liveness state shared (behind an `Arc`) by workers, the reload logic
/// and the control plane.
#[derive(Debug)]
pub struct SensorState {
    pub started: Instant,
    rules_loaded: AtomicBool,
    draining: AtomicBool,
    /// Milliseconds since `started` of each worker's last progress. Padded
    /// so one worker's store never invalidates another worker's line.
    heartbeats: Vec<CachePadded<AtomicU64>>,
    /// What the control thread saw being shed in its last stats interval
    /// (never touched on the packet path).
    shedding: Mutex<Vec<String>>,
}

// Relaxed ordering throughout: each value is a standalone fact read for a
// report, nothing else is published through it, and a reading that is a
// moment stale is harmless next to seconds-long stall thresholds.
impl SensorState {
    /// State for `workers` workers, each counted as having just beaten (a
    /// worker only becomes suspect `stall_after` after the start).
    pub fn new(workers: usize) -> Arc<SensorState> {
        Arc::new(SensorState {
            started: Instant::now(),
            rules_loaded: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            heartbeats: (0..workers).map(|_| CachePadded::new(AtomicU64::new(0))).collect(),
            shedding: Mutex::new(Vec::new()),
        })
    }

    /// Records that `worker` made progress now. Workers call this once per
    /// batch and also on their idle tick: a worker that only beats when
    /// traffic arrives would look stalled on a quiet mirror. An index out
    /// of range is ignored.
    pub fn beat(&self, worker: usize) {
        if let Some(h) = self.heartbeats.get(worker) {
            h.store(self.now_ms(), Ordering::Relaxed);
        }
    }

    pub fn set_rules_loaded(&self, loaded: bool) {
        self.rules_loaded.store(loaded, Ordering::Relaxed);
    }

    pub fn set_draining(&self, draining: bool) {
        self.draining.store(draining, Ordering::Relaxed);
    }

    /// Sets what the sensor is shedding now (empty: nothing).
    pub fn set_shedding(&self, reasons: Vec<String>) {
        *self.shedding.lock().unwrap_or_else(|e| e.into_inner()) = reasons;
    }

    pub fn rules_loaded(&self) -> bool {
        self.rules_loaded.load(Ordering::Relaxed)
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    pub fn workers(&self) -> usize {
        self.heartbeats.len()
    }

    /// Milliseconds since the state was created.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Health now.
    pub fn health(&self, stall_after: Duration) -> Health {
        self.health_at(self.now_ms(), stall_after)
    }

    /// Health at `now_ms` (milliseconds since the start); a separate entry
    /// point so tests need not sleep.
    pub fn health_at(&self, now_ms: u64, stall_after: Duration) -> Health {
        let mut reasons = Vec::new();
        if !self.rules_loaded() {
            reasons.push("rules not loaded".to_string());
        }
        if self.draining() {
            reasons.push("draining (shutting down)".to_string());
        }
        let limit = u64::try_from(stall_after.as_millis()).unwrap_or(u64::MAX);
        for (i, h) in self.heartbeats.iter().enumerate() {
            let idle = now_ms.saturating_sub(h.load(Ordering::Relaxed));
            if idle > limit {
                reasons.push(format!("worker {i} stalled for {:.1} s", idle as f64 / 1000.0));
            }
        }
        if !reasons.is_empty() {
            return Health::Unhealthy(reasons);
        }
        let shedding = self.shedding.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if shedding.is_empty() {
            Health::Healthy
        } else {
            Health::Degraded(shedding)
        }
    }

    /// Sets a heartbeat to a given time (tests of the stall logic).
    #[cfg(test)]
    pub(crate) fn beat_at(&self, worker: usize, ms: u64) {
        if let Some(h) = self.heartbeats.get(worker) {
            h.store(ms, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALL: Duration = Duration::from_secs(10);

    #[test]
    fn unhealthy_until_rules_load() {
        let s = SensorState::new(2);
        assert_eq!(s.health_at(0, STALL), Health::Unhealthy(vec!["rules not loaded".into()]));
        s.set_rules_loaded(true);
        assert_eq!(s.health_at(1_000, STALL), Health::Healthy);
        s.set_rules_loaded(false);
        assert!(!s.health_at(1_000, STALL).is_healthy());
    }

    #[test]
    fn stalled_worker_is_named_until_it_beats_again() {
        let s = SensorState::new(4);
        s.set_rules_loaded(true);
        for w in 0..4 {
            s.beat_at(w, 5_000);
        }
        assert_eq!(s.health_at(15_000, STALL), Health::Healthy, "exactly the limit is not a stall");
        s.beat_at(0, 16_000);
        s.beat_at(1, 16_000);
        s.beat_at(2, 16_000);
        assert_eq!(s.health_at(17_400, STALL), Health::Unhealthy(vec!["worker 3 stalled for 12.4 s".into()]));
        s.beat_at(3, 17_400);
        assert_eq!(s.health_at(17_500, STALL), Health::Healthy);
    }

    #[test]
    fn draining_is_unhealthy_with_every_reason_listed() {
        let s = SensorState::new(1);
        s.set_rules_loaded(true);
        s.set_draining(true);
        assert_eq!(s.health_at(0, STALL), Health::Unhealthy(vec!["draining (shutting down)".into()]));
        s.set_rules_loaded(false);
        let Health::Unhealthy(r) = s.health_at(60_000, STALL) else { panic!("healthy") };
        assert_eq!(r.len(), 3, "{r:?}");
    }

    #[test]
    fn beat_records_now_and_ignores_unknown_workers() {
        let s = SensorState::new(1);
        s.set_rules_loaded(true);
        s.beat(7);
        s.beat(0);
        let now = s.now_ms();
        assert!(s.health_at(now + 9_000, STALL).is_healthy());
        assert!(!s.health_at(now + 11_000, STALL).is_healthy());
    }

    #[test]
    fn shedding_degrades_but_keeps_traffic_coming() {
        let s = SensorState::new(1);
        s.set_rules_loaded(true);
        s.set_shedding(vec!["flows evicted at flow.memcap: 3".into()]);
        let h = s.health_at(1_000, STALL);
        assert_eq!(h, Health::Degraded(vec!["flows evicted at flow.memcap: 3".into()]));
        assert!(h.is_healthy());
        // A real fault outranks shedding.
        s.set_draining(true);
        assert!(!s.health_at(1_000, STALL).is_healthy());
        s.set_draining(false);
        s.set_shedding(Vec::new());
        assert_eq!(s.health_at(1_000, STALL), Health::Healthy);
    }
}
