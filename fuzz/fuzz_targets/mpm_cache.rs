//! Prefilter cache files (`detect.mpm_cache`) are read from a directory
//! other processes can write: whatever bytes a file holds, decoding never
//! panics, and what it accepts is a consistent pattern table naming only
//! the signatures asked for, that encodes back to the same bytes.

#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use mirrorids::detect::mpm_cache::{decode, encode, seal};

fuzz_target!(|data: &[u8]| {
    // The first byte: its low 7 bits choose the signature ids the rules
    // have (0..n); its high bit wraps the rest in a valid header, so the
    // fuzzer also reaches the table checks behind the checksum.
    let (first, rest) = match data.split_first() {
        Some((&b, rest)) => (b, rest),
        None => (0, data),
    };
    let n = u32::from(first & 0x7f);
    let sealed;
    let file = if first & 0x80 != 0 {
        sealed = seal(rest);
        &sealed[..]
    } else {
        rest
    };
    let ids: HashSet<u32> = (0..n).collect();
    let Ok(db) = decode(file, &ids) else { return };
    assert_eq!(db.offsets.first(), Some(&0));
    assert_eq!(*db.offsets.last().unwrap() as usize, db.sigs.len());
    assert!(db.sigs.iter().chain(&db.refused).all(|s| *s < n));
    assert_eq!(encode(&db), file);
});
