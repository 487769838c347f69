//! EVE `http` (one transaction) → HTTP Activity (4002).
//!
//! - activity from the method: Connect 1, Delete 2, Get 3, Head 4,
//!   Options 5, Post 6, Put 7, Trace 8, another method Other (99), none
//!   logged Unknown (0);
//! - `http_request`: `http_method` (OCSF 1.1.0 allows only those eight;
//!   another is kept as `unmapped.http.http_method`), `url` (`url_string`
//!   `http://host[:port]/uri`, `hostname`, `port`, `path`, `query_string`,
//!   `scheme`), `user_agent`, `referrer`, `version` (`HTTP/1.1`),
//!   `x_forwarded_for` (the addresses of `xff`);
//! - `http_response`: `code` (0 when no response was seen or its status was
//!   not a number: OCSF requires one), `content_type`, `length`;
//! - `unmapped.http`: a `hostname` OCSF's pattern refuses, `status_string`,
//!   `redirect`, `xff` as logged.

use serde_json::{json, Map, Value};

use super::*;

const METHODS: [(&str, u64, &str); 8] = [
    ("CONNECT", 1, "Connect"),
    ("DELETE", 2, "Delete"),
    ("GET", 3, "Get"),
    ("HEAD", 4, "Head"),
    ("OPTIONS", 5, "Options"),
    ("POST", 6, "Post"),
    ("PUT", 7, "Put"),
    ("TRACE", 8, "Trace"),
];

pub fn map(eve: &Value) -> Result<Value, String> {
    let h = eve.get("http").filter(|h| h.is_object()).ok_or("no http object")?;
    let time_ms = eve_time_us(eve)?.div_euclid(1000);
    let method = get_str(h, &["http_method"]);
    let known = method.and_then(|m| METHODS.iter().find(|(n, _, _)| *n == m));
    let activity = match (method, known) {
        (_, Some(&(_, id, name))) => (id, name),
        (Some(_), None) => (99, "Other"),
        (None, _) => (0, "Unknown"),
    };
    let mut m = base(OcsfClass::HttpActivity, activity, 1, time_ms, eve);
    let (src, dst) = endpoints(eve)?;
    m.insert("src_endpoint".into(), src);
    m.insert("dst_endpoint".into(), dst);
    m.insert("connection_info".into(), connection_info(eve));
    put_opt(&mut m, "app_name", get_str(eve, &["app_proto"]).map(text));

    let host = get_str(h, &["hostname"]);
    let good_host = host.filter(|h| is_hostname(h));
    let port = get_u64(h, &["http_port"]).filter(|&p| p <= 65_535);
    let mut req = Map::new();
    put_opt(&mut req, "http_method", known.map(|(n, _, _)| json!(n)));
    put_opt(&mut req, "url", get_str(h, &["url"]).map(|uri| url(uri, host, good_host, port)));
    put_opt(&mut req, "user_agent", get_str(h, &["http_user_agent"]).map(text));
    put_opt(&mut req, "referrer", get_str(h, &["http_refer"]).map(text));
    put_opt(&mut req, "version", get_str(h, &["protocol"]).map(text));
    let xff: Vec<Value> =
        get_str(h, &["xff"]).into_iter().flat_map(|x| x.split(',')).filter_map(ip).map(Value::String).collect();
    put(&mut req, "x_forwarded_for", Value::Array(xff));
    m.insert("http_request".into(), Value::Object(req));

    let mut resp = Map::new();
    resp.insert("code".into(), json!(get_u64(h, &["status"]).unwrap_or(0)));
    put_opt(&mut resp, "content_type", get_str(h, &["http_content_type"]).map(text));
    put_opt(&mut resp, "length", get_u64(h, &["length"]).map(|v| json!(v)));
    m.insert("http_response".into(), Value::Object(resp));

    let mut extra = Map::new();
    put_opt(&mut extra, "hostname", host.filter(|_| good_host.is_none()).map(text));
    put_opt(&mut extra, "http_method", method.filter(|_| known.is_none()).map(text));
    for k in ["status_string", "redirect", "xff"] {
        put_opt(&mut extra, k, get_str(h, &[k]).map(text));
    }
    put(&mut m, "unmapped", unmapped(eve, Some(("http", extra))));
    Ok(Value::Object(m))
}

/// The request's `url` object. `url_string` is absolute: the URI as logged
/// when it already is, else `http://` + the Host header's name (and port
/// when not 80) + the URI.
fn url(uri: &str, host: Option<&str>, good_host: Option<&str>, port: Option<u64>) -> Value {
    let mut u = Map::new();
    let absolute = uri.starts_with("http://") || uri.starts_with("https://");
    let s = match host {
        Some(h) if !absolute && !h.is_empty() => match port.filter(|&p| p != 80) {
            Some(p) => format!("http://{h}:{p}{uri}"),
            None => format!("http://{h}{uri}"),
        },
        _ => uri.to_string(),
    };
    u.insert("url_string".into(), Value::String(s));
    if !absolute {
        u.insert("scheme".into(), json!("http"));
        let (path, query) = match uri.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (uri, None),
        };
        put(&mut u, "path", text(path));
        put_opt(&mut u, "query_string", query.filter(|q| !q.is_empty()).map(text));
    }
    put_opt(&mut u, "hostname", good_host.map(|h| json!(h)));
    put_opt(&mut u, "port", port.map(|p| json!(p)));
    Value::Object(u)
}
