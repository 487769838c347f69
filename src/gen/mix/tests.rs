use super::*;

fn run(cfg: GenConfig) -> (GenStats, Vec<TruthRecord>, Vec<u8>) {
    Generator::new(cfg, Vec::new()).unwrap().run().unwrap()
}

#[test]
fn deterministic() {
    let cfg = GenConfig { target_bytes: 300_000, ..GenConfig::default() };
    let (s1, t1, b1) = run(cfg.clone());
    let (s2, t2, b2) = run(cfg);
    assert_eq!(s1, s2);
    assert_eq!(t1, t2);
    assert_eq!(b1, b2);
    assert!(s1.bytes >= 300_000);
    assert_eq!(t1.len(), ATTACKS.len(), "each attack once");
}

#[test]
fn captures_are_time_ordered_and_decodable() {
    use crate::decode::{decode_frame, DecodeConfig, Decoded};
    use crate::source::pcap::PcapReader;
    let cfg = GenConfig { target_bytes: 2_000_000, jumbo: 0.5, ..GenConfig::default() };
    let (stats, _, bytes) = run(cfg);
    assert!(stats.truncated > 0, "some jumbo segments arrive truncated");
    let mut r = PcapReader::new(std::path::Path::new("gen"), std::io::Cursor::new(bytes)).unwrap();
    let mut last = Timestamp::ZERO;
    let (mut n, mut truncated, mut vnis) = (0, 0, std::collections::BTreeSet::new());
    let mut buf = Vec::new();
    while let Some(m) = r.next_frame(&mut buf).unwrap() {
        assert!(m.ts >= last);
        last = m.ts;
        let mut d = Decoded::default();
        decode_frame(&buf, m.linktype, &DecodeConfig::default(), &mut d).unwrap();
        let t = d.tunnel.expect("every copy is VXLAN-wrapped");
        vnis.insert(t.vni);
        truncated += u64::from(d.is_truncated());
        n += 1;
        buf.clear();
    }
    assert_eq!(n, stats.packets);
    assert_eq!(truncated, stats.truncated);
    assert_eq!(vnis.len(), 3);
}

#[test]
fn et_plans_inject_each_et_attack_once() {
    use crate::gen::et_attacks::ET_ATTACKS;
    let cfg = GenConfig { target_bytes: 200_000, attacks: AttackPlan::EtEachOnce, ..GenConfig::default() };
    let (stats, truth, _) = run(cfg);
    assert_eq!(stats.attacks as usize, ET_ATTACKS.len());
    for (t, a) in truth.iter().zip(ET_ATTACKS) {
        assert_eq!((t.attack, t.sid, t.rule_file), (a.name, a.sid, Some(a.rule_file)));
        assert!(t.vni.is_some() && t.src_port.is_some() && t.dest_port.is_some());
        // The alerting side is named first: the server for to_client
        // rules, the client otherwise.
        let server_port = if a.to_client() { t.src_port } else { t.dest_port };
        assert!(matches!(server_port, Some(53 | 80 | 443)), "{t:?}");
    }
    let cfg = GenConfig { target_bytes: 200_000, attacks: AttackPlan::AllEachOnce, ..GenConfig::default() };
    let (_, truth, _) = run(cfg);
    assert_eq!(truth.len(), ATTACKS.len() + ET_ATTACKS.len());
}

/// Share of sessions that are DNS exchanges, from the capture itself:
/// UDP packets to port 53 (one query per DNS session) over all sessions.
fn dns_share(mix: SessionMix) -> f64 {
    use crate::decode::{decode_frame, DecodeConfig, Decoded, L4};
    use crate::source::pcap::PcapReader;
    let cfg = GenConfig { target_bytes: 3_000_000, attacks: AttackPlan::None, mix, ..GenConfig::default() };
    let (stats, _, bytes) = run(cfg);
    let mut r = PcapReader::new(std::path::Path::new("gen"), std::io::Cursor::new(bytes)).unwrap();
    let (mut buf, mut d, mut queries) = (Vec::new(), Decoded::default(), 0u64);
    while let Some(m) = r.next_frame(&mut buf).unwrap() {
        decode_frame(&buf, m.linktype, &DecodeConfig::default(), &mut d).unwrap();
        queries += u64::from(matches!(d.l4, L4::Udp(u) if u.dport == 53));
        buf.clear();
    }
    queries as f64 / stats.sessions as f64
}

#[test]
fn the_mirror_mix_is_mostly_dns_flows_and_the_balanced_one_is_not() {
    let (mirror, balanced) = (dns_share(SessionMix::MIRROR), dns_share(SessionMix::BALANCED));
    assert!((0.88..0.97).contains(&mirror), "mirror: {mirror}");
    assert!((0.08..0.22).contains(&balanced), "balanced: {balanced}");
}
