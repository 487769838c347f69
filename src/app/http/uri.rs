//! Request URI splitting and normalisation as libhtp does it with the IDS
//! personality Suricata configures (lowercasing turned off, '+' left as
//! is): the normalised URI (Suricata's `http.uri`) is the path, `?query`
//! and `#fragment` of the request URI, without scheme and authority.
//!
//! Path: %XX decoded (invalid escapes kept), %uXXXX decoded with best-fit
//! mapping, encoded and raw backslashes turned into slashes, repeated
//! slashes compressed, UTF-8 mapped to single bytes (best fit, '?' for
//! invalid sequences), then dot segments removed. Query and fragment: %XX
//! and %uXXXX decoded, nothing else.

/// The pieces of a request URI, as slices of it (libhtp's `parse_uri`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UriParts<'a> {
    pub(crate) scheme: Option<&'a [u8]>,
    pub(crate) host: Option<&'a [u8]>,
    pub(crate) path: Option<&'a [u8]>,
    pub(crate) query: Option<&'a [u8]>,
    pub(crate) fragment: Option<&'a [u8]>,
}

fn find(s: &[u8], c: u8) -> Option<usize> {
    s.iter().position(|&b| b == c)
}

/// Splits a request URI like libhtp: an optional `scheme:` (only when the
/// URI does not start with '/'), `//user@` credentials, host and port, then
/// path (up to '?' or '#'), `?query` and `#fragment`.
pub(crate) fn parse(uri: &[u8]) -> UriParts<'_> {
    let mut parts = UriParts::default();
    let mut rest = uri;
    if let Some(colon) = find(rest, b':').filter(|_| rest.first() != Some(&b'/')) {
        if let Some(after) = authority(rest.get(colon + 1..).unwrap_or(&[]), &mut parts) {
            parts.scheme = rest.get(..colon);
            rest = after;
        }
    }
    let path_len = rest.iter().position(|&c| c == b'?' || c == b'#').unwrap_or(rest.len());
    if path_len > 0 {
        parts.path = rest.get(..path_len);
    }
    rest = rest.get(path_len..).unwrap_or(&[]);
    if let Some(q) = rest.strip_prefix(b"?") {
        let end = find(q, b'#').unwrap_or(q.len());
        parts.query = q.get(..end);
        rest = q.get(end..).unwrap_or(&[]);
    }
    if let Some(f) = rest.strip_prefix(b"#") {
        parts.fragment = Some(f);
    }
    parts
}

/// After `scheme:`: optional `//credentials@`, then host and port. Returns
/// what follows (the scheme part is taken even without a host).
fn authority<'a>(mut s: &'a [u8], parts: &mut UriParts<'a>) -> Option<&'a [u8]> {
    // Credentials: "//" not followed by '/', then everything up to '@'.
    if let Some(c) = s.strip_prefix(b"//").filter(|c| c.first() != Some(&b'/')) {
        if let Some(at) = find(c, b'@') {
            s = c.get(at + 1..)?;
        }
    }
    let mut h = s.strip_prefix(b"//").unwrap_or(s);
    if h.first() == Some(&b'/') {
        return Some(s);
    }
    while let Some(r) = h.strip_prefix(b" ") {
        h = r;
    }
    let host_len = if h.first() == Some(&b'[') {
        let close = h.iter().position(|&c| matches!(c, b'/' | b'?' | b'#' | b']')).unwrap_or(h.len());
        if close <= 1 {
            return Some(s);
        }
        close + usize::from(h.get(close) == Some(&b']'))
    } else {
        h.iter().position(|&c| matches!(c, b'/' | b'?' | b'#' | b':')).unwrap_or(h.len())
    };
    if host_len == 0 {
        return Some(s);
    }
    let mut host = h.get(..host_len)?;
    while let Some(t) = host.strip_suffix(b" ") {
        host = t;
    }
    parts.host = Some(host);
    let mut after = h.get(host_len..)?;
    // Port: ':' then up to '/', '?' or '#'.
    if let Some(p) = after.strip_prefix(b":") {
        let end = p.iter().position(|&c| matches!(c, b'/' | b'?' | b'#')).unwrap_or(p.len());
        if end > 0 {
            after = p.get(end..)?;
        }
    }
    Some(after)
}

/// The normalised path of a raw request URI (libhtp's `parsed_uri->path`,
/// which Suricata names files after); false when the URI has none.
pub(crate) fn normalized_path(raw: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    match parse(raw).path {
        Some(path) => {
            push_normalized_path(path, out);
            true
        }
        None => false,
    }
}

fn push_normalized_path(path: &[u8], out: &mut Vec<u8>) {
    let mut decoded = Vec::with_capacity(path.len());
    decode_path(path, &mut decoded);
    let mut fitted = Vec::with_capacity(decoded.len());
    utf8_bestfit(&decoded, &mut fitted);
    remove_dot_segments(&fitted, out);
}

/// The normalised URI (Suricata's `http.uri`) of a raw request URI.
pub(crate) fn normalize(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let parts = parse(raw);
    if let Some(path) = parts.path {
        push_normalized_path(path, out);
    }
    if let Some(q) = parts.query {
        out.push(b'?');
        urldecode(q, out);
    }
    if let Some(f) = parts.fragment {
        out.push(b'#');
        urldecode(f, out);
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex2(s: &[u8]) -> Option<u8> {
    match s {
        [a, b, ..] => Some(hex(*a)? << 4 | hex(*b)?),
        _ => None,
    }
}

/// `%uXXXX`: the low byte when the high byte is 0, else best fit.
fn u_escape(s: &[u8]) -> Option<u8> {
    let hi = hex2(s)?;
    let lo = hex2(s.get(2..)?)?;
    Some(if hi == 0 { lo } else { bestfit(u32::from(hi) << 8 | u32::from(lo)) })
}

/// Decodes one escape at `s` (which starts after '%'): (byte, bytes used
/// after the '%'); an invalid escape yields the '%' itself.
fn escape(s: &[u8]) -> (u8, usize) {
    if matches!(s.first(), Some(b'u' | b'U')) {
        return match s.get(1..).and_then(u_escape) {
            Some(b) => (b, 5),
            None => (b'%', 0),
        };
    }
    match hex2(s) {
        Some(b) => (b, 2),
        None => (b'%', 0),
    }
}

/// Path decoding: escapes, backslash to slash, compressed separators.
fn decode_path(path: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&c) = path.get(i) {
        let mut byte = c;
        i += 1;
        if c == b'%' {
            let (b, used) = escape(path.get(i..).unwrap_or(&[]));
            byte = b;
            i += used;
        }
        if byte == b'\\' {
            byte = b'/';
        }
        if byte == b'/' && out.last() == Some(&b'/') {
            continue;
        }
        out.push(byte);
    }
}

/// Query and fragment decoding: escapes only.
fn urldecode(s: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        i += 1;
        if c == b'%' {
            let (b, used) = escape(s.get(i..).unwrap_or(&[]));
            out.push(b);
            i += used;
        } else {
            out.push(c);
        }
    }
}

/// UTF-8 to single bytes: ASCII kept, valid (also overlong) sequences
/// mapped best fit, invalid bytes replaced with '?' (libhtp's decoder with
/// `utf8_convert_bestfit`).
fn utf8_bestfit(s: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        let (need, init) = match c {
            0x00..=0x7f => {
                out.push(c);
                i += 1;
                continue;
            }
            0xc0..=0xdf => (1, u32::from(c & 0x1f)),
            0xe0..=0xef => (2, u32::from(c & 0x0f)),
            0xf0..=0xf4 => (3, u32::from(c & 0x07)),
            _ => {
                out.push(b'?');
                i += 1;
                continue;
            }
        };
        let mut cp = init;
        let mut ok = 0;
        let mut ended = false;
        for k in 1..=need {
            match s.get(i + k) {
                Some(&b) if b & 0xc0 == 0x80 => {
                    cp = cp << 6 | u32::from(b & 0x3f);
                    ok += 1;
                }
                Some(_) => break,
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if ok == need && cp <= 0x10ffff && !(0xd800..=0xdfff).contains(&cp) {
            out.push(if cp < 0x100 { cp as u8 } else { bestfit(cp) });
        } else if ended {
            // Truncated at the end: one '?' per byte after the lead.
            out.extend(std::iter::repeat_n(b'?', ok));
        } else {
            // One '?' for the lead and the continuation bytes taken; the
            // byte that broke the sequence starts the next character.
            out.push(b'?');
        }
        i += ok + 1;
    }
}

/// libhtp's dot-segment removal: split on '/', drop ".", ".." removes the
/// previous segment (never the leading empty one), join with '/'.
fn remove_dot_segments(path: &[u8], out: &mut Vec<u8>) {
    let mut segs: Vec<&[u8]> = Vec::new();
    for seg in path.split(|&c| c == b'/') {
        match seg {
            b"." => {}
            b".." => {
                if !(segs.len() == 1 && segs.first() == Some(&&b""[..])) {
                    segs.pop();
                }
            }
            _ => segs.push(seg),
        }
    }
    for (k, seg) in segs.iter().enumerate() {
        if k > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(seg);
    }
}

/// Best-fit mapping of a code point to one byte (Windows-1252 "best fit"
/// table libhtp uses); '?' when there is none.
fn bestfit(cp: u32) -> u8 {
    // Fullwidth ASCII forms map to ASCII.
    if (0xff01..=0xff5e).contains(&cp) && cp != 0xff1f {
        return (cp - 0xff01 + 0x21) as u8;
    }
    let Ok(cp) = u16::try_from(cp) else { return b'?' };
    match BESTFIT.binary_search_by_key(&cp, |&(k, _)| k) {
        Ok(i) => BESTFIT.get(i).map_or(b'?', |&(_, v)| v),
        Err(_) => b'?',
    }
}

/// Code point to byte, sorted by code point (fullwidth forms handled in
/// code).
#[rustfmt::skip]
const BESTFIT: &[(u16, u8)] = &[
    (0x0100, b'A'), (0x0101, b'a'), (0x0102, b'A'), (0x0103, b'a'), (0x0104, b'A'), (0x0105, b'a'),
    (0x0106, b'C'), (0x0107, b'c'), (0x0108, b'C'), (0x0109, b'c'), (0x010a, b'C'), (0x010b, b'c'),
    (0x010c, b'C'), (0x010d, b'c'), (0x010e, b'D'), (0x010f, b'd'), (0x0111, b'd'), (0x0112, b'E'),
    (0x0113, b'e'), (0x0114, b'E'), (0x0115, b'e'), (0x0116, b'E'), (0x0117, b'e'), (0x0118, b'E'),
    (0x0119, b'e'), (0x011a, b'E'), (0x011b, b'e'), (0x011c, b'G'), (0x011d, b'g'), (0x011e, b'G'),
    (0x011f, b'g'), (0x0120, b'G'), (0x0121, b'g'), (0x0122, b'G'), (0x0123, b'g'), (0x0124, b'H'),
    (0x0125, b'h'), (0x0126, b'H'), (0x0127, b'h'), (0x0128, b'I'), (0x0129, b'i'), (0x012a, b'I'),
    (0x012b, b'i'), (0x012c, b'I'), (0x012d, b'i'), (0x012e, b'I'), (0x012f, b'i'), (0x0130, b'I'),
    (0x0131, b'i'), (0x0134, b'J'), (0x0135, b'j'), (0x0136, b'K'), (0x0137, b'k'), (0x0139, b'L'),
    (0x013a, b'l'), (0x013b, b'L'), (0x013c, b'l'), (0x013d, b'L'), (0x013e, b'l'), (0x0141, b'L'),
    (0x0142, b'l'), (0x0143, b'N'), (0x0144, b'n'), (0x0145, b'N'), (0x0146, b'n'), (0x0147, b'N'),
    (0x0148, b'n'), (0x014c, b'O'), (0x014d, b'o'), (0x014e, b'O'), (0x014f, b'o'), (0x0150, b'O'),
    (0x0151, b'o'), (0x0154, b'R'), (0x0155, b'r'), (0x0156, b'R'), (0x0157, b'r'), (0x0158, b'R'),
    (0x0159, b'r'), (0x015a, b'S'), (0x015b, b's'), (0x015c, b'S'), (0x015d, b's'), (0x015e, b'S'),
    (0x015f, b's'), (0x0162, b'T'), (0x0163, b't'), (0x0164, b'T'), (0x0165, b't'), (0x0166, b'T'),
    (0x0167, b't'), (0x0168, b'U'), (0x0169, b'u'), (0x016a, b'U'), (0x016b, b'u'), (0x016c, b'U'),
    (0x016d, b'u'), (0x016e, b'U'), (0x016f, b'u'), (0x0170, b'U'), (0x0171, b'u'), (0x0172, b'U'),
    (0x0173, b'u'), (0x0174, b'W'), (0x0175, b'w'), (0x0176, b'Y'), (0x0177, b'y'), (0x0179, b'Z'),
    (0x017b, b'Z'), (0x017c, b'z'), (0x0180, b'b'), (0x0197, b'I'), (0x019a, b'l'), (0x019f, b'O'),
    (0x01a0, b'O'), (0x01a1, b'o'), (0x01ab, b't'), (0x01ae, b'T'), (0x01af, b'U'), (0x01b0, b'u'),
    (0x01b6, b'z'), (0x01c0, b'|'), (0x01c3, b'!'), (0x01cd, b'A'), (0x01ce, b'a'), (0x01cf, b'I'),
    (0x01d0, b'i'), (0x01d1, b'O'), (0x01d2, b'o'), (0x01d3, b'U'), (0x01d4, b'u'), (0x01d5, b'U'),
    (0x01d6, b'u'), (0x01d7, b'U'), (0x01d8, b'u'), (0x01d9, b'U'), (0x01da, b'u'), (0x01db, b'U'),
    (0x01dc, b'u'), (0x01de, b'A'), (0x01df, b'a'), (0x01e4, b'G'), (0x01e5, b'g'), (0x01e6, b'G'),
    (0x01e7, b'g'), (0x01e8, b'K'), (0x01e9, b'k'), (0x01ea, b'O'), (0x01eb, b'o'), (0x01ec, b'O'),
    (0x01ed, b'o'), (0x01f0, b'j'), (0x0261, b'g'), (0x02b9, b'\''), (0x02ba, b'"'), (0x02bc, b'\''),
    (0x02c4, b'^'), (0x02c8, b'\''), (0x02cb, b'`'), (0x02cd, b'_'), (0x0300, b'`'), (0x0302, b'^'),
    (0x0303, b'~'), (0x030e, b'"'), (0x0331, b'_'), (0x0332, b'_'), (0x037e, b';'), (0x0393, b'G'),
    (0x0398, b'T'), (0x03a3, b'S'), (0x03a6, b'F'), (0x03a9, b'O'), (0x03b1, b'a'), (0x03b4, b'd'),
    (0x03b5, b'e'), (0x03c0, b'p'), (0x03c3, b's'), (0x03c4, b't'), (0x03c6, b'f'), (0x04bb, b'h'),
    (0x0589, b':'), (0x066a, b'%'), (0x2000, b' '), (0x2001, b' '), (0x2002, b' '), (0x2003, b' '),
    (0x2004, b' '), (0x2005, b' '), (0x2006, b' '), (0x2010, b'-'), (0x2011, b'-'), (0x2017, b'='),
    (0x2032, b'\''), (0x2035, b'`'), (0x2044, b'/'), (0x2074, b'4'), (0x2075, b'5'), (0x2076, b'6'),
    (0x2077, b'7'), (0x2078, b'8'), (0x207f, b'n'), (0x2080, b'0'), (0x2081, b'1'), (0x2082, b'2'),
    (0x2083, b'3'), (0x2084, b'4'), (0x2085, b'5'), (0x2086, b'6'), (0x2087, b'7'), (0x2088, b'8'),
    (0x2089, b'9'), (0x20a7, b'P'), (0x2102, b'C'), (0x2107, b'E'), (0x210a, b'g'), (0x210b, b'H'),
    (0x210c, b'H'), (0x210d, b'H'), (0x210e, b'h'), (0x2110, b'I'), (0x2111, b'I'), (0x2112, b'L'),
    (0x2113, b'l'), (0x2115, b'N'), (0x2118, b'P'), (0x2119, b'P'), (0x211a, b'Q'), (0x211b, b'R'),
    (0x211c, b'R'), (0x211d, b'R'), (0x2124, b'Z'), (0x2128, b'Z'), (0x212a, b'K'), (0x212c, b'B'),
    (0x212d, b'C'), (0x212e, b'e'), (0x212f, b'e'), (0x2130, b'E'), (0x2131, b'F'), (0x2133, b'M'),
    (0x2134, b'o'), (0x2212, b'-'), (0x2215, b'/'), (0x2216, b'\\'), (0x2217, b'*'), (0x221a, b'v'),
    (0x221e, b'8'), (0x2223, b'|'), (0x2229, b'n'), (0x2236, b':'), (0x223c, b'~'), (0x2261, b'='),
    (0x2264, b'='), (0x2265, b'='), (0x2303, b'^'), (0x2320, b'('), (0x2321, b')'), (0x2329, b'<'),
    (0x232a, b'>'), (0x2500, b'-'), (0x250c, b'+'), (0x2510, b'+'), (0x2514, b'+'), (0x2518, b'+'),
    (0x251c, b'+'), (0x252c, b'-'), (0x2534, b'-'), (0x253c, b'+'), (0x2550, b'-'), (0x2552, b'+'),
    (0x2553, b'+'), (0x2554, b'+'), (0x2555, b'+'), (0x2556, b'+'), (0x2557, b'+'), (0x2558, b'+'),
    (0x2559, b'+'), (0x255a, b'+'), (0x255b, b'+'), (0x255c, b'+'), (0x255d, b'+'), (0x2564, b'-'),
    (0x2565, b'-'), (0x2566, b'-'), (0x2567, b'-'), (0x2568, b'-'), (0x2569, b'-'), (0x256a, b'+'),
    (0x256b, b'+'), (0x256c, b'+'), (0x2584, b'_'), (0x2758, b'|'), (0x3000, b' '), (0x3008, b'<'),
    (0x3009, b'>'), (0x301a, b'['), (0x301b, b']'),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> Vec<u8> {
        let mut out = Vec::new();
        normalize(raw.as_bytes(), &mut out);
        out
    }

    #[test]
    fn splits_like_libhtp() {
        let p = parse(b"http://user:pass@www.example.com:1234/path1/path2?a=b&c=d#frag");
        assert_eq!(p.scheme, Some(&b"http"[..]));
        assert_eq!(p.host, Some(&b"www.example.com"[..]));
        assert_eq!(p.path, Some(&b"/path1/path2"[..]));
        assert_eq!(p.query, Some(&b"a=b&c=d"[..]));
        assert_eq!(p.fragment, Some(&b"frag"[..]));
        let p = parse(b"http://host.com");
        assert_eq!((p.host, p.path), (Some(&b"host.com"[..]), None));
        assert_eq!(parse(b"http://").path, Some(&b"//"[..]));
        assert_eq!(parse(b"/path?x").path, Some(&b"/path"[..]));
        assert_eq!(parse(b"*").path, Some(&b"*"[..]));
        let p = parse(b"http://[::1]:8080/x");
        assert_eq!((p.host, p.path), (Some(&b"[::1]"[..]), Some(&b"/x"[..])));
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(norm("/a/./b/../c"), b"/a/c");
        assert_eq!(norm("/../c/./d"), b"/c/d");
        assert_eq!(norm("//a///b"), b"/a/b");
        assert_eq!(norm("/a%2fb%5Cc\\d"), b"/a/b/c/d");
        assert_eq!(norm("/%41%42%zz%4"), b"/AB%zz%4");
        assert_eq!(norm("/%u0041%uff0f%u12"), b"/A/%u12");
        assert_eq!(norm("/caf%C3%A9"), b"/caf\xe9");
        assert_eq!(norm("/%c0%af"), b"//");
        assert_eq!(norm("/%ff"), b"/?");
        assert_eq!(norm("/.."), b"");
        assert_eq!(norm("/./"), b"/");
        assert_eq!(norm("http://h:80/a//b?x=%41+1#f%42"), b"/a/b?x=A+1#fB");
        assert_eq!(norm("/x?a%2fb//c"), b"/x?a/b//c");
        assert_eq!(norm("/path with space"), b"/path with space");
    }

    #[test]
    fn bestfit_table_sorted() {
        assert!(BESTFIT.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(bestfit(0x0100), b'A');
        assert_eq!(bestfit(0xff21), b'A');
        assert_eq!(bestfit(0x4e00), b'?');
    }

    #[test]
    fn utf8_invalid_sequences() {
        let mut out = Vec::new();
        utf8_bestfit(b"\xf1.\xf1\xef\xbd\x9dabcd", &mut out);
        assert_eq!(out, b"?.?}abcd");
        out.clear();
        utf8_bestfit(b"\xe2\x82", &mut out);
        assert_eq!(out, b"?");
        out.clear();
        utf8_bestfit(b"\xc2\xff\xf0", &mut out);
        assert_eq!(out, b"??");
        out.clear();
        utf8_bestfit(b"\xf0\x90\x28\xbc", &mut out);
        assert_eq!(out, b"?(?");
    }
}
