//! Candidates chosen without scanning, for packets whose payload also goes
//! into a reassembled stream. Such a packet is inspected only by the few
//! packet-only rules (`tcp-pkt`, `dsize`), yet every TCP data packet is one,
//! so a prefilter scan of each would cost as much as inspecting the stream.
//! Most packet-only rules name a small payload size or a service port, and
//! those select their signatures exactly as well as a fast pattern: a
//! signature gated here is a candidate only when the size or port fits
//! (header and `dsize` tests are verified again anyway). So does a content
//! the rule requires at a fixed place near the start (`startswith`,
//! `offset`/`depth`): looking at those few bytes costs less than a call
//! into Hyperscan, and a group left without patterns is not scanned at all.

use std::collections::HashMap;

use memchr::memmem;

use super::Signature;
use crate::rules::numeric::NumCmp;
use crate::rules::packet::FlagsMode;
use crate::rules::payload::{Item, Num};
use crate::rules::{FlowbitsCmd, PacketCheck};

/// Payload sizes up to which a `dsize` rule is selected by size.
const DSIZE_GATE_MAX: u64 = 1024;
/// Port sets up to this many ports are indexed.
const PORT_GATE_MAX: usize = 64;

/// Payload bytes a [`PayloadWindow`] may span to be used as a gate.
const WINDOW_GATE_MAX: usize = 256;

type PortMap = HashMap<u16, Vec<u32>, foldhash::fast::FixedState>;

/// A content a signature needs within fixed payload offsets: every
/// non-negated content that is not relative to another must be found for
/// the signature to match, so finding it there is a necessary condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadWindow {
    start: usize,
    /// Where a match must have ended, at the latest (offset + depth: in
    /// Suricata depth counts from the offset; taking the later end keeps
    /// this a superset either way).
    end: usize,
    pattern: Box<[u8]>,
    nocase: bool,
}

impl PayloadWindow {
    /// The narrowest such content of a rule's payload keywords, if one
    /// ends within [`WINDOW_GATE_MAX`] bytes.
    pub fn of(items: &[Item]) -> Option<PayloadWindow> {
        let lit = |n: Option<Num>| match n {
            None => Some(None),
            Some(Num::Lit(v)) => usize::try_from(v).ok().map(Some),
            Some(Num::Var(_)) => None,
        };
        items
            .iter()
            .filter_map(|i| match i {
                Item::Content(c) if !c.negated && !c.is_relative() && !c.pattern.is_empty() => Some(c),
                _ => None,
            })
            .filter_map(|c| {
                let start = lit(c.offset)?.unwrap_or(0);
                let depth = if c.startswith { Some(c.pattern.len()) } else { lit(c.depth)? }?;
                let end = start.checked_add(depth)?;
                (end <= WINDOW_GATE_MAX && end >= start + c.pattern.len()).then(|| PayloadWindow {
                    start,
                    end,
                    pattern: c.pattern.clone().into(),
                    nocase: c.nocase,
                })
            })
            .min_by_key(|w| w.end - w.start)
    }

    #[cfg(test)]
    fn found(&self, payload: &[u8]) -> bool {
        self.found_with(payload, None)
    }

    /// [`PayloadWindow::found`], with a searcher for the pattern when the
    /// window is wider than it and case matters.
    fn found_with(&self, payload: &[u8], finder: Option<&memmem::Finder<'_>>) -> bool {
        let Some(area) = payload.get(self.start..self.end.min(payload.len())) else { return false };
        let pat = &*self.pattern;
        let (Some(last), Some(&first)) = (area.len().checked_sub(pat.len()), pat.first()) else { return false };
        if let Some(f) = finder {
            return f.find(area).is_some();
        }
        // One byte tells most places apart; nocase folds it.
        let first = first.to_ascii_lowercase();
        area.get(..=last).unwrap_or_default().iter().enumerate().any(|(at, b)| {
            b.to_ascii_lowercase() == first && {
                let here = area.get(at..at + pat.len()).unwrap_or_default();
                here == pat || (self.nocase && here.eq_ignore_ascii_case(pat))
            }
        })
    }
}

/// A flowbit a signature needs set (`flowbits:isset` of one name, or of
/// all of several).
fn flowbit_gate(s: &Signature) -> Option<u16> {
    s.flowbit_tests
        .iter()
        .filter(|t| t.cmd == FlowbitsCmd::IsSet && (t.count == 1 || !t.any))
        .find_map(|t| t.ids().first().copied())
}

/// The `dsize`-gated signatures by payload size: those of size `n` are
/// `ids[starts[n]..starts[n + 1]]`, for `n` up to [`DSIZE_GATE_MAX`] (no
/// gated signature accepts more). Looking them up costs the same for 80
/// gates as for one, where testing each gate cost ~600 instructions a
/// packet with ET Open (every TCP data packet asks).
#[derive(Default)]
struct SizeIndex {
    starts: Vec<u32>,
    ids: Vec<u32>,
}

impl SizeIndex {
    fn build(gates: &[(NumCmp, u32)]) -> SizeIndex {
        if gates.is_empty() {
            return SizeIndex::default();
        }
        let mut index = SizeIndex { starts: Vec::with_capacity(DSIZE_GATE_MAX as usize + 2), ids: Vec::new() };
        for size in 0..=DSIZE_GATE_MAX {
            index.starts.push(index.ids.len() as u32);
            index.ids.extend(gates.iter().filter(|(n, _)| n.matches(size)).map(|&(_, id)| id));
        }
        index.starts.push(index.ids.len() as u32);
        index
    }

    fn get(&self, size: usize) -> &[u32] {
        match (self.starts.get(size), self.starts.get(size + 1)) {
            (Some(&a), Some(&b)) => self.ids.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

#[derive(Default)]
pub struct Gates {
    by_dsize: Vec<(NumCmp, u32)>,
    by_size: SizeIndex,
    /// With a searcher where the window is wider than its pattern and
    /// case matters.
    by_window: Vec<(PayloadWindow, Option<memmem::Finder<'static>>, u32)>,
    by_flowbit: Vec<(u16, u32)>,
    by_dport: PortMap,
    by_sport: PortMap,
}

/// The `dsize` test of a signature, if it only accepts small payloads.
fn dsize_gate(s: &Signature) -> Option<NumCmp> {
    s.checks.iter().find_map(|c| match c {
        PacketCheck::Dsize(n) if n.max_value().is_some_and(|m| m <= DSIZE_GATE_MAX) => Some(*n),
        _ => None,
    })
}

fn few_ports(p: &crate::rules::header::PortRanges) -> Option<Vec<u16>> {
    let n: usize = p.ranges().iter().map(|&(lo, hi)| usize::from(hi - lo) + 1).sum();
    (!p.is_any() && n <= PORT_GATE_MAX).then(|| p.ranges().iter().flat_map(|&(lo, hi)| lo..=hi).collect())
}

impl Gates {
    pub fn is_empty(&self) -> bool {
        self.by_dsize.is_empty()
            && self.by_window.is_empty()
            && self.by_flowbit.is_empty()
            && self.by_dport.is_empty()
            && self.by_sport.is_empty()
    }

    /// Builds the lookup tables once every signature has been offered
    /// ([`Gates::try_add`]).
    pub fn index(&mut self) {
        self.by_size = SizeIndex::build(&self.by_dsize);
    }

    /// Takes signature `s` if a size or port selects it; false if it needs
    /// the prefilter.
    pub fn try_add(&mut self, s: &Signature) -> bool {
        if let Some(n) = dsize_gate(s) {
            self.by_dsize.push((n, s.id));
            return true;
        }
        if let Some(bit) = flowbit_gate(s) {
            self.by_flowbit.push((bit, s.id));
            return true;
        }
        if let Some(w) = &s.payload_window {
            let finder = (!w.nocase && w.end - w.start > w.pattern.len())
                .then(|| memmem::Finder::new(&w.pattern[..]).into_owned());
            self.by_window.push((w.clone(), finder, s.id));
            return true;
        }
        if s.bidirectional {
            return false;
        }
        let (map, ports) = match (few_ports(&s.dports), few_ports(&s.sports)) {
            (Some(p), _) => (&mut self.by_dport, p),
            (None, Some(p)) => (&mut self.by_sport, p),
            (None, None) => return false,
        };
        for p in ports {
            map.entry(p).or_default().push(s.id);
        }
        true
    }

    /// Appends the signatures `payload` between ports `sp` and `dp` may
    /// match.
    pub fn candidates(&self, payload: &[u8], sp: u16, dp: u16, out: &mut Vec<u32>) {
        out.extend_from_slice(self.by_size.get(payload.len()));
        for (w, finder, id) in &self.by_window {
            if w.found_with(payload, finder.as_ref()) {
                out.push(*id);
            }
        }
        if let Some(v) = self.by_dport.get(&dp) {
            out.extend_from_slice(v);
        }
        if let Some(v) = self.by_sport.get(&sp) {
            out.extend_from_slice(v);
        }
    }

    /// Some signature waits for a flowbit ([`Gates::flowbit_candidates`]).
    pub fn has_flowbit_gates(&self) -> bool {
        !self.by_flowbit.is_empty()
    }

    /// Appends the signatures whose flowbit is set, or all of them when a
    /// candidate of this packet (`setter`) may set flowbits before they
    /// are evaluated (they are then verified as any candidate is).
    pub fn flowbit_candidates(&self, is_set: impl Fn(u16) -> bool, setter: bool, out: &mut Vec<u32>) {
        out.extend(self.by_flowbit.iter().filter(|&&(bit, _)| setter || is_set(bit)).map(|&(_, id)| id));
    }
}

/// A signature evaluated on every buffer of its group for want of a fast
/// pattern, with what it needs of the packet header, read from its own
/// packet checks so that one that cannot match is skipped before it
/// becomes a candidate (without touching the signature). Most such rules
/// in ET Open are SYN-only scan rules (`flags:S`) that would otherwise be
/// evaluated on every data packet; `ip_proto` rules written for `ip` sit in
/// the TCP and UDP groups too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Unfiltered {
    pub id: u32,
    /// TCP flags that must be set (`flags` without `*` or `!`).
    tcp_flags: u8,
    /// The IP protocol required (`ip_proto:N`).
    ip_proto: Option<u8>,
}

impl Unfiltered {
    pub fn of(s: &Signature) -> Unfiltered {
        let (mut tcp_flags, mut ip_proto) = (0, None);
        for c in s.checks.iter() {
            match c {
                PacketCheck::Flags(f) if matches!(f.mode, FlagsMode::Exact | FlagsMode::All) => {
                    tcp_flags |= f.flags & !f.ignore;
                }
                PacketCheck::IpProto(NumCmp::Eq(n)) => ip_proto = u8::try_from(*n).ok(),
                _ => {}
            }
        }
        Unfiltered { id: s.id, tcp_flags, ip_proto }
    }

    /// Whether the signature may match a packet with these TCP flags (0
    /// for other protocols) and IP protocol.
    #[inline]
    pub fn may_match(&self, tcp_flags: u8, ip_proto: u8) -> bool {
        tcp_flags & self.tcp_flags == self.tcp_flags && self.ip_proto.is_none_or(|p| p == ip_proto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::payload::Content;

    fn content(pattern: &[u8], f: impl FnOnce(&mut Content)) -> Item {
        let mut c = Content { pattern: pattern.to_vec(), ..Content::default() };
        f(&mut c);
        Item::Content(c)
    }

    #[test]
    fn payload_window_takes_the_narrowest_fixed_content() {
        let items = [
            content(b"MZ", |c| c.startswith = true),
            content(b"PE\0\0", |c| c.distance = Some(Num::Lit(-64))),
            content(b"whoami", |c| c.depth = Some(Num::Lit(8))),
        ];
        let w = PayloadWindow::of(&items).unwrap();
        assert_eq!((w.start, w.end, &*w.pattern), (0, 2, &b"MZ"[..]));
        assert!(w.found(b"MZ\x90\x00") && !w.found(b"xMZ") && !w.found(b"M"));
        let w = PayloadWindow::of(&items[1..]).unwrap();
        assert!(w.found(b"  whoami") && !w.found(b"   whoami") && !w.found(b""));
        // offset + depth, nocase.
        let w = PayloadWindow::of(&[content(b"user", |c| {
            c.offset = Some(Num::Lit(4));
            c.depth = Some(Num::Lit(6));
            c.nocase = true;
        })])
        .unwrap();
        assert!(w.found(b"1234xxUSER") && !w.found(b"1234xxxUSER") && !w.found(b"USER"));
    }

    #[test]
    fn payload_window_search_agrees_with_comparing_at_every_place() {
        // Every payload of up to 7 bytes over a small alphabet that has
        // both cases and a byte without case, against every window.
        let alphabet = b"aA-b";
        let naive = |w: &PayloadWindow, p: &[u8]| {
            let Some(area) = p.get(w.start..w.end.min(p.len())) else { return false };
            area.windows(w.pattern.len()).any(|x| {
                if w.nocase {
                    x.eq_ignore_ascii_case(&w.pattern)
                } else {
                    *x == *w.pattern
                }
            })
        };
        let mut windows = Vec::new();
        for pattern in [&b"a"[..], b"Ab", b"-a", b"aa", b"b-A"] {
            for (start, end) in [(0, 3), (1, 7), (0, 256), (2, 4)] {
                for nocase in [false, true] {
                    windows.push(PayloadWindow { start, end, pattern: pattern.into(), nocase });
                }
            }
        }
        let mut payload = Vec::new();
        for len in 0..=7u32 {
            for code in 0..alphabet.len().pow(len) {
                payload.clear();
                let mut c = code;
                for _ in 0..len {
                    payload.push(alphabet[c % alphabet.len()]);
                    c /= alphabet.len();
                }
                for w in &windows {
                    let want = naive(w, &payload);
                    let shown = payload.escape_ascii().to_string();
                    assert_eq!(w.found(&payload), want, "{w:?} in {shown:?}");
                    if !w.nocase {
                        let f = memmem::Finder::new(&w.pattern[..]);
                        assert_eq!(w.found_with(&payload, Some(&f)), want, "{w:?} in {shown:?}, searcher");
                    }
                }
            }
        }
    }

    #[test]
    fn dsize_gates_select_by_the_payload_size_exactly_as_their_test() {
        let cmps = [
            NumCmp::Eq(0),
            NumCmp::Lt(3),
            NumCmp::Le(1024),
            NumCmp::Range(10, 20),
            NumCmp::Eq(1024),
            NumCmp::Range(1, 2),
        ];
        let mut gates =
            Gates { by_dsize: cmps.iter().enumerate().map(|(i, &n)| (n, i as u32)).collect(), ..Gates::default() };
        gates.index();
        let payload = vec![b'x'; 1500];
        for size in 0..=1500 {
            let mut out = Vec::new();
            gates.candidates(&payload[..size], 1, 2, &mut out);
            let want: Vec<u32> =
                cmps.iter().enumerate().filter(|(_, n)| n.matches(size as u64)).map(|(i, _)| i as u32).collect();
            assert_eq!(out, want, "size {size}");
        }
        // Not indexed: nothing gated by size.
        let mut out = Vec::new();
        Gates::default().candidates(b"abc", 1, 2, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn flowbit_gated_signatures_wait_for_their_bit_or_a_setter() {
        let gates = Gates { by_flowbit: vec![(3, 10), (5, 11)], ..Gates::default() };
        let mut out = Vec::new();
        gates.flowbit_candidates(|b| b == 5, false, &mut out);
        assert_eq!(out, [11]);
        out.clear();
        gates.flowbit_candidates(|_| false, false, &mut out);
        assert!(out.is_empty());
        // A signature of this packet may set the bit before they run.
        gates.flowbit_candidates(|_| false, true, &mut out);
        assert_eq!(out, [10, 11]);
    }

    #[test]
    fn payload_window_needs_a_required_bounded_content() {
        let none = |items: &[Item]| PayloadWindow::of(items).is_none();
        assert!(none(&[content(b"evil", |_| {})]));
        assert!(none(&[content(b"evil", |c| {
            c.startswith = true;
            c.negated = true;
        })]));
        assert!(none(&[content(b"evil", |c| c.depth = Some(Num::Var(0)))]));
        assert!(none(&[content(b"evil", |c| c.depth = Some(Num::Lit(4096)))]));
        assert!(none(&[content(b"evil", |c| {
            c.depth = Some(Num::Lit(4));
            c.within = Some(Num::Lit(10));
        })]));
    }

    #[test]
    fn unfiltered_signatures_need_their_flags_and_ip_protocol() {
        let rules = "alert tcp any any -> any 22 (flags:S,12; sid:1;)\n\
                     alert tcp any any -> any any (flags:+FA; sid:2;)\n\
                     alert tcp any any -> any any (flags:*SR; sid:3;)\n\
                     alert tcp any any -> any any (flags:!S; sid:4;)\n\
                     alert ip any any -> any any (ip_proto:41; sid:5;)\n\
                     alert ip any any -> any any (ip_proto:!41; sid:6;)\n";
        let e = super::super::tests::build(rules, super::super::DetectConfig::default());
        let of = |sid: u32| Unfiltered::of(e.sigs.iter().find(|s| s.sid == sid).unwrap());
        let (syn, synack, ack, fin_ack, psh_ack) = (0x02, 0x12, 0x10, 0x11, 0x18);
        // flags:S,12: SYN set (the exact match is still the rule's own test).
        assert!(of(1).may_match(syn, 6) && of(1).may_match(synack, 6));
        assert!(!of(1).may_match(psh_ack, 6) && !of(1).may_match(0, 17));
        assert!(of(2).may_match(fin_ack, 6) && !of(2).may_match(ack, 6));
        // Any-of and none-of name no flag that must be set.
        for sid in [3, 4] {
            assert!(of(sid).may_match(psh_ack, 6) && of(sid).may_match(0, 17));
        }
        assert!(of(5).may_match(0, 41) && !of(5).may_match(psh_ack, 6) && !of(5).may_match(0, 17));
        assert!(of(6).may_match(psh_ack, 6) && of(6).may_match(0, 41));
    }
}
