//! A `unix_stream` sink: connects to a listening Unix stream socket (a
//! log shipper's input, as Suricata's `unix_stream`) and writes one record
//! per line. Without a listener, records are dropped and counted as
//! `peer_down`; the sink tries to connect again at most once a second.
//! A write that stalls for [`PEER_TIMEOUT`] counts as the peer being down:
//! the connection is dropped (the reader sees the cut line end at EOF)
//! and a new one made.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use super::{write_framed, DropReason, ReconnectGate, Records, Sink, SinkError, PEER_TIMEOUT};

pub struct UnixStreamSink {
    path: PathBuf,
    conn: Option<UnixStream>,
    gate: ReconnectGate,
    /// The records of one delivery, back to back: one write for many;
    /// where each ends (record index, offset).
    out: Vec<u8>,
    ends: Vec<(usize, usize)>,
}

impl UnixStreamSink {
    pub fn new(path: &Path) -> UnixStreamSink {
        let mut s = UnixStreamSink {
            path: path.to_path_buf(),
            conn: None,
            gate: ReconnectGate::default(),
            out: Vec::new(),
            ends: Vec::new(),
        };
        s.connect();
        s
    }

    fn connect(&mut self) {
        if !self.gate.open() {
            return;
        }
        if let Ok(s) = UnixStream::connect(&self.path) {
            if s.set_write_timeout(Some(PEER_TIMEOUT)).is_ok() {
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
        self.ends.clear();
        for (i, line) in records.iter().enumerate() {
            self.out.extend_from_slice(line);
            self.ends.push((i, self.out.len()));
        }
        match write_framed(conn, &self.out, &self.ends, records.ranges.len()) {
            Ok(()) => Ok(0),
            // The connection goes: the reader sees any cut line end at EOF.
            Err((whole, _, e)) => {
                self.conn = None;
                Err(self.down(whole, e))
            }
        }
    }

    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }

    fn up(&self) -> bool {
        self.conn.is_some()
    }
}
