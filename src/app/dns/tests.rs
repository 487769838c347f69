//! Unit tests: well-formed, truncated and hostile messages, probing, and
//! TCP framing under any segmentation and gaps.

use super::*;

/// Wire-form name from dotted text (no escaping: test names are plain).
fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        h.extend_from_slice(&c.to_be_bytes());
    }
    h
}

/// Appends type, class, TTL and rdata of a record (its name already there).
fn rr_tail(out: &mut Vec<u8>, rrtype: u16, ttl: u32, rdata: &[u8]) {
    out.extend_from_slice(&rrtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
}

fn query(id: u16, name: &str, rrtype: u16) -> Vec<u8> {
    let mut m = header(id, 0x0100, [1, 0, 0, 0]);
    m.extend(wire_name(name));
    m.extend_from_slice(&rrtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m
}

/// Response with one question (at offset 12) and answers of many types,
/// all compressed against the question name.
fn rich_response() -> Vec<u8> {
    let mut m = header(0xbeef, 0x8183, [1, 7, 0, 1]);
    m.extend(wire_name("www.example.com"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    // CNAME www.example.com -> cdn.example.com ("cdn" + pointer to
    // "example.com" at offset 16).
    m.extend_from_slice(&[0xc0, 12]);
    rr_tail(&mut m, 5, 300, &[3, b'c', b'd', b'n', 0xc0, 16]);
    let cdn = m.len() - 6;
    // A, AAAA for cdn.example.com (pointer to the CNAME target).
    m.extend_from_slice(&[0xc0, cdn as u8]);
    rr_tail(&mut m, 1, 60, &[192, 0, 2, 1]);
    m.extend_from_slice(&[0xc0, cdn as u8]);
    rr_tail(&mut m, 28, 60, &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    // MX 10 mail.example.com
    m.extend_from_slice(&[0xc0, 16]);
    rr_tail(&mut m, 15, 60, &[0, 10, 4, b'm', b'a', b'i', b'l', 0xc0, 16]);
    // TXT with two strings, one empty.
    m.extend_from_slice(&[0xc0, 12]);
    rr_tail(&mut m, 16, 60, &[5, b'h', b'e', b'l', b'l', b'o', 0, 2, b'o', b'k']);
    // A with a bad length, and SOA (kept raw).
    m.extend_from_slice(&[0xc0, 12]);
    rr_tail(&mut m, 1, 60, &[1, 2, 3]);
    m.extend_from_slice(&[0xc0, 16]);
    rr_tail(&mut m, 6, 60, &[0xc0, 16, 0xc0, 16, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]);
    // EDNS OPT: root name, class = UDP size, empty rdata.
    m.push(0);
    m.extend_from_slice(&[0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
    m
}

fn cfg() -> DnsConfig {
    DnsConfig::default()
}

fn parse_counted(data: &[u8]) -> (Result<DnsMessage, DnsError>, DnsStats) {
    let mut stats = DnsStats::default();
    let r = parse_message_with_stats(&cfg(), data, &mut stats);
    (r, stats)
}

#[test]
fn config_default_and_serde() {
    assert_eq!(cfg().max_records, 256);
    let c: DnsConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(c, cfg());
    let c: DnsConfig = serde_json::from_str(r#"{"max_records": 3}"#).unwrap();
    assert_eq!(c.max_records, 3);
    assert!(serde_json::from_str::<DnsConfig>(r#"{"max_record": 3}"#).is_err());
}

#[test]
fn simple_query() {
    let q = query(0x1032, "google.com", 16);
    let m = parse_message(&cfg(), &q).unwrap();
    assert_eq!((m.id, m.flags), (0x1032, 0x0100));
    assert!(!m.is_response() && !m.truncated_parse);
    assert_eq!((m.opcode(), m.rcode()), (0, 0));
    assert_eq!(m.questions.len(), 1);
    assert_eq!(m.questions[0].name, b"google.com");
    assert_eq!((m.questions[0].rrtype, m.questions[0].rrclass), (16, 1));
    assert!(m.answers.is_empty() && m.authorities.is_empty() && m.additionals.is_empty());
}

#[test]
fn header_bits() {
    let m = parse_message(&cfg(), &header(1, 0xa983 | (5 << 11), [0; 4])).unwrap();
    assert!(m.is_response());
    assert_eq!(m.opcode(), 5);
    assert_eq!(m.rcode(), 3);
    assert_eq!(rcode_name(m.rcode()), "NXDOMAIN");
}

#[test]
fn rich_response_records() {
    let (m, stats) = parse_counted(&rich_response());
    let m = m.unwrap();
    assert!(!m.truncated_parse);
    assert_eq!(m.questions[0].name, b"www.example.com");
    let a = &m.answers;
    assert_eq!(a.len(), 7);
    assert_eq!(a[0].name, b"www.example.com");
    assert_eq!((a[0].rrtype, a[0].rrclass, a[0].ttl), (5, 1, 300));
    assert!(matches!(&a[0].rdata, RData::Name(n) if n.bytes == b"cdn.example.com" && !n.truncated));
    assert_eq!(a[1].name, b"cdn.example.com");
    assert!(matches!(a[1].rdata, RData::A([192, 0, 2, 1])));
    assert!(matches!(a[2].rdata, RData::Aaaa(x) if x[0] == 0x20 && x[15] == 1));
    assert_eq!(a[3].name, b"example.com");
    assert!(matches!(&a[3].rdata, RData::Name(n) if n.bytes == b"mail.example.com"));
    assert!(matches!(&a[4].rdata, RData::Txt(t) if t == &[b"hello".to_vec(), vec![], b"ok".to_vec()]));
    // An address of the wrong length is kept, rendered empty (Suricata).
    assert!(matches!(a[5].rdata, RData::BadAddr));
    let RData::Soa(soa) = &a[6].rdata else { panic!("{:?}", a[6].rdata) };
    assert_eq!((soa.mname.bytes.as_slice(), soa.rname.bytes.as_slice()), (&b"example.com"[..], &b"example.com"[..]));
    assert_eq!((soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum), (1, 2, 3, 4, 5));
    let opt = &m.additionals[0];
    assert_eq!((opt.name.as_slice(), opt.rrtype, opt.rrclass), (&b""[..], 41, 0x1000));
    assert!(matches!(&opt.rdata, RData::Opt(o) if o.is_empty()));
    assert_eq!(stats, DnsStats { messages: 1, ..DnsStats::default() });
}

#[test]
fn root_name_and_trailing_bytes() {
    // detect-bytetest-03's payload: root name, then one stray byte.
    let data = [0x38, 0x35, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0];
    let m = parse_message(&cfg(), &data).unwrap();
    assert!(!m.truncated_parse);
    assert_eq!(m.questions[0].name, b"");
    assert_eq!(m.questions[0].rrtype, 1);
}

#[test]
fn label_bytes_are_raw() {
    // A '.' inside a label, a NUL, a high byte, upper case: all as is.
    let mut m = header(1, 0x0100, [1, 0, 0, 0]);
    m.extend_from_slice(&[3, b'a', b'.', b'b', 3, 0, 0xff, b'X', 3, b'C', b'o', b'M', 0, 0, 1, 0, 1]);
    let m = parse_message(&cfg(), &m).unwrap();
    assert_eq!(m.questions[0].name, b"a.b.\x00\xffX.CoM");
}

#[test]
fn too_short_and_too_long() {
    for n in 0..HEADER_LEN {
        let (r, stats) = parse_counted(&query(1, "a.b", 1)[..n]);
        assert_eq!(r.unwrap_err(), DnsError::TooShort);
        assert_eq!((stats.malformed, stats.messages), (1, 0));
    }
    let mut big = header(1, 0, [0; 4]);
    big.resize(MAX_MESSAGE_LEN + 1, 0);
    let (r, stats) = parse_counted(&big);
    assert_eq!(r.unwrap_err(), DnsError::TooLong);
    assert_eq!(stats.oversized, 1);
    big.truncate(MAX_MESSAGE_LEN);
    assert!(parse_message(&cfg(), &big).is_ok());
}

#[test]
fn truncation_rejects_or_drops_as_suricata() {
    // Cut in the question or answer section: no transaction. Cut in the
    // additional section (the last 11 bytes, the OPT record): the message
    // stays, without that section.
    let full = rich_response();
    let additionals_at = full.len() - 11;
    for n in HEADER_LEN..full.len() {
        let (m, stats) = parse_counted(&full[..n]);
        assert_eq!(stats.malformed, 1, "prefix {n}");
        if n < additionals_at {
            assert_eq!(m.unwrap_err(), DnsError::Malformed, "prefix {n}");
            assert_eq!(stats.messages, 0);
        } else {
            let m = m.unwrap();
            assert!(m.invalid_additionals && !m.invalid_authorities && !m.truncated_parse);
            assert!(m.additionals.is_empty());
            assert_eq!(m.answers.len(), 7);
        }
    }
}

/// A response with one A answer, one authority and one additional record,
/// each with the rdata given.
fn sections(answer: (u16, &[u8]), authority: (u16, &[u8]), additional: (u16, &[u8])) -> Vec<u8> {
    let mut m = header(9, 0x8180, [1, 1, 1, 1]);
    m.extend(wire_name("x.example"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    for (t, rdata) in [answer, authority, additional] {
        m.extend_from_slice(&[0xc0, 12]);
        rr_tail(&mut m, t, 60, rdata);
    }
    m
}

#[test]
fn malformed_sections_as_suricata() {
    let good_ns: &[u8] = &[2, b'n', b's', 0xc0, 12];
    let bad_name: &[u8] = &[5, b'a', b'b'];
    // An answer that does not decode rejects the message.
    for bad in [(5, bad_name), (12, &[0xc0, 0xfe][..]), (15, &[0][..]), (16, &[9, b'x'][..]), (6, &[0, 0][..])] {
        let (r, stats) = parse_counted(&sections(bad, (2, good_ns), (1, &[1, 2, 3, 4])));
        assert_eq!(r.unwrap_err(), DnsError::Malformed, "{bad:?}");
        assert_eq!((stats.malformed, stats.messages), (1, 0));
    }
    // A bad authority drops it and the additionals.
    let (r, stats) = parse_counted(&sections((1, &[1, 2, 3, 4]), (2, bad_name), (1, &[1, 2, 3, 4])));
    let m = r.unwrap();
    assert!(m.invalid_authorities && m.authorities.is_empty() && m.additionals.is_empty());
    assert_eq!(m.answers.len(), 1);
    assert_eq!((stats.malformed, stats.messages), (1, 1));
    // A bad additional drops the additionals only.
    let (r, _) = parse_counted(&sections((1, &[1, 2, 3, 4]), (2, good_ns), (41, &[0, 10, 0, 8, 1])));
    let m = r.unwrap();
    assert!(m.invalid_additionals && !m.invalid_authorities && m.additionals.is_empty());
    assert!(matches!(&m.authorities[0].rdata, RData::Name(n) if n.bytes == b"ns.x.example"));
}

#[test]
fn record_data_as_suricata_decodes_it() {
    let soa = [
        &wire_name("ns1.x")[..],
        &wire_name("admin.x")[..],
        &[0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 10, 0, 0, 0, 11],
    ]
    .concat();
    let srv = [&[0, 10, 0, 20, 0x13, 0xc4][..], &wire_name("sip.x")[..]].concat();
    let opt = [0, 10, 0, 2, 0xab, 0xcd, 0, 12, 0, 0];
    let records: [(u16, &[u8]); 14] = [
        (6, &soa),
        (33, &srv),
        (44, &[1, 2, 0xde, 0xad]),
        (41, &opt),
        (10, b"a\x00b"),
        (28, &[1, 2, 3, 4]),
        (1, &[0; 16]),
        (1, &[]),
        (5, &[]),
        (15, &[0, 5]),
        (33, &[0, 1, 0, 2, 0, 3]),
        (44, &[1, 2]),
        (16, &[]),
        (13, &[3, b'c', b'p', b'u']),
    ];
    let mut m = header(1, 0x8180, [0, records.len() as u16, 0, 0]);
    for (t, rdata) in records {
        m.push(0);
        rr_tail(&mut m, t, 1, rdata);
    }
    let (r, stats) = parse_counted(&m);
    let a = r.unwrap().answers;
    let RData::Soa(s) = &a[0].rdata else { panic!() };
    assert_eq!(
        (s.mname.bytes.as_slice(), s.rname.bytes.as_slice(), s.serial, s.minimum),
        (&b"ns1.x"[..], &b"admin.x"[..], 7, 11)
    );
    assert!(
        matches!(&a[1].rdata, RData::Srv { priority: 10, weight: 20, port: 5060, target } if target.bytes == b"sip.x")
    );
    assert!(matches!(&a[2].rdata, RData::Sshfp { algo: 1, fp_type: 2, fingerprint } if fingerprint == &[0xde, 0xad]));
    let RData::Opt(o) = &a[3].rdata else { panic!() };
    assert_eq!(o, &[OptEntry { code: 10, data: vec![0xab, 0xcd] }, OptEntry { code: 12, data: vec![] }]);
    assert!(matches!(&a[4].rdata, RData::Null(b) if b == b"a\x00b"));
    // Addresses go by length, whatever the type says.
    assert!(matches!(a[5].rdata, RData::A([1, 2, 3, 4])));
    assert!(matches!(a[6].rdata, RData::Aaaa(_)));
    assert!(matches!(a[7].rdata, RData::BadAddr));
    // Names at the end of the data are empty (the root).
    assert!(matches!(&a[8].rdata, RData::Name(n) if n.bytes.is_empty()));
    assert!(matches!(&a[9].rdata, RData::Name(n) if n.bytes.is_empty()));
    assert!(matches!(&a[10].rdata, RData::Srv { target, .. } if target.bytes.is_empty()));
    assert!(matches!(&a[11].rdata, RData::Sshfp { fingerprint, .. } if fingerprint.is_empty()));
    assert!(matches!(&a[12].rdata, RData::Txt(t) if t.is_empty()));
    assert!(matches!(&a[13].rdata, RData::Other(r) if r == b"\x03cpu"));
    assert_eq!((stats.malformed, stats.messages), (0, 1));
}

#[test]
fn pointer_loops_terminate() {
    // A pointer to itself is an error, as in Suricata.
    let mut m = header(1, 0x0100, [1, 0, 0, 0]);
    m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
    let (r, stats) = parse_counted(&m);
    assert_eq!(r.unwrap_err(), DnsError::Malformed);
    assert_eq!(stats.bad_pointers, 1);

    // Two names pointing at each other, with labels: the loop ends after
    // 255 steps (128 labels), the name flagged truncated, and the message
    // goes on from after the first pointer.
    let mut m = header(1, 0x0100, [2, 0, 0, 0]);
    m.extend_from_slice(&[1, b'x', 0xc0, 20, 0, 1, 0, 1]);
    m.extend_from_slice(&[1, b'y', 0xc0, 12, 0, 1, 0, 28]);
    let (r, stats) = parse_counted(&m);
    let m = r.unwrap();
    assert_eq!(m.questions.len(), 2);
    let q = &m.questions[0];
    assert!(q.name.starts_with(b"x.y.x.y") && q.name_truncated);
    assert_eq!(q.name.len(), 128 * 2 - 1);
    assert_eq!((m.questions[1].name[0], m.questions[1].rrtype, m.questions[1].rrclass), (b'y', 1, 28));
    assert_eq!(stats.pointer_loops, 2);
}

/// A question whose name is a chain of `n` pointers (each to the next)
/// ending at a real name.
fn pointer_chain(n: usize) -> Vec<u8> {
    let mut m = header(1, 0x0100, [1, 0, 0, 0]);
    let chain_at = 18;
    m.extend_from_slice(&[0xc0, chain_at as u8, 0, 1, 0, 1]);
    for k in 0..n {
        let to = chain_at + 2 * (k + 1);
        m.extend_from_slice(&[0xc0 | (to >> 8) as u8, to as u8]);
    }
    m.extend(wire_name("deep.example"));
    m
}

#[test]
fn long_pointer_chain_is_cut() {
    // 1 + 250 pointers and 2 labels: within the 255 steps.
    let (r, stats) = parse_counted(&pointer_chain(250));
    assert_eq!(r.unwrap().questions[0].name, b"deep.example");
    assert_eq!(stats.pointer_loops, 0);
    // 1 + 300 pointers: cut before any label, the question still parses.
    let (r, stats) = parse_counted(&pointer_chain(300));
    let r = r.unwrap();
    assert!(!r.truncated_parse);
    assert_eq!(r.questions[0].name, b"");
    assert!(r.questions[0].name_truncated);
    assert_eq!(r.questions[0].rrtype, 1);
    assert_eq!(stats.pointer_loops, 1);
}

#[test]
fn forward_pointer_is_followed() {
    // Suricata follows pointers to later offsets.
    let mut m = header(1, 0x0100, [1, 0, 0, 0]);
    m.extend_from_slice(&[0xc0, 18, 0, 1, 0, 1]);
    m.extend(wire_name("later.example"));
    let (r, stats) = parse_counted(&m);
    assert_eq!(r.unwrap().questions[0].name, b"later.example");
    assert_eq!(stats.pointer_loops + stats.bad_pointers + stats.malformed, 0);
}

#[test]
fn bad_pointer_and_reserved_label_types() {
    let mut m = header(1, 0x0100, [2, 0, 0, 0]);
    m.extend(wire_name("ok.example"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    m.extend_from_slice(&[0xc0, 0xff, 0, 1, 0, 1]);
    let (r, stats) = parse_counted(&m);
    assert_eq!(r.unwrap_err(), DnsError::Malformed);
    assert_eq!((stats.bad_pointers, stats.malformed), (1, 1));

    // Length bytes 64 ("label > 63", top bits 01) and 0x80 (top bits 10).
    for lead in [0x40u8, 0x7f, 0x80, 0xbf] {
        let mut m = header(1, 0x0100, [1, 0, 0, 0]);
        m.push(lead);
        m.extend(std::iter::repeat_n(b'a', 200));
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        let (r, stats) = parse_counted(&m);
        assert_eq!(r.unwrap_err(), DnsError::Malformed);
        assert_eq!(stats.bad_labels, 1);
    }
}

#[test]
fn name_length_limit() {
    // 4 labels 63+63+63+61: exactly 255 octets in wire form, allowed.
    let labels = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)];
    let ok = labels.join(".");
    let (r, stats) = parse_counted(&query(1, &ok, 1));
    assert_eq!(r.unwrap().questions[0].name, ok.as_bytes());
    assert_eq!(stats.names_too_long, 0);

    // 5 labels of 63: 321 octets, over RFC 1035's limit (counted) but
    // within Suricata's 1025 bytes: kept whole.
    let long = vec!["e".repeat(63); 5].join(".");
    let (r, stats) = parse_counted(&query(1, &long, 16));
    let r = r.unwrap();
    assert_eq!(r.questions[0].name, long.as_bytes());
    assert!(!r.questions[0].name_truncated);
    assert_eq!(stats.names_too_long, 1);

    // 20 labels of 63: 1279 bytes. Kept: the first 1025, flagged; the
    // name's end is still found, so the rest of the message parses.
    let longer = vec!["f".repeat(63); 20].join(".");
    let mut m = query(1, &longer, 16);
    m[5] = 2;
    m.extend(wire_name("next.example"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    let (r, stats) = parse_counted(&m);
    let r = r.unwrap();
    assert!(!r.truncated_parse);
    assert_eq!(r.questions[0].name, &longer.as_bytes()[..MAX_NAME_LEN]);
    assert!(r.questions[0].name_truncated);
    assert_eq!(r.questions[0].rrtype, 16);
    assert_eq!(r.questions[1].name, b"next.example");
    assert_eq!(stats.names_too_long, 1);
}

#[test]
fn too_many_labels_without_pointer() {
    // Suricata stops after 256 labels and reads the next field from there:
    // here "\x01a" as the type, "\x01a" as the class.
    let name = vec!["a"; 300].join(".");
    let (r, stats) = parse_counted(&query(1, &name, 1));
    let q = &r.unwrap().questions[0];
    // The 256th label is the one that goes over.
    assert_eq!(q.name.len(), 256 * 2 - 1);
    assert!(q.name_truncated);
    assert_eq!((q.rrtype, q.rrclass), (0x0161, 0x0161));
    assert_eq!(stats.pointer_loops, 1);
}

#[test]
fn record_limit() {
    let mut m = header(7, 0x8180, [1, 300, 0, 0]);
    m.extend(wire_name("many.example"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    for i in 0..300u32 {
        m.extend_from_slice(&[0xc0, 12]);
        rr_tail(&mut m, 1, i, &[10, 0, (i >> 8) as u8, i as u8]);
    }
    let (r, stats) = parse_counted(&m);
    let r = r.unwrap();
    assert!(r.truncated_parse);
    assert_eq!(r.answers.len(), 255);
    assert_eq!(r.answers[254].ttl, 254);
    assert_eq!((stats.records_over_limit, stats.malformed), (1, 0));

    let small = DnsConfig { max_records: 1 };
    let r = parse_message(&small, &m).unwrap();
    assert!(r.truncated_parse && r.answers.is_empty() && r.questions.len() == 1);
    let none = DnsConfig { max_records: 0 };
    let r = parse_message(&none, &m).unwrap();
    assert!(r.truncated_parse && r.questions.is_empty());
    let big = DnsConfig { max_records: 1000 };
    let r = parse_message(&big, &m).unwrap();
    assert!(!r.truncated_parse && r.answers.len() == 300);
}

#[test]
fn hostile_counts_are_cheap() {
    // Counts the bytes cannot hold: rejected at the first missing record
    // (vectors are sized from the bytes left, not from the counts).
    let mut m = header(1, 0x8180, [u16::MAX; 4]);
    m.extend(wire_name("a"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    let r = parse_message(&DnsConfig { max_records: usize::MAX }, &m);
    assert_eq!(r.unwrap_err(), DnsError::Malformed);
}

#[test]
fn rdata_names_stay_within_the_data() {
    // A name whose labels run past its data fails; one that reaches the end
    // of the data without a root byte ends there (Suricata reads names out
    // of the record data); pointers may lead anywhere in the message.
    let answer = |rdata: &[u8]| {
        let mut m = header(1, 0x8180, [0, 1, 0, 0]);
        m.push(0);
        rr_tail(&mut m, 5, 1, rdata);
        parse_message(&cfg(), &m)
    };
    assert_eq!(answer(&[5, b'a', b'b']).unwrap_err(), DnsError::Malformed);
    let m = answer(&[2, b'a', b'b']).unwrap();
    assert!(matches!(&m.answers[0].rdata, RData::Name(n) if n.bytes == b"ab"));
    let m = answer(&[1, b'z', 0xc0, 12]).unwrap();
    assert!(matches!(&m.answers[0].rdata, RData::Name(n) if n.bytes == b"z"));
}

#[test]
fn txt_limits() {
    let mut rdata = Vec::new();
    for _ in 0..(MAX_TXT_STRINGS + 10) {
        rdata.extend_from_slice(&[1, b'z']);
    }
    let mut m = header(1, 0x8180, [0, 1, 0, 0]);
    m.push(0);
    rr_tail(&mut m, 16, 1, &rdata);
    let (r, stats) = parse_counted(&m);
    let r = r.unwrap();
    assert!(matches!(&r.answers[0].rdata, RData::Txt(t) if t.len() == MAX_TXT_STRINGS));
    assert_eq!(stats.txt_over_limit, 1);
}

#[test]
fn names_of_types_and_rcodes() {
    for (t, n) in [(1, "A"), (2, "NS"), (5, "CNAME"), (6, "SOA"), (12, "PTR"), (15, "MX"), (16, "TXT")] {
        assert_eq!(rrtype_name(t), n);
    }
    for (t, n) in [(28, "AAAA"), (33, "SRV"), (41, "OPT"), (65, "HTTPS"), (255, "ANY"), (256, "URI")] {
        assert_eq!(rrtype_name(t), n);
    }
    // Suricata's own spellings.
    // Suricata 8's names (7 had "ND", "NSAPPT", "CDSNKEY").
    assert_eq!(rrtype_name(3), "MD");
    assert_eq!(rrtype_name(23), "NSAPPTR");
    assert_eq!(rrtype_name(60), "CDNSKEY");
    assert_eq!(rrtype_name(64), "64");
    assert_eq!(rrtype_name(65535), "65535");
    assert_eq!(rcode_name(0), "NOERROR");
    assert_eq!(rcode_name(2), "SERVFAIL");
    assert_eq!(rcode_name(5), "REFUSED");
    assert_eq!(rcode_name(10), "NOTZONE");
    assert_eq!(rcode_name(11), "11");
    assert_eq!(rcode_name(16), "BADVERS/BADSIG");
    assert_eq!(rcode_name(22), "BADTRUNC");
}

fn framed(msgs: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(&(m.len() as u16).to_be_bytes());
        out.extend_from_slice(m);
    }
    out
}

#[test]
fn probing() {
    let q = query(1, "google.com", 1);
    assert!(probe(&q, false));
    assert!(probe(&rich_response(), false));
    assert!(probe(&framed(&[&q]), true));
    // Only the header and a prefix of the body: header checks only.
    assert!(probe(&framed(&[&q])[..16], true));
    assert!(!probe(&framed(&[&q])[..13], true));
    assert!(!probe(&q, true));
    assert!(!probe(&q[..11], false));
    assert!(!probe(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false));
    assert!(!probe(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x00\x00", false));
    // Unassigned opcode 7.
    let mut bad = q.clone();
    bad[2] = 7 << 3;
    assert!(!probe(&bad, false));
    // Counts that cannot fit.
    let mut bad = q.clone();
    bad[5] = 20;
    assert!(!probe(&bad, false));
    // Reserved label type in a complete message.
    let mut bad = q.clone();
    bad[12] = 0x46;
    assert!(!probe(&bad, false));
    // A complete message cut inside its question: header checks only.
    assert!(probe(&q[..20], false));
}

fn tcp_collect(pieces: &[&[u8]], dir: usize) -> (Vec<DnsMessage>, DnsStats) {
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    for p in pieces {
        t.parse(&cfg(), dir, p, &mut out);
    }
    (out, *t.stats())
}

fn names(msgs: &[DnsMessage]) -> Vec<String> {
    msgs.iter().map(|m| String::from_utf8_lossy(&m.questions[0].name).into_owned()).collect()
}

#[test]
fn tcp_any_segmentation() {
    let a = query(1, "one.example", 1);
    let b = rich_response();
    let c = query(3, "three.example", 28);
    let stream = framed(&[&a, &b, &c]);
    // Whole, byte by byte, and every two-way split.
    let (msgs, stats) = tcp_collect(&[&stream], 0);
    assert_eq!(names(&msgs), ["one.example", "www.example.com", "three.example"]);
    assert_eq!(stats.messages, 3);
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    let (msgs, _) = tcp_collect(&bytes, 1);
    assert_eq!(names(&msgs), ["one.example", "www.example.com", "three.example"]);
    assert_eq!(msgs[1].answers.len(), 7);
    for cut in 0..=stream.len() {
        let (msgs, _) = tcp_collect(&[&stream[..cut], &stream[cut..]], 0);
        assert_eq!(msgs.len(), 3, "cut {cut}");
    }
}

#[test]
fn tcp_empty_and_short_messages() {
    let q = query(9, "x.example", 1);
    let stream = framed(&[b"", b"abc", &q]);
    let (msgs, stats) = tcp_collect(&[&stream], 0);
    assert_eq!(names(&msgs), ["x.example"]);
    assert_eq!((stats.tcp_empty_messages, stats.malformed, stats.messages), (1, 1, 1));
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    let (msgs2, stats2) = tcp_collect(&bytes, 0);
    assert_eq!(msgs2.len(), 1);
    assert_eq!(stats, stats2);
}

#[test]
fn tcp_directions_are_independent() {
    let q = framed(&[&query(1, "q.example", 1)]);
    let r = framed(&[&rich_response()]);
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    t.parse(&cfg(), 0, &q[..5], &mut out);
    t.parse(&cfg(), 1, &r[..7], &mut out);
    t.parse(&cfg(), 0, &q[5..], &mut out);
    t.parse(&cfg(), 1, &r[7..], &mut out);
    t.parse(&cfg(), 2, &q, &mut out); // no such direction: ignored
    t.gap(5, 10);
    assert_eq!(out.len(), 2);
    assert!(!out[0].is_response() && out[1].is_response());
}

#[test]
fn tcp_gap_inside_known_message_resyncs_exactly() {
    let a = query(1, "lost.example", 1);
    let b = query(2, "kept.example", 1);
    let s = framed(&[&a, &b]);
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    // Prefix + 3 bytes seen, 5 lost, then the rest in two pieces of
    // arbitrary size.
    t.parse(&cfg(), 0, &s[..5], &mut out);
    t.gap(0, 5);
    t.parse(&cfg(), 0, &s[10..12], &mut out);
    t.parse(&cfg(), 0, &s[12..], &mut out);
    assert_eq!(names(&out), ["kept.example"]);
    let st = t.stats();
    assert_eq!((st.tcp_gaps, st.tcp_gap_dropped, st.tcp_resyncs, st.tcp_resync_bytes), (1, 1, 0, 0));

    // A gap ending exactly at the end of the message.
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    let end_a = 2 + a.len();
    t.parse(&cfg(), 0, &s[..4], &mut out);
    t.gap(0, (end_a - 4) as u64);
    t.parse(&cfg(), 0, &s[end_a..], &mut out);
    assert_eq!(names(&out), ["kept.example"]);

    // Two gaps inside the same message.
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    t.parse(&cfg(), 0, &s[..3], &mut out);
    t.gap(0, 4);
    t.parse(&cfg(), 0, &s[7..9], &mut out);
    t.gap(0, 3);
    t.parse(&cfg(), 0, &s[12..], &mut out);
    assert_eq!(names(&out), ["kept.example"]);
}

#[test]
fn tcp_gap_losing_framing_waits_for_a_message_start() {
    let a = query(1, "a.example", 1);
    let b = query(2, "b.example", 1);
    let c = query(3, "c.example", 1);
    let s = framed(&[&a, &b]);
    let c_framed = framed(&[&c]);
    // Gap at a message boundary: the next length is unknown.
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    t.gap(0, 4);
    t.parse(&cfg(), 0, &s[4..2 + a.len()], &mut out); // rest of a: garbage
    t.parse(&cfg(), 0, &s[2 + a.len()..], &mut out); // b: starts a piece
    t.parse(&cfg(), 0, &c_framed, &mut out);
    assert_eq!(names(&out), ["b.example", "c.example"]);
    let st = *t.stats();
    assert_eq!((st.tcp_resyncs, st.tcp_resync_bytes), (1, (a.len() - 2) as u64));

    // Gap running past the end of the current message.
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    t.parse(&cfg(), 0, &s[..6], &mut out);
    t.gap(0, (a.len() + 4) as u64);
    t.parse(&cfg(), 0, &s[a.len() + 10..], &mut out); // middle of b
    t.parse(&cfg(), 0, &c_framed, &mut out);
    assert_eq!(names(&out), ["c.example"]);
    assert_eq!(t.stats().tcp_gap_dropped, 1);

    // Gap inside the length prefix.
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    t.parse(&cfg(), 0, &s[..1], &mut out);
    t.gap(0, 1);
    t.parse(&cfg(), 0, &s[2..], &mut out);
    t.parse(&cfg(), 0, &c_framed, &mut out);
    assert_eq!(names(&out), ["c.example"]);

    // Gap past the rest of a message cut by an earlier gap.
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    t.parse(&cfg(), 0, &s[..4], &mut out);
    t.gap(0, 2);
    t.gap(0, 1000);
    t.parse(&cfg(), 0, &c_framed, &mut out);
    assert_eq!(names(&out), ["c.example"]);
}

#[test]
fn tcp_buffer_is_bounded() {
    // A 65535-byte message (an unreasonably large TXT answer) fed in
    // small pieces: buffered once, parsed, then the buffer is released.
    let mut m = header(1, 0x8180, [0, 1, 0, 0]);
    m.push(0);
    let rdlen = 65535 - m.len() - 10;
    // Strings of 255 bytes, the last one as long as what is left.
    let last = rdlen - rdlen % 256;
    let rdata: Vec<u8> = (0..rdlen)
        .map(|i| match i {
            i if i == last => (rdlen - last - 1) as u8,
            i if i % 256 == 0 => 255,
            _ => b'q',
        })
        .collect();
    rr_tail(&mut m, 16, 1, &rdata);
    assert_eq!(m.len(), 65535);
    let s = framed(&[&m, &query(2, "after.example", 1)]);
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    for piece in s.chunks(1000) {
        t.parse(&cfg(), 1, piece, &mut out);
        assert!(t.buffer_capacity(1) <= 2 + 65535);
    }
    assert_eq!(out.len(), 2);
    assert!(
        matches!(&out[0].answers[0].rdata, RData::Txt(x) if x.len() == 256 && x[0].len() == 255 && x[255].len() == 231)
    );
    assert!(t.buffer_capacity(1) <= 4096);
}

#[test]
fn fuzz_mutations_never_panic() {
    // Deterministic mutations (xorshift) of valid messages: flipped bytes,
    // pointers aimed anywhere, cut lengths. Parsing, probing and TCP
    // framing must survive all of them.
    let seeds = [rich_response(), query(1, "a.b.c", 1), framed(&[&rich_response(), &query(5, "x.y", 2)])];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut t = DnsTcp::new();
    let mut out = Vec::new();
    for round in 0..20_000 {
        let mut m = seeds[round % seeds.len()].clone();
        for _ in 0..(next() % 6 + 1) {
            let at = (next() as usize) % m.len();
            match next() % 4 {
                0 => m[at] = next() as u8,
                1 => m[at] = 0xc0 | (next() % 4) as u8,
                2 => m[at] = (next() % 64) as u8,
                _ => m.truncate(at.max(1)),
            }
        }
        let _ = parse_message(&cfg(), &m);
        let _ = probe(&m, round % 2 == 0);
        let split = (next() as usize) % (m.len() + 1);
        t.parse(&cfg(), round % 2, &m[..split], &mut out);
        if next() % 16 == 0 {
            t.gap(round % 2, next() % 100);
        }
        t.parse(&cfg(), round % 2, &m[split..], &mut out);
        out.clear();
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut stats = DnsStats::default();
            if let Ok(m) = parse_message_with_stats(&cfg(), &data, &mut stats) {
                let n = m.questions.len() + m.answers.len() + m.authorities.len() + m.additionals.len();
                prop_assert!(n <= 256);
                for q in &m.questions {
                    prop_assert!(q.name.len() <= MAX_NAME_LEN);
                }
            }
            let _ = probe(&data, false);
            let _ = probe(&data, true);
        }

        #[test]
        fn tcp_segmentation_is_invisible(cuts in proptest::collection::vec(0usize..400, 0..12)) {
            let stream = framed(&[&query(1, "p.example", 1), &rich_response(), b"", &query(2, "q.example", 16)]);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
            cuts.push(0);
            cuts.push(stream.len());
            cuts.sort_unstable();
            let pieces: Vec<&[u8]> = cuts.windows(2).map(|w| &stream[w[0]..w[1]]).collect();
            let (msgs, stats) = tcp_collect(&pieces, 0);
            let (whole, whole_stats) = tcp_collect(&[&stream], 0);
            prop_assert_eq!(names(&msgs), names(&whole));
            prop_assert_eq!(stats, whole_stats);
        }
    }
}
