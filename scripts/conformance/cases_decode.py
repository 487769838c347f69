"""Decoding on every link type and tunnel we read (issue 10): per case one
link type or encapsulation carrying a whole UDP datagram, a fragmented IPv4
datagram and a fragmented IPv6 one, each with a token only the whole
datagram holds (the fragments split it), so a rule matches only after
reassembly. The checks look at what EVE says about where the packet came
from: src_ip/dest_ip/proto of the inner datagram, pkt_src, packet_info
(the linktype of the logged packet bytes) and the tunnel object."""

import ipaddress
import struct

from scapy.all import GRE, IP, UDP, Dot1Q, Ether, IPv6, IPv6ExtHdrFragment, Raw, raw
from scapy.contrib.geneve import GENEVE
from scapy.layers.l2 import Dot1AD
from scapy.layers.vxlan import VXLAN

from casebook import case, sig

EVE = "output/eve/eve-json-format.html"
DOCS_DEFRAG = "configuration/suricata-yaml.html#defrag"
IN4 = ("10.0.0.1", "192.0.2.10")
IN6 = ("2001:db8::1", "2001:db8::10")
OUT4 = ("172.31.0.10", "172.31.9.9")
OUT6 = ("2001:db8:ffff::a", "2001:db8:ffff::9")
MAC_A, MAC_B = "02:00:00:00:00:01", "02:00:00:00:00:02"
ET4, ET6 = 0x0800, 0x86DD

# Alert records with the logged packet (packet_info).
DECODE_YAML = """\
    %YAML 1.1
    ---
    outputs:
      - eve-log:
          enabled: yes
          filetype: regular
          filename: eve.json
          types:
            - alert:
                packet: yes
    """

# With the decoder section of Suricata's stock suricata.yaml ($TEREDO_PORTS
# is 3544): a case's own suricata.yaml replaces the stock one, and without
# `ports` Suricata looks for Teredo on every UDP port, where a GENEVE header
# (0x0000, 8 bytes) before IPv6 reads as a Teredo origin indication.
STOCK_TEREDO_YAML = DECODE_YAML.rstrip(" ") + """\
    decoder:
      teredo:
        enabled: yes
        ports: "3544"
    """

# The tokens: a fragment boundary falls inside each FRAG token.
WHOLE4, WHOLE6 = b"WHOLE-V4-DATAGRAM", b"WHOLE-V6-DATAGRAM"
FRAG4, FRAG6 = b"FRAG-V4-TOKEN", b"FRAG-V6-TOKEN"
OUTER4, OUTER6 = b"OUTER-V4-TOKEN", b"OUTER-V6-TOKEN"


def padded(token):
    # UDP header (8) + 20 bytes, then the token: a cut at 32 splits it.
    return b"a" * 20 + token + b"z" * 20


FRAG_AT = 32


def udp_seg(v6, src, dst, payload, sport=40000, dport=9999):
    """A UDP header and payload with the checksum the addresses give."""
    ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
    return raw(ip / UDP(sport=sport, dport=dport) / Raw(payload))[40 if v6 else 20:]


def ip4(src, dst, proto, body, frag_at=None, ident=0x1234):
    """An IPv4 datagram as bytes, whole or as two fragments."""
    if frag_at is None:
        return [raw(IP(src=src, dst=dst, proto=proto, id=ident) / Raw(body))]
    return [raw(IP(src=src, dst=dst, proto=proto, id=ident, flags="MF", frag=0) / Raw(body[:frag_at])),
            raw(IP(src=src, dst=dst, proto=proto, id=ident, frag=frag_at // 8) / Raw(body[frag_at:]))]


def ip6(src, dst, nh, body, frag_at=None, ident=0x5678):
    """An IPv6 datagram as bytes, whole or as two fragments."""
    if frag_at is None:
        return [raw(IPv6(src=src, dst=dst, nh=nh) / Raw(body))]
    return [raw(IPv6(src=src, dst=dst, nh=44) / IPv6ExtHdrFragment(nh=nh, offset=0, m=1, id=ident) / Raw(body[:frag_at])),
            raw(IPv6(src=src, dst=dst, nh=44) / IPv6ExtHdrFragment(nh=nh, offset=frag_at // 8, m=0, id=ident)
                / Raw(body[frag_at:]))]


def udp4(payload, frag_at=None):
    return ip4(*IN4, 17, udp_seg(False, *IN4, payload), frag_at)


def udp6(payload, frag_at=None):
    return ip6(*IN6, 17, udp_seg(True, *IN6, payload), frag_at)


def ethertype(ipb):
    return ET6 if ipb[0] >> 4 == 6 else ET4


def eth(ipb):
    return Ether(src=MAC_A, dst=MAC_B, type=ethertype(ipb)) / Raw(ipb)


# Link layers: IP bytes in, one captured frame out.
LINKS = {
    "ethernet": (None, eth),
    "vlan": (None, lambda b: Ether(src=MAC_A, dst=MAC_B) / Dot1Q(vlan=10, type=ethertype(b)) / Raw(b)),
    "qinq": (None, lambda b: Ether(src=MAC_A, dst=MAC_B, type=0x88A8) / Dot1AD(vlan=100, type=0x8100)
             / Dot1Q(vlan=10, type=ethertype(b)) / Raw(b)),
    # Linux cooked v1: packet type, ARPHRD_ETHER, address length, address
    # (8 bytes, padded), protocol.
    "sll": (113, lambda b: Raw(struct.pack(">HHH8sH", 0, 1, 6, bytes.fromhex("020000000001") + b"\0\0",
                                           ethertype(b)) + b)),
    # Linux cooked v2: protocol, reserved, ifindex, ARPHRD_ETHER, packet
    # type, address length, address.
    "sll2": (276, lambda b: Raw(struct.pack(">HHIHBB8s", ethertype(b), 0, 2, 1, 0, 6,
                                            bytes.fromhex("020000000001") + b"\0\0") + b)),
    "raw": (101, lambda b: Raw(b)),
    # BSD loopback, host (little-endian) order; AF_INET6 as macOS writes it.
    "null": (0, lambda b: Raw(struct.pack("<I", 30 if b[0] >> 4 == 6 else 2) + b)),
    # DLT_PPP: address, control, protocol (0x0021 IPv4, 0x0057 IPv6).
    "ppp": (9, lambda b: Raw(b"\xff\x03" + struct.pack(">H", 0x57 if b[0] >> 4 == 6 else 0x21) + b)),
    # PPPoE session: version/type, code 0, session id, length, PPP protocol.
    "pppoe": (None, lambda b: Ether(src=MAC_A, dst=MAC_B, type=0x8864) / Raw(
        struct.pack(">BBHHH", 0x11, 0, 0x2A, len(b) + 2, 0x57 if b[0] >> 4 == 6 else 0x21) + b)),
    # MPLS unicast: two labels (100, then 200 with bottom of stack), TTL 64;
    # what follows is told by its first nibble.
    "mpls": (None, lambda b: Ether(src=MAC_A, dst=MAC_B, type=0x8847) / Raw(
        struct.pack(">II", 100 << 12 | 64, 200 << 12 | 0x100 | 64) + b)),
}

# A PPPoE discovery frame (PADI with an empty Service-Name tag): no IP.
PADI = Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff", type=0x8863) / Raw(struct.pack(">BBHHHH", 0x11, 0x09, 0, 4, 0x0101, 0))


def outer_udp(dport, body, sport=51234):
    return Ether(src=MAC_A, dst=MAC_B) / IP(src=OUT4[0], dst=OUT4[1]) / UDP(sport=sport, dport=dport) / body


def outer_ip(proto, body):
    return Ether(src=MAC_A, dst=MAC_B) / IP(src=OUT4[0], dst=OUT4[1], proto=proto) / body


def erspan2(session, b):
    # ERSPAN type II (in GRE 0x88be with a sequence number): version 1,
    # VLAN 0; COS 0, encapsulation 0, T 0, session id; index 0.
    hdr = struct.pack(">HHI", 0x1000, session & 0x3FF, 0)
    return GRE(proto=0x88BE, seqnum_present=1, seqence_number=1) / Raw(hdr) / eth(b)


# Tunnels: inner IP bytes in, one captured Ethernet frame out.
TUNNELS = {
    "vxlan": lambda b: outer_udp(4789, VXLAN(flags=0x08, vni=4242) / eth(b)),
    "geneve-ethernet": lambda b: outer_udp(6081, GENEVE(vni=4242, proto=0x6558) / eth(b)),
    "geneve-ip": lambda b: outer_udp(6081, GENEVE(vni=4242, proto=ethertype(b)) / Raw(b)),
    "gre-teb": lambda b: outer_ip(47, GRE(proto=0x6558) / eth(b)),
    "gre-ip": lambda b: outer_ip(47, GRE(proto=ethertype(b)) / Raw(b)),
    "erspan": lambda b: outer_ip(47, erspan2(7, b)),
}


def add(c, link, datagrams):
    for pieces in datagrams:
        for p in pieces:
            c.cap.add(link(p))


def rules(c, fields, whole6=True):
    """The four rules of a case: each token once; `fields(kind, v6)`
    gives the checks on the alert."""
    c.rule(sig("udp", f'content:"{WHOLE4.decode()}";', 1, "whole IPv4 datagram"), 1,
           "the whole IPv4 datagram", fields("whole", False))
    if whole6:
        c.rule(sig("udp", f'content:"{WHOLE6.decode()}";', 2, "whole IPv6 datagram"), 1,
               "the whole IPv6 datagram", fields("whole", True))
    c.rule(sig("udp", f'content:"{FRAG4.decode()}";', 3, "reassembled IPv4"), 1,
           "once, on the datagram rebuilt from its two fragments (neither holds the token)",
           fields("frag", False))
    c.rule(sig("udp", f'content:"{FRAG6.decode()}";', 4, "reassembled IPv6"), 1,
           "once, on the datagram rebuilt from its two fragments (neither holds the token)",
           fields("frag", True))


def full(a):
    """An address as Suricata writes it (IPv6 uncompressed)."""
    return ipaddress.ip_address(a).exploded


def addr_fields(v6):
    src, dst = IN6 if v6 else IN4
    return {"src_ip": full(src), "dest_ip": full(dst), "proto": "UDP"}


LINKTYPE = {1: "EN10MB", 0: "NULL", 9: "PPP", 12: "RAW", 113: "LINUX_SLL", 276: "LINUX_SLL2"}


def packet_info(dlt):
    return {"packet_info.linktype": dlt, "packet_info.linktype_name": LINKTYPE[dlt]}


def link_fields(dlt):
    """Outside any tunnel: pkt_src and the link type of the capture (raw
    IP is logged as DLT_RAW, 12, as libpcap hands it to Suricata). A
    rebuilt datagram is logged with its last fragment as `tunnel` of depth
    0: the fragments' addresses, no ports, their IP header's protocol
    field (IPv6: 44, the fragment header)."""
    def fields(kind, v6):
        f = packet_info(dlt)
        if kind == "whole":
            f["pkt_src"] = "wire/pcap"
            return f
        src, dst = IN6 if v6 else IN4
        f.update({"pkt_src": "defrag", "tunnel.src_ip": full(src), "tunnel.dest_ip": full(dst),
                  "tunnel.src_port": 0, "tunnel.proto": "IPv6-Frag" if v6 else "UDP", "tunnel.depth": 0,
                  "tunnel.pkt_src": "wire/pcap"})
        return f
    return fields


def tunnel_fields(pkt_src, proto, dlt, ports=None, outer=OUT4, pkt_src6=None):
    """Out of a tunnel: the tunnel object is the outermost packet (depth 1),
    pkt_src names the tunnel's decoder, or defrag for a datagram rebuilt
    inside the tunnel."""
    def fields(kind, v6):
        f = packet_info(dlt)
        f["pkt_src"] = "defrag" if kind == "frag" else (pkt_src6 if v6 and pkt_src6 else pkt_src)
        f.update({"tunnel.src_ip": full(outer[0]), "tunnel.dest_ip": full(outer[1]), "tunnel.proto": proto,
                  "tunnel.depth": 1, "tunnel.pkt_src": "wire/pcap"})
        if ports:
            f.update({"tunnel.src_port": ports[0], "tunnel.dest_port": ports[1]})
        return f
    return fields


def standard_datagrams():
    return [udp4(WHOLE4), udp6(WHOLE6), udp4(padded(FRAG4), FRAG_AT), udp6(padded(FRAG6), FRAG_AT)]


COMMON = f"""Suricata reassembles IPv4 and IPv6 fragments before detection
({DOCS_DEFRAG}): each FRAG token is split between two fragments and matches once, on the
rebuilt datagram. The EVE fields (pkt_src, packet_info, tunnel) are those of the reference
Suricata 8.0.6 (comparison): its EVE documentation ({EVE}) names them without saying what
they hold for each link type or tunnel."""


def link_case(name, about):
    linktype, wrap = LINKS[name]

    def build(c):
        c.about = about + "\n\n" + COMMON
        c.linktype = linktype
        c.files["suricata.yaml"] = DECODE_YAML
        add(c, wrap, standard_datagrams())
        if name == "pppoe":
            c.cap.add(PADI)
        rules(c, lambda kind, v6: dict(addr_fields(v6), **LINK_EXPECT[name](kind, v6)))
    return build


NOTE_ETHERNET_RAW = """Suricata 8.0.6 differs on packet_info, and we keep ours: it logs the
inner Ethernet frame (ERSPAN: from the ERSPAN header) as `packet` but labels it RAW (12),
so a reader that decodes `packet` by its linktype fails; we log the inner Ethernet frame as
EN10MB (1). Everything else agrees."""
NOTES = {
    "geneve-ethernet": NOTE_ETHERNET_RAW,
    "gre-teb": NOTE_ETHERNET_RAW,
    "erspan": NOTE_ETHERNET_RAW,
    "geneve-ip": """The suricata.yaml keeps the stock Teredo ports (3544): Suricata tries Teredo
    before GENEVE, and with its built-in default (every UDP port, when a configuration names
    none) a GENEVE header without options (0x0000, 8 bytes) followed by IPv6 reads as a Teredo
    origin indication, so the IPv6 datagram came out as pkt_src `teredo tunnel`. Both engines
    do that on every port (compared: decode-tunnel-teredo-any-port); with the stock ports, both
    write `geneve encapsulation` (comparison).""",
    "vxlan": """Like Suricata, we log a VXLAN packet from its inner IP header, as RAW (12): its
    VXLAN decoder reads the inner Ethernet header itself.""",
}


def tunnel_case(name, about):
    wrap = TUNNELS[name]

    def build(c):
        c.about = about + "\n\n" + COMMON + ("\n\n" + NOTES[name] if name in NOTES else "")
        c.files["suricata.yaml"] = STOCK_TEREDO_YAML if name == "geneve-ip" else DECODE_YAML
        add(c, wrap, standard_datagrams())
        rules(c, lambda kind, v6: dict(addr_fields(v6), **TUNNEL_EXPECT[name](kind, v6)))
        if name == "vxlan":
            # The VXLAN datagram itself fragmented by the path between VTEP
            # and sensor, the cut inside the inner payload's token.
            inner = udp4(padded(OUTER4))[0]
            body = raw(UDP(sport=51234, dport=4789) / VXLAN(flags=0x08, vni=4242) / eth(inner))
            body = body[:4] + b"\0\0" + body[6:]  # no UDP checksum (RFC 7348 allows 0)
            # The token starts at 78 (UDP, VXLAN, Ethernet, IP, UDP, 20
            # bytes); fragment offsets are multiples of 8.
            for p in ip4(*OUT4, 17, body, 80, ident=0x7777):
                c.cap.add(eth(p))
            f = dict(addr_fields(False), **packet_info(12))
            f.update({"pkt_src": "vxlan encapsulation", "tunnel.src_ip": OUT4[0], "tunnel.src_port": 0,
                      "tunnel.dest_port": 0, "tunnel.proto": "UDP", "tunnel.depth": 1})
            c.rule(sig("udp", f'content:"{OUTER4.decode()}";', 5, "outer VXLAN datagram reassembled"), 1,
                   """once, on the inner packet of the VXLAN datagram rebuilt from its two fragments.
                   Suricata 8.0.6 differs and we keep ours: it rebuilds the outer datagram (its
                   defrag.ipv4.reassembled counts it) but does not decode VXLAN from it, so the
                   inner packet is never inspected, an evasion for a sensor behind a path that
                   fragments. The fields follow what Suricata writes for IP in IP rebuilt the
                   same way: pkt_src of the tunnel's decoder, the last fragment as the tunnel
                   root, hence no ports.""", f)
    return build


LINK_EXPECT = {"ethernet": link_fields(1), "vlan": link_fields(1), "qinq": link_fields(1),
               "sll": link_fields(113), "sll2": link_fields(276), "raw": link_fields(12),
               "null": link_fields(0), "ppp": link_fields(9), "pppoe": link_fields(1), "mpls": link_fields(1)}
# GENEVE and GRE carrying Ethernet, and ERSPAN: we log the inner Ethernet
# frame as EN10MB. Suricata 8.0.6 logs the same bytes (ERSPAN: from the
# ERSPAN header) but labels them RAW (12), which no reader can decode.
TUNNEL_EXPECT = {
    "vxlan": tunnel_fields("vxlan encapsulation", "UDP", 12, (51234, 4789)),
    "geneve-ethernet": tunnel_fields("geneve encapsulation", "UDP", 1, (51234, 6081)),
    "geneve-ip": tunnel_fields("geneve encapsulation", "UDP", 12, (51234, 6081)),
    "gre-teb": tunnel_fields("gre tunnel", "GRE", 1, (0, 0)),
    "gre-ip": tunnel_fields("gre tunnel", "GRE", 12, (0, 0)),
    "erspan": tunnel_fields("gre tunnel", "GRE", 1, (0, 0)),
}

for _name, _about in [
    ("ethernet", "Ethernet II."),
    ("vlan", "One 802.1Q tag (VLAN 10)."),
    ("qinq", "802.1ad QinQ: an S-tag (0x88a8, VLAN 100) over a C-tag (0x8100, VLAN 10)."),
    ("sll", "Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113), what `tcpdump -i any` wrote before libpcap 1.10."),
    ("sll2", "Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276), what `tcpdump -i any` writes now."),
    ("raw", "Raw IP (LINKTYPE_RAW 101): no link header, the version nibble says IPv4 or IPv6."),
    ("null", "BSD loopback (LINKTYPE_NULL 0): a 4-byte address family in host order, 2 for IPv4 and 30 "
             "(macOS's AF_INET6) for IPv6."),
    ("ppp", "PPP (LINKTYPE_PPP 9): address 0xff, control 0x03, protocol 0x0021 (IPv4) or 0x0057 (IPv6)."),
    ("pppoe", "PPPoE session frames (ethertype 0x8864, RFC 2516) on Ethernet, carrying PPP with protocol "
              "0x0021/0x0057, and one discovery frame (PADI, 0x8863), which carries no IP and alerts nothing."),
    ("mpls", "An MPLS label stack (ethertype 0x8847, labels 100 and 200) on Ethernet: what follows the "
             "bottom of the stack is IPv4 or IPv6 by its first nibble, as Suricata guesses it."),
]:
    case(f"decode-link-{_name}")(link_case(_name, _about))

for _name, _about in [
    ("vxlan", "VXLAN (UDP 4789, VNI 4242) carrying Ethernet, the encapsulation of AWS VPC Traffic Mirroring."),
    ("geneve-ethernet", "GENEVE (UDP 6081) with protocol type 0x6558: an Ethernet frame inside."),
    ("geneve-ip", "GENEVE (UDP 6081) with protocol type 0x0800/0x86dd: the inner packet is IP with no "
                  "Ethernet header, as AWS Gateway Load Balancer sends it."),
    ("gre-teb", "GRE with protocol 0x6558 (transparent Ethernet bridging): an Ethernet frame inside."),
    ("gre-ip", "GRE with protocol 0x0800/0x86dd: the inner packet is IP with no Ethernet header."),
    ("erspan", "ERSPAN type II (GRE 0x88be with a sequence number, session 7): the mirrored Ethernet frame."),
]:
    case(f"decode-tunnel-{_name}")(tunnel_case(_name, _about))


def ipip_case(name, about, outer_v6, inner_v6):
    """IP in IP: the inner datagram of one version, fragmented inside the
    tunnel, and an outer datagram fragmented around a whole inner one."""
    def build(c):
        c.about = about + "\n\n" + COMMON + """\n\nThe third datagram is the outer one fragmented
        around a whole inner datagram: after reassembly the inner packet comes out of the tunnel."""
        c.files["suricata.yaml"] = DECODE_YAML
        inner_proto = 41 if inner_v6 else 4
        osrc, odst = OUT6 if outer_v6 else OUT4

        def outer(body, frag_at=None):
            if outer_v6:
                return ip6(osrc, odst, inner_proto, body, frag_at, ident=0x9ABC)
            return ip4(osrc, odst, inner_proto, body, frag_at, ident=0x4321)

        inner = udp6 if inner_v6 else udp4
        whole, frag, out_tok = (WHOLE6, FRAG6, OUTER6) if inner_v6 else (WHOLE4, FRAG4, OUTER4)
        for pieces in [inner(whole), inner(padded(frag), FRAG_AT)]:
            for p in pieces:
                c.cap.add(eth(outer(p)[0]))
        # The outer datagram cut inside the inner UDP payload's token
        # (inner header, UDP header, 20 bytes, then the token), at a
        # multiple of 8 as fragment offsets must be.
        inner_whole = inner(padded(out_tok))[0]
        cut = (40 if inner_v6 else 20) + FRAG_AT + (0 if inner_v6 else 4)
        for p in outer(inner_whole, cut):
            c.cap.add(eth(p))
        expect = IPIP_EXPECT[name]
        v = "V6" if inner_v6 else "V4"
        c.rule(sig("udp", f'content:"{whole.decode()}";', 1, f"whole inner {v}"), 1,
               "the whole inner datagram", dict(addr_fields(inner_v6), **expect("whole", inner_v6)))
        c.rule(sig("udp", f'content:"{frag.decode()}";', 2, f"inner {v} reassembled in the tunnel"), 1,
               "once, on the inner datagram rebuilt from its two fragments", dict(addr_fields(inner_v6),
                                                                                  **expect("frag", inner_v6)))
        c.rule(sig("udp", f'content:"{out_tok.decode()}";', 3, "outer datagram reassembled"), 1,
               "once, on the inner datagram of the outer datagram rebuilt from its two fragments",
               dict(addr_fields(inner_v6), **expect("outer", inner_v6)))
    return build


def ipip_fields(pkt_src, proto, outer, outer_frag_proto):
    """IP in IP: pkt_src names the outer header's version; a datagram
    rebuilt inside the tunnel is `defrag`; the inner packet of a rebuilt
    outer datagram comes from the tunnel, whose root is the last outer
    fragment (its protocol field: IPv6 logs 44, the fragment header)."""
    def fields(kind, v6):
        f = dict(packet_info(12), **{"tunnel.src_ip": full(outer[0]), "tunnel.dest_ip": full(outer[1]),
                                     "tunnel.src_port": 0, "tunnel.depth": 1, "tunnel.pkt_src": "wire/pcap"})
        f["pkt_src"] = "defrag" if kind == "frag" else pkt_src
        f["tunnel.proto"] = outer_frag_proto if kind == "outer" else proto
        return f
    return fields


IPIP_EXPECT = {
    "ipv4-in-ipv4": ipip_fields("ipv4 tunnel", "IP-in-IP", OUT4, "IP-in-IP"),
    "ipv6-in-ipv4": ipip_fields("ipv4 tunnel", "IPv6", OUT4, "IPv6"),
    "ipv4-in-ipv6": ipip_fields("ipv6 tunnel", "IP-in-IP", OUT6, "IPv6-Frag"),
}
case("decode-tunnel-ipv4-in-ipv4")(ipip_case("ipv4-in-ipv4", "IPv4 in IPv4 (protocol 4).", False, False))
case("decode-tunnel-ipv6-in-ipv4")(ipip_case("ipv6-in-ipv4", "IPv6 in IPv4 (protocol 41, 6in4).", False, True))
case("decode-tunnel-ipv4-in-ipv6")(ipip_case("ipv4-in-ipv6", "IPv4 in IPv6 (next header 4).", True, False))
