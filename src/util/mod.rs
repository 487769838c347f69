//! Small, dependency-free helpers shared by several stages: timestamps,
//! JSON string escaping, printable-payload rendering and hex.

pub mod json;
pub mod memory;
pub mod par;
pub mod time;

pub use time::Timestamp;

/// Lowercase hex digits by value.
pub const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`, `sep` between bytes.
/// (Digits from a table: this runs for every certificate fingerprint and
/// JA3/JA4 hash, and a formatter call per byte cost ten times as much.)
pub fn hex_lower(bytes: &[u8], sep: &str) -> String {
    let mut out = String::with_capacity(bytes.len() * (2 + sep.len()));
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push(char::from(HEX_DIGITS[usize::from(b >> 4)]));
        out.push(char::from(HEX_DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_lower_as_the_formatter_writes_it() {
        let bytes: Vec<u8> = (0..=255).collect();
        let want: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::hex_lower(&bytes, ":"), want.join(":"));
        assert_eq!(super::hex_lower(&bytes, ""), want.concat());
        assert_eq!(super::hex_lower(&[], ":"), "");
    }
}
