//! The live sensor's whole path from a received tunnel datagram: the
//! source and VNI allow-lists, the rebuilt outer headers, VXLAN or GENEVE,
//! the inner Ethernet/VLAN/IP/TCP/UDP/ICMP decoders, defragmentation, flows,
//! TCP reassembly, every application parser, detection and the EVE records
//! (`mirrorids_fuzz::engine`).
//!
//! Input: a configuration byte (`engine::config`), a mode byte (bit 0:
//! IPv6 between the mirror sources and the sensor; bit 1: only VNI 7 is
//! admitted; bit 2: only the first four mirror sources are admitted), then
//! datagrams, each a control byte, a u16 BE length and the UDP payload (the
//! last one takes what is left). Control byte: bit 7 GENEVE (port 6081)
//! rather than VXLAN (4789), bits 4-6 which of eight mirror sources sent
//! it, bits 0-3 how far the clock moves first (15: a timer tick with no
//! datagram). Checks: nothing panics, every EVE record is one line of JSON.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use mirrorids::config::live::TunnelKind;
use mirrorids::engine::receiver::{admit, Admission};
use mirrorids::rules::ipset::IpSet;
use mirrorids::source::outer::{write_outer, OuterAddrs, HEADROOM};
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;
use mirrorids_fuzz::engine::Harness;
use mirrorids_fuzz::take_record;

/// Seconds the clock moves before a datagram, by control nibble: mostly
/// nothing, sometimes past each flow and fragment timeout.
const STEPS: [u64; 15] = [0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 5, 31, 61, 301, 3601];

fn source(i: u8, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(i) + 1))
    } else {
        IpAddr::V4(Ipv4Addr::new(10, 1, 0, i + 1))
    }
}

fuzz_target!(|data: &[u8]| {
    let [sel, mode, rest @ ..] = data else { return };
    let mut rest = rest;
    let v6 = mode & 1 != 0;
    let mut adm = Admission::default();
    if mode & 2 != 0 {
        adm.vnis = vec![7];
    }
    if mode & 4 != 0 {
        adm.sources = Some(IpSet::range(source(0, v6), source(3, v6)));
    }
    let sensor = if v6 {
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x100))
    } else {
        IpAddr::V4(Ipv4Addr::new(10, 2, 0, 1))
    };
    let mut h = Harness::new(*sel);
    let mut secs = 1_700_000_000u64;
    let mut micros = 0u32;
    let mut buf = Vec::new();
    while let [ctl, tail @ ..] = rest {
        let step = ctl & 0x0f;
        if step == 15 {
            rest = tail;
            secs += 1;
            h.tick(Timestamp::from_secs_micros(secs, micros));
            continue;
        }
        rest = tail;
        let payload = take_record(&mut rest);
        secs += STEPS[usize::from(step)];
        micros = (micros + 17) % 1_000_000;
        let (kind, port) = if ctl & 0x80 != 0 { (TunnelKind::Geneve, 6081) } else { (TunnelKind::Vxlan, 4789) };
        let src = source((ctl >> 4) & 7, v6);
        if admit(kind, payload, src, &adm).is_err() {
            continue;
        }
        buf.clear();
        buf.resize(HEADROOM, 0);
        buf.extend_from_slice(payload);
        let addrs = OuterAddrs { src, dst: sensor, sport: 40000 + u16::from(*ctl), dport: port };
        let Some(start) = write_outer(&mut buf, HEADROOM, payload.len(), &addrs) else { continue };
        h.frame(&buf[start..], LinkType::ETHERNET, Timestamp::from_secs_micros(secs, micros));
    }
    h.finish();
});
