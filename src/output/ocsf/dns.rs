//! EVE `dns` (version 3: one record per message; version 2: `query` and
//! `answer` records) → DNS Activity (4003).
//!
//! - activity: a request Query (1), a response Response (2);
//! - `query`: the first question (`hostname`, `type`; `opcode_id`/`opcode`,
//!   `packet_uid` the DNS id). EVE does not log the class. A name OCSF's
//!   hostname pattern refuses (`_dmarc.example.com`, the root) is kept as
//!   `unmapped.dns.rrname` instead;
//! - `answers`: each answer (`rdata`, `type`, `ttl`, `packet_uid`, and the
//!   header's AA/TC/RD/RA bits as `flag_ids`/`flags`); SOA, SRV and SSHFP
//!   data, objects in EVE, are their JSON text;
//! - `rcode_id`/`rcode` from EVE's `rcode` (`NXDOMAIN` → 3 NXDomain);
//! - `unmapped.dns`: `version`, `type`, `id`, `flags`, `rrname`, `queries`
//!   (how many questions there were; OCSF has one).

use serde_json::{json, Map, Value};

use super::*;

/// EVE `rcode` names → OCSF `rcode_id` and caption.
const RCODES: [(&str, u64, &str); 17] = [
    ("NOERROR", 0, "NoError"),
    ("FORMERR", 1, "FormError"),
    ("SERVFAIL", 2, "ServError"),
    ("NXDOMAIN", 3, "NXDomain"),
    ("NOTIMP", 4, "NotImp"),
    ("REFUSED", 5, "Refused"),
    ("YXDOMAIN", 6, "YXDomain"),
    ("YXRRSET", 7, "YXRRSet"),
    ("NXRRSET", 8, "NXRRSet"),
    ("NOTAUTH", 9, "NotAuth"),
    ("NOTZONE", 10, "NotZone"),
    ("BADVERS/BADSIG", 16, "BADSIG_VERS"),
    ("BADKEY", 17, "BADKEY"),
    ("BADTIME", 18, "BADTIME"),
    ("BADMODE", 19, "BADMODE"),
    ("BADNAME", 20, "BADNAME"),
    ("BADALG", 21, "BADALG"),
];

const OPCODES: [&str; 7] = ["Query", "Inverse Query", "Status", "Reserved", "Notify", "Update", "DSO Message"];

/// Header bits → OCSF `dns_answer` flag ids and captions.
const FLAGS: [(&str, u64, &str); 4] = [
    ("aa", 1, "Authoritative Answer"),
    ("tc", 2, "Truncated Response"),
    ("rd", 3, "Recursion Desired"),
    ("ra", 4, "Recursion Available"),
];

pub fn map(eve: &Value) -> Result<Value, String> {
    let d = eve.get("dns").filter(|d| d.is_object()).ok_or("no dns object")?;
    let time_ms = eve_time_us(eve)?.div_euclid(1000);
    let kind = get_str(d, &["type"]);
    let activity = match kind {
        Some("request" | "query") => (1, "Query"),
        Some("response" | "answer") => (2, "Response"),
        _ => (99, "Other"),
    };
    let mut m = base(OcsfClass::DnsActivity, activity, 1, time_ms, eve);
    let (src, dst) = endpoints(eve)?;
    m.insert("src_endpoint".into(), src);
    m.insert("dst_endpoint".into(), dst);
    m.insert("connection_info".into(), connection_info(eve));
    put_opt(&mut m, "app_name", get_str(eve, &["app_proto"]).map(text));

    let id = get_u64(d, &["id"]);
    let queries = d.get("queries").and_then(Value::as_array);
    // Version 3: `queries`; version 2: `rrname`/`rrtype` in the object.
    let q = queries.and_then(|q| q.first()).unwrap_or(d);
    let rrname = get_str(q, &["rrname"]);
    let name = rrname.map(|n| n.strip_suffix('.').unwrap_or(n)).filter(|n| is_hostname(n));
    if let Some(name) = name {
        let mut query = Map::new();
        query.insert("hostname".into(), json!(name));
        put_opt(&mut query, "type", get_str(q, &["rrtype"]).map(text));
        if let Some(op) = get_u64(d, &["opcode"]) {
            let known = usize::try_from(op).ok().and_then(|i| OPCODES.get(i));
            if let Some(caption) = known {
                query.insert("opcode_id".into(), json!(op));
                query.insert("opcode".into(), json!(caption));
            }
        }
        put_opt(&mut query, "packet_uid", id.map(|v| json!(v)));
        m.insert("query".into(), Value::Object(query));
    }

    let flags: Vec<(u64, &str)> = FLAGS
        .iter()
        .filter(|(k, _, _)| d.get(*k).and_then(Value::as_bool) == Some(true))
        .map(|&(_, i, n)| (i, n))
        .collect();
    let answers: Vec<Value> = d
        .get("answers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| answer(a, id, &flags))
        .collect();
    put(&mut m, "answers", Value::Array(answers));

    if let Some(rc) = get_str(d, &["rcode"]) {
        match RCODES.iter().find(|(n, _, _)| *n == rc) {
            Some(&(_, id, caption)) => {
                m.insert("rcode_id".into(), json!(id));
                m.insert("rcode".into(), json!(caption));
            }
            None => {
                m.insert("rcode_id".into(), json!(99));
                m.insert("rcode".into(), text(rc));
            }
        }
    }

    let mut extra = Map::new();
    put_opt(&mut extra, "version", get_u64(d, &["version"]).map(|v| json!(v)));
    put_opt(&mut extra, "type", kind.map(text));
    put_opt(&mut extra, "id", id.map(|v| json!(v)));
    put_opt(&mut extra, "flags", get_str(d, &["flags"]).map(text));
    put_opt(&mut extra, "rrname", rrname.filter(|_| name.is_none()).map(text));
    put_opt(&mut extra, "queries", queries.map(|q| json!(q.len())));
    put(&mut m, "unmapped", unmapped(eve, Some(("dns", extra))));
    Ok(Value::Object(m))
}

/// One `dns_answer`, if the EVE answer has data.
fn answer(a: &Value, id: Option<u64>, flags: &[(u64, &str)]) -> Option<Value> {
    let rdata = match a.get("rdata") {
        Some(Value::String(s)) => text(s),
        _ => ["soa", "srv", "sshfp"].iter().find_map(|k| a.get(*k)).map(|o| text(&o.to_string()))?,
    };
    let mut m = Map::new();
    m.insert("rdata".into(), rdata);
    put_opt(&mut m, "type", get_str(a, &["rrtype"]).map(text));
    put_opt(&mut m, "ttl", get_u64(a, &["ttl"]).map(|v| json!(v)));
    put_opt(&mut m, "packet_uid", id.map(|v| json!(v)));
    put(&mut m, "flag_ids", Value::Array(flags.iter().map(|f| json!(f.0)).collect()));
    put(&mut m, "flags", Value::Array(flags.iter().map(|f| json!(f.1)).collect()));
    Some(Value::Object(m))
}
