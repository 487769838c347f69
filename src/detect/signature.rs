//! From a parsed [`Rule`] to an executable [`Signature`], or to the reason
//! this build cannot run it.

use std::collections::HashMap;
use std::sync::Arc;

use super::hoststate::XbitOp;
use super::prefilter::Prefilter;
use super::program::{compile_program, Program};
use super::reputation::IprepCheck;
use super::txsig::{choose_tx_prefilter, compile_tx, TxSig};
use crate::app::AppProto;
use crate::rules::classification::Classifications;
use crate::rules::header::{Action, Proto};
use crate::rules::packet::{FlagsMode, FlowSpec};
use crate::rules::payload::Endian;
use crate::rules::{
    AppCheck, Buffer, ErrorKind, FlowbitsCmd, FlowintOp, FlowintValue, IpSet, Item, PacketCheck, PortRanges, Rule,
    RuleError, TagSpec, Target, Threshold, XbitTrack,
};

/// Transport classes signatures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtoClass {
    Tcp = 0,
    Udp = 1,
    Icmp = 2,
    Other = 3,
}

impl ProtoClass {
    pub const ALL: [ProtoClass; 4] = [ProtoClass::Tcp, ProtoClass::Udp, ProtoClass::Icmp, ProtoClass::Other];

    pub fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// Which packets a signature's header protocol admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtoMatch {
    /// Bit per [`ProtoClass`].
    pub classes: u8,
    pub v4: bool,
    pub v6: bool,
    /// ICMP rules: which ICMP versions.
    pub icmp_v4: bool,
    pub icmp_v6: bool,
    /// `sctp`: IP protocol 132 inside `Other`.
    pub ip_proto: Option<u8>,
}

/// Where a signature's payload keywords look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inspect {
    /// Packet payloads only (`tcp-pkt`, `dsize`, UDP...).
    Packet,
    /// Reassembled stream only (`tcp-stream`, `flow:only_stream`).
    Stream,
    /// The stream when the packet's data went into it, the packet otherwise.
    Either,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowbitTest {
    pub cmd: FlowbitsCmd,
    pub ids: [u16; 4],
    pub count: u8,
    /// `|`: any of the names; otherwise all of them.
    pub any: bool,
}

impl FlowbitTest {
    pub fn ids(&self) -> &[u16] {
        &self.ids[..usize::from(self.count)]
    }
}

/// The operand of a compiled `flowint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowintOperand {
    Num(u32),
    /// Another flow integer (the keyword does nothing while it is unset).
    Var(u16),
}

/// A compiled `flowint` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowintRef {
    pub op: FlowintOp,
    pub id: u16,
    pub value: FlowintOperand,
}

/// A rule ready to run.
pub struct Signature {
    /// Evaluation order; alerts of one packet are emitted in this order.
    pub id: u32,
    pub sid: u32,
    pub gid: u32,
    pub rev: u32,
    pub action: Action,
    pub msg: Arc<str>,
    pub category: Arc<str>,
    pub priority: u8,
    pub proto: ProtoMatch,
    pub src: IpSet,
    pub dst: IpSet,
    pub src_any: bool,
    pub dst_any: bool,
    pub sports: PortRanges,
    pub dports: PortRanges,
    pub bidirectional: bool,
    pub flow: FlowSpec,
    pub checks: Box<[PacketCheck]>,
    pub flowbit_tests: Box<[FlowbitTest]>,
    pub flowbit_actions: Box<[FlowbitTest]>,
    /// `flowint` tests (isset, notset, comparisons).
    pub flowint_tests: Box<[FlowintRef]>,
    /// `flowint` changes (`=`, `+`, `-`), applied when the signature matches.
    pub flowint_actions: Box<[FlowintRef]>,
    /// `xbits` isset / isnotset, tested with the flowbits.
    pub xbit_tests: Box<[XbitOp]>,
    /// `xbits` set / unset / toggle, applied when the signature matches.
    pub xbit_actions: Box<[XbitOp]>,
    /// `xbits:isset,<name>,track tx`: bits the transaction must have.
    pub tx_bit_tests: Box<[u16]>,
    /// `xbits:set,<name>,track tx`: set on the transaction that matched.
    pub tx_bit_sets: Box<[u16]>,
    /// `tag`: packets logged after this signature's alerts.
    pub tags: Box<[TagSpec]>,
    pub program: Option<Program>,
    pub inspect: Inspect,
    /// Evaluated once per flow direction on addresses alone.
    pub iponly: bool,
    /// Nothing but the header (protocol, addresses, ports) and flowbits it
    /// sets: Suricata's IP-only and like-IP-only rules, whose pass applies
    /// to the whole flow.
    pub header_only: bool,
    pub noalert: bool,
    pub threshold: Option<Threshold>,
    pub detection_filter: Option<Threshold>,
    pub target: Option<Target>,
    /// The `metadata` object as JSON (`{"k":["v"]}`), empty when none.
    pub metadata_json: Box<str>,
    pub references: Box<[String]>,
    pub text: Arc<str>,
    /// The prefilter pattern: in the payload for packet and stream
    /// signatures, in [`TxSig::prefilter_buffer`] for transaction ones.
    pub prefilter: Option<Prefilter>,
    /// A content the payload needs at a fixed place near its start (see
    /// [`super::gate`]).
    pub payload_window: Option<super::gate::PayloadWindow>,
    /// The flow must have been recognised as this application protocol
    /// (`alert http ...`).
    pub app_proto: Option<AppProto>,
    /// `app-layer-protocol` tests: (protocol, negated); None = a protocol
    /// this build never recognises.
    pub proto_checks: Box<[(Option<AppProto>, bool)]>,
    /// Application-layer transaction inspection.
    pub tx: Option<Box<TxSig>>,
    /// `filestore`: the files of the matching transaction are kept.
    pub filestore: Option<crate::rules::app::FileStoreOpts>,
    /// `iprep` tests on the packet's addresses (they keep a rule IP-only,
    /// as in Suricata).
    pub iprep: Box<[IprepCheck]>,
    /// `ip.src`/`ip.dst` buffers (datasets of addresses).
    pub ip_buffers: Box<[IpBuffer]>,
}

/// An `ip.src` or `ip.dst` buffer: the address in binary, 4 or 16 bytes.
pub struct IpBuffer {
    pub dst: bool,
    pub transforms: Box<[crate::rules::Transform]>,
    pub program: Option<Program>,
    pub bsize: Option<crate::rules::NumCmp>,
    pub sets: Box<[super::datasets::SetCheck]>,
}

/// Interns flowbit names to small ids.
#[derive(Debug, Default)]
pub struct FlowbitNames {
    ids: HashMap<String, u16>,
    names: Vec<String>,
}

impl FlowbitNames {
    fn id(&mut self, name: &str) -> Option<u16> {
        if let Some(&id) = self.ids.get(name) {
            return Some(id);
        }
        let id = u16::try_from(self.names.len()).ok()?;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        Some(id)
    }

    /// For each id of `self`, the id the same name has in `new` (rule
    /// reload: flows keep the flowbits the new rule set still knows).
    pub fn translate_to(&self, new: &FlowbitNames) -> Vec<Option<u16>> {
        self.names.iter().map(|n| new.ids.get(n).copied()).collect()
    }

    pub fn name(&self, id: u16) -> &str {
        self.names.get(usize::from(id)).map_or("?", String::as_str)
    }

    /// The names of `ids` (the first 16), as EVE records show a flow's
    /// flowbits; returns how many were written.
    pub fn names_of<'a>(&'a self, ids: &[u16], names: &mut [&'a str; 16]) -> usize {
        let mut n = 0;
        for (slot, &b) in names.iter_mut().zip(ids) {
            *slot = self.name(b);
            n += 1;
        }
        n
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

fn skip(kind: ErrorKind, message: String) -> RuleError {
    RuleError { column: 0, kind, message }
}

/// Everything compiling needs besides the rule.
pub struct CompileContext<'a> {
    pub classifications: &'a Classifications,
    pub flowbits: &'a mut FlowbitNames,
    /// flowint names (their own namespace).
    pub flowints: &'a mut FlowbitNames,
    /// xbit names (their own namespace, as in Suricata).
    pub xbits: &'a mut FlowbitNames,
    /// Compiled regexes; programs refer to them by index.
    pub regexes: &'a mut super::regexes::RegexTable,
    /// Sets of `dataset`/`datarep`, created as rules name them.
    pub datasets: &'a mut super::datasets::DatasetStore,
    pub reputation: Option<&'a super::reputation::IpReputation>,
    /// Why the reputation files did not load, if they did not.
    pub reputation_error: Option<&'a str>,
}

/// Compiles one rule.
pub fn compile(rule: &Rule, cx: &mut CompileContext<'_>) -> Result<Signature, RuleError> {
    let header_proto = match &rule.proto {
        Proto::App(p) => Some(
            AppProto::from_rule_name(p)
                .filter(|a| *a != AppProto::Failed)
                .ok_or_else(|| skip(ErrorKind::NeedsAppLayer, format!("needs the {p} application-layer parser")))?,
        ),
        _ => None,
    };
    if let Some((kw, proto)) = rule.app_keywords.first() {
        return Err(skip(ErrorKind::NeedsAppLayer, format!("needs the {proto} application-layer parser ({kw})")));
    }
    if let Some(kw) = rule.unsupported.first() {
        let why = crate::rules::buffers::unsupported_reason(kw).map(|r| format!(": {r}")).unwrap_or_default();
        return Err(skip(ErrorKind::Unsupported, format!("keyword \"{kw}\" is not supported{why}")));
    }
    let dce = rule.payload_items().any(|i| match i {
        Item::ByteTest(t) => t.endian == Endian::Dce,
        Item::ByteJump(j) => j.endian == Endian::Dce,
        Item::ByteExtract(e) => e.endian == Endian::Dce,
        Item::ByteMath(m) => m.endian == Endian::Dce,
        _ => false,
    });
    if dce {
        return Err(skip(ErrorKind::NeedsAppLayer, "needs the dcerpc application-layer parser (dce)".into()));
    }
    let (category, class_prio) = match &rule.classtype {
        Some(c) => match cx.classifications.get(c) {
            Some(cl) => (Arc::from(cl.description.as_str()), cl.priority),
            None => return Err(skip(ErrorKind::InvalidValue, format!("unknown classtype \"{c}\""))),
        },
        None => (Arc::from(""), 3),
    };
    let proto = proto_match(&rule.proto, header_proto);
    let flow = rule.flow.unwrap_or_default();
    let has_dsize = rule.checks.iter().any(|c| matches!(c, PacketCheck::Dsize(_)));
    // Suricata makes an asn1 rule a packet rule (it decodes packets, never
    // the reassembled stream).
    let has_asn1 = rule.payload_items().any(|i| matches!(i, Item::Asn1(_)));
    // Only a SYN can match (TCP Fast Open data): stream windows never do.
    let needs_syn = rule.checks.iter().any(|c| {
        matches!(c, PacketCheck::Flags(f) if matches!(f.mode, FlagsMode::Exact | FlagsMode::All) && f.flags & 0x02 != 0)
    });
    let inspect = match (&rule.proto, flow.stream) {
        (Proto::TcpStream, _) | (_, Some(true)) => Inspect::Stream,
        (Proto::TcpPkt, _) | (_, Some(false)) => Inspect::Packet,
        _ if has_dsize || needs_syn || has_asn1 => Inspect::Packet,
        _ if proto.classes & ProtoClass::Tcp.bit() == 0 => Inspect::Packet,
        _ => Inspect::Either,
    };
    let mut flowbit_tests = Vec::new();
    let mut flowbit_actions = Vec::new();
    for fb in &rule.flowbits {
        if fb.names.len() > 4 {
            return Err(skip(ErrorKind::Unsupported, "flowbits with more than 4 names".into()));
        }
        let mut t = FlowbitTest { cmd: fb.cmd, ids: [0; 4], count: fb.names.len() as u8, any: fb.any };
        for (i, n) in fb.names.iter().enumerate() {
            t.ids[i] =
                cx.flowbits.id(n).ok_or_else(|| skip(ErrorKind::Unsupported, "too many distinct flowbits".into()))?;
        }
        match fb.cmd {
            FlowbitsCmd::IsSet | FlowbitsCmd::IsNotSet => flowbit_tests.push(t),
            _ => flowbit_actions.push(t),
        }
    }
    let mut flowint_tests = Vec::new();
    let mut flowint_actions = Vec::new();
    for fi in &rule.flowints {
        let mut id = |n: &str| {
            cx.flowints.id(n).ok_or_else(|| skip(ErrorKind::Unsupported, "too many distinct flowints".into()))
        };
        let value = match &fi.value {
            None => FlowintOperand::Num(0),
            Some(FlowintValue::Num(n)) => FlowintOperand::Num(*n),
            Some(FlowintValue::Var(v)) => FlowintOperand::Var(id(v)?),
        };
        let r = FlowintRef { op: fi.op, id: id(&fi.name)?, value };
        if fi.op.modifies() {
            flowint_actions.push(r);
        } else {
            flowint_tests.push(r);
        }
    }
    let mut xbit_tests = Vec::new();
    let mut xbit_actions = Vec::new();
    let (mut tx_bit_tests, mut tx_bit_sets) = (Vec::new(), Vec::new());
    for x in &rule.xbits {
        let id = cx.xbits.id(&x.name).ok_or_else(|| skip(ErrorKind::Unsupported, "too many distinct xbits".into()))?;
        if x.track == XbitTrack::Tx {
            // As Suricata 8: a test must name the state it runs at, so
            // that the bit's setter (at the same or an earlier state) ran.
            if x.cmd == FlowbitsCmd::IsSet {
                if rule.hook.is_none() {
                    return Err(skip(ErrorKind::InvalidValue, "tx xbits require an explicit rule hook".into()));
                }
                tx_bit_tests.push(id);
            } else {
                tx_bit_sets.push(id);
            }
            continue;
        }
        let op = XbitOp { cmd: x.cmd, id, track: x.track, expire: x.expire };
        match x.cmd {
            FlowbitsCmd::IsSet | FlowbitsCmd::IsNotSet => xbit_tests.push(op),
            _ => xbit_actions.push(op),
        }
    }
    let mut iprep = Vec::with_capacity(rule.iprep.len());
    for kw in &rule.iprep {
        if let Some(e) = cx.reputation_error {
            return Err(skip(ErrorKind::InvalidValue, format!("iprep: {e}")));
        }
        iprep.push(IprepCheck::compile(kw, cx.reputation).map_err(|e| skip(ErrorKind::InvalidValue, e))?);
    }
    let mut ip_buffers = Vec::new();
    for bm in rule.buffers.iter().filter(|b| matches!(b.buffer, Buffer::IpSrc | Buffer::IpDst)) {
        let program = compile_program(&bm.items, cx.regexes).map_err(|e| skip(ErrorKind::InvalidValue, e))?;
        let mut sets = Vec::with_capacity(bm.sets.len());
        for s in &bm.sets {
            let mut c = cx
                .datasets
                .resolve(&s.kw, &rule.location.file)
                .map_err(|e| skip(ErrorKind::InvalidValue, e.to_string()))?;
            c.after_items = s.after_items;
            sets.push(c);
        }
        ip_buffers.push(IpBuffer {
            dst: bm.buffer == Buffer::IpDst,
            transforms: bm.transforms.clone().into(),
            program,
            bsize: bm.bsize,
            sets: sets.into(),
        });
    }
    let tx = compile_tx(rule, header_proto, cx.regexes, cx.datasets)?;
    if tx.is_none() && !tx_bit_sets.is_empty() {
        return Err(skip(
            ErrorKind::InvalidValue,
            "xbits track tx needs a transaction: an application-layer keyword or a rule hook".into(),
        ));
    }
    let app_proto = header_proto.or(tx.as_ref().map(|t| t.proto));
    let proto_checks: Box<[(Option<AppProto>, bool)]> = rule
        .app_checks
        .iter()
        .filter_map(|c| match c {
            AppCheck::AppProto { proto, negated } => Some((AppProto::from_rule_name(proto), *negated)),
            _ => None,
        })
        .collect();
    let items: Vec<Item> = rule.payload_items().cloned().collect();
    let program = compile_program(&items, cx.regexes).map_err(|e| skip(ErrorKind::InvalidValue, e))?;
    // As in Suricata, setting flowbits keeps a rule IP-only; testing them
    // does not (threat-intel lists set a bit for other rules to read).
    let header_only = program.is_none()
        && tx.is_none()
        && app_proto.is_none()
        && proto_checks.is_empty()
        && rule.checks.is_empty()
        && ip_buffers.is_empty()
        && rule.flow.is_none()
        && rule.flowbits.iter().all(|f| f.cmd == FlowbitsCmd::Set)
        && !matches!(rule.proto, Proto::TcpStream);
    let iponly = header_only && rule.src_ports.is_any() && rule.dst_ports.is_any();
    Ok(Signature {
        id: 0,
        sid: rule.sid,
        gid: rule.gid,
        rev: rule.rev,
        action: rule.action,
        msg: Arc::from(rule.msg.as_str()),
        category,
        priority: rule.priority.unwrap_or(class_prio),
        proto,
        src_any: rule.src.is_any(),
        dst_any: rule.dst.is_any(),
        src: rule.src.clone(),
        dst: rule.dst.clone(),
        sports: rule.src_ports.clone(),
        dports: rule.dst_ports.clone(),
        bidirectional: rule.bidirectional,
        flow,
        checks: rule.checks.clone().into(),
        flowbit_tests: flowbit_tests.into(),
        flowbit_actions: flowbit_actions.into(),
        flowint_tests: flowint_tests.into(),
        flowint_actions: flowint_actions.into(),
        xbit_tests: xbit_tests.into(),
        xbit_actions: xbit_actions.into(),
        tx_bit_tests: tx_bit_tests.into(),
        tx_bit_sets: tx_bit_sets.into(),
        tags: rule.tags.clone().into(),
        program,
        inspect,
        iponly,
        header_only,
        noalert: rule.noalert,
        threshold: rule.threshold,
        detection_filter: rule.detection_filter,
        target: rule.target,
        metadata_json: metadata_json(&rule.metadata).into(),
        references: rule.references.iter().map(|(k, v)| format!("{k},{v}")).collect(),
        text: Arc::from(rule.text.as_str()),
        prefilter: match &tx {
            Some(t) => {
                let app_items: Vec<&[Item]> = rule
                    .buffers
                    .iter()
                    .filter(|b| matches!(b.buffer, Buffer::App(_)))
                    .map(|b| b.items.as_slice())
                    .collect();
                t.prefilter_buffer.and_then(|_| choose_tx_prefilter(&app_items)).map(|(_, p)| p)
            }
            None => choose_prefilter(&items),
        },
        payload_window: if tx.is_none() { super::gate::PayloadWindow::of(&items) } else { None },
        app_proto,
        proto_checks,
        tx: tx.map(Box::new),
        filestore: rule.filestore,
        iprep: iprep.into(),
        ip_buffers: ip_buffers.into(),
    })
}

fn proto_match(p: &Proto, app: Option<AppProto>) -> ProtoMatch {
    let all = ProtoClass::ALL.iter().fold(0, |m, c| m | c.bit());
    let base = ProtoMatch { classes: all, v4: true, v6: true, icmp_v4: true, icmp_v6: true, ip_proto: None };
    match p {
        Proto::App(_) if app == Some(AppProto::Dns) => {
            ProtoMatch { classes: ProtoClass::Tcp.bit() | ProtoClass::Udp.bit(), ..base }
        }
        Proto::App(_) => ProtoMatch { classes: ProtoClass::Tcp.bit(), ..base },
        Proto::Ip => base,
        Proto::Ipv4 => ProtoMatch { v6: false, ..base },
        Proto::Ipv6 => ProtoMatch { v4: false, ..base },
        Proto::Tcp | Proto::TcpPkt | Proto::TcpStream => ProtoMatch { classes: ProtoClass::Tcp.bit(), ..base },
        Proto::Udp => ProtoMatch { classes: ProtoClass::Udp.bit(), ..base },
        Proto::Icmp => ProtoMatch { classes: ProtoClass::Icmp.bit(), ..base },
        Proto::Icmpv4 => ProtoMatch { classes: ProtoClass::Icmp.bit(), icmp_v6: false, ..base },
        Proto::Icmpv6 => ProtoMatch { classes: ProtoClass::Icmp.bit(), icmp_v4: false, ..base },
        Proto::Sctp => ProtoMatch { classes: ProtoClass::Other.bit(), ip_proto: Some(132), ..base },
    }
}

/// Suricata's choice: the content marked `fast_pattern`, else the longest
/// non-negated content; with no usable content, a non-relative pcre.
fn choose_prefilter(items: &[Item]) -> Option<Prefilter> {
    let contents = || items.iter().filter_map(|i| if let Item::Content(c) = i { Some(c) } else { None });
    let chosen = contents().find(|c| c.fast_pattern && !c.negated).or_else(|| {
        contents().filter(|c| !c.negated).fold(None, |best: Option<&crate::rules::Content>, c| match best {
            Some(b) if b.pattern.len() >= c.pattern.len() => Some(b),
            _ => Some(c),
        })
    });
    if let Some(c) = chosen {
        let bytes = match c.fast_pattern_chop {
            Some((o, l)) => c.pattern[usize::from(o)..usize::from(o) + usize::from(l)].to_vec(),
            None => c.pattern.clone(),
        };
        return Some(Prefilter::Literal { bytes, nocase: c.nocase });
    }
    items.iter().find_map(|i| match i {
        Item::Pcre(p) if !p.negated && !p.relative && !p.ungreedy => Some(Prefilter::Regex {
            source: p.source.clone(),
            caseless: p.caseless,
            dotall: p.dotall,
            multiline: p.multiline,
        }),
        _ => None,
    })
}

/// `metadata: a b, c d, a e` -> `{"a":["b","e"],"c":["d"]}`. A rule has a
/// handful of pairs, so each key's values are found by scanning them all
/// again rather than through a map (this runs for every rule of a load).
fn metadata_json(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let mut out = Vec::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 8).sum::<usize>() + 2);
    out.push(b'{');
    for (i, (key, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(k, _)| k == key) {
            continue;
        }
        if out.len() > 1 {
            out.push(b',');
        }
        crate::util::json::push_str(&mut out, key);
        out.extend_from_slice(b":[");
        for (j, (_, v)) in pairs[i..].iter().filter(|(k, _)| k == key).enumerate() {
            if j > 0 {
                out.push(b',');
            }
            crate::util::json::push_str(&mut out, v);
        }
        out.push(b']');
    }
    out.push(b'}');
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_groups_values() {
        let pairs = vec![("a".to_string(), "b".to_string()), ("c".into(), "d".into()), ("a".into(), "e".into())];
        assert_eq!(metadata_json(&pairs), r#"{"a":["b","e"],"c":["d"]}"#);
        assert_eq!(metadata_json(&[]), "");
    }
}
