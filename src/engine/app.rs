//! Glue between a worker's flows and the application layer: feeding the
//! parsers from reassembled streams and datagrams, and inspecting
//! transactions as they progress.
//!
//! As in Suricata, the data of one direction is parsed once the receiver
//! has acknowledged it (so on the other direction's packets), and a
//! transaction's request side is inspected on a client packet, its response
//! side on a server packet — the packet the alert then describes. With
//! `stream.reassembly.inspect_acked` (the default) a transaction is also
//! inspected as soon as it progresses, the alert describing its direction
//! with a pseudo packet, so a response is not held until the server's next
//! packet.

use super::alerting::{At, Detector, PacketTx, PACKET_TX_LOG_LIMIT};
use crate::app::session::{AppEvent, AppSession, AppStats};
use crate::app::views::TxView;
use crate::app::{AppConfig, AppProto};
use crate::detect::tx::TxInput;
use crate::detect::FlowInfo;
use crate::flow::Flow;
use crate::output::records::AppObject;
use crate::output::stage::RecordBatch;
use crate::stream::reassembly::Trigger;
use crate::stream::ReassemblyConfig;

/// The transaction the alerts of packet and stream rules on `f` may show,
/// in the direction given (see [`PacketTx`]): on UDP the latest DNS
/// message of that direction, on TCP (only with `guess`) that or the TLS
/// handshake. HTTP transactions are not guessed (a difference: Suricata
/// guesses one when it is the only one open in that direction).
pub fn packet_tx(f: &Flow, to_server: bool, guess: bool) -> Option<PacketTx<'_>> {
    let udp = f.proto == crate::decode::IPPROTO_UDP;
    if !udp && !guess {
        return None;
    }
    let s = f.app.as_deref()?;
    let tx = match s.proto {
        AppProto::Dns => s.last_dns(to_server).map(|(id, msg)| (id, AppObject::Dns { msg, tx_id: id }))?,
        AppProto::Tls if !udp => (0, AppObject::Tls(s.tls()?.info())),
        _ => return None,
    };
    let (last, shown) = s.packet_alert_txs[usize::from(!to_server)];
    let budget = if last == tx.0 { PACKET_TX_LOG_LIMIT.saturating_sub(shown) } else { PACKET_TX_LOG_LIMIT };
    Some(PacketTx { tx, udp, guess, budget })
}

/// Counts the alerts that showed transaction `id` (of [`packet_tx`]).
pub fn note_packet_tx(f: &mut Flow, to_server: bool, id: u64, shown: u8) {
    if let Some(s) = f.app.as_deref_mut().filter(|_| shown > 0) {
        let slot = &mut s.packet_alert_txs[usize::from(!to_server)];
        *slot = if slot.0 == id { (id, slot.1.saturating_add(shown)) } else { (id, shown) };
    }
}

/// A worker's application-layer resources.
pub struct AppEnv {
    pub cfg: AppConfig,
    pub stats: AppStats,
    events: Vec<AppEvent>,
    /// Transactions are logged as EVE records (kept until logged).
    log_txs: bool,
}

impl AppEnv {
    pub fn new(cfg: &AppConfig, log_txs: bool) -> AppEnv {
        AppEnv { cfg: cfg.clone(), stats: AppStats::default(), events: Vec::new(), log_txs }
    }

    fn new_session(&self) -> Box<AppSession> {
        let mut s = Box::<AppSession>::default();
        s.keep_for_log = self.log_txs;
        s
    }

    fn session<'f>(&mut self, f: &'f mut Flow) -> Option<&'f mut AppSession> {
        if !self.cfg.enabled || f.detect.parsing_stopped() {
            return None;
        }
        if f.app.is_none() && f.app_proto == AppProto::Unknown {
            f.app = Some(self.new_session());
        }
        f.app.as_deref_mut()
    }

    /// Gives the parser of direction `d` what its stream has ready under
    /// `trigger`.
    pub fn feed_stream(&mut self, f: &mut Flow, d: usize, trigger: Trigger, scfg: &ReassemblyConfig) {
        let ports = (f.client.1, f.server.1);
        let Some(st) = f.stream.as_deref_mut() else { return };
        let (gap, range) = st.dir[d].app_take(trigger, scfg);
        f.gaps[d] |= gap > 0;
        if gap == 0 && range.is_empty() {
            return;
        }
        if !self.cfg.enabled || f.detect.parsing_stopped() || (f.app.is_none() && f.app_proto != AppProto::Unknown) {
            return;
        }
        if f.app.is_none() {
            f.app = Some(self.new_session());
        }
        let (Some(session), Some(st)) = (f.app.as_deref_mut(), f.stream.as_deref()) else { return };
        let data = st.dir[d].app_bytes(&range);
        self.events.clear();
        if let Some(p) = session.feed_tcp(&self.cfg, d, gap, data, ports, &mut self.events, &mut self.stats) {
            f.app_proto = p;
        }
        session.queue(&self.events, &mut self.stats);
        let idle = session.is_idle();
        if let Some(st) = f.stream.as_deref_mut() {
            for e in &self.events {
                st.raw_due[e.progress.side()] = true;
            }
        }
        if idle {
            self.end(f);
        }
    }

    /// The flow's application layer is done: counters kept, state freed.
    pub fn end(&mut self, f: &mut Flow) {
        if let Some(s) = f.app.take() {
            s.finish(&mut self.stats);
        }
    }

    /// One UDP datagram of direction `d`.
    pub fn feed_datagram(&mut self, f: &mut Flow, payload: &[u8], to_server: bool) {
        if payload.is_empty() || (f.app.is_none() && f.app_proto != AppProto::Unknown) {
            return;
        }
        let ports = (f.client.1, f.server.1);
        let Some(session) = self.session(f) else { return };
        self.events.clear();
        session.feed_udp(&self.cfg, (payload, to_server), ports, &mut self.events, &mut self.stats);
        session.queue(&self.events, &mut self.stats);
        let proto = session.proto;
        f.app_proto = proto;
        if f.app.as_deref().is_some_and(AppSession::is_idle) {
            self.end(f);
        }
    }

    /// Direction `d` ended (reset, flow end): its parser completes what
    /// is in progress.
    pub fn close(&mut self, f: &mut Flow, d: usize) {
        let Some(session) = f.app.as_deref_mut() else { return };
        self.events.clear();
        session.close(&self.cfg, d, &mut self.events);
        session.queue(&self.events, &mut self.stats);
    }

    /// Inspects the transactions of side `side` that progressed, raising
    /// alerts attributed to `at`.
    pub fn inspect(&mut self, det: &mut Detector, f: &mut Flow, side: usize, at: At<'_>, out: &mut RecordBatch) {
        let Some(mut session) = f.app.take() else { return };
        let pending = session.take_pending(side);
        for ev in &pending {
            // A passed flow's transactions go on to be logged, uninspected.
            if !f.detect.passed {
                inspect_event(det, f, &session, ev, at, out);
            }
            session.done(ev);
        }
        session.recycle_pending(side, pending);
        if f.app.is_none() {
            f.app = Some(session);
        }
    }
}

/// Runs the transaction signatures waiting for one event.
fn inspect_event(
    det: &mut Detector,
    f: &mut Flow,
    session: &AppSession,
    ev: &AppEvent,
    at: At<'_>,
    out: &mut RecordBatch,
) {
    let side = ev.progress.side();
    let Some(view) = TxView::of(session, ev) else { return };
    let template = f.stream.as_ref().and_then(|s| s.template[side]);
    let mut scratch = None;
    let Some(dec) = at.decoded(template, &mut scratch) else { return };
    let info = FlowInfo {
        to_server: side == 0,
        established: f.tcp.was_established || f.proto != crate::decode::IPPROTO_TCP,
        client_bytes: f.tcp.seq[0].bytes(),
        server_bytes: f.tcp.seq[1].bytes(),
        app_proto: f.app_proto,
    };
    let payload: &[u8] = match at {
        At::Packet(frame, p) => p.dec.payload(frame),
        At::Pseudo { .. } => &[],
    };
    let input = TxInput { progress: ev.progress, dec, flow: info, tx: &view, payload };
    det.matches.clear();
    det.engine.detect_tx(&mut det.ctx, &input, Some(&mut f.detect), &mut det.matches);
    det.apply_pass(&mut f.detect);
    if det.matches.is_empty() {
        return;
    }
    let mut origin = at.origin(dec, side == 0, false);
    let object = match &view {
        TxView::Http(h) => AppObject::Http(h.tx),
        TxView::Tls(t) => AppObject::Tls(t.info),
        TxView::Dns(d) => AppObject::Dns { msg: d.msg, tx_id: d.tx_id },
    };
    origin.tx = Some((ev.tx, object));
    if det.emit_all(&origin, Some(&*f), payload, out) {
        f.alerted = true;
    }
}
