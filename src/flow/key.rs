//! Flow identity: the inner 5-tuple plus the tunnel it came through.

use std::hash::BuildHasher;
use std::net::IpAddr;

use crate::decode::{Decoded, TunnelKind, L4};

fn addr_bytes(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// Both directions of a connection map to the same key: the endpoints are
/// stored in a canonical order. The mirror session (VNI) and the address
/// that sent the mirrored copy are part of the identity, so identical inner
/// 5-tuples from different sessions or ENIs never merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    addrs: [[u8; 16]; 2],
    ports: [u16; 2],
    proto: u8,
    vni: u32,
    has_vni: bool,
    tunnel_src: [u8; 16],
}

impl FlowKey {
    /// The key of a decoded packet, and whether the packet travels from the
    /// key's first endpoint to its second.
    pub fn of(dec: &Decoded) -> (FlowKey, bool) {
        let (sp, dp) = match dec.l4 {
            L4::Tcp(_) | L4::Udp(_) => dec.ports(),
            // ICMP: one flow per host pair and ICMP version, as Suricata.
            _ => (0, 0),
        };
        let a = (addr_bytes(dec.ip.src), sp);
        let b = (addr_bytes(dec.ip.dst), dp);
        let forward = a <= b;
        let (lo, hi) = if forward { (a, b) } else { (b, a) };
        let (vni, has_vni, tunnel_src) = match &dec.tunnel {
            Some(t) => {
                // A routed tunnel (GRE, IP in IP, Teredo between client and
                // relay) carries the two directions with its ends swapped,
                // where a mirror encapsulation has one sender for both: the
                // lower end names the tunnel then.
                let src = addr_bytes(t.outer_src);
                let end = match t.kind {
                    TunnelKind::Gre | TunnelKind::IpInIp | TunnelKind::Teredo => src.min(addr_bytes(t.outer_dst)),
                    TunnelKind::Vxlan | TunnelKind::Geneve | TunnelKind::Erspan => src,
                };
                (t.vni.unwrap_or(0), t.vni.is_some(), end)
            }
            None => (0, false, [0; 16]),
        };
        let key = FlowKey { addrs: [lo.0, hi.0], ports: [lo.1, hi.1], proto: dec.ip.proto, vni, has_vni, tunnel_src };
        (key, forward)
    }

    /// A hash equal for both directions, for pinning a flow to a worker.
    /// Fixed-seeded so every thread agrees.
    pub fn worker_hash(&self) -> u64 {
        foldhash::fast::FixedState::with_seed(0x6d69_7272_6f72).hash_one(self)
    }

    pub fn proto(&self) -> u8 {
        self.proto
    }

    /// The mirror session (VXLAN/GENEVE VNI, GRE key) the flow came in.
    pub fn vni(&self) -> Option<u32> {
        self.has_vni.then_some(self.vni)
    }

    /// The address that sent the tunnel (the mirrored ENI), if any; for
    /// GRE and IP in IP the lower of the tunnel's two end addresses.
    pub fn tunnel_src(&self) -> Option<IpAddr> {
        if self.tunnel_src == [0; 16] {
            return None;
        }
        let v6 = std::net::Ipv6Addr::from(self.tunnel_src);
        Some(match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode_frame, DecodeConfig};
    use crate::gen::frames::{self, TcpSpec};
    use crate::source::LinkType;

    fn dec(frame: &[u8]) -> Decoded {
        let mut d = Decoded::default();
        decode_frame(frame, LinkType::ETHERNET, &DecodeConfig::default(), &mut d).unwrap();
        d
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn both_directions_same_key() {
        let t = TcpSpec { sport: 1234, dport: 80, seq: 1, ack: 0, flags: 0x02, window: 1 };
        let a = dec(&frames::tcp(ip("10.0.0.1"), ip("10.0.0.2"), t, b""));
        let t2 = TcpSpec { sport: 80, dport: 1234, ..t };
        let b = dec(&frames::tcp(ip("10.0.0.2"), ip("10.0.0.1"), t2, b""));
        let (ka, fa) = FlowKey::of(&a);
        let (kb, fb) = FlowKey::of(&b);
        assert_eq!(ka, kb);
        assert_ne!(fa, fb);
        assert_eq!(ka.worker_hash(), kb.worker_hash());
    }

    #[test]
    fn routed_gre_tunnel_directions_share_a_flow() {
        let t = TcpSpec { sport: 1234, dport: 22, seq: 1, ack: 0, flags: 0x02, window: 1 };
        let a = frames::tcp(ip("10.0.0.1"), ip("10.0.0.2"), t, b"");
        let b = frames::tcp(ip("10.0.0.2"), ip("10.0.0.1"), TcpSpec { sport: 22, dport: 1234, ..t }, b"");
        // Ethernet, IPv4 (protocol 47), GRE carrying the inner IP packet.
        let gre = |inner: &[u8], src: [u8; 4], dst: [u8; 4]| {
            let mut payload = vec![0, 0, 0x08, 0x00];
            payload.extend_from_slice(&inner[14..]);
            let mut out = Vec::new();
            etherparse::PacketBuilder::ethernet2(frames::MAC_A, frames::MAC_B)
                .ipv4(src, dst, 64)
                .write(&mut out, etherparse::IpNumber::GRE, &payload)
                .unwrap();
            out
        };
        let ka = FlowKey::of(&dec(&gre(&a, [192, 0, 2, 1], [192, 0, 2, 9]))).0;
        let kb = FlowKey::of(&dec(&gre(&b, [192, 0, 2, 9], [192, 0, 2, 1]))).0;
        assert_eq!(ka, kb);
        assert_eq!(ka.tunnel_src(), Some(ip("192.0.2.1")));
    }

    #[test]
    fn teredo_directions_share_a_flow() {
        // Client to relay and back: outer addresses and ports swapped.
        let a = frames::udp(ip("2001:db8::1"), ip("2001:db8::2"), 40000, 53, b"q");
        let b = frames::udp(ip("2001:db8::2"), ip("2001:db8::1"), 53, 40000, b"r");
        let ka = FlowKey::of(&dec(&frames::udp(ip("192.0.2.9"), ip("192.0.2.1"), 51234, 3544, &a[14..]))).0;
        let kb = FlowKey::of(&dec(&frames::udp(ip("192.0.2.1"), ip("192.0.2.9"), 3544, 51234, &b[14..]))).0;
        assert_eq!(ka, kb);
        assert_eq!((ka.tunnel_src(), ka.vni()), (Some(ip("192.0.2.1")), None));
    }

    #[test]
    fn tunnel_identity_separates_flows() {
        let t = TcpSpec { sport: 1234, dport: 80, seq: 1, ack: 0, flags: 0x02, window: 1 };
        let inner = frames::tcp(ip("10.0.0.1"), ip("10.0.0.2"), t, b"");
        let s1 = dec(&frames::vxlan(&inner, 100, ip("172.31.0.1"), ip("172.31.9.9"), 1));
        let s2 = dec(&frames::vxlan(&inner, 200, ip("172.31.0.1"), ip("172.31.9.9"), 1));
        let s3 = dec(&frames::vxlan(&inner, 100, ip("172.31.0.2"), ip("172.31.9.9"), 1));
        let plain = dec(&inner);
        let keys = [FlowKey::of(&s1).0, FlowKey::of(&s2).0, FlowKey::of(&s3).0, FlowKey::of(&plain).0];
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(keys[i], keys[j], "{i} vs {j}");
            }
        }
    }
}
