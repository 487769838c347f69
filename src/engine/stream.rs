//! Glue between a worker's flows and reassembly: which TCP segments enter
//! a stream, when each direction is inspected, and releasing stream memory.

use crate::decode::tcp::{ACK, FIN, RST, SYN, URG};
use crate::decode::{Decoded, TcpInfo};
use crate::flow::Flow;
use crate::stream::reassembly::Trigger;
use crate::stream::urgent::Skipped;
use crate::stream::{
    Insert, MemBudget, PolicyTable, ReassemblyConfig, StreamConfig, StreamStats, TcpStreams, UrgentPolicy,
};

/// A worker's reassembly resources.
pub struct StreamEnv {
    pub cfg: ReassemblyConfig,
    pub policies: PolicyTable,
    pub budget: MemBudget,
    pub stats: StreamStats,
    /// Overlap resolution buffer.
    pub scratch: Vec<u8>,
}

/// What reassembly made of one segment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Segment {
    /// The payload is part of the stream (so only packet-only rules look
    /// at the packet itself).
    pub in_stream: bool,
    /// How the segment's own direction should be inspected now.
    pub trigger: Option<Trigger>,
    /// The segment acknowledged all outstanding data of the other
    /// direction.
    pub acked_other: bool,
    /// A valid RST: both directions end now.
    pub reset: bool,
    /// In-order data could not be buffered for lack of memory: the caller
    /// may make room and [`StreamEnv::retry`].
    pub starved: bool,
}

/// Sequence number of a segment's first data byte (after the SYN's).
fn data_seq(t: &TcpInfo) -> u32 {
    t.seq.wrapping_add(u32::from(t.flags & SYN != 0))
}

/// Whether a segment's data belongs in the stream: payload (or bytes cut
/// by truncation) once the session is established or picked up, or in a
/// client's SYN (TCP Fast Open).
fn carries_data(f: &Flow, t: &TcpInfo, dec: &Decoded, payload: &[u8]) -> bool {
    let has_data = !payload.is_empty() || dec.payload_missing > 0;
    let accepting = f.tcp.established() || t.flags & (SYN | ACK) == SYN;
    has_data && accepting
}

impl StreamEnv {
    pub fn new(cfg: &StreamConfig, workers: usize) -> Result<StreamEnv, String> {
        Ok(StreamEnv {
            cfg: ReassemblyConfig { unseen_ack_waits: !cfg.async_oneside, ..cfg.reassembly },
            policies: PolicyTable::build(&cfg.host_os_policy)?,
            budget: MemBudget::new(cfg.reassembly.memcap / workers.max(1) as u64),
            stats: StreamStats::default(),
            scratch: Vec::new(),
        })
    }

    /// Whether an RST from direction `dir` is believable; one far from the
    /// expected sequence would not reset the receiver, so it must not end
    /// our view of the stream either.
    pub fn rst_valid(&mut self, f: &Flow, t: &TcpInfo, dir: usize) -> bool {
        let ok = f.stream.as_ref().is_none_or(|s| s.dir[dir].rst_in_window(t.seq));
        if !ok {
            self.stats.resets_ignored += 1;
        }
        ok
    }

    /// Feeds a segment (its TCP state already updated) to the flow's
    /// streams. `dir` is 0 for client -> server.
    pub fn on_segment(&mut self, f: &mut Flow, t: &TcpInfo, dec: &Decoded, payload: &[u8], dir: usize) -> Segment {
        let mut out = Segment::default();
        // A pass rule stops detection only (the application layer still
        // reads the stream and logs, as in Suricata, unless nothing is
        // logged); a bypass stops all.
        if !self.cfg.enabled || f.parsing_stopped() {
            return out;
        }
        if t.flags & RST != 0 {
            if f.stream.as_ref().is_some_and(|s| !s.closed) {
                self.stats.resets += 1;
                out.reset = true;
            }
            return out;
        }
        let data = carries_data(f, t, dec, payload);
        if f.stream.is_none() {
            if !data {
                return out;
            }
            if !self.create(f) {
                out.starved = true;
                return out;
            }
        }
        let Some(st) = f.stream.as_deref_mut() else { return out };
        if st.closed {
            return out;
        }
        let other = 1 - dir;
        if t.flags & ACK != 0 {
            let was = st.dir[other].fully_acked();
            st.dir[other].on_ack(t.ack);
            out.acked_other = !was && st.dir[other].fully_acked();
        }
        if data && dec.ip.ttl < self.cfg.min_ttl {
            // Expires before the receiver (a mirror of the sender's side
            // copies it): inspected on its own, not part of the stream.
            self.stats.low_ttl += 1;
        } else if data {
            if t.flags & URG != 0 && !payload.is_empty() {
                self.mark_urgent(st, t, dir);
            }
            match self.insert(f, t, dec, payload, dir) {
                Insert::NoMemory => out.starved = true,
                r => out.in_stream = r != Insert::Refused,
            }
        }
        let Some(st) = f.stream.as_deref_mut() else { return out };
        if t.flags & FIN != 0 {
            st.dir[dir].on_fin(data_seq(t), dec.payload_len + dec.payload_missing);
            out.trigger = Some(Trigger::Fin);
        } else if st.dir[dir].started() {
            out.trigger = Some(Trigger::Packet);
        }
        st.dir[0].tick();
        st.dir[1].tick();
        out
    }

    /// Notes the byte a segment's urgent pointer names, which the receiver
    /// takes out of the stream under `urgent_policy: oob`. A pointer on a
    /// segment without data is not followed.
    fn mark_urgent(&mut self, st: &mut TcpStreams, t: &TcpInfo, dir: usize) {
        self.stats.urgent_segments += 1;
        if self.cfg.urgent_policy != UrgentPolicy::Oob {
            return;
        }
        match st.dir[dir].mark_urgent(data_seq(t), t.urgent, self.cfg.urgent_max_pending, &mut self.budget) {
            Ok(false) => {}
            // The superseded byte stays inline, as at the receiver.
            Ok(true) | Err(Skipped::Stale) => self.stats.urgent_stale += 1,
            Err(Skipped::Limit) => self.stats.urgent_limit += 1,
        }
    }

    /// Second try for a segment refused for lack of memory, after the
    /// caller made room. Counts the drop if it fails again.
    pub fn retry(&mut self, f: &mut Flow, t: &TcpInfo, dec: &Decoded, payload: &[u8], dir: usize) -> Segment {
        let mut out = Segment::default();
        if f.stream.is_none() && !self.create(f) {
            self.count_drop(payload.len());
            return out;
        }
        match self.insert(f, t, dec, payload, dir) {
            Insert::NoMemory => self.count_drop(payload.len()),
            r => out.in_stream = r != Insert::Refused,
        }
        if f.stream.as_ref().is_some_and(|s| s.dir[dir].started()) {
            out.trigger = Some(if t.flags & FIN != 0 { Trigger::Fin } else { Trigger::Packet });
        }
        out
    }

    /// Counts a segment not reassembled for lack of memory.
    pub fn count_drop(&mut self, bytes: usize) {
        self.stats.memcap_drops += 1;
        self.stats.memcap_drop_bytes += bytes as u64;
    }

    /// Allocates a flow's streams, starting each direction where its first
    /// byte is known and noting ACKs already seen.
    fn create(&mut self, f: &mut Flow) -> bool {
        let size = std::mem::size_of::<TcpStreams>() as u64;
        if !self.budget.fits(size) {
            return false;
        }
        let policies = [self.policies.lookup(f.server.0), self.policies.lookup(f.client.0)];
        let mut st = Box::new(TcpStreams::new(policies));
        for d in 0..2 {
            if let Some(start) = f.tcp.seq[d].stream_start() {
                st.dir[d].start(start);
            }
            if let Some(ack) = f.tcp.last_ack[1 - d] {
                st.dir[d].on_ack(ack);
            }
        }
        self.budget.recharge(0, st.charged());
        f.stream = Some(st);
        true
    }

    fn insert(&mut self, f: &mut Flow, t: &TcpInfo, dec: &Decoded, payload: &[u8], dir: usize) -> Insert {
        let Some(st) = f.stream.as_deref_mut() else { return Insert::Refused };
        if st.template[dir].is_none() {
            st.template[dir] = Some(*dec);
        }
        st.dir[dir].insert(
            data_seq(t),
            payload,
            dec.payload_missing,
            &self.cfg,
            &mut self.budget,
            &mut self.stats,
            &mut self.scratch,
        )
    }

    /// Frees a flow's stream memory.
    pub fn release(&mut self, f: &mut Flow) {
        if let Some(mut st) = f.stream.take() {
            for d in &mut st.dir {
                d.release(&mut self.budget);
            }
            self.budget.recharge(st.charged(), 0);
        }
    }

    /// Chunk size that triggers inspection of direction `dir`.
    pub fn chunk(&self, dir: usize) -> u32 {
        if dir == 0 {
            self.cfg.to_server_chunk
        } else {
            self.cfg.to_client_chunk
        }
    }
}
