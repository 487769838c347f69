//! Request direction: request line (libhtp's tolerant split, HTTP/0.9),
//! header section, body framing (Transfer-Encoding chunked, then
//! Content-Length, else none), request body decoding, CONNECT handling,
//! and recovery after gaps.

use super::body::{content_codecs, BodySink, FileFeed};
use super::events::{self, HttpAnomaly as A};
use super::headers::{first_value, joined_value, next_item, Item, Side};
use super::util::{
    chomp, chunk_data_is_junk, contains_nocase_nozero, is_chunk_ctl, is_space, parse_chunk_len, parse_content_length,
    trim, ChunkLen,
};
use super::{headers, multipart, uri, Ctx, Header, HttpEvent, LineBuf, Ran};

/// libhtp: whitespace after a protocol-less request line longer than this
/// means it is not HTTP/0.9 after all.
const HTTP09_MAX_JUNK: usize = 16;
/// Bookkeeping bytes charged per stored header against `max_header_bytes`.
pub(crate) const HEADER_OVERHEAD: usize = 64;

/// Longest line (or unparsed header) kept before giving up on it.
pub(crate) fn line_cap(max_header_bytes: usize) -> usize {
    max_header_bytes.max(256)
}

/// Methods libhtp knows (case-sensitive, like libhtp).
pub(crate) fn is_known_method(m: &[u8]) -> bool {
    const KNOWN: &[&[u8]] = &[
        b"GET",
        b"PUT",
        b"POST",
        b"DELETE",
        b"CONNECT",
        b"OPTIONS",
        b"TRACE",
        b"PATCH",
        b"PROPFIND",
        b"PROPPATCH",
        b"MKCOL",
        b"COPY",
        b"MOVE",
        b"LOCK",
        b"UNLOCK",
        b"VERSION-CONTROL",
        b"CHECKOUT",
        b"UNCHECKOUT",
        b"CHECKIN",
        b"UPDATE",
        b"LABEL",
        b"REPORT",
        b"MKWORKSPACE",
        b"MKACTIVITY",
        b"BASELINE-CONTROL",
        b"MERGE",
        b"INVALID",
        b"HEAD",
    ];
    KNOWN.contains(&m)
}

/// The parts of a request line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RequestLine<'a> {
    pub(crate) method: &'a [u8],
    pub(crate) uri: &'a [u8],
    pub(crate) protocol: &'a [u8],
}

fn rsplit_trim(s: &[u8], pred: impl Fn(u8) -> bool) -> (&[u8], &[u8]) {
    match s.iter().rposition(|&c| pred(c)) {
        Some(i) => (trim(s.get(..i).unwrap_or(&[])), trim(s.get(i + 1..).unwrap_or(&[]))),
        None => (trim(s), &[]),
    }
}

/// Splits a request line like libhtp with Suricata's settings: leading
/// whitespace skipped, method up to whitespace, and (spaces allowed in the
/// URI) the protocol after the last space; a URI holding other whitespace
/// and no space is split at the last whitespace instead.
pub(crate) fn parse_request_line(line: &[u8]) -> RequestLine<'_> {
    let s = line.get(line.iter().take_while(|&&c| is_space(c)).count()..).unwrap_or(&[]);
    let mlen = s.iter().position(|&c| is_space(c)).unwrap_or(s.len());
    let method = s.get(..mlen).unwrap_or(&[]);
    let after = s.get(mlen..).unwrap_or(&[]);
    let rest = trim(after);
    if rest.is_empty() {
        return RequestLine { method, uri: &[], protocol: &[] };
    }
    let (mut uri, mut protocol) = rsplit_trim(rest, |c| c == b' ');
    if uri.len() == rest.len() && uri.iter().any(|&c| is_space(c) && c != b' ') {
        (uri, protocol) = rsplit_trim(rest, is_space);
    }
    RequestLine { method, uri, protocol }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Waiting for a request line (empty lines are skipped).
    #[default]
    Line,
    /// A request line without protocol: HTTP/0.9 unless something follows.
    Proto09,
    /// Just after a complete request (id): a line that does not start with
    /// a method is more body of it (libhtp), anything else a new request.
    After(u64),
    Headers,
    Trailers,
    /// Header section over the limit: skip to its end.
    SkipHeaders {
        trailers: bool,
        blank: bool,
    },
    BodyLen(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    /// CONNECT sent: wait for the response before parsing further.
    ConnectWait,
    /// CONNECT accepted: HTTP follows, or a tunnel.
    ConnectProbe,
    /// Nothing more is parsed (after HTTP/0.9, in a tunnel, after errors).
    Ignore,
    /// After a gap: discard lines until one looks like a request.
    Resync,
}

enum Step {
    Go(usize),
    Wait,
    WaitEol,
}

#[derive(Default)]
struct Machine {
    state: State,
    cur: Option<u64>,
    sink: Option<BodySink>,
    headers_sent: bool,
    /// The next header item is the first of its section.
    first: bool,
    hdr_used: usize,
    limit_hit: bool,
    /// Rest of an over-long request line to skip.
    skip_line: bool,
    connect_id: Option<u64>,
    /// After an accepted CONNECT: Some(true) for a tunnel, Some(false) when
    /// HTTP goes on, None while undecided.
    connect_tunnel: Option<bool>,
    /// The response side changed our state: run again.
    resume: bool,
}

/// Request-direction parser.
#[derive(Default)]
pub(crate) struct ReqSide {
    buf: LineBuf,
    m: Machine,
}

impl ReqSide {
    pub(crate) fn parse(&mut self, ctx: &mut Ctx<'_>, data: &[u8]) {
        self.feed(ctx, data, false);
    }

    fn feed(&mut self, ctx: &mut Ctx<'_>, data: &[u8], closed: bool) {
        let ReqSide { buf, m } = self;
        let cap = line_cap(ctx.cfg.max_header_bytes);
        buf.feed(data, cap, |input| m.run(ctx, input, closed));
    }

    /// Runs pending data again after the response side unblocked us.
    pub(crate) fn resume(&mut self, ctx: &mut Ctx<'_>) {
        if std::mem::take(&mut self.m.resume) {
            self.feed(ctx, &[], false);
        }
    }

    pub(crate) fn close(&mut self, ctx: &mut Ctx<'_>) {
        self.feed(ctx, &[], true);
        // A request body the connection cut leaves its files truncated.
        let cut = self.m.in_body();
        self.m.complete(ctx, cut);
        self.buf.clear();
        self.m.state = State::Ignore;
    }

    pub(crate) fn gap(&mut self, ctx: &mut Ctx<'_>, len: u64) {
        let had_pending = !self.buf.is_empty();
        self.buf.clear();
        let m = &mut self.m;
        match m.state {
            State::BodyLen(n) | State::ChunkData(n) if len < n => {
                let framed = matches!(m.state, State::BodyLen(_));
                m.body_gap(ctx, len, framed);
                m.state = if framed { State::BodyLen(n - len) } else { State::ChunkData(n - len) };
            }
            State::BodyLen(n) if len == n => {
                m.body_gap(ctx, len, true);
                m.complete(ctx, false);
            }
            State::Ignore | State::ConnectWait | State::ConnectProbe => {}
            State::Line | State::After(_) if m.cur.is_none() && !had_pending => m.state = State::Resync,
            _ => {
                let cut = m.in_body();
                m.complete(ctx, cut);
                m.state = State::Resync;
            }
        }
    }

    /// The response started for `id` while we still wondered whether its
    /// request was HTTP/0.9: it was (the client sent nothing more).
    pub(crate) fn resolve_09(&mut self, ctx: &mut Ctx<'_>, id: u64) {
        if self.m.state == State::Proto09 && self.m.cur == Some(id) {
            self.m.finish_09(ctx);
        }
    }

    /// The response to a CONNECT: accepted or not.
    pub(crate) fn connect_reply(&mut self, id: u64, accepted: bool) {
        if self.m.state == State::ConnectWait && self.m.connect_id == Some(id) {
            self.m.state = if accepted { State::ConnectProbe } else { State::Line };
            self.m.connect_id = None;
            self.m.connect_tunnel = if accepted { None } else { Some(false) };
            self.m.resume = true;
        }
    }

    /// What the request side found after an accepted CONNECT.
    pub(crate) fn connect_outcome(&self) -> Option<bool> {
        self.m.connect_tunnel
    }

    /// The connection switched protocols: stop parsing requests.
    pub(crate) fn tunnel(&mut self, ctx: &mut Ctx<'_>) {
        if self.m.state != State::Ignore {
            let cut = self.m.in_body();
            self.m.complete(ctx, cut);
            self.m.state = State::Ignore;
            self.buf.clear();
        }
    }
}

impl Machine {
    /// In the middle of a body (ending now cuts it short).
    fn in_body(&self) -> bool {
        matches!(self.state, State::BodyLen(_) | State::ChunkSize | State::ChunkData(_) | State::ChunkEnd)
    }

    fn run(&mut self, ctx: &mut Ctx<'_>, input: &[u8], closed: bool) -> Ran {
        let mut pos = 0;
        loop {
            let rest = input.get(pos..).unwrap_or(&[]);
            let before = self.state;
            match self.step(ctx, rest, closed) {
                Step::Go(n) => {
                    pos += n;
                    if n == 0 && self.state == before {
                        return Ran { used: pos, wait_eol: false };
                    }
                }
                Step::Wait => return Ran { used: pos, wait_eol: false },
                Step::WaitEol => return Ran { used: pos, wait_eol: true },
            }
        }
    }

    fn step(&mut self, ctx: &mut Ctx<'_>, rest: &[u8], closed: bool) -> Step {
        let cap = line_cap(ctx.cfg.max_header_bytes);
        if self.skip_line {
            return match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    self.skip_line = false;
                    Step::Go(i + 1)
                }
                None if closed => {
                    self.skip_line = false;
                    Step::Go(rest.len())
                }
                None => Step::Go(rest.len()),
            };
        }
        match self.state {
            State::Line => self.line(ctx, rest, closed, cap),
            State::After(prev) => self.after(ctx, prev, rest, closed, cap),
            State::Proto09 => {
                let n = rest.iter().take(HTTP09_MAX_JUNK + 1).take_while(|&&c| is_space(c)).count();
                if n < rest.len() || n > HTTP09_MAX_JUNK {
                    // Something follows the line: headers after all.
                    ctx.warn(A::RequestLineMissingProtocol, 0);
                    self.state = State::Headers;
                } else if closed {
                    self.finish_09(ctx);
                } else {
                    return Step::Wait;
                }
                Step::Go(0)
            }
            State::Headers | State::Trailers => self.headers(ctx, rest, closed, cap),
            State::SkipHeaders { trailers, mut blank } => {
                for (i, &c) in rest.iter().enumerate() {
                    match c {
                        b'\n' if blank => {
                            self.section_done(ctx, trailers);
                            return Step::Go(i + 1);
                        }
                        b'\n' => blank = true,
                        b'\r' => {}
                        _ => blank = false,
                    }
                }
                self.state = State::SkipHeaders { trailers, blank };
                if closed {
                    self.section_done(ctx, trailers);
                }
                Step::Go(rest.len())
            }
            State::BodyLen(n) | State::ChunkData(n) => {
                if rest.is_empty() {
                    return Step::Wait;
                }
                let k = usize::try_from(n).unwrap_or(usize::MAX).min(rest.len());
                self.push_body(ctx, rest.get(..k).unwrap_or(&[]));
                let left = n - k as u64;
                self.state = match (self.state, left) {
                    (State::BodyLen(_), 0) => {
                        self.finish_request(ctx);
                        self.state
                    }
                    (State::BodyLen(_), _) => State::BodyLen(left),
                    (_, 0) => State::ChunkEnd,
                    _ => State::ChunkData(left),
                };
                Step::Go(k)
            }
            State::ChunkSize => self.chunk_size(ctx, rest, closed, cap),
            State::ChunkEnd => match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    self.state = State::ChunkSize;
                    Step::Go(i + 1)
                }
                None => Step::Go(rest.len()),
            },
            State::ConnectWait => {
                if rest.len() > cap {
                    // Too much data without an answer: assume a tunnel.
                    ctx.stats.tunnels += 1;
                    self.state = State::Ignore;
                    return Step::Go(0);
                }
                Step::Wait
            }
            State::ConnectProbe => {
                let end = rest.iter().position(|&c| c == b'\n' || c == 0);
                if end.is_none() && !closed && rest.len() <= cap {
                    return Step::Wait;
                }
                let line = rest.get(..end.map_or(rest.len(), |e| e + 1)).unwrap_or(&[]);
                let s = line.get(line.iter().take_while(|&&c| is_space(c)).count()..).unwrap_or(&[]);
                let method = s.get(..s.iter().position(|&c| is_space(c)).unwrap_or(s.len())).unwrap_or(&[]);
                let http = is_known_method(method);
                self.connect_tunnel = Some(!http);
                if http {
                    self.state = State::Line;
                } else {
                    ctx.stats.tunnels += 1;
                    self.state = State::Ignore;
                }
                Step::Go(0)
            }
            State::Ignore => Step::Go(rest.len()),
            State::Resync => {
                let Some(i) = memchr::memchr(b'\n', rest) else {
                    if closed || rest.len() > cap {
                        ctx.stats.resync_bytes += rest.len() as u64;
                        return Step::Go(rest.len());
                    }
                    return Step::WaitEol;
                };
                let line = rest.get(..=i).unwrap_or(&[]);
                let req = parse_request_line(chomp(line));
                if is_known_method(req.method) && !req.uri.is_empty() {
                    self.state = State::Line;
                    return Step::Go(0);
                }
                ctx.stats.resync_bytes += line.len() as u64;
                Step::Go(i + 1)
            }
        }
    }

    fn line(&mut self, ctx: &mut Ctx<'_>, rest: &[u8], closed: bool, cap: usize) -> Step {
        if rest.is_empty() {
            return Step::Wait;
        }
        let end = match memchr::memchr(b'\n', rest) {
            Some(i) => i + 1,
            None if closed => rest.len(),
            None if rest.len() > cap => {
                // Over-long request line: keep its start, skip the rest.
                ctx.stats.header_limit_hits += 1;
                self.skip_line = true;
                cap
            }
            None => return Step::WaitEol,
        };
        let line = rest.get(..end).unwrap_or(&[]);
        if headers::is_empty_line(line) {
            return Step::Go(end);
        }
        self.start_request(ctx, chomp(line));
        Step::Go(end)
    }

    fn start_request(&mut self, ctx: &mut Ctx<'_>, line: &[u8]) {
        let id = ctx.txs.create(ctx.cfg, ctx.stats);
        ctx.stats.requests += 1;
        self.cur = Some(id);
        self.sink = None;
        self.headers_sent = false;
        self.first = true;
        self.hdr_used = 0;
        self.limit_hit = false;
        let req = parse_request_line(line);
        let parts = events::LineParts {
            method: req.method,
            uri: req.uri,
            protocol: req.protocol,
            known_method: is_known_method(req.method),
        };
        events::request_line_warnings(ctx, line, &parts);
        let connect = req.method == b"CONNECT";
        if let Some(tx) = ctx.txs.get_mut(id) {
            let r = &mut tx.request;
            r.line = line.to_vec();
            r.method = req.method.to_vec();
            r.uri_raw = req.uri.to_vec();
            r.protocol = req.protocol.to_vec();
            // CONNECT carries an authority, not a path.
            if !connect {
                uri::normalize(req.uri, &mut r.uri_normalized);
            }
        }
        if let Some(meta) = ctx.txs.meta_mut(id) {
            meta.head = req.method == b"HEAD";
            meta.connect = connect;
        }
        self.state = if req.protocol.is_empty() { State::Proto09 } else { State::Headers };
    }

    fn finish_09(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(id) = self.cur {
            if let Some(meta) = ctx.txs.meta_mut(id) {
                meta.http09 = true;
            }
            ctx.stats.http09_requests += 1;
        }
        self.complete(ctx, false);
        // libhtp ignores whatever follows an HTTP/0.9 request.
        self.state = State::Ignore;
    }

    fn headers(&mut self, ctx: &mut Ctx<'_>, rest: &[u8], closed: bool, cap: usize) -> Step {
        let trailers = self.state == State::Trailers;
        match next_item(Side::Request, rest, self.first, closed) {
            Item::Header { name, value, end, flags } => {
                let raw = rest.get(..end).unwrap_or(&[]);
                let name = trim(rest.get(name.0..name.1).unwrap_or(&[]));
                if let Some(id) = self.cur {
                    events::header_warnings(ctx, id, 0, flags, name, &value);
                }
                self.store_header(ctx, raw, name, value);
                self.first = false;
                Step::Go(end)
            }
            Item::End { end } => {
                self.store_raw(ctx, rest.get(..end).unwrap_or(&[]));
                self.section_done(ctx, trailers);
                Step::Go(end)
            }
            Item::NeedMore if rest.len() > cap => {
                self.count_limit(ctx);
                self.state = State::SkipHeaders { trailers, blank: false };
                Step::Go(0)
            }
            Item::NeedMore if memchr::memchr2(b'\r', b'\n', rest).is_none() => Step::WaitEol,
            Item::NeedMore => Step::Wait,
        }
    }

    fn count_limit(&mut self, ctx: &mut Ctx<'_>) {
        if !self.limit_hit {
            self.limit_hit = true;
            ctx.stats.header_limit_hits += 1;
        }
    }

    fn store_header(&mut self, ctx: &mut Ctx<'_>, raw: &[u8], name: &[u8], value: Vec<u8>) {
        let cost = raw.len() + HEADER_OVERHEAD;
        if self.limit_hit || self.hdr_used + cost > ctx.cfg.max_header_bytes {
            self.count_limit(ctx);
            return;
        }
        self.hdr_used += cost;
        if let Some(tx) = self.cur.and_then(|id| ctx.txs.get_mut(id)) {
            tx.request.headers.push(Header { name: name.to_vec(), value });
            tx.request.headers_raw.extend_from_slice(raw);
        }
    }

    fn store_raw(&mut self, ctx: &mut Ctx<'_>, raw: &[u8]) {
        if self.limit_hit {
            return;
        }
        if let Some(tx) = self.cur.and_then(|id| ctx.txs.get_mut(id)) {
            tx.request.headers_raw.extend_from_slice(raw);
        }
    }

    fn section_done(&mut self, ctx: &mut Ctx<'_>, trailers: bool) {
        if trailers {
            self.finish_request(ctx);
        } else {
            self.headers_done(ctx);
        }
    }

    /// Headers complete: decide how the body is framed and coded.
    fn headers_done(&mut self, ctx: &mut Ctx<'_>) {
        let Some(id) = self.cur else {
            self.state = State::Line;
            return;
        };
        self.headers_sent = true;
        if let Some(tx) = ctx.txs.get_mut(id) {
            tx.request_headers_done = true;
        }
        ctx.events.push(HttpEvent::RequestHeaders(id));
        if ctx.txs.meta(id).connect {
            // No body; wait for the response before reading further.
            self.complete(ctx, false);
            self.state = State::ConnectWait;
            self.connect_id = Some(id);
            return;
        }
        let flags = events::request_flags(ctx, id);
        if let Some(m) = ctx.txs.meta_mut(id) {
            m.req_flags = flags;
        }
        let empty: &[Header] = &[];
        let hdrs = ctx.txs.get(id).map_or(empty, |t| t.request.headers.as_slice());
        let te = joined_value(hdrs, b"transfer-encoding");
        let cl = first_value(hdrs, b"content-length");
        let ce = joined_value(hdrs, b"content-encoding").unwrap_or_default();
        let next = if let Some(te) = te {
            if contains_nocase_nozero(&te, b"chunked") {
                Some(State::ChunkSize)
            } else {
                // libhtp gives up on such a request; no body here.
                ctx.stats.malformed += 1;
                None
            }
        } else if let Some(cl) = cl {
            match parse_content_length(cl) {
                Some(0) => None,
                Some(n) => Some(State::BodyLen(n)),
                None => {
                    ctx.stats.malformed += 1;
                    None
                }
            }
        } else {
            None
        };
        match next {
            None => self.finish_request(ctx),
            Some(state) => {
                let codecs = content_codecs(&ce, ctx.cfg.decompress_layer_limit);
                let feed = request_feed(ctx, id);
                self.sink = Some(BodySink::new(&codecs, ctx.cfg.request_body_limit, ctx.cfg.decompressed_limit, feed));
                self.state = state;
            }
        }
    }

    fn chunk_size(&mut self, ctx: &mut Ctx<'_>, rest: &[u8], closed: bool, cap: usize) -> Step {
        let end = match memchr::memchr(b'\n', rest) {
            Some(i) => i + 1,
            None if chunk_data_is_junk(rest) || rest.len() > cap => 0,
            None if closed => rest.len(),
            None => return Step::WaitEol,
        };
        let line = rest.get(..end).unwrap_or(&[]);
        if end > 0 && line.iter().all(|&c| is_chunk_ctl(c)) {
            return Step::Go(end);
        }
        let len = if end == 0 { ChunkLen::Invalid } else { parse_chunk_len(line) };
        if matches!(len, ChunkLen::Size(_)) && events::chunk_extension(line) {
            ctx.warn(A::RequestChunkExtension, 0);
        }
        match len {
            ChunkLen::Size(0) => {
                self.state = State::Trailers;
                self.first = true;
                Step::Go(end)
            }
            ChunkLen::Size(n) => {
                self.state = State::ChunkData(n);
                Step::Go(end)
            }
            ChunkLen::Skip => Step::Go(end),
            ChunkLen::Invalid => {
                // libhtp stops parsing the request stream here.
                ctx.warn(A::InvalidRequestChunkLen, 0);
                ctx.stats.malformed += 1;
                self.complete(ctx, true);
                self.state = State::Ignore;
                Step::Go(0)
            }
        }
    }

    fn push_body(&mut self, ctx: &mut Ctx<'_>, data: &[u8]) {
        let cfg = ctx.cfg;
        if let (Some(id), Some(sink)) = (self.cur, self.sink.as_mut()) {
            if let Some(tx) = ctx.txs.get_mut(id) {
                sink.push(data, tx.request.target(), &cfg.file_env(), ctx.stats);
            }
        }
    }

    fn body_gap(&mut self, ctx: &mut Ctx<'_>, len: u64, framed: bool) {
        let cfg = ctx.cfg;
        if let (Some(id), Some(sink)) = (self.cur, self.sink.as_mut()) {
            if let Some(tx) = ctx.txs.get_mut(id) {
                sink.gap(len, framed, tx.request.target(), &cfg.file_env(), ctx.stats);
                tx.request.body_truncated = true;
            }
        }
    }

    /// A request ended normally: what follows is checked for more body.
    fn finish_request(&mut self, ctx: &mut Ctx<'_>) {
        let id = self.cur;
        self.complete(ctx, false);
        if let Some(id) = id {
            self.state = State::After(id);
        }
    }

    /// After a complete request: a line whose first word is not a known
    /// method is body of that request (libhtp warns
    /// `REQUEST_BODY_UNEXPECTED`); blank lines are skipped; anything else
    /// starts the next request.
    fn after(&mut self, ctx: &mut Ctx<'_>, prev: u64, rest: &[u8], closed: bool, cap: usize) -> Step {
        let end = match memchr::memchr(b'\n', rest) {
            Some(i) => i + 1,
            None if closed || rest.len() > cap => rest.len(),
            None if rest.is_empty() => return Step::Wait,
            None => return Step::WaitEol,
        };
        let line = rest.get(..end).unwrap_or(&[]);
        let s = line.get(line.iter().take_while(|&&c| is_space(c)).count()..).unwrap_or(&[]);
        let method = s.get(..s.iter().position(|&c| is_space(c)).unwrap_or(s.len())).unwrap_or(&[]);
        if method.is_empty() {
            return Step::Go(end);
        }
        if is_known_method(method) {
            self.state = State::Line;
            return Step::Go(0);
        }
        ctx.warn(A::RequestBodyUnexpected, 0);
        if let Some(tx) = ctx.txs.get_mut(prev) {
            let r = &mut tx.request;
            BodySink::push_raw(line, &mut r.body, ctx.cfg.request_body_limit, &mut r.body_truncated, ctx.stats);
        }
        Step::Go(end)
    }

    /// Ends the current request (normally, or cut short by close or gap:
    /// `cut` truncates its files).
    fn complete(&mut self, ctx: &mut Ctx<'_>, cut: bool) {
        self.state = State::Line;
        let Some(id) = self.cur.take() else { return };
        // Suricata's events from the transaction's flags, on the transaction.
        let f = ctx.txs.meta(id).req_flags;
        for (bit, a) in events::REQUEST_FLAG_EVENTS {
            if f & bit != 0 {
                ctx.log.raise_on(ctx.txs, id, a, 0, ctx.stats);
            }
        }
        let cfg = ctx.cfg;
        if let (Some(mut sink), Some(tx)) = (self.sink.take(), ctx.txs.get_mut(id)) {
            sink.finish(cut, tx.request.target(), &cfg.file_env(), ctx.stats);
        }
        if !std::mem::replace(&mut self.headers_sent, true) {
            ctx.events.push(HttpEvent::RequestHeaders(id));
        }
        if let Some(tx) = ctx.txs.get_mut(id) {
            tx.request_headers_done = true;
            tx.request_complete = true;
        }
        ctx.events.push(HttpEvent::RequestComplete(id));
    }
}

/// The files a request body carries, as Suricata sees them: a POST's
/// multipart/form-data parts that name a file, or the whole body of any
/// other POST and of a PUT (named by the URI path).
fn request_feed(ctx: &Ctx<'_>, id: u64) -> FileFeed {
    let Some(tx) = ctx.txs.get(id).filter(|_| ctx.cfg.tracking.enabled) else { return FileFeed::None };
    let r = &tx.request;
    match r.method.as_slice() {
        b"POST" => {
            if let Some(b) = tx.request_header(b"content-type").and_then(multipart::form_data_boundary) {
                return FileFeed::Multipart(Box::new(multipart::Multipart::new(b)));
            }
        }
        b"PUT" => {}
        _ => return FileFeed::None,
    }
    let mut name = Vec::new();
    if uri::normalized_path(&r.uri_raw, &mut name) {
        FileFeed::Whole { name, opened: false }
    } else {
        FileFeed::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rl(line: &str) -> (String, String, String) {
        let r = parse_request_line(line.as_bytes());
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (s(r.method), s(r.uri), s(r.protocol))
    }

    #[test]
    fn request_lines() {
        let t = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(rl("GET /a HTTP/1.1"), t("GET", "/a", "HTTP/1.1"));
        assert_eq!(rl("  GET  \t /a   HTTP/1.0  "), t("GET", "/a", "HTTP/1.0"));
        assert_eq!(rl("GET /a b HTTP/1.1"), t("GET", "/a b", "HTTP/1.1"));
        assert_eq!(rl("GET /a"), t("GET", "/a", ""));
        assert_eq!(rl("GET"), t("GET", "", ""));
        assert_eq!(rl("GET\t/a\tHTTP/1.1"), t("GET", "/a", "HTTP/1.1"));
        assert_eq!(rl("GET /a\tHTTP/1.1"), t("GET", "/a", "HTTP/1.1"));
        assert_eq!(rl(""), t("", "", ""));
    }

    #[test]
    fn methods() {
        assert!(is_known_method(b"GET"));
        assert!(is_known_method(b"VERSION-CONTROL"));
        assert!(!is_known_method(b"get"));
        assert!(!is_known_method(b"FOO"));
    }
}
