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

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The serialized form stands in for equality: not every stage's settings
/// implement `PartialEq`, and the YAML covers every key.
fn as_yaml(c: &Config) -> String {
    serde_yaml::to_string(c).unwrap()
}

#[test]
fn toml_file_equals_the_same_yaml_file() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = write(
        &dir,
        "c.yaml",
        "engine:\n  workers: 3\n  full_queue_policy: drop_newest\ndecode:\n  vxlan_ports: [4789, 8472]\n\
         vars:\n  address_groups:\n    HOME_NET: \"[10.0.0.0/8]\"\nstream:\n  midstream: false\n\
         control:\n  metrics_listen: \"0.0.0.0:9100\"\n  health_listen: \"\"\n  log_format: json\n",
    );
    let toml = write(
        &dir,
        "c.toml",
        "[engine]\nworkers = 3\nfull_queue_policy = \"drop_newest\"\n[decode]\nvxlan_ports = [4789, 8472]\n\
         [vars.address_groups]\nHOME_NET = \"[10.0.0.0/8]\"\n[stream]\nmidstream = false\n\
         [control]\nmetrics_listen = \"0.0.0.0:9100\"\nhealth_listen = \"\"\nlog_format = \"json\"\n",
    );
    let a = Config::load(Some(&yaml), &[]).unwrap();
    let b = Config::load(Some(&toml), &[]).unwrap();
    assert_eq!(as_yaml(&a), as_yaml(&b));
    assert_eq!(b.engine.workers, 3);
    assert_eq!(b.engine.full_queue_policy, FullQueuePolicy::DropNewest);
    assert_eq!(b.vars.address("EXTERNAL_NET"), Some("!$HOME_NET"), "defaults kept under TOML too");
    assert_eq!(b.control.log_format, LogFormat::Json);
    assert_eq!(b.control.metrics_addr().unwrap(), Some("0.0.0.0:9100".parse().unwrap()));
    assert_eq!(b.control.health_addr().unwrap(), None, "empty disables");
    // --set applies over TOML as over YAML.
    let c = Config::load(Some(&toml), &["engine.workers=5".into()]).unwrap();
    assert_eq!(c.engine.workers, 5);
}

#[test]
fn unknown_nested_key_is_named_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let y = write(&dir, "conf.yaml", "engine:\n  wrokers: 4\n");
    let t = write(&dir, "conf.toml", "[engine]\nwrokers = 4\n");
    for p in [y, t] {
        let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
        let file = p.display().to_string();
        assert!(e.starts_with(&format!("{file}: unknown key \"engine.wrokers\" (expected one of: workers, ")), "{e}");
        assert!(e.contains("batch_packets"), "{e}");
    }
    let deep = write(&dir, "deep.yaml", "stream:\n  reassembly:\n    dept: 1\n");
    let e = Config::load(Some(&deep), &[]).unwrap_err().to_string();
    assert!(e.contains("unknown key \"stream.reassembly.dept\""), "{e}");
    let top = write(&dir, "top.toml", "[contrl]\nlog_level = \"info\"\n");
    let e = Config::load(Some(&top), &[]).unwrap_err().to_string();
    assert!(e.contains("unknown key \"contrl\""), "{e}");
}

#[test]
fn wrong_type_is_named_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "c.yaml", "engine:\n  workers: x\n");
    let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("c.yaml: engine.workers: invalid type: string \"x\", expected usize"), "{e}");
    let p = write(&dir, "c.toml", "[decode]\nvxlan_ports = [4789, \"x\"]\n");
    let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("c.toml: decode.vxlan_ports[1]: invalid type"), "{e}");
    let e = Config::load(None, &["control.stall_after_secs=soon".into()]).unwrap_err().to_string();
    assert!(e.contains("control.stall_after_secs: invalid type"), "{e}");
}

#[test]
fn syntax_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "broken.yaml", "engine:\n  workers: 4\n   batch_packets: [\n");
    let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.starts_with(&p.display().to_string()) && e.contains("line 3"), "{e}");
    let p = write(&dir, "broken.toml", "[engine]\nworkers = 4\nbatch_packets = \n");
    let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.starts_with(&p.display().to_string()) && e.contains("line 3"), "{e}");
}

#[test]
fn control_defaults_bind_localhost() {
    let c = Config::default().control;
    assert_eq!(c.metrics_addr().unwrap(), Some("127.0.0.1:9750".parse().unwrap()));
    assert_eq!(c.health_addr().unwrap(), Some("127.0.0.1:9751".parse().unwrap()));
    assert_eq!((c.stall_after_secs, c.stats_interval_secs, c.log_level.as_str()), (10, 1, "info"));
    assert_eq!(c.log_format, LogFormat::Text);
}

#[test]
fn control_settings_are_validated_with_the_key_named() {
    let e = Config::load(None, &["control.metrics_listen=localhost".into()]).unwrap_err().to_string();
    assert!(e.contains("control.metrics_listen") && e.contains("localhost"), "{e}");
    let e = Config::load(None, &["control.health_listen=\"0.0.0.0\"".into()]).unwrap_err().to_string();
    assert!(e.contains("control.health_listen"), "{e}");
    let e = Config::load(None, &["control.health_listen=\"127.0.0.1:9750\"".into()]).unwrap_err().to_string();
    assert!(e.contains("same address"), "{e}");
    let e = Config::load(None, &["control.log_level=\"info,=[\"".into()]).unwrap_err().to_string();
    assert!(e.contains("control.log_level"), "{e}");
    let e = Config::load(None, &["control.log_format=xml".into()]).unwrap_err().to_string();
    assert!(e.contains("control.log_format") && e.contains("unknown variant"), "{e}");
    let e = Config::load(None, &["control.stall_after_secs=0".into()]).unwrap_err().to_string();
    assert!(e.contains("control.stall_after_secs"), "{e}");
    let c = Config::load(None, &["control.metrics_listen=null".into(), "control.health_listen=\"[::]:9751\"".into()])
        .unwrap();
    assert_eq!(c.control.metrics_addr().unwrap(), None);
    assert_eq!(c.control.health_addr().unwrap(), Some("[::]:9751".parse().unwrap()));
}

#[test]
fn file_settings_load_and_unknown_hashes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.yaml");
    std::fs::write(
        &p,
        "output:\n  eve:\n    types:\n      - files: { force_hash: [md5, sha256] }\n  filestore:\n    enabled: true\n    dir: /tmp/store\n    max_bytes: 1000\napp:\n  http:\n    files:\n      max_per_tx: 4\n",
    )
    .unwrap();
    let c = Config::load(Some(&p), &[]).unwrap();
    assert_eq!(c.output.eve.types.files.as_ref().unwrap().force_hash, vec!["md5", "sha256"]);
    assert!(c.output.filestore.enabled);
    assert_eq!(c.output.filestore.max_bytes, 1000);
    assert_eq!(c.app.http.files.max_per_tx, 4);
    std::fs::write(&p, "output:\n  eve:\n    types:\n      - files: { force_hash: [crc32] }\n").unwrap();
    let e = Config::load(Some(&p), &[]).unwrap_err().to_string();
    assert!(e.contains("crc32"), "{e}");
}

#[test]
fn teredo_settings() {
    use crate::decode::teredo::TeredoPorts;
    let c = Config::load(None, &[]).unwrap();
    assert_eq!(c.decode.teredo, TeredoSettings { enabled: true, ports: vec![3544] });
    assert!(
        matches!(c.decode.to_decode_config().teredo, TeredoPorts::Ports(p) if p.contains(3544) && !p.contains(3545))
    );
    let c = Config::load(None, &["decode.teredo.ports=[]".into()]).unwrap();
    assert!(matches!(c.decode.to_decode_config().teredo, TeredoPorts::Any));
    let c = Config::load(None, &["decode.teredo.enabled=false".into()]).unwrap();
    assert!(matches!(c.decode.to_decode_config().teredo, TeredoPorts::Off));
}
