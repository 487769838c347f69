//! The EVE output is the same, line for line, whatever the number of
//! worker threads: flows are pinned by a symmetric hash and the output
//! stage releases records in capture order, so thresholds (tracked across
//! flows) see the same sequence.

mod common;

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::{AttackPlan, GenConfig};

#[test]
fn same_alerts_for_1_2_4_and_7_workers() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = GenConfig {
        seed: 5,
        target_bytes: 6 << 20,
        attacks: AttackPlan::Every(3),
        concurrency: 200,
        ..GenConfig::default()
    };
    let (pcap, _) = generate(dir.path(), "mix.pcap", cfg);
    // Thresholded rules (by_src across flows) are the sensitive part.
    let rules = dir.path().join("t.rules");
    std::fs::write(
        &rules,
        "alert tcp any any -> any 80 (msg:\"GET limit by_src\"; flow:to_server; content:\"GET \"; depth:4; threshold:type limit, track by_src, count 2, seconds 60; sid:1;)\n\
         alert tcp any any -> any any (msg:\"SYN both by_dst\"; flags:S; threshold:type both, track by_dst, count 25, seconds 30; sid:2;)\n\
         alert udp any any -> any 53 (msg:\"DNS every 10th by_rule\"; threshold:type threshold, track by_rule, count 10, seconds 3600; sid:3;)\n",
    )
    .unwrap();
    let run = |workers: usize| {
        let mut c = Config::default();
        c.engine.workers = workers;
        c.output.eve.payload = true;
        c.output.eve.packet = true;
        let (eve, summary) = mirrorids::engine::replay_to_memory(
            c,
            &[repo().join("signatures"), rules.clone()],
            std::slice::from_ref(&pcap),
        )
        .unwrap();
        assert_eq!(summary.worker_count, workers);
        eve
    };
    // Every record but `stats` (wall-clock time and uptime).
    let records = |eve: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(eve)
            .lines()
            .filter(|l| !l.contains("\"event_type\":\"stats\""))
            .map(str::to_string)
            .collect()
    };
    let one = records(&run(1));
    let alerts = one.iter().filter(|l| l.contains("\"event_type\":\"alert\"")).count();
    assert!(alerts > 50, "the capture must produce a fair number of alerts");
    assert!(one.iter().any(|l| l.contains("\"event_type\":\"flow\"")), "flow records are compared too");
    for n in [2, 4, 7] {
        let other = records(&run(n));
        assert!(one == other, "{n} workers: output differs from 1 worker");
    }
}
