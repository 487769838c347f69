//! `mirrorids rules check`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Subcommand;

use super::{ConfigArgs, EXIT_ATTENTION, EXIT_OK, EXIT_USAGE};
use crate::config::Config;
use crate::engine;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Load rule files and report every rule that loads and every rule that
    /// does not, with the reason.
    Check {
        #[command(flatten)]
        config: ConfigArgs,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Only the totals and reasons, not one line per skipped rule.
        #[arg(long)]
        summary: bool,
        /// Rule files or directories of *.rules.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

pub fn run(cmd: RulesCommand) -> u8 {
    let RulesCommand::Check { config, json, summary, files } = cmd;
    let cfg = match Config::load(config.config.as_deref(), &config.set) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let started = Instant::now();
    let (detect, _) = match engine::load_rules(&cfg, &files) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let elapsed = started.elapsed();
    let r = &detect.report;
    let mut failed: Vec<_> = r.failed.iter().collect();
    failed.sort_by(|a, b| (&*a.location.file, a.location.line).cmp(&(&*b.location.file, b.location.line)));
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for f in &failed {
        *by_reason.entry(reason_class(&f.error.message)).or_default() += 1;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        let skipped: Vec<serde_json::Value> = failed
            .iter()
            .map(|f| {
                serde_json::json!({
                    "file": &*f.location.file,
                    "line": f.location.line,
                    "column": f.error.column,
                    "sid": f.sid,
                    "kind": f.error.kind.name(),
                    "reason": f.error.message,
                })
            })
            .collect();
        let by_kind: BTreeMap<&str, usize> = r.by_kind().into_iter().map(|(k, v)| (k.name(), v)).collect();
        let doc = serde_json::json!({
            "loaded": r.loaded,
            "skipped": skipped.len(),
            "disabled": r.disabled,
            "iponly": r.iponly,
            "prefiltered": r.prefiltered,
            "patterns": r.patterns,
            "seconds": elapsed.as_secs_f64(),
            "mpm_cache": r.mpm_cache,
            "mpm_cache_dir": r.mpm_cache_dir,
            "by_kind": by_kind,
            "by_reason": by_reason,
            "skipped_rules": skipped,
        });
        let _ = writeln!(out, "{doc}");
    } else {
        if !summary {
            for f in &failed {
                let sid = f.sid.map_or_else(|| "?".to_string(), |s| s.to_string());
                let _ = writeln!(
                    out,
                    "{}:{}:{}: sid {sid}: skipped: {}",
                    f.location.file, f.location.line, f.error.column, f.error.message
                );
            }
        }
        let _ = writeln!(
            out,
            "{} rules loaded, {} skipped, {} disabled (commented out) in {:.2} s",
            r.loaded,
            failed.len(),
            r.disabled,
            elapsed.as_secs_f64()
        );
        let _ = writeln!(out, "{}", r.mpm_cache_summary());
        if !by_reason.is_empty() {
            let _ = writeln!(out, "skipped by reason:");
            let mut v: Vec<_> = by_reason.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (reason, n) in v {
                let _ = writeln!(out, "  {n:>7}  {reason}");
            }
        }
    }
    if failed.is_empty() {
        EXIT_OK
    } else {
        EXIT_ATTENTION
    }
}

/// Groups messages that differ only in detail ("needs the http parser
/// (http.uri)" and "(http.method)" are one reason).
fn reason_class(msg: &str) -> String {
    match msg.find(" (") {
        Some(i) if msg.starts_with("needs the") => msg[..i].to_string(),
        _ => msg.split(':').next().unwrap_or(msg).to_string(),
    }
}
