//! Alert rate control with Suricata's semantics: rule `threshold` (limit,
//! threshold, both) and `detection_filter`, and `threshold.config`
//! (suppress, threshold/event_filter overrides, rate_filter).
//!
//! This runs in the single alert stage, in packet order, so `track by_src`
//! sees every worker's matches and the outcome does not depend on how many
//! workers there are. State is bounded; when full, alerts pass (failing
//! open) and the overflow is counted.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use crate::rules::header::parse_addresses;
use crate::rules::packet::{parse_threshold, parse_track, Threshold, ThresholdType, Track, UniqueOn};
use crate::rules::{IpSet, Vars};
use crate::util::Timestamp;

/// What the alert stage knows about one match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchFacts {
    pub gid: u32,
    pub sid: u32,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub flow_id: u64,
    pub ts: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressTrack {
    All,
    BySrc,
    ByDst,
    ByEither,
}

#[derive(Debug, Clone)]
struct Suppress {
    track: SuppressTrack,
    ips: IpSet,
}

#[derive(Debug, Clone, Copy)]
struct RateFilter {
    track: Track,
    count: u32,
    seconds: u32,
    new_action: RateAction,
    timeout: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateAction {
    Alert,
    Drop,
    Reject,
    Pass,
}

impl RateAction {
    pub fn name(self) -> &'static str {
        match self {
            RateAction::Alert => "alert",
            RateAction::Drop => "drop",
            RateAction::Reject => "reject",
            RateAction::Pass => "pass",
        }
    }
}

/// `threshold.config` contents, keyed by (gid, sid); sid 0 applies to all
/// signatures of the gid, gid 0 to all gids.
#[derive(Debug, Clone, Default)]
pub struct ThresholdFile {
    suppress: HashMap<(u32, u32), Vec<Suppress>>,
    overrides: HashMap<(u32, u32), Threshold>,
    rate: HashMap<(u32, u32), RateFilter>,
}

fn lookup<V>(m: &HashMap<(u32, u32), V>, gid: u32, sid: u32) -> Option<&V> {
    m.get(&(gid, sid)).or_else(|| m.get(&(gid, 0))).or_else(|| m.get(&(0, 0)))
}

impl ThresholdFile {
    pub fn load(path: &Path, vars: &Vars) -> Result<ThresholdFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text, vars).map_err(|(line, e)| format!("{}:{line}: {e}", path.display()))
    }

    pub fn parse(text: &str, vars: &Vars) -> Result<ThresholdFile, (usize, String)> {
        let mut f = ThresholdFile::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            f.add_line(line, vars).map_err(|e| (n + 1, e))?;
        }
        Ok(f)
    }

    fn add_line(&mut self, line: &str, vars: &Vars) -> Result<(), String> {
        let (kind, rest) = line.split_once(char::is_whitespace).ok_or_else(|| format!("cannot parse \"{line}\""))?;
        let mut gid = None;
        let mut sid = None;
        let mut others = Vec::new();
        for part in rest.split(',').map(str::trim) {
            match part.split_once(char::is_whitespace) {
                Some(("gen_id", v)) => {
                    gid = Some(v.trim().parse::<u32>().map_err(|_| format!("invalid gen_id \"{v}\""))?)
                }
                Some(("sig_id", v)) => {
                    sid = Some(v.trim().parse::<u32>().map_err(|_| format!("invalid sig_id \"{v}\""))?)
                }
                _ => others.push(part),
            }
        }
        let key = (gid.ok_or("missing gen_id")?, sid.ok_or("missing sig_id")?);
        match kind {
            "suppress" => {
                let mut track = SuppressTrack::All;
                let mut ips = IpSet::any();
                for p in others {
                    match p.split_once(char::is_whitespace) {
                        Some(("track", "by_src")) => track = SuppressTrack::BySrc,
                        Some(("track", "by_dst")) => track = SuppressTrack::ByDst,
                        Some(("track", "by_either")) => track = SuppressTrack::ByEither,
                        Some(("ip", v)) => ips = parse_addresses(v.trim(), vars)?,
                        _ => return Err(format!("suppress: unknown option \"{p}\"")),
                    }
                }
                if track != SuppressTrack::All && ips.is_any() {
                    return Err("suppress with track needs an ip".into());
                }
                self.suppress.entry(key).or_default().push(Suppress { track, ips });
            }
            "threshold" | "event_filter" => {
                let th = parse_threshold(&others.join(", "), false)?;
                self.overrides.insert(key, th);
            }
            "rate_filter" => {
                let mut track = None;
                let (mut count, mut seconds, mut new_action, mut timeout) = (None, None, None, None);
                for p in others {
                    let (k, v) = p
                        .split_once(char::is_whitespace)
                        .ok_or_else(|| format!("rate_filter: cannot parse \"{p}\""))?;
                    let v = v.trim();
                    let num = |v: &str| v.parse::<u32>().map_err(|_| format!("rate_filter: invalid number \"{v}\""));
                    match k {
                        "track" => {
                            track = Some(parse_track(v).ok_or_else(|| format!("rate_filter: unknown track \"{v}\""))?)
                        }
                        "count" => count = Some(num(v)?),
                        "seconds" => seconds = Some(num(v)?),
                        "timeout" => timeout = Some(num(v)?),
                        "new_action" => {
                            new_action = Some(match v {
                                "alert" => RateAction::Alert,
                                "drop" => RateAction::Drop,
                                "reject" => RateAction::Reject,
                                "pass" => RateAction::Pass,
                                _ => return Err(format!("rate_filter: unknown new_action \"{v}\"")),
                            })
                        }
                        _ => return Err(format!("rate_filter: unknown option \"{k}\"")),
                    }
                }
                self.rate.insert(
                    key,
                    RateFilter {
                        track: track.ok_or("rate_filter: missing track")?,
                        count: count.ok_or("rate_filter: missing count")?,
                        seconds: seconds.ok_or("rate_filter: missing seconds")?,
                        new_action: new_action.ok_or("rate_filter: missing new_action")?,
                        timeout: timeout.ok_or("rate_filter: missing timeout")?,
                    },
                );
            }
            other => return Err(format!("unknown directive \"{other}\"")),
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TrackKey {
    Src(IpAddr),
    Dst(IpAddr),
    Both(IpAddr, IpAddr),
    Rule,
    Flow(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Threshold,
    Rate,
}

#[derive(Debug, Clone)]
struct Entry {
    window_start: Timestamp,
    count: u32,
    /// Distinct ports for `unique_on`.
    ports: Vec<u16>,
    /// rate_filter: the new action applies until this time.
    active_until: Option<Timestamp>,
    /// backoff: the match count of the next alert.
    next: u32,
}

/// Most distinct ports tracked per `unique_on` entry.
const MAX_UNIQUE_PORTS: usize = 4096;

/// Outcome for one match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Alert,
    /// Alert, with the action a rate_filter set.
    AlertAs(RateAction),
    Suppress,
}

/// Counters of the threshold stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThresholdStats {
    pub suppressed: u64,
    pub thresholded: u64,
    pub memcap_full: u64,
    pub entries: u64,
}

pub struct Thresholds {
    file: ThresholdFile,
    state: HashMap<(u32, u32, Kind, TrackKey), Entry, foldhash::fast::RandomState>,
    max_entries: usize,
    last_sweep: Timestamp,
    pub stats: ThresholdStats,
}

fn track_key(track: Track, m: &MatchFacts) -> TrackKey {
    match track {
        Track::BySrc => TrackKey::Src(m.src),
        Track::ByDst => TrackKey::Dst(m.dst),
        // The two directions between two addresses are one pair.
        Track::ByBoth => TrackKey::Both(m.src.min(m.dst), m.src.max(m.dst)),
        Track::ByRule => TrackKey::Rule,
        Track::ByFlow => TrackKey::Flow(m.flow_id),
    }
}

fn within(start: Timestamp, seconds: u32, now: Timestamp) -> bool {
    now <= start.add_secs(u64::from(seconds))
}

impl Thresholds {
    pub fn new(file: ThresholdFile, max_entries: usize) -> Thresholds {
        Thresholds {
            file,
            state: HashMap::with_hasher(foldhash::fast::RandomState::default()),
            max_entries,
            last_sweep: Timestamp::ZERO,
            stats: ThresholdStats::default(),
        }
    }

    /// Decides whether a match of a signature with the given rule threshold
    /// and detection filter becomes an alert.
    pub fn check(
        &mut self,
        m: &MatchFacts,
        rule_threshold: Option<&Threshold>,
        detection_filter: Option<&Threshold>,
    ) -> Verdict {
        if let Some(list) = lookup(&self.file.suppress, m.gid, m.sid) {
            let hit = list.iter().any(|s| match s.track {
                SuppressTrack::All => true,
                SuppressTrack::BySrc => s.ips.contains(m.src),
                SuppressTrack::ByDst => s.ips.contains(m.dst),
                SuppressTrack::ByEither => s.ips.contains(m.src) || s.ips.contains(m.dst),
            });
            if hit {
                self.stats.suppressed += 1;
                return Verdict::Suppress;
            }
        }
        self.sweep(m.ts);
        // A line for this signature replaces the rule's own threshold; a
        // line for all of them (sig_id 0, gen_id 0) only applies to rules
        // without one ("overriding all gids or sids is not supported").
        let own = rule_threshold.or(detection_filter).copied();
        let th = match self.file.overrides.get(&(m.gid, m.sid)) {
            Some(t) => Some(*t),
            None => own.or_else(|| lookup(&self.file.overrides, m.gid, m.sid).copied()),
        };
        if let Some(th) = th {
            if !self.threshold(m, &th) {
                self.stats.thresholded += 1;
                return Verdict::Suppress;
            }
        }
        if let Some(rf) = lookup(&self.file.rate, m.gid, m.sid).copied() {
            if let Some(action) = self.rate(m, &rf) {
                if action == RateAction::Pass {
                    self.stats.thresholded += 1;
                    return Verdict::Suppress;
                }
                return Verdict::AlertAs(action);
            }
        }
        Verdict::Alert
    }

    fn entry(&mut self, key: (u32, u32, Kind, TrackKey), now: Timestamp) -> Option<(&mut Entry, bool)> {
        let created = !self.state.contains_key(&key);
        if created && self.state.len() >= self.max_entries {
            self.stats.memcap_full += 1;
            return None;
        }
        self.stats.entries = (self.state.len() + usize::from(created)) as u64;
        let e = self.state.entry(key).or_insert_with(|| Entry {
            window_start: now,
            count: 0,
            ports: Vec::new(),
            active_until: None,
            next: 0,
        });
        Some((e, created))
    }

    /// true: alert.
    fn threshold(&mut self, m: &MatchFacts, th: &Threshold) -> bool {
        let key = (m.gid, m.sid, Kind::Threshold, track_key(th.track, m));
        let Some((e, created)) = self.entry(key, m.ts) else { return true };
        if th.kind == Some(ThresholdType::Backoff) {
            // No time window: alerts on matches count, count x m, count x m^2...
            if created {
                e.next = th.count;
            }
            // The last match: the daily sweep keeps an active flow's entry.
            e.window_start = m.ts;
            e.count = e.count.saturating_add(1);
            if e.count != e.next {
                return false;
            }
            e.next = e.next.saturating_mul(th.multiplier);
            return true;
        }
        let fresh = created || !within(e.window_start, th.seconds, m.ts);
        if fresh {
            e.window_start = m.ts;
            e.count = 0;
            e.ports.clear();
        }
        e.count += 1;
        match th.kind {
            Some(ThresholdType::Limit) => e.count <= th.count,
            Some(ThresholdType::Threshold) => {
                if e.count >= th.count {
                    e.count = 0;
                    true
                } else {
                    false
                }
            }
            Some(ThresholdType::Both) => e.count == th.count,
            // Handled above.
            Some(ThresholdType::Backoff) => false,
            // detection_filter
            None => match th.unique_on {
                Some(u) => {
                    let port = if u == UniqueOn::DstPort { m.dport } else { m.sport };
                    if !e.ports.contains(&port) && e.ports.len() < MAX_UNIQUE_PORTS {
                        e.ports.push(port);
                    }
                    e.ports.len() as u32 > th.count
                }
                None => e.count > th.count,
            },
        }
    }

    /// Some(action) while the rate filter's new action applies.
    fn rate(&mut self, m: &MatchFacts, rf: &RateFilter) -> Option<RateAction> {
        let key = (m.gid, m.sid, Kind::Rate, track_key(rf.track, m));
        let (e, created) = self.entry(key, m.ts)?;
        if let Some(until) = e.active_until {
            if m.ts <= until {
                return Some(rf.new_action);
            }
            e.active_until = None;
            e.count = 0;
            e.window_start = m.ts;
        }
        if created || !within(e.window_start, rf.seconds, m.ts) {
            e.window_start = m.ts;
            e.count = 0;
        }
        e.count += 1;
        if e.count > rf.count {
            e.active_until = Some(m.ts.add_secs(u64::from(rf.timeout)));
            return Some(rf.new_action);
        }
        None
    }

    /// Forgets entries idle for a day of packet time (longer than the
    /// windows rules use), at most once a minute.
    fn sweep(&mut self, now: Timestamp) {
        if now.secs_since(self.last_sweep) < 60 {
            return;
        }
        self.last_sweep = now;
        self.state.retain(|_, e| {
            let last = e.active_until.unwrap_or(e.window_start);
            now.secs_since(last) < 86_400
        });
        self.stats.entries = self.state.len() as u64;
    }
}

#[cfg(test)]
mod tests;
