//! End-to-end replay benchmark: generates an AWS-mirror-style VXLAN mix
//! (600 MB by default), replays it with Emerging Threats Open plus the
//! bundled signatures, with alerts only and with the default set of EVE
//! records (flow, http, dns, tls, ssh, fileinfo, anomaly, stats), and
//! prints Gbit/s, packets/s, records by type and peak RSS for each run.
//!
//! Environment:
//!   MIRRORIDS_BENCH_BYTES    capture size (default 600MB; e.g. 100MB)
//!   MIRRORIDS_BENCH_WORKERS  comma-separated worker counts (default 1)
//!   MIRRORIDS_BENCH_RULES    rule paths, comma-separated (default ET Open + bundled)
//!   MIRRORIDS_BENCH_STREAM   on (default), off, or both: TCP reassembly and
//!                            stream detection
//!   MIRRORIDS_BENCH_RECORDS  alerts, default, or both (default): which EVE
//!                            records are written

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use mirrorids::config::Config;
use mirrorids::engine::NoProgress;
use mirrorids::gen::{AttackPlan, GenConfig, Generator};
use mirrorids::output::records::EventType;
use mirrorids::output::types::EveTypes;

/// EVE output that only counts bytes: the benchmark measures the engine,
/// not a disk, and keeps no output in memory.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Resets the process's peak RSS (Linux `clear_refs` 5), so each run's
/// peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak RSS since the last reset, in MB (`VmHWM`).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

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
    let (engine, thresholds) = mirrorids::engine::load_rules(&Config::default(), &rules).unwrap();
    println!(
        "rules: {} loaded ({} skipped: need application-layer parsers or unsupported keywords) in {:.2} s",
        engine.report.loaded,
        engine.report.failed.len(),
        t.elapsed().as_secs_f64()
    );
    let engine = Arc::new(engine);
    let streams: Vec<bool> = match std::env::var("MIRRORIDS_BENCH_STREAM").as_deref() {
        Ok("off") => vec![false],
        Ok("both") => vec![true, false],
        _ => vec![true],
    };
    let records: Vec<(&str, EveTypes)> = match std::env::var("MIRRORIDS_BENCH_RECORDS").as_deref() {
        Ok("alerts") => vec![("alerts", EveTypes::alerts_only())],
        Ok("default") => vec![("default", EveTypes::default())],
        _ => vec![("alerts", EveTypes::alerts_only()), ("default", EveTypes::default())],
    };
    for w in workers {
        for &stream in &streams {
            for (label, types) in &records {
                let mut cfg = Config::default();
                cfg.engine.workers = w;
                cfg.stream.reassembly.enabled = stream;
                cfg.output.eve.types = types.clone();
                let out = Counter::default();
                reset_peak_rss();
                let s = mirrorids::engine::replay(
                    Arc::new(cfg),
                    engine.clone(),
                    thresholds.clone(),
                    std::slice::from_ref(&pcap),
                    out.clone(),
                    &mut NoProgress,
                )
                .unwrap();
                let rss = peak_rss_mb();
                let st = &s.workers.stream;
                let by_type: Vec<String> = EventType::ALL
                    .iter()
                    .filter(|t| s.alerts.records[t.index()] > 0)
                    .map(|t| format!("{}={}", t.name(), s.alerts.records[t.index()]))
                    .collect();
                println!(
                    "replay: workers={w} stream={} records={label} packets={} bytes={} time={:.2}s throughput={:.3} Gbit/s {:.0} packets/s peak RSS {rss:.0} MB (rules loaded before) alerts={} EVE {} bytes [{}] stream: {} windows, {} bytes inspected, {} lookback, peak memory {} bytes",
                    if stream { "on" } else { "off" },
                    s.reader.records,
                    s.reader.bytes,
                    s.elapsed.as_secs_f64(),
                    s.gbits_per_sec(),
                    s.packets_per_sec(),
                    s.alerts.written,
                    out.0.load(Ordering::Relaxed),
                    by_type.join(" "),
                    st.windows,
                    st.bytes_inspected,
                    st.bytes_lookback,
                    s.workers.stream_memory_peak
                );
            }
        }
    }
}
