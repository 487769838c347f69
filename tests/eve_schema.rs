//! Every record we write validates against Suricata 8.0.6's EVE schema
//! (strict about unknown keys) once our documented extension (`mirrorids`)
//! is removed.

mod common;

use std::collections::BTreeMap;

use common::*;
use mirrorids::gen::{AttackPlan, GenConfig};
use mirrorids::output::types::{EveTypes, Plain};

#[test]
fn every_record_validates_against_suricata_schema() {
    let validator = eve_schema().expect("../shared/schemas is present");
    let dir = tempfile::tempdir().unwrap();
    let (pcap, _) = generate(
        dir.path(),
        "mix.pcap",
        GenConfig { seed: 3, target_bytes: 2 << 20, attacks: AttackPlan::EachOnce, ..GenConfig::default() },
    );
    let mut cfg = config_with_all_eve_fields();
    cfg.output.eve.types = EveTypes { netflow: Some(Plain::default()), ..EveTypes::default() };
    // The generated SSH connections then carry `hassh` objects too.
    cfg.app.ssh.hassh = true;
    let records = replay_records(cfg, &[repo().join("signatures")], &[pcap]);
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for r in &records {
        *by_type.entry(r["event_type"].as_str().unwrap_or("?").to_string()).or_default() += 1;
        let errors = schema_errors(&validator, r);
        assert!(errors.is_empty(), "{errors:?}\n{r}");
    }
    eprintln!("validated: {by_type:?}");
    assert!(by_type.get("alert").copied().unwrap_or(0) >= 40, "{by_type:?}");
    for t in ["flow", "netflow", "http", "fileinfo", "dns", "tls", "ssh", "anomaly", "stats"] {
        assert!(by_type.contains_key(t), "no {t} record to validate: {by_type:?}");
    }
    assert!(records.iter().filter(|r| r["event_type"] == "alert").all(|a| a.get("mirrorids").is_some()));
    let hassh = records.iter().filter(|r| r["event_type"] == "ssh" && r["ssh"]["server"]["hassh"]["hash"].is_string());
    assert!(hassh.count() > 0, "no ssh record with hassh to validate");
}
