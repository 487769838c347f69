//! Load tool: replays captures over UDP to a sensor, as AWS would deliver
//! them, at a given rate or as fast as possible (for tests and benchmarks
//! on loopback).
//!
//! Two steps, so that a benchmark can pay for reading once: [`prepare`]
//! reads every frame and builds the datagrams into one contiguous buffer;
//! [`send`] pushes that buffer out of a connected UDP socket in
//! `sendmmsg` batches, paced by a token bucket, without allocating.
//!
//! A frame captured on the sensor (already VXLAN or GENEVE to a tunnel
//! port) is sent as it is: the datagram is its outer UDP payload. A plain
//! frame is wrapped the way AWS wraps it: VXLAN around the Ethernet frame,
//! or with [`Encap::Geneve`] GENEVE with the Gateway Load Balancer options
//! around the IP packet (and a VXLAN capture's outer IP packet, VXLAN
//! inside, which is how a GWLB carries mirror traffic).

mod mmsg;
mod pace;
pub mod wrap;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::decode::ethernet::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::decode::{decode_frame, DecodeConfig, Decoded, Outcome, PortSet, L4};
use crate::source::pcap::PcapReader;
use crate::source::LinkType;
pub use wrap::GwlbIds;
use wrap::{GENEVE_AWS_LEN, MAX_DATAGRAM};

/// Most datagrams per `sendmmsg` call: the kernel's UIO_MAXIOV.
pub const MAX_BATCH: usize = 1024;

/// How plain frames are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encap {
    /// VXLAN around the Ethernet frame, as a mirror session delivers it.
    Vxlan,
    /// GENEVE with the AWS options around the IP packet, as a Gateway Load
    /// Balancer delivers it.
    Geneve(GwlbIds),
}

/// How [`prepare`] turns frames into datagrams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapOptions {
    /// UDP destination ports that mark a frame as already VXLAN.
    pub vxlan_ports: Vec<u16>,
    /// UDP destination ports that mark a frame as already GENEVE.
    pub geneve_ports: Vec<u16>,
    /// VNI of the headers we add (24 bits).
    pub vni: u32,
    pub encap: Encap,
}

impl Default for WrapOptions {
    fn default() -> Self {
        WrapOptions { vxlan_ports: vec![4789], geneve_ports: vec![6081], vni: 1, encap: Encap::Vxlan }
    }
}

impl Default for GwlbIds {
    fn default() -> Self {
        // Synthetic-looking on purpose: nobody mistakes them for real ones.
        GwlbIds { endpoint_id: 0x0123_4567_89ab_cdef, attachment_id: 0xfedc_ba98_7654_3210 }
    }
}

/// Why a frame was not turned into a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// A link type with no way to an Ethernet header or an IP packet.
    UnsupportedLinkType,
    /// The frame ends inside its link-layer header or VLAN tags.
    ShortLinkHeader,
    /// A Linux cooked capture whose protocol is not an ethertype.
    NotEthernet,
    /// Not IP where IP is needed (GENEVE carries IP packets; raw and BSD
    /// loopback captures carry only IP).
    NotIp,
    /// Over 65,507 bytes: no IPv4 UDP datagram can carry it.
    TooLarge,
}

impl SkipReason {
    pub const ALL: [SkipReason; 5] = [
        SkipReason::UnsupportedLinkType,
        SkipReason::ShortLinkHeader,
        SkipReason::NotEthernet,
        SkipReason::NotIp,
        SkipReason::TooLarge,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            SkipReason::UnsupportedLinkType => "unsupported_linktype",
            SkipReason::ShortLinkHeader => "short_link_header",
            SkipReason::NotEthernet => "not_ethernet",
            SkipReason::NotIp => "not_ip",
            SkipReason::TooLarge => "too_large",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What [`prepare`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrepareStats {
    pub files: usize,
    pub frames: u64,
    /// Frames already tunneled, sent as they are.
    pub as_is: u64,
    /// Frames we wrapped in VXLAN or GENEVE.
    pub wrapped: u64,
    /// Records cut by a snap length (captured < wire length); sent as captured.
    pub truncated: u64,
    /// Frames skipped, by [`SkipReason::index`].
    pub skipped: [u64; SkipReason::COUNT],
    /// Captures that ended early (cut short or damaged), one message each;
    /// the frames before the damage are kept.
    pub damaged: Vec<String>,
}

impl PrepareStats {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().sum()
    }

    /// Non-zero skip counters.
    pub fn skipped_by_reason(&self) -> impl Iterator<Item = (SkipReason, u64)> + '_ {
        SkipReason::ALL.into_iter().map(|r| (r, self.skipped[r.index()])).filter(|&(_, n)| n > 0)
    }
}

/// Datagrams ready to send: UDP payloads back to back in `data`, each
/// named by an `(offset, length)` span, in capture order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    pub data: Vec<u8>,
    pub spans: Vec<(u32, u32)>,
    pub stats: PrepareStats,
}

impl Prepared {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`th datagram, if `i` and its span are in range.
    pub fn datagram(&self, i: usize) -> Option<&[u8]> {
        let &(off, len) = self.spans.get(i)?;
        self.data.get(off as usize..off as usize + len as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).filter_map(|i| self.datagram(i))
    }
}

/// Reads every frame of `paths`, in order, and builds the datagrams to send.
/// Errors name the file; a capture that ends early keeps its frames so far
/// and is listed in [`PrepareStats::damaged`].
pub fn prepare(paths: &[PathBuf], opts: &WrapOptions) -> Result<Prepared, String> {
    if opts.vni > 0x00ff_ffff {
        return Err(format!("VNI {} does not fit in 24 bits", opts.vni));
    }
    let mut builder = Builder::new(opts);
    let mut out = Prepared::default();
    let mut frame = Vec::with_capacity(1 << 16);
    for path in paths {
        let mut reader = PcapReader::open(path).map_err(|e| e.to_string())?;
        out.stats.files += 1;
        loop {
            frame.clear();
            let meta = match reader.next_frame(&mut frame) {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) if e.is_partial() => {
                    out.stats.damaged.push(e.to_string());
                    break;
                }
                Err(e) => return Err(e.to_string()),
            };
            out.stats.frames += 1;
            if meta.cap_len < meta.wire_len {
                out.stats.truncated += 1;
            }
            let start = out.data.len();
            match builder.build(&frame, meta.linktype, &mut out.data) {
                Ok(Built::AsIs) => out.stats.as_is += 1,
                Ok(Built::Wrapped) => out.stats.wrapped += 1,
                Err(reason) => {
                    out.stats.skipped[reason.index()] += 1;
                    continue;
                }
            }
            // Spans are 32-bit to keep the index small; the end bounds both.
            let end = out.data.len();
            if u32::try_from(end).is_err() {
                return Err(format!("{}: more than 4 GiB of datagrams to pre-load", path.display()));
            }
            out.spans.push((start as u32, (end - start) as u32));
        }
    }
    Ok(out)
}

enum Built {
    AsIs,
    Wrapped,
}

/// Per-frame state of [`prepare`], built once.
struct Builder {
    /// Decodes no tunnels: it stops at the outermost UDP header, which is
    /// what tells a sensor-side capture from a plain one.
    outer: DecodeConfig,
    vxlan: PortSet,
    geneve: PortSet,
    vni: u32,
    encap: Encap,
    decoded: Decoded,
}

impl Builder {
    fn new(opts: &WrapOptions) -> Self {
        Builder {
            outer: DecodeConfig {
                vxlan_ports: PortSet::new(&[]),
                geneve_ports: PortSet::new(&[]),
                ..Default::default()
            },
            vxlan: PortSet::new(&opts.vxlan_ports),
            geneve: PortSet::new(&opts.geneve_ports),
            vni: opts.vni,
            encap: opts.encap,
            decoded: Decoded::default(),
        }
    }

    /// Appends the datagram for one frame to `out`, or says why not (and
    /// then appends nothing).
    fn build(&mut self, frame: &[u8], linktype: LinkType, out: &mut Vec<u8>) -> Result<Built, SkipReason> {
        let outcome = decode_frame(frame, linktype, &self.outer, &mut self.decoded);
        let d = &self.decoded;
        // A GRE or IP-in-IP outer layer is peeled even without tunnel ports;
        // what is under it is not a mirror copy addressed to a sensor.
        let tunnel_dport = match (outcome, d.tunnel, d.l4) {
            (Ok(Outcome::Packet), None, L4::Udp(u)) => Some(u.dport),
            _ => None,
        };
        // The 5-tuple of the packet GENEVE carries: the original flow for a
        // plain frame, the mirror copy's (keyed by the original flow through
        // its source port) for a VXLAN one.
        let cookie = || {
            let (sport, dport) = d.ports();
            wrap::flow_cookie(d.ip.proto, d.ip.src, sport, d.ip.dst, dport)
        };
        match tunnel_dport {
            Some(p) if self.vxlan.contains(p) || self.geneve.contains(p) => {
                if let (Encap::Geneve(ids), true) = (self.encap, self.vxlan.contains(p)) {
                    let ethertype = if d.ip.version == 6 { ETHERTYPE_IPV6 } else { ETHERTYPE_IPV4 };
                    let ip = frame.get(d.l3_off as usize..).unwrap_or(&[]);
                    let ip = wrap::trim_ip(ip, ethertype);
                    check_len(GENEVE_AWS_LEN + ip.len())?;
                    wrap::push_geneve_header(out, ethertype, self.vni, ids, cookie());
                    out.extend_from_slice(ip);
                    return Ok(Built::Wrapped);
                }
                // What is there, also when the capture cut the datagram short.
                let payload = d.payload(frame);
                check_len(payload.len())?;
                out.extend_from_slice(payload);
                Ok(Built::AsIs)
            }
            _ => {
                match self.encap {
                    Encap::Vxlan if linktype == LinkType::ETHERNET => {
                        check_len(wrap::vxlan_len(frame.len(), false))?;
                        wrap::push_vxlan_header(out, self.vni);
                        out.extend_from_slice(frame);
                    }
                    Encap::Vxlan => {
                        let (ethertype, at) = wrap::link_payload(frame, linktype)?;
                        let body = frame.get(at..).ok_or(SkipReason::ShortLinkHeader)?;
                        check_len(wrap::vxlan_len(body.len(), true))?;
                        wrap::push_vxlan_header(out, self.vni);
                        wrap::push_ethernet_header(out, ethertype);
                        out.extend_from_slice(body);
                    }
                    Encap::Geneve(ids) => {
                        let (ethertype, ip) = wrap::ip_packet(frame, linktype)?;
                        check_len(GENEVE_AWS_LEN + ip.len())?;
                        wrap::push_geneve_header(out, ethertype, self.vni, ids, cookie());
                        out.extend_from_slice(ip);
                    }
                }
                Ok(Built::Wrapped)
            }
        }
    }
}

fn check_len(len: usize) -> Result<(), SkipReason> {
    if len > MAX_DATAGRAM {
        return Err(SkipReason::TooLarge);
    }
    Ok(())
}

/// Where and how fast [`send`] sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOptions {
    pub to: SocketAddr,
    /// Local address to bind (e.g. 127.0.0.2:0 to exercise a source
    /// filter); default: any address of the destination's family.
    pub source: Option<SocketAddr>,
    /// Datagrams per second; `None` sends as fast as possible.
    pub rate_pps: Option<u64>,
    /// Times the whole capture is sent.
    pub loops: u64,
    /// Datagrams per `sendmmsg` call (1 to [`MAX_BATCH`]).
    pub batch: usize,
}

impl SendOptions {
    /// Defaults: any source, no rate limit, one pass, batches of 64.
    pub fn new(to: SocketAddr) -> Self {
        SendOptions { to, source: None, rate_pps: None, loops: 1, batch: 64 }
    }
}

/// What [`send`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendStats {
    pub datagrams: u64,
    /// UDP payload bytes (what the sensor reads; the wire adds IP and UDP headers).
    pub bytes: u64,
    pub elapsed: Duration,
    /// Batches retried after the socket had no buffer space (ENOBUFS, EAGAIN).
    pub retries: u64,
    /// Sends refused because an earlier datagram drew an ICMP port
    /// unreachable (nothing listening yet); the datagram is sent again.
    pub refused: u64,
    /// Frames of one pass over the captures that [`prepare`] skipped.
    pub skipped: u64,
}

impl SendStats {
    pub fn pps(&self) -> f64 {
        per_sec(self.datagrams as f64, self.elapsed)
    }

    /// Gigabits per second of UDP payload.
    pub fn gbps(&self) -> f64 {
        per_sec(self.bytes as f64 * 8.0, self.elapsed) / 1e9
    }
}

fn per_sec(v: f64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 {
        v / s
    } else {
        0.0
    }
}

/// Sends the prepared datagrams `opts.loops` times, in order, from one
/// connected UDP socket.
pub fn send(prepared: &Prepared, opts: &SendOptions) -> Result<SendStats, String> {
    let cap = opts.batch.clamp(1, MAX_BATCH);
    let local = opts.source.unwrap_or(match opts.to {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    });
    let sock = UdpSocket::bind(local).map_err(|e| format!("cannot bind {local}: {e}"))?;
    sock.connect(opts.to).map_err(|e| format!("cannot send to {} from {local}: {e}", opts.to))?;
    mmsg::grow_send_buffer(&sock, 4 << 20);

    let n = prepared.spans.len();
    let total = (n as u64).saturating_mul(opts.loops);
    let mut stats = SendStats { skipped: prepared.stats.skipped_total(), ..SendStats::default() };
    let mut batch = mmsg::Batch::with_capacity(cap);
    let start = Instant::now();
    let mut pacer = opts.rate_pps.map(|r| pace::Pacer::new(r, cap, start));
    let mut queued: u64 = 0;
    let mut idx = 0;
    while queued < total {
        let mut want = (total - queued).min(cap as u64);
        if let Some(p) = pacer.as_mut() {
            want = p.acquire(want);
        }
        batch.clear();
        for _ in 0..want {
            // idx < n: it wraps to 0 at n, and n > 0 since total > 0.
            let (off, len) = prepared.spans[idx];
            let d = prepared
                .data
                .get(off as usize..off as usize + len as usize)
                .ok_or_else(|| format!("prepared datagram {idx} lies outside the buffer"))?;
            batch.push(d);
            idx = if idx + 1 == n { 0 } else { idx + 1 };
        }
        let mut from = 0;
        while from < batch.len() {
            match batch.send(&sock, from) {
                Ok(k) if k > 0 => {
                    stats.bytes += batch.bytes(from, from + k);
                    stats.datagrams += k as u64;
                    from += k;
                }
                Ok(_) => {
                    stats.retries += 1;
                    std::thread::yield_now();
                }
                Err(e) => match e.kind() {
                    // The error was the socket's pending one; this datagram
                    // did not go, and the next try will.
                    std::io::ErrorKind::ConnectionRefused => stats.refused += 1,
                    std::io::ErrorKind::Interrupted => {}
                    std::io::ErrorKind::WouldBlock => {
                        stats.retries += 1;
                        std::thread::yield_now();
                    }
                    _ if e.raw_os_error() == Some(libc::ENOBUFS) => {
                        stats.retries += 1;
                        std::thread::yield_now();
                    }
                    _ => return Err(format!("send to {}: {e}", opts.to)),
                },
            }
        }
        if let Some(p) = pacer.as_mut() {
            p.spend(want);
        }
        queued += want;
    }
    stats.elapsed = start.elapsed();
    Ok(stats)
}

#[cfg(test)]
mod tests;
