//! A suricata-verify test folder: its `test.yaml`, captures, rules and
//! configuration.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Our engine answers version requirements as this Suricata release.
pub const COMPAT_VERSION: (u32, u32, u32) = (8, 0, 6);

#[derive(Debug)]
pub struct TestCase {
    pub name: String,
    pub dir: PathBuf,
    pub pcaps: Vec<PathBuf>,
    pub rule_files: Vec<PathBuf>,
    /// Rules given inline in test.yaml.
    pub inline_rules: Option<String>,
    /// Command-line arguments (`-k none`, `--set a=b`).
    pub args: Vec<String>,
    /// Environment variables the test sets (`SURICATA_EVE_DNS_VERSION`).
    pub env: Vec<(String, String)>,
    pub checks: Vec<Value>,
    /// Why the whole test does not apply to us, if it does not.
    pub skip: Option<String>,
}

fn parse_version(v: &Value) -> Option<(u32, u32, u32)> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let mut it = s.split('.').map(|p| p.trim().parse::<u32>().unwrap_or(0));
    Some((it.next()?, it.next().unwrap_or(0), it.next().unwrap_or(0)))
}

/// Whether a `requires` block excludes our version or features. Only upper
/// bounds (`lt-version`, `version`) and features are honoured: a
/// `min-version` names a feature newer Suricata gained, which we implement
/// and test rather than skip.
pub fn requirement_unmet(req: &Value) -> Option<String> {
    let obj = req.as_object()?;
    if let Some(lt) = obj.get("lt-version").and_then(parse_version) {
        if COMPAT_VERSION >= lt {
            return Some(format!("needs a Suricata version below {}.{}.{}", lt.0, lt.1, lt.2));
        }
    }
    if let Some(v) = obj.get("version").and_then(parse_version) {
        if v.0 != COMPAT_VERSION.0 {
            return Some(format!("only for Suricata {}", v.0));
        }
    }
    if let Some(features) = obj.get("features").and_then(Value::as_array) {
        for f in features.iter().filter_map(Value::as_str) {
            if !matches!(f, "HAVE_JA3" | "RUST" | "HAVE_LIBJANSSON" | "HAVE_NSS") {
                return Some(format!("needs feature {f}"));
            }
        }
    }
    if obj.contains_key("script") || obj.contains_key("lambda") || obj.contains_key("env") {
        return Some("needs a script environment".into());
    }
    None
}

fn files_with_ext(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    v.retain(|p| p.is_file() && p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&e)));
    v.sort();
    v
}

impl TestCase {
    /// Reads a test folder.
    pub fn load(dir: &Path, name: String) -> Result<TestCase, String> {
        let yaml_path = dir.join("test.yaml");
        let text = std::fs::read_to_string(&yaml_path).map_err(|e| format!("{}: {e}", yaml_path.display()))?;
        let yaml: serde_yaml::Value =
            serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", yaml_path.display()))?;
        let t: Value = serde_json::to_value(&yaml).map_err(|e| format!("{}: {e}", yaml_path.display()))?;
        let manifest: Option<Value> =
            std::fs::read_to_string(dir.join("manifest.json")).ok().and_then(|s| serde_json::from_str(&s).ok());
        let from_manifest = |key: &str| -> Option<Vec<PathBuf>> {
            let arr = manifest.as_ref()?.get(key)?.as_array()?;
            Some(arr.iter().filter_map(Value::as_str).map(|s| dir.join(s)).collect())
        };
        let pcaps = from_manifest("pcaps")
            .or_else(|| {
                t.get("pcap")
                    .and_then(Value::as_str)
                    .map(|p| vec![dir.join(p)])
                    .filter(|v| v.iter().all(|p| p.is_file()))
            })
            .unwrap_or_else(|| files_with_ext(dir, &["pcap", "pcapng"]));
        let rule_files = from_manifest("rule_files").unwrap_or_else(|| files_with_ext(dir, &["rules"]));
        let inline_rules = t.get("rules").and_then(Value::as_str).map(str::to_string);
        let args = match t.get("args") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let env = t
            .get("env")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect()
            })
            .unwrap_or_default();
        let checks = t.get("checks").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut skip = None;
        for key in ["requires", "requirements"] {
            if let Some(r) = t.get(key) {
                skip = skip.or_else(|| requirement_unmet(r));
            }
        }
        if t.get("pcap").is_some_and(|p| p == &Value::Bool(false)) || pcaps.is_empty() {
            skip = skip.or_else(|| Some("no capture to replay".into()));
        }
        Ok(TestCase { name, dir: dir.to_path_buf(), pcaps, rule_files, inline_rules, args, env, checks, skip })
    }
}

/// Finds test folders: a folder with a `test.yaml`, or the folders below one
/// that has none (depth-limited).
pub fn discover(root: &Path, out: &mut Vec<(PathBuf, String)>) {
    fn walk(dir: &Path, base: &Path, depth: usize, out: &mut Vec<(PathBuf, String)>) {
        if dir.join("test.yaml").is_file() {
            let name = dir.strip_prefix(base).unwrap_or(dir).to_string_lossy().into_owned();
            out.push((dir.to_path_buf(), if name.is_empty() { dir.display().to_string() } else { name }));
            return;
        }
        if depth == 0 {
            return;
        }
        let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect())
            .unwrap_or_default();
        subdirs.sort();
        for d in subdirs {
            walk(&d, base, depth - 1, out);
        }
    }
    let base = root.parent().unwrap_or(Path::new(""));
    walk(root, base, 4, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_requirements() {
        assert_eq!(requirement_unmet(&json!({"min-version": 9})), None);
        assert_eq!(requirement_unmet(&json!({"min-version": "7.0.7"})), None);
        assert!(requirement_unmet(&json!({"lt-version": 8})).is_some());
        assert!(requirement_unmet(&json!({"lt-version": "8.0.6"})).is_some());
        assert_eq!(requirement_unmet(&json!({"lt-version": "8.1"})), None);
        assert!(requirement_unmet(&json!({"features": ["HAVE_LUA"]})).is_some());
        assert_eq!(requirement_unmet(&json!({"features": ["HAVE_JA3"]})), None);
    }
}
