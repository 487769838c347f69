//! IPv4 and IPv6 fragment reassembly.
//!
//! Fragments are collected per datagram (keyed by addresses, protocol,
//! identification and the tunnel they came through) until every byte up to
//! the last fragment is present; the datagram is then rebuilt as a frame --
//! the first fragment's link and tunnel headers, its IP header with the
//! fragment fields cleared, and the payload -- and decoded again.
//!
//! Overlaps are resolved by a configurable target policy, the way the
//! receiving host would resolve them, so that an attacker cannot show the
//! sensor one payload and the host another. Everything is bounded: number of
//! datagrams in progress, fragments per datagram, bytes held (memcap) and
//! time (timeout). Each refusal is counted.

use std::hash::Hash;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{Decoded, Fragment};
use crate::util::Timestamp;

/// How overlapping fragment data is resolved (after Novak, "Target-Based
/// Fragmentation Reassembly").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OverlapPolicy {
    /// Data received first wins (Windows, Solaris, macOS).
    First,
    /// Data received last wins (Cisco IOS).
    Last,
    /// First wins unless the new fragment starts before the old one (BSD,
    /// Suricata's default).
    #[default]
    Bsd,
    /// Like BSD, and a new fragment starting at the same offset also wins.
    Linux,
}

/// Fragment reassembly limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DefragConfig {
    /// Datagrams that may be in reassembly at once.
    pub max_trackers: usize,
    /// Bytes of fragment data held in total.
    pub memcap: usize,
    /// Fragments accepted for one datagram (8192 is the most a valid
    /// 64 KiB datagram of 8-byte fragments needs).
    pub max_fragments: usize,
    /// Seconds (packet time) a datagram may take to complete.
    pub timeout_secs: u64,
    /// Overlap resolution.
    pub policy: OverlapPolicy,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            max_trackers: 16_384,
            memcap: 32 << 20,
            max_fragments: 8192,
            timeout_secs: 60,
            policy: OverlapPolicy::Bsd,
        }
    }
}

/// Counters, one per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefragStats {
    pub fragments: u64,
    pub reassembled: u64,
    pub overlaps: u64,
    pub timeouts: u64,
    pub dropped_max_trackers: u64,
    pub dropped_memcap: u64,
    pub dropped_max_fragments: u64,
    pub dropped_too_large: u64,
    pub dropped_inconsistent: u64,
    /// Datagrams still incomplete when the input ended.
    pub incomplete_at_end: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    ident: u32,
    proto: u8,
    vni: Option<u32>,
    outer_src: Option<IpAddr>,
}

struct Tracker {
    key: Key,
    started: Timestamp,
    version: u8,
    data: Vec<u8>,
    /// Received pieces [start, end), sorted by start.
    pieces: Vec<(u32, u32)>,
    /// Longest piece, to bound the search for overlaps.
    max_piece: u32,
    /// Largest end offset seen.
    max_end: u32,
    /// Distinct bytes received.
    covered: u32,
    total: Option<u32>,
    /// Frame bytes up to the end of the unfragmentable IP header, from the
    /// offset-zero fragment.
    head: Vec<u8>,
    l3_off: u32,
    nh_field_at: u32,
    ctx: Decoded,
}

/// A datagram rebuilt into the caller's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Reassembled {
    /// Offset of the rebuilt IP header in the buffer.
    pub l3_off: usize,
    /// Decoding context found before the IP header of the first fragment.
    pub ctx: Decoded,
}

pub struct Defragmenter {
    cfg: DefragConfig,
    index: std::collections::HashMap<Key, usize, foldhash::fast::RandomState>,
    slots: Vec<Option<Tracker>>,
    free_slots: Vec<usize>,
    spare_buffers: Vec<Vec<u8>>,
    memuse: usize,
    scratch: Vec<(u32, u32)>,
    overlap: Vec<(u32, u32)>,
    pub stats: DefragStats,
}

const MAX_DATAGRAM: u32 = 65_535;
const SPARE_BUFFERS: usize = 64;

impl Defragmenter {
    pub fn new(cfg: DefragConfig) -> Self {
        Defragmenter {
            index: std::collections::HashMap::with_hasher(foldhash::fast::RandomState::default()),
            cfg,
            slots: Vec::new(),
            free_slots: Vec::new(),
            spare_buffers: Vec::new(),
            memuse: 0,
            scratch: Vec::new(),
            overlap: Vec::new(),
            stats: DefragStats::default(),
        }
    }

    /// Bytes currently held.
    pub fn memuse(&self) -> usize {
        self.memuse
    }

    pub fn in_progress(&self) -> usize {
        self.index.len()
    }

    /// Adds a fragment found in `frame` by the decoder (`ctx` is what the
    /// decoder knew before the fragmented header). When it completes its
    /// datagram, the rebuilt frame is written to `out`.
    pub fn insert(
        &mut self,
        frame: &[u8],
        frag: &Fragment,
        ctx: &Decoded,
        now: Timestamp,
        out: &mut Vec<u8>,
    ) -> Option<Reassembled> {
        self.stats.fragments += 1;
        let key = Key {
            src: frag.src,
            dst: frag.dst,
            ident: frag.ident,
            proto: frag.proto,
            vni: ctx.tunnel.and_then(|t| t.vni),
            outer_src: ctx.tunnel.map(|t| t.outer_src),
        };
        let start = frag.offset;
        let end = start.saturating_add(frag.data_len);
        let unfrag_payload = if frag.version == 4 { frag.unfrag_len } else { frag.unfrag_len.saturating_sub(40) };
        if end.saturating_add(unfrag_payload) > MAX_DATAGRAM {
            self.stats.dropped_too_large += 1;
            self.remove(&key);
            return None;
        }
        let slot = match self.index.get(&key) {
            Some(&s) => s,
            None => self.new_tracker(key, frag.version, now)?,
        };
        let data = frame.get(frag.data_off as usize..(frag.data_off + frag.data_len) as usize).unwrap_or(&[]);
        let head = frame.get(..(frag.l3_off + frag.unfrag_len) as usize).unwrap_or(&[]);
        match self.add_piece(slot, frag, ctx, data, head, start, end) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(()) => {
                self.remove(&key);
                return None;
            }
        }
        let done = self.rebuild_if_complete(slot, out);
        if done.is_some() {
            self.stats.reassembled += 1;
            self.remove(&key);
        }
        done
    }

    fn new_tracker(&mut self, key: Key, version: u8, now: Timestamp) -> Option<usize> {
        if self.index.len() >= self.cfg.max_trackers {
            self.expire(now);
            if self.index.len() >= self.cfg.max_trackers {
                self.stats.dropped_max_trackers += 1;
                return None;
            }
        }
        let data = self.spare_buffers.pop().unwrap_or_default();
        let t = Tracker {
            key,
            started: now,
            version,
            data,
            pieces: Vec::new(),
            max_piece: 0,
            max_end: 0,
            covered: 0,
            total: None,
            head: Vec::new(),
            l3_off: 0,
            nh_field_at: 0,
            ctx: Decoded::default(),
        };
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.slots[s] = Some(t);
                s
            }
            None => {
                self.slots.push(Some(t));
                self.slots.len() - 1
            }
        };
        self.index.insert(key, slot);
        Some(slot)
    }

    /// Returns Ok(false) when the fragment was refused but the datagram may
    /// still complete, Err when the datagram must be abandoned.
    #[allow(clippy::too_many_arguments)]
    fn add_piece(
        &mut self,
        slot: usize,
        frag: &Fragment,
        ctx: &Decoded,
        data: &[u8],
        head: &[u8],
        start: u32,
        end: u32,
    ) -> Result<bool, ()> {
        let policy = self.cfg.policy;
        let max_fragments = self.cfg.max_fragments;
        let Some(t) = self.slots.get_mut(slot).and_then(Option::as_mut) else { return Err(()) };
        if t.version != frag.version {
            self.stats.dropped_inconsistent += 1;
            return Err(());
        }
        if t.pieces.len() >= max_fragments {
            self.stats.dropped_max_fragments += 1;
            return Err(());
        }
        if !frag.more {
            match t.total {
                Some(total) if total != end => {
                    self.stats.dropped_inconsistent += 1;
                    return Err(());
                }
                _ => t.total = Some(end),
            }
        }
        if let Some(total) = t.total {
            if end > total || t.max_end > total {
                self.stats.dropped_inconsistent += 1;
                return Err(());
            }
        }
        let grow = (end as usize).saturating_sub(t.data.len());
        let head_grow = if start == 0 && t.head.is_empty() { head.len() } else { 0 };
        if self.memuse + grow + head_grow > self.cfg.memcap {
            self.stats.dropped_memcap += 1;
            return Ok(false);
        }
        self.memuse += grow + head_grow;
        if grow > 0 {
            t.data.resize(end as usize, 0);
        }
        if head_grow > 0 {
            t.head.extend_from_slice(head);
            t.l3_off = frag.l3_off;
            t.nh_field_at = frag.nh_field_at;
            t.ctx = *ctx;
        }
        // Existing pieces overlapping the new one: a piece that starts more
        // than the longest piece before `start` cannot reach it.
        self.scratch.clear();
        let overlap = &mut self.overlap;
        overlap.clear();
        let first = t.pieces.partition_point(|&(ps, _)| ps < start.saturating_sub(t.max_piece));
        for &(ps, pe) in t.pieces[first..].iter().take_while(|&&(ps, _)| ps < end) {
            let (os, oe) = (start.max(ps), end.min(pe));
            if os >= oe {
                continue;
            }
            self.stats.overlaps += 1;
            overlap.push((os, oe));
            let new_wins = match policy {
                OverlapPolicy::First => false,
                OverlapPolicy::Last => true,
                OverlapPolicy::Bsd => start < ps,
                OverlapPolicy::Linux => start <= ps,
            };
            if !new_wins {
                self.scratch.push((os, oe));
            }
        }
        self.scratch.sort_unstable();
        overlap.sort_unstable();
        let mut already = 0u32;
        let mut reach = start;
        for &(os, oe) in overlap.iter() {
            let from = os.max(reach);
            if oe > from {
                already += oe - from;
                reach = oe;
            }
        }
        t.covered += (end - start) - already;
        let mut at = start;
        for &(ks, ke) in &self.scratch {
            if ks > at {
                let src = &data[(at - start) as usize..(ks - start) as usize];
                t.data[at as usize..ks as usize].copy_from_slice(src);
            }
            at = at.max(ke);
        }
        if at < end {
            t.data[at as usize..end as usize].copy_from_slice(&data[(at - start) as usize..]);
        }
        let at = t.pieces.partition_point(|&(ps, _)| ps <= start);
        t.pieces.insert(at, (start, end));
        t.max_piece = t.max_piece.max(end - start);
        t.max_end = t.max_end.max(end);
        Ok(true)
    }

    fn rebuild_if_complete(&mut self, slot: usize, out: &mut Vec<u8>) -> Option<Reassembled> {
        let t = self.slots.get(slot)?.as_ref()?;
        let total = t.total?;
        if t.head.is_empty() || t.covered < total {
            return None;
        }
        let l3 = t.l3_off as usize;
        out.clear();
        out.extend_from_slice(&t.head);
        out.extend_from_slice(&t.data[..total as usize]);
        if t.version == 4 {
            let hl = t.head.len() - l3;
            let len = (hl + total as usize) as u16;
            out[l3 + 2..l3 + 4].copy_from_slice(&len.to_be_bytes());
            out[l3 + 6] &= 0x40; // keep DF, clear MF and offset
            out[l3 + 7] = 0;
            out[l3 + 10] = 0;
            out[l3 + 11] = 0;
            let sum = super::ipv4::header_checksum(&out[l3..l3 + hl]);
            out[l3 + 10..l3 + 12].copy_from_slice(&sum.to_be_bytes());
        } else {
            let ext = t.head.len() - l3 - 40;
            let plen = (ext + total as usize) as u16;
            out[l3 + 4..l3 + 6].copy_from_slice(&plen.to_be_bytes());
            out[l3 + t.nh_field_at as usize] = t.key.proto;
        }
        let mut ctx = t.ctx;
        ctx.frag_proto = match t.version {
            4 => t.head.get(l3 + 9).copied().unwrap_or(0),
            // Patched above when the fragment header follows the base header.
            _ if t.nh_field_at == 6 => super::IPPROTO_FRAGMENT,
            _ => t.head.get(l3 + 6).copied().unwrap_or(0),
        };
        Some(Reassembled { l3_off: l3, ctx })
    }

    fn remove(&mut self, key: &Key) {
        if let Some(slot) = self.index.remove(key) {
            if let Some(mut t) = self.slots[slot].take() {
                self.memuse = self.memuse.saturating_sub(t.data.len() + t.head.len());
                if self.spare_buffers.len() < SPARE_BUFFERS {
                    t.data.clear();
                    self.spare_buffers.push(t.data);
                }
                self.free_slots.push(slot);
            }
        }
    }

    /// Abandons datagrams older than the timeout; call regularly with
    /// packet time.
    pub fn expire(&mut self, now: Timestamp) {
        let timeout = self.cfg.timeout_secs;
        let expired: Vec<Key> =
            self.slots.iter().flatten().filter(|t| now.secs_since(t.started) >= timeout).map(|t| t.key).collect();
        for key in &expired {
            self.stats.timeouts += 1;
            self.remove(key);
        }
    }
}

impl std::fmt::Debug for Defragmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Defragmenter").field("in_progress", &self.index.len()).field("memuse", &self.memuse).finish()
    }
}

#[cfg(test)]
mod tests;
