//! State kept beyond one flow: xbits (per host or per IP pair, expiring)
//! and tags (the packets that follow an alert, per session or per host).
//!
//! Each worker owns a [`HostState`]. Workers share nothing, so what one
//! worker changes is also written to its `outbox` as [`HostNote`]s, which
//! the engine hands to every other worker (`engine::peers`): a bit set by a
//! flow on one worker is seen by flows on the others one batch later.
//! Suricata documents the same kind of slack between its threads
//! ("the order of sets and checks can be slightly unpredictable").

use std::collections::HashMap;
use std::net::IpAddr;

use crate::rules::{FlowbitsCmd, TagMetric, TagSpec, XbitTrack};
use crate::util::Timestamp;

/// A compiled `xbits` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XbitOp {
    pub cmd: FlowbitsCmd,
    pub id: u16,
    pub track: XbitTrack,
    pub expire: u32,
}

/// Where one xbit lives: a host (ip_src and ip_dst share the host table)
/// or an unordered pair of addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BitKey {
    Host(u16, IpAddr),
    Pair(u16, IpAddr, IpAddr),
}

impl BitKey {
    /// `None` for a transaction's bit, which lives with the flow
    /// ([`super::eval::FlowDetectState`]), not in the host table.
    pub fn of(op: &XbitOp, src: IpAddr, dst: IpAddr) -> Option<BitKey> {
        Some(match op.track {
            XbitTrack::IpSrc => BitKey::Host(op.id, src),
            XbitTrack::IpDst => BitKey::Host(op.id, dst),
            XbitTrack::IpPair => BitKey::Pair(op.id, src.min(dst), src.max(dst)),
            XbitTrack::Tx => return None,
        })
    }

    fn with_id(self, id: u16) -> BitKey {
        match self {
            BitKey::Host(_, a) => BitKey::Host(id, a),
            BitKey::Pair(_, a, b) => BitKey::Pair(id, a, b),
        }
    }

    fn id(self) -> u16 {
        match self {
            BitKey::Host(id, _) | BitKey::Pair(id, _, _) => id,
        }
    }
}

/// A change another worker must apply.
#[derive(Debug, Clone, Copy)]
pub enum HostNote {
    /// The bit is set until `Some(t)`, or unset.
    Xbit { key: BitKey, until: Option<Timestamp> },
    /// A host tag started by an alert.
    HostTag { addr: IpAddr, tag: TagEntry },
}

/// Suricata's `DETECT_TAG_MAX_TAGS`: tags one session or host holds.
pub const MAX_TAGS: usize = 50;
/// Suricata's `DETECT_TAG_MATCH_LIMIT`: times one rule restarts its tag.
const TAG_MATCH_LIMIT: u8 = 10;
/// A host tag not touched for this long is forgotten (Suricata's hosts
/// time out of its host table the same way).
const HOST_TAG_IDLE_SECS: u64 = 3600;

/// One running tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagEntry {
    pub sid: u32,
    pub gid: u32,
    pub metric: TagMetric,
    pub count: u32,
    pub first: Timestamp,
    pub last: Timestamp,
    /// Packets and bytes counted so far, the alerting packet included.
    pub packets: u32,
    pub bytes: u64,
    matches: u8,
}

impl TagEntry {
    /// A tag started by an alert on a packet of `len` bytes at `ts`.
    pub fn new(spec: &TagSpec, sid: u32, gid: u32, ts: Timestamp, len: u64) -> TagEntry {
        TagEntry {
            sid,
            gid,
            metric: spec.metric,
            count: spec.count,
            first: ts,
            last: ts,
            packets: 1,
            bytes: len,
            matches: 0,
        }
    }

    /// Counts one more packet; false when the tag is over (the packet is
    /// not tagged and the tag is dropped).
    fn admit(&mut self, ts: Timestamp, len: u64) -> bool {
        self.packets = self.packets.saturating_add(1);
        self.bytes = self.bytes.saturating_add(len);
        self.last = ts;
        match self.metric {
            TagMetric::Packets => self.packets <= self.count,
            TagMetric::Bytes => self.bytes <= u64::from(self.count),
            TagMetric::Seconds => ts.secs_since(self.first) <= u64::from(self.count),
        }
    }
}

/// The tags of one session or host.
#[derive(Debug, Clone, Default)]
pub struct TagList(Vec<TagEntry>);

impl TagList {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Starts `tag`; a rule that already tags here restarts its count (at
    /// most [`TAG_MATCH_LIMIT`] times). False when the list is full.
    pub fn add(&mut self, tag: TagEntry) -> bool {
        if let Some(e) = self.0.iter_mut().find(|e| e.sid == tag.sid && e.gid == tag.gid) {
            e.matches = e.matches.saturating_add(1);
            if e.matches < TAG_MATCH_LIMIT {
                let matches = e.matches;
                *e = TagEntry { matches, ..tag };
            }
            return true;
        }
        if self.0.len() >= MAX_TAGS {
            return false;
        }
        self.0.push(tag);
        true
    }

    /// Counts a packet against every tag; true if one still covers it.
    pub fn admit(&mut self, ts: Timestamp, len: u64) -> bool {
        let mut tagged = false;
        self.0.retain_mut(|e| {
            let keep = e.admit(ts, len);
            tagged |= keep;
            keep
        });
        tagged
    }

    fn idle_since(&self, now: Timestamp) -> u64 {
        self.0.iter().map(|e| now.secs_since(e.last)).min().unwrap_or(u64::MAX)
    }
}

/// Counters of the host state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostStateStats {
    /// xbits not set because the table was full of live bits.
    pub xbits_overflow: u64,
    /// Tags not started: the session, host or host table was full.
    pub tags_overflow: u64,
    /// Packets logged because a tag covered them.
    pub tagged_packets: u64,
}

/// One worker's xbits and host tags.
#[derive(Debug)]
pub struct HostState {
    bits: HashMap<BitKey, Timestamp, foldhash::fast::RandomState>,
    tags: HashMap<IpAddr, TagList, foldhash::fast::RandomState>,
    max_bits: usize,
    max_tagged_hosts: usize,
    /// Changes made here that the other workers must apply.
    pub outbox: Vec<HostNote>,
    pub stats: HostStateStats,
}

impl HostState {
    pub fn new(max_bits: usize, max_tagged_hosts: usize) -> HostState {
        HostState {
            bits: HashMap::default(),
            tags: HashMap::default(),
            max_bits: max_bits.max(1),
            max_tagged_hosts: max_tagged_hosts.max(1),
            outbox: Vec::new(),
            stats: HostStateStats::default(),
        }
    }

    pub fn is_set(&self, key: &BitKey, now: Timestamp) -> bool {
        self.bits.get(key).is_some_and(|&until| until > now)
    }

    /// `isset` / `isnotset` for the packet `src -> dst` at `now`.
    pub fn test(&self, op: &XbitOp, src: IpAddr, dst: IpAddr, now: Timestamp) -> bool {
        let set = BitKey::of(op, src, dst).is_some_and(|k| self.is_set(&k, now));
        match op.cmd {
            FlowbitsCmd::IsSet => set,
            FlowbitsCmd::IsNotSet => !set,
            _ => true,
        }
    }

    /// Applies a matching rule's `set` / `unset` / `toggle`.
    pub fn apply(&mut self, op: &XbitOp, src: IpAddr, dst: IpAddr, now: Timestamp) {
        let Some(key) = BitKey::of(op, src, dst) else { return };
        let until = match op.cmd {
            FlowbitsCmd::Set => Some(now.add_secs(u64::from(op.expire))),
            FlowbitsCmd::Unset => None,
            FlowbitsCmd::Toggle if self.is_set(&key, now) => None,
            FlowbitsCmd::Toggle => Some(now.add_secs(u64::from(op.expire))),
            FlowbitsCmd::IsSet | FlowbitsCmd::IsNotSet => return,
        };
        if self.store(key, until, now) {
            self.outbox.push(HostNote::Xbit { key, until });
        }
    }

    fn store(&mut self, key: BitKey, until: Option<Timestamp>, now: Timestamp) -> bool {
        let Some(until) = until else {
            self.bits.remove(&key);
            return true;
        };
        if self.bits.len() >= self.max_bits && !self.bits.contains_key(&key) {
            self.bits.retain(|_, t| *t > now);
            if self.bits.len() >= self.max_bits {
                self.stats.xbits_overflow += 1;
                return false;
            }
        }
        self.bits.insert(key, until);
        true
    }

    /// Starts a host tag on `addr`.
    pub fn tag_host(&mut self, addr: IpAddr, tag: TagEntry) {
        if self.add_host_tag(addr, tag) {
            self.outbox.push(HostNote::HostTag { addr, tag });
        }
    }

    fn add_host_tag(&mut self, addr: IpAddr, tag: TagEntry) -> bool {
        if self.tags.len() >= self.max_tagged_hosts && !self.tags.contains_key(&addr) {
            self.stats.tags_overflow += 1;
            return false;
        }
        let added = self.tags.entry(addr).or_default().add(tag);
        if !added {
            self.stats.tags_overflow += 1;
        }
        added
    }

    /// Counts a packet `src -> dst` of `len` bytes against the tags of
    /// both hosts; true if one covers it.
    pub fn host_tagged(&mut self, src: IpAddr, dst: IpAddr, ts: Timestamp, len: u64) -> bool {
        if self.tags.is_empty() {
            return false;
        }
        let mut tagged = false;
        for a in [src, dst] {
            if let Some(list) = self.tags.get_mut(&a) {
                tagged |= list.admit(ts, len);
                if list.is_empty() {
                    self.tags.remove(&a);
                }
            }
            if src == dst {
                break;
            }
        }
        tagged
    }

    /// Applies another worker's changes.
    pub fn receive(&mut self, notes: &[HostNote], now: Timestamp) {
        for n in notes {
            match *n {
                HostNote::Xbit { key, until } => {
                    self.store(key, until, now);
                }
                HostNote::HostTag { addr, tag } => {
                    self.add_host_tag(addr, tag);
                }
            }
        }
    }

    /// Forgets expired bits and idle host tags (called about once a
    /// second of traffic time).
    pub fn expire(&mut self, now: Timestamp) {
        if !self.bits.is_empty() {
            self.bits.retain(|_, t| *t > now);
        }
        if !self.tags.is_empty() {
            self.tags.retain(|_, l| l.idle_since(now) <= HOST_TAG_IDLE_SECS);
        }
    }

    /// Renumbers xbits for a reloaded rule set (`map[old] = new`); bits the
    /// new set does not name are dropped.
    pub fn remap(&mut self, map: &[Option<u16>]) {
        let old = std::mem::take(&mut self.bits);
        for (k, t) in old {
            if let Some(Some(id)) = map.get(usize::from(k.id())) {
                self.bits.insert(k.with_id(*id), t);
            }
        }
    }

    pub fn bits_len(&self) -> usize {
        self.bits.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::TagScope;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn t(secs: u64) -> Timestamp {
        Timestamp::from_secs_micros(1_700_000_000 + secs, 0)
    }

    fn op(cmd: FlowbitsCmd, track: XbitTrack) -> XbitOp {
        XbitOp { cmd, id: 3, track, expire: 10 }
    }

    #[test]
    fn host_bits_are_shared_by_ip_src_and_ip_dst_and_expire() {
        let (a, b, c) = (ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3"));
        let mut h = HostState::new(16, 16);
        // Set on the destination by a request...
        h.apply(&op(FlowbitsCmd::Set, XbitTrack::IpDst), a, b, t(0));
        // ...is seen on the response's source, from any peer.
        assert!(h.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpSrc), b, a, t(5)));
        assert!(h.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpSrc), b, c, t(5)));
        assert!(!h.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpSrc), a, b, t(5)));
        assert!(h.test(&op(FlowbitsCmd::IsNotSet, XbitTrack::IpSrc), a, b, t(5)));
        // Expired after `expire` seconds.
        assert!(!h.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpDst), a, b, t(10)));
        assert_eq!(h.outbox.len(), 1);
        h.expire(t(11));
        assert_eq!(h.bits_len(), 0);
    }

    #[test]
    fn pair_bits_ignore_direction_and_toggle_flips() {
        let (a, b, c) = (ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3"));
        let mut h = HostState::new(16, 16);
        h.apply(&op(FlowbitsCmd::Set, XbitTrack::IpPair), a, b, t(0));
        assert!(h.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpPair), b, a, t(1)));
        assert!(!h.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpPair), a, c, t(1)));
        h.apply(&op(FlowbitsCmd::Toggle, XbitTrack::IpPair), a, b, t(1));
        assert!(!h.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpPair), a, b, t(1)));
        h.apply(&op(FlowbitsCmd::Toggle, XbitTrack::IpPair), b, a, t(2));
        assert!(h.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpPair), a, b, t(2)));
        h.apply(&op(FlowbitsCmd::Unset, XbitTrack::IpPair), a, b, t(3));
        assert!(!h.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpPair), a, b, t(3)));
        // Another worker applies the same notes to the same effect.
        let mut other = HostState::new(16, 16);
        other.receive(&h.outbox, t(3));
        assert!(!other.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpPair), a, b, t(3)));
        other.receive(&h.outbox[..3], t(3));
        assert!(other.test(&op(FlowbitsCmd::IsSet, XbitTrack::IpPair), a, b, t(3)));
    }

    #[test]
    fn a_full_table_refuses_new_bits_and_counts_them() {
        let mut h = HostState::new(2, 16);
        for i in 0..3u8 {
            h.apply(&op(FlowbitsCmd::Set, XbitTrack::IpSrc), IpAddr::from([10, 0, 0, i]), ip("10.9.9.9"), t(0));
        }
        assert_eq!((h.bits_len(), h.stats.xbits_overflow), (2, 1));
        // Expired bits make room.
        h.apply(&op(FlowbitsCmd::Set, XbitTrack::IpSrc), ip("10.1.1.1"), ip("10.9.9.9"), t(20));
        assert_eq!((h.bits_len(), h.stats.xbits_overflow), (1, 1));
    }

    #[test]
    fn tags_count_the_alerting_packet_and_stop_at_their_count() {
        let spec = |count, metric| TagSpec { scope: TagScope::Session, count, metric };
        let mut l = TagList::default();
        l.add(TagEntry::new(&spec(3, TagMetric::Packets), 1, 1, t(0), 66));
        assert!(l.admit(t(0), 66));
        assert!(l.admit(t(0), 66));
        assert!(!l.admit(t(0), 66));
        assert!(l.is_empty());
        let mut l = TagList::default();
        l.add(TagEntry::new(&spec(300, TagMetric::Bytes), 1, 1, t(0), 66));
        assert!(l.admit(t(0), 66));
        assert!(!l.admit(t(0), 1514));
        let mut l = TagList::default();
        l.add(TagEntry::new(&spec(1, TagMetric::Seconds), 1, 1, t(0), 66));
        assert!(l.admit(t(1), 66));
        assert!(!l.admit(t(2), 66));
    }

    #[test]
    fn host_tags_cover_both_directions_and_are_bounded() {
        let spec = TagSpec { scope: TagScope::Host { src: true }, count: 3, metric: TagMetric::Packets };
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let mut h = HostState::new(16, 1);
        h.tag_host(a, TagEntry::new(&spec, 7, 1, t(0), 60));
        h.tag_host(b, TagEntry::new(&spec, 7, 1, t(0), 60));
        assert_eq!(h.stats.tags_overflow, 1);
        assert!(h.host_tagged(b, a, t(1), 60));
        assert!(h.host_tagged(a, ip("10.0.0.9"), t(1), 60));
        assert!(!h.host_tagged(a, b, t(1), 60));
        assert!(!h.host_tagged(b, ip("10.0.0.9"), t(1), 60));
    }
}
