//! The HTTP parser against Suricata's own regression corpus
//! (`/work/shared/corpus/suricata-verify-app`): the two TCP streams of each
//! capture are rebuilt and fed to `HttpConn`, whole, one byte at a time and
//! in random pieces; the results must be identical and must contain what
//! Suricata's rules expect.
//!
//! Tests skip (with a message) when the corpus is not present.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use mirrorids::app::http::{HttpConfig, HttpConn, HttpEvent, HttpTx};
use mirrorids::decode::{decode_frame, DecodeConfig, Decoded, L4};
use mirrorids::source::pcap::PcapReader;

const CORPUS: &str = "/work/shared/corpus/suricata-verify-app";

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(CORPUS);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("corpus {CORPUS} not found: skipped");
        None
    }
}

/// Client-to-server and server-to-client payload of the first TCP
/// connection in a capture, ordered by sequence number, duplicates and
/// overlaps dropped.
struct Streams {
    client: Vec<u8>,
    server: Vec<u8>,
}

type Endpoint = (IpAddr, u16);

fn streams(pcap: &Path) -> Streams {
    let mut reader = PcapReader::open(pcap).expect("open pcap");
    let cfg = DecodeConfig::default();
    let mut frame = Vec::new();
    let mut dec = Decoded::default();
    let mut client: Option<(Endpoint, Endpoint)> = None;
    let mut segs: [Vec<(u32, Vec<u8>)>; 2] = [Vec::new(), Vec::new()];
    let mut isn: [Option<u32>; 2] = [None, None];
    let mut seen_pkts: Vec<(Endpoint, Endpoint, u8, u32, Vec<u8>)> = Vec::new();
    loop {
        frame.clear();
        let Some(meta) = reader.next_frame(&mut frame).expect("read frame") else { break };
        if decode_frame(&frame, meta.linktype, &cfg, &mut dec).is_err() {
            continue;
        }
        let L4::Tcp(tcp) = dec.l4 else { continue };
        let src = (dec.ip.src, tcp.sport);
        let dst = (dec.ip.dst, tcp.dport);
        if client.is_none() && tcp.flags & 0x02 != 0 && tcp.flags & 0x10 == 0 {
            client = Some((src, dst));
        }
        seen_pkts.push((src, dst, tcp.flags, tcp.seq, dec.payload(&frame).to_vec()));
    }
    let (cli, srv) = client.unwrap_or_else(|| {
        // No handshake: the side talking to port 80 (or the first sender) is the client.
        let (s, d, ..) = seen_pkts.first().cloned().expect("tcp packets");
        if s.1 == 80 {
            (d, s)
        } else {
            (s, d)
        }
    });
    for (src, dst, flags, seq, payload) in seen_pkts {
        let dir = if (src, dst) == (cli, srv) {
            0
        } else if (src, dst) == (srv, cli) {
            1
        } else {
            continue;
        };
        if flags & 0x02 != 0 {
            isn[dir] = Some(seq.wrapping_add(1));
        }
        if !payload.is_empty() {
            segs[dir].push((seq, payload));
        }
    }
    let mut out = [Vec::new(), Vec::new()];
    for dir in 0..2 {
        let base = isn[dir].or_else(|| segs[dir].iter().map(|s| s.0).min()).unwrap_or(0);
        let mut list: Vec<(u32, &Vec<u8>)> = segs[dir].iter().map(|(s, p)| (s.wrapping_sub(base), p)).collect();
        list.sort_by_key(|(off, _)| *off);
        let stream = &mut out[dir];
        for (off, p) in list {
            let off = off as usize;
            if off + p.len() <= stream.len() {
                continue;
            }
            if off > stream.len() {
                // A hole in the capture: keep what follows anyway.
                stream.extend(p);
            } else {
                stream.extend_from_slice(&p[stream.len() - off..]);
            }
        }
    }
    let [client, server] = out;
    Streams { client, server }
}

/// Feeds both streams in pieces of the sizes `next` returns, then closes.
fn run(s: &Streams, cfg: &HttpConfig, mut next: impl FnMut() -> usize) -> (HttpConn, Vec<HttpEvent>) {
    let mut conn = HttpConn::new();
    let mut events = Vec::new();
    for (dir, data) in [(0, &s.client), (1, &s.server)] {
        let mut pos = 0;
        while pos < data.len() {
            let n = next().clamp(1, data.len() - pos);
            conn.parse(cfg, dir, &data[pos..pos + n], &mut events);
            pos += n;
        }
    }
    conn.close(cfg, 0, &mut events);
    conn.close(cfg, 1, &mut events);
    (conn, events)
}

fn txs(conn: &HttpConn) -> Vec<&HttpTx> {
    let st = conn.stats();
    let max = st.requests + st.responses_without_request + 4;
    (0..max).filter_map(|id| conn.tx(id)).collect()
}

/// Everything a transaction holds, for comparing runs.
fn summary(conn: &HttpConn) -> String {
    let mut out = String::new();
    for tx in txs(conn) {
        let (q, r) = (&tx.request, &tx.response);
        let hdrs = |h: &[mirrorids::app::http::Header]| -> Vec<(String, String)> {
            h.iter().map(|h| (lossy(&h.name), lossy(&h.value))).collect()
        };
        out += &format!(
            "tx {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {} | {:?} {:?} {:?} {:?} {} {} | {} {}\n",
            tx.id,
            lossy(&q.line),
            lossy(&q.method),
            lossy(&q.uri_raw),
            lossy(&q.uri_normalized),
            lossy(&q.protocol),
            hdrs(&q.headers),
            lossy(&q.headers_raw),
            lossy(&q.body),
            q.body_truncated,
            lossy(&r.line),
            lossy(&r.status_code),
            hdrs(&r.headers),
            lossy(&r.headers_raw),
            lossy(&r.body),
            r.body_truncated,
            tx.request_complete,
            tx.response_complete,
        );
    }
    out
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, max: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize % max) + 1
    }
}

/// The three ways of feeding a capture must give the same transactions.
fn check_segmentation(name: &str, s: &Streams, cfg: &HttpConfig) -> HttpConn {
    let (whole, _) = run(s, cfg, || usize::MAX);
    let want = summary(&whole);
    let (bytes, _) = run(s, cfg, || 1);
    assert_eq!(summary(&bytes), want, "{name}: one byte at a time differs");
    let mut rng = Lcg(name.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
    let (random, _) = run(s, cfg, || rng.next(97));
    assert_eq!(summary(&random), want, "{name}: random pieces differ");
    whole
}

fn evader_cases(root: &Path) -> BTreeMap<String, PathBuf> {
    let dir = root.join("http-evader");
    let mut cases = BTreeMap::new();
    for e in std::fs::read_dir(&dir).expect("http-evader dir").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("http-evader-") {
            cases.insert(name, e.path().join("input.pcap"));
        }
    }
    cases
}

#[test]
fn http_evader_bodies_decode_to_eicar() {
    let Some(root) = corpus() else { return };
    // Every evader test runs with response-body-decompress-layer-limit=3.
    let cfg = HttpConfig { decompress_layer_limit: 3, ..HttpConfig::default() };
    let cases = evader_cases(&root);
    assert_eq!(cases.len(), 335);
    let mut failed = Vec::new();
    for (name, pcap) in &cases {
        let s = streams(pcap);
        let conn = check_segmentation(name, &s, &cfg);
        let ok = txs(&conn).iter().any(|tx| {
            contains(&tx.response.body, b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE")
                && contains(&tx.response.body, b"X5O!P%@AP[4")
        });
        if !ok {
            let req = s.client.split(|&c| c == b'\n').next().map(lossy).unwrap_or_default();
            failed.push(format!("{name}: {}", req.trim_end()));
        }
    }
    assert!(failed.is_empty(), "{} of {} cases fail:\n{}", failed.len(), cases.len(), failed.join("\n"));
}
