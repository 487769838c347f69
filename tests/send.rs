//! The load tool over loopback: what arrives is what the capture holds
//! (sensor-side captures) or what AWS would have made of it (plain ones).
//!
//! Exact comparisons send a few datagrams at a time and read them before
//! sending more, so a busy machine cannot overflow the receive buffer and
//! make a datagram go missing. No timing assertions.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};
use mirrorids::decode::vxlan::{GeneveHeader, VxlanHeader};
use mirrorids::gen::frames;
use mirrorids::gen::pcap_writer::PcapWriter;
use mirrorids::send::{self, Encap, GwlbIds, Prepared, SendOptions, WrapOptions};
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;

/// Datagrams in flight at once in exact comparisons: a handful of 9001-byte
/// jumbo frames fit in the default 208 KiB receive buffer.
const CHUNK: usize = 4;

fn mirrorids(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mirrorids")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// A small generated capture (a few sessions, a quarter of the frames
/// jumbo, some of them truncated copies): VXLAN as the sensor receives it,
/// or with `plain` the original frames.
fn generate(dir: &Path, name: &str, plain: bool) -> PathBuf {
    let path = dir.join(name);
    let out = s(&path);
    let mut args =
        vec!["generate", "-o", &out, "--size", "64KB", "--attacks", "none", "--concurrency", "2", "--jumbo", "0.5"];
    if plain {
        args.push("--plain");
    }
    let (code, err) = mirrorids(&args);
    assert_eq!(code, 0, "{err}");
    path
}

/// Frames of a little-endian classic pcap (what the generator writes),
/// read here without the library's reader.
fn read_pcap(path: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(path).unwrap();
    assert_eq!(b[..4], 0xa1b2_c3d4u32.to_le_bytes());
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let cap = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        frames.push(b[at + 16..at + 16 + cap].to_vec());
        at += 16 + cap;
    }
    assert_eq!(at, b.len());
    frames
}

/// A capture of `n` small UDP frames between a few hosts.
fn tiny_capture(path: &Path, n: u16) -> Vec<Vec<u8>> {
    let mut w = PcapWriter::new(std::fs::File::create(path).unwrap(), LinkType::ETHERNET, 65535).unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        let src = IpAddr::V4(Ipv4Addr::new(10, 0, 0, (i % 3) as u8 + 1));
        let f = frames::udp(src, IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1)), 1000 + i, 53, &i.to_be_bytes());
        w.write_packet(Timestamp::from_secs_micros(1, u32::from(i)), &f, f.len() as u32).unwrap();
        out.push(f);
    }
    out
}

fn receiver(addr: &str) -> Option<UdpSocket> {
    let rx = UdpSocket::bind(addr).ok()?;
    rx.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    Some(rx)
}

/// Sends `p` to `rx` a few datagrams at a time; returns what arrived, in order.
fn send_chunked(p: &Prepared, rx: &UdpSocket, source: Option<SocketAddr>) -> Vec<(Vec<u8>, SocketAddr)> {
    let to = rx.local_addr().unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65_536];
    for chunk in p.spans.chunks(CHUNK) {
        let mut part = Prepared::default();
        for &(off, len) in chunk {
            part.spans.push((part.data.len() as u32, len));
            part.data.extend_from_slice(&p.data[off as usize..][..len as usize]);
        }
        let stats = send::send(&part, &SendOptions { source, ..SendOptions::new(to) }).unwrap();
        assert_eq!(stats.datagrams, chunk.len() as u64);
        for _ in chunk {
            let (n, from) = rx.recv_from(&mut buf).expect("a datagram went missing");
            got.push((buf[..n].to_vec(), from));
        }
    }
    got
}

fn payloads(got: Vec<(Vec<u8>, SocketAddr)>) -> Vec<Vec<u8>> {
    got.into_iter().map(|(d, _)| d).collect()
}

/// The IP packet of an Ethernet frame, without link padding.
fn ip_of(frame: &[u8]) -> Vec<u8> {
    let p = LaxSlicedPacket::from_ethernet(frame).unwrap();
    let ip = &frame[14..];
    let len = match p.net {
        Some(LaxNetSlice::Ipv4(v4)) => usize::from(v4.header().total_len()),
        Some(LaxNetSlice::Ipv6(v6)) => 40 + usize::from(v6.header().payload_length()),
        _ => panic!("not IP"),
    };
    ip[..len.min(ip.len())].to_vec()
}

#[test]
fn vxlan_capture_arrives_byte_identical_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = generate(dir.path(), "vx.pcap", false);
    let expected: Vec<Vec<u8>> = read_pcap(&pcap)
        .iter()
        .map(|f| match LaxSlicedPacket::from_ethernet(f).unwrap().transport {
            Some(TransportSlice::Udp(u)) => {
                assert_eq!(u.destination_port(), 4789);
                u.payload().to_vec()
            }
            other => panic!("not UDP: {other:?}"),
        })
        .collect();
    assert!(expected.len() > 50);
    let p = send::prepare(&[pcap], &WrapOptions::default()).unwrap();
    assert_eq!((p.stats.as_is, p.stats.wrapped, p.stats.skipped_total()), (expected.len() as u64, 0, 0));
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let Some(rx) = receiver(addr) else {
            eprintln!("{addr} unavailable (no IPv6 here?): skipped");
            continue;
        };
        assert_eq!(payloads(send_chunked(&p, &rx, None)), expected, "to {addr}");
    }
}

#[test]
fn plain_capture_arrives_in_vxlan_with_the_vni() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = generate(dir.path(), "plain.pcap", true);
    let frames = read_pcap(&pcap);
    let opts = WrapOptions { vni: 0x00be_ef01, ..WrapOptions::default() };
    let p = send::prepare(&[pcap], &opts).unwrap();
    assert_eq!(p.stats.wrapped, frames.len() as u64);
    let rx = receiver("127.0.0.1:0").unwrap();
    let got = payloads(send_chunked(&p, &rx, None));
    assert_eq!(got.len(), frames.len());
    for (d, f) in got.iter().zip(&frames) {
        assert_eq!(d[..8], [0x08, 0, 0, 0, 0xbe, 0xef, 0x01, 0]);
        let h = VxlanHeader::new_checked(d).unwrap();
        assert!(h.vni_valid());
        assert_eq!(h.vni(), 0x00be_ef01);
        assert_eq!(&d[8..], &f[..]);
    }
}

#[test]
fn geneve_datagrams_carry_aws_options_and_the_inner_ip_packet() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = generate(dir.path(), "plain.pcap", true);
    let frames = read_pcap(&pcap);
    let ids = GwlbIds { endpoint_id: 0x0a0b_0c0d_0e0f_1011, attachment_id: 0x2122_2324_2526_2728 };
    let opts = WrapOptions { vni: 77, encap: Encap::Geneve(ids), ..WrapOptions::default() };
    let p = send::prepare(&[pcap], &opts).unwrap();
    let rx = receiver("127.0.0.1:0").unwrap();
    let got = payloads(send_chunked(&p, &rx, None));
    assert_eq!(got.len(), frames.len());
    let mut cookies: HashMap<_, u32> = HashMap::new();
    for (d, f) in got.iter().zip(&frames) {
        let g = GeneveHeader::new_checked(d).unwrap();
        let inner = &d[g.header_len()..];
        assert_eq!(inner, &ip_of(f)[..]);
        let v6 = inner[0] >> 4 == 6;
        assert_eq!((g.protocol(), g.vni()), (if v6 { 0x86dd } else { 0x0800 }, 77));
        let o = g.aws_options().unwrap();
        assert_eq!((o.endpoint_id, o.attachment_id), (Some(ids.endpoint_id), Some(ids.attachment_id)));
        // One cookie per flow, whichever the direction.
        let pkt = LaxSlicedPacket::from_ip(inner).unwrap();
        let (a, b) = match pkt.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                (IpAddr::from(v4.header().source_addr()), IpAddr::from(v4.header().destination_addr()))
            }
            Some(LaxNetSlice::Ipv6(v6)) => {
                (IpAddr::from(v6.header().source_addr()), IpAddr::from(v6.header().destination_addr()))
            }
            _ => unreachable!(),
        };
        let (sp, dp) = match pkt.transport {
            Some(TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port()),
            Some(TransportSlice::Udp(u)) => (u.source_port(), u.destination_port()),
            _ => (0, 0),
        };
        let key = if (a, sp) <= (b, dp) { (a, sp, b, dp) } else { (b, dp, a, sp) };
        let cookie = o.flow_cookie.unwrap();
        assert_eq!(*cookies.entry(key).or_insert(cookie), cookie, "flow {key:?}");
    }
    let distinct: std::collections::HashSet<_> = cookies.values().collect();
    assert!(cookies.len() >= 2 && distinct.len() == cookies.len(), "{cookies:?}");
}

#[test]
fn geneve_around_a_vxlan_capture_keeps_the_mirror_packet_whole() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = generate(dir.path(), "vx.pcap", false);
    let frames = read_pcap(&pcap);
    let opts = WrapOptions { encap: Encap::Geneve(GwlbIds::default()), ..WrapOptions::default() };
    let p = send::prepare(&[pcap], &opts).unwrap();
    assert_eq!(p.stats.wrapped, frames.len() as u64);
    for (d, f) in p.iter().zip(&frames) {
        let g = GeneveHeader::new_checked(d).unwrap();
        let inner = &d[g.header_len()..];
        assert_eq!(inner, &ip_of(f)[..]);
        match LaxSlicedPacket::from_ip(inner).unwrap().transport {
            Some(TransportSlice::Udp(u)) => assert_eq!(u.destination_port(), 4789),
            other => panic!("not UDP: {other:?}"),
        }
    }
    let rx = receiver("127.0.0.1:0").unwrap();
    assert_eq!(payloads(send_chunked(&p, &rx, None)), p.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
}

#[test]
fn source_address_is_the_one_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("tiny.pcap");
    tiny_capture(&pcap, 8);
    let p = send::prepare(std::slice::from_ref(&pcap), &WrapOptions::default()).unwrap();
    let rx = receiver("127.0.0.1:0").unwrap();
    let got = send_chunked(&p, &rx, Some("127.0.0.2:0".parse().unwrap()));
    assert_eq!(got.len(), 8);
    assert!(got.iter().all(|(_, from)| from.ip() == IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))), "{got:?}");

    // The same through the command line, which also prints its summary.
    let to = rx.local_addr().unwrap().to_string();
    let (code, err) = mirrorids(&["send", "--to", &to, "--source", "127.0.0.2", "--rate", "5000", &s(&pcap)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("sent 8 datagrams") && err.contains("packets/s") && err.contains("Gbit/s"), "{err}");
    let mut buf = [0u8; 2048];
    for _ in 0..8 {
        let (_, from) = rx.recv_from(&mut buf).unwrap();
        assert_eq!(from.ip(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    }
    let (code, err) = mirrorids(&["send", "-q", "--to", &to, "--loops", "2", &s(&pcap)]);
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn loops_multiply_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("tiny.pcap");
    let frames = tiny_capture(&pcap, 20);
    let p = send::prepare(&[pcap], &WrapOptions::default()).unwrap();
    let rx = receiver("127.0.0.1:0").unwrap();
    // 60 small datagrams fit in the receive buffer: one call, odd batches.
    let opts = SendOptions { loops: 3, batch: 7, ..SendOptions::new(rx.local_addr().unwrap()) };
    let stats = send::send(&p, &opts).unwrap();
    assert_eq!(stats.datagrams, 60);
    assert_eq!(stats.bytes, 3 * p.data.len() as u64);
    let mut buf = [0u8; 2048];
    for i in 0..60 {
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[8..n], &frames[i % 20][..], "datagram {i}");
    }
}

#[test]
fn rate_limited_send_completes() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("tiny.pcap");
    tiny_capture(&pcap, 20);
    let p = send::prepare(&[pcap], &WrapOptions::default()).unwrap();
    // Nobody reads: the receiver drops what does not fit, the sender does not care.
    let rx = receiver("127.0.0.1:0").unwrap();
    let opts = SendOptions { rate_pps: Some(20_000), loops: 150, ..SendOptions::new(rx.local_addr().unwrap()) };
    let stats = send::send(&p, &opts).unwrap();
    assert_eq!(stats.datagrams, 3000);
    assert!(stats.pps() > 0.0 && stats.gbps() > 0.0);
}

#[test]
fn nothing_listening_does_not_abort_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("tiny.pcap");
    tiny_capture(&pcap, 20);
    let p = send::prepare(&[pcap], &WrapOptions::default()).unwrap();
    let closed = {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap()
    };
    // Port unreachable comes back as ECONNREFUSED on a connected socket.
    let stats = send::send(&p, &SendOptions { loops: 100, ..SendOptions::new(closed) }).unwrap();
    assert_eq!(stats.datagrams, 2000);
}

#[test]
fn raw_ip_capture_and_truncated_records() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("raw.pcap");
    let frame = frames::udp(IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V4(Ipv4Addr::LOCALHOST), 1, 2, &[9u8; 300]);
    let ip = &frame[14..];
    let mut w = PcapWriter::new(std::fs::File::create(&pcap).unwrap(), LinkType::RAW, 65535).unwrap();
    w.write_packet(Timestamp::ZERO, ip, ip.len() as u32).unwrap();
    // Cut by a 100-byte snap length.
    w.write_packet(Timestamp::ZERO, &ip[..100], ip.len() as u32).unwrap();
    drop(w);
    let p = send::prepare(&[pcap], &WrapOptions::default()).unwrap();
    assert_eq!((p.stats.frames, p.stats.wrapped, p.stats.truncated), (2, 2, 1));
    let rx = receiver("127.0.0.1:0").unwrap();
    let got = payloads(send_chunked(&p, &rx, None));
    for (d, want) in got.iter().zip([ip, &ip[..100]]) {
        assert_eq!(d[..8], [0x08, 0, 0, 0, 0, 0, 1, 0]);
        // A rebuilt Ethernet header: locally administered MACs, IPv4.
        let eth = etherparse::Ethernet2HeaderSlice::from_slice(&d[8..]).unwrap();
        assert!(eth.source()[0] & 0x02 != 0 && eth.destination()[0] & 0x02 != 0);
        assert_eq!(eth.ether_type(), etherparse::EtherType::IPV4);
        assert_eq!(&d[22..], want);
    }
}

#[test]
fn damaged_and_garbage_captures() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture at all").unwrap();
    let err = send::prepare(std::slice::from_ref(&garbage), &WrapOptions::default()).unwrap_err();
    assert!(err.contains("garbage.pcap"), "{err}");
    let (code, err) = mirrorids(&["send", "--to", "127.0.0.1:9", &s(&garbage)]);
    assert_eq!(code, 1);
    assert!(err.contains("garbage.pcap"), "{err}");
    let (code, err) = mirrorids(&["send", "--to", "127.0.0.1:9", &s(&dir.path().join("missing.pcap"))]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.pcap"), "{err}");

    // Cut inside its fifth record: the first four are still sent.
    let good = dir.path().join("tiny.pcap");
    tiny_capture(&good, 20);
    let bytes = std::fs::read(&good).unwrap();
    let record = (bytes.len() - 24) / 20;
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..24 + 4 * record + 10]).unwrap();
    let p = send::prepare(std::slice::from_ref(&cut), &WrapOptions::default()).unwrap();
    assert_eq!(p.len(), 4);
    assert!(p.stats.damaged.len() == 1 && p.stats.damaged[0].contains("cut.pcap"), "{:?}", p.stats.damaged);
    let rx = receiver("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap().to_string();
    let (code, err) = mirrorids(&["send", "--to", &to, &s(&cut)]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("warning:") && err.contains("cut.pcap") && err.contains("sent 4 datagrams"), "{err}");

    // Usage errors: a VNI over 24 bits, GWLB ids without --geneve.
    let (code, _) = mirrorids(&["send", "--to", &to, "--vni", "16777216", &s(&good)]);
    assert_eq!(code, 2);
    let (code, _) = mirrorids(&["send", "--to", &to, "--gwlb-endpoint-id", "ff", &s(&good)]);
    assert_eq!(code, 2);
}
