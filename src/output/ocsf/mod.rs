//! EVE JSON → OCSF 1.1.0 (the version AWS Security Lake's custom sources
//! take): one EVE line in, one OCSF event out, or the reason there is none.
//!
//! | EVE `event_type` | OCSF class | file |
//! | --- | --- | --- |
//! | `alert` | Detection Finding (2004) | [`finding`] |
//! | `flow`, `netflow` | Network Activity (4001) | [`network`] |
//! | `http` | HTTP Activity (4002) | [`http`] |
//! | `dns` | DNS Activity (4003) | [`dns`] |
//!
//! Every other record type (tls, ssh, fileinfo, anomaly, stats...) is
//! [`Skip::Unmapped`]; a line that is not a JSON object with what its class
//! requires (a parseable `timestamp`, endpoints) is [`Skip::Malformed`]. The
//! `ocsf` sink counts both (`unmapped`), nothing is dropped silently.
//!
//! What this module writes is a fixed set of fields per class: [`schema`]
//! declares each as an Arrow schema, the one every Parquet file of the class
//! has, and a test holds the two together. What OCSF 1.1.0 has no attribute
//! for (mirror context, Suricata's gid, flow state...) goes under `unmapped`,
//! with fixed names and types too. Strings longer than OCSF's 65535
//! characters are cut; values that OCSF constrains (IP addresses, host
//! names, HTTP methods) are written where OCSF wants them only when they
//! fit its pattern, else kept under `unmapped`.
//!
//! The input is our own output but is treated as untrusted: nothing here
//! panics on any bytes (`fuzz/fuzz_targets/ocsf.rs`).

pub mod dns;
pub mod finding;
pub mod http;
pub mod network;
pub mod schema;

use std::net::IpAddr;

use serde_json::{json, Map, Value};

/// The OCSF version written in `metadata.version`.
pub const OCSF_VERSION: &str = "1.1.0";
/// The longest string OCSF 1.1.0 allows (`maxLength` of its string types).
pub const MAX_STRING: usize = 65_535;

/// The OCSF classes records are mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OcsfClass {
    DetectionFinding,
    NetworkActivity,
    HttpActivity,
    DnsActivity,
}

impl OcsfClass {
    pub const ALL: [OcsfClass; 4] =
        [OcsfClass::DetectionFinding, OcsfClass::NetworkActivity, OcsfClass::HttpActivity, OcsfClass::DnsActivity];

    pub fn uid(self) -> u64 {
        match self {
            OcsfClass::DetectionFinding => 2004,
            OcsfClass::NetworkActivity => 4001,
            OcsfClass::HttpActivity => 4002,
            OcsfClass::DnsActivity => 4003,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OcsfClass::DetectionFinding => "Detection Finding",
            OcsfClass::NetworkActivity => "Network Activity",
            OcsfClass::HttpActivity => "HTTP Activity",
            OcsfClass::DnsActivity => "DNS Activity",
        }
    }

    /// `category_uid` and `category_name`.
    pub fn category(self) -> (u64, &'static str) {
        match self {
            OcsfClass::DetectionFinding => (2, "Findings"),
            _ => (4, "Network Activity"),
        }
    }

    /// The Security Lake custom source name used unless configured.
    pub fn default_source(self) -> &'static str {
        match self {
            OcsfClass::DetectionFinding => "mirrorids-detection-finding",
            OcsfClass::NetworkActivity => "mirrorids-network-activity",
            OcsfClass::HttpActivity => "mirrorids-http-activity",
            OcsfClass::DnsActivity => "mirrorids-dns-activity",
        }
    }

    /// The class of an EVE `event_type`, if it is mapped.
    pub fn of_event_type(t: &str) -> Option<OcsfClass> {
        Some(match t {
            "alert" => OcsfClass::DetectionFinding,
            "flow" | "netflow" => OcsfClass::NetworkActivity,
            "http" => OcsfClass::HttpActivity,
            "dns" => OcsfClass::DnsActivity,
            _ => return None,
        })
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The EVE record types that have an OCSF class.
pub const MAPPED_TYPES: [&str; 5] = ["alert", "flow", "netflow", "http", "dns"];

/// One OCSF event.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub class: OcsfClass,
    /// `time`, ms since the epoch (Security Lake's `eventDay` comes from it).
    pub time_ms: i64,
    pub event: Value,
}

/// Why a line gave no OCSF event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// A record type with no OCSF class here (its `event_type`).
    Unmapped(String),
    /// Not an EVE record this module can read: what is wrong.
    Malformed(String),
}

/// Maps one EVE JSON line (a trailing newline is fine).
pub fn transform(line: &[u8]) -> Result<Mapped, Skip> {
    let eve: Value = serde_json::from_slice(line).map_err(|e| Skip::Malformed(format!("not JSON: {e}")))?;
    transform_value(&eve)
}

/// Maps one parsed EVE record.
pub fn transform_value(eve: &Value) -> Result<Mapped, Skip> {
    if !eve.is_object() {
        return Err(Skip::Malformed("not a JSON object".into()));
    }
    let t = eve.get("event_type").and_then(Value::as_str).ok_or_else(|| Skip::Malformed("no event_type".into()))?;
    let class = OcsfClass::of_event_type(t).ok_or_else(|| Skip::Unmapped(t.to_string()))?;
    let event = match class {
        OcsfClass::DetectionFinding => finding::map(eve),
        OcsfClass::NetworkActivity => network::map(eve),
        OcsfClass::HttpActivity => http::map(eve),
        OcsfClass::DnsActivity => dns::map(eve),
    }
    .map_err(Skip::Malformed)?;
    let time_ms = event.get("time").and_then(Value::as_i64).unwrap_or(0);
    Ok(Mapped { class, time_ms, event })
}

/// OCSF `severity_id` captions.
pub fn severity_name(id: u64) -> &'static str {
    match id {
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        5 => "Critical",
        6 => "Fatal",
        99 => "Other",
        _ => "Unknown",
    }
}

/// A Suricata priority (EVE `alert.severity`) as an OCSF `severity_id`:
/// 1 High (4), 2 Medium (3), 3 Low (2), anything else Informational (1).
pub fn severity_of_priority(priority: Option<u64>) -> u64 {
    match priority {
        Some(1) => 4,
        Some(2) => 3,
        Some(3) => 2,
        _ => 1,
    }
}

/// EVE's `2024-04-01T12:00:00.123456+0000` as µs since the epoch.
pub use crate::util::time::parse_eve_micros as parse_eve_time;

/// A string as OCSF takes it: at most [`MAX_STRING`] characters.
pub fn text(s: &str) -> Value {
    match s.char_indices().nth(MAX_STRING) {
        Some((cut, _)) => Value::String(s[..cut].to_string()),
        None => Value::String(s.to_string()),
    }
}

/// Whether `s` matches OCSF 1.1.0's `hostname_t` pattern (dot-separated
/// labels of letters, digits and inner hyphens; no trailing dot).
pub fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// An IP address in the form OCSF's `ip_t` pattern takes (IPv6
/// compressed), if `s` is one.
pub fn ip(s: &str) -> Option<String> {
    s.trim().parse::<IpAddr>().ok().map(|a| a.to_string())
}

/// Field access on an EVE record.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

pub fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

/// A non-negative integer that fits OCSF's (signed 64-bit) integers.
pub fn get_u64(v: &Value, path: &[&str]) -> Option<u64> {
    get(v, path).and_then(Value::as_u64).filter(|&n| i64::try_from(n).is_ok())
}

/// Inserts `v` unless it is null, an empty object or an empty array (so
/// JSON and Parquet agree on what is absent).
pub fn put(m: &mut Map<String, Value>, key: &str, v: Value) {
    let empty = match &v {
        Value::Null => true,
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    if !empty {
        m.insert(key.to_string(), v);
    }
}

/// `put` for an optional value.
pub fn put_opt(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        put(m, key, v);
    }
}

/// The fields every class has: category, class, activity, type, severity,
/// time and metadata (`log_name` the EVE `event_type`, `original_time` its
/// `timestamp`, `correlation_uid` its `flow_id`, `tenant_uid` the
/// `mirrorids.tenant`).
pub fn base(
    class: OcsfClass,
    activity: (u64, &str),
    severity_id: u64,
    time_ms: i64,
    eve: &Value,
) -> Map<String, Value> {
    let (cat_uid, cat_name) = class.category();
    let mut m = Map::new();
    m.insert("category_uid".into(), json!(cat_uid));
    m.insert("category_name".into(), json!(cat_name));
    m.insert("class_uid".into(), json!(class.uid()));
    m.insert("class_name".into(), json!(class.name()));
    m.insert("activity_id".into(), json!(activity.0));
    m.insert("activity_name".into(), json!(activity.1));
    m.insert("type_uid".into(), json!(class.uid() * 100 + activity.0));
    m.insert("type_name".into(), json!(format!("{}: {}", class.name(), activity.1)));
    m.insert("severity_id".into(), json!(severity_id));
    m.insert("severity".into(), json!(severity_name(severity_id)));
    m.insert("time".into(), json!(time_ms));
    let mut meta = Map::new();
    meta.insert("version".into(), json!(OCSF_VERSION));
    meta.insert(
        "product".into(),
        json!({"name": "mirrorids", "vendor_name": "mirrorids", "version": env!("CARGO_PKG_VERSION")}),
    );
    put_opt(&mut meta, "log_name", get_str(eve, &["event_type"]).map(text));
    put_opt(&mut meta, "original_time", get_str(eve, &["timestamp"]).map(text));
    put_opt(&mut meta, "correlation_uid", get_u64(eve, &["flow_id"]).map(|id| json!(id.to_string())));
    put_opt(&mut meta, "tenant_uid", get_str(eve, &["mirrorids", "tenant"]).map(text));
    m.insert("metadata".into(), Value::Object(meta));
    m
}

/// The record's `timestamp`, in µs, or why not.
pub fn eve_time_us(eve: &Value) -> Result<i64, String> {
    let ts = get_str(eve, &["timestamp"]).ok_or("no timestamp")?;
    parse_eve_time(ts).ok_or_else(|| format!("timestamp {ts:?} is not an EVE time"))
}

/// A `network_endpoint`: address, port, the first VLAN id.
pub fn endpoint(eve: &Value, ip_key: &str, port_key: &str) -> Option<Value> {
    let addr = ip(get_str(eve, &[ip_key])?)?;
    let mut m = Map::new();
    m.insert("ip".into(), json!(addr));
    put_opt(&mut m, "port", get_u64(eve, &[port_key]).filter(|&p| p <= 65_535).map(|p| json!(p)));
    put_opt(&mut m, "vlan_uid", first_vlan(eve).map(|v| json!(v.to_string())));
    Some(Value::Object(m))
}

fn first_vlan(eve: &Value) -> Option<&Value> {
    eve.get("vlan").and_then(Value::as_array).and_then(|a| a.first()).filter(|v| v.is_u64())
}

/// Both endpoints, or why not.
pub fn endpoints(eve: &Value) -> Result<(Value, Value), String> {
    let src = endpoint(eve, "src_ip", "src_port").ok_or("no valid src_ip")?;
    let dst = endpoint(eve, "dest_ip", "dest_port").ok_or("no valid dest_ip")?;
    Ok((src, dst))
}

/// The IANA number of an EVE `proto` (Suricata's name, or the number).
pub fn proto_num(name: &str) -> Option<u64> {
    if let Ok(n) = name.parse::<u8>() {
        return Some(u64::from(n));
    }
    (0..=255u8).find(|&p| crate::output::records::proto_name(p) == Some(name)).map(u64::from)
}

/// `connection_info`: protocol (IANA keyword and number), IP version,
/// the Community ID as `uid`, TCP flags seen (flows). The direction
/// relative to a network boundary is unknown to a sensor (`direction_id`
/// 0); EVE's `direction` (to_server/to_client) is under `unmapped`.
pub fn connection_info(eve: &Value) -> Value {
    let mut m = Map::new();
    if let Some(p) = get_str(eve, &["proto"]) {
        m.insert("protocol_name".into(), text(&p.to_ascii_lowercase()));
        put_opt(&mut m, "protocol_num", proto_num(p).map(|n| json!(n)));
    }
    let v6 = get_str(eve, &["src_ip"]).and_then(|s| s.trim().parse::<IpAddr>().ok()).map(|a| a.is_ipv6());
    if let Some(v6) = v6 {
        m.insert("protocol_ver_id".into(), json!(if v6 { 6 } else { 4 }));
        m.insert(
            "protocol_ver".into(),
            json!(if v6 { "Internet Protocol version 6 (IPv6)" } else { "Internet Protocol version 4 (IPv4)" }),
        );
    }
    m.insert("direction_id".into(), json!(0));
    m.insert("direction".into(), json!("Unknown"));
    put_opt(&mut m, "uid", get_str(eve, &["community_id"]).map(text));
    let flags = get_str(eve, &["tcp", "tcp_flags"]).and_then(|f| u64::from_str_radix(f, 16).ok());
    put_opt(&mut m, "tcp_flags", flags.map(|f| json!(f)));
    Value::Object(m)
}

/// `unmapped`: what OCSF 1.1.0 has no attribute for, with the fields
/// every class shares (the mirror context, the sensor, EVE's own ids);
/// `extra` adds the class's own object (`alert`, `flow`, `http`, `dns`).
pub fn unmapped(eve: &Value, extra: Option<(&str, Map<String, Value>)>) -> Value {
    let mut m = Map::new();
    let mut mirror = Map::new();
    if let Some(o) = eve.get("mirrorids") {
        put_opt(&mut mirror, "vni", get_u64(o, &["vni"]).map(|v| json!(v)));
        for k in
            ["tunnel_src_ip", "gwlb_endpoint_id", "gwlb_attachment_id", "gwlb_flow_cookie", "tenant", "rule_action"]
        {
            put_opt(&mut mirror, k, get_str(o, &[k]).map(text));
        }
        // Alerts say whether their packet was cut short, flows how many were.
        match o.get("truncated") {
            Some(Value::Bool(b)) => put(&mut mirror, "truncated", json!(b)),
            Some(Value::Number(_)) => {
                put_opt(&mut mirror, "truncated_packets", get_u64(o, &["truncated"]).map(|n| json!(n)))
            }
            _ => {}
        }
    }
    put(&mut m, "mirrorids", Value::Object(mirror));
    for k in ["host", "in_iface", "direction", "app_proto"] {
        put_opt(&mut m, k, get_str(eve, &[k]).map(text));
    }
    for k in ["pcap_cnt", "tx_id", "parent_id", "icmp_type", "icmp_code", "response_icmp_type", "response_icmp_code"] {
        put_opt(&mut m, k, get_u64(eve, &[k]).map(|v| json!(v)));
    }
    if let Some((k, o)) = extra {
        put(&mut m, k, Value::Object(o));
    }
    Value::Object(m)
}

#[cfg(test)]
pub(crate) mod tests;
