use std::net::IpAddr;

use super::*;
use crate::decode::{decode_frame, decode_reassembled, DecodeConfig, Outcome, L4};
use crate::source::LinkType;

/// Ethernet + IPv4 UDP datagram split into fragments of `size` bytes
/// (a multiple of 8), as frames.
fn fragments(payload: &[u8], size: usize, ident: u16) -> Vec<Vec<u8>> {
    let src: IpAddr = "10.1.1.1".parse().unwrap();
    let dst: IpAddr = "10.1.1.2".parse().unwrap();
    split(&crate::gen::frames::udp(src, dst, 1234, 9999, payload), size, ident)
}

/// An Ethernet + IPv4 frame (20-byte header) cut into fragments.
fn split(whole: &[u8], size: usize, ident: u16) -> Vec<Vec<u8>> {
    let ip = &whole[14..];
    let data = &ip[20..];
    let mut out = Vec::new();
    let mut off = 0;
    while off < data.len() {
        let end = (off + size).min(data.len());
        let mut f = whole[..14].to_vec();
        let mut h = ip[..20].to_vec();
        h[2..4].copy_from_slice(&((20 + end - off) as u16).to_be_bytes());
        h[4..6].copy_from_slice(&ident.to_be_bytes());
        let mut fo = (off / 8) as u16;
        if end < data.len() {
            fo |= 0x2000;
        }
        h[6..8].copy_from_slice(&fo.to_be_bytes());
        f.extend_from_slice(&h);
        f.extend_from_slice(&data[off..end]);
        out.push(f);
        off = end;
    }
    out
}

fn feed(d: &mut Defragmenter, frame: &[u8], now: u64, out: &mut Vec<u8>) -> Option<Reassembled> {
    let mut dec = Decoded::default();
    match decode_frame(frame, LinkType::ETHERNET, &DecodeConfig::default(), &mut dec) {
        Ok(Outcome::Fragment(f)) => d.insert(frame, &f, &dec, Timestamp::from_secs_micros(now, 0), out),
        other => panic!("not a fragment: {other:?}"),
    }
}

fn reassembled_payload(out: &[u8], r: &Reassembled) -> Vec<u8> {
    let mut dec = Decoded::default();
    let o = decode_reassembled(out, r.l3_off, &r.ctx, &DecodeConfig::default(), &mut dec).unwrap();
    assert_eq!(o, Outcome::Packet);
    assert!(matches!(dec.l4, L4::Udp(_)));
    dec.payload(out).to_vec()
}

#[test]
fn in_order_and_reversed() {
    let payload: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    for reverse in [false, true] {
        let mut frags = fragments(&payload, 800, 7);
        if reverse {
            frags.reverse();
        }
        let mut d = Defragmenter::new(DefragConfig::default());
        let mut out = Vec::new();
        let mut done = None;
        for (i, f) in frags.iter().enumerate() {
            let r = feed(&mut d, f, 1, &mut out);
            if i + 1 < frags.len() {
                assert!(r.is_none());
            }
            done = done.or(r);
        }
        let r = done.expect("datagram completes");
        assert_eq!(reassembled_payload(&out, &r), payload);
        assert_eq!(d.in_progress(), 0);
        assert_eq!(d.memuse(), 0);
        assert_eq!(d.stats.reassembled, 1);
    }
}

#[test]
fn overlap_policies() {
    // Datagram: 8-byte UDP header + 16 payload bytes. Fragment A covers
    // [0,16) (header + "GOODGOOD"), B [8,24) with 'X' bytes, overlapping A's
    // second half and, later, C [16,24) ("GOODGOOD") which arrives last.
    let good: Vec<u8> = b"GOODGOODGOODGOOD".to_vec();
    let frags = fragments(&good, 16, 9);
    let a = frags[0].clone();
    let c = frags[1].clone();
    // B: same as A's header but offset 8 and 16 bytes of "EVIL".
    let mut b = a.clone();
    b[14 + 6..14 + 8].copy_from_slice(&(0x2000u16 | 1).to_be_bytes());
    for x in &mut b[14 + 20..] {
        *x = b'X';
    }
    b.truncate(14 + 20 + 16);
    b[14 + 2..14 + 4].copy_from_slice(&36u16.to_be_bytes());
    for (policy, expect) in [
        (OverlapPolicy::First, "GOODGOODXXXXXXXX"),
        (OverlapPolicy::Last, "XXXXXXXXGOODGOOD"),
        (OverlapPolicy::Bsd, "GOODGOODXXXXXXXX"),
        (OverlapPolicy::Linux, "GOODGOODXXXXXXXX"),
    ] {
        let mut d = Defragmenter::new(DefragConfig { policy, ..DefragConfig::default() });
        let mut out = Vec::new();
        assert!(feed(&mut d, &a, 1, &mut out).is_none());
        assert!(feed(&mut d, &b, 1, &mut out).is_none());
        let r = feed(&mut d, &c, 1, &mut out).expect("complete");
        let p = reassembled_payload(&out, &r);
        assert_eq!(String::from_utf8_lossy(&p), expect, "{policy:?}");
        assert!(d.stats.overlaps > 0);
    }
}

#[test]
fn timeout_and_limits() {
    let payload = vec![1u8; 2000];
    let frags = fragments(&payload, 800, 3);
    let mut d = Defragmenter::new(DefragConfig { timeout_secs: 10, ..DefragConfig::default() });
    let mut out = Vec::new();
    assert!(feed(&mut d, &frags[0], 100, &mut out).is_none());
    d.expire(Timestamp::from_secs_micros(111, 0));
    assert_eq!(d.stats.timeouts, 1);
    assert_eq!(d.in_progress(), 0);
    assert_eq!(d.memuse(), 0);

    let mut d = Defragmenter::new(DefragConfig { memcap: 1000, ..DefragConfig::default() });
    assert!(feed(&mut d, &frags[0], 1, &mut out).is_none());
    assert!(feed(&mut d, &frags[1], 1, &mut out).is_none());
    assert!(d.stats.dropped_memcap >= 1);
    assert!(d.memuse() <= 1000);

    let mut d = Defragmenter::new(DefragConfig { max_trackers: 1, ..DefragConfig::default() });
    let other = fragments(&payload, 800, 4);
    assert!(feed(&mut d, &frags[0], 1, &mut out).is_none());
    assert!(feed(&mut d, &other[0], 1, &mut out).is_none());
    assert_eq!(d.stats.dropped_max_trackers, 1);
}

#[test]
fn oversize_datagram_is_refused() {
    let payload = vec![0u8; 64];
    let frags = fragments(&payload, 64, 5);
    let mut f = frags[0].clone();
    // Offset so large the datagram would exceed 65535 bytes.
    f[14 + 6..14 + 8].copy_from_slice(&(0x2000u16 | 8190).to_be_bytes());
    let mut d = Defragmenter::new(DefragConfig::default());
    let mut out = Vec::new();
    assert!(feed(&mut d, &f, 1, &mut out).is_none());
    assert_eq!(d.stats.dropped_too_large, 1);
}

#[test]
fn rebuilt_datagram_keeps_the_fragments_protocol() {
    // Suricata logs the last fragment as the `tunnel` of a rebuilt
    // datagram; its protocol field is what that object names.
    let mut d = Defragmenter::new(DefragConfig::default());
    let mut out = Vec::new();
    let frags = fragments(&[7u8; 100], 56, 3);
    assert_eq!(frags.len(), 2);
    assert!(feed(&mut d, &frags[0], 1, &mut out).is_none());
    let r = feed(&mut d, &frags[1], 1, &mut out).unwrap();
    assert_eq!(r.ctx.frag_proto, crate::decode::IPPROTO_UDP);
    let mut dec = Decoded::default();
    decode_reassembled(&out, r.l3_off, &r.ctx, &DecodeConfig::default(), &mut dec).unwrap();
    assert_eq!(dec.flags & crate::decode::flags::DECAPSULATED_AFTER_DEFRAG, 0);
    assert!(dec.tunnel.is_none());
}

#[test]
fn outer_datagram_of_a_tunnel_rebuilt_then_decapsulated() {
    // IPv4 in IPv4, the outer datagram fragmented: after reassembly the
    // inner packet comes out of the tunnel, whose root is the last fragment.
    let src: IpAddr = "10.1.1.1".parse().unwrap();
    let dst: IpAddr = "10.1.1.2".parse().unwrap();
    let inner = crate::gen::frames::udp(src, dst, 1234, 9999, &[9u8; 80]);
    let mut whole = inner[..14].to_vec();
    whole.extend_from_slice(&[0x45, 0]);
    whole.extend_from_slice(&((20 + inner.len() - 14) as u16).to_be_bytes());
    whole.extend_from_slice(&[0, 0, 0, 0, 64, 4, 0, 0, 172, 31, 0, 1, 172, 31, 0, 2]);
    whole.extend_from_slice(&inner[14..]);
    let frags = split(&whole, 40, 9);
    let mut d = Defragmenter::new(DefragConfig::default());
    let mut out = Vec::new();
    let mut done = None;
    for f in &frags {
        done = feed(&mut d, f, 1, &mut out);
    }
    let r = done.unwrap();
    let mut dec = Decoded::default();
    decode_reassembled(&out, r.l3_off, &r.ctx, &DecodeConfig::default(), &mut dec).unwrap();
    let t = dec.tunnel.unwrap();
    assert_eq!((t.outer_proto, t.outer_sport, t.depth, t.pkt_src), (4, 0, 1, "ipv4 tunnel"));
    assert_ne!(dec.flags & crate::decode::flags::DECAPSULATED_AFTER_DEFRAG, 0);
    assert_eq!(dec.ip.src, src);
    assert_eq!(dec.payload(&out), &[9u8; 80]);
}
