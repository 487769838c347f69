//! The live engine on loopback, driven as a library: tunnel datagrams sent
//! over UDP give the alerts replay gives for the same capture.

mod common;

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use mirrorids::config::Config;
use mirrorids::engine::live::{live_config, open_sources, LiveEngine};
use mirrorids::engine::{load_rules, SharedBuf};
use mirrorids::gen::{AttackPlan, GenConfig};
use serde_json::Value;

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
    // The load tool's own preparation: the capture's tunnel datagrams.
    let prepared = mirrorids::send::prepare(&[pcap.to_path_buf()], &Default::default()).unwrap();
    let payloads: Vec<&[u8]> = prepared.iter().collect();
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
    let got = parse_alerts(&out.take());
    assert!(got.iter().all(|a| a.get("pcap_cnt").is_none()), "live alerts have no capture position");
    got
}

#[test]
fn loopback_datagrams_give_the_replay_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let gen = GenConfig { seed: 11, target_bytes: 3 << 20, attacks: AttackPlan::Every(4), ..GenConfig::default() };
    let (pcap, _) = generate(dir.path(), "mix.pcap", gen);
    let rules = vec![repo().join("signatures")];
    let expected = replay(Config::default(), &rules, std::slice::from_ref(&pcap));
    assert!(expected.len() > 10);
    let all = |v: &[Value]| projection(&v.iter().collect::<Vec<_>>(), true);
    // One worker sees packets in capture order: exactly the same alerts,
    // the packets the threshold rules chose included.
    let exact = |v: &[Value]| {
        let mut rows: Vec<String> =
            v.iter().map(|a| format!("{} {} {}", sid(a), a["src_port"], a["mirrorids"]["vni"])).collect();
        rows.sort();
        rows
    };
    let one = run_live(&pcap, &rules, 1);
    assert_eq!(exact(&one), exact(&expected));
    assert_eq!(all(&one), all(&expected));
    // Two workers: the same, with thresholded rules compared by count.
    assert_eq!(all(&run_live(&pcap, &rules, 2)), all(&expected));
}
