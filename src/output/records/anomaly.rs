//! EVE `anomaly` records: decode, stream and application-layer events,
//! with Suricata 8's names and fields (`anomaly.type`, `event`, `layer`,
//! `app_proto`, `tx_id` for parser events of a transaction).
//!
//! Mirroring makes some of them routine (a copy cut at the target's MTU is
//! a truncated packet, the stream behind it has a gap), so besides
//! Suricata's per-kind switches the options carry a per-kind rate limit,
//! applied by [`AnomalyLimiter`] before a record is formatted, with what it
//! held back counted.

use serde::{Deserialize, Serialize};

use super::{end, push_u64, Header};
use crate::flow::Flow;
use crate::output::EveConfig;
use crate::util::json::{push_key, push_str};
use crate::util::Timestamp;

/// Which anomalies are logged (Suricata's `anomaly.types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnomalyTypes {
    /// Packets that did not decode, or decoded with a problem (a truncated
    /// copy, a transport header cut short).
    pub decode: bool,
    /// TCP stream events: gaps, overlaps with different data, depth and
    /// memory limits.
    pub stream: bool,
    /// Protocol detection and parser events (malformed HTTP, TLS, DNS).
    pub applayer: bool,
}

impl Default for AnomalyTypes {
    fn default() -> Self {
        AnomalyTypes { decode: true, stream: true, applayer: true }
    }
}

/// Options of `anomaly` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnomalyLogConfig {
    pub enabled: bool,
    pub types: AnomalyTypes,
    /// Records per second of packet time each worker may write per kind
    /// (decode, stream, applayer); 0 = unlimited (Suricata's behaviour).
    /// What is held back is counted (`mirrorids.anomalies_suppressed`).
    pub rate_limit: u32,
    /// Records a kind may write at once before `rate_limit` applies.
    pub burst: u32,
}

impl Default for AnomalyLogConfig {
    /// A mirror target's: every kind, so that truncated copies and the gaps
    /// they leave are visible, at most 10 per second and kind per worker
    /// after a burst of 100, so that a session mirrored through a small MTU
    /// does not turn every packet into a record.
    fn default() -> Self {
        AnomalyLogConfig { enabled: true, types: AnomalyTypes::default(), rate_limit: 10, burst: 100 }
    }
}

impl AnomalyLogConfig {
    /// Suricata's defaults: application-layer events only, unlimited.
    pub fn suricata() -> Self {
        AnomalyLogConfig {
            enabled: true,
            types: AnomalyTypes { decode: false, stream: false, applayer: true },
            rate_limit: 0,
            burst: 0,
        }
    }

    /// Whether events of this kind are logged.
    pub fn logs(&self, kind: Kind) -> bool {
        self.enabled
            && match kind {
                Kind::Decode => self.types.decode,
                Kind::Stream => self.types.stream,
                Kind::AppParser | Kind::AppDetect => self.types.applayer,
            }
    }
}

/// What an anomaly is about: EVE's `anomaly.type` (and `layer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Decode,
    Stream,
    /// An application-layer parser's event (`layer: proto_parser`).
    AppParser,
    /// Protocol detection's event (`layer: proto_detect`).
    AppDetect,
}

impl Kind {
    /// The rate-limit bucket: decode, stream, applayer.
    pub fn bucket(self) -> usize {
        match self {
            Kind::Decode => 0,
            Kind::Stream => 1,
            Kind::AppParser | Kind::AppDetect => 2,
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Kind::Decode => "decode",
            Kind::Stream => "stream",
            Kind::AppParser | Kind::AppDetect => "applayer",
        }
    }

    fn layer(self) -> Option<&'static str> {
        match self {
            Kind::AppParser => Some("proto_parser"),
            Kind::AppDetect => Some("proto_detect"),
            Kind::Decode | Kind::Stream => None,
        }
    }
}

/// The names of the rate-limit buckets, for counters.
pub const BUCKETS: [&str; 3] = ["decode", "stream", "applayer"];

/// One anomaly as a record shows it.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub kind: Kind,
    /// Suricata's event name (`decoder.ipv4.trunc_pkt`, `RESPONSE_HEADER_REPETITION`).
    pub event: &'a str,
    /// The flow's application protocol (application-layer events).
    pub app_proto: Option<&'a str>,
    /// The transaction of a parser event, where the protocol has them.
    pub tx_id: Option<u64>,
    /// Bytes a truncated copy lacks (our extension).
    pub bytes_missing: u32,
}

/// Appends one `anomaly` record after `h` (the packet's or the flow's
/// header). `flow` adds our extension object for tunnelled flows.
pub fn write_record(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, ev: &Event<'_>, flow: Option<&Flow>) {
    h.write(out, eve);
    if let Some(id) = ev.tx_id {
        push_u64(out, "tx_id", id);
    }
    out.extend_from_slice(b",\"anomaly\":{");
    let mut first = true;
    if let Some(p) = ev.app_proto {
        push_key(out, "app_proto", first);
        push_str(out, p);
        first = false;
    }
    push_key(out, "type", first);
    push_str(out, ev.kind.type_name());
    push_key(out, "event", false);
    push_str(out, ev.event);
    if let Some(l) = ev.kind.layer() {
        push_key(out, "layer", false);
        push_str(out, l);
    }
    out.push(b'}');
    if eve.mirrorids {
        let mut x = super::mirror::ExtObject::default();
        let m = flow.map(super::mirror::MirrorContext::of_flow).or(h.mirror).unwrap_or_default();
        x.mirror(out, eve, &m);
        if ev.bytes_missing > 0 {
            x.u64(out, "bytes_missing", u64::from(ev.bytes_missing));
        }
        x.close(out);
    }
    end(out);
}

/// Appends the `anomaly` record of a frame that did not decode: no
/// addresses (Suricata shows none for a packet without a valid IP header).
pub fn write_failed(out: &mut Vec<u8>, ts: Timestamp, pcap_cnt: u64, event: &str) {
    out.extend_from_slice(b"{\"timestamp\":");
    ts.push_eve_str(out);
    if pcap_cnt != 0 {
        push_u64(out, "pcap_cnt", pcap_cnt);
    }
    push_key(out, "event_type", false);
    push_str(out, "anomaly");
    push_key(out, "pkt_src", false);
    push_str(out, "wire/pcap");
    out.extend_from_slice(b",\"anomaly\":{\"type\":\"decode\"");
    push_key(out, "event", false);
    push_str(out, event);
    out.push(b'}');
    end(out);
}

/// A worker's per-kind budget of anomaly records: a token bucket of
/// `burst` records refilled at `rate_limit` per second of packet time.
/// Records over it are not formatted, only counted.
#[derive(Debug, Clone)]
pub struct AnomalyLimiter {
    rate: u64,
    burst: u64,
    tokens: [u64; 3],
    last: [u64; 3],
    /// Records held back per bucket ([`BUCKETS`]).
    pub suppressed: [u64; 3],
}

impl AnomalyLimiter {
    pub fn new(cfg: &AnomalyLogConfig) -> Self {
        let burst = u64::from(cfg.burst.max(cfg.rate_limit).max(1));
        AnomalyLimiter { rate: u64::from(cfg.rate_limit), burst, tokens: [burst; 3], last: [0; 3], suppressed: [0; 3] }
    }

    /// Whether one more record of `kind` may be written at `now`.
    pub fn allow(&mut self, kind: Kind, now: Timestamp) -> bool {
        if self.rate == 0 {
            return true;
        }
        let b = kind.bucket();
        let secs = now.secs();
        if secs > self.last[b] {
            let refill = (secs - self.last[b]).saturating_mul(self.rate);
            self.tokens[b] = self.tokens[b].saturating_add(refill).min(self.burst);
            self.last[b] = secs;
        }
        if self.tokens[b] == 0 {
            self.suppressed[b] += 1;
            return false;
        }
        self.tokens[b] -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_allows_a_burst_then_the_rate() {
        let cfg = AnomalyLogConfig { rate_limit: 2, burst: 3, ..AnomalyLogConfig::default() };
        let mut l = AnomalyLimiter::new(&cfg);
        let t = |s| Timestamp::from_secs_micros(s, 0);
        let first: Vec<bool> = (0..5).map(|_| l.allow(Kind::Decode, t(100))).collect();
        assert_eq!(first, [true, true, true, false, false]);
        // Other kinds have their own budget.
        assert!(l.allow(Kind::AppParser, t(100)));
        // One second later: two more.
        let next: Vec<bool> = (0..3).map(|_| l.allow(Kind::Decode, t(101))).collect();
        assert_eq!(next, [true, true, false]);
        assert_eq!(l.suppressed, [3, 0, 0]);
        let mut unlimited = AnomalyLimiter::new(&AnomalyLogConfig::suricata());
        assert!((0..1000).all(|_| unlimited.allow(Kind::Stream, t(1))));
    }

    #[test]
    fn kinds_follow_the_switches() {
        let s = AnomalyLogConfig::suricata();
        assert!(s.logs(Kind::AppParser) && s.logs(Kind::AppDetect));
        assert!(!s.logs(Kind::Decode) && !s.logs(Kind::Stream));
        let d = AnomalyLogConfig::default();
        assert!(d.logs(Kind::Decode) && d.logs(Kind::Stream));
        let off = AnomalyLogConfig { enabled: false, ..d };
        assert!(!off.logs(Kind::AppParser));
    }

    #[test]
    fn suricata_style_options() {
        let c: AnomalyLogConfig = serde_yaml::from_str("types:\n  decode: false\n  stream: true\n").unwrap();
        assert!(!c.types.decode && c.types.stream && c.types.applayer);
        assert!(serde_yaml::from_str::<AnomalyLogConfig>("decodes: true\n").is_err());
    }
}
