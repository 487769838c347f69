//! A `syslog` sink: each record as one RFC 5424 message to a syslog
//! receiver (rsyslog, syslog-ng, a SIEM's collector), over UDP (RFC 5426),
//! TCP (RFC 6587 octet counting) or TLS (RFC 5425: the same octet
//! counting inside a TLS session; settings under `syslog.tls:`, see
//! [`TlsOptions`]).
//!
//! A message is `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`:
//! - TIMESTAMP is the time of sending, RFC 3339 in UTC with microseconds.
//!   Not the record's own `timestamp`: in a replay that is the capture's
//!   clock, and receivers (and RFC 5424) read TIMESTAMP as when the message
//!   was made; the record keeps its own time inside MSG.
//! - MSGID is the record's `event_type` unless configured, so receivers can
//!   route on it without parsing the JSON.
//! - MSG is the EVE JSON line without its newline and without a leading
//!   UTF-8 BOM. RFC 5424 allows that (MSG-ANY); rsyslog 8.2302 keeps a BOM
//!   as part of `%msg%` (checked), in front of the JSON, where JSON parsers
//!   downstream would have to strip it.
//!
//! Messages longer than `max_message_bytes` (default 8192, rsyslog's default
//! `maxMessageSize`) are not sent and are counted as `too_large`: a
//! receiver would truncate them, cutting the JSON silently.
//!
//! UDP is fire and forget: one datagram per message; a receiver that is not
//! there is not noticed (no ICMP errors are read on an unconnected socket).
//! TCP connects at start and, while down, at most once a second; records
//! meanwhile count as `peer_down`. A write stalled for [`PEER_TIMEOUT`]
//! drops the connection (a frame it cut is the last thing on it).
//!
//! TLS behaves as TCP, and a failed handshake (a certificate not trusted
//! or not valid for the name, a receiver that wants a client certificate)
//! is the receiver being down too: records count as `peer_down` (or wait
//! in the spool), and the reason is in the outage's one warning. Before
//! each delivery the connection is checked, without waiting, for a
//! receiver that has closed it, so a block is not written into a
//! connection already gone. A record counts as delivered once the TLS
//! records holding it are in the socket.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};

use serde::{Deserialize, Serialize};

use super::tls::{TlsClient, TlsOptions, TlsStream};
use super::{write_framed, DropReason, ReconnectGate, Records, Sink, SinkError, PEER_TIMEOUT};
use crate::util::time::Timestamp;

/// RFC 5424 §6.1: every receiver takes messages of 480 octets.
const MIN_MESSAGE_BYTES: usize = 480;
/// The largest UDP payload over IPv4 (a datagram cannot be larger).
const MAX_UDP_PAYLOAD: usize = 65_507;

/// Options of a `syslog` sink (`syslog:` under the sink).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogOptions {
    /// The receiver, `host:port` (`[::1]:514` for an IPv6 literal).
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub transport: Transport,
    /// `kern` .. `local7` or a number 0-23; default `local5` (Suricata's).
    #[serde(default = "default_facility")]
    pub facility: Facility,
    /// Severity of every message: `emerg` .. `debug` or 0-7; default `info`.
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// HOSTNAME; default the machine's host name.
    #[serde(default)]
    pub hostname: String,
    /// APP-NAME; default `mirrorids`.
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// MSGID; default the record's `event_type`.
    #[serde(default)]
    pub msgid: String,
    /// Alerts take their severity from `alert.severity` (Suricata's
    /// priority, 1 the highest): 1 crit, 2 err, 3 warning, 4 and above
    /// notice. `emerg` and `alert` are left out on purpose: syslog setups
    /// send them to every logged-in terminal. Other records keep `severity`.
    #[serde(default)]
    pub alert_severity: bool,
    /// Longest message sent, header included (not TCP's length prefix);
    /// longer ones are counted as `too_large`. Keep it at or below the
    /// receiver's limit (rsyslog: `maxMessageSize`, 8k by default).
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
    /// CA, client certificate and name to verify, with `transport: tls`.
    #[serde(default, skip_serializing_if = "tls_unset")]
    pub tls: TlsOptions,
}

fn tls_unset(t: &TlsOptions) -> bool {
    !t.is_set()
}

impl Default for SyslogOptions {
    fn default() -> Self {
        SyslogOptions {
            address: String::new(),
            transport: Transport::default(),
            facility: default_facility(),
            severity: default_severity(),
            hostname: String::new(),
            app_name: default_app_name(),
            msgid: String::new(),
            alert_severity: false,
            max_message_bytes: default_max_message_bytes(),
            tls: TlsOptions::default(),
        }
    }
}

fn default_facility() -> Facility {
    Facility(21)
}

fn default_severity() -> Severity {
    Severity(6)
}

fn default_app_name() -> String {
    "mirrorids".into()
}

fn default_max_message_bytes() -> usize {
    8192
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    #[default]
    Udp,
    Tcp,
    /// RFC 5425 (port 6514 by convention); options under `syslog.tls:`.
    Tls,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }
}

/// A name or a number in the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum NameOrNumber {
    Number(u64),
    Name(String),
}

const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
    "audit", "console", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

const SEVERITIES: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

fn lookup(v: NameOrNumber, names: &[&str], aliases: &[(&str, u8)], what: &str) -> Result<u8, String> {
    match v {
        NameOrNumber::Number(n) if (n as usize) < names.len() => Ok(n as u8),
        NameOrNumber::Number(n) => Err(format!("{what} {n} is out of range 0-{}", names.len() - 1)),
        NameOrNumber::Name(s) => {
            let s = s.to_ascii_lowercase();
            names
                .iter()
                .position(|n| *n == s)
                .map(|i| i as u8)
                .or_else(|| aliases.iter().find(|a| a.0 == s).map(|a| a.1))
                .ok_or_else(|| format!("unknown {what} \"{s}\" (known: {})", names.join(", ")))
        }
    }
}

/// A syslog facility, 0-23.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "NameOrNumber", into = "NameOrNumber")]
pub struct Facility(pub u8);

impl TryFrom<NameOrNumber> for Facility {
    type Error = String;
    fn try_from(v: NameOrNumber) -> Result<Self, String> {
        lookup(v, &FACILITIES, &[("security", 4)], "facility").map(Facility)
    }
}

impl From<Facility> for NameOrNumber {
    fn from(f: Facility) -> Self {
        NameOrNumber::Name(FACILITIES[usize::from(f.0) % FACILITIES.len()].into())
    }
}

/// A syslog severity, 0 (emerg) - 7 (debug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "NameOrNumber", into = "NameOrNumber")]
pub struct Severity(pub u8);

impl TryFrom<NameOrNumber> for Severity {
    type Error = String;
    fn try_from(v: NameOrNumber) -> Result<Self, String> {
        let aliases = [("panic", 0), ("error", 3), ("warn", 4), ("informational", 6)];
        lookup(v, &SEVERITIES, &aliases, "severity").map(Severity)
    }
}

impl From<Severity> for NameOrNumber {
    fn from(s: Severity) -> Self {
        NameOrNumber::Name(SEVERITIES[usize::from(s.0) % SEVERITIES.len()].into())
    }
}

/// RFC 5424 header fields are printable US-ASCII without spaces.
fn header_field_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| (33..=126).contains(&b))
}

impl SyslogOptions {
    pub fn validate(&self) -> Result<(), String> {
        if self.address.is_empty() {
            return Err("a syslog sink needs syslog.address (host:port)".into());
        }
        let port = self.address.rsplit_once(':').and_then(|(h, p)| (!h.is_empty()).then_some(p));
        if port.and_then(|p| p.parse::<u16>().ok()).is_none() {
            return Err(format!("syslog.address \"{}\" is not host:port", self.address));
        }
        let fields = [("hostname", &self.hostname, 255), ("app_name", &self.app_name, 48), ("msgid", &self.msgid, 32)];
        for (name, v, max) in fields {
            // Empty hostname and msgid mean their defaults.
            let defaulted = name != "app_name" && v.is_empty();
            if !defaulted && !header_field_ok(v, max) {
                return Err(format!(
                    "syslog.{name} \"{v}\" must be 1-{max} printable ASCII characters without spaces (RFC 5424)"
                ));
            }
        }
        let most = if self.transport == Transport::Udp { MAX_UDP_PAYLOAD } else { 1 << 24 };
        if !(MIN_MESSAGE_BYTES..=most).contains(&self.max_message_bytes) {
            return Err(format!("syslog.max_message_bytes must be {MIN_MESSAGE_BYTES}-{most}"));
        }
        if self.transport != Transport::Tls {
            if self.tls.is_set() {
                return Err(format!(
                    "syslog.tls is set but syslog.transport is {}: set transport: tls (or remove tls:)",
                    self.transport.name()
                ));
            }
            return Ok(());
        }
        // Reads and checks the certificate and key files.
        self.tls_client().map(|_| ())
    }

    fn tls_client(&self) -> Result<TlsClient, String> {
        self.tls.client(&self.address)
    }
}

/// The machine's host name, made a valid HOSTNAME (`-` when unknown).
/// Read from procfs, which is what gethostname(2) returns on Linux,
/// without an unsafe FFI call.
fn machine_hostname() -> String {
    let raw = std::fs::read("/proc/sys/kernel/hostname").unwrap_or_default();
    let name: String = raw.iter().filter(|b| (33..=126).contains(*b)).take(255).map(|&b| b as char).collect();
    if name.is_empty() {
        "-".into()
    } else {
        name
    }
}

/// The record's `event_type` value, if it is a valid MSGID. EVE writes it
/// among the first top-level keys, before any nested object.
fn event_type(line: &[u8]) -> Option<&str> {
    const KEY: &[u8] = b"\"event_type\":\"";
    let start = memchr::memmem::find(line, KEY)? + KEY.len();
    let len = memchr::memchr(b'"', line.get(start..)?)?;
    let v = std::str::from_utf8(&line[start..start + len]).ok()?;
    header_field_ok(v, 32).then_some(v)
}

/// Syslog severity for an alert's `alert.severity` (see `alert_severity`).
fn alert_to_severity(alert_severity: u64) -> u8 {
    match alert_severity {
        0 | 1 => 2,
        2 => 3,
        3 => 4,
        _ => 5,
    }
}

fn alert_severity_of(line: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct Rec {
        alert: Option<Alert>,
    }
    #[derive(Deserialize)]
    struct Alert {
        severity: Option<u64>,
    }
    serde_json::from_slice::<Rec>(line).ok()?.alert?.severity
}

/// The fixed parts of every message.
#[derive(Debug, Clone)]
pub struct Header {
    facility: u8,
    severity: u8,
    alert_severity: bool,
    hostname: String,
    app_name: String,
    procid: String,
    msgid: Option<String>,
}

impl Header {
    pub fn new(o: &SyslogOptions) -> Header {
        Header {
            facility: o.facility.0,
            severity: o.severity.0,
            alert_severity: o.alert_severity,
            hostname: if o.hostname.is_empty() { machine_hostname() } else { o.hostname.clone() },
            app_name: o.app_name.clone(),
            procid: std::process::id().to_string(),
            msgid: (!o.msgid.is_empty()).then(|| o.msgid.clone()),
        }
    }

    /// Writes one message for `record` (its trailing newline left out) into `out`.
    pub fn format(&self, out: &mut Vec<u8>, timestamp: &str, record: &[u8]) {
        let msg = record.strip_suffix(b"\n").unwrap_or(record);
        let msg = msg.strip_suffix(b"\r").unwrap_or(msg);
        let kind = event_type(msg);
        let mut severity = self.severity;
        if self.alert_severity && kind == Some("alert") {
            if let Some(s) = alert_severity_of(msg) {
                severity = alert_to_severity(s);
            }
        }
        let pri = u16::from(self.facility) * 8 + u16::from(severity);
        let msgid = self.msgid.as_deref().or(kind).unwrap_or("-");
        out.clear();
        // Writing to a Vec cannot fail.
        let _ = write!(out, "<{pri}>1 {timestamp} {} {} {} {msgid} - ", self.hostname, self.app_name, self.procid);
        out.extend_from_slice(msg);
    }
}

/// Now, as RFC 3339 UTC with microseconds (`2024-04-01T12:00:00.123456Z`).
pub fn rfc3339_now() -> String {
    rfc3339(Timestamp::now())
}

fn rfc3339(t: Timestamp) -> String {
    let mut s = t.eve().to_string();
    // EVE's `+0000` is not RFC 3339; `Z` is.
    s.truncate(s.len().saturating_sub(5));
    s.push('Z');
    s
}

/// RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`.
pub fn frame(out: &mut impl Write, msg: &[u8]) -> std::io::Result<()> {
    write!(out, "{} ", msg.len())?;
    out.write_all(msg)
}

enum Conn {
    Udp(Option<(UdpSocket, SocketAddr)>),
    /// Written to directly, not through a buffer: a record counts as
    /// delivered only once its frame is in the socket.
    Tcp(Option<TcpStream>),
    /// The same, through TLS (whose writes return once in the socket);
    /// boxed: the session's state is about a kilobyte.
    Tls(Option<Box<TlsStream>>),
}

impl Conn {
    /// The same transport, disconnected.
    fn dropped(&self) -> Conn {
        match self {
            Conn::Udp(_) => Conn::Udp(None),
            Conn::Tcp(_) => Conn::Tcp(None),
            Conn::Tls(_) => Conn::Tls(None),
        }
    }
}

pub struct SyslogSink {
    address: String,
    header: Header,
    max: usize,
    conn: Conn,
    /// TLS: the client configuration (checked at configuration load).
    tls: Option<TlsClient>,
    gate: ReconnectGate,
    /// Why the last connection attempt failed: the outage's warning says it.
    why_down: String,
    /// One message, reused.
    msg: Vec<u8>,
    /// TCP: the frames of one delivery, back to back, and where each
    /// record's frame ends (record index, offset).
    out: Vec<u8>,
    ends: Vec<(usize, usize)>,
}

impl SyslogSink {
    /// Connects (a receiver that is down is no error: records count as
    /// `peer_down` until it is back); errors are TLS settings it cannot use.
    pub fn new(o: &SyslogOptions) -> Result<SyslogSink, String> {
        let (conn, tls) = match o.transport {
            Transport::Udp => (Conn::Udp(None), None),
            Transport::Tcp => (Conn::Tcp(None), None),
            Transport::Tls => (Conn::Tls(None), Some(o.tls_client()?)),
        };
        let mut s = SyslogSink {
            address: o.address.clone(),
            header: Header::new(o),
            max: o.max_message_bytes,
            conn,
            tls,
            gate: ReconnectGate::default(),
            why_down: String::new(),
            msg: Vec::new(),
            out: Vec::new(),
            ends: Vec::new(),
        };
        s.connect();
        Ok(s)
    }

    /// Resolves the address again (DNS may have moved it) and, for TCP,
    /// connects; at most once a second ([`ReconnectGate`]).
    fn connect(&mut self) {
        if !self.gate.open() {
            return;
        }
        let addrs: Vec<SocketAddr> = match self.address.to_socket_addrs() {
            Ok(a) => a.collect(),
            Err(e) => {
                self.why_down = format!("resolving: {e}");
                return;
            }
        };
        self.why_down = "not reachable".into();
        match &mut self.conn {
            Conn::Udp(slot) => {
                for a in addrs {
                    let local: SocketAddr = if a.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
                    if let Ok(s) = UdpSocket::bind(local) {
                        if s.set_write_timeout(Some(PEER_TIMEOUT)).is_ok() {
                            *slot = Some((s, a));
                            return;
                        }
                    }
                }
            }
            Conn::Tcp(slot) => {
                for a in addrs {
                    if let Ok(s) = TcpStream::connect_timeout(&a, PEER_TIMEOUT) {
                        if s.set_write_timeout(Some(PEER_TIMEOUT)).is_ok() {
                            let _ = s.set_nodelay(true);
                            *slot = Some(s);
                            return;
                        }
                    }
                }
            }
            Conn::Tls(slot) => {
                let Some(client) = &self.tls else { return };
                for a in addrs {
                    match client.connect(&a) {
                        Ok(s) => {
                            *slot = Some(Box::new(s));
                            return;
                        }
                        Err(e) => self.why_down = e,
                    }
                }
            }
        }
    }

    fn is_up(&self) -> bool {
        match &self.conn {
            Conn::Udp(s) => s.is_some(),
            Conn::Tcp(s) => s.is_some(),
            Conn::Tls(s) => s.is_some(),
        }
    }

    fn down(&self, delivered: usize, refused: usize, e: impl std::fmt::Display) -> SinkError {
        SinkError {
            delivered,
            reason: DropReason::PeerDown,
            refused,
            rejected: 0,
            message: format!("{}: {e}", self.address),
        }
    }
}

impl Sink for SyslogSink {
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError> {
        if let Conn::Tls(Some(s)) = &mut self.conn {
            if let Err(e) = s.check_open() {
                self.why_down = e.to_string();
                self.conn = Conn::Tls(None);
            }
        }
        if !self.is_up() {
            self.connect();
            if !self.is_up() {
                return Err(self.down(0, 0, &self.why_down));
            }
        }
        // One time of sending per block: records of a block leave together.
        let ts = rfc3339_now();
        let mut refused = 0;
        self.out.clear();
        self.ends.clear();
        for (i, line) in records.iter().enumerate() {
            self.header.format(&mut self.msg, &ts, line);
            if self.msg.len() > self.max {
                refused += 1;
                continue;
            }
            let res = match &mut self.conn {
                Conn::Udp(Some((s, a))) => match s.send_to(&self.msg, *a) {
                    // The kernel's own limit (a smaller max over IPv6 paths...).
                    Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => {
                        refused += 1;
                        continue;
                    }
                    r => r.map(|_| ()),
                },
                Conn::Tcp(Some(_)) | Conn::Tls(Some(_)) => {
                    let framed = frame(&mut self.out, &self.msg);
                    self.ends.push((i, self.out.len()));
                    framed
                }
                Conn::Udp(None) | Conn::Tcp(None) | Conn::Tls(None) => Err(std::io::ErrorKind::NotConnected.into()),
            };
            if let Err(e) = res {
                self.conn = self.conn.dropped();
                return Err(self.down(i - refused, refused, e));
            }
        }
        let n = records.ranges.len();
        let written = match &mut self.conn {
            Conn::Tcp(Some(stream)) => write_framed(stream, &self.out, &self.ends, n),
            Conn::Tls(Some(stream)) => write_framed(stream, &self.out, &self.ends, n),
            _ => return Ok(refused),
        };
        if let Err((whole, first_lost, e)) = written {
            // The connection goes (the receiver drops a cut frame at EOF).
            self.conn = self.conn.dropped();
            return Err(self.down(whole, first_lost - whole, e));
        }
        Ok(refused)
    }

    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }

    fn up(&self) -> bool {
        self.is_up()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read};
    use std::net::TcpListener;
    use std::time::Duration;

    fn opts(yaml: &str) -> SyslogOptions {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn header(yaml: &str) -> Header {
        let mut o = opts(yaml);
        o.hostname = "sensor-1".into();
        let mut h = Header::new(&o);
        h.procid = "42".into();
        h
    }

    fn records(lines: &[&str]) -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
        let mut buf = Vec::new();
        let mut ranges = Vec::new();
        for l in lines {
            let s = buf.len();
            buf.extend_from_slice(l.as_bytes());
            ranges.push(s..buf.len());
        }
        (buf, ranges)
    }

    const DNS: &str = "{\"timestamp\":\"2024-04-01T12:00:00.000001+0000\",\"event_type\":\"dns\",\"dns\":{}}\n";

    #[test]
    fn options_defaults_names_numbers_and_errors() {
        let o = opts("address: 127.0.0.1:514");
        assert_eq!((o.facility, o.severity, o.transport), (Facility(21), Severity(6), Transport::Udp));
        assert_eq!((o.app_name.as_str(), o.max_message_bytes), ("mirrorids", 8192));
        o.validate().unwrap();
        let o = opts("address: \"[::1]:6514\"\ntransport: tcp\nfacility: 3\nseverity: WARN");
        assert_eq!((o.facility, o.severity, o.transport), (Facility(3), Severity(4), Transport::Tcp));
        o.validate().unwrap();
        assert_eq!(opts("facility: local0").facility, Facility(16));
        assert_eq!(opts("facility: kern").facility, Facility(0));
        assert!(serde_yaml::from_str::<SyslogOptions>("facility: local8").is_err());
        assert!(serde_yaml::from_str::<SyslogOptions>("facility: 24").is_err());
        assert!(serde_yaml::from_str::<SyslogOptions>("severity: 8").is_err());
        assert!(serde_yaml::from_str::<SyslogOptions>("bogus: 1").is_err());
        assert!(SyslogOptions::default().validate().unwrap_err().contains("needs syslog.address"));
        assert!(opts("address: localhost").validate().unwrap_err().contains("not host:port"));
        assert!(opts("address: h:1\napp_name: my app").validate().unwrap_err().contains("syslog.app_name"));
        assert!(opts("address: h:1\nmsgid: ''").validate().is_ok());
        assert!(opts("address: h:1\nmax_message_bytes: 100").validate().is_err());
        assert!(opts("address: h:1\nmax_message_bytes: 70000").validate().is_err());
        assert!(opts("address: h:1\ntransport: tcp\nmax_message_bytes: 70000").validate().is_ok());
        // TLS options go with transport tls only; their files are read at load.
        let e = opts("address: h:1\ntransport: tcp\ntls: { ca_file: /x.pem }").validate().unwrap_err();
        assert!(e.contains("syslog.tls is set but syslog.transport is tcp"), "{e}");
        let e = opts("address: h:6514\ntransport: tls\ntls: { ca_file: /nonexistent/ca.pem }").validate().unwrap_err();
        assert!(e.contains("syslog.tls.ca_file /nonexistent/ca.pem"), "{e}");
        assert!(
            SyslogSink::new(&opts("address: h:6514\ntransport: tls\ntls: { ca_file: /nonexistent/ca.pem }")).is_err()
        );
        // Names round-trip (`mirrorids config` prints them).
        let back: SyslogOptions = serde_yaml::from_str(&serde_yaml::to_string(&o).unwrap()).unwrap();
        assert_eq!(back, o);
    }

    #[test]
    fn header_is_rfc5424_with_the_record_as_msg() {
        let h = header("{}");
        let mut out = Vec::new();
        h.format(&mut out, "2024-04-01T12:00:00.000001Z", DNS.as_bytes());
        let want = format!("<174>1 2024-04-01T12:00:00.000001Z sensor-1 mirrorids 42 dns - {}", DNS.trim_end());
        assert_eq!(String::from_utf8(out.clone()).unwrap(), want);
        // A configured MSGID, facility and severity.
        header("msgid: eve\nfacility: user\nseverity: notice").format(&mut out, "T", DNS.as_bytes());
        assert!(out.starts_with(b"<13>1 T sensor-1 mirrorids 42 eve - {"), "{}", String::from_utf8_lossy(&out));
        // No event_type, or one that is not a valid MSGID: `-`.
        h.format(&mut out, "T", b"{\"a\":1}");
        assert!(out.starts_with(b"<174>1 T sensor-1 mirrorids 42 - - {\"a\":1}"));
        h.format(&mut out, "T", b"{\"event_type\":\"a b\"}\n");
        assert!(out.starts_with(b"<174>1 T sensor-1 mirrorids 42 - - "));
        h.format(&mut out, "T", b"");
        assert!(out.ends_with(b" - - "));
    }

    #[test]
    fn alert_severity_maps_suricata_priorities() {
        let alert = |s: &str| format!("{{\"event_type\":\"alert\",\"alert\":{{\"signature\":\"x\",{s}}}}}\n");
        let mut out = Vec::new();
        let on = header("alert_severity: true");
        // local5 = 21 * 8 = 168, plus crit 2, err 3, warning 4, notice 5.
        for (sev, pri) in
            [("\"severity\":1", 170), ("\"severity\":2", 171), ("\"severity\":3", 172), ("\"severity\":9", 173)]
        {
            on.format(&mut out, "T", alert(sev).as_bytes());
            assert!(out.starts_with(format!("<{pri}>1 ").as_bytes()), "{sev}: {}", String::from_utf8_lossy(&out));
        }
        // Without a severity, for other records and when off: `severity`.
        on.format(&mut out, "T", alert("\"gid\":1").as_bytes());
        assert!(out.starts_with(b"<174>1 "));
        on.format(&mut out, "T", DNS.as_bytes());
        assert!(out.starts_with(b"<174>1 "));
        header("{}").format(&mut out, "T", alert("\"severity\":1").as_bytes());
        assert!(out.starts_with(b"<174>1 "));
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(Timestamp(1_501_704_364_112_404)), "2017-08-02T20:06:04.112404Z");
        let now = rfc3339_now();
        assert!(now.len() == 27 && now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }

    #[test]
    fn octet_counting_frames() {
        let mut out = Vec::new();
        frame(&mut out, b"<174>1 - - - - - - {}").unwrap();
        frame(&mut out, "é".as_bytes()).unwrap();
        assert_eq!(out, "21 <174>1 - - - - - - {}2 é".as_bytes());
    }

    #[test]
    fn tcp_sends_framed_messages_and_counts_too_large() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let reader = std::thread::spawn(move || {
            let (c, _) = listener.accept().unwrap();
            let mut r = BufReader::new(c);
            let mut msgs = Vec::new();
            loop {
                let mut len = Vec::new();
                if r.read_until(b' ', &mut len).unwrap() == 0 {
                    return msgs;
                }
                let n: usize = std::str::from_utf8(&len[..len.len() - 1]).unwrap().parse().unwrap();
                let mut m = vec![0; n];
                r.read_exact(&mut m).unwrap();
                msgs.push(String::from_utf8(m).unwrap());
            }
        });
        let o = opts(&format!("address: {address}\ntransport: tcp\nmax_message_bytes: 600"));
        let mut sink = SyslogSink::new(&o).unwrap();
        assert!(sink.up());
        let big = format!("{{\"event_type\":\"alert\",\"x\":\"{}\"}}\n", "a".repeat(600));
        let (buf, ranges) = records(&[DNS, &big, DNS]);
        assert_eq!(sink.deliver(&Records { lines: &buf, ranges: &ranges }).unwrap(), 1);
        sink.flush().unwrap();
        drop(sink);
        let msgs = reader.join().unwrap();
        assert_eq!(msgs.len(), 2);
        for m in msgs {
            assert!(m.starts_with("<174>1 ") && m.ends_with(DNS.trim_end()), "{m}");
        }
    }

    #[test]
    fn tcp_without_listener_is_peer_down_and_udp_sends_datagrams() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut sink = SyslogSink::new(&opts(&format!("address: 127.0.0.1:{port}\ntransport: tcp"))).unwrap();
        assert!(!sink.up());
        let (buf, ranges) = records(&[DNS, DNS]);
        let e = sink.deliver(&Records { lines: &buf, ranges: &ranges }).unwrap_err();
        assert_eq!((e.delivered, e.refused, e.reason), (0, 0, DropReason::PeerDown));

        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut sink = SyslogSink::new(&opts(&format!("address: {}", rx.local_addr().unwrap()))).unwrap();
        assert_eq!(sink.deliver(&Records { lines: &buf, ranges: &ranges }).unwrap(), 0);
        let mut b = [0u8; 2048];
        for _ in 0..2 {
            let n = rx.recv(&mut b).unwrap();
            let m = std::str::from_utf8(&b[..n]).unwrap();
            assert!(m.starts_with("<174>1 ") && m.ends_with(DNS.trim_end()), "{m}");
        }
    }
}
