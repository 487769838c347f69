//! A worker's traffic counters in the shape of Suricata's `flow` and `tcp`
//! stats: flows by protocol, how they ended (flow state, TCP state), TCP
//! packets by flag, sessions and mid-stream pickups. A few increments per
//! packet and per flow; merged across workers when the stats are taken.

use crate::decode::tcp::{ACK, RST, SYN, URG};
use crate::decode::{Decoded, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, L4};
use crate::flow::Flow;

/// Suricata's `flow.end.state` names, in its order.
pub const FLOW_STATES: [&str; 3] = ["new", "established", "closed"];
/// Suricata's `flow.end.tcp_state` names, in its order.
pub const TCP_STATES: [&str; 11] = [
    "none",
    "syn_sent",
    "syn_recv",
    "established",
    "fin_wait1",
    "fin_wait2",
    "time_wait",
    "last_ack",
    "close_wait",
    "closing",
    "closed",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficCounters {
    /// Flows created by protocol.
    pub flows_tcp: u64,
    pub flows_udp: u64,
    pub flows_icmpv4: u64,
    pub flows_icmpv6: u64,
    /// Flows that ended, by EVE `flow.state` ([`FLOW_STATES`]).
    pub end_state: [u64; 3],
    /// TCP flows that ended, by TCP state ([`TCP_STATES`]).
    pub end_tcp_state: [u64; 11],
    /// TCP packets with SYN (not ACK), SYN+ACK, RST, URG.
    pub syn: u64,
    pub synack: u64,
    pub rst: u64,
    pub urg: u64,
    /// TCP sessions tracked, and those first seen without their SYN.
    pub tcp_sessions: u64,
    pub midstream_pickups: u64,
}

impl TrafficCounters {
    /// One packet (TCP flags).
    pub fn packet(&mut self, dec: &Decoded) {
        if let L4::Tcp(t) = dec.l4 {
            match t.flags & (SYN | ACK) {
                SYN => self.syn += 1,
                f if f == SYN | ACK => self.synack += 1,
                _ => {}
            }
            if t.flags & RST != 0 {
                self.rst += 1;
            }
            if t.flags & URG != 0 {
                self.urg += 1;
            }
        }
    }

    /// A flow was created by a packet; `syn` says whether that packet was a
    /// SYN (else a TCP session is picked up mid-stream).
    pub fn flow_created(&mut self, proto: u8, syn: bool) {
        match proto {
            IPPROTO_TCP => {
                self.flows_tcp += 1;
                self.tcp_sessions += 1;
                if !syn {
                    self.midstream_pickups += 1;
                }
            }
            IPPROTO_UDP => self.flows_udp += 1,
            IPPROTO_ICMP => self.flows_icmpv4 += 1,
            IPPROTO_ICMPV6 => self.flows_icmpv6 += 1,
            _ => {}
        }
    }

    /// A flow ended in `state` (EVE `flow.state`), with its TCP state name.
    pub fn flow_ended(&mut self, f: &Flow, state: &str) {
        if let Some(i) = FLOW_STATES.iter().position(|s| *s == state) {
            self.end_state[i] += 1;
        }
        if f.proto == IPPROTO_TCP {
            let tcp = f.tcp.state_name().unwrap_or("none");
            if let Some(i) = TCP_STATES.iter().position(|s| *s == tcp) {
                self.end_tcp_state[i] += 1;
            }
        }
    }

    pub fn merge(&mut self, o: &TrafficCounters) {
        self.flows_tcp += o.flows_tcp;
        self.flows_udp += o.flows_udp;
        self.flows_icmpv4 += o.flows_icmpv4;
        self.flows_icmpv6 += o.flows_icmpv6;
        for (a, b) in self.end_state.iter_mut().zip(o.end_state) {
            *a += b;
        }
        for (a, b) in self.end_tcp_state.iter_mut().zip(o.end_tcp_state) {
            *a += b;
        }
        self.syn += o.syn;
        self.synack += o.synack;
        self.rst += o.rst;
        self.urg += o.urg;
        self.tcp_sessions += o.tcp_sessions;
        self.midstream_pickups += o.midstream_pickups;
    }
}
