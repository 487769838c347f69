//! IPv4 header.

use std::net::Ipv4Addr;

use super::DecodeError;

/// A checked view of an IPv4 packet. The buffer may hold fewer bytes than
/// the header's total length (a truncated copy) or more (link padding);
/// [`Ipv4Packet::payload`] returns only bytes that are both declared and present.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv4Packet<'a> {
    pub const MIN_HEADER_LEN: usize = 20;

    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::MIN_HEADER_LEN {
            return Err(DecodeError::Ipv4TooShort);
        }
        if buf[0] >> 4 != 4 {
            return Err(DecodeError::Ipv4BadVersion);
        }
        let hl = usize::from(buf[0] & 0x0f) * 4;
        if hl < Self::MIN_HEADER_LEN {
            return Err(DecodeError::Ipv4BadHeaderLen);
        }
        if buf.len() < hl {
            return Err(DecodeError::Ipv4TooShort);
        }
        let total = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if total < hl {
            return Err(DecodeError::Ipv4BadTotalLen);
        }
        Ok(Ipv4Packet { buf })
    }

    pub fn header_len(&self) -> usize {
        usize::from(self.buf[0] & 0x0f) * 4
    }

    pub fn total_len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]]))
    }

    pub fn tos(&self) -> u8 {
        self.buf[1]
    }

    pub fn ident(&self) -> u16 {
        u16::from_be_bytes([self.buf[4], self.buf[5]])
    }

    pub fn dont_frag(&self) -> bool {
        self.buf[6] & 0x40 != 0
    }

    pub fn more_frags(&self) -> bool {
        self.buf[6] & 0x20 != 0
    }

    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> usize {
        usize::from(u16::from_be_bytes([self.buf[6], self.buf[7]]) & 0x1fff) * 8
    }

    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    pub fn ttl(&self) -> u8 {
        self.buf[8]
    }

    pub fn protocol(&self) -> u8 {
        self.buf[9]
    }

    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::new(self.buf[12], self.buf[13], self.buf[14], self.buf[15])
    }

    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::new(self.buf[16], self.buf[17], self.buf[18], self.buf[19])
    }

    /// The bytes after the header that are both declared and captured.
    pub fn payload(&self) -> &'a [u8] {
        let end = self.total_len().min(self.buf.len());
        &self.buf[self.header_len()..end]
    }

    /// Declared payload bytes that are not in the buffer (truncated copy).
    pub fn missing(&self) -> usize {
        self.total_len().saturating_sub(self.buf.len())
    }
}

/// Ones-complement checksum over an IPv4 header (for rebuilt headers).
pub fn header_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in header.chunks(2) {
        let word = if pair.len() == 2 { u16::from_be_bytes([pair[0], pair[1]]) } else { u16::from(pair[0]) << 8 };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(total: u16, ihl: u8) -> Vec<u8> {
        let mut h = vec![0x40 | ihl, 0, 0, 0, 0x12, 0x34, 0x20, 0x01, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h.resize(usize::from(ihl) * 4, 1);
        h
    }

    #[test]
    fn well_formed_with_padding() {
        let mut p = header(24, 5);
        p.extend_from_slice(&[1, 2, 3, 4, 0, 0]); // two bytes of link padding
        let ip = Ipv4Packet::new_checked(&p).unwrap();
        assert_eq!(ip.payload(), &[1, 2, 3, 4]);
        assert_eq!(ip.missing(), 0);
        assert_eq!(ip.src(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(ip.protocol(), 6);
        assert_eq!(ip.ident(), 0x1234);
        assert!(ip.more_frags());
        assert_eq!(ip.frag_offset(), 8);
        assert!(ip.is_fragment());
    }

    #[test]
    fn options_are_skipped() {
        let mut p = header(28, 6);
        p.extend_from_slice(&[9, 9, 9, 9]);
        let ip = Ipv4Packet::new_checked(&p).unwrap();
        assert_eq!(ip.header_len(), 24);
        assert_eq!(ip.payload(), &[9, 9, 9, 9]);
    }

    #[test]
    fn truncated_copy_reports_missing_bytes() {
        let mut p = header(1500, 5);
        p.extend_from_slice(&[7; 100]);
        let ip = Ipv4Packet::new_checked(&p).unwrap();
        assert_eq!(ip.payload().len(), 100);
        assert_eq!(ip.missing(), 1380);
    }

    #[test]
    fn impossible_lengths() {
        assert_eq!(Ipv4Packet::new_checked(&header(20, 5)[..19]).unwrap_err(), DecodeError::Ipv4TooShort);
        let mut short_ihl = header(20, 4);
        short_ihl.resize(20, 0);
        assert_eq!(Ipv4Packet::new_checked(&short_ihl).unwrap_err(), DecodeError::Ipv4BadHeaderLen);
        assert_eq!(Ipv4Packet::new_checked(&header(10, 5)).unwrap_err(), DecodeError::Ipv4BadTotalLen);
        let mut p = header(60, 15);
        p.truncate(40);
        assert_eq!(Ipv4Packet::new_checked(&p).unwrap_err(), DecodeError::Ipv4TooShort);
        let mut v6 = header(20, 5);
        v6[0] = 0x65;
        assert_eq!(Ipv4Packet::new_checked(&v6).unwrap_err(), DecodeError::Ipv4BadVersion);
    }

    #[test]
    fn checksum_of_known_header() {
        // Example header from RFC 1071 discussions (checksum field zeroed).
        let h = [0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7];
        assert_eq!(header_checksum(&h), 0xb861);
    }
}
