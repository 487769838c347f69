//! The endpoints over a real loopback socket.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::control::snapshot::LiveSnapshot;

struct Server {
    addr: SocketAddr,
    state: Arc<SensorState>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(serve_metrics: bool, stall_after: Duration, limit: usize) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = SensorState::new(1);
    let telemetry = Some(Telemetry::install().unwrap());
    let app = Arc::new(ControlApp { state: state.clone(), telemetry, serve_metrics, stall_after });
    let (stop, rx) = watch::channel(false);
    let task = tokio::spawn(serve_limited(listener, app, rx, limit));
    Server { addr, state, stop, task }
}

/// Sends raw bytes and half-closes, returns (status code, whole response
/// as text); status 0 when the server closed without answering.
async fn send(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(raw).await;
    let _ = s.shutdown().await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, text)
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    send(addr, format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[tokio::test]
async fn health_follows_rules_and_worker_progress() {
    let stall = Duration::from_millis(150);
    let srv = start(false, stall, 8).await;
    let (code, r) = get(srv.addr, "/health").await;
    assert_eq!(code, 503, "{r}");
    assert!(body(&r).contains("rules not loaded"), "{r}");
    assert!(r.contains("Connection: close") && r.contains("Content-Type: text/plain"), "{r}");

    srv.state.set_rules_loaded(true);
    // A beat just before the request keeps the worker fresh; a slow
    // machine may need another try, never the other way round.
    let mut healthy = None;
    for _ in 0..50 {
        srv.state.beat(0);
        let (code, r) = get(srv.addr, "/healthz").await;
        if code == 200 {
            healthy = Some(r);
            break;
        }
    }
    assert_eq!(healthy.as_deref().map(body), Some("ok\n"));

    // No beats for longer than stall_after: the worker is named.
    tokio::time::sleep(stall * 2).await;
    let (code, r) = get(srv.addr, "/").await;
    assert_eq!(code, 503, "{r}");
    assert!(body(&r).starts_with("worker 0 stalled for "), "{r}");

    srv.state.beat(0);
    let mut recovered = false;
    for _ in 0..50 {
        srv.state.beat(0);
        if get(srv.addr, "/health?verbose=1").await.0 == 200 {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "healthy again after the worker beats");

    srv.state.set_draining(true);
    let (code, r) = get(srv.addr, "/health").await;
    assert_eq!(code, 503);
    assert!(body(&r).contains("draining (shutting down)"), "{r}");

    let _ = srv.stop.send(true);
    tokio::time::timeout(Duration::from_secs(5), srv.task).await.expect("serve returns on shutdown").unwrap();
}

#[tokio::test]
async fn metrics_are_served_only_where_enabled() {
    let srv = start(true, Duration::from_secs(60), 8).await;
    let t = Telemetry::install().unwrap();
    let mut snap = LiveSnapshot::default();
    snap.ruleset.generation = 1;
    t.publish(&snap);
    let (code, r) = get(srv.addr, "/metrics").await;
    assert_eq!(code, 200, "{r}");
    assert!(r.contains("Content-Type: text/plain; version=0.0.4"), "{r}");
    for name in ["mirrorids_alerts_written_total", "mirrorids_ruleset_generation", "mirrorids_build_info"] {
        assert!(body(&r).contains(name), "{name} missing");
    }
    let (code, r) = send(srv.addr, b"HEAD /metrics HTTP/1.1\r\n\r\n").await;
    assert_eq!(code, 200);
    assert!(body(&r).is_empty(), "HEAD has no body: {r}");
    assert!(!r.contains("Content-Length: 0\r\n"), "HEAD gives the GET length: {r}");

    let health_only = start(false, Duration::from_secs(60), 8).await;
    assert_eq!(get(health_only.addr, "/metrics").await.0, 404);
}

#[tokio::test]
async fn garbage_is_answered_or_closed_without_harm() {
    let srv = start(true, Duration::from_secs(60), 8).await;
    // An NLB TCP health check: connect, then close without a byte.
    drop(TcpStream::connect(srv.addr).await.unwrap());
    let cases: &[(&[u8], u16)] = &[
        (b"POST /health HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405),
        (b"GET /nope HTTP/1.1\r\n\r\n", 404),
        (b"GET /health HTTP/2.0\r\n\r\n", 400),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
        (b"\x00\xff\xfe garbage \x01\r\n\r\n", 400),
        (b"GET\r\n\r\n", 400),
        (b"get /health HTTP/1.1\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\nHost: x\r\n", 400),
        (b"GET /health HTTP/1.0\n\n", 503),
    ];
    for (raw, expected) in cases {
        let (code, r) = send(srv.addr, raw).await;
        assert_eq!(code, *expected, "{:?}: {r}", String::from_utf8_lossy(raw));
    }
    let mut huge = b"GET /health HTTP/1.1\r\nX-Junk: ".to_vec();
    huge.resize(MAX_HEAD + 100, b'a');
    assert_eq!(send(srv.addr, &huge).await.0, 431);
    // A head that is exactly too big arrives in pieces.
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    for chunk in huge.chunks(1000) {
        if s.write_all(chunk).await.is_err() {
            break;
        }
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    assert!(out.starts_with(b"HTTP/1.1 431"), "{}", String::from_utf8_lossy(&out));
    // Still serving.
    assert_eq!(get(srv.addr, "/health").await.0, 503);
}

#[tokio::test]
async fn connections_over_the_limit_are_closed() {
    let srv = start(false, Duration::from_secs(60), 2).await;
    let idle: Vec<TcpStream> =
        vec![TcpStream::connect(srv.addr).await.unwrap(), TcpStream::connect(srv.addr).await.unwrap()];
    // Let the server accept both before the third arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(srv.addr).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(3), third.read(&mut buf)).await;
    assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "closed at once, got {n:?}");
    drop(idle);
    let mut served = false;
    for _ in 0..50 {
        if get(srv.addr, "/health").await.0 == 503 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "permits come back when connections close");
}

#[test]
fn request_lines() {
    assert_eq!(request_line("GET /health HTTP/1.1"), Some(("GET", "/health")));
    assert_eq!(request_line("HEAD / HTTP/1.0"), Some(("HEAD", "/")));
    for bad in
        ["", "GET", "GET /", "GET  /health HTTP/1.1", "GET health HTTP/1.1", "GET / HTTP/1.1 x", "G3T / HTTP/1.1"]
    {
        assert_eq!(request_line(bad), None, "{bad:?}");
    }
    assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\n"), Some(18));
    assert_eq!(head_end(b"GET / HTTP/1.1\n\nbody"), Some(16));
    assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
}

/// Feeds `pieces` to a head reader as separate reads, then a close.
fn read_in(pieces: &[&[u8]]) -> Head {
    let mut r = HeadReader::default();
    for p in pieces {
        let mut p = *p;
        while !p.is_empty() {
            let spare = r.spare();
            let n = p.len().min(spare.len());
            spare[..n].copy_from_slice(&p[..n]);
            p = &p[n..];
            if let Some(h) = r.filled(n) {
                return h;
            }
        }
    }
    r.filled(0).unwrap()
}

#[test]
fn head_reader_whatever_the_reads() {
    let want = Head::Complete(b"GET / HTTP/1.1\r\n\r\n".to_vec());
    assert_eq!(read_in(&[b"GET / HTTP/1.1\r\n\r\nignored"]), want);
    // The terminator split over two and four reads.
    assert_eq!(read_in(&[b"GET / HTTP/1.1\r\n\r", b"\n"]), want);
    assert_eq!(read_in(&[b"GET / HTTP/1.1", b"\r", b"\n\r", b"\n"]), want);
    assert_eq!(read_in(&[]), Head::Empty);
    assert_eq!(read_in(&[b"GET / HTTP/1.1\r\n"]), Head::Partial);
    assert_eq!(read_in(&[&[b'a'; MAX_HEAD]]), Head::TooLarge);
    // A terminator right at the limit still completes.
    let mut exact = vec![b'a'; MAX_HEAD - 4];
    exact.extend_from_slice(b"\r\n\r\n");
    assert_eq!(read_in(&[&exact]), Head::Complete(exact.clone()));
}
