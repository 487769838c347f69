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
use crate::app::files::store::StoreSettings;
use crate::app::files::{FileTracking, HashKinds};
use crate::app::ftp::expect::{Announcement, ExpectKey, Expectations};
use crate::app::session::{AppEvent, AppSession, AppStats, TcpCtx, SPARE_SESSIONS};
use crate::app::views::{TxView, ViewScratch};
use crate::app::{AppConfig, AppProto};
use crate::config::Config;
use crate::detect::tx::TxInput;
use crate::detect::FileNeeds;
use crate::detect::FlowInfo;
use crate::flow::Flow;
use crate::output::records::AppObject;
use crate::output::stage::RecordBatch;
use crate::rules::app::{FileSide, FileStoreOpts};
use crate::stream::reassembly::Trigger;
use crate::stream::ReassemblyConfig;

/// The transaction the alerts of packet and stream rules on `f` may show,
/// in the direction given (see [`PacketTx`]): on UDP the latest DNS
/// message of that direction, on TCP (only with `guess`) that, the TLS
/// handshake, or the HTTP transaction when it is the connection's only
/// live one (as Suricata guesses).
pub fn packet_tx(f: &Flow, to_server: bool, guess: bool) -> Option<PacketTx<'_>> {
    let udp = f.proto == crate::decode::IPPROTO_UDP;
    if !udp && !guess {
        return None;
    }
    let s = f.app.as_deref()?;
    let tx = match s.proto {
        AppProto::Dns => s.last_dns(to_server).map(|(id, msg)| (id, AppObject::Dns { msg, tx_id: id }))?,
        AppProto::Tls if !udp => (0, AppObject::Tls(s.tls()?.info())),
        AppProto::Http if !udp => s.http()?.only_tx().map(|t| (t.id, AppObject::Http(t)))?,
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
    /// Application-layer anomalies are logged (kept until logged).
    pub log_anomalies: bool,
    /// FTP data connections announced and not seen yet.
    pub expect: Expectations,
    /// With other workers, this worker's own announcements wait here for
    /// the coordinator to hand them to the others (bounded: the oldest go
    /// first, counted as evicted).
    outbox: Option<Vec<Announcement>>,
    /// Buffers transaction views are built in, reused (see [`ViewScratch`]).
    views: ViewScratch,
    /// Sessions of ended flows, made new for the next flows (at most
    /// [`SPARE_SESSIONS`]). Boxed on purpose: the box is the allocation
    /// a flow would otherwise make.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<AppSession>>,
}

/// The first four bytes of an address (what Suricata's `ftpbounce`
/// compares, for IPv6 too).
fn first4(a: std::net::IpAddr) -> [u8; 4] {
    match a {
        std::net::IpAddr::V4(v4) => v4.octets(),
        std::net::IpAddr::V6(v6) => {
            let o = v6.octets();
            [o[0], o[1], o[2], o[3]]
        }
    }
}

impl AppEnv {
    pub fn new(cfg: &AppConfig, log_txs: bool, files: FileTracking) -> AppEnv {
        let mut cfg = cfg.clone();
        cfg.http.tracking = files;
        let expect = Expectations::new(&cfg.ftp.expectations);
        AppEnv {
            cfg,
            stats: AppStats::default(),
            events: Vec::new(),
            log_txs,
            log_anomalies: false,
            expect,
            outbox: None,
            views: ViewScratch::default(),
            spare: Vec::new(),
        }
    }

    /// Other workers exist: keep this worker's announcements for them.
    pub fn share_announcements(&mut self) {
        self.outbox = Some(Vec::new());
    }

    /// Records an FTP data connection to expect: one of this worker's
    /// control connections announced it, or (across workers) the
    /// coordinator forwards another worker's announcement.
    pub fn announce(&mut self, a: Announcement) {
        self.expect.announce(a);
        self.stats.ftp_expect = self.expect.stats;
    }

    /// This worker's announcements since the last call (for the others).
    pub fn take_announcements(&mut self) -> Vec<Announcement> {
        self.outbox.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn announce_local(&mut self, a: Announcement) {
        if let Some(out) = &mut self.outbox {
            if out.len() >= self.cfg.ftp.expectations.max_entries.max(1) {
                out.remove(0);
                self.expect.stats.evicted += 1;
            }
            out.push(a.clone());
        }
        self.announce(a);
    }

    /// The rules changed: files are tracked as the new set needs.
    pub fn set_file_tracking(&mut self, files: FileTracking) {
        self.cfg.http.tracking = files;
    }

    fn new_session(&mut self) -> Box<AppSession> {
        let mut s = self.spare.pop().unwrap_or_default();
        s.keep_for_log = self.log_txs;
        s.anomalies.wanted = self.log_anomalies;
        s
    }

    fn session<'f>(&mut self, f: &'f mut Flow) -> Option<&'f mut AppSession> {
        if !self.cfg.enabled || f.parsing_stopped() {
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
        if !self.cfg.enabled || f.parsing_stopped() || (f.app.is_none() && f.app_proto != AppProto::Unknown) {
            return;
        }
        if f.app.is_none() {
            f.app = Some(self.new_session());
        }
        let (Some(session), Some(st)) = (f.app.as_deref_mut(), f.stream.as_deref()) else { return };
        let data = st.dir[d].app_bytes(&range);
        self.events.clear();
        // Announced data connections are looked at only while the
        // protocol is undecided.
        let expect = (session.proto == AppProto::Unknown && !self.expect.is_empty())
            .then(|| (&mut self.expect, ExpectKey::new(f.client.0, f.server.0, f.key.vni(), f.server.1), f.last));
        let mut ctx = TcpCtx { ports, client4: first4(f.client.0), expect };
        if let Some(p) = session.feed_tcp(&self.cfg, d, gap, data, &mut ctx, &mut self.events, &mut self.stats) {
            f.app_proto = p;
            f.parent_id = session.ftp_data().map(|c| c.transfer.parent_flow_id);
        }
        for t in session.take_transfers() {
            self.announce_local(Announcement {
                key: ExpectKey::new(f.client.0, f.server.0, f.key.vni(), t.port),
                data_to_server: t.data_to_server,
                command: t.command,
                file_name: t.file_name.map(Vec::into_boxed_slice),
                parent_flow_id: f.id,
                at: f.last,
            });
        }
        session.queue(&self.events, &mut self.stats);
        if !f.detect.payload_off
            && self.cfg.tls.stops_payload_inspection()
            && session.tls().is_some_and(|t| t.carries_application_data())
        {
            f.detect.payload_off = true;
            self.stats.encrypted_uninspected_flows += 1;
        }
        let idle = session.is_idle();
        if let Some(st) = f.stream.as_deref_mut() {
            for e in self.events.iter().filter(|e| e.progress.triggers_raw_inspection()) {
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
            if self.spare.len() < SPARE_SESSIONS {
                self.spare.push(s.recycled());
            }
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
        if f.app_closed {
            return;
        }
        let Some(session) = f.app.as_deref_mut() else { return };
        self.events.clear();
        session.close(&self.cfg, d, &mut self.events);
        session.queue(&self.events, &mut self.stats);
    }

    /// Both directions ended: each parser completes what is in progress,
    /// once.
    pub fn close_both(&mut self, f: &mut Flow) {
        self.close(f, 0);
        self.close(f, 1);
        f.app_closed = true;
    }

    /// Inspects the transactions of side `side` that progressed, raising
    /// alerts attributed to `at`.
    pub fn inspect(&mut self, det: &mut Detector, f: &mut Flow, side: usize, at: At<'_>, out: &mut RecordBatch) {
        let Some(mut session) = f.app.take() else { return };
        let pending = session.take_pending(side);
        for ev in &pending {
            // After a pass rule, transactions are still parsed and logged,
            // no longer inspected.
            if !f.detect.passed {
                let store = inspect_event(det, f, &session, ev, at, out, &mut self.views);
                // Without a store, `filestore` marks nothing (nor logs a sid).
                if let Some(marks) = store.filter(|_| self.cfg.http.tracking.store.is_some()) {
                    mark_for_store(&mut session, ev, &marks);
                }
            }
            session.done(ev);
        }
        session.recycle_pending(side, pending);
        if f.app.is_none() {
            f.app = Some(session);
        }
    }
}

/// What worker `worker` tracks of files: fileinfo records (with their
/// forced digests), what the rules need, and the file store (its share of
/// the size cap, its own temporary names).
pub fn file_tracking(cfg: &Config, needs: FileNeeds, worker: usize) -> Result<FileTracking, String> {
    let log = cfg.output.eve.types.files.as_ref().filter(|c| c.enabled);
    let fs = &cfg.output.filestore;
    let store = if fs.enabled && (fs.force || needs.store) {
        let share = fs.max_bytes / cfg.engine.workers.max(1) as u64;
        let ids = (worker, cfg.engine.workers.max(1));
        let s = StoreSettings::new(&fs.dir, share.max(u64::from(fs.max_bytes > 0)), fs.force, ids)
            .map_err(|e| format!("file store {}: {e}", fs.dir.display()))?;
        Some(s)
    } else {
        None
    };
    let forced = log.map(|c| HashKinds::from_names(&c.force_hash)).unwrap_or_default();
    // An enabled store forces sha256, as Suricata's file-store does.
    let for_store = HashKinds { sha256: fs.enabled, ..HashKinds::default() };
    Ok(FileTracking {
        enabled: log.is_some() || needs.files || store.is_some(),
        hashes: forced.union(needs.hashes).union(for_store),
        sha256_on_truncate: forced.sha256 || fs.enabled,
        store,
    })
}

/// `filestore` rules that matched a transaction: their sid and options.
type StoreMarks = Vec<(u32, FileStoreOpts)>;

/// Marks the files of the event's transaction that matching `filestore`
/// rules ask to keep (the side the rule matched on, unless it names one).
fn mark_for_store(session: &mut AppSession, ev: &AppEvent, marks: &StoreMarks) {
    let side = ev.progress.side();
    let Some(tx) = session.http_mut().and_then(|h| h.tx_mut(ev.tx)) else { return };
    for (sid, opts) in marks {
        let (req, resp) = match opts.side {
            None => (side == 0, side == 1),
            Some(FileSide::Request) => (true, false),
            Some(FileSide::Response) => (false, true),
            Some(FileSide::Both) => (true, true),
        };
        let files = req.then_some(&mut tx.request.files).into_iter().chain(resp.then_some(&mut tx.response.files));
        for file in files.flatten() {
            if !file.store_sids.contains(sid) {
                file.store_sids.push(*sid);
            }
        }
    }
}

/// Runs the transaction signatures waiting for one event; returns the
/// `filestore` rules among those that matched.
fn inspect_event(
    det: &mut Detector,
    f: &mut Flow,
    session: &AppSession,
    ev: &AppEvent,
    at: At<'_>,
    out: &mut RecordBatch,
    views: &mut ViewScratch,
) -> Option<StoreMarks> {
    let side = ev.progress.side();
    let view = TxView::of(session, ev, views)?;
    let template = f.stream.as_ref().and_then(|s| s.template[side]);
    let mut scratch = None;
    let dec = at.decoded(template, &mut scratch)?;
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
    let input = TxInput { progress: ev.progress, tx_id: ev.tx, dec, flow: info, tx: &view, payload };
    det.matches.clear();
    det.verdict_pass = false;
    det.engine.detect_tx(&mut det.ctx, &input, Some(&mut f.detect), &mut det.matches);
    det.apply_pass(&mut f.detect, true);
    if det.matches.is_empty() {
        return None;
    }
    let sigs = &det.engine.sigs;
    let store: Option<StoreMarks> =
        det.matches.iter().any(|&id| sigs.get(id as usize).is_some_and(|s| s.filestore.is_some())).then(|| {
            det.matches
                .iter()
                .filter_map(|&id| sigs.get(id as usize).and_then(|s| Some((s.sid, s.filestore?))))
                .collect()
        });
    let mut origin = at.origin(dec, side == 0, false);
    let object = match &view {
        TxView::Http(h) => AppObject::Http(h.tx),
        TxView::Tls(t) => AppObject::Tls(t.info),
        TxView::Dns(d) => AppObject::Dns { msg: d.msg, tx_id: d.tx_id },
        TxView::Ssh(s) => AppObject::Ssh(s.info),
        TxView::Ftp(v) => AppObject::Ftp(v.tx),
        TxView::FtpData(v) => AppObject::FtpData(v.conn),
    };
    origin.tx = Some((ev.tx, object));
    if det.emit_all(&origin, Some(&*f), payload, out) {
        f.alerted = true;
    }
    let len = match at {
        At::Packet(_, p) => super::alerting::counted_len(p),
        At::Pseudo { .. } => 0,
    };
    let ids = det.matches.iter().copied();
    super::alerting::start_tags(&det.engine, &mut det.ctx.hosts, Some(&mut f.detect.tags), ids, dec, origin.ts, len);
    store
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ftp::parser::Command;
    use crate::util::Timestamp;

    fn announcement(port: u16) -> Announcement {
        let ip = |s: &str| s.parse().unwrap();
        Announcement {
            key: ExpectKey::new(ip("10.0.0.1"), ip("10.0.0.2"), None, port),
            data_to_server: false,
            command: Command::named("RETR").unwrap(),
            file_name: Some(b"a.txt".to_vec().into_boxed_slice()),
            parent_flow_id: 9,
            at: Timestamp::from_secs_micros(100, 0),
        }
    }

    #[test]
    fn announcements_are_kept_for_other_workers_only_when_there_are_some() {
        let mut alone = AppEnv::new(&AppConfig::default(), true, FileTracking::default());
        alone.announce_local(announcement(5000));
        assert!(alone.take_announcements().is_empty());
        assert_eq!(alone.expect.len(), 1);
        let mut shared = AppEnv::new(&AppConfig::default(), true, FileTracking::default());
        shared.share_announcements();
        shared.announce_local(announcement(5001));
        let out = shared.take_announcements();
        assert_eq!(out.iter().map(|a| a.key).collect::<Vec<_>>(), vec![announcement(5001).key]);
        assert!(shared.take_announcements().is_empty());
        // What another worker forwards is expected here too.
        shared.announce(announcement(5002));
        assert_eq!(shared.expect.len(), 2);
        assert_eq!(shared.stats.ftp_expect.announced, 2);
    }
}
