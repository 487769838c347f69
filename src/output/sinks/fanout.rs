//! From the output stage to the sinks: the stage appends each written
//! record to a block; at each flush the block is shared (one `Arc`, no
//! copy per sink) with every sink that takes one of its record types.
//!
//! Each sink has its own thread and a queue bounded in records. When a
//! queue is full, its `overflow` policy drops the newest or the oldest
//! records, counted as `queue_full`. The stage never waits for a sink.
//! At shutdown every sink gets a bounded time to drain and flush; what is
//! still queued then is counted as `shutdown`.

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};

use super::spool::Spool;
use super::{DropReason, Overflow, Records, Sink, SinkConfig, SinkCounters, SinkError, SinkStats};
use crate::output::records::EventType;

/// Records written by the stage between two flushes.
#[derive(Debug, Default)]
struct Block {
    lines: Vec<u8>,
    records: Vec<(EventType, Range<usize>)>,
}

enum Msg {
    /// A block and how many of its records this sink takes.
    Block(Arc<Block>, usize),
    Reopen,
}

struct Handle {
    name: String,
    filter: [bool; EventType::COUNT],
    cap: usize,
    overflow: Overflow,
    tx: Sender<Msg>,
    /// The queue's receiving end, kept to drop the oldest block.
    rx: Receiver<Msg>,
    counters: Arc<SinkCounters>,
    thread: Option<JoinHandle<()>>,
}

/// Every configured sink, fed by the output stage.
pub struct Fanout {
    sinks: Vec<Handle>,
    /// Record types at least one sink takes.
    wanted: [bool; EventType::COUNT],
    block: Block,
}

/// Shared counters of every sink, by name, for metrics and the summary.
#[derive(Debug, Clone, Default)]
pub struct SinkMonitor {
    sinks: Vec<(String, Arc<SinkCounters>)>,
}

impl SinkMonitor {
    pub fn snapshot(&self) -> Vec<SinkStats> {
        self.sinks.iter().map(|(n, c)| c.snapshot(n)).collect()
    }
}

impl Fanout {
    /// Opens every sink and starts its thread. A sink that cannot open
    /// (a file in a missing directory) is an error naming it; a network
    /// peer that is down is not (the sink counts drops until it returns).
    pub fn start(configs: &[SinkConfig]) -> Result<Fanout, String> {
        let mut sinks = Vec::with_capacity(configs.len());
        let mut wanted = [false; EventType::COUNT];
        for (i, cfg) in configs.iter().enumerate() {
            let name = cfg.label(i);
            let filter = cfg.filter().map_err(|e| format!("output.sinks[{i}] ({name}): {e}"))?;
            for (w, f) in wanted.iter_mut().zip(filter) {
                *w |= f;
            }
            let sink = super::open(cfg).map_err(|e| format!("output.sinks[{i}] ({name}): {e}"))?;
            let counters = Arc::new(SinkCounters::default());
            counters.up.store(sink.up(), Ordering::Relaxed);
            let (tx, rx) = unbounded();
            let flush_every = Duration::from_millis(cfg.flush_interval_ms.max(1));
            let spool = match cfg.spool.enabled() {
                true => Some(Spool::open(&cfg.spool).map_err(|e| format!("output.sinks[{i}] ({name}): {e}"))?),
                false => None,
            };
            let worker = SinkWorker {
                sink,
                name: name.clone(),
                filter,
                counters: counters.clone(),
                spool,
                failed_at: None,
                failing: false,
                ranges: Vec::new(),
            };
            worker.publish_spool();
            let r = rx.clone();
            let thread = std::thread::Builder::new()
                .name(format!("mirrorids-sink-{i}"))
                .spawn(move || run_sink(worker, r, flush_every))
                .map_err(|e| format!("output.sinks[{i}] ({name}): starting its thread: {e}"))?;
            sinks.push(Handle {
                name,
                filter,
                cap: cfg.queue_records,
                overflow: cfg.overflow,
                tx,
                rx,
                counters,
                thread: Some(thread),
            });
        }
        Ok(Fanout { sinks, wanted, block: Block::default() })
    }

    pub fn monitor(&self) -> SinkMonitor {
        SinkMonitor { sinks: self.sinks.iter().map(|h| (h.name.clone(), h.counters.clone())).collect() }
    }

    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Queues one written record (a whole line) for the next [`Self::send`].
    pub fn push(&mut self, kind: EventType, line: &[u8]) {
        if !self.wanted[kind.index()] {
            return;
        }
        let start = self.block.lines.len();
        self.block.lines.extend_from_slice(line);
        self.block.records.push((kind, start..self.block.lines.len()));
    }

    /// Hands the records pushed so far to the sinks' queues.
    pub fn send(&mut self) {
        if self.block.records.is_empty() {
            return;
        }
        let block = Arc::new(std::mem::take(&mut self.block));
        for h in &self.sinks {
            let n = block.records.iter().filter(|(k, _)| h.filter[k.index()]).count();
            if n == 0 {
                continue;
            }
            let queued = h.counters.queued.load(Ordering::Relaxed);
            if queued + n > h.cap {
                match h.overflow {
                    Overflow::DropNewest => {
                        h.counters.drop_records(DropReason::QueueFull, n as u64);
                        continue;
                    }
                    Overflow::DropOldest => {
                        // Oldest blocks out until this one fits (or the queue is empty).
                        while h.counters.queued.load(Ordering::Relaxed) + n > h.cap {
                            match h.rx.try_recv() {
                                Ok(Msg::Block(_, m)) => {
                                    h.counters.queued.fetch_sub(m, Ordering::Relaxed);
                                    h.counters.drop_records(DropReason::QueueFull, m as u64);
                                }
                                Ok(Msg::Reopen) => {}
                                Err(_) => break,
                            }
                        }
                        if n > h.cap {
                            h.counters.drop_records(DropReason::QueueFull, n as u64);
                            continue;
                        }
                    }
                }
            }
            h.counters.queued.fetch_add(n, Ordering::Relaxed);
            if h.tx.send(Msg::Block(block.clone(), n)).is_err() {
                h.counters.queued.fetch_sub(n, Ordering::Relaxed);
                h.counters.drop_records(DropReason::WriteError, n as u64);
            }
        }
    }

    /// SIGHUP: every sink reopens (files) after what is already queued.
    pub fn reopen(&self) {
        for h in &self.sinks {
            let _ = h.tx.send(Msg::Reopen);
        }
    }

    /// Sends what is pending, then gives the sinks until `wait` has passed
    /// to deliver and flush. Records still queued then are counted as
    /// `shutdown` (their threads are left to finish on their own).
    pub fn close(mut self, wait: Duration) {
        self.send();
        let deadline = Instant::now() + wait;
        let mut threads = Vec::new();
        for h in &mut self.sinks {
            // Dropping the sender (and our receiver) ends the thread's loop once drained.
            let (tx, _) = unbounded();
            drop(std::mem::replace(&mut h.tx, tx));
            threads.push((h.thread.take(), h.counters.clone()));
        }
        self.sinks.clear();
        for (thread, counters) in threads {
            let Some(t) = thread else { continue };
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                let _ = t.join();
            } else {
                let left = counters.queued.swap(0, Ordering::Relaxed);
                counters.drop_records(DropReason::Shutdown, left as u64);
            }
        }
    }
}

/// A sink's thread: delivers blocks in order (through the spool while it
/// holds anything), flushes when its queue runs empty or `flush_every` has
/// passed, reopens on request.
fn run_sink(mut w: SinkWorker, rx: Receiver<Msg>, flush_every: Duration) {
    let mut flushed = Instant::now();
    let mut dirty = false;
    loop {
        // While records wait in the spool, wake up to retry the peer.
        let wait =
            if w.spool.as_ref().is_some_and(|s| !s.is_empty()) { flush_every.min(RETRY_EVERY) } else { flush_every };
        match rx.recv_timeout(wait) {
            Ok(Msg::Reopen) => {
                w.flush();
                if let Err(e) = w.sink.reopen() {
                    tracing::error!(sink = w.name, "reopening: {e}");
                }
            }
            Ok(Msg::Block(block, n)) => {
                w.block(&block, n);
                dirty = true;
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = w.sink.idle() {
                    tracing::warn!(sink = w.name, "{e}");
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        w.drain_spool(false);
        if dirty && (rx.is_empty() || flushed.elapsed() >= flush_every) {
            w.flush();
            dirty = false;
            flushed = Instant::now();
        }
    }
    w.drain_spool(true);
    if let Err(e) = w.sink.close() {
        tracing::warn!(sink = w.name, "closing: {e}");
    }
    if let Some(s) = w.spool.as_mut() {
        if let Err(e) = s.save_cursor() {
            tracing::error!(sink = w.name, "{e}");
        }
    }
}

/// Counts what a delivery of `ranges` settled: delivered, refused as too
/// large or (`unmapped` of them) as not mappable, rejected by the peer. Returns how many records that is (from the
/// first on) and, when the delivery stopped before the last one, why.
fn settle(
    counters: &SinkCounters,
    ranges: &[Range<usize>],
    result: Result<usize, SinkError>,
    unmapped: usize,
) -> (usize, Option<SinkError>) {
    let n = ranges.len();
    let (delivered, refused, rejected, error) = match result {
        Ok(refused) => (n.saturating_sub(refused), refused, 0, None),
        Err(e) => (e.delivered, e.refused, e.rejected, Some(e)),
    };
    let taken = (delivered + refused + rejected).min(n);
    let bytes: u64 = ranges[..taken].iter().map(|r| (r.end - r.start) as u64).sum();
    counters.delivered.fetch_add(delivered as u64, Ordering::Relaxed);
    counters.bytes.fetch_add(bytes, Ordering::Relaxed);
    let unmapped = unmapped.min(refused);
    counters.drop_records(DropReason::TooLarge, (refused - unmapped) as u64);
    counters.drop_records(DropReason::Unmapped, unmapped as u64);
    counters.drop_records(DropReason::WriteError, rejected as u64);
    // Error answers alone (every record settled) leave the peer up.
    (taken, error.filter(|_| taken < n))
}

/// How often a sink with spooled records tries its peer again.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// Spooled records per delivery attempt.
const DRAIN_BATCH: usize = 1024;

struct SinkWorker {
    sink: Box<dyn Sink>,
    name: String,
    filter: [bool; EventType::COUNT],
    counters: Arc<SinkCounters>,
    spool: Option<Spool>,
    /// When the peer failed last (the spool waits [`RETRY_EVERY`]).
    failed_at: Option<Instant>,
    /// One warning per outage, not one per block.
    failing: bool,
    ranges: Vec<Range<usize>>,
}

impl SinkWorker {
    fn block(&mut self, block: &Block, n: usize) {
        let filter = self.filter;
        self.ranges.clear();
        self.ranges.extend(block.records.iter().filter(|(k, _)| filter[k.index()]).map(|(_, r)| r.clone()));
        let ranges = std::mem::take(&mut self.ranges);
        let records = Records { lines: &block.lines, ranges: &ranges };
        if self.spool.as_ref().is_some_and(|s| !s.is_empty()) {
            // Behind the records already waiting, to keep the order.
            self.spool_records(&records, 0);
        } else {
            let result = self.sink.deliver(&records);
            self.account(&records, result);
        }
        self.ranges = ranges;
        self.counters.queued.fetch_sub(n, Ordering::Relaxed);
        self.counters.up.store(self.sink.up(), Ordering::Relaxed);
    }

    /// Counts a delivery; what the peer did not take goes to the spool
    /// when there is one (peer down), else is counted dropped.
    fn account(&mut self, records: &Records<'_>, result: Result<usize, SinkError>) {
        let n = records.ranges.len();
        let unmapped = self.sink.take_unmapped();
        let (taken, stopped) = settle(&self.counters, records.ranges, result, unmapped);
        let Some(e) = stopped else {
            self.recovered();
            return;
        };
        let spooling = e.reason == DropReason::PeerDown && self.spool.is_some();
        self.failed(&e, spooling);
        if spooling {
            self.spool_records(records, taken);
        } else {
            self.counters.drop_records(e.reason, (n - taken) as u64);
        }
    }

    /// A delivery went through: say so once after an outage.
    fn recovered(&mut self) {
        if self.failing {
            tracing::info!(sink = self.name, "delivering again");
            self.failing = false;
        }
    }

    /// A delivery stopped early: the spool waits [`RETRY_EVERY`]; one
    /// warning per outage.
    fn failed(&mut self, e: &SinkError, spooling: bool) {
        self.failed_at = Some(Instant::now());
        if !self.failing {
            let fate = if spooling { "spooling" } else { "dropping" };
            tracing::warn!(sink = self.name, reason = e.reason.name(), "not delivering, {fate} records: {}", e.message);
            self.failing = true;
        }
    }

    fn spool_records(&mut self, records: &Records<'_>, from: usize) {
        let Some(spool) = self.spool.as_mut() else { return };
        match spool.append(records, from) {
            Ok((_, refused)) => self.counters.drop_records(DropReason::SpoolFull, refused),
            Err(e) => {
                tracing::error!(sink = self.name, "{e}");
                let left = records.ranges.len().saturating_sub(from);
                self.counters.drop_records(DropReason::WriteError, left as u64);
            }
        }
        let oldest = spool.take_dropped_oldest();
        self.counters.drop_records(DropReason::SpoolFull, oldest);
        self.publish_spool();
    }

    /// Delivers spooled records while the peer takes them; `now` ignores
    /// the retry delay (shutdown).
    fn drain_spool(&mut self, now: bool) {
        if !now && self.failed_at.is_some_and(|t| t.elapsed() < RETRY_EVERY) {
            return;
        }
        let mut ranges = std::mem::take(&mut self.ranges);
        while let Some(spool) = self.spool.as_mut().filter(|s| !s.is_empty()) {
            let (taken, stopped) = match spool.peek(DRAIN_BATCH, &mut ranges) {
                Ok(data) if !ranges.is_empty() => {
                    let result = self.sink.deliver(&Records { lines: data, ranges: &ranges });
                    settle(&self.counters, &ranges, result, self.sink.take_unmapped())
                }
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(sink = self.name, "{e}");
                    break;
                }
            };
            // What the peer did not settle stays in the spool for the next try.
            spool.consume(taken);
            match stopped {
                None => self.recovered(),
                Some(e) => {
                    self.failed(&e, true);
                    break;
                }
            }
        }
        self.ranges = ranges;
        self.publish_spool();
        self.counters.up.store(self.sink.up(), Ordering::Relaxed);
    }

    fn publish_spool(&self) {
        if let Some(s) = &self.spool {
            self.counters.spooled.store(s.records(), Ordering::Relaxed);
            self.counters.spooled_bytes.store(s.bytes(), Ordering::Relaxed);
        }
    }

    fn flush(&mut self) {
        if let Err(e) = self.sink.flush() {
            tracing::warn!(sink = self.name, "flush: {e}");
        }
        self.counters.up.store(self.sink.up(), Ordering::Relaxed);
    }
}
