//! Header-section grammar (request headers, response headers, chunked
//! trailers), reproducing libhtp's tolerant parser: which byte sequences end
//! a line (bare LF everywhere, bare CR and LF-CR in responses, and a few
//! "deformed" CR/LF mixes), folding (continuation lines starting with SP,
//! HT or NUL), whitespace around names, lines without a colon (kept as a
//! header with an empty name), and where the section ends.
//!
//! The parser is a pure function of the buffered bytes. Every read goes
//! through [`Look`]; when an answer depended on a byte that has not arrived,
//! [`next_item`] says [`Item::NeedMore`] and is asked again with more data,
//! so the result never depends on how the stream was cut into pieces (the
//! answer is the one libhtp gives when it sees all the data at once).

use super::util::{eq_nocase_nozero, trim, Look};
use super::Header;

/// Which grammar variant: responses accept more line terminators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Request,
    Response,
}

/// libhtp caps folded continuation lines per header (quadratic re-parse
/// otherwise).
const MAX_FOLDS: usize = 128;

/// What libhtp notes about a header line ([`Item::Header`]'s `flags`),
/// which the direction parsers turn into warnings.
pub(crate) mod flags {
    /// Nothing before the colon.
    pub(crate) const NAME_EMPTY: u8 = 1;
    /// Bytes in the name that are not token characters (besides
    /// surrounding SP/HT).
    pub(crate) const NAME_NON_TOKEN: u8 = 2;
    pub(crate) const NAME_TRAILING_WS: u8 = 4;
    pub(crate) const NAME_LEADING_WS: u8 = 8;
    /// No colon: the whole line is the value of a nameless header.
    pub(crate) const MISSING_COLON: u8 = 16;
    /// A line of the value ended with one of the deformed CR/LF mixes.
    pub(crate) const DEFORMED_EOL: u8 = 32;
}

/// The next thing in a header section.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// A header. `name` is a range of the buffer (untrimmed), `value` the
    /// folded, trimmed value, `flags` what libhtp notes about it
    /// ([`flags`]); the next item starts at `end`.
    Header { name: (usize, usize), value: Vec<u8>, end: usize, flags: u8 },
    /// The empty line ending the section; the body starts at `end`.
    End { end: usize },
    /// The answer depends on bytes not seen yet.
    NeedMore,
}

struct P<'a> {
    side: Side,
    look: Look<'a>,
}

fn is_lws(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == 0
}

/// RFC 7230 token characters (libhtp's `is_token`).
pub(crate) fn is_token(c: u8) -> bool {
    (32..=126).contains(&c) && !b"()<>@,;:\\\"/[]?={} \t".contains(&c)
}

impl P<'_> {
    fn is_eol(&self, c: u8) -> bool {
        c == b'\n' || (self.side == Side::Response && c == b'\r')
    }

    /// A plain line terminator.
    fn eol_regular(&self, pos: usize) -> Option<usize> {
        let l = &self.look;
        let response = self.side == Side::Response;
        if l.tag(pos, b"\r\n") || (response && l.tag(pos, b"\n\r")) {
            Some(2)
        } else if l.tag(pos, b"\n") || (response && l.tag(pos, b"\r")) {
            Some(1)
        } else {
            None
        }
    }

    /// CR/LF mixes libhtp swallows as one terminator.
    fn eol_deformed(&self, pos: usize) -> Option<usize> {
        let l = &self.look;
        if l.tag(pos, b"\n\r\r\n") && (l.tag(pos + 4, b"\n") || l.tag(pos + 4, b"\r\n")) {
            return Some(4);
        }
        match self.side {
            Side::Response => {
                if l.tag(pos, b"\r\n\r") {
                    let n = l.span(pos + 3, |c| c == b'\r' || c == b' ' || c == b'\t');
                    if n > 0 {
                        let mut q = pos + 3 + n;
                        if l.tag(q, b"\n") {
                            q += 1;
                        }
                        if !(l.tag(q, b"\n") || l.tag(q, b"\r\n")) {
                            return Some(q - pos);
                        }
                    }
                }
                None
            }
            Side::Request => (l.tag(pos, b"\n\r") && l.tag(pos + 2, b"\r\n")).then_some(2),
        }
    }

    fn eol_any(&self, pos: usize) -> Option<usize> {
        self.eol_deformed(pos).or_else(|| self.eol_regular(pos))
    }

    /// A terminator followed by folding whitespace: (terminator length,
    /// folding byte).
    fn folding(&self, pos: usize) -> Option<(usize, u8)> {
        let len = match self.side {
            Side::Response => self.eol_regular(pos)?,
            Side::Request => self.eol_any(pos)?,
        };
        let c = self.look.at(pos + len)?;
        is_lws(c).then_some((len, c))
    }

    /// A terminator not followed by folding whitespace.
    fn eol_final(&self, pos: usize) -> Option<usize> {
        let len = self.eol_any(pos)?;
        match self.look.at(pos + len) {
            Some(c) if is_lws(c) => None,
            _ => Some(len),
        }
    }

    /// [`flags::DEFORMED_EOL`] when the terminator at `pos` is a deformed one.
    fn deformed_at(&self, pos: usize) -> u8 {
        if self.eol_deformed(pos).is_some() {
            flags::DEFORMED_EOL
        } else {
            0
        }
    }

    /// The bytes of one line of a value: (value end, terminator length,
    /// folding byte, where the next line starts, flags of the terminator).
    fn value_line(&self, pos: usize) -> Option<(usize, usize, Option<u8>, usize, u8)> {
        let mut end = self.look.find(pos, |c| self.is_eol(c))?;
        if end > pos && self.look.at(end - 1) == Some(b'\r') {
            end -= 1;
        }
        if let Some((len, fold)) = self.folding(end) {
            // Response folding only takes regular terminators.
            let f = if self.side == Side::Request { self.deformed_at(end) } else { 0 };
            return Some((end, len, Some(fold), end + len + 1, f));
        }
        let len = self.eol_final(end)?;
        Some((end, len, None, end + len, self.deformed_at(end)))
    }

    /// Whether the line at `pos` looks like "token:" (a response folding
    /// line that is really the next header).
    fn looks_like_header(&self, pos: usize) -> bool {
        let l = &self.look;
        let a = pos + l.span(pos, |c| c == b' ' || c == b'\t');
        let t = l.span(a, is_token);
        let b = a + t;
        let b = b + l.span(b, |c| c == b' ' || c == b'\t');
        t > 0 && l.tag(b, b":")
    }

    /// A header value starting at `pos`, with its folded continuation lines,
    /// and the flags of their terminators.
    fn value(&self, pos: usize) -> Option<(Vec<u8>, usize, u8)> {
        let data = self.look.data();
        let (end, _, fold, next, mut f) = self.value_line(pos)?;
        let mut value = data.get(pos..end)?.to_vec();
        let mut rest = next;
        let Some(mut fold_byte) = fold else {
            return Some((value, rest, f));
        };
        let mut i = next;
        for _ in 0..MAX_FOLDS {
            if self.side == Side::Response && self.looks_like_header(i) {
                return Some((value, i, f));
            }
            let (end2, eol_len, fold2, next2, f2) = self.value_line(i)?;
            f |= f2;
            let start2 = i;
            i = next2;
            if !value.is_empty() {
                value.push(fold_byte);
            }
            // libhtp keeps an empty folded line with a one-byte terminator
            // as the start of what follows (it can end the section).
            if end2 > start2 || eol_len > 1 {
                rest = next2;
                value.extend_from_slice(data.get(start2..end2)?);
            } else if self.look.at(next2) == Some(b'\n') {
                rest = next2;
            }
            match fold2 {
                Some(b) => fold_byte = b,
                None => return Some((value, rest, f)),
            }
        }
        Some((value, rest, f))
    }

    /// What libhtp notes about a name (the bytes before the colon).
    fn name_flags(name: &[u8]) -> u8 {
        let sp = |c: &u8| *c == b' ' || *c == b'\t';
        let Some((first, last)) = name.first().zip(name.last()) else { return flags::NAME_EMPTY };
        let mut f = 0;
        if sp(first) {
            f |= flags::NAME_LEADING_WS;
        }
        if sp(last) {
            f |= flags::NAME_TRAILING_WS;
        }
        let lead = name.iter().take_while(|c| sp(c)).count();
        let token = name.get(lead..).unwrap_or(&[]).iter().take_while(|c| is_token(**c)).count();
        let trail = name.get(lead + token..).unwrap_or(&[]).iter().take_while(|c| sp(c)).count();
        if lead + token + trail < name.len() {
            f |= flags::NAME_NON_TOKEN;
        }
        f
    }

    /// Where the header name ends: at the first colon, or (no colon) at the
    /// first line end not followed by a space. libhtp lets a line end
    /// followed by a space continue the name.
    fn name_end(&self, pos: usize) -> usize {
        let data = self.look.data();
        let mut terminated = 0u8;
        let mut i = pos;
        loop {
            let Some(c) = self.look.at(i) else {
                // No colon yet: libhtp treats the name as empty.
                return pos;
            };
            if terminated == 0 {
                if c == b':' {
                    return i;
                }
                if self.is_eol(c) {
                    terminated = c;
                }
            } else if c == b' ' {
                terminated = 0;
            } else if c == b'\n' && terminated == b'\r' {
                terminated = b'\n';
            } else {
                return (i - 1).max(pos).min(data.len());
            }
            i += 1;
        }
    }

    fn header(&self, pos: usize) -> Option<Item> {
        let ne = self.name_end(pos);
        if self.look.at(ne) == Some(b':') {
            let v = ne + 1 + self.look.span(ne + 1, |c| c == b' ' || c == b'\t');
            if let Some((value, end, f)) = self.value(v) {
                let name = self.look.data().get(pos..ne).unwrap_or(&[]);
                let flags = f | Self::name_flags(name);
                return Some(Item::Header { name: (pos, ne), value: trim(&value).to_vec(), end, flags });
            }
        }
        // No colon: the whole line is the value of a nameless header.
        if self.look.tag(pos, b"\r\n") {
            return None;
        }
        let (value, end, f) = self.value(pos)?;
        let flags = f | flags::MISSING_COLON | flags::NAME_EMPTY;
        Some(Item::Header { name: (pos, pos), value: trim(&value).to_vec(), end, flags })
    }
}

/// Parses the next item of a header section. `buf` starts at an item
/// boundary; `first` says no header was parsed yet in this section;
/// `closed` says no more data will come (decide with what is there).
pub(crate) fn next_item(side: Side, buf: &[u8], first: bool, closed: bool) -> Item {
    let p = P { side, look: Look::new(buf) };
    let item = if first {
        // A section starting with CRLF is empty (libhtp). One starting with
        // a bare LF too: libhtp sees an empty header there when more data is
        // in the same chunk, and an empty section otherwise; the latter is
        // what servers and browsers do. A response section starting with a
        // bare CR or LF-CR does hold an empty header (libhtp, both ways).
        if p.look.tag(0, b"\r\n") || (side == Side::Request && p.look.tag(0, b"\n")) {
            p.eol_any(0).map(|len| Item::End { end: len })
        } else if side == Side::Response && p.look.tag(0, b"\n") && !p.look.tag(0, b"\n\r") {
            Some(Item::End { end: 1 })
        } else {
            None
        }
    } else {
        p.eol_regular(0).map(|len| Item::End { end: len })
    };
    let item = item.or_else(|| p.header(0));
    if p.look.short() && !closed {
        return Item::NeedMore;
    }
    match item {
        Some(Item::Header { end: 0, .. }) => Item::End { end: buf.len() },
        Some(item) => item,
        // Nothing parses (only possible at close): the section is over.
        None if closed => Item::End { end: buf.len() },
        None => Item::NeedMore,
    }
}

/// The first value of a header (libhtp keeps the first Content-Length when
/// it is repeated). Names compare case-insensitively, ignoring NUL bytes.
pub(crate) fn first_value<'a>(headers: &'a [Header], lower_name: &[u8]) -> Option<&'a [u8]> {
    headers.iter().find(|h| eq_nocase_nozero(&h.name, lower_name)).map(|h| h.value.as_slice())
}

/// All values of a header joined with ", " (libhtp's header table).
pub(crate) fn joined_value(headers: &[Header], lower_name: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    for h in headers.iter().filter(|h| eq_nocase_nozero(&h.name, lower_name)) {
        match &mut out {
            Some(v) => {
                v.extend_from_slice(b", ");
                v.extend_from_slice(&h.value);
            }
            None => out = Some(h.value.clone()),
        }
    }
    out
}

/// Whether a request line (or status line) "line" is only whitespace that
/// libhtp ignores before a message: CR, LF or CRLF alone.
pub(crate) fn is_empty_line(line: &[u8]) -> bool {
    matches!(line, b"\r" | b"\n" | b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a whole section (all data present) into (name, value) pairs
    /// and the offset of the body.
    type NameValues = Vec<(Vec<u8>, Vec<u8>)>;

    fn parse_all(side: Side, buf: &[u8]) -> (NameValues, Option<usize>) {
        let mut out = Vec::new();
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            match next_item(side, rest, out.is_empty(), true) {
                Item::Header { name, value, end, .. } => {
                    out.push((trim(&rest[name.0..name.1]).to_vec(), value));
                    pos += end;
                }
                Item::End { end } => return (out, Some(pos + end)),
                Item::NeedMore => return (out, None),
            }
        }
    }

    fn hv(pairs: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        pairs.iter().map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec())).collect()
    }

    #[test]
    fn plain_crlf_and_lf() {
        for side in [Side::Request, Side::Response] {
            let (h, end) = parse_all(side, b"A: 1\r\nB:2\r\n\r\nbody");
            assert_eq!(h, hv(&[("A", "1"), ("B", "2")]));
            assert_eq!(end, Some(13));
            let (h, end) = parse_all(side, b"A: 1\nB:2\n\nbody");
            assert_eq!(h, hv(&[("A", "1"), ("B", "2")]));
            assert_eq!(end, Some(10));
        }
    }

    #[test]
    fn folding() {
        let input = b"Name1: Value1\r\nName3: Val\r\n ue3\r\nName4: Value4\r\n Value4.1\n\tValue4.2\r\n\r\n";
        for side in [Side::Request, Side::Response] {
            let (h, _) = parse_all(side, input);
            assert_eq!(h, hv(&[("Name1", "Value1"), ("Name3", "Val ue3"), ("Name4", "Value4 Value4.1\tValue4.2")]));
        }
    }

    #[test]
    fn cr_only_lines_end_response_headers() {
        // libhtp: bare CR terminates response header lines, not request ones.
        let input = b"Host:www.google.com\rName: Value\r\n\r\n";
        let (h, _) = parse_all(Side::Response, input);
        assert_eq!(h, hv(&[("Host", "www.google.com"), ("Name", "Value")]));
        let (h, _) = parse_all(Side::Request, input);
        assert_eq!(h, hv(&[("Host", "www.google.com\rName: Value")]));
    }

    #[test]
    fn missing_colon_and_odd_names() {
        let (h, _) = parse_all(Side::Request, b"k1:v1\r\n:v2\r\n v2+\r\nk3: v3\r\nk4 v4\r\nk\r5:v\r5\n\rmore\r\n\r\n");
        assert_eq!(h, hv(&[("k1", "v1"), ("", "v2 v2+"), ("k3", "v3"), ("", "k4 v4"), ("k\r5", "v\r5"), ("", "more")]));
        let (h, _) = parse_all(Side::Request, b"Hello : world\r\n Hello2;x: w2\r\n\r\n");
        assert_eq!(h, hv(&[("Hello", "world Hello2;x: w2")]));
        let (h, _) = parse_all(Side::Response, b"K\r :Value\r\n V\r\n\r\n");
        assert_eq!(h, hv(&[("K", "Value V")]));
    }

    #[test]
    fn response_fold_that_is_a_header() {
        // A continuation line that looks like "token:" starts a new header.
        let (h, _) = parse_all(Side::Response, b"A: b\r\n C: d\r\n\r\n");
        assert_eq!(h, hv(&[("A", "b"), ("C", "d")]));
        let (h, _) = parse_all(Side::Request, b"A: b\r\n C: d\r\n\r\n");
        assert_eq!(h, hv(&[("A", "b C: d")]));
    }

    #[test]
    fn whitespace_line_ends_section() {
        // "\n \n": an empty folded line with a one-byte terminator ends it.
        let (h, end) = parse_all(Side::Response, b"A: b\n \nbody");
        assert_eq!(h, hv(&[("A", "b")]));
        assert_eq!(end, Some(7));
    }

    #[test]
    fn deformed_line_ends() {
        let (h, _) = parse_all(Side::Response, b"K:deformed folded\n\r V\n\r\r\n\n");
        assert_eq!(h, hv(&[("K", "deformed folded V")]));
        let (h, _) = parse_all(Side::Request, b"Name1: Value1\n\rName2:Value2\n\r\n\r");
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn waits_for_lookahead() {
        assert_eq!(next_item(Side::Request, b"A: b", true, false), Item::NeedMore);
        assert_eq!(next_item(Side::Request, b"A: b\r\n", true, false), Item::NeedMore);
        assert_eq!(next_item(Side::Response, b"A: b\r", true, false), Item::NeedMore);
        assert!(matches!(next_item(Side::Request, b"A: b\r\nC", true, false), Item::Header { end: 6, .. }));
        assert_eq!(next_item(Side::Request, b"\r\n", false, false), Item::End { end: 2 });
        assert_eq!(next_item(Side::Response, b"\r\n", false, false), Item::End { end: 2 });
        // Unterminated at close: taken as it is.
        assert_eq!(next_item(Side::Request, b"A: b", true, true), Item::End { end: 4 });
    }

    #[test]
    fn segmentation_does_not_matter() {
        let inputs: [&[u8]; 4] = [
            b"A: 1\r\nB: 2\r\n x\r\n\r\nrest",
            b"A: 1\nB:\n\r\n\rC\r\n\r\n",
            b"X:a\r\r\nY:b\n\r\n\r\r\nZ",
            b"K\r \r :\r V\r\n\r\n",
        ];
        for side in [Side::Request, Side::Response] {
            for input in inputs {
                let want = parse_all(side, input);
                // Grow the buffer one byte at a time: the first non-NeedMore
                // answer must equal the all-at-once answer.
                let mut got = Vec::new();
                let mut pos = 0;
                let mut end = None;
                let mut avail = pos;
                while avail <= input.len() {
                    let closed = avail == input.len();
                    match next_item(side, &input[pos..avail], got.is_empty(), closed) {
                        Item::NeedMore => avail += 1,
                        Item::Header { name, value, end: e, .. } => {
                            got.push((trim(&input[pos + name.0..pos + name.1]).to_vec(), value));
                            pos += e;
                            avail = avail.max(pos);
                        }
                        Item::End { end: e } => {
                            end = Some(pos + e);
                            break;
                        }
                    }
                }
                assert_eq!((got, end), want, "{side:?} {:?}", String::from_utf8_lossy(input));
            }
        }
    }
}
