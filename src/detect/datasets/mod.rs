//! Datasets (Suricata's `dataset`/`datarep`): named sets of strings,
//! hashes or addresses, declared in the configuration or by rules, loaded
//! once when the rules compile and shared by every worker.
//!
//! Sharing: a set that no rule changes is a plain map inside the
//! [`super::DetectEngine`], read without locks by all workers (the engine
//! is behind an `Arc`). A set that some rule changes (`dataset:set` /
//! `unset`) keeps its loaded items in that map and the runtime changes in
//! an overlay of lock-free concurrent maps (`papaya`: reads never block,
//! writes are atomic per item), so a `set` on one worker is seen at once
//! by the flows of the others, as Suricata's global sets are, and no lock
//! is shared between workers. Runtime additions are bounded by the set's
//! `memcap` (bytes, counted per item with a fixed overhead); an addition
//! that does not fit is refused and counted, and the rule does not match,
//! as in Suricata. Room is reserved before an item is inserted, so the
//! memcap holds even when workers add at the same instant (one of them may
//! then see an item refused that would have fitted a moment later). Runtime changes are written to the set's
//! `save`/`state` file by [`DatasetStore::save`] at shutdown; a rule
//! reload starts from the files again.
//!
//! JSON sets (`format json`/`ndjson`, [`json`]) are load-only, as in
//! Suricata: each item keeps its object as compact JSON text in an
//! `Arc<str>`; an `isset` that names a `context_key` hands a clone of it
//! (a reference count, no allocation) to the alert through the worker's
//! [`SetHit`] list. The object's bytes count toward the memcap.

pub mod file;
pub mod json;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use file::Item;
use json::{JsonLayout, JsonSetError};

use crate::rules::datasets::{ContextField, DataType, RepOp, SetCmd, SetFormat, SetKw, SetOptions};

/// Bytes counted for each item besides its own (hash-table slot, lengths).
const ITEM_OVERHEAD: u64 = 48;

/// One set declared in the configuration (Suricata's `datasets:` entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetDecl {
    #[serde(rename = "type")]
    pub data_type: DataType,
    /// File to load at start (one item per line, see the README).
    /// Relative paths are looked up in `data_dir`, then as given.
    #[serde(default)]
    pub load: Option<PathBuf>,
    /// File loaded at start and written at shutdown (in `data_dir` when
    /// relative).
    #[serde(default)]
    pub state: Option<PathBuf>,
    /// Bytes the set may hold; defaults to `defaults.memcap`.
    #[serde(default)]
    pub memcap: Option<u64>,
    /// Expected number of items (the initial table size); defaults to
    /// `defaults.hashsize`.
    #[serde(default)]
    pub hashsize: Option<u32>,
}

/// Limits used when a set does not give its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SetDefaults {
    pub memcap: u64,
    pub hashsize: u32,
}

impl Default for SetDefaults {
    fn default() -> Self {
        SetDefaults { memcap: 16 << 20, hashsize: 2048 }
    }
}

/// What rules may do with files (Suricata's `datasets.rules`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleFilePolicy {
    /// Rules may name absolute `save`/`state` paths and paths with `..`.
    pub allow_absolute_filenames: bool,
    /// Rules may use `save` and `state` (files written at shutdown, inside
    /// `data_dir` unless absolute names are allowed).
    pub allow_write: bool,
}

impl Default for RuleFilePolicy {
    fn default() -> Self {
        RuleFilePolicy { allow_absolute_filenames: false, allow_write: true }
    }
}

/// Dataset settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DatasetsConfig {
    /// Sets declared here, by name; rules use them by name alone.
    pub sets: BTreeMap<String, SetDecl>,
    pub defaults: SetDefaults,
    pub rules: RuleFilePolicy,
    /// Where `save`/`state` files live (Suricata's `data-dir`); the working
    /// directory when unset.
    pub data_dir: Option<PathBuf>,
}

impl DatasetsConfig {
    fn data_dir(&self) -> &Path {
        self.data_dir.as_deref().unwrap_or(Path::new("."))
    }
}

/// Why a dataset is unusable, or a rule's use of it is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatasetError {
    #[error("dataset {0} not defined (give it a type)")]
    Undefined(String),
    #[error("dataset {name} already exists and is of type {existing}")]
    TypeMismatch { name: String, existing: &'static str },
    #[error("dataset {name} {what} mismatch: {existing} != {given}")]
    FileMismatch { name: String, what: &'static str, existing: String, given: String },
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{path}: {source}")]
    JsonFile {
        path: String,
        #[source]
        source: JsonSetError,
    },
    #[error("dataset {name}: {message}")]
    Setup { name: String, message: String },
}

/// Runtime changes of a writable set, shared by the workers without locks.
#[derive(Default)]
struct Overlay {
    added: papaya::HashMap<Item, u16>,
    /// Loaded items removed by `unset`.
    removed: papaya::HashSet<Item>,
    bytes: AtomicU64,
}

pub struct Dataset {
    pub name: String,
    pub data_type: DataType,
    load: Option<PathBuf>,
    save: Option<PathBuf>,
    memcap: u64,
    loaded: HashMap<Item, u16>,
    loaded_bytes: u64,
    /// Some when a rule changes the set.
    overlay: Option<Overlay>,
    /// JSON sets: how the file was read, and each item's object.
    json: Option<(JsonLayout, HashMap<Item, Arc<str>>)>,
    /// Items not added because the set was at its memcap.
    pub overflow: AtomicU64,
}

impl Dataset {
    fn new(name: &str, data_type: DataType, memcap: u64, hashsize: u32) -> Dataset {
        Dataset {
            name: name.to_string(),
            data_type,
            load: None,
            save: None,
            memcap,
            loaded: HashMap::with_capacity(hashsize.min(1 << 20) as usize),
            loaded_bytes: 0,
            overlay: None,
            json: None,
            overflow: AtomicU64::new(0),
        }
    }

    fn load_file(&mut self, path: &Path, missing_ok: bool) -> Result<(), DatasetError> {
        let file_err = |message: String| DatasetError::File { path: path.display().to_string(), message };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(file_err(e.to_string())),
        };
        for (item, rep) in file::parse_file(self.data_type, &bytes).map_err(file_err)? {
            self.loaded_bytes += item.len() as u64 + ITEM_OVERHEAD;
            self.loaded.insert(item, rep);
        }
        if self.loaded_bytes > self.memcap {
            return Err(file_err(format!(
                "dataset too large for set memcap ({} items, memcap {} bytes)",
                self.loaded.len(),
                self.memcap
            )));
        }
        Ok(())
    }

    /// Loads a JSON set file: every item with its object. The first of
    /// duplicate items wins (Suricata keeps the first too).
    fn load_json(&mut self, path: &Path, layout: JsonLayout) -> Result<(), DatasetError> {
        let shown = || path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| DatasetError::File { path: shown(), message: e.to_string() })?;
        let parsed = json::parse_json_file(self.data_type, &layout, &bytes)
            .map_err(|source| DatasetError::JsonFile { path: shown(), source })?;
        let mut objects = HashMap::with_capacity(parsed.items.len());
        for (item, obj) in parsed.items {
            if self.loaded.contains_key(&item) {
                continue;
            }
            self.loaded_bytes += (item.len() + obj.len()) as u64 + ITEM_OVERHEAD;
            self.loaded.insert(item.clone(), 0);
            objects.insert(item, obj);
        }
        if self.loaded_bytes > self.memcap {
            return Err(DatasetError::File {
                path: shown(),
                message: format!(
                    "dataset too large for set memcap ({} items with {} bytes of JSON, memcap {} bytes)",
                    self.loaded.len(),
                    self.loaded_bytes,
                    self.memcap
                ),
            });
        }
        self.json = Some((layout, objects));
        Ok(())
    }

    /// The object kept with the item, for JSON sets.
    pub fn object(&self, item: &[u8]) -> Option<&Arc<str>> {
        let (_, objects) = self.json.as_ref()?;
        let mut buf = [0u8; 16];
        objects.get(self.key(item, &mut buf)?)
    }

    /// The item's reputation when it is in the set.
    pub fn lookup(&self, item: &[u8]) -> Option<u16> {
        let mut buf = [0u8; 16];
        let item = self.key(item, &mut buf)?;
        let Some(o) = &self.overlay else { return self.loaded.get(item).copied() };
        if let Some(&r) = o.added.pin().get(item) {
            return Some(r);
        }
        if o.removed.pin().contains(item) {
            return None;
        }
        self.loaded.get(item).copied()
    }

    /// The buffer as this set stores it: None when it does not have the
    /// size of the set's items; for an `ip` set a 4-byte address in the
    /// 16-byte form of [`file::ip_key`].
    fn key<'a>(&self, item: &'a [u8], buf: &'a mut [u8; 16]) -> Option<&'a [u8]> {
        let fits = match self.data_type {
            DataType::String => true,
            DataType::Md5 => item.len() == 16,
            DataType::Sha256 => item.len() == 32,
            DataType::Ipv4 => item.len() == 4,
            DataType::Ip => item.len() == 16 || item.len() == 4,
        };
        if !fits {
            return None;
        }
        if self.data_type == DataType::Ip && item.len() == 4 {
            buf[..4].copy_from_slice(item);
            return Some(&buf[..]);
        }
        Some(item)
    }

    /// `dataset:set`: true when the item was not in the set and now is.
    pub fn add(&self, item: &[u8]) -> bool {
        let mut buf = [0u8; 16];
        let Some(item) = self.key(item, &mut buf) else { return false };
        let Some(o) = &self.overlay else { return false };
        let added = o.added.pin();
        if added.contains_key(item) {
            return false;
        }
        if self.loaded.contains_key(item) {
            return o.removed.pin().remove(item);
        }
        let cost = item.len() as u64 + ITEM_OVERHEAD;
        let used = o.bytes.fetch_add(cost, Ordering::Relaxed);
        if self.loaded_bytes + used + cost > self.memcap {
            o.bytes.fetch_sub(cost, Ordering::Relaxed);
            self.overflow.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        if added.insert(item.into(), 0).is_some() {
            // Another worker added it meanwhile: counted once, by it.
            o.bytes.fetch_sub(cost, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// `dataset:unset`: true when the item was in the set and is no more.
    pub fn remove(&self, item: &[u8]) -> bool {
        let mut buf = [0u8; 16];
        let Some(item) = self.key(item, &mut buf) else { return false };
        let Some(o) = &self.overlay else { return false };
        if o.added.pin().remove(item).is_some() {
            o.bytes.fetch_sub(item.len() as u64 + ITEM_OVERHEAD, Ordering::Relaxed);
            return true;
        }
        self.loaded.contains_key(item) && o.removed.pin().insert(item.into())
    }

    /// Items in the set now (loaded ones not removed, then added ones).
    pub fn len(&self) -> usize {
        match &self.overlay {
            None => self.loaded.len(),
            Some(o) => (self.loaded.len() + o.added.len()).saturating_sub(o.removed.len()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn contents(&self) -> String {
        let mut out = String::new();
        // Owned copies: written at shutdown or before a reload, not on the
        // packet path.
        let mut items: Vec<Item> = match &self.overlay {
            None => self.loaded.keys().cloned().collect(),
            Some(o) => {
                let removed = o.removed.pin();
                let mut v: Vec<Item> = self.loaded.keys().filter(|k| !removed.contains(*k)).cloned().collect();
                v.extend(o.added.pin().keys().cloned());
                v
            }
        };
        items.sort();
        for k in &items {
            file::format_line(self.data_type, k, &mut out);
        }
        out
    }
}

/// A rule's use of a set, compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    Cmd(SetCmd),
    Rep(RepOp, u16),
}

/// A compiled `dataset`/`datarep` keyword of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCheck {
    /// Index into [`DatasetStore`].
    pub set: u32,
    pub op: SetOp,
    /// Runs after the buffer's content keywords matched (else before).
    pub after_items: bool,
    /// `isset` on a JSON set with a `context_key`: where the alert shows
    /// the matched item's object.
    pub context: Option<(ContextField, Arc<str>)>,
}

/// The object of a JSON set item a signature's `isset` matched, for its
/// alert (`alert.<field>.<key>`). `sig` is filled in when the signature
/// matched; the hits of one signature are adjacent.
#[derive(Debug, Clone)]
pub struct SetHit {
    pub sig: u32,
    pub field: ContextField,
    pub key: Arc<str>,
    pub object: Arc<str>,
}

/// Forgets the hits after `mark` (a signature that did not match). Most
/// candidates leave none: then this is one comparison, where `truncate`
/// called the slice destructor (the `Arc`s) for nothing each time, ~1% of
/// a worker's instructions with ET Open.
#[inline]
pub fn forget_hits(hits: &mut Vec<SetHit>, mark: usize) {
    if hits.len() > mark {
        hits.truncate(mark);
    }
}

/// The hits of signature `sig` in `hits` (adjacent, see [`SetHit`]).
pub fn hits_of(hits: &[SetHit], sig: u32) -> &[SetHit] {
    let Some(start) = hits.iter().position(|h| h.sig == sig) else { return &[] };
    let len = hits[start..].iter().take_while(|h| h.sig == sig).count();
    &hits[start..start + len]
}

/// Every set, by name (case-insensitive, as in Suricata).
#[derive(Default)]
pub struct DatasetStore {
    sets: Vec<Dataset>,
    by_name: HashMap<String, usize>,
    /// Configured sets whose files did not load: rules naming them are
    /// skipped with this reason.
    broken: HashMap<String, DatasetError>,
    config: DatasetsConfig,
}

impl std::fmt::Debug for DatasetStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetStore").field("sets", &self.sets.len()).finish()
    }
}

/// `data_dir/path` when that exists, else the path as given (Suricata's
/// lookup for configured `load` files).
fn in_data_dir(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        return p.to_path_buf();
    }
    let joined = dir.join(p);
    if joined.exists() {
        joined
    } else {
        p.to_path_buf()
    }
}

impl DatasetStore {
    /// Creates the configured sets and loads their files. A set whose file
    /// does not load is remembered as broken: the rules naming it are
    /// skipped with the reason, the others load.
    pub fn from_config(config: &DatasetsConfig) -> DatasetStore {
        let mut store = DatasetStore { config: config.clone(), ..DatasetStore::default() };
        for (name, decl) in &config.sets {
            let (load, save) = match (&decl.state, &decl.load) {
                (Some(s), _) => {
                    let p = if s.is_absolute() { s.clone() } else { config.data_dir().join(s) };
                    (Some(p.clone()), Some(p))
                }
                (None, Some(l)) => (Some(in_data_dir(config.data_dir(), l)), None),
                (None, None) => (None, None),
            };
            let memcap = decl.memcap.unwrap_or(config.defaults.memcap);
            let hashsize = decl.hashsize.unwrap_or(config.defaults.hashsize);
            if let Err(e) = store.create(name, decl.data_type, load, save, memcap, hashsize, None) {
                store.broken.insert(name.to_ascii_lowercase(), e);
            }
        }
        store
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        name: &str,
        ty: DataType,
        load: Option<PathBuf>,
        save: Option<PathBuf>,
        memcap: u64,
        hashsize: u32,
        json: Option<JsonLayout>,
    ) -> Result<usize, DatasetError> {
        let mut set = Dataset::new(name, ty, memcap, hashsize);
        match (&load, json) {
            (Some(p), Some(layout)) => set.load_json(p, layout)?,
            // A `state` file that does not exist yet starts empty.
            (Some(p), None) => set.load_file(p, save.as_ref() == Some(p))?,
            (None, Some(_)) => {
                return Err(DatasetError::Setup { name: name.into(), message: "a JSON set needs 'load'".into() })
            }
            (None, None) => {}
        }
        set.load = load;
        set.save = save;
        self.sets.push(set);
        let i = self.sets.len() - 1;
        self.by_name.insert(name.to_ascii_lowercase(), i);
        Ok(i)
    }

    pub fn get(&self, i: u32) -> Option<&Dataset> {
        self.sets.get(i as usize)
    }

    pub fn sets(&self) -> &[Dataset] {
        &self.sets
    }

    /// Resolves (creating and loading when new) the set a rule names.
    /// `rule_file` is the rule's file: a relative `load` is looked up next
    /// to it first, as Suricata does.
    pub fn resolve(&mut self, kw: &SetKw, rule_file: &str) -> Result<SetCheck, DatasetError> {
        let name = kw.name();
        let key = name.to_ascii_lowercase();
        if let Some(e) = self.broken.get(&key) {
            return Err(e.clone());
        }
        let opts = kw.opts();
        let (load, save) = self.rule_paths(name, opts, rule_file)?;
        let op = match kw {
            SetKw::Dataset(d) => SetOp::Cmd(d.cmd),
            SetKw::Datarep(r) => SetOp::Rep(r.op, r.value),
        };
        let layout = (opts.format != SetFormat::Csv).then(|| JsonLayout {
            format: opts.format,
            value_key: opts.value_key.clone().unwrap_or_default(),
            array_key: opts.array_key.clone(),
            remove_key: opts.remove_key,
        });
        let set = match self.by_name.get(&key) {
            Some(&i) => {
                let s = &self.sets[i];
                if opts.data_type.is_some_and(|t| t != s.data_type) {
                    return Err(DatasetError::TypeMismatch { name: name.into(), existing: s.data_type.name() });
                }
                if load.is_some() || save.is_some() {
                    for (what, existing, given) in [("load", &s.load, &load), ("save", &s.save, &save)] {
                        if existing != given {
                            let show =
                                |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
                            return Err(DatasetError::FileMismatch {
                                name: name.into(),
                                what,
                                existing: show(existing),
                                given: show(given),
                            });
                        }
                    }
                }
                // A rule reading the file as JSON must read it as the set
                // was read (Suricata: "remove_key mismatch").
                if let Some(l) = &layout {
                    if s.json.as_ref().map(|(have, _)| have) != Some(l) {
                        return Err(DatasetError::Setup {
                            name: name.into(),
                            message: "format, value_key, array_key or remove_key differ from the set's".into(),
                        });
                    }
                }
                i
            }
            None => {
                let ty = opts.data_type.ok_or_else(|| DatasetError::Undefined(name.into()))?;
                let memcap = opts.memcap.unwrap_or(self.config.defaults.memcap);
                let hashsize = opts.hashsize.unwrap_or(self.config.defaults.hashsize);
                self.create(name, ty, load, save, memcap, hashsize, layout)?
            }
        };
        if matches!(op, SetOp::Cmd(c) if c.modifies()) && self.sets[set].overlay.is_none() {
            if self.sets[set].json.is_some() {
                // Suricata's JSON sets are load-only.
                return Err(DatasetError::Setup { name: name.into(), message: "a JSON set can not be changed".into() });
            }
            self.sets[set].overlay = Some(Overlay::default());
        }
        let context = match (op, &opts.context_key) {
            (SetOp::Cmd(SetCmd::IsSet), Some(k)) => Some((opts.context_field, Arc::from(k.as_str()))),
            _ => None,
        };
        Ok(SetCheck { set: set as u32, op, after_items: false, context })
    }

    /// Suricata's rule paths: `load` alone is next to the rule file (or as
    /// given); `save`/`state` go to the data directory and must be
    /// relative without `..` unless absolute names are allowed.
    fn rule_paths(
        &self,
        name: &str,
        opts: &SetOptions,
        rule_file: &str,
    ) -> Result<(Option<PathBuf>, Option<PathBuf>), DatasetError> {
        let setup = |message: String| DatasetError::Setup { name: name.into(), message };
        let save_path = |s: &str| -> Result<PathBuf, DatasetError> {
            if !self.config.rules.allow_write {
                return Err(setup("rules containing save/state datasets have been disabled".into()));
            }
            let p = Path::new(s);
            if !self.config.rules.allow_absolute_filenames {
                if p.is_absolute() {
                    return Err(setup(format!("absolute paths not allowed: {s}")));
                }
                if p.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
                    return Err(setup(format!("directory traversals not allowed: {s}")));
                }
            }
            Ok(if p.is_absolute() { p.to_path_buf() } else { self.config.data_dir().join(p) })
        };
        let load_path = |l: &str| -> PathBuf {
            let p = Path::new(l);
            if p.is_absolute() {
                return p.to_path_buf();
            }
            let next_to_rules = Path::new(rule_file).parent().map(|d| d.join(p));
            match next_to_rules {
                Some(q) if q.exists() => q,
                _ => p.to_path_buf(),
            }
        };
        Ok(match (&opts.state, &opts.load, &opts.save) {
            (Some(s), _, _) => {
                let p = save_path(s)?;
                (Some(p.clone()), Some(p))
            }
            (None, load, save) => (load.as_deref().map(load_path), save.as_deref().map(save_path).transpose()?),
        })
    }

    /// Writes every set with a `save`/`state` file; returns the errors.
    pub fn save(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for s in &self.sets {
            let Some(p) = &s.save else { continue };
            if let Err(e) = std::fs::write(p, s.contents()) {
                errors.push(format!("dataset {}: {}: {e}", s.name, p.display()));
            }
        }
        errors
    }

    /// Items refused at the memcap, over all sets.
    pub fn overflow(&self) -> u64 {
        self.sets.iter().map(|s| s.overflow.load(Ordering::Relaxed)).sum()
    }

    /// Runs the checks of a buffer that come before its content keywords
    /// (`after == false`) or after them. JSON objects for the alert are
    /// appended to `hits` (left there when a check fails: the caller drops
    /// the hits of a signature that does not match).
    pub fn check_all(&self, checks: &[SetCheck], after: bool, data: &[u8], hits: &mut Vec<SetHit>) -> bool {
        checks.iter().filter(|c| c.after_items == after).all(|c| self.check_with(c, data, hits))
    }

    /// Runs a compiled check on a buffer. Empty buffers never match, as in
    /// Suricata.
    pub fn check(&self, c: &SetCheck, data: &[u8]) -> bool {
        self.check_with(c, data, &mut Vec::new())
    }

    /// [`Self::check`], appending the matched item's object to `hits` when
    /// the check names a `context_key`.
    pub fn check_with(&self, c: &SetCheck, data: &[u8], hits: &mut Vec<SetHit>) -> bool {
        let Some(set) = self.get(c.set) else { return false };
        if data.is_empty() {
            return false;
        }
        if let (SetOp::Cmd(SetCmd::IsSet), Some((field, key))) = (c.op, &c.context) {
            if set.lookup(data).is_none() {
                return false;
            }
            if let Some(object) = set.object(data) {
                hits.push(SetHit { sig: u32::MAX, field: *field, key: key.clone(), object: object.clone() });
            }
            return true;
        }
        match c.op {
            SetOp::Cmd(SetCmd::IsSet) => set.lookup(data).is_some(),
            SetOp::Cmd(SetCmd::IsNotSet) => set.lookup(data).is_none(),
            SetOp::Cmd(SetCmd::Set) => set.add(data),
            SetOp::Cmd(SetCmd::Unset) => set.remove(data),
            SetOp::Rep(op, v) => set.lookup(data).is_some_and(|r| op.test(r, v)),
        }
    }
}

#[cfg(test)]
mod tests;
