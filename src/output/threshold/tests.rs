use super::*;

fn facts(n: u64, dport: u16) -> MatchFacts {
    MatchFacts {
        gid: 1,
        sid: 7,
        src: "10.0.0.1".parse().unwrap(),
        dst: "1.1.1.1".parse().unwrap(),
        sport: 1000,
        dport,
        flow_id: 42,
        ts: Timestamp::from_secs_micros(1000 + n, 0),
    }
}

fn th(s: &str, df: bool) -> Threshold {
    parse_threshold(s, df).unwrap()
}

/// Alerts out of `n` matches.
fn run(t: Option<Threshold>, df: Option<Threshold>, n: u64) -> usize {
    let mut x = Thresholds::new(ThresholdFile::default(), 1000);
    (0..n).filter(|&i| x.check(&facts(i, 80), t.as_ref(), df.as_ref()) != Verdict::Suppress).count()
}

#[test]
fn corpus_threshold_rule_flow() {
    // threshold/threshold-rule-flow: 8 echo requests in one flow.
    assert_eq!(run(None, None, 8), 8);
    assert_eq!(run(Some(th("type limit, track by_flow, count 1, seconds 3600", false)), None, 8), 1);
    assert_eq!(run(Some(th("type limit, track by_flow, count 2, seconds 3600", false)), None, 8), 2);
    assert_eq!(run(Some(th("type both, track by_flow, count 3, seconds 3600", false)), None, 8), 1);
    assert_eq!(run(Some(th("type threshold, track by_flow, count 3, seconds 3600", false)), None, 8), 2);
}

#[test]
fn corpus_detection_filter_rule_flow() {
    for (count, want) in [(1, 7), (2, 6), (4, 4), (7, 1), (8, 0)] {
        let df = th(&format!("track by_flow, count {count}, seconds 3600"), true);
        assert_eq!(run(None, Some(df), 8), want, "count {count}");
    }
}

#[test]
fn windows_expire() {
    let t = th("type limit, track by_src, count 1, seconds 10", false);
    let mut x = Thresholds::new(ThresholdFile::default(), 1000);
    let v: Vec<bool> =
        [0u64, 5, 11, 12, 30].iter().map(|&s| x.check(&facts(s, 80), Some(&t), None) == Verdict::Alert).collect();
    assert_eq!(v, vec![true, false, true, false, true]);
}

#[test]
fn unique_on_distinct_ports() {
    let df = th("track by_dst, count 1, seconds 60, unique_on dst_port", true);
    let mut x = Thresholds::new(ThresholdFile::default(), 1000);
    assert_eq!(x.check(&facts(0, 80), None, Some(&df)), Verdict::Suppress);
    assert_eq!(x.check(&facts(1, 80), None, Some(&df)), Verdict::Suppress, "same port again");
    assert_eq!(x.check(&facts(2, 443), None, Some(&df)), Verdict::Alert);
}

#[test]
fn threshold_file_suppress_override_rate() {
    let text = "# comment\nsuppress gen_id 1, sig_id 7, track by_src, ip 10.0.0.0/8\nsuppress gen_id 1, sig_id 8\nthreshold gen_id 1, sig_id 9, type limit, track by_rule, count 2, seconds 60\nrate_filter gen_id 1, sig_id 10, track by_rule, count 2, seconds 60, new_action drop, timeout 10\n";
    let f = ThresholdFile::parse(text, &Vars::default()).unwrap();
    let mut x = Thresholds::new(f, 1000);
    assert_eq!(x.check(&facts(0, 80), None, None), Verdict::Suppress);
    let mut other_src = facts(0, 80);
    other_src.src = "8.8.8.8".parse().unwrap();
    assert_eq!(x.check(&other_src, None, None), Verdict::Alert);
    let mut s8 = facts(0, 80);
    s8.sid = 8;
    assert_eq!(x.check(&s8, None, None), Verdict::Suppress);
    let mut s9 = facts(0, 80);
    s9.sid = 9;
    let rule_th = th("type limit, track by_src, count 100, seconds 60", false);
    let alerts = (0..5).filter(|_| x.check(&s9, Some(&rule_th), None) == Verdict::Alert).count();
    assert_eq!(alerts, 2, "the file overrides the rule");
    let mut s10 = facts(0, 80);
    s10.sid = 10;
    let v: Vec<Verdict> = (0..4).map(|_| x.check(&s10, None, None)).collect();
    assert_eq!(
        v,
        vec![Verdict::Alert, Verdict::Alert, Verdict::AlertAs(RateAction::Drop), Verdict::AlertAs(RateAction::Drop)]
    );
}

#[test]
fn threshold_file_errors_name_the_line() {
    let err =
        ThresholdFile::parse("suppress gen_id 1, sig_id 2\nbogus gen_id 1, sig_id 2\n", &Vars::default()).unwrap_err();
    assert_eq!(err.0, 2);
    assert!(ThresholdFile::parse("suppress gen_id 1\n", &Vars::default()).is_err());
    assert!(ThresholdFile::parse("suppress gen_id 1, sig_id 2, track by_src\n", &Vars::default()).is_err());
}

#[test]
fn memcap_fails_open_and_counts() {
    let t = th("type limit, track by_src, count 1, seconds 60", false);
    let mut x = Thresholds::new(ThresholdFile::default(), 2);
    for i in 0..5u8 {
        let mut f = facts(0, 80);
        f.src = IpAddr::from([10, 0, 0, i]);
        assert_eq!(x.check(&f, Some(&t), None), Verdict::Alert);
    }
    assert_eq!(x.stats.memcap_full, 3);
}

#[test]
fn by_both_is_the_pair_in_either_direction() {
    let t = th("type limit, track by_both, count 1, seconds 60", false);
    let mut x = Thresholds::new(ThresholdFile::default(), 1000);
    let mut m = facts(0, 80);
    assert_eq!(x.check(&m, Some(&t), None), Verdict::Alert);
    (m.src, m.dst) = (m.dst, m.src);
    assert_eq!(x.check(&m, Some(&t), None), Verdict::Suppress, "the reverse direction is the same pair");
    m.src = "10.9.9.9".parse().unwrap();
    assert_eq!(x.check(&m, Some(&t), None), Verdict::Alert);
}

#[test]
fn threshold_file_sig_id_0_spares_rules_with_their_own() {
    let text = "threshold gen_id 1, sig_id 0, type limit, track by_src, count 1, seconds 60\n";
    let mut x = Thresholds::new(ThresholdFile::parse(text, &Vars::default()).unwrap(), 1000);
    let plain = (0..5).filter(|&i| x.check(&facts(i, 80), None, None) == Verdict::Alert).count();
    assert_eq!(plain, 1, "a rule without a threshold takes the global line");
    let mut other = facts(0, 80);
    other.sid = 8;
    let own = th("type limit, track by_src, count 3, seconds 60", false);
    let kept = (0..5).filter(|_| x.check(&other, Some(&own), None) == Verdict::Alert).count();
    assert_eq!(kept, 3, "a rule with its own threshold keeps it");
}

#[test]
fn backoff_alerts_on_count_times_powers_of_the_multiplier() {
    let alerted = |spec: &str, n: u64| -> Vec<u64> {
        let t = th(spec, false);
        let mut x = Thresholds::new(ThresholdFile::default(), 1000);
        (0..n).filter(|&i| x.check(&facts(i, 80), Some(&t), None) == Verdict::Alert).map(|i| i + 1).collect()
    };
    // Suricata's documented sequences: 1, 2, 4, 8, 16 and 5, 25, 125.
    assert_eq!(alerted("type backoff, track by_flow, count 1, multiplier 2", 30), vec![1, 2, 4, 8, 16]);
    assert_eq!(alerted("type backoff, track by_flow, count 5, multiplier 5", 130), vec![5, 25, 125]);
    assert_eq!(alerted("type backoff, track by_flow, count 1, multiplier 10", 100), vec![1, 10, 100]);
}
