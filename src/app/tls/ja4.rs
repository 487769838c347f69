//! What a hello announces, as Suricata keeps it (its `TlsHandshake`): the
//! version, cipher suites, extensions, signature algorithms and ALPN
//! protocols, GREASE values (RFC 8701) left out. It gives the JA4 client
//! fingerprint (FoxIO's specification, as Suricata 8 computes it), EVE's
//! `client_alpns`/`server_alpns` and `client_handshake`/`server_handshake`.

use std::fmt::Write;

use sha2::{Digest, Sha256};

use super::ja3::{hex_lower, is_grease};

/// ALPN protocols kept per hello; the rest are counted in
/// `TlsStats::alpns_over_limit`.
pub const MAX_ALPNS: usize = 32;
/// Entries kept per list (ciphers, extensions, signature algorithms) when
/// later hellos add to the first one's: a flow of repeated hellos cannot
/// grow them without end. One hello never comes near it (a 64 KiB message
/// holds at most 32767 cipher suites, but real ones send under 100).
pub const MAX_ITEMS: usize = 1024;

const EXT_SERVER_NAME: u16 = 0;
const EXT_ALPN: u16 = 16;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handshake {
    /// ClientHello: the highest supported_versions entry, else the legacy
    /// version (JA4's rule). ServerHello: its legacy version. 0 for an
    /// SSLv2 hello.
    pub version: u16,
    /// Cipher suites in the order sent (the ServerHello's one).
    pub ciphers: Vec<u16>,
    /// Extension types in the order sent.
    pub extensions: Vec<u16>,
    /// signature_algorithms entries in the order sent.
    pub sig_algs: Vec<u16>,
    /// ALPN protocols (at most [`MAX_ALPNS`]).
    pub alpns: Vec<Vec<u8>>,
    /// The first ALPN protocol, whatever the bound.
    first_alpn: Option<Vec<u8>>,
}

impl Handshake {
    pub fn add_cipher(&mut self, c: u16) {
        if !is_grease(c) {
            self.ciphers.push(c);
        }
    }

    pub fn add_extension(&mut self, e: u16) {
        if !is_grease(e) {
            self.extensions.push(e);
        }
    }

    pub fn add_sig_alg(&mut self, a: u16) {
        if !is_grease(a) {
            self.sig_algs.push(a);
        }
    }

    /// Adds an ALPN protocol; false when it was over the bound.
    pub fn add_alpn(&mut self, p: &[u8]) -> bool {
        self.first_alpn.get_or_insert_with(|| p.to_vec());
        if self.alpns.len() >= MAX_ALPNS {
            return false;
        }
        self.alpns.push(p.to_vec());
        true
    }

    /// Adds what a later hello of the same side lists, as Suricata does
    /// (one handshake record per side, filled by every hello). Returns
    /// whether entries were dropped at [`MAX_ITEMS`] or [`MAX_ALPNS`].
    pub fn merge(&mut self, later: &Handshake) -> bool {
        // The first version stays (tls-duplicate-hello: a second hello
        // without supported_versions leaves JA4 at t13).
        if self.version == 0 {
            self.version = later.version;
        }
        let mut dropped = false;
        for (mine, theirs) in [
            (&mut self.ciphers, &later.ciphers),
            (&mut self.extensions, &later.extensions),
            (&mut self.sig_algs, &later.sig_algs),
        ] {
            let room = MAX_ITEMS.saturating_sub(mine.len());
            dropped |= theirs.len() > room;
            mine.extend(theirs.iter().take(room));
        }
        for p in &later.alpns {
            dropped |= !self.add_alpn(p);
        }
        dropped
    }

    /// Nothing was recorded (an SSLv2 hello): EVE then shows no
    /// `client_alpns` or `client_handshake`, but still a JA4.
    pub fn is_empty(&self) -> bool {
        self.version == 0 && self.ciphers.is_empty() && self.extensions.is_empty()
    }

    /// JA4 of a ClientHello over TCP: `t{version}{d|i}{ciphers:02}{exts:02}{alpn}`,
    /// then the first 12 hex digits of the SHA-256 of the sorted cipher
    /// list, then of the sorted extensions (SNI and ALPN left out) `_` the
    /// signature algorithms in order. `d` means an SNI extension is there.
    pub fn ja4(&self) -> String {
        let domain = self.extensions.contains(&EXT_SERVER_NAME);
        let mut out = String::with_capacity(36);
        let _ = write!(
            out,
            "t{}{}{:02}{:02}",
            version_code(self.version),
            if domain { 'd' } else { 'i' },
            self.ciphers.len().min(99),
            self.extensions.len().min(99)
        );
        let (a, b) = alpn_chars(self.first_alpn.as_deref());
        out.push(a);
        out.push(b);
        let mut ciphers = self.ciphers.clone();
        ciphers.sort_unstable();
        out.push('_');
        out.push_str(&hash12(&hex_list(&ciphers)));
        let mut exts: Vec<u16> =
            self.extensions.iter().copied().filter(|&e| e != EXT_SERVER_NAME && e != EXT_ALPN).collect();
        exts.sort_unstable();
        out.push('_');
        out.push_str(&hash12(&format!("{}_{}", hex_list(&exts), hex_list(&self.sig_algs))));
        out
    }
}

/// JA4's two-character version code.
fn version_code(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0200 | 0x0002 => "s2",
        0x0100 => "s1",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// First and last character of the first ALPN protocol; when either is not
/// alphanumeric, the first and last hex digits of it instead; `00` without.
fn alpn_chars(p: Option<&[u8]>) -> (char, char) {
    let Some((&first, rest)) = p.and_then(<[u8]>::split_first) else { return ('0', '0') };
    let last = rest.last().copied().unwrap_or(first);
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        return (char::from(first), char::from(last));
    }
    let hex = |d: u8| char::from_digit(u32::from(d), 16).unwrap_or('0');
    (hex(first >> 4), hex(last & 0xf))
}

fn hex_list(vals: &[u16]) -> String {
    let mut s = String::with_capacity(vals.len() * 5);
    for (i, v) in vals.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{v:04x}");
    }
    s
}

fn hash12(s: &str) -> String {
    let mut h = hex_lower(&Sha256::digest(s.as_bytes()), "");
    h.truncate(12);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(version: u16, ciphers: &[u16], exts: &[u16], sig_algs: &[u16], alpns: &[&[u8]]) -> Handshake {
        let mut h = Handshake { version, ..Handshake::default() };
        ciphers.iter().for_each(|&c| h.add_cipher(c));
        exts.iter().for_each(|&e| h.add_extension(e));
        sig_algs.iter().for_each(|&a| h.add_sig_alg(a));
        alpns.iter().for_each(|a| {
            h.add_alpn(a);
        });
        h
    }

    // Expected values: Suricata 8.0.6 on the same hellos.
    #[test]
    fn ja4_as_suricata() {
        // GREASE everywhere, non-alphanumeric ALPN, padding.
        let h = hs(
            0x0304,
            &[0x0a0a, 0x1301, 0x1302, 0xc02f],
            &[0x0a0a, 0, 10, 11, 13, 16, 43, 21, 0x1a1a],
            &[0x0403, 0x0804, 0x0401],
            &[b"-h2*", b"http/1.1"],
        );
        assert_eq!(h.ja4(), "t13d03072a_40b44b994229_80b502bd4a54");
        // No SNI, one-letter ALPN, no signature algorithms.
        assert_eq!(hs(0x0303, &[0x2f, 0x35], &[10, 16], &[], &[b"x"]).ja4(), "t12i0202xx_f54dd463d39b_bc1f8d297068");
        // No extensions at all.
        assert_eq!(hs(0x0301, &[0x2f], &[], &[], &[]).ja4(), "t10i010000_ba72b8082249_d2e2adf7177b");
        // An SSLv2 hello: nothing recorded.
        let v2 = Handshake::default();
        assert!(v2.is_empty());
        assert_eq!(v2.ja4(), "t00i000000_e3b0c44298fc_d2e2adf7177b");
        // 100 ciphers are counted as 99; a one-character ALPN that is not
        // alphanumeric gives its hex digits.
        let many: Vec<u16> = (1..=100).collect();
        assert_eq!(hs(0x0303, &many, &[16], &[], &[b"*", b"h2"]).ja4(), "t12i99012a_23fcf16c6918_d2e2adf7177b");
    }

    #[test]
    fn later_hellos_add_up() {
        // tls-duplicate-hello: the same hello twice doubles the counts.
        let one = hs(0x0304, &[0x1301, 0x1302], &[0, 43], &[0x0403], &[b"h2"]);
        let mut h = one.clone();
        assert!(!h.merge(&one));
        assert_eq!((h.ciphers.len(), h.extensions.len(), h.alpns.len()), (4, 4, 2));
        assert!(h.ja4().starts_with("t13d0404h2_"));
        let big = Handshake { ciphers: vec![1; MAX_ITEMS], ..Handshake::default() };
        assert!(h.merge(&big));
        assert_eq!(h.ciphers.len(), MAX_ITEMS);
    }

    #[test]
    fn alpn_bound() {
        let mut h = Handshake::default();
        for i in 0..MAX_ALPNS {
            assert!(h.add_alpn(&[b'a' + (i % 26) as u8]));
        }
        assert!(!h.add_alpn(b"over"));
        assert_eq!(h.alpns.len(), MAX_ALPNS);
    }
}
