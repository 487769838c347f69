//! End-to-end replay benchmark, the figures users size a fleet on.
//!
//! Generates an AWS-mirror-style VXLAN capture (1 GB by default, fixed
//! seed, the `mirror` session mix: most flows one DNS exchange, most bytes
//! long HTTP and TLS transfers, with jumbo frames truncated as AWS does,
//! reordering and retransmissions, every bundled and ET-aimed attack
//! injected once), loads Emerging Threats Open plus the bundled signatures
//! (cold, then from the prefilter cache), and replays the capture on 1 and
//! 2 workers with alerts only and with the default EVE records. Each run
//! prints Gbit/s, packets/s, alerts, how many injected attacks were
//! detected and the peak RSS of the whole process (loaded rules included).
//!
//! In the same run, two references on the same capture and rules:
//! - the ceiling: a bare Hyperscan scan of every payload with the
//!   engine's own compiled databases, nothing else (no flows, no
//!   reassembly, no parsing, no verification);
//! - the Suricata 8.0.6 in ../shared/reference (`--runmode single`,
//!   Hyperscan, its cache off), alerts only and with its stock logging.
//!
//! and our throughput as a ratio of each.
//!
//! Environment:
//!   MIRRORIDS_BENCH_BYTES     capture size (default 1GB; e.g. 100MB)
//!   MIRRORIDS_BENCH_MIX       mirror (default) or balanced (few, long flows)
//!   MIRRORIDS_BENCH_WORKERS   comma-separated worker counts (default 1,2)
//!   MIRRORIDS_BENCH_RULES     rule paths, comma-separated (default ET Open + bundled)
//!   MIRRORIDS_BENCH_STREAM    on (default), off, or both: TCP reassembly
//!   MIRRORIDS_BENCH_RECORDS   alerts, default, or both (default)
//!   MIRRORIDS_BENCH_SURICATA  on (default where ../shared/reference exists) or off
//!   MIRRORIDS_BENCH_CEILING   on (default) or off
//!   MIRRORIDS_BENCH_BATCH     engine.batch_packets (default: the engine's)
//!   MIRRORIDS_BENCH_RULE_COUNTS  e.g. 100,1000,10000,all: instead of the runs
//!                            above, 1 worker, alerts only, with the first N
//!                            enabled rules (files in name order): how cost
//!                            grows with the rule set
//!   MIRRORIDS_BENCH_CONCURRENCY  e.g. 1000,100000,1000000: instead of the
//!                            runs above, 1 worker, alerts only, full rule
//!                            set, on captures generated with that many
//!                            concurrent sessions: how cost grows with the
//!                            flows held at once
//!   MIRRORIDS_BENCH_FLOW_TIMEOUT  seconds: every flow timeout in those
//!                            runs (a day holds every flow to the end, so the
//!                            flows held at once are all the capture's)
//!   MIRRORIDS_BENCH_JUMBO    e.g. 0,0.05,1: likewise, with that share of TCP
//!                            sessions on 9001-byte jumbo frames: how cost
//!                            grows with packet size

#[path = "support/suricata.rs"]
mod suricata;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mirrorids::config::Config;
use mirrorids::decode::{decode_frame, DecodeConfig, Decoded, L4};
use mirrorids::detect::{DetectEngine, ProtoClass};
use mirrorids::engine::NoProgress;
use mirrorids::gen::{AttackPlan, GenConfig, Generator, SessionMix};
use mirrorids::output::records::EventType;
use mirrorids::output::types::EveTypes;
use mirrorids::source::pcap::PcapReader;

/// Alerts per signature id, and the unfinished last line of a write.
type AlertedSids = (BTreeMap<u64, u64>, Vec<u8>);

/// EVE output that counts bytes and keeps only the signature id of each
/// alert: the benchmark measures the engine, not a disk.
#[derive(Clone, Default)]
struct Counter {
    bytes: Arc<AtomicU64>,
    sids: Arc<Mutex<AlertedSids>>,
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
        let mut guard = self.sids.lock().unwrap_or_else(|e| e.into_inner());
        let (sids, partial) = &mut *guard;
        let Some(last_nl) = memchr::memrchr(b'\n', buf) else {
            partial.extend_from_slice(buf);
            return Ok(buf.len());
        };
        let mut count = |line: &[u8]| {
            const KEY: &[u8] = b"\"signature_id\":";
            if let Some(at) = memchr::memmem::find(line, KEY) {
                let digits: Vec<u8> =
                    line[at + KEY.len()..].iter().take_while(|c| c.is_ascii_digit()).copied().collect();
                if let Some(sid) = std::str::from_utf8(&digits).ok().and_then(|d| d.parse().ok()) {
                    *sids.entry(sid).or_insert(0) += 1;
                }
            }
        };
        let (whole, rest) = buf.split_at(last_nl + 1);
        let mut lines = whole.split(|&c| c == b'\n');
        if !partial.is_empty() {
            partial.extend_from_slice(lines.next().unwrap_or_default());
            count(partial);
            partial.clear();
        }
        lines.for_each(&mut count);
        partial.extend_from_slice(rest);
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

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// How a capture is generated, beyond its size and session mix.
#[derive(Clone, Copy)]
struct Shape {
    concurrency: usize,
    jumbo_share: f64,
}

impl Shape {
    /// The main benchmark's capture.
    const DEFAULT: Shape = Shape { concurrency: 256, jumbo_share: 0.05 };

    /// File-name suffix: empty for the default shape, so its cached
    /// capture keeps its name.
    fn suffix(self) -> String {
        if self.concurrency == Shape::DEFAULT.concurrency && self.jumbo_share == Shape::DEFAULT.jumbo_share {
            String::new()
        } else {
            format!("-c{}-j{}", self.concurrency, self.jumbo_share)
        }
    }
}

fn capture_path(data: &Path, bytes: u64, mix_name: &str, et: bool, shape: Shape) -> PathBuf {
    data.join(format!("mirror-{mix_name}-{}-{bytes}{}.pcap", if et { "all" } else { "each" }, shape.suffix()))
}

/// The capture (generated once, then cached under target/bench-data) and
/// the signature ids of the attacks injected into it.
fn capture(data: &Path, bytes: u64, mix_name: &str, et: bool, shape: Shape) -> (PathBuf, BTreeMap<u64, u64>) {
    let pcap = capture_path(data, bytes, mix_name, et, shape);
    let truth = pcap.with_extension("truth.jsonl");
    if !pcap.is_file() || !truth.is_file() {
        // In a child process: the generator's memory (a million sessions
        // in flight takes gigabytes) stays out of the peak RSS measured here.
        let spec = format!("{bytes},{mix_name},{et},{},{}", shape.concurrency, shape.jumbo_share);
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--bench")
            .env("MIRRORIDS_BENCH_GENERATE", spec)
            .status()
            .unwrap();
        assert!(status.success(), "generating {} failed", pcap.display());
    }
    let mut want = BTreeMap::new();
    for line in std::fs::read_to_string(&truth).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *want.entry(v["sid"].as_u64().unwrap()).or_insert(0) += 1;
    }
    (pcap, want)
}

/// The child's half of [`capture`]: `MIRRORIDS_BENCH_GENERATE` is
/// `bytes,mix,et,concurrency,jumbo`.
fn generate_only(data: &Path, spec: &str) {
    let f: Vec<&str> = spec.split(',').collect();
    let [bytes, mix_name, et, concurrency, jumbo] = f[..] else { panic!("MIRRORIDS_BENCH_GENERATE: {spec}") };
    let (bytes, et) = (bytes.parse().unwrap(), et == "true");
    let mix = SessionMix::parse(mix_name).unwrap();
    let shape = Shape { concurrency: concurrency.parse().unwrap(), jumbo_share: jumbo.parse().unwrap() };
    let attacks = if et { AttackPlan::AllEachOnce } else { AttackPlan::EachOnce };
    let pcap = capture_path(data, bytes, mix_name, et, shape);
    let truth = pcap.with_extension("truth.jsonl");
    let t = Instant::now();
    let cfg = GenConfig {
        seed: 42,
        target_bytes: bytes,
        attacks,
        concurrency: shape.concurrency,
        jumbo: shape.jumbo_share,
        mix,
        ..GenConfig::default()
    };
    let tmp = pcap.with_extension("tmp");
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).unwrap());
    let (stats, records, w) = Generator::new(cfg, file).unwrap().run().unwrap();
    drop(w);
    let lines: String = records.iter().map(|r| serde_json::to_string(r).unwrap() + "\n").collect();
    std::fs::write(&truth, lines).unwrap();
    std::fs::rename(&tmp, &pcap).unwrap();
    println!(
        "generated {} ({} packets, {} bytes, {} sessions, {} attacks) in {:.1} s",
        pcap.display(),
        stats.packets,
        stats.bytes,
        stats.sessions,
        stats.attacks,
        t.elapsed().as_secs_f64()
    );
}

/// Rules loaded three ways: cold without the cache, cold filling a fresh
/// cache, then from it. Returns the last engine.
fn load(rules: &[PathBuf], cache: &Path) -> (DetectEngine, mirrorids::output::threshold::ThresholdFile, f64) {
    let mut cfg = Config::default();
    cfg.detect.mpm_cache.enabled = false;
    reset_peak_rss();
    let t = Instant::now();
    let (engine, _) = mirrorids::engine::load_rules(&cfg, rules).unwrap();
    let cold = t.elapsed().as_secs_f64();
    let cold_rss = peak_rss_mb();
    let r = &engine.report;
    println!(
        "rules: {} loaded, {} skipped (need application-layer parsers or unsupported keywords), {} patterns",
        r.loaded,
        r.failed.len(),
        r.patterns
    );
    drop(engine);
    let _ = std::fs::remove_dir_all(cache);
    cfg.detect.mpm_cache =
        mirrorids::detect::mpm_cache::MpmCacheConfig { dir: Some(cache.into()), ..Default::default() };
    mirrorids::engine::load_rules(&cfg, rules).unwrap();
    reset_peak_rss();
    let t = Instant::now();
    let (engine, thresholds) = mirrorids::engine::load_rules(&cfg, rules).unwrap();
    let warm = t.elapsed().as_secs_f64();
    let c = engine.report.mpm_cache;
    println!(
        "rule load: cold {cold:.2} s (peak RSS {cold_rss:.0} MB), from the prefilter cache {warm:.2} s ({} of {} databases read, peak RSS {:.0} MB)",
        c.hits,
        c.hits + c.misses + c.rejected,
        peak_rss_mb()
    );
    (engine, thresholds, cold)
}

/// The ceiling: Gbit/s of capture bytes through a bare prefilter scan of
/// every payload.
fn ceiling(engine: &DetectEngine, pcap: &Path) -> f64 {
    let ctx = engine.new_ctx().unwrap();
    let mut reader = PcapReader::open(pcap).unwrap();
    let (mut frame, mut d) = (Vec::new(), Decoded::default());
    let decode = DecodeConfig::default();
    let (mut scanning, mut scanned, mut candidates) = (std::time::Duration::ZERO, 0u64, 0u64);
    let mut capture_bytes = 0u64;
    loop {
        frame.clear();
        let Ok(Some(meta)) = reader.next_frame(&mut frame) else { break };
        capture_bytes += u64::from(meta.cap_len);
        if decode_frame(&frame, meta.linktype, &decode, &mut d).is_err() {
            continue;
        }
        let class = match d.l4 {
            L4::Tcp(_) => ProtoClass::Tcp,
            L4::Udp(_) => ProtoClass::Udp,
            L4::Icmp(_) => ProtoClass::Icmp,
            L4::None => ProtoClass::Other,
        };
        let (sport, dport) = d.ports();
        // The generated servers listen below the clients' ephemeral ports.
        let to_client = sport < dport;
        let payload = d.payload(&frame);
        let t = Instant::now();
        candidates += engine.prefilter_scan_only(&ctx, class, to_client, payload) as u64;
        scanning += t.elapsed();
        scanned += payload.len() as u64;
    }
    let gbits = capture_bytes as f64 * 8.0 / scanning.as_secs_f64() / 1e9;
    println!(
        "ceiling: bare Hyperscan scan of {scanned} payload bytes with the engine's databases in {:.2} s ({candidates} candidates): {gbits:.3} Gbit/s of capture",
        scanning.as_secs_f64()
    );
    gbits
}

/// The first `n` enabled rules of `paths` (files in name order) as one file.
fn first_rules(paths: &[PathBuf], n: usize, out: &Path) -> PathBuf {
    let files = mirrorids::rules::expand_rule_paths(paths).unwrap();
    let mut text = String::new();
    let mut taken = 0;
    'files: for f in files {
        for line in std::fs::read_to_string(&f).unwrap_or_default().lines() {
            let l = line.trim_start();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if taken == n {
                break 'files;
            }
            text.push_str(line);
            text.push('\n');
            taken += 1;
        }
    }
    let path = out.join(format!("first-{n}.rules"));
    std::fs::write(&path, text).unwrap();
    path
}

/// One measured replay of `pcap`: the summary, what the EVE output held
/// (bytes, alerts per sid), and the peak RSS of the run in MB.
fn measured_replay(
    cfg: Config,
    engine: Arc<DetectEngine>,
    thresholds: mirrorids::output::threshold::ThresholdFile,
    pcap: &Path,
) -> (mirrorids::engine::RunSummary, Counter, f64) {
    let out = Counter::default();
    reset_peak_rss();
    let s = mirrorids::engine::replay(
        Arc::new(cfg),
        engine,
        thresholds,
        &[pcap.to_path_buf()],
        out.clone(),
        &mut NoProgress,
    )
    .unwrap();
    (s, out, peak_rss_mb())
}

/// Throughput against rule-set size: 1 worker, alerts only.
fn rule_scaling(counts: &str, rules: &[PathBuf], pcap: &Path, data: &Path) {
    for c in counts.split(',').map(str::trim) {
        let (set, label) = match c {
            "all" => (rules.to_vec(), "all".to_string()),
            n => match n.parse::<usize>() {
                Ok(n) => (vec![first_rules(rules, n, data)], n.to_string()),
                Err(_) => continue,
            },
        };
        let mut cfg = Config::default();
        cfg.detect.mpm_cache.enabled = false;
        reset_peak_rss();
        let t = Instant::now();
        let (engine, thresholds) = mirrorids::engine::load_rules(&cfg, &set).unwrap();
        let load = t.elapsed().as_secs_f64();
        let loaded = engine.report.loaded;
        cfg.engine.workers = 1;
        cfg.output.eve.types = EveTypes::alerts_only();
        // The figure covers the load too (the helper's reset would drop it).
        let load_peak = peak_rss_mb();
        let (s, _, rss) = measured_replay(cfg, Arc::new(engine), thresholds, pcap);
        println!(
            "scaling: rules={label} loaded={loaded} load={load:.2}s throughput={:.3} Gbit/s {:.0} packets/s alerts={} peak RSS {:.0} MB",
            s.gbits_per_sec(),
            s.packets_per_sec(),
            s.alerts.written,
            load_peak.max(rss)
        );
    }
}

/// Throughput against the capture's shape (concurrent sessions, or share
/// of jumbo frames): 1 worker, alerts only, the loaded rules.
#[allow(clippy::too_many_arguments)]
fn shape_scaling(
    what: &str,
    values: &str,
    engine: &Arc<DetectEngine>,
    thresholds: &mirrorids::output::threshold::ThresholdFile,
    data: &Path,
    bytes: u64,
    mix_name: &str,
    et: bool,
) {
    for v in values.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        let shape = match what {
            "concurrency" => match v.parse() {
                Ok(c) => Shape { concurrency: c, ..Shape::DEFAULT },
                Err(_) => continue,
            },
            _ => match v.parse() {
                Ok(j) => Shape { jumbo_share: j, ..Shape::DEFAULT },
                Err(_) => continue,
            },
        };
        let (pcap, want) = capture(data, bytes, mix_name, et, shape);
        let mut cfg = Config::default();
        if let Some(t) = env("MIRRORIDS_BENCH_FLOW_TIMEOUT").and_then(|t| t.parse().ok()) {
            let all = mirrorids::flow::StateTimeouts { new: t, established: t, closed: t };
            let f = &mut cfg.flow;
            (f.tcp_timeouts, f.udp_timeouts, f.icmp_timeouts, f.other_timeouts) = (all, all, all, all);
        }
        cfg.engine.workers = 1;
        cfg.output.eve.types = EveTypes::alerts_only();
        let (s, out, rss) = measured_replay(cfg, engine.clone(), thresholds.clone(), &pcap);
        let alerted = out.sids.lock().unwrap().0.clone();
        let found = want.keys().filter(|sid| alerted.contains_key(sid)).count();
        let f = &s.workers.flows;
        println!(
            "scaling: {what}={v} packets={} mean frame {:.0} bytes, flows created={} at most {} at once, throughput={:.3} Gbit/s {:.0} packets/s peak RSS {:.0} MB, attacks detected: {found} of {}",
            s.reader.records,
            s.reader.bytes as f64 / s.reader.records.max(1) as f64,
            f.created,
            f.max_active,
            s.gbits_per_sec(),
            s.packets_per_sec(),
            rss,
            want.len(),
        );
    }
}

struct Ours {
    workers: usize,
    records: &'static str,
    gbits: f64,
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // useful: only run the full benchmark when asked to bench.
    if !std::env::args().any(|a| a == "--bench") {
        println!("replay benchmark: run with `cargo bench --bench replay`");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bytes = env("MIRRORIDS_BENCH_BYTES").and_then(|s| mirrorids::cli::generate::parse_size(&s)).unwrap_or(1 << 30);
    let mix_name = env("MIRRORIDS_BENCH_MIX").unwrap_or_else(|| "mirror".into());
    // Checked here, before anything runs; a child generating a capture parses it again.
    SessionMix::parse(&mix_name).expect("MIRRORIDS_BENCH_MIX: mirror or balanced");
    let data = root.join("target/bench-data");
    std::fs::create_dir_all(&data).unwrap();
    if let Some(spec) = env("MIRRORIDS_BENCH_GENERATE") {
        generate_only(&data, &spec);
        return;
    }
    let et_dir = root.join("../shared/rules/et-open-2024");
    let rules: Vec<PathBuf> = match env("MIRRORIDS_BENCH_RULES") {
        Some(s) => s.split(',').map(PathBuf::from).collect(),
        None if et_dir.is_dir() => vec![et_dir.clone(), root.join("signatures")],
        None => vec![root.join("signatures")],
    };
    let with_et = rules.iter().any(|r| r == &et_dir);
    let (pcap, want) = capture(&data, bytes, &mix_name, with_et, Shape::DEFAULT);
    let workers: Vec<usize> = env("MIRRORIDS_BENCH_WORKERS")
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2]);
    if let Some(counts) = env("MIRRORIDS_BENCH_RULE_COUNTS") {
        rule_scaling(&counts, &rules, &pcap, &data);
        return;
    }
    let (engine, thresholds, _) = load(&rules, &data.join("hs-cache"));
    let engine = Arc::new(engine);
    for (what, var) in [("concurrency", "MIRRORIDS_BENCH_CONCURRENCY"), ("jumbo", "MIRRORIDS_BENCH_JUMBO")] {
        if let Some(values) = env(var) {
            shape_scaling(what, &values, &engine, &thresholds, &data, bytes, &mix_name, with_et);
            return;
        }
    }
    let streams: Vec<bool> = match env("MIRRORIDS_BENCH_STREAM").as_deref() {
        Some("off") => vec![false],
        Some("both") => vec![true, false],
        _ => vec![true],
    };
    let records: Vec<(&'static str, EveTypes)> = match env("MIRRORIDS_BENCH_RECORDS").as_deref() {
        Some("alerts") => vec![("alerts", EveTypes::alerts_only())],
        Some("default") => vec![("default", EveTypes::default())],
        _ => vec![("alerts", EveTypes::alerts_only()), ("default", EveTypes::default())],
    };
    let mut ours = Vec::new();
    // Frames' bytes, the numerator of every Gbit/s figure.
    let mut capture_bytes = 0;
    for &w in &workers {
        for &stream in &streams {
            for (label, types) in &records {
                let mut cfg = Config::default();
                cfg.engine.workers = w;
                if let Some(b) = env("MIRRORIDS_BENCH_BATCH").and_then(|b| b.parse().ok()) {
                    cfg.engine.batch_packets = b;
                }
                cfg.stream.reassembly.enabled = stream;
                cfg.output.eve.types = types.clone();
                let (s, out, rss) = measured_replay(cfg, engine.clone(), thresholds.clone(), &pcap);
                capture_bytes = s.reader.bytes;
                let alerted = out.sids.lock().unwrap().0.clone();
                let missed: BTreeSet<u64> = want.keys().filter(|sid| !alerted.contains_key(sid)).copied().collect();
                let by_type: Vec<String> = EventType::ALL
                    .iter()
                    .filter(|t| s.alerts.records[t.index()] > 0)
                    .map(|t| format!("{}={}", t.name(), s.alerts.records[t.index()]))
                    .collect();
                println!(
                    "replay: workers={w} stream={} records={label} packets={} bytes={} time={:.2}s throughput={:.3} Gbit/s {:.0} packets/s peak RSS {rss:.0} MB (whole process, rules included) alerts={} attacks detected: {} of {} signatures{} EVE {} bytes [{}]",
                    if stream { "on" } else { "off" },
                    s.reader.records,
                    s.reader.bytes,
                    s.elapsed.as_secs_f64(),
                    s.gbits_per_sec(),
                    s.packets_per_sec(),
                    s.alerts.written,
                    want.len() - missed.len(),
                    want.len(),
                    if missed.is_empty() { String::new() } else { format!(" (missed sids {missed:?})") },
                    out.bytes.load(Ordering::Relaxed),
                    by_type.join(" "),
                );
                if stream {
                    ours.push(Ours { workers: w, records: label, gbits: s.gbits_per_sec() });
                }
            }
        }
    }
    let first = |records: &str| ours.iter().find(|o| o.workers == 1 && o.records == records).map(|o| o.gbits);
    if env("MIRRORIDS_BENCH_CEILING").as_deref() != Some("off") {
        let ceiling = ceiling(&engine, &pcap);
        if let Some(g) = first("alerts") {
            println!("ratio: 1 worker, alerts only, at {:.0}% of the Hyperscan ceiling", 100.0 * g / ceiling);
        }
    }
    drop(engine);
    if env("MIRRORIDS_BENCH_SURICATA").as_deref() == Some("off") {
        return;
    }
    let Some(suri) = suricata::Suricata::find(&root, &rules, &data) else { return };
    let Some(head) = suricata::head_of_pcap(&pcap, 2000, &data.join("suricata-head.pcap")) else {
        println!("suricata: skipped, {} is not a classic pcap", pcap.display());
        return;
    };
    let Some(base) = suri.run(&head, false, "load") else { return };
    println!(
        "suricata: load, start and exit on 2,000 packets {:.2} s, peak RSS {:.0} MB",
        base.seconds, base.peak_rss_mb
    );
    for (stock, ours_label) in [(false, "alerts"), (true, "default")] {
        let label = if stock { "stock-logging" } else { "alerts-only" };
        let Some(r) = suri.run(&pcap, stock, label) else { continue };
        let (engine_s, clock) = match r.engine_seconds {
            Some(e) => (e, "its log's time elapsed"),
            None => (r.seconds - base.seconds, "whole process minus the 2,000-packet run"),
        };
        let engine_s = engine_s.max(1e-3);
        let gbits = capture_bytes as f64 * 8.0 / engine_s / 1e9;
        println!(
            "suricata: {label} whole process {:.2} s, engine {engine_s:.2} s ({clock}; the subtraction gives {:.2} s) = {gbits:.3} Gbit/s, peak RSS {:.0} MB, alerts={} records={}",
            r.seconds, r.seconds - base.seconds, r.peak_rss_mb, r.alerts, r.records
        );
        if let Some(g) = first(ours_label) {
            let ours_name = if stock { "default records" } else { "alerts only" };
            println!("ratio: 1 worker, {ours_name}, {:.2}x Suricata {label}", g / gbits);
        }
    }
}
