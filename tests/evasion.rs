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
use mirrorids::decode::defrag::OverlapPolicy as DefragPolicy;
use mirrorids::decode::{decode_frame, DecodeConfig, Decoded};
use mirrorids::gen::attacks::{Delivery, ATTACKS};
use mirrorids::gen::http_evasion::HttpEvasion;
use mirrorids::gen::pcap_writer::PcapWriter;
use mirrorids::gen::{AttackPlan, Evasion, GenConfig, Mode, TruthRecord};
use mirrorids::send::{prepare, Encap, GwlbIds, WrapOptions};
use mirrorids::source::outer::{write_outer, OuterAddrs, HEADROOM};
use mirrorids::source::pcap::PcapReader;
use mirrorids::source::LinkType;
use mirrorids::stream::{OverlapPolicy, UrgentPolicy};
use mirrorids::util::Timestamp;
use serde_json::Value;

/// The catalog's attacks, each once, under `evasion`.
fn attacks_config(evasion: Evasion, seed: u64, mode: Mode) -> GenConfig {
    GenConfig { seed, mode, target_bytes: 1 << 20, attacks: AttackPlan::EachOnce, evasion, ..GenConfig::default() }
}

fn capture(evasion: Evasion, seed: u64) -> (tempfile::TempDir, std::path::PathBuf, Vec<TruthRecord>) {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, truth) = generate(dir.path(), "evasion.pcap", attacks_config(evasion, seed, Mode::Vxlan));
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
    let (missed, not_once) = judge(pcap, &truth, Config::default());
    assert_eq!(missed, Vec::<&str>::new(), "{evasion:?}: attacks missed");
    assert_eq!(not_once, Vec::<&str>::new(), "{evasion:?}: not exactly once on the stream");
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

/// The opposite overlap rule: what a sensor configured wrongly would do.
fn opposite(p: DefragPolicy) -> DefragPolicy {
    match p {
        DefragPolicy::First => DefragPolicy::Last,
        DefragPolicy::Last => DefragPolicy::First,
        DefragPolicy::Bsd => DefragPolicy::Linux,
        DefragPolicy::Linux => DefragPolicy::Bsd,
    }
}

/// A plain capture of the attacks under `evasion`, re-wrapped the way a
/// Gateway Load Balancer delivers it (GENEVE with the AWS options, UDP
/// 6081), with the datagrams `mirrorids send --geneve` would send.
fn geneve_capture(evasion: Evasion, seed: u64) -> (tempfile::TempDir, std::path::PathBuf, Vec<TruthRecord>) {
    let dir = tempfile::tempdir().unwrap();
    let (plain, truth) = generate(dir.path(), "plain.pcap", attacks_config(evasion, seed, Mode::Plain));
    let opts = WrapOptions {
        vni: 5,
        encap: Encap::Geneve(GwlbIds { endpoint_id: 0x1234, attachment_id: 0x5678 }),
        ..WrapOptions::default()
    };
    let prepared = prepare(&[plain], &opts).unwrap();
    let path = dir.path().join("geneve.pcap");
    let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap(), LinkType::ETHERNET, 65535).unwrap();
    let addrs = OuterAddrs {
        src: "172.31.0.5".parse().unwrap(),
        dst: "172.31.0.9".parse().unwrap(),
        sport: 40000,
        dport: 6081,
    };
    for (i, d) in prepared.iter().enumerate() {
        let mut buf = vec![0u8; HEADROOM];
        buf.extend_from_slice(d);
        let start = write_outer(&mut buf, HEADROOM, d.len(), &addrs).unwrap();
        w.write_packet(
            Timestamp::from_secs_micros(1_700_000_000, i as u32 * 10),
            &buf[start..],
            (buf.len() - start) as u32,
        )
        .unwrap();
    }
    drop(w);
    (dir, path, truth)
}

/// Judges a capture of attacks: the attacks missed, and the TCP payload
/// attacks not alerting exactly once on the stream.
fn judge(pcap: std::path::PathBuf, truth: &[TruthRecord], mut cfg: Config) -> (Vec<&'static str>, Vec<&'static str>) {
    // The alert's `stream` field comes with the payload fields.
    cfg.output.eve.payload = true;
    let alerts = replay(cfg, &[repo().join("signatures")], &[pcap]);
    let not_once = truth
        .iter()
        .filter(|t| is_tcp_payload_attack(t))
        .filter(|t| {
            let h = hits(&alerts, t);
            h.len() != 1 || h[0]["stream"] != 1
        })
        .map(|t| t.attack)
        .collect();
    (missed(&alerts, truth), not_once)
}

/// IP fragments overlapping with junk, aimed at each target policy, through
/// VXLAN and GENEVE: a sensor configured with the target's policy sees
/// every attack (each TCP one exactly once, on the stream); one configured
/// with the opposite rule reassembles the junk and misses them (the
/// control). Prints the table the README gives.
#[test]
fn fragment_overlaps_per_target_policy_through_vxlan_and_geneve() {
    let total = ATTACKS.len();
    println!("| evasion | target policy | VXLAN, sensor right | GENEVE, sensor right | VXLAN, sensor wrong |");
    for (i, evasion) in Evasion::FRAGMENT_OVERLAPS.into_iter().enumerate() {
        let Evasion::FragmentOverlap(policy) = evasion else { unreachable!() };
        let seed = 40 + i as u64;
        let right = {
            let mut c = Config::default();
            c.defrag.policy = policy;
            c
        };
        let wrong = {
            let mut c = Config::default();
            c.defrag.policy = opposite(policy);
            c
        };
        let (_d1, vxlan, truth) = capture(evasion, seed);
        let (missed_v, once_v) = judge(vxlan.clone(), &truth, right.clone());
        let (_d2, geneve, truth_g) = geneve_capture(evasion, seed);
        let (missed_g, once_g) = judge(geneve, &truth_g, right);
        let (missed_w, _) = judge(vxlan, &truth, wrong);
        println!(
            "| IP fragment overlap | {policy:?} | {} of {total} | {} of {total} | {} of {total} |",
            total - missed_v.len(),
            total - missed_g.len(),
            total - missed_w.len()
        );
        assert_eq!(missed_v, Vec::<&str>::new(), "{policy:?} through VXLAN: missed");
        assert_eq!(once_v, Vec::<&str>::new(), "{policy:?} through VXLAN: not exactly once on the stream");
        assert_eq!(missed_g, Vec::<&str>::new(), "{policy:?} through GENEVE: missed");
        assert_eq!(once_g, Vec::<&str>::new(), "{policy:?} through GENEVE: not exactly once on the stream");
        let tcp = truth.iter().filter(|t| is_tcp_payload_attack(t)).count();
        assert!(missed_w.len() >= tcp / 2, "{policy:?}: only {} missed under the opposite policy", missed_w.len());
    }
}

/// The TCP evasions above, delivered by a Gateway Load Balancer (GENEVE)
/// instead of a mirror session: the same detections.
#[test]
fn tcp_evasions_through_geneve() {
    for (i, evasion) in Evasion::ALL.into_iter().enumerate() {
        let (_dir, pcap, truth) = geneve_capture(evasion, 60 + i as u64);
        let (missed, not_once) = judge(pcap, &truth, Config::default());
        println!("| {evasion:?} | GENEVE | {} of {} |", truth.len() - missed.len(), truth.len());
        assert_eq!(missed, Vec::<&str>::new(), "{evasion:?} through GENEVE: missed");
        assert_eq!(not_once, Vec::<&str>::new(), "{evasion:?} through GENEVE: not exactly once on the stream");
    }
}

/// Rules on normalized HTTP buffers for some of the catalog's HTTP attacks
/// (attack name, rule): what a rule written against the parser's view
/// sees whatever the encoding.
const NORMALIZED: &[(&str, &str)] = &[
    ("scanner-nikto", "http.uri; content:\"/cgi-bin/test-cgi\";"),
    ("scanner-nmap-nse", "http.uri; content:\"/nmaplowercheck\";"),
    ("scanner-wpscan", "http.uri; content:\"/wp-login.php\";"),
    ("etc-passwd-access", "http.uri; content:\"/etc/passwd\";"),
    ("c2-cobaltstrike-default-uri", "http.uri; content:\"/dpixel\";"),
    ("ssrf-instance-metadata", "http.uri; content:\"169.254.169.254/latest/meta-data\";"),
    ("scanner-sqlmap", "http.user_agent; content:\"sqlmap\";"),
    ("scanner-masscan", "http.user_agent; content:\"masscan\";"),
    ("scanner-zgrab", "http.user_agent; content:\"zgrab\";"),
    ("scanner-gobuster", "http.user_agent; content:\"gobuster\";"),
    ("command-output-root", "file_data; content:\"uid=0(root)\";"),
    ("aws-access-key-leak", "file_data; content:\"AKIAIOSFODNN7EXAMPLE\";"),
];

/// HTTP evasions (percent-encoded URIs, folded headers, chunked and gzip
/// bodies): rules on the normalized buffers still see every attack they
/// cover, under each; the raw-byte rules of the bundled catalog lose some
/// (the control: each evasion does hide bytes). Prints the table the
/// README gives.
#[test]
fn http_evasions_against_raw_and_normalized_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("normalized.rules");
    let text: String = NORMALIZED
        .iter()
        .enumerate()
        .map(|(i, (name, body))| {
            format!("alert http any any -> any any (msg:\"{name}\"; {body} sid:{};)\n", 9_100_000 + i)
        })
        .collect();
    std::fs::write(&rules, text).unwrap();
    println!("| HTTP evasion | normalized-buffer rules | the catalog's raw rules, same attacks |");
    for (i, e) in HttpEvasion::ALL.into_iter().enumerate() {
        let (_d, pcap, truth) = capture(Evasion::Http(e), 70 + i as u64);
        let cfg = Config::default();
        let normalized = replay(cfg.clone(), std::slice::from_ref(&rules), std::slice::from_ref(&pcap));
        let raw = replay(cfg, &[repo().join("signatures")], &[pcap]);
        let (mut seen_normalized, mut seen_raw, mut missed) = (0, 0, Vec::new());
        for (k, (name, _)) in NORMALIZED.iter().enumerate() {
            let t = truth.iter().find(|t| t.attack == *name).unwrap();
            let on_flow = |a: &&Value| a["src_ip"] == t.src_ip.to_string() && a["dest_ip"] == t.dest_ip.to_string();
            if normalized.iter().filter(on_flow).any(|a| sid(a) == 9_100_000 + k as u64) {
                seen_normalized += 1;
            } else {
                missed.push(*name);
            }
            seen_raw += usize::from(!hits(&raw, t).is_empty());
        }
        let n = NORMALIZED.len();
        println!("| {e:?} | {seen_normalized} of {n} | {seen_raw} of {n} |");
        assert_eq!(missed, Vec::<&str>::new(), "{e:?}: the normalized buffers lost these");
        assert!(seen_raw < n, "{e:?}: every raw rule still matched: the evasion hides nothing");
    }
}

/// Urgent data: a junk byte inside every 16-byte segment, sent as urgent
/// data (URG and its pointer), which the receiving application never reads.
/// With `urgent_policy: oob` (the default) every attack is seen, each TCP
/// one exactly once on the stream, through VXLAN and GENEVE; a sensor
/// keeping the byte inline (`inline`) reads the junk and misses most TCP
/// attacks (the control). Prints the table the README gives.
#[test]
fn urgent_junk_bytes_the_receiver_never_reads() {
    let tcp_attacks = |truth: &[TruthRecord]| truth.iter().filter(|t| is_tcp_payload_attack(t)).count();
    let (_d1, vxlan, truth) = capture(Evasion::UrgentJunk, 80);
    let (_d2, geneve, truth_g) = geneve_capture(Evasion::UrgentJunk, 80);
    let (missed_v, once_v) = judge(vxlan.clone(), &truth, Config::default());
    let (missed_g, once_g) = judge(geneve, &truth_g, Config::default());
    let mut inline = Config::default();
    inline.stream.reassembly.urgent_policy = UrgentPolicy::Inline;
    let (missed_inline, _) = judge(vxlan.clone(), &truth, inline);
    let n = truth.len();
    println!("| urgent_policy | VXLAN | GENEVE |");
    println!("| oob | {} of {n} | {} of {n} |", n - missed_v.len(), n - missed_g.len());
    println!("| inline | {} of {n} | |", n - missed_inline.len());
    assert_eq!(missed_v, Vec::<&str>::new(), "oob through VXLAN: missed");
    assert_eq!(once_v, Vec::<&str>::new(), "oob through VXLAN: not exactly once on the stream");
    assert_eq!(missed_g, Vec::<&str>::new(), "oob through GENEVE: missed");
    assert_eq!(once_g, Vec::<&str>::new(), "oob through GENEVE: not exactly once on the stream");
    let tcp = tcp_attacks(&truth);
    // Short patterns can fall between two junk bytes: most, not all, hide.
    assert!(missed_inline.len() >= tcp / 2, "inline missed only {} of {tcp} TCP attacks", missed_inline.len());
    let (_, summary) =
        mirrorids::engine::replay_to_memory(Config::default(), &[repo().join("signatures")], &[vxlan]).unwrap();
    let st = &summary.workers.stream;
    assert!(st.urgent_removed > 0 && st.urgent_removed <= st.urgent_segments, "{st:?}");
    assert_eq!((st.urgent_stale, st.urgent_limit), (0, 0));
}

/// `plain` less the frames whose IP TTL is 1: what a mirror of the
/// receiver's interface copies when the sender's TTL-1 packets die on the
/// first router.
fn without_expiring(plain: &std::path::Path, out: &std::path::Path) -> usize {
    let mut r = PcapReader::open(plain).unwrap();
    let mut w = PcapWriter::new(std::fs::File::create(out).unwrap(), LinkType::ETHERNET, 65535).unwrap();
    let mut dropped = 0;
    loop {
        let mut frame = Vec::new();
        let Some(meta) = r.next_frame(&mut frame).unwrap() else { break };
        let mut d = Decoded::default();
        decode_frame(&frame, LinkType::ETHERNET, &DecodeConfig::default(), &mut d).unwrap();
        if d.ip.ttl == 1 {
            dropped += 1;
            continue;
        }
        w.write_packet(meta.ts, &frame, meta.wire_len).unwrap();
    }
    dropped
}

/// TTL tricks: junk over the range of every 16-byte segment, sent before or
/// after it with a TTL of 1, dies on the first router. A mirror of the
/// receiver's interface never copies it: every attack is seen, each TCP one
/// exactly once. A mirror of the sender's interface copies it, and no
/// overlap policy can tell which copy arrived: with the junk before the
/// data for some segments and after it for others, every policy misses
/// attacks (printed per policy). `stream.reassembly.min_ttl: 2` leaves the
/// junk out of the stream there: every attack again. Prints the table the
/// README gives.
#[test]
fn ttl_junk_that_dies_before_the_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let (sender_side, truth) = generate(dir.path(), "sender.pcap", attacks_config(Evasion::TtlJunk, 90, Mode::Plain));
    let receiver_side = dir.path().join("receiver.pcap");
    assert!(without_expiring(&sender_side, &receiver_side) > 0);
    let n = truth.len();
    println!("| mirror of | sensor | detected |");
    let (missed, not_once) = judge(receiver_side, &truth, Config::default());
    println!("| receiver | default | {} of {n} |", n - missed.len());
    assert_eq!(missed, Vec::<&str>::new(), "receiver side: missed");
    assert_eq!(not_once, Vec::<&str>::new(), "receiver side: not exactly once on the stream");
    for policy in [OverlapPolicy::First, OverlapPolicy::Last, OverlapPolicy::Bsd, OverlapPolicy::Linux] {
        let mut cfg = Config::default();
        cfg.stream.host_os_policy.default = policy;
        let (missed, _) = judge(sender_side.clone(), &truth, cfg);
        println!("| sender | overlap policy {} | {} of {n} |", policy.name(), n - missed.len());
        assert!(!missed.is_empty(), "{policy:?}: the junk hid nothing");
    }
    let mut cfg = Config::default();
    cfg.stream.reassembly.min_ttl = 2;
    let (missed, not_once) = judge(sender_side.clone(), &truth, cfg.clone());
    println!("| sender | min_ttl 2 | {} of {n} |", n - missed.len());
    assert_eq!(missed, Vec::<&str>::new(), "sender side, min_ttl 2: missed");
    assert_eq!(not_once, Vec::<&str>::new(), "sender side, min_ttl 2: not exactly once on the stream");
    let (_, summary) = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[sender_side]).unwrap();
    assert!(summary.workers.stream.low_ttl > 0);
}
