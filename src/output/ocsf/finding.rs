//! EVE `alert` → Detection Finding (2004), activity Create (1).
//!
//! - `finding_info`: `uid` `<gid>:<sid>:<rev>:<flow_id>:<time µs>` (unique
//!   per alert, stable across a replay), `title` the signature, `types`
//!   `[category]`, `analytic` the rule (`uid` the signature id, `name`
//!   the signature, `version` the revision, `category`, type Rule),
//!   `created_time` the alert's time;
//! - `severity_id` from the rule's priority (EVE `alert.severity`): 1 High,
//!   2 Medium, 3 Low, anything else Informational;
//! - `status` New; `message` the signature;
//! - `evidences`: one, with the endpoints and `connection_info`
//!   (Detection Finding 1.1.0 has no endpoints of its own);
//! - `unmapped.alert`: `gid`, `signature_id`, `rev`, `action` (allowed or
//!   blocked), `category`.

use serde_json::{json, Map, Value};

use super::*;

pub fn map(eve: &Value) -> Result<Value, String> {
    let a = eve.get("alert").filter(|a| a.is_object()).ok_or("no alert object")?;
    let us = eve_time_us(eve)?;
    let time_ms = us.div_euclid(1000);
    let severity = severity_of_priority(get_u64(a, &["severity"]));
    let mut m = base(OcsfClass::DetectionFinding, (1, "Create"), severity, time_ms, eve);
    let sid = get_u64(a, &["signature_id"]);
    let gid = get_u64(a, &["gid"]);
    let rev = get_u64(a, &["rev"]);
    let signature = get_str(a, &["signature"]).unwrap_or("");
    let category = get_str(a, &["category"]).filter(|c| !c.is_empty());

    let mut info = Map::new();
    let uid = format!(
        "{}:{}:{}:{}:{us}",
        gid.unwrap_or(1),
        sid.unwrap_or(0),
        rev.unwrap_or(0),
        get_u64(eve, &["flow_id"]).unwrap_or(0)
    );
    info.insert("uid".into(), json!(uid));
    info.insert("title".into(), text(signature));
    put_opt(&mut info, "types", category.map(|c| json!([text(c)])));
    info.insert("created_time".into(), json!(time_ms));
    let mut analytic = Map::new();
    put_opt(&mut analytic, "uid", sid.map(|s| json!(s.to_string())));
    analytic.insert("name".into(), text(signature));
    analytic.insert("type_id".into(), json!(1));
    analytic.insert("type".into(), json!("Rule"));
    put_opt(&mut analytic, "version", rev.map(|r| json!(r.to_string())));
    put_opt(&mut analytic, "category", category.map(text));
    info.insert("analytic".into(), Value::Object(analytic));
    m.insert("finding_info".into(), Value::Object(info));
    m.insert("status_id".into(), json!(1));
    m.insert("status".into(), json!("New"));
    put(&mut m, "message", text(signature));

    let mut evidence = Map::new();
    put_opt(&mut evidence, "src_endpoint", endpoint(eve, "src_ip", "src_port"));
    put_opt(&mut evidence, "dst_endpoint", endpoint(eve, "dest_ip", "dest_port"));
    evidence.insert("connection_info".into(), connection_info(eve));
    m.insert("evidences".into(), json!([evidence]));

    let mut extra = Map::new();
    put_opt(&mut extra, "gid", gid.map(|v| json!(v)));
    put_opt(&mut extra, "signature_id", sid.map(|v| json!(v)));
    put_opt(&mut extra, "rev", rev.map(|v| json!(v)));
    put_opt(&mut extra, "action", get_str(a, &["action"]).map(text));
    put_opt(&mut extra, "category", category.map(text));
    put_opt(&mut extra, "severity", get_u64(a, &["severity"]).map(|v| json!(v)));
    put(&mut m, "unmapped", unmapped(eve, Some(("alert", extra))));
    Ok(Value::Object(m))
}
