//! An FTP data connection (`ftp-data`), recognised from the transfer its
//! control connection announced (see `expect.rs`): one transaction, the
//! transfer, and for RETR/STOR/APPE/STOU the file it carries, followed as
//! Suricata follows it: opened with the first data in the transfer's
//! direction, closed when that direction ends (truncated when the flow
//! ends first, or after a gap). Data in the other direction is ignored.

use super::expect::Announcement;
use crate::app::files::{File, FileStats, FileTracking, FilesConfig};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FtpDataStats {
    /// Data connections recognised.
    pub connections: u64,
    /// Bytes that went the other way than the transfer (not parsed).
    pub wrong_direction_bytes: u64,
    pub files: FileStats,
}

#[derive(Debug)]
pub struct FtpDataConn {
    /// What the control connection announced (command, file, direction,
    /// its flow id).
    pub transfer: Announcement,
    /// The file, once its first byte came (file-carrying commands only).
    pub file: Option<File>,
    /// The transfer's direction ended: the transaction is complete.
    pub ended: bool,
    /// Its `ftp_data` record was written.
    pub logged: bool,
    stats: FtpDataStats,
}

impl FtpDataConn {
    pub fn new(transfer: Announcement) -> FtpDataConn {
        let stats = FtpDataStats { connections: 1, ..FtpDataStats::default() };
        FtpDataConn { transfer, file: None, ended: false, logged: false, stats }
    }

    pub fn stats(&self) -> &FtpDataStats {
        &self.stats
    }

    /// The direction the data goes (0 = the data connection's client to
    /// its server).
    pub fn data_dir(&self) -> usize {
        usize::from(!self.transfer.data_to_server)
    }

    /// In-order bytes of direction `dir`.
    pub fn parse(&mut self, cfg: &FilesConfig, track: &FileTracking, dir: usize, data: &[u8]) {
        if dir != self.data_dir() {
            self.stats.wrong_direction_bytes += data.len() as u64;
            return;
        }
        if data.is_empty() || self.ended || !track.enabled {
            return;
        }
        let stats = &mut self.stats.files;
        match (&mut self.file, &self.transfer.file_name) {
            (Some(f), _) => f.append(data, stats),
            (None, Some(name)) => {
                // The file store is not wired to data connections: the
                // file is tracked (sized, hashed) but never kept.
                let track = FileTracking { store: None, ..track.clone() };
                let mut f = File::open(name, cfg, &track, stats);
                f.append(data, stats);
                self.file = Some(f);
            }
            (None, None) => {}
        }
    }

    /// `len` bytes of direction `dir` are missing.
    pub fn gap(&mut self, dir: usize, len: u64) {
        if dir == self.data_dir() {
            if let Some(f) = &mut self.file {
                f.gap(len);
            }
        }
    }

    /// Direction `dir` ended: the transfer's direction ending completes it.
    pub fn close(&mut self, track: &FileTracking, dir: usize) {
        if dir != self.data_dir() || self.ended {
            return;
        }
        self.ended = true;
        if let Some(f) = &mut self.file {
            f.close(false, track, &mut self.stats.files);
        }
    }

    /// The flow ends: a file still open is truncated.
    pub fn finish(&mut self, track: &FileTracking) {
        if let Some(f) = &mut self.file {
            f.close(true, track, &mut self.stats.files);
        }
        self.ended = true;
    }
}
