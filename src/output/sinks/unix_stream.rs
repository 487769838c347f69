//! A `unix_stream` sink: connects to a listening Unix stream socket (a
//! log shipper's input, as Suricata's `unix_stream`) and writes one record
//! per line. Without a listener, records are dropped and counted as
//! `peer_down`; the sink tries to connect again at most once a second.
//! A write that stalls for [`WRITE_TIMEOUT`] counts as the peer being down:
//! the connection is dropped (the reader sees the cut line end at EOF)
//! and a new one made.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{DropReason, Records, Sink, SinkError};

const RECONNECT_EVERY: Duration = Duration::from_secs(1);
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct UnixStreamSink {
    path: PathBuf,
    conn: Option<std::io::BufWriter<UnixStream>>,
    last_try: Option<Instant>,
}

impl UnixStreamSink {
    pub fn new(path: &Path) -> UnixStreamSink {
        let mut s = UnixStreamSink { path: path.to_path_buf(), conn: None, last_try: None };
        s.connect();
        s
    }

    fn connect(&mut self) {
        if self.last_try.is_some_and(|t| t.elapsed() < RECONNECT_EVERY) {
            return;
        }
        self.last_try = Some(Instant::now());
        if let Ok(s) = UnixStream::connect(&self.path) {
            if s.set_write_timeout(Some(WRITE_TIMEOUT)).is_ok() {
                self.conn = Some(std::io::BufWriter::with_capacity(1 << 16, s));
            }
        }
    }

    fn down(&self, delivered: usize, e: impl std::fmt::Display) -> SinkError {
        SinkError {
            delivered,
            reason: DropReason::PeerDown,
            refused: 0,
            rejected: 0,
            message: format!("{}: {e}", self.path.display()),
        }
    }
}

impl Sink for UnixStreamSink {
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError> {
        if self.conn.is_none() {
            self.connect();
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(self.down(0, "no listener"));
        };
        for (i, line) in records.iter().enumerate() {
            if let Err(e) = conn.write_all(line) {
                self.conn = None;
                return Err(self.down(i, e));
            }
        }
        Ok(0)
    }

    fn flush(&mut self) -> Result<(), String> {
        if let Some(conn) = self.conn.as_mut() {
            if let Err(e) = conn.flush() {
                self.conn = None;
                return Err(format!("{}: {e}", self.path.display()));
            }
        }
        Ok(())
    }

    fn up(&self) -> bool {
        self.conn.is_some()
    }
}
