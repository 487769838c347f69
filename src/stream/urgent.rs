//! TCP urgent data: which bytes the receiving application never reads.
//!
//! A segment with URG set and urgent pointer `p` marks the byte at
//! `seq + p - 1` (RFC 6093's reading, Linux's and the BSDs' default) as
//! urgent. Unless the application asked for SO_OOBINLINE, which servers do
//! not, its stack takes that one byte out of the stream: `recv()` never
//! returns it. An attacker puts a junk byte inside an attack as urgent data;
//! a sensor that keeps it inline reads `GET /ev?il` where the server reads
//! `GET /evil`. Under [`UrgentPolicy::Oob`] the stream leaves it out as the
//! target does (Suricata's stock `stream.reassembly.urgent.policy: oob`).
//!
//! The urgent bytes are kept as sequence numbers, so a segment carrying one
//! may arrive in any order: stream offsets are sequence offsets less the
//! urgent bytes before them ([`UrgentBytes::before`]).

use serde::{Deserialize, Serialize};

/// What the stream does with a byte the sender marked urgent
/// (`stream.reassembly.urgent_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UrgentPolicy {
    /// Keep it in the stream (a receiver with SO_OOBINLINE).
    Inline,
    /// Take it out of the stream, one byte per urgent pointer, as the
    /// receiving host's stack does for an application that reads normally.
    #[default]
    Oob,
}

/// Why an urgent pointer was not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// The byte is already part of the stream received in order (Linux
    /// ignores such a pointer), or the pointer repeats one already seen.
    /// (A pointer superseded before its byte arrived is counted with these.)
    Stale,
    /// `urgent_max_pending` urgent bytes are already waiting ahead of the
    /// inspected point: this one stays inline.
    Limit,
}

/// Urgent bytes ahead of a stream's reference point, in stream order.
/// Boxed: almost no stream has any, and each stream pays 8 bytes.
#[derive(Debug, Clone, Default)]
pub struct UrgentBytes(Option<Box<Pending>>);

#[derive(Debug, Clone, Default)]
struct Pending {
    seqs: Vec<u32>,
    /// The segment holding the latest urgent byte has arrived.
    last_arrived: bool,
}

/// Position of `seq` relative to `base` (negative: before it).
fn rel(base: u32, seq: u32) -> i64 {
    i64::from(seq.wrapping_sub(base) as i32)
}

impl UrgentBytes {
    pub fn is_empty(&self) -> bool {
        self.seqs().is_empty()
    }

    fn seqs(&self) -> &[u32] {
        self.0.as_deref().map_or(&[], |p| p.seqs.as_slice())
    }

    pub fn capacity_bytes(&self) -> usize {
        self.0.as_ref().map_or(0, |p| std::mem::size_of::<Pending>() + p.seqs.capacity() * std::mem::size_of::<u32>())
    }

    /// The latest urgent byte if its segment has not arrived yet.
    pub fn unarrived(&self) -> Option<u32> {
        self.0.as_deref().filter(|p| !p.last_arrived).and_then(|p| p.seqs.last().copied())
    }

    /// Notes that a segment holding the urgent byte at `seq` arrived.
    pub fn arrived(&mut self, seq: u32) {
        if let Some(p) = self.0.as_mut() {
            if p.seqs.last() == Some(&seq) {
                p.last_arrived = true;
            }
        }
    }

    /// Urgent bytes from `base` up to (not including) `seq`.
    pub fn before(&self, base: u32, seq: u32) -> i64 {
        let r = rel(base, seq);
        self.seqs().iter().take_while(|&&s| rel(base, s) < r).count() as i64
    }

    /// Index in a segment (`seq`, `len` bytes) of the first urgent byte in
    /// it.
    pub fn within(&self, base: u32, seq: u32, len: usize) -> Option<usize> {
        let (lo, hi) = (rel(base, seq), rel(base, seq) + len as i64);
        self.seqs().iter().map(|&s| rel(base, s)).find(|&r| r >= lo && r < hi).map(|r| (r - lo) as usize)
    }

    /// The latest urgent byte, if any.
    pub fn last(&self) -> Option<u32> {
        self.seqs().last().copied()
    }

    /// Records the urgent byte at `seq`; `received` is the sequence number
    /// up to which the stream is already contiguous. A receiver keeps one
    /// pointer: a later one supersedes a byte whose segment has not arrived
    /// yet, which then stays inline (so pointers far ahead cannot pile up).
    /// Returns whether a pointer was superseded.
    pub fn add(&mut self, base: u32, seq: u32, received: u32, limit: usize) -> Result<bool, Skipped> {
        let r = rel(base, seq);
        if r < rel(base, received) || self.last().is_some_and(|last| r <= rel(base, last)) {
            return Err(Skipped::Stale);
        }
        let p = self.0.get_or_insert_with(Box::default);
        let superseded = !p.last_arrived && !p.seqs.is_empty();
        if superseded {
            p.seqs.pop();
        } else if p.seqs.len() >= limit {
            return Err(Skipped::Limit);
        }
        p.seqs.push(seq);
        p.last_arrived = false;
        Ok(superseded)
    }

    /// Sequence distance from `base` of the stream byte `delta` bytes on:
    /// `delta` plus the urgent bytes before it.
    pub fn seq_distance(&self, base: u32, delta: u64) -> u64 {
        self.passed(base, delta).0
    }

    /// Moves the reference point `delta` stream bytes on from `base`,
    /// forgetting the urgent bytes passed; returns the sequence distance.
    pub fn advance(&mut self, base: u32, delta: u64) -> u64 {
        let (raw, passed) = self.passed(base, delta);
        if let Some(p) = self.0.as_mut() {
            p.seqs.drain(..passed);
        }
        raw
    }

    fn passed(&self, base: u32, delta: u64) -> (u64, usize) {
        let mut raw = delta as i64;
        let mut passed = 0;
        for &s in self.seqs() {
            if rel(base, s) < raw {
                raw += 1;
                passed += 1;
            } else {
                break;
            }
        }
        (raw as u64, passed)
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_skip_urgent_bytes_and_advance_past_them() {
        let base = u32::MAX - 5; // wraps
        let mut u = UrgentBytes::default();
        assert_eq!(u.add(base, base.wrapping_add(10), base, 4), Ok(false));
        u.arrived(base.wrapping_add(10));
        assert_eq!(u.add(base, base.wrapping_add(20), base, 4), Ok(false));
        // Repeated, behind the last one, or inside data received: ignored.
        assert_eq!(u.add(base, base.wrapping_add(20), base, 4), Err(Skipped::Stale));
        assert_eq!(u.add(base, base.wrapping_add(15), base, 4), Err(Skipped::Stale));
        assert_eq!(u.add(base, base.wrapping_add(3), base.wrapping_add(5), 4), Err(Skipped::Stale));
        assert_eq!(u.before(base, base.wrapping_add(10)), 0);
        assert_eq!(u.before(base, base.wrapping_add(11)), 1);
        assert_eq!(u.before(base, base.wrapping_add(30)), 2);
        assert_eq!(u.within(base, base.wrapping_add(8), 2), None);
        assert_eq!(u.within(base, base.wrapping_add(8), 3), Some(2));
        assert_eq!(u.within(base, base.wrapping_add(12), 100), Some(8));
        // 12 stream bytes from base cover sequence 0..13 (one urgent byte).
        assert_eq!(u.advance(base, 12), 13);
        let base = base.wrapping_add(13);
        assert_eq!(u.before(base, base.wrapping_add(8)), 1);
        assert_eq!(u.advance(base, 100), 101);
        assert!(u.is_empty());
    }

    #[test]
    fn pending_urgent_bytes_are_bounded() {
        let mut u = UrgentBytes::default();
        for i in 0..3 {
            assert_eq!(u.add(0, 10 * i + 1, 0, 3), Ok(false));
            u.arrived(10 * i + 1);
        }
        assert_eq!(u.add(0, 100, 0, 3), Err(Skipped::Limit));
        // Pointers ahead of their bytes replace one another.
        let mut u = UrgentBytes::default();
        assert_eq!(u.add(0, 100, 0, 3), Ok(false));
        assert_eq!(u.add(0, 200, 0, 3), Ok(true));
        u.arrived(200);
        assert_eq!(u.add(0, 300, 0, 3), Ok(false));
        assert_eq!((u.before(0, 1000), u.last()), (2, Some(300)));
    }
}
