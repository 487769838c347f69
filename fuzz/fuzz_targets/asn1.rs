//! The `asn1` keyword: its option parser on the input as text, and its BER
//! decoder and checks on the input as a packet payload, alone and inside a
//! rule (so relative offsets from a content match run too). Nothing may
//! panic or run away, whatever the bytes.
//!
//! Input: byte 0 = checks and offset kind (bit 0 bitstring_overflow, bit 1
//! double_overflow, bit 2 oversize_length, bit 3 absolute_offset, bit 4
//! relative_offset, bit 5 negative relative offset); bytes 1-2 = the
//! number they take (big endian); byte 3 = the content the rule searches
//! for before its asn1; the rest = the payload.

#![no_main]

use std::hint::black_box;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mirrorids::detect::asn1::matches;
use mirrorids::detect::program::{Program, ProgramScratch};
use mirrorids::rules::asn1::parse_asn1;
use mirrorids::rules::{parse_rule, Asn1, Location, Vars};

fn options(flags: u8, n: u16) -> Asn1 {
    let rel = if flags & 32 != 0 { -i32::from(n) } else { i32::from(n) };
    Asn1 {
        bitstring_overflow: flags & 1 != 0,
        double_overflow: flags & 2 != 0,
        oversize_length: (flags & 4 != 0).then_some(u32::from(n)),
        absolute_offset: (flags & 8 != 0).then_some(n),
        relative_offset: (flags & 16 != 0).then_some(rel),
    }
}

/// The options as rule text, the way `parse_asn1` reads them back.
fn text(a: &Asn1) -> String {
    let mut parts = Vec::new();
    if a.bitstring_overflow {
        parts.push("bitstring_overflow".to_string());
    }
    if a.double_overflow {
        parts.push("double_overflow".to_string());
    }
    if let Some(n) = a.oversize_length {
        parts.push(format!("oversize_length {n}"));
    }
    if let Some(n) = a.absolute_offset {
        parts.push(format!("absolute_offset {n}"));
    }
    if let Some(n) = a.relative_offset {
        parts.push(format!("relative_offset {n}"));
    }
    parts.join(", ")
}

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = parse_asn1(&String::from_utf8_lossy(data)) {
        assert!(a.relative_offset.is_none_or(|r| (-65535..=65535).contains(&r)), "{a:?}");
    }
    let [flags, hi, lo, marker, payload @ ..] = data else { return };
    let a = options(*flags, u16::from_be_bytes([*hi, *lo]));
    for start in [0, usize::from(*lo), payload.len().saturating_sub(1), payload.len()] {
        black_box(matches(&a, payload, start));
    }
    let opts = text(&a);
    if opts.is_empty() {
        return;
    }
    assert_eq!(parse_asn1(&opts), Ok(a), "{opts}");
    let rule = format!("alert udp any any -> any any (content:\"|{marker:02x}|\"; asn1:{opts}; sid:1;)");
    let r = parse_rule(&rule, &Vars::default(), Location { file: Arc::from("fuzz"), line: 1 }).expect(&rule);
    let items: Vec<_> = r.payload_items().cloned().collect();
    let prog = Program::new(&items, |_| unreachable!("no pcre"));
    black_box(prog.matches(payload, &[], &mut ProgramScratch::default()));
});
