use std::net::IpAddr;

use super::*;
use crate::decode::{decode_frame, DecodeConfig};
use crate::gen::frames;
use crate::source::LinkType;

fn udp(sport: u16) -> Decoded {
    let src: IpAddr = "10.0.0.1".parse().unwrap();
    let dst: IpAddr = "10.0.0.2".parse().unwrap();
    let f = frames::udp(src, dst, sport, 53, b"x");
    let mut d = Decoded::default();
    decode_frame(&f, LinkType::ETHERNET, &DecodeConfig::default(), &mut d).unwrap();
    d
}

fn ts(s: u64) -> Timestamp {
    Timestamp::from_secs_micros(s, 0)
}

#[test]
fn create_find_expire() {
    let mut t = FlowTable::new(&FlowConfig::default(), 100);
    let ended = std::cell::RefCell::new(Vec::new());
    let mut on_end = |f: Flow, r: EndReason| ended.borrow_mut().push((f.client.1, r));
    for p in 0..10 {
        let d = udp(1000 + p);
        let (k, _) = FlowKey::of(&d);
        let s = t.create(k, &d, true, ts(100 + u64::from(p)), &mut on_end);
        assert_eq!(t.find(&k), Some(s));
    }
    assert_eq!(t.len(), 10);
    // UDP new timeout is 30 s: flows started at 100..=104 are due at 134.
    t.expire(ts(134), &mut on_end);
    assert_eq!(ended.borrow().len(), 5);
    assert!(ended.borrow().iter().all(|&(_, r)| r == EndReason::Timeout));
    assert_eq!(t.stats.timed_out, 5);
    t.drain(&mut on_end);
    assert_eq!(ended.borrow().len(), 10);
    assert!(t.is_empty());
}

#[test]
fn touch_keeps_flows_alive_and_memcap_evicts_oldest() {
    let mut t = FlowTable::new(&FlowConfig::default(), 3);
    let ended = std::cell::RefCell::new(Vec::new());
    let mut on_end = |f: Flow, r: EndReason| ended.borrow_mut().push((f.client.1, r));
    let mut slots = Vec::new();
    for p in 0..3 {
        let d = udp(2000 + p);
        let (k, _) = FlowKey::of(&d);
        slots.push(t.create(k, &d, true, ts(10), &mut on_end));
    }
    // The first flow is active again; the second becomes the oldest.
    t.touch(slots[0], ts(20));
    let d = udp(2003);
    let (k, _) = FlowKey::of(&d);
    t.create(k, &d, true, ts(21), &mut on_end);
    assert_eq!(*ended.borrow(), vec![(2001, EndReason::Evicted)]);
    assert_eq!(t.stats.evicted, 1);
    assert_eq!(t.len(), 3);
}

#[test]
fn a_full_table_evicts_unestablished_flows_before_sessions() {
    let mut t = FlowTable::new(&FlowConfig::default(), 3);
    let ended = std::cell::RefCell::new(Vec::new());
    let mut on_end = |f: Flow, r: EndReason| ended.borrow_mut().push((f.client.1, r));
    // The oldest flow has seen both directions: a session.
    let d = udp(4000);
    let (k, _) = FlowKey::of(&d);
    let session = t.create(k, &d, true, ts(10), &mut on_end);
    let f = t.get_mut(session).unwrap();
    f.pkts = [1, 1];
    t.touch(session, ts(10));
    // A flood of one-packet flows: each new one evicts the oldest of the
    // flood, never the session, however old it gets.
    for p in 1..50 {
        let d = udp(4000 + p);
        let (k, _) = FlowKey::of(&d);
        t.create(k, &d, true, ts(20 + u64::from(p)), &mut on_end);
    }
    assert_eq!(t.len(), 3);
    assert_eq!(t.stats.evicted, 47);
    assert!(ended.borrow().iter().all(|&(port, r)| port != 4000 && r == EndReason::Evicted));
    assert_eq!(t.find(&k), Some(session));
    // A table of sessions only evicts the least recently active one.
    let mut t = FlowTable::new(&FlowConfig::default(), 2);
    ended.borrow_mut().clear();
    for p in 0..3 {
        let d = udp(5000 + p);
        let (k, _) = FlowKey::of(&d);
        let s = t.create(k, &d, true, ts(30 + u64::from(p)), &mut on_end);
        t.get_mut(s).unwrap().pkts = [1, 1];
        t.touch(s, ts(30 + u64::from(p)));
    }
    assert_eq!(*ended.borrow(), vec![(5000, EndReason::Evicted)]);
}

#[test]
fn flow_ids_are_stable_and_js_safe() {
    let mut a = FlowTable::new(&FlowConfig::default(), 10);
    let mut b = FlowTable::new(&FlowConfig::default(), 10);
    let d = udp(3000);
    let (k, _) = FlowKey::of(&d);
    let mut on_end = |_: Flow, _: EndReason| {};
    let sa = a.create(k, &d, true, ts(5), &mut on_end);
    let sb = b.create(k, &d, true, ts(5), &mut on_end);
    let (ia, ib) = (a.get(sa).unwrap().id, b.get(sb).unwrap().id);
    assert_eq!(ia, ib);
    assert!(ia < (1 << 51));
}
