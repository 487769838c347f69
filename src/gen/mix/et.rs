//! Sessions of the ET-targeted attacks ([`EtAttack`]). HTTP and TLS
//! sessions are shaped by the configured evasion like the bundled attacks.

use std::io::Write;
use std::net::IpAddr;

use super::{ephemeral, external_ip, Generator, RESOLVER};
use crate::gen::apps;
use crate::gen::et_attacks::{EtAttack, EtDelivery, Hello};
use crate::gen::rng::Rng;
use crate::gen::session::{tcp_conversation, udp_exchange, Pkt};
use crate::gen::tls;
use crate::util::Timestamp;

const NOT_FOUND: &[u8] =
    b"HTTP/1.1 404 Not Found\r\nServer: nginx/1.24.0\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n";
const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
/// Whom benign-looking server certificates name as issuer.
const PUBLIC_CA: &[(&str, &str)] = &[("C", "US"), ("O", "Let's Encrypt"), ("CN", "R3")];

/// A full TLS 1.2 session: hello and server flight, key exchange and
/// Finished both ways, then some application data.
fn tls_session(rng: &mut Rng, hello: Vec<u8>, version: u16, suite: u16, cert: Vec<u8>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let flight = tls::server_flight(rng, version, suite, &[cert]);
    let up = rng.range(200, 1200) as usize;
    let down = rng.range(500, 6000) as usize;
    vec![
        (hello, flight),
        (tls::client_finish(rng, version), tls::server_finish(rng, version)),
        (tls::encrypted(rng, 0x17, version, up), tls::encrypted(rng, 0x17, version, down)),
    ]
}

/// A DNS message with the 2-byte length prefix of DNS over TCP.
fn length_prefixed(msg: &[u8]) -> Vec<u8> {
    let mut v = (msg.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(msg);
    v
}

impl<W: Write> Generator<W> {
    /// Builds an ET-targeted attack session and records its ground truth
    /// (the flow in the direction the targeted rule alerts on).
    pub fn et_attack(&mut self, a: &EtAttack, start: Timestamp) -> (usize, Vec<Pkt>) {
        let mirror = self.rng.range(0, self.mirrors.len() as u64) as usize;
        let eni = self.mirrors[mirror].eni;
        let mut rng = self.rng.fork();
        let remote = external_ip(&mut rng);
        let port = ephemeral(&mut rng);
        let shape = self.cfg.evasion.shape();
        let resolver = IpAddr::V4(RESOLVER);
        let (client, server) = match a.delivery {
            EtDelivery::HttpInbound { .. } | EtDelivery::HttpLeak { .. } => ((remote, port), (eni, 80)),
            EtDelivery::HttpOutbound { .. } => ((eni, port), (remote, 80)),
            EtDelivery::TlsHello { .. } | EtDelivery::TlsCert { .. } => ((eni, port), (remote, 443)),
            EtDelivery::Dns { .. } => ((eni, port), (resolver, 53)),
        };
        let tcp =
            |rng: &mut Rng, conv: &[(Vec<u8>, Vec<u8>)]| tcp_conversation(rng, start, client, server, conv, shape);
        let pkts = match a.delivery {
            EtDelivery::HttpInbound { requests } => {
                let conv: Vec<_> = requests.iter().map(|r| (r.as_bytes().to_vec(), NOT_FOUND.to_vec())).collect();
                tcp(&mut rng, &conv)
            }
            EtDelivery::HttpLeak { request, response } => {
                tcp(&mut rng, &[(request.as_bytes().to_vec(), response.as_bytes().to_vec())])
            }
            EtDelivery::HttpOutbound { request } => tcp(&mut rng, &[(request.as_bytes().to_vec(), OK.to_vec())]),
            EtDelivery::TlsHello { hello } => {
                let (record, version, suite, cn) = match hello {
                    Hello::Sni(sni) => (apps::tls_client_hello(&mut rng, sni), 0x0303, 0xc02f, sni.to_string()),
                    Hello::Ja3(ja3) => match tls::client_hello_from_ja3(&mut rng, ja3, None) {
                        Some(h) => (h.record, h.version, h.suite, remote.to_string()),
                        // Not a JA3 string (the catalog's tests rule it out).
                        None => (apps::tls_client_hello(&mut rng, "localhost"), 0x0303, 0xc02f, remote.to_string()),
                    },
                };
                let cert = tls::certificate(&mut rng, &[("CN", &cn)], PUBLIC_CA);
                let conv = tls_session(&mut rng, record, version, suite, cert);
                tcp(&mut rng, &conv)
            }
            EtDelivery::TlsCert { sni, subject, issuer } => {
                let hello = apps::tls_client_hello(&mut rng, sni);
                let cert = tls::certificate(&mut rng, subject, issuer);
                let conv = tls_session(&mut rng, hello, 0x0303, 0xc02f, cert);
                tcp(&mut rng, &conv)
            }
            EtDelivery::Dns { name, tcp: over_tcp } => {
                let q = apps::dns_query(rng.next_u64() as u16, name, 1);
                let addr = [203, 0, 113, rng.range(1, 255) as u8];
                let ans = apps::dns_answer(&q, addr);
                if over_tcp {
                    tcp(&mut rng, &[(length_prefixed(&q), length_prefixed(&ans))])
                } else {
                    udp_exchange(&mut rng, start, client, server, &q, &ans)
                }
            }
        };
        let proto = if matches!(a.delivery, EtDelivery::Dns { tcp: false, .. }) { "UDP" } else { "TCP" };
        let (src, dst) = if a.to_client() { (server, client) } else { (client, server) };
        self.push_truth(
            (a.name, a.sid, Some(a.rule_file)),
            (src.0, Some(src.1), dst.0, Some(dst.1), proto),
            mirror,
            start,
        );
        (mirror, pkts)
    }
}
