#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/corpus/{http,dns,tls,ssh,ftp}/ from
suricata-verify captures (../shared/corpus/suricata-verify-app by default),
for FTP also the conformance captures of tests/data/conformance/ftp-*, and
those of fuzz/corpus/asn1/ from the payloads of tests/data/conformance/asn1-*/,
and those of fuzz/corpus/decode/ from the captures of
tests/data/conformance/decode-*/ (see decode_seeds).

Each seed is one connection in the targets' input format (fuzz/src/lib.rs):
flags, control bytes, client stream length, client stream, server stream.
TCP streams are put together naively (in-order segments only, retransmissions
dropped); that is enough for a seed. Standard library only.

    fuzz/make_seeds.py [CORPUS_DIR]
"""

import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "corpus", "suricata-verify-app")
MAX_STREAM = 8 * 1024  # bytes kept per direction

# (target, capture relative to CORPUS, server port)
CAPTURES = [
    ("http", "http-post-data-decompression/input.pcap", None),
    ("http", "http-raw-header/input.pcap", None),
    ("http", "http-uri-spaces/input.pcap", None),
    ("http", "http-close-headers/input.pcap", None),
    ("http", "http-not09-file/input.pcap", None),
    ("http", "http-encoding-identity/test.pcap", None),
    ("http", "http-response-line/input.pcap", None),
    ("http", "http-xff-eve-forward-overwrite/test.pcap", None),
    ("http", "bug-78-http-uri/input.pcap", None),
    ("http", "detect-http-uri/DetectEngineHttpRawUriTest01/test.fpc.pcap", None),
    ("http", "http-evader/http-evader-000/input.pcap", None),
    ("http", "http-evader/http-evader-080/input.pcap", None),
    ("http", "http-evader/http-evader-095/input.pcap", None),
    ("http", "http-evader/http-evader-104/input.pcap", None),
    ("http", "http-evader/http-evader-107/input.pcap", None),
    ("http", "http-evader/http-evader-116-lzma/input.pcap", None),
    ("http", "http-evader/http-evader-147/input.pcap", None),
    ("http", "http-evader/http-evader-290/input.pcap", None),
    ("tls", "tls/tls-cert-noissuer/tls.pcap", None),
    ("tls", "tls/tls-client-cert-01/tls-client-auth.pcap", None),
    ("tls", "tls/tls-client-hello-frag-01/dump_mtu300.pcap", None),
    ("tls", "tls/tls-issuer-zero/input.pcap", None),
    ("tls", "tls-duplicate-hello/input.pcap", None),
    ("tls", "detect-bidir-ja3/input.pcap", None),
    ("dns", "dns/dns-query/dns-detect-query-01/input.pcap", 53),
    ("dns", "dns/dns-query/dns-detect-query-03/input.pcap", 53),
    ("dns", "dns/dns-rrtype-index/input.pcap", 53),
    ("dns", "dns/dns-incomplete/input.pcap", None),
    ("dns", "dns/task-7018-ids-dns-stream-rule/input.pcap", 53),
    # SSH inside a GRE tunnel (the only SSH capture of the corpora).
    ("ssh", "../suricata-verify/bug-5633-gre-02/gre-sample.pcap", 22),
    # FTP control connections (ours: scripts/conformance/ftp.py).
    ("ftp", os.path.join(HERE, "..", "tests", "data", "conformance", "ftp-session", "input.pcap"), 21),
    ("ftp", os.path.join(HERE, "..", "tests", "data", "conformance", "ftp-edge", "input.pcap"), 21),
    ("ftp", os.path.join(HERE, "..", "tests", "data", "conformance", "ftp-bounce", "input.pcap"), 21),
]


def packets(path):
    """Yields (proto, src, sport, dst, dport, tcp_flags, seq, payload)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8 : off + 12])[0]
        frame = data[off + 16 : off + 16 + incl]
        off += 16 + incl
        if linktype == 1:
            ethertype, l3 = struct.unpack(">H", frame[12:14])[0], frame[14:]
            while ethertype == 0x8100:
                ethertype, l3 = struct.unpack(">H", l3[2:4])[0], l3[4:]
        elif linktype == 113:
            ethertype, l3 = struct.unpack(">H", frame[14:16])[0], frame[16:]
        elif linktype in (101, 228, 229, 12, 14):
            ethertype, l3 = (0x86DD if frame[:1] and frame[0] >> 4 == 6 else 0x0800), frame
        elif linktype == 0:
            ethertype, l3 = (0x86DD if frame[4:5] and frame[4] >> 4 == 6 else 0x0800), frame[4:]
        else:
            continue
        if ethertype == 0x0800 and len(l3) >= 20:
            ihl, total = (l3[0] & 15) * 4, struct.unpack(">H", l3[2:4])[0]
            proto, src, dst, l4 = l3[9], l3[12:16], l3[16:20], l3[ihl:total]
            if proto == 47 and len(l4) >= 4 and struct.unpack(">H", l4[2:4])[0] == 0x0800 and len(l4) >= 24:
                # GRE carrying IPv4: the inner packet instead (checksum,
                # key and sequence fields each add 4 bytes).
                inner = l4[4 + 4 * bin(l4[0] & 0xB0).count("1") :]
                ihl, total = (inner[0] & 15) * 4, struct.unpack(">H", inner[2:4])[0]
                proto, src, dst, l4 = inner[9], inner[12:16], inner[16:20], inner[ihl:total]
        elif ethertype == 0x86DD and len(l3) >= 40:
            proto, src, dst, l4 = l3[6], l3[8:24], l3[24:40], l3[40 : 40 + struct.unpack(">H", l3[4:6])[0]]
        else:
            continue
        if proto == 6 and len(l4) >= 20:
            sport, dport, seq = struct.unpack(">HHI", l4[:8])
            yield 6, src, sport, dst, dport, l4[13], seq, l4[(l4[12] >> 4) * 4 :]
        elif proto == 17 and len(l4) >= 8:
            sport, dport = struct.unpack(">HH", l4[:4])
            yield 17, src, sport, dst, dport, 0, 0, l4[8:]


def connections(path, server_port):
    """[(proto, client_bytes_or_datagrams, server_bytes_or_datagrams)] per flow."""
    flows = {}
    for proto, src, sport, dst, dport, flags, seq, payload in packets(path):
        key = (proto,) + tuple(sorted([(src, sport), (dst, dport)]))
        flow = flows.setdefault(key, {"client": None, "next": {}, "data": ([], [])})
        if server_port is not None and server_port not in (sport, dport):
            continue
        if flow["client"] is None:
            # The SYN's sender, else whoever talks to the server port, else
            # the first sender.
            if proto == 6 and flags & 0x12 == 0x12:
                to_server = False
            elif proto == 6 and flags & 0x02 or server_port is None:
                to_server = True
            else:
                to_server = dport == server_port
            flow["client"] = (src, sport) if to_server else (dst, dport)
        d = 0 if (src, sport) == flow["client"] else 1
        if proto == 17:
            if payload:
                flow["data"][d].append(payload)
            continue
        nxt = flow["next"]
        if flags & 0x02:
            nxt[d] = (seq + 1) & 0xFFFFFFFF
            continue
        if not payload:
            continue
        expect = nxt.get(d, seq)
        skip = (expect - seq) & 0xFFFFFFFF
        if skip >= len(payload) and skip < 1 << 31:
            continue  # retransmission
        if skip >= 1 << 31:
            skip = 0  # hole: take the segment anyway
        flow["data"][d].append(payload[skip:])
        nxt[d] = (seq + len(payload)) & 0xFFFFFFFF
    return [(k[0], f["data"][0], f["data"][1]) for k, f in flows.items() if f["data"][0] or f["data"][1]]


def encode(flags, ctl, client, server):
    client = client[:0xFFFF]
    return bytes([flags, len(ctl)]) + bytes(ctl) + struct.pack(">H", len(client)) + client + server


# Delivery patterns: whole streams; MSS-sized pieces taking turns; tiny
# pieces; small pieces with a gap in the server stream and a close.
PATTERNS = [[], [0xE0, 0xE1], [0x00, 0x21, 0x40, 0x91, 0x10, 0x31], [0x90, 0x91, 0x90, 0x9B, 0x91, 0x90]]


# Hand-made connections for what the captures lack.
HANDMADE = [
    ("http", 0, b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n"
     b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
     b"3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n",
     b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
     b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
    ("http", 0, b"CONNECT example.com:443 HTTP/1.1\r\n\r\n\x16\x03\x01\x00\x05hello",
     b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03"),
    ("http", 0, b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
    ("http", 0, b"GET /%2e%2e/x?a=%u0041 HTTP/1.0\n\n", b"HTTP/1.0 200 OK\nX: a\n b\n\nbody until close"),
    # SSLv2-compatible ClientHello, then an SSLv2 ServerHello.
    ("tls", 0, bytes.fromhex("8034010301001b000000100100800300800700c0060040020080040080000039000038000035a5bd4cf1d9e7a9f2a4ebb18b3d51e3dd"),
     bytes.fromhex("800d0400010002001000010000")),
    # Compression pointer loop in the question, a TXT answer, an OPT record.
    ("dns", 0, bytes.fromhex("abcd0100000100000000000003777777c00c00010001"),
     bytes.fromhex("abcd818000010001000000010377777700001000010377777700001000010000003c000605616263646502787900002904d0000000000000")),
    # FTP: transfers of every kind, a long line with small limits (flags
    # bit 0), the data connection of a RETR (flags bit 1).
    ("ftp", 2, b"PASV\r\nRETR a.txt\r\nEPRT |2|::1|7000|\r\nSTOU\r\nPORT 10,1,2,3,4,5\r\nNOOP\r\n",
     b"227 Entering Passive Mode (1,2,3,4,195,80).\r\n150 ok\r\n226-a\r\n226 b\r\n200 ok\r\n150 x\r\n"),
    ("ftp", 1, b"SITE " + b"A" * 300 + b"\r\nUSER x\nunknown\r\n",
     b"220-" + b"B" * 300 + b"\r\n220 hi\r\n500 no\r\n211-\r\n\r\n211 \r\n"),
]


def ssh_packet(payload, pad=6):
    """An SSH binary packet: length, padding length, payload, padding."""
    return struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + bytes(pad)


def ssh_kexinit(lists):
    body = b"\x14" + bytes(range(16))
    for name in lists:
        body += struct.pack(">I", len(name)) + name
    return ssh_packet(body + b"\x00" + bytes(4))


KEX = [b"curve25519-sha256,diffie-hellman-group14-sha256", b"ssh-ed25519,rsa-sha2-512", b"aes128-ctr,aes256-gcm@openssh.com",
       b"chacha20-poly1305@openssh.com", b"hmac-sha2-256", b"umac-64-etm@openssh.com", b"none,zlib@openssh.com", b"none",
       b"", b""]
NEWKEYS = ssh_packet(b"\x15", 10)
# Handshakes up to encryption (HASSH on: flags bit 0), an over-long
# banner, pre-banner text, a second KEXINIT, a packet length of 1.
HANDMADE_SSH = [
    (1, b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3\r\n" + ssh_kexinit(KEX) + ssh_packet(b"\x1e" + bytes(36)) + NEWKEYS + b"\x8f" * 40,
     b"SSH-1.99-OpenSSH_3.1p1\n" + ssh_kexinit(KEX[::-1]) + ssh_packet(b"\x1f" + bytes(200)) + NEWKEYS + b"\x13" * 40),
    (1, b"SSH-2.0-" + b"A" * 300 + b"\r\n" + ssh_kexinit(KEX) + NEWKEYS, b"SSH-2.0- comment\r\n" + ssh_kexinit(KEX) + ssh_kexinit(KEX)),
    (0, b"SSH-2.0-PuTTY_Release_0.80\r\n" + struct.pack(">IBB", 1, 0, 20), b"Welcome\r\nSSH-2.0-dropbear\r\n"),
    (3, b"SSH-2.0-x\r\n" + struct.pack(">IBB", 65537, 4, 20) + bytes(300), b"SSH-2.0-y\r\n" + ssh_kexinit(KEX)),
]


def asn1_seeds():
    """Each packet payload of the asn1 conformance captures, behind the
    target's header (fuzz_targets/asn1.rs): all three checks with
    oversize_length 2048, then relative_offset 1 from the payload's first
    byte as the content."""
    conf = os.path.join(HERE, "..", "tests", "data", "conformance")
    out = []
    for case in sorted(os.listdir(conf)) if os.path.isdir(conf) else []:
        path = os.path.join(conf, case, "input.pcap")
        if not case.startswith("asn1-") or not os.path.exists(path):
            continue
        for *_, payload in packets(path):
            if payload:
                out.append(bytes([0x07, 0x08, 0x00, 0x00]) + payload)
                out.append(bytes([0x11, 0x00, 0x01, payload[0]]) + payload)
    return out


# The link types of fuzz_targets/decode.rs, in its order: a seed's first
# byte is the index.
DECODE_LINKTYPES = [1, 101, 12, 14, 228, 229, 0, 108, 104, 113, 276, 9, 50, 778]


def decode_seeds():
    """Each decode conformance capture (tests/data/conformance/decode-*) as
    one seed of the decode target: its link type's index, then every frame
    behind a u16 BE length, so that fragments meet in the defragmenter."""
    conf = os.path.join(HERE, "..", "tests", "data", "conformance")
    out = []
    for case in sorted(os.listdir(conf)) if os.path.isdir(conf) else []:
        path = os.path.join(conf, case, "input.pcap")
        if not case.startswith("decode-") or not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        linktype = struct.unpack(endian + "I", data[20:24])[0]
        seed = bytes([DECODE_LINKTYPES.index(linktype)])
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(endian + "I", data[off + 8 : off + 12])[0]
            frame = data[off + 16 : off + 16 + incl]
            off += 16 + incl
            seed += struct.pack(">H", len(frame)) + frame
        out.append(seed)
    return out


def pcap_frames(path):
    """The link type and frames of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    frames, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8 : off + 12])[0]
        frames.append(data[off + 16 : off + 16 + incl])
        off += 16 + incl
    return linktype, frames


def tunnel_payloads(path):
    """(geneve, UDP payload) of each VXLAN (4789) or GENEVE (6081) datagram
    of an Ethernet capture: what the live sensor's socket receives."""
    linktype, frames = pcap_frames(path)
    out = []
    for frame in frames if linktype == 1 else []:
        ethertype, l3 = struct.unpack(">H", frame[12:14])[0], frame[14:]
        if ethertype == 0x0800 and len(l3) >= 20 and l3[9] == 17:
            l4 = l3[(l3[0] & 15) * 4 :]
        elif ethertype == 0x86DD and len(l3) >= 48 and l3[6] == 17:
            l4 = l3[40:]
        else:
            continue
        if len(l4) >= 8 and struct.unpack(">H", l4[2:4])[0] in (4789, 6081):
            out.append((struct.unpack(">H", l4[2:4])[0] == 6081, l4[8:]))
    return out


def datagram_seeds():
    """Seeds of the datagram target (fuzz_targets/datagram.rs): the tunnel
    datagrams of each tunneled test capture, and of the bundled demo in
    runs of 40, behind the default configuration and mode bytes."""
    data = os.path.join(HERE, "..", "tests", "data")
    groups = []
    for case in sorted(os.listdir(data)):
        path = os.path.join(data, case, "input.pcap")
        if os.path.exists(path):
            groups.append(tunnel_payloads(path))
    demo = tunnel_payloads(os.path.join(HERE, "..", "pcaps", "mirror-demo.pcap"))
    groups += [demo[i : i + 40] for i in range(0, min(len(demo), 400), 40)]
    out = []
    for g in groups:
        seed = bytes([0x0F, 0])
        for geneve, payload in g[:64]:
            seed += bytes([0x80 if geneve else 0]) + struct.pack(">H", len(payload)) + payload
        if g:
            out.append(seed)
    return out


# fuzz_targets/stream.rs: server ports by index.
STREAM_PORTS = {"http": 0, "tls": 1, "dns": 2, "ssh": 3, "ftp": 4}


def segment(direction, flags, off, payload=b"", back=False):
    """One segment of the stream target's input."""
    long = len(payload) > 255
    ctl = direction | (2 if back else 0) | (0x20 if long else 0)
    size = struct.pack(">H", len(payload)) if long else bytes([len(payload)])
    return bytes([ctl, flags]) + struct.pack(">H", off & 0xFFFF) + size + payload


def stream_seed(sel, port, client, server, mss=1460):
    """A whole connection: handshake, the client's bytes, the server's, FINs."""
    seed = bytes([sel, port]) + struct.pack(">II", 1000, 900000)
    seed += segment(0, 0x02, 0) + segment(1, 0x12, 0) + segment(0, 0x10, 1)
    for d, data in ((0, client), (1, server)):
        for i in range(0, len(data), mss):
            seed += segment(d, 0x18, 1 + i, data[i : i + mss])
    return seed + segment(0, 0x11, 1 + len(client)) + segment(1, 0x11, 1 + len(server))


def stream_seeds():
    """Seeds of the stream target: one connection of each TCP capture of the
    application targets, in order (default policy, then the tiny caps), and
    with segments overlapping under a few policies."""
    out = []
    for target, rel, port in CAPTURES:
        path = os.path.join(CORPUS, rel)
        if target not in STREAM_PORTS or not os.path.exists(path):
            continue
        for proto, c, s in connections(path, port)[:1]:
            if proto != 6:
                continue
            client, server = b"".join(c)[:MAX_STREAM], b"".join(s)[:MAX_STREAM]
            out.append(stream_seed(0x0F, STREAM_PORTS[target], client, server))
            out.append(stream_seed(0x4F, STREAM_PORTS[target], client, server, mss=100))
    request = b"GET /admin HTTP/1.1\r\nHost: a.example\r\nUser-Agent: curl/8\r\n\r\n"
    for policy in (0, 1, 2, 8):
        seed = bytes([policy, 0]) + struct.pack(">II", 1000, 900000)
        seed += segment(0, 0x02, 0) + segment(1, 0x12, 0) + segment(0, 0x10, 1)
        seed += segment(0, 0x18, 5, b"XXXXXXXX") + segment(0, 0x18, 1, request) + segment(0, 0x18, 3, b"ZZZZ")
        seed += segment(1, 0x18, 1, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        out.append(seed)
    return out


CONFIG_TOML = b"""[engine]
workers = 2
[stream.reassembly]
depth = 65536
memcap = 1048576
[flow.tcp_timeouts]
established = 120
[output.eve]
types = ["alert", { http = { extended = true } }, "dns", "flow"]
[live]
listen = ["0.0.0.0:4789"]
"""

CONFIG_YAML = b"""engine:
  workers: 4
  full_queue_policy: drop_newest
stream:
  midstream: false
  host_os_policy:
    default: linux
    networks:
      windows: [10.0.0.0/8]
vars:
  address_groups:
    HOME_NET: "[10.0.0.0/8,!10.1.0.0/16]"
output:
  eve:
    types:
      - alert
      - anomaly:
          types: { decode: true }
"""


def config_seeds():
    """Seeds of the config target: the deployed example, a YAML and a TOML
    file touching most sections, and an override line over a document."""
    out = [b"\x00" + CONFIG_YAML, b"\x01" + CONFIG_TOML, b"\x02stream.reassembly.depth=4096\n" + CONFIG_YAML]
    example = os.path.join(HERE, "..", "deploy", "mirrorids.yaml")
    if os.path.exists(example):
        with open(example, "rb") as f:
            out.append(b"\x00" + f.read())
    return out


THRESHOLD = b"""# every kind of line
suppress gen_id 1, sig_id 2001
suppress gen_id 1, sig_id 2002, track by_src, ip 10.0.0.0/8
suppress gen_id 1, sig_id 2003, track by_either, ip [$HOME_NET,192.168.1.1]
threshold gen_id 1, sig_id 0, type limit, track by_src, count 1, seconds 60
event_filter gen_id 1, sig_id 3, type both, track by_dst, count 2, seconds 10
rate_filter gen_id 1, sig_id 4, track by_rule, count 3, seconds 5, new_action drop, timeout 30
rate_filter gen_id 2, sig_id 1, track by_both, count 1, seconds 1, new_action alert, timeout 1
"""


def threshold_seeds():
    """Seeds of the threshold target: every line kind, and the threshold
    files of the conformance cases and the corpus."""
    out = [b"\x40" + THRESHOLD]
    for root in (os.path.join(HERE, "..", "tests", "data"), CORPUS):
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                if name == "threshold.config":
                    with open(os.path.join(dirpath, name), "rb") as f:
                        out.append(b"\x20" + f.read())
    return out


def pcapng(linktype, frames):
    """A minimal pcapng file: a section, an interface, an enhanced packet
    block per frame, and one simple packet block."""
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 65535))
    for i, frame in enumerate(frames):
        out += block(6, struct.pack("<IIIII", 0, 0, i, len(frame), len(frame)) + frame)
    if frames:
        out += block(3, struct.pack("<I", len(frames[0])) + frames[0])
    return out


def pcap_seeds():
    """Seeds of the pcap target: the first frames of a few test captures as
    they are (classic pcap) and rewritten as pcapng."""
    data = os.path.join(HERE, "..", "tests", "data")
    out = []
    for case in ("vxlan-inner-fragments", "gwlb-geneve", "ipv6-outer-vxlan", "erspan-vlan"):
        path = os.path.join(data, case, "input.pcap")
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            out.append(f.read()[:4096])
        linktype, frames = pcap_frames(path)
        out.append(pcapng(linktype, frames[:4]))
    return out


def control_http_seeds():
    """Seeds of the control_http target: flags, piece count, piece sizes, request."""
    return [
        b"\x01\x00GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x00\x03\x05\x01\x02GET /health HTTP/1.1\r\n\r\n",
        b"\x02\x00HEAD /healthz?verbose HTTP/1.0\n\n",
        b"\x00\x00POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    ]


def main():
    seeds = {
        "asn1": asn1_seeds(),
        "decode": decode_seeds(),
        "datagram": datagram_seeds(),
        "stream": stream_seeds(),
        "config": config_seeds(),
        "threshold": threshold_seeds(),
        "pcap": pcap_seeds(),
        "control_http": control_http_seeds(),
    }
    for flags, client, server in HANDMADE_SSH:
        for ctl in PATTERNS:
            seeds.setdefault("ssh", []).append(encode(flags, ctl, client, server))
    for target, flags, client, server in HANDMADE:
        for ctl in PATTERNS[:3]:
            seeds.setdefault(target, []).append(encode(flags, ctl, client, server))
    for target, rel, port in CAPTURES:
        path = os.path.join(CORPUS, rel)
        if not os.path.exists(path):
            print(f"skipped (missing): {path}", file=sys.stderr)
            continue
        for proto, c, s in connections(path, port)[:2]:
            if target == "dns" and proto == 17:
                # One query and its answer, whole-message mode (flags 0).
                seeds.setdefault(target, []).append(encode(0, [], c[0] if c else b"", s[0] if s else b""))
                continue
            if target == "dns":
                # TCP: the streams are framed already (flags bit 1).
                client, server, flags = b"".join(c), b"".join(s), 2
            else:
                client, server, flags = b"".join(c)[:MAX_STREAM], b"".join(s)[:MAX_STREAM], 0
            for i, ctl in enumerate(PATTERNS):
                if target == "tls" and i % 2:
                    continue  # big seeds: two patterns are enough
                if target == "http" and i == 3:
                    flags |= 1  # small limits
                seeds.setdefault(target, []).append(encode(flags, ctl, client, server))
    for target, items in sorted(seeds.items()):
        out = os.path.join(HERE, "corpus", target)
        os.makedirs(out, exist_ok=True)
        for seed in items:
            with open(os.path.join(out, "seed-" + hashlib.sha1(seed).hexdigest()[:16]), "wb") as f:
                f.write(seed)
        print(f"{target}: {len(set(items))} seeds, {sum(map(len, set(items)))} bytes")


if __name__ == "__main__":
    main()
