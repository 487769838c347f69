//! Application-layer parsing: HTTP/1.x, TLS, DNS, the SSH handshake and
//! FTP (control and data connections), so that rules can inspect the
//! buffers and fields application-layer keywords name (`http.uri`,
//! `tls.sni`, `dns.query`, `ssh.software`, `ftpbounce`...).
//!
//! Each protocol has a connection parser fed with reassembled, in-order
//! stream data per direction (or one datagram at a time for DNS over UDP),
//! told about gaps, and told when a direction ends. Parsers produce
//! transactions and events saying when a transaction has progressed; the
//! engine inspects a transaction's buffers at those points
//! ([`Progress`]). Every parser is bounded and never panics on input.
//!
//! Directions are numbered as everywhere else: 0 = client to server,
//! 1 = server to client.

pub mod anomaly;
pub mod dns;
pub mod events;
pub mod files;
pub mod ftp;
pub mod hooks;
pub mod http;
pub mod probe;
pub mod session;
pub mod ssh;
pub mod tls;
pub mod views;

use serde::{Deserialize, Serialize};

use crate::rules::{AppBuffer, AppCheck};

/// The application protocol of a flow, as detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum AppProto {
    /// Not decided yet.
    #[default]
    Unknown,
    Http,
    Tls,
    Dns,
    Ftp,
    /// An FTP data connection, announced by its control connection.
    FtpData,
    Smtp,
    Ssh,
    Smb,
    Dcerpc,
    Imap,
    /// Detection gave up: no known protocol.
    Failed,
}

impl AppProto {
    pub const COUNT: usize = 12;
    pub const ALL: [AppProto; AppProto::COUNT] = [
        AppProto::Unknown,
        AppProto::Http,
        AppProto::Tls,
        AppProto::Dns,
        AppProto::Ftp,
        AppProto::FtpData,
        AppProto::Smtp,
        AppProto::Ssh,
        AppProto::Smb,
        AppProto::Dcerpc,
        AppProto::Imap,
        AppProto::Failed,
    ];

    /// Suricata's name (EVE `app_proto`, rule headers).
    pub fn name(self) -> &'static str {
        match self {
            AppProto::Unknown => "unknown",
            AppProto::Http => "http",
            AppProto::Tls => "tls",
            AppProto::Dns => "dns",
            AppProto::Ftp => "ftp",
            AppProto::FtpData => "ftp-data",
            AppProto::Smtp => "smtp",
            AppProto::Ssh => "ssh",
            AppProto::Smb => "smb",
            AppProto::Dcerpc => "dcerpc",
            AppProto::Imap => "imap",
            AppProto::Failed => "failed",
        }
    }

    /// The protocol a rule header or `app-layer-protocol` names.
    pub fn from_rule_name(n: &str) -> Option<AppProto> {
        Some(match n {
            "http" | "http1" => AppProto::Http,
            "tls" | "ssl" => AppProto::Tls,
            "dns" => AppProto::Dns,
            "ftp" => AppProto::Ftp,
            "ftp-data" => AppProto::FtpData,
            "smtp" => AppProto::Smtp,
            "ssh" => AppProto::Ssh,
            "smb" => AppProto::Smb,
            "dcerpc" => AppProto::Dcerpc,
            "imap" => AppProto::Imap,
            "failed" => AppProto::Failed,
            _ => return None,
        })
    }

    /// Protocols whose transactions rules inspect through buffers.
    pub fn has_transactions(self) -> bool {
        matches!(
            self,
            AppProto::Http | AppProto::Tls | AppProto::Dns | AppProto::Ssh | AppProto::Ftp | AppProto::FtpData
        )
    }
}

/// Points in a transaction's life where signatures are evaluated, in the
/// order they happen for each protocol. A signature is evaluated once per
/// transaction, at the first point where everything it inspects exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Progress {
    HttpRequestHeaders,
    HttpRequestBody,
    HttpResponseHeaders,
    HttpResponseBody,
    DnsRequest,
    DnsResponse,
    TlsClientHello,
    TlsServerHello,
    TlsServerCert,
    TlsClientCert,
    /// A side's identification line was parsed.
    SshClientBanner,
    SshServerBanner,
    /// A side's KEXINIT was read (its HASSH exists).
    SshClientKex,
    SshServerKex,
    /// An FTP command was parsed; its transaction got its final reply.
    FtpRequest,
    FtpReply,
    /// An FTP data connection was recognised: its transaction is inspected
    /// once from each side.
    FtpDataToServer,
    FtpDataToClient,
    /// A parser raised an event on data of that direction (rules testing
    /// `app-layer-event:<proto>.<event>` are evaluated then, so an event
    /// raised after the protocol's last point above is still seen).
    TlsEventToServer,
    TlsEventToClient,
    SshEventToServer,
    SshEventToClient,
    DnsEventToServer,
    DnsEventToClient,
    FtpEventToServer,
    FtpEventToClient,
}

impl Progress {
    pub const ALL: [Progress; 26] = [
        Progress::HttpRequestHeaders,
        Progress::HttpRequestBody,
        Progress::HttpResponseHeaders,
        Progress::HttpResponseBody,
        Progress::DnsRequest,
        Progress::DnsResponse,
        Progress::TlsClientHello,
        Progress::TlsServerHello,
        Progress::TlsServerCert,
        Progress::TlsClientCert,
        Progress::SshClientBanner,
        Progress::SshServerBanner,
        Progress::SshClientKex,
        Progress::SshServerKex,
        Progress::FtpRequest,
        Progress::FtpReply,
        Progress::FtpDataToServer,
        Progress::FtpDataToClient,
        Progress::TlsEventToServer,
        Progress::TlsEventToClient,
        Progress::SshEventToServer,
        Progress::SshEventToClient,
        Progress::DnsEventToServer,
        Progress::DnsEventToClient,
        Progress::FtpEventToServer,
        Progress::FtpEventToClient,
    ];

    /// The point where a parser's event raised on direction `dir` is
    /// inspected.
    pub fn parser_event(proto: events::EventProto, dir: usize) -> Progress {
        use events::EventProto::*;
        match (proto, dir) {
            (Tls, 0) => Progress::TlsEventToServer,
            (Tls, _) => Progress::TlsEventToClient,
            (Ssh, 0) => Progress::SshEventToServer,
            (Ssh, _) => Progress::SshEventToClient,
            (Dns, 0) => Progress::DnsEventToServer,
            (Dns, _) => Progress::DnsEventToClient,
            (Ftp, 0) => Progress::FtpEventToServer,
            (Ftp, _) => Progress::FtpEventToClient,
        }
    }

    /// Whether reaching this point makes the next packet of its direction
    /// inspect the raw stream at once, as the Suricata parser of the
    /// protocol asks for when it completes a message. Its FTP parser does
    /// not: an FTP stream is inspected by chunk or at its end.
    pub fn triggers_raw_inspection(self) -> bool {
        !matches!(
            self,
            Progress::FtpRequest | Progress::FtpReply | Progress::FtpDataToServer | Progress::FtpDataToClient
        ) && !self.is_parser_event()
    }

    pub fn is_parser_event(self) -> bool {
        self.index() >= Progress::TlsEventToServer.index()
    }

    /// The direction whose data completes this point.
    pub fn side(self) -> usize {
        match self {
            Progress::HttpRequestHeaders
            | Progress::HttpRequestBody
            | Progress::DnsRequest
            | Progress::TlsClientHello
            | Progress::TlsClientCert
            | Progress::SshClientBanner
            | Progress::SshClientKex
            | Progress::FtpRequest
            | Progress::FtpDataToServer
            | Progress::TlsEventToServer
            | Progress::SshEventToServer
            | Progress::DnsEventToServer
            | Progress::FtpEventToServer => 0,
            _ => 1,
        }
    }

    pub fn proto(self) -> AppProto {
        match self {
            Progress::HttpRequestHeaders
            | Progress::HttpRequestBody
            | Progress::HttpResponseHeaders
            | Progress::HttpResponseBody => AppProto::Http,
            Progress::DnsRequest | Progress::DnsResponse | Progress::DnsEventToServer | Progress::DnsEventToClient => {
                AppProto::Dns
            }
            Progress::TlsClientHello
            | Progress::TlsServerHello
            | Progress::TlsServerCert
            | Progress::TlsClientCert
            | Progress::TlsEventToServer
            | Progress::TlsEventToClient => AppProto::Tls,
            Progress::SshClientBanner
            | Progress::SshServerBanner
            | Progress::SshClientKex
            | Progress::SshServerKex
            | Progress::SshEventToServer
            | Progress::SshEventToClient => AppProto::Ssh,
            Progress::FtpRequest | Progress::FtpReply | Progress::FtpEventToServer | Progress::FtpEventToClient => {
                AppProto::Ftp
            }
            Progress::FtpDataToServer | Progress::FtpDataToClient => AppProto::FtpData,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Where a buffer comes from: the point of the transaction that makes it
/// exist. `side` is the rule's direction for buffers both sides have
/// (`http.header` is the request's headers for a to-server rule and the
/// response's for a to-client rule).
pub fn buffer_progress(b: AppBuffer, side: usize) -> Option<Progress> {
    use AppBuffer::*;
    Some(match b {
        HttpUri | HttpUriRaw | HttpMethod | HttpRequestLine | HttpUserAgent | HttpHost | HttpHostRaw | HttpAccept
        | HttpAcceptEnc | HttpAcceptLang | HttpReferer => Progress::HttpRequestHeaders,
        HttpRequestBody => Progress::HttpRequestBody,
        HttpStatCode | HttpStatMsg | HttpResponseLine | HttpServer | HttpLocation => Progress::HttpResponseHeaders,
        HttpResponseBody => Progress::HttpResponseBody,
        HttpHeader | HttpHeaderRaw | HttpHeaderNames | HttpCookie | HttpContentType | HttpContentLen
        | HttpConnection | HttpStart | HttpProtocol => {
            if side == 0 {
                Progress::HttpRequestHeaders
            } else {
                Progress::HttpResponseHeaders
            }
        }
        FileData | FileName => {
            if side == 0 {
                Progress::HttpRequestBody
            } else {
                Progress::HttpResponseBody
            }
        }
        DnsQuery => {
            if side == 0 {
                Progress::DnsRequest
            } else {
                Progress::DnsResponse
            }
        }
        TlsSni | Ja3Hash | Ja3String | Ja4Hash => Progress::TlsClientHello,
        Ja3sHash | Ja3sString => Progress::TlsServerHello,
        TlsCertSubject | TlsCertIssuer | TlsCertSerial | TlsCertFingerprint | TlsCerts => {
            if side == 0 {
                Progress::TlsClientCert
            } else {
                Progress::TlsServerCert
            }
        }
        SshProto | SshSoftware => {
            if side == 0 {
                Progress::SshClientBanner
            } else {
                Progress::SshServerBanner
            }
        }
        SshHassh | SshHasshString => Progress::SshClientKex,
        SshHasshServer | SshHasshServerString => Progress::SshServerKex,
        Base64Data => return None,
    })
}

/// Where an application-layer field test can be evaluated.
pub fn check_progress(c: &AppCheck, side: usize) -> Option<Progress> {
    Some(match c {
        AppCheck::UriLen { .. } => Progress::HttpRequestHeaders,
        // Events may be raised until the side's message is complete.
        AppCheck::HttpEvent { .. } if side == 0 => Progress::HttpRequestBody,
        AppCheck::HttpEvent { .. } => Progress::HttpResponseBody,
        AppCheck::ParserEvent { proto, .. } => Progress::parser_event(*proto, side),
        AppCheck::DnsOpcode { .. } | AppCheck::DnsRrtype { .. } => {
            if side == 0 {
                Progress::DnsRequest
            } else {
                Progress::DnsResponse
            }
        }
        AppCheck::TlsVersion(_) => Progress::TlsServerHello,
        AppCheck::SslVersion { .. } | AppCheck::SslState { .. } => {
            if side == 0 {
                Progress::TlsClientHello
            } else {
                Progress::TlsServerHello
            }
        }
        AppCheck::TlsField { .. } | AppCheck::TlsCertDate { .. } | AppCheck::TlsCertExpired(_) => {
            if side == 0 {
                Progress::TlsClientCert
            } else {
                Progress::TlsServerCert
            }
        }
        AppCheck::SshProtoVersion { .. } | AppCheck::SshSoftwareVersion(_) => {
            if side == 0 {
                Progress::SshClientBanner
            } else {
                Progress::SshServerBanner
            }
        }
        AppCheck::FileSize(_) | AppCheck::FileHash { .. } | AppCheck::HasFile => {
            if side == 0 {
                Progress::HttpRequestBody
            } else {
                Progress::HttpResponseBody
            }
        }
        AppCheck::FtpBounce => Progress::FtpRequest,
        AppCheck::FtpDataCommand { .. } => {
            if side == 0 {
                Progress::FtpDataToServer
            } else {
                Progress::FtpDataToClient
            }
        }
        AppCheck::AppProto { .. } => return None,
    })
}

/// A transaction as detection sees it: its buffers and fields.
pub trait TxSource {
    /// The bytes of a buffer; None when the transaction has no such thing
    /// (no Cookie header, no SNI...). For list buffers (`tls.certs`) this is
    /// the first element; see [`TxSource::buffer_list`].
    fn buffer(&self, b: AppBuffer, side: usize) -> Option<&[u8]>;

    /// Every element of a multi-valued buffer (`tls.certs`: each
    /// certificate; `dns.query`: each question).
    fn buffer_list(&self, b: AppBuffer, side: usize, index: usize) -> Option<&[u8]> {
        if index == 0 {
            self.buffer(b, side)
        } else {
            None
        }
    }

    /// A field test, as seen from `side`.
    fn check(&self, c: &AppCheck, side: usize) -> bool;

    /// The side's message in parts (start line and headers, then the
    /// body), for payload keywords in a transaction rule; they match if
    /// one part or the packet's payload does.
    fn raw(&self, side: usize, index: usize) -> Option<&[u8]>;
}

/// Application-layer settings (`app:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppConfig {
    /// Parse application protocols at all. When off, rules that need a
    /// parser still load but never match (counted).
    pub enabled: bool,
    /// Bytes of a direction examined to recognise its protocol before
    /// giving up (at most 512 are kept).
    pub probe_bytes: usize,
    pub http: http::HttpConfig,
    pub tls: tls::TlsConfig,
    pub dns: dns::DnsConfig,
    pub ssh: ssh::SshConfig,
    pub ftp: ftp::FtpConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            enabled: true,
            probe_bytes: 4096,
            http: http::HttpConfig::default(),
            tls: tls::TlsConfig::default(),
            dns: dns::DnsConfig::default(),
            ssh: ssh::SshConfig::default(),
            ftp: ftp::FtpConfig::default(),
        }
    }
}
