//! DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message is preceded by
//! its length as a 16-bit big-endian number.
//!
//! Complete messages inside one piece of stream data are parsed in place;
//! only a message split across pieces is copied, into a per-direction
//! buffer that never holds more than one message (2 + 65535 bytes).
//!
//! Gaps (bytes the stream engine never saw) are handled so that framing
//! is never guessed when it can be known:
//! - a gap inside a message whose length is known drops that message and
//!   skips exactly the rest of it, so the next message is found;
//! - a gap that swallows a length prefix (or runs past the current
//!   message) loses the framing: data is then discarded until a piece of
//!   stream data starts with something [`probe`] accepts, as Suricata does.

use super::message::parse_message_with_stats;
use super::{probe, DnsConfig, DnsMessage, DnsStats};

/// Buffer capacity kept between messages; a larger one (left by a big
/// message) is released so idle connections stay small.
const KEEP_CAPACITY: usize = 4096;

/// One direction's framing state.
#[derive(Debug, Clone, Default)]
struct Direction {
    /// Start of a message split across pieces, prefix included.
    buf: Vec<u8>,
    /// Bytes still to discard: the rest of a message cut by a gap.
    skip: u64,
    /// Framing lost: wait for a piece that starts like a DNS message.
    lost: bool,
}

impl Direction {
    /// Total length (prefix included) of the buffered message, once its
    /// prefix is complete.
    fn expected(&self) -> Option<usize> {
        match self.buf.as_slice() {
            [hi, lo, ..] => Some(2 + usize::from(u16::from_be_bytes([*hi, *lo]))),
            _ => None,
        }
    }

    fn release(&mut self) {
        self.buf.clear();
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        }
    }
}

/// DNS over TCP: one per connection, both directions.
#[derive(Debug, Clone, Default)]
pub struct DnsTcp {
    dirs: [Direction; 2],
    stats: DnsStats,
}

impl DnsTcp {
    pub fn new() -> DnsTcp {
        DnsTcp::default()
    }

    /// In-order stream bytes of one direction (0 = client->server,
    /// 1 = server->client), any segmentation. Appends each complete message
    /// parsed; messages that are not DNS at all (shorter than a header) are
    /// counted as malformed and skipped, the framing carrying on. Other
    /// directions are ignored.
    pub fn parse(&mut self, cfg: &DnsConfig, dir: usize, data: &[u8], out: &mut Vec<DnsMessage>) {
        let Some(d) = self.dirs.get_mut(dir) else { return };
        let stats = &mut self.stats;
        let mut data = data;

        if d.skip > 0 {
            let n = usize::try_from(d.skip).unwrap_or(usize::MAX).min(data.len());
            d.skip -= n as u64;
            data = data.get(n..).unwrap_or_default();
            if data.is_empty() {
                return;
            }
        }
        if d.lost {
            // Only the start of a piece is tried: segments usually start
            // at a message (one write per message), and scanning every
            // offset of garbage would resync on noise.
            if !probe(data, true) {
                stats.tcp_resync_bytes += data.len() as u64;
                return;
            }
            d.lost = false;
            stats.tcp_resyncs += 1;
        }

        // Finish a message begun in an earlier piece.
        if !d.buf.is_empty() {
            if d.buf.len() < 2 {
                let Some((&b, rest)) = data.split_first() else { return };
                d.buf.push(b);
                data = rest;
            }
            let need = d.expected().unwrap_or(2);
            let missing = need.saturating_sub(d.buf.len());
            let take = missing.min(data.len());
            d.buf.reserve_exact(missing);
            d.buf.extend_from_slice(data.get(..take).unwrap_or_default());
            data = data.get(take..).unwrap_or_default();
            if d.buf.len() < need {
                return;
            }
            emit(cfg, d.buf.get(2..).unwrap_or_default(), stats, out);
            d.release();
        }

        // Whole messages in this piece: parsed where they lie.
        while let [hi, lo, rest @ ..] = data {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            let Some(msg) = rest.get(..len) else { break };
            emit(cfg, msg, stats, out);
            data = rest.get(len..).unwrap_or_default();
        }

        // A message continuing in the next piece.
        if !data.is_empty() {
            d.buf.extend_from_slice(data);
        }
    }

    /// `len` bytes of direction `dir` were lost. The partial message, if
    /// any, is dropped; see the module comment for how framing resumes.
    pub fn gap(&mut self, dir: usize, len: u64) {
        let Some(d) = self.dirs.get_mut(dir) else { return };
        if len == 0 {
            return;
        }
        self.stats.tcp_gaps += 1;
        if d.lost {
            return;
        }
        if d.skip > 0 {
            // Still inside a message cut by an earlier gap.
            if len <= d.skip {
                d.skip -= len;
            } else {
                d.skip = 0;
                d.lost = true;
            }
            return;
        }
        match d.expected() {
            Some(need) => {
                let missing = need.saturating_sub(d.buf.len()) as u64;
                self.stats.tcp_gap_dropped += 1;
                if len <= missing {
                    d.skip = missing - len;
                } else {
                    d.lost = true;
                }
            }
            None => {
                // At a message boundary or inside a prefix: the gap hides
                // the next message's length.
                if !d.buf.is_empty() {
                    self.stats.tcp_gap_dropped += 1;
                }
                d.lost = true;
            }
        }
        d.release();
    }

    pub fn stats(&self) -> &DnsStats {
        &self.stats
    }

    #[cfg(test)]
    pub(super) fn buffer_capacity(&self, dir: usize) -> usize {
        self.dirs.get(dir).map_or(0, |d| d.buf.capacity())
    }
}

/// Parses one framed message. A zero length is skipped as Suricata does
/// (a keep-alive of sorts, nothing to parse).
fn emit(cfg: &DnsConfig, msg: &[u8], stats: &mut DnsStats, out: &mut Vec<DnsMessage>) {
    if msg.is_empty() {
        stats.tcp_empty_messages += 1;
        return;
    }
    if let Ok(m) = parse_message_with_stats(cfg, msg, stats) {
        out.push(m);
    }
}
