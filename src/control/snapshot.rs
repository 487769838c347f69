//! The counters the live engine hands to the control plane every stats
//! interval. Each stage keeps plain per-thread counters; the engine copies
//! them into a [`LiveSnapshot`] and the control thread publishes it, so
//! the packet path never touches a shared atomic or the metrics crate.
//!
//! Every counter must be a running total over the life of the process
//! (carried across rule reloads), because Prometheus counters may only go
//! up: a total that dropped back would be ignored until it caught up.

use crate::engine::worker::WorkerStats;
use crate::engine::ReaderStats;
use crate::output::stage::OutputStats;

/// Counters of one receive socket (or AF_PACKET ring).
#[derive(Debug, Clone, Default)]
pub struct ReceiverStats {
    pub datagrams: u64,
    pub bytes: u64,
    /// The kernel's count of datagrams dropped because the socket buffer was
    /// full (SO_RXQ_OVFL), or frames dropped by an AF_PACKET ring.
    pub kernel_drops: u64,
    /// Datagrams from a source address not allowed to send mirror traffic.
    pub denied_source: u64,
    /// Datagrams whose VXLAN/GENEVE VNI is not in the allowed set.
    pub denied_vni: u64,
    /// Datagrams larger than the receive buffer (MSG_TRUNC): dropped.
    pub oversize: u64,
    /// Datagrams too short for a VXLAN/GENEVE header or with a bad header.
    pub not_tunnel: u64,
    /// Receive calls that failed with something other than "no data".
    pub recv_errors: u64,
    /// Bytes waiting in the socket's receive buffer, and its size, when
    /// last read (SO_MEMINFO; 0 for AF_PACKET): how close to kernel drops.
    pub buffer_queued: u64,
    pub buffer_capacity: u64,
}

impl ReceiverStats {
    pub fn merge(&mut self, o: &ReceiverStats) {
        let ReceiverStats {
            datagrams,
            bytes,
            kernel_drops,
            denied_source,
            denied_vni,
            oversize,
            not_tunnel,
            recv_errors,
            buffer_queued,
            buffer_capacity,
        } = o;
        self.datagrams += datagrams;
        self.bytes += bytes;
        self.kernel_drops += kernel_drops;
        self.denied_source += denied_source;
        self.denied_vni += denied_vni;
        self.oversize += oversize;
        self.not_tunnel += not_tunnel;
        self.recv_errors += recv_errors;
        self.buffer_queued += buffer_queued;
        self.buffer_capacity += buffer_capacity;
    }
}

/// The rule set in use and how reloads went.
#[derive(Debug, Clone, Default)]
pub struct RulesetStatus {
    /// Increases by one with every successful load (the first is 1).
    pub generation: u64,
    /// Rules compiled into the running set.
    pub loaded: usize,
    /// Rules skipped because they did not parse or compile.
    pub failed: usize,
    /// The rule files of the running set.
    pub files: Vec<String>,
    /// When the running set was loaded (seconds since the Unix epoch).
    pub loaded_at_unix: f64,
    pub reloads_ok: u64,
    pub reloads_failed: u64,
    /// Why the last reload failed; None once a later one succeeds (the old
    /// set stays in use after a failure).
    pub last_error: Option<String>,
}

/// Everything the control plane publishes, taken at one moment.
#[derive(Debug, Clone, Default)]
pub struct LiveSnapshot {
    /// One entry per receiver, labelled like `vxlan 0.0.0.0:4789 #0`.
    pub receivers: Vec<(String, ReceiverStats)>,
    /// Decode and dispatch counters merged over the receivers: decode
    /// errors by reason, truncated packets, queue-full drops, defrag.
    pub reader: ReaderStats,
    /// One per worker, in worker order.
    pub workers: Vec<WorkerStats>,
    /// Batches waiting in each worker's queue.
    pub queue_depths: Vec<usize>,
    /// Batches each worker queue holds at most.
    pub queue_capacity: usize,
    pub alerts: OutputStats,
    pub ruleset: RulesetStatus,
    /// `dataset:set` items refused at a set's memcap (the sets are shared
    /// by the workers; the count starts again with a rule reload).
    pub datasets_refused: u64,
    /// The sinks of `output.sinks`.
    pub sinks: Vec<crate::output::sinks::SinkStats>,
}

impl LiveSnapshot {
    /// The receivers' counters added up.
    pub fn receivers_total(&self) -> ReceiverStats {
        let mut t = ReceiverStats::default();
        for (_, r) in &self.receivers {
            t.merge(r);
        }
        t
    }
}

/// What the sensor shed between two snapshots, one line per kind of loss
/// that rose (empty: nothing): what `/health` reports as degraded.
pub fn shedding(prev: &LiveSnapshot, now: &LiveSnapshot) -> Vec<String> {
    let (r0, r1) = (prev.receivers_total(), now.receivers_total());
    let sum = |s: &LiveSnapshot, f: &dyn Fn(&WorkerStats) -> u64| -> u64 { s.workers.iter().map(f).sum() };
    let defrag = |s: &LiveSnapshot| {
        let d = &s.reader.defrag;
        d.dropped_max_trackers + d.dropped_memcap + d.dropped_max_fragments + d.dropped_too_large
    };
    let rises = [
        ("datagrams dropped by the kernel (socket buffer full)", r0.kernel_drops, r1.kernel_drops),
        ("packets dropped at full worker queues", prev.reader.queue_full_packets, now.reader.queue_full_packets),
        ("flows evicted at flow.memcap", sum(prev, &|w| w.flows.evicted), sum(now, &|w| w.flows.evicted)),
        (
            "TCP segments not reassembled (stream memcap or max_segments)",
            sum(prev, &|w| w.stream.memcap_drops + w.stream.segment_limit_drops),
            sum(now, &|w| w.stream.memcap_drops + w.stream.segment_limit_drops),
        ),
        ("fragmented datagrams given up at a defrag limit", defrag(prev), defrag(now)),
        (
            "EVE records dropped at a full output queue",
            sum(prev, &|w| w.records_dropped.iter().sum()),
            sum(now, &|w| w.records_dropped.iter().sum()),
        ),
    ];
    rises.into_iter().filter(|(_, a, b)| b > a).map(|(what, a, b)| format!("{what}: {}", b - a)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_stats_merge_every_field() {
        let one = ReceiverStats {
            datagrams: 1,
            bytes: 2,
            kernel_drops: 3,
            denied_source: 4,
            denied_vni: 5,
            oversize: 6,
            not_tunnel: 7,
            recv_errors: 8,
            buffer_queued: 9,
            buffer_capacity: 10,
        };
        let s = LiveSnapshot { receivers: vec![("a".into(), one.clone()), ("b".into(), one)], ..Default::default() };
        let t = s.receivers_total();
        assert_eq!(
            [
                t.datagrams,
                t.bytes,
                t.kernel_drops,
                t.denied_source,
                t.denied_vni,
                t.oversize,
                t.not_tunnel,
                t.recv_errors,
                t.buffer_queued,
                t.buffer_capacity
            ],
            [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
        );
    }

    #[test]
    fn shedding_names_what_rose_and_by_how_much() {
        let mut a =
            LiveSnapshot { workers: vec![WorkerStats::default(), WorkerStats::default()], ..Default::default() };
        a.receivers = vec![("r".into(), ReceiverStats { kernel_drops: 5, denied_source: 9, ..Default::default() })];
        assert!(shedding(&a, &a).is_empty());
        let mut b = a.clone();
        b.workers[1].flows.evicted = 7;
        b.workers[0].stream.memcap_drops = 2;
        b.workers[1].stream.segment_limit_drops = 1;
        b.reader.defrag.dropped_max_trackers = 4;
        // Policy refusals are not losses.
        b.receivers[0].1.denied_source = 100;
        assert_eq!(
            shedding(&a, &b),
            vec![
                "flows evicted at flow.memcap: 7".to_string(),
                "TCP segments not reassembled (stream memcap or max_segments): 3".into(),
                "fragmented datagrams given up at a defrag limit: 4".into(),
            ]
        );
        b.receivers[0].1.kernel_drops = 6;
        b.reader.queue_full_packets = 3;
        b.workers[0].records_dropped[0] = 2;
        let r = shedding(&a, &b);
        assert_eq!(r.len(), 6, "{r:?}");
        assert_eq!(r[0], "datagrams dropped by the kernel (socket buffer full): 1");
    }
}
