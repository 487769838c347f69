//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mirrorids::config::Config;
use mirrorids::gen::{AttackPlan, GenConfig, Generator, TruthRecord};
use mirrorids::output::sinks::fanout::{Fanout, SinkMonitor};
use mirrorids::output::sinks::SinkConfig;
use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shared() -> PathBuf {
    repo().join("../shared")
}

/// Generates a capture into `dir`; returns its path and ground truth.
pub fn generate(dir: &Path, name: &str, cfg: GenConfig) -> (PathBuf, Vec<TruthRecord>) {
    let path = dir.join(name);
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let (_, truth, w) = Generator::new(cfg, file).unwrap().run().unwrap();
    drop(w);
    (path, truth)
}

/// Replays captures with rules; returns the EVE alerts.
pub fn replay(cfg: Config, rules: &[PathBuf], pcaps: &[PathBuf]) -> Vec<Value> {
    alerts_of(replay_records(cfg, rules, pcaps))
}

/// Replays captures with rules; returns every EVE record.
pub fn replay_records(cfg: Config, rules: &[PathBuf], pcaps: &[PathBuf]) -> Vec<Value> {
    let (eve, _) = mirrorids::engine::replay_to_memory(cfg, rules, pcaps).unwrap();
    parse_eve(&eve)
}

/// The alert records among `records`.
pub fn alerts_of(records: Vec<Value>) -> Vec<Value> {
    records.into_iter().filter(|r| r["event_type"] == "alert").collect()
}

/// The alert lines of EVE output.
pub fn parse_alerts(eve: &[u8]) -> Vec<Value> {
    alerts_of(parse_eve(eve))
}

pub fn parse_eve(eve: &[u8]) -> Vec<Value> {
    eve.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice(l)
                .unwrap_or_else(|e| panic!("invalid EVE line {:?}: {e}", String::from_utf8_lossy(l)))
        })
        .collect()
}

pub fn sid(a: &Value) -> u64 {
    a["alert"]["signature_id"].as_u64().unwrap_or(0)
}

/// Suricata 8.0.6's EVE schema, or None when ../shared has no schemas.
pub fn eve_schema() -> Option<jsonschema::Validator> {
    let text = std::fs::read_to_string(shared().join("schemas/suricata-8.0.6-eve.schema.json")).ok()?;
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    Some(jsonschema::validator_for(&schema).expect("schema compiles"))
}

/// What the schema finds wrong with an alert line once our own
/// `mirrorids` object is removed.
pub fn schema_errors(v: &jsonschema::Validator, line: &Value) -> Vec<String> {
    let mut line = line.clone();
    if let Some(o) = line.as_object_mut() {
        o.remove("mirrorids");
    }
    v.iter_errors(&line).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

/// The default configuration with every optional EVE part switched on.
pub fn config_with_all_eve_fields() -> Config {
    let mut cfg = Config::default();
    let eve = &mut cfg.output.eve;
    eve.payload = true;
    eve.payload_printable = true;
    eve.packet = true;
    eve.references = true;
    eve.rule = true;
    eve.ethernet = true;
    eve.verdict = true;
    eve.sensor_name = "sensor-1".into();
    eve.community_id = true;
    cfg
}

/// Signatures with thresholds alert on the Nth match in the order
/// matches reach the alert stage; with several workers that is arrival
/// order, so which packet alerts may differ (how many may not).
pub const THRESHOLDED: [u64; 2] = [1990009, 1990010];

/// What must agree between live and replay (time, flow id and capture
/// position legitimately differ).
pub fn projection(alerts: &[&Value], thresholded: bool) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for a in alerts {
        let k = if THRESHOLDED.contains(&sid(a)) {
            if !thresholded {
                continue;
            }
            format!("{} (count)", sid(a))
        } else {
            format!(
                "{} {}:{} -> {}:{} {} {} {}",
                sid(a),
                a["src_ip"],
                a["src_port"],
                a["dest_ip"],
                a["dest_port"],
                a["proto"],
                a["app_proto"],
                a["alert"]["signature"]
            )
        };
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

/// A generated mix with an attack after every three benign sessions, of
/// about `bytes` bytes (the sink tests' traffic).
pub fn mix_capture(dir: &Path, bytes: u64) -> PathBuf {
    let cfg = GenConfig { seed: 9, target_bytes: bytes, attacks: AttackPlan::Every(3), ..GenConfig::default() };
    generate(dir, "mix.pcap", cfg).0
}

/// One `output.sinks` entry from YAML.
pub fn sink(yaml: &str) -> SinkConfig {
    serde_yaml::from_str(yaml).unwrap()
}

/// The EVE lines of the given `event_type`s, in order.
pub fn lines_of_types(eve: &[u8], types: &[&str]) -> Vec<String> {
    String::from_utf8_lossy(eve)
        .lines()
        .filter(|l| types.iter().any(|t| l.contains(&format!("\"event_type\":\"{t}\""))))
        .map(str::to_string)
        .collect()
}

/// Numbered record `i` of the outage tests: `{"event_type":"alert","n":i}`.
pub fn numbered_line(i: usize) -> String {
    format!("{{\"event_type\":\"alert\",\"n\":{i}}}")
}

/// Hands block `b` (numbered records `10b .. 10b+9`) to the fanout.
pub fn push_numbered_block(fanout: &mut Fanout, b: usize) {
    for i in b * 10..(b + 1) * 10 {
        fanout.push(mirrorids::output::records::EventType::Alert, format!("{}\n", numbered_line(i)).as_bytes());
    }
    fanout.send();
}

/// Waits (30 s at most) until the first sink has delivered `n` records.
pub fn wait_delivered(monitor: &SinkMonitor, n: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while monitor.snapshot()[0].delivered < n {
        assert!(std::time::Instant::now() < deadline, "{:?}", monitor.snapshot());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
