//! The engine wires the stages onto threads:
//!
//! ```text
//! reader (decode, defrag, dispatch by flow hash)
//!   -> N workers (flows, detection, alert formatting)   [bounded queues]
//!   -> alert stage (order, thresholds, write)           [bounded queue]
//! ```
//!
//! Offline replay ([`replay`]) and the live sensor ([`live`]: receive
//! threads instead of the reader, plus ticks, reload and drain) share the
//! workers and the alert stage; only the source differs.

mod alerting;
mod anomalies;
mod app;
pub mod batch;
pub mod counters;
pub mod live;
pub mod peers;
pub mod reader;
pub mod receiver;
mod records;
pub mod stats;
mod stream;
pub mod summary;
pub mod worker;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender, TryRecvError};

use crate::config::Config;
use crate::detect::DetectEngine;
use crate::output::records::EventType;
use crate::output::sinks::fanout::Fanout;
use crate::output::stage::{OutputStage, OutputStats, RecordBatch};
use crate::output::threshold::{ThresholdFile, ThresholdStats, Thresholds};
use crate::rules::classification::Classifications;
use crate::rules::{expand_rule_paths, rules_dir, ParsedRules};
use crate::util::Timestamp;
use batch::{Batch, WorkerMsg};
pub use reader::ReaderStats;
pub use summary::RunSummary;
use worker::{Worker, WorkerStats};

/// Reads rule files and compiles them with the configured variables,
/// classifications and thresholds file.
pub fn load_rules(cfg: &Config, paths: &[PathBuf]) -> Result<(DetectEngine, ThresholdFile), String> {
    let files = expand_rule_paths(paths)?;
    let parsed = ParsedRules::load_files(&files, &cfg.vars, cfg.detect.load_threads)?;
    let mut classes = Classifications::builtin();
    match &cfg.detect.classification_file {
        Some(p) => classes.load_file(p)?,
        None => {
            if let Some(p) = rules_dir(&files).map(|d| d.join("classification.config")).filter(|p| p.is_file()) {
                classes.load_file(&p)?;
            }
        }
    }
    let thresholds = match &cfg.detect.threshold_file {
        Some(p) => ThresholdFile::load(p, &cfg.vars)?,
        None => ThresholdFile::default(),
    };
    let engine = DetectEngine::build(parsed, &classes, cfg.detect.clone())?;
    Ok((engine, thresholds))
}

/// Something that reports progress through the captures (bytes read).
pub trait Progress: Send {
    fn advance(&mut self, bytes: u64);
    fn finish(&mut self);
}

/// No progress reporting.
pub struct NoProgress;

impl Progress for NoProgress {
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

/// What the alert thread receives.
pub enum AlertMsg {
    Batch(RecordBatch),
    /// Rule reload: new thresholds and suppressions.
    Thresholds(Box<Thresholds>),
    /// Log rotation: what was written so far is flushed to the old output,
    /// the rest goes to this one.
    Output(Box<dyn Write + Send>),
    /// Counters for a `stats` record, written after what came before it.
    Stats(Box<StatsMsg>),
    /// SIGHUP: the sinks reopen their files.
    ReopenSinks,
}

/// The counters of a `stats` record, but the output stage's own.
pub struct StatsMsg {
    pub uptime_secs: u64,
    pub reader: ReaderStats,
    pub workers: WorkerStats,
    pub rules_loaded: u64,
    pub rules_failed: u64,
    /// When the rule set in use was loaded.
    pub rules_loaded_at: crate::util::Timestamp,
}

/// The alert stage writes through a boxed writer, so the live sensor can
/// swap it (log rotation); one dynamic call per 64 KiB chunk.
pub type AlertOut = Box<dyn Write + Send>;

/// Optional live hooks of the engine threads.
#[derive(Default, Clone)]
pub struct Hooks {
    /// Called by worker `i` after each message: the health check's
    /// heartbeat.
    pub beat: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    /// Where worker `i` publishes its counters on each tick.
    pub worker_stats: Vec<Arc<std::sync::Mutex<WorkerStats>>>,
    /// Where a worker hands the rule set a reload replaced, for the
    /// control thread to free (and give back to the kernel) off the
    /// packet path; without it the worker drops it.
    pub retired: Option<Sender<Arc<DetectEngine>>>,
}

/// The alert thread: its counters, or the write error that stopped it.
type AlertJoin = std::thread::JoinHandle<Result<(OutputStats, ThresholdStats), String>>;

fn alert_thread(
    stage: OutputStage<AlertOut>,
    rx: Receiver<AlertMsg>,
    returns: Vec<Sender<RecordBatch>>,
    publish: Option<Arc<std::sync::Mutex<OutputStats>>>,
    sink_wait: Duration,
) -> Result<AlertJoin, String> {
    std::thread::Builder::new()
        .name("mirrorids-alerts".into())
        .spawn(move || {
            let mut stage = stage;
            let mut io_error = None;
            let mut published = Instant::now();
            for msg in rx.iter() {
                let batch = match msg {
                    AlertMsg::Batch(b) => b,
                    AlertMsg::Thresholds(t) => {
                        stage.set_thresholds(*t);
                        continue;
                    }
                    AlertMsg::Output(o) => {
                        if let Err(e) = stage.replace_output(o) {
                            io_error.get_or_insert(e);
                        }
                        continue;
                    }
                    AlertMsg::Stats(m) => {
                        if let Err(e) = write_stats(&mut stage, &m) {
                            io_error.get_or_insert(e);
                        }
                        continue;
                    }
                    AlertMsg::ReopenSinks => {
                        stage.reopen_sinks();
                        continue;
                    }
                };
                if io_error.is_none() {
                    if let Err(e) = stage.receive(&batch) {
                        io_error = Some(e);
                    }
                    if rx.is_empty() {
                        if let Err(e) = stage.flush() {
                            io_error = Some(e);
                        }
                    }
                }
                if let Some(r) = returns.get(batch.worker) {
                    let _ = r.try_send(batch);
                }
                if let Some(p) = &publish {
                    if published.elapsed() >= Duration::from_secs(1) {
                        published = Instant::now();
                        if let Ok(mut s) = p.lock() {
                            *s = stage.stats.clone();
                        }
                    }
                }
            }
            if io_error.is_none() {
                if let Err(e) = stage.finish() {
                    io_error = Some(e);
                }
            }
            stage.close_sinks(sink_wait);
            if let Some(p) = &publish {
                if let Ok(mut s) = p.lock() {
                    *s = stage.stats.clone();
                }
            }
            match io_error {
                Some(e) => Err(format!("writing alerts: {e}")),
                None => Ok((stage.stats.clone(), stage.threshold_stats())),
            }
        })
        .map_err(|e| format!("starting the alert thread: {e}"))
}

/// Writes a `stats` record (after releasing everything held: it comes
/// last) if `stats` records are enabled.
fn write_stats(stage: &mut OutputStage<AlertOut>, m: &StatsMsg) -> std::io::Result<()> {
    stage.release_all()?;
    let input = stats::StatsInput {
        uptime_secs: m.uptime_secs,
        reader: &m.reader,
        workers: &m.workers,
        output: &stage.stats,
        rules_loaded: m.rules_loaded,
        rules_failed: m.rules_failed,
        rules_loaded_at: m.rules_loaded_at,
    };
    let (tree, ours) = (stats::tree(&input), stats::ours(&input));
    let mut line = Vec::with_capacity(4096);
    crate::output::records::stats::write_record(&mut line, crate::util::Timestamp::now(), &tree, &ours);
    stage.write_record(EventType::Stats, &line)?;
    stage.flush()
}

/// Batches a replay worker inspects before handing their records (and
/// the batches themselves) on.
const REPLAY_HAND_ON_BATCHES: usize = 16;
/// Record bytes after which they go on sooner.
const REPLAY_HAND_ON_BYTES: usize = 1 << 20;

/// What a worker holds between hand-overs: the records of the batches
/// inspected since the last one, and those batches, to go back to their
/// source for refilling.
struct Coalesce {
    out: Option<RecordBatch>,
    /// The batches whose records `out` holds.
    inspected: Vec<Batch>,
    /// How many batches are held at most (1: none are, live).
    limit: usize,
}

impl Coalesce {
    fn new(live: bool) -> Self {
        let limit = if live { 1 } else { REPLAY_HAND_ON_BATCHES };
        Coalesce { out: None, inspected: Vec::with_capacity(limit), limit }
    }

    fn full(&self) -> bool {
        self.inspected.len() >= self.limit || self.out.as_ref().is_some_and(|o| o.lines.len() >= REPLAY_HAND_ON_BYTES)
    }

    /// Sends the records held through `deliver` and returns the inspected
    /// batches to their sources.
    fn hand_on<D>(
        &mut self,
        free: &[Sender<Batch>],
        spare: &mut Option<RecordBatch>,
        dropped: &mut [u64; EventType::COUNT],
        deliver: &D,
    ) where
        D: Fn(RecordBatch, &mut Option<RecordBatch>, &mut [u64; EventType::COUNT]),
    {
        if let Some(out) = self.out.take() {
            deliver(out, spare, dropped);
        }
        for batch in self.inspected.drain(..) {
            if let Some(f) = free.get(batch.origin) {
                let _ = f.try_send(batch);
            }
        }
    }
}

fn worker_thread(
    mut worker: Worker,
    rx: Receiver<WorkerMsg>,
    free: Vec<Sender<Batch>>,
    alerts: Sender<AlertMsg>,
    alert_returns: Receiver<RecordBatch>,
    hooks: Hooks,
) -> Result<std::thread::JoinHandle<WorkerStats>, String> {
    std::thread::Builder::new()
        .name(format!("mirrorids-w{}", worker.id))
        .spawn(move || {
            let id = worker.id;
            // Live output is unordered: a batch without alerts tells the
            // alert stage nothing, so it is kept here for the next one
            // instead of waking the alert thread (replay's ordered stage
            // needs every horizon).
            let live = worker.is_live();
            let mut spare: Option<RecordBatch> = None;
            let take = |rx: &Receiver<RecordBatch>, spare: &mut Option<RecordBatch>| {
                let mut b = spare.take().or_else(|| rx.try_recv().ok()).unwrap_or_default();
                b.clear();
                b.worker = id;
                b
            };
            // Live, the output stage must not stall packet processing: a
            // batch that finds its queue full for longer than the live
            // queue wait is dropped, its records counted by type. Replay
            // waits (nothing is lost offline).
            let wait = Duration::from_millis(worker.det_config().live.full_queue_wait_ms);
            let deliver = |out: RecordBatch, spare: &mut Option<RecordBatch>, dropped: &mut [u64; EventType::COUNT]| {
                if live && out.records.is_empty() {
                    *spare = Some(out);
                } else if !live {
                    let _ = alerts.send(AlertMsg::Batch(out));
                } else if let Err(e) = alerts.send_timeout(AlertMsg::Batch(out), wait) {
                    if let AlertMsg::Batch(mut b) = e.into_inner() {
                        for r in &b.records {
                            dropped[r.kind.index()] += 1;
                        }
                        b.clear();
                        *spare = Some(b);
                    }
                }
            };
            let publish = hooks.worker_stats.get(id).cloned();
            // Replay hands its records and inspected batches on in groups:
            // each hand-over to a thread asleep on its channel (the alert
            // thread, mostly idle; the reader, waiting for a free batch) is
            // a futex wake, which cost the worker about a tenth of its time
            // at one of each per batch. Everything held goes on before the
            // worker waits for work, so nothing waits on it. Live output
            // keeps going batch by batch (alert latency), and live sources
            // never wait for a free batch.
            let mut held = Coalesce::new(live);
            loop {
                let msg = match rx.try_recv() {
                    Ok(msg) => msg,
                    Err(TryRecvError::Disconnected) => break,
                    Err(TryRecvError::Empty) => {
                        held.hand_on(&free, &mut spare, &mut worker.stats.records_dropped, &deliver);
                        match rx.recv() {
                            Ok(msg) => msg,
                            Err(_) => break,
                        }
                    }
                };
                match msg {
                    WorkerMsg::Batch(batch) => {
                        let mut out = held.out.take().unwrap_or_else(|| take(&alert_returns, &mut spare));
                        worker.process_batch(&batch, &mut out);
                        // Live packets carry their receipt time; a
                        // capture's carry the capture's.
                        if let (true, Some(first)) = (live, batch.pkts.first()) {
                            worker.stats.batches += 1;
                            worker.stats.batch_latency_us += Timestamp::now().micros_since(first.ts);
                        }
                        held.out = Some(out);
                        held.inspected.push(batch);
                        if held.full() {
                            held.hand_on(&free, &mut spare, &mut worker.stats.records_dropped, &deliver);
                        }
                    }
                    WorkerMsg::Tick(now) => {
                        held.hand_on(&free, &mut spare, &mut worker.stats.records_dropped, &deliver);
                        let mut out = take(&alert_returns, &mut spare);
                        worker.tick(now, &mut out);
                        deliver(out, &mut spare, &mut worker.stats.records_dropped);
                        if let Some(p) = &publish {
                            if let Ok(mut s) = p.lock() {
                                *s = worker.stats.clone();
                            }
                        }
                    }
                    WorkerMsg::Reload(plan) => match worker.reload(&plan) {
                        Ok(old) => {
                            if let Some(r) = &hooks.retired {
                                let _ = r.send(old);
                            }
                        }
                        Err(_) => worker.stats.reload_errors += 1,
                    },
                    WorkerMsg::Finish => break,
                }
                if let Some(b) = &hooks.beat {
                    b(id);
                }
            }
            held.hand_on(&free, &mut spare, &mut worker.stats.records_dropped, &deliver);
            let mut last = take(&alert_returns, &mut spare);
            worker.finish(&mut last, |out| {
                let full = std::mem::replace(out, take(&alert_returns, &mut spare));
                let _ = alerts.send(AlertMsg::Batch(full));
            });
            last.horizon = u64::MAX;
            let _ = alerts.send(AlertMsg::Batch(last));
            if let Some(p) = &publish {
                if let Ok(mut s) = p.lock() {
                    *s = worker.stats.clone();
                }
            }
            worker.stats.clone()
        })
        .map_err(|e| format!("starting a worker thread: {e}"))
}

/// A writer that collects output in memory (tests, `verify`).
#[derive(Clone, Default)]
pub struct SharedBuf(pub Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    pub fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }
}

/// Loads rules and replays captures, returning the EVE output and summary.
pub fn replay_to_memory(cfg: Config, rules: &[PathBuf], pcaps: &[PathBuf]) -> Result<(Vec<u8>, RunSummary), String> {
    let (detect, thresholds) = load_rules(&cfg, rules)?;
    let out = SharedBuf::default();
    let summary = replay(Arc::new(cfg), Arc::new(detect), thresholds, pcaps, out.clone(), &mut NoProgress)?;
    Ok((out.take(), summary))
}

/// Replays captures through the engine, writing alerts to `out`.
pub fn replay<W: Write + Send + 'static>(
    cfg: Arc<Config>,
    engine: Arc<DetectEngine>,
    thresholds: ThresholdFile,
    pcaps: &[PathBuf],
    out: W,
    progress: &mut dyn Progress,
) -> Result<RunSummary, String> {
    let started = Instant::now();
    let rules_loaded_at = crate::util::Timestamp::now();
    let n = cfg.engine.workers.max(1);
    let max_flows = cfg.flow.max_flows(n);
    let mut workers = Vec::with_capacity(n);
    for (id, link) in peers::mesh(n).into_iter().enumerate() {
        let mut w = Worker::new(id, engine.clone(), cfg.clone(), max_flows)?;
        w.connect(link);
        workers.push(w);
    }
    let sinks = Fanout::start(&cfg.output.sinks)?;
    let sink_monitor = sinks.monitor();
    let stage = OutputStage::new(
        Box::new(out) as AlertOut,
        n,
        Thresholds::new(thresholds, cfg.engine.threshold_memcap_entries),
        cfg.detect.packet_alert_max,
        true,
    )
    .with_sinks(sinks)
    .with_sensor_name(&cfg.output.eve.sensor_name);
    let (alert_tx, alert_rx) = bounded::<AlertMsg>(n * 4);
    let mut alert_returns_tx = Vec::new();
    let mut alert_returns_rx = Vec::new();
    for _ in 0..n {
        let (t, r) = bounded::<RecordBatch>(8);
        alert_returns_tx.push(t);
        alert_returns_rx.push(r);
    }
    let sink_wait = Duration::from_secs(cfg.output.sinks_shutdown_wait_secs);
    let alert_handle = alert_thread(stage, alert_rx, alert_returns_tx, None, sink_wait)?;
    let mut to_workers = Vec::new();
    let mut free_rx = Vec::new();
    let mut handles = Vec::new();
    for (w, ret) in workers.into_iter().zip(alert_returns_rx) {
        let (tx, rx) = bounded::<WorkerMsg>(cfg.engine.queue_batches);
        let (ftx, frx) = bounded::<Batch>(cfg.engine.queue_batches + 2);
        handles.push(worker_thread(w, rx, vec![ftx], alert_tx.clone(), ret, Hooks::default())?);
        to_workers.push(tx);
        free_rx.push(frx);
    }
    let mut dispatcher = reader::Dispatcher::new(&cfg, to_workers, free_rx);
    let mut fatal = None;
    let mut done_bytes = 0u64;
    for p in pcaps {
        let mut last = 0u64;
        let mut report = |off: u64| {
            progress.advance(off.saturating_sub(last));
            last = off;
        };
        if let Err(e) = dispatcher.read_file(p, &mut report) {
            fatal = Some(e.to_string());
            break;
        }
        done_bytes += last;
    }
    progress.finish();
    let reader_stats = dispatcher.finish();
    let mut worker_stats = WorkerStats::default();
    for h in handles {
        let s = h.join().map_err(|_| "a worker thread panicked".to_string())?;
        worker_stats.merge(&s);
    }
    if cfg.output.eve.types.enabled(EventType::Stats) {
        let _ = alert_tx.send(AlertMsg::Stats(Box::new(StatsMsg {
            uptime_secs: started.elapsed().as_secs(),
            reader: reader_stats.clone(),
            workers: worker_stats.clone(),
            rules_loaded: engine.sigs.len() as u64,
            rules_failed: engine.report.failed.len() as u64,
            rules_loaded_at,
        })));
    }
    drop(alert_tx);
    let (alert_stats, threshold_stats) = alert_handle.join().map_err(|_| "the alert thread panicked".to_string())??;
    if let Some(e) = fatal {
        return Err(e);
    }
    let _ = done_bytes;
    Ok(RunSummary {
        reader: reader_stats,
        workers: worker_stats,
        alerts: alert_stats,
        thresholds: threshold_stats,
        elapsed: started.elapsed().max(Duration::from_micros(1)),
        worker_count: n,
        sinks: sink_monitor.snapshot(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivered(
        log: &std::cell::RefCell<Vec<u64>>,
    ) -> impl Fn(RecordBatch, &mut Option<RecordBatch>, &mut [u64; EventType::COUNT]) + '_ {
        move |out, _, _| log.borrow_mut().push(out.horizon)
    }

    #[test]
    fn replay_hands_records_and_batches_on_in_groups() {
        let log = std::cell::RefCell::new(Vec::new());
        let deliver = delivered(&log);
        let (free_tx, free_rx) = bounded::<Batch>(64);
        let mut held = Coalesce::new(false);
        let (mut spare, mut dropped) = (None, [0; EventType::COUNT]);
        for i in 1..=REPLAY_HAND_ON_BATCHES as u64 {
            let out = held.out.get_or_insert_with(RecordBatch::default);
            out.horizon = i;
            held.inspected.push(Batch::with_capacity(1, 16));
            assert_eq!(held.full(), i == REPLAY_HAND_ON_BATCHES as u64);
        }
        assert!(log.borrow().is_empty() && free_rx.is_empty());
        held.hand_on(std::slice::from_ref(&free_tx), &mut spare, &mut dropped, &deliver);
        // One hand-over: the latest horizon, every batch back to its pool.
        assert_eq!(*log.borrow(), [REPLAY_HAND_ON_BATCHES as u64]);
        assert_eq!(free_rx.len(), REPLAY_HAND_ON_BATCHES);
        assert!(held.out.is_none() && held.inspected.is_empty() && !held.full());
        // Many record bytes go on before the batch count is reached.
        let out = held.out.get_or_insert_with(RecordBatch::default);
        out.lines.resize(REPLAY_HAND_ON_BYTES, b'x');
        held.inspected.push(Batch::with_capacity(1, 16));
        assert!(held.full());
        // Handing on with no records held delivers nothing (the batch
        // still goes back).
        held.out = None;
        held.hand_on(&[free_tx], &mut spare, &mut dropped, &deliver);
        assert_eq!(log.borrow().len(), 1);
        assert_eq!(free_rx.len(), REPLAY_HAND_ON_BATCHES + 1);
    }

    #[test]
    fn live_hands_every_batch_on() {
        let mut held = Coalesce::new(true);
        held.out = Some(RecordBatch::default());
        assert!(!held.full());
        held.inspected.push(Batch::with_capacity(1, 16));
        assert!(held.full());
    }
}
