//! HTTP/1.x connection parser: both directions cut, interleaved, gapped and
//! closed as the input's control bytes say (see `mirrorids_fuzz`), with the
//! transaction accessors read and transactions freed as the engine does.
//!
//! Flags: bit 0 = a tiny `HttpConfig` (every limit path runs), its values
//! taken from the first control bytes; bit 1 = close the server side first
//! at the end; bit 2 = also free a transaction as soon as its request is
//! complete (a stricter consumer than the engine); bit 3 = track files
//! (names, sizes, all digests, multipart parts), their bounds checked.

#![no_main]

use std::hint::black_box;

use libfuzzer_sys::fuzz_target;
use mirrorids::app::files::{FileState, FileTracking, FilesConfig, HashKinds};
use mirrorids::app::http::{HttpConfig, HttpConn, HttpEvent, HttpTx};
use mirrorids_fuzz::{Op, Script};

fn config(flags: u8, ctl: &[u8]) -> HttpConfig {
    let b = |i: usize| usize::from(ctl.get(i).copied().unwrap_or(0));
    let mut cfg = if flags & 1 == 0 {
        HttpConfig::default()
    } else {
        HttpConfig {
            request_body_limit: b(0) % 64,
            response_body_limit: b(1) % 64,
            decompress_layer_limit: b(2) % 4,
            decompressed_limit: 1 + b(3) * 4,
            max_transactions: 1 + b(4) % 4,
            max_header_bytes: b(5) * 2,
            files: FilesConfig { max_per_tx: b(6) % 4, max_name_bytes: b(7) % 16, max_part_header_bytes: b(8) },
            ..HttpConfig::default()
        }
    };
    if flags & 8 != 0 {
        let hashes = HashKinds { md5: true, sha1: true, sha256: true };
        cfg.tracking = FileTracking { enabled: true, hashes, sha256_on_truncate: true, store: None };
    }
    cfg
}

/// Reads what detection and EVE read, and checks the documented bounds.
fn inspect(cfg: &HttpConfig, tx: &HttpTx) {
    let (req, resp) = (&tx.request, &tx.response);
    for limit_body in [(cfg.request_body_limit, &req.body), (cfg.response_body_limit, &resp.body)] {
        let (limit, body) = limit_body;
        assert!(limit == 0 || body.len() <= limit, "body of {} bytes over its limit {limit}", body.len());
    }
    let mut n = req.line.len() + req.method.len() + req.uri_raw.len() + req.uri_normalized.len();
    n += req.protocol.len() + req.headers_raw.len() + req.body.len();
    n += resp.line.len() + resp.protocol.len() + resp.status_code.len() + resp.status_msg.len();
    n += resp.headers_raw.len() + resp.body.len();
    for h in req.headers.iter().chain(&resp.headers) {
        n += h.name.len() + h.value.len();
    }
    for name in [&b"host"[..], b"User-Agent", b"cookie", b"content-type", b"x-forwarded-for"] {
        n += tx.request_header(name).map_or(0, <[u8]>::len);
        n += tx.response_header(name).map_or(0, <[u8]>::len);
    }
    black_box((n, tx.id, req.body_truncated, resp.body_truncated, tx.request_complete, tx.response_complete));
    black_box(resp.body_wire_len);
    for files in [&req.files, &resp.files] {
        assert!(cfg.tracking.enabled || files.is_empty(), "files tracked when not asked");
        assert!(files.len() <= cfg.files.max_per_tx, "{} files over the limit", files.len());
        for f in files {
            assert!(f.name.len() <= cfg.files.max_name_bytes, "file name over its limit");
            // Digests only for what was seen whole.
            assert!(f.md5.is_none() || (f.state == FileState::Closed && !f.gaps));
            assert!(f.sha256.is_none() || f.state != FileState::Open);
        }
    }
    // A complete message's files are all closed.
    assert!(!tx.request_complete || req.files.iter().all(|f| !f.is_open()), "open file in a complete request");
    assert!(!tx.response_complete || resp.files.iter().all(|f| !f.is_open()), "open file in a complete response");
}

/// The engine's handling of parser events (`AppSession::collect`/`done`).
fn consume(cfg: &HttpConfig, conn: &mut HttpConn, events: &mut Vec<HttpEvent>, eager: bool) {
    for ev in events.drain(..) {
        let (id, last) = match ev {
            HttpEvent::RequestHeaders(id) | HttpEvent::ResponseHeaders(id) => (id, false),
            HttpEvent::RequestComplete(id) => (id, eager),
            HttpEvent::ResponseComplete(id) => (id, true),
        };
        let Some(tx) = conn.tx(id) else { continue };
        inspect(cfg, tx);
        if last && (eager || tx.request_complete && tx.response_complete) {
            conn.remove_tx(id);
        }
    }
    black_box(conn.stats());
}

fuzz_target!(|data: &[u8]| {
    let script = Script::new(data);
    let cfg = config(script.flags, script.ctl());
    let eager = script.flags & 4 != 0;
    let mut conn = HttpConn::new();
    let mut events = Vec::new();
    let mut closed = [false; 2];
    script.run(true, |op| {
        match op {
            Op::Data(dir, piece) => conn.parse(&cfg, dir, piece, &mut events),
            Op::Gap(dir, len) => conn.gap(&cfg, dir, len, &mut events),
            Op::Close(dir) => {
                closed[dir] = true;
                conn.close(&cfg, dir, &mut events);
            }
        }
        consume(&cfg, &mut conn, &mut events, eager);
    });
    // Flow end: the directions still open close.
    let order = if script.flags & 2 == 0 { [0, 1] } else { [1, 0] };
    for dir in order.into_iter().filter(|&d| !closed[d]) {
        conn.close(&cfg, dir, &mut events);
        consume(&cfg, &mut conn, &mut events, eager);
    }
    // Whatever is left, as flow cleanup would see it.
    for id in 0..conn.stats().requests + conn.stats().responses + 2 {
        if let Some(tx) = conn.tx(id) {
            inspect(&cfg, tx);
        }
        conn.remove_tx(id);
    }
});
