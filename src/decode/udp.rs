//! UDP header.

use super::DecodeError;

/// A checked view of a UDP datagram whose header is present and whose
/// length field is at least the header size.
#[derive(Debug, Clone, Copy)]
pub struct UdpDatagram<'a> {
    buf: &'a [u8],
}

impl<'a> UdpDatagram<'a> {
    pub const HEADER_LEN: usize = 8;

    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::HEADER_LEN {
            return Err(DecodeError::UdpTooShort);
        }
        let len = usize::from(u16::from_be_bytes([buf[4], buf[5]]));
        // Zero is allowed: jumbograms and some offloads leave it unset.
        if len != 0 && len < Self::HEADER_LEN {
            return Err(DecodeError::UdpBadLength);
        }
        Ok(UdpDatagram { buf })
    }

    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.buf[0], self.buf[1]])
    }

    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// The length field; 0 means "use the IP length".
    pub fn length(&self) -> usize {
        usize::from(u16::from_be_bytes([self.buf[4], self.buf[5]]))
    }

    /// Payload bounded by the UDP length field (trailing bytes after the
    /// datagram are not payload).
    pub fn payload(&self) -> &'a [u8] {
        let end = match self.length() {
            0 => self.buf.len(),
            n => n.min(self.buf.len()),
        };
        &self.buf[Self::HEADER_LEN..end]
    }

    /// Declared payload bytes missing from the buffer.
    pub fn missing(&self) -> usize {
        self.length().saturating_sub(self.buf.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_and_trailing_data() {
        let mut d = vec![0x30, 0x32, 0x30, 0x32, 0, 12, 0, 0, b'a', b'b', b'c', b'd'];
        d.extend_from_slice(b"trailer");
        let u = UdpDatagram::new_checked(&d).unwrap();
        assert_eq!((u.src_port(), u.dst_port()), (12338, 12338));
        assert_eq!(u.payload(), b"abcd");
        assert_eq!(u.missing(), 0);
    }

    #[test]
    fn truncated_and_impossible() {
        assert_eq!(UdpDatagram::new_checked(&[0; 7]).unwrap_err(), DecodeError::UdpTooShort);
        assert_eq!(UdpDatagram::new_checked(&[0, 1, 0, 2, 0, 4, 0, 0]).unwrap_err(), DecodeError::UdpBadLength);
        let d = [0, 1, 0, 2, 0x01, 0x00, 0, 0, 1, 2];
        let u = UdpDatagram::new_checked(&d).unwrap();
        assert_eq!(u.payload(), &[1, 2]);
        assert_eq!(u.missing(), 246);
    }
}
