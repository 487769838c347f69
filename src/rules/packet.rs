//! Packet, flow and post-match keywords: flags, flow, flowbits,
//! threshold/detection_filter, stream_size, and the numeric header tests.

use super::numeric::NumCmp;

/// `flags:[modifier]<flags>[,<ignore>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagsSpec {
    pub mode: FlagsMode,
    /// Flags named in the rule.
    pub flags: u8,
    /// Flags to ignore before comparing.
    pub ignore: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagsMode {
    /// Exactly these flags (after ignoring).
    Exact,
    /// At least these flags (`+`).
    All,
    /// Any of these flags (`*`).
    Any,
    /// None of these flags (`!`).
    Not,
}

impl FlagsSpec {
    pub fn matches(self, tcp_flags: u8) -> bool {
        let f = tcp_flags & !self.ignore;
        match self.mode {
            FlagsMode::Exact => f == self.flags,
            FlagsMode::All => f & self.flags == self.flags,
            FlagsMode::Any => f & self.flags != 0,
            FlagsMode::Not => f & self.flags == 0,
        }
    }
}

fn flag_bit(c: char) -> Result<u8, String> {
    Ok(match c.to_ascii_uppercase() {
        'F' => 0x01,
        'S' => 0x02,
        'R' => 0x04,
        'P' => 0x08,
        'A' => 0x10,
        'U' => 0x20,
        'E' | '2' => 0x40,
        'C' | '1' => 0x80,
        _ => return Err(format!("unknown TCP flag '{c}'")),
    })
}

pub fn parse_flags(value: &str) -> Result<FlagsSpec, String> {
    let (main, ignore) = match value.split_once(',') {
        Some((m, i)) => (m.trim(), Some(i.trim())),
        None => (value.trim(), None),
    };
    let mut spec = FlagsSpec { mode: FlagsMode::Exact, flags: 0, ignore: 0 };
    let mut zero = false;
    for c in main.chars() {
        match c {
            '+' => spec.mode = FlagsMode::All,
            '*' => spec.mode = FlagsMode::Any,
            '!' => spec.mode = FlagsMode::Not,
            '0' => zero = true,
            c if c.is_whitespace() => {}
            c => spec.flags |= flag_bit(c)?,
        }
    }
    if zero && spec.flags != 0 {
        return Err("flags: 0 (no flags) cannot be combined with other flags".into());
    }
    if !zero && spec.flags == 0 {
        return Err("flags: no flags given".into());
    }
    if let Some(i) = ignore {
        for c in i.chars().filter(|c| !c.is_whitespace()) {
            spec.ignore |= flag_bit(c)?;
        }
    }
    Ok(spec)
}

/// `flow:` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowSpec {
    /// Some(true): established; Some(false): not_established.
    pub established: Option<bool>,
    pub stateless: bool,
    /// Some(true): to_server/from_client; Some(false): to_client/from_server.
    pub to_server: Option<bool>,
    /// Some(true): only_stream; Some(false): no_stream.
    pub stream: Option<bool>,
    /// Some(true): only_frag; Some(false): no_frag.
    pub frag: Option<bool>,
}

pub fn parse_flow(value: &str) -> Result<FlowSpec, String> {
    let mut f = FlowSpec::default();
    for opt in value.split(',').map(str::trim) {
        let set = |slot: &mut Option<bool>, v: bool, name: &str| -> Result<(), String> {
            if slot.is_some_and(|old| old != v) {
                return Err(format!("flow: \"{name}\" contradicts an earlier option"));
            }
            *slot = Some(v);
            Ok(())
        };
        match opt {
            "established" => set(&mut f.established, true, opt)?,
            "not_established" => set(&mut f.established, false, opt)?,
            "stateless" => f.stateless = true,
            "to_server" | "from_client" => set(&mut f.to_server, true, opt)?,
            "to_client" | "from_server" => set(&mut f.to_server, false, opt)?,
            "only_stream" => set(&mut f.stream, true, opt)?,
            "no_stream" => set(&mut f.stream, false, opt)?,
            "only_frag" => set(&mut f.frag, true, opt)?,
            "no_frag" => set(&mut f.frag, false, opt)?,
            "" => return Err("flow: empty option".into()),
            other => return Err(format!("flow: unknown option \"{other}\"")),
        }
    }
    Ok(f)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowbitsCmd {
    Set,
    Unset,
    Toggle,
    IsSet,
    IsNotSet,
}

impl FlowbitsCmd {
    /// The command as flowbits and xbits write it.
    pub fn from_name(name: &str) -> Option<FlowbitsCmd> {
        Some(match name {
            "set" => FlowbitsCmd::Set,
            "unset" => FlowbitsCmd::Unset,
            "toggle" => FlowbitsCmd::Toggle,
            "isset" => FlowbitsCmd::IsSet,
            "isnotset" => FlowbitsCmd::IsNotSet,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flowbits {
    pub cmd: FlowbitsCmd,
    /// Several names joined by `|` (any of) for isset/isnotset; one name
    /// otherwise.
    pub names: Vec<String>,
    pub any: bool,
}

/// Returns None for `flowbits:noalert`.
pub fn parse_flowbits(value: &str) -> Result<Option<Flowbits>, String> {
    let (cmd, name) = match value.split_once(',') {
        Some((c, n)) => (c.trim(), Some(n.trim())),
        None => (value.trim(), None),
    };
    let cmd = match cmd {
        "noalert" => {
            if name.is_some() {
                return Err("flowbits:noalert takes no name".into());
            }
            return Ok(None);
        }
        other => FlowbitsCmd::from_name(other).ok_or_else(|| format!("flowbits: unknown command \"{other}\""))?,
    };
    let name = name.filter(|n| !n.is_empty()).ok_or("flowbits: missing name")?;
    // As in Suricata 8: `|` is an OR of names for isset/isnotset only, and
    // there is no `&` operator; otherwise the text is one name
    // (`set,a|b` sets a bit named "a|b", `isset,a&b` tests "a&b").
    let any = matches!(cmd, FlowbitsCmd::IsSet | FlowbitsCmd::IsNotSet) && name.contains('|');
    let names: Vec<String> =
        if any { name.split('|').map(|n| n.trim().to_string()).collect() } else { vec![name.to_string()] };
    if names.iter().any(|n| n.is_empty() || n.contains(char::is_whitespace)) {
        return Err(format!("flowbits: invalid name \"{name}\""));
    }
    Ok(Some(Flowbits { cmd, names, any }))
}

/// What a `flowint` keyword does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowintOp {
    /// `=`, `+`, `-`: change the variable (when the rule matches).
    Set,
    Add,
    Sub,
    /// Tests.
    IsSet,
    NotSet,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl FlowintOp {
    pub fn modifies(self) -> bool {
        matches!(self, FlowintOp::Set | FlowintOp::Add | FlowintOp::Sub)
    }
}

/// The operand of a `flowint`: a number or another flow integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowintValue {
    Num(u32),
    Var(String),
}

/// `flowint:<name>,<op>[,<value>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flowint {
    pub name: String,
    pub op: FlowintOp,
    pub value: Option<FlowintValue>,
}

pub fn parse_flowint(value: &str) -> Result<Flowint, String> {
    let parts: Vec<&str> = value.split(',').map(str::trim).collect();
    let name = parts.first().copied().filter(|n| !n.is_empty()).ok_or("flowint: missing name")?;
    if name.contains(char::is_whitespace) {
        return Err(format!("flowint: invalid name \"{name}\""));
    }
    let op = match parts.get(1).copied().ok_or("flowint: missing operator")? {
        "=" => FlowintOp::Set,
        "+" => FlowintOp::Add,
        "-" => FlowintOp::Sub,
        "isset" => FlowintOp::IsSet,
        "notset" | "isnotset" => FlowintOp::NotSet,
        "==" => FlowintOp::Eq,
        "!=" => FlowintOp::Ne,
        "<" => FlowintOp::Lt,
        "<=" => FlowintOp::Le,
        ">" => FlowintOp::Gt,
        ">=" => FlowintOp::Ge,
        other => return Err(format!("flowint: unknown operator \"{other}\"")),
    };
    let operand = match (op, parts.get(2).copied()) {
        (FlowintOp::IsSet | FlowintOp::NotSet, None) => None,
        (FlowintOp::IsSet | FlowintOp::NotSet, Some(_)) => return Err("flowint: isset/notset take no value".into()),
        (_, None | Some("")) => return Err("flowint: missing value".into()),
        (_, Some(v)) if v.starts_with(|c: char| c.is_ascii_digit()) => {
            Some(FlowintValue::Num(v.parse().map_err(|_| format!("flowint: invalid value \"{v}\" (0 to 4294967295)"))?))
        }
        (_, Some(v)) if !v.contains(char::is_whitespace) => Some(FlowintValue::Var(v.to_string())),
        (_, Some(v)) => return Err(format!("flowint: invalid value \"{v}\"")),
    };
    if parts.len() > 3 {
        return Err("flowint: too many values".into());
    }
    Ok(Flowint { name: name.to_string(), op, value: operand })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Track {
    BySrc,
    ByDst,
    ByRule,
    ByBoth,
    ByFlow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdType {
    Limit,
    Threshold,
    Both,
    /// Alerts on the count-th match, then each time the count has been
    /// multiplied by `multiplier` (track by_flow only, no time window).
    Backoff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueOn {
    SrcPort,
    DstPort,
}

/// `threshold:` or `detection_filter:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    /// None for detection_filter.
    pub kind: Option<ThresholdType>,
    pub track: Track,
    pub count: u32,
    /// 0 for backoff, which has no time window.
    pub seconds: u32,
    /// backoff's multiplier; 0 for the other types.
    pub multiplier: u32,
    pub unique_on: Option<UniqueOn>,
}

/// `by_src`, `by_dst`, `by_rule`, `by_both`, `by_flow`.
pub fn parse_track(v: &str) -> Option<Track> {
    Some(match v {
        "by_src" => Track::BySrc,
        "by_dst" => Track::ByDst,
        "by_rule" => Track::ByRule,
        "by_both" => Track::ByBoth,
        "by_flow" => Track::ByFlow,
        _ => return None,
    })
}

pub fn parse_threshold(value: &str, detection_filter: bool) -> Result<Threshold, String> {
    let kw = if detection_filter { "detection_filter" } else { "threshold" };
    let (mut kind, mut track, mut count, mut seconds, mut unique_on) = (None, None, None, None, None);
    let mut multiplier = None;
    for part in value.split(',').map(str::trim) {
        let (k, v) = part
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("{kw}: expected \"name value\", got \"{part}\""))?;
        let v = v.trim();
        match k {
            "type" if !detection_filter => {
                kind = Some(match v {
                    "limit" => ThresholdType::Limit,
                    "threshold" => ThresholdType::Threshold,
                    "both" => ThresholdType::Both,
                    "backoff" => ThresholdType::Backoff,
                    other => return Err(format!("{kw}: unknown type \"{other}\"")),
                })
            }
            "track" => track = Some(parse_track(v).ok_or_else(|| format!("{kw}: unknown track \"{v}\""))?),
            "count" => count = Some(v.parse::<u32>().map_err(|_| format!("{kw}: invalid count \"{v}\""))?),
            "seconds" => seconds = Some(v.parse::<u32>().map_err(|_| format!("{kw}: invalid seconds \"{v}\""))?),
            "multiplier" if !detection_filter => {
                multiplier = Some(v.parse::<u32>().map_err(|_| format!("{kw}: invalid multiplier \"{v}\""))?)
            }
            "unique_on" if detection_filter => {
                unique_on = Some(match v {
                    "src_port" => UniqueOn::SrcPort,
                    "dst_port" => UniqueOn::DstPort,
                    other => return Err(format!("{kw}: unknown unique_on \"{other}\"")),
                })
            }
            other => return Err(format!("{kw}: unknown option \"{other}\"")),
        }
    }
    if !detection_filter && kind.is_none() {
        return Err(format!("{kw}: missing type"));
    }
    let track = track.ok_or_else(|| format!("{kw}: missing track"))?;
    let count = count.ok_or_else(|| format!("{kw}: missing count"))?;
    if count == 0 && !detection_filter {
        return Err(format!("{kw}: count must be at least 1"));
    }
    // Suricata: backoff takes `count, multiplier` (2..=65535), by_flow only;
    // the other types take `count, seconds`.
    if kind == Some(ThresholdType::Backoff) {
        if seconds.is_some() {
            return Err(format!("{kw}: type backoff takes a multiplier, not seconds"));
        }
        if track != Track::ByFlow {
            return Err(format!("{kw}: type backoff is only supported with track by_flow"));
        }
        let multiplier = multiplier.ok_or_else(|| format!("{kw}: type backoff needs a multiplier"))?;
        if !(2..=65535).contains(&multiplier) || count > 65535 {
            return Err(format!("{kw}: backoff count must be 1-65535 and multiplier 2-65535"));
        }
        return Ok(Threshold { kind, track, count, seconds: 0, multiplier, unique_on });
    }
    if multiplier.is_some() {
        return Err(format!("{kw}: multiplier is only for type backoff"));
    }
    let seconds = seconds.ok_or_else(|| format!("{kw}: missing seconds"))?;
    Ok(Threshold { kind, track, count, seconds, multiplier: 0, unique_on })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamSide {
    Server,
    Client,
    Both,
    Either,
}

/// `stream_size:<side>,<op>,<bytes>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSize {
    pub side: StreamSide,
    pub cmp: NumCmp,
}

pub fn parse_stream_size(value: &str) -> Result<StreamSize, String> {
    let parts: Vec<&str> = value.split(',').map(str::trim).collect();
    let [side, op, n] = parts[..] else {
        return Err("stream_size needs <side>,<operator>,<bytes>".into());
    };
    let side = match side {
        "server" => StreamSide::Server,
        "client" => StreamSide::Client,
        "both" => StreamSide::Both,
        "either" => StreamSide::Either,
        other => return Err(format!("stream_size: unknown side \"{other}\"")),
    };
    let n: u64 = n.parse().map_err(|_| format!("stream_size: invalid size \"{n}\""))?;
    let cmp = match op {
        "<" => NumCmp::Lt(n),
        ">" => NumCmp::Gt(n),
        "=" => NumCmp::Eq(n),
        "!=" => NumCmp::Ne(n),
        "<=" => NumCmp::Le(n),
        ">=" => NumCmp::Ge(n),
        other => return Err(format!("stream_size: unknown operator \"{other}\"")),
    };
    Ok(StreamSize { side, cmp })
}

/// `ip_proto:[!<>]<number or name>`.
pub fn parse_ip_proto(value: &str) -> Result<NumCmp, String> {
    let v = value.trim();
    let (prefix, rest) = match v.chars().next() {
        Some(c @ ('!' | '<' | '>')) => (Some(c), v[1..].trim()),
        _ => (None, v),
    };
    let num = match rest.to_ascii_lowercase().as_str() {
        "ip" | "hopopt" => 0,
        "icmp" => 1,
        "igmp" => 2,
        "ipip" => 4,
        "tcp" => 6,
        "udp" => 17,
        "ipv6" => 41,
        "ipv6-route" => 43,
        "ipv6-frag" => 44,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "icmpv6" | "ipv6-icmp" => 58,
        "ipv6-nonxt" => 59,
        "ipv6-opts" => 60,
        "pim" => 103,
        "sctp" => 132,
        n => n.parse::<u8>().map_err(|_| format!("ip_proto: unknown protocol \"{rest}\""))?.into(),
    };
    Ok(match prefix {
        None => NumCmp::Eq(num),
        Some('!') => NumCmp::Ne(num),
        Some('<') => NumCmp::Lt(num),
        _ => NumCmp::Gt(num),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flowint_forms() {
        let f = parse_flowint("ET.infostealer.dll.download, +, 1").unwrap();
        assert_eq!(
            (f.name.as_str(), f.op, f.value),
            ("ET.infostealer.dll.download", FlowintOp::Add, Some(FlowintValue::Num(1)))
        );
        assert_eq!(parse_flowint("n,notset").unwrap().op, FlowintOp::NotSet);
        assert_eq!(parse_flowint("n,isnotset").unwrap().op, FlowintOp::NotSet);
        assert_eq!(parse_flowint("n, >=, m").unwrap().value, Some(FlowintValue::Var("m".into())));
        for bad in ["", "n", "n,+", "n,*,1", "n,isset,1", "n,=,99999999999", "n,=,1,2", "a b,=,1"] {
            assert!(parse_flowint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags() {
        let s = parse_flags("SA").unwrap();
        assert!(s.matches(0x12) && !s.matches(0x02) && !s.matches(0x1a));
        let s = parse_flags("S,CE").unwrap();
        assert!(s.matches(0x02 | 0xc0));
        let s = parse_flags("A+").unwrap();
        assert!(s.matches(0x18) && !s.matches(0x02));
        assert!(parse_flags("*FS").unwrap().matches(0x01));
        assert!(parse_flags("!R").unwrap().matches(0x10));
        assert!(parse_flags("0").unwrap().matches(0));
        assert!(parse_flags("SX").is_err());
        assert!(parse_flags("0S").is_err());
    }

    #[test]
    fn flow() {
        let f = parse_flow("established, to_server").unwrap();
        assert_eq!((f.established, f.to_server), (Some(true), Some(true)));
        assert!(parse_flow("to_server,to_client").is_err());
        assert!(parse_flow("sideways").is_err());
        assert_eq!(parse_flow("from_server").unwrap().to_server, Some(false));
    }

    #[test]
    fn flowbits() {
        assert_eq!(parse_flowbits("noalert").unwrap(), None);
        let f = parse_flowbits("isset,a|b").unwrap().unwrap();
        assert!(f.any && f.names == ["a", "b"]);
        // No & operator, and | groups only the tests (Suricata 8).
        let f = parse_flowbits("isset,a&b").unwrap().unwrap();
        assert_eq!((f.names, f.any), (vec!["a&b".to_string()], false));
        let f = parse_flowbits("set,a|b").unwrap().unwrap();
        assert_eq!((f.names, f.any), (vec!["a|b".to_string()], false));
        let f = parse_flowbits("isnotset,a|b").unwrap().unwrap();
        assert_eq!((f.names.len(), f.any), (2, true));
        assert!(parse_flowbits("set").is_err());
        assert!(parse_flowbits("frob,x").is_err());
    }

    #[test]
    fn threshold() {
        let t = parse_threshold("type limit, track by_src, seconds 60, count 1", false).unwrap();
        assert_eq!((t.kind, t.track, t.count, t.seconds), (Some(ThresholdType::Limit), Track::BySrc, 1, 60));
        let b = parse_threshold("type backoff, track by_flow, count 1, multiplier 10", false).unwrap();
        assert_eq!((b.kind, b.count, b.multiplier), (Some(ThresholdType::Backoff), 1, 10));
        for bad in [
            "type backoff, track by_src, count 1, multiplier 2",
            "type backoff, track by_flow, count 1, multiplier 1",
            "type backoff, track by_flow, count 1, multiplier 2, seconds 60",
            "type backoff, track by_flow, count 1",
            "type both, track by_flow, count 1, multiplier 2",
            "type limit, track by_src, count 1",
        ] {
            assert!(parse_threshold(bad, false).is_err(), "{bad}");
        }
        let d = parse_threshold("track by_dst, count 3, seconds 60, unique_on dst_port", true).unwrap();
        assert_eq!(d.unique_on, Some(UniqueOn::DstPort));
        assert!(parse_threshold("track by_src, count 1, seconds 1", false).is_err());
        assert!(parse_threshold("type limit, track by_src, count 1", false).is_err());
        assert!(parse_threshold("type limit, track by_moon, count 1, seconds 1", false).is_err());
    }

    #[test]
    fn misc() {
        assert_eq!(parse_stream_size("server,>,100").unwrap().cmp, NumCmp::Gt(100));
        assert!(parse_stream_size("server,>").is_err());
        assert_eq!(parse_ip_proto("tcp").unwrap(), NumCmp::Eq(6));
        assert_eq!(parse_ip_proto("!17").unwrap(), NumCmp::Ne(17));
        assert!(parse_ip_proto("bogus").is_err());
    }
}
