//! Live receive-rate benchmark: the highest rate at which datagrams sent
//! over loopback all arrive and are inspected (the zero-loss rate), for
//! (1) a bare recvmmsg loop that only counts: the ceiling the kernel and
//! one socket allow; (2) the sensor with no rules; (3) the sensor with
//! Emerging Threats Open plus the bundled signatures. All three are
//! measured in the same run, so (2)/(1) and (3)/(1) compare like with like.
//!
//! Environment:
//!   MIRRORIDS_BENCH_BYTES      capture size (default 64MB)
//!   MIRRORIDS_BENCH_PACKETS    datagrams per trial (default 200000, rounded
//!                              up to whole passes over the capture)
//!   MIRRORIDS_BENCH_WORKERS    comma-separated worker counts (default 1)
//!   MIRRORIDS_BENCH_RECEIVERS  receive threads per listener, and as many
//!                              sending threads (default 1)
//!   MIRRORIDS_BENCH_STEPS      most trials per rate search (default 8)
//!   MIRRORIDS_BENCH_QUEUE      full worker queue policy: drop_newest (the
//!                              live default) or block

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mirrorids::cli::generate::parse_size;
use mirrorids::config::{Config, FullQueuePolicy};
use mirrorids::detect::DetectEngine;
use mirrorids::engine::live::{live_config, open_sources, LiveEngine};
use mirrorids::engine::load_rules;
use mirrorids::engine::receiver::SourceKind;
use mirrorids::gen::{AttackPlan, GenConfig, Generator};
use mirrorids::output::threshold::ThresholdFile;
use mirrorids::send::{self, Prepared, SendOptions, WrapOptions};
use mirrorids::source::mmsg::RecvRing;
use mirrorids::source::outer::HEADROOM;
use mirrorids::source::socket::open_udp;

/// Counters are published once per tick: with the default (500 ms) every
/// trial would wait half a second for its last numbers.
const TICK_MS: u64 = 100;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(default)
}

/// The generated capture, cached; the same generator settings as the replay
/// benchmark, so the two share the file for a given size.
fn capture(data: &Path, bytes: u64) -> PathBuf {
    std::fs::create_dir_all(data).unwrap();
    let pcap = data.join(format!("mirror-mix-{bytes}.pcap"));
    if pcap.is_file() {
        return pcap;
    }
    let cfg = GenConfig {
        seed: 42,
        target_bytes: bytes,
        attacks: AttackPlan::Every(500),
        concurrency: 256,
        ..Default::default()
    };
    let tmp = pcap.with_extension("tmp");
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).unwrap());
    drop(Generator::new(cfg, file).unwrap().run().unwrap());
    std::fs::rename(&tmp, &pcap).unwrap();
    pcap
}

/// One sender's copy of the datagrams. Each pass is sent with its own VNIs
/// (the generated ones plus a per-pass tag): a flow is keyed by its tunnel
/// too, so every pass is new traffic to the sensor, as a mirror delivers
/// it. Resending the same flows instead would mostly show reassembly
/// segments it has already seen, not the work new traffic costs. Flows of
/// earlier passes stay in the tables (until their timeouts) across trials:
/// a live sensor keeps its flows too.
struct Load {
    prepared: Prepared,
    vnis: Vec<Option<u32>>,
}

impl Load {
    fn new(prepared: Prepared) -> Load {
        let vnis = prepared
            .iter()
            .map(|d| (d.len() >= 8 && d[0] & 0x08 != 0).then(|| u32::from_be_bytes([0, d[4], d[5], d[6]])))
            .collect();
        Load { prepared, vnis }
    }

    fn retag(&mut self, tag: u32) {
        for (&(off, _), vni) in self.prepared.spans.iter().zip(&self.vnis) {
            if let Some(v) = vni {
                let b = (v.wrapping_add(tag) & 0xff_ffff).to_be_bytes();
                self.prepared.data[off as usize + 4..off as usize + 7].copy_from_slice(&b[1..]);
            }
        }
    }
}

/// Counters of a receiver, cumulative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Snap {
    /// Bare: datagrams received; sensor: packets the workers inspected.
    processed: u64,
    kernel: u64,
    queue_full: u64,
    /// Received but not handed to a worker (admission, decode errors).
    refused: u64,
}

impl Snap {
    fn minus(self, o: Snap) -> Snap {
        Snap {
            processed: self.processed.saturating_sub(o.processed),
            kernel: self.kernel.saturating_sub(o.kernel),
            queue_full: self.queue_full.saturating_sub(o.queue_full),
            refused: self.refused.saturating_sub(o.refused),
        }
    }
}

/// CPU time (ns) used so far by the receive side: every live thread named
/// `mirrorids-*` (the sensor's receive, worker, alert and tick threads, or
/// the bare loop). On a machine too small to separate sender and receiver,
/// CPU per datagram says what a rate cannot: how many datagrams a core of
/// receive side handles.
fn receiver_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .filter_map(|t| {
            let p = t.ok()?.path();
            let comm = std::fs::read_to_string(p.join("comm")).ok()?;
            if !comm.starts_with("mirrorids-") {
                return None;
            }
            std::fs::read_to_string(p.join("schedstat")).ok()?.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum()
}

/// Receive-queue bytes and drops of the UDP sockets bound to `port`, from
/// /proc/net/udp. SO_RXQ_OVFL rides on the next datagram received, so it
/// misses drops after the last one that got in; this does not.
fn udp_sockets(port: u16) -> Option<(u64, u64)> {
    let table = std::fs::read_to_string("/proc/net/udp").ok()?;
    let (mut queued, mut drops, mut found) = (0, 0, false);
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let local_port = f.get(1).and_then(|a| a.split_once(':')).and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
        if f.len() < 13 || local_port != Some(port) {
            continue;
        }
        found = true;
        queued += f[4].split_once(':').and_then(|(_, q)| u64::from_str_radix(q, 16).ok()).unwrap_or(0);
        drops += f[12].parse::<u64>().unwrap_or(0);
    }
    found.then_some((queued, drops))
}

/// What a trial sends to, listening on 127.0.0.1:`port`.
enum Receiver {
    /// The ceiling: recvmmsg into the sensor's ring layout, reading what the
    /// sensor reads of each datagram (address, control messages), no more.
    Bare {
        port: u16,
        stop: Arc<AtomicBool>,
        /// Datagrams, bytes, SO_RXQ_OVFL drops (all threads).
        counts: Arc<[AtomicU64; 3]>,
        threads: Vec<JoinHandle<()>>,
    },
    Sensor {
        port: u16,
        engine: Box<LiveEngine>,
    },
}

impl Receiver {
    /// Bare receive threads, and the socket buffer each was granted.
    fn bare(cfg: &Config, receivers: usize) -> (Receiver, usize) {
        let (stop, counts) = (Arc::new(AtomicBool::new(false)), Arc::new(<[AtomicU64; 3]>::default()));
        let (mut addr, mut threads, mut granted) = (SocketAddr::from(([127, 0, 0, 1], 0)), Vec::new(), 0);
        for _ in 0..receivers {
            let o = open_udp(addr, cfg.live.socket_buffer_bytes).unwrap();
            (addr, granted) = (o.socket.local_addr().unwrap().as_socket().unwrap(), o.granted_rcvbuf);
            let (c, stop) = (counts.clone(), stop.clone());
            let mut ring = RecvRing::new(cfg.live.recv_batch, HEADROOM, cfg.live.max_datagram_bytes);
            // Named like the sensor's threads so `receiver_cpu_ns` finds it.
            let spawn = std::thread::Builder::new().name("mirrorids-bare".into());
            threads.push(
                spawn
                    .spawn(move || {
                        let (fd, mut seen_drops) = (o.socket.as_raw_fd(), 0);
                        while !stop.load(Relaxed) {
                            let n = ring.recv(fd).unwrap_or(0);
                            let (mut bytes, mut drops) = (0, seen_drops);
                            for i in 0..n {
                                if let Some((_, info)) = ring.get(i) {
                                    bytes += info.len as u64;
                                    drops = info.kernel_drops.map_or(drops, u64::from);
                                }
                            }
                            // Shared counters once per call, not per datagram.
                            c[0].fetch_add(n as u64, Relaxed);
                            c[1].fetch_add(bytes, Relaxed);
                            c[2].fetch_add(drops.saturating_sub(seen_drops), Relaxed);
                            seen_drops = drops;
                        }
                    })
                    .unwrap(),
            );
        }
        (Receiver::Bare { port: addr.port(), stop, counts, threads }, granted)
    }

    fn sensor(workers: usize, receivers: usize, policy: FullQueuePolicy, rules: &Arc<DetectEngine>) -> Receiver {
        let mut cfg = Config::default();
        cfg.live.full_queue_policy = policy;
        cfg.live.listen = vec!["127.0.0.1:0".into()];
        cfg.live.receivers_per_listener = receivers;
        cfg.live.tick_ms = TICK_MS;
        cfg.engine.workers = workers;
        let sources = open_sources(&cfg).unwrap();
        let SourceKind::Tunnel { local, .. } = sources[0].source.kind else { unreachable!() };
        let cfg = live_config(&cfg, &sources);
        let sources = sources.into_iter().map(|s| s.source).collect();
        let engine =
            LiveEngine::start(Arc::new(cfg), sources, rules.clone(), ThresholdFile::default(), std::io::sink(), None)
                .unwrap();
        Receiver::Sensor { port: local.port(), engine: Box::new(engine) }
    }

    fn port(&self) -> u16 {
        match self {
            Receiver::Bare { port, .. } | Receiver::Sensor { port, .. } => *port,
        }
    }

    fn snap(&self) -> Snap {
        let kernel = udp_sockets(self.port()).map(|s| s.1);
        match self {
            Receiver::Bare { counts: c, .. } => {
                Snap { processed: c[0].load(Relaxed), kernel: kernel.unwrap_or(c[2].load(Relaxed)), ..Snap::default() }
            }
            Receiver::Sensor { engine, .. } => {
                let c = engine.counters();
                let received: u64 = c.receivers.iter().map(|r| r.1.datagrams).sum();
                Snap {
                    processed: c.workers.iter().map(|w| w.packets).sum(),
                    kernel: kernel.unwrap_or_else(|| c.receivers.iter().map(|r| r.1.kernel_drops).sum()),
                    queue_full: c.reader.queue_full_packets,
                    // `dispatched` counts a packet before the queue-full check.
                    refused: received.saturating_sub(c.reader.dispatched),
                }
            }
        }
    }

    /// Batches in worker queues.
    fn queued(&self) -> usize {
        match self {
            Receiver::Bare { .. } => 0,
            Receiver::Sensor { engine, .. } => engine.counters().queue_depths.iter().sum(),
        }
    }

    fn stop(self) {
        match self {
            Receiver::Bare { stop, threads, .. } => {
                stop.store(true, Relaxed);
                threads.into_iter().for_each(|t| t.join().unwrap());
            }
            Receiver::Sensor { engine, .. } => drop(engine.shutdown().unwrap()),
        }
    }
}

struct Trial {
    target: Option<u64>,
    sent: u64,
    bytes: u64,
    elapsed: Duration,
    /// Socket buffer in use when the last datagram was sent (bytes as the
    /// kernel counts them, overhead included).
    backlog: u64,
    delta: Snap,
    /// CPU the receive side used during the trial (ns).
    cpu_ns: u64,
}

impl Trial {
    fn loss(&self) -> u64 {
        self.sent.saturating_sub(self.delta.processed)
    }
    fn pps(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64()
    }
    fn gbps(&self) -> f64 {
        self.bytes as f64 * 8e-9 / self.elapsed.as_secs_f64()
    }
    /// Receive-side CPU per datagram sent, in microseconds.
    fn cpu_us(&self) -> f64 {
        self.cpu_ns as f64 / 1e3 / self.sent.max(1) as f64
    }
    fn outcome(&self, capacity: u64) -> String {
        let (d, n) = (&self.delta, self.loss());
        let (other, mb, pct) =
            (n.saturating_sub(d.kernel + d.queue_full), self.backlog as f64 / 1e6, self.backlog * 100 / capacity);
        let lost =
            format!("lost {n}: kernel (socket buffer full) {}, queue full {}, other {other}", d.kernel, d.queue_full);
        let lost = if n == 0 { "no loss" } else { &lost };
        format!("{lost}; {mb:.1} MB ({pct}%) of the socket buffers in use at the end of the send")
    }
}

/// The fastest trial that passed, and the slowest that failed.
type Search = (Option<Trial>, Option<Trial>);

struct Bench {
    copies: Vec<Load>,
    /// The next VNI tag (see `Load`).
    tag: u32,
    passes: u32,
    steps: u32,
    ceiling: u64,
    /// Socket buffer granted to all the sockets of a listener.
    capacity: u64,
}

impl Bench {
    /// Sends `passes` passes of every copy (one sending thread each) at
    /// `rate` datagrams/s in all, then waits until the receiver has
    /// accounted for every datagram or its counters stop moving.
    fn trial(&mut self, passes: u32, rate: Option<u64>, rx: &Receiver) -> Trial {
        let k = self.copies.len() as u32;
        let to: SocketAddr = ([127, 0, 0, 1], rx.port()).into();
        let per_sender = rate.map(|r| (r / u64::from(k)).max(1));
        let (before, start, first, cpu0) = (rx.snap(), Instant::now(), self.tag, receiver_cpu_ns());
        let totals: Vec<(u64, u64)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..k)
                .zip(self.copies.iter_mut())
                .map(|(j, copy)| {
                    s.spawn(move || {
                        let (mut n, mut b) = (0, 0);
                        for p in 0..passes {
                            copy.retag(first + p * k + j);
                            let opts = SendOptions { rate_pps: per_sender, ..SendOptions::new(to) };
                            let st = send::send(&copy.prepared, &opts).unwrap();
                            (n, b) = (n + st.datagrams, b + st.bytes);
                        }
                        (n, b)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let elapsed = start.elapsed();
        let backlog = udp_sockets(rx.port()).map_or(0, |s| s.0);
        self.tag += passes * k;
        let (sent, bytes) = totals.iter().fold((0, 0), |a, t| (a.0 + t.0, a.1 + t.1));
        // Until every datagram is accounted for, or the counters stand still
        // with nothing waiting anywhere; a receiver that never catches up
        // must not hang the benchmark.
        let (mut last, mut still) = (rx.snap(), Instant::now());
        let idle = || rx.queued() == 0 && udp_sockets(rx.port()).is_none_or(|s| s.0 == 0);
        while start.elapsed() < elapsed + Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
            let now = rx.snap();
            let quiet = now == last && still.elapsed() > Duration::from_millis(TICK_MS * 5);
            let d = now.minus(before);
            let done = d.processed + d.kernel + d.queue_full + d.refused >= sent || (quiet && idle());
            if now != last {
                (last, still) = (now, Instant::now());
            }
            if done {
                break;
            }
        }
        let cpu_ns = receiver_cpu_ns().saturating_sub(cpu0);
        Trial { target: rate, sent, bytes, elapsed, backlog, delta: last.minus(before), cpu_ns }
    }

    fn print(&self, name: &str, t: &Trial) {
        let target = t.target.map_or("unpaced".into(), |r| format!("{r} pps target"));
        println!(
            "  {name}: {target}, sent {} at {:.0} pps ({:.2} us receive-side CPU per datagram): {}",
            t.sent,
            t.pps(),
            t.cpu_us(),
            t.outcome(self.capacity)
        );
    }

    /// A rate passes when nothing was lost and the receiver kept up: at
    /// the end of the send its socket buffers were at most 1/8 full (~25 ms
    /// of traffic at these rates: scheduling hiccups on a small machine).
    /// Without the second condition a 128 MB buffer would carry a quarter
    /// of a 200k-datagram trial for a receiver that cannot sustain the rate.
    fn passed(&self, t: &Trial) -> bool {
        t.loss() == 0 && t.backlog * 8 <= self.capacity
    }

    /// Zero-loss rate search: first at the sender's own ceiling (if that
    /// passes, the sender is the limit), then halving down to a rate that
    /// passes, then bisecting (geometric mean) until the bounds are within
    /// 5% or `steps` trials were made. The bounds are the rates the sender
    /// achieved, not the ones asked for: on a small machine the receiver
    /// takes CPU from the sender, which then falls short of its target.
    fn search(&mut self, name: &str, rx: &Receiver) -> Search {
        let (mut best, mut fail): Search = (None, None);
        let (mut lo, mut hi) = (None::<u64>, None::<u64>);
        let mut rate = self.ceiling;
        for _ in 0..self.steps {
            let t = self.trial(self.passes, Some(rate), rx);
            self.print(name, &t);
            let got = t.pps() as u64;
            if self.passed(&t) {
                lo = lo.max(Some(got));
                if best.as_ref().is_none_or(|b: &Trial| b.pps() < t.pps()) {
                    best = Some(t);
                }
            } else {
                hi = Some(hi.map_or(got, |h| h.min(got)));
                if fail.as_ref().is_none_or(|f: &Trial| f.pps() > t.pps()) {
                    fail = Some(t);
                }
            }
            // A pass below the known-good rate moves no bound: the sender
            // fell short of the target and is unlikely to reach it next time.
            rate = match (lo, hi) {
                (Some(l), Some(h)) if h as f64 > l as f64 * 1.05 && got >= l => (l as f64 * h as f64).sqrt() as u64,
                (None, Some(h)) if h >= 2000 => h / 2,
                _ => break,
            };
        }
        (best, fail)
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // useful: only run the full benchmark when asked to bench.
    if !std::env::args().any(|a| a == "--bench") {
        println!("live receive-rate benchmark: run with `cargo bench --bench live`");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("target/bench-data");
    let bytes = std::env::var("MIRRORIDS_BENCH_BYTES").ok().and_then(|s| parse_size(&s)).unwrap_or(64 << 20);
    let packets = env_num("MIRRORIDS_BENCH_PACKETS", 200_000);
    let receivers = env_num("MIRRORIDS_BENCH_RECEIVERS", 1).max(1) as usize;
    let steps = env_num("MIRRORIDS_BENCH_STEPS", 8).max(1) as u32;
    let policy = match std::env::var("MIRRORIDS_BENCH_QUEUE").as_deref() {
        Ok("block") => FullQueuePolicy::Block,
        _ => Config::default().live.full_queue_policy,
    };
    let workers = std::env::var("MIRRORIDS_BENCH_WORKERS").unwrap_or_else(|_| "1".into());

    let pcap = capture(&data, bytes);
    let prepared = send::prepare(std::slice::from_ref(&pcap), &WrapOptions::default()).unwrap();
    let n = prepared.len().max(1) as u64;
    // Each sender sends its share in whole passes over the capture.
    let passes = packets.div_ceil(n * receivers as u64).max(1) as u32;
    println!(
        "capture: {} ({n} datagrams, {:.0} bytes on average); a trial sends {} datagrams ({passes} passes x {receivers} senders)",
        pcap.display(),
        prepared.data.len() as f64 / n as f64,
        n * u64::from(passes) * receivers as u64
    );

    let empty = data.join("no-rules.rules");
    std::fs::write(&empty, "# no rules: receive, decode, flows and streams only\n").unwrap();
    let (none, _) = load_rules(&Config::default(), &[empty]).unwrap();
    let mut rule_sets = vec![("no rules", Arc::new(none))];
    let et = root.join("../shared/rules/et-open-2024");
    if et.is_dir() {
        let (e, _) = load_rules(&Config::default(), &[et, root.join("signatures")]).unwrap();
        let n = rule_sets[0].1.report.loaded;
        println!("rules: {n} from a comment-only file, {} from ET Open + bundled", e.report.loaded);
        rule_sets.push(("ET Open", Arc::new(e)));
    } else {
        println!("ET Open: {} not found, skipping the sensor with ET Open", et.display());
    }

    let cfg = Config::default();
    let (bare, granted) = Receiver::bare(&cfg, receivers);
    let capacity = granted as u64 * receivers as u64;
    let copies = (0..receivers).map(|_| Load::new(prepared.clone())).collect();
    let mut bench = Bench { copies, tag: 0, passes, steps, ceiling: 0, capacity };
    let cores = std::thread::available_parallelism().map_or(0, |c| c.get());
    println!(
        "machine: {cores} cores, shared by the senders, receive threads, workers and alert thread; on loopback the \
         sender's core also runs the kernel's receive path, so the sender competes with what it measures. \
         Socket buffer: {} MB asked (the sensor's default), {} MB granted",
        cfg.live.socket_buffer_bytes >> 20,
        granted >> 20
    );
    let unpaced = bench.trial(passes, None, &bare);
    bench.print("sender ceiling (unpaced, to bare)", &unpaced);
    bench.ceiling = unpaced.pps() as u64;
    let b = bench.search("bare recvmmsg", &bare);
    bare.stop();

    let mut summary = vec![("bare recvmmsg".to_string(), b)];
    for w in workers.split(',').filter_map(|n| n.trim().parse::<usize>().ok()) {
        for (label, rules) in &rule_sets {
            let name = format!("sensor, {label}, {w} worker{}", if w == 1 { "" } else { "s" });
            let sensor = Receiver::sensor(w, receivers, policy, rules);
            // Cold caches and empty tables stall the first packets long enough
            // to overflow a worker queue (~10 ms of traffic); the search
            // measures the steady state, after one pass at a quarter of the ceiling.
            let warm = bench.trial(1, Some(bench.ceiling / 4), &sensor);
            bench.print(&format!("{name} (warm-up)"), &warm);
            let s = bench.search(&name, &sensor);
            sensor.stop();
            summary.push((name, s));
        }
    }

    println!(
        "\nzero-loss receive rate on loopback: {cores} cores, {receivers} receive thread(s), full queue policy \
         {policy:?}; the sender alone reached {:.0} pps, {:.2} Gbit/s (unpaced)",
        unpaced.pps(),
        unpaced.gbps()
    );
    let bare_pps = summary[0].1 .0.as_ref().map_or(0.0, |t| t.pps());
    let bare_cpu = summary[0].1 .0.as_ref().map_or(0.0, |t| t.cpu_us());
    for (name, (best, fail)) in &summary {
        let pct = |t: &Trial| t.pps() * 100.0 / bare_pps.max(1.0);
        let rate = best.as_ref().map_or("no rate passed".into(), |t| {
            format!(
                "{:>9.0} pps {:>6.2} Gbit/s {:>6.1}% of bare; receive side {:.2} us CPU per datagram ({:.0} datagrams/s per core, {:.0}% of bare's)",
                t.pps(),
                t.gbps(),
                pct(t),
                t.cpu_us(),
                1e6 / t.cpu_us().max(1e-3),
                bare_cpu / t.cpu_us().max(1e-3) * 100.0
            )
        });
        let fail = fail.as_ref().map_or("passed at the sender's ceiling: the sender is the limit".into(), |f| {
            format!("lowest failing rate, {:.0} pps: {}", f.pps(), f.outcome(capacity))
        });
        println!("  {name:<28} {rate}\n  {:<28} {fail}", "");
    }
}
