//! OCSF events as Parquet files, laid out as AWS Security Lake custom
//! sources expect:
//!
//! ```text
//! <dir>/ext/<source>/region=<region>/accountId=<account_id>/eventDay=<YYYYMMDD>/<source>-<opened>-<pid>-<n>.parquet
//! ```
//!
//! One source (and so one open file at a time) per OCSF class; `eventDay`
//! is the UTC day of the events' `time`, and a file holds one day (an event
//! of another day closes it). A file is written under `<dir>/tmp/` and
//! renamed into `ext/` only once complete (footer written), so an uploader
//! syncing `ext/` never sees half a file; partial files a crash left in
//! `tmp/` are deleted at start. Files close when `rotate_bytes` or
//! `rotate_interval_secs` is reached, and at shutdown.
//!
//! Events are buffered per class, at most `row_group_rows` of them (a
//! bounded batch, then encoded by arrow-json's decoder against the class's
//! fixed [`schema`](crate::output::ocsf::schema), strict: a field outside
//! the schema is an error, not a silently missing column), and written as
//! Snappy-compressed row groups of `row_group_rows` rows.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::Compression;
use ::parquet::file::properties::WriterProperties;
use arrow_schema::SchemaRef;
use serde_json::Value;

use super::OcsfOptions;
use crate::output::ocsf::{schema, Mapped, OcsfClass};
use crate::output::sinks::file::FileOptions;

/// Most events held before encoding (with larger row groups, the writer
/// holds the rest encoded, which is far smaller).
const MAX_PENDING: usize = 4096;

struct OpenFile {
    writer: ArrowWriter<File>,
    tmp: PathBuf,
    dest: PathBuf,
    /// Days since the epoch of its events.
    day: i64,
    opened: Instant,
}

struct ClassOut {
    class: OcsfClass,
    schema: SchemaRef,
    pending: Vec<Value>,
    file: Option<OpenFile>,
}

/// The open files of a `parquet` sink.
pub struct ParquetOut {
    dir: PathBuf,
    opts: OcsfOptions,
    mode: u32,
    classes: Vec<ClassOut>,
    props: WriterProperties,
    seq: u64,
    /// Files completed (renamed into `ext/`).
    pub files_written: u64,
}

impl ParquetOut {
    pub fn open(dir: &Path, opts: &OcsfOptions, file: &FileOptions) -> Result<ParquetOut, String> {
        let mode = file.mode_bits()?;
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        // Files a crash left unfinished have no footer: nothing can read them.
        if let Ok(entries) = std::fs::read_dir(&tmp) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().ends_with(".parquet.partial") {
                    tracing::warn!(file = %e.path().display(), "ocsf: removing an unfinished Parquet file");
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let rows = opts.row_group_rows.max(1);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(rows))
            .set_created_by(format!("mirrorids {}", env!("CARGO_PKG_VERSION")))
            .build();
        let classes = OcsfClass::ALL
            .iter()
            .map(|&class| ClassOut { class, schema: schema::of(class), pending: Vec::new(), file: None })
            .collect();
        Ok(ParquetOut { dir: dir.to_path_buf(), opts: opts.clone(), mode, classes, props, seq: 0, files_written: 0 })
    }

    /// Adds one event to its class's file.
    pub fn push(&mut self, m: Mapped) -> Result<(), String> {
        let day = m.time_ms.div_euclid(86_400_000);
        let i = m.class.index();
        if self.classes[i].file.as_ref().is_some_and(|f| f.day != day) {
            self.close(i)?;
        }
        if self.classes[i].file.is_none() {
            let f = self.create(m.class, day)?;
            self.classes[i].file = Some(f);
        }
        let c = &mut self.classes[i];
        c.pending.push(m.event);
        if c.pending.len() >= self.opts.row_group_rows.clamp(1, MAX_PENDING) {
            encode(c)?;
        }
        Ok(())
    }

    /// Closes the files that reached `rotate_bytes` or `rotate_interval_secs`.
    pub fn rotate_if_due(&mut self) -> Result<(), String> {
        let mut result = Ok(());
        for i in 0..self.classes.len() {
            let due = match &self.classes[i].file {
                Some(f) => {
                    let by_time = self.opts.rotate_interval_secs > 0
                        && f.opened.elapsed() >= Duration::from_secs(self.opts.rotate_interval_secs);
                    let size = (f.writer.bytes_written() + f.writer.in_progress_size()) as u64;
                    by_time || (self.opts.rotate_bytes > 0 && size >= self.opts.rotate_bytes)
                }
                None => false,
            };
            if due {
                // One class failing does not keep the others open.
                result = result.and(self.close(i));
            }
        }
        result
    }

    /// Completes every open file (shutdown).
    pub fn close_all(&mut self) -> Result<(), String> {
        let mut result = Ok(());
        for i in 0..self.classes.len() {
            result = result.and(self.close(i));
        }
        result
    }

    fn create(&mut self, class: OcsfClass, day: i64) -> Result<OpenFile, String> {
        let source = self.opts.sources.of(class);
        let (y, m, d) = crate::util::time::civil_from_days(day);
        let now = crate::util::Timestamp::now();
        let (cy, cm, cd) = crate::util::time::civil_from_days((now.secs() / 86_400) as i64);
        let rem = now.secs() % 86_400;
        self.seq += 1;
        let name = format!(
            "{source}-{cy:04}{cm:02}{cd:02}T{:02}{:02}{:02}Z-{}-{}.parquet",
            rem / 3600,
            (rem / 60) % 60,
            rem % 60,
            std::process::id(),
            self.seq
        );
        let dest = self
            .dir
            .join("ext")
            .join(source)
            .join(format!("region={}", self.opts.region))
            .join(format!("accountId={}", self.opts.account_id))
            .join(format!("eventDay={y:04}{m:02}{d:02}"))
            .join(&name);
        let tmp = self.dir.join("tmp").join(format!("{name}.partial"));
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(self.mode)
            .open(&tmp)
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        let schema = self.classes[class.index()].schema.clone();
        let writer = ArrowWriter::try_new(file, schema, Some(self.props.clone()))
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        Ok(OpenFile { writer, tmp, dest, day, opened: Instant::now() })
    }

    /// Encodes what is pending, writes the footer and moves the file into place.
    fn close(&mut self, i: usize) -> Result<(), String> {
        let c = &mut self.classes[i];
        let encoded = encode(c);
        let Some(f) = c.file.take() else { return encoded };
        let done = f.writer.into_inner().map_err(|e| format!("{}: {e}", f.tmp.display()));
        if let Err(e) = encoded.and(done.map(drop)) {
            let _ = std::fs::remove_file(&f.tmp);
            return Err(e);
        }
        if let Some(parent) = f.dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::rename(&f.tmp, &f.dest).map_err(|e| format!("{} -> {}: {e}", f.tmp.display(), f.dest.display()))?;
        self.files_written += 1;
        Ok(())
    }
}

/// Turns the pending events of a class into a record batch of its schema
/// and hands it to the open file's writer.
fn encode(c: &mut ClassOut) -> Result<(), String> {
    if c.pending.is_empty() {
        return Ok(());
    }
    let rows = std::mem::take(&mut c.pending);
    let Some(f) = c.file.as_mut() else {
        return Err(format!("ocsf: {} events with no open file", rows.len()));
    };
    let ctx = format!("{}: {} ({} events)", f.tmp.display(), c.class.name(), rows.len());
    let what = |e: &dyn std::fmt::Display| format!("{ctx}: {e}");
    let mut decoder = arrow_json::ReaderBuilder::new(c.schema.clone())
        .with_strict_mode(true)
        .build_decoder()
        .map_err(|e| what(&e))?;
    decoder.serialize(&rows).map_err(|e| what(&e))?;
    if let Some(batch) = decoder.flush().map_err(|e| what(&e))? {
        f.writer.write(&batch).map_err(|e| what(&e))?;
    }
    Ok(())
}

impl Drop for ParquetOut {
    fn drop(&mut self) {
        if let Err(e) = self.close_all() {
            tracing::error!("ocsf: closing Parquet files: {e}");
        }
    }
}
