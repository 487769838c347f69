//! IPv6 header and extension-header walk.

use std::net::Ipv6Addr;

use super::DecodeError;

pub const NH_HOPOPTS: u8 = 0;
pub const NH_ROUTING: u8 = 43;
pub const NH_FRAGMENT: u8 = 44;
pub const NH_ESP: u8 = 50;
pub const NH_AH: u8 = 51;
pub const NH_NONE: u8 = 59;
pub const NH_DSTOPTS: u8 = 60;
pub const NH_MOBILITY: u8 = 135;
pub const NH_HIP: u8 = 139;
pub const NH_SHIM6: u8 = 140;

/// More extension headers than this is an evasion attempt, not traffic.
const MAX_EXT_HEADERS: usize = 8;

/// A checked view of an IPv6 packet (see [`super::ipv4::Ipv4Packet`] on
/// truncation and padding).
#[derive(Debug, Clone, Copy)]
pub struct Ipv6Packet<'a> {
    buf: &'a [u8],
}

/// A fragment extension header found by [`Ipv6Packet::walk`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Fragment {
    /// Offset of the fragment header from the start of the IPv6 header; the
    /// bytes before it are the unfragmentable part.
    pub header_at: usize,
    /// Offset of the byte holding the "next header" value that names the
    /// fragment header (patched when the datagram is rebuilt).
    pub next_header_field_at: usize,
    pub next_header: u8,
    /// Fragment offset in bytes.
    pub offset: usize,
    pub more: bool,
    pub ident: u32,
}

/// Where the upper layer starts, after the extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Walk {
    pub upper_proto: u8,
    /// Offset of the upper-layer header from the start of the IPv6 header.
    pub upper_at: usize,
    pub fragment: Option<Ipv6Fragment>,
}

impl<'a> Ipv6Packet<'a> {
    pub const HEADER_LEN: usize = 40;

    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::HEADER_LEN {
            return Err(DecodeError::Ipv6TooShort);
        }
        if buf[0] >> 4 != 6 {
            return Err(DecodeError::Ipv6BadVersion);
        }
        Ok(Ipv6Packet { buf })
    }

    pub fn payload_len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.buf[4], self.buf[5]]))
    }

    pub fn next_header(&self) -> u8 {
        self.buf[6]
    }

    pub fn hop_limit(&self) -> u8 {
        self.buf[7]
    }

    pub fn src(&self) -> Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.buf[8..24]);
        Ipv6Addr::from(a)
    }

    pub fn dst(&self) -> Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.buf[24..40]);
        Ipv6Addr::from(a)
    }

    /// Bytes of the packet that are both declared and captured, header included.
    pub fn datagram(&self) -> &'a [u8] {
        let end = (Self::HEADER_LEN + self.payload_len()).min(self.buf.len());
        &self.buf[..end]
    }

    pub fn missing(&self) -> usize {
        (Self::HEADER_LEN + self.payload_len()).saturating_sub(self.buf.len())
    }

    /// Walks the extension headers up to the upper-layer protocol.
    pub fn walk(&self) -> Result<Ipv6Walk, DecodeError> {
        let data = self.datagram();
        let mut nh = self.next_header();
        let mut at = Self::HEADER_LEN;
        let mut nh_field = 6;
        let mut fragment = None;
        for _ in 0..=MAX_EXT_HEADERS {
            let len = match nh {
                NH_HOPOPTS | NH_ROUTING | NH_DSTOPTS | NH_MOBILITY | NH_HIP | NH_SHIM6 => {
                    if data.len() < at + 2 {
                        return Err(DecodeError::Ipv6ExtTooShort);
                    }
                    (usize::from(data[at + 1]) + 1) * 8
                }
                NH_AH => {
                    if data.len() < at + 2 {
                        return Err(DecodeError::Ipv6ExtTooShort);
                    }
                    (usize::from(data[at + 1]) + 2) * 4
                }
                NH_FRAGMENT => {
                    if data.len() < at + 8 {
                        return Err(DecodeError::Ipv6ExtTooShort);
                    }
                    let off_flags = u16::from_be_bytes([data[at + 2], data[at + 3]]);
                    fragment = Some(Ipv6Fragment {
                        header_at: at,
                        next_header_field_at: nh_field,
                        next_header: data[at],
                        offset: usize::from(off_flags >> 3) * 8,
                        more: off_flags & 1 != 0,
                        ident: u32::from_be_bytes([data[at + 4], data[at + 5], data[at + 6], data[at + 7]]),
                    });
                    8
                }
                _ => return Ok(Ipv6Walk { upper_proto: nh, upper_at: at, fragment }),
            };
            if data.len() < at + len {
                return Err(DecodeError::Ipv6ExtTooShort);
            }
            nh_field = at;
            nh = data[at];
            at += len;
            // Everything after a fragment header is fragment data; the rest
            // of the chain is only known after reassembly.
            if let Some(f) = fragment {
                if f.offset != 0 || f.more {
                    return Ok(Ipv6Walk { upper_proto: f.next_header, upper_at: at, fragment });
                }
                // An "atomic" fragment (offset 0, no more): keep walking.
                fragment = None;
            }
        }
        Err(DecodeError::Ipv6TooManyExt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(next: u8, payload: &[u8], declared: Option<u16>) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&declared.unwrap_or(payload.len() as u16).to_be_bytes());
        p.push(next);
        p.push(64);
        p.extend_from_slice(&[0; 15]);
        p.push(1);
        p.extend_from_slice(&[0; 15]);
        p.push(2);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn plain_tcp() {
        let p = packet(6, &[0; 20], None);
        let ip = Ipv6Packet::new_checked(&p).unwrap();
        assert_eq!(ip.dst(), "::2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(ip.walk().unwrap(), Ipv6Walk { upper_proto: 6, upper_at: 40, fragment: None });
    }

    #[test]
    fn hop_by_hop_then_udp() {
        let mut ext = vec![17, 0, 0, 0, 0, 0, 0, 0];
        ext.extend_from_slice(&[0; 8]);
        let p = packet(NH_HOPOPTS, &ext, None);
        let w = Ipv6Packet::new_checked(&p).unwrap().walk().unwrap();
        assert_eq!((w.upper_proto, w.upper_at), (17, 48));
    }

    #[test]
    fn fragment_header() {
        // next=TCP, offset 464 bytes (58 units), more=1, ident 0xa1bc6572
        let ext = [6, 0, 0x01, 0xd1, 0xa1, 0xbc, 0x65, 0x72, 1, 2, 3];
        let p = packet(NH_FRAGMENT, &ext, None);
        let w = Ipv6Packet::new_checked(&p).unwrap().walk().unwrap();
        let f = w.fragment.unwrap();
        assert_eq!((f.offset, f.more, f.ident, f.next_header), (464, true, 0xa1bc_6572, 6));
        assert_eq!((f.header_at, f.next_header_field_at, w.upper_at), (40, 6, 48));
    }

    #[test]
    fn atomic_fragment_is_walked_through() {
        let mut ext = vec![17, 0, 0, 0, 0, 0, 0, 1];
        ext.extend_from_slice(&[0; 8]);
        let p = packet(NH_FRAGMENT, &ext, None);
        let w = Ipv6Packet::new_checked(&p).unwrap().walk().unwrap();
        assert_eq!((w.upper_proto, w.upper_at, w.fragment), (17, 48, None));
    }

    #[test]
    fn truncated_and_impossible() {
        assert_eq!(Ipv6Packet::new_checked(&[0x60; 39]).unwrap_err(), DecodeError::Ipv6TooShort);
        let mut p = packet(6, &[], None);
        p[0] = 0x40;
        assert_eq!(Ipv6Packet::new_checked(&p).unwrap_err(), DecodeError::Ipv6BadVersion);
        // Extension header claims 16 bytes, only 4 present.
        let p = packet(NH_DSTOPTS, &[6, 1, 0, 0], None);
        assert_eq!(Ipv6Packet::new_checked(&p).unwrap().walk().unwrap_err(), DecodeError::Ipv6ExtTooShort);
        // A loop of destination-options headers.
        let mut chain = Vec::new();
        for _ in 0..12 {
            chain.extend_from_slice(&[NH_DSTOPTS, 0, 0, 0, 0, 0, 0, 0]);
        }
        let p = packet(NH_DSTOPTS, &chain, None);
        assert_eq!(Ipv6Packet::new_checked(&p).unwrap().walk().unwrap_err(), DecodeError::Ipv6TooManyExt);
        // Declared longer than captured.
        let p = packet(6, &[0; 20], Some(1000));
        let ip = Ipv6Packet::new_checked(&p).unwrap();
        assert_eq!(ip.missing(), 980);
    }
}
