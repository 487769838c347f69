//! Loading rules with datasets and IP reputation: a bad data file skips
//! the rules that need it, with the file, line and problem; the others load.

use super::*;
use crate::rules::{ParsedRules, Vars};

pub(super) fn build(rules: &str, config: DetectConfig) -> DetectEngine {
    let mut parsed = ParsedRules::default();
    let dir = std::env::temp_dir();
    parsed.add_text(rules, &dir.join("t.rules").display().to_string(), &Vars::default());
    DetectEngine::build(parsed, &Classifications::builtin(), config).unwrap()
}

fn tmp(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mirrorids-detect-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for (f, text) in files {
        std::fs::write(d.join(f), text).unwrap();
    }
    d
}

#[test]
fn bad_dataset_file_skips_only_its_rules() {
    let d = tmp("ds", &[("bad.lst", "ZXZpbC5jb20=\n%%%\n")]);
    let rules = format!(
        "alert dns any any -> any any (dns.query; dataset:isset,bad, type string, load {}; sid:1;)\n\
         alert dns any any -> any any (dns.query; dataset:isnotset,other, type string; sid:2;)\n\
         alert tcp any any -> any any (dataset:isset,other; sid:3;)\n",
        d.join("bad.lst").display()
    );
    let e = build(&rules, DetectConfig::default());
    assert_eq!(e.report.loaded, 1);
    let f1 = e.report.failed.iter().find(|f| f.sid == Some(1)).unwrap();
    assert!(f1.error.message.contains("bad.lst") && f1.error.message.contains("line 2"), "{}", f1.error.message);
    // dataset needs a sticky buffer, as in Suricata.
    assert!(e.report.failed.iter().any(|f| f.sid == Some(3)));
}

#[test]
fn iprep_rules_stay_ip_only_and_need_known_categories() {
    let d = tmp("rep", &[("cats.txt", "1,Bad,bad\n"), ("rep.list", "10.0.0.0/8,1,90\n")]);
    let config = DetectConfig {
        reputation: reputation::ReputationConfig {
            categories_file: Some(d.join("cats.txt")),
            default_path: Some(d.clone()),
            files: vec!["rep.list".into()],
        },
        ..DetectConfig::default()
    };
    let rules = "alert ip any any -> any any (iprep:src,Bad,>,50; sid:1;)\n\
                 alert ip any any -> any any (iprep:src,Nope,>,50; sid:2;)\n";
    let e = build(rules, config.clone());
    assert_eq!((e.report.loaded, e.report.iponly), (1, 1));
    assert!(e.report.failed[0].error.message.contains("unknown category"));
    // A bad reputation line: the iprep rules are skipped with its place.
    std::fs::write(d.join("rep.list"), "10.0.0.0/8,1,90\n10.0.0.1,1,900\n").unwrap();
    let e = build(
        "alert ip any any -> any any (iprep:src,Bad,>,50; sid:1;)\nalert ip any any -> any any (sid:3;)\n",
        config,
    );
    assert_eq!(e.report.loaded, 1);
    let m = &e.report.failed[0].error.message;
    assert!(m.contains("rep.list:2") && m.contains("bad score"), "{m}");
}

#[test]
fn rule_hooks_must_match_their_buffers_and_tx_bits_need_one() {
    let rules = "alert http1:request_line any any -> any any (http.uri; content:\"/\"; xbits:set,a,track tx; sid:1;)\n\
                 alert http1:request_headers any any -> any any (http.uri; content:\"/\"; sid:2;)\n\
                 alert http1:request_line any any -> any any (http.user_agent; content:\"x\"; sid:3;)\n\
                 alert http1:request_headers any any -> any any (xbits:isset,a,track tx; sid:4;)\n\
                 alert http any any -> any any (xbits:isset,a,track tx; sid:5;)\n\
                 alert http1:response_line any any -> any any (http.stat_code; content:\"200\"; sid:6;)\n\
                 alert tcp any any -> any any (content:\"x\"; xbits:set,a,track tx; sid:7;)\n\
                 alert http1:request_complete any any -> any any (sid:8;)\n\
                 alert tls:client_hello_done any any -> any any (ssl_state:client_hello; sid:9;)\n";
    let e = build(rules, DetectConfig::default());
    let failed: Vec<u32> = e.report.failed.iter().filter_map(|f| f.sid).collect();
    assert_eq!(e.report.loaded, 4, "{failed:?}");
    for sid in [2, 3, 5, 7, 9] {
        assert!(failed.contains(&sid), "sid {sid} should not load: {failed:?}");
    }
    let why = |sid| e.report.failed.iter().find(|f| f.sid == Some(sid)).unwrap().error.message.clone();
    assert!(why(2).contains("doesn't match hook request_headers"), "{}", why(2));
    assert!(why(5).contains("explicit rule hook"), "{}", why(5));
    // A hook with no keyword makes a transaction rule all the same.
    let s8 = e.sigs.iter().find(|s| s.sid == 8).unwrap();
    assert_eq!(s8.tx.as_ref().unwrap().variants[0].progress, crate::app::Progress::HttpRequestBody);
}

#[test]
fn tx_bits_stay_on_their_transaction_and_are_bounded() {
    let mut st = FlowDetectState::default();
    assert!(st.set_tx_bit(0, 1));
    assert!(st.tx_bit_is_set(0, 1) && !st.tx_bit_is_set(1, 1) && !st.tx_bit_is_set(0, 2));
    for tx in 1..32 {
        assert!(st.set_tx_bit(tx, 1));
    }
    // Full: the oldest transaction's bits make room, and that is reported.
    assert!(!st.set_tx_bit(32, 1));
    assert!(!st.tx_bit_is_set(0, 1) && st.tx_bit_is_set(32, 1) && st.tx_bit_is_set(1, 1));
    st.remap_tx_bits(&[None, Some(5)]);
    assert!(st.tx_bit_is_set(32, 5));
}

/// Packet-only rules on streamed packets are selected by gates instead of
/// a scan; results must be those of evaluating every rule.
#[test]
fn gated_packet_rules_match_as_if_scanned() {
    use crate::decode::{decode_frame, DecodeConfig, Decoded};
    use crate::gen::frames::{tcp, TcpSpec};
    let e = build(
        "alert tcp-pkt any any -> any any (content:\"SET\"; flowbits:set,x; flowbits:noalert; sid:1;)\n\
         alert tcp-pkt any any -> any any (flowbits:isset,x; content:\"hello\"; sid:2;)\n\
         alert tcp-pkt any any -> any any (content:\"MZ\"; startswith; content:\"PE|00 00|\"; distance:10; sid:3;)\n\
         alert tcp-pkt any any -> any any (content:\"whoami\"; depth:8; nocase; sid:4;)\n",
        DetectConfig {
            mpm_cache: mpm_cache::MpmCacheConfig { enabled: false, ..Default::default() },
            ..Default::default()
        },
    );
    let mut ctx = e.new_ctx().unwrap();
    let mut state = FlowDetectState::default();
    let mut run = |payload: &[u8], state: &mut FlowDetectState| {
        let t = TcpSpec { sport: 40000, dport: 80, seq: 1, ack: 1, flags: 0x18, window: 512 };
        let frame = tcp([10, 0, 0, 1].into(), [10, 0, 0, 2].into(), t, payload);
        let mut dec = Decoded::default();
        decode_frame(&frame, crate::source::LinkType::ETHERNET, &DecodeConfig::default(), &mut dec).unwrap();
        let flow = FlowInfo {
            to_server: true,
            established: true,
            client_bytes: 0,
            server_bytes: 0,
            app_proto: Default::default(),
        };
        let input = DetectInput {
            dec: &dec,
            payload: dec.payload(&frame),
            flow: Some(flow),
            in_stream: true,
            is_stream: false,
            payload_inspection: true,
            placement: Placement::default(),
        };
        let mut out = Vec::new();
        e.detect(&mut ctx, &input, Some(state), &mut out);
        let mut sids: Vec<u32> = out.iter().map(|&i| e.sigs[i as usize].sid).collect();
        sids.sort_unstable();
        sids
    };
    // No bit yet: sid 2 waits for it.
    assert_eq!(run(b"hello", &mut state), Vec::<u32>::new());
    // Set and tested on the same packet (the setter runs first).
    let mut fresh = FlowDetectState::default();
    assert_eq!(run(b"SET hello", &mut fresh), [1, 2]);
    // Set earlier in the flow.
    assert_eq!(run(b"SET", &mut state), [1]);
    assert_eq!(run(b"hello", &mut state), [2]);
    assert_eq!(run(b"MZ0123456789PE\0\0", &mut state), [3]);
    assert_eq!(run(b"xMZ0123456789PE\0\0", &mut state), Vec::<u32>::new());
    assert_eq!(run(b"  WhoAmI", &mut state), [4]);
    assert_eq!(run(b"   whoami", &mut state), Vec::<u32>::new());
}
