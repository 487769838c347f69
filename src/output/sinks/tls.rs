//! TLS for stream sinks (syslog over TLS, RFC 5425): the client
//! configuration built from `tls:` options, and a blocking connection
//! that counts bytes as written only once their TLS records are in the
//! socket.
//!
//! rustls with the ring provider (one crypto provider for the whole
//! binary), TLS 1.2 and 1.3. The receiver's certificate is verified
//! against `ca_file`, or the system's trust store when there is none, and
//! against `server_name` (default: the host part of the address). A client
//! certificate is sent when `cert_file` and `key_file` are set (mutual
//! TLS).
//!
//! Everything that can be wrong with the files (unreadable, not PEM, no
//! certificate in them, a key that is not the certificate's) is found
//! when the configuration is loaded, by building the client configuration
//! there: a sink never starts with TLS settings it cannot use.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde::{Deserialize, Serialize};

use super::PEER_TIMEOUT;

/// TLS settings of a stream sink (`syslog.tls:` with `transport: tls`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsOptions {
    /// PEM file of the CA certificate(s) the receiver's certificate must
    /// chain to; empty: the system's trust store (`/etc/ssl/certs`, as
    /// `update-ca-certificates` keeps it).
    pub ca_file: PathBuf,
    /// PEM file of this sensor's certificate (its chain may follow), sent
    /// when the receiver asks for one (mutual TLS); set with `key_file`.
    pub cert_file: PathBuf,
    /// PEM file of the private key of `cert_file` (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// The name the receiver's certificate must be valid for (a DNS name
    /// or an IP address); empty: the host part of the address.
    pub server_name: String,
}

impl TlsOptions {
    /// Whether any option is set (they mean nothing without TLS).
    pub fn is_set(&self) -> bool {
        *self != TlsOptions::default()
    }

    /// The client configuration these options describe, for a receiver at
    /// `address` (`host:port`); errors name the option, the file and the
    /// problem.
    pub fn client(&self, address: &str) -> Result<TlsClient, String> {
        let name = if self.server_name.is_empty() { host_of(address) } else { self.server_name.as_str() };
        let server_name = ServerName::try_from(name.to_string()).map_err(|_| {
            format!("syslog.tls.server_name \"{name}\" is not a DNS name or an IP address (set it to the name in the receiver's certificate)")
        })?;
        let roots = if self.ca_file.as_os_str().is_empty() { system_roots()? } else { file_roots(&self.ca_file)? };
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots);
        let config = match (self.cert_file.as_os_str().is_empty(), self.key_file.as_os_str().is_empty()) {
            (true, true) => builder.with_no_client_auth(),
            (false, true) => return Err("syslog.tls.cert_file is set without syslog.tls.key_file".into()),
            (true, false) => return Err("syslog.tls.key_file is set without syslog.tls.cert_file".into()),
            (false, false) => {
                let chain = certificates(&self.cert_file, "cert_file")?;
                let key = PrivateKeyDer::from_pem_file(&self.key_file).map_err(|e| {
                    let why = match e {
                        rustls_pki_types::pem::Error::NoItemsFound => "no PEM private key in it".to_string(),
                        e => e.to_string(),
                    };
                    format!("syslog.tls.key_file {}: {why}", self.key_file.display())
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    format!(
                        "syslog.tls.key_file {} does not go with cert_file {}: {e}",
                        self.key_file.display(),
                        self.cert_file.display()
                    )
                })?
            }
        };
        Ok(TlsClient { config: Arc::new(config), server_name })
    }
}

/// rustls' ring provider, passed explicitly: nothing depends on which
/// provider is installed process-wide (none is; two would make rustls'
/// defaults panic). ring, not aws-lc-rs, so the binary has one crypto
/// library (ureq 3 uses rustls with ring too). rustls 0.23.48 deprecated
/// ring's provider because ring has no post-quantum key exchange
/// (X25519MLKEM768); the classical groups it has are what syslog
/// receivers (GnuTLS, OpenSSL) negotiate today.
#[allow(deprecated)]
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The host part of `host:port` (`[::1]:6514` gives `::1`).
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
}

/// Every certificate in the PEM file `path`; at least one.
fn certificates(path: &Path, option: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let at = |why: String| format!("syslog.tls.{option} {}: {why}", path.display());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| at(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| at(format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(at("no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into()));
    }
    Ok(certs)
}

fn file_roots(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for (i, cert) in certificates(path, "ca_file")?.into_iter().enumerate() {
        roots
            .add(cert)
            .map_err(|e| format!("syslog.tls.ca_file {}: certificate {} is not usable: {e}", path.display(), i + 1))?;
    }
    Ok(roots)
}

/// The system's trust store, as OpenSSL on this machine would find it
/// (`SSL_CERT_FILE`/`SSL_CERT_DIR` included).
fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found.errors.first().map(|e| format!(" ({e})")).unwrap_or_default();
        return Err(format!(
            "no CA certificate found in the system's trust store{why}: install ca-certificates or set syslog.tls.ca_file"
        ));
    }
    Ok(roots)
}

/// A checked client configuration and the name to verify.
#[derive(Debug, Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
}

/// How long a TLS 1.3 connection waits after its handshake for the
/// receiver to refuse our certificate (or the lack of one): in TLS 1.3 the
/// client finishes its handshake before the server has checked it, and a
/// receiver that does not take it closes the connection right after.
const SETTLE: Duration = Duration::from_millis(100);

impl TlsClient {
    /// Connects to `addr` and completes the handshake, within
    /// [`PEER_TIMEOUT`] for each step. The error says why, in words an
    /// operator can act on ("certificate not trusted ...").
    pub fn connect(&self, addr: &SocketAddr) -> Result<TlsStream, String> {
        let sock = TcpStream::connect_timeout(addr, PEER_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
        sock.set_write_timeout(Some(PEER_TIMEOUT)).map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(PEER_TIMEOUT)).map_err(|e| e.to_string())?;
        let _ = sock.set_nodelay(true);
        let conn =
            ClientConnection::new(self.config.clone(), self.server_name.clone()).map_err(|e| format!("TLS: {e}"))?;
        let mut s = TlsStream { inner: StreamOwned::new(conn, sock) };
        while s.inner.conn.is_handshaking() {
            s.inner.conn.complete_io(&mut s.inner.sock).map_err(|e| handshake_error(&e, &self.server_name))?;
        }
        if s.inner.conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3) {
            s.settle().map_err(|e| handshake_error(&e, &self.server_name))?;
        }
        Ok(s)
    }
}

/// What went wrong in a handshake, for the one warning of an outage.
fn handshake_error(e: &io::Error, name: &ServerName<'_>) -> String {
    let name = name.to_str();
    let tls = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            CertificateError::UnknownIssuer => {
                "TLS handshake: certificate not trusted (its issuer is not in syslog.tls.ca_file or the system's trust store)".into()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("TLS handshake: certificate not valid for the name \"{name}\" (syslog.tls.server_name)")
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "TLS handshake: the receiver's certificate has expired".into()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "TLS handshake: the receiver's certificate is not valid yet".into()
            }
            c => format!("TLS handshake: the receiver's certificate was rejected: {c:?}"),
        },
        Some(rustls::Error::AlertReceived(a)) => format!(
            "TLS handshake: the receiver refused it ({a:?}); does it require a client certificate (syslog.tls.cert_file), or not trust ours?"
        ),
        Some(e) => format!("TLS handshake: {e}"),
        None if e.kind() == io::ErrorKind::UnexpectedEof || e.kind() == io::ErrorKind::ConnectionReset => {
            "TLS handshake: the receiver closed the connection (is the port TLS? does it require a client certificate, or not trust ours?)".into()
        }
        None if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
            format!("TLS handshake: no answer within {} s (is the port TLS?)", PEER_TIMEOUT.as_secs())
        }
        None => format!("TLS handshake: {e}"),
    }
}

/// A connected TLS stream. Written through [`io::Write`]: `write` returns
/// only once the TLS records holding the bytes it took are in the socket,
/// so what it reports as written is as far as a plain TCP write's count.
/// (rustls' own `Stream::write` reports bytes as written once encrypted
/// into its buffer and ignores a failing socket write.)
pub struct TlsStream {
    inner: StreamOwned<ClientConnection, TcpStream>,
}

impl TlsStream {
    /// Waits up to [`SETTLE`] for what the receiver sends right after the
    /// handshake: session tickets, or an alert and the end of the
    /// connection if it refuses our certificate.
    fn settle(&mut self) -> io::Result<()> {
        let end = Instant::now() + SETTLE;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.inner.sock.set_read_timeout(Some(left))?;
            match self.read_in() {
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => break,
                r => r?,
            }
        }
        self.inner.sock.set_read_timeout(Some(PEER_TIMEOUT))
    }

    /// Reads what the socket has (blocking per the socket's mode) into the
    /// connection and processes it: `Err` if the peer closed or sent an
    /// alert. Application data from a syslog receiver is read and ignored.
    fn read_in(&mut self) -> io::Result<()> {
        let n = self.inner.conn.read_tls(&mut self.inner.sock)?;
        let state = self.inner.conn.process_new_packets().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let mut sink = [0u8; 1024];
        for _ in 0..state.plaintext_bytes_to_read().div_ceil(sink.len()) {
            let _ = self.inner.conn.reader().read(&mut sink);
        }
        if n == 0 || state.peer_has_closed() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the receiver closed the connection"));
        }
        Ok(())
    }

    /// Whether the receiver has closed the connection (or broken it with
    /// an alert) by now, without waiting: checked before each delivery,
    /// so records are not written into a connection already gone (they
    /// would count as delivered and be lost).
    pub fn check_open(&mut self) -> io::Result<()> {
        self.inner.sock.set_nonblocking(true)?;
        // Bounded: a syslog receiver sends next to nothing.
        let mut r = Ok(());
        for _ in 0..16 {
            match self.read_in() {
                Ok(()) => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => r = Err(e),
            }
            break;
        }
        self.inner.sock.set_nonblocking(false)?;
        r
    }

    fn push_out(&mut self) -> io::Result<()> {
        while self.inner.conn.wants_write() {
            match self.inner.conn.write_tls(&mut self.inner.sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Anything left from an earlier failed call goes first.
        self.push_out()?;
        let n = self.inner.conn.writer().write(buf)?;
        self.push_out()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.push_out()
    }
}

impl Drop for TlsStream {
    /// Ends the session properly (close_notify), so the receiver knows
    /// nothing was cut; best effort.
    fn drop(&mut self) {
        self.inner.conn.send_close_notify();
        let _ = self.push_out();
    }
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
