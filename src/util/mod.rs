//! Small, dependency-free helpers shared by several stages: timestamps,
//! JSON string escaping, printable-payload rendering and hex.

use std::fmt::Write;

pub mod json;
pub mod memory;
pub mod par;
pub mod time;

pub use time::Timestamp;

/// Lowercase hex of `bytes`, `sep` between bytes.
pub fn hex_lower(bytes: &[u8], sep: &str) -> String {
    let mut out = String::with_capacity(bytes.len() * (2 + sep.len()));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}
