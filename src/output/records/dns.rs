//! EVE `dns` records in Suricata 8's format (version 3: one record per
//! message, `type` request or response, `queries`, `answers`), and the
//! `dns` object alerts carry.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{end, Header};
use crate::app::dns::{self, DnsMessage, RData};
use crate::output::EveConfig;
use crate::util::json::{push_key, push_str};

/// Options of `dns` records (Suricata's `eve-log.types.dns`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnsLogConfig {
    pub enabled: bool,
    /// Log queries.
    pub requests: bool,
    /// Log answers.
    pub responses: bool,
}

impl Default for DnsLogConfig {
    fn default() -> Self {
        DnsLogConfig { enabled: true, requests: true, responses: true }
    }
}

impl DnsLogConfig {
    /// Whether a message of this kind is logged.
    pub fn logs(&self, m: &DnsMessage) -> bool {
        self.enabled && if m.is_response() { self.responses } else { self.requests }
    }
}

/// Appends `,"dns":{...}`.
pub fn write_object(out: &mut Vec<u8>, _cfg: &DnsLogConfig, m: &DnsMessage, tx_id: u64) {
    out.extend_from_slice(b",\"dns\":{\"version\":3");
    push_key(out, "type", false);
    push_str(out, if m.is_response() { "response" } else { "request" });
    let _ = write!(out, ",\"tx_id\":{},\"id\":{},\"flags\":\"{:x}\"", tx_id, m.id, m.flags);
    let bit = |n: u16| m.flags & (1 << n) != 0;
    if m.is_response() {
        out.extend_from_slice(b",\"qr\":true");
    }
    if bit(8) {
        out.extend_from_slice(b",\"rd\":true");
    }
    if m.is_response() && bit(7) {
        out.extend_from_slice(b",\"ra\":true");
    }
    let _ = write!(out, ",\"opcode\":{}", m.opcode());
    push_key(out, "rcode", false);
    push_str(out, &dns::rcode_name(m.rcode()));
    if !m.questions.is_empty() {
        out.extend_from_slice(b",\"queries\":[");
        for (i, q) in m.questions.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"rrname\":");
            push_str(out, &String::from_utf8_lossy(&q.name));
            out.extend_from_slice(b",\"rrtype\":");
            push_str(out, &dns::rrtype_name(q.rrtype));
            out.push(b'}');
        }
        out.push(b']');
    }
    if m.is_response() && !m.answers.is_empty() {
        out.extend_from_slice(b",\"answers\":[");
        for (i, a) in m.answers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"rrname\":");
            push_str(out, &String::from_utf8_lossy(&a.name));
            out.extend_from_slice(b",\"rrtype\":");
            push_str(out, &dns::rrtype_name(a.rrtype));
            let _ = write!(out, ",\"ttl\":{}", a.ttl);
            let rdata = match &a.rdata {
                RData::A(ip) => Some(std::net::Ipv4Addr::from(*ip).to_string()),
                RData::Aaaa(ip) => Some(std::net::Ipv6Addr::from(*ip).to_string()),
                RData::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
                _ => None,
            };
            if let Some(r) = rdata {
                out.extend_from_slice(b",\"rdata\":");
                push_str(out, &r);
            }
            out.push(b'}');
        }
        out.push(b']');
    }
    out.push(b'}');
}

/// One `dns` record for a message, on the packet that carried it.
pub fn write_record(
    out: &mut Vec<u8>,
    eve: &EveConfig,
    h: &Header<'_>,
    cfg: &DnsLogConfig,
    m: &DnsMessage,
    tx_id: u64,
) {
    h.write(out, eve.ipv6_compress);
    write_object(out, cfg, m, tx_id);
    end(out);
}
