//! Packet sources: where frames come from before decoding.
//!
//! A source hands the engine raw frames with their capture metadata. Offline
//! replay reads pcap/pcapng files ([`pcap`]); the live sensor receives
//! tunnels on UDP sockets or frames on AF_PACKET sockets ([`socket`]),
//! in batches ([`mmsg`]), and rebuilds the outer headers the kernel
//! stripped ([`outer`]), so both feed the same engine the same bytes.

pub mod mmsg;
pub mod outer;
pub mod pcap;
pub mod socket;

use crate::util::Timestamp;

/// Link-layer types we decode (values from the tcpdump.org LINKTYPE registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u16);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const C_HDLC: LinkType = LinkType(104);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);
    /// Some BSD-derived writers use DLT_RAW's historical value.
    pub const RAW_BSD: LinkType = LinkType(12);
    pub const RAW_OPENBSD: LinkType = LinkType(14);
    /// PPP with HDLC-like framing (address, control, protocol).
    pub const PPP: LinkType = LinkType(9);
    /// PPP in HDLC framing as written for serial links; the same header.
    pub const PPP_HDLC: LinkType = LinkType(50);
    /// Raw IP carrying GRE, as written by some GRE collectors.
    pub const GRE_OVER_IP: LinkType = LinkType(778);

    /// The number Suricata logs in `packet_info.linktype`: libpcap's DLT
    /// value, which for raw IP is DLT_RAW (12 on Linux) whatever LINKTYPE
    /// number the file carries.
    pub fn dlt(self) -> u16 {
        match self {
            LinkType::RAW | LinkType::RAW_BSD | LinkType::RAW_OPENBSD => 12,
            other => other.0,
        }
    }

    /// The descriptive name Suricata logs in `packet_info.linktype_name`.
    pub fn name(self) -> &'static str {
        match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "EN10MB",
            LinkType::RAW | LinkType::RAW_BSD | LinkType::RAW_OPENBSD => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::C_HDLC => "C_HDLC",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPv4",
            LinkType::IPV6 => "IPv6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            LinkType::PPP => "PPP",
            LinkType::PPP_HDLC => "PPP_HDLC",
            LinkType::GRE_OVER_IP => "GRE_RAW",
            _ => "UNKNOWN",
        }
    }
}

/// Capture metadata of one frame; the bytes travel separately (in a batch
/// buffer) so that reading a packet never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameMeta {
    pub ts: Timestamp,
    pub linktype: LinkType,
    /// Length of the frame on the wire; larger than the captured length when
    /// the capture was cut by a snap length.
    pub wire_len: u32,
    /// Bytes captured.
    pub cap_len: u32,
}
