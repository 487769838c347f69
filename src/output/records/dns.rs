//! EVE `dns` records and the `dns` object alerts carry, as Suricata 8
//! writes them (rust/src/dns/log.rs, src/output-json-dns.c):
//!
//! - version 3, the default: one record per message, `type` request or
//!   response, the header (`id`, `flags` and its bits, `opcode`, `rcode`),
//!   `queries`, `answers` (`detailed` format) and/or `grouped` (answers by
//!   type), `authorities`, `additionals` (EDNS OPT records with options);
//! - version 2, Suricata 7's format, still honoured by Suricata 8: one
//!   `query` record per question, one `answer` record per response with the
//!   first question's `rrname`/`rrtype` at the top level.
//!
//! Record data is rendered as Suricata renders it: addresses by their length
//! (IPv6 in full, `2001:0db8:0000:...`), names and TXT strings through
//! [`push_bytes_str`], SOA, SRV and SSHFP as objects, OPT as `{code, data}`
//! with the data in hex, one `answers` entry per TXT string.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{end, push_bool, push_u64, Header};
use crate::app::dns::{self, DnsMessage, Name, RData, Record};
use crate::output::EveConfig;
use crate::util::json::{push_bytes_str, push_key, push_str};

/// Options of `dns` records (Suricata's `eve-log.types.dns`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnsLogConfig {
    pub enabled: bool,
    /// Record format: 3 (Suricata 8's) or 2 (Suricata 7's). Unset means 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<DnsVersion>,
    /// Log requests (version 2: queries).
    pub requests: bool,
    /// Log responses (version 2: answers).
    pub responses: bool,
    /// How answers are shown: `detailed` (one `answers` entry per record)
    /// and/or `grouped` (`grouped`: the data by record type).
    pub formats: Vec<DnsFormat>,
    /// Only messages whose questions have these types (`a`, `aaaa`,
    /// `cname`..., Suricata's names) are logged, and only those questions;
    /// unset: all. As in Suricata, once any option here differs from its
    /// default, questions of types Suricata has no name for are left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<RrtypeName>>,
}

/// A record type as `types:` names it (one of Suricata's names, any case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RrtypeName(String);

impl TryFrom<String> for RrtypeName {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if is_type_name(&s) {
            Ok(RrtypeName(s))
        } else {
            Err(format!("dns type {s:?}: not a record type Suricata names (a, aaaa, cname, mx, ...)"))
        }
    }
}

impl From<RrtypeName> for String {
    fn from(n: RrtypeName) -> String {
        n.0
    }
}

impl Default for DnsLogConfig {
    fn default() -> Self {
        DnsLogConfig {
            enabled: true,
            version: None,
            requests: true,
            responses: true,
            formats: vec![DnsFormat::Detailed, DnsFormat::Grouped],
            types: None,
        }
    }
}

/// The `dns` record format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum DnsVersion {
    V2,
    V3,
}

impl TryFrom<u8> for DnsVersion {
    type Error = String;

    fn try_from(v: u8) -> Result<Self, String> {
        match v {
            2 => Ok(DnsVersion::V2),
            3 => Ok(DnsVersion::V3),
            _ => Err(format!("dns version {v}: 2 or 3")),
        }
    }
}

impl From<DnsVersion> for u8 {
    fn from(v: DnsVersion) -> u8 {
        match v {
            DnsVersion::V2 => 2,
            DnsVersion::V3 => 3,
        }
    }
}

/// An answer format (`formats:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsFormat {
    Detailed,
    Grouped,
}

/// Suricata's configuration names of record types, in its flag-bit order
/// (bit 2 + index; HTTPS has bit 62).
const TYPE_NAMES: [(&str, u16); 59] = [
    ("a", 1),
    ("ns", 2),
    ("md", 3),
    ("mf", 4),
    ("cname", 5),
    ("soa", 6),
    ("mb", 7),
    ("mg", 8),
    ("mr", 9),
    ("null", 10),
    ("wks", 11),
    ("ptr", 12),
    ("hinfo", 13),
    ("minfo", 14),
    ("mx", 15),
    ("txt", 16),
    ("rp", 17),
    ("afsdb", 18),
    ("x25", 19),
    ("isdn", 20),
    ("rt", 21),
    ("nsap", 22),
    ("nsapptr", 23),
    ("sig", 24),
    ("key", 25),
    ("px", 26),
    ("gpos", 27),
    ("aaaa", 28),
    ("loc", 29),
    ("nxt", 30),
    ("srv", 33),
    ("atma", 34),
    ("naptr", 35),
    ("kx", 36),
    ("cert", 37),
    ("a6", 38),
    ("dname", 39),
    ("opt", 41),
    ("apl", 42),
    ("ds", 43),
    ("sshfp", 44),
    ("ipseckey", 45),
    ("rrsig", 46),
    ("nsec", 47),
    ("dnskey", 48),
    ("dhcid", 49),
    ("nsec3", 50),
    ("nsec3param", 51),
    ("tlsa", 52),
    ("hip", 55),
    ("cds", 59),
    ("cdnskey", 60),
    ("spf", 99),
    ("tkey", 249),
    ("tsig", 250),
    ("maila", 254),
    ("any", 255),
    ("uri", 256),
    ("https", 65),
];

const REQUESTS: u64 = 1;
const RESPONSES: u64 = 1 << 1;
const GROUPED: u64 = 1 << 60;
const DETAILED: u64 = 1 << 61;

/// The flag bit of a record type Suricata names.
fn type_bit(rrtype: u16) -> Option<u64> {
    let i = TYPE_NAMES.iter().position(|&(_, t)| t == rrtype)?;
    Some(if rrtype == 65 { 1 << 62 } else { 1 << (2 + i) })
}

/// Whether `name` is a record type `types:` accepts.
pub fn is_type_name(name: &str) -> bool {
    TYPE_NAMES.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// Suricata's flag word for a configuration: what is logged, and which
/// record types. Kept as that one word because Suricata's type filter
/// depends on it as a whole: all types pass only while every bit is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flags(u64);

impl Flags {
    fn of(cfg: &DnsLogConfig) -> Flags {
        let mut f = !0u64;
        if !cfg.requests {
            f &= !REQUESTS;
        }
        if !cfg.responses {
            f &= !RESPONSES;
        }
        if let Some(types) = &cfg.types {
            for (i, &(_, t)) in TYPE_NAMES.iter().enumerate() {
                let bit = type_bit(t).unwrap_or(1 << (2 + i));
                if !types.iter().any(|n| n.0.eq_ignore_ascii_case(TYPE_NAMES[i].0)) {
                    f &= !bit;
                }
            }
        }
        // Formats only matter when responses are logged; an empty list
        // keeps the default, as in Suricata.
        if cfg.responses && !cfg.formats.is_empty() {
            if !cfg.formats.contains(&DnsFormat::Detailed) {
                f &= !DETAILED;
            }
            if !cfg.formats.contains(&DnsFormat::Grouped) {
                f &= !GROUPED;
            }
        }
        Flags(f)
    }

    /// What alerts show: every record type Suricata names, details only.
    const ALERT: Flags = Flags(!GROUPED);

    fn has(self, bit: u64) -> bool {
        self.0 & bit != 0
    }

    fn type_enabled(self, rrtype: u16) -> bool {
        self.0 == !0 || type_bit(rrtype).is_some_and(|b| self.has(b))
    }

    /// Some question has a logged type (Suricata's `SCDnsLogEnabled`): a
    /// message without questions never is.
    fn any_question(self, m: &DnsMessage) -> bool {
        m.questions.iter().any(|q| self.type_enabled(q.rrtype))
    }
}

impl DnsLogConfig {
    pub fn version(&self) -> DnsVersion {
        self.version.unwrap_or(DnsVersion::V3)
    }

    /// Whether a version 3 record (or a version 2 answer) is written for
    /// this message.
    pub fn logs(&self, m: &DnsMessage) -> bool {
        let f = Flags::of(self);
        let kind = if m.is_response() { RESPONSES } else { REQUESTS };
        self.enabled && f.has(kind) && f.any_question(m)
    }

    /// How many version 2 `query` records a request gives: one per
    /// question, up to the first whose type is not logged (where Suricata's
    /// loop stops).
    pub fn v2_queries(&self, m: &DnsMessage) -> usize {
        let f = Flags::of(self);
        if !self.enabled || !f.has(REQUESTS) || m.is_response() {
            return 0;
        }
        m.questions.iter().take_while(|q| f.type_enabled(q.rrtype)).count()
    }
}

/// Appends `,"dns":{...}` in version 3.
fn write_v3(out: &mut Vec<u8>, f: Flags, m: &DnsMessage, tx_id: u64) {
    out.extend_from_slice(b",\"dns\":{\"version\":3");
    push_key(out, "type", false);
    push_str(out, if m.is_response() { "response" } else { "request" });
    push_u64(out, "tx_id", tx_id);
    push_u64(out, "id", u64::from(m.id));
    write_flags(out, m);
    push_u64(out, "opcode", u64::from(m.opcode()));
    push_key(out, "rcode", false);
    push_str(out, &dns::rcode_name(m.rcode()));
    let list = open_list(out, "queries");
    let mut first = true;
    for q in m.questions.iter().filter(|q| f.type_enabled(q.rrtype)) {
        comma(out, &mut first);
        out.extend_from_slice(b"{\"rrname\":");
        push_bytes_str(out, &q.name);
        push_key(out, "rrtype", false);
        push_str(out, &dns::rrtype_name(q.rrtype));
        if q.name_truncated {
            push_bool(out, "rrname_truncated", true);
        }
        out.push(b'}');
    }
    close_list(out, list, first);
    write_answers(out, f, m);
    write_other_sections(out, m);
    out.push(b'}');
}

/// Starts `,"key":[`; returns where, for [`close_list`].
fn open_list(out: &mut Vec<u8>, key: &str) -> usize {
    let at = out.len();
    push_key(out, key, false);
    out.push(b'[');
    at
}

/// Ends a list, or takes it back if nothing went in (`empty`): the schema
/// wants at least one item where Suricata writes `[]`.
fn close_list(out: &mut Vec<u8>, at: usize, empty: bool) {
    if empty {
        out.truncate(at);
    } else {
        out.push(b']');
    }
}

/// `flags` in hex, then the bits Suricata names.
fn write_flags(out: &mut Vec<u8>, m: &DnsMessage) {
    out.extend_from_slice(b",\"flags\":\"");
    crate::util::json::push_hex(out, u64::from(m.flags), 1);
    out.push(b'"');
    for (bit, key) in [(0x8000, "qr"), (0x0400, "aa"), (0x0200, "tc"), (0x0100, "rd"), (0x0080, "ra"), (0x0040, "z")] {
        if m.flags & bit != 0 {
            push_bool(out, key, true);
        }
    }
}

/// `answers` (detailed) and `grouped`, when there are answers.
fn write_answers(out: &mut Vec<u8>, f: Flags, m: &DnsMessage) {
    if m.answers.is_empty() {
        return;
    }
    if f.has(DETAILED) {
        write_details(out, Section::Answers, m.answers.iter());
    }
    if f.has(GROUPED) {
        write_grouped(out, &m.answers);
    }
}

/// `authorities`, and `additionals` without the OPT records that have no
/// options (the usual EDNS one).
fn write_other_sections(out: &mut Vec<u8>, m: &DnsMessage) {
    write_details(out, Section::Authorities, m.authorities.iter());
    let empty_opt = |r: &&Record| matches!(&r.rdata, RData::Opt(o) if o.is_empty());
    write_details(out, Section::Additionals, m.additionals.iter().filter(|r| !empty_opt(r)));
}

/// Where records are listed. Suricata writes the same keys in each, but
/// its schema allows some only in one section: the truncation flags in
/// authorities, OPT data in additionals, SRV and SSHFP data in answers,
/// SOA data in answers and authorities. We leave out what the schema does
/// not allow there (a deliberate difference: every record validates; no
/// capture of the corpora has such records).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Answers,
    Authorities,
    Additionals,
}

impl Section {
    fn key(self) -> &'static str {
        match self {
            Section::Answers => "answers",
            Section::Authorities => "authorities",
            Section::Additionals => "additionals",
        }
    }

    fn allows(self, rdata: &RData) -> bool {
        match rdata {
            RData::Soa(_) => self != Section::Additionals,
            RData::Srv { .. } | RData::Sshfp { .. } => self == Section::Answers,
            RData::Opt(o) => self == Section::Additionals && !o.is_empty(),
            _ => true,
        }
    }

    fn flags_truncation(self) -> bool {
        self == Section::Authorities
    }
}

/// A section's records in detail: one entry per record, or one per string
/// of a TXT record (none for a TXT record without strings), as Suricata
/// lists them; no key when that leaves nothing.
fn write_details<'a>(out: &mut Vec<u8>, section: Section, records: impl Iterator<Item = &'a Record>) {
    let list = open_list(out, section.key());
    let mut first = true;
    for r in records {
        match &r.rdata {
            RData::Txt(strings) => {
                for s in strings {
                    write_detail(out, section, r, Some(s), &mut first);
                }
            }
            _ => write_detail(out, section, r, None, &mut first),
        }
    }
    close_list(out, list, first);
}

fn write_detail(out: &mut Vec<u8>, section: Section, r: &Record, txt: Option<&[u8]>, first: &mut bool) {
    comma(out, first);
    out.extend_from_slice(b"{\"rrname\":");
    push_bytes_str(out, &r.name);
    if r.name_truncated && section.flags_truncation() {
        push_bool(out, "rrname_truncated", true);
    }
    push_key(out, "rrtype", false);
    push_str(out, &dns::rrtype_name(r.rrtype));
    push_u64(out, "ttl", u64::from(r.ttl));
    match &r.rdata {
        RData::A(_) | RData::Aaaa(_) | RData::BadAddr | RData::Null(_) => {
            push_key(out, "rdata", false);
            write_scalar(out, &r.rdata);
        }
        RData::Name(n) => {
            push_key(out, "rdata", false);
            push_bytes_str(out, &n.bytes);
            if n.truncated && section.flags_truncation() {
                push_bool(out, "rdata_truncated", true);
            }
        }
        RData::Txt(_) => {
            push_key(out, "rdata", false);
            push_bytes_str(out, txt.unwrap_or_default());
        }
        RData::Soa(_) | RData::Srv { .. } | RData::Sshfp { .. } if section.allows(&r.rdata) => {
            let key = match r.rdata {
                RData::Soa(_) => "soa",
                RData::Srv { .. } => "srv",
                _ => "sshfp",
            };
            push_key(out, key, false);
            write_structured(out, &r.rdata);
        }
        RData::Opt(opts) if section.allows(&r.rdata) => {
            out.extend_from_slice(b",\"opt\":[");
            for (i, o) in opts.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{{\"code\":{},\"data\":\"", o.code);
                for b in &o.data {
                    let _ = write!(out, "{b:02x}");
                }
                out.extend_from_slice(b"\"}");
            }
            out.push(b']');
        }
        _ => {}
    }
    out.push(b'}');
}

/// The string form of address, name and NULL data.
fn write_scalar(out: &mut Vec<u8>, rdata: &RData) {
    match rdata {
        RData::A(a) => {
            crate::util::json::push_ipv4_str(out, [a[0], a[1], a[2], a[3]]);
        }
        RData::Aaaa(a) => {
            // Suricata writes every group in full: 2001:0db8:0000:...
            out.push(b'"');
            for (i, pair) in a.chunks_exact(2).enumerate() {
                if i > 0 {
                    out.push(b':');
                }
                let _ = write!(out, "{:02x}{:02x}", pair[0], pair[1]);
            }
            out.push(b'"');
        }
        RData::Name(n) => push_bytes_str(out, &n.bytes),
        RData::Null(b) => push_bytes_str(out, b),
        _ => out.extend_from_slice(b"\"\""),
    }
}

/// SOA, SRV and SSHFP data as objects.
fn write_structured(out: &mut Vec<u8>, rdata: &RData) {
    // The schema has `mname_truncated` but no `rname_truncated`.
    let name = |out: &mut Vec<u8>, key: &str, flag: Option<&str>, n: &Name| {
        push_key(out, key, key == "mname");
        push_bytes_str(out, &n.bytes);
        if let Some(flag) = flag.filter(|_| n.truncated) {
            push_bool(out, flag, true);
        }
    };
    out.push(b'{');
    match rdata {
        RData::Soa(s) => {
            name(out, "mname", Some("mname_truncated"), &s.mname);
            name(out, "rname", None, &s.rname);
            for (k, v) in [
                ("serial", s.serial),
                ("refresh", s.refresh),
                ("retry", s.retry),
                ("expire", s.expire),
                ("minimum", s.minimum),
            ] {
                push_u64(out, k, u64::from(v));
            }
        }
        RData::Srv { priority, weight, port, target } => {
            let _ = write!(out, "\"priority\":{priority},\"weight\":{weight},\"port\":{port}");
            push_key(out, "name", false);
            push_bytes_str(out, &target.bytes);
        }
        RData::Sshfp { algo, fp_type, fingerprint } => {
            out.extend_from_slice(b"\"fingerprint\":\"");
            for (i, b) in fingerprint.iter().enumerate() {
                if i > 0 {
                    out.push(b':');
                }
                let _ = write!(out, "{b:02x}");
            }
            let _ = write!(out, "\",\"algo\":{algo},\"type\":{fp_type}");
        }
        _ => {}
    }
    out.push(b'}');
}

/// A comma before every array item but the first.
fn comma(out: &mut Vec<u8>, first: &mut bool) {
    if !*first {
        out.push(b',');
    }
    *first = false;
}

/// Whether Suricata's `grouped` lists this data.
fn groupable(rdata: &RData) -> bool {
    !matches!(rdata, RData::Opt(_) | RData::Other(_))
}

/// `grouped`: the data of the answers by record type. Suricata fills a
/// hash map, so its key order varies from run to run; here it is the order
/// of first appearance. Types with nothing to show give no key.
fn write_grouped(out: &mut Vec<u8>, answers: &[Record]) {
    let mut types: Vec<u16> = Vec::new();
    for a in answers.iter().filter(|a| groupable(&a.rdata)) {
        if !types.contains(&a.rrtype) {
            types.push(a.rrtype);
        }
    }
    out.extend_from_slice(b",\"grouped\":{");
    let mut first_key = true;
    for &t in &types {
        let at = out.len();
        push_key(out, &dns::rrtype_name(t), first_key);
        out.push(b'[');
        let mut first = true;
        for a in answers.iter().filter(|a| a.rrtype == t && groupable(&a.rdata)) {
            match &a.rdata {
                RData::Txt(strings) => {
                    for s in strings {
                        comma(out, &mut first);
                        push_bytes_str(out, s);
                    }
                }
                RData::Soa(_) | RData::Srv { .. } | RData::Sshfp { .. } => {
                    comma(out, &mut first);
                    write_structured(out, &a.rdata);
                }
                other => {
                    comma(out, &mut first);
                    write_scalar(out, other);
                }
            }
        }
        // A TXT record without strings leaves its list empty: no key then.
        if first {
            out.truncate(at);
        } else {
            out.push(b']');
            first_key = false;
        }
    }
    out.push(b'}');
}

/// Appends the `dns` object an alert carries: version 3, every record type,
/// answers in detail (Suricata's `AlertJsonDns`).
pub fn write_alert_object(out: &mut Vec<u8>, m: &DnsMessage, tx_id: u64) {
    write_v3(out, Flags::ALERT, m, tx_id);
}

/// One version 3 `dns` record for a message (check [`DnsLogConfig::logs`]
/// first). The header goes the way the message went.
pub fn write_record(
    out: &mut Vec<u8>,
    eve: &EveConfig,
    h: &Header<'_>,
    cfg: &DnsLogConfig,
    m: &DnsMessage,
    tx_id: u64,
) {
    h.write(out, eve);
    write_v3(out, Flags::of(cfg), m, tx_id);
    end(out);
}

/// Version 2 `query` record for question `i` of a request (see
/// [`DnsLogConfig::v2_queries`]). Version 2 headers go client to server.
pub fn write_v2_query(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, m: &DnsMessage, tx_id: u64, i: usize) {
    h.write(out, eve);
    v2_query_object(out, m, tx_id, i);
    end(out);
}

fn v2_query_object(out: &mut Vec<u8>, m: &DnsMessage, tx_id: u64, i: usize) {
    let Some(q) = m.questions.get(i) else { return };
    out.extend_from_slice(b",\"dns\":{\"version\":2,\"type\":\"query\"");
    push_u64(out, "id", u64::from(m.id));
    // Suricata adds `rrname_truncated` here, which the schema does not
    // allow at this level (see `Section`).
    push_key(out, "rrname", false);
    push_bytes_str(out, &q.name);
    push_key(out, "rrtype", false);
    push_str(out, &dns::rrtype_name(q.rrtype));
    push_u64(out, "tx_id", tx_id);
    if m.flags & 0x0040 != 0 {
        push_bool(out, "z", true);
    }
    push_u64(out, "opcode", u64::from(m.opcode()));
    out.push(b'}');
}

/// Version 2 `answer` record of a response (check [`DnsLogConfig::logs`]).
pub fn write_v2_answer(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, cfg: &DnsLogConfig, m: &DnsMessage) {
    h.write(out, eve);
    v2_answer_object(out, Flags::of(cfg), m);
    end(out);
}

fn v2_answer_object(out: &mut Vec<u8>, f: Flags, m: &DnsMessage) {
    out.extend_from_slice(b",\"dns\":{\"version\":2,\"type\":\"answer\"");
    push_u64(out, "id", u64::from(m.id));
    write_flags(out, m);
    push_u64(out, "opcode", u64::from(m.opcode()));
    if let Some(q) = m.questions.first() {
        push_key(out, "rrname", false);
        push_bytes_str(out, &q.name);
        push_key(out, "rrtype", false);
        push_str(out, &dns::rrtype_name(q.rrtype));
    }
    push_key(out, "rcode", false);
    push_str(out, &dns::rcode_name(m.rcode()));
    write_answers(out, f, m);
    write_other_sections(out, m);
    out.push(b'}');
}

#[cfg(test)]
mod tests;
