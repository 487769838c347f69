//! Prefilter cache files (`detect.mpm_cache`) are read from a directory
//! other processes can write: whatever bytes a file holds, decoding never
//! panics, and what it accepts is a consistent pattern table naming only
//! the signatures asked for, that encodes back to the same bytes.

#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use mirrorids::detect::mpm_cache::{decode, encode};

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the signature ids the rules have (0..n).
    let (n, file) = match data.split_first() {
        Some((&n, rest)) => (u32::from(n), rest),
        None => (0, data),
    };
    let ids: HashSet<u32> = (0..n).collect();
    let Ok(db) = decode(file, &ids) else { return };
    assert_eq!(db.offsets.first(), Some(&0));
    assert_eq!(*db.offsets.last().unwrap() as usize, db.sigs.len());
    assert!(db.sigs.iter().chain(&db.refused).all(|s| *s < n));
    assert_eq!(encode(&db), file);
});
