//! The transport the HTTP push sinks share ([`super::splunk_hec`] and
//! [`super::elasticsearch`]): one blocking `ureq` agent per sink (it runs
//! on the sink's own thread, keep-alive, rustls with the ring provider),
//! optional gzip of request bodies, retries with exponential backoff and
//! full jitter bounded in tries and in total time, and the ledger that
//! turns what the peer answered record by record into the [`Sink`]
//! contract's ordered prefix.
//!
//! Once a delivery has spent its retries the peer counts as down: later
//! deliveries try it once (no retries) at most once a second
//! ([`ReconnectGate`]) and fail at once in between, so an outage neither
//! blocks the sink's thread for the whole retry budget per block nor
//! floods the peer; the first answer puts it back up.
//!
//! Responses are read to at most [`MAX_RESPONSE`] bytes; the formats'
//! parsers take whatever JSON (or garbage) they get without panicking.
//!
//! [`Sink`]: super::Sink

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{DropReason, ReconnectGate, SinkError};
use crate::util::time::{civil_from_days, parse_eve_micros};

/// Longest response body read; a longer one counts as a failed request.
pub const MAX_RESPONSE: u64 = 8 << 20;
/// Bodies shorter than this are sent as they are even with gzip on.
const GZIP_FROM: usize = 512;

/// Transport settings, taken from a format's options.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
    pub gzip: bool,
    pub proxy: Option<String>,
    pub retry: RetryPolicy,
}

/// How failed requests are tried again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries after the first one, at most.
    pub max_retries: u32,
    /// Time from the first try after which no new one starts.
    pub max_retry: Duration,
    /// The first backoff's ceiling; it doubles at each retry.
    pub backoff: Duration,
    /// The largest backoff ceiling.
    pub backoff_max: Duration,
}

/// An answer: status, body (at most [`MAX_RESPONSE`] bytes) and the
/// `Retry-After` delay when there is one (in seconds, as HEC and ES send it).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub retry_after: Option<Duration>,
}

/// What an HTTP status means for the records of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// 2xx: taken (formats look at the body for more).
    Taken,
    /// 408, 429, 5xx: try again later.
    Retry,
    /// 413: the request is too large (split it; a single record is too_large).
    TooLarge,
    /// 400, 422: the data is refused and always will be.
    Rejected,
    /// Anything else (3xx, 401, 403, 404...): a configuration problem, an
    /// outage for the records (kept by the spool), never retried in a loop.
    Fatal,
}

pub fn classify(status: u16) -> Class {
    match status {
        200..=299 => Class::Taken,
        408 | 429 | 500..=599 => Class::Retry,
        413 => Class::TooLarge,
        400 | 422 => Class::Rejected,
        _ => Class::Fatal,
    }
}

/// A sink's HTTP client and whether its peer is up.
pub struct Client {
    agent: ureq::Agent,
    gzip: bool,
    /// Sent with every request (authorization...).
    headers: Vec<(&'static str, String)>,
    retry: RetryPolicy,
    gate: ReconnectGate,
    up: bool,
    rng: u64,
    zbuf: Vec<u8>,
}

impl Client {
    pub fn new(s: &HttpSettings, headers: Vec<(&'static str, String)>) -> Result<Client, String> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(path) = &s.ca_file {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&read_ca(path)?));
        }
        let proxy = match s.proxy.as_deref().map(str::trim) {
            // A sensor under systemd gets the proxy variables of its unit's
            // Environment=, as curl would read them.
            None => ureq::Proxy::try_from_env(),
            Some("" | "none") => None,
            Some(p) => Some(ureq::Proxy::new(p).map_err(|e| format!("proxy \"{p}\": {e}"))?),
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(proxy)
            .tls_config(tls.build())
            .timeout_global(Some(s.timeout))
            .timeout_connect(Some(s.timeout.min(super::PEER_TIMEOUT)))
            .user_agent(concat!("mirrorids/", env!("CARGO_PKG_VERSION")))
            .build();
        let seed = Instant::now().elapsed().as_nanos() as u64
            ^ std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()).rotate_left(32);
        Ok(Client {
            agent: config.into(),
            gzip: s.gzip,
            headers,
            retry: s.retry,
            gate: ReconnectGate::default(),
            up: true,
            rng: seed | 1,
            zbuf: Vec::new(),
        })
    }

    /// Whether the peer took the last request (or none was made yet).
    pub fn up(&self) -> bool {
        self.up
    }

    /// The peer is down: until it answers, one try a second and no retries.
    pub fn mark_down(&mut self) {
        if self.up {
            self.up = false;
            self.gate = ReconnectGate::tried_now();
        }
    }

    /// A fresh retry budget for one request (none while the peer is down).
    pub fn backoff(&self) -> Backoff {
        let mut policy = self.retry;
        if !self.up {
            policy.max_retries = 0;
        }
        Backoff { policy, tries: 0, started: Instant::now() }
    }

    /// Whether a request may go out now: always while up, once a second while down.
    pub fn may_try(&mut self) -> bool {
        self.up || self.gate.open()
    }

    /// A uniform random number in `0..=n` (for jitter and channel ids).
    pub fn random(&mut self, n: u64) -> u64 {
        // xorshift64*: plenty for jitter.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d);
        if n == u64::MAX {
            r
        } else {
            r % (n + 1)
        }
    }

    /// One POST. `Err`: no answer (connection, timeout, an unreadable or
    /// oversized body). Any HTTP answer is `Ok`, and puts the peer back up
    /// when it is not a retry or fatal one.
    pub fn post(
        &mut self,
        url: &str,
        content_type: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, String> {
        let mut req = self.agent.post(url).header("Content-Type", content_type);
        for (k, v) in &self.headers {
            req = req.header(*k, v.as_str());
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let sent = if self.gzip && body.len() >= GZIP_FROM {
            self.zbuf.clear();
            let mut z = flate2::write::GzEncoder::new(std::mem::take(&mut self.zbuf), flate2::Compression::fast());
            z.write_all(body).map_err(|e| e.to_string())?;
            self.zbuf = z.finish().map_err(|e| e.to_string())?;
            req.header("Content-Encoding", "gzip").send(&self.zbuf[..])
        } else {
            req.send(body)
        };
        let mut resp = sent.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(3600)));
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| format!("reading the answer ({status}): {e}"))?;
        if matches!(classify(status), Class::Taken | Class::Rejected | Class::TooLarge) {
            self.up = true;
        }
        Ok(Reply { status, body, retry_after })
    }

    /// Sleeps before the next try of `b`; `false` when its budget is spent.
    pub fn wait(&mut self, b: &mut Backoff, retry_after: Option<Duration>) -> bool {
        let p = b.policy;
        let elapsed = b.started.elapsed();
        if b.tries >= p.max_retries || elapsed >= p.max_retry {
            return false;
        }
        let ceiling = p.backoff.saturating_mul(1 << b.tries.min(20)).min(p.backoff_max);
        // Full jitter: uniform in 0..=ceiling.
        let ms = self.random(ceiling.as_millis() as u64);
        let delay = Duration::from_millis(ms).max(retry_after.unwrap_or_default());
        std::thread::sleep(delay.min(p.max_retry - elapsed));
        b.tries += 1;
        true
    }
}

/// One request's retry budget (see [`Client::wait`]).
#[derive(Debug)]
pub struct Backoff {
    policy: RetryPolicy,
    tries: u32,
    started: Instant,
}

fn read_ca(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("ca_file {}: {e}", path.display()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => return Err(format!("ca_file {}: {e}", path.display())),
        }
    }
    if certs.is_empty() {
        return Err(format!("ca_file {}: no certificate in it", path.display()));
    }
    Ok(certs)
}

/// Checks the options every HTTP sink has; `kind` names the block.
pub fn validate_common(
    kind: &str,
    url: &str,
    max_records: usize,
    max_bytes: usize,
    timeout_secs: u64,
) -> Result<(), String> {
    let scheme_ok = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).is_some_and(|h| !h.is_empty());
    if !scheme_ok {
        return Err(format!("{kind}.url must be http://host[:port] or https://host[:port], not \"{url}\""));
    }
    if max_records == 0 {
        return Err(format!("{kind}.max_records must be positive"));
    }
    if max_bytes < 1024 {
        return Err(format!("{kind}.max_bytes must be at least 1024, not {max_bytes}"));
    }
    if timeout_secs == 0 {
        return Err(format!("{kind}.timeout_secs must be positive"));
    }
    Ok(())
}

/// A URL without its trailing slashes, for appending an endpoint path.
pub fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// What became of each record of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Pending,
    Delivered,
    /// Too large for a request (`too_large`).
    Refused,
    /// Refused by the peer or not a JSON object (`write_error`).
    Rejected,
}

/// The fates of one delivery's records, and the [`super::Sink::deliver`]
/// result they make: the settled prefix up to the first pending record.
#[derive(Debug, Default)]
pub struct Ledger {
    pub fates: Vec<Fate>,
    /// The first rejection's reason, for the delivery's message.
    pub first_rejection: Option<String>,
}

impl Ledger {
    /// Fills `batch` with the next pending records from `*from` on, at
    /// most `max_records` of them and `max_bytes` of `spans` (a record
    /// alone is always taken): the batching both HTTP sinks deliver with.
    /// False when none is left.
    pub fn next_batch(
        &self,
        spans: &[std::ops::Range<usize>],
        from: &mut usize,
        (max_records, max_bytes): (usize, usize),
        batch: &mut Vec<usize>,
    ) -> bool {
        batch.clear();
        let mut bytes = 0;
        while *from < self.fates.len() && batch.len() < max_records {
            let i = *from;
            if self.fates[i] != Fate::Pending {
                *from += 1;
                continue;
            }
            let len = spans.get(i).map_or(0, |r| r.len());
            if !batch.is_empty() && bytes + len > max_bytes {
                break;
            }
            bytes += len;
            batch.push(i);
            *from += 1;
        }
        !batch.is_empty()
    }

    pub fn reset(&mut self, n: usize) {
        self.fates.clear();
        self.fates.resize(n, Fate::Pending);
        self.first_rejection = None;
    }

    pub fn set(&mut self, i: usize, fate: Fate) {
        if let Some(f) = self.fates.get_mut(i) {
            *f = fate;
        }
    }

    pub fn reject(&mut self, i: usize, why: impl FnOnce() -> String) {
        self.set(i, Fate::Rejected);
        if self.first_rejection.is_none() {
            self.first_rejection = Some(why());
        }
    }

    /// `stopped`: why records are still pending (the peer is down).
    pub fn outcome(&self, stopped: Option<String>) -> Result<usize, SinkError> {
        let prefix = self.fates.iter().position(|&f| f == Fate::Pending).unwrap_or(self.fates.len());
        let count = |fate| self.fates[..prefix].iter().filter(|&&f| f == fate).count();
        let (delivered, refused, rejected) = (count(Fate::Delivered), count(Fate::Refused), count(Fate::Rejected));
        if prefix < self.fates.len() {
            let message = stopped.unwrap_or_else(|| "not delivered".into());
            return Err(SinkError { delivered, reason: DropReason::PeerDown, refused, rejected, message });
        }
        if rejected == 0 {
            return Ok(refused);
        }
        let message = self.first_rejection.clone().unwrap_or_default();
        Err(SinkError { delivered, reason: DropReason::WriteError, refused, rejected, message })
    }
}

/// A record's time, from its `timestamp` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since the epoch, UTC.
    pub secs: i64,
    pub micros: u32,
}

impl Timestamp {
    /// `(year, month, day, hour)` in UTC.
    pub fn utc(&self) -> (i64, u32, u32, u32) {
        let days = self.secs.div_euclid(86_400);
        let hour = (self.secs.rem_euclid(86_400) / 3600) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, hour)
    }

    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Timestamp { secs: d.as_secs() as i64, micros: d.subsec_micros() }
    }
}

/// The parts of a record these sinks read: `timestamp`, and (by parsing
/// the whole line) that it is one JSON object.
#[derive(serde::Deserialize)]
struct RecordHead<'a> {
    #[serde(borrow, default)]
    timestamp: Option<std::borrow::Cow<'a, str>>,
}

/// `Err` when the line is not a JSON object; else its timestamp, if it
/// has a valid one.
pub fn record_time(line: &[u8]) -> Result<Option<Timestamp>, String> {
    let head: RecordHead<'_> = serde_json::from_slice(line).map_err(|e| format!("not a JSON object: {e}"))?;
    Ok(head.timestamp.as_deref().and_then(parse_timestamp))
}

/// An EVE timestamp (see [`parse_eve_micros`]) as seconds and microseconds.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let us = parse_eve_micros(s)?;
    Some(Timestamp { secs: us.div_euclid(1_000_000), micros: us.rem_euclid(1_000_000) as u32 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::time::days_from_civil;

    #[test]
    fn timestamps_convert_their_offset_to_utc() {
        let t = parse_timestamp("2024-01-02T03:04:05.123456+0000").unwrap();
        assert_eq!((t.secs, t.micros), (1_704_164_645, 123_456));
        assert_eq!(t.utc(), (2024, 1, 2, 3));
        let t = parse_timestamp("2024-01-01T00:30:00.5+0100").unwrap();
        assert_eq!((t.utc(), t.micros), ((2023, 12, 31, 23), 500_000));
        let t = parse_timestamp("2024-02-29T22:00:00-05:00").unwrap();
        assert_eq!(t.utc(), (2024, 3, 1, 3));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z").unwrap().secs, 0);
        for bad in ["", "2024-01-02", "2024-13-02T03:04:05+0000", "2024-01-02T03:04:05+01", "2024-01-02T03:04:05.+0000"]
        {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
        for days in [-800_000, -1, 0, 19_723, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn the_ledger_reports_the_settled_prefix() {
        let mut l = Ledger::default();
        l.reset(5);
        l.set(0, Fate::Delivered);
        l.set(1, Fate::Refused);
        l.reject(2, || "mapping".into());
        l.set(4, Fate::Delivered);
        let e = l.outcome(Some("down".into())).unwrap_err();
        assert_eq!((e.delivered, e.refused, e.rejected, e.reason), (1, 1, 1, DropReason::PeerDown));
        l.set(3, Fate::Delivered);
        let e = l.outcome(None).unwrap_err();
        assert_eq!((e.delivered, e.rejected, e.reason, e.message.as_str()), (3, 1, DropReason::WriteError, "mapping"));
        l.reset(2);
        l.set(0, Fate::Refused);
        l.set(1, Fate::Delivered);
        assert_eq!(l.outcome(None).unwrap(), 1);
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(201), Class::Taken);
        assert_eq!(classify(429), Class::Retry);
        assert_eq!(classify(503), Class::Retry);
        assert_eq!(classify(413), Class::TooLarge);
        assert_eq!(classify(400), Class::Rejected);
        assert_eq!(classify(403), Class::Fatal);
        assert_eq!(classify(301), Class::Fatal);
    }
}
