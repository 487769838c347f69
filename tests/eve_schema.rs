//! Our alert records validate against Suricata 8.0.6's EVE schema once our
//! documented extension (`mirrorids`) is removed.

mod common;

use common::*;
use mirrorids::gen::{AttackPlan, GenConfig};

#[test]
fn alerts_validate_against_suricata_schema() {
    let validator = eve_schema().expect("../shared/schemas is present");
    let dir = tempfile::tempdir().unwrap();
    let (pcap, _) = generate(
        dir.path(),
        "mix.pcap",
        GenConfig { seed: 3, target_bytes: 2 << 20, attacks: AttackPlan::EachOnce, ..GenConfig::default() },
    );
    let cfg = config_with_all_eve_fields();
    let alerts = replay(cfg, &[repo().join("signatures")], &[pcap]);
    assert!(alerts.len() >= 40);
    for a in alerts {
        assert!(a.get("mirrorids").is_some());
        let errors = schema_errors(&validator, &a);
        assert!(errors.is_empty(), "{errors:?}\n{a}");
    }
}
