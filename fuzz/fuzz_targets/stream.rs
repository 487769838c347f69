//! TCP reassembly through the whole engine: one connection's segments,
//! each with its own direction, flags, sequence number, acknowledgment and
//! payload, so that overlaps, holes, retransmissions with other data,
//! wrap-around, RST/FIN games and acknowledgments of data never seen reach
//! the stream tracker under each of the 15 overlap policies and the tiny
//! memory caps (`engine::config`), then the application parsers and
//! detection on what was reassembled.
//!
//! Input: a configuration byte, a port byte (bits 0-3: the server port
//! from `PORTS`; bit 7: IPv6), two u32 BE initial sequence numbers
//! (client, server), then segments: a control byte, the TCP flags, a u16 BE
//! offset, a length (u8, or u16 BE with control bit 5) and the payload.
//! Control byte: bit 0 the direction (server to client when set), bit 1
//! the offset counts back from the initial sequence number instead of
//! forward, bit 4 the acknowledgment is the other side's initial number
//! plus the offset instead of what the other side sent, bits 2-3 how far
//! the clock moves first, bit 6 the segment carries the window-scale and
//! timestamp options. The urgent pointer is the offset's low byte (it
//! counts when the flags have URG). Checks: nothing panics, every EVE
//! record is one line of JSON.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;
use mirrorids_fuzz::engine::Harness;

const PORTS: [u16; 16] = [80, 443, 53, 22, 21, 25, 8080, 445, 3306, 6379, 8443, 110, 143, 1, 65535, 8000];
const STEPS: [u64; 4] = [0, 0, 1, 61];

/// One segment's header fields.
struct Seg {
    dir: usize,
    seq: u32,
    ack: u32,
    flags: u8,
    /// Urgent pointer (the stream takes the byte it names out when URG is
    /// set).
    urgent: u16,
    options: bool,
}

struct Conn {
    v6: bool,
    ports: [u16; 2],
}

impl Conn {
    /// Ethernet, IP and TCP headers for one segment, then its payload.
    fn frame(&self, out: &mut Vec<u8>, seg: &Seg, payload: &[u8]) {
        out.clear();
        out.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        let Seg { dir, seq, ack, flags, urgent, options } = *seg;
        let options: &[u8] = if options { &[1, 3, 3, 7, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1] } else { &[] };
        let tcp_len = 20 + options.len() + payload.len();
        let (a, b) = if dir == 0 { (1u8, 2u8) } else { (2, 1) };
        if self.v6 {
            out.extend_from_slice(&0x86ddu16.to_be_bytes());
            out.extend_from_slice(&[0x60, 0, 0, 0]);
            out.extend_from_slice(&(tcp_len.min(0xffff) as u16).to_be_bytes());
            out.extend_from_slice(&[6, 64]);
            for host in [a, b] {
                out.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, host]);
            }
        } else {
            out.extend_from_slice(&0x0800u16.to_be_bytes());
            out.extend_from_slice(&[0x45, 0]);
            out.extend_from_slice(&((20 + tcp_len).min(0xffff) as u16).to_be_bytes());
            out.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, a, 10, 0, 0, b]);
        }
        let (sport, dport) = (self.ports[dir], self.ports[1 - dir]);
        out.extend_from_slice(&sport.to_be_bytes());
        out.extend_from_slice(&dport.to_be_bytes());
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&ack.to_be_bytes());
        out.push((((20 + options.len()) / 4) << 4) as u8);
        out.push(flags);
        out.extend_from_slice(&[0xff, 0xff, 0, 0]);
        out.extend_from_slice(&urgent.to_be_bytes());
        out.extend_from_slice(options);
        out.extend_from_slice(payload);
    }
}

fuzz_target!(|data: &[u8]| {
    let [sel, port, i0, i1, i2, i3, j0, j1, j2, j3, rest @ ..] = data else { return };
    let mut rest = rest;
    let isn = [u32::from_be_bytes([*i0, *i1, *i2, *i3]), u32::from_be_bytes([*j0, *j1, *j2, *j3])];
    let conn = Conn { v6: port & 0x80 != 0, ports: [40000, PORTS[usize::from(port & 0x0f)]] };
    let mut h = Harness::new(*sel);
    // The next sequence number each side has sent up to.
    let mut sent = [isn[0].wrapping_add(1), isn[1].wrapping_add(1)];
    let mut secs = 1_700_000_000u64;
    let mut frame = Vec::new();
    while let [ctl, flags, o0, o1, tail @ ..] = rest {
        let (len, tail) = match (ctl & 0x20 != 0, tail) {
            (true, [hi, lo, t @ ..]) => (usize::from(u16::from_be_bytes([*hi, *lo])), t),
            (false, [n, t @ ..]) => (usize::from(*n), t),
            _ => (0, tail),
        };
        let len = len.min(tail.len());
        let payload = &tail[..len];
        rest = &tail[len..];
        let dir = usize::from(ctl & 1);
        let off = u32::from(u16::from_be_bytes([*o0, *o1]));
        let seq = if ctl & 2 != 0 { isn[dir].wrapping_sub(off) } else { isn[dir].wrapping_add(off) };
        let ack = if ctl & 0x10 != 0 { isn[1 - dir].wrapping_add(off) } else { sent[1 - dir] };
        let end = seq.wrapping_add(len as u32).wrapping_add(u32::from(flags & 0x03 != 0));
        if end.wrapping_sub(sent[dir]) < 1 << 31 {
            sent[dir] = end;
        }
        secs += STEPS[usize::from((ctl >> 2) & 3)];
        let seg = Seg { dir, seq, ack, flags: *flags, urgent: u16::from(*o1), options: ctl & 0x40 != 0 };
        conn.frame(&mut frame, &seg, payload);
        h.frame(&frame, LinkType::ETHERNET, Timestamp::from_secs_micros(secs, 0));
    }
    h.finish();
});
