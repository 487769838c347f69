//! The counters of a run as EVE `stats` records show them: Suricata's
//! stats tree (`decoder`, `flow`, `tcp`, `app_layer`, `detect`, `defrag`)
//! where Suricata has the counter, and ours under `mirrorids`.

use super::reader::ReaderStats;
use super::worker::WorkerStats;
use crate::app::AppProto;
use crate::output::records::stats::Node::{self, Counter, Group, List};
use crate::output::stage::OutputStats;

/// What the stats tree is built from.
pub struct StatsInput<'a> {
    pub uptime_secs: u64,
    pub reader: &'a ReaderStats,
    pub workers: &'a WorkerStats,
    pub output: &'a OutputStats,
    pub rules_loaded: u64,
    pub rules_failed: u64,
}

fn app_flows(w: &WorkerStats) -> Vec<Node<'static>> {
    let n = |p: AppProto| w.app.flows[AppProto::ALL.iter().position(|x| *x == p).unwrap_or(0)];
    vec![
        Counter("http", n(AppProto::Http)),
        Counter("ftp", n(AppProto::Ftp)),
        Counter("smtp", n(AppProto::Smtp)),
        Counter("tls", n(AppProto::Tls)),
        Counter("ssh", n(AppProto::Ssh)),
        Counter("smb", n(AppProto::Smb)),
        Counter("dcerpc_tcp", n(AppProto::Dcerpc)),
        Counter("dns_udp", n(AppProto::Dns)),
        Counter("failed_tcp", n(AppProto::Failed)),
    ]
}

/// The whole tree.
pub fn tree(i: &StatsInput<'_>) -> Vec<Node<'static>> {
    let (r, w, o) = (i.reader, i.workers, i.output);
    let s = &w.stream;
    let invalid: u64 = r.decode_errors.iter().sum();
    vec![
        Counter("uptime", i.uptime_secs),
        Group(
            "decoder",
            vec![
                Counter("pkts", r.records),
                Counter("bytes", r.bytes),
                Counter("invalid", invalid),
                Counter("avg_pkt_size", r.bytes.checked_div(r.records).unwrap_or(0)),
            ],
        ),
        Group("flow", vec![Counter("total", w.flows.created), Counter("active", w.flows.active)]),
        Group(
            "tcp",
            vec![
                Counter("segment_memcap_drop", s.memcap_drops),
                Counter("stream_depth_reached", s.depth_reached),
                Counter("reassembly_gap", s.gaps()),
                Counter("overlap", s.overlaps),
                Counter("overlap_diff_data", s.overlaps_different),
                Counter("memuse", w.stream_memory_used),
            ],
        ),
        Group("app_layer", vec![Group("flow", app_flows(w))]),
        Group(
            "detect",
            vec![
                List(
                    "engines",
                    vec![vec![Counter("rules_loaded", i.rules_loaded), Counter("rules_failed", i.rules_failed)]],
                ),
                Counter("alert", o.written),
                Counter("alert_queue_overflow", o.overflow),
                Counter("alerts_suppressed", o.filtered),
            ],
        ),
        Group(
            "defrag",
            vec![Group(
                "ipv4",
                vec![Counter("fragments", r.defrag.fragments), Counter("reassembled", r.defrag.reassembled)],
            )],
        ),
    ]
}

/// Our counters, beside Suricata's tree (`mirrorids` in the record).
pub fn ours(i: &StatsInput<'_>) -> Vec<Node<'static>> {
    let (r, w) = (i.reader, i.workers);
    vec![
        Counter("tunneled", r.tunneled),
        Counter("truncated", r.truncated),
        Counter("truncated_bytes_missing", r.truncated_bytes_missing),
        Counter("matches", w.matches),
        Group(
            "flows_ended",
            vec![
                Counter("timeout", w.flows.timed_out),
                Counter("evicted", w.flows.evicted),
                Counter("port_reuse", w.flows.reused),
                Counter("shutdown", w.flows.ended_at_shutdown),
            ],
        ),
    ]
}
