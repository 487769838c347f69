//! TCP stream reassembly: each direction of a connection rebuilt into the
//! byte stream the receiving host sees, so detection cannot be evaded by
//! splitting, reordering, retransmitting or overlapping segments.
//!
//! What this stage owns, per flow: the buffered bytes of both directions
//! ([`reassembly::StreamDir`]), the overlap policy of each receiver
//! ([`policy`]), and the bookkeeping that turns missing data into explicit
//! gaps. It hands on inspection windows: slices of reassembled bytes that
//! never cross a gap, with the position where new (not yet inspected) data
//! starts.
//!
//! Mirrored traffic is messy in known ways, and each has an answer here:
//! - AWS truncates copies larger than the target MTU: the bytes present
//!   enter the stream and the missing tail is recorded as lost, becoming a
//!   gap as soon as the stream reaches it.
//! - NLB targets see packets reordered: out-of-order segments wait in a
//!   bounded buffer, and a hole the receiver has acknowledged is declared a
//!   gap only after a few more packets, in case the data is merely late.
//! - Many sessions are picked up mid-connection or mirrored one way only:
//!   the stream starts at the first byte seen, and a direction whose
//!   receiver is never seen is inspected without waiting for ACKs.
//!
//! Memory: a budget per worker (the configured memcap split evenly, so
//! workers share nothing), charged with the real capacity of every buffer.
//!
//! Why windows scanned in block mode rather than a streaming Hyperscan
//! scan per flow direction: a prefilter hit only nominates a rule; verifying
//! it (contents with distance/within, pcre, byte_*) needs the bytes before
//! the hit, which may lie in the previous chunk. So a lookback of retained
//! data is needed either way, and with it the block scan simply covers
//! lookback + new data. Measured on the 644 MB benchmark mix with ET Open:
//! the lookback re-scans 18 MB for 586 MB of new stream data (3%), while
//! streaming mode would add 363 + 105 bytes of Hyperscan state per
//! connection (to-server and to-client databases), a stream open/close per
//! direction, a reset at every gap, and would have to drop SINGLEMATCH
//! (one report per pattern per stream would hide later occurrences),
//! multiplying callbacks. Block mode keeps one immutable database per group
//! and one scratch per worker.

mod buffer;
pub mod policy;
pub mod reassembly;
pub mod urgent;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use policy::{HostOsPolicyConfig, OverlapPolicy, PolicyTable};
pub use reassembly::{Insert, StreamDir, Window};
pub use urgent::UrgentPolicy;

use crate::decode::Decoded;
use crate::flow::tcp::{MidstreamPolicy, TcpPickup};

/// Reassembly and session pickup settings (`stream:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamConfig {
    /// Treat a session seen without its handshake as established and
    /// reassemble it from the first byte seen (Suricata's
    /// `stream.midstream`, off there). On by default: a mirror session
    /// started after the connection, or an NLB target added to a pool,
    /// sees most connections mid-stream.
    pub midstream: bool,
    /// Complete the handshake and reassemble when only one direction is
    /// seen (Suricata's `stream.async-oneside`, off there). On by default:
    /// mirror filters often select one direction only.
    pub async_oneside: bool,
    /// What to do with sessions picked up mid-stream.
    pub midstream_policy: MidstreamPolicy,
    pub reassembly: ReassemblyConfig,
    /// Overlap policy per receiving host.
    pub host_os_policy: HostOsPolicyConfig,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            midstream: true,
            async_oneside: true,
            midstream_policy: MidstreamPolicy::Ignore,
            reassembly: ReassemblyConfig::default(),
            host_os_policy: HostOsPolicyConfig::default(),
        }
    }
}

impl StreamConfig {
    pub fn pickup(&self) -> TcpPickup {
        TcpPickup {
            midstream: self.midstream,
            async_oneside: self.async_oneside,
            midstream_policy: self.midstream_policy,
        }
    }
}

/// Reassembly limits (`stream.reassembly:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReassemblyConfig {
    /// Reassemble streams at all. When off, TCP payload is inspected per
    /// packet only.
    pub enabled: bool,
    /// Bytes reassembled and inspected per direction; later data is
    /// inspected per packet only. 0 = unlimited.
    pub depth: u64,
    /// Memory for buffered stream data, all workers together, in bytes.
    /// When full, new segments are not buffered (counted) and their
    /// packets are inspected on their own. Out-of-order data may fill at
    /// most three quarters of it.
    pub memcap: u64,
    /// Segments buffered per direction beyond the inspected point (out of
    /// order or not yet acknowledged). Beyond it, adjacent segments are
    /// merged (changing only how later overlaps are judged), and when that
    /// is not enough the furthest out-of-order data is dropped, or, on a
    /// direction without ACKs, the first hole becomes a gap.
    pub max_segments: usize,
    /// New bytes that trigger inspection of the client -> server stream.
    pub to_server_chunk: u32,
    /// New bytes that trigger inspection of the server -> client stream.
    pub to_client_chunk: u32,
    /// Bytes of already inspected data re-inspected with the new data, so
    /// a match that begins before a chunk boundary is still found. Rules
    /// whose match spans more than this across a boundary can miss.
    pub lookback: u32,
    /// Packets of a flow after which a hole the receiver has acknowledged
    /// is declared lost (mirrors and NLBs reorder, so the data may still
    /// come).
    pub reorder_tolerance: u32,
    /// Contiguous bytes held waiting for an acknowledgement before they are
    /// inspected anyway (the receiver's ACKs may be missing from the copy).
    pub max_unacked: u32,
    /// Inspect a direction as soon as the receiver has acknowledged all of
    /// it (the end of a request or a response) instead of waiting for a
    /// full chunk, the FIN or the end of the flow, which is what Suricata
    /// does for protocols it does not parse. Such alerts carry
    /// `pkt_src: "stream (detect/log)"` and the stream's addresses.
    pub inspect_acked: bool,
    /// Parse and inspect each segment's data when it arrives, without
    /// waiting for the receiver's ACK or a full chunk (Suricata's
    /// `stream.inline`, its IPS mode). Costs more inspection passes; off
    /// for a passive sensor.
    pub inline: bool,
    /// Data whose receiver has never been seen waits for the end of the
    /// flow (set from `stream.async_oneside` off, Suricata's default):
    /// without one-sided support nothing acknowledges it.
    #[serde(skip)]
    pub unseen_ack_waits: bool,
    /// A byte the sender marks urgent: `oob` (default) leaves it out of the
    /// stream as the receiving host's stack does for an application that
    /// reads normally (so a junk byte sent as urgent data inside an attack
    /// does not hide it); `inline` keeps it, as for a receiver with
    /// SO_OOBINLINE. Suricata's `stream.reassembly.urgent.policy`.
    pub urgent_policy: UrgentPolicy,
    /// Urgent bytes per direction waiting ahead of the inspected point;
    /// beyond it an urgent byte stays inline (counted).
    pub urgent_max_pending: usize,
    /// Segments with a smaller IP TTL (hop limit) are not reassembled
    /// (counted; their packets are inspected on their own). For a mirror
    /// of the sender's interface, where junk sent with a TTL too small to
    /// reach the receiver is copied too: set it above the hop count to the
    /// receivers. A mirror of the receiver's interface only copies what
    /// arrived, so the default, 0, takes everything (a host accepts even
    /// TTL 0 addressed to itself; only routers drop it).
    pub min_ttl: u8,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            enabled: true,
            depth: 1 << 20,
            memcap: 256 << 20,
            max_segments: 1024,
            to_server_chunk: 2560,
            to_client_chunk: 2560,
            lookback: 2048,
            reorder_tolerance: 8,
            max_unacked: 256 << 10,
            inspect_acked: true,
            inline: false,
            unseen_ack_waits: false,
            urgent_policy: UrgentPolicy::Oob,
            urgent_max_pending: 64,
            min_ttl: 0,
        }
    }
}

impl StreamConfig {
    pub fn validate(&self) -> Result<(), String> {
        let r = &self.reassembly;
        if r.max_segments < 2 {
            return Err("stream.reassembly.max_segments must be at least 2".into());
        }
        if r.urgent_max_pending == 0 {
            return Err("stream.reassembly.urgent_max_pending must be at least 1".into());
        }
        if r.to_server_chunk == 0 || r.to_client_chunk == 0 {
            return Err("stream.reassembly chunk sizes must be positive".into());
        }
        PolicyTable::build(&self.host_os_policy).map(|_| ())
    }
}

/// Spare buffers kept per worker, and the largest kept.
const SPARE_BUFFERS: usize = 64;
const SPARE_MAX_CAPACITY: usize = 16 << 10;

/// Memory charged to one worker's streams, with a few spare buffers (also
/// charged) so out-of-order segments do not each allocate.
#[derive(Debug, Clone, Default)]
pub struct MemBudget {
    pub used: u64,
    pub cap: u64,
    pub peak: u64,
    spare: Vec<Vec<u8>>,
}

impl MemBudget {
    pub fn new(cap: u64) -> MemBudget {
        MemBudget { used: 0, cap, peak: 0, spare: Vec::new() }
    }

    /// An empty buffer, spare if there is one (its charge passes to
    /// whoever holds it next).
    pub fn take_buffer(&mut self) -> Vec<u8> {
        match self.spare.pop() {
            Some(v) => {
                self.used = self.used.saturating_sub(v.capacity() as u64);
                v
            }
            None => Vec::new(),
        }
    }

    /// Bytes held by spare buffers.
    pub fn spare_bytes(&self) -> u64 {
        self.spare.iter().map(|v| v.capacity() as u64).sum()
    }

    /// Keeps a buffer its holder no longer needs as a spare, or frees it.
    /// The holder stops charging it after this.
    pub fn give_back(&mut self, mut v: Vec<u8>) {
        let c = v.capacity();
        if c == 0 || c > SPARE_MAX_CAPACITY || self.spare.len() >= SPARE_BUFFERS || !self.fits(c as u64) {
            return;
        }
        v.clear();
        self.used += c as u64;
        self.peak = self.peak.max(self.used);
        self.spare.push(v);
    }

    pub fn fits(&self, extra: u64) -> bool {
        self.used.saturating_add(extra) <= self.cap
    }

    /// Out-of-order data may use only part of the budget, so a flood of
    /// connections that never become contiguous cannot starve the ones
    /// that can be inspected and freed.
    pub fn fits_out_of_order(&self, extra: u64) -> bool {
        self.used.saturating_add(extra) <= self.cap / 4 * 3
    }

    /// Replaces an old charge with a new one.
    pub fn recharge(&mut self, old: u64, new: u64) {
        self.used = self.used.saturating_sub(old).saturating_add(new);
        self.peak = self.peak.max(self.used);
    }
}

/// Reassembly counters of one worker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Segments with payload offered to reassembly.
    pub segments: u64,
    /// New payload bytes stored (overlapping copies not counted again).
    pub bytes: u64,
    /// Segments arriving ahead of a hole.
    pub out_of_order: u64,
    /// Segments wholly inside already inspected data.
    pub retransmissions: u64,
    /// Segments overlapping buffered data.
    pub overlaps: u64,
    /// Overlaps whose bytes differed from the buffered ones (an evasion
    /// attempt or a broken stack): the receiver's policy decided.
    pub overlaps_different: u64,
    /// Segments from before the stream start or implausibly far ahead.
    pub out_of_window: u64,
    /// Gaps declared, and the bytes they cover, by cause.
    pub gaps_truncated: u64,
    pub gaps_acked: u64,
    pub gaps_overflow: u64,
    pub gaps_flush: u64,
    pub gap_bytes: u64,
    /// Segments (and bytes) not buffered because the memcap was reached.
    pub memcap_drops: u64,
    pub memcap_drop_bytes: u64,
    /// Connections ended early to free memory for in-order data.
    pub memcap_evictions: u64,
    /// Out-of-order segments (and bytes) dropped over `max_segments`.
    pub segment_limit_drops: u64,
    pub segment_limit_drop_bytes: u64,
    /// Times adjacent segment records were merged to stay under
    /// `max_segments`.
    pub segments_merged: u64,
    /// Directions that reached `depth`.
    pub depth_reached: u64,
    /// Times data was inspected without waiting for its ACK (`max_unacked`).
    pub unacked_inspected: u64,
    /// Inspection windows run, new bytes inspected, bytes re-inspected as
    /// lookback.
    pub windows: u64,
    pub bytes_inspected: u64,
    pub bytes_lookback: u64,
    /// Windows inspected when a flow ended (timeout, eviction, shutdown).
    pub flushed_windows: u64,
    /// Streams closed by RST; RSTs ignored as outside the window.
    pub resets: u64,
    pub resets_ignored: u64,
    /// Connections whose 4-tuple was reused by a new SYN.
    pub port_reuse: u64,
    /// Segments with data and the URG flag; urgent bytes left out of the
    /// stream (each copy of a retransmitted segment counts); urgent
    /// pointers not followed because the byte was already received in
    /// order, the pointer repeated an earlier one, or a later pointer came
    /// before the byte's segment (the receiver keeps those bytes inline
    /// too; with data after the superseded byte already buffered the new
    /// pointer is the one not followed); urgent bytes kept inline over
    /// `urgent_max_pending`.
    pub urgent_segments: u64,
    pub urgent_removed: u64,
    pub urgent_stale: u64,
    pub urgent_limit: u64,
    /// Segments with data not reassembled because their TTL was under
    /// `min_ttl`.
    pub low_ttl: u64,
}

impl StreamStats {
    pub fn merge(&mut self, o: &StreamStats) {
        let StreamStats {
            segments,
            bytes,
            out_of_order,
            retransmissions,
            overlaps,
            overlaps_different,
            out_of_window,
            gaps_truncated,
            gaps_acked,
            gaps_overflow,
            gaps_flush,
            gap_bytes,
            memcap_drops,
            memcap_drop_bytes,
            memcap_evictions,
            segment_limit_drops,
            segment_limit_drop_bytes,
            segments_merged,
            depth_reached,
            unacked_inspected,
            windows,
            bytes_inspected,
            bytes_lookback,
            flushed_windows,
            resets,
            resets_ignored,
            port_reuse,
            urgent_segments,
            urgent_removed,
            urgent_stale,
            urgent_limit,
            low_ttl,
        } = *o;
        self.segments += segments;
        self.bytes += bytes;
        self.out_of_order += out_of_order;
        self.retransmissions += retransmissions;
        self.overlaps += overlaps;
        self.overlaps_different += overlaps_different;
        self.out_of_window += out_of_window;
        self.gaps_truncated += gaps_truncated;
        self.gaps_acked += gaps_acked;
        self.gaps_overflow += gaps_overflow;
        self.gaps_flush += gaps_flush;
        self.gap_bytes += gap_bytes;
        self.memcap_drops += memcap_drops;
        self.memcap_drop_bytes += memcap_drop_bytes;
        self.memcap_evictions += memcap_evictions;
        self.segment_limit_drops += segment_limit_drops;
        self.segment_limit_drop_bytes += segment_limit_drop_bytes;
        self.segments_merged += segments_merged;
        self.depth_reached += depth_reached;
        self.unacked_inspected += unacked_inspected;
        self.windows += windows;
        self.bytes_inspected += bytes_inspected;
        self.bytes_lookback += bytes_lookback;
        self.flushed_windows += flushed_windows;
        self.resets += resets;
        self.resets_ignored += resets_ignored;
        self.port_reuse += port_reuse;
        self.urgent_segments += urgent_segments;
        self.urgent_removed += urgent_removed;
        self.urgent_stale += urgent_stale;
        self.urgent_limit += urgent_limit;
        self.low_ttl += low_ttl;
    }

    pub fn gaps(&self) -> u64 {
        self.gaps_truncated + self.gaps_acked + self.gaps_overflow + self.gaps_flush
    }
}

/// Both directions of a connection, allocated when its first payload
/// arrives.
#[derive(Debug, Clone)]
pub struct TcpStreams {
    /// [client -> server, server -> client]
    pub dir: [StreamDir; 2],
    /// A packet of each direction, to describe the stream in alerts raised
    /// when the flow ends (Suricata's pseudo packets).
    pub template: [Option<Decoded>; 2],
    /// Closed by RST: nothing more is buffered.
    pub closed: bool,
    /// The application parser completed a message of this direction: its
    /// next packet inspects the stream without waiting for a full chunk
    /// (Suricata's app-layer-triggered raw reassembly).
    pub raw_due: [bool; 2],
}

impl TcpStreams {
    pub fn new(policies: [OverlapPolicy; 2]) -> TcpStreams {
        TcpStreams {
            dir: [StreamDir::new(policies[0]), StreamDir::new(policies[1])],
            template: [None, None],
            closed: false,
            raw_due: [false; 2],
        }
    }

    /// Bytes charged to the memory budget.
    pub fn charged(&self) -> u64 {
        std::mem::size_of::<TcpStreams>() as u64 + self.dir[0].charged() + self.dir[1].charged()
    }
}
