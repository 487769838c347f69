//! The `syslog` sink against a real rsyslogd, started by each test as its
//! own process, on free loopback ports, with its state in a temporary
//! directory. rsyslog parses each message as RFC 5424 and writes its
//! fields and MSG to a file, which the tests compare with the EVE output.
//! Skipped (with a message) where rsyslogd is not installed;
//! `scripts/setup.sh --lint` installs it.

mod common;

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use mirrorids::config::Config;
use mirrorids::output::sinks::{DropReason, Records};

fn rsyslogd() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("rsyslogd"))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("SKIPPED: rsyslogd is not installed (apt-get install rsyslog, or scripts/setup.sh --lint)");
    }
    found
}

fn free_port() -> u16 {
    // Free for both protocols, so either input may take it.
    loop {
        let t = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = t.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// One message as rsyslog parsed it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Parsed {
    pri: u32,
    app: String,
    procid: String,
    msgid: String,
    host: String,
    msg: String,
}

struct Rsyslog {
    child: Child,
    out: PathBuf,
    udp: u16,
    tcp: u16,
}

impl Rsyslog {
    fn start(bin: &Path, dir: &Path, udp: u16, tcp: u16) -> Rsyslog {
        let out = dir.join("received.log");
        let conf = dir.join("rsyslog.conf");
        // `|` separates the fields: none of them holds one but MSG, the last.
        std::fs::write(
            &conf,
            format!(
                r#"global(workDirectory="{dir}" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
template(name="fields" type="string" string="%pri%|%app-name%|%procid%|%msgid%|%hostname%|%msg%\n")
ruleset(name="out") {{ action(type="omfile" file="{out}" template="fields") }}
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="out" rcvbufSize="16m")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="out")
"#,
                dir = dir.display(),
                out = out.display(),
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let r = Rsyslog { child, out, udp, tcp };
        // Ready when TCP accepts and a UDP probe has come through.
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", tcp)).is_err() {
            assert!(Instant::now() < deadline, "rsyslogd did not listen on TCP {tcp}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        while !r.received().iter().any(|p| p.app == "probe") {
            assert!(Instant::now() < deadline, "rsyslogd did not take UDP on {udp}");
            let _ = probe.send_to(b"<14>1 - - probe - - - ready", ("127.0.0.1", udp));
            std::thread::sleep(Duration::from_millis(100));
        }
        r
    }

    fn received(&self) -> Vec<Parsed> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.splitn(6, '|').collect();
                Some(Parsed {
                    pri: f.first()?.parse().ok()?,
                    app: f.get(1)?.to_string(),
                    procid: f.get(2)?.to_string(),
                    msgid: f.get(3)?.to_string(),
                    host: f.get(4)?.to_string(),
                    msg: f.get(5)?.to_string(),
                })
            })
            .collect()
    }

    /// The messages from `app`, once `n` of them are there (or after 20 s).
    fn wait_for(&self, app: &str, n: usize) -> Vec<Parsed> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got: Vec<Parsed> = self.received().into_iter().filter(|p| p.app == app).collect();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn event_type(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["event_type"].as_str().unwrap().to_string()
}

#[test]
fn rsyslog_receives_every_record_whole_over_udp_and_tcp() {
    let Some(bin) = rsyslogd() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 1 << 20);
    let rs = Rsyslog::start(&bin, dir.path(), free_port(), free_port());

    let mut cfg = Config::default();
    cfg.output.sinks = vec![
        sink(&format!(
            "type: syslog\nname: siem-udp\ntypes: [alert, dns]\nsyslog: {{ address: \"127.0.0.1:{}\", app_name: eve-udp, hostname: sensor-a }}",
            rs.udp
        )),
        sink(&format!(
            "type: syslog\nname: siem-tcp\ntypes: [alert, dns]\nsyslog: {{ address: \"127.0.0.1:{}\", transport: tcp, app_name: eve-tcp, facility: local3, severity: notice, alert_severity: true }}",
            rs.tcp
        )),
    ];
    let rules = [repo().join("signatures")];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &rules, &[pcap]).unwrap();
    let want = lines_of_types(&eve, &["alert", "dns"]);
    let alerts = want.iter().filter(|l| event_type(l) == "alert").count();
    assert!(alerts > 10 && want.len() > alerts, "{} records, {alerts} alerts", want.len());
    eprintln!("{} records ({alerts} alerts) to each sink", want.len());

    let pid = std::process::id().to_string();
    let machine = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();

    // TCP: every record, in order, whole, with its header fields.
    let tcp = rs.wait_for("eve-tcp", want.len());
    let msgs: Vec<&str> = tcp.iter().map(|p| p.msg.as_str()).collect();
    assert_eq!(msgs, want, "TCP: the same records in the same order");
    for (p, line) in tcp.iter().zip(&want) {
        let kind = event_type(line);
        assert_eq!(
            (p.msgid.as_str(), p.procid.as_str(), p.host.as_str()),
            (kind.as_str(), pid.as_str(), machine.as_str())
        );
        // local3 = 19; alerts by alert.severity (1 crit .. 3 warning), others notice.
        let severity = if kind == "alert" {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            match v["alert"]["severity"].as_u64().unwrap() {
                1 => 2,
                2 => 3,
                3 => 4,
                _ => 5,
            }
        } else {
            5
        };
        assert_eq!(p.pri, 19 * 8 + severity, "{p:?}");
    }

    // UDP: the same records (datagrams may be reordered in principle).
    let udp = rs.wait_for("eve-udp", want.len());
    let mut got: Vec<&str> = udp.iter().map(|p| p.msg.as_str()).collect();
    let mut sorted = want.clone();
    got.sort_unstable();
    sorted.sort_unstable();
    assert_eq!(got, sorted, "UDP: the same records");
    for p in &udp {
        // local5 (21) info (6), Suricata's default.
        assert_eq!((p.pri, p.host.as_str(), p.procid.as_str()), (174, "sensor-a", pid.as_str()));
        assert_eq!(p.msgid, event_type(&p.msg));
    }

    for name in ["siem-udp", "siem-tcp"] {
        let s = summary.sinks.iter().find(|s| s.name == name).unwrap();
        assert_eq!(s.delivered, want.len() as u64, "{s:?}");
        assert_eq!(s.dropped_total(), 0, "{s:?}");
        assert!(s.up, "{s:?}");
    }
}

#[test]
fn tcp_without_rsyslog_counts_peer_down_then_reconnects_when_it_is_back() {
    let Some(bin) = rsyslogd() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 1 << 20);
    let port = free_port();
    let yaml = format!("type: syslog\nname: down\nsyslog: {{ address: \"127.0.0.1:{port}\", transport: tcp }}");

    // A whole run with nobody listening: every record counted, none delivered.
    let mut cfg = Config::default();
    cfg.output.sinks = vec![sink(&yaml)];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[pcap]).unwrap();
    let all = String::from_utf8_lossy(&eve).lines().count() as u64;
    let s = &summary.sinks[0];
    assert_eq!(s.delivered, 0);
    assert!(!s.up);
    let peer_down = s.dropped[DropReason::PeerDown.index()];
    assert!(peer_down > 0);
    assert_eq!(peer_down + s.dropped[DropReason::QueueFull.index()], all, "{s:?}");

    // The sink itself: down, then rsyslog starts, and after the reconnect
    // pause the next records go through.
    let mut sink = mirrorids::output::sinks::open(&sink(&yaml)).unwrap();
    let line = b"{\"timestamp\":\"2024-04-01T12:00:00.000001+0000\",\"event_type\":\"flow\",\"n\":1}\n";
    let ranges = vec![std::ops::Range { start: 0, end: line.len() }];
    let records = Records { lines: line, ranges: &ranges };
    let e = sink.deliver(&records).unwrap_err();
    assert_eq!((e.delivered, e.reason), (0, DropReason::PeerDown));
    assert!(!sink.up());
    let rs = Rsyslog::start(&bin, dir.path(), free_port(), port);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(sink.deliver(&records).unwrap(), 0);
    sink.flush().unwrap();
    assert!(sink.up());
    let got = rs.wait_for("mirrorids", 1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].msg.as_bytes(), &line[..line.len() - 1]);
    assert_eq!((got[0].pri, got[0].msgid.as_str()), (174, "flow"));
}
