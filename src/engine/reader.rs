//! The reader: reads captures, decodes and defragments each frame, and
//! dispatches packets to workers in batches by a symmetric hash of the
//! inner flow and tunnel, so both directions of a connection meet in one
//! worker.

use std::path::Path;

use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};

use super::batch::{Batch, Failed, WorkerMsg};
use crate::config::{Config, FullQueuePolicy};
use crate::decode::defrag::{DefragStats, Defragmenter};
use crate::decode::{decode_frame, decode_reassembled, DecodeConfig, DecodeError, Decoded, Outcome};
use crate::flow::FlowKey;
use crate::source::pcap::PcapReader;
use crate::source::FrameMeta;
use crate::util::Timestamp;

/// Packets by protocol layer, as Suricata's `decoder.*` counters count
/// them: each layer a packet went through (the outer layers of a tunnelled
/// packet too), for the packets that decoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerCounters {
    pub ethernet: u64,
    pub chdlc: u64,
    pub sll: u64,
    pub sll2: u64,
    pub null: u64,
    pub raw: u64,
    pub vlan: u64,
    pub vlan_qinq: u64,
    pub vlan_qinqinq: u64,
    pub ipv4: u64,
    pub ipv6: u64,
    pub tcp: u64,
    pub udp: u64,
    pub icmpv4: u64,
    pub icmpv6: u64,
    pub vxlan: u64,
    pub geneve: u64,
    pub teredo: u64,
    pub gre: u64,
    pub erspan: u64,
    pub ipv4_in_ipv4: u64,
    pub ipv6_in_ipv4: u64,
    pub ipv4_in_ipv6: u64,
    pub ipv6_in_ipv6: u64,
    /// Truncated copies by IP version (Suricata's `ipv4.trunc_pkt` and
    /// `ipv6.trunc_pkt` events).
    pub trunc_ipv4: u64,
    pub trunc_ipv6: u64,
    /// Largest frame captured.
    pub max_pkt_size: u64,
}

impl LayerCounters {
    /// Counts the layers of one decoded packet (a few increments).
    pub fn count(&mut self, linktype: crate::source::LinkType, dec: &Decoded, len: u32) {
        use crate::decode::{TunnelKind, L4};
        use crate::source::LinkType as Lt;
        match linktype {
            Lt::ETHERNET => self.ethernet += 1,
            Lt::C_HDLC => self.chdlc += 1,
            Lt::LINUX_SLL => self.sll += 1,
            Lt::LINUX_SLL2 => self.sll2 += 1,
            Lt::NULL | Lt::LOOP => self.null += 1,
            _ => self.raw += 1,
        }
        match dec.vlan_count {
            0 => {}
            1 => self.vlan += 1,
            2 => self.vlan_qinq += 1,
            _ => self.vlan_qinqinq += 1,
        }
        let v6 = dec.ip.version == 6;
        if let Some(t) = dec.tunnel {
            let outer_v6 = t.outer_src.is_ipv6();
            if outer_v6 {
                self.ipv6 += 1;
            } else {
                self.ipv4 += 1;
            }
            match t.kind {
                TunnelKind::Vxlan | TunnelKind::Geneve => {
                    self.udp += 1;
                    if t.kind == TunnelKind::Vxlan {
                        self.vxlan += 1;
                    } else {
                        self.geneve += 1;
                    }
                    if dec.ether.is_some() {
                        self.ethernet += 1;
                    }
                }
                TunnelKind::Teredo => {
                    self.udp += 1;
                    self.teredo += 1;
                }
                TunnelKind::Gre => self.gre += 1,
                TunnelKind::Erspan => {
                    self.gre += 1;
                    self.erspan += 1;
                    self.ethernet += 1;
                }
                TunnelKind::IpInIp => match (outer_v6, v6) {
                    (false, false) => self.ipv4_in_ipv4 += 1,
                    (false, true) => self.ipv6_in_ipv4 += 1,
                    (true, false) => self.ipv4_in_ipv6 += 1,
                    (true, true) => self.ipv6_in_ipv6 += 1,
                },
            }
        }
        if v6 {
            self.ipv6 += 1;
        } else {
            self.ipv4 += 1;
        }
        if dec.is_truncated() {
            if v6 {
                self.trunc_ipv6 += 1;
            } else {
                self.trunc_ipv4 += 1;
            }
        }
        match dec.l4 {
            L4::Tcp(_) => self.tcp += 1,
            L4::Udp(_) => self.udp += 1,
            L4::Icmp(_) if v6 => self.icmpv6 += 1,
            L4::Icmp(_) => self.icmpv4 += 1,
            _ => {}
        }
        self.max_pkt_size = self.max_pkt_size.max(u64::from(len));
    }

    pub fn merge(&mut self, o: &LayerCounters) {
        let max = self.max_pkt_size.max(o.max_pkt_size);
        macro_rules! add {
            ($($f:ident),*) => { $( self.$f += o.$f; )* };
        }
        add!(
            ethernet,
            chdlc,
            sll,
            sll2,
            null,
            raw,
            vlan,
            vlan_qinq,
            vlan_qinqinq,
            ipv4,
            ipv6,
            tcp,
            udp,
            icmpv4,
            icmpv6,
            vxlan,
            geneve,
            teredo,
            gre,
            erspan,
            ipv4_in_ipv4,
            ipv6_in_ipv4,
            ipv4_in_ipv6,
            ipv6_in_ipv6,
            trunc_ipv4,
            trunc_ipv6
        );
        self.max_pkt_size = max;
    }
}

/// Counters of the reader.
#[derive(Debug, Clone, Default)]
pub struct ReaderStats {
    pub files: u64,
    /// Records read from the captures.
    pub records: u64,
    /// Bytes captured (record data).
    pub bytes: u64,
    /// Packets handed to workers (reassembled datagrams count once).
    pub dispatched: u64,
    pub decode_errors: Vec<u64>,
    /// Packets whose transport header could not be decoded (inspected at
    /// the IP level only).
    pub l4_errors: Vec<u64>,
    /// Packets with declared bytes missing (truncated copies).
    pub truncated: u64,
    pub truncated_bytes_missing: u64,
    pub tunneled: u64,
    /// Packets by protocol layer (Suricata's `decoder.*`).
    pub layers: LayerCounters,
    pub fragments: u64,
    pub defrag: DefragStats,
    /// Batches dropped because a worker queue was full (drop policy only).
    pub queue_full_drops: u64,
    pub queue_full_packets: u64,
    /// Captures that ended early, with the reason.
    pub pcap_errors: Vec<String>,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
}

impl ReaderStats {
    /// Adds another source's counters (live: one per receive thread).
    pub fn merge(&mut self, o: &ReaderStats) {
        self.files += o.files;
        self.records += o.records;
        self.bytes += o.bytes;
        self.dispatched += o.dispatched;
        for (a, b) in [(&mut self.decode_errors, &o.decode_errors), (&mut self.l4_errors, &o.l4_errors)] {
            if a.len() < b.len() {
                a.resize(b.len(), 0);
            }
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.truncated += o.truncated;
        self.truncated_bytes_missing += o.truncated_bytes_missing;
        self.tunneled += o.tunneled;
        self.layers.merge(&o.layers);
        self.fragments += o.fragments;
        let (d, e) = (&mut self.defrag, &o.defrag);
        d.fragments += e.fragments;
        d.reassembled += e.reassembled;
        d.overlaps += e.overlaps;
        d.timeouts += e.timeouts;
        d.dropped_max_trackers += e.dropped_max_trackers;
        d.dropped_memcap += e.dropped_memcap;
        d.dropped_max_fragments += e.dropped_max_fragments;
        d.dropped_too_large += e.dropped_too_large;
        d.dropped_inconsistent += e.dropped_inconsistent;
        d.incomplete_at_end += e.incomplete_at_end;
        self.queue_full_drops += o.queue_full_drops;
        self.queue_full_packets += o.queue_full_packets;
        self.pcap_errors.extend(o.pcap_errors.iter().cloned());
        self.first_ts = match (self.first_ts, o.first_ts) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_ts = match (self.last_ts, o.last_ts) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    pub fn new() -> Self {
        ReaderStats {
            decode_errors: vec![0; DecodeError::COUNT],
            l4_errors: vec![0; DecodeError::COUNT],
            ..Default::default()
        }
    }
}

pub struct Dispatcher {
    workers: Vec<Sender<WorkerMsg>>,
    free: Vec<Receiver<Batch>>,
    /// Batches being filled, one per worker.
    filling: Vec<Batch>,
    /// Batches created per worker (bounded by the pool size).
    created: Vec<usize>,
    pool: usize,
    batch_packets: usize,
    policy: FullQueuePolicy,
    /// drop_newest: how long to wait for room before dropping (live).
    queue_wait: std::time::Duration,
    decode: DecodeConfig,
    defrag: Defragmenter,
    last_defrag_expiry: u64,
    pcap_cnt: u64,
    /// Packet numbering: live receivers interleave their sequences
    /// (receiver r of n numbers r+1, r+1+n, ...) so that every packet has
    /// a distinct position for the alert stage.
    cnt_step: u64,
    /// Which source's pool the batches return to (live receiver index).
    origin: usize,
    /// Replay: keep every worker's horizon moving (ordered alert stage).
    sync_horizons: bool,
    since_sync: usize,
    pub stats: ReaderStats,
    staging: Vec<u8>,
    rebuilt: Vec<u8>,
    dec: Decoded,
    /// Frames that do not decode go to a worker to be logged as decode
    /// anomalies (`anomaly` records of type decode are on).
    log_failed: bool,
}

/// Bytes at which a batch is sent even if not full of packets.
const BATCH_BYTES: usize = 512 * 1024;

impl Dispatcher {
    pub fn new(cfg: &Config, workers: Vec<Sender<WorkerMsg>>, free: Vec<Receiver<Batch>>) -> Dispatcher {
        Self::for_source(cfg, workers, free, 0, 1, cfg.engine.full_queue_policy)
    }

    /// A dispatcher for source `origin` of `sources` (live receivers).
    pub fn for_source(
        cfg: &Config,
        workers: Vec<Sender<WorkerMsg>>,
        free: Vec<Receiver<Batch>>,
        origin: usize,
        sources: usize,
        policy: FullQueuePolicy,
    ) -> Dispatcher {
        let n = workers.len();
        let batch_packets = cfg.engine.batch_packets;
        let new_batch = || {
            let mut b = Batch::with_capacity(batch_packets, BATCH_BYTES);
            b.origin = origin;
            b
        };
        Dispatcher {
            filling: (0..n).map(|_| new_batch()).collect(),
            created: vec![1; n],
            workers,
            free,
            pool: cfg.engine.queue_batches + 2,
            batch_packets,
            policy,
            queue_wait: if cfg.engine.live {
                std::time::Duration::from_millis(cfg.live.full_queue_wait_ms)
            } else {
                std::time::Duration::ZERO
            },
            decode: cfg.decode.to_decode_config(),
            defrag: Defragmenter::new(cfg.defrag.clone()),
            last_defrag_expiry: 0,
            pcap_cnt: origin as u64,
            cnt_step: sources.max(1) as u64,
            origin,
            sync_horizons: !cfg.engine.live,
            since_sync: 0,
            stats: ReaderStats::new(),
            staging: Vec::with_capacity(1 << 16),
            rebuilt: Vec::with_capacity(1 << 16),
            dec: Decoded::default(),
            log_failed: cfg
                .output
                .eve
                .types
                .anomaly
                .as_ref()
                .is_some_and(|a| a.logs(crate::output::records::anomaly::Kind::Decode)),
        }
    }

    /// Reads one capture file to its end (or its first corrupt record).
    pub fn read_file(
        &mut self,
        path: &Path,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), crate::source::pcap::PcapError> {
        let mut reader = PcapReader::open(path)?;
        self.stats.files += 1;
        loop {
            self.staging.clear();
            let meta = match reader.next_frame(&mut self.staging) {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) if e.is_partial() => {
                    self.stats.pcap_errors.push(e.to_string());
                    break;
                }
                Err(e) => return Err(e),
            };
            let staging = std::mem::take(&mut self.staging);
            self.handle_frame(&staging, meta);
            self.staging = staging;
            if self.stats.records.is_multiple_of(4096) {
                progress(reader.offset());
            }
        }
        progress(reader.offset());
        Ok(())
    }

    /// Decodes, defragments and dispatches one frame.
    pub fn handle_frame(&mut self, staging: &[u8], meta: FrameMeta) {
        self.stats.records += 1;
        self.stats.bytes += u64::from(meta.cap_len);
        self.pcap_cnt += self.cnt_step;
        let ts = meta.ts;
        self.stats.first_ts = Some(self.stats.first_ts.map_or(ts, |f| f.min(ts)));
        self.stats.last_ts = Some(self.stats.last_ts.map_or(ts, |l| l.max(ts)));
        if ts.secs() > self.last_defrag_expiry {
            self.last_defrag_expiry = ts.secs();
            self.defrag.expire(ts);
        }
        match decode_frame(staging, meta.linktype, &self.decode, &mut self.dec) {
            Ok(Outcome::Packet) => {
                let dec = self.dec;
                self.dispatch(staging, ts, meta, &dec);
            }
            Ok(Outcome::Fragment(frag)) => {
                self.stats.fragments += 1;
                let ctx = self.dec;
                let mut rebuilt = std::mem::take(&mut self.rebuilt);
                if let Some(r) = self.defrag.insert(staging, &frag, &ctx, ts, &mut rebuilt) {
                    match decode_reassembled(&rebuilt, r.l3_off, &r.ctx, &self.decode, &mut self.dec) {
                        Ok(Outcome::Packet) => {
                            let dec = self.dec;
                            let m = FrameMeta { cap_len: rebuilt.len() as u32, wire_len: rebuilt.len() as u32, ..meta };
                            self.dispatch(&rebuilt, ts, m, &dec);
                        }
                        // A fragment inside a reassembled datagram: malformed.
                        Ok(Outcome::Fragment(_)) => self.failed(ts, DecodeError::FragmentTooShort),
                        Err(e) => self.failed(ts, e),
                    }
                }
                self.rebuilt = rebuilt;
            }
            Err(e) => self.failed(ts, e),
        }
        self.stats.defrag = self.defrag.stats;
    }

    /// A frame that did not decode: counted, and handed to a worker to be
    /// logged when decode anomalies are. Such a frame has no flow, so the
    /// workers take turns by capture position.
    fn failed(&mut self, ts: Timestamp, e: DecodeError) {
        self.stats.decode_errors[e.index()] += 1;
        if !self.log_failed || !e.is_anomaly() {
            return;
        }
        let w = (self.pcap_cnt % self.workers.len().max(1) as u64) as usize;
        self.filling[w].failed.push(Failed { ts, pcap_cnt: self.pcap_cnt, error: e });
        if self.filling[w].failed.len() >= self.batch_packets {
            self.send(w);
        }
    }

    fn dispatch(&mut self, frame: &[u8], ts: Timestamp, meta: FrameMeta, dec: &Decoded) {
        self.stats.dispatched += 1;
        if let Some(e) = dec.l4_error {
            self.stats.l4_errors[e.index()] += 1;
        }
        if dec.is_truncated() {
            self.stats.truncated += 1;
            self.stats.truncated_bytes_missing += u64::from(dec.payload_missing);
        }
        if dec.tunnel.is_some() {
            self.stats.tunneled += 1;
        }
        self.stats.layers.count(meta.linktype, dec, meta.cap_len);
        let n = self.workers.len();
        let w = if n == 1 { 0 } else { (FlowKey::of(dec).0.worker_hash() % n as u64) as usize };
        self.filling[w].push(frame, ts, self.pcap_cnt, meta.linktype, dec);
        if self.filling[w].pkts.len() >= self.batch_packets || self.filling[w].data.len() >= BATCH_BYTES {
            self.send(w);
        }
        // Keep every worker's horizon moving so the alert stage can release
        // alerts in order even when one worker gets no traffic.
        self.since_sync += 1;
        if n > 1 && self.sync_horizons && self.since_sync >= self.batch_packets * n * 4 {
            self.since_sync = 0;
            for i in 0..n {
                if i != w {
                    self.send(i);
                }
            }
        }
    }

    fn next_batch(&mut self, w: usize) -> Batch {
        if let Ok(mut b) = self.free[w].try_recv() {
            b.clear();
            return b;
        }
        if self.created[w] < self.pool {
            self.created[w] += 1;
            let mut b = Batch::with_capacity(self.batch_packets, BATCH_BYTES);
            b.origin = self.origin;
            return b;
        }
        match self.free[w].recv() {
            Ok(mut b) => {
                b.clear();
                b
            }
            // The worker is gone; keep going with a fresh batch.
            Err(_) => {
                let mut b = Batch::with_capacity(self.batch_packets, BATCH_BYTES);
                b.origin = self.origin;
                b
            }
        }
    }

    fn send(&mut self, w: usize) {
        let fresh = self.next_batch(w);
        let mut batch = std::mem::replace(&mut self.filling[w], fresh);
        batch.horizon = self.pcap_cnt;
        match self.policy {
            FullQueuePolicy::Block => {
                let _ = self.workers[w].send(WorkerMsg::Batch(batch));
            }
            FullQueuePolicy::DropNewest => match self.try_send(w, batch) {
                Ok(()) => {}
                Err(WorkerMsg::Batch(b)) => {
                    self.stats.queue_full_drops += 1;
                    self.stats.queue_full_packets += b.pkts.len() as u64;
                    // Reuse the dropped batch's buffers.
                    let mut b = b;
                    b.clear();
                    let _ = std::mem::replace(&mut self.filling[w], b);
                }
                Err(_) => {}
            },
        }
    }

    /// Sends without blocking, or waiting at most `queue_wait`; gives the
    /// message back when the worker's queue stayed full.
    fn try_send(&self, w: usize, batch: Batch) -> Result<(), WorkerMsg> {
        let msg = WorkerMsg::Batch(batch);
        if self.queue_wait.is_zero() {
            return self.workers[w].try_send(msg).map_err(|e| match e {
                TrySendError::Full(m) | TrySendError::Disconnected(m) => m,
            });
        }
        self.workers[w].send_timeout(msg, self.queue_wait).map_err(|e| match e {
            SendTimeoutError::Timeout(m) | SendTimeoutError::Disconnected(m) => m,
        })
    }

    /// Sends partly filled batches (a live source drained its socket:
    /// packets must not wait for a batch to fill). With `only_idle`, only
    /// to workers with an empty queue: a busy worker has work already, and
    /// its batch keeps filling, so batches grow with the load instead of a
    /// queue bounded in batches filling up with one-packet batches.
    pub fn flush_partial(&mut self, only_idle: bool) {
        for w in 0..self.workers.len() {
            let filled = !self.filling[w].pkts.is_empty() || !self.filling[w].failed.is_empty();
            if filled && (!only_idle || self.workers[w].is_empty()) {
                self.send(w);
            }
        }
        self.stats.defrag = self.defrag.stats;
    }

    /// Expires defragmentation state by the wall clock when no packet came.
    pub fn expire_defrag(&mut self, now: Timestamp) {
        if now.secs() > self.last_defrag_expiry {
            self.last_defrag_expiry = now.secs();
            self.defrag.expire(now);
        }
    }

    /// Stops a live source: sends what is left (the engine tells the
    /// workers to finish once every source has stopped).
    pub fn stop(mut self) -> ReaderStats {
        self.flush_partial(false);
        self.stats.defrag.incomplete_at_end = self.defrag.in_progress() as u64;
        self.stats
    }

    /// Sends what is left and tells every worker to finish.
    pub fn finish(mut self) -> ReaderStats {
        for w in 0..self.workers.len() {
            self.send(w);
            let _ = self.workers[w].send(WorkerMsg::Finish);
        }
        self.stats.defrag = self.defrag.stats;
        self.stats.defrag.incomplete_at_end = self.defrag.in_progress() as u64;
        self.stats
    }
}
