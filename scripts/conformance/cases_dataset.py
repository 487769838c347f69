"""dataset, datarep and iprep: sets and reputation loaded from files (next to
the rules or named in suricata.yaml) and sets changed by rules at runtime."""

import base64
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
