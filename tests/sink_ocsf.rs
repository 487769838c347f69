//! The `ocsf` sink on real records: a generated capture with attacks
//! (alerts, flows, HTTP, DNS) replayed with two `ocsf` sinks, one writing
//! JSON lines, one Parquet files in the Security Lake layout. Then
//! `scripts/ocsf-validate.py`, in the lint virtualenv
//! (`scripts/setup-lint.sh`: PyPI `ocsf-json-schema`, `jsonschema`,
//! `pyarrow`), validates every JSON record against the OCSF 1.1.0 schema of
//! its class and reads every Parquet file back with pyarrow, checking that
//! each class's rows equal its JSON records.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use mirrorids::config::Config;
use mirrorids::output::ocsf::MAPPED_TYPES;
use serde_json::Value;

/// The lint virtualenv's Python, if it has the validator and pyarrow.
fn validator_python() -> Option<PathBuf> {
    let venv = std::env::var_os("MIRRORIDS_LINT_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/mirrorids/lint-venv")))?;
    let py = venv.join("bin/python");
    let ok =
        Command::new(&py).args(["-c", "import ocsf_json_schema, jsonschema, pyarrow"]).stderr(Stdio::null()).status();
    ok.is_ok_and(|s| s.success()).then_some(py)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn real_records_validate_as_ocsf_and_parquet_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 2 << 20);
    let json_path = dir.path().join("ocsf.json");
    let lake = dir.path().join("lake");
    let mut cfg = Config::default();
    cfg.output.eve.community_id = true;
    cfg.output.eve.sensor_name = "sensor-1".into();
    cfg.output.sinks = vec![
        sink(&format!("type: ocsf\nname: ocsf-json\npath: {}", json_path.display())),
        sink(&format!(
            "type: ocsf\nname: lake\npath: {}\nocsf:\n  format: parquet\n  account_id: \"123456789012\"\n  region: eu-west-1\n  row_group_rows: 50\n  rotate_bytes: 8192",
            lake.display()
        )),
    ];
    let rules = [repo().join("signatures")];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &rules, &[pcap]).unwrap();

    let want = lines_of_types(&eve, &MAPPED_TYPES);
    let text = std::fs::read_to_string(&json_path).unwrap();
    let events: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), want.len(), "one OCSF event per mapped record");
    let mut classes = BTreeMap::new();
    for e in &events {
        *classes.entry(e["class_uid"].as_u64().unwrap()).or_insert(0) += 1;
    }
    eprintln!("OCSF events by class: {classes:?}");
    for c in [2004, 4001, 4002, 4003] {
        assert!(classes.get(&c).is_some_and(|&n| n > 0), "no class {c} event: {classes:?}");
    }
    for s in &summary.sinks {
        assert_eq!(s.delivered, want.len() as u64, "{s:?}");
        assert_eq!(s.dropped_total(), 0, "{s:?}");
    }

    // The layout: complete files only, one source per class.
    assert!(files_under(&lake.join("tmp")).is_empty(), "a partial file was left behind");
    let files = files_under(&lake.join("ext"));
    assert!(files.len() > 4, "8 KiB rotation should give several files: {files:?}");
    for f in &files {
        let rel = f.strip_prefix(&lake).unwrap().to_string_lossy().to_string();
        let parts: Vec<&str> = rel.split('/').collect();
        assert_eq!(parts.len(), 6, "{rel}");
        assert_eq!(parts[0], "ext");
        assert!(parts[1].starts_with("mirrorids-"), "{rel}");
        assert_eq!(parts[2], "region=eu-west-1");
        assert_eq!(parts[3], "accountId=123456789012");
        assert!(parts[4].len() == "eventDay=20240101".len() && parts[4].starts_with("eventDay=20"), "{rel}");
        assert!(parts[5].ends_with(".parquet"), "{rel}");
    }

    let Some(py) = validator_python() else {
        eprintln!(
            "SKIPPED: ocsf-json-schema, jsonschema or pyarrow (PyPI) is not installed in the lint virtualenv; \
             run scripts/setup-lint.sh (the Rust-side checks above ran)"
        );
        return;
    };
    let out = Command::new(&py)
        .arg(repo().join("scripts/ocsf-validate.py"))
        .arg("--json")
        .arg(&json_path)
        .arg("--parquet-dir")
        .arg(&lake)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "ocsf-validate.py failed");
    for c in [2004, 4001, 4002, 4003] {
        assert!(stdout.contains(&format!("json: class {c}: {} records validated", classes[&c])), "{stdout}");
        assert!(stdout.contains(&format!("parquet: class {c}: every row equals its JSON record")), "{stdout}");
    }
}

#[test]
fn an_ocsf_sink_refuses_record_types_without_a_class() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("mirrorids.yaml");
    std::fs::write(
        &conf,
        "output:\n  sinks:\n    - type: ocsf\n      name: lake\n      path: /tmp/o.json\n      types: [alert, tls]\n",
    )
    .unwrap();
    let err = Config::load(Some(&conf), &[]).unwrap_err().to_string();
    assert!(err.contains("output.sinks[0] (lake): an ocsf sink cannot take \"tls\" records"), "{err}");
    std::fs::write(
        &conf,
        "output:\n  sinks:\n    - type: ocsf\n      path: /tmp/lake\n      ocsf: { format: parquet }\n",
    )
    .unwrap();
    let err = Config::load(Some(&conf), &[]).unwrap_err().to_string();
    assert!(err.contains("12-digit AWS account id"), "{err}");
}
