//! Our extension object, `mirrorids`: what Suricata's schema has no place
//! for (it refuses unknown keys, so everything of ours lives in this one
//! object). Every record about mirrored traffic carries the mirror
//! context: the session (`vni`), the mirrored interface's address
//! (`tunnel_src_ip`, the tunnel's outer source), GWLB's GENEVE options and
//! the `tenant` label; records then add their own fields (a flow's
//! `truncated` copies, an alert's `rule_action`...). Plain traffic without
//! a tenant gets no object at all.

use std::net::IpAddr;

use super::{push_ip, push_str};
use crate::decode::vxlan::AwsGeneveOptions;
use crate::decode::Decoded;
use crate::flow::Flow;
use crate::output::{tenants, EveConfig};
use crate::util::json::push_key;

/// Where a record's traffic came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MirrorContext {
    /// The mirror session: VXLAN/GENEVE VNI, GRE key.
    pub vni: Option<u32>,
    /// The address that sent the tunnel (the mirrored ENI).
    pub tunnel_src: Option<IpAddr>,
    pub aws: AwsGeneveOptions,
    /// The address tenant CIDRs are matched on: the tunnel's source, or
    /// without a tunnel the client's (a packet's sender without a flow).
    pub origin: Option<IpAddr>,
}

impl MirrorContext {
    pub fn of_flow(f: &Flow) -> MirrorContext {
        let tunnel_src = f.key.tunnel_src();
        MirrorContext { vni: f.key.vni(), tunnel_src, aws: f.aws.unpack(), origin: tunnel_src.or(Some(f.client.0)) }
    }

    /// A packet's context: its flow's when it has one (the flow's client
    /// names the tenant of both directions), else the packet's own.
    pub fn of_packet(dec: &Decoded, flow: Option<&Flow>) -> MirrorContext {
        if let Some(f) = flow {
            return MirrorContext::of_flow(f);
        }
        let tunnel_src = dec.tunnel.map(|t| t.outer_src);
        MirrorContext {
            vni: dec.tunnel.and_then(|t| t.vni),
            tunnel_src,
            aws: dec.tunnel.and_then(|t| t.aws).unwrap_or_default(),
            origin: tunnel_src.or(Some(dec.ip.src)),
        }
    }
}

/// Writes the `mirrorids` object a field at a time, opening it with the
/// first and leaving it out when there is none.
#[derive(Debug, Default)]
pub struct ExtObject {
    open: bool,
}

impl ExtObject {
    /// `"name":` inside the object (the caller writes the value).
    pub fn key(&mut self, out: &mut Vec<u8>, name: &str) {
        if self.open {
            push_key(out, name, false);
        } else {
            out.extend_from_slice(b",\"mirrorids\":{");
            push_key(out, name, true);
            self.open = true;
        }
    }

    pub fn u64(&mut self, out: &mut Vec<u8>, name: &str, v: u64) {
        self.key(out, name);
        crate::util::json::push_uint(out, v);
    }

    /// The mirror context's fields.
    pub fn mirror(&mut self, out: &mut Vec<u8>, eve: &EveConfig, m: &MirrorContext) {
        if let Some(v) = m.vni {
            self.u64(out, "vni", u64::from(v));
        }
        if let Some(a) = m.tunnel_src {
            self.key(out, "tunnel_src_ip");
            push_ip(out, a, eve.ipv6_compress);
        }
        if let Some(v) = m.aws.endpoint_id {
            self.key(out, "gwlb_endpoint_id");
            push_hex_str(out, v, 16);
        }
        if let Some(v) = m.aws.attachment_id {
            self.key(out, "gwlb_attachment_id");
            push_hex_str(out, v, 16);
        }
        if let Some(v) = m.aws.flow_cookie {
            self.key(out, "gwlb_flow_cookie");
            push_hex_str(out, u64::from(v), 8);
        }
        if let Some(t) = tenants::lookup(&eve.tenants, m.vni, m.origin) {
            self.key(out, "tenant");
            push_str(out, t);
        }
    }

    pub fn close(self, out: &mut Vec<u8>) {
        if self.open {
            out.push(b'}');
        }
    }
}

/// The whole object for a record that adds nothing of its own, when the
/// `mirrorids` option is on.
pub fn write_mirror(out: &mut Vec<u8>, eve: &EveConfig, m: &MirrorContext) {
    if eve.mirrorids {
        let mut x = ExtObject::default();
        x.mirror(out, eve, m);
        x.close(out);
    }
}

/// `"` hex `"`, zero-padded to `digits`.
fn push_hex_str(out: &mut Vec<u8>, v: u64, digits: usize) {
    out.push(b'"');
    crate::util::json::push_hex(out, v, digits);
    out.push(b'"');
}
