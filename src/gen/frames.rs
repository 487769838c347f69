//! Frame builders: plain Ethernet/IP packets (via etherparse's packet
//! builder) and the encapsulations AWS Traffic Mirroring delivers.

use std::net::IpAddr;

use etherparse::PacketBuilder;

use crate::decode::defrag::OverlapPolicy as DefragPolicy;
use crate::decode::ipv4::header_checksum;

pub const MAC_A: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a];
pub const MAC_B: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b];

/// TCP header fields for [`tcp`].
#[derive(Debug, Clone, Copy)]
pub struct TcpSpec {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    /// FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10.
    pub flags: u8,
    pub window: u16,
}

fn ip_step(src: IpAddr, dst: IpAddr, ttl: u8) -> etherparse::PacketBuilderStep<etherparse::IpHeaders> {
    let eth = PacketBuilder::ethernet2(MAC_A, MAC_B);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => eth.ip(etherparse::IpHeaders::Ipv4(
            etherparse::Ipv4Header::new(0, ttl, etherparse::IpNumber(0), s.octets(), d.octets()).unwrap_or_default(),
            Default::default(),
        )),
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V6(a) => a.octets(),
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            };
            eth.ip(etherparse::IpHeaders::Ipv6(
                etherparse::Ipv6Header { hop_limit: ttl, source: v6(s), destination: v6(d), ..Default::default() },
                Default::default(),
            ))
        }
    }
}

/// An Ethernet/IP/TCP frame.
pub fn tcp(src: IpAddr, dst: IpAddr, t: TcpSpec, payload: &[u8]) -> Vec<u8> {
    tcp_with(src, dst, t, TcpExtras::default(), payload)
}

/// What a crafted TCP segment may carry besides [`TcpSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpExtras {
    /// Sets URG with this urgent pointer.
    pub urgent: Option<u16>,
    /// IP TTL (hop limit).
    pub ttl: u8,
}

impl Default for TcpExtras {
    fn default() -> Self {
        TcpExtras { urgent: None, ttl: 64 }
    }
}

/// An Ethernet/IP/TCP frame with an urgent pointer or another TTL.
pub fn tcp_with(src: IpAddr, dst: IpAddr, t: TcpSpec, extras: TcpExtras, payload: &[u8]) -> Vec<u8> {
    let mut b = ip_step(src, dst, extras.ttl).tcp(t.sport, t.dport, t.seq, t.window);
    if let Some(pointer) = extras.urgent {
        b = b.urg(pointer);
    }
    if t.flags & 0x01 != 0 {
        b = b.fin();
    }
    if t.flags & 0x02 != 0 {
        b = b.syn();
    }
    if t.flags & 0x04 != 0 {
        b = b.rst();
    }
    if t.flags & 0x08 != 0 {
        b = b.psh();
    }
    if t.flags & 0x10 != 0 {
        b = b.ack(t.ack);
    }
    let mut out = Vec::with_capacity(payload.len() + 80);
    // Writing into a Vec cannot fail for in-range lengths; an oversize
    // payload yields an empty frame rather than a panic.
    if b.write(&mut out, payload).is_err() {
        out.clear();
    }
    out
}

/// An Ethernet/IP/UDP frame.
pub fn udp(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let b = ip_step(src, dst, 64).udp(sport, dport);
    let mut out = Vec::with_capacity(payload.len() + 64);
    if b.write(&mut out, payload).is_err() {
        out.clear();
    }
    out
}

/// An Ethernet/IPv4/ICMP echo request or reply.
pub fn icmp_echo(src: IpAddr, dst: IpAddr, request: bool, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let step = ip_step(src, dst, 64);
    let b = if request { step.icmpv4_echo_request(id, seq) } else { step.icmpv4_echo_reply(id, seq) };
    let mut out = Vec::with_capacity(payload.len() + 64);
    if b.write(&mut out, payload).is_err() {
        out.clear();
    }
    out
}

/// Wraps an inner Ethernet frame the way AWS Traffic Mirroring delivers it:
/// outer Ethernet/IPv4/UDP to port 4789, VXLAN with the session's VNI. The
/// outer UDP source port is a hash of the inner flow, as AWS does.
pub fn vxlan(inner: &[u8], vni: u32, outer_src: IpAddr, outer_dst: IpAddr, sport: u16) -> Vec<u8> {
    let mut payload = Vec::with_capacity(inner.len() + 8);
    payload.extend_from_slice(&[0x08, 0, 0, 0]);
    payload.extend_from_slice(&(vni << 8).to_be_bytes());
    payload.extend_from_slice(inner);
    udp(outer_src, outer_dst, sport, 4789, &payload)
}

/// Cuts a frame to `keep` bytes, as a capture snap length or AWS's
/// packet-length option does; the IP header keeps its original length.
pub fn truncate(mut frame: Vec<u8>, keep: usize) -> Vec<u8> {
    frame.truncate(keep);
    frame
}

/// Cuts the IPv4 packet of an Ethernet frame into fragments carrying `size`
/// bytes each (a multiple of 8), and gives every fragment past the
/// transport header a twin of junk at the same offset, sent before or
/// after it so that a receiver reassembling with `policy` keeps the real
/// bytes and one with the opposite rule keeps the junk: the classic
/// overlap evasion (Ptacek and Newsham), aimed at one target policy.
/// `id` is the datagram's identification. None when the frame is not an
/// unfragmented IPv4 packet with payload past its transport header.
pub fn fragments_with_junk(frame: &[u8], size: usize, policy: DefragPolicy, id: u16) -> Option<Vec<Vec<u8>>> {
    let size = (size.max(8) / 8) * 8;
    let ip = frame.get(14..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?])).min(ip.len());
    let unfragmented =
        frame.get(12..14)? == [0x08, 0x00] && ip[0] >> 4 == 4 && ip.get(6)? & 0x3f == 0 && *ip.get(7)? == 0;
    let l4 = match ip.get(9)? {
        6 => usize::from(ip.get(ihl + 12)? >> 4) * 4,
        17 => 8,
        _ => return None,
    };
    let body = ip.get(ihl..total)?;
    if !unfragmented || body.len() <= l4 {
        return None;
    }
    // Real data first where the first copy wins on the same offset (first,
    // BSD), last where the later copy does (last, Linux).
    let real_first = matches!(policy, DefragPolicy::First | DefragPolicy::Bsd);
    let (mut out, mut head) = (Vec::new(), Vec::new());
    for (i, piece) in body.chunks(size).enumerate() {
        let off = i * size;
        let more = off + piece.len() < body.len();
        let fragment = |data: &[u8]| {
            let mut f = Vec::with_capacity(14 + ihl + data.len());
            f.extend_from_slice(&frame[..14]);
            f.extend_from_slice(&ip[..ihl]);
            f.extend_from_slice(data);
            let h = &mut f[14..14 + ihl];
            h[2..4].copy_from_slice(&((ihl + data.len()) as u16).to_be_bytes());
            h[4..6].copy_from_slice(&id.to_be_bytes());
            let field = (off / 8) as u16 | if more { 0x2000 } else { 0 };
            h[6..8].copy_from_slice(&field.to_be_bytes());
            h[10..12].fill(0);
            let sum = header_checksum(h);
            h[10..12].copy_from_slice(&sum.to_be_bytes());
            f
        };
        let real = fragment(piece);
        if off < l4 {
            head.push(real);
            continue;
        }
        let junk = fragment(&vec![b'X'; piece.len()]);
        if real_first {
            out.extend([real, junk]);
        } else {
            out.extend([junk, real]);
        }
    }
    // The fragments holding the transport header go last, so the datagram
    // completes only once every pair has arrived: a junk twin can then
    // neither complete it early nor start a datagram of its own that does.
    out.extend(head);
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::decode::defrag::{DefragConfig, Defragmenter};
    use crate::decode::{decode_frame, decode_reassembled, DecodeConfig, Decoded, Outcome};
    use crate::source::LinkType;
    use crate::util::Timestamp;

    /// What a receiver reassembling with `policy` reads from the fragments.
    fn reassemble(frags: &[Vec<u8>], policy: DefragPolicy) -> Vec<u8> {
        let mut defrag = Defragmenter::new(DefragConfig { policy, ..DefragConfig::default() });
        let (mut d, mut out) = (Decoded::default(), Vec::new());
        let cfg = DecodeConfig::default();
        for (i, f) in frags.iter().enumerate() {
            let Ok(Outcome::Fragment(frag)) = decode_frame(f, LinkType::ETHERNET, &cfg, &mut d) else {
                panic!("fragment {i} does not decode as one")
            };
            out.clear();
            if let Some(r) = defrag.insert(f, &frag, &d, Timestamp::from_secs_micros(1, 0), &mut out) {
                assert_eq!(i, frags.len() - 1, "complete before the last fragment");
                let mut whole = Decoded::default();
                assert!(matches!(decode_reassembled(&out, r.l3_off, &r.ctx, &cfg, &mut whole), Ok(Outcome::Packet)));
                return whole.payload(&out).to_vec();
            }
        }
        panic!("never reassembled")
    }

    #[test]
    fn junk_twins_fool_only_the_wrong_policy() {
        let payload = b"GET /etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n";
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let spec = TcpSpec { sport: 4000, dport: 80, seq: 1, ack: 1, flags: 0x18, window: 512 };
        let frame = tcp(a, b, spec, payload);
        for (target, wrong) in [
            (DefragPolicy::First, DefragPolicy::Last),
            (DefragPolicy::Last, DefragPolicy::First),
            (DefragPolicy::Bsd, DefragPolicy::Linux),
            (DefragPolicy::Linux, DefragPolicy::Bsd),
        ] {
            let frags = fragments_with_junk(&frame, 8, target, 77).unwrap();
            assert_eq!(reassemble(&frags, target), payload, "{target:?}");
            let seen = reassemble(&frags, wrong);
            assert_eq!(seen.len(), payload.len());
            assert!(seen.windows(4).any(|w| w == b"XXXX"), "{target:?} read by {wrong:?}: {seen:?}");
        }
        // Not an unfragmented IPv4 packet with payload: left alone.
        assert!(fragments_with_junk(&tcp(a, b, spec, b""), 8, DefragPolicy::Bsd, 1).is_none());
        assert!(fragments_with_junk(&frame[..20], 8, DefragPolicy::Bsd, 1).is_none());
    }
}
