//! A `redis` sink, as Suricata's eve-log `filetype: redis`: each record is
//! pushed onto a list (`list` = LPUSH, `rpush` = RPUSH) or published on a
//! channel (`channel` = PUBLISH) under one key.
//!
//! One command per record, as Suricata does: with LPUSH a consumer that
//! BRPOPs gets the records in order (a multi-value LPUSH would reverse
//! each batch), and each record gets its own reply, so an error reply
//! (WRONGTYPE, OOM) costs that record only. Commands are pipelined, `batch`
//! at a time: one write, then the batch's replies are read back. A record
//! counts as delivered when its reply is an integer; a PUBLISH that reached
//! no subscriber (reply 0) counts as delivered too, as in Suricata, since
//! Redis took it.
//!
//! RESP is written here rather than taken from the `redis` crate: the
//! encoding is a fixed prefix plus the record (no allocation per record),
//! and a pipeline's replies must be accounted one by one (redis-rs fails a
//! whole pipeline on the first error reply). The reply parser takes only
//! the three reply types these commands get, each bounded to
//! [`MAX_REPLY_LINE`] bytes; anything else ends the connection.
//!
//! Without a server, or when one stops answering for [`PEER_TIMEOUT`], the
//! connection is dropped and records counted as `peer_down`; a new one is
//! tried at most once a second. A record whose reply was not read is never
//! sent again (at most once: no duplicates after a reconnect).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::{DropReason, ReconnectGate, Records, Sink, SinkError, PEER_TIMEOUT};

/// Longest reply line taken (type byte and CRLF included). Integer and
/// status replies are a few bytes; error texts are short sentences.
pub const MAX_REPLY_LINE: usize = 4096;
/// The reply buffer: larger than one reply, so a partial one always fits.
const READ_BUF: usize = 16 * 1024;

/// `redis:` options of a `type: redis` sink (Suricata's `redis:` block).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisOptions {
    /// `host:port` (`[v6addr]:port` for IPv6); default `127.0.0.1:6379`.
    pub server: String,
    /// `list` (or `lpush`), `rpush`, `channel` (or `publish`).
    pub mode: RedisMode,
    /// The list or channel name; default `suricata`.
    pub key: String,
    /// ACL user for `AUTH username password` (needs `password`).
    pub username: Option<String>,
    /// `AUTH` on each connection when set.
    pub password: Option<String>,
    /// `SELECT` this database on each connection when set.
    pub db: Option<u32>,
    /// Commands per pipeline (one write, then their replies): 1..=65536.
    pub batch: usize,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            server: "127.0.0.1:6379".into(),
            mode: RedisMode::List,
            key: "suricata".into(),
            username: None,
            password: None,
            db: None,
            batch: 256,
        }
    }
}

/// How records reach Redis, under Suricata's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RedisMode {
    /// LPUSH: newest at the head; consumers BRPOP in order.
    #[default]
    #[serde(rename = "list", alias = "lpush")]
    List,
    /// RPUSH: oldest at the head.
    #[serde(rename = "rpush")]
    Rpush,
    /// PUBLISH to the channel `key`.
    #[serde(rename = "channel", alias = "publish")]
    Channel,
}

impl RedisMode {
    fn command(self) -> &'static [u8] {
        match self {
            RedisMode::List => b"LPUSH",
            RedisMode::Rpush => b"RPUSH",
            RedisMode::Channel => b"PUBLISH",
        }
    }
}

impl RedisOptions {
    pub fn validate(&self) -> Result<(), String> {
        let port_ok = self
            .server
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p != 0));
        if !port_ok {
            return Err(format!("redis.server must be host:port, not \"{}\"", self.server));
        }
        if self.key.is_empty() {
            return Err("redis.key must not be empty".into());
        }
        if !(1..=65_536).contains(&self.batch) {
            return Err(format!("redis.batch must be 1..=65536, not {}", self.batch));
        }
        if self.username.is_some() && self.password.is_none() {
            return Err("redis.username needs a redis.password".into());
        }
        Ok(())
    }
}

/// One reply to the commands this sink sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    /// `+OK` (AUTH, SELECT).
    Status(&'a [u8]),
    /// `-ERR ...`, `-WRONGTYPE ...`: the command was refused.
    Error(&'a [u8]),
    /// `:n` (LPUSH, RPUSH, PUBLISH).
    Integer(i64),
}

/// A reply that cannot be taken: the connection is out of step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyError {
    /// A type these commands never get (bulk, array, RESP3...).
    Unexpected(u8),
    /// No line end within [`MAX_REPLY_LINE`] bytes.
    TooLong,
    /// A bare CR or LF, or an integer that is not one.
    Malformed,
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyError::Unexpected(b) => write!(f, "unexpected reply type {:?}", char::from(*b)),
            ReplyError::TooLong => write!(f, "reply line longer than {MAX_REPLY_LINE} bytes"),
            ReplyError::Malformed => write!(f, "malformed reply"),
        }
    }
}

/// The first reply in `buf` and its length, `None` while incomplete.
/// Never reads past [`MAX_REPLY_LINE`] bytes, whatever `buf` holds.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply<'_>, usize)>, ReplyError> {
    let Some(&kind) = buf.first() else { return Ok(None) };
    if !matches!(kind, b'+' | b'-' | b':') {
        return Err(ReplyError::Unexpected(kind));
    }
    let window = &buf[..buf.len().min(MAX_REPLY_LINE)];
    let Some(lf) = memchr::memchr(b'\n', window) else {
        return if window.len() == MAX_REPLY_LINE { Err(ReplyError::TooLong) } else { Ok(None) };
    };
    // `window[0]` is the type byte, so a valid line has its CR at 1 or later.
    if lf < 2 || window[lf - 1] != b'\r' {
        return Err(ReplyError::Malformed);
    }
    let body = &window[1..lf - 1];
    if memchr::memchr(b'\r', body).is_some() {
        return Err(ReplyError::Malformed);
    }
    let reply = match kind {
        b'+' => Reply::Status(body),
        b'-' => Reply::Error(body),
        _ => Reply::Integer(parse_int(body).ok_or(ReplyError::Malformed)?),
    };
    Ok(Some((reply, lf + 1)))
}

/// A strict decimal i64: optional `-`, then digits only.
fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        // Accumulate negatively so i64::MIN parses too.
        v = v.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if neg {
        Some(v)
    } else {
        v.checked_neg()
    }
}

/// Appends `n` in decimal, without a formatter (no allocation).
fn push_decimal(buf: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Appends one RESP bulk string.
pub fn push_bulk(buf: &mut Vec<u8>, s: &[u8]) {
    buf.push(b'$');
    push_decimal(buf, s.len());
    buf.extend_from_slice(b"\r\n");
    buf.extend_from_slice(s);
    buf.extend_from_slice(b"\r\n");
}

/// Appends one command (a RESP array of bulk strings).
pub fn push_command(buf: &mut Vec<u8>, args: &[&[u8]]) {
    buf.push(b'*');
    push_decimal(buf, args.len());
    buf.extend_from_slice(b"\r\n");
    for a in args {
        push_bulk(buf, a);
    }
}

/// What a reply meant, detached from the read buffer.
enum Answer {
    Status,
    /// Its text is in [`Conn::error_text`].
    Error,
    Integer(i64),
}

struct Conn {
    stream: TcpStream,
    rbuf: Box<[u8]>,
    /// Unparsed replies: `rbuf[start..end]`.
    start: usize,
    end: usize,
    /// The last error reply's text (written only on the error path).
    error_text: String,
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        Conn { stream, rbuf: vec![0; READ_BUF].into_boxed_slice(), start: 0, end: 0, error_text: String::new() }
    }

    /// The next reply, reading as needed (each read bounded by the timeout).
    fn reply(&mut self) -> Result<Answer, String> {
        loop {
            match parse_reply(&self.rbuf[self.start..self.end]) {
                Ok(Some((reply, n))) => {
                    let answer = match reply {
                        Reply::Status(_) => Answer::Status,
                        Reply::Integer(v) => Answer::Integer(v),
                        Reply::Error(text) => {
                            self.error_text.clear();
                            self.error_text.push_str(&String::from_utf8_lossy(&text[..text.len().min(200)]));
                            Answer::Error
                        }
                    };
                    self.start += n;
                    return Ok(answer);
                }
                Ok(None) => {}
                Err(e) => return Err(e.to_string()),
            }
            // Incomplete: under MAX_REPLY_LINE bytes are pending, so after
            // moving them to the front there is room to read into.
            self.rbuf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            match self.stream.read(&mut self.rbuf[self.end..]) {
                Ok(0) => return Err("connection closed by the server".into()),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    return Err(format!("no reply within {} s", PEER_TIMEOUT.as_secs()))
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

pub struct RedisSink {
    opts: RedisOptions,
    conn: Option<Conn>,
    gate: ReconnectGate,
    /// Why the last connection attempt failed (for the fanout's warning).
    last_error: String,
    /// A refused AUTH/SELECT is logged once, not at every retry.
    handshake_reported: bool,
    /// `*3 $5 LPUSH $n key`: every record's command starts so.
    prefix: Vec<u8>,
    /// A batch of encoded commands, reused.
    wbuf: Vec<u8>,
}

impl RedisSink {
    pub fn new(opts: &RedisOptions) -> RedisSink {
        let mut prefix = b"*3\r\n".to_vec();
        push_bulk(&mut prefix, opts.mode.command());
        push_bulk(&mut prefix, opts.key.as_bytes());
        let mut s = RedisSink {
            opts: opts.clone(),
            conn: None,
            gate: ReconnectGate::default(),
            last_error: String::new(),
            handshake_reported: false,
            prefix,
            wbuf: Vec::with_capacity(1 << 16),
        };
        s.connect();
        s
    }

    fn connect(&mut self) {
        if !self.gate.open() {
            return;
        }
        match self.try_connect() {
            Ok(c) => {
                self.conn = Some(c);
                self.handshake_reported = false;
            }
            Err((msg, refused)) => {
                if refused && !self.handshake_reported {
                    tracing::error!(server = %self.opts.server, "redis refused the connection's setup: {msg}");
                    self.handshake_reported = true;
                }
                self.last_error = msg;
            }
        }
    }

    /// A connection, authenticated and on its database. `Err((why, refused))`:
    /// `refused` when the server answered AUTH or SELECT with an error.
    fn try_connect(&mut self) -> Result<Conn, (String, bool)> {
        let addrs = self.opts.server.to_socket_addrs().map_err(|e| (e.to_string(), false))?;
        let mut last = String::from("no address");
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, PEER_TIMEOUT) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = e.to_string(),
            }
        }
        let stream = stream.ok_or((last, false))?;
        let io = |e: std::io::Error| (e.to_string(), false);
        stream.set_read_timeout(Some(PEER_TIMEOUT)).map_err(io)?;
        stream.set_write_timeout(Some(PEER_TIMEOUT)).map_err(io)?;
        // Batches are written whole; Nagle would only delay the last bytes.
        stream.set_nodelay(true).map_err(io)?;
        let mut conn = Conn::new(stream);
        self.wbuf.clear();
        let mut setup = Vec::new();
        if let Some(pw) = &self.opts.password {
            match &self.opts.username {
                Some(user) => push_command(&mut self.wbuf, &[b"AUTH", user.as_bytes(), pw.as_bytes()]),
                None => push_command(&mut self.wbuf, &[b"AUTH", pw.as_bytes()]),
            }
            setup.push("AUTH");
        }
        if let Some(db) = self.opts.db {
            push_command(&mut self.wbuf, &[b"SELECT", db.to_string().as_bytes()]);
            setup.push("SELECT");
        }
        conn.stream.write_all(&self.wbuf).map_err(io)?;
        for cmd in setup {
            match conn.reply().map_err(|e| (e, false))? {
                Answer::Status => {}
                Answer::Error => return Err((format!("{cmd}: {}", conn.error_text), true)),
                Answer::Integer(_) => return Err((format!("{cmd}: unexpected integer reply"), false)),
            }
        }
        Ok(conn)
    }

    /// Sends `records` batch by batch; counts integer replies in `ok` and
    /// error replies in `rejected`. `Err`: the connection is unusable.
    fn send(&mut self, records: &Records<'_>, ok: &mut usize, rejected: &mut usize) -> Result<(), String> {
        let Some(conn) = self.conn.as_mut() else { return Err(self.last_error.clone()) };
        let mut first_error = None;
        for batch in records.ranges.chunks(self.opts.batch) {
            self.wbuf.clear();
            for r in batch {
                self.wbuf.extend_from_slice(&self.prefix);
                push_bulk(&mut self.wbuf, value(records.lines, r));
            }
            conn.stream.write_all(&self.wbuf).map_err(|e| e.to_string())?;
            for _ in batch {
                match conn.reply()? {
                    Answer::Integer(n) if n >= 0 => *ok += 1,
                    // Not about the record: the server wants an AUTH this
                    // sink was not configured with. Like a refused AUTH,
                    // an outage (the records are counted as peer_down).
                    Answer::Error if conn.error_text.starts_with("NOAUTH") => {
                        return Err(conn.error_text.clone());
                    }
                    Answer::Error => {
                        *rejected += 1;
                        first_error.get_or_insert_with(|| conn.error_text.clone());
                    }
                    Answer::Integer(_) | Answer::Status => {
                        return Err("a reply that is not a push's or PUBLISH's".into())
                    }
                }
            }
        }
        // Refused records are not a connection problem: the connection stays.
        if let Some(e) = first_error {
            self.last_error = e;
        }
        Ok(())
    }
}

/// A record's value: its line without the newline (as Suricata pushes it).
fn value<'a>(lines: &'a [u8], r: &Range<usize>) -> &'a [u8] {
    let line = lines.get(r.clone()).unwrap_or_default();
    line.strip_suffix(b"\n").unwrap_or(line)
}

impl Sink for RedisSink {
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError> {
        if self.conn.is_none() {
            self.connect();
        }
        let (mut ok, mut rejected) = (0, 0);
        let sent = self.send(records, &mut ok, &mut rejected);
        let at = |m: &str| format!("redis {}: {m}", self.opts.server);
        match sent {
            Ok(()) if rejected == 0 => Ok(0),
            Ok(()) => Err(SinkError {
                delivered: ok,
                reason: DropReason::WriteError,
                refused: 0,
                rejected,
                message: at(&self.last_error),
            }),
            Err(e) => {
                let message = at(&e);
                self.conn = None;
                self.last_error = e;
                // Records after the failing one were not answered: maybe
                // stored, maybe not; never resent, so never duplicated.
                Err(SinkError { delivered: ok, reason: DropReason::PeerDown, refused: 0, rejected, message })
            }
        }
    }

    /// Nothing is buffered: every batch is written and answered in `deliver`.
    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }

    fn up(&self) -> bool {
        self.conn.is_some()
    }
}

#[cfg(test)]
#[path = "redis_tests.rs"]
mod tests;
