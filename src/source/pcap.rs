//! Reader for pcap and pcapng capture files.
//!
//! Owned rather than taken from a crate so that a record is copied exactly
//! once, straight into the caller's batch buffer, and so that errors can name
//! the record and byte offset. Every length read from the file is checked
//! before use; a corrupt record ends the file with an error, never a panic.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use super::{FrameMeta, LinkType};
use crate::util::Timestamp;

/// Largest record we accept (libpcap's MAXIMUM_SNAPLEN); anything bigger is
/// a corrupt file, not a packet.
pub const MAX_RECORD_LEN: u32 = 262_144;
/// Largest pcapng block we are willing to skip or read.
const MAX_BLOCK_LEN: u32 = 16 * 1024 * 1024;
const MAX_INTERFACES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error("{path}: cannot open: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("{path}: not a pcap or pcapng file (magic {magic:#010x})")]
    BadMagic { path: PathBuf, magic: u32 },
    #[error("{path}: file ends inside its header")]
    ShortHeader { path: PathBuf },
    #[error("{path}: read error at byte {offset}: {source}")]
    Io { path: PathBuf, offset: u64, source: io::Error },
    #[error("{path}: at byte {offset} (after packet {packets}): {reason}")]
    Corrupt { path: PathBuf, packets: u64, offset: u64, reason: String },
    #[error("{path}: at byte {offset} (after packet {packets}): file ends inside a record")]
    Truncated { path: PathBuf, packets: u64, offset: u64 },
}

impl PcapError {
    /// True for damage at the end of an otherwise readable file (a capture
    /// cut short), as opposed to a file we could not read at all.
    pub fn is_partial(&self) -> bool {
        matches!(self, PcapError::Corrupt { .. } | PcapError::Truncated { .. })
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Legacy { big_endian: bool, nanos: bool, linktype: LinkType },
    Ng { big_endian: bool },
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: LinkType,
    /// Timestamp units per second.
    units_per_sec: u64,
    offset_secs: i64,
}

/// Streaming reader over one capture file.
pub struct PcapReader<R: Read = BufReader<File>> {
    path: PathBuf,
    input: R,
    format: Format,
    interfaces: Vec<Interface>,
    /// Scratch for pcapng block bodies that are not packets.
    scratch: Vec<u8>,
    offset: u64,
    /// Packets returned so far.
    packets: u64,
}

impl PcapReader<BufReader<File>> {
    pub fn open(path: &Path) -> Result<Self, PcapError> {
        let file = File::open(path).map_err(|source| PcapError::Open { path: path.into(), source })?;
        Self::new(path, BufReader::with_capacity(1 << 20, file))
    }
}

fn u16_at(b: &[u8], at: usize, be: bool) -> u16 {
    let v = [b[at], b[at + 1]];
    if be {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

fn u32_at(b: &[u8], at: usize, be: bool) -> u32 {
    let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if be {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

impl<R: Read> PcapReader<R> {
    /// Reads the file header; `path` is only used in messages.
    pub fn new(path: &Path, mut input: R) -> Result<Self, PcapError> {
        let path: PathBuf = path.into();
        let mut head = [0u8; 24];
        let got = read_full(&mut input, &mut head).map_err(|source| PcapError::Io {
            path: path.clone(),
            offset: 0,
            source,
        })?;
        if got < 4 {
            return Err(PcapError::ShortHeader { path });
        }
        let magic = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let mut reader = PcapReader {
            path,
            input,
            format: Format::Ng { big_endian: false },
            interfaces: Vec::new(),
            scratch: Vec::new(),
            offset: 0,
            packets: 0,
        };
        match magic {
            0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 => {
                if got < 24 {
                    return Err(PcapError::ShortHeader { path: reader.path });
                }
                let big_endian = matches!(magic, 0xd4c3_b2a1 | 0x4d3c_b2a1);
                let nanos = matches!(magic, 0xa1b2_3c4d | 0x4d3c_b2a1);
                // The upper bits of the link type field carry FCS information.
                let linktype = LinkType((u32_at(&head, 20, big_endian) & 0xffff) as u16);
                reader.format = Format::Legacy { big_endian, nanos, linktype };
                reader.offset = 24;
            }
            0x0a0d_0d0a => {
                if got < 12 {
                    return Err(PcapError::ShortHeader { path: reader.path });
                }
                // The section header's body starts with the byte-order magic.
                let big_endian = match u32::from_le_bytes([head[8], head[9], head[10], head[11]]) {
                    0x1a2b_3c4d => false,
                    0x4d3c_2b1a => true,
                    other => return Err(PcapError::BadMagic { path: reader.path, magic: other }),
                };
                reader.format = Format::Ng { big_endian };
                let block_len = u32_at(&head, 4, big_endian);
                reader.check_block_len(block_len, 28)?;
                // Skip the rest of the section header block.
                reader.offset = got as u64;
                let remaining = (block_len as usize).saturating_sub(got);
                reader.skip(remaining)?;
            }
            _ => return Err(PcapError::BadMagic { path: reader.path, magic }),
        }
        Ok(reader)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes consumed so far, for progress reporting.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Appends the next frame's bytes to `out` and returns its metadata, or
    /// `None` at the end of the file.
    pub fn next_frame(&mut self, out: &mut Vec<u8>) -> Result<Option<FrameMeta>, PcapError> {
        match self.format {
            Format::Legacy { big_endian, nanos, linktype } => self.next_legacy(out, big_endian, nanos, linktype),
            Format::Ng { .. } => self.next_ng(out),
        }
    }

    fn next_legacy(
        &mut self,
        out: &mut Vec<u8>,
        be: bool,
        nanos: bool,
        linktype: LinkType,
    ) -> Result<Option<FrameMeta>, PcapError> {
        let mut hdr = [0u8; 16];
        let start = self.offset;
        let got = read_full(&mut self.input, &mut hdr).map_err(|e| self.io(e))?;
        if got == 0 {
            return Ok(None);
        }
        if got < 16 {
            return Err(self.truncated(start));
        }
        self.offset += 16;
        let secs = u32_at(&hdr, 0, be);
        let frac = u32_at(&hdr, 4, be);
        let cap_len = u32_at(&hdr, 8, be);
        let wire_len = u32_at(&hdr, 12, be);
        if cap_len > MAX_RECORD_LEN {
            return Err(self.corrupt(start, format!("captured length {cap_len} exceeds the maximum {MAX_RECORD_LEN}")));
        }
        let micros = if nanos { frac / 1000 } else { frac };
        if micros >= 1_000_000 {
            return Err(self.corrupt(start, format!("timestamp fraction {frac} out of range")));
        }
        self.append(out, cap_len as usize, start)?;
        self.packets += 1;
        Ok(Some(FrameMeta {
            ts: Timestamp::from_secs_micros(u64::from(secs), micros),
            linktype,
            wire_len: wire_len.max(cap_len),
            cap_len,
        }))
    }

    fn next_ng(&mut self, out: &mut Vec<u8>) -> Result<Option<FrameMeta>, PcapError> {
        loop {
            let be = match self.format {
                Format::Ng { big_endian } => big_endian,
                Format::Legacy { .. } => return Ok(None),
            };
            let start = self.offset;
            let mut hdr = [0u8; 8];
            let got = read_full(&mut self.input, &mut hdr).map_err(|e| self.io(e))?;
            if got == 0 {
                return Ok(None);
            }
            if got < 8 {
                return Err(self.truncated(start));
            }
            self.offset += 8;
            let block_type = u32_at(&hdr, 0, be);
            if block_type == 0x0a0d_0d0a {
                self.read_section_header(&hdr, start)?;
                continue;
            }
            let block_len = u32_at(&hdr, 4, be);
            self.check_block_len(block_len, 12)
                .map_err(|_| self.corrupt(start, format!("block length {block_len} is invalid")))?;
            let body_len = block_len as usize - 12;
            let frame = match block_type {
                // Enhanced Packet Block.
                6 => self.read_epb(out, body_len, be, start, false)?,
                // Simple Packet Block.
                3 => self.read_spb(out, body_len, be, start)?,
                // Obsolete Packet Block.
                2 => self.read_epb(out, body_len, be, start, true)?,
                // Interface Description Block.
                1 => {
                    self.read_body(body_len, start)?;
                    self.add_interface(be, start)?;
                    self.skip(4)?; // trailing block length
                    continue;
                }
                _ => {
                    self.skip(body_len + 4)?;
                    continue;
                }
            };
            self.packets += 1;
            return Ok(Some(frame));
        }
    }

    fn read_section_header(&mut self, hdr: &[u8; 8], start: u64) -> Result<(), PcapError> {
        let mut bom = [0u8; 4];
        if read_full(&mut self.input, &mut bom).map_err(|e| self.io(e))? < 4 {
            return Err(self.truncated(start));
        }
        self.offset += 4;
        let be = match u32::from_le_bytes(bom) {
            0x1a2b_3c4d => false,
            0x4d3c_2b1a => true,
            other => return Err(self.corrupt(start, format!("bad byte-order magic {other:#010x}"))),
        };
        self.format = Format::Ng { big_endian: be };
        self.interfaces.clear();
        let block_len = u32_at(hdr, 4, be);
        self.check_block_len(block_len, 28)
            .map_err(|_| self.corrupt(start, format!("section header length {block_len} is invalid")))?;
        self.skip(block_len as usize - 12)
    }

    fn add_interface(&mut self, be: bool, start: u64) -> Result<(), PcapError> {
        if self.scratch.len() < 8 {
            return Err(self.corrupt(start, "interface description block too short".into()));
        }
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(self.corrupt(start, format!("more than {MAX_INTERFACES} interfaces")));
        }
        let linktype = LinkType(u16_at(&self.scratch, 0, be));
        let mut iface = Interface { linktype, units_per_sec: 1_000_000, offset_secs: 0 };
        // Options: code(2) len(2) value padded to 4.
        let mut at = 8;
        while at + 4 <= self.scratch.len() {
            let code = u16_at(&self.scratch, at, be);
            let len = u16_at(&self.scratch, at + 2, be) as usize;
            let val_at = at + 4;
            if code == 0 || val_at + len > self.scratch.len() {
                break;
            }
            match (code, len) {
                (9, 1) => {
                    let r = self.scratch[val_at];
                    let exp = u32::from(r & 0x7f);
                    iface.units_per_sec = if r & 0x80 != 0 {
                        2u64.checked_pow(exp).unwrap_or(u64::MAX)
                    } else {
                        10u64.checked_pow(exp).unwrap_or(u64::MAX)
                    };
                }
                (14, 8) => {
                    let v = [
                        self.scratch[val_at],
                        self.scratch[val_at + 1],
                        self.scratch[val_at + 2],
                        self.scratch[val_at + 3],
                        self.scratch[val_at + 4],
                        self.scratch[val_at + 5],
                        self.scratch[val_at + 6],
                        self.scratch[val_at + 7],
                    ];
                    iface.offset_secs = if be { i64::from_be_bytes(v) } else { i64::from_le_bytes(v) };
                }
                _ => {}
            }
            at = val_at + len.div_ceil(4) * 4;
        }
        self.interfaces.push(iface);
        Ok(())
    }

    fn interface(&self, id: u32, start: u64) -> Result<Interface, PcapError> {
        self.interfaces
            .get(id as usize)
            .copied()
            .ok_or_else(|| self.corrupt(start, format!("packet names interface {id}, which was never described")))
    }

    /// Enhanced (6) and obsolete (2) packet blocks: 20 fixed bytes (the
    /// interface id is 32 bits in the first, 16 in the second), then data.
    fn read_epb(
        &mut self,
        out: &mut Vec<u8>,
        body_len: usize,
        be: bool,
        start: u64,
        obsolete: bool,
    ) -> Result<FrameMeta, PcapError> {
        if body_len < 20 {
            return Err(self.corrupt(start, "packet block too short".into()));
        }
        let mut fixed = [0u8; 20];
        self.read_exact_checked(&mut fixed, start)?;
        let if_id = if obsolete { u32::from(u16_at(&fixed, 0, be)) } else { u32_at(&fixed, 0, be) };
        let iface = self.interface(if_id, start)?;
        let ts_raw = (u64::from(u32_at(&fixed, 4, be)) << 32) | u64::from(u32_at(&fixed, 8, be));
        let cap_len = u32_at(&fixed, 12, be);
        let wire_len = u32_at(&fixed, 16, be);
        if cap_len > MAX_RECORD_LEN || cap_len as usize > body_len - 20 {
            return Err(self.corrupt(start, format!("captured length {cap_len} does not fit its block")));
        }
        self.append(out, cap_len as usize, start)?;
        // Padding, options and the trailing length.
        self.skip(body_len - 20 - cap_len as usize + 4)?;
        Ok(FrameMeta {
            ts: iface_ts(iface, ts_raw),
            linktype: iface.linktype,
            wire_len: wire_len.max(cap_len),
            cap_len,
        })
    }

    fn read_spb(&mut self, out: &mut Vec<u8>, body_len: usize, be: bool, start: u64) -> Result<FrameMeta, PcapError> {
        if body_len < 4 {
            return Err(self.corrupt(start, "simple packet block too short".into()));
        }
        let iface = self.interface(0, start)?;
        let mut fixed = [0u8; 4];
        self.read_exact_checked(&mut fixed, start)?;
        let wire_len = u32_at(&fixed, 0, be);
        let cap_len = wire_len.min((body_len - 4) as u32).min(MAX_RECORD_LEN);
        self.append(out, cap_len as usize, start)?;
        self.skip(body_len - 4 - cap_len as usize + 4)?;
        // Simple packet blocks carry no timestamp.
        Ok(FrameMeta { ts: Timestamp::ZERO, linktype: iface.linktype, wire_len: wire_len.max(cap_len), cap_len })
    }

    fn check_block_len(&self, len: u32, min: u32) -> Result<(), PcapError> {
        if len < min || !len.is_multiple_of(4) || len > MAX_BLOCK_LEN {
            return Err(self.corrupt(self.offset, format!("block length {len} is invalid")));
        }
        Ok(())
    }

    fn append(&mut self, out: &mut Vec<u8>, len: usize, start: u64) -> Result<(), PcapError> {
        let at = out.len();
        out.resize(at + len, 0);
        let got = read_full(&mut self.input, &mut out[at..]).map_err(|e| self.io(e))?;
        self.offset += got as u64;
        if got < len {
            out.truncate(at);
            return Err(self.truncated(start));
        }
        Ok(())
    }

    fn read_body(&mut self, len: usize, start: u64) -> Result<(), PcapError> {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        let res = self.append(&mut buf, len, start);
        self.scratch = buf;
        res
    }

    fn read_exact_checked(&mut self, buf: &mut [u8], start: u64) -> Result<(), PcapError> {
        let got = read_full(&mut self.input, buf).map_err(|e| self.io(e))?;
        self.offset += got as u64;
        if got < buf.len() {
            return Err(self.truncated(start));
        }
        Ok(())
    }

    fn skip(&mut self, len: usize) -> Result<(), PcapError> {
        let start = self.offset;
        let copied = io::copy(&mut (&mut self.input).take(len as u64), &mut io::sink()).map_err(|e| self.io(e))?;
        self.offset += copied;
        if copied < len as u64 {
            return Err(self.truncated(start));
        }
        Ok(())
    }

    fn io(&self, source: io::Error) -> PcapError {
        PcapError::Io { path: self.path.clone(), offset: self.offset, source }
    }

    fn corrupt(&self, offset: u64, reason: String) -> PcapError {
        PcapError::Corrupt { path: self.path.clone(), packets: self.packets, offset, reason }
    }

    fn truncated(&self, offset: u64) -> PcapError {
        PcapError::Truncated { path: self.path.clone(), packets: self.packets, offset }
    }
}

fn iface_ts(iface: Interface, raw: u64) -> Timestamp {
    let per_sec = iface.units_per_sec.max(1);
    let secs = (raw / per_sec) as i64 + iface.offset_secs;
    let frac = raw % per_sec;
    let micros = (u128::from(frac) * 1_000_000 / u128::from(per_sec)) as u32;
    Timestamp::from_secs_micros(secs.max(0) as u64, micros)
}

/// Like `read_exact`, but reports how much was read instead of failing at EOF.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match r.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests;
