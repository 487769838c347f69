//! A sink's on-disk spool: records its peer could not take wait here, in
//! order, and are delivered first when it takes records again. Records go
//! to the spool also while it is not empty, so order holds across an
//! outage.
//!
//! The spool is a directory of segment files of whole lines
//! (`segment-<n>.jsonl`), bounded by `max_bytes`. When it is full the
//! `overflow` policy deletes the oldest segment or refuses the new
//! records, counted either way. A segment is read whole into memory; what
//! was delivered of it is recorded in `cursor` (segment number and byte
//! offset) when the segment is done and at shutdown, so a restarted
//! sensor resumes where it stopped. Only a crash between a delivery and
//! the next cursor write can deliver records again.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Overflow, Records};

/// Spool settings of a sink (`spool:`); off without a directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolConfig {
    /// Directory of this sink's spool (one per sink); empty: no spool.
    pub dir: PathBuf,
    /// Bytes the spool holds at most.
    pub max_bytes: u64,
    /// Bytes per segment file; the unit `drop_oldest` gives up.
    pub segment_bytes: u64,
    /// When full: `drop_oldest` deletes the oldest segment, `drop_newest`
    /// refuses the records that do not fit.
    pub overflow: Overflow,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig { dir: PathBuf::new(), max_bytes: 1 << 30, segment_bytes: 4 << 20, overflow: Overflow::DropOldest }
    }
}

impl SpoolConfig {
    pub fn enabled(&self) -> bool {
        !self.dir.as_os_str().is_empty()
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.enabled() && (self.segment_bytes == 0 || self.max_bytes < self.segment_bytes) {
            return Err("spool.max_bytes must be at least spool.segment_bytes, which must be positive".into());
        }
        Ok(())
    }
}

struct Segment {
    seq: u64,
    bytes: u64,
    records: u64,
}

pub struct Spool {
    cfg: SpoolConfig,
    /// Oldest first; the last one is being written while `writer` is set.
    segments: VecDeque<Segment>,
    writer: Option<BufWriter<File>>,
    /// The oldest segment, read whole, and how far it was delivered.
    reading: Option<(u64, Vec<u8>, usize)>,
    bytes: u64,
    records: u64,
    next_seq: u64,
    dropped_oldest: u64,
}

impl Spool {
    /// Opens (creating) the directory and takes up what a previous run left.
    pub fn open(cfg: &SpoolConfig) -> Result<Spool, String> {
        let dir = &cfg.dir;
        std::fs::create_dir_all(dir).map_err(|e| format!("spool {}: {e}", dir.display()))?;
        let mut seqs: Vec<u64> = std::fs::read_dir(dir)
            .map_err(|e| format!("spool {}: {e}", dir.display()))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.strip_prefix("segment-")?.strip_suffix(".jsonl")?.parse().ok()
            })
            .collect();
        seqs.sort_unstable();
        let cursor = read_cursor(dir);
        let mut spool = Spool {
            cfg: cfg.clone(),
            segments: VecDeque::new(),
            writer: None,
            reading: None,
            bytes: 0,
            records: 0,
            next_seq: seqs.last().map_or(0, |s| s + 1),
            dropped_oldest: 0,
        };
        for seq in seqs {
            let path = spool.path(seq);
            let mut data = std::fs::read(&path).map_err(|e| format!("spool {}: {e}", path.display()))?;
            // A crash may have cut the last line: whole records only.
            let whole = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            if whole < data.len() {
                data.truncate(whole);
                let cut = OpenOptions::new().write(true).open(&path).and_then(|f| f.set_len(whole as u64));
                cut.map_err(|e| format!("spool {}: {e}", path.display()))?;
            }
            let start = match cursor {
                Some((s, off)) if s == seq => off.min(data.len()),
                Some((s, _)) if s > seq => data.len(),
                _ => 0,
            };
            let records = data[start..].iter().filter(|&&b| b == b'\n').count() as u64;
            if records == 0 {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            spool.bytes += (data.len() - start) as u64;
            spool.records += records;
            spool.segments.push_back(Segment { seq, bytes: (data.len() - start) as u64, records });
            if spool.reading.is_none() {
                spool.reading = Some((seq, data, start));
            }
        }
        Ok(spool)
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.cfg.dir.join(format!("segment-{seq}.jsonl"))
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Records deleted by `drop_oldest` since the last call.
    pub fn take_dropped_oldest(&mut self) -> u64 {
        std::mem::take(&mut self.dropped_oldest)
    }

    /// Appends `records` (from the `from`th on), making room as `overflow`
    /// says. Returns how many were spooled and how many refused.
    pub fn append(&mut self, records: &Records<'_>, from: usize) -> Result<(u64, u64), String> {
        let (mut spooled, mut refused) = (0, 0);
        for line in records.iter().skip(from) {
            let len = line.len() as u64;
            while self.bytes + len > self.cfg.max_bytes
                && self.cfg.overflow == Overflow::DropOldest
                && self.drop_oldest_segment()
            {}
            if self.bytes + len > self.cfg.max_bytes {
                refused += 1;
                continue;
            }
            let full = self.segments.back().is_none_or(|s| s.bytes > 0 && s.bytes + len > self.cfg.segment_bytes);
            if self.writer.is_none() || full {
                self.start_segment()?;
            }
            let Some(w) = self.writer.as_mut() else { continue };
            w.write_all(line).map_err(|e| format!("spool {}: {e}", self.cfg.dir.display()))?;
            if let Some(s) = self.segments.back_mut() {
                s.bytes += len;
                s.records += 1;
            }
            self.bytes += len;
            self.records += 1;
            spooled += 1;
        }
        if let Some(w) = self.writer.as_mut() {
            w.flush().map_err(|e| format!("spool {}: {e}", self.cfg.dir.display()))?;
        }
        Ok((spooled, refused))
    }

    fn start_segment(&mut self) -> Result<(), String> {
        self.close_writer()?;
        let seq = self.next_seq;
        self.next_seq += 1;
        let path = self.path(seq);
        let f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| format!("spool {}: {e}", path.display()))?;
        self.writer = Some(BufWriter::with_capacity(1 << 16, f));
        self.segments.push_back(Segment { seq, bytes: 0, records: 0 });
        Ok(())
    }

    fn close_writer(&mut self) -> Result<(), String> {
        if let Some(mut w) = self.writer.take() {
            w.flush().map_err(|e| format!("spool {}: {e}", self.cfg.dir.display()))?;
        }
        Ok(())
    }

    /// Deletes the oldest segment (never the one being written, unless it
    /// is the only one left to read); false when there is nothing to delete.
    fn drop_oldest_segment(&mut self) -> bool {
        let writing = self.writer.is_some();
        if self.segments.is_empty() || (writing && self.segments.len() < 2) {
            return false;
        }
        let Some(s) = self.segments.pop_front() else { return false };
        self.bytes -= s.bytes;
        self.records -= s.records;
        self.dropped_oldest += s.records;
        if self.reading.as_ref().is_some_and(|r| r.0 == s.seq) {
            self.reading = None;
        }
        let _ = std::fs::remove_file(self.path(s.seq));
        true
    }

    /// The oldest records waiting, at most `max`: a buffer and the ranges
    /// of whole records in it. Delivered ones are then [`Self::consume`]d.
    pub fn peek(&mut self, max: usize, ranges: &mut Vec<Range<usize>>) -> Result<&[u8], String> {
        ranges.clear();
        if self.reading.is_none() {
            let Some((seq, front_bytes)) = self.segments.front().map(|f| (f.seq, f.bytes)) else { return Ok(&[]) };
            if self.segments.len() == 1 {
                // Reading the segment being written: later records start a new one.
                self.close_writer()?;
            }
            let path = self.path(seq);
            let data = std::fs::read(&path).map_err(|e| format!("spool {}: {e}", path.display()))?;
            // Records already delivered of it (taken up from a previous run) are not in `bytes`.
            let start = data.len().saturating_sub(front_bytes as usize);
            self.reading = Some((seq, data, start));
        }
        let Some((_, data, at)) = self.reading.as_ref() else { return Ok(&[]) };
        let mut pos = *at;
        while ranges.len() < max && pos < data.len() {
            let end = data[pos..].iter().position(|&b| b == b'\n').map_or(data.len(), |i| pos + i + 1);
            ranges.push(pos..end);
            pos = end;
        }
        Ok(data)
    }

    /// Marks the first `n` records of the last [`Self::peek`] delivered.
    pub fn consume(&mut self, n: usize) {
        let Some((seq, data, at)) = self.reading.as_mut() else { return };
        let mut bytes = 0u64;
        for _ in 0..n {
            let Some(i) = data[*at..].iter().position(|&b| b == b'\n') else { break };
            bytes += (i + 1) as u64;
            *at += i + 1;
        }
        let (seq, done) = (*seq, *at >= data.len());
        self.bytes -= bytes.min(self.bytes);
        self.records -= (n as u64).min(self.records);
        if let Some(front) = self.segments.front_mut() {
            front.bytes -= bytes.min(front.bytes);
            front.records -= (n as u64).min(front.records);
        }
        if done {
            self.reading = None;
            self.segments.pop_front();
            let _ = std::fs::remove_file(self.path(seq));
            let _ = self.save_cursor();
        }
    }

    /// Writes how far the oldest segment was delivered (shutdown).
    pub fn save_cursor(&mut self) -> Result<(), String> {
        self.close_writer()?;
        let text = match &self.reading {
            Some((seq, _, at)) => format!("{seq} {at}\n"),
            None => String::new(),
        };
        let path = self.cfg.dir.join("cursor");
        std::fs::write(&path, text).map_err(|e| format!("spool {}: {e}", path.display()))
    }
}

fn read_cursor(dir: &Path) -> Option<(u64, usize)> {
    let text = std::fs::read_to_string(dir.join("cursor")).ok()?;
    let (seq, off) = text.trim().split_once(' ')?;
    Some((seq.parse().ok()?, off.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(lines: &[String]) -> (Vec<u8>, Vec<Range<usize>>) {
        let mut buf = Vec::new();
        let mut ranges = Vec::new();
        for l in lines {
            let s = buf.len();
            buf.extend_from_slice(l.as_bytes());
            ranges.push(s..buf.len());
        }
        (buf, ranges)
    }

    fn lines(from: usize, to: usize) -> Vec<String> {
        (from..to).map(|i| format!("{{\"n\":{i:04}}}\n")).collect()
    }

    fn drain(s: &mut Spool, batch: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut ranges = Vec::new();
        loop {
            let data = s.peek(batch, &mut ranges).unwrap().to_vec();
            if ranges.is_empty() {
                return out;
            }
            out.extend(ranges.iter().map(|r| String::from_utf8_lossy(&data[r.clone()]).to_string()));
            s.consume(ranges.len());
        }
    }

    #[test]
    fn delivers_in_order_across_segments_and_appends_while_reading() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SpoolConfig { dir: dir.path().join("s"), segment_bytes: 100, ..SpoolConfig::default() };
        let mut s = Spool::open(&cfg).unwrap();
        let (buf, ranges) = recs(&lines(0, 30));
        assert_eq!(s.append(&Records { lines: &buf, ranges: &ranges }, 5).unwrap(), (25, 0));
        assert_eq!(s.records(), 25);
        let mut got = Vec::new();
        let mut r = Vec::new();
        let data = s.peek(3, &mut r).unwrap().to_vec();
        got.extend(r.iter().map(|x| String::from_utf8_lossy(&data[x.clone()]).to_string()));
        s.consume(2);
        got.truncate(2);
        let (buf, ranges) = recs(&lines(30, 35));
        s.append(&Records { lines: &buf, ranges: &ranges }, 0).unwrap();
        got.extend(drain(&mut s, 4));
        assert_eq!(got, lines(5, 35));
        assert!(s.is_empty() && s.bytes() == 0);
    }

    #[test]
    fn full_spool_drops_oldest_segment_or_newest_records() {
        let dir = tempfile::tempdir().unwrap();
        let (buf, ranges) = recs(&lines(0, 40));
        let all = Records { lines: &buf, ranges: &ranges };
        for overflow in [Overflow::DropOldest, Overflow::DropNewest] {
            let cfg = SpoolConfig {
                dir: dir.path().join(format!("{overflow:?}")),
                segment_bytes: 100,
                max_bytes: 300,
                overflow,
            };
            let mut s = Spool::open(&cfg).unwrap();
            let (spooled, refused) = s.append(&all, 0).unwrap();
            let dropped = refused + s.take_dropped_oldest();
            let got = drain(&mut s, 7);
            assert_eq!(got.len() as u64 + dropped, 40, "{overflow:?}");
            assert!(spooled >= got.len() as u64 && s.bytes() == 0);
            let first = got.first().unwrap().clone();
            let last = got.last().unwrap().clone();
            if overflow == Overflow::DropOldest {
                assert_eq!(last, lines(39, 40)[0], "the newest kept");
            } else {
                assert_eq!(first, lines(0, 1)[0], "the oldest kept");
            }
        }
    }

    #[test]
    fn a_restart_resumes_after_the_delivered_records() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SpoolConfig { dir: dir.path().join("s"), segment_bytes: 100, ..SpoolConfig::default() };
        let (buf, ranges) = recs(&lines(0, 20));
        {
            let mut s = Spool::open(&cfg).unwrap();
            s.append(&Records { lines: &buf, ranges: &ranges }, 0).unwrap();
            let mut r = Vec::new();
            s.peek(3, &mut r).unwrap();
            s.consume(3);
            s.save_cursor().unwrap();
        }
        // A crash cut the last line of the newest segment.
        let mut newest: Vec<_> = std::fs::read_dir(&cfg.dir).unwrap().map(|e| e.unwrap().path()).collect();
        newest.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
        newest.sort();
        let last = newest.last().unwrap();
        let mut text = std::fs::read(last).unwrap();
        text.extend_from_slice(b"{\"cut");
        std::fs::write(last, text).unwrap();
        let mut s = Spool::open(&cfg).unwrap();
        assert_eq!(s.records(), 17);
        assert_eq!(drain(&mut s, 5), lines(3, 20));
    }
}
