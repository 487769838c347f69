//! Transactions as detection and EVE see them: the buffers rule keywords
//! name, built the way Suricata builds them, the field tests, and the
//! metadata object alerts carry.

use super::dns::DnsMessage;
use super::events::{event_bit, EventProto};
use super::files::{File, FileState};
use super::ftp::data::FtpDataConn;
use super::ftp::{FtpConn, FtpTx};
use super::http::{Header, HttpTx};
use super::session::{AppEvent, AppSession, DNS_Z_FLAG};
use super::ssh::SshInfo;
use super::tls::{Cert, TlsInfo};
use super::{Progress, TxSource};
use crate::rules::app::{HashAlgo, RrIndex, TlsField};
use crate::rules::{AppBuffer, AppCheck, NumCmp};

/// A transaction of any protocol.
pub enum TxView<'a> {
    Http(HttpView<'a>),
    Tls(TlsView<'a>),
    Dns(DnsView<'a>),
    Ssh(SshView<'a>),
    Ftp(FtpView<'a>),
    FtpData(FtpDataView<'a>),
}

impl<'a> TxView<'a> {
    /// The view of the transaction `ev` names. Buffers a view synthesises
    /// (an HTTP transaction's `http.header` and the like) are written into
    /// `scratch`, which the worker keeps from one view to the next, so
    /// building a view allocates nothing once the scratch has grown to the
    /// largest transaction seen.
    pub fn of(session: &'a AppSession, ev: &AppEvent, scratch: &'a mut ViewScratch) -> Option<TxView<'a>> {
        match ev.progress {
            Progress::HttpRequestHeaders
            | Progress::HttpRequestBody
            | Progress::HttpResponseHeaders
            | Progress::HttpResponseBody => {
                let tx = session.http()?.tx(ev.tx)?;
                Some(TxView::Http(HttpView::new(tx, scratch)))
            }
            Progress::DnsRequest | Progress::DnsResponse | Progress::DnsEventToServer | Progress::DnsEventToClient => {
                let (_, m) = session.dns.iter().find(|(id, _)| *id == ev.tx)?;
                Some(TxView::Dns(DnsView { msg: m, tx_id: ev.tx }))
            }
            Progress::SshClientBanner
            | Progress::SshServerBanner
            | Progress::SshClientKex
            | Progress::SshServerKex
            | Progress::SshEventToServer
            | Progress::SshEventToClient => Some(TxView::Ssh(SshView { info: session.ssh()?.info() })),
            Progress::TlsClientHello
            | Progress::TlsServerHello
            | Progress::TlsServerCert
            | Progress::TlsClientCert
            | Progress::TlsEventToServer
            | Progress::TlsEventToClient => Some(TxView::Tls(TlsView { info: session.tls()?.info() })),
            Progress::FtpRequest | Progress::FtpReply | Progress::FtpEventToServer | Progress::FtpEventToClient => {
                let conn = session.ftp()?;
                Some(TxView::Ftp(FtpView { conn, tx: conn.tx(ev.tx)? }))
            }
            Progress::FtpDataToServer | Progress::FtpDataToClient => {
                Some(TxView::FtpData(FtpDataView { conn: session.ftp_data()? }))
            }
        }
    }
}

impl TxView<'_> {
    /// The parser raised the event (`bit` of `proto`'s list) on this
    /// transaction.
    fn has_event(&self, proto: EventProto, bit: u32) -> bool {
        match (self, proto) {
            (TxView::Tls(t), EventProto::Tls) => t.info.events & bit != 0,
            (TxView::Ssh(s), EventProto::Ssh) => s.info.anomalies.iter().any(|a| event_bit(proto, a.name()) == bit),
            (TxView::Dns(d), EventProto::Dns) => event_bit(proto, "Z_FLAG_SET") == bit && d.msg.flags & DNS_Z_FLAG != 0,
            (TxView::Ftp(f), EventProto::Ftp) => f.tx.events & bit != 0,
            _ => false,
        }
    }
}

impl TxSource for TxView<'_> {
    fn buffer(&self, b: AppBuffer, side: usize) -> Option<&[u8]> {
        self.buffer_list(b, side, 0)
    }

    fn buffer_list(&self, b: AppBuffer, side: usize, index: usize) -> Option<&[u8]> {
        match self {
            TxView::Http(h) if b == AppBuffer::FileName => h.files(side).get(index).map(|f| &f.name[..]),
            TxView::Http(h) => (index == 0).then(|| h.buffer(b, side)).flatten(),
            TxView::Tls(t) => t.buffer(b, side, index),
            TxView::Dns(d) => d.buffer(b, index),
            TxView::Ssh(s) => (index == 0).then(|| s.buffer(b, side)).flatten(),
            TxView::Ftp(_) | TxView::FtpData(_) => None,
        }
    }

    fn check(&self, c: &AppCheck, side: usize) -> bool {
        if let AppCheck::ParserEvent { proto, bit } = c {
            return self.has_event(*proto, *bit);
        }
        match self {
            TxView::Http(h) => h.check(c, side),
            TxView::Tls(t) => t.check(c, side),
            TxView::Dns(d) => d.check(c),
            TxView::Ssh(s) => s.check(c, side),
            TxView::Ftp(f) => matches!(c, AppCheck::FtpBounce) && f.conn.bounce(),
            TxView::FtpData(d) => match c {
                AppCheck::FtpDataCommand { stor } => d.conn.transfer.command.is(if *stor { "STOR" } else { "RETR" }),
                _ => false,
            },
        }
    }

    fn raw(&self, side: usize, index: usize) -> Option<&[u8]> {
        match (self, index) {
            (TxView::Http(h), 0) => Some(if side == 0 { &h.req.start } else { &h.resp.start }),
            (TxView::Http(h), 1) => Some(if side == 0 { &h.tx.request.body } else { &h.tx.response.body }),
            // Payload keywords beside an FTP keyword (`content:"PORT";
            // ftpbounce;`) see the command line.
            (TxView::Ftp(f), 0) if side == 0 => Some(&f.tx.request),
            _ => None,
        }
    }
}

/// The synthesised buffers of one side of an HTTP transaction.
#[derive(Default)]
pub struct HttpSide {
    /// `http.header`: `Name: value\r\n` per header (repeated headers merged
    /// with ", " as libhtp does), Cookie/Set-Cookie left out.
    header: Vec<u8>,
    /// `http.header_names`: `\r\nName1\r\nName2\r\n\r\n`.
    names: Vec<u8>,
    /// `http.start`: start line, CRLF, headers, CRLF.
    start: Vec<u8>,
}

/// Buffers a transaction view writes into, reused from one view to the
/// next (one per worker): an HTTP transaction is viewed at each of its
/// four progress events, and building its buffers afresh each time cost
/// dozens of allocations per transaction.
#[derive(Default)]
pub struct ViewScratch {
    req: HttpSide,
    resp: HttpSide,
    host: Vec<u8>,
}

/// Appends `value` and the values of the later headers of the same name,
/// joined by ", ": libhtp's header table keeps one entry per name, in the
/// order names first occur.
fn push_merged(out: &mut Vec<u8>, headers: &[Header], i: usize) {
    let name = &headers[i].name;
    out.extend_from_slice(&headers[i].value);
    for later in headers.iter().skip(i + 1).filter(|h| h.name.eq_ignore_ascii_case(name)) {
        out.extend_from_slice(b", ");
        out.extend_from_slice(&later.value);
    }
}

impl HttpSide {
    fn fill(&mut self, line: &[u8], headers: &[Header], cookie: &[u8]) {
        let HttpSide { header, names, start } = self;
        header.clear();
        names.clear();
        start.clear();
        start.extend_from_slice(line);
        start.extend_from_slice(b"\r\n");
        if !headers.is_empty() {
            names.extend_from_slice(b"\r\n");
        }
        for (i, h) in headers.iter().enumerate() {
            // A repeated name was written, merged, at its first occurrence.
            if headers[..i].iter().any(|e| e.name.eq_ignore_ascii_case(&h.name)) {
                continue;
            }
            start.extend_from_slice(&h.name);
            start.extend_from_slice(b": ");
            push_merged(start, headers, i);
            start.extend_from_slice(b"\r\n");
            names.extend_from_slice(&h.name);
            names.extend_from_slice(b"\r\n");
            if h.name.eq_ignore_ascii_case(cookie) {
                continue;
            }
            header.extend_from_slice(&h.name);
            header.extend_from_slice(b": ");
            push_merged(header, headers, i);
            header.extend_from_slice(b"\r\n");
        }
        if !headers.is_empty() {
            names.extend_from_slice(b"\r\n");
        }
        start.extend_from_slice(b"\r\n");
    }
}

pub struct HttpView<'a> {
    pub tx: &'a HttpTx,
    req: &'a HttpSide,
    resp: &'a HttpSide,
    /// libhtp's normalised hostname: from the URI or Host header,
    /// lowercase, without port or trailing dot.
    host: &'a [u8],
}

impl<'a> HttpView<'a> {
    pub fn new(tx: &'a HttpTx, scratch: &'a mut ViewScratch) -> HttpView<'a> {
        let ViewScratch { req, resp, host } = scratch;
        req.fill(&tx.request.line, &tx.request.headers, b"cookie");
        resp.fill(&tx.response.line, &tx.response.headers, b"set-cookie");
        tx.hostname_into(host);
        HttpView { tx, req, resp, host }
    }

    fn header(&self, side: usize, name: &[u8]) -> Option<&[u8]> {
        if side == 0 {
            self.tx.request_header(name)
        } else {
            self.tx.response_header(name)
        }
    }

    fn buffer(&self, b: AppBuffer, side: usize) -> Option<&[u8]> {
        use AppBuffer::*;
        let (rq, rs) = (&self.tx.request, &self.tx.response);
        let nonempty = |v: &'a [u8]| (!v.is_empty()).then_some(v);
        let sd = if side == 0 { self.req } else { self.resp };
        match b {
            HttpUri => nonempty(&rq.uri_normalized),
            HttpUriRaw => nonempty(&rq.uri_raw),
            HttpMethod => nonempty(&rq.method),
            HttpRequestLine => nonempty(&rq.line),
            HttpRequestBody => nonempty(&rq.body),
            HttpResponseBody => nonempty(&rs.body),
            FileData => nonempty(if side == 0 { &rq.body } else { &rs.body }),
            HttpStatCode => nonempty(&rs.status_code),
            HttpStatMsg => nonempty(&rs.status_msg),
            HttpResponseLine => nonempty(&rs.line),
            HttpProtocol => nonempty(if side == 0 { &rq.protocol } else { &rs.protocol }),
            HttpHeader => (!sd.header.is_empty()).then_some(&sd.header[..]),
            HttpHeaderNames => (!sd.names.is_empty()).then_some(&sd.names[..]),
            HttpStart => (!sd.start.is_empty()).then_some(&sd.start[..]),
            HttpHeaderRaw => nonempty(if side == 0 { &rq.headers_raw } else { &rs.headers_raw }),
            HttpHost => nonempty(self.host),
            HttpHostRaw => self.header(0, b"host"),
            HttpUserAgent => self.header(0, b"user-agent"),
            HttpAccept => self.header(0, b"accept"),
            HttpAcceptEnc => self.header(0, b"accept-encoding"),
            HttpAcceptLang => self.header(0, b"accept-language"),
            HttpReferer => self.header(0, b"referer"),
            HttpCookie => self.header(side, if side == 0 { b"cookie" } else { b"set-cookie" }),
            HttpContentType => self.header(side, b"content-type"),
            HttpContentLen => self.header(side, b"content-length"),
            HttpConnection => self.header(side, b"connection"),
            HttpServer => self.header(1, b"server"),
            HttpLocation => self.header(1, b"location"),
            _ => None,
        }
    }

    /// The files of one side.
    pub fn files(&self, side: usize) -> &'a [File] {
        if side == 0 {
            &self.tx.request.files
        } else {
            &self.tx.response.files
        }
    }

    fn check(&self, c: &AppCheck, side: usize) -> bool {
        match c {
            AppCheck::UriLen { cmp, raw } => {
                let u = if *raw { &self.tx.request.uri_raw } else { &self.tx.request.uri_normalized };
                !u.is_empty() && cmp.matches(u.len() as u64)
            }
            AppCheck::HasFile => !self.files(side).is_empty(),
            AppCheck::HttpEvent { bit } => self.tx.events & bit != 0,
            // As Suricata: a closed file's size, and of a truncated one
            // only "bigger than" (what is known is a lower bound).
            AppCheck::FileSize(cmp) => self.files(side).iter().any(|f| match f.state {
                FileState::Closed => cmp.matches(f.size),
                FileState::Truncated => matches!(cmp, NumCmp::Gt(_) | NumCmp::Ge(_)) && cmp.matches(f.size),
                FileState::Open => false,
            }),
            // Only a closed file has digests; without one, neither the
            // list nor its negation matches.
            AppCheck::FileHash { algo, list, negated } => self.files(side).iter().any(|f| {
                let d: Option<&[u8]> = match algo {
                    HashAlgo::Md5 => f.md5.as_ref().map(|d| &d[..]),
                    HashAlgo::Sha1 => f.sha1.as_ref().map(|d| &d[..]),
                    HashAlgo::Sha256 => f.sha256.as_ref().map(|d| &d[..]),
                };
                f.state == FileState::Closed && d.is_some_and(|d| list.contains(d) != *negated)
            }),
            _ => false,
        }
    }
}

pub struct TlsView<'a> {
    pub info: &'a TlsInfo,
}

fn cert_of(info: &TlsInfo, side: usize) -> Option<&Cert> {
    if side == 0 {
        info.client_certs.first()
    } else {
        info.server_certs.first()
    }
}

impl TlsView<'_> {
    fn buffer(&self, b: AppBuffer, side: usize, index: usize) -> Option<&[u8]> {
        use AppBuffer::*;
        let i = self.info;
        if b == TlsCerts {
            let certs = if side == 0 { &i.client_certs } else { &i.server_certs };
            return certs.get(index).map(|c| &c.der[..]);
        }
        if index > 0 {
            return None;
        }
        match b {
            TlsSni => i.sni.as_deref(),
            Ja3Hash => i.ja3_hash.as_deref().map(str::as_bytes),
            Ja4Hash => i.ja4.as_deref().map(str::as_bytes),
            Ja3String => i.ja3_string.as_deref().map(str::as_bytes),
            Ja3sHash => i.ja3s_hash.as_deref().map(str::as_bytes),
            Ja3sString => i.ja3s_string.as_deref().map(str::as_bytes),
            TlsCertSubject => cert_of(i, side).map(|c| c.subject.as_bytes()).filter(|v| !v.is_empty()),
            TlsCertIssuer => cert_of(i, side).map(|c| c.issuer.as_bytes()).filter(|v| !v.is_empty()),
            TlsCertSerial => cert_of(i, side).map(|c| c.serial.as_bytes()).filter(|v| !v.is_empty()),
            TlsCertFingerprint => cert_of(i, side).map(|c| c.fingerprint.as_bytes()).filter(|v| !v.is_empty()),
            _ => None,
        }
    }

    fn check(&self, c: &AppCheck, side: usize) -> bool {
        let i = self.info;
        match c {
            AppCheck::TlsVersion(v) => i.version == Some(*v),
            AppCheck::SslVersion { mask, negated } => {
                // Suricata tests the direction's current version: a listed
                // version matches when it is that one, a negated one when
                // it is not; any entry matching is enough.
                let v = super::tls::version_bit(i.dir_versions[side]);
                v != 0 && ((v & mask) != 0 || (*negated & !v) != 0)
            }
            AppCheck::SslState { any, negated } => (*any == 0 || i.state & any != 0) && i.state & negated == 0,
            AppCheck::TlsField { field, value, negated } => {
                let Some(cert) = i.server_certs.first() else { return false };
                let hay = match field {
                    TlsField::Subject => cert.subject.as_bytes(),
                    TlsField::Issuer => cert.issuer.as_bytes(),
                    TlsField::Fingerprint => cert.fingerprint.as_bytes(),
                };
                let found = memchr::memmem::find(hay, value).is_some();
                found != *negated
            }
            AppCheck::TlsCertDate { after, cmp } => {
                let Some(cert) = i.server_certs.first() else { return false };
                let t = if *after { cert.not_after } else { cert.not_before };
                t >= 0 && cmp.matches(t as u64)
            }
            _ => false,
        }
    }
}

pub struct DnsView<'a> {
    pub msg: &'a DnsMessage,
    pub tx_id: u64,
}

impl DnsView<'_> {
    fn buffer(&self, b: AppBuffer, index: usize) -> Option<&[u8]> {
        match b {
            AppBuffer::DnsQuery => self.msg.questions.get(index).map(|q| &q.name[..]),
            _ => None,
        }
    }

    fn check(&self, c: &AppCheck) -> bool {
        match c {
            AppCheck::DnsOpcode { value, negated } => (self.msg.opcode() == *value) != *negated,
            AppCheck::DnsRrtype { value, negated, index } => {
                // Requests carry questions, responses answers.
                let types: Vec<u16> = if self.msg.is_response() {
                    self.msg.answers.iter().map(|a| a.rrtype).collect()
                } else {
                    self.msg.questions.iter().map(|q| q.rrtype).collect()
                };
                let hit = match index {
                    RrIndex::Any => types.contains(value),
                    RrIndex::All => !types.is_empty() && types.iter().all(|t| t == value),
                    RrIndex::At(i) => {
                        let at = if *i < 0 { types.len() as i64 + i64::from(*i) } else { i64::from(*i) };
                        usize::try_from(at).ok().and_then(|a| types.get(a)) == Some(value)
                    }
                };
                hit != *negated
            }
            _ => false,
        }
    }
}

/// The SSH transaction: both sides' identification lines and HASSH.
pub struct SshView<'a> {
    pub info: &'a SshInfo,
}

impl SshView<'_> {
    /// As Suricata: each buffer is the side's field, absent when empty.
    fn buffer(&self, b: AppBuffer, side: usize) -> Option<&[u8]> {
        let s = self.info.sides.get(side)?;
        let [client, server] = &self.info.sides;
        let v = match b {
            AppBuffer::SshProto => &s.proto_version,
            AppBuffer::SshSoftware => &s.software_version,
            AppBuffer::SshHassh => &client.hassh,
            AppBuffer::SshHasshString => &client.hassh_string,
            AppBuffer::SshHasshServer => &server.hassh,
            AppBuffer::SshHasshServerString => &server.hassh_string,
            _ => return None,
        };
        (!v.is_empty()).then_some(&v[..])
    }

    fn check(&self, c: &AppCheck, side: usize) -> bool {
        let Some(s) = self.info.sides.get(side) else { return false };
        match c {
            AppCheck::SshProtoVersion { compat2, value } => {
                let p = &s.proto_version;
                if *compat2 {
                    p.first() == Some(&b'2') || p.starts_with(b"1.99")
                } else {
                    !p.is_empty() && p == value
                }
            }
            AppCheck::SshSoftwareVersion(v) => !s.software_version.is_empty() && s.software_version == *v,
            _ => false,
        }
    }
}

/// An FTP transaction and its connection (`ftpbounce` tests the
/// connection's latest command, as Suricata does).
pub struct FtpView<'a> {
    pub conn: &'a FtpConn,
    pub tx: &'a FtpTx,
}

/// An FTP data connection's transaction.
pub struct FtpDataView<'a> {
    pub conn: &'a FtpDataConn,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(line: &[u8], headers: &[(&[u8], &[u8])]) -> HttpTx {
        let mut tx = HttpTx::default();
        tx.request.line = line.to_vec();
        tx.request.uri_raw = line.split(|&b| b == b' ').nth(1).unwrap_or_default().to_vec();
        tx.request.headers = headers.iter().map(|&(n, v)| Header { name: n.to_vec(), value: v.to_vec() }).collect();
        tx
    }

    #[test]
    fn http_buffers_merge_repeated_headers_and_reuse_the_scratch_cleanly() {
        let mut scratch = ViewScratch::default();
        let big = tx(
            b"GET http://Example.COM.:8080/x HTTP/1.1",
            &[(b"Host", b"ignored"), (b"X-A", b"1"), (b"Cookie", b"c=1"), (b"x-a", b"2"), (b"Accept", b"*/*")],
        );
        let v = HttpView::new(&big, &mut scratch);
        assert_eq!(v.buffer(AppBuffer::HttpHeader, 0).unwrap(), b"Host: ignored\r\nX-A: 1, 2\r\nAccept: */*\r\n");
        assert_eq!(v.buffer(AppBuffer::HttpHeaderNames, 0).unwrap(), b"\r\nHost\r\nX-A\r\nCookie\r\nAccept\r\n\r\n");
        assert_eq!(
            v.buffer(AppBuffer::HttpStart, 0).unwrap(),
            &b"GET http://Example.COM.:8080/x HTTP/1.1\r\nHost: ignored\r\nX-A: 1, 2\r\nCookie: c=1\r\nAccept: */*\r\n\r\n"[..]
        );
        assert_eq!(v.buffer(AppBuffer::HttpHost, 0).unwrap(), b"example.com");
        // A smaller transaction viewed next keeps nothing of the first.
        let small = tx(b"GET / HTTP/1.0", &[]);
        let v = HttpView::new(&small, &mut scratch);
        assert_eq!(v.buffer(AppBuffer::HttpHeader, 0), None);
        assert_eq!(v.buffer(AppBuffer::HttpHeaderNames, 0), None);
        assert_eq!(v.buffer(AppBuffer::HttpStart, 0).unwrap(), b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(v.buffer(AppBuffer::HttpHost, 0), None);
    }
}
