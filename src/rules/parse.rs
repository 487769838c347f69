//! From rule text to [`Rule`]: header tokens, option splitting, and one
//! handler per keyword.

use super::app::{self, parse_app_check, AppCheck, Transform};
use super::buffers::{AppBuffer, Buffer, APP_CHECKS, APP_KEYWORDS};
use super::datasets::{BufferSet, SetKw};
use super::error::{ErrorKind, Location, RuleError};
use super::header::{self, Proto};
use super::numeric::NumCmp;
use super::packet;
use super::payload::{self, Content, Item, Num};
use super::{BufferMatch, PacketCheck, Rule, Target, Vars};

/// Keywords Suricata knows that this build accepts in the syntax but cannot
/// honour yet; rules using them are skipped with that reason.
const UNSUPPORTED: &[&str] = &[
    "flowvar",
    "pktvar",
    "hostbits",
    "ipopts",
    "fragbits",
    "fragoffset",
    "rpc",
    "replace",
    "lua",
    "luajit",
    "geoip",
    "tcp.mss",
    "tcp.hdr",
    "udp.hdr",
    "ipv4.hdr",
    "ipv6.hdr",
    "icmpv4.hdr",
    "icmpv6.hdr",
    "icmpv6.mtu",
    "entropy",
    "flow.age",
    "flow.pkts",
    "flow.bytes",
    "bypass",
    "config",
    "requires",
    "prefilter",
    "to_lowercase",
    "to_uppercase",
    "strip_whitespace",
    "compress_whitespace",
    "url_decode",
    "to_md5",
    "to_sha1",
    "to_sha256",
    "pcrexform",
    "xor",
    "header_lowercase",
    "strip_pseudo_headers",
    "from_base64",
    "tcp.flags",
    "stream_size_both",
    "decode-event",
    "engine-event",
    "stream-event",
    "ja4.hash",
    "nfq_set_mark",
    "label",
    "alert",
    "filemagic",
];

/// Splits the option list at `;` not escaped by a backslash. Quotes do not
/// protect a `;` (as in Suricata): a pcre may legitimately contain a lone
/// `"`. Returns (option text, byte offset in the rule).
fn split_options(body: &str, base: usize) -> Result<Vec<(&str, usize)>, RuleError> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b';' => {
                out.push((&body[start..i], base + start));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !body[start..].trim().is_empty() {
        return Err(RuleError::syntax(base + start, "last option is not terminated by ';'"));
    }
    Ok(out)
}

/// Splits the header at whitespace outside brackets.
fn header_tokens(header: &str) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = None;
    for (i, c) in header.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() && depth <= 0 {
            if let Some(s) = start.take() {
                out.push((&header[s..i], s));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((&header[s..], s));
    }
    out
}

/// Removes surrounding quotes and the `\"`, `\;`, `\\`, `\:` escapes.
pub(super) fn unquote(v: &str) -> String {
    let v = v.trim();
    let inner = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(v);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | ';' | '\\' | ':' | ',')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses one rule.
pub fn parse_rule(text: &str, vars: &Vars, location: Location) -> Result<Rule, RuleError> {
    let open = text.find('(').ok_or_else(|| RuleError::syntax(0, "no '(' starting the options"))?;
    let close =
        text.rfind(')').filter(|&c| c > open).ok_or_else(|| RuleError::syntax(open, "no ')' closing the options"))?;
    if !text[close + 1..].trim().is_empty() {
        return Err(RuleError::syntax(close + 1, "text after the closing ')'"));
    }
    let tokens = header_tokens(&text[..open]);
    if tokens.len() != 7 {
        return Err(RuleError::syntax(
            0,
            format!("the header needs 7 parts (action protocol src sport direction dst dport), found {}", tokens.len()),
        ));
    }
    let action = header::parse_action(tokens[0].0, tokens[0].1)?;
    let (proto, hook) = header::parse_proto_hook(tokens[1].0, tokens[1].1)?;
    let addr = |t: (&str, usize)| header::parse_addresses(t.0, vars).map_err(|e| RuleError::invalid(t.1, e));
    let port = |t: (&str, usize)| header::parse_ports(t.0, vars).map_err(|e| RuleError::invalid(t.1, e));
    let src = addr(tokens[2])?;
    let src_ports = port(tokens[3])?;
    let (bidirectional, transactional) = match tokens[4].0 {
        "->" => (false, false),
        "<>" => (true, false),
        "=>" => (false, true),
        other => {
            return Err(RuleError::syntax(
                tokens[4].1,
                format!("invalid direction \"{other}\" (expected ->, <> or =>)"),
            ))
        }
    };
    let dst = addr(tokens[5])?;
    let dst_ports = port(tokens[6])?;
    let mut b = Builder {
        rule: Rule {
            action,
            proto,
            hook,
            src,
            src_ports,
            dst,
            dst_ports,
            bidirectional,
            transactional,
            msg: String::new(),
            sid: 0,
            gid: 1,
            rev: 0,
            classtype: None,
            priority: None,
            references: Vec::new(),
            metadata: Vec::new(),
            target: None,
            buffers: Vec::new(),
            checks: Vec::new(),
            flow: None,
            flowbits: Vec::new(),
            flowints: Vec::new(),
            xbits: Vec::new(),
            iprep: Vec::new(),
            tags: Vec::new(),
            threshold: None,
            detection_filter: None,
            noalert: false,
            byte_vars: Vec::new(),
            app_checks: Vec::new(),
            app_keywords: Vec::new(),
            unsupported: Vec::new(),
            filestore: None,
            location,
            text: text.to_string(),
        },
        current: Buffer::Payload,
        last_content: None,
        have_sid: false,
    };
    for (opt, col) in split_options(&text[open + 1..close], open + 1)? {
        let opt_trimmed = opt.trim_start();
        let col = col + (opt.len() - opt_trimmed.len());
        let (name, value) = match opt_trimmed.split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (opt_trimmed.trim(), None),
        };
        if name.is_empty() {
            continue;
        }
        b.option(&name.to_ascii_lowercase(), value, col)?;
    }
    b.finish(open)
}

fn need_value<'v>(v: Option<&'v str>, name: &str, col: usize) -> Result<&'v str, RuleError> {
    v.filter(|s| !s.is_empty()).ok_or_else(|| RuleError::invalid(col, format!("{name} needs a value")))
}

struct Builder {
    rule: Rule,
    current: Buffer,
    /// (buffer index, item index) of the last content.
    last_content: Option<(usize, usize)>,
    have_sid: bool,
}

impl Builder {
    fn buffer_index(&mut self, buffer: Buffer) -> usize {
        if let Some(i) = self.rule.buffers.iter().position(|b| b.buffer == buffer) {
            return i;
        }
        self.rule.buffers.push(BufferMatch {
            buffer,
            transforms: Vec::new(),
            items: Vec::new(),
            bsize: None,
            sets: Vec::new(),
        });
        self.rule.buffers.len() - 1
    }

    fn push_item(&mut self, buffer: Buffer, item: Item) -> (usize, usize) {
        let bi = self.buffer_index(buffer);
        self.rule.buffers[bi].items.push(item);
        (bi, self.rule.buffers[bi].items.len() - 1)
    }

    fn last_content(&mut self, kw: &str, col: usize) -> Result<&mut Content, RuleError> {
        let (bi, ii) =
            self.last_content.ok_or_else(|| RuleError::invalid(col, format!("{kw} needs a preceding content")))?;
        match self.rule.buffers.get_mut(bi).and_then(|b| b.items.get_mut(ii)) {
            Some(Item::Content(c)) => Ok(c),
            _ => Err(RuleError::invalid(col, format!("{kw} needs a preceding content"))),
        }
    }

    fn option<'v>(&mut self, name: &str, value: Option<&'v str>, col: usize) -> Result<(), RuleError> {
        let inv = |msg: String| RuleError::invalid(col, msg);
        let need = |v: Option<&'v str>| need_value(v, name, col);
        let flag = |v: Option<&str>| match v {
            None => Ok(()),
            Some(_) => Err(RuleError::invalid(col, format!("{name} takes no value"))),
        };
        match name {
            "msg" => self.rule.msg = unquote(need(value)?),
            "sid" => {
                let v: u32 =
                    need(value)?.parse().map_err(|_| inv(format!("invalid sid \"{}\"", value.unwrap_or(""))))?;
                if v == 0 {
                    return Err(inv("sid must be greater than 0".into()));
                }
                self.rule.sid = v;
                self.have_sid = true;
            }
            "rev" => self.rule.rev = need(value)?.parse().map_err(|_| inv("invalid rev".into()))?,
            "gid" => self.rule.gid = need(value)?.parse().map_err(|_| inv("invalid gid".into()))?,
            "priority" => {
                let p: u8 = need(value)?.parse().map_err(|_| inv("invalid priority".into()))?;
                if p == 0 {
                    return Err(inv("priority must be 1..255".into()));
                }
                self.rule.priority = Some(p);
            }
            "classtype" => {
                let v = need(value)?;
                if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(inv(format!("invalid classtype \"{v}\"")));
                }
                self.rule.classtype = Some(v.to_string());
            }
            "reference" => {
                let v = need(value)?;
                let (k, r) =
                    v.split_once(',').ok_or_else(|| inv(format!("reference needs \"type,value\", got \"{v}\"")))?;
                self.rule.references.push((k.trim().to_string(), unquote(r.trim())));
            }
            "metadata" => {
                for part in need(value)?.split(',') {
                    let part = part.trim();
                    if part.is_empty() {
                        continue;
                    }
                    let (k, v) = part.split_once(char::is_whitespace).unwrap_or((part, ""));
                    self.rule.metadata.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            "target" => {
                self.rule.target = Some(match need(value)? {
                    "src_ip" => Target::SrcIp,
                    "dest_ip" => Target::DestIp,
                    other => return Err(inv(format!("target must be src_ip or dest_ip, got \"{other}\""))),
                })
            }
            "content" => {
                let (negated, pattern) = payload::parse_content_string(need(value)?).map_err(inv)?;
                let c = Content { pattern, negated, ..Content::default() };
                self.last_content = Some(self.push_item(self.current, Item::Content(c)));
            }
            "nocase" => {
                flag(value)?;
                let c = self.last_content(name, col)?;
                if c.nocase {
                    return Err(inv("nocase given twice for one content".into()));
                }
                c.nocase = true;
            }
            "rawbytes" => {
                flag(value)?;
                self.last_content(name, col)?.rawbytes = true;
            }
            "startswith" => {
                flag(value)?;
                let c = self.last_content(name, col)?;
                if c.offset.is_some() || c.depth.is_some() || c.distance.is_some() || c.within.is_some() {
                    return Err(inv("startswith cannot be combined with offset, depth, distance or within".into()));
                }
                c.startswith = true;
            }
            "endswith" => {
                flag(value)?;
                self.last_content(name, col)?.endswith = true;
            }
            "offset" | "depth" | "distance" | "within" => self.content_position(name, need(value)?, col)?,
            "fast_pattern" => {
                // As in Suricata: one fast pattern per rule.
                let items = self.rule.buffers.iter().flat_map(|b| &b.items);
                if items.into_iter().any(|i| matches!(i, Item::Content(c) if c.fast_pattern)) {
                    return Err(inv("fast_pattern can be used on only one content in a rule".into()));
                }
                let c = self.last_content(name, col)?;
                c.fast_pattern = true;
                match value.map(str::trim) {
                    None => {}
                    Some("only") => c.fast_pattern_only = true,
                    Some(v) => {
                        let (o, l) = v.split_once(',').ok_or_else(|| inv(format!("invalid fast_pattern \"{v}\"")))?;
                        let o: u16 = o.trim().parse().map_err(|_| inv("invalid fast_pattern offset".into()))?;
                        let l: u16 = l.trim().parse().map_err(|_| inv("invalid fast_pattern length".into()))?;
                        if l == 0 || usize::from(o) + usize::from(l) > c.pattern.len() {
                            return Err(inv("fast_pattern chop is outside the content".into()));
                        }
                        c.fast_pattern_chop = Some((o, l));
                    }
                }
            }
            "pcre" => {
                let (p, buf) = payload::parse_pcre(need(value)?).map_err(inv)?;
                let buffer = buf.map(Buffer::App).unwrap_or(self.current);
                self.push_item(buffer, Item::Pcre(p));
            }
            "byte_test" => {
                let t = payload::parse_byte_test(need(value)?, &self.rule.byte_vars).map_err(inv)?;
                self.push_item(self.current, Item::ByteTest(t));
            }
            "byte_jump" => {
                let j = payload::parse_byte_jump(need(value)?, &self.rule.byte_vars).map_err(inv)?;
                self.push_item(self.current, Item::ByteJump(j));
            }
            "byte_extract" => {
                if self.rule.byte_vars.len() >= 64 {
                    return Err(inv("too many byte_extract variables".into()));
                }
                let (e, var) =
                    payload::parse_byte_extract(need(value)?, self.rule.byte_vars.len() as u8).map_err(inv)?;
                if self.rule.byte_vars.contains(&var) {
                    return Err(inv(format!("byte_extract variable \"{var}\" defined twice")));
                }
                self.rule.byte_vars.push(var);
                self.push_item(self.current, Item::ByteExtract(e));
            }
            "byte_math" => {
                if self.rule.byte_vars.len() >= 64 {
                    return Err(inv("too many byte_extract variables".into()));
                }
                let index = self.rule.byte_vars.len() as u8;
                let (m, var) = payload::parse_byte_math(need(value)?, &self.rule.byte_vars, index).map_err(inv)?;
                if self.rule.byte_vars.contains(&var) {
                    return Err(inv(format!("byte_math result \"{var}\" defined twice")));
                }
                self.rule.byte_vars.push(var);
                self.push_item(self.current, Item::ByteMath(m));
            }
            "base64_decode" => {
                let d = payload::parse_base64_decode(value).map_err(inv)?;
                self.push_item(self.current, Item::Base64Decode(Box::new(d)));
            }
            "asn1" => {
                let a = super::asn1::parse_asn1(need(value)?).map_err(inv)?;
                // Suricata adds asn1 to the packet payload's list even after
                // a sticky buffer, and makes the rule a packet rule.
                self.push_item(Buffer::Payload, Item::Asn1(a));
            }
            "isdataat" => {
                let (i, _raw) = payload::parse_isdataat(need(value)?, &self.rule.byte_vars).map_err(inv)?;
                self.push_item(self.current, Item::IsDataAt(i));
            }
            "bsize" => {
                let cmp = NumCmp::parse(need(value)?, u64::from(u32::MAX)).map_err(|e| inv(format!("bsize: {e}")))?;
                if self.current == Buffer::Payload {
                    return Err(inv("bsize needs a sticky buffer".into()));
                }
                let bi = self.buffer_index(self.current);
                self.rule.buffers[bi].bsize = Some(cmp);
            }
            "dataset" | "datarep" => {
                let kw = if name == "dataset" {
                    SetKw::Dataset(super::datasets::parse_dataset(need(value)?).map_err(inv)?)
                } else {
                    SetKw::Datarep(super::datasets::parse_datarep(need(value)?).map_err(inv)?)
                };
                if self.current == Buffer::Payload {
                    return Err(inv(format!("{name} is only supported for sticky buffers")));
                }
                let bi = self.buffer_index(self.current);
                let after_items = !self.rule.buffers[bi].items.is_empty();
                self.rule.buffers[bi].sets.push(BufferSet { kw, after_items });
            }
            "iprep" => self.rule.iprep.push(super::datasets::parse_iprep(need(value)?).map_err(inv)?),
            "pkt_data" => {
                flag(value)?;
                self.current = Buffer::Payload;
            }
            "dsize" => self.check(name, value, col, 65535, PacketCheck::Dsize)?,
            "ttl" => self.check(name, value, col, 255, PacketCheck::Ttl)?,
            "tos" => self.check(name, value, col, 255, PacketCheck::Tos)?,
            "id" => self.check(name, value, col, 65535, PacketCheck::IpId)?,
            "itype" => self.check(name, value, col, 255, PacketCheck::Itype)?,
            "icode" => self.check(name, value, col, 255, PacketCheck::Icode)?,
            "window" => self.check(name, value, col, 65535, PacketCheck::Window)?,
            "icmp_id" | "icmp_seq" => {
                let v: u16 = need(value)?.parse().map_err(|_| inv(format!("invalid {name}")))?;
                self.rule.checks.push(if name == "icmp_id" { PacketCheck::IcmpId(v) } else { PacketCheck::IcmpSeq(v) });
            }
            "seq" | "ack" => {
                let v: u32 = need(value)?.parse().map_err(|_| inv(format!("invalid {name}")))?;
                self.rule.checks.push(if name == "seq" { PacketCheck::TcpSeq(v) } else { PacketCheck::TcpAck(v) });
            }
            "ip_proto" => {
                let c = packet::parse_ip_proto(need(value)?).map_err(inv)?;
                self.rule.checks.push(PacketCheck::IpProto(c));
            }
            "flags" => {
                let f = packet::parse_flags(need(value)?).map_err(inv)?;
                self.rule.checks.push(PacketCheck::Flags(f));
            }
            "sameip" => {
                flag(value)?;
                self.rule.checks.push(PacketCheck::SameIp);
            }
            "stream_size" => {
                let s = packet::parse_stream_size(need(value)?).map_err(inv)?;
                self.rule.checks.push(PacketCheck::StreamSize(s));
            }
            "flow" => {
                if self.rule.flow.is_some() {
                    return Err(inv("flow given twice".into()));
                }
                self.rule.flow = Some(packet::parse_flow(need(value)?).map_err(inv)?);
            }
            "flowbits" => match packet::parse_flowbits(need(value)?).map_err(inv)? {
                Some(f) => self.rule.flowbits.push(f),
                None => self.rule.noalert = true,
            },
            "flowint" => self.rule.flowints.push(packet::parse_flowint(need(value)?).map_err(inv)?),
            "xbits" => self.rule.xbits.push(super::hoststate::parse_xbits(need(value)?).map_err(inv)?),
            "hostbits" => match super::hoststate::parse_hostbits(need(value)?).map_err(inv)? {
                Some(x) => self.rule.xbits.push(x),
                None => self.rule.noalert = true,
            },
            "tag" => self.rule.tags.push(super::hoststate::parse_tag(need(value)?).map_err(inv)?),
            "noalert" => {
                flag(value)?;
                self.rule.noalert = true;
            }
            "threshold" => {
                if self.rule.threshold.is_some() || self.rule.detection_filter.is_some() {
                    return Err(inv("only one threshold or detection_filter per rule".into()));
                }
                self.rule.threshold = Some(packet::parse_threshold(need(value)?, false).map_err(inv)?);
            }
            "detection_filter" => {
                if self.rule.threshold.is_some() || self.rule.detection_filter.is_some() {
                    return Err(inv("only one threshold or detection_filter per rule".into()));
                }
                self.rule.detection_filter = Some(packet::parse_threshold(need(value)?, true).map_err(inv)?);
            }
            _ => return self.other_keyword(name, value, col),
        }
        Ok(())
    }

    fn check(
        &mut self,
        name: &str,
        value: Option<&str>,
        col: usize,
        max: u64,
        make: fn(NumCmp) -> PacketCheck,
    ) -> Result<(), RuleError> {
        let v =
            value.filter(|v| !v.is_empty()).ok_or_else(|| RuleError::invalid(col, format!("{name} needs a value")))?;
        let cmp = NumCmp::parse(v, max).map_err(|e| RuleError::invalid(col, format!("{name}: {e}")))?;
        self.rule.checks.push(make(cmp));
        Ok(())
    }

    fn content_position(&mut self, name: &str, value: &str, col: usize) -> Result<(), RuleError> {
        let num = payload::parse_num(value, &self.rule.byte_vars)
            .map_err(|e| RuleError::invalid(col, format!("{name}: {e}")))?;
        let c = self.last_content(name, col)?;
        let inv = |m: &str| Err(RuleError::invalid(col, format!("{name}: {m}")));
        if c.startswith {
            return inv("cannot be combined with startswith");
        }
        let len = c.pattern.len() as i64;
        let relative = matches!(name, "distance" | "within");
        if relative && (c.offset.is_some() || c.depth.is_some())
            || !relative && (c.distance.is_some() || c.within.is_some())
        {
            return inv(
                "relative (distance/within) and absolute (offset/depth) positions cannot be mixed on one content",
            );
        }
        let slot = match name {
            "offset" => &mut c.offset,
            "depth" => &mut c.depth,
            "distance" => &mut c.distance,
            _ => &mut c.within,
        };
        if slot.is_some() {
            return inv("given twice for the same content");
        }
        if let Num::Lit(v) = num {
            match name {
                "offset" if v < 0 => return inv("must not be negative"),
                "depth" | "within" if v < len && !c.negated => {
                    return inv(&format!("{v} is shorter than the content ({len} bytes), so it can never match"))
                }
                "depth" | "within" if v <= 0 => return inv("must be positive"),
                _ => {}
            }
        }
        *slot = Some(num);
        Ok(())
    }

    fn other_keyword(&mut self, name: &str, value: Option<&str>, col: usize) -> Result<(), RuleError> {
        if let Some(buf) = match name {
            "ip.src" => Some(Buffer::IpSrc),
            "ip.dst" => Some(Buffer::IpDst),
            _ => None,
        } {
            if value.is_some() {
                return Err(RuleError::invalid(col, format!("{name} is a sticky buffer and takes no value")));
            }
            self.current = buf;
            return Ok(());
        }
        if let Some(buf) = AppBuffer::from_sticky(name) {
            if value.is_some() && !matches!(buf, AppBuffer::FileData) {
                return Err(RuleError::invalid(col, format!("{name} is a sticky buffer and takes no value")));
            }
            self.current = Buffer::App(buf);
            return Ok(());
        }
        if let Some(buf) = AppBuffer::from_legacy_modifier(name) {
            let (bi, ii) = self
                .last_content
                .ok_or_else(|| RuleError::invalid(col, format!("{name} needs a preceding content")))?;
            let item = self.rule.buffers[bi].items.remove(ii);
            self.last_content = Some(self.push_item(Buffer::App(buf), item));
            return Ok(());
        }
        if let Some(t) = Transform::from_keyword(name) {
            if value.is_some() {
                return Err(RuleError::invalid(col, format!("{name} takes no value")));
            }
            if self.current == Buffer::Payload {
                return Err(RuleError::invalid(col, format!("{name} needs a sticky buffer")));
            }
            let bi = self.buffer_index(self.current);
            self.rule.buffers[bi].transforms.push(t);
            return Ok(());
        }
        match name {
            "filename" | "fileext" => return self.file_name_content(name, value, col),
            "filemd5" | "filesha1" | "filesha256" => {
                let dir = std::path::Path::new(&*self.rule.location.file).parent();
                let c = app::parse_file_hash(name, value, dir).map_err(|e| RuleError::invalid(col, e))?;
                self.rule.app_checks.push(c);
                return Ok(());
            }
            "filestore" => {
                let o = app::parse_filestore(value).map_err(|e| RuleError::invalid(col, e))?;
                self.rule.filestore = Some(o);
                return Ok(());
            }
            _ => {}
        }
        if APP_CHECKS.contains(&name) {
            let c = parse_app_check(name, value).map_err(|e| RuleError::invalid(col, e))?;
            self.rule.app_checks.push(c);
            return Ok(());
        }
        if let Some(&(_, proto)) = APP_KEYWORDS.iter().find(|(k, _)| *k == name) {
            self.rule.app_keywords.push((name.to_string(), proto));
            return Ok(());
        }
        if UNSUPPORTED.contains(&name) {
            self.rule.unsupported.push(name.to_string());
            return Ok(());
        }
        Err(RuleError::new(col, ErrorKind::UnknownKeyword, format!("unknown keyword \"{name}\"")))
    }

    /// `filename:"x"` is `file.name; content:"x"; nocase;` and
    /// `fileext:"x"` is `file.name; content:".x"; nocase; endswith;`
    /// (Suricata 8); the current sticky buffer is left as it was.
    fn file_name_content(&mut self, name: &str, value: Option<&str>, col: usize) -> Result<(), RuleError> {
        let v = need_value(value, name, col)?;
        let (neg, rest) = match v.strip_prefix('!') {
            Some(r) => (true, r.trim_start()),
            None => (false, v),
        };
        let quoted = if rest.starts_with('"') { rest.to_string() } else { format!("\"{rest}\"") };
        let (_, mut pattern) =
            payload::parse_content_string(&quoted).map_err(|e| RuleError::invalid(col, format!("{name}: {e}")))?;
        if pattern.is_empty() {
            return Err(RuleError::invalid(col, format!("{name} needs a value")));
        }
        let ext = name == "fileext";
        if ext {
            pattern.insert(0, b'.');
        }
        let c = Content { pattern, negated: neg, nocase: true, endswith: ext, ..Content::default() };
        self.last_content = Some(self.push_item(Buffer::App(AppBuffer::FileName), Item::Content(c)));
        Ok(())
    }

    /// The keywords after `base64_data` match what the last
    /// `base64_decode` before them decoded: they move into it.
    fn attach_base64_data(&mut self) -> Result<(), String> {
        let b64 = Buffer::App(AppBuffer::Base64Data);
        let Some(bi) = self.rule.buffers.iter().position(|b| b.buffer == b64) else { return Ok(()) };
        let data = self.rule.buffers.remove(bi).items;
        let decode = self.rule.buffers.iter_mut().rev().flat_map(|b| b.items.iter_mut().rev()).find_map(|i| match i {
            Item::Base64Decode(d) => Some(d),
            _ => None,
        });
        match decode {
            Some(d) => {
                d.data = data;
                Ok(())
            }
            None => Err("base64_data needs a base64_decode before it".into()),
        }
    }

    fn finish(mut self, open: usize) -> Result<Rule, RuleError> {
        if !self.have_sid {
            return Err(RuleError::invalid(open, "missing sid"));
        }
        self.attach_base64_data().map_err(|e| RuleError::invalid(open, e))?;
        self.rule.buffers.retain(|b| !b.items.is_empty() || b.bsize.is_some() || !b.sets.is_empty());
        if self.rule.filestore.is_some() {
            // Suricata inspects a filestore rule on the files themselves.
            self.rule.app_checks.push(AppCheck::HasFile);
        }
        let stream_only =
            matches!(self.rule.proto, Proto::TcpStream) || self.rule.flow.is_some_and(|f| f.stream == Some(true));
        if stream_only && self.rule.payload_items().any(|i| matches!(i, Item::Asn1(_))) {
            return Err(RuleError::invalid(
                open,
                "asn1 inspects packets: it cannot be used with tcp-stream or flow:only_stream",
            ));
        }
        if self.rule.transactional && self.rule.bidirectional {
            return Err(RuleError::invalid(open, "a rule is either <> or =>"));
        }
        for b in &mut self.rule.buffers {
            if let Buffer::App(a) = b.buffer {
                if a.is_md5_like() && b.transforms.is_empty() {
                    md5_like_contents(a, &mut b.items).map_err(|e| RuleError::invalid(open, e))?;
                }
            }
        }
        for b in &self.rule.buffers {
            let contents = b.items.iter().filter_map(|i| if let Item::Content(c) = i { Some(c) } else { None });
            for c in contents {
                if c.fast_pattern_only && (c.negated || c.is_relative() || c.offset.is_some() || c.depth.is_some()) {
                    return Err(RuleError::invalid(
                        open,
                        "fast_pattern:only cannot be used on a negated or positioned content",
                    ));
                }
            }
        }
        if matches!(self.rule.proto, Proto::Icmp | Proto::Icmpv4 | Proto::Icmpv6 | Proto::Ip)
            && (!self.rule.src_ports.is_any() || !self.rule.dst_ports.is_any())
            && !matches!(self.rule.proto, Proto::Ip)
        {
            return Err(RuleError::invalid(open, "ports can only be given for tcp, udp or sctp"));
        }
        Ok(self.rule)
    }
}

/// Suricata's check of buffers holding an MD5 in hex (`ssh.hassh`,
/// `ssh.hassh.server`): each content must be 32 hex digits, and is
/// lowercased, as the buffer is.
fn md5_like_contents(b: AppBuffer, items: &mut [Item]) -> Result<(), String> {
    for it in items {
        let Item::Content(c) = it else { continue };
        if c.pattern.len() != 32 {
            return Err(format!("{}: a content must be 32 hexadecimal characters (an MD5)", b.name()));
        }
        if !c.pattern.iter().all(u8::is_ascii_hexdigit) {
            return Err(format!("{}: a content must be hexadecimal characters (an MD5)", b.name()));
        }
        c.pattern.make_ascii_lowercase();
    }
    Ok(())
}
