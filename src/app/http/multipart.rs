//! multipart/form-data request bodies, streamed: each part whose
//! Content-Disposition names a file becomes a [`File`] holding the part's
//! bytes (up to the CRLF before the next delimiter), as Suricata does for
//! uploads. Only a delimiter's tail and one part's header section are kept
//! between calls, both bounded.

use super::util::contains_nocase;
use crate::app::files::{content_disposition_filename, File, FileStats, FileTracking, FilesConfig};

/// Longest boundary accepted (RFC 2046 allows 70).
const MAX_BOUNDARY: usize = 200;

/// The boundary of a `multipart/form-data` Content-Type (Suricata's
/// reading: `boundary=` anywhere after it, up to `;` or the end, quotes
/// removed).
pub(crate) fn form_data_boundary(content_type: &[u8]) -> Option<&[u8]> {
    if !contains_nocase(content_type, b"multipart/form-data") {
        return None;
    }
    let at = content_type.windows(9).position(|w| w.eq_ignore_ascii_case(b"boundary="))?;
    let v = content_type.get(at + 9..)?;
    let v = &v[..v.iter().position(|&c| c == b';').unwrap_or(v.len())];
    let v = v.trim_ascii();
    let v = v.strip_prefix(b"\"").unwrap_or(v);
    let v = v.strip_suffix(b"\"").unwrap_or(v);
    (!v.is_empty() && v.len() <= MAX_BOUNDARY).then_some(v)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Part content (or the preamble, with no file): up to a delimiter.
    Data,
    /// After a delimiter: `--` ends the body, anything else up to LF.
    AfterDelim {
        dashes: u8,
    },
    SkipLine,
    Headers,
    /// After the closing delimiter, or given up.
    Done,
}

/// Streaming multipart state of one request body.
pub(crate) struct Multipart {
    /// `\r\n--boundary`.
    delim: Vec<u8>,
    state: State,
    /// Held-back bytes: a possible delimiter start (Data) or the part's
    /// header section so far (Headers).
    buf: Vec<u8>,
    /// The current part is a file (the last one in the list).
    in_file: bool,
}

/// What the parts go to.
pub(crate) struct Sink<'a> {
    pub(crate) files: &'a mut Vec<File>,
    pub(crate) cfg: &'a FilesConfig,
    pub(crate) track: &'a FileTracking,
    pub(crate) stats: &'a mut FileStats,
}

impl Sink<'_> {
    fn data(&mut self, in_file: bool, d: &[u8]) {
        if in_file {
            if let Some(f) = self.files.last_mut() {
                f.append(d, self.stats);
            }
        }
    }

    fn close(&mut self, in_file: &mut bool, truncated: bool) {
        if std::mem::take(in_file) {
            if let Some(f) = self.files.last_mut() {
                f.close(truncated, self.track, self.stats);
            }
        }
    }
}

impl Multipart {
    pub(crate) fn new(boundary: &[u8]) -> Multipart {
        let mut delim = b"\r\n--".to_vec();
        delim.extend_from_slice(boundary);
        // The body may start with the delimiter without its CRLF: seed the
        // held-back bytes with one.
        Multipart { delim, state: State::Data, buf: b"\r\n".to_vec(), in_file: false }
    }

    /// Decoded body bytes.
    pub(crate) fn push(&mut self, mut data: &[u8], sink: &mut Sink<'_>) {
        while !data.is_empty() {
            data = match self.state {
                State::Data => self.data(data, sink),
                State::AfterDelim { dashes } => {
                    let c = data[0];
                    self.state = match (c, dashes) {
                        (b'-', 1) => State::Done,
                        (b'-', 0) => State::AfterDelim { dashes: 1 },
                        (b'\n', _) => State::Headers,
                        _ => State::SkipLine,
                    };
                    &data[1..]
                }
                State::SkipLine => match memchr::memchr(b'\n', data) {
                    Some(i) => {
                        self.state = State::Headers;
                        &data[i + 1..]
                    }
                    None => &[],
                },
                State::Headers => self.headers(data, sink),
                State::Done => &[],
            };
        }
    }

    /// Part content: everything before `\r\n--boundary`.
    fn data<'d>(&mut self, data: &'d [u8], sink: &mut Sink<'_>) -> &'d [u8] {
        let keep = self.delim.len() - 1;
        if !self.buf.is_empty() {
            // A delimiter may start in the held-back bytes.
            let held = self.buf.len();
            let k = data.len().min(keep);
            self.buf.extend_from_slice(&data[..k]);
            if let Some(i) = memchr::memmem::find(&self.buf, &self.delim) {
                sink.data(self.in_file, &self.buf[..i]);
                sink.close(&mut self.in_file, false);
                let used = i + self.delim.len() - held;
                self.buf.clear();
                self.state = State::AfterDelim { dashes: 0 };
                return &data[used..];
            }
            if k < keep {
                // Not enough new bytes to rule a delimiter out: keep the tail.
                let excess = self.buf.len().saturating_sub(keep);
                sink.data(self.in_file, &self.buf[..excess]);
                self.buf.drain(..excess);
                return &[];
            }
            self.buf.truncate(held);
            sink.data(self.in_file, &self.buf);
            self.buf.clear();
        }
        match memchr::memmem::find(data, &self.delim) {
            Some(i) => {
                sink.data(self.in_file, &data[..i]);
                sink.close(&mut self.in_file, false);
                self.state = State::AfterDelim { dashes: 0 };
                &data[i + self.delim.len()..]
            }
            None => {
                let cut = data.len().saturating_sub(keep);
                sink.data(self.in_file, &data[..cut]);
                self.buf.extend_from_slice(&data[cut..]);
                &[]
            }
        }
    }

    /// A part's header section, up to its empty line.
    fn headers<'d>(&mut self, data: &'d [u8], sink: &mut Sink<'_>) -> &'d [u8] {
        let held = self.buf.len();
        let room = sink.cfg.max_part_header_bytes.saturating_sub(held);
        let take = data.len().min(room.max(1));
        self.buf.extend_from_slice(&data[..take]);
        let end = if self.buf.starts_with(b"\r\n") {
            Some(2)
        } else if self.buf.starts_with(b"\n") {
            Some(1)
        } else {
            let from = held.saturating_sub(2);
            let rest = &self.buf[from..];
            let crlf = memchr::memmem::find(rest, b"\n\r\n").map(|i| from + i + 3);
            let lf = memchr::memmem::find(rest, b"\n\n").map(|i| from + i + 2);
            match (crlf, lf) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        let Some(end) = end else {
            if self.buf.len() >= sink.cfg.max_part_header_bytes {
                sink.stats.multipart_errors += 1;
                self.buf = Vec::new();
                self.state = State::Done;
                return &[];
            }
            return &data[take..];
        };
        let name = part_filename(&self.buf[..end]).map(<[u8]>::to_vec);
        let used = end - held;
        self.buf.clear();
        self.state = State::Data;
        if let Some(name) = name {
            if sink.files.len() < sink.cfg.max_per_tx {
                sink.files.push(File::open(&name, sink.cfg, sink.track, sink.stats));
                self.in_file = true;
            } else {
                sink.stats.over_limit += 1;
            }
        }
        &data[used..]
    }

    /// Bytes are missing: the open part can no longer be followed; it ends
    /// with its gap and nothing more is parsed.
    pub(crate) fn gap(&mut self, len: u64, sink: &mut Sink<'_>) {
        if self.in_file {
            if let Some(f) = sink.files.last_mut() {
                f.gap(len);
            }
        }
        sink.close(&mut self.in_file, true);
        if self.state != State::Done {
            sink.stats.multipart_errors += 1;
        }
        self.state = State::Done;
        self.buf = Vec::new();
    }

    /// The body went past the limit files are tracked to: the open part's
    /// file ends truncated and nothing more is parsed.
    pub(crate) fn truncate(&mut self, files: &mut [File], track: &FileTracking, stats: &mut FileStats) {
        if std::mem::take(&mut self.in_file) {
            if let Some(f) = files.last_mut() {
                f.close(true, track, stats);
            }
        }
        self.state = State::Done;
        self.buf = Vec::new();
    }

    /// End of the body: a part still open never saw its delimiter.
    pub(crate) fn finish(&mut self, sink: &mut Sink<'_>) {
        if self.state == State::Data && self.in_file {
            // Held-back bytes were part content after all.
            sink.data(true, &self.buf);
        }
        sink.close(&mut self.in_file, true);
        self.state = State::Done;
        self.buf = Vec::new();
    }
}

/// The `filename` of a part's Content-Disposition header.
fn part_filename(headers: &[u8]) -> Option<&[u8]> {
    for line in headers.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&c| c == b':') else { continue };
        if line[..colon].trim_ascii().eq_ignore_ascii_case(b"content-disposition") {
            return content_disposition_filename(line[colon + 1..].trim_ascii());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_like_suricata() {
        assert_eq!(form_data_boundary(b"multipart/form-data; boundary=XyZ"), Some(&b"XyZ"[..]));
        assert_eq!(form_data_boundary(b"Multipart/Form-Data; BOUNDARY=\"a b\"; charset=x"), Some(&b"a b"[..]));
        assert_eq!(form_data_boundary(b"multipart/mixed; boundary=XyZ"), None);
        assert_eq!(form_data_boundary(b"multipart/form-data"), None);
        assert_eq!(form_data_boundary(b"multipart/form-data; boundary="), None);
    }

    #[test]
    fn part_file_names() {
        let h = b"Content-Type: text/plain\r\ncontent-disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\n";
        assert_eq!(part_filename(h), Some(&b"a.txt"[..]));
        assert_eq!(part_filename(b"Content-Disposition: form-data; name=\"x\"\r\n\r\n"), None);
    }
}
