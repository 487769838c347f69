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

/// [`AwsGeneveOptions`] in 24 bytes instead of 48: what a flow keeps of
/// its first packet's options (a flow table holds a million of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackedAwsOptions {
    endpoint_id: u64,
    attachment_id: u64,
    flow_cookie: u32,
    /// Bit 0: endpoint_id, 1: attachment_id, 2: flow_cookie.
    present: u8,
}

impl From<AwsGeneveOptions> for PackedAwsOptions {
    fn from(o: AwsGeneveOptions) -> Self {
        PackedAwsOptions {
            endpoint_id: o.endpoint_id.unwrap_or(0),
            attachment_id: o.attachment_id.unwrap_or(0),
            flow_cookie: o.flow_cookie.unwrap_or(0),
            present: u8::from(o.endpoint_id.is_some())
                | u8::from(o.attachment_id.is_some()) << 1
                | u8::from(o.flow_cookie.is_some()) << 2,
        }
    }
}

impl PackedAwsOptions {
    pub fn unpack(self) -> AwsGeneveOptions {
        AwsGeneveOptions {
            endpoint_id: (self.present & 1 != 0).then_some(self.endpoint_id),
            attachment_id: (self.present & 2 != 0).then_some(self.attachment_id),
            flow_cookie: (self.present & 4 != 0).then_some(self.flow_cookie),
        }
    }
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
    fn packed_options_unpack_to_what_they_were() {
        let all = AwsGeneveOptions { endpoint_id: Some(1 << 63), attachment_id: Some(7), flow_cookie: Some(0) };
        let some = AwsGeneveOptions { endpoint_id: None, attachment_id: Some(0), flow_cookie: None };
        for o in [all, some, AwsGeneveOptions::default()] {
            assert_eq!(PackedAwsOptions::from(o).unpack(), o);
        }
        assert_eq!(std::mem::size_of::<PackedAwsOptions>(), 24);
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
