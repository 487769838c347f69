//! DNS application-layer parser (UDP datagrams and TCP streams), with
//! Suricata's semantics for what detection sees.
//!
//! - [`parse_message`] parses one message (a UDP payload, or one TCP message
//!   without its 2-byte length prefix) into a [`DnsMessage`].
//! - [`DnsTcp`] frames a TCP connection's two byte streams into messages.
//! - [`probe`] is the protocol-detection check.
//!
//! Names are rendered as Suricata's `dns.query` buffer: the raw label bytes
//! joined by `.`, no trailing dot, the root name empty. Nothing is escaped
//! or case folded: a `.` inside a label or a non-printable byte appears as
//! is (Suricata's `dns_parse_name` does the same), so `content:"google.com"`
//! matches exactly what Suricata would match.
//!
//! Everything is bounded: names (1025 bytes kept, 255 label/pointer steps,
//! both Suricata's limits), records per message ([`DnsConfig::max_records`]),
//! TXT strings and EDNS options per record, TCP buffering (one message, at
//! most 65535 bytes).
//! Violations are counted in [`DnsStats`] and never panic.

mod message;
mod tcp;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

pub use message::{
    parse_message_with_stats, MAX_MESSAGE_LEN, MAX_NAME_LEN, MAX_NAME_STEPS, MAX_OPT_OPTIONS, MAX_TXT_STRINGS,
};
pub use tcp::DnsTcp;

/// DNS header length; shorter input is not a DNS message.
pub const HEADER_LEN: usize = 12;

/// DNS parser settings (`app-layer.dns` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnsConfig {
    /// Records (questions + answers + authorities + additionals) parsed per
    /// message; the rest is skipped and counted in
    /// [`DnsStats::records_over_limit`]. Bounds work and memory on hostile
    /// counts: a 64 KiB message can otherwise hold thousands of records.
    pub max_records: usize,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig { max_records: 256 }
    }
}

/// One entry of the question section.
#[derive(Debug, Clone, Default)]
pub struct Question {
    pub name: Vec<u8>,
    /// The name was cut at [`MAX_NAME_LEN`] bytes or [`MAX_NAME_STEPS`]
    /// steps (EVE `rrname_truncated`).
    pub name_truncated: bool,
    pub rrtype: u16,
    pub rrclass: u16,
}

/// One resource record (answer, authority or additional section).
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub name: Vec<u8>,
    pub name_truncated: bool,
    pub rrtype: u16,
    pub rrclass: u16,
    pub ttl: u32,
    pub rdata: RData,
}

/// A name inside record data, rendered like every other name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Name {
    pub bytes: Vec<u8>,
    /// Cut, as [`Question::name_truncated`] (EVE `rdata_truncated`...).
    pub truncated: bool,
}

/// SOA record data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Soa {
    pub mname: Name,
    pub rname: Name,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
}

/// One EDNS option of an OPT record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptEntry {
    pub code: u16,
    pub data: Vec<u8>,
}

/// Decoded record data, for the types Suricata decodes (its `DNSRData`);
/// the others keep their raw bytes.
#[derive(Debug, Clone)]
pub enum RData {
    /// 4 address bytes: an A record, or an AAAA record of 4 bytes
    /// (Suricata renders addresses by their length, not their type).
    A([u8; 4]),
    /// 16 address bytes (an AAAA record, or an A record of 16 bytes).
    Aaaa([u8; 16]),
    /// An A or AAAA record of any other length (rendered empty).
    BadAddr,
    /// NS, CNAME, PTR target, MX exchange (the preference is not kept, as
    /// in Suricata). Empty data is the root name.
    Name(Name),
    /// TXT character-strings, in order (at most [`MAX_TXT_STRINGS`]).
    Txt(Vec<Vec<u8>>),
    /// NULL record data as sent.
    Null(Vec<u8>),
    Soa(Box<Soa>),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Name,
    },
    Sshfp {
        algo: u8,
        fp_type: u8,
        fingerprint: Vec<u8>,
    },
    /// EDNS options (at most [`MAX_OPT_OPTIONS`]); empty for the usual OPT
    /// record without options.
    Opt(Vec<OptEntry>),
    /// Raw data of every other type.
    Other(Vec<u8>),
}

impl Default for RData {
    fn default() -> Self {
        RData::Other(Vec::new())
    }
}

/// One parsed DNS message.
#[derive(Debug, Clone, Default)]
pub struct DnsMessage {
    pub id: u16,
    /// Raw header flags (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    pub flags: u16,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    pub additionals: Vec<Record>,
    /// Parsing stopped at [`DnsConfig::max_records`]; what was parsed
    /// before that point is kept.
    pub truncated_parse: bool,
    /// The authority section did not parse: it and the additional section
    /// were dropped, as Suricata does (its `invalid_authorities` event).
    pub invalid_authorities: bool,
    /// The additional section did not parse and was dropped
    /// (`invalid_additionals`).
    pub invalid_additionals: bool,
    /// The message went client to server (set by the session that
    /// received it: a response may travel either way, as may a query).
    pub to_server: bool,
}

impl DnsMessage {
    /// QR bit.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }

    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }

    /// The 4-bit header rcode (no EDNS extension), as Suricata's `dns.rcode`.
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }
}

/// Why a message is not a transaction. Malformed authority or additional
/// sections are not an error: they are dropped (and flagged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("DNS message shorter than its 12-byte header")]
    TooShort,
    #[error("DNS message longer than 65535 bytes")]
    TooLong,
    /// The question or answer section does not parse (cut short, bad
    /// label, bad pointer, record data that does not decode): Suricata
    /// rejects such a message, and so do we.
    #[error("DNS question or answer section malformed")]
    Malformed,
}

/// Parses one DNS message (a UDP payload, or one TCP-framed message without
/// its length prefix). See [`parse_message_with_stats`] to count anomalies.
pub fn parse_message(cfg: &DnsConfig, data: &[u8]) -> Result<DnsMessage, DnsError> {
    parse_message_with_stats(cfg, data, &mut DnsStats::default())
}

/// Quick plausibility check for protocol detection on a UDP payload or the
/// start of a TCP stream (`tcp` = with the 2-byte length prefix).
///
/// Suricata's checks: at least a header (plus the prefix on TCP), an
/// assigned opcode (< 7), section counts that fit the message length (two
/// bytes per record at least), and, when the whole message is present, a
/// body without structural errors (bad label type, pointer out of the
/// message). A message cut short by the end of the data only gets the
/// header checks, as the rest may be in later segments.
pub fn probe(data: &[u8], tcp: bool) -> bool {
    let (msg, dlen) = if tcp {
        match data {
            [hi, lo, rest @ ..] => (rest, usize::from(u16::from_be_bytes([*hi, *lo]))),
            _ => return false,
        }
    } else {
        (data, data.len())
    };
    let msg = msg.get(..dlen).unwrap_or(msg);
    let field = |i: usize| message::be16(msg, 2 * i);
    let (Some(flags), Some(qd), Some(an), Some(ns), Some(ar)) = (field(1), field(2), field(3), field(4), field(5))
    else {
        return false;
    };
    if (flags >> 11) & 0xf >= 7 {
        return false;
    }
    let records = [qd, an, ns, ar].into_iter().map(usize::from).sum::<usize>();
    if 2 * records + HEADER_LEN > dlen {
        return false;
    }
    if msg.len() < dlen {
        return true;
    }
    message::body_is_well_formed(msg)
}

/// Suricata's name for an rrtype (EVE `rrtype`, rust/src/dns/log.rs
/// `dns_rrtype_string`), the decimal number for unnamed types. Suricata's
/// spellings: the upper-case names of its record type enumeration (Suricata
/// 7 spelled MD, NSAP-PTR and CDNSKEY "ND", "NSAPPT" and "CDSNKEY").
pub fn rrtype_name(t: u16) -> Cow<'static, str> {
    let s = match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAPPTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDNSKEY",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return Cow::Owned(t.to_string()),
    };
    Cow::Borrowed(s)
}

/// Suricata's name for an rcode (EVE `rcode`, `dns_rcode_string`), the
/// decimal number otherwise. Suricata masks the header flags to 4 bits
/// before naming; here the value is taken as given, so the extended
/// (EDNS/TSIG) codes 16-22 get their names too.
pub fn rcode_name(r: u8) -> Cow<'static, str> {
    let s = match r {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS/BADSIG",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        _ => return Cow::Owned(r.to_string()),
    };
    Cow::Borrowed(s)
}

/// Parser counters. Message-level counters count messages; name-level ones
/// count names (a message can add several).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DnsStats {
    /// Messages parsed (returned `Ok`, complete or with `truncated_parse`).
    pub messages: u64,
    /// Messages rejected (`Err`), or whose authority or additional section
    /// was dropped as malformed.
    pub malformed: u64,
    /// Messages whose records were cut at `max_records`.
    pub records_over_limit: u64,
    /// Names longer than 255 octets in wire form (RFC 1035); the kept
    /// rendering is cut at [`MAX_NAME_LEN`] bytes.
    pub names_too_long: u64,
    /// Names cut after [`MAX_NAME_STEPS`] labels and pointers (what a
    /// pointer loop comes to).
    pub pointer_loops: u64,
    /// Label length bytes with the reserved top bits 01/10 (a "label longer
    /// than 63").
    pub bad_labels: u64,
    /// Compression pointers past the end of the message.
    pub bad_pointers: u64,
    /// TXT records with more than [`MAX_TXT_STRINGS`] strings (the rest
    /// is dropped).
    pub txt_over_limit: u64,
    /// OPT records with more than [`MAX_OPT_OPTIONS`] options (the rest is
    /// dropped).
    pub opt_over_limit: u64,
    /// Messages longer than 65535 bytes (`DnsError::TooLong`).
    pub oversized: u64,
    /// TCP: length prefixes of 0 (skipped, as Suricata does).
    pub tcp_empty_messages: u64,
    /// TCP: gaps reported.
    pub tcp_gaps: u64,
    /// TCP: partial messages dropped because of a gap.
    pub tcp_gap_dropped: u64,
    /// TCP: bytes discarded while looking for a message start after a gap
    /// that made the framing unknown.
    pub tcp_resync_bytes: u64,
    /// TCP: times the framing was recovered after such a gap.
    pub tcp_resyncs: u64,
}
