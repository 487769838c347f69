//! VXLAN (RFC 7348) and GENEVE (RFC 8926) headers, the two encapsulations
//! AWS uses to deliver mirrored traffic (directly, or through a Gateway Load
//! Balancer).

use super::DecodeError;

/// A checked VXLAN header.
#[derive(Debug, Clone, Copy)]
pub struct VxlanHeader<'a> {
    buf: &'a [u8],
}

impl<'a> VxlanHeader<'a> {
    pub const LEN: usize = 8;

    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::LEN {
            return Err(DecodeError::VxlanTooShort);
        }
        Ok(VxlanHeader { buf })
    }

    /// The I flag: the VNI field is valid. Datagrams on the VXLAN port
    /// without it are treated as plain UDP.
    pub fn vni_valid(&self) -> bool {
        self.buf[0] & 0x08 != 0
    }

    pub fn vni(&self) -> u32 {
        u32::from_be_bytes([0, self.buf[4], self.buf[5], self.buf[6]])
    }
}

/// AWS Gateway Load Balancer option class and types.
pub const GENEVE_CLASS_AWS: u16 = 0x0108;
pub const AWS_OPT_ENDPOINT_ID: u8 = 1;
pub const AWS_OPT_ATTACHMENT_ID: u8 = 2;
pub const AWS_OPT_FLOW_COOKIE: u8 = 3;

/// The AWS-specific GENEVE options, kept to be shown in alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AwsGeneveOptions {
    pub endpoint_id: Option<u64>,
    pub attachment_id: Option<u64>,
    pub flow_cookie: Option<u32>,
}

/// A checked GENEVE header including its options.
#[derive(Debug, Clone, Copy)]
pub struct GeneveHeader<'a> {
    buf: &'a [u8],
}

impl<'a> GeneveHeader<'a> {
    pub const BASE_LEN: usize = 8;

    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::BASE_LEN {
            return Err(DecodeError::GeneveTooShort);
        }
        if buf[0] >> 6 != 0 {
            return Err(DecodeError::GeneveBadOptions);
        }
        let len = Self::BASE_LEN + usize::from(buf[0] & 0x3f) * 4;
        if buf.len() < len {
            return Err(DecodeError::GeneveTooShort);
        }
        Ok(GeneveHeader { buf })
    }

    pub fn header_len(&self) -> usize {
        Self::BASE_LEN + usize::from(self.buf[0] & 0x3f) * 4
    }

    pub fn protocol(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    pub fn vni(&self) -> u32 {
        u32::from_be_bytes([0, self.buf[4], self.buf[5], self.buf[6]])
    }

    /// Walks the option TLVs, keeping the AWS ones.
    pub fn aws_options(&self) -> Result<AwsGeneveOptions, DecodeError> {
        let mut opts = &self.buf[Self::BASE_LEN..self.header_len()];
        let mut out = AwsGeneveOptions::default();
        while !opts.is_empty() {
            if opts.len() < 4 {
                return Err(DecodeError::GeneveBadOptions);
            }
            let class = u16::from_be_bytes([opts[0], opts[1]]);
            let kind = opts[2] & 0x7f;
            let len = usize::from(opts[3] & 0x1f) * 4;
            if opts.len() < 4 + len {
                return Err(DecodeError::GeneveBadOptions);
            }
            let v = &opts[4..4 + len];
            if class == GENEVE_CLASS_AWS {
                match (kind, v.len()) {
                    (AWS_OPT_ENDPOINT_ID, 8) => out.endpoint_id = Some(be_u64(v)),
                    (AWS_OPT_ATTACHMENT_ID, 8) => out.attachment_id = Some(be_u64(v)),
                    (AWS_OPT_FLOW_COOKIE, 4) => out.flow_cookie = Some(u32::from_be_bytes([v[0], v[1], v[2], v[3]])),
                    _ => {}
                }
            }
            opts = &opts[4 + len..];
        }
        Ok(out)
    }
}

fn be_u64(v: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&v[..8]);
    u64::from_be_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vxlan() {
        let h = VxlanHeader::new_checked(&[0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]).unwrap();
        assert!(h.vni_valid());
        assert_eq!(h.vni(), 0x123456);
        assert!(!VxlanHeader::new_checked(&[0; 8]).unwrap().vni_valid());
        assert_eq!(VxlanHeader::new_checked(&[8; 7]).unwrap_err(), DecodeError::VxlanTooShort);
    }

    #[test]
    fn geneve_with_aws_options() {
        let mut h = vec![0x06, 0, 0x08, 0x00, 0, 0, 5, 0];
        h.extend_from_slice(&[0x01, 0x08, 1, 2]);
        h.extend_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
        h.extend_from_slice(&[0x01, 0x08, 3, 1]);
        h.extend_from_slice(&0xdead_beefu32.to_be_bytes());
        h.extend_from_slice(&[0x01, 0x08, 2, 0]); // empty unknown-length attachment: ignored
        let g = GeneveHeader::new_checked(&h).unwrap();
        assert_eq!((g.header_len(), g.protocol(), g.vni()), (32, 0x0800, 5));
        let o = g.aws_options().unwrap();
        assert_eq!(o.endpoint_id, Some(0x0102_0304_0506_0708));
        assert_eq!(o.flow_cookie, Some(0xdead_beef));
        assert_eq!(o.attachment_id, None);
    }

    #[test]
    fn geneve_truncated_and_bad() {
        assert_eq!(GeneveHeader::new_checked(&[0; 7]).unwrap_err(), DecodeError::GeneveTooShort);
        assert_eq!(GeneveHeader::new_checked(&[0x01, 0, 0, 0, 0, 0, 0, 0]).unwrap_err(), DecodeError::GeneveTooShort);
        assert_eq!(GeneveHeader::new_checked(&[0x40, 0, 0, 0, 0, 0, 0, 0]).unwrap_err(), DecodeError::GeneveBadOptions);
        let h = [0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x08, 1, 4];
        let g = GeneveHeader::new_checked(&h).unwrap();
        assert_eq!(g.aws_options().unwrap_err(), DecodeError::GeneveBadOptions);
    }
}
