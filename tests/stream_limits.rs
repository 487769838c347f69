//! Reassembly under a flood: thousands of half-open connections sending
//! out-of-order data that never becomes contiguous, against a small
//! memcap. Memory stays within the bound, every refused segment is
//! counted, and an attack in a normal connection among them still alerts.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::frames::{self, TcpSpec};
use mirrorids::gen::pcap_writer::PcapWriter;
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;

const MEMCAP: u64 = 512 << 10;

fn flood(path: &std::path::Path) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = PcapWriter::new(file, LinkType::ETHERNET, 65535).unwrap();
    let server = IpAddr::V4(Ipv4Addr::new(10, 0, 1, 10));
    let mut t = 1_700_000_000_000_000u64;
    let mut put = |w: &mut PcapWriter<_>, (src, dst): (IpAddr, IpAddr), spec: TcpSpec, payload: &[u8]| {
        t += 10;
        let f = frames::tcp(src, dst, spec, payload);
        w.write_packet(Timestamp(t), &f, f.len() as u32).unwrap();
    };
    let filler = vec![0x5a; 1000];
    for i in 0..2000u32 {
        let src = IpAddr::V4(Ipv4Addr::new(198, 18, (i / 250) as u8, (i % 250) as u8 + 1));
        let sport = 20_000 + (i % 40_000) as u16;
        let isn = i.wrapping_mul(2_654_435_761);
        let spec = |seq: u32, flags: u8| TcpSpec { sport, dport: 80, seq, ack: 0, flags, window: 512 };
        // SYN, no answer (half-open), then data beyond a hole that is never
        // filled.
        put(&mut w, (src, server), spec(isn, 0x02), &[]);
        for k in 0..8u32 {
            put(&mut w, (src, server), spec(isn.wrapping_add(1 + 1500 + k * 2000), 0x18), &filler);
        }
        if i == 1000 {
            // A real connection with an attack, mid-flood.
            let c = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
            let cs = |seq: u32, ack: u32, flags: u8| TcpSpec { sport: 55_555, dport: 80, seq, ack, flags, window: 512 };
            let ss = |seq: u32, ack: u32, flags: u8| TcpSpec { sport: 80, dport: 55_555, seq, ack, flags, window: 512 };
            put(&mut w, (c, server), cs(100, 0, 0x02), &[]);
            put(&mut w, (server, c), ss(900, 101, 0x12), &[]);
            put(&mut w, (c, server), cs(101, 901, 0x10), &[]);
            let req = b"GET /view?page=/etc/passwd HTTP/1.1\r\nHost: files.example.com\r\n\r\n";
            put(&mut w, (c, server), cs(101, 901, 0x18), &req[..20]);
            put(&mut w, (c, server), cs(121, 901, 0x18), &req[20..]);
            put(&mut w, (server, c), ss(901, 101 + req.len() as u32, 0x10), &[]);
        }
    }
    drop(w.into_inner());
}

#[test]
fn memory_stays_within_the_memcap_and_drops_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("flood.pcap");
    flood(&pcap);
    for workers in [1, 2] {
        let mut cfg = Config::default();
        cfg.engine.workers = workers;
        cfg.stream.reassembly.memcap = MEMCAP;
        let (eve, summary) =
            mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], std::slice::from_ref(&pcap))
                .unwrap();
        let s = &summary.workers;
        assert_eq!(s.stream_memcap, MEMCAP - MEMCAP % workers as u64);
        assert!(s.stream_memory_peak <= MEMCAP, "peak {} over {MEMCAP}", s.stream_memory_peak);
        assert!(s.stream_memory_peak > MEMCAP / 2, "the flood should fill the budget");
        assert!(s.stream.memcap_drops > 1000, "drops counted: {}", s.stream.memcap_drops);
        assert!(s.stream.memcap_drop_bytes >= s.stream.memcap_drops * 1000);
        // What the flows held when they ended was inspected, gaps and all.
        assert!(s.stream.gaps_flush > 0);
        let alerts = parse_alerts(&eve);
        assert!(alerts.iter().any(|a| sid(a) == 1_990_019 && a["src_ip"] == "203.0.113.7"), "{alerts:?}");
        // The summary says so.
        let mut text = Vec::new();
        summary.print(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("memcap"), "{text}");
    }
}
