//! Where a worker turns flows and transactions into EVE records (alerts
//! have their own path, [`super::alerting`]): a transaction is logged once
//! it is complete, on the packet that completed it, or when its flow ends;
//! a flow is logged when it ends, after everything in it.

use super::alerting::{pkt_src, At};
use crate::app::files::{FileStats, FileTracking};
use crate::app::http::HttpTx;
use crate::app::session::AppSession;
use crate::config::Config;
use crate::detect::signature::FlowbitNames;
use crate::flow::tcp::CloseStage;
use crate::flow::{EndReason, Flow};
use crate::output::records::{self, EventType, Header};
use crate::output::stage::RecordBatch;
use crate::util::Timestamp;

/// Where and when a record is written: capture position, time, and the
/// packet source EVE shows.
#[derive(Clone, Copy)]
struct Place<'b> {
    order: u64,
    ts: Timestamp,
    pcap_cnt: u64,
    pkt_src: &'static str,
    /// The flow's flowbits, shown on each record (empty when `metadata`
    /// is off).
    flowbits: &'b [&'b str],
}

fn place<'b>(at: &At<'_>, live: bool, flowbits: &'b [&'b str]) -> Place<'b> {
    match *at {
        At::Packet(_, p) => Place {
            order: p.pcap_cnt,
            ts: p.ts,
            // Live packets have no capture position to show.
            pcap_cnt: if live { 0 } else { p.pcap_cnt },
            pkt_src: pkt_src(&p.dec),
            flowbits,
        },
        At::Pseudo { ts, order, pkt_src } => Place { order, ts, pcap_cnt: 0, pkt_src, flowbits },
    }
}

fn header<'f>(f: &'f Flow, kind: EventType, to_server: bool, p: &Place<'f>) -> Header<'f> {
    let mut h = Header::of_flow(f, kind, to_server, p.ts);
    h.pcap_cnt = p.pcap_cnt;
    h.pkt_src = Some(p.pkt_src);
    h.flowbits = p.flowbits;
    h
}

/// Logs the flow's transactions that are complete, or all of them when
/// the flow ends (`flush`), at `at`; `flowbits` names the flow's flowbits
/// (looked up only when a record is written).
pub fn log_transactions(
    cfg: &Config,
    f: &mut Flow,
    at: At<'_>,
    flush: bool,
    flowbits: &FlowbitNames,
    out: &mut RecordBatch,
) {
    let Some(mut session) = f.app.take() else { return };
    // Both FINs acknowledged: each direction's stream has ended, which
    // Suricata's app layer takes as the end of the flow for logging.
    let flush = flush || f.tcp.close == CloseStage::Closed;
    f.tx_cnt = u32::try_from(session.tx_count()).unwrap_or(u32::MAX);
    f.had_parser |= session.has_parser();
    if session.parse_error() {
        f.exception |= crate::flow::exception::APP_LAYER_ERROR;
    }
    if session.keep_for_log {
        let mut names: [&str; 16] = [""; 16];
        let n = if cfg.output.eve.metadata { flowbits.names_of(f.detect.ids(), &mut names) } else { 0 };
        let p = place(&at, cfg.engine.live, &names[..n]);
        let side = packet_side(f, &at);
        log_http(cfg, f, &mut session, &p, flush, side, out);
        log_dns(cfg, f, &mut session, &p, out);
        log_tls(cfg, f, &mut session, &p, flush, out);
        log_ssh(cfg, f, &mut session, &p, flush, out);
        log_ftp(cfg, f, &mut session, &p, flush, out);
        log_ftp_data(cfg, f, &mut session, &p, flush, out);
    }
    if f.app.is_none() {
        f.app = Some(session);
    }
}

/// The flow direction of the packet a record is written on (None for
/// pseudo packets).
fn packet_side(f: &Flow, at: &At<'_>) -> Option<usize> {
    match at {
        At::Packet(_, p) => {
            let (sp, _) = p.dec.ports();
            Some(usize::from((p.dec.ip.src, sp) != f.client))
        }
        At::Pseudo { .. } => None,
    }
}

/// Logs the HTTP transactions that are complete (or all, when the flow
/// ends) and the files they carry, freeing what detection is done with.
/// A transaction stays until its record and its files' records are out.
fn log_http(
    cfg: &Config,
    f: &Flow,
    session: &mut AppSession,
    p: &Place<'_>,
    flush: bool,
    side: Option<usize>,
    out: &mut RecordBatch,
) {
    let eve = &cfg.output.eve;
    let http_log = eve.types.http.as_ref().filter(|c| c.enabled);
    let files_log = eve.types.enabled(EventType::Fileinfo);
    let Some(conn) = session.http_mut() else { return };
    let (txs, stats) = conn.txs_and_stats_mut();
    let mut done = Vec::new();
    for tx in txs {
        // Files first: Suricata's file logger runs before the transaction
        // loggers of the same packet.
        log_files(eve, f, tx, p, flush, side, files_log, &mut stats.files, out);
        if !tx.logged && (flush || (tx.request_complete && tx.response_complete)) {
            if let Some(log) = http_log {
                let h = header(f, EventType::Http, true, p);
                out.push(p.order, EventType::Http, |o| records::http::write_record(o, eve, &h, log, tx));
            }
            tx.logged = true;
        }
        if tx.inspected && tx.logged && !tx.files_pending() {
            done.push(tx.id);
        }
    }
    for id in done {
        conn.remove_tx(id);
    }
}

/// Logs a transaction's files that are finished: a file is logged on a
/// packet of the direction it travelled (as in Suricata), or when the flow
/// ends (a file still open then is truncated). Its store decision is
/// taken then too.
#[allow(clippy::too_many_arguments)]
fn log_files(
    eve: &crate::output::EveConfig,
    f: &Flow,
    tx: &mut HttpTx,
    p: &Place<'_>,
    flush: bool,
    side: Option<usize>,
    enabled: bool,
    stats: &mut FileStats,
    out: &mut RecordBatch,
) {
    for dir in [0, 1] {
        if !(flush || side == Some(dir)) {
            continue;
        }
        let mut files = std::mem::take(if dir == 0 { &mut tx.request.files } else { &mut tx.response.files });
        for file in files.iter_mut().filter(|f| !f.logged) {
            if file.is_open() {
                if !flush {
                    continue;
                }
                file.close(true, &FileTracking::default(), stats);
            }
            file.settle_store(stats);
            if enabled {
                let h = header(f, EventType::Fileinfo, dir == 0, p);
                out.push(p.order, EventType::Fileinfo, |o| records::fileinfo::write_record(o, eve, &h, tx, file));
            }
            file.logged = true;
        }
        *(if dir == 0 { &mut tx.request.files } else { &mut tx.response.files }) = files;
    }
}

fn log_dns(cfg: &Config, f: &Flow, session: &mut AppSession, p: &Place<'_>, out: &mut RecordBatch) {
    use records::dns::{self as dnslog, DnsVersion};
    let eve = &cfg.output.eve;
    let Some(log) = eve.types.dns.as_ref().filter(|c| c.enabled) else { return };
    let mut upto = session.dns_logged;
    for (id, m) in &session.dns {
        if *id < session.dns_logged {
            continue;
        }
        upto = upto.max(id + 1);
        match log.version() {
            // Version 3 records go the way the message went, version 2
            // ones client to server.
            DnsVersion::V3 if log.logs(m) => {
                let h = header(f, EventType::Dns, m.to_server, p);
                out.push(p.order, EventType::Dns, |o| dnslog::write_record(o, eve, &h, log, m, *id));
            }
            DnsVersion::V2 if m.is_response() && log.logs(m) => {
                let h = header(f, EventType::Dns, true, p);
                out.push(p.order, EventType::Dns, |o| dnslog::write_v2_answer(o, eve, &h, log, m));
            }
            DnsVersion::V2 => {
                let h = header(f, EventType::Dns, true, p);
                for i in 0..log.v2_queries(m) {
                    out.push(p.order, EventType::Dns, |o| dnslog::write_v2_query(o, eve, &h, m, *id, i));
                }
            }
            DnsVersion::V3 => {}
        }
    }
    session.dns_mark_logged(upto);
}

fn log_tls(cfg: &Config, f: &Flow, session: &mut AppSession, p: &Place<'_>, flush: bool, out: &mut RecordBatch) {
    let eve = &cfg.output.eve;
    let Some(log) = eve.types.tls.as_ref().filter(|c| c.enabled) else { return };
    if session.tls_logged {
        return;
    }
    let Some(info) = session.tls().map(|t| t.info()) else { return };
    // A TCP session that closed gives its parser the end of both
    // directions, as a flow end does (Suricata logs then).
    let closed = f.tcp.close == CloseStage::Closed;
    if !(flush || closed || records::tls::ready(info)) {
        return;
    }
    // Once due, the handshake is logged now or never (Suricata's logger
    // runs once per transaction).
    if records::tls::logs(log, info) {
        let h = header(f, EventType::Tls, true, p);
        out.push(p.order, EventType::Tls, |o| records::tls::write_record(o, eve, &h, log, info));
    }
    session.tls_logged = true;
}

/// Logs the SSH transaction when Suricata does: both identification lines
/// parsed (with HASSH on: both NEWKEYS sent), parsing failed, or the flow
/// ends; nothing when no identification line was seen.
fn log_ssh(cfg: &Config, f: &Flow, session: &mut AppSession, p: &Place<'_>, flush: bool, out: &mut RecordBatch) {
    let eve = &cfg.output.eve;
    if session.ssh_logged || !eve.types.enabled(EventType::Ssh) {
        return;
    }
    let Some(conn) = session.ssh() else { return };
    let info = conn.info();
    if !(flush || conn.ready_to_log()) {
        return;
    }
    // Once both sides are encrypted Suricata stops the flow's app layer,
    // and the pseudo packet that flushes its streams (before the packet
    // itself is logged) writes the record. (A parse failure is logged on
    // the packet.)
    let flushed;
    let p = if !flush && conn.encrypted() {
        flushed = Place { pcap_cnt: 0, pkt_src: "stream (detect/log)", ..*p };
        &flushed
    } else {
        p
    };
    if info.has_banner() {
        let h = header(f, EventType::Ssh, true, p);
        out.push(p.order, EventType::Ssh, |o| records::ssh::write_record(o, eve, &h, info));
    }
    session.ssh_logged = true;
}

/// Logs the FTP transactions that got their final reply (all of them when
/// the flow ends), in order, and frees those detection is done with.
fn log_ftp(cfg: &Config, f: &Flow, session: &mut AppSession, p: &Place<'_>, flush: bool, out: &mut RecordBatch) {
    let eve = &cfg.output.eve;
    let enabled = eve.types.enabled(EventType::Ftp);
    let keep = session.keep_for_log;
    let Some(conn) = session.ftp_mut() else { return };
    for tx in conn.txs_mut().filter(|t| !t.logged && (flush || t.done)) {
        if enabled {
            let h = header(f, EventType::Ftp, true, p);
            out.push(p.order, EventType::Ftp, |o| records::ftp::write_record(o, eve, &h, tx));
        }
        tx.logged = true;
    }
    conn.prune(keep);
}

/// Logs an FTP data connection once its transfer's direction ended (or the
/// flow did): the file's `fileinfo` record first, then `ftp_data`, as
/// Suricata does.
fn log_ftp_data(cfg: &Config, f: &Flow, session: &mut AppSession, p: &Place<'_>, flush: bool, out: &mut RecordBatch) {
    let eve = &cfg.output.eve;
    let Some(conn) = session.ftp_data_mut() else { return };
    if conn.logged || !(flush || conn.ended) {
        return;
    }
    if flush {
        conn.finish(&FileTracking::default());
    }
    if let Some(file) = conn.file.as_ref().filter(|_| eve.types.enabled(EventType::Fileinfo)) {
        let h = header(f, EventType::Fileinfo, conn.data_dir() == 0, p);
        out.push(p.order, EventType::Fileinfo, |o| records::ftp::write_fileinfo(o, eve, &h, conn, file));
    }
    if eve.types.enabled(EventType::FtpData) {
        let h = header(f, EventType::FtpData, true, p);
        out.push(p.order, EventType::FtpData, |o| records::ftp::write_data_record(o, eve, &h, conn));
    }
    conn.logged = true;
}

/// Logs a flow that ended: its `flow` record and, if enabled, `netflow`.
/// `order` places the records after everything else of the flow;
/// `flowbits` are the names of the flowbits set on it.
pub fn log_flow_end(cfg: &Config, f: &Flow, reason: EndReason, flowbits: &[&str], order: u64, out: &mut RecordBatch) {
    let eve = &cfg.output.eve;
    if let Some(log) = eve.types.flow.as_ref().filter(|c| c.enabled) {
        // Whether the flow alerted is known once thresholds have been
        // applied: the output stage fills it in.
        out.push_flow_end(order, f.id, |o| records::flow::write_record(o, eve, log, f, reason, flowbits));
    }
    if eve.types.enabled(EventType::Netflow) {
        out.push(order, EventType::Netflow, |o| records::flow::write_netflow(o, eve, f));
    }
}
