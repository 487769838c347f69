//! `type: redis` sinks against a real `redis-server`, started by each test
//! as its own child on a free loopback port (skipped, saying so, when
//! redis-server is not installed: `scripts/setup.sh --lint` installs it).
//! The test talks to Redis with a small RESP client of its own.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use mirrorids::config::Config;
use mirrorids::output::sinks::{self, DropReason, Records};

fn have_redis() -> bool {
    let ok = Command::new("redis-server").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: redis-server is not installed (apt-get install redis-server, or scripts/setup.sh --lint)");
    }
    ok
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A redis-server child, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(port: u16, dir: &Path, extra: &[&str]) -> Server {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no"])
            .args(["--dir", dir.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting redis-server");
        let s = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut c) = Client::connect(port) {
                match c.cmd(&["PING"]) {
                    V::Status(p) if p == "PONG" => break,
                    V::Err(e) if e.starts_with("NOAUTH") => break,
                    _ => {}
                }
            }
            assert!(Instant::now() < deadline, "redis-server on port {port} did not answer PING");
            std::thread::sleep(Duration::from_millis(20));
        }
        s
    }

    fn client(&self) -> Client {
        Client::connect(self.port).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, PartialEq)]
enum V {
    Status(String),
    Err(String),
    Int(i64),
    Bulk(Option<String>),
    Arr(Vec<V>),
}

impl V {
    fn strings(self) -> Vec<String> {
        match self {
            V::Arr(a) => a.into_iter().map(|v| if let V::Bulk(Some(s)) = v { s } else { panic!("{v:?}") }).collect(),
            v => panic!("not an array: {v:?}"),
        }
    }
}

/// Just enough RESP2 for the test's own commands.
struct Client {
    r: BufReader<TcpStream>,
}

impl Client {
    fn connect(port: u16) -> std::io::Result<Client> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Client { r: BufReader::new(s) })
    }

    fn send(&mut self, args: &[&str]) {
        let mut b = format!("*{}\r\n", args.len());
        for a in args {
            b.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.r.get_mut().write_all(b.as_bytes()).unwrap();
    }

    fn cmd(&mut self, args: &[&str]) -> V {
        self.send(args);
        self.read()
    }

    fn read(&mut self) -> V {
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        let line = line.trim_end_matches("\r\n");
        let (kind, rest) = line.split_at(1);
        match kind {
            "+" => V::Status(rest.into()),
            "-" => V::Err(rest.into()),
            ":" => V::Int(rest.parse().unwrap()),
            "$" => {
                let n: i64 = rest.parse().unwrap();
                if n < 0 {
                    return V::Bulk(None);
                }
                let mut b = vec![0; n as usize + 2];
                std::io::Read::read_exact(&mut self.r, &mut b).unwrap();
                b.truncate(n as usize);
                V::Bulk(Some(String::from_utf8(b).unwrap()))
            }
            "*" => {
                let n: i64 = rest.parse().unwrap();
                V::Arr((0..n.max(0)).map(|_| self.read()).collect())
            }
            _ => panic!("unexpected reply {line:?}"),
        }
    }
}

#[test]
fn list_rpush_and_channel_get_exactly_their_records_in_order() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 2 << 20);
    let server = Server::start(free_port(), dir.path(), &[]);
    // The subscriber is subscribed before the replay starts.
    let mut sub = server.client();
    assert_eq!(
        sub.cmd(&["SUBSCRIBE", "eve-alerts"]),
        V::Arr(vec![V::Bulk(Some("subscribe".into())), V::Bulk(Some("eve-alerts".into())), V::Int(1)])
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || loop {
        match sub.read() {
            V::Arr(m) if m.len() == 3 => {
                if let V::Bulk(Some(s)) = &m[2] {
                    if tx.send(s.clone()).is_err() {
                        return;
                    }
                }
            }
            other => panic!("subscriber got {other:?}"),
        }
    });

    let port = server.port;
    let mut cfg = Config::default();
    cfg.output.sinks = vec![
        sink(&format!(
            "type: redis\nname: list\ntypes: [alert, dns]\nredis: {{ server: '127.0.0.1:{port}', key: eve-list }}"
        )),
        sink(&format!(
            "type: redis\nname: rpush\ntypes: [flow]\nredis: {{ server: 'localhost:{port}', mode: rpush, key: eve-flow, db: 2, batch: 7 }}"
        )),
        sink(&format!("type: redis\nname: pub\ntypes: [alert]\nredis: {{ server: '127.0.0.1:{port}', mode: channel, key: eve-alerts }}")),
    ];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[pcap]).unwrap();
    let want_list = lines_of_types(&eve, &["alert", "dns"]);
    let want_flow = lines_of_types(&eve, &["flow"]);
    let want_alerts = lines_of_types(&eve, &["alert"]);
    assert!(want_alerts.len() > 10 && want_flow.len() > 10, "{} {}", want_alerts.len(), want_flow.len());

    let mut c = server.client();
    // LPUSH: newest first in the list, so reversed it is the EVE order...
    let mut list = c.cmd(&["LRANGE", "eve-list", "0", "-1"]).strings();
    list.reverse();
    assert_eq!(list, want_list, "list: one LPUSH per record, in order");
    // ... and a consumer popping from the tail gets them in EVE order.
    for want in &want_list[..3] {
        assert_eq!(c.cmd(&["BRPOP", "eve-list", "1"]).strings(), vec!["eve-list".to_string(), want.clone()]);
    }
    assert_eq!(c.cmd(&["LLEN", "eve-flow"]), V::Int(0), "the rpush sink writes to db 2");
    assert_eq!(c.cmd(&["SELECT", "2"]), V::Status("OK".into()));
    assert_eq!(c.cmd(&["LRANGE", "eve-flow", "0", "-1"]).strings(), want_flow, "rpush: in order, across batches of 7");

    let mut got = Vec::new();
    while got.len() < want_alerts.len() {
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(m) => got.push(m),
            Err(_) => break,
        }
    }
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "no more than the alerts");
    assert_eq!(got, want_alerts, "channel: the subscriber gets every alert, in order");

    let by_name = |n: &str| summary.sinks.iter().find(|s| s.name == n).unwrap().clone();
    assert_eq!(by_name("list").delivered, want_list.len() as u64);
    assert_eq!(by_name("rpush").delivered, want_flow.len() as u64);
    assert_eq!(by_name("pub").delivered, want_alerts.len() as u64);
    for s in &summary.sinks {
        assert_eq!(s.dropped_total(), 0, "{s:?}");
        assert!(s.up, "{s:?}");
    }
}

#[test]
fn auth_select_and_refused_records_are_counted_apart() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 2 << 20);
    let server = Server::start(free_port(), dir.path(), &["--requirepass", "s3cret"]);
    let mut c = server.client();
    assert_eq!(c.cmd(&["AUTH", "s3cret"]), V::Status("OK".into()));
    // A string where the sink expects a list: every LPUSH gets WRONGTYPE.
    assert_eq!(c.cmd(&["SET", "not-a-list", "x"]), V::Status("OK".into()));
    let port = server.port;
    let mut cfg = Config::default();
    let redis = |name: &str, opts: &str| {
        sink(&format!("type: redis\nname: {name}\ntypes: [alert]\nredis: {{ server: '127.0.0.1:{port}', {opts} }}"))
    };
    cfg.output.sinks = vec![
        redis("acl", "username: default, password: s3cret, key: ok, db: 5"),
        redis("wrong-password", "password: nope, key: ok2"),
        redis("no-password", "key: ok3"),
        redis("wrongtype", "password: s3cret, key: not-a-list"),
    ];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[pcap]).unwrap();
    let alerts = lines_of_types(&eve, &["alert"]);
    let by_name = |n: &str| summary.sinks.iter().find(|s| s.name == n).unwrap().clone();
    assert_eq!(by_name("acl").delivered, alerts.len() as u64);
    assert_eq!(c.cmd(&["SELECT", "5"]), V::Status("OK".into()));
    assert_eq!(c.cmd(&["LLEN", "ok"]), V::Int(alerts.len() as i64));
    for name in ["wrong-password", "no-password"] {
        let s = by_name(name);
        assert_eq!(s.delivered, 0, "{s:?}");
        assert!(!s.up);
        let lost = s.dropped[DropReason::PeerDown.index()] + s.dropped[DropReason::QueueFull.index()];
        assert_eq!(lost, alerts.len() as u64, "{s:?}");
    }
    let s = by_name("wrongtype");
    assert_eq!((s.delivered, s.dropped[DropReason::WriteError.index()]), (0, alerts.len() as u64), "{s:?}");
    assert!(s.up, "refused records are not an outage: {s:?}");
}

#[test]
fn a_server_that_is_not_there_costs_counted_records_only() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 2 << 20);
    let mut cfg = Config::default();
    cfg.output.sinks =
        vec![sink(&format!("type: redis\nname: absent\nredis: {{ server: '127.0.0.1:{}' }}", free_port()))];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[pcap]).unwrap();
    let all = String::from_utf8_lossy(&eve).lines().count() as u64;
    let s = &summary.sinks[0];
    assert_eq!(s.delivered, 0);
    assert!(!s.up);
    assert!(s.dropped[DropReason::PeerDown.index()] > 0, "{s:?}");
    assert_eq!(s.dropped[DropReason::PeerDown.index()] + s.dropped[DropReason::QueueFull.index()], all, "{s:?}");
}

/// Driven block by block (not through a replay) so the outage falls at a
/// known place: acknowledged records survive a SIGKILL (the server
/// fsyncs its append-only file before answering), the records sent while
/// it is down are counted, none is sent twice after the reconnect.
#[test]
fn a_server_killed_and_restarted_loses_only_counted_records_and_duplicates_none() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let durable = ["--appendonly", "yes", "--appendfsync", "always"];
    let mut server = Server::start(port, dir.path(), &durable);
    let cfg = sink(&format!("type: redis\nredis: {{ server: '127.0.0.1:{port}', mode: rpush, key: k, batch: 4 }}"));
    let mut s = sinks::open(&cfg).unwrap();
    const BLOCK: usize = 10;
    let mut lines = Vec::new();
    let mut ranges = Vec::new();
    for i in 0..400 {
        let start = lines.len();
        lines.extend_from_slice(format!("{{\"event_type\":\"alert\",\"n\":{i}}}\n").as_bytes());
        ranges.push(start..lines.len());
    }
    let (mut delivered, mut dropped) = (Vec::new(), 0);
    let mut deliver = |s: &mut Box<dyn sinks::Sink>, block: usize| {
        let r = &ranges[block * BLOCK..(block + 1) * BLOCK];
        let n = match s.deliver(&Records { lines: &lines, ranges: r }) {
            Ok(refused) => {
                assert_eq!(refused, 0);
                BLOCK
            }
            Err(e) => {
                assert_eq!((e.reason, e.rejected), (DropReason::PeerDown, 0), "{e:?}");
                e.delivered
            }
        };
        for x in &r[..n] {
            delivered.push(String::from_utf8_lossy(&lines[x.start..x.end - 1]).into_owned());
        }
        dropped += BLOCK - n;
    };
    for b in 0..10 {
        deliver(&mut s, b);
    }
    drop(server);
    for b in 10..15 {
        deliver(&mut s, b);
    }
    assert!(!s.up());
    server = Server::start(port, dir.path(), &durable);
    // 2.5 s of blocks: the sink tries again at most once a second.
    for b in 15..40 {
        deliver(&mut s, b);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(s.up(), "reconnected within a second or so");
    eprintln!("outage: {} delivered, {dropped} counted peer_down", delivered.len());
    assert_eq!(delivered.len() + dropped, 400);
    assert!(delivered.len() >= 100 + 100 && dropped >= 50, "{} delivered, {dropped} dropped", delivered.len());
    let list = server.client().cmd(&["LRANGE", "k", "0", "-1"]).strings();
    assert_eq!(list, delivered, "every acknowledged record once, in order; nothing else");
}

/// The same outage through the fanout with an on-disk spool: nothing is
/// lost and nothing is written twice; the list ends up exactly as if
/// Redis had never gone away.
#[test]
fn with_a_spool_an_outage_loses_nothing_and_duplicates_nothing() {
    if !have_redis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let durable = ["--appendonly", "yes", "--appendfsync", "always"];
    let mut server = Server::start(port, dir.path(), &durable);
    let spool = dir.path().join("spool");
    let cfg = sink(&format!(
        "type: redis\nname: siem\nredis: {{ server: '127.0.0.1:{port}', mode: rpush, key: k, batch: 4 }}\nspool: {{ dir: {} }}",
        spool.display()
    ));
    let mut fanout = mirrorids::output::sinks::fanout::Fanout::start(&[cfg]).unwrap();
    let monitor = fanout.monitor();
    for b in 0..10 {
        push_numbered_block(&mut fanout, b);
    }
    // Nothing in flight when it dies: every record is either answered or not yet sent.
    wait_delivered(&monitor, 100);
    drop(server);
    for b in 10..15 {
        push_numbered_block(&mut fanout, b);
        std::thread::sleep(Duration::from_millis(100));
    }
    let during = monitor.snapshot()[0].clone();
    assert!(during.spooled > 0 && !during.up, "the outage went to the spool: {during:?}");
    server = Server::start(port, dir.path(), &durable);
    for b in 15..40 {
        push_numbered_block(&mut fanout, b);
        std::thread::sleep(Duration::from_millis(50));
    }
    fanout.close(Duration::from_secs(20));
    let s = &monitor.snapshot()[0];
    eprintln!("outage with spool: {} spooled during it, {s:?}", during.spooled);
    assert_eq!((s.delivered, s.dropped_total(), s.spooled), (400, 0, 0), "{s:?}");
    let list = server.client().cmd(&["LRANGE", "k", "0", "-1"]).strings();
    assert_eq!(list, (0..400).map(numbered_line).collect::<Vec<_>>(), "every record once, in order");
}
