//! Decode: a captured frame in, a description of its layers out.
//!
//! Decoding is zero-copy. [`decode_frame`] walks the frame once, through
//! link layer (Ethernet, PPP, Linux cooked, BSD loopback, Cisco HDLC, raw
//! IP), VLAN tags, PPPoE, MPLS, tunnels (VXLAN, GENEVE, GRE, ERSPAN,
//! IP-in-IP, Teredo) and IP to the innermost transport header, and fills a [`Decoded`]: plain
//! values and byte offsets into the frame, no borrowed slices, so it can
//! travel with the frame to a worker thread.
//!
//! Mirrored traffic arrives inside VXLAN; the innermost packet is the one we
//! inspect and the outermost tunnel is kept as [`Tunnel`] for flow identity
//! and for the alert's `tunnel` object. Truncated copies (AWS cuts jumbo
//! frames, snap lengths cut captures) are decoded as far as the bytes go,
//! flagged, and the missing length is recorded for stream reassembly.
//! Fragments are returned as [`Outcome::Fragment`] for [`defrag`].

pub mod defrag;
pub mod error;
pub mod ethernet;
pub mod gre;
pub mod icmp;
pub mod ipv4;
pub mod ipv6;
pub mod linklayer;
pub mod mpls;
pub mod ppp;
pub mod tcp;
pub mod teredo;
mod tunnels;
pub mod udp;
pub mod vxlan;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr};

pub use error::DecodeError;

use crate::source::LinkType;
use ethernet::{EthernetFrame, VlanTag};
use icmp::IcmpMessage;
use ipv4::Ipv4Packet;
use ipv6::Ipv6Packet;
use mpls::MplsPayload;
use ppp::PppoeHeader;
use tcp::TcpSegment;
use teredo::TeredoPorts;
use udp::UdpDatagram;
use vxlan::AwsGeneveOptions;

pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_IPIP: u8 = 4;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_IPV6: u8 = 41;
pub const IPPROTO_FRAGMENT: u8 = 44;
pub const IPPROTO_GRE: u8 = 47;
pub const IPPROTO_ICMPV6: u8 = 58;
pub const IPPROTO_SCTP: u8 = 132;

/// A set of UDP ports, as a bitmap for a branch-free lookup per datagram.
#[derive(Clone)]
pub struct PortSet(Box<[u64; 1024]>);

impl PortSet {
    pub fn new(ports: &[u16]) -> Self {
        let mut bits = Box::new([0u64; 1024]);
        for &p in ports {
            bits[usize::from(p >> 6)] |= 1 << (p & 63);
        }
        PortSet(bits)
    }

    pub fn contains(&self, port: u16) -> bool {
        self.0[usize::from(port >> 6)] & (1 << (port & 63)) != 0
    }
}

impl std::fmt::Debug for PortSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ports: Vec<u16> = (0..=u16::MAX).filter(|&p| self.contains(p)).collect();
        f.debug_tuple("PortSet").field(&ports).finish()
    }
}

/// What the decoder needs to know; built once from the configuration.
#[derive(Debug, Clone)]
pub struct DecodeConfig {
    pub vxlan_ports: PortSet,
    pub geneve_ports: PortSet,
    /// Where IPv6 in UDP (Teredo) is looked for.
    pub teredo: TeredoPorts,
    /// Encapsulations deeper than this are refused (a loop of tunnels is an
    /// evasion or a resource attack, not traffic).
    pub max_tunnel_depth: u8,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig {
            vxlan_ports: PortSet::new(&[4789]),
            geneve_ports: PortSet::new(&[6081]),
            teredo: TeredoPorts::default(),
            max_tunnel_depth: 4,
        }
    }
}

/// Packet-level facts set while decoding.
pub mod flags {
    /// Declared bytes of an IP datagram are missing from the capture.
    pub const TRUNCATED: u16 = 0x01;
    /// The datagram was rebuilt from fragments.
    pub const REASSEMBLED: u16 = 0x02;
    /// The rebuilt datagram was a tunnel's outer packet: the packet
    /// inspected is what came out of the tunnel, not the rebuilt datagram.
    pub const DECAPSULATED_AFTER_DEFRAG: u16 = 0x04;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelKind {
    Vxlan,
    Geneve,
    Gre,
    Erspan,
    IpInIp,
    Teredo,
}

impl TunnelKind {
    /// Suricata's `pkt_src` for packets taken out of this tunnel (8.0.6):
    /// IP in IP is named by the outer header's version, ERSPAN by the GRE
    /// that carries it.
    pub fn pkt_src(self, outer_v6: bool) -> &'static str {
        match self {
            TunnelKind::Vxlan => "vxlan encapsulation",
            TunnelKind::Geneve => "geneve encapsulation",
            TunnelKind::Gre | TunnelKind::Erspan => "gre tunnel",
            TunnelKind::IpInIp if outer_v6 => "ipv6 tunnel",
            TunnelKind::IpInIp => "ipv4 tunnel",
            TunnelKind::Teredo => "teredo tunnel",
        }
    }
}

/// The outermost encapsulation of a packet: who sent the mirrored copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tunnel {
    pub kind: TunnelKind,
    pub outer_src: IpAddr,
    pub outer_dst: IpAddr,
    pub outer_sport: u16,
    pub outer_dport: u16,
    pub outer_proto: u8,
    /// VXLAN/GENEVE VNI, GRE key or ERSPAN session: the mirror session.
    pub vni: Option<u32>,
    /// Number of encapsulations peeled off.
    pub depth: u8,
    pub aws: Option<AwsGeneveOptions>,
    /// `pkt_src` of the packet taken out of the innermost encapsulation.
    pub pkt_src: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EtherInfo {
    pub src: [u8; 6],
    pub dst: [u8; 6],
    pub ethertype: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpInfo {
    pub version: u8,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub proto: u8,
    pub ttl: u8,
    pub tos: u8,
    pub ident: u32,
    /// Header length including options / extension headers.
    pub header_len: u16,
}

impl Default for IpInfo {
    fn default() -> Self {
        IpInfo {
            version: 0,
            src: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            dst: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            proto: 0,
            ttl: 0,
            tos: 0,
            ident: 0,
            header_len: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub header_len: u8,
    /// The urgent pointer when URG is set, else 0.
    pub urgent: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpInfo {
    pub sport: u16,
    pub dport: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpInfo {
    pub v6: bool,
    pub itype: u8,
    pub code: u8,
    /// Identifier and sequence, for message types that have them.
    pub id_seq: Option<(u16, u16)>,
}

/// The innermost transport header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum L4 {
    /// No transport header we decode (or it was invalid, see `l4_error`).
    #[default]
    None,
    Tcp(TcpInfo),
    Udp(UdpInfo),
    Icmp(IcmpInfo),
}

/// Everything the later stages need to know about a frame, as values and
/// offsets into it.
#[derive(Debug, Clone, Copy)]
pub struct Decoded {
    pub flags: u16,
    pub ether: Option<EtherInfo>,
    pub vlans: [u16; 3],
    pub vlan_count: u8,
    pub tunnel: Option<Tunnel>,
    pub ip: IpInfo,
    pub l4: L4,
    /// A transport header that failed to decode: the packet is still
    /// inspected at the IP level, and the error is counted.
    pub l4_error: Option<DecodeError>,
    /// Where the innermost packet starts (the tunnel's payload): what EVE's
    /// `packet` shows, as Suricata does for tunneled packets.
    pub pkt_off: u32,
    /// Link type of the bytes at `pkt_off`.
    pub pkt_linktype: LinkType,
    pub l3_off: u32,
    pub l4_off: u32,
    pub payload_off: u32,
    pub payload_len: u32,
    /// Declared payload bytes absent from the capture (truncation).
    pub payload_missing: u32,
    /// For a datagram rebuilt from fragments outside any tunnel: the
    /// protocol field of the fragments' own IP header (IPv6: the base
    /// header's next header). Suricata logs the last fragment as the
    /// `tunnel` of such a datagram, with this as its `proto`.
    pub frag_proto: u8,
}

impl Default for Decoded {
    fn default() -> Self {
        Decoded {
            flags: 0,
            ether: None,
            vlans: [0; 3],
            vlan_count: 0,
            tunnel: None,
            ip: IpInfo::default(),
            l4: L4::None,
            l4_error: None,
            pkt_off: 0,
            pkt_linktype: LinkType::ETHERNET,
            l3_off: 0,
            l4_off: 0,
            payload_off: 0,
            payload_len: 0,
            payload_missing: 0,
            frag_proto: 0,
        }
    }
}

impl Decoded {
    pub fn is_truncated(&self) -> bool {
        self.flags & flags::TRUNCATED != 0
    }

    pub fn ports(&self) -> (u16, u16) {
        match self.l4 {
            L4::Tcp(t) => (t.sport, t.dport),
            L4::Udp(u) => (u.sport, u.dport),
            _ => (0, 0),
        }
    }

    pub fn payload<'f>(&self, frame: &'f [u8]) -> &'f [u8] {
        let start = self.payload_off as usize;
        let end = start + self.payload_len as usize;
        frame.get(start..end).unwrap_or(&[])
    }

    pub fn vlans(&self) -> &[u16] {
        &self.vlans[..usize::from(self.vlan_count)]
    }
}

/// A fragment to hand to [`defrag`], with what is needed to rebuild the
/// datagram around its reassembled payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    pub version: u8,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ident: u32,
    /// Upper-layer protocol of the datagram.
    pub proto: u8,
    /// Offset of this fragment's data within the datagram payload.
    pub offset: u32,
    pub more: bool,
    /// Where the fragmented IP header starts in the frame.
    pub l3_off: u32,
    /// Length of the header part kept on reassembly (IPv4 header with
    /// options; IPv6 header plus the extension headers before the fragment
    /// header).
    pub unfrag_len: u32,
    /// IPv6 only: offset (from `l3_off`) of the next-header byte to patch.
    pub nh_field_at: u32,
    pub data_off: u32,
    pub data_len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Packet,
    Fragment(Fragment),
}

/// Where decoding continues.
#[derive(Debug, Clone, Copy)]
enum Next {
    Ethernet(usize),
    EtherType(u16, usize),
    Ipv4(usize),
    Ipv6(usize),
}

/// Decodes a captured frame of the given link type.
pub fn decode_frame(
    frame: &[u8],
    linktype: LinkType,
    cfg: &DecodeConfig,
    out: &mut Decoded,
) -> Result<Outcome, DecodeError> {
    *out = Decoded { pkt_linktype: linktype, ..Decoded::default() };
    let first = match linktype {
        LinkType::ETHERNET => Next::Ethernet(0),
        LinkType::RAW | LinkType::RAW_BSD | LinkType::RAW_OPENBSD | LinkType::GRE_OVER_IP => {
            match frame.first().map(|b| b >> 4) {
                Some(4) => Next::Ipv4(0),
                Some(6) => Next::Ipv6(0),
                _ => return Err(DecodeError::Ipv4BadVersion),
            }
        }
        LinkType::IPV4 => Next::Ipv4(0),
        LinkType::IPV6 => Next::Ipv6(0),
        LinkType::NULL | LinkType::LOOP => Next::EtherType(linklayer::null_ethertype(frame)?, 4),
        LinkType::C_HDLC => Next::EtherType(linklayer::chdlc_ethertype(frame)?, 4),
        LinkType::PPP | LinkType::PPP_HDLC => {
            let (proto, len) = ppp::ppp_header(frame)?;
            ppp_next(proto, len)?
        }
        LinkType::LINUX_SLL => {
            let (proto, len) = linklayer::sll_protocol(frame)?;
            Next::EtherType(proto, len)
        }
        LinkType::LINUX_SLL2 => {
            let (proto, len) = linklayer::sll2_protocol(frame)?;
            Next::EtherType(proto, len)
        }
        _ => return Err(DecodeError::UnsupportedLinkType),
    };
    Walker { frame, cfg, out, pkt_at_next_ip: false }.run(first, frame.len())
}

/// Continues decoding a datagram rebuilt by [`defrag`]: `frame` holds the
/// original link and tunnel headers followed by the rebuilt IP datagram at
/// `l3_off`; `ctx` is what decoding the first fragment found before its IP
/// header (link layer, VLANs, tunnel).
pub fn decode_reassembled(
    frame: &[u8],
    l3_off: usize,
    ctx: &Decoded,
    cfg: &DecodeConfig,
    out: &mut Decoded,
) -> Result<Outcome, DecodeError> {
    *out = Decoded {
        ether: ctx.ether,
        vlans: ctx.vlans,
        vlan_count: ctx.vlan_count,
        tunnel: ctx.tunnel,
        pkt_off: ctx.pkt_off,
        pkt_linktype: ctx.pkt_linktype,
        frag_proto: ctx.frag_proto,
        ..Decoded::default()
    };
    out.flags |= flags::REASSEMBLED;
    let next = match frame.get(l3_off).map(|b| b >> 4) {
        Some(6) => Next::Ipv6(l3_off),
        _ => Next::Ipv4(l3_off),
    };
    let r = Walker { frame, cfg, out, pkt_at_next_ip: false }.run(next, frame.len());
    if out.tunnel.map(|t| t.depth) != ctx.tunnel.map(|t| t.depth) {
        out.flags |= flags::DECAPSULATED_AFTER_DEFRAG;
    }
    if ctx.tunnel.is_none() {
        if let Some(t) = &mut out.tunnel {
            // The rebuilt datagram was the tunnel's outer packet. Suricata
            // logs the last fragment as the tunnel's root: its protocol
            // field (IPv6: the fragment header) and no ports, since a
            // non-first fragment has no transport header.
            t.outer_proto = ctx.frag_proto;
            t.outer_sport = 0;
            t.outer_dport = 0;
        }
    }
    r
}

struct Walker<'a, 'o> {
    frame: &'a [u8],
    cfg: &'a DecodeConfig,
    out: &'o mut Decoded,
    /// The logged packet starts at the next IP header (VXLAN, below).
    pkt_at_next_ip: bool,
}

/// Bound on layers walked in one frame, whatever the headers claim.
const MAX_LAYERS: usize = 24;

impl Walker<'_, '_> {
    fn run(&mut self, mut next: Next, mut end: usize) -> Result<Outcome, DecodeError> {
        for _ in 0..MAX_LAYERS {
            next = match next {
                Next::Ethernet(at) => {
                    let eth = EthernetFrame::new_checked(&self.frame[at..end])?;
                    self.out.ether = Some(EtherInfo { src: eth.src(), dst: eth.dst(), ethertype: eth.ethertype() });
                    Next::EtherType(eth.ethertype(), at + EthernetFrame::HEADER_LEN)
                }
                Next::EtherType(ethertype, at) => self.ethertype(ethertype, at, end)?,
                Next::Ipv4(at) => match self.ipv4(at, &mut end)? {
                    Step::Continue(n, inner_end) => {
                        end = inner_end;
                        n
                    }
                    Step::Done(outcome) => return Ok(outcome),
                },
                Next::Ipv6(at) => match self.ipv6(at, &mut end)? {
                    Step::Continue(n, inner_end) => {
                        end = inner_end;
                        n
                    }
                    Step::Done(outcome) => return Ok(outcome),
                },
            };
        }
        Err(DecodeError::TunnelTooDeep)
    }

    fn ethertype(&mut self, ethertype: u16, at: usize, end: usize) -> Result<Next, DecodeError> {
        match ethertype {
            ethernet::ETHERTYPE_IPV4 => Ok(Next::Ipv4(at)),
            ethernet::ETHERTYPE_IPV6 => Ok(Next::Ipv6(at)),
            t if ethernet::is_vlan(t) => {
                let tag = VlanTag::new_checked(&self.frame[at..end])?;
                let n = usize::from(self.out.vlan_count);
                if n >= self.out.vlans.len() {
                    return Err(DecodeError::VlanTooDeep);
                }
                self.out.vlans[n] = tag.id();
                self.out.vlan_count += 1;
                Ok(Next::EtherType(tag.ethertype(), at + VlanTag::LEN))
            }
            ethernet::ETHERTYPE_PPPOE_SESSION => {
                let h = PppoeHeader::new_checked(&self.frame[at..end])?;
                h.check_session()?;
                let (proto, len) = ppp::ppp_header(h.payload())?;
                ppp_next(proto, at + ppp::PPPOE_HEADER_LEN + len)
            }
            ethernet::ETHERTYPE_PPPOE_DISCOVERY => {
                PppoeHeader::new_checked(&self.frame[at..end])?.check_discovery()?;
                Err(DecodeError::NotIp)
            }
            mpls::ETHERTYPE_MPLS_UNICAST | mpls::ETHERTYPE_MPLS_MULTICAST => {
                let (payload, len) = mpls::mpls_stack(&self.frame[at..end])?;
                Ok(match payload {
                    MplsPayload::Ipv4 => Next::Ipv4(at + len),
                    MplsPayload::Ipv6 => Next::Ipv6(at + len),
                    MplsPayload::Ethernet => Next::Ethernet(at + len),
                })
            }
            ethernet::ETHERTYPE_ARP => Err(DecodeError::NotIp),
            _ => Err(DecodeError::UnsupportedEthertype),
        }
    }

    fn ipv4(&mut self, at: usize, end: &mut usize) -> Result<Step, DecodeError> {
        let ip = Ipv4Packet::new_checked(&self.frame[at..*end])?;
        self.ip_reached(at);
        let missing = ip.missing();
        *end = at + ip.header_len() + ip.payload().len();
        self.out.ip = IpInfo {
            version: 4,
            src: IpAddr::V4(ip.src()),
            dst: IpAddr::V4(ip.dst()),
            proto: ip.protocol(),
            ttl: ip.ttl(),
            tos: ip.tos(),
            ident: u32::from(ip.ident()),
            header_len: ip.header_len() as u16,
        };
        self.out.l3_off = at as u32;
        self.out.l4 = L4::None;
        self.out.l4_error = None;
        let l4_at = at + ip.header_len();
        if ip.is_fragment() {
            return Ok(Step::Done(Outcome::Fragment(Fragment {
                version: 4,
                src: self.out.ip.src,
                dst: self.out.ip.dst,
                ident: u32::from(ip.ident()),
                proto: ip.protocol(),
                offset: ip.frag_offset() as u32,
                more: ip.more_frags(),
                l3_off: at as u32,
                unfrag_len: ip.header_len() as u32,
                nh_field_at: 0,
                data_off: l4_at as u32,
                data_len: (*end - l4_at) as u32,
            })));
        }
        self.upper(ip.protocol(), l4_at, *end, missing)
    }

    fn ipv6(&mut self, at: usize, end: &mut usize) -> Result<Step, DecodeError> {
        let ip = Ipv6Packet::new_checked(&self.frame[at..*end])?;
        self.ip_reached(at);
        let missing = ip.missing();
        *end = at + ip.datagram().len();
        let walk = ip.walk()?;
        self.out.ip = IpInfo {
            version: 6,
            src: IpAddr::V6(ip.src()),
            dst: IpAddr::V6(ip.dst()),
            proto: walk.upper_proto,
            ttl: ip.hop_limit(),
            tos: 0,
            ident: walk.fragment.map_or(0, |f| f.ident),
            header_len: walk.upper_at as u16,
        };
        self.out.l3_off = at as u32;
        self.out.l4 = L4::None;
        self.out.l4_error = None;
        let l4_at = at + walk.upper_at;
        if let Some(f) = walk.fragment {
            return Ok(Step::Done(Outcome::Fragment(Fragment {
                version: 6,
                src: self.out.ip.src,
                dst: self.out.ip.dst,
                ident: f.ident,
                proto: f.next_header,
                offset: f.offset as u32,
                more: f.more,
                l3_off: at as u32,
                unfrag_len: f.header_at as u32,
                nh_field_at: f.next_header_field_at as u32,
                data_off: l4_at as u32,
                data_len: (*end - l4_at) as u32,
            })));
        }
        self.upper(walk.upper_proto, l4_at, *end, missing)
    }

    fn ip_reached(&mut self, at: usize) {
        if self.pkt_at_next_ip {
            self.pkt_at_next_ip = false;
            self.inner_starts(at, LinkType::RAW);
        }
    }

    fn upper(&mut self, proto: u8, at: usize, end: usize, missing: usize) -> Result<Step, DecodeError> {
        let seg = &self.frame[at..end];
        self.out.l4_off = at as u32;
        // By default the payload is everything after the IP header(s).
        self.set_payload(at, end, missing);
        match proto {
            IPPROTO_TCP => match TcpSegment::new_checked(seg) {
                Ok(t) => {
                    self.out.l4 = L4::Tcp(TcpInfo {
                        sport: t.src_port(),
                        dport: t.dst_port(),
                        seq: t.seq(),
                        ack: t.ack(),
                        flags: t.flags(),
                        window: t.window(),
                        header_len: t.header_len() as u8,
                        urgent: if t.flags() & tcp::URG != 0 { t.urgent() } else { 0 },
                    });
                    self.set_payload(at + t.header_len(), end, missing);
                }
                Err(e) => self.l4_failed(e, end),
            },
            IPPROTO_UDP => match UdpDatagram::new_checked(seg) {
                Ok(u) => {
                    let payload_at = at + UdpDatagram::HEADER_LEN;
                    let payload_end = payload_at + u.payload().len();
                    if let Some(next) = self.udp_tunnel(&u, payload_at, payload_end)? {
                        return Ok(Step::Continue(next, payload_end));
                    }
                    self.out.l4 = L4::Udp(UdpInfo { sport: u.src_port(), dport: u.dst_port() });
                    self.set_payload(payload_at, payload_end, missing.max(u.missing()));
                }
                Err(e) => self.l4_failed(e, end),
            },
            IPPROTO_ICMP | IPPROTO_ICMPV6 => match IcmpMessage::new_checked(seg) {
                Ok(i) => {
                    let v6 = proto == IPPROTO_ICMPV6;
                    let id_seq = icmp::has_id_seq(v6, i.msg_type()).then(|| (i.ident(), i.seq()));
                    self.out.l4 = L4::Icmp(IcmpInfo { v6, itype: i.msg_type(), code: i.code(), id_seq });
                    self.set_payload(at + IcmpMessage::HEADER_LEN, end, missing);
                }
                Err(e) => self.l4_failed(e, end),
            },
            IPPROTO_GRE => return self.gre(at, end).map(|n| Step::Continue(n, end)),
            IPPROTO_IPIP => {
                self.enter_tunnel(TunnelKind::IpInIp, 0, 0, None, None)?;
                self.inner_starts(at, LinkType::RAW);
                return Ok(Step::Continue(Next::Ipv4(at), end));
            }
            IPPROTO_IPV6 => {
                self.enter_tunnel(TunnelKind::IpInIp, 0, 0, None, None)?;
                self.inner_starts(at, LinkType::RAW);
                return Ok(Step::Continue(Next::Ipv6(at), end));
            }
            _ => {}
        }
        if missing > 0 {
            self.out.flags |= flags::TRUNCATED;
        }
        Ok(Step::Done(Outcome::Packet))
    }

    fn inner_starts(&mut self, at: usize, linktype: LinkType) {
        self.out.pkt_off = at as u32;
        self.out.pkt_linktype = linktype;
    }

    fn l4_failed(&mut self, e: DecodeError, end: usize) {
        self.out.l4 = L4::None;
        self.out.l4_error = Some(e);
        // The transport header itself is unusable: no payload to inspect.
        self.set_payload(end, end, 0);
    }

    fn set_payload(&mut self, start: usize, end: usize, missing: usize) {
        self.out.payload_off = start as u32;
        self.out.payload_len = end.saturating_sub(start) as u32;
        self.out.payload_missing = missing as u32;
    }
}

/// Where a PPP frame's network-layer packet goes.
fn ppp_next(proto: u16, at: usize) -> Result<Next, DecodeError> {
    match proto {
        ppp::PPP_IPV4 => Ok(Next::Ipv4(at)),
        ppp::PPP_IPV6 => Ok(Next::Ipv6(at)),
        _ => Err(DecodeError::PppUnsupportedProto),
    }
}

enum Step {
    /// Continue with the next layer, within the given end offset.
    Continue(Next, usize),
    Done(Outcome),
}
