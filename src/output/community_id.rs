//! Community ID v1 (Corelight's flow hash, as Zeek, Suricata and Elastic
//! write it): a flow's endpoints hashed so that every tool that saw the
//! same connection names it alike, whichever direction it saw first.
//!
//! The hashed bytes are the seed (u16, network order), the two addresses,
//! the IP protocol, one zero pad byte and, for protocols with ports (TCP,
//! UDP, SCTP) or port-like ICMP fields, the two ports (u16, network order),
//! with the lower `(address, port)` end first. The ID is `1:` and the
//! SHA-1 digest in base64. Nothing here allocates: the digest and its text
//! live on the stack.

use std::net::IpAddr;

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::decode::{IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP};
use crate::flow::Flow;

const IPPROTO_SCTP: u8 = 132;

/// Length of the rendered ID: `1:` and 28 base64 characters (20 bytes).
pub const LEN: usize = 30;

/// What is hashed: a flow's (or packet's) endpoints in its own direction.
/// For ICMP and ICMPv6, `sport` and `dport` carry the message type and
/// code; [`community_id`] maps them to the spec's port equivalents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuple {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
}

impl Tuple {
    /// A flow's tuple in its original direction (client first), which
    /// every record of the flow hashes whichever way its packet went, as
    /// Suricata does. An ICMP flow (one per host pair) is named by its
    /// first message; if only the other side's was seen, by that one,
    /// from that side.
    pub fn of_flow(f: &Flow) -> Tuple {
        let (mut src, mut dst) = (f.client, f.server);
        if matches!(f.proto, IPPROTO_ICMP | IPPROTO_ICMPV6) {
            let (t, c) = match f.icmp {
                [Some(m), _] => m,
                [None, Some(m)] => {
                    std::mem::swap(&mut src, &mut dst);
                    m
                }
                [None, None] => (0, 0),
            };
            (src.1, dst.1) = (u16::from(t), u16::from(c));
        }
        Tuple { src: src.0, dst: dst.0, proto: f.proto, sport: src.1, dport: dst.1 }
    }
}

/// ICMP messages that have a counterpart (request and reply): Zeek's
/// table, which the spec adopts so both halves of an exchange hash alike.
fn icmp4_counterpart(t: u8) -> Option<u8> {
    Some(match t {
        8 => 0,   // echo request -> echo reply
        0 => 8,   // echo reply -> echo request
        13 => 14, // timestamp
        14 => 13,
        15 => 16, // information
        16 => 15,
        10 => 9, // router solicitation -> advertisement
        9 => 10,
        17 => 18, // address mask
        18 => 17,
        _ => return None,
    })
}

fn icmp6_counterpart(t: u8) -> Option<u8> {
    Some(match t {
        128 => 129, // echo request -> reply
        129 => 128,
        130 => 131, // MLD query -> report
        131 => 130,
        133 => 134, // router solicitation -> advertisement
        134 => 133,
        135 => 136, // neighbor solicitation -> advertisement
        136 => 135,
        139 => 140, // node information ("who are you") query -> reply
        140 => 139,
        144 => 145, // home agent address discovery request -> reply
        145 => 144,
        _ => return None,
    })
}

/// The ports hashed and whether the tuple is one-way (kept in its own
/// order). An ICMP message with a counterpart hashes as (type, counterpart
/// type) so request and reply meet; any other is one-way and hashes
/// (type, code) in the direction it was sent, as the spec says.
fn port_equivalents(t: &Tuple) -> (Option<(u16, u16)>, bool) {
    let counterpart = match t.proto {
        IPPROTO_ICMP => icmp4_counterpart,
        IPPROTO_ICMPV6 => icmp6_counterpart,
        IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP => return (Some((t.sport, t.dport)), false),
        _ => return (None, false),
    };
    // Types and codes are u8; the u16 fields only carry them.
    let (mtype, code) = (t.sport as u8, t.dport as u8);
    match counterpart(mtype) {
        Some(c) => (Some((u16::from(mtype), u16::from(c))), false),
        None => (Some((u16::from(mtype), u16::from(code))), true),
    }
}

/// An address's bytes in network order, and how many of the 16 are used.
fn addr_bytes(a: IpAddr) -> ([u8; 16], usize) {
    match a {
        IpAddr::V4(v4) => {
            let mut b = [0; 16];
            b[..4].copy_from_slice(&v4.octets());
            (b, 4)
        }
        IpAddr::V6(v6) => (v6.octets(), 16),
    }
}

/// The Community ID v1 of `t` with `seed`, as ASCII in a fixed buffer
/// (always [`LEN`] bytes of it are written). A tuple mixing IPv4 and IPv6
/// addresses (which no decoded packet has) hashes each at its own length
/// rather than failing.
pub fn community_id(t: &Tuple, seed: u16) -> [u8; LEN] {
    let (ports, one_way) = port_equivalents(t);
    let (sa, sn) = addr_bytes(t.src);
    let (da, dn) = addr_bytes(t.dst);
    let (sp, dp) = ports.unwrap_or((0, 0));
    // Byte-wise comparison of network-order values is numeric comparison.
    let ordered = one_way || sa[..sn] < da[..dn] || (sa[..sn] == da[..dn] && sp < dp);
    let ((a, an, ap), (b, bn, bp)) = if ordered { ((sa, sn, sp), (da, dn, dp)) } else { ((da, dn, dp), (sa, sn, sp)) };
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    h.update(&a[..an]);
    h.update(&b[..bn]);
    h.update([t.proto, 0]);
    if ports.is_some() {
        h.update(ap.to_be_bytes());
        h.update(bp.to_be_bytes());
    }
    let digest = h.finalize();
    let mut out = [0u8; LEN];
    out[..2].copy_from_slice(b"1:");
    // 20 bytes always encode to 28 characters, which the buffer holds.
    let _ = base64::engine::general_purpose::STANDARD.encode_slice(digest, &mut out[2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(src: &str, dst: &str, proto: u8, sport: u16, dport: u16, seed: u16) -> String {
        let t = Tuple { src: src.parse().unwrap(), dst: dst.parse().unwrap(), proto, sport, dport };
        String::from_utf8(community_id(&t, seed).to_vec()).unwrap()
    }

    /// The spec's baseline (community-id-spec baseline/baseline_deflt.json
    /// and baseline_seed1.json), one tuple per protocol, each both ways.
    #[test]
    fn spec_baselines() {
        let cases: [(&str, &str, u8, u16, u16, u16, &str); 12] = [
            ("1.2.3.4", "5.6.7.8", 6, 1122, 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="),
            ("1.2.3.4", "5.6.7.8", 17, 1122, 3344, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="),
            ("1.2.3.4", "5.6.7.8", 132, 1122, 3344, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="),
            ("1.2.3.4", "5.6.7.8", 1, 8, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="),
            (
                "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
                "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
                58,
                128,
                0,
                0,
                "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=",
            ),
            ("1.2.3.4", "5.6.7.8", 46, 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="),
            ("1.2.3.4", "5.6.7.8", 6, 1122, 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="),
            ("1.2.3.4", "5.6.7.8", 17, 1122, 3344, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="),
            ("1.2.3.4", "5.6.7.8", 1, 8, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="),
            ("1.2.3.4", "5.6.7.8", 6, 1122, 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="),
            ("5.6.7.8", "1.2.3.4", 6, 3344, 1122, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="),
            ("5.6.7.8", "1.2.3.4", 1, 0, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="),
        ];
        for (s, d, p, sp, dp, seed, want) in cases {
            assert_eq!(id(s, d, p, sp, dp, seed), want, "{s} {d} {p} {sp} {dp} seed {seed}");
        }
    }

    #[test]
    fn both_directions_of_a_two_way_exchange_hash_alike() {
        for (p, a, b) in [(6u8, 40000u16, 443u16), (17, 53, 53), (1, 8, 0), (1, 13, 0), (58, 135, 0)] {
            let (ra, rb) = if p == 1 || p == 58 {
                // The reply travels with the counterpart type.
                let reply = match (p, a) {
                    (1, 8) => 0,
                    (1, 13) => 14,
                    _ => 136,
                };
                (reply, 0)
            } else {
                (b, a)
            };
            assert_eq!(id("10.0.0.9", "10.0.0.1", p, a, b, 0), id("10.0.0.1", "10.0.0.9", p, ra, rb, 0), "proto {p}");
        }
    }

    #[test]
    fn one_way_icmp_keeps_its_direction_and_code() {
        // Destination unreachable has no counterpart: hashed as sent,
        // (type, code) as ports, never swapped.
        let fwd = id("10.0.0.9", "10.0.0.1", 1, 3, 1, 0);
        assert_ne!(fwd, id("10.0.0.1", "10.0.0.9", 1, 3, 1, 0));
        assert_ne!(fwd, id("10.0.0.9", "10.0.0.1", 1, 3, 0, 0));
        // Equal addresses: the lower port end first, equal ends either way.
        assert_eq!(id("10.0.0.1", "10.0.0.1", 6, 80, 1000, 0), id("10.0.0.1", "10.0.0.1", 6, 1000, 80, 0));
    }
}
