//! Unit tests: hand-built handshakes (well-formed, fragmented, truncated,
//! hostile), fed whole, one byte at a time and in random pieces.

use super::*;

/// Self-signed test certificate (openssl): subject with a multi-valued RDN
/// and an emailAddress, serial 0x80F5BD062B5602F4 (DER adds a 00 byte).
const LEAF: &[u8] = include_bytes!("testdata/leaf.der");
const LEAF_SUBJECT: &str =
    "C=US, ST=California, L=Mountain View, O=Example Org, OU=Unit + CN=test.example.com, Email=admin@example.com";

/// The parser's defaults with JA3 on (by default it follows the rules).
fn cfg() -> TlsConfig {
    TlsConfig { ja3_fingerprints: Fingerprints::Yes, ..TlsConfig::default() }
}

fn u16b(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

fn u24b(v: usize) -> [u8; 3] {
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

fn record(ct: u8, ver: u16, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ct];
    r.extend(u16b(ver));
    r.extend(u16b(body.len() as u16));
    r.extend(body);
    r
}

fn hs(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![typ];
    m.extend(u24b(body.len()));
    m.extend(body);
    m
}

fn ext(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut e = u16b(typ).to_vec();
    e.extend(u16b(data.len() as u16));
    e.extend(data);
    e
}

fn sni_ext(name: &[u8]) -> Vec<u8> {
    let mut d = u16b(name.len() as u16 + 3).to_vec();
    d.push(0);
    d.extend(u16b(name.len() as u16));
    d.extend(name);
    ext(0, &d)
}

fn u16_list(len_bytes: usize, vals: &[u16]) -> Vec<u8> {
    let mut d = if len_bytes == 1 { vec![(vals.len() * 2) as u8] } else { u16b((vals.len() * 2) as u16).to_vec() };
    for v in vals {
        d.extend(u16b(*v));
    }
    d
}

fn client_hello(version: u16, ciphers: &[u16], exts: &[Vec<u8>]) -> Vec<u8> {
    let mut b = u16b(version).to_vec();
    b.extend([0x11; 32]);
    b.push(32);
    b.extend([0x22; 32]);
    b.extend(u16_list(2, ciphers));
    b.extend([1, 0]);
    let e: Vec<u8> = exts.concat();
    b.extend(u16b(e.len() as u16));
    b.extend(e);
    hs(1, &b)
}

fn server_hello(version: u16, cipher: u16, exts: &[Vec<u8>]) -> Vec<u8> {
    let mut b = u16b(version).to_vec();
    b.extend([0x33; 32]);
    b.push(0);
    b.extend(u16b(cipher));
    b.push(0);
    let e: Vec<u8> = exts.concat();
    b.extend(u16b(e.len() as u16));
    b.extend(e);
    hs(2, &b)
}

fn certificate(certs: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for c in certs {
        list.extend(u24b(c.len()));
        list.extend(*c);
    }
    let mut b = u24b(list.len()).to_vec();
    b.extend(list);
    hs(11, &b)
}

/// A TLS 1.2 ClientHello with GREASE everywhere JA3 looks.
fn tls12_client_hello() -> Vec<u8> {
    client_hello(
        0x0303,
        &[0x0a0a, 0x1301, 0xc02b, 0x002f],
        &[
            ext(0x1a1a, &[]),
            sni_ext(b"example.org"),
            ext(10, &u16_list(2, &[0x2a2a, 29, 23])),
            ext(11, &[1, 0]),
            ext(65281, &[0]),
            ext(0x3a3a, &[0]),
        ],
    )
}
const TLS12_JA3: &str = "771,4865-49195-47,0-10-11-65281,29-23,0";

/// A full TLS 1.2 handshake with a server certificate chain (the second
/// "certificate" is junk), then application data. Chunks in wire order.
fn tls12_transcript() -> Vec<(usize, Vec<u8>)> {
    let mut server = server_hello(0x0303, 0xc02b, &[ext(65281, &[0]), ext(11, &[1, 0])]);
    server.extend(certificate(&[LEAF, b"not a certificate"]));
    server.extend(hs(12, &[0x55; 40]));
    server.extend(hs(14, &[]));
    let mut client_fin = record(22, 0x0303, &hs(16, &[0x66; 33]));
    client_fin.extend(record(20, 0x0303, &[1]));
    client_fin.extend(record(22, 0x0303, &[0x01, 0x00, 0x00, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]));
    let mut server_fin = record(20, 0x0303, &[1]);
    server_fin.extend(record(22, 0x0303, &[0x77; 40]));
    vec![
        (0, record(22, 0x0301, &tls12_client_hello())),
        (1, record(22, 0x0303, &server)),
        (0, client_fin),
        (1, server_fin),
        (0, record(23, 0x0303, &[0x88; 100])),
        (1, record(23, 0x0303, &[0x99; 300])),
    ]
}

#[derive(Clone, Copy)]
enum Split {
    Whole,
    Bytes,
    Random(u64),
}

fn run(cfg: &TlsConfig, chunks: &[(usize, Vec<u8>)], split: Split) -> (TlsConn, Vec<TlsEvent>) {
    let mut c = TlsConn::new();
    let mut ev = Vec::new();
    let mut seed = match split {
        Split::Random(s) => s,
        _ => 0,
    };
    for (dir, data) in chunks {
        match split {
            Split::Whole => c.parse(cfg, *dir, data, &mut ev),
            Split::Bytes => data.iter().for_each(|b| c.parse(cfg, *dir, std::slice::from_ref(b), &mut ev)),
            Split::Random(_) => {
                let mut rest = &data[..];
                while !rest.is_empty() {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let n = ((seed >> 33) as usize % 700 + 1).min(rest.len());
                    c.parse(cfg, *dir, &rest[..n], &mut ev);
                    rest = &rest[n..];
                }
            }
        }
    }
    (c, ev)
}

/// Runs all ways of splitting; asserts they agree; returns the whole run.
fn run_all(cfg: &TlsConfig, chunks: &[(usize, Vec<u8>)]) -> (TlsConn, Vec<TlsEvent>) {
    let (c, ev) = run(cfg, chunks, Split::Whole);
    for split in [Split::Bytes, Split::Random(1), Split::Random(99)] {
        let (c2, ev2) = run(cfg, chunks, split);
        assert_eq!(format!("{:?}", c.info), format!("{:?}", c2.info));
        assert_eq!(c.stats, c2.stats);
        assert_eq!(ev, ev2);
    }
    (c, ev)
}

#[test]
fn tls12_handshake() {
    let (c, ev) = run_all(&cfg(), &tls12_transcript());
    let i = c.info();
    assert_eq!(
        ev,
        [TlsEvent::ClientHello, TlsEvent::ServerHello, TlsEvent::ServerCertificate, TlsEvent::HandshakeDone]
    );
    assert_eq!(i.sni.as_deref(), Some(&b"example.org"[..]));
    assert_eq!(i.client_version, Some(0x0303));
    assert_eq!(i.version, Some(0x0303));
    assert_eq!(i.ja3_string.as_deref(), Some(TLS12_JA3));
    assert_eq!(i.ja3_hash.as_deref(), Some("745a96ee3593505d3064f6a6c5db593b"));
    assert_eq!(i.ja3s_string.as_deref(), Some("771,49195,65281-11"));
    assert_eq!(i.ja3s_hash.as_deref(), Some("f9a66afdd1f499d415ca470974ec00c8"));
    assert_eq!(i.state, CLIENT_HELLO | SERVER_HELLO | CLIENT_KEYX | SERVER_KEYX);
    // The ClientHello rode a 0x0301 record, but its own version counts.
    assert_eq!(i.record_versions, TLS12);
    assert_eq!(i.dir_versions, [0x0303, 0x0303]);
    assert!(i.handshake_done);
    assert!(i.client_certs.is_empty());
    // Suricata's progress names: ChangeCipherSpec ends the client's side,
    // ServerHelloDone the server's.
    assert_eq!(i.progress, [3, 4]);
    assert_eq!(PROGRESS_NAMES[0][3], "client_handshake_done");
    assert_eq!(PROGRESS_NAMES[1][4], "server_handshake_done");

    let leaf = &i.server_certs[0];
    assert_eq!(leaf.der, LEAF);
    assert_eq!(leaf.subject, LEAF_SUBJECT);
    assert_eq!(leaf.issuer, LEAF_SUBJECT);
    assert_eq!(leaf.serial, "00:80:F5:BD:06:2B:56:02:F4");
    assert_eq!(leaf.fingerprint, "68:40:a0:5f:88:f0:3a:1c:ad:05:3d:f0:02:50:1c:72:7d:39:88:0d");
    assert_eq!((leaf.not_before, leaf.not_after), (1_795_406_200, 2_110_766_200));
    // The junk certificate is kept as bytes, unparsed.
    let junk = &i.server_certs[1];
    assert_eq!(junk.der, b"not a certificate");
    assert!(junk.fingerprint.is_empty() && junk.subject.is_empty() && junk.serial.is_empty());

    let s = c.stats();
    assert_eq!(s.records, 9);
    assert_eq!(s.handshake_messages, 6);
    assert_eq!(s.cert_parse_failures, 1);
    // Both Finished messages are ciphertext: skipped, not parsed.
    assert_eq!(s.encrypted_handshake_records, 2);
    assert_eq!((s.malformed, s.oversized_handshakes, s.gaps, s.duplicate_hellos), (0, 0, 0, 0));
}

#[test]
fn client_hello_fragmented_over_records() {
    // One ClientHello in three records (the second carrying 1 byte), the
    // last record also holding the start of a second, oversized message.
    let ch = tls12_client_hello();
    let mut stream = record(22, 0x0301, &ch[..3]);
    stream.extend(record(22, 0x0301, &ch[3..4]));
    let mut tail = ch[4..].to_vec();
    tail.extend([99, 0, 0]);
    stream.extend(record(22, 0x0301, &tail));
    stream.extend(record(22, 0x0301, &[1, 0xaa]));
    let (c, ev) = run_all(&TlsConfig { max_handshake_bytes: 200, ..cfg() }, &[(0, stream)]);
    assert_eq!(ev, [TlsEvent::ClientHello]);
    assert_eq!(c.info().ja3_string.as_deref(), Some(TLS12_JA3));
    assert_eq!(c.info().sni.as_deref(), Some(&b"example.org"[..]));
    // Type 99 of length 0x000001: unknown, parsed as nothing.
    assert_eq!(c.stats().unknown_handshake_types, 1);
    assert_eq!(c.info().state, CLIENT_HELLO | UNKNOWN);
    assert_eq!(c.stats().records, 4);
}

#[test]
fn oversized_handshake_is_skipped_with_bounded_memory() {
    let cfg = TlsConfig { max_handshake_bytes: 100, ..cfg() };
    // A 300-byte message spread over records, then a valid ClientHello.
    let big = hs(13, &[0xab; 300]);
    let mut stream = record(22, 0x0303, &big[..150]);
    stream.extend(record(22, 0x0303, &big[150..]));
    let ch = client_hello(0x0303, &[0x1301], &[sni_ext(b"a.b")]);
    assert!(ch.len() - 4 <= 100);
    stream.extend(record(22, 0x0303, &ch));
    let (c, ev) = run_all(&cfg, &[(0, stream)]);
    assert_eq!(c.stats().oversized_handshakes, 1);
    assert_eq!(ev, [TlsEvent::ClientHello]);
    assert_eq!(c.info().sni.as_deref(), Some(&b"a.b"[..]));

    // A hostile 16 MiB announcement is skipped; an allowed 60000-byte one
    // reserves nothing up front: memory follows the bytes that arrived.
    for (len, oversized) in [([0xff, 0xff, 0xff], 1), ([0x00, 0xea, 0x60], 0)] {
        let mut c = TlsConn::new();
        let mut ev = Vec::new();
        c.parse(&TlsConfig::default(), 0, &[22, 3, 3, 0x40, 0x00, 1, len[0], len[1], len[2]], &mut ev);
        c.parse(&TlsConfig::default(), 0, &[0; 1000], &mut ev);
        assert_eq!(c.stats().oversized_handshakes, oversized);
        assert!(c.dirs[0].hs.body.capacity() <= 2048);
        assert!(ev.is_empty() && c.stats().malformed == 0);
    }
}

#[test]
fn truncated_inputs() {
    let transcript = tls12_transcript();
    let all: Vec<u8> = transcript[0].1.clone();
    // Every prefix of the ClientHello record: no panic, no half result.
    for cut in 0..all.len() {
        let (c, ev) = run(&cfg(), &[(0, all[..cut].to_vec())], Split::Whole);
        assert!(ev.is_empty(), "cut {cut}");
        assert!(c.info().sni.is_none() && c.info().ja3_string.is_none());
        assert_eq!(c.info().state, if cut >= 9 { CLIENT_HELLO } else { 0 });
    }
    // A ClientHello whose message length is right but whose body stops
    // inside the random: the version is known, nothing else.
    let ch = hs(1, &[3, 3, 1, 2, 3]);
    let (c, ev) = run_all(&cfg(), &[(0, record(22, 0x0301, &ch))]);
    assert_eq!(ev, [TlsEvent::ClientHello]);
    assert_eq!(c.info().client_version, Some(0x0303));
    assert!(c.info().ja3_string.is_none());
    assert_eq!(c.stats().malformed, 1);
    // Too short for a version: not a hello at all.
    let (c, ev) = run_all(&cfg(), &[(0, record(22, 0x0301, &hs(1, &[3])))]);
    assert!(ev.is_empty());
    assert_eq!((c.info().client_version, c.stats().malformed), (None, 1));
}

#[test]
fn malformed_extensions() {
    // An SNI of type 1 stops extension parsing: JA3 keeps what came before
    // (Suricata's behaviour), the bad extension itself is not listed.
    let bad_sni = {
        let mut d = u16b(6).to_vec();
        d.push(1);
        d.extend(u16b(3));
        d.extend(b"abc");
        ext(0, &d)
    };
    let ch = client_hello(0x0303, &[0x1301], &[ext(10, &u16_list(2, &[29])), bad_sni, ext(11, &[1, 0])]);
    let (c, _) = run_all(&cfg(), &[(0, record(22, 0x0301, &ch))]);
    assert!(c.info().sni.is_none());
    assert_eq!(c.info().ja3_string.as_deref(), Some("771,4865,10,29,"));
    assert_eq!(c.stats().malformed, 1);

    // Empty / over-long SNI names are refused; a second SNI is ignored.
    for name in [&b""[..], &[b'x'; 256][..]] {
        let ch = client_hello(0x0303, &[0x1301], &[sni_ext(name)]);
        let (c, _) = run_all(&cfg(), &[(0, record(22, 0x0301, &ch))]);
        assert!(c.info().sni.is_none());
    }
    let ch = client_hello(0x0303, &[0x1301], &[sni_ext(b"first"), sni_ext(b"second")]);
    let (c, _) = run_all(&cfg(), &[(0, record(22, 0x0301, &ch))]);
    assert_eq!(c.info().sni.as_deref(), Some(&b"first"[..]));
    assert_eq!(c.info().ja3_string.as_deref(), Some("771,4865,0-0,,"));

    // An extension running past the block voids JA3.
    let mut ch = client_hello(0x0303, &[0x1301], &[ext(10, &u16_list(2, &[29]))]);
    let n = ch.len();
    ch[n - 6] = 0x40; // extension length 0x4004
    let (c, _) = run_all(&cfg(), &[(0, record(22, 0x0301, &ch))]);
    assert!(c.info().ja3_string.is_none());
    assert_eq!(c.stats().malformed, 1);
}

#[test]
fn no_extensions() {
    let mut b = u16b(0x0301).to_vec();
    b.extend([0; 32]);
    b.push(0);
    b.extend(u16_list(2, &[0x0039, 0x0035]));
    b.extend([1, 0]);
    let (c, _) = run_all(&cfg(), &[(0, record(22, 0x0301, &hs(1, &b)))]);
    assert_eq!(c.info().ja3_string.as_deref(), Some("769,57-53,,,"));
    assert_eq!(c.stats().malformed, 0);
}

#[test]
fn garbage_stops_the_direction() {
    let mut stream = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    stream.extend(record(22, 0x0301, &tls12_client_hello()));
    let (c, ev) = run_all(&cfg(), &[(0, stream)]);
    assert!(ev.is_empty());
    assert_eq!(c.stats().malformed, 1);
    assert!(c.dirs[0].rec == Rec::Dead);
    // Bad record type / major version after valid records.
    for bad in [[25u8, 3, 3, 0, 1], [22, 2, 0, 0, 1]] {
        let mut stream = record(22, 0x0301, &tls12_client_hello());
        stream.extend(bad);
        stream.extend(record(21, 0x0303, &[2, 40]));
        let (c, ev) = run_all(&cfg(), &[(0, stream)]);
        assert_eq!(ev, [TlsEvent::ClientHello]);
        assert_eq!((c.stats().malformed, c.stats().alerts), (1, 0));
    }
}

#[test]
fn gap_stops_handshake_parsing() {
    let ch = record(22, 0x0301, &tls12_client_hello());
    let mut c = TlsConn::new();
    let mut ev = Vec::new();
    let cfg = cfg();
    c.parse(&cfg, 0, &ch[..50], &mut ev);
    c.gap(0, 0); // nothing missing: no effect
    assert_eq!(c.stats().gaps, 0);
    c.gap(0, 20);
    c.parse(&cfg, 0, &ch[70..], &mut ev);
    c.parse(&cfg, 0, &ch, &mut ev);
    assert!(ev.is_empty());
    assert_eq!(c.stats().gaps, 1);
    assert!(c.dirs[0].hs.body.capacity() == 0);
    // The other direction still works; a gap in encrypted data costs
    // nothing once the handshake is done.
    c.parse(&cfg, 1, &record(22, 0x0303, &server_hello(0x0303, 0x002f, &[])), &mut ev);
    assert_eq!(ev, [TlsEvent::ServerHello]);
    c.gap(7, 10); // no such direction: ignored
    assert_eq!(c.stats().gaps, 1);
}

#[test]
fn certificate_limits_and_errors() {
    let cfg = TlsConfig { max_certificates: 3, ..cfg() };
    let chain = certificate(&[LEAF; 5]);
    let (c, ev) = run_all(&cfg, &[(1, record(22, 0x0303, &chain))]);
    assert_eq!(ev, [TlsEvent::ServerCertificate]);
    assert_eq!(c.info().server_certs.len(), 3);
    assert_eq!(c.stats().certs_over_limit, 2);

    // Second entry claims more bytes than the list has: first one kept.
    let mut body = u24b(3 + LEAF.len() + 3 + 10).to_vec();
    body.extend(u24b(LEAF.len()));
    body.extend(LEAF);
    body.extend(u24b(5000));
    body.extend([0; 10]);
    let (c, _) = run_all(&cfg, &[(1, record(22, 0x0303, &hs(11, &body)))]);
    assert_eq!(c.info().server_certs.len(), 1);
    assert_eq!(c.stats().malformed, 1);

    // List length beyond the message; empty message; empty list.
    for body in [vec![0, 0x10, 0], vec![], vec![0, 0, 0]] {
        let (c, ev) = run_all(&cfg, &[(1, record(22, 0x0303, &hs(11, &body)))]);
        assert!(ev.is_empty());
        assert!(c.info().server_certs.is_empty());
        assert_eq!(c.stats().malformed, u64::from(body.len() != 3 || body[1] != 0));
    }

    // A client certificate; only the first chain of a direction counts.
    let mut two = certificate(&[LEAF]);
    two.extend(certificate(&[LEAF, LEAF]));
    let (c, ev) = run_all(&cfg, &[(0, record(22, 0x0303, &two))]);
    assert_eq!(ev, [TlsEvent::ClientCertificate]);
    assert_eq!(c.info().client_certs.len(), 1);
    assert_eq!(c.info().client_certs[0].subject, LEAF_SUBJECT);
}

#[test]
fn sslv2_client_hello() {
    // SSLv2-format hello offering TLS 1.0 (2-byte header), then TLS records.
    let mut body = vec![1, 3, 1];
    body.extend(u16b(6)); // cipher specs
    body.extend(u16b(0)); // session id
    body.extend(u16b(16)); // challenge
    body.extend([0, 0, 0x39, 0, 0, 0x35]);
    body.extend([0x42; 16]);
    let mut stream = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
    stream.extend(&body);
    assert_eq!(probe(&stream), Some(true));
    let (c, ev) = run_all(&cfg(), &[(0, stream.clone())]);
    assert_eq!(ev, [TlsEvent::ClientHello]);
    assert_eq!(c.info().client_version, Some(0x0301));
    // The hello's version is the direction's from then on (Suricata).
    assert_eq!(c.info().dir_versions[0], 0x0301);
    assert_eq!(c.info().record_versions, SSLV2);
    assert_eq!(c.info().state, CLIENT_HELLO);
    assert_eq!(c.stats().sslv2_hellos, 1);
    assert!(c.info().ja3_string.is_none());

    // SSLv2 ciphertext with a 3-byte header (padding) after the hello.
    let mut v2 = stream.clone();
    v2.extend([0x40, 0x04, 0x01, 0xaa, 0xbb, 0xcc, 0xdd]);
    let (c, _) = run_all(&cfg(), &[(0, v2)]);
    assert_eq!((c.stats().records, c.stats().malformed), (2, 0));
    assert!(c.dirs[0].v2_body.capacity() == 0);

    stream.extend(record(22, 0x0301, &hs(16, &[0; 10])));
    // After a TLS record, a byte with the top bit set is not SSLv2 anymore.
    stream.extend([0x80, 0x05, 1, 3, 1]);
    let (c, ev) = run_all(&cfg(), &[(0, stream)]);
    assert_eq!(ev, [TlsEvent::ClientHello]);
    assert_eq!(c.info().dir_versions[0], 0x0301);
    assert_eq!(c.info().record_versions, SSLV2 | TLS10);
    assert_eq!(c.stats().malformed, 1);

    // Broken SSLv2 hellos: zero length, lengths past the record.
    let (c, _) = run_all(&cfg(), &[(0, vec![0x80, 0x00, 1, 2])]);
    assert_eq!(c.stats().malformed, 1);
    let (c, ev) = run_all(&cfg(), &[(0, vec![0x80, 0x09, 1, 0, 2, 0, 3, 0, 0, 0, 16])]);
    assert!(ev.is_empty());
    assert_eq!((c.stats().malformed, c.info().state), (1, CLIENT_HELLO));
}

fn tls13_client_hello(sni: &[u8], early: bool) -> Vec<u8> {
    let mut exts = vec![sni_ext(sni), ext(43, &u16_list(1, &[0x8a8a, 0x0304, 0x0303])), ext(51, &[0, 2, 0, 29, 0, 0])];
    if early {
        exts.push(ext(42, &[]));
    }
    client_hello(0x0303, &[0x1301, 0x1302], &exts)
}

#[test]
fn tls13_handshake_and_hello_retry() {
    let ccs = record(20, 0x0303, &[1]);
    let sh = |v| server_hello(0x0303, 0x1301, &[ext(43, &u16b(v)), ext(51, &[0, 29])]);
    let mut hrr = record(22, 0x0303, &sh(0x0304));
    hrr.extend(&ccs);
    let mut ch2 = ccs.clone();
    ch2.extend(record(22, 0x0303, &tls13_client_hello(b"second.example", false)));
    let mut sh2 = record(22, 0x0303, &sh(0x0304));
    sh2.extend(record(23, 0x0303, &[0xee; 500]));
    let chunks = [
        (0, record(22, 0x0301, &tls13_client_hello(b"first.example", false))),
        (1, hrr),
        (0, ch2),
        (1, sh2),
        (0, record(23, 0x0303, &[0xdd; 50])),
    ];
    let (c, ev) = run_all(&cfg(), &chunks);
    let i = c.info();
    assert_eq!(ev, [TlsEvent::ClientHello, TlsEvent::ServerHello, TlsEvent::HandshakeDone]);
    // The first hellos count (Suricata's JA3 for duplicate hellos).
    assert_eq!(i.sni.as_deref(), Some(&b"first.example"[..]));
    assert_eq!(i.ja3_string.as_deref(), Some("771,4865-4866,0-43-51,,"));
    assert_eq!(i.ja3s_string.as_deref(), Some("771,4865,43-51"));
    assert_eq!(i.ja3s_hash.as_deref(), Some("f4febc55ea12b31ae17cfb7e614afda8"));
    assert_eq!(c.stats().duplicate_hellos, 2);
    assert_eq!(c.stats().encrypted_handshake_records, 0);
    assert_eq!((i.version, i.client_version), (Some(0x0304), Some(0x0303)));
    // GREASE skipped in the client's supported_versions.
    assert_eq!(i.dir_versions, [0x0304, 0x0304]);
    assert_eq!(i.record_versions, TLS13);
    assert!(i.handshake_done);
}

#[test]
fn tls12_server_after_tls13_offer_encrypts_handshake() {
    // The client offers 1.3, the server picks 1.2: the client's Finished
    // after its ChangeCipherSpec is ciphertext even though it looks like a
    // ClientHello.
    let ccs = record(20, 0x0303, &[1]);
    let mut fin = ccs.clone();
    fin.extend(record(22, 0x0303, &tls12_client_hello()));
    let chunks = [
        (0, record(22, 0x0301, &tls13_client_hello(b"x.example", false))),
        (1, record(22, 0x0303, &server_hello(0x0303, 0xc02f, &[]))),
        (0, fin),
    ];
    let (c, ev) = run_all(&cfg(), &chunks);
    assert_eq!(ev, [TlsEvent::ClientHello, TlsEvent::ServerHello]);
    assert_eq!(c.stats().encrypted_handshake_records, 1);
    assert_eq!(c.stats().duplicate_hellos, 0);
    assert_eq!(c.info().dir_versions, [0x0304, 0x0303]);
}

#[test]
fn early_data_does_not_finish_the_handshake() {
    let chunks = [
        (0, record(22, 0x0301, &tls13_client_hello(b"x", true))),
        (0, record(23, 0x0303, &[1; 30])),
        (1, record(23, 0x0303, &[1; 30])),
    ];
    let (c, ev) = run_all(&cfg(), &chunks);
    assert!(!c.info().handshake_done);
    assert_eq!(ev, [TlsEvent::ClientHello]);
    let (c, _) = run_all(&cfg(), &[chunks[0].clone(), chunks[2].clone(), chunks[1].clone()]);
    assert!(!c.info().handshake_done, "no ServerHello yet: still early data");
    // 0-RTT data before the ServerHello does not stop payload inspection
    // (Suricata sets no-inspection only past it); the server's does.
    let (c, _) = run_all(&cfg(), &chunks[..2]);
    assert!(!c.carries_application_data());
    let (c, _) = run_all(&cfg(), &chunks);
    assert!(c.carries_application_data());
}

#[test]
fn alerts_and_odd_records() {
    let mut stream = record(21, 0x0303, &[2, 40]);
    stream.extend(record(24, 0x0303, &[1, 0, 0]));
    stream.extend(record(23, 0x0303, &[])); // empty records are legal
                                            // Oversized record: counted, still framed.
    stream.extend(record(23, 0x0303, &vec![0; MAX_RECORD_LEN + 1]));
    stream.extend(record(21, 0x0303, &[1, 0]));
    let (c, ev) = run_all(&cfg(), &[(1, stream)]);
    assert_eq!(ev, [TlsEvent::Alert, TlsEvent::Alert]);
    assert_eq!(c.stats().alerts, 2);
    assert_eq!(c.stats().oversized_records, 1);
    assert_eq!(c.stats().records, 5);
    assert_eq!(c.stats().malformed, 0);
    // Handshake messages in the wrong direction are ignored.
    let (c, ev) = run_all(&cfg(), &[(1, record(22, 0x0303, &tls12_client_hello()))]);
    assert!(ev.is_empty() && c.info().sni.is_none());
    assert_eq!(c.info().state, CLIENT_HELLO);
    // A handshake header split across records, zero-length messages.
    let mut msgs = hs(14, &[]);
    msgs.extend(hs(0, &[]));
    msgs.extend(server_hello(0x0302, 0x002f, &[]));
    let stream: Vec<u8> = msgs.chunks(3).flat_map(|p| record(22, 0x0302, p)).collect();
    let (c, ev) = run_all(&cfg(), &[(1, stream)]);
    assert_eq!(ev, [TlsEvent::ServerHello]);
    assert_eq!(c.info().ja3s_string.as_deref(), Some("770,47,"));
    assert_eq!(c.info().record_versions, TLS11);
}

/// Deterministic mutations of a valid transcript: flipped bytes, cut and
/// repeated ranges, random lengths. Must not panic; every split agrees.
#[test]
fn hostile_mutations() {
    let base = tls12_transcript();
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let cfg = TlsConfig { max_handshake_bytes: 2048, max_certificates: 2, ..cfg() };
    for _ in 0..400 {
        let mut chunks = base.clone();
        for _ in 0..(next() % 6 + 1) {
            let k = (next() % chunks.len() as u64) as usize;
            let data = &mut chunks[k].1;
            if data.is_empty() {
                continue;
            }
            let at = (next() % data.len() as u64) as usize;
            match next() % 4 {
                0 => data[at] = next() as u8,
                1 => data.truncate(at),
                2 => {
                    let end = (at + (next() % 64) as usize).min(data.len());
                    let copy = data[at..end].to_vec();
                    data.splice(at..at, copy);
                }
                _ => {
                    let n = next() % 40;
                    let junk: Vec<u8> = (0..n).map(|_| next() as u8).collect();
                    data.splice(at..at, junk);
                }
            }
        }
        run_all(&cfg, &chunks);
    }
    // Pure noise, both directions.
    for _ in 0..50 {
        let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
        for i in 0..4 {
            let n = next() % 3000;
            chunks.push((i % 2, (0..n).map(|_| next() as u8).collect()));
        }
        run_all(&cfg, &chunks);
    }
}

#[test]
fn probe_detection() {
    let ch = record(22, 0x0301, &tls12_client_hello());
    assert_eq!(probe(&ch), Some(true));
    assert_eq!(probe(&ch[..5]), Some(true));
    assert_eq!(probe(&[]), None);
    assert_eq!(probe(&ch[..3]), None);
    assert_eq!(probe(&record(21, 0x0303, &[2, 40])), Some(true));
    assert_eq!(probe(&[22, 3, 1, 0, 0]), Some(false)); // empty record
    assert_eq!(probe(&[22, 3, 1, 0x50, 0]), Some(false)); // too long
    assert_eq!(probe(&[22, 4]), Some(false));
    assert_eq!(probe(&[22, 3, 9]), Some(false));
    assert_eq!(probe(b"GET /"), Some(false));
    assert_eq!(probe(b"\x00\x00\x00"), Some(false));
    // SSLv2: needs the hello's version.
    assert_eq!(probe(&[0x80, 0x2e, 1]), None);
    assert_eq!(probe(&[0x80, 0x2e, 1, 0, 2]), Some(true));
    assert_eq!(probe(&[0x80, 0x2e, 1, 3, 3]), Some(true));
    assert_eq!(probe(&[0x80, 0x2e, 2]), Some(false));
    assert_eq!(probe(&[0x80, 0x2e, 1, 7, 7]), Some(false));
    assert_eq!(probe(&[0x80, 0x05, 1, 3, 1]), Some(false));
}

#[test]
fn config_defaults_and_serde() {
    let d = TlsConfig::default();
    assert_eq!((d.max_handshake_bytes, d.max_certificates), (65536, 16));
    // JA3 follows the rules (off without any), JA4 is on.
    assert!(!d.ja3() && d.ja4());
    assert!(TlsConfig { ja3_rules: true, ..d.clone() }.ja3());
    assert!(!TlsConfig { ja3_rules: true, ja3_fingerprints: Fingerprints::No, ..d.clone() }.ja3());
    let c: TlsConfig = serde_json::from_str(r#"{"ja3_fingerprints": "yes", "ja4_fingerprints": "no"}"#).unwrap();
    assert!(c.ja3() && !c.ja4());
    let c: TlsConfig = serde_json::from_str(r#"{"max_certificates": 4}"#).unwrap();
    assert_eq!(c, TlsConfig { max_certificates: 4, ..d.clone() });
    assert!(serde_json::from_str::<TlsConfig>(r#"{"max_certs": 4}"#).is_err());
    // Suricata's default: payload inspection stops at encrypted data.
    assert!(d.stops_payload_inspection());
    let c: TlsConfig = serde_json::from_str(r#"{"encryption_handling": "full"}"#).unwrap();
    assert!(!c.stops_payload_inspection());
    let c: TlsConfig = serde_json::from_str(r#"{"encryption_handling": "track-only"}"#).unwrap();
    assert!(c.stops_payload_inspection());
    assert!(serde_json::from_str::<TlsConfig>(r#"{"encryption_handling": "bypass"}"#).is_err());
    assert_eq!(version_bit(0x7f1c), TLS13);
    assert_eq!(version_bit(0x0a0a), 0);
}
