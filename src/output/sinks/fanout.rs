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

use super::{DropReason, Overflow, Records, Sink, SinkConfig, SinkCounters, SinkStats};
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
            let (c, r, label) = (counters.clone(), rx.clone(), name.clone());
            let thread = std::thread::Builder::new()
                .name(format!("mirrorids-sink-{i}"))
                .spawn(move || run_sink(sink, &label, filter, r, c, flush_every))
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

/// A sink's thread: delivers blocks in order, flushes when its queue runs
/// empty or `flush_every` has passed, reopens on request.
fn run_sink(
    mut sink: Box<dyn Sink>,
    name: &str,
    filter: [bool; EventType::COUNT],
    rx: Receiver<Msg>,
    counters: Arc<SinkCounters>,
    flush_every: Duration,
) {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut dirty = false;
    let mut flushed = Instant::now();
    // One warning per outage, not one per block.
    let mut failing = false;
    loop {
        let msg = match rx.recv_timeout(flush_every) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => {
                if dirty {
                    flush(&mut *sink, name, &counters);
                    dirty = false;
                    flushed = Instant::now();
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match msg {
            Msg::Reopen => {
                flush(&mut *sink, name, &counters);
                if let Err(e) = sink.reopen() {
                    tracing::error!(sink = name, "reopening: {e}");
                }
            }
            Msg::Block(block, n) => {
                ranges.clear();
                ranges.extend(block.records.iter().filter(|(k, _)| filter[k.index()]).map(|(_, r)| r.clone()));
                let records = Records { lines: &block.lines, ranges: &ranges };
                let bytes = |k: usize| ranges[..k].iter().map(|r| (r.end - r.start) as u64).sum::<u64>();
                match sink.deliver(&records) {
                    Ok(refused) => {
                        if failing {
                            tracing::info!(sink = name, "delivering again");
                            failing = false;
                        }
                        counters.delivered.fetch_add((n - refused) as u64, Ordering::Relaxed);
                        counters.bytes.fetch_add(bytes(n), Ordering::Relaxed);
                        counters.drop_records(DropReason::TooLarge, refused as u64);
                    }
                    Err(e) => {
                        counters.delivered.fetch_add(e.delivered as u64, Ordering::Relaxed);
                        counters.drop_records(DropReason::TooLarge, e.refused as u64);
                        counters.drop_records(DropReason::WriteError, e.rejected as u64);
                        let rest = n.saturating_sub(e.delivered + e.refused + e.rejected);
                        counters.drop_records(e.reason, rest as u64);
                        if !failing {
                            tracing::warn!(
                                sink = name,
                                reason = e.reason.name(),
                                "not delivering, dropping records: {}",
                                e.message
                            );
                            failing = true;
                        }
                    }
                }
                counters.queued.fetch_sub(n, Ordering::Relaxed);
                counters.up.store(sink.up(), Ordering::Relaxed);
                dirty = true;
                if rx.is_empty() || flushed.elapsed() >= flush_every {
                    flush(&mut *sink, name, &counters);
                    dirty = false;
                    flushed = Instant::now();
                }
            }
        }
    }
    flush(&mut *sink, name, &counters);
}

fn flush(sink: &mut dyn Sink, name: &str, counters: &SinkCounters) {
    if let Err(e) = sink.flush() {
        tracing::warn!(sink = name, "flush: {e}");
    }
    counters.up.store(sink.up(), Ordering::Relaxed);
}
