//! Our alert records validate against Suricata 8.0.6's EVE schema once our
//! documented extension (`mirrorids`) is removed.

mod common;

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::{AttackPlan, GenConfig};

#[test]
fn alerts_validate_against_suricata_schema() {
    let schema_path = shared().join("schemas/suricata-8.0.6-eve.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).expect("../shared/schemas is present")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let dir = tempfile::tempdir().unwrap();
    let (pcap, _) = generate(
        dir.path(),
        "mix.pcap",
        GenConfig { seed: 3, target_bytes: 2 << 20, attacks: AttackPlan::EachOnce, ..GenConfig::default() },
    );
    let mut cfg = Config::default();
    // Every optional part on.
    let eve = &mut cfg.output.eve;
    eve.payload = true;
    eve.payload_printable = true;
    eve.packet = true;
    eve.references = true;
    eve.rule = true;
    eve.ethernet = true;
    eve.verdict = true;
    let alerts = replay(cfg, &[repo().join("signatures")], &[pcap]);
    assert!(alerts.len() >= 40);
    for mut a in alerts {
        assert!(a.get("mirrorids").is_some());
        a.as_object_mut().unwrap().remove("mirrorids");
        let errors: Vec<String> = validator.iter_errors(&a).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:?}\n{a}");
    }
}
