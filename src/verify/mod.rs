//! `mirrorids verify`: regression tests in suricata-verify format, our
//! conformance harness and a tool for users' own rules.
//!
//! Each test folder is replayed with the settings its `args` and
//! `suricata.yaml` imply, and every check of its `test.yaml` is evaluated.
//! Checks about EVE event types we do not emit, and `stats`, `shell` and
//! `file-compare` checks, are reported as skipped, never as passed; a test
//! passes when it has at least one evaluated check and all of them pass.

pub mod checks;
pub mod settings;
pub mod testcase;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::engine;
pub use testcase::{discover, TestCase};

/// EVE event types this build emits.
pub const EMITTED_EVENT_TYPES: &[&str] = &["alert"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

#[derive(Debug, Clone)]
pub struct CheckReport {
    pub index: usize,
    pub status: Outcome,
}

#[derive(Debug, Clone)]
pub struct TestReport {
    pub name: String,
    pub outcome: Outcome,
    pub checks: Vec<CheckReport>,
    pub ignored_settings: Vec<String>,
}

/// Builds the configuration a test implies.
pub fn test_config(t: &TestCase, ignored: &mut Vec<String>) -> Result<Config, String> {
    let mut cfg = settings::suricata_defaults();
    let yaml = t.dir.join("suricata.yaml");
    if yaml.is_file() {
        settings::apply_suricata_yaml(&mut cfg, &yaml, &t.dir, ignored)?;
    }
    settings::apply_args(&mut cfg, &t.args, &t.dir, ignored);
    Ok(cfg)
}

/// Replays a test's captures with its rules; returns the EVE lines.
pub fn run_engine(t: &TestCase, cfg: Config) -> Result<Vec<u8>, String> {
    let mut rule_files = t.rule_files.clone();
    let inline_dir;
    if let Some(text) = &t.inline_rules {
        inline_dir = std::env::temp_dir().join(format!("mirrorids-verify-{}", std::process::id()));
        std::fs::create_dir_all(&inline_dir).map_err(|e| e.to_string())?;
        let p = inline_dir.join(format!("{}.rules", t.name.replace('/', "_")));
        std::fs::write(&p, text).map_err(|e| e.to_string())?;
        rule_files.push(p);
    }
    engine::replay_to_memory(cfg, &rule_files, &t.pcaps).map(|(eve, _)| eve)
}

/// Evaluates a test's checks against EVE output.
pub fn evaluate(t: &TestCase, eve: &[u8]) -> (Outcome, Vec<CheckReport>) {
    let records: Vec<Value> =
        eve.split(|&b| b == b'\n').filter(|l| !l.is_empty()).filter_map(|l| serde_json::from_slice(l).ok()).collect();
    let mut reports = Vec::new();
    for (i, check) in t.checks.iter().enumerate() {
        let status = evaluate_check(check, &records);
        reports.push(CheckReport { index: i + 1, status });
    }
    let failed: Vec<&CheckReport> = reports.iter().filter(|r| matches!(r.status, Outcome::Fail(_))).collect();
    let passed = reports.iter().filter(|r| r.status == Outcome::Pass).count();
    let outcome = if let Some(f) = failed.first() {
        let Outcome::Fail(why) = &f.status else { unreachable!() };
        Outcome::Fail(format!("check {}: {why}", f.index))
    } else if passed == 0 {
        Outcome::Skip("no check applies to mirrorids".into())
    } else {
        Outcome::Pass
    };
    (outcome, reports)
}

fn evaluate_check(check: &Value, records: &[Value]) -> Outcome {
    let Some(filter) = check.get("filter") else {
        let kind = check.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default();
        return Outcome::Skip(format!("{kind} checks are about Suricata internals"));
    };
    if let Some(why) = filter.get("requires").and_then(testcase::requirement_unmet) {
        return Outcome::Skip(why);
    }
    let Some(keys) = filter.get("match").and_then(Value::as_object) else {
        return Outcome::Skip("filter without match".into());
    };
    if let Some(et) = keys.get("event_type").and_then(Value::as_str) {
        if !EMITTED_EVENT_TYPES.contains(&et) {
            return Outcome::Skip(format!("mirrorids does not emit event_type {et}"));
        }
    }
    let Some(want) = filter.get("count").and_then(Value::as_u64) else {
        return Outcome::Skip("filter without an exact count".into());
    };
    let got = checks::count_matches(records, keys) as u64;
    if got == want {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("expected {want} record(s) matching {}, found {got}", Value::Object(keys.clone())))
    }
}

/// Runs one test folder.
pub fn run_test(dir: &Path, name: String, keep: Option<&Path>) -> TestReport {
    let t = match TestCase::load(dir, name.clone()) {
        Ok(t) => t,
        Err(e) => {
            return TestReport { name, outcome: Outcome::Fail(e), checks: Vec::new(), ignored_settings: Vec::new() }
        }
    };
    if let Some(why) = &t.skip {
        return TestReport {
            name,
            outcome: Outcome::Skip(why.clone()),
            checks: Vec::new(),
            ignored_settings: Vec::new(),
        };
    }
    let mut ignored = Vec::new();
    let eve = test_config(&t, &mut ignored).and_then(|cfg| run_engine(&t, cfg));
    let eve = match eve {
        Ok(e) => e,
        Err(e) => {
            return TestReport {
                name,
                outcome: Outcome::Fail(format!("engine: {e}")),
                checks: Vec::new(),
                ignored_settings: ignored,
            }
        }
    };
    if let Some(out) = keep {
        let d = out.join(&t.name);
        let _ = std::fs::create_dir_all(&d);
        let _ = std::fs::write(d.join("eve.json"), &eve);
    }
    let (outcome, checks) = evaluate(&t, &eve);
    TestReport { name, outcome, checks, ignored_settings: ignored }
}

/// The command: runs every test found under `dirs` and prints a line per
/// test and a final `N passed, M failed` line.
pub fn run_cli(dirs: &[PathBuf], keep: Option<&Path>, verbose: bool) -> u8 {
    let mut tests = Vec::new();
    for d in dirs {
        if !d.is_dir() {
            eprintln!("error: {}: not a directory", d.display());
            return crate::cli::EXIT_USAGE;
        }
        discover(d, &mut tests);
    }
    let (mut pass, mut fail, mut skip) = (0, 0, 0);
    let stdout = std::io::stdout();
    for (dir, name) in tests {
        let r = run_test(&dir, name, keep);
        let mut out = stdout.lock();
        match &r.outcome {
            Outcome::Pass => {
                pass += 1;
                let _ = writeln!(out, "PASS {}", r.name);
            }
            Outcome::Fail(why) => {
                fail += 1;
                let _ = writeln!(out, "FAIL {}: {why}", r.name);
            }
            Outcome::Skip(why) => {
                skip += 1;
                let _ = writeln!(out, "SKIP {}: {why}", r.name);
            }
        }
        if verbose {
            for c in &r.checks {
                let _ = writeln!(out, "    check {}: {:?}", c.index, c.status);
            }
            if !r.ignored_settings.is_empty() {
                let _ = writeln!(out, "    settings not mapped: {}", r.ignored_settings.join(", "));
            }
        }
    }
    println!("{pass} passed, {fail} failed, {skip} skipped");
    if fail == 0 {
        crate::cli::EXIT_OK
    } else {
        crate::cli::EXIT_ATTENTION
    }
}
