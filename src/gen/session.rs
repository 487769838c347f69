//! Conversations as packet lists: TCP sessions (handshake, segmented data
//! both ways, ACKs, FIN) with optional reordering, retransmission and
//! mid-stream starts; UDP exchanges; ICMP echoes.

use std::borrow::Cow;
use std::net::IpAddr;

use super::apps;
use super::frames::{self, TcpExtras, TcpSpec};
use super::rng::Rng;
use crate::util::Timestamp;

/// A frame with its capture time.
#[derive(Debug, Clone)]
pub struct Pkt {
    pub ts: Timestamp,
    pub frame: Vec<u8>,
}

/// How a TCP conversation is put on the wire.
#[derive(Debug, Clone, Copy)]
pub struct TcpShape {
    pub mss: usize,
    /// Probability that two neighbouring data segments swap places.
    pub reorder: f64,
    /// Probability that a data segment is sent twice.
    pub retransmit: f64,
    /// Start after the handshake (the capture began mid-connection).
    pub midstream: bool,
    /// Leave out the server's packets (only one direction mirrored).
    pub client_only: bool,
    /// Send each message's segments last to first.
    pub reverse: bool,
    /// Follow or precede each data segment with junk overlapping it that
    /// the receiver discards under BSD, Linux and Windows policies.
    pub junk_overlap: bool,
    /// Send the first exchange's messages as single (jumbo) segments.
    pub first_exchange_whole: bool,
    /// Put a junk byte in each data segment as urgent data (URG and its
    /// pointer): the receiver's stack takes it out of the stream.
    pub urgent_junk: bool,
    /// Send junk over the same sequence range as each data segment, before
    /// or after it, with a TTL of 1: it expires on the first router, so
    /// the target never sees it, but a mirror of the sender's interface
    /// does.
    pub ttl_junk: bool,
}

impl Default for TcpShape {
    fn default() -> Self {
        TcpShape {
            mss: 1460,
            reorder: 0.0,
            retransmit: 0.0,
            midstream: false,
            client_only: false,
            reverse: false,
            junk_overlap: false,
            first_exchange_whole: false,
            urgent_junk: false,
            ttl_junk: false,
        }
    }
}

/// One side of a TCP conversation.
struct Side {
    ip: IpAddr,
    port: u16,
    seq: u32,
}

/// Builds a TCP conversation: `exchanges` are (client bytes, server bytes)
/// turns, e.g. an HTTP request then its response.
pub fn tcp_conversation(
    rng: &mut Rng,
    start: Timestamp,
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    exchanges: &[(Vec<u8>, Vec<u8>)],
    shape: TcpShape,
) -> Vec<Pkt> {
    let mut c = Side { ip: client.0, port: client.1, seq: rng.next_u64() as u32 };
    let mut s = Side { ip: server.0, port: server.1, seq: rng.next_u64() as u32 };
    let rtt = rng.range(200, 20_000); // microseconds
    let mut t = start.0;
    let mut out = Vec::new();
    let push_with =
        |out: &mut Vec<Pkt>, t: u64, from: &Side, to: &Side, flags: u8, ack: u32, extras: TcpExtras, payload: &[u8]| {
            let spec = TcpSpec { sport: from.port, dport: to.port, seq: from.seq, ack, flags, window: 64240 };
            out.push(Pkt { ts: Timestamp(t), frame: frames::tcp_with(from.ip, to.ip, spec, extras, payload) });
        };
    let push = |out: &mut Vec<Pkt>, t: u64, from: &Side, to: &Side, flags: u8, ack: u32, payload: &[u8]| {
        push_with(out, t, from, to, flags, ack, TcpExtras::default(), payload)
    };
    // Sequence space a chunk takes on the wire (its urgent junk byte too).
    let wire_len = |chunk: &[u8]| chunk.len() as u32 + u32::from(shape.urgent_junk);
    if !shape.midstream {
        push(&mut out, t, &c, &s, 0x02, 0, &[]);
        c.seq = c.seq.wrapping_add(1);
        t += rtt / 2;
        push(&mut out, t, &s, &c, 0x12, c.seq, &[]);
        s.seq = s.seq.wrapping_add(1);
        t += rtt / 2;
        push(&mut out, t, &c, &s, 0x10, s.seq, &[]);
    }
    for (turn, (req, resp)) in exchanges.iter().enumerate() {
        for (data, client_sends) in [(req, true), (resp, false)] {
            if data.is_empty() {
                continue;
            }
            let (from, to) = if client_sends { (&mut c, &mut s) } else { (&mut s, &mut c) };
            let mut segs: Vec<(u32, &[u8])> = Vec::new();
            let mss = if turn == 0 && shape.first_exchange_whole { data.len() } else { shape.mss.max(1) };
            for chunk in data.chunks(mss) {
                segs.push((from.seq, chunk));
                from.seq = from.seq.wrapping_add(wire_len(chunk));
            }
            // Disorder: swap neighbours, then duplicate some.
            let mut order: Vec<usize> = (0..segs.len()).collect();
            let mut i = 0;
            while i + 1 < order.len() {
                if rng.chance(shape.reorder) {
                    order.swap(i, i + 1);
                    i += 2;
                } else {
                    i += 1;
                }
            }
            if shape.reverse {
                order.reverse();
            }
            let end_seq = from.seq;
            // A sender never runs more than a window (64240 bytes here, no
            // scaling) ahead of the receiver's ACKs: long messages get ACKs
            // on the way, every half window, for the data the receiver has
            // without a hole.
            let mut received = vec![false; segs.len()];
            let mut contiguous = 0;
            let mut unacked = 0usize;
            for (n, &k) in order.iter().enumerate() {
                let (seq, chunk) = segs[k];
                received[k] = true;
                while contiguous < segs.len() && received[contiguous] {
                    contiguous += 1;
                }
                t += rng.range(5, 60);
                if !shape.client_only || client_sends {
                    let saved = from.seq;
                    let junk_first = shape.junk_overlap && chunk.len() > 1 && rng.chance(0.5);
                    if junk_first {
                        // Junk starting inside the segment: the real data,
                        // starting earlier, replaces it.
                        from.seq = seq.wrapping_add(1);
                        push(&mut out, t, from, to, 0x18, to.seq, &apps::opaque(rng, chunk.len() - 1));
                    }
                    let ttl_junk_first = shape.ttl_junk && rng.chance(0.5);
                    let expiring = TcpExtras { ttl: 1, ..TcpExtras::default() };
                    from.seq = seq;
                    if ttl_junk_first {
                        let junk = apps::opaque(rng, wire_len(chunk) as usize);
                        push_with(&mut out, t, from, to, 0x18, to.seq, expiring, &junk);
                    }
                    let (wire, extras, flags) = if shape.urgent_junk {
                        let k = rng.range(0, chunk.len() as u64 + 1) as usize;
                        let mut wire = chunk[..k].to_vec();
                        wire.push(b'!' + rng.range(0, 90) as u8);
                        wire.extend_from_slice(&chunk[k..]);
                        (Cow::Owned(wire), TcpExtras { urgent: Some(k as u16 + 1), ..TcpExtras::default() }, 0x38)
                    } else {
                        (Cow::Borrowed(chunk), TcpExtras::default(), 0x18)
                    };
                    push_with(&mut out, t, from, to, flags, to.seq, extras, &wire);
                    if shape.ttl_junk && !ttl_junk_first {
                        let junk = apps::opaque(rng, wire_len(chunk) as usize);
                        push_with(&mut out, t, from, to, 0x18, to.seq, expiring, &junk);
                    }
                    if shape.junk_overlap && !junk_first {
                        // The same range again: the first copy stays.
                        push(&mut out, t, from, to, 0x18, to.seq, &apps::opaque(rng, chunk.len()));
                    }
                    if rng.chance(shape.retransmit) {
                        t += rng.range(100, 400);
                        push_with(&mut out, t, from, to, flags, to.seq, extras, &wire);
                    }
                    from.seq = saved;
                }
                unacked += chunk.len();
                let last = n + 1 == order.len();
                if unacked >= 32 * 1024 && !last && contiguous > 0 && !(shape.client_only && client_sends) {
                    unacked = 0;
                    let (seq, chunk) = segs[contiguous - 1];
                    t += rng.range(5, 40);
                    push(&mut out, t, to, from, 0x10, seq.wrapping_add(wire_len(chunk)), &[]);
                }
            }
            t += rtt / 2;
            if !(shape.client_only && client_sends) {
                push(&mut out, t, to, from, 0x10, end_seq, &[]);
            }
            t += rng.range(50, 2000);
        }
    }
    // Orderly close.
    push(&mut out, t, &c, &s, 0x11, s.seq, &[]);
    c.seq = c.seq.wrapping_add(1);
    t += rtt / 2;
    if !shape.client_only {
        push(&mut out, t, &s, &c, 0x11, c.seq, &[]);
        s.seq = s.seq.wrapping_add(1);
    }
    t += rtt / 2;
    push(&mut out, t, &c, &s, 0x10, s.seq, &[]);
    out
}

/// A UDP request and its answer.
pub fn udp_exchange(
    rng: &mut Rng,
    start: Timestamp,
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    req: &[u8],
    resp: &[u8],
) -> Vec<Pkt> {
    let mut out = vec![Pkt { ts: start, frame: frames::udp(client.0, server.0, client.1, server.1, req) }];
    if !resp.is_empty() {
        let t = start.0 + rng.range(300, 30_000);
        out.push(Pkt { ts: Timestamp(t), frame: frames::udp(server.0, client.0, server.1, client.1, resp) });
    }
    out
}

/// Echo requests and replies.
pub fn icmp_pings(rng: &mut Rng, start: Timestamp, client: IpAddr, server: IpAddr, count: u16) -> Vec<Pkt> {
    let id = rng.next_u64() as u16;
    let mut out = Vec::new();
    let mut t = start.0;
    for seq in 1..=count {
        let mut payload = [0u8; 56];
        rng.fill(&mut payload);
        out.push(Pkt { ts: Timestamp(t), frame: frames::icmp_echo(client, server, true, id, seq, &payload) });
        t += rng.range(300, 5000);
        out.push(Pkt { ts: Timestamp(t), frame: frames::icmp_echo(server, client, false, id, seq, &payload) });
        t += 1_000_000;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode_frame, DecodeConfig, Decoded, L4};
    use crate::source::LinkType;

    #[test]
    fn conversation_is_consistent() {
        let mut rng = Rng::new(1);
        let c = ("10.0.0.1".parse().unwrap(), 40000);
        let s = ("10.0.0.2".parse().unwrap(), 80);
        let req = b"GET / HTTP/1.1\r\n\r\n".to_vec();
        let resp = vec![b'x'; 40_000];
        let pkts = tcp_conversation(&mut rng, Timestamp(1_000_000), c, s, &[(req.clone(), resp)], TcpShape::default());
        let mut client_bytes = Vec::new();
        let mut server_bytes = 0;
        let mut last = 0;
        for p in &pkts {
            assert!(p.ts.0 >= last);
            last = p.ts.0;
            let mut d = Decoded::default();
            decode_frame(&p.frame, LinkType::ETHERNET, &DecodeConfig::default(), &mut d).unwrap();
            let L4::Tcp(t) = d.l4 else { panic!() };
            if t.dport == 80 {
                client_bytes.extend_from_slice(d.payload(&p.frame));
            } else {
                server_bytes += d.payload_len;
            }
        }
        assert_eq!(client_bytes, req);
        assert_eq!(server_bytes, 40_000);
        // Handshake, request and its ACK, 28 response segments with an ACK
        // after half a window and the final ACK, close.
        assert_eq!(pkts.len(), 3 + 1 + 1 + 28 + 1 + 1 + 3);
    }
}
