//! The scenario: many concurrent benign sessions across several mirror
//! sessions (VNIs), attacks injected on schedule, all merged in time order
//! and written as the sensor would capture them. Sessions are built lazily
//! and merged through a heap, so captures of any size stream to disk.

use std::collections::{BinaryHeap, VecDeque};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};

use super::apps;
use super::attacks::{Attack, Delivery, ATTACKS};
use super::et_attacks::{EtAttack, ET_ATTACKS};
use super::frames;
use super::http_evasion::{self, HttpEvasion};
use super::pcap_writer::PcapWriter;
use super::rng::Rng;
use super::session::{icmp_pings, tcp_conversation, udp_exchange, Pkt, TcpShape};
use crate::decode::defrag::OverlapPolicy as DefragPolicy;
use crate::source::LinkType;
use crate::util::Timestamp;

/// How the capture is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// On the sensor: VXLAN-wrapped copies from the mirrored ENIs.
    Vxlan,
    /// On the source: the original frames.
    Plain,
}

/// Which attacks to inject.
/// How attack sessions try to slip past the sensor (benign traffic is
/// unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Evasion {
    #[default]
    None,
    /// Every data segment carries one byte.
    OneBytePerSegment,
    /// Each message in 8-byte segments, sent last to first.
    ReverseOrder,
    /// 16-byte segments, each accompanied by overlapping junk that the
    /// receiver's (BSD-like) stack discards.
    OverlapJunk,
    /// The attack follows a 9000-byte segment that the mirror truncates.
    AfterTruncatedJumbo,
    /// The capture starts after the handshake.
    Midstream,
    /// Every IPv4 packet in 8-byte fragments, each past the transport
    /// header with a junk twin at the same offset that a target
    /// reassembling with this policy discards.
    FragmentOverlap(DefragPolicy),
    /// HTTP requests and responses (port 80) rewritten so that raw bytes
    /// no longer show what a normalizing parser reads.
    Http(HttpEvasion),
    /// 16-byte segments, each with a junk byte inside sent as urgent data,
    /// which the receiving application never reads.
    UrgentJunk,
    /// 16-byte segments, each with junk over the same range sent before or
    /// after it with a TTL of 1: it dies on the first router, so only a
    /// mirror of the sender's interface copies it (see the TTL test).
    TtlJunk,
}

impl Evasion {
    /// The fragment overlap evasion aimed at each defragmentation policy.
    pub const FRAGMENT_OVERLAPS: [Evasion; 4] = [
        Evasion::FragmentOverlap(DefragPolicy::First),
        Evasion::FragmentOverlap(DefragPolicy::Last),
        Evasion::FragmentOverlap(DefragPolicy::Bsd),
        Evasion::FragmentOverlap(DefragPolicy::Linux),
    ];

    /// The TCP evasions.
    pub const ALL: [Evasion; 5] = [
        Evasion::OneBytePerSegment,
        Evasion::ReverseOrder,
        Evasion::OverlapJunk,
        Evasion::AfterTruncatedJumbo,
        Evasion::Midstream,
    ];

    /// Each evasion by the name `mirrorids generate --evasion` takes.
    pub fn named() -> [(&'static str, Evasion); 15] {
        use Evasion::*;
        [
            ("one-byte-segments", OneBytePerSegment),
            ("reverse-order", ReverseOrder),
            ("overlap-junk", OverlapJunk),
            ("after-truncated-jumbo", AfterTruncatedJumbo),
            ("midstream", Midstream),
            ("urgent-junk", UrgentJunk),
            ("ttl-junk", TtlJunk),
            ("fragment-overlap-first", FragmentOverlap(DefragPolicy::First)),
            ("fragment-overlap-last", FragmentOverlap(DefragPolicy::Last)),
            ("fragment-overlap-bsd", FragmentOverlap(DefragPolicy::Bsd)),
            ("fragment-overlap-linux", FragmentOverlap(DefragPolicy::Linux)),
            ("http-uri-encoding", Http(HttpEvasion::UriPercentEncoding)),
            ("http-header-folding", Http(HttpEvasion::HeaderFolding)),
            ("http-chunked", Http(HttpEvasion::ChunkedBody)),
            ("http-gzip", Http(HttpEvasion::GzipBody)),
        ]
    }

    fn shape(self) -> TcpShape {
        let base = TcpShape::default();
        match self {
            Evasion::None => base,
            Evasion::OneBytePerSegment => TcpShape { mss: 1, ..base },
            Evasion::ReverseOrder => TcpShape { mss: 8, reverse: true, ..base },
            Evasion::OverlapJunk => TcpShape { mss: 16, junk_overlap: true, ..base },
            Evasion::AfterTruncatedJumbo => TcpShape { first_exchange_whole: true, ..base },
            Evasion::Midstream => TcpShape { midstream: true, ..base },
            Evasion::UrgentJunk => TcpShape { mss: 16, urgent_junk: true, ..base },
            Evasion::TtlJunk => TcpShape { mss: 16, ttl_junk: true, ..base },
            Evasion::FragmentOverlap(_) | Evasion::Http(_) => base,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttackPlan {
    None,
    /// Each catalog attack once, spread over the capture.
    EachOnce,
    /// One attack (cycling through the catalog) after every N benign sessions.
    Every(usize),
    /// Each ET-targeted attack ([`ET_ATTACKS`]) once, spread over the capture.
    EtEachOnce,
    /// Both catalogs, each attack once.
    AllEachOnce,
}

/// An attack a plan injects, from either catalog.
#[derive(Debug, Clone, Copy)]
enum Planned {
    Bundled(&'static Attack),
    Et(&'static EtAttack),
}

impl AttackPlan {
    fn catalog(self) -> Vec<Planned> {
        let bundled = ATTACKS.iter().map(Planned::Bundled);
        let et = ET_ATTACKS.iter().map(Planned::Et);
        match self {
            AttackPlan::None => Vec::new(),
            AttackPlan::EachOnce | AttackPlan::Every(_) => bundled.collect(),
            AttackPlan::EtEachOnce => et.collect(),
            AttackPlan::AllEachOnce => bundled.chain(et).collect(),
        }
    }

    /// Whether every attack of the catalog is injected exactly once.
    fn once(self) -> bool {
        matches!(self, AttackPlan::EachOnce | AttackPlan::EtEachOnce | AttackPlan::AllEachOnce)
    }
}

#[derive(Debug, Clone)]
pub struct GenConfig {
    pub seed: u64,
    /// Stop once this many bytes of frames have been written.
    pub target_bytes: u64,
    /// Mirror sessions (each with its own VNI and mirrored ENI).
    pub vnis: usize,
    pub mode: Mode,
    /// Benign sessions in flight at once.
    pub concurrency: usize,
    pub attacks: AttackPlan,
    /// Share of TCP sessions using 9001-byte jumbo frames, whose largest
    /// segments AWS delivers truncated.
    pub jumbo: f64,
    pub reorder: f64,
    pub retransmit: f64,
    /// Largest inner IP packet mirrored whole (AWS: 8947 for a 9001 MTU target).
    pub mirror_max_ip: usize,
    pub start: Timestamp,
    /// How attacks are sent.
    pub evasion: Evasion,
    /// Which benign sessions, in what proportions.
    pub mix: SessionMix,
}

/// Relative weights of the benign session kinds (any scale, by session
/// count, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionMix {
    /// HTTP/1.1 on port 80, 1-3 exchanges, responses of 0.5-256 KB.
    pub http: u32,
    /// TLS 1.2/1.3 on 443, a handshake then 1-512 KB down.
    pub tls: u32,
    /// One DNS query and its answer (A or AAAA): a two-packet UDP flow.
    pub dns: u32,
    /// Other TCP (SSH, PostgreSQL, Redis, 8443), opaque payloads.
    pub other_tcp: u32,
    /// ICMP echo, 1-3 pings.
    pub icmp: u32,
}

impl SessionMix {
    /// The generator's long-standing mix: sessions 40% HTTP, 30% TLS, 15%
    /// DNS, 12% other TCP, 3% ICMP. Mostly long flows: few flows per byte.
    pub const BALANCED: SessionMix = SessionMix { http: 40, tls: 30, dns: 15, other_tcp: 12, icmp: 3 };
    /// What a mirror target sees of a VPC's ENIs: most flows are one DNS
    /// exchange (92.5% of sessions), most bytes long HTTP and TLS
    /// transfers. 1 GB is about 1.2 M packets in 150 k flows (seed 42,
    /// 256 sessions at once), the shape of the captures users size their
    /// fleets on.
    pub const MIRROR: SessionMix = SessionMix { http: 30, tls: 27, dns: 925, other_tcp: 13, icmp: 5 };

    pub fn parse(s: &str) -> Option<SessionMix> {
        match s {
            "balanced" => Some(SessionMix::BALANCED),
            "mirror" => Some(SessionMix::MIRROR),
            _ => None,
        }
    }

    fn total(&self) -> u64 {
        u64::from(self.http)
            + u64::from(self.tls)
            + u64::from(self.dns)
            + u64::from(self.other_tcp)
            + u64::from(self.icmp)
    }
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 1,
            target_bytes: 4 << 20,
            vnis: 3,
            mode: Mode::Vxlan,
            concurrency: 64,
            attacks: AttackPlan::EachOnce,
            jumbo: 0.05,
            reorder: 0.02,
            retransmit: 0.01,
            mirror_max_ip: 8947,
            // 2024-04-01T00:00:00Z
            start: Timestamp::from_secs_micros(1_711_929_600, 0),
            evasion: Evasion::None,
            mix: SessionMix::BALANCED,
        }
    }
}

/// Where an attack was injected: the flow (or hosts) in the direction the
/// detecting signature alerts on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TruthRecord {
    pub attack: &'static str,
    /// The signature that must detect it (bundled, or ET Open).
    pub sid: u32,
    /// For ET-targeted attacks: the ET Open file holding the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_file: Option<&'static str>,
    pub src_ip: IpAddr,
    /// None where the attack has no single source port (repeated
    /// connections, ICMP).
    pub src_port: Option<u16>,
    pub dest_ip: IpAddr,
    pub dest_port: Option<u16>,
    pub proto: &'static str,
    pub vni: Option<u32>,
    pub timestamp: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenStats {
    pub packets: u64,
    pub bytes: u64,
    pub sessions: u64,
    pub attacks: u64,
    pub truncated: u64,
}

/// A truth record's flow: source address and port, destination address
/// and port, protocol name.
type Endpoints = (IpAddr, Option<u16>, IpAddr, Option<u16>, &'static str);

struct Mirror {
    vni: u32,
    eni: IpAddr,
}

const SENSOR: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 5);
const RESOLVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

/// A session's packets waiting to be merged.
struct Pending {
    mirror: usize,
    pkts: VecDeque<Pkt>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct HeapKey(std::cmp::Reverse<(u64, u64)>);

fn external_ip(rng: &mut Rng) -> IpAddr {
    // Documentation and benchmarking ranges: never HOME_NET.
    let pools: [(u8, u8); 3] = [(198, 18), (198, 19), (203, 0)];
    let (a, b) = *rng.pick(&pools);
    let c = if a == 203 { 113 } else { rng.range(0, 256) as u8 };
    IpAddr::V4(Ipv4Addr::new(a, b, c, rng.range(1, 255) as u8))
}

fn ephemeral(rng: &mut Rng) -> u16 {
    rng.range(32_768, 61_000) as u16
}

/// FNV-1a over the inner addresses and ports: the outer UDP source port,
/// stable per flow direction as AWS's is.
fn outer_sport(inner: &[u8]) -> u16 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in inner.get(26..38).unwrap_or(&[]) {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    49_152 + (h % 16_384) as u16
}

pub struct Generator<W: Write> {
    cfg: GenConfig,
    rng: Rng,
    mirrors: Vec<Mirror>,
    out: PcapWriter<W>,
    truth: Vec<TruthRecord>,
    pub stats: GenStats,
}

impl<W: Write> Generator<W> {
    pub fn new(cfg: GenConfig, out: W) -> io::Result<Self> {
        let mut rng = Rng::new(cfg.seed);
        let mirrors = (0..cfg.vnis.max(1))
            .map(|i| Mirror {
                vni: 0x10_0000 + (rng.next_u64() % 0x0e_ffff) as u32,
                eni: IpAddr::V4(Ipv4Addr::new(10, 0, i as u8 + 1, 10)),
            })
            .collect();
        let out = PcapWriter::new(out, LinkType::ETHERNET, 65_535)?;
        Ok(Generator { cfg, rng, mirrors, out, truth: Vec::new(), stats: GenStats::default() })
    }

    /// Writes the capture; returns the ground truth of injected attacks.
    pub fn run(mut self) -> io::Result<(GenStats, Vec<TruthRecord>, W)> {
        let mut heap: BinaryHeap<(HeapKey, usize)> = BinaryHeap::new();
        let mut slots: Vec<Option<Pending>> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        let mut seq = 0u64;
        let mut clock = self.cfg.start.0;
        let mut benign = 0usize;
        let mut next_attack = 0usize;
        let catalog = self.cfg.attacks.catalog();
        let once = self.cfg.attacks.once();
        let attack_every = match self.cfg.attacks {
            AttackPlan::None => usize::MAX,
            AttackPlan::Every(n) => n.max(1),
            AttackPlan::EachOnce | AttackPlan::EtEachOnce | AttackPlan::AllEachOnce => {
                // Spread the catalog over the expected number of sessions.
                let n = catalog.len().max(1);
                let expected = (self.cfg.target_bytes / 40_000).max(n as u64 * 2);
                (expected as usize / n).max(1)
            }
        };
        let mut done_creating = false;
        loop {
            while !done_creating && heap.len() < self.cfg.concurrency {
                if self.stats.bytes >= self.cfg.target_bytes {
                    done_creating = true;
                    break;
                }
                clock += self.rng.range(100, 20_000);
                let start = Timestamp(clock);
                let inject = benign > 0
                    && benign.is_multiple_of(attack_every)
                    && !catalog.is_empty()
                    && (!once || next_attack < catalog.len());
                let (mirror, pkts) = if inject {
                    let a = catalog[next_attack % catalog.len()];
                    next_attack += 1;
                    self.stats.attacks += 1;
                    self.inject(a, start)
                } else {
                    self.benign(start)
                };
                benign += 1;
                self.stats.sessions += 1;
                let Some(first) = pkts.first() else { continue };
                let key = HeapKey(std::cmp::Reverse((first.ts.0, seq)));
                seq += 1;
                let slot = match free.pop() {
                    Some(s) => {
                        slots[s] = Some(Pending { mirror, pkts: pkts.into() });
                        s
                    }
                    None => {
                        slots.push(Some(Pending { mirror, pkts: pkts.into() }));
                        slots.len() - 1
                    }
                };
                heap.push((key, slot));
            }
            // Once-each plans inject the whole catalog even in tiny captures.
            if done_creating && once && next_attack < catalog.len() {
                clock += self.rng.range(100, 20_000);
                let a = catalog[next_attack];
                next_attack += 1;
                self.stats.attacks += 1;
                let (mirror, pkts) = self.inject(a, Timestamp(clock));
                if let Some(first) = pkts.first() {
                    heap.push((HeapKey(std::cmp::Reverse((first.ts.0, seq))), slots.len()));
                    seq += 1;
                    slots.push(Some(Pending { mirror, pkts: pkts.into() }));
                }
                continue;
            }
            let Some((_, slot)) = heap.pop() else { break };
            let Some(p) = slots[slot].as_mut() else { continue };
            let Some(pkt) = p.pkts.pop_front() else { continue };
            let mirror = p.mirror;
            self.write(mirror, &pkt)?;
            match p.pkts.front() {
                Some(next) => {
                    heap.push((HeapKey(std::cmp::Reverse((next.ts.0, seq))), slot));
                    seq += 1;
                }
                None => {
                    slots[slot] = None;
                    free.push(slot);
                }
            }
        }
        let out = self.out.into_inner();
        Ok((self.stats, self.truth, out))
    }

    fn write(&mut self, mirror: usize, pkt: &Pkt) -> io::Result<()> {
        let inner = &pkt.frame;
        let m = &self.mirrors[mirror];
        let max = 14 + self.cfg.mirror_max_ip;
        let inner = if self.cfg.mode == Mode::Vxlan && inner.len() > max {
            self.stats.truncated += 1;
            &inner[..max]
        } else {
            &inner[..]
        };
        match self.cfg.mode {
            Mode::Plain => {
                self.out.write_packet(pkt.ts, inner, inner.len() as u32)?;
                self.stats.bytes += inner.len() as u64;
            }
            Mode::Vxlan => {
                let outer = frames::vxlan(inner, m.vni, m.eni, IpAddr::V4(SENSOR), outer_sport(inner));
                self.out.write_packet(pkt.ts, &outer, outer.len() as u32)?;
                self.stats.bytes += outer.len() as u64;
            }
        }
        self.stats.packets += 1;
        Ok(())
    }

    fn shape(&mut self) -> TcpShape {
        let jumbo = self.rng.chance(self.cfg.jumbo);
        TcpShape {
            // 9001-byte MTU inside a VPC: MSS 8949.
            mss: if jumbo { 8949 } else { 1460 },
            reorder: self.cfg.reorder,
            retransmit: self.cfg.retransmit,
            ..TcpShape::default()
        }
    }

    fn benign(&mut self, start: Timestamp) -> (usize, Vec<Pkt>) {
        let mirror = self.rng.range(0, self.mirrors.len() as u64) as usize;
        let eni = self.mirrors[mirror].eni;
        let mut rng = self.rng.fork();
        let client = (external_ip(&mut rng), ephemeral(&mut rng));
        // One draw in 0..total, cut in the mix's order (with BALANCED this
        // is the draw in 0..100 the generator always made, so fixed seeds
        // give the same captures as before).
        let m = self.cfg.mix;
        let total = m.total().max(1);
        let kind = rng.range(0, total);
        let cuts = [m.http, m.tls, m.dns, m.other_tcp].map(u64::from);
        let (http_end, tls_end) = (cuts[0], cuts[0] + cuts[1]);
        let (dns_end, other_end) = (tls_end + cuts[2], tls_end + cuts[2] + cuts[3]);
        let shape = self.shape();
        let pkts = match kind {
            k if k < http_end => {
                let turns = rng.range(1, 4) as usize;
                let exchanges: Vec<_> = (0..turns)
                    .map(|_| {
                        let size = 1usize << rng.range(9, 18);
                        let size = size + rng.range(0, size as u64) as usize;
                        (apps::http_request(&mut rng), apps::http_response(&mut rng, size))
                    })
                    .collect();
                tcp_conversation(&mut rng, start, client, (eni, 80), &exchanges, shape)
            }
            k if k < tls_end => {
                let sni = apps::dns_name(&mut rng);
                let hello = apps::tls_client_hello(&mut rng, &sni);
                let down = 1usize << rng.range(10, 19);
                let server = apps::tls_server_flight(&mut rng, down);
                let mut up = Vec::new();
                let up_len = rng.range(200, 4000) as usize;
                apps::app_data(&mut rng, up_len, &mut up);
                tcp_conversation(&mut rng, start, client, (eni, 443), &[(hello, server), (up, Vec::new())], shape)
            }
            k if k < dns_end => {
                let name = apps::dns_name(&mut rng);
                let q = apps::dns_query(rng.next_u64() as u16, &name, if rng.chance(0.7) { 1 } else { 28 });
                let a = apps::dns_answer(&q, [52, 94, rng.range(0, 256) as u8, rng.range(1, 255) as u8]);
                let sport = ephemeral(&mut rng);
                udp_exchange(&mut rng, start, (eni, sport), (IpAddr::V4(RESOLVER), 53), &q, &a)
            }
            k if k < other_end => {
                let port = *rng.pick(&[22u16, 5432, 6379, 8443]);
                let n = rng.range(2, 6) as usize;
                let exchanges: Vec<_> = (0..n)
                    .map(|_| {
                        let (up, down) = (rng.range(40, 600) as usize, rng.range(40, 20_000) as usize);
                        (apps::opaque(&mut rng, up), apps::opaque(&mut rng, down))
                    })
                    .collect();
                tcp_conversation(&mut rng, start, client, (eni, port), &exchanges, shape)
            }
            _ => {
                let count = rng.range(1, 4) as u16;
                icmp_pings(&mut rng, start, client.0, eni, count)
            }
        };
        (mirror, pkts)
    }

    fn inject(&mut self, a: Planned, start: Timestamp) -> (usize, Vec<Pkt>) {
        match a {
            Planned::Bundled(a) => self.attack(a, start),
            Planned::Et(a) => self.et_attack(a, start),
        }
    }

    fn record(&mut self, a: &Attack, flow: Endpoints, mirror: usize, start: Timestamp) {
        self.push_truth((a.name, a.sid, None), flow, mirror, start);
    }

    fn push_truth(
        &mut self,
        (attack, sid, rule_file): (&'static str, u32, Option<&'static str>),
        (src, sport, dst, dport, proto): Endpoints,
        mirror: usize,
        start: Timestamp,
    ) {
        let vni = (self.cfg.mode == Mode::Vxlan).then(|| self.mirrors[mirror].vni);
        self.truth.push(TruthRecord {
            attack,
            sid,
            rule_file,
            src_ip: src,
            src_port: sport,
            dest_ip: dst,
            dest_port: dport,
            proto,
            vni,
            timestamp: start.eve().to_string(),
        });
    }

    /// Builds an attack session and records its ground truth.
    pub fn attack(&mut self, a: &Attack, start: Timestamp) -> (usize, Vec<Pkt>) {
        let mirror = self.rng.range(0, self.mirrors.len() as u64) as usize;
        let eni = self.mirrors[mirror].eni;
        let mut rng = self.rng.fork();
        let attacker = external_ip(&mut rng);
        let sp = ephemeral(&mut rng);
        let evasion = self.cfg.evasion;
        let shape = evasion.shape();
        let payload = match (evasion, a.delivery) {
            (Evasion::Http(e), Delivery::TcpRequest { port: 80 } | Delivery::TcpResponse { port: 80 }) => {
                http_evasion::evade(a.payload.as_bytes(), e)
            }
            _ => a.payload.as_bytes().to_vec(),
        };
        // A jumbo segment the mirror truncates, from the attacking side,
        // before the attack.
        let jumbo = |rng: &mut Rng, conv: &mut Vec<(Vec<u8>, Vec<u8>)>, from_client: bool| {
            if evasion == Evasion::AfterTruncatedJumbo {
                let filler = apps::opaque(rng, 9000);
                let turn = if from_client { (filler, b"+OK\r\n".to_vec()) } else { (b"?\r\n".to_vec(), filler) };
                conv.insert(0, turn);
            }
        };
        let pkts = match a.delivery {
            Delivery::TcpRequest { port } => {
                let reply = if port == 80 {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
                } else {
                    b"+OK\r\n".to_vec()
                };
                self.record(a, (attacker, Some(sp), eni, Some(port), "TCP"), mirror, start);
                let mut conv = vec![(payload, reply)];
                jumbo(&mut rng, &mut conv, true);
                tcp_conversation(&mut rng, start, (attacker, sp), (eni, port), &conv, shape)
            }
            Delivery::TcpResponse { port } => {
                let req =
                    b"GET /debug/run HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: Mozilla/5.0\r\n\r\n".to_vec();
                self.record(a, (eni, Some(port), attacker, Some(sp), "TCP"), mirror, start);
                let mut conv = vec![(req, payload)];
                jumbo(&mut rng, &mut conv, false);
                tcp_conversation(&mut rng, start, (attacker, sp), (eni, port), &conv, shape)
            }
            Delivery::TcpLines { port } => {
                // What the server says: an IMAP server greets untagged and
                // answers each tagged command with its tag.
                let imap = port == 143;
                let exchanges: Vec<_> = a
                    .payload
                    .split('\n')
                    .map(|l| {
                        let reply = if imap {
                            format!("{} OK done\r\n", l.split(' ').next().unwrap_or("*"))
                        } else {
                            "+OK done\r\n".to_string()
                        };
                        (format!("{l}\r\n").into_bytes(), reply.into_bytes())
                    })
                    .collect();
                self.record(a, (attacker, Some(sp), eni, Some(port), "TCP"), mirror, start);
                let banner: &[u8] = if imap { b"* OK IMAP4rev1 ready\r\n" } else { b"220 ready\r\n" };
                let mut conv = vec![(Vec::new(), banner.to_vec())];
                conv.extend(exchanges);
                jumbo(&mut rng, &mut conv, true);
                tcp_conversation(&mut rng, start, (attacker, sp), (eni, port), &conv, shape)
            }
            Delivery::Udp { port } => {
                let q = apps::dns_query(rng.next_u64() as u16, a.payload, 16);
                let resolver = IpAddr::V4(RESOLVER);
                self.record(a, (eni, Some(sp), resolver, Some(port), "UDP"), mirror, start);
                udp_exchange(&mut rng, start, (eni, sp), (resolver, port), &q, &[])
            }
            Delivery::IcmpEcho => {
                let mut body = vec![0u8; 1400];
                rng.fill(&mut body);
                self.record(a, (attacker, None, eni, None, "ICMP"), mirror, start);
                let req = frames::icmp_echo(attacker, eni, true, 7, 1, &body);
                vec![Pkt { ts: start, frame: req }]
            }
            Delivery::SynSweep { count } => {
                self.record(a, (attacker, Some(sp), eni, None, "TCP"), mirror, start);
                let sport = sp;
                (0..count)
                    .map(|i| {
                        let spec = frames::TcpSpec {
                            sport,
                            dport: 1 + i * 37,
                            seq: rng.next_u64() as u32,
                            ack: 0,
                            flags: 0x02,
                            window: 1024,
                        };
                        Pkt {
                            ts: Timestamp(start.0 + u64::from(i) * 3_000),
                            frame: frames::tcp(attacker, eni, spec, &[]),
                        }
                    })
                    .collect()
            }
            Delivery::SynRepeat { port, count } => {
                self.record(a, (attacker, None, eni, Some(port), "TCP"), mirror, start);
                let mut all = Vec::new();
                for i in 0..count {
                    let t = Timestamp(start.0 + u64::from(i) * 1_500_000);
                    let conv = apps::ssh_handshake(&mut rng, "SSH-2.0-libssh2_1.10.0", "SSH-2.0-OpenSSH_9.6");
                    let p = ephemeral(&mut rng);
                    // Counted by their SYNs: payload evasions do not apply.
                    let shape = TcpShape::default();
                    all.extend(tcp_conversation(&mut rng, t, (attacker, p), (eni, port), &conv, shape));
                }
                all.sort_by_key(|p| p.ts);
                all
            }
        };
        let pkts = match evasion {
            Evasion::FragmentOverlap(policy) => pkts
                .into_iter()
                .flat_map(|p| {
                    let id = rng.next_u64() as u16;
                    match frames::fragments_with_junk(&p.frame, 8, policy, id) {
                        Some(f) => f.into_iter().map(|frame| Pkt { ts: p.ts, frame }).collect(),
                        None => vec![p],
                    }
                })
                .collect(),
            _ => pkts,
        };
        (mirror, pkts)
    }
}

mod et;
#[cfg(test)]
mod tests;
