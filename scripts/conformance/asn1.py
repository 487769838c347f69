#!/usr/bin/env python3
"""Writes the `asn1` keyword conformance cases, tests/data/conformance/asn1-*/.

Each case folder gets input.pcap, test.rules and test.yaml (suricata-verify
format: one `filter` check per rule, counting its alerts). The test.yaml
opens with a comment saying what the case tests and why each expected count
is right: from Suricata's documentation of `asn1` and its unit tests where
they say, and "established by comparison" where they are silent and the
count was taken from Suricata 8.0.6 (../shared/reference) on this capture.

Most cases are UDP datagrams, one scenario per destination port, so each
rule sees exactly the payload it is about (a UDP payload is inspected as
one packet, with no stream in between). The ET case is an SMB session over
TCP, as the ET Open rules that use `asn1` expect.

    scripts/conformance/asn1.py [OUT_DIR]    (default tests/data/conformance)

Needs scapy (pip install --break-system-packages scapy). The output is
committed; rerunning gives the same bytes (fixed timestamps).
"""

import os
import struct
import sys

from scapy.all import IP, TCP, UDP, Ether, Raw, wrpcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "tests", "data", "conformance")

CLIENT, SERVER = "10.0.0.1", "10.0.0.2"
T0 = 1_700_000_000.0


# --- BER building blocks -------------------------------------------------

def ber_len(n):
    """Definite length, short form below 128, else the shortest long form."""
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, content):
    return bytes([tag]) + ber_len(len(content)) + content


def seq(*items):
    return tlv(0x30, b"".join(items))


NULL = b"\x05\x00"
BITSTRING_OVERFLOW = b"\x03\x01\xff"  # 1 content octet that says 255 bits are unused

# X.690 (07/2002) A.3, the PersonnelRecord example, as Suricata's unit
# tests use it (outer [APPLICATION 0] of length 133).
X690_A3 = (
    b"\x60\x81\x85\x61\x10\x1a\x04John\x1a\x01P\x1a\x05Smith\xa0\x0a\x1a\x08Director"
    b"\x42\x01\x33\xa1\x0a\x43\x0819710917"
    b"\xa2\x12\x61\x10\x1a\x04Mary\x1a\x01T\x1a\x05Smith"
    b"\xa3\x42\x31\x1f\x61\x11\x1a\x05Ralph\x1a\x01T\x1a\x05Smith\xa0\x0a\x43\x0819571111"
    b"\x31\x1f\x61\x11\x1a\x05Susan\x1a\x01B\x1a\x05Jones\xa0\x0a\x43\x0819590717"
)
assert len(X690_A3) == 3 + 0x85


def real(first, n):
    """A primitive REAL of n content octets starting with `first`."""
    return b"\x09" + ber_len(n) + bytes([first]) + b"\x05" * (n - 1)


def nested(depth, inner):
    for _ in range(depth):
        inner = seq(inner)
    return inner


def indefinite(depth, inner):
    for _ in range(depth):
        inner = b"\x30\x80" + inner + b"\x00\x00"
    return inner


# --- capture writing -----------------------------------------------------

class Capture:
    def __init__(self):
        self.pkts = []
        self.t = T0

    def add(self, pkt):
        pkt.time = self.t
        self.t += 0.001
        self.pkts.append(pkt)

    def udp(self, dport, payload, sport=40000):
        self.add(Ether() / IP(src=CLIENT, dst=SERVER) / UDP(sport=sport, dport=dport) / Raw(payload))

    def tcp_session(self, src, dst, sport, dport, client_data):
        """Handshake, the client's data in segments, acks, FIN both ways."""
        ip_c = IP(src=src, dst=dst)
        ip_s = IP(src=dst, dst=src)
        cseq, sseq = 1000, 5000
        self.add(Ether() / ip_c / TCP(sport=sport, dport=dport, flags="S", seq=cseq))
        self.add(Ether() / ip_s / TCP(sport=dport, dport=sport, flags="SA", seq=sseq, ack=cseq + 1))
        cseq += 1
        sseq += 1
        self.add(Ether() / ip_c / TCP(sport=sport, dport=dport, flags="A", seq=cseq, ack=sseq))
        for seg in client_data:
            self.add(Ether() / ip_c / TCP(sport=sport, dport=dport, flags="PA", seq=cseq, ack=sseq) / Raw(seg))
            cseq += len(seg)
            self.add(Ether() / ip_s / TCP(sport=dport, dport=sport, flags="A", seq=sseq, ack=cseq))
        self.add(Ether() / ip_c / TCP(sport=sport, dport=dport, flags="FA", seq=cseq, ack=sseq))
        self.add(Ether() / ip_s / TCP(sport=dport, dport=sport, flags="FA", seq=sseq, ack=cseq + 1))
        self.add(Ether() / ip_c / TCP(sport=sport, dport=dport, flags="A", seq=cseq + 1, ack=sseq + 1))


def write_case(name, comment, cap, rules):
    """rules: [(sid, rule text, expected alert count, why)]."""
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    wrpcap(os.path.join(d, "input.pcap"), cap.pkts)
    with open(os.path.join(d, "test.rules"), "w") as f:
        for _, text, _, _ in rules:
            f.write(text + "\n")
    with open(os.path.join(d, "test.yaml"), "w") as f:
        for line in (comment.strip("\n") + "\n" + SOURCES).splitlines():
            f.write(("# " + line).rstrip() + "\n")
        f.write("#\n# Expected alerts per rule:\n")
        for sid, _, count, why in rules:
            f.write(f"#   sid {sid}: {count} -- {why}\n")
        f.write("\nchecks:\n")
        for sid, _, count, _ in rules:
            f.write(f"  - filter:\n      count: {count}\n      match:\n        alert.signature_id: {sid}\n")


# Said in every test.yaml: what "the docs" are.
SOURCES = """
"The docs": Suricata's user guide has no asn1 page (suricata 8.0.6
--list-keywords=asn1 gives no description); the keyword is Snort's, whose
docs (docs.snort.org/rules/options/payload/asn1) Suricata follows, and
Suricata's unit tests (src/detect-asn1.c, rust/src/asn1/) pin some values.
Where they are silent the count was established by running this capture
through Suricata 8.0.6 (../shared/reference/run-suricata.sh); every count
here was also checked that way.
"""


def udp_rule(sid, port, opts, msg):
    return f'alert udp any any -> any {port} (msg:"{msg}"; {opts} sid:{sid}; rev:1;)'


def udp_case(name, comment, scenarios):
    """scenarios: [(payload, [(opts, expected, why)])]; one port each."""
    cap = Capture()
    rules = []
    sid = 1
    for i, (payload, checks) in enumerate(scenarios):
        port = 1001 + i
        cap.udp(port, payload)
        for opts, count, why in checks:
            rules.append((sid, udp_rule(sid, port, opts, f"{name} {sid}"), count, why))
            sid += 1
    write_case(name, comment, cap, rules)


UNIT = "Suricata's unit tests"
CMP = "docs silent: established by comparison with Suricata 8.0.6"


def bitstring_case():
    bs = "asn1:bitstring_overflow, absolute_offset 0;"
    udp_case(
        "asn1-bitstring-overflow",
        """
asn1 bitstring_overflow: matches a universal primitive BIT STRING whose
first content octet (the number of unused bits) is greater than 8 times the
content length, anywhere in the objects decoded from the offset (the docs:
"detects invalid bitstring encodings that are known to be remotely
exploitable"; the unit tests: 03 01 FF matches, 03 01 07 does not). How deep
the search goes (universal SEQUENCE/SET children yes, [APPLICATION] and
context-specific constructed contents no), and that decoding stops at the
first object that does not decode, the docs do not say: those counts were
established by comparison with Suricata 8.0.6.
""",
        [
            (BITSTRING_OVERFLOW, [(bs, 1, f"255 unused bits in 1 octet ({UNIT})")]),
            (b"\x03\x01\x07", [(bs, 0, f"7 unused bits is legal ({UNIT})")]),
            (b"\x03\x01\x09", [(bs, 1, "9 > 8*1: the smallest overflow (boundary)")]),
            (b"\x03\x01\x08", [(bs, 0, "8 is not > 8*1 (boundary)")]),
            (b"\x03\x02\x11\x00", [(bs, 1, "17 > 8*2")]),
            (b"\x03\x02\x10\x00", [(bs, 0, "16 is not > 8*2")]),
            (seq(BITSTRING_OVERFLOW), [(bs, 1, f"inside a SEQUENCE: its children are searched; {CMP}")]),
            (b"\x30\x80" + BITSTRING_OVERFLOW + b"\x00\x00", [(bs, 1, f"inside an indefinite-length SEQUENCE; {CMP}")]),
            (tlv(0x60, BITSTRING_OVERFLOW), [(bs, 0, f"inside [APPLICATION 0]: its content is not decoded; {CMP}")]),
            (tlv(0xA0, BITSTRING_OVERFLOW), [(bs, 0, f"inside context [0]: its content is not decoded; {CMP}")]),
            (b"\x23\x03" + BITSTRING_OVERFLOW, [(bs, 0, f"constructed BIT STRING does not decode; {CMP}")]),
            (NULL + BITSTRING_OVERFLOW, [(bs, 1, "second of several objects: every decoded object is checked")]),
            (BITSTRING_OVERFLOW + b"ZZ", [(bs, 1, f"trailing bytes that do not decode do not undo it; {CMP}")]),
            (b"\x01\x02\x00\x00" + BITSTRING_OVERFLOW, [(bs, 0, f"a BOOLEAN of 2 octets stops the decoding before it; {CMP}")]),
            (BITSTRING_OVERFLOW, [("asn1:double_overflow, absolute_offset 0;", 0, "only the checks asked for count")]),
        ],
    )


def double_case():
    do = "asn1:double_overflow;"
    udp_case(
        "asn1-double-overflow",
        """
asn1 double_overflow: matches a universal primitive REAL in decimal (ASCII)
encoding -- first content octet with bits 8 and 7 clear -- longer than 256
octets (the docs: "detects a double ASCII encoding that is larger than a
standard buffer"; the unit tests: a 257-octet REAL matches, a 256-octet one
does not). Without an offset option decoding starts at the first byte.
""",
        [
            (real(0x05, 257), [(do, 1, f"257-octet decimal REAL ({UNIT})")]),
            (real(0x05, 256), [(do, 0, f"256 octets is not larger than the buffer ({UNIT})")]),
            (real(0x80, 257), [(do, 0, "binary encoding (bit 8 set) is not the ASCII form")]),
            (real(0x40, 257), [(do, 0, "special real value (bit 7 set) is not the ASCII form")]),
            (seq(real(0x05, 300)), [(do, 1, "inside a SEQUENCE: children are searched")]),
            (real(0x05, 257), [("asn1:bitstring_overflow;", 0, "only the checks asked for count")]),
        ],
    )


def oversize_case():
    truncated = b"\x04\x82\x0b\xb8" + b"\x41" * 200  # claims 3000 octets, holds 200
    big = seq(tlv(0x04, b"\x42" * 253))  # SEQUENCE of length 256
    assert len(big) == 4 + 256
    udp_case(
        "asn1-oversize-length",
        """
asn1 oversize_length N: matches an object whose length is greater than N
(the docs: "compares ASN.1 type lengths with the supplied argument"; the unit
tests: the X.690 A.3 record, of length 133, matches 132 and not 133). An
object that claims more bytes than the buffer holds does not decode, so it
is not checked at all; an indefinite length is no length to compare: those
two counts were established by comparison with Suricata 8.0.6.
""",
        [
            (X690_A3, [
                ("asn1:oversize_length 132, absolute_offset 0;", 1, f"length 133 > 132 ({UNIT})"),
                ("asn1:oversize_length 133, absolute_offset 0;", 0, f"133 is not > 133 ({UNIT})"),
            ]),
            (big, [
                ("asn1:oversize_length 255;", 1, "long-form length 256 > 255"),
                ("asn1:oversize_length 256;", 0, "256 is not > 256"),
            ]),
            (truncated, [("asn1:oversize_length 100;", 0, f"claims 3000 octets but holds 200: does not decode; {CMP}")]),
            (b"\xa0\x80" + tlv(0x04, b"\x43" * 16) + b"\x00\x00", [
                ("asn1:oversize_length 10;", 0, f"indefinite-length [0] with 18 content octets; {CMP}"),
            ]),
            (NULL, [("asn1:oversize_length 0;", 0, "NULL has length 0, not > 0")]),
            (b"\x04\x01\x00", [("asn1:oversize_length 0;", 1, "length 1 > 0")]),
        ],
    )


def offsets_case():
    bs = "asn1:bitstring_overflow"
    aa = b"AA" + BITSTRING_OVERFLOW
    mark = BITSTRING_OVERFLOW + b"MARK"
    retry = b"AA" + NULL + b"ZZ" + b"AA" + BITSTRING_OVERFLOW
    udp_case(
        "asn1-offsets",
        """
asn1 offsets: absolute_offset N decodes from byte N of the buffer;
relative_offset N from N bytes after the end of the previous content match,
N may be negative (the docs: "relative_offset ... relative to the current
cursor location"; the unit tests: content "AA" with relative_offset 0 decodes
what follows "AA"). Without either, decoding starts at byte 0. A start
outside the buffer (before it, or at or past its end) decodes nothing. With
both options absolute_offset wins. The keyword runs in rule order, at the
offset left by the keywords before it; when it fails, the content before
it is searched again only if a keyword after the asn1 is relative to that
content (a content with within, pcre R, isdataat/byte_* relative) -- not
for a content with distance alone, nor for the asn1 itself. The docs are
silent on these, so they were established by comparison with Suricata 8.0.6.
""",
        [
            (aa, [
                (f'content:"AA"; {bs}, relative_offset 0;', 1, f"decodes after AA ({UNIT})"),
                (f"{bs}, absolute_offset 2;", 1, "decodes from byte 2"),
                (f"{bs};", 0, "from byte 0: 'A' (41) claims 65 octets, does not decode"),
                (f'content:"AA"; {bs}, relative_offset 1;', 0, "from byte 3: 01 FF does not decode"),
                (f"{bs}, relative_offset 2;", 1, f"no previous match: relative to byte 0; {CMP}"),
            ]),
            (mark, [
                (f'content:"MARK"; {bs}, relative_offset -7;', 1, "MARK ends at 7: -7 is byte 0"),
                (f'content:"MARK"; {bs}, relative_offset -8;', 0, "before the buffer start"),
                (f'content:"MARK"; {bs}, relative_offset 0;', 0, "at the buffer end: nothing to decode"),
                (f"{bs}, absolute_offset 7;", 0, "offset == buffer length"),
                (f"{bs}, absolute_offset 65535;", 0, "far past the end"),
                (f'content:"MARK"; {bs}, absolute_offset 0, relative_offset 0;', 1, f"absolute wins; {CMP}"),
            ]),
            (retry, [
                (f'content:"AA"; {bs}, relative_offset 0;', 0, f"not retried at the second AA; {CMP}"),
                (f'content:"AA"; {bs}, relative_offset 0; content:"ZZ"; distance:0;', 0,
                 f"distance alone does not retry AA; {CMP}"),
                (f'content:"AA"; {bs}, relative_offset 0; isdataat:1,relative;', 1,
                 f"isdataat relative retries AA: the second one works; {CMP}"),
                (f'content:"AA"; {bs}, relative_offset 0; content:"ZZ"; within:20;', 0,
                 f"retried, but no ZZ after the second AA; {CMP}"),
            ]),
            (aa + b"BB" + NULL, [
                (f'content:"AA"; {bs}, relative_offset 0; content:"BB"; distance:0;', 1,
                 "in rule order: decodes after AA, before BB is searched"),
                (f'{bs}, relative_offset 0; content:"AA";', 0, f"before the content: from byte 0; {CMP}"),
                (f'content:"AA"; pcre:"/B+/R"; {bs}, relative_offset -7;', 0, "after the pcre: -7 from BB's end is byte 0"),
            ]),
        ],
    )


def frames_case():
    bs = "asn1:bitstring_overflow;"
    udp_case(
        "asn1-frames",
        """
asn1 limits: Suricata decodes at most asn1-max-frames objects ("frames")
from the offset -- 256 in its stock suricata.yaml -- and the decoder nests
at most as deep. The docs are silent on what happens past them; the counts
were established by comparison with Suricata 8.0.6: 256 objects decode, and
a 257th (or any byte left after the 256th) makes the whole keyword fail,
even when an earlier object overflowed; a BIT STRING inside 255 SEQUENCEs
is found, inside 256 the outer object does not decode; indefinite lengths
nest at most 49 deep (the decoder's own limit).
""",
        [
            (NULL * 255 + BITSTRING_OVERFLOW, [(bs, 1, "the 256th object overflows")]),
            (NULL * 256 + BITSTRING_OVERFLOW, [(bs, 0, "the 257th: never decoded")]),
            (BITSTRING_OVERFLOW + NULL * 255, [(bs, 1, "256 objects, the first overflowing")]),
            (BITSTRING_OVERFLOW + NULL * 256, [(bs, 0, "257 objects: no match at all")]),
            (BITSTRING_OVERFLOW + NULL * 255 + b"Z", [(bs, 0, "256 objects and a byte left: no match at all")]),
            (BITSTRING_OVERFLOW + NULL * 254 + b"Z", [(bs, 1, "255 objects, then a byte that does not decode")]),
            (nested(255, BITSTRING_OVERFLOW), [(bs, 1, "inside 255 nested SEQUENCEs")]),
            (nested(256, BITSTRING_OVERFLOW), [(bs, 0, "inside 256: too deep, does not decode")]),
            (indefinite(49, BITSTRING_OVERFLOW), [(bs, 1, "inside 49 indefinite-length SEQUENCEs")]),
            (indefinite(50, BITSTRING_OVERFLOW), [(bs, 0, "inside 50: too deep")]),
        ],
    )


# --- SMB session setup for the ET Open rule ------------------------------

def smb_session_setup(blob, unicode=False):
    """NetBIOS session message holding an SMB1 Session Setup AndX request
    with extended security (capabilities bit 31) and `blob` as the
    security blob, laid out as GPL NETBIOS sid 2102383 reads it: the blob
    starts 54 bytes after the end of "|FF|SMBs"."""
    flags2 = 0xC807 if unicode else 0x4807
    header = b"\xffSMB" + b"\x73" + b"\x00" * 4 + b"\x18" + struct.pack("<H", flags2)
    header += b"\x00" * 12 + struct.pack("<HHHH", 0, 0xFEFF, 0, 0x0040)  # tid pid uid mid
    assert len(header) == 32
    words = struct.pack("<BBHHHHIHII", 0xFF, 0, 0, 0xFFFF, 2, 0, 0, len(blob), 0, 0x800000D4)
    assert len(words) == 24
    tail = b"Unix\x00Samba\x00"
    body = header + b"\x0c" + words + struct.pack("<H", len(blob) + len(tail)) + blob + tail
    return b"\x00" + len(body).to_bytes(3, "big") + body


ET_2102383 = (
    'alert tcp $EXTERNAL_NET any -> $HOME_NET 445 (msg:"GPL NETBIOS SMB-DS Session Setup NTMLSSP asn1 '
    'overflow attempt"; flow:established,to_server; content:"|00|"; depth:1; content:"|FF|SMBs"; within:5; '
    "distance:3; byte_test:1,!&,128,6,relative; byte_test:4,&,2147483648,48,relative,little; "
    'content:!"NTLMSSP"; within:7; distance:54; asn1:double_overflow, bitstring_overflow, relative_offset 54, '
    "oversize_length 2048; reference:bugtraq,9633; reference:bugtraq,9635; reference:cve,2003-0818; "
    "reference:nessus,12052; reference:nessus,12065; "
    "reference:url,www.microsoft.com/technet/security/bulletin/MS04-007.mspx; classtype:protocol-command-decode; "
    "sid:2102383; rev:21; metadata:created_at 2010_09_23, cve CVE_2003_0818, updated_at 2019_07_26;)"
)


def spnego(mech_token):
    """GSS-API InitialContextToken: [APPLICATION 0] { SPNEGO OID, [0] NegTokenInit }."""
    oid = b"\x06\x06\x2b\x06\x01\x05\x05\x02"
    neg = tlv(0xA0, seq(tlv(0xA0, seq(b"\x06\x0a\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")), tlv(0xA2, tlv(0x04, mech_token))))
    return tlv(0x60, oid + neg)


def et_case():
    attacker, victim = "198.51.100.7", "192.168.1.10"
    cap = Capture()
    # 1: the blob opens with a BIT STRING claiming 255 unused bits in 1 octet.
    cap.tcp_session(attacker, victim, 40001, 445, [smb_session_setup(seq(BITSTRING_OVERFLOW))])
    # 2: an ordinary SPNEGO token holding an NTLMSSP negotiate: nothing wrong.
    ntlm = b"NTLMSSP\x00\x01\x00\x00\x00\x97\x82\x08\xe2" + b"\x00" * 16
    cap.tcp_session(attacker, victim, 40002, 445, [smb_session_setup(spnego(ntlm))])
    # 3: a GSS-API token claiming 3000 bytes, split over two segments: only
    #    the stream holds it whole, and asn1 inspects packets.
    big = smb_session_setup(tlv(0x60, b"\x06\x06\x2b\x06\x01\x05\x05\x02" + tlv(0x04, b"\x90" * 2990)))
    cap.tcp_session(attacker, victim, 40003, 445, [big[:1400], big[1400:]])
    # 4: same overflow as 1 but from inside the home network: the rule is
    #    for traffic from $EXTERNAL_NET.
    cap.tcp_session("192.168.1.20", victim, 40004, 445, [smb_session_setup(seq(BITSTRING_OVERFLOW))])
    write_case(
        "asn1-et-netbios",
        """
ET Open GPL NETBIOS sid 2102383 (SMB-DS Session Setup NTMLSSP asn1
overflow, MS04-007), one of the 4 ET Open rules that use asn1, on four SMB
sessions to port 445. Its asn1 keyword decodes the security blob (54 bytes
after "|FF|SMBs") and alerts on a bitstring overflow, a decimal REAL over 256
octets or any length over 2048 (the docs: the options are ORed).
Session 1's blob holds a BIT STRING with 255 unused bits in 1 octet: alert.
Session 2's blob is an ordinary SPNEGO/NTLMSSP token: no alert.
Session 3's blob claims a 3000-byte token, sent in two segments: no alert,
because asn1 makes the rule a packet rule (Suricata refuses it with
tcp-stream: "can't mix packet keywords with tcp-stream") and neither packet
holds the token whole (a truncated object does not decode). Session 4 is
session 1 from inside $HOME_NET: no alert. Sessions 3's count was
established by comparison with Suricata 8.0.6.
""",
        cap,
        [(2102383, ET_2102383, 1, "session 1 only")],
    )


def main():
    bitstring_case()
    double_case()
    oversize_case()
    offsets_case()
    frames_case()
    et_case()


if __name__ == "__main__":
    main()
