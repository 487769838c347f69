//! `output.filestore`: keeping the files seen in HTTP bodies on disk,
//! Suricata's `file-store` (version 2) layout: `DIR/<first two hex digits
//! of the sha256>/<sha256>`, one copy per content. Files are written while
//! they travel (to `DIR/tmp`), then kept or deleted once logged: all of
//! them with `force`, else those a `filestore` rule marked.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// File store settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileStoreConfig {
    pub enabled: bool,
    /// Directory of the store (created if missing).
    pub dir: PathBuf,
    /// Most bytes this run writes to the store, split evenly among the
    /// workers (0 = no limit); files that would exceed it are dropped and
    /// counted (`files.store_over_cap`).
    pub max_bytes: u64,
    /// Store every file, not only those `filestore` rules mark
    /// (Suricata's `force-filestore`).
    pub force: bool,
}

impl Default for FileStoreConfig {
    fn default() -> Self {
        FileStoreConfig { enabled: false, dir: PathBuf::from("filestore"), max_bytes: 1 << 30, force: false }
    }
}
