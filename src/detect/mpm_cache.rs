//! On-disk cache of compiled prefilter databases, as Suricata 8's
//! `sgh-mpm-caching`: a rule set loaded before starts without compiling
//! its Hyperscan databases again.
//!
//! One file per database, named by the SHA-256 of what it is built from
//! (every pattern with its flags and signature id, in order), the Hyperscan
//! version and this format's version: a changed rule set, a new Hyperscan
//! or a new mirrorids build of a different format simply misses. A file is
//! trusted only after its own SHA-256 checks out and its contents are
//! consistent with the entries asked for; Hyperscan then refuses a
//! database built for another CPU. Anything wrong (unreadable, truncated,
//! tampered, another platform) is a miss: the database is compiled as
//! without a cache, the file replaced, and one warning logged per load.
//!
//! Files are written to a temporary name and renamed, so concurrent
//! sensors sharing the directory never read half a file. The directory is
//! bounded: files not used for `max_age_days` are deleted at each load.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::prefilter::Prefilter;
use crate::util::hex_lower;

/// `detect.mpm_cache`: where compiled prefilter databases are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MpmCacheConfig {
    /// Use the cache (default true).
    pub enabled: bool,
    /// The cache directory. Unset: `$CACHE_DIRECTORY/hyperscan` (systemd's
    /// `CacheDirectory=`), else `$XDG_CACHE_HOME/mirrorids/hyperscan`,
    /// else `~/.cache/mirrorids/hyperscan`.
    pub dir: Option<PathBuf>,
    /// Files not used for this many days are deleted at each load
    /// (default 7; 0 keeps them).
    pub max_age_days: u32,
}

impl Default for MpmCacheConfig {
    fn default() -> Self {
        MpmCacheConfig { enabled: true, dir: None, max_age_days: 7 }
    }
}

impl MpmCacheConfig {
    /// The directory in use, when the cache is on and one can be named.
    pub fn resolved_dir(&self) -> Option<PathBuf> {
        if !self.enabled {
            return None;
        }
        if let Some(d) = &self.dir {
            return Some(d.clone());
        }
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        // systemd may list several directories, separated by ':'.
        if let Some(d) = env("CACHE_DIRECTORY") {
            let first = d.to_string_lossy().split(':').next().unwrap_or_default().to_string();
            return Some(PathBuf::from(first).join("hyperscan"));
        }
        if let Some(d) = env("XDG_CACHE_HOME") {
            return Some(d.join("mirrorids/hyperscan"));
        }
        env("HOME").map(|h| h.join(".cache/mirrorids/hyperscan"))
    }
}

const MAGIC: &[u8; 8] = b"MIDSMPM1";
const SUFFIX: &str = "mpm";

/// What a compiled prefilter is made of, as the cache stores it.
#[derive(Debug, PartialEq, Eq)]
pub struct CachedDb {
    /// Pattern id -> signatures, as a CSR.
    pub offsets: Vec<u32>,
    pub sigs: Vec<u32>,
    /// Signatures whose pattern Hyperscan refused.
    pub refused: Vec<u32>,
    /// The serialized Hyperscan database (empty: no patterns).
    pub db: Vec<u8>,
}

/// Counts of one load, for the load report.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MpmCacheStats {
    pub hits: usize,
    pub misses: usize,
    /// Files found but not usable (corrupt, stale, other platform).
    pub rejected: usize,
    pub written: usize,
    pub write_errors: usize,
    pub pruned: usize,
}

impl MpmCacheStats {
    /// One line for the load summary: `prefilter cache: 30 of 30 databases read from DIR`.
    pub fn describe(&self, dir: Option<&Path>) -> String {
        let Some(dir) = dir else { return "prefilter cache: off".into() };
        let total = self.hits + self.misses + self.rejected;
        let mut s = format!("prefilter cache: {} of {total} databases read from {}", self.hits, dir.display());
        if self.written > 0 {
            s.push_str(&format!(", {} written", self.written));
        }
        for (n, what) in [
            (self.rejected, "unusable, compiled again"),
            (self.write_errors, "not written"),
            (self.pruned, "old ones deleted"),
        ] {
            if n > 0 {
                s.push_str(&format!(", {n} {what}"));
            }
        }
        s
    }
}

/// The cache during one rule load.
pub struct MpmCache {
    dir: Option<PathBuf>,
    max_age: Option<Duration>,
    used: HashSet<PathBuf>,
    warned: bool,
    pub stats: MpmCacheStats,
}

impl MpmCache {
    pub fn open(config: &MpmCacheConfig) -> MpmCache {
        let max_age = (config.max_age_days > 0).then(|| Duration::from_secs(u64::from(config.max_age_days) * 86_400));
        MpmCache {
            dir: config.resolved_dir(),
            max_age,
            used: HashSet::new(),
            warned: false,
            stats: MpmCacheStats::default(),
        }
    }

    /// No cache: every database is compiled.
    pub fn off() -> MpmCache {
        MpmCache::open(&MpmCacheConfig { enabled: false, ..MpmCacheConfig::default() })
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn warn(&mut self, what: std::fmt::Arguments<'_>) {
        if !self.warned {
            tracing::warn!(
                "prefilter cache: {what} (compiled instead; further cache problems of this load not logged)"
            );
            self.warned = true;
        }
    }

    /// The file for these entries (`None`: no cache), for [`Self::get`]
    /// and then [`Self::put`].
    pub fn path(&self, entries: &[(Prefilter, u32)]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!("{}.{SUFFIX}", hex_lower(&key(entries), ""))))
    }

    /// The cached database for `entries` at `path`, when a sound one is
    /// there, and what `load` made of its database bytes (`None` when it
    /// has no patterns). `load` returning `None` (Hyperscan refused the
    /// bytes) is a miss.
    pub fn get<T>(
        &mut self,
        path: &Path,
        entries: &[(Prefilter, u32)],
        load: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Option<(CachedDb, Option<T>)> {
        self.used.insert(path.to_path_buf());
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.stats.misses += 1;
                return None;
            }
            Err(e) => {
                self.stats.rejected += 1;
                self.warn(format_args!("{}: {e}", path.display()));
                return None;
            }
        };
        let ids: HashSet<u32> = entries.iter().map(|e| e.1).collect();
        let decoded = decode(&bytes, &ids).map(|db| {
            let loaded = if db.db.is_empty() { Some(None) } else { load(&db.db).map(Some) };
            (db, loaded)
        });
        match decoded {
            Ok((db, Some(loaded))) => {
                self.stats.hits += 1;
                // Used now: not pruned for another max_age.
                if let Ok(f) = std::fs::File::options().append(true).open(path) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Some((db, loaded))
            }
            Ok((_, None)) => {
                self.stats.rejected += 1;
                self.warn(format_args!("{}: Hyperscan refused the database (another version or CPU)", path.display()));
                None
            }
            Err(why) => {
                self.stats.rejected += 1;
                self.warn(format_args!("{}: {why}", path.display()));
                None
            }
        }
    }

    /// Stores what was compiled at `path` (from [`Self::path`]).
    pub fn put(&mut self, path: &Path, db: &CachedDb) {
        let Some(dir) = path.parent() else { return };
        // Unique among loads of this process too (tests load in parallel).
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tmp = dir.join(format!(".{}.{}.tmp", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        let result = std::fs::create_dir_all(dir)
            .and_then(|_| {
                // No fsync: a file cut short by a crash fails its checksum
                // and is compiled again.
                std::fs::File::create(&tmp)?.write_all(&encode(db))
            })
            .and_then(|_| std::fs::rename(&tmp, path));
        match result {
            Ok(()) => self.stats.written += 1,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                self.stats.write_errors += 1;
                self.warn(format_args!("writing {}: {e}", path.display()));
            }
        }
    }

    /// Deletes cache files unused for `max_age_days` (not the ones this
    /// load used); call once the rules are loaded.
    pub fn prune(&mut self) {
        let (Some(dir), Some(max_age)) = (&self.dir, self.max_age) else { return };
        let Ok(list) = std::fs::read_dir(dir) else { return };
        let now = SystemTime::now();
        for entry in list.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != SUFFIX) || self.used.contains(&path) {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > max_age));
            if old && std::fs::remove_file(&path).is_ok() {
                self.stats.pruned += 1;
            }
        }
    }
}

/// The cache key of `entries`: everything the compiled database depends on.
pub fn key(entries: &[(Prefilter, u32)]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(MAGIC);
    h.update(hyperscan::version_str().to_bytes());
    h.update([0]);
    let field = |h: &mut Sha256, b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    for (p, sig) in entries {
        match p {
            Prefilter::Literal { bytes, nocase } => {
                h.update([0, u8::from(*nocase)]);
                field(&mut h, bytes);
            }
            Prefilter::Regex { source, caseless, dotall, multiline } => {
                h.update([1, u8::from(*caseless), u8::from(*dotall), u8::from(*multiline)]);
                field(&mut h, source.as_bytes());
            }
        }
        h.update(sig.to_le_bytes());
    }
    h.finalize().into()
}

/// `MAGIC`, SHA-256 of the payload, payload: offsets, sigs, refused (each
/// a u32 count and u32s), the database (a u64 length and its bytes), all
/// little-endian.
pub fn encode(db: &CachedDb) -> Vec<u8> {
    let mut payload = Vec::with_capacity(db.db.len() + 4 * (db.offsets.len() + db.sigs.len() + db.refused.len()) + 20);
    for list in [&db.offsets, &db.sigs, &db.refused] {
        payload.extend_from_slice(&(list.len() as u32).to_le_bytes());
        for x in list.iter() {
            payload.extend_from_slice(&x.to_le_bytes());
        }
    }
    payload.extend_from_slice(&(db.db.len() as u64).to_le_bytes());
    payload.extend_from_slice(&db.db);
    seal(&payload)
}

/// `payload` behind the file header (`MAGIC` and its SHA-256).
pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 40);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&Sha256::digest(payload));
    out.extend_from_slice(payload);
    out
}

/// Reads a cache file, checking it against the signature ids it must be
/// about. Never panics on any input.
pub fn decode(bytes: &[u8], ids: &HashSet<u32>) -> Result<CachedDb, String> {
    let rest = bytes.strip_prefix(MAGIC).ok_or("not a mirrorids prefilter cache file")?;
    let (sum, payload) = rest.split_at_checked(32).ok_or("truncated")?;
    if Sha256::digest(payload).as_slice() != sum {
        return Err("checksum mismatch (damaged)".into());
    }
    let mut r = payload;
    let mut take = |n: usize| -> Result<&[u8], String> {
        let (a, b) = r.split_at_checked(n).ok_or("truncated")?;
        r = b;
        Ok(a)
    };
    let mut lists: [Vec<u32>; 3] = Default::default();
    for list in &mut lists {
        let n = u32::from_le_bytes(take(4)?.try_into().map_err(|_| "truncated")?) as usize;
        let raw = take(n.checked_mul(4).ok_or("length overflow")?)?;
        *list = raw.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    }
    let n = u64::from_le_bytes(take(8)?.try_into().map_err(|_| "truncated")?);
    let db = take(usize::try_from(n).map_err(|_| "length overflow")?)?.to_vec();
    if !r.is_empty() {
        return Err("trailing bytes".into());
    }
    let [offsets, sigs, refused] = lists;
    let csr_ok = offsets.first() == Some(&0)
        && offsets.windows(2).all(|w| w[0] <= w[1])
        && offsets.last().is_some_and(|&l| l as usize == sigs.len());
    if !csr_ok {
        return Err("inconsistent pattern table".into());
    }
    if !sigs.iter().chain(&refused).all(|s| ids.contains(s)) {
        return Err("names signatures the rule set does not have".into());
    }
    if db.is_empty() != (offsets.len() == 1) {
        return Err("database and pattern table disagree".into());
    }
    Ok(CachedDb { offsets, sigs, refused, db })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CachedDb {
        CachedDb { offsets: vec![0, 2, 3], sigs: vec![1, 2, 3], refused: vec![4], db: vec![9; 40] }
    }

    fn ids() -> HashSet<u32> {
        [1, 2, 3, 4].into_iter().collect()
    }

    #[test]
    fn files_round_trip_and_any_damage_is_refused() {
        let bytes = encode(&sample());
        assert_eq!(decode(&bytes, &ids()).unwrap(), sample());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut], &ids()).is_err(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert!(decode(&b, &ids()).is_err(), "flip at {i}");
        }
        let other: HashSet<u32> = [1, 2, 3].into_iter().collect();
        assert!(decode(&bytes, &other).unwrap_err().contains("signatures"));
        let bad = CachedDb { offsets: vec![0, 5], ..sample() };
        assert!(decode(&encode(&bad), &ids()).unwrap_err().contains("table"));
    }

    #[test]
    fn keys_change_with_any_pattern_flag_or_signature() {
        let lit = |b: &[u8], nocase, sig| (Prefilter::Literal { bytes: b.to_vec(), nocase }, sig);
        let base = key(&[lit(b"abc", false, 1)]);
        assert_ne!(base, key(&[lit(b"abc", true, 1)]));
        assert_ne!(base, key(&[lit(b"abd", false, 1)]));
        assert_ne!(base, key(&[lit(b"abc", false, 2)]));
        assert_ne!(
            key(&[lit(b"ab", false, 1), lit(b"c", false, 1)]),
            key(&[lit(b"a", false, 1), lit(b"bc", false, 1)])
        );
        assert_eq!(base, key(&[lit(b"abc", false, 1)]));
    }

    #[test]
    fn a_cache_directory_stores_finds_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let config = MpmCacheConfig { dir: Some(dir.path().join("hs")), ..MpmCacheConfig::default() };
        let entries = [(Prefilter::Literal { bytes: b"x".to_vec(), nocase: false }, 1)];
        let mut c = MpmCache::open(&config);
        let path = c.path(&entries).unwrap();
        assert!(c.get(&path, &entries, |_| Some(())).is_none());
        let db = CachedDb { offsets: vec![0, 1], sigs: vec![1], refused: vec![], db: vec![7; 8] };
        c.put(&path, &db);
        assert_eq!(c.stats.written, 1);
        let mut c = MpmCache::open(&config);
        assert_eq!(c.get(&path, &entries, |b| (b == [7; 8]).then_some(1)), Some((db, Some(1))));
        // Hyperscan refusing the bytes (another CPU) is a miss, not an error.
        assert!(c.get(&path, &entries, |_| None::<()>).is_none());
        assert_eq!((c.stats.hits, c.stats.rejected), (1, 1));
        // A file unused for longer than max_age goes; one in use stays.
        let stale = dir.path().join("hs/00.mpm");
        std::fs::write(&stale, b"old").unwrap();
        let f = std::fs::File::options().append(true).open(&stale).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(8 * 86_400)).unwrap();
        c.prune();
        assert!(!stale.exists());
        assert_eq!((c.stats.pruned, std::fs::read_dir(dir.path().join("hs")).unwrap().count()), (1, 1));
        assert!(MpmCacheConfig { enabled: false, ..config }.resolved_dir().is_none());
    }
}
