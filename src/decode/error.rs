//! Why a frame could not be (fully) decoded.
//!
//! Each reason is a counter in the engine's statistics; on the packet path a
//! decode failure is never logged, only counted.

macro_rules! reasons {
    ($($variant:ident => $name:literal, $event:literal, $suricata:literal,)*) => {
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

            /// Not a failure: a frame that is not IP (ARP on Ethernet, a
            /// non-IP family on loopback) is counted, never an anomaly.
            pub fn is_anomaly(self) -> bool {
                !matches!(self, DecodeError::NotIp)
            }

            /// The decode event's name, in Suricata's style
            /// (`decoder.<layer>.<what>`).
            pub fn event_name(self) -> &'static str {
                match self {
                    $(DecodeError::$variant => $event,)*
                }
            }

            /// The name when Suricata has the same event (EVE anomaly
            /// records, `stats.decoder.event.*`); None for ours alone.
            pub fn suricata_event(self) -> Option<&'static str> {
                match self {
                    $(DecodeError::$variant => $suricata.then_some($event),)*
                }
            }
        }
    };
}

reasons! {
    UnsupportedLinkType => "unsupported_linktype", "decoder.unsupported_linktype", false,
    EthernetTooShort => "ethernet_too_short", "decoder.ethernet.pkt_too_small", true,
    VlanTooShort => "vlan_too_short", "decoder.vlan.header_too_small", true,
    VlanTooDeep => "vlan_too_deep", "decoder.vlan.too_many_layers", true,
    SllTooShort => "sll_too_short", "decoder.sll.pkt_too_small", true,
    NullTooShort => "null_too_short", "decoder.ltnull.pkt_too_small", true,
    ChdlcTooShort => "chdlc_too_short", "decoder.chdlc.pkt_too_small", true,
    UnsupportedEthertype => "unsupported_ethertype", "decoder.ethernet.unknown_ethertype", true,
    NotIp => "not_ip", "decoder.not_ip", false,
    Ipv4TooShort => "ipv4_too_short", "decoder.ipv4.pkt_too_small", true,
    Ipv4BadVersion => "ipv4_bad_version", "decoder.ipv4.wrong_ip_version", true,
    Ipv4BadHeaderLen => "ipv4_bad_header_len", "decoder.ipv4.hlen_too_small", true,
    Ipv4BadTotalLen => "ipv4_bad_total_len", "decoder.ipv4.iplen_smaller_than_hlen", true,
    Ipv6TooShort => "ipv6_too_short", "decoder.ipv6.pkt_too_small", true,
    Ipv6BadVersion => "ipv6_bad_version", "decoder.ipv6.wrong_ip_version", true,
    Ipv6ExtTooShort => "ipv6_ext_header_too_short", "decoder.ipv6.trunc_exthdr", true,
    Ipv6TooManyExt => "ipv6_too_many_ext_headers", "decoder.ipv6.too_many_ext_headers", false,
    TcpTooShort => "tcp_too_short", "decoder.tcp.pkt_too_small", true,
    TcpBadHeaderLen => "tcp_bad_header_len", "decoder.tcp.hlen_too_small", true,
    UdpTooShort => "udp_too_short", "decoder.udp.pkt_too_small", true,
    UdpBadLength => "udp_bad_length", "decoder.udp.len_invalid", true,
    IcmpTooShort => "icmp_too_short", "decoder.icmpv4.pkt_too_small", true,
    GreTooShort => "gre_too_short", "decoder.gre.pkt_too_small", true,
    GreBadVersion => "gre_bad_version", "decoder.gre.wrong_version", true,
    GreUnsupportedProto => "gre_unsupported_proto", "decoder.gre.unsupported_protocol", false,
    ErspanTooShort => "erspan_too_short", "decoder.erspan.header_too_small", true,
    PppTooShort => "ppp_too_short", "decoder.ppp.pkt_too_small", true,
    PppUnsupportedProto => "ppp_unsupported_proto", "decoder.ppp.unsup_proto", true,
    PppoeTooShort => "pppoe_too_short", "decoder.pppoe.pkt_too_small", true,
    PppoeWrongCode => "pppoe_wrong_code", "decoder.pppoe.wrong_code", true,
    PppoeMalformedTags => "pppoe_malformed_tags", "decoder.pppoe.malformed_tags", true,
    MplsTooShort => "mpls_too_short", "decoder.mpls.header_too_small", true,
    MplsUnknownPayload => "mpls_unknown_payload", "decoder.mpls.unknown_payload_type", true,
    MplsTooManyLabels => "mpls_too_many_labels", "decoder.mpls.too_many_labels", false,
    VxlanTooShort => "vxlan_too_short", "decoder.vxlan.pkt_too_small", false,
    GeneveTooShort => "geneve_too_short", "decoder.geneve.pkt_too_small", false,
    GeneveBadOptions => "geneve_bad_options", "decoder.geneve.invalid_options", false,
    TunnelTooDeep => "tunnel_too_deep", "decoder.too_many_layers", true,
    FragmentTooShort => "fragment_too_short", "decoder.ipv4.frag_too_small", false,
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
