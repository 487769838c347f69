//! Writer for classic pcap files (microsecond timestamps).

use std::io::{self, Write};

use crate::source::LinkType;
use crate::util::Timestamp;

pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    pub fn new(mut out: W, linktype: LinkType, snaplen: u32) -> io::Result<Self> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&0i32.to_le_bytes())?;
        out.write_all(&0u32.to_le_bytes())?;
        out.write_all(&snaplen.to_le_bytes())?;
        out.write_all(&u32::from(linktype.0).to_le_bytes())?;
        Ok(PcapWriter { out })
    }

    /// Writes one record; `wire_len` may exceed the bytes given (a capture
    /// cut by its snap length).
    pub fn write_packet(&mut self, ts: Timestamp, frame: &[u8], wire_len: u32) -> io::Result<()> {
        self.out.write_all(&(ts.secs() as u32).to_le_bytes())?;
        self.out.write_all(&ts.subsec_micros().to_le_bytes())?;
        self.out.write_all(&(frame.len() as u32).to_le_bytes())?;
        self.out.write_all(&wire_len.max(frame.len() as u32).to_le_bytes())?;
        self.out.write_all(frame)
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}
