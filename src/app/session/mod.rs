//! One flow's application layer: recognising its protocol from the first
//! bytes, running the protocol's parser, and turning what the parser
//! reports into [`AppEvent`]s for detection.

mod recycle;
mod stats;

pub use recycle::SPARE_SESSIONS;

pub use stats::AppStats;
use stats::{add_ftp_stats, add_parser_stats};

use super::anomaly::{self, AppAnomaly, Layer, PendingAnomalies};
use super::dns::{self, DnsMessage, DnsStats, DnsTcp};
use super::events::EventProto;
use super::ftp::data::{FtpDataConn, FtpDataStats};
use super::ftp::expect::{Announcement, ExpectKey, Expectations};
use super::ftp::{FtpConn, FtpEvent, FtpStats, Transfer};
use super::http::{HttpConn, HttpEvent, HttpStats};
use super::probe::{self, Confirm, Verdict};
use super::ssh::{SshConn, SshEvent, SshStats};
use super::tls::{TlsConn, TlsEvent, TlsStats};
use super::{AppConfig, AppProto, Progress};
use crate::util::Timestamp;

/// Bytes of a direction kept while its protocol is undecided.
const PROBE_KEEP: usize = 512;
/// Events (and DNS messages) waiting for inspection per flow.
const MAX_PENDING: usize = 256;
/// Events remembered per flow to drop repeats.
const SEEN_KEEP: usize = 32;
/// First bytes of each direction kept to check, once the protocol is
/// decided from one direction, what the other one says (Suricata's
/// longest HTTP pattern is 17 bytes).
const HEAD_KEEP: usize = 24;

/// The slot of a protocol in [`AppStats`]' arrays.
pub fn proto_index(p: AppProto) -> usize {
    AppProto::ALL.iter().position(|x| *x == p).unwrap_or(0)
}

/// DNS header flag Z (reserved, must be zero).
pub(crate) const DNS_Z_FLAG: u16 = 0x0040;

/// A parser raised an event on transaction `tx` of a protocol whose
/// transactions hold both directions (TLS, SSH, FTP): event rules are
/// inspected for each direction, as Suricata inspects such a transaction
/// from both sides (a rule without a direction alerts once per side; the
/// other side's inspection comes with that side's next data, or at the
/// flow's end). Once per transaction and call.
fn raise_both(raised: &mut Vec<AppEvent>, proto: EventProto, tx: u64) {
    for dir in 0..2 {
        let e = AppEvent { progress: Progress::parser_event(proto, dir), tx };
        if !raised.contains(&e) {
            raised.push(e);
        }
    }
}

/// A transaction reached a point detection cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppEvent {
    pub progress: Progress,
    /// Transaction id within the flow.
    pub tx: u64,
}

enum Parser {
    /// Undecided, failed, or a protocol recognised without a parser
    /// (SMTP, SMB, DCE/RPC, IMAP: rules on them inspect the stream).
    None,
    Http(Box<HttpConn>),
    Tls(Box<TlsConn>),
    Ssh(Box<SshConn>),
    Ftp(Box<FtpConn>),
    FtpData(Box<FtpDataConn>),
    DnsTcp(Box<DnsTcp>),
    DnsUdp,
}

/// What feeding a TCP stream needs to know of its flow.
pub struct TcpCtx<'a> {
    /// (client port, server port).
    pub ports: (u16, u16),
    /// The first four bytes of the client's address (FTP's `ftpbounce`).
    pub client4: [u8; 4],
    /// Announced FTP data connections the flow may be, its key among them,
    /// and the time (only while its protocol is undecided).
    pub expect: Option<(&'a mut Expectations, ExpectKey, Timestamp)>,
}

/// The application layer of one flow.
pub struct AppSession {
    pub proto: AppProto,
    /// First bytes of each direction while the protocol is undecided.
    probe: [Vec<u8>; 2],
    /// Direction gave up recognising (unknown bytes, a gap, or too many).
    probe_failed: [bool; 2],
    /// A failed direction's first bytes could not all be kept (a gap, or
    /// more than fits): they are not replayed.
    probe_lost: [bool; 2],
    parser: Parser,
    http_events: Vec<HttpEvent>,
    tls_events: Vec<TlsEvent>,
    ssh_events: Vec<SshEvent>,
    ftp_events: Vec<FtpEvent>,
    /// Parser events raised (TLS, SSH, DNS, FTP), as inspection points for
    /// `app-layer-event` rules.
    raised: Vec<AppEvent>,
    /// DNS messages waiting for inspection, with their ids.
    pub dns: Vec<(u64, DnsMessage)>,
    next_dns_tx: u64,
    /// DNS messages up to this id have been reported as events.
    dns_reported: u64,
    /// Events waiting for inspection, per side.
    pending: [Vec<AppEvent>; 2],
    /// Recent events already queued: a parser may report a point again
    /// (data after a complete response extends its body), and a signature
    /// alerts at most once per transaction, as in Suricata.
    seen: Vec<AppEvent>,
    /// Transactions are logged (EVE records): keep each until it is both
    /// inspected and logged.
    pub keep_for_log: bool,
    /// DNS messages below this id have been logged.
    pub dns_logged: u64,
    /// The TLS handshake has been logged.
    pub tls_logged: bool,
    /// Anomalies waiting for the `anomaly` logger.
    pub anomalies: PendingAnomalies,
    /// First bytes of each direction (protocol confirmation).
    head: [[u8; HEAD_KEEP]; 2],
    head_len: [u8; 2],
    /// The direction still to be checked against the protocol decided.
    confirm_dir: Option<usize>,
    /// That direction's data we did not recognise, waiting for the check.
    held: Vec<u8>,
    /// The SSH transaction has been logged.
    pub ssh_logged: bool,
    /// The latest DNS message of each direction (ids): kept after they are
    /// inspected and logged, for the alerts of packet rules that show them.
    last_dns: [Option<u64>; 2],
    /// Alerts of packet rules that showed a transaction, per direction: the
    /// transaction and how many (Suricata shows one in a few alerts only).
    pub packet_alert_txs: [(u64, u8); 2],
}

impl std::fmt::Debug for AppSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSession").field("proto", &self.proto).field("pending", &self.pending).finish()
    }
}

impl Default for AppSession {
    fn default() -> Self {
        AppSession::new()
    }
}

impl AppSession {
    pub fn new() -> AppSession {
        AppSession {
            proto: AppProto::Unknown,
            probe: [Vec::new(), Vec::new()],
            probe_failed: [false; 2],
            probe_lost: [false; 2],
            parser: Parser::None,
            http_events: Vec::new(),
            tls_events: Vec::new(),
            ssh_events: Vec::new(),
            ftp_events: Vec::new(),
            raised: Vec::new(),
            dns: Vec::new(),
            next_dns_tx: 0,
            dns_reported: 0,
            pending: [Vec::new(), Vec::new()],
            seen: Vec::new(),
            keep_for_log: false,
            dns_logged: 0,
            tls_logged: false,
            anomalies: PendingAnomalies::default(),
            head: [[0; HEAD_KEEP]; 2],
            head_len: [0; 2],
            confirm_dir: None,
            held: Vec::new(),
            ssh_logged: false,
            last_dns: [None; 2],
            packet_alert_txs: [(0, 0); 2],
        }
    }

    /// Transactions the flow has had so far (EVE `flow.tx_cnt`).
    pub fn tx_count(&self) -> u64 {
        match &self.parser {
            Parser::Http(h) => h.tx_count(),
            Parser::Tls(t) => u64::from(t.info().state != 0),
            // One transaction per connection, from the start (Suricata).
            Parser::Ssh(_) | Parser::FtpData(_) => 1,
            Parser::Ftp(f) => f.tx_count(),
            Parser::DnsTcp(_) | Parser::DnsUdp => self.next_dns_tx,
            Parser::None => 0,
        }
    }

    /// The parser met data it could not parse (Suricata's app-layer error
    /// exception).
    pub fn parse_error(&self) -> bool {
        match &self.parser {
            Parser::Tls(t) => t.stats().malformed > 0,
            Parser::DnsTcp(d) => d.stats().malformed > 0,
            // Past its transaction limit Suricata's FTP parser errors out.
            Parser::Ftp(f) => f.failed(),
            _ => false,
        }
    }

    /// The protocol has a parser (so it has transactions to count).
    pub fn has_parser(&self) -> bool {
        !matches!(self.parser, Parser::None)
    }

    pub fn http_mut(&mut self) -> Option<&mut HttpConn> {
        match &mut self.parser {
            Parser::Http(h) => Some(h),
            _ => None,
        }
    }

    /// DNS messages not needed any more: logged (or not logged at all) and
    /// not waiting for inspection.
    fn prune_dns(&mut self) {
        let logged = if self.keep_for_log { self.dns_logged } else { u64::MAX };
        let pending = &self.pending;
        let last = self.last_dns;
        self.dns.retain(|(id, _)| {
            *id >= logged
                || last.contains(&Some(*id))
                || pending.iter().flatten().any(|e| e.tx == *id && e.progress.proto() == AppProto::Dns)
        });
    }

    /// The latest DNS message that went in this direction, still kept.
    pub fn last_dns(&self, to_server: bool) -> Option<(u64, &DnsMessage)> {
        let id = self.last_dns[usize::from(!to_server)]?;
        self.dns.iter().rev().find(|(i, _)| *i == id).map(|(i, m)| (*i, m))
    }

    /// Marks DNS messages up to `id` (excluded) logged, freeing those
    /// already inspected.
    pub fn dns_mark_logged(&mut self, id: u64) {
        self.dns_logged = self.dns_logged.max(id);
        self.prune_dns();
    }

    /// Queues events until their side is inspected.
    pub fn queue(&mut self, events: &[AppEvent], stats: &mut AppStats) {
        for e in events {
            if self.seen.contains(e) {
                continue;
            }
            if self.seen.len() >= SEEN_KEEP {
                self.seen.remove(0);
            }
            self.seen.push(*e);
            stats.events += 1;
            let side = e.progress.side();
            // Bounded: a flood of transactions nobody inspects yet keeps
            // the latest (each parser bounds its own transactions too).
            if self.pending[side].len() >= MAX_PENDING {
                self.pending[side].remove(0);
                stats.events_dropped += 1;
            }
            self.pending[side].push(*e);
        }
    }

    pub fn take_pending(&mut self, side: usize) -> Vec<AppEvent> {
        std::mem::take(&mut self.pending[side])
    }

    /// Gives back the (drained) vector of [`take_pending`], keeping events
    /// queued meanwhile.
    pub fn recycle_pending(&mut self, side: usize, mut v: Vec<AppEvent>) {
        v.clear();
        v.append(&mut self.pending[side]);
        self.pending[side] = v;
        self.prune_dns();
    }

    /// Nothing left to do: the protocol is decided and has no parser, and
    /// no event waits.
    pub fn is_idle(&self) -> bool {
        self.proto != AppProto::Unknown
            && matches!(self.parser, Parser::None)
            && self.pending.iter().all(Vec::is_empty)
            && self.anomalies.list.is_empty()
            && self.confirm_dir.is_none()
    }

    pub fn http(&self) -> Option<&HttpConn> {
        match &self.parser {
            Parser::Http(h) => Some(h),
            _ => None,
        }
    }

    pub fn tls(&self) -> Option<&TlsConn> {
        match &self.parser {
            Parser::Tls(t) => Some(t),
            _ => None,
        }
    }

    pub fn ssh(&self) -> Option<&SshConn> {
        match &self.parser {
            Parser::Ssh(s) => Some(s),
            _ => None,
        }
    }

    pub fn ftp(&self) -> Option<&FtpConn> {
        match &self.parser {
            Parser::Ftp(f) => Some(f),
            _ => None,
        }
    }

    pub fn ftp_mut(&mut self) -> Option<&mut FtpConn> {
        match &mut self.parser {
            Parser::Ftp(f) => Some(f),
            _ => None,
        }
    }

    pub fn ftp_data(&self) -> Option<&FtpDataConn> {
        match &self.parser {
            Parser::FtpData(d) => Some(d),
            _ => None,
        }
    }

    pub fn ftp_data_mut(&mut self) -> Option<&mut FtpDataConn> {
        match &mut self.parser {
            Parser::FtpData(d) => Some(d),
            _ => None,
        }
    }

    /// The data connections the FTP parser announced since the last call.
    pub fn take_transfers(&mut self) -> Vec<Transfer> {
        match &mut self.parser {
            Parser::Ftp(f) => f.take_transfers(),
            _ => Vec::new(),
        }
    }

    fn decide(&mut self, proto: AppProto, client4: [u8; 4], stats: &mut AppStats) {
        self.proto = proto;
        stats.flows[AppProto::ALL.iter().position(|p| *p == proto).unwrap_or(0)] += 1;
        self.parser = match proto {
            AppProto::Http => Parser::Http(Box::default()),
            AppProto::Tls => Parser::Tls(Box::default()),
            AppProto::Dns => Parser::DnsTcp(Box::default()),
            AppProto::Ssh => Parser::Ssh(Box::default()),
            AppProto::Ftp => Parser::Ftp(Box::new(FtpConn::new(client4))),
            _ => Parser::None,
        };
    }

    /// The flow's first data in direction `dir` matches an announced FTP
    /// data connection (checked after the content said nothing, as
    /// Suricata checks its expectations last): it becomes `ftp-data`, and
    /// what this direction sent so far is its first data.
    fn claim(
        &mut self,
        cfg: &AppConfig,
        dir: usize,
        ctx: &mut TcpCtx<'_>,
        events: &mut Vec<AppEvent>,
        stats: &mut AppStats,
    ) -> bool {
        let Some((table, key, now)) = ctx.expect.as_mut() else { return false };
        if self.probe_lost[dir] {
            return false;
        }
        let Some(a) = table.claim(key, dir == 0, *now) else { return false };
        stats.ftp_expect = table.stats;
        self.start_ftp_data(a, stats);
        let mine = std::mem::take(&mut self.probe[dir]);
        self.probe = [Vec::new(), Vec::new()];
        self.parse(cfg, dir, &mine, events);
        // The transaction is inspected once from each side.
        events.push(AppEvent { progress: Progress::FtpDataToServer, tx: 0 });
        events.push(AppEvent { progress: Progress::FtpDataToClient, tx: 0 });
        true
    }

    fn start_ftp_data(&mut self, a: Announcement, stats: &mut AppStats) {
        self.proto = AppProto::FtpData;
        stats.flows[proto_index(AppProto::FtpData)] += 1;
        self.parser = Parser::FtpData(Box::new(FtpDataConn::new(a)));
    }

    /// In-order TCP data of direction `dir`, after `gap` missing bytes.
    /// Returns the protocol when this call recognised it.
    #[allow(clippy::too_many_arguments)]
    pub fn feed_tcp(
        &mut self,
        cfg: &AppConfig,
        dir: usize,
        gap: u64,
        data: &[u8],
        ctx: &mut TcpCtx<'_>,
        events: &mut Vec<AppEvent>,
        stats: &mut AppStats,
    ) -> Option<AppProto> {
        let ports = ctx.ports;
        let mut newly = None;
        if gap > 0 && self.confirm_dir == Some(dir) {
            self.confirm_dir = None;
            self.held = Vec::new();
        }
        self.note_head(dir, data);
        if self.proto == AppProto::Unknown {
            if gap > 0 {
                self.probe_failed[dir] = true;
                self.probe_lost[dir] = true;
                self.probe[dir] = Vec::new();
            }
            if data.is_empty() {
                return None;
            }
            if self.probe_failed[dir] {
                // Kept (bounded) for the other direction's verdict: its
                // protocol's parser gets this direction's data too, as
                // Suricata's does; beyond the bound it is given up.
                let p = &mut self.probe[dir];
                if p.len() + data.len() <= PROBE_KEEP {
                    p.extend_from_slice(data);
                } else {
                    *p = Vec::new();
                    self.probe_lost[dir] = true;
                }
                stats.unrecognised_bytes += data.len() as u64;
                // An announcement may reach this worker after the data.
                if self.claim(cfg, dir, ctx, events, stats) {
                    return Some(AppProto::FtpData);
                }
                return None;
            }
            let room = PROBE_KEEP.saturating_sub(self.probe[dir].len());
            let added = data.len().min(room);
            self.probe[dir].extend_from_slice(&data[..added]);
            let verdict = probe::probe_tcp(&self.probe[dir], dir == 0, ports);
            if !matches!(verdict, Verdict::Is(_)) && self.claim(cfg, dir, ctx, events, stats) {
                if added < data.len() {
                    self.parse(cfg, dir, &data[added..], events);
                }
                return Some(AppProto::FtpData);
            }
            match verdict {
                Verdict::Is(p) => {
                    self.decide(p, ctx.client4, stats);
                    newly = Some(p);
                    // Replay what both directions sent so far (the other
                    // side may have spoken first), then the rest of this
                    // chunk. A direction we did not recognise is handed to
                    // the parser once Suricata's detection would be done
                    // with it (it then passes such data on).
                    let b = 1 - dir;
                    let other = std::mem::take(&mut self.probe[b]);
                    self.confirm_dir = Some(b);
                    if self.probe_failed[b] && !self.probe_lost[b] {
                        self.held = other;
                        if self.confirm_other(ports) {
                            let held = std::mem::take(&mut self.held);
                            self.parse(cfg, b, &held, events);
                        }
                    } else {
                        self.confirm_other(ports);
                        if !other.is_empty() {
                            self.parse(cfg, b, &other, events);
                        }
                    }
                    let mine = std::mem::take(&mut self.probe[dir]);
                    self.parse(cfg, dir, &mine, events);
                    if added < data.len() {
                        self.parse(cfg, dir, &data[added..], events);
                    }
                    return newly;
                }
                Verdict::NeedMore if self.probe[dir].len() < PROBE_KEEP.min(cfg.probe_bytes) => return None,
                _ => {
                    self.probe_failed[dir] = true;
                    stats.unrecognised_bytes += self.probe[dir].len() as u64;
                    if self.probe_lost[dir] {
                        self.probe[dir] = Vec::new();
                    }
                    if self.probe_failed[1 - dir] {
                        self.probe = [Vec::new(), Vec::new()];
                        self.decide(AppProto::Failed, ctx.client4, stats);
                        newly = Some(AppProto::Failed);
                    }
                    return newly;
                }
            }
        }
        if gap > 0 {
            self.gap(cfg, dir, gap);
        }
        if self.confirm_dir == Some(dir) {
            // FTP holds a client it does not recognise yet even when it had
            // sent nothing before the server was (Suricata's detection of
            // that direction is still running, its data not parsed).
            let waiting = !self.held.is_empty() || self.proto == AppProto::Ftp;
            if self.confirm_other(ports) {
                let held = std::mem::take(&mut self.held);
                self.parse(cfg, dir, &held, events);
            } else if waiting && self.confirm_dir.is_some() {
                // Still undecided: this direction's data keeps its order.
                if self.held.len() + data.len() <= PROBE_KEEP {
                    self.held.extend_from_slice(data);
                } else {
                    self.held = Vec::new();
                    self.confirm_dir = None;
                }
                return newly;
            }
        }
        self.parse(cfg, dir, data, events);
        newly
    }

    fn note_head(&mut self, dir: usize, data: &[u8]) {
        let have = usize::from(self.head_len[dir]);
        if have < HEAD_KEEP && !data.is_empty() {
            let n = (HEAD_KEEP - have).min(data.len());
            self.head[dir][have..have + n].copy_from_slice(&data[..n]);
            self.head_len[dir] = (have + n) as u8;
        }
    }

    /// Checks the direction the protocol was not decided from, as Suricata
    /// detects each direction: no protocol there, or another one, is an
    /// anomaly of protocol detection.
    /// Returns whether the data held for that direction goes to the parser
    /// now.
    fn confirm_other(&mut self, ports: (u16, u16)) -> bool {
        let Some(d) = self.confirm_dir else { return false };
        let head = &self.head[d][..usize::from(self.head_len[d])];
        // Suricata's detection is done with a direction once it has seen as
        // much as its longest pattern (the HTTP/2 preface, 24 bytes): a
        // shorter unknown start stays undecided. An FTP server's first
        // bytes are judged at once (as Suricata's to-client detection,
        // whose patterns are short, does).
        let enough = if self.proto == AppProto::Ftp && d == 1 { 1 } else { HEAD_KEEP };
        let (event, replay) = match probe::confirm(self.proto, head, d == 0, ports) {
            Confirm::NeedMore | Confirm::Unknown if head.len() < enough => return false,
            Confirm::Same | Confirm::NeedMore => (None, true),
            Confirm::Different => (Some(anomaly::MISMATCH_BOTH_DIRECTIONS), false),
            Confirm::Unknown => (Some(anomaly::ONLY_ONE_DIRECTION), true),
        };
        self.confirm_dir = None;
        if let Some(event) = event {
            self.anomalies.push(AppAnomaly { event, layer: Layer::Detect, tx: None, dir: d as u8 });
        }
        if !replay {
            self.held = Vec::new();
        }
        replay && !self.held.is_empty()
    }

    fn gap(&mut self, cfg: &AppConfig, dir: usize, len: u64) {
        match &mut self.parser {
            Parser::Http(h) => {
                h.gap(&cfg.http, dir, len, &mut self.http_events);
            }
            Parser::Tls(t) => t.gap(dir, len),
            Parser::Ssh(s) => s.gap(dir, len),
            Parser::Ftp(f) => f.gap(dir, len),
            Parser::FtpData(d) => d.gap(dir, len),
            Parser::DnsTcp(d) => d.gap(dir, len),
            Parser::DnsUdp | Parser::None => {}
        }
    }

    fn parse(&mut self, cfg: &AppConfig, dir: usize, data: &[u8], events: &mut Vec<AppEvent>) {
        match &mut self.parser {
            Parser::Http(h) => {
                h.parse(&cfg.http, dir, data, &mut self.http_events);
            }
            Parser::Tls(t) => {
                t.parse(&cfg.tls, dir, data, &mut self.tls_events);
            }
            Parser::Ssh(s) => {
                let before = s.info().anomalies.len();
                s.parse(&cfg.ssh, dir, data, &mut self.ssh_events);
                if s.info().anomalies.len() > before {
                    raise_both(&mut self.raised, EventProto::Ssh, 0);
                }
            }
            Parser::Ftp(f) => f.parse(&cfg.ftp, dir, data, &mut self.ftp_events),
            Parser::FtpData(d) => d.parse(&cfg.http.files, &cfg.http.tracking, dir, data),
            Parser::DnsTcp(d) => {
                let mut msgs = Vec::new();
                d.parse(&cfg.dns, dir, data, &mut msgs);
                for m in &mut msgs {
                    m.to_server = dir == 0;
                }
                self.take_dns(msgs.into_iter());
            }
            Parser::DnsUdp | Parser::None => {}
        }
        self.collect(events);
    }

    fn take_dns(&mut self, msgs: impl ExactSizeIterator<Item = DnsMessage>) {
        self.prune_dns();
        // Messages nobody inspects or logs are not kept forever.
        if self.dns.len() + msgs.len() > MAX_PENDING {
            self.dns.clear();
        }
        for m in msgs {
            let id = self.next_dns_tx;
            self.next_dns_tx += 1;
            if m.flags & DNS_Z_FLAG != 0 {
                let dir = u8::from(m.is_response());
                self.anomalies.push(AppAnomaly { event: "Z_FLAG_SET", layer: Layer::Parser, tx: Some(id), dir });
                let progress = Progress::parser_event(EventProto::Dns, usize::from(dir));
                self.raised.push(AppEvent { progress, tx: id });
            }
            self.last_dns[usize::from(!m.to_server)] = Some(id);
            self.dns.push((id, m));
        }
    }

    /// Translates the parser's own events.
    fn collect(&mut self, events: &mut Vec<AppEvent>) {
        let pending = &mut self.anomalies;
        let raised = &mut self.raised;
        match &mut self.parser {
            Parser::Http(h) => h.drain_anomalies(|a| {
                pending.push(AppAnomaly { event: a.anomaly.name(), layer: Layer::Parser, tx: Some(a.tx), dir: a.dir })
            }),
            Parser::Tls(t) => {
                let n = pending.raised;
                t.drain_anomalies(|event| {
                    pending.push(AppAnomaly { event, layer: Layer::Parser, tx: Some(0), dir: 0 })
                });
                if pending.raised > n {
                    raise_both(raised, EventProto::Tls, 0);
                }
            }
            Parser::Ftp(f) => f.drain_anomalies(|a| {
                pending.push(AppAnomaly { event: a.event, layer: Layer::Parser, tx: Some(a.tx), dir: a.dir });
                raise_both(raised, EventProto::Ftp, a.tx);
            }),
            _ => {}
        }
        for e in self.ftp_events.drain(..) {
            let (progress, tx) = match e {
                FtpEvent::Request(id) => (Progress::FtpRequest, id),
                FtpEvent::Reply(id) => (Progress::FtpReply, id),
            };
            events.push(AppEvent { progress, tx });
        }
        for e in self.http_events.drain(..) {
            let (progress, tx) = match e {
                HttpEvent::RequestHeaders(id) => (Progress::HttpRequestHeaders, id),
                HttpEvent::RequestComplete(id) => (Progress::HttpRequestBody, id),
                HttpEvent::ResponseHeaders(id) => (Progress::HttpResponseHeaders, id),
                HttpEvent::ResponseComplete(id) => (Progress::HttpResponseBody, id),
            };
            events.push(AppEvent { progress, tx });
        }
        for e in self.tls_events.drain(..) {
            let progress = match e {
                TlsEvent::ClientHello => Progress::TlsClientHello,
                TlsEvent::ServerHello => Progress::TlsServerHello,
                TlsEvent::ServerCertificate => Progress::TlsServerCert,
                TlsEvent::ClientCertificate => Progress::TlsClientCert,
                _ => continue,
            };
            events.push(AppEvent { progress, tx: 0 });
        }
        for e in self.ssh_events.drain(..) {
            let progress = match e {
                SshEvent::Banner(0) => Progress::SshClientBanner,
                SshEvent::Banner(_) => Progress::SshServerBanner,
                SshEvent::Hassh(0) => Progress::SshClientKex,
                SshEvent::Hassh(_) => Progress::SshServerKex,
                SshEvent::NewKeys(_) => continue,
            };
            events.push(AppEvent { progress, tx: 0 });
        }
        for (id, m) in &self.dns {
            if *id < self.dns_reported {
                continue;
            }
            let progress = if m.is_response() { Progress::DnsResponse } else { Progress::DnsRequest };
            events.push(AppEvent { progress, tx: *id });
        }
        self.dns_reported = self.next_dns_tx;
        // After the points above, so that an event rule of a transaction
        // is inspected with what its message already holds.
        events.append(&mut self.raised);
    }

    /// One UDP datagram of direction `dir`.
    pub fn feed_udp(
        &mut self,
        cfg: &AppConfig,
        (data, to_server): (&[u8], bool),
        ports: (u16, u16),
        events: &mut Vec<AppEvent>,
        stats: &mut AppStats,
    ) {
        if self.proto == AppProto::Unknown {
            match probe::probe_udp(data, ports) {
                Verdict::Is(AppProto::Dns) => {
                    self.proto = AppProto::Dns;
                    let i = proto_index(AppProto::Dns);
                    stats.flows[i] += 1;
                    stats.udp_flows[i] += 1;
                    self.parser = Parser::DnsUdp;
                }
                _ => {
                    self.decide(AppProto::Failed, [0; 4], stats);
                    stats.udp_flows[proto_index(AppProto::Failed)] += 1;
                    return;
                }
            }
        }
        if let Parser::DnsUdp = self.parser {
            match dns::parse_message_with_stats(&cfg.dns, data, &mut stats.dns) {
                Ok(m) => self.take_dns(std::iter::once(DnsMessage { to_server, ..m })),
                Err(_) => {
                    stats.dns_malformed += 1;
                    // Suricata opens a transaction for the datagram and
                    // sets the event on it.
                    let tx = Some(self.next_dns_tx);
                    self.next_dns_tx += 1;
                    self.anomalies.push(AppAnomaly { event: "MALFORMED_DATA", layer: Layer::Parser, tx, dir: 0 });
                }
            }
            self.collect(events);
        }
    }

    /// Direction `dir` ended (FIN, RST, flow end).
    pub fn close(&mut self, cfg: &AppConfig, dir: usize, events: &mut Vec<AppEvent>) {
        // An FTP client whose first command is not one Suricata's detection
        // knows is held until the end of its stream, and parsed then (its
        // replies have been parsed without it), as Suricata does.
        if self.proto == AppProto::Ftp && self.confirm_dir == Some(dir) {
            self.confirm_dir = None;
            let held = std::mem::take(&mut self.held);
            self.parse(cfg, dir, &held, events);
        }
        match &mut self.parser {
            Parser::Http(h) => h.close(&cfg.http, dir, &mut self.http_events),
            Parser::FtpData(d) => d.close(&cfg.http.tracking, dir),
            _ => {}
        }
        self.collect(events);
    }

    /// The session ends: its parser's counters go to `stats`.
    pub fn finish(&self, stats: &mut AppStats) {
        stats.anomalies += self.anomalies.raised;
        stats.anomalies_dropped += self.anomalies.dropped;
        let i = proto_index(self.proto);
        stats.txs[i] += self.tx_count();
        if matches!(self.parser, Parser::DnsUdp) {
            stats.udp_txs[i] += self.tx_count();
        }
        let none = (HttpStats::default(), TlsStats::default(), DnsStats::default(), SshStats::default());
        match &self.parser {
            Parser::Http(h) => add_parser_stats(stats, h.stats(), &none.1, &none.2, &none.3),
            Parser::Tls(t) => add_parser_stats(stats, &none.0, t.stats(), &none.2, &none.3),
            Parser::Ssh(s) => add_parser_stats(stats, &none.0, &none.1, &none.2, s.stats()),
            Parser::DnsTcp(d) => add_parser_stats(stats, &none.0, &none.1, d.stats(), &none.3),
            Parser::Ftp(f) => add_ftp_stats(stats, f.stats(), &FtpDataStats::default()),
            Parser::FtpData(d) => add_ftp_stats(stats, &FtpStats::default(), d.stats()),
            Parser::DnsUdp | Parser::None => {}
        }
    }

    /// Detection is done with this event: free what is no longer needed
    /// (a transaction still to be logged stays until it is).
    pub fn done(&mut self, ev: &AppEvent) {
        let keep = self.keep_for_log;
        if let Parser::Ftp(f) = &mut self.parser {
            if let Some(tx) = f.tx_mut(ev.tx) {
                tx.inspected[ev.progress.side()] = true;
            }
            f.prune(keep);
            return;
        }
        if let Parser::Http(h) = &mut self.parser {
            if let Some(tx) = h.tx_mut(ev.tx) {
                if tx.request_complete && tx.response_complete && ev.progress == Progress::HttpResponseBody {
                    tx.inspected = true;
                    if !keep || (tx.logged && !tx.files_pending()) {
                        h.remove_tx(ev.tx);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
