//! Prometheus export of a [`LiveSnapshot`].
//!
//! The engine's stages count in plain per-thread integers; only the control
//! thread calls [`Telemetry::publish`], which copies a snapshot into the
//! `metrics` recorder (counters with `absolute`, so a publish is idempotent)
//! once per stats interval. The packet path never touches this module.
//!
//! Labels are a small fixed set (`reason`, `worker`, `receiver`, `protocol`,
//! `severity`, `result`), so the number of series is bounded by the
//! configuration, never by traffic.

use std::sync::OnceLock;

use metrics::{counter, describe_counter, describe_gauge, gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::snapshot::LiveSnapshot;
use crate::app::AppProto;
use crate::decode::DecodeError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}
use Kind::{Counter, Gauge};

/// Every metric with its type and help text; README's "Operations" table
/// lists the same names (a test checks both ways).
const METRICS: &[(&str, Kind, &str)] = &[
    ("mirrorids_build_info", Gauge, "Always 1; the version label says which build is running."),
    ("mirrorids_receiver_datagrams_total", Counter, "Datagrams received, by receiver socket."),
    ("mirrorids_receiver_bytes_total", Counter, "Bytes of datagrams received, by receiver socket."),
    (
        "mirrorids_receiver_kernel_drops_total",
        Counter,
        "Datagrams the kernel dropped because the receive buffer was full (SO_RXQ_OVFL), by receiver.",
    ),
    (
        "mirrorids_receiver_buffer_bytes",
        Gauge,
        "Bytes waiting in the socket receive buffer (SO_MEMINFO), by receiver: how close to kernel drops.",
    ),
    ("mirrorids_receiver_buffer_capacity_bytes", Gauge, "Size of the socket receive buffer, by receiver."),
    ("mirrorids_dropped_packets_total", Counter, "Mirrored packets lost before inspection, by reason."),
    (
        "mirrorids_queue_full_batches_total",
        Counter,
        "Batches dropped because a worker queue was full (drop_newest policy).",
    ),
    (
        "mirrorids_decoded_packets_total",
        Counter,
        "Packets decoded and handed to workers (a reassembled datagram counts once).",
    ),
    ("mirrorids_tunneled_packets_total", Counter, "Decoded packets that arrived inside a VXLAN/GENEVE/GRE tunnel."),
    ("mirrorids_decode_errors_total", Counter, "Frames not decoded, by reason."),
    (
        "mirrorids_transport_errors_total",
        Counter,
        "Packets whose transport header was unusable (inspected at the IP level only), by reason.",
    ),
    ("mirrorids_truncated_packets_total", Counter, "Packets with declared bytes missing (truncated mirror copies)."),
    ("mirrorids_truncated_missing_bytes_total", Counter, "Bytes missing from truncated packets."),
    ("mirrorids_ip_fragments_total", Counter, "IP fragments received."),
    ("mirrorids_defrag_reassembled_total", Counter, "IP datagrams reassembled from fragments."),
    ("mirrorids_defrag_dropped_total", Counter, "Fragmented datagrams given up, by reason."),
    ("mirrorids_worker_packets_total", Counter, "Packets processed, by worker."),
    ("mirrorids_worker_bytes_total", Counter, "Bytes processed, by worker."),
    ("mirrorids_worker_batches_total", Counter, "Batches of received packets inspected, by worker."),
    (
        "mirrorids_worker_batch_latency_microseconds_total",
        Counter,
        "Microseconds from the receipt of each batch's first packet to the end of its inspection, summed, by worker.",
    ),
    ("mirrorids_worker_queue_depth_batches", Gauge, "Batches waiting in the worker's queue, by worker."),
    ("mirrorids_worker_queue_capacity_batches", Gauge, "Batches a worker queue holds at most."),
    ("mirrorids_detect_matches_total", Counter, "Signature matches before thresholds and the per-packet cap."),
    ("mirrorids_prefilter_errors_total", Counter, "Hyperscan scans that failed (the packet was not fully inspected)."),
    (
        "mirrorids_detect_state_overflow_total",
        Counter,
        "Detection state not kept, by kind: flowbits (flow full), xbits (table full), tags (session, host or table full), peer_notes (xbit/host-tag changes or FTP data announcements another worker's inbox could not take), datasets (dataset:set items refused at the set's memcap).",
    ),
    ("mirrorids_tagged_packets_total", Counter, "Packets written as `packet` records because a rule's tag covered them."),
    ("mirrorids_flows_active", Gauge, "Flows in the flow tables."),
    ("mirrorids_flow_table_capacity", Gauge, "Flows the flow tables hold at most (all workers)."),
    ("mirrorids_flows_created_total", Counter, "Flows created."),
    (
        "mirrorids_flows_reversed_total",
        Counter,
        "TCP sessions picked up mid-stream the wrong way round, reversed when their first data showed the client.",
    ),
    ("mirrorids_flows_ended_total", Counter, "Flows ended, by reason (timeout, evicted, port_reuse, shutdown)."),
    ("mirrorids_packets_without_flow_total", Counter, "Packets inspected without a flow (transport header unusable)."),
    ("mirrorids_stream_memory_bytes", Gauge, "Bytes of TCP reassembly memory in use."),
    ("mirrorids_stream_memory_peak_bytes", Gauge, "Most TCP reassembly memory in use at once, summed over workers."),
    ("mirrorids_stream_memcap_bytes", Gauge, "TCP reassembly memory budget (stream.reassembly.memcap)."),
    ("mirrorids_stream_segments_total", Counter, "TCP segments with payload offered to reassembly."),
    ("mirrorids_stream_gaps_total", Counter, "Holes declared in TCP streams, by reason."),
    ("mirrorids_stream_dropped_segments_total", Counter, "TCP segments not reassembled, by reason."),
    ("mirrorids_stream_urgent_segments_total", Counter, "TCP segments with data and the URG flag."),
    (
        "mirrorids_stream_urgent_bytes_removed_total",
        Counter,
        "Urgent bytes left out of TCP streams as the receiver does (stream.reassembly.urgent_policy: oob).",
    ),
    (
        "mirrorids_stream_urgent_ignored_total",
        Counter,
        "Urgent pointers not followed, by reason: stale (byte already received, a repeat, superseded), limit (urgent_max_pending).",
    ),
    ("mirrorids_app_flows_total", Counter, "Flows by recognised application protocol."),
    ("mirrorids_app_parse_errors_total", Counter, "Malformed application-layer messages, by protocol."),
    (
        "mirrorids_app_events_dropped_total",
        Counter,
        "Transaction events dropped uninspected (too many waiting in a flow).",
    ),
    (
        "mirrorids_tls_encrypted_uninspected_flows_total",
        Counter,
        "TLS flows whose payload was no longer inspected once encrypted (app.tls.encryption_handling: track-only).",
    ),
    (
        "mirrorids_ftp_data_expectations_total",
        Counter,
        "FTP data connections announced, by outcome (announced, claimed, expired, evicted).",
    ),
    ("mirrorids_ftp_overflows_total", Counter, "FTP parser bounds reached, by limit."),
    ("mirrorids_records_written_total", Counter, "EVE records written, by event type."),
    ("mirrorids_records_written_bytes_total", Counter, "Bytes of EVE records written, by event type."),
    (
        "mirrorids_records_dropped_total",
        Counter,
        "EVE records not written because the output queue was full, by event type.",
    ),
    (
        "mirrorids_anomalies_suppressed_total",
        Counter,
        "Anomaly records not written because of their rate limit, by kind (decode, stream, applayer).",
    ),
    ("mirrorids_files_total", Counter, "Files seen in HTTP bodies, by final state (closed, truncated)."),
    ("mirrorids_files_untracked_total", Counter, "Files or multipart bodies not tracked, by reason."),
    (
        "mirrorids_files_cut_at_body_limit_total",
        Counter,
        "Files followed only as far as the HTTP body limit (they end truncated there).",
    ),
    ("mirrorids_filestore_files_total", Counter, "Files offered to the file store, by outcome."),
    ("mirrorids_filestore_bytes_total", Counter, "Bytes written to the file store."),
    ("mirrorids_sink_records_total", Counter, "Records delivered by each sink of output.sinks, by sink."),
    ("mirrorids_sink_bytes_total", Counter, "Bytes of records delivered, by sink."),
    (
        "mirrorids_sink_dropped_records_total",
        Counter,
        "Records a sink did not deliver, by sink and reason (queue_full, peer_down, write_error, too_large, shutdown, spool_full, unmapped).",
    ),
    ("mirrorids_sink_queued_records", Gauge, "Records waiting in a sink's queue, by sink."),
    ("mirrorids_sink_up", Gauge, "1 while the sink's peer takes records, 0 while it is down, by sink."),
    ("mirrorids_sink_spool_records", Gauge, "Records waiting in a sink's on-disk spool, by sink."),
    ("mirrorids_sink_spool_bytes", Gauge, "Bytes of records waiting in a sink's on-disk spool, by sink."),
    ("mirrorids_alerts_written_total", Counter, "Alerts written to EVE."),
    ("mirrorids_alerts_written_bytes_total", Counter, "Bytes of EVE alert lines written."),
    ("mirrorids_alerts_by_severity_total", Counter, "Alerts written, by severity (signature priority 1-4, other)."),
    ("mirrorids_alerts_filtered_total", Counter, "Alerts removed by suppress, threshold or detection_filter."),
    ("mirrorids_alerts_overflow_total", Counter, "Alerts not written: over detect.packet_alert_max for their packet."),
    ("mirrorids_alerts_rate_filtered_total", Counter, "Alerts whose action a rate_filter changed."),
    (
        "mirrorids_ruleset_generation",
        Gauge,
        "Generation of the running rule set (1 after the first load, +1 per successful reload).",
    ),
    ("mirrorids_rules_loaded", Gauge, "Rules in the running set."),
    ("mirrorids_rules_failed", Gauge, "Rules skipped when the running set was loaded."),
    ("mirrorids_ruleset_loaded_timestamp_seconds", Gauge, "When the running rule set was loaded (Unix time)."),
    (
        "mirrorids_ruleset_last_reload_success",
        Gauge,
        "1 if the last load or reload succeeded, 0 if it failed (the previous set stays in use).",
    ),
    ("mirrorids_ruleset_reloads_total", Counter, "Rule reloads, by result (ok, failed)."),
];

/// The recorder is process-global (the `metrics` macros write to one
/// recorder); installing it once and handing out its handle lets tests and
/// a restarted control thread call [`Telemetry::install`] again.
static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// The Prometheus recorder: publish snapshots into it, render it for
/// `/metrics`.
#[derive(Clone)]
pub struct Telemetry {
    handle: PrometheusHandle,
}

impl Telemetry {
    /// Installs the global recorder on the first call; later calls return
    /// the same one. Fails if another recorder was installed first.
    pub fn install() -> Result<Telemetry, String> {
        let handle = HANDLE.get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).map_err(|e| format!("installing the metrics recorder: {e}"))?;
            for &(name, kind, help) in METRICS {
                match kind {
                    Counter => describe_counter!(name, help),
                    Gauge => describe_gauge!(name, help),
                }
            }
            gauge!("mirrorids_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            Ok(handle)
        });
        handle.clone().map(|handle| Telemetry { handle })
    }

    /// The Prometheus text exposition of everything published so far.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Copies a snapshot into the recorder.
    pub fn publish(&self, s: &LiveSnapshot) {
        publish_input(s);
        publish_workers(s);
        publish_alerts_and_rules(s);
        publish_sinks(s);
    }
}

fn total(name: &'static str, v: u64) {
    counter!(name).absolute(v);
}

fn total_by(name: &'static str, label: &'static str, value: impl Into<metrics::SharedString>, v: u64) {
    counter!(name, label => value.into()).absolute(v);
}

fn level(name: &'static str, v: f64) {
    gauge!(name).set(v);
}

fn publish_input(s: &LiveSnapshot) {
    for (label, r) in &s.receivers {
        total_by("mirrorids_receiver_datagrams_total", "receiver", label.clone(), r.datagrams);
        total_by("mirrorids_receiver_bytes_total", "receiver", label.clone(), r.bytes);
        total_by("mirrorids_receiver_kernel_drops_total", "receiver", label.clone(), r.kernel_drops);
        gauge!("mirrorids_receiver_buffer_bytes", "receiver" => label.clone()).set(r.buffer_queued as f64);
        gauge!("mirrorids_receiver_buffer_capacity_bytes", "receiver" => label.clone()).set(r.buffer_capacity as f64);
    }
    let rx = s.receivers_total();
    let r = &s.reader;
    let decode_errors: u64 = r.decode_errors.iter().sum();
    let dropped = [
        ("kernel", rx.kernel_drops),
        ("denied_source", rx.denied_source),
        ("denied_vni", rx.denied_vni),
        ("oversize", rx.oversize),
        ("not_tunnel", rx.not_tunnel),
        ("recv_error", rx.recv_errors),
        ("worker_queue_full", r.queue_full_packets),
        ("decode_error", decode_errors),
    ];
    for (reason, v) in dropped {
        total_by("mirrorids_dropped_packets_total", "reason", reason, v);
    }
    total("mirrorids_queue_full_batches_total", r.queue_full_drops);
    total("mirrorids_decoded_packets_total", r.dispatched);
    total("mirrorids_tunneled_packets_total", r.tunneled);
    // Every reason is published, zeros included, so `rate()` works from
    // the first scrape on.
    for e in DecodeError::ALL {
        let at = |v: &Vec<u64>| v.get(e.index()).copied().unwrap_or(0);
        total_by("mirrorids_decode_errors_total", "reason", e.name(), at(&r.decode_errors));
        total_by("mirrorids_transport_errors_total", "reason", e.name(), at(&r.l4_errors));
    }
    total("mirrorids_truncated_packets_total", r.truncated);
    total("mirrorids_truncated_missing_bytes_total", r.truncated_bytes_missing);
    total("mirrorids_ip_fragments_total", r.fragments);
    let d = &r.defrag;
    total("mirrorids_defrag_reassembled_total", d.reassembled);
    let defrag = [
        ("timeout", d.timeouts),
        ("max_trackers", d.dropped_max_trackers),
        ("memcap", d.dropped_memcap),
        ("max_fragments", d.dropped_max_fragments),
        ("too_large", d.dropped_too_large),
        ("inconsistent", d.dropped_inconsistent),
    ];
    for (reason, v) in defrag {
        total_by("mirrorids_defrag_dropped_total", "reason", reason, v);
    }
}

fn publish_workers(s: &LiveSnapshot) {
    for (i, w) in s.workers.iter().enumerate() {
        total_by("mirrorids_worker_packets_total", "worker", i.to_string(), w.packets);
        total_by("mirrorids_worker_bytes_total", "worker", i.to_string(), w.bytes);
        total_by("mirrorids_worker_batches_total", "worker", i.to_string(), w.batches);
        total_by("mirrorids_worker_batch_latency_microseconds_total", "worker", i.to_string(), w.batch_latency_us);
    }
    for (i, depth) in s.queue_depths.iter().enumerate() {
        gauge!("mirrorids_worker_queue_depth_batches", "worker" => i.to_string()).set(*depth as f64);
    }
    level("mirrorids_worker_queue_capacity_batches", s.queue_capacity as f64);
    let mut w = crate::engine::worker::WorkerStats::default();
    let mut active = 0u64;
    for one in &s.workers {
        w.merge(one);
        // `merge` keeps running totals; the live count is a plain sum.
        active += one.flows.active;
    }
    total("mirrorids_detect_matches_total", w.matches);
    total("mirrorids_prefilter_errors_total", w.prefilter_errors);
    for (kind, n) in [
        ("flowbits", w.flowbits_overflow),
        ("xbits", w.hosts.xbits_overflow),
        ("tags", w.hosts.tags_overflow),
        ("peer_notes", w.peer_notes_dropped),
        ("datasets", s.datasets_refused),
    ] {
        total_by("mirrorids_detect_state_overflow_total", "kind", kind, n);
    }
    total("mirrorids_tagged_packets_total", w.hosts.tagged_packets);
    level("mirrorids_flows_active", active as f64);
    level("mirrorids_flow_table_capacity", w.flow_capacity as f64);
    let f = &w.flows;
    total("mirrorids_flows_created_total", f.created);
    total("mirrorids_flows_reversed_total", f.reversed);
    let ended =
        [("timeout", f.timed_out), ("evicted", f.evicted), ("port_reuse", f.reused), ("shutdown", f.ended_at_shutdown)];
    for (reason, v) in ended {
        total_by("mirrorids_flows_ended_total", "reason", reason, v);
    }
    total("mirrorids_packets_without_flow_total", w.flowless);
    for t in crate::output::records::EventType::ALL {
        total_by("mirrorids_records_dropped_total", "type", t.name(), w.records_dropped[t.index()]);
    }
    level("mirrorids_stream_memory_bytes", w.stream_memory_used as f64);
    level("mirrorids_stream_memory_peak_bytes", w.stream_memory_peak as f64);
    level("mirrorids_stream_memcap_bytes", w.stream_memcap as f64);
    let st = &w.stream;
    total("mirrorids_stream_segments_total", st.segments);
    let gaps = [
        ("truncated", st.gaps_truncated),
        ("acked", st.gaps_acked),
        ("overflow", st.gaps_overflow),
        ("flush", st.gaps_flush),
    ];
    for (reason, v) in gaps {
        total_by("mirrorids_stream_gaps_total", "reason", reason, v);
    }
    let dropped = [
        ("memcap", st.memcap_drops),
        ("segment_limit", st.segment_limit_drops),
        ("out_of_window", st.out_of_window),
        ("low_ttl", st.low_ttl),
    ];
    for (reason, v) in dropped {
        total_by("mirrorids_stream_dropped_segments_total", "reason", reason, v);
    }
    total("mirrorids_stream_urgent_segments_total", st.urgent_segments);
    total("mirrorids_stream_urgent_bytes_removed_total", st.urgent_removed);
    for (reason, v) in [("stale", st.urgent_stale), ("limit", st.urgent_limit)] {
        total_by("mirrorids_stream_urgent_ignored_total", "reason", reason, v);
    }
    let a = &w.app;
    for (p, n) in AppProto::ALL.iter().zip(a.flows) {
        total_by("mirrorids_app_flows_total", "protocol", p.name(), n);
    }
    let parse_errors = [
        ("http", a.http.malformed),
        ("tls", a.tls.malformed),
        ("dns", a.dns.malformed + a.dns_malformed),
        ("ssh", a.ssh.malformed),
        ("ftp", a.ftp.tx_limit_hits),
    ];
    for (protocol, v) in parse_errors {
        total_by("mirrorids_app_parse_errors_total", "protocol", protocol, v);
    }
    total("mirrorids_app_events_dropped_total", a.events_dropped);
    total("mirrorids_tls_encrypted_uninspected_flows_total", a.encrypted_uninspected_flows);
    let e = &a.ftp_expect;
    for (outcome, v) in
        [("announced", e.announced), ("claimed", e.claimed), ("expired", e.expired), ("evicted", e.evicted)]
    {
        total_by("mirrorids_ftp_data_expectations_total", "outcome", outcome, v);
    }
    let overflows = [
        ("line_length", a.ftp.long_lines),
        ("reply_lines", a.ftp.reply_lines_dropped),
        ("transactions", a.ftp.tx_limit_hits),
    ];
    for (limit, v) in overflows {
        total_by("mirrorids_ftp_overflows_total", "limit", limit, v);
    }
    for (kind, n) in crate::output::records::anomaly::BUCKETS.iter().zip(w.anomalies_suppressed) {
        total_by("mirrorids_anomalies_suppressed_total", "kind", *kind, n);
    }
    let f = &a.http.files;
    for (state, v) in [("closed", f.closed), ("truncated", f.truncated)] {
        total_by("mirrorids_files_total", "state", state, v);
    }
    let untracked = [("per_transaction_limit", f.over_limit), ("multipart_error", f.multipart_errors)];
    for (reason, v) in untracked {
        total_by("mirrorids_files_untracked_total", "reason", reason, v);
    }
    total("mirrorids_files_cut_at_body_limit_total", f.cut_at_body_limit);
    let store = [
        ("stored", f.stored),
        ("duplicate", f.store_duplicates),
        ("over_cap", f.store_over_cap),
        ("unnamed", f.store_unnamed),
        ("error", f.store_errors),
    ];
    for (result, v) in store {
        total_by("mirrorids_filestore_files_total", "result", result, v);
    }
    total("mirrorids_filestore_bytes_total", f.stored_bytes);
}

fn publish_sinks(s: &LiveSnapshot) {
    for k in &s.sinks {
        let name = k.name.clone();
        total_by("mirrorids_sink_records_total", "sink", name.clone(), k.delivered);
        total_by("mirrorids_sink_bytes_total", "sink", name.clone(), k.bytes);
        for r in crate::output::sinks::DropReason::ALL {
            counter!("mirrorids_sink_dropped_records_total", "sink" => name.clone(), "reason" => r.name())
                .absolute(k.dropped[r.index()]);
        }
        gauge!("mirrorids_sink_queued_records", "sink" => name.clone()).set(k.queued as f64);
        gauge!("mirrorids_sink_spool_records", "sink" => name.clone()).set(k.spooled as f64);
        gauge!("mirrorids_sink_spool_bytes", "sink" => name.clone()).set(k.spooled_bytes as f64);
        gauge!("mirrorids_sink_up", "sink" => name).set(if k.up { 1.0 } else { 0.0 });
    }
}

fn publish_alerts_and_rules(s: &LiveSnapshot) {
    let a = &s.alerts;
    for t in crate::output::records::EventType::ALL {
        total_by("mirrorids_records_written_total", "type", t.name(), a.records[t.index()]);
        total_by("mirrorids_records_written_bytes_total", "type", t.name(), a.record_bytes[t.index()]);
    }
    total("mirrorids_alerts_written_total", a.written);
    total("mirrorids_alerts_written_bytes_total", a.bytes);
    for (i, n) in a.by_severity.iter().enumerate() {
        let severity = match i {
            1 => "1",
            2 => "2",
            3 => "3",
            4 => "4",
            _ => "other",
        };
        total_by("mirrorids_alerts_by_severity_total", "severity", severity, *n);
    }
    total("mirrorids_alerts_filtered_total", a.filtered);
    total("mirrorids_alerts_overflow_total", a.overflow);
    total("mirrorids_alerts_rate_filtered_total", a.rate_filtered);
    let r = &s.ruleset;
    level("mirrorids_ruleset_generation", r.generation as f64);
    level("mirrorids_rules_loaded", r.loaded as f64);
    level("mirrorids_rules_failed", r.failed as f64);
    level("mirrorids_ruleset_loaded_timestamp_seconds", r.loaded_at_unix);
    // Nothing loaded yet is not a success either.
    let ok = r.generation > 0 && r.last_error.is_none();
    level("mirrorids_ruleset_last_reload_success", if ok { 1.0 } else { 0.0 });
    total_by("mirrorids_ruleset_reloads_total", "result", "ok", r.reloads_ok);
    total_by("mirrorids_ruleset_reloads_total", "result", "failed", r.reloads_failed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::snapshot::{ReceiverStats, RulesetStatus};
    use crate::engine::worker::WorkerStats;
    use crate::engine::ReaderStats;

    /// A snapshot where every metric has at least one series.
    fn full_snapshot() -> LiveSnapshot {
        let mut reader = ReaderStats::new();
        reader.decode_errors[DecodeError::VxlanTooShort.index()] = 7;
        reader.queue_full_packets = 3;
        let mut alerts = crate::output::stage::OutputStats { written: 9, ..Default::default() };
        alerts.by_severity = [1, 2, 3, 0, 3];
        let worker = WorkerStats { packets: 100, bytes: 6400, ..Default::default() };
        LiveSnapshot {
            receivers: vec![(
                "vxlan 0.0.0.0:4789 #0".into(),
                ReceiverStats { datagrams: 5, kernel_drops: 2, ..Default::default() },
            )],
            reader,
            workers: vec![worker.clone(), worker],
            queue_depths: vec![1, 0],
            queue_capacity: 16,
            alerts,
            ruleset: RulesetStatus { generation: 2, loaded: 1234, reloads_ok: 1, ..Default::default() },
            datasets_refused: 4,
            sinks: vec![crate::output::sinks::SinkStats {
                name: "siem".into(),
                delivered: 5,
                up: true,
                ..Default::default()
            }],
        }
    }

    fn names_in(text: &str) -> std::collections::BTreeSet<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .map(String::from)
            .collect()
    }

    #[test]
    fn publish_exports_every_described_metric_and_nothing_else() {
        let t = Telemetry::install().unwrap();
        Telemetry::install().expect("a second install returns the same recorder");
        t.publish(&full_snapshot());
        let text = t.render();
        let rendered = names_in(&text);
        let described: std::collections::BTreeSet<String> = METRICS.iter().map(|m| m.0.to_string()).collect();
        assert_eq!(rendered, described);
        for &(name, kind, _) in METRICS {
            let ty = if kind == Counter { "counter" } else { "gauge" };
            assert!(text.contains(&format!("# TYPE {name} {ty}")), "{name} is not a {ty}");
            assert!(name.starts_with("mirrorids_"));
            assert_eq!(kind == Counter, name.ends_with("_total"), "{name}: counters and only counters end in _total");
        }
        // Label values: tests share the global recorder, so only values
        // no other test publishes are checked exactly.
        assert!(text.contains("mirrorids_receiver_kernel_drops_total{receiver=\"vxlan 0.0.0.0:4789 #0\"} 2"), "{text}");
        assert!(text.contains("mirrorids_decode_errors_total{reason=\"vxlan_too_short\"}"));
        assert!(text.contains("mirrorids_dropped_packets_total{reason=\"worker_queue_full\"}"));
        assert!(text.contains("mirrorids_worker_packets_total{worker=\"1\"}"));
        assert!(text.contains("mirrorids_alerts_by_severity_total{severity=\"other\"}"));
        assert!(text.contains("mirrorids_app_flows_total{protocol=\"http\"}"));
        assert!(text.contains("mirrorids_records_written_total{type=\"anomaly\"}"));
        assert!(text.contains("mirrorids_records_dropped_total{type=\"http\"}"));
        assert!(text.contains("mirrorids_anomalies_suppressed_total{kind=\"decode\"}"));
        assert!(text.contains("mirrorids_ruleset_reloads_total{result=\"failed\"}"));
    }

    #[test]
    fn an_empty_snapshot_publishes_without_panicking() {
        let t = Telemetry::install().unwrap();
        t.publish(&LiveSnapshot::default());
        assert!(t.render().contains("mirrorids_build_info"));
    }

    #[test]
    fn readme_documents_every_metric() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let missing: Vec<&str> = METRICS.iter().map(|m| m.0).filter(|n| !readme.contains(&format!("`{n}`"))).collect();
        assert!(missing.is_empty(), "README.md does not list: {missing:?}");
    }
}
