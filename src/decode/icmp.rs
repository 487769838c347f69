//! ICMPv4 and ICMPv6 headers.

use super::DecodeError;

/// A checked view of an ICMP (v4 or v6) message: type, code, checksum and
/// the 4-byte rest-of-header are present.
#[derive(Debug, Clone, Copy)]
pub struct IcmpMessage<'a> {
    buf: &'a [u8],
}

impl<'a> IcmpMessage<'a> {
    pub const HEADER_LEN: usize = 8;

    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::HEADER_LEN {
            return Err(DecodeError::IcmpTooShort);
        }
        Ok(IcmpMessage { buf })
    }

    pub fn msg_type(&self) -> u8 {
        self.buf[0]
    }

    pub fn code(&self) -> u8 {
        self.buf[1]
    }

    /// Identifier field of echo-style messages.
    pub fn ident(&self) -> u16 {
        u16::from_be_bytes([self.buf[4], self.buf[5]])
    }

    /// Sequence field of echo-style messages.
    pub fn seq(&self) -> u16 {
        u16::from_be_bytes([self.buf[6], self.buf[7]])
    }

    pub fn payload(&self) -> &'a [u8] {
        &self.buf[Self::HEADER_LEN..]
    }
}

/// Whether a message type carries identifier/sequence fields
/// (echo, timestamp, information and address-mask request/reply for v4;
/// echo for v6).
pub fn has_id_seq(v6: bool, msg_type: u8) -> bool {
    if v6 {
        matches!(msg_type, 128 | 129)
    } else {
        matches!(msg_type, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request() {
        let m = [8, 0, 0xf7, 0xff, 0x05, 0x0c, 0, 1, b'p', b'i', b'n', b'g'];
        let i = IcmpMessage::new_checked(&m).unwrap();
        assert_eq!((i.msg_type(), i.code(), i.ident(), i.seq()), (8, 0, 0x050c, 1));
        assert_eq!(i.payload(), b"ping");
        assert!(has_id_seq(false, 8) && has_id_seq(true, 129) && !has_id_seq(false, 3));
    }

    #[test]
    fn truncated() {
        assert_eq!(IcmpMessage::new_checked(&[8, 0, 0, 0]).unwrap_err(), DecodeError::IcmpTooShort);
    }
}
