//! The live engine on loopback, driven as a library: tunnel datagrams sent
//! over UDP give the alerts replay gives for the same capture.

mod common;

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use mirrorids::config::Config;
use mirrorids::decode::{decode_frame, DecodeConfig, Decoded, Outcome};
use mirrorids::engine::live::{live_config, open_sources, LiveEngine};
use mirrorids::engine::{load_rules, SharedBuf};
use mirrorids::gen::{AttackPlan, GenConfig};
use mirrorids::source::pcap::PcapReader;
use serde_json::Value;

/// The outer UDP payloads (VXLAN header onward) of a capture.
fn tunnel_payloads(pcap: &std::path::Path) -> Vec<Vec<u8>> {
    let mut r = PcapReader::open(pcap).unwrap();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let cfg = DecodeConfig::default();
    loop {
        buf.clear();
        let Some(meta) = r.next_frame(&mut buf).unwrap() else { break };
        let mut dec = Decoded::default();
        let Ok(Outcome::Packet) = decode_frame(&buf, meta.linktype, &cfg, &mut dec) else { continue };
        let pkt = etherparse::SlicedPacket::from_ethernet(&buf).unwrap();
        if let Some(etherparse::TransportSlice::Udp(u)) = pkt.transport {
            out.push(u.payload().to_vec());
        }
    }
    out
}

/// What must agree between live and replay (time, flow id and capture
/// position legitimately differ).
fn projection(alerts: &[Value]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for a in alerts {
        let k = format!(
            "{} {} {}:{} -> {}:{} {} {}",
            sid(a),
            a["proto"],
            a["src_ip"],
            a["src_port"],
            a["dest_ip"],
            a["dest_port"],
            a["app_proto"],
            a["mirrorids"]["vni"]
        );
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

/// Runs the capture through a live engine on loopback and returns the
/// alerts, checking nothing was lost on the way.
fn run_live(pcap: &std::path::Path, rules: &[std::path::PathBuf], workers: usize) -> Vec<Value> {
    let mut cfg = Config::default();
    cfg.live.listen = vec!["127.0.0.1:0".into()];
    cfg.engine.workers = workers;
    let sources = open_sources(&cfg).unwrap();
    let cfg = live_config(&cfg, &sources);
    let (detect, thresholds) = load_rules(&cfg, rules).unwrap();
    let mirrorids::engine::receiver::SourceKind::Tunnel { local, .. } = sources[0].source.kind else { panic!() };
    let out = SharedBuf::default();
    let engine = LiveEngine::start(
        Arc::new(cfg),
        sources.into_iter().map(|s| s.source).collect(),
        Arc::new(detect),
        thresholds,
        out.clone(),
        None,
    )
    .unwrap();
    let payloads = tunnel_payloads(pcap);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (i, p) in payloads.iter().enumerate() {
        tx.send_to(p, local).unwrap();
        if i % 64 == 63 {
            std::thread::sleep(Duration::from_micros(300));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.counters().receivers.iter().map(|r| r.1.datagrams).sum::<u64>() < payloads.len() as u64 {
        assert!(Instant::now() < deadline, "datagrams did not all arrive: {:?}", engine.counters().receivers);
        std::thread::sleep(Duration::from_millis(50));
    }
    let summary = engine.shutdown().unwrap();
    let r = &summary.receivers[0].1;
    assert_eq!(r.datagrams, payloads.len() as u64);
    assert_eq!(r.kernel_drops, 0);
    assert_eq!(summary.run.reader.queue_full_packets, 0);
    assert_eq!(summary.run.workers.packets, payloads.len() as u64);
    let got = parse_eve(&out.take());
    assert!(got.iter().all(|a| a.get("pcap_cnt").is_none()), "live alerts have no capture position");
    got
}

/// Signatures with thresholds alert on the Nth match in the order matches
/// reach the alert stage; with several workers that order is the order of
/// arrival, not capture order, so which packet alerts may differ (the
/// count may not).
const THRESHOLDED: [u64; 2] = [1990009, 1990010];

#[test]
fn loopback_datagrams_give_the_replay_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let gen = GenConfig { seed: 11, target_bytes: 3 << 20, attacks: AttackPlan::Every(4), ..GenConfig::default() };
    let (pcap, _) = generate(dir.path(), "mix.pcap", gen);
    let rules = vec![repo().join("signatures")];
    let expected = replay(Config::default(), &rules, std::slice::from_ref(&pcap));
    assert!(expected.len() > 10);
    // One worker sees packets in capture order: exactly the same alerts.
    assert_eq!(projection(&run_live(&pcap, &rules, 1)), projection(&expected));
    let two = run_live(&pcap, &rules, 2);
    let plain =
        |v: &[Value]| projection(&v.iter().filter(|a| !THRESHOLDED.contains(&sid(a))).cloned().collect::<Vec<_>>());
    assert_eq!(plain(&two), plain(&expected));
    for s in THRESHOLDED {
        let n = |v: &[Value]| v.iter().filter(|a| sid(a) == s).count();
        assert_eq!(n(&two), n(&expected), "alerts of thresholded sid {s}");
    }
}
