//! Ethernet II and 802.1Q/802.1ad VLAN tags.

use super::DecodeError;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const ETHERTYPE_QINQ: u16 = 0x88a8;
pub const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ETHERTYPE_PPPOE_DISCOVERY: u16 = 0x8863;
pub const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;

/// A checked view of an Ethernet II header.
#[derive(Debug, Clone, Copy)]
pub struct EthernetFrame<'a> {
    buf: &'a [u8],
}

impl<'a> EthernetFrame<'a> {
    pub const HEADER_LEN: usize = 14;

    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::HEADER_LEN {
            return Err(DecodeError::EthernetTooShort);
        }
        Ok(EthernetFrame { buf })
    }

    pub fn dst(&self) -> [u8; 6] {
        [self.buf[0], self.buf[1], self.buf[2], self.buf[3], self.buf[4], self.buf[5]]
    }

    pub fn src(&self) -> [u8; 6] {
        [self.buf[6], self.buf[7], self.buf[8], self.buf[9], self.buf[10], self.buf[11]]
    }

    pub fn ethertype(&self) -> u16 {
        u16::from_be_bytes([self.buf[12], self.buf[13]])
    }
}

pub fn is_vlan(ethertype: u16) -> bool {
    matches!(ethertype, ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD)
}

/// A checked view of one VLAN tag (TCI + inner ethertype).
#[derive(Debug, Clone, Copy)]
pub struct VlanTag<'a> {
    buf: &'a [u8],
}

impl<'a> VlanTag<'a> {
    pub const LEN: usize = 4;

    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::LEN {
            return Err(DecodeError::VlanTooShort);
        }
        Ok(VlanTag { buf })
    }

    pub fn id(&self) -> u16 {
        u16::from_be_bytes([self.buf[0], self.buf[1]]) & 0x0fff
    }

    pub fn ethertype(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_well_formed() {
        let f = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00, 0x45];
        let e = EthernetFrame::new_checked(&f).unwrap();
        assert_eq!(e.dst(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(e.src(), [7, 8, 9, 10, 11, 12]);
        assert_eq!(e.ethertype(), ETHERTYPE_IPV4);
    }

    #[test]
    fn ethernet_truncated() {
        assert_eq!(EthernetFrame::new_checked(&[0; 13]).unwrap_err(), DecodeError::EthernetTooShort);
        assert!(EthernetFrame::new_checked(&[]).is_err());
    }

    #[test]
    fn vlan_tag() {
        let t = VlanTag::new_checked(&[0x20, 0x06, 0x86, 0xdd]).unwrap();
        assert_eq!(t.id(), 6);
        assert_eq!(t.ethertype(), ETHERTYPE_IPV6);
        assert_eq!(VlanTag::new_checked(&[0, 1, 2]).unwrap_err(), DecodeError::VlanTooShort);
        assert!(is_vlan(0x8100) && is_vlan(0x88a8) && !is_vlan(0x0800));
    }
}
