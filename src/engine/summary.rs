//! The end-of-run summary: what was read, decoded, dropped, tracked and
//! alerted, and how fast.

use std::io::{self, Write};
use std::time::Duration;

use super::reader::ReaderStats;
use super::worker::WorkerStats;
use crate::decode::DecodeError;
use crate::output::records::EventType;
use crate::output::stage::OutputStats;
use crate::output::threshold::ThresholdStats;

#[derive(Debug, Clone)]
pub struct RunSummary {
    pub reader: ReaderStats,
    pub workers: WorkerStats,
    pub alerts: OutputStats,
    pub thresholds: ThresholdStats,
    pub elapsed: Duration,
    pub worker_count: usize,
    /// The sinks of `output.sinks`: delivered and dropped records.
    pub sinks: Vec<crate::output::sinks::SinkStats>,
}

impl RunSummary {
    pub fn gbits_per_sec(&self) -> f64 {
        self.reader.bytes as f64 * 8.0 / self.elapsed.as_secs_f64() / 1e9
    }

    pub fn packets_per_sec(&self) -> f64 {
        self.reader.records as f64 / self.elapsed.as_secs_f64()
    }

    pub fn decode_errors_total(&self) -> u64 {
        self.reader.decode_errors.iter().sum()
    }

    /// Writes the human-readable summary.
    /// Application-layer lines: flows by protocol, parser counters and
    /// every limit that cut something.
    fn print_app(&self, w: &mut dyn Write) -> io::Result<()> {
        let a = &self.workers.app;
        let protos: Vec<String> = crate::app::AppProto::ALL
            .iter()
            .zip(a.flows)
            .filter(|(_, n)| *n > 0)
            .map(|(p, n)| format!("{}={n}", p.name()))
            .collect();
        let protos = if protos.is_empty() { "none".to_string() } else { protos.join(" ") };
        writeln!(
            w,
            "app        flows by protocol: {protos}; {} transaction events ({} dropped: too many waiting), {} unrecognised stream bytes",
            a.events, a.events_dropped, a.unrecognised_bytes
        )?;
        let h = &a.http;
        writeln!(
            w,
            "           http {} requests, {} responses; limits: body bytes cut={} decompression failed={} bombs={} header limit={} transactions dropped={}; malformed={} gaps={} ({} bytes resync) tunnels={}",
            h.requests,
            h.responses,
            h.body_bytes_truncated,
            h.decompression_failures,
            h.decompression_bombs,
            h.header_limit_hits,
            h.tx_dropped,
            h.malformed,
            h.gaps,
            h.resync_bytes,
            h.tunnels
        )?;
        let f = &h.files;
        writeln!(
            w,
            "           files {} opened, {} closed, {} truncated ({} with gaps); limits: untracked={} names cut={} multipart given up={} cut at body limit={}; store: kept={} ({} bytes) duplicates={} over cap={} unnamed={} errors={}",
            f.opened,
            f.closed,
            f.truncated,
            f.with_gaps,
            f.over_limit,
            f.names_cut,
            f.multipart_errors,
            f.cut_at_body_limit,
            f.stored,
            f.stored_bytes,
            f.store_duplicates,
            f.store_over_cap,
            f.store_unnamed,
            f.store_errors
        )?;
        let t = &a.tls;
        writeln!(
            w,
            "           tls {} records; limits: oversized records={} handshakes={} certificates over limit={}; malformed={} bad certificates={} gaps={}; encrypted, payload no longer inspected: {} flows",
            t.records,
            t.oversized_records,
            t.oversized_handshakes,
            t.certs_over_limit,
            t.malformed,
            t.cert_parse_failures,
            t.gaps,
            a.encrypted_uninspected_flows
        )?;
        let d = &a.dns;
        writeln!(
            w,
            "           dns {} messages; limits: records over limit={} names too long={}; malformed={} (+{} datagrams) pointer loops={} bad pointers={}",
            d.messages, d.records_over_limit, d.names_too_long, d.malformed, a.dns_malformed, d.pointer_loops, d.bad_pointers
        )?;
        let s = &a.ssh;
        writeln!(
            w,
            "           ssh {} banners, {} packets, {} KEXINITs; limits: long banners={} fields cut={} KEXINITs over limit={}; malformed={} gaps={}",
            s.banners, s.records, s.kexinits, s.long_banners, s.long_fields, s.long_kex_records, s.malformed, s.gaps
        )?;
        let (f, d, e) = (&a.ftp, &a.ftp_data, &a.ftp_expect);
        writeln!(
            w,
            "           ftp {} transactions, {} unknown commands, {} transfers announced ({} refused); limits: long lines={} reply lines dropped={} transaction limit={}; gaps={}",
            f.transactions, f.unknown_commands, f.transfers, f.transfers_refused, f.long_lines, f.reply_lines_dropped, f.tx_limit_hits, f.gaps
        )?;
        writeln!(
            w,
            "           ftp-data {} connections ({} announced, {} expired, {} evicted), {} files; {} bytes the other way",
            d.connections, e.announced, e.expired, e.evicted, d.files.opened, d.wrong_direction_bytes
        )
    }

    pub fn print(&self, w: &mut dyn Write) -> io::Result<()> {
        let r = &self.reader;
        writeln!(w, "== mirrorids run summary ==")?;
        writeln!(
            w,
            "input      {}{} packets, {} bytes, {:.3} s, {:.3} Gbit/s, {:.0} packets/s ({} worker(s))",
            if r.files > 0 { format!("{} file(s), ", r.files) } else { "live, ".to_string() },
            r.records,
            r.bytes,
            self.elapsed.as_secs_f64(),
            self.gbits_per_sec(),
            self.packets_per_sec(),
            self.worker_count
        )?;
        for e in &r.pcap_errors {
            writeln!(w, "capture    ended early: {e}")?;
        }
        writeln!(
            w,
            "decode     {} inspected, {} tunneled, {} truncated ({} bytes missing), {} fragments, {} reassembled",
            r.dispatched, r.tunneled, r.truncated, r.truncated_bytes_missing, r.fragments, r.defrag.reassembled
        )?;
        let reasons: Vec<String> = DecodeError::ALL
            .iter()
            .filter(|e| r.decode_errors[e.index()] > 0)
            .map(|e| format!("{}={}", e.name(), r.decode_errors[e.index()]))
            .collect();
        writeln!(
            w,
            "dropped    {} not decoded{}{}",
            self.decode_errors_total(),
            if reasons.is_empty() { "" } else { ": " },
            reasons.join(" ")
        )?;
        let l4: Vec<String> = DecodeError::ALL
            .iter()
            .filter(|e| r.l4_errors[e.index()] > 0)
            .map(|e| format!("{}={}", e.name(), r.l4_errors[e.index()]))
            .collect();
        if !l4.is_empty() {
            writeln!(w, "           transport header unusable (IP-level inspection only): {}", l4.join(" "))?;
        }
        let d = &r.defrag;
        let defrag_drops = d.timeouts
            + d.dropped_max_trackers
            + d.dropped_memcap
            + d.dropped_max_fragments
            + d.dropped_too_large
            + d.dropped_inconsistent
            + d.incomplete_at_end;
        if defrag_drops > 0 || d.overlaps > 0 {
            writeln!(
                w,
                "defrag     overlaps={} timeouts={} max_trackers={} memcap={} max_fragments={} too_large={} inconsistent={} incomplete_at_end={}",
                d.overlaps,
                d.timeouts,
                d.dropped_max_trackers,
                d.dropped_memcap,
                d.dropped_max_fragments,
                d.dropped_too_large,
                d.dropped_inconsistent,
                d.incomplete_at_end
            )?;
        }
        if r.queue_full_drops > 0 {
            writeln!(
                w,
                "queues     {} batches ({} packets) dropped: worker queue full",
                r.queue_full_drops, r.queue_full_packets
            )?;
        }
        let f = &self.workers.flows;
        writeln!(
            w,
            "flows      {} created, {} timed out, {} evicted (memcap, capacity {}), {} at end, {} packets without flow",
            f.created, f.timed_out, f.evicted, self.workers.flow_capacity, f.ended_at_shutdown, self.workers.flowless
        )?;
        let st = &self.workers.stream;
        writeln!(
            w,
            "stream     {} segments ({} bytes), {} out of order, {} retransmitted, {} overlaps ({} with different data), {} directions at depth",
            st.segments, st.bytes, st.out_of_order, st.retransmissions, st.overlaps, st.overlaps_different, st.depth_reached
        )?;
        writeln!(
            w,
            "           {} gaps ({} bytes): truncated={} acked={} overflow={} flush={}; {} windows inspected ({} new bytes, {} lookback), {} at flow end",
            st.gaps(),
            st.gap_bytes,
            st.gaps_truncated,
            st.gaps_acked,
            st.gaps_overflow,
            st.gaps_flush,
            st.windows,
            st.bytes_inspected,
            st.bytes_lookback,
            st.flushed_windows
        )?;
        writeln!(
            w,
            "           memory peak {} of {} bytes, {} connections ended to free memory; not reassembled: memcap={} segments ({} bytes) segment_limit={} ({} bytes) out_of_window={} low_ttl={}; resets={} (ignored {}), port reuse={}",
            self.workers.stream_memory_peak,
            self.workers.stream_memcap,
            st.memcap_evictions,
            st.memcap_drops,
            st.memcap_drop_bytes,
            st.segment_limit_drops,
            st.segment_limit_drop_bytes,
            st.out_of_window,
            st.low_ttl,
            st.resets,
            st.resets_ignored,
            st.port_reuse
        )?;
        writeln!(
            w,
            "           urgent data: {} segments, {} bytes left out of the stream, pointers ignored: stale={} limit={}",
            st.urgent_segments, st.urgent_removed, st.urgent_stale, st.urgent_limit
        )?;
        self.print_app(w)?;
        let a = &self.alerts;
        writeln!(
            w,
            "alerts     {} written, {} filtered (threshold/suppress), {} over packet_alert_max, {} pass matches, {} packets of passed flows",
            a.written, a.filtered, a.overflow, self.workers.passes, self.workers.skipped_passed_flow
        )?;
        let written: Vec<String> = EventType::ALL
            .iter()
            .filter(|t| a.records[t.index()] > 0)
            .map(|t| format!("{}={}", t.name(), a.records[t.index()]))
            .collect();
        let dropped: Vec<String> = EventType::ALL
            .iter()
            .filter(|t| self.workers.records_dropped[t.index()] > 0)
            .map(|t| format!("{}={}", t.name(), self.workers.records_dropped[t.index()]))
            .collect();
        let written = if written.is_empty() { "none".to_string() } else { written.join(" ") };
        let dropped = if dropped.is_empty() { "none".to_string() } else { dropped.join(" ") };
        let held = self.workers.anomalies_suppressed;
        writeln!(
            w,
            "records    written by type: {written}; dropped (output queue full): {dropped}; anomalies held back by the rate limit: decode={} stream={} applayer={} ({} application-layer anomalies raised, {} not kept)",
            held[0], held[1], held[2], self.workers.app.anomalies, self.workers.app.anomalies_dropped
        )?;
        for sink in &self.sinks {
            writeln!(w, "sinks      {}", sink.summary_line())?;
        }
        let wk = &self.workers;
        let state_lost =
            wk.flowbits_overflow + wk.hosts.xbits_overflow + wk.hosts.tags_overflow + wk.peer_notes_dropped;
        if self.thresholds.memcap_full > 0 || state_lost > 0 || wk.prefilter_errors > 0 {
            writeln!(
                w,
                "limits     threshold memcap full={} flowbits overflow={} xbits overflow={} tags overflow={} xbit/tag/FTP changes not shared between workers={} prefilter scan errors={}",
                self.thresholds.memcap_full,
                wk.flowbits_overflow,
                wk.hosts.xbits_overflow,
                wk.hosts.tags_overflow,
                wk.peer_notes_dropped,
                wk.prefilter_errors
            )?;
        }
        let mut sigs: Vec<_> = a.by_signature.iter().collect();
        sigs.sort_by(|x, y| y.1 .1.cmp(&x.1 .1).then(x.0.cmp(y.0)));
        for ((gid, sid), (msg, n)) in sigs.iter().take(20) {
            writeln!(w, "  {n:>8}  [{gid}:{sid}] {msg}")?;
        }
        if sigs.len() > 20 {
            writeln!(w, "  ... and {} more signatures", sigs.len() - 20)?;
        }
        Ok(())
    }
}
