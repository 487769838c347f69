use super::*;

#[test]
fn defaults_round_trip() {
    let yaml = Config::default_yaml();
    assert!(yaml.contains("vxlan_ports"));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.yaml");
    std::fs::write(&p, &yaml).unwrap();
    let c = Config::load(Some(&p), &[]).unwrap();
    assert_eq!(c.decode, DecodeSettings::default());
}

#[test]
fn partial_file_and_sets() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.yaml");
    std::fs::write(&p, "engine:\n  workers: 4\nvars:\n  address_groups:\n    HOME_NET: \"[10.0.0.0/8]\"\n").unwrap();
    let c =
        Config::load(Some(&p), &["decode.vxlan_ports=[4789, 8472]".into(), "stream.midstream=false".into()]).unwrap();
    assert_eq!(c.engine.workers, 4);
    assert_eq!(c.engine.batch_packets, EngineSettings::default().batch_packets);
    assert_eq!(c.vars.address("HOME_NET"), Some("[10.0.0.0/8]"));
    assert_eq!(c.vars.address("EXTERNAL_NET"), Some("!$HOME_NET"), "other defaults kept");
    assert_eq!(c.decode.vxlan_ports, vec![4789, 8472]);
    assert!(!c.stream.midstream);
}

#[test]
fn unknown_keys_are_rejected_with_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.yaml");
    std::fs::write(&p, "engine:\n  wrokers: 4\n").unwrap();
    let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("bad.yaml") && e.contains("wrokers"), "{e}");
    let e = Config::load(None, &["engine.nope=1".into()]).unwrap_err().to_string();
    assert!(e.contains("nope"), "{e}");
    let e = Config::load(None, &["enginenope".into()]).unwrap_err().to_string();
    assert!(e.contains("KEY=VALUE"), "{e}");
    let e = Config::load(None, &["engine.workers=0".into()]).unwrap_err().to_string();
    assert!(e.contains("workers"), "{e}");
    let e = Config::load(None, &["engine.workers=many".into()]).unwrap_err().to_string();
    assert!(e.contains("invalid"), "{e}");
}
