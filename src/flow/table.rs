//! The flow table: flows in a slab, a hash index (randomly keyed: flow keys
//! are attacker-controlled), and one least-recently-used list per timeout
//! class so expiry walks only flows that are due.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use super::{EndReason, Flow, FlowConfig, FlowKey, FlowStats, StateTimeouts};
use crate::decode::{Decoded, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP};
use crate::detect::FlowDetectState;
use crate::util::Timestamp;

/// Memory a flow costs: the flow, its LRU links and its index entry
/// (key + slot + hash-table control bytes, at the index's load factor).
pub const BYTES_PER_FLOW: usize = std::mem::size_of::<Option<Flow>>()
    + std::mem::size_of::<Links>()
    + (std::mem::size_of::<FlowKey>() + 4 + 1) * 8 / 7;

// Stated in the README; keep it honest.
const _: () = assert!(BYTES_PER_FLOW < 512);

const NIL: u32 = u32::MAX;
/// Timeout classes: protocol (tcp, udp, icmp, other) x state (new,
/// established, closed).
const CLASSES: usize = 12;

#[derive(Debug, Clone, Copy)]
struct Links {
    prev: u32,
    next: u32,
    class: u8,
}

#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

pub struct FlowTable {
    index: HashMap<FlowKey, u32, foldhash::fast::RandomState>,
    slots: Vec<Option<Flow>>,
    links: Vec<Links>,
    free: Vec<u32>,
    lists: [List; CLASSES],
    timeouts: [u64; CLASSES],
    max_flows: usize,
    id_hasher: foldhash::fast::FixedState,
    pub stats: FlowStats,
}

fn proto_row(proto: u8) -> usize {
    match proto {
        IPPROTO_TCP => 0,
        IPPROTO_UDP => 1,
        IPPROTO_ICMP | IPPROTO_ICMPV6 => 2,
        _ => 3,
    }
}

fn class_of(f: &Flow) -> usize {
    let state = if f.closed() {
        2
    } else if f.established() {
        1
    } else {
        0
    };
    proto_row(f.proto) * 3 + state
}

impl FlowTable {
    pub fn new(cfg: &FlowConfig, max_flows: usize) -> FlowTable {
        let mut timeouts = [0u64; CLASSES];
        let rows: [StateTimeouts; 4] = [cfg.tcp_timeouts, cfg.udp_timeouts, cfg.icmp_timeouts, cfg.other_timeouts];
        for (r, t) in rows.iter().enumerate() {
            timeouts[r * 3] = t.new;
            timeouts[r * 3 + 1] = t.established;
            timeouts[r * 3 + 2] = t.closed;
        }
        FlowTable {
            index: HashMap::with_capacity_and_hasher(max_flows.min(1 << 16), foldhash::fast::RandomState::default()),
            slots: Vec::new(),
            links: Vec::new(),
            free: Vec::new(),
            lists: [List { head: NIL, tail: NIL }; CLASSES],
            timeouts,
            max_flows: max_flows.max(1),
            id_hasher: foldhash::fast::FixedState::with_seed(0x666c_6f77),
            stats: FlowStats::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Visits every live flow (rule reload).
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut Flow)) {
        for s in self.slots.iter_mut().flatten() {
            f(s);
        }
    }

    pub fn capacity(&self) -> usize {
        self.max_flows
    }

    pub fn get(&self, slot: u32) -> Option<&Flow> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Flow> {
        self.slots.get_mut(slot as usize).and_then(Option::as_mut)
    }

    pub fn find(&self, key: &FlowKey) -> Option<u32> {
        self.index.get(key).copied()
    }

    /// Creates a flow for a packet whose key is not in the table. When the
    /// table is full a flow is evicted first (see [`Self::victim`]) and
    /// handed to `on_end`. `client_is_src` says whether the packet's sender
    /// is the client (a SYN/ACK first makes it the server).
    pub fn create(
        &mut self,
        key: FlowKey,
        dec: &Decoded,
        client_is_src: bool,
        now: Timestamp,
        on_end: &mut impl FnMut(Flow, EndReason),
    ) -> u32 {
        if self.index.len() >= self.max_flows {
            if let Some(victim) = self.victim() {
                if let Some(f) = self.remove(victim) {
                    self.stats.evicted += 1;
                    on_end(f, EndReason::Evicted);
                }
            }
        }
        let (sp, dp) = dec.ports();
        let src = (dec.ip.src, sp);
        let dst = (dec.ip.dst, dp);
        let (client, server) = if client_is_src { (src, dst) } else { (dst, src) };
        let mut h = self.id_hasher.build_hasher();
        key.hash(&mut h);
        now.hash(&mut h);
        let flow = Flow {
            key,
            // 51 bits: exact in JSON consumers that parse numbers as doubles.
            id: h.finish() & 0x0007_ffff_ffff_ffff,
            client,
            server,
            proto: dec.ip.proto,
            start: now,
            last: now,
            pkts: [0; 2],
            bytes: [0; 2],
            tcp: Default::default(),
            stream: None,
            app_proto: Default::default(),
            app: None,
            detect: FlowDetectState::default(),
            alerted: false,
            last_pcap: 0,
            vlan: dec.vlans,
            vlan_count: dec.vlan_count,
            tcp_flags: [0; 2],
            icmp: [None; 2],
            ttl: [(u8::MAX, 0); 2],
            gaps: [false; 2],
            tx_cnt: 0,
            had_parser: false,
            app_closed: false,
            exception: 0,
            bypassed: false,
            truncated: 0,
            parent_id: None,
            reversible: false,
            aws: dec.tunnel.and_then(|t| t.aws).map(Into::into).unwrap_or_default(),
        };
        let class = class_of(&flow) as u8;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(flow);
                s
            }
            None => {
                self.slots.push(Some(flow));
                self.links.push(Links { prev: NIL, next: NIL, class });
                (self.slots.len() - 1) as u32
            }
        };
        self.links[slot as usize] = Links { prev: NIL, next: NIL, class };
        self.push_tail(slot, class as usize);
        self.index.insert(key, slot);
        self.stats.created += 1;
        self.stats.active = self.index.len() as u64;
        self.stats.max_active = self.stats.max_active.max(self.stats.active);
        slot
    }

    /// Records activity: moves the flow to the tail of the list for its
    /// (possibly new) state.
    pub fn touch(&mut self, slot: u32, now: Timestamp) {
        let Some(f) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else { return };
        if now > f.last {
            f.last = now;
        }
        let class = class_of(f);
        self.unlink(slot);
        self.links[slot as usize].class = class as u8;
        self.push_tail(slot, class);
    }

    /// Ends flows whose timeout has passed; `on_end` receives each.
    pub fn expire(&mut self, now: Timestamp, on_end: &mut impl FnMut(Flow, EndReason)) {
        for class in 0..CLASSES {
            let timeout = self.timeouts[class];
            loop {
                let head = self.lists[class].head;
                if head == NIL {
                    break;
                }
                let due = self.slots[head as usize].as_ref().is_some_and(|f| now.secs_since(f.last) >= timeout.max(1));
                if !due {
                    break;
                }
                if let Some(f) = self.remove(head) {
                    self.stats.timed_out += 1;
                    on_end(f, EndReason::Timeout);
                }
            }
        }
    }

    /// Evicts the least recently active flow satisfying `pred` (other than
    /// `keep`), looking at most `scan` flows deep into each timeout list.
    pub fn evict_oldest_where(&mut self, scan: usize, keep: u32, pred: impl Fn(&Flow) -> bool) -> Option<Flow> {
        let mut best: Option<(Timestamp, u32)> = None;
        for list in &self.lists {
            let mut s = list.head;
            let mut n = 0;
            while s != NIL && n < scan {
                if let Some(f) = self.slots[s as usize].as_ref() {
                    if s != keep && pred(f) {
                        if best.is_none_or(|(t, _)| f.last < t) {
                            best = Some((f.last, s));
                        }
                        break;
                    }
                }
                s = self.links[s as usize].next;
                n += 1;
            }
        }
        let f = self.remove(best?.1)?;
        self.stats.evicted += 1;
        Some(f)
    }

    /// Removes a flow before its time (its 4-tuple was reused).
    pub fn end(&mut self, slot: u32) -> Option<Flow> {
        let f = self.remove(slot)?;
        self.stats.reused += 1;
        Some(f)
    }

    /// Ends every flow (end of capture, shutdown).
    pub fn drain(&mut self, on_end: &mut impl FnMut(Flow, EndReason)) {
        let mut slots: Vec<u32> = self.index.values().copied().collect();
        // Deterministic order: by start time, then id.
        slots.sort_by_key(|&s| self.slots[s as usize].as_ref().map(|f| (f.start, f.id)));
        for s in slots {
            if let Some(f) = self.remove(s) {
                self.stats.ended_at_shutdown += 1;
                on_end(f, EndReason::Shutdown);
            }
        }
    }

    /// The flow to evict from a full table: the least recently active of
    /// those not established (half-open TCP, one-way UDP) or already
    /// closed, and only when there is none of those the least recently
    /// active established one. A flood of SYNs or one-packet flows then
    /// evicts itself instead of the sessions it is meant to push out
    /// (Suricata's emergency mode gets part of the way by shortening the
    /// timeouts).
    fn victim(&self) -> Option<u32> {
        let oldest_in = |established: bool| {
            self.lists
                .iter()
                .enumerate()
                .filter(|(class, l)| (class % 3 == 1) == established && l.head != NIL)
                .min_by_key(|(_, l)| self.slots[l.head as usize].as_ref().map(|f| f.last))
                .map(|(_, l)| l.head)
        };
        oldest_in(false).or_else(|| oldest_in(true))
    }

    fn remove(&mut self, slot: u32) -> Option<Flow> {
        let f = self.slots.get_mut(slot as usize)?.take()?;
        self.unlink(slot);
        self.index.remove(&f.key);
        self.free.push(slot);
        self.stats.active = self.index.len() as u64;
        Some(f)
    }

    fn unlink(&mut self, slot: u32) {
        let Links { prev, next, class } = self.links[slot as usize];
        let list = &mut self.lists[class as usize];
        if prev == NIL {
            if list.head == slot {
                list.head = next;
            }
        } else {
            self.links[prev as usize].next = next;
        }
        if next == NIL {
            if list.tail == slot {
                list.tail = prev;
            }
        } else {
            self.links[next as usize].prev = prev;
        }
        self.links[slot as usize].prev = NIL;
        self.links[slot as usize].next = NIL;
    }

    fn push_tail(&mut self, slot: u32, class: usize) {
        let tail = self.lists[class].tail;
        self.links[slot as usize].prev = tail;
        self.links[slot as usize].next = NIL;
        if tail == NIL {
            self.lists[class].head = slot;
        } else {
            self.links[tail as usize].next = slot;
        }
        self.lists[class].tail = slot;
    }
}

#[cfg(test)]
mod tests;
