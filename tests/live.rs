//! The live sensor as users run it: `mirrorids run` on loopback, fed by
//! `mirrorids send`, watched through its health and metrics endpoints,
//! reloaded with SIGHUP and stopped with SIGTERM.

mod common;
#[path = "common/sensor.rs"]
mod sensor;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::{AttackPlan, GenConfig};
use sensor::*;
use serde_json::Value;

fn gen(dir: &Path, name: &str, seed: u64) -> PathBuf {
    let cfg = GenConfig { seed, target_bytes: 2 << 20, attacks: AttackPlan::Every(4), ..GenConfig::default() };
    generate(dir, name, cfg).0
}

/// The alerts of an EVE file (every line must be whole JSON).
fn eve_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "the last EVE line is cut");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not a whole JSON line ({e}): {l}")))
        .filter(|r| r["event_type"] == "alert")
        .collect()
}

#[test]
fn live_alerts_equal_replay_across_a_reload_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (gen(dir.path(), "a.pcap", 21), gen(dir.path(), "b.pcap", 22), gen(dir.path(), "c.pcap", 23));
    let old_rules = std::fs::read_to_string(repo().join("signatures/mirrorids.rules")).unwrap();
    // The new set adds a rule (same detection as the sqlmap rule, new sid)
    // and keeps the others: it must alert on traffic after the reload only.
    let marker = "alert tcp any any -> any any (msg:\"reload marker\"; flow:established,to_server; content:\"User-Agent|3a 20|sqlmap\"; nocase; sid:9000001;)\n";
    let new_rules = format!("{old_rules}\n{marker}");
    let rules = dir.path().join("live.rules");
    std::fs::write(&rules, &old_rules).unwrap();
    let (old_file, new_file) = (dir.path().join("old.rules"), dir.path().join("new.rules"));
    std::fs::write(&old_file, &old_rules).unwrap();
    std::fs::write(&new_file, &new_rules).unwrap();

    let mut expected = replay(Config::default(), &[old_file], std::slice::from_ref(&a));
    expected.extend(replay(Config::default(), std::slice::from_ref(&new_file), std::slice::from_ref(&b)));
    expected.extend(replay(Config::default(), &[new_file], std::slice::from_ref(&c)));
    assert!(expected.iter().any(|e| sid(e) == 9000001), "the marker rule must fire on b");

    let port = free_udp_port();
    let eve = dir.path().join("eve.json");
    // A second copy of the alerts through a file sink, rotated with the main file.
    let sink_file = dir.path().join("alerts-copy.json");
    let conf = dir.path().join("mirrorids.yaml");
    std::fs::write(
        &conf,
        format!(
            "output:\n  sinks:\n    - type: file\n      name: alerts-copy\n      types: [alert]\n      path: {}\n",
            s(&sink_file)
        ),
    )
    .unwrap();
    let mut sensor = Sensor::start(
        dir.path(),
        &[
            "-c".into(),
            s(&conf),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "--workers".into(),
            "2".into(),
            "-r".into(),
            s(&rules),
            "--eve".into(),
            s(&eve),
        ],
    );
    sensor.wait_healthy();
    let to = format!("127.0.0.1:{port}");
    let sent_a = send(&["--to", &to, "--rate", "20000", &s(&a)]);
    sensor.wait_metric("mirrorids_worker_packets_total", "", sent_a as f64);

    let tmp = dir.path().join("live.rules.tmp");
    std::fs::write(&tmp, &new_rules).unwrap();
    std::fs::rename(&tmp, &rules).unwrap();
    // Log rotation as logrotate does it: rename, then SIGHUP.
    let rotated = dir.path().join("eve.json.1");
    std::fs::rename(&eve, &rotated).unwrap();
    let sink_rotated = dir.path().join("alerts-copy.json.1");
    std::fs::rename(&sink_file, &sink_rotated).unwrap();
    sensor.signal(1);
    sensor.wait_metric("mirrorids_ruleset_generation", "", 2.0);

    let sent_b = send(&["--to", &to, "--rate", "20000", &s(&b)]);
    sensor.wait_metric("mirrorids_worker_packets_total", "", (sent_a + sent_b) as f64);

    // A reload while traffic flows (the same set again): every worker
    // switches between two batches; nothing may be lost or doubled.
    let (to_c, pcap_c) = (to.clone(), s(&c));
    let sender = std::thread::spawn(move || send(&["--to", &to_c, "--rate", "4000", &pcap_c]));
    std::thread::sleep(Duration::from_millis(100));
    sensor.signal(1);
    let sent_c = sender.join().unwrap();
    sensor.wait_metric("mirrorids_ruleset_generation", "", 3.0);
    sensor.wait_metric("mirrorids_worker_packets_total", "", (sent_a + sent_b + sent_c) as f64);
    let m = sensor.metrics();
    assert_eq!(metric(&m, "mirrorids_dropped_packets_total", ""), 0.0, "{m}");
    sensor.wait_metric("mirrorids_sink_records_total", "sink=\"alerts-copy\"", expected.len() as f64);
    let (code, log) = sensor.stop();
    assert!(log.contains(&format!("sink alerts-copy: {} records delivered", expected.len())), "{log}");
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("rules reloaded") && log.contains("SIGTERM"), "{log}");
    assert!(log.contains("receive    vxlan 127.0.0.1:"), "the summary lists the receive sockets: {log}");

    let (old, new) = (eve_lines(&rotated), eve_lines(&eve));
    assert!(
        !old.is_empty() && old.iter().all(|a| sid(a) != 9000001),
        "alerts before the rotation stay in the rotated file"
    );
    assert!(new.iter().any(|a| sid(a) == 9000001), "alerts after it go to the new file");
    let (sink_old, sink_new) = (eve_lines(&sink_rotated), eve_lines(&sink_file));
    assert_eq!(sink_old, old, "the sink file before SIGHUP holds what the main file held");
    assert_eq!(sink_new, new, "and after it, what the new main file holds");
    let got: Vec<Value> = old.into_iter().chain(new).collect();
    let (got_refs, expected_refs): (Vec<&Value>, Vec<&Value>) = (got.iter().collect(), expected.iter().collect());
    assert_eq!(projection(&got_refs, true), projection(&expected_refs, true));
    assert!(got.iter().all(|a| a.get("pcap_cnt").is_none()));
}

#[test]
fn filtering_geneve_ipv6_and_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let a = gen(dir.path(), "a.pcap", 31);
    let plain = dir.path().join("plain.pcap");
    let cfg = GenConfig { seed: 32, target_bytes: 1 << 20, mode: mirrorids::gen::Mode::Plain, ..GenConfig::default() };
    generate(dir.path(), "plain.pcap", cfg);
    let expected = replay(Config::default(), &[repo().join("signatures")], std::slice::from_ref(&a));
    let (p4, p6, pg) = (free_udp_port(), free_udp_port(), free_udp_port());
    let v6 = UdpSocket::bind("[::1]:0").is_ok();
    let mut listen = vec![format!("127.0.0.1:{p4}"), format!("geneve:127.0.0.1:{pg}")];
    if v6 {
        listen.push(format!("[::1]:{p6}"));
    }
    let eve = dir.path().join("eve.json");
    let mut args = vec!["-r".into(), s(&repo().join("signatures")), "--eve".into(), s(&eve)];
    for l in &listen {
        args.extend(["--listen".to_string(), l.clone()]);
    }
    // Only loopback's own addresses may send, only the capture's sessions.
    let vnis: Vec<u64> = {
        let mut v: Vec<u64> = expected.iter().filter_map(|e| e["mirrorids"]["vni"].as_u64()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    assert!(!vnis.is_empty());
    args.extend([
        "--set".into(),
        "live.allow_sources=[127.0.0.1/32, \"::1\"]".into(),
        "--set".into(),
        format!("live.allow_vnis={vnis:?}"),
        "--set".into(),
        "live.max_datagram_bytes=9216".into(),
    ]);
    let mut sensor = Sensor::start(dir.path(), &args);
    sensor.wait_healthy();
    let to4 = format!("127.0.0.1:{p4}");

    // A source outside the allow-list: every datagram refused.
    let denied = send(&["--to", &to4, "--source", "127.0.0.2", &s(&a)]);
    // A session outside the allow-list.
    let wrong_vni = send(&["--to", &to4, "--vni", "4242", &s(&plain)]);
    // Garbage: too short, no VNI flag, a GENEVE version 3 header, and a
    // datagram longer than max_datagram_bytes (inspected truncated).
    let g = UdpSocket::bind("127.0.0.1:0").unwrap();
    g.send_to(&[8, 0, 0], &to4).unwrap();
    g.send_to(&[0u8; 64], &to4).unwrap();
    g.send_to(&[0xc0u8; 64], format!("127.0.0.1:{pg}")).unwrap();
    let mut big = vec![0x08, 0, 0, 0, 0, 0, 0, 0];
    big[4..7].copy_from_slice(&(vnis[0] as u32).to_be_bytes()[1..]);
    big.extend(std::iter::repeat_n(0x45u8, 20_000));
    g.send_to(&big, &to4).unwrap();

    // The same capture through a Gateway Load Balancer (GENEVE with AWS
    // options) and over IPv6.
    let sent_g = send(&["--to", &format!("127.0.0.1:{pg}"), "--geneve", "--rate", "20000", &s(&a)]);
    let sent_6 = if v6 { send(&["--to", &format!("[::1]:{p6}"), "--rate", "20000", &s(&a)]) } else { 0 };
    // The oversize datagram is admitted, then fails to decode (counted).
    let admitted = sent_g + sent_6;
    sensor.wait_metric("mirrorids_worker_packets_total", "", admitted as f64);
    sensor.wait_metric("mirrorids_dropped_packets_total", "reason=\"denied_vni\"", wrong_vni as f64);
    let m = sensor.metrics();
    assert_eq!(metric(&m, "mirrorids_dropped_packets_total", "reason=\"denied_source\""), denied as f64, "{m}");
    assert_eq!(metric(&m, "mirrorids_dropped_packets_total", "reason=\"not_tunnel\""), 3.0, "{m}");
    assert_eq!(metric(&m, "mirrorids_dropped_packets_total", "reason=\"oversize\""), 1.0, "{m}");
    assert_eq!(metric(&m, "mirrorids_dropped_packets_total", "reason=\"decode_error\""), 1.0, "{m}");
    assert_eq!(metric(&m, "mirrorids_dropped_packets_total", "reason=\"kernel\""), 0.0, "{m}");
    assert!(metric(&m, "mirrorids_receiver_buffer_capacity_bytes", "") > 0.0, "{m}");
    let (code, log) = sensor.stop();
    assert_eq!(code, 0, "{log}");

    let got = eve_lines(&eve);
    let gwlb: Vec<&Value> = got.iter().filter(|e| e["mirrorids"].get("gwlb_endpoint_id").is_some()).collect();
    let over_v6: Vec<&Value> = got.iter().filter(|e| e["mirrorids"].get("gwlb_endpoint_id").is_none()).collect();
    let want = projection(&expected.iter().collect::<Vec<_>>(), false);
    assert_eq!(projection(&gwlb, false), want, "alerts through GENEVE");
    assert!(gwlb.iter().all(
        |e| e["mirrorids"].get("gwlb_attachment_id").is_some() && e["mirrorids"].get("gwlb_flow_cookie").is_some()
    ));
    if v6 {
        assert_eq!(projection(&over_v6, false), want, "alerts over IPv6");
    } else {
        eprintln!("no IPv6 loopback here: the IPv6 listener was not tested");
    }
}

/// A rule set big enough that loading it takes a moment: ET Open when the
/// shared corpus is there, else generated rules.
fn slow_rules(dir: &Path) -> PathBuf {
    let et = shared().join("rules/et-open-2024");
    if et.is_dir() {
        return et;
    }
    let p = dir.join("many.rules");
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "alert tcp any any -> any any (msg:\"r{i}\"; content:\"needle-{i:05}-{}\"; pcre:\"/x{i}y+z/\"; sid:{};)\n",
            i * 7919 % 10007,
            100_000 + i
        ));
    }
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn health_follows_rule_loading_and_a_bad_reload_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    let slow = slow_rules(dir.path());
    let rules = rules_dir.join("live.rules");
    std::fs::copy(repo().join("signatures/mirrorids.rules"), &rules).unwrap();
    let port = free_udp_port();
    let eve = dir.path().join("eve.json");
    let mut sensor = Sensor::start(
        dir.path(),
        &[
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "-r".into(),
            s(&slow),
            "-r".into(),
            s(&rules),
            "--eve".into(),
            s(&eve),
            // Small enough to overflow while nobody reads it.
            "--set".into(),
            "live.socket_buffer_bytes=65536".into(),
        ],
    );
    // While the rules load the sensor answers, and says it is not ready.
    let end = Instant::now() + PATIENCE;
    let first = loop {
        if let Some(h) = sensor.health() {
            break h;
        }
        assert!(Instant::now() < end, "{}", sensor.log());
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(first.0, 503, "unhealthy while loading: {first:?}");
    assert!(first.1.contains("rules not loaded"), "{first:?}");
    // The socket is bound before the rules load: a burst sent now waits in
    // its buffer, and what does not fit is dropped by the kernel, which
    // counts it (SO_RXQ_OVFL). Those drops must show.
    let pcap = repo().join("pcaps/mirror-demo.pcap");
    let burst = send(&["--to", &format!("127.0.0.1:{port}"), &s(&pcap)]);
    let still_loading = sensor.health().map(|h| h.0) == Some(503);
    sensor.wait_healthy();

    // A reload whose files cannot be read is rejected; the running set
    // stays and the sensor stays healthy and keeps alerting.
    std::fs::remove_file(&rules).unwrap();
    sensor.signal(1);
    sensor.wait_metric("mirrorids_ruleset_reloads_total", "result=\"failed\"", 1.0);
    assert_eq!(sensor.health().map(|h| h.0), Some(200));
    let sent = send(&["--to", &format!("127.0.0.1:{port}"), "--rate", "20000", &s(&pcap)]);
    // Every datagram sent is either received or counted as a kernel drop
    // (the drop count rides on the datagrams that follow the drops).
    let end = Instant::now() + PATIENCE;
    let m = loop {
        let m = sensor.metrics();
        let seen = metric(&m, "mirrorids_receiver_datagrams_total", "")
            + metric(&m, "mirrorids_receiver_kernel_drops_total", "");
        if seen >= (burst + sent) as f64 {
            break m;
        }
        assert!(Instant::now() < end, "{burst} + {sent} sent:\n{m}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let drops = metric(&m, "mirrorids_receiver_kernel_drops_total", "");
    assert_eq!(metric(&m, "mirrorids_receiver_datagrams_total", "") + drops, (burst + sent) as f64, "{m}");
    eprintln!("burst of {burst} datagrams while loading: {drops} dropped by the kernel, counted");
    assert_eq!(metric(&m, "mirrorids_dropped_packets_total", "reason=\"kernel\""), drops);
    if still_loading {
        assert!(metric(&m, "mirrorids_receiver_kernel_drops_total", "") > 0.0, "a 64 KiB buffer overflowed: {m}");
    }
    assert_eq!(
        metric(&m, "mirrorids_worker_packets_total", ""),
        metric(&m, "mirrorids_receiver_datagrams_total", ""),
        "{m}"
    );
    assert_eq!(metric(&m, "mirrorids_ruleset_generation", ""), 1.0, "{m}");
    let (code, log) = sensor.stop();
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("rule reload rejected"), "{log}");
    assert!(eve_lines(&eve).iter().any(|e| sid(e) == 1990001), "the old set still alerts after the rejected reload");
}

fn run_cli(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn configuration_errors_are_named_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sig = s(&repo().join("signatures"));
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "live:\n  listne: [\"0.0.0.0:4789\"]\n").unwrap();
    let (code, err) = run_cli(&["run", "-c", &s(&bad), "-r", &sig]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.yaml") && err.contains("live.listne"), "{err}");

    let (code, err) = run_cli(&["run", "--listen", "4789", "-r", &sig]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("\"4789\""), "{err}");

    let (code, err) =
        run_cli(&["run", "--listen", "127.0.0.1:0", "--set", "live.allow_sources=[10.0.0.0/40]", "-r", &sig]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("10.0.0.0/40"), "{err}");

    let toml = dir.path().join("bad.toml");
    std::fs::write(&toml, "[control]\nhealth_listen = \"not an address\"\n").unwrap();
    let (code, err) = run_cli(&["run", "-c", &s(&toml), "-r", &sig]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("health_listen"), "{err}");

    let (code, err) = run_cli(&["run", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no rules"), "{err}");

    // A port another program holds.
    let held = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let (code, err) = run_cli(&[
        "run",
        "--listen",
        &addr,
        "-r",
        &sig,
        "--set",
        "control.health_listen=127.0.0.1:0",
        "--set",
        "control.metrics_listen=''",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&addr), "{err}");

    // The sample deployment configuration stays valid.
    let (code, err) = run_cli(&["config", "check", &s(&repo().join("deploy/mirrorids.yaml"))]);
    assert_eq!(code, 0, "{err}");

    // A rule set where nothing loads is refused at start.
    let junk = dir.path().join("junk.rules");
    std::fs::write(&junk, "alert nonsense\nalert tcp any any -> any any (msg:\"x\"; content:; sid:1;)\n").unwrap();
    let (code, err) = run_cli(&[
        "run",
        "--listen",
        "127.0.0.1:0",
        "-r",
        &s(&junk),
        "--set",
        "control.health_listen=127.0.0.1:0",
        "--set",
        "control.metrics_listen=''",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no rule could be loaded"), "{err}");
}

/// AF_PACKET capture from an interface (here loopback): the frames are
/// decoded as on the wire, tunnels included. Needs CAP_NET_RAW; skipped
/// (with a message) without it.
#[test]
fn interface_capture_sees_the_tunnels_on_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let a = gen(dir.path(), "a.pcap", 41);
    let expected = replay(Config::default(), &[repo().join("signatures")], std::slice::from_ref(&a));
    // Nothing listens on this port: the tunnels are only seen on the wire.
    let port = free_udp_port();
    let eve = dir.path().join("eve.json");
    let args = [
        "--interface".to_string(),
        "lo".into(),
        "--set".into(),
        format!("decode.vxlan_ports=[4789, {port}]"),
        "-r".into(),
        s(&repo().join("signatures")),
        "--eve".into(),
        s(&eve),
    ];
    let mut sensor = Sensor::start(dir.path(), &args);
    let end = Instant::now() + PATIENCE;
    while sensor.health().map(|h| h.0) != Some(200) {
        if let Some(st) = sensor.child.try_wait().unwrap() {
            let log = sensor.log();
            assert!(log.contains("CAP_NET_RAW"), "exit {st}: {log}");
            eprintln!("AF_PACKET capture not permitted here (needs CAP_NET_RAW): test skipped");
            return;
        }
        assert!(Instant::now() < end, "{}", sensor.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = send(&["--to", &format!("127.0.0.1:{port}"), "--rate", "20000", &s(&a)]);
    sensor.wait_metric("mirrorids_tunneled_packets_total", "", sent as f64);
    let (code, log) = sensor.stop();
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("afpacket lo #0"), "{log}");
    // Other tests' loopback traffic is captured too; ours is what came
    // out of a tunnel on our port.
    let got: Vec<Value> = eve_lines(&eve).into_iter().filter(|e| e["mirrorids"].get("vni").is_some()).collect();
    let (g, e): (Vec<&Value>, Vec<&Value>) = (got.iter().collect(), expected.iter().collect());
    assert_eq!(projection(&g, false), projection(&e, false));
}
