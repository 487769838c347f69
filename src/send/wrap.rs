//! Building one datagram from one captured frame: pure functions over byte
//! slices, appending to the caller's buffer.
//!
//! What AWS delivers, and so what we build: VXLAN (flags 0x08, the session's
//! VNI) around the original Ethernet frame; through a Gateway Load Balancer,
//! GENEVE with the AWS options (class 0x0108) around an IP packet with no
//! Ethernet header.

use std::net::IpAddr;

use crate::decode::ethernet::{self, EthernetFrame, VlanTag, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::decode::ipv4::Ipv4Packet;
use crate::decode::ipv6::Ipv6Packet;
use crate::decode::linklayer;
use crate::decode::vxlan::{
    GeneveHeader, VxlanHeader, AWS_OPT_ATTACHMENT_ID, AWS_OPT_ENDPOINT_ID, AWS_OPT_FLOW_COOKIE, GENEVE_CLASS_AWS,
};
use crate::source::LinkType;

use super::SkipReason;

/// Largest UDP payload an IPv4 datagram can carry (65,535 - 20 - 8).
pub const MAX_DATAGRAM: usize = 65_507;

/// MACs of the Ethernet header we rebuild for captures without one: the
/// locally administered bit is set, so they never name a real interface.
pub const REBUILT_SRC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub const REBUILT_DST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// GENEVE base header plus the three AWS options: endpoint id (4 + 8),
/// attachment id (4 + 8), flow cookie (4 + 4).
pub const GENEVE_AWS_LEN: usize = GeneveHeader::BASE_LEN + 12 + 12 + 8;

/// Bound on stacked VLAN tags walked when stripping them (the decoder keeps
/// three; a few more cost nothing and a loop of tags cannot run away).
const MAX_VLAN_TAGS: usize = 8;

/// The GWLB identifiers carried in every GENEVE datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GwlbIds {
    pub endpoint_id: u64,
    pub attachment_id: u64,
}

/// Appends a VXLAN header with the I flag and `vni` (24 bits).
pub fn push_vxlan_header(out: &mut Vec<u8>, vni: u32) {
    out.extend_from_slice(&[0x08, 0, 0, 0]);
    out.extend_from_slice(&((vni & 0x00ff_ffff) << 8).to_be_bytes());
}

/// Appends a GENEVE header carrying the AWS options, announcing `ethertype`
/// (0x0800 or 0x86DD: GWLB forwards IP packets) as the payload.
pub fn push_geneve_header(out: &mut Vec<u8>, ethertype: u16, vni: u32, ids: GwlbIds, cookie: u32) {
    let opt_words = ((GENEVE_AWS_LEN - GeneveHeader::BASE_LEN) / 4) as u8;
    // Version 0, no OAM or critical bit: the AWS option types are not critical.
    out.extend_from_slice(&[opt_words, 0]);
    out.extend_from_slice(&ethertype.to_be_bytes());
    out.extend_from_slice(&((vni & 0x00ff_ffff) << 8).to_be_bytes());
    let class = GENEVE_CLASS_AWS.to_be_bytes();
    out.extend_from_slice(&[class[0], class[1], AWS_OPT_ENDPOINT_ID, 2]);
    out.extend_from_slice(&ids.endpoint_id.to_be_bytes());
    out.extend_from_slice(&[class[0], class[1], AWS_OPT_ATTACHMENT_ID, 2]);
    out.extend_from_slice(&ids.attachment_id.to_be_bytes());
    out.extend_from_slice(&[class[0], class[1], AWS_OPT_FLOW_COOKIE, 1]);
    out.extend_from_slice(&cookie.to_be_bytes());
}

/// Appends an Ethernet header for a capture that has none.
pub fn push_ethernet_header(out: &mut Vec<u8>, ethertype: u16) {
    out.extend_from_slice(&REBUILT_DST_MAC);
    out.extend_from_slice(&REBUILT_SRC_MAC);
    out.extend_from_slice(&ethertype.to_be_bytes());
}

/// The ethertype of what follows the link-layer header of a frame that is
/// not Ethernet, and where it starts.
pub fn link_payload(frame: &[u8], linktype: LinkType) -> Result<(u16, usize), SkipReason> {
    match linktype {
        LinkType::RAW | LinkType::RAW_BSD | LinkType::RAW_OPENBSD | LinkType::GRE_OVER_IP => {
            match frame.first().map(|b| b >> 4) {
                Some(4) => Ok((ETHERTYPE_IPV4, 0)),
                Some(6) => Ok((ETHERTYPE_IPV6, 0)),
                _ => Err(SkipReason::NotIp),
            }
        }
        LinkType::IPV4 => Ok((ETHERTYPE_IPV4, 0)),
        LinkType::IPV6 => Ok((ETHERTYPE_IPV6, 0)),
        LinkType::NULL | LinkType::LOOP => match linklayer::null_ethertype(frame) {
            Ok(t) => Ok((t, 4)),
            Err(crate::decode::DecodeError::NotIp) => Err(SkipReason::NotIp),
            Err(_) => Err(SkipReason::ShortLinkHeader),
        },
        LinkType::C_HDLC => linklayer::chdlc_ethertype(frame).map(|t| (t, 4)).map_err(|_| SkipReason::ShortLinkHeader),
        LinkType::PPP | LinkType::PPP_HDLC => match crate::decode::ppp::ppp_header(frame) {
            Ok((crate::decode::ppp::PPP_IPV4, at)) => Ok((ETHERTYPE_IPV4, at)),
            Ok((crate::decode::ppp::PPP_IPV6, at)) => Ok((ETHERTYPE_IPV6, at)),
            // LCP, IPCP and the rest: PPP's own control traffic.
            Ok(_) => Err(SkipReason::NotIp),
            Err(_) => Err(SkipReason::ShortLinkHeader),
        },
        LinkType::LINUX_SLL | LinkType::LINUX_SLL2 => {
            let parsed = if linktype == LinkType::LINUX_SLL {
                linklayer::sll_protocol(frame)
            } else {
                linklayer::sll2_protocol(frame)
            };
            let (proto, at) = parsed.map_err(|_| SkipReason::ShortLinkHeader)?;
            // Below 0x0600 the field is an ARPHRD-specific protocol number
            // (802.2, CAN...), not an ethertype an Ethernet header can carry.
            if proto < 0x0600 {
                return Err(SkipReason::NotEthernet);
            }
            Ok((proto, at))
        }
        LinkType::ETHERNET => EthernetFrame::new_checked(frame)
            .map(|e| (e.ethertype(), EthernetFrame::HEADER_LEN))
            .map_err(|_| SkipReason::ShortLinkHeader),
        _ => Err(SkipReason::UnsupportedLinkType),
    }
}

/// The IP packet inside a frame of any link type, VLAN tags stripped, as a
/// GWLB forwards it: `(ethertype, packet)`.
pub fn ip_packet(frame: &[u8], linktype: LinkType) -> Result<(u16, &[u8]), SkipReason> {
    let (mut ethertype, mut at) = link_payload(frame, linktype)?;
    for _ in 0..MAX_VLAN_TAGS {
        if !ethernet::is_vlan(ethertype) {
            break;
        }
        let tag = frame.get(at..).and_then(|b| VlanTag::new_checked(b).ok()).ok_or(SkipReason::ShortLinkHeader)?;
        ethertype = tag.ethertype();
        at += VlanTag::LEN;
    }
    if ethertype != ETHERTYPE_IPV4 && ethertype != ETHERTYPE_IPV6 {
        return Err(SkipReason::NotIp);
    }
    let bytes = frame.get(at..).ok_or(SkipReason::ShortLinkHeader)?;
    Ok((ethertype, trim_ip(bytes, ethertype)))
}

/// Drops bytes after the IP datagram's declared end (Ethernet padding of
/// short frames): a router forwards the datagram, not the padding. A header
/// too damaged to read keeps every byte, as it was captured.
pub fn trim_ip(bytes: &[u8], ethertype: u16) -> &[u8] {
    let end = match ethertype {
        ETHERTYPE_IPV4 => Ipv4Packet::new_checked(bytes).map(|p| p.total_len()).unwrap_or(bytes.len()),
        ETHERTYPE_IPV6 => match Ipv6Packet::new_checked(bytes) {
            // A zero payload length is a jumbogram: its length is elsewhere.
            Ok(p) if p.payload_len() > 0 => Ipv6Packet::HEADER_LEN + p.payload_len(),
            _ => bytes.len(),
        },
        _ => bytes.len(),
    };
    bytes.get(..end).unwrap_or(bytes)
}

/// The GWLB flow cookie for a flow: a hash of its 5-tuple (3-tuple when
/// `sport`/`dport` are zero). Endpoints are ordered before hashing so both
/// directions of a connection share a cookie, as GWLB keeps both on one
/// appliance; whether AWS's own cookie is symmetric is not documented.
pub fn flow_cookie(proto: u8, a: IpAddr, a_port: u16, b: IpAddr, b_port: u16) -> u32 {
    let (lo, hi) = if (a, a_port) <= (b, b_port) { ((a, a_port), (b, b_port)) } else { ((b, b_port), (a, a_port)) };
    // FNV-1a: stable across runs, platforms and versions, unlike the std
    // hasher, so a capture replays with the same cookies every time.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(&[proto]);
    for (ip, port) in [lo, hi] {
        match ip {
            IpAddr::V4(v4) => eat(&v4.octets()),
            IpAddr::V6(v6) => eat(&v6.octets()),
        }
        eat(&port.to_be_bytes());
    }
    (h ^ (h >> 32)) as u32
}

/// Length of a VXLAN datagram around `inner` bytes (plus a rebuilt Ethernet
/// header when `rebuild`).
pub fn vxlan_len(inner: usize, rebuild: bool) -> usize {
    VxlanHeader::LEN + if rebuild { EthernetFrame::HEADER_LEN } else { 0 } + inner
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;
    use crate::decode::vxlan::AwsGeneveOptions;

    fn ipv4_packet(total: u16, captured: usize) -> Vec<u8> {
        let mut p = vec![0u8; captured];
        p[0] = 0x45;
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p[9] = 17;
        p
    }

    #[test]
    fn vxlan_header_bytes() {
        let mut out = Vec::new();
        push_vxlan_header(&mut out, 0x12_3456);
        assert_eq!(out, [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
        let h = VxlanHeader::new_checked(&out).unwrap();
        assert!(h.vni_valid());
        assert_eq!(h.vni(), 0x12_3456);
        // Bits above 24 cannot leak into the reserved byte or the flags.
        out.clear();
        push_vxlan_header(&mut out, 0xff00_0001);
        assert_eq!(out, [0x08, 0, 0, 0, 0, 0, 1, 0]);
    }

    #[test]
    fn geneve_header_parses_back_with_aws_options() {
        let mut out = Vec::new();
        let ids = GwlbIds { endpoint_id: 0x0102_0304_0506_0708, attachment_id: 0x1112_1314_1516_1718 };
        push_geneve_header(&mut out, ETHERTYPE_IPV6, 77, ids, 0xdead_beef);
        assert_eq!(out.len(), GENEVE_AWS_LEN);
        let g = GeneveHeader::new_checked(&out).unwrap();
        assert_eq!((g.header_len(), g.protocol(), g.vni()), (GENEVE_AWS_LEN, ETHERTYPE_IPV6, 77));
        assert_eq!(out[0] >> 6, 0, "version 0");
        assert_eq!(out[1], 0, "no OAM, no critical options");
        assert_eq!(
            g.aws_options().unwrap(),
            AwsGeneveOptions {
                endpoint_id: Some(ids.endpoint_id),
                attachment_id: Some(ids.attachment_id),
                flow_cookie: Some(0xdead_beef),
            }
        );
    }

    #[test]
    fn link_layers_to_ethertype() {
        assert_eq!(link_payload(&[0x45, 0], LinkType::RAW), Ok((ETHERTYPE_IPV4, 0)));
        assert_eq!(link_payload(&[0x60, 0], LinkType::RAW_BSD), Ok((ETHERTYPE_IPV6, 0)));
        assert_eq!(link_payload(&[0x10], LinkType::RAW), Err(SkipReason::NotIp));
        assert_eq!(link_payload(&[], LinkType::RAW), Err(SkipReason::NotIp));
        assert_eq!(link_payload(&[], LinkType::IPV6), Ok((ETHERTYPE_IPV6, 0)));
        assert_eq!(link_payload(&[2, 0, 0, 0, 0x45], LinkType::NULL), Ok((ETHERTYPE_IPV4, 4)));
        assert_eq!(link_payload(&[0, 0, 0, 30], LinkType::LOOP), Ok((ETHERTYPE_IPV6, 4)));
        assert_eq!(link_payload(&[7, 0, 0, 0], LinkType::NULL), Err(SkipReason::NotIp));
        assert_eq!(link_payload(&[2, 0], LinkType::NULL), Err(SkipReason::ShortLinkHeader));
        let mut sll = [0u8; 17];
        sll[14..16].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        assert_eq!(link_payload(&sll, LinkType::LINUX_SLL), Ok((ETHERTYPE_IPV4, 16)));
        assert_eq!(link_payload(&sll[..15], LinkType::LINUX_SLL), Err(SkipReason::ShortLinkHeader));
        sll[14..16].copy_from_slice(&4u16.to_be_bytes());
        assert_eq!(link_payload(&sll, LinkType::LINUX_SLL), Err(SkipReason::NotEthernet));
        let mut sll2 = [0u8; 20];
        sll2[..2].copy_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
        assert_eq!(link_payload(&sll2, LinkType::LINUX_SLL2), Ok((ETHERTYPE_IPV6, 20)));
        assert_eq!(link_payload(&[0x0f, 0, 0x08, 0x00], LinkType::C_HDLC), Ok((ETHERTYPE_IPV4, 4)));
        assert_eq!(link_payload(&[0; 40], LinkType(147)), Err(SkipReason::UnsupportedLinkType));
        assert_eq!(link_payload(&[0; 13], LinkType::ETHERNET), Err(SkipReason::ShortLinkHeader));
    }

    #[test]
    fn ip_packet_strips_ethernet_vlans_and_padding() {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x88, 0xa8, 0x00, 0x06, 0x08, 0x00]);
        let ip = ipv4_packet(28, 28);
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&[0; 18]); // padding to the Ethernet minimum
        let (t, p) = ip_packet(&frame, LinkType::ETHERNET).unwrap();
        assert_eq!((t, p), (ETHERTYPE_IPV4, &ip[..]));
        // A tag cut short, and a frame that is not IP.
        assert_eq!(ip_packet(&frame[..16], LinkType::ETHERNET), Err(SkipReason::ShortLinkHeader));
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
        assert_eq!(ip_packet(&arp, LinkType::ETHERNET), Err(SkipReason::NotIp));
        // Endless tags end in a skip, not a hang.
        let mut tags = vec![0u8; 12];
        for _ in 0..20 {
            tags.extend_from_slice(&[0x81, 0x00, 0, 1]);
        }
        assert_eq!(ip_packet(&tags, LinkType::ETHERNET), Err(SkipReason::NotIp));
    }

    #[test]
    fn trim_keeps_truncated_and_damaged_packets_whole() {
        // Truncated copy: declared 1500, 60 captured.
        let cut = ipv4_packet(1500, 60);
        assert_eq!(trim_ip(&cut, ETHERTYPE_IPV4).len(), 60);
        // IPv4 header cut inside itself, and an impossible total length.
        assert_eq!(trim_ip(&cut[..10], ETHERTYPE_IPV4).len(), 10);
        assert_eq!(trim_ip(&ipv4_packet(8, 40), ETHERTYPE_IPV4).len(), 40);
        let mut v6 = vec![0u8; 60];
        v6[0] = 0x60;
        v6[5] = 8;
        assert_eq!(trim_ip(&v6, ETHERTYPE_IPV6).len(), 48);
        v6[5] = 0;
        assert_eq!(trim_ip(&v6, ETHERTYPE_IPV6).len(), 60, "jumbogram");
        assert_eq!(trim_ip(&v6[..30], ETHERTYPE_IPV6).len(), 30);
    }

    #[test]
    fn flow_cookie_is_per_flow_and_symmetric() {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let c = flow_cookie(6, a, 40000, b, 443);
        assert_eq!(c, flow_cookie(6, b, 443, a, 40000));
        assert_ne!(c, flow_cookie(6, a, 40001, b, 443));
        assert_ne!(c, flow_cookie(17, a, 40000, b, 443));
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        assert_eq!(flow_cookie(1, v6, 0, a, 0), flow_cookie(1, a, 0, v6, 0));
        // Stable across runs and versions: a fixed function, not a seeded hasher.
        assert_eq!(c, 0x150e_cb57);
    }

    #[test]
    fn rebuilt_ethernet_header() {
        let mut out = Vec::new();
        push_ethernet_header(&mut out, ETHERTYPE_IPV6);
        let e = EthernetFrame::new_checked(&out).unwrap();
        assert_eq!((e.dst(), e.src(), e.ethertype()), (REBUILT_DST_MAC, REBUILT_SRC_MAC, ETHERTYPE_IPV6));
        assert!(e.src()[0] & 0x02 != 0 && e.src()[0] & 0x01 == 0, "locally administered unicast");
        assert_eq!(vxlan_len(100, true), 122);
        assert_eq!(vxlan_len(100, false), 108);
    }
}
