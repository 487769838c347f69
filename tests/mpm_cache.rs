//! The prefilter cache (`detect.mpm_cache`) with the full ET Open set: a
//! second load reads every Hyperscan database instead of compiling it,
//! damaged files are compiled again and replaced, and an engine built
//! from the cache detects exactly what a freshly compiled one does.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::*;
use mirrorids::config::Config;
use mirrorids::detect::mpm_cache::MpmCacheStats;
use mirrorids::detect::DetectEngine;
use mirrorids::engine::{NoProgress, SharedBuf};
use mirrorids::output::threshold::ThresholdFile;

fn load(cfg: &Config, rules: &[PathBuf]) -> DetectEngine {
    mirrorids::engine::load_rules(cfg, rules).expect("rules load").0
}

/// (sid, src_ip, src_port, dest_ip, dest_port) of every alert, sorted.
fn alerts(cfg: &Config, engine: DetectEngine) -> Vec<(u64, String)> {
    let out = SharedBuf::default();
    let pcap = repo().join("pcaps/mirror-demo.pcap");
    mirrorids::engine::replay(
        Arc::new(cfg.clone()),
        Arc::new(engine),
        ThresholdFile::default(),
        &[pcap],
        out.clone(),
        &mut NoProgress,
    )
    .expect("replay");
    let mut v: Vec<_> = parse_alerts(&out.take())
        .iter()
        .map(|a| (sid(a), format!("{}:{} {}:{}", a["src_ip"], a["src_port"], a["dest_ip"], a["dest_port"])))
        .collect();
    v.sort();
    v
}

#[test]
fn a_warm_cache_loads_et_open_without_compiling_and_detects_the_same() {
    let et = shared().join("rules/et-open-2024");
    if !et.is_dir() {
        eprintln!("skipping: {} is missing", et.display());
        return;
    }
    let rules = [et, repo().join("signatures")];
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.detect.mpm_cache.dir = Some(dir.path().join("hyperscan"));

    let cold = load(&cfg, &rules).report;
    let c = cold.mpm_cache;
    let total = c.hits + c.misses;
    assert!(c.written > 20 && c.written == c.misses && c.rejected == 0, "{c:?}");

    let warm = load(&cfg, &rules);
    let w = warm.report.mpm_cache;
    assert_eq!(w, MpmCacheStats { hits: total, ..MpmCacheStats::default() });
    assert_eq!((warm.report.loaded, warm.report.patterns), (cold.loaded, cold.patterns));

    // A flipped byte, a file cut short and one overwritten: each is
    // compiled again and rewritten, the rest still read.
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path().join("hyperscan"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mpm"))
        .collect();
    files.sort();
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&files[0], bytes).unwrap();
    let len = std::fs::metadata(&files[1]).unwrap().len();
    std::fs::File::options().write(true).open(&files[1]).unwrap().set_len(len / 3).unwrap();
    std::fs::write(&files[2], b"not a cache file").unwrap();
    let healed = load(&cfg, &rules).report.mpm_cache;
    assert_eq!((healed.hits, healed.rejected, healed.written), (total - 3, 3, 3), "{healed:?}");
    assert_eq!(load(&cfg, &rules).report.mpm_cache.hits, total, "the rewritten files are sound");

    let mut off = Config::default();
    off.detect.mpm_cache.enabled = false;
    let compiled = load(&off, &rules);
    assert_eq!(compiled.report.mpm_cache, MpmCacheStats::default(), "off: not read, not written");
    let (from_cache, fresh) = (alerts(&cfg, warm), alerts(&off, compiled));
    assert!(fresh.len() >= 40, "{}", fresh.len());
    assert_eq!(from_cache, fresh, "the same alerts from cached and freshly compiled databases");
}
