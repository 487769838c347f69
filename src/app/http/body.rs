//! Message bodies after de-chunking: which content codings to undo (libhtp's
//! reading of Content-Encoding), and [`BodySink`], which decodes and stores
//! a body in its transaction within the configured limits.

use super::decompress::{Chain, Codec};
use super::multipart::{Multipart, Sink as MpSink};
use super::util::{contains_nocase, eq_nocase_nozero};
use super::HttpStats;
use crate::app::files::{File, FileStats, FileTracking, FilesConfig};

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

/// What a message's decoded body feeds besides its inspection buffer.
pub(crate) enum FileFeed {
    None,
    /// The whole body is one file, opened at its first byte (or gap).
    Whole {
        name: Vec<u8>,
        opened: bool,
    },
    /// Each multipart part with a file name is a file.
    Multipart(Box<Multipart>),
}

impl FileFeed {
    fn active(&self) -> bool {
        !matches!(self, FileFeed::None)
    }

    /// The body went past the limit files are tracked to: the open file
    /// ends truncated and no more are opened.
    fn limit_reached(&mut self, files: &mut [File], env: &FileEnv<'_>, stats: &mut FileStats) {
        match std::mem::replace(self, FileFeed::None) {
            FileFeed::Whole { opened: true, .. } => {
                if let Some(f) = files.last_mut() {
                    f.close(true, env.track, stats);
                }
            }
            FileFeed::Multipart(mut mp) => mp.truncate(files, env.track, stats),
            FileFeed::Whole { opened: false, .. } | FileFeed::None => {}
        }
        stats.cut_at_body_limit += 1;
    }
}

/// A message's body as the sink fills it: the inspection buffer (bounded)
/// and the files carried.
pub(crate) struct Target<'a> {
    pub(crate) body: &'a mut Vec<u8>,
    pub(crate) truncated: &'a mut bool,
    pub(crate) files: &'a mut Vec<File>,
}

/// File settings and counters the sink needs.
pub(crate) struct FileEnv<'a> {
    pub(crate) cfg: &'a FilesConfig,
    pub(crate) track: &'a FileTracking,
}

fn feed_data(feed: &mut FileFeed, d: &[u8], files: &mut Vec<File>, env: &FileEnv<'_>, stats: &mut FileStats) {
    match feed {
        FileFeed::None => {}
        FileFeed::Whole { name, opened } => {
            if d.is_empty() {
                return;
            }
            if !*opened {
                *opened = true;
                if files.len() >= env.cfg.max_per_tx {
                    stats.over_limit += 1;
                    *feed = FileFeed::None;
                    return;
                }
                files.push(File::open(name, env.cfg, env.track, stats));
            }
            if let Some(f) = files.last_mut() {
                f.append(d, stats);
            }
        }
        FileFeed::Multipart(mp) => {
            mp.push(d, &mut MpSink { files, cfg: env.cfg, track: env.track, stats });
        }
    }
}

/// Gives the files their share of decoded bytes `d`. Files are tracked as
/// far as the body limit (`limit`, 0 = unlimited), as Suricata tracks them
/// up to its request/response-body-limit: the bytes up to the limit go in,
/// and the next bytes close the open file `TRUNCATED` (a body that ends
/// right after the cut ends its file truncated too; Suricata would call it
/// `CLOSED`, though bytes are missing). A file a
/// `filestore` rule has matched is followed to its end (Suricata's
/// file-store stream-depth, unlimited by default).
fn feed_files(
    feed: &mut FileFeed,
    d: &[u8],
    fed: &mut Fed,
    limit: usize,
    files: &mut Vec<File>,
    env: &FileEnv<'_>,
    stats: &mut FileStats,
) {
    if !feed.active() || d.is_empty() {
        return;
    }
    let stored = files.last().is_some_and(|f| f.is_open() && !f.store_sids.is_empty());
    let n = if limit == 0 || stored {
        d.len()
    } else {
        let room = (limit as u64).saturating_sub(fed.bytes);
        if room == 0 {
            feed.limit_reached(files, env, stats);
            return;
        }
        d.len().min(usize::try_from(room).unwrap_or(usize::MAX))
    };
    feed_data(feed, d.get(..n).unwrap_or(d), files, env, stats);
    fed.bytes += n as u64;
    fed.cut |= n < d.len();
}

/// What the files of a body were given.
#[derive(Default)]
struct Fed {
    bytes: u64,
    /// Bytes past the limit were held back.
    cut: bool,
}

/// Where one message's body goes: through the decoders (if any) into the
/// transaction's body buffer, up to `limit` bytes (0 = unlimited), and to
/// the files it carries, as far as the same limit (see [`feed_files`]).
pub(crate) struct BodySink {
    chain: Option<Chain>,
    limit: usize,
    /// Decoded bytes given to files so far.
    fed: Fed,
    /// The stored body reached the limit: nothing more is decoded, unless
    /// a file still wants the bytes.
    full: bool,
    bomb_counted: bool,
    fail_counted: bool,
    feed: FileFeed,
    /// Decoding ended (end of body, or a gap in compressed data): later
    /// bytes go nowhere.
    ended: bool,
}

impl BodySink {
    pub(crate) fn new(codecs: &[Codec], limit: usize, decompressed_limit: usize, feed: FileFeed) -> BodySink {
        let chain = (!codecs.is_empty()).then(|| Chain::new(codecs, decompressed_limit));
        BodySink {
            chain,
            limit,
            fed: Fed::default(),
            full: false,
            bomb_counted: false,
            fail_counted: false,
            feed,
            ended: false,
        }
    }

    /// A sink that stores bytes as they are (no decoding).
    pub(crate) fn identity(limit: usize, feed: FileFeed) -> BodySink {
        BodySink::new(&[], limit, 0, feed)
    }

    /// Adds body bytes (after de-chunking).
    pub(crate) fn push(&mut self, data: &[u8], t: Target<'_>, env: &FileEnv<'_>, stats: &mut HttpStats) {
        if data.is_empty() {
            return;
        }
        if self.ended || (self.full && !self.feed.active()) {
            stats.body_bytes_truncated += data.len() as u64;
            return;
        }
        let limit = self.limit;
        let mut dropped = 0u64;
        let BodySink { chain, feed, full, fed, .. } = self;
        let Target { body, truncated, files } = t;
        let fstats = &mut stats.files;
        let mut store = |d: &[u8]| {
            let room = if *full {
                dropped += d.len() as u64;
                false
            } else {
                store(d, body, limit, &mut dropped)
            };
            feed_files(feed, d, fed, limit, files, env, fstats);
            room || feed.active()
        };
        match chain {
            Some(chain) => chain.push(data, &mut store),
            None => {
                store(data);
            }
        }
        self.account(dropped, truncated, stats);
    }

    /// Adds bytes that bypass the decoders and any file (data after a
    /// complete response, which libhtp appends to its body).
    pub(crate) fn push_raw(data: &[u8], body: &mut Vec<u8>, limit: usize, truncated: &mut bool, stats: &mut HttpStats) {
        let mut dropped = 0u64;
        store(data, body, limit, &mut dropped);
        if dropped > 0 {
            *truncated = true;
            stats.body_bytes_truncated += dropped;
        }
    }

    /// `len` bytes are missing from the body: compressed data cannot be
    /// decoded past a hole (libhtp ends decompression on a gap); plain data
    /// goes on. `framed` when the body has a Content-Length: only then does
    /// libhtp tell the file about the gap (it counts in the file's size and
    /// marks it); in chunked and read-until-close bodies the file just goes
    /// on with the bytes after the hole, as in Suricata.
    pub(crate) fn gap(&mut self, len: u64, framed: bool, t: Target<'_>, env: &FileEnv<'_>, stats: &mut HttpStats) {
        *t.truncated = true;
        let decoded_len = if self.chain.is_some() { 0 } else { len };
        match &mut self.feed {
            FileFeed::Whole { name, opened } if framed => {
                if !*opened && t.files.len() < env.cfg.max_per_tx {
                    *opened = true;
                    t.files.push(File::open(name, env.cfg, env.track, &mut stats.files));
                }
                if *opened {
                    if let Some(f) = t.files.last_mut() {
                        f.gap(decoded_len);
                    }
                }
            }
            FileFeed::Multipart(mp) => {
                let mut sink = MpSink { files: &mut *t.files, cfg: env.cfg, track: env.track, stats: &mut stats.files };
                mp.gap(decoded_len, &mut sink);
            }
            _ => {}
        }
        if self.chain.is_some() {
            self.finish_decoding(Target { body: t.body, truncated: t.truncated, files: t.files }, env, stats);
        }
    }

    /// End of body: flushes the decoders and ends the files (`cut` when
    /// the message ended early: they are truncated).
    pub(crate) fn finish(&mut self, cut: bool, t: Target<'_>, env: &FileEnv<'_>, stats: &mut HttpStats) {
        let Target { body, truncated, files } = t;
        self.finish_decoding(Target { body, truncated, files: &mut *files }, env, stats);
        let fstats = &mut stats.files;
        let cut = cut || self.fed.cut;
        match std::mem::replace(&mut self.feed, FileFeed::None) {
            FileFeed::Whole { opened: true, .. } => {
                if let Some(f) = files.last_mut() {
                    f.close(cut, env.track, fstats);
                }
            }
            FileFeed::Multipart(mut mp) => {
                mp.finish(&mut MpSink { files, cfg: env.cfg, track: env.track, stats: fstats });
            }
            _ => {}
        }
    }

    fn finish_decoding(&mut self, t: Target<'_>, env: &FileEnv<'_>, stats: &mut HttpStats) {
        let limit = self.limit;
        let mut dropped = 0u64;
        let BodySink { chain, feed, full, fed, .. } = self;
        let Target { body, truncated, files } = t;
        if let Some(c) = chain {
            if !*full || feed.active() {
                let fstats = &mut stats.files;
                c.finish(&mut |d: &[u8]| {
                    if !*full {
                        store(d, body, limit, &mut dropped);
                    } else {
                        dropped += d.len() as u64;
                    }
                    feed_files(feed, d, fed, limit, files, env, fstats);
                    true
                });
            }
        }
        self.account(dropped, truncated, stats);
        self.ended |= self.chain.is_some();
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
        let mut files = Vec::new();
        let cfg = super::super::HttpConfig::default();
        let env = cfg.file_env();
        let mut s = BodySink::identity(10, FileFeed::None);
        let mut push = |s: &mut BodySink, d: &[u8], body: &mut Vec<u8>, trunc: &mut bool| {
            s.push(d, Target { body, truncated: trunc, files: &mut files }, &env, &mut stats)
        };
        push(&mut s, b"0123456", &mut body, &mut trunc);
        assert!(!trunc);
        push(&mut s, b"789abc", &mut body, &mut trunc);
        push(&mut s, b"def", &mut body, &mut trunc);
        assert_eq!(body, b"0123456789");
        assert!(trunc);
        assert_eq!(stats.body_bytes_truncated, 6);
    }
}
