//! TLS options and connections against an in-process rustls server, with
//! certificates made by rcgen (the syslog tests run rsyslog itself).

use super::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use rustls::server::WebPkiClientVerifier;
use rustls::{ServerConfig, ServerConnection};
use std::net::TcpListener;

/// A CA and the PEM files of certificates it signed, in a temp dir.
struct Pki {
    dir: tempfile::TempDir,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, name);
        let cert = p.self_signed(&key).unwrap();
        std::fs::write(dir.path().join("ca.pem"), cert.pem()).unwrap();
        Pki { dir, issuer: Issuer::new(p, key) }
    }

    fn path(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }

    /// `<stem>.pem` and `<stem>-key.pem` for these names.
    fn leaf(&self, stem: &str, names: &[&str], client: bool) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, stem);
        p.extended_key_usages =
            vec![if client { ExtendedKeyUsagePurpose::ClientAuth } else { ExtendedKeyUsagePurpose::ServerAuth }];
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        let (c, k) = (self.path(&format!("{stem}.pem")), self.path(&format!("{stem}-key.pem")));
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }
}

fn opts(ca: &Path, cert_key: Option<(&Path, &Path)>) -> TlsOptions {
    let (c, k) = cert_key.map_or((PathBuf::new(), PathBuf::new()), |(c, k)| (c.into(), k.into()));
    TlsOptions { ca_file: ca.into(), cert_file: c, key_file: k, server_name: String::new() }
}

/// A rustls server on a loopback port taking one connection; returns
/// the plaintext it received (until the client closes) or its error.
fn server(pki: &Pki, client_ca: Option<&Path>) -> (SocketAddr, std::thread::JoinHandle<Result<Vec<u8>, String>>) {
    server_with(pki, client_ca, None)
}

/// The same; with `close_after`, the server closes (close_notify) once it
/// has read that many bytes.
fn server_with(
    pki: &Pki,
    client_ca: Option<&Path>,
    close_after: Option<usize>,
) -> (SocketAddr, std::thread::JoinHandle<Result<Vec<u8>, String>>) {
    let (c, k) = pki.leaf("server", &["localhost", "127.0.0.1"], false);
    let chain = CertificateDer::pem_file_iter(&c).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(&k).unwrap();
    let provider = provider();
    let b = ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().unwrap();
    let b = match client_ca {
        Some(ca) => {
            let roots = Arc::new(file_roots(ca).unwrap());
            b.with_client_cert_verifier(WebPkiClientVerifier::builder_with_provider(roots, provider).build().unwrap())
        }
        None => b.with_no_client_auth(),
    };
    let config = Arc::new(b.with_single_cert(chain, key).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut s = StreamOwned::new(ServerConnection::new(config).unwrap(), sock);
        let mut got = Vec::new();
        if let Some(n) = close_after {
            got.resize(n, 0);
            let r = s.read_exact(&mut got).map_err(|e| e.to_string());
            s.conn.send_close_notify();
            let _ = s.flush();
            return r.map(|_| got);
        }
        match s.read_to_end(&mut got) {
            Ok(_) => Ok(got),
            Err(e) => Err(e.to_string()),
        }
    });
    (addr, t)
}

#[test]
fn options_are_checked_when_the_configuration_loads() {
    let pki = Pki::new("test CA");
    let ca = pki.path("ca.pem");
    let (cert, key) = pki.leaf("client", &["sensor"], true);
    let (_, other_key) = pki.leaf("other", &["x"], true);
    opts(&ca, None).client("localhost:6514").unwrap();
    opts(&ca, Some((&cert, &key))).client("[::1]:6514").unwrap();
    let err = |o: TlsOptions| o.client("localhost:6514").unwrap_err();

    let missing = pki.path("nope.pem");
    let e = err(opts(&missing, None));
    assert!(e.contains("syslog.tls.ca_file") && e.contains("nope.pem") && e.contains("No such file"), "{e}");
    let garbage = pki.path("garbage.pem");
    std::fs::write(&garbage, "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n").unwrap();
    let e = err(opts(&garbage, None));
    assert!(e.contains("garbage.pem") && e.contains("not valid PEM"), "{e}");
    // A key file given as the CA: no certificate in it.
    let e = err(opts(&key, None));
    assert!(e.contains("client-key.pem") && e.contains("no PEM certificate"), "{e}");
    // DER bytes of a certificate that is not one.
    let bad = pki.path("bad.pem");
    std::fs::write(&bad, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
    assert!(err(opts(&bad, None)).contains("certificate 1 is not usable"));

    let mut o = opts(&ca, Some((&cert, &key)));
    o.key_file = PathBuf::new();
    assert!(err(o).contains("cert_file is set without syslog.tls.key_file"));
    let mut o = opts(&ca, Some((&cert, &key)));
    o.cert_file = PathBuf::new();
    assert!(err(o).contains("key_file is set without syslog.tls.cert_file"));
    let e = err(opts(&ca, Some((&cert, &ca))));
    assert!(e.contains("syslog.tls.key_file") && e.contains("no PEM private key"), "{e}");
    let e = err(opts(&ca, Some((&cert, &other_key))));
    assert!(e.contains("does not go with cert_file"), "{e}");
    let mut o = opts(&ca, None);
    o.server_name = "not a name!".into();
    assert!(err(o).contains("syslog.tls.server_name"));

    assert_eq!((host_of("h:1"), host_of("[::1]:6514"), host_of("10.0.0.1:6514")), ("h", "::1", "10.0.0.1"));
    assert!(!TlsOptions::default().is_set() && opts(&ca, None).is_set());
    let yaml: TlsOptions = serde_yaml::from_str("ca_file: /x\nserver_name: siem").unwrap();
    assert_eq!((yaml.ca_file, yaml.server_name), (PathBuf::from("/x"), "siem".to_string()));
    assert!(serde_yaml::from_str::<TlsOptions>("ca: /x").is_err());
}

#[test]
fn writes_reach_the_server_and_each_failure_names_its_reason() {
    let pki = Pki::new("test CA");
    let ca = pki.path("ca.pem");
    // Verified, by the IP address (the default name is the host part).
    let (addr, t) = server(&pki, None);
    let mut s = opts(&ca, None).client(&addr.to_string()).unwrap().connect(&addr).unwrap();
    s.check_open().unwrap();
    s.write_all(b"12 <14>1 - - - -").unwrap();
    s.flush().unwrap();
    drop(s);
    assert_eq!(t.join().unwrap().unwrap(), b"12 <14>1 - - - -");

    // Another CA.
    let other = Pki::new("other CA");
    let (addr, t) = server(&other, None);
    let e = opts(&ca, None).client(&addr.to_string()).unwrap().connect(&addr).err().unwrap();
    assert!(e.contains("certificate not trusted"), "{e}");
    assert!(t.join().unwrap().is_err());

    // A name the certificate is not for.
    let (addr, t) = server(&pki, None);
    let mut o = opts(&ca, None);
    o.server_name = "siem.example".into();
    let e = o.client(&addr.to_string()).unwrap().connect(&addr).err().unwrap();
    assert!(e.contains("not valid for the name \"siem.example\""), "{e}");
    assert!(t.join().unwrap().is_err());

    // Mutual TLS: refused without a client certificate (found after the
    // TLS 1.3 handshake), taken with one.
    let (addr, t) = server(&pki, Some(&ca));
    let e = opts(&ca, None).client(&addr.to_string()).unwrap().connect(&addr).err().unwrap();
    assert!(e.contains("refused") && e.contains("client certificate"), "{e}");
    assert!(t.join().unwrap().is_err());
    let (cert, key) = pki.leaf("client", &["sensor"], true);
    let (addr, t) = server(&pki, Some(&ca));
    let mut s = opts(&ca, Some((&cert, &key))).client(&addr.to_string()).unwrap().connect(&addr).unwrap();
    s.write_all(b"hello").unwrap();
    drop(s);
    assert_eq!(t.join().unwrap().unwrap(), b"hello");

    // Not TLS at all: a plain listener that says nothing.
    let plain = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = plain.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (c, _) = plain.accept().unwrap();
        drop(c);
    });
    let e = opts(&ca, None).client(&addr.to_string()).unwrap().connect(&addr).err().unwrap();
    t.join().unwrap();
    assert!(e.contains("closed the connection") || e.contains("reset"), "{e}");
}

#[test]
fn a_closed_connection_is_noticed_before_writing() {
    let pki = Pki::new("test CA");
    let ca = pki.path("ca.pem");
    let (addr, t) = server_with(&pki, None, Some(1));
    let mut s = opts(&ca, None).client(&addr.to_string()).unwrap().connect(&addr).unwrap();
    s.check_open().unwrap();
    s.write_all(b"x").unwrap();
    assert_eq!(t.join().unwrap().unwrap(), b"x");
    // The server has sent close_notify and closed.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match s.check_open() {
            Err(e) => {
                assert!(e.to_string().contains("closed"), "{e}");
                break;
            }
            Ok(()) => assert!(Instant::now() < deadline, "the close was not noticed"),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
