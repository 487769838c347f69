//! Recognising a flow's application protocol from its first bytes, on any
//! port: what the bytes say wins over the port, which only breaks ties
//! (an FTP or SMTP banner both start with "220"). FTP is recognised as
//! Suricata 8 does: a client starting with `USER `, `PASS `, `PORT ` or
//! `FEAT`, a server starting with `220 (`, or any `220` banner on port 21.
//! FTP data connections are not recognised here: their control connection
//! announces them (`app::ftp::expect`).

use super::AppProto;

/// What a probe concluded about one direction's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Is(AppProto),
    /// Not enough bytes to tell.
    NeedMore,
    /// None of the protocols we know.
    NotKnown,
}

/// HTTP methods recognised at the start of a request (Suricata's list,
/// WebDAV included).
const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"CONNECT",
    b"TRACE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"CHECKOUT",
    b"REPORT",
    b"MKACTIVITY",
    b"MERGE",
    b"NOTIFY",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
    b"PURGE",
    b"VERSION-CONTROL",
    b"LABEL",
    b"BASELINE-CONTROL",
    b"MKWORKSPACE",
    b"UPDATE",
    b"CHECKIN",
    b"UNCHECKOUT",
    b"ORDERPATCH",
    b"ACL",
];

/// Suricata's FTP detection patterns of a client (at the start, as sent:
/// `user x` is not FTP to it).
const FTP_COMMANDS: &[&[u8]] = &[b"USER ", b"PASS ", b"PORT ", b"FEAT"];

const SMTP_COMMANDS: &[&[u8]] = &[b"EHLO ", b"HELO ", b"EHLO\r", b"HELO\r"];

fn starts_with_ci(data: &[u8], p: &[u8]) -> bool {
    data.len() >= p.len() && data[..p.len()].eq_ignore_ascii_case(p)
}

/// Whether `data` could still become `p` (a prefix of it so far).
fn prefix_of(data: &[u8], p: &[u8]) -> bool {
    data.len() < p.len() && p[..data.len()].eq_ignore_ascii_case(data)
}

fn http_request(data: &[u8]) -> Verdict {
    // Leading empty lines are tolerated, as by servers and libhtp.
    let d = trim_leading_newlines(data);
    if d.is_empty() {
        return Verdict::NeedMore;
    }
    let mut maybe = false;
    for m in METHODS {
        if d.len() > m.len() && d.starts_with(m) && matches!(d[m.len()], b' ' | b'\t') {
            return Verdict::Is(AppProto::Http);
        }
        if d.len() <= m.len() && m.starts_with(d) {
            maybe = true;
        }
    }
    if maybe {
        Verdict::NeedMore
    } else {
        Verdict::NotKnown
    }
}

fn trim_leading_newlines(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    &d[n..]
}

fn tls(data: &[u8]) -> Verdict {
    match data {
        [] => Verdict::NeedMore,
        // A TLS record: handshake, alert, change cipher spec or application
        // data, major version 3.
        [0x14..=0x17] | [0x14..=0x17, 0x03] => Verdict::NeedMore,
        [0x14..=0x17, 0x03, minor, ..] if *minor <= 0x04 => Verdict::Is(AppProto::Tls),
        // SSLv2-compatible ClientHello: 2-byte length with the high bit,
        // message type 1, version 2 or 3.
        [b0, _, 0x01, 0x00 | 0x03, ..] if b0 & 0x80 != 0 => Verdict::Is(AppProto::Tls),
        [b0] | [b0, _] | [b0, _, 0x01] if b0 & 0x80 != 0 => Verdict::NeedMore,
        _ => Verdict::NotKnown,
    }
}

/// IMAP commands Suricata's detection knows after a client's tag.
const IMAP_COMMANDS: &[&[u8]] =
    &[b"CAPABILITY", b"LOGIN", b"AUTHENTICATE", b"STARTTLS", b"NOOP", b"LOGOUT", b"SELECT", b"EXAMINE", b"LIST", b"ID"];

/// IMAP: the server greets with an untagged `* OK`, `* PREAUTH` or
/// `* BYE`; the client sends a tag (letters and digits) then a command.
fn imap(data: &[u8], to_server: bool) -> bool {
    if !to_server {
        return [&b"* OK"[..], b"* PREAUTH", b"* BYE"].iter().any(|g| starts_with_ci(data, g));
    }
    let tag = data.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'.').count();
    if tag == 0 || data.get(tag) != Some(&b' ') {
        return false;
    }
    let rest = &data[tag + 1..];
    IMAP_COMMANDS.iter().any(|c| starts_with_ci(rest, c) && matches!(rest.get(c.len()), Some(b' ' | b'\r' | b'\n')))
}

fn smb_or_dcerpc(data: &[u8]) -> Verdict {
    // SMB over NetBIOS session service (or direct TCP): 4-byte header then
    // the SMB1/SMB2/SMB3-transform magic.
    if data.len() >= 8 && data[0] == 0 && matches!(&data[4..8], [0xfd..=0xff, b'S', b'M', b'B']) {
        return Verdict::Is(AppProto::Smb);
    }
    // DCE/RPC connection-oriented PDU: version 5.0, a bind/request type.
    if data.len() >= 10 && data[0] == 5 && data[1] == 0 && data[2] <= 20 && matches!(data[4], 0x10 | 0x00 | 0x01) {
        return Verdict::Is(AppProto::Dcerpc);
    }
    if data.len() < 10 {
        Verdict::NeedMore
    } else {
        Verdict::NotKnown
    }
}

/// A DNS header with sane counts (the message parser decides the rest).
fn dns_plausible(m: &[u8]) -> bool {
    if m.len() < 12 {
        return false;
    }
    let count = |i: usize| u16::from_be_bytes([m[i], m[i + 1]]);
    let opcode = (m[2] >> 3) & 0x0f;
    opcode <= 6 && count(4) <= 64 && count(6) <= 512 && count(8) <= 512 && count(10) <= 512
}

/// Probes the first bytes of one direction of a TCP flow. `to_server`:
/// the client's data; `ports`: (client port, server port).
/// Whether the first data of a session picked up mid-stream, sent in the
/// direction the flow calls `to_server`, is recognised only as the other
/// direction's (a request sent "to the client", a status line or banner
/// sent "to the server"): the flow is then the other way round. This is
/// Suricata's midstream retry of the other direction's patterns, which
/// reverses the flow when they match.
pub fn other_way_round(data: &[u8], to_server: bool, ports: (u16, u16)) -> bool {
    !matches!(probe_tcp(data, to_server, ports), Verdict::Is(_))
        && matches!(probe_tcp(data, !to_server, (ports.1, ports.0)), Verdict::Is(_))
}

pub fn probe_tcp(data: &[u8], to_server: bool, ports: (u16, u16)) -> Verdict {
    let server_port = ports.1;
    if to_server {
        match http_request(data) {
            Verdict::Is(p) => return Verdict::Is(p),
            Verdict::NeedMore if data.len() < 16 => return Verdict::NeedMore,
            _ => {}
        }
    } else if starts_with_ci(data, b"HTTP/") {
        return Verdict::Is(AppProto::Http);
    } else if prefix_of(data, b"HTTP/") {
        return Verdict::NeedMore;
    }
    match tls(data) {
        Verdict::Is(p) => return Verdict::Is(p),
        Verdict::NeedMore => return Verdict::NeedMore,
        Verdict::NotKnown => {}
    }
    if data.starts_with(b"SSH-") {
        return Verdict::Is(AppProto::Ssh);
    }
    if prefix_of(data, b"SSH-") {
        return Verdict::NeedMore;
    }
    if server_port == 53 && dns_plausible(data.get(2..).unwrap_or(&[])) {
        return Verdict::Is(AppProto::Dns);
    }
    // DNS over TCP on another port: the length prefix must frame exactly
    // the bytes that follow (one whole message, as clients send it) and
    // the message must be plausible, which random data almost never is.
    let framed = data.len() > 2 + 12 && usize::from(u16::from_be_bytes([data[0], data[1]])) == data.len() - 2;
    if framed && dns_plausible(&data[2..]) {
        return Verdict::Is(AppProto::Dns);
    }
    if imap(data, to_server) {
        return Verdict::Is(AppProto::Imap);
    }
    if to_server {
        if SMTP_COMMANDS.iter().any(|c| starts_with_ci(data, c)) {
            return Verdict::Is(AppProto::Smtp);
        }
        if FTP_COMMANDS.iter().any(|c| data.starts_with(c)) {
            return Verdict::Is(AppProto::Ftp);
        }
    } else if starts_with_ci(data, b"220 (") {
        return Verdict::Is(AppProto::Ftp);
    } else if data.len() >= 4 && data.starts_with(b"220") && matches!(data[3], b' ' | b'-') {
        // A "ready" banner: SMTP and FTP both send one; the banner text or
        // the port decides.
        let line = &data[..data.iter().position(|&b| b == b'\n').unwrap_or(data.len())];
        let has = |w: &[u8]| line.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w));
        if has(b"SMTP") || has(b"MAIL") || matches!(server_port, 25 | 465 | 587 | 2525) {
            return Verdict::Is(AppProto::Smtp);
        }
        if server_port == 21 {
            return Verdict::Is(AppProto::Ftp);
        }
    } else if server_port == 21 && data.starts_with(b"220") {
        return Verdict::Is(AppProto::Ftp);
    }
    smb_or_dcerpc(data)
}

/// Probes a UDP payload.
pub fn probe_udp(data: &[u8], ports: (u16, u16)) -> Verdict {
    if (ports.0 == 53 || ports.1 == 53 || ports.0 == 5353 || ports.1 == 5353) && dns_plausible(data) {
        return Verdict::Is(AppProto::Dns);
    }
    Verdict::NotKnown
}

/// What the other direction of a flow whose protocol is decided says,
/// as Suricata's detection of that direction would see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// The same protocol.
    Same,
    /// Another protocol (`APPLAYER_MISMATCH_PROTOCOL_BOTH_DIRECTIONS`).
    Different,
    /// No protocol: detection gave up on this direction
    /// (`APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION`).
    Unknown,
    NeedMore,
}

/// Suricata's HTTP methods (its detection patterns: the method then SP or
/// HT, any case).
const SURICATA_METHODS: &[&[u8]] = &[
    b"GET",
    b"PUT",
    b"POST",
    b"HEAD",
    b"TRACE",
    b"OPTIONS",
    b"CONNECT",
    b"DELETE",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"CHECKOUT",
    b"UNCHECKOUT",
    b"CHECKIN",
    b"UPDATE",
    b"LABEL",
    b"REPORT",
    b"MKWORKSPACE",
    b"MKACTIVITY",
    b"MERGE",
    b"INVALID",
    b"VERSION-CONTROL",
    b"BASELINE-CONTROL",
];

/// Whether direction `to_server`'s first bytes confirm `proto`, decided
/// from the other direction. Our own recognition is more tolerant than
/// Suricata's (it has to be: the decision is made on either direction);
/// this check uses Suricata's stricter patterns for HTTP (a method at the
/// very start of a request, `HTTP/0.9`, `HTTP/1.0` or `HTTP/1.1` at the
/// very start of a response), so the anomaly appears where Suricata's does.
pub fn confirm(proto: AppProto, data: &[u8], to_server: bool, ports: (u16, u16)) -> Confirm {
    if data.is_empty() {
        return Confirm::NeedMore;
    }
    // Protocols whose two directions each say what they are; others (a
    // DNS length prefix) need more than a direction's first bytes to
    // tell, so nothing is concluded for them.
    if !matches!(proto, AppProto::Http | AppProto::Tls | AppProto::Ssh | AppProto::Ftp) {
        return Confirm::Same;
    }
    if proto == AppProto::Ftp {
        // Once the client said FTP, any `220` from the server is taken
        // (Suricata raises no detection event for it).
        let ftp = if to_server { FTP_COMMANDS.iter().any(|c| data.starts_with(c)) } else { data.starts_with(b"220") };
        if ftp {
            return Confirm::Same;
        }
        let maybe = if to_server { FTP_COMMANDS.iter().any(|c| c.starts_with(data)) } else { b"220".starts_with(data) };
        if maybe {
            return Confirm::NeedMore;
        }
        return match probe_tcp(data, to_server, ports) {
            Verdict::Is(p) if p != AppProto::Ftp => Confirm::Different,
            _ => Confirm::Unknown,
        };
    }
    if proto == AppProto::Http {
        let mut maybe = false;
        if to_server {
            for m in SURICATA_METHODS {
                match data.get(m.len()) {
                    Some(b' ' | b'\t') if starts_with_ci(data, m) => return Confirm::Same,
                    None if prefix_of(data, m) || starts_with_ci(data, m) => maybe = true,
                    _ => {}
                }
            }
        } else {
            for v in [&b"HTTP/0.9"[..], b"HTTP/1.0", b"HTTP/1.1"] {
                if starts_with_ci(data, v) {
                    return Confirm::Same;
                }
                maybe |= prefix_of(data, v);
            }
            // A SIP status line: Suricata recognises SIP over TCP.
            let sp = data.iter().take_while(|&&c| c == b' ').count();
            if starts_with_ci(&data[sp..], b"SIP/2.0") {
                return Confirm::Different;
            }
        }
        if maybe {
            return Confirm::NeedMore;
        }
        return match probe_tcp(data, to_server, ports) {
            Verdict::Is(p) if p != AppProto::Http => Confirm::Different,
            _ => Confirm::Unknown,
        };
    }
    match probe_tcp(data, to_server, ports) {
        Verdict::Is(p) if p == proto => Confirm::Same,
        Verdict::Is(_) => Confirm::Different,
        Verdict::NeedMore => Confirm::NeedMore,
        Verdict::NotKnown => Confirm::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_direction_as_suricata_sees_it() {
        let http = |d: &[u8], ts| confirm(AppProto::Http, d, ts, (1234, 80));
        assert_eq!(http(b"HTTP/1.1 200 OK\r\n", false), Confirm::Same);
        assert_eq!(http(b"http/1.0 200 OK\r\n", false), Confirm::Same);
        assert_eq!(http(b"HTTP/1.2 200 OK\r\n", false), Confirm::Unknown);
        assert_eq!(http(b"\r\nHTTP/1.1 200 OK\r\n", false), Confirm::Unknown);
        assert_eq!(http(b"HTTP/", false), Confirm::NeedMore);
        assert_eq!(http(b" SIP/2.0 200 ok\r\n", false), Confirm::Different);
        assert_eq!(http(b"get /x HTTP/1.1\r\n", true), Confirm::Same);
        assert_eq!(http(b"\0\0\0\0", true), Confirm::Unknown);
        assert_eq!(http(b"GE", true), Confirm::NeedMore);
        let tls = [0x16, 0x03, 0x01, 0x00, 0x05];
        assert_eq!(confirm(AppProto::Tls, &tls, false, (1, 443)), Confirm::Same);
        assert_eq!(confirm(AppProto::Tls, b"HTTP/1.1 400 Bad\r\n", false, (1, 443)), Confirm::Different);
    }

    #[test]
    fn recognises_by_content() {
        assert_eq!(probe_tcp(b"GET / HTTP/1.1\r\n", true, (40000, 8080)), Verdict::Is(AppProto::Http));
        assert_eq!(probe_tcp(b"\r\nPOST /x HTTP/1.0", true, (1, 2)), Verdict::Is(AppProto::Http));
        assert_eq!(probe_tcp(b"GE", true, (1, 2)), Verdict::NeedMore);
        assert_eq!(probe_tcp(b"HTTP/1.1 200 OK\r\n", false, (1, 2)), Verdict::Is(AppProto::Http));
        assert_eq!(probe_tcp(&[0x16, 0x03, 0x01, 0x02, 0x00], true, (1, 443)), Verdict::Is(AppProto::Tls));
        assert_eq!(probe_tcp(&[0x16], true, (1, 443)), Verdict::NeedMore);
        assert_eq!(probe_tcp(b"SSH-2.0-OpenSSH_9.6\r\n", false, (1, 22)), Verdict::Is(AppProto::Ssh));
        assert_eq!(probe_tcp(b"220 mail.example.com ESMTP\r\n", false, (1, 2525)), Verdict::Is(AppProto::Smtp));
        // FTP as Suricata 8 recognises it (checked against 8.0.6).
        assert_eq!(probe_tcp(b"220 (vsFTPd 3.0.3)\r\n", false, (1, 2100)), Verdict::Is(AppProto::Ftp));
        assert_eq!(probe_tcp(b"220 ready\r\n", false, (1, 21)), Verdict::Is(AppProto::Ftp));
        assert_eq!(probe_tcp(b"220-ready\r\n", false, (1, 21)), Verdict::Is(AppProto::Ftp));
        assert_ne!(probe_tcp(b"220 ProFTPD ready\r\n", false, (1, 2100)), Verdict::Is(AppProto::Ftp));
        assert_ne!(probe_tcp(b"230 logged in\r\n", false, (1, 21)), Verdict::Is(AppProto::Ftp));
        assert_eq!(probe_tcp(b"USER bob\r\n", true, (1, 2121)), Verdict::Is(AppProto::Ftp));
        assert_eq!(probe_tcp(b"FEAT\r\n", true, (1, 2121)), Verdict::Is(AppProto::Ftp));
        assert_ne!(probe_tcp(b"user bob\r\n", true, (1, 2121)), Verdict::Is(AppProto::Ftp));
        assert_ne!(probe_tcp(b"SYST\r\n", true, (1, 21)), Verdict::Is(AppProto::Ftp));
        let ftp = |d: &[u8], ts| confirm(AppProto::Ftp, d, ts, (1, 21));
        assert_eq!(ftp(b"USER x\r\n", true), Confirm::Same);
        assert_eq!(ftp(b"SYST\r\n", true), Confirm::Unknown);
        assert_eq!(ftp(b"US", true), Confirm::NeedMore);
        assert_eq!(ftp(b"220 ok\r\n", false), Confirm::Same);
        assert_eq!(confirm(AppProto::Ftp, b"220 Ready\r\n", false, (1, 2121)), Confirm::Same);
        assert_eq!(ftp(b"hello\r\n", false), Confirm::Unknown);
        assert_eq!(probe_tcp(b"EHLO client\r\n", true, (1, 25)), Verdict::Is(AppProto::Smtp));
        assert_eq!(probe_tcp(b"* OK IMAP4rev1 ready\r\n", false, (1, 143)), Verdict::Is(AppProto::Imap));
        assert_eq!(probe_tcp(b"a001 CAPABILITY\r\n", true, (1, 1143)), Verdict::Is(AppProto::Imap));
        assert_eq!(probe_tcp(b"a001 LOGIN alice x\r\n", true, (1, 143)), Verdict::Is(AppProto::Imap));
        assert_ne!(probe_tcp(b"a001 FOO\r\n", true, (1, 143)), Verdict::Is(AppProto::Imap));
        assert_eq!(
            probe_tcp(&[0, 0, 0, 0x45, 0xff, b'S', b'M', b'B', 0x72], true, (1, 445)),
            Verdict::Is(AppProto::Smb)
        );
        assert_eq!(probe_tcp(b"hello there, nothing known", true, (1, 2)), Verdict::NotKnown);
    }
}
