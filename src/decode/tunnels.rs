//! The walker's tunnel steps: entering a tunnel, and the encapsulations
//! found in UDP (Teredo, VXLAN, GENEVE) and in GRE (IP, Ethernet, ERSPAN,
//! PPP, MPLS). Split from `mod.rs` to keep each file readable.

use super::gre::{self, GreHeader};
use super::udp::UdpDatagram;
use super::vxlan::{AwsGeneveOptions, GeneveHeader, VxlanHeader};
use super::{ethernet, mpls, ppp, ppp_next, teredo, DecodeError, Next, Tunnel, TunnelKind, Walker};
use crate::source::LinkType;

impl Walker<'_, '_> {
    /// Records the packet decoded so far as the outer side of a tunnel.
    pub(super) fn enter_tunnel(
        &mut self,
        kind: TunnelKind,
        sport: u16,
        dport: u16,
        vni: Option<u32>,
        aws: Option<AwsGeneveOptions>,
    ) -> Result<(), DecodeError> {
        let pkt_src = kind.pkt_src(self.out.ip.version == 6);
        match &mut self.out.tunnel {
            Some(t) => {
                if t.depth >= self.cfg.max_tunnel_depth {
                    return Err(DecodeError::TunnelTooDeep);
                }
                t.depth += 1;
                // The session id closest to the original packet names the
                // mirror session (GWLB: GENEVE outside, the VXLAN mirror
                // session inside); the outer addresses stay the outermost.
                if vni.is_some() {
                    t.vni = vni;
                }
                t.pkt_src = pkt_src;
            }
            None => {
                self.out.tunnel = Some(Tunnel {
                    kind,
                    outer_src: self.out.ip.src,
                    outer_dst: self.out.ip.dst,
                    outer_sport: sport,
                    outer_dport: dport,
                    outer_proto: self.out.ip.proto,
                    vni,
                    depth: 1,
                    aws,
                    pkt_src,
                });
            }
        }
        Ok(())
    }

    pub(super) fn udp_tunnel(
        &mut self,
        u: &UdpDatagram<'_>,
        at: usize,
        end: usize,
    ) -> Result<Option<Next>, DecodeError> {
        let dport = u.dst_port();
        // Suricata tries Teredo first, on either port, then GENEVE and VXLAN.
        if self.cfg.teredo.matches(u.src_port(), dport) {
            // A payload that is not Teredo stays plain UDP (or another tunnel).
            if let Some(off) = self.frame.get(at..end).and_then(teredo::ipv6_offset) {
                self.enter_tunnel(TunnelKind::Teredo, u.src_port(), dport, None, None)?;
                self.inner_starts(at + off, LinkType::RAW);
                return Ok(Some(Next::Ipv6(at + off)));
            }
        }
        if self.cfg.vxlan_ports.contains(dport) {
            let Ok(vx) = VxlanHeader::new_checked(&self.frame[at..end]) else {
                return Ok(None);
            };
            if !vx.vni_valid() {
                return Ok(None);
            }
            self.enter_tunnel(TunnelKind::Vxlan, u.src_port(), dport, Some(vx.vni()), None)?;
            // Suricata logs a VXLAN packet from its inner IP header (its
            // VXLAN decoder reads the inner Ethernet header itself), as raw
            // IP; we do the same, so `packet` reads the same in both.
            self.inner_starts(at + VxlanHeader::LEN, LinkType::ETHERNET);
            self.pkt_at_next_ip = true;
            return Ok(Some(Next::Ethernet(at + VxlanHeader::LEN)));
        }
        if self.cfg.geneve_ports.contains(dport) {
            let gen = GeneveHeader::new_checked(&self.frame[at..end])?;
            let aws = gen.aws_options()?;
            let aws = (aws != AwsGeneveOptions::default()).then_some(aws);
            self.enter_tunnel(TunnelKind::Geneve, u.src_port(), dport, Some(gen.vni()), aws)?;
            let inner = at + gen.header_len();
            let lt = if gen.protocol() == gre::PROTO_TEB { LinkType::ETHERNET } else { LinkType::RAW };
            self.inner_starts(inner, lt);
            return match gen.protocol() {
                gre::PROTO_TEB => Ok(Some(Next::Ethernet(inner))),
                p => Ok(Some(Next::EtherType(p, inner))),
            };
        }
        Ok(None)
    }

    pub(super) fn gre(&mut self, at: usize, end: usize) -> Result<Next, DecodeError> {
        let g = GreHeader::new_checked(&self.frame[at..end])?;
        let inner = at + g.header_len();
        self.inner_starts(inner, if g.protocol() == gre::PROTO_TEB { LinkType::ETHERNET } else { LinkType::RAW });
        match g.protocol() {
            gre::PROTO_TEB => {
                self.enter_tunnel(TunnelKind::Gre, 0, 0, g.key(), None)?;
                Ok(Next::Ethernet(inner))
            }
            p @ (gre::PROTO_ERSPAN2 | gre::PROTO_ERSPAN3) => {
                let (len, session) = gre::erspan_header(p, &self.frame[inner..end])?;
                self.enter_tunnel(TunnelKind::Erspan, 0, 0, Some(u32::from(session)), None)?;
                self.inner_starts(inner + len, LinkType::ETHERNET);
                Ok(Next::Ethernet(inner + len))
            }
            gre::PROTO_PPP => {
                let (proto, len) = ppp::ppp_header(&self.frame[inner..end])?;
                self.enter_tunnel(TunnelKind::Gre, 0, 0, g.key(), None)?;
                ppp_next(proto, inner + len)
            }
            ethernet::ETHERTYPE_IPV4 | ethernet::ETHERTYPE_IPV6 => {
                self.enter_tunnel(TunnelKind::Gre, 0, 0, g.key(), None)?;
                self.ethertype(g.protocol(), inner, end)
            }
            t if ethernet::is_vlan(t) || t == mpls::ETHERTYPE_MPLS_UNICAST || t == mpls::ETHERTYPE_MPLS_MULTICAST => {
                self.enter_tunnel(TunnelKind::Gre, 0, 0, g.key(), None)?;
                self.ethertype(t, inner, end)
            }
            _ => Err(DecodeError::GreUnsupportedProto),
        }
    }
}
