//! `mirrorids replay`.

use std::fs::File;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::{ConfigArgs, EngineArgs, EXIT_ATTENTION, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};
use crate::config::Config;
use crate::engine::{self, NoProgress, Progress};

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
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
    if let Some(w) = a.engine.workers {
        cfg.engine.workers = w;
    }
    if let Err(e) = cfg.validate() {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let rule_paths = a.engine.rule_paths(&cfg);
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
    if !a.engine.quiet {
        eprintln!(
            "rules      {} loaded ({} IP-only, {} prefiltered, {} patterns), {} skipped, {} disabled (see `mirrorids rules check`)",
            r.loaded,
            r.iponly,
            r.prefiltered,
            r.patterns,
            r.failed.len(),
            r.disabled
        );
        eprintln!("           {}", r.mpm_cache_summary());
    }
    let eve_path = a.engine.eve.clone().unwrap_or_else(|| cfg.output.eve.path.clone());
    let out = match super::open_eve(&eve_path, &cfg.output.eve.file_options(cfg.output.eve.append)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
    };
    let total: u64 = a.pcaps.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let mut progress: Box<dyn Progress> = if !a.engine.quiet && std::io::stderr().is_terminal() && total > 32 << 20 {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Box::new(Bar(bar))
    } else {
        Box::new(NoProgress)
    };
    let detect = Arc::new(detect);
    let summary = match engine::replay(Arc::new(cfg), detect.clone(), thresholds, &a.pcaps, out, progress.as_mut()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
    };
    // Datasets with `save`/`state` files keep what rules added, as
    // Suricata writes them at shutdown.
    for e in detect.datasets.save() {
        eprintln!("error: saving a dataset: {e}");
    }
    let refused = detect.datasets.overflow();
    if refused > 0 && !a.engine.quiet {
        eprintln!("datasets   {refused} items not added: the set was at its memcap");
    }
    if !a.engine.quiet {
        let _ = summary.print(&mut std::io::stderr());
    }
    if summary.reader.pcap_errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_ATTENTION
    }
}
