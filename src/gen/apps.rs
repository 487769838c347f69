//! Benign application payloads: HTTP, TLS handshakes, DNS, and opaque TCP.
//! Realistic enough to exercise decoding and prefilters; never matching
//! the bundled signatures.

use super::rng::Rng;

const HOSTS: &[&str] =
    &["shop.example.com", "api.example.com", "static.example.net", "intranet.corp.example", "status.example.org"];
const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/api/v1/orders",
    "/api/v1/users/42",
    "/static/app.js",
    "/static/style.css",
    "/images/logo.png",
    "/health",
    "/search?q=running+shoes",
    "/cart/add?item=1832&qty=2",
    "/docs/getting-started",
    "/favicon.ico",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
    "curl/8.5.0",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2",
    "ELB-HealthChecker/2.0",
];
const WORDS: &[&str] =
    &["alpha", "bravo", "delta", "order", "stock", "price", "cloud", "region", "table", "green", "ocean", "river"];

fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        out.extend_from_slice(rng.pick(WORDS).as_bytes());
        out.push(if rng.chance(0.1) { b'\n' } else { b' ' });
    }
    out.truncate(len);
    out
}

/// A browser-like HTTP/1.1 request.
pub fn http_request(rng: &mut Rng) -> Vec<u8> {
    let host = rng.pick(HOSTS);
    let path = rng.pick(PATHS);
    let ua = rng.pick(AGENTS);
    if rng.chance(0.15) {
        let body = format!("{{\"sku\":\"{}\",\"qty\":{}}}", rng.range(1000, 9999), rng.range(1, 5));
        format!(
            "POST /api/v1/orders HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAccept: */*\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    } else {
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\nAccept: text/html,application/json;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n").into_bytes()
    }
}

/// An HTTP/1.1 response with a body of about `size` bytes.
pub fn http_response(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut body = b"<!doctype html><html><head><title>Example</title></head><body><p>".to_vec();
    body.extend(text(rng, size.saturating_sub(body.len() + 20)));
    body.extend_from_slice(b"</p></body></html>\n");
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: max-age=60\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend(body);
    out
}

fn u16be(v: usize) -> [u8; 2] {
    (v as u16).to_be_bytes()
}

/// A TLS 1.2/1.3 ClientHello record with an SNI extension.
pub fn tls_client_hello(rng: &mut Rng, sni: &str) -> Vec<u8> {
    let mut hello = super::tls::hello_start(rng, 0x0303);
    let suites: [u16; 8] = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0x009c];
    hello.extend_from_slice(&u16be(suites.len() * 2));
    for s in suites {
        hello.extend_from_slice(&s.to_be_bytes());
    }
    hello.extend_from_slice(&[1, 0]);
    let mut ext = Vec::new();
    // server_name
    let name = sni.as_bytes();
    ext.extend_from_slice(&[0, 0]);
    ext.extend_from_slice(&u16be(name.len() + 5));
    ext.extend_from_slice(&u16be(name.len() + 3));
    ext.push(0);
    ext.extend_from_slice(&u16be(name.len()));
    ext.extend_from_slice(name);
    // supported_groups, ec_point_formats, signature_algorithms, supported_versions
    ext.extend_from_slice(&[0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]);
    ext.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    ext.extend_from_slice(&[0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01]);
    ext.extend_from_slice(&[0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03]);
    hello.extend_from_slice(&u16be(ext.len()));
    hello.extend(ext);
    let mut hs = vec![0x01, 0];
    hs.extend_from_slice(&u16be(hello.len()));
    hs.extend(hello);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&u16be(hs.len()));
    rec.extend(hs);
    rec
}

/// A ServerHello followed by `len` bytes of encrypted-looking records.
pub fn tls_server_flight(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut hello = vec![0x03, 0x03];
    let mut random = [0u8; 32];
    rng.fill(&mut random);
    hello.extend_from_slice(&random);
    hello.push(0);
    hello.extend_from_slice(&[0x13, 0x01, 0x00]);
    hello.extend_from_slice(&[0x00, 0x06, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]);
    let mut hs = vec![0x02, 0];
    hs.extend_from_slice(&u16be(hello.len()));
    hs.extend(hello);
    let mut out = vec![0x16, 0x03, 0x03];
    out.extend_from_slice(&u16be(hs.len()));
    out.extend(hs);
    app_data(rng, len, &mut out);
    out
}

/// Encrypted-looking TLS application data records.
pub fn app_data(rng: &mut Rng, len: usize, out: &mut Vec<u8>) {
    let mut left = len;
    while left > 0 {
        let n = left.min(16_384);
        out.extend_from_slice(&[0x17, 0x03, 0x03]);
        out.extend_from_slice(&u16be(n));
        let at = out.len();
        out.resize(at + n, 0);
        rng.fill(&mut out[at..]);
        left -= n;
    }
}

/// A DNS query in wire format.
pub fn dns_query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        q.push(label.len().min(63) as u8);
        q.extend_from_slice(&label.as_bytes()[..label.len().min(63)]);
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    q
}

/// The answer to [`dns_query`], with one A record via a compression pointer.
pub fn dns_answer(query: &[u8], addr: [u8; 4]) -> Vec<u8> {
    let mut r = query.to_vec();
    if r.len() < 12 {
        return r;
    }
    r[2] = 0x81;
    r[3] = 0x80;
    r[7] = 1;
    r.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
    r.extend_from_slice(&addr);
    r
}

pub fn dns_name(rng: &mut Rng) -> String {
    let names = [
        "www.example.com",
        "api.github.com",
        "s3.us-east-1.amazonaws.com",
        "sts.amazonaws.com",
        "ntp.ubuntu.com",
        "updates.example.org",
    ];
    rng.pick(&names).to_string()
}

/// Opaque binary application data (databases, SSH after key exchange...).
pub fn opaque(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill(&mut v);
    v
}

/// An SSH binary packet (RFC 4253 6): length, padding length, `payload`
/// (message code first), `pad` zero bytes of padding.
pub fn ssh_packet(payload: &[u8], pad: u8) -> Vec<u8> {
    let len = (1 + payload.len() + usize::from(pad)) as u32;
    let mut p = Vec::with_capacity(4 + len as usize);
    p.extend_from_slice(&len.to_be_bytes());
    p.push(pad);
    p.extend_from_slice(payload);
    p.resize(p.len() + usize::from(pad), 0);
    p
}

/// An SSH KEXINIT packet with these ten name-lists (kex, host key,
/// encryption c2s/s2c, MAC c2s/s2c, compression c2s/s2c, languages
/// c2s/s2c).
pub fn ssh_kexinit(cookie: [u8; 16], lists: &[&str; 10]) -> Vec<u8> {
    let mut m = vec![20u8];
    m.extend_from_slice(&cookie);
    for l in lists {
        m.extend_from_slice(&(l.len() as u32).to_be_bytes());
        m.extend_from_slice(l.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&[0; 4]);
    let pad = 4 + (8 - (5 + m.len()) % 8) % 8;
    ssh_packet(&m, pad as u8)
}

/// SSH NEWKEYS: what follows it is encrypted.
pub fn ssh_newkeys() -> Vec<u8> {
    ssh_packet(&[21], 10)
}

/// OpenSSH 9's KEXINIT lists, client side.
pub const SSH_CLIENT_KEX: [&str; 10] = [
    "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ext-info-c",
    "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
    "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1",
    "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1",
    "none,zlib@openssh.com,zlib",
    "none,zlib@openssh.com,zlib",
    "",
    "",
];

/// An SSH server's KEXINIT lists.
pub const SSH_SERVER_KEX: [&str; 10] = [
    "curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group14-sha256",
    "rsa-sha2-512,rsa-sha2-256,ssh-ed25519",
    "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr",
    "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr",
    "hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
    "hmac-sha2-512-etm@openssh.com,hmac-sha2-512",
    "none,zlib@openssh.com",
    "none",
    "",
    "",
];

/// An SSH connection up to encryption as (client, server) turns:
/// identification lines, KEXINITs, the key exchange proper (opaque), then
/// NEWKEYS and encrypted bytes.
pub fn ssh_handshake(rng: &mut Rng, client_banner: &str, server_banner: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut cookie = [0u8; 16];
    rng.fill(&mut cookie);
    let client_kex = ssh_kexinit(cookie, &SSH_CLIENT_KEX);
    rng.fill(&mut cookie);
    let server_kex = ssh_kexinit(cookie, &SSH_SERVER_KEX);
    // KEX_ECDH_INIT (30) and KEX_ECDH_REPLY (31), their contents opaque.
    let mut init = vec![30u8];
    init.extend(opaque(rng, 36));
    let mut reply = vec![31u8];
    reply.extend(opaque(rng, 300));
    let mut server_keys = ssh_packet(&reply, 6);
    server_keys.extend(ssh_newkeys());
    let mut client_keys = ssh_newkeys();
    client_keys.extend(opaque(rng, 48));
    vec![
        (format!("{client_banner}\r\n").into_bytes(), format!("{server_banner}\r\n").into_bytes()),
        (client_kex, server_kex),
        (ssh_packet(&init, 7), server_keys),
        (client_keys, opaque(rng, 48)),
    ]
}
