//! JSON dataset files (`format json` / `format ndjson`): each object whose
//! `value_key` holds a string gives one item, and the object itself is
//! kept, as compact JSON text, for the alerts of rules that match the item
//! (`alert.context.<context_key>`). Pure functions, fuzzed by
//! `fuzz/fuzz_targets/datasets.rs`.
//!
//! Objects are kept as the file wrote them (key order and number text):
//! Suricata writes them back with jansson, which keeps key order too.
//! Parsing goes through borrowed raw values so that no order is lost.

use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::file::{ip_key, Item};
use crate::rules::datasets::{DataType, SetFormat};

/// How a JSON set file is read (from the rule's options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonLayout {
    pub format: SetFormat,
    /// Dotted path of each object's value.
    pub value_key: String,
    /// `json` only: dotted path of the array in the document (else the
    /// document is the array).
    pub array_key: Option<String>,
    /// The kept object leaves out the value.
    pub remove_key: bool,
}

/// What a JSON set file yielded.
#[derive(Debug, Default)]
pub struct JsonItems {
    /// Each item with its object, in file order (duplicates included: the
    /// first one wins when the set is filled, as in Suricata).
    pub items: Vec<(Item, Arc<str>)>,
    /// Objects without a string at `value_key`, skipped (Suricata skips
    /// them too: "some entries may not be in the same format").
    pub skipped: usize,
}

/// Why a JSON set file does not load; `line` is 1-based where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonSetError {
    #[error("line {line} column {column}: invalid JSON: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("array_key '{0}' not found")]
    NoArrayKey(String),
    #[error("not a JSON array")]
    NotAnArray,
    #[error("line {line}: {message}")]
    BadValue { line: usize, message: String },
    #[error("no valid entries for key '{0}'")]
    NoEntries(String),
}

/// An object's members in file order, values unparsed.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = m.next_entry::<String, &'de RawValue>()? {
                    v.push((k, val));
                }
                Ok(Members(v))
            }
        }
        d.deserialize_map(V)
    }
}

fn members(raw: &RawValue) -> Option<Members<'_>> {
    serde_json::from_str(raw.get()).ok()
}

/// The value at a dotted path of an object (None when a step is missing
/// or not an object). A repeated key resolves to its last occurrence, as
/// jansson keeps the last.
fn at_path<'a>(raw: &'a RawValue, path: &str) -> Option<&'a RawValue> {
    let mut cur = raw;
    for step in path.split('.') {
        let m = members(cur)?;
        cur = m.0.into_iter().rev().find(|(k, _)| k == step)?.1;
    }
    Some(cur)
}

/// JSON text without the whitespace between tokens (the text is valid
/// JSON, so whitespace outside strings is insignificant).
fn push_compact(out: &mut String, text: &str) {
    let (mut in_str, mut escaped) = (false, false);
    for c in text.chars() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if !c.is_ascii_whitespace() {
            in_str = c == '"';
            out.push(c);
        }
    }
}

/// The object as kept: compact, and without the value at `remove` (a
/// dotted path) when given.
fn kept_text(raw: &RawValue, remove: Option<&str>, out: &mut String) {
    let Some(path) = remove else { return push_compact(out, raw.get()) };
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let Some(m) = members(raw) else { return push_compact(out, raw.get()) };
    out.push('{');
    let mut first = true;
    for (k, v) in &m.0 {
        if k == head && rest.is_none() {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        // A key read from JSON always serialises.
        out.push_str(&serde_json::to_string(k).unwrap_or_default());
        out.push(':');
        if k == head {
            kept_text(v, rest, out);
        } else {
            push_compact(out, v.get());
        }
    }
    out.push('}');
}

/// The item a value string stands for in a set of type `ty`: strings as
/// they are (not base64, unlike csv files), hashes in hex, addresses in
/// text.
fn item_of(ty: DataType, s: &str) -> Result<Item, String> {
    let hex = |len: usize| -> Result<Item, String> {
        if s.len() != len * 2 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{} needs {} hex digits, got \"{s}\"", ty.name(), len * 2));
        }
        (0..len)
            .map(|i| s.get(i * 2..i * 2 + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
            .collect::<Option<Vec<u8>>>()
            .map(Into::into)
            .ok_or_else(|| format!("bad {} \"{s}\"", ty.name()))
    };
    match ty {
        DataType::String => Ok(s.as_bytes().into()),
        DataType::Md5 => hex(16),
        DataType::Sha256 => hex(32),
        DataType::Ipv4 | DataType::Ip => {
            let ip: std::net::IpAddr = s.parse().map_err(|_| format!("bad IP address \"{s}\""))?;
            ip_key(ty, ip).ok_or_else(|| format!("bad {} address \"{s}\"", ty.name()))
        }
    }
}

/// One object of the file (from `line`): its item and kept text, None
/// when it has no string at `value_key`.
fn entry(
    ty: DataType,
    layout: &JsonLayout,
    raw: &RawValue,
    line: usize,
) -> Result<Option<(Item, Arc<str>)>, JsonSetError> {
    let Some(value) = at_path(raw, &layout.value_key) else { return Ok(None) };
    let Ok(s) = serde_json::from_str::<String>(value.get()) else { return Ok(None) };
    let item = item_of(ty, &s).map_err(|message| JsonSetError::BadValue { line, message })?;
    let mut text = String::with_capacity(raw.get().len());
    kept_text(raw, layout.remove_key.then_some(layout.value_key.as_str()), &mut text);
    // The object goes into alerts as is, so it must read back as JSON:
    // serde_json's raw reader lets a number beyond f64 through (4.5e3333),
    // which JSON readers (serde_json's own, jansson, with which Suricata
    // loads the file) refuse. Found by the datasets fuzz target.
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
        let message =
            format!("object not usable in an alert: {}", e.to_string().split(" at line").next().unwrap_or(""));
        return Err(JsonSetError::BadValue { line, message });
    }
    Ok(Some((item, text.into())))
}

/// serde_json's error at `line` of the file, its message without the
/// position it appends.
fn syntax(e: &serde_json::Error, line: usize) -> JsonSetError {
    let full = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&at).unwrap_or(&full).to_string();
    JsonSetError::Syntax { line, column: e.column(), message }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

/// Parses a whole JSON set file.
pub fn parse_json_file(ty: DataType, layout: &JsonLayout, bytes: &[u8]) -> Result<JsonItems, JsonSetError> {
    let text = std::str::from_utf8(bytes).map_err(|e| JsonSetError::Syntax {
        line: bytes.iter().take(e.valid_up_to()).filter(|&&b| b == b'\n').count() + 1,
        column: 0,
        message: "not UTF-8 text".into(),
    })?;
    let mut out = JsonItems::default();
    let add = |raw: &RawValue, line: usize, out: &mut JsonItems| -> Result<(), JsonSetError> {
        match entry(ty, layout, raw, line)? {
            Some(e) => out.items.push(e),
            None => out.skipped += 1,
        }
        Ok(())
    };
    match layout.format {
        SetFormat::Ndjson | SetFormat::Csv => {
            for (n, line) in text.split('\n').enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let raw: &RawValue = serde_json::from_str(line).map_err(|e| syntax(&e, n + 1))?;
                add(raw, n + 1, &mut out)?;
            }
        }
        SetFormat::Json => {
            let doc: &RawValue = serde_json::from_str(text).map_err(|e| syntax(&e, e.line()))?;
            let array = match &layout.array_key {
                Some(k) => at_path(doc, k).ok_or_else(|| JsonSetError::NoArrayKey(k.clone()))?,
                None => doc,
            };
            let elems: Vec<&RawValue> = serde_json::from_str(array.get()).map_err(|_| JsonSetError::NotAnArray)?;
            let base = text.as_ptr() as usize;
            for raw in elems {
                // The element borrows from `text`: its offset gives its line.
                let line = line_of(text, (raw.get().as_ptr() as usize).saturating_sub(base));
                add(raw, line, &mut out)?;
            }
        }
    }
    if out.items.is_empty() {
        return Err(JsonSetError::NoEntries(layout.value_key.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(format: SetFormat, array_key: Option<&str>, remove_key: bool) -> JsonLayout {
        JsonLayout { format, value_key: "uri".into(), array_key: array_key.map(Into::into), remove_key }
    }

    #[test]
    fn fuzz_crash_number_out_of_range_refused() {
        // fuzz/artifacts/datasets/crash-d2d2d28c: a number no JSON reader
        // takes back, kept verbatim in the object an alert would carry.
        let f = b"[{\"uri\": \"/a\", \"n\": [1, 4.5e3333]}]";
        let e = parse_json_file(DataType::String, &layout(SetFormat::Json, None, false), f).unwrap_err();
        assert!(matches!(e, JsonSetError::BadValue { line: 1, .. }), "{e}");
        assert!(e.to_string().contains("number out of range"), "{e}");
    }

    #[test]
    fn json_array_under_a_key_keeps_object_order() {
        let f = br#"{"time": "x", "response": {"threats": [
            {"uri": "/bad", "origin": "japan", "score": 7, "tags": ["a b", "c"]},
            {"other": 1},
            {"uri": 5},
            {"uri": "/good", "nested": {"x": 1}}
        ]}}"#;
        let got =
            parse_json_file(DataType::String, &layout(SetFormat::Json, Some("response.threats"), false), f).unwrap();
        assert_eq!(got.skipped, 2);
        assert_eq!(&*got.items[0].0, b"/bad");
        assert_eq!(&*got.items[0].1, r#"{"uri":"/bad","origin":"japan","score":7,"tags":["a b","c"]}"#);
        assert_eq!(&*got.items[1].1, r#"{"uri":"/good","nested":{"x":1}}"#);
        let rm =
            parse_json_file(DataType::String, &layout(SetFormat::Json, Some("response.threats"), true), f).unwrap();
        assert_eq!(&*rm.items[0].1, r#"{"origin":"japan","score":7,"tags":["a b","c"]}"#);
    }

    #[test]
    fn ndjson_lines_and_errors_name_the_line() {
        let l = layout(SetFormat::Ndjson, None, false);
        let got =
            parse_json_file(DataType::String, &l, b"{\"uri\": \"/a\"}\n\n{\"x\": 1}\n{\"uri\":\"/b\"}\n").unwrap();
        assert_eq!(got.items.len(), 2);
        let e = parse_json_file(DataType::String, &l, b"{\"uri\": \"/a\"}\nnot json\n").unwrap_err();
        assert!(matches!(e, JsonSetError::Syntax { line: 2, .. }), "{e}");
        let j = layout(SetFormat::Json, None, false);
        let e = parse_json_file(DataType::String, &j, b"[{\"uri\": \"/a\"},\n {\"uri\": \"/b\",}\n]").unwrap_err();
        assert!(matches!(e, JsonSetError::Syntax { line: 2, .. }), "{e}");
        assert_eq!(parse_json_file(DataType::String, &j, b"{\"uri\": \"/a\"}").unwrap_err(), JsonSetError::NotAnArray);
        assert!(matches!(parse_json_file(DataType::String, &j, b"[{\"x\": 1}]"), Err(JsonSetError::NoEntries(_))));
        let k = layout(SetFormat::Json, Some("a.b"), false);
        assert!(matches!(parse_json_file(DataType::String, &k, b"{\"a\": 1}"), Err(JsonSetError::NoArrayKey(_))));
    }

    #[test]
    fn typed_values() {
        let l = JsonLayout { format: SetFormat::Json, value_key: "v.ip".into(), array_key: None, remove_key: true };
        let got = parse_json_file(DataType::Ip, &l, br#"[{"v": {"ip": "10.0.0.1", "k": 1}, "n": 2}]"#).unwrap();
        assert_eq!(got.items[0].0.len(), 16);
        assert_eq!(&*got.items[0].1, r#"{"v":{"k":1},"n":2}"#);
        let m = JsonLayout { value_key: "h".into(), remove_key: false, ..l.clone() };
        let md5 = parse_json_file(DataType::Md5, &m, br#"[{"h": "d41d8cd98f00b204e9800998ecf8427e"}]"#).unwrap();
        assert_eq!(md5.items[0].0.len(), 16);
        let e = parse_json_file(DataType::Md5, &m, b"[{\"h\": \"abc\"}]").unwrap_err();
        assert!(matches!(e, JsonSetError::BadValue { line: 1, .. }), "{e}");
        let v4 = JsonLayout { value_key: "h".into(), ..m };
        assert!(parse_json_file(DataType::Ipv4, &v4, br#"[{"h": "::1"}]"#).is_err());
    }

    #[test]
    fn escapes_survive_compaction() {
        let l = layout(SetFormat::Json, None, false);
        let got = parse_json_file(DataType::String, &l, br#"[{"uri": "/a b\" {", "q": "x\\"}]"#).unwrap();
        assert_eq!(&*got.items[0].0, b"/a b\" {");
        assert_eq!(&*got.items[0].1, r#"{"uri":"/a b\" {","q":"x\\"}"#);
    }
}
