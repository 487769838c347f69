//! Candidates chosen without scanning, for packets whose payload also goes
//! into a reassembled stream. Such a packet is inspected only by the few
//! packet-only rules (`tcp-pkt`, `dsize`), yet every TCP data packet is one,
//! so a prefilter scan of each would cost as much as inspecting the stream.
//! Most packet-only rules name a small payload size or a service port, and
//! those select their signatures exactly as well as a fast pattern: a
//! signature gated here is a candidate only when the size or port fits
//! (header and `dsize` tests are verified again anyway).

use std::collections::HashMap;

use super::Signature;
use crate::rules::numeric::NumCmp;
use crate::rules::PacketCheck;

/// Payload sizes up to which a `dsize` rule is selected by size.
const DSIZE_GATE_MAX: u64 = 1024;
/// Port sets up to this many ports are indexed.
const PORT_GATE_MAX: usize = 64;

type PortMap = HashMap<u16, Vec<u32>, foldhash::fast::FixedState>;

#[derive(Default)]
pub struct Gates {
    by_dsize: Vec<(NumCmp, u32)>,
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
        self.by_dsize.is_empty() && self.by_dport.is_empty() && self.by_sport.is_empty()
    }

    /// Takes signature `s` if a size or port selects it; false if it needs
    /// the prefilter.
    pub fn try_add(&mut self, s: &Signature) -> bool {
        if let Some(n) = dsize_gate(s) {
            self.by_dsize.push((n, s.id));
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

    /// Appends the signatures a payload of `size` bytes between ports `sp`
    /// and `dp` may match.
    pub fn candidates(&self, size: u64, sp: u16, dp: u16, out: &mut Vec<u32>) {
        out.extend(self.by_dsize.iter().filter(|(n, _)| n.matches(size)).map(|&(_, id)| id));
        if let Some(v) = self.by_dport.get(&dp) {
            out.extend_from_slice(v);
        }
        if let Some(v) = self.by_sport.get(&sp) {
            out.extend_from_slice(v);
        }
    }
}
