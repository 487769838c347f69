//! Every bundled signature still fires when its attack is cut one byte per
//! segment, sent in reverse order, wrapped in overlapping junk the target
//! discards, sent after a jumbo segment the mirror truncates, or picked up
//! mid-stream; each TCP attack (one occurrence of its pattern: a second
//! occurrence inspected in a later window would alert again, one alert per
//! occurrence) alerts exactly once. Controls show the
//! evasions do work against per-packet inspection and a wrong overlap
//! policy, so these tests can fail.

mod common;

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::attacks::{Delivery, ATTACKS};
use mirrorids::gen::{AttackPlan, Evasion, GenConfig, Mode, TruthRecord};
use mirrorids::stream::OverlapPolicy;
use serde_json::Value;

fn capture(evasion: Evasion, seed: u64) -> (tempfile::TempDir, std::path::PathBuf, Vec<TruthRecord>) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = GenConfig {
        seed,
        mode: Mode::Vxlan,
        target_bytes: 1 << 20,
        attacks: AttackPlan::EachOnce,
        evasion,
        ..GenConfig::default()
    };
    let (pcap, truth) = generate(dir.path(), "evasion.pcap", cfg);
    assert_eq!(truth.len(), ATTACKS.len());
    (dir, pcap, truth)
}

fn is_tcp_payload_attack(t: &TruthRecord) -> bool {
    let a = ATTACKS.iter().find(|a| a.sid == t.sid).unwrap();
    matches!(a.delivery, Delivery::TcpRequest { .. } | Delivery::TcpResponse { .. } | Delivery::TcpLines { .. })
}

fn hits<'a>(alerts: &'a [Value], t: &TruthRecord) -> Vec<&'a Value> {
    alerts
        .iter()
        .filter(|a| {
            sid(a) == u64::from(t.sid)
                && a["src_ip"] == t.src_ip.to_string()
                && a["dest_ip"] == t.dest_ip.to_string()
                && t.vni.is_none_or(|v| a["mirrorids"]["vni"] == v)
        })
        .collect()
}

/// Attacks not detected.
fn missed(alerts: &[Value], truth: &[TruthRecord]) -> Vec<&'static str> {
    truth.iter().filter(|t| hits(alerts, t).is_empty()).map(|t| t.attack).collect()
}

fn check(evasion: Evasion, seed: u64) {
    let (_dir, pcap, truth) = capture(evasion, seed);
    let mut cfg = Config::default();
    cfg.output.eve.payload = true;
    let alerts = replay(cfg, &[repo().join("signatures")], &[pcap]);
    assert_eq!(missed(&alerts, &truth), Vec::<&str>::new(), "{evasion:?}: attacks missed");
    for t in truth.iter().filter(|t| is_tcp_payload_attack(t)) {
        let h = hits(&alerts, t);
        assert_eq!(h.len(), 1, "{evasion:?}: {} alerted {} times: {h:?}", t.attack, h.len());
        assert_eq!(h[0]["stream"], 1, "{evasion:?}: {} not matched on the stream", t.attack);
    }
}

#[test]
fn one_byte_per_segment() {
    check(Evasion::OneBytePerSegment, 21);
}

#[test]
fn reverse_order() {
    check(Evasion::ReverseOrder, 22);
}

#[test]
fn overlapping_junk_the_target_discards() {
    check(Evasion::OverlapJunk, 23);
}

#[test]
fn after_a_truncated_jumbo_segment() {
    check(Evasion::AfterTruncatedJumbo, 24);
    let (_dir, pcap, _) = capture(Evasion::AfterTruncatedJumbo, 24);
    let (_, summary) =
        mirrorids::engine::replay_to_memory(Config::default(), &[repo().join("signatures")], &[pcap]).unwrap();
    assert!(summary.workers.stream.gaps_truncated > 0, "the truncation became a gap");
}

#[test]
fn picked_up_mid_stream() {
    check(Evasion::Midstream, 25);
}

#[test]
fn controls_evasions_beat_packet_inspection_and_a_wrong_policy() {
    let tcp = |truth: &[TruthRecord]| truth.iter().filter(|t| is_tcp_payload_attack(t)).count();
    // Without reassembly, one byte per segment hides nearly everything.
    let (_dir, pcap, truth) = capture(Evasion::OneBytePerSegment, 21);
    let mut cfg = Config::default();
    cfg.stream.reassembly.enabled = false;
    let alerts = replay(cfg, &[repo().join("signatures")], &[pcap]);
    let missed_tcp = missed(&alerts, &truth).len();
    assert!(missed_tcp >= tcp(&truth) * 9 / 10, "only {missed_tcp} missed without reassembly");
    // Judging overlaps as "last wins" when the targets keep the first copy
    // lets junk replace the attack.
    let (_dir, pcap, truth) = capture(Evasion::OverlapJunk, 23);
    let mut cfg = Config::default();
    cfg.stream.host_os_policy.default = OverlapPolicy::Last;
    let alerts = replay(cfg, &[repo().join("signatures")], &[pcap]);
    let missed_tcp = missed(&alerts, &truth).len();
    assert!(missed_tcp >= tcp(&truth) / 2, "only {missed_tcp} missed under the wrong policy");
}
