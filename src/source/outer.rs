//! Rebuilds the outer headers the kernel stripped from a received tunnel
//! datagram.
//!
//! A UDP socket hands us the VXLAN or GENEVE header onward; the outer
//! Ethernet, IP and UDP headers are gone. Writing them back in front of the
//! payload (into headroom reserved in the receive buffer, so nothing is
//! copied) lets the engine decode exactly the bytes it would see in a
//! capture taken on the sensor: the same decoder, the same flow identity
//! (tunnel source, VNI), the same alert fields as `replay`.

use std::net::IpAddr;

use crate::decode::ipv4::header_checksum;

/// Bytes reserved in front of each datagram: Ethernet + IPv6 + UDP.
pub const HEADROOM: usize = ETH_LEN + IPV6_LEN + UDP_LEN;

const ETH_LEN: usize = 14;
const IPV4_LEN: usize = 20;
const IPV6_LEN: usize = 40;
const UDP_LEN: usize = 8;

/// The addresses of one received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OuterAddrs {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
}

/// Writes Ethernet/IP/UDP headers ending right before `buf[payload_at..]`
/// and returns where the frame starts. The payload is `payload_len` bytes.
/// Returns None when the headroom is too small or the addresses mix IPv4
/// and IPv6 (the caller maps v4-mapped IPv6 addresses first).
pub fn write_outer(buf: &mut [u8], payload_at: usize, payload_len: usize, a: &OuterAddrs) -> Option<usize> {
    let udp_len = UDP_LEN + payload_len;
    let (ip_len, ethertype) = match (a.src, a.dst) {
        (IpAddr::V4(_), IpAddr::V4(_)) => (IPV4_LEN, 0x0800u16),
        (IpAddr::V6(_), IpAddr::V6(_)) => (IPV6_LEN, 0x86dd),
        _ => return None,
    };
    let start = payload_at.checked_sub(ETH_LEN + ip_len + UDP_LEN)?;
    let hdr = buf.get_mut(start..payload_at)?;
    let (eth, rest) = hdr.split_at_mut(ETH_LEN);
    let (ip, udp) = rest.split_at_mut(ip_len);
    eth[..12].fill(0);
    eth[12..14].copy_from_slice(&ethertype.to_be_bytes());
    match (a.src, a.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            // Datagrams over 65,535 bytes cannot exist on a UDP socket; the
            // clamp only keeps the field well-formed.
            let total = u16::try_from(IPV4_LEN + udp_len).unwrap_or(u16::MAX);
            ip.copy_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            ip[2..4].copy_from_slice(&total.to_be_bytes());
            ip[12..16].copy_from_slice(&s.octets());
            ip[16..20].copy_from_slice(&d.octets());
            let sum = header_checksum(ip);
            ip[10..12].copy_from_slice(&sum.to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let plen = u16::try_from(udp_len).unwrap_or(u16::MAX);
            ip[..8].copy_from_slice(&[0x60, 0, 0, 0, 0, 0, 17, 64]);
            ip[4..6].copy_from_slice(&plen.to_be_bytes());
            ip[8..24].copy_from_slice(&s.octets());
            ip[24..40].copy_from_slice(&d.octets());
        }
        _ => return None,
    }
    udp[0..2].copy_from_slice(&a.sport.to_be_bytes());
    udp[2..4].copy_from_slice(&a.dport.to_be_bytes());
    udp[4..6].copy_from_slice(&u16::try_from(udp_len).unwrap_or(u16::MAX).to_be_bytes());
    // UDP checksum 0: "not computed", legal for IPv4 and accepted by our
    // decoder for IPv6 (AWS leaves stale checksums anyway).
    udp[6..8].fill(0);
    Some(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode_frame, DecodeConfig, Decoded, Outcome};
    use crate::source::LinkType;

    fn vxlan_payload(vni: u32) -> Vec<u8> {
        let mut p = vec![0x08, 0, 0, 0];
        p.extend_from_slice(&(vni << 8).to_be_bytes());
        // Inner Ethernet + IPv4 + UDP 53 with 4 bytes of payload.
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(&[0x08, 0x00]);
        p.extend_from_slice(&[0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4]);
        p
    }

    fn roundtrip(src: &str, dst: &str) -> Decoded {
        let payload = vxlan_payload(77);
        let mut buf = vec![0u8; HEADROOM + payload.len()];
        buf[HEADROOM..].copy_from_slice(&payload);
        let a = OuterAddrs { src: src.parse().unwrap(), dst: dst.parse().unwrap(), sport: 40000, dport: 4789 };
        let start = write_outer(&mut buf, HEADROOM, payload.len(), &a).unwrap();
        let mut dec = Decoded::default();
        let out = decode_frame(&buf[start..], LinkType::ETHERNET, &DecodeConfig::default(), &mut dec).unwrap();
        assert!(matches!(out, Outcome::Packet));
        dec
    }

    #[test]
    fn rebuilt_ipv4_outer_decodes_as_a_mirrored_frame() {
        let dec = roundtrip("192.0.2.10", "192.0.2.20");
        let t = dec.tunnel.unwrap();
        assert_eq!(t.outer_src, "192.0.2.10".parse::<IpAddr>().unwrap());
        assert_eq!(t.outer_dst, "192.0.2.20".parse::<IpAddr>().unwrap());
        assert_eq!(t.outer_sport, 40000);
        assert_eq!(t.vni, Some(77));
        assert_eq!(dec.ip.src, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert!(!dec.is_truncated());
    }

    #[test]
    fn rebuilt_ipv6_outer_decodes_as_a_mirrored_frame() {
        let dec = roundtrip("2001:db8::1", "2001:db8::2");
        let t = dec.tunnel.unwrap();
        assert_eq!(t.outer_src, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(t.vni, Some(77));
        assert_eq!(dec.ip.dst, "10.0.0.2".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn mixed_families_and_short_headroom_are_refused() {
        let mut buf = vec![0u8; 100];
        let a = OuterAddrs { src: "10.0.0.1".parse().unwrap(), dst: "::1".parse().unwrap(), sport: 1, dport: 2 };
        assert_eq!(write_outer(&mut buf, HEADROOM, 10, &a), None);
        let a = OuterAddrs { dst: "10.0.0.2".parse().unwrap(), ..a };
        assert_eq!(write_outer(&mut buf, 20, 10, &a), None);
    }

    #[test]
    fn ipv4_header_checksum_verifies() {
        let mut buf = vec![0u8; HEADROOM + 8];
        let a =
            OuterAddrs { src: "10.1.2.3".parse().unwrap(), dst: "10.4.5.6".parse().unwrap(), sport: 1, dport: 4789 };
        let start = write_outer(&mut buf, HEADROOM, 8, &a).unwrap();
        let ip = &buf[start + 14..start + 34];
        assert_eq!(header_checksum(ip), 0);
    }
}
