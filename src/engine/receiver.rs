//! A live receive thread: batched receives from one socket, admission
//! (tunnel source, VNI, header sanity), the outer headers rebuilt in
//! place, then the same decode and dispatch as replay.
//!
//! Nothing here allocates per datagram and nothing logs per datagram:
//! every refusal is a counter, published about once per tick.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use socket2::Socket;

use super::reader::{Dispatcher, ReaderStats};
use crate::config::live::TunnelKind;
use crate::control::snapshot::ReceiverStats;
use crate::rules::ipset::IpSet;
use crate::source::mmsg::RecvRing;
use crate::source::outer::{write_outer, OuterAddrs, HEADROOM};
use crate::source::socket::{packet_drops, socket_memory};
use crate::source::{FrameMeta, LinkType};
use crate::util::Timestamp;

/// What a receive socket carries.
#[derive(Debug, Clone, Copy)]
pub enum SourceKind {
    /// A UDP socket bound to `local` receiving VXLAN or GENEVE.
    Tunnel { kind: TunnelKind, local: SocketAddr },
    /// An AF_PACKET socket: whole frames as on the wire.
    Interface,
}

/// One opened source, ready for a receive thread.
pub struct Source {
    /// For logs and metrics, e.g. "vxlan 0.0.0.0:4789 #1".
    pub label: String,
    pub socket: Socket,
    pub kind: SourceKind,
}

/// Who may send us tunnels.
#[derive(Debug, Clone, Default)]
pub struct Admission {
    pub sources: Option<IpSet>,
    /// Sorted; empty admits any VNI.
    pub vnis: Vec<u32>,
}

/// Counters a receive thread publishes.
pub type ReceiverSlot = Arc<Mutex<(ReceiverStats, ReaderStats)>>;

pub struct ReceiverParams {
    pub batch: usize,
    pub max_datagram: usize,
    pub admission: Admission,
    pub stop: Arc<AtomicBool>,
    pub publish: ReceiverSlot,
    pub tick: Duration,
}

/// Partly filled batches wait at most about this long for more packets
/// while traffic flows.
const FLUSH_AFTER: Duration = Duration::from_millis(1);

/// Why a tunnel datagram is refused before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Source,
    Vni,
    NotTunnel,
}

/// Checks the tunnel header just enough to read its VNI, and applies the
/// allow-lists. The decoder checks everything else (and counts it).
pub fn admit(kind: TunnelKind, payload: &[u8], src: IpAddr, adm: &Admission) -> Result<u32, Refusal> {
    if let Some(set) = &adm.sources {
        if !set.contains(src) {
            return Err(Refusal::Source);
        }
    }
    let Some(h) = payload.get(..8) else { return Err(Refusal::NotTunnel) };
    let ok = match kind {
        TunnelKind::Vxlan => h[0] & 0x08 != 0,
        TunnelKind::Geneve => h[0] >> 6 == 0 && 8 + usize::from(h[0] & 0x3f) * 4 <= payload.len(),
    };
    if !ok {
        return Err(Refusal::NotTunnel);
    }
    let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
    // The VNI names a mirror session in VXLAN only; a Gateway Load
    // Balancer's GENEVE VNI does not (its endpoint and attachment ids do).
    if kind == TunnelKind::Vxlan && !adm.vnis.is_empty() && adm.vnis.binary_search(&vni).is_err() {
        return Err(Refusal::Vni);
    }
    Ok(vni)
}

/// The address a datagram was sent to, in the family of its source (the
/// rebuilt header cannot mix families).
fn dest_for(src: IpAddr, dest: Option<IpAddr>, local: IpAddr) -> IpAddr {
    let d = dest.unwrap_or(local);
    match (src, d) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => d,
        (IpAddr::V4(_), IpAddr::V6(v6)) => IpAddr::V4(v6.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED)),
        (IpAddr::V6(_), IpAddr::V4(v4)) => IpAddr::V6(v4.to_ipv6_mapped()),
    }
}

/// Brings the kernel's drop count up to date: AF_PACKET's counter resets
/// when read (so it adds up); a UDP socket's is cumulative (so the larger
/// of it and the last SO_RXQ_OVFL value seen).
fn read_kernel_drops(source: &Source, st: &mut ReceiverStats) {
    match source.kind {
        SourceKind::Interface => st.kernel_drops += packet_drops(&source.socket),
        SourceKind::Tunnel { .. } => {
            if let Some(m) = socket_memory(&source.socket) {
                st.kernel_drops = st.kernel_drops.max(m.drops);
                st.buffer_queued = m.queued;
                st.buffer_capacity = m.capacity;
            }
        }
    }
}

/// Receives until `stop` is set, then sends what is buffered and returns
/// the final counters.
pub fn run(source: Source, mut dispatcher: Dispatcher, p: ReceiverParams) -> (ReceiverStats, ReaderStats) {
    let headroom = match source.kind {
        SourceKind::Tunnel { .. } => HEADROOM,
        SourceKind::Interface => 0,
    };
    let mut ring = RecvRing::new(p.batch, headroom, p.max_datagram);
    let fd = source.socket.as_raw_fd();
    let mut st = ReceiverStats::default();
    let mut last_publish = Instant::now();
    let mut last_flush = Instant::now();
    while !p.stop.load(Ordering::Relaxed) {
        let n = match ring.recv(fd) {
            Ok(n) => n,
            Err(_) => {
                st.recv_errors += 1;
                // A persistent error must not become a busy loop.
                std::thread::sleep(Duration::from_millis(10));
                0
            }
        };
        let now = Timestamp::now();
        for i in 0..n {
            let Some((slot, info)) = ring.get(i) else { break };
            st.datagrams += 1;
            st.bytes += info.len as u64;
            if let Some(d) = info.kernel_drops {
                st.kernel_drops = st.kernel_drops.max(u64::from(d));
            }
            let (frame_at, len) = match source.kind {
                SourceKind::Tunnel { kind, local } => {
                    let Some(src) = info.source else {
                        st.recv_errors += 1;
                        continue;
                    };
                    let payload = &slot[headroom..headroom + info.len];
                    match admit(kind, payload, src.ip(), &p.admission) {
                        Ok(_) => {}
                        Err(Refusal::Source) => {
                            st.denied_source += 1;
                            continue;
                        }
                        Err(Refusal::Vni) => {
                            st.denied_vni += 1;
                            continue;
                        }
                        Err(Refusal::NotTunnel) => {
                            st.not_tunnel += 1;
                            continue;
                        }
                    }
                    let addrs = OuterAddrs {
                        src: src.ip(),
                        dst: dest_for(src.ip(), info.dest, local.ip()),
                        sport: src.port(),
                        dport: local.port(),
                    };
                    match write_outer(slot, headroom, info.len, &addrs) {
                        Some(start) => (start, headroom + info.len - start),
                        None => {
                            st.recv_errors += 1;
                            continue;
                        }
                    }
                }
                SourceKind::Interface => {
                    if info.outgoing {
                        // Our own transmissions would otherwise be seen twice
                        // on loopback and once more on any interface.
                        continue;
                    }
                    (0, info.len)
                }
            };
            if info.truncated {
                st.oversize += 1;
            }
            let cap = len as u32;
            // A cut datagram's real length is unknown; the decoder sees the
            // inner IP length exceed the bytes present and marks the packet
            // truncated, as it does for AWS's own cuts.
            let meta = FrameMeta { ts: now, linktype: LinkType::ETHERNET, wire_len: cap, cap_len: cap };
            if let Some(frame) = slot.get(frame_at..frame_at + len) {
                dispatcher.handle_frame(frame, meta);
            }
        }
        if n == 0 {
            // A quiet receive timeout: everything held goes out.
            dispatcher.flush_partial(false);
            last_flush = Instant::now();
        } else if n < ring.batch() && last_flush.elapsed() >= FLUSH_AFTER {
            // The socket is drained: partly filled batches go to idle
            // workers rather than wait to fill. Not more often than
            // FLUSH_AFTER: each batch wakes a sleeping worker, and at
            // moderate rates one wake-up per few packets costs more CPU
            // than the packets (an IDS can wait a millisecond).
            dispatcher.flush_partial(true);
            last_flush = Instant::now();
        }
        if last_publish.elapsed() >= p.tick {
            last_publish = Instant::now();
            read_kernel_drops(&source, &mut st);
            dispatcher.expire_defrag(now);
            if let Ok(mut slot) = p.publish.lock() {
                *slot = (st.clone(), dispatcher.stats.clone());
            }
        }
    }
    read_kernel_drops(&source, &mut st);
    let reader = dispatcher.stop();
    if let Ok(mut slot) = p.publish.lock() {
        *slot = (st.clone(), reader.clone());
    }
    (st, reader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::live::parse_cidr;

    fn vxlan(vni: u32) -> Vec<u8> {
        let mut v = vec![0x08, 0, 0, 0];
        v.extend_from_slice(&(vni << 8).to_be_bytes());
        v.extend_from_slice(&[0; 20]);
        v
    }

    #[test]
    fn admission_applies_source_and_vni_lists() {
        let src: IpAddr = "10.1.2.3".parse().unwrap();
        let any = Admission::default();
        assert_eq!(admit(TunnelKind::Vxlan, &vxlan(5), src, &any), Ok(5));
        let adm = Admission { sources: Some(parse_cidr("10.0.0.0/8").unwrap()), vnis: vec![5, 9] };
        assert_eq!(admit(TunnelKind::Vxlan, &vxlan(9), src, &adm), Ok(9));
        assert_eq!(admit(TunnelKind::Vxlan, &vxlan(7), src, &adm), Err(Refusal::Vni));
        assert_eq!(admit(TunnelKind::Vxlan, &vxlan(5), "11.0.0.1".parse().unwrap(), &adm), Err(Refusal::Source));
        // GENEVE's VNI is the load balancer's, not a mirror session.
        assert_eq!(admit(TunnelKind::Geneve, &[0, 0, 0x65, 0x58, 0, 0, 7, 0], src, &adm), Ok(7));
    }

    #[test]
    fn garbage_is_not_a_tunnel() {
        let src: IpAddr = "10.1.2.3".parse().unwrap();
        let any = Admission::default();
        assert_eq!(admit(TunnelKind::Vxlan, &[0x08, 0, 0], src, &any), Err(Refusal::NotTunnel));
        assert_eq!(admit(TunnelKind::Vxlan, &[0; 16], src, &any), Err(Refusal::NotTunnel));
        // GENEVE version 1, and options longer than the datagram.
        assert_eq!(admit(TunnelKind::Geneve, &[0x40, 0, 0x65, 0x58, 0, 0, 1, 0], src, &any), Err(Refusal::NotTunnel));
        assert_eq!(admit(TunnelKind::Geneve, &[0x05, 0, 0x65, 0x58, 0, 0, 1, 0], src, &any), Err(Refusal::NotTunnel));
        assert_eq!(admit(TunnelKind::Geneve, &[0x00, 0, 0x65, 0x58, 0, 0, 1, 0], src, &any), Ok(1));
    }

    proptest::proptest! {
        /// Whatever arrives on the socket: admitted or refused, rebuilt,
        /// decoded or counted, never a panic.
        #[test]
        fn hostile_datagrams_never_panic(
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            geneve in proptest::prelude::any::<bool>(),
            v6 in proptest::prelude::any::<bool>(),
        ) {
            let kind = if geneve { TunnelKind::Geneve } else { TunnelKind::Vxlan };
            let (src, dst): (IpAddr, IpAddr) =
                if v6 { ("2001:db8::1".parse().unwrap(), "2001:db8::2".parse().unwrap()) } else { ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()) };
            if admit(kind, &payload, src, &Admission::default()).is_ok() {
                let mut slot = vec![0u8; HEADROOM + payload.len()];
                slot[HEADROOM..].copy_from_slice(&payload);
                let a = OuterAddrs { src, dst, sport: 1234, dport: if geneve { 6081 } else { 4789 } };
                let start = write_outer(&mut slot, HEADROOM, payload.len(), &a).unwrap();
                let mut dec = crate::decode::Decoded::default();
                let _ = crate::decode::decode_frame(&slot[start..], LinkType::ETHERNET, &crate::decode::DecodeConfig::default(), &mut dec);
            }
        }
    }

    #[test]
    fn destination_follows_the_source_family() {
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(dest_for(v4, Some("10.0.0.2".parse().unwrap()), v4), "10.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(dest_for(v4, None, "::".parse().unwrap()), "0.0.0.0".parse::<IpAddr>().unwrap());
        assert!(dest_for(v6, None, "0.0.0.0".parse().unwrap()).is_ipv6());
    }
}
