//! What the HTTP parser finds wrong with a message, as libhtp reports it
//! (its warnings and errors, which Suricata turns into the application-layer
//! events of `anomaly` records and the `app-layer-event:http.*` keyword).
//!
//! libhtp's log carries no transaction: Suricata attaches what one parser
//! call reported to the transaction whose response comes next (the number
//! of responses completed so far), or to the last one when that does not
//! exist yet; [`EventLog`] does the same, so `tx_id` agrees with Suricata's
//! even where the attribution is arbitrary (a pipelined request's warning
//! lands on the transaction still waiting for its response). The few
//! events Suricata derives from a transaction's flags at the end of its
//! request go to that transaction.

use super::headers::{first_value, flags, joined_value};
use super::util::{contains_nocase, contains_nocase_nozero, is_space, parse_content_length};
use super::{Ctx, HttpConfig, HttpStats, Txs};
use HttpAnomaly as A;

macro_rules! anomalies {
    ($($variant:ident => $name:literal,)*) => {
        /// One libhtp warning or error, named as Suricata's event table names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum HttpAnomaly {
            $($variant,)*
        }

        impl HttpAnomaly {
            const ALL: &'static [HttpAnomaly] = &[$(HttpAnomaly::$variant,)*];

            /// The event Suricata names `name` (case-insensitive, as rules
            /// write it in lower case after `http.`).
            pub fn from_name(name: &str) -> Option<HttpAnomaly> {
                Self::ALL.iter().copied().find(|a| a.name().eq_ignore_ascii_case(name))
            }

            /// Suricata's event name (EVE `anomaly.event`).
            pub fn name(self) -> &'static str {
                match self {
                    $(HttpAnomaly::$variant => $name,)*
                }
            }
        }
    };
}

anomalies! {
    RequestFieldMissingColon => "REQUEST_FIELD_MISSING_COLON",
    ResponseFieldMissingColon => "RESPONSE_FIELD_MISSING_COLON",
    InvalidRequestChunkLen => "INVALID_REQUEST_CHUNK_LEN",
    InvalidResponseChunkLen => "INVALID_RESPONSE_CHUNK_LEN",
    RequestChunkExtension => "REQUEST_CHUNK_EXTENSION",
    ResponseChunkExtension => "RESPONSE_CHUNK_EXTENSION",
    RequestTooManyHeaders => "REQUEST_TOO_MANY_HEADERS",
    ResponseTooManyLzmaLayers => "RESPONSE_TOO_MANY_LZMA_LAYERS",
    ResponseTooManyHeaders => "RESPONSE_TOO_MANY_HEADERS",
    InvalidTransferEncodingInRequest => "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST",
    InvalidContentLengthInRequest => "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST",
    InvalidContentLengthInResponse => "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE",
    DuplicateContentLengthInRequest => "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST",
    DuplicateContentLengthInResponse => "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE",
    ContinueAlreadySeen => "100_CONTINUE_ALREADY_SEEN",
    UnableToMatchResponseToRequest => "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST",
    RequestHeaderInvalid => "REQUEST_HEADER_INVALID",
    MissingHostHeader => "MISSING_HOST_HEADER",
    InvalidRequestFieldFolding => "INVALID_REQUEST_FIELD_FOLDING",
    InvalidResponseFieldFolding => "INVALID_RESPONSE_FIELD_FOLDING",
    RequestFieldTooLong => "REQUEST_FIELD_TOO_LONG",
    ResponseFieldTooLong => "RESPONSE_FIELD_TOO_LONG",
    MethodDelimNonCompliant => "METHOD_DELIM_NON_COMPLIANT",
    UriDelimNonCompliant => "URI_DELIM_NON_COMPLIANT",
    RequestLineLeadingWhitespace => "REQUEST_LINE_LEADING_WHITESPACE",
    TooManyEncodingLayers => "TOO_MANY_ENCODING_LAYERS",
    AbnormalCeHeader => "ABNORMAL_CE_HEADER",
    RequestHeaderRepetition => "REQUEST_HEADER_REPETITION",
    ResponseHeaderRepetition => "RESPONSE_HEADER_REPETITION",
    ResponseMultipartByteranges => "RESPONSE_MULTIPART_BYTERANGES",
    ResponseAbnormalTransferEncoding => "RESPONSE_ABNORMAL_TRANSFER_ENCODING",
    ResponseChunkedOldProto => "RESPONSE_CHUNKED_OLD_PROTO",
    RequestBodyUnexpected => "REQUEST_BODY_UNEXPECTED",
    ResponseBodyUnexpected => "RESPONSE_BODY_UNEXPECTED",
    ContentLengthExtraDataStart => "CONTENT_LENGTH_EXTRA_DATA_START",
    ContentLengthExtraDataEnd => "CONTENT_LENGTH_EXTRA_DATA_END",
    SwitchingProtoWithContentLength => "SWITCHING_PROTO_WITH_CONTENT_LENGTH",
    DeformedEol => "DEFORMED_EOL",
    RequestLineUnknownMethod => "REQUEST_LINE_UNKNOWN_METHOD",
    RequestLineUnknownMethodNoProtocol => "REQUEST_LINE_UNKNOWN_METHOD_NO_PROTOCOL",
    RequestLineUnknownMethodInvalidProtocol => "REQUEST_LINE_UNKNOWN_METHOD_INVALID_PROTOCOL",
    RequestLineMissingProtocol => "REQUEST_LINE_MISSING_PROTOCOL",
    ResponseLineInvalidProtocol => "RESPONSE_LINE_INVALID_PROTOCOL",
    ResponseLineInvalidResponseStatus => "RESPONSE_LINE_INVALID_RESPONSE_STATUS",
    ResponseInvalidLwsAfterName => "RESPONSE_INVALID_LWS_AFTER_NAME",
    ResponseHeaderNameNotToken => "RESPONSE_HEADER_NAME_NOT_TOKEN",
    RequestInvalidLwsAfterName => "REQUEST_INVALID_LWS_AFTER_NAME",
    ProtocolContainsExtraData => "PROTOCOL_CONTAINS_EXTRA_DATA",
    RequestLineInvalid => "REQUEST_LINE_INVALID",
    TooManyWarnings => "TOO_MANY_WARNINGS",
}

// Every event has a bit in `HttpTx::events`.
const _: () = assert!(HttpAnomaly::ALL.len() <= 64);

impl HttpAnomaly {
    /// This event's bit in [`super::HttpTx::events`].
    pub fn bit(self) -> u64 {
        1 << (self as u64)
    }
}

/// Per-transaction flags libhtp uses to report some header problems once
/// per transaction (request and response share them, as in libhtp).
pub(crate) mod once {
    pub(crate) const FIELD_INVALID: u8 = 1;
    pub(crate) const INVALID_FOLDING: u8 = 2;
    pub(crate) const FIELD_UNPARSEABLE: u8 = 4;
}

/// One event attached to its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxAnomaly {
    pub tx: u64,
    pub anomaly: HttpAnomaly,
    /// The direction whose data raised it (0 = request).
    pub dir: u8,
}

/// A connection's events: those of the parser call in progress (not yet
/// attached), and those attached, waiting to be taken by the logger.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    raw: Vec<(HttpAnomaly, u8)>,
    pub(crate) attached: Vec<TxAnomaly>,
    /// Events reported so far (libhtp messages Suricata looked at).
    reported: usize,
    /// Responses completed: Suricata's `transaction_cnt`.
    pub(crate) responses_done: u64,
}

impl EventLog {
    /// libhtp logged `a` while parsing direction `dir`.
    pub(crate) fn raise(&mut self, a: HttpAnomaly, dir: u8) {
        self.raw.push((a, dir));
    }

    /// An event about transaction `tx` itself (its request's flags).
    pub(crate) fn raise_on(&mut self, txs: &mut Txs, tx: u64, a: HttpAnomaly, dir: u8, stats: &mut HttpStats) {
        stats.anomalies += 1;
        if let Some(t) = txs.get_mut(tx) {
            t.events |= a.bit();
        }
        self.attached.push(TxAnomaly { tx, anomaly: a, dir });
    }

    /// End of a parser call: attaches what it reported (Suricata's
    /// `HTPHandleError`), at most `max_events` per connection; the last one
    /// kept is followed by `TOO_MANY_WARNINGS`.
    pub(crate) fn attach(&mut self, cfg: &HttpConfig, txs: &mut Txs, stats: &mut HttpStats) {
        if self.raw.is_empty() {
            return;
        }
        let n = self.responses_done;
        let tx = if txs.get(n).is_some() { Some(n) } else { n.checked_sub(1).filter(|p| txs.get(*p).is_some()) };
        for i in 0..self.raw.len() {
            let (anomaly, dir) = self.raw[i];
            stats.anomalies += 1;
            let Some(tx) = tx else { continue };
            if self.reported >= cfg.max_events {
                stats.anomalies_dropped += 1;
                continue;
            }
            self.reported += 1;
            self.attached.push(TxAnomaly { tx, anomaly, dir });
            if let Some(t) = txs.get_mut(tx) {
                t.events |= anomaly.bit();
            }
            if self.reported == cfg.max_events {
                self.attached.push(TxAnomaly { tx, anomaly: HttpAnomaly::TooManyWarnings, dir });
            }
        }
        self.raw.clear();
    }
}

/// libhtp's warnings about one header line of direction `dir` (0 =
/// request) of transaction `id`, and about its name repeating an earlier
/// one (a second occurrence; differing Content-Length values each time, up
/// to 64 repetitions, past which libhtp ignores the header).
pub(crate) fn header_warnings(ctx: &mut Ctx<'_>, id: u64, dir: u8, f: u8, name: &[u8], value: &[u8]) {
    let req = dir == 0;
    if f & flags::DEFORMED_EOL != 0 && !req {
        ctx.warn(A::DeformedEol, dir);
    }
    if f & flags::NAME_TRAILING_WS != 0 {
        let a = if req { A::RequestInvalidLwsAfterName } else { A::ResponseInvalidLwsAfterName };
        ctx.warn_once(id, once::FIELD_INVALID, a, dir);
    }
    if f & flags::NAME_LEADING_WS != 0 {
        let a = if req { A::InvalidRequestFieldFolding } else { A::InvalidResponseFieldFolding };
        ctx.warn_once(id, once::INVALID_FOLDING, a, dir);
    }
    if f & flags::NAME_NON_TOKEN != 0 {
        let a = if req { A::RequestHeaderInvalid } else { A::ResponseHeaderNameNotToken };
        ctx.warn_once(id, once::FIELD_INVALID, a, dir);
    }
    // libhtp tests `MISSING_COLON`, which includes the bit of an empty
    // name, with "any bit set": ": value" is reported as a missing colon
    // too (its empty-name warning cannot happen).
    if f & (flags::MISSING_COLON | flags::NAME_EMPTY) != 0 {
        let a = if req { A::RequestFieldMissingColon } else { A::ResponseFieldMissingColon };
        ctx.warn_once(id, once::FIELD_UNPARSEABLE, a, dir);
    }
    let Some(tx) = ctx.txs.get(id) else { return };
    let headers = if req { &tx.request.headers } else { &tx.response.headers };
    let mut same = headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name));
    let Some(first) = same.next() else { return };
    let second = same.next().is_none();
    let cl_differs = name.eq_ignore_ascii_case(b"content-length") && {
        let (a, b) = (parse_content_length(&first.value), parse_content_length(value));
        a.is_none() || b.is_none() || a != b
    };
    let Some(meta) = ctx.txs.meta_mut(id) else { return };
    if !second {
        let reps = if req { &mut meta.req_reps } else { &mut meta.resp_reps };
        if *reps >= 64 {
            return;
        }
        *reps += 1;
    }
    if cl_differs {
        ctx.warn(if req { A::DuplicateContentLengthInRequest } else { A::DuplicateContentLengthInResponse }, dir);
    }
    if second {
        ctx.warn(if req { A::RequestHeaderRepetition } else { A::ResponseHeaderRepetition }, dir);
    }
}

/// libhtp's checks of a status line: its protocol, its status number
/// (`status_ok`: within 100..=999).
pub(crate) fn status_line_warnings(ctx: &mut Ctx<'_>, protocol: &[u8], status_ok: bool) {
    let (proto, extra) = protocol_number(protocol);
    if extra {
        ctx.warn(A::ProtocolContainsExtraData, 1);
    }
    if proto == Proto::Invalid {
        ctx.warn(A::ResponseLineInvalidProtocol, 1);
    }
    if !status_ok {
        ctx.warn(A::ResponseLineInvalidResponseStatus, 1);
    }
}

/// libhtp's warnings when it decides how a response body is framed:
/// framing on a status that has no body, an odd chunked
/// Transfer-Encoding or one on HTTP/1.0, a Content-Length with junk or
/// none at all, and the response's Content-Encoding.
pub(crate) fn body_warnings(ctx: &mut Ctx<'_>, id: u64, status: u16, head: bool, te: Option<&[u8]>, has_cl: bool) {
    let Some(tx) = ctx.txs.get(id) else { return };
    let r = &tx.response;
    let cl = first_value(&r.headers, b"content-length").map(<[u8]>::to_vec);
    let ce = joined_value(&r.headers, b"content-encoding");
    let ct = first_value(&r.headers, b"content-type").map(<[u8]>::to_vec);
    let proto = protocol_number(&r.protocol).0;
    let mut w: Vec<A> = Vec::new();
    let framed = te.is_some() || has_cl;
    if status == 101 && framed {
        w.push(A::SwitchingProtoWithContentLength);
    }
    if status == 100 && te.is_none() {
        let (start, end) = cl.as_deref().map_or((false, false), content_length_warnings);
        if start {
            w.push(A::ContentLengthExtraDataStart);
        }
        if end {
            w.push(A::ContentLengthExtraDataEnd);
        }
        if cl.as_deref().and_then(parse_content_length).unwrap_or(0) == 0 {
            // An interim response: libhtp looks at nothing else.
            let seen = ctx.txs.meta_mut(id).map(|m| std::mem::replace(&mut m.seen_100, true));
            if seen == Some(true) {
                w.push(A::ContinueAlreadySeen);
            }
            w.into_iter().for_each(|a| ctx.warn(a, 1));
            return;
        }
    }
    let bodiless_status = (100..200).contains(&status) || status == 204 || status == 304;
    let no_body = head || (bodiless_status && !framed);
    if !head && bodiless_status && framed {
        w.push(A::ResponseBodyUnexpected);
    }
    let mut give_up = false;
    if !no_body {
        if let Some(te) = te.filter(|te| contains_nocase_nozero(te, b"chunked")) {
            if !te.eq_ignore_ascii_case(b"chunked") {
                w.push(A::ResponseAbnormalTransferEncoding);
            }
            if proto < Proto::V1_1 {
                w.push(A::ResponseChunkedOldProto);
            }
        } else if let Some(cl) = &cl {
            let (start, end) = content_length_warnings(cl);
            if start {
                w.push(A::ContentLengthExtraDataStart);
            }
            if end {
                w.push(A::ContentLengthExtraDataEnd);
            }
            if parse_content_length(cl).is_none() {
                w.push(A::InvalidContentLengthInResponse);
                give_up = true;
            }
        } else if ct.as_deref().is_some_and(|ct| {
            let end = ct.iter().position(|&c| c == b';' || is_space(c)).unwrap_or(ct.len());
            contains_nocase(&ct[..end], b"multipart/byteranges")
        }) {
            w.push(A::ResponseMultipartByteranges);
            give_up = true;
        }
    }
    if !give_up {
        if let Some(ce) = ce {
            ce_warnings(&ce, ctx.cfg.decompress_layer_limit, |a| w.push(a));
        }
    }
    w.into_iter().for_each(|a| ctx.warn(a, 1));
}

/// Request flags Suricata turns into events when the request completes.
pub(crate) const FLAG_INVALID_TE: u8 = 1;
pub(crate) const FLAG_INVALID_CL: u8 = 2;
pub(crate) const FLAG_HOST_MISSING: u8 = 4;
pub(crate) const REQUEST_FLAG_EVENTS: [(u8, A); 3] = [
    (FLAG_INVALID_TE, A::InvalidTransferEncodingInRequest),
    (FLAG_INVALID_CL, A::InvalidContentLengthInRequest),
    (FLAG_HOST_MISSING, A::MissingHostHeader),
];

/// The parts of a request line, and whether libhtp knows its method.
pub(crate) struct LineParts<'a> {
    pub(crate) method: &'a [u8],
    pub(crate) uri: &'a [u8],
    pub(crate) protocol: &'a [u8],
    pub(crate) known_method: bool,
}

/// libhtp's checks of a request line: leading whitespace, delimiters,
/// unknown methods without (valid) protocol.
pub(crate) fn request_line_warnings(ctx: &mut Ctx<'_>, line: &[u8], parts: &LineParts<'_>) {
    let LineParts { method, uri, protocol, known_method } = *parts;
    let lead = line.iter().take_while(|&&c| is_space(c)).count();
    if lead > 0 {
        ctx.warn(A::RequestLineLeadingWhitespace, 0);
    }
    let after = line.get(lead + method.len()..).unwrap_or(&[]);
    let ws = &after[..after.iter().take_while(|&&c| is_space(c)).count()];
    if ws.iter().any(|&c| c != b' ') {
        ctx.warn(A::MethodDelimNonCompliant, 0);
    }
    let unknown = !known_method;
    if ws.len() == after.len() {
        if unknown {
            ctx.warn(A::RequestLineUnknownMethod, 0);
        }
        return;
    }
    if uri.iter().any(|&c| is_space(c) && c != b' ') {
        ctx.warn(A::UriDelimNonCompliant, 0);
    }
    if protocol.is_empty() {
        if unknown {
            ctx.warn(A::RequestLineUnknownMethodNoProtocol, 0);
        }
        return;
    }
    let (proto, extra) = protocol_number(protocol);
    if extra {
        ctx.warn(A::ProtocolContainsExtraData, 0);
    }
    if unknown && proto == Proto::Invalid {
        ctx.warn(A::RequestLineUnknownMethodInvalidProtocol, 0);
    }
}

/// libhtp's reading of a complete request header section: Content-Length
/// junk (warned now), and the flags Suricata reports when the request
/// completes: chunked Transfer-Encoding before HTTP/1.1, an unusable
/// Content-Length, no Host in HTTP/1.1.
pub(crate) fn request_flags(ctx: &mut Ctx<'_>, id: u64) -> u8 {
    let Some(tx) = ctx.txs.get(id) else { return 0 };
    let r = &tx.request;
    let proto = protocol_number(&r.protocol).0;
    let mut f = 0;
    let mut cl_warn = (false, false);
    if let Some(te) = joined_value(&r.headers, b"transfer-encoding") {
        // libhtp flags a Transfer-Encoding without "chunked" too, but its
        // parser then stops on the connection (an invalid coding is an
        // error), the request never completes and Suricata 8.0.6 never
        // raises the event for it (checked with the reference). We go on
        // parsing the connection, without the event.
        if contains_nocase_nozero(&te, b"chunked") && proto < Proto::V1_1 {
            f |= FLAG_INVALID_TE;
        }
    } else if let Some(cl) = first_value(&r.headers, b"content-length") {
        cl_warn = content_length_warnings(cl);
        if parse_content_length(cl).is_none() {
            f |= FLAG_INVALID_CL;
        }
    }
    if first_value(&r.headers, b"host").is_none() && proto >= Proto::V1_1 {
        f |= FLAG_HOST_MISSING;
    }
    if cl_warn.0 {
        ctx.warn(A::ContentLengthExtraDataStart, 0);
    }
    if cl_warn.1 {
        ctx.warn(A::ContentLengthExtraDataEnd, 0);
    }
    f
}

/// libhtp's protocol numbers, in its order (`< V1_1` is "old").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Proto {
    Invalid,
    V0_9,
    V1_0,
    V1_1,
}

/// libhtp's `parse_protocol`: `HTTP`, optional whitespace, `/`, optional
/// whitespace and zeros, then `.9`, `1.0` or `1.1`, optional whitespace.
/// The flag says whitespace or zeros were skipped (libhtp warns
/// `PROTOCOL_CONTAINS_EXTRA_DATA`; "HTTP/0.9" counts, its zero is skipped).
pub(crate) fn protocol_number(p: &[u8]) -> (Proto, bool) {
    let ws = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let mut s = p.get(ws(p)..).unwrap_or(&[]);
    if !s.get(..4).is_some_and(|h| h.eq_ignore_ascii_case(b"HTTP")) {
        return (Proto::Invalid, false);
    }
    s = &s[4..];
    let lead = ws(s);
    s = &s[lead..];
    let Some(rest) = s.strip_prefix(b"/") else { return (Proto::Invalid, false) };
    let skip = rest.iter().take_while(|&&c| c.is_ascii_whitespace() || c == b'0').count();
    let rest = &rest[skip..];
    let (v, after) = match rest {
        [b'.', b'9', r @ ..] => (Proto::V0_9, r),
        [b'1', b'.', b'0', r @ ..] => (Proto::V1_0, r),
        [b'1', b'.', b'1', r @ ..] => (Proto::V1_1, r),
        _ => return (Proto::Invalid, false),
    };
    if ws(after) < after.len() {
        return (Proto::Invalid, false);
    }
    (v, lead > 0 || skip > 0)
}

/// libhtp's warnings about a Content-Length value: junk before the digits
/// (`CONTENT_LENGTH_EXTRA_DATA_START`), after them
/// (`CONTENT_LENGTH_EXTRA_DATA_END`); none when there is no digit.
pub(crate) fn content_length_warnings(v: &[u8]) -> (bool, bool) {
    let sp = |s: &[u8]| s.iter().take_while(|&&c| super::util::is_space(c)).count();
    let s = &v[sp(v)..];
    let Some(d) = s.iter().position(u8::is_ascii_digit) else { return (false, false) };
    let digits = s[d..].iter().take_while(|c| c.is_ascii_digit()).count();
    let rest = &s[d + digits..];
    (d > 0, sp(rest) < rest.len())
}

/// Whether a chunk-size line has an extension (a `;` after the size).
pub(crate) fn chunk_extension(line: &[u8]) -> bool {
    let start = line.iter().position(|&c| !super::util::is_chunk_ctl(c)).unwrap_or(line.len());
    let rest = &line[start..];
    let digits = rest.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    rest[digits..].contains(&b';')
}

/// libhtp's warnings about a response Content-Encoding value (when it is
/// not exactly one coding): items naming gzip or deflate in an odd
/// spelling, or unknown ones (`ABNORMAL_CE_HEADER`, once per item); more
/// items than `layer_limit` (`TOO_MANY_ENCODING_LAYERS`). "identity" is no
/// anomaly (Suricata 8.0.1 stopped reporting it, OISF issue 7843).
pub(crate) fn ce_warnings(value: &[u8], layer_limit: usize, mut warn: impl FnMut(HttpAnomaly)) {
    use super::util::eq_nocase_nozero;
    const PLAIN: [&[u8]; 8] = [b"gzip", b"x-gzip", b"deflate", b"x-deflate", b"lzma", b"inflate", b"none", b"identity"];
    if layer_limit == 0 || PLAIN.iter().any(|p| eq_nocase_nozero(value, p)) {
        return;
    }
    let mut lzma = 0;
    for (i, item) in value.split(|&c| c == b',' || c == b' ').filter(|i| !i.is_empty()).enumerate() {
        if i >= layer_limit {
            warn(HttpAnomaly::TooManyEncodingLayers);
            break;
        }
        let has = |n: &[u8]| super::util::contains_nocase(item, n);
        if has(b"gzip") {
            if item != b"gzip" && item != b"x-gzip" {
                warn(HttpAnomaly::AbnormalCeHeader);
            }
        } else if has(b"deflate") {
            if item != b"deflate" && item != b"x-deflate" {
                warn(HttpAnomaly::AbnormalCeHeader);
            }
        } else if item == b"lzma" {
            lzma += 1;
            if lzma > 1 {
                warn(HttpAnomaly::ResponseTooManyLzmaLayers);
                break;
            }
        } else if !matches!(item, b"inflate" | b"none" | b"identity") {
            warn(HttpAnomaly::AbnormalCeHeader);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_like_libhtp() {
        assert_eq!(protocol_number(b"HTTP/1.1"), (Proto::V1_1, false));
        assert_eq!(protocol_number(b"http/1.0"), (Proto::V1_0, false));
        assert_eq!(protocol_number(b"HTTP/0.9"), (Proto::V0_9, true));
        assert_eq!(protocol_number(b"HTTP/01.1"), (Proto::V1_1, true));
        assert_eq!(protocol_number(b"HTTP /1.1"), (Proto::V1_1, true));
        assert_eq!(protocol_number(b"HTTP/1.2").0, Proto::Invalid);
        assert_eq!(protocol_number(b"HTTP/1.10").0, Proto::Invalid);
        assert_eq!(protocol_number(b"XTTP/1.1").0, Proto::Invalid);
        assert_eq!(protocol_number(b"").0, Proto::Invalid);
    }

    #[test]
    fn content_length_and_chunk_warnings() {
        assert_eq!(content_length_warnings(b" 12 "), (false, false));
        assert_eq!(content_length_warnings(b"+12"), (true, false));
        assert_eq!(content_length_warnings(b"12;x"), (false, true));
        assert_eq!(content_length_warnings(b"abc"), (false, false));
        assert!(chunk_extension(b"5;name=v\r\n"));
        assert!(chunk_extension(b"\r\n5 ; x\r\n"));
        assert!(!chunk_extension(b"5\r\n"));
    }

    #[test]
    fn content_encoding_warnings() {
        let w = |v: &[u8]| {
            let mut out = Vec::new();
            ce_warnings(v, 2, |a| out.push(a));
            out
        };
        assert!(w(b"gzip").is_empty() && w(b"IDENTITY").is_empty() && w(b"identity, gzip").is_empty());
        assert_eq!(w(b"gzip, foo"), [HttpAnomaly::AbnormalCeHeader]);
        assert_eq!(w(b"x_gzip"), [HttpAnomaly::AbnormalCeHeader]);
        assert_eq!(w(b"gzip gzip gzip"), [HttpAnomaly::TooManyEncodingLayers]);
        assert_eq!(w(b"lzma, lzma"), [HttpAnomaly::ResponseTooManyLzmaLayers]);
    }
}
