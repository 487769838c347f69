"""threshold (every type and track), detection_filter and threshold.config
(threshold/event_filter, suppress, rate_filter). Matches are UDP datagrams
to port 9999, 1 ms apart unless the case moves the clock on."""

from casebook import case, sig
from traffic import CLIENT, SERVER

TH = "rules/thresholding.html"
GT = "configuration/global-thresholds.html"
HOST_B = "10.0.0.2"
SERVER_T = "192.0.2.20"

THRESHOLD_YAML = """\
    %YAML 1.1
    ---
    threshold-file: threshold.config
    vars:
      address-groups:
        HOME_NET: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"
        EXTERNAL_NET: "!$HOME_NET"
    outputs:
      - eve-log:
          enabled: yes
          filetype: regular
          filename: eve.json
          types:
            - alert
    """


def udp(opts, sid, msg=None):
    return sig("udp", opts, sid, msg or f"case {sid}")


def matches(c, token, n, **kw):
    for _ in range(n):
        c.cap.udp(token, **kw)


@case("threshold-type-threshold")
def threshold_type_threshold(c):
    c.about = f"""threshold type threshold ({TH}#threshold): "a threshold setting
    with a count value of C will generate an alert the Cth time the alert
    matches"; it then starts counting again ("action applied on Cth match,
    then reset"). 7 matches in one second: count 3 alerts on the 3rd and
    the 6th; count 8 never; count 1 on every match."""
    matches(c, b"THR", 7)
    c.rule(udp('content:"THR"; threshold:type threshold,track by_src,count 3,seconds 60;', 1), 2, "3rd and 6th")
    c.rule(udp('content:"THR"; threshold:type threshold,track by_src,count 8,seconds 60;', 2), 0, "7 < 8")
    c.rule(udp('content:"THR"; threshold:type threshold,track by_src,count 1,seconds 60;', 3), 7, "every match")
    c.rule(udp('content:"THR"; threshold: type threshold, track by_dst, count 7, seconds 60;', 4), 1,
           "the 7th, with spaces in the options")


@case("threshold-type-limit")
def threshold_type_limit(c):
    c.about = f"""threshold type limit ({TH}#type-limit): "a limit with a count of N
    won't generate more than N alerts" per period of `seconds`. 5 matches."""
    matches(c, b"LIM", 5)
    c.rule(udp('content:"LIM"; threshold:type limit,track by_src,count 2,seconds 60;', 1), 2, "the first two")
    c.rule(udp('content:"LIM"; threshold:type limit,track by_src,count 1,seconds 60;', 2), 1, "the first")
    c.rule(udp('content:"LIM"; threshold:type limit,track by_src,count 10,seconds 60;', 3), 5, "all 5")


@case("threshold-type-both")
def threshold_type_both(c):
    c.about = f"""threshold type both ({TH}#type-both): it "combines threshold and
    limit": at most one alert per period, once count matches have been
    seen in it. 7 matches: count 3 alerts once (the 3rd); count 8 never;
    count 1 once."""
    matches(c, b"BTH", 7)
    c.rule(udp('content:"BTH"; threshold:type both,track by_src,count 3,seconds 60;', 1), 1, "the 3rd only")
    c.rule(udp('content:"BTH"; threshold:type both,track by_src,count 8,seconds 60;', 2), 0, "7 < 8")
    c.rule(udp('content:"BTH"; threshold:type both,track by_src,count 1,seconds 60;', 3), 1, "the 1st only")


@case("threshold-type-backoff")
def threshold_type_backoff(c):
    c.about = f"""threshold type backoff ({TH}#type-backoff): with track by_flow,
    alerts on the count-th match and then each time the count is multiplied:
    "a count of 1 with a multiplier of 2 would generate alerts for matching
    packets 1, 2, 4, 8, 16"; "a count of 5 with multiplier 5 ... 5, 25,
    125". backoff "can only be used with track by_flow": with by_src the rule
    is invalid (no alert); its syntax is count and multiplier, no seconds.
    30 matches in one flow."""
    matches(c, b"BKO", 30)
    c.rule(udp('content:"BKO"; threshold:type backoff,track by_flow,count 1,multiplier 2;', 1), 5,
           "matches 1, 2, 4, 8, 16")
    c.rule(udp('content:"BKO"; threshold:type backoff,track by_flow,count 5,multiplier 5;', 2), 2,
           "matches 5 and 25")
    c.rule(udp('content:"BKO"; threshold:type backoff,track by_flow,count 1,multiplier 10;', 3), 2,
           "matches 1 and 10")
    c.rule(udp('content:"BKO"; threshold:type backoff,track by_src,count 1,multiplier 2;', 4), 0,
           "only by_flow is allowed: the rule does not load")
    c.rule(udp('content:"BKO"; threshold:type backoff,track by_flow,count 1,multiplier 2,seconds 60;', 5), 0,
           "(comparison) backoff takes no seconds: the rule does not load")
    c.rule(udp('content:"BKO"; threshold:type backoff,track by_flow,count 1,multiplier 1;', 6), 0,
           "(comparison) the multiplier must be 2 to 65535: the rule does not load")
    c.rule(udp('content:"BKO"; threshold:type backoff,track by_flow,count 1;', 7), 0,
           "(comparison) no multiplier: the rule does not load")


@case("threshold-track")
def threshold_track(c):
    c.about = f"""threshold track ({TH}#track): by_src (source IP), by_dst
    (destination IP), by_both (the pair of source and destination), by_rule
    (the signature), by_flow (the flow). Each rule is type limit, count 1:
    one alert per tracked key. Six datagrams: A->S twice in one flow, B->S,
    A->T, A->S in a second flow, S->A in a third. The global-thresholds page
    says by_both treats the two directions between two addresses as the same
    pair; that the rule keyword does too (S->A is A->S's pair) was
    established by comparison with Suricata 8.0.6."""
    a, b, s, t = CLIENT, HOST_B, SERVER, SERVER_T
    for src, dst, sport in ((a, s, 40001), (a, s, 40001), (b, s, 40002), (a, t, 40003), (a, s, 40004),
                            (s, a, 40005)):
        c.cap.udp(b"TRK", src=src, dst=dst, sport=sport)
    base = 'content:"TRK"; threshold:type limit,count 1,seconds 60,track '
    c.rule(udp(base + "by_src;", 1), 3, "sources A, B, S")
    c.rule(udp(base + "by_dst;", 2), 3, "destinations S, T, A")
    c.rule(udp(base + "by_both;", 3), 3, "(comparison) pairs A-S (both directions), B-S, A-T")
    c.rule(udp(base + "by_rule;", 4), 1, "one key for the rule")
    c.rule(udp(base + "by_flow;", 5), 5, "five flows")


@case("threshold-seconds")
def threshold_seconds(c):
    c.about = f"""threshold time windows ({TH}#threshold): counts are per `seconds`
    period, and a match after the period starts a new one. Matches at 0, 5,
    11, 12 and 30 seconds. limit count 1, seconds 10: alerts at 0, 11 and
    30. threshold count 2, seconds 10: 0 and 5 are the 2 matches of the
    first period (alert at 5); 11 and 12 of the second (alert at 12); 30 is
    alone. both count 2, seconds 10: the same as threshold here.
    detection_filter count 1, seconds 10: after the first match of a period,
    5 and 12 alert. Where a match exactly at the end of a period falls is
    not tested."""
    last = 0.0
    for t in (0, 5, 11, 12, 30):
        c.cap.advance(t - last)
        last = t
        c.cap.udp(b"WIN")
    c.rule(udp('content:"WIN"; threshold:type limit,track by_src,count 1,seconds 10;', 1), 3, "0, 11, 30")
    c.rule(udp('content:"WIN"; threshold:type threshold,track by_src,count 2,seconds 10;', 2), 2, "5 and 12")
    c.rule(udp('content:"WIN"; threshold:type both,track by_src,count 2,seconds 10;', 3), 2, "5 and 12")
    c.rule(udp('content:"WIN"; detection_filter:track by_src,count 1,seconds 10;', 4), 2, "5 and 12")


@case("detection-filter")
def detection_filter(c):
    c.about = f"""detection_filter ({TH}#detection-filter): "alert on every match
    after an initial threshold has been reached": with count C, the
    (C+1)th and every later match in the period alert ("action applied on
    every match after Cth"). 6 matches from A, 2 from B; tracks by_src,
    by_dst, by_rule, by_both and by_flow."""
    matches(c, b"DFL", 6, sport=40001)
    matches(c, b"DFL", 2, src=HOST_B, sport=40002)
    base = 'content:"DFL"; detection_filter:count 3,seconds 60,track '
    c.rule(udp(base + "by_src;", 1), 3, "A's 4th, 5th and 6th; B has 2")
    c.rule(udp(base + "by_dst;", 2), 5, "the 4th to 8th matches to S")
    c.rule(udp(base + "by_rule;", 3), 5, "the 4th to 8th of the rule")
    c.rule(udp(base + "by_both;", 4), 3, "pair A-S: 4th to 6th")
    c.rule(udp(base + "by_flow;", 5), 3, "A's flow: 4th to 6th")
    c.rule(udp('content:"DFL"; detection_filter:track by_src,count 6,seconds 60;', 6), 0, "no 7th match")


@case("threshold-config-override")
def threshold_config_override(c):
    c.about = f"""threshold.config threshold / event_filter lines ({GT}): "when applied
    to a specific signature, thresholds and event_filters ... will override
    the signature setting", and they apply to rules without one too.
    6 matches. The file is named by threshold-file in suricata.yaml."""
    matches(c, b"OVR", 6)
    c.rule(udp('content:"OVR"; threshold:type limit,track by_src,count 5,seconds 60;', 1), 1,
           "the file's limit count 1 replaces the rule's count 5")
    c.rule(udp('content:"OVR";', 2), 3, "the file's threshold count 2: 2nd, 4th, 6th")
    c.rule(udp('content:"OVR";', 3), 2, "event_filter is the same as threshold: limit count 2")
    c.rule(udp('content:"OVR";', 4), 6, "no line for this signature")
    c.rule(udp('content:"OVR"; detection_filter:track by_src,count 4,seconds 60;', 5), 1,
           "the file's both count 3 replaces the detection_filter")
    c.rule(udp('content:"OVR";', 6), 1, "the file's limit count 1 by_flow (8.0 allows by_flow in the file)")
    c.files["threshold.config"] = """\
        threshold gen_id 1, sig_id 1, type limit, track by_src, count 1, seconds 60
        threshold gen_id 1, sig_id 2, type threshold, track by_src, count 2, seconds 60
        event_filter gen_id 1, sig_id 3, type limit, track by_dst, count 2, seconds 60
        threshold gen_id 1, sig_id 5, type both, track by_src, count 3, seconds 60
        threshold gen_id 1, sig_id 6, type limit, track by_flow, count 1, seconds 60
        """
    c.files["suricata.yaml"] = THRESHOLD_YAML


@case("threshold-config-suppress")
def threshold_config_suppress(c):
    c.about = f"""threshold.config suppress ({GT}#suppress): without track, the rule
    never alerts; with track by_src / by_dst, not when the source /
    destination is in `ip` (an address, a CIDR, a list, or a variable such
    as $HOME_NET); by_either, when either is. "Actions performed when a rule
    matches, such as setting a flowbit, are still performed." Datagrams A->S,
    B->S, A->T, S->A (A = 10.0.0.1, B = 10.0.0.2, both in $HOME_NET)."""
    a, b, s, t = CLIENT, HOST_B, SERVER, SERVER_T
    for src, dst, sport in ((a, s, 40001), (b, s, 40002), (a, t, 40003), (s, a, 40004)):
        c.cap.udp(b"SUP", src=src, dst=dst, sport=sport)
    c.cap.udp(b"CHK", src=a, dst=s, sport=40001)
    c.rule(udp('content:"SUP";', 1), 0, "suppressed for all")
    c.rule(udp('content:"SUP";', 2), 2, "by_src 10.0.0.1: B->S and S->A remain")
    c.rule(udp('content:"SUP";', 3), 2, "by_dst 192.0.2.10: A->T and S->A remain")
    c.rule(udp('content:"SUP";', 4), 3, "by_either 10.0.0.2: all but B->S")
    c.rule(udp('content:"SUP";', 5), 1, "by_src [10.0.0.0/8]: S->A remains")
    c.rule(udp('content:"SUP";', 6), 3, "by_dst $HOME_NET: S->A is suppressed")
    c.rule(udp('content:"SUP"; flowbits:set,sup;', 7), 0, "suppressed for all")
    c.rule(udp('content:"CHK"; flowbits:isset,sup;', 8), 1, "the suppressed rule still set its flowbit")
    c.rule(udp('content:"SUP";', 9), 3, "by_src 192.0.2.0/24: S->A is suppressed")
    c.files["threshold.config"] = """\
        suppress gen_id 1, sig_id 1
        suppress gen_id 1, sig_id 2, track by_src, ip 10.0.0.1
        suppress gen_id 1, sig_id 3, track by_dst, ip 192.0.2.10
        suppress gen_id 1, sig_id 4, track by_either, ip 10.0.0.2
        suppress gen_id 1, sig_id 5, track by_src, ip [10.0.0.0/8]
        suppress gen_id 1, sig_id 6, track by_dst, ip $HOME_NET
        suppress gen_id 1, sig_id 7
        suppress gen_id 1, sig_id 9, track by_src, ip 192.0.2.0/24
        """
    c.files["suricata.yaml"] = THRESHOLD_YAML


@case("threshold-config-rate-filter")
def threshold_config_rate_filter(c):
    c.about = f"""threshold.config rate_filter ({GT}#rate-filter): after `count`
    matches within `seconds`, the rule's action becomes new_action for
    `timeout` seconds. What that looks like in an IDS (offline, not inline)
    is not documented: established by comparison with Suricata 8.0.6: with
    new_action alert every match still alerts; with drop every match
    alerts, and those past the count (while the new action holds) are
    logged with alert.action blocked, the packet's verdict being drop; with
    pass the matches past the count are not logged. Five matches for each
    rule, each rule its own token (a drop verdict would mark every alert of
    the packet as blocked)."""
    for token in (b"RTA", b"RTD", b"RTP"):
        matches(c, token, 5)
    c.rule(udp('content:"RTA";', 1), 5, "new_action alert")
    c.rule(udp('content:"RTD";', 2), 5, "new_action drop: every match is logged")
    c.check(3, {"event_type": "alert", "alert.signature_id": 2, "alert.action": "blocked"},
            "(comparison) the 3rd to 5th, past count 2")
    c.rule(udp('content:"RTP";', 3), 2, "(comparison) new_action pass: the first two")
    c.files["threshold.config"] = """\
        rate_filter gen_id 1, sig_id 1, track by_rule, count 2, seconds 60, new_action alert, timeout 30
        rate_filter gen_id 1, sig_id 2, track by_src, count 2, seconds 60, new_action drop, timeout 30
        rate_filter gen_id 1, sig_id 3, track by_rule, count 2, seconds 60, new_action pass, timeout 30
        """
    c.files["suricata.yaml"] = THRESHOLD_YAML


@case("threshold-config-global")
def threshold_config_global(c):
    c.about = f"""threshold.config lines for every signature ({GT}): sig_id 0 (or
    gen_id 0) applies a line to all signatures; suppress gen_id 0, sig_id 0,
    track by_src, ip X suppresses every rule for source X. "Overriding all
    gids or sids (by using gen_id 0 or sig_id 0) is not supported": a rule
    with its own threshold keeps it (sid 2), a rule without one takes the
    global line (sid 1). 5 matches from A (10.0.0.1), 2 from B (10.0.0.2)."""
    matches(c, b"GLB", 5, sport=40001)
    matches(c, b"GLB", 2, src=HOST_B, sport=40002)
    c.rule(udp('content:"GLB";', 1), 1, "the global limit 1 by_src; B is suppressed")
    c.rule(udp('content:"GLB"; threshold:type limit,track by_src,count 3,seconds 60;', 2), 3,
           "its own limit 3 for A; B is suppressed")
    c.files["threshold.config"] = """\
        threshold gen_id 1, sig_id 0, type limit, track by_src, count 1, seconds 60
        suppress gen_id 0, sig_id 0, track by_src, ip 10.0.0.2
        """
    c.files["suricata.yaml"] = THRESHOLD_YAML


@case("threshold-invalid")
def threshold_invalid(c):
    c.about = f"""threshold and detection_filter forms Suricata refuses ({TH}): a
    rule with a threshold that does not parse is not loaded, so it never
    alerts. Not spelled out in the documentation, and established by
    comparison with Suricata 8.0.6: a multiplier with a type other than
    backoff, two threshold keywords, threshold with detection_filter, a
    threshold without seconds (the syntax is `count <N>, <seconds <T> |
    multiplier <M>>`). 3 matches; sid 1 is the valid control. Left out:
    count 0, which Suricata 8.0.6 loads and, for limit, treats as 1."""
    matches(c, b"INV", 3)
    c.rule(udp('content:"INV"; threshold:type limit,track by_src,count 1,seconds 60;', 1), 1, "valid")
    c.rule(udp('content:"INV"; threshold:type both,track by_flow,count 1,multiplier 2;', 3), 0,
           "(comparison) multiplier is for backoff")
    c.rule(udp('content:"INV"; threshold:type limit,track by_src,count 1,seconds 60; '
               'threshold:type limit,track by_src,count 2,seconds 60;', 4), 0, "(comparison) two thresholds")
    c.rule(udp('content:"INV"; threshold:type limit,track by_src,count 1,seconds 60; '
               'detection_filter:track by_src,count 1,seconds 60;', 5), 0,
           "(comparison) threshold and detection_filter")
    c.rule(udp('content:"INV"; threshold:type limit,track by_src,count 2;', 6), 0,
           "(comparison) no seconds")
