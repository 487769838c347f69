//! The suricata-verify corpora, through `mirrorids verify`'s harness.

mod common;

use common::*;
use mirrorids::verify::{discover, run_test, Outcome};

/// Runs every test case under `corpus/<name>`: the number of cases, how
/// many passed, and the names and outcomes of the others.
fn run_corpus(name: &str) -> (usize, usize, Vec<(String, String)>) {
    let root = shared().join("corpus").join(name);
    assert!(root.is_dir(), "{} is missing", root.display());
    let mut tests = Vec::new();
    let mut entries: Vec<_> =
        std::fs::read_dir(&root).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    entries.sort();
    for e in entries {
        discover(&e, &mut tests);
    }
    let total = tests.len();
    let mut passed = 0;
    let mut failed = Vec::new();
    for (dir, case) in tests {
        let r = run_test(&dir, case.clone(), None);
        match &r.outcome {
            Outcome::Pass => passed += 1,
            other => failed.push((case, format!("{other:?}"))),
        }
    }
    eprintln!("{name}: {passed} of {total} passed");
    (total, passed, failed)
}

fn listed(failed: &[(String, String)]) -> String {
    failed.iter().map(|(n, o)| format!("{n}: {o}")).collect::<Vec<_>>().join("\n")
}

/// Judged on every check (all event types), the corpora pass at least
/// this many tests; every failure is printed with its cause.
const SV_FLOOR: usize = 40;
const SV_APP_FLOOR: usize = 84;

#[test]
fn suricata_verify_corpus() {
    let (total, passed, failed) = run_corpus("suricata-verify");
    assert_eq!(total, 47);
    eprintln!("failures:\n{}", listed(&failed));
    assert!(passed >= SV_FLOOR, "{passed} passed, expected at least {SV_FLOOR}:\n{}", listed(&failed));
}

#[test]
fn suricata_verify_app_corpus() {
    let (total, passed, failed) = run_corpus("suricata-verify-app");
    assert_eq!(total, 431);
    eprintln!("failures:\n{}", listed(&failed));
    assert!(passed >= SV_APP_FLOOR, "{passed} passed, expected at least {SV_APP_FLOOR}:\n{}", listed(&failed));
}
