//! Decoding throughput: plain, VXLAN-wrapped and truncated jumbo frames.

use std::hint::black_box;
use std::net::IpAddr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mirrorids::decode::{decode_frame, DecodeConfig, Decoded};
use mirrorids::gen::frames::{self, TcpSpec};
use mirrorids::source::LinkType;

fn bench(c: &mut Criterion) {
    let src: IpAddr = "198.18.0.1".parse().unwrap();
    let dst: IpAddr = "10.0.1.10".parse().unwrap();
    let spec = TcpSpec { sport: 40000, dport: 443, seq: 1, ack: 1, flags: 0x18, window: 512 };
    let plain = frames::tcp(src, dst, spec, &[0x17; 1400]);
    let vxlan = frames::vxlan(&plain, 0x12_3456, "10.0.1.10".parse().unwrap(), "10.99.0.5".parse().unwrap(), 50_000);
    let jumbo_inner = frames::tcp(src, dst, spec, &[0x17; 8949]);
    let jumbo =
        frames::vxlan(&jumbo_inner[..14 + 8947], 7, "10.0.1.10".parse().unwrap(), "10.99.0.5".parse().unwrap(), 50_000);
    let cfg = DecodeConfig::default();
    let mut g = c.benchmark_group("decode");
    for (name, f) in [("plain_tcp_1400", &plain), ("vxlan_tcp_1400", &vxlan), ("vxlan_truncated_jumbo", &jumbo)] {
        g.throughput(Throughput::Bytes(f.len() as u64));
        g.bench_function(name, |b| {
            let mut d = Decoded::default();
            b.iter(|| decode_frame(black_box(f), LinkType::ETHERNET, &cfg, &mut d))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
