//! ClientHello / ServerHello / SSLv2 ClientHello decoding.
//!
//! Follows Suricata's app-layer-ssl.c where its behaviour is observable by
//! rules: the JA3 fields, which SNI is kept (the first host_name of the
//! first server_name extension, 1..=255 bytes), and what happens on a
//! malformed extension (parsing stops there; JA3 keeps what was collected
//! before it). Unlike Suricata, every extension is skipped by its declared
//! length, so an extension with trailing bytes cannot desynchronise the
//! rest.

use super::ja3;
use super::ja4::Handshake;

/// Bounds-checked big-endian reader over a message body.
struct Rd<'a> {
    b: &'a [u8],
}

impl<'a> Rd<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&v, rest) = self.b.split_first()?;
        self.b = rest;
        Some(v)
    }

    fn u16(&mut self) -> Option<u16> {
        let v = self.take(2)?;
        Some(u16::from_be_bytes([v[0], v[1]]))
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.b.len() {
            return None;
        }
        let (v, rest) = self.b.split_at(n);
        self.b = rest;
        Some(v)
    }

    /// A vector with a `len_bytes`-byte length prefix.
    fn vec(&mut self, len_bytes: usize) -> Option<&'a [u8]> {
        let n = match len_bytes {
            1 => usize::from(self.u8()?),
            _ => usize::from(self.u16()?),
        };
        self.take(n)
    }
}

const EXT_SERVER_NAME: u16 = 0;
const EXT_SUPPORTED_GROUPS: u16 = 10;
const EXT_EC_POINT_FORMATS: u16 = 11;
const EXT_SIGNATURE_ALGORITHMS: u16 = 13;
const EXT_ALPN: u16 = 16;
const EXT_EARLY_DATA: u16 = 42;
const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// Longest session id kept (RFC 5246: 32 bytes).
const MAX_SESSION_ID: usize = 32;

/// An ALPN extension's protocol list into `hs`; `None` if malformed.
/// Returns whether protocols were dropped at the bound.
fn alpn_list(data: &[u8], hs: &mut Handshake) -> Option<bool> {
    let mut r = Rd { b: data };
    let mut list = Rd { b: r.vec(2)? };
    let mut dropped = false;
    while !list.b.is_empty() {
        dropped |= !hs.add_alpn(list.vec(1)?);
    }
    Some(dropped)
}

#[derive(Debug, Default)]
pub(super) struct ClientHello {
    /// legacy_version.
    pub version: u16,
    pub sni: Option<Vec<u8>>,
    /// server_name extensions seen (more than one is an anomaly).
    pub sni_extensions: u8,
    pub ja3: Option<String>,
    /// supported_versions list as sent (GREASE included).
    pub supported_versions: Vec<u16>,
    pub early_data: bool,
    /// legacy_session_id (at most 32 bytes kept).
    pub session_id: Vec<u8>,
    /// What JA4 and EVE's `client_handshake` are made of.
    pub hs: Handshake,
    /// ALPN protocols were dropped at `ja4::MAX_ALPNS`.
    pub alpns_dropped: bool,
    /// False when something after the version was malformed.
    pub complete: bool,
}

impl ClientHello {
    /// `None` when not even the version is there.
    pub fn parse(body: &[u8]) -> Option<ClientHello> {
        let mut r = Rd { b: body };
        let mut ch = ClientHello { version: r.u16()?, ..ClientHello::default() };
        ch.hs.version = ch.version;
        let Some((ciphers, exts)) = ch.fixed_part(&mut r) else {
            return Some(ch);
        };
        let mut ext_list = String::new();
        let mut groups = String::new();
        let mut formats = String::new();
        ch.complete = true;
        if let Some(exts) = exts {
            let mut er = Rd { b: exts };
            while !er.b.is_empty() {
                // Framing errors inside the extension block void JA3
                // (Suricata produces no hash then).
                let (Some(typ), Some(data)) = (er.u16(), er.vec(2)) else {
                    ch.complete = false;
                    return Some(ch);
                };
                ch.hs.add_extension(typ);
                if ch.extension(typ, data, &mut groups, &mut formats).is_none() {
                    ch.complete = false;
                    break;
                }
                ja3::push(&mut ext_list, typ);
            }
        }
        ch.ja3 = Some(format!("{},{ciphers},{ext_list},{groups},{formats}", ch.version));
        Some(ch)
    }

    /// random, session_id, cipher_suites, compression_methods; returns the
    /// JA3 cipher list and the extension block (`None`: no extensions).
    #[allow(clippy::type_complexity)]
    fn fixed_part<'a>(&mut self, r: &mut Rd<'a>) -> Option<(String, Option<&'a [u8]>)> {
        r.take(32)?;
        let sid = r.vec(1)?;
        self.session_id = sid.get(..MAX_SESSION_ID).unwrap_or(sid).to_vec();
        let suites = r.vec(2)?;
        if suites.len() % 2 != 0 {
            return None;
        }
        let mut ciphers = String::new();
        for c in suites.chunks_exact(2) {
            let c = u16::from_be_bytes([c[0], c[1]]);
            ja3::push(&mut ciphers, c);
            self.hs.add_cipher(c);
        }
        r.vec(1)?;
        // Extensions are optional (RFC 5246 7.4.1.2).
        if r.b.len() < 2 {
            return Some((ciphers, None));
        }
        Some((ciphers, Some(r.vec(2)?)))
    }

    /// One extension's content; `None` if malformed.
    fn extension(&mut self, typ: u16, data: &[u8], groups: &mut String, formats: &mut String) -> Option<()> {
        if data.is_empty() {
            // Empty extensions are legal for all of these (early_data,
            // server_name in a resumption...).
            if typ == EXT_EARLY_DATA {
                self.early_data = true;
            }
            return Some(());
        }
        let mut r = Rd { b: data };
        match typ {
            EXT_SERVER_NAME => {
                r.u16()?; // server_name_list length
                if r.u8()? != 0 {
                    return None; // only host_name exists (RFC 6066 3)
                }
                let name = r.vec(2)?;
                if name.is_empty() || name.len() > 255 {
                    return None;
                }
                // A second server_name extension is ignored (Suricata),
                // and reported.
                self.sni_extensions = self.sni_extensions.saturating_add(1);
                if self.sni.is_none() {
                    self.sni = Some(name.to_vec());
                }
            }
            EXT_SUPPORTED_GROUPS => {
                let list = r.vec(2)?;
                if list.len() % 2 != 0 {
                    return None;
                }
                for g in list.chunks_exact(2) {
                    ja3::push(groups, u16::from_be_bytes([g[0], g[1]]));
                }
            }
            EXT_EC_POINT_FORMATS => {
                for &f in r.vec(1)? {
                    ja3::push(formats, u16::from(f));
                }
            }
            EXT_SIGNATURE_ALGORITHMS => {
                let list = r.vec(2)?;
                for a in list.chunks_exact(2) {
                    self.hs.add_sig_alg(u16::from_be_bytes([a[0], a[1]]));
                }
            }
            EXT_ALPN => self.alpns_dropped |= alpn_list(data, &mut self.hs)?,
            EXT_EARLY_DATA => self.early_data = true,
            EXT_SUPPORTED_VERSIONS => {
                let list = r.vec(1)?;
                if list.len() < 2 {
                    return None;
                }
                self.supported_versions = list.chunks_exact(2).map(|v| u16::from_be_bytes([v[0], v[1]])).collect();
                // JA4 takes the highest version offered.
                if let Some(max) = self.supported_versions.iter().copied().filter(|&v| !ja3::is_grease(v)).max() {
                    self.hs.version = max;
                }
            }
            _ => {}
        }
        Some(())
    }

    /// The version `ssl_version` sees for the client: the first entry of
    /// supported_versions (GREASE skipped, which Suricata 7 did not do), else
    /// the legacy version.
    pub fn effective_version(&self) -> u16 {
        self.supported_versions.iter().copied().find(|&v| !ja3::is_grease(v)).unwrap_or(self.version)
    }

    pub fn offers_tls13(&self) -> bool {
        self.supported_versions.iter().any(|&v| super::version_bit(v) == super::TLS13)
    }
}

#[derive(Debug, Default)]
pub(super) struct ServerHello {
    pub version: u16,
    /// supported_versions selection (TLS 1.3).
    pub selected_version: Option<u16>,
    pub ja3s: Option<String>,
    pub complete: bool,
    /// legacy_session_id_echo (at most 32 bytes kept).
    pub session_id: Vec<u8>,
    /// What EVE's `server_handshake` and `server_alpns` are made of.
    pub hs: Handshake,
    pub alpns_dropped: bool,
}

impl ServerHello {
    pub fn parse(body: &[u8]) -> Option<ServerHello> {
        let mut r = Rd { b: body };
        let mut sh = ServerHello { version: r.u16()?, ..ServerHello::default() };
        sh.hs.version = sh.version;
        // TLS 1.3 drafts before 22 put their version here and had neither
        // session_id nor compression_method (Suricata's rule, kept).
        let draft = sh.version == 0x0304 || sh.version >> 8 == 0x7f;
        let Some((cipher, exts)) = sh.fixed_part(&mut r, draft) else {
            return Some(sh);
        };
        sh.hs.add_cipher(cipher);
        let mut ext_list = String::new();
        sh.complete = true;
        if let Some(exts) = exts {
            let mut er = Rd { b: exts };
            while !er.b.is_empty() {
                let (Some(typ), Some(data)) = (er.u16(), er.vec(2)) else {
                    sh.complete = false;
                    return Some(sh);
                };
                sh.hs.add_extension(typ);
                if typ == EXT_SUPPORTED_VERSIONS && !data.is_empty() {
                    if data.len() < 2 {
                        sh.complete = false;
                        break;
                    }
                    sh.selected_version = Some(u16::from_be_bytes([data[0], data[1]]));
                }
                if typ == EXT_ALPN && !data.is_empty() {
                    match alpn_list(data, &mut sh.hs) {
                        Some(dropped) => sh.alpns_dropped |= dropped,
                        None => {
                            sh.complete = false;
                            break;
                        }
                    }
                }
                ja3::push(&mut ext_list, typ);
            }
        }
        let mut c = String::new();
        ja3::push(&mut c, cipher);
        sh.ja3s = Some(format!("{},{c},{ext_list}", sh.version));
        Some(sh)
    }

    fn fixed_part<'a>(&mut self, r: &mut Rd<'a>, draft: bool) -> Option<(u16, Option<&'a [u8]>)> {
        r.take(32)?;
        if !draft {
            let sid = r.vec(1)?;
            self.session_id = sid.get(..MAX_SESSION_ID).unwrap_or(sid).to_vec();
        }
        let cipher = r.u16()?;
        if !draft {
            r.u8()?;
        }
        if r.b.len() < 2 {
            return Some((cipher, None));
        }
        Some((cipher, Some(r.vec(2)?)))
    }
}

/// Version offered by an SSLv2-format ClientHello (record body starting
/// with msg_type 1): version, cipher_specs/session_id/challenge lengths,
/// then the data they announce.
pub(super) fn sslv2_hello_version(body: &[u8]) -> Option<u16> {
    let mut r = Rd { b: body };
    if r.u8()? != 1 {
        return None;
    }
    let version = r.u16()?;
    let (specs, sid, challenge) = (r.u16()?, r.u16()?, r.u16()?);
    // Cipher specs are 3 bytes each; the challenge is 16..=32 bytes, but
    // only the structure is checked here.
    if specs % 3 != 0 || usize::from(specs) + usize::from(sid) + usize::from(challenge) > r.b.len() {
        return None;
    }
    Some(version)
}
