//! EVE `http` records (one per transaction) and the `http` object alerts
//! and `fileinfo` records carry, with Suricata 8's fields: the basic set
//! (`hostname`, `http_port`, `url`, `http_user_agent`, `xff`,
//! `http_content_type`, `content_range`), the extended set (`http_refer`,
//! `http_method`, `protocol`, `status`, `redirect`, `length`), and headers
//! named in `custom`.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{end, push_u64, Header};
use crate::app::http::HttpTx;
use crate::output::EveConfig;
use crate::util::json::{push_escaped, push_key};

/// Options of `http` records (Suricata's `eve-log.types.http`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLogConfig {
    pub enabled: bool,
    /// Method, protocol, status, redirect, length and referer besides the
    /// basic fields.
    pub extended: bool,
    /// Further request or response headers to log, by name
    /// (`X-Forwarded-For`), as Suricata's `custom` list.
    pub custom: Vec<String>,
    /// Every header of the request, the response or both, in order, as
    /// `request_headers`/`response_headers` arrays of `{name, value}`
    /// (Suricata's `dump-all-headers`); unset: none.
    pub dump_all_headers: Option<DumpHeaders>,
}

/// Which messages' headers `dump_all_headers` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DumpHeaders {
    Request,
    Response,
    Both,
}

impl Default for HttpLogConfig {
    fn default() -> Self {
        HttpLogConfig { enabled: true, extended: true, custom: Vec::new(), dump_all_headers: None }
    }
}

/// What the `http` object beside an alert shows: the extended set.
pub const ALERT_OBJECT: HttpLogConfig =
    HttpLogConfig { enabled: true, extended: true, custom: Vec::new(), dump_all_headers: None };

fn field(out: &mut Vec<u8>, first: &mut bool, key: &str, v: &[u8]) {
    if !v.is_empty() {
        push_key(out, key, *first);
        out.push(b'"');
        push_escaped(out, v);
        out.push(b'"');
        *first = false;
    }
}

/// Appends `,"http":{...}`.
pub fn write_object(out: &mut Vec<u8>, cfg: &HttpLogConfig, tx: &HttpTx) {
    out.extend_from_slice(b",\"http\":{");
    write_fields(out, cfg, tx);
    out.push(b'}');
}

/// Appends an alert's `,"http":{...}`: the extended set and, as asked,
/// the bodies as kept for inspection (up to the body limits), base64
/// (Suricata's alert `http-body`) and/or printable (`http-body-printable`).
pub fn write_alert_object(out: &mut Vec<u8>, tx: &HttpTx, base64: bool, printable: bool) {
    out.extend_from_slice(b",\"http\":{");
    write_fields(out, &ALERT_OBJECT, tx);
    // (printable key, base64 key, body)
    let bodies = [
        ("http_request_body_printable", "http_request_body", &tx.request.body),
        ("http_response_body_printable", "http_response_body", &tx.response.body),
    ];
    let bodies = bodies.iter().filter(|b| !b.2.is_empty());
    if printable {
        for &(key, _, body) in bodies.clone() {
            push_key(out, key, false);
            out.push(b'"');
            let text: Vec<u8> = body.iter().map(|&b| crate::util::json::printable_byte(b)).collect();
            push_escaped(out, &text);
            out.push(b'"');
        }
    }
    if base64 {
        for &(_, key, body) in bodies {
            push_key(out, key, false);
            super::push_base64(out, body);
        }
    }
    out.push(b'}');
}

/// The object's fields (the hostname, always present, comes first).
fn write_fields(out: &mut Vec<u8>, cfg: &HttpLogConfig, tx: &HttpTx) {
    let (rq, rs) = (&tx.request, &tx.response);
    let mut first = true;
    field(out, &mut first, "hostname", &tx.hostname());
    if let Some(p) = tx.host_port() {
        push_key(out, "http_port", first);
        crate::util::json::push_uint(out, p);
        first = false;
    }
    field(out, &mut first, "url", &rq.uri_raw);
    field(out, &mut first, "http_user_agent", tx.request_header(b"user-agent").unwrap_or(&[]));
    field(out, &mut first, "xff", tx.request_header(b"x-forwarded-for").unwrap_or(&[]));
    // Without parameters (`; charset=...`), as Suricata logs it.
    let ctype = tx.response_header(b"content-type").unwrap_or(&[]);
    let ctype = ctype.split(|&c| c == b';').next().unwrap_or(&[]).trim_ascii();
    field(out, &mut first, "http_content_type", ctype);
    if let Some(range) = tx.response_header(b"content-range") {
        push_key(out, "content_range", first);
        first = false;
        write_content_range(out, range);
    }
    if cfg.extended {
        field(out, &mut first, "http_refer", tx.request_header(b"referer").unwrap_or(&[]));
        field(out, &mut first, "http_method", &rq.method);
        field(out, &mut first, "protocol", &rq.protocol);
        match std::str::from_utf8(&rs.status_code).ok().and_then(|c| c.trim().parse::<u16>().ok()) {
            Some(code) => {
                push_key(out, "status", first);
                crate::util::json::push_uint(out, code);
                first = false;
            }
            None => field(out, &mut first, "status_string", &rs.status_code),
        }
        field(out, &mut first, "redirect", tx.response_header(b"location").unwrap_or(&[]));
        // libhtp's response message length so far (as sent: compressed,
        // chunk framing included, whatever the body limit), 0 before a
        // response.
        push_key(out, "length", first);
        crate::util::json::push_uint(out, rs.body_wire_len);
    }
    for name in &cfg.custom {
        let v = tx.request_header(name.as_bytes()).or_else(|| tx.response_header(name.as_bytes()));
        if let Some(v) = v {
            let key = name.to_ascii_lowercase().replace('-', "_");
            field(out, &mut first, &key, v);
        }
    }
    let (req, resp) = match cfg.dump_all_headers {
        None => (false, false),
        Some(DumpHeaders::Request) => (true, false),
        Some(DumpHeaders::Response) => (false, true),
        Some(DumpHeaders::Both) => (true, true),
    };
    for (on, key, headers) in [(req, "request_headers", &rq.headers), (resp, "response_headers", &rs.headers)] {
        if on && !headers.is_empty() {
            push_key(out, key, first);
            first = false;
            write_headers(out, headers);
        }
    }
}

fn write_headers(out: &mut Vec<u8>, headers: &[crate::app::http::Header]) {
    out.push(b'[');
    for (i, h) in headers.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":\"");
        push_escaped(out, &h.name);
        out.extend_from_slice(b"\",\"value\":\"");
        push_escaped(out, &h.value);
        out.extend_from_slice(b"\"}");
    }
    out.push(b']');
}

/// `content_range`: the header as sent, and its numbers when it has the
/// `bytes START-END/SIZE` form (`*` for an unknown size is left out).
fn write_content_range(out: &mut Vec<u8>, raw: &[u8]) {
    out.extend_from_slice(b"{\"raw\":\"");
    push_escaped(out, raw);
    out.push(b'"');
    let text = std::str::from_utf8(raw).unwrap_or("").trim();
    let spec = text.strip_prefix("bytes").map(str::trim_start).unwrap_or("");
    let (range, size) = spec.split_once('/').unwrap_or((spec, ""));
    if let Some((a, b)) = range.split_once('-') {
        if let (Ok(a), Ok(b)) = (a.trim().parse::<u64>(), b.trim().parse::<u64>()) {
            let _ = write!(out, ",\"start\":{a},\"end\":{b}");
        }
    }
    if let Ok(n) = size.trim().parse::<u64>() {
        let _ = write!(out, ",\"size\":{n}");
    }
    out.push(b'}');
}

/// One `http` record: the header (client to server), `tx_id` and the
/// `http` object.
pub fn write_record(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, cfg: &HttpLogConfig, tx: &HttpTx) {
    h.write(out, eve);
    push_u64(out, "tx_id", tx.id);
    write_object(out, cfg, tx);
    end(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_headers_and_bodies_as_suricata_writes_them() {
        let cfg = crate::app::http::HttpConfig::default();
        let mut c = crate::app::http::HttpConn::new();
        let mut ev = Vec::new();
        c.parse(&cfg, 0, b"POST /hi HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na\x01b", &mut ev);
        c.parse(&cfg, 1, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", &mut ev);
        let tx = c.tx(0).unwrap();
        let log = HttpLogConfig { extended: false, dump_all_headers: Some(DumpHeaders::Both), ..Default::default() };
        let json = |out: Vec<u8>| -> serde_json::Value {
            let mut o = b"{\"x\":1".to_vec();
            o.extend_from_slice(&out);
            o.push(b'}');
            serde_json::from_slice(&o).unwrap()
        };
        let mut out = Vec::new();
        write_object(&mut out, &log, tx);
        let v = json(out);
        let h = &v["http"];
        assert_eq!(
            h["request_headers"],
            serde_json::json!([{"name": "Host", "value": "h"}, {"name": "Content-Length", "value": "3"}])
        );
        assert_eq!(h["response_headers"], serde_json::json!([{"name": "Content-Length", "value": "2"}]));
        let mut out = Vec::new();
        write_alert_object(&mut out, tx, true, true);
        let v = json(out);
        let h = &v["http"];
        assert_eq!(h["http_method"], "POST");
        assert_eq!(h["http_request_body_printable"], "a.b");
        assert_eq!(h["http_request_body"], "YQFi");
        assert_eq!(h["http_response_body"], "b2s=");
        // Off: neither headers nor bodies.
        let mut out = Vec::new();
        write_alert_object(&mut out, tx, false, false);
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("request_headers") && !text.contains("_body"), "{text}");
    }

    fn range(raw: &str) -> serde_json::Value {
        let mut out = Vec::new();
        write_content_range(&mut out, raw.as_bytes());
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn content_range_as_suricata_writes_it() {
        assert_eq!(
            range("bytes 500-999/1234"),
            serde_json::json!({"raw": "bytes 500-999/1234", "start": 500, "end": 999, "size": 1234})
        );
        assert_eq!(range("bytes 0-9/*"), serde_json::json!({"raw": "bytes 0-9/*", "start": 0, "end": 9}));
        assert_eq!(range("junk\""), serde_json::json!({"raw": "junk\""}));
    }
}
