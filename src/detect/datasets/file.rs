//! The line formats of dataset files, as Suricata reads and writes them:
//! one item per line, optionally followed by `,<reputation>` (0-65535).
//! `string` items are base64 (so that any bytes, commas and newlines
//! included, fit on a line); `md5`/`sha256` are hex; `ipv4`/`ip` are
//! addresses in text. Pure functions, fuzzed by `fuzz/fuzz_targets/datasets.rs`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine as _;

use crate::rules::datasets::DataType;

/// One item of a set, as stored: the bytes a buffer is compared with.
pub type Item = Box<[u8]>;

/// The stored form of an address: 4 bytes for `ipv4` sets; 16 for `ip`
/// sets, where an IPv4 address (also written IPv4-mapped) takes the first
/// 4 bytes and zeros, as in Suricata.
pub fn ip_key(ty: DataType, ip: IpAddr) -> Option<Item> {
    match (ty, ip) {
        (DataType::Ipv4, IpAddr::V4(v4)) => Some(v4.octets().into()),
        (DataType::Ip, IpAddr::V4(v4)) => {
            let mut k = [0u8; 16];
            k[..4].copy_from_slice(&v4.octets());
            Some(k.into())
        }
        (DataType::Ip, IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => ip_key(ty, IpAddr::V4(v4)),
            None => Some(v6.octets().into()),
        },
        _ => None,
    }
}

fn hex(text: &str, len: usize, what: &str) -> Result<Item, String> {
    if text.len() != len * 2 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{what} needs {} hex digits, got \"{text}\"", len * 2));
    }
    let mut out = vec![0u8; len];
    for (i, b) in out.iter_mut().enumerate() {
        let pair = text.get(i * 2..i * 2 + 2).ok_or_else(|| format!("bad {what} \"{text}\""))?;
        *b = u8::from_str_radix(pair, 16).map_err(|_| format!("bad {what} \"{text}\""))?;
    }
    Ok(out.into())
}

fn rep(text: &str) -> Result<u16, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a valid reputation value (0-65535)"));
    }
    text.parse().map_err(|_| format!("'{text}' is not a valid reputation value (0-65535)"))
}

/// Parses one line of a dataset file (without its line end). `Ok(None)`:
/// an empty line, skipped. The reputation is 0 when the line has none.
pub fn parse_line(ty: DataType, line: &[u8]) -> Result<Option<(Item, u16)>, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Ok(None);
    }
    let text = std::str::from_utf8(line).map_err(|_| "not ASCII text".to_string())?;
    let (item, value) = match text.split_once(',') {
        Some((i, r)) => (i, rep(r)?),
        None => (text, 0),
    };
    // An empty item (`,20`) could never match (empty buffers never do)
    // and would save as an empty line, which loads as nothing.
    if item.is_empty() {
        return Err("empty item".into());
    }
    let key: Item = match ty {
        DataType::String => base64::engine::general_purpose::STANDARD
            .decode(item)
            .map_err(|e| format!("bad base64 encoding \"{item}\": {e}"))?
            .into(),
        DataType::Md5 => hex(item, 16, "md5")?,
        DataType::Sha256 => hex(item, 32, "sha256")?,
        DataType::Ipv4 => {
            let a: Ipv4Addr = item.parse().map_err(|_| format!("bad IPv4 address \"{item}\""))?;
            a.octets().into()
        }
        DataType::Ip => {
            let a: IpAddr = if item.contains(':') {
                IpAddr::V6(item.parse::<Ipv6Addr>().map_err(|_| format!("bad IPv6 address \"{item}\""))?)
            } else {
                IpAddr::V4(item.parse::<Ipv4Addr>().map_err(|_| format!("bad IPv4 address \"{item}\""))?)
            };
            ip_key(ty, a).ok_or_else(|| format!("bad address \"{item}\""))?
        }
    };
    Ok(Some((key, value)))
}

/// Writes an item as a line of a `save`/`state` file (no reputation:
/// Suricata saves membership only).
pub fn format_line(ty: DataType, item: &[u8], out: &mut String) {
    use std::fmt::Write as _;
    match ty {
        DataType::String => out.push_str(&base64::engine::general_purpose::STANDARD.encode(item)),
        DataType::Md5 | DataType::Sha256 => {
            for b in item {
                let _ = write!(out, "{b:02x}");
            }
        }
        DataType::Ipv4 | DataType::Ip => {
            let ip = match <[u8; 4]>::try_from(item) {
                Ok(v4) => IpAddr::from(v4),
                Err(_) => match <[u8; 16]>::try_from(item) {
                    Ok(b) if b[4..].iter().all(|&x| x == 0) => IpAddr::from([b[0], b[1], b[2], b[3]]),
                    Ok(b) => IpAddr::from(b),
                    Err(_) => return,
                },
            };
            let _ = write!(out, "{ip}");
        }
    }
    out.push('\n');
}

/// Parses a whole file: the items with their reputation, or the first bad
/// line as `line N: problem`.
pub fn parse_file(ty: DataType, bytes: &[u8]) -> Result<Vec<(Item, u16)>, String> {
    let mut out = Vec::new();
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        match parse_line(ty, line) {
            Ok(Some(entry)) => out.push(entry),
            Ok(None) => {}
            Err(e) => return Err(format!("line {}: {e}", n + 1)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_base64() {
        let (k, r) = parse_line(DataType::String, b"Y3VybC83LjU4LjA=").unwrap().unwrap();
        assert_eq!((&*k, r), (&b"curl/7.58.0"[..], 0));
        let (k, r) = parse_line(DataType::String, b"ZXZpbC5jb20=,30\r").unwrap().unwrap();
        assert_eq!((&*k, r), (&b"evil.com"[..], 30));
        assert!(parse_line(DataType::String, b"not base64!").is_err());
        assert!(parse_line(DataType::String, b"ZXZpbC5jb20=,x").is_err());
        assert!(parse_line(DataType::String, b"ZXZpbC5jb20=,70000").is_err());
        assert_eq!(parse_line(DataType::String, b"").unwrap(), None);
        assert!(parse_line(DataType::String, b",20").is_err(), "empty item");
    }

    #[test]
    fn hashes_and_addresses() {
        let md5 = parse_line(DataType::Md5, b"d41d8cd98f00b204e9800998ecf8427e").unwrap().unwrap();
        assert_eq!(md5.0.len(), 16);
        assert!(parse_line(DataType::Md5, b"d41d8cd98f00b204e9800998ecf8427").is_err());
        assert!(parse_line(DataType::Md5, b"z41d8cd98f00b204e9800998ecf8427e").is_err());
        assert!(parse_line(DataType::Md5, "é41d8cd98f00b204e9800998ecf8427".as_bytes()).is_err());
        let sha = parse_line(DataType::Sha256, &[b'a'; 64]).unwrap().unwrap();
        assert_eq!(sha.0.len(), 32);
        let v4 = parse_line(DataType::Ipv4, b"10.0.0.1,5").unwrap().unwrap();
        assert_eq!((&*v4.0, v4.1), (&[10u8, 0, 0, 1][..], 5));
        assert!(parse_line(DataType::Ipv4, b"::1").is_err());
        let mapped = parse_line(DataType::Ip, b"::ffff:10.0.0.1").unwrap().unwrap();
        let plain = parse_line(DataType::Ip, b"10.0.0.1").unwrap().unwrap();
        assert_eq!(mapped.0, plain.0);
        assert_eq!(plain.0.len(), 16);
    }

    #[test]
    fn files_name_the_bad_line() {
        let e = parse_file(DataType::Ipv4, b"10.0.0.1\n\n10.0.0.x\n").unwrap_err();
        assert!(e.starts_with("line 3:"), "{e}");
        assert_eq!(parse_file(DataType::Ipv4, b"10.0.0.1\n10.0.0.2").unwrap().len(), 2);
    }

    #[test]
    fn saved_lines_load_back() {
        for (ty, line) in [
            (DataType::String, &b"YWJj"[..]),
            (DataType::Md5, b"d41d8cd98f00b204e9800998ecf8427e"),
            (DataType::Ipv4, b"192.0.2.1"),
            (DataType::Ip, b"192.0.2.1"),
            (DataType::Ip, b"2001:db8::1"),
        ] {
            let (k, _) = parse_line(ty, line).unwrap().unwrap();
            let mut s = String::new();
            format_line(ty, &k, &mut s);
            assert_eq!(s.trim_end().as_bytes(), line);
        }
    }
}
