//! The `asn1` keyword's options, parsed with Suricata 8's grammar.
//!
//! `asn1:bitstring_overflow, double_overflow, oversize_length 2048,
//! relative_offset 54;` -- options in any order, each followed by one
//! separator (whitespace or a single `,`). Suricata's parser is greedy in a
//! way worth keeping: options written back to back with no separator
//! (`bitstring_overflowdouble_overflow`) are consumed together and only the
//! first counts, a second separator (`a,,b`, `a ,b`) is an error, and a
//! repeated option keeps its last value. Rules using those forms load (or
//! fail) here exactly as they do in Suricata.

/// `asn1` options. With both offsets, `absolute_offset` wins; with neither,
/// decoding starts at the start of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Asn1 {
    /// A BIT STRING whose unused-bits octet exceeds 8 x its length.
    pub bitstring_overflow: bool,
    /// A decimal (ASCII) REAL longer than 256 octets.
    pub double_overflow: bool,
    /// An object whose length is greater than this.
    pub oversize_length: Option<u32>,
    pub absolute_offset: Option<u16>,
    /// From the end of the previous match; -65535..=65535.
    pub relative_offset: Option<i32>,
}

impl Asn1 {
    /// Decoding starts relative to the previous match.
    pub fn is_relative(&self) -> bool {
        self.absolute_offset.is_none() && self.relative_offset.is_some()
    }
}

enum Opt {
    Bitstring,
    Double,
    Oversize(u32),
    Absolute(u16),
    Relative(i32),
}

/// nom's `multispace` characters.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `name`, at least one space, then what `number` accepts.
fn named<'a, T>(s: &'a str, name: &str, number: fn(&str) -> Option<(T, &str)>) -> Option<(T, &'a str)> {
    let rest = s.strip_prefix(name)?;
    let after = rest.trim_start_matches(is_space);
    if after.len() == rest.len() {
        return None;
    }
    number(after)
}

/// Leading decimal digits as a `T` (none, or too large: no number).
fn digits<T: std::str::FromStr>(s: &str) -> Option<(T, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let v = s[..end].parse().ok().filter(|_| end > 0)?;
    Some((v, &s[end..]))
}

fn signed_offset(s: &str) -> Option<(i32, &str)> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (v, rest): (i32, &str) = digits(body)?;
    let v = if neg { -v } else { v };
    (-65535..=65535).contains(&v).then_some((v, rest))
}

/// Why no option starts at `s` (for the error message).
fn diagnose(s: &str, value: &str) -> String {
    let expect = [
        ("oversize_length", "a length 0..=4294967295"),
        ("absolute_offset", "an offset 0..=65535"),
        ("relative_offset", "an offset -65535..=65535"),
    ];
    for (name, what) in expect {
        if s.starts_with(name) {
            return format!("asn1: {name} needs {what}, got \"{s}\"");
        }
    }
    format!(
        "asn1: no option at \"{s}\" (in \"{value}\"); expected bitstring_overflow, double_overflow, \
         oversize_length N, absolute_offset N or relative_offset N, one space or comma between options"
    )
}

/// Consumes an option found at the front of `rest`; the first one found
/// in a step is the one that counts.
fn take<'a>(first: &mut Option<Opt>, rest: &mut &'a str, found: Option<(Opt, &'a str)>) {
    if let Some((o, r)) = found {
        first.get_or_insert(o);
        *rest = r;
    }
}

/// Parses the value of `asn1:`; an error names the text that is not an
/// option.
pub fn parse_asn1(value: &str) -> Result<Asn1, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("asn1 needs at least one option".into());
    }
    if value.starts_with('"') {
        return Err("asn1 options are not quoted".into());
    }
    let mut a = Asn1::default();
    let mut rest = value;
    while !rest.is_empty() {
        rest = rest.trim_start_matches(is_space);
        let at = rest;
        // As Suricata's parser: each option is tried in turn on what the
        // previous one left, and the first one found is the one applied.
        let mut first = None;
        let found = rest.strip_prefix("bitstring_overflow").map(|r| (Opt::Bitstring, r));
        take(&mut first, &mut rest, found);
        let found = rest.strip_prefix("double_overflow").map(|r| (Opt::Double, r));
        take(&mut first, &mut rest, found);
        let found = named(rest, "oversize_length", digits).map(|(v, r)| (Opt::Oversize(v), r));
        take(&mut first, &mut rest, found);
        let found = named(rest, "absolute_offset", digits).map(|(v, r)| (Opt::Absolute(v), r));
        take(&mut first, &mut rest, found);
        let found = named(rest, "relative_offset", signed_offset).map(|(v, r)| (Opt::Relative(v), r));
        take(&mut first, &mut rest, found);
        let spaced = rest.trim_start_matches(is_space);
        rest = if spaced.len() < rest.len() { spaced } else { rest.strip_prefix(',').unwrap_or(rest) };
        match first {
            None => return Err(diagnose(at, value)),
            Some(Opt::Bitstring) => a.bitstring_overflow = true,
            Some(Opt::Double) => a.double_overflow = true,
            Some(Opt::Oversize(v)) => a.oversize_length = Some(v),
            Some(Opt::Absolute(v)) => a.absolute_offset = Some(v),
            Some(Opt::Relative(v)) => a.relative_offset = Some(v),
        }
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str) -> Asn1 {
        parse_asn1(v).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    #[test]
    fn et_open_forms() {
        let a = ok("double_overflow, bitstring_overflow, relative_offset 54, oversize_length 2048");
        assert_eq!(
            a,
            Asn1 {
                bitstring_overflow: true,
                double_overflow: true,
                oversize_length: Some(2048),
                absolute_offset: None,
                relative_offset: Some(54),
            }
        );
        assert!(a.is_relative());
        assert_eq!(ok("oversize_length 2048").oversize_length, Some(2048));
    }

    #[test]
    fn separators_as_suricata() {
        // Whitespace or one comma, tabs and newlines included.
        let a = ok("oversize_length 1024 absolute_offset 10,\n bitstring_overflow");
        assert_eq!((a.oversize_length, a.absolute_offset, a.bitstring_overflow), (Some(1024), Some(10), true));
        assert!(ok("bitstring_overflow,\tdouble_overflow").double_overflow);
        assert!(ok("bitstring_overflow,").bitstring_overflow, "a trailing comma is accepted");
        assert_eq!(ok("oversize_length  7").oversize_length, Some(7));
        // A second separator is an error, a space before a comma included.
        for bad in ["bitstring_overflow,,", "oversize_length 1024,,", "bitstring_overflow , double_overflow"] {
            assert!(parse_asn1(bad).is_err(), "{bad}");
        }
        // Back to back: consumed together, only the first applies.
        let a = ok("bitstring_overflowdouble_overflow");
        assert!(a.bitstring_overflow && !a.double_overflow);
    }

    #[test]
    fn numbers_and_bounds() {
        assert_eq!(ok("oversize_length 0").oversize_length, Some(0));
        assert_eq!(ok("oversize_length 4294967295").oversize_length, Some(u32::MAX));
        assert_eq!(ok("absolute_offset 65535").absolute_offset, Some(65535));
        assert_eq!(ok("absolute_offset 00").absolute_offset, Some(0));
        assert_eq!(ok("relative_offset -65535").relative_offset, Some(-65535));
        assert_eq!(ok("relative_offset 65535").relative_offset, Some(65535));
        assert_eq!(ok("relative_offset -0").relative_offset, Some(0));
        for bad in [
            "oversize_length 4294967296",
            "oversize_length -1",
            "oversize_length",
            "oversize_length 0x10",
            "absolute_offset 65536",
            "absolute_offset -1",
            "relative_offset -65536",
            "relative_offset 65536",
            "relative_offset +5",
            "relative_offset - 1",
            "relative_offset 99999999999",
        ] {
            assert!(parse_asn1(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn last_value_wins_and_both_offsets_kept() {
        assert_eq!(ok("oversize_length 10 oversize_length 0").oversize_length, Some(0));
        let a = ok("relative_offset 5 absolute_offset 0 bitstring_overflow");
        assert_eq!((a.absolute_offset, a.relative_offset), (Some(0), Some(5)));
        assert!(!a.is_relative(), "absolute_offset wins");
        // Offsets alone are valid (the keyword then never matches).
        assert_eq!(ok("absolute_offset 0"), Asn1 { absolute_offset: Some(0), ..Asn1::default() });
    }

    #[test]
    fn malformed() {
        for bad in ["", "   ", "BITSTRING_OVERFLOW", "\"bitstring_overflow\"", "bitstring_overflow x", "some_other 3"] {
            assert!(parse_asn1(bad).is_err(), "{bad:?}");
        }
        assert!(parse_asn1("oversize_length 1024, some_other_param 360").unwrap_err().contains("some_other_param"));
        let e = parse_asn1("relative_offset -65536").unwrap_err();
        assert!(e.contains("relative_offset needs an offset -65535..=65535"), "{e}");
        let e = parse_asn1("oversize_length 0x10").unwrap_err();
        assert!(e.contains("\"x10\"") && e.contains("oversize_length 0x10"), "{e}");
    }
}
