//! Payload inspection: a rule's content/pcre/byte_*/isdataat/asn1 keywords
//! for one buffer, compiled into a program and run with Suricata's
//! semantics.
//!
//! The search keeps a "buffer offset" (end of the previous match) that
//! relative keywords (distance/within, pcre `R`, `relative`) start from.
//! When a keyword fails and the one before it can occur again further on,
//! that one is searched again from one byte past its previous start
//! (backtracking), as Suricata does; a failing absolute keyword ends the
//! inspection at once. A recursion budget bounds the work on hostile input.

use memchr::memmem;

use super::bytes;
use super::regexes::RegexTable;
use crate::rules::payload::{ByteExtract, ByteJump, ByteMath, ByteOp, ByteTest, IsDataAt, MathOp, Num};
use crate::rules::{Asn1, Content, Item};

/// byte_extract variables a rule may define.
pub const MAX_VARS: usize = 64;
/// Keyword evaluations allowed per buffer inspection (Suricata's
/// `inspection-recursion-limit`).
pub const RECURSION_BUDGET: u32 = 3000;

pub struct ContentOp {
    /// Lowercased when `nocase`.
    pattern: Box<[u8]>,
    finder: memmem::Finder<'static>,
    nocase: bool,
    negated: bool,
    offset: Option<Num>,
    depth: Option<Num>,
    distance: Option<Num>,
    within: Option<Num>,
    startswith: bool,
    endswith: bool,
}

impl ContentOp {
    pub fn new(c: &Content) -> Self {
        let pattern: Box<[u8]> =
            if c.nocase { c.pattern.to_ascii_lowercase().into() } else { c.pattern.clone().into() };
        ContentOp {
            finder: memmem::Finder::new(&pattern).into_owned(),
            pattern,
            nocase: c.nocase,
            negated: c.negated,
            offset: c.offset,
            depth: c.depth,
            distance: c.distance,
            within: c.within,
            startswith: c.startswith,
            endswith: c.endswith,
        }
    }

    fn relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }

    fn find(&self, hay: &[u8]) -> Option<usize> {
        if !self.nocase {
            return self.finder.find(hay);
        }
        let pat = &self.pattern;
        let last = hay.len().checked_sub(pat.len())?;
        let first = pat[0];
        let upper = first.to_ascii_uppercase();
        let mut i = 0;
        while i <= last {
            let window = &hay[i..=last];
            let rel =
                if first == upper { memchr::memchr(first, window) } else { memchr::memchr2(first, upper, window) }?;
            let at = i + rel;
            if hay[at..at + pat.len()].eq_ignore_ascii_case(pat) {
                return Some(at);
            }
            i = at + 1;
        }
        None
    }

    fn equals(&self, bytes: &[u8]) -> bool {
        if self.nocase {
            bytes.eq_ignore_ascii_case(&self.pattern)
        } else {
            bytes == &*self.pattern
        }
    }
}

pub struct PcreOp {
    /// Index into the per-worker regex table.
    pub regex: usize,
    negated: bool,
    relative: bool,
    /// Starts with `^`: anchored at the start of the message.
    caret: bool,
    /// `A`: the match must start where the search starts. A leftmost
    /// search finds an anchored match if one exists, so checking the start
    /// is exact.
    anchored: bool,
}

pub enum Op {
    Content(Box<ContentOp>),
    Pcre(PcreOp),
    ByteTest(ByteTest),
    ByteJump(ByteJump),
    ByteExtract(ByteExtract),
    ByteMath(ByteMath),
    IsDataAt(IsDataAt),
    Base64(Box<Base64Op>),
    Asn1(Asn1),
}

/// `base64_decode` with the program of the keywords after `base64_data`.
pub struct Base64Op {
    bytes: u32,
    offset: u32,
    relative: bool,
    data: Program,
}

impl Op {
    /// Whether the keyword's position counts from the message start.
    fn positional(&self) -> bool {
        match self {
            Op::Content(c) => !c.relative() && (c.offset.is_some() || c.depth.is_some() || c.startswith),
            Op::Pcre(p) => !p.relative && (p.anchored || p.caret),
            Op::ByteTest(t) => !t.relative,
            Op::ByteJump(j) => !j.relative || j.from_beginning,
            Op::ByteExtract(e) => !e.relative,
            Op::ByteMath(m) => !m.relative,
            Op::IsDataAt(i) => !i.relative,
            Op::Base64(b) => !b.relative,
            Op::Asn1(a) => !a.is_relative(),
        }
    }

    /// Whether the keyword before this one is searched again when the rest
    /// fails.
    fn relative(&self) -> bool {
        match self {
            Op::Content(c) => c.relative(),
            Op::Pcre(p) => p.relative,
            Op::ByteTest(t) => t.relative,
            Op::ByteJump(j) => j.relative,
            Op::ByteExtract(e) => e.relative,
            Op::ByteMath(m) => m.relative,
            Op::IsDataAt(i) => i.relative,
            Op::Base64(b) => b.relative,
            // Suricata's asn1 never marks the keyword before it (its setup
            // leaves the previous content's flags alone).
            Op::Asn1(_) => false,
        }
    }
}

/// Whether keyword `i` is worth searching again when the keywords after it
/// fail: the next one is relative to it. Across an asn1 keyword Suricata
/// follows the flag the next relative keyword set on the keyword before
/// the asn1, and a content with distance but no within sets none.
fn retried(ops: &[Op], i: usize) -> bool {
    match ops.get(i + 1) {
        Some(Op::Asn1(_)) => ops[i + 1..].iter().find(|o| !matches!(o, Op::Asn1(_))).is_some_and(|o| match o {
            Op::Content(c) => c.within.is_some(),
            o => o.relative(),
        }),
        Some(o) => o.relative(),
        None => false,
    }
}

/// A compiled keyword list for one buffer.
pub struct Program {
    ops: Box<[Op]>,
    /// `relative_next[i]`: the keyword after `i` is relative to it, so `i`
    /// is worth searching again when the rest fails.
    relative_next: Box<[bool]>,
    /// Some keyword's position counts from the message start.
    positional: bool,
}

/// Per-worker state for running programs.
pub struct ProgramScratch {
    vars: [u64; MAX_VARS],
    budget: u32,
    /// What `base64_decode` decoded (reused).
    decoded: Vec<u8>,
    /// Where the last successful match ended (buffer index).
    pub match_end: usize,
    /// Start of the earliest positive content or pcre match of the last
    /// complete match (0 when it had none).
    pub match_start: usize,
}

impl Default for ProgramScratch {
    fn default() -> Self {
        ProgramScratch {
            vars: [0; MAX_VARS],
            budget: RECURSION_BUDGET,
            decoded: Vec::new(),
            match_end: 0,
            match_start: 0,
        }
    }
}

/// How a buffer relates to the messages in it, for inspecting reassembled
/// stream data in overlapping windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement<'a> {
    /// Where messages may start. Positional keywords (`offset`, `depth`,
    /// `startswith`, byte_* and isdataat without `relative`, pcre `A` or
    /// `^`) count from one of these. A packet is one message starting at
    /// 0; in a stream, a segment's first byte is where its sender's write
    /// began, so a rule anchored at the start of a request still matches
    /// the tenth request of a connection, however the data was cut.
    pub anchors: &'a [u32],
    /// Bytes before this index were inspected before: a match counts only
    /// if it ends after it, so each occurrence alerts once.
    pub new_from: usize,
}

impl Default for Placement<'_> {
    fn default() -> Self {
        Placement { anchors: &[0], new_from: 0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Res {
    Match,
    NoMatch,
    /// Stop: nothing earlier can change the outcome (or budget spent).
    Abort,
}

struct Run<'a> {
    prog: &'a Program,
    buf: &'a [u8],
    regexes: &'a [pcre2::bytes::Regex],
    offset: usize,
    s: &'a mut ProgramScratch,
    /// Buffer index positional keywords count from.
    anchor: usize,
    new_from: usize,
    /// End of the furthest positive content/pcre match on the current path.
    hi: usize,
    /// Start of the earliest one.
    lo: usize,
    positive: bool,
    /// Complete matches rejected for ending in old data: only then is an
    /// absolute keyword worth searching again further on.
    stale: u32,
}

/// The payload program of `items` (None when there are none), its pcre
/// expressions taken from `regexes` (compiled there when not prepared).
pub fn compile_program(items: &[Item], regexes: &mut RegexTable) -> Result<Option<Program>, String> {
    if items.is_empty() {
        return Ok(None);
    }
    let mut pcre_error = None;
    let program = Program::new(items, |p| match regexes.index_of(p) {
        Ok(i) => i,
        Err(e) => {
            pcre_error = Some(e);
            usize::MAX
        }
    });
    match pcre_error {
        Some(e) => Err(e),
        None => Ok(Some(program)),
    }
}

impl Program {
    /// Compiles payload items; `pcre_base` is the index the first pcre of
    /// this program will have in the regex table, `regex_count` advances.
    pub fn new(items: &[Item], mut next_regex: impl FnMut(&crate::rules::Pcre) -> usize) -> Program {
        Program::build(items, &mut next_regex)
    }

    fn build(items: &[Item], next_regex: &mut dyn FnMut(&crate::rules::Pcre) -> usize) -> Program {
        let ops: Vec<Op> = items
            .iter()
            .map(|item| match item {
                Item::Content(c) => Op::Content(Box::new(ContentOp::new(c))),
                Item::Pcre(p) => Op::Pcre(PcreOp {
                    regex: next_regex(p),
                    negated: p.negated,
                    relative: p.relative,
                    anchored: p.anchored,
                    caret: p.source.starts_with('^'),
                }),
                Item::ByteTest(t) => Op::ByteTest(*t),
                Item::ByteJump(j) => Op::ByteJump(*j),
                Item::ByteExtract(e) => Op::ByteExtract(*e),
                Item::ByteMath(m) => Op::ByteMath(*m),
                Item::IsDataAt(i) => Op::IsDataAt(*i),
                Item::Base64Decode(d) => Op::Base64(Box::new(Base64Op {
                    bytes: d.bytes,
                    offset: d.offset,
                    relative: d.relative,
                    data: Program::build(&d.data, next_regex),
                })),
                Item::Asn1(a) => Op::Asn1(*a),
            })
            .collect();
        let relative_next = (0..ops.len()).map(|i| retried(&ops, i)).collect();
        let positional = ops.iter().any(Op::positional);
        Program { ops: ops.into(), relative_next, positional }
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Runs the program over `buf` (a packet payload, or the first window
    /// of a stream).
    pub fn matches(&self, buf: &[u8], regexes: &[pcre2::bytes::Regex], s: &mut ProgramScratch) -> bool {
        self.matches_at(buf, Placement::default(), regexes, s)
    }

    /// Runs the program over a buffer that may hold several messages.
    pub fn matches_at(
        &self,
        buf: &[u8],
        at: Placement<'_>,
        regexes: &[pcre2::bytes::Regex],
        s: &mut ProgramScratch,
    ) -> bool {
        let single = [0u32];
        let anchors = if self.positional && !at.anchors.is_empty() { at.anchors } else { &single[..] };
        // Work for all anchors together stays bounded.
        let mut total = 0u32;
        for &a in anchors {
            if a as usize > buf.len() || total >= 16 * RECURSION_BUDGET {
                break;
            }
            s.budget = RECURSION_BUDGET;
            let mut run = Run {
                prog: self,
                buf,
                regexes,
                offset: 0,
                s,
                anchor: a as usize,
                new_from: at.new_from,
                hi: 0,
                lo: usize::MAX,
                positive: false,
                stale: 0,
            };
            let r = run.eval(0);
            total += RECURSION_BUDGET - run.s.budget;
            if r == Res::Match {
                return true;
            }
        }
        false
    }
}

impl Run<'_> {
    fn value(&self, n: Num) -> i64 {
        match n {
            Num::Lit(v) => v,
            Num::Var(i) => self.s.vars.get(usize::from(i)).map_or(0, |&v| v.min(i64::MAX as u64) as i64),
        }
    }

    /// All keywords matched: the match counts if it reaches new data.
    fn complete(&mut self) -> Res {
        let end = if self.positive { self.hi } else { self.buf.len() };
        if self.new_from > 0 && end <= self.new_from {
            self.stale += 1;
            return Res::NoMatch;
        }
        self.s.match_end = end;
        self.s.match_start = if self.positive { self.lo } else { 0 };
        Res::Match
    }

    /// Runs `next` with `[start, end)` recorded as matched, then forgets it.
    fn matched_to(&mut self, start: usize, end: usize, next: usize) -> Res {
        let saved = (self.hi, self.lo, self.positive);
        self.hi = self.hi.max(end);
        self.lo = self.lo.min(start);
        self.positive = true;
        let r = self.eval(next);
        (self.hi, self.lo, self.positive) = saved;
        r
    }

    fn eval(&mut self, i: usize) -> Res {
        let Some(op) = self.prog.ops.get(i) else { return self.complete() };
        if self.s.budget == 0 {
            return Res::Abort;
        }
        self.s.budget -= 1;
        match op {
            Op::Content(c) => self.content(i, c),
            Op::Pcre(p) => self.pcre(i, p),
            Op::ByteTest(t) => {
                if self.byte_test(t) {
                    self.eval(i + 1)
                } else {
                    Res::NoMatch
                }
            }
            Op::ByteJump(j) => match self.byte_jump(j) {
                Some(to) => {
                    self.offset = to;
                    self.eval(i + 1)
                }
                None => Res::NoMatch,
            },
            Op::ByteExtract(e) => match self.byte_extract(e) {
                Some(to) => {
                    self.offset = to;
                    self.eval(i + 1)
                }
                None => Res::NoMatch,
            },
            Op::ByteMath(m) => match self.byte_math(m) {
                Some(to) => {
                    self.offset = to;
                    self.eval(i + 1)
                }
                None => Res::NoMatch,
            },
            Op::IsDataAt(d) => {
                let at = self.value(d.offset).max(0);
                // Relative: `at` more bytes after the pointer (Suricata:
                // offset + N <= buffer length); absolute: the byte at
                // `at` exists.
                let present = if d.relative {
                    self.offset.saturating_add(at as usize) <= self.buf.len()
                } else {
                    self.anchor as i64 + at < self.buf.len() as i64
                };
                if present != d.negated {
                    self.eval(i + 1)
                } else if d.relative {
                    Res::NoMatch
                } else {
                    Res::Abort
                }
            }
            Op::Base64(b) => {
                if self.base64(b) {
                    self.eval(i + 1)
                } else {
                    Res::NoMatch
                }
            }
            Op::Asn1(a) => {
                if self.asn1(a) {
                    self.eval(i + 1)
                } else {
                    Res::NoMatch
                }
            }
        }
    }

    /// Decodes from the keyword's offset: `absolute_offset` (which wins) or
    /// the start of the message, else `relative_offset` from the end of the
    /// previous match. Suricata's offsets are 16-bit: a relative one that
    /// lands before the buffer or past 65535 decodes nothing.
    fn asn1(&self, a: &Asn1) -> bool {
        let start = match (a.absolute_offset, a.relative_offset) {
            (Some(abs), _) => self.anchor + usize::from(abs),
            (None, Some(rel)) => {
                let at = self.offset as i64 + i64::from(rel);
                if at < 0 || at - self.anchor as i64 > i64::from(u16::MAX) {
                    return false;
                }
                at as usize
            }
            (None, None) => self.anchor,
        };
        super::asn1::matches(a, self.buf, start)
    }

    /// Decodes the base64 text `b` points at and runs the `base64_data`
    /// keywords over it (Suricata decodes leniently, RFC 2045: characters
    /// outside the alphabet are skipped, `=` ends the text).
    fn base64(&mut self, b: &Base64Op) -> bool {
        let base = if b.relative { self.offset } else { self.anchor };
        let start = base.saturating_add(b.offset as usize);
        let Some(text) = self.buf.get(start..) else { return false };
        let text = if b.bytes == 0 { text } else { &text[..text.len().min(b.bytes as usize)] };
        let mut decoded = std::mem::take(&mut self.s.decoded);
        bytes::base64_decode_lenient(text, &mut decoded);
        let ok = !decoded.is_empty() && {
            // The decoded keywords get their own budget; the outer run
            // keeps what it had left.
            let (budget, end) = (self.s.budget, self.s.match_end);
            let hit = b.data.is_empty() || b.data.matches(&decoded, self.regexes, self.s);
            (self.s.budget, self.s.match_end) = (budget, end);
            hit
        };
        self.s.decoded = decoded;
        ok
    }

    /// The search window [start, end) for a content.
    fn window(&self, c: &ContentOp, prev: usize) -> (usize, usize) {
        let len = self.buf.len() as i64;
        if c.relative() {
            let distance = c.distance.map_or(0, |d| self.value(d));
            let start = (prev as i64 + distance).max(0);
            let mut end = len;
            if let Some(w) = c.within {
                end = end.min(prev as i64 + distance + self.value(w));
            }
            (start as usize, end.clamp(0, len) as usize)
        } else if c.startswith {
            let a = self.anchor as i64;
            (a.min(len) as usize, (a + c.pattern.len() as i64).min(len) as usize)
        } else if c.offset.is_none() && c.depth.is_none() {
            (0, len as usize)
        } else {
            let offset = self.anchor as i64 + c.offset.map_or(0, |o| self.value(o)).max(0);
            let end = match c.depth {
                Some(d) => (offset + self.value(d)).min(len),
                None => len,
            };
            (offset.min(len) as usize, end.max(0) as usize)
        }
    }

    fn content(&mut self, i: usize, c: &ContentOp) -> Res {
        let prev = self.offset;
        let single = !c.relative() && !self.prog.relative_next[i] && c.offset.is_none() && c.depth.is_none();
        let mut retry_from: Option<usize> = None;
        loop {
            let (mut start, end) = self.window(c, prev);
            if let Some(r) = retry_from {
                start = r;
            }
            let plen = c.pattern.len();
            let found = if start > end || end == 0 || end - start < plen {
                None
            } else if c.endswith {
                // Must sit exactly at the end of the buffer.
                (end == self.buf.len() && c.equals(&self.buf[end - plen..end])).then_some(end - plen)
            } else {
                c.find(&self.buf[start..end]).map(|p| start + p)
            };
            let Some(at) = found else {
                if c.negated {
                    return self.eval(i + 1);
                }
                return if c.relative() || retry_from.is_some() { Res::NoMatch } else { Res::Abort };
            };
            if c.negated {
                return if single { Res::Abort } else { Res::NoMatch };
            }
            self.offset = at + plen;
            let stale = self.stale;
            match self.matched_to(at, at + plen, i + 1) {
                Res::NoMatch => {}
                other => return other,
            }
            // In a stream window a later occurrence may be the one that
            // reaches new data.
            if (!self.prog.relative_next[i] && self.stale == stale) || c.endswith {
                return Res::NoMatch;
            }
            retry_from = Some(at + 1);
            self.offset = prev;
        }
    }

    fn pcre(&mut self, i: usize, p: &PcreOp) -> Res {
        let Some(re) = self.regexes.get(p.regex) else { return Res::NoMatch };
        let prev = self.offset;
        let base = if p.relative {
            prev.min(self.buf.len())
        } else if p.anchored || p.caret {
            self.anchor.min(self.buf.len())
        } else {
            0
        };
        let subject = &self.buf[base..];
        let mut from = 0usize;
        loop {
            if from > subject.len() {
                return Res::NoMatch;
            }
            let m = re
                .find_at(subject, from)
                .ok()
                .flatten()
                .map(|m| (m.start(), m.end()))
                .filter(|&(s, _)| !p.anchored || s == from);
            match (m, p.negated) {
                (Some(_), true) => return Res::NoMatch,
                (None, true) => return self.eval(i + 1),
                (None, false) => return Res::NoMatch,
                (Some((s, e)), false) => {
                    self.offset = base + e;
                    let stale = self.stale;
                    match self.matched_to(base + s, base + e, i + 1) {
                        Res::NoMatch => {}
                        other => return other,
                    }
                    if !self.prog.relative_next[i] && self.stale == stale {
                        return Res::NoMatch;
                    }
                    self.offset = prev;
                    from = s + 1;
                }
            }
        }
    }

    /// Start of the bytes a byte_* keyword reads, if `nbytes` fit.
    fn byte_pos(&self, offset: i64, relative: bool, nbytes: u8) -> Option<usize> {
        let base = if relative { self.offset } else { self.anchor } as i64;
        let at = base + offset;
        if at < 0 || at > self.buf.len() as i64 {
            return None;
        }
        let at = at as usize;
        let left = self.buf.len() - at;
        if usize::from(nbytes) > left || (relative && left == 0 && nbytes != 0) {
            return None;
        }
        Some(at)
    }

    fn byte_test(&mut self, t: &ByteTest) -> bool {
        let nbytes = match t.nbytes_var {
            None => t.nbytes,
            Some(i) => {
                let max = if t.string.is_some() { 20 } else { 8 };
                match u8::try_from(self.value(Num::Var(i))) {
                    Ok(n) if (1..=max).contains(&n) => n,
                    _ => return false,
                }
            }
        };
        let Some(at) = self.byte_pos(self.value(t.offset), t.relative, nbytes) else { return false };
        let Some((raw, _)) = bytes::extract(&self.buf[at..], nbytes, t.endian, t.string) else { return false };
        let v = bytes::apply_bitmask(raw, t.bitmask);
        let want = self.value(t.value) as u64;
        let hit = match t.op {
            ByteOp::Lt => v < want,
            ByteOp::Gt => v > want,
            ByteOp::Eq => v == want,
            ByteOp::Le => v <= want,
            ByteOp::Ge => v >= want,
            ByteOp::And => v & want != 0,
            ByteOp::Xor => v ^ want != 0,
        };
        hit != t.negated
    }

    fn byte_jump(&mut self, j: &ByteJump) -> Option<usize> {
        let at = self.byte_pos(self.value(j.offset), j.relative, j.nbytes)?;
        let (raw, used) = bytes::extract(&self.buf[at..], j.nbytes, j.endian, j.string)?;
        let mut v = bytes::apply_bitmask(raw, j.bitmask).checked_mul(u64::from(j.multiplier))? as i128;
        if j.align && v % 4 != 0 {
            v += 4 - v % 4;
        }
        v += i128::from(j.post_offset);
        let len = self.buf.len() as i128;
        let to = if j.from_beginning {
            v + self.anchor as i128
        } else if j.from_end {
            len + v
        } else {
            at as i128 + used as i128 + v
        };
        if to > len {
            return None;
        }
        Some(to.max(0) as usize)
    }

    fn byte_extract(&mut self, e: &ByteExtract) -> Option<usize> {
        let at = self.byte_pos(i64::from(e.offset), e.relative, e.nbytes)?;
        let (raw, used) = bytes::extract(&self.buf[at..], e.nbytes, e.endian, e.string)?;
        let mut v = bytes::apply_bitmask(raw, e.bitmask).checked_mul(u64::from(e.multiplier))?;
        let align = u64::from(e.align);
        if align != 0 && v % align != 0 {
            v = v - v % align + align;
        }
        *self.s.vars.get_mut(usize::from(e.var))? = v;
        Some(at + used)
    }

    /// byte_math: 64-bit unsigned arithmetic that wraps, as Suricata's; a
    /// division by 0 never matches. Like byte_extract, the pointer moves
    /// past the bytes read.
    fn byte_math(&mut self, m: &ByteMath) -> Option<usize> {
        let at = self.byte_pos(i64::from(m.offset), m.relative, m.nbytes)?;
        let (raw, used) = bytes::extract(&self.buf[at..], m.nbytes, m.endian, m.string)?;
        let v = bytes::apply_bitmask(raw, m.bitmask);
        let r = match m.rvalue {
            Num::Lit(n) => n as u64,
            Num::Var(i) => *self.s.vars.get(usize::from(i))?,
        };
        let v = match m.oper {
            MathOp::Add => v.wrapping_add(r),
            MathOp::Sub => v.wrapping_sub(r),
            MathOp::Mul => v.wrapping_mul(r),
            MathOp::Div => v.checked_div(r)?,
            MathOp::Shl => u32::try_from(r).ok().and_then(|r| v.checked_shl(r)).unwrap_or(0),
            MathOp::Shr => u32::try_from(r).ok().and_then(|r| v.checked_shr(r)).unwrap_or(0),
        };
        *self.s.vars.get_mut(usize::from(m.var))? = v;
        Some(at + used)
    }
}

#[cfg(test)]
mod tests;
