//! The inspection buffers a rule's payload keywords can apply to, and the
//! keywords that select them: sticky buffers (`http.uri;` then contents) and
//! legacy content modifiers (`content:"x"; http_uri;`).

/// A buffer that payload keywords inspect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Buffer {
    /// The packet payload, or the reassembled stream for stream-capable rules.
    Payload,
    App(AppBuffer),
    /// `ip.src` / `ip.dst`: the packet's address in binary (4 or 16
    /// bytes), for datasets of type ipv4 and ip.
    IpSrc,
    IpDst,
}

macro_rules! app_buffers {
    ($($variant:ident => ($proto:literal, $name:literal, [$($sticky:literal),*], [$($legacy:literal),*]),)*) => {
        /// Application-layer buffers (filled by the app-layer parsers).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AppBuffer {
            $($variant,)*
        }

        impl AppBuffer {
            pub const ALL: &'static [AppBuffer] = &[$(AppBuffer::$variant,)*];

            /// The application protocol that fills this buffer.
            pub fn proto(self) -> &'static str {
                match self {
                    $(AppBuffer::$variant => $proto,)*
                }
            }

            /// The canonical keyword, e.g. `http.uri`.
            pub fn name(self) -> &'static str {
                match self {
                    $(AppBuffer::$variant => $name,)*
                }
            }

            /// Looks up a sticky-buffer keyword.
            pub fn from_sticky(kw: &str) -> Option<AppBuffer> {
                match kw {
                    $($name $(| $sticky)* => Some(AppBuffer::$variant),)*
                    _ => None,
                }
            }

            /// Looks up a legacy content-modifier keyword.
            pub fn from_legacy_modifier(kw: &str) -> Option<AppBuffer> {
                #[allow(unreachable_patterns)]
                match kw {
                    $($($legacy => Some(AppBuffer::$variant),)*)*
                    _ => None,
                }
            }
        }
    };
}

// Legacy names: the old content modifiers (`content:"x"; http_uri;`) stay
// modifiers; the keywords added later as `http_*` (http_content_type,
// http_protocol, http_start...) are sticky buffers in Suricata, as here.
app_buffers! {
    HttpUri => ("http", "http.uri", [], ["http_uri"]),
    HttpUriRaw => ("http", "http.uri.raw", [], ["http_raw_uri"]),
    HttpMethod => ("http", "http.method", [], ["http_method"]),
    HttpRequestLine => ("http", "http.request_line", ["http_request_line"], []),
    HttpRequestBody => ("http", "http.request_body", [], ["http_client_body"]),
    HttpHeader => ("http", "http.header", [], ["http_header"]),
    HttpHeaderRaw => ("http", "http.header.raw", [], ["http_raw_header"]),
    HttpHeaderNames => ("http", "http.header_names", ["http_header_names"], []),
    HttpCookie => ("http", "http.cookie", [], ["http_cookie"]),
    HttpUserAgent => ("http", "http.user_agent", [], ["http_user_agent"]),
    HttpHost => ("http", "http.host", [], ["http_host"]),
    HttpHostRaw => ("http", "http.host.raw", [], ["http_raw_host"]),
    HttpAccept => ("http", "http.accept", ["http_accept"], []),
    HttpAcceptEnc => ("http", "http.accept_enc", ["http_accept_enc"], []),
    HttpAcceptLang => ("http", "http.accept_lang", ["http_accept_lang"], []),
    HttpConnection => ("http", "http.connection", ["http_connection"], []),
    HttpContentLen => ("http", "http.content_len", ["http_content_len"], []),
    HttpContentType => ("http", "http.content_type", ["http_content_type"], []),
    HttpReferer => ("http", "http.referer", ["http_referer"], []),
    HttpStart => ("http", "http.start", ["http_start"], []),
    HttpProtocol => ("http", "http.protocol", ["http_protocol"], []),
    HttpLocation => ("http", "http.location", [], []),
    HttpServer => ("http", "http.server", [], []),
    HttpResponseLine => ("http", "http.response_line", ["http_response_line"], []),
    HttpStatCode => ("http", "http.stat_code", [], ["http_stat_code"]),
    HttpStatMsg => ("http", "http.stat_msg", [], ["http_stat_msg"]),
    HttpResponseBody => ("http", "http.response_body", [], ["http_server_body"]),
    FileData => ("http", "file.data", ["file_data"], []),
    FileName => ("http", "file.name", [], []),
    DnsQuery => ("dns", "dns.query", ["dns_query"], []),
    TlsSni => ("tls", "tls.sni", ["tls_sni"], []),
    TlsCertSubject => ("tls", "tls.cert_subject", ["tls_cert_subject"], []),
    TlsCertIssuer => ("tls", "tls.cert_issuer", ["tls_cert_issuer"], []),
    TlsCertSerial => ("tls", "tls.cert_serial", ["tls_cert_serial"], []),
    TlsCertFingerprint => ("tls", "tls.cert_fingerprint", ["tls_cert_fingerprint"], []),
    TlsCerts => ("tls", "tls.certs", [], []),
    Ja3Hash => ("tls", "ja3.hash", ["ja3_hash"], []),
    Ja3String => ("tls", "ja3.string", ["ja3_string"], []),
    Ja3sHash => ("tls", "ja3s.hash", ["ja3s_hash"], []),
    Ja3sString => ("tls", "ja3s.string", ["ja3s_string"], []),
    Ja4Hash => ("tls", "ja4.hash", [], []),
    SshProto => ("ssh", "ssh.proto", ["ssh_proto"], []),
    SshSoftware => ("ssh", "ssh.software", ["ssh_software"], []),
    SshHassh => ("ssh", "ssh.hassh", [], []),
    SshHasshString => ("ssh", "ssh.hassh.string", [], []),
    SshHasshServer => ("ssh", "ssh.hassh.server", [], []),
    SshHasshServerString => ("ssh", "ssh.hassh.server.string", [], []),
    Base64Data => ("base64", "base64_data", [], []),
}

impl AppBuffer {
    /// Buffers holding an MD5 in lowercase hex, whose contents Suricata
    /// checks (32 hex digits) and lowercases. (It does the same for
    /// `ja3.hash`/`ja3s.hash`, not done here yet.)
    pub fn is_md5_like(self) -> bool {
        matches!(self, AppBuffer::SshHassh | AppBuffer::SshHasshServer)
    }
}

/// Keywords that need an application-layer parser but are not buffers
/// (they take a value and test a parsed field). Recognised so that a rule
/// using them is reported as needing that parser, not as unknown.
pub const APP_KEYWORDS: &[(&str, &str)] = &[("tls.store", "tls"), ("http2.frametype", "http2")];

/// Why a keyword in the parser's unsupported list cannot be honoured, for
/// the ones where "not supported" alone would not say enough.
pub fn unsupported_reason(kw: &str) -> Option<&'static str> {
    match kw {
        "filemagic" => Some("file types are recognised by libmagic, which mirrorids does not use"),
        _ => None,
    }
}

/// Application-layer keywords with a value this build parses and tests
/// ([`super::app::AppCheck`]).
pub const APP_CHECKS: &[&str] = &[
    "app-layer-event",
    "urilen",
    "dns.opcode",
    "dns.rrtype",
    "tls.version",
    "tls_version",
    "ssl_version",
    "ssl_state",
    "app-layer-protocol",
    "tls.subject",
    "tls.issuerdn",
    "tls.fingerprint",
    "tls_cert_notbefore",
    "tls_cert_notafter",
    "tls_cert_expired",
    "tls_cert_valid",
    "ssh.protoversion",
    "ssh.softwareversion",
    "filesize",
    "ftpbounce",
    "ftpdata_command",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(AppBuffer::from_sticky("http.uri"), Some(AppBuffer::HttpUri));
        assert_eq!(AppBuffer::from_sticky("dns_query"), Some(AppBuffer::DnsQuery));
        assert_eq!(AppBuffer::from_sticky("http_uri"), None);
        assert_eq!(AppBuffer::from_legacy_modifier("http_uri"), Some(AppBuffer::HttpUri));
        assert_eq!(AppBuffer::from_legacy_modifier("http_server_body"), Some(AppBuffer::HttpResponseBody));
        assert_eq!(AppBuffer::TlsSni.proto(), "tls");
        let mut names: Vec<_> = AppBuffer::ALL.iter().map(|b| b.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), AppBuffer::ALL.len());
    }
}
