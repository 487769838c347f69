"""Teredo (IPv6 in UDP, RFC 4380) as Suricata 8.0.6 decodes it by default
(decoder.teredo, ports $TEREDO_PORTS = 3544, either direction): what is a
tunnel, with and without an origin indication, fragmented inside the tunnel,
and the UDP/3544 payloads that are not Teredo and must stay UDP datagrams
that udp rules still see."""

import struct

from scapy.all import IP, UDP, Ether, Raw
from scapy.contrib.geneve import GENEVE

from casebook import case, sig
from cases_decode import (DECODE_YAML, FRAG6, FRAG_AT, IN6, MAC_A, MAC_B, OUT4, STOCK_TEREDO_YAML, WHOLE6, full, ip6,
                          packet_info, padded, udp_seg)

CLIENT, RELAY = OUT4
BUBBLE_SRC = "2001:db8::b"
CPORT = 51234
# An origin indication (RFC 4380 5.1.1): 0x0000, then the origin's port and
# IPv4 address, each XORed with ones.
ORIGIN = b"\x00\x00" + struct.pack(">H", CPORT ^ 0xFFFF) + bytes(b ^ 0xFF for b in bytes([198, 51, 100, 7]))
# An authentication header (5.1.1): 0x0001, ID-len 0, AU-len 0, nonce (8),
# confirmation byte.
AUTH = b"\x00\x01\x00\x00" + b"\x11" * 8 + b"\x00"


def v6udp(payload, src=IN6[0], dst=IN6[1], hlim=64):
    """A whole IPv6 UDP datagram as bytes."""
    b = bytearray(ip6(src, dst, 17, udp_seg(True, src, dst, payload))[0])
    b[7] = hlim
    return bytes(b)


def teredo(body, to_relay=True, port=3544):
    """One captured frame: IPv4/UDP between client and relay, `body` its payload."""
    if to_relay:
        return Ether(src=MAC_A, dst=MAC_B) / IP(src=CLIENT, dst=RELAY) / UDP(sport=CPORT, dport=port) / Raw(body)
    return Ether(src=MAC_B, dst=MAC_A) / IP(src=RELAY, dst=CLIENT) / UDP(sport=port, dport=CPORT) / Raw(body)


def inner_fields(pkt_src="teredo tunnel", to_relay=True, reverse_inner=False):
    """Out of the tunnel: the inner IPv6 addresses, logged from the inner IPv6
    header as RAW, the tunnel object the outer UDP datagram."""
    src, dst = reversed(IN6) if reverse_inner else IN6
    osrc, odst, sp, dp = (CLIENT, RELAY, CPORT, 3544) if to_relay else (RELAY, CLIENT, 3544, CPORT)
    f = {"src_ip": full(src), "dest_ip": full(dst), "proto": "UDP", "pkt_src": pkt_src}
    f.update(packet_info(12))
    f.update({"tunnel.src_ip": osrc, "tunnel.dest_ip": odst, "tunnel.src_port": sp, "tunnel.dest_port": dp,
              "tunnel.proto": "UDP", "tunnel.depth": 1, "tunnel.pkt_src": "wire/pcap"})
    return f


def plain_fields(dport=3544):
    """Not Teredo: the outer UDP datagram itself, from the capture."""
    f = {"src_ip": CLIENT, "dest_ip": RELAY, "proto": "UDP", "src_port": CPORT, "dest_port": dport,
         "pkt_src": "wire/pcap"}
    f.update(packet_info(1))
    return f


@case("decode-tunnel-teredo")
def decode_tunnel_teredo(c):
    c.about = """Teredo (RFC 4380): IPv6 in UDP, port 3544 either way. Suricata 8.0.6 decodes it by
    default (decoder.teredo.enabled, ports $TEREDO_PORTS) by plausibility, since Teredo has no
    marker of its own: at least 40 bytes; a leading 0x0000 origin indication is skipped (once);
    any other leading zero byte, the authentication header 0x0001 included, means "not a
    tunnel"; then IPv6 version, hop limit not 0, no hop-by-hop header shorter than 8 bytes, a
    payload length that accounts for exactly the bytes left, and an inner packet that decodes
    without an invalid event. What fails any of these stays a plain UDP datagram: udp rules see
    its payload, no decoder event. The root UDP datagram of a Teredo packet is not
    payload-inspected (Suricata disables it on tunnel roots), so each token matches once.

    The EVE fields (pkt_src `teredo tunnel`, packet_info, tunnel) and each count are those of
    the reference Suricata 8.0.6 (comparison): its documentation (configuration/suricata-yaml.html,
    decoder section) says only that Teredo is decoded, on which ports."""
    c.files["suricata.yaml"] = STOCK_TEREDO_YAML
    # 1: a whole IPv6 datagram, client to relay.
    c.cap.add(teredo(v6udp(WHOLE6)))
    c.rule(sig("udp", f'content:"{WHOLE6.decode()}";', 1, "whole IPv6 datagram in Teredo"), 1,
           "the inner IPv6 datagram, out of the tunnel", inner_fields())
    # 2: relay to client, an origin indication before the IPv6 header.
    c.cap.add(teredo(ORIGIN + v6udp(b"ORIGIN-INDICATION-TOKEN", IN6[1], IN6[0]), to_relay=False))
    c.rule(sig("udp", 'content:"ORIGIN-INDICATION-TOKEN";', 2, "origin indication then IPv6"), 1,
           """the inner datagram after the 8-byte origin indication, source port 3544 (either
           port counts)""", inner_fields(to_relay=False, reverse_inner=True))
    # 3: an IPv6 datagram fragmented inside the tunnel, two Teredo datagrams.
    for p in ip6(*IN6, 17, udp_seg(True, *IN6, padded(FRAG6)), FRAG_AT):
        c.cap.add(teredo(p))
    c.rule(sig("udp", f'content:"{FRAG6.decode()}";', 3, "reassembled in Teredo"), 1,
           "once, on the inner datagram rebuilt from its two fragments (neither holds the token)",
           inner_fields("defrag"))
    # 4: text on port 3544.
    c.cap.add(teredo(b"NOT-TEREDO-PAYLOAD: plain text on the Teredo port, long enough for IPv6"))
    c.rule(sig("udp", 'content:"NOT-TEREDO-PAYLOAD";', 4, "text on port 3544"), 1,
           "not IPv6 (version 4 by the first nibble): the UDP datagram itself", plain_fields())
    # 5: hop limit 0.
    c.cap.add(teredo(v6udp(b"HOP-LIMIT-ZERO-TOKEN", hlim=0)))
    c.rule(sig("udp", 'content:"HOP-LIMIT-ZERO-TOKEN";', 5, "IPv6 with hop limit 0"), 1,
           "hop limit 0 is taken for a false detection: the UDP datagram itself", plain_fields())
    # 6: authentication header then IPv6.
    c.cap.add(teredo(AUTH + v6udp(b"AUTH-HEADER-TOKEN")))
    c.rule(sig("udp", 'content:"AUTH-HEADER-TOKEN";', 6, "authentication header then IPv6"), 1,
           "an authentication header is negotiation, not tunnel: the UDP datagram itself", plain_fields())
    # 7: one byte more than the IPv6 length says.
    c.cap.add(teredo(v6udp(b"TRAILING-BYTE-TOKEN") + b"\0"))
    c.rule(sig("udp", 'content:"TRAILING-BYTE-TOKEN";', 7, "IPv6 length one short"), 1,
           "the IPv6 length does not account for every byte: the UDP datagram itself", plain_fields())
    # 8: the inner UDP length field says 4 (below its header's 8).
    bad = bytearray(v6udp(b"BAD-INNER-UDP-TOKEN"))
    bad[44:46] = struct.pack(">H", 4)
    c.cap.add(teredo(bytes(bad)))
    c.rule(sig("udp", 'content:"BAD-INNER-UDP-TOKEN";', 8, "invalid inner UDP"), 1,
           """the inner packet decodes with an invalid event (UDP length below the header):
           Suricata drops the tunnel packet and keeps the UDP datagram itself""", plain_fields())
    # 9: a Teredo bubble: next header 59 (none), no payload, from its own
    # address so that an address-only rule tells it.
    bubble = bytearray(ip6(BUBBLE_SRC, IN6[1], 59, b"")[0])
    bubble[7] = 255
    c.cap.add(teredo(bytes(bubble)))
    f = {"src_ip": full(BUBBLE_SRC), "dest_ip": full(IN6[1]), "pkt_src": "teredo tunnel", "tunnel.src_ip": CLIENT,
         "tunnel.dest_port": 3544, "tunnel.depth": 1}
    c.rule(sig("ip", "", 9, "Teredo bubble", ports=f"{BUBBLE_SRC} any -> any any"), 1,
           """a bubble passes every test (40 bytes, the length matches, hop limit 255): the inner
           IPv6 packet, next header 59, comes out of the tunnel""", f)
    # 10: a valid Teredo datagram on a port not listed.
    c.cap.add(teredo(v6udp(b"OTHER-PORT-TOKEN"), port=3545))
    c.rule(sig("udp", 'content:"OTHER-PORT-TOKEN";', 10, "IPv6 in UDP on port 3545"), 1,
           "neither port is a Teredo port: the UDP datagram itself", plain_fields(3545))


@case("decode-tunnel-teredo-any-port")
def decode_tunnel_teredo_any_port(c):
    c.about = """Teredo on every UDP port: Suricata 8.0.6 looks for Teredo on every UDP datagram when
    decoder.teredo names no ports (its built-in default; the stock suricata.yaml names
    $TEREDO_PORTS, 3544). This case's suricata.yaml has no decoder section, so an IPv6 datagram in
    UDP between ports 51234 and 3545 is a tunnel; text on the same ports stays UDP; IPv6 in
    GENEVE is Teredo too. Counts and
    fields by comparison with the reference Suricata 8.0.6 (its documentation, in the comment of
    the stock suricata.yaml, says the same: "If no ports are given, or the value is set to 'any',
    Teredo detection runs on _all_ UDP packets")."""
    c.files["suricata.yaml"] = DECODE_YAML
    c.cap.add(teredo(v6udp(b"ANY-PORT-TOKEN"), port=3545))
    f = inner_fields()
    f["tunnel.dest_port"] = 3545
    c.rule(sig("udp", 'content:"ANY-PORT-TOKEN";', 1, "IPv6 in UDP on port 3545"), 1,
           "the inner IPv6 datagram, out of the tunnel", f)
    c.cap.add(teredo(b"PLAIN-TEXT-TOKEN on an arbitrary port, long enough to be IPv6 ...", port=3545))
    c.rule(sig("udp", 'content:"PLAIN-TEXT-TOKEN";', 2, "text on port 3545"), 1,
           "not IPv6: the UDP datagram itself", plain_fields(3545))
    c.cap.add(Ether(src=MAC_A, dst=MAC_B) / IP(src=CLIENT, dst=RELAY) / UDP(sport=CPORT, dport=6081)
              / GENEVE(vni=4242, proto=0x86DD) / Raw(v6udp(b"GENEVE-AS-TEREDO-TOKEN")))
    f = inner_fields()
    f["tunnel.dest_port"] = 6081
    c.rule(sig("udp", 'content:"GENEVE-AS-TEREDO-TOKEN";', 3, "IPv6 in GENEVE"), 1,
           """IPv6 in GENEVE (UDP 6081, no options): Teredo is tried first, and the GENEVE header
           (0x0000, 8 bytes) reads as an origin indication, so the packet comes out of a `teredo
           tunnel` whose root is the GENEVE datagram (decode-tunnel-geneve-ip, with the stock
           ports, gets `geneve encapsulation`)""", f)
