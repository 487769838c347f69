//! The `asn1` keyword at match time: BER objects decoded from a position
//! of the packet payload and checked for the malformed encodings old
//! ASN.1 libraries overflowed on.
//!
//! Decoding uses der-parser, the crate Suricata's asn1 keyword uses, so
//! that what decodes, what stops the decoding and which objects are
//! searched are Suricata's, down to its quirks: only universal SEQUENCE
//! and SET contents are searched (an [APPLICATION] or context-specific
//! wrapper is an opaque leaf), an object that claims more bytes than the
//! payload holds does not decode and stops the decoding (the objects before
//! it still count), and an indefinite-length object is not checked itself.
//!
//! Bounds: at most [`MAX_FRAMES`] top-level objects and nesting 256 deep
//! (both Suricata's `asn1-max-frames`, 256 in its stock configuration);
//! more than 256 objects and the keyword fails, as in Suricata. Indefinite
//! lengths nest at most 49 deep (asn1-rs's limit). der-parser recurses once
//! per level (the deepest input takes about 300 KiB of a worker's 2 MiB
//! stack in a release build) and allocates the objects' child lists; that
//! happens only for rules that reached their asn1 keyword, after their
//! other keywords matched.

use der_parser::ber::{parse_ber_recursive, BerObject, BerObjectContent, Tag};

use crate::rules::Asn1;

/// Top-level objects decoded, and nesting depth (Suricata's default
/// `asn1-max-frames`, used for both).
pub const MAX_FRAMES: usize = 256;

/// Whether the objects decoded from `buf[start..]` trip one of `a`'s
/// checks. A start at or past the end decodes nothing.
pub fn matches(a: &Asn1, buf: &[u8], start: usize) -> bool {
    let Some(mut rest) = buf.get(start..) else { return false };
    let mut frames = 0;
    let mut hit = false;
    while !rest.is_empty() {
        if frames >= MAX_FRAMES {
            // Suricata drops everything it decoded when there is more.
            return false;
        }
        match parse_ber_recursive(rest, MAX_FRAMES) {
            Ok((r, obj)) => {
                hit = hit || check_tree(&obj, a, MAX_FRAMES);
                frames += 1;
                rest = r;
            }
            // Not (or no longer) BER: what decoded so far is what counts.
            Err(_) => break,
        }
    }
    hit
}

/// The object, then its children (universal SEQUENCE and SET only).
fn check_tree(obj: &BerObject<'_>, a: &Asn1, depth_left: usize) -> bool {
    // The decoder's own depth limit is the same, so this never cuts a
    // decoded tree short; it bounds the recursion on its own.
    if depth_left == 0 {
        return false;
    }
    check_object(obj, a) || obj.ref_iter().any(|child| check_tree(child, a, depth_left - 1))
}

fn check_object(obj: &BerObject<'_>, a: &Asn1) -> bool {
    // An indefinite length gives nothing to compare: Suricata skips the
    // object's checks (its children are still checked).
    let Ok(len) = obj.header.length().definite() else { return false };
    let h = &obj.header;
    if let Some(max) = a.oversize_length {
        let content = obj.content.as_slice().map_or(0, <[u8]>::len);
        if len > max as usize || content > max as usize {
            return true;
        }
    }
    if a.bitstring_overflow && h.is_universal() && h.is_primitive() && h.tag() == Tag::BitString {
        // The first content octet says how many bits of the last octet are
        // unused; more than all the bits there are overflowed MSASN1.
        if let BerObjectContent::BitString(unused, _) = &obj.content {
            if len > 0 && usize::from(*unused) > len.saturating_mul(8) {
                return true;
            }
        }
    }
    if a.double_overflow && h.is_universal() && h.is_primitive() && h.tag() == Tag::RealType {
        // Bits 8 and 7 of the first octet clear: the decimal (ASCII) form,
        // which MSASN1 copied into a 256-byte buffer.
        if let Ok(data) = obj.content.as_slice() {
            if len > 0 && data.first().is_some_and(|b| b & 0xC0 == 0) && (len > 256 || data.len() > 256) {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests;
