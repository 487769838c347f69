//! Unit tests of the session glue (event queueing, DNS bookkeeping).

use super::*;

fn ctx(ports: (u16, u16)) -> TcpCtx<'static> {
    TcpCtx { ports, client4: [10, 0, 0, 1], expect: None }
}

#[test]
fn a_point_reported_twice_is_queued_once() {
    let cfg = AppConfig::default();
    let mut s = AppSession::new();
    let mut stats = AppStats::default();
    let mut ev = Vec::new();
    s.feed_tcp(
        &cfg,
        0,
        0,
        b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",
        &mut ctx((1234, 80)),
        &mut ev,
        &mut stats,
    );
    s.queue(&ev, &mut stats);
    // Junk after a complete response is appended to its body and the
    // parser reports the response complete again at the line end.
    for part in [&b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"[..], b"extra\n", b"more\n"] {
        ev.clear();
        s.feed_tcp(&cfg, 1, 0, part, &mut ctx((1234, 80)), &mut ev, &mut stats);
        s.queue(&ev, &mut stats);
    }
    let complete = s.take_pending(1).iter().filter(|e| e.progress == Progress::HttpResponseBody).count();
    assert_eq!(complete, 1);
}

#[test]
fn dns_messages_keep_their_direction_and_the_latest_stays() {
    let cfg = AppConfig::default();
    let mut s = AppSession::new();
    s.keep_for_log = true;
    let mut stats = AppStats::default();
    let mut ev = Vec::new();
    // A query, then a response sent by the client (it happens): the
    // direction is where it went, not what the QR bit says.
    let query = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0, 0, 1, 0, 1];
    let mut response = query;
    response[2] = 0x81;
    s.feed_udp(&cfg, (&query, true), (5000, 53), &mut ev, &mut stats);
    s.feed_udp(&cfg, (&response, true), (5000, 53), &mut ev, &mut stats);
    assert!(s.dns.iter().all(|(_, m)| m.to_server));
    assert_eq!(s.last_dns(true).map(|(id, m)| (id, m.is_response())), Some((1, true)));
    assert!(s.last_dns(false).is_none());
    // Logged and inspected, the latest one still stays.
    s.queue(&ev, &mut stats);
    let _ = (s.take_pending(0), s.take_pending(1));
    s.dns_mark_logged(2);
    assert_eq!(s.dns.len(), 1);
    assert_eq!(s.last_dns(true).map(|(id, _)| id), Some(1));
}
