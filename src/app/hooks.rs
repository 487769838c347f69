//! Explicit rule hooks (Suricata 8): `alert http1:request_line any any ->
//! ...` evaluates a rule when the transaction reaches that state, rather
//! than at the state its keywords imply. Suricata accepts a hook only where
//! every buffer of the rule exists at exactly that state ("engine progress
//! value 1 doesn't match hook 2"), and `xbits ... track tx` tests need one.
//!
//! Suricata counts a transaction's states per protocol (HTTP/1 request:
//! 0 started, 1 line, 2 headers, 3 body, 4 trailer, 5 complete). Our
//! parsers report fewer points ([`Progress`]): a hook is evaluated at the
//! point that holds its state (`request_line` and `request_headers` both at
//! [`Progress::HttpRequestHeaders`]), and its Suricata state number is kept
//! to check the rule's buffers as Suricata does. A request that arrives in
//! one packet is inspected at every state at once in Suricata too, so the
//! alerts are the same; a request spread over packets alerts on the packet
//! that completes its headers rather than the one that completes its line.

use super::Progress;
use crate::rules::AppBuffer;

/// A resolved rule hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hook {
    /// Suricata's name (`request_line`).
    pub name: &'static str,
    /// Where our parsers evaluate it.
    pub progress: Progress,
    /// Suricata's state number, where the rule's buffers are checked
    /// against it; `None` for protocols whose buffers we do not number.
    pub level: Option<u8>,
}

/// HTTP/1 hooks: Suricata's states and the point of ours that holds each.
const HTTP: &[(&str, Progress, u8)] = &[
    ("request_started", Progress::HttpRequestHeaders, 0),
    ("request_line", Progress::HttpRequestHeaders, 1),
    ("request_headers", Progress::HttpRequestHeaders, 2),
    ("request_body", Progress::HttpRequestBody, 3),
    ("request_trailer", Progress::HttpRequestBody, 4),
    ("request_complete", Progress::HttpRequestBody, 5),
    ("response_started", Progress::HttpResponseHeaders, 0),
    ("response_line", Progress::HttpResponseHeaders, 1),
    ("response_headers", Progress::HttpResponseHeaders, 2),
    ("response_body", Progress::HttpResponseBody, 3),
    ("response_trailer", Progress::HttpResponseBody, 4),
    ("response_complete", Progress::HttpResponseBody, 5),
];

/// TLS hooks our parser has a point for. The handshake-done and finished
/// states are not reported by it (it stops at the certificates).
const TLS: &[(&str, Progress, u8)] = &[
    ("client_in_progress", Progress::TlsClientHello, 0),
    ("client_hello_done", Progress::TlsClientHello, 1),
    ("client_cert_done", Progress::TlsClientCert, 2),
    ("server_in_progress", Progress::TlsServerHello, 0),
    ("server_hello", Progress::TlsServerHello, 1),
    ("server_cert_done", Progress::TlsServerCert, 2),
];

/// SSH hooks our parser has a point for.
const SSH: &[(&str, Progress, u8)] = &[
    ("request_in_progress", Progress::SshClientBanner, 0),
    ("request_banner_done", Progress::SshClientBanner, 2),
    ("response_in_progress", Progress::SshServerBanner, 0),
    ("response_banner_done", Progress::SshServerBanner, 2),
];

/// Hook names Suricata knows that our parsers cannot place.
const UNPLACED: &[&str] = &[
    "client_handshake_done",
    "client_finished",
    "server_hello_done",
    "server_handshake_done",
    "server_finished",
    "request_banner_wait_eol",
    "request_finished",
    "response_banner_wait_eol",
    "response_finished",
];

/// The hooks every application protocol has.
const GENERAL: [&str; 4] = ["request_started", "request_complete", "response_started", "response_complete"];

/// Packet-layer hooks Suricata defines for firewall rules.
const PACKET_HOOKS: &[&str] = &["flow_start", "pre_flow", "pre_stream"];

/// Resolves `<proto>:<hook>` for an application-layer protocol.
pub fn resolve(proto: &str, name: &str) -> Result<Hook, String> {
    let table = match proto {
        "http" | "http1" => HTTP,
        "tls" | "ssl" => TLS,
        "ssh" => SSH,
        _ => &[],
    };
    if let Some(&(name, progress, level)) = table.iter().find(|(n, _, _)| *n == name) {
        return Ok(Hook { name, progress, level: Some(level) });
    }
    // The hooks every protocol has: the first and the last state of each
    // direction. Where the protocol's parser reports one point per side
    // (DNS, FTP) that point is both; TLS and SSH have only the first.
    if let Some(&general) = GENERAL.iter().find(|g| **g == name) {
        let (request, started) = (general.starts_with("request"), general.ends_with("_started"));
        let progress = match (proto, request) {
            ("dns", true) => Some(Progress::DnsRequest),
            ("dns", false) => Some(Progress::DnsResponse),
            ("ftp", true) => Some(Progress::FtpRequest),
            ("ftp", false) => Some(Progress::FtpReply),
            ("tls" | "ssl", true) if started => Some(Progress::TlsClientHello),
            ("tls" | "ssl", false) if started => Some(Progress::TlsServerHello),
            ("ssh", true) if started => Some(Progress::SshClientBanner),
            ("ssh", false) if started => Some(Progress::SshServerBanner),
            _ => None,
        };
        if let Some(progress) = progress {
            return Ok(Hook { name: general, progress, level: started.then_some(0) });
        }
    }
    if UNPLACED.contains(&name) || GENERAL.contains(&name) {
        return Err(format!("hook {proto}:{name} is not supported: our {proto} parser does not report that state"));
    }
    Err(format!("protocol \"{proto}\" does not support hook \"{name}\""))
}

/// A hook on a packet-layer protocol (`tcp:all`): `all` is what a rule
/// without a hook means; the firewall's other packet hooks are refused.
pub fn packet_hook(proto: &str, name: &str) -> Result<(), String> {
    match name {
        "all" => Ok(()),
        n if PACKET_HOOKS.contains(&n) => {
            Err(format!("packet hook {proto}:{n} is a firewall-mode hook, not supported by this build"))
        }
        n => Err(format!("protocol \"{proto}\" does not support hook \"{n}\"")),
    }
}

/// Suricata's state number of a buffer, for the protocols whose hooks
/// number their states: the state a hook of the rule must name.
pub fn buffer_level(b: AppBuffer) -> Option<u8> {
    use AppBuffer::*;
    Some(match b {
        HttpUri | HttpUriRaw | HttpMethod | HttpRequestLine | HttpProtocol | HttpStatCode | HttpStatMsg
        | HttpResponseLine => 1,
        HttpHeader | HttpHeaderRaw | HttpHeaderNames | HttpCookie | HttpUserAgent | HttpHost | HttpHostRaw
        | HttpAccept | HttpAcceptEnc | HttpAcceptLang | HttpConnection | HttpContentLen | HttpContentType
        | HttpReferer | HttpStart | HttpLocation | HttpServer => 2,
        HttpRequestBody | HttpResponseBody | FileData | FileName => 3,
        TlsSni | Ja3Hash | Ja3String | Ja4Hash | Ja3sHash | Ja3sString => 1,
        TlsCertSubject | TlsCertIssuer | TlsCertSerial | TlsCertFingerprint | TlsCerts => 2,
        SshProto | SshSoftware => 2,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_hooks_and_levels() {
        let h = resolve("http1", "request_line").unwrap();
        assert_eq!((h.progress, h.level), (Progress::HttpRequestHeaders, Some(1)));
        assert_eq!(resolve("http", "response_complete").unwrap().progress, Progress::HttpResponseBody);
        assert_eq!(buffer_level(AppBuffer::HttpUri), Some(1));
        assert_eq!(buffer_level(AppBuffer::HttpUserAgent), Some(2));
        assert!(resolve("tls", "bogus").unwrap_err().contains("does not support hook"));
        assert!(resolve("tls", "server_finished").unwrap_err().contains("not supported"));
    }

    #[test]
    fn general_hooks() {
        let h = resolve("dns", "request_complete").unwrap();
        assert_eq!((h.progress, h.level, h.name), (Progress::DnsRequest, None, "request_complete"));
        assert_eq!(resolve("tls", "request_started").unwrap().level, Some(0));
        assert!(resolve("tls", "request_complete").is_err());
        assert!(packet_hook("tcp", "all").is_ok());
        assert!(packet_hook("tcp", "flow_start").is_err());
    }
}
