//! TCP header.

use super::DecodeError;

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;
pub const URG: u8 = 0x20;
pub const ECE: u8 = 0x40;
pub const CWR: u8 = 0x80;

/// A checked view of a TCP segment: the fixed header and the options it
/// declares are present.
#[derive(Debug, Clone, Copy)]
pub struct TcpSegment<'a> {
    buf: &'a [u8],
}

impl<'a> TcpSegment<'a> {
    pub const MIN_HEADER_LEN: usize = 20;

    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::MIN_HEADER_LEN {
            return Err(DecodeError::TcpTooShort);
        }
        let hl = usize::from(buf[12] >> 4) * 4;
        if hl < Self::MIN_HEADER_LEN {
            return Err(DecodeError::TcpBadHeaderLen);
        }
        if buf.len() < hl {
            return Err(DecodeError::TcpTooShort);
        }
        Ok(TcpSegment { buf })
    }

    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.buf[0], self.buf[1]])
    }

    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    pub fn seq(&self) -> u32 {
        u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]])
    }

    pub fn ack(&self) -> u32 {
        u32::from_be_bytes([self.buf[8], self.buf[9], self.buf[10], self.buf[11]])
    }

    pub fn header_len(&self) -> usize {
        usize::from(self.buf[12] >> 4) * 4
    }

    pub fn flags(&self) -> u8 {
        self.buf[13]
    }

    /// The reserved bits and NS, as the high nibble of byte 12's low nibble.
    pub fn reserved(&self) -> u8 {
        self.buf[12] & 0x0f
    }

    pub fn window(&self) -> u16 {
        u16::from_be_bytes([self.buf[14], self.buf[15]])
    }

    pub fn urgent(&self) -> u16 {
        u16::from_be_bytes([self.buf[18], self.buf[19]])
    }

    pub fn options(&self) -> &'a [u8] {
        &self.buf[Self::MIN_HEADER_LEN..self.header_len()]
    }

    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.header_len()..]
    }
}

/// TCP options the stream engine cares about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpOptions {
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    pub timestamp: Option<(u32, u32)>,
}

/// Parses options leniently: a malformed option ends the walk.
pub fn parse_options(mut opts: &[u8]) -> TcpOptions {
    let mut out = TcpOptions::default();
    while let Some(&kind) = opts.first() {
        match kind {
            0 => break,
            1 => {
                opts = &opts[1..];
                continue;
            }
            _ => {}
        }
        let Some(&len) = opts.get(1) else { break };
        let len = usize::from(len);
        if len < 2 || len > opts.len() {
            break;
        }
        let body = &opts[2..len];
        match (kind, body.len()) {
            (2, 2) => out.mss = Some(u16::from_be_bytes([body[0], body[1]])),
            (3, 1) => out.window_scale = Some(body[0].min(14)),
            (4, 0) => out.sack_permitted = true,
            (8, 8) => {
                out.timestamp = Some((
                    u32::from_be_bytes([body[0], body[1], body[2], body[3]]),
                    u32::from_be_bytes([body[4], body[5], body[6], body[7]]),
                ))
            }
            _ => {}
        }
        opts = &opts[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(doff: u8, extra: &[u8]) -> Vec<u8> {
        let mut s = vec![0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 2, doff << 4, SYN | ACK, 0xff, 0xff, 0, 0, 0, 0];
        s.extend_from_slice(extra);
        s
    }

    #[test]
    fn well_formed() {
        let s = seg(6, &[2, 4, 0x05, 0xb4, b'h', b'i']);
        let t = TcpSegment::new_checked(&s).unwrap();
        assert_eq!((t.src_port(), t.dst_port(), t.seq(), t.ack()), (12345, 80, 1, 2));
        assert_eq!(t.flags(), SYN | ACK);
        assert_eq!(t.payload(), b"hi");
        assert_eq!(parse_options(t.options()).mss, Some(1460));
    }

    #[test]
    fn truncated_and_impossible() {
        assert_eq!(TcpSegment::new_checked(&seg(5, &[])[..19]).unwrap_err(), DecodeError::TcpTooShort);
        assert_eq!(TcpSegment::new_checked(&seg(4, &[])).unwrap_err(), DecodeError::TcpBadHeaderLen);
        // Data offset 6 but only 20 header bytes present (seen in the wild).
        assert_eq!(TcpSegment::new_checked(&seg(6, &[])).unwrap_err(), DecodeError::TcpTooShort);
    }

    #[test]
    fn options_lenient() {
        let o = parse_options(&[1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6]);
        assert_eq!(o.window_scale, Some(7));
        assert!(o.sack_permitted);
        assert_eq!(o.timestamp, Some((5, 6)));
        // Zero-length option must not loop forever.
        assert_eq!(parse_options(&[5, 0, 2, 4, 1, 1]), TcpOptions::default());
        // Length beyond the buffer.
        assert_eq!(parse_options(&[2, 40, 1]), TcpOptions::default());
    }
}
