//! The reference Suricata in ../shared/reference, run on the benchmark's
//! capture and rules in the same run as mirrorids: its engine throughput
//! comes from its own clock, the `time elapsed` its log gives for the
//! packet processing (rule loading, start and exit excluded, as for
//! ours). Where a log lacks it, the time of a run on the whole capture
//! minus the time of a run on its first packets stands in; that
//! difference of two noisy runs moved by seconds between runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub struct SuricataRun {
    pub seconds: f64,
    /// Its log's `time elapsed`: packet processing only.
    pub engine_seconds: Option<f64>,
    pub peak_rss_mb: f64,
    pub alerts: u64,
    /// EVE records of every type (0 with EVE off).
    pub records: u64,
}

pub struct Suricata {
    script: PathBuf,
    rules: PathBuf,
    work: PathBuf,
}

impl Suricata {
    /// `None` (with the reason printed) when the reference is not there.
    pub fn find(root: &Path, rule_paths: &[PathBuf], work: &Path) -> Option<Suricata> {
        let script = root.join("../shared/reference/run-suricata.sh");
        if !script.is_file() {
            println!("suricata: skipped, {} is missing", script.display());
            return None;
        }
        if !Path::new("/usr/bin/time").is_file() {
            println!("suricata: skipped, /usr/bin/time (GNU time, for its peak RSS) is missing");
            return None;
        }
        // Suricata takes one rule file: the same rules, concatenated.
        let rules = work.join("suricata-bench.rules");
        let mut all = Vec::new();
        for f in mirrorids::rules::expand_rule_paths(rule_paths).ok()? {
            all.extend_from_slice(&std::fs::read(&f).ok()?);
            all.push(b'\n');
        }
        std::fs::write(&rules, all).ok()?;
        Some(Suricata { script, rules, work: work.to_path_buf() })
    }

    /// One run on `pcap`; `stock`: its stock EVE logging (every record
    /// type), else alerts only (EVE off, fast.log on: cheaper than EVE
    /// alerts, which favours Suricata).
    pub fn run(&self, pcap: &Path, stock: bool, label: &str) -> Option<SuricataRun> {
        let out = self.work.join(format!("suricata-{label}"));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).ok()?;
        let time_file = out.join("time.txt");
        let mut cmd = Command::new("/usr/bin/time");
        cmd.arg("-f").arg("MAXRSS %M").arg("-o").arg(&time_file).arg(&self.script).arg(&out);
        cmd.arg("-r").arg(pcap).arg("-S").arg(&self.rules).args(["--runmode", "single"]);
        if !stock {
            cmd.args(["--set", "outputs.1.eve-log.enabled=no"]);
        }
        let started = Instant::now();
        let status = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).status().ok()?;
        let seconds = started.elapsed().as_secs_f64();
        if !status.success() {
            println!("suricata: {label} failed ({status}); see {}", out.join("suricata.log").display());
            return None;
        }
        let kb: f64 = std::fs::read_to_string(&time_file)
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("MAXRSS "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0);
        let count = |file: &str, needle: &str| {
            std::fs::read(out.join(file)).map_or(0, |b| {
                b.split(|&c| c == b'\n')
                    .filter(|l| !l.is_empty() && memchr::memmem::find(l, needle.as_bytes()).is_some())
                    .count() as u64
            })
        };
        let (alerts, records) = if stock {
            (count("eve.json", "\"event_type\":\"alert\""), count("eve.json", ""))
        } else {
            (count("fast.log", ""), 0)
        };
        // "... Info: suricata: time elapsed 9.258s"
        let engine_seconds = std::fs::read_to_string(out.join("suricata.log")).ok().and_then(|log| {
            log.lines().rev().find_map(|l| {
                let (_, v) = l.split_once("time elapsed ")?;
                v.trim().trim_end_matches('s').parse().ok()
            })
        });
        Some(SuricataRun { seconds, engine_seconds, peak_rss_mb: kb / 1024.0, alerts, records })
    }
}

/// The first `packets` records of a classic pcap file, as a new file.
pub fn head_of_pcap(pcap: &Path, packets: usize, out: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(pcap).ok()?.take(64 << 20).read_to_end(&mut bytes).ok()?;
    let magic = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?);
    if magic != 0xa1b2_c3d4 && magic != 0xa1b2_3c4d {
        return None;
    }
    let mut at = 24;
    for _ in 0..packets {
        let len = u32::from_le_bytes(bytes.get(at + 8..at + 12)?.try_into().ok()?) as usize;
        if at + 16 + len > bytes.len() {
            break;
        }
        at += 16 + len;
    }
    std::fs::write(out, &bytes[..at]).ok()?;
    Some(out.to_path_buf())
}
