//! EVE `fileinfo` records: files carried in HTTP bodies, one record per
//! file once it is closed (or truncated), with the `http` object of its
//! transaction beside it. The header describes the way the file travelled:
//! a response's file goes from server to client.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{end, push_bool, push_u64, Header};
use crate::app::files::File;
use crate::app::http::HttpTx;
use crate::output::EveConfig;
use crate::util::json::{push_escaped, push_key};

/// Options of `fileinfo` records (Suricata's `eve-log.types.files`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesLogConfig {
    pub enabled: bool,
    /// Hashes computed for every file: `md5`, `sha1`, `sha256`. Without
    /// them a digest is only computed when a rule (`filemd5`...) or the
    /// file store needs it, and then logged too.
    pub force_hash: Vec<String>,
}

impl Default for FilesLogConfig {
    fn default() -> Self {
        FilesLogConfig { enabled: true, force_hash: Vec::new() }
    }
}

impl FilesLogConfig {
    /// Unknown hash names, for configuration checks.
    pub fn unknown_hashes(&self) -> Vec<&str> {
        self.force_hash
            .iter()
            .map(String::as_str)
            .filter(|h| !["md5", "sha1", "sha256"].iter().any(|k| h.eq_ignore_ascii_case(k)))
            .collect()
    }
}

/// Writes bytes as Suricata's JSON builder writes a file name: as they are
/// when they are UTF-8, else every byte above 0x7f as a literal `\xNN`
/// (so `é` sent as two bytes is `\xc3\xa9` when another byte of the name
/// is not UTF-8).
pub fn push_suricata_bytes(out: &mut Vec<u8>, v: &[u8]) {
    out.push(b'"');
    if std::str::from_utf8(v).is_ok() {
        push_escaped(out, v);
    } else {
        for &b in v {
            if b < 0x80 {
                push_escaped(out, &[b]);
            } else {
                let _ = write!(out, "\\\\x{b:02x}");
            }
        }
    }
    out.push(b'"');
}

fn push_hex(out: &mut Vec<u8>, key: &str, d: &[u8]) {
    push_key(out, key, false);
    out.push(b'"');
    for b in d {
        let _ = write!(out, "{b:02x}");
    }
    out.push(b'"');
}

/// Appends the file object's members (Suricata 8's order): `filename`,
/// `sid`, `gaps`, `state`, `md5`/`sha1` (closed files only), `sha256`,
/// `stored`, `file_id`, `size`, `tx_id`. `filename` is left out when empty, as
/// Suricata does.
pub fn write_file_fields(out: &mut Vec<u8>, file: &File, tx_id: u64) {
    let mut first = true;
    if !file.name.is_empty() {
        push_key(out, "filename", true);
        push_suricata_bytes(out, &file.name);
        first = false;
    }
    if !file.store_sids.is_empty() {
        push_key(out, "sid", first);
        out.push(b'[');
        for (i, s) in file.store_sids.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            crate::util::json::push_uint(out, *s);
        }
        out.push(b']');
        first = false;
    }
    push_key(out, "gaps", first);
    out.extend_from_slice(if file.gaps { b"true" } else { b"false" });
    push_key(out, "state", false);
    out.push(b'"');
    out.extend_from_slice(file.state.name().as_bytes());
    out.push(b'"');
    if file.state == crate::app::files::FileState::Closed {
        if let Some(d) = &file.md5 {
            push_hex(out, "md5", d);
        }
        if let Some(d) = &file.sha1 {
            push_hex(out, "sha1", d);
        }
    }
    if let Some(d) = &file.sha256 {
        push_hex(out, "sha256", d);
    }
    push_bool(out, "stored", file.stored);
    if let Some(id) = file.store_id {
        push_u64(out, "file_id", id);
    }
    push_u64(out, "size", file.size);
    push_u64(out, "tx_id", tx_id);
}

/// Appends `,"files":[{...}]`: the files of the side an alert describes,
/// as Suricata 8 adds them to alerts on a transaction (nothing when the
/// side has none).
pub fn write_files_array(out: &mut Vec<u8>, files: &[File], tx_id: u64) {
    if files.is_empty() {
        return;
    }
    out.extend_from_slice(b",\"files\":[");
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        write_file_fields(out, f, tx_id);
        out.push(b'}');
    }
    out.push(b']');
}

/// One `fileinfo` record: the header (the file's direction), the `http`
/// object of its transaction, `app_proto` and the `fileinfo` object.
pub fn write_record(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, tx: &HttpTx, file: &File) {
    h.write(out, eve);
    super::http::write_object(out, &super::http::ALERT_OBJECT, tx);
    out.extend_from_slice(b",\"app_proto\":\"http\",\"fileinfo\":{");
    write_file_fields(out, file, tx.id);
    out.push(b'}');
    end(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_suricata_writes_them() {
        let mut out = Vec::new();
        push_suricata_bytes(&mut out, "é.txt".as_bytes());
        assert_eq!(out, "\"é.txt\"".as_bytes());
        out.clear();
        push_suricata_bytes(&mut out, b"\xc3\xa9t\xe9\x01.txt");
        assert_eq!(out, br#""\\xc3\\xa9t\\xe9\u0001.txt""#);
    }
}
