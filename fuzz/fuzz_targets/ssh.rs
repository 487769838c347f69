//! SSH handshake parser: both directions cut, interleaved and gapped as
//! the input's control bytes say (see `mirrorids_fuzz`). After every call
//! the transaction is read as detection reads it (every `ssh.*` buffer on
//! both sides, the version tests) and written as EVE writes it.
//!
//! Flags: bit 0 = HASSH on; bit 1 = a small `SshConfig` (versions kept up
//! to 1..=16 bytes, KEXINIT reassembled up to 64..=512 bytes) so the limit
//! paths run.

#![no_main]

use std::hint::black_box;

use libfuzzer_sys::fuzz_target;
use mirrorids::app::ssh::{SshConfig, SshConn};
use mirrorids::app::views::{SshView, TxView};
use mirrorids::app::TxSource;
use mirrorids::output::records::ssh::write_object;
use mirrorids::rules::{AppBuffer, AppCheck};
use mirrorids_fuzz::{Op, Script};

fn inspect(cfg: &SshConfig, conn: &SshConn, out: &mut Vec<u8>) {
    let info = conn.info();
    for s in &info.sides {
        assert!(s.proto_version.len() <= cfg.max_banner_bytes, "proto_version {}", s.proto_version.len());
        assert!(s.software_version.len() <= cfg.max_banner_bytes, "software_version {}", s.software_version.len());
        assert!(s.hassh.len() % 32 == 0 && s.hassh.iter().all(u8::is_ascii_hexdigit), "hassh {:?}", s.hassh);
        assert!(s.hassh_string.len() <= cfg.max_kexinit_bytes, "hassh_string {}", s.hassh_string.len());
        assert!(cfg.hassh || s.hassh.is_empty());
    }
    let view = TxView::Ssh(SshView { info });
    let mut n = 0;
    for &b in AppBuffer::ALL {
        for side in 0..2 {
            n += view.buffer(b, side).map_or(0, <[u8]>::len);
        }
    }
    let checks = [
        AppCheck::SshProtoVersion { compat2: true, value: Vec::new() },
        AppCheck::SshProtoVersion { compat2: false, value: b"2.0".to_vec() },
        AppCheck::SshSoftwareVersion(b"OpenSSH_9.6".to_vec()),
    ];
    for c in &checks {
        n += usize::from(view.check(c, 0)) + usize::from(view.check(c, 1));
    }
    out.clear();
    write_object(out, info);
    assert!(std::str::from_utf8(out).is_ok(), "EVE object is not UTF-8");
    black_box((n, conn.ready_to_log(), conn.encrypted(), conn.failed(), conn.stats()));
}

fuzz_target!(|data: &[u8]| {
    let script = Script::new(data);
    let mut cfg = SshConfig { hassh: script.flags & 1 != 0, ..SshConfig::default() };
    if script.flags & 2 != 0 {
        cfg.max_banner_bytes = 1 + usize::from(script.flags >> 2 & 15);
        cfg.max_kexinit_bytes = 64 << (script.flags >> 6 & 3);
    }
    let mut conn = SshConn::new();
    let mut events = Vec::new();
    let mut out = Vec::new();
    script.run(false, |op| {
        match op {
            Op::Data(dir, piece) => conn.parse(&cfg, dir, piece, &mut events),
            Op::Gap(dir, len) => conn.gap(dir, len),
            Op::Close(_) => {}
        }
        black_box(events.drain(..).count());
        inspect(&cfg, &conn, &mut out);
    });
});
