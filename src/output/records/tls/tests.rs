//! `tls` objects and when they are due, compared with what Suricata 8.0.6
//! wrote for the same handshakes (crafted captures run through the
//! reference engine; the certificates are in src/app/tls/testdata).

use serde_json::{json, Value};

use super::*;
use crate::app::tls::{TlsConfig, TlsConn};

const LAB: &[u8] = include_bytes!("../../../app/tls/testdata/lab.der");
const SAN: &[u8] = include_bytes!("../../../app/tls/testdata/san.der");
const CLIENT: &[u8] = include_bytes!("../../../app/tls/testdata/client.der");

fn u16b(v: u16) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn with_len(len_bytes: usize, body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes()[4 - len_bytes..].to_vec();
    out.extend_from_slice(body);
    out
}

fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
    [&[content_type, 3, 3][..], &with_len(2, body)].concat()
}

fn hs(typ: u8, body: &[u8]) -> Vec<u8> {
    [&[typ][..], &with_len(3, body)].concat()
}

fn ext(typ: u16, data: &[u8]) -> Vec<u8> {
    [u16b(typ), with_len(2, data)].concat()
}

fn list16(vals: &[u16]) -> Vec<u8> {
    vals.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn alpn(protos: &[&[u8]]) -> Vec<u8> {
    ext(16, &with_len(2, &protos.iter().flat_map(|p| with_len(1, p)).collect::<Vec<u8>>()))
}

/// The extensions of the crafted ClientHellos: SNI lab.example, groups,
/// point formats, signature algorithms, ALPN h2 and http/1.1.
fn lab_exts() -> Vec<Vec<u8>> {
    vec![
        ext(0, &with_len(2, &[&[0][..], &with_len(2, b"lab.example")].concat())),
        ext(10, &with_len(2, &list16(&[29, 23]))),
        ext(11, &with_len(1, &[0])),
        ext(13, &with_len(2, &list16(&[0x0403, 0x0804]))),
        alpn(&[b"h2", b"http/1.1"]),
    ]
}

fn client_hello(ciphers: &[u16], exts: &[Vec<u8>], sid: &[u8]) -> Vec<u8> {
    let body = [
        u16b(0x0303),
        vec![0x11; 32],
        with_len(1, sid),
        with_len(2, &list16(ciphers)),
        vec![1, 0],
        with_len(2, &exts.concat()),
    ]
    .concat();
    record(22, &hs(1, &body))
}

fn server_hello(cipher: u16, exts: &[Vec<u8>], sid: &[u8]) -> Vec<u8> {
    hs(
        2,
        &[u16b(0x0303), vec![0x22; 32], with_len(1, sid), u16b(cipher), vec![0], with_len(2, &exts.concat())].concat(),
    )
}

fn certificate(ders: &[&[u8]]) -> Vec<u8> {
    hs(11, &with_len(3, &ders.iter().flat_map(|d| with_len(3, d)).collect::<Vec<u8>>()))
}

const CCS: [u8; 6] = [20, 3, 3, 0, 1, 1];

fn app_data() -> Vec<u8> {
    record(23, &[0x55; 40])
}

/// Feeds the flights (direction, bytes) and reports, after each, whether
/// the handshake was due for logging.
fn run(flights: &[(usize, Vec<u8>)]) -> (TlsConn, Vec<bool>) {
    let mut c = TlsConn::new();
    let mut due = Vec::new();
    for (d, data) in flights {
        c.parse(&TlsConfig::default(), *d, data, &mut Vec::new());
        due.push(ready(c.info()));
    }
    (c, due)
}

fn object(fields: Fields, i: &TlsInfo) -> Value {
    let mut out = b"{\"x\":0".to_vec();
    write_fields(&mut out, fields, i);
    out.push(b'}');
    serde_json::from_slice::<Value>(&out).unwrap()["tls"].clone()
}

fn record_object(cfg: &TlsLogConfig, i: &TlsInfo) -> Value {
    object(Fields::config(cfg), i)
}

#[test]
fn full_handshake_with_subject_alt_names() {
    // GREASE in every list, an ALPN value that is not alphanumeric.
    let g = 0x0a0a;
    let exts = vec![
        ext(g, &[]),
        ext(0, &with_len(2, &[&[0][..], &with_len(2, b"g.example")].concat())),
        ext(10, &with_len(2, &list16(&[g, 29]))),
        ext(11, &with_len(1, &[0])),
        ext(13, &with_len(2, &list16(&[0x0403, 0x0804, 0x0401]))),
        alpn(&[b"-h2*", b"http/1.1"]),
        ext(43, &with_len(1, &list16(&[g, 0x0304, 0x0303]))),
        ext(21, &[0; 10]),
        ext(0x1a1a, &[]),
    ];
    let server = [server_hello(0xc02f, &[alpn(&[b"h2"])], &[]), certificate(&[SAN]), hs(14, &[])].concat();
    let (c, due) = run(&[(0, client_hello(&[g, 0x1301, 0x1302, 0xc02f], &exts, &[])), (1, record(22, &server))]);
    assert_eq!(due, [false, true]);
    assert!(logs(&TlsLogConfig::default(), c.info()));
    let mut v = record_object(&TlsLogConfig::default(), c.info());
    // Validity depends on when the certificate was made.
    assert!(v.as_object_mut().unwrap().remove("notbefore").is_some());
    assert!(v.as_object_mut().unwrap().remove("notafter").is_some());
    assert_eq!(
        v,
        json!({"subject": "C=US, ST=CA, O=Lab \"Quoted\", Inc, OU=Unit, Email=a@b.c",
               "issuerdn": "C=US, ST=CA, O=Lab \"Quoted\", Inc, OU=Unit, Email=a@b.c",
               "subjectaltname": ["san.example", "[10, 1, 2, 3]", "[32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]",
                                  "RFC822Name(x@y.z)", "https://u.example/p", "DirectoryName(CN=dirname, O=DirOrg)",
                                  "OtherName(1.2.3.4, [...])", "RegisteredID(1.2.3.4)"],
               "serial": "5A:BF:1C:12:84:07:C0:16:8D:80:7B:D3:2C:72:44:1F:B3:FC:74:10",
               "fingerprint": "21:08:4e:f0:cf:91:09:af:c0:79:94:5c:83:f0:10:65:64:77:42:47",
               "sni": "g.example", "version": "TLS 1.2",
               "ja4": "t13d03072a_40b44b994229_80b502bd4a54",
               "client_alpns": ["-h2*", "http/1.1"], "server_alpns": ["h2"]})
    );
    // The basic set; the alert object (extended, no session flag).
    let basic = TlsLogConfig { extended: false, ..TlsLogConfig::default() };
    let keys: Vec<String> = record_object(&basic, c.info()).as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["issuerdn", "subject", "subjectaltname"]);
}

#[test]
fn client_certificate_waits_for_the_client() {
    let request = hs(13, &[1, 1, 0, 0, 0]);
    let server = [server_hello(0xc02f, &[], &[]), certificate(&[LAB]), request, hs(14, &[])].concat();
    let client = [certificate(&[CLIENT]), hs(16, &[0; 33])].concat();
    let (c, due) =
        run(&[(0, client_hello(&[0xc02f], &lab_exts(), &[])), (1, record(22, &server)), (0, record(22, &client))]);
    assert_eq!(due, [false, false, true]);
    let v = record_object(&TlsLogConfig::default(), c.info());
    assert_eq!(v["ja4"], "t12d0105h2_f06271c2b022_876bcc86782c");
    assert_eq!(
        v["client"],
        json!({"subject": "C=FR, CN=client.lab", "issuerdn": "C=FR, CN=client.lab",
               "fingerprint": "b0:20:ad:ac:f3:df:98:d7:f7:ce:9e:a9:c5:0e:a5:2e:db:c9:d4:08",
               "serial": "63:ED:34:8F:2C:0B:69:7A:46:66:E7:55:35:A8:ED:2F:FC:09:79:59",
               "notbefore": "2026-12-06T05:29:00", "notafter": "2027-01-05T05:29:00"})
    );
    // An empty client Certificate does not make it due (Suricata waits
    // for the flow to end then).
    let empty = [certificate(&[]), hs(16, &[0; 33])].concat();
    let server = [server_hello(0xc02f, &[], &[]), certificate(&[LAB]), hs(13, &[1, 1, 0, 0, 0]), hs(14, &[])].concat();
    let (_, due) =
        run(&[(0, client_hello(&[0xc02f], &lab_exts(), &[])), (1, record(22, &server)), (0, record(22, &empty))]);
    assert_eq!(due, [false, false, false]);
}

#[test]
fn resumed_session() {
    let sid = [0x42; 32];
    let server = [record(22, &server_hello(0xc02f, &[], &sid)), CCS.to_vec(), record(22, &[0x98; 40])].concat();
    let (c, due) = run(&[
        (0, client_hello(&[0xc02f], &lab_exts(), &sid)),
        (1, server),
        (0, [CCS.to_vec(), record(22, &[0x99; 40])].concat()),
        (0, app_data()),
        (1, app_data()),
    ]);
    // Due once application data went both ways.
    assert_eq!(due, [false, false, false, false, true]);
    assert!(logs(&TlsLogConfig::default(), c.info()));
    assert!(!logs(&TlsLogConfig { session_resumption: false, ..TlsLogConfig::default() }, c.info()));
    assert_eq!(
        record_object(&TlsLogConfig::default(), c.info()),
        json!({"session_resumed": true, "sni": "lab.example", "version": "TLS 1.2",
               "ja4": "t12d0105h2_f06271c2b022_876bcc86782c", "client_alpns": ["h2", "http/1.1"]})
    );
    let mut alert = b"{".to_vec();
    write_alert_object(&mut alert, c.info());
    assert!(!String::from_utf8(alert).unwrap().contains("session_resumed"));
}

#[test]
fn tls13_is_logged_without_certificate() {
    let mut exts = lab_exts();
    exts.push(ext(43, &with_len(1, &list16(&[0x0304, 0x0303]))));
    let server = [record(22, &server_hello(0x1301, &[ext(43, &u16b(0x0304))], &[])), CCS.to_vec(), app_data()].concat();
    let (c, due) =
        run(&[(0, client_hello(&[0x1301, 0x1302], &exts, &[])), (1, server), (0, [CCS.to_vec(), app_data()].concat())]);
    assert_eq!(due, [false, false, true]);
    assert!(logs(&TlsLogConfig::default(), c.info()));
    assert_eq!(
        record_object(&TlsLogConfig::default(), c.info()),
        json!({"sni": "lab.example", "version": "TLS 1.3",
               "ja4": "t13d0206h2_62ed6f6ca7ad_fb71836bce29", "client_alpns": ["h2", "http/1.1"]})
    );
    let custom = TlsLogConfig {
        custom: Some(vec![TlsField::ClientHandshake, TlsField::ServerHandshake]),
        session_resumption: false,
        ..TlsLogConfig::default()
    };
    assert_eq!(
        record_object(&custom, c.info()),
        json!({"client_handshake": {"version": "TLS 1.3", "ciphers": [4865, 4866], "exts": [0, 10, 11, 13, 16, 43],
                                    "sig_algs": [1027, 2052]},
               "server_handshake": {"version": "TLS 1.2", "cipher": 4865, "exts": [43]}})
    );
}

#[test]
fn tls13_draft_in_the_version_field() {
    // An early TLS 1.3 draft server names its version in the hello itself
    // (no session id or compression there): logged without certificate.
    let sh = hs(2, &[u16b(0x7f1c), vec![0x22; 32], u16b(0x1301), with_len(2, &[])].concat());
    let (c, _) = run(&[(0, client_hello(&[0x1301], &lab_exts(), &[])), (1, record(22, &sh))]);
    assert!(logs(&TlsLogConfig::default(), c.info()));
    assert_eq!(record_object(&TlsLogConfig::default(), c.info())["version"], "TLS 1.3 draft-28");
}

#[test]
fn nothing_to_show_is_never_logged() {
    // TLS 1.2 without a certificate (anonymous): due, but no record.
    let (c, due) = run(&[
        (0, client_hello(&[0xc02f], &lab_exts(), &[])),
        (1, record(22, &[server_hello(0xc02f, &[], &[]), hs(14, &[])].concat())),
        (0, app_data()),
        (1, app_data()),
    ]);
    assert_eq!(due.last(), Some(&true));
    assert!(!logs(&TlsLogConfig::default(), c.info()));
}

#[test]
fn custom_certificate_and_chain() {
    let server = [server_hello(0xc02f, &[], &[]), certificate(&[LAB, SAN]), hs(14, &[])].concat();
    let (c, _) = run(&[(0, client_hello(&[0xc02f], &lab_exts(), &[])), (1, record(22, &server))]);
    let custom = TlsLogConfig {
        custom: Some(vec![TlsField::Certificate, TlsField::Chain, TlsField::Version]),
        session_resumption: false,
        ..TlsLogConfig::default()
    };
    let v = record_object(&custom, c.info());
    use base64::Engine;
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    assert_eq!(v, json!({"version": "TLS 1.2", "certificate": b64(LAB), "chain": [b64(LAB), b64(SAN)]}));
    assert_eq!(TlsField::from_name("Not_After"), Some(TlsField::NotAfter));
    assert_eq!(TlsField::from_name("bogus"), None);
}

#[test]
fn version_names() {
    for (v, name) in [
        (0, "UNDETERMINED"),
        (0x0002, "SSLv2"),
        (0x0300, "SSLv3"),
        (0x0301, "TLSv1"),
        (0x0302, "TLS 1.1"),
        (0x0303, "TLS 1.2"),
        (0x0304, "TLS 1.3"),
        (0x7f1c, "TLS 1.3 draft-28"),
        (0x7f10, "TLS 1.3 draft-16"),
        (0x7f05, "TLS 1.3 draft-<16"),
        (0xfb17, "TLS 1.3 draft-23-fb"),
        (0xfb1a, "TLS 1.3 draft-26-fb"),
    ] {
        assert_eq!(version_name(v), name, "{v:#x}");
    }
}

/// Every field, in records and alerts, validates against Suricata 8.0.6's
/// schema (strict about unknown keys), wrapped in a record header.
#[test]
fn objects_validate_against_suricata_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/schemas/suricata-8.0.6-eve.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema present")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let request = hs(13, &[1, 1, 0, 0, 0]);
    let server =
        [server_hello(0xc02f, &[alpn(&[b"h2"])], &[]), certificate(&[SAN, LAB]), request, hs(14, &[])].concat();
    let client = [certificate(&[CLIENT]), hs(16, &[0; 33])].concat();
    let (c, _) =
        run(&[(0, client_hello(&[0xc02f], &lab_exts(), &[])), (1, record(22, &server)), (0, record(22, &client))]);
    let all = vec![
        TlsField::Version,
        TlsField::Subject,
        TlsField::Issuer,
        TlsField::Serial,
        TlsField::Fingerprint,
        TlsField::NotBefore,
        TlsField::NotAfter,
        TlsField::Sni,
        TlsField::Certificate,
        TlsField::Chain,
        TlsField::SessionResumed,
        TlsField::Ja3,
        TlsField::Ja3s,
        TlsField::Client,
        TlsField::ClientCertificate,
        TlsField::ClientChain,
        TlsField::Ja4,
        TlsField::Subjectaltname,
        TlsField::ClientAlpns,
        TlsField::ServerAlpns,
        TlsField::ClientHandshake,
        TlsField::ServerHandshake,
    ];
    let mut objects = Vec::new();
    for cfg in [TlsLogConfig::default(), TlsLogConfig { custom: Some(all), ..TlsLogConfig::default() }] {
        let mut o = Vec::new();
        write_fields(&mut o, Fields::config(&cfg), c.info());
        objects.push(o);
    }
    let mut o = Vec::new();
    write_alert_object(&mut o, c.info());
    objects.push(o);
    for o in objects {
        let line = [
            &br#"{"timestamp":"2024-05-02T16:30:50.272848+0000","flow_id":1,"event_type":"tls","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":443,"proto":"TCP","ip_v":4,"pkt_src":"wire/pcap""#[..],
            &o,
            b"}",
        ]
        .concat();
        let v: Value = serde_json::from_slice(&line).unwrap();
        assert!(v["tls"]["chain"].as_array().is_some_and(|c| c.len() == 2) || v["tls"].get("chain").is_none());
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:?}\n{v}");
    }
}
