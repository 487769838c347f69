//! Reassembly against simple models: any segmentation, order, duplication
//! or identical overlap gives back the original bytes; differing overlaps
//! follow the receiver's policy byte for byte; truncation becomes gaps.

use proptest::prelude::*;

use super::reassembly::{Insert, StreamDir, Trigger};
use super::{MemBudget, OverlapPolicy, ReassemblyConfig, StreamStats};

struct Harness {
    dir: StreamDir,
    cfg: ReassemblyConfig,
    budget: MemBudget,
    stats: StreamStats,
    scratch: Vec<u8>,
    /// Everything inspected, in order, gaps as markers.
    seen: Vec<u8>,
    /// Per window: (new bytes start in `seen`, window bytes).
    windows: Vec<(u64, u64, Vec<u8>)>,
    last_end: u64,
    isn: u32,
}

impl Harness {
    fn new(policy: OverlapPolicy, isn: u32, cfg: ReassemblyConfig) -> Harness {
        let mut dir = StreamDir::new(policy);
        dir.start(isn);
        Harness {
            dir,
            cfg,
            budget: MemBudget::new(cfg.memcap),
            stats: StreamStats::default(),
            scratch: Vec::new(),
            seen: Vec::new(),
            windows: Vec::new(),
            last_end: 0,
            isn,
        }
    }

    fn send(&mut self, off: u64, data: &[u8], missing: u32) -> Insert {
        let seq = self.isn.wrapping_add(off as u32);
        let r = self.dir.insert(seq, data, missing, &self.cfg, &mut self.budget, &mut self.stats, &mut self.scratch);
        self.dir.tick();
        self.inspect(Trigger::Packet);
        r
    }

    fn ack(&mut self, off: u64) {
        self.dir.on_ack(self.isn.wrapping_add(off as u32));
    }

    fn inspect(&mut self, t: Trigger) {
        while let Some(w) = self.dir.next_window(&self.cfg, 64, t, &mut self.budget, &mut self.stats) {
            if w.new_from > self.last_end {
                self.seen.extend_from_slice(format!("[{} bytes missing]", w.new_from - self.last_end).as_bytes());
            }
            let bytes = self.dir.window_bytes(&w).to_vec();
            assert_eq!(bytes.len() as u64, w.end - w.start, "window bytes match the window");
            assert!(w.start <= w.new_from && w.new_from < w.end);
            self.seen.extend_from_slice(&bytes[(w.new_from - w.start) as usize..]);
            self.windows.push((w.start, w.new_from, bytes));
            self.last_end = w.end;
            self.dir.consume(&w, &self.cfg, &mut self.stats);
        }
        self.dir.trim(&self.cfg, &mut self.budget);
    }

    fn finish(&mut self) -> Vec<u8> {
        self.inspect(Trigger::Eof);
        std::mem::take(&mut self.seen)
    }

    /// Occurrences of `pat` found across windows, counting only those that
    /// end in a window's new data (how detection counts stream matches).
    fn count_matches(&self, pat: &[u8]) -> usize {
        let mut n = 0;
        for (start, new_from, bytes) in &self.windows {
            let min_end = (new_from - start) as usize;
            n += bytes.windows(pat.len()).enumerate().filter(|&(i, w)| w == pat && i + pat.len() > min_end).count();
        }
        n
    }
}

fn cfg() -> ReassemblyConfig {
    ReassemblyConfig { lookback: 64, ..ReassemblyConfig::default() }
}

/// Cuts `[0, len)` into segments at the given cut points.
fn segments(len: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % len.max(1)).filter(|&c| c > 0).collect();
    points.push(0);
    points.push(len);
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| (w[0], w[1])).collect()
}

fn shuffle<T>(v: &mut [T], seeds: &[usize]) {
    for (i, s) in seeds.iter().enumerate() {
        if v.len() < 2 {
            return;
        }
        let a = i % v.len();
        let b = s % v.len();
        v.swap(a, b);
    }
}

#[test]
fn in_order_and_reverse_order() {
    let data: Vec<u8> = (0..500u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut h = Harness::new(OverlapPolicy::Bsd, 1000, cfg());
    for (i, c) in data.chunks(10).enumerate() {
        assert_eq!(h.send(i as u64 * 10, c, 0), Insert::Stored);
    }
    assert_eq!(h.finish(), data);
    let mut h = Harness::new(OverlapPolicy::Bsd, 1000, cfg());
    for i in (0..data.len()).rev() {
        h.send(i as u64, &data[i..=i], 0);
    }
    assert_eq!(h.finish(), data);
    assert_eq!(h.stats.gaps(), 0);
}

#[test]
fn exact_overlap_follows_the_receiver() {
    for (policy, want) in [(OverlapPolicy::Bsd, b"GOOD"), (OverlapPolicy::OldLinux, b"EVIL")] {
        let mut h = Harness::new(policy, 1, cfg());
        h.ack(0);
        h.send(0, b"GOOD", 0);
        h.send(0, b"EVIL", 0);
        assert_eq!(h.finish(), want.to_vec(), "{policy:?}");
        assert_eq!(h.stats.overlaps_different, 1);
    }
}

#[test]
fn acknowledged_data_is_final() {
    let mut h = Harness::new(OverlapPolicy::Last, 1, ReassemblyConfig { lookback: 64, ..cfg() });
    h.ack(0);
    h.send(0, &[b'a'; 100], 0);
    h.ack(100);
    h.send(100, b"x", 0);
    // Inspected: a retransmission cannot change it, even under "last".
    assert_eq!(h.send(0, &[b'b'; 100], 0), Insert::Old);
    assert_eq!(&h.finish()[..100], &[b'a'; 100][..]);
}

#[test]
fn truncated_tail_becomes_a_gap_at_once() {
    let mut h = Harness::new(OverlapPolicy::Bsd, 7, cfg());
    h.send(0, b"VERY", 4);
    h.send(8, b"DATA", 0);
    // No ACKs, no flush: the truncation alone declares the gap.
    h.inspect(Trigger::Fin);
    assert_eq!(h.seen, b"VERY[4 bytes missing]DATA".to_vec());
    assert_eq!(h.stats.gaps_truncated, 1);
    let w = h.windows.last().unwrap();
    assert_eq!(w.2, b"DATA".to_vec(), "windows never cross a gap");
    let mut log = Vec::new();
    let (at, off) = h.dir.render(&mut log);
    assert_eq!(log, b"VERY[4 bytes missing]DATA".to_vec());
    assert_eq!((at, off), (21, 8));
}

#[test]
fn acked_hole_waits_for_the_reorder_tolerance() {
    let mut h = Harness::new(OverlapPolicy::Bsd, 0, ReassemblyConfig { reorder_tolerance: 3, ..cfg() });
    h.ack(0);
    h.send(0, &[1; 100], 0);
    h.send(200, &[3; 100], 0);
    h.ack(300);
    h.send(300, &[4; 10], 0);
    h.send(310, &[4; 10], 0);
    assert_eq!(h.stats.gaps(), 0, "still within the tolerance");
    // The late segment arrives: no gap at all.
    h.send(100, &[2; 100], 0);
    h.ack(320);
    h.send(320, &[5; 10], 0);
    assert_eq!(h.stats.gaps(), 0);
    // A hole that never fills.
    h.send(400, &[6; 10], 0);
    h.ack(410);
    for i in 0..4 {
        h.send(410 + i * 10, &[7; 10], 0);
        h.ack(420 + i * 10);
    }
    h.send(450, &[8; 10], 0);
    assert_eq!(h.stats.gaps_acked, 1);
    let seen = h.finish();
    assert!(seen.windows(18).any(|w| w == b"[70 bytes missing]"));
}

#[test]
fn forged_ack_beyond_sent_data_is_no_hole() {
    let mut h = Harness::new(OverlapPolicy::Bsd, 0, ReassemblyConfig { reorder_tolerance: 0, ..cfg() });
    h.ack(0);
    h.send(0, &[1; 10], 0);
    h.ack(1_000_000);
    for _ in 0..10 {
        h.dir.tick();
    }
    h.send(10, &[2; 10], 0);
    assert_eq!(h.stats.gaps(), 0);
    assert_eq!(h.finish(), [[1u8; 10], [2; 10]].concat());
}

#[test]
fn depth_stops_the_stream() {
    let mut h = Harness::new(OverlapPolicy::Bsd, 0, ReassemblyConfig { depth: 100, ..cfg() });
    assert_eq!(h.send(0, &[1; 150], 0), Insert::Stored);
    assert!(h.dir.depth_done());
    assert_eq!(h.send(150, &[1; 10], 0), Insert::Refused);
    assert_eq!(h.finish().len(), 100);
    assert_eq!(h.budget.used, h.budget.spare_bytes(), "a finished stream holds nothing");
}

#[test]
fn memcap_refuses_and_counts() {
    let c = ReassemblyConfig { memcap: 4096, ..cfg() };
    let mut h = Harness::new(OverlapPolicy::Bsd, 0, c);
    h.ack(0);
    let mut refused = 0;
    for i in 0..100u64 {
        // Out of order: every other 100 bytes, never contiguous.
        if h.send(100 + i * 200, &[9; 100], 0) == Insert::Refused {
            refused += 1;
        }
        assert!(h.budget.used <= 4096, "{} over the cap", h.budget.used);
    }
    assert!(refused > 0);
    assert_eq!(h.stats.memcap_drops, refused);
}

#[test]
fn segment_limit_without_acks_gives_up_the_first_hole() {
    let c = ReassemblyConfig { max_segments: 8, ..cfg() };
    let mut h = Harness::new(OverlapPolicy::Bsd, 0, c);
    for i in 0..20u64 {
        h.send(10 + i * 20, &[i as u8; 10], 0);
    }
    assert!(h.stats.gaps_overflow > 0);
    assert!(h.dir.pending() < 200);
}

#[test]
fn segment_limit_with_acks_drops_the_furthest() {
    let c = ReassemblyConfig { max_segments: 8, ..cfg() };
    let mut h = Harness::new(OverlapPolicy::Bsd, 0, c);
    h.ack(0);
    for i in (0..20u64).rev() {
        h.send(10 + i * 20, &[i as u8; 10], 0);
    }
    assert_eq!(h.stats.gaps(), 0, "no hole is skipped while ACKs can come");
    assert!(h.stats.segment_limit_drops > 0);
    // Sent one byte at a time in order, adjacent segments merge.
    let mut h = Harness::new(OverlapPolicy::Bsd, 0, c);
    h.ack(0);
    for i in 0..100u64 {
        h.send(i, b"x", 0);
    }
    assert_eq!(h.stats.segment_limit_drops, 0);
    assert!(h.stats.segments_merged > 0);
    h.ack(100);
    h.inspect(Trigger::Packet);
    assert_eq!(h.finish(), vec![b'x'; 100]);
}

#[test]
fn wraparound() {
    let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let mut h = Harness::new(OverlapPolicy::Bsd, u32::MAX - 100, cfg());
    h.ack(0);
    let mut cuts: Vec<(usize, usize)> = segments(300, &[50, 101, 102, 250]);
    cuts.reverse();
    for (a, b) in cuts {
        h.send(a as u64, &data[a..b], 0);
    }
    h.ack(300);
    assert_eq!(h.finish(), data);
}

/// Byte-at-a-time model of overlap resolution (no inspection until the
/// end, so every segment is judged against all earlier ones).
fn model(policy: OverlapPolicy, len: usize, segs: &[(usize, Vec<u8>)]) -> Vec<Option<u8>> {
    let mut out: Vec<Option<u8>> = vec![None; len];
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for (off, data) in segs {
        let (s, e) = (*off, off + data.len());
        for x in s..e {
            let new = data[x - s];
            let keep_old = out[x].is_some()
                && seen
                    .iter()
                    .any(|&(ls, le)| ls <= x && x < le && !policy.new_wins(s as u64, e as u64, ls as u64, le as u64));
            if !keep_old {
                out[x] = Some(new);
            }
        }
        seen.push((s, e));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_segmentation_order_and_duplication_reassembles(
        data in proptest::collection::vec(any::<u8>(), 1..3000),
        cuts in proptest::collection::vec(any::<usize>(), 0..60),
        order in proptest::collection::vec(any::<usize>(), 0..60),
        dups in proptest::collection::vec((any::<usize>(), 1usize..300), 0..10),
        isn in any::<u32>(),
        with_acks in any::<bool>(),
    ) {
        let mut segs: Vec<(usize, usize)> = segments(data.len(), &cuts);
        // Overlapping copies with identical bytes.
        for (at, len) in dups {
            let a = at % data.len();
            segs.push((a, (a + len).min(data.len())));
        }
        shuffle(&mut segs, &order);
        let mut h = Harness::new(OverlapPolicy::Bsd, isn, cfg());
        if with_acks {
            h.ack(0);
        }
        // A receiver acknowledges what it has contiguously.
        let mut have = vec![false; data.len()];
        for &(a, b) in &segs {
            h.send(a as u64, &data[a..b], 0);
            have[a..b].iter_mut().for_each(|x| *x = true);
            if with_acks {
                h.ack(have.iter().position(|&x| !x).unwrap_or(data.len()) as u64);
            }
        }
        prop_assert_eq!(h.finish(), data);
        prop_assert_eq!(h.stats.gaps(), 0);
        prop_assert_eq!(h.stats.overlaps_different, 0);
        prop_assert_eq!(h.budget.used, h.dir.charged() + h.budget.spare_bytes());
    }

    #[test]
    fn a_pattern_anywhere_is_found_exactly_once(
        fill in proptest::collection::vec(0u8..16, 1..4000),
        at in any::<usize>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..80),
        order in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let pat = b"\xf0EVIL-PATTERN\xf1";
        let mut data = fill.clone();
        let at = at % (data.len() + 1);
        data.splice(at..at, pat.iter().copied());
        let mut segs = segments(data.len(), &cuts);
        shuffle(&mut segs, &order);
        let mut h = Harness::new(OverlapPolicy::Bsd, 5, cfg());
        for &(a, b) in &segs {
            h.send(a as u64, &data[a..b], 0);
        }
        h.finish();
        prop_assert_eq!(h.count_matches(pat), 1);
    }

    #[test]
    fn differing_overlaps_follow_the_policy(
        policy in proptest::sample::select(OverlapPolicy::ALL.to_vec()),
        segs in proptest::collection::vec((0usize..200, 1usize..60, any::<u8>()), 1..25),
    ) {
        let len = 260;
        let segs: Vec<(usize, Vec<u8>)> =
            segs.into_iter().map(|(off, n, b)| (off, (0..n).map(|i| b.wrapping_add(i as u8)).collect())).collect();
        let want = model(policy, len, &segs);
        // The receiver is visible but acknowledges nothing until the end:
        // every overlap is judged before inspection.
        let mut h = Harness::new(policy, 77, ReassemblyConfig { lookback: 0, ..cfg() });
        h.ack(0);
        for (off, data) in &segs {
            h.send(*off as u64, data, 0);
        }
        let got = h.finish();
        // Compare runs of present bytes: the model's holes are gaps.
        let mut expect = Vec::new();
        let mut missing = 0usize;
        let first = want.iter().position(Option::is_some);
        let last = want.iter().rposition(Option::is_some);
        if let (Some(f), Some(l)) = (first, last) {
            if f > 0 {
                expect.extend_from_slice(format!("[{f} bytes missing]").as_bytes());
            }
            for b in &want[f..=l] {
                match b {
                    Some(v) => {
                        if missing > 0 {
                            expect.extend_from_slice(format!("[{missing} bytes missing]").as_bytes());
                            missing = 0;
                        }
                        expect.push(*v);
                    }
                    None => missing += 1,
                }
            }
        }
        prop_assert_eq!(got, expect);
    }

    #[test]
    fn truncation_gaps_are_exact(
        data in proptest::collection::vec(1u8..255, 100..2000),
        cuts in proptest::collection::vec(any::<usize>(), 1..20),
        cut_tail in proptest::collection::vec(any::<bool>(), 20),
    ) {
        // Each segment may lose its second half to truncation.
        let segs = segments(data.len(), &cuts);
        let mut h = Harness::new(OverlapPolicy::Bsd, 9, cfg());
        let mut expect = Vec::new();
        let mut missing = 0usize;
        for (i, &(a, b)) in segs.iter().enumerate() {
            let keep = if cut_tail[i % cut_tail.len()] && b - a > 1 { (b - a) / 2 } else { b - a };
            h.send(a as u64, &data[a..a + keep], (b - a - keep) as u32);
            if missing > 0 {
                expect.extend_from_slice(format!("[{missing} bytes missing]").as_bytes());
            }
            expect.extend_from_slice(&data[a..a + keep]);
            missing = b - a - keep;
        }
        prop_assert_eq!(h.finish(), expect);
    }

    /// Urgent junk bytes, one per segment at most, taken out under the
    /// `oob` policy: the stream is the data without them, whatever the
    /// segmentation and the order of arrival (the urgent segments in
    /// theirs), across inspection windows.
    #[test]
    fn urgent_bytes_leave_the_stream(
        chunks in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..40), any::<Option<u8>>()), 1..40),
        order in proptest::collection::vec(any::<usize>(), 0..40),
        isn in any::<u32>(),
        in_order in any::<bool>(),
    ) {
        // Each chunk on the wire, with its junk byte at position k if any.
        let (mut data, mut wire) = (Vec::new(), Vec::new());
        let mut segs = Vec::new();
        for (chunk, junk_at) in &chunks {
            let start = wire.len();
            data.extend_from_slice(chunk);
            let urgent = junk_at.map(|k| usize::from(k) % (chunk.len() + 1));
            match urgent {
                Some(k) => {
                    wire.extend_from_slice(&chunk[..k]);
                    wire.push(b'#');
                    wire.extend_from_slice(&chunk[k..]);
                }
                None => wire.extend_from_slice(chunk),
            }
            segs.push((start, wire.len(), urgent));
        }
        let small = ReassemblyConfig { to_server_chunk: 16, lookback: 8, ..cfg() };
        let mut h = Harness::new(OverlapPolicy::Bsd, isn, small);
        if !in_order {
            // Any order, but the urgent segments in theirs (a receiver
            // ignores a pointer behind the latest one).
            shuffle(&mut segs, &order);
            let mut urgent_segs: Vec<_> = segs.iter().copied().filter(|s| s.2.is_some()).collect();
            urgent_segs.sort_unstable();
            let mut next = urgent_segs.into_iter();
            for s in segs.iter_mut().filter(|s| s.2.is_some()) {
                *s = next.next().unwrap_or(*s);
            }
        }
        for &(a, b, urgent) in &segs {
            if let Some(k) = urgent {
                let seq = isn.wrapping_add(a as u32);
                prop_assert_eq!(h.dir.mark_urgent(seq, k as u16 + 1, 64, &mut h.budget), Ok(false));
            }
            h.send(a as u64, &wire[a..b], 0);
        }
        prop_assert_eq!(h.finish(), data);
        prop_assert_eq!(h.stats.gaps(), 0);
    }
}
