//! `mirrorids replay`.

use std::fs::File;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::{ConfigArgs, EXIT_ATTENTION, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};
use crate::config::Config;
use crate::engine::{self, NoProgress, Progress};

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Rule file or directory of *.rules (repeatable).
    #[arg(long, short = 'r', value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Where EVE alerts go: a file, or - for standard output.
    #[arg(long, value_name = "PATH")]
    pub eve: Option<PathBuf>,
    /// Detection worker threads (overrides engine.workers).
    #[arg(long)]
    pub workers: Option<usize>,
    /// No progress bar and no summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Capture files (pcap or pcapng).
    #[arg(required = true, value_name = "PCAP")]
    pub pcaps: Vec<PathBuf>,
}

struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn advance(&mut self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn finish(&mut self) {
        self.0.finish_and_clear();
    }
}

pub fn run(a: ReplayArgs) -> u8 {
    let mut cfg = match Config::load(a.config.config.as_deref(), &a.config.set) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    if let Some(w) = a.workers {
        cfg.engine.workers = w;
    }
    if let Err(e) = cfg.validate() {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let rule_paths = if a.rules.is_empty() { cfg.detect.rule_files.clone() } else { a.rules.clone() };
    if rule_paths.is_empty() {
        eprintln!("error: no rules: pass --rules FILE or set detect.rule_files in the configuration");
        return EXIT_USAGE;
    }
    for p in &a.pcaps {
        if let Err(e) = File::open(p) {
            eprintln!("error: {}: {e}", p.display());
            return EXIT_RUNTIME;
        }
    }
    let (detect, thresholds) = match engine::load_rules(&cfg, &rule_paths) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let r = &detect.report;
    if !a.quiet {
        eprintln!(
            "rules      {} loaded ({} IP-only, {} prefiltered, {} patterns), {} skipped, {} disabled (see `mirrorids rules check`)",
            r.loaded,
            r.iponly,
            r.prefiltered,
            r.patterns,
            r.failed.len(),
            r.disabled
        );
    }
    let eve_path = a.eve.clone().unwrap_or_else(|| cfg.output.eve.path.clone());
    let out = match super::open_eve(&eve_path, cfg.output.eve.append) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
    };
    let total: u64 = a.pcaps.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let mut progress: Box<dyn Progress> = if !a.quiet && std::io::stderr().is_terminal() && total > 32 << 20 {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Box::new(Bar(bar))
    } else {
        Box::new(NoProgress)
    };
    let summary = match engine::replay(Arc::new(cfg), Arc::new(detect), thresholds, &a.pcaps, out, progress.as_mut()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
    };
    if !a.quiet {
        let _ = summary.print(&mut std::io::stderr());
    }
    if summary.reader.pcap_errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_ATTENTION
    }
}
