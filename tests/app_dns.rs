//! The DNS parser against the suricata-verify DNS cases: every DNS message
//! of each capture is parsed (UDP payloads directly, TCP streams through
//! `DnsTcp`, whole segments and 1-byte pieces) and the values the cases'
//! rules and EVE checks depend on are compared.

use std::path::{Path, PathBuf};

use mirrorids::app::dns::{
    parse_message, probe, rcode_name, rrtype_name, DnsConfig, DnsMessage, DnsStats, DnsTcp, RData,
};
use mirrorids::decode::{decode_frame, DecodeConfig, Decoded, Outcome, L4};
use mirrorids::source::pcap::PcapReader;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/suricata-verify-app")
}

/// Ports the cases run DNS on (dns-incomplete moves it to 5353).
const DNS_PORTS: [u16; 2] = [53, 5353];

/// One parsed message: direction (0 = to server), 1-based packet number
/// (EVE `pcap_cnt` of the packet completing it).
struct Seen {
    dir: usize,
    pkt: usize,
    tcp: bool,
    msg: DnsMessage,
}

/// In-order delivery for one TCP direction: drops retransmitted bytes,
/// reports holes as gaps.
#[derive(Default)]
struct Seq {
    next: Option<u32>,
}

/// Parses every DNS message of a capture; TCP payloads are fed in pieces
/// of `piece` bytes (0 = whole segments).
fn messages(pcap: &Path, piece: usize) -> (Vec<Seen>, DnsStats) {
    let (seen, stats, _) = messages_and_streams(pcap, piece);
    (seen, stats)
}

/// `messages`, plus the TCP bytes delivered per direction.
fn messages_and_streams(pcap: &Path, piece: usize) -> (Vec<Seen>, DnsStats, [Vec<u8>; 2]) {
    let cfg = DnsConfig::default();
    let mut reader = PcapReader::open(pcap).unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
    let mut buf = Vec::new();
    let mut dec = Decoded::default();
    let mut tcp = DnsTcp::new();
    let mut seqs = [Seq::default(), Seq::default()];
    let mut seen = Vec::new();
    let mut streams = [Vec::new(), Vec::new()];
    let mut pkt = 0;
    loop {
        buf.clear();
        let Some(meta) = reader.next_frame(&mut buf).unwrap() else { break };
        pkt += 1;
        let Ok(Outcome::Packet) = decode_frame(&buf, meta.linktype, &DecodeConfig::default(), &mut dec) else {
            continue;
        };
        let payload = dec.payload(&buf);
        match dec.l4 {
            L4::Udp(u) => {
                let dir = if DNS_PORTS.contains(&u.dport) { 0 } else { 1 };
                assert!(probe(payload, false), "packet {pkt}: probe rejects a DNS payload");
                let msg = parse_message(&cfg, payload).unwrap();
                seen.push(Seen { dir, pkt, tcp: false, msg });
            }
            L4::Tcp(t) => {
                let dir = if DNS_PORTS.contains(&t.dport) { 0 } else { 1 };
                let s = &mut seqs[dir];
                if t.flags & 0x02 != 0 {
                    s.next = Some(t.seq.wrapping_add(1));
                }
                if payload.is_empty() {
                    continue;
                }
                let next = *s.next.get_or_insert(t.seq);
                let ahead = t.seq.wrapping_sub(next) as i32;
                let data = if ahead > 0 {
                    tcp.gap(dir, ahead as u64);
                    payload
                } else {
                    payload.get((-ahead) as usize..).unwrap_or_default()
                };
                s.next = Some(t.seq.wrapping_add(payload.len() as u32));
                streams[dir].extend_from_slice(data);
                let mut out = Vec::new();
                if piece == 0 {
                    tcp.parse(&cfg, dir, data, &mut out);
                } else {
                    for p in data.chunks(piece) {
                        tcp.parse(&cfg, dir, p, &mut out);
                    }
                }
                seen.extend(out.into_iter().map(|msg| Seen { dir, pkt, tcp: true, msg }));
            }
            _ => {}
        }
    }
    (seen, *tcp.stats(), streams)
}

/// Both ways of feeding TCP must give the same messages; returns them.
fn case(path: &str) -> Vec<Seen> {
    let pcap = corpus().join(path);
    let (whole, stats) = messages(&pcap, 0);
    let (bytes, stats1) = messages(&pcap, 1);
    assert_eq!(stats, stats1, "{path}");
    assert_eq!(whole.len(), bytes.len(), "{path}");
    for (a, b) in whole.iter().zip(&bytes) {
        assert_eq!((a.dir, a.pkt, a.msg.id, a.msg.flags), (b.dir, b.pkt, b.msg.id, b.msg.flags), "{path}");
        assert_eq!(qnames(&a.msg), qnames(&b.msg), "{path}");
    }
    for s in &whole {
        assert!(!s.msg.truncated_parse, "{path}: packet {} not fully parsed", s.pkt);
        assert_eq!(s.msg.is_response(), s.dir == 1, "{path}: packet {}", s.pkt);
    }
    assert_eq!(stats.malformed + stats.tcp_gaps + stats.tcp_resync_bytes, 0, "{path}: {stats:?}");
    whole
}

fn qnames(m: &DnsMessage) -> Vec<String> {
    m.questions.iter().map(|q| String::from_utf8_lossy(&q.name).into_owned()).collect()
}

fn a_records(m: &DnsMessage) -> Vec<(String, String, u32)> {
    m.answers
        .iter()
        .filter_map(|r| match r.rdata {
            RData::A(a) => {
                Some((String::from_utf8_lossy(&r.name).into_owned(), std::net::Ipv4Addr::from(a).to_string(), r.ttl))
            }
            _ => None,
        })
        .collect()
}

fn rules(path: &str) -> String {
    std::fs::read_to_string(corpus().join(path)).unwrap()
}

/// A `dns_query; content:"X"; nocase` rule matches when some query name
/// contains X, ignoring case.
fn query_contains(m: &DnsMessage, needle: &str) -> bool {
    let needle = needle.to_ascii_lowercase();
    m.questions.iter().any(|q| String::from_utf8_lossy(&q.name).to_ascii_lowercase().contains(&needle))
}

#[test]
fn dns_detect_query_udp() {
    for dir in ["dns-detect-query-01", "dns-detect-query-04"] {
        let r = rules(&format!("dns/dns-query/{dir}/test.rules"));
        assert!(r.contains(r#"dns_query; content:"google"; nocase;"#));
        let seen = case(&format!("dns/dns-query/{dir}/input.pcap"));
        assert_eq!(seen.len(), 1);
        let m = &seen[0].msg;
        assert!(!seen[0].tcp);
        assert_eq!(qnames(m), ["google.com"]);
        assert_eq!((m.questions[0].rrtype, m.id, m.opcode()), (16, 0x1032, 0));
        assert_eq!(rrtype_name(m.questions[0].rrtype), "TXT");
        assert!(query_contains(m, "google"));
        // sid 1 of -04: pcre /google\.com$/ on the buffer; sid 2: /^\.[a-z]{2,3}$/R
        // after "google": the buffer ends right after ".com".
        let name = &m.questions[0].name;
        assert!(name.ends_with(b"google.com"));
        let after = &name[name.windows(6).position(|w| w.eq_ignore_ascii_case(b"google")).unwrap() + 6..];
        assert_eq!(after, b".com");
    }
}

#[test]
fn dns_detect_query_tcp_midstream() {
    // One segment, no handshake, with the 2-byte length prefix.
    let seen = case("dns/dns-query/dns-detect-query-03/input.pcap");
    assert_eq!(seen.len(), 1);
    assert!(seen[0].tcp && seen[0].dir == 0);
    assert_eq!(qnames(&seen[0].msg), ["google.com"]);
    assert_eq!(seen[0].msg.questions[0].rrtype, 16);
    assert!(query_contains(&seen[0].msg, "google"));
}

#[test]
fn dns_incomplete_split_request() {
    // TCP on port 5353. The second request's header and question arrive
    // in two segments (packets 9 and 11): it completes at packet 11.
    assert!(rules("dns/dns-incomplete/test.rules").contains(r#"dns_query; content:"google.com"; nocase;"#));
    let seen = case("dns/dns-incomplete/input.pcap");
    let req: Vec<_> = seen.iter().filter(|s| s.dir == 0).collect();
    let resp: Vec<_> = seen.iter().filter(|s| s.dir == 1).collect();
    assert_eq!(
        req.iter().map(|s| (qnames(&s.msg), s.msg.id, s.pkt)).collect::<Vec<_>>(),
        [(vec!["google.net".to_string()], 0x1133, 5), (vec!["google.com".to_string()], 0x1032, 11),]
    );
    assert!(req.iter().all(|s| s.msg.questions[0].rrtype == 16));
    // sid 1 (google.com) matches exactly one request, the split one; EVE:
    // one request with rrname google.com.
    assert_eq!(req.iter().filter(|s| query_contains(&s.msg, "google.com")).count(), 1);
    assert_eq!(resp.len(), 2);
    for r in resp {
        assert_eq!(r.msg.flags, 0x8180);
        assert_eq!(a_records(&r.msg), [("google.com".to_string(), "1.2.3.4".to_string(), 0x140ef)]);
    }
}

#[test]
fn dns_rrtype_index() {
    // dns.rrtype:1,<index>; flow:to_client. On responses the keyword
    // looks at the answers' rrtypes: index 0 (sid 1, 3 alerts), all
    // (sid 2, 3 alerts), last (sid 3, 4 alerts).
    let seen = case("dns/dns-rrtype-index/input.pcap");
    assert_eq!(seen.len(), 8);
    let req: Vec<_> = seen.iter().filter(|s| s.dir == 0).map(|s| &s.msg).collect();
    let resp: Vec<_> = seen.iter().filter(|s| s.dir == 1).map(|s| &s.msg).collect();
    assert_eq!(req.len(), 4);
    assert_eq!(resp.len(), 4);
    let req_names: Vec<_> = req.iter().flat_map(|m| qnames(m)).collect();
    assert_eq!(req_names, ["client-cf.dropbox.com", "block.dropbox.com", "codemonkey.net", "client-cf.dropbox.com"]);
    assert!(req.iter().all(|m| m.questions.len() == 1 && m.questions[0].rrtype == 1));
    // The codemonkey.net request carries an EDNS OPT record.
    let opt = &req[2].additionals[0];
    assert_eq!((opt.name.as_slice(), opt.rrtype, opt.rrclass), (&b""[..], 41, 4096));
    assert_eq!(rrtype_name(opt.rrtype), "OPT");

    let types: Vec<Vec<u16>> = resp.iter().map(|m| m.answers.iter().map(|a| a.rrtype).collect()).collect();
    assert_eq!(types, [vec![1], vec![5, 1], vec![1], vec![1]]);
    let sid1 = types.iter().filter(|t| t.first() == Some(&1)).count();
    let sid2 = types.iter().filter(|t| !t.is_empty() && t.iter().all(|&x| x == 1)).count();
    let sid3 = types.iter().filter(|t| t.last() == Some(&1)).count();
    assert_eq!((sid1, sid2, sid3), (3, 3, 4));
    // The CNAME chain (compressed twice) and addresses.
    let cname = &resp[1].answers[0];
    assert_eq!(cname.name, b"block.dropbox.com");
    assert!(matches!(&cname.rdata, RData::Name(n) if n.bytes == b"block.g1.dropbox.com"));
    assert_eq!(a_records(resp[1]), [("block.g1.dropbox.com".to_string(), "45.58.70.33".to_string(), 8)]);
    assert_eq!(a_records(resp[0]), [("client-cf.dropbox.com".to_string(), "52.85.112.21".to_string(), 47)]);
    assert_eq!(a_records(resp[2]), [("codemonkey.net".to_string(), "104.131.202.103".to_string(), 435)]);
    assert!(resp.iter().all(|m| rcode_name(m.rcode()) == "NOERROR"));
}

#[test]
fn task_7018_dns_over_tcp() {
    // Three request/response pairs on one TCP connection.
    let seen = case("dns/task-7018-ids-dns-stream-rule/input.pcap");
    let got: Vec<_> = seen.iter().map(|s| (s.dir, s.pkt, qnames(&s.msg))).collect();
    let v = |s: &str| vec![s.to_string()];
    assert_eq!(
        got,
        [
            (0, 4, v("suricata.io")),
            (1, 6, v("suricata.io")),
            (0, 8, v("oisf.net")),
            (1, 9, v("oisf.net")),
            (0, 10, v("suricata.org")),
            (1, 11, v("suricata.org")),
        ]
    );
    for s in &seen {
        let m = &s.msg;
        assert!(s.tcp);
        assert_eq!((m.id, m.opcode()), (0, 0));
        assert_eq!(rrtype_name(m.questions[0].rrtype), "A");
        if s.dir == 1 {
            // EVE: flags "8180", qr, rd, ra, rcode NOERROR.
            assert_eq!(m.flags, 0x8180);
            assert_eq!(rcode_name(m.rcode()), "NOERROR");
        }
    }
    let s = |n: &str, ip: &str, ttl| (n.to_string(), ip.to_string(), ttl);
    assert_eq!(a_records(&seen[1].msg), [s("suricata.io", "35.212.0.44", 490)]);
    assert_eq!(a_records(&seen[3].msg), [s("oisf.net", "192.0.78.190", 207), s("oisf.net", "192.0.78.209", 207)]);
    assert_eq!(
        a_records(&seen[5].msg),
        [s("suricata.org", "15.197.148.33", 600), s("suricata.org", "3.33.130.190", 600)]
    );
}

#[test]
fn bug_2736_ddns_query() {
    assert!(rules("bug-2736-01/test.rules").contains(r#"content:"|04|ddns|03|net|00|";"#));
    let seen = case("bug-2736-01/23_6594.pcap");
    assert_eq!(seen.len(), 1);
    let m = &seen[0].msg;
    assert_eq!(seen[0].dir, 0);
    assert_eq!(qnames(m), ["donghakacademy.ddns.net"]);
    assert_eq!((m.id, m.questions[0].rrtype, m.questions[0].rrclass), (0x6594, 1, 1));
}

#[test]
fn bug_5197_txt_query_and_answer() {
    // Two DNS events: a TXT query and its answer.
    let seen = case("bug-5197/input.pcap");
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(qnames(&s.msg), ["1234567890abc.def.hijklmn.opqrstu"]);
        assert_eq!((s.msg.id, s.msg.questions[0].rrtype), (0x4449, 16));
    }
    let ans = &seen[1].msg.answers;
    assert_eq!(ans.len(), 1);
    assert_eq!((ans[0].rrtype, ans[0].ttl), (16, 1));
    assert!(matches!(&ans[0].rdata, RData::Txt(t) if t == &[b"1234567890ABCDEFGHIJKLMNO ".to_vec()]));
}

#[test]
fn detect_bytetest_root_query() {
    // One DNS event: id 0x3835, a query for the root name (empty buffer),
    // with one trailing byte after the question.
    let seen = case("detect-bytetest-03/input.pcap");
    assert_eq!(seen.len(), 1);
    let m = &seen[0].msg;
    assert_eq!((m.id, m.flags), (0x3835, 0x0100));
    assert_eq!(m.questions.len(), 1);
    assert_eq!(m.questions[0].name, b"");
    assert_eq!((m.questions[0].rrtype, m.questions[0].rrclass), (1, 1));
}

#[test]
fn tcp_streams_in_one_byte_pieces_match_reference_framing() {
    // Frame each direction's reassembled bytes the plain way (length,
    // message, length...) and parse each message directly: DnsTcp fed one
    // byte at a time must give the same messages in the same order.
    let cfg = DnsConfig::default();
    for path in ["dns/task-7018-ids-dns-stream-rule/input.pcap", "dns/dns-incomplete/input.pcap"] {
        let (seen, stats, streams) = messages_and_streams(&corpus().join(path), 1);
        for (dir, stream) in streams.iter().enumerate() {
            let mut reference = Vec::new();
            let mut rest = stream.as_slice();
            while let [hi, lo, tail @ ..] = rest {
                let len = usize::from(u16::from_be_bytes([*hi, *lo]));
                reference.push(parse_message(&cfg, &tail[..len]).unwrap());
                rest = &tail[len..];
            }
            assert!(rest.is_empty(), "{path}: stream {dir} ends inside a message");
            let got: Vec<_> = seen.iter().filter(|s| s.tcp && s.dir == dir).map(|s| &s.msg).collect();
            assert_eq!(got.len(), reference.len(), "{path} dir {dir}");
            assert!(got.len() >= 2, "{path} dir {dir}");
            for (g, r) in got.iter().zip(&reference) {
                assert_eq!((g.id, g.flags, qnames(g), a_records(g)), (r.id, r.flags, qnames(r), a_records(r)));
            }
        }
        assert_eq!(stats.messages as usize, seen.iter().filter(|s| s.tcp).count(), "{path}");
    }
}
