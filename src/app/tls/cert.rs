//! Certificate message (TLS <= 1.2 layout: a 24-bit length-prefixed list
//! of 24-bit length-prefixed DER certificates) and the per-certificate
//! fields Suricata exposes.
//!
//! Strings come from x509-parser exactly as Suricata's rust/src/x509 takes
//! them: `X509Name`'s `Display` (RDNs in certificate order as `SN=value`
//! joined by `, `, multi-valued RDNs joined by ` + `, emailAddress shown as
//! `Email`, unknown attribute types as their OID, non-string values as hex;
//! embedded NUL bytes are kept), the raw serial bytes as uppercase hex
//! joined by `:`. The SHA-1 fingerprint is Suricata's (lowercase, `:`).

use sha1::{Digest, Sha1};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::ja3::hex_lower;
use super::{Cert, TlsStats};

/// subjectAltName entries kept per certificate; the rest are counted in
/// `TlsStats::sans_over_limit`.
pub const MAX_SANS: usize = 256;

fn u24(b: &[u8]) -> usize {
    usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2])
}

/// Parses a Certificate message body. Keeps at most `max` certificates
/// (the rest are counted); a structural error ends the chain there, keeping
/// what was read before it.
pub(super) fn parse_chain(body: &[u8], max: usize, stats: &mut TlsStats) -> Vec<Cert> {
    let mut out = Vec::new();
    let Some(list_len) = body.get(..3).map(u24) else {
        stats.malformed += 1;
        return out;
    };
    let Some(mut list) = body.get(3..3 + list_len) else {
        stats.malformed += 1;
        return out;
    };
    while !list.is_empty() {
        let Some(len) = list.get(..3).map(u24) else {
            stats.malformed += 1;
            break;
        };
        let Some(der) = list.get(3..3 + len) else {
            stats.malformed += 1;
            break;
        };
        list = &list[3 + len..];
        if out.len() >= max {
            stats.certs_over_limit += 1;
            continue;
        }
        out.push(parse_cert(der, stats));
    }
    out
}

/// One DER certificate; on a parse failure only `der` is filled.
pub(super) fn parse_cert(der: &[u8], stats: &mut TlsStats) -> Cert {
    let mut cert = Cert { der: der.to_vec(), ..Cert::default() };
    match X509Certificate::from_der(der) {
        Ok((_, x)) => {
            let tbs = &x.tbs_certificate;
            cert.subject = tbs.subject.to_string();
            cert.issuer = tbs.issuer.to_string();
            cert.serial = serial_hex(tbs.raw_serial());
            cert.not_before = tbs.validity.not_before.timestamp();
            cert.not_after = tbs.validity.not_after.timestamp();
            cert.fingerprint = hex_lower(&Sha1::digest(der), ":");
            if let Ok(Some(san)) = x.subject_alternative_name() {
                for gn in &san.value.general_names {
                    if cert.sans.len() == MAX_SANS {
                        stats.sans_over_limit += 1;
                        break;
                    }
                    cert.sans.push(san_string(gn));
                }
            }
        }
        Err(_) => stats.cert_parse_failures += 1,
    }
    cert
}

/// A subjectAltName entry as Suricata 8 writes it: x509-parser 0.16's
/// rendering (later versions wrap DNS names and URIs too).
fn san_string(gn: &GeneralName<'_>) -> String {
    match gn {
        GeneralName::DNSName(s) | GeneralName::URI(s) => (*s).to_string(),
        GeneralName::IPAddress(b) => format!("{b:?}"),
        other => other.to_string(),
    }
}

fn serial_hex(raw: &[u8]) -> String {
    hex_lower(raw, ":").to_ascii_uppercase()
}
