//! Every bundled signature detects its attack, in VXLAN-wrapped and plain
//! captures, and nothing fires on the generator's benign traffic.

mod common;

use std::collections::BTreeSet;

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::attacks::ATTACKS;
use mirrorids::gen::{AttackPlan, GenConfig, Mode};

fn check(mode: Mode, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = GenConfig { seed, mode, target_bytes: 3 << 20, attacks: AttackPlan::EachOnce, ..GenConfig::default() };
    let (pcap, truth) = generate(dir.path(), "mix.pcap", cfg);
    assert_eq!(truth.len(), ATTACKS.len());
    let alerts = replay(Config::default(), &[repo().join("signatures")], &[pcap]);
    for t in &truth {
        let hit = alerts.iter().any(|a| {
            sid(a) == u64::from(t.sid)
                && a["src_ip"] == t.src_ip.to_string()
                && a["dest_ip"] == t.dest_ip.to_string()
                && match t.vni {
                    Some(v) => a["mirrorids"]["vni"] == v,
                    None => a.get("tunnel").is_none(),
                }
        });
        assert!(hit, "{mode:?}: attack {} (sid {}) from {} to {} not detected", t.attack, t.sid, t.src_ip, t.dest_ip);
    }
    // False positives: every alert must belong to an attack's endpoints.
    let attack_pairs: BTreeSet<(String, String)> = truth
        .iter()
        .flat_map(|t| [(t.src_ip.to_string(), t.dest_ip.to_string()), (t.dest_ip.to_string(), t.src_ip.to_string())])
        .collect();
    for a in &alerts {
        let pair = (a["src_ip"].as_str().unwrap().to_string(), a["dest_ip"].as_str().unwrap().to_string());
        assert!(attack_pairs.contains(&pair), "{mode:?}: false positive sid {} on benign traffic: {a}", sid(a));
    }
}

#[test]
fn every_attack_detected_in_vxlan_capture() {
    check(Mode::Vxlan, 11);
}

#[test]
fn every_attack_detected_in_plain_capture() {
    check(Mode::Plain, 12);
}

#[test]
fn every_bundled_rule_has_an_attack() {
    let cfg = Config::default();
    let (engine, _) = mirrorids::engine::load_rules(&cfg, &[repo().join("signatures")]).unwrap();
    assert!(engine.report.failed.is_empty(), "{:?}", engine.report.failed);
    assert!(engine.sigs.len() >= 30);
    let rule_sids: BTreeSet<u32> = engine.sigs.iter().map(|s| s.sid).collect();
    let attack_sids: BTreeSet<u32> = ATTACKS.iter().map(|a| a.sid).collect();
    assert_eq!(rule_sids, attack_sids);
}
