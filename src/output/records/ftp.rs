//! EVE `ftp` records (one per transaction: a command and its replies),
//! `ftp_data` records (one per data connection) and the `fileinfo`
//! records of files carried by data connections, as Suricata 8 writes
//! them, with the objects alerts carry:
//!
//! `"ftp":{"command","command_data","command_truncated","completion_code":[],
//! "reply":[],"dynamic_port","mode","reply_received","reply_truncated"}`,
//! `"ftp_data":{"filename","command"}`. The records have no options of
//! their own (`types: [ftp]` turns both on, as Suricata's `ftp` logger).

use super::fileinfo::{push_suricata_bytes, write_file_fields};
use super::{end, push_bool, Header};
use crate::app::files::File;
use crate::app::ftp::data::FtpDataConn;
use crate::app::ftp::FtpTx;
use crate::output::EveConfig;
use crate::util::json::{push_key, push_str};

/// Appends `,"ftp":{...}`.
pub fn write_object(out: &mut Vec<u8>, tx: &FtpTx) {
    out.extend_from_slice(b",\"ftp\":{");
    let mut first = true;
    if let Some(name) = tx.command.and_then(|c| c.name()) {
        push_key(out, "command", true);
        push_str(out, name);
        first = false;
        // Suricata writes the data (when not empty) and the truncation
        // flag once the line is longer than the name and one byte.
        if let Some(data) = tx.command_data() {
            if !data.is_empty() {
                push_key(out, "command_data", false);
                push_suricata_bytes(out, data);
            }
            push_bool(out, "command_truncated", tx.request_truncated);
        }
    }
    let mut codes = tx.replies.iter().filter_map(|r| r.code).peekable();
    if codes.peek().is_some() {
        push_key(out, "completion_code", first);
        first = false;
        out.push(b'[');
        for (i, c) in codes.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_suricata_bytes(out, &c);
        }
        out.push(b']');
    }
    let mut texts = tx.replies.iter().filter(|r| !r.text.is_empty()).peekable();
    if texts.peek().is_some() {
        push_key(out, "reply", first);
        first = false;
        out.push(b'[');
        for (i, r) in texts.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_suricata_bytes(out, &r.text);
        }
        out.push(b']');
    }
    if tx.dyn_port != 0 {
        push_key(out, "dynamic_port", first);
        first = false;
        crate::util::json::push_uint(out, tx.dyn_port);
    }
    let port_command = ["PORT", "EPRT", "PASV", "EPSV"].iter().any(|n| tx.command.is_some_and(|c| c.is(n)));
    if port_command {
        push_key(out, "mode", first);
        first = false;
        push_str(out, if tx.active { "active" } else { "passive" });
    }
    push_key(out, "reply_received", first);
    push_str(out, if tx.done { "yes" } else { "no" });
    push_bool(out, "reply_truncated", tx.replies.iter().any(|r| r.truncated));
    out.push(b'}');
}

/// One `ftp` record: the header (client to server) and the object.
pub fn write_record(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, tx: &FtpTx) {
    h.write(out, eve);
    write_object(out, tx);
    end(out);
}

/// Appends `,"ftp_data":{"filename":...,"command":...}`.
pub fn write_data_object(out: &mut Vec<u8>, conn: &FtpDataConn) {
    out.extend_from_slice(b",\"ftp_data\":{");
    let mut first = true;
    if let Some(name) = &conn.transfer.file_name {
        push_key(out, "filename", true);
        push_suricata_bytes(out, name);
        first = false;
    }
    if let Some(name) = conn.transfer.command.name() {
        push_key(out, "command", first);
        push_str(out, name);
    }
    out.push(b'}');
}

/// One `ftp_data` record (the data connection's client to its server).
pub fn write_data_record(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, conn: &FtpDataConn) {
    h.write(out, eve);
    write_data_object(out, conn);
    end(out);
}

/// The `fileinfo` record of a file a data connection carried: the header
/// (the way the file went), the `ftp_data` object, `app_proto`, the file.
pub fn write_fileinfo(out: &mut Vec<u8>, eve: &EveConfig, h: &Header<'_>, conn: &FtpDataConn, file: &File) {
    h.write(out, eve);
    write_data_object(out, conn);
    out.extend_from_slice(b",\"app_proto\":\"ftp-data\",\"fileinfo\":{");
    write_file_fields(out, file, 0);
    out.push(b'}');
    end(out);
}

/// An alert's `files` on a data connection: the file, when the alert
/// describes the side it went (Suricata's files of the alert's direction).
pub fn write_alert_files(out: &mut Vec<u8>, conn: &FtpDataConn, to_server: bool) {
    if usize::from(!to_server) == conn.data_dir() {
        if let Some(f) = &conn.file {
            super::fileinfo::write_files_array(out, std::slice::from_ref(f), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ftp::parser::Command;
    use crate::app::ftp::ReplyLine;

    fn record_of(tx: &FtpTx) -> String {
        let mut out = Vec::new();
        write_object(&mut out, tx);
        String::from_utf8(out).unwrap()
    }

    fn reply(code: Option<&[u8; 3]>, text: &str) -> ReplyLine {
        ReplyLine { code: code.copied(), text: text.as_bytes().to_vec(), truncated: false }
    }

    #[test]
    fn objects_as_suricata_writes_them() {
        let mut tx = FtpTx {
            command: Command::named("PORT"),
            request: b"PORT 192,168,10,5,156,74".to_vec(),
            replies: vec![reply(Some(b"200"), "PORT command successful.")],
            dyn_port: 40010,
            active: true,
            done: true,
            ..FtpTx::default()
        };
        assert_eq!(
            record_of(&tx),
            r#","ftp":{"command":"PORT","command_data":"192,168,10,5,156,74","command_truncated":false,"completion_code":["200"],"reply":["PORT command successful."],"dynamic_port":40010,"mode":"active","reply_received":"yes","reply_truncated":false}"#
        );
        // A banner: no command; continuation lines have no code.
        tx = FtpTx {
            replies: vec![reply(None, "220-Welcome"), reply(Some(b"220"), "Ready.")],
            done: true,
            ..FtpTx::default()
        };
        assert_eq!(
            record_of(&tx),
            r#","ftp":{"completion_code":["220"],"reply":["220-Welcome","Ready."],"reply_received":"yes","reply_truncated":false}"#
        );
        // No data after the name: no command_data; one byte after it:
        // the flag alone (Suricata's `xpwd`).
        tx = FtpTx { command: Command::named("PWD"), request: b"xpwd".to_vec(), ..FtpTx::default() };
        assert_eq!(
            record_of(&tx),
            r#","ftp":{"command":"PWD","command_truncated":false,"reply_received":"no","reply_truncated":false}"#
        );
        tx = FtpTx { command: Command::named("PASV"), request: b"PASV".to_vec(), done: true, ..FtpTx::default() };
        assert_eq!(
            record_of(&tx),
            r#","ftp":{"command":"PASV","mode":"passive","reply_received":"yes","reply_truncated":false}"#
        );
        // Bytes that are not UTF-8 as Suricata escapes them.
        tx = FtpTx { command: Command::named("STOR"), request: b"STOR a\xff".to_vec(), ..FtpTx::default() };
        assert!(record_of(&tx).contains(r#""command_data":"a\\xff""#), "{}", record_of(&tx));
    }
}
