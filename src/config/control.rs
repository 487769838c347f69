//! Control-plane settings of the live sensor: the Prometheus and health
//! endpoints, when a stuck worker makes the sensor unhealthy, and logging.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line (for CloudWatch Logs, Loki, journald
    /// forwarders that parse JSON).
    Json,
}

/// Endpoints, health and logging of `mirrorids run`.
///
/// Both endpoints bind to localhost by default, so a fresh install exposes
/// nothing to the VPC; opening one is an explicit decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlConfig {
    /// Address of the Prometheus endpoint (`GET /metrics`), e.g.
    /// `127.0.0.1:9750`. Null or empty disables it (in TOML, which has no
    /// null, use `""`). Bind it to the instance address (`0.0.0.0:9750`)
    /// only if a scraper outside the instance needs it.
    pub metrics_listen: Option<String>,
    /// Address of the health endpoint (`GET /health`: 200 `ok`, or 503 with
    /// the reasons) for a Network or Gateway Load Balancer target group.
    /// A load balancer's health check comes from the VPC, so for one to
    /// reach it this must be bound to the instance address, e.g.
    /// `0.0.0.0:9751`; the default is localhost for safety. Null or empty
    /// disables it.
    pub health_listen: Option<String>,
    /// A worker that has not made progress (processed a batch or ticked
    /// while idle) for this many seconds makes the sensor unhealthy.
    pub stall_after_secs: u64,
    /// Log level (`error`, `warn`, `info`, `debug`, `trace`) or a
    /// tracing filter such as `info,mirrorids::control=debug`. The
    /// `RUST_LOG` environment variable, when set, overrides it.
    pub log_level: String,
    /// `text` or `json` log lines (on stderr).
    pub log_format: LogFormat,
    /// How often, in seconds, the counters exported on `/metrics` are
    /// refreshed from the engine.
    pub stats_interval_secs: u64,
}

impl Default for ControlConfig {
    fn default() -> Self {
        ControlConfig {
            metrics_listen: Some("127.0.0.1:9750".into()),
            health_listen: Some("127.0.0.1:9751".into()),
            stall_after_secs: 10,
            log_level: "info".into(),
            log_format: LogFormat::Text,
            stats_interval_secs: 1,
        }
    }
}

impl ControlConfig {
    /// The metrics endpoint's address; None when disabled.
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>, String> {
        listen_addr("control.metrics_listen", self.metrics_listen.as_deref())
    }

    /// The health endpoint's address; None when disabled.
    pub fn health_addr(&self) -> Result<Option<SocketAddr>, String> {
        listen_addr("control.health_listen", self.health_listen.as_deref())
    }

    pub fn validate(&self) -> Result<(), String> {
        let metrics = self.metrics_addr()?;
        let health = self.health_addr()?;
        if metrics.is_some() && metrics == health {
            return Err(format!(
                "control.metrics_listen and control.health_listen are the same address ({}); give each its own port",
                self.metrics_listen.as_deref().unwrap_or_default()
            ));
        }
        if self.stall_after_secs == 0 {
            return Err("control.stall_after_secs must be positive".into());
        }
        if self.stats_interval_secs == 0 {
            return Err("control.stats_interval_secs must be positive".into());
        }
        // Checked here so a typo fails `config check`, not the first log line.
        tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .map_err(|e| format!("control.log_level: \"{}\" is not a log level or filter: {e}", self.log_level))?;
        Ok(())
    }
}

/// An address given as text: None or empty disables the endpoint.
fn listen_addr(key: &str, text: Option<&str>) -> Result<Option<SocketAddr>, String> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t.parse().map(Some).map_err(|_| {
            format!("{key}: \"{t}\" is not an address with a port (e.g. 127.0.0.1:9750, 0.0.0.0:9751, [::]:9750)")
        }),
    }
}
