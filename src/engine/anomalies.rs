//! Where a worker turns anomalies into EVE `anomaly` records: decode
//! events of its packets (a truncated copy, a transport header cut short)
//! and of the packets the reader could not decode (carried in the batch),
//! stream events (gaps, overlaps with different data, limits) read from
//! the reassembly counters around each packet, and the application-layer
//! events a flow's session collected. Each record passes the per-kind rate
//! limit first ([`AnomalyLimiter`]), so a flood costs a counter, not a
//! formatted line.

use super::alerting::{pkt_src, At};
use super::batch::{Failed, PacketMeta};
use crate::app::anomaly::Layer;
use crate::config::Config;
use crate::decode::{DecodeError, Decoded};
use crate::flow::Flow;
use crate::output::community_id::Tuple;
use crate::output::records::alert::packet_header;
use crate::output::records::anomaly::{self, AnomalyLimiter, AnomalyLogConfig, Event, Kind};
use crate::output::records::{EventType, Header};
use crate::output::stage::RecordBatch;
use crate::stream::StreamStats;
use crate::util::Timestamp;

/// A worker's anomaly logging: what is logged, and the rate limit.
pub struct AnomalyLog {
    cfg: AnomalyLogConfig,
    pub limiter: AnomalyLimiter,
    live: bool,
}

/// Reads one stream counter.
type Counter = fn(&StreamStats) -> u64;

/// Stream counters that mean an event, with Suricata's event names.
const STREAM_EVENTS: [(&str, Counter); 5] = [
    ("stream.reassembly_seq_gap", |s| s.gaps()),
    ("stream.reassembly_overlap_different_data", |s| s.overlaps_different),
    ("stream.reassembly_depth_reached", |s| s.depth_reached),
    ("stream.reassembly_insert_memcap", |s| s.memcap_drops),
    ("stream.reassembly_insert_limit", |s| s.segment_limit_drops),
];

/// The stream counters [`STREAM_EVENTS`] reads, before a packet.
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamMark([u64; STREAM_EVENTS.len()]);

impl AnomalyLog {
    pub fn new(cfg: &Config) -> AnomalyLog {
        let live = cfg.engine.live;
        let cfg =
            cfg.output.eve.types.anomaly.clone().unwrap_or(AnomalyLogConfig { enabled: false, ..Default::default() });
        AnomalyLog { limiter: AnomalyLimiter::new(&cfg), cfg, live }
    }

    pub fn logs(&self, kind: Kind) -> bool {
        self.cfg.logs(kind)
    }

    fn pcap_cnt(&self, p: &PacketMeta) -> u64 {
        if self.live {
            0
        } else {
            p.pcap_cnt
        }
    }

    /// Decode events of a packet that reached the worker: a truncated copy
    /// (Suricata's `decoder.ipv4.trunc_pkt`/`decoder.ipv6.trunc_pkt`, with
    /// the bytes missing in our extension), a transport header that did
    /// not decode.
    pub fn packet(&mut self, cfg: &Config, p: &PacketMeta, flow: Option<&Flow>, out: &mut RecordBatch) {
        if !self.logs(Kind::Decode) {
            return;
        }
        let dec = &p.dec;
        if dec.is_truncated() {
            let event = if dec.ip.version == 6 { "decoder.ipv6.trunc_pkt" } else { "decoder.ipv4.trunc_pkt" };
            self.write_packet(cfg, p, flow, event, dec.payload_missing, out);
        }
        if let Some(e) = dec.l4_error {
            self.write_packet(cfg, p, flow, event_name(e), 0, out);
        }
    }

    fn write_packet(
        &mut self,
        cfg: &Config,
        p: &PacketMeta,
        flow: Option<&Flow>,
        event: &str,
        bytes_missing: u32,
        out: &mut RecordBatch,
    ) {
        if !self.limiter.allow(Kind::Decode, p.ts) {
            return;
        }
        let mut h =
            packet_header(&p.dec, EventType::Anomaly, p.ts, flow.map(|f| f.id), self.pcap_cnt(p), pkt_src(&p.dec));
        h.parent_id = flow.and_then(|f| f.parent_id);
        h.cid = flow.map(Tuple::of_flow);
        let ev = Event { kind: Kind::Decode, event, app_proto: None, tx_id: None, bytes_missing };
        let eve = &cfg.output.eve;
        out.push(p.pcap_cnt, EventType::Anomaly, |o| anomaly::write_record(o, eve, &h, &ev, flow));
    }

    /// A packet the reader could not decode (no addresses to show).
    pub fn failed(&mut self, f: &Failed, out: &mut RecordBatch) {
        if !self.logs(Kind::Decode) || !self.limiter.allow(Kind::Decode, f.ts) {
            return;
        }
        let pcap_cnt = if self.live { 0 } else { f.pcap_cnt };
        let event = event_name(f.error);
        out.push(f.pcap_cnt, EventType::Anomaly, |o| anomaly::write_failed(o, f.ts, pcap_cnt, event));
    }

    /// The stream counters before a packet is processed.
    pub fn stream_mark(&self, s: &StreamStats) -> Option<StreamMark> {
        if !self.logs(Kind::Stream) {
            return None;
        }
        let mut m = StreamMark::default();
        for (i, (_, get)) in STREAM_EVENTS.iter().enumerate() {
            m.0[i] = get(s);
        }
        Some(m)
    }

    /// Stream events since `mark`, one per kind, about direction `dir` of
    /// `f` at `at`.
    #[allow(clippy::too_many_arguments)]
    pub fn stream_since(
        &mut self,
        cfg: &Config,
        mark: Option<StreamMark>,
        s: &StreamStats,
        f: &Flow,
        dir: usize,
        at: At<'_>,
        out: &mut RecordBatch,
    ) {
        let Some(m) = mark else { return };
        for (i, (event, get)) in STREAM_EVENTS.iter().enumerate() {
            if get(s) > m.0[i] {
                let ev = Event { kind: Kind::Stream, event, app_proto: None, tx_id: None, bytes_missing: 0 };
                self.write_at(cfg, f, dir, at, &ev, out);
            }
        }
    }

    /// The application-layer events `f`'s session collected, at `at`.
    pub fn app(&mut self, cfg: &Config, f: &mut Flow, at: At<'_>, out: &mut RecordBatch) {
        let Some(mut session) = f.app.take() else { return };
        let proto = f.app_proto.name();
        for a in session.anomalies.list.drain(..) {
            let kind = match a.layer {
                Layer::Parser => Kind::AppParser,
                Layer::Detect => Kind::AppDetect,
            };
            let ev = Event { kind, event: a.event, app_proto: Some(proto), tx_id: a.tx, bytes_missing: 0 };
            self.write_at(cfg, f, usize::from(a.dir), at, &ev, out);
        }
        if f.app.is_none() {
            f.app = Some(session);
        }
    }

    /// One record about `f` at `at`: the packet's own header, or without a
    /// packet (flow end) the flow's seen in direction `dir`.
    fn write_at(&mut self, cfg: &Config, f: &Flow, dir: usize, at: At<'_>, ev: &Event<'_>, out: &mut RecordBatch) {
        let (ts, order) = match at {
            At::Packet(_, p) => (p.ts, p.pcap_cnt),
            At::Pseudo { ts, order, .. } => (ts, order),
        };
        if !self.limiter.allow(ev.kind, ts) {
            return;
        }
        let h = match at {
            At::Packet(_, p) => header_of(&p.dec, ts, f, self.pcap_cnt(p)),
            At::Pseudo { ts, pkt_src, .. } => {
                let mut h = Header::of_flow(f, EventType::Anomaly, dir == 0, ts);
                h.pkt_src = Some(pkt_src);
                h
            }
        };
        let eve = &cfg.output.eve;
        out.push(order, EventType::Anomaly, |o| anomaly::write_record(o, eve, &h, ev, Some(f)));
    }
}

fn header_of<'a>(dec: &'a Decoded, ts: Timestamp, f: &Flow, pcap_cnt: u64) -> Header<'a> {
    let mut h = packet_header(dec, EventType::Anomaly, ts, Some(f.id), pcap_cnt, pkt_src(dec));
    h.parent_id = f.parent_id;
    h.cid = Some(Tuple::of_flow(f));
    h
}

/// Suricata's name for the decode event of one of our decode errors; the
/// few it has no event for are named in its style.
pub fn event_name(e: DecodeError) -> &'static str {
    e.suricata_event().unwrap_or_else(|| e.event_name())
}
