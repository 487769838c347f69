//! IP reputation (Suricata's `iprep`): categories with a short name, and
//! per category a score 0-127 for addresses and networks, loaded from the
//! configured files once per rule load and shared read-only by all
//! workers (inside the detection engine's `Arc`).
//!
//! Suricata keeps single addresses in its host table and networks in a
//! radix tree per category; a lookup tries the address, then the longest
//! network holding it. Here both are hash maps: addresses, and networks
//! keyed by (prefix length, masked address) probed from the longest prefix
//! length present down, so a lookup costs at most one probe per distinct
//! prefix length in the files.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::rules::datasets::{IprepKw, IprepSide, IprepTest};

/// Categories Suricata allows (ids 0-59).
pub const MAX_CATEGORIES: u8 = 60;
/// Highest score.
pub const MAX_SCORE: u8 = 127;

/// IP reputation settings (Suricata's `reputation-categories-file`,
/// `default-reputation-path` and `reputation-files`). Off when neither a
/// categories file nor reputation files are given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ReputationConfig {
    /// Lines `id,shortname,description` (id 0-59; rules name the short name).
    pub categories_file: Option<PathBuf>,
    /// Directory relative `files` are read from.
    pub default_path: Option<PathBuf>,
    /// Lines `address[/prefix],category-id,score` (score 0-127); a first
    /// field `ip` marks a header line.
    pub files: Vec<PathBuf>,
}

impl ReputationConfig {
    pub fn enabled(&self) -> bool {
        self.categories_file.is_some() || !self.files.is_empty()
    }
}

/// A reputation file that did not load, with the file, line and problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReputationError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Line { path: String, line: usize, message: String },
    #[error("reputation-files are configured but reputation-categories-file is not")]
    NoCategories,
}

/// Networks of one category and family.
#[derive(Debug, Default)]
struct Networks {
    /// Prefix lengths present, longest first.
    lens: Vec<u8>,
    by_net: HashMap<(u8, u128), u8>,
}

impl Networks {
    fn insert(&mut self, len: u8, net: u128, score: u8) {
        if !self.lens.contains(&len) {
            self.lens.push(len);
            self.lens.sort_unstable_by(|a, b| b.cmp(a));
        }
        self.by_net.insert((len, net), score);
    }

    fn best(&self, addr: u128, bits: u8) -> Option<u8> {
        self.lens.iter().find_map(|&len| self.by_net.get(&(len, mask(addr, len, bits))).copied())
    }
}

fn mask(addr: u128, len: u8, bits: u8) -> u128 {
    if len == 0 {
        return 0;
    }
    let keep = u128::MAX << (128 - u32::from(len));
    (addr << (128 - u32::from(bits))) & keep
}

fn addr_bits(ip: IpAddr) -> (u128, u8, bool) {
    match ip {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32, false),
        IpAddr::V6(a) => (u128::from(a), 128, true),
    }
}

/// Loaded reputation data.
#[derive(Debug, Default)]
pub struct IpReputation {
    categories: HashMap<String, u8>,
    hosts: HashMap<IpAddr, Vec<(u8, u8)>>,
    /// By (category, is IPv6).
    networks: HashMap<(u8, bool), Networks>,
}

/// One parsed line of a reputation file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepLine {
    /// A comment, blank or header line.
    Skip,
    Host {
        ip: IpAddr,
        category: u8,
        score: u8,
    },
    Network {
        ip: IpAddr,
        prefix: u8,
        category: u8,
        score: u8,
    },
}

/// Comment and blank lines as Suricata skips them (first character a
/// space, tab, `#` or line end).
fn skipped(line: &str) -> bool {
    line.is_empty() || line.starts_with(['#', ' ', '\t', '\r'])
}

/// Parses a categories line: `Ok(None)` for comments.
pub fn parse_category_line(line: &str) -> Result<Option<(u8, String)>, String> {
    if skipped(line) {
        return Ok(None);
    }
    let line = line.trim_end();
    let mut parts = line.splitn(3, ',');
    let id = parts.next().unwrap_or("");
    let name = parts.next().ok_or_else(|| format!("bad line \"{line}\": expected id,shortname,description"))?;
    let id: u8 = id
        .parse()
        .ok()
        .filter(|&n| n < MAX_CATEGORIES)
        .ok_or_else(|| format!("bad category id \"{id}\" (0-{})", MAX_CATEGORIES - 1))?;
    if name.is_empty() {
        return Err(format!("bad line \"{line}\": empty short name"));
    }
    Ok(Some((id, name.to_string())))
}

/// Parses a reputation line.
pub fn parse_rep_line(line: &str) -> Result<RepLine, String> {
    if skipped(line) {
        return Ok(RepLine::Skip);
    }
    let line = line.trim_end();
    let parts: Vec<&str> = line.splitn(3, ',').collect();
    let [addr, cat, score] = parts[..] else {
        return Err(format!("bad line \"{line}\": expected address,category,score"));
    };
    if addr == "ip" {
        return Ok(RepLine::Skip);
    }
    let category: u8 = cat
        .parse()
        .ok()
        .filter(|&n| n < MAX_CATEGORIES)
        .ok_or_else(|| format!("bad category \"{cat}\" (0-{})", MAX_CATEGORIES - 1))?;
    let score: u8 = score
        .parse()
        .ok()
        .filter(|&n| n <= MAX_SCORE)
        .ok_or_else(|| format!("bad score \"{score}\" (0-{MAX_SCORE})"))?;
    match addr.split_once('/') {
        Some((a, p)) => {
            let ip: IpAddr = a.parse().map_err(|_| format!("bad address \"{a}\""))?;
            let bits = addr_bits(ip).1;
            let prefix: u8 =
                p.parse().ok().filter(|&n| n <= bits).ok_or_else(|| format!("bad prefix length \"{p}\""))?;
            Ok(RepLine::Network { ip, prefix, category, score })
        }
        None => {
            let ip: IpAddr = addr.parse().map_err(|_| format!("bad address \"{addr}\""))?;
            Ok(RepLine::Host { ip, category, score })
        }
    }
}

/// Each line of the file at `path` through `parse`; the first bad line is
/// an error naming the file and the line.
fn parse_lines<T>(path: &Path, parse: fn(&str) -> Result<T, String>) -> Result<Vec<T>, ReputationError> {
    let text = read(path)?;
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            parse(line).map_err(|message| ReputationError::Line {
                path: path.display().to_string(),
                line: n + 1,
                message,
            })
        })
        .collect()
}

impl IpReputation {
    /// Loads the configured files; relative paths are taken as given
    /// (`files` from `default_path` when set). `None` when reputation is
    /// not configured.
    pub fn load(cfg: &ReputationConfig) -> Result<Option<IpReputation>, ReputationError> {
        if !cfg.enabled() {
            return Ok(None);
        }
        let cats = cfg.categories_file.as_ref().ok_or(ReputationError::NoCategories)?;
        let mut rep = IpReputation::default();
        for (id, name) in parse_lines(cats, parse_category_line)?.into_iter().flatten() {
            rep.categories.insert(name, id);
        }
        for f in &cfg.files {
            let path = match &cfg.default_path {
                Some(d) if f.is_relative() => d.join(f),
                _ => f.clone(),
            };
            for parsed in parse_lines(&path, parse_rep_line)? {
                rep.add(parsed);
            }
        }
        Ok(Some(rep))
    }

    pub fn add(&mut self, line: RepLine) {
        match line {
            RepLine::Skip => {}
            RepLine::Host { ip, category, score } => {
                let e = self.hosts.entry(ip).or_default();
                match e.iter_mut().find(|(c, _)| *c == category) {
                    Some(slot) => slot.1 = score,
                    None => e.push((category, score)),
                }
            }
            RepLine::Network { ip, prefix, category, score } => {
                let (addr, bits, v6) = addr_bits(ip);
                self.networks.entry((category, v6)).or_default().insert(prefix, mask(addr, prefix, bits), score);
            }
        }
    }

    /// The id of a category short name.
    pub fn category(&self, name: &str) -> Option<u8> {
        self.categories.get(name).copied()
    }

    /// The address's score in the category: its own entry, else the
    /// longest network holding it. As in Suricata, whose host table keeps
    /// one score per category with 0 for the categories a line did not
    /// set, an address listed in any category has score 0 in the others,
    /// and its networks are then not consulted (the documentation reads
    /// as if such an address had no score there).
    pub fn score(&self, ip: IpAddr, category: u8) -> Option<u8> {
        if let Some(entries) = self.hosts.get(&ip) {
            return Some(entries.iter().find(|(c, _)| *c == category).map_or(0, |&(_, s)| s));
        }
        let (addr, bits, v6) = addr_bits(ip);
        self.networks.get(&(category, v6)).and_then(|n| n.best(addr, bits))
    }
}

/// A compiled `iprep` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IprepCheck {
    pub side: IprepSide,
    pub category: u8,
    pub test: IprepTest,
}

impl IprepCheck {
    /// Resolves the keyword's category; Suricata refuses unknown short
    /// names and, since its lookup answers 0 for "not found", category 0.
    pub fn compile(kw: &IprepKw, rep: Option<&IpReputation>) -> Result<IprepCheck, String> {
        let rep = rep.ok_or("iprep needs IP reputation (detect.reputation.categories_file and files)")?;
        match rep.category(&kw.category) {
            Some(0) => Err(format!("iprep category \"{}\" has id 0, which Suricata cannot match", kw.category)),
            Some(category) => Ok(IprepCheck { side: kw.side, category, test: kw.test }),
            None => Err(format!("iprep: unknown category \"{}\"", kw.category)),
        }
    }
}

impl IpReputation {
    /// Evaluates `iprep` for a packet's addresses, as Suricata 8 does: `any`
    /// matches when the source or else the destination has a score that
    /// compares; `both` needs both. `isnotset` on `src`/`dst` matches an
    /// address without a score or with score 0 (Suricata tests it as
    /// `=,0` once a score is found); on `any`, one side without a score;
    /// on `both`, neither side with one.
    pub fn matches(&self, c: &IprepCheck, src: IpAddr, dst: IpAddr) -> bool {
        let cmp = |v: u8| match c.test {
            IprepTest::Cmp(op, n) => op.test(u16::from(v), u16::from(n)),
            IprepTest::IsSet => true,
            IprepTest::IsNotSet => false,
        };
        let s = || self.score(src, c.category);
        let d = || self.score(dst, c.category);
        let notset = c.test == IprepTest::IsNotSet;
        match c.side {
            IprepSide::Src if notset => s().is_none_or(|v| v == 0),
            IprepSide::Dst if notset => d().is_none_or(|v| v == 0),
            IprepSide::Src => s().is_some_and(cmp),
            IprepSide::Dst => d().is_some_and(cmp),
            IprepSide::Any if notset => s().is_none() || d().is_none(),
            IprepSide::Any => s().is_some_and(cmp) || d().is_some_and(cmp),
            IprepSide::Both if notset => s().is_none() && d().is_none(),
            IprepSide::Both => s().is_some_and(cmp) && d().is_some_and(cmp),
        }
    }
}

fn read(p: &Path) -> Result<String, ReputationError> {
    let bytes = std::fs::read(p)
        .map_err(|e| ReputationError::Read { path: p.display().to_string(), message: e.to_string() })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(parse_category_line("1,BadHosts,Known bad hosts").unwrap(), Some((1, "BadHosts".into())));
        assert_eq!(parse_category_line("# comment").unwrap(), None);
        assert!(parse_category_line("60,X,y").is_err());
        assert!(parse_category_line("1").is_err());
        assert_eq!(parse_rep_line("ip,cat,score").unwrap(), RepLine::Skip);
        assert!(matches!(parse_rep_line("10.0.0.1,1,20").unwrap(), RepLine::Host { score: 20, .. }));
        assert!(matches!(parse_rep_line("10.0.0.0/8,1,20").unwrap(), RepLine::Network { prefix: 8, .. }));
        assert!(parse_rep_line("10.0.0.1,1,128").is_err());
        assert!(parse_rep_line("10.0.0.1,60,1").is_err());
        assert!(parse_rep_line("10.0.0.0/33,1,1").is_err());
        assert!(parse_rep_line("10.0.0.x,1,1").is_err());
        assert!(parse_rep_line("10.0.0.1,1").is_err());
    }

    #[test]
    fn host_then_longest_network() {
        let mut r = IpReputation::default();
        for l in ["10.0.0.0/8,1,10", "10.1.0.0/16,1,20", "10.1.2.3,1,30", "2001:db8::/32,1,40"] {
            r.add(parse_rep_line(l).unwrap());
        }
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(r.score(ip("10.1.2.3"), 1), Some(30));
        assert_eq!(r.score(ip("10.1.9.9"), 1), Some(20));
        assert_eq!(r.score(ip("10.9.9.9"), 1), Some(10));
        assert_eq!(r.score(ip("11.0.0.1"), 1), None);
        // Listed in category 1: score 0 in the others, networks unused.
        assert_eq!(r.score(ip("10.1.2.3"), 2), Some(0));
        assert_eq!(r.score(ip("10.1.9.9"), 2), None);
        assert_eq!(r.score(ip("2001:db8:1::5"), 1), Some(40));
        assert_eq!(mask(0xffff_ffff, 0, 32), 0);
    }
}
