//! The live engine: receive threads -> workers -> alert thread, like
//! replay, plus what a long-running sensor needs: a ticker that moves time
//! on in quiet workers, atomic rule reload, and a drain on shutdown.
//!
//! ```text
//! socket (SO_REUSEPORT) -> receive thread (recvmmsg, admit, decode) --+
//! socket                 -> receive thread ------------------------------+-> worker queues (symmetric flow hash)
//! ticker ------------------------------------------- Tick / Reload -----+
//! ```
//!
//! This module is synchronous; signals, logs and the HTTP endpoints live
//! in the control plane (`cli::run`), which drives it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};

use super::batch::{Batch, ReloadPlan, WorkerMsg};
use super::reader::{Dispatcher, ReaderStats};
use super::receiver::{self, Admission, ReceiverParams, ReceiverSlot, Source, SourceKind};
use super::worker::{Worker, WorkerStats};
use super::{alert_thread, worker_thread, AlertJoin, AlertMsg, Hooks, RunSummary, StatsMsg};
use crate::config::live::TunnelKind;
use crate::config::Config;
use crate::control::snapshot::{LiveSnapshot, ReceiverStats};
use crate::detect::DetectEngine;
use crate::output::stage::{OutputStage, OutputStats, RecordBatch};
use crate::output::threshold::{ThresholdFile, Thresholds};
use crate::source::socket::{open_packet, open_udp};
use crate::util::Timestamp;

/// A socket opened at start, with what the kernel granted (for the log).
pub struct OpenedSource {
    pub source: Source,
    pub granted_rcvbuf: usize,
    pub forced: bool,
}

/// Opens every configured source: `receivers_per_listener` sockets per
/// listen address, `receivers_per_interface` per interface. Binding comes
/// before loading rules so a taken port fails fast.
pub fn open_sources(cfg: &Config) -> Result<Vec<OpenedSource>, String> {
    let live = &cfg.live;
    let mut out = Vec::new();
    for l in live.listeners(&cfg.decode.geneve_ports)? {
        for i in 0..live.receivers_per_listener {
            // Port 0 (tests) binds an ephemeral port; the other sockets of
            // the group join the port the first one got.
            let addr = out.last().and_then(|o: &OpenedSource| match o.source.kind {
                SourceKind::Tunnel { local, .. } if i > 0 => Some(local),
                _ => None,
            });
            let addr = addr.unwrap_or(l.addr);
            let o = open_udp(addr, live.socket_buffer_bytes)
                .map_err(|e| format!("listening on {addr} ({}): {e}", l.kind.name()))?;
            let local = o.socket.local_addr().ok().and_then(|a| a.as_socket()).unwrap_or(addr);
            out.push(OpenedSource {
                source: Source {
                    label: format!("{} {local} #{i}", l.kind.name()),
                    socket: o.socket,
                    kind: SourceKind::Tunnel { kind: l.kind, local },
                },
                granted_rcvbuf: o.granted_rcvbuf,
                forced: o.forced,
            });
        }
    }
    for (k, ifname) in live.interfaces.iter().enumerate() {
        let fanout = (live.receivers_per_interface > 1).then(|| (std::process::id() as u16).wrapping_add(k as u16));
        for i in 0..live.receivers_per_interface {
            let o = open_packet(ifname, live.socket_buffer_bytes, fanout, live.promiscuous).map_err(|e| {
                format!("capturing on interface {ifname}: {e} (AF_PACKET needs CAP_NET_RAW: run as root or grant it with `setcap cap_net_raw+ep`)")
            })?;
            out.push(OpenedSource {
                source: Source {
                    label: format!("afpacket {ifname} #{i}"),
                    socket: o.socket,
                    kind: SourceKind::Interface,
                },
                granted_rcvbuf: o.granted_rcvbuf,
                forced: o.forced,
            });
        }
    }
    Ok(out)
}

/// The configuration the engine runs with: the ports the listeners got
/// join the decoder's tunnel port sets, so a listener on any port decodes
/// as the encapsulation it was declared for.
pub fn live_config(cfg: &Config, sources: &[OpenedSource]) -> Config {
    let mut c = cfg.clone();
    c.engine.live = true;
    for s in sources {
        let SourceKind::Tunnel { kind, local } = s.source.kind else { continue };
        let port = local.port();
        let (add, remove) = match kind {
            TunnelKind::Vxlan => (&mut c.decode.vxlan_ports, &mut c.decode.geneve_ports),
            TunnelKind::Geneve => (&mut c.decode.geneve_ports, &mut c.decode.vxlan_ports),
        };
        if !add.contains(&port) {
            add.push(port);
        }
        remove.retain(|&p| p != port);
    }
    c
}

/// What a stopped engine reports.
pub struct LiveSummary {
    pub run: RunSummary,
    pub receivers: Vec<(String, ReceiverStats)>,
}

pub struct LiveEngine {
    to_workers: Vec<Sender<WorkerMsg>>,
    alert_tx: Sender<AlertMsg>,
    stop: Arc<AtomicBool>,
    receivers: Vec<(String, JoinHandle<(ReceiverStats, ReaderStats)>)>,
    receiver_slots: Vec<(String, ReceiverSlot)>,
    workers: Vec<JoinHandle<WorkerStats>>,
    worker_slots: Vec<Arc<Mutex<WorkerStats>>>,
    alert_slot: Arc<Mutex<OutputStats>>,
    alert_handle: AlertJoin,
    ticker: Option<JoinHandle<()>>,
    engine: Arc<DetectEngine>,
    queue_capacity: usize,
    started: Instant,
    /// When the rule set in use was loaded (stats records).
    rules_loaded_at: crate::util::Timestamp,
    /// `stats` records are written.
    stats_records: bool,
    sinks: crate::output::sinks::fanout::SinkMonitor,
    /// Rule sets the workers let go of at a reload (at most one per
    /// worker per reload), for [`LiveEngine::take_retired`].
    retired: Receiver<Arc<DetectEngine>>,
    retire: Sender<Arc<DetectEngine>>,
}

impl LiveEngine {
    /// Starts workers, the alert thread, one receive thread per source and
    /// the ticker. `beat(i)` is called whenever worker `i` handles a message.
    pub fn start<W: Write + Send + 'static>(
        cfg: Arc<Config>,
        sources: Vec<Source>,
        engine: Arc<DetectEngine>,
        thresholds: ThresholdFile,
        out: W,
        beat: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    ) -> Result<LiveEngine, String> {
        let n = cfg.engine.workers.max(1);
        let r = sources.len();
        let max_flows = cfg.flow.max_flows(n);
        let mut workers = Vec::with_capacity(n);
        for (id, link) in super::peers::mesh(n).into_iter().enumerate() {
            let mut w = Worker::new(id, engine.clone(), cfg.clone(), max_flows)?;
            w.connect(link);
            workers.push(w);
        }
        let fanout = crate::output::sinks::fanout::Fanout::start(&cfg.output.sinks)?;
        let sinks = fanout.monitor();
        let stage = OutputStage::new(
            Box::new(out) as super::AlertOut,
            n,
            Thresholds::new(thresholds, cfg.engine.threshold_memcap_entries),
            cfg.detect.packet_alert_max,
            false,
        )
        .with_sinks(fanout)
        .with_sensor_name(&cfg.output.eve.sensor_name);
        let alert_slot = Arc::new(Mutex::new(OutputStats::default()));
        let (alert_tx, alert_rx) = bounded::<AlertMsg>(n * 4);
        let mut alert_returns_tx = Vec::new();
        let mut alert_returns_rx = Vec::new();
        for _ in 0..n {
            let (t, rx) = bounded::<RecordBatch>(8);
            alert_returns_tx.push(t);
            alert_returns_rx.push(rx);
        }
        let sink_wait = Duration::from_secs(cfg.output.sinks_shutdown_wait_secs);
        let alert_handle = alert_thread(stage, alert_rx, alert_returns_tx, Some(alert_slot.clone()), sink_wait)?;
        let worker_slots: Vec<_> = (0..n).map(|_| Arc::new(Mutex::new(WorkerStats::default()))).collect();
        let (retired_tx, retired) = unbounded();
        let hooks = Hooks { beat, worker_stats: worker_slots.clone(), retired: Some(retired_tx.clone()) };
        // Each receive thread has its own pool of batches per worker; a
        // worker returns a batch to the pool it came from (`Batch::origin`).
        let pool = cfg.engine.queue_batches + 2;
        let mut free_tx: Vec<Vec<Sender<Batch>>> = (0..n).map(|_| Vec::with_capacity(r)).collect();
        let mut free_rx: Vec<Vec<_>> = (0..r).map(|_| Vec::with_capacity(n)).collect();
        for per_receiver in free_rx.iter_mut() {
            for per_worker in free_tx.iter_mut() {
                let (t, rx) = bounded::<Batch>(pool);
                per_worker.push(t);
                per_receiver.push(rx);
            }
        }
        let mut to_workers = Vec::with_capacity(n);
        let mut handles = Vec::with_capacity(n);
        for ((w, ret), free) in workers.into_iter().zip(alert_returns_rx).zip(free_tx) {
            let (tx, rx) = bounded::<WorkerMsg>(cfg.engine.queue_batches);
            handles.push(worker_thread(w, rx, free, alert_tx.clone(), ret, hooks.clone())?);
            to_workers.push(tx);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let admission = Admission {
            sources: cfg.live.source_filter()?,
            vnis: {
                let mut v = cfg.live.allow_vnis.clone();
                v.sort_unstable();
                v
            },
        };
        let tick = Duration::from_millis(cfg.live.tick_ms);
        let mut receivers = Vec::with_capacity(r);
        let mut receiver_slots = Vec::with_capacity(r);
        for (i, (source, free)) in sources.into_iter().zip(free_rx).enumerate() {
            let d = Dispatcher::for_source(&cfg, to_workers.clone(), free, i, r, cfg.live.full_queue_policy);
            let slot: ReceiverSlot = Arc::new(Mutex::new((ReceiverStats::default(), ReaderStats::new())));
            let params = ReceiverParams {
                batch: cfg.live.recv_batch,
                max_datagram: cfg.live.max_datagram_bytes,
                admission: admission.clone(),
                stop: stop.clone(),
                publish: slot.clone(),
                tick,
            };
            let label = source.label.clone();
            let h = std::thread::Builder::new()
                .name(format!("mirrorids-rx{i}"))
                .spawn(move || receiver::run(source, d, params))
                .map_err(|e| format!("starting a receive thread: {e}"))?;
            receivers.push((label.clone(), h));
            receiver_slots.push((label, slot));
        }
        let ticker = {
            let to = to_workers.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("mirrorids-tick".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(tick);
                        let now = Timestamp::now();
                        for t in &to {
                            // A full queue means the worker is busy: its
                            // packets move its clock and its heartbeat.
                            let _ = t.try_send(WorkerMsg::Tick(now));
                        }
                    }
                })
                .map_err(|e| format!("starting the ticker: {e}"))?
        };
        Ok(LiveEngine {
            to_workers,
            alert_tx,
            stop,
            receivers,
            receiver_slots,
            workers: handles,
            worker_slots,
            alert_slot,
            alert_handle,
            ticker: Some(ticker),
            engine,
            queue_capacity: cfg.engine.queue_batches,
            started: Instant::now(),
            rules_loaded_at: crate::util::Timestamp::now(),
            stats_records: cfg.output.eve.types.enabled(crate::output::records::EventType::Stats),
            sinks,
            retired,
            retire: retired_tx,
        })
    }

    /// Switches every worker to `engine` and the alert stage to the new
    /// thresholds. Packets keep flowing: each worker switches between two
    /// batches, keeping its flows (flowbits renamed to the new numbering).
    /// The new set must build a matching context first, so a set that
    /// cannot run is refused before anything changes.
    pub fn reload(&mut self, engine: DetectEngine, thresholds: ThresholdFile, cfg: &Config) -> Result<(), String> {
        engine.new_ctx().map_err(|e| format!("the new rule set cannot run: {e}"))?;
        let plan = Arc::new(ReloadPlan {
            flowbits: self.engine.flowbits.translate_to(&engine.flowbits),
            flowints: self.engine.flowints.translate_to(&engine.flowints),
            xbits: self.engine.xbits.translate_to(&engine.xbits),
            engine: Arc::new(engine),
        });
        let t = Thresholds::new(thresholds, cfg.engine.threshold_memcap_entries);
        let _ = self.alert_tx.send(AlertMsg::Thresholds(Box::new(t)));
        for w in &self.to_workers {
            // Blocking: a reload must reach every worker, after the
            // batches already queued.
            w.send(WorkerMsg::Reload(plan.clone())).map_err(|_| "a worker has stopped".to_string())?;
        }
        let _ = self.retire.send(std::mem::replace(&mut self.engine, plan.engine.clone()));
        self.rules_loaded_at = crate::util::Timestamp::now();
        Ok(())
    }

    /// The rule sets replaced by reloads that workers have let go of since
    /// the last call. Whoever drops the last of them frees that set: the
    /// moment to give its memory back to the kernel, and not sooner (a set
    /// still being dropped on another thread is not free yet).
    pub fn take_retired(&self) -> Vec<Arc<DetectEngine>> {
        self.retired.try_iter().collect()
    }

    /// The rule set in use (its datasets are saved at shutdown, and before
    /// a reload so that the new set loads the runtime changes).
    pub fn detect_engine(&self) -> Arc<DetectEngine> {
        self.engine.clone()
    }

    /// Switches alert output to `out` (log rotation: the old file was
    /// renamed; this is the new one). Lines already written stay in the old.
    pub fn replace_output(&self, out: Box<dyn Write + Send>) -> Result<(), String> {
        self.alert_tx.send(AlertMsg::Output(out)).map_err(|_| "the alert thread has stopped".to_string())
    }

    /// SIGHUP: the sinks of `output.sinks` reopen their files.
    pub fn reopen_sinks(&self) -> Result<(), String> {
        self.alert_tx.send(AlertMsg::ReopenSinks).map_err(|_| "the alert thread has stopped".to_string())
    }

    /// Counters of the running engine, read without stopping it (the
    /// rule-set status is the caller's to fill in).
    pub fn counters(&self) -> LiveSnapshot {
        let mut c =
            LiveSnapshot { queue_capacity: self.queue_capacity, reader: ReaderStats::new(), ..Default::default() };
        for (label, slot) in &self.receiver_slots {
            if let Ok(s) = slot.lock() {
                c.receivers.push((label.clone(), s.0.clone()));
                c.reader.merge(&s.1);
            }
        }
        for s in &self.worker_slots {
            c.workers.push(s.lock().map(|s| s.clone()).unwrap_or_default());
        }
        c.queue_depths = self.to_workers.iter().map(|t| t.len()).collect();
        c.alerts = self.alert_slot.lock().map(|s| s.clone()).unwrap_or_default();
        c.datasets_refused = self.engine.datasets.overflow();
        c.sinks = self.sinks.snapshot();
        c
    }

    /// Writes a `stats` record with the counters as they are now (the
    /// control plane calls this every `stats.interval_secs`).
    pub fn write_stats(&self) {
        if !self.stats_records {
            return;
        }
        let c = self.counters();
        let mut workers = WorkerStats::default();
        for w in &c.workers {
            workers.merge(w);
        }
        let _ = self.alert_tx.try_send(AlertMsg::Stats(Box::new(self.stats_msg(c.reader, workers))));
    }

    fn stats_msg(&self, reader: ReaderStats, workers: WorkerStats) -> StatsMsg {
        StatsMsg {
            uptime_secs: self.started.elapsed().as_secs(),
            reader,
            workers,
            rules_loaded: self.engine.sigs.len() as u64,
            rules_failed: self.engine.report.failed.len() as u64,
            rules_loaded_at: self.rules_loaded_at,
        }
    }

    /// Stops receiving, lets the workers drain their queues, ends every
    /// flow (inspecting what its streams hold), writes and flushes the
    /// remaining alerts.
    pub fn shutdown(mut self) -> Result<LiveSummary, String> {
        self.stop.store(true, Ordering::Relaxed);
        let mut reader = ReaderStats::new();
        let mut receivers = Vec::new();
        for (label, h) in std::mem::take(&mut self.receivers) {
            let (st, rd) = h.join().map_err(|_| "a receive thread panicked".to_string())?;
            reader.merge(&rd);
            receivers.push((label, st));
        }
        // The ticker saw the same flag; it is gone before workers finish.
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        for w in &self.to_workers {
            let _ = w.send(WorkerMsg::Finish);
        }
        self.to_workers.clear();
        let mut workers = WorkerStats::default();
        for h in std::mem::take(&mut self.workers) {
            let s = h.join().map_err(|_| "a worker thread panicked".to_string())?;
            workers.merge(&s);
        }
        if self.stats_records {
            let _ = self.alert_tx.send(AlertMsg::Stats(Box::new(self.stats_msg(reader.clone(), workers.clone()))));
        }
        drop(self.alert_tx);
        let (alerts, thresholds) = self.alert_handle.join().map_err(|_| "the alert thread panicked".to_string())??;
        let worker_count = self.worker_slots.len();
        Ok(LiveSummary {
            run: RunSummary {
                reader,
                workers,
                alerts,
                thresholds,
                elapsed: self.started.elapsed().max(Duration::from_micros(1)),
                worker_count,
                sinks: self.sinks.snapshot(),
            },
            receivers,
        })
    }
}
