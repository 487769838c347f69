//! Hostile input through the whole pipeline: every record of a real
//! capture mutated (bytes flipped, records cut), replayed with rules that
//! exercise byte_jump, byte_extract, pcre and fragments. Nothing may panic;
//! every frame is either inspected or counted as a decode error.

mod common;

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::pcap_writer::PcapWriter;
use mirrorids::gen::rng::Rng;
use mirrorids::gen::{AttackPlan, GenConfig};
use mirrorids::source::pcap::PcapReader;
use mirrorids::source::LinkType;

#[test]
fn mutated_captures_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (clean, _) = generate(
        dir.path(),
        "clean.pcap",
        GenConfig {
            seed: 21,
            target_bytes: 1 << 20,
            attacks: AttackPlan::EachOnce,
            jumbo: 0.2,
            ..GenConfig::default()
        },
    );
    let rules = dir.path().join("tricky.rules");
    std::fs::write(
        &rules,
        "alert tcp any any -> any any (content:\"GET\"; byte_jump:2,1,relative,string,dec,post_offset -3; content:\"HTTP\"; distance:0; sid:1;)\n\
         alert tcp any any -> any any (byte_extract:2,0,len,relative; content:\"A\"; distance:len; within:1; sid:2;)\n\
         alert ip any any -> any any (pcre:\"/(a|b)*c+d?/\"; sid:3;)\n\
         alert udp any any -> any any (byte_test:4,>,1000,0,relative,little; isdataat:!10,relative; sid:4;)\n\
         alert icmp any any -> any any (itype:>3; icode:<2; dsize:>0; sid:5;)\n",
    )
    .unwrap();
    let mut rng = Rng::new(99);
    for round in 0..4 {
        let mut reader = PcapReader::open(&clean).unwrap();
        let path = dir.path().join(format!("mutated-{round}.pcap"));
        let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap(), LinkType::ETHERNET, 65535).unwrap();
        let mut buf = Vec::new();
        while let Some(m) = reader.next_frame(&mut buf).unwrap() {
            for _ in 0..rng.range(1, 6) {
                let at = rng.range(0, buf.len() as u64) as usize;
                buf[at] = rng.next_u64() as u8;
            }
            if rng.chance(0.2) {
                buf.truncate(rng.range(0, buf.len() as u64 + 1) as usize);
            }
            w.write_packet(m.ts, &buf, m.wire_len).unwrap();
            buf.clear();
        }
        drop(w);
        let mut cfg = Config::default();
        cfg.engine.workers = 1 + round % 2;
        let (_, summary) =
            mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures"), rules.clone()], &[path]).unwrap();
        assert_eq!(
            summary.reader.records,
            summary.reader.dispatched + summary.decode_errors_total() + summary.reader.fragments
                - summary.reader.defrag.reassembled
        );
    }
}
