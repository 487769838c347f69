//! Every record about mirrored traffic says which mirror session it came
//! through (`mirrorids.vni`, `mirrorids.tunnel_src_ip`) and, with tenants
//! configured, whose it is (`mirrorids.tenant`): one fleet serves several
//! teams, and each team's SIEM routes on those fields.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::{AttackPlan, GenConfig, Mode};
use mirrorids::output::tenants::Tenant;
use mirrorids::output::types::{EveTypes, Plain};
use serde_json::Value;

/// Record types that are about a flow or a packet of one (stats are not).
const FLOW_TYPES: [&str; 8] = ["alert", "flow", "netflow", "http", "dns", "tls", "ssh", "fileinfo"];

fn run(mode: Mode, tenants: &str) -> (Vec<String>, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let gen = GenConfig { seed: 5, mode, target_bytes: 1 << 20, attacks: AttackPlan::EachOnce, ..GenConfig::default() };
    let (pcap, _) = generate(dir.path(), "mix.pcap", gen);
    let mut cfg = Config::default();
    cfg.output.eve.types = EveTypes { netflow: Some(Plain::default()), ..EveTypes::default() };
    cfg.output.eve.tenants = serde_yaml::from_str::<Vec<Tenant>>(tenants).unwrap();
    cfg.validate().unwrap();
    let (eve, _) = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[pcap]).unwrap();
    let lines: Vec<String> = String::from_utf8_lossy(&eve).lines().map(str::to_string).collect();
    (lines.clone(), parse_eve(lines.join("\n").as_bytes()))
}

fn etype(r: &Value) -> &str {
    r["event_type"].as_str().unwrap_or("")
}

#[test]
fn every_record_of_a_mirror_session_names_it_and_its_tenant() {
    let (lines, records) = run(Mode::Vxlan, "[]");
    // One object per record: the header and the record's own fields never
    // both write it (a JSON parser would silently keep the last).
    for l in &lines {
        assert!(l.matches("\"mirrorids\":").count() <= 1, "two mirrorids objects: {l}");
    }
    let mut sessions: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for r in records.iter().filter(|r| FLOW_TYPES.contains(&etype(r))) {
        let m = &r["mirrorids"];
        let vni = m["vni"].as_u64().unwrap_or_else(|| panic!("no mirrorids.vni: {r}"));
        let src = m["tunnel_src_ip"].as_str().unwrap_or_else(|| panic!("no mirrorids.tunnel_src_ip: {r}"));
        assert!(m.get("tenant").is_none(), "a tenant without tenants configured: {r}");
        sessions.entry(vni).or_default().insert(src.to_string());
        *by_type.entry(etype(r)).or_default() += 1;
    }
    for t in FLOW_TYPES {
        assert!(by_type.contains_key(t), "no {t} record: {by_type:?}");
    }
    // The generator's three sessions, each mirrored from its own ENI.
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert!(sessions.values().all(|s| s.len() == 1), "{sessions:?}");

    // Tenant "a" owns the first session by VNI, "b" the second by the
    // mirrored ENI's address; the third belongs to nobody.
    let mut it = sessions.iter();
    let (vni_a, _) = it.next().unwrap();
    let (vni_b, src_b) = it.next().unwrap();
    let (vni_c, _) = it.next().unwrap();
    let src_b = src_b.iter().next().unwrap();
    let tenants = format!("- {{name: team-a, vnis: [{vni_a}]}}\n- {{name: team-b, cidrs: ['{src_b}/32']}}\n");
    let (_, records) = run(Mode::Vxlan, &tenants);
    let mut labelled: BTreeMap<(u64, Option<String>), usize> = BTreeMap::new();
    for r in records.iter().filter(|r| FLOW_TYPES.contains(&etype(r)) || etype(r) == "anomaly") {
        let m = &r["mirrorids"];
        let Some(vni) = m["vni"].as_u64() else { continue };
        let tenant = m["tenant"].as_str().map(str::to_string);
        *labelled.entry((vni, tenant)).or_default() += 1;
    }
    let keys: BTreeSet<_> = labelled.keys().cloned().collect();
    let want: BTreeSet<_> =
        [(*vni_a, Some("team-a".to_string())), (*vni_b, Some("team-b".to_string())), (*vni_c, None)].into();
    assert_eq!(keys, want, "{labelled:?}");
}

#[test]
fn plain_traffic_has_no_mirror_object_unless_a_tenant_owns_its_clients() {
    let (_, records) = run(Mode::Plain, "[]");
    for r in records.iter().filter(|r| etype(r) != "alert" && etype(r) != "stats") {
        assert!(r.get("mirrorids").is_none(), "{r}");
    }
    // Alerts keep their object (truncated, rule_action) without a session.
    let alert = records.iter().find(|r| etype(r) == "alert").expect("an alert");
    assert!(alert["mirrorids"].get("vni").is_none(), "{alert}");

    // With no tunnel, the client's address names the tenant: take one
    // HTTP client's; its transactions are labelled, in both directions of
    // the connection, and nobody else's.
    let client = records.iter().find(|r| etype(r) == "http").expect("an http record")["src_ip"].clone();
    let client = client.as_str().unwrap().to_string();
    let (_, records) = run(Mode::Plain, &format!("- {{name: office, cidrs: ['{client}/32']}}"));
    let mut labelled = 0;
    for r in records.iter().filter(|r| ["http", "flow", "netflow", "dns", "tls"].contains(&etype(r))) {
        let theirs = r["src_ip"] == client.as_str() || r["dest_ip"] == client.as_str();
        let named = r["mirrorids"]["tenant"] == "office";
        // A connection where that address is the server is not theirs.
        if named {
            assert!(theirs, "{r}");
            labelled += 1;
        } else if etype(r) == "http" {
            assert!(r["src_ip"] != client.as_str(), "{r}");
        }
    }
    assert!(labelled > 0);
}

#[test]
fn gateway_load_balancer_options_reach_every_record_of_the_flow() {
    // One GENEVE packet with the three AWS options, carrying a VXLAN copy
    // of an HTTP request (tests/build_fixtures.rs makes it).
    let case = repo().join("tests/data/gwlb-geneve");
    let mut cfg = Config::default();
    cfg.output.eve.tenants = serde_yaml::from_str("- {name: gwlb-team, vnis: [500]}").unwrap();
    let records = replay_records(cfg, &[case.join("test.rules")], &[case.join("input.pcap")]);
    let of_flow: Vec<&Value> = records.iter().filter(|r| r.get("flow_id").is_some()).collect();
    let types: BTreeSet<&str> = of_flow.iter().map(|r| etype(r)).collect();
    assert!(types.contains("flow") && types.len() > 1, "{records:?}");
    for r in of_flow {
        let m = &r["mirrorids"];
        assert_eq!(m["gwlb_endpoint_id"], "0a0b0c0d0e0f1011", "{r}");
        assert_eq!(m["gwlb_attachment_id"], "1122334455667788", "{r}");
        assert_eq!(m["gwlb_flow_cookie"], "cafef00d", "{r}");
        assert!(m["tunnel_src_ip"].is_string(), "{r}");
        assert_eq!(m["tenant"], "gwlb-team", "{r}");
    }
}
