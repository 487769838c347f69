//! Files in HTTP bodies end to end: fileinfo records, the file store (what
//! `filestore` rules keep, `force`, the size cap) and the rule keywords'
//! load errors. The capture is `tests/data/http-files` (see its test.yaml
//! for the records Suricata 8 writes for it).

mod common;

use std::path::PathBuf;

use common::*;
use mirrorids::config::Config;
use mirrorids::output::types::EveTypes;
use serde_json::Value;

fn case() -> PathBuf {
    repo().join("tests/data/http-files")
}

fn run(cfg: Config) -> (Vec<Value>, mirrorids::engine::summary::RunSummary) {
    let (eve, summary) =
        mirrorids::engine::replay_to_memory(cfg, &[case().join("test.rules")], &[case().join("input.pcap")]).unwrap();
    (parse_eve(&eve), summary)
}

fn fileinfo<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["event_type"] == "fileinfo" && r["fileinfo"]["filename"] == name)
        .unwrap_or_else(|| panic!("no fileinfo for {name}"))
}

fn store_config(dir: &std::path::Path) -> Config {
    let mut cfg = Config::default();
    cfg.output.eve.types = EveTypes::default();
    cfg.output.filestore.enabled = true;
    cfg.output.filestore.dir = dir.to_path_buf();
    cfg
}

#[test]
fn filestore_rules_keep_their_files_under_their_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let (records, summary) = run(store_config(dir.path()));
    // As Suricata with file-store enabled: sha256 for every file, the
    // stored one with the rule's sid and an id.
    let sha = "af9ce8ed2d17020600e65e8e569453575c9d81de5cb092b6b9bb007d3e0b5222";
    let put = &fileinfo(&records, "/store/data.bin")["fileinfo"];
    assert_eq!(put["sid"], serde_json::json!([7]));
    assert_eq!(put["stored"], true);
    assert_eq!(put["file_id"], 1);
    assert_eq!(put["sha256"], sha);
    let exe = &fileinfo(&records, "invoice.exe")["fileinfo"];
    assert_eq!(exe["stored"], false);
    assert!(exe.get("sid").is_none());
    assert_eq!(exe["sha256"], "efadacc31a465fa3d814949040dcca51fc306ca5ee764c91313a5518a89b56ea");
    assert_eq!(std::fs::read(dir.path().join(&sha[..2]).join(sha)).unwrap(), b"some data\r\n");
    // Nothing else kept, no temporary file left.
    let kept: Vec<_> = walk(dir.path()).into_iter().filter(|p| !p.starts_with(dir.path().join("tmp"))).collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(std::fs::read_dir(dir.path().join("tmp")).unwrap().next().is_none());
    let f = &summary.workers.app.http.files;
    assert_eq!((f.opened, f.closed, f.stored, f.stored_bytes), (5, 5, 1, 11));
}

#[test]
fn forced_store_keeps_every_file_within_its_cap() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = store_config(dir.path());
    cfg.output.filestore.force = true;
    cfg.engine.workers = 1;
    // Room for the first files only (44 + 13 + 4 bytes), not the 11 more.
    cfg.output.filestore.max_bytes = 64;
    let (records, summary) = run(cfg);
    let f = &summary.workers.app.http.files;
    assert_eq!((f.stored, f.store_over_cap), (3, 2), "{f:?}");
    assert_eq!(f.stored_bytes, 61);
    assert_eq!(fileinfo(&records, "/pages/index.html")["fileinfo"]["stored"], false);
    assert_eq!(walk(dir.path()).iter().filter(|p| !p.starts_with(dir.path().join("tmp"))).count(), 3);
}

#[test]
fn no_fileinfo_and_no_file_work_when_nothing_needs_files() {
    let mut cfg = Config::default();
    cfg.output.eve.types = EveTypes::alerts_only();
    let (eve, summary) = mirrorids::engine::replay_to_memory(
        cfg,
        &[repo().join("tests/data/stream-split-marker/test.rules")],
        &[case().join("input.pcap")],
    )
    .unwrap();
    assert!(parse_eve(&eve).iter().all(|r| r["event_type"] != "fileinfo"));
    assert_eq!(summary.workers.app.http.files.opened, 0);
}

#[test]
fn file_keyword_errors_are_per_rule_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("t.rules");
    std::fs::write(
        &rules,
        "alert http any any -> any any (filemd5:missing.list; sid:1;)\n\
         alert http any any -> any any (filemagic:\"PE32\"; sid:2;)\n\
         alert http any any -> any any (filesize:>1KB; sid:3;)\n",
    )
    .unwrap();
    let (detect, _) = mirrorids::engine::load_rules(&Config::default(), &[rules]).unwrap();
    assert_eq!(detect.sigs.len(), 1, "only the filesize rule loads");
    let failed: Vec<String> = detect.report.failed.iter().map(|f| f.error.message.clone()).collect();
    assert!(failed.iter().any(|e| e.contains("filemd5") && e.contains("missing.list")), "{failed:?}");
    assert!(failed.iter().any(|e| e.contains("filemagic") && e.contains("libmagic")), "{failed:?}");
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
