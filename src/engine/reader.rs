//! The reader: reads captures, decodes and defragments each frame, and
//! dispatches packets to workers in batches by a symmetric hash of the
//! inner flow and tunnel, so both directions of a connection meet in one
//! worker.

use std::path::Path;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::batch::{Batch, WorkerMsg};
use crate::config::{Config, FullQueuePolicy};
use crate::decode::defrag::{DefragStats, Defragmenter};
use crate::decode::{decode_frame, decode_reassembled, DecodeConfig, DecodeError, Decoded, Outcome};
use crate::flow::FlowKey;
use crate::source::pcap::PcapReader;
use crate::source::FrameMeta;
use crate::util::Timestamp;

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
    decode: DecodeConfig,
    defrag: Defragmenter,
    last_defrag_expiry: u64,
    pcap_cnt: u64,
    since_sync: usize,
    pub stats: ReaderStats,
    staging: Vec<u8>,
    rebuilt: Vec<u8>,
    dec: Decoded,
}

/// Bytes at which a batch is sent even if not full of packets.
const BATCH_BYTES: usize = 512 * 1024;

impl Dispatcher {
    pub fn new(cfg: &Config, workers: Vec<Sender<WorkerMsg>>, free: Vec<Receiver<Batch>>) -> Dispatcher {
        let n = workers.len();
        let batch_packets = cfg.engine.batch_packets;
        Dispatcher {
            filling: (0..n).map(|_| Batch::with_capacity(batch_packets, BATCH_BYTES)).collect(),
            created: vec![1; n],
            workers,
            free,
            pool: cfg.engine.queue_batches + 2,
            batch_packets,
            policy: cfg.engine.full_queue_policy,
            decode: cfg.decode.to_decode_config(),
            defrag: Defragmenter::new(cfg.defrag.clone()),
            last_defrag_expiry: 0,
            pcap_cnt: 0,
            since_sync: 0,
            stats: ReaderStats::new(),
            staging: Vec::with_capacity(1 << 16),
            rebuilt: Vec::with_capacity(1 << 16),
            dec: Decoded::default(),
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
            self.stats.records += 1;
            self.stats.bytes += u64::from(meta.cap_len);
            if self.stats.records.is_multiple_of(4096) {
                progress(reader.offset());
            }
            self.handle_frame(meta);
        }
        progress(reader.offset());
        Ok(())
    }

    fn handle_frame(&mut self, meta: FrameMeta) {
        self.pcap_cnt += 1;
        let ts = meta.ts;
        self.stats.first_ts = Some(self.stats.first_ts.map_or(ts, |f| f.min(ts)));
        self.stats.last_ts = Some(self.stats.last_ts.map_or(ts, |l| l.max(ts)));
        if ts.secs() > self.last_defrag_expiry {
            self.last_defrag_expiry = ts.secs();
            self.defrag.expire(ts);
        }
        let staging = std::mem::take(&mut self.staging);
        match decode_frame(&staging, meta.linktype, &self.decode, &mut self.dec) {
            Ok(Outcome::Packet) => {
                let dec = self.dec;
                self.dispatch(&staging, ts, meta, &dec);
            }
            Ok(Outcome::Fragment(frag)) => {
                self.stats.fragments += 1;
                let ctx = self.dec;
                let mut rebuilt = std::mem::take(&mut self.rebuilt);
                if let Some(r) = self.defrag.insert(&staging, &frag, &ctx, ts, &mut rebuilt) {
                    match decode_reassembled(&rebuilt, r.l3_off, &r.ctx, &self.decode, &mut self.dec) {
                        Ok(Outcome::Packet) => {
                            let dec = self.dec;
                            let m = FrameMeta { cap_len: rebuilt.len() as u32, wire_len: rebuilt.len() as u32, ..meta };
                            self.dispatch(&rebuilt, ts, m, &dec);
                        }
                        // A fragment inside a reassembled datagram: malformed.
                        Ok(Outcome::Fragment(_)) => {
                            self.stats.decode_errors[DecodeError::FragmentTooShort.index()] += 1
                        }
                        Err(e) => self.stats.decode_errors[e.index()] += 1,
                    }
                }
                self.rebuilt = rebuilt;
            }
            Err(e) => self.stats.decode_errors[e.index()] += 1,
        }
        self.staging = staging;
        self.stats.defrag = self.defrag.stats;
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
        let n = self.workers.len();
        let w = if n == 1 { 0 } else { (FlowKey::of(dec).0.worker_hash() % n as u64) as usize };
        self.filling[w].push(frame, ts, self.pcap_cnt, meta.linktype, dec);
        if self.filling[w].pkts.len() >= self.batch_packets || self.filling[w].data.len() >= BATCH_BYTES {
            self.send(w);
        }
        // Keep every worker's horizon moving so the alert stage can release
        // alerts in order even when one worker gets no traffic.
        self.since_sync += 1;
        if n > 1 && self.since_sync >= self.batch_packets * n * 4 {
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
            return Batch::with_capacity(self.batch_packets, BATCH_BYTES);
        }
        match self.free[w].recv() {
            Ok(mut b) => {
                b.clear();
                b
            }
            // The worker is gone; keep going with a fresh batch.
            Err(_) => Batch::with_capacity(self.batch_packets, BATCH_BYTES),
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
            FullQueuePolicy::DropNewest => match self.workers[w].try_send(WorkerMsg::Batch(batch)) {
                Ok(()) => {}
                Err(TrySendError::Full(WorkerMsg::Batch(b))) | Err(TrySendError::Disconnected(WorkerMsg::Batch(b))) => {
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
