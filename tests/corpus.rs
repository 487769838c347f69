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

/// Judged on every check (all event types), these cases fail, each for
/// the reason given; any other failure fails the test, and so does a case
/// here that starts passing (take it off the list).
const SV_KNOWN_FAILURES: &[(&str, &str)] = &[
    ("smb1-03-midstream", "smb records: mirrorids has no SMB parser"),
    (
        "vxlan-decoder-02",
        "the flow key includes the tunnel source: the two directions, mirrored from two VTEPs, are two flows by design",
    ),
];
const SV_APP_KNOWN_FAILURES: &[(&str, &str)] = &[
    (
        "bug-6402-01",
        "Suricata logs the outer GENEVE tunnel as a flow and alerts on the intermediate GRE layers; we log inner flows only",
    ),
];

fn check_corpus(name: &str, cases: usize, known: &[(&str, &str)]) {
    let (total, passed, failed) = run_corpus(name);
    assert_eq!(total, cases);
    eprintln!("failures:\n{}", listed(&failed));
    let unexpected: Vec<_> = failed.iter().filter(|(n, _)| !known.iter().any(|(k, _)| k == n)).cloned().collect();
    assert!(unexpected.is_empty(), "{passed} of {total} passed; new failures:\n{}", listed(&unexpected));
    let fixed: Vec<_> = known.iter().filter(|(k, _)| !failed.iter().any(|(n, _)| n == k)).collect();
    assert!(fixed.is_empty(), "these pass now, take them off the known failures: {fixed:?}");
}

#[test]
fn suricata_verify_corpus() {
    check_corpus("suricata-verify", 47, SV_KNOWN_FAILURES);
}

#[test]
fn suricata_verify_app_corpus() {
    check_corpus("suricata-verify-app", 431, SV_APP_KNOWN_FAILURES);
}
