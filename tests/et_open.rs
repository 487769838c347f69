//! Emerging Threats Open loads without a crash: every enabled rule is
//! either loaded or skipped with a reason.

mod common;

use common::*;
use mirrorids::config::Config;
use mirrorids::rules::ErrorKind;

#[test]
fn every_et_open_rule_is_loaded_or_explained() {
    let dir = shared().join("rules/et-open-2024");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    let (engine, _) = mirrorids::engine::load_rules(&Config::default(), &[dir]).unwrap();
    let r = &engine.report;
    assert_eq!(r.loaded + r.failed.len(), 24_827, "every enabled rule accounted for");
    // 24,827 load: every enabled rule, the FTP ones among them.
    assert!(r.loaded >= 24_827, "loaded {}", r.loaded);
    for sid in [2_103_441, 2_034_695] {
        assert!(!r.failed.iter().any(|f| f.sid == Some(sid)), "sid {sid} does not load");
    }
    for f in &r.failed {
        assert!(!f.error.message.is_empty());
        assert!(
            matches!(f.error.kind, ErrorKind::NeedsAppLayer | ErrorKind::Unsupported),
            "{}:{} sid {:?}: unexpected {:?}: {}",
            f.location.file,
            f.location.line,
            f.sid,
            f.error.kind,
            f.error.message
        );
    }
}
