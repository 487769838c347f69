//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use mirrorids::config::Config;
use mirrorids::gen::{GenConfig, Generator, TruthRecord};
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

/// Replays captures with rules; returns the EVE records.
pub fn replay(cfg: Config, rules: &[PathBuf], pcaps: &[PathBuf]) -> Vec<Value> {
    let (eve, _) = mirrorids::engine::replay_to_memory(cfg, rules, pcaps).unwrap();
    parse_eve(&eve)
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
