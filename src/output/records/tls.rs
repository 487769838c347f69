//! EVE `tls` records (one per handshake) and the `tls` object alerts
//! carry, as Suricata 8 writes them (src/output-json-tls.c): the server
//! certificate (subject, issuer, subjectAltName, serial, fingerprint,
//! validity, optionally the certificate and chain in base64), SNI, version,
//! JA3/JA3S (when computed), JA4, the ALPN lists, the hello parameters and
//! the client certificate; which of them is set by `extended` or `custom`.
//!
//! A handshake is logged once Suricata would: the server's certificate
//! (and the client's, when the server asked for one) was seen, or
//! application data went both ways, or the flow ended; and only when there
//! is something to show: a certificate, a resumed session, or a TLS 1.3
//! handshake (whose certificate is encrypted). See [`ready`] and [`logs`].

use serde::{Deserialize, Serialize};

use super::{end, push_base64, push_bool, push_u64, Header};
use crate::app::tls::{Cert, Handshake, TlsInfo};
use crate::output::EveConfig;
use crate::util::json::{push_bytes_str, push_key, push_str};

/// Options of `tls` records (Suricata's `eve-log.types.tls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsLogConfig {
    pub enabled: bool,
    /// Suricata's extended set: version, serial, fingerprint, validity,
    /// SNI, JA3/JA3S, JA4, ALPNs and the client certificate, besides the
    /// basic subject, issuer and subjectAltName.
    pub extended: bool,
    /// The fields to log instead of the basic or extended set (Suricata's
    /// `custom`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<Vec<TlsField>>,
    /// Log resumed sessions (which have no certificate) with
    /// `session_resumed` (Suricata's `session-resumption`).
    pub session_resumption: bool,
}

impl Default for TlsLogConfig {
    fn default() -> Self {
        TlsLogConfig { enabled: true, extended: true, custom: None, session_resumption: true }
    }
}

/// A field of `custom`, by Suricata's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsField {
    Version,
    Subject,
    Issuer,
    Serial,
    Fingerprint,
    NotBefore,
    NotAfter,
    Sni,
    Certificate,
    Chain,
    SessionResumed,
    Ja3,
    Ja3s,
    Client,
    ClientCertificate,
    ClientChain,
    Ja4,
    Subjectaltname,
    ClientAlpns,
    ServerAlpns,
    ClientHandshake,
    ServerHandshake,
}

impl TlsField {
    fn bit(self) -> u32 {
        1 << self as u32
    }

    /// The field Suricata's `custom` names `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<TlsField> {
        serde_yaml::from_str(&name.to_ascii_lowercase()).ok()
    }
}

/// A set of [`TlsField`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fields(u32);

impl Fields {
    const BASIC: Fields = Fields::of(&[TlsField::Subject, TlsField::Issuer, TlsField::Subjectaltname]);
    const EXTENDED: Fields = Fields(
        Fields::BASIC.0
            | Fields::of(&[
                TlsField::Version,
                TlsField::Serial,
                TlsField::Fingerprint,
                TlsField::NotBefore,
                TlsField::NotAfter,
                TlsField::Ja3,
                TlsField::Ja3s,
                TlsField::Ja4,
                TlsField::Client,
                TlsField::ClientAlpns,
                TlsField::ServerAlpns,
                TlsField::Sni,
            ])
            .0,
    );

    const fn of(list: &[TlsField]) -> Fields {
        let mut bits = 0;
        let mut i = 0;
        while i < list.len() {
            bits |= 1 << list[i] as u32;
            i += 1;
        }
        Fields(bits)
    }

    fn config(cfg: &TlsLogConfig) -> Fields {
        let mut f = match &cfg.custom {
            Some(list) => Fields(list.iter().fold(0, |b, f| b | f.bit())),
            None if cfg.extended => Fields::EXTENDED,
            None => Fields::BASIC,
        };
        if cfg.session_resumption {
            f.0 |= TlsField::SessionResumed.bit();
        }
        // The client certificate or chain needs the client object.
        if f.has(TlsField::ClientCertificate) || f.has(TlsField::ClientChain) {
            f.0 |= TlsField::Client.bit();
        }
        f
    }

    fn has(self, f: TlsField) -> bool {
        self.0 & f.bit() != 0
    }
}

/// Whether the handshake has come far enough to be logged (Suricata's
/// progress for its logger): the server's certificate was parsed (and the
/// client's, if the server asked for one), or application data went both
/// ways. At flow end a handshake is logged whatever its progress.
pub fn ready(i: &TlsInfo) -> bool {
    let certs = !i.server_certs.is_empty() && (!i.cert_requested || !i.client_certs.is_empty());
    certs || (i.app_data[0] && i.app_data[1])
}

/// Whether a handshake that is [`ready`] gives a record: it has a
/// certificate, or was resumed (and those are logged), or is TLS 1.3.
/// Suricata makes no record otherwise, at that point or later.
pub fn logs(cfg: &TlsLogConfig, i: &TlsInfo) -> bool {
    i.server_certs.first().is_some_and(Cert::parsed)
        || (i.session_resumed && cfg.session_resumption)
        || i.log_without_cert
}

/// Suricata's names for TLS versions (`SSLVersionToString`).
pub fn version_name(v: u16) -> String {
    let s = match v {
        0 => "UNDETERMINED",
        0x0002 | 0x0200 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0x7f10..=0x7f1c => return format!("TLS 1.3 draft-{}", v & 0xff),
        0x7f00..=0x7f0f => "TLS 1.3 draft-<16",
        0xfb14..=0xfb17 | 0xfb1a => return format!("TLS 1.3 draft-{}-fb", v & 0xff),
        _ => return format!("0x{v:04x}"),
    };
    s.to_string()
}

/// The version EVE shows: the server's as Suricata tracks it (the hello's
/// choice, else its records' version), the client's before the server
/// said anything.
fn shown_version(i: &TlsInfo) -> u16 {
    if i.dir_versions[1] != 0 {
        i.dir_versions[1]
    } else {
        i.dir_versions[0]
    }
}

/// Certificate times are written without fraction or zone.
fn push_cert_time(out: &mut Vec<u8>, key: &str, secs: i64) {
    if secs == 0 {
        return;
    }
    let t = crate::util::Timestamp::from_secs_micros(secs.max(0) as u64, 0).eve().to_string();
    push_key(out, key, false);
    push_str(out, t.get(..19).unwrap_or(""));
}

/// `,"key":"value"`.
fn push_text(out: &mut Vec<u8>, key: &str, v: &[u8]) {
    push_key(out, key, false);
    push_bytes_str(out, v);
}

/// Opens an object whose members are all written with a leading comma;
/// [`close_object`] drops the first one.
fn open_object(out: &mut Vec<u8>, key: &str) -> usize {
    push_key(out, key, false);
    out.push(b'{');
    out.len()
}

fn close_object(out: &mut Vec<u8>, start: usize) {
    if out.get(start) == Some(&b',') {
        out.remove(start);
    }
    out.push(b'}');
}

fn push_list(out: &mut Vec<u8>, key: &str, items: &[Vec<u8>]) {
    push_key(out, key, false);
    out.push(b'[');
    for (i, p) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_bytes_str(out, p);
    }
    out.push(b']');
}

fn push_numbers(out: &mut Vec<u8>, key: &str, vals: &[u16]) {
    if vals.is_empty() {
        return;
    }
    push_key(out, key, false);
    out.push(b'[');
    for (i, v) in vals.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        crate::util::json::push_uint(out, *v);
    }
    out.push(b']');
}

fn push_chain(out: &mut Vec<u8>, certs: &[Cert]) {
    push_key(out, "chain", false);
    out.push(b'[');
    for (i, c) in certs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_base64(out, &c.der);
    }
    out.push(b']');
}

/// `client_handshake` or `server_handshake`.
fn push_handshake(out: &mut Vec<u8>, key: &str, hs: &Handshake, client: bool) {
    if hs.is_empty() {
        return;
    }
    push_key(out, key, false);
    out.extend_from_slice(b"{\"version\":");
    push_str(out, &version_name(hs.version));
    if client {
        push_numbers(out, "ciphers", &hs.ciphers);
    } else if let Some(c) = hs.ciphers.first() {
        push_u64(out, "cipher", u64::from(*c));
    }
    push_numbers(out, "exts", &hs.extensions);
    if client {
        push_numbers(out, "sig_algs", &hs.sig_algs);
    }
    out.push(b'}');
}

/// Appends `,"tls":{...}` with `fields`, in Suricata's order.
fn write_fields(out: &mut Vec<u8>, f: Fields, i: &TlsInfo) {
    let start = open_object(out, "tls");
    let cert = i.server_certs.first().filter(|c| c.parsed());
    if let Some(c) = cert {
        if f.has(TlsField::Subject) {
            push_text(out, "subject", c.subject.as_bytes());
        }
        if f.has(TlsField::Issuer) {
            push_text(out, "issuerdn", c.issuer.as_bytes());
        }
        if f.has(TlsField::Subjectaltname) && !c.sans.is_empty() {
            push_key(out, "subjectaltname", false);
            out.push(b'[');
            for (k, s) in c.sans.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                push_str(out, s);
            }
            out.push(b']');
        }
    }
    // Only a session without a certificate, and not TLS 1.3, counts as
    // resumed (Suricata's condition).
    if f.has(TlsField::SessionResumed)
        && i.session_resumed
        && cert.is_none()
        && i.server_hs.is_some()
        && !i.log_without_cert
    {
        push_bool(out, "session_resumed", true);
    }
    if let Some(c) = cert {
        if f.has(TlsField::Serial) {
            push_text(out, "serial", c.serial.as_bytes());
        }
        if f.has(TlsField::Fingerprint) {
            push_text(out, "fingerprint", c.fingerprint.as_bytes());
        }
    }
    if let Some(sni) = i.sni.as_deref().filter(|_| f.has(TlsField::Sni)) {
        push_text(out, "sni", sni);
    }
    if f.has(TlsField::Version) {
        push_text(out, "version", version_name(shown_version(i)).as_bytes());
    }
    if let Some(c) = cert {
        if f.has(TlsField::NotBefore) {
            push_cert_time(out, "notbefore", c.not_before);
        }
        if f.has(TlsField::NotAfter) {
            push_cert_time(out, "notafter", c.not_after);
        }
    }
    if let Some(c) = i.server_certs.first().filter(|_| f.has(TlsField::Certificate)) {
        push_key(out, "certificate", false);
        push_base64(out, &c.der);
    }
    if f.has(TlsField::Chain) && !i.server_certs.is_empty() {
        push_chain(out, &i.server_certs);
    }
    for (field, key, hash, string) in
        [(TlsField::Ja3, "ja3", &i.ja3_hash, &i.ja3_string), (TlsField::Ja3s, "ja3s", &i.ja3s_hash, &i.ja3s_string)]
    {
        if let (true, Some(h), Some(s)) = (f.has(field), hash, string) {
            push_key(out, key, false);
            out.extend_from_slice(b"{\"hash\":");
            push_str(out, h);
            out.extend_from_slice(b",\"string\":");
            push_str(out, s);
            out.push(b'}');
        }
    }
    if let Some(j) = i.ja4.as_deref().filter(|_| f.has(TlsField::Ja4)) {
        push_text(out, "ja4", j.as_bytes());
    }
    for (field, key, hs) in
        [(TlsField::ClientAlpns, "client_alpns", &i.client_hs), (TlsField::ServerAlpns, "server_alpns", &i.server_hs)]
    {
        if let Some(hs) = hs.as_ref().filter(|h| f.has(field) && !h.is_empty() && !h.alpns.is_empty()) {
            push_list(out, key, &hs.alpns);
        }
    }
    if let Some(hs) = i.client_hs.as_ref().filter(|_| f.has(TlsField::ClientHandshake)) {
        push_handshake(out, "client_handshake", hs, true);
    }
    if let Some(hs) = i.server_hs.as_ref().filter(|_| f.has(TlsField::ServerHandshake)) {
        push_handshake(out, "server_handshake", hs, false);
    }
    if let Some(c) = i.client_certs.first().filter(|c| f.has(TlsField::Client) && c.parsed()) {
        let client = open_object(out, "client");
        push_text(out, "subject", c.subject.as_bytes());
        push_text(out, "issuerdn", c.issuer.as_bytes());
        push_text(out, "fingerprint", c.fingerprint.as_bytes());
        push_text(out, "serial", c.serial.as_bytes());
        push_cert_time(out, "notbefore", c.not_before);
        push_cert_time(out, "notafter", c.not_after);
        if f.has(TlsField::ClientCertificate) {
            push_key(out, "certificate", false);
            push_base64(out, &c.der);
        }
        if f.has(TlsField::ClientChain) {
            push_chain(out, &i.client_certs);
        }
        close_object(out, client);
    }
    close_object(out, start);
}

/// Appends the `tls` object an alert carries: the extended set, without
/// `session_resumed` (Suricata's `JsonTlsLogJSONExtended`).
pub fn write_alert_object(out: &mut Vec<u8>, i: &TlsInfo) {
    write_fields(out, Fields::EXTENDED, i);
}

/// One `tls` record (check [`ready`] and [`logs`] first): the header goes
/// client to server.
pub fn write_record(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, cfg: &TlsLogConfig, i: &TlsInfo) {
    h.write(out, eve);
    write_fields(out, Fields::config(cfg), i);
    end(out);
}

#[cfg(test)]
mod tests;
