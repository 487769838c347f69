//! EVE `anomaly` records: decode, stream and application-layer events.

use serde::{Deserialize, Serialize};

/// Options of `anomaly` records: which kinds of events are logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnomalyLogConfig {
    pub enabled: bool,
    /// Packets that did not decode, or decoded with a problem (truncated).
    pub decode: bool,
    /// TCP stream events.
    pub stream: bool,
    /// Protocol parser events (malformed HTTP, TLS, DNS).
    pub applayer: bool,
}

impl Default for AnomalyLogConfig {
    fn default() -> Self {
        AnomalyLogConfig { enabled: true, decode: false, stream: false, applayer: true }
    }
}
