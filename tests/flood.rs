//! Floods against the live sensor: `mirrorids run` on loopback with ET Open
//! loaded (the bundled signatures alone where ../shared is missing), fed by
//! `mirrorids send` with one flood at a time, each aimed at one bound, with
//! real attack sessions woven into it (`mirrorids::gen::flood`). For each:
//! the process stays up and answers `/health` with 200 throughout
//! (`degraded` once it sheds), its peak RSS stays under the configured caps
//! plus a constant, every datagram sent is accounted for (received or
//! counted as a kernel drop), what the flood cost is counted by reason,
//! and the woven attacks raise the alerts they raise without the flood.
//!
//! `cargo test --profile ci --test flood -- --nocapture` prints the figures.

mod common;
#[path = "common/sensor.rs"]
mod sensor;

use std::collections::BTreeSet;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::flood::{write_flood, Flood};
use mirrorids::gen::rng::Rng;
use mirrorids::gen::{AttackPlan, GenConfig, Mode};
use mirrorids::source::pcap::PcapReader;
use sensor::*;
use serde_json::Value;

const MIB: u64 = 1 << 20;

/// An alert as the floods compare them: signature id, source, destination.
type AlertKey = (u64, String, String);
/// The woven attack frames and the alerts they raise on their own.
type Woven = (Vec<Vec<u8>>, BTreeSet<AlertKey>);
/// The caps every flood runs against (small, so that each flood exhausts
/// its own within seconds).
const FLOW_MEMCAP: u64 = 16 * MIB;
const STREAM_MEMCAP: u64 = 16 * MIB;
const DEFRAG_MEMCAP: u64 = 4 * MIB;
const DEFRAG_TRACKERS: u64 = 4096;
/// What the process may hold beyond its RSS once rules are loaded and the
/// caps: per-flow state the flow cap does not count (hash table entries,
/// application state of half-open flows), allocator slack, batch and
/// record buffers. README "Floods" documents it.
const CONSTANT: u64 = 96 * MIB;
/// Datagrams per second: the rate the sensor sustains with ET Open on a
/// 2-core machine beside the sender, so that the woven attacks are not
/// lost to the kernel (if they are, the test says so instead of judging).
const RATE: &str = "100000";

/// Tests in this file run one at a time: each starts a sensor and floods
/// it, and two at once would share two cores.
static SERIAL: Mutex<()> = Mutex::new(());

fn rule_paths() -> Vec<PathBuf> {
    let mut r = vec![repo().join("signatures")];
    let et = shared().join("rules/et-open-2024");
    if et.is_dir() {
        r.push(et);
    } else {
        eprintln!("../shared/rules/et-open-2024 missing: floods run with the bundled signatures only");
    }
    r
}

/// The attack sessions woven into every flood, one session at a time, and
/// the alerts they raise on their own: (sid, source, destination).
fn attacks(dir: &Path) -> Woven {
    let cfg = GenConfig {
        seed: 5,
        target_bytes: 400 << 10,
        mode: Mode::Plain,
        concurrency: 1,
        attacks: AttackPlan::EachOnce,
        ..GenConfig::default()
    };
    let (path, _) = generate(dir, "attacks.pcap", cfg);
    let mut frames = Vec::new();
    let mut r = PcapReader::open(&path).unwrap();
    loop {
        let mut f = Vec::new();
        if r.next_frame(&mut f).unwrap().is_none() {
            break;
        }
        frames.push(f);
    }
    let expected = replay(Config::default(), &rule_paths(), &[path]);
    (frames, alert_keys(&expected))
}

fn alert_keys(records: &[Value]) -> BTreeSet<AlertKey> {
    records
        .iter()
        .filter(|r| r["event_type"] == "alert")
        .map(|r| {
            (sid(r), r["src_ip"].as_str().unwrap_or("").to_string(), r["dest_ip"].as_str().unwrap_or("").to_string())
        })
        .collect()
}

/// `/health` every 100 ms while a flood runs: every answer seen.
struct HealthWatch {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<(u16, String)>>>,
    thread: std::thread::JoinHandle<()>,
}

impl HealthWatch {
    fn start(port: u16) -> HealthWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, v) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let answer = http_get(port, "/health").unwrap_or((0, "no answer".into()));
                v.lock().unwrap().push(answer);
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        HealthWatch { stop, seen, thread }
    }

    fn finish(self) -> Vec<(u16, String)> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap();
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

/// What one flood did to the sensor.
struct Outcome {
    metrics: String,
    health: Vec<(u16, String)>,
    missed: Vec<AlertKey>,
    kernel_drops: f64,
}

impl Outcome {
    fn count(&self, name: &str, filter: &str) -> f64 {
        metric(&self.metrics, name, filter)
    }
}

/// Starts a sensor with the caps, floods it with `pcap` (and whatever
/// `extra` sends), waits until every datagram is accounted for and
/// processed, stops it, and checks what every flood must satisfy.
fn flood(name: &str, pcap: &Path, extra: impl FnOnce(&str) -> u64) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let to = format!("127.0.0.1:{port}");
    let eve = dir.path().join("eve.json");
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("flood-hs-cache");
    let mut args = vec!["--listen".to_string(), to.clone(), "--eve".into(), s(&eve)];
    for r in rule_paths() {
        args.extend(["-r".to_string(), s(&r)]);
    }
    for set in [
        format!("flow.memcap={FLOW_MEMCAP}"),
        format!("stream.reassembly.memcap={STREAM_MEMCAP}"),
        format!("defrag.memcap={DEFRAG_MEMCAP}"),
        format!("defrag.max_trackers={DEFRAG_TRACKERS}"),
        format!("detect.mpm_cache.dir={}", cache.display()),
        "live.allow_sources=[127.0.0.1/32]".into(),
        "live.allow_vnis=[1]".into(),
        "output.eve.types=[alert]".into(),
    ] {
        args.extend(["--set".to_string(), set]);
    }
    let mut sensor = Sensor::start(dir.path(), &args);
    sensor.wait_healthy();
    let pid = sensor.child.id();
    // The peak from here on: loading the rules peaks higher than the
    // sensor then holds (the compile's scratch is trimmed), and a cold
    // prefilter cache peaks higher still. "5" resets VmHWM (Linux 4.0+).
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("resetting the sensor's peak RSS");
    let baseline_kb = status_kb(pid, "VmRSS:");
    let watch = HealthWatch::start(sensor.health);
    let mut sent = send(&["--to", &to, "--rate", RATE, &s(pcap)]);
    sent += extra(&to);

    // Every datagram is received or counted as dropped by the kernel, then
    // processed: the workers' count stops moving.
    let end = Instant::now() + PATIENCE * 2;
    let mut last = -1.0;
    loop {
        let m = sensor.metrics();
        let accounted = metric(&m, "mirrorids_receiver_datagrams_total", "")
            + metric(&m, "mirrorids_receiver_kernel_drops_total", "");
        let done = metric(&m, "mirrorids_worker_packets_total", "") + metric(&m, "mirrorids_dropped_packets_total", "");
        if accounted >= sent as f64 && done == last {
            break;
        }
        last = if accounted >= sent as f64 { done } else { -1.0 };
        assert!(sensor.child.try_wait().unwrap().is_none(), "{name}: the sensor died: {}", sensor.log());
        assert!(Instant::now() < end, "{name}: {accounted} of {sent} datagrams accounted for:\n{m}");
        std::thread::sleep(Duration::from_millis(1200));
    }
    let metrics = sensor.metrics();
    let peak_kb = status_kb(pid, "VmHWM:");
    let health = watch.finish();
    let (code, log) = sensor.stop();
    assert_eq!(code, 0, "{name}: {log}");

    let received = metric(&metrics, "mirrorids_receiver_datagrams_total", "");
    let kernel_drops = metric(&metrics, "mirrorids_receiver_kernel_drops_total", "");
    assert_eq!(received + kernel_drops, sent as f64, "{name}: datagrams not accounted for:\n{metrics}");
    let bound = baseline_kb * 1024 + FLOW_MEMCAP + STREAM_MEMCAP + DEFRAG_MEMCAP + CONSTANT;
    println!(
        "{name}: {sent} datagrams, peak RSS {} MiB (after rule load {} MiB, bound {} MiB), kernel drops {kernel_drops}",
        peak_kb / 1024,
        baseline_kb / 1024,
        bound / MIB
    );
    assert!(peak_kb * 1024 <= bound, "{name}: peak RSS {peak_kb} kB over the bound {} kB", bound / 1024);
    assert!(!health.is_empty());
    for (code, body) in &health {
        assert_eq!(*code, 200, "{name}: /health answered {code} during the flood: {body}");
    }
    let degraded = health.iter().filter(|(_, b)| b.starts_with("degraded")).count();
    println!(
        "{name}: /health {} answers, {degraded} degraded, e.g. {:?}",
        health.len(),
        health.iter().rev().find(|(_, b)| b.starts_with("degraded")).map(|h| &h.1)
    );

    let got = alert_keys(
        &std::fs::read_to_string(&eve)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect::<Vec<Value>>(),
    );
    let missed: Vec<_> = expected_alerts().difference(&got).cloned().collect();
    Outcome { metrics, health, missed, kernel_drops }
}

/// The woven attack frames and their alerts, made once per test binary.
fn woven() -> &'static Woven {
    static W: std::sync::OnceLock<(tempfile::TempDir, Woven)> = std::sync::OnceLock::new();
    &W.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let a = attacks(dir.path());
        assert!(!a.1.is_empty(), "the woven attacks raise no alert on their own");
        (dir, a)
    })
    .1
}

fn expected_alerts() -> &'static BTreeSet<AlertKey> {
    &woven().1
}

fn flood_capture(dir: &Path, kind: Flood, packets: u64) -> PathBuf {
    let path = dir.join(format!("{}.pcap", kind.name()));
    let out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let frames = &woven().0;
    // One run per frame: each session's packets lie far apart in the flood.
    write_flood(kind, packets, 11, frames, frames.len(), out).unwrap();
    path
}

/// The attacks are judged only where the kernel dropped nothing: a dropped
/// attack packet is a loss the counters report, not a detection failure.
fn check_detection(name: &str, o: &Outcome) {
    if o.kernel_drops > 0.0 {
        println!(
            "{name}: detection NOT judged: the kernel dropped {} datagrams ({} attacks missed)",
            o.kernel_drops,
            o.missed.len()
        );
        return;
    }
    assert!(o.missed.is_empty(), "{name}: woven attacks missed under the flood: {:?}", o.missed);
    println!("{name}: all {} woven attack alerts raised", expected_alerts().len());
}

fn degraded_by(o: &Outcome, what: &str) -> bool {
    o.health.iter().any(|(_, b)| b.starts_with("degraded") && b.contains(what))
}

/// A flood aimed at one cap: the counter (summed over `reasons`) that must
/// reach `at_least`, and what `/health` must name as shed.
fn capped_flood(kind: Flood, packets: u64, counter: &str, reasons: &[&str], at_least: f64, shed: &str) -> Outcome {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let pcap = flood_capture(dir.path(), kind, packets);
    let name = kind.name();
    let o = flood(name, &pcap, |_| 0);
    for r in reasons {
        println!("{name}: {counter}{{reason=\"{r}\"}} {}", o.count(counter, &format!("reason=\"{r}\"")));
    }
    let counted: f64 = reasons.iter().map(|r| o.count(counter, &format!("reason=\"{r}\""))).sum();
    assert!(counted >= at_least, "{name}: {counted} counted, {at_least} expected:\n{}", o.metrics);
    assert!(degraded_by(&o, shed), "{name}: /health never named \"{shed}\": {:?}", o.health);
    check_detection(name, &o);
    o
}

#[test]
fn syn_flood_of_a_million_half_open_flows() {
    let o =
        capped_flood(Flood::Syn, 1_000_000, "mirrorids_flows_ended_total", &["evicted"], 900_000.0, "flows evicted");
    assert!(o.count("mirrorids_flows_created_total", "") > 1_000_000.0, "{}", o.metrics);
}

#[test]
fn a_million_one_packet_udp_flows() {
    let o = capped_flood(
        Flood::UdpFlows,
        1_000_000,
        "mirrorids_flows_ended_total",
        &["evicted"],
        900_000.0,
        "flows evicted",
    );
    assert!(o.count("mirrorids_flows_created_total", "") > 1_000_000.0, "{}", o.metrics);
}

#[test]
fn tiny_out_of_order_segments() {
    let counter = "mirrorids_stream_dropped_segments_total";
    capped_flood(
        Flood::TinySegments,
        400_000,
        counter,
        &["memcap", "segment_limit"],
        1.0,
        "TCP segments not reassembled",
    );
}

#[test]
fn fragments_that_never_complete() {
    let counter = "mirrorids_defrag_dropped_total";
    capped_flood(Flood::Fragments, 400_000, counter, &["max_trackers", "memcap"], 300_000.0, "fragmented datagrams");
}

/// Garbage in three forms: frames that do not decode inside valid tunnels
/// (paced), random datagrams at the highest rate the socket takes, and the
/// same flood from a source and a VNI the allow-lists deny.
#[test]
fn garbage_and_denied_tunnels() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let pcap = flood_capture(dir.path(), Flood::Garbage, 300_000);
    let denied = flood_capture(dir.path(), Flood::UdpFlows, 100_000);
    let mut raw = 0u64;
    let (mut denied_source, mut denied_vni) = (0, 0);
    let o = flood("garbage", &pcap, |to| {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut rng = Rng::new(3);
        let mut buf = [0u8; 512];
        let started = Instant::now();
        // Even ones: a VXLAN header for the admitted session, then
        // anything (the decoder's problem); odd ones: anything but a VXLAN
        // header (refused before decoding).
        for i in 0..200_000u32 {
            let len = rng.range(0, 512) as usize;
            rng.fill(&mut buf[..len]);
            if i % 2 == 0 && len >= 8 {
                buf[..8].copy_from_slice(&[0x08, 0, 0, 0, 0, 0, 1, 0]);
            } else if len > 0 {
                buf[0] &= !0x08;
            }
            if sock.send_to(&buf[..len], to).is_ok() {
                raw += 1;
            }
        }
        println!("garbage: {raw} random datagrams sent unpaced in {:.2} s", started.elapsed().as_secs_f64());
        denied_source = send(&["--to", to, "--source", "127.0.0.2", &s(&denied)]);
        denied_vni = send(&["--to", to, "--vni", "4242", &s(&denied)]);
        raw + denied_source + denied_vni
    });
    let decode = o.count("mirrorids_dropped_packets_total", "reason=\"decode_error\"");
    let not_tunnel = o.count("mirrorids_dropped_packets_total", "reason=\"not_tunnel\"");
    println!("garbage: {decode} frames not decoded, {not_tunnel} datagrams not a tunnel");
    assert!(decode > 100_000.0, "{}", o.metrics);
    assert!(not_tunnel > 0.0, "{}", o.metrics);
    assert_eq!(o.count("mirrorids_dropped_packets_total", "reason=\"denied_source\""), denied_source as f64);
    assert_eq!(o.count("mirrorids_dropped_packets_total", "reason=\"denied_vni\""), denied_vni as f64);
    check_detection("garbage", &o);
}
