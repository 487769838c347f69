//! The rule language: Suricata/Snort signature syntax parsed into a typed
//! [`Rule`], with errors that name the file, line, column and problem.
//!
//! Parsing is separate from compilation ([`crate::detect`]): a rule that
//! parses may still be skipped by the compiler (an application-layer buffer
//! this build does not inspect, an unknown classtype...). Either way the
//! reason is reported and the other rules load.

pub mod app;
pub mod asn1;
pub mod buffers;
pub mod classification;
pub mod datasets;
pub mod error;
pub mod header;
pub mod hoststate;
pub mod ipset;
pub mod numeric;
pub mod packet;
mod parse;
pub mod payload;
pub mod vars;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use app::{AppCheck, Transform};
pub use asn1::Asn1;
pub use buffers::{AppBuffer, Buffer};
pub use error::{ErrorKind, Location, RuleError};
pub use header::{Action, ActionClass, PortRanges, Proto};
pub use hoststate::{TagMetric, TagScope, TagSpec, XbitTrack, Xbits};
pub use ipset::IpSet;
pub use numeric::NumCmp;
pub use packet::{FlagsSpec, FlowSpec, Flowbits, FlowbitsCmd, Flowint, FlowintOp, FlowintValue, StreamSize, Threshold};
pub use payload::{ByteExtract, ByteJump, ByteMath, ByteTest, Content, IsDataAt, Item, Num, Pcre};
pub use vars::Vars;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    SrcIp,
    DestIp,
}

/// Payload keywords applying to one buffer, in rule order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferMatch {
    pub buffer: Buffer,
    /// Applied to the buffer, in order, before its keywords match.
    pub transforms: Vec<Transform>,
    pub items: Vec<Item>,
    pub bsize: Option<NumCmp>,
    /// `dataset`/`datarep` keywords on this buffer, in rule order.
    pub sets: Vec<datasets::BufferSet>,
}

/// A per-packet test that is not about payload bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketCheck {
    Dsize(NumCmp),
    Ttl(NumCmp),
    Tos(NumCmp),
    IpId(NumCmp),
    IpProto(NumCmp),
    Itype(NumCmp),
    Icode(NumCmp),
    IcmpId(u16),
    IcmpSeq(u16),
    Flags(FlagsSpec),
    TcpSeq(u32),
    TcpAck(u32),
    Window(NumCmp),
    SameIp,
    StreamSize(StreamSize),
}

/// A parsed rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub action: Action,
    pub proto: Proto,
    /// An explicit rule hook (`http1:request_line`): the transaction state
    /// the rule is evaluated at.
    pub hook: Option<crate::app::hooks::Hook>,
    pub src: IpSet,
    pub src_ports: PortRanges,
    pub dst: IpSet,
    pub dst_ports: PortRanges,
    /// `<>`: the rule also applies with source and destination swapped.
    pub bidirectional: bool,
    /// `=>`: one transaction's request and response together (header as
    /// written for the request side).
    pub transactional: bool,
    pub msg: String,
    pub sid: u32,
    pub gid: u32,
    pub rev: u32,
    pub classtype: Option<String>,
    pub priority: Option<u8>,
    pub references: Vec<(String, String)>,
    pub metadata: Vec<(String, String)>,
    pub target: Option<Target>,
    pub buffers: Vec<BufferMatch>,
    pub checks: Vec<PacketCheck>,
    pub flow: Option<FlowSpec>,
    pub flowbits: Vec<Flowbits>,
    /// `flowint` keywords, in rule order.
    pub flowints: Vec<Flowint>,
    /// `xbits` keywords, in rule order.
    pub xbits: Vec<Xbits>,
    /// `iprep` keywords: all must match.
    pub iprep: Vec<datasets::IprepKw>,
    /// `tag` keywords: packets logged after the rule's alerts.
    pub tags: Vec<TagSpec>,
    pub threshold: Option<Threshold>,
    pub detection_filter: Option<Threshold>,
    pub noalert: bool,
    /// byte_extract variable names; `Num::Var(i)` refers to `byte_vars[i]`.
    pub byte_vars: Vec<String>,
    /// Application-layer field tests (`urilen`, `ssl_version`...).
    pub app_checks: Vec<AppCheck>,
    /// Application-layer keywords this build has no parser for, with the
    /// protocol they need.
    pub app_keywords: Vec<(String, &'static str)>,
    /// Known keywords this build parses but does not honour.
    pub unsupported: Vec<String>,
    /// `filestore`: store the files of the matching transaction.
    pub filestore: Option<app::FileStoreOpts>,
    pub location: Location,
    /// The rule text as written (continuation lines joined).
    pub text: String,
}

impl Rule {
    pub fn payload_items(&self) -> impl Iterator<Item = &Item> {
        self.buffers.iter().filter(|b| b.buffer == Buffer::Payload).flat_map(|b| b.items.iter())
    }

    pub fn has_payload_match(&self) -> bool {
        self.buffers.iter().any(|b| b.buffer == Buffer::Payload && !b.items.is_empty())
    }
}

pub use parse::parse_rule;
use parse::unquote;

/// A rule that did not load.
#[derive(Debug, Clone)]
pub struct FailedRule {
    pub location: Location,
    pub sid: Option<u32>,
    pub error: RuleError,
}

/// The result of reading rule files: rules that parsed, and every rule that
/// did not with its reason.
#[derive(Debug, Default)]
pub struct ParsedRules {
    pub rules: Vec<Rule>,
    pub failed: Vec<FailedRule>,
    /// Commented-out rules (`# alert ...`), not loaded.
    pub disabled: usize,
    pub files: Vec<PathBuf>,
}

impl ParsedRules {
    /// Parses rules from text (one rule per line, `\` continues a line).
    pub fn add_text(&mut self, text: &str, file: &str, vars: &Vars) {
        self.add_text_from(text, &Arc::from(file), 1, vars);
    }

    /// [`ParsedRules::add_text`] for a piece of a file whose first line is
    /// line `first_line`.
    fn add_text_from(&mut self, text: &str, file: &Arc<str>, first_line: u32, vars: &Vars) {
        let mut pending = String::new();
        let mut start_line = 0u32;
        for (n, raw) in text.lines().enumerate() {
            let line_no = first_line.saturating_add(n as u32);
            let line = raw.trim_end_matches('\r');
            if pending.is_empty() {
                start_line = line_no;
            }
            if let Some(body) = line.strip_suffix('\\') {
                pending.push_str(body);
                continue;
            }
            pending.push_str(line);
            let rule_text = std::mem::take(&mut pending);
            self.add_line(&rule_text, Location { file: file.clone(), line: start_line }, vars);
        }
        if !pending.is_empty() {
            self.add_line(&pending, Location { file: file.clone(), line: start_line }, vars);
        }
    }

    /// Appends `other`, parsed from text that followed this one's.
    fn append(&mut self, other: ParsedRules) {
        self.rules.extend(other.rules);
        self.failed.extend(other.failed);
        self.disabled += other.disabled;
        self.files.extend(other.files);
    }

    fn add_line(&mut self, text: &str, location: Location, vars: &Vars) {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if looks_like_rule(comment.trim_start()) {
                self.disabled += 1;
            }
            return;
        }
        match parse_rule(trimmed, vars, location.clone()) {
            Ok(rule) => self.rules.push(rule),
            Err(error) => self.failed.push(FailedRule { location, sid: sniff_sid(trimmed), error }),
        }
    }

    /// Reads rule files; an unreadable file is an error for the whole load,
    /// a bad rule only for itself. Parsing runs on `threads` threads (0:
    /// one per core), each taking pieces of about [`PARSE_CHUNK`] bytes
    /// cut between rules; the result is the same as parsing in order.
    pub fn load_files(paths: &[PathBuf], vars: &Vars, threads: usize) -> Result<ParsedRules, String> {
        let mut texts = Vec::with_capacity(paths.len());
        for p in paths {
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            // Valid UTF-8 (nearly always) is kept as read, without a copy.
            let text = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            texts.push((Arc::<str>::from(p.display().to_string()), text));
        }
        let mut out = ParsedRules::parse_texts(&texts, vars, crate::util::par::threads(threads), PARSE_CHUNK);
        out.files = paths.to_vec();
        out.drop_duplicates();
        Ok(out)
    }

    /// Parses `(file name, text)` pairs in pieces of about `chunk` bytes
    /// on `threads` threads, as [`ParsedRules::add_text`] on each in turn.
    fn parse_texts(texts: &[(Arc<str>, String)], vars: &Vars, threads: usize, chunk: usize) -> ParsedRules {
        let pieces: Vec<(&Arc<str>, &str, u32)> = texts
            .iter()
            .flat_map(|(file, text)| split_between_rules(text, chunk).map(move |(t, line)| (file, t, line)))
            .collect();
        let parsed = crate::util::par::map_ordered(&pieces, threads, |(file, text, line)| {
            let mut part = ParsedRules::default();
            part.add_text_from(text, file, *line, vars);
            part
        });
        let mut out = ParsedRules::default();
        for part in parsed {
            out.append(part);
        }
        out
    }

    /// Keeps one rule per gid:sid (the highest revision, then the first
    /// seen), reporting the others.
    pub fn drop_duplicates(&mut self) {
        let mut best: HashMap<(u32, u32), usize> = HashMap::new();
        for (i, r) in self.rules.iter().enumerate() {
            let key = (r.gid, r.sid);
            match best.get(&key) {
                Some(&j) if self.rules[j].rev >= r.rev => {}
                _ => {
                    best.insert(key, i);
                }
            }
        }
        if best.len() == self.rules.len() {
            return;
        }
        let rules = std::mem::take(&mut self.rules);
        for (i, r) in rules.into_iter().enumerate() {
            let keep = best[&(r.gid, r.sid)];
            if keep == i {
                self.rules.push(r);
            } else {
                self.failed.push(FailedRule {
                    location: r.location.clone(),
                    sid: Some(r.sid),
                    error: RuleError::new(
                        0,
                        ErrorKind::Duplicate,
                        format!("duplicate signature {}:{} (rev {}); another revision is loaded", r.gid, r.sid, r.rev),
                    ),
                });
            }
        }
    }
}

fn looks_like_rule(s: &str) -> bool {
    ["alert ", "drop ", "pass ", "reject ", "rejectsrc ", "rejectdst ", "rejectboth "].iter().any(|a| s.starts_with(a))
        && s.contains('(')
}

/// Bytes of rule text one parsing thread takes at a time (ET Open, 20 MB,
/// is about twenty pieces).
const PARSE_CHUNK: usize = 1 << 20;

/// Cuts `text` into pieces of at least `size` bytes (the last may be
/// shorter), each ending after a line that does not continue (`\`), with
/// the number of its first line.
fn split_between_rules(text: &str, size: usize) -> impl Iterator<Item = (&str, u32)> {
    let mut rest = text;
    let mut line = 1u32;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = rest.len();
        let mut from = size.min(rest.len());
        while let Some(nl) = rest.as_bytes().get(from..).and_then(|tail| memchr::memchr(b'\n', tail)) {
            let at = from + nl;
            let before = rest[..at].trim_end_matches('\r');
            if !before.ends_with('\\') {
                end = at + 1;
                break;
            }
            from = at + 1;
        }
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        let first = line;
        line = line.saturating_add(memchr::memchr_iter(b'\n', piece.as_bytes()).count() as u32);
        Some((piece, first))
    })
}

/// Best-effort sid of a rule that failed to parse, for reports.
fn sniff_sid(text: &str) -> Option<u32> {
    let at = text.find("sid:")?;
    let rest = text[at + 4..].trim_start();
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Collects the `.rules` paths named on a command line: files as given,
/// directories expanded to the `*.rules` files they contain (sorted).
pub fn expand_rule_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "rules"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The directory of the first rule file, where `classification.config`
/// and `threshold.config` are looked up when not configured.
pub fn rules_dir(paths: &[PathBuf]) -> Option<&Path> {
    paths.first().and_then(|p| p.parent())
}
