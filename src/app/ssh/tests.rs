use super::parser::{self, Banner, Header, Line};
use super::*;

/// A binary packet: length, padding length, `payload` (message code
/// first), `pad` bytes of padding.
pub fn packet(payload: &[u8], pad: u8) -> Vec<u8> {
    let len = (1 + payload.len() + usize::from(pad)) as u32;
    let mut p = len.to_be_bytes().to_vec();
    p.push(pad);
    p.extend_from_slice(payload);
    p.extend(std::iter::repeat_n(0u8, usize::from(pad)));
    p
}

/// A KEXINIT packet with the ten name-lists given.
pub fn kexinit(lists: [&str; 10]) -> Vec<u8> {
    let mut m = vec![parser::MSG_KEXINIT];
    m.extend_from_slice(&[0x11; 16]);
    for l in lists {
        m.extend_from_slice(&(l.len() as u32).to_be_bytes());
        m.extend_from_slice(l.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&[0; 4]);
    packet(&m, 7)
}

pub const CLIENT_LISTS: [&str; 10] = [
    "curve25519-sha256,diffie-hellman-group14-sha256",
    "ssh-ed25519,rsa-sha2-512",
    "chacha20-poly1305@openssh.com,aes128-ctr",
    "aes256-ctr,aes128-ctr",
    "hmac-sha2-256,hmac-sha1",
    "hmac-sha2-512",
    "none,zlib@openssh.com",
    "none",
    "",
    "",
];

pub const SERVER_LISTS: [&str; 10] = [
    "curve25519-sha256",
    "rsa-sha2-512",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "umac-64@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "none",
    "zlib",
    "",
    "",
];

fn newkeys() -> Vec<u8> {
    packet(&[parser::MSG_NEWKEYS], 10)
}

fn hassh_on() -> SshConfig {
    SshConfig { hassh: true, ..SshConfig::default() }
}

/// Feeds `data` to direction `dir` in pieces of `step` bytes.
fn feed(c: &mut SshConn, cfg: &SshConfig, dir: usize, data: &[u8], step: usize) -> Vec<SshEvent> {
    let mut ev = Vec::new();
    for piece in data.chunks(step.max(1)) {
        c.parse(cfg, dir, piece, &mut ev);
    }
    ev
}

/// A whole handshake: banners, KEXINITs, NEWKEYS, then encrypted bytes.
fn handshake(cfg: &SshConfig, step: usize) -> (SshConn, Vec<SshEvent>) {
    let mut c = SshConn::new();
    let mut client = b"SSH-2.0-OpenSSH_9.6\r\n".to_vec();
    client.extend(kexinit(CLIENT_LISTS));
    let mut server = b"SSH-2.0-OpenSSH_8.0 Debian-1\r\n".to_vec();
    server.extend(kexinit(SERVER_LISTS));
    let mut ev = feed(&mut c, cfg, 0, &client, step);
    ev.extend(feed(&mut c, cfg, 1, &server, step));
    ev.extend(feed(&mut c, cfg, 1, &newkeys(), step));
    // The client's NEWKEYS, then encrypted bytes.
    let mut nk = newkeys();
    nk.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]);
    ev.extend(feed(&mut c, cfg, 0, &nk, step));
    (c, ev)
}

#[test]
fn lines_end_as_in_suricata() {
    assert_eq!(parser::line(b"SSH-Single\n"), Line::Complete { line: b"SSH-Single", rest: b"" });
    assert_eq!(parser::line(b"SSH-Double\r\nx"), Line::Complete { line: b"SSH-Double", rest: b"x" });
    assert_eq!(parser::line(b"SSH-Oops\rMore\r\n"), Line::Complete { line: b"SSH-Oops", rest: b"More\r\n" });
    assert_eq!(parser::line(b"SSH-Miss\r"), Line::Incomplete);
    assert_eq!(parser::line(b"SSH-Miss"), Line::Incomplete);
    assert_eq!(parser::line(b"\n"), Line::Complete { line: b"", rest: b"" });
}

#[test]
fn banner_fields() {
    let b = |s: &'static [u8]| parser::banner(s);
    assert_eq!(b(b"SSH-2.0-OpenSSH_9.6"), Some(Banner { proto_version: b"2.0", software_version: b"OpenSSH_9.6" }));
    assert_eq!(
        b(b"SSH-1.99-OpenSSH_3.1p1 Debian"),
        Some(Banner { proto_version: b"1.99", software_version: b"OpenSSH_3.1p1" })
    );
    assert_eq!(b(b"SSH-Single-"), Some(Banner { proto_version: b"Single", software_version: b"" }));
    // A space right after the dash: Suricata keeps the remainder.
    assert_eq!(b(b"SSH-2.0- comment"), Some(Banner { proto_version: b"2.0", software_version: b" comment" }));
    assert_eq!(b(b"SSH-2.0"), None);
    assert_eq!(b(b"SSH--x"), None);
    assert_eq!(b(b"HTTP/1.1 200 OK"), None);
}

#[test]
fn record_headers() {
    assert_eq!(parser::record_header(&[0, 0, 0]), Header::Incomplete);
    assert_eq!(parser::record_header(&[0, 0, 0, 1, 4, 20]), Header::Invalid);
    assert_eq!(parser::record_header(&[0, 0, 0, 12]), Header::Incomplete);
    let Header::Ok(h) = parser::record_header(&[0, 0, 0, 12, 10, 21]) else { panic!() };
    assert_eq!((h.packet_len, h.padding_len, h.msg_code, h.body_len()), (12, 10, 21, 10));
}

#[test]
fn kexinit_truncated_or_overlong_lists_are_refused() {
    let p = kexinit(CLIENT_LISTS);
    let body = &p[6..];
    assert!(parser::kexinit(body).is_some());
    for cut in [0, 15, 16, 19, 40, body.len() - 7 - 4] {
        assert!(parser::kexinit(&body[..cut]).is_none(), "cut {cut}");
    }
    let mut bad = body.to_vec();
    bad[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(parser::kexinit(&bad).is_none());
}

#[test]
fn hassh_strings_use_each_sides_lists() {
    let (c, _) = handshake(&hassh_on(), 4096);
    let [cl, sv] = &c.info().sides;
    assert_eq!(
        cl.hassh_string,
        b"curve25519-sha256,diffie-hellman-group14-sha256;chacha20-poly1305@openssh.com,aes128-ctr;\
          hmac-sha2-256,hmac-sha1;none,zlib@openssh.com"
            .to_vec()
    );
    assert_eq!(
        sv.hassh_string,
        b"curve25519-sha256;aes256-gcm@openssh.com;hmac-sha2-256-etm@openssh.com;zlib".to_vec()
    );
    assert_eq!(cl.hassh, parser::md5_hex(&cl.hassh_string).to_vec());
    assert_eq!(sv.hassh, parser::md5_hex(&sv.hassh_string).to_vec());
    assert_eq!(parser::md5_hex(b""), *b"d41d8cd98f00b204e9800998ecf8427e");
}

#[test]
fn handshake_fields_and_events() {
    let (c, ev) = handshake(&hassh_on(), 4096);
    let i = c.info();
    assert_eq!(i.sides[0].proto_version, b"2.0");
    assert_eq!(i.sides[0].software_version, b"OpenSSH_9.6");
    assert_eq!(i.sides[1].software_version, b"OpenSSH_8.0");
    assert!(c.encrypted() && i.ready_to_log(true) && !i.ready_to_log(false));
    assert_eq!(
        ev,
        [
            SshEvent::Banner(0),
            SshEvent::Hassh(0),
            SshEvent::Banner(1),
            SshEvent::Hassh(1),
            SshEvent::NewKeys(1),
            SshEvent::NewKeys(0)
        ]
    );
    assert!(i.anomalies.is_empty());
    // Encrypted bytes afterwards are not parsed at all.
    let mut c = c;
    let before = c.stats().records;
    feed(&mut c, &hassh_on(), 0, &[0u8; 64], 64);
    assert_eq!(c.stats().records, before);
}

#[test]
fn any_segmentation_gives_the_same_result() {
    let (whole, whole_ev) = handshake(&hassh_on(), 1 << 20);
    for step in [1, 2, 3, 5, 6, 7, 13, 100] {
        let (c, ev) = handshake(&hassh_on(), step);
        assert_eq!(c.info().sides, whole.info().sides, "step {step}");
        assert_eq!(ev, whole_ev, "step {step}");
    }
}

#[test]
fn without_hassh_kexinit_is_skipped() {
    let (c, ev) = handshake(&SshConfig::default(), 9);
    assert!(c.info().sides.iter().all(|s| s.hassh.is_empty() && s.hassh_string.is_empty()));
    assert!(!ev.iter().any(|e| matches!(e, SshEvent::Hassh(_))));
    assert!(c.encrypted());
    // Logged as soon as both banners are in, not at NEWKEYS.
    let mut c = SshConn::new();
    let mut ev = Vec::new();
    c.parse(&SshConfig::default(), 0, b"SSH-2.0-a\r\n", &mut ev);
    assert!(!c.info().ready_to_log(false));
    c.parse(&SshConfig::default(), 1, b"SSH-2.0-b\n", &mut ev);
    assert!(c.info().ready_to_log(false));
}

#[test]
fn invalid_banner_stops_the_connection() {
    let cfg = SshConfig::default();
    let mut c = SshConn::new();
    let mut ev = Vec::new();
    c.parse(&cfg, 1, b"Welcome to the server\r\nSSH-2.0-x\r\n", &mut ev);
    assert!(c.failed());
    assert_eq!(c.info().anomalies, [SshAnomaly::InvalidBanner]);
    c.parse(&cfg, 0, b"SSH-2.0-y\r\n", &mut ev);
    assert!(ev.is_empty() && !c.info().has_banner());
}

#[test]
fn tiny_packet_length_is_invalid() {
    let cfg = SshConfig::default();
    let mut c = SshConn::new();
    let mut ev = Vec::new();
    c.parse(&cfg, 0, b"SSH-2.0-x\r\n\x00\x00\x00\x01\x00\x14", &mut ev);
    assert!(c.failed());
    assert_eq!(c.info().anomalies, [SshAnomaly::InvalidRecord]);
    assert_eq!(c.info().sides[0].proto_version, b"2.0");
}

#[test]
fn long_banner_is_taken_before_its_end() {
    let cfg = hassh_on();
    let mut c = SshConn::new();
    let mut line = b"SSH-2.0-".to_vec();
    line.extend(std::iter::repeat_n(b'A', 300));
    let ev = feed(&mut c, &cfg, 0, &line, 100);
    // 100 and 200 bytes: waiting; 300: taken as it is.
    assert!(ev.is_empty());
    let s = &c.info().sides[0];
    assert_eq!(s.state, SshState::BannerWaitEol);
    assert_eq!(s.software_version.len(), 292);
    assert_eq!(c.info().anomalies, [SshAnomaly::LongBanner]);
    // The rest of the line is skipped, then packets are parsed.
    let mut more = b"AAAA\r\n".to_vec();
    more.extend(kexinit(CLIENT_LISTS));
    let ev = feed(&mut c, &cfg, 0, &more, 1 << 16);
    assert_eq!(ev, [SshEvent::Hassh(0)]);
    // Suricata 8.0.6 leaves the side waiting for a line end: each later
    // piece is searched for one first, so this NEWKEYS (its padding length
    // 10 reads as a line end) is not seen, and the side never reaches
    // BannerDone (its `ssh` record waits for the flow's end).
    let ev = feed(&mut c, &cfg, 0, &newkeys(), 1 << 16);
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(c.info().sides[0].state, SshState::BannerWaitEol);
    assert_eq!(c.info().sides[0].software_version.len(), 292);
}

#[test]
fn long_line_with_its_end_is_parsed_whole() {
    let cfg = SshConfig { max_banner_bytes: 100, ..SshConfig::default() };
    let mut c = SshConn::new();
    let mut line = b"SSH-2.0-".to_vec();
    line.extend(std::iter::repeat_n(b'B', 400));
    line.extend_from_slice(b"\r\n");
    let ev = feed(&mut c, &cfg, 1, &line, 1 << 16);
    assert_eq!(ev, [SshEvent::Banner(1)]);
    assert_eq!(c.info().sides[1].software_version.len(), 100);
    assert_eq!(c.stats().long_fields, 1);
    assert_eq!(c.info().anomalies, [SshAnomaly::LongBanner]);
}

/// A KEXINIT over `max_kexinit_bytes` whose header comes with `with_body`
/// of its body bytes, then the rest in pieces, then a normal KEXINIT.
fn oversized_then_normal(with_body: usize) -> SshConn {
    let cfg = SshConfig { hassh: true, max_kexinit_bytes: 1000, ..SshConfig::default() };
    let mut c = SshConn::new();
    let mut ev = Vec::new();
    c.parse(&cfg, 0, b"SSH-2.0-x\r\n", &mut ev);
    let mut big = vec![parser::MSG_KEXINIT];
    big.extend(std::iter::repeat_n(0xaa, 1500));
    let big = packet(&big, 4);
    c.parse(&cfg, 0, &big[..6 + with_body], &mut ev);
    assert_eq!(c.stats().long_kex_records, 1);
    let mut rest = big[6 + with_body..].to_vec();
    rest.extend(kexinit(CLIENT_LISTS));
    for piece in rest.chunks(300) {
        c.parse(&cfg, 0, piece, &mut ev);
    }
    assert_eq!(c.info().anomalies, [SshAnomaly::LongKexRecord]);
    c
}

#[test]
fn oversized_kexinit_is_skipped_as_suricata_8_0_6_does() {
    // Header alone: the body is skipped exactly, the next KEXINIT read.
    assert_eq!(oversized_then_normal(0).info().sides[0].hassh.len(), 32);
    // Header and 4 body bytes: Suricata 8.0.6 skips 4 bytes too many and
    // loses the framing; the next KEXINIT gives no HASSH (as its output
    // for such a capture shows).
    assert!(oversized_then_normal(4).info().sides[0].hassh.is_empty());
}

#[test]
fn a_second_kexinit_extends_hassh_as_suricata_does() {
    let cfg = hassh_on();
    let mut c = SshConn::new();
    let mut data = b"SSH-2.0-x\r\n".to_vec();
    data.extend(kexinit(CLIENT_LISTS));
    data.extend(kexinit(CLIENT_LISTS));
    feed(&mut c, &cfg, 0, &data, 1 << 16);
    let s = &c.info().sides[0];
    assert_eq!(s.hassh.len(), 64);
    assert_eq!(&s.hassh[32..], &parser::md5_hex(&s.hassh_string));
}

#[test]
fn a_gap_stops_its_direction_only() {
    let cfg = hassh_on();
    let mut c = SshConn::new();
    let mut ev = Vec::new();
    c.parse(&cfg, 0, b"SSH-2.0-", &mut ev);
    c.gap(0, 10);
    c.parse(&cfg, 0, b"x\r\n", &mut ev);
    c.parse(&cfg, 1, b"SSH-2.0-y\r\n", &mut ev);
    assert_eq!(ev, [SshEvent::Banner(1)]);
    assert!(c.info().sides[0].proto_version.is_empty());
    assert_eq!(c.stats().gaps, 1);
}

#[test]
fn arbitrary_bytes_never_panic() {
    let cfgs = [SshConfig::default(), hassh_on(), SshConfig { hassh: true, max_kexinit_bytes: 8, max_banner_bytes: 2 }];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..2000 {
        let cfg = &cfgs[round % 3];
        let mut c = SshConn::new();
        let mut ev = Vec::new();
        let mut base = b"SSH-2.0-x\r\n".to_vec();
        base.extend(kexinit(CLIENT_LISTS));
        for _ in 0..8 {
            let len = (next() % 64) as usize;
            let mut piece: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 2 == 0 && !base.is_empty() {
                // Mutate a valid exchange instead of pure noise.
                let at = (next() as usize) % base.len();
                base[at] = next() as u8;
                piece = std::mem::take(&mut base);
            }
            let dir = (next() % 2) as usize;
            if next() % 16 == 0 {
                c.gap(dir, 1);
            }
            c.parse(cfg, dir, &piece, &mut ev);
        }
        for s in &c.info().sides {
            assert!(s.proto_version.len() <= cfg.max_banner_bytes.max(MAX_BANNER_LEN + 64));
        }
    }
}
