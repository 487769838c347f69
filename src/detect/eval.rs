//! Evaluating candidate signatures against one packet (or, later, one
//! chunk of reassembled stream): header, flow, packet checks, flowbits,
//! then the payload program.

use std::net::IpAddr;

use super::program::Placement;
use super::signature::{FlowbitTest, FlowintOperand, ProtoClass, Signature};
use super::{BufferKind, DetectCtx, DetectEngine};
use crate::app::AppProto;
use crate::decode::{flags, Decoded, L4};
use crate::rules::packet::StreamSide;
use crate::rules::{FlowbitsCmd, FlowintOp, PacketCheck};

/// Flow facts detection needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowInfo {
    /// The packet travels from the flow's client to its server.
    pub to_server: bool,
    pub established: bool,
    /// Bytes sent by the client and by the server (sequence-space), for
    /// `stream_size`.
    pub client_bytes: u64,
    pub server_bytes: u64,
    /// The flow's application protocol, as recognised so far.
    pub app_proto: AppProto,
}

/// What is being inspected.
pub struct DetectInput<'a> {
    pub dec: &'a Decoded,
    /// The buffer the payload keywords run on.
    pub payload: &'a [u8],
    pub flow: Option<FlowInfo>,
    /// This packet's payload went into a reassembled stream that is
    /// inspected on its own, so stream-capable rules skip the packet copy.
    pub in_stream: bool,
    /// `payload` is reassembled stream data, not a packet.
    pub is_stream: bool,
    /// Payload rules apply (false once the flow's payload is encrypted:
    /// only rules without payload keywords are evaluated, and nothing is
    /// scanned).
    pub payload_inspection: bool,
    /// Where `payload` sits in its stream (default for packets).
    pub placement: Placement<'a>,
}

impl DetectInput<'_> {
    pub fn kind(&self) -> BufferKind {
        match (self.is_stream, self.in_stream) {
            (true, _) => BufferKind::Stream,
            (false, true) => BufferKind::StreamedPacket,
            (false, false) => BufferKind::Packet,
        }
    }
}

/// Flowbits kept per flow.
const MAX_FLOWBITS: usize = 16;
/// Flow integers kept per flow.
const MAX_FLOWINTS: usize = 16;
/// `xbits ... track tx` bits a flow keeps: (transaction, bit). When full the
/// oldest transaction's bits make room (transactions complete in order, and
/// a finished one is not inspected again), counted as an overflow.
const MAX_TX_BITS: usize = 32;

/// A flow's `flowint` variables: (name id, value).
#[derive(Debug, Clone, Default)]
struct FlowInts(Vec<(u16, u32)>);

#[derive(Debug, Clone, Default)]
struct TxBits(Vec<(u64, u16)>);

/// Detection state carried by a flow.
#[derive(Debug, Clone, Default)]
pub struct FlowDetectState {
    bits: [u16; MAX_FLOWBITS],
    nbits: u8,
    /// IP-only signatures already evaluated for [to_server, to_client].
    pub iponly_done: [bool; 2],
    /// A `pass` rule matched: no more inspection of this flow.
    pub passed: bool,
    /// After a pass its application layer is still parsed and its
    /// transactions logged (as Suricata does), only not inspected.
    pub keep_parsing: bool,
    /// Payload rules no longer inspect the flow's packets and stream: its
    /// application protocol said the rest is encrypted (Suricata's
    /// `FLOW_NOPAYLOAD_INSPECTION`). Header rules and transaction rules go on.
    pub payload_off: bool,
    /// `flowint` variables: (name id, value); boxed, few flows have any.
    ints: Option<Box<FlowInts>>,
    /// Session tags started by alerts of this flow (boxed: few flows
    /// have any).
    pub tags: Option<Box<super::hoststate::TagList>>,
    /// `xbits ... track tx`: (transaction id, bit); boxed, few flows have
    /// any.
    tx_bits: Option<Box<TxBits>>,
}

impl FlowDetectState {
    pub fn tx_bit_is_set(&self, tx: u64, id: u16) -> bool {
        self.tx_bits.as_ref().is_some_and(|b| b.0.contains(&(tx, id)))
    }

    /// Sets a transaction's bit; false when an older transaction's bit had
    /// to make room.
    pub fn set_tx_bit(&mut self, tx: u64, id: u16) -> bool {
        let bits = &mut self.tx_bits.get_or_insert_with(Box::default).0;
        if bits.contains(&(tx, id)) {
            return true;
        }
        let mut kept = true;
        if bits.len() >= MAX_TX_BITS {
            if let Some(oldest) = bits.iter().map(|(t, _)| *t).min() {
                bits.retain(|(t, _)| *t != oldest);
            }
            kept = false;
        }
        bits.push((tx, id));
        kept
    }

    /// Renumbers transaction bits (named by xbits ids) for a reloaded
    /// rule set (`map[old] = new`).
    pub fn remap_tx_bits(&mut self, map: &[Option<u16>]) {
        if let Some(bits) = self.tx_bits.as_mut() {
            bits.0.retain_mut(|(_, id)| renumber(id, map));
        }
    }

    /// Nothing more is done with the flow's data: passed without
    /// `keep_parsing`, or bypassed.
    pub fn parsing_stopped(&self) -> bool {
        self.passed && !self.keep_parsing
    }

    pub fn is_set(&self, id: u16) -> bool {
        self.bits[..usize::from(self.nbits)].contains(&id)
    }

    /// Returns false when the flow already holds the maximum of flowbits.
    pub fn set(&mut self, id: u16) -> bool {
        if self.is_set(id) {
            return true;
        }
        let n = usize::from(self.nbits);
        if n >= MAX_FLOWBITS {
            return false;
        }
        self.bits[n] = id;
        self.nbits += 1;
        true
    }

    pub fn unset(&mut self, id: u16) {
        let n = usize::from(self.nbits);
        if let Some(i) = self.bits[..n].iter().position(|&b| b == id) {
            self.bits[i] = self.bits[n - 1];
            self.nbits -= 1;
        }
    }

    pub fn int(&self, id: u16) -> Option<u32> {
        self.ints.as_ref()?.0.iter().find(|(i, _)| *i == id).map(|(_, v)| *v)
    }

    /// Returns false when the flow already holds the maximum of flowints.
    pub fn set_int(&mut self, id: u16, v: u32) -> bool {
        let ints = &mut self.ints.get_or_insert_with(Box::default).0;
        if let Some(slot) = ints.iter_mut().find(|(i, _)| *i == id) {
            slot.1 = v;
            return true;
        }
        if ints.len() >= MAX_FLOWINTS {
            return false;
        }
        ints.push((id, v));
        true
    }

    /// Renumbers the bits for a reloaded rule set (`map[old] = new`);
    /// bits the new set does not know are dropped.
    pub fn remap(&mut self, map: &[Option<u16>]) {
        let n = usize::from(self.nbits);
        let mut kept = 0;
        for i in 0..n {
            if let Some(Some(new)) = map.get(usize::from(self.bits[i])) {
                self.bits[kept] = *new;
                kept += 1;
            }
        }
        self.nbits = kept as u8;
    }

    /// Renumbers flow integers for a reloaded rule set (`map[old] = new`).
    pub fn remap_ints(&mut self, map: &[Option<u16>]) {
        if let Some(ints) = self.ints.as_mut() {
            ints.0.retain_mut(|(id, _)| renumber(id, map));
        }
    }

    /// Names of the bits set, for the alert's metadata.
    pub fn ids(&self) -> &[u16] {
        &self.bits[..usize::from(self.nbits)]
    }
}

/// Renumbers a name id for a reloaded rule set (`map[old] = new`); false
/// when the new set does not know the name.
fn renumber(id: &mut u16, map: &[Option<u16>]) -> bool {
    match map.get(usize::from(*id)) {
        Some(Some(new)) => {
            *id = *new;
            true
        }
        _ => false,
    }
}

pub fn class_of(dec: &Decoded) -> ProtoClass {
    match dec.l4 {
        L4::Tcp(_) => ProtoClass::Tcp,
        L4::Udp(_) => ProtoClass::Udp,
        L4::Icmp(_) => ProtoClass::Icmp,
        L4::None => ProtoClass::Other,
    }
}

fn ports_match(s: &Signature, src: IpAddr, dst: IpAddr, sp: u16, dp: u16) -> bool {
    // Ports first: they are cheaper than address sets and reject most of
    // the candidates that fail here (rules for other services).
    s.sports.contains(sp)
        && s.dports.contains(dp)
        && (s.src_any || s.src.contains(src))
        && (s.dst_any || s.dst.contains(dst))
}

fn header_matches(s: &Signature, dec: &Decoded, class: ProtoClass) -> bool {
    header_matches_dir(s, dec, class, false)
}

/// Header test; `reversed` reads the packet's addresses and ports swapped
/// (a `=>` rule evaluated on a response describes the request).
pub(super) fn header_matches_dir(s: &Signature, dec: &Decoded, class: ProtoClass, reversed: bool) -> bool {
    let p = &s.proto;
    if p.classes & class.bit() == 0 {
        return false;
    }
    if (dec.ip.version == 4 && !p.v4) || (dec.ip.version == 6 && !p.v6) {
        return false;
    }
    if let L4::Icmp(i) = dec.l4 {
        if (i.v6 && !p.icmp_v6) || (!i.v6 && !p.icmp_v4) {
            return false;
        }
    }
    if p.ip_proto.is_some_and(|n| n != dec.ip.proto) {
        return false;
    }
    let (mut sp, mut dp) = dec.ports();
    let (mut src, mut dst) = (dec.ip.src, dec.ip.dst);
    if reversed {
        std::mem::swap(&mut sp, &mut dp);
        std::mem::swap(&mut src, &mut dst);
    }
    ports_match(s, src, dst, sp, dp) || (s.bidirectional && ports_match(s, dst, src, dp, sp))
}

/// The flow's application protocol is the one the rule needs, and passes
/// its `app-layer-protocol` tests (nothing is decided before the protocol
/// is recognised).
pub(super) fn proto_checks_match(s: &Signature, flow: Option<&FlowInfo>) -> bool {
    if s.app_proto.is_none() && s.proto_checks.is_empty() {
        return true;
    }
    let Some(f) = flow else { return false };
    if f.app_proto == AppProto::Unknown {
        return false;
    }
    if s.app_proto.is_some_and(|p| p != f.app_proto) {
        return false;
    }
    s.proto_checks.iter().all(|&(p, negated)| (Some(f.app_proto) == p) != negated)
}

/// Flow tests for a transaction signature: the event's direction stands
/// for the packet's (a `=>` rule spans both).
pub(super) fn flow_matches_tx(s: &Signature, flow: &FlowInfo, transactional: bool) -> bool {
    let f = &s.flow;
    if f.established.is_some_and(|want| flow.established != want) {
        return false;
    }
    if !transactional && f.to_server.is_some_and(|want| flow.to_server != want) {
        return false;
    }
    true
}

pub(super) fn check_flowbits(s: &Signature, state: Option<&FlowDetectState>) -> bool {
    s.flowbit_tests.iter().all(|t| flowbits_match(t, state))
}

/// Applies a matching signature's flowbit commands.
pub(super) fn apply_flowbits(sig: &Signature, st: &mut FlowDetectState, overflow: &mut u64) {
    for a in sig.flowbit_actions.iter() {
        for &b in a.ids() {
            match a.cmd {
                FlowbitsCmd::Unset => st.unset(b),
                FlowbitsCmd::Toggle if st.is_set(b) => st.unset(b),
                FlowbitsCmd::Set | FlowbitsCmd::Toggle if !st.set(b) => *overflow += 1,
                _ => {}
            }
        }
    }
}

fn flowint_operand(v: FlowintOperand, st: &FlowDetectState) -> Option<u32> {
    match v {
        FlowintOperand::Num(n) => Some(n),
        FlowintOperand::Var(id) => st.int(id),
    }
}

/// `flowint` tests: an unset variable (or operand variable) fails every
/// comparison, as in Suricata.
pub(super) fn check_flowints(s: &Signature, state: Option<&FlowDetectState>) -> bool {
    s.flowint_tests.iter().all(|t| {
        let Some(st) = state else { return t.op == FlowintOp::NotSet };
        let cur = st.int(t.id);
        match t.op {
            FlowintOp::IsSet => cur.is_some(),
            FlowintOp::NotSet => cur.is_none(),
            op => {
                let (Some(a), Some(b)) = (cur, flowint_operand(t.value, st)) else { return false };
                match op {
                    FlowintOp::Eq => a == b,
                    FlowintOp::Ne => a != b,
                    FlowintOp::Lt => a < b,
                    FlowintOp::Le => a <= b,
                    FlowintOp::Gt => a > b,
                    FlowintOp::Ge => a >= b,
                    _ => true,
                }
            }
        }
    })
}

/// Applies a matching signature's `flowint` changes: `+` on an unset
/// variable starts it at the value, `-` on one does nothing (Suricata).
pub(super) fn apply_flowints(sig: &Signature, st: &mut FlowDetectState, overflow: &mut u64) {
    for a in sig.flowint_actions.iter() {
        let Some(v) = flowint_operand(a.value, st) else { continue };
        let new = match (a.op, st.int(a.id)) {
            (FlowintOp::Set, _) => v,
            (FlowintOp::Add, cur) => cur.unwrap_or(0).wrapping_add(v),
            (FlowintOp::Sub, Some(cur)) => cur.wrapping_sub(v),
            _ => continue,
        };
        if !st.set_int(a.id, new) {
            *overflow += 1;
        }
    }
}

pub(super) fn check_xbits(s: &Signature, dec: &Decoded, ctx: &DetectCtx) -> bool {
    s.xbit_tests.iter().all(|op| ctx.hosts.test(op, dec.ip.src, dec.ip.dst, ctx.now))
}

/// Applies a matching signature's xbit commands to the packet's hosts.
pub(super) fn apply_xbits(sig: &Signature, dec: &Decoded, ctx: &mut DetectCtx) {
    for op in sig.xbit_actions.iter() {
        ctx.hosts.apply(op, dec.ip.src, dec.ip.dst, ctx.now);
    }
}

fn flow_matches(s: &Signature, input: &DetectInput<'_>) -> bool {
    let f = &s.flow;
    if let Some(want) = f.established {
        if input.flow.is_some_and(|fl| fl.established) != want {
            return false;
        }
    }
    if let Some(want) = f.to_server {
        match input.flow {
            Some(fl) if fl.to_server == want => {}
            _ => return false,
        }
    }
    if let Some(want) = f.frag {
        if (input.dec.flags & flags::REASSEMBLED != 0) != want {
            return false;
        }
    }
    if let Some(want) = f.stream {
        if input.is_stream != want {
            return false;
        }
    }
    true
}

fn check_matches(c: &PacketCheck, input: &DetectInput<'_>) -> bool {
    let dec = input.dec;
    match *c {
        PacketCheck::Dsize(n) => n.matches(dec.payload_len as u64),
        PacketCheck::Ttl(n) => n.matches(u64::from(dec.ip.ttl)),
        PacketCheck::Tos(n) => n.matches(u64::from(dec.ip.tos)),
        PacketCheck::IpId(n) => dec.ip.version == 4 && n.matches(u64::from(dec.ip.ident)),
        PacketCheck::IpProto(n) => n.matches(u64::from(dec.ip.proto)),
        PacketCheck::Itype(n) => matches!(dec.l4, L4::Icmp(i) if n.matches(u64::from(i.itype))),
        PacketCheck::Icode(n) => matches!(dec.l4, L4::Icmp(i) if n.matches(u64::from(i.code))),
        PacketCheck::IcmpId(v) => matches!(dec.l4, L4::Icmp(i) if i.id_seq.is_some_and(|(id, _)| id == v)),
        PacketCheck::IcmpSeq(v) => matches!(dec.l4, L4::Icmp(i) if i.id_seq.is_some_and(|(_, seq)| seq == v)),
        PacketCheck::Flags(f) => matches!(dec.l4, L4::Tcp(t) if f.matches(t.flags)),
        PacketCheck::TcpSeq(v) => matches!(dec.l4, L4::Tcp(t) if t.seq == v),
        PacketCheck::TcpAck(v) => matches!(dec.l4, L4::Tcp(t) if t.ack == v),
        PacketCheck::Window(n) => matches!(dec.l4, L4::Tcp(t) if n.matches(u64::from(t.window))),
        PacketCheck::SameIp => dec.ip.src == dec.ip.dst,
        PacketCheck::StreamSize(ss) => {
            let Some(fl) = input.flow else { return false };
            if !matches!(dec.l4, L4::Tcp(_)) {
                return false;
            }
            let (c, sv) = (fl.client_bytes, fl.server_bytes);
            match ss.side {
                StreamSide::Client => ss.cmp.matches(c),
                StreamSide::Server => ss.cmp.matches(sv),
                StreamSide::Both => ss.cmp.matches(c) && ss.cmp.matches(sv),
                StreamSide::Either => ss.cmp.matches(c) || ss.cmp.matches(sv),
            }
        }
    }
}

fn flowbits_match(t: &FlowbitTest, state: Option<&FlowDetectState>) -> bool {
    let is_set = |id: u16| state.is_some_and(|s| s.is_set(id));
    let ids = t.ids();
    match (t.cmd, t.any) {
        (FlowbitsCmd::IsSet, true) => ids.iter().any(|&i| is_set(i)),
        (FlowbitsCmd::IsSet, false) => ids.iter().all(|&i| is_set(i)),
        (FlowbitsCmd::IsNotSet, true) => ids.iter().any(|&i| !is_set(i)),
        (FlowbitsCmd::IsNotSet, false) => ids.iter().all(|&i| !is_set(i)),
        _ => true,
    }
}

impl DetectEngine {
    /// The signature's `iprep` tests on the packet's addresses.
    pub(super) fn iprep_matches(&self, sig: &Signature, dec: &Decoded) -> bool {
        if sig.iprep.is_empty() {
            return true;
        }
        let Some(rep) = &self.reputation else { return false };
        sig.iprep.iter().all(|c| rep.matches(c, dec.ip.src, dec.ip.dst))
    }

    /// The signature's `ip.src`/`ip.dst` buffers: the address in binary,
    /// through the buffer's transforms, datasets and keywords.
    pub(super) fn ip_buffers_match(&self, sig: &Signature, dec: &Decoded, ctx: &mut DetectCtx) -> bool {
        for b in sig.ip_buffers.iter() {
            let (v4, v6);
            let raw: &[u8] = match if b.dst { dec.ip.dst } else { dec.ip.src } {
                IpAddr::V4(a) => {
                    v4 = a.octets();
                    &v4
                }
                IpAddr::V6(a) => {
                    v6 = a.octets();
                    &v6
                }
            };
            let data = if b.transforms.is_empty() {
                raw
            } else {
                super::txsig::apply_transforms(&b.transforms, raw, &mut ctx.tx_buf, &mut ctx.tx_tmp);
                &ctx.tx_buf[..]
            };
            if b.bsize.is_some_and(|n| !n.matches(data.len() as u64))
                || !self.datasets.check_all(&b.sets, false, data, &mut ctx.set_hits)
            {
                return false;
            }
            if b.program.as_ref().is_some_and(|p| !p.matches(data, &ctx.regexes, &mut ctx.program)) {
                return false;
            }
            if !self.datasets.check_all(&b.sets, true, data, &mut ctx.set_hits) {
                return false;
            }
        }
        true
    }

    /// Runs the signatures that apply to `input`; appends the ids of those
    /// that matched, in evaluation order, to `out`. Flowbit side effects are
    /// applied as each signature matches, so later signatures see them.
    pub fn detect(
        &self,
        ctx: &mut DetectCtx,
        input: &DetectInput<'_>,
        mut state: Option<&mut FlowDetectState>,
        out: &mut Vec<u32>,
    ) {
        if state.as_ref().is_some_and(|s| s.passed) {
            return;
        }
        let dec = input.dec;
        let class = class_of(dec);
        ctx.candidates.clear();
        // The first packet of its direction in the flow (or a packet
        // without a flow): where IP-only rules run, and rules that test
        // only the header with ports (Suricata's "like IP-only" rules,
        // also matched once per flow direction).
        let mut first_in_dir = false;
        if !input.is_stream {
            let dir = usize::from(!input.flow.is_some_and(|f| f.to_server));
            let due = state.as_ref().is_none_or(|s| !s.iponly_done[dir]);
            first_in_dir = due;
            if due {
                self.iponly.candidates(dec.ip.src, dec.ip.dst, &mut ctx.candidates);
                if let Some(s) = state.as_deref_mut() {
                    s.iponly_done[dir] = true;
                }
            }
        }
        ctx.match_ends.clear();
        // Stream windows of one flush are emitted together (the worker
        // clears their hits).
        if !input.is_stream {
            ctx.set_hits.clear();
        }
        let to_client = input.flow.is_some_and(|f| !f.to_server);
        let Some(group) = self.groups.get(super::group_index(class, to_client, input.kind())) else { return };
        let tcp_flags = match dec.l4 {
            L4::Tcp(t) => t.flags,
            _ => 0,
        };
        let may_match = group.always.iter().filter(|u| u.may_match(tcp_flags, dec.ip.proto));
        ctx.candidates.extend(may_match.map(|u| u.id));
        if !input.payload.is_empty() && input.payload_inspection {
            if !group.gates.is_empty() {
                let (sp, dp) = dec.ports();
                group.gates.candidates(input.payload, sp, dp, &mut ctx.candidates);
            }
            if let Some(scratch) = &ctx.scratch {
                let cands = &mut ctx.candidates;
                if !group.prefilter.scan(input.payload, scratch, |s| cands.push(s)) {
                    ctx.scan_errors += 1;
                }
            }
        }
        // Only groups with flowbit-gated signatures pay for the setter scan.
        if group.gates.has_flowbit_gates() {
            let setter = ctx
                .candidates
                .iter()
                .any(|&c| self.sigs.get(c as usize).is_some_and(|s| !s.flowbit_actions.is_empty()));
            let is_set = |bit| state.as_deref().is_some_and(|s| s.is_set(bit));
            group.gates.flowbit_candidates(is_set, setter, &mut ctx.candidates);
        }
        ctx.candidates.sort_unstable();
        ctx.candidates.dedup();
        for i in 0..ctx.candidates.len() {
            let id = ctx.candidates[i];
            let Some(sig) = self.sigs.get(id as usize) else { continue };
            if (sig.header_only && !sig.iponly && !first_in_dir) || (sig.program.is_some() && !input.payload_inspection)
            {
                continue;
            }
            let mark = ctx.set_hits.len();
            if !self.matches(sig, class, input, state.as_deref(), ctx) {
                super::datasets::forget_hits(&mut ctx.set_hits, mark);
                continue;
            }
            ctx.set_hits[mark..].iter_mut().for_each(|h| h.sig = id);
            out.push(id);
            ctx.match_ends.push(if sig.program.is_some() { ctx.program.match_end } else { 0 });
            if let Some(st) = state.as_deref_mut() {
                apply_flowbits(sig, st, &mut ctx.flowbits_overflow);
                apply_flowints(sig, st, &mut ctx.flowbits_overflow);
            }
            apply_xbits(sig, dec, ctx);
        }
    }

    fn matches(
        &self,
        sig: &Signature,
        class: ProtoClass,
        input: &DetectInput<'_>,
        state: Option<&FlowDetectState>,
        ctx: &mut DetectCtx,
    ) -> bool {
        // Packet checks (flags, dsize, ttl: a field each) before the
        // header's address sets: they reject the candidates evaluated on
        // every packet for want of a fast pattern, such as `flags:S` scan
        // rules on data packets.
        if sig.tx.is_some()
            || !input.kind().applies(sig)
            || !sig.checks.iter().all(|c| check_matches(c, input))
            || !header_matches(sig, input.dec, class)
            || !flow_matches(sig, input)
            || !proto_checks_match(sig, input.flow.as_ref())
        {
            return false;
        }
        if !check_flowbits(sig, state)
            || !check_flowints(sig, state)
            || !check_xbits(sig, input.dec, ctx)
            || !self.iprep_matches(sig, input.dec)
            || !self.ip_buffers_match(sig, input.dec, ctx)
        {
            return false;
        }
        let Some(program) = &sig.program else { return true };
        if input.payload.is_empty() {
            return false;
        }
        if !program.matches_at(input.payload, input.placement, &ctx.regexes, &mut ctx.program) {
            return false;
        }
        let new_from = input.placement.new_from;
        if new_from == 0 || new_from >= input.payload.len() {
            return true;
        }
        // A stream window re-inspects the end of the previous one. A match
        // lying wholly in new data is a new occurrence. One that also uses
        // old data reaches new data, but if the rule also matches within
        // the old data alone, that occurrence was already reported (a
        // floating pcre may have matched the old occurrence while a
        // content matched a new, unrelated one): one alert per occurrence.
        if ctx.program.match_start >= new_from {
            return true;
        }
        let end = ctx.program.match_end;
        let old = &input.payload[..new_from];
        let anchors: &[u32] = input.placement.anchors;
        let kept = anchors.iter().take_while(|&&a| (a as usize) < new_from).count();
        let placement = Placement { anchors: &anchors[..kept], new_from: 0 };
        let repeat = program.matches_at(old, placement, &ctx.regexes, &mut ctx.program);
        ctx.program.match_end = end;
        if !repeat {
            return true;
        }
        // The match found first joined the old occurrence to new data (a
        // keep-alive connection's second request: its content matched
        // after the first request's, relative to it). An occurrence lying
        // wholly in the new data is still new: look for one there, its
        // positional keywords counting from the messages that start in it.
        let fresh = &mut ctx.anchors_tmp;
        fresh.clear();
        fresh.extend(anchors[kept..].iter().map(|&a| a - new_from as u32));
        if fresh.is_empty() {
            // No message starts there: a positional keyword cannot match.
            fresh.push(u32::MAX);
        }
        let placement = Placement { anchors: fresh, new_from: 0 };
        let new = &input.payload[new_from..];
        if program.matches_at(new, placement, &ctx.regexes, &mut ctx.program) {
            ctx.program.match_end += new_from;
            ctx.program.match_start += new_from;
            return true;
        }
        ctx.program.match_end = end;
        false
    }
}
