//! A detection worker: owns its flow table, detection scratch and output
//! buffer; shares only the immutable rule set.

use std::sync::Arc;

use super::batch::{Batch, PacketMeta};
use crate::config::Config;
use crate::decode::{flags, L4};
use crate::detect::{DetectCtx, DetectEngine, DetectInput, FlowInfo};
use crate::flow::tcp::FirstPacket;
use crate::flow::tcp::MidstreamPolicy;
use crate::flow::{EndReason, Flow, FlowKey, FlowStats, FlowTable, TcpTrack};
use crate::output::alerts::{AlertBatch, PendingAlert};
use crate::output::eve::{write_alert, AlertContext};
use crate::output::threshold::MatchFacts;
use crate::rules::header::Action;
use crate::util::Timestamp;

/// Counters of one worker.
#[derive(Debug, Clone, Default)]
pub struct WorkerStats {
    pub packets: u64,
    pub bytes: u64,
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
    pub flows: FlowStats,
    pub flow_capacity: usize,
}

impl WorkerStats {
    pub fn merge(&mut self, o: &WorkerStats) {
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.flowless += o.flowless;
        self.matches += o.matches;
        self.passes += o.passes;
        self.skipped_passed_flow += o.skipped_passed_flow;
        self.midstream_bypassed += o.midstream_bypassed;
        self.prefilter_errors += o.prefilter_errors;
        self.flowbits_overflow += o.flowbits_overflow;
        self.flows.created += o.flows.created;
        self.flows.timed_out += o.flows.timed_out;
        self.flows.evicted += o.flows.evicted;
        self.flows.ended_at_shutdown += o.flows.ended_at_shutdown;
        self.flows.max_active += o.flows.max_active;
        self.flow_capacity += o.flow_capacity;
    }
}

pub struct Worker {
    pub id: usize,
    engine: Arc<DetectEngine>,
    cfg: Arc<Config>,
    ctx: DetectCtx,
    flows: FlowTable,
    matches: Vec<u32>,
    last_expire: u64,
    pub stats: WorkerStats,
}

/// Called with each flow that ends (timeout, eviction, shutdown). Stream
/// flushing and flow records hook in here.
fn flow_ended(_flow: Flow, _why: EndReason) {}

impl Worker {
    pub fn new(id: usize, engine: Arc<DetectEngine>, cfg: Arc<Config>, max_flows: usize) -> Result<Worker, String> {
        let ctx = engine.new_ctx()?;
        let flows = FlowTable::new(&cfg.flow, max_flows);
        Ok(Worker {
            id,
            engine,
            cfg,
            ctx,
            flows,
            matches: Vec::new(),
            last_expire: 0,
            stats: WorkerStats { flow_capacity: max_flows, ..WorkerStats::default() },
        })
    }

    /// Processes a batch, appending alerts to `out`.
    pub fn process_batch(&mut self, batch: &Batch, out: &mut AlertBatch) {
        for p in &batch.pkts {
            let frame = batch.frame(p);
            self.process(frame, p, out);
        }
        out.horizon = batch.horizon;
    }

    fn expire(&mut self, now: Timestamp) {
        let secs = now.secs();
        if secs > self.last_expire {
            self.last_expire = secs;
            self.flows.expire(now, &mut flow_ended);
        }
    }

    /// Ends all flows (end of capture).
    pub fn finish(&mut self) {
        self.flows.drain(&mut flow_ended);
        self.stats.flows = self.flows.stats;
        self.stats.prefilter_errors = self.ctx.scan_errors;
        self.stats.flowbits_overflow = self.ctx.flowbits_overflow;
    }

    fn process(&mut self, frame: &[u8], p: &PacketMeta, out: &mut AlertBatch) {
        let dec = &p.dec;
        self.stats.packets += 1;
        self.stats.bytes += u64::from(p.len);
        self.expire(p.ts);
        let pickup = self.cfg.stream;
        let slot = if dec.l4_error.is_some() {
            self.stats.flowless += 1;
            None
        } else {
            let (key, _) = FlowKey::of(dec);
            Some(match self.flows.find(&key) {
                Some(s) => (s, false),
                None => {
                    let client_is_src = match dec.l4 {
                        L4::Tcp(t) => TcpTrack::first_packet(&t, pickup) == FirstPacket::Client,
                        _ => true,
                    };
                    (self.flows.create(key, dec, client_is_src, p.ts, &mut flow_ended), true)
                }
            })
        };
        let pkt_len = u64::from(p.len.saturating_sub(dec.pkt_off));
        let mut flow_info = None;
        if let Some((slot, first)) = slot {
            let Some(f) = self.flows.get_mut(slot) else { return };
            let (sp, _) = dec.ports();
            let to_server = (dec.ip.src, sp) == f.client || f.client == f.server;
            let dir = usize::from(!to_server);
            // A TCP packet is "established" if the session was before it
            // arrived (the handshake's last ACK is not), as in Suricata;
            // other protocols once both directions have been seen.
            let tcp_established_before = f.tcp.established();
            f.pkts[dir] += 1;
            f.bytes[dir] += pkt_len;
            if let L4::Tcp(t) = dec.l4 {
                f.tcp.update(&t, dec.payload_len, to_server, first, pickup);
                // Picked up without its SYN (or from the SYN/ACK).
                let midstream = first && (t.flags & crate::decode::tcp::SYN == 0 || f.tcp.midstream);
                if midstream && pickup.midstream_policy == MidstreamPolicy::Bypass {
                    f.detect.passed = true;
                    self.stats.midstream_bypassed += 1;
                }
            }
            let established = if matches!(dec.l4, L4::Tcp(_)) { tcp_established_before } else { f.established() };
            flow_info = Some(FlowInfo {
                to_server,
                established,
                client_bytes: f.tcp.seq[0].bytes(),
                server_bytes: f.tcp.seq[1].bytes(),
            });
            self.flows.touch(slot, p.ts);
        }
        let payload = dec.payload(frame);
        let input = DetectInput { dec, payload, flow: flow_info, in_stream: false, is_stream: false };
        self.matches.clear();
        let state = slot.and_then(|(s, _)| self.flows.get_mut(s)).map(|f| &mut f.detect);
        if state.as_ref().is_some_and(|s| s.passed) {
            self.stats.skipped_passed_flow += 1;
            return;
        }
        self.engine.detect(&mut self.ctx, &input, state, &mut self.matches);
        if self.matches.is_empty() {
            return;
        }
        self.stats.matches += self.matches.len() as u64;
        // A matching pass rule ends inspection: later rules' matches are
        // dropped and the flow is passed.
        if let Some(i) = self.matches.iter().position(|&m| self.engine.sigs[m as usize].action == Action::Pass) {
            self.matches.truncate(i);
            self.stats.passes += 1;
            if let Some(f) = slot.and_then(|(s, _)| self.flows.get_mut(s)) {
                f.detect.passed = true;
            }
        }
        let flow = slot.and_then(|(s, _)| self.flows.get(s));
        let mut names: [&str; 16] = [""; 16];
        let mut n = 0;
        if let Some(f) = flow {
            for &id in f.detect.ids().iter().take(names.len()) {
                names[n] = self.engine.flowbits.name(id);
                n += 1;
            }
        }
        let pkt_src = match (dec.flags & flags::REASSEMBLED != 0, dec.tunnel) {
            (true, _) => "defrag",
            (false, Some(t)) => t.kind.pkt_src(dec.ip.version == 6),
            (false, None) => "wire/pcap",
        };
        let cx = AlertContext {
            ts: p.ts,
            pcap_cnt: p.pcap_cnt,
            frame,
            linktype: p.linktype,
            dec,
            flow,
            to_server: flow_info.is_none_or(|f| f.to_server),
            payload,
            stream: false,
            pkt_src,
            flowbits: &names[..n],
        };
        let (sport, dport) = dec.ports();
        let mut alerted = false;
        for &m in &self.matches {
            let sig = &self.engine.sigs[m as usize];
            if sig.noalert {
                continue;
            }
            alerted = true;
            let start = out.lines.len();
            write_alert(&mut out.lines, &self.cfg.output.eve, sig, &cx);
            out.alerts.push(PendingAlert {
                order: p.pcap_cnt,
                facts: MatchFacts {
                    gid: sig.gid,
                    sid: sig.sid,
                    src: dec.ip.src,
                    dst: dec.ip.dst,
                    sport,
                    dport,
                    flow_id: flow.map_or(0, |f| f.id),
                    ts: p.ts,
                },
                msg: sig.msg.clone(),
                threshold: sig.threshold,
                detection_filter: sig.detection_filter,
                line: start..out.lines.len(),
            });
        }
        if alerted {
            if let Some(f) = slot.and_then(|(s, _)| self.flows.get_mut(s)) {
                f.alerted = true;
            }
        }
    }
}
