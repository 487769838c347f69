//! Byte helpers shared by the HTTP parser: libhtp's notions of whitespace,
//! case- and NUL-insensitive comparisons, number parsing for
//! Content-Length and chunk sizes, and [`Look`], the bounds-checked reader
//! that tells the caller when a decision needed bytes that have not arrived
//! yet (which is how every parser here stays independent of segmentation).

use std::cell::Cell;

/// libhtp's `is_space`: SP, HT, CR, LF, VT, FF.
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// Trims libhtp whitespace ([`is_space`]) at both ends.
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_space(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_space(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// Removes every trailing CR and LF.
pub(crate) fn chomp(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = s {
        s = rest;
    }
    s
}

/// ASCII case-insensitive equality, ignoring NUL bytes in `hay` (libhtp's
/// `cmp_nocase_nozero`: a header named `Content-\0Length` still counts).
pub(crate) fn eq_nocase_nozero(hay: &[u8], lower: &[u8]) -> bool {
    let mut want = lower.iter();
    for &c in hay {
        if c == 0 {
            continue;
        }
        match want.next() {
            Some(&w) if c.to_ascii_lowercase() == w => {}
            _ => return false,
        }
    }
    want.next().is_none()
}

/// Whether `needle` (lowercase) occurs in `hay`, ASCII case-insensitively,
/// ignoring NUL bytes in `hay` (libhtp's `index_of_nocase_nozero`).
pub(crate) fn contains_nocase_nozero(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    (0..hay.len()).any(|start| {
        let mut want = needle.iter();
        for &c in hay.get(start..).unwrap_or(&[]) {
            if c == 0 {
                continue;
            }
            match want.next() {
                Some(&w) if c.to_ascii_lowercase() == w => {}
                Some(_) => return false,
                None => return true,
            }
        }
        want.next().is_none()
    })
}

/// ASCII case-insensitive substring test without NUL skipping.
pub(crate) fn contains_nocase(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Content-Length as libhtp reads it: optional SP/HT, then any junk up to
/// the first digit run, which is the value ("  ,68 junk" is 68). None when
/// there is no digit or the number does not fit.
pub(crate) fn parse_content_length(v: &[u8]) -> Option<u64> {
    let start = v.iter().position(u8::is_ascii_digit)?;
    let digits = v.get(start..)?;
    let end = digits.iter().position(|c| !c.is_ascii_digit()).unwrap_or(digits.len());
    let mut n: u64 = 0;
    for &d in digits.get(..end)? {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

/// Bytes libhtp skips before a chunk size and treats a line made only of
/// them as empty: CR, LF, SP, HT, VT, FF.
pub(crate) fn is_chunk_ctl(c: u8) -> bool {
    matches!(c, b'\r' | b'\n' | b' ' | b'\t' | 0x0b | 0x0c)
}

/// What a chunk-size line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChunkLen {
    /// A size (0 ends the body).
    Size(u64),
    /// libhtp skips the line (a size above i32::MAX, or nothing usable).
    Skip,
    /// Not a chunk size: the body is not really chunked.
    Invalid,
}

/// Parses a chunk-size line like libhtp: control characters, SP/HT, hex
/// digits; anything after the digits (extensions, junk) is ignored.
pub(crate) fn parse_chunk_len(line: &[u8]) -> ChunkLen {
    let mut i = line.iter().position(|&c| !is_chunk_ctl(c)).unwrap_or(line.len());
    while matches!(line.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let start = i;
    let mut n: u64 = 0;
    while let Some(&c) = line.get(i) {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => break,
        };
        n = match n.checked_mul(16) {
            Some(v) => v + u64::from(d),
            None => return ChunkLen::Invalid,
        };
        i += 1;
    }
    if i == start {
        // No digits: only an all-whitespace remainder is tolerated.
        return if line.get(i..).is_none_or(|rest| rest.iter().all(|&c| c == b' ' || c == b'\t')) {
            ChunkLen::Skip
        } else {
            ChunkLen::Invalid
        };
    }
    if n > i32::MAX as u64 {
        ChunkLen::Skip
    } else {
        ChunkLen::Size(n)
    }
}

/// libhtp's test for data that cannot start a chunk size: after control
/// characters, a byte that is not a hex digit.
pub(crate) fn chunk_data_is_junk(data: &[u8]) -> bool {
    data.iter().find(|&&c| !is_chunk_ctl(c)).is_some_and(|c| !c.is_ascii_hexdigit())
}

/// Bounds-checked reader over buffered bytes. A read past the end returns
/// None and records that the answer might change with more data; unless
/// the stream is closed the caller then waits instead of deciding. Parsers
/// written against it behave as if they saw all data at once.
pub(crate) struct Look<'a> {
    data: &'a [u8],
    short: Cell<bool>,
}

impl<'a> Look<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Look { data, short: Cell::new(false) }
    }

    pub(crate) fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Whether some read went past the available bytes.
    pub(crate) fn short(&self) -> bool {
        self.short.get()
    }

    pub(crate) fn at(&self, i: usize) -> Option<u8> {
        let b = self.data.get(i).copied();
        if b.is_none() {
            self.short.set(true);
        }
        b
    }

    /// Whether `tag` is at `pos`; a mismatch inside the available bytes is
    /// definite, running out of bytes is not.
    pub(crate) fn tag(&self, pos: usize, tag: &[u8]) -> bool {
        for (k, &t) in tag.iter().enumerate() {
            match self.at(pos + k) {
                Some(c) if c == t => {}
                _ => return false,
            }
        }
        true
    }

    /// Position of the first byte at or after `pos` satisfying `f`.
    pub(crate) fn find(&self, pos: usize, f: impl Fn(u8) -> bool) -> Option<usize> {
        let found = self.data.get(pos..).and_then(|rest| rest.iter().position(|&c| f(c))).map(|p| p + pos);
        if found.is_none() {
            self.short.set(true);
        }
        found
    }

    /// Number of bytes from `pos` satisfying `f` (stops at the first other
    /// byte, or at the end, which counts as a short read).
    pub(crate) fn span(&self, pos: usize, f: impl Fn(u8) -> bool) -> usize {
        match self.find(pos, |c| !f(c)) {
            Some(end) => end - pos,
            None => self.data.len().saturating_sub(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_chomps() {
        assert_eq!(trim(b" \t a b \r\n"), b"a b");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(chomp(b"x\r\n\n\r"), b"x");
        assert_eq!(chomp(b"te\nst"), b"te\nst");
    }

    #[test]
    fn nocase_nozero() {
        assert!(eq_nocase_nozero(b"Content-\0Length", b"content-length"));
        assert!(!eq_nocase_nozero(b"Content-Lengthx", b"content-length"));
        assert!(!eq_nocase_nozero(b"Content", b"content-length"));
        assert!(contains_nocase_nozero(b"x-CHU\0NKED;", b"chunked"));
        assert!(!contains_nocase_nozero(b"chunke", b"chunked"));
        assert!(contains_nocase(b"xGzIp", b"gzip"));
    }

    #[test]
    fn content_length_like_libhtp() {
        assert_eq!(parse_content_length(b"68"), Some(68));
        assert_eq!(parse_content_length(b" 0068 "), Some(68));
        assert_eq!(parse_content_length(b",68"), Some(68));
        assert_eq!(parse_content_length(b"34 68"), Some(34));
        assert_eq!(parse_content_length(b"68.9"), Some(68));
        assert_eq!(parse_content_length(b"abc"), None);
        assert_eq!(parse_content_length(b"99999999999999999999999"), None);
    }

    #[test]
    fn chunk_sizes_like_libhtp() {
        assert_eq!(parse_chunk_len(b"f\r\n"), ChunkLen::Size(15));
        assert_eq!(parse_chunk_len(b"0F\r\n"), ChunkLen::Size(15));
        assert_eq!(parse_chunk_len(b"\x0bf\r\n"), ChunkLen::Size(15));
        assert_eq!(parse_chunk_len(b" f x\r\n"), ChunkLen::Size(15));
        assert_eq!(parse_chunk_len(b"5; ext\r\n"), ChunkLen::Size(5));
        assert_eq!(parse_chunk_len(b"00000000000000000000\r\n"), ChunkLen::Size(0));
        assert_eq!(parse_chunk_len(b"X5O!P\r\n"), ChunkLen::Invalid);
        assert_eq!(parse_chunk_len(b"ffffffffff\r\n"), ChunkLen::Skip);
        assert_eq!(parse_chunk_len(b"fffffffffffffffffffff\r\n"), ChunkLen::Invalid);
        assert!(chunk_data_is_junk(b"\r\nX5O"));
        assert!(!chunk_data_is_junk(b"\r\n"));
        assert!(!chunk_data_is_junk(b" 1f"));
    }

    #[test]
    fn look_reports_short_reads() {
        let l = Look::new(b"\r\n");
        assert!(l.tag(0, b"\r\n"));
        assert!(!l.short());
        assert!(!l.tag(0, b"\n\r"));
        assert!(!l.short());
        assert!(!l.tag(0, b"\r\n\r"));
        assert!(l.short());
        let l = Look::new(b"ab c");
        assert_eq!(l.span(0, |c| c.is_ascii_alphabetic()), 2);
        assert!(!l.short());
        assert_eq!(l.span(3, |c| c.is_ascii_alphabetic()), 1);
        assert!(l.short());
    }
}
