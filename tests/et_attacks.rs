//! The generator's ET-targeted attacks (HTTP, TLS, DNS) are detected by the
//! Emerging Threats Open rules they aim at, in VXLAN-wrapped and plain
//! captures: each targeted sid alerts in the attack's flow and nowhere
//! else, with its `msg`, `app_proto` and the protocol's metadata object,
//! and the alert lines validate against Suricata's EVE schema. ET Open is
//! loaded once for the whole binary; without `../shared` the tests skip.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use common::*;
use mirrorids::config::Config;
use mirrorids::detect::DetectEngine;
use mirrorids::engine::{NoProgress, SharedBuf};
use mirrorids::gen::et_attacks::{self, ET_ATTACKS};
use mirrorids::gen::{AttackPlan, GenConfig, Mode, TruthRecord};
use mirrorids::output::threshold::ThresholdFile;
use serde_json::Value;

fn et_dir() -> PathBuf {
    shared().join("rules/et-open-2024")
}

/// ET Open compiled with the default variables, or None (with a message)
/// when the shared rules are not there.
fn et_engine() -> Option<Arc<DetectEngine>> {
    static ENGINE: OnceLock<Option<Arc<DetectEngine>>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let dir = et_dir();
            if !dir.is_dir() {
                eprintln!("skipping: {} is missing", dir.display());
                return None;
            }
            let (engine, _) = mirrorids::engine::load_rules(&Config::default(), &[dir]).expect("ET Open loads");
            Some(Arc::new(engine))
        })
        .clone()
}

fn schema() -> Option<&'static jsonschema::Validator> {
    static SCHEMA: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    SCHEMA.get_or_init(eve_schema).as_ref()
}

fn replay(engine: Arc<DetectEngine>, cfg: Config, pcap: PathBuf) -> Vec<Value> {
    let out = SharedBuf::default();
    mirrorids::engine::replay(Arc::new(cfg), engine, ThresholdFile::default(), &[pcap], out.clone(), &mut NoProgress)
        .expect("replay");
    parse_alerts(&out.take())
}

/// Whether alert `a` belongs to the flow of truth record `t` (either
/// direction) on its mirror session.
fn in_flow(a: &Value, t: &TruthRecord) -> bool {
    let end = |ip: &Value, port: &Value| (ip.as_str().unwrap_or("").to_string(), port.as_u64());
    let mut got = [end(&a["src_ip"], &a["src_port"]), end(&a["dest_ip"], &a["dest_port"])];
    let mut want =
        [(t.src_ip.to_string(), t.src_port.map(u64::from)), (t.dest_ip.to_string(), t.dest_port.map(u64::from))];
    got.sort();
    want.sort();
    got == want
        && a["proto"] == t.proto
        && match t.vni {
            Some(v) => a["mirrorids"]["vni"] == v,
            None => a.get("tunnel").is_none(),
        }
}

fn check(mode: Mode, seed: u64, cfg: Config) {
    let Some(engine) = et_engine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let gen = GenConfig { seed, mode, target_bytes: 1 << 20, attacks: AttackPlan::EtEachOnce, ..GenConfig::default() };
    let (pcap, truth) = generate(dir.path(), "et.pcap", gen);
    assert_eq!(truth.len(), ET_ATTACKS.len(), "each ET attack once");
    let alerts = replay(engine, cfg, pcap);
    let mut failures = Vec::new();
    for t in &truth {
        let a = et_attacks::by_name(t.attack).expect("truth names a catalog attack");
        assert_eq!((t.sid, t.rule_file), (a.sid, Some(a.rule_file)));
        let hits: Vec<&Value> = alerts.iter().filter(|x| sid(x) == u64::from(a.sid)).collect();
        let what = format!("{mode:?}: {} (sid {}, {})", a.name, a.sid, a.rule_file);
        if hits.is_empty() {
            failures.push(format!("{what}: no alert"));
            continue;
        }
        // Suricata alerts a signature at most once per transaction.
        let mut txs: Vec<(&Value, &Value)> = hits.iter().map(|h| (&h["flow_id"], &h["tx_id"])).collect();
        txs.sort_by_key(|(f, t)| (f.as_u64(), t.as_u64()));
        if txs.windows(2).any(|w| w[0] == w[1] && !w[0].1.is_null()) {
            failures.push(format!("{what}: several alerts on one transaction"));
        }
        for h in hits {
            let mut problems = Vec::new();
            if !in_flow(h, t) {
                problems.push(format!("outside the attack's flow {t:?}"));
            }
            if h["src_ip"] != t.src_ip.to_string() {
                problems.push("src_ip is not the alerting side".to_string());
            }
            if h["direction"] != if a.to_client() { "to_client" } else { "to_server" } {
                problems.push("wrong direction".to_string());
            }
            if h["alert"]["signature"] != a.msg {
                problems.push("signature is not the rule's msg".to_string());
            }
            if h["app_proto"] != a.app_proto() {
                problems.push(format!("app_proto is not {}", a.app_proto()));
            }
            if !h[a.app_proto()].is_object() {
                problems.push(format!("no {} metadata object", a.app_proto()));
            }
            if let Some(v) = schema() {
                problems.extend(schema_errors(v, h).into_iter().map(|e| format!("EVE schema: {e}")));
            }
            if !problems.is_empty() {
                failures.push(format!("{what}: {}\n  {h}", problems.join("; ")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems with {} ET attacks:\n{}",
        failures.len(),
        truth.len(),
        failures.join("\n")
    );
}

#[test]
fn et_attacks_detected_in_vxlan_capture() {
    check(Mode::Vxlan, 21, Config::default());
}

#[test]
fn et_attacks_detected_in_plain_capture() {
    // Every optional part of the alert on, for the schema check.
    check(Mode::Plain, 22, config_with_all_eve_fields());
}

#[test]
fn every_targeted_rule_is_enabled_and_loaded() {
    let Some(engine) = et_engine() else { return };
    for a in ET_ATTACKS {
        let path = et_dir().join(a.rule_file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let tag = format!("sid:{};", a.sid);
        let line = text
            .lines()
            .find(|l| l.starts_with("alert ") && l.contains(&tag))
            .unwrap_or_else(|| panic!("{}: no enabled rule with sid {}", a.rule_file, a.sid));
        assert!(line.contains(&format!("msg:\"{}\";", a.msg)), "{}: msg differs: {line}", a.name);
        assert!(!line.contains("flowbits:isset"), "{}: depends on another rule's flowbits", a.name);
        assert!(engine.sigs.iter().any(|s| s.sid == a.sid), "{}: sid {} did not load", a.name, a.sid);
    }
}
