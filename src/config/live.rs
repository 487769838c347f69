//! `live`: receiving mirrored traffic (`mirrorids run`).

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::FullQueuePolicy;
pub use crate::rules::ipset::parse_cidr;
use crate::rules::ipset::IpSet;

/// Live capture settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// UDP addresses to receive tunnels on, "ADDR:PORT", optionally
    /// prefixed "vxlan:" or "geneve:". Without a prefix the port decides:
    /// a port in decode.geneve_ports is GENEVE (Gateway Load Balancer),
    /// any other VXLAN (Traffic Mirroring). IPv6: "[::]:4789" (listen on
    /// both "0.0.0.0:4789" and "[::]:4789" for dual stack).
    pub listen: Vec<String>,
    /// Receive threads per listen address, each with its own socket
    /// (SO_REUSEPORT: the kernel spreads datagrams by their outer 4-tuple).
    pub receivers_per_listener: usize,
    /// Socket receive buffer to ask for, bytes. Past net.core.rmem_max it
    /// needs CAP_NET_ADMIN; the size granted is logged at start.
    pub socket_buffer_bytes: usize,
    /// Largest datagram taken whole; longer ones are counted as oversize
    /// and inspected truncated. 65,535 holds any UDP datagram (AWS sends up
    /// to 9,001-byte jumbo frames).
    pub max_datagram_bytes: usize,
    /// Datagrams taken per recvmmsg call.
    pub recv_batch: usize,
    /// Tunnel sources accepted, as addresses or CIDRs (e.g. the VPC
    /// range). Empty accepts any source, with a warning at start: anyone who
    /// can reach the port could otherwise feed the sensor traffic.
    pub allow_sources: Vec<String>,
    /// VXLAN VNIs (mirror sessions) accepted; empty accepts any. Not
    /// applied to GENEVE: a Gateway Load Balancer's VNI does not name a
    /// session (restrict GENEVE by allow_sources).
    pub allow_vnis: Vec<u32>,
    /// Network interfaces to capture from with AF_PACKET (SPAN-like
    /// set-ups, or tunnels arriving on a second ENI). Needs CAP_NET_RAW.
    pub interfaces: Vec<String>,
    /// Receive threads per interface (PACKET_FANOUT by flow hash).
    pub receivers_per_interface: usize,
    /// Put captured interfaces in promiscuous mode.
    pub promiscuous: bool,
    /// When a worker's queue is full: drop_newest (count and drop the
    /// batch; the receiver never stalls) or block (the socket buffer
    /// absorbs the burst; the kernel counts what overflows).
    pub full_queue_policy: FullQueuePolicy,
    /// With drop_newest: milliseconds a receive thread waits for room in
    /// a full worker queue before dropping the batch. The socket buffer
    /// holds the traffic meanwhile, so a short worker stall loses nothing,
    /// and a stuck worker cannot stall receiving for longer than this.
    pub full_queue_wait_ms: u64,
    /// Milliseconds between the ticks that advance flow timeouts in idle
    /// workers, flush partly filled batches and refresh statistics.
    pub tick_ms: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            listen: vec!["0.0.0.0:4789".into()],
            receivers_per_listener: 1,
            socket_buffer_bytes: 64 << 20,
            max_datagram_bytes: 65_535,
            recv_batch: 64,
            allow_sources: Vec::new(),
            allow_vnis: Vec::new(),
            interfaces: Vec::new(),
            receivers_per_interface: 1,
            promiscuous: false,
            full_queue_policy: FullQueuePolicy::DropNewest,
            full_queue_wait_ms: 50,
            tick_ms: 500,
        }
    }
}

/// The encapsulation a listener expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelKind {
    Vxlan,
    Geneve,
}

impl TunnelKind {
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::Vxlan => "vxlan",
            TunnelKind::Geneve => "geneve",
        }
    }
}

/// One parsed `live.listen` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listener {
    pub kind: TunnelKind,
    pub addr: SocketAddr,
}

impl LiveConfig {
    /// Parses the listen addresses; `geneve_ports` decides unprefixed ones.
    pub fn listeners(&self, geneve_ports: &[u16]) -> Result<Vec<Listener>, String> {
        let mut out: Vec<Listener> = Vec::new();
        for s in &self.listen {
            let (kind, rest) = if let Some(r) = s.strip_prefix("vxlan:") {
                (Some(TunnelKind::Vxlan), r)
            } else if let Some(r) = s.strip_prefix("geneve:") {
                (Some(TunnelKind::Geneve), r)
            } else {
                (None, s.as_str())
            };
            let addr: SocketAddr = rest
                .trim()
                .parse()
                .map_err(|_| format!("live.listen: \"{s}\" is not ADDR:PORT (IPv6 as [::]:4789)"))?;
            let kind = kind.unwrap_or(if geneve_ports.contains(&addr.port()) {
                TunnelKind::Geneve
            } else {
                TunnelKind::Vxlan
            });
            if out.iter().any(|l| l.addr == addr) {
                return Err(format!("live.listen: {addr} is listed twice"));
            }
            out.push(Listener { kind, addr });
        }
        Ok(out)
    }

    /// The allowed tunnel sources; None means any.
    pub fn source_filter(&self) -> Result<Option<IpSet>, String> {
        if self.allow_sources.is_empty() {
            return Ok(None);
        }
        let mut set = IpSet::empty();
        for s in &self.allow_sources {
            set = set.union(&parse_cidr(s)?);
        }
        Ok(Some(set))
    }

    pub fn validate(&self, geneve_ports: &[u16]) -> Result<(), String> {
        self.listeners(geneve_ports)?;
        self.source_filter()?;
        if self.listen.is_empty() && self.interfaces.is_empty() {
            return Err("live: nothing to receive from: set live.listen or live.interfaces".into());
        }
        if self.receivers_per_listener == 0 || self.receivers_per_listener > 64 {
            return Err(format!("live.receivers_per_listener must be 1..=64, got {}", self.receivers_per_listener));
        }
        if self.receivers_per_interface == 0 || self.receivers_per_interface > 64 {
            return Err(format!("live.receivers_per_interface must be 1..=64, got {}", self.receivers_per_interface));
        }
        if !(256..=65_535).contains(&self.max_datagram_bytes) {
            return Err(format!("live.max_datagram_bytes must be 256..=65535, got {}", self.max_datagram_bytes));
        }
        if self.recv_batch == 0 || self.recv_batch > 1024 {
            return Err(format!("live.recv_batch must be 1..=1024, got {}", self.recv_batch));
        }
        if self.full_queue_wait_ms > 10_000 {
            return Err(format!("live.full_queue_wait_ms must be at most 10000, got {}", self.full_queue_wait_ms));
        }
        if self.tick_ms == 0 || self.tick_ms > 60_000 {
            return Err(format!("live.tick_ms must be 1..=60000, got {}", self.tick_ms));
        }
        if self.allow_vnis.iter().any(|&v| v > 0xff_ffff) {
            return Err("live.allow_vnis: a VNI is 24 bits (0..=16777215)".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_entries_take_their_kind_from_prefix_or_port() {
        let c = LiveConfig {
            listen: vec!["0.0.0.0:4789".into(), "[::]:6081".into(), "geneve:127.0.0.1:7000".into()],
            ..LiveConfig::default()
        };
        let l = c.listeners(&[6081]).unwrap();
        assert_eq!(l[0].kind, TunnelKind::Vxlan);
        assert_eq!(l[1].kind, TunnelKind::Geneve);
        assert!(l[1].addr.is_ipv6());
        assert_eq!(l[2].kind, TunnelKind::Geneve);
        let bad = LiveConfig { listen: vec!["4789".into()], ..LiveConfig::default() };
        assert!(bad.listeners(&[]).unwrap_err().contains("\"4789\""));
    }

    #[test]
    fn source_filter_accepts_cidrs_and_rejects_garbage() {
        let c = LiveConfig { allow_sources: vec!["10.0.0.0/8".into(), "2001:db8::1".into()], ..Default::default() };
        let f = c.source_filter().unwrap().unwrap();
        assert!(f.contains("10.9.8.7".parse().unwrap()));
        assert!(!f.contains("11.0.0.1".parse().unwrap()));
        assert!(f.contains("2001:db8::1".parse().unwrap()));
        assert!(!f.contains("2001:db8::2".parse().unwrap()));
        for bad in ["10.0.0.0/33", "nonsense", "::/129"] {
            let c = LiveConfig { allow_sources: vec![bad.into()], ..Default::default() };
            assert!(c.validate(&[]).is_err(), "{bad}");
        }
        assert!(LiveConfig::default().source_filter().unwrap().is_none());
    }
}
