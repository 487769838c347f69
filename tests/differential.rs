//! Differential test against the reference: our generated mirror captures
//! go through mirrorids and through Suricata 8.0.6 (`../shared/reference`)
//! with the same rules and Suricata's stock logging. Record counts per
//! event type must agree within 5%, and the fields of matching records
//! must agree, except where this file says why we differ on purpose:
//!
//! - Suricata logs the VXLAN tunnel itself as a UDP flow (mirror ENI to
//!   sensor, port 4789, `app_proto: failed`). mirrorids does not: on a
//!   mirror target every such flow is the mirror session, which each of
//!   our records names (`mirrorids.vni`, `mirrorids.tunnel_src_ip`).
//! - Suricata drops truncated copies (jumbo frames AWS cuts to the
//!   target's MTU) as invalid packets; mirrorids inspects what arrived. The
//!   packet and byte counts of flows with truncated copies, and what their
//!   transactions show, differ for that reason (such flows say how many
//!   copies were truncated in `mirrorids.truncated`).
//! - Suricata alerts twice when a rule matches a packet before the flow's
//!   protocol is known and again on the reassembled stream; mirrorids
//!   alerts once per occurrence, so alert counts are compared per
//!   signature as "at least one, at most Suricata's".
//! - Event types Suricata logs and mirrorids does not (its other protocol
//!   parsers: smtp, smb...) are listed, not compared.
//! - Records of packets taken out of the tunnel: Suricata logs no
//!   `pcap_cnt` for them, we log the capture position of their frame.
//! - A file cut at the body limit by its body's last piece: Suricata says
//!   `CLOSED`, we say `TRUNCATED` (bytes are missing).
//! - Times and positions of records Suricata writes on pseudo packets at
//!   flow end (`pkt_src` "stream (flow timeout)") are its flow manager's;
//!   ours are the flow's last packet: `timestamp` is not compared there.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::*;
use mirrorids::gen::{AttackPlan, GenConfig, Mode};
use serde_json::Value;

/// Record types both engines write.
const COMPARED: &[&str] =
    &["alert", "flow", "http", "dns", "tls", "ssh", "ftp", "ftp_data", "fileinfo", "anomaly", "stats"];

fn suricata(out: &Path, pcap: &Path, rules: &Path) -> Vec<Value> {
    let script = shared().join("reference/run-suricata.sh");
    assert!(script.is_file(), "{} is missing", script.display());
    // One thread: Suricata's thresholds then count in capture order, as
    // ours do (with several threads the Nth match depends on scheduling).
    let status = Command::new(script)
        .arg(out)
        // Community ID on in both: every matched record's value is compared.
        .args(["--set", "outputs.1.eve-log.community-id=true"])
        .args(["--runmode", "single", "-r"])
        .arg(pcap)
        .arg("-S")
        .arg(rules)
        .output()
        .expect("running the reference Suricata");
    assert!(status.status.success(), "reference Suricata failed: {}", String::from_utf8_lossy(&status.stderr));
    parse_eve(&std::fs::read(out.join("eve.json")).unwrap())
}

fn ours(pcap: &Path, rules: &Path) -> Vec<Value> {
    // Suricata's defaults (stream settings, stock EVE types), as `verify`
    // runs suricata-verify tests.
    let mut cfg = mirrorids::verify::settings::suricata_defaults();
    cfg.output.eve.community_id = true;
    replay_records(cfg, &[rules.to_path_buf()], &[pcap.to_path_buf()])
}

fn etype(r: &Value) -> &str {
    r["event_type"].as_str().unwrap_or("?")
}

fn tuple(r: &Value) -> String {
    format!("{} {}:{} -> {}:{}", r["proto"], r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
}

/// The flow endpoints a record belongs to, direction-independent.
fn flow_of(r: &Value) -> String {
    let a = format!("{}:{}", r["src_ip"], r["src_port"]);
    let b = format!("{}:{}", r["dest_ip"], r["dest_port"]);
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    format!("{} {x} {y}", r["proto"])
}

/// What identifies "the same record" in both outputs.
fn key(r: &Value) -> String {
    let t = etype(r);
    match t {
        "http" => format!("{} tx {}", tuple(r), r["tx_id"]),
        "dns" => format!("{} {} id {} tx {}", tuple(r), r["dns"]["type"], r["dns"]["id"], r["dns"]["tx_id"]),
        "fileinfo" => format!("{} tx {} {}", tuple(r), r["fileinfo"]["tx_id"], r["fileinfo"]["filename"]),
        "anomaly" => format!("{} {}", tuple(r), r["anomaly"]["event"]),
        _ => tuple(r),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&p, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

/// Suricata's (and our) default `response-body-limit`: files are followed
/// that far.
const BODY_LIMIT: u64 = 100 * 1024;

/// Fields that legitimately differ between any two engines or runs, or
/// where we differ on purpose (the reason next to each).
fn ignored_field(f: &str, ours: &Value, suricata: &Value) -> bool {
    // Suricata gives the packets it takes out of a tunnel no capture
    // position, so their records have no `pcap_cnt`; ours carry the
    // position of the frame that brought them, which is what finds the
    // packet in the capture.
    let decapsulated_pcap_cnt =
        f == "pcap_cnt" && suricata.get("pcap_cnt").is_none() && suricata["pkt_src"] == "vxlan encapsulation";
    // A file cut at the body limit by its body's last piece: Suricata
    // reports it CLOSED though bytes are missing (its hashes would be of
    // the first 100 KiB only); mirrorids reports it TRUNCATED.
    let cut_at_limit = f == "fileinfo.state"
        && suricata["fileinfo"]["state"] == "CLOSED"
        && ours["fileinfo"]["state"] == "TRUNCATED"
        && suricata["fileinfo"]["size"].as_u64() == Some(BODY_LIMIT);
    decapsulated_pcap_cnt
        || cut_at_limit
        || f == "flow_id"
        || f == "parent_id"
        // A flow record's time is when Suricata's flow manager logged it
        // (offline, a clock that lags the capture); ours is the flow's start.
        || (f == "timestamp" && suricata["event_type"] == "flow")
        || f.starts_with("mirrorids")
        || (f == "timestamp" && suricata["pkt_src"] == "stream (flow timeout)")
        || (f == "pcap_cnt" && suricata["pkt_src"] == "stream (flow timeout)")
        || f == "pkt_src" && suricata["pkt_src"] == "stream (flow timeout)"
}

struct Report {
    counts: BTreeMap<String, (usize, usize)>,
    /// Alerts per signature id: (mirrorids, suricata).
    alerts: BTreeMap<u64, (usize, usize)>,
    not_compared: BTreeMap<String, usize>,
    excluded: BTreeMap<&'static str, usize>,
    field_diffs: BTreeMap<String, (usize, String)>,
    unmatched: Vec<String>,
}

fn compare(ours: &[Value], theirs: &[Value]) -> Report {
    let truncated_flows: BTreeSet<String> = ours
        .iter()
        .filter(|r| etype(r) == "flow" && r["mirrorids"]["truncated"].as_u64().unwrap_or(0) > 0)
        .map(flow_of)
        .collect();
    let mut excluded = BTreeMap::new();
    let theirs: Vec<&Value> = theirs
        .iter()
        .filter(|r| {
            let tunnel = etype(r) == "flow" && r["proto"] == "UDP" && r["dest_port"] == 4789;
            if tunnel {
                *excluded.entry("suricata flow records of the VXLAN tunnel itself").or_default() += 1;
            }
            !tunnel
        })
        .collect();
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut not_compared = BTreeMap::new();
    // What happens in flows with truncated copies differs by design (see
    // the top of this file): their records other than the flow's own are
    // not counted on either side.
    let in_truncated_flow = |r: &Value| !matches!(etype(r), "flow" | "stats") && truncated_flows.contains(&flow_of(r));
    for r in ours {
        if in_truncated_flow(r) {
            *excluded.entry("mirrorids records in flows with truncated copies, not counted").or_default() += 1;
            continue;
        }
        counts.entry(etype(r).to_string()).or_default().0 += 1;
    }
    for r in &theirs {
        let t = etype(r);
        if in_truncated_flow(r) {
            *excluded.entry("suricata records in flows with truncated copies, not counted").or_default() += 1;
            continue;
        }
        if COMPARED.contains(&t) {
            counts.entry(t.to_string()).or_default().1 += 1;
        } else {
            *not_compared.entry(t.to_string()).or_default() += 1;
        }
    }
    let mut alerts: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    for r in ours.iter().filter(|r| etype(r) == "alert") {
        alerts.entry(sid(r)).or_default().0 += 1;
    }
    for r in theirs.iter().filter(|r| etype(r) == "alert") {
        alerts.entry(sid(r)).or_default().1 += 1;
    }
    let mut by_key: BTreeMap<(String, String), Vec<&Value>> = BTreeMap::new();
    for r in ours.iter().filter(|r| !matches!(etype(r), "alert" | "stats")) {
        by_key.entry((etype(r).to_string(), key(r))).or_default().push(r);
    }
    let mut field_diffs: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut unmatched = Vec::new();
    for s in theirs.iter().filter(|r| COMPARED.contains(&etype(r)) && !matches!(etype(r), "alert" | "stats")) {
        let k = (etype(s).to_string(), key(s));
        let Some(o) = by_key.get_mut(&k).and_then(|v| (!v.is_empty()).then(|| v.remove(0))) else {
            if truncated_flows.contains(&flow_of(s)) {
                *excluded.entry("records of flows with truncated copies").or_default() += 1;
            } else {
                unmatched.push(format!("suricata only: {} {}", k.0, k.1));
            }
            continue;
        };
        if truncated_flows.contains(&flow_of(s)) {
            *excluded.entry("field comparisons in flows with truncated copies").or_default() += 1;
            continue;
        }
        let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
        flatten("", o, &mut a);
        flatten("", s, &mut b);
        for f in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            if ignored_field(f, o, s) || a.get(f) == b.get(f) {
                continue;
            }
            let e = field_diffs.entry(format!("{} {f}", k.0)).or_insert((0, String::new()));
            e.0 += 1;
            if e.1.is_empty() {
                e.1 = format!("ours {:?}, suricata {:?} ({})", a.get(f), b.get(f), k.1);
            }
        }
    }
    for ((t, k), rest) in by_key {
        if !rest.is_empty() && !truncated_flows.iter().any(|f| rest.iter().any(|r| flow_of(r) == *f)) {
            unmatched.push(format!("ours only: {t} {k} (x{})", rest.len()));
        }
    }
    Report { counts, alerts, not_compared, excluded, field_diffs, unmatched }
}

fn run(mode: Mode, seed: u64) -> Report {
    let dir = tempfile::tempdir().unwrap();
    // MIRRORIDS_DIFF_KEEP=DIR keeps the capture and Suricata's output there
    // for a closer look.
    let dir_path = match std::env::var_os("MIRRORIDS_DIFF_KEEP") {
        Some(keep) => {
            let p = Path::new(&keep).join(format!("{mode:?}-{seed}"));
            std::fs::create_dir_all(&p).unwrap();
            p
        }
        None => dir.path().to_path_buf(),
    };
    let cfg = GenConfig { seed, target_bytes: 6 << 20, mode, attacks: AttackPlan::Every(5), ..GenConfig::default() };
    let (pcap, _) = generate(&dir_path, "mix.pcap", cfg);
    let rules = repo().join("signatures/mirrorids.rules");
    let theirs = suricata(&dir_path.join("suricata"), &pcap, &rules);
    let ours = ours(&pcap, &rules);
    let r = compare(&ours, &theirs);
    eprintln!("== {mode:?} capture, seed {seed}");
    for (t, (a, b)) in &r.counts {
        eprintln!("  {t:10} mirrorids {a:6}  suricata {b:6}");
    }
    for (t, n) in &r.not_compared {
        eprintln!("  not compared: {n} suricata {t} record(s) (no such records in mirrorids)");
    }
    for (why, n) in &r.excluded {
        eprintln!("  excluded: {n} {why}");
    }
    for (f, (n, example)) in &r.field_diffs {
        eprintln!("  field differs: {f} in {n} record(s), e.g. {example}");
    }
    for u in r.unmatched.iter().take(20) {
        eprintln!("  {u}");
    }
    r
}

fn check(r: &Report) {
    for (t, &(a, b)) in &r.counts {
        if t == "alert" {
            continue;
        }
        let tolerance = (b as f64 * 0.05).ceil() as usize;
        assert!(a.abs_diff(b) <= tolerance, "{t}: mirrorids {a} records, suricata {b} (more than 5% apart)");
    }
    for (sid, &(a, b)) in &r.alerts {
        assert!(a >= 1 && a <= b, "signature {sid}: mirrorids {a} alert(s), suricata {b}");
    }
    assert!(r.field_diffs.is_empty(), "fields differ: {:#?}", r.field_diffs);
    assert!(r.unmatched.len() * 100 <= r.counts.values().map(|c| c.1).sum::<usize>(), "unmatched: {:#?}", r.unmatched);
}

#[test]
fn vxlan_mirror_capture_matches_suricata() {
    check(&run(Mode::Vxlan, 11));
}

#[test]
fn plain_capture_matches_suricata() {
    check(&run(Mode::Plain, 12));
}
