"""flow, flowbits, pass rules and action-order."""

from casebook import case, sig
from traffic import CLIENT, SERVER, http_request, http_response

FK = "rules/flow-keywords.html"
HOST_B = "10.0.0.2"


def tcp(opts, sid, msg=None, action="alert"):
    return sig("tcp", opts, sid, msg or f"case {sid}", action=action)


def udp(opts, sid, msg=None, action="alert"):
    return sig("udp", opts, sid, msg or f"case {sid}", action=action)


@case("flow-established")
def flow_established(c):
    c.about = f"""flow:established / not_established / stateless on TCP ({FK}#flow):
    "for TCP a connection will be established after a three way handshake";
    stateless matches any packet that is part of a flow. One whole
    connection (client DATA1, server RESP1) and one SYN that is never
    answered."""
    t = c.cap.tcp(sport=40001, dport=7000)
    t.send(b"DATA1")
    t.reply(b"RESP1")
    t.close()
    c.cap.tcp(sport=40002, dport=7000, handshake=False).syn()
    c.rule(tcp('flow:established; content:"DATA1";', 1), 1, "the data follows the handshake")
    c.rule(tcp('flow:not_established; content:"DATA1";', 2), 0, "the data is on an established connection")
    c.rule(tcp("flow:not_established; flags:S;", 3), 2, "both SYNs come before any handshake completes")
    c.rule(tcp("flow:established; flags:S;", 4), 0, "no SYN is established")
    c.rule(tcp("flow:stateless; flags:S;", 5), 2, "both SYNs are part of a flow")
    c.rule(tcp('flow:established,to_client; content:"RESP1";', 6), 1, "the server's reply")


@case("flow-udp-established")
def flow_udp_established(c):
    c.about = f"""flow:established on UDP ({FK}#flow): "for other protocols (for
    example UDP), the connection will be considered established after seeing
    traffic from both sides". Client, server, client datagrams: the first is
    not established, the reply is the first packet seen from both sides and
    is established (Suricata updates the flow state before inspecting the
    packet), so is the third."""
    c.cap.udp(b"Q1", sport=40001, dport=9999)
    c.cap.udp(b"R1", src=SERVER, dst=CLIENT, sport=9999, dport=40001)
    c.cap.udp(b"Q2", sport=40001, dport=9999)
    c.rule(udp("flow:established;", 1), 2, "the reply and the second query")
    c.rule(udp("flow:not_established;", 2), 1, "the first query")
    c.rule(udp("flow:established,to_server;", 3), 1, "the second query")
    c.rule(udp("flow:to_client;", 4), 1, "the reply")


@case("flow-direction")
def flow_direction(c):
    c.about = f"""flow direction ({FK}#flow): to_server / from_client are packets
    from the client (the side that opened the connection) to the server,
    to_client / from_server the other way, whatever the ports. Client PING,
    server PONG, on port 7000."""
    t = c.cap.tcp(sport=40001, dport=7000)
    t.send(b"PING")
    t.reply(b"PONG")
    t.close()
    c.rule(tcp('flow:to_server; content:"PING";', 1), 1, "PING is from the client")
    c.rule(tcp('flow:to_client; content:"PING";', 2), 0, "PING is not to the client")
    c.rule(tcp('flow:from_client; content:"PING";', 3), 1, "from_client is to_server")
    c.rule(tcp('flow:from_server; content:"PONG";', 4), 1, "from_server is to_client")
    c.rule(tcp('flow:to_server; content:"PONG";', 5), 0, "PONG is from the server")
    c.rule(tcp('flow:to_client,established; content:"PONG";', 6), 1, "both options")
    c.rule(sig("tcp", 'flow:to_client; content:"PONG";', 7, "header from port 7000", ports="any 7000 -> any any"),
           1, "the rule header names the server's port as source")


@case("flow-stream")
def flow_stream(c):
    c.about = f"""only_stream / no_stream ({FK}#flow) and the tcp-pkt / tcp-stream
    protocols (rules/intro.html#protocol): only_stream matches on data
    reassembled by the stream engine, no_stream only on single packets.
    ATTACK! is sent as ATT + ACK! (only the stream holds ATTACK); SINGLE
    is one segment. A content rule on TCP inspects both, but raises one alert
    for one match; EVE says which with `stream` (1: the reassembled stream,
    0: a packet; it is written with the payload, which the folder's
    suricata.yaml turns on)."""
    t = c.cap.tcp(sport=40001, dport=7000)
    t.send(b"ATT")
    t.send(b"ACK!")
    t.send(b"SINGLE")
    t.close()
    c.rule(tcp('content:"ATTACK";', 1), 1, "only the stream holds ATTACK")
    c.rule(tcp('flow:only_stream; content:"ATTACK";', 2), 1, "stream data")
    c.check(1, {"event_type": "alert", "alert.signature_id": 2, "stream": 1}, "matched on the stream")
    c.rule(tcp('flow:no_stream; content:"ATTACK";', 3), 0, "no single packet holds ATTACK")
    c.rule(tcp('flow:no_stream; content:"SINGLE";', 4), 1, "one packet holds SINGLE")
    c.check(1, {"event_type": "alert", "alert.signature_id": 4, "stream": 0}, "matched on the packet")
    c.rule(tcp('flow:only_stream; content:"SINGLE";', 5), 1, "the stream holds SINGLE too")
    c.rule(tcp('content:"SINGLE";', 6), 1, "one alert for one match")
    c.rule(sig("tcp-pkt", 'content:"SINGLE";', 7, "tcp-pkt"), 1, "tcp-pkt: the packet")
    c.rule(sig("tcp-pkt", 'content:"ATTACK";', 8, "tcp-pkt"), 0, "tcp-pkt: no packet holds ATTACK")
    c.rule(sig("tcp-stream", 'content:"ATTACK";', 9, "tcp-stream"), 1, "tcp-stream: the stream")
    c.files["suricata.yaml"] = """\
        %YAML 1.1
        ---
        outputs:
          - eve-log:
              enabled: yes
              filetype: regular
              filename: eve.json
              types:
                - alert:
                    payload: yes
                    payload-printable: yes
        """


@case("flowbits-basic")
def flowbits_basic(c):
    c.about = f"""flowbits set / isset / isnotset with noalert ({FK}#flowbits): a bit set
    by one rule is seen by later packets of the same flow only; noalert (as a
    flowbits action and as a keyword) stops the setting rule from alerting;
    flowbit names are case-sensitive. Two connections: one logs in and then
    sends CMD, the other only sends CMD. Whether a bit set on a packet is
    seen by an isset rule on that same packet (sid 4) is not documented:
    established by comparison with Suricata 8.0.6, which runs the rules that
    set bits before the rules that test them."""
    t = c.cap.tcp(sport=40001, dport=7000)
    t.send(b"LOGIN user\r\n")
    t.reply(b"OK\r\n")
    t.send(b"CMD x\r\n")
    t.close()
    t = c.cap.tcp(sport=40002, dport=7000)
    t.send(b"CMD x\r\n")
    t.close()
    c.rule(tcp('flow:to_server; content:"LOGIN"; flowbits:set,logged_in; flowbits:noalert;', 1), 0, "noalert")
    c.rule(tcp('flow:to_server; content:"CMD"; flowbits:isset,logged_in;', 2), 1, "the first connection")
    c.rule(tcp('flow:to_server; content:"CMD"; flowbits:isnotset,logged_in;', 3), 1, "the second connection")
    c.rule(tcp('flow:to_server; content:"LOGIN"; flowbits:isset,logged_in;', 4), 1,
           "(comparison) the bit is set by sid 1 on the same packet")
    c.rule(tcp('flow:to_server; content:"CMD"; flowbits:isset,Logged_In;', 5), 0, "names are case-sensitive")
    c.rule(tcp('flow:to_server; content:"LOGIN"; noalert;', 6), 0, "the noalert keyword")
    c.rule(tcp('flow:to_client; content:"OK"; flowbits:isset,logged_in;', 7), 1,
           "a bit set by the client's packet is seen in the server's direction")


@case("flowbits-unset-toggle")
def flowbits_unset_toggle(c):
    c.about = f"""flowbits unset and toggle ({FK}#flowbits): unset clears the bit;
    toggle "reverses the present setting". One UDP flow, datagrams in
    order: A1 sets x, B1 tests it, C1 unsets it, D1 tests it, T1 toggles it
    back on, E1 tests it, T2 toggles it off, F1 tests it. Rules that set or
    clear bits run before the rules that test them on the same packet (sids
    11, 12: toggled and tested on G1, established by comparison with
    Suricata 8.0.6)."""
    for p in (b"A1", b"B1", b"C1", b"D1", b"T1", b"E1", b"T2", b"F1", b"G1"):
        c.cap.udp(p)
    c.rule(udp('content:"A1"; flowbits:set,x; flowbits:noalert;', 1), 0, "noalert")
    c.rule(udp('content:"B1"; flowbits:isset,x;', 2), 1, "set by A1")
    c.rule(udp('content:"C1"; flowbits:unset,x; flowbits:noalert;', 3), 0, "noalert")
    c.rule(udp('content:"D1"; flowbits:isset,x;', 4), 0, "unset by C1")
    c.rule(udp('content:"D1"; flowbits:isnotset,x;', 5), 1, "unset by C1")
    c.rule(udp('content:"T"; flowbits:toggle,x; flowbits:noalert;', 6), 0, "noalert")
    c.rule(udp('content:"E1"; flowbits:isset,x;', 7), 1, "toggled on by T1")
    c.rule(udp('content:"F1"; flowbits:isset,x;', 8), 0, "toggled off by T2")
    c.rule(udp('content:"F1"; flowbits:isnotset,x;', 9), 1, "toggled off by T2")
    c.rule(udp('content:"E1"; flowbits:unset,x; flowbits:isnotset,x;', 10), 0,
           "a rule's own unset applies only after it matched: x is set when isnotset is tested")
    c.rule(udp('content:"G1"; flowbits:toggle,y; flowbits:noalert;', 11), 0, "noalert")
    c.rule(udp('content:"G1"; flowbits:isset,y;', 12), 1, "(comparison) y toggled on by sid 11 first")


@case("flowbits-groups")
def flowbits_groups(c):
    c.about = f"""flowbits with several names ({FK}#flowbits): "it is possible to
    perform an OR operation with flowbits using the | (pipe)"; several
    flowbits keywords in one rule must all hold. The & form and isnotset with
    a group are not documented: established by comparison with Suricata
    8.0.6, where & is no operator (a&b is the name of one bit), isnotset
    a|b holds when any of the bits is not set, and set,a|b sets neither a
    nor b. Four UDP flows: one sets a, one sets b, one sets both, one
    neither; each then sends CHK. A fifth sends SETOR then VFY."""
    for sport, sets in ((40001, [b"SETA"]), (40002, [b"SETB"]), (40003, [b"SETA", b"SETB"]), (40004, [])):
        for p in sets + [b"CHK"]:
            c.cap.udp(p, sport=sport)
    c.rule(udp('content:"SETA"; flowbits:set,a; flowbits:noalert;', 1), 0, "noalert")
    c.rule(udp('content:"SETB"; flowbits:set,b; flowbits:noalert;', 2), 0, "noalert")
    c.rule(udp('content:"CHK"; flowbits:isset,a|b;', 3), 3, "the flows with a, b, or both")
    c.rule(udp('content:"CHK"; flowbits:isset,a&b;', 4), 0,
           "(comparison) a&b is one name, never set")
    c.rule(udp('content:"CHK"; flowbits:isnotset,a|b;', 5), 3,
           "(comparison) matches when any of the names is not set")
    c.rule(udp('content:"CHK"; flowbits:isnotset,a&b;', 6), 4, "(comparison) a&b is one name, never set")
    c.rule(udp('content:"CHK"; flowbits:isset,a; flowbits:isset,b;', 7), 1, "both keywords hold")
    c.cap.udp(b"SETOR", sport=40005)
    c.cap.udp(b"VFY", sport=40005)
    c.rule(udp('content:"SETOR"; flowbits:set,a|b; flowbits:noalert;', 8), 0, "noalert")
    c.rule(udp('content:"VFY"; flowbits:isset,a|b;', 9), 0,
           "(comparison) set,a|b set neither a nor b: | groups names only for isset and isnotset")


@case("flowbits-threshold")
def flowbits_threshold(c):
    c.about = """flowbits and thresholds (rules/thresholding.html): "keywords that
    change state are not subject to threshold limits. They are applied even
    when the alert is suppressed" (flowbits set/unset are listed). A rule
    that sets a bit with a threshold of 5 matches 3 times: no alert, but the
    bit is set."""
    for p in (b"X1", b"X1", b"X1", b"Y1"):
        c.cap.udp(p)
    c.rule(udp('content:"X1"; flowbits:set,seen; threshold:type threshold,track by_src,count 5,seconds 60;', 1),
           0, "3 matches of 5 needed")
    c.rule(udp('content:"Y1"; flowbits:isset,seen;', 2), 1, "the bit was set anyway")


@case("pass-rule")
def pass_rule(c):
    c.about = """pass rules (rules/intro.html#action, configuration/suricata-yaml.html
    #action-order): with the default action-order (pass, drop, reject,
    alert), a matching pass rule stops the inspection of the packet: the
    alert rules that match the same packet raise no alert. A pass rule
    itself writes no alert. Whether a pass also covers the later packets of
    the flow is not documented: established by comparison with Suricata
    8.0.6, which passes the whole flow when the pass rule has nothing but a
    header (addresses, ports: IP-only and like-IP-only rules), when it
    matched an application-layer transaction, or when it matched reassembled
    stream data, and otherwise only the packet (a rule with a content, or a
    flow or dsize keyword, matching a packet). UDP flows: BAD; GOODBAD; GOOD
    then BAD; from 10.0.0.7, Y then BAD; to ports 9998 and 9997, Z then a
    BAD reply. TCP: GOOD then BAD in two segments
    (tcp-pkt rules: packets only); HTTP: GET /pass, its response, then
    LATE from the client."""
    c.cap.udp(b"BAD", sport=40001)
    c.cap.udp(b"GOODBAD", sport=40002)
    c.cap.udp(b"GOOD", sport=40003)
    c.cap.udp(b"BAD", sport=40003)
    c.cap.udp(b"Y", src="10.0.0.7", sport=40004)
    c.cap.udp(b"BAD", src="10.0.0.7", sport=40004)
    for dport in (9998, 9997):
        c.cap.udp(b"Z", sport=40007, dport=dport)
        c.cap.udp(b"BAD", src=SERVER, dst=CLIENT, sport=dport, dport=40007)
    t = c.cap.tcp(sport=40005, dport=7000)
    t.send(b"GOOD")
    t.send(b"BAD")
    t.close()
    http = c.cap.tcp(sport=40006, dport=80)
    http.send(http_request(uri="/pass"))
    http.reply(http_response(body=b"hello"))
    http.send(b"LATE")
    http.close()
    c.rule(udp('content:"GOOD";', 1, action="pass"), 0, "pass rules write no alert")
    c.rule(udp('content:"BAD";', 2), 3,
           "flow 1, and (comparison) flow 3, where the pass was for the GOOD packet only, and the reply in the "
           "flow to port 9997, where the pass rule has a flow keyword; not flow 2, where the pass rule matched "
           "the same packet, nor (comparison) the flows passed by the header-only sids 3 and 8")
    c.rule(sig("ip", "", 3, "IP-only pass", action="pass", ports="10.0.0.7 any -> any any"), 0,
           "pass rules write no alert")
    c.rule(sig("udp", "", 8, "header-only pass", action="pass", ports="any any -> any 9998"), 0,
           "pass rules write no alert")
    c.rule(sig("udp", "flow:to_server;", 9, "pass with a flow keyword", action="pass",
               ports="any any -> any 9997"), 0, "pass rules write no alert")
    c.rule(sig("tcp-pkt", 'content:"GOOD";', 4, "pass on a packet", action="pass"), 0,
           "pass rules write no alert")
    c.rule(sig("tcp-pkt", 'content:"BAD";', 5, "after a packet pass"), 1, "(comparison) the BAD segment")
    c.rule(sig("http", 'http.uri; content:"/pass";', 6, "pass a transaction", action="pass"), 0,
           "pass rules write no alert")
    c.rule(sig("tcp-pkt", 'flow:to_server; content:"LATE";', 7, "after a transaction pass"), 0,
           "(comparison) the flow was passed with its request")


@case("pass-action-order")
def pass_action_order(c):
    c.about = """action-order (configuration/suricata-yaml.html#action-order): it
    decides in which order the rules that match a packet are applied; with
    alert before pass, the alert is written before the pass rule stops
    inspection. The EVE alert's `verdict` object (enabled by the alert
    option verdict: yes) is the engine's final verdict for the packet: pass
    when a pass rule matched it, alert otherwise. In IDS mode a drop rule
    alerts as allowed. These verdict and action values were established by
    comparison with Suricata 8.0.6. UDP flows: BAD; GOODBAD; DROPME."""
    c.cap.udp(b"BAD", sport=40001)
    c.cap.udp(b"GOODBAD", sport=40002)
    c.cap.udp(b"DROPME", sport=40003)
    c.rule(udp('content:"GOOD";', 1, action="pass"), 0, "pass rules write no alert")
    c.rule(udp('content:"BAD";', 2), 2, "alert is applied before pass: both flows")
    c.check(1, {"event_type": "alert", "alert.signature_id": 2, "verdict.action": "pass"},
            "(comparison) the GOODBAD packet was passed")
    c.check(1, {"event_type": "alert", "alert.signature_id": 2, "verdict.action": "alert"},
            "(comparison) the BAD packet")
    c.rule(udp('content:"DROPME";', 3, action="drop"), 1, "drop rules alert")
    c.check(1, {"event_type": "alert", "alert.signature_id": 3, "alert.action": "allowed"},
            "(comparison) IDS mode: nothing is dropped")
    c.files["suricata.yaml"] = """\
        %YAML 1.1
        ---
        action-order:
          - alert
          - pass
          - drop
          - reject
        outputs:
          - eve-log:
              enabled: yes
              filetype: regular
              filename: eve.json
              types:
                - alert:
                    verdict: yes
        """


@case("midstream-reversal")
def midstream_reversal(c):
    c.about = """A session picked up mid-stream (stream.midstream on) whose first
    packet is the server's bare ACK, between two high ports, so neither the
    packet nor the ports say who the client is: the flow starts oriented
    from the server. Its first data is an HTTP request travelling the other
    way; Suricata's protocol detection, finding in midstream mode a pattern
    of the other direction, reverses the flow (app-layer.c, "reversing flow
    after proto detect told us so"), so the request is to_server from then
    on, its alert and the http and flow records name the real client as
    source. A second session starts with the client's bare ACK and keeps its
    orientation. Established by comparison: the rule documentation says
    nothing of pickup."""
    c.args = ["--set stream.midstream=true"]
    r = c.cap.tcp(sport=50123, dport=8080, handshake=False)
    r._pkt(False, "A")
    r.send(http_request(uri="/rev"))
    r.reply(http_response())
    r.close()
    k = c.cap.tcp(sport=50124, dport=8080, handshake=False)
    k._pkt(True, "A")
    k.send(http_request(uri="/kept"))
    k.reply(http_response())
    k.close()
    c.rule(sig("http", 'http.uri; content:"/rev";', 1, "uri rev"), 1, "the request of the reversed session",
           {"src_ip": CLIENT, "src_port": 50123})
    c.rule(sig("tcp", 'flow:to_server; content:"GET /";', 2, "request to_server"), 2,
           "both requests travel to the server once the first session is reversed")
    c.rule(sig("tcp", 'flow:to_client; content:"GET /";', 3, "request to_client"), 0,
           "no request is seen towards the client")
    c.rule(sig("http", 'http.stat_code; content:"200";', 4, "status"), 2, "each response, to the client",
           {"dest_ip": CLIENT})
    c.check(2, {"event_type": "http", "src_ip": CLIENT}, "both http records name the real client")
    c.check(1, {"event_type": "flow", "src_ip": CLIENT, "src_port": 50123, "dest_port": 8080},
            "the reversed session's flow record, from the client")


@case("guess-applayer-tx-http")
def guess_applayer_tx_http(c):
    c.about = """detect.guess-applayer-tx (suricata.yaml: "Try to guess an app-layer
    transaction for rules without app-layer keywords, ONLY IF there is just
    one live transaction for the flow. This allows logging app-layer
    metadata in alert"). One connection carries one request and its
    response: the payload rules' alerts on both show that transaction
    (tx_guessed, its http object). Another carries two requests sent
    together before either response: two transactions are live, so the
    alert on the requests has none."""
    c.args = ["--set detect.guess-applayer-tx=yes"]
    one = c.cap.tcp(sport=40021, dport=80)
    one.send(http_request(uri="/one"))
    one.reply(http_response())
    one.close()
    two = c.cap.tcp(sport=40022, dport=80)
    two.send(http_request(uri="/first") + http_request(uri="/second"))
    two.reply(http_response() + http_response())
    two.close()
    c.rule(sig("tcp", 'flow:to_server; content:"GET /one";', 1, "request one"), 1,
           "the only live transaction is attached", {"tx_guessed": True, "http.url": "/one"})
    c.rule(sig("tcp", 'flow:to_client; content:"200 OK"; content:"hello";', 2, "response"), 2,
           "each connection's response data")
    c.check(1, {"event_type": "alert", "alert.signature_id": 2, "tx_guessed": True, "http.url": "/one"},
            "the response of the one-transaction connection shows its transaction")
    c.rule(sig("tcp", 'flow:to_server; content:"GET /first";', 3, "pipelined"), 1,
           "the two pipelined requests")
    c.check(0, {"event_type": "alert", "alert.signature_id": 3, "tx_guessed": True},
            "two live transactions: none is guessed")


@case("port-only-once-per-direction")
def port_only_once(c):
    c.about = """A rule that tests only addresses and ports (no payload, flow or other
    keyword) is what Suricata calls "like IP-only": like an IP-only rule it
    is matched on the first packet of each direction of a flow, not on
    every packet (established by comparison with Suricata 8.0.6; the rule
    documentation does not say). A keyword such as flags makes it a
    packet rule again, matched on every packet. A UDP flow of three
    datagrams to port 9999 and one back, and a TCP connection to port 80."""
    c.cap.udp(b"a", sport=40000, dport=9999)
    c.cap.udp(b"b", sport=40000, dport=9999)
    c.cap.udp(b"c", src=SERVER, dst=CLIENT, sport=9999, dport=40000)
    c.cap.udp(b"d", sport=40000, dport=9999)
    t = c.cap.tcp(sport=40001, dport=80)
    t.send(b"x")
    t.reply(b"y")
    t.close()
    c.rule(sig("udp", "", 1, "udp to port 9999", ports="any any -> any 9999"), 1, "(comparison) the flow's first datagram to the port")
    c.rule(sig("tcp", "", 2, "tcp to port 80", ports="any any -> any 80"), 1,
           "(comparison) the connection's first packet to the port")
    c.rule(sig("udp", "", 3, "udp any", ports="any any -> any any"), 2,
           "an IP-only rule: the first datagram of each direction")
    c.rule(sig("tcp", "flags:A;", 4, "tcp to 80 with flags", ports="any any -> any 80"), 3,
           "flags makes it a packet rule: each client packet with ACK set (handshake ACK, data, FIN)")
    c.rule(sig("udp", "", 5, "udp either way", ports="any any <> any 9999"), 2,
           "(comparison) bidirectional: the first datagram of each direction")
    c.rule(sig("tcp", "", 6, "tcp from port 80", ports="any 80 -> any any"), 1,
           "(comparison) the server's first packet")
