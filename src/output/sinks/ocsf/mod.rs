//! The `ocsf` sink: records mapped to OCSF 1.1.0 ([`crate::output::ocsf`])
//! for AWS Security Lake, written either as JSON lines to a rotated file
//! (`format: json`) or as Parquet files laid out as Security Lake custom
//! sources expect (`format: parquet`, [`parquet`]).
//!
//! The sink takes only the record types that have an OCSF class (alert,
//! flow, netflow, http, dns): with no `types`, those; a `types` list naming
//! another is refused when the configuration is read. A record that still
//! cannot be mapped (a malformed line, a record without its endpoints) is
//! refused and counted as `unmapped`, never dropped silently.

pub mod parquet;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::file::{FileOptions, RotatingFile};
use super::{DropReason, Records, Sink, SinkError};
use crate::output::ocsf::{self, OcsfClass, Skip};

/// What an `ocsf` sink writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OcsfFormat {
    /// One OCSF event per line into the file `path` (rotated by `file:`).
    #[default]
    Json,
    /// Parquet files under the directory `path`, one custom source per class.
    Parquet,
}

/// The Security Lake custom source name of each class (the `ext/<name>/`
/// folder; one class per source, as Security Lake wants).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceNames {
    pub detection_finding: String,
    pub network_activity: String,
    pub http_activity: String,
    pub dns_activity: String,
}

impl Default for SourceNames {
    fn default() -> Self {
        SourceNames {
            detection_finding: OcsfClass::DetectionFinding.default_source().into(),
            network_activity: OcsfClass::NetworkActivity.default_source().into(),
            http_activity: OcsfClass::HttpActivity.default_source().into(),
            dns_activity: OcsfClass::DnsActivity.default_source().into(),
        }
    }
}

impl SourceNames {
    pub fn of(&self, class: OcsfClass) -> &str {
        match class {
            OcsfClass::DetectionFinding => &self.detection_finding,
            OcsfClass::NetworkActivity => &self.network_activity,
            OcsfClass::HttpActivity => &self.http_activity,
            OcsfClass::DnsActivity => &self.dns_activity,
        }
    }
}

/// Options of `ocsf` sinks (`ocsf:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OcsfOptions {
    /// `json` (the default) or `parquet`.
    pub format: OcsfFormat,
    /// Parquet: the AWS region of the `region=` folder (`us-east-1`).
    pub region: String,
    /// Parquet: the 12-digit AWS account id of the `accountId=` folder
    /// (the account that owns the custom source). Required for parquet.
    pub account_id: String,
    /// Parquet: the custom source name of each class.
    pub sources: SourceNames,
    /// Parquet: close a file and start the next one once it holds this
    /// many bytes (encoded, about; Security Lake likes 256 MB files); 0:
    /// no size limit. Default 128 MiB.
    pub rotate_bytes: u64,
    /// Parquet: close a file once it has been open this many seconds
    /// (checked at each delivery and every `flush_interval_ms` when idle);
    /// 0: no time limit. Default 300.
    pub rotate_interval_secs: u64,
    /// Parquet: rows per row group, and most rows held in memory per class
    /// before they are encoded: what bounds the sink's memory. Default 10000.
    pub row_group_rows: usize,
}

impl Default for OcsfOptions {
    fn default() -> Self {
        OcsfOptions {
            format: OcsfFormat::Json,
            region: "us-east-1".into(),
            account_id: String::new(),
            sources: SourceNames::default(),
            rotate_bytes: 128 << 20,
            rotate_interval_secs: 300,
            row_group_rows: 10_000,
        }
    }
}

impl OcsfOptions {
    pub fn validate(&self) -> Result<(), String> {
        if self.format == OcsfFormat::Parquet {
            if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "ocsf.account_id \"{}\": a parquet ocsf sink needs the 12-digit AWS account id",
                    self.account_id
                ));
            }
            let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok(&self.region) {
                return Err(format!("ocsf.region \"{}\" is not a region name like us-east-1", self.region));
            }
            let mut seen = std::collections::HashSet::new();
            for c in OcsfClass::ALL {
                let name = self.sources.of(c);
                if !ok(name) {
                    return Err(format!("ocsf.sources: \"{name}\" is not a source name (letters, digits, - and _)"));
                }
                if !seen.insert(name) {
                    return Err(format!("ocsf.sources: \"{name}\" names two classes (a custom source has one)"));
                }
            }
        }
        if self.row_group_rows == 0 {
            return Err("ocsf.row_group_rows must be positive".into());
        }
        Ok(())
    }
}

/// Where mapped events go.
enum Out {
    Json(RotatingFile),
    Parquet(Box<parquet::ParquetOut>),
}

/// An `ocsf` sink.
pub struct OcsfSink {
    out: Out,
    path: PathBuf,
    /// Of the records the last delivery refused, how many could not be mapped.
    unmapped: usize,
    /// Whether a refused record was logged (once per run; the count is in the metrics).
    warned: bool,
    line: Vec<u8>,
}

impl OcsfSink {
    pub fn open(path: &Path, opts: &OcsfOptions, file: &FileOptions) -> Result<OcsfSink, String> {
        let out = match opts.format {
            OcsfFormat::Json => Out::Json(RotatingFile::open(path, file)?),
            OcsfFormat::Parquet => Out::Parquet(Box::new(parquet::ParquetOut::open(path, opts, file)?)),
        };
        Ok(OcsfSink { out, path: path.to_path_buf(), unmapped: 0, warned: false, line: Vec::new() })
    }

    fn write(&mut self, m: ocsf::Mapped) -> Result<(), String> {
        match &mut self.out {
            Out::Json(f) => {
                self.line.clear();
                serde_json::to_writer(&mut self.line, &m.event).map_err(|e| e.to_string())?;
                self.line.push(b'\n');
                f.write_all(&self.line).map_err(|e| format!("{}: {e}", self.path.display()))
            }
            Out::Parquet(p) => p.push(m),
        }
    }
}

impl Sink for OcsfSink {
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError> {
        self.unmapped = 0;
        let mut delivered = 0;
        for line in records.iter() {
            let mapped = match ocsf::transform(line) {
                Ok(m) => m,
                Err(skip) => {
                    if !self.warned {
                        let why = match skip {
                            Skip::Unmapped(t) => format!("\"{t}\" records have no OCSF class here"),
                            Skip::Malformed(e) => e,
                        };
                        tracing::warn!(path = %self.path.display(), "ocsf: record not mapped, counted as unmapped: {why}");
                        self.warned = true;
                    }
                    self.unmapped += 1;
                    continue;
                }
            };
            if let Err(message) = self.write(mapped) {
                return Err(SinkError {
                    delivered,
                    reason: DropReason::WriteError,
                    refused: self.unmapped,
                    rejected: 0,
                    message,
                });
            }
            delivered += 1;
        }
        if let Out::Parquet(p) = &mut self.out {
            p.rotate_if_due().map_err(|message| SinkError {
                delivered,
                reason: DropReason::WriteError,
                refused: self.unmapped,
                rejected: 0,
                message,
            })?;
        }
        Ok(self.unmapped)
    }

    fn take_unmapped(&mut self) -> usize {
        std::mem::take(&mut self.unmapped)
    }

    fn flush(&mut self) -> Result<(), String> {
        match &mut self.out {
            Out::Json(f) => f.flush().map_err(|e| format!("{}: {e}", self.path.display())),
            // Row groups are written when full; a file is closed when due.
            Out::Parquet(p) => p.rotate_if_due(),
        }
    }

    fn idle(&mut self) -> Result<(), String> {
        match &mut self.out {
            Out::Json(_) => Ok(()),
            Out::Parquet(p) => p.rotate_if_due(),
        }
    }

    fn close(&mut self) -> Result<(), String> {
        match &mut self.out {
            Out::Json(f) => f.flush().map_err(|e| format!("{}: {e}", self.path.display())),
            Out::Parquet(p) => p.close_all(),
        }
    }

    fn reopen(&mut self) -> Result<(), String> {
        match &mut self.out {
            Out::Json(f) => f.reopen().map_err(|e| format!("{}: {e}", self.path.display())),
            // Parquet files are never moved by logrotate: nothing to reopen.
            Out::Parquet(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
