//! EVE `tls` records (one per handshake) and the `tls` object alerts
//! carry: server certificate (subject, issuer, serial, fingerprint,
//! validity), SNI, version, JA3/JA3S.

use serde::{Deserialize, Serialize};

use super::{end, Header};
use crate::app::tls::TlsInfo;
use crate::output::EveConfig;
use crate::util::json::{push_key, push_str};

/// Options of `tls` records (Suricata's `eve-log.types.tls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsLogConfig {
    pub enabled: bool,
    /// Certificate validity, JA3/JA3S and the rest besides subject,
    /// issuer, SNI and version.
    pub extended: bool,
}

impl Default for TlsLogConfig {
    fn default() -> Self {
        TlsLogConfig { enabled: true, extended: true }
    }
}

/// Suricata's names for TLS versions.
pub fn version_name(v: Option<u16>) -> &'static str {
    match v {
        Some(0x0200) => "SSLv2",
        Some(0x0300) => "SSLv3",
        Some(0x0301) => "TLSv1",
        Some(0x0302) => "TLS 1.1",
        Some(0x0303) => "TLS 1.2",
        Some(0x0304) => "TLS 1.3",
        Some(_) => "UNDETERMINED",
        None => "",
    }
}

/// Certificate times are written without fraction or zone.
fn iso_time(secs: i64) -> String {
    if secs < 0 {
        return String::new();
    }
    let t = crate::util::Timestamp::from_secs_micros(secs as u64, 0).eve().to_string();
    t.get(..19).unwrap_or("").to_string()
}

/// Appends `,"tls":{...}`.
pub fn write_object(out: &mut Vec<u8>, cfg: &TlsLogConfig, i: &TlsInfo) {
    out.extend_from_slice(b",\"tls\":{");
    let mut first = true;
    let mut field = |out: &mut Vec<u8>, key: &str, v: &str| {
        if !v.is_empty() {
            push_key(out, key, first);
            push_str(out, v);
            first = false;
        }
    };
    if let Some(c) = i.server_certs.first() {
        field(out, "subject", &c.subject);
        field(out, "issuerdn", &c.issuer);
        if cfg.extended {
            field(out, "serial", &c.serial);
            field(out, "fingerprint", &c.fingerprint);
        }
    }
    if let Some(sni) = &i.sni {
        field(out, "sni", &String::from_utf8_lossy(sni));
    }
    field(out, "version", version_name(i.version.or(i.client_version)));
    if cfg.extended {
        if let Some(c) = i.server_certs.first() {
            field(out, "notbefore", &iso_time(c.not_before));
            field(out, "notafter", &iso_time(c.not_after));
        }
        for (key, hash, string) in [("ja3", &i.ja3_hash, &i.ja3_string), ("ja3s", &i.ja3s_hash, &i.ja3s_string)] {
            if let (Some(h), Some(s)) = (hash, string) {
                push_key(out, key, first);
                first = false;
                out.extend_from_slice(b"{\"hash\":");
                push_str(out, h);
                out.extend_from_slice(b",\"string\":");
                push_str(out, s);
                out.push(b'}');
            }
        }
    }
    out.push(b'}');
}

/// One `tls` record: the header (client to server) and the `tls` object.
pub fn write_record(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, cfg: &TlsLogConfig, i: &TlsInfo) {
    h.write(out, eve.ipv6_compress);
    write_object(out, cfg, i);
    end(out);
}
