//! `anomaly` records: the truncation mirroring causes is visible (a decode
//! anomaly per truncated copy, the gap it leaves in the stream), frames
//! that do not decode are logged too, the per-kind rate limit holds and
//! counts what it held back, and Suricata's defaults log none of these.

mod common;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::frames::{self, TcpSpec};
use mirrorids::gen::pcap_writer::PcapWriter;
use mirrorids::output::records::anomaly::AnomalyLogConfig;
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;
use serde_json::Value;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn anomalies(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["event_type"] == "anomaly").collect()
}

fn write_pcap(dir: &Path, frames: &[(Vec<u8>, u32)]) -> PathBuf {
    let path = dir.join("input.pcap");
    let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap(), LinkType::ETHERNET, 65535).unwrap();
    for (i, (f, wire)) in frames.iter().enumerate() {
        // Ten packets per second of capture time.
        let ts = Timestamp::from_secs_micros(1_711_929_600 + i as u64 / 10, (i as u32 % 10) * 100_000);
        w.write_packet(ts, f, *wire).unwrap();
    }
    path
}

/// A 9001-byte TCP segment mirrored through VXLAN, cut to the 8947 bytes a
/// mirror target receives.
fn truncated_copy(seq: u32) -> Vec<u8> {
    let body = vec![b'.'; 9001 - 40];
    let spec = TcpSpec { sport: 40001, dport: 80, seq, ack: 1, flags: 0x18, window: 1024 };
    let jumbo = frames::tcp(ip("198.18.0.7"), ip("10.0.1.10"), spec, &body);
    frames::vxlan(&jumbo[..14 + 8947], 300, ip("10.0.1.10"), ip("10.99.0.5"), 50_000)
}

#[test]
fn a_truncated_mirrored_packet_is_a_decode_anomaly() {
    let pcap = repo().join("tests/data/vxlan-truncated-jumbo/input.pcap");
    let records = replay_records(Config::default(), &[repo().join("signatures")], std::slice::from_ref(&pcap));
    let found = anomalies(&records);
    let decode: Vec<_> = found.iter().filter(|r| r["anomaly"]["type"] == "decode").collect();
    assert_eq!(decode.len(), 1, "{found:?}");
    let d = decode[0];
    assert_eq!(d["anomaly"]["event"], "decoder.ipv4.trunc_pkt");
    assert_eq!((d["src_ip"].as_str(), d["dest_ip"].as_str()), (Some("198.18.0.7"), Some("10.0.1.10")));
    assert_eq!(d["pcap_cnt"], 1);
    assert!(d["flow_id"].is_u64());
    // What the copy lacks, and the mirror session, in our extension.
    assert_eq!(d["mirrorids"]["bytes_missing"], 9001 - 8947);
    assert_eq!(d["mirrorids"]["vni"], 300);
    // The cut tail is a gap in the stream.
    assert!(
        found.iter().any(|r| r["anomaly"]["type"] == "stream" && r["anomaly"]["event"] == "stream.reassembly_seq_gap"),
        "{found:?}"
    );
    if let Some(v) = eve_schema() {
        for r in &found {
            let errors = schema_errors(&v, r);
            assert!(errors.is_empty(), "{errors:?}\n{r}");
        }
    }
    // Suricata's defaults log application-layer anomalies only.
    let mut cfg = Config::default();
    cfg.output.eve.types.anomaly = Some(AnomalyLogConfig::suricata());
    let records = replay_records(cfg, &[repo().join("signatures")], &[pcap]);
    assert!(anomalies(&records).is_empty());
}

#[test]
fn a_frame_that_does_not_decode_is_logged_without_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let good = truncated_copy(1);
    // An Ethernet frame cut inside its IPv4 header, between two packets.
    let bad = good[..20].to_vec();
    let pcap =
        write_pcap(dir.path(), &[(good.clone(), good.len() as u32), (bad, 20), (good.clone(), good.len() as u32)]);
    let records = replay_records(Config::default(), &[], &[pcap]);
    let found = anomalies(&records);
    let failed: Vec<_> = found.iter().filter(|r| r["pcap_cnt"] == 2).collect();
    assert_eq!(failed.len(), 1, "{found:?}");
    assert_eq!(failed[0]["anomaly"]["type"], "decode");
    assert_eq!(failed[0]["anomaly"]["event"], "decoder.ipv4.pkt_too_small");
    assert!(failed[0].get("src_ip").is_none());
    if let Some(v) = eve_schema() {
        assert!(schema_errors(&v, failed[0]).is_empty());
    }
    // Records stay in capture order.
    let order: Vec<u64> = found.iter().filter_map(|r| r["pcap_cnt"].as_u64()).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
}

#[test]
fn the_rate_limit_holds_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    // 300 truncated copies in 30 seconds of capture time.
    let copies: Vec<(Vec<u8>, u32)> = (0..300u32)
        .map(|i| {
            let f = truncated_copy(1 + i * 9001);
            let wire = f.len() as u32;
            (f, wire)
        })
        .collect();
    let pcap = write_pcap(dir.path(), &copies);
    let mut cfg = Config::default();
    cfg.engine.workers = 1;
    cfg.output.eve.types.anomaly = Some(AnomalyLogConfig { rate_limit: 2, burst: 20, ..AnomalyLogConfig::default() });
    let records = replay_records(cfg, &[], &[pcap]);
    let decode = anomalies(&records).iter().filter(|r| r["anomaly"]["type"] == "decode").count();
    // The burst, then two per second for the 29 seconds after the first.
    assert_eq!(decode, 20 + 2 * 29);
    let stats = records.iter().rev().find(|r| r["event_type"] == "stats").unwrap();
    assert_eq!(stats["mirrorids"]["anomalies_suppressed"]["decode"], 300 - decode as u64);
    assert_eq!(stats["mirrorids"]["records_written"]["anomaly"], anomalies(&records).len() as u64);
    assert_eq!(stats["stats"]["decoder"]["event"]["ipv4"]["trunc_pkt"], 300);
    assert_eq!(stats["stats"]["decoder"]["vxlan"], 300);
}

/// libhtp's warnings about a response, as Suricata logs them (its own
/// output for this capture lists these four, on transaction 0, at the
/// client's ACK of the response).
#[test]
fn http_parser_events_match_suricata() {
    let pcap = shared().join("corpus/suricata-verify-app/http-evader/http-evader-086/input.pcap");
    if !pcap.exists() {
        eprintln!("skipped: {} is missing", pcap.display());
        return;
    }
    let mut cfg = Config::default();
    cfg.output.eve.types.anomaly = Some(AnomalyLogConfig::suricata());
    let records = replay_records(cfg, &[], &[pcap]);
    let found = anomalies(&records);
    let events: Vec<(&str, u64, u64)> = found
        .iter()
        .map(|r| {
            assert_eq!(
                (r["anomaly"]["app_proto"].as_str(), r["anomaly"]["layer"].as_str()),
                (Some("http"), Some("proto_parser"))
            );
            (r["anomaly"]["event"].as_str().unwrap(), r["tx_id"].as_u64().unwrap(), r["pcap_cnt"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        events,
        [
            ("RESPONSE_HEADER_REPETITION", 0, 6),
            ("RESPONSE_HEADER_REPETITION", 0, 6),
            ("RESPONSE_ABNORMAL_TRANSFER_ENCODING", 0, 6),
            ("INVALID_RESPONSE_CHUNK_LEN", 0, 6),
        ]
    );
    if let Some(v) = eve_schema() {
        for r in &found {
            let errors = schema_errors(&v, r);
            assert!(errors.is_empty(), "{errors:?}\n{r}");
        }
    }
}
