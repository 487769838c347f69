//! The rule parser and compiler on arbitrary rule text: headers (with
//! Suricata 8 hooks), options, every keyword's value parser, and the
//! compilation into signatures and prefilter databases. A bad rule must be
//! skipped with a reason, never panic, whatever the bytes.

#![no_main]

use std::hint::black_box;

use libfuzzer_sys::fuzz_target;
use mirrorids::detect::{DetectConfig, DetectEngine};
use mirrorids::rules::classification::Classifications;
use mirrorids::rules::{ParsedRules, Vars};

fuzz_target!(|data: &[u8]| {
    // Hyperscan compiles per input: keep inputs to a few rules.
    if data.len() > 4096 {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let mut parsed = ParsedRules::default();
    parsed.add_text(&text, "fuzz.rules", &Vars::default());
    if let Ok(engine) = DetectEngine::build(parsed, &Classifications::builtin(), DetectConfig::default()) {
        black_box(engine.report.loaded);
    }
});
