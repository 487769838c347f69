//! IP-only signatures (addresses and protocol alone) are matched once per
//! flow direction through an interval index: for each source and
//! destination address, a bitset of the signatures whose address set
//! contains it; the candidates are the intersection. Threat-intel lists
//! with thousands of addresses cost one binary search per side.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::rules::ipset::{addr_key, IpSet};

/// One direction of one signature (bidirectional rules have two).
struct Entry {
    sig: u32,
}

/// Address -> bitset over entries.
struct SideIndex {
    /// Start of each interval (sorted); interval i is [starts[i], starts[i+1]).
    starts: Vec<u128>,
    /// Bitset id of each interval.
    sets: Vec<u32>,
}

impl SideIndex {
    fn build(
        sets_per_entry: &[&IpSet],
        words: usize,
        interned: &mut Vec<Vec<u64>>,
        lookup: &mut HashMap<Vec<u64>, u32>,
    ) -> SideIndex {
        let mut bounds: Vec<u128> = vec![0];
        for s in sets_per_entry {
            for &(lo, hi) in s.ranges() {
                bounds.push(lo);
                if let Some(n) = hi.checked_add(1) {
                    bounds.push(n);
                }
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        // Coverage by sweeping: per entry, mark the intervals its ranges cover.
        let mut bits = vec![vec![0u64; words]; bounds.len()];
        for (e, s) in sets_per_entry.iter().enumerate() {
            for &(lo, hi) in s.ranges() {
                let first = bounds.partition_point(|&b| b < lo);
                let mut i = first;
                while i < bounds.len() && bounds[i] <= hi {
                    bits[i][e / 64] |= 1 << (e % 64);
                    i += 1;
                }
            }
        }
        let sets = bits
            .into_iter()
            .map(|b| {
                *lookup.entry(b.clone()).or_insert_with(|| {
                    interned.push(b);
                    (interned.len() - 1) as u32
                })
            })
            .collect();
        SideIndex { starts: bounds, sets }
    }

    fn lookup(&self, a: IpAddr) -> u32 {
        let k = addr_key(a);
        let i = self.starts.partition_point(|&s| s <= k);
        self.sets[i.saturating_sub(1)]
    }
}

pub struct IpOnlyIndex {
    entries: Vec<Entry>,
    words: usize,
    bitsets: Vec<Vec<u64>>,
    src: SideIndex,
    dst: SideIndex,
}

impl IpOnlyIndex {
    /// `sigs`: (signature id, source set, destination set, bidirectional).
    pub fn build(sigs: &[(u32, &IpSet, &IpSet, bool)]) -> IpOnlyIndex {
        let mut entries = Vec::new();
        let mut srcs: Vec<&IpSet> = Vec::new();
        let mut dsts: Vec<&IpSet> = Vec::new();
        for &(sig, s, d, bidir) in sigs {
            entries.push(Entry { sig });
            srcs.push(s);
            dsts.push(d);
            if bidir {
                entries.push(Entry { sig });
                srcs.push(d);
                dsts.push(s);
            }
        }
        let words = entries.len().div_ceil(64).max(1);
        let mut bitsets = Vec::new();
        let mut lookup = HashMap::new();
        let src = SideIndex::build(&srcs, words, &mut bitsets, &mut lookup);
        let dst = SideIndex::build(&dsts, words, &mut bitsets, &mut lookup);
        IpOnlyIndex { entries, words, bitsets, src, dst }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends the signatures whose addresses admit (src, dst); may repeat
    /// a bidirectional signature (the caller deduplicates).
    pub fn candidates(&self, src: IpAddr, dst: IpAddr, out: &mut Vec<u32>) {
        if self.entries.is_empty() {
            return;
        }
        let a = &self.bitsets[self.src.lookup(src) as usize];
        let b = &self.bitsets[self.dst.lookup(dst) as usize];
        for w in 0..self.words {
            let mut m = a[w] & b[w];
            while m != 0 {
                let bit = m.trailing_zeros() as usize;
                m &= m - 1;
                if let Some(e) = self.entries.get(w * 64 + bit) {
                    out.push(e.sig);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::header::parse_addresses;
    use crate::rules::Vars;

    fn set(s: &str) -> IpSet {
        parse_addresses(s, &Vars::default()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn intersection_and_bidirectional() {
        let (any, home, bad, dns) = (set("any"), set("$HOME_NET"), set("[1.2.3.4,5.6.7.0/24]"), set("8.8.8.8"));
        let idx = IpOnlyIndex::build(&[(10, &bad, &home, false), (11, &any, &dns, false), (12, &home, &bad, true)]);
        let mut out = Vec::new();
        idx.candidates(ip("5.6.7.9"), ip("10.0.0.1"), &mut out);
        out.sort();
        assert_eq!(out, vec![10, 12], "12 matches in reverse");
        out.clear();
        idx.candidates(ip("10.0.0.1"), ip("8.8.8.8"), &mut out);
        assert_eq!(out, vec![11]);
        out.clear();
        idx.candidates(ip("9.9.9.9"), ip("10.0.0.1"), &mut out);
        assert!(out.is_empty());
        out.clear();
        idx.candidates(ip("::1"), ip("8.8.8.8"), &mut out);
        assert_eq!(out, vec![11]);
    }
}
