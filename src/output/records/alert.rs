//! EVE `alert` records with Suricata 8's field names, order and formats.
//! Our additions live under one top-level `mirrorids` object so strict EVE
//! consumers can drop a single key.

use std::io::Write;
use std::net::IpAddr;

use super::{push_base64, push_ip, push_mac, push_proto, push_u64, AppObject, Endpoints, EventType, Header};
use crate::decode::{Decoded, L4};
use crate::detect::Signature;
use crate::flow::Flow;
use crate::output::{EveConfig, XffDeployment, XffMode};
use crate::source::LinkType;
use crate::util::json::{printable_byte, push_escaped, push_key, push_str};
use crate::util::Timestamp;

/// Everything an alert line is built from.
pub struct AlertContext<'a> {
    pub ts: Timestamp,
    pub pcap_cnt: u64,
    pub frame: &'a [u8],
    pub linktype: LinkType,
    pub dec: &'a Decoded,
    pub flow: Option<&'a Flow>,
    pub to_server: bool,
    /// Bytes logged as `payload` (the packet payload, or stream data).
    pub payload: &'a [u8],
    /// The match was on reassembled stream data.
    pub stream: bool,
    pub pkt_src: &'static str,
    /// Flowbits set on the flow, by name.
    pub flowbits: &'a [&'a str],
    /// The flow's application protocol, once recognised.
    pub app_proto: Option<&'static str>,
    /// For transaction alerts: the transaction's id and what EVE shows of it.
    pub tx_id: Option<u64>,
    pub app: Option<AppObject<'a>>,
    /// The transaction of a packet rule's alert was guessed (TCP).
    pub tx_guessed: bool,
    /// `verdict.action`: `pass` when a pass rule matched the same packet
    /// or stream data, else `alert` (IDS).
    pub verdict: &'static str,
    /// JSON set objects the rule's `isset` matched (`alert.context`).
    pub set_objects: &'a [crate::detect::datasets::SetHit],
}

/// Flowbits as Suricata logs them: `traffic/id/X` and `traffic/label/X`
/// in the `traffic` object, the others in `metadata.flowbits`.
pub fn write_flowbits(out: &mut Vec<u8>, bits: &[&str]) {
    let plain: Vec<&str> =
        bits.iter().copied().filter(|n| !n.starts_with("traffic/id/") && !n.starts_with("traffic/label/")).collect();
    if !plain.is_empty() {
        out.extend_from_slice(b",\"metadata\":{");
        push_str_list(out, "flowbits", &plain, true);
        out.push(b'}');
    }
    let ids: Vec<&str> = bits.iter().filter_map(|n| n.strip_prefix("traffic/id/")).collect();
    let labels: Vec<&str> = bits.iter().filter_map(|n| n.strip_prefix("traffic/label/")).collect();
    if !ids.is_empty() || !labels.is_empty() {
        out.extend_from_slice(b",\"traffic\":{");
        if !ids.is_empty() {
            push_str_list(out, "id", &ids, true);
        }
        if !labels.is_empty() {
            push_str_list(out, "label", &labels, ids.is_empty());
        }
        out.push(b'}');
    }
}

fn push_str_list(out: &mut Vec<u8>, key: &str, items: &[&str], first: bool) {
    push_key(out, key, first);
    out.push(b'[');
    for (i, n) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, n);
    }
    out.push(b']');
}

fn has_ports(dec: &Decoded) -> bool {
    matches!(dec.l4, L4::Tcp(_) | L4::Udp(_))
}

/// The header of a record about a decoded packet (or pseudo packet).
pub fn packet_header<'a>(
    dec: &'a Decoded,
    event_type: EventType,
    ts: Timestamp,
    flow_id: Option<u64>,
    pcap_cnt: u64,
    pkt_src: &'static str,
) -> Header<'a> {
    let (sport, dport) = dec.ports();
    Header {
        ts,
        flow_id,
        parent_id: None,
        pcap_cnt,
        event_type,
        vlans: dec.vlans(),
        ep: Endpoints {
            src: dec.ip.src,
            sport,
            dst: dec.ip.dst,
            dport,
            proto: dec.ip.proto,
            ip_v: dec.ip.version,
            ports: has_ports(dec),
        },
        icmp: match dec.l4 {
            L4::Icmp(i) => Some((i.itype, i.code)),
            _ => None,
        },
        pkt_src: Some(pkt_src),
        flowbits: &[],
        cid: None,
        mirror: Some(super::mirror::MirrorContext::of_packet(dec, None)),
    }
}

/// Appends one alert line (with its newline) to `out`.
pub fn write_alert(out: &mut Vec<u8>, cfg: &EveConfig, sig: &Signature, cx: &AlertContext<'_>) {
    let dec = cx.dec;
    let mut h = packet_header(dec, EventType::Alert, cx.ts, cx.flow.map(|f| f.id), cx.pcap_cnt, cx.pkt_src);
    h.parent_id = cx.flow.and_then(|f| f.parent_id);
    // The flow's tuple, not the packet's: a reply's alert names the same
    // connection as the request's (Suricata hashes the flow too).
    h.cid = cx.flow.map(crate::output::community_id::Tuple::of_flow);
    let xff = xff_address(cfg, cx);
    if cfg.xff.mode == XffMode::Overwrite {
        match xff {
            Some(a) if cx.to_server => h.ep.src = a,
            Some(a) => h.ep.dst = a,
            None => {}
        }
    }
    h.write(out, cfg);
    if let Some(id) = cx.tx_id {
        push_u64(out, "tx_id", id);
        if cx.tx_guessed {
            super::push_bool(out, "tx_guessed", true);
        }
    }
    if cfg.ethernet {
        if let Some(e) = dec.ether {
            // The ethertype of the frame's outermost header, as Suricata.
            let _ = write!(out, ",\"ether\":{{\"ether_type\":{},\"src_mac\":", e.ethertype);
            push_mac(out, e.src);
            out.extend_from_slice(b",\"dest_mac\":");
            push_mac(out, e.dst);
            out.push(b'}');
        }
    }
    write_tunnel(out, dec, cx.pcap_cnt, cfg.ipv6_compress);
    if cfg.metadata {
        write_flowbits(out, cx.flowbits);
    }
    write_alert_object(out, cfg, sig, cx);
    if let Some((ts, tc)) = cx.app.as_ref().and_then(progress_names) {
        push_key(out, "ts_progress", false);
        push_str(out, ts);
        push_key(out, "tc_progress", false);
        push_str(out, tc);
    }
    if let Some(p) = cx.app_proto {
        push_key(out, "app_proto", false);
        push_str(out, p);
    }
    if let Some(f) = cx.flow {
        push_key(out, "direction", false);
        push_str(out, if cx.to_server { "to_server" } else { "to_client" });
        if cfg.metadata {
            write_flow(out, cfg, f, has_ports(dec));
        }
    }
    if cfg.metadata {
        if let Some(app) = &cx.app {
            super::write_app_object(out, cfg, app);
            match app {
                super::AppObject::Http(tx) => {
                    let files = if cx.to_server { &tx.request.files } else { &tx.response.files };
                    super::fileinfo::write_files_array(out, files, tx.id);
                }
                super::AppObject::FtpData(conn) => super::ftp::write_alert_files(out, conn, cx.to_server),
                _ => {}
            }
        }
    }
    if cfg.payload || cfg.payload_printable {
        let p = &cx.payload[..cx.payload.len().min(cfg.payload_buffer_size)];
        if cfg.payload {
            push_key(out, "payload", false);
            push_base64(out, p);
        }
        if cfg.payload_printable {
            push_key(out, "payload_printable", false);
            out.push(b'"');
            let printable: Vec<u8> = p.iter().map(|&b| printable_byte(b)).collect();
            push_escaped(out, &printable);
            out.push(b'"');
        }
        push_u64(out, "stream", u64::from(cx.stream));
    }
    // Pseudo packets (stream data flushed at flow end) have no bytes.
    if cfg.packet && !cx.frame.is_empty() {
        write_packet(out, cx.frame, dec, cx.linktype);
    }
    if cfg.verdict {
        out.extend_from_slice(b",\"verdict\":{\"action\":");
        push_str(out, cx.verdict);
        out.push(b'}');
    }
    if cfg.mirrorids {
        let mut x = super::mirror::ExtObject::default();
        x.mirror(out, cfg, &super::mirror::MirrorContext::of_packet(dec, cx.flow));
        x.key(out, "truncated");
        out.extend_from_slice(if dec.is_truncated() { b"true" } else { b"false" });
        x.key(out, "rule_action");
        push_str(out, sig.action.name());
        x.close(out);
    }
    out.extend_from_slice(b"}\n");
}

/// The `tunnel` object of a decapsulated packet.
pub fn write_tunnel(out: &mut Vec<u8>, dec: &Decoded, pcap_cnt: u64, ipv6_compress: bool) {
    let Some(t) = dec.tunnel else {
        if dec.flags & crate::decode::flags::REASSEMBLED != 0 {
            write_defrag_tunnel(out, dec, pcap_cnt, ipv6_compress);
        }
        return;
    };
    out.extend_from_slice(b",\"tunnel\":{\"src_ip\":");
    push_ip(out, t.outer_src, ipv6_compress);
    push_u64(out, "src_port", u64::from(t.outer_sport));
    push_key(out, "dest_ip", false);
    push_ip(out, t.outer_dst, ipv6_compress);
    push_u64(out, "dest_port", u64::from(t.outer_dport));
    push_key(out, "proto", false);
    push_proto(out, t.outer_proto);
    push_u64(out, "depth", u64::from(t.depth));
    if pcap_cnt != 0 {
        push_u64(out, "pcap_cnt", pcap_cnt);
    }
    out.extend_from_slice(b",\"pkt_src\":\"wire/pcap\"}");
}

/// Suricata 8 gives a datagram rebuilt from fragments the last fragment as
/// its root packet, and logs that root as a `tunnel` of depth 0 even when
/// there is no tunnel: the fragments' addresses, no ports, the protocol
/// field of their IP header. We write the same, so that records compare.
fn write_defrag_tunnel(out: &mut Vec<u8>, dec: &Decoded, pcap_cnt: u64, ipv6_compress: bool) {
    out.extend_from_slice(b",\"tunnel\":{\"src_ip\":");
    push_ip(out, dec.ip.src, ipv6_compress);
    push_u64(out, "src_port", 0);
    push_key(out, "dest_ip", false);
    push_ip(out, dec.ip.dst, ipv6_compress);
    push_u64(out, "dest_port", 0);
    push_key(out, "proto", false);
    push_proto(out, dec.frag_proto);
    push_u64(out, "depth", 0);
    if pcap_cnt != 0 {
        push_u64(out, "pcap_cnt", pcap_cnt);
    }
    out.extend_from_slice(b",\"pkt_src\":\"wire/pcap\"}");
}

/// `packet` (the frame from the packet's own link layer, base64) and
/// `packet_info`.
pub fn write_packet(out: &mut Vec<u8>, frame: &[u8], dec: &Decoded, linktype: crate::source::LinkType) {
    let start = (dec.pkt_off as usize).min(frame.len());
    push_key(out, "packet", false);
    push_base64(out, &frame[start..]);
    let lt = if start > 0 { dec.pkt_linktype } else { linktype };
    out.extend_from_slice(b",\"packet_info\":{\"linktype\":");
    crate::util::json::push_uint(out, lt.dlt());
    out.extend_from_slice(b",\"linktype_name\":");
    push_str(out, lt.name());
    out.push(b'}');
}

/// Where the alert's transaction was, each way, in the names Suricata
/// logs for the protocols that name their progress (HTTP, TLS).
fn progress_names(app: &AppObject<'_>) -> Option<(&'static str, &'static str)> {
    match app {
        AppObject::Http(tx) => Some(tx.progress_names()),
        AppObject::Tls(info) => {
            let name = |d: usize| {
                let names = crate::app::tls::PROGRESS_NAMES[d];
                names.get(usize::from(info.progress[d])).or(names.last()).copied().unwrap_or("")
            };
            Some((name(0), name(1)))
        }
        AppObject::Dns { .. } | AppObject::Ssh(_) | AppObject::Ftp(_) | AppObject::FtpData(_) => None,
    }
}

/// `alert.context` (and `alert.extra`): each matched JSON set item's
/// object under its rule's key, after `metadata` as Suricata 8.0.6 writes
/// it. The objects are compact JSON text kept with the set.
fn write_set_objects(out: &mut Vec<u8>, hits: &[crate::detect::datasets::SetHit]) {
    use crate::rules::datasets::ContextField;
    for field in [ContextField::Context, ContextField::Extra] {
        let mut open = false;
        for (i, h) in hits.iter().enumerate() {
            // A key a second keyword of the rule repeats is written once.
            if h.field != field || hits[..i].iter().any(|e| e.field == field && e.key == h.key) {
                continue;
            }
            if !open {
                push_key(out, field.name(), false);
                out.push(b'{');
            }
            // Keys are alphanumeric or `_` (checked when the rule parsed).
            push_key(out, &h.key, !open);
            open = true;
            out.extend_from_slice(h.object.as_bytes());
        }
        if open {
            out.push(b'}');
        }
    }
}

fn write_alert_object(out: &mut Vec<u8>, cfg: &EveConfig, sig: &Signature, cx: &AlertContext<'_>) {
    // A passive sensor never blocks: every alert is "allowed"; the rule's
    // own action is recorded under `mirrorids.rule_action`.
    out.extend_from_slice(b",\"alert\":{\"action\":\"allowed\"");
    push_u64(out, "gid", u64::from(sig.gid));
    push_u64(out, "signature_id", u64::from(sig.sid));
    push_u64(out, "rev", u64::from(sig.rev));
    push_key(out, "signature", false);
    push_str(out, &sig.msg);
    push_key(out, "category", false);
    push_str(out, &sig.category);
    push_u64(out, "severity", u64::from(sig.priority));
    if let Some(t) = sig.target {
        let dec = cx.dec;
        let (sp, dp) = dec.ports();
        let ((tip, tport), (sip, sport)) = match t {
            crate::rules::Target::DestIp => ((dec.ip.dst, dp), (dec.ip.src, sp)),
            crate::rules::Target::SrcIp => ((dec.ip.src, sp), (dec.ip.dst, dp)),
        };
        out.extend_from_slice(b",\"source\":{\"ip\":");
        push_ip(out, sip, cfg.ipv6_compress);
        if has_ports(dec) {
            push_u64(out, "port", u64::from(sport));
        }
        out.extend_from_slice(b"},\"target\":{\"ip\":");
        push_ip(out, tip, cfg.ipv6_compress);
        if has_ports(dec) {
            push_u64(out, "port", u64::from(tport));
        }
        out.push(b'}');
    }
    if cfg.references && !sig.references.is_empty() {
        out.extend_from_slice(b",\"references\":[");
        for (i, r) in sig.references.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_str(out, r);
        }
        out.push(b']');
    }
    if cfg.metadata && !sig.metadata_json.is_empty() {
        out.extend_from_slice(b",\"metadata\":");
        out.extend_from_slice(sig.metadata_json.as_bytes());
    }
    write_set_objects(out, cx.set_objects);
    if cfg.rule {
        push_key(out, "rule", false);
        push_str(out, &sig.text);
    }
    if cfg.xff.mode == XffMode::ExtraData {
        if let Some(a) = xff_address(cfg, cx) {
            push_key(out, "xff", false);
            push_ip(out, a, cfg.ipv6_compress);
        }
    }
    out.push(b'}');
}

/// The client address of the transaction's X-Forwarded-For header, when
/// configured and valid.
fn xff_address(cfg: &EveConfig, cx: &AlertContext<'_>) -> Option<IpAddr> {
    if !cfg.xff.enabled {
        return None;
    }
    let Some(AppObject::Http(tx)) = &cx.app else { return None };
    let value = tx.request_header(cfg.xff.header.as_bytes())?;
    let value = std::str::from_utf8(value).ok()?;
    let mut parts = value.split(',').map(str::trim).filter(|s| !s.is_empty());
    let pick = match cfg.xff.deployment {
        XffDeployment::Forward => parts.next(),
        XffDeployment::Reverse => parts.next_back(),
    }?;
    pick.parse().ok()
}

fn write_flow(out: &mut Vec<u8>, cfg: &EveConfig, f: &Flow, ports: bool) {
    out.extend_from_slice(b",\"flow\":{");
    push_key(out, "pkts_toserver", true);
    crate::util::json::push_uint(out, f.pkts[0]);
    push_u64(out, "pkts_toclient", f.pkts[1]);
    push_u64(out, "bytes_toserver", f.bytes[0]);
    push_u64(out, "bytes_toclient", f.bytes[1]);
    out.extend_from_slice(b",\"start\":");
    f.start.push_eve_str(out);
    push_key(out, "src_ip", false);
    push_ip(out, f.client.0, cfg.ipv6_compress);
    push_key(out, "dest_ip", false);
    push_ip(out, f.server.0, cfg.ipv6_compress);
    if ports {
        push_u64(out, "src_port", u64::from(f.client.1));
        push_u64(out, "dest_port", u64::from(f.server.1));
    }
    out.push(b'}');
}
