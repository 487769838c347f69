use std::io::Cursor;
use std::path::Path;

use super::*;
use crate::gen::pcap_writer::PcapWriter;

fn read_all(bytes: Vec<u8>) -> (Vec<(FrameMeta, Vec<u8>)>, Option<PcapError>) {
    let mut r = match PcapReader::new(Path::new("t.pcap"), Cursor::new(bytes)) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut out = Vec::new();
    loop {
        let mut buf = Vec::new();
        match r.next_frame(&mut buf) {
            Ok(Some(m)) => out.push((m, buf)),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

fn legacy(frames: &[&[u8]]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 65535).unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write_packet(Timestamp::from_secs_micros(1000 + i as u64, 250), f, f.len() as u32 + 3).unwrap();
    }
    w.into_inner()
}

#[test]
fn legacy_round_trip() {
    let (frames, err) = read_all(legacy(&[b"abc", b"defgh"]));
    assert!(err.is_none());
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].1, b"abc");
    assert_eq!(frames[0].0.ts, Timestamp::from_secs_micros(1000, 250));
    assert_eq!(frames[0].0.wire_len, 6);
    assert_eq!(frames[1].0.linktype, LinkType::ETHERNET);
}

#[test]
fn legacy_big_endian_nanos() {
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2_3c4du32.to_be_bytes());
    b.extend_from_slice(&[0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 101]);
    b.extend_from_slice(&5u32.to_be_bytes());
    b.extend_from_slice(&1_500_000u32.to_be_bytes());
    b.extend_from_slice(&2u32.to_be_bytes());
    b.extend_from_slice(&2u32.to_be_bytes());
    b.extend_from_slice(&[0x45, 0]);
    let (frames, err) = read_all(b);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames[0].0.ts, Timestamp::from_secs_micros(5, 1500));
    assert_eq!(frames[0].0.linktype, LinkType::RAW);
}

#[test]
fn truncated_record_is_a_partial_error() {
    let mut b = legacy(&[b"abc", b"defgh"]);
    b.truncate(b.len() - 2);
    let (frames, err) = read_all(b);
    assert_eq!(frames.len(), 1);
    let err = err.unwrap();
    assert!(err.is_partial());
    assert!(err.to_string().contains("t.pcap"), "{err}");
}

#[test]
fn oversize_record_is_corrupt_not_allocated() {
    let mut b = legacy(&[b"abc"]);
    b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&1_048_576u32.to_le_bytes());
    b.extend_from_slice(&1_048_576u32.to_le_bytes());
    let (frames, err) = read_all(b);
    assert_eq!(frames.len(), 1);
    let msg = err.unwrap().to_string();
    assert!(msg.contains("exceeds the maximum"), "{msg}");
}

#[test]
fn not_a_capture() {
    let (_, err) = read_all(b"this is not a pcap file at all".to_vec());
    assert!(matches!(err, Some(PcapError::BadMagic { .. })));
    let (_, err) = read_all(vec![0xd4]);
    assert!(matches!(err, Some(PcapError::ShortHeader { .. })));
}

fn ng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let len = (12 + padded) as u32;
    let mut b = kind.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(8 + padded, 0);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

fn pcapng(resolution: Option<u8>, packets: &[(u64, &[u8])]) -> Vec<u8> {
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    let mut out = ng_block(0x0a0d_0d0a, &shb);
    let mut idb = vec![1, 0, 0, 0, 0, 0, 4, 0];
    if let Some(r) = resolution {
        idb.extend_from_slice(&[9, 0, 1, 0, r, 0, 0, 0]);
        idb.extend_from_slice(&[0, 0, 0, 0]);
    }
    out.extend(ng_block(1, &idb));
    // An unknown block in between must be skipped.
    out.extend(ng_block(0x0bad, &[1, 2, 3, 4]));
    for (ts, data) in packets {
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(*ts as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(data);
        out.extend(ng_block(6, &epb));
    }
    out
}

#[test]
fn pcapng_packets_and_resolution() {
    let (frames, err) = read_all(pcapng(None, &[(3_000_001, b"hello"), (4_000_000, b"x")]));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].1, b"hello");
    assert_eq!(frames[0].0.ts, Timestamp::from_secs_micros(3, 1));
    // Nanosecond resolution (if_tsresol = 9).
    let (frames, _) = read_all(pcapng(Some(9), &[(2_000_000_500, b"y")]));
    assert_eq!(frames[0].0.ts, Timestamp::from_secs_micros(2, 0));
}

#[test]
fn pcapng_packet_for_unknown_interface_is_corrupt() {
    let mut b = pcapng(None, &[]);
    let mut epb = 3u32.to_le_bytes().to_vec();
    epb.extend_from_slice(&[0; 8]);
    epb.extend_from_slice(&1u32.to_le_bytes());
    epb.extend_from_slice(&1u32.to_le_bytes());
    epb.push(7);
    b.extend(ng_block(6, &epb));
    let (_, err) = read_all(b);
    assert!(err.unwrap().to_string().contains("interface 3"));
}

proptest::proptest! {
    /// Arbitrary bytes after a valid header never panic nor allocate beyond
    /// the record limit.
    #[test]
    fn arbitrary_records_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400), ng in proptest::prelude::any::<bool>()) {
        let mut b = if ng { pcapng(None, &[]) } else { legacy(&[]) };
        b.extend_from_slice(&tail);
        let (frames, _) = read_all(b);
        for (m, data) in frames {
            proptest::prop_assert!(data.len() as u32 == m.cap_len && m.cap_len <= MAX_RECORD_LEN);
        }
    }
}
