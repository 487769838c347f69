//! The multi-pattern prefilter: one Hyperscan block database per signature
//! group, built from each signature's fast pattern. A scan yields the
//! signatures worth verifying; the rest of the group is never touched.
//!
//! Block mode over each inspected buffer (packet payload now, reassembled
//! stream chunks and app-layer buffers as they arrive) keeps one shared,
//! immutable database for all workers; each worker owns its scratch.

use std::collections::HashMap;

use hyperscan::prelude::*;
use hyperscan::{Block, SerializedDatabase};

use super::mpm_cache::{CachedDb, MpmCache};

/// What the multi-pattern prefilter looks for on behalf of a signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Prefilter {
    Literal {
        bytes: Vec<u8>,
        nocase: bool,
    },
    /// A pcre compiled by Hyperscan in prefilter mode (may over-report).
    Regex {
        source: String,
        caseless: bool,
        dotall: bool,
        multiline: bool,
    },
}

/// A built prefilter for one group.
pub struct PrefilterDb {
    db: Option<BlockDatabase>,
    /// Pattern id -> signatures, as a CSR (`sigs[offsets[p]..offsets[p+1]]`).
    offsets: Vec<u32>,
    sigs: Vec<u32>,
    pub patterns: usize,
}

impl std::fmt::Debug for PrefilterDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrefilterDb").field("patterns", &self.patterns).field("signatures", &self.sigs.len()).finish()
    }
}

/// Hyperscan expression matching `bytes` literally.
fn literal_expression(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 4);
    for &b in bytes {
        if b.is_ascii_alphanumeric() {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

fn pattern_for(p: &Prefilter, id: usize) -> Result<Pattern, String> {
    let (expression, mut flags) = match p {
        Prefilter::Literal { bytes, nocase } => {
            (literal_expression(bytes), if *nocase { CompileFlags::CASELESS } else { CompileFlags::empty() })
        }
        Prefilter::Regex { source, caseless, dotall, multiline } => {
            let mut f = CompileFlags::PREFILTER;
            if *caseless {
                f |= CompileFlags::CASELESS;
            }
            if *dotall {
                f |= CompileFlags::DOTALL;
            }
            if *multiline {
                f |= CompileFlags::MULTILINE;
            }
            (source.clone(), f)
        }
    };
    if expression.contains('\0') {
        return Err("pattern contains a NUL character".into());
    }
    flags |= CompileFlags::SINGLEMATCH;
    Ok(Pattern { expression, flags, id: Some(id), ext: Default::default(), som: None })
}

/// A compiled database and the signatures whose pattern it refused.
type Built = (PrefilterDb, Vec<u32>);

/// Patterns above which a database is compiled by one thread only, one
/// such database at a time (see [`PrefilterDb::build_all`]).
const BIG_DATABASE: usize = 1000;

/// Compiles `lists` (largest first) on `threads` threads (0: one per
/// core); result `k` is `lists[k]`'s. One thread works from the largest
/// down, the others from the smallest up and leave databases over
/// [`BIG_DATABASE`] to it, so two large compilations never run at once.
fn compile_largest_first(lists: &[&[(Prefilter, u32)]], threads: usize) -> Vec<Result<Built, String>> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, lists.len().max(1));
    // The next largest, and one past the next smallest, still to compile.
    let queue = std::sync::Mutex::new((0, lists.len()));
    let next = |largest: bool| {
        let mut q = queue.lock().ok()?;
        if q.0 >= q.1 {
            None
        } else if largest {
            q.0 += 1;
            Some(q.0 - 1)
        } else if lists.get(q.1 - 1).is_some_and(|l| l.len() <= BIG_DATABASE) {
            q.1 -= 1;
            Some(q.1)
        } else {
            None
        }
    };
    let mut results: Vec<Option<Result<Built, String>>> = (0..lists.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let next = &next;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    while let Some((k, entries)) = next(t == 0).and_then(|k| Some((k, *lists.get(k)?))) {
                        out.push((k, PrefilterDb::compile(entries)));
                    }
                    out
                })
            })
            .collect();
        for w in workers {
            for (k, r) in w.join().unwrap_or_default() {
                if let Some(slot) = results.get_mut(k) {
                    *slot = Some(r);
                }
            }
        }
    });
    // A thread that panicked left its databases unbuilt: an error, not a hole.
    results.into_iter().map(|r| r.unwrap_or_else(|| Err("prefilter compile thread failed".into()))).collect()
}

impl PrefilterDb {
    /// Builds the database for `(pattern, signature)` pairs. Returns the
    /// database and the signatures whose pattern Hyperscan refused (they
    /// must be evaluated on every packet of the group instead).
    ///
    /// With a `cache`, a database compiled by an earlier load of the same
    /// entries is read back instead (see [`MpmCache`]).
    pub fn build(entries: &[(Prefilter, u32)], cache: &mut MpmCache) -> Result<(PrefilterDb, Vec<u32>), String> {
        Self::build_all(&[entries], cache, 1)?.pop().ok_or_else(|| "prefilter database not built".to_string())
    }

    /// [`PrefilterDb::build`] for many databases at once: those not in the
    /// cache are compiled on `detect.compile_threads` threads (Hyperscan
    /// compiles each database on one thread, and compiling is most of a
    /// cold rule load; see [`compile_largest_first`]). Compiling takes
    /// memory: ET Open on 2 threads loads in 1.5-2.1 s instead of
    /// 2.0-2.3 s, but peaks at 388 MB instead of 310 MB.
    pub fn build_all(
        lists: &[&[(Prefilter, u32)]],
        cache: &mut MpmCache,
        threads: usize,
    ) -> Result<Vec<Built>, String> {
        let mut done: Vec<Option<Built>> = Vec::with_capacity(lists.len());
        let mut misses = Vec::new();
        for (i, entries) in lists.iter().enumerate() {
            let path = cache.path(entries);
            let hit = path.as_ref().and_then(|p| cache.get(p, entries, |bytes| bytes.deserialize::<Block>().ok()));
            match hit {
                Some((c, db)) => {
                    let patterns = c.offsets.len().saturating_sub(1);
                    done.push(Some((PrefilterDb { db, offsets: c.offsets, sigs: c.sigs, patterns }, c.refused)));
                }
                None => {
                    done.push(None);
                    misses.push((i, *entries, path));
                }
            }
        }
        misses.sort_by_key(|(_, entries, _)| std::cmp::Reverse(entries.len()));
        let order: Vec<&[(Prefilter, u32)]> = misses.iter().map(|(_, entries, _)| *entries).collect();
        for ((i, _, path), result) in misses.iter().zip(compile_largest_first(&order, threads)) {
            let (built, refused) = result?;
            if let Some(p) = path {
                let db = match &built.db {
                    Some(db) => db.serialize().map_err(|e| format!("hyperscan serialize failed: {e}"))?.to_vec(),
                    None => Vec::new(),
                };
                let c =
                    CachedDb { offsets: built.offsets.clone(), sigs: built.sigs.clone(), refused: refused.clone(), db };
                cache.put(p, &c);
            }
            if let Some(slot) = done.get_mut(*i) {
                *slot = Some((built, refused));
            }
        }
        done.into_iter().map(|d| d.ok_or_else(|| "prefilter database not built".to_string())).collect()
    }

    fn compile(entries: &[(Prefilter, u32)]) -> Result<(PrefilterDb, Vec<u32>), String> {
        let mut index: HashMap<&Prefilter, usize> = HashMap::new();
        let mut by_pattern: Vec<Vec<u32>> = Vec::new();
        let mut uniq: Vec<&Prefilter> = Vec::new();
        for (p, sig) in entries {
            let i = *index.entry(p).or_insert_with(|| {
                uniq.push(p);
                by_pattern.push(Vec::new());
                uniq.len() - 1
            });
            by_pattern[i].push(*sig);
        }
        let mut refused = Vec::new();
        let mut patterns = Vec::with_capacity(uniq.len());
        let mut kept: Vec<Vec<u32>> = Vec::with_capacity(uniq.len());
        for (p, sigs) in uniq.iter().zip(by_pattern) {
            let pat = match pattern_for(p, kept.len()) {
                Ok(pat) => pat,
                Err(_) => {
                    refused.extend(sigs);
                    continue;
                }
            };
            // Regexes may use syntax Hyperscan does not support: try each
            // alone so one bad expression does not sink the database.
            if matches!(p, Prefilter::Regex { .. }) && Patterns(vec![pat.clone()]).build::<Block>().is_err() {
                refused.extend(sigs);
                continue;
            }
            patterns.push(pat);
            kept.push(sigs);
        }
        let mut offsets = Vec::with_capacity(kept.len() + 1);
        let mut sigs = Vec::new();
        offsets.push(0);
        for s in &kept {
            sigs.extend_from_slice(s);
            offsets.push(sigs.len() as u32);
        }
        let db = if patterns.is_empty() {
            None
        } else {
            Some(Patterns(patterns).build::<Block>().map_err(|e| format!("hyperscan compile failed: {e}"))?)
        };
        Ok((PrefilterDb { db, offsets, sigs, patterns: kept.len() }, refused))
    }

    /// Sizes `scratch` (allocating it on first use) for this database.
    pub fn prepare_scratch(&self, scratch: &mut Option<Scratch>) -> Result<(), String> {
        let Some(db) = &self.db else { return Ok(()) };
        match scratch {
            Some(s) => db.realloc_scratch(s).map(|_| ()).map_err(|e| e.to_string()),
            None => {
                *scratch = Some(db.alloc_scratch().map_err(|e| e.to_string())?);
                Ok(())
            }
        }
    }

    /// Calls `hit` with each signature whose pattern occurs in `data`.
    /// Returns false if the scan failed (counted by the caller; the packet
    /// is then inspected against nothing from this prefilter).
    pub fn scan(&self, data: &[u8], scratch: &Scratch, mut hit: impl FnMut(u32)) -> bool {
        let Some(db) = &self.db else { return true };
        if data.is_empty() {
            return true;
        }
        let offsets = &self.offsets;
        let sigs = &self.sigs;
        db.scan(data, scratch, |id: u32, _from: u64, _to: u64, _flags: u32| {
            let id = id as usize;
            if let (Some(&a), Some(&b)) = (offsets.get(id), offsets.get(id + 1)) {
                for &s in sigs.get(a as usize..b as usize).unwrap_or(&[]) {
                    hit(s);
                }
            }
            Matching::Continue
        })
        .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_nocase_and_binary() {
        let entries = vec![
            (Prefilter::Literal { bytes: b"evil".to_vec(), nocase: false }, 1),
            (Prefilter::Literal { bytes: b"evil".to_vec(), nocase: false }, 2),
            (Prefilter::Literal { bytes: b"ShOuT".to_vec(), nocase: true }, 3),
            (Prefilter::Literal { bytes: vec![0, 1, 0xff, b'\\', b'.'], nocase: false }, 4),
            (Prefilter::Regex { source: "ab+c".into(), caseless: false, dotall: false, multiline: false }, 5),
            (Prefilter::Regex { source: "(?<=x)y".into(), caseless: false, dotall: false, multiline: false }, 6),
        ];
        let (db, refused) = PrefilterDb::build(&entries, &mut MpmCache::off()).unwrap();
        let mut scratch = None;
        db.prepare_scratch(&mut scratch).unwrap();
        let scratch = scratch.unwrap();
        let mut hits = Vec::new();
        assert!(db.scan(b"an evil shout \x00\x01\xff\\. abbbc", &scratch, |s| hits.push(s)));
        hits.sort();
        assert_eq!(hits, vec![1, 2, 3, 4, 5]);
        // A lookbehind may be refused in prefilter mode; if so it is
        // reported so the caller evaluates that signature unconditionally.
        assert!(refused.iter().all(|&s| s == 6));
        hits.clear();
        db.scan(b"nothing here", &scratch, |s| hits.push(s));
        assert!(hits.is_empty());
    }

    /// Databases compiled on several threads are the ones one thread
    /// compiles, in the order asked, whatever order they finish in.
    #[test]
    fn parallel_compile_returns_each_database_in_place() {
        let lit = |w: &str, sig| (Prefilter::Literal { bytes: w.as_bytes().to_vec(), nocase: false }, sig);
        let words: Vec<String> = (0..1500).map(|i| format!("word{i:04}x")).collect();
        let big: Vec<_> = words.iter().enumerate().map(|(i, w)| lit(w, i as u32)).collect();
        let lists: Vec<Vec<(Prefilter, u32)>> =
            vec![vec![lit("alpha", 7)], big, vec![], vec![lit("beta", 8), lit("gamma", 9)], vec![lit("delta", 10)]];
        let refs: Vec<&[(Prefilter, u32)]> = lists.iter().map(Vec::as_slice).collect();
        let one = PrefilterDb::build_all(&refs, &mut MpmCache::off(), 1).unwrap();
        let four = PrefilterDb::build_all(&refs, &mut MpmCache::off(), 4).unwrap();
        assert_eq!(one.len(), lists.len());
        let text = b"alpha beta delta word0042x word1499x";
        for ((a, _), (b, _)) in one.iter().zip(&four) {
            assert_eq!((a.patterns, &a.offsets, &a.sigs), (b.patterns, &b.offsets, &b.sigs));
            let hits = |db: &PrefilterDb| {
                let mut scratch = None;
                db.prepare_scratch(&mut scratch).unwrap();
                let mut h = Vec::new();
                if let Some(s) = &scratch {
                    db.scan(text, s, |x| h.push(x));
                }
                h.sort_unstable();
                h
            };
            assert_eq!(hits(a), hits(b));
        }
        assert_eq!(four.iter().map(|(d, _)| d.patterns).collect::<Vec<_>>(), [1, 1500, 0, 2, 1]);
    }
}
