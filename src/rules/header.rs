//! The rule header: action, protocol, addresses, ports, direction.

use std::net::{IpAddr, Ipv4Addr};

use super::error::RuleError;
use super::ipset::IpSet;
use super::vars::Vars;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Alert,
    Pass,
    Drop,
    Reject,
    RejectSrc,
    RejectDst,
    RejectBoth,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Pass => "pass",
            Action::Drop => "drop",
            Action::Reject => "reject",
            Action::RejectSrc => "rejectsrc",
            Action::RejectDst => "rejectdst",
            Action::RejectBoth => "rejectboth",
        }
    }

    /// The class used for `action-order`.
    pub fn order_class(self) -> ActionClass {
        match self {
            Action::Alert => ActionClass::Alert,
            Action::Pass => ActionClass::Pass,
            Action::Drop => ActionClass::Drop,
            _ => ActionClass::Reject,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionClass {
    Pass,
    Drop,
    Reject,
    Alert,
}

/// The protocol named in the header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Proto {
    Ip,
    Ipv4,
    Ipv6,
    Tcp,
    /// `tcp-pkt`: match packets only, never the reassembled stream.
    TcpPkt,
    /// `tcp-stream`: match the reassembled stream only.
    TcpStream,
    Udp,
    /// ICMPv4 and ICMPv6.
    Icmp,
    Icmpv4,
    Icmpv6,
    Sctp,
    /// An application-layer protocol (`http`, `dns`, `tls`...).
    App(String),
}

const APP_PROTOS: &[&str] = &[
    "http",
    "http1",
    "http2",
    "dns",
    "tls",
    "ssl",
    "ftp",
    "ftp-data",
    "smtp",
    "ssh",
    "smb",
    "dcerpc",
    "dnp3",
    "modbus",
    "enip",
    "nfs",
    "ike",
    "ikev2",
    "krb5",
    "ntp",
    "dhcp",
    "snmp",
    "sip",
    "rfb",
    "mqtt",
    "rdp",
    "pgsql",
    "telnet",
    "bittorrent-dht",
    "quic",
    "websocket",
    "ldap",
    "pop3",
    "imap",
    "tftp",
    "doh2",
    "mdns",
];

pub fn parse_action(s: &str, col: usize) -> Result<Action, RuleError> {
    Ok(match s {
        "alert" => Action::Alert,
        "pass" => Action::Pass,
        "drop" => Action::Drop,
        "reject" => Action::Reject,
        "rejectsrc" => Action::RejectSrc,
        "rejectdst" => Action::RejectDst,
        "rejectboth" => Action::RejectBoth,
        _ => return Err(RuleError::syntax(col, format!("unknown action \"{s}\""))),
    })
}

/// The protocol with an optional explicit hook (`http1:request_line`,
/// `tcp:all`).
pub fn parse_proto_hook(s: &str, col: usize) -> Result<(Proto, Option<crate::app::hooks::Hook>), RuleError> {
    let Some((p, name)) = s.split_once(':') else { return Ok((parse_proto(s, col)?, None)) };
    let proto = parse_proto(p, col)?;
    let name = name.to_ascii_lowercase();
    let hook = match &proto {
        Proto::App(app) => Some(crate::app::hooks::resolve(app, &name).map_err(|e| RuleError::invalid(col, e))?),
        _ => {
            crate::app::hooks::packet_hook(p, &name).map_err(|e| RuleError::invalid(col, e))?;
            None
        }
    };
    Ok((proto, hook))
}

pub fn parse_proto(s: &str, col: usize) -> Result<Proto, RuleError> {
    let lower = s.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "ip" | "pkthdr" => Proto::Ip,
        "ipv4" | "ip4" => Proto::Ipv4,
        "ipv6" | "ip6" => Proto::Ipv6,
        "tcp" => Proto::Tcp,
        "tcp-pkt" => Proto::TcpPkt,
        "tcp-stream" => Proto::TcpStream,
        "udp" => Proto::Udp,
        "icmp" => Proto::Icmp,
        "icmpv4" => Proto::Icmpv4,
        "icmpv6" => Proto::Icmpv6,
        "sctp" => Proto::Sctp,
        p if APP_PROTOS.contains(&p) => Proto::App(lower),
        _ => return Err(RuleError::syntax(col, format!("unknown protocol \"{s}\""))),
    })
}

/// Ports as sorted, merged inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRanges {
    ranges: Vec<(u16, u16)>,
}

impl PortRanges {
    pub fn any() -> Self {
        PortRanges { ranges: vec![(0, u16::MAX)] }
    }

    pub fn is_any(&self) -> bool {
        self.ranges == [(0, u16::MAX)]
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    pub fn contains(&self, p: u16) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= p && p <= hi)
    }

    fn from_ranges(mut v: Vec<(u16, u16)>) -> Self {
        v.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            match out.last_mut() {
                Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        PortRanges { ranges: out }
    }

    fn complement(&self) -> Self {
        let mut out = Vec::new();
        let mut next: u32 = 0;
        for &(lo, hi) in &self.ranges {
            if u32::from(lo) > next {
                out.push((next as u16, lo - 1));
            }
            next = u32::from(hi) + 1;
        }
        if next <= 0xffff {
            out.push((next as u16, u16::MAX));
        }
        PortRanges { ranges: out }
    }

    fn union(&self, o: &PortRanges) -> Self {
        Self::from_ranges(self.ranges.iter().chain(&o.ranges).copied().collect())
    }

    fn difference(&self, o: &PortRanges) -> Self {
        self.complement().union(o).complement()
    }
}

/// Variable references nest; past this depth it is a loop.
const MAX_VAR_DEPTH: usize = 16;

/// Splits `[a,b,[c,d]]`'s body at top-level commas.
fn split_list(s: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced ']'".into());
                }
            }
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced '['".into());
    }
    out.push(s[start..].trim());
    Ok(out)
}

/// Parses an address expression (`any`, `$VAR`, `!x`, `[a,!b]`, CIDR, range).
pub fn parse_addresses(s: &str, vars: &Vars) -> Result<IpSet, String> {
    parse_addr_expr(s.trim(), vars, 0)
}

fn parse_addr_expr(s: &str, vars: &Vars, depth: usize) -> Result<IpSet, String> {
    if depth > MAX_VAR_DEPTH {
        return Err("address variables nest too deeply (a loop?)".into());
    }
    if let Some(rest) = s.strip_prefix('!') {
        return Ok(parse_addr_expr(rest.trim(), vars, depth + 1)?.complement());
    }
    if let Some(body) = s.strip_prefix('[') {
        let body = body.strip_suffix(']').ok_or_else(|| format!("unterminated list \"{s}\""))?;
        let mut pos = IpSet::empty();
        let mut neg = IpSet::empty();
        let mut any_pos = false;
        for item in split_list(body)? {
            if item.is_empty() {
                return Err(format!("empty item in list \"{s}\""));
            }
            if let Some(rest) = item.strip_prefix('!') {
                neg = neg.union(&parse_addr_expr(rest.trim(), vars, depth + 1)?);
            } else {
                any_pos = true;
                pos = pos.union(&parse_addr_expr(item, vars, depth + 1)?);
            }
        }
        let base = if any_pos { pos } else { IpSet::any() };
        return Ok(base.difference(&neg));
    }
    if s.eq_ignore_ascii_case("any") {
        return Ok(IpSet::any());
    }
    if let Some(name) = s.strip_prefix('$') {
        let value = vars.address(name).ok_or_else(|| format!("undefined address variable ${name}"))?;
        return parse_addr_expr(value.trim(), vars, depth + 1);
    }
    parse_addr_atom(s)
}

fn parse_addr_atom(s: &str) -> Result<IpSet, String> {
    if let Some((a, b)) = s.split_once('/') {
        let addr: IpAddr = a.parse().map_err(|_| format!("invalid address \"{a}\""))?;
        if let Ok(prefix) = b.parse::<u8>() {
            let max = if addr.is_ipv4() { 32 } else { 128 };
            if prefix > max {
                return Err(format!("prefix length {prefix} too long in \"{s}\""));
            }
            return Ok(IpSet::cidr(addr, prefix));
        }
        // Dotted netmask: 10.0.0.0/255.255.0.0
        let mask: Ipv4Addr = b.parse().map_err(|_| format!("invalid netmask \"{b}\""))?;
        let m = u32::from(mask);
        if m.leading_ones() + m.trailing_zeros() != 32 || !addr.is_ipv4() {
            return Err(format!("invalid netmask \"{b}\""));
        }
        return Ok(IpSet::cidr(addr, m.leading_ones() as u8));
    }
    if let Ok(addr) = s.parse::<IpAddr>() {
        return Ok(IpSet::cidr(addr, if addr.is_ipv4() { 32 } else { 128 }));
    }
    if let Some((a, b)) = s.split_once('-') {
        let lo: IpAddr = a.trim().parse().map_err(|_| format!("invalid address \"{a}\""))?;
        let hi: IpAddr = b.trim().parse().map_err(|_| format!("invalid address \"{b}\""))?;
        if lo.is_ipv4() != hi.is_ipv4() {
            return Err(format!("address range \"{s}\" mixes IPv4 and IPv6"));
        }
        return Ok(IpSet::range(lo, hi));
    }
    Err(format!("invalid address \"{s}\""))
}

/// Parses a port expression (`any`, `$VAR`, `!x`, `[a,b:c]`, `a:`, `:b`).
pub fn parse_ports(s: &str, vars: &Vars) -> Result<PortRanges, String> {
    parse_port_expr(s.trim(), vars, 0)
}

fn parse_port_expr(s: &str, vars: &Vars, depth: usize) -> Result<PortRanges, String> {
    if depth > MAX_VAR_DEPTH {
        return Err("port variables nest too deeply (a loop?)".into());
    }
    if let Some(rest) = s.strip_prefix('!') {
        return Ok(parse_port_expr(rest.trim(), vars, depth + 1)?.complement());
    }
    if let Some(body) = s.strip_prefix('[') {
        let body = body.strip_suffix(']').ok_or_else(|| format!("unterminated list \"{s}\""))?;
        let mut pos = PortRanges { ranges: Vec::new() };
        let mut neg = PortRanges { ranges: Vec::new() };
        let mut any_pos = false;
        for item in split_list(body)? {
            if item.is_empty() {
                return Err(format!("empty item in list \"{s}\""));
            }
            if let Some(rest) = item.strip_prefix('!') {
                neg = neg.union(&parse_port_expr(rest.trim(), vars, depth + 1)?);
            } else {
                any_pos = true;
                pos = pos.union(&parse_port_expr(item, vars, depth + 1)?);
            }
        }
        let base = if any_pos { pos } else { PortRanges::any() };
        let out = base.difference(&neg);
        if out.ranges.is_empty() {
            return Err(format!("port list \"{s}\" matches no port"));
        }
        return Ok(out);
    }
    if s.eq_ignore_ascii_case("any") {
        return Ok(PortRanges::any());
    }
    if let Some(name) = s.strip_prefix('$') {
        let value = vars.port(name).ok_or_else(|| format!("undefined port variable ${name}"))?;
        return parse_port_expr(value.trim(), vars, depth + 1);
    }
    let num = |t: &str| t.trim().parse::<u16>().map_err(|_| format!("invalid port \"{t}\""));
    if let Some((a, b)) = s.split_once(':') {
        let lo = if a.trim().is_empty() { 0 } else { num(a)? };
        let hi = if b.trim().is_empty() { u16::MAX } else { num(b)? };
        if lo > hi {
            return Err(format!("port range \"{s}\" is empty"));
        }
        return Ok(PortRanges { ranges: vec![(lo, hi)] });
    }
    let p = num(s)?;
    Ok(PortRanges { ranges: vec![(p, p)] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_with_vars_and_negation() {
        let v = Vars::default();
        let ext = parse_addresses("$EXTERNAL_NET", &v).unwrap();
        assert!(ext.contains(ip("8.8.8.8")) && !ext.contains(ip("10.1.1.1")));
        let s = parse_addresses("[$HOME_NET,!10.0.0.5, 1.2.3.4]", &v).unwrap();
        assert!(s.contains(ip("10.0.0.4")) && !s.contains(ip("10.0.0.5")) && s.contains(ip("1.2.3.4")));
        let only_neg = parse_addresses("[!1.1.1.1]", &v).unwrap();
        assert!(only_neg.contains(ip("1.1.1.2")) && !only_neg.contains(ip("1.1.1.1")));
        let nested = parse_addresses("![10.0.0.0/8,[192.168.0.0/16]]", &v).unwrap();
        assert!(!nested.contains(ip("192.168.1.1")) && nested.contains(ip("172.16.0.1")));
        assert!(parse_addresses("10.0.0.0/255.255.0.0", &v).unwrap().contains(ip("10.0.255.1")));
        assert!(parse_addresses("1.1.1.1-1.1.1.9", &v).unwrap().contains(ip("1.1.1.5")));
        assert!(parse_addresses("2001:db8::/32", &v).unwrap().contains(ip("2001:db8::1")));
    }

    #[test]
    fn address_errors() {
        let mut v = Vars::default();
        assert!(parse_addresses("$NOPE", &v).unwrap_err().contains("undefined"));
        assert!(parse_addresses("10.0.0.0/33", &v).is_err());
        assert!(parse_addresses("[1.1.1.1", &v).is_err());
        assert!(parse_addresses("300.1.1.1", &v).is_err());
        v.address_groups.insert("LOOP".into(), "$LOOP".into());
        assert!(parse_addresses("$LOOP", &v).unwrap_err().contains("deeply"));
    }

    #[test]
    fn ports() {
        let v = Vars::default();
        let p = parse_ports("[80,443,8000:8080,!8008]", &v).unwrap();
        assert!(p.contains(80) && p.contains(8001) && !p.contains(8008) && !p.contains(81));
        assert!(parse_ports("1024:", &v).unwrap().contains(65535));
        assert!(parse_ports(":1024", &v).unwrap().contains(0));
        let not80 = parse_ports("$SHELLCODE_PORTS", &v).unwrap();
        assert!(!not80.contains(80) && not80.contains(81));
        assert!(parse_ports("$FILE_DATA_PORTS", &v).unwrap().contains(143));
        assert!(parse_ports("70000", &v).is_err());
        assert!(parse_ports("9:8", &v).is_err());
        assert!(parse_ports("[!0:65535]", &v).is_err());
        assert!(parse_ports("any", &v).unwrap().is_any());
    }

    #[test]
    fn protocols_and_actions() {
        assert_eq!(parse_proto("TCP", 0).unwrap(), Proto::Tcp);
        assert_eq!(parse_proto("http", 0).unwrap(), Proto::App("http".into()));
        assert!(parse_proto("carrier-pigeon", 0).is_err());
        assert_eq!(parse_action("rejectboth", 0).unwrap(), Action::RejectBoth);
        assert!(parse_action("block", 0).is_err());
    }
}
