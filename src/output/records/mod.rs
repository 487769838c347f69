//! EVE records, one file per event type, each formatting whole lines into
//! a worker's buffer (no allocation per record in steady state): `alert`,
//! `flow` (and `netflow`), `http`, `dns`, `tls`, `ssh`, `ftp` (and
//! `ftp_data`), `stats`. This file holds
//! what every record shares: the event type names and the common header
//! (`timestamp`, `flow_id`, `pcap_cnt`, `event_type`, addresses, `proto`,
//! `pkt_src`) in Suricata 8's field order, and our extension object.

pub mod alert;
pub mod anomaly;
pub mod dns;
pub mod fileinfo;
pub mod flow;
pub mod ftp;
pub mod http;
pub mod mirror;
pub mod packet;
pub mod ssh;
pub mod stats;
pub mod tls;

use std::io::Write;
use std::net::IpAddr;

use base64::Engine as _;

use crate::flow::Flow;
use crate::output::community_id::{self, Tuple};
use crate::output::EveConfig;
use crate::util::json::{push_key, push_str};
use crate::util::Timestamp;

/// EVE `event_type`s this build writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    Alert,
    Flow,
    Netflow,
    Http,
    Dns,
    Tls,
    Ssh,
    Ftp,
    FtpData,
    Fileinfo,
    Anomaly,
    Stats,
    /// Packets a `tag` covers (written with the alert option
    /// `tagged-packets`).
    Packet,
}

impl EventType {
    pub const COUNT: usize = 13;
    pub const ALL: [EventType; EventType::COUNT] = [
        EventType::Alert,
        EventType::Flow,
        EventType::Netflow,
        EventType::Http,
        EventType::Dns,
        EventType::Tls,
        EventType::Ssh,
        EventType::Ftp,
        EventType::FtpData,
        EventType::Fileinfo,
        EventType::Anomaly,
        EventType::Stats,
        EventType::Packet,
    ];

    /// Records that add fields of their own to the `mirrorids` object,
    /// and so write it themselves rather than with the header.
    pub fn extends_mirror_object(self) -> bool {
        matches!(self, EventType::Alert | EventType::Flow | EventType::Netflow | EventType::Anomaly | EventType::Stats)
    }

    /// EVE's `event_type` value.
    pub fn name(self) -> &'static str {
        match self {
            EventType::Alert => "alert",
            EventType::Flow => "flow",
            EventType::Netflow => "netflow",
            EventType::Http => "http",
            EventType::Dns => "dns",
            EventType::Tls => "tls",
            EventType::Ssh => "ssh",
            EventType::Ftp => "ftp",
            EventType::FtpData => "ftp_data",
            EventType::Fileinfo => "fileinfo",
            EventType::Anomaly => "anomaly",
            EventType::Stats => "stats",
            EventType::Packet => "packet",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Suricata's protocol names for `proto`.
pub fn proto_name(p: u8) -> Option<&'static str> {
    Some(match p {
        0 => "HOPOPT",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IP-in-IP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        43 => "IPv6-Route",
        44 => "IPv6-Frag",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "IPv6-ICMP",
        60 => "IPv6-Opts",
        103 => "PIM",
        132 => "SCTP",
        _ => return None,
    })
}

pub fn push_proto(out: &mut Vec<u8>, p: u8) {
    match proto_name(p) {
        Some(n) => push_str(out, n),
        None => {
            let _ = write!(out, "\"{p:03}\"");
        }
    }
}

/// Suricata writes IPv6 addresses in full (eight groups of four hex
/// digits, no `::`); SIEM parsers and rules written against its output
/// expect that form.
pub fn push_ip(out: &mut Vec<u8>, a: IpAddr, compress: bool) {
    match a {
        IpAddr::V4(v4) => crate::util::json::push_ipv4_str(out, v4.octets()),
        IpAddr::V6(_) if compress => {
            let _ = write!(out, "\"{a}\"");
        }
        IpAddr::V6(v6) => {
            let g = v6.segments();
            let _ = write!(
                out,
                "\"{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}\"",
                g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
            );
        }
    }
}

#[inline]
pub fn push_u64(out: &mut Vec<u8>, key: &str, v: u64) {
    push_key(out, key, false);
    crate::util::json::push_uint(out, v);
}

#[inline]
pub fn push_bool(out: &mut Vec<u8>, key: &str, v: bool) {
    push_key(out, key, false);
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

/// `"key":"value"` after a comma, the value as (lossy) UTF-8.
#[inline]
pub fn push_field(out: &mut Vec<u8>, key: &str, v: &[u8]) {
    push_key(out, key, false);
    out.push(b'"');
    crate::util::json::push_escaped(out, v);
    out.push(b'"');
}

#[inline]
pub fn push_time(out: &mut Vec<u8>, key: &str, ts: Timestamp) {
    push_key(out, key, false);
    ts.push_eve_str(out);
}

pub fn push_mac(out: &mut Vec<u8>, m: [u8; 6]) {
    let _ = write!(out, "\"{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\"", m[0], m[1], m[2], m[3], m[4], m[5]);
}

pub fn push_base64(out: &mut Vec<u8>, data: &[u8]) {
    out.push(b'"');
    let at = out.len();
    out.resize(at + base64::encoded_len(data.len(), true).unwrap_or(0), 0);
    let n = base64::engine::general_purpose::STANDARD.encode_slice(data, &mut out[at..]).unwrap_or(0);
    out.truncate(at + n);
    out.push(b'"');
}

/// Who talks to whom, as a record's header shows it.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints {
    pub src: IpAddr,
    pub sport: u16,
    pub dst: IpAddr,
    pub dport: u16,
    pub proto: u8,
    pub ip_v: u8,
    /// TCP/UDP (ports are written).
    pub ports: bool,
}

impl Endpoints {
    /// A flow's endpoints seen in one direction: `to_server` puts the
    /// client first.
    pub fn of_flow(f: &Flow, to_server: bool) -> Endpoints {
        let (a, b) = if to_server { (f.client, f.server) } else { (f.server, f.client) };
        Endpoints {
            src: a.0,
            sport: a.1,
            dst: b.0,
            dport: b.1,
            proto: f.proto,
            ip_v: if a.0.is_ipv4() { 4 } else { 6 },
            ports: matches!(f.proto, crate::decode::IPPROTO_TCP | crate::decode::IPPROTO_UDP),
        }
    }
}

/// The start of every record: `{"timestamp":...` up to `pkt_src` (which
/// records describing a packet carry), without the closing brace.
pub struct Header<'a> {
    pub ts: Timestamp,
    pub flow_id: Option<u64>,
    /// The flow that announced this one (FTP data connections).
    pub parent_id: Option<u64>,
    /// 0: no packet of the capture (pseudo packets, live traffic).
    pub pcap_cnt: u64,
    pub event_type: EventType,
    pub vlans: &'a [u16],
    pub ep: Endpoints,
    pub icmp: Option<(u8, u8)>,
    pub pkt_src: Option<&'static str>,
    /// Flowbits set on the flow, written as `metadata.flowbits` (and
    /// `traffic`) after the header, as Suricata does for every record of
    /// a flow when its `metadata` is on.
    pub flowbits: &'a [&'a str],
    /// The flow's tuple (original direction), hashed as `community_id`
    /// when that is on; None for records without a flow, which Suricata
    /// gives none either.
    pub cid: Option<Tuple>,
    /// The mirror session the traffic came through (and its tenant),
    /// written as the `mirrorids` object; records that add fields of
    /// their own to that object write it themselves
    /// ([`EventType::extends_mirror_object`]).
    pub mirror: Option<mirror::MirrorContext>,
}

impl<'a> Header<'a> {
    /// A record about a flow in one direction, at `ts` (no packet).
    pub fn of_flow(f: &'a Flow, event_type: EventType, to_server: bool, ts: Timestamp) -> Header<'a> {
        Header {
            ts,
            flow_id: Some(f.id),
            parent_id: f.parent_id,
            pcap_cnt: 0,
            event_type,
            vlans: f.vlans(),
            ep: Endpoints::of_flow(f, to_server),
            icmp: None,
            pkt_src: None,
            flowbits: &[],
            cid: Some(Tuple::of_flow(f)),
            mirror: Some(mirror::MirrorContext::of_flow(f)),
        }
    }

    /// Writes the header; `community_id` last, after `metadata`, where
    /// Suricata's common options put it.
    pub fn write(&self, out: &mut Vec<u8>, eve: &EveConfig) {
        let ipv6_compress = eve.ipv6_compress;
        out.extend_from_slice(b"{\"timestamp\":");
        self.ts.push_eve_str(out);
        if let Some(id) = self.flow_id {
            push_u64(out, "flow_id", id);
        }
        if let Some(id) = self.parent_id {
            push_u64(out, "parent_id", id);
        }
        if self.pcap_cnt != 0 {
            push_u64(out, "pcap_cnt", self.pcap_cnt);
        }
        push_key(out, "event_type", false);
        push_str(out, self.event_type.name());
        push_vlans(out, self.vlans);
        let ep = &self.ep;
        push_key(out, "src_ip", false);
        push_ip(out, ep.src, ipv6_compress);
        if ep.ports {
            push_u64(out, "src_port", u64::from(ep.sport));
        }
        push_key(out, "dest_ip", false);
        push_ip(out, ep.dst, ipv6_compress);
        if ep.ports {
            push_u64(out, "dest_port", u64::from(ep.dport));
        }
        push_key(out, "proto", false);
        push_proto(out, ep.proto);
        push_u64(out, "ip_v", u64::from(ep.ip_v));
        if let Some((t, c)) = self.icmp {
            push_u64(out, "icmp_type", u64::from(t));
            push_u64(out, "icmp_code", u64::from(c));
        }
        if let Some(s) = self.pkt_src {
            push_key(out, "pkt_src", false);
            push_str(out, s);
        }
        if !self.flowbits.is_empty() {
            alert::write_flowbits(out, self.flowbits);
        }
        push_community_id(out, eve, self.cid.as_ref());
        if let Some(m) = self.mirror.filter(|_| !self.event_type.extends_mirror_object()) {
            mirror::write_mirror(out, eve, &m);
        }
    }
}

/// `"community_id":"1:..."` for a flow's tuple, when the option is on.
/// One SHA-1 per record, computed as the record is written: records are
/// far fewer than packets, and nothing is kept on the flow.
pub fn push_community_id(out: &mut Vec<u8>, eve: &EveConfig, t: Option<&Tuple>) {
    if let Some(t) = t.filter(|_| eve.community_id) {
        push_key(out, "community_id", false);
        out.push(b'"');
        out.extend_from_slice(&community_id::community_id(t, eve.community_id_seed));
        out.push(b'"');
    }
}

pub fn push_vlans(out: &mut Vec<u8>, vlans: &[u16]) {
    if vlans.is_empty() {
        return;
    }
    push_key(out, "vlan", false);
    out.push(b'[');
    for (i, v) in vlans.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        crate::util::json::push_uint(out, *v);
    }
    out.push(b']');
}

/// The `mirrorids` object of a record about a flow (flow, netflow): the
/// mirror context and, with `truncated`, the number of the flow's copies
/// that arrived cut.
pub fn write_flow_ext(out: &mut Vec<u8>, eve: &EveConfig, f: &Flow, truncated: bool) {
    if !eve.mirrorids {
        return;
    }
    let mut x = mirror::ExtObject::default();
    x.mirror(out, eve, &mirror::MirrorContext::of_flow(f));
    if truncated && f.truncated > 0 {
        x.u64(out, "truncated", u64::from(f.truncated));
    }
    x.close(out);
}

/// Closes a record: `}` and the newline.
pub fn end(out: &mut Vec<u8>) {
    out.extend_from_slice(b"}\n");
}

/// A transaction as EVE shows it, beside alerts and in its own record.
#[derive(Clone, Copy)]
pub enum AppObject<'a> {
    Http(&'a crate::app::http::HttpTx),
    Tls(&'a crate::app::tls::TlsInfo),
    Dns { msg: &'a crate::app::dns::DnsMessage, tx_id: u64 },
    Ssh(&'a crate::app::ssh::SshInfo),
    Ftp(&'a crate::app::ftp::FtpTx),
    FtpData(&'a crate::app::ftp::data::FtpDataConn),
}

/// Writes `,"http":{...}` (or `tls`, `dns`, `ssh`) for an alert: the object the
/// record of that type has, with its options.
pub fn write_app_object(out: &mut Vec<u8>, cfg: &crate::output::EveConfig, app: &AppObject<'_>) {
    match app {
        AppObject::Http(tx) => http::write_alert_object(out, tx, cfg.http_body, cfg.http_body_printable),
        AppObject::Tls(info) => tls::write_alert_object(out, info),
        AppObject::Dns { msg, tx_id } => dns::write_alert_object(out, msg, *tx_id),
        AppObject::Ssh(info) => ssh::write_object(out, info),
        AppObject::Ftp(tx) => ftp::write_object(out, tx),
        AppObject::FtpData(conn) => ftp::write_data_object(out, conn),
    }
}
