//! The file store's disk side (Suricata's `file-store` v2 layout): while a
//! file is open its bytes are appended to `DIR/tmp/<n>`; once it is logged
//! the engine either keeps it as `DIR/<first two hex digits of its
//! sha256>/<sha256>` or deletes it. Nothing of the file is held in memory.
//!
//! Each write opens the temporary file in append mode and closes it again
//! (Suricata's default `max-open-files: 0`), so open files cost no file
//! descriptors. The total size kept is bounded by a cap shared by all
//! workers; a file that would exceed it is dropped and counted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Where and how much the store may write (shared by the workers).
#[derive(Debug, Clone)]
pub struct StoreSettings {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    /// Most bytes kept in the store by this run (0 = no limit).
    cap: u64,
    used: AtomicU64,
    next_tmp: AtomicU64,
    /// Store every file, not only those a `filestore` rule marks.
    force: bool,
    /// This worker's number and the number of workers: temporary names
    /// and stored file ids (`file_id`) are unique across workers.
    worker: (usize, usize),
    stored: AtomicU64,
}

/// What happened to a file offered to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Written under its sha256 name, with this id (EVE `file_id`: 1, 2...
    /// per run, as Suricata numbers stored files).
    Stored(u64),
    /// Already in the store (same sha256): nothing written.
    Duplicate,
    /// Would exceed the size cap.
    OverCap,
    /// No sha256 (gaps) or no bytes on disk: cannot be named.
    Unnamed,
    /// The rename failed.
    Error,
}

impl StoreSettings {
    /// Prepares `dir` (and `dir/tmp`).
    pub fn new(dir: &Path, cap: u64, force: bool, worker: (usize, usize)) -> std::io::Result<StoreSettings> {
        std::fs::create_dir_all(dir.join("tmp"))?;
        Ok(StoreSettings {
            inner: Arc::new(Shared {
                dir: dir.to_path_buf(),
                cap,
                used: AtomicU64::new(0),
                next_tmp: AtomicU64::new(0),
                force,
                worker,
                stored: AtomicU64::new(0),
            }),
        })
    }

    /// The same store (settings are shared, not copied).
    pub fn same(&self, o: &StoreSettings) -> bool {
        Arc::ptr_eq(&self.inner, &o.inner)
    }

    pub fn force(&self) -> bool {
        self.inner.force
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// A new, empty temporary file.
    pub fn create(&self) -> std::io::Result<StoreTmp> {
        let n = self.inner.next_tmp.fetch_add(1, Ordering::Relaxed);
        let path = self.inner.dir.join("tmp").join(format!("file.{}.{}.{n}", std::process::id(), self.inner.worker.0));
        std::fs::File::create(&path)?;
        Ok(StoreTmp { path, written: 0, store: self.clone() })
    }

    /// Keeps a finished file under its sha256 name (or drops it, see
    /// [`Kept`]); the temporary file is gone afterwards either way.
    fn keep(&self, tmp: StoreTmp, sha256: Option<&[u8; 32]>) -> Kept {
        let Some(sha) = sha256 else {
            tmp.discard();
            return Kept::Unnamed;
        };
        let hex = crate::util::hex_lower(sha, "");
        let sub = self.inner.dir.join(&hex[..2]);
        let dest = sub.join(&hex);
        if dest.exists() {
            tmp.discard();
            return Kept::Duplicate;
        }
        let cap = self.inner.cap;
        let reserved = self.inner.used.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
            let n = u.checked_add(tmp.written)?;
            (cap == 0 || n <= cap).then_some(n)
        });
        if reserved.is_err() {
            tmp.discard();
            return Kept::OverCap;
        }
        let ok = std::fs::create_dir_all(&sub).and_then(|_| std::fs::rename(&tmp.path, &dest)).is_ok();
        if ok {
            let (w, n) = self.inner.worker;
            let k = self.inner.stored.fetch_add(1, Ordering::Relaxed);
            Kept::Stored(k * n as u64 + w as u64 + 1)
        } else {
            self.inner.used.fetch_sub(tmp.written, Ordering::Relaxed);
            tmp.discard();
            Kept::Error
        }
    }
}

/// The bytes of an open file on disk.
#[derive(Debug, Clone)]
pub struct StoreTmp {
    path: PathBuf,
    written: u64,
    store: StoreSettings,
}

impl StoreTmp {
    /// Every file is kept (`force`), not only marked ones.
    pub fn forced(&self) -> bool {
        self.store.force()
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Keeps the file under its sha256 name, or drops it.
    pub fn keep(self, sha256: Option<&[u8; 32]>) -> Kept {
        let store = self.store.clone();
        store.keep(self, sha256)
    }

    pub fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().append(true).open(&self.path)?;
        f.write_all(data)?;
        self.written += data.len() as u64;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes the temporary file.
    pub fn discard(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_by_sha256_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let s = StoreSettings::new(dir.path(), 10, false, (0, 1)).unwrap();
        let mut t = s.create().unwrap();
        t.write(b"hello").unwrap();
        let sha = [0xab; 32];
        let path = t.path().to_path_buf();
        assert_eq!(t.keep(Some(&sha)), Kept::Stored(1));
        assert!(!path.exists());
        let hex = "ab".repeat(32);
        assert_eq!(std::fs::read(dir.path().join("ab").join(&hex)).unwrap(), b"hello");
        // The same content again is not written twice.
        let mut t = s.create().unwrap();
        t.write(b"hello").unwrap();
        assert_eq!(t.keep(Some(&sha)), Kept::Duplicate);
        // Over the cap (5 of 10 used).
        let mut t = s.create().unwrap();
        t.write(b"0123456789").unwrap();
        let path = t.path().to_path_buf();
        assert_eq!(t.keep(Some(&[1; 32])), Kept::OverCap);
        assert!(!path.exists());
        let t = s.create().unwrap();
        assert_eq!(t.keep(None), Kept::Unnamed);
    }
}
