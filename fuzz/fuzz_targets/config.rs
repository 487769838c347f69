//! The configuration loader on arbitrary documents: YAML or TOML parsing,
//! the merge over the defaults, `--set KEY=VALUE` overrides, deserializing
//! into every section's struct and the cross-field validation. A bad file
//! must be an error naming it, never a panic; a configuration that loads
//! must be one the engine can start with.
//!
//! Input: a selector byte (bit 0: TOML rather than YAML; bit 1: the first
//! line is a `--set` assignment applied over the document), then the text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mirrorids::config::{Config, Format};
use mirrorids::flow::table::FlowTable;
use mirrorids::stream::MemBudget;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let format = if sel & 1 != 0 { Format::Toml } else { Format::Yaml };
    let (sets, doc) = if sel & 2 != 0 {
        let (first, doc) = text.split_once('\n').unwrap_or((&text, ""));
        (vec![first.to_string()], doc)
    } else {
        (Vec::new(), &*text)
    };
    let Ok(cfg) = Config::from_text(Some(doc), format, "fuzz.yaml", &sets) else { return };
    // What the engine derives from a valid configuration at start.
    let _ = cfg.decode.to_decode_config();
    let flows = cfg.flow.max_flows(cfg.engine.workers);
    let _ = FlowTable::new(&cfg.flow, flows.min(1 << 12));
    let _ = MemBudget::new(cfg.stream.reassembly.memcap);
    let _ = serde_yaml::to_string(&cfg);
});
