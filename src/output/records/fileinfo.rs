//! EVE `fileinfo` records: files carried in HTTP bodies.

use serde::{Deserialize, Serialize};

/// Options of `fileinfo` records (Suricata's `eve-log.types.files`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesLogConfig {
    pub enabled: bool,
    /// Hashes computed for every file: `md5`, `sha1`, `sha256`.
    pub force_hash: Vec<String>,
}

impl Default for FilesLogConfig {
    fn default() -> Self {
        FilesLogConfig { enabled: true, force_hash: Vec::new() }
    }
}
