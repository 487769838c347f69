//! The TLS parser against the suricata-verify TLS cases: each pcap's TCP
//! connections are reassembled (in capture order, by sequence number), fed
//! to `TlsConn`, and the extracted values compared with the strings the
//! cases' rules expect (and must not find, for sids expected not to alert).
//! Every connection is also fed one byte at a time, which must give the
//! same result.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;

use common::shared;
use mirrorids::app::tls::{self, TlsConfig, TlsConn, TlsEvent, TlsInfo};
use mirrorids::decode::tcp::{ACK, SYN};
use mirrorids::decode::{decode_frame, DecodeConfig, Decoded, L4};
use mirrorids::source::pcap::PcapReader;

type Endpoint = (IpAddr, u16);

/// One TCP connection: payload chunks in capture order, each already in
/// sequence order for its direction (0 = client->server).
#[derive(Default)]
struct Conn {
    client: Option<Endpoint>,
    chunks: Vec<(usize, Vec<u8>)>,
    /// Per direction: next expected sequence number, and segments waiting
    /// for the bytes before them.
    next: [Option<u32>; 2],
    pending: [BTreeMap<u32, Vec<u8>>; 2],
}

impl Conn {
    /// Adds a segment; emits whatever became contiguous. Retransmitted bytes
    /// are dropped (first copy wins, enough for these captures).
    fn segment(&mut self, dir: usize, seq: u32, data: &[u8]) {
        let Some(next) = self.next[dir] else { return };
        let off = seq.wrapping_sub(next) as i32;
        if off > 0 {
            self.pending[dir].entry(seq).or_insert_with(|| data.to_vec());
            return;
        }
        let skip = off.unsigned_abs() as usize;
        if skip >= data.len() {
            return;
        }
        self.chunks.push((dir, data[skip..].to_vec()));
        self.next[dir] = Some(next.wrapping_add((data.len() - skip) as u32));
        // Pending segments that now fit.
        while let Some((&s, _)) =
            self.pending[dir].iter().find(|(&s, _)| (s.wrapping_sub(self.next[dir].unwrap()) as i32) <= 0)
        {
            let d = self.pending[dir].remove(&s).unwrap();
            self.segment(dir, s, &d);
        }
    }
}

fn corpus(case: &str, pcap: &str) -> PathBuf {
    shared().join("corpus/suricata-verify-app").join(case).join(pcap)
}

/// TCP connections of a pcap, in order of first packet.
fn connections(case: &str, pcap: &str) -> Vec<Conn> {
    let path = corpus(case, pcap);
    let mut reader = PcapReader::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut conns: Vec<Conn> = Vec::new();
    let mut index: HashMap<(Endpoint, Endpoint), usize> = HashMap::new();
    let mut buf = Vec::new();
    let mut dec = Decoded::default();
    loop {
        buf.clear();
        let Some(meta) = reader.next_frame(&mut buf).unwrap() else { break };
        if decode_frame(&buf, meta.linktype, &DecodeConfig::default(), &mut dec).is_err() {
            continue;
        }
        let L4::Tcp(t) = dec.l4 else { continue };
        let (src, dst) = ((dec.ip.src, t.sport), (dec.ip.dst, t.dport));
        let key = if src < dst { (src, dst) } else { (dst, src) };
        let i = *index.entry(key).or_insert_with(|| {
            conns.push(Conn::default());
            conns.len() - 1
        });
        let c = &mut conns[i];
        // The client is who sent the SYN; without one, who spoke first.
        if c.client.is_none() || (t.flags & SYN != 0 && t.flags & ACK == 0) {
            c.client.get_or_insert(src);
        }
        let dir = usize::from(Some(src) != c.client);
        let payload = dec.payload(&buf);
        if t.flags & SYN != 0 {
            c.next[dir] = Some(t.seq.wrapping_add(1));
        } else if c.next[dir].is_none() {
            c.next[dir] = Some(t.seq);
        }
        if !payload.is_empty() {
            c.segment(dir, t.seq, payload);
        }
    }
    conns.retain(|c| !c.chunks.is_empty());
    conns
}

/// Feeds a connection: in its chunks, or one byte at a time.
fn feed(conn: &Conn, bytewise: bool) -> (TlsConn, Vec<TlsEvent>) {
    // JA3 on, as when rules use it (by default it follows the rules).
    let cfg = TlsConfig { ja3_fingerprints: tls::Fingerprints::Yes, ..TlsConfig::default() };
    let mut tls = TlsConn::new();
    let mut events = Vec::new();
    for (dir, data) in &conn.chunks {
        if bytewise {
            for b in data {
                tls.parse(&cfg, *dir, std::slice::from_ref(b), &mut events);
            }
        } else {
            tls.parse(&cfg, *dir, data, &mut events);
        }
    }
    (tls, events)
}

/// Parses every connection of a case, checking segmentation independence.
fn parse_case(case: &str, pcap: &str) -> Vec<(TlsInfo, Vec<TlsEvent>)> {
    let conns = connections(case, pcap);
    assert!(!conns.is_empty(), "{case}: no TCP payload");
    conns
        .iter()
        .map(|c| {
            let (whole, ev) = feed(c, false);
            let (bytes, ev1) = feed(c, true);
            assert_eq!(format!("{:?}", whole.info()), format!("{:?}", bytes.info()), "{case}: bytewise info differs");
            assert_eq!(whole.stats(), bytes.stats(), "{case}: bytewise stats differ");
            assert_eq!(ev, ev1, "{case}: bytewise events differ");
            assert_eq!(whole.stats().malformed, 0, "{case}: {:?}", whole.stats());
            assert_eq!(whole.stats().cert_parse_failures, 0, "{case}: {:?}", whole.stats());
            (whole.info().clone(), ev)
        })
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn cert_noissuer_subject() {
    let infos = parse_case("tls/tls-cert-noissuer", "tls.pcap");
    assert_eq!(infos.len(), 1);
    let (info, ev) = &infos[0];
    let leaf = &info.server_certs[0];
    // sid 1: tls.cert_subject; content:"localhost" (to_client).
    assert!(leaf.subject.contains("localhost"), "{}", leaf.subject);
    assert!(ev.contains(&TlsEvent::ServerCertificate));
}

#[test]
fn cert_validity_issuerdn() {
    // tls-cert-validity and tls-issuerdn share this pcap: 4 connections with
    // a certificate (the 5th resumes a session).
    for case in ["tls/tls-cert-validity", "tls/tls-issuerdn"] {
        let infos = parse_case(case, "tls.pcap");
        let with_cert: Vec<_> = infos.iter().filter(|(i, _)| !i.server_certs.is_empty()).collect();
        assert_eq!(with_cert.len(), 4, "{case}");
        for (info, _) in with_cert {
            let leaf = &info.server_certs[0];
            // tls.notbefore "2015-02-12T18:07:27", tls.notafter "2025-02-09T18:07:27".
            assert_eq!(leaf.not_before, 1_423_764_447);
            assert_eq!(leaf.not_after, 1_739_124_447);
            // tls.issuerdn / tls.cert_issuer.
            assert_eq!(leaf.issuer, "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS");
            assert!(info.handshake_done);
        }
    }
}

#[test]
fn client_certificate() {
    let infos = parse_case("tls/tls-client-cert-01", "tls-client-auth.pcap");
    assert_eq!(infos.len(), 1);
    let (info, ev) = &infos[0];
    let c = &info.client_certs[0];
    assert!(c.subject.contains("O=TLSClientAuthSampleClient"), "{}", c.subject);
    assert!(c.issuer.contains("O=TLSClientAuthSampleCA"), "{}", c.issuer);
    assert_eq!(c.fingerprint, "32:56:41:d0:6a:ff:47:cb:21:e4:89:c5:ae:2a:a2:d8:1b:c9:70:0c");
    assert!(ev.contains(&TlsEvent::ClientCertificate));
    assert_eq!(info.sni.as_deref(), Some(&b"localhost"[..]));
}

#[test]
fn client_hello_split_over_segments() {
    let infos = parse_case("tls/tls-client-hello-frag-01", "dump_mtu300.pcap");
    assert_eq!(infos.len(), 1);
    let (info, ev) = &infos[0];
    assert_eq!(info.sni.as_deref(), Some(&b"www.google.com"[..]));
    assert!(contains(info.sni.as_deref().unwrap(), b"google"));
    assert_eq!(ev.first(), Some(&TlsEvent::ClientHello));
    // Wireshark's JA3 for this ClientHello.
    assert_eq!(info.ja3_hash.as_deref(), Some("a64c29923906f2a1be278be1da0714fa"));
    assert_eq!(info.ja3s_hash.as_deref(), Some("a27e76e64afe9199440ad714848966f8"));
}

#[test]
fn nul_bytes_in_names() {
    let infos = parse_case("tls/tls-issuer-zero", "input.pcap");
    let leaf = &infos[0].0.server_certs[0];
    assert!(leaf.issuer.contains("C=US, O=Microsoft Corporation, CN=Microsoft RSA TL\0 CA 01"), "{:?}", leaf.issuer);

    let infos = parse_case("tls/tls-subject-zero", "input.pcap");
    let leaf = &infos[0].0.server_certs[0];
    let want = "C=US, ST=WA, L=Redmond, O=Microsoft Corporat\0on, OU=Microsoft Corporation, CN=go.microsoft.com";
    assert!(leaf.subject.contains(want), "{:?}", leaf.subject);
    assert_eq!(infos[0].0.sni.as_deref(), Some(&b"go.microsoft.com"[..]));
}

#[test]
fn duplicate_client_hello_keeps_first() {
    let infos = parse_case("tls-duplicate-hello", "input.pcap");
    let (info, _) = infos.iter().find(|(i, _)| i.ja3_string.is_some()).unwrap();
    let want = "771,4866-4867-4865-4868-49196-52393-49325-49162-49195-49324-49161-49200-52392-49172-49199-49171-157-49309-53-156-49308-47-159-52394-49311-57-158-49310-51,5-10-11-13-22-23-35-51-43-65281-0-45,23,0";
    assert_eq!(info.ja3_string.as_deref(), Some(want));
    assert!(want.contains("771,"));
    // Wireshark's JA3 of the first of the two hellos.
    assert_eq!(info.ja3_hash.as_deref(), Some("43202faa1c8c1760d6f7f4bd9adde4ab"));
}

#[test]
fn bidir_ja3() {
    // detect-bidir-ja3 and bug-5464-verdict-04 use the same capture.
    for case in ["detect-bidir-ja3", "bug-5464-verdict-04"] {
        let infos = parse_case(case, "input.pcap");
        assert_eq!(infos.len(), 1);
        let (info, ev) = &infos[0];
        let ja3s = info.ja3s_hash.as_deref().unwrap();
        let ja3 = info.ja3_string.as_deref().unwrap();
        // sid 1 matches; sid 2 (other ja3s) and sid 3 (other ja3.string) must not.
        assert_eq!(ja3s, "5d79edf64e03689ff559a54e9d9487bc");
        assert!(ja3.contains("771,49196-49200"), "{ja3}");
        assert!(!ja3s.contains("6d79edf64e03689ff559a54e9d9487bc"));
        assert!(!ja3.contains("9999999999"));
        assert_eq!(info.ja3_hash.as_deref(), Some("1fe4c7a3544eb27afec2adfb3a3dbf60"));
        // bug-5464-verdict-04: the tls record has sni example.com.
        assert_eq!(info.sni.as_deref(), Some(&b"example.com"[..]));
        assert!(ev.contains(&TlsEvent::ServerCertificate));
        assert!(info.handshake_done);
    }
}

#[test]
fn ja3_and_ja3s_hashes() {
    let infos = parse_case("bug-8336-02-bypass", "input.pcap");
    assert_eq!(infos.len(), 1);
    let (info, _) = &infos[0];
    assert_eq!(info.ja3_hash.as_deref(), Some("fae0e5d973c96ae1888b99538efa0363"));
    assert_eq!(info.ja3s_hash.as_deref(), Some("907bf3ecef1c987c889946b737b43de8"));
    assert_eq!(info.sni.as_deref(), Some(&b"docs.suricata.io"[..]));
    // TLS 1.3: supported_versions picks 0x0304; certificates are encrypted.
    assert_eq!(info.version, Some(0x0304));
    assert_eq!(info.client_version, Some(0x0303));
    assert_eq!(info.dir_versions, [0x0304, 0x0304]);
    assert_eq!(info.record_versions & tls::TLS13, tls::TLS13);
    assert!(info.server_certs.is_empty());
    assert!(info.handshake_done);
}

#[test]
fn ssl_version_tls10_sessions() {
    let infos = parse_case("ssl_version_negated", "input.pcap");
    // Six TLS 1.0 connections, both directions (12 matches per rule); one
    // starts with an SSLv2-format ClientHello offering TLS 1.0.
    assert_eq!(infos.len(), 6);
    let mut sslv2 = 0;
    for (info, ev) in &infos {
        assert_eq!(info.dir_versions, [0x0301, 0x0301]);
        assert_eq!(info.record_versions & !tls::SSLV2, tls::TLS10);
        assert_eq!(info.version, Some(0x0301));
        assert_eq!(info.client_version, Some(0x0301));
        assert_eq!(info.state & (tls::CLIENT_HELLO | tls::SERVER_HELLO), tls::CLIENT_HELLO | tls::SERVER_HELLO);
        assert!(ev.contains(&TlsEvent::ClientHello));
        if info.record_versions & tls::SSLV2 != 0 {
            sslv2 += 1;
            assert!(info.ja3_string.is_none());
            assert_eq!(info.state & tls::CLIENT_KEYX, tls::CLIENT_KEYX);
            assert_eq!(info.state & tls::SERVER_KEYX, tls::SERVER_KEYX);
        }
    }
    assert_eq!(sslv2, 1);
}

#[test]
fn probe_first_bytes() {
    for (case, pcap) in [
        ("tls/tls-cert-noissuer", "tls.pcap"),
        ("tls/tls-client-hello-frag-01", "dump_mtu300.pcap"),
        ("ssl_version_negated", "input.pcap"),
        ("detect-bidir-ja3", "input.pcap"),
    ] {
        for c in connections(case, pcap) {
            for dir in 0..2 {
                let first: Vec<u8> =
                    c.chunks.iter().filter(|(d, _)| *d == dir).flat_map(|(_, b)| b.clone()).take(8).collect();
                if first.is_empty() {
                    continue;
                }
                assert_eq!(tls::probe(&first), Some(true), "{case} dir {dir}: {first:02x?}");
                assert_eq!(tls::probe(&first[..2]), None);
            }
        }
    }
    assert_eq!(tls::probe(b"GET / HTTP/1.1\r\n"), Some(false));
    assert_eq!(tls::probe(b"SSH-2.0-OpenSSH"), Some(false));
}
