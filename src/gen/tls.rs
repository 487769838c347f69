//! TLS 1.2 handshakes with a certificate in clear, for attacks that rules
//! see through the ClientHello (SNI, JA3) or the server's Certificate
//! (subject, issuer): a ClientHello rebuilt from a JA3 string, a minimal
//! X.509 v3 certificate in DER, and the messages around them. Keys,
//! signatures and encrypted records are random bytes of the right shape.

use super::rng::Rng;

fn u16be(v: usize) -> [u8; 2] {
    (v as u16).to_be_bytes()
}

fn u24be(v: usize) -> [u8; 3] {
    let b = (v as u32).to_be_bytes();
    [b[1], b[2], b[3]]
}

/// A TLS record.
pub fn record(content_type: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type];
    r.extend_from_slice(&version.to_be_bytes());
    r.extend_from_slice(&u16be(body.len()));
    r.extend_from_slice(body);
    r
}

/// A handshake message (type, 24-bit length, body).
fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![msg_type];
    m.extend_from_slice(&u24be(body.len()));
    m.extend_from_slice(body);
    m
}

fn list(s: &str) -> Vec<u16> {
    s.split('-').filter_map(|v| v.parse().ok()).collect()
}

/// The body of extension `ext` as a client sends it; `groups` and
/// `formats` come from the JA3 string.
fn extension_body(ext: u16, sni: Option<&str>, groups: &[u16], formats: &[u16]) -> Vec<u8> {
    let mut b = Vec::new();
    match ext {
        0 => {
            let name = sni.unwrap_or("localhost").as_bytes();
            b.extend_from_slice(&u16be(name.len() + 3));
            b.push(0);
            b.extend_from_slice(&u16be(name.len()));
            b.extend_from_slice(name);
        }
        5 => b.extend_from_slice(&[1, 0, 0, 0, 0]),
        10 => {
            b.extend_from_slice(&u16be(groups.len() * 2));
            for g in groups {
                b.extend_from_slice(&g.to_be_bytes());
            }
        }
        11 => {
            b.push(formats.len() as u8);
            b.extend(formats.iter().map(|&f| f as u8));
        }
        13 => b.extend_from_slice(&[0x00, 0x06, 0x04, 0x01, 0x05, 0x01, 0x02, 0x01]),
        16 => b.extend_from_slice(&[0x00, 0x09, 0x08, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1']),
        43 => b.extend_from_slice(&[0x04, 0x03, 0x04, 0x03, 0x03]),
        45 => b.extend_from_slice(&[0x01, 0x01]),
        // key_share with no shares (the server may ask again).
        51 => b.extend_from_slice(&[0x00, 0x00]),
        65281 => b.push(0),
        // session_ticket, extended_master_secret, encrypt_then_mac, and
        // anything else: empty.
        _ => {}
    }
    b
}

/// A ClientHello as a JA3 string describes it.
pub struct Ja3Hello {
    /// The ClientHello record.
    pub record: Vec<u8>,
    /// The hello's version, which a server accepts (at most TLS 1.2).
    pub version: u16,
    /// The first listed cipher suite that is not a signalling value, for
    /// the server to choose.
    pub suite: u16,
}

/// A ClientHello whose JA3 string is `ja3` ("771,4865-4866,0-10,29,0";
/// fields: version, cipher suites, extension types, groups, EC point
/// formats). None when the string is not of that form.
pub fn client_hello_from_ja3(rng: &mut Rng, ja3: &str, sni: Option<&str>) -> Option<Ja3Hello> {
    let fields: Vec<&str> = ja3.split(',').collect();
    let [version, ciphers, exts, groups, formats] = fields[..] else { return None };
    let version: u16 = version.parse().ok()?;
    let (ciphers, exts, groups, formats) = (list(ciphers), list(exts), list(groups), list(formats));
    let suite = *ciphers.iter().find(|&&c| c != 0x00ff && c != 0x5600)?;
    let mut hello = version.to_be_bytes().to_vec();
    let mut random = [0u8; 32];
    rng.fill(&mut random);
    hello.extend_from_slice(&random);
    hello.push(0);
    hello.extend_from_slice(&u16be(ciphers.len() * 2));
    for c in &ciphers {
        hello.extend_from_slice(&c.to_be_bytes());
    }
    hello.extend_from_slice(&[1, 0]);
    if !exts.is_empty() {
        let mut block = Vec::new();
        for &e in &exts {
            let body = extension_body(e, sni, &groups, &formats);
            block.extend_from_slice(&e.to_be_bytes());
            block.extend_from_slice(&u16be(body.len()));
            block.extend_from_slice(&body);
        }
        hello.extend_from_slice(&u16be(block.len()));
        hello.extend(block);
    }
    let record = record(0x16, 0x0301, &handshake(0x01, &hello));
    Some(Ja3Hello { record, version: version.min(0x0303), suite })
}

/// A DER element.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.push(0x82);
        out.extend_from_slice(&u16be(n));
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

/// A Name from (attribute, value) pairs, one RDN each, in order.
/// Attributes: C, ST, L, O, OU, CN (others are left out).
fn name(rdns: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for &(attr, value) in rdns {
        let oid = match attr {
            "CN" => 3,
            "C" => 6,
            "L" => 7,
            "ST" => 8,
            "O" => 10,
            "OU" => 11,
            _ => continue,
        };
        // countryName is a PrintableString; the rest UTF8String.
        let tag = if attr == "C" { 0x13 } else { 0x0c };
        let atv = seq(&[&der(0x06, &[0x55, 0x04, oid]), &der(tag, value.as_bytes())]);
        body.extend(der(0x31, &atv));
    }
    der(0x30, &body)
}

/// A positive INTEGER of `len` random bytes.
fn random_int(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill(&mut v);
    v[0] = (v[0] & 0x7f) | 0x40;
    der(0x02, &v)
}

/// A self-contained X.509 v3 certificate (RSA-2048 key and sha256WithRSA
/// signature of random bytes), valid 2024-03-01 to 2025-03-01.
pub fn certificate(rng: &mut Rng, subject: &[(&str, &str)], issuer: &[(&str, &str)]) -> Vec<u8> {
    const SHA256_RSA: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    const RSA: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let sig_alg = seq(&[&der(0x06, &SHA256_RSA), &der(0x05, &[])]);
    let validity = seq(&[&der(0x17, b"240301000000Z"), &der(0x17, b"250301000000Z")]);
    let mut modulus = vec![0u8; 257];
    rng.fill(&mut modulus[1..]);
    modulus[0] = 0;
    modulus[1] |= 0x80;
    let rsa_key = seq(&[&der(0x02, &modulus), &der(0x02, &[0x01, 0x00, 0x01])]);
    let spki = seq(&[&seq(&[&der(0x06, &RSA), &der(0x05, &[])]), &der(0x03, &[&[0u8][..], &rsa_key].concat())]);
    let tbs = seq(&[
        &der(0xa0, &der(0x02, &[2])),
        &random_int(rng, 16),
        &sig_alg,
        &name(issuer),
        &validity,
        &name(subject),
        &spki,
    ]);
    let mut signature = vec![0u8; 257];
    rng.fill(&mut signature[1..]);
    signature[0] = 0;
    seq(&[&tbs, &sig_alg, &der(0x03, &signature)])
}

/// The start of a ClientHello or ServerHello body: version, random and a
/// 32-byte session id.
pub fn hello_start(rng: &mut Rng, version: u16) -> Vec<u8> {
    let mut hello = version.to_be_bytes().to_vec();
    let mut random = [0u8; 32];
    rng.fill(&mut random);
    hello.extend_from_slice(&random);
    hello.push(32);
    let mut sid = [0u8; 32];
    rng.fill(&mut sid);
    hello.extend_from_slice(&sid);
    hello
}

/// The server's first flight of a TLS 1.2 full handshake: ServerHello
/// (`version`, `suite`, renegotiation_info), Certificate with `chain`,
/// ServerHelloDone, in one record.
pub fn server_flight(rng: &mut Rng, version: u16, suite: u16, chain: &[Vec<u8>]) -> Vec<u8> {
    let mut hello = hello_start(rng, version);
    hello.extend_from_slice(&suite.to_be_bytes());
    hello.push(0);
    hello.extend_from_slice(&[0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00]);
    let mut certs = Vec::new();
    for c in chain {
        certs.extend_from_slice(&u24be(c.len()));
        certs.extend_from_slice(c);
    }
    let mut cert_body = u24be(certs.len()).to_vec();
    cert_body.extend(certs);
    let mut msgs = handshake(0x02, &hello);
    msgs.extend(handshake(0x0b, &cert_body));
    msgs.extend(handshake(0x0e, &[]));
    record(0x16, version, &msgs)
}

/// The client's key exchange, ChangeCipherSpec and (encrypted) Finished.
pub fn client_finish(rng: &mut Rng, version: u16) -> Vec<u8> {
    let mut point = vec![65u8, 0x04];
    point.resize(66, 0);
    rng.fill(&mut point[2..]);
    let mut out = record(0x16, version, &handshake(0x10, &point));
    out.extend(record(0x14, version, &[1]));
    out.extend(encrypted(rng, 0x16, version, 40));
    out
}

/// The server's ChangeCipherSpec and (encrypted) Finished.
pub fn server_finish(rng: &mut Rng, version: u16) -> Vec<u8> {
    let mut out = record(0x14, version, &[1]);
    out.extend(encrypted(rng, 0x16, version, 40));
    out
}

/// A record of `len` random (encrypted-looking) bytes.
pub fn encrypted(rng: &mut Rng, content_type: u8, version: u16, len: usize) -> Vec<u8> {
    let mut body = vec![0u8; len];
    rng.fill(&mut body);
    record(content_type, version, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::tls::{TlsConfig, TlsConn};

    #[test]
    fn ja3_round_trips_through_the_parser() {
        let mut rng = Rng::new(7);
        for ja3 in [
            "769,57-56-51-50-22-19-53-47-10-255,35,,",
            "771,4865-4866-49195-49199,0-23-65281-10-11-35-16-5-13-43-45-51,29-23-24,0",
        ] {
            let hello = client_hello_from_ja3(&mut rng, ja3, Some("a.example")).unwrap();
            let mut conn = TlsConn::new();
            let cfg = TlsConfig { ja3_fingerprints: crate::app::tls::Fingerprints::Yes, ..TlsConfig::default() };
            conn.parse(&cfg, 0, &hello.record, &mut Vec::new());
            assert_eq!(conn.info().ja3_string.as_deref(), Some(ja3));
        }
        let h = client_hello_from_ja3(&mut rng, "769,255-53-47,35,,", None).unwrap();
        assert_eq!((h.version, h.suite), (0x0301, 53));
        assert!(client_hello_from_ja3(&mut rng, "771,1-2", None).is_none());
    }

    #[test]
    fn certificate_parses_with_the_names_given() {
        let mut rng = Rng::new(8);
        let subject = [("C", "US"), ("O", "Example Org"), ("OU", "Ops"), ("CN", "www.example.com")];
        let issuer = [("CN", "Example CA")];
        let cert = certificate(&mut rng, &subject, &issuer);
        let mut conn = TlsConn::new();
        let cfg = TlsConfig::default();
        let hello = client_hello_from_ja3(&mut rng, "771,49199,0-10-11,23,0", Some("www.example.com")).unwrap();
        conn.parse(&cfg, 0, &hello.record, &mut Vec::new());
        conn.parse(&cfg, 1, &server_flight(&mut rng, 0x0303, 0xc02f, &[cert]), &mut Vec::new());
        let info = conn.info();
        assert_eq!(info.server_certs.len(), 1);
        let c = &info.server_certs[0];
        assert_eq!(c.subject, "C=US, O=Example Org, OU=Ops, CN=www.example.com");
        assert_eq!(c.issuer, "CN=Example CA");
        assert!(!c.fingerprint.is_empty(), "parsed");
        assert_eq!(info.version, Some(0x0303));
    }
}
