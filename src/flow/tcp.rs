//! TCP connection state, as much as flow keywords and timeouts need:
//! handshake progress (with mid-stream and one-sided pickup), closing,
//! and per-direction sequence tracking for `stream_size`.

use serde::{Deserialize, Serialize};

use crate::decode::tcp::{ACK, FIN, RST, SYN};
use crate::decode::TcpInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TcpState {
    #[default]
    None,
    SynSent,
    SynRecv,
    Established,
    /// FIN seen in one or both directions.
    Closing,
    Closed,
}

/// How far an established session has closed, with Suricata's names for
/// its TCP states (named from the server's side: a FIN from the client
/// puts it in CLOSE_WAIT, one from the server in FIN_WAIT1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CloseStage {
    #[default]
    Open,
    FinWait1,
    FinWait2,
    Closing,
    TimeWait,
    CloseWait,
    LastAck,
    Closed,
}

/// What to do with a TCP session first seen after its SYN (Suricata's
/// `stream.midstream-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MidstreamPolicy {
    /// Inspect it (established if `midstream` is on).
    #[default]
    Ignore,
    /// Do not inspect it at all (counted).
    Bypass,
}

/// How sessions are picked up; see the README on why a mirror target wants
/// both on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TcpPickup {
    /// Treat a session seen without its handshake as established
    /// (Suricata's `stream.midstream`).
    pub midstream: bool,
    /// Complete the handshake when only one direction is seen (Suricata's
    /// `stream.async-oneside`).
    pub async_oneside: bool,
    pub midstream_policy: MidstreamPolicy,
}

impl Default for TcpPickup {
    fn default() -> Self {
        TcpPickup { midstream: true, async_oneside: true, midstream_policy: MidstreamPolicy::Ignore }
    }
}

/// Per-direction sequence tracking.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeqTrack {
    pub isn: u32,
    pub next: u32,
    pub seen: bool,
    /// The first segment seen was a SYN (so `isn` is the real ISN).
    pub syn: bool,
}

impl SeqTrack {
    /// Sequence number of the direction's first data byte, as far as it
    /// is known (the first segment seen, for a session picked up
    /// mid-stream).
    pub fn stream_start(&self) -> Option<u32> {
        self.seen.then(|| self.isn.wrapping_add(u32::from(self.syn)))
    }

    fn update(&mut self, seq: u32, len: u32, syn: bool) {
        if !self.seen {
            self.seen = true;
            self.syn = syn;
            self.isn = seq;
            self.next = seq.wrapping_add(len).wrapping_add(u32::from(syn));
            return;
        }
        let end = seq.wrapping_add(len).wrapping_add(u32::from(syn));
        if (end.wrapping_sub(self.next) as i32) > 0 {
            self.next = end;
        }
    }

    /// Bytes sent so far (sequence space, SYN excluded).
    pub fn bytes(&self) -> u64 {
        if !self.seen {
            return 0;
        }
        u64::from(self.next.wrapping_sub(self.isn).saturating_sub(1))
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TcpTrack {
    pub state: TcpState,
    /// [client, server]
    pub seq: [SeqTrack; 2],
    /// The session was picked up without (all of) its handshake.
    pub midstream: bool,
    /// Both sides sent a SYN (split or simultaneous open): the handshake
    /// completes with the server's ACK of the client's SYN/ACK.
    pub four_whs: bool,
    /// Latest acknowledgement number sent by [client, server].
    pub last_ack: [Option<u32>; 2],
    /// The session reached the established state at some point (a reset
    /// closes it, but its data was exchanged established).
    pub was_established: bool,
    /// Closing handshake progress once established (EVE `tcp.state`).
    pub close: CloseStage,
    /// Sequence number just after the FIN sent by [client, server]: what
    /// the other side acknowledges to complete the close.
    pub fin_end: [Option<u32>; 2],
}

/// What the tracker concluded about the first packet of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstPacket {
    /// Its sender is the client.
    Client,
    /// A SYN/ACK first: its sender is the server (the flow is reversed).
    Server,
}

/// Payload only a server sends first: an HTTP/1.x status line
/// (`HTTP/1.1 200`) or a TLS record carrying a ServerHello.
fn sent_by_server(p: &[u8]) -> bool {
    let http = p.len() >= 12
        && p.starts_with(b"HTTP/1.")
        && p[7].is_ascii_digit()
        && p[8] == b' '
        && p[9..12].iter().all(u8::is_ascii_digit);
    let server_hello = p.len() >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[5] == 0x02;
    http || server_hello
}

impl TcpTrack {
    /// Decides the direction of a new flow from its first segment: a SYN
    /// comes from the client, a SYN/ACK from the server. A segment without
    /// SYN (a session picked up mid-stream, normal behind an NLB) comes
    /// from the server when its payload is what only a server sends (an
    /// HTTP status line, a TLS ServerHello: Suricata reverses such a
    /// picked-up flow once protocol detection sees it), else when it
    /// leaves a well-known port for an ephemeral one, so `flow:to_server`
    /// means what rule writers expect.
    pub fn first_packet(t: &TcpInfo, payload: &[u8], pickup: TcpPickup) -> FirstPacket {
        if t.flags & SYN != 0 {
            // A SYN/ACK seen first is picked up (and the flow reversed)
            // with mid-stream pickup or one-sided streams, as in Suricata.
            if (pickup.midstream || pickup.async_oneside) && t.flags & ACK != 0 {
                return FirstPacket::Server;
            }
            return FirstPacket::Client;
        }
        if sent_by_server(payload) {
            return FirstPacket::Server;
        }
        if t.sport < 1024 && t.dport >= 1024 {
            FirstPacket::Server
        } else {
            FirstPacket::Client
        }
    }

    /// Advances the state with a segment from the client (`to_server`) or
    /// the server.
    pub fn update(&mut self, t: &TcpInfo, payload_len: u32, to_server: bool, first: bool, pickup: TcpPickup) {
        let was = self.was_established;
        self.advance(t, payload_len, to_server, first, pickup);
        self.was_established |= self.established();
        if t.flags & FIN != 0 {
            let d = usize::from(!to_server);
            self.fin_end[d] = Some(t.seq.wrapping_add(payload_len).wrapping_add(1));
        }
        if t.flags & RST != 0 {
            self.close = CloseStage::Closed;
        } else if self.was_established && (was || self.established()) {
            self.close = self.close_step(t, to_server);
        }
    }

    /// Advances the closing handshake as Suricata's TCP state machine does.
    fn close_step(&self, t: &TcpInfo, to_server: bool) -> CloseStage {
        let (fin, ack) = (t.flags & FIN != 0, t.flags & ACK != 0);
        // Acknowledges the FIN the other side sent.
        let acks_peer_fin =
            ack && self.fin_end[usize::from(to_server)].is_some_and(|e| t.ack.wrapping_sub(e) as i32 >= 0);
        use CloseStage::*;
        match (self.close, to_server) {
            (Open, true) if fin => CloseWait,
            (Open, false) if fin => FinWait1,
            (FinWait1, true) if fin && acks_peer_fin => TimeWait,
            (FinWait1, true) if fin => Closing,
            (FinWait1, true) if acks_peer_fin => FinWait2,
            (FinWait2, true) if fin => TimeWait,
            (Closing, _) if acks_peer_fin => TimeWait,
            (CloseWait, false) if fin => LastAck,
            (LastAck, true) if acks_peer_fin => Closed,
            (TimeWait, false) if acks_peer_fin => Closed,
            (s, _) => s,
        }
    }

    /// Suricata's name for the session's TCP state (EVE `tcp.state`); None
    /// when no session was started (no SYN seen and no mid-stream pickup).
    pub fn state_name(&self) -> Option<&'static str> {
        Some(match (self.state, self.close) {
            (TcpState::None, _) => return None,
            (TcpState::Closed, _) | (_, CloseStage::Closed) => "closed",
            (TcpState::SynSent, _) => "syn_sent",
            (TcpState::SynRecv, _) => "syn_recv",
            (_, CloseStage::Open) => "established",
            (_, CloseStage::FinWait1) => "fin_wait1",
            (_, CloseStage::FinWait2) => "fin_wait2",
            (_, CloseStage::Closing) => "closing",
            (_, CloseStage::TimeWait) => "time_wait",
            (_, CloseStage::CloseWait) => "close_wait",
            (_, CloseStage::LastAck) => "last_ack",
        })
    }

    /// The flow counts as closed (EVE `flow.state`): Suricata moves the
    /// flow to CLOSED at LAST_ACK, TIME_WAIT and CLOSED.
    pub fn flow_closed(&self) -> bool {
        self.state == TcpState::Closed
            || matches!(self.close, CloseStage::LastAck | CloseStage::TimeWait | CloseStage::Closed)
    }

    fn advance(&mut self, t: &TcpInfo, payload_len: u32, to_server: bool, first: bool, pickup: TcpPickup) {
        let f = t.flags;
        let dir = usize::from(!to_server);
        self.seq[dir].update(t.seq, payload_len, f & SYN != 0);
        if f & ACK != 0 {
            self.last_ack[dir] = Some(t.ack);
        }
        if f & RST != 0 {
            self.state = TcpState::Closed;
            return;
        }
        if first {
            self.state = match (f & SYN != 0, f & ACK != 0) {
                (true, false) => TcpState::SynSent,
                (true, true) => {
                    self.midstream = true;
                    TcpState::SynRecv
                }
                _ if pickup.midstream => {
                    self.midstream = true;
                    TcpState::Established
                }
                _ => TcpState::None,
            };
            if f & FIN != 0 && self.state == TcpState::Established {
                self.state = TcpState::Closing;
            }
            return;
        }
        self.state = match self.state {
            TcpState::None if pickup.midstream && f & SYN == 0 => {
                self.midstream = true;
                TcpState::Established
            }
            TcpState::SynSent if !to_server && f & (SYN | ACK) == SYN | ACK => TcpState::SynRecv,
            TcpState::SynSent if !to_server && f & (SYN | ACK) == SYN => {
                self.four_whs = true;
                TcpState::SynSent
            }
            TcpState::SynSent if to_server && self.four_whs && f & (SYN | ACK) == SYN | ACK => TcpState::SynRecv,
            TcpState::SynRecv if !to_server && self.four_whs && f & ACK != 0 && f & SYN == 0 => TcpState::Established,
            // One-sided: the client's ACK without a SYN/ACK seen.
            TcpState::SynSent if to_server && f & ACK != 0 && f & SYN == 0 && pickup.async_oneside => {
                TcpState::Established
            }
            TcpState::SynRecv if to_server && f & ACK != 0 && f & SYN == 0 => TcpState::Established,
            // Server side only (async): the server's data after its SYN/ACK;
            // also for a session picked up from its SYN/ACK mid-stream
            // (Suricata's MIDSTREAM_SYNACK), one-sided support or not.
            TcpState::SynRecv
                if !to_server && f & SYN == 0 && (pickup.async_oneside || (self.midstream && pickup.midstream)) =>
            {
                TcpState::Established
            }
            TcpState::Established | TcpState::Closing if f & FIN != 0 => TcpState::Closing,
            s => s,
        };
    }

    pub fn established(&self) -> bool {
        matches!(self.state, TcpState::Established | TcpState::Closing)
    }

    /// The other end was the client after all: per-direction state
    /// changes sides, and a closing stage named from the server's side
    /// becomes its mirror image.
    pub fn reverse(&mut self) {
        self.seq.swap(0, 1);
        self.last_ack.swap(0, 1);
        self.fin_end.swap(0, 1);
        self.close = match self.close {
            CloseStage::FinWait1 => CloseStage::CloseWait,
            CloseStage::CloseWait => CloseStage::FinWait1,
            CloseStage::FinWait2 => CloseStage::LastAck,
            CloseStage::LastAck => CloseStage::FinWait2,
            s => s,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(flags: u8, seq: u32) -> TcpInfo {
        TcpInfo { sport: 1, dport: 2, seq, ack: 0, flags, window: 0, header_len: 20, urgent: 0 }
    }

    #[test]
    fn three_way_handshake() {
        let p = TcpPickup { midstream: false, async_oneside: false, ..TcpPickup::default() };
        let mut t = TcpTrack::default();
        t.update(&seg(SYN, 100), 0, true, true, p);
        assert_eq!(t.state, TcpState::SynSent);
        t.update(&seg(SYN | ACK, 500), 0, false, false, p);
        assert_eq!(t.state, TcpState::SynRecv);
        t.update(&seg(ACK, 101), 0, true, false, p);
        assert!(t.established());
        t.update(&seg(ACK, 101), 10, true, false, p);
        assert_eq!(t.seq[0].bytes(), 10);
        t.update(&seg(FIN | ACK, 111), 0, true, false, p);
        assert_eq!(t.state, TcpState::Closing);
        t.update(&seg(RST, 501), 0, false, false, p);
        assert_eq!(t.state, TcpState::Closed);
        assert!(t.was_established && !t.established());
    }

    #[test]
    fn midstream_and_one_sided() {
        let strict = TcpPickup { midstream: false, async_oneside: false, ..TcpPickup::default() };
        let mut t = TcpTrack::default();
        t.update(&seg(ACK, 1), 5, true, true, strict);
        assert!(!t.established(), "no handshake, no midstream");
        let mut t = TcpTrack::default();
        t.update(&seg(ACK, 1), 5, true, true, TcpPickup::default());
        assert!(t.established() && t.midstream);
        // Only the client side mirrored.
        let oneside = TcpPickup { midstream: false, async_oneside: true, ..TcpPickup::default() };
        let mut t = TcpTrack::default();
        t.update(&seg(SYN, 1), 0, true, true, oneside);
        t.update(&seg(ACK, 2), 0, true, false, oneside);
        assert!(t.established());
        assert_eq!(TcpTrack::first_packet(&seg(SYN | ACK, 1), &[], TcpPickup::default()), FirstPacket::Server);
        let mut reply = seg(ACK, 1);
        reply.sport = 445;
        reply.dport = 49216;
        assert_eq!(TcpTrack::first_packet(&reply, &[], TcpPickup::default()), FirstPacket::Server);
        reply.sport = 50000;
        assert_eq!(TcpTrack::first_packet(&reply, &[], TcpPickup::default()), FirstPacket::Client);
        // What the payload says wins over the ports.
        let status = b"HTTP/1.1 200 OK\r\n";
        assert_eq!(TcpTrack::first_packet(&reply, status, TcpPickup::default()), FirstPacket::Server);
        let hello = [0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00];
        assert_eq!(TcpTrack::first_packet(&reply, &hello, TcpPickup::default()), FirstPacket::Server);
        let request = b"GET / HTTP/1.1\r\n";
        assert_eq!(TcpTrack::first_packet(&reply, request, TcpPickup::default()), FirstPacket::Client);
        assert_eq!(TcpTrack::first_packet(&reply, b"HTTP/1.1 2", TcpPickup::default()), FirstPacket::Client);
    }

    #[test]
    fn four_way_handshake() {
        let p = TcpPickup { midstream: false, async_oneside: false, ..TcpPickup::default() };
        let mut t = TcpTrack::default();
        t.update(&seg(SYN, 0), 0, true, true, p);
        t.update(&seg(SYN, 0), 0, false, false, p);
        t.update(&seg(SYN | ACK, 0), 0, true, false, p);
        assert_eq!(t.state, TcpState::SynRecv);
        t.update(&seg(ACK, 1), 0, false, false, p);
        assert!(t.established() && t.four_whs);
        assert_eq!(t.seq[0].stream_start(), Some(1));
        assert_eq!(t.seq[1].stream_start(), Some(1));
    }

    fn ack(flags: u8, seq: u32, ack: u32) -> TcpInfo {
        TcpInfo { ack, ..seg(flags, seq) }
    }

    #[test]
    fn closing_states_have_suricata_names() {
        let p = TcpPickup { midstream: false, async_oneside: false, ..TcpPickup::default() };
        let open = |t: &mut TcpTrack| {
            t.update(&seg(SYN, 100), 0, true, true, p);
            t.update(&ack(SYN | ACK, 500, 101), 0, false, false, p);
            t.update(&ack(ACK, 101, 501), 0, true, false, p);
        };
        // Client closes first: close_wait, last_ack, closed.
        let mut t = TcpTrack::default();
        open(&mut t);
        assert_eq!(t.state_name(), Some("established"));
        t.update(&ack(FIN | ACK, 101, 501), 0, true, false, p);
        assert_eq!((t.state_name(), t.flow_closed()), (Some("close_wait"), false));
        t.update(&ack(FIN | ACK, 501, 102), 0, false, false, p);
        assert_eq!((t.state_name(), t.flow_closed()), (Some("last_ack"), true));
        t.update(&ack(ACK, 102, 502), 0, true, false, p);
        assert_eq!(t.state_name(), Some("closed"));
        // Server closes first: fin_wait1, fin_wait2, time_wait, closed.
        let mut t = TcpTrack::default();
        open(&mut t);
        t.update(&ack(FIN | ACK, 501, 101), 0, false, false, p);
        assert_eq!(t.state_name(), Some("fin_wait1"));
        t.update(&ack(ACK, 101, 502), 0, true, false, p);
        assert_eq!(t.state_name(), Some("fin_wait2"));
        t.update(&ack(FIN | ACK, 101, 502), 0, true, false, p);
        assert_eq!(t.state_name(), Some("time_wait"));
        t.update(&ack(ACK, 502, 102), 0, false, false, p);
        assert_eq!(t.state_name(), Some("closed"));
        // No handshake, no pickup: no session at all.
        let mut t = TcpTrack::default();
        t.update(&seg(ACK, 1), 5, true, true, p);
        assert_eq!(t.state_name(), None);
    }

    #[test]
    fn sequence_wraparound() {
        let mut s = SeqTrack::default();
        s.update(u32::MAX - 5, 0, true);
        s.update(u32::MAX - 4, 100, false);
        assert_eq!(s.bytes(), 100);
    }
}
