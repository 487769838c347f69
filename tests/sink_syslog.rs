//! The `syslog` sink over UDP and TCP against a real rsyslogd (see
//! tests/common/rsyslog.rs; TLS: tests/sink_syslog_tls.rs). Skipped (with
//! a message) where rsyslogd is not installed; `scripts/setup.sh --lint`
//! installs it.

mod common;
#[path = "common/rsyslog.rs"]
mod rsyslog;

use std::time::Duration;

use common::*;
use mirrorids::config::Config;
use mirrorids::output::sinks::{DropReason, Records};
use rsyslog::*;

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

    // TCP: every record, in order, whole, with its header fields.
    let tcp = rs.wait_for("eve-tcp", want.len());
    let msgs: Vec<&str> = tcp.iter().map(|p| p.msg.as_str()).collect();
    assert_eq!(msgs, want, "TCP: the same records in the same order");
    // local3 = 19.
    assert_headers(&tcp, &want, 19, 5);

    // UDP: the same records (datagrams may be reordered in principle).
    let udp = rs.wait_for("eve-udp", want.len());
    let mut got: Vec<&str> = udp.iter().map(|p| p.msg.as_str()).collect();
    let mut sorted = want.clone();
    got.sort_unstable();
    sorted.sort_unstable();
    assert_eq!(got, sorted, "UDP: the same records");
    let pid = std::process::id().to_string();
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
