//! `mirrorids verify`: regression tests in suricata-verify format, our
//! conformance harness and a tool for users' own rules.
//!
//! Each test folder is replayed with the settings its `args` and
//! `suricata.yaml` imply, and every check of its `test.yaml` is evaluated,
//! whatever EVE event type it is about. `stats` checks are evaluated
//! against our `stats` records where we keep the counter, and reported as
//! skipped where we do not; `shell` and `file-compare` checks are skipped.
//! A test passes when it has at least one evaluated check and all of them
//! pass.

pub mod checks;
mod datasets;
pub mod settings;
pub mod testcase;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::config::Config;
use crate::engine;
pub use testcase::{discover, TestCase};

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

/// Where a test's EVE records come from.
#[derive(Debug, Clone, Copy)]
pub enum EveSource<'a> {
    /// Replay the test with our engine.
    Engine,
    /// Judge records another run left in `DIR/<test name>/eve.json` (the
    /// reference Suricata's, for instance), with the same checks.
    Dir(&'a Path),
}

/// Builds the configuration a test implies.
pub fn test_config(t: &TestCase, ignored: &mut Vec<String>) -> Result<Config, String> {
    let mut cfg = settings::suricata_defaults();
    let yaml = t.dir.join("suricata.yaml");
    if yaml.is_file() {
        settings::apply_suricata_yaml(&mut cfg, &yaml, &t.dir, ignored)?;
    }
    settings::apply_args(&mut cfg, &t.args, &t.dir, ignored);
    settings::apply_env(&mut cfg, &t.env, ignored);
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
    if let Some(stats) = check.get("stats") {
        return evaluate_stats(stats, records);
    }
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
    let Some(want) = filter.get("count").and_then(Value::as_u64) else {
        return Outcome::Skip("filter without an exact count".into());
    };
    // A filter on stats records naming a counter we do not keep cannot be
    // judged (a count of 0 would pass for the wrong reason).
    if keys.get("event_type").and_then(Value::as_str) == Some("stats") {
        if let Some(missing) = missing_counter(keys.keys().map(String::as_str), records, "") {
            return Outcome::Skip(format!("stats counter {missing} is not kept by mirrorids"));
        }
    }
    let got = checks::count_matches(records, keys) as u64;
    if got == want {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("expected {want} record(s) matching {}, found {got}", Value::Object(keys.clone())))
    }
}

/// The last `stats` record (end of run).
fn last_stats(records: &[Value]) -> Option<&Value> {
    records.iter().rev().find(|r| r.get("event_type").and_then(Value::as_str) == Some("stats"))
}

/// The first `stats.*` path of `keys` that no stats record has.
fn missing_counter<'k>(keys: impl Iterator<Item = &'k str>, records: &[Value], prefix: &str) -> Option<String> {
    let stats: Vec<&Value> =
        records.iter().filter(|r| r.get("event_type").and_then(Value::as_str) == Some("stats")).collect();
    for k in keys {
        let path = format!("{prefix}{k}");
        if !path.starts_with("stats.") {
            continue;
        }
        // A path through a list (`detect.engines.rules_loaded`) finds
        // nothing in any engine's record (suricata-verify does not index
        // lists that way): it is judged as written, like the tests expect.
        let through_list = |r: &Value| {
            let parts: Vec<&str> = path.split('.').collect();
            (1..parts.len())
                .any(|n| checks::find_value(&parts[..n].join("."), r).is_some_and(|v| v.to_value().is_array()))
        };
        if !stats.iter().any(|r| checks::find_value(&path, r).is_some() || through_list(r)) {
            return Some(path.trim_start_matches("stats.").to_string());
        }
    }
    None
}

/// A `stats:` check: counters of the end-of-run stats record.
fn evaluate_stats(want: &Value, records: &[Value]) -> Outcome {
    let Some(want) = want.as_object() else { return Outcome::Skip("stats check without counters".into()) };
    let Some(last) = last_stats(records) else { return Outcome::Fail("no stats record".into()) };
    let mut missing = Vec::new();
    for (k, v) in want {
        match checks::find_value(&format!("stats.{k}"), last) {
            Some(found) => {
                let got = found.to_value();
                if !checks::py_eq(v, &got) {
                    return Outcome::Fail(format!("stats counter {k}: expected {v}, found {got}"));
                }
            }
            None => missing.push(k.as_str()),
        }
    }
    match missing.first() {
        Some(k) => Outcome::Skip(format!("stats counter {k} is not kept by mirrorids")),
        None => Outcome::Pass,
    }
}

/// Runs one test folder.
pub fn run_test(dir: &Path, name: String, keep: Option<&Path>) -> TestReport {
    run_test_from(dir, name, keep, EveSource::Engine)
}

/// Runs one test folder, judging the records of `source`.
pub fn run_test_from(dir: &Path, name: String, keep: Option<&Path>, source: EveSource<'_>) -> TestReport {
    let report =
        |outcome, checks, ignored_settings| TestReport { name: name.clone(), outcome, checks, ignored_settings };
    let t = match TestCase::load(dir, name.clone()) {
        Ok(t) => t,
        Err(e) => return report(Outcome::Fail(e), Vec::new(), Vec::new()),
    };
    if let Some(why) = &t.skip {
        return report(Outcome::Skip(why.clone()), Vec::new(), Vec::new());
    }
    let mut ignored = Vec::new();
    let eve = match source {
        EveSource::Engine => test_config(&t, &mut ignored).and_then(|cfg| run_engine(&t, cfg)),
        EveSource::Dir(d) => {
            let p = d.join(&t.name).join("eve.json");
            std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))
        }
    };
    let eve = match eve {
        Ok(e) => e,
        Err(e) => return report(Outcome::Fail(format!("engine: {e}")), Vec::new(), ignored),
    };
    if let Some(out) = keep {
        let d = out.join(&t.name);
        let _ = std::fs::create_dir_all(&d);
        let _ = std::fs::write(d.join("eve.json"), &eve);
    }
    let (outcome, checks) = evaluate(&t, &eve);
    report(outcome, checks, ignored)
}

/// Totals over many tests: tests by outcome, checks by outcome, and why
/// checks were skipped (reason -> count).
#[derive(Debug, Default)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub checks_passed: usize,
    pub checks_failed: usize,
    pub checks_skipped: BTreeMap<String, usize>,
}

impl Totals {
    pub fn add(&mut self, r: &TestReport) {
        match r.outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail(_) => self.failed += 1,
            Outcome::Skip(_) => self.skipped += 1,
        }
        for c in &r.checks {
            match &c.status {
                Outcome::Pass => self.checks_passed += 1,
                Outcome::Fail(_) => self.checks_failed += 1,
                Outcome::Skip(why) => *self.checks_skipped.entry(skip_kind(why)).or_default() += 1,
            }
        }
    }

    /// `N passed, M failed, K skipped; checks: ...` — the final line.
    pub fn line(&self) -> String {
        let skipped: usize = self.checks_skipped.values().sum();
        let mut s = format!(
            "{} passed, {} failed, {} skipped; checks: {} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped, self.checks_passed, self.checks_failed, skipped
        );
        if skipped > 0 {
            let why: Vec<String> = self.checks_skipped.iter().map(|(k, n)| format!("{n} {k}")).collect();
            s.push_str(&format!(" ({})", why.join(", ")));
        }
        s
    }
}

/// Groups skip reasons for the summary (counter names and versions vary).
fn skip_kind(why: &str) -> String {
    if why.starts_with("stats counter") {
        "stats counters we do not keep".into()
    } else if why.starts_with("needs") || why.starts_with("only for") {
        "for other Suricata versions or features".into()
    } else if let Some(k) = why.strip_suffix(" checks are about Suricata internals") {
        k.to_string()
    } else {
        why.to_string()
    }
}
