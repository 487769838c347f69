//! The command line: exit codes, error messages naming the file, JSON
//! output.

mod common;

use std::process::Command;

use common::*;

fn mirrorids(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mirrorids")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &std::path::Path) -> String {
    p.display().to_string()
}

#[test]
fn replay_writes_alerts_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let eve = dir.path().join("eve.json");
    let (code, _, err) = mirrorids(&[
        "replay",
        "--rules",
        &s(&repo().join("signatures")),
        "--eve",
        &s(&eve),
        &s(&repo().join("pcaps/mirror-demo.pcap")),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Gbit/s") && err.contains("packets/s") && err.contains("alerts "), "{err}");
    let alerts = parse_alerts(&std::fs::read(&eve).unwrap());
    assert!(alerts.len() >= 43);
}

#[test]
fn damaged_capture_finishes_with_attention_code() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(repo().join("pcaps/mirror-demo.pcap")).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 7]).unwrap();
    let (code, _, err) = mirrorids(&["replay", "-r", &s(&repo().join("signatures")), "--eve", "-", &s(&cut)]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("ended early") && err.contains("cut.pcap"), "{err}");
    let (code, _, err) =
        mirrorids(&["replay", "-r", &s(&repo().join("signatures")), &s(&dir.path().join("missing.pcap"))]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.pcap"), "{err}");
}

#[test]
fn configuration_errors_name_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.yaml");
    std::fs::write(&cfg, "flow:\n  memcpa: 1\n").unwrap();
    let (code, _, err) = mirrorids(&["replay", "-c", &s(&cfg), "-r", "signatures", "pcaps/mirror-demo.pcap"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.yaml") && err.contains("memcpa"), "{err}");
    let (code, _, err) = mirrorids(&["config", "check", &s(&cfg)]);
    assert_eq!(code, 2);
    assert!(err.contains("memcpa"), "{err}");
    let (code, out, _) = mirrorids(&["config", "default"]);
    assert_eq!(code, 0);
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, out).unwrap();
    assert_eq!(mirrorids(&["config", "check", &s(&good)]).0, 0);
    let (code, _, err) =
        mirrorids(&["replay", "--set", "engine.workers=lots", "-r", "signatures", "pcaps/mirror-demo.pcap"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn config_check_reads_toml_and_names_bad_keys_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[engine]\nworkers = 2\n[control]\nhealth_listen = \"0.0.0.0:9751\"\n").unwrap();
    let (code, out, err) = mirrorids(&["config", "check", &s(&good)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("good.toml: OK"), "{out}");
    let cases = [
        ("nested.toml", "[engine]\nwrokers = 4\n", "unknown key \"engine.wrokers\" (expected one of: workers"),
        ("nested.yaml", "engine:\n  wrokers: 4\n", "unknown key \"engine.wrokers\" (expected one of: workers"),
        ("type.yaml", "engine:\n  workers: x\n", "engine.workers: invalid type: string \"x\", expected usize"),
        ("syntax.toml", "[engine\n", "line 1"),
        ("syntax.yaml", "engine: [\n", "line 2"),
        ("addr.yaml", "control:\n  metrics_listen: nowhere\n", "control.metrics_listen"),
    ];
    for (name, text, expected) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (code, _, err) = mirrorids(&["config", "check", &s(&p)]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(name) && err.contains(expected), "{name}: {err}");
    }
}

#[test]
fn rules_check_reports_each_skipped_rule() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("mixed.rules");
    std::fs::write(
        &rules,
        "alert tcp any any -> any any (content:\"ok\"; sid:1;)\n\
         alert tcp any any -> any any (conten:\"typo\"; sid:2;)\n\
         alert tls any any -> any any (tls.store; sid:3;)\n\
         # alert tcp any any -> any any (sid:4;)\n",
    )
    .unwrap();
    let (code, out, _) = mirrorids(&["rules", "check", &s(&rules)]);
    assert_eq!(code, 3);
    assert!(out.contains("mixed.rules:2:31: sid 2: skipped: unknown keyword \"conten\""), "{out}");
    assert!(
        out.contains("mixed.rules:3") && out.contains("needs the tls application-layer parser (tls.store)"),
        "{out}"
    );
    assert!(out.contains("1 rules loaded, 2 skipped, 1 disabled"), "{out}");
    let (code, out, _) = mirrorids(&["rules", "check", "--json", &s(&rules)]);
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["loaded"], 1);
    assert_eq!(v["skipped_rules"].as_array().unwrap().len(), 2);
    assert_eq!(v["skipped_rules"][0]["kind"], "unknown_keyword");
    let (code, _, err) = mirrorids(&["rules", "check", &s(&dir.path().join("nope.rules"))]);
    assert_eq!(code, 2);
    assert!(err.contains("nope.rules"));
}

#[test]
fn generate_then_verify_data_cases() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("g.pcap");
    let (code, _, err) = mirrorids(&["generate", "-o", &s(&pcap), "--size", "200KB", "--seed", "9"]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("g.truth.jsonl").is_file());
    // The conformance cases have their own runner with its known failures
    // (tests/conformance.rs): verify the other folders.
    let mut dirs: Vec<String> = std::fs::read_dir(repo().join("tests/data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("conformance"))
        .map(|p| s(&p))
        .collect();
    dirs.sort();
    let mut args = vec!["verify"];
    args.extend(dirs.iter().map(String::as_str));
    let (code, out, _) = mirrorids(&args);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn generate_et_attacks_writes_their_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("et.pcap");
    let (code, _, err) = mirrorids(&["generate", "-o", &s(&pcap), "--size", "200KB", "--attacks", "et", "--plain"]);
    assert_eq!(code, 0, "{err}");
    let truth = std::fs::read_to_string(dir.path().join("et.truth.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = truth.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), mirrorids::gen::et_attacks::ET_ATTACKS.len());
    for r in &records {
        assert!(r["sid"].as_u64().is_some_and(|sid| sid > 2_000_000), "{r}");
        assert!(r["rule_file"].as_str().is_some_and(|f| f.starts_with("emerging-")), "{r}");
        assert!(r["vni"].is_null(), "plain capture: {r}");
    }
    let (code, _, err) = mirrorids(&["generate", "-o", &s(&pcap), "--attacks", "evil"]);
    assert_eq!(code, 2);
    assert!(err.contains("each, et, all"), "{err}");
}
