//! The counters of a run as EVE `stats` records show them: Suricata's
//! stats tree (`decoder`, `flow`, `tcp`, `app_layer`, `detect`, `defrag`)
//! where Suricata has the counter, under its names and in its order, and
//! ours under the record's top-level `mirrorids` object (drops by reason,
//! records written per type, anomalies held back, truncation).
//!
//! Where we differ on purpose: `decoder.*` counts each layer of the packets
//! that decoded (Suricata also counts the layers of those that failed
//! later); `tcp.reassembly_memuse` is our reassembly memory (we keep no
//! separate session memory, so there is no `tcp.memuse`); defragmentation
//! is counted once for both IP versions, under `defrag.ipv4`; frames that
//! are not IP count as `decoder.arp` (most are; on loopback captures a
//! non-IP family counts there too); TLS has no `app_layer.tx` counter
//! (Suricata's stays 0).

use super::counters::{FLOW_STATES, TCP_STATES};
use super::reader::ReaderStats;
use super::worker::WorkerStats;
use crate::app::session::proto_index;
use crate::app::AppProto;
use crate::decode::DecodeError;
use crate::output::records::anomaly::BUCKETS;
use crate::output::records::stats::Node::{self, Counter, Group, List, Text};
use crate::output::records::EventType;
use crate::output::stage::OutputStats;
use crate::util::Timestamp;

/// What the stats tree is built from.
pub struct StatsInput<'a> {
    pub uptime_secs: u64,
    pub reader: &'a ReaderStats,
    pub workers: &'a WorkerStats,
    pub output: &'a OutputStats,
    pub rules_loaded: u64,
    pub rules_failed: u64,
    /// When the rule set in use was loaded (`detect.engines[].last_reload`).
    pub rules_loaded_at: Timestamp,
}

fn app_flows(w: &WorkerStats) -> Vec<Node<'static>> {
    let a = &w.app;
    let all = |p: AppProto| a.flows[proto_index(p)];
    let udp = |p: AppProto| a.udp_flows[proto_index(p)];
    let tcp = |p: AppProto| all(p).saturating_sub(udp(p));
    vec![
        Counter("failed_tcp", tcp(AppProto::Failed)),
        Counter("http", all(AppProto::Http)),
        Counter("ftp", all(AppProto::Ftp)),
        Counter("ftp-data", all(AppProto::FtpData)),
        Counter("smtp", all(AppProto::Smtp)),
        Counter("tls", all(AppProto::Tls)),
        Counter("ssh", all(AppProto::Ssh)),
        Counter("smb", all(AppProto::Smb)),
        Counter("dcerpc_tcp", all(AppProto::Dcerpc)),
        Counter("imap", all(AppProto::Imap)),
        Counter("dns_tcp", tcp(AppProto::Dns)),
        Counter("failed_udp", udp(AppProto::Failed)),
        Counter("dns_udp", udp(AppProto::Dns)),
    ]
}

fn app_txs(w: &WorkerStats) -> Vec<Node<'static>> {
    let a = &w.app;
    let all = |p: AppProto| a.txs[proto_index(p)];
    let udp = |p: AppProto| a.udp_txs[proto_index(p)];
    vec![
        Counter("http", all(AppProto::Http)),
        Counter("ftp", all(AppProto::Ftp)),
        Counter("dns_tcp", all(AppProto::Dns).saturating_sub(udp(AppProto::Dns))),
        Counter("dns_udp", udp(AppProto::Dns)),
    ]
}

/// `decoder.event.*` and `decoder.too_many_layers`: our decode failures
/// under Suricata's event names (those it has), truncated copies.
fn decode_events(r: &ReaderStats) -> (Vec<Node<'static>>, u64) {
    let mut layers: Vec<(&'static str, Vec<Node<'static>>)> = Vec::new();
    let mut add = |layer: &'static str, name: &'static str, n: u64| match layers.iter_mut().find(|(l, _)| *l == layer) {
        Some((_, v)) => v.push(Counter(name, n)),
        None => layers.push((layer, vec![Counter(name, n)])),
    };
    add("ipv4", "trunc_pkt", r.layers.trunc_ipv4);
    add("ipv6", "trunc_pkt", r.layers.trunc_ipv6);
    let mut too_many_layers = 0;
    for e in DecodeError::ALL {
        let n = r.decode_errors.get(e.index()).copied().unwrap_or(0) + r.l4_errors.get(e.index()).copied().unwrap_or(0);
        let Some(name) = e.suricata_event() else { continue };
        let mut parts = name.split('.').skip(1);
        match (parts.next(), parts.next()) {
            (Some(layer), Some(event)) => add(layer, event, n),
            _ => too_many_layers += n,
        }
    }
    (layers.into_iter().map(|(l, v)| Group(l, v)).collect(), too_many_layers)
}

fn decoder(r: &ReaderStats) -> Vec<Node<'static>> {
    let l = &r.layers;
    let not_ip = r.decode_errors[DecodeError::NotIp.index()];
    let invalid = r.decode_errors.iter().chain(&r.l4_errors).sum::<u64>() - not_ip;
    let (events, too_many_layers) = decode_events(r);
    vec![
        Counter("pkts", r.records),
        Counter("bytes", r.bytes),
        Counter("invalid", invalid),
        Counter("ipv4", l.ipv4),
        Counter("ipv6", l.ipv6),
        Counter("ethernet", l.ethernet),
        Counter("arp", not_ip),
        Counter("unknown_ethertype", r.decode_errors[DecodeError::UnsupportedEthertype.index()]),
        Counter("chdlc", l.chdlc),
        Counter("raw", l.raw),
        Counter("null", l.null),
        Counter("sll", l.sll),
        Counter("sll2", l.sll2),
        Counter("tcp", l.tcp),
        Counter("udp", l.udp),
        Counter("icmpv4", l.icmpv4),
        Counter("icmpv6", l.icmpv6),
        Counter("geneve", l.geneve),
        Counter("gre", l.gre),
        Counter("vlan", l.vlan),
        Counter("vlan_qinq", l.vlan_qinq),
        Counter("vlan_qinqinq", l.vlan_qinqinq),
        Counter("vxlan", l.vxlan),
        Counter("teredo", l.teredo),
        Counter("ipv4_in_ipv4", l.ipv4_in_ipv4),
        Counter("ipv6_in_ipv4", l.ipv6_in_ipv4),
        Counter("ipv4_in_ipv6", l.ipv4_in_ipv6),
        Counter("ipv6_in_ipv6", l.ipv6_in_ipv6),
        Counter("avg_pkt_size", r.bytes.checked_div(r.records).unwrap_or(0)),
        Counter("max_pkt_size", l.max_pkt_size),
        Counter("erspan", l.erspan),
        Group("event", events),
        Counter("too_many_layers", too_many_layers),
    ]
}

fn flow(w: &WorkerStats) -> Vec<Node<'static>> {
    let t = &w.traffic;
    let states = FLOW_STATES.iter().zip(t.end_state).map(|(n, v)| Counter(n, v)).collect();
    let tcp_states = TCP_STATES.iter().zip(t.end_tcp_state).map(|(n, v)| Counter(n, v)).collect();
    vec![
        Counter("total", w.flows.created),
        Counter("active", w.flows.active),
        Counter("tcp", t.flows_tcp),
        Counter("udp", t.flows_udp),
        Counter("icmpv4", t.flows_icmpv4),
        Counter("icmpv6", t.flows_icmpv6),
        Counter("tcp_reuse", w.flows.reused),
        Group("end", vec![Group("state", states), Group("tcp_state", tcp_states)]),
    ]
}

fn tcp(w: &WorkerStats) -> Vec<Node<'static>> {
    let (s, t) = (&w.stream, &w.traffic);
    vec![
        Counter("syn", t.syn),
        Counter("synack", t.synack),
        Counter("rst", t.rst),
        Counter("urg", t.urg),
        Counter("urgent_oob_data", s.urgent_removed),
        Counter("sessions", t.tcp_sessions),
        Counter("midstream_pickups", t.midstream_pickups),
        Counter("segment_memcap_drop", s.memcap_drops),
        Counter("stream_depth_reached", s.depth_reached),
        Counter("reassembly_gap", s.gaps()),
        Counter("overlap", s.overlaps),
        Counter("overlap_diff_data", s.overlaps_different),
        Counter("reassembly_memuse", w.stream_memory_used),
    ]
}

/// The whole tree.
pub fn tree(i: &StatsInput<'_>) -> Vec<Node<'static>> {
    let (r, w, o) = (i.reader, i.workers, i.output);
    vec![
        Counter("uptime", i.uptime_secs),
        Group("decoder", decoder(r)),
        Group("tcp", tcp(w)),
        Group("flow", flow(w)),
        Group(
            "defrag",
            vec![
                Group(
                    "ipv4",
                    vec![
                        Counter("fragments", r.defrag.fragments),
                        Counter("reassembled", r.defrag.reassembled),
                        Counter("timeouts", r.defrag.timeouts),
                    ],
                ),
                Counter("max_trackers_reached", r.defrag.dropped_max_trackers),
                Counter("max_frags_reached", r.defrag.dropped_max_fragments),
            ],
        ),
        Group(
            "detect",
            vec![
                List(
                    "engines",
                    vec![vec![
                        Counter("id", 0),
                        Text("last_reload", i.rules_loaded_at.eve().to_string()),
                        Counter("rules_loaded", i.rules_loaded),
                        Counter("rules_failed", i.rules_failed),
                        Counter("rules_skipped", 0),
                    ]],
                ),
                Counter("alert", o.written),
                Counter("alert_queue_overflow", o.overflow),
                Counter("alerts_suppressed", o.filtered),
            ],
        ),
        Group("app_layer", vec![Group("flow", app_flows(w)), Group("tx", app_txs(w))]),
    ]
}

/// Our counters, beside Suricata's tree (`mirrorids` in the record).
pub fn ours(i: &StatsInput<'_>) -> Vec<Node<'static>> {
    let (r, w, o) = (i.reader, i.workers, i.output);
    let written = EventType::ALL.iter().map(|t| Counter(t.name(), o.records[t.index()])).collect();
    let suppressed = BUCKETS.iter().zip(w.anomalies_suppressed).map(|(n, v)| Counter(n, v)).collect();
    let decode_errors = DecodeError::ALL
        .iter()
        .map(|e| Counter(e.name(), r.decode_errors.get(e.index()).copied().unwrap_or(0)))
        .collect();
    vec![
        Counter("tunneled", r.tunneled),
        Counter("truncated", r.truncated),
        Counter("truncated_bytes_missing", r.truncated_bytes_missing),
        Counter("matches", w.matches),
        Group("decode_errors", decode_errors),
        Group(
            "drops",
            vec![
                Counter("worker_queue_full", r.queue_full_packets),
                Counter("stream_memcap", w.stream.memcap_drops),
                Counter("stream_segment_limit", w.stream.segment_limit_drops),
                Counter(
                    "defrag",
                    r.defrag.dropped_max_trackers + r.defrag.dropped_memcap + r.defrag.dropped_max_fragments,
                ),
                Counter("alert_queue_overflow", o.overflow),
            ],
        ),
        Group("records_written", written),
        Group("anomalies_suppressed", suppressed),
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
