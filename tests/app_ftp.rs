//! FTP end to end with the sensor's own defaults (one worker, transactions
//! inspected as soon as the receiver acknowledges them), on the
//! conformance captures of `tests/data/conformance/ftp-*` (built by
//! `scripts/conformance/ftp.py`; `mirrorids verify` checks them with
//! Suricata's timing, and their test.yaml says how they compare with the
//! reference Suricata 8.0.6): the control connection's transactions, the
//! data connections it announces recognised as ftp-data on the same worker
//! and tied to it by `parent_id`, their files, the ET rules on FTP, and
//! every record against Suricata's EVE schema.

mod common;

use std::path::PathBuf;

use common::*;
use mirrorids::config::Config;
use serde_json::Value;

fn case(name: &str) -> (PathBuf, PathBuf) {
    let dir = repo().join("tests/data/conformance").join(name);
    (dir.join("test.rules"), dir.join("input.pcap"))
}

fn run(name: &str) -> Vec<Value> {
    let (rules, pcap) = case(name);
    let mut cfg = Config::default();
    cfg.engine.workers = 1;
    replay_records(cfg, &[rules], &[pcap])
}

fn of<'a>(records: &'a [Value], event_type: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["event_type"] == event_type).collect()
}

#[test]
fn data_connections_are_recognised_on_one_worker() {
    let records = run("ftp-session");
    assert_eq!(of(&records, "ftp").len(), 14);
    let flows = of(&records, "flow");
    let control = flows.iter().find(|f| f["app_proto"] == "ftp").expect("control flow");
    let data: Vec<_> = flows.iter().filter(|f| f["app_proto"] == "ftp-data").collect();
    assert_eq!(data.len(), 4, "{flows:?}");
    assert!(data.iter().all(|f| f["parent_id"] == control["flow_id"]));
    // Both modes, both directions: the data connection's ports.
    let mut ports: Vec<(u64, u64)> =
        data.iter().map(|f| (f["src_port"].as_u64().unwrap_or(0), f["dest_port"].as_u64().unwrap_or(0))).collect();
    ports.sort();
    assert_eq!(ports, vec![(20, 40010), (20, 40030), (40020, 50000), (40021, 50001)]);
    let files: Vec<(String, u64)> = of(&records, "fileinfo")
        .iter()
        .map(|f| {
            (f["fileinfo"]["filename"].as_str().unwrap_or("").to_string(), f["fileinfo"]["size"].as_u64().unwrap_or(0))
        })
        .collect();
    assert_eq!(files.len(), 4);
    for want in [("readme.txt", 26), ("tools.vbs", 188), ("upload.bin", 2048), ("notes.txt", 11)] {
        assert!(files.contains(&(want.0.to_string(), want.1)), "{want:?} in {files:?}");
    }
    let alerts = alerts_of(records.clone());
    let kimsuky: Vec<_> = alerts.iter().filter(|a| a["alert"]["signature_id"] == 2034695).collect();
    assert_eq!(kimsuky.len(), 1);
    assert_eq!(kimsuky[0]["app_proto"], "ftp-data");
    assert_eq!(kimsuky[0]["parent_id"], control["flow_id"]);
    // `ftpdata_command`: each matching connection once from each side.
    let count = |sid: u64| alerts.iter().filter(|a| a["alert"]["signature_id"] == sid).count();
    assert_eq!((count(1), count(2)), (4, 4));
}

#[test]
fn ftp_bounce_rules() {
    let alerts = alerts_of(run("ftp-bounce"));
    let count = |sid: u64| alerts.iter().filter(|a| a["alert"]["signature_id"] == sid).count();
    assert_eq!(count(4), 5);
    assert_eq!(count(2103441), 4);
    for a in alerts.iter().filter(|a| a["alert"]["signature_id"] == 2103441) {
        assert_eq!(a["ftp"]["command"], "PORT", "{a}");
        assert_eq!(a["app_proto"], "ftp");
    }
}

#[test]
fn ftp_records_validate_against_suricata_schema() {
    let validator = eve_schema().expect("../shared/schemas is present");
    let mut seen = std::collections::BTreeSet::new();
    for name in ["ftp-session", "ftp-bounce", "ftp-edge", "ftp-detect"] {
        let (rules, pcap) = case(name);
        let mut cfg = config_with_all_eve_fields();
        cfg.engine.workers = 1;
        for r in replay_records(cfg, &[rules], &[pcap]) {
            let errors = schema_errors(&validator, &r);
            assert!(errors.is_empty(), "{name}: {errors:?}\n{r}");
            seen.insert(r["event_type"].as_str().unwrap_or("").to_string());
        }
    }
    for t in ["ftp", "ftp_data", "fileinfo", "alert", "anomaly", "flow"] {
        assert!(seen.contains(t), "no {t} record validated: {seen:?}");
    }
}
