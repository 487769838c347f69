//! A detection worker: owns its flow table, reassembly state, detection
//! scratch and output buffer; shares only the immutable rule set.
//!
//! Per packet: find or create the flow (ending it first if a new
//! connection reuses its ports), update TCP state, feed the segment to the
//! stream, inspect the packet, then inspect whatever stream data is due.
//! Flows that end (timeout, eviction, reuse, end of input) have their
//! remaining stream data inspected before they are dropped.

use std::sync::Arc;

use super::alerting::{counted_len, pkt_src, start_tags, At, Detector, Origin};
use super::anomalies::AnomalyLog;
use super::app::{file_tracking, note_packet_tx, packet_tx, AppEnv};
use super::batch::{Batch, PacketMeta, ReloadPlan};
use super::counters::TrafficCounters;
use super::peers::PeerLink;
use super::records::{log_flow_end, log_transactions};
use super::stream::{Segment, StreamEnv};
use crate::app::probe::other_way_round;
use crate::app::session::AppStats;
use crate::app::AppProto;
use crate::config::Config;
use crate::decode::tcp::{ACK, RST, SYN};
use crate::decode::{Decoded, IPPROTO_UDP, L4};
use crate::detect::hoststate::HostStateStats;
use crate::detect::{DetectEngine, DetectInput, FlowInfo, Placement};
use crate::flow::tcp::{CloseStage, FirstPacket, MidstreamPolicy};
use crate::flow::{exception, EndReason, Flow, FlowKey, FlowStats, FlowTable, TcpState, TcpTrack};
use crate::output::community_id::Tuple;
use crate::output::records::packet::{self, TaggedPacket};
use crate::output::records::EventType;
use crate::output::stage::RecordBatch;
use crate::stream::reassembly::Trigger;
use crate::stream::StreamStats;
use crate::util::Timestamp;

/// Counters of one worker.
#[derive(Debug, Clone, Default)]
pub struct WorkerStats {
    pub packets: u64,
    pub bytes: u64,
    /// Live: batches inspected, and the microseconds from the receipt of
    /// each one's first packet to the end of its inspection, summed (their
    /// ratio over an interval is the mean latency a packet waits at most).
    pub batches: u64,
    pub batch_latency_us: u64,
    /// Packets without a flow (transport header unusable).
    pub flowless: u64,
    pub matches: u64,
    /// Matches of `pass` rules (the flow is no longer inspected).
    pub passes: u64,
    pub skipped_passed_flow: u64,
    /// TCP sessions first seen mid-stream and bypassed by policy.
    pub midstream_bypassed: u64,
    pub prefilter_errors: u64,
    pub flowbits_overflow: u64,
    /// xbits and tags: overflows and tagged packets logged.
    pub hosts: HostStateStats,
    /// xbit and host-tag changes and FTP announcements not delivered to
    /// another worker (its inbox was full).
    pub peer_notes_dropped: u64,
    /// Rule reloads this worker could not apply (it kept the old set).
    pub reload_errors: u64,
    pub flows: FlowStats,
    pub flow_capacity: usize,
    pub stream: StreamStats,
    /// Stream memory: budget, in use when the counters were taken, and the
    /// most used at once (bytes).
    pub stream_memcap: u64,
    pub stream_memory_used: u64,
    pub stream_memory_peak: u64,
    pub app: AppStats,
    /// Records dropped because the output stage's queue stayed full
    /// (live only), by event type.
    pub records_dropped: [u64; EventType::COUNT],
    /// `anomaly` records held back by the rate limit, per kind
    /// (decode, stream, applayer).
    pub anomalies_suppressed: [u64; 3],
    /// Flows by protocol and end state, TCP flags (Suricata's `flow.*`,
    /// `tcp.*`).
    pub traffic: TrafficCounters,
}

impl WorkerStats {
    pub fn merge(&mut self, o: &WorkerStats) {
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.batches += o.batches;
        self.batch_latency_us += o.batch_latency_us;
        self.flowless += o.flowless;
        self.matches += o.matches;
        self.passes += o.passes;
        self.skipped_passed_flow += o.skipped_passed_flow;
        self.midstream_bypassed += o.midstream_bypassed;
        self.prefilter_errors += o.prefilter_errors;
        self.flowbits_overflow += o.flowbits_overflow;
        self.hosts.xbits_overflow += o.hosts.xbits_overflow;
        self.hosts.tags_overflow += o.hosts.tags_overflow;
        self.hosts.tagged_packets += o.hosts.tagged_packets;
        self.peer_notes_dropped += o.peer_notes_dropped;
        self.reload_errors += o.reload_errors;
        self.flows.created += o.flows.created;
        self.flows.reused += o.flows.reused;
        self.flows.reversed += o.flows.reversed;
        self.flows.timed_out += o.flows.timed_out;
        self.flows.evicted += o.flows.evicted;
        self.flows.ended_at_shutdown += o.flows.ended_at_shutdown;
        self.flows.active += o.flows.active;
        self.flows.max_active += o.flows.max_active;
        self.flow_capacity += o.flow_capacity;
        self.stream.merge(&o.stream);
        self.stream_memcap += o.stream_memcap;
        self.stream_memory_used += o.stream_memory_used;
        self.stream_memory_peak += o.stream_memory_peak;
        self.app.merge(&o.app);
        for (a, b) in self.records_dropped.iter_mut().zip(o.records_dropped) {
            *a += b;
        }
        for (a, b) in self.anomalies_suppressed.iter_mut().zip(o.anomalies_suppressed) {
            *a += b;
        }
        self.traffic.merge(&o.traffic);
    }
}

/// Alerts raised when a flow ends at end of input come after every packet,
/// ordered by the flow's last packet.
const END_ORDER: u64 = 1 << 63;

/// Flows ended per batch of records at the end of a capture.
const FINISH_CHUNK: usize = 1024;
/// Connections ended at most per packet to free stream memory.
const MAX_EVICT_FOR_MEMORY: usize = 4;

pub struct Worker {
    pub id: usize,
    det: Detector,
    flows: FlowTable,
    streams: StreamEnv,
    app: AppEnv,
    anomalies: AnomalyLog,
    /// Flows that ended and still need their streams flushed.
    ended: Vec<(Flow, EndReason)>,
    last_expire: u64,
    /// The other workers, told of xbit and host-tag changes.
    peers: PeerLink,
    pub stats: WorkerStats,
}

impl Worker {
    pub fn new(id: usize, engine: Arc<DetectEngine>, cfg: Arc<Config>, max_flows: usize) -> Result<Worker, String> {
        let flows = FlowTable::new(&cfg.flow, max_flows);
        let streams = StreamEnv::new(&cfg.stream, cfg.engine.workers)?;
        let stream_memcap = streams.budget.cap;
        let types = &cfg.output.eve.types;
        let files = file_tracking(&cfg, engine.file_needs(), id)?;
        // Transactions stay until logged: their records, and their files'
        // records or store decision.
        let log_txs =
            [EventType::Http, EventType::Dns, EventType::Tls, EventType::Ssh, EventType::Ftp, EventType::Fileinfo]
                .iter()
                .any(|t| types.enabled(*t))
                || files.store.is_some();
        let mut app_cfg = cfg.app.clone();
        // A rule on HASSH turns its computation on, as in Suricata.
        app_cfg.ssh.hassh |= engine.needs_hassh();
        let mut app = AppEnv::new(&app_cfg, log_txs, files);
        let anomalies = AnomalyLog::new(&cfg);
        app.log_anomalies = anomalies.logs(crate::output::records::anomaly::Kind::AppParser);
        app.cfg.tls.ja3_rules = engine.uses_ja3;
        if cfg.engine.workers > 1 {
            app.share_announcements();
        }
        Ok(Worker {
            id,
            det: Detector::new(engine, cfg)?,
            flows,
            streams,
            app,
            anomalies,
            ended: Vec::new(),
            last_expire: 0,
            peers: PeerLink::alone(),
            stats: WorkerStats { flow_capacity: max_flows, stream_memcap, ..WorkerStats::default() },
        })
    }

    /// Connects the worker to the others (see [`super::peers`]).
    pub fn connect(&mut self, link: PeerLink) {
        self.peers = link;
    }

    /// Applies the other workers' xbit and host-tag changes and FTP
    /// announcements.
    fn receive_notes(&mut self) {
        let (peers, ctx, app) = (&self.peers, &mut self.det.ctx, &mut self.app);
        let now = ctx.now;
        peers.receive(|b| {
            ctx.hosts.receive(&b.host, now);
            for a in &b.ftp {
                app.announce(a.clone());
            }
        });
    }

    /// Sends this worker's changes and announcements to the others.
    fn publish_notes(&mut self) {
        let ftp = self.app.take_announcements();
        self.peers.publish(&mut self.det.ctx.hosts.outbox, ftp);
    }

    pub fn det_config(&self) -> &Config {
        &self.det.cfg
    }

    /// Packets come from a live source (unordered alert output).
    pub fn is_live(&self) -> bool {
        self.det.cfg.engine.live
    }

    /// Processes a batch, appending alerts to `out`.
    pub fn process_batch(&mut self, batch: &Batch, out: &mut RecordBatch) {
        // Frames that did not decode are logged in capture order among the
        // packets (the output stage expects a worker's records in order).
        self.receive_notes();
        let mut failed = batch.failed.iter().peekable();
        for p in &batch.pkts {
            while let Some(f) = failed.next_if(|f| f.pcap_cnt < p.pcap_cnt) {
                self.anomalies.failed(f, out);
            }
            let frame = batch.frame(p);
            self.process(frame, p, out);
        }
        for f in failed {
            self.anomalies.failed(f, out);
        }
        self.publish_notes();
        out.horizon = batch.horizon;
    }

    fn expire(&mut self, now: Timestamp, order: u64, out: &mut RecordBatch) {
        let secs = now.secs();
        if secs > self.last_expire {
            self.last_expire = secs;
            self.det.ctx.hosts.expire(now);
            let ended = &mut self.ended;
            self.flows.expire(now, &mut |f, r| ended.push((f, r)));
            self.finish_ended(order, out);
        }
    }

    /// Flushes the streams of flows that ended, logs them, then drops them.
    fn finish_ended(&mut self, order: u64, out: &mut RecordBatch) {
        let mut ended = std::mem::take(&mut self.ended);
        for (f, why) in ended.iter_mut() {
            let ts = f.last;
            self.det.ctx.now = self.det.ctx.now.max(ts);
            let at_end = order >= END_ORDER;
            let at = |d: usize| {
                let order = if at_end { END_ORDER + f.last_pcap * 2 + d as u64 } else { order };
                At::Pseudo { ts, order, pkt_src: "stream (flow timeout)" }
            };
            let (at0, at1) = (at(0), at(1));
            for (d, at) in [(0, at0), (1, at1)] {
                let mark = self.anomalies.stream_mark(&self.streams.stats);
                inspect_stream(&mut self.det, &mut self.streams, &mut self.app, f, d, Trigger::Eof, at, None, out);
                self.anomalies.stream_since(&self.det.cfg, mark, &self.streams.stats, f, d, at, out);
            }
            self.app.close_both(f);
            for (d, at) in [(0, at0), (1, at1)] {
                self.app.inspect(&mut self.det, f, d, at, out);
            }
            self.anomalies.app(&self.det.cfg, f, at0, out);
            log_transactions(&self.det.cfg, f, at0, true, &self.det.engine.flowbits, out);
            self.stats.traffic.flow_ended(f, crate::output::records::flow::state_name(f));
            self.streams.release(f);
            self.app.end(f);
            let flow_order = if at_end { END_ORDER + f.last_pcap * 2 + 1 } else { order };
            let mut names: [&str; 16] = [""; 16];
            let n = self.det.engine.flowbits.names_of(f.detect.ids(), &mut names);
            log_flow_end(&self.det.cfg, f, *why, &names[..n], flow_order, out);
        }
        ended.clear();
        self.ended = ended;
    }

    /// Live: the wall clock reached `now` without a packet; flows that
    /// timed out end (their streams inspected) and statistics refresh.
    pub fn tick(&mut self, now: Timestamp, out: &mut RecordBatch) {
        self.receive_notes();
        self.expire(now, 0, out);
        self.publish_notes();
        self.sync_stats();
    }

    /// Switches to a new rule set. Flows, streams and transactions stay;
    /// flowbits are renumbered by name. Returns the rule set replaced.
    pub fn reload(&mut self, plan: &ReloadPlan) -> Result<Arc<DetectEngine>, String> {
        let mut ctx = plan.engine.new_ctx()?;
        ctx.scan_errors = self.det.ctx.scan_errors;
        ctx.flowbits_overflow = self.det.ctx.flowbits_overflow;
        ctx.now = self.det.ctx.now;
        // xbits and host tags stay, renumbered like flowbits.
        std::mem::swap(&mut ctx.hosts, &mut self.det.ctx.hosts);
        ctx.hosts.remap(&plan.xbits);
        let files = file_tracking(&self.det.cfg, plan.engine.file_needs(), self.id)?;
        self.app.set_file_tracking(files);
        self.det.ctx = ctx;
        let old = std::mem::replace(&mut self.det.engine, plan.engine.clone());
        // Once on, HASSH stays on (Suricata never turns it off either).
        self.app.cfg.ssh.hassh |= plan.engine.needs_hassh();
        self.app.cfg.tls.ja3_rules = plan.engine.uses_ja3;
        self.flows.for_each_mut(|f| {
            f.detect.remap(&plan.flowbits);
            f.detect.remap_ints(&plan.flowints);
            f.detect.remap_tx_bits(&plan.xbits);
        });
        Ok(old)
    }

    /// Ends all flows (end of capture), flushing their streams into `out`.
    /// Every [`FINISH_CHUNK`] flows `out` goes to `send` (which hands back
    /// an empty batch) with a horizon the output stage can release up to:
    /// a table ending at once would otherwise hold every record of every
    /// flow (tens of MB with flow and DNS records) in memory together.
    pub fn finish(&mut self, out: &mut RecordBatch, mut send: impl FnMut(&mut RecordBatch)) {
        let mut all = Vec::new();
        self.flows.drain(&mut |f, r| all.push((f, r)));
        all.sort_by_key(|(f, _)| f.last_pcap);
        let mut rest = all.into_iter().peekable();
        while rest.peek().is_some() {
            self.ended.extend(rest.by_ref().take(FINISH_CHUNK));
            self.finish_ended(END_ORDER, out);
            if let Some((next, _)) = rest.peek() {
                // Later records are at END_ORDER + last_pcap * 2 or after.
                out.horizon = (END_ORDER + next.last_pcap * 2).saturating_sub(1);
                send(out);
            }
        }
        self.sync_stats();
    }

    /// Copies the counters kept by each stage into `stats`.
    pub fn sync_stats(&mut self) {
        self.stats.flows = self.flows.stats;
        self.stats.flows.active = self.flows.len() as u64;
        self.stats.prefilter_errors = self.det.ctx.scan_errors;
        self.stats.flowbits_overflow = self.det.ctx.flowbits_overflow;
        self.stats.hosts = self.det.ctx.hosts.stats;
        self.stats.peer_notes_dropped = self.peers.dropped;
        self.stats.matches = self.det.matches_total;
        self.stats.passes = self.det.passes;
        self.stats.stream = self.streams.stats;
        self.stats.stream_memory_used = self.streams.budget.used;
        self.stats.stream_memory_peak = self.streams.budget.peak;
        self.stats.app = self.app.stats;
        self.stats.anomalies_suppressed = self.anomalies.limiter.suppressed;
    }

    /// The flow of a packet: found, created, or replaced when a new TCP
    /// connection reuses the ports of a finished one.
    fn flow_for(&mut self, dec: &Decoded, payload: &[u8], p: &PacketMeta, out: &mut RecordBatch) -> (u32, bool) {
        let (key, _) = FlowKey::of(dec);
        let pickup = self.det.cfg.stream.pickup();
        if let Some(s) = self.flows.find(&key) {
            let reused = match (dec.l4, self.flows.get(s)) {
                (L4::Tcp(t), Some(f)) => {
                    t.flags & (SYN | ACK) == SYN
                        && matches!(f.tcp.state, TcpState::Closing | TcpState::Closed)
                        && f.tcp.seq[0].isn != t.seq
                }
                _ => false,
            };
            if !reused {
                return (s, false);
            }
            if let Some(f) = self.flows.end(s) {
                self.streams.stats.port_reuse += 1;
                self.ended.push((f, EndReason::Reused));
            }
        }
        let client_is_src = match dec.l4 {
            L4::Tcp(t) => TcpTrack::first_packet(&t, payload, pickup) == FirstPacket::Client,
            _ => true,
        };
        let ended = &mut self.ended;
        let slot = self.flows.create(key, dec, client_is_src, p.ts, &mut |f, r| ended.push((f, r)));
        if !self.ended.is_empty() {
            self.finish_ended(p.pcap_cnt, out);
        }
        (slot, true)
    }

    /// The stream memcap is reached and in-order data is waiting: end the
    /// least recently active connections holding stream memory (their
    /// data is inspected first), then try again.
    fn make_room(
        &mut self,
        slot: u32,
        p: &PacketMeta,
        out: &mut RecordBatch,
        retry: impl FnOnce(&mut StreamEnv, &mut Flow) -> Segment,
        starved: Segment,
    ) -> Segment {
        for _ in 0..MAX_EVICT_FOR_MEMORY {
            let Some(f) = self.flows.evict_oldest_where(64, slot, |f| f.stream.is_some()) else { break };
            self.streams.stats.memcap_evictions += 1;
            self.ended.push((f, EndReason::Evicted));
        }
        self.finish_ended(p.pcap_cnt, out);
        let Some(f) = self.flows.get_mut(slot) else { return starved };
        let seg = retry(&mut self.streams, f);
        Segment { acked_other: starved.acked_other, trigger: seg.trigger.or(starved.trigger), ..seg }
    }

    fn process(&mut self, frame: &[u8], p: &PacketMeta, out: &mut RecordBatch) {
        let dec = &p.dec;
        self.stats.packets += 1;
        self.stats.bytes += u64::from(p.len);
        self.stats.traffic.packet(dec);
        self.expire(p.ts, p.pcap_cnt, out);
        let payload = dec.payload(frame);
        let slot = if dec.l4_error.is_some() {
            self.stats.flowless += 1;
            None
        } else {
            Some(self.flow_for(dec, payload, p, out))
        };
        if dec.is_truncated() || dec.l4_error.is_some() {
            let flow = slot.and_then(|(s, _)| self.flows.get(s));
            self.anomalies.packet(&self.det.cfg, p, flow, out);
        }
        let mark = self.anomalies.stream_mark(&self.streams.stats);
        let pickup = self.det.cfg.stream.pickup();
        let pkt_len = counted_len(p);
        let mut flow_info = None;
        let mut seg = Segment::default();
        let mut dir = 0;
        // As Suricata flags a packet on arrival: what the parsers decide
        // while handling it applies from the flow's next packet on.
        let mut payload_on = true;
        if let Some((slot, first)) = slot {
            let Some(f) = self.flows.get_mut(slot) else { return };
            payload_on = !f.detect.payload_off;
            if first {
                let syn = matches!(dec.l4, L4::Tcp(t) if t.flags & SYN != 0);
                self.stats.traffic.flow_created(f.proto, syn);
            }
            f.last_pcap = p.pcap_cnt;
            let (sp, _) = dec.ports();
            let mut to_server = (dec.ip.src, sp) == f.client || f.client == f.server;
            let mut reversed = false;
            if let L4::Tcp(t) = dec.l4 {
                if first {
                    f.reversible = pickup.midstream && t.flags & SYN == 0;
                }
                if f.reversible && !payload.is_empty() {
                    // Decided on the session's first data, before the
                    // tracker, the stream and the parsers see it.
                    f.reversible = false;
                    let ports = (f.client.1, f.server.1);
                    let undecided = f.stream.is_none() && f.app.is_none() && f.app_proto == AppProto::Unknown;
                    if undecided && self.app.cfg.enabled && other_way_round(payload, to_server, ports) {
                        f.reverse();
                        to_server = !to_server;
                        reversed = true;
                    }
                }
            }
            dir = usize::from(!to_server);
            // A TCP packet is "established" if the session was before it
            // arrived (the handshake's last ACK is not), as in Suricata;
            // other protocols once both directions have been seen.
            let tcp_established_before = f.tcp.established();
            f.pkts[dir] += 1;
            f.bytes[dir] += pkt_len;
            if dec.is_truncated() {
                f.truncated = f.truncated.saturating_add(1);
            }
            let ttl = &mut f.ttl[dir];
            *ttl = (ttl.0.min(dec.ip.ttl), ttl.1.max(dec.ip.ttl));
            match dec.l4 {
                L4::Tcp(t) => f.tcp_flags[dir] |= t.flags,
                L4::Icmp(i) if f.icmp[dir].is_none() => f.icmp[dir] = Some((i.itype, i.code)),
                _ => {}
            }
            if let L4::Tcp(mut t) = dec.l4 {
                if t.flags & RST != 0 && !self.streams.rst_valid(f, &t, dir) {
                    t.flags &= !RST;
                }
                f.tcp.update(&t, dec.payload_len, to_server, first, pickup);
                // Picked up without its SYN (or from the SYN/ACK).
                let midstream = first && (t.flags & SYN == 0 || f.tcp.midstream);
                if first && t.flags & (SYN | ACK) != SYN {
                    // Suricata's stream_midstream exception policy applies
                    // to every session seen without its SYN (a SYN/ACK
                    // first included); EVE shows it.
                    f.exception |= if pickup.midstream_policy == MidstreamPolicy::Bypass {
                        exception::MIDSTREAM_BYPASS
                    } else {
                        exception::MIDSTREAM_IGNORE
                    };
                }
                if midstream && pickup.midstream_policy == MidstreamPolicy::Bypass {
                    f.detect.passed = true;
                    f.bypassed = true;
                    self.stats.midstream_bypassed += 1;
                }
                seg = self.streams.on_segment(f, &t, dec, payload, dir);
                if seg.starved {
                    seg = self.make_room(slot, p, out, |streams, f| streams.retry(f, &t, dec, payload, dir), seg);
                }
            }
            let Some(f) = self.flows.get_mut(slot) else { return };
            if seg.acked_other {
                // The other direction's data is parsed before this packet is
                // inspected (Suricata's stream stage runs first), so rules on
                // the application protocol already see it.
                self.app.feed_stream(f, 1 - dir, Trigger::Acked, &self.streams.cfg);
            }
            if f.proto == IPPROTO_UDP {
                // Parsed before the packet is inspected, so that rules on
                // the application protocol see it (inspected below).
                self.app.feed_datagram(f, payload, to_server);
            }
            let established = if matches!(dec.l4, L4::Tcp(_)) { tcp_established_before } else { f.established() };
            flow_info = Some(FlowInfo {
                to_server,
                established,
                client_bytes: f.tcp.seq[0].bytes(),
                server_bytes: f.tcp.seq[1].bytes(),
                app_proto: f.app_proto,
            });
            self.flows.touch(slot, p.ts);
            self.flows.stats.reversed += u64::from(reversed);
        }
        self.det.ctx.now = p.ts;
        // Counted before this packet's own alerts can start a tag.
        let tagged = self.tag_count(slot, dec, p.ts, pkt_len);
        let input = DetectInput {
            dec,
            payload,
            flow: flow_info,
            in_stream: seg.in_stream,
            is_stream: false,
            payload_inspection: payload_on,
            placement: Placement::default(),
        };
        let flow = slot.and_then(|(s, _)| self.flows.get_mut(s));
        let det = &mut self.det;
        det.matches.clear();
        det.verdict_pass = false;
        match flow {
            // Passed or bypassed: no more detection (a passed flow is still
            // parsed and logged below, unless nothing is logged).
            Some(f) if f.detect.passed => {
                self.stats.skipped_passed_flow += 1;
                if f.parsing_stopped() {
                    return;
                }
            }
            Some(f) => {
                det.engine.detect(&mut det.ctx, &input, Some(&mut f.detect), &mut det.matches);
                if det.apply_pass(&mut f.detect, false) && f.parsing_stopped() {
                    self.streams.release(f);
                }
            }
            None => {
                det.engine.detect(&mut det.ctx, &input, None, &mut det.matches);
                det.matches_total += det.matches.len() as u64;
            }
        }
        let det = &mut self.det;
        if !det.matches.is_empty() {
            let flow = slot.and_then(|(s, _)| self.flows.get(s));
            let to_server = flow_info.is_none_or(|f| f.to_server);
            let origin = Origin::packet(frame, p, dec, to_server, false);
            let guess = self.det.engine.config.guess_applayer_tx;
            let tx = flow.and_then(|f| packet_tx(f, to_server, guess));
            let tx_id = tx.map(|t| t.tx.0);
            let (alerted, shown) = self.det.emit_packet(&origin, flow, payload, tx, out);
            let f = slot.and_then(|(s, _)| self.flows.get_mut(s));
            let det = &mut self.det;
            let session = match f {
                Some(f) => {
                    f.alerted |= alerted;
                    note_packet_tx(f, to_server, tx_id.unwrap_or(0), shown);
                    Some(&mut f.detect.tags)
                }
                None => None,
            };
            start_tags(&det.engine, &mut det.ctx.hosts, session, det.matches.iter().copied(), dec, p.ts, pkt_len);
        }
        let Some((slot, _)) = slot else {
            self.log_tagged(tagged, frame, p, None, out);
            return;
        };
        self.inspect_after_packet(slot, frame, p, dir, seg, payload_on, out);
        if let Some(f) = self.flows.get_mut(slot) {
            let here = At::Packet(frame, p);
            self.anomalies.stream_since(&self.det.cfg, mark, &self.streams.stats, f, dir, here, out);
            self.anomalies.app(&self.det.cfg, f, here, out);
            log_transactions(&self.det.cfg, f, here, false, &self.det.engine.flowbits, out);
            // Copied out of the flow (borrowed mutably), and only for a
            // tagged packet: nothing is added to the untagged path.
            let flow = tagged.then(|| (f.id, Tuple::of_flow(f)));
            self.log_tagged(tagged, frame, p, flow, out);
        }
    }

    /// Counts the packet against its session's and its hosts' tags; true
    /// when one covers it.
    fn tag_count(&mut self, slot: Option<(u32, bool)>, dec: &Decoded, ts: Timestamp, len: u64) -> bool {
        let flow = slot.and_then(|(s, _)| self.flows.get_mut(s));
        let session = flow.and_then(|f| f.detect.tags.as_deref_mut()).is_some_and(|t| t.admit(ts, len));
        let host = self.det.ctx.hosts.host_tagged(dec.ip.src, dec.ip.dst, ts, len);
        session || host
    }

    /// Writes a packet a tag covers as a `packet` record.
    fn log_tagged(
        &mut self,
        tagged: bool,
        frame: &[u8],
        p: &PacketMeta,
        flow: Option<(u64, Tuple)>,
        out: &mut RecordBatch,
    ) {
        let eve = &self.det.cfg.output.eve;
        if !tagged || !eve.tagged_packets || !eve.types.enabled(EventType::Packet) {
            return;
        }
        self.det.ctx.hosts.stats.tagged_packets += 1;
        let rec = TaggedPacket {
            ts: p.ts,
            flow_id: flow.map(|f| f.0),
            cid: flow.map(|f| f.1),
            pcap_cnt: if self.is_live() { 0 } else { p.pcap_cnt },
            frame,
            linktype: p.linktype,
            dec: &p.dec,
            pkt_src: pkt_src(&p.dec),
        };
        out.push(p.pcap_cnt, EventType::Packet, |o| packet::write_record(o, eve, &rec));
    }

    /// Inspects the stream data a packet made due.
    #[allow(clippy::too_many_arguments)]
    fn inspect_after_packet(
        &mut self,
        slot: u32,
        frame: &[u8],
        p: &PacketMeta,
        dir: usize,
        seg: Segment,
        payload_on: bool,
        out: &mut RecordBatch,
    ) {
        let Some(f) = self.flows.get_mut(slot) else { return };
        let here = At::Packet(frame, p);
        if f.proto == IPPROTO_UDP {
            // A datagram's transactions are inspected on it.
            self.app.inspect(&mut self.det, f, dir, here, out);
            self.app.inspect(&mut self.det, f, 1 - dir, here, out);
            return;
        }
        if f.stream.is_none() {
            return;
        }
        let pseudo = At::Pseudo { ts: p.ts, order: p.pcap_cnt, pkt_src: "stream (detect/log)" };
        let (det, streams, app) = (&mut self.det, &mut self.streams, &mut self.app);
        if seg.reset {
            let anomalies = &mut self.anomalies;
            inspect_stream(det, streams, app, f, dir, Trigger::Eof, here, Some(payload_on), out);
            inspect_stream(det, streams, app, f, 1 - dir, Trigger::Eof, pseudo, None, out);
            app.close_both(f);
            app.inspect(det, f, dir, here, out);
            app.inspect(det, f, 1 - dir, pseudo, out);
            anomalies.app(&det.cfg, f, here, out);
            log_transactions(&det.cfg, f, here, true, &det.engine.flowbits, out);
            streams.release(f);
            app.end(f);
            return;
        }
        let raw_due = f.stream.as_deref_mut().is_some_and(|s| std::mem::take(&mut s.raw_due[dir]));
        let trigger = match seg.trigger {
            Some(Trigger::Packet) if raw_due => Some(Trigger::Acked),
            t => t,
        };
        if let Some(t) = trigger {
            inspect_stream(det, streams, app, f, dir, t, here, Some(payload_on), out);
        }
        let inspect_acked = streams.cfg.inspect_acked;
        if seg.acked_other {
            // The receiver acknowledged the other direction: its data is
            // parsed now (as in Suricata), and inspected now only with
            // `inspect_acked`.
            if inspect_acked {
                inspect_stream(det, streams, app, f, 1 - dir, Trigger::Acked, pseudo, None, out);
            } else {
                app.feed_stream(f, 1 - dir, Trigger::Acked, &streams.cfg);
            }
        }
        // Both FINs acknowledged: the parsers see the end of both streams
        // (libhtp completes a response read until the close), and what
        // that completes is inspected and logged now.
        let closing = f.tcp.close == CloseStage::Closed && !f.app_closed;
        if closing {
            app.close_both(f);
        }
        // Transactions are inspected on a packet of their direction, or at
        // once with `inspect_acked`.
        app.inspect(det, f, dir, here, out);
        if inspect_acked || closing {
            app.inspect(det, f, 1 - dir, pseudo, out);
        }
    }
}

/// Inspects direction `d` of a flow's stream as far as `trigger` allows,
/// raising alerts attributed to `at`. Once the flow's payload is no longer
/// inspected (encrypted) the windows are only consumed. Whether it still is
/// follows Suricata, which flags a packet on arrival: for the packet's own
/// direction `on_arrival` tells how the flow stood when the packet came;
/// data inspected on behalf of a later packet (`None`: the other direction
/// at an acknowledgement, the flow's end) goes by the flow as it stands
/// once the parsers have read it.
#[allow(clippy::too_many_arguments)]
fn inspect_stream(
    det: &mut Detector,
    env: &mut StreamEnv,
    app: &mut AppEnv,
    f: &mut Flow,
    d: usize,
    trigger: Trigger,
    at: At<'_>,
    on_arrival: Option<bool>,
    out: &mut RecordBatch,
) {
    if f.parsing_stopped() {
        return;
    }
    // The parser sees the data before the raw windows consume it.
    app.feed_stream(f, d, trigger, &env.cfg);
    let payload_on = on_arrival.unwrap_or(!f.detect.payload_off);
    let info = FlowInfo {
        to_server: d == 0,
        // Stream data is exchanged established (pseudo packets at flow end
        // count as established, as Suricata's do).
        established: f.tcp.was_established,
        client_bytes: f.tcp.seq[0].bytes(),
        server_bytes: f.tcp.seq[1].bytes(),
        app_proto: f.app_proto,
    };
    let Some(st) = f.stream.as_deref_mut() else { return };
    let mut scratch = None;
    let Some(dec) = at.decoded(st.template[d], &mut scratch) else { return };
    let chunk = env.chunk(d);
    det.hits.clear();
    det.ctx.set_hits.clear();
    det.verdict_pass = false;
    let mut passed = false;
    while let Some(w) = st.dir[d].next_window(&env.cfg, chunk, trigger, &mut env.budget, &mut env.stats) {
        if f.detect.passed || !payload_on {
            // After a pass rule, or once the payload is encrypted, the
            // stream is only kept for the application layer: its windows
            // are consumed uninspected.
            st.dir[d].consume(&w, &env.cfg, &mut env.stats);
            continue;
        }
        st.dir[d].window_anchors(&w, &mut det.anchors);
        let input = DetectInput {
            dec,
            payload: st.dir[d].window_bytes(&w),
            flow: Some(info),
            in_stream: true,
            is_stream: true,
            payload_inspection: true,
            placement: Placement { anchors: &det.anchors, new_from: (w.new_from - w.start) as usize },
        };
        det.matches.clear();
        det.engine.detect(&mut det.ctx, &input, Some(&mut f.detect), &mut det.matches);
        passed |= det.apply_pass(&mut f.detect, true);
        for (k, &m) in det.matches.iter().enumerate() {
            let end = det.ctx.match_ends.get(k).copied().unwrap_or(0) as u64;
            det.hits.push((m, w.start + end));
        }
        st.dir[d].consume(&w, &env.cfg, &mut env.stats);
        if trigger == Trigger::Eof {
            env.stats.flushed_windows += 1;
        }
    }
    if !det.hits.is_empty() {
        det.log.clear();
        let (log_at, log_off) = st.dir[d].render(&mut det.log);
        let origin = at.origin(dec, d == 0, true);
        let tx = packet_tx(f, d == 0, det.engine.config.guess_applayer_tx);
        let tx_id = tx.map(|t| t.tx.0);
        let (alerted, shown) = det.emit_stream(&origin, f, (log_at, log_off), tx, out);
        f.alerted |= alerted;
        note_packet_tx(f, d == 0, tx_id.unwrap_or(0), shown);
        let len = match at {
            At::Packet(_, p) => counted_len(p),
            At::Pseudo { .. } => 0,
        };
        let ids = det.hits.iter().map(|h| h.0);
        start_tags(&det.engine, &mut det.ctx.hosts, Some(&mut f.detect.tags), ids, dec, origin.ts, len);
    }
    if passed && f.parsing_stopped() {
        env.release(f);
    } else if let Some(st) = f.stream.as_deref_mut() {
        st.dir[d].trim(&env.cfg, &mut env.budget);
    }
}
