//! Teredo (RFC 4380): IPv6 carried in UDP through IPv4 NATs.
//!
//! Teredo has no header of its own that says "this is Teredo": the UDP
//! payload is an IPv6 packet, optionally preceded by an origin indication
//! (0x0000, then port and address, 8 bytes) or an authentication header
//! (0x0001 ...). Like Suricata 8.0.6 (`DecodeTeredo`, on by default for
//! UDP port 3544 either way), we recognise it by plausibility and, when a
//! datagram is not plausible Teredo, leave it an ordinary UDP datagram,
//! since anything may run on port 3544: no decode error is counted.

use super::icmp::IcmpMessage;
use super::ipv6::Ipv6Packet;
use super::tcp::TcpSegment;
use super::udp::UdpDatagram;
use super::{PortSet, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP};

/// Length of the origin indication (RFC 4380 section 5.1.1).
pub const ORIGIN_INDICATION_LEN: usize = 8;

/// Where Teredo is looked for (`decode.teredo`).
#[derive(Debug, Clone)]
pub enum TeredoPorts {
    Off,
    /// Every UDP datagram (Suricata's `ports: any`, or no ports given).
    Any,
    /// Datagrams with either port in the set.
    Ports(PortSet),
}

impl TeredoPorts {
    pub fn matches(&self, sport: u16, dport: u16) -> bool {
        match self {
            TeredoPorts::Off => false,
            TeredoPorts::Any => true,
            TeredoPorts::Ports(p) => p.contains(sport) || p.contains(dport),
        }
    }
}

impl Default for TeredoPorts {
    /// Suricata's stock `decoder.teredo` (enabled, `$TEREDO_PORTS` 3544).
    fn default() -> Self {
        TeredoPorts::Ports(PortSet::new(&[3544]))
    }
}

/// Where the IPv6 packet starts in a UDP payload that is Teredo, or `None`
/// when the payload is not Teredo as Suricata 8.0.6 tells it.
///
/// Suricata's tests, in its order: at least an IPv6 header's worth; a
/// leading zero byte must begin an origin indication (0x0000, skipped once),
/// anything else there, the authentication header (0x0001) included, is
/// "negotiation, not a tunnel"; then version 6, a hop limit other than 0
/// and no hop-by-hop header shorter than 8 bytes (both artifacts of false
/// detection), and a payload length that accounts for exactly the bytes
/// left. Teredo bubbles (next header 59, no payload) pass these tests and
/// are tunnelled packets for Suricata too.
///
/// Suricata then drops the tunnel packet, and falls back to plain UDP, if
/// decoding it raised an "invalid" event; [`inner_is_valid`] checks the
/// cases our decoder can tell, so that the walk into the tunnel that
/// follows does not fail where Suricata would have kept the UDP datagram.
pub fn ipv6_offset(payload: &[u8]) -> Option<usize> {
    if payload.len() < Ipv6Packet::HEADER_LEN {
        return None;
    }
    let start = match payload {
        [0, 0, ..] if payload.len() >= ORIGIN_INDICATION_LEN + Ipv6Packet::HEADER_LEN => ORIGIN_INDICATION_LEN,
        [0, ..] => return None,
        _ => 0,
    };
    let ip = Ipv6Packet::new_checked(payload.get(start..)?).ok()?;
    if ip.hop_limit() == 0 || (ip.next_header() == 0 && ip.payload_len() < 8) {
        return None;
    }
    if payload.len() != start + Ipv6Packet::HEADER_LEN + ip.payload_len() {
        return None;
    }
    inner_is_valid(payload.get(start..)?).then_some(start)
}

/// Whether the inner IPv6 packet decodes without the errors that make
/// Suricata's decoder flag it invalid: extension headers that run past the
/// packet, a transport header too short for itself, a UDP length other
/// than the datagram's. A later fragment
/// carries no transport header to check (it is checked after reassembly,
/// as a datagram already inside the tunnel).
fn inner_is_valid(packet: &[u8]) -> bool {
    let Ok(ip) = Ipv6Packet::new_checked(packet) else { return false };
    let Ok(walk) = ip.walk() else { return false };
    if walk.fragment.is_some() {
        return true;
    }
    let Some(seg) = ip.datagram().get(walk.upper_at..) else { return false };
    match walk.upper_proto {
        IPPROTO_TCP => TcpSegment::new_checked(seg).is_ok(),
        // Suricata's UDP decoder flags any length field other than the
        // bytes there; the IPv6 length already matched, so no truncation.
        IPPROTO_UDP => UdpDatagram::new_checked(seg).is_ok_and(|u| u.length() == seg.len()),
        IPPROTO_ICMPV6 => IcmpMessage::new_checked(seg).is_ok(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv6 header with the given next header and hop limit, then `body`.
    fn v6(nh: u8, hlim: u8, body: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&(body.len() as u16).to_be_bytes());
        p.extend_from_slice(&[nh, hlim]);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(&[0x20, 0x01, 0, 0]);
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(body);
        p
    }

    fn udp(payload: &[u8]) -> Vec<u8> {
        let mut u = vec![0x9c, 0x40, 0x00, 0x35];
        u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(payload);
        u
    }

    #[test]
    fn plain_and_origin_indication() {
        let p = v6(17, 64, &udp(b"hello"));
        assert_eq!(ipv6_offset(&p), Some(0));
        assert!(inner_is_valid(&p));
        let mut o = vec![0, 0, 0xf2, 0x27, 0x3f, 0xf5, 0xfd, 0x9d];
        o.extend_from_slice(&p);
        assert_eq!(ipv6_offset(&o), Some(8));
        // A bubble: no next header, no payload.
        assert_eq!(ipv6_offset(&v6(59, 255, &[])), Some(0));
    }

    #[test]
    fn not_teredo() {
        let p = v6(17, 64, &udp(b"hello"));
        // Authentication header, then the packet: negotiation, not tunnel.
        let mut a = vec![0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        a.extend_from_slice(&p);
        assert_eq!(ipv6_offset(&a), None);
        // Two origin indications: only one is skipped.
        let mut o = vec![0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 1, 2, 3, 4, 5, 6];
        o.extend_from_slice(&p);
        assert_eq!(ipv6_offset(&o), None);
        // Trailing byte, hop limit 0, short hop-by-hop, IPv4, too short.
        let mut t = p.clone();
        t.push(0);
        assert_eq!(ipv6_offset(&t), None);
        assert_eq!(ipv6_offset(&v6(17, 0, &udp(b"x"))), None);
        assert_eq!(ipv6_offset(&v6(0, 64, &[17, 0, 0, 0])), None);
        let mut four = p.clone();
        four[0] = 0x45;
        assert_eq!(ipv6_offset(&four), None);
        assert_eq!(ipv6_offset(&p[..39]), None);
        assert_eq!(ipv6_offset(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n....."), None);
        assert_eq!(ipv6_offset(&[0; 47]), None);
    }

    #[test]
    fn invalid_inner_packet() {
        // A UDP header too short for itself; a TCP data offset below 5.
        assert!(!inner_is_valid(&v6(17, 64, &[0; 4])));
        let mut long = udp(b"abc");
        long[5] += 1;
        assert!(!inner_is_valid(&v6(17, 64, &long)));
        let mut tcp = [0u8; 20];
        tcp[12] = 0x40;
        assert!(!inner_is_valid(&v6(6, 64, &tcp)));
        // A destination-options header claiming more than there is.
        assert!(!inner_is_valid(&v6(60, 64, &[17, 4, 0, 0, 0, 0, 0, 0])));
        assert!(inner_is_valid(&v6(59, 64, &[])));
    }

    #[test]
    fn ports() {
        let p = TeredoPorts::default();
        assert!(p.matches(3544, 50000) && p.matches(50000, 3544) && !p.matches(50000, 3545));
        assert!(TeredoPorts::Any.matches(1, 2));
        assert!(!TeredoPorts::Off.matches(3544, 3544));
    }
}
