//! Flows: a bidirectional flow table per worker, keyed by the inner
//! 5-tuple and the tunnel identity, with per-direction counters, TCP state
//! for `flow:` keywords, detection state (flowbits), timeouts per protocol
//! and state, and a memory cap with eviction. Everything is counted.

pub mod key;
pub mod table;
pub mod tcp;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub use key::FlowKey;
pub use table::FlowTable;
pub use tcp::{TcpPickup, TcpState, TcpTrack};

use crate::app::AppProto;
use crate::detect::FlowDetectState;
use crate::stream::TcpStreams;
use crate::util::Timestamp;

/// Timeouts (seconds of packet time) by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateTimeouts {
    pub new: u64,
    pub established: u64,
    pub closed: u64,
}

/// Flow table settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowConfig {
    /// Memory for flow state, all workers together, in bytes. The number of
    /// flows it allows is shown in the end-of-run summary; when full, the
    /// least recently active flow is evicted (and counted).
    pub memcap: u64,
    pub tcp_timeouts: StateTimeouts,
    pub udp_timeouts: StateTimeouts,
    pub icmp_timeouts: StateTimeouts,
    pub other_timeouts: StateTimeouts,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            memcap: 512 << 20,
            // Suricata's defaults.
            tcp_timeouts: StateTimeouts { new: 60, established: 600, closed: 60 },
            udp_timeouts: StateTimeouts { new: 30, established: 300, closed: 0 },
            icmp_timeouts: StateTimeouts { new: 30, established: 300, closed: 0 },
            other_timeouts: StateTimeouts { new: 30, established: 300, closed: 0 },
        }
    }
}

impl FlowConfig {
    /// Flows one table may hold when the memcap is shared by `tables`.
    pub fn max_flows(&self, tables: usize) -> usize {
        let per_flow = table::BYTES_PER_FLOW as u64;
        ((self.memcap / per_flow) / tables.max(1) as u64).max(64) as usize
    }
}

/// Exception policies applied to a flow (EVE `flow.exception_policy`).
pub mod exception {
    /// Seen without its SYN; inspected anyway.
    pub const MIDSTREAM_IGNORE: u8 = 1;
    /// Seen without its SYN; not inspected (`stream.midstream_policy: bypass`).
    pub const MIDSTREAM_BYPASS: u8 = 2;
    /// The application-layer parser gave up on malformed data.
    pub const APP_LAYER_ERROR: u8 = 4;
}

/// Why a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Timeout,
    /// Evicted to make room (memcap).
    Evicted,
    /// End of the capture or shutdown.
    Shutdown,
    /// A new connection reused the flow's addresses and ports.
    Reused,
}

impl EndReason {
    pub fn name(self) -> &'static str {
        match self {
            EndReason::Timeout => "timeout",
            EndReason::Evicted => "forced",
            EndReason::Shutdown => "shutdown",
            // Suricata ends a flow whose ports a new connection reuses by
            // timing it out at once.
            EndReason::Reused => "timeout",
        }
    }
}

/// One flow.
#[derive(Debug)]
pub struct Flow {
    pub key: FlowKey,
    /// EVE `flow_id`: derived from the key and start time, so the same
    /// capture gives the same ids whatever the number of workers.
    pub id: u64,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub proto: u8,
    pub start: Timestamp,
    pub last: Timestamp,
    /// [to_server, to_client]
    pub pkts: [u64; 2],
    pub bytes: [u64; 2],
    pub tcp: TcpTrack,
    /// Reassembly state, once the connection carries payload.
    pub stream: Option<Box<TcpStreams>>,
    /// The application protocol recognised (Unknown until decided).
    pub app_proto: AppProto,
    /// Application-layer parser state, while the protocol is being
    /// recognised or has a parser.
    pub app: Option<Box<crate::app::session::AppSession>>,
    pub detect: FlowDetectState,
    pub alerted: bool,
    /// Capture position of the flow's last packet (orders the alerts
    /// raised when it ends).
    pub last_pcap: u64,
    /// VLAN ids of the flow's first packet (EVE `vlan`).
    pub vlan: [u16; 3],
    pub vlan_count: u8,
    /// TCP flags seen, OR-ed, [to_server, to_client].
    pub tcp_flags: [u8; 2],
    /// ICMP type and code of the first message each way.
    pub icmp: [Option<(u8, u8)>; 2],
    /// Lowest and highest IP TTL (hop limit) seen each way.
    pub ttl: [(u8, u8); 2],
    /// Data was missing from the [client, server] stream.
    pub gaps: [bool; 2],
    /// Application-layer transactions the flow had (EVE `flow.tx_cnt`).
    pub tx_cnt: u32,
    /// The flow had an application-layer parser (so `tx_cnt` is logged).
    pub had_parser: bool,
    /// [`exception`] policies applied.
    pub exception: u8,
    /// Inspection was bypassed by a policy (EVE `flow.state` bypassed).
    pub bypassed: bool,
    /// Copies that arrived truncated (cut to the mirror target's MTU or the
    /// session's packet length).
    pub truncated: u32,
    /// Both directions' parsers were told their stream ended (the TCP
    /// session closed, or was reset).
    pub app_closed: bool,
    /// A TCP session picked up mid-stream from a packet without SYN whose
    /// first data has not been seen yet: that data may still show the
    /// flow's direction was guessed wrong (see [`Flow::reverse`]).
    pub reversible: bool,
    /// The flow this one was announced by (an FTP data connection's
    /// control connection): EVE `parent_id` on every record of the flow.
    pub parent_id: Option<u64>,
    /// The GWLB GENEVE options of the flow's first packet (none for VXLAN
    /// mirroring), for the `mirrorids` object of its records.
    pub aws: crate::decode::vxlan::PackedAwsOptions,
}

impl Flow {
    /// Established: TCP after the handshake (or a pickup), other protocols
    /// once both directions have been seen.
    pub fn established(&self) -> bool {
        match self.proto {
            crate::decode::IPPROTO_TCP => self.tcp.established(),
            _ => self.pkts[0] > 0 && self.pkts[1] > 0,
        }
    }

    /// Nothing more is done with the flow's data: bypassed by a policy, or
    /// passed by a rule while no transaction record needs its parsing.
    pub fn parsing_stopped(&self) -> bool {
        self.bypassed || self.detect.parsing_stopped()
    }

    /// Swaps the flow's ends: its first packets were taken for the
    /// client's, but its first data says the other end is the client
    /// (Suricata's `FlowSwap` after protocol detection in midstream mode).
    /// Only done before any data is buffered or parsed, so the stream and
    /// the application layer have nothing to swap.
    pub fn reverse(&mut self) {
        std::mem::swap(&mut self.client, &mut self.server);
        self.pkts.swap(0, 1);
        self.bytes.swap(0, 1);
        self.tcp_flags.swap(0, 1);
        self.icmp.swap(0, 1);
        self.ttl.swap(0, 1);
        self.gaps.swap(0, 1);
        self.tcp.reverse();
        self.detect.iponly_done.swap(0, 1);
        self.reversible = false;
    }

    pub fn vlans(&self) -> &[u16] {
        &self.vlan[..usize::from(self.vlan_count).min(3)]
    }

    pub fn closed(&self) -> bool {
        self.proto == crate::decode::IPPROTO_TCP && self.tcp.state == TcpState::Closed
    }

    /// Whether a packet from `src:sport` travels client -> server.
    pub fn to_server(&self, src: IpAddr, sport: u16) -> bool {
        (src, sport) == self.client
            || (self.client != self.server && (src, sport) != self.server && src == self.client.0)
    }
}

/// Counters of one flow table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowStats {
    pub created: u64,
    /// Ended early because a new TCP connection reused the 4-tuple.
    pub reused: u64,
    /// Picked up mid-stream the wrong way round and reversed by their
    /// first data ([`Flow::reverse`]).
    pub reversed: u64,
    pub timed_out: u64,
    pub evicted: u64,
    pub ended_at_shutdown: u64,
    pub active: u64,
    pub max_active: u64,
}
