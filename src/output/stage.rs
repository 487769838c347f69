//! The output stage, the one place where records leave the workers: one
//! thread receives every worker's batches of formatted records, puts them
//! back in packet order (replay), applies thresholds, suppressions and the
//! per-packet cap to alerts, and writes whole lines, counting them by type.
//!
//! Ordering: a worker tags what it sends with a horizon (every packet up to
//! that capture position that belongs to it has been processed). Records at
//! or below the smallest horizon of all workers are final and are released
//! in capture order, so the output is the same for any number of workers.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

use super::records::EventType;
use super::threshold::{MatchFacts, RateAction, Thresholds, Verdict};
use crate::rules::Threshold;

/// One record waiting for the output stage.
#[derive(Debug, Clone)]
pub struct PendingRecord {
    /// Capture position the record belongs to (records of one packet
    /// share it).
    pub order: u64,
    pub kind: EventType,
    /// The formatted EVE line in the batch's `lines`.
    pub line: Range<usize>,
    /// For alerts: what thresholds and the per-packet cap need.
    pub alert: Option<PendingAlert>,
    /// For `flow` records: the flow, whose `flow.alerted` the stage sets
    /// (true when an alert of the flow was written, after thresholds).
    pub flow_end: Option<u64>,
}

/// What the stage needs to filter an alert.
#[derive(Debug, Clone)]
pub struct PendingAlert {
    pub facts: MatchFacts,
    pub msg: Arc<str>,
    /// The signature's priority, EVE's `alert.severity` (1 is the most
    /// severe); counted per value when the alert is written.
    pub severity: u8,
    pub threshold: Option<Threshold>,
    pub detection_filter: Option<Threshold>,
}

/// What a worker sends to the output stage: whole lines and what each is.
#[derive(Debug, Default)]
pub struct RecordBatch {
    pub worker: usize,
    /// Every packet of this worker up to this position is accounted for.
    pub horizon: u64,
    pub lines: Vec<u8>,
    pub records: Vec<PendingRecord>,
}

impl RecordBatch {
    pub fn clear(&mut self) {
        self.lines.clear();
        self.records.clear();
    }

    /// Formats one record with `write` (a whole line, newline included)
    /// and queues it at capture position `order`.
    pub fn push(&mut self, order: u64, kind: EventType, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.lines.len();
        write(&mut self.lines);
        self.records.push(PendingRecord { order, kind, line: start..self.lines.len(), alert: None, flow_end: None });
    }

    /// Queues a flow's `flow` record, whose `"alerted":false` the stage
    /// turns true if one of the flow's alerts is written.
    pub fn push_flow_end(&mut self, order: u64, flow_id: u64, write: impl FnOnce(&mut Vec<u8>)) {
        self.push(order, EventType::Flow, write);
        if let Some(r) = self.records.last_mut() {
            r.flow_end = Some(flow_id);
        }
    }

    /// Alerts in the batch.
    pub fn alerts(&self) -> impl Iterator<Item = &PendingRecord> {
        self.records.iter().filter(|r| r.alert.is_some())
    }
}

struct Held {
    order: u64,
    kind: EventType,
    alert: Option<PendingAlert>,
    flow_end: Option<u64>,
    line: Vec<u8>,
}

/// Output-stage counters.
#[derive(Debug, Clone, Default)]
pub struct OutputStats {
    /// Records written by event type (indexed by [`EventType::index`]).
    pub records: [u64; EventType::COUNT],
    /// Bytes of them.
    pub record_bytes: [u64; EventType::COUNT],
    /// Alerts written.
    pub written: u64,
    pub bytes: u64,
    /// Removed by suppress, threshold or detection_filter.
    pub filtered: u64,
    /// Over `packet_alert_max` for their packet.
    pub overflow: u64,
    /// Alerts whose action a rate_filter changed.
    pub rate_filtered: u64,
    /// Alerts written by severity: index 1..=4 for priorities 1 to 4,
    /// index 0 for any other priority.
    pub by_severity: [u64; 5],
    /// Alerts written per (gid, sid), with the message.
    pub by_signature: BTreeMap<(u32, u32), (Arc<str>, u64)>,
    /// Most matches held for reordering at once.
    pub max_held: usize,
}

pub struct OutputStage<W: Write> {
    out: W,
    buf: Vec<u8>,
    thresholds: Thresholds,
    packet_alert_max: usize,
    ordered: bool,
    queues: Vec<VecDeque<Held>>,
    horizons: Vec<u64>,
    held: usize,
    /// Flows with an alert written whose `flow` record is still to come.
    alerted_flows: std::collections::HashSet<u64>,
    /// The other sinks (`output.sinks`), fed every record written.
    sinks: Option<super::sinks::fanout::Fanout>,
    /// `,"host":"<sensor name>"`, added at the end of every record; empty
    /// when no sensor name is set.
    host: Vec<u8>,
    /// A record with `host` added, reused.
    enriched: Vec<u8>,
    pub stats: OutputStats,
}

/// Output is written in chunks of whole lines of about this size.
const WRITE_CHUNK: usize = 64 * 1024;

impl<W: Write> OutputStage<W> {
    pub fn new(out: W, workers: usize, thresholds: Thresholds, packet_alert_max: usize, ordered: bool) -> Self {
        OutputStage {
            out,
            buf: Vec::with_capacity(WRITE_CHUNK * 2),
            thresholds,
            packet_alert_max,
            ordered,
            queues: (0..workers).map(|_| VecDeque::new()).collect(),
            horizons: vec![0; workers],
            held: 0,
            alerted_flows: Default::default(),
            sinks: None,
            host: Vec::new(),
            enriched: Vec::new(),
            stats: OutputStats::default(),
        }
    }

    /// Also hands every written record to `sinks`.
    pub fn with_sinks(mut self, sinks: super::sinks::fanout::Fanout) -> Self {
        if !sinks.is_empty() {
            self.sinks = Some(sinks);
        }
        self
    }

    /// Ends every record with `"host":"<name>"`, as Suricata's
    /// `sensor-name` does (nothing when `name` is empty).
    pub fn with_sensor_name(mut self, name: &str) -> Self {
        self.host.clear();
        if !name.is_empty() {
            self.host.extend_from_slice(b",\"host\":");
            crate::util::json::push_str(&mut self.host, name);
        }
        self
    }

    /// SIGHUP: the sinks reopen their files.
    pub fn reopen_sinks(&self) {
        if let Some(s) = &self.sinks {
            s.reopen();
        }
    }

    /// End of the run: the sinks get up to `wait` to deliver what they hold.
    pub fn close_sinks(&mut self, wait: std::time::Duration) {
        if let Some(s) = self.sinks.take() {
            s.close(wait);
        }
    }

    /// Writes out what is buffered, then continues on `out`.
    pub fn replace_output(&mut self, out: W) -> std::io::Result<()> {
        let flushed = self.flush();
        self.out = out;
        flushed
    }

    /// Replaces thresholds and suppressions (rule reload); their state
    /// starts afresh, as Suricata's does.
    pub fn set_thresholds(&mut self, t: Thresholds) {
        self.thresholds = t;
    }

    pub fn threshold_stats(&self) -> super::threshold::ThresholdStats {
        self.thresholds.stats
    }

    /// Takes a worker's batch (the caller may reuse it afterwards).
    pub fn receive(&mut self, batch: &RecordBatch) -> std::io::Result<()> {
        let w = batch.worker.min(self.queues.len().saturating_sub(1));
        for r in &batch.records {
            let line = batch.lines.get(r.line.clone()).unwrap_or(&[]).to_vec();
            self.queues[w].push_back(Held {
                order: r.order,
                kind: r.kind,
                alert: r.alert.clone(),
                flow_end: r.flow_end,
                line,
            });
            self.held += 1;
        }
        self.stats.max_held = self.stats.max_held.max(self.held);
        if let Some(h) = self.horizons.get_mut(w) {
            *h = (*h).max(batch.horizon);
        }
        self.release()
    }

    /// Writes a record that does not come from a worker (`stats`), after
    /// everything released so far.
    pub fn write_record(&mut self, kind: EventType, line: &[u8]) -> std::io::Result<()> {
        // Enrichment happens here, once, before the main file and the sinks.
        let line = match line.strip_suffix(b"}\n") {
            Some(body) if !self.host.is_empty() => {
                self.enriched.clear();
                self.enriched.extend_from_slice(body);
                self.enriched.extend_from_slice(&self.host);
                self.enriched.extend_from_slice(b"}\n");
                std::mem::take(&mut self.enriched)
            }
            _ => {
                return self.write_plain(kind, line);
            }
        };
        let r = self.write_plain(kind, &line);
        self.enriched = line;
        r
    }

    fn write_plain(&mut self, kind: EventType, line: &[u8]) -> std::io::Result<()> {
        self.count(kind, line.len());
        if let Some(s) = &mut self.sinks {
            s.push(kind, line);
        }
        self.buf.extend_from_slice(line);
        if self.buf.len() >= WRITE_CHUNK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn count(&mut self, kind: EventType, bytes: usize) {
        self.stats.records[kind.index()] += 1;
        self.stats.record_bytes[kind.index()] += bytes as u64;
    }

    /// Releases everything still held (end of input) and flushes.
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.release_all()?;
        self.flush()
    }

    /// Releases everything still held: every worker has finished.
    pub fn release_all(&mut self) -> std::io::Result<()> {
        for h in &mut self.horizons {
            *h = u64::MAX;
        }
        self.release()
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        if let Some(s) = &mut self.sinks {
            s.send();
        }
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn release(&mut self) -> std::io::Result<()> {
        let limit = if self.ordered { self.horizons.iter().copied().min().unwrap_or(u64::MAX) } else { u64::MAX };
        loop {
            let next = self
                .queues
                .iter()
                .enumerate()
                .filter_map(|(i, q)| q.front().map(|h| (h.order, i)))
                .filter(|&(o, _)| o <= limit)
                .min();
            let Some((order, q)) = next else { break };
            let mut kept = 0usize;
            let mut flow = None;
            while self.queues[q].front().is_some_and(|h| h.order == order) {
                let Some(h) = self.queues[q].pop_front() else { break };
                self.held -= 1;
                let Some(a) = h.alert else {
                    let mut line = h.line;
                    if let Some(id) = h.flow_end {
                        if self.alerted_flows.remove(&id) {
                            set_alerted(&mut line);
                        }
                    }
                    self.write_record(h.kind, &line)?;
                    continue;
                };
                // Pseudo packets of several flows ended together share a
                // position; the per-packet cap is per packet, so per flow.
                if flow != Some(a.facts.flow_id) {
                    flow = Some(a.facts.flow_id);
                    kept = 0;
                }
                match self.thresholds.check(&a.facts, a.threshold.as_ref(), a.detection_filter.as_ref()) {
                    Verdict::Suppress => self.stats.filtered += 1,
                    v => {
                        if kept >= self.packet_alert_max {
                            self.stats.overflow += 1;
                            continue;
                        }
                        kept += 1;
                        if a.facts.flow_id != 0 {
                            self.alerted_flows.insert(a.facts.flow_id);
                        }
                        let mut line = h.line;
                        if let Verdict::AlertAs(a) = v {
                            self.stats.rate_filtered += 1;
                            patch_rule_action(&mut line, a);
                        }
                        self.stats.written += 1;
                        self.stats.bytes += line.len() as u64;
                        self.stats.by_severity[severity_index(a.severity)] += 1;
                        let e = self.stats.by_signature.entry((a.facts.gid, a.facts.sid)).or_insert((a.msg, 0));
                        e.1 += 1;
                        self.write_record(EventType::Alert, &line)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Turns the flow object's `"alerted":false` into true.
fn set_alerted(line: &mut Vec<u8>) {
    const KEY: &[u8] = b"\"alerted\":false";
    if let Some(at) = line.windows(KEY.len()).position(|w| w == KEY) {
        line.splice(at + KEY.len() - 5..at + KEY.len(), b"true".iter().copied());
    }
}

/// The `by_severity` slot of a priority.
pub fn severity_index(priority: u8) -> usize {
    match priority {
        1..=4 => usize::from(priority),
        _ => 0,
    }
}

/// Rewrites `"rule_action":"..."` (the last one in the line) to the action
/// a rate_filter imposed.
fn patch_rule_action(line: &mut Vec<u8>, action: RateAction) {
    // Suricata 8.0.6 in IDS mode logs the alerts a rate_filter turned into
    // drop (or reject) as "blocked", though nothing was blocked, while a
    // plain drop rule's alerts stay "allowed"; SIEM searches written
    // against it expect the same here.
    const ALLOWED: &[u8] = b"\"alert\":{\"action\":\"allowed\"";
    if matches!(action, RateAction::Drop | RateAction::Reject) {
        if let Some(at) = line.windows(ALLOWED.len()).position(|w| w == ALLOWED) {
            let start = at + ALLOWED.len() - b"allowed\"".len();
            line.splice(start..start + b"allowed".len(), b"blocked".iter().copied());
        }
    }
    const KEY: &[u8] = b"\"rule_action\":\"";
    let Some(at) = line.windows(KEY.len()).rposition(|w| w == KEY) else { return };
    let start = at + KEY.len();
    let Some(len) = line[start..].iter().position(|&b| b == b'"') else { return };
    line.splice(start..start + len, action.name().bytes());
}

#[cfg(test)]
mod tests {
    use super::super::threshold::ThresholdFile;
    use super::*;
    use crate::util::Timestamp;

    fn pending(order: u64, sid: u32, lines: &mut Vec<u8>) -> PendingRecord {
        let start = lines.len();
        lines.extend_from_slice(format!("{{\"o\":{order},\"sid\":{sid},\"rule_action\":\"alert\"}}\n").as_bytes());
        let alert = PendingAlert {
            facts: MatchFacts {
                gid: 1,
                sid,
                src: "1.1.1.1".parse().unwrap(),
                dst: "2.2.2.2".parse().unwrap(),
                sport: 1,
                dport: 2,
                flow_id: 0,
                ts: Timestamp::from_secs_micros(order, 0),
            },
            msg: Arc::from("m"),
            severity: (sid % 6) as u8,
            threshold: None,
            detection_filter: None,
        };
        PendingRecord { order, kind: EventType::Alert, line: start..lines.len(), alert: Some(alert), flow_end: None }
    }

    fn batch(worker: usize, horizon: u64, alerts: &[(u64, u32)]) -> RecordBatch {
        let mut b = RecordBatch { worker, horizon, ..Default::default() };
        for &(o, s) in alerts {
            let p = pending(o, s, &mut b.lines);
            b.records.push(p);
        }
        b
    }

    #[test]
    fn merges_workers_in_capture_order() {
        let mut st = OutputStage::new(Vec::new(), 2, Thresholds::new(ThresholdFile::default(), 100), 15, true);
        st.receive(&batch(0, 10, &[(2, 1), (9, 2)])).unwrap();
        assert!(st.buf.is_empty(), "worker 1 has not reported yet");
        st.receive(&batch(1, 5, &[(4, 3)])).unwrap();
        st.receive(&batch(1, 20, &[(12, 4)])).unwrap();
        st.finish().unwrap();
        let out = String::from_utf8(st.into_inner()).unwrap();
        let order: Vec<&str> = out.lines().map(|l| &l[5..l.find(',').unwrap()]).collect();
        assert_eq!(order, vec!["2", "4", "9", "12"]);
    }

    #[test]
    fn other_records_pass_through_in_order() {
        let mut st = OutputStage::new(Vec::new(), 1, Thresholds::new(ThresholdFile::default(), 100), 1, true);
        let mut b = batch(0, 10, &[(3, 1), (3, 2)]);
        b.push(2, EventType::Flow, |o| o.extend_from_slice(b"{\"o\":2,\"flow\":1}\n"));
        b.push(3, EventType::Http, |o| o.extend_from_slice(b"{\"o\":3,\"http\":1}\n"));
        b.records.sort_by_key(|r| r.order);
        st.receive(&b).unwrap();
        st.finish().unwrap();
        assert_eq!(st.stats.records[EventType::Flow.index()], 1);
        assert_eq!(st.stats.records[EventType::Http.index()], 1);
        // The cap of one alert per packet leaves the http record alone.
        assert_eq!((st.stats.written, st.stats.overflow), (1, 1));
        let out = String::from_utf8(st.into_inner()).unwrap();
        assert_eq!(out.lines().count(), 3);
        assert!(out.starts_with("{\"o\":2,\"flow\""));
    }

    #[test]
    fn sensor_name_ends_every_record_as_host() {
        let st = OutputStage::new(Vec::new(), 1, Thresholds::new(ThresholdFile::default(), 100), 1, true);
        let mut st = st.with_sensor_name("sensor \"a\"");
        st.write_record(EventType::Flow, b"{\"o\":2,\"flow\":1}\n").unwrap();
        st.write_record(EventType::Stats, b"{\"stats\":{}}\n").unwrap();
        st.finish().unwrap();
        assert_eq!(st.stats.record_bytes[EventType::Flow.index()], 39, "counted as written, host included");
        let out = String::from_utf8(st.into_inner()).unwrap();
        assert_eq!(
            out,
            "{\"o\":2,\"flow\":1,\"host\":\"sensor \\\"a\\\"\"}\n{\"stats\":{},\"host\":\"sensor \\\"a\\\"\"}\n"
        );
        for l in out.lines() {
            serde_json::from_str::<serde_json::Value>(l).unwrap();
        }
    }

    #[test]
    fn per_packet_cap_counts_overflow() {
        let mut st = OutputStage::new(Vec::new(), 1, Thresholds::new(ThresholdFile::default(), 100), 2, true);
        st.receive(&batch(0, 5, &[(1, 1), (1, 2), (1, 3), (2, 4)])).unwrap();
        st.finish().unwrap();
        assert_eq!(st.stats.written, 3);
        assert_eq!(st.stats.overflow, 1);
        // Severity is sid % 6 here: sids 1, 2 and 4 were written; 3 was over the cap.
        assert_eq!(st.stats.by_severity, [0, 1, 1, 0, 1]);
        assert_eq!([severity_index(0), severity_index(5), severity_index(255), severity_index(3)], [0, 0, 0, 3]);
        let out = String::from_utf8(st.into_inner()).unwrap();
        assert!(out.lines().all(|l| l.ends_with('}')));
    }

    #[test]
    fn rate_filter_rewrites_action() {
        let mut line = b"{\"mirrorids\":{\"rule_action\":\"alert\"}}\n".to_vec();
        patch_rule_action(&mut line, RateAction::Drop);
        assert_eq!(line, b"{\"mirrorids\":{\"rule_action\":\"drop\"}}\n".to_vec());
        let alert = b"{\"alert\":{\"action\":\"allowed\",\"gid\":1},\"mirrorids\":{\"rule_action\":\"alert\"}}\n";
        let mut line = alert.to_vec();
        patch_rule_action(&mut line, RateAction::Reject);
        let want = b"{\"alert\":{\"action\":\"blocked\",\"gid\":1},\"mirrorids\":{\"rule_action\":\"reject\"}}\n";
        assert_eq!(line, want.to_vec());
        let mut line = alert.to_vec();
        patch_rule_action(&mut line, RateAction::Pass);
        assert!(line.starts_with(b"{\"alert\":{\"action\":\"allowed\""));
    }
}
