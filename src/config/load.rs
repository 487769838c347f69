//! Reading a configuration document: YAML or TOML text becomes one
//! `serde_yaml::Value` tree, which is merged over the defaults, patched by
//! `--set` and only then deserialized. Deserializing the merged tree (not
//! each file on its own) is what lets a file name a single key and keep
//! every other default; tracking the path during that one deserialization
//! is what lets every error name the full key (`engine.workers`), since the
//! merged tree has no line numbers to point at.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_yaml::Value;

/// The syntax of a configuration file, chosen by its extension: `.toml` is
/// TOML, anything else YAML (the historical format, so `.conf` or no
/// extension keep working).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
}

impl Format {
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("toml") => Format::Toml,
            _ => Format::Yaml,
        }
    }
}

/// Parses a document into a YAML value tree. Syntax errors carry the line
/// (and column) where the parser gives one.
pub fn parse(text: &str, format: Format) -> Result<Value, String> {
    match format {
        Format::Yaml => serde_yaml::from_str(text).map_err(|e| e.to_string()),
        Format::Toml => {
            let doc: toml::Value = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
            Ok(toml_to_yaml(doc))
        }
    }
}

/// toml's own `Display` is a multi-line snippet; one line in the style of
/// serde_yaml's messages reads better after `file: `.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end();
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("TOML syntax error at line {line} column {column}: {message}")
        }
        None => format!("TOML syntax error: {message}"),
    }
}

/// Converts by hand rather than through serde so a TOML datetime becomes
/// its text instead of toml's private marker struct.
fn toml_to_yaml(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::Number(i.into()),
        toml::Value::Float(f) => Value::Number(f.into()),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Sequence(a.into_iter().map(toml_to_yaml).collect()),
        toml::Value::Table(t) => {
            Value::Mapping(t.into_iter().map(|(k, v)| (Value::String(k), toml_to_yaml(v))).collect())
        }
    }
}

/// Deep-merges `over` into `base` (mappings merge, anything else replaces).
pub fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Applies `a.b.c=value`: the value is parsed as YAML (so `true`, `4789`,
/// `[4789, 8472]` work); the path must exist unless it names a map entry
/// (e.g. `vars.address_groups.HOME_NET`).
pub fn apply_set(root: &mut Value, assignment: &str) -> Result<(), String> {
    let (path, raw) = assignment.split_once('=').ok_or_else(|| "expected KEY=VALUE".to_string())?;
    let value: Value = serde_yaml::from_str(raw).map_err(|e| e.to_string())?;
    let parts: Vec<&str> = path.trim().split('.').collect();
    let mut node = root;
    for (i, part) in parts.iter().enumerate() {
        let key = Value::String(part.to_string());
        let Value::Mapping(map) = node else {
            return Err(format!("\"{}\" is not a section", parts[..i].join(".")));
        };
        if i + 1 == parts.len() {
            map.insert(key, value);
            return Ok(());
        }
        if !map.contains_key(&key) {
            return Err(format!("unknown key \"{}\"", parts[..=i].join(".")));
        }
        node = map.get_mut(&key).ok_or_else(|| "internal".to_string())?;
    }
    Err("empty key".into())
}

/// Deserializes the merged tree; the error names the key path where it
/// went wrong.
pub fn deserialize<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        describe(&path, &e.into_inner().to_string())
    })
}

/// `path: message`, with serde's unknown-field message reworded so the
/// full key is quoted once and the alternatives read as a plain list:
/// `unknown key "engine.wrokers" (expected one of: workers, batch_packets)`.
fn describe(path: &str, message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let expected = rest.split_once("`, ").map_or("", |(_, e)| e).replace('`', "");
        let expected = match expected.strip_prefix("expected one of ") {
            Some(list) => format!("expected one of: {list}"),
            None => expected,
        };
        return if expected.is_empty() {
            format!("unknown key \"{path}\"")
        } else {
            format!("unknown key \"{path}\" ({expected})")
        };
    }
    if path == "." || path.is_empty() {
        message.to_string()
    } else {
        format!("{path}: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_messages_are_reworded() {
        let m = describe("engine.wrokers", "unknown field `wrokers`, expected one of `workers`, `batch_packets`");
        assert_eq!(m, "unknown key \"engine.wrokers\" (expected one of: workers, batch_packets)");
        let m = describe("a.b", "unknown field `b`, expected `c` or `d`");
        assert_eq!(m, "unknown key \"a.b\" (expected c or d)");
        assert_eq!(describe("x", "unknown field `x`, there are no fields"), "unknown key \"x\" (there are no fields)");
        assert_eq!(describe(".", "invalid type"), "invalid type");
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::of(Path::new("a/b.TOML")), Format::Toml);
        assert_eq!(Format::of(Path::new("a/b.yml")), Format::Yaml);
        assert_eq!(Format::of(Path::new("mirrorids.conf")), Format::Yaml);
        assert_eq!(Format::of(Path::new("noext")), Format::Yaml);
    }

    #[test]
    fn toml_syntax_errors_give_the_line() {
        let e = parse("[engine]\nworkers = = 4\n", Format::Toml).unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }

    #[test]
    fn toml_values_convert() {
        let v = parse("a = 1\nb = 1.5\nc = true\nd = [\"x\"]\ne = 1979-05-27\n[t]\nk = \"v\"\n", Format::Toml).unwrap();
        let y: Value = serde_yaml::from_str("{a: 1, b: 1.5, c: true, d: [x], e: '1979-05-27', t: {k: v}}").unwrap();
        assert_eq!(v, y);
    }
}
