//! A `splunk_hec` sink: records POSTed in batches to Splunk's HTTP Event
//! Collector (`/services/collector/event`, `Authorization: Splunk <token>`),
//! each one in the envelope `{"time":..,"host":..,"source":..,
//! "sourcetype":"suricata","index":..,"event":<the EVE record>}`, with
//! `time` taken from the record's own `timestamp`.
//!
//! What an answer does to a batch:
//! - 2xx: delivered; with `ack: true` only once Splunk says the batch's
//!   `ackId` is indexed (polled on `/services/collector/ack` with the
//!   sink's channel). An ack that does not come within `ack_timeout_secs`
//!   gets the batch sent again, and from then on an ack of any of its
//!   sends settles it (a late ack of the first send counts). The one case
//!   where a record may reach Splunk twice: both sends indexed, as
//!   Splunk's own documentation says of acknowledgements.
//! - 408, 429, 5xx, no answer: sent again with backoff; once the retry
//!   budget is spent the rest of the delivery is `peer_down` (spooled
//!   when the sink has a spool), the batches before it delivered.
//! - 400 (HEC code 6, invalid data, with `invalid-event-number` n): the n
//!   records before it were indexed, that one is rejected (`write_error`)
//!   and the rest is sent again; other 400s and 422: the batch is rejected.
//! - 413: the batch is halved until it fits; a single record is `too_large`.
//! - anything else (bad token 401/403, wrong URL 404, a redirect, HEC
//!   channel errors): `peer_down` at once, no retry loop; the spool keeps
//!   the records until the configuration is fixed.
//!
//! Without acks a record is never sent again once Splunk answered 2xx for
//! it, and a batch is sent again only when no 2xx came back.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::http::{self, Class, Client, Fate, HttpSettings, Ledger, RetryPolicy};
use super::{Records, Sink, SinkError};

/// `splunk_hec:` options of a `type: splunk_hec` sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplunkHecOptions {
    /// The collector's base URL, `https://splunk.example:8088`; the sink
    /// posts to `<url>/services/collector/event`.
    pub url: String,
    /// The HEC token (sent as `Authorization: Splunk <token>`).
    pub token: String,
    /// Each event's `sourcetype`; default `suricata` (what Splunk's
    /// Suricata add-on expects).
    pub sourcetype: String,
    /// Each event's `source`; default `mirrorids`.
    pub source: String,
    /// Each event's `host`; default this machine's hostname.
    pub host: Option<String>,
    /// Each event's `index`; default none (the token's default index).
    pub index: Option<String>,
    /// Indexer acknowledgement (the token must have it enabled): records
    /// count as delivered only once Splunk acknowledges their batch.
    pub ack: bool,
    /// How long an acknowledgement is waited for before the batch is sent
    /// again (seconds, default 60).
    pub ack_timeout_secs: u64,
    /// Longest pause between two acknowledgement polls (ms, default 1000;
    /// the first polls come sooner).
    pub ack_poll_ms: u64,
    /// PEM file of the CA(s) to trust for `https` (default: the Mozilla roots).
    pub ca_file: Option<PathBuf>,
    /// gzip request bodies (`Content-Encoding: gzip`).
    pub gzip: bool,
    /// Records per request, at most (default 500).
    pub max_records: usize,
    /// Bytes per request before gzip, at most (default 1 MiB); a record
    /// whose envelope alone is larger is dropped as `too_large`.
    pub max_bytes: usize,
    /// One request's time limit, connecting included (seconds, default 10).
    pub timeout_secs: u64,
    /// Tries of a failed request after the first, at most (default 5).
    pub max_retries: u32,
    /// No retry starts later than this after the first try (seconds, default 30).
    pub max_retry_secs: u64,
    /// First backoff ceiling (ms, default 100): the wait before retry k is
    /// uniform in 0..=min(backoff_ms * 2^k, backoff_max_ms) (full jitter),
    /// or the answer's `Retry-After` when longer.
    pub backoff_ms: u64,
    /// Largest backoff ceiling (ms, default 5000).
    pub backoff_max_ms: u64,
    /// An HTTP proxy (`http://proxy:3128`, reached with CONNECT), or `none`
    /// for a direct connection. Unset: the environment's `HTTPS_PROXY`,
    /// `HTTP_PROXY` or `ALL_PROXY` (either case) with `NO_PROXY`, as curl.
    pub proxy: Option<String>,
}

impl Default for SplunkHecOptions {
    fn default() -> Self {
        SplunkHecOptions {
            url: String::new(),
            token: String::new(),
            sourcetype: "suricata".into(),
            source: "mirrorids".into(),
            host: None,
            index: None,
            ack: false,
            ack_timeout_secs: 60,
            ack_poll_ms: 1000,
            ca_file: None,
            gzip: false,
            max_records: 500,
            max_bytes: 1 << 20,
            timeout_secs: 10,
            max_retries: 5,
            max_retry_secs: 30,
            backoff_ms: 100,
            backoff_max_ms: 5000,
            proxy: None,
        }
    }
}

impl SplunkHecOptions {
    pub fn validate(&self) -> Result<(), String> {
        http::validate_common("splunk_hec", &self.url, self.max_records, self.max_bytes, self.timeout_secs)?;
        if self.token.is_empty() {
            return Err("splunk_hec.token must be set".into());
        }
        if self.sourcetype.is_empty() {
            return Err("splunk_hec.sourcetype must not be empty".into());
        }
        if self.ack && (self.ack_timeout_secs == 0 || self.ack_poll_ms == 0) {
            return Err("splunk_hec.ack_timeout_secs and splunk_hec.ack_poll_ms must be positive".into());
        }
        Ok(())
    }

    fn settings(&self) -> HttpSettings {
        HttpSettings {
            ca_file: self.ca_file.clone(),
            timeout: Duration::from_secs(self.timeout_secs),
            gzip: self.gzip,
            proxy: self.proxy.clone(),
            retry: RetryPolicy {
                max_retries: self.max_retries,
                max_retry: Duration::from_secs(self.max_retry_secs),
                backoff: Duration::from_millis(self.backoff_ms),
                backoff_max: Duration::from_millis(self.backoff_max_ms.max(self.backoff_ms)),
            },
        }
    }
}

/// What HEC answered a POST of events (the fields this sink reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct HecResponse {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default, rename = "ackId")]
    pub ack_id: Option<u64>,
    #[serde(default, rename = "invalid-event-number")]
    pub invalid_event_number: Option<u64>,
}

/// HEC's answer to events; garbage reads as an empty answer.
pub fn parse_hec_response(body: &[u8]) -> HecResponse {
    serde_json::from_slice(body).unwrap_or_default()
}

#[derive(Deserialize)]
struct AckResponse {
    acks: std::collections::HashMap<String, bool>,
}

/// Whether any of `ids` is acknowledged in an `/services/collector/ack`
/// answer (`{"acks":{"7":true}}`); garbage reads as not yet.
pub fn parse_ack_response(body: &[u8], ids: &[u64]) -> bool {
    serde_json::from_slice::<AckResponse>(body)
        .is_ok_and(|r| r.acks.iter().any(|(k, &v)| v && k.trim().parse::<u64>().is_ok_and(|k| ids.contains(&k))))
}

pub struct SplunkHecSink {
    opts: SplunkHecOptions,
    client: Client,
    event_url: String,
    ack_url: String,
    channel: String,
    /// `"host":..,"source":..,"sourcetype":..,"index":..,"event":` of every envelope.
    fields: Vec<u8>,
    /// The delivery's envelopes, back to back; `spans[i]` is record i's.
    enc: Vec<u8>,
    spans: Vec<std::ops::Range<usize>>,
    body: Vec<u8>,
    ledger: Ledger,
    /// A rejection or missing ackId is logged once, not per batch.
    rejection_logged: bool,
    no_ack_logged: bool,
}

impl SplunkHecSink {
    pub fn new(opts: &SplunkHecOptions) -> Result<SplunkHecSink, String> {
        let headers = vec![("Authorization", format!("Splunk {}", opts.token))];
        let mut client = Client::new(&opts.settings(), headers)?;
        let channel = uuid_like(&mut client);
        let host = opts.host.clone().unwrap_or_else(hostname);
        let json = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        let mut fields = format!(
            "\"host\":{},\"source\":{},\"sourcetype\":{}",
            json(&host),
            json(&opts.source),
            json(&opts.sourcetype)
        );
        if let Some(index) = &opts.index {
            fields.push_str(&format!(",\"index\":{}", json(index)));
        }
        fields.push_str(",\"event\":");
        let base = http::base(&opts.url);
        Ok(SplunkHecSink {
            opts: opts.clone(),
            client,
            event_url: format!("{base}/services/collector/event"),
            ack_url: format!("{base}/services/collector/ack"),
            channel,
            fields: fields.into_bytes(),
            enc: Vec::new(),
            spans: Vec::new(),
            body: Vec::new(),
            ledger: Ledger::default(),
            rejection_logged: false,
            no_ack_logged: false,
        })
    }

    /// Envelopes every record; ones that are not JSON objects are rejected,
    /// ones too large for a request refused.
    fn encode(&mut self, records: &Records<'_>) {
        self.enc.clear();
        self.spans.clear();
        for (i, line) in records.iter().enumerate() {
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let start = self.enc.len();
            match http::record_time(line) {
                Err(e) => self.ledger.reject(i, || format!("record {i}: {e}")),
                Ok(time) => {
                    self.enc.push(b'{');
                    if let Some(t) = time {
                        self.enc.extend_from_slice(format!("\"time\":{}.{:06},", t.secs, t.micros).as_bytes());
                    }
                    self.enc.extend_from_slice(&self.fields);
                    self.enc.extend_from_slice(line);
                    self.enc.extend_from_slice(b"}\n");
                    if self.enc.len() - start > self.opts.max_bytes {
                        self.ledger.set(i, Fate::Refused);
                        self.enc.truncate(start);
                    }
                }
            }
            self.spans.push(start..self.enc.len());
        }
    }

    /// Sends the records `batch` (indices, in order), settling each in the
    /// ledger. `Err`: the peer is down; the rest stays pending.
    fn send_batch(&mut self, batch: &[usize]) -> Result<(), String> {
        let mut work = VecDeque::from([(0, batch.len())]);
        let mut backoff = self.client.backoff();
        // The ackIds Splunk gave the part being sent: after an ack timeout
        // the part is sent again, and a late ack of an earlier send proves
        // it indexed as well as the new one's does.
        let mut ack_ids: Vec<u64> = Vec::new();
        let mut ack_part = (0, 0);
        while let Some((a, b)) = work.pop_front() {
            let part = &batch[a..b];
            if ack_part != (a, b) {
                ack_ids.clear();
                ack_part = (a, b);
            }
            if !self.client.may_try() {
                return Err("down, next try within a second".into());
            }
            self.body.clear();
            for &i in part {
                self.body.extend_from_slice(&self.enc[self.spans[i].clone()]);
            }
            let extra = [("X-Splunk-Request-Channel", self.channel.as_str())];
            let reply = match self.client.post(&self.event_url, "application/json", &extra, &self.body) {
                Ok(r) => r,
                Err(e) => {
                    if self.client.wait(&mut backoff, None) {
                        work.push_front((a, b));
                        continue;
                    }
                    return Err(e);
                }
            };
            let answer = parse_hec_response(&reply.body);
            let what = || {
                let text = answer.text.as_deref().unwrap_or("");
                format!("HTTP {} code {} {text}", reply.status, answer.code.map_or("-".into(), |c| c.to_string()))
            };
            match http::classify(reply.status) {
                Class::Taken => {
                    let unacked = match answer.ack_id {
                        Some(id) if self.opts.ack => {
                            ack_ids.push(id);
                            (!self.acknowledged(&ack_ids)).then_some(id)
                        }
                        None if self.opts.ack && !self.no_ack_logged => {
                            tracing::warn!(url = self.event_url, "ack: true but HEC sent no ackId (acknowledgement disabled on the token?): records count as delivered on the 2xx");
                            self.no_ack_logged = true;
                            None
                        }
                        _ => None,
                    };
                    if let Some(id) = unacked {
                        if self.client.wait(&mut backoff, None) {
                            work.push_front((a, b));
                            continue;
                        }
                        return Err(format!("ack {id} not granted within {} s", self.opts.ack_timeout_secs));
                    }
                    for &i in part {
                        self.ledger.set(i, Fate::Delivered);
                    }
                    backoff = self.client.backoff();
                }
                Class::Retry => {
                    if self.client.wait(&mut backoff, reply.retry_after) {
                        work.push_front((a, b));
                        continue;
                    }
                    return Err(what());
                }
                Class::TooLarge if part.len() > 1 => {
                    let mid = a + part.len() / 2;
                    work.push_front((mid, b));
                    work.push_front((a, mid));
                }
                Class::TooLarge => self.ledger.set(part[0], Fate::Refused),
                // HEC channel errors: a configuration problem, not the data's.
                Class::Rejected if matches!(answer.code, Some(10 | 11)) => return Err(what()),
                Class::Rejected => {
                    let bad =
                        answer.invalid_event_number.and_then(|n| usize::try_from(n).ok()).filter(|&n| n < part.len());
                    let (ok, bad) = match bad {
                        Some(n) if answer.code == Some(6) => (n, n + 1),
                        _ => (0, part.len()),
                    };
                    for &i in &part[..ok] {
                        self.ledger.set(i, Fate::Delivered);
                    }
                    for &i in &part[ok..bad] {
                        self.ledger.reject(i, what);
                    }
                    if !self.rejection_logged {
                        tracing::warn!(url = self.event_url, "HEC rejected records (counted write_error): {}", what());
                        self.rejection_logged = true;
                    }
                    if a + bad < b {
                        work.push_front((a + bad, b));
                    }
                }
                Class::Fatal => return Err(what()),
            }
        }
        Ok(())
    }

    /// Polls until one of `ids` is acknowledged (`true`) or
    /// `ack_timeout_secs` passed.
    fn acknowledged(&mut self, ids: &[u64]) -> bool {
        let deadline = Instant::now() + Duration::from_secs(self.opts.ack_timeout_secs);
        let longest = Duration::from_millis(self.opts.ack_poll_ms);
        let mut pause = Duration::from_millis(20).min(longest);
        let body = serde_json::json!({ "acks": ids }).to_string();
        loop {
            std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
            pause = (pause * 2).min(longest);
            let extra = [("X-Splunk-Request-Channel", self.channel.as_str())];
            if let Ok(r) = self.client.post(&self.ack_url, "application/json", &extra, body.as_bytes()) {
                if http::classify(r.status) == Class::Taken && parse_ack_response(&r.body, ids) {
                    return true;
                }
            }
            if Instant::now() >= deadline {
                return false;
            }
        }
    }
}

impl Sink for SplunkHecSink {
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError> {
        let n = records.ranges.len();
        self.ledger.reset(n);
        self.encode(records);
        let mut batch = Vec::new();
        let mut i = 0;
        let limits = (self.opts.max_records, self.opts.max_bytes);
        while self.ledger.next_batch(&self.spans, &mut i, limits, &mut batch) {
            if let Err(e) = self.send_batch(&batch) {
                self.client.mark_down();
                return self.ledger.outcome(Some(format!("splunk_hec {}: {e}", self.event_url)));
            }
        }
        self.ledger.outcome(None).map_err(|mut e| {
            e.message = format!("splunk_hec {}: {}", self.event_url, e.message);
            e
        })
    }

    /// Nothing is buffered: every batch is answered in `deliver`.
    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }

    fn up(&self) -> bool {
        self.client.up()
    }
}

/// A random channel id shaped as a UUID (HEC wants one per client).
fn uuid_like(c: &mut Client) -> String {
    let (a, b) = (c.random(u64::MAX), c.random(u64::MAX));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "mirrorids".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_and_garbage_is_empty() {
        let r = parse_hec_response(br#"{"text":"Success","code":0,"ackId":7}"#);
        assert_eq!((r.code, r.ack_id), (Some(0), Some(7)));
        let r = parse_hec_response(br#"{"text":"Invalid data format","code":6,"invalid-event-number":3}"#);
        assert_eq!((r.code, r.invalid_event_number), (Some(6), Some(3)));
        assert_eq!(parse_hec_response(b"<html>502</html>"), HecResponse::default());
        assert_eq!(parse_hec_response(br#"{"ackId":-1}"#), HecResponse::default());
        assert!(parse_ack_response(br#"{"acks":{"7":true,"8":false}}"#, &[7]));
        assert!(!parse_ack_response(br#"{"acks":{"7":true,"8":false}}"#, &[8]));
        assert!(parse_ack_response(br#"{"acks":{"7":true,"8":false}}"#, &[8, 7]));
        assert!(!parse_ack_response(br#"{"acks":{"7":true}}"#, &[]));
        assert!(!parse_ack_response(br#"{"acks":[7]}"#, &[7]));
    }

    #[test]
    fn validation_names_the_field() {
        let mut o = SplunkHecOptions { url: "https://splunk:8088".into(), token: "t".into(), ..Default::default() };
        assert_eq!(o.validate(), Ok(()));
        o.token.clear();
        assert!(o.validate().unwrap_err().contains("splunk_hec.token"));
        o.token = "t".into();
        o.url = "splunk:8088".into();
        assert!(o.validate().unwrap_err().contains("splunk_hec.url"));
    }
}
