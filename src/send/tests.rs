use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::decode::vxlan::{GeneveHeader, VxlanHeader};
use crate::gen::frames::{self, TcpSpec};

const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
const ENI: IpAddr = IpAddr::V4(Ipv4Addr::new(172, 31, 0, 5));
const SENSOR: IpAddr = IpAddr::V4(Ipv4Addr::new(172, 31, 0, 9));

fn tcp_frame(sport: u16, payload: &[u8]) -> Vec<u8> {
    let spec = TcpSpec { sport, dport: 80, seq: 1, ack: 1, flags: 0x18, window: 512 };
    frames::tcp(A, B, spec, payload)
}

fn geneve_opts() -> WrapOptions {
    WrapOptions { vni: 9, encap: Encap::Geneve(GwlbIds { endpoint_id: 7, attachment_id: 8 }), ..WrapOptions::default() }
}

fn build(opts: &WrapOptions, frame: &[u8], linktype: LinkType) -> Result<(Vec<u8>, bool), SkipReason> {
    let mut out = vec![0xaa]; // something already in the buffer must stay
    let built = Builder::new(opts).build(frame, linktype, &mut out);
    assert_eq!(out[0], 0xaa);
    match built {
        Ok(b) => Ok((out[1..].to_vec(), matches!(b, Built::Wrapped))),
        Err(e) => {
            assert_eq!(out.len(), 1, "a skipped frame appends nothing");
            Err(e)
        }
    }
}

/// The outer UDP payload of an Ethernet/IPv4/UDP frame built by `frames`.
fn udp_payload(frame: &[u8]) -> &[u8] {
    &frame[14 + 20 + 8..]
}

#[test]
fn vxlan_capture_is_sent_as_captured() {
    let inner = tcp_frame(1000, b"GET / HTTP/1.1\r\n\r\n");
    let mirrored = frames::vxlan(&inner, 42, ENI, SENSOR, 50000);
    let (dgram, wrapped) = build(&WrapOptions::default(), &mirrored, LinkType::ETHERNET).unwrap();
    assert!(!wrapped);
    assert_eq!(dgram, udp_payload(&mirrored));
    // Even with --geneve off and a VNI of our own, the capture's VNI stays.
    assert_eq!(VxlanHeader::new_checked(&dgram).unwrap().vni(), 42);
}

#[test]
fn truncated_vxlan_copy_sends_what_is_there() {
    let inner = tcp_frame(1000, &[7u8; 1200]);
    let mirrored = frames::vxlan(&inner, 42, ENI, SENSOR, 50000);
    let cut = &mirrored[..300];
    let (dgram, wrapped) = build(&WrapOptions::default(), cut, LinkType::ETHERNET).unwrap();
    assert!(!wrapped);
    assert_eq!(dgram, udp_payload(cut));
}

#[test]
fn custom_vxlan_port_and_geneve_capture() {
    let inner = tcp_frame(1000, b"x");
    let mut payload = vec![0x08, 0, 0, 0, 0, 0, 3, 0];
    payload.extend_from_slice(&inner);
    let on_8472 = frames::udp(ENI, SENSOR, 4000, 8472, &payload);
    let (dgram, wrapped) = build(&WrapOptions::default(), &on_8472, LinkType::ETHERNET).unwrap();
    assert!(wrapped, "8472 is not a VXLAN port by default: the frame is plain");
    assert_eq!(&dgram[8..], &on_8472[..]);
    let opts = WrapOptions { vxlan_ports: vec![4789, 8472], ..WrapOptions::default() };
    assert_eq!(build(&opts, &on_8472, LinkType::ETHERNET).unwrap(), (payload.clone(), false));

    let mut gen = Vec::new();
    wrap::push_geneve_header(&mut gen, 0x0800, 5, GwlbIds::default(), 1);
    gen.extend_from_slice(&inner[14..]);
    let gwlb = frames::udp(ENI, SENSOR, 4000, 6081, &gen);
    assert_eq!(build(&WrapOptions::default(), &gwlb, LinkType::ETHERNET).unwrap(), (gen.clone(), false));
    assert_eq!(build(&geneve_opts(), &gwlb, LinkType::ETHERNET).unwrap(), (gen, false));
}

#[test]
fn plain_ethernet_frame_gets_vxlan() {
    let frame = tcp_frame(1000, b"hello");
    let opts = WrapOptions { vni: 0xab_cdef, ..WrapOptions::default() };
    let (dgram, wrapped) = build(&opts, &frame, LinkType::ETHERNET).unwrap();
    assert!(wrapped);
    let h = VxlanHeader::new_checked(&dgram).unwrap();
    assert!(h.vni_valid());
    assert_eq!(h.vni(), 0xab_cdef);
    assert_eq!(&dgram[8..], &frame[..]);
}

#[test]
fn raw_ip_and_cooked_captures_get_an_ethernet_header() {
    let frame = tcp_frame(1000, b"hello");
    let ip = &frame[14..];
    let (dgram, _) = build(&WrapOptions::default(), ip, LinkType::RAW).unwrap();
    assert_eq!(&dgram[..8], &[0x08, 0, 0, 0, 0, 0, 1, 0]);
    assert_eq!(&dgram[8..20], &[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
    assert_eq!(&dgram[20..22], &[0x08, 0x00]);
    assert_eq!(&dgram[22..], ip);

    let mut sll2 = vec![0x86, 0xdd];
    sll2.extend_from_slice(&[0; 18]);
    let v6 = frames::udp(IpAddr::V6(Ipv6Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST), 53, 53, b"q");
    sll2.extend_from_slice(&v6[14..]);
    let (dgram, _) = build(&WrapOptions::default(), &sll2, LinkType::LINUX_SLL2).unwrap();
    assert_eq!(&dgram[20..22], &[0x86, 0xdd]);
    assert_eq!(&dgram[22..], &v6[14..]);

    // PPP: address, control, protocol; LCP is not IP.
    let mut ppp = vec![0xff, 0x03, 0x00, 0x21];
    ppp.extend_from_slice(ip);
    let (dgram, _) = build(&WrapOptions::default(), &ppp, LinkType::PPP).unwrap();
    assert_eq!((&dgram[20..22], &dgram[22..]), (&[0x08, 0x00][..], ip));
    let lcp = [0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4];
    assert_eq!(build(&WrapOptions::default(), &lcp, LinkType::PPP), Err(SkipReason::NotIp));

    // BSD loopback with a family that is not IP, and a link type we do not know.
    assert_eq!(build(&WrapOptions::default(), &[9, 0, 0, 0, 1], LinkType::NULL), Err(SkipReason::NotIp));
    assert_eq!(build(&WrapOptions::default(), ip, LinkType(147)), Err(SkipReason::UnsupportedLinkType));
}

#[test]
fn geneve_carries_the_ip_packet_and_aws_options() {
    let frame = tcp_frame(1000, b"hello");
    let (dgram, wrapped) = build(&geneve_opts(), &frame, LinkType::ETHERNET).unwrap();
    assert!(wrapped);
    let g = GeneveHeader::new_checked(&dgram).unwrap();
    assert_eq!((g.protocol(), g.vni()), (0x0800, 9));
    let o = g.aws_options().unwrap();
    assert_eq!((o.endpoint_id, o.attachment_id), (Some(7), Some(8)));
    assert_eq!(&dgram[g.header_len()..], &frame[14..]);
    // One flow, one cookie, both directions; another flow, another cookie.
    let cookie = |f: &[u8]| {
        let (d, _) = build(&geneve_opts(), f, LinkType::ETHERNET).unwrap();
        GeneveHeader::new_checked(&d).unwrap().aws_options().unwrap().flow_cookie.unwrap()
    };
    let reply = frames::tcp(B, A, TcpSpec { sport: 80, dport: 1000, seq: 9, ack: 2, flags: 0x10, window: 1 }, b"");
    assert_eq!(cookie(&frame), o.flow_cookie.unwrap());
    assert_eq!(cookie(&tcp_frame(1000, b"more data")), cookie(&frame));
    assert_eq!(cookie(&reply), cookie(&frame));
    assert_ne!(cookie(&tcp_frame(1001, b"hello")), cookie(&frame));
    // Not IP: GWLB forwards IP packets only.
    let mut arp = vec![0u8; 12];
    arp.extend_from_slice(&[0x08, 0x06]);
    arp.extend_from_slice(&[0; 28]);
    assert_eq!(build(&geneve_opts(), &arp, LinkType::ETHERNET), Err(SkipReason::NotIp));
    // ... while VXLAN carries any Ethernet frame.
    assert!(build(&WrapOptions::default(), &arp, LinkType::ETHERNET).is_ok());
}

#[test]
fn geneve_around_a_vxlan_capture_carries_the_outer_ip_packet() {
    let inner = tcp_frame(1000, b"hello");
    let mirrored = frames::vxlan(&inner, 42, ENI, SENSOR, 50000);
    let mut padded = mirrored.clone();
    padded.extend_from_slice(&[0; 4]); // trailing bytes after the datagram
    let (dgram, wrapped) = build(&geneve_opts(), &padded, LinkType::ETHERNET).unwrap();
    assert!(wrapped);
    let g = GeneveHeader::new_checked(&dgram).unwrap();
    assert_eq!(g.protocol(), 0x0800);
    assert_eq!(&dgram[g.header_len()..], &mirrored[14..]);
}

#[test]
fn oversize_datagrams_are_skipped() {
    // An IPv4 header cannot declare more than 65,535 bytes, but a capture
    // record can hold more (a 64 KiB TSO frame plus link header).
    let mut frame = tcp_frame(1000, &[0u8; 65_000]);
    frame.resize(MAX_DATAGRAM - 8 + 1, 0);
    assert_eq!(build(&WrapOptions::default(), &frame, LinkType::ETHERNET), Err(SkipReason::TooLarge));
    frame.truncate(MAX_DATAGRAM - 8);
    assert_eq!(build(&WrapOptions::default(), &frame, LinkType::ETHERNET).unwrap().0.len(), MAX_DATAGRAM);
}

#[test]
fn hostile_frames_never_panic() {
    // Every prefix of a few valid frames, and bytes that are nothing at all,
    // under every link type and both encapsulations.
    let inner = tcp_frame(1000, b"hello");
    let samples = [
        frames::vxlan(&inner, 42, ENI, SENSOR, 50000),
        inner.clone(),
        frames::udp(IpAddr::V6(Ipv6Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST), 1, 6081, &[0x3f; 40]),
        (0..=255u8).collect(),
        vec![0xff; 64],
    ];
    let linktypes = [
        LinkType::ETHERNET,
        LinkType::RAW,
        LinkType::NULL,
        LinkType::LOOP,
        LinkType::LINUX_SLL,
        LinkType::LINUX_SLL2,
        LinkType::C_HDLC,
        LinkType::IPV4,
        LinkType::IPV6,
        LinkType::PPP,
        LinkType::PPP_HDLC,
        LinkType::GRE_OVER_IP,
    ];
    for opts in [WrapOptions::default(), geneve_opts()] {
        let mut b = Builder::new(&opts);
        let mut out = Vec::new();
        for s in &samples {
            for cut in 0..=s.len() {
                for lt in linktypes {
                    let before = out.len();
                    if b.build(&s[..cut], lt, &mut out).is_ok() {
                        assert!(out.len() - before <= MAX_DATAGRAM);
                    } else {
                        assert_eq!(out.len(), before);
                    }
                }
            }
        }
    }
}

#[test]
fn vni_must_fit_24_bits() {
    let opts = WrapOptions { vni: 1 << 24, ..WrapOptions::default() };
    assert!(prepare(&[], &opts).unwrap_err().contains("24 bits"));
    assert_eq!(prepare(&[], &WrapOptions::default()).unwrap(), Prepared::default());
}

#[test]
fn prepared_accessors_tolerate_bad_spans() {
    let p = Prepared { data: b"abcdef".to_vec(), spans: vec![(0, 2), (2, 4), (5, 9)], ..Prepared::default() };
    assert_eq!(p.len(), 3);
    assert_eq!(p.datagram(1), Some(&b"cdef"[..]));
    assert_eq!(p.datagram(2), None);
    assert_eq!(p.iter().count(), 2);
    let err = send(&p, &SendOptions::new("127.0.0.1:9".parse().unwrap())).unwrap_err();
    assert!(err.contains("outside the buffer"), "{err}");
}

#[test]
fn stats_rates() {
    let s =
        SendStats { datagrams: 1000, bytes: 125_000_000, elapsed: Duration::from_millis(500), ..SendStats::default() };
    assert_eq!(s.pps(), 2000.0);
    assert_eq!(s.gbps(), 2.0);
    assert_eq!(SendStats::default().pps(), 0.0);
}
