//! A test's `suricata.yaml` dataset and IP reputation settings, with files
//! resolved as Suricata resolves them when suricata-verify runs it from the
//! test folder (its working directory there).

use std::path::Path;

use serde_yaml::Value;

use crate::config::Config;
use crate::detect::datasets::SetDecl;
use crate::rules::datasets::{parse_size, DataType};

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn flag(v: &Value) -> Option<bool> {
    match text(v)?.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Some(true),
        "no" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// One `datasets:` entry; entries without a `type` (`defaults`, `limits`,
/// `rules`) are settings, as in Suricata.
fn apply_set(cfg: &mut Config, name: &str, body: &Value, test_dir: &Path, ignored: &mut Vec<String>) {
    let Some(ty) = body.get("type").and_then(text) else { return };
    let Some(data_type) = DataType::from_name(&ty) else {
        ignored.push(format!("datasets.{name}: type {ty}"));
        return;
    };
    let path = |k: &str| body.get(k).and_then(text).map(|p| test_dir.join(p));
    let decl = SetDecl {
        data_type,
        load: path("load"),
        state: body.get("state").and_then(text).map(Into::into),
        memcap: body.get("memcap").and_then(text).and_then(|s| parse_size(&s)),
        hashsize: body
            .get("hashsize")
            .and_then(text)
            .and_then(|s| parse_size(&s))
            .map(|n| n.min(u64::from(u32::MAX)) as u32),
    };
    cfg.detect.datasets.sets.insert(name.to_string(), decl);
}

/// Applies `datasets:`, `data-dir` and the reputation keys.
pub fn apply(cfg: &mut Config, y: &Value, test_dir: &Path, ignored: &mut Vec<String>) {
    // `state` files live in the data directory; verify reads them from the
    // test folder (or its `data-dir`) and never writes them.
    let data_dir = y.get("data-dir").and_then(text).map_or_else(|| test_dir.to_path_buf(), |d| test_dir.join(d));
    cfg.detect.datasets.data_dir = Some(data_dir);
    if let Some(ds) = y.get("datasets") {
        let d = &mut cfg.detect.datasets;
        if let Some(defaults) = ds.get("defaults") {
            if let Some(n) = defaults.get("memcap").and_then(text).and_then(|s| parse_size(&s)) {
                d.defaults.memcap = n;
            }
            if let Some(n) = defaults.get("hashsize").and_then(text).and_then(|s| parse_size(&s)) {
                d.defaults.hashsize = n.min(u64::from(u32::MAX)) as u32;
            }
        }
        if let Some(rules) = ds.get("rules") {
            if let Some(b) = rules.get("allow-absolute-filenames").and_then(flag) {
                d.rules.allow_absolute_filenames = b;
            }
            if let Some(b) = rules.get("allow-write").and_then(flag) {
                d.rules.allow_write = b;
            }
        }
        match ds {
            Value::Mapping(m) => {
                for (k, v) in m {
                    if let Some(name) = k.as_str() {
                        apply_set(cfg, name, v, test_dir, ignored);
                    }
                }
            }
            // The list form: `- name: {type: ...}`.
            Value::Sequence(list) => {
                for item in list.iter().filter_map(Value::as_mapping) {
                    for (k, v) in item {
                        if let Some(name) = k.as_str() {
                            apply_set(cfg, name, v, test_dir, ignored);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let rep = &mut cfg.detect.reputation;
    if let Some(f) = y.get("reputation-categories-file").and_then(text) {
        rep.categories_file = Some(test_dir.join(f));
    }
    if let Some(p) = y.get("default-reputation-path").and_then(text) {
        rep.default_path = Some(test_dir.join(p));
    }
    if let Some(files) = y.get("reputation-files").and_then(Value::as_sequence) {
        // Relative names are read from `default-reputation-path`, else
        // from the working directory: the test folder.
        rep.files = files.iter().filter_map(text).map(Into::into).collect();
        if rep.default_path.is_none() {
            rep.default_path = Some(test_dir.to_path_buf());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suricata_yaml_sets_and_reputation() {
        let y: Value = serde_yaml::from_str(
            "datasets:\n  defaults:\n    memcap: 10mb\n  ua-seen:\n    type: string\n    load: ua.lst\n    hashsize: 1024\n\
             reputation-categories-file: cats.txt\nreputation-files:\n  - rep.list\n",
        )
        .unwrap();
        let mut cfg = Config::default();
        let mut ignored = Vec::new();
        apply(&mut cfg, &y, Path::new("/t"), &mut ignored);
        let d = &cfg.detect.datasets;
        assert_eq!(d.defaults.memcap, 10 << 20);
        let s = &d.sets["ua-seen"];
        assert_eq!(
            (s.data_type, s.load.as_deref(), s.hashsize),
            (DataType::String, Some(Path::new("/t/ua.lst")), Some(1024))
        );
        assert_eq!(d.sets.len(), 1);
        assert_eq!(cfg.detect.reputation.categories_file.as_deref(), Some(Path::new("/t/cats.txt")));
        assert_eq!(cfg.detect.reputation.files, vec![Path::new("rep.list").to_path_buf()]);
        assert_eq!(cfg.detect.reputation.default_path.as_deref(), Some(Path::new("/t")));
    }
}
