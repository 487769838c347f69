//! FTP control-channel parser: both directions cut, interleaved and gapped
//! as the input's control bytes say (see `mirrorids_fuzz`). After every
//! call the transactions are read as detection reads them (`ftpbounce`,
//! the command line), written as EVE writes them, and freed as the engine
//! frees them; the announced transfers become data connections fed with
//! the server stream.
//!
//! Flags: bit 0 = a small `FtpConfig` (lines of 8..=71 bytes, 1..=4 reply
//! lines, 1..=8 transactions) so the limit paths run; bit 1 = the server
//! stream is also fed to the data connection of each announced transfer.

#![no_main]

use std::hint::black_box;

use libfuzzer_sys::fuzz_target;
use mirrorids::app::files::{FileTracking, FilesConfig, HashKinds};
use mirrorids::app::ftp::data::FtpDataConn;
use mirrorids::app::ftp::expect::{Announcement, ExpectKey};
use mirrorids::app::ftp::{FtpConfig, FtpConn};
use mirrorids::output::records::ftp::{write_data_object, write_object};
use mirrorids::util::Timestamp;
use mirrorids_fuzz::{Op, Script};

fn inspect(cfg: &FtpConfig, conn: &mut FtpConn, out: &mut Vec<u8>) {
    let bounce = conn.bounce();
    for tx in conn.txs_mut() {
        assert!(tx.request.len() <= cfg.max_line_bytes.max(8), "request {}", tx.request.len());
        assert!(tx.replies.len() <= cfg.max_reply_lines, "replies {}", tx.replies.len());
        assert!(tx.replies.iter().all(|r| std::str::from_utf8(&r.text).is_ok()), "reply text is not UTF-8");
        out.clear();
        write_object(out, tx);
        assert!(std::str::from_utf8(out).is_ok(), "EVE object is not UTF-8");
        black_box((bounce, tx.command_data()));
        // The engine logs a complete transaction, then frees it.
        if tx.done {
            tx.logged = true;
            tx.inspected = [true; 2];
        }
    }
    conn.prune(true);
}

fuzz_target!(|data: &[u8]| {
    let script = Script::new(data);
    let mut cfg = FtpConfig::default();
    if script.flags & 1 != 0 {
        let b = |i: usize| usize::from(script.ctl().get(i).copied().unwrap_or(0));
        cfg.max_line_bytes = 8 + b(0) % 64;
        cfg.max_reply_lines = 1 + b(1) % 4;
        cfg.max_transactions = 1 + b(2) % 8;
    }
    let files = FilesConfig { max_name_bytes: 64, ..FilesConfig::default() };
    let track = FileTracking {
        enabled: true,
        hashes: HashKinds { md5: true, sha1: false, sha256: true },
        ..Default::default()
    };
    let mut conn = FtpConn::new([10, 0, 0, 1]);
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut data_conns: Vec<FtpDataConn> = Vec::new();
    script.run(true, |op| {
        match op {
            Op::Data(dir, piece) => {
                conn.parse(&cfg, dir, piece, &mut events);
                if script.flags & 2 != 0 && dir == 1 {
                    for d in &mut data_conns {
                        d.parse(&files, &track, d.data_dir(), piece);
                    }
                }
            }
            Op::Gap(dir, len) => conn.gap(dir, len),
            Op::Close(dir) => {
                for d in &mut data_conns {
                    d.close(&track, dir);
                }
            }
        }
        black_box(events.drain(..).count());
        conn.drain_anomalies(|a| {
            black_box(a);
        });
        for t in conn.take_transfers() {
            if data_conns.len() < 4 {
                let ip = std::net::IpAddr::from([10, 0, 0, 1]);
                data_conns.push(FtpDataConn::new(Announcement {
                    key: ExpectKey::new(ip, ip, None, t.port),
                    data_to_server: t.data_to_server,
                    command: t.command,
                    file_name: t.file_name.map(Vec::into_boxed_slice),
                    parent_flow_id: 1,
                    at: Timestamp::default(),
                }));
            }
        }
        inspect(&cfg, &mut conn, &mut out);
    });
    for d in &mut data_conns {
        d.finish(&track);
        out.clear();
        write_data_object(&mut out, d);
        assert!(std::str::from_utf8(&out).is_ok(), "ftp_data object is not UTF-8");
        if let Some(f) = &d.file {
            assert!(f.name.len() <= files.max_name_bytes);
        }
    }
});
