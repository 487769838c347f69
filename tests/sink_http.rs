//! `type: splunk_hec` and `type: elasticsearch` sinks against a small
//! HTTP/1.1 server of the test's own (std `TcpListener`, a thread per
//! connection, keep-alive, `Content-Length` bodies, gzip). The server
//! checks every request (authorization, HEC envelope, bulk action lines,
//! index date, `_id`), stores what a real one would, and injects failures:
//! error statuses, withheld acknowledgements, per-item bulk errors, an
//! answer lost after the request was applied, an outage.

mod common;
#[path = "common/pki.rs"]
mod pki;

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::*;
use mirrorids::config::Config;
use mirrorids::output::records::EventType;
use mirrorids::output::sinks::fanout::Fanout;
use mirrorids::output::sinks::{self, DropReason, Records};
use pki::Ca;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const TOKEN: &str = "00000000-hec-token";
const API_KEY: &str = "ZXM6a2V5";

#[derive(Default)]
struct State {
    /// Statuses answered, without taking anything, to the next data requests.
    fail_next: VecDeque<u16>,
    /// Connections are closed without an answer (the peer is down).
    down: bool,
    /// HEC: ackIds below `slow_acks` turn true this long after their
    /// request, the others at once, except `withheld` ones: never.
    ack_delay: Duration,
    slow_acks: u64,
    withheld: Vec<u64>,
    /// ES: data requests (1-based) applied, then the connection closed unanswered.
    lose: Vec<u64>,
    data_requests: u64,
    ack_polls: u64,
    /// HEC events, in arrival order.
    events: Vec<Value>,
    acks: HashMap<u64, Instant>,
    /// ES documents, in creation order: (index, id, document).
    docs: Vec<(String, String, Value)>,
    ids: HashSet<String>,
    tried_429: HashSet<String>,
    conflicts: u64,
    /// What the server found wrong in a request (must stay empty).
    errors: Vec<String>,
}

struct Server {
    port: u16,
    https: bool,
    state: Arc<Mutex<State>>,
}

impl Server {
    fn start() -> Server {
        Server::start_with(None)
    }

    /// Over HTTPS, with a certificate from `ca` for localhost and 127.0.0.1.
    fn start_https(ca: &Ca) -> Server {
        let (cert, key) = ca.server();
        let chain = CertificateDer::pem_file_iter(&cert).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
        let key = PrivateKeyDer::from_pem_file(&key).unwrap();
        let config = ServerConfig::builder().with_no_client_auth().with_single_cert(chain, key).unwrap();
        Server::start_with(Some(Arc::new(config)))
    }

    fn start_with(tls: Option<Arc<ServerConfig>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let https = tls.is_some();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                conn.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
                let st = st.clone();
                match &tls {
                    None => std::thread::spawn(move || serve(conn, &st)),
                    Some(config) => {
                        let tls = ServerConnection::new(config.clone()).unwrap();
                        std::thread::spawn(move || serve(StreamOwned::new(tls, conn), &st))
                    }
                };
            }
        });
        Server { port, https, state }
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    fn url(&self) -> String {
        if self.https {
            format!("https://localhost:{}", self.port)
        } else {
            format!("http://127.0.0.1:{}", self.port)
        }
    }
}

/// One connection: requests one after another until it is closed.
/// (A failed TLS handshake reads as a closed connection.)
fn serve(conn: impl Read + Write, st: &Mutex<State>) {
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 || st.lock().unwrap().down {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        assert!(!headers.contains_key("transfer-encoding"), "bodies come with a Content-Length");
        let len: usize = headers.get("content-length").map_or(0, |v| v.parse().unwrap());
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        if headers.get("content-encoding").is_some_and(|e| e == "gzip") {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut plain).unwrap();
            body = plain;
        }
        let answer = route(&mut st.lock().unwrap(), &method, &path, &headers, &body);
        let Some((status, text)) = answer else { return };
        let head =
            format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", text.len());
        let w = r.get_mut();
        if w.write_all(head.as_bytes()).and_then(|_| w.write_all(text.as_bytes())).and_then(|_| w.flush()).is_err() {
            return;
        }
        if headers.get("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            return;
        }
    }
}

/// The answer to one request; `None`: close the connection unanswered.
fn route(st: &mut State, method: &str, path: &str, h: &HashMap<String, String>, body: &[u8]) -> Option<(u16, String)> {
    let mut check = |ok: bool, what: String| {
        if !ok {
            st.errors.push(what);
        }
    };
    check(method == "POST", format!("method {method}"));
    match path {
        "/services/collector/event" | "/services/collector/ack" => {
            check(h.get("authorization") == Some(&format!("Splunk {TOKEN}")), format!("auth {h:?}"));
        }
        "/_bulk" => {
            check(h.get("authorization") == Some(&format!("ApiKey {API_KEY}")), format!("auth {h:?}"));
            check(h.get("content-type").is_some_and(|c| c == "application/x-ndjson"), format!("type {h:?}"));
        }
        _ => check(false, format!("path {path}")),
    }
    if path == "/services/collector/ack" {
        st.ack_polls += 1;
        let req: Value = serde_json::from_slice(body).unwrap();
        let mut acks = serde_json::Map::new();
        for id in req["acks"].as_array().unwrap() {
            let id = id.as_u64().unwrap();
            let delay = if id < st.slow_acks { st.ack_delay } else { Duration::ZERO };
            let granted = st.acks.get(&id).is_some_and(|t| t.elapsed() >= delay) && !st.withheld.contains(&id);
            acks.insert(id.to_string(), Value::Bool(granted));
        }
        return Some((200, json!({ "acks": acks }).to_string()));
    }
    st.data_requests += 1;
    if let Some(status) = st.fail_next.pop_front() {
        return Some((status, r#"{"text":"Server is busy","code":9}"#.into()));
    }
    if path == "/_bulk" {
        let (status, text) = bulk(st, body);
        return (!st.lose.contains(&st.data_requests)).then_some((status, text));
    }
    for event in serde_json::Deserializer::from_slice(body).into_iter::<Value>() {
        let e = event.unwrap();
        let ev = &e["event"];
        let fields_ok = e["host"] == "sensor-1" && e["source"] == "mirrorids" && e["sourcetype"] == "suricata";
        let time_ok = match ev.get("epoch") {
            Some(epoch) => e["time"].as_f64().is_some_and(|t| (t - epoch.as_f64().unwrap() - 0.25).abs() < 1e-6),
            None => e["time"].as_f64().is_some_and(|t| t > 1.0e9),
        };
        let index_ok = e.get("index").is_none_or(|i| i == "main");
        if !(fields_ok && time_ok && index_ok && ev.is_object()) {
            st.errors.push(format!("envelope {e}"));
        }
        st.events.push(ev.clone());
    }
    match h.get("x-splunk-request-channel") {
        Some(channel) => {
            if channel.len() != 36 {
                st.errors.push(format!("channel {channel}"));
            }
            let id = st.acks.len() as u64;
            st.acks.insert(id, Instant::now());
            Some((200, json!({"text": "Success", "code": 0, "ackId": id}).to_string()))
        }
        None => Some((200, r#"{"text":"Success","code":0}"#.into())),
    }
}

/// A `_bulk` request: creates each document unless its id exists (409);
/// records with `n % 25 == 7` are mapping errors, `n % 10 == 3` get a
/// 429 the first time.
fn bulk(st: &mut State, body: &[u8]) -> (u16, String) {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() % 2, 0);
    let mut items = Vec::new();
    let mut errors = false;
    for pair in lines.chunks(2) {
        let action: Value = serde_json::from_str(pair[0]).unwrap();
        let (index, id) = (action["create"]["_index"].as_str().unwrap(), action["create"]["_id"].as_str().unwrap());
        let doc: Value = serde_json::from_str(pair[1]).unwrap();
        let want_id: String = Sha256::digest(pair[1].as_bytes())[..16].iter().map(|b| format!("{b:02x}")).collect();
        if id != want_id || doc.get("utc_day").is_some_and(|d| index != format!("mirrorids-{}", d.as_str().unwrap())) {
            st.errors.push(format!("action {} for {}", pair[0], pair[1]));
        }
        let n = doc["n"].as_u64().unwrap_or(1);
        let (status, error) = if st.ids.contains(id) {
            st.conflicts += 1;
            (409, Some("version_conflict_engine_exception"))
        } else if n % 25 == 7 {
            (400, Some("mapper_parsing_exception"))
        } else if n % 10 == 3 && st.tried_429.insert(id.to_string()) {
            (429, Some("es_rejected_execution_exception"))
        } else {
            st.ids.insert(id.to_string());
            st.docs.push((index.to_string(), id.to_string(), doc));
            (201, None)
        };
        let mut item = json!({"_index": index, "_id": id, "status": status});
        if let Some(t) = error {
            errors = true;
            item["error"] = json!({"type": t, "reason": format!("{t} for {id}")});
        }
        items.push(json!({ "create": item }));
    }
    (200, json!({"took": 1, "errors": errors, "items": items}).to_string())
}

/// Record `n`: a fixed time of day 00:30 at +01:00, so its UTC day is the
/// day before (what the index must say).
fn record(n: u64) -> String {
    let epoch = 1_704_065_400 + n; // 2024-01-01T00:30:00+01:00 = 2023-12-31T23:30:00Z
    let s = 30 * 60 + n;
    format!(
        "{{\"timestamp\":\"2024-01-01T00:{:02}:{:02}.250000+0100\",\"event_type\":\"alert\",\"n\":{n},\"epoch\":{epoch},\"utc_day\":\"2023.12.31\"}}",
        s / 60 % 60,
        s % 60
    )
}

/// Records `from..to` as one delivery.
fn block(from: u64, to: u64) -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
    let (mut lines, mut ranges) = (Vec::new(), Vec::new());
    for n in from..to {
        let start = lines.len();
        lines.extend_from_slice(record(n).as_bytes());
        lines.push(b'\n');
        ranges.push(start..lines.len());
    }
    (lines, ranges)
}

fn deliver(s: &mut Box<dyn sinks::Sink>, from: u64, to: u64) -> Result<usize, sinks::SinkError> {
    let (lines, ranges) = block(from, to);
    s.deliver(&Records { lines: &lines, ranges: &ranges })
}

fn hec(server: &Server, extra: &str) -> sinks::SinkConfig {
    sink(&format!(
        "type: splunk_hec\nname: hec\nsplunk_hec: {{ url: '{}', token: {TOKEN}, host: sensor-1, index: main, backoff_ms: 10, {extra} }}",
        server.url()
    ))
}

fn es(server: &Server, extra: &str) -> sinks::SinkConfig {
    sink(&format!(
        "type: elasticsearch\nname: es\nelasticsearch: {{ url: '{}/', api_key: {API_KEY}, backoff_ms: 10, {extra} }}",
        server.url()
    ))
}

fn numbers(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["n"].as_u64().unwrap()).collect()
}

#[test]
fn hec_and_bulk_get_every_replayed_record_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 2 << 20);
    let (splunk, elastic) = (Server::start(), Server::start());
    let mut cfg = Config::default();
    let mut h = hec(&splunk, "max_records: 7, gzip: true");
    h.types = vec!["alert".into(), "dns".into()];
    let mut e = es(&elastic, "max_records: 50");
    e.types = vec!["flow".into()];
    cfg.output.sinks = vec![h, e];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[pcap]).unwrap();
    let parse =
        |lines: Vec<String>| lines.iter().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect::<Vec<_>>();
    let want_hec = parse(lines_of_types(&eve, &["alert", "dns"]));
    let want_es = parse(lines_of_types(&eve, &["flow"]));
    assert!(want_hec.len() > 10 && want_es.len() > 10, "{} {}", want_hec.len(), want_es.len());
    let (s, e) = (splunk.st(), elastic.st());
    assert!(s.errors.is_empty() && e.errors.is_empty(), "{:?} {:?}", s.errors, e.errors);
    assert_eq!(s.events, want_hec, "HEC: every record once, in order");
    assert!(s.data_requests as usize >= want_hec.len() / 7);
    let docs: Vec<Value> = e.docs.iter().map(|d| d.2.clone()).collect();
    assert_eq!(docs, want_es, "bulk: every record once, in order");
    assert!(e.docs.iter().all(|d| d.0.starts_with("mirrorids-20")), "{:?}", e.docs[0]);
    for (name, n) in [("hec", want_hec.len()), ("es", want_es.len())] {
        let st = summary.sinks.iter().find(|s| s.name == name).unwrap();
        assert_eq!((st.delivered, st.dropped_total(), st.up), (n as u64, 0, true), "{st:?}");
    }
}

#[test]
fn hec_retries_busy_answers_and_gives_up_after_its_budget() {
    let server = Server::start();
    server.st().fail_next.extend([503, 429, 503, 500]);
    let mut s = sinks::open(&hec(&server, "max_records: 20, max_retries: 5")).unwrap();
    for b in 0..3 {
        assert_eq!(deliver(&mut s, b * 50, (b + 1) * 50).unwrap(), 0);
    }
    assert_eq!(numbers(&server.st().events), (0..150).collect::<Vec<_>>(), "each record once, in order");
    assert_eq!(server.st().data_requests, 9 + 4);

    // More failures than retries: the batches before are delivered, the rest is peer_down.
    let server = Server::start();
    let mut s = sinks::open(&hec(&server, "max_records: 20, max_retries: 2")).unwrap();
    assert_eq!(deliver(&mut s, 0, 20).unwrap(), 0);
    server.st().fail_next.extend([503; 3]);
    let e = deliver(&mut s, 20, 60).unwrap_err();
    assert_eq!((e.delivered, e.reason, e.rejected), (0, DropReason::PeerDown, 0), "{e:?}");
    assert!(!s.up());
    // Down: no request for a second, then one try that puts it back up.
    let before = server.st().data_requests;
    assert_eq!(deliver(&mut s, 20, 60).unwrap_err().delivered, 0);
    assert_eq!(server.st().data_requests, before);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(deliver(&mut s, 20, 60).unwrap(), 0);
    assert!(s.up());
    assert_eq!(numbers(&server.st().events), (0..60).collect::<Vec<_>>());
    assert!(server.st().errors.is_empty(), "{:?}", server.st().errors);
}

#[test]
fn hec_acknowledgements_withheld_then_granted_deliver_once() {
    let server = Server::start();
    server.st().ack_delay = Duration::from_millis(600);
    server.st().slow_acks = u64::MAX;
    let mut s =
        sinks::open(&hec(&server, "ack: true, ack_poll_ms: 100, ack_timeout_secs: 10, max_records: 25")).unwrap();
    let t = Instant::now();
    assert_eq!(deliver(&mut s, 0, 50).unwrap(), 0);
    assert!(t.elapsed() >= Duration::from_millis(1200), "two batches, each waits for its ack: {:?}", t.elapsed());
    assert_eq!(numbers(&server.st().events), (0..50).collect::<Vec<_>>(), "once each");
    assert!(server.st().ack_polls >= 4, "{}", server.st().ack_polls);

    // An ack that never comes in time: the batch is sent again (the one
    // documented case of a duplicate).
    let server = Server::start();
    // The first ack comes too late; the second at once.
    server.st().ack_delay = Duration::from_millis(1500);
    server.st().slow_acks = 1;
    let mut s = sinks::open(&hec(&server, "ack: true, ack_poll_ms: 100, ack_timeout_secs: 1")).unwrap();
    assert_eq!(deliver(&mut s, 0, 5).unwrap(), 0);
    assert_eq!(numbers(&server.st().events), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    assert!(server.st().errors.is_empty(), "{:?}", server.st().errors);

    // The re-send's ack never comes, the first send's comes late: that
    // late ack settles the batch, no third send.
    let server = Server::start();
    server.st().ack_delay = Duration::from_millis(1500);
    server.st().slow_acks = 1;
    server.st().withheld = vec![1];
    let mut s = sinks::open(&hec(&server, "ack: true, ack_poll_ms: 100, ack_timeout_secs: 1")).unwrap();
    assert_eq!(deliver(&mut s, 0, 5).unwrap(), 0);
    assert_eq!(server.st().data_requests, 2, "sent twice, not three times");
    assert_eq!(numbers(&server.st().events), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
}

#[test]
fn bulk_item_errors_are_retried_or_rejected_per_item_and_a_lost_answer_duplicates_nothing() {
    let server = Server::start();
    // The second request is applied, then its answer is lost.
    server.st().lose = vec![2];
    let mut s = sinks::open(&es(&server, "max_records: 50, max_retries: 6")).unwrap();
    let e = deliver(&mut s, 0, 200).unwrap_err();
    let mapping_errors = (0..200).filter(|n| n % 25 == 7).count();
    assert_eq!(
        (e.reason, e.rejected, e.delivered),
        (DropReason::WriteError, mapping_errors, 200 - mapping_errors),
        "{e:?}"
    );
    assert!(e.message.contains("mapper_parsing_exception"), "{}", e.message);
    let st = server.st();
    assert!(st.errors.is_empty(), "{:?}", st.errors);
    assert!(st.conflicts > 0, "the lost request was sent again and answered 409");
    let mut stored: Vec<u64> = st.docs.iter().map(|d| d.2["n"].as_u64().unwrap()).collect();
    assert_eq!(stored.len(), st.ids.len());
    stored.sort();
    assert_eq!(stored, (0..200).filter(|n| n % 25 != 7).collect::<Vec<_>>(), "each accepted record once");
    assert!(st.docs.iter().all(|d| d.0 == "mirrorids-2023.12.31"));
    drop(st);

    // 429 items beyond the retry budget: delivered = the prefix before the first one.
    let server = Server::start();
    let mut s = sinks::open(&es(&server, "max_retries: 0")).unwrap();
    let e = deliver(&mut s, 0, 20).unwrap_err();
    assert_eq!((e.reason, e.delivered, e.rejected), (DropReason::PeerDown, 3, 0), "{e:?}");
    std::thread::sleep(Duration::from_millis(1100));
    // Sent again from record 3: 0..3 are not sent twice, 3 and 13 go through now, 7 is rejected.
    let (lines, ranges) = block(0, 20);
    let e = s.deliver(&Records { lines: &lines, ranges: &ranges[3..] }).unwrap_err();
    assert_eq!((e.reason, e.delivered, e.rejected), (DropReason::WriteError, 16, 1), "{e:?}");
    assert_eq!(server.st().docs.len(), 19);
    assert_eq!(server.st().conflicts, 16 - 2, "the items applied the first time answer 409");
}

/// An outage of about three seconds while blocks flow through the fanout.
fn outage(spool: Option<&std::path::Path>) -> (Server, sinks::SinkStats, u64) {
    let server = Server::start();
    let mut cfg = hec(&server, "max_records: 8, max_retries: 3, max_retry_secs: 1, timeout_secs: 2");
    if let Some(dir) = spool {
        cfg.spool = sink(&format!("type: splunk_hec\nspool: {{ dir: {} }}", dir.display())).spool;
    }
    let mut fanout = Fanout::start(&[cfg]).unwrap();
    let monitor = fanout.monitor();
    let send = |fanout: &mut Fanout, b: u64| {
        for n in b * 10..(b + 1) * 10 {
            fanout.push(EventType::Alert, format!("{}\n", record(n)).as_bytes());
        }
        fanout.send();
    };
    for b in 0..10 {
        send(&mut fanout, b);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while monitor.snapshot()[0].delivered < 100 {
        assert!(Instant::now() < deadline, "{:?}", monitor.snapshot());
        std::thread::sleep(Duration::from_millis(10));
    }
    server.st().down = true;
    for b in 10..30 {
        send(&mut fanout, b);
        std::thread::sleep(Duration::from_millis(150));
    }
    let during = monitor.snapshot()[0].clone();
    assert!(!during.up, "{during:?}");
    if spool.is_some() {
        assert!(during.spooled > 0, "the outage went to the spool: {during:?}");
    }
    server.st().down = false;
    for b in 30..60 {
        send(&mut fanout, b);
        std::thread::sleep(Duration::from_millis(30));
    }
    fanout.close(Duration::from_secs(30));
    let s = monitor.snapshot()[0].clone();
    (server, s, during.spooled)
}

#[test]
fn an_outage_with_a_spool_loses_nothing_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, s, spooled) = outage(Some(&dir.path().join("spool")));
    eprintln!("outage with spool: {spooled} spooled during it, {s:?}");
    assert_eq!((s.delivered, s.dropped_total(), s.spooled, s.up), (600, 0, 0, true), "{s:?}");
    assert_eq!(numbers(&server.st().events), (0..600).collect::<Vec<_>>(), "every record once, in order");
    assert!(server.st().errors.is_empty());
}

#[test]
fn an_outage_without_a_spool_costs_counted_records_only() {
    let (server, s, _) = outage(None);
    eprintln!("outage without spool: {s:?}");
    let lost = s.dropped[DropReason::PeerDown.index()] + s.dropped[DropReason::QueueFull.index()];
    assert!(lost > 0 && s.up, "{s:?}");
    assert_eq!((s.delivered + lost, s.dropped_total()), (600, lost), "{s:?}");
    let got = numbers(&server.st().events);
    assert_eq!(got.len() as u64, s.delivered, "the server holds exactly the delivered records");
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order, none twice");
}

#[test]
fn configuration_errors_name_the_sink_and_the_field() {
    let err = |yaml: &str| sink(yaml).validate(3).unwrap_err();
    let e = err("type: splunk_hec\nname: siem\nsplunk_hec: { url: 'https://s:8088' }");
    assert!(e.contains("output.sinks[3] (siem)") && e.contains("splunk_hec.token"), "{e}");
    let e = err("type: elasticsearch\nelasticsearch: { url: 'es:9200' }");
    assert!(e.contains("elasticsearch-3") && e.contains("elasticsearch.url"), "{e}");
    let e = err("type: elasticsearch\nelasticsearch: { url: 'http://es:9200', index: 'EVE-%Y' }");
    assert!(e.contains("elasticsearch.index"), "{e}");
    let e = err("type: elasticsearch\nelasticsearch: { url: 'http://es:9200', username: u }");
    assert!(e.contains("elasticsearch.password"), "{e}");
    assert!(sink("type: splunk_hec\nsplunk_hec: { url: 'http://s', token: t }").validate(0).is_ok());
    let missing = sink("type: splunk_hec\nsplunk_hec: { url: 'https://s', token: t, ca_file: /nonexistent/ca.pem }");
    assert!(sinks::open(&missing).err().unwrap().contains("ca_file"));
}

#[test]
fn https_with_a_private_ca_delivers_and_an_untrusted_certificate_delivers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "siem");
    let server = Server::start_https(&ca);
    let trusted = format!("ca_file: '{}', max_records: 10, gzip: true", ca.ca_file().display());
    let mut s = sinks::open(&hec(&server, &trusted)).unwrap();
    assert_eq!(deliver(&mut s, 0, 30).unwrap(), 0);
    assert_eq!(numbers(&server.st().events), (0..30).collect::<Vec<_>>());
    assert!(s.up() && server.st().errors.is_empty(), "{:?}", server.st().errors);

    // The same server checked against another CA, then against the
    // system's roots: no record leaves, all count as peer_down.
    let other = Ca::new(dir.path(), "other");
    for extra in [format!("ca_file: '{}', ", other.ca_file().display()), String::new()] {
        let mut s = sinks::open(&hec(&server, &format!("{extra}max_retries: 1"))).unwrap();
        let e = deliver(&mut s, 30, 40).unwrap_err();
        assert_eq!((e.delivered, e.reason), (0, DropReason::PeerDown), "{e:?}");
        assert!(e.message.to_lowercase().contains("certificate"), "{}", e.message);
        assert!(!s.up());
    }
    assert_eq!(server.st().events.len(), 30, "nothing reached the server without trust");
}

/// A forward proxy that answers `CONNECT host:port` and then relays the
/// tunnel to `to`, whatever host was asked for; it records the targets.
fn connect_proxy(to: u16) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let targets = Arc::new(Mutex::new(Vec::new()));
    let seen = targets.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(client.try_clone().unwrap());
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                let mut h = String::new();
                while r.read_line(&mut h).unwrap_or(0) > 0 && h.trim_end() != "" {
                    h.clear();
                }
                let mut parts = line.split_whitespace();
                assert_eq!(parts.next(), Some("CONNECT"), "{line}");
                seen.lock().unwrap().push(parts.next().unwrap_or("").to_string());
                let mut client_w = client;
                client_w.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
                let upstream = TcpStream::connect(("127.0.0.1", to)).unwrap();
                let mut up_w = upstream.try_clone().unwrap();
                let mut up_r = upstream;
                std::thread::spawn(move || std::io::copy(&mut up_r, &mut client_w));
                let _ = std::io::copy(&mut r, &mut up_w);
                let _ = up_w.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (port, targets)
}

#[test]
fn the_environment_proxy_carries_the_records_and_no_proxy_bypasses_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start();
    let (proxy, targets) = connect_proxy(server.port);
    let run = |url: &str, env: &[(&str, String)]| {
        let cfg = dir.path().join("mirrorids.yaml");
        std::fs::write(
            &cfg,
            format!(
                "output:\n  sinks:\n    - type: splunk_hec\n      name: hec\n      types: [alert]\n      splunk_hec: {{ url: '{url}', token: {TOKEN}, host: sensor-1, index: main }}\n"
            ),
        )
        .unwrap();
        let eve = dir.path().join("eve.json");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mirrorids"))
            .args(["replay", "-c"])
            .arg(&cfg)
            .arg("--rules")
            .arg(repo().join("signatures"))
            .arg("--eve")
            .arg(&eve)
            .arg(repo().join("pcaps/mirror-demo.pcap"))
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        parse_alerts(&std::fs::read(&eve).unwrap()).len()
    };
    let via = format!("http://127.0.0.1:{proxy}");
    // A name only the proxy can reach: the sensor must not resolve it.
    let alerts =
        run("http://splunk.mirrorids.invalid:8088", &[("HTTPS_PROXY", via.clone()), ("HTTP_PROXY", via.clone())]);
    assert!(alerts >= 40, "{alerts}");
    assert_eq!(server.st().events.len(), alerts, "every alert through the proxy");
    let tunnels = targets.lock().unwrap().clone();
    assert!(!tunnels.is_empty() && tunnels.iter().all(|t| t == "splunk.mirrorids.invalid:8088"), "{tunnels:?}");

    let direct = format!("http://127.0.0.1:{}", server.port);
    let alerts = run(&direct, &[("HTTP_PROXY", via), ("NO_PROXY", "localhost,127.0.0.1".into())]);
    assert_eq!(server.st().events.len(), 2 * alerts, "NO_PROXY: straight to the server");
    assert_eq!(targets.lock().unwrap().len(), tunnels.len(), "the proxy saw no new tunnel");
    assert!(server.st().errors.is_empty(), "{:?}", server.st().errors);
}
