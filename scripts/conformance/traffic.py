"""Traffic for the conformance cases: UDP datagrams, whole TCP connections
(handshake, data acknowledged by the peer, FIN teardown) and HTTP/1.1
exchanges, with deterministic timestamps so that the committed pcaps do not
change when the script is rerun."""

from scapy.all import IP, TCP, UDP, Ether, Raw

CLIENT = "10.0.0.1"
SERVER = "192.0.2.10"
T0 = 1_700_000_000.0

_CMAC = "02:00:00:00:00:01"
_SMAC = "02:00:00:00:00:02"


class Capture:
    """Packets in capture order with a clock: each packet is stamped 1 ms
    after the previous one unless the clock is moved on explicitly."""

    def __init__(self):
        self.packets = []
        self.now = T0

    def advance(self, seconds):
        self.now += seconds

    def add(self, pkt):
        self.now += 0.001
        pkt.time = self.now
        self.packets.append(pkt)
        return pkt

    def udp(self, payload, src=CLIENT, dst=SERVER, sport=40000, dport=9999):
        """One UDP datagram (port 9999: no application-layer parser)."""
        smac, dmac = (_CMAC, _SMAC) if src == CLIENT else (_SMAC, _CMAC)
        return self.add(Ether(src=smac, dst=dmac) / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload))

    def tcp(self, **kw):
        return TcpConn(self, **kw)


class TcpConn:
    """A TCP connection between a client and a server. `send` carries data
    from the client and `reply` from the server; each segment is
    acknowledged by the other side, so the stream engine sees it as
    acknowledged data."""

    def __init__(self, cap, src=CLIENT, dst=SERVER, sport=40000, dport=80, handshake=True):
        self.cap = cap
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.cseq = 1000
        self.sseq = 5000
        if handshake:
            self.syn()
            self.synack()
            self.ack()

    def _pkt(self, to_server, flags, payload=b"", seq=None, ack=None):
        if to_server:
            eth = Ether(src=_CMAC, dst=_SMAC)
            ip = IP(src=self.src, dst=self.dst)
            tcp = TCP(sport=self.sport, dport=self.dport, flags=flags, window=64240,
                      seq=self.cseq if seq is None else seq, ack=self.sseq if ack is None else ack)
        else:
            eth = Ether(src=_SMAC, dst=_CMAC)
            ip = IP(src=self.dst, dst=self.src)
            tcp = TCP(sport=self.dport, dport=self.sport, flags=flags, window=64240,
                      seq=self.sseq if seq is None else seq, ack=self.cseq if ack is None else ack)
        if "A" not in str(flags):
            tcp.ack = 0
        p = eth / ip / tcp
        if payload:
            p = p / Raw(payload)
        return self.cap.add(p)

    def syn(self):
        self._pkt(True, "S")
        self.cseq += 1

    def synack(self):
        self._pkt(False, "SA")
        self.sseq += 1

    def ack(self):
        self._pkt(True, "A")

    def send(self, data, ack=True):
        """Client data in one segment, acknowledged by the server."""
        self._pkt(True, "PA", data)
        self.cseq += len(data)
        if ack:
            self._pkt(False, "A")

    def reply(self, data, ack=True):
        """Server data in one segment, acknowledged by the client."""
        self._pkt(False, "PA", data)
        self.sseq += len(data)
        if ack:
            self._pkt(True, "A")

    def close(self):
        self._pkt(True, "FA")
        self.cseq += 1
        self._pkt(False, "FA")
        self.sseq += 1
        self._pkt(True, "A")


def http_request(method="GET", uri="/", host="www.example.com", headers=(), body=b""):
    lines = [f"{method} {uri} HTTP/1.1", f"Host: {host}", "User-Agent: conformance/1.0"]
    lines += list(headers)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def http_response(status="200 OK", body=b"hello", headers=()):
    lines = [f"HTTP/1.1 {status}", "Server: conformance", "Content-Type: text/plain",
             f"Content-Length: {len(body)}"] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def http_exchange(cap, uri, sport, method="GET", headers=(), body=b"", response=b"hello"):
    """One HTTP connection with one request and its response, closed."""
    c = cap.tcp(sport=sport, dport=80)
    c.send(http_request(method, uri, headers=headers, body=body))
    c.reply(http_response(body=response))
    c.close()
    return c
