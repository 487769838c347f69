//! Flood captures: what an attacker sends a mirror target to exhaust its
//! state, with real traffic woven in, for the flood tests and
//! `mirrorids generate --flood KIND`.
//!
//! Each kind aims at one bound: half-open TCP flows (`syn`) and one-packet
//! UDP flows (`udp-flows`) at the flow table, tiny out-of-order segments
//! that can never be delivered (`tiny-segments`) at reassembly memory,
//! first fragments that never complete (`fragments`) at the defragmenter's
//! trackers and memory, and frames that do not decode (`garbage`) at the
//! decoder. Frames are plain Ethernet (`mirrorids send` wraps them in VXLAN
//! as AWS does), 10 µs apart in packet time.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};

use super::apps::{dns_name, dns_query};
use super::frames::{self, TcpSpec};
use super::pcap_writer::PcapWriter;
use super::rng::Rng;
use crate::decode::ipv4::header_checksum;
use crate::source::LinkType;
use crate::util::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flood {
    Syn,
    TinySegments,
    Fragments,
    UdpFlows,
    Garbage,
}

impl Flood {
    pub const ALL: [Flood; 5] = [Flood::Syn, Flood::TinySegments, Flood::Fragments, Flood::UdpFlows, Flood::Garbage];

    pub fn name(self) -> &'static str {
        match self {
            Flood::Syn => "syn",
            Flood::TinySegments => "tiny-segments",
            Flood::Fragments => "fragments",
            Flood::UdpFlows => "udp-flows",
            Flood::Garbage => "garbage",
        }
    }

    pub fn parse(s: &str) -> Option<Flood> {
        Flood::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Connections the tiny-segment flood spreads its segments over: far fewer
/// than a flow table holds, so the flood reaches reassembly memory, not the
/// flow table.
const TINY_CONNECTIONS: u32 = 2048;
/// Server the floods aim at.
const VICTIM: Ipv4Addr = Ipv4Addr::new(172, 16, 0, 10);

/// Writes `packets` flood frames with the frames of `woven` (a capture's
/// frames, in order) inserted in `blocks` runs spread evenly over the
/// flood, retimed to the flood's clock. Returns the frames and bytes
/// (frames' own lengths) written.
pub fn write_flood<W: Write>(
    kind: Flood,
    packets: u64,
    seed: u64,
    woven: &[Vec<u8>],
    blocks: usize,
    out: W,
) -> io::Result<(u64, u64)> {
    let mut w = PcapWriter::new(out, LinkType::ETHERNET, 65535)?;
    let mut rng = Rng::new(seed);
    let mut ts = Timestamp::from_secs_micros(1_700_000_000, 0);
    let blocks = blocks.max(1);
    let per_block = woven.len().div_ceil(blocks);
    let mut next_woven = woven.chunks(per_block.max(1));
    let every = packets / (blocks as u64 + 1);
    let mut frame = Vec::new();
    let (mut written, mut bytes) = (0u64, 0u64);
    for i in 0..packets {
        if every > 0 && i > 0 && i % every == 0 {
            for f in next_woven.next().unwrap_or_default() {
                ts = Timestamp(ts.0 + 10);
                w.write_packet(ts, f, f.len() as u32)?;
                written += 1;
                bytes += f.len() as u64;
            }
        }
        flood_frame(kind, i, &mut rng, &mut frame);
        ts = Timestamp(ts.0 + 10);
        w.write_packet(ts, &frame, frame.len() as u32)?;
        written += 1;
        bytes += frame.len() as u64;
    }
    for f in next_woven.flatten() {
        ts = Timestamp(ts.0 + 10);
        w.write_packet(ts, f, f.len() as u32)?;
        written += 1;
        bytes += f.len() as u64;
    }
    w.into_inner().flush()?;
    Ok((written, bytes))
}

/// A source address somewhere in 10.0.0.0/8.
fn random_client(rng: &mut Rng) -> IpAddr {
    let n = rng.next_u64() as u32;
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (n & 0x00ff_ffff)))
}

fn flood_frame(kind: Flood, i: u64, rng: &mut Rng, out: &mut Vec<u8>) {
    out.clear();
    match kind {
        Flood::Syn => {
            let spec = TcpSpec {
                sport: rng.range(1024, 65536) as u16,
                dport: *rng.pick(&[80, 443, 22, 25]),
                seq: rng.next_u64() as u32,
                ack: 0,
                flags: 0x02,
                window: 64240,
            };
            *out = frames::tcp(random_client(rng), IpAddr::V4(VICTIM), spec, &[]);
        }
        Flood::TinySegments => {
            // Each connection starts mid-stream at its first segment's
            // number; later ones land 2..60,000 bytes past it, so the byte
            // after the first segment never comes and nothing is delivered.
            let c = rng.range(0, u64::from(TINY_CONNECTIONS)) as u32;
            let client = IpAddr::V4(Ipv4Addr::from(0x0a63_0000 | c));
            let isn = c.wrapping_mul(0x9e37_79b9);
            let first = !rng.chance(0.999) || i < u64::from(TINY_CONNECTIONS);
            let seq = if first { isn } else { isn.wrapping_add(rng.range(2, 60_000) as u32) };
            let mut payload = [0u8; 8];
            let len = rng.range(1, 9) as usize;
            rng.fill(&mut payload[..len]);
            let spec =
                TcpSpec { sport: 40_000 + (c % 20_000) as u16, dport: 80, seq, ack: 1, flags: 0x18, window: 64240 };
            *out = frames::tcp(client, IpAddr::V4(VICTIM), spec, &payload[..len]);
        }
        Flood::Fragments => {
            // First fragments (more-fragments set, offset 0) of datagrams
            // whose rest never comes, each with its own id.
            let src = random_client(rng);
            let mut body = vec![0u8; 8 + 64];
            rng.fill(&mut body);
            *out = frames::udp(src, IpAddr::V4(VICTIM), 5353, 53, &body[8..]);
            if let Some(ip) = out.get_mut(14..34) {
                ip[4..6].copy_from_slice(&(i as u16).to_be_bytes());
                ip[6] = 0x20; // MF, offset 0
                ip[7] = 0;
                ip[2..4].copy_from_slice(&(20u16 + 8 + 64).to_be_bytes());
                ip[10..12].fill(0);
                let sum = header_checksum(ip);
                ip[10..12].copy_from_slice(&sum.to_be_bytes());
            }
        }
        Flood::UdpFlows => {
            let q = dns_query(rng.next_u64() as u16, &dns_name(rng), 1);
            let sport = rng.range(1024, 65536) as u16;
            *out = frames::udp(random_client(rng), IpAddr::V4(VICTIM), sport, 53, &q);
        }
        Flood::Garbage => {
            // An Ethernet header, then bytes that claim IPv4 or IPv6 and are
            // anything at all.
            out.extend_from_slice(&frames::MAC_B);
            out.extend_from_slice(&frames::MAC_A);
            out.extend_from_slice(if rng.chance(0.5) { &[0x08, 0x00] } else { &[0x86, 0xdd] });
            let len = rng.range(1, 200) as usize;
            let at = out.len();
            out.resize(at + len, 0);
            rng.fill(&mut out[at..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode_frame, DecodeConfig, Decoded, Outcome};
    use crate::source::pcap::PcapReader;

    /// Each kind decodes as what it claims to be.
    #[test]
    fn each_kind_is_what_it_says() {
        for kind in Flood::ALL {
            let mut pcap = Vec::new();
            let woven = vec![vec![0u8; 60]; 3];
            let (n, _) = write_flood(kind, 400, 7, &woven, 2, &mut pcap).unwrap();
            assert_eq!(n, 403);
            let mut r = PcapReader::new(std::path::Path::new("flood"), std::io::Cursor::new(pcap)).unwrap();
            let (mut frame, mut d) = (Vec::new(), Decoded::default());
            let (mut packets, mut fragments, mut errors) = (0, 0, 0);
            while let Some(m) = r.next_frame(&mut frame).unwrap() {
                match decode_frame(&frame, m.linktype, &DecodeConfig::default(), &mut d) {
                    Ok(Outcome::Packet) => packets += 1,
                    Ok(Outcome::Fragment(_)) => fragments += 1,
                    Err(_) => errors += 1,
                }
                frame.clear();
            }
            // The three woven frames of zeros do not decode.
            match kind {
                Flood::Fragments => assert_eq!((fragments, errors), (400, 3), "{kind:?}"),
                Flood::Garbage => assert!(errors > 300, "{kind:?}: {errors} errors"),
                _ => assert_eq!((packets, errors), (400, 3), "{kind:?}"),
            }
        }
    }
}
