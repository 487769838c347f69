//! Files carried in HTTP bodies, tracked beside the parser as Suricata
//! tracks them: every response body is a file, and so is a request body
//! sent with PUT or POST (each multipart/form-data part that has a file
//! name, or the whole body otherwise).
//!
//! A [`File`] keeps its name, its size in decoded bytes, whether bytes were
//! missing, its state and, when
//! asked for, its md5/sha1/sha256 computed incrementally: a hasher while it
//! is open and the digests once it is closed, nothing else. When a file
//! store is on, the bytes also go to a temporary file on disk as they come
//! ([`store`]); the engine keeps or drops it once the file is logged.
//!
//! Closing follows Suricata: a file whose message completed is `CLOSED`,
//! unless bytes were missing (`gaps`), which makes it `TRUNCATED`, as does a
//! message cut short (the connection ended inside a chunked body, a request
//! body or a multipart part). The engine truncates what is still open when
//! the flow ends. As in Suricata, a file is followed only as far as its
//! message's body limit (`app.http.request_body_limit` /
//! `response_body_limit`, 100 KiB by default): the bytes after it end the
//! file `TRUNCATED` at that size, unless a `filestore` rule matched it
//! (then it is followed to its end). Raise the limits, or set them to 0,
//! to hash or store bigger files whole.

pub mod store;

use md5::Digest as _;
use serde::{Deserialize, Serialize};

use store::{StoreSettings, StoreTmp};

/// Limits of file tracking (`app.http.files`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// Files tracked per transaction and direction (multipart parts with a
    /// file name beyond this are not tracked, and counted).
    pub max_per_tx: usize,
    /// Bytes of a file name kept (longer names are cut, and counted).
    /// Suricata keeps 4096.
    pub max_name_bytes: usize,
    /// Bytes of one multipart part's header section parsed; a part whose
    /// headers are longer is skipped (counted).
    pub max_part_header_bytes: usize,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig { max_per_tx: 32, max_name_bytes: 4096, max_part_header_bytes: 8192 }
    }
}

/// Which digests are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashKinds {
    pub md5: bool,
    pub sha1: bool,
    pub sha256: bool,
}

impl HashKinds {
    pub fn any(self) -> bool {
        self.md5 || self.sha1 || self.sha256
    }

    pub fn union(self, o: HashKinds) -> HashKinds {
        HashKinds { md5: self.md5 || o.md5, sha1: self.sha1 || o.sha1, sha256: self.sha256 || o.sha256 }
    }

    /// From Suricata's `force-hash` names (`md5`, `sha1`, `sha256`); other
    /// names are ignored here (configuration checks reject them).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> HashKinds {
        let has = |n: &str| names.iter().any(|s| s.as_ref().eq_ignore_ascii_case(n));
        HashKinds { md5: has("md5"), sha1: has("sha1"), sha256: has("sha256") }
    }
}

/// What the engine wants tracked, decided from the outputs and the rules
/// (not configured directly; see [`FilesConfig`] for the limits).
#[derive(Debug, Clone, Default)]
pub struct FileTracking {
    /// Files are tracked at all (fileinfo records, file keywords in rules,
    /// or a file store).
    pub enabled: bool,
    pub hashes: HashKinds,
    /// sha256 is also finalised for a truncated file (Suricata does this
    /// when sha256 is forced, as the file store names files by it).
    pub sha256_on_truncate: bool,
    /// Where file bytes are written while open, when a file store is on.
    pub store: Option<StoreSettings>,
}

impl PartialEq for FileTracking {
    fn eq(&self, o: &Self) -> bool {
        self.enabled == o.enabled
            && self.hashes == o.hashes
            && self.sha256_on_truncate == o.sha256_on_truncate
            && match (&self.store, &o.store) {
                (None, None) => true,
                (Some(a), Some(b)) => a.same(b),
                _ => false,
            }
    }
}

impl Eq for FileTracking {}

/// Counters of file tracking (per connection; added up per worker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStats {
    pub opened: u64,
    pub closed: u64,
    pub truncated: u64,
    /// Files that had bytes missing.
    pub with_gaps: u64,
    /// Multipart parts (or files) not tracked: `max_per_tx` reached.
    pub over_limit: u64,
    /// Names cut to `max_name_bytes`.
    pub names_cut: u64,
    /// Multipart bodies given up (headers too long, a gap).
    pub multipart_errors: u64,
    /// Bodies whose files were followed only as far as the body limit
    /// (the open file ended truncated there).
    pub cut_at_body_limit: u64,
    /// Files kept in the file store, and their bytes.
    pub stored: u64,
    pub stored_bytes: u64,
    /// Files not kept: already in the store (same sha256), over the size
    /// cap, without a sha256 (gaps), or the store could not be written.
    pub store_duplicates: u64,
    pub store_over_cap: u64,
    pub store_unnamed: u64,
    pub store_errors: u64,
}

impl FileStats {
    pub fn add(&mut self, o: &FileStats) {
        self.opened += o.opened;
        self.closed += o.closed;
        self.truncated += o.truncated;
        self.with_gaps += o.with_gaps;
        self.over_limit += o.over_limit;
        self.names_cut += o.names_cut;
        self.multipart_errors += o.multipart_errors;
        self.cut_at_body_limit += o.cut_at_body_limit;
        self.stored += o.stored;
        self.stored_bytes += o.stored_bytes;
        self.store_duplicates += o.store_duplicates;
        self.store_over_cap += o.store_over_cap;
        self.store_unnamed += o.store_unnamed;
        self.store_errors += o.store_errors;
    }
}

/// Where a file is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileState {
    #[default]
    Open,
    Closed,
    Truncated,
}

impl FileState {
    /// The name EVE shows (Suricata writes an open file's state, in an
    /// alert, as `UNKNOWN`).
    pub fn name(self) -> &'static str {
        match self {
            FileState::Open => "UNKNOWN",
            FileState::Closed => "CLOSED",
            FileState::Truncated => "TRUNCATED",
        }
    }
}

#[derive(Clone)]
struct Hashers {
    md5: Option<md5::Md5>,
    sha1: Option<sha1::Sha1>,
    sha256: Option<sha2::Sha256>,
}

impl Hashers {
    fn new(k: HashKinds) -> Hashers {
        Hashers {
            md5: k.md5.then(md5::Md5::new),
            sha1: k.sha1.then(sha1::Sha1::new),
            sha256: k.sha256.then(sha2::Sha256::new),
        }
    }

    fn update(&mut self, d: &[u8]) {
        if let Some(h) = &mut self.md5 {
            h.update(d);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(d);
        }
        if let Some(h) = &mut self.sha256 {
            h.update(d);
        }
    }
}

/// A file seen in a message body.
#[derive(Clone, Default)]
pub struct File {
    /// As Suricata chooses it: the Content-Disposition `filename` (of the
    /// message or multipart part), else the normalised URI path. May be
    /// empty (`filename=""`).
    pub name: Vec<u8>,
    /// Bytes seen (decoded), gap bytes of Content-Length bodies included.
    pub size: u64,
    pub gaps: bool,
    pub state: FileState,
    pub md5: Option<[u8; 16]>,
    pub sha1: Option<[u8; 20]>,
    pub sha256: Option<[u8; 32]>,
    hashers: Option<Box<Hashers>>,
    /// `filestore` rules that matched the file (EVE `sid`).
    pub store_sids: Vec<u32>,
    /// The file store kept it (EVE `stored`), with this id (`file_id`;
    /// none when the same content was already there).
    pub stored: bool,
    pub store_id: Option<u64>,
    /// Its bytes on disk while it is open or waiting to be logged.
    pub store_tmp: Option<StoreTmp>,
    /// Its `fileinfo` record was written (or it was dealt with when
    /// records are off).
    pub logged: bool,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("size", &self.size)
            .field("gaps", &self.gaps)
            .field("state", &self.state)
            .finish()
    }
}

impl File {
    /// Opens a file named `name` (cut to `max_name` bytes).
    pub fn open(name: &[u8], cfg: &FilesConfig, track: &FileTracking, stats: &mut FileStats) -> File {
        let mut name = name.to_vec();
        if name.len() > cfg.max_name_bytes {
            name.truncate(cfg.max_name_bytes);
            stats.names_cut += 1;
        }
        stats.opened += 1;
        let store_tmp = track.store.as_ref().and_then(|s| match s.create() {
            Ok(t) => Some(t),
            Err(_) => {
                stats.store_errors += 1;
                None
            }
        });
        File {
            name,
            hashers: track.hashes.any().then(|| Box::new(Hashers::new(track.hashes))),
            store_tmp,
            ..File::default()
        }
    }

    pub fn is_open(&self) -> bool {
        self.state == FileState::Open
    }

    /// Decoded bytes of the file.
    pub fn append(&mut self, data: &[u8], stats: &mut FileStats) {
        if !self.is_open() || data.is_empty() {
            return;
        }
        self.size += data.len() as u64;
        if let Some(h) = &mut self.hashers {
            h.update(data);
        }
        if let Some(t) = &mut self.store_tmp {
            if t.write(data).is_err() {
                stats.store_errors += 1;
                self.store_tmp = None;
            }
        }
    }

    /// `len` bytes are missing (counted in the size; 0 when the decoded
    /// length is unknown). Digests can no longer be computed, nor the file
    /// stored whole.
    pub fn gap(&mut self, len: u64) {
        if !self.is_open() {
            return;
        }
        self.size += len;
        self.gaps = true;
        self.hashers = None;
        if let Some(t) = self.store_tmp.take() {
            t.discard();
        }
    }

    /// Ends the file: `truncated` when its message was cut short. A file
    /// with gaps ends truncated too (Suricata).
    pub fn close(&mut self, truncated: bool, track: &FileTracking, stats: &mut FileStats) {
        if !self.is_open() {
            return;
        }
        let hashers = self.hashers.take();
        if truncated || self.gaps {
            self.state = FileState::Truncated;
            stats.truncated += 1;
            if self.gaps {
                stats.with_gaps += 1;
            }
            if track.sha256_on_truncate {
                self.sha256 = hashers.and_then(|h| h.sha256).map(|h| h.finalize().into());
            }
        } else {
            self.state = FileState::Closed;
            stats.closed += 1;
            if let Some(h) = hashers {
                self.md5 = h.md5.map(|h| h.finalize().into());
                self.sha1 = h.sha1.map(|h| h.finalize().into());
                self.sha256 = h.sha256.map(|h| h.finalize().into());
            }
        }
    }
}

impl File {
    /// The file is done with (logged): the file store keeps it when every
    /// file is stored or a `filestore` rule marked it, else its bytes on
    /// disk are deleted.
    pub fn settle_store(&mut self, stats: &mut FileStats) {
        let Some(tmp) = self.store_tmp.take() else { return };
        if !tmp.forced() && self.store_sids.is_empty() {
            tmp.discard();
            return;
        }
        let bytes = tmp.written();
        match tmp.keep(self.sha256.as_ref()) {
            store::Kept::Stored(id) => {
                self.stored = true;
                self.store_id = Some(id);
                stats.stored += 1;
                stats.stored_bytes += bytes;
            }
            store::Kept::Duplicate => {
                self.stored = true;
                stats.store_duplicates += 1;
            }
            store::Kept::OverCap => stats.store_over_cap += 1,
            store::Kept::Unnamed => stats.store_unnamed += 1,
            store::Kept::Error => stats.store_errors += 1,
        }
    }
}

/// Suricata's reading of a Content-Disposition value: the value of the
/// first `;`-separated token that starts (case-insensitively) with
/// `filename=`, quotes around it removed; quoted `;` do not separate.
/// `filename*=` (RFC 5987) is not recognised, as in Suricata.
pub fn content_disposition_filename(v: &[u8]) -> Option<&[u8]> {
    const NAME: &[u8] = b"filename=";
    let start = v.iter().position(|c| !c.is_ascii_whitespace())?;
    let line = v.get(start..)?;
    let mut quotes = 0usize;
    let mut offset = 0usize;
    let mut x = 1usize;
    while x < line.len() {
        let prev_escape = line.get(x - 1) == Some(&b'\\');
        if !prev_escape && line.get(x) == Some(&b'"') {
            quotes += 1;
        }
        let last = x + 1 == line.len();
        if ((!prev_escape && line.get(x) == Some(&b';')) || last) && quotes.is_multiple_of(2) {
            let token_len = x - offset + usize::from(last);
            let token = line.get(offset..offset + token_len).unwrap_or(&[]);
            offset = x + 1;
            while line.get(offset).is_some_and(u8::is_ascii_whitespace) {
                x += 1;
                offset += 1;
            }
            if token.len() > NAME.len() && token.get(..NAME.len()).is_some_and(|t| t.eq_ignore_ascii_case(NAME)) {
                let mut value = token.get(NAME.len()..).unwrap_or(&[]);
                if let Some(r) = value.strip_prefix(b"\"") {
                    value = r;
                }
                if let Some(r) = value.strip_suffix(b"\"") {
                    value = r;
                }
                return Some(value);
            }
        }
        x += 1;
    }
    None
}

#[cfg(test)]
mod tests;
