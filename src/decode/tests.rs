//! Frame-level decode tests: whole frames as bytes, built with the
//! generator's builders or by hand.

use std::net::IpAddr;

use super::*;
use crate::gen::frames::{self, TcpSpec};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn decode(frame: &[u8]) -> (Result<Outcome, DecodeError>, Decoded) {
    let mut d = Decoded::default();
    let r = decode_frame(frame, LinkType::ETHERNET, &DecodeConfig::default(), &mut d);
    (r, d)
}

fn syn(payload: &[u8]) -> Vec<u8> {
    let t = TcpSpec { sport: 40000, dport: 80, seq: 7, ack: 0, flags: 0x18, window: 512 };
    frames::tcp(ip("10.0.0.1"), ip("10.0.0.2"), t, payload)
}

#[test]
fn plain_tcp() {
    let f = syn(b"GET / HTTP/1.1\r\n");
    let (r, d) = decode(&f);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!(d.ip.version, 4);
    assert_eq!(d.ip.src, ip("10.0.0.1"));
    assert_eq!(d.ports(), (40000, 80));
    assert_eq!(d.payload(&f), b"GET / HTTP/1.1\r\n");
    assert!(d.tunnel.is_none());
    assert!(!d.is_truncated());
    assert_eq!(d.ether.unwrap().src, frames::MAC_A);
}

#[test]
fn vxlan_mirror_copy() {
    let inner = syn(b"hello");
    let outer = frames::vxlan(&inner, 0x00ab_cdef, ip("172.31.0.10"), ip("172.31.9.9"), 51234);
    let (r, d) = decode(&outer);
    assert_eq!(r, Ok(Outcome::Packet));
    let t = d.tunnel.unwrap();
    assert_eq!((t.kind, t.vni, t.depth), (TunnelKind::Vxlan, Some(0x00ab_cdef), 1));
    assert_eq!((t.outer_src, t.outer_sport, t.outer_dport), (ip("172.31.0.10"), 51234, 4789));
    assert_eq!(d.ip.src, ip("10.0.0.1"));
    assert_eq!(d.payload(&outer), b"hello");
    // Logged from the inner IP header, as Suricata does.
    assert_eq!((d.pkt_off, d.pkt_linktype, t.pkt_src), (d.l3_off, LinkType::RAW, "vxlan encapsulation"));
}

#[test]
fn vxlan_port_is_configurable() {
    let inner = syn(b"x");
    let mut outer = frames::vxlan(&inner, 1, ip("172.31.0.10"), ip("172.31.9.9"), 1000);
    // Move the outer destination port to 8472 (Linux's historical VXLAN port).
    let udp_at = 14 + 20;
    outer[udp_at + 2..udp_at + 4].copy_from_slice(&8472u16.to_be_bytes());
    let (_, d) = decode(&outer);
    assert!(d.tunnel.is_none(), "not VXLAN on an unconfigured port");
    let cfg = DecodeConfig { vxlan_ports: PortSet::new(&[4789, 8472]), ..DecodeConfig::default() };
    let mut d = Decoded::default();
    decode_frame(&outer, LinkType::ETHERNET, &cfg, &mut d).unwrap();
    assert_eq!(d.tunnel.unwrap().vni, Some(1));
}

#[test]
fn truncated_jumbo_inside_vxlan() {
    // A 9001-byte inner segment cut to what AWS would deliver.
    let inner = syn(&vec![b'A'; 9001 - 54]);
    let outer = frames::vxlan(&inner, 7, ip("172.31.0.10"), ip("172.31.9.9"), 1);
    // The mirror keeps 8500 bytes after the VXLAN header; the outer headers
    // are rebuilt around the cut copy so they are self-consistent.
    let cut = frames::vxlan(&inner[..8500], 7, ip("172.31.0.10"), ip("172.31.9.9"), 1);
    assert!(cut.len() < outer.len());
    let (r, d) = decode(&cut);
    assert_eq!(r, Ok(Outcome::Packet));
    assert!(d.is_truncated());
    assert_eq!(d.payload_len as usize, 8500 - 54);
    assert_eq!(d.payload_missing as usize, 9001 - 8500);
}

#[test]
fn snaplen_cut_is_truncation() {
    let f = syn(&[b'z'; 500]);
    let cut = &f[..100];
    let (r, d) = decode(cut);
    assert_eq!(r, Ok(Outcome::Packet));
    assert!(d.is_truncated());
    assert_eq!(d.payload_len, 100 - 54);
    assert_eq!(d.payload_missing, 500 - (100 - 54));
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut f = syn(b"");
    f.extend_from_slice(&[0; 6]);
    let (_, d) = decode(&f);
    assert_eq!(d.payload_len, 0);
    assert!(!d.is_truncated());
}

#[test]
fn qinq_vlans() {
    let inner = syn(b"v");
    let mut f = inner[..12].to_vec();
    f.extend_from_slice(&[0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14]);
    f.extend_from_slice(&inner[12..]);
    let (r, d) = decode(&f);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!(d.vlans(), &[10, 20]);
    assert_eq!(d.payload(&f), b"v");
}

#[test]
fn gre_and_ipip() {
    let inner = syn(b"gre");
    // Outer Ethernet + IPv4(proto 47) + GRE(0x0800) + inner IP packet.
    let inner_ip = &inner[14..];
    let mut gre_payload = vec![0, 0, 0x08, 0x00];
    gre_payload.extend_from_slice(inner_ip);
    let outer = raw_ipv4_frame(47, &gre_payload);
    let (r, d) = decode(&outer);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!(d.tunnel.unwrap().kind, TunnelKind::Gre);
    assert_eq!(d.payload(&outer), b"gre");

    let outer = raw_ipv4_frame(4, inner_ip);
    let (r, d) = decode(&outer);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!(d.tunnel.unwrap().kind, TunnelKind::IpInIp);
    assert_eq!(d.ip.dst, ip("10.0.0.2"));
}

/// Ethernet + IPv4 (1.1.1.1 -> 2.2.2.2) with the given protocol and payload.
fn raw_ipv4_frame(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00];
    let total = (20 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0, 0, 64, proto, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    f.extend_from_slice(payload);
    f
}

#[test]
fn tunnel_loop_is_bounded() {
    // IP-in-IP nested far deeper than allowed.
    let mut pkt = syn(b"deep")[14..].to_vec();
    for _ in 0..10 {
        let mut outer = vec![0x45, 0];
        outer.extend_from_slice(&((20 + pkt.len()) as u16).to_be_bytes());
        outer.extend_from_slice(&[0, 1, 0, 0, 64, 4, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
        outer.extend_from_slice(&pkt);
        pkt = outer;
    }
    let mut d = Decoded::default();
    let r = decode_frame(&pkt, LinkType::RAW, &DecodeConfig::default(), &mut d);
    assert_eq!(r, Err(DecodeError::TunnelTooDeep));
}

#[test]
fn invalid_transport_header_keeps_ip() {
    // TCP data offset 6 with a 20-byte segment (seen in real scans).
    let mut f = syn(b"");
    f[14 + 20 + 12] = 0x60;
    let (r, d) = decode(&f);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!(d.l4, L4::None);
    assert_eq!(d.l4_error, Some(DecodeError::TcpTooShort));
    assert_eq!(d.ip.proto, 6);
}

#[test]
fn other_link_types() {
    let f = syn(b"raw");
    let ipv4 = &f[14..];
    for lt in [LinkType::RAW, LinkType::IPV4] {
        let mut d = Decoded::default();
        decode_frame(ipv4, lt, &DecodeConfig::default(), &mut d).unwrap();
        assert_eq!(d.payload(ipv4), b"raw");
    }
    let mut null = vec![2, 0, 0, 0];
    null.extend_from_slice(ipv4);
    let mut d = Decoded::default();
    decode_frame(&null, LinkType::NULL, &DecodeConfig::default(), &mut d).unwrap();
    assert_eq!(d.payload(&null), b"raw");
    let mut sll = vec![0u8; 14];
    sll.extend_from_slice(&[0x08, 0x00]);
    sll.extend_from_slice(ipv4);
    decode_frame(&sll, LinkType::LINUX_SLL, &DecodeConfig::default(), &mut d).unwrap();
    assert_eq!(d.payload(&sll), b"raw");
    assert_eq!(
        decode_frame(&sll, LinkType(147), &DecodeConfig::default(), &mut d),
        Err(DecodeError::UnsupportedLinkType)
    );
}

#[test]
fn ipv6_udp_and_icmp() {
    let f = frames::udp(ip("2001:db8::1"), ip("2001:db8::2"), 5353, 53, b"q");
    let (r, d) = decode(&f);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!(d.ip.version, 6);
    assert_eq!(d.l4, L4::Udp(UdpInfo { sport: 5353, dport: 53 }));
    let f = frames::icmp_echo(ip("10.0.0.1"), ip("10.0.0.2"), true, 9, 3, b"ping");
    let (_, d) = decode(&f);
    assert_eq!(d.l4, L4::Icmp(IcmpInfo { v6: false, itype: 8, code: 0, id_seq: Some((9, 3)) }));
    assert_eq!(d.payload(&f), b"ping");
}

#[test]
fn arp_is_counted_not_ip() {
    let mut f = vec![0xff; 12];
    f.extend_from_slice(&[0x08, 0x06]);
    f.extend_from_slice(&[0; 28]);
    assert_eq!(decode(&f).0, Err(DecodeError::NotIp));
}

#[test]
fn ipv4_fragment_is_handed_to_defrag() {
    let mut f = syn(b"0123456789abcdef");
    let ip_at = 14;
    f[ip_at + 6] = 0x20; // MF
    let (r, _) = decode(&f);
    let Ok(Outcome::Fragment(frag)) = r else { panic!("expected fragment, got {r:?}") };
    assert_eq!((frag.offset, frag.more, frag.l3_off, frag.unfrag_len), (0, true, 14, 20));
    assert_eq!(frag.data_len as usize, 20 + 16);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
    /// No input panics, whatever the link type.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), lt in 0u16..300) {
        let mut d = Decoded::default();
        let _ = decode_frame(&bytes, LinkType(lt), &DecodeConfig::default(), &mut d);
    }

    /// Mutating any byte of a real VXLAN frame never panics, and a decoded
    /// payload always lies within the frame.
    #[test]
    fn mutated_vxlan_never_panics(at in 0usize..120, val in proptest::prelude::any::<u8>(), cut in 0usize..130) {
        let inner = syn(b"payload bytes here");
        let mut outer = frames::vxlan(&inner, 5, ip("172.31.0.1"), ip("172.31.0.2"), 9);
        let at = at % outer.len();
        outer[at] = val;
        outer.truncate(cut.min(outer.len()));
        let mut d = Decoded::default();
        if decode_frame(&outer, LinkType::ETHERNET, &DecodeConfig::default(), &mut d).is_ok() {
            proptest::prop_assert!((d.payload_off + d.payload_len) as usize <= outer.len());
        }
    }
}

fn decode_as(frame: &[u8], lt: LinkType) -> (Result<Outcome, DecodeError>, Decoded) {
    let mut d = Decoded::default();
    let r = decode_frame(frame, lt, &DecodeConfig::default(), &mut d);
    (r, d)
}

/// The Ethernet frame `f` with its ethertype replaced by `ethertype` and
/// `shim` inserted before the IP header.
fn with_shim(f: &[u8], ethertype: u16, shim: &[u8]) -> Vec<u8> {
    let mut out = f[..12].to_vec();
    out.extend_from_slice(&ethertype.to_be_bytes());
    out.extend_from_slice(shim);
    out.extend_from_slice(&f[14..]);
    out
}

#[test]
fn ppp_link_types() {
    let f = syn(b"ppp");
    for (lt, header) in [
        (LinkType::PPP, &[0xff, 0x03, 0x00, 0x21][..]),
        (LinkType::PPP_HDLC, &[0xff, 0x03, 0x00, 0x21][..]),
        (LinkType::PPP, &[0x21][..]),
    ] {
        let mut p = header.to_vec();
        p.extend_from_slice(&f[14..]);
        let (r, d) = decode_as(&p, lt);
        assert_eq!(r, Ok(Outcome::Packet), "{lt:?} {header:?}");
        assert_eq!(d.payload(&p), b"ppp");
        assert!(d.tunnel.is_none() && d.ether.is_none());
    }
    // LCP is PPP's own control traffic, not IP.
    let (r, _) = decode_as(&[0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4], LinkType::PPP);
    assert_eq!(r, Err(DecodeError::PppUnsupportedProto));
    assert_eq!(decode_as(&[0xff, 0x03, 0x00], LinkType::PPP).0, Err(DecodeError::PppTooShort));
}

#[test]
fn gre_over_ip_link_type() {
    let inner = syn(b"gre");
    let mut gre = vec![0, 0, 0x08, 0x00];
    gre.extend_from_slice(&inner[14..]);
    let outer = raw_ipv4_frame(IPPROTO_GRE, &gre);
    let (r, d) = decode_as(&outer[14..], LinkType::GRE_OVER_IP);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!(d.tunnel.unwrap().kind, TunnelKind::Gre);
    assert_eq!(d.payload(&outer[14..]), b"gre");
}

#[test]
fn pppoe_session_and_discovery() {
    let f = syn(b"pppoe");
    let ip_len = (f.len() - 14 + 2) as u16;
    let mut shim = vec![0x11, 0x00, 0x00, 0x2a];
    shim.extend_from_slice(&ip_len.to_be_bytes());
    shim.extend_from_slice(&[0x00, 0x21]);
    let p = with_shim(&f, ethernet::ETHERTYPE_PPPOE_SESSION, &shim);
    let (r, d) = decode(&p);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!(d.payload(&p), b"pppoe");
    // A session frame with a discovery code is malformed.
    let mut bad = p.clone();
    bad[15] = 0x09;
    assert_eq!(decode(&bad).0, Err(DecodeError::PppoeWrongCode));
    assert_eq!(decode(&p[..14 + 5]).0, Err(DecodeError::PppoeTooShort));
    // PADI: counted as not IP; a bad code or tag is an anomaly.
    let padi = [0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0];
    let mut disc = f[..12].to_vec();
    disc.extend_from_slice(&ethernet::ETHERTYPE_PPPOE_DISCOVERY.to_be_bytes());
    disc.extend_from_slice(&padi);
    assert_eq!(decode(&disc).0, Err(DecodeError::NotIp));
    disc[14 + 1] = 0x00;
    assert_eq!(decode(&disc).0, Err(DecodeError::PppoeWrongCode));
}

#[test]
fn mpls_on_ethernet_and_in_gre() {
    let f = syn(b"mpls");
    // Two labels, IPv4 guessed from the payload's first nibble.
    let p = with_shim(&f, mpls::ETHERTYPE_MPLS_UNICAST, &[0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40]);
    let (r, d) = decode(&p);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!((d.payload(&p), d.ip.src), (&b"mpls"[..], ip("10.0.0.1")));
    // An Ethernet pseudowire: control word, then the customer's frame.
    let mut pw = f[..12].to_vec();
    pw.extend_from_slice(&mpls::ETHERTYPE_MPLS_UNICAST.to_be_bytes());
    pw.extend_from_slice(&[0x00, 0x01, 0x01, 0x40, 0, 0, 0, 0]);
    pw.extend_from_slice(&f);
    let (r, d) = decode(&pw);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!(d.payload(&pw), b"mpls");
    assert_eq!(decode(&pw[..14 + 6]).0, Err(DecodeError::MplsTooShort));
    // MPLS in GRE (RFC 4023).
    let mut gre = vec![0, 0, 0x88, 0x47, 0x00, 0x01, 0x01, 0x40];
    gre.extend_from_slice(&f[14..]);
    let outer = raw_ipv4_frame(IPPROTO_GRE, &gre);
    let (r, d) = decode(&outer);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!((d.tunnel.unwrap().kind, d.payload(&outer)), (TunnelKind::Gre, &b"mpls"[..]));
}

#[test]
fn geneve_and_gre_carrying_raw_ip() {
    let inner = syn(b"rawinner");
    // GENEVE, protocol type IPv4: no inner Ethernet header.
    let mut gen = vec![0, 0, 0x08, 0x00, 0, 0, 9, 0];
    gen.extend_from_slice(&inner[14..]);
    let outer = frames::udp(ip("172.31.0.10"), ip("172.31.9.9"), 1000, 6081, &gen);
    let (r, d) = decode(&outer);
    assert_eq!(r, Ok(Outcome::Packet));
    let t = d.tunnel.unwrap();
    assert_eq!((t.kind, t.vni, d.pkt_linktype), (TunnelKind::Geneve, Some(9), LinkType::RAW));
    assert_eq!(d.payload(&outer), b"rawinner");
    // GRE, protocol type IPv6 over IPv4.
    let inner6 = frames::udp(ip("2001:db8::1"), ip("2001:db8::2"), 1, 2, b"six");
    let mut gre = vec![0, 0, 0x86, 0xdd];
    gre.extend_from_slice(&inner6[14..]);
    let outer = raw_ipv4_frame(IPPROTO_GRE, &gre);
    let (r, d) = decode(&outer);
    assert_eq!(r, Ok(Outcome::Packet));
    assert_eq!((d.tunnel.unwrap().kind, d.pkt_linktype, d.ip.version), (TunnelKind::Gre, LinkType::RAW, 6));
    assert_eq!(d.payload(&outer), b"six");
}

#[test]
fn ip_in_ip_is_named_by_the_outer_version() {
    let inner = syn(b"x");
    let mut outer = vec![0u8; 12];
    outer.extend_from_slice(&ethernet::ETHERTYPE_IPV6.to_be_bytes());
    outer.extend_from_slice(&[0x60, 0, 0, 0]);
    outer.extend_from_slice(&((inner.len() - 14) as u16).to_be_bytes());
    outer.extend_from_slice(&[IPPROTO_IPIP, 64]);
    outer.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    outer.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    outer.extend_from_slice(&inner[14..]);
    let (r, d) = decode(&outer);
    assert_eq!(r, Ok(Outcome::Packet));
    let t = d.tunnel.unwrap();
    assert_eq!((t.kind, t.pkt_src, d.ip.version), (TunnelKind::IpInIp, "ipv6 tunnel", 4));
    let gre_in = raw_ipv4_frame(IPPROTO_GRE, &[&[0, 0, 0x08, 0x00][..], &inner[14..]].concat());
    assert_eq!(decode(&gre_in).1.tunnel.unwrap().pkt_src, "gre tunnel");
}

/// IPv4/UDP between a Teredo client and relay carrying `payload`.
fn teredo_frame(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    frames::udp(ip("172.31.0.10"), ip("172.31.9.9"), sport, dport, payload)
}

#[test]
fn teredo_is_a_tunnel_on_either_port() {
    let inner = frames::udp(ip("2001:db8::1"), ip("2001:db8::10"), 40000, 53, b"query")[14..].to_vec();
    let f = teredo_frame(51234, 3544, &inner);
    let (r, d) = decode(&f);
    assert_eq!(r, Ok(Outcome::Packet));
    let t = d.tunnel.unwrap();
    assert_eq!(
        (t.kind, t.outer_sport, t.outer_dport, t.outer_proto, t.vni),
        (TunnelKind::Teredo, 51234, 3544, 17, None)
    );
    assert_eq!((t.pkt_src, d.pkt_linktype, d.pkt_off), ("teredo tunnel", LinkType::RAW, d.l3_off));
    assert_eq!((d.ip.src, d.ports()), (ip("2001:db8::1"), (40000, 53)));
    assert_eq!(d.payload(&f), b"query");
    // The relay's answer, source port 3544, after an origin indication.
    let mut body = vec![0, 0, 0x37, 0xdd, 0x39, 0xcc, 0x9b, 0xf8];
    body.extend_from_slice(&inner);
    let f = teredo_frame(3544, 51234, &body);
    let (_, d) = decode(&f);
    assert_eq!(d.tunnel.map(|t| t.kind), Some(TunnelKind::Teredo));
    assert_eq!((d.l3_off as usize, d.payload(&f)), (14 + 20 + 8 + 8, &b"query"[..]));
}

#[test]
fn not_teredo_stays_udp() {
    let inner = frames::udp(ip("2001:db8::1"), ip("2001:db8::10"), 40000, 53, b"query")[14..].to_vec();
    let mut trailing = inner.clone();
    trailing.push(0);
    let text = b"not teredo: some protocol of its own on port 3544".to_vec();
    for (dport, payload, cfg) in [
        (3544, &trailing, DecodeConfig::default()),
        (3544, &text, DecodeConfig::default()),
        (3545, &inner, DecodeConfig::default()),
        (3544, &inner, DecodeConfig { teredo: teredo::TeredoPorts::Off, ..DecodeConfig::default() }),
    ] {
        let f = teredo_frame(51234, dport, payload);
        let mut d = Decoded::default();
        assert_eq!(decode_frame(&f, LinkType::ETHERNET, &cfg, &mut d), Ok(Outcome::Packet));
        assert!(d.tunnel.is_none() && d.l4_error.is_none());
        assert_eq!((d.ip.src, d.ports(), d.payload(&f)), (ip("172.31.0.10"), (51234, dport), &payload[..]));
    }
    // Any port when configured so.
    let cfg = DecodeConfig { teredo: teredo::TeredoPorts::Any, ..DecodeConfig::default() };
    let f = teredo_frame(51234, 3545, &inner);
    let mut d = Decoded::default();
    decode_frame(&f, LinkType::ETHERNET, &cfg, &mut d).unwrap();
    assert_eq!(d.tunnel.map(|t| t.kind), Some(TunnelKind::Teredo));
}
