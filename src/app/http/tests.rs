//! Connection-level tests: whole requests and responses through
//! [`HttpConn`], well-formed, odd, truncated and hostile.

use super::*;

fn feed(conn: &mut HttpConn, cfg: &HttpConfig, dir: usize, data: &[u8]) -> Vec<HttpEvent> {
    let mut ev = Vec::new();
    conn.parse(cfg, dir, data, &mut ev);
    ev
}

fn header<'a>(h: &'a [Header], name: &str) -> Option<&'a [u8]> {
    h.iter().find(|h| h.name.eq_ignore_ascii_case(name.as_bytes())).map(|h| &h.value[..])
}

#[test]
fn pipelined_requests_pair_with_responses_in_order() {
    let cfg = HttpConfig::default();
    let mut c = HttpConn::new();
    let ev = feed(&mut c, &cfg, 0, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n");
    assert!(ev.contains(&HttpEvent::RequestHeaders(0)) && ev.contains(&HttpEvent::RequestHeaders(1)));
    let ev = feed(
        &mut c,
        &cfg,
        1,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(ev.contains(&HttpEvent::ResponseComplete(0)) && ev.contains(&HttpEvent::ResponseComplete(1)));
    let (t0, t1) = (c.tx(0).unwrap(), c.tx(1).unwrap());
    assert_eq!(t0.request.uri_raw, b"/a");
    assert_eq!(t0.response.body, b"hi");
    assert_eq!(t1.request.uri_raw, b"/b");
    assert_eq!(t1.response.status_code, b"404");
    assert_eq!(t1.response.status_msg, b"Nope");
}

#[test]
fn chunked_gzip_body_is_decoded_whatever_the_cut() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"secret payload inside").unwrap();
    let z = gz.finish().unwrap();
    let mut msg = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    for part in z.chunks(7) {
        msg.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        msg.extend_from_slice(part);
        msg.extend_from_slice(b"\r\n");
    }
    msg.extend_from_slice(b"0\r\n\r\n");
    let cfg = HttpConfig::default();
    for cut in [msg.len(), 64, 3, 2, 1] {
        let mut c = HttpConn::new();
        feed(&mut c, &cfg, 0, b"GET / HTTP/1.1\r\n\r\n");
        let mut ev = Vec::new();
        for piece in msg.chunks(cut) {
            c.parse(&cfg, 1, piece, &mut ev);
        }
        assert!(
            ev.contains(&HttpEvent::ResponseComplete(0)),
            "cut {cut}: {ev:?} {:?}",
            String::from_utf8_lossy(&c.tx(0).unwrap().response.body)
        );
        assert_eq!(c.tx(0).unwrap().response.body, b"secret payload inside", "cut {cut}");
    }
}

#[test]
fn folded_headers_and_normalised_uri() {
    let cfg = HttpConfig::default();
    let mut c = HttpConn::new();
    feed(&mut c, &cfg, 0, b"GET /a/../b/%2e%2e/c%41?q=%20 HTTP/1.1\r\nX-Long: one\r\n two\r\n\r\n");
    let tx = c.tx(0).unwrap();
    assert_eq!(header(&tx.request.headers, "x-long"), Some(&b"one two"[..]));
    assert_eq!(tx.request.uri_raw, b"/a/../b/%2e%2e/c%41?q=%20");
    assert_eq!(tx.request.uri_normalized, b"/cA?q= ");
}

#[test]
fn body_limit_truncates_and_counts() {
    let cfg = HttpConfig { request_body_limit: 4, ..HttpConfig::default() };
    let mut c = HttpConn::new();
    let ev = feed(&mut c, &cfg, 0, b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789");
    assert!(ev.contains(&HttpEvent::RequestComplete(0)));
    let tx = c.tx(0).unwrap();
    assert_eq!(tx.request.body, b"0123");
    assert!(tx.request.body_truncated);
    assert!(c.stats().body_bytes_truncated > 0);
}

#[test]
fn transactions_are_bounded() {
    let cfg = HttpConfig { max_transactions: 4, ..HttpConfig::default() };
    let mut c = HttpConn::new();
    for _ in 0..10 {
        feed(&mut c, &cfg, 0, b"GET / HTTP/1.1\r\n\r\n");
    }
    assert_eq!(c.stats().tx_dropped, 6);
    assert!(c.tx(5).is_none() && c.tx(9).is_some());
}

#[test]
fn response_without_length_completes_at_close() {
    let cfg = HttpConfig::default();
    let mut c = HttpConn::new();
    feed(&mut c, &cfg, 0, b"GET / HTTP/1.0\r\n\r\n");
    let ev = feed(&mut c, &cfg, 1, b"HTTP/1.0 200 OK\r\n\r\nuntil close");
    assert!(!ev.contains(&HttpEvent::ResponseComplete(0)));
    let mut ev = Vec::new();
    c.close(&cfg, 1, &mut ev);
    assert!(ev.contains(&HttpEvent::ResponseComplete(0)));
    assert_eq!(c.tx(0).unwrap().response.body, b"until close");
}

#[test]
fn garbage_and_gaps_never_panic() {
    let cfg = HttpConfig { max_header_bytes: 64, ..HttpConfig::default() };
    let mut c = HttpConn::new();
    let mut ev = Vec::new();
    let mut x = 12345u32;
    for i in 0..2000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let b = [(x >> 16) as u8, b'\r', b'\n', b' ', b':', (x >> 8) as u8];
        c.parse(&cfg, i % 2, &b[..(x as usize % 6) + 1], &mut ev);
        if i % 97 == 0 {
            c.gap(&cfg, i % 2, u64::from(x % 5000), &mut ev);
        }
    }
    c.close(&cfg, 0, &mut ev);
    c.close(&cfg, 1, &mut ev);
}

#[test]
fn chunked_response_completes_without_waiting_for_more_data() {
    let cfg = HttpConfig::default();
    for msg in [
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"[..],
        &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"[..],
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"[..],
    ] {
        let mut c = HttpConn::new();
        feed(&mut c, &cfg, 0, b"GET / HTTP/1.1\r\n\r\n");
        let ev = feed(&mut c, &cfg, 1, msg);
        assert_eq!(ev, [HttpEvent::ResponseHeaders(0), HttpEvent::ResponseComplete(0)], "{msg:?}");
        assert_eq!(c.tx(0).unwrap().response.body, b"hello");
    }
}

#[test]
fn progress_is_named_as_suricata_logs_it() {
    let cfg = HttpConfig::default();
    let mut c = HttpConn::new();
    feed(&mut c, &cfg, 0, b"POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab");
    assert_eq!(c.tx(0).unwrap().progress_names(), ("request_body", "response_started"));
    feed(&mut c, &cfg, 0, b"cd");
    feed(&mut c, &cfg, 1, b"HTTP/1.1 200 OK\r\n");
    assert_eq!(c.tx(0).unwrap().progress_names(), ("request_complete", "response_headers"));
    feed(&mut c, &cfg, 1, b"Content-Length: 3\r\n\r\nx");
    assert_eq!(c.tx(0).unwrap().progress_names(), ("request_complete", "response_body"));
    feed(&mut c, &cfg, 1, b"yz");
    assert_eq!(c.tx(0).unwrap().progress_names(), ("request_complete", "response_complete"));
}
