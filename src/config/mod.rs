//! Configuration: one YAML or TOML file, grouped by pipeline stage, every
//! key documented on its struct field, unknown keys rejected with the file
//! and the full key path named. Defaults suit a mirror target out of the
//! box; `--set key=value` overrides any key.

mod control;
mod load;

pub use load::Format;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::decode::defrag::DefragConfig;
use crate::decode::teredo::TeredoPorts;
use crate::decode::{DecodeConfig, PortSet};
use crate::detect::DetectConfig;
use crate::flow::FlowConfig;
use crate::output::EveConfig;
use crate::rules::Vars;
use crate::stream::StreamConfig;
pub use control::{ControlConfig, LogFormat};

pub mod live;
pub use live::LiveConfig;

/// Decoder settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecodeSettings {
    /// UDP destination ports carrying VXLAN (AWS Traffic Mirroring: 4789).
    pub vxlan_ports: Vec<u16>,
    /// UDP destination ports carrying GENEVE (AWS Gateway Load Balancer: 6081).
    pub geneve_ports: Vec<u16>,
    /// IPv6 in UDP (Teredo), decoded as Suricata does by default.
    pub teredo: TeredoSettings,
    /// Encapsulations peeled off at most.
    pub max_tunnel_depth: u8,
}

impl Default for DecodeSettings {
    fn default() -> Self {
        DecodeSettings {
            vxlan_ports: vec![4789],
            geneve_ports: vec![6081],
            teredo: TeredoSettings::default(),
            max_tunnel_depth: 4,
        }
    }
}

/// Teredo (RFC 4380, Suricata's `decoder.teredo`). A UDP datagram with
/// either port listed whose payload is a plausible IPv6 packet (after an
/// optional origin indication) is decoded as a tunnel; any other stays a
/// plain UDP datagram. Teredo has no marker of its own, so the port list
/// keeps other protocols from being mistaken for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeredoSettings {
    pub enabled: bool,
    /// UDP ports (source or destination) looked at; empty looks at every
    /// UDP datagram, as Suricata's `ports: any`. Default 3544, Suricata's
    /// `$TEREDO_PORTS`.
    pub ports: Vec<u16>,
}

impl Default for TeredoSettings {
    fn default() -> Self {
        TeredoSettings { enabled: true, ports: vec![3544] }
    }
}

impl DecodeSettings {
    pub fn to_decode_config(&self) -> DecodeConfig {
        let teredo = match (self.teredo.enabled, self.teredo.ports.is_empty()) {
            (false, _) => TeredoPorts::Off,
            (true, true) => TeredoPorts::Any,
            (true, false) => TeredoPorts::Ports(PortSet::new(&self.teredo.ports)),
        };
        DecodeConfig {
            vxlan_ports: PortSet::new(&self.vxlan_ports),
            geneve_ports: PortSet::new(&self.geneve_ports),
            teredo,
            max_tunnel_depth: self.max_tunnel_depth,
        }
    }
}

/// What happens when a worker's queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullQueuePolicy {
    /// Wait for the worker (replay: never lose a packet).
    Block,
    /// Drop the batch and count it (live capture: never stall the receiver).
    DropNewest,
}

/// Threading and queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineSettings {
    /// Detection worker threads; flows are pinned to a worker by a symmetric
    /// hash of the inner flow and the tunnel.
    pub workers: usize,
    /// Packets per batch handed to a worker.
    pub batch_packets: usize,
    /// Batches that may wait in each worker's queue.
    pub queue_batches: usize,
    pub full_queue_policy: FullQueuePolicy,
    /// Matches held by the threshold stage (per tracked key).
    pub threshold_memcap_entries: usize,
    /// Set by `mirrorids run`: packets come from the network, not a
    /// capture (EVE then has no `pcap_cnt`, alerts are written as they
    /// come instead of in capture order).
    #[serde(skip)]
    pub live: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            workers: 1,
            batch_packets: 128,
            queue_batches: 16,
            full_queue_policy: FullQueuePolicy::Block,
            threshold_memcap_entries: 1 << 20,
            live: false,
        }
    }
}

/// Output settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputSettings {
    pub eve: EveConfig,
    /// More destinations for records, each with its own record types:
    /// files, standard output, Unix sockets.
    pub sinks: Vec<crate::output::sinks::SinkConfig>,
    /// Seconds the sinks get at shutdown to deliver what they hold.
    pub sinks_shutdown_wait_secs: u64,
    /// Files carried in HTTP bodies kept on disk.
    pub filestore: crate::output::filestore::FileStoreConfig,
}

impl Default for OutputSettings {
    fn default() -> Self {
        OutputSettings {
            eve: EveConfig::default(),
            sinks: Vec::new(),
            sinks_shutdown_wait_secs: 5,
            filestore: Default::default(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub decode: DecodeSettings,
    pub defrag: DefragConfig,
    pub flow: FlowConfig,
    /// TCP session pickup (mid-stream, one-sided) and reassembly.
    pub stream: StreamConfig,
    /// Address and port variables for rule headers.
    pub vars: Vars,
    pub detect: DetectConfig,
    /// Application-layer protocol recognition and parsers (HTTP, TLS, DNS).
    pub app: crate::app::AppConfig,
    pub output: OutputSettings,
    pub engine: EngineSettings,
    /// Receiving mirrored traffic (`mirrorids run`).
    pub live: LiveConfig,
    /// Endpoints (metrics, health), health thresholds and logging of the
    /// live sensor.
    pub control: ControlConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("--set {assignment}: {message}")]
    Set { assignment: String, message: String },
}

impl Config {
    /// Loads a configuration file (YAML, or TOML when the name ends in
    /// `.toml`) over the defaults and applies `--set key=value` overrides.
    pub fn load(path: Option<&Path>, sets: &[String]) -> Result<Config, ConfigError> {
        let label = path.map_or_else(|| "(defaults)".to_string(), |p| p.display().to_string());
        let text = match path {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|source| ConfigError::Read { path: p.into(), source })?),
            None => None,
        };
        let format = path.map_or(Format::Yaml, Format::of);
        Config::from_text(text.as_deref(), format, &label, sets)
    }

    /// The configuration a document's text gives (None: the defaults), read
    /// as `load` reads a file, with `label` naming it in errors. Separate so
    /// the `config` fuzz target runs exactly what a file goes through.
    pub fn from_text(text: Option<&str>, format: Format, label: &str, sets: &[String]) -> Result<Config, ConfigError> {
        let mut value = serde_yaml::to_value(Config::default())
            .map_err(|e| ConfigError::Invalid { path: "(defaults)".into(), message: e.to_string() })?;
        if let Some(text) = text {
            let user =
                load::parse(text, format).map_err(|message| ConfigError::Invalid { path: label.into(), message })?;
            if !user.is_null() {
                load::merge(&mut value, user);
            }
        }
        for s in sets {
            load::apply_set(&mut value, s).map_err(|message| ConfigError::Set { assignment: s.clone(), message })?;
        }
        let cfg: Config =
            load::deserialize(value).map_err(|message| ConfigError::Invalid { path: label.into(), message })?;
        cfg.validate().map_err(|message| ConfigError::Invalid { path: label.into(), message })?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.engine.workers == 0 || self.engine.workers > 1024 {
            return Err(format!("engine.workers must be 1..=1024, got {}", self.engine.workers));
        }
        if self.engine.batch_packets == 0 || self.engine.queue_batches == 0 {
            return Err("engine.batch_packets and engine.queue_batches must be positive".into());
        }
        if self.output.eve.payload_buffer_size == 0 {
            return Err("output.eve.payload_buffer_size must be positive".into());
        }
        if self.detect.packet_alert_max == 0 {
            return Err("detect.packet_alert_max must be positive".into());
        }
        if let Some(files) = &self.output.eve.types.files {
            if let Some(h) = files.unknown_hashes().first() {
                return Err(format!("output.eve.types files force_hash: unknown hash \"{h}\" (md5, sha1, sha256)"));
            }
        }
        self.output.eve.file_options(true).validate().map_err(|e| format!("output.eve: {e}"))?;
        crate::output::sinks::validate_all(&self.output.sinks)?;
        crate::output::tenants::validate(&self.output.eve.tenants)?;
        if self.output.filestore.enabled && self.output.filestore.dir.as_os_str().is_empty() {
            return Err("output.filestore.dir must name a directory".into());
        }
        self.stream.validate()?;
        self.live.validate(&self.decode.geneve_ports)?;
        self.control.validate()?;
        Ok(())
    }

    /// The documented defaults, as YAML.
    pub fn default_yaml() -> String {
        serde_yaml::to_string(&Config::default()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
