//! Shared input format of the application-layer fuzz targets.
//!
//! A fuzz input describes one connection, so that seeds taken from real
//! captures stay meaningful to the parsers and libFuzzer's mutations still
//! reach every way a stream can be cut:
//!
//! ```text
//! flags: u8            target-specific (config choice, modes)
//! nctl: u8, ctl[nctl]  how the streams are delivered (see `Op`)
//! len0: u16 BE         length of the client stream
//! stream 0 (client -> server), then stream 1 (server -> client) = the rest
//! ```
//!
//! Missing fields read as zero / empty, so every byte string is an input.
//! The control bytes are used in turn, cyclically: each one delivers a
//! piece of one direction, reports part of it as a gap (the bytes are
//! skipped, as reassembly would lose them) or ends the direction. With no
//! control bytes the client stream is fed whole, then the server stream.

pub mod engine;

/// Takes one length-prefixed record off the front of `rest`: a u16 BE
/// length and that many bytes (fewer if the input ends first); a lone
/// last byte is a record of its own.
pub fn take_record<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    match *rest {
        [hi, lo, tail @ ..] => {
            let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
            *rest = &tail[len..];
            &tail[..len]
        }
        _ => std::mem::take(rest),
    }
}

/// Piece sizes a control byte can name (its top four bits); 0 = the rest.
const SIZES: [usize; 16] = [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 100, 255, 536, 1460, 0];

/// What the target does with one step of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<'a> {
    /// In-order bytes of a direction.
    Data(usize, &'a [u8]),
    /// `len` bytes of a direction are missing for good (they were skipped
    /// in the stream; `len` may run past its end).
    Gap(usize, u64),
    /// The direction ended; nothing more comes in it.
    Close(usize),
}

/// A decoded fuzz input.
pub struct Script<'a> {
    pub flags: u8,
    ctl: &'a [u8],
    streams: [&'a [u8]; 2],
}

fn split(data: &[u8], n: usize) -> (&[u8], &[u8]) {
    data.split_at(n.min(data.len()))
}

impl<'a> Script<'a> {
    pub fn new(data: &'a [u8]) -> Script<'a> {
        let (flags, rest) = split(data, 1);
        let (nctl, rest) = split(rest, 1);
        let (ctl, rest) = split(rest, nctl.first().map_or(0, |&n| usize::from(n)));
        let (len0, rest) = split(rest, 2);
        let len0 = match len0 {
            [hi, lo] => usize::from(u16::from_be_bytes([*hi, *lo])),
            _ => 0,
        };
        let (s0, s1) = split(rest, len0);
        Script { flags: flags.first().copied().unwrap_or(0), ctl, streams: [s0, s1] }
    }

    /// The control bytes.
    pub fn ctl(&self) -> &'a [u8] {
        self.ctl
    }

    /// The whole stream of a direction, as the input holds it.
    pub fn stream(&self, dir: usize) -> &'a [u8] {
        self.streams.get(dir).copied().unwrap_or_default()
    }

    /// Delivers the connection to `f`, step by step. Every step uses at
    /// least one byte of a stream or ends a direction, so this terminates.
    /// With `closes` false, control bytes that would close a direction
    /// deliver data instead (for parsers without a close call).
    pub fn run(&self, closes: bool, mut f: impl FnMut(Op<'a>)) {
        let mut left = self.streams;
        let mut closed = [false; 2];
        let mut step = 0usize;
        loop {
            let open = |d: usize, left: &[&[u8]; 2], closed: &[bool; 2]| !closed[d] && !left[d].is_empty();
            if !open(0, &left, &closed) && !open(1, &left, &closed) {
                return;
            }
            let b = if self.ctl.is_empty() { 0xf0 } else { self.ctl[step % self.ctl.len()] };
            step = step.wrapping_add(1);
            let mut dir = usize::from(b & 1);
            if !open(dir, &left, &closed) {
                dir ^= 1;
            }
            let size = match SIZES[usize::from(b >> 4)] {
                0 => left[dir].len(),
                n => n,
            };
            match (b >> 1) & 7 {
                5 => {
                    // A gap named by the "rest" size also runs past the end
                    // of what was captured, as a lost tail does.
                    let len = if b >> 4 == 15 { size as u64 + (1 << 32) } else { size as u64 };
                    left[dir] = split(left[dir], size).1;
                    f(Op::Gap(dir, len));
                }
                6 if closes => {
                    closed[dir] = true;
                    f(Op::Close(dir));
                }
                _ => {
                    let (piece, rest) = split(left[dir], size);
                    left[dir] = rest;
                    f(Op::Data(dir, piece));
                }
            }
        }
    }
}

/// Builds an input in the format above (for seeds and tests).
pub fn encode(flags: u8, ctl: &[u8], client: &[u8], server: &[u8]) -> Vec<u8> {
    let mut out = vec![flags, ctl.len().min(255) as u8];
    out.extend_from_slice(&ctl[..ctl.len().min(255)]);
    out.extend_from_slice(&(client.len().min(0xffff) as u16).to_be_bytes());
    out.extend_from_slice(&client[..client.len().min(0xffff)]);
    out.extend_from_slice(server);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(input: &[u8], closes: bool) -> Vec<String> {
        let mut v = Vec::new();
        Script::new(input).run(closes, |op| {
            v.push(match op {
                Op::Data(d, b) => format!("d{d}:{}", String::from_utf8_lossy(b)),
                Op::Gap(d, n) => format!("g{d}:{n}"),
                Op::Close(d) => format!("c{d}"),
            })
        });
        v
    }

    #[test]
    fn default_feeds_each_stream_whole() {
        assert_eq!(ops(&encode(0, &[], b"abc", b"de"), true), ["d0:abc", "d1:de"]);
    }

    #[test]
    fn control_bytes_cut_interleave_gap_and_close() {
        // 1 byte of dir 0, 2 bytes of dir 1, gap of 1 in dir 0, close dir 1.
        let ctl = [0x00, 0x11, 0x0a, 0x0d];
        assert_eq!(ops(&encode(0, &ctl, b"abcd", b"xyz"), true), ["d0:a", "d1:xy", "g0:1", "c1", "d0:c", "d0:d"]);
        // Without closes the close byte delivers data.
        assert_eq!(ops(&encode(0, &ctl, b"ab", b"xyz"), false), ["d0:a", "d1:xy", "g0:1", "d1:z"]);
    }

    #[test]
    fn short_inputs_are_inputs() {
        for n in 0..6 {
            let _ = ops(&[0xff; 6][..n], true);
        }
    }
}
