//! `packet` records: a packet a `tag` keyword covers (the packets after an
//! alert, in its session or to and from one of its hosts), written as
//! Suricata 8 writes them with the alert option `tagged-packets`: the
//! common header, the `tunnel` object, `packet` and `packet_info`.

use super::alert::{packet_header, write_packet, write_tunnel};
use super::{end, EventType};
use crate::decode::Decoded;
use crate::output::EveConfig;
use crate::source::LinkType;
use crate::util::Timestamp;

/// One tagged packet.
pub struct TaggedPacket<'a> {
    pub ts: Timestamp,
    pub flow_id: Option<u64>,
    /// The flow's tuple, for `community_id`.
    pub cid: Option<crate::output::community_id::Tuple>,
    /// 0 for live traffic (no capture position).
    pub pcap_cnt: u64,
    pub frame: &'a [u8],
    pub linktype: LinkType,
    pub dec: &'a Decoded,
    pub pkt_src: &'static str,
}

/// Appends one `packet` line (with its newline) to `out`.
pub fn write_record(out: &mut Vec<u8>, cfg: &EveConfig, p: &TaggedPacket<'_>) {
    let mut h = packet_header(p.dec, EventType::Packet, p.ts, p.flow_id, p.pcap_cnt, p.pkt_src);
    h.cid = p.cid;
    h.write(out, cfg);
    write_tunnel(out, p.dec, p.pcap_cnt, cfg.ipv6_compress);
    write_packet(out, p.frame, p.dec, p.linktype);
    end(out);
}
