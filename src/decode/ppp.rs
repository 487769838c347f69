//! PPP framing as we meet it: the PPP link type (DLT_PPP, HDLC-like framing
//! with address and control bytes), PPP inside GRE (PPTP) and PPPoE
//! (RFC 2516) session and discovery frames on Ethernet.

use super::DecodeError;

pub const PPP_IPV4: u16 = 0x0021;
pub const PPP_IPV6: u16 = 0x0057;

/// The PPP header before the network-layer packet: optional address and
/// control bytes (0xff 0x03), then a one- or two-byte protocol field.
/// Returns (protocol, header length).
///
/// Both optional parts are accepted wherever PPP appears: RFC 1661
/// address/control-field compression and protocol-field compression are
/// negotiated per link, and a capture does not tell us what was agreed.
pub fn ppp_header(buf: &[u8]) -> Result<(u16, usize), DecodeError> {
    let mut at = 0;
    if buf.len() >= 2 && buf[0] == 0xff && buf[1] == 0x03 {
        at = 2;
    }
    let first = *buf.get(at).ok_or(DecodeError::PppTooShort)?;
    // Protocol-field compression: protocol numbers have an even first
    // byte and an odd second one, so an odd first byte is a one-byte field.
    if first & 1 == 1 {
        return Ok((u16::from(first), at + 1));
    }
    let second = *buf.get(at + 1).ok_or(DecodeError::PppTooShort)?;
    Ok((u16::from_be_bytes([first, second]), at + 2))
}

pub const PPPOE_HEADER_LEN: usize = 6;
pub const PPPOE_CODE_SESSION: u8 = 0x00;
/// Discovery codes: PADI, PADO, PADR, PADS, PADT.
const PPPOE_DISCOVERY_CODES: [u8; 5] = [0x09, 0x07, 0x19, 0x65, 0xa7];

/// A checked PPPoE header (version/type, code, session id, payload length).
#[derive(Debug, Clone, Copy)]
pub struct PppoeHeader<'a> {
    buf: &'a [u8],
}

impl<'a> PppoeHeader<'a> {
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < PPPOE_HEADER_LEN {
            return Err(DecodeError::PppoeTooShort);
        }
        Ok(PppoeHeader { buf })
    }

    pub fn code(&self) -> u8 {
        self.buf[1]
    }

    pub fn session_id(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// Declared length of what follows the header.
    pub fn length(&self) -> usize {
        usize::from(u16::from_be_bytes([self.buf[4], self.buf[5]]))
    }

    /// The PPP frame of a session packet: the declared length when the
    /// frame holds it (Ethernet pads short frames), else what was captured.
    pub fn payload(&self) -> &'a [u8] {
        let rest = &self.buf[PPPOE_HEADER_LEN..];
        &rest[..self.length().min(rest.len())]
    }

    /// A discovery frame (ethertype 0x8863) carries no IP: it is checked
    /// so that a malformed one is counted as such, then left.
    pub fn check_discovery(&self) -> Result<(), DecodeError> {
        if !PPPOE_DISCOVERY_CODES.contains(&self.code()) {
            return Err(DecodeError::PppoeWrongCode);
        }
        if self.length() > self.buf.len() - PPPOE_HEADER_LEN {
            return Err(DecodeError::PppoeMalformedTags);
        }
        // Tags: type (2), length (2), value; each must fit the payload.
        let mut tags = &self.buf[PPPOE_HEADER_LEN..PPPOE_HEADER_LEN + self.length()];
        while !tags.is_empty() {
            if tags.len() < 4 {
                return Err(DecodeError::PppoeMalformedTags);
            }
            let len = 4 + usize::from(u16::from_be_bytes([tags[2], tags[3]]));
            tags = tags.get(len..).ok_or(DecodeError::PppoeMalformedTags)?;
        }
        Ok(())
    }

    /// A session frame must say so in its code.
    pub fn check_session(&self) -> Result<(), DecodeError> {
        if self.code() != PPPOE_CODE_SESSION {
            return Err(DecodeError::PppoeWrongCode);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppp_forms() {
        assert_eq!(ppp_header(&[0x21, 0x45]).unwrap(), (PPP_IPV4, 1));
        assert_eq!(ppp_header(&[0xff, 0x03, 0x00, 0x57]).unwrap(), (PPP_IPV6, 4));
        assert_eq!(ppp_header(&[0xff, 0x03, 0x21]).unwrap(), (PPP_IPV4, 3));
        assert_eq!(ppp_header(&[0x00, 0x21]).unwrap(), (PPP_IPV4, 2));
        assert_eq!(ppp_header(&[0x00]).unwrap_err(), DecodeError::PppTooShort);
        assert_eq!(ppp_header(&[0xff, 0x03]).unwrap_err(), DecodeError::PppTooShort);
        assert_eq!(ppp_header(&[]).unwrap_err(), DecodeError::PppTooShort);
    }

    #[test]
    fn pppoe_session() {
        // Declared length 4 within a padded frame: the padding is dropped.
        let f = [0x11, 0x00, 0x12, 0x34, 0x00, 0x04, 0x00, 0x21, 0x45, 0x00, 0, 0];
        let h = PppoeHeader::new_checked(&f).unwrap();
        assert_eq!((h.code(), h.session_id(), h.length()), (0, 0x1234, 4));
        assert_eq!(h.payload(), &[0x00, 0x21, 0x45, 0x00]);
        h.check_session().unwrap();
        // A length beyond the capture keeps what was captured.
        let f = [0x11, 0x00, 0, 1, 0x05, 0xdc, 0x00, 0x21];
        assert_eq!(PppoeHeader::new_checked(&f).unwrap().payload(), &[0x00, 0x21]);
        assert_eq!(PppoeHeader::new_checked(&f[..5]).unwrap_err(), DecodeError::PppoeTooShort);
        let f = [0x11, 0x09, 0, 1, 0, 0];
        assert_eq!(PppoeHeader::new_checked(&f).unwrap().check_session().unwrap_err(), DecodeError::PppoeWrongCode);
    }

    #[test]
    fn pppoe_discovery() {
        // PADI with a Service-Name tag of length 0 and a Host-Uniq of 2.
        let f = [0x11, 0x09, 0, 0, 0, 10, 0x01, 0x01, 0, 0, 0x01, 0x03, 0, 2, 0xab, 0xcd];
        PppoeHeader::new_checked(&f).unwrap().check_discovery().unwrap();
        let mut bad = f;
        bad[1] = 0x42;
        assert_eq!(PppoeHeader::new_checked(&bad).unwrap().check_discovery().unwrap_err(), DecodeError::PppoeWrongCode);
        let mut bad = f;
        bad[13] = 9; // tag longer than the payload
        let e = PppoeHeader::new_checked(&bad).unwrap().check_discovery().unwrap_err();
        assert_eq!(e, DecodeError::PppoeMalformedTags);
        let mut bad = f;
        bad[5] = 40; // payload length beyond the frame
        let e = PppoeHeader::new_checked(&bad).unwrap().check_discovery().unwrap_err();
        assert_eq!(e, DecodeError::PppoeMalformedTags);
    }
}
