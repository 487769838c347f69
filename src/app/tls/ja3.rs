//! JA3 / JA3S strings and hashes (https://github.com/salesforce/ja3), as
//! Suricata builds them: decimal values, lists joined by `-`, fields by
//! `,`, GREASE values (RFC 8701) left out, hash = lowercase hex MD5.

use std::fmt::Write;

use md5::{Digest, Md5};

pub(super) use crate::util::hex_lower;

/// GREASE values are 0x?a?a with both bytes equal.
pub(super) fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// Appends `v` to a `-`-joined list unless it is GREASE.
pub(super) fn push(list: &mut String, v: u16) {
    if is_grease(v) {
        return;
    }
    if !list.is_empty() {
        list.push('-');
    }
    // Writing to a String cannot fail.
    let _ = write!(list, "{v}");
}

pub(super) fn md5_hex(s: &str) -> String {
    hex_lower(&Md5::digest(s.as_bytes()), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        let grease: Vec<u16> = (0..=0xffffu16).filter(|&v| is_grease(v)).collect();
        let expected: Vec<u16> = (0..16u16).map(|i| (i << 12) | 0x0a00 | (i << 4) | 0x0a).collect();
        assert_eq!(grease, expected);
        assert_eq!(grease.first(), Some(&0x0a0a));
        assert_eq!(grease.last(), Some(&0xfafa));
    }

    #[test]
    fn list_and_hash() {
        let mut l = String::new();
        for v in [0x0a0a, 4865, 0xfafa, 4866] {
            push(&mut l, v);
        }
        assert_eq!(l, "4865-4866");
        // md5("") is well known.
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex_lower(&[0x0c, 0xf5, 0xbd], ":"), "0c:f5:bd");
    }
}
