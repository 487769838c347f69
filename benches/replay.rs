//! End-to-end replay benchmark: generates an AWS-mirror-style VXLAN mix
//! (600 MB by default), replays it with Emerging Threats Open's
//! packet-level rules plus the bundled signatures, and prints Gbit/s and
//! packets/s.
//!
//! Environment:
//!   MIRRORIDS_BENCH_BYTES    capture size (default 600MB; e.g. 100MB)
//!   MIRRORIDS_BENCH_WORKERS  comma-separated worker counts (default 1)
//!   MIRRORIDS_BENCH_RULES    rule paths, comma-separated (default ET Open + bundled)
//!   MIRRORIDS_BENCH_STREAM   on (default), off, or both: TCP reassembly and
//!                            stream detection

use std::path::PathBuf;
use std::time::Instant;

use mirrorids::config::Config;
use mirrorids::gen::{AttackPlan, GenConfig, Generator};

fn size() -> u64 {
    std::env::var("MIRRORIDS_BENCH_BYTES")
        .ok()
        .and_then(|s| mirrorids::cli::generate::parse_size(&s))
        .unwrap_or(600 << 20)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // useful: only run the full benchmark when asked to bench.
    if !std::env::args().any(|a| a == "--bench") {
        println!("replay benchmark: run with `cargo bench --bench replay`");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bytes = size();
    let data = root.join("target/bench-data");
    std::fs::create_dir_all(&data).unwrap();
    let pcap = data.join(format!("mirror-mix-{bytes}.pcap"));
    if !pcap.is_file() {
        let t = Instant::now();
        let cfg = GenConfig {
            seed: 42,
            target_bytes: bytes,
            attacks: AttackPlan::Every(500),
            concurrency: 256,
            ..GenConfig::default()
        };
        let tmp = pcap.with_extension("tmp");
        let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).unwrap());
        let (stats, _, w) = Generator::new(cfg, file).unwrap().run().unwrap();
        drop(w);
        std::fs::rename(&tmp, &pcap).unwrap();
        println!(
            "generated {} ({} packets, {} bytes) in {:.1} s",
            pcap.display(),
            stats.packets,
            stats.bytes,
            t.elapsed().as_secs_f64()
        );
    }
    let rules: Vec<PathBuf> = match std::env::var("MIRRORIDS_BENCH_RULES") {
        Ok(s) => s.split(',').map(PathBuf::from).collect(),
        Err(_) => {
            let et = root.join("../shared/rules/et-open-2024");
            let mut v = vec![root.join("signatures")];
            if et.is_dir() {
                v.insert(0, et);
            }
            v
        }
    };
    let workers: Vec<usize> = std::env::var("MIRRORIDS_BENCH_WORKERS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1]);
    let t = Instant::now();
    let (engine, _) = mirrorids::engine::load_rules(&Config::default(), &rules).unwrap();
    println!(
        "rules: {} loaded ({} skipped: need application-layer parsers or unsupported keywords) in {:.2} s",
        engine.report.loaded,
        engine.report.failed.len(),
        t.elapsed().as_secs_f64()
    );
    drop(engine);
    let streams: Vec<bool> = match std::env::var("MIRRORIDS_BENCH_STREAM").as_deref() {
        Ok("off") => vec![false],
        Ok("both") => vec![true, false],
        _ => vec![true],
    };
    for w in workers {
        for &stream in &streams {
            let mut cfg = Config::default();
            cfg.engine.workers = w;
            cfg.stream.reassembly.enabled = stream;
            let (eve, s) = mirrorids::engine::replay_to_memory(cfg, &rules, std::slice::from_ref(&pcap)).unwrap();
            let st = &s.workers.stream;
            println!(
                "replay: workers={w} stream={} packets={} bytes={} time={:.2}s throughput={:.3} Gbit/s {:.0} packets/s alerts={} ({} EVE bytes) stream: {} windows, {} bytes inspected, {} lookback, peak memory {} bytes",
                if stream { "on" } else { "off" },
                s.reader.records,
                s.reader.bytes,
                s.elapsed.as_secs_f64(),
                s.gbits_per_sec(),
                s.packets_per_sec(),
                s.alerts.written,
                eve.len(),
                st.windows,
                st.bytes_inspected,
                st.bytes_lookback,
                s.workers.stream_memory_peak
            );
        }
    }
}
