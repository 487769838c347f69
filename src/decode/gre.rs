//! GRE (RFC 2784/2890, and the enhanced version-1 GRE of PPTP) and the
//! ERSPAN headers carried in GRE. PPP inside GRE is in [`super::ppp`].

use super::DecodeError;

pub const PROTO_TEB: u16 = 0x6558;
pub const PROTO_ERSPAN2: u16 = 0x88be;
pub const PROTO_ERSPAN3: u16 = 0x22eb;
pub const PROTO_PPP: u16 = 0x880b;

/// A checked GRE header: flags, version and the optional fields they
/// announce are present.
#[derive(Debug, Clone, Copy)]
pub struct GreHeader<'a> {
    buf: &'a [u8],
    header_len: usize,
}

impl<'a> GreHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < 4 {
            return Err(DecodeError::GreTooShort);
        }
        let flags = buf[0];
        let version = buf[1] & 0x07;
        let mut len = 4;
        match version {
            0 => {
                // Checksum present (C) or routing present (R) carry 4 bytes.
                if flags & 0xc0 != 0 {
                    len += 4;
                }
                if flags & 0x20 != 0 {
                    len += 4; // key
                }
                if flags & 0x10 != 0 {
                    len += 4; // sequence
                }
                // Source routing (R) is deprecated and its entries are
                // variable; we do not follow them.
                if flags & 0x40 != 0 {
                    return Err(DecodeError::GreBadVersion);
                }
            }
            1 => {
                // Enhanced GRE: key (payload length + call id) is mandatory.
                if flags & 0x20 == 0 {
                    return Err(DecodeError::GreBadVersion);
                }
                len += 4;
                if flags & 0x10 != 0 {
                    len += 4;
                }
                if buf[1] & 0x80 != 0 {
                    len += 4; // acknowledgment number
                }
            }
            _ => return Err(DecodeError::GreBadVersion),
        }
        if buf.len() < len {
            return Err(DecodeError::GreTooShort);
        }
        Ok(GreHeader { buf, header_len: len })
    }

    pub fn version(&self) -> u8 {
        self.buf[1] & 0x07
    }

    pub fn protocol(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The GRE key (version 0 with K flag), used as a tunnel identifier.
    pub fn key(&self) -> Option<u32> {
        if self.version() != 0 || self.buf[0] & 0x20 == 0 {
            return None;
        }
        let at = if self.buf[0] & 0xc0 != 0 { 8 } else { 4 };
        Some(u32::from_be_bytes([self.buf[at], self.buf[at + 1], self.buf[at + 2], self.buf[at + 3]]))
    }
}

/// Length of the ERSPAN header before the mirrored Ethernet frame, and the
/// session id it carries.
pub fn erspan_header(proto: u16, buf: &[u8]) -> Result<(usize, u16), DecodeError> {
    let base = if proto == PROTO_ERSPAN3 { 12 } else { 8 };
    if buf.len() < base {
        return Err(DecodeError::ErspanTooShort);
    }
    let session = u16::from_be_bytes([buf[2], buf[3]]) & 0x03ff;
    let mut len = base;
    // ERSPAN III: the O flag announces an 8-byte platform sub-header.
    if proto == PROTO_ERSPAN3 && buf[11] & 0x01 != 0 {
        len += 8;
        if buf.len() < len {
            return Err(DecodeError::ErspanTooShort);
        }
    }
    Ok((len, session))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_keyed() {
        let g = GreHeader::new_checked(&[0, 0, 0x08, 0x00, 0x45]).unwrap();
        assert_eq!((g.protocol(), g.header_len(), g.key()), (0x0800, 4, None));
        let g = GreHeader::new_checked(&[0xa0, 0, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 42]).unwrap();
        assert_eq!((g.header_len(), g.key()), (12, Some(42)));
    }

    #[test]
    fn enhanced_version_one() {
        let g = GreHeader::new_checked(&[0x30, 0x81, 0x88, 0x0b, 0, 10, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2]).unwrap();
        assert_eq!((g.version(), g.protocol(), g.header_len()), (1, PROTO_PPP, 16));
    }

    #[test]
    fn truncated_and_impossible() {
        assert_eq!(GreHeader::new_checked(&[0, 0, 8]).unwrap_err(), DecodeError::GreTooShort);
        assert_eq!(GreHeader::new_checked(&[0x20, 0, 8, 0, 0]).unwrap_err(), DecodeError::GreTooShort);
        assert_eq!(GreHeader::new_checked(&[0, 3, 8, 0]).unwrap_err(), DecodeError::GreBadVersion);
        assert_eq!(GreHeader::new_checked(&[0, 1, 8, 0, 0, 0, 0, 0]).unwrap_err(), DecodeError::GreBadVersion);
    }

    #[test]
    fn erspan() {
        assert_eq!(erspan_header(PROTO_ERSPAN2, &[0x10, 0, 0x00, 0x07, 0, 0, 0, 0]).unwrap(), (8, 7));
        assert_eq!(erspan_header(PROTO_ERSPAN2, &[0; 7]).unwrap_err(), DecodeError::ErspanTooShort);
        let mut h3 = [0u8; 12];
        h3[11] = 1;
        assert_eq!(erspan_header(PROTO_ERSPAN3, &h3).unwrap_err(), DecodeError::ErspanTooShort);
    }
}
