//! The `syslog` sink over TLS (RFC 5425) against a real rsyslogd with its
//! GnuTLS stream driver (Debian's rsyslog-gnutls), see
//! tests/common/rsyslog.rs. The CA and the certificates are made by each
//! test with rcgen, into its temporary directory. Skipped (with a
//! message) where rsyslogd or the driver is not installed;
//! `scripts/setup.sh --lint` installs both.

mod common;
#[path = "common/pki.rs"]
mod pki;
#[path = "common/rsyslog.rs"]
mod rsyslog;

use std::path::Path;
use std::time::Duration;

use common::*;
use mirrorids::config::Config;
use mirrorids::output::sinks::fanout::Fanout;
use mirrorids::output::sinks::{self, DropReason, Records};
use pki::Ca;
use rcgen::ExtendedKeyUsagePurpose;
use rsyslog::*;

/// rsyslog with TLS on its TCP input, a certificate from `ca`.
fn start_tls(bin: &Path, dir: &Path, ca: &Ca, auth_mode: &str, tcp: u16) -> Rsyslog {
    let (cert, key) = ca.server();
    let ca_file = ca.ca_file();
    let tls = Tls { ca: &ca_file, cert: &cert, key: &key, auth_mode };
    Rsyslog::start_with(bin, dir, free_port(), tcp, Some(&tls))
}

fn one_record(line: &[u8]) -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
    (line.to_vec(), vec![std::ops::Range { start: 0, end: line.len() }])
}

#[test]
fn rsyslog_receives_every_record_whole_over_tls() {
    let Some(bin) = rsyslogd_with_tls() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 1 << 20);
    let ca = Ca::new(dir.path(), "siem");
    let rs = start_tls(&bin, dir.path(), &ca, "anon", free_port());

    let mut cfg = Config::default();
    // The name checked is the address's host, `localhost`, in the certificate.
    cfg.output.sinks = vec![sink(&format!(
        "type: syslog\nname: siem-tls\ntypes: [alert, dns]\nsyslog: {{ address: \"localhost:{}\", transport: tls, app_name: eve-tls, facility: local3, alert_severity: true, tls: {{ ca_file: \"{}\" }} }}",
        rs.tcp,
        ca.ca_file().display()
    ))];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[pcap]).unwrap();
    let want = lines_of_types(&eve, &["alert", "dns"]);
    let alerts = want.iter().filter(|l| event_type(l) == "alert").count();
    assert!(alerts > 10 && want.len() > alerts, "{} records, {alerts} alerts", want.len());

    let got = rs.wait_for("eve-tls", want.len());
    let msgs: Vec<&str> = got.iter().map(|p| p.msg.as_str()).collect();
    assert_eq!(msgs, want, "TLS: the same records in the same order; rsyslogd said: {}", rs.errors());
    // local3 = 19.
    assert_headers(&got, &want, 19, 6);
    let s = &summary.sinks[0];
    assert_eq!((s.delivered, s.dropped_total(), s.up), (want.len() as u64, 0, true), "{s:?}");
}

#[test]
fn mutual_tls_rsyslog_requiring_a_client_certificate_takes_ours_and_refuses_none() {
    let Some(bin) = rsyslogd_with_tls() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "siem");
    let rs = start_tls(&bin, dir.path(), &ca, "x509/certvalid", free_port());
    let (cert, key) = ca.issue("sensor", &["sensor-1.example"], ExtendedKeyUsagePurpose::ClientAuth);
    let base = format!(
        "type: syslog\nsyslog: {{ address: \"127.0.0.1:{}\", transport: tls, tls: {{ ca_file: \"{}\", server_name: localhost",
        rs.tcp,
        ca.ca_file().display()
    );
    let line = b"{\"timestamp\":\"2024-04-01T12:00:00.000001+0000\",\"event_type\":\"alert\",\"n\":1}\n";
    let (lines, ranges) = one_record(line);
    let records = Records { lines: &lines, ranges: &ranges };

    let mut with_cert = sinks::open(&sink(&format!(
        "{base}, cert_file: \"{}\", key_file: \"{}\" }} }}",
        cert.display(),
        key.display()
    )))
    .unwrap();
    assert!(with_cert.up(), "rsyslogd said: {}", rs.errors());
    for _ in 0..3 {
        assert_eq!(with_cert.deliver(&records).unwrap(), 0);
    }
    let got = rs.wait_for("mirrorids", 3);
    assert_eq!(got.len(), 3, "rsyslogd said: {}", rs.errors());
    assert!(got.iter().all(|p| p.msg.as_bytes() == &line[..line.len() - 1] && p.msgid == "alert"), "{got:?}");

    // Without a client certificate: refused, so down, and nothing arrives.
    let mut without = sinks::open(&sink(&format!("{base} }} }}"))).unwrap();
    let e = without.deliver(&records).unwrap_err();
    assert_eq!((e.delivered, e.reason), (0, DropReason::PeerDown), "{e:?}");
    eprintln!("without a client certificate: {}", e.message);
    assert!(e.message.contains("TLS handshake"), "{}", e.message);
    assert!(!without.up());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(rs.received().iter().filter(|p| p.app == "mirrorids").count(), 3);
}

#[test]
fn a_receiver_with_a_certificate_from_another_ca_gets_nothing_and_records_count_peer_down() {
    let Some(bin) = rsyslogd_with_tls() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 1 << 20);
    let ours = Ca::new(dir.path(), "ours");
    let theirs = Ca::new(dir.path(), "theirs");
    let rs = start_tls(&bin, dir.path(), &theirs, "anon", free_port());
    let yaml = format!(
        "type: syslog\nname: siem\nsyslog: {{ address: \"localhost:{}\", transport: tls, tls: {{ ca_file: \"{}\" }} }}",
        rs.tcp,
        ours.ca_file().display()
    );

    let mut cfg = Config::default();
    cfg.output.sinks = vec![sink(&yaml)];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[pcap]).unwrap();
    let all = String::from_utf8_lossy(&eve).lines().count() as u64;
    let s = &summary.sinks[0];
    assert_eq!((s.delivered, s.up), (0, false), "{s:?}");
    let peer_down = s.dropped[DropReason::PeerDown.index()];
    assert!(peer_down > 0, "{s:?}");
    assert_eq!(peer_down + s.dropped[DropReason::QueueFull.index()], all, "{s:?}");

    // The reason, as the outage's warning gives it.
    let mut sink = sinks::open(&sink(&yaml)).unwrap();
    assert!(!sink.up());
    let (lines, ranges) = one_record(b"{\"event_type\":\"flow\"}\n");
    let e = sink.deliver(&Records { lines: &lines, ranges: &ranges }).unwrap_err();
    assert_eq!((e.delivered, e.reason), (0, DropReason::PeerDown));
    assert!(e.message.contains("certificate not trusted"), "{}", e.message);
    std::thread::sleep(Duration::from_millis(300));
    assert!(rs.received().iter().all(|p| p.app == "probe"), "nothing but the readiness probe arrived");
}

/// rsyslog stopped (as an init system stops it) while records flow, and
/// started again a few seconds later: with a spool, every record arrives
/// once, in order.
#[test]
fn with_a_spool_a_tls_outage_loses_nothing_and_duplicates_nothing() {
    let Some(bin) = rsyslogd_with_tls() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "siem");
    let port = free_port();
    let mut rs = start_tls(&bin, dir.path(), &ca, "anon", port);
    let cfg = sink(&format!(
        "type: syslog\nname: siem\nsyslog: {{ address: \"localhost:{port}\", transport: tls, tls: {{ ca_file: \"{}\" }} }}\nspool: {{ dir: \"{}\" }}",
        ca.ca_file().display(),
        dir.path().join("spool").display()
    ));
    let mut fanout = Fanout::start(&[cfg]).unwrap();
    let monitor = fanout.monitor();
    for b in 0..10 {
        push_numbered_block(&mut fanout, b);
    }
    // Nothing in flight when it stops: all 100 written and received.
    wait_delivered(&monitor, 100);
    assert_eq!(rs.wait_for("mirrorids", 100).len(), 100, "rsyslogd said: {}", rs.errors());
    rs.stop();
    for b in 10..15 {
        push_numbered_block(&mut fanout, b);
        std::thread::sleep(Duration::from_millis(100));
    }
    let during = monitor.snapshot()[0].clone();
    assert!(during.spooled > 0 && !during.up, "the outage went to the spool: {during:?}");
    std::thread::sleep(Duration::from_secs(2));
    let rs = start_tls(&bin, dir.path(), &ca, "anon", port);
    for b in 15..40 {
        push_numbered_block(&mut fanout, b);
        std::thread::sleep(Duration::from_millis(50));
    }
    fanout.close(Duration::from_secs(20));
    let s = &monitor.snapshot()[0];
    eprintln!("TLS outage with spool: {} spooled during it, {s:?}", during.spooled);
    assert_eq!((s.delivered, s.dropped_total(), s.spooled), (400, 0, 0), "{s:?}");
    let got: Vec<String> = rs.wait_for("mirrorids", 400).into_iter().map(|p| p.msg).collect();
    assert_eq!(got, (0..400).map(numbered_line).collect::<Vec<_>>(), "every record once, in order");
}
