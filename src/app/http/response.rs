//! Response direction: pairing with requests, status line (or libhtp's
//! "this does not look like HTTP, it is body" rule), header section, body
//! framing (no body for HEAD and bodiless statuses, chunked with fallback
//! to read-until-close on a bad chunk size, Content-Length, else until
//! close), interim 1xx responses, CONNECT and protocol switches, data after
//! a complete response, and recovery after gaps.

use super::body::{content_codecs, BodySink, FileFeed};
use super::events::{self, HttpAnomaly as A};
use super::headers::{self, first_value, joined_value, next_item, Item, Side};
use super::request::{line_cap, ReqSide, HEADER_OVERHEAD};
use super::util::{
    chomp, chunk_data_is_junk, contains_nocase_nozero, is_chunk_ctl, is_space, parse_chunk_len, parse_content_length,
    trim, ChunkLen,
};
use super::{uri, Ctx, Header, HttpEvent, LineBuf, Ran, Response};
use crate::app::files::content_disposition_filename;

/// The parts of a status line.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct StatusLine<'a> {
    pub(crate) protocol: &'a [u8],
    pub(crate) code: &'a [u8],
    pub(crate) msg: &'a [u8],
}

fn split_at_first(s: &[u8], pred: impl Fn(u8) -> bool) -> (&[u8], &[u8]) {
    let n = s.iter().position(|&c| pred(c)).unwrap_or(s.len());
    (s.get(..n).unwrap_or(&[]), s.get(n..).unwrap_or(&[]))
}

/// Splits a status line like libhtp: leading whitespace and NULs, protocol,
/// whitespace, code, whitespace, message (absent parts stay empty).
pub(crate) fn parse_status_line(line: &[u8]) -> StatusLine<'_> {
    let (_, s) = split_at_first(line, |c| !(is_space(c) || c == 0));
    let (protocol, s) = split_at_first(s, is_space);
    let (ws1, s) = split_at_first(s, |c| !is_space(c));
    let (code, s) = split_at_first(s, is_space);
    if ws1.is_empty() || code.is_empty() {
        return StatusLine { protocol, ..StatusLine::default() };
    }
    let (ws2, msg) = split_at_first(s, |c| !c.is_ascii_whitespace());
    if ws2.is_empty() {
        return StatusLine { protocol, code, msg: &[] };
    }
    StatusLine { protocol, code, msg: chomp(msg) }
}

/// The status number, when the code is exactly digits in 100..=999 (SP/HT
/// around it allowed).
pub(crate) fn status_number(code: &[u8]) -> Option<u16> {
    let code = code.strip_prefix(b" ").unwrap_or(code);
    let t: &[u8] = {
        let mut c = code;
        while let [b' ' | b'\t', r @ ..] = c {
            c = r;
        }
        while let [r @ .., b' ' | b'\t'] = c {
            c = r;
        }
        c
    };
    if t.is_empty() || !t.iter().all(u8::is_ascii_digit) || t.len() > 5 {
        return None;
    }
    let n = t.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    u16::try_from(n).ok().filter(|n| (100..=999).contains(n))
}

/// Browsers' test for a status line: optional whitespace or NULs, then
/// "http" in any case. Anything else is taken as body (libhtp).
pub(crate) fn looks_like_http(line: &[u8]) -> bool {
    let (_, s) = split_at_first(line, |c| !(is_space(c) || c == 0));
    s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"http"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a status line; `as_body` once lines were taken as body.
    Line {
        as_body: bool,
    },
    Headers,
    Trailers,
    SkipHeaders {
        trailers: bool,
        blank: bool,
    },
    BodyLen(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    UntilClose,
    /// After a complete response: HTTP starts the next one, anything else
    /// is more body of this one (libhtp).
    After(u64),
    /// A CONNECT was accepted: tunnel or HTTP, as the request side finds.
    /// In a line of such data (reported at its end).
    AfterJunk(u64),
    ConnectPending,
    Tunnel,
    /// After a gap: discard lines until a status line.
    Resync,
}

impl Default for State {
    fn default() -> Self {
        State::Line { as_body: false }
    }
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
    /// Responses pair with the oldest transaction from this id on.
    next: u64,
    sink: Option<BodySink>,
    headers_sent: bool,
    first: bool,
    hdr_used: usize,
    limit_hit: bool,
    skip_line: bool,
}

/// Response-direction parser.
#[derive(Default)]
pub(crate) struct RespSide {
    buf: LineBuf,
    m: Machine,
}

impl RespSide {
    pub(crate) fn parse(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide, data: &[u8]) {
        self.feed(ctx, req, data, false);
    }

    fn feed(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide, data: &[u8], closed: bool) {
        let RespSide { buf, m } = self;
        let cap = line_cap(ctx.cfg.max_header_bytes);
        buf.feed(data, cap, |input| m.run(ctx, req, input, closed));
    }

    pub(crate) fn close(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide) {
        // libhtp completes a response whose Content-Length or chunk was not
        // all there when the connection closes, but not one waiting for a
        // chunk size line: that one's file is truncated (and the partial
        // line is not part of the body).
        if self.m.awaits_chunk_line() {
            self.m.complete(ctx, true);
        } else {
            self.feed(ctx, req, &[], true);
            self.m.complete(ctx, false);
        }
        self.buf.clear();
        self.m.state = State::Tunnel;
    }

    pub(crate) fn gap(&mut self, ctx: &mut Ctx<'_>, len: u64) {
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
            State::UntilClose => m.body_gap(ctx, len, false),
            State::Tunnel | State::ConnectPending => {}
            _ => {
                let cut = m.in_chunked_body();
                m.complete(ctx, cut);
                m.state = State::Resync;
            }
        }
    }
}

impl Machine {
    fn in_chunked_body(&self) -> bool {
        matches!(self.state, State::ChunkSize | State::ChunkData(_) | State::ChunkEnd)
    }

    /// Waiting for a chunk size line (libhtp finishes trailers at close,
    /// and a chunk cut in its data, but not a missing size line).
    fn awaits_chunk_line(&self) -> bool {
        self.cur.is_some() && matches!(self.state, State::ChunkSize | State::ChunkEnd)
    }

    /// Counts body bytes as sent (`http.length`).
    fn wire(&self, ctx: &mut Ctx<'_>, n: usize) {
        if let Some(tx) = self.cur.and_then(|id| ctx.txs.get_mut(id)) {
            tx.response.body_wire_len += n as u64;
        }
    }

    fn run(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide, input: &[u8], closed: bool) -> Ran {
        let mut pos = 0;
        loop {
            let rest = input.get(pos..).unwrap_or(&[]);
            let before = self.state;
            match self.step(ctx, req, rest, closed) {
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

    fn step(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide, rest: &[u8], closed: bool) -> Step {
        let cap = line_cap(ctx.cfg.max_header_bytes);
        if self.skip_line {
            // Rest of an over-long status line.
            return match memchr::memchr2(b'\r', b'\n', rest) {
                Some(i) => {
                    self.skip_line = false;
                    Step::Go(i + 1)
                }
                None => {
                    self.skip_line = !closed;
                    Step::Go(rest.len())
                }
            };
        }
        match self.state {
            State::Line { .. } => self.line(ctx, req, rest, closed, cap),
            State::Headers | State::Trailers => self.headers(ctx, req, rest, closed, cap),
            State::SkipHeaders { trailers, mut blank } => {
                for (i, &c) in rest.iter().enumerate() {
                    match c {
                        b'\n' if blank => {
                            self.section_done(ctx, req, trailers);
                            return Step::Go(i + 1);
                        }
                        b'\n' => blank = true,
                        b'\r' => {}
                        _ => blank = false,
                    }
                }
                self.state = State::SkipHeaders { trailers, blank };
                if closed {
                    self.section_done(ctx, req, trailers);
                }
                Step::Go(rest.len())
            }
            State::BodyLen(n) | State::ChunkData(n) => {
                if rest.is_empty() {
                    return Step::Wait;
                }
                let k = usize::try_from(n).unwrap_or(usize::MAX).min(rest.len());
                self.wire(ctx, k);
                self.push_body(ctx, rest.get(..k).unwrap_or(&[]));
                let left = n - k as u64;
                self.state = match (self.state, left) {
                    (State::BodyLen(_), 0) => {
                        self.complete(ctx, false);
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
                    self.wire(ctx, i + 1);
                    self.state = State::ChunkSize;
                    Step::Go(i + 1)
                }
                None => {
                    self.wire(ctx, rest.len());
                    Step::Go(rest.len())
                }
            },
            State::UntilClose => {
                self.wire(ctx, rest.len());
                self.push_body(ctx, rest);
                Step::Go(rest.len())
            }
            State::After(prev) => self.after(ctx, prev, rest, closed, cap),
            State::AfterJunk(prev) => {
                let end = memchr::memchr(b'\n', rest).map(|i| i + 1);
                let take = end.unwrap_or(rest.len());
                if let Some(tx) = ctx.txs.get_mut(prev) {
                    let r = &mut tx.response;
                    let data = rest.get(..take).unwrap_or(&[]);
                    r.body_wire_len += data.len() as u64;
                    BodySink::push_raw(
                        data,
                        &mut r.body,
                        ctx.cfg.response_body_limit,
                        &mut r.body_truncated,
                        ctx.stats,
                    );
                    if end.is_some() || closed {
                        ctx.events.push(HttpEvent::ResponseComplete(prev));
                    }
                }
                if end.is_some() || closed {
                    ctx.warn(A::ResponseBodyUnexpected, 1);
                }
                if end.is_some() {
                    self.state = State::After(prev);
                }
                Step::Go(take)
            }
            State::ConnectPending => match req.connect_outcome() {
                Some(true) => {
                    self.state = State::Tunnel;
                    Step::Go(0)
                }
                Some(false) => {
                    self.state = State::Line { as_body: false };
                    Step::Go(0)
                }
                None if rest.len() > cap => {
                    self.state = State::Tunnel;
                    Step::Go(0)
                }
                None => Step::Wait,
            },
            State::Tunnel => Step::Go(rest.len()),
            State::Resync => {
                let Some(i) = memchr::memchr(b'\n', rest) else {
                    if closed || rest.len() > cap {
                        ctx.stats.resync_bytes += rest.len() as u64;
                        return Step::Go(rest.len());
                    }
                    return Step::WaitEol;
                };
                let line = rest.get(..=i).unwrap_or(&[]);
                let (_, s) = split_at_first(line, |c| !(is_space(c) || c == 0));
                if s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case(b"http/")) {
                    self.state = State::Line { as_body: false };
                    return Step::Go(0);
                }
                ctx.stats.resync_bytes += line.len() as u64;
                Step::Go(i + 1)
            }
        }
    }

    /// Starts the response of the oldest transaction still waiting for one,
    /// or of a new transaction when there is none.
    fn begin(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide) -> u64 {
        if let Some(id) = self.cur {
            return id;
        }
        let id = match ctx.txs.first_from(self.next) {
            Some(id) => {
                req.resolve_09(ctx, id);
                id
            }
            None => {
                let id = ctx.txs.create(ctx.cfg, ctx.stats);
                ctx.stats.responses_without_request += 1;
                ctx.warn(A::UnableToMatchResponseToRequest, 1);
                if let Some(tx) = ctx.txs.get_mut(id) {
                    tx.request_complete = true;
                    // What libhtp calls a request it did not see (the
                    // URI Suricata logs, and names the file after).
                    tx.request.uri_raw = NO_REQUEST_URI.to_vec();
                    tx.request.uri_normalized = NO_REQUEST_URI.to_vec();
                }
                id
            }
        };
        ctx.stats.responses += 1;
        self.next = id + 1;
        self.cur = Some(id);
        self.sink = None;
        self.headers_sent = false;
        self.first = true;
        self.hdr_used = 0;
        self.limit_hit = false;
        id
    }

    fn line(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide, rest: &[u8], closed: bool, cap: usize) -> Step {
        if rest.is_empty() {
            return Step::Wait;
        }
        if self.cur.is_none() {
            if let Some(id) = ctx.txs.first_from(self.next) {
                req.resolve_09(ctx, id);
                if ctx.txs.meta(id).http09 {
                    // No status line or headers after an HTTP/0.9 request.
                    let id = self.begin(ctx, req);
                    self.send_headers(ctx);
                    let feed = response_feed(ctx, id);
                    self.sink = Some(BodySink::identity(ctx.cfg.response_body_limit, feed));
                    self.state = State::UntilClose;
                    return Step::Go(0);
                }
            }
        }
        // Line ends: LF, CRLF, or a CR alone.
        let end = match memchr::memchr2(b'\r', b'\n', rest) {
            Some(i) if rest.get(i) == Some(&b'\n') => i + 1,
            Some(i) => match rest.get(i + 1) {
                Some(b'\n') => i + 2,
                Some(_) => i + 1,
                None if closed => i + 1,
                None => return Step::Wait,
            },
            None if closed => rest.len(),
            None if rest.len() > cap => {
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
        if !looks_like_http(line) {
            let next = rest.get(end..).unwrap_or(&[]);
            if next.len() < 2 && !closed {
                return Step::Wait;
            }
            // libhtp skips junk right before a status line, and short junk.
            if next.len() > 1 && (next.first() == Some(&b'H') || chomp(line).len() <= 2) {
                ctx.stats.malformed += 1;
                return Step::Go(end);
            }
            // Not HTTP: browsers show it, so it is body (libhtp).
            let id = self.begin(ctx, req);
            self.send_headers(ctx);
            if self.sink.is_none() {
                let feed = response_feed(ctx, id);
                self.sink = Some(BodySink::identity(ctx.cfg.response_body_limit, feed));
            }
            self.wire(ctx, line.len());
            self.push_body(ctx, line);
            self.state = State::Line { as_body: true };
            return Step::Go(end);
        }
        let id = self.begin(ctx, req);
        let line = chomp(line);
        let st = parse_status_line(line);
        events::status_line_warnings(ctx, st.protocol, status_number(st.code).is_some());
        if let Some(tx) = ctx.txs.get_mut(id) {
            let r = &mut tx.response;
            r.line = line.to_vec();
            r.protocol = st.protocol.to_vec();
            r.status_code = st.code.to_vec();
            r.status_msg = st.msg.to_vec();
        }
        self.first = true;
        self.state = State::Headers;
        Step::Go(end)
    }

    fn send_headers(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(id) = self.cur {
            if !std::mem::replace(&mut self.headers_sent, true) {
                ctx.events.push(HttpEvent::ResponseHeaders(id));
            }
            if let Some(tx) = ctx.txs.get_mut(id) {
                tx.response_headers_done = true;
            }
        }
    }

    fn headers(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide, rest: &[u8], closed: bool, cap: usize) -> Step {
        let trailers = self.state == State::Trailers;
        if trailers && self.first && rest.starts_with(b"\r\n") {
            // The usual end of a chunked body: complete now rather than
            // wait for lookahead that only the next response would bring.
            self.store_raw(ctx, b"\r\n");
            self.section_done(ctx, req, true);
            return Step::Go(2);
        }
        match next_item(Side::Response, rest, self.first, closed) {
            Item::Header { name, value, end, flags } => {
                let raw = rest.get(..end).unwrap_or(&[]);
                let name = trim(rest.get(name.0..name.1).unwrap_or(&[]));
                if let Some(id) = self.cur {
                    events::header_warnings(ctx, id, 1, flags, name, &value);
                }
                self.store_header(ctx, raw, name, value);
                self.first = false;
                Step::Go(end)
            }
            Item::End { end } => {
                self.store_raw(ctx, rest.get(..end).unwrap_or(&[]));
                self.section_done(ctx, req, trailers);
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
            tx.response.headers.push(Header { name: name.to_vec(), value });
            tx.response.headers_raw.extend_from_slice(raw);
        }
    }

    fn store_raw(&mut self, ctx: &mut Ctx<'_>, raw: &[u8]) {
        if !self.limit_hit {
            if let Some(tx) = self.cur.and_then(|id| ctx.txs.get_mut(id)) {
                tx.response.headers_raw.extend_from_slice(raw);
            }
        }
    }

    fn section_done(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide, trailers: bool) {
        if trailers {
            self.complete(ctx, false);
        } else {
            self.headers_done(ctx, req);
        }
    }

    /// Headers complete: interim response, tunnel, or how the body is framed.
    fn headers_done(&mut self, ctx: &mut Ctx<'_>, req: &mut ReqSide) {
        let Some(id) = self.cur else {
            self.state = State::default();
            return;
        };
        let meta = ctx.txs.meta(id);
        let empty: &[Header] = &[];
        let (status, hdrs) = ctx
            .txs
            .get(id)
            .map_or((None, empty), |t| (status_number(&t.response.status_code), t.response.headers.as_slice()));
        let te = joined_value(hdrs, b"transfer-encoding");
        let cl = first_value(hdrs, b"content-length").map(parse_content_length);
        let ce = joined_value(hdrs, b"content-encoding").unwrap_or_default();
        let cl_len = cl.flatten();
        let no_framing = te.is_none() && cl.is_none();
        let status = status.unwrap_or(0);
        events::body_warnings(ctx, id, status, meta.head, te.as_deref(), cl.is_some());

        // Interim 1xx (not 101): skipped, the real response follows.
        if (100..200).contains(&status) && status != 101 && te.is_none() && cl_len.unwrap_or(0) == 0 {
            if let Some(tx) = ctx.txs.get_mut(id) {
                tx.response = Response::default();
            }
            ctx.stats.interim_responses += 1;
            self.first = true;
            self.hdr_used = 0;
            self.limit_hit = false;
            self.state = State::Line { as_body: false };
            return;
        }
        self.send_headers(ctx);
        if meta.connect {
            let accepted = (200..300).contains(&status);
            req.connect_reply(id, accepted);
            if accepted {
                self.complete(ctx, false);
                self.state = State::ConnectPending;
                return;
            }
        }
        if status == 101 && no_framing {
            ctx.stats.tunnels += 1;
            self.complete(ctx, false);
            self.state = State::Tunnel;
            req.tunnel(ctx);
            return;
        }
        let bodiless = meta.head || ((100..200).contains(&status) || status == 204 || status == 304) && no_framing;
        let next = if bodiless {
            None
        } else if te.as_deref().is_some_and(|te| contains_nocase_nozero(te, b"chunked")) {
            Some(State::ChunkSize)
        } else if let Some(n) = cl {
            match n {
                Some(0) => None,
                Some(n) => Some(State::BodyLen(n)),
                None => {
                    // libhtp gives up here; reading to close keeps the data.
                    ctx.stats.malformed += 1;
                    Some(State::UntilClose)
                }
            }
        } else {
            Some(State::UntilClose)
        };
        // Lines taken as body before the status line: that body ends here.
        self.finish_sink(ctx, false);
        match next {
            None => self.complete(ctx, false),
            Some(state) => {
                let codecs = content_codecs(&ce, ctx.cfg.decompress_layer_limit);
                let feed = response_feed(ctx, id);
                self.sink = Some(BodySink::new(&codecs, ctx.cfg.response_body_limit, ctx.cfg.decompressed_limit, feed));
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
            self.wire(ctx, end);
            return Step::Go(end);
        }
        let len = if end == 0 { ChunkLen::Invalid } else { parse_chunk_len(line) };
        if matches!(len, ChunkLen::Size(_)) && events::chunk_extension(line) {
            ctx.warn(A::ResponseChunkExtension, 1);
        }
        match len {
            ChunkLen::Size(0) => {
                self.wire(ctx, end);
                self.state = State::Trailers;
                self.first = true;
                Step::Go(end)
            }
            ChunkLen::Size(n) => {
                self.wire(ctx, end);
                self.state = State::ChunkData(n);
                Step::Go(end)
            }
            ChunkLen::Skip => {
                self.wire(ctx, end);
                Step::Go(end)
            }
            ChunkLen::Invalid => {
                // Not chunked after all: libhtp reads the body (this line
                // included) until the connection closes.
                ctx.warn(A::InvalidResponseChunkLen, 1);
                ctx.stats.malformed += 1;
                self.state = State::UntilClose;
                Step::Go(0)
            }
        }
    }

    /// After a complete response, as libhtp's FINALIZE state reads what
    /// follows: a line starting (after whitespace or NULs) with "http" is
    /// the next response; any other line, a blank one included, is more
    /// body of the previous one (`RESPONSE_BODY_UNEXPECTED`). Data starting
    /// with LF is judged whole, as libhtp takes everything it has then.
    fn after(&mut self, ctx: &mut Ctx<'_>, prev: u64, rest: &[u8], closed: bool, cap: usize) -> Step {
        let http_at = |d: &[u8]| {
            let k = d.iter().position(|&c| !(is_space(c) || c == 0)).unwrap_or(d.len());
            (k, d.get(k..k + 4).map(|p| p.eq_ignore_ascii_case(b"http")))
        };
        if rest.is_empty() {
            return Step::Wait;
        }
        if rest[0] == b'\n' {
            if http_at(rest).1 == Some(true) {
                self.state = State::Line { as_body: false };
                return Step::Go(0);
            }
            self.junk(ctx, prev, rest);
            return Step::Go(rest.len());
        }
        if let Some(i) = memchr::memchr(b'\n', rest) {
            let line = rest.get(..=i).unwrap_or(&[]);
            if http_at(line).1 == Some(true) {
                self.state = State::Line { as_body: false };
                return Step::Go(0);
            }
            self.junk(ctx, prev, line);
            return Step::Go(i + 1);
        }
        match http_at(rest) {
            (_, Some(true)) => {
                self.state = State::Line { as_body: false };
                Step::Go(0)
            }
            // Not HTTP: the line is body, taken as it comes (so detection
            // sees it at once); libhtp reports it at the line's end.
            (k, Some(false)) if k < rest.len() => {
                ctx.stats.data_after_response += 1;
                self.state = State::AfterJunk(prev);
                Step::Go(0)
            }
            _ if closed || rest.len() > cap => {
                self.junk(ctx, prev, rest);
                Step::Go(rest.len())
            }
            _ => Step::WaitEol,
        }
    }

    /// Data after a complete response that is not a response: more body.
    fn junk(&mut self, ctx: &mut Ctx<'_>, prev: u64, data: &[u8]) {
        ctx.stats.data_after_response += 1;
        ctx.warn(A::ResponseBodyUnexpected, 1);
        if let Some(tx) = ctx.txs.get_mut(prev) {
            let r = &mut tx.response;
            BodySink::push_raw(data, &mut r.body, ctx.cfg.response_body_limit, &mut r.body_truncated, ctx.stats);
            ctx.events.push(HttpEvent::ResponseComplete(prev));
        }
    }

    fn push_body(&mut self, ctx: &mut Ctx<'_>, data: &[u8]) {
        let cfg = ctx.cfg;
        if let (Some(id), Some(sink)) = (self.cur, self.sink.as_mut()) {
            if let Some(tx) = ctx.txs.get_mut(id) {
                sink.push(data, tx.response.target(), &cfg.file_env(), ctx.stats);
            }
        }
    }

    fn body_gap(&mut self, ctx: &mut Ctx<'_>, len: u64, framed: bool) {
        if framed {
            self.wire(ctx, usize::try_from(len).unwrap_or(usize::MAX));
        }
        let cfg = ctx.cfg;
        if let (Some(id), Some(sink)) = (self.cur, self.sink.as_mut()) {
            if let Some(tx) = ctx.txs.get_mut(id) {
                sink.gap(len, framed, tx.response.target(), &cfg.file_env(), ctx.stats);
            }
        }
    }

    /// Ends the body being stored, if any (`cut`: it ended early).
    fn finish_sink(&mut self, ctx: &mut Ctx<'_>, cut: bool) {
        let cfg = ctx.cfg;
        if let (Some(id), Some(mut sink)) = (self.cur, self.sink.take()) {
            if let Some(tx) = ctx.txs.get_mut(id) {
                sink.finish(cut, tx.response.target(), &cfg.file_env(), ctx.stats);
            }
        }
    }

    /// Ends the current response (`cut`: its body was cut short); what
    /// follows is checked for more body.
    fn complete(&mut self, ctx: &mut Ctx<'_>, cut: bool) {
        self.finish_sink(ctx, cut);
        let Some(id) = self.cur.take() else { return };
        ctx.log.responses_done += 1;
        self.state = State::After(id);
        if !std::mem::replace(&mut self.headers_sent, true) {
            ctx.events.push(HttpEvent::ResponseHeaders(id));
        }
        if let Some(tx) = ctx.txs.get_mut(id) {
            tx.response_headers_done = true;
            tx.response_complete = true;
        }
        ctx.events.push(HttpEvent::ResponseComplete(id));
    }
}

/// The URI libhtp gives a response that came without a request.
const NO_REQUEST_URI: &[u8] = b"/libhtp::request_uri_not_seen";

/// The file a response body is, as Suricata names it: the
/// Content-Disposition `filename`, else the normalised URI path; none when
/// neither exists (an absolute URI without path, CONNECT).
fn response_feed(ctx: &Ctx<'_>, id: u64) -> FileFeed {
    let Some(tx) = ctx.txs.get(id).filter(|_| ctx.cfg.tracking.enabled) else { return FileFeed::None };
    if let Some(name) = tx.response_header(b"content-disposition").and_then(content_disposition_filename) {
        return FileFeed::Whole { name: name.to_vec(), opened: false };
    }
    let mut name = Vec::new();
    if uri::normalized_path(&tx.request.uri_raw, &mut name) {
        FileFeed::Whole { name, opened: false }
    } else {
        FileFeed::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(line: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let s = parse_status_line(line);
        (s.protocol.to_vec(), s.code.to_vec(), s.msg.to_vec())
    }

    #[test]
    fn status_lines() {
        let v = |a: &[u8], b: &[u8], c: &[u8]| (a.to_vec(), b.to_vec(), c.to_vec());
        assert_eq!(sl(b"HTTP/1.1 200 OK"), v(b"HTTP/1.1", b"200", b"OK"));
        assert_eq!(sl(b"HTTP/1.1  \t200  all good "), v(b"HTTP/1.1", b"200", b"all good "));
        assert_eq!(sl(b"HTTP/1.1 200"), v(b"HTTP/1.1", b"200", b""));
        assert_eq!(sl(b"HTTP/1.1"), v(b"HTTP/1.1", b"", b""));
        assert_eq!(sl(b"\0 http/1.0 404 x"), v(b"http/1.0", b"404", b"x"));
        assert_eq!(sl(b"HTTP/1.1\x0b200\x0bok"), v(b"HTTP/1.1", b"200", b""));
    }

    #[test]
    fn status_numbers() {
        assert_eq!(status_number(b"200"), Some(200));
        assert_eq!(status_number(b"0204"), Some(204));
        assert_eq!(status_number(b"2xx"), None);
        assert_eq!(status_number(b"20"), None);
        assert_eq!(status_number(b"2000"), None);
        assert_eq!(status_number(b"000"), None);
        assert_eq!(status_number(b"2\x0000"), None);
    }

    #[test]
    fn http_prefix() {
        assert!(looks_like_http(b"HTTP/1.1 200"));
        assert!(looks_like_http(b"  \0http"));
        assert!(!looks_like_http(b"SIP/2.0 200 ok"));
        assert!(!looks_like_http(b"foo http"));
        assert!(!looks_like_http(b""));
    }
}
