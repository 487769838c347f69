//! Keywords whose state outlives one flow: `xbits` (bits kept per host or
//! per IP pair, with an expiry) and `tag` (log the packets that follow an
//! alert, in its session or to and from one of its hosts).

use super::packet::FlowbitsCmd;

/// Where an xbit is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XbitTrack {
    /// On the packet's source host.
    IpSrc,
    /// On the packet's destination host (the same host table as `IpSrc`:
    /// a bit set `track ip_dst` by a request is `isset` with `track ip_src`
    /// on the response).
    IpDst,
    /// On the pair of addresses, whichever is the source.
    IpPair,
    /// On the application-layer transaction the rule matched (`set` and
    /// `isset` only; an `isset` needs an explicit rule hook).
    Tx,
}

/// One `xbits:` keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xbits {
    pub cmd: FlowbitsCmd,
    pub name: String,
    pub track: XbitTrack,
    /// Seconds a `set` (or `toggle` that sets) lives; Suricata's default
    /// when not given.
    pub expire: u32,
}

/// The command and bit name that open `xbits` and `hostbits` values.
fn cmd_and_name<'a>(
    keyword: &str,
    parts: &mut impl Iterator<Item = &'a str>,
) -> Result<(FlowbitsCmd, &'a str), String> {
    let cmd = parts.next().unwrap_or("");
    let cmd = FlowbitsCmd::from_name(cmd).ok_or_else(|| format!("{keyword}: unknown command \"{cmd}\""))?;
    let name = parts.next().filter(|n| !n.is_empty()).ok_or_else(|| format!("{keyword}: missing name"))?;
    if name.contains(|c: char| c.is_whitespace() || c == '|' || c == '&') {
        return Err(format!("{keyword}: invalid name \"{name}\""));
    }
    Ok((cmd, name))
}

/// Suricata's `DETECT_XBITS_EXPIRE_DEFAULT`.
pub const XBITS_EXPIRE_DEFAULT: u32 = 30;

/// `xbits:<cmd>,<name>,track <ip_src|ip_dst|ip_pair>[,expire <seconds>]`.
pub fn parse_xbits(value: &str) -> Result<Xbits, String> {
    let mut parts = value.split(',').map(str::trim);
    if parts.clone().next() == Some("noalert") {
        return Err("xbits:noalert is not valid: use the noalert keyword".into());
    }
    let (cmd, name) = cmd_and_name("xbits", &mut parts)?;
    let mut track = None;
    let mut expire = None;
    for p in parts {
        let (key, v) = p.split_once(char::is_whitespace).map(|(k, v)| (k, v.trim())).unwrap_or((p, ""));
        match key {
            "track" => {
                if track.is_some() {
                    return Err("xbits: track given twice".into());
                }
                track = Some(match v {
                    "ip_src" => XbitTrack::IpSrc,
                    "ip_dst" => XbitTrack::IpDst,
                    "ip_pair" => XbitTrack::IpPair,
                    "tx" => XbitTrack::Tx,
                    other => return Err(format!("xbits: unknown track \"{other}\"")),
                });
            }
            "expire" => {
                let secs: u32 = v.parse().map_err(|_| format!("xbits: invalid expire \"{v}\""))?;
                if secs == 0 {
                    return Err("xbits: expire must be above 0".into());
                }
                expire = Some(secs);
            }
            other => return Err(format!("xbits: unknown option \"{other}\"")),
        }
    }
    let track = track.ok_or("xbits: missing track")?;
    // Suricata keeps tx bits on the transaction, where nothing unsets or
    // toggles them; `expire` is accepted and means nothing there.
    if track == XbitTrack::Tx && !matches!(cmd, FlowbitsCmd::Set | FlowbitsCmd::IsSet) {
        return Err("xbits: tx xbits only support set and isset".into());
    }
    Ok(Xbits { cmd, name: name.to_string(), track, expire: expire.unwrap_or(XBITS_EXPIRE_DEFAULT) })
}

/// Suricata's fixed lifetime of a bit `hostbits` sets (the keyword has
/// no expire option, unlike `xbits`).
pub const HOSTBITS_EXPIRE: u32 = 300;

/// `hostbits:<cmd>,<name>[,<src|dst>]`: an xbit on the source host (the
/// default) or the destination host, living [`HOSTBITS_EXPIRE`] seconds.
/// Suricata keeps hostbits and `xbits ... track ip_src|ip_dst` in one host
/// table under one name space, and so do we. `Ok(None)` is
/// `hostbits:noalert`, which only marks the rule noalert.
pub fn parse_hostbits(value: &str) -> Result<Option<Xbits>, String> {
    let mut parts = value.split(',').map(str::trim);
    if parts.clone().next() == Some("noalert") {
        return match parts.nth(1) {
            None => Ok(None),
            Some(_) => Err("hostbits:noalert takes no name".into()),
        };
    }
    let (cmd, name) = cmd_and_name("hostbits", &mut parts)?;
    let track = match parts.next() {
        None | Some("src") => XbitTrack::IpSrc,
        Some("dst") => XbitTrack::IpDst,
        Some("both") => return Err("hostbits: direction \"both\" is not implemented (nor in Suricata)".into()),
        Some(other) => return Err(format!("hostbits: unknown direction \"{other}\" (src or dst)")),
    };
    if let Some(extra) = parts.next() {
        return Err(format!("hostbits: unexpected \"{extra}\" (hostbits has no expire option)"));
    }
    Ok(Some(Xbits { cmd, name: name.to_string(), track, expire: HOSTBITS_EXPIRE }))
}

/// What a `tag` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagMetric {
    Packets,
    Bytes,
    Seconds,
}

/// Which packets a tag applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagScope {
    /// The alert's flow, both directions.
    Session,
    /// Every packet from or to the alert's source (`src`) or destination
    /// (`dst`) address.
    Host { src: bool },
}

/// One `tag:` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagSpec {
    pub scope: TagScope,
    /// How many packets, bytes or seconds, the alerting packet included.
    pub count: u32,
    pub metric: TagMetric,
}

/// Suricata's default: 256 packets (`DETECT_TAG_MAX_PKTS`).
const TAG_DEFAULT_PACKETS: u32 = 256;

/// `tag:<session|host>[,<count>,<packets|bytes|seconds>[,<src|dst>]]`.
pub fn parse_tag(value: &str) -> Result<TagSpec, String> {
    let parts: Vec<&str> = value.split(',').map(str::trim).collect();
    let host = match parts[0] {
        "session" => false,
        "host" => true,
        other => return Err(format!("tag: unknown scope \"{other}\" (session or host)")),
    };
    let (count, metric) = match parts.len() {
        1 => (TAG_DEFAULT_PACKETS, TagMetric::Packets),
        3 | 4 => {
            let count: u32 = parts[1].parse().map_err(|_| format!("tag: invalid count \"{}\"", parts[1]))?;
            let metric = match parts[2] {
                "packets" => TagMetric::Packets,
                "bytes" => TagMetric::Bytes,
                "seconds" => TagMetric::Seconds,
                other => return Err(format!("tag: unknown metric \"{other}\" (packets, bytes or seconds)")),
            };
            (count, metric)
        }
        _ => return Err("tag: expected <scope>[,<count>,<metric>[,<direction>]]".into()),
    };
    let src = match parts.get(3).copied() {
        None | Some("dst") => false,
        Some("src") => true,
        Some(other) => return Err(format!("tag: unknown direction \"{other}\" (src or dst)")),
    };
    if !host && parts.len() == 4 {
        return Err("tag: a direction is only for host tags".into());
    }
    let scope = if host { TagScope::Host { src } } else { TagScope::Session };
    Ok(TagSpec { scope, count, metric })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xbits_as_et_open_writes_them() {
        let x = parse_xbits("set,ET.IBMDRM1,track ip_dst, expire 10").unwrap();
        assert_eq!((x.cmd, x.name.as_str(), x.track, x.expire), (FlowbitsCmd::Set, "ET.IBMDRM1", XbitTrack::IpDst, 10));
        let x = parse_xbits("isset, ET.PROPFIND,track ip_dst").unwrap();
        assert_eq!((x.cmd, x.track, x.expire), (FlowbitsCmd::IsSet, XbitTrack::IpDst, XBITS_EXPIRE_DEFAULT));
        assert_eq!(parse_xbits("toggle,a,track ip_pair,expire 60").unwrap().track, XbitTrack::IpPair);
        assert_eq!(parse_xbits("isset,a,track tx").unwrap().track, XbitTrack::Tx);
        assert_eq!(parse_xbits("set,a,track tx,expire 10").unwrap().cmd, FlowbitsCmd::Set);
        for bad in [
            "set,a",
            "set,a,track ip_host",
            "set,a,track ip_src,expire x",
            "set,a,track ip_src,expire 0",
            "bump,a,track ip_src",
            "set,,track ip_src",
            "set,a b,track ip_src",
            "unset,a,track tx",
            "toggle,a,track tx",
            "isnotset,a,track tx",
            "set,a,track ip_src,track ip_dst",
            "set,a,track ip_src,ttl 4",
            "noalert",
        ] {
            assert!(parse_xbits(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hostbits_forms() {
        let x = parse_hostbits("set, bad_host").unwrap().unwrap();
        assert_eq!((x.cmd, x.name.as_str(), x.track, x.expire), (FlowbitsCmd::Set, "bad_host", XbitTrack::IpSrc, 300));
        let x = parse_hostbits("isset,bad_host,dst").unwrap().unwrap();
        assert_eq!((x.cmd, x.track), (FlowbitsCmd::IsSet, XbitTrack::IpDst));
        assert_eq!(parse_hostbits("toggle,a , src ").unwrap().unwrap().track, XbitTrack::IpSrc);
        assert_eq!(parse_hostbits("noalert").unwrap(), None);
        for bad in ["set", "set,", "set,a,both", "set,a,up", "set,a,src,60", "bump,a", "noalert,a", "set,a b"] {
            assert!(parse_hostbits(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tag_forms_and_defaults() {
        assert_eq!(
            parse_tag("session").unwrap(),
            TagSpec { scope: TagScope::Session, count: 256, metric: TagMetric::Packets }
        );
        assert_eq!(
            parse_tag("host").unwrap(),
            TagSpec { scope: TagScope::Host { src: false }, count: 256, metric: TagMetric::Packets }
        );
        assert_eq!(
            parse_tag("session,5,packets").unwrap(),
            TagSpec { scope: TagScope::Session, count: 5, metric: TagMetric::Packets }
        );
        assert_eq!(
            parse_tag("host, 3600, seconds, src").unwrap(),
            TagSpec { scope: TagScope::Host { src: true }, count: 3600, metric: TagMetric::Seconds }
        );
        for bad in
            ["flow", "session,5", "session,x,packets", "session,5,frames", "session,5,packets,src", "host,1,bytes,up"]
        {
            assert!(parse_tag(bad).is_err(), "{bad}");
        }
    }
}
