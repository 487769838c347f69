//! HTTP/1.x parsing, libhtp-compatible (Suricata's HTTP parser).
//!
//! [`HttpConn`] owns one connection's transactions and the parser state of
//! both directions. Requests and responses are parsed from in-order stream
//! data as it arrives; each request opens a transaction, and each response
//! is paired with the oldest request still waiting for one (pipelining). A
//! transaction holds what the detection engine inspects: request line,
//! method, raw and normalised URI, protocol, headers (parsed and raw),
//! de-chunked and decompressed bodies, status line.
//!
//! The parser follows libhtp's tolerance on purpose (bare LF or CR line
//! ends, folding, lines without colon, odd chunk sizes, broken compression,
//! HTTP/0.9, responses without status line...): an IDS has to see a message
//! the way the browser or server it protects does. Where libhtp's outcome
//! depends on how the stream was cut into packets, this parser decides as
//! libhtp does when it sees all the data at once, so results never depend
//! on segmentation (it waits for the few bytes of lookahead it needs).
//!
//! Every buffer is bounded by [`HttpConfig`] and every overflow is counted
//! in [`HttpStats`]. Module map: `request`/`response` (the two direction
//! state machines), `headers` (header-section grammar), `body` and
//! `decompress` (content codings, body limits), `uri` (normalisation),
//! `util` (byte helpers).

mod body;
mod decompress;
pub mod events;
mod headers;
mod multipart;
mod request;
mod response;
mod uri;
mod util;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use body::{FileEnv, Target};
use events::EventLog;
pub use events::{HttpAnomaly, TxAnomaly};
use request::ReqSide;
use response::RespSide;

use super::files::{File, FileStats, FileTracking, FilesConfig};

/// HTTP parser settings (Suricata's libhtp `default-config` names in comments).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// `request-body-limit`: bytes of (decoded) request body kept for
    /// inspection, and how far uploaded files are followed (sized, hashed,
    /// stored); 0 = unlimited.
    pub request_body_limit: usize,
    /// `response-body-limit`: bytes of (decoded) response body kept for
    /// inspection, and how far downloaded files are followed; 0 = unlimited.
    pub response_body_limit: usize,
    /// `response-body-decompress-layer-limit`: content-coding layers undone
    /// (also for request bodies); 0 disables decompression.
    pub decompress_layer_limit: usize,
    /// Compression-bomb limit: bytes all decoding layers of one body may produce.
    pub decompressed_limit: usize,
    /// Transactions kept per connection; the oldest is dropped beyond this.
    pub max_transactions: usize,
    /// Bytes of request/status line and of header section kept per message.
    pub max_header_bytes: usize,
    /// Parser warnings reported per connection (Suricata stops at 512 and
    /// reports `TOO_MANY_WARNINGS`); further ones are counted only.
    pub max_events: usize,
    /// Limits of the files carried in bodies.
    pub files: FilesConfig,
    /// What the engine tracks of files (from outputs and rules, not from
    /// the configuration file).
    #[serde(skip)]
    pub tracking: FileTracking,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            request_body_limit: 100 * 1024,
            response_body_limit: 100 * 1024,
            decompress_layer_limit: 2,
            decompressed_limit: 1024 * 1024,
            max_transactions: 512,
            max_header_bytes: 64 * 1024,
            max_events: 512,
            files: FilesConfig::default(),
            tracking: FileTracking::default(),
        }
    }
}

/// Progress of a transaction, reported as it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpEvent {
    /// Request line and headers parsed (tx id).
    RequestHeaders(u64),
    /// Request body finished (or there is none), or the request was ended
    /// by close or a gap.
    RequestComplete(u64),
    /// Status line and headers parsed (also sent, without headers, when a
    /// response has no status line).
    ResponseHeaders(u64),
    /// Response finished. Sent again if data following a complete response
    /// was appended to its body (libhtp treats non-HTTP bytes there as body).
    ResponseComplete(u64),
}

/// One header line, after folding; value trimmed, name as sent (trimmed).
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Request line as received, without the line terminator.
    pub line: Vec<u8>,
    pub method: Vec<u8>,
    /// URI as on the wire.
    pub uri_raw: Vec<u8>,
    /// libhtp's normalised URI (Suricata's `http.uri`): path, query and
    /// fragment, decoded and normalised.
    pub uri_normalized: Vec<u8>,
    /// e.g. `HTTP/1.1`; empty for HTTP/0.9 requests.
    pub protocol: Vec<u8>,
    /// Headers in order, repeated ones as separate entries (also trailers
    /// of a chunked body). A line without colon has an empty name.
    pub headers: Vec<Header>,
    /// Header lines exactly as received after the request line, with their
    /// terminators and the final empty line (then any chunked trailers).
    pub headers_raw: Vec<u8>,
    /// De-chunked and decoded (Content-Encoding), bounded by `request_body_limit`.
    pub body: Vec<u8>,
    /// Bytes are missing from `body` (limit, gap, decompression limit).
    pub body_truncated: bool,
    /// Files the body carries (PUT and POST bodies, multipart parts with
    /// a file name), when files are tracked.
    pub files: Vec<File>,
}

#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Status line as received, without the line terminator.
    pub line: Vec<u8>,
    pub protocol: Vec<u8>,
    pub status_code: Vec<u8>,
    pub status_msg: Vec<u8>,
    pub headers: Vec<Header>,
    pub headers_raw: Vec<u8>,
    /// De-chunked and decompressed, bounded by `response_body_limit`.
    pub body: Vec<u8>,
    pub body_truncated: bool,
    /// The body's length as it was sent (libhtp's `response_message_len`,
    /// EVE `http.length`): before decompression, with the chunked framing
    /// (size lines and chunk ends, up to the last chunk's size line), gap
    /// bytes of a Content-Length body included; not bounded by the body
    /// limit.
    pub body_wire_len: u64,
    /// The file the body is (when files are tracked and it has a name).
    pub files: Vec<File>,
}

#[derive(Debug, Clone, Default)]
pub struct HttpTx {
    /// 0, 1, 2... per connection, in request order.
    pub id: u64,
    pub request: Request,
    pub response: Response,
    pub request_complete: bool,
    pub response_complete: bool,
    /// The request's (response's) header section is complete: its body,
    /// if any, is under way.
    pub request_headers_done: bool,
    pub response_headers_done: bool,
    /// Detection saw the complete transaction.
    pub inspected: bool,
    /// Its EVE record was written.
    pub logged: bool,
    /// Parser events attached to it, one bit per [`HttpAnomaly`] (what
    /// `app-layer-event:http.*` tests).
    pub events: u64,
}

fn find_header<'a>(headers: &'a [Header], name: &[u8]) -> Option<&'a [u8]> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_slice())
}

impl HttpTx {
    /// Where each side is, as Suricata names libhtp's progress (EVE
    /// `ts_progress`, `tc_progress`).
    pub fn progress_names(&self) -> (&'static str, &'static str) {
        let ts = if self.request_complete {
            "request_complete"
        } else if self.request_headers_done {
            "request_body"
        } else {
            "request_headers"
        };
        let tc = if self.response_complete {
            "response_complete"
        } else if self.response_headers_done {
            "response_body"
        } else if !self.response.line.is_empty() {
            "response_headers"
        } else {
            "response_started"
        };
        (ts, tc)
    }

    /// libhtp's normalised hostname: from an absolute URI's authority or
    /// the Host header, lowercase, without port or trailing dot.
    pub fn hostname(&self) -> Vec<u8> {
        let mut h = Vec::new();
        self.hostname_into(&mut h);
        h
    }

    /// [`HttpTx::hostname`] written into `out` (cleared first).
    pub fn hostname_into(&self, out: &mut Vec<u8>) {
        out.clear();
        if let Some(raw) = uri_authority(&self.request.uri_raw).or_else(|| self.request_header(b"host")) {
            normalize_host(raw, out);
        }
    }

    /// The port of an absolute URI's authority or the Host header, when
    /// one is given (EVE `http_port`).
    pub fn host_port(&self) -> Option<u16> {
        let raw = uri_authority(&self.request.uri_raw).or_else(|| self.request_header(b"host"))?.trim_ascii();
        let after = match raw.first() {
            Some(b'[') => &raw[raw.iter().position(|&b| b == b']')? + 1..],
            _ => raw,
        };
        let port = &after[after.iter().position(|&b| b == b':')? + 1..];
        std::str::from_utf8(port).ok()?.trim().parse().ok()
    }

    /// A file of the transaction still waits to be logged (or settled).
    pub fn files_pending(&self) -> bool {
        self.request.files.iter().chain(&self.response.files).any(|f| !f.logged)
    }

    /// First request header with this name, case-insensitive.
    pub fn request_header(&self, name: &[u8]) -> Option<&[u8]> {
        find_header(&self.request.headers, name)
    }

    /// First response header with this name, case-insensitive.
    pub fn response_header(&self, name: &[u8]) -> Option<&[u8]> {
        find_header(&self.response.headers, name)
    }
}

/// The host part of a Host header or absolute URI authority.
fn normalize_host(raw: &[u8], out: &mut Vec<u8>) {
    let raw = raw.trim_ascii();
    let host = if raw.first() == Some(&b'[') {
        // IPv6 literal: keep the brackets' content.
        &raw[..raw.iter().position(|&b| b == b']').map_or(raw.len(), |i| i + 1)]
    } else {
        &raw[..raw.iter().position(|&b| b == b':').unwrap_or(raw.len())]
    };
    out.extend(host.iter().map(u8::to_ascii_lowercase));
    while out.last() == Some(&b'.') {
        out.pop();
    }
}

/// The authority of an absolute-form request URI (`http://host:port/x`).
fn uri_authority(uri: &[u8]) -> Option<&[u8]> {
    let sep = uri.windows(3).position(|w| w == b"://")?;
    if !uri[..sep].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let rest = &uri[sep + 3..];
    let end = rest.iter().position(|&b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    let auth = &rest[..end];
    Some(auth.rsplit(|&b| b == b'@').next().unwrap_or(auth))
}

/// Counters (cumulative per connection; add them up per worker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// Request lines parsed.
    pub requests: u64,
    /// Responses parsed (status line, or body without one).
    pub responses: u64,
    /// Responses that found no request to pair with.
    pub responses_without_request: u64,
    /// Interim 1xx responses skipped.
    pub interim_responses: u64,
    /// HTTP/0.9 requests (no protocol, no headers).
    pub http09_requests: u64,
    /// Body bytes not stored because of a body limit.
    pub body_bytes_truncated: u64,
    /// Bodies whose declared coding could not be (fully) undone.
    pub decompression_failures: u64,
    /// Bodies that hit `decompressed_limit`.
    pub decompression_bombs: u64,
    /// Messages whose line or header section exceeded `max_header_bytes`.
    pub header_limit_hits: u64,
    /// Transactions dropped because of `max_transactions`.
    pub tx_dropped: u64,
    /// Lines that made no sense (invalid chunk size, invalid
    /// Content-Length or Transfer-Encoding, junk skipped before a response).
    pub malformed: u64,
    /// Gaps reported.
    pub gaps: u64,
    /// Bytes discarded while looking for the next message after a gap.
    pub resync_bytes: u64,
    /// Data after a complete response appended to its body.
    pub data_after_response: u64,
    /// Connections switched to tunnel mode (CONNECT, 101 Switching Protocols).
    pub tunnels: u64,
    /// Parser warnings raised (`anomaly` events), and those over `max_events`.
    pub anomalies: u64,
    pub anomalies_dropped: u64,
    /// Files carried in bodies.
    pub files: FileStats,
}

/// What the request side knows that the response side needs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TxMeta {
    pub(crate) http09: bool,
    pub(crate) head: bool,
    pub(crate) connect: bool,
    /// Warnings libhtp reports once per transaction ([`events::once`]).
    pub(crate) once: u8,
    /// Response header repetitions counted (libhtp ignores repeats past 64).
    pub(crate) resp_reps: u8,
    pub(crate) req_reps: u8,
    /// A `100 Continue` was seen for this transaction.
    pub(crate) seen_100: bool,
    /// Request flags Suricata reports as events when the request completes.
    pub(crate) req_flags: u8,
}

/// The transactions of a connection, in id order.
#[derive(Default)]
pub(crate) struct Txs {
    list: VecDeque<(HttpTx, TxMeta)>,
    next_id: u64,
}

impl Txs {
    fn index(&self, id: u64) -> Option<usize> {
        self.list.binary_search_by_key(&id, |(t, _)| t.id).ok()
    }

    pub(crate) fn get(&self, id: u64) -> Option<&HttpTx> {
        self.index(id).and_then(|i| self.list.get(i)).map(|(t, _)| t)
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut HttpTx> {
        self.index(id).and_then(|i| self.list.get_mut(i)).map(|(t, _)| t)
    }

    pub(crate) fn meta(&self, id: u64) -> TxMeta {
        self.index(id).and_then(|i| self.list.get(i)).map(|(_, m)| *m).unwrap_or_default()
    }

    pub(crate) fn meta_mut(&mut self, id: u64) -> Option<&mut TxMeta> {
        self.index(id).and_then(|i| self.list.get_mut(i)).map(|(_, m)| m)
    }

    /// Opens a transaction, dropping the oldest one over the limit.
    pub(crate) fn create(&mut self, cfg: &HttpConfig, stats: &mut HttpStats) -> u64 {
        while self.list.len() >= cfg.max_transactions.max(1) {
            self.list.pop_front();
            stats.tx_dropped += 1;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.list.push_back((HttpTx { id, ..HttpTx::default() }, TxMeta::default()));
        id
    }

    /// The oldest transaction with an id of at least `id`.
    pub(crate) fn first_from(&self, id: u64) -> Option<u64> {
        let i = self.list.partition_point(|(t, _)| t.id < id);
        self.list.get(i).map(|(t, _)| t.id)
    }

    fn remove(&mut self, id: u64) {
        if let Some(i) = self.index(id) {
            self.list.remove(i);
        }
    }
}

/// Shared state handed to the direction parsers.
pub(crate) struct Ctx<'a> {
    pub(crate) cfg: &'a HttpConfig,
    pub(crate) txs: &'a mut Txs,
    pub(crate) stats: &'a mut HttpStats,
    pub(crate) events: &'a mut Vec<HttpEvent>,
    pub(crate) log: &'a mut EventLog,
}

impl Ctx<'_> {
    /// libhtp warns (the transaction is decided when the call ends).
    pub(crate) fn warn(&mut self, a: HttpAnomaly, dir: u8) {
        self.log.raise(a, dir);
    }

    /// libhtp warns once per transaction for `flag` ([`events::once`]).
    pub(crate) fn warn_once(&mut self, id: u64, flag: u8, a: HttpAnomaly, dir: u8) {
        if let Some(m) = self.txs.meta_mut(id) {
            if m.once & flag == 0 {
                self.log.raise(a, dir);
            }
            m.once |= flag;
        }
    }
}

impl HttpConfig {
    pub(crate) fn file_env(&self) -> FileEnv<'_> {
        FileEnv { cfg: &self.files, track: &self.tracking }
    }
}

impl Request {
    pub(crate) fn target(&mut self) -> Target<'_> {
        Target { body: &mut self.body, truncated: &mut self.body_truncated, files: &mut self.files }
    }
}

impl Response {
    pub(crate) fn target(&mut self) -> Target<'_> {
        Target { body: &mut self.body, truncated: &mut self.body_truncated, files: &mut self.files }
    }
}

/// One HTTP connection (both directions).
#[derive(Default)]
pub struct HttpConn {
    txs: Txs,
    req: ReqSide,
    resp: RespSide,
    stats: HttpStats,
    log: EventLog,
}

impl HttpConn {
    pub fn new() -> HttpConn {
        HttpConn::default()
    }

    /// Feeds in-order bytes of one direction (0 = client to server, 1 =
    /// server to client). Pieces may have any size; the result is the same.
    pub fn parse(&mut self, cfg: &HttpConfig, dir: usize, data: &[u8], events: &mut Vec<HttpEvent>) {
        if data.is_empty() {
            return;
        }
        let HttpConn { txs, req, resp, stats, log } = self;
        let mut ctx = Ctx { cfg, txs, stats, events, log };
        if dir == 0 {
            req.parse(&mut ctx, data);
        } else {
            resp.parse(&mut ctx, req, data);
            // The response may have unblocked the request side (CONNECT).
            req.resume(&mut ctx);
        }
        log.attach(cfg, txs, stats);
    }

    /// `len` bytes of this direction are missing for good.
    pub fn gap(&mut self, cfg: &HttpConfig, dir: usize, len: u64, events: &mut Vec<HttpEvent>) {
        if len == 0 {
            return;
        }
        let HttpConn { txs, req, resp, stats, log } = self;
        stats.gaps += 1;
        let mut ctx = Ctx { cfg, txs, stats, events, log };
        if dir == 0 {
            req.gap(&mut ctx, len);
        } else {
            resp.gap(&mut ctx, len);
        }
        log.attach(cfg, txs, stats);
    }

    /// The direction ended (FIN, RST, flow end): completes what is in progress.
    pub fn close(&mut self, cfg: &HttpConfig, dir: usize, events: &mut Vec<HttpEvent>) {
        let HttpConn { txs, req, resp, stats, log } = self;
        let mut ctx = Ctx { cfg, txs, stats, events, log };
        if dir == 0 {
            req.close(&mut ctx);
        } else {
            resp.close(&mut ctx, req);
            req.resume(&mut ctx);
        }
        // Suricata collects libhtp's warnings after each piece of data, not
        // after a close: what closing reports waits for the next data of
        // either direction (usually none).
    }

    /// Hands the parser warnings attached to transactions so far
    /// (`anomaly` events) to `f`.
    pub fn drain_anomalies(&mut self, f: impl FnMut(TxAnomaly)) {
        self.log.attached.drain(..).for_each(f);
    }

    pub fn tx(&self, id: u64) -> Option<&HttpTx> {
        self.txs.get(id)
    }

    pub fn tx_mut(&mut self, id: u64) -> Option<&mut HttpTx> {
        self.txs.get_mut(id)
    }

    /// Transactions kept, oldest first.
    pub fn txs_mut(&mut self) -> impl Iterator<Item = &mut HttpTx> {
        self.txs.list.iter_mut().map(|(t, _)| t)
    }

    /// Transactions kept, oldest first, and the connection's counters.
    pub fn txs_and_stats_mut(&mut self) -> (impl Iterator<Item = &mut HttpTx>, &mut HttpStats) {
        (self.txs.list.iter_mut().map(|(t, _)| t), &mut self.stats)
    }

    /// The connection's only live transaction, if it has exactly one:
    /// what Suricata's `detect.guess-applayer-tx` attaches to the alerts
    /// of rules without application-layer keywords.
    pub fn only_tx(&self) -> Option<&HttpTx> {
        match self.txs.list.len() {
            1 => self.txs.list.front().map(|(t, _)| t),
            _ => None,
        }
    }

    /// Transactions opened so far.
    pub fn tx_count(&self) -> u64 {
        self.txs.next_id
    }

    /// The engine is done with a transaction: frees it.
    pub fn remove_tx(&mut self, id: u64) {
        self.txs.remove(id);
    }

    pub fn stats(&self) -> &HttpStats {
        &self.stats
    }
}

/// Pending bytes of one direction: what the current state could not use
/// yet (a partial line, a header waiting for lookahead).
#[derive(Default)]
pub(crate) struct LineBuf {
    pending: Vec<u8>,
    /// The state needs a CR or LF before it can decide anything: new data
    /// without one is only appended (keeps long lines linear).
    wait_eol: bool,
}

/// What a direction state machine did with its input.
pub(crate) struct Ran {
    pub(crate) used: usize,
    pub(crate) wait_eol: bool,
}

impl LineBuf {
    /// Runs `run` over the pending bytes followed by `data`, keeping what it
    /// did not consume. While the state waits for a line end, data without
    /// one is only appended, up to `cap` bytes (then the state runs and
    /// applies its own limit).
    pub(crate) fn feed(&mut self, data: &[u8], cap: usize, run: impl FnOnce(&[u8]) -> Ran) {
        if self.wait_eol
            && !data.is_empty()
            && !self.pending.is_empty()
            && self.pending.len() + data.len() <= cap
            && memchr::memchr2(b'\r', b'\n', data).is_none()
        {
            self.pending.extend_from_slice(data);
            return;
        }
        let ran;
        if self.pending.is_empty() {
            ran = run(data);
            self.pending.extend_from_slice(data.get(ran.used..).unwrap_or(&[]));
        } else {
            let mut buf = std::mem::take(&mut self.pending);
            buf.extend_from_slice(data);
            ran = run(&buf);
            buf.drain(..ran.used.min(buf.len()));
            self.pending = buf;
        }
        self.wait_eol = ran.wait_eol && !self.pending.is_empty();
    }

    pub(crate) fn clear(&mut self) {
        self.pending.clear();
        self.wait_eol = false;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}
