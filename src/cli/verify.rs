//! `mirrorids verify`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::verify::{discover, run_test_from, EveSource, Outcome, Totals};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Keep each test's output in OUT/<test name>/eve.json.
    #[arg(long, value_name = "OUT")]
    pub keep_output: Option<PathBuf>,
    /// Judge the records in DIR/<test name>/eve.json instead of running
    /// the engine (another engine's output, e.g. the reference Suricata's
    /// from scripts/suricata-oracle.py), with the same checks.
    #[arg(long, value_name = "DIR")]
    pub judge_eve: Option<PathBuf>,
    /// Print each test's checks, not only failures.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Test folders (a folder with test.yaml), or folders containing them.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
}

/// Runs every test found under the folders, prints a line per test and a
/// final line with the totals of tests and checks (and why checks were
/// skipped).
pub fn run(a: VerifyArgs) -> u8 {
    let mut tests = Vec::new();
    for d in &a.dirs {
        if !d.is_dir() {
            eprintln!("error: {}: not a directory", d.display());
            return super::EXIT_USAGE;
        }
        discover(d, &mut tests);
    }
    let source = match &a.judge_eve {
        Some(d) => EveSource::Dir(d),
        None => EveSource::Engine,
    };
    let mut totals = Totals::default();
    let stdout = std::io::stdout();
    for (dir, name) in tests {
        let r = run_test_from(&dir, name, a.keep_output.as_deref(), source);
        totals.add(&r);
        let mut out = stdout.lock();
        let _ = match &r.outcome {
            Outcome::Pass => writeln!(out, "PASS {}", r.name),
            Outcome::Fail(why) => writeln!(out, "FAIL {}: {why}", r.name),
            Outcome::Skip(why) => writeln!(out, "SKIP {}: {why}", r.name),
        };
        if a.verbose {
            for c in &r.checks {
                let _ = writeln!(out, "    check {}: {:?}", c.index, c.status);
            }
            if !r.ignored_settings.is_empty() {
                let _ = writeln!(out, "    settings not mapped: {}", r.ignored_settings.join(", "));
            }
        }
    }
    println!("{}", totals.line());
    if totals.failed == 0 {
        super::EXIT_OK
    } else {
        super::EXIT_ATTENTION
    }
}
