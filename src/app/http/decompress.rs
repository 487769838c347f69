//! Streaming decompression of HTTP bodies (Content-Encoding), with libhtp's
//! tolerance: gzip with any header flags and a broken trailer, "deflate"
//! that is really zlib (or the reverse), lzma, several layers, partial
//! output from truncated or corrupt streams, and data that is not
//! compressed at all passed through as it is.
//!
//! libhtp retries a failing decoder with the other formats (gzip, then raw
//! deflate, then zlib) on the data chunk at hand. Here the input seen before
//! the first output byte is kept (up to [`PROBE_MAX`]) and replayed on each
//! retry, so the outcome does not depend on how the body was segmented.
//! After three failed formats the layer passes its input through unchanged.
//! An error after some output stops the layer (libhtp keeps what was
//! produced and drops the rest).

use flate2::{Decompress, FlushDecompress, Status};
use std::io::Write;

/// A content coding libhtp can undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Gzip,
    Deflate,
    Zlib,
    Lzma,
}

impl Codec {
    /// The format libhtp tries after this one failed.
    fn next(self) -> Codec {
        match self {
            Codec::Gzip => Codec::Deflate,
            Codec::Deflate => Codec::Zlib,
            Codec::Zlib => Codec::Gzip,
            Codec::Lzma => Codec::Deflate,
        }
    }
}

/// Input kept for replay until a layer produces its first byte.
const PROBE_MAX: usize = 4096;
/// Output scratch per layer.
const SCRATCH: usize = 8192;
/// libhtp gives up a layer after this many format retries.
const MAX_RESTARTS: u8 = 3;

/// Output sink: returns false to ask the producer to stop.
pub(crate) type Sink<'a> = dyn FnMut(&[u8]) -> bool + 'a;

/// lzma-rs writes decoded bytes into this; we drain it after each write.
#[derive(Default)]
struct VecSink(Vec<u8>);

impl Write for VecSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Tolerant gzip header reader (RFC 1952 members, flags honoured, header
/// CRC and reserved bits ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gz {
    /// Fixed 10-byte header, byte index.
    Fixed(u8),
    /// FEXTRA length, bytes read so far (0..2) and value.
    XLen(u8, u16),
    Extra(u16),
    Name,
    Comment,
    Crc(u8),
    Body,
}

enum Engine {
    Flate { inflate: Box<Decompress>, gz: Option<(Gz, u8)> },
    Lzma(Box<Option<lzma_rs::decompress::Stream<VecSink>>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Decoding,
    /// The compressed stream ended: the rest (gzip trailer, junk) is ignored.
    Done,
    /// Not compressed (as far as we can tell): input goes out unchanged.
    Passthrough,
    /// Failed after producing output: the rest is dropped.
    Dead,
}

struct Layer {
    codec: Codec,
    engine: Engine,
    mode: Mode,
    restarts: u8,
    produced: bool,
    probe: Vec<u8>,
    probe_full: bool,
    scratch: Vec<u8>,
    lzma_memlimit: usize,
}

enum Fail {
    /// The data is not in this format.
    Format,
    /// The sink asked to stop.
    Stop,
}

fn engine(codec: Codec, lzma_memlimit: usize) -> Engine {
    match codec {
        Codec::Gzip => Engine::Flate { inflate: Box::new(Decompress::new(false)), gz: Some((Gz::Fixed(0), 0)) },
        Codec::Deflate => Engine::Flate { inflate: Box::new(Decompress::new(false)), gz: None },
        Codec::Zlib => Engine::Flate { inflate: Box::new(Decompress::new(true)), gz: None },
        Codec::Lzma => {
            let opts = lzma_rs::decompress::Options {
                memlimit: Some(lzma_memlimit.max(4096)),
                // Keep what was decoded from a truncated stream.
                allow_incomplete: true,
                ..Default::default()
            };
            Engine::Lzma(Box::new(Some(lzma_rs::decompress::Stream::new_with_options(&opts, VecSink::default()))))
        }
    }
}

/// Advances the gzip header reader over `input`; returns how many bytes
/// were header, or None when this is not gzip.
fn gz_header(state: &mut (Gz, u8), input: &[u8]) -> Option<usize> {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    let (gz, flags) = state;
    let mut used = 0;
    for &c in input {
        if *gz == Gz::Body {
            break;
        }
        used += 1;
        *gz = match *gz {
            Gz::Fixed(i) => {
                match i {
                    0 if c != 0x1f => return None,
                    1 if c != 0x8b => return None,
                    2 if c != 0x08 => return None,
                    3 => *flags = c,
                    _ => {}
                }
                if i < 9 {
                    Gz::Fixed(i + 1)
                } else if *flags & FEXTRA != 0 {
                    Gz::XLen(0, 0)
                } else {
                    after_extra(*flags)
                }
            }
            Gz::XLen(0, _) => Gz::XLen(1, u16::from(c)),
            Gz::XLen(_, lo) => {
                let len = lo | (u16::from(c) << 8);
                if len == 0 {
                    after_extra(*flags)
                } else {
                    Gz::Extra(len)
                }
            }
            Gz::Extra(left) => {
                if left <= 1 {
                    after_extra(*flags)
                } else {
                    Gz::Extra(left - 1)
                }
            }
            Gz::Name => {
                if c == 0 {
                    after_name(*flags)
                } else {
                    Gz::Name
                }
            }
            Gz::Comment => {
                if c == 0 {
                    after_comment(*flags)
                } else {
                    Gz::Comment
                }
            }
            Gz::Crc(0) => Gz::Crc(1),
            Gz::Crc(_) | Gz::Body => Gz::Body,
        };
    }
    return Some(used);

    fn after_extra(flags: u8) -> Gz {
        if flags & FNAME != 0 {
            Gz::Name
        } else {
            after_name(flags)
        }
    }
    fn after_name(flags: u8) -> Gz {
        if flags & FCOMMENT != 0 {
            Gz::Comment
        } else {
            after_comment(flags)
        }
    }
    fn after_comment(flags: u8) -> Gz {
        if flags & FHCRC != 0 {
            Gz::Crc(0)
        } else {
            Gz::Body
        }
    }
}

/// Hands decoded bytes on; the first output ends the replay window.
fn emit(produced: &mut bool, probe: &mut Vec<u8>, data: &[u8], out: &mut Sink<'_>) -> Result<(), Fail> {
    if data.is_empty() {
        return Ok(());
    }
    if !*produced {
        *produced = true;
        *probe = Vec::new();
    }
    if out(data) {
        Ok(())
    } else {
        Err(Fail::Stop)
    }
}

impl Layer {
    fn new(codec: Codec, lzma_memlimit: usize) -> Layer {
        Layer {
            codec,
            engine: engine(codec, lzma_memlimit),
            mode: Mode::Decoding,
            restarts: 0,
            produced: false,
            probe: Vec::new(),
            probe_full: false,
            scratch: vec![0; SCRATCH],
            lzma_memlimit,
        }
    }

    /// Feeds compressed bytes; decoded bytes go to `out`. Returns false when
    /// `out` asked to stop.
    fn push(&mut self, input: &[u8], out: &mut Sink<'_>) -> bool {
        match self.mode {
            Mode::Done | Mode::Dead => return true,
            Mode::Passthrough => return input.is_empty() || out(input),
            Mode::Decoding => {}
        }
        if !self.produced && !self.probe_full {
            if self.probe.len() + input.len() <= PROBE_MAX {
                self.probe.extend_from_slice(input);
            } else {
                self.probe_full = true;
                self.probe = Vec::new();
            }
        }
        match self.decode(input, out) {
            Ok(()) => true,
            Err(Fail::Stop) => false,
            Err(Fail::Format) => self.recover(input, out),
        }
    }

    /// The current format failed: retry another one on everything seen so
    /// far, or give up.
    fn recover(&mut self, input: &[u8], out: &mut Sink<'_>) -> bool {
        if self.produced {
            self.mode = Mode::Dead;
            return true;
        }
        if self.restarts < MAX_RESTARTS && !self.probe_full {
            self.restarts += 1;
            self.codec = self.codec.next();
            self.engine = engine(self.codec, self.lzma_memlimit);
            let replay = std::mem::take(&mut self.probe);
            // `push` puts the replayed bytes back into the probe.
            return self.push(&replay, out);
        }
        // Not compressed in any format we know: pass it through.
        self.mode = Mode::Passthrough;
        let data = if self.probe_full { input } else { &std::mem::take(&mut self.probe) };
        data.is_empty() || out(data)
    }

    fn decode(&mut self, mut input: &[u8], out: &mut Sink<'_>) -> Result<(), Fail> {
        let Layer { engine, scratch, produced, probe, mode, .. } = self;
        match engine {
            Engine::Lzma(stream) => {
                let Some(s) = stream.as_mut() else { return Ok(()) };
                if s.write_all(input).is_err() {
                    return Err(Fail::Format);
                }
                let decoded = s.get_output_mut().map(|o| std::mem::take(&mut o.0)).unwrap_or_default();
                emit(produced, probe, &decoded, out)
            }
            Engine::Flate { inflate, gz } => {
                if let Some(state) = gz {
                    let used = gz_header(state, input).ok_or(Fail::Format)?;
                    input = input.get(used..).unwrap_or(&[]);
                    if state.0 != Gz::Body {
                        return Ok(());
                    }
                }
                loop {
                    let (in0, out0) = (inflate.total_in(), inflate.total_out());
                    let res = inflate.decompress(input, scratch, FlushDecompress::None);
                    let used = usize::try_from(inflate.total_in() - in0).unwrap_or(usize::MAX);
                    let made = usize::try_from(inflate.total_out() - out0).unwrap_or(0);
                    input = input.get(used..).unwrap_or(&[]);
                    let status = res.map_err(|_| Fail::Format)?;
                    emit(produced, probe, scratch.get(..made).unwrap_or(&[]), out)?;
                    if status == Status::StreamEnd {
                        *mode = Mode::Done;
                        return Ok(());
                    }
                    if (input.is_empty() && made < scratch.len()) || (used == 0 && made == 0) {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// End of body: flushes what a decoder still holds (lzma keeps its
    /// output until the end).
    fn finish(&mut self, out: &mut Sink<'_>) -> bool {
        if self.mode != Mode::Decoding {
            return true;
        }
        if let Engine::Lzma(stream) = &mut self.engine {
            if let Some(s) = stream.take() {
                match s.finish() {
                    Ok(sink) => return emit(&mut self.produced, &mut self.probe, &sink.0, out).is_ok(),
                    Err(_) if !self.produced => {
                        // Never decoded anything: libhtp falls back to the
                        // other formats on the same data.
                        let probe = std::mem::take(&mut self.probe);
                        if !probe.is_empty() && !self.probe_full {
                            self.probe = probe;
                            let input = self.probe.clone();
                            return self.recover(&input, out) && self.finish(out);
                        }
                    }
                    Err(_) => {}
                }
            }
        }
        true
    }
}

/// A stack of decoders: the first undoes the outermost (last applied)
/// coding. Output of each feeds the next; the last feeds the body.
pub(crate) struct Chain {
    layers: Vec<Layer>,
    /// Bytes produced by all layers so far, against `limit`.
    produced: usize,
    limit: usize,
    /// The bomb limit was hit.
    pub(crate) bomb: bool,
    /// Some layer gave up on its format (passthrough or dropped data).
    pub(crate) failed: bool,
    stopped: bool,
}

impl Chain {
    /// `codecs` in decoding order; `limit` caps the bytes all layers may
    /// produce together (compression bombs).
    pub(crate) fn new(codecs: &[Codec], limit: usize) -> Chain {
        Chain {
            layers: codecs.iter().map(|&c| Layer::new(c, limit)).collect(),
            produced: 0,
            limit,
            bomb: false,
            failed: false,
            stopped: false,
        }
    }

    /// Whether the chain stopped taking data (bomb or sink full).
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    pub(crate) fn push(&mut self, input: &[u8], sink: &mut Sink<'_>) {
        if self.stopped || input.is_empty() {
            return;
        }
        let mut budget = Budget { produced: self.produced, limit: self.limit, bomb: false };
        let ok = push_layers(&mut self.layers, input, &mut budget, sink);
        self.account(budget, ok);
    }

    pub(crate) fn finish(&mut self, sink: &mut Sink<'_>) {
        if self.stopped {
            return;
        }
        let mut budget = Budget { produced: self.produced, limit: self.limit, bomb: false };
        let mut ok = true;
        for i in 0..self.layers.len() {
            let Some((layer, rest)) = self.layers.get_mut(i..).and_then(|s| s.split_first_mut()) else { break };
            let b = &mut budget;
            ok = layer.finish(&mut |out: &[u8]| forward(rest, out, b, sink));
            if !ok {
                break;
            }
        }
        self.account(budget, ok);
        self.stopped = true;
    }

    fn account(&mut self, budget: Budget, ok: bool) {
        self.produced = budget.produced;
        if budget.bomb {
            self.bomb = true;
        }
        if !ok {
            self.stopped = true;
        }
        if self.layers.iter().any(|l| l.mode == Mode::Passthrough || l.mode == Mode::Dead) {
            self.failed = true;
        }
    }
}

struct Budget {
    produced: usize,
    limit: usize,
    bomb: bool,
}

fn push_layers(layers: &mut [Layer], input: &[u8], budget: &mut Budget, sink: &mut Sink<'_>) -> bool {
    match layers.split_first_mut() {
        None => sink(input),
        Some((first, rest)) => first.push(input, &mut |out: &[u8]| forward(rest, out, budget, sink)),
    }
}

/// Counts a layer's output against the bomb limit and hands it on.
fn forward(rest: &mut [Layer], out: &[u8], budget: &mut Budget, sink: &mut Sink<'_>) -> bool {
    let allowed = budget.limit.saturating_sub(budget.produced);
    let take = out.len().min(allowed);
    budget.produced += take;
    let ok = take == 0 || push_layers(rest, out.get(..take).unwrap_or(&[]), budget, sink);
    if take < out.len() {
        budget.bomb = true;
        return false;
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;

    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
    pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn run(codecs: &[Codec], input: &[u8], piece: usize, limit: usize) -> (Vec<u8>, Chain) {
        let mut chain = Chain::new(codecs, limit);
        let mut out = Vec::new();
        for part in input.chunks(piece.max(1)) {
            chain.push(part, &mut |d: &[u8]| {
                out.extend_from_slice(d);
                true
            });
        }
        chain.finish(&mut |d: &[u8]| {
            out.extend_from_slice(d);
            true
        });
        (out, chain)
    }

    const TEXT: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

    #[test]
    fn formats_and_fallbacks_any_segmentation() {
        let cases: Vec<(Vec<Codec>, Vec<u8>)> = vec![
            (vec![Codec::Gzip], gzip(TEXT)),
            (vec![Codec::Deflate], deflate(TEXT)),
            (vec![Codec::Deflate], zlib(TEXT)),
            (vec![Codec::Gzip], deflate(TEXT)),
            (vec![Codec::Gzip], zlib(TEXT)),
            (vec![Codec::Gzip], TEXT.to_vec()),
            (vec![Codec::Deflate], TEXT.to_vec()),
            (vec![Codec::Gzip, Codec::Gzip], gzip(&gzip(TEXT))),
            (vec![Codec::Deflate, Codec::Gzip], deflate(&gzip(TEXT))),
        ];
        for (codecs, input) in cases {
            for piece in [1, 2, 3, 7, 1000] {
                let (out, _) = run(&codecs, &input, piece, 1 << 20);
                assert_eq!(out, TEXT, "{codecs:?} piece {piece}");
            }
        }
    }

    #[test]
    fn gzip_header_flags_and_broken_trailer() {
        let mut g = gzip(TEXT);
        // FEXTRA, FNAME, FCOMMENT, FHCRC and reserved bits: all skipped.
        let mut h = vec![0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02 | 0xe0, 0, 0, 0, 0, 0, 3];
        h.extend_from_slice(&[3, 0, b'a', b'b', b'c', b'n', 0, b'c', 0, 0x12, 0x34]);
        h.extend_from_slice(&g[10..]);
        let (out, _) = run(&[Codec::Gzip], &h, 1, 1 << 20);
        assert_eq!(out, TEXT);
        // Corrupt CRC and truncated size: the data still comes out.
        let n = g.len();
        g[n - 8] ^= 0xff;
        g.truncate(n - 3);
        let (out, _) = run(&[Codec::Gzip], &g, 5, 1 << 20);
        assert_eq!(out, TEXT);
    }

    #[test]
    fn truncated_stream_gives_partial_output() {
        let big: Vec<u8> = (0..20000u32).map(|i| (i % 251) as u8).collect();
        let g = gzip(&big);
        let (out, _) = run(&[Codec::Gzip], &g[..g.len() / 2], 100, 1 << 20);
        assert!(!out.is_empty() && big.starts_with(&out));
    }

    #[test]
    fn bomb_limit() {
        let zeros = vec![0u8; 1 << 20];
        let g = gzip(&gzip(&zeros));
        let (out, chain) = run(&[Codec::Gzip, Codec::Gzip], &g, 1000, 50_000);
        assert!(chain.bomb);
        assert!(out.len() <= 50_000);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 12345u32;
        for _ in 0..200 {
            let len = (seed % 300) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1103515245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            for codecs in [&[Codec::Gzip][..], &[Codec::Lzma], &[Codec::Deflate, Codec::Zlib]] {
                let _ = run(codecs, &data, 3, 10_000);
            }
        }
    }
}
