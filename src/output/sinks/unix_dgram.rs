//! A `unix_dgram` sink: one datagram per record (newline included) to a
//! Unix datagram socket, as Suricata's `unix_dgram`. Datagrams keep
//! records whole by themselves; one larger than the socket takes is
//! refused and counted as `too_large`, the others still go. With no
//! reader bound to the path, records count as `peer_down`.

use super::{DropReason, Records, Sink, SinkError, PEER_TIMEOUT};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

pub struct UnixDgramSink {
    path: PathBuf,
    sock: UnixDatagram,
    up: bool,
}

impl UnixDgramSink {
    pub fn new(path: &Path) -> Result<UnixDgramSink, String> {
        let sock = UnixDatagram::unbound().map_err(|e| format!("{}: creating a socket: {e}", path.display()))?;
        sock.set_write_timeout(Some(PEER_TIMEOUT)).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(UnixDgramSink { path: path.to_path_buf(), sock, up: true })
    }
}

impl Sink for UnixDgramSink {
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError> {
        let mut refused = 0;
        for (i, line) in records.iter().enumerate() {
            match self.sock.send_to(line, &self.path) {
                Ok(_) => self.up = true,
                Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => refused += 1,
                Err(e) => {
                    self.up = false;
                    return Err(SinkError {
                        delivered: i - refused,
                        reason: DropReason::PeerDown,
                        refused,
                        rejected: 0,
                        message: format!("{}: {e}", self.path.display()),
                    });
                }
            }
        }
        Ok(refused)
    }

    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }

    fn up(&self) -> bool {
        self.up
    }
}
