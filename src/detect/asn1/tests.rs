use super::*;

const BS: &[u8] = b"\x03\x01\xff"; // BIT STRING: 255 unused bits in 1 octet
const NULL: &[u8] = b"\x05\x00";

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    match n {
        0..=0x7f => v.push(n as u8),
        0x80..=0xff => v.extend([0x81, n as u8]),
        _ => v.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    v.extend_from_slice(content);
    v
}

fn nested(depth: usize, inner: &[u8]) -> Vec<u8> {
    (0..depth).fold(inner.to_vec(), |acc, _| tlv(0x30, &acc))
}

fn indefinite(depth: usize, inner: &[u8]) -> Vec<u8> {
    (0..depth).fold(inner.to_vec(), |acc, _| [&b"\x30\x80"[..], &acc, b"\x00\x00"].concat())
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn bitstring() -> Asn1 {
    Asn1 { bitstring_overflow: true, ..Asn1::default() }
}

fn double() -> Asn1 {
    Asn1 { double_overflow: true, ..Asn1::default() }
}

fn oversize(n: u32) -> Asn1 {
    Asn1 { oversize_length: Some(n), ..Asn1::default() }
}

/// A REAL of `n` content octets, the first one `first`.
fn real(first: u8, n: usize) -> Vec<u8> {
    let mut content = vec![0x05; n];
    content[0] = first;
    tlv(0x09, &content)
}

/// X.690 A.3, the record Suricata's unit tests use: [APPLICATION 0] of
/// length 133.
fn x690_a3() -> Vec<u8> {
    let mut v = b"\x60\x81\x85\x61\x10\x1a\x04John\x1a\x01P\x1a\x05Smith\xa0\x0a\x1a\x08Director".to_vec();
    v.extend_from_slice(b"\x42\x01\x33\xa1\x0a\x43\x0819710917\xa2\x12\x61\x10\x1a\x04Mary\x1a\x01T\x1a\x05Smith");
    v.extend_from_slice(b"\xa3\x42\x31\x1f\x61\x11\x1a\x05Ralph\x1a\x01T\x1a\x05Smith\xa0\x0a\x43\x0819571111");
    v.extend_from_slice(b"\x31\x1f\x61\x11\x1a\x05Susan\x1a\x01B\x1a\x05Jones\xa0\x0a\x43\x0819590717");
    assert_eq!(v.len(), 3 + 0x85);
    v
}

#[test]
fn bitstring_overflow_boundaries() {
    let a = bitstring();
    assert!(matches(&a, BS, 0));
    assert!(!matches(&a, b"\x03\x01\x07", 0), "7 unused bits is legal");
    assert!(matches(&a, b"\x03\x01\x09", 0), "9 > 8 x 1");
    assert!(!matches(&a, b"\x03\x01\x08", 0), "8 is not > 8 x 1");
    assert!(matches(&a, b"\x03\x02\x11\x00", 0));
    assert!(!matches(&a, b"\x03\x02\x10\x00", 0));
    assert!(!matches(&double(), BS, 0), "only the checks asked for");
    assert!(!matches(&Asn1::default(), BS, 0), "no check, no match");
}

#[test]
fn double_overflow_boundaries() {
    let a = double();
    assert!(matches(&a, &real(0x05, 257), 0));
    assert!(!matches(&a, &real(0x05, 256), 0), "256 octets fit the buffer");
    assert!(!matches(&a, &real(0x80, 257), 0), "binary encoding");
    assert!(!matches(&a, &real(0x40, 257), 0), "special value");
    assert!(matches(&a, &tlv(0x30, &real(0x05, 300)), 0), "children are checked");
    assert!(!matches(&a, &tlv(0xa0, &real(0x05, 300)), 0), "context-specific contents are not decoded");
    assert!(!matches(&bitstring(), &real(0x05, 257), 0));
}

#[test]
fn oversize_length_boundaries() {
    let a3 = x690_a3();
    assert!(matches(&oversize(132), &a3, 0));
    assert!(!matches(&oversize(133), &a3, 0));
    let big = tlv(0x30, &tlv(0x04, &[0x42; 253]));
    assert_eq!(big.len(), 4 + 256);
    assert!(matches(&oversize(255), &big, 0));
    assert!(!matches(&oversize(256), &big, 0));
    assert!(!matches(&oversize(0), NULL, 0));
    assert!(matches(&oversize(0), b"\x04\x01\x00", 0));
    assert!(!matches(&oversize(0), b"\x04\x84\xff\xff\xff\xff", 0), "claims more than it holds");
}

#[test]
fn truncated_and_invalid_objects_stop_decoding() {
    let mut truncated = b"\x04\x82\x0b\xb8".to_vec(); // 3000 octets claimed
    truncated.extend_from_slice(&[0x41; 200]);
    assert!(!matches(&oversize(100), &truncated, 0));
    // What decoded before the bad object still counts; nothing after it.
    assert!(matches(&bitstring(), &cat(&[BS, b"ZZ"]), 0));
    assert!(!matches(&bitstring(), &cat(&[b"\x01\x02\x00\x00", BS]), 0));
    for n in 0..BS.len() {
        assert!(!matches(&bitstring(), &BS[..n], 0), "{n} bytes");
    }
}

#[test]
fn offsets_outside_the_buffer() {
    let buf = cat(&[b"AA", BS]);
    assert!(matches(&bitstring(), &buf, 2));
    assert!(!matches(&bitstring(), &buf, 0), "'A' claims 65 octets");
    assert!(!matches(&bitstring(), &buf, buf.len()));
    assert!(!matches(&bitstring(), &buf, usize::MAX));
    assert!(!matches(&bitstring(), &[], 0));
}

#[test]
fn frames_and_depth_limits() {
    let a = bitstring();
    let nulls = |n: usize| NULL.repeat(n);
    assert!(matches(&a, &cat(&[&nulls(255), BS]), 0), "256th object");
    assert!(!matches(&a, &cat(&[&nulls(256), BS]), 0), "257th object");
    assert!(matches(&a, &cat(&[BS, &nulls(255)]), 0), "256 objects");
    assert!(!matches(&a, &cat(&[BS, &nulls(256)]), 0), "257 objects: none counts");
    assert!(!matches(&a, &cat(&[BS, &nulls(255), b"Z"]), 0), "a byte left after 256");
    assert!(matches(&a, &cat(&[BS, &nulls(254), b"Z"]), 0));
    // Deep nesting runs on a big stack so that debug builds pass too.
    let deep = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| (matches(&bitstring(), &nested(255, BS), 0), matches(&bitstring(), &nested(256, BS), 0)))
        .expect("thread")
        .join()
        .expect("no overflow");
    assert_eq!(deep, (true, false), "255 levels decode, 256 are deeper than the limit");
    assert!(matches(&a, &indefinite(49, BS), 0));
    assert!(!matches(&a, &indefinite(50, BS), 0), "asn1-rs's indefinite-length limit");
}

#[test]
fn indefinite_length_objects_are_not_checked_themselves() {
    let body = cat(&[b"\x30\x80", &tlv(0x04, &[0x43; 16]), b"\x00\x00"]);
    assert!(!matches(&oversize(17), &body, 0));
    assert!(matches(&oversize(15), &body, 0), "the 16-octet child is");
    for tag in [0x24u8, 0x60, 0xa0] {
        let body = cat(&[&[tag, 0x80], &tlv(0x04, &[0x43; 16]), b"\x00\x00"]);
        assert!(!matches(&oversize(15), &body, 0), "{tag:#x}");
        assert!(matches(&bitstring(), &cat(&[&body, BS]), 0), "{tag:#x} decodes");
    }
}

/// Payloads run through Suricata 8.0.6 (suricata_cases.txt): what
/// der-parser accepts, what stops the decoding, what is searched. Suricata
/// uses der-parser 9, we use 10: this is where a difference would show.
#[test]
fn decoding_matches_suricata() {
    let cases = include_str!("suricata_cases.txt");
    let mut n = 0;
    let mut differ = Vec::new();
    for line in cases.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (hex, want) = line.split_once(' ').expect("hex and outcome");
        let buf: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        n += 1;
        if matches(&bitstring(), &buf, 0) != (want == "1") {
            differ.push(format!("{hex}: Suricata {want}"));
        }
    }
    assert!(n > 200, "{n} cases");
    assert!(differ.is_empty(), "{differ:#?}");
    let real_in_ctx = tlv(0xa0, &real(0x05, 300));
    assert!(matches(&oversize(299), &real_in_ctx, 0), "the wrapper's own length counts");
}

#[test]
fn hostile_input_is_bounded() {
    // Deep, wide and self-similar inputs: no panic, no unbounded work.
    let mut deep = Vec::new();
    for _ in 0..10_000 {
        deep.extend_from_slice(b"\x30\x80");
    }
    assert!(!matches(&bitstring(), &deep, 0));
    let wide = NULL.repeat(30_000);
    assert!(!matches(&oversize(0), &wide, 0));
    let mut x = 0x9e37_79b9u32;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    for start in 0..noise.len() {
        let _ = matches(
            &Asn1 { bitstring_overflow: true, double_overflow: true, oversize_length: Some(10), ..Asn1::default() },
            &noise,
            start,
        );
    }
}

/// der-parser recurses once per nesting level, so the deepest input the
/// limit lets through must fit a worker thread's stack (2 MiB by default)
/// with room to spare: it takes about 300 KiB in a release build.
#[test]
#[cfg_attr(debug_assertions, ignore = "debug builds have much larger frames")]
fn deepest_input_fits_in_1_mib_of_stack() {
    let deep = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let a = Asn1 {
                bitstring_overflow: true,
                double_overflow: true,
                oversize_length: Some(1 << 20),
                ..Asn1::default()
            };
            matches(&a, &nested(255, BS), 0) && matches(&a, &indefinite(49, BS), 0)
        })
        .expect("thread")
        .join();
    assert!(matches!(deep, Ok(true)));
}
