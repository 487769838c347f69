//! TLS (and SSLv2 hello) connection parser: both directions cut,
//! interleaved and gapped as the input's control bytes say (see
//! `mirrorids_fuzz`). After every call the fields the detection engine
//! reads are read: SNI, JA3/JA3S strings and hashes, certificates
//! (subject, issuer, serial, fingerprint, validity), versions, state; and
//! the EVE `tls` object is written.
//!
//! Flags: bit 0 = a small `TlsConfig` (handshake messages of 64..=1024
//! bytes, 1..=4 certificates) so the limit paths run.

#![no_main]

use std::hint::black_box;

use libfuzzer_sys::fuzz_target;
use mirrorids::app::tls::{self, Cert, TlsConfig, TlsConn, TlsEvent};
use mirrorids_fuzz::{Op, Script};

fn cert(c: &Cert) -> usize {
    let n = c.der.len() + c.subject.len() + c.issuer.len() + c.serial.len() + c.fingerprint.len();
    n + (c.not_before ^ c.not_after) as usize % 3
}

fn inspect(cfg: &TlsConfig, conn: &TlsConn) {
    let i = conn.info();
    for chain in [&i.server_certs, &i.client_certs] {
        assert!(chain.len() <= cfg.max_certificates, "{} certificates kept", chain.len());
    }
    let mut n = i.sni.as_ref().map_or(0, Vec::len);
    for s in [&i.ja3_string, &i.ja3_hash, &i.ja3s_string, &i.ja3s_hash] {
        n += s.as_ref().map_or(0, String::len);
    }
    for h in [&i.ja3_hash, &i.ja3s_hash].into_iter().flatten() {
        assert!(h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()), "JA3 hash {h:?}");
    }
    n += i.server_certs.iter().chain(&i.client_certs).map(cert).sum::<usize>();
    for v in [i.client_version, i.version].into_iter().flatten().chain(i.dir_versions) {
        n += tls::version_bit(v) as usize;
    }
    black_box((n, i.record_versions, i.state, i.handshake_done, conn.stats()));
    if let Some(j) = &i.ja4 {
        assert_eq!(j.len(), 36, "JA4 {j:?}");
    }
    let mut line = b"{\"x\":0".to_vec();
    mirrorids::output::records::tls::write_alert_object(&mut line, i);
    line.push(b'}');
    assert!(std::str::from_utf8(&line).is_ok(), "EVE tls object");
}

fuzz_target!(|data: &[u8]| {
    let script = Script::new(data);
    let cfg = match script.flags & 1 {
        0 => TlsConfig::default(),
        _ => TlsConfig {
            max_handshake_bytes: 64 << (script.flags >> 1 & 3) << (script.flags >> 3 & 1),
            max_certificates: 1 + usize::from(script.flags >> 4 & 3),
            ja3_fingerprints: tls::Fingerprints::Yes,
            ..TlsConfig::default()
        },
    };
    for d in 0..2 {
        let s = script.stream(d);
        for n in [1, 3, 5, 9, s.len()] {
            black_box(tls::probe(&s[..n.min(s.len())]));
        }
    }
    let mut conn = TlsConn::new();
    let mut events = Vec::new();
    script.run(false, |op| {
        match op {
            Op::Data(dir, piece) => conn.parse(&cfg, dir, piece, &mut events),
            Op::Gap(dir, len) => conn.gap(dir, len),
            Op::Close(_) => {}
        }
        for ev in events.drain(..) {
            black_box(matches!(ev, TlsEvent::ClientHello | TlsEvent::ServerCertificate));
        }
        inspect(&cfg, &conn);
    });
});
