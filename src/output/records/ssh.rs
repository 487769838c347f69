//! EVE `ssh` records (one per connection) and the `ssh` object alerts
//! carry, as Suricata 8 writes them:
//! `{"client":{"proto_version","software_version","hassh":{"hash","string"}},"server":{...}}`.
//! A side appears once its identification line was parsed; `hassh` only
//! where it was computed (`app.ssh.hassh`, or a rule using `ssh.hassh*`).
//! The record has no options of its own (`types: [ssh]`).

use std::io::Write;

use super::{end, Header};
use crate::app::ssh::{SshInfo, SshSide};
use crate::output::EveConfig;
use crate::util::json::{push_escaped, push_key};

/// `"key":"value"` as Suricata's `set_string_from_bytes` writes it: valid
/// UTF-8 as it is, otherwise each byte above 127 as the text `\xNN`.
fn string(out: &mut Vec<u8>, key: &str, first: bool, v: &[u8]) {
    push_key(out, key, first);
    out.push(b'"');
    if std::str::from_utf8(v).is_ok() {
        push_escaped(out, v);
    } else {
        for &b in v {
            if b < 128 {
                push_escaped(out, &[b]);
            } else {
                let _ = write!(out, "\\\\x{b:02x}");
            }
        }
    }
    out.push(b'"');
}

/// Versions are written up to this many bytes, then
/// `[truncated N additional bytes]` (Suricata's `SSH_MAX_BANNER_LEN`).
const MAX_VERSION_LEN: usize = 256;

/// A version, cut as Suricata's `set_string_from_bytes_limited` cuts it;
/// `sent` is its length on the wire (we may keep fewer bytes).
fn version(out: &mut Vec<u8>, key: &str, first: bool, v: &[u8], sent: usize) {
    let sent = sent.max(v.len());
    if sent <= MAX_VERSION_LEN {
        return string(out, key, first, v);
    }
    let mut cut = v[..MAX_VERSION_LEN.min(v.len())].to_vec();
    let _ = write!(cut, "[truncated {} additional bytes]", sent - MAX_VERSION_LEN);
    string(out, key, first, &cut);
}

fn write_side(out: &mut Vec<u8>, key: &str, first: bool, s: &SshSide) {
    push_key(out, key, first);
    out.push(b'{');
    version(out, "proto_version", true, &s.proto_version, s.sent_lens[0]);
    if !s.software_version.is_empty() {
        version(out, "software_version", false, &s.software_version, s.sent_lens[1]);
    }
    if !s.hassh.is_empty() || !s.hassh_string.is_empty() {
        push_key(out, "hassh", false);
        out.push(b'{');
        let mut first = true;
        if !s.hassh.is_empty() {
            string(out, "hash", true, &s.hassh);
            first = false;
        }
        if !s.hassh_string.is_empty() {
            string(out, "string", first, &s.hassh_string);
        }
        out.push(b'}');
    }
    out.push(b'}');
}

/// Appends `,"ssh":{...}`; nothing when neither side's identification
/// line was parsed (Suricata writes no `ssh` object then).
pub fn write_object(out: &mut Vec<u8>, info: &SshInfo) {
    if !info.has_banner() {
        return;
    }
    out.extend_from_slice(b",\"ssh\":{");
    let mut first = true;
    for (key, side) in ["client", "server"].into_iter().zip(&info.sides) {
        if !side.proto_version.is_empty() {
            write_side(out, key, first, side);
            first = false;
        }
    }
    out.push(b'}');
}

/// One `ssh` record: the header (client to server) and the `ssh` object.
/// The caller checks [`SshInfo::has_banner`] first.
pub fn write_record(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, info: &SshInfo) {
    h.write(out, eve);
    write_object(out, info);
    end(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_as_suricata_writes_it() {
        let mut info = SshInfo::default();
        let mut out = Vec::new();
        write_object(&mut out, &info);
        assert!(out.is_empty());
        info.sides[1].proto_version = b"1.99".to_vec();
        info.sides[1].software_version = b"OpenSSH_3.1p1".to_vec();
        write_object(&mut out, &info);
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#","ssh":{"server":{"proto_version":"1.99","software_version":"OpenSSH_3.1p1"}}"#
        );
        info.sides[0].proto_version = b"2.0".to_vec();
        info.sides[0].hassh = b"abc".to_vec();
        info.sides[0].hassh_string = b"k;e;m;c".to_vec();
        out.clear();
        write_object(&mut out, &info);
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#","ssh":{"client":{"proto_version":"2.0","hassh":{"hash":"abc","string":"k;e;m;c"}},"server":{"proto_version":"1.99","software_version":"OpenSSH_3.1p1"}}"#
        );
        out.clear();
        string(&mut out, "k", true, b"a\"\xff");
        assert_eq!(String::from_utf8_lossy(&out), r#""k":"a\"\\xff""#);
        out.clear();
        version(&mut out, "v", true, &[b'A'; 300], 300);
        let text = String::from_utf8_lossy(&out).to_string();
        assert!(text.ends_with(&format!("{}[truncated 44 additional bytes]\"", "A".repeat(10))), "{text}");
    }
}
