//! Capture pseudo-headers that stand in for Ethernet: Linux cooked capture
//! (SLL, SLL2) and BSD loopback (NULL/LOOP).

use super::ethernet::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use super::DecodeError;

/// Linux cooked capture v1: 16 bytes, protocol (ethertype) at offset 14.
pub fn sll_protocol(buf: &[u8]) -> Result<(u16, usize), DecodeError> {
    if buf.len() < 16 {
        return Err(DecodeError::SllTooShort);
    }
    Ok((u16::from_be_bytes([buf[14], buf[15]]), 16))
}

/// Linux cooked capture v2: 20 bytes, protocol (ethertype) at offset 0.
pub fn sll2_protocol(buf: &[u8]) -> Result<(u16, usize), DecodeError> {
    if buf.len() < 20 {
        return Err(DecodeError::SllTooShort);
    }
    Ok((u16::from_be_bytes([buf[0], buf[1]]), 20))
}

/// BSD loopback: a 4-byte address family, in the capturing host's byte order
/// for NULL and in network order for LOOP. We accept either order since the
/// family values do not collide.
pub fn null_ethertype(buf: &[u8]) -> Result<u16, DecodeError> {
    if buf.len() < 4 {
        return Err(DecodeError::NullTooShort);
    }
    let le = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let be = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let family = if le < 256 { le } else { be };
    match family {
        2 => Ok(ETHERTYPE_IPV4),
        // AF_INET6 differs by OS: Linux 10, BSDs 24/28/30.
        10 | 24 | 28 | 30 => Ok(ETHERTYPE_IPV6),
        _ => Err(DecodeError::NotIp),
    }
}

/// Cisco HDLC: address, control, then an EtherType.
pub fn chdlc_ethertype(buf: &[u8]) -> Result<u16, DecodeError> {
    match buf {
        [_, _, hi, lo, ..] => Ok(u16::from_be_bytes([*hi, *lo])),
        _ => Err(DecodeError::ChdlcTooShort),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sll_variants() {
        let mut v1 = [0u8; 16];
        v1[14] = 0x08;
        assert_eq!(sll_protocol(&v1).unwrap(), (0x0800, 16));
        assert!(sll_protocol(&v1[..15]).is_err());
        let mut v2 = [0u8; 20];
        v2[0] = 0x86;
        v2[1] = 0xdd;
        assert_eq!(sll2_protocol(&v2).unwrap(), (0x86dd, 20));
        assert!(sll2_protocol(&v2[..19]).is_err());
    }

    #[test]
    fn null_families() {
        assert_eq!(null_ethertype(&[2, 0, 0, 0]).unwrap(), ETHERTYPE_IPV4);
        assert_eq!(null_ethertype(&[0, 0, 0, 2]).unwrap(), ETHERTYPE_IPV4);
        assert_eq!(null_ethertype(&[30, 0, 0, 0]).unwrap(), ETHERTYPE_IPV6);
        assert_eq!(null_ethertype(&[7, 0, 0, 0]).unwrap_err(), DecodeError::NotIp);
        assert_eq!(null_ethertype(&[2, 0]).unwrap_err(), DecodeError::NullTooShort);
    }

    #[test]
    fn chdlc_header() {
        assert_eq!(chdlc_ethertype(&[0x0f, 0, 0x08, 0x00, 0x45]).unwrap(), ETHERTYPE_IPV4);
        assert_eq!(chdlc_ethertype(&[0x8f, 0, 0x86]).unwrap_err(), DecodeError::ChdlcTooShort);
    }
}
