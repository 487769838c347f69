//! suricata-verify `filter` checks over EVE lines.
//!
//! A check counts the EVE records that match every key of `match` and
//! compares with `count`. Keys are dotted paths (`alert.signature_id`,
//! `tunnel.dest_port`, `smtp.rcpt_to[0]`, `packet.__len`) with suffix
//! operators `__contains`, `__find`, `__startswith`, `__endswith`, `__gt`,
//! `__gte`, `__lt`, `__lte`, `__len`, and the `has-key` / `not-has-key`
//! presence tests. Values compare like Python's `==` (1 == 1.0 == true).

use serde_json::Value;

/// Finds the value at a dotted path.
pub fn find_value<'v>(path: &str, obj: &'v Value) -> Option<FoundValue<'v>> {
    let mut cur = obj;
    for part in path.split('.') {
        if part == "__len" {
            return Some(FoundValue::Len(match cur {
                Value::String(s) => s.chars().count() as i64,
                Value::Array(a) => a.len() as i64,
                Value::Object(o) => o.len() as i64,
                _ => -1,
            }));
        }
        let (name, index) = match part.strip_suffix(']').and_then(|p| p.rsplit_once('[')) {
            Some((n, i)) => (n, Some(i.parse::<usize>().ok()?)),
            None => (part, None),
        };
        cur = cur.as_object()?.get(name)?;
        if let Some(i) = index {
            cur = cur.as_array()?.get(i)?;
        }
    }
    Some(FoundValue::Ref(cur))
}

pub enum FoundValue<'v> {
    Ref(&'v Value),
    Len(i64),
}

impl FoundValue<'_> {
    pub fn to_value(&self) -> Value {
        match self {
            FoundValue::Ref(v) => (*v).clone(),
            FoundValue::Len(n) => Value::from(*n),
        }
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Python-style equality between an expected (YAML) and an actual (JSON) value.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_) | Value::Bool(_), Value::Number(_) | Value::Bool(_)) => {
            // Exact for integers; f64 for the rest.
            match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => as_f64(a) == as_f64(b),
            }
        }
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        (Value::Null, Value::Null) => true,
        _ => false,
    }
}

fn compare(actual: &Value, expected: &Value, op: &str) -> bool {
    match (as_f64(actual), as_f64(expected)) {
        (Some(a), Some(e)) => match op {
            "gt" => a > e,
            "gte" => a >= e,
            "lt" => a < e,
            _ => a <= e,
        },
        _ => false,
    }
}

/// Whether one EVE record matches every key.
pub fn record_matches(record: &Value, keys: &serde_json::Map<String, Value>) -> bool {
    keys.iter().all(|(key, expected)| {
        if key == "has-key" || key == "not-has-key" {
            let path = expected.as_str().unwrap_or("");
            let present = find_value(path, record).is_some_and(|v| !matches!(v, FoundValue::Ref(Value::Null)));
            return present == (key == "has-key");
        }
        for op in ["contains", "find", "startswith", "endswith", "gt", "gte", "lt", "lte", "len"] {
            let suffix = format!("__{op}");
            // `a.__len` is a path step (handled by find_value), `a__len` an operator.
            let Some(path) = key.strip_suffix(&suffix).filter(|p| !p.ends_with('.')) else { continue };
            let Some(found) = find_value(path, record) else { return false };
            let actual = found.to_value();
            return match op {
                "contains" => match (&actual, expected) {
                    (Value::Array(a), e) => a.iter().any(|x| py_eq(e, x)),
                    (Value::String(s), Value::String(e)) => s.contains(e.as_str()),
                    (Value::Object(o), Value::String(e)) => o.contains_key(e),
                    _ => false,
                },
                "find" | "startswith" | "endswith" => match (&actual, expected.as_str()) {
                    (Value::String(s), Some(e)) => match op {
                        "find" => s.contains(e),
                        "startswith" => s.starts_with(e),
                        _ => s.ends_with(e),
                    },
                    _ => false,
                },
                "len" => {
                    let n = match &actual {
                        Value::String(s) => s.chars().count(),
                        Value::Array(a) => a.len(),
                        Value::Object(o) => o.len(),
                        _ => return false,
                    };
                    py_eq(expected, &Value::from(n))
                }
                _ => compare(&actual, expected, op),
            };
        }
        match find_value(key, record) {
            Some(found) => py_eq(expected, &found.to_value()),
            // Like Python's `None == None`: a missing key equals null.
            None => expected.is_null(),
        }
    })
}

/// Counts the records matching `keys`.
pub fn count_matches(records: &[Value], keys: &serde_json::Map<String, Value>) -> usize {
    records.iter().filter(|r| record_matches(r, keys)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn paths_and_operators() {
        let r = json!({"event_type":"alert","alert":{"signature_id":3,"metadata":{"tag":["a","b"]}},
                       "packet":"YWJj","flow":{"pkts_toserver":4},"x":[{"y":1}],"stream":0});
        assert!(record_matches(&r, &keys(json!({"event_type":"alert","alert.signature_id":3}))));
        assert!(record_matches(&r, &keys(json!({"alert.signature_id":3.0}))));
        assert!(!record_matches(&r, &keys(json!({"alert.signature_id":"3"}))));
        assert!(record_matches(&r, &keys(json!({"packet.__len":4}))));
        assert!(record_matches(&r, &keys(json!({"x[0].y":1}))));
        assert!(!record_matches(&r, &keys(json!({"x[1].y":1}))));
        assert!(record_matches(&r, &keys(json!({"alert.metadata.tag__contains":"b"}))));
        assert!(record_matches(&r, &keys(json!({"packet__startswith":"YW","packet__find":"WJ"}))));
        assert!(record_matches(&r, &keys(json!({"flow.pkts_toserver__gt":3,"flow.pkts_toserver__lte":4}))));
        assert!(record_matches(&r, &keys(json!({"has-key":"alert.metadata","not-has-key":"tunnel"}))));
        assert!(!record_matches(&r, &keys(json!({"has-key":"tunnel"}))));
        assert!(record_matches(&r, &keys(json!({"stream":false}))), "Python: False == 0");
        assert!(record_matches(&r, &keys(json!({"missing":null}))));
        assert!(!record_matches(&r, &keys(json!({"missing":1}))));
    }

    #[test]
    fn counting() {
        let rs = vec![json!({"a":1}), json!({"a":2}), json!({"a":1})];
        assert_eq!(count_matches(&rs, &keys(json!({"a":1}))), 2);
        assert_eq!(count_matches(&rs, &keys(json!({}))), 3);
    }
}
