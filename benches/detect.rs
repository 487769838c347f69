//! Detection cost per packet with Emerging Threats Open's packet-level
//! rules (or the bundled signatures when ../shared is absent): a benign
//! payload that only runs the prefilter, and one that hits candidates.

use std::hint::black_box;
use std::net::IpAddr;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mirrorids::config::Config;
use mirrorids::decode::{decode_frame, DecodeConfig, Decoded};
use mirrorids::detect::{DetectInput, FlowDetectState, FlowInfo};
use mirrorids::gen::frames::{self, TcpSpec};
use mirrorids::source::LinkType;

fn rules() -> Vec<PathBuf> {
    let et = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/rules/et-open-2024");
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("signatures");
    if et.is_dir() {
        vec![et, bundled]
    } else {
        vec![bundled]
    }
}

fn bench(c: &mut Criterion) {
    let (engine, _) = mirrorids::engine::load_rules(&Config::default(), &rules()).unwrap();
    let mut ctx = engine.new_ctx().unwrap();
    let src: IpAddr = "198.18.0.1".parse().unwrap();
    let dst: IpAddr = "10.0.1.10".parse().unwrap();
    let spec = TcpSpec { sport: 40000, dport: 80, seq: 1, ack: 1, flags: 0x18, window: 512 };
    let mut benign = b"GET /api/v1/orders?page=2 HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: */*\r\n\r\n".to_vec();
    benign.resize(1400, b'a');
    let attack = b"GET /item?id=1%20UNION%20SELECT%20password%20FROM%20users HTTP/1.1\r\nHost: shop\r\nUser-Agent: sqlmap/1.8\r\n\r\n".to_vec();
    let mut g = c.benchmark_group("detect");
    for (name, payload) in [("benign_http_1400", &benign), ("sqli_request", &attack)] {
        let frame = frames::tcp(src, dst, spec, payload);
        let mut dec = Decoded::default();
        decode_frame(&frame, LinkType::ETHERNET, &DecodeConfig::default(), &mut dec).unwrap();
        let flow = Some(FlowInfo {
            to_server: true,
            established: true,
            client_bytes: 100,
            server_bytes: 100,
            app_proto: Default::default(),
        });
        g.throughput(Throughput::Bytes(frame.len() as u64));
        g.bench_function(name, |b| {
            let mut out = Vec::new();
            let mut state = FlowDetectState::default();
            b.iter(|| {
                out.clear();
                state.iponly_done = [true, true];
                let input = DetectInput {
                    dec: &dec,
                    payload: dec.payload(&frame),
                    flow,
                    in_stream: false,
                    is_stream: false,
                    payload_inspection: true,
                    placement: Default::default(),
                };
                engine.detect(&mut ctx, black_box(&input), Some(&mut state), &mut out);
                out.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
