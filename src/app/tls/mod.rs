//! TLS (and SSLv2 ClientHello) application-layer parser with Suricata's
//! field semantics: `tls.sni`, `tls.cert_*`, `ja3.*`, `ja3s.*`,
//! `ssl_version`, `ssl_state`.
//!
//! The parser is fed the in-order byte stream of each direction in
//! arbitrary pieces. Records are framed incrementally (a record header may
//! arrive one byte at a time) and record bodies are never buffered: only
//! the bytes of handshake messages we care about are collected, so memory
//! per connection is bounded by [`TlsConfig::max_handshake_bytes`] per
//! direction, whatever the peer announces. A handshake message may span
//! records and several messages may share one record, as TLS allows.
//!
//! After a direction's ChangeCipherSpec (or its first application data)
//! its handshake records are encrypted and skipped, except for the TLS 1.3
//! middlebox-compatibility case (a dummy ChangeCipherSpec followed by a
//! plaintext second ClientHello / ServerHello after a HelloRetryRequest).
//!
//! Layout: this file holds the API and the record layer; `parser.rs` the
//! hello messages, `ja3.rs` JA3/JA3S, `cert.rs` certificate chains.

mod cert;
mod ja3;
mod ja4;
mod parser;
#[cfg(test)]
mod tests;

pub use ja4::{Handshake, MAX_ALPNS};
use parser::{ClientHello, ServerHello};

/// Largest legal record body: 2^14 plaintext plus 2048 bytes of expansion
/// (RFC 5246 6.2.3). Longer records are still framed (the length field says
/// where the next one starts) but counted.
pub const MAX_RECORD_LEN: usize = 16384 + 2048;

/// Bits of [`TlsInfo::record_versions`] (what `ssl_version` names).
pub const SSLV2: u32 = 1 << 0;
pub const SSLV3: u32 = 1 << 1;
pub const TLS10: u32 = 1 << 2;
pub const TLS11: u32 = 1 << 3;
pub const TLS12: u32 = 1 << 4;
pub const TLS13: u32 = 1 << 5;

/// Bits of [`TlsInfo::state`] (what `ssl_state` names).
/// EVE `ts_progress` / `tc_progress` names of [`TlsInfo::progress`].
pub const PROGRESS_NAMES: [&[&str]; 2] = [
    &["client_in_progress", "client_hello_done", "client_cert_done", "client_handshake_done"],
    &["server_in_progress", "server_hello", "server_cert_done", "server_hello_done", "server_handshake_done"],
];

pub const CLIENT_HELLO: u32 = 1 << 0;
pub const SERVER_HELLO: u32 = 1 << 1;
pub const CLIENT_KEYX: u32 = 1 << 2;
pub const SERVER_KEYX: u32 = 1 << 3;
pub const UNKNOWN: u32 = 1 << 4;

/// The `ssl_version` bit of a protocol version; 0 for values that name no
/// version we know (GREASE, garbage). TLS 1.3 drafts (0x7fxx) count as
/// TLS 1.3, as in Suricata.
pub fn version_bit(v: u16) -> u32 {
    match v {
        0x0002 => SSLV2,
        0x0300 => SSLV3,
        0x0301 => TLS10,
        0x0302 => TLS11,
        0x0303 => TLS12,
        0x0304 => TLS13,
        v if v >> 8 == 0x7f => TLS13,
        _ => 0,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// Largest handshake message reassembled (it may span records); longer
    /// ones are skipped and counted in [`TlsStats::oversized_handshakes`].
    pub max_handshake_bytes: usize,
    /// Certificates kept per chain; the rest are counted in
    /// [`TlsStats::certs_over_limit`].
    pub max_certificates: usize,
    /// JA3/JA3S fingerprints (for `ja3.*`/`ja3s.*` rules and EVE): `auto`
    /// computes them only when a loaded rule uses them, as Suricata's
    /// `ja3-fingerprints: auto` (its default).
    pub ja3_fingerprints: Fingerprints,
    /// JA4 fingerprints: `auto` computes them, as Suricata 8 does by
    /// default.
    pub ja4_fingerprints: Fingerprints,
    /// What happens once a connection carries encrypted application data,
    /// as Suricata's `encryption-handling`.
    pub encryption_handling: EncryptionHandling,
    /// Set when rules are loaded: one uses a JA3/JA3S keyword (what `auto`
    /// follows). Not configuration.
    #[serde(skip)]
    pub ja3_rules: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            max_handshake_bytes: 64 * 1024,
            max_certificates: 16,
            ja3_fingerprints: Fingerprints::Auto,
            ja4_fingerprints: Fingerprints::Auto,
            encryption_handling: EncryptionHandling::TrackOnly,
            ja3_rules: false,
        }
    }
}

impl TlsConfig {
    pub fn ja3(&self) -> bool {
        match self.ja3_fingerprints {
            Fingerprints::Auto => self.ja3_rules,
            f => f == Fingerprints::Yes,
        }
    }

    pub fn ja4(&self) -> bool {
        self.ja4_fingerprints != Fingerprints::No
    }

    /// Whether payload inspection stops at encrypted application data.
    pub fn stops_payload_inspection(&self) -> bool {
        self.encryption_handling == EncryptionHandling::TrackOnly
    }
}

/// What a TLS connection's encrypted application data is worth inspecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncryptionHandling {
    /// Suricata's default: once application data flows (in either
    /// direction), the connection's packets and stream are no longer
    /// inspected by payload rules (`content`, `pcre`...), whose matches in
    /// ciphertext would be chance; the TLS session is still tracked, `tls.*`
    /// and JA3/JA4 rules still run, and so do rules without payload
    /// keywords. The bytes are still reassembled for the TLS parser.
    TrackOnly,
    /// Payload rules inspect the encrypted bytes too.
    Full,
}

/// Whether a fingerprint is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fingerprints {
    Auto,
    Yes,
    No,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsEvent {
    /// The first ClientHello was parsed: `sni`, `client_version`, `ja3_*`.
    ClientHello,
    /// The first ServerHello was parsed: `version`, `ja3s_*`.
    ServerHello,
    /// The server's Certificate message was parsed: `server_certs`.
    ServerCertificate,
    /// The client's (non-empty) Certificate message was parsed: `client_certs`.
    ClientCertificate,
    /// Both directions are now encrypted (`handshake_done`).
    HandshakeDone,
    /// An alert record (plaintext or encrypted).
    Alert,
}

/// One certificate as sent. Fields follow Suricata: `subject`/`issuer` are
/// x509-parser's rendering (`C=US, ST=..., CN=...`), `serial` uppercase hex
/// bytes joined by `:` (the DER INTEGER content, leading zero included),
/// `fingerprint` the SHA-1 of `der` as lowercase hex joined by `:`,
/// validity as Unix seconds. A certificate that fails to parse keeps `der`
/// and has every other field empty/0 (Suricata fills nothing for it
/// either): an empty `fingerprint` means "unparsed".
#[derive(Debug, Clone, Default)]
pub struct Cert {
    pub der: Vec<u8>,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub fingerprint: String,
    pub not_before: i64,
    pub not_after: i64,
    /// subjectAltName entries as Suricata renders them (x509-parser's
    /// `GeneralName` display: DNS names and URIs as is, addresses as their
    /// bytes `[10, 1, 2, 3]`, `RFC822Name(...)`, `DirectoryName(...)`...).
    pub sans: Vec<String>,
}

impl Cert {
    /// x509-parser read it (Suricata has a subject and issuer for it).
    pub fn parsed(&self) -> bool {
        !self.fingerprint.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct TlsInfo {
    /// Events raised on the connection (bits of `events::TLS_EVENTS`).
    pub events: u32,
    /// server_name (host_name) from the ClientHello, raw bytes.
    pub sni: Option<Vec<u8>>,
    /// ClientHello legacy version (also from an SSLv2-compatible hello).
    pub client_version: Option<u16>,
    /// Negotiated: ServerHello version, replaced by the server's
    /// supported_versions selection (TLS 1.3 = 0x0304).
    pub version: Option<u16>,
    pub ja3_string: Option<String>,
    pub ja3_hash: Option<String>,
    pub ja3s_string: Option<String>,
    pub ja3s_hash: Option<String>,
    /// JA4 of the ClientHello (when enabled).
    pub ja4: Option<String>,
    /// The first ClientHello's and ServerHello's contents.
    pub client_hs: Option<Handshake>,
    pub server_hs: Option<Handshake>,
    /// The ServerHello echoed the ClientHello's (non-empty) session id.
    pub session_resumed: bool,
    /// The server chose TLS 1.3 (or a draft) through supported_versions:
    /// its certificate is encrypted, so EVE logs the handshake without one
    /// (Suricata's `SSL_AL_FLAG_LOG_WITHOUT_CERT`).
    pub log_without_cert: bool,
    /// The server sent a CertificateRequest.
    pub cert_requested: bool,
    /// Application data records seen, per direction.
    pub app_data: [bool; 2],
    /// How far each side's handshake went, as Suricata's TLS progress
    /// states count it ([`PROGRESS_NAMES`]): client 0 in progress, 1
    /// hello done (ClientHello), 2 cert done (Certificate), 3 handshake
    /// done (ChangeCipherSpec); server 0 in progress, 1 hello
    /// (ServerHello), 2 cert done (Certificate), 4 handshake done
    /// (ServerHelloDone: its side of the handshake in clear is over; a
    /// resumed or TLS 1.3 session stays at hello, as in Suricata's records).
    pub progress: [u8; 2],
    /// Chain as sent by the server, first = leaf.
    pub server_certs: Vec<Cert>,
    pub client_certs: Vec<Cert>,
    /// Union over both directions of the version Suricata's `ssl_version`
    /// would see once each record is parsed: the record-layer version until
    /// that direction's hello, then the hello's version (or its
    /// supported_versions choice). So a TLS 1.2 client whose ClientHello
    /// rides a 0x0301 record sets TLS12, not TLS10. Bits: [`SSLV2`]...
    pub record_versions: u32,
    /// `ssl_state` flags seen: [`CLIENT_HELLO`]...
    pub state: u32,
    /// ChangeCipherSpec or application data seen in both directions.
    pub handshake_done: bool,
    /// Addition to the agreed API: the current version per direction
    /// (0 = client->server) as Suricata's `ssl_version` reads it for a
    /// packet of that direction; 0 = none yet.
    pub dir_versions: [u16; 2],
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TlsStats {
    /// Records framed (TLS and SSLv2).
    pub records: u64,
    /// Handshake message headers seen (parsed or skipped).
    pub handshake_messages: u64,
    /// Protocol violations: bad record header (the direction stops), bad
    /// hello/certificate message structure.
    pub malformed: u64,
    /// Records longer than [`MAX_RECORD_LEN`] (still framed).
    pub oversized_records: u64,
    /// Handshake messages over `max_handshake_bytes`, skipped unparsed.
    pub oversized_handshakes: u64,
    /// Certificates beyond `max_certificates` in a chain, not kept.
    pub certs_over_limit: u64,
    /// Certificates x509-parser rejected.
    pub cert_parse_failures: u64,
    /// Gaps reported; the direction's parsing stops.
    pub gaps: u64,
    /// SSLv2 ClientHello / ServerHello messages.
    pub sslv2_hellos: u64,
    /// Handshake records skipped because the direction is encrypted.
    pub encrypted_handshake_records: u64,
    /// Hellos after the first of their direction (ignored, as Suricata).
    pub duplicate_hellos: u64,
    /// ALPN protocols beyond [`MAX_ALPNS`] in a hello, not kept.
    pub alpns_over_limit: u64,
    /// Certificates with more than `MAX_SANS` subjectAltName entries.
    pub sans_over_limit: u64,
    /// Later hellos whose ciphers, extensions... did not all fit in the
    /// first one's lists ([`ja4::MAX_ITEMS`]).
    pub hello_items_over_limit: u64,
    /// Handshake types we do not know.
    pub unknown_handshake_types: u64,
    pub alerts: u64,
    /// Anomalies not kept because too many waited.
    pub anomalies_dropped: u64,
}

/// Record framing state of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rec {
    /// Collecting a record header (`hdr_len` bytes of it so far).
    Header,
    /// Inside a TLS record body of `content_type`, `left` bytes to go.
    Tls { content_type: u8, left: usize },
    /// Inside an SSLv2 record body, `left` bytes to go.
    Sslv2 { left: usize },
    /// Parsing stopped for good (bad framing or gap).
    Dead,
}

/// Handshake message reassembly of one direction.
#[derive(Debug, Default)]
struct HsAsm {
    hdr: [u8; 4],
    hdr_len: u8,
    /// Body length announced by the current message header.
    len: usize,
    /// Collected body bytes (only when `len` is within the limit).
    body: Vec<u8>,
    /// Bytes of an oversized message still to discard.
    skip: usize,
}

#[derive(Debug)]
struct Dir {
    rec: Rec,
    hdr: [u8; 5],
    hdr_len: usize,
    hs: HsAsm,
    /// SSLv2 record body collected for hello parsing.
    v2_body: Vec<u8>,
    v2_keep: bool,
    /// ChangeCipherSpec or application data seen: handshake is encrypted.
    encrypted: bool,
    /// This direction's hello was parsed (its version then sticks).
    hello_seen: bool,
    /// A TLS record was framed: SSLv2 records are no longer believed (a
    /// byte with 0x80 set after lost framing must not pass for SSLv2).
    tls_seen: bool,
    /// An SSLv2 record with a 2-byte header was framed. Only then is the
    /// 3-byte form (0x40 set, used for padded ciphertext) accepted: as a
    /// first byte, 0x40..=0x7f is ASCII ("GET ...") far more often.
    v2_seen: bool,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            rec: Rec::Header,
            hdr: [0; 5],
            hdr_len: 0,
            hs: HsAsm::default(),
            v2_body: Vec::new(),
            v2_keep: false,
            encrypted: false,
            hello_seen: false,
            tls_seen: false,
            v2_seen: false,
        }
    }

    /// Frees buffers of a direction that will parse nothing more.
    fn kill(&mut self) {
        self.rec = Rec::Dead;
        self.hs = HsAsm::default();
        self.v2_body = Vec::new();
    }
}

#[derive(Debug)]
pub struct TlsConn {
    info: TlsInfo,
    stats: TlsStats,
    dirs: [Dir; 2],
    /// The client offered TLS 1.3 in supported_versions.
    client_offers_tls13: bool,
    /// The client sent the early_data extension (0-RTT).
    client_early_data: bool,
    /// The client sent supported_versions.
    client_offers_versions: bool,
    /// The ClientHello's session id, for resumption.
    client_session_id: Vec<u8>,
    server_hello_seen: bool,
    /// Anomalies (Suricata's TLS event names) waiting to be taken.
    anomalies: Vec<&'static str>,
}

/// Anomalies kept per connection until taken (the rest are counted).
const MAX_ANOMALIES: usize = 32;

impl Default for TlsConn {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsConn {
    pub fn new() -> TlsConn {
        TlsConn {
            info: TlsInfo::default(),
            stats: TlsStats::default(),
            dirs: [Dir::new(), Dir::new()],
            client_offers_tls13: false,
            client_early_data: false,
            client_offers_versions: false,
            client_session_id: Vec::new(),
            server_hello_seen: false,
            anomalies: Vec::new(),
        }
    }

    pub fn info(&self) -> &TlsInfo {
        &self.info
    }

    /// Encrypted application data was framed in either direction (not
    /// counting TLS 1.3 early data before the ServerHello).
    pub fn carries_application_data(&self) -> bool {
        self.info.app_data[0] || self.info.app_data[1]
    }

    pub fn stats(&self) -> &TlsStats {
        &self.stats
    }

    /// `len` bytes of direction `dir` are missing for good: record framing
    /// is lost, so that direction stops. Encrypted data after the handshake
    /// needs no parsing, so nothing of value is lost then.
    pub fn gap(&mut self, dir: usize, len: u64) {
        if len == 0 || dir > 1 {
            return;
        }
        self.stats.gaps += 1;
        self.dirs[dir].kill();
    }

    /// In-order stream bytes of one direction (0 = client->server,
    /// 1 = server->client), in arbitrary pieces.
    pub fn parse(&mut self, cfg: &TlsConfig, dir: usize, data: &[u8], events: &mut Vec<TlsEvent>) {
        if dir > 1 {
            return;
        }
        let mut rest = data;
        while !rest.is_empty() {
            let used = match self.dirs[dir].rec {
                Rec::Dead => return,
                Rec::Header => self.record_header(dir, rest, events),
                Rec::Tls { content_type, left } => {
                    let n = left.min(rest.len());
                    if content_type == 22 {
                        self.handshake_bytes(cfg, dir, &rest[..n], events);
                    }
                    let left = left - n;
                    self.dirs[dir].rec = Rec::Tls { content_type, left };
                    if left == 0 {
                        self.record_done(dir);
                    }
                    n
                }
                Rec::Sslv2 { left } => {
                    let n = left.min(rest.len());
                    let d = &mut self.dirs[dir];
                    if d.v2_keep && d.v2_body.len() < cfg.max_handshake_bytes {
                        let room = cfg.max_handshake_bytes - d.v2_body.len();
                        d.v2_body.extend_from_slice(&rest[..n.min(room)]);
                    }
                    d.rec = Rec::Sslv2 { left: left - n };
                    if left == n {
                        self.sslv2_record_done(cfg, dir, events);
                    }
                    n
                }
            };
            rest = &rest[used..];
        }
    }

    /// Consumes record header bytes; returns how many were used.
    fn record_header(&mut self, dir: usize, data: &[u8], events: &mut Vec<TlsEvent>) -> usize {
        let d = &mut self.dirs[dir];
        // SSLv2 records have the top bit (2-byte header) or the next bit
        // (3-byte header) of the first byte set; TLS content types never do.
        // Which forms are believed depends on what the direction sent before
        // (see `tls_seen`, `v2_seen`).
        let first = if d.hdr_len == 0 { data[0] } else { d.hdr[0] };
        let need = if d.tls_seen {
            5
        } else if first & 0x80 != 0 {
            2
        } else if first & 0x40 != 0 && d.v2_seen {
            3
        } else {
            5
        };
        let n = (need - d.hdr_len).min(data.len());
        d.hdr[d.hdr_len..d.hdr_len + n].copy_from_slice(&data[..n]);
        d.hdr_len += n;
        if d.hdr_len < need {
            return n;
        }
        d.hdr_len = 0;
        self.stats.records += 1;
        let h = self.dirs[dir].hdr;
        if need < 5 {
            let len = if need == 2 {
                usize::from(h[0] & 0x7f) << 8 | usize::from(h[1])
            } else {
                usize::from(h[0] & 0x3f) << 8 | usize::from(h[1])
            };
            if len == 0 {
                self.anomaly("INVALID_SSLV2_HEADER");
                self.malformed_stop(dir);
                return n;
            }
            self.info.dir_versions[dir] = 0x0002;
            let d = &mut self.dirs[dir];
            d.v2_seen = true;
            d.v2_body.clear();
            // Only a hello is worth buffering; SSLv2 ciphertext records
            // (up to 32 KiB) after it are skipped unbuffered.
            d.v2_keep = !d.hello_seen;
            d.rec = Rec::Sslv2 { left: len };
            return n;
        }
        let (content_type, version, len) =
            (h[0], u16::from_be_bytes([h[1], h[2]]), usize::from(h[3]) << 8 | usize::from(h[4]));
        // Content types 20..=24 exist; the major version is 3 for every
        // SSLv3/TLS record. Anything else means we lost the framing (or this
        // is not TLS): stop rather than parse noise.
        if !(20..=24).contains(&content_type) || h[1] != 3 {
            self.anomaly(if h[1] != 3 { "INVALID_RECORD_VERSION" } else { "INVALID_RECORD_TYPE" });
            self.malformed_stop(dir);
            return n;
        }
        self.dirs[dir].tls_seen = true;
        if len > MAX_RECORD_LEN {
            self.anomaly("INVALID_RECORD_LENGTH");
            self.stats.oversized_records += 1;
        }
        // Suricata's per-direction version: the record's until the hello
        // of this direction fixed it (an SSLv2 record's value does not stick).
        let cur = self.info.dir_versions[dir];
        if !self.dirs[dir].hello_seen || cur == 0 || cur == 0x0002 {
            self.info.dir_versions[dir] = version;
        }
        match content_type {
            20 => self.mark_encrypted(dir, events),
            21 => {
                self.stats.alerts += 1;
                events.push(TlsEvent::Alert);
            }
            22 if self.dirs[dir].encrypted && !self.tls13_plaintext_hs() => {
                self.stats.encrypted_handshake_records += 1;
                // Skipped, not parsed: use a content type we ignore.
                self.dirs[dir].rec = Rec::Tls { content_type: 0, left: len };
                if len == 0 {
                    self.record_done(dir);
                }
                return n;
            }
            // In TLS 1.3, 0-RTT data may precede the ServerHello; it does
            // not mean the handshake is over (as Suricata).
            23 if !(dir == 0 && self.client_early_data && !self.server_hello_seen) => {
                self.info.app_data[dir] = true;
                self.mark_encrypted(dir, events);
            }
            _ => {}
        }
        self.dirs[dir].rec = Rec::Tls { content_type, left: len };
        if len == 0 {
            self.record_done(dir);
        }
        n
    }

    /// In TLS 1.3 every encrypted handshake message travels in application
    /// data records, so a handshake record after the (dummy) ChangeCipherSpec
    /// is plaintext: a ClientHello/ServerHello after a HelloRetryRequest.
    /// Once the server picked TLS 1.2 or older, such records are encrypted.
    fn tls13_plaintext_hs(&self) -> bool {
        self.client_offers_tls13
            && (!self.server_hello_seen || self.info.version.is_some_and(|v| version_bit(v) == TLS13))
    }

    fn mark_encrypted(&mut self, dir: usize, events: &mut Vec<TlsEvent>) {
        // A message cut by ChangeCipherSpec can never complete in clear.
        let d = &mut self.dirs[dir];
        d.encrypted = true;
        d.hs = HsAsm::default();
        if dir == 0 {
            self.advance(0, 3);
        }
        if !self.info.handshake_done && self.dirs[0].encrypted && self.dirs[1].encrypted {
            self.info.handshake_done = true;
            events.push(TlsEvent::HandshakeDone);
        }
    }

    /// Side `dir`'s handshake reached `level` (progress never goes back).
    fn advance(&mut self, dir: usize, level: u8) {
        if let Some(p) = self.info.progress.get_mut(dir) {
            *p = (*p).max(level);
        }
    }

    fn record_done(&mut self, dir: usize) {
        self.info.record_versions |= version_bit(self.info.dir_versions[dir]);
        self.dirs[dir].rec = Rec::Header;
    }

    /// Notes an anomaly (Suricata's TLS event name) for the logger.
    fn anomaly(&mut self, name: &'static str) {
        self.info.events |= super::events::event_bit(super::events::EventProto::Tls, name);
        if self.anomalies.len() < MAX_ANOMALIES {
            self.anomalies.push(name);
        } else {
            self.stats.anomalies_dropped += 1;
        }
    }

    /// Hands the anomalies noted so far to `f`.
    pub fn drain_anomalies(&mut self, mut f: impl FnMut(&'static str)) {
        self.anomalies.drain(..).for_each(&mut f);
    }

    fn malformed_stop(&mut self, dir: usize) {
        self.stats.malformed += 1;
        self.dirs[dir].kill();
    }

    /// Body bytes of a handshake record: split into messages.
    fn handshake_bytes(&mut self, cfg: &TlsConfig, dir: usize, mut data: &[u8], events: &mut Vec<TlsEvent>) {
        while !data.is_empty() {
            let hs = &mut self.dirs[dir].hs;
            if hs.skip > 0 {
                let n = hs.skip.min(data.len());
                hs.skip -= n;
                data = &data[n..];
                continue;
            }
            if hs.hdr_len < 4 {
                let at = usize::from(hs.hdr_len);
                let n = (4 - at).min(data.len());
                hs.hdr[at..at + n].copy_from_slice(&data[..n]);
                hs.hdr_len += n as u8;
                data = &data[n..];
                if hs.hdr_len < 4 {
                    return;
                }
                let (typ, len) =
                    (hs.hdr[0], usize::from(hs.hdr[1]) << 16 | usize::from(hs.hdr[2]) << 8 | usize::from(hs.hdr[3]));
                hs.len = len;
                self.stats.handshake_messages += 1;
                let level = match (dir, typ) {
                    (0, 1) | (1, 2) => 1,
                    (_, 11) => 2,
                    (1, 14) => 4,
                    _ => 0,
                };
                self.advance(dir, level);
                self.info.state |= match typ {
                    1 => CLIENT_HELLO,
                    2 => SERVER_HELLO,
                    12 => SERVER_KEYX,
                    16 => CLIENT_KEYX,
                    0 | 4 | 5 | 8 | 11 | 13..=15 | 20..=24 | 254 => 0,
                    _ => {
                        self.stats.unknown_handshake_types += 1;
                        UNKNOWN
                    }
                };
                let hs = &mut self.dirs[dir].hs;
                if len > cfg.max_handshake_bytes {
                    self.stats.oversized_handshakes += 1;
                    hs.hdr_len = 0;
                    hs.skip = len;
                    continue;
                }
            }
            let hs = &mut self.dirs[dir].hs;
            let n = (hs.len - hs.body.len()).min(data.len());
            hs.body.extend_from_slice(&data[..n]);
            data = &data[n..];
            if hs.body.len() == hs.len {
                let typ = hs.hdr[0];
                hs.hdr_len = 0;
                // Taken, not cleared: a 16 KiB certificate buffer should
                // not stay allocated for the connection's lifetime.
                let body = std::mem::take(&mut hs.body);
                self.handshake_message(cfg, dir, typ, &body, events);
            }
        }
    }

    fn handshake_message(&mut self, cfg: &TlsConfig, dir: usize, typ: u8, body: &[u8], events: &mut Vec<TlsEvent>) {
        // After a ChangeCipherSpec only the TLS 1.3 compatibility hellos
        // reach this point; anything else would be ciphertext.
        if self.dirs[dir].encrypted && !matches!((dir, typ), (0, 1) | (1, 2)) {
            return;
        }
        match (dir, typ) {
            (0, 1) => self.client_hello(cfg, body, events),
            (1, 2) => self.server_hello(cfg, body, events),
            (1, 13) => self.info.cert_requested = true,
            (_, 11) => self.certificate(cfg, dir, body, events),
            _ => {}
        }
    }

    fn client_hello(&mut self, cfg: &TlsConfig, body: &[u8], events: &mut Vec<TlsEvent>) {
        if self.dirs[0].hello_seen {
            self.stats.duplicate_hellos += 1;
            // Suricata parses a repeated hello again: its server_name finds
            // the first hello's; what it lists is added to the first one's
            // (so JA4 changes), nothing else of it counts.
            if let Some(ch) = ClientHello::parse(body) {
                if self.info.sni.is_some() && ch.sni_extensions > 0 {
                    self.anomaly("MULTIPLE_SNI_EXTENSIONS");
                }
                if let Some(hs) = self.info.client_hs.as_mut() {
                    self.stats.hello_items_over_limit += u64::from(hs.merge(&ch.hs));
                    if self.info.ja4.is_some() {
                        self.info.ja4 = Some(hs.ja4());
                    }
                }
            }
            return;
        }
        let Some(ch) = ClientHello::parse(body) else {
            self.anomaly("INVALID_HANDSHAKE_MESSAGE");
            self.stats.malformed += 1;
            return;
        };
        if !ch.complete {
            self.anomaly("INVALID_HANDSHAKE_MESSAGE");
            self.stats.malformed += 1;
        }
        if ch.sni_extensions > 1 {
            self.anomaly("MULTIPLE_SNI_EXTENSIONS");
        }
        self.dirs[0].hello_seen = true;
        self.info.client_version = Some(ch.version);
        self.info.dir_versions[0] = ch.effective_version();
        self.client_offers_tls13 = ch.offers_tls13();
        self.client_offers_versions = !ch.supported_versions.is_empty();
        self.client_early_data = ch.early_data;
        self.info.sni = ch.sni;
        if let Some(s) = ch.ja3.filter(|_| cfg.ja3()) {
            self.info.ja3_hash = Some(ja3::md5_hex(&s));
            self.info.ja3_string = Some(s);
        }
        if cfg.ja4() {
            self.info.ja4 = Some(ch.hs.ja4());
        }
        self.stats.alpns_over_limit += u64::from(ch.alpns_dropped);
        self.client_session_id = ch.session_id;
        self.info.client_hs = Some(ch.hs);
        events.push(TlsEvent::ClientHello);
    }

    fn server_hello(&mut self, cfg: &TlsConfig, body: &[u8], events: &mut Vec<TlsEvent>) {
        if self.dirs[1].hello_seen {
            self.stats.duplicate_hellos += 1;
            if let (Some(sh), Some(hs)) = (ServerHello::parse(body), self.info.server_hs.as_mut()) {
                self.stats.hello_items_over_limit += u64::from(hs.merge(&sh.hs));
            }
            return;
        }
        let Some(sh) = ServerHello::parse(body) else {
            self.anomaly("INVALID_HANDSHAKE_MESSAGE");
            self.stats.malformed += 1;
            return;
        };
        if !sh.complete {
            self.anomaly("INVALID_HANDSHAKE_MESSAGE");
            self.stats.malformed += 1;
        }
        self.dirs[1].hello_seen = true;
        self.server_hello_seen = true;
        let v = sh.selected_version.unwrap_or(sh.version);
        self.info.version = Some(v);
        self.info.dir_versions[1] = v;
        if let Some(s) = sh.ja3s.filter(|_| cfg.ja3()) {
            self.info.ja3s_hash = Some(ja3::md5_hex(&s));
            self.info.ja3s_string = Some(s);
        }
        self.info.session_resumed = !sh.session_id.is_empty() && sh.session_id == self.client_session_id;
        // Suricata: the server picked TLS 1.3 in supported_versions (the
        // client having offered that extension), or names it or a draft in
        // its version field.
        self.info.log_without_cert = (self.client_offers_versions && sh.selected_version.is_some_and(|v| v > 0x0303))
            || sh.version == 0x0304
            || sh.version >> 8 == 0x7f;
        self.stats.alpns_over_limit += u64::from(sh.alpns_dropped);
        self.info.server_hs = Some(sh.hs);
        events.push(TlsEvent::ServerHello);
    }

    fn certificate(&mut self, cfg: &TlsConfig, dir: usize, body: &[u8], events: &mut Vec<TlsEvent>) {
        // The first chain of a direction is the one that counts (Suricata
        // keeps the first leaf too); a later one would be a renegotiation.
        let have = if dir == 1 { &self.info.server_certs } else { &self.info.client_certs };
        if !have.is_empty() {
            return;
        }
        let failures = self.stats.cert_parse_failures;
        let chain = cert::parse_chain(body, cfg.max_certificates, &mut self.stats);
        if self.stats.cert_parse_failures > failures {
            self.anomaly("INVALID_CERTIFICATE");
        }
        if chain.is_empty() {
            return;
        }
        if dir == 1 {
            self.info.server_certs = chain;
            events.push(TlsEvent::ServerCertificate);
        } else {
            self.info.client_certs = chain;
            events.push(TlsEvent::ClientCertificate);
        }
    }

    /// A whole SSLv2 record: only hellos matter (the rest is encrypted).
    fn sslv2_record_done(&mut self, cfg: &TlsConfig, dir: usize, events: &mut Vec<TlsEvent>) {
        let d = &mut self.dirs[dir];
        d.rec = Rec::Header;
        let body = std::mem::take(&mut d.v2_body);
        self.info.record_versions |= SSLV2;
        match (dir, body.first()) {
            (0, Some(1)) => {
                self.stats.sslv2_hellos += 1;
                self.info.state |= CLIENT_HELLO;
                self.advance(0, 1);
                if self.dirs[0].hello_seen {
                    self.stats.duplicate_hellos += 1;
                    return;
                }
                match parser::sslv2_hello_version(&body) {
                    Some(v) => {
                        // The hello's version becomes the direction's (what
                        // `ssl_version` sees on the client's next packets,
                        // as in Suricata: ssl_version_negated).
                        self.dirs[0].hello_seen = true;
                        self.info.client_version = Some(v);
                        self.info.dir_versions[0] = v;
                        // Suricata keeps an empty handshake for it: no
                        // ALPN, a JA4 of nothing.
                        let hs = Handshake::default();
                        self.info.ja4 = cfg.ja4().then(|| hs.ja4());
                        self.info.client_hs = Some(hs);
                        events.push(TlsEvent::ClientHello);
                    }
                    None => self.stats.malformed += 1,
                }
            }
            (1, Some(4)) => {
                self.stats.sslv2_hellos += 1;
                self.info.state |= SERVER_HELLO;
                self.advance(1, 1);
                if !self.dirs[1].hello_seen {
                    self.dirs[1].hello_seen = true;
                    self.server_hello_seen = true;
                    self.info.version = Some(0x0002);
                    events.push(TlsEvent::ServerHello);
                }
            }
            _ => {}
        }
    }
}

/// Quick check for protocol detection: do these first bytes of a direction
/// look like a TLS record or an SSLv2 hello? `None` = need more bytes.
pub fn probe(data: &[u8]) -> Option<bool> {
    let b0 = *data.first()?;
    if b0 & 0x80 != 0 {
        // SSLv2 2-byte header: length, msg type, then the hello's version
        // (client: 0x0002 or 0x03xx for an SSLv3/TLS-capable client).
        if data.len() < 5 {
            return prefix_ok(data, |d| d.get(2).is_none_or(|&t| t == 1));
        }
        let len = usize::from(b0 & 0x7f) << 8 | usize::from(data[1]);
        let ok = data[2] == 1 && len >= 9 && matches!((data[3], data[4]), (0, 2) | (3, 0..=4));
        return Some(ok);
    }
    if !(20..=24).contains(&b0) {
        return Some(false);
    }
    if data.len() < 5 {
        return prefix_ok(data, |d| d.get(1).is_none_or(|&b| b == 3) && d.get(2).is_none_or(|&b| b <= 4));
    }
    let len = usize::from(data[3]) << 8 | usize::from(data[4]);
    Some(data[1] == 3 && data[2] <= 4 && len > 0 && len <= MAX_RECORD_LEN)
}

/// `None` (need more) while the bytes so far are consistent, else `Some(false)`.
fn prefix_ok(data: &[u8], ok: impl Fn(&[u8]) -> bool) -> Option<bool> {
    if ok(data) {
        None
    } else {
        Some(false)
    }
}
