"""dataset, datarep and iprep: sets and reputation loaded from files (next to
the rules or named in suricata.yaml) and sets changed by rules at runtime."""

import base64
import json
import hashlib

from casebook import case, sig
from traffic import CLIENT, SERVER, http_request, http_response
from scapy.all import DNS, DNSQR

DS = "rules/datasets.html"
IPREP = "rules/ip-reputation-rules.html"
IPREP_FMT = "reputation/ipreputation/ip-reputation-format.html"

EVE_YAML = """\
%YAML 1.1
---
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - alert
"""


def b64(s):
    return base64.b64encode(s.encode()).decode()


def http(opts, sid):
    return sig("http", opts, sid, f"case {sid}")


def get(c, uri, sport, headers=()):
    """One HTTP connection with one GET and its response."""
    t = c.cap.tcp(sport=sport, dport=80)
    t.send(http_request("GET", uri, headers=headers))
    t.reply(http_response())
    t.close()


def dns_query(c, name, sport):
    c.cap.udp(bytes(DNS(id=sport & 0xFFFF, rd=1, qd=DNSQR(qname=name))), sport=sport, dport=53)


@case("dataset-load-types")
def dataset_load_types(c):
    c.about = f"""dataset isset/isnotset with sets declared by rules and loaded from files
    next to the rule file ({DS}): "load <file name>" loads one item per
    line; string sets hold base64, md5/sha256 sets hex digests, and "These
    keywords are aware of transforms" (to_md5, to_sha256 look up the
    digest of the buffer). A rule naming an existing set needs no options.
    Requests /bad, /good, /other; DNS queries evil.example and
    ok.example."""
    for i, uri in enumerate(["/bad", "/good", "/other"]):
        get(c, uri, 42001 + i)
    dns_query(c, "evil.example", 42101)
    dns_query(c, "ok.example", 42102)
    c.files["bad-uris.lst"] = f"{b64('/bad')}\n{b64('/never seen, with comma')}\n"
    c.files["bad-domains.lst"] = f"{b64('evil.example')}\n"
    c.files["uri-md5.lst"] = hashlib.md5(b"/bad").hexdigest() + "\n"
    c.files["uri-sha256.lst"] = hashlib.sha256(b"/good").hexdigest() + "\n"
    c.rule(http("http.uri; dataset:isset,bad-uris, type string, load bad-uris.lst;", 1), 1, "/bad is in the file")
    c.rule(http("http.uri; dataset:isnotset,bad-uris;", 2), 2,
           "/good and /other; the set is the one rule 1 declared")
    c.rule(sig("dns", "dns.query; dataset:isset,bad-domains, type string, load bad-domains.lst;", 3, "case 3"), 1,
           "evil.example only")
    c.rule(http("http.uri; to_md5; dataset:isset,uri-md5, type md5, load uri-md5.lst;", 4), 1,
           "the MD5 of /bad")
    c.rule(http("http.uri; to_sha256; dataset:isset,uri-sha256, type sha256, load uri-sha256.lst;", 5), 1,
           "the SHA-256 of /good")
    c.rule(http('http.uri; content:"/b"; dataset:isset,bad-uris;', 6), 1, "content and set both hold for /bad")
    c.rule(http('http.uri; dataset:isset,bad-uris; content:"/g";', 7), 0, "no URI is in the set and has /g")
    c.rule(http("http.uri; dataset:isset,BAD-URIS;", 8), 1,
           "set names are compared without case (comparison: Suricata looks sets up with strcasecmp)")


@case("dataset-set-unset")
def dataset_set_unset(c):
    c.about = f"""dataset set/unset at runtime ({DS}): set adds the buffer to the set,
    unset removes it; isset sees both. Suricata's set and unset match only
    when they changed the set (comparison: the docs do not say; Suricata's
    code returns a match when the item was added, or was removed). The set
    is global: each request is its own connection. URIs are added by
    http.uri, tested by http.referer, removed by http.accept_lang.
    Requests: GET /a; GET /a; GET /x Referer /a; GET /x Accept-Language /a
    (twice); GET /x Referer /a; GET /a."""
    get(c, "/a", 43001)
    get(c, "/a", 43002)
    get(c, "/x", 43003, headers=("Referer: /a",))
    get(c, "/x", 43004, headers=("Accept-Language: /a",))
    get(c, "/x", 43005, headers=("Accept-Language: /a",))
    get(c, "/x", 43006, headers=("Referer: /a",))
    get(c, "/a", 43007)
    c.rule(http("http.uri; dataset:set,seen-uris, type string;", 21), 3,
           "/a first, /x first, /a again after it was removed (comparison)")
    c.rule(http("http.referer; dataset:isset,seen-uris;", 22), 1, "the first Referer /a, before the removal")
    c.rule(http("http.accept_lang; dataset:unset,seen-uris;", 23), 1,
           "the first removal of /a; the second finds nothing to remove (comparison)")
    c.rule(http("http.referer; dataset:isnotset,seen-uris;", 24), 1, "the Referer /a after the removal")


@case("datarep-ops")
def datarep_ops(c):
    c.about = f"""datarep ({DS}): "datarep:<name>,<operator>,<value>" compares the
    reputation stored with the item ("item,rep" lines) with the value; an
    item not in the set never matches. Requests /a (10), /b (50), /c (100),
    /d (not in the file)."""
    for i, uri in enumerate(["/a", "/b", "/c", "/d"]):
        get(c, uri, 44001 + i)
    c.files["rep.csv"] = f"{b64('/a')},10\n{b64('/b')},50\n{b64('/c')},100\n"
    c.rule(http("http.uri; datarep:uri-rep, >, 40, load rep.csv, type string;", 31), 2, "/b and /c")
    c.rule(http("http.uri; datarep:uri-rep, <, 40;", 32), 1, "/a; /d has no reputation")
    c.rule(http("http.uri; datarep:uri-rep, ==, 50;", 33), 1, "/b")
    c.rule(http("http.uri; datarep:uri-rep, >=, 50;", 34), 0,
           "refused: Suricata 8.0.6 has only >, < and == for datarep, where iprep also has >= and <= "
           "(comparison)")
    c.rule(http("http.uri; datarep:uri-rep, <=, 10;", 35), 0, "refused, as >= (comparison)")


@case("dataset-yaml-declared")
def dataset_yaml(c):
    c.about = f"""Sets declared in suricata.yaml ({DS}, "Global config"): rules name
    them without options; a relative load file is read from the data
    directory, else the working directory (the test folder). A rule
    giving another type for a configured set is refused. DNS queries
    evil.example, ok.example, evil.example."""
    dns_query(c, "evil.example", 45001)
    dns_query(c, "ok.example", 45002)
    dns_query(c, "evil.example", 45003)
    c.files["domains.lst"] = f"{b64('evil.example')}\n"
    c.files["suricata.yaml"] = EVE_YAML + """\
datasets:
  defaults:
    memcap: 10mb
    hashsize: 1024
  bad-domains:
    type: string
    load: domains.lst
"""
    c.rule(sig("dns", "dns.query; dataset:isset,bad-domains;", 41, "case 41"), 2, "both evil.example queries")
    c.rule(sig("dns", "dns.query; dataset:isnotset,bad-domains;", 42, "case 42"), 1, "ok.example")
    c.rule(sig("dns", "dns.query; dataset:isset,bad-domains, type md5;", 43, "case 43"), 0,
           "refused: the set is a string set")


@case("iprep-sides-ops")
def iprep_sides(c):
    c.about = f"""iprep ({IPREP}, {IPREP_FMT}): categories file "id,short name,
    description"; reputation file "ip[/cidr],category,score"; the rule
    names the side (src, dst, any, both), the category short name and an
    operator with a score, or isset/isnotset. An address's own entry wins
    over a network holding it. iprep keeps a rule IP-only: "will only be
    checked once per flow-direction" (Suricata 6 docs; Suricata 8 still
    flags it so). UDP flows to {SERVER}: from 10.0.0.1 (BadHosts 50, two
    datagrams), 10.0.1.7 (in 10.0.1.0/24: BadHosts 20), 10.0.0.3
    (GoodHosts 10 only), 10.0.0.9 (no entry), and from {SERVER} to
    10.0.0.1."""
    c.cap.udp(b"one", src="10.0.0.1", sport=46001)
    c.cap.udp(b"two", src="10.0.0.1", sport=46001)
    c.cap.udp(b"x", src="10.0.1.7", sport=46002)
    c.cap.udp(b"x", src="10.0.0.3", sport=46003)
    c.cap.udp(b"x", src="10.0.0.9", sport=46004)
    c.cap.udp(b"x", src=SERVER, dst="10.0.0.1", sport=46005, dport=9998)
    c.files["categories.txt"] = "1,BadHosts,Known bad hosts\n2,GoodHosts,Known good hosts\n"
    c.files["reputation.list"] = "# ip,category,score\n10.0.0.1,1,50\n10.0.1.0/24,1,20\n10.0.0.3,2,10\n"
    c.files["suricata.yaml"] = EVE_YAML + """\
reputation-categories-file: categories.txt
default-reputation-path: .
reputation-files:
  - reputation.list
"""

    def ip(opts, sid):
        return sig("ip", opts, sid, f"case {sid}")

    c.rule(ip("iprep:src,BadHosts,>,30;", 51), 1, "10.0.0.1, once for its flow's direction")
    c.rule(ip("iprep:src,BadHosts,<,30;", 52), 2,
           "10.0.1.7 through its network, and 10.0.0.3: an address listed in one category has score 0 in "
           "the others, since Suricata keeps listed addresses in its host table with a score per category "
           "(comparison; the docs read as if it had no score)")
    c.rule(ip("iprep:dst,BadHosts,>,30;", 53), 1, "the flow to 10.0.0.1")
    c.rule(ip("iprep:any,BadHosts,>=,20;", 54), 3, "10.0.0.1, 10.0.1.7, and the flow to 10.0.0.1")
    c.rule(ip("iprep:src,BadHosts,isset;", 55), 3, "10.0.0.1, 10.0.1.7 and 10.0.0.3 with its score 0 (comparison)")
    c.rule(ip("iprep:src,BadHosts,isnotset;", 56), 3,
           "10.0.0.9 and the server (no score), and 10.0.0.3: for src and dst Suricata tests isnotset as "
           "'=,0' once it found a score (comparison; the docs say 'not a part of the set')")
    c.rule(ip("iprep:both,BadHosts,isnotset;", 57), 1, "10.0.0.9 to the server: neither has a score")
    c.rule(ip("iprep:src,GoodHosts,=,10;", 58), 1, "10.0.0.3")
    c.rule(ip("iprep:both,BadHosts,>,1;", 59), 0, "the server has no BadHosts score")
    c.rule(sig("udp", "iprep:src,BadHosts,>,30; dsize:>0;", 60, "case 60", ports="any any -> any 9999"), 2,
           "with dsize the rule is a packet rule: both datagrams of 10.0.0.1")
    c.rule(ip("iprep:src,GoodHosts,isset;", 61), 2, "10.0.0.3, and 10.0.0.1 with its score 0 (comparison)")


@case("dataset-ip-buffers")
def dataset_ip_buffers(c):
    c.about = f"""ip.src and ip.dst with datasets of type ipv4 and ip
    (rules/ipaddr.html: "a sticky buffer to match on source IP address. It
    matches on the binary representation and is compatible with datasets of
    types ip and ipv4"; {DS}). The rules test every packet (they are not
    IP-only). UDP datagrams to {SERVER} from 10.0.0.1 (two), 10.0.1.7,
    10.0.0.3, 10.0.0.9, from {SERVER} to 10.0.0.1, and an IPv6 datagram
    from 2001:db8::1."""
    from scapy.all import IPv6, UDP, Ether, Raw
    c.cap.udp(b"one", src="10.0.0.1", sport=47001)
    c.cap.udp(b"two", src="10.0.0.1", sport=47001)
    c.cap.udp(b"x", src="10.0.1.7", sport=47002)
    c.cap.udp(b"x", src="10.0.0.3", sport=47003)
    c.cap.udp(b"x", src="10.0.0.9", sport=47004)
    c.cap.udp(b"x", src=SERVER, dst="10.0.0.1", sport=47005, dport=9998)
    c.cap.add(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
              IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=47006, dport=9999) / Raw(b"x"))
    c.files["ips.lst"] = "10.0.0.1\n10.0.1.7\n"
    c.files["ip-mapped.lst"] = "::ffff:10.0.1.7\n2001:db8::1\n"
    c.files["ip-plain.lst"] = "10.0.0.3\n"

    def ip(opts, sid):
        return sig("ip", opts, sid, f"case {sid}")

    c.rule(ip("ip.src; dataset:isset,bad-ips, type ipv4, load ips.lst;", 71), 3,
           "both datagrams of 10.0.0.1 and the one of 10.0.1.7")
    c.rule(ip("ip.dst; dataset:isset,bad-ips;", 72), 1, "the datagram to 10.0.0.1")
    c.rule(ip("ip.src; dataset:isnotset,bad-ips;", 73), 4,
           "10.0.0.3, 10.0.0.9, the server and the IPv6 source (a 16-byte buffer is never in an ipv4 set)")
    c.rule(ip("ip.src; dataset:isset,bad-ip6, type ip, load ip-mapped.lst;", 74), 2,
           "10.0.1.7 through its IPv4-mapped line, and 2001:db8::1")
    c.rule(ip("ip.src; dataset:set,seen-src, type ip;", 75), 6, "the first datagram of each of the six sources")
    c.rule(ip("ip.src; dataset:isset,v4-in-ip, type ip, load ip-plain.lst;", 76), 1,
           "10.0.0.3: an ip set holds IPv4 addresses too. Suricata 8.0.6 matches an IPv4 packet only "
           "with a line in IPv4-mapped form (::ffff:10.0.0.3), not with the plain address its "
           "documentation describes; this check follows the documentation, so Suricata fails it")


THREATS_JSON = """\
{
  "time": "2024-12-21",
  "response": {
    "threats": [
      {"uri": "/bad", "origin": "japan", "score": 7, "tags": ["a", "b"]},
      {"uri": "/good", "origin": "french", "nested": {"x": 1}},
      {"host": "no uri key: skipped"},
      {"uri": 12, "origin": "not a string: skipped"},
      {"uri": "/bad", "origin": "duplicate: the first wins"}
    ]
  }
}
"""


@case("dataset-json-context")
def dataset_json_context(c):
    c.about = f"""dataset with JSON ({DS}, "dataset with json"): "format json" loads a
    file holding one JSON document; "array_key" is the dotted path of the
    array of objects in it; "value_key" names the member holding each
    object's value. On an isset match the alert carries the matched object
    under alert.context.<context_key> (Suricata 8.0.6 names the option
    context_key and writes alert.context; the docs' "alert.content" is a
    typo: comparison). "remove_key" leaves the value out of the object.
    Objects without a string value_key are skipped, the first of duplicate
    items is kept, and JSON sets are load-only (set/unset and save/state
    are refused): comparison, from Suricata 8.0.6's messages. A file that
    is not JSON, or with no object holding value_key, fails the rule.
    Requests /bad, /good, /other (Host www.example.com)."""
    for i, uri in enumerate(["/bad", "/good", "/other"]):
        get(c, uri, 45001 + i)
    c.files["threats.json"] = THREATS_JSON
    c.files["uri-md5.json"] = json.dumps([{"md5": hashlib.md5(b"/good").hexdigest(), "family": "x"}]) + "\n"
    c.files["hosts.json"] = json.dumps([{"name": "www.example.com", "owner": "example"}]) + "\n"
    c.files["broken.json"] = '[{"uri": "/bad"},\n {"uri": "/good",}\n]\n'
    c.files["nokey.json"] = '[{"path": "/bad"}]\n'
    opts = "type string, load threats.json, format json, value_key uri, array_key response.threats"
    c.rule(http(f"http.uri; dataset:isset,threats, {opts}, context_key threat;", 51), 2, "/bad and /good")
    c.check(1, {"alert.signature_id": 51, "alert.context.threat.uri": "/bad",
                "alert.context.threat.origin": "japan", "alert.context.threat.score": 7,
                "alert.context.threat.tags__len": 2},
            "the object of /bad as in the file; the duplicate /bad later in the array is not kept (comparison)")
    c.check(1, {"alert.signature_id": 51, "alert.context.threat.uri": "/good",
                "alert.context.threat.nested.x": 1}, "the object of /good, nested object included")
    c.rule(http(f"http.uri; dataset:isset,threats-rk, {opts}, context_key rk, remove_key;", 52), 2,
           "/bad and /good from a second set of the same file, read with remove_key")
    c.check(2, {"alert.signature_id": 52, "not-has-key": "alert.context.rk.uri"},
            "remove_key: the objects lack the value_key member")
    c.check(1, {"alert.signature_id": 52, "alert.context.rk.origin": "japan"}, "the rest of the object is kept")
    c.rule(http("http.uri; dataset:isnotset,threats;", 53), 1, "/other; isnotset carries no object")
    c.check(1, {"alert.signature_id": 53, "not-has-key": "alert.context"}, "no context for isnotset")
    c.rule(http("http.uri; dataset:isset,threats;", 54), 2,
           "a rule naming the JSON set without its options matches as a plain set (comparison)")
    c.check(0, {"alert.signature_id": 54, "has-key": "alert.context"},
            "and its alerts carry no object: only a rule with context_key asks for one (comparison)")
    c.rule(http(f"http.uri; dataset:isset,threats, {opts}, context_key other;", 55), 2,
           "another rule may show the same set's objects under its own key")
    c.check(1, {"alert.signature_id": 55, "alert.context.other.origin": "french"}, "under context.other")
    c.rule(http("http.uri; to_md5; dataset:isset,uri-md5, type md5, load uri-md5.json, format json, "
                "context_key m, value_key md5;", 56), 1, "the MD5 of /good; md5 values are hex")
    c.check(1, {"alert.signature_id": 56, "alert.context.m.family": "x"}, "with its object")
    c.rule(http("http.uri; dataset:isset,threats, type string, context_key t2, value_key uri, "
                "format json, load threats.json, array_key response.threats; "
                "http.host; dataset:isset,hosts, type string, load hosts.json, format json, "
                "context_key host, value_key name;", 57), 2, "both sets hold for /bad and /good")
    c.check(1, {"alert.signature_id": 57, "alert.context.t2.uri": "/bad",
                "alert.context.host.owner": "example"}, "the alert carries the objects of both sets")
    c.rule(http(f"http.uri; dataset:set,threats-set, {opts}, context_key x;", 58), 0,
           "refused: json format is not supported for 'set' command (comparison)")
    c.rule(http("http.uri; dataset:isset,broken, type string, load broken.json, format json, "
                "context_key b, value_key uri;", 59), 0, "refused: the file is not valid JSON (line 2)")
    c.rule(http("http.uri; dataset:isset,nokey, type string, load nokey.json, format json, "
                "context_key n, value_key uri;", 60), 0,
           "refused: no object has value_key (\"No valid entries for key\", comparison)")
    c.rule(http(f"http.uri; dataset:isset,threats-nk, {opts};", 61), 0,
           "refused: json format needs a 'context_key' parameter (comparison)")


@case("dataset-ndjson")
def dataset_ndjson(c):
    c.about = f"""dataset with JSON, one object per line ({DS}: "ndjson is handling file
    with one JSON object per line"): each line's object whose value_key
    holds the value is an item; alerts carry it under
    alert.context.<context_key>. Lines without value_key are skipped
    (comparison). DNS queries evil.example, ok.example, other.example."""
    for i, name in enumerate(["evil.example", "ok.example", "other.example"]):
        dns_query(c, name, 46001 + i)
    c.files["domains.ndjson"] = (
        '{"domain": "evil.example", "category": "malware", "seen": 3}\n'
        '{"comment": "no domain: skipped"}\n'
        '{"domain": "other.example", "category": "adware", "meta": {"src": "feed"}}\n'
    )
    c.rule(sig("dns", "dns.query; dataset:isset,domains, type string, load domains.ndjson, format ndjson, "
                      "context_key domain_info, value_key domain;", 71, "case 71"), 2,
           "evil.example and other.example")
    c.check(1, {"alert.signature_id": 71, "alert.context.domain_info.domain": "evil.example",
                "alert.context.domain_info.category": "malware", "alert.context.domain_info.seen": 3},
            "the line of evil.example")
    c.check(1, {"alert.signature_id": 71, "alert.context.domain_info.meta.src": "feed"}, "the line of other.example")
    c.rule(sig("dns", "dns.query; dataset:isset,domains-rk, type string, load domains.ndjson, format ndjson, "
                      "context_key d, value_key domain, remove_key;", 72, "case 72"), 2,
           "the same file with remove_key")
    c.check(0, {"alert.signature_id": 72, "has-key": "alert.context.d.domain"}, "without the domain member")
    c.rule(sig("dns", "dns.query; dataset:isset,domains-ak, type string, load domains.ndjson, format ndjson, "
                      "context_key d, value_key domain, array_key x;", 73, "case 73"), 2,
           "array_key is only valid for format json (docs); Suricata 8.0.6 ignores it on ndjson "
           "lines (comparison)")
