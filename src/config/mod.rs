//! Configuration: one YAML file, grouped by pipeline stage, every key
//! documented on its struct field, unknown keys rejected with the file and
//! key named. Defaults suit a mirror target out of the box; `--set
//! key=value` overrides any key.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::decode::defrag::DefragConfig;
use crate::decode::{DecodeConfig, PortSet};
use crate::detect::DetectConfig;
use crate::flow::FlowConfig;
use crate::output::EveConfig;
use crate::rules::Vars;
use crate::stream::StreamConfig;

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
    /// Encapsulations peeled off at most.
    pub max_tunnel_depth: u8,
}

impl Default for DecodeSettings {
    fn default() -> Self {
        DecodeSettings { vxlan_ports: vec![4789], geneve_ports: vec![6081], max_tunnel_depth: 4 }
    }
}

impl DecodeSettings {
    pub fn to_decode_config(&self) -> DecodeConfig {
        DecodeConfig {
            vxlan_ports: PortSet::new(&self.vxlan_ports),
            geneve_ports: PortSet::new(&self.geneve_ports),
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct OutputSettings {
    pub eve: EveConfig,
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
    /// Loads a configuration file (YAML) over the defaults and applies
    /// `--set key=value` overrides.
    pub fn load(path: Option<&Path>, sets: &[String]) -> Result<Config, ConfigError> {
        let mut value = serde_yaml::to_value(Config::default())
            .map_err(|e| ConfigError::Invalid { path: "(defaults)".into(), message: e.to_string() })?;
        let label = path.map_or_else(|| "(defaults)".to_string(), |p| p.display().to_string());
        if let Some(p) = path {
            let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read { path: p.into(), source })?;
            let user: serde_yaml::Value = serde_yaml::from_str(&text)
                .map_err(|e| ConfigError::Invalid { path: label.clone(), message: e.to_string() })?;
            if !user.is_null() {
                merge(&mut value, user);
            }
        }
        for s in sets {
            apply_set(&mut value, s)?;
        }
        let cfg: Config = serde_yaml::from_value(value)
            .map_err(|e| ConfigError::Invalid { path: label.clone(), message: e.to_string() })?;
        cfg.validate().map_err(|message| ConfigError::Invalid { path: label, message })?;
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
        self.stream.validate()?;
        self.live.validate(&self.decode.geneve_ports)?;
        Ok(())
    }

    /// The documented defaults, as YAML.
    pub fn default_yaml() -> String {
        serde_yaml::to_string(&Config::default()).unwrap_or_default()
    }
}

/// Deep-merges `over` into `base` (mappings merge, anything else replaces).
fn merge(base: &mut serde_yaml::Value, over: serde_yaml::Value) {
    match (base, over) {
        (serde_yaml::Value::Mapping(b), serde_yaml::Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Applies `a.b.c=value`: the value is parsed as YAML (so `true`, `4789`,
/// `[4789, 8472]` work); the path must exist unless it names a map entry
/// (e.g. `vars.address_groups.HOME_NET`).
fn apply_set(root: &mut serde_yaml::Value, assignment: &str) -> Result<(), ConfigError> {
    let err = |message: String| ConfigError::Set { assignment: assignment.to_string(), message };
    let (path, raw) = assignment.split_once('=').ok_or_else(|| err("expected KEY=VALUE".into()))?;
    let value: serde_yaml::Value = serde_yaml::from_str(raw).map_err(|e| err(e.to_string()))?;
    let parts: Vec<&str> = path.trim().split('.').collect();
    let mut node = root;
    for (i, part) in parts.iter().enumerate() {
        let key = serde_yaml::Value::String(part.to_string());
        let serde_yaml::Value::Mapping(map) = node else {
            return Err(err(format!("\"{}\" is not a section", parts[..i].join("."))));
        };
        if i + 1 == parts.len() {
            map.insert(key, value);
            return Ok(());
        }
        if !map.contains_key(&key) {
            return Err(err(format!("unknown key \"{}\"", parts[..=i].join("."))));
        }
        node = map.get_mut(&key).ok_or_else(|| err("internal".into()))?;
    }
    Err(err("empty key".into()))
}

#[cfg(test)]
mod tests;
