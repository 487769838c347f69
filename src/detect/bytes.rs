//! Reading numbers out of inspected bytes for byte_test, byte_jump and
//! byte_extract, with Suricata's conversion rules.

use crate::rules::payload::{Endian, NumBase};

/// Reads `n` (1..=8) bytes as an unsigned integer.
pub fn read_binary(bytes: &[u8], n: usize, little: bool) -> Option<u64> {
    let b = bytes.get(..n)?;
    let mut v: u64 = 0;
    if little {
        for &x in b.iter().rev() {
            v = v << 8 | u64::from(x);
        }
    } else {
        for &x in b {
            v = v << 8 | u64::from(x);
        }
    }
    Some(v)
}

/// Parses an ASCII number like `strtoull` over at most `n` bytes (all the
/// remaining bytes when `n` is 0): leading spaces and a `+` are skipped, hex
/// may carry `0x`. Returns the value and the bytes consumed; None when no
/// digit is found or the value overflows.
pub fn read_string(bytes: &[u8], n: usize, base: NumBase) -> Option<(u64, usize)> {
    let b = if n == 0 { bytes } else { bytes.get(..n)? };
    let radix: u32 = match base {
        NumBase::Dec => 10,
        NumBase::Hex => 16,
        NumBase::Oct => 8,
    };
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if i < b.len() && b[i] == b'+' {
        i += 1;
    }
    if radix == 16 && b.len() >= i + 2 && b[i] == b'0' && (b[i + 1] | 0x20) == b'x' {
        i += 2;
    }
    let start = i;
    let mut v: u64 = 0;
    while i < b.len() {
        let Some(d) = (b[i] as char).to_digit(radix) else { break };
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
        i += 1;
    }
    (i > start).then_some((v, i))
}

/// Extracts a number as the byte_* keywords do; returns (value, bytes
/// consumed).
pub fn extract(bytes: &[u8], nbytes: u8, endian: Endian, string: Option<NumBase>) -> Option<(u64, usize)> {
    match string {
        Some(base) => read_string(bytes, usize::from(nbytes), base),
        None => {
            let n = usize::from(nbytes);
            read_binary(bytes, n, endian == Endian::Little).map(|v| (v, n))
        }
    }
}

/// Applies a bitmask the way Suricata does: mask, then shift right by the
/// mask's trailing zeros.
pub fn apply_bitmask(v: u64, mask: Option<u64>) -> u64 {
    match mask {
        Some(m) if m != 0 => (v & m) >> m.trailing_zeros(),
        Some(_) => 0,
        None => v,
    }
}

/// Decodes base64 the lenient way Suricata's `base64_decode` does (RFC
/// 2045): characters outside the alphabet are skipped, `=` ends the data,
/// a last incomplete group gives the whole bytes it holds. Replaces
/// `out`'s contents; `out` grows to at most 3/4 of `text`.
pub fn base64_decode_lenient(text: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary() {
        assert_eq!(read_binary(&[0x12, 0x34], 2, false), Some(0x1234));
        assert_eq!(read_binary(&[0x12, 0x34], 2, true), Some(0x3412));
        assert_eq!(read_binary(&[0x12], 2, false), None);
    }

    #[test]
    fn strings() {
        assert_eq!(read_string(b"13When", 2, NumBase::Dec), Some((13, 2)));
        assert_eq!(read_string(b"1x", 2, NumBase::Dec), Some((1, 1)));
        assert_eq!(read_string(b"  42", 0, NumBase::Dec), Some((42, 4)));
        assert_eq!(read_string(b"0x1f", 4, NumBase::Hex), Some((31, 4)));
        assert_eq!(read_string(b"17", 2, NumBase::Oct), Some((15, 2)));
        assert_eq!(read_string(b"ab", 2, NumBase::Dec), None);
        assert_eq!(read_string(b"99999999999999999999999", 0, NumBase::Dec), None);
        assert_eq!(read_string(b"1", 2, NumBase::Dec), None, "fewer bytes than asked");
    }

    #[test]
    fn bitmask() {
        assert_eq!(apply_bitmask(0x48, Some(0xf8)), 9);
        assert_eq!(apply_bitmask(0x4854, Some(0xf8f8)), 0x90a);
        assert_eq!(apply_bitmask(13, Some(0xfe)), 6);
        assert_eq!(apply_bitmask(5, None), 5);
    }
}
