//! A worker's detection state and how its matches become alert lines:
//! pass rules, flowbit names, payload selection, and the pending alerts
//! the alert stage orders and filters.

use std::sync::Arc;

use super::batch::PacketMeta;
use crate::app::AppProto;
use crate::config::Config;
use crate::decode::{flags, Decoded};
use crate::detect::hoststate::{HostState, TagEntry, TagList};
use crate::detect::{DetectCtx, DetectEngine, FlowDetectState};
use crate::flow::Flow;
use crate::output::records::alert::{write_alert, AlertContext};
use crate::output::records::{AppObject, EventType};
use crate::output::stage::{PendingAlert, PendingRecord, RecordBatch};
use crate::output::threshold::MatchFacts;
use crate::rules::header::Action;
use crate::rules::TagScope;
use crate::source::LinkType;
use crate::util::Timestamp;

/// What alerts are raised on: a packet, or a pseudo packet for stream data.
#[derive(Clone, Copy)]
pub struct Origin<'a> {
    pub ts: Timestamp,
    /// 0 for pseudo packets (EVE then has no `pcap_cnt`).
    pub pcap_cnt: u64,
    /// Position in the alert stage's ordering.
    pub order: u64,
    /// The packet's bytes; empty for pseudo packets (no `packet` logged).
    pub frame: &'a [u8],
    pub linktype: LinkType,
    pub dec: &'a Decoded,
    pub to_server: bool,
    pub stream: bool,
    pub pkt_src: &'static str,
    /// A transaction alert: its id and what EVE shows of it.
    pub tx: Option<(u64, AppObject<'a>)>,
    /// `tx` was guessed for a packet rule (see [`PacketTx`]).
    pub tx_guessed: bool,
}

/// Suricata shows the transaction in this many alerts of packet rules per
/// transaction (its `guess-applayer-tx` log limit).
pub const PACKET_TX_LOG_LIMIT: u8 = 4;

/// The transaction alerts of packet (and stream) rules may show, as
/// Suricata attaches it: on UDP to rules of an application protocol, on
/// TCP to every rule when `guess_applayer_tx` is on.
#[derive(Clone, Copy)]
pub struct PacketTx<'a> {
    pub tx: (u64, AppObject<'a>),
    pub udp: bool,
    pub guess: bool,
    /// Alerts that may still show it ([`PACKET_TX_LOG_LIMIT`] less those
    /// that did).
    pub budget: u8,
}

impl<'a> Origin<'a> {
    /// A packet of the capture, in the direction given.
    pub fn packet(frame: &'a [u8], p: &'a PacketMeta, dec: &'a Decoded, to_server: bool, stream: bool) -> Self {
        Origin {
            ts: p.ts,
            pcap_cnt: p.pcap_cnt,
            order: p.pcap_cnt,
            frame,
            linktype: p.linktype,
            dec,
            to_server,
            stream,
            pkt_src: pkt_src(dec),
            tx: None,
            tx_guessed: false,
        }
    }
}

/// Where alerts raised outside a packet's own inspection (stream data,
/// transactions) are attributed.
#[derive(Clone, Copy)]
pub enum At<'a> {
    /// A packet of the capture, of the direction inspected.
    Packet(&'a [u8], &'a PacketMeta),
    /// No such packet: a pseudo packet built from the direction's first
    /// packet, as Suricata does.
    Pseudo { ts: Timestamp, order: u64, pkt_src: &'static str },
}

impl<'a> At<'a> {
    /// The decoded packet alerts describe: the packet itself, or the
    /// direction's template (`template`) emptied of flags and payload into
    /// `scratch`. None when a pseudo packet has no template.
    pub fn decoded(&self, template: Option<Decoded>, scratch: &'a mut Option<Decoded>) -> Option<&'a Decoded> {
        match *self {
            At::Packet(_, p) => Some(&p.dec),
            At::Pseudo { .. } => {
                let mut t = template?;
                t.flags = 0;
                t.payload_len = 0;
                t.payload_missing = 0;
                Some(&*scratch.insert(t))
            }
        }
    }

    /// The alert origin for this place.
    pub fn origin(&self, dec: &'a Decoded, to_server: bool, stream: bool) -> Origin<'a> {
        match *self {
            At::Packet(frame, p) => Origin::packet(frame, p, dec, to_server, stream),
            At::Pseudo { ts, order, pkt_src } => Origin {
                ts,
                pcap_cnt: 0,
                order,
                frame: &[],
                linktype: LinkType::ETHERNET,
                dec,
                to_server,
                stream,
                pkt_src,
                tx: None,
                tx_guessed: false,
            },
        }
    }
}

/// The bytes of a packet as Suricata counts them (flow byte counters,
/// `tag` byte counts): the whole frame, or for a tunneled packet the inner
/// IP packet.
pub fn counted_len(p: &PacketMeta) -> u64 {
    let dec = &p.dec;
    let from = if dec.tunnel.is_some() { dec.l3_off } else { dec.pkt_off };
    u64::from(p.len.saturating_sub(from))
}

/// Starts the tags of the signatures among `ids` that alert, for an
/// alert on `dec` at `ts` (`len`: the alerting packet's bytes, 0 for a
/// pseudo packet). Session tags go to the flow's `session` list.
pub fn start_tags(
    engine: &DetectEngine,
    hosts: &mut HostState,
    mut session: Option<&mut Option<Box<TagList>>>,
    ids: impl Iterator<Item = u32>,
    dec: &Decoded,
    ts: Timestamp,
    len: u64,
) {
    if !engine.has_tags {
        return;
    }
    for id in ids {
        let Some(sig) = engine.sigs.get(id as usize) else { continue };
        if sig.noalert {
            continue;
        }
        for spec in sig.tags.iter() {
            let tag = TagEntry::new(spec, sig.sid, sig.gid, ts, len);
            match spec.scope {
                TagScope::Session => {
                    let Some(list) = session.as_deref_mut() else { continue };
                    if !list.get_or_insert_with(Box::default).add(tag) {
                        hosts.stats.tags_overflow += 1;
                    }
                }
                TagScope::Host { src } => hosts.tag_host(if src { dec.ip.src } else { dec.ip.dst }, tag),
            }
        }
    }
}

/// Suricata's `pkt_src` for a packet of the capture.
pub fn pkt_src(dec: &Decoded) -> &'static str {
    let defrag = dec.flags & flags::REASSEMBLED != 0 && dec.flags & flags::DECAPSULATED_AFTER_DEFRAG == 0;
    match (defrag, dec.tunnel) {
        (true, _) => "defrag",
        (false, Some(t)) => t.pkt_src,
        (false, None) => "wire/pcap",
    }
}

pub struct Detector {
    pub engine: Arc<DetectEngine>,
    pub cfg: Arc<Config>,
    pub ctx: DetectCtx,
    /// Signatures matched by the last inspection.
    pub matches: Vec<u32>,
    /// Stream matches of one inspection: (signature, stream offset where
    /// the match ended).
    pub hits: Vec<(u32, u64)>,
    /// Rendered stream payload for alerts.
    pub log: Vec<u8>,
    /// Message starts of the stream window being inspected.
    pub anchors: Vec<u32>,
    pub matches_total: u64,
    pub passes: u64,
    /// A pass rule matched what the alerts being emitted are about: their
    /// `verdict.action` is `pass` (Suricata 8, alerts ordered before pass
    /// by `action-order`). Reset before each inspection.
    pub verdict_pass: bool,
}

impl Detector {
    pub fn new(engine: Arc<DetectEngine>, cfg: Arc<Config>) -> Result<Detector, String> {
        let ctx = engine.new_ctx()?;
        Ok(Detector {
            engine,
            cfg,
            ctx,
            matches: Vec::new(),
            hits: Vec::new(),
            log: Vec::new(),
            anchors: Vec::new(),
            matches_total: 0,
            passes: 0,
            verdict_pass: false,
        })
    }

    /// A matching pass rule ends inspection: the matches after it are
    /// dropped. As in Suricata, the pass covers the rest of the flow when
    /// the match was on stream data or a transaction (`flow_scope`) or the
    /// rule is header-only (IP-only); a pass rule matching a packet's
    /// payload passes that packet only. Returns whether the flow was passed.
    pub fn apply_pass(&mut self, state: &mut FlowDetectState, flow_scope: bool) -> bool {
        self.matches_total += self.matches.len() as u64;
        let engine = &self.engine;
        let Some(i) = self.matches.iter().position(|&m| engine.sigs[m as usize].action == Action::Pass) else {
            return false;
        };
        let whole_flow = flow_scope || engine.sigs[self.matches[i] as usize].header_only;
        self.matches.truncate(i);
        self.passes += 1;
        self.verdict_pass = true;
        if !whole_flow {
            return false;
        }
        state.passed = true;
        // Transactions are still logged then, as in Suricata (a pass only
        // ends inspection).
        let types = &self.cfg.output.eve.types;
        state.keep_parsing = [
            EventType::Http,
            EventType::Dns,
            EventType::Tls,
            EventType::Ssh,
            EventType::Ftp,
            EventType::Fileinfo,
            EventType::Anomaly,
        ]
        .iter()
        .any(|t| types.enabled(*t));
        true
    }

    /// Alerts for every signature in `matches`, all showing `payload`.
    /// Returns whether any alert was raised.
    pub fn emit_all(&mut self, o: &Origin<'_>, flow: Option<&Flow>, payload: &[u8], out: &mut RecordBatch) -> bool {
        self.emit_packet(o, flow, payload, None, out).0
    }

    /// [`Self::emit_all`] for packet rules, showing `tx` in the alerts it
    /// applies to. Returns whether any alert was raised, and in how many
    /// alerts the transaction was shown.
    pub fn emit_packet<'o>(
        &mut self,
        o: &Origin<'o>,
        flow: Option<&Flow>,
        payload: &[u8],
        mut tx: Option<PacketTx<'o>>,
        out: &mut RecordBatch,
    ) -> (bool, u8) {
        let (mut alerted, mut shown) = (false, 0);
        for &m in &self.matches {
            let origin = self.with_tx(o, m, &mut tx, &mut shown);
            alerted |= self.emit_one(&origin, flow, m, payload, out);
        }
        (alerted, shown)
    }

    /// The origin of signature `m`'s alert: `o`, showing `tx` if it applies
    /// to that signature and may still be shown (counted in `shown`).
    fn with_tx<'o>(&self, o: &Origin<'o>, m: u32, tx: &mut Option<PacketTx<'o>>, shown: &mut u8) -> Origin<'o> {
        let mut origin = *o;
        if let Some(t) = tx.as_mut().filter(|t| t.budget > 0) {
            let app_rule = self.engine.sigs.get(m as usize).is_some_and(|s| s.app_proto.is_some());
            if (t.udp && app_rule) || (!t.udp && t.guess) {
                origin.tx = Some(t.tx);
                origin.tx_guessed = !t.udp;
                t.budget -= 1;
                *shown += 1;
            }
        }
        origin
    }

    /// Alerts for the stream matches in `hits`. `log` holds the stream's
    /// retained bytes, of which `log[log_at]` is at stream offset
    /// `log_off`; each alert shows the part of it around its match.
    /// `tx` as for [`Self::emit_packet`]; returns whether an alert was
    /// raised and in how many the transaction was shown.
    pub fn emit_stream<'o>(
        &self,
        o: &Origin<'o>,
        flow: &Flow,
        (log_at, log_off): (usize, u64),
        mut tx: Option<PacketTx<'o>>,
        out: &mut RecordBatch,
    ) -> (bool, u8) {
        let cap = self.cfg.output.eve.payload_buffer_size.max(1);
        let (mut alerted, mut shown) = (false, 0);
        for &(m, end) in &self.hits {
            let at = (log_at as u64 + end.saturating_sub(log_off)).min(self.log.len() as u64) as usize;
            let payload = window_around(&self.log, at, cap);
            let origin = self.with_tx(o, m, &mut tx, &mut shown);
            alerted |= self.emit_one(&origin, Some(flow), m, payload, out);
        }
        (alerted, shown)
    }

    fn emit_one(&self, o: &Origin<'_>, flow: Option<&Flow>, id: u32, payload: &[u8], out: &mut RecordBatch) -> bool {
        let Some(sig) = self.engine.sigs.get(id as usize) else { return false };
        if sig.noalert {
            return false;
        }
        let mut names: [&str; 16] = [""; 16];
        let n = flow.map_or(0, |f| self.engine.flowbits.names_of(f.detect.ids(), &mut names));
        let cx = AlertContext {
            ts: o.ts,
            // Live packets have no capture position to show.
            pcap_cnt: if self.cfg.engine.live { 0 } else { o.pcap_cnt },
            frame: o.frame,
            linktype: o.linktype,
            dec: o.dec,
            flow,
            to_server: o.to_server,
            payload,
            stream: o.stream,
            pkt_src: o.pkt_src,
            flowbits: &names[..n],
            app_proto: flow.map(|f| f.app_proto).filter(|p| *p != AppProto::Unknown).map(AppProto::name),
            tx_id: o.tx.map(|(id, _)| id),
            app: o.tx.map(|(_, m)| m),
            tx_guessed: o.tx_guessed,
            verdict: if self.verdict_pass { "pass" } else { "alert" },
            set_objects: crate::detect::datasets::hits_of(&self.ctx.set_hits, id),
        };
        if !self.cfg.output.eve.types.enabled(EventType::Alert) {
            return true;
        }
        let start = out.lines.len();
        write_alert(&mut out.lines, &self.cfg.output.eve, sig, &cx);
        let (sport, dport) = o.dec.ports();
        let alert = PendingAlert {
            facts: MatchFacts {
                gid: sig.gid,
                sid: sig.sid,
                src: o.dec.ip.src,
                dst: o.dec.ip.dst,
                sport,
                dport,
                flow_id: flow.map_or(0, |f| f.id),
                ts: o.ts,
            },
            msg: sig.msg.clone(),
            // The same number EVE writes as `alert.severity`.
            severity: sig.priority,
            threshold: sig.threshold,
            detection_filter: sig.detection_filter,
        };
        out.records.push(PendingRecord {
            order: o.order,
            kind: EventType::Alert,
            line: start..out.lines.len(),
            alert: Some(alert),
            flow_end: None,
        });
        true
    }
}

/// At most `cap` bytes of `buf` around position `at` (a match's end): all
/// of it when it fits, else a slice ending a little after the match.
fn window_around(buf: &[u8], at: usize, cap: usize) -> &[u8] {
    if buf.len() <= cap {
        return buf;
    }
    let end = (at + cap / 8).clamp(cap, buf.len());
    &buf[end - cap..end]
}

#[cfg(test)]
mod tests {
    use super::window_around;

    #[test]
    fn payload_window_keeps_the_match() {
        let buf: Vec<u8> = (0..100).collect();
        assert_eq!(window_around(&buf, 50, 200).len(), 100);
        let w = window_around(&buf, 90, 16);
        assert_eq!((w.len(), w[15]), (16, 91));
        assert_eq!(window_around(&buf, 3, 16)[0], 0);
    }
}
