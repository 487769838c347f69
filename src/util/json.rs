//! Hand-written JSON emission for the hot output path.
//!
//! Alerts are formatted into a reusable per-worker buffer; going through
//! `serde_json::Value` would allocate a tree per alert for no benefit.

use std::io::Write;

/// Appends `s` as a JSON string literal (with quotes) to `out`.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    push_escaped_utf8(out, s.as_bytes());
    out.push(b'"');
}

/// Appends bytes as the body of a JSON string; invalid UTF-8 is replaced by
/// U+FFFD so the line stays valid JSON whatever the rule file contained.
pub fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        push_escaped_utf8(out, chunk.valid().as_bytes());
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

/// [`push_escaped`] of bytes known to be UTF-8: runs that need no escape
/// (nearly everything) are copied whole.
fn push_escaped_utf8(out: &mut Vec<u8>, valid: &[u8]) {
    let mut run = 0;
    for (i, &b) in valid.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&valid[run..i]);
        run = i + 1;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
    }
    out.extend_from_slice(&valid[run..]);
}

/// Appends `v` in decimal (itoa: records are mostly numbers, and
/// `write!` through a formatter costs several times as much).
pub fn push_uint(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends `v` in lowercase hex, zero-padded to at least `min_digits`
/// (as `{v:0width$x}` formats it).
pub fn push_hex(out: &mut Vec<u8>, v: u64, min_digits: usize) {
    let digits = ((64 - v.leading_zeros() as usize).div_ceil(4)).max(min_digits.min(16)).max(1);
    let mut text = [b'0'; 16];
    for (i, d) in text[16 - digits..].iter_mut().rev().enumerate() {
        *d = super::HEX_DIGITS[((v >> (4 * i)) & 0xf) as usize];
    }
    out.extend_from_slice(&text[16 - digits..]);
}

/// Appends `"a.b.c.d"` (composed on the stack: one copy into `out`).
pub fn push_ipv4_str(out: &mut Vec<u8>, octets: [u8; 4]) {
    let mut text = [0u8; 17];
    text[0] = b'"';
    let mut n = 1;
    for (i, o) in octets.into_iter().enumerate() {
        if i > 0 {
            text[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            text[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            text[n] = b'0' + (o / 10) % 10;
            n += 1;
        }
        text[n] = b'0' + o % 10;
        n += 1;
    }
    text[n] = b'"';
    out.extend_from_slice(&text[..=n]);
}

/// Appends bytes as a JSON string literal (with quotes) the way Suricata's
/// `set_string_from_bytes` renders them: valid UTF-8 as is, otherwise every
/// byte from 0x80 up as the four characters `\xNN` (the JSON text
/// `"a\\xff"` for the bytes `a`, 0xff), the rest unchanged. Names and
/// strings off the wire compare equal with Suricata's that way.
pub fn push_bytes_str(out: &mut Vec<u8>, bytes: &[u8]) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return push_str(out, s);
    }
    out.push(b'"');
    for &b in bytes {
        if b < 0x80 {
            push_escaped(out, &[b]);
        } else {
            let _ = write!(out, "\\\\x{b:02x}");
        }
    }
    out.push(b'"');
}

/// Appends `"key":` to `out`, preceded by a comma unless `first`.
/// Inlined: keys are constants, so the copy becomes a few stores instead
/// of a call to memcpy (a record has ten to thirty keys).
#[inline]
pub fn push_key(out: &mut Vec<u8>, key: &str, first: bool) {
    out.extend_from_slice(if first { b"\"" } else { b",\"" });
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Renders a payload byte the way Suricata's `payload_printable` does:
/// printable ASCII, CR and LF are kept, anything else becomes `.`.
pub fn printable_byte(b: u8) -> u8 {
    if b.is_ascii_graphic() || b == b' ' || b == b'\n' || b == b'\r' {
        b
    } else {
        b'.'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_quotes() {
        let mut out = Vec::new();
        push_str(&mut out, "a\"b\\c\n\u{1}");
        assert_eq!(out, b"\"a\\\"b\\\\c\\n\\u0001\"");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, "a\"b\\c\n\u{1}");
    }

    #[test]
    fn bytes_as_suricata_renders_them() {
        let render = |b: &[u8]| {
            let mut out = Vec::new();
            push_bytes_str(&mut out, b);
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()
        };
        assert_eq!(render("caf\u{e9}".as_bytes()), "caf\u{e9}");
        assert_eq!(render(b"wor\"ld\x01\xff"), "wor\"ld\u{1}\\xff");
        assert_eq!(render(b"\xc3\xa9\xff"), "\\xc3\\xa9\\xff");
    }

    #[test]
    fn invalid_utf8_stays_valid_json() {
        let mut out = vec![b'"'];
        push_escaped(&mut out, b"ok\xff\xfe!");
        out.push(b'"');
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, "ok\u{fffd}\u{fffd}!");
    }

    #[test]
    fn ipv4_as_std_writes_it() {
        for a in [[0, 0, 0, 0], [255, 255, 255, 255], [10, 0, 9, 100], [1, 22, 133, 249], [99, 100, 101, 10]] {
            let mut out = Vec::new();
            push_ipv4_str(&mut out, a);
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{}\"", std::net::Ipv4Addr::from(a)));
        }
        let mut out = Vec::new();
        push_uint(&mut out, u64::MAX);
        push_uint(&mut out, 0u8);
        assert_eq!(out, b"184467440737095516150");
        for v in [0u64, 1, 0xf, 0x10, 0xabc, 0x8180, u64::from(u32::MAX), u64::MAX] {
            for width in [0, 1, 2, 8, 16] {
                let mut out = Vec::new();
                push_hex(&mut out, v, width);
                assert_eq!(String::from_utf8(out).unwrap(), format!("{v:0width$x}"), "{v} {width}");
            }
        }
    }

    #[test]
    fn any_bytes_round_trip_through_a_json_parser() {
        // Every byte value, at the start, middle and end of runs.
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    // Mostly printable, with escapes and non-ASCII mixed in.
                    match rng % 8 {
                        0 => (rng >> 8) as u8,
                        1 => b"\"\\\n\r\t\x01\x1f\x7f"[(rng >> 8) as usize % 8],
                        _ => b'a' + (rng >> 8) as u8 % 26,
                    }
                })
                .collect();
            let mut out = vec![b'"'];
            push_escaped(&mut out, &bytes);
            out.push(b'"');
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v, String::from_utf8_lossy(&bytes).as_ref(), "{bytes:?}");
        }
    }
}
