//! Why a frame could not be (fully) decoded.
//!
//! Each reason is a counter in the engine's statistics; on the packet path a
//! decode failure is never logged, only counted.

macro_rules! reasons {
    ($($variant:ident => $name:literal,)*) => {
        /// A decode failure or anomaly, one counter each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum DecodeError {
            $($variant,)*
        }

        impl DecodeError {
            pub const ALL: &'static [DecodeError] = &[$(DecodeError::$variant,)*];
            pub const COUNT: usize = Self::ALL.len();

            /// Stable snake_case name, used as the `reason` label in metrics.
            pub fn name(self) -> &'static str {
                match self {
                    $(DecodeError::$variant => $name,)*
                }
            }

            pub fn index(self) -> usize {
                self as usize
            }
        }
    };
}

reasons! {
    UnsupportedLinkType => "unsupported_linktype",
    EthernetTooShort => "ethernet_too_short",
    VlanTooShort => "vlan_too_short",
    VlanTooDeep => "vlan_too_deep",
    SllTooShort => "sll_too_short",
    NullTooShort => "null_too_short",
    ChdlcTooShort => "chdlc_too_short",
    UnsupportedEthertype => "unsupported_ethertype",
    NotIp => "not_ip",
    Ipv4TooShort => "ipv4_too_short",
    Ipv4BadVersion => "ipv4_bad_version",
    Ipv4BadHeaderLen => "ipv4_bad_header_len",
    Ipv4BadTotalLen => "ipv4_bad_total_len",
    Ipv6TooShort => "ipv6_too_short",
    Ipv6BadVersion => "ipv6_bad_version",
    Ipv6ExtTooShort => "ipv6_ext_header_too_short",
    Ipv6TooManyExt => "ipv6_too_many_ext_headers",
    TcpTooShort => "tcp_too_short",
    TcpBadHeaderLen => "tcp_bad_header_len",
    UdpTooShort => "udp_too_short",
    UdpBadLength => "udp_bad_length",
    IcmpTooShort => "icmp_too_short",
    GreTooShort => "gre_too_short",
    GreBadVersion => "gre_bad_version",
    GreUnsupportedProto => "gre_unsupported_proto",
    ErspanTooShort => "erspan_too_short",
    PppTooShort => "ppp_too_short",
    PppUnsupportedProto => "ppp_unsupported_proto",
    VxlanTooShort => "vxlan_too_short",
    GeneveTooShort => "geneve_too_short",
    GeneveBadOptions => "geneve_bad_options",
    TunnelTooDeep => "tunnel_too_deep",
    FragmentTooShort => "fragment_too_short",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_indices_dense() {
        let mut names: Vec<_> = DecodeError::ALL.iter().map(|e| e.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), DecodeError::COUNT);
        for (i, e) in DecodeError::ALL.iter().enumerate() {
            assert_eq!(e.index(), i);
        }
    }
}
