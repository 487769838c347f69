//! `mirrorids run`: the live sensor.
//!
//! The packet path runs on its own threads (`engine::live`); this is the
//! control plane, on a small tokio runtime: it opens the sockets, loads
//! the rules while the health endpoint says so, publishes metrics, reloads
//! rules on SIGHUP and drains on SIGTERM/SIGINT.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tracing::{error, info, warn};

use super::{open_eve, ConfigArgs, EngineArgs, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};
use crate::config::Config;
use crate::control::http::{serve, ControlApp};
use crate::control::metrics::Telemetry;
use crate::control::snapshot::{shedding, LiveSnapshot, ReceiverStats, RulesetStatus};
use crate::control::state::SensorState;
use crate::detect::DetectEngine;
use crate::engine::live::{live_config, open_sources, LiveEngine};
use crate::engine::load_rules;
use crate::output::threshold::ThresholdFile;

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Receive tunnels on ADDR:PORT (repeatable; replaces live.listen).
    /// Prefix "geneve:" or "vxlan:" to choose the encapsulation; otherwise
    /// port 6081 is GENEVE and any other port VXLAN.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<String>,
    /// Capture from a network interface with AF_PACKET (repeatable; needs
    /// CAP_NET_RAW).
    #[arg(long, value_name = "IFACE")]
    pub interface: Vec<String>,
}

fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

pub fn run(a: RunArgs) -> u8 {
    let mut cfg = match Config::load(a.config.config.as_deref(), &a.config.set) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    if !a.listen.is_empty() || !a.interface.is_empty() {
        cfg.live.listen = a.listen.clone();
        cfg.live.interfaces = a.interface.clone();
    }
    if let Some(w) = a.engine.workers {
        cfg.engine.workers = w;
    }
    if let Err(e) = cfg.validate() {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    crate::control::logging::init(&cfg.control.log_level, cfg.control.log_format);
    let rule_paths = a.engine.rule_paths(&cfg);
    if rule_paths.is_empty() {
        error!("no rules: pass --rules FILE or set detect.rule_files in the configuration");
        return EXIT_USAGE;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            error!("starting the control runtime: {e}");
            return EXIT_RUNTIME;
        }
    };
    runtime.block_on(sensor(cfg, rule_paths, a.engine.eve, a.engine.quiet))
}

/// Binds the metrics and health listeners (configuration validation
/// checked the addresses and keeps them apart).
async fn start_endpoints(
    cfg: &Config,
    state: &Arc<SensorState>,
    telemetry: &Option<Telemetry>,
    shutdown: &watch::Receiver<bool>,
) -> Result<(), String> {
    let stall_after = Duration::from_secs(cfg.control.stall_after_secs);
    let plan = [(cfg.control.metrics_addr()?, true), (cfg.control.health_addr()?, false)];
    for (address, serve_metrics) in plan.into_iter().filter_map(|(a, m)| Some((a?, m))) {
        let what = if serve_metrics { "metrics" } else { "health" };
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| format!("binding the {what} endpoint {address}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        info!(address = %local, "{what} endpoint listening (/health{})", if serve_metrics { ", /metrics" } else { "" });
        let app =
            Arc::new(ControlApp { state: state.clone(), telemetry: telemetry.clone(), serve_metrics, stall_after });
        tokio::spawn(serve(listener, app, shutdown.clone()));
    }
    Ok(())
}

/// Loads rules off the runtime thread (seconds for a full ruleset) so the
/// endpoints keep answering.
async fn load(cfg: &Arc<Config>, paths: &[PathBuf]) -> Result<(DetectEngine, ThresholdFile), String> {
    let (cfg, paths) = (cfg.clone(), paths.to_vec());
    let loaded = tokio::task::spawn_blocking(move || load_rules(&cfg, &paths)).await;
    let (engine, thresholds) = loaded.map_err(|e| format!("loading rules: {e}"))??;
    if engine.report.loaded == 0 {
        return Err(format!(
            "no rule could be loaded ({} skipped, {} disabled): refusing to run without detection",
            engine.report.failed.len(),
            engine.report.disabled
        ));
    }
    Ok((engine, thresholds))
}

fn status_of(engine: &DetectEngine, paths: &[PathBuf], generation: u64) -> RulesetStatus {
    RulesetStatus {
        generation,
        loaded: engine.report.loaded,
        failed: engine.report.failed.len(),
        files: paths.iter().map(|p| p.display().to_string()).collect(),
        loaded_at_unix: unix_now(),
        ..RulesetStatus::default()
    }
}

fn snapshot(engine: &LiveEngine, ruleset: &RulesetStatus) -> LiveSnapshot {
    LiveSnapshot { ruleset: ruleset.clone(), ..engine.counters() }
}

async fn sensor(cfg: Config, rule_paths: Vec<PathBuf>, eve: Option<PathBuf>, quiet: bool) -> u8 {
    let sources = match open_sources(&cfg) {
        Ok(s) => s,
        Err(e) => {
            error!("{e}");
            return EXIT_RUNTIME;
        }
    };
    for s in &sources {
        info!(source = %s.source.label, rcvbuf = s.granted_rcvbuf, forced = s.forced, "receiving");
        if s.granted_rcvbuf < cfg.live.socket_buffer_bytes {
            warn!(
                source = %s.source.label,
                requested = cfg.live.socket_buffer_bytes,
                granted = s.granted_rcvbuf,
                "the kernel granted a smaller receive buffer than requested: raise net.core.rmem_max or grant CAP_NET_ADMIN"
            );
        }
    }
    if cfg.live.allow_sources.is_empty() && !cfg.live.listen.is_empty() {
        warn!("live.allow_sources is empty: tunnels are accepted from any source that can reach the port; set it to the mirror sources' CIDRs");
    }
    let cfg = Arc::new(live_config(&cfg, &sources));
    let workers = cfg.engine.workers.max(1);
    let state = SensorState::new(workers);
    let telemetry = match Telemetry::install() {
        Ok(t) => Some(t),
        Err(e) => {
            warn!("metrics disabled: {e}");
            None
        }
    };
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    if let Err(e) = start_endpoints(&cfg, &state, &telemetry, &shutdown_rx).await {
        error!("{e}");
        return EXIT_RUNTIME;
    }
    let (mut hup, mut term, mut int) =
        match (signal(SignalKind::hangup()), signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(h), Ok(t), Ok(i)) => (h, t, i),
            _ => {
                error!("installing signal handlers failed");
                return EXIT_RUNTIME;
            }
        };
    info!(files = ?rule_paths, "loading rules");
    let (detect, thresholds) = match load(&cfg, &rule_paths).await {
        Ok(x) => x,
        Err(e) => {
            error!("{e}");
            return EXIT_USAGE;
        }
    };
    let mut ruleset = status_of(&detect, &rule_paths, 1);
    info!(
        loaded = ruleset.loaded,
        skipped = ruleset.failed,
        "rules loaded (`mirrorids rules check` lists the skipped ones); {}",
        detect.report.mpm_cache_summary()
    );
    let eve_path = eve.unwrap_or_else(|| cfg.output.eve.path.clone());
    let out = match open_eve(&eve_path, &cfg.output.eve.file_options(true)) {
        Ok(o) => o,
        Err(e) => {
            error!("{e}");
            return EXIT_RUNTIME;
        }
    };
    let beat_state = state.clone();
    let beat: Arc<dyn Fn(usize) + Send + Sync> = Arc::new(move |i| beat_state.beat(i));
    let sources = sources.into_iter().map(|s| s.source).collect();
    let mut engine = match LiveEngine::start(cfg.clone(), sources, Arc::new(detect), thresholds, out, Some(beat)) {
        Ok(e) => e,
        Err(e) => {
            error!("starting the engine: {e}");
            return EXIT_RUNTIME;
        }
    };
    for i in 0..workers {
        state.beat(i);
    }
    state.set_rules_loaded(true);
    // What compiling the rules used and freed goes back to the kernel.
    crate::util::memory::release_free_memory();
    info!(workers, eve = %eve_path.display(), "inspecting");
    let mut stats = tokio::time::interval(Duration::from_secs(cfg.control.stats_interval_secs.max(1)));
    let stats_every = cfg.output.eve.types.stats.as_ref().map_or(0, |s| s.interval_secs);
    let mut stats_records = tokio::time::interval(Duration::from_secs(stats_every.max(1)));
    // The first tick is immediate; the first record comes after an interval.
    stats_records.tick().await;
    let mut previous = snapshot(&engine, &ruleset);
    loop {
        tokio::select! {
            _ = stats.tick() => {
                // The rule set a reload replaced goes back to the kernel
                // once freed, here: trimming at a set time after the reload
                // raced the workers (a reload that outlasts a stats interval
                // is followed by a tick at once) or the last worker's drop
                // of the set, and left its ~100 MiB in the arenas.
                let retired = engine.take_retired();
                if !retired.is_empty() {
                    tokio::task::spawn_blocking(move || {
                        if retired.into_iter().filter_map(Arc::into_inner).count() > 0 {
                            crate::util::memory::release_free_memory();
                        }
                    });
                }
                let now = snapshot(&engine, &ruleset);
                state.set_shedding(shedding(&previous, &now));
                if let Some(t) = &telemetry {
                    t.publish(&now);
                }
                previous = now;
            }
            _ = stats_records.tick(), if stats_every > 0 => engine.write_stats(),
            _ = hup.recv() => {
                // Log rotation first: the rotated file keeps what was written.
                if eve_path.as_os_str() != "-" {
                    match open_eve(&eve_path, &cfg.output.eve.file_options(true)).and_then(|o| engine.replace_output(o)) {
                        Ok(()) => info!(eve = %eve_path.display(), "SIGHUP: EVE output reopened"),
                        Err(e) => error!("reopening the EVE output failed, alerts keep going to the open file: {e}"),
                    }
                }
                if let Err(e) = engine.reopen_sinks() {
                    error!("reopening the sinks: {e}");
                }
                info!("SIGHUP: reloading rules");
                for e in engine.detect_engine().datasets.save() {
                    error!("saving a dataset before the reload: {e}");
                }
                match load(&cfg, &rule_paths).await.and_then(|(d, t)| {
                    let status = status_of(&d, &rule_paths, ruleset.generation + 1);
                    engine.reload(d, t, &cfg).map(|()| status)
                }) {
                    Ok(status) => {
                        info!(loaded = status.loaded, skipped = status.failed, generation = status.generation, "rules reloaded");
                        ruleset = RulesetStatus { reloads_ok: ruleset.reloads_ok + 1, reloads_failed: ruleset.reloads_failed, ..status };
                    }
                    Err(e) => {
                        error!("rule reload rejected, the running rule set stays in use: {e}");
                        ruleset.reloads_failed += 1;
                        ruleset.last_error = Some(e);
                        // The set that was built is freed already; the
                        // trim, as after a reload, off the control runtime.
                        tokio::task::spawn_blocking(crate::util::memory::release_free_memory);
                    }
                }
            }
            _ = term.recv() => { info!("SIGTERM: draining"); break; }
            _ = int.recv() => { info!("SIGINT: draining"); break; }
        }
    }
    state.set_draining(true);
    let last = snapshot(&engine, &ruleset);
    let detect = engine.detect_engine();
    let summary = tokio::task::spawn_blocking(move || engine.shutdown()).await;
    let _ = shutdown_tx.send(true);
    let summary = match summary.map_err(|e| e.to_string()).and_then(|s| s) {
        Ok(s) => s,
        Err(e) => {
            error!("stopping: {e}");
            return EXIT_RUNTIME;
        }
    };
    if let Some(t) = &telemetry {
        t.publish(&last);
    }
    // As Suricata, at shutdown: the sets with `save`/`state` files.
    for e in detect.datasets.save() {
        error!("saving a dataset: {e}");
    }
    let refused = detect.datasets.overflow();
    if refused > 0 {
        warn!(refused, "dataset items not added: the set was at its memcap");
    }
    info!(alerts = summary.run.alerts.written, packets = summary.run.workers.packets, "stopped");
    if !quiet {
        let mut err = std::io::stderr();
        let _ = summary.run.print(&mut err);
        let _ = print_receivers(&summary.receivers, &mut err);
    }
    EXIT_OK
}

/// The receive side of the end-of-run summary: one line per socket.
fn print_receivers(receivers: &[(String, ReceiverStats)], w: &mut dyn std::io::Write) -> std::io::Result<()> {
    for (label, r) in receivers {
        writeln!(
            w,
            "receive    {label}: {} datagrams, {} bytes; dropped: kernel={} denied source={} denied vni={} not a tunnel={} errors={}; oversize (inspected truncated)={}",
            r.datagrams, r.bytes, r.kernel_drops, r.denied_source, r.denied_vni, r.not_tunnel, r.recv_errors, r.oversize
        )?;
    }
    Ok(())
}
