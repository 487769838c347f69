//! `community_id` in EVE records, checked against the reference
//! implementation (PyPI `communityid`, which `scripts/setup-lint.sh`
//! installs into the lint virtualenv): every record of a flow carries the
//! ID of the flow's tuple in its original direction, for TCP, UDP, ICMP
//! (request/reply and one-way messages), ICMPv6, IPv6 and a protocol
//! without ports, with the default seed and another; with the option off
//! no record has one.
//!
//! All tuples go to one Python process (one JSON line each), not one
//! process per record.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use etherparse::{IpNumber, PacketBuilder};
use mirrorids::config::Config;
use mirrorids::gen::frames::{self, TcpSpec, MAC_A, MAC_B};
use mirrorids::gen::pcap_writer::PcapWriter;
use mirrorids::gen::{AttackPlan, GenConfig, Mode};
use mirrorids::output::types::{EveTypes, Plain};
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;
use serde_json::{json, Value};

/// The lint virtualenv's Python, if it has `communityid`.
fn reference_python() -> Option<PathBuf> {
    let venv = std::env::var_os("MIRRORIDS_LINT_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/mirrorids/lint-venv")))?;
    let py = venv.join("bin/python");
    let ok = Command::new(&py).args(["-c", "import communityid"]).stderr(Stdio::null()).status();
    ok.is_ok_and(|s| s.success()).then_some(py)
}

/// Reads `[seed, proto, src, dst, sport|null, dport|null]` lines, writes
/// each tuple's ID (the reference maps ICMP types and codes itself).
const REFERENCE: &str = r#"
import json, sys, communityid
out = []
for line in sys.stdin:
    seed, proto, src, dst, sp, dp = json.loads(line)
    tpl = communityid.FlowTuple(proto, src, dst, sp, dp)
    out.append(communityid.CommunityID(seed).calc(tpl))
print("\n".join(out))
"#;

fn reference_ids(py: &Path, tuples: &[Value]) -> Vec<String> {
    let mut child = Command::new(py)
        .args(["-c", REFERENCE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the reference");
    let mut input = String::new();
    for t in tuples {
        input.push_str(&t.to_string());
        input.push('\n');
    }
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "reference failed");
    let ids: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    assert_eq!(ids.len(), tuples.len());
    ids
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An IPv4 or IPv6 packet built by `f` from the IP step.
fn build(
    src: &str,
    dst: &str,
    f: impl FnOnce(etherparse::PacketBuilderStep<etherparse::IpHeaders>, &mut Vec<u8>),
) -> Vec<u8> {
    let eth = PacketBuilder::ethernet2(MAC_A, MAC_B);
    let step = match (ip(src), ip(dst)) {
        (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => eth.ipv6(s.octets(), d.octets(), 64),
        _ => unreachable!("one IP version per packet"),
    };
    let mut out = Vec::new();
    f(step, &mut out);
    out
}

fn icmp4(src: &str, dst: &str, t: u8, c: u8) -> Vec<u8> {
    build(src, dst, |s, o| s.icmpv4_raw(t, c, [0, 1, 0, 1]).write(o, &[0u8; 32]).unwrap())
}

fn icmp6(src: &str, dst: &str, t: u8, c: u8) -> Vec<u8> {
    build(src, dst, |s, o| s.icmpv6_raw(t, c, [0, 1, 0, 1]).write(o, &[0u8; 32]).unwrap())
}

fn syn(src: &str, dst: &str, sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let spec = TcpSpec { sport, dport, seq: 1000, ack: 1, flags, window: 1024 };
    frames::tcp(ip(src), ip(dst), spec, b"")
}

/// Every protocol and ordering case, requests and replies: the higher
/// address first where it matters (the ID swaps ends), one-way ICMP from
/// the higher address (it must not), each ICMP case on its own host pair
/// (ICMP flows are per host pair).
fn crafted(dir: &Path) -> PathBuf {
    let frames = vec![
        syn("10.0.0.20", "10.0.0.5", 40000, 80, 0x02),
        syn("10.0.0.5", "10.0.0.20", 80, 40000, 0x12),
        frames::udp(ip("10.0.0.5"), ip("10.0.0.9"), 5353, 53, b"q"),
        frames::udp(ip("10.0.0.9"), ip("10.0.0.5"), 53, 5353, b"r"),
        icmp4("192.0.2.50", "192.0.2.10", 8, 0),
        icmp4("192.0.2.10", "192.0.2.50", 0, 0),
        icmp4("192.0.2.60", "192.0.2.10", 3, 1),
        icmp4("192.0.2.70", "192.0.2.10", 13, 0),
        syn("2001:db8::20", "2001:db8::5", 40001, 443, 0x02),
        syn("2001:db8::5", "2001:db8::20", 443, 40001, 0x12),
        frames::udp(ip("2001:db8::5"), ip("2001:db8::9"), 5000, 53, b"q"),
        frames::udp(ip("2001:db8::9"), ip("2001:db8::5"), 53, 5000, b"r"),
        icmp6("2001:db8::30", "2001:db8::10", 128, 0),
        icmp6("2001:db8::10", "2001:db8::30", 129, 0),
        icmp6("2001:db8::40", "2001:db8::10", 135, 0),
        icmp6("2001:db8::50", "2001:db8::10", 1, 4),
        build("10.0.0.30", "10.0.0.2", |s, o| s.write(o, IpNumber(50), &[0u8; 24]).unwrap()),
    ];
    let path = dir.join("cid.pcap");
    let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap(), LinkType::ETHERNET, 65535).unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write_packet(Timestamp::from_secs_micros(1_711_929_600, i as u32 * 1000), f, f.len() as u32).unwrap();
    }
    path
}

/// Alerts on every packet, so replies (reversed direction) carry the ID.
fn rules(dir: &Path) -> PathBuf {
    let path = dir.join("cid.rules");
    std::fs::write(&path, "alert ip any any -> any any (msg:\"every packet\"; sid:9100001;)\n").unwrap();
    path
}

fn config(seed: u16) -> Config {
    let mut cfg = Config::default();
    cfg.output.eve.community_id = true;
    cfg.output.eve.community_id_seed = seed;
    cfg.output.eve.types = EveTypes { netflow: Some(Plain::default()), ..EveTypes::default() };
    cfg
}

/// The reference's input for a flow record: its tuple as written (the
/// flow's original direction, ICMP by its first message's type and code).
fn flow_tuple(seed: u16, r: &Value) -> Value {
    let proto = match r["proto"].as_str().unwrap() {
        "TCP" => 6,
        "UDP" => 17,
        "ICMP" => 1,
        "IPv6-ICMP" => 58,
        "ESP" => 50,
        other => other.parse::<u8>().unwrap_or_else(|_| panic!("protocol {other}")),
    };
    let (sp, dp) = match proto {
        6 | 17 => (r["src_port"].clone(), r["dest_port"].clone()),
        1 | 58 => (r["icmp_type"].clone(), r["icmp_code"].clone()),
        _ => (Value::Null, Value::Null),
    };
    json!([seed, proto, r["src_ip"], r["dest_ip"], sp, dp])
}

/// Checks every record of `records` that has a flow against the reference
/// value of its flow; returns the records checked per (event type, proto,
/// ip version).
fn check(py: &Path, seed: u16, records: &[Value]) -> BTreeMap<(String, String, u64), usize> {
    let flows: Vec<&Value> = records.iter().filter(|r| r["event_type"] == "flow").collect();
    let tuples: Vec<Value> = flows.iter().map(|r| flow_tuple(seed, r)).collect();
    let ids = reference_ids(py, &tuples);
    let want: BTreeMap<u64, &str> =
        flows.iter().zip(&ids).map(|(r, id)| (r["flow_id"].as_u64().unwrap(), id.as_str())).collect();
    let mut seen = BTreeMap::new();
    for r in records.iter().filter(|r| r["event_type"] != "stats") {
        let Some(fid) = r["flow_id"].as_u64() else {
            assert!(r.get("community_id").is_none(), "a record without a flow has none (as Suricata): {r}");
            continue;
        };
        let want = want.get(&fid).unwrap_or_else(|| panic!("no flow record for {r}"));
        assert_eq!(r["community_id"].as_str(), Some(*want), "{r}");
        let key = (
            r["event_type"].as_str().unwrap().to_string(),
            r["proto"].as_str().unwrap().to_string(),
            r["ip_v"].as_u64().unwrap_or(0),
        );
        *seen.entry(key).or_insert(0) += 1;
    }
    seen
}

#[test]
fn every_record_of_a_crafted_capture_matches_the_reference() {
    let Some(py) = reference_python() else {
        eprintln!("communityid (PyPI) is not installed in the lint virtualenv; skipped (run scripts/setup-lint.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (pcap, rules) = (crafted(dir.path()), rules(dir.path()));
    for seed in [0, 7] {
        let records = replay_records(config(seed), std::slice::from_ref(&rules), std::slice::from_ref(&pcap));
        let seen = check(&py, seed, &records);
        eprintln!("seed {seed}: {seen:?}");
        let protos: BTreeSet<(&str, u64)> = seen.keys().map(|(_, p, v)| (p.as_str(), *v)).collect();
        for want in [("TCP", 4), ("UDP", 4), ("ICMP", 4), ("TCP", 6), ("UDP", 6), ("IPv6-ICMP", 6), ("ESP", 4)] {
            assert!(protos.contains(&want), "no {want:?} record checked: {seen:?}");
        }
        // 11 flows: TCP, UDP, 3 ICMP, TCP, UDP, 3 ICMPv6, ESP.
        let flows = records.iter().filter(|r| r["event_type"] == "flow").count();
        assert_eq!(flows, 11, "{records:#?}");
        // Replies alert too: the reversed direction names the same flow.
        let alerts = records.iter().filter(|r| r["event_type"] == "alert").count();
        assert_eq!(alerts, 17);
    }
    // Seeds give different IDs.
    let ids = |seed| {
        let records = replay_records(config(seed), std::slice::from_ref(&rules), std::slice::from_ref(&pcap));
        records.iter().filter_map(|r| r["community_id"].as_str().map(str::to_string)).collect::<BTreeSet<_>>()
    };
    assert!(ids(0).is_disjoint(&ids(7)));
}

#[test]
fn every_record_of_a_generated_capture_matches_the_reference() {
    let Some(py) = reference_python() else {
        eprintln!("communityid (PyPI) is not installed in the lint virtualenv; skipped (run scripts/setup-lint.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let gen = GenConfig {
        seed: 5,
        target_bytes: 2 << 20,
        mode: Mode::Plain,
        attacks: AttackPlan::EachOnce,
        ..GenConfig::default()
    };
    let (pcap, _) = generate(dir.path(), "mix.pcap", gen);
    let mut cfg = config(0);
    cfg.output.eve.metadata = true;
    let records = replay_records(cfg, &[repo().join("signatures")], &[pcap]);
    let seen = check(&py, 0, &records);
    eprintln!("{seen:?}");
    let types: BTreeSet<&str> = seen.keys().map(|(t, _, _)| t.as_str()).collect();
    for t in ["alert", "flow", "netflow", "http", "dns", "tls", "ssh", "fileinfo"] {
        assert!(types.contains(t), "no {t} record checked: {types:?}");
    }
}

#[test]
fn off_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, rules) = (crafted(dir.path()), rules(dir.path()));
    let records = replay_records(Config::default(), &[rules], &[pcap]);
    assert!(records.len() > 20);
    assert!(records.iter().all(|r| r.get("community_id").is_none()));
}
