//! `mirrorids generate`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Args;

use super::{EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};
use crate::gen::flood::{write_flood, Flood};
use crate::gen::{AttackPlan, Evasion, GenConfig, GenStats, Generator, Mode, SessionMix, TruthRecord};
use crate::source::pcap::PcapReader;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output capture (pcap).
    #[arg(long, short = 'o', value_name = "PCAP")]
    pub out: PathBuf,
    /// Ground truth of injected attacks (JSON lines); default: next to the
    /// capture with a .truth.jsonl extension.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Approximate capture size, e.g. 4MB, 600MB, 2GB.
    #[arg(long, default_value = "4MB")]
    pub size: String,
    /// Mirror sessions (VNIs).
    #[arg(long, default_value_t = 3)]
    pub vnis: usize,
    /// Write the original frames (a source-side capture) instead of the
    /// VXLAN-wrapped copies the sensor receives.
    #[arg(long)]
    pub plain: bool,
    /// Attacks: "each" (every bundled-catalog attack once), "et" (every
    /// attack aimed at an Emerging Threats Open rule once), "all" (both),
    /// "none", or "every:N" (one bundled attack after every N benign
    /// sessions). The ground truth names the signature id to expect.
    #[arg(long, default_value = "each")]
    pub attacks: String,
    /// Share of TCP sessions on 9001-byte jumbo frames.
    #[arg(long, default_value_t = 0.05)]
    pub jumbo: f64,
    /// Concurrent sessions.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Benign session mix: "balanced" (40% HTTP, 30% TLS, 15% DNS, 12%
    /// other TCP, 3% ICMP of sessions) or "mirror" (92.5% one-exchange DNS
    /// flows, the bytes mostly long HTTP and TLS: what a mirror target
    /// sees, and what the replay benchmark uses).
    #[arg(long, default_value = "balanced")]
    pub mix: String,
    /// Put every session on the wire with an evasion (see the README's
    /// evasion table): one-byte-segments, reverse-order, overlap-junk,
    /// after-truncated-jumbo, midstream, urgent-junk, ttl-junk,
    /// fragment-overlap-{first,last,bsd,linux},
    /// http-{uri-encoding,header-folding,chunked,gzip}.
    #[arg(long, value_name = "NAME")]
    pub evasion: Option<String>,
    /// Instead, a flood aimed at one of the sensor's bounds, with the
    /// capture described by the other options (plain frames, one session
    /// at a time) woven into it (see --flood-runs): "syn" (half-open TCP flows),
    /// "udp-flows" (one-packet DNS flows), "tiny-segments" (out-of-order
    /// 1-8 byte segments that never become deliverable), "fragments"
    /// (first fragments that never complete), "garbage" (frames that do
    /// not decode).
    #[arg(long, value_name = "KIND")]
    pub flood: Option<String>,
    /// Flood frames (with --flood).
    #[arg(long, default_value_t = 1_000_000)]
    pub flood_packets: u64,
    /// Runs the woven capture is cut into, spread evenly over the flood
    /// (with --flood): more runs space each session's packets further
    /// apart, as a real round-trip time would under a flood.
    #[arg(long, default_value_t = 8)]
    pub flood_runs: usize,
}

pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_uppercase();
    let (num, mult) = if let Some(n) = s.strip_suffix("GB") {
        (n, 1u64 << 30)
    } else if let Some(n) = s.strip_suffix("MB") {
        (n, 1 << 20)
    } else if let Some(n) = s.strip_suffix("KB") {
        (n, 1 << 10)
    } else {
        (s.as_str(), 1)
    };
    num.trim().parse::<u64>().ok().map(|n| n.saturating_mul(mult))
}

/// The capture `cfg` describes, woven into a flood of `kind` written to `out`.
fn weave_into_flood(
    cfg: GenConfig,
    kind: Flood,
    packets: u64,
    runs: usize,
    out: impl Write,
) -> std::io::Result<(GenStats, Vec<TruthRecord>)> {
    let seed = cfg.seed;
    let (mut stats, truth, woven) = Generator::new(cfg, Vec::new())?.run()?;
    let mut reader = PcapReader::new(std::path::Path::new("woven"), std::io::Cursor::new(woven))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut frames = Vec::new();
    loop {
        let mut f = Vec::new();
        match reader.next_frame(&mut f) {
            Ok(Some(_)) => frames.push(f),
            Ok(None) => break,
            Err(e) => return Err(std::io::Error::other(e.to_string())),
        }
    }
    (stats.packets, stats.bytes) = write_flood(kind, packets, seed, &frames, runs, out)?;
    Ok((stats, truth))
}

pub fn run(a: GenerateArgs) -> u8 {
    let Some(target_bytes) = parse_size(&a.size) else {
        eprintln!("error: --size: cannot parse \"{}\" (examples: 4MB, 600MB)", a.size);
        return EXIT_USAGE;
    };
    let attacks = match a.attacks.as_str() {
        "each" => AttackPlan::EachOnce,
        "et" => AttackPlan::EtEachOnce,
        "all" => AttackPlan::AllEachOnce,
        "none" => AttackPlan::None,
        s => match s.strip_prefix("every:").and_then(|n| n.parse().ok()) {
            Some(n) => AttackPlan::Every(n),
            None => {
                eprintln!("error: --attacks: expected each, et, all, none or every:N, got \"{s}\"");
                return EXIT_USAGE;
            }
        },
    };
    let Some(mix) = SessionMix::parse(&a.mix) else {
        eprintln!("error: --mix: expected balanced or mirror, got \"{}\"", a.mix);
        return EXIT_USAGE;
    };
    let flood = match a.flood.as_deref().map(|k| (k, Flood::parse(k))) {
        None => None,
        Some((_, Some(f))) => Some(f),
        Some((k, None)) => {
            let kinds: Vec<&str> = Flood::ALL.iter().map(|f| f.name()).collect();
            eprintln!("error: --flood: expected one of {}, got \"{k}\"", kinds.join(", "));
            return EXIT_USAGE;
        }
    };
    let evasion = match a.evasion.as_deref() {
        None => Evasion::None,
        Some(name) => match Evasion::named().into_iter().find(|(n, _)| *n == name) {
            Some((_, e)) => e,
            None => {
                let names: Vec<&str> = Evasion::named().iter().map(|(n, _)| *n).collect();
                eprintln!("error: --evasion: expected one of {}, got \"{name}\"", names.join(", "));
                return EXIT_USAGE;
            }
        },
    };
    let cfg = GenConfig {
        mix,
        evasion,
        seed: a.seed,
        target_bytes,
        vnis: a.vnis,
        mode: if a.plain || flood.is_some() { Mode::Plain } else { Mode::Vxlan },
        concurrency: if flood.is_some() { 1 } else { a.concurrency.max(1) },
        attacks,
        jumbo: a.jumbo.clamp(0.0, 1.0),
        ..GenConfig::default()
    };
    let file = match File::create(&a.out) {
        Ok(f) => BufWriter::with_capacity(1 << 20, f),
        Err(e) => {
            eprintln!("error: {}: {e}", a.out.display());
            return EXIT_RUNTIME;
        }
    };
    let result = match flood {
        None => Generator::new(cfg, file).and_then(|g| g.run()).and_then(|(st, t, mut w)| {
            w.flush()?;
            Ok((st, t))
        }),
        Some(kind) => weave_into_flood(cfg, kind, a.flood_packets, a.flood_runs, file),
    };
    let (stats, truth) = match result {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {}: {e}", a.out.display());
            return EXIT_RUNTIME;
        }
    };
    let truth_path = a.truth.unwrap_or_else(|| a.out.with_extension("truth.jsonl"));
    let mut lines = String::new();
    for t in &truth {
        lines.push_str(&serde_json::to_string(t).unwrap_or_default());
        lines.push('\n');
    }
    if let Err(e) = std::fs::write(&truth_path, lines) {
        eprintln!("error: {}: {e}", truth_path.display());
        return EXIT_RUNTIME;
    }
    eprintln!(
        "wrote {}: {} packets, {} bytes, {} sessions, {} attacks, {} truncated copies; ground truth in {}",
        a.out.display(),
        stats.packets,
        stats.bytes,
        stats.sessions,
        stats.attacks,
        stats.truncated,
        truth_path.display()
    );
    EXIT_OK
}
