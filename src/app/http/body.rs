//! Message bodies after de-chunking: which content codings to undo (libhtp's
//! reading of Content-Encoding), and [`BodySink`], which decodes and stores
//! a body in its transaction within the configured limits.

use super::decompress::{Chain, Codec};
use super::util::{contains_nocase, eq_nocase_nozero};
use super::HttpStats;

/// The decoders for a Content-Encoding value, in decoding order (the last
/// listed coding is undone first), like libhtp:
/// - a value that is exactly one known coding is taken as such;
/// - otherwise each item (split on ',' and ' ') counts as a layer, up to
///   `layer_limit`: items containing "gzip" or "deflate" (any case), or
///   exactly "lzma"; anything else ("identity", junk) is skipped.
///
/// `layer_limit == 0` disables decompression.
pub(crate) fn content_codecs(value: &[u8], layer_limit: usize) -> Vec<Codec> {
    if layer_limit == 0 {
        return Vec::new();
    }
    if eq_nocase_nozero(value, b"gzip") || eq_nocase_nozero(value, b"x-gzip") {
        return vec![Codec::Gzip];
    }
    if eq_nocase_nozero(value, b"deflate") || eq_nocase_nozero(value, b"x-deflate") {
        return vec![Codec::Deflate];
    }
    if eq_nocase_nozero(value, b"lzma") {
        return vec![Codec::Lzma];
    }
    if eq_nocase_nozero(value, b"inflate") || eq_nocase_nozero(value, b"none") {
        return Vec::new();
    }
    let mut codecs = Vec::new();
    for (layers, item) in value.split(|&c| c == b',' || c == b' ').filter(|i| !i.is_empty()).enumerate() {
        if layers >= layer_limit {
            break;
        }
        if contains_nocase(item, b"gzip") {
            codecs.push(Codec::Gzip);
        } else if contains_nocase(item, b"deflate") {
            codecs.push(Codec::Deflate);
        } else if item == b"lzma" {
            codecs.push(Codec::Lzma);
        }
    }
    codecs.reverse();
    codecs
}

/// Where one message's body goes: through the decoders (if any) into the
/// transaction's body buffer, up to `limit` bytes (0 = unlimited).
pub(crate) struct BodySink {
    chain: Option<Chain>,
    limit: usize,
    /// The stored body reached the limit: nothing more is decoded.
    full: bool,
    bomb_counted: bool,
    fail_counted: bool,
}

impl BodySink {
    pub(crate) fn new(codecs: &[Codec], limit: usize, decompressed_limit: usize) -> BodySink {
        let chain = (!codecs.is_empty()).then(|| Chain::new(codecs, decompressed_limit));
        BodySink { chain, limit, full: false, bomb_counted: false, fail_counted: false }
    }

    /// A sink that stores bytes as they are (no decoding).
    pub(crate) fn identity(limit: usize) -> BodySink {
        BodySink::new(&[], limit, 0)
    }

    /// Adds body bytes (after de-chunking).
    pub(crate) fn push(&mut self, data: &[u8], body: &mut Vec<u8>, truncated: &mut bool, stats: &mut HttpStats) {
        if data.is_empty() {
            return;
        }
        if self.full {
            stats.body_bytes_truncated += data.len() as u64;
            return;
        }
        let limit = self.limit;
        let mut dropped = 0u64;
        let mut store = |d: &[u8]| store(d, body, limit, &mut dropped);
        match &mut self.chain {
            Some(chain) => chain.push(data, &mut store),
            None => {
                store(data);
            }
        }
        self.account(dropped, truncated, stats);
    }

    /// Adds bytes that bypass the decoders (libhtp's "response line treated
    /// as body" and data after a complete response).
    pub(crate) fn push_raw(data: &[u8], body: &mut Vec<u8>, limit: usize, truncated: &mut bool, stats: &mut HttpStats) {
        let mut dropped = 0u64;
        store(data, body, limit, &mut dropped);
        if dropped > 0 {
            *truncated = true;
            stats.body_bytes_truncated += dropped;
        }
    }

    /// Bytes are missing from the body: compressed data cannot be decoded
    /// past a hole (libhtp ends decompression on a gap); plain data goes on.
    pub(crate) fn gap(&mut self, body: &mut Vec<u8>, truncated: &mut bool, stats: &mut HttpStats) {
        *truncated = true;
        if self.chain.is_some() {
            self.finish(body, truncated, stats);
        }
    }

    /// End of body: flushes the decoders.
    pub(crate) fn finish(&mut self, body: &mut Vec<u8>, truncated: &mut bool, stats: &mut HttpStats) {
        let limit = self.limit;
        let mut dropped = 0u64;
        if let Some(chain) = &mut self.chain {
            if !self.full {
                chain.finish(&mut |d: &[u8]| store(d, body, limit, &mut dropped));
            }
        }
        self.account(dropped, truncated, stats);
        self.chain = None;
        self.full = true;
    }

    fn account(&mut self, dropped: u64, truncated: &mut bool, stats: &mut HttpStats) {
        if dropped > 0 {
            *truncated = true;
            self.full = true;
            stats.body_bytes_truncated += dropped;
        }
        if let Some(chain) = &self.chain {
            if chain.bomb && !self.bomb_counted {
                self.bomb_counted = true;
                *truncated = true;
                stats.decompression_bombs += 1;
            }
            if chain.failed && !self.fail_counted {
                self.fail_counted = true;
                stats.decompression_failures += 1;
            }
            if chain.stopped() {
                self.full = true;
            }
        }
    }
}

/// Appends to the body within the limit; false (stop) once it is full.
fn store(d: &[u8], body: &mut Vec<u8>, limit: usize, dropped: &mut u64) -> bool {
    let room = if limit == 0 { d.len() } else { limit.saturating_sub(body.len()) };
    let n = room.min(d.len());
    body.extend_from_slice(d.get(..n).unwrap_or(&[]));
    if n < d.len() {
        *dropped += (d.len() - n) as u64;
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs_like_libhtp() {
        use Codec::*;
        assert_eq!(content_codecs(b"gzip", 2), vec![Gzip]);
        assert_eq!(content_codecs(b"X-GZip", 2), vec![Gzip]);
        assert_eq!(content_codecs(b"deFLaTe", 2), vec![Deflate]);
        assert_eq!(content_codecs(b"gz\0ip", 2), vec![Gzip]);
        assert_eq!(content_codecs(b"identity", 2), vec![]);
        assert_eq!(content_codecs(b"gzip, deflate", 2), vec![Deflate, Gzip]);
        assert_eq!(content_codecs(b"gzip, gzip, gzip", 2), vec![Gzip, Gzip]);
        assert_eq!(content_codecs(b"identity, deflate", 2), vec![Deflate]);
        assert_eq!(content_codecs(b"x_gzip", 2), vec![Gzip]);
        assert_eq!(content_codecs(b"deflate,", 2), vec![Deflate]);
        assert_eq!(content_codecs(b"foo", 2), vec![]);
        assert_eq!(content_codecs(b"gzip", 0), vec![]);
    }

    #[test]
    fn sink_limits() {
        let mut stats = HttpStats::default();
        let mut body = Vec::new();
        let mut trunc = false;
        let mut s = BodySink::identity(10);
        s.push(b"0123456", &mut body, &mut trunc, &mut stats);
        assert!(!trunc);
        s.push(b"789abc", &mut body, &mut trunc, &mut stats);
        s.push(b"def", &mut body, &mut trunc, &mut stats);
        assert_eq!(body, b"0123456789");
        assert!(trunc);
        assert_eq!(stats.body_bytes_truncated, 6);
    }
}
