//! Buffered bytes of one stream direction: sorted, non-touching runs
//! ("pieces"), merged as segments fill the holes between them. Growth is
//! checked against the memory budget before anything changes.

use super::MemBudget;

/// Most a buffer grows beyond what it needs at once.
const GROWTH_STEP: usize = 64 << 10;
/// A trimmed buffer keeping more spare capacity than this gives it back
/// (idle connections should hold little more than their lookback).
const SHRINK_ABOVE: usize = 16 << 10;

/// A segment's original extent.
#[derive(Debug, Clone)]
pub(super) struct Piece {
    pub off: u64,
    pub data: Vec<u8>,
}

impl Piece {
    pub fn end(&self) -> u64 {
        self.off + self.data.len() as u64
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Pieces(Vec<Piece>);

impl std::ops::Deref for Pieces {
    type Target = [Piece];

    fn deref(&self) -> &[Piece] {
        &self.0
    }
}

impl Pieces {
    /// Bytes held.
    pub fn held(&self) -> usize {
        self.0.iter().map(|p| p.data.len()).sum()
    }

    /// Memory used, including spare capacity.
    pub fn capacity_bytes(&self) -> usize {
        self.0.iter().map(|p| p.data.capacity()).sum::<usize>() + self.0.capacity() * std::mem::size_of::<Piece>()
    }

    /// Removes the first piece, keeping its buffer as a spare.
    pub fn remove_first(&mut self, budget: &mut MemBudget) {
        if !self.0.is_empty() {
            budget.give_back(self.0.remove(0).data);
        }
    }

    /// Removes the last piece, keeping its buffer as a spare.
    pub fn pop_last(&mut self, budget: &mut MemBudget) {
        if let Some(p) = self.0.pop() {
            budget.give_back(p.data);
        }
    }

    /// Removes every piece, keeping buffers as spares.
    pub fn clear(&mut self, budget: &mut MemBudget) {
        for p in self.0.drain(..) {
            budget.give_back(p.data);
        }
        self.0 = Vec::new();
    }

    /// Whether any stored byte lies in `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        let i = self.0.partition_point(|p| p.end() <= start);
        self.0.get(i).is_some_and(|p| p.off < end)
    }

    /// The pieces that may hold bytes from `lo` on.
    pub fn from(&self, lo: u64) -> &[Piece] {
        &self.0[self.0.partition_point(|p| p.end() <= lo)..]
    }

    /// Drops the first piece's bytes before `keep_from`; returns whether
    /// any were dropped.
    pub fn trim_front(&mut self, keep_from: u64, budget: &mut MemBudget) -> bool {
        let Some(p) = self.0.first_mut() else { return false };
        if p.off >= keep_from {
            return false;
        }
        let cut = ((keep_from - p.off) as usize).min(p.data.len());
        p.data.drain(..cut);
        p.off += cut as u64;
        if p.data.capacity() > 4 * p.data.len() && p.data.capacity() > SHRINK_ABOVE {
            p.data.shrink_to(2 * p.data.len());
        }
        if p.data.is_empty() {
            self.remove_first(budget);
        }
        true
    }

    /// Takes the byte at `at` out, if held, and moves every byte after it
    /// one back (an urgent byte learned of after later data was buffered),
    /// merging the pieces that then touch.
    pub fn remove_byte(&mut self, at: u64, budget: &mut MemBudget) {
        let i = self.0.partition_point(|p| p.end() <= at);
        let mut from = i;
        if let Some(p) = self.0.get_mut(i) {
            if p.off <= at {
                p.data.remove((at - p.off) as usize);
                from = i + 1;
                if p.data.is_empty() {
                    budget.give_back(self.0.remove(i).data);
                    from = i;
                }
            }
        }
        for q in self.0.iter_mut().skip(from) {
            q.off -= 1;
        }
        let mut k = i.saturating_sub(1);
        while k + 1 < self.0.len() && k <= i {
            if self.0[k].end() == self.0[k + 1].off {
                // The urgent byte was the gap between them. Touching pieces
                // must be one (the contiguous end reads the first only), so
                // they merge even past the budget; the overshoot is at most
                // this piece, and the caller's recharge counts it.
                let next = self.0.remove(k + 1);
                let len = self.0[k].data.len() + next.data.len();
                let _ = Self::grow(&mut self.0[k].data, len, budget);
                self.0[k].data.extend_from_slice(&next.data);
                budget.give_back(next.data);
            } else {
                k += 1;
            }
        }
    }

    /// Ensures `v` can hold `len` bytes, growing by at most one step more
    /// than needed, within the budget.
    fn grow(v: &mut Vec<u8>, len: usize, budget: &MemBudget) -> bool {
        if v.capacity() >= len {
            return true;
        }
        let need = len - v.capacity();
        let generous = len + v.len().min(GROWTH_STEP);
        if budget.fits((generous - v.capacity()) as u64) {
            v.reserve_exact(generous - v.len());
            true
        } else if budget.fits(need as u64) {
            v.reserve_exact(len - v.len());
            true
        } else {
            false
        }
    }

    /// Writes resolved bytes at `start`, merging with touching pieces.
    /// Returns false (changing nothing) when the memory is not there.
    pub fn write(&mut self, start: u64, bytes: &[u8], budget: &mut MemBudget) -> bool {
        let end = start + bytes.len() as u64;
        let i = self.0.partition_point(|p| p.end() < start);
        let j = self.0.partition_point(|p| p.off <= end);
        if i >= j {
            let meta = if self.0.len() == self.0.capacity() {
                (self.0.capacity().max(4) * std::mem::size_of::<Piece>()) as u64
            } else {
                0
            };
            let mut data = budget.take_buffer();
            if !budget.fits(data.capacity().max(bytes.len()) as u64 + meta) {
                budget.give_back(data);
                return false;
            }
            data.reserve_exact(bytes.len());
            data.extend_from_slice(bytes);
            self.0.insert(i, Piece { off: start, data });
            return true;
        }
        let p = &mut self.0[i];
        if j == i + 1 && start >= p.off && end <= p.end() {
            let at = (start - p.off) as usize;
            p.data[at..at + bytes.len()].copy_from_slice(bytes);
            return true;
        }
        if j == i + 1 && start == p.end() {
            let len = p.data.len() + bytes.len();
            if !Self::grow(&mut p.data, len, budget) {
                return false;
            }
            p.data.extend_from_slice(bytes);
            return true;
        }
        let new_off = p.off.min(start);
        let new_end = self.0[j - 1].end().max(end);
        let len = (new_end - new_off) as usize;
        let mut buf = std::mem::take(&mut self.0[i].data);
        if !Self::grow(&mut buf, len, budget) {
            self.0[i].data = buf;
            return false;
        }
        let shift = (self.0[i].off - new_off) as usize;
        if shift > 0 {
            buf.splice(0..0, std::iter::repeat_n(0u8, shift));
        }
        buf.resize(len, 0);
        for k in i + 1..j {
            let q = &self.0[k];
            let at = (q.off - new_off) as usize;
            buf[at..at + q.data.len()].copy_from_slice(&q.data);
        }
        let at = (start - new_off) as usize;
        buf[at..at + bytes.len()].copy_from_slice(bytes);
        self.0[i] = Piece { off: new_off, data: buf };
        for q in self.0.drain(i + 1..j) {
            budget.give_back(q.data);
        }
        true
    }
}
