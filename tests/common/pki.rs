//! A test certificate authority made with rcgen: a CA and the leaf
//! certificates it signs, as PEM files (the TLS sink tests).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};

/// A CA (`<name>-ca.pem`) and certificates it signs, as PEM files in `dir`.
pub struct Ca {
    dir: PathBuf,
    name: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(dir: &Path, name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, format!("{name} test CA"));
        let cert = p.self_signed(&key).unwrap();
        std::fs::write(dir.join(format!("{name}-ca.pem")), cert.pem()).unwrap();
        Ca { dir: dir.to_path_buf(), name: name.into(), issuer: Issuer::new(p, key) }
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.join(format!("{}-ca.pem", self.name))
    }

    /// A certificate for `names` and its key: `<name>-<stem>.pem`, `<name>-<stem>-key.pem`.
    pub fn issue(&self, stem: &str, names: &[&str], purpose: ExtendedKeyUsagePurpose) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or(stem));
        p.extended_key_usages = vec![purpose];
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        let c = self.dir.join(format!("{}-{stem}.pem", self.name));
        let k = self.dir.join(format!("{}-{stem}-key.pem", self.name));
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }

    /// A receiver's certificate for `localhost` and 127.0.0.1.
    pub fn server(&self) -> (PathBuf, PathBuf) {
        self.issue("server", &["localhost", "127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth)
    }
}
