//! Loading rules with datasets and IP reputation: a bad data file skips
//! the rules that need it, with the file, line and problem; the others load.

use super::*;
use crate::rules::{ParsedRules, Vars};

fn build(rules: &str, config: DetectConfig) -> DetectEngine {
    let mut parsed = ParsedRules::default();
    let dir = std::env::temp_dir();
    parsed.add_text(rules, &dir.join("t.rules").display().to_string(), &Vars::default());
    DetectEngine::build(parsed, &Classifications::builtin(), config).unwrap()
}

fn tmp(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mirrorids-detect-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for (f, text) in files {
        std::fs::write(d.join(f), text).unwrap();
    }
    d
}

#[test]
fn bad_dataset_file_skips_only_its_rules() {
    let d = tmp("ds", &[("bad.lst", "ZXZpbC5jb20=\n%%%\n")]);
    let rules = format!(
        "alert dns any any -> any any (dns.query; dataset:isset,bad, type string, load {}; sid:1;)\n\
         alert dns any any -> any any (dns.query; dataset:isnotset,other, type string; sid:2;)\n\
         alert tcp any any -> any any (dataset:isset,other; sid:3;)\n",
        d.join("bad.lst").display()
    );
    let e = build(&rules, DetectConfig::default());
    assert_eq!(e.report.loaded, 1);
    let f1 = e.report.failed.iter().find(|f| f.sid == Some(1)).unwrap();
    assert!(f1.error.message.contains("bad.lst") && f1.error.message.contains("line 2"), "{}", f1.error.message);
    // dataset needs a sticky buffer, as in Suricata.
    assert!(e.report.failed.iter().any(|f| f.sid == Some(3)));
}

#[test]
fn iprep_rules_stay_ip_only_and_need_known_categories() {
    let d = tmp("rep", &[("cats.txt", "1,Bad,bad\n"), ("rep.list", "10.0.0.0/8,1,90\n")]);
    let config = DetectConfig {
        reputation: reputation::ReputationConfig {
            categories_file: Some(d.join("cats.txt")),
            default_path: Some(d.clone()),
            files: vec!["rep.list".into()],
        },
        ..DetectConfig::default()
    };
    let rules = "alert ip any any -> any any (iprep:src,Bad,>,50; sid:1;)\n\
                 alert ip any any -> any any (iprep:src,Nope,>,50; sid:2;)\n";
    let e = build(rules, config.clone());
    assert_eq!((e.report.loaded, e.report.iponly), (1, 1));
    assert!(e.report.failed[0].error.message.contains("unknown category"));
    // A bad reputation line: the iprep rules are skipped with its place.
    std::fs::write(d.join("rep.list"), "10.0.0.0/8,1,90\n10.0.0.1,1,900\n").unwrap();
    let e = build(
        "alert ip any any -> any any (iprep:src,Bad,>,50; sid:1;)\nalert ip any any -> any any (sid:3;)\n",
        config,
    );
    assert_eq!(e.report.loaded, 1);
    let m = &e.report.failed[0].error.message;
    assert!(m.contains("rep.list:2") && m.contains("bad score"), "{m}");
}
