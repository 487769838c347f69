//! EVE `flow` (a whole flow, both directions) and `netflow` (one
//! direction) → Network Activity (4001), activity Traffic (6), as VPC Flow
//! Logs are in Security Lake.
//!
//! - `time` the flow's end (`flow.end`/`netflow.end`, else `timestamp`),
//!   `start_time`, `end_time`, `duration` (ms);
//! - `traffic`: `bytes_out`/`packets_out` from source to destination
//!   (`bytes_toserver`), `bytes_in`/`packets_in` back, `bytes`/`packets`
//!   both; a netflow record has its one direction as `_out`;
//! - `app_name` the EVE `app_proto`;
//! - `connection_info` with the TCP flags seen both ways;
//! - `unmapped.flow`: `state`, `reason`, `alerted`, `age`, `bypass`,
//!   `action`, `tcp_state` (flows), `min_ttl`, `max_ttl` (netflow).

use serde_json::{json, Map, Value};

use super::*;

pub fn map(eve: &Value) -> Result<Value, String> {
    let netflow = get_str(eve, &["event_type"]) == Some("netflow");
    let obj = if netflow { "netflow" } else { "flow" };
    let f = eve.get(obj).filter(|f| f.is_object()).ok_or_else(|| format!("no {obj} object"))?;
    let ts = eve_time_us(eve)?;
    let start = get_str(f, &["start"]).and_then(parse_eve_time).unwrap_or(ts);
    let end = get_str(f, &["end"]).and_then(parse_eve_time).unwrap_or(start);
    let (start_ms, end_ms) = (start.div_euclid(1000), end.div_euclid(1000));
    let mut m = base(OcsfClass::NetworkActivity, (6, "Traffic"), 1, end_ms, eve);
    m.insert("start_time".into(), json!(start_ms));
    m.insert("end_time".into(), json!(end_ms));
    m.insert("duration".into(), json!(end_ms.saturating_sub(start_ms).max(0)));
    let (src, dst) = endpoints(eve)?;
    m.insert("src_endpoint".into(), src);
    m.insert("dst_endpoint".into(), dst);
    m.insert("connection_info".into(), connection_info(eve));
    put_opt(&mut m, "app_name", get_str(eve, &["app_proto"]).map(text));

    let mut t = Map::new();
    let n = |k: &str| get_u64(f, &[k]);
    if netflow {
        put_opt(&mut t, "bytes_out", n("bytes").map(|v| json!(v)));
        put_opt(&mut t, "packets_out", n("pkts").map(|v| json!(v)));
        put_opt(&mut t, "bytes", n("bytes").map(|v| json!(v)));
        put_opt(&mut t, "packets", n("pkts").map(|v| json!(v)));
    } else {
        let (bo, bi, po, pi) = (n("bytes_toserver"), n("bytes_toclient"), n("pkts_toserver"), n("pkts_toclient"));
        put_opt(&mut t, "bytes_out", bo.map(|v| json!(v)));
        put_opt(&mut t, "bytes_in", bi.map(|v| json!(v)));
        put_opt(&mut t, "packets_out", po.map(|v| json!(v)));
        put_opt(&mut t, "packets_in", pi.map(|v| json!(v)));
        if let (Some(a), Some(b)) = (bo, bi) {
            t.insert("bytes".into(), json!(a.saturating_add(b)));
        }
        if let (Some(a), Some(b)) = (po, pi) {
            t.insert("packets".into(), json!(a.saturating_add(b)));
        }
    }
    put(&mut m, "traffic", Value::Object(t));

    let mut extra = Map::new();
    for k in ["state", "reason", "bypass", "action"] {
        put_opt(&mut extra, k, get_str(f, &[k]).map(text));
    }
    put_opt(&mut extra, "alerted", f.get("alerted").and_then(Value::as_bool).map(|b| json!(b)));
    for k in ["age", "min_ttl", "max_ttl"] {
        put_opt(&mut extra, k, n(k).map(|v| json!(v)));
    }
    put_opt(&mut extra, "tcp_state", get_str(eve, &["tcp", "state"]).map(text));
    put(&mut m, "unmapped", unmapped(eve, Some(("flow", extra))));
    Ok(Value::Object(m))
}
