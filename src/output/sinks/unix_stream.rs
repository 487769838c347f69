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
    conn: Option<UnixStream>,
    last_try: Option<Instant>,
    /// The records of one delivery, back to back: one write for many.
    out: Vec<u8>,
}

impl UnixStreamSink {
    pub fn new(path: &Path) -> UnixStreamSink {
        let mut s = UnixStreamSink { path: path.to_path_buf(), conn: None, last_try: None, out: Vec::new() };
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
                self.conn = Some(s);
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
    /// Counts a record delivered once all its bytes are in the socket (no
    /// user-space buffer that a dead peer could take down with it).
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError> {
        if self.conn.is_none() {
            self.connect();
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(self.down(0, "no listener"));
        };
        self.out.clear();
        for line in records.iter() {
            self.out.extend_from_slice(line);
        }
        let mut written = 0;
        while written < self.out.len() {
            match conn.write(&self.out[written..]) {
                Ok(0) => return Err(self.cut(records, written, "the peer closed the connection")),
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.cut(records, written, e)),
            }
        }
        Ok(0)
    }

    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }

    fn up(&self) -> bool {
        self.conn.is_some()
    }
}

impl UnixStreamSink {
    /// A delivery that stopped after `written` bytes: the records wholly
    /// sent count as delivered; the connection is dropped (the reader sees
    /// any cut line end at EOF).
    fn cut(&mut self, records: &Records<'_>, written: usize, e: impl std::fmt::Display) -> SinkError {
        self.conn = None;
        let mut whole = 0;
        let mut end = 0;
        for line in records.iter() {
            end += line.len();
            if end > written {
                break;
            }
            whole += 1;
        }
        self.down(whole, e)
    }
}
