//! One direction of a TCP connection, rebuilt as the receiver sees it.
//!
//! Positions are stream offsets (u64, 0 = first byte of the direction);
//! sequence numbers are mapped relative to a reference kept at the
//! inspected point, so wraparound and streams over 4 GiB need no special
//! case. Buffered data lives in `pieces`: sorted, non-touching runs of
//! bytes. The first piece is the current run, holding a little already
//! inspected data (the lookback) and whatever follows contiguously; later
//! pieces are out-of-order data beyond holes.
//!
//! Overlaps are judged against the original extents of buffered segments
//! (`segs`), as the receiving host would judge them. Data becomes final
//! when it is inspected; inspection waits for the receiver's ACK when the
//! receiver is visible, so a retransmission can still change unacknowledged
//! bytes the way the host's stack would.
//!
//! A hole becomes a gap (skipped, shown as `[N bytes missing]`) only for a
//! reason: the bytes were cut by truncation, the receiver acknowledged them
//! (and they did not arrive within the reorder tolerance), the buffer limit
//! was hit on a direction without ACKs, or the flow ended.

use std::io::Write;

use super::buffer::Pieces;
use super::urgent::{Skipped, UrgentBytes};
use super::{MemBudget, OverlapPolicy, ReassemblyConfig, StreamStats};

/// Data further ahead than this of the inspected point is not believed.
const MAX_AHEAD: i64 = 1 << 30;
/// Known-lost ranges remembered per direction.
const MAX_LOST: usize = 64;
/// Message starts remembered per direction (covering the lookback and the
/// data not yet inspected).
const MAX_ANCHORS: usize = 4096;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Extent {
    start: u64,
    end: u64,
}

/// What became of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// Its bytes are in the stream (some may have been old already).
    Stored,
    /// Entirely inside inspected data: a retransmission.
    Old,
    /// Not part of the stream: beyond the depth, outside the window, out
    /// of order with the out-of-order share of memory used up, or over
    /// the segment limit. Its packet is inspected on its own.
    Refused,
    /// In-order data refused for lack of memory: worth making room for.
    NoMemory,
}

/// One outcome for a segment inserted in pieces: short of memory if any
/// piece was, else stored if any piece was.
fn merge_inserts(earlier: Option<Insert>, next: Insert) -> Insert {
    let rank = |r: Insert| match r {
        Insert::NoMemory => 3,
        Insert::Stored => 2,
        Insert::Old => 1,
        Insert::Refused => 0,
    };
    match earlier {
        Some(e) if rank(e) > rank(next) => e,
        _ => next,
    }
}

/// Why inspection is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A packet of this direction: inspect when a chunk is ready.
    Packet,
    /// The sender finished (FIN): inspect all contiguous data.
    Fin,
    /// The receiver acknowledged everything sent so far (the end of a
    /// request or a response): inspect it without waiting for a chunk.
    Acked,
    /// The flow ended or was reset: inspect everything, holes are gaps.
    Eof,
}

/// Reassembled bytes to inspect: `[start, end)`, of which `[new_from,
/// end)` has not been inspected before. Never crosses a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u64,
    pub end: u64,
    pub new_from: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GapCause {
    Truncated,
    Acked,
    Overflow,
    Flush,
}

#[derive(Debug, Clone)]
pub struct StreamDir {
    policy: OverlapPolicy,
    started: bool,
    /// `seq_ref` is the sequence number of offset `off_ref`.
    seq_ref: u32,
    off_ref: u64,
    pieces: Pieces,
    /// Extents of segments not yet inspected, sorted by start.
    segs: Vec<Extent>,
    /// Longest extent in `segs` (bounds the search for overlaps).
    seg_max_len: u64,
    /// Ranges known to be missing (truncated copies), sorted.
    lost: Vec<(u64, u64)>,
    /// Everything before this offset is inspected or a gap.
    inspected: u64,
    /// Highest offset the receiver acknowledged (capped at what the sender
    /// was seen to send); None while the receiver is not seen.
    acked: Option<u64>,
    /// Furthest offset the sender was seen to reach.
    highest: u64,
    /// Packets seen while an acknowledged hole is open.
    ack_hole_pkts: u32,
    /// Offset of the sender's FIN.
    fin: Option<u64>,
    /// The buffer limit was hit without ACKs: the next inspection skips
    /// the first hole.
    force_gap: bool,
    /// Earlier runs and gap markers, rendered for alert payloads.
    history: Vec<u8>,
    /// Offsets where a segment started (where the sender's writes, and so
    /// usually its messages, begin), sorted.
    anchors: Vec<u64>,
    /// How far the application-layer parser has been given data (never
    /// behind `inspected`: it is fed first).
    app_fed: u64,
    /// Gap bytes the application-layer parser still has to be told about.
    app_gap: u64,
    depth_done: bool,
    charged: u64,
    /// Bytes the sender marked urgent that the receiver takes out of the
    /// stream (`UrgentPolicy::Oob`).
    urgent: UrgentBytes,
}

impl StreamDir {
    pub fn new(policy: OverlapPolicy) -> StreamDir {
        StreamDir {
            policy,
            started: false,
            seq_ref: 0,
            off_ref: 0,
            pieces: Pieces::default(),
            segs: Vec::new(),
            seg_max_len: 0,
            lost: Vec::new(),
            inspected: 0,
            acked: None,
            highest: 0,
            ack_hole_pkts: 0,
            fin: None,
            force_gap: false,
            history: Vec::new(),
            anchors: Vec::new(),
            app_fed: 0,
            app_gap: 0,
            depth_done: false,
            charged: 0,
            urgent: UrgentBytes::default(),
        }
    }

    pub fn policy(&self) -> OverlapPolicy {
        self.policy
    }

    pub fn started(&self) -> bool {
        self.started
    }

    /// Sets the sequence number of the first byte (ISN + 1 after a SYN).
    pub fn start(&mut self, seq: u32) {
        if !self.started {
            self.started = true;
            self.seq_ref = seq;
            self.off_ref = 0;
        }
    }

    /// Offset of everything inspected so far (including gaps).
    pub fn inspected(&self) -> u64 {
        self.inspected
    }

    pub fn depth_done(&self) -> bool {
        self.depth_done
    }

    /// Bytes held (buffers and bookkeeping), as charged to the budget.
    pub fn charged(&self) -> u64 {
        self.charged
    }

    /// Bytes buffered beyond the inspected point.
    pub fn pending(&self) -> u64 {
        self.pieces.iter().map(|p| p.end().saturating_sub(p.off.max(self.inspected))).sum()
    }

    /// Stream offset of a sequence number: its distance from the reference
    /// point less the urgent bytes taken out in between.
    fn offset_of(&self, seq: u32) -> i64 {
        let off = self.off_ref as i64 + i64::from(seq.wrapping_sub(self.seq_ref) as i32);
        if self.urgent.is_empty() {
            off
        } else {
            off - self.urgent.before(self.seq_ref, seq)
        }
    }

    /// Takes the byte the urgent pointer of a segment (`seq`, `pointer`)
    /// names out of the stream, as the receiving host does: the byte at
    /// `seq + pointer - 1` (at `seq` for a pointer of 0, as Linux reads it).
    /// Returns whether it superseded a pointer whose byte had not arrived.
    pub fn mark_urgent(
        &mut self,
        seq: u32,
        pointer: u16,
        limit: usize,
        budget: &mut MemBudget,
    ) -> Result<bool, Skipped> {
        self.start(seq);
        let byte = seq.wrapping_add(u32::from(pointer.max(1)) - 1);
        let contiguous = self.urgent.seq_distance(self.seq_ref, self.contiguous_end().saturating_sub(self.off_ref));
        let received = self.seq_ref.wrapping_add(contiguous as u32);
        // Superseding a byte that has not arrived puts it back inline; with
        // data after it already buffered (out of order) that would move the
        // data, which is not done: the new pointer is not followed.
        if let Some(old) = self.urgent.unarrived() {
            let back = self.offset_of(old);
            if self.pieces.last().is_some_and(|p| p.end() as i64 > back) {
                return Err(Skipped::Stale);
            }
        }
        let at = self.offset_of(byte);
        let r = self.urgent.add(self.seq_ref, byte, received, limit)?;
        // Data after the byte buffered before its pointer came (out of
        // order) moves one back, the byte itself out.
        if at >= 0 && self.highest as i64 > at {
            self.pieces.remove_byte(at as u64, budget);
            self.shift_back(at as u64, budget);
        }
        Ok(r)
    }

    /// Moves the bookkeeping of offsets past `at` one back (an urgent byte
    /// taken out of data already buffered).
    fn shift_back(&mut self, at: u64, budget: &mut MemBudget) {
        let mv = |x: &mut u64| {
            if *x > at {
                *x -= 1;
            }
        };
        for e in &mut self.segs {
            mv(&mut e.start);
            mv(&mut e.end);
        }
        self.segs.retain(|e| e.start < e.end);
        for (lo, hi) in &mut self.lost {
            mv(lo);
            mv(hi);
        }
        self.lost.retain(|&(lo, hi)| lo < hi);
        self.anchors.iter_mut().for_each(mv);
        self.anchors.dedup();
        if let Some(f) = self.fin.as_mut() {
            mv(f);
        }
        if let Some(a) = self.acked.as_mut() {
            mv(a);
        }
        mv(&mut self.highest);
        self.recharge(budget);
    }

    /// End of the data contiguous from the inspected point.
    fn contiguous_end(&self) -> u64 {
        match self.pieces.first() {
            Some(p) if p.off <= self.inspected => p.end().max(self.inspected),
            _ => self.inspected,
        }
    }

    fn compute_charge(&self) -> u64 {
        (self.pieces.capacity_bytes()
            + self.segs.capacity() * std::mem::size_of::<Extent>()
            + self.lost.capacity() * 16
            + self.anchors.capacity() * 8
            + self.history.capacity()
            + self.urgent.capacity_bytes()) as u64
    }

    fn recharge(&mut self, budget: &mut MemBudget) {
        let now = self.compute_charge();
        budget.recharge(self.charged, now);
        self.charged = now;
    }

    /// Frees everything (the flow ended, or the stream is done).
    pub fn release(&mut self, budget: &mut MemBudget) {
        self.pieces.clear(budget);
        self.segs = Vec::new();
        self.lost = Vec::new();
        self.history = Vec::new();
        self.anchors = Vec::new();
        self.urgent.clear();
        self.recharge(budget);
    }

    /// Records the receiver's acknowledgement number.
    pub fn on_ack(&mut self, ack: u32) {
        if !self.started {
            return;
        }
        let a = self.offset_of(ack);
        if a < 0 {
            return;
        }
        // An ACK for data never seen sent is not evidence of a hole (it
        // may be forged to make the sensor skip ahead); after a FIN the
        // ACK counts the FIN too.
        let mut a = (a as u64).min(self.highest);
        if let Some(f) = self.fin {
            a = a.min(f);
        }
        self.acked = Some(self.acked.map_or(a, |x| x.max(a)));
    }

    /// Records the sender's FIN (at the end of the segment's payload).
    pub fn on_fin(&mut self, seq: u32, payload_len: u32) {
        if !self.started {
            return;
        }
        let end = self.offset_of(seq) + i64::from(payload_len);
        if end >= 0 && self.fin.is_none() {
            self.fin = Some(end as u64);
            self.highest = self.highest.max(end as u64);
        }
    }

    /// Whether `seq` is a plausible position for a reset (near the data
    /// expected next).
    pub fn rst_in_window(&self, seq: u32) -> bool {
        if !self.started {
            return true;
        }
        let off = self.offset_of(seq);
        let expect = self.highest.max(self.contiguous_end()) as i64;
        off >= expect - 1 - (1 << 20) && off <= expect + (1 << 20)
    }

    /// Counts a packet of the flow (for the reorder tolerance of
    /// acknowledged holes).
    pub fn tick(&mut self) {
        match self.acked {
            Some(a) if a > self.contiguous_end() => self.ack_hole_pkts = self.ack_hole_pkts.saturating_add(1),
            _ => self.ack_hole_pkts = 0,
        }
    }

    /// Adds a segment's payload. `missing` bytes that followed it were cut
    /// from the copy (truncation). `scratch` is reused for overlap
    /// resolution.
    #[allow(clippy::too_many_arguments)]
    pub fn insert(
        &mut self,
        seq: u32,
        data: &[u8],
        missing: u32,
        cfg: &ReassemblyConfig,
        budget: &mut MemBudget,
        stats: &mut StreamStats,
        scratch: &mut Vec<u8>,
    ) -> Insert {
        self.start(seq);
        let (mut seq, mut data, mut anchor) = (seq, data, true);
        let mut result = None;
        // Around each urgent byte the receiver takes out, the pieces go in
        // one after the other; the packet counts as stored if any piece is.
        while let Some(k) = self.urgent.within(self.seq_ref, seq, data.len()) {
            self.urgent.arrived(seq.wrapping_add(k as u32));
            let r = self.insert_piece(seq, &data[..k], 0, anchor, cfg, budget, stats, scratch);
            result = Some(merge_inserts(result, r));
            stats.urgent_removed += 1;
            seq = seq.wrapping_add(k as u32 + 1);
            data = &data[k + 1..];
            anchor = false;
        }
        let r = self.insert_piece(seq, data, missing, anchor, cfg, budget, stats, scratch);
        merge_inserts(result, r)
    }

    /// Adds a piece of a segment's payload with no urgent byte in it;
    /// `anchor`: it starts where the sender's segment started.
    #[allow(clippy::too_many_arguments)]
    fn insert_piece(
        &mut self,
        seq: u32,
        data: &[u8],
        missing: u32,
        anchor: bool,
        cfg: &ReassemblyConfig,
        budget: &mut MemBudget,
        stats: &mut StreamStats,
        scratch: &mut Vec<u8>,
    ) -> Insert {
        if self.depth_done {
            return Insert::Refused;
        }
        let off = self.offset_of(seq);
        let data_end = off + data.len() as i64;
        let total_end = data_end + i64::from(missing);
        if total_end <= 0 || off - self.inspected as i64 > MAX_AHEAD {
            // Before the first byte we know (a late segment of a session
            // picked up mid-stream) or implausibly far ahead.
            stats.out_of_window += 1;
            return Insert::Refused;
        }
        self.highest = self.highest.max(total_end as u64);
        if data_end <= self.inspected as i64 && total_end <= self.inspected as i64 {
            stats.retransmissions += 1;
            return Insert::Old;
        }
        let depth = if cfg.depth == 0 { u64::MAX } else { cfg.depth };
        if missing > 0 {
            let lo = (data_end.max(0) as u64).max(self.inspected);
            let hi = (total_end as u64).min(depth);
            if lo < hi {
                self.add_lost(lo, hi);
            }
        }
        let start = (off.max(0) as u64).max(self.inspected);
        let end = (data_end.max(0) as u64).min(depth);
        if start >= end {
            return if start >= depth { Insert::Refused } else { Insert::Stored };
        }
        stats.segments += 1;
        let from = (start as i64 - off) as usize;
        let new = &data[from..from + (end - start) as usize];
        let overlapping = self.pieces.overlaps(start, end);
        let out_of_order = start > self.contiguous_end();
        if out_of_order {
            stats.out_of_order += 1;
            if !budget.fits_out_of_order(end - start) {
                stats.memcap_drops += 1;
                stats.memcap_drop_bytes += end - start;
                return Insert::Refused;
            }
        }
        if self.segs.len() >= cfg.max_segments && !self.make_room(start, cfg.max_segments, budget, stats) {
            stats.segment_limit_drops += 1;
            stats.segment_limit_drop_bytes += end - start;
            return Insert::Refused;
        }
        let bytes: &[u8] = if overlapping {
            stats.overlaps += 1;
            let orig = (off.max(0) as u64, data_end as u64);
            if self.resolve(start, new, orig, scratch) {
                stats.overlaps_different += 1;
            }
            scratch
        } else {
            new
        };
        // Bookkeeping may grow too: reserve it while the data is written.
        let held_before = self.pieces.held();
        let meta = self.meta_growth();
        budget.used += meta;
        let written = budget.used <= budget.cap && self.pieces.write(start, bytes, budget);
        budget.used -= meta;
        if !written {
            if out_of_order {
                stats.memcap_drops += 1;
                stats.memcap_drop_bytes += end - start;
                return Insert::Refused;
            }
            return Insert::NoMemory;
        }
        self.add_extent(Extent { start: off.max(0) as u64, end: data_end as u64 });
        if anchor && start as i64 == off {
            self.add_anchor(start);
        }
        self.recharge(budget);
        let held = self.pieces.held();
        stats.bytes += held.saturating_sub(held_before) as u64;
        Insert::Stored
    }

    fn add_anchor(&mut self, at: u64) {
        match self.anchors.last() {
            Some(&l) if l == at => {}
            Some(&l) if l > at => {
                let i = self.anchors.partition_point(|&a| a < at);
                if self.anchors.get(i) != Some(&at) && self.anchors.len() < MAX_ANCHORS {
                    self.anchors.insert(i, at);
                }
            }
            _ if self.anchors.len() < MAX_ANCHORS => self.anchors.push(at),
            // Full (a flood of tiny segments): positional rules then see
            // fewer message starts; nothing else changes.
            _ => {}
        }
    }

    /// Message starts within a window, as indices into its bytes.
    pub fn window_anchors(&self, w: &Window, out: &mut Vec<u32>) {
        out.clear();
        let i = self.anchors.partition_point(|&a| a < w.start);
        out.extend(self.anchors[i..].iter().take_while(|&&a| a < w.end).map(|&a| (a - w.start) as u32));
    }

    /// Most the bookkeeping vectors can grow by recording one segment.
    fn meta_growth(&self) -> u64 {
        let grow = |len: usize, cap: usize, size: usize| if len < cap { 0 } else { (cap.max(4) * size) as u64 };
        grow(self.segs.len(), self.segs.capacity(), std::mem::size_of::<Extent>())
            + grow(self.anchors.len(), self.anchors.capacity(), 8)
            + grow(self.lost.len(), self.lost.capacity(), 16)
    }

    fn add_lost(&mut self, lo: u64, hi: u64) {
        if self.lost.len() >= MAX_LOST {
            // Forgetting that bytes were cut only delays the gap until the
            // receiver's ACK or the end of the flow.
            return;
        }
        let i = self.lost.partition_point(|&(s, _)| s < lo);
        self.lost.insert(i, (lo, hi));
    }

    /// Builds in `scratch` the bytes to store for `[start, start +
    /// new.len())`: the new bytes, except where an overlapped segment's
    /// bytes win under the receiver's policy. Returns whether any
    /// overlapped byte differed.
    fn resolve(&self, start: u64, new: &[u8], orig: (u64, u64), scratch: &mut Vec<u8>) -> bool {
        scratch.clear();
        scratch.extend_from_slice(new);
        let end = start + new.len() as u64;
        let mut differed = false;
        let first = self.segs.partition_point(|s| s.start.saturating_add(self.seg_max_len) <= start);
        for s in &self.segs[first..] {
            if s.start >= end {
                break;
            }
            if s.end <= start {
                continue;
            }
            let (lo, hi) = (s.start.max(start), s.end.min(end));
            let keep_old = !self.policy.new_wins(orig.0, orig.1, s.start, s.end);
            for p in self.pieces.from(lo) {
                if p.off >= hi {
                    break;
                }
                let (plo, phi) = (p.off.max(lo), p.end().min(hi));
                let old = &p.data[(plo - p.off) as usize..(phi - p.off) as usize];
                let dst = &mut scratch[(plo - start) as usize..(phi - start) as usize];
                if old != dst {
                    differed = true;
                    if keep_old {
                        dst.copy_from_slice(old);
                    }
                }
            }
        }
        differed
    }

    fn add_extent(&mut self, e: Extent) {
        self.seg_max_len = self.seg_max_len.max(e.end - e.start);
        match self.segs.last() {
            Some(l) if l.start > e.start => {
                let i = self.segs.partition_point(|s| s.start <= e.start);
                self.segs.insert(i, e);
            }
            _ => self.segs.push(e),
        }
    }

    /// Gets `segs` under the limit before a new segment at `start` is
    /// added. Returns false if the new segment must be refused.
    fn make_room(&mut self, start: u64, max: usize, budget: &mut MemBudget, stats: &mut StreamStats) -> bool {
        // Merge touching extents: no bytes are lost, only the boundaries
        // later overlaps are judged against.
        let mut merged: Vec<Extent> = Vec::with_capacity(self.segs.len());
        for &s in &self.segs {
            match merged.last_mut() {
                Some(m) if s.start <= m.end => m.end = m.end.max(s.end),
                _ => merged.push(s),
            }
        }
        if merged.len() < self.segs.len() {
            stats.segments_merged += 1;
            self.seg_max_len = merged.iter().map(|e| e.end - e.start).max().unwrap_or(0);
            self.segs = merged;
        }
        if self.segs.len() < max {
            return true;
        }
        if self.acked.is_none() {
            // Without ACKs nothing will ever fill the first hole for us:
            // give it up at the next inspection.
            self.force_gap = true;
            return true;
        }
        // Drop the furthest out-of-order data, as a receiver short of
        // memory prunes its out-of-order queue, keeping what is nearest to
        // being delivered.
        while self.segs.len() >= max {
            let Some(last) = self.pieces.last() else { return false };
            if last.off <= start || self.pieces.len() < 2 {
                return false;
            }
            let cut = last.off;
            stats.segment_limit_drops += 1;
            stats.segment_limit_drop_bytes += last.data.len() as u64;
            self.pieces.pop_last(budget);
            self.segs.retain(|s| s.start < cut);
        }
        self.recharge(budget);
        true
    }

    /// The next window to inspect, if one is due; call [`consume`] after
    /// inspecting it. Declares gaps on the way as their causes allow.
    pub fn next_window(
        &mut self,
        cfg: &ReassemblyConfig,
        chunk: u32,
        trigger: Trigger,
        budget: &mut MemBudget,
        stats: &mut StreamStats,
    ) -> Option<Window> {
        if !self.started || self.depth_done {
            return None;
        }
        loop {
            let e = self.contiguous_end();
            let edge = self.ready_edge(trigger, cfg, e);
            let waiting = matches!(trigger, Trigger::Packet | Trigger::Acked) && self.acked.is_some_and(|a| a < e);
            if edge == u64::MAX && waiting && e > self.inspected {
                stats.unacked_inspected += 1;
            }
            let ready = e.min(edge);
            let hole = self.declarable_hole(e, cfg, trigger);
            if ready > self.inspected {
                let depth_hit = cfg.depth != 0 && ready >= cfg.depth;
                let enough = trigger != Trigger::Packet
                    || cfg.inline
                    || ready - self.inspected >= u64::from(chunk)
                    || depth_hit
                    || (ready == e && hole.is_some());
                if !enough {
                    return None;
                }
                let run_start = self.pieces.first().map_or(self.inspected, |p| p.off);
                let start = run_start.max(self.inspected.saturating_sub(u64::from(cfg.lookback)));
                return Some(Window { start, end: ready, new_from: self.inspected });
            }
            let (Some((g, cause)), true) = (hole, self.inspected == e) else { return None };
            self.declare_gap(e, g, cause, cfg, budget, stats);
        }
    }

    /// How far data may be consumed under `trigger`: what the receiver
    /// acknowledged (everything when it is not seen, or at FIN and flow
    /// end, or when too much waits for an ACK).
    fn ready_edge(&self, trigger: Trigger, cfg: &ReassemblyConfig, e: u64) -> u64 {
        let edge = match trigger {
            Trigger::Eof => u64::MAX,
            _ if cfg.inline => u64::MAX,
            // Nothing will ever acknowledge data whose receiver is unseen.
            _ if cfg.unseen_ack_waits && self.acked.is_none() => 0,
            Trigger::Fin => u64::MAX,
            Trigger::Packet | Trigger::Acked => self.acked.unwrap_or(u64::MAX),
        };
        if edge < e && e - edge >= u64::from(cfg.max_unacked) {
            u64::MAX
        } else {
            edge
        }
    }

    /// Data the application-layer parser has not been given yet and may
    /// have now (same readiness as inspection), after `gap` missing bytes
    /// it must be told about first. Advances the parser's position.
    pub fn app_take(&mut self, trigger: Trigger, cfg: &ReassemblyConfig) -> (u64, std::ops::Range<u64>) {
        let gap = std::mem::take(&mut self.app_gap);
        let from = self.app_fed.max(self.inspected);
        if !self.started || self.depth_done {
            return (gap, from..from);
        }
        let e = self.contiguous_end();
        let ready = e.min(self.ready_edge(trigger, cfg, e));
        if ready <= from {
            return (gap, from..from);
        }
        self.app_fed = ready;
        (gap, from..ready)
    }

    /// The bytes of a range [`app_take`] returned.
    pub fn app_bytes(&self, r: &std::ops::Range<u64>) -> &[u8] {
        match self.pieces.first() {
            Some(p) if p.off <= r.start && r.end <= p.end() => {
                &p.data[(r.start - p.off) as usize..(r.end - p.off) as usize]
            }
            _ => &[],
        }
    }

    /// Where a hole at `e` may end if it can be declared a gap now.
    fn declarable_hole(&self, e: u64, cfg: &ReassemblyConfig, trigger: Trigger) -> Option<(u64, GapCause)> {
        let next = self.pieces.iter().map(|p| p.off).find(|&o| o > e);
        if let Some(&(_, le)) = self.lost.iter().find(|&&(ls, le)| ls <= e && e < le) {
            return Some((next.map_or(le, |n| n.min(le)), GapCause::Truncated));
        }
        if trigger == Trigger::Eof {
            return next.map(|n| (n, GapCause::Flush));
        }
        if self.force_gap {
            return next.map(|n| (n, GapCause::Overflow));
        }
        match self.acked {
            Some(a) if a > e && self.ack_hole_pkts >= cfg.reorder_tolerance => {
                Some((next.map_or(a, |n| n.min(a)), GapCause::Acked))
            }
            _ => None,
        }
    }

    fn declare_gap(
        &mut self,
        e: u64,
        g: u64,
        cause: GapCause,
        cfg: &ReassemblyConfig,
        budget: &mut MemBudget,
        stats: &mut StreamStats,
    ) {
        let keep = cfg.lookback as usize;
        let run = self.pieces.first().filter(|p| p.off <= e).map(|p| &p.data[p.data.len().saturating_sub(keep)..]);
        // The history is only for alert payloads: kept within the lookback,
        // and not at all when memory is short.
        let tail = run.unwrap_or(&[]);
        if budget.fits((self.history.capacity() + tail.len() + 32) as u64) {
            self.history.reserve_exact(tail.len() + 32);
            self.history.extend_from_slice(tail);
            let _ = write!(self.history, "[{} bytes missing]", g - e);
            if self.history.len() > keep {
                let cut = self.history.len() - keep;
                self.history.drain(..cut);
            }
        } else {
            self.history = Vec::new();
        }
        if self.pieces.first().is_some_and(|p| p.off <= e) {
            self.pieces.remove_first(budget);
        }
        match cause {
            GapCause::Truncated => stats.gaps_truncated += 1,
            GapCause::Acked => stats.gaps_acked += 1,
            GapCause::Overflow => stats.gaps_overflow += 1,
            GapCause::Flush => stats.gaps_flush += 1,
        }
        stats.gap_bytes += g - e;
        self.force_gap = false;
        self.ack_hole_pkts = 0;
        if self.app_fed < g {
            self.app_gap += g - self.app_fed;
            self.app_fed = g;
        }
        self.advance(g);
        self.add_anchor(g);
        self.recharge(budget);
    }

    /// Moves the inspected point, dropping bookkeeping behind it.
    fn advance(&mut self, to: u64) {
        let delta = self.urgent.advance(self.seq_ref, to - self.off_ref);
        self.seq_ref = self.seq_ref.wrapping_add(delta as u32);
        self.off_ref = to;
        self.inspected = to;
        self.segs.retain(|s| s.end > to);
        self.lost.retain(|&(_, hi)| hi > to);
    }

    /// The bytes of a window.
    pub fn window_bytes(&self, w: &Window) -> &[u8] {
        match self.pieces.first() {
            Some(p) if p.off <= w.start && w.end <= p.end() => {
                &p.data[(w.start - p.off) as usize..(w.end - p.off) as usize]
            }
            _ => &[],
        }
    }

    /// Whether the receiver has acknowledged all data seen so far and some
    /// of it is not inspected yet.
    pub fn fully_acked(&self) -> bool {
        let e = self.contiguous_end();
        e > self.inspected && self.acked.is_some_and(|a| a >= e)
    }

    /// What alerts show as the stream's payload: the retained stream
    /// (earlier runs with their gaps as `[N bytes missing]`, then the
    /// current run), as Suricata logs the segments it still holds. Returns
    /// the stream offset of `out[at]` for locating a match.
    pub fn render(&self, out: &mut Vec<u8>) -> (usize, u64) {
        out.extend_from_slice(&self.history);
        let at = out.len();
        match self.pieces.first() {
            Some(p) if p.off <= self.inspected => {
                out.extend_from_slice(&p.data[..(self.inspected - p.off).min(p.data.len() as u64) as usize]);
                (at, p.off)
            }
            _ => (at, self.inspected),
        }
    }

    /// Marks a window inspected. Call [`trim`] when done with the windows
    /// of one inspection.
    pub fn consume(&mut self, w: &Window, cfg: &ReassemblyConfig, stats: &mut StreamStats) {
        stats.windows += 1;
        stats.bytes_inspected += w.end - w.new_from;
        stats.bytes_lookback += w.new_from - w.start;
        self.advance(w.end.max(self.inspected));
        if cfg.depth != 0 && self.inspected >= cfg.depth && !self.depth_done {
            self.depth_done = true;
            stats.depth_reached += 1;
        }
    }

    /// Drops inspected data beyond the lookback.
    pub fn trim(&mut self, cfg: &ReassemblyConfig, budget: &mut MemBudget) {
        // Nothing more will be inspected: at the depth, or everything up
        // to the sender's FIN is (a closed connection lingers in the flow
        // table until its timeout; its buffers need not).
        if self.depth_done || self.fin.is_some_and(|f| self.inspected >= f) {
            self.release(budget);
            return;
        }
        let keep_from = self.inspected.saturating_sub(u64::from(cfg.lookback));
        let stale = self.anchors.partition_point(|&a| a < keep_from);
        if stale > 0 {
            self.anchors.drain(..stale);
        }
        if self.pieces.trim_front(keep_from, budget) {
            self.history.clear();
        }
        if self.segs.capacity() > 64 && self.segs.capacity() > 4 * self.segs.len() {
            self.segs.shrink_to(2 * self.segs.len());
        }
        self.recharge(budget);
    }
}
