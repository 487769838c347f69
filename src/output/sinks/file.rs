//! EVE files: created with restrictive permissions, rotated by size and by
//! time (numbered like logrotate: `eve.json.1` is the newest rotated
//! file), reopened on SIGHUP for an external logrotate. Used by the main
//! EVE file and by `file` sinks.
//!
//! Rotation happens only between records, so every file holds whole
//! lines: writers hand [`RotatingFile`] whole lines (the output stage
//! writes chunks of whole records).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{DropReason, Records, Sink, SinkError};

/// Rotation and permissions of an EVE file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileOptions {
    /// Start a new file once this many bytes are written; 0: never.
    pub rotate_bytes: u64,
    /// Start a new file after this many seconds; 0: never.
    pub rotate_interval_secs: u64,
    /// Rotated files kept (`.1` newest to `.N`); older ones are deleted.
    pub rotate_keep: usize,
    /// Permissions of a created file, octal (the umask still applies).
    pub mode: String,
    /// Append to an existing file instead of truncating it.
    pub append: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions { rotate_bytes: 0, rotate_interval_secs: 0, rotate_keep: 10, mode: "0640".into(), append: true }
    }
}

impl FileOptions {
    pub fn mode_bits(&self) -> Result<u32, String> {
        u32::from_str_radix(self.mode.trim_start_matches("0o"), 8)
            .ok()
            .filter(|m| *m <= 0o777)
            .ok_or_else(|| format!("mode \"{}\" is not an octal permission like 0640", self.mode))
    }

    pub fn validate(&self) -> Result<(), String> {
        self.mode_bits().map(drop)
    }
}

/// A file that starts over under the same name when it is big or old
/// enough, after moving the old one aside.
pub struct RotatingFile {
    path: PathBuf,
    opts: FileOptions,
    mode: u32,
    out: BufWriter<File>,
    written: u64,
    opened: Instant,
    /// Whether the last byte written ended a line (rotation waits for it).
    at_line_start: bool,
    pub rotations: u64,
}

impl RotatingFile {
    pub fn open(path: &Path, opts: &FileOptions) -> Result<RotatingFile, String> {
        let mode = opts.mode_bits()?;
        let file = open_file(path, opts.append, mode)?;
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(RotatingFile {
            path: path.to_path_buf(),
            opts: opts.clone(),
            mode,
            out: BufWriter::with_capacity(1 << 16, file),
            written,
            opened: Instant::now(),
            at_line_start: true,
            rotations: 0,
        })
    }

    /// Opens the path afresh (after logrotate moved the file away).
    pub fn reopen(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        let file = open_file(&self.path, true, self.mode).map_err(std::io::Error::other)?;
        self.written = file.metadata().map(|m| m.len()).unwrap_or(0);
        self.out = BufWriter::with_capacity(1 << 16, file);
        self.opened = Instant::now();
        Ok(())
    }

    fn due(&self) -> bool {
        let by_size = self.opts.rotate_bytes > 0 && self.written >= self.opts.rotate_bytes;
        let by_time = self.opts.rotate_interval_secs > 0
            && self.opened.elapsed() >= Duration::from_secs(self.opts.rotate_interval_secs);
        by_size || by_time
    }

    /// Shifts `.1`..`.N-1` up by one (dropping `.N`), moves the current
    /// file to `.1` and starts an empty one.
    fn rotate(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        let keep = self.opts.rotate_keep;
        let numbered = |i: usize| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{i}"));
            PathBuf::from(p)
        };
        if keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            let _ = std::fs::remove_file(numbered(keep));
            for i in (1..keep).rev() {
                let from = numbered(i);
                if from.exists() {
                    std::fs::rename(&from, numbered(i + 1))?;
                }
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        let file = open_file(&self.path, false, self.mode).map_err(std::io::Error::other)?;
        self.out = BufWriter::with_capacity(1 << 16, file);
        self.written = 0;
        self.opened = Instant::now();
        self.rotations += 1;
        Ok(())
    }
}

fn open_file(path: &Path, append: bool, mode: u32) -> Result<File, String> {
    OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .mode(mode)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.at_line_start && !buf.is_empty() && self.due() {
            self.rotate()?;
        }
        let n = self.out.write(buf)?;
        if n > 0 {
            self.written += n as u64;
            self.at_line_start = buf[n - 1] == b'\n';
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A `file` sink.
pub struct FileSink {
    file: RotatingFile,
}

impl FileSink {
    pub fn open(path: &Path, opts: &FileOptions) -> Result<FileSink, String> {
        Ok(FileSink { file: RotatingFile::open(path, opts)? })
    }
}

impl Sink for FileSink {
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError> {
        for (i, line) in records.iter().enumerate() {
            if let Err(e) = self.file.write_all(line) {
                return Err(SinkError {
                    delivered: i,
                    reason: DropReason::WriteError,
                    refused: 0,
                    rejected: 0,
                    message: format!("{}: {e}", self.file.path.display()),
                });
            }
        }
        Ok(0)
    }

    fn flush(&mut self) -> Result<(), String> {
        self.file.flush().map_err(|e| format!("{}: {e}", self.file.path.display()))
    }

    fn reopen(&mut self) -> Result<(), String> {
        self.file.reopen().map_err(|e| format!("{}: {e}", self.file.path.display()))
    }
}
