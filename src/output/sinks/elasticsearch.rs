//! An `elasticsearch` sink: records POSTed in batches to `<url>/_bulk`
//! (`application/x-ndjson`), each as `{"create":{"_index":..,"_id":..}}`
//! and the record. The index comes from a pattern (`mirrorids-%Y.%m.%d`)
//! filled in with the record's own `timestamp`, in UTC.
//!
//! No duplicates: `_id` is a hash of the record's bytes (SHA-256, first
//! 128 bits in hex) and the action is `create`, so a record Elasticsearch
//! already stored (a request applied but whose answer was lost, a
//! delivery re-sent from the spool) answers 409 `version_conflict` the
//! second time and counts as delivered; the index holds it once. (Two
//! records with the very same bytes are one document; EVE records carry
//! a microsecond timestamp and flow id, so that does not happen.)
//!
//! Per item of the answer: 2xx and 409 delivered; 429 and 5xx sent again
//! (those items only) with backoff; any other status rejected
//! (`write_error`, mapping errors), its reason logged once. Whole-request
//! answers: 408/429/5xx and no answer retried, 413 halves the batch (a
//! single record is `too_large`), 400 rejects the batch, anything else
//! (401, 403, 404, a redirect) is an outage at once. When retries run out
//! the delivery reports the records before the first one not taken and
//! `peer_down` for the rest; re-sending those later is harmless (`create`).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::http::{self, Class, Client, Fate, HttpSettings, Ledger, RetryPolicy, Timestamp};
use super::{Records, Sink, SinkError};

/// `elasticsearch:` options of a `type: elasticsearch` sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ElasticsearchOptions {
    /// The cluster's base URL, `https://es.example:9200`; the sink posts
    /// to `<url>/_bulk`.
    pub url: String,
    /// Index name pattern: `%Y` `%m` `%d` `%H` are the record's UTC year,
    /// month, day and hour (from its `timestamp`; the current time when it
    /// has none), `%%` a `%`. Default `mirrorids-%Y.%m.%d`.
    pub index: String,
    /// An API key, sent as `Authorization: ApiKey <api_key>` (the encoded
    /// `id:key` form Elasticsearch returns).
    pub api_key: Option<String>,
    /// Basic authentication user (needs `password`; not with `api_key`).
    pub username: Option<String>,
    pub password: Option<String>,
    /// PEM file of the CA(s) to trust for `https` (default: the Mozilla roots).
    pub ca_file: Option<PathBuf>,
    /// gzip request bodies (`Content-Encoding: gzip`).
    pub gzip: bool,
    /// Records per bulk request, at most (default 500).
    pub max_records: usize,
    /// Bytes per bulk request before gzip, at most (default 5 MiB); a
    /// record whose two lines alone are larger is dropped as `too_large`.
    pub max_bytes: usize,
    /// One request's time limit, connecting included (seconds, default 10).
    pub timeout_secs: u64,
    /// Tries of a failed request (or of its failed items) after the
    /// first, at most (default 5).
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

impl Default for ElasticsearchOptions {
    fn default() -> Self {
        ElasticsearchOptions {
            url: String::new(),
            index: "mirrorids-%Y.%m.%d".into(),
            api_key: None,
            username: None,
            password: None,
            ca_file: None,
            gzip: false,
            max_records: 500,
            max_bytes: 5 << 20,
            timeout_secs: 10,
            max_retries: 5,
            max_retry_secs: 30,
            backoff_ms: 100,
            backoff_max_ms: 5000,
            proxy: None,
        }
    }
}

impl ElasticsearchOptions {
    pub fn validate(&self) -> Result<(), String> {
        http::validate_common("elasticsearch", &self.url, self.max_records, self.max_bytes, self.timeout_secs)?;
        check_index_pattern(&self.index)?;
        if self.username.is_some() != self.password.is_some() {
            return Err("elasticsearch.username and elasticsearch.password go together".into());
        }
        if self.api_key.is_some() && self.username.is_some() {
            return Err("elasticsearch.api_key and elasticsearch.username exclude each other".into());
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

/// Index names: lowercase, none of `\ / * ? " < > | , # :` or spaces, not
/// starting with `-`, `_` or `+`; only the known `%` codes.
fn check_index_pattern(p: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("elasticsearch.index \"{p}\": {why}"));
    if p.is_empty() {
        return bad("must not be empty");
    }
    if p.starts_with(['-', '_', '+']) {
        return bad("must not start with -, _ or +");
    }
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('Y' | 'm' | 'd' | 'H' | '%') => {}
                _ => return bad("only %Y %m %d %H and %% are known"),
            }
        } else if c.is_uppercase() || " \\/*?\"<>|,#:".contains(c) {
            return bad("index names are lowercase, without spaces or \\ / * ? \" < > | , # :");
        }
    }
    Ok(())
}

/// The index of a record of time `t` under pattern `p`.
pub fn index_name(p: &str, t: &Timestamp) -> String {
    let (y, m, d, h) = t.utc();
    let mut out = String::with_capacity(p.len() + 8);
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{y:04}")),
            Some('m') => out.push_str(&format!("{m:02}")),
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('H') => out.push_str(&format!("{h:02}")),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// A record's `_id`: the first 128 bits of SHA-256 of its bytes, in hex.
pub fn document_id(record: &[u8]) -> String {
    crate::util::hex_lower(&Sha256::digest(record)[..16], "")
}

/// One item of a bulk answer: its status and, when refused, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkItem {
    pub status: u16,
    pub reason: Option<String>,
}

#[derive(Deserialize)]
struct BulkResponse {
    items: Vec<std::collections::HashMap<String, ItemBody>>,
}

#[derive(Deserialize)]
struct ItemBody {
    status: u16,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// The items of a `_bulk` answer, in request order. `Err` unless it is
/// JSON with exactly `sent` items, each one action with a status.
pub fn parse_bulk_response(body: &[u8], sent: usize) -> Result<Vec<BulkItem>, String> {
    let r: BulkResponse = serde_json::from_slice(body).map_err(|e| format!("unreadable bulk answer: {e}"))?;
    if r.items.len() != sent {
        return Err(format!("bulk answer with {} items for {sent} records", r.items.len()));
    }
    r.items
        .into_iter()
        .map(|item| {
            let mut actions = item.into_values();
            match (actions.next(), actions.next()) {
                (Some(body), None) => Ok(BulkItem { status: body.status, reason: body.error.map(|e| error_text(&e)) }),
                _ => Err("a bulk answer item without exactly one action".to_string()),
            }
        })
        .collect()
}

/// `type: reason` of an item's error (or the error as it came, cut short).
fn error_text(e: &serde_json::Value) -> String {
    let field = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let text = match (field("type"), field("reason")) {
        ("", "") => e.to_string(),
        (t, r) => format!("{t}: {r}"),
    };
    text.chars().take(300).collect()
}

pub struct ElasticsearchSink {
    opts: ElasticsearchOptions,
    client: Client,
    bulk_url: String,
    /// The delivery's action and source lines, back to back; `spans[i]` is record i's.
    enc: Vec<u8>,
    spans: Vec<std::ops::Range<usize>>,
    body: Vec<u8>,
    ledger: Ledger,
    rejection_logged: bool,
}

impl ElasticsearchSink {
    pub fn new(opts: &ElasticsearchOptions) -> Result<ElasticsearchSink, String> {
        let mut headers = Vec::new();
        if let Some(key) = &opts.api_key {
            headers.push(("Authorization", format!("ApiKey {key}")));
        }
        if let (Some(u), Some(p)) = (&opts.username, &opts.password) {
            use base64::Engine;
            let cred = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            headers.push(("Authorization", format!("Basic {cred}")));
        }
        Ok(ElasticsearchSink {
            opts: opts.clone(),
            client: Client::new(&opts.settings(), headers)?,
            bulk_url: format!("{}/_bulk", http::base(&opts.url)),
            enc: Vec::new(),
            spans: Vec::new(),
            body: Vec::new(),
            ledger: Ledger::default(),
            rejection_logged: false,
        })
    }

    fn encode(&mut self, records: &Records<'_>) {
        self.enc.clear();
        self.spans.clear();
        let mut last_index: Option<((i64, u32, u32, u32), String)> = None;
        for (i, line) in records.iter().enumerate() {
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let start = self.enc.len();
            match http::record_time(line) {
                Err(e) => self.ledger.reject(i, || format!("record {i}: {e}")),
                Ok(time) => {
                    let t = time.unwrap_or_else(Timestamp::now);
                    let key = t.utc();
                    let index = match &last_index {
                        Some((k, name)) if *k == key => name.clone(),
                        _ => {
                            let name = index_name(&self.opts.index, &t);
                            last_index = Some((key, name.clone()));
                            name
                        }
                    };
                    let action =
                        format!("{{\"create\":{{\"_index\":\"{index}\",\"_id\":\"{}\"}}}}\n", document_id(line));
                    self.enc.extend_from_slice(action.as_bytes());
                    self.enc.extend_from_slice(line);
                    self.enc.push(b'\n');
                    if self.enc.len() - start > self.opts.max_bytes {
                        self.ledger.set(i, Fate::Refused);
                        self.enc.truncate(start);
                    }
                }
            }
            self.spans.push(start..self.enc.len());
        }
    }

    /// Sends the records `batch` (indices, in order) until each is settled
    /// or the retries run out (`Err`: the peer is down).
    fn send_batch(&mut self, batch: &[usize]) -> Result<(), String> {
        let mut work: VecDeque<Vec<usize>> = VecDeque::from([batch.to_vec()]);
        let mut backoff = self.client.backoff();
        while let Some(part) = work.pop_front() {
            if !self.client.may_try() {
                return Err("down, next try within a second".into());
            }
            self.body.clear();
            for &i in &part {
                self.body.extend_from_slice(&self.enc[self.spans[i].clone()]);
            }
            let reply = match self.client.post(&self.bulk_url, "application/x-ndjson", &[], &self.body) {
                Ok(r) => r,
                Err(e) => {
                    if self.client.wait(&mut backoff, None) {
                        work.push_front(part);
                        continue;
                    }
                    return Err(e);
                }
            };
            let what = || {
                format!("HTTP {}: {}", reply.status, String::from_utf8_lossy(&reply.body[..reply.body.len().min(300)]))
            };
            match http::classify(reply.status) {
                Class::Taken => {
                    let items = match parse_bulk_response(&reply.body, part.len()) {
                        Ok(items) => items,
                        // Re-sending is harmless: what was applied answers 409.
                        Err(e) => {
                            if self.client.wait(&mut backoff, None) {
                                work.push_front(part);
                                continue;
                            }
                            return Err(e);
                        }
                    };
                    let mut again = Vec::new();
                    let mut last_retry = 0;
                    for (&i, item) in part.iter().zip(&items) {
                        match item.status {
                            200..=299 | 409 => self.ledger.set(i, Fate::Delivered),
                            429 | 500..=599 => {
                                again.push(i);
                                last_retry = item.status;
                            }
                            status => {
                                let why =
                                    || format!("HTTP {status} for an item: {}", item.reason.as_deref().unwrap_or("-"));
                                if !self.rejection_logged {
                                    tracing::warn!(
                                        url = self.bulk_url,
                                        "elasticsearch rejected records (counted write_error): {}",
                                        why()
                                    );
                                    self.rejection_logged = true;
                                }
                                self.ledger.reject(i, why);
                            }
                        }
                    }
                    if again.is_empty() {
                        backoff = self.client.backoff();
                    } else if self.client.wait(&mut backoff, reply.retry_after) {
                        work.push_front(again);
                    } else {
                        return Err(format!("{} items still answered {last_retry} after the retries", again.len()));
                    }
                }
                Class::Retry => {
                    if self.client.wait(&mut backoff, reply.retry_after) {
                        work.push_front(part);
                        continue;
                    }
                    return Err(what());
                }
                Class::TooLarge if part.len() > 1 => {
                    let second = part[part.len() / 2..].to_vec();
                    let first = part[..part.len() / 2].to_vec();
                    work.push_front(second);
                    work.push_front(first);
                }
                Class::TooLarge => self.ledger.set(part[0], Fate::Refused),
                Class::Rejected => {
                    if !self.rejection_logged {
                        tracing::warn!(
                            url = self.bulk_url,
                            "elasticsearch rejected a bulk request (counted write_error): {}",
                            what()
                        );
                        self.rejection_logged = true;
                    }
                    for &i in &part {
                        self.ledger.reject(i, what);
                    }
                }
                Class::Fatal => return Err(what()),
            }
        }
        Ok(())
    }
}

impl Sink for ElasticsearchSink {
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
                return self.ledger.outcome(Some(format!("elasticsearch {}: {e}", self.bulk_url)));
            }
        }
        self.ledger.outcome(None).map_err(|mut e| {
            e.message = format!("elasticsearch {}: {}", self.bulk_url, e.message);
            e
        })
    }

    /// Nothing is buffered: every request is answered in `deliver`.
    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }

    fn up(&self) -> bool {
        self.client.up()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_come_from_the_record_time_in_utc() {
        let t = http::parse_timestamp("2024-01-01T00:30:00.000001+0100").unwrap();
        assert_eq!(index_name("mirrorids-%Y.%m.%d", &t), "mirrorids-2023.12.31");
        assert_eq!(index_name("eve-%Y%m%d%H-100%%", &t), "eve-2023123123-100%");
        assert!(check_index_pattern("mirrorids-%Y.%m.%d").is_ok());
        for bad in ["Mirror", "a b", "-x", "x-%j", "x%"] {
            assert!(check_index_pattern(bad).unwrap_err().contains("elasticsearch.index"), "{bad}");
        }
    }

    #[test]
    fn bulk_answers_parse_per_item_and_garbage_is_an_error() {
        let body = br#"{"took":3,"errors":true,"items":[
            {"create":{"_index":"i","_id":"a","status":201}},
            {"create":{"_index":"i","_id":"b","status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},
            {"create":{"_index":"i","_id":"c","status":400,"error":{"type":"mapper_parsing_exception","reason":"bad"}}}]}"#;
        let items = parse_bulk_response(body, 3).unwrap();
        assert_eq!(items.iter().map(|i| i.status).collect::<Vec<_>>(), [201, 409, 400]);
        assert_eq!(items[2].reason.as_deref(), Some("mapper_parsing_exception: bad"));
        assert!(parse_bulk_response(body, 2).is_err());
        assert!(parse_bulk_response(b"{\"items\":[{}]}", 1).is_err());
        assert!(parse_bulk_response(b"{\"items\":[{\"create\":{\"status\":70000}}]}", 1).is_err());
        assert!(parse_bulk_response(b"\xff\xfe", 0).is_err());
    }

    #[test]
    fn ids_are_stable_hashes() {
        assert_eq!(document_id(b"{}"), document_id(b"{}"));
        assert_ne!(document_id(b"{\"n\":1}"), document_id(b"{\"n\":2}"));
        assert_eq!(document_id(b"{}").len(), 32);
    }
}
