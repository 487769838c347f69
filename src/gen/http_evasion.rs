//! HTTP evasions: the same request or response, written so that a raw byte
//! match no longer finds what a normalizing parser (and the server or
//! client) still reads: percent-encoded URIs, folded headers, chunked and
//! gzip-compressed bodies.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpEvasion {
    /// Every letter and digit of the request target as `%XX`.
    UriPercentEncoding,
    /// Every header value moved to a continuation line (obs-fold).
    HeaderFolding,
    /// The body in 3-byte chunks (`Transfer-Encoding: chunked`).
    ChunkedBody,
    /// The body gzip-compressed (`Content-Encoding: gzip`).
    GzipBody,
}

impl HttpEvasion {
    pub const ALL: [HttpEvasion; 4] =
        [HttpEvasion::UriPercentEncoding, HttpEvasion::HeaderFolding, HttpEvasion::ChunkedBody, HttpEvasion::GzipBody];
}

/// `message` (a whole HTTP/1 request or response) rewritten with
/// `evasion`; unchanged where it does not apply (no body to chunk, a
/// response has no URI).
pub fn evade(message: &[u8], evasion: HttpEvasion) -> Vec<u8> {
    let Some(split) = message.windows(4).position(|w| w == b"\r\n\r\n") else { return message.to_vec() };
    let (head, body) = (&message[..split], &message[split + 4..]);
    let mut lines = head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let Some(first) = lines.next() else { return message.to_vec() };
    let headers: Vec<&[u8]> = lines.collect();
    let mut out = Vec::with_capacity(message.len() * 2);
    match evasion {
        HttpEvasion::UriPercentEncoding if !first.starts_with(b"HTTP/") => {
            let mut parts = first.splitn(3, |&b| b == b' ');
            let (method, target, rest) = (parts.next().unwrap_or(b""), parts.next().unwrap_or(b""), parts.next());
            out.extend_from_slice(method);
            out.push(b' ');
            for &b in target {
                if b.is_ascii_alphanumeric() {
                    out.extend_from_slice(format!("%{b:02X}").as_bytes());
                } else {
                    out.push(b);
                }
            }
            if let Some(r) = rest {
                out.push(b' ');
                out.extend_from_slice(r);
            }
            push_head_rest(&mut out, &headers, body);
        }
        HttpEvasion::HeaderFolding => {
            out.extend_from_slice(first);
            out.extend_from_slice(b"\r\n");
            for h in &headers {
                match h.iter().position(|&b| b == b':') {
                    Some(colon) => {
                        out.extend_from_slice(&h[..=colon]);
                        out.extend_from_slice(b"\r\n\t");
                        out.extend_from_slice(h[colon + 1..].trim_ascii_start());
                    }
                    None => out.extend_from_slice(h),
                }
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
        }
        HttpEvasion::ChunkedBody if !body.is_empty() => {
            push_head_without_length(&mut out, first, &headers, "Transfer-Encoding: chunked");
            for chunk in body.chunks(3) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
        }
        HttpEvasion::GzipBody if !body.is_empty() => {
            let mut gz = GzEncoder::new(Vec::new(), Compression::default());
            let compressed = gz.write_all(body).and_then(|()| gz.finish()).unwrap_or_default();
            let length = format!("Content-Encoding: gzip\r\nContent-Length: {}", compressed.len());
            push_head_without_length(&mut out, first, &headers, &length);
            out.extend_from_slice(&compressed);
        }
        _ => return message.to_vec(),
    }
    out
}

fn push_head_rest(out: &mut Vec<u8>, headers: &[&[u8]], body: &[u8]) {
    out.extend_from_slice(b"\r\n");
    for h in headers {
        out.extend_from_slice(h);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// The start line and headers less Content-Length, plus `extra`.
fn push_head_without_length(out: &mut Vec<u8>, first: &[u8], headers: &[&[u8]], extra: &str) {
    out.extend_from_slice(first);
    out.extend_from_slice(b"\r\n");
    for h in headers.iter().filter(|h| !h.to_ascii_lowercase().starts_with(b"content-length:")) {
        out.extend_from_slice(h);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(extra.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_evasion_rewrites_what_it_says() {
        let req = b"GET /etc/passwd?x=1 HTTP/1.1\r\nHost: a.example\r\nUser-Agent: sqlmap/1.8\r\n\r\n";
        assert_eq!(
            evade(req, HttpEvasion::UriPercentEncoding),
            b"GET /%65%74%63/%70%61%73%73%77%64?%78=%31 HTTP/1.1\r\nHost: a.example\r\nUser-Agent: sqlmap/1.8\r\n\r\n"
        );
        assert_eq!(
            evade(req, HttpEvasion::HeaderFolding),
            b"GET /etc/passwd?x=1 HTTP/1.1\r\nHost:\r\n\ta.example\r\nUser-Agent:\r\n\tsqlmap/1.8\r\n\r\n"
        );
        // No body: nothing to chunk or compress.
        assert_eq!(evade(req, HttpEvasion::ChunkedBody), req);
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nuid=0(r";
        assert_eq!(
            evade(resp, HttpEvasion::ChunkedBody),
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nuid\r\n3\r\n=0(\r\n1\r\nr\r\n0\r\n\r\n"
        );
        assert_eq!(evade(resp, HttpEvasion::UriPercentEncoding), resp);
        let gz = evade(resp, HttpEvasion::GzipBody);
        let split = gz.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = std::str::from_utf8(&gz[..split]).unwrap();
        assert!(head.contains("Content-Encoding: gzip\r\nContent-Length: "), "{head}");
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[split..]), &mut plain).unwrap();
        assert_eq!(plain, b"uid=0(r");
    }
}
