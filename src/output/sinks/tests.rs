use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use super::fanout::Fanout;
use super::file::{FileOptions, RotatingFile};
use super::*;

fn cfg(kind: SinkKind, path: &std::path::Path) -> SinkConfig {
    serde_yaml::from_str::<SinkConfig>(&format!("type: {}\npath: {}\n", kind.name(), path.display())).unwrap()
}

fn line(kind: &str, i: usize) -> Vec<u8> {
    format!("{{\"event_type\":\"{kind}\",\"n\":{i}}}\n").into_bytes()
}

#[test]
fn config_defaults_filter_and_errors() {
    let c = cfg(SinkKind::File, std::path::Path::new("/tmp/x.json"));
    assert_eq!(c.queue_records, 65_536);
    assert_eq!(c.overflow, Overflow::DropNewest);
    assert_eq!(c.label(2), "file-2");
    assert!(c.filter().unwrap().iter().all(|&b| b));
    let mut c2 = c.clone();
    c2.types = vec!["alert".into(), "dns".into()];
    let f = c2.filter().unwrap();
    assert!(f[EventType::Alert.index()] && f[EventType::Dns.index()] && !f[EventType::Flow.index()]);
    c2.types.push("alerts".into());
    assert!(c2.validate(0).unwrap_err().contains("unknown record type \"alerts\""));
    let no_path: SinkConfig = serde_yaml::from_str("type: unix_stream").unwrap();
    assert!(no_path
        .validate(3)
        .unwrap_err()
        .contains("output.sinks[3] (unix_stream-3): a unix_stream sink needs a path"));
    let mut bad_mode = c.clone();
    bad_mode.file.mode = "rw-r".into();
    assert!(bad_mode.validate(0).unwrap_err().contains("not an octal permission"));
    assert!(serde_yaml::from_str::<SinkConfig>("type: kafka").is_err());
    assert!(serde_yaml::from_str::<SinkConfig>("type: file\npath: x\nbogus: 1").is_err());
    assert!(validate_all(&[c.clone(), c.clone()]).is_ok(), "default names differ by position");
    let named: SinkConfig = serde_yaml::from_str("type: stdout\nname: a").unwrap();
    assert!(validate_all(&[named.clone(), named]).unwrap_err().contains("used twice"));
}

#[test]
fn rotation_by_size_keeps_whole_lines_and_numbers_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eve.json");
    let opts = FileOptions { rotate_bytes: 100, rotate_keep: 2, ..FileOptions::default() };
    let mut f = RotatingFile::open(&path, &opts).unwrap();
    for i in 0..20 {
        f.write_all(&line("alert", i)).unwrap();
    }
    f.flush().unwrap();
    assert!(f.rotations >= 3, "rotated {} times", f.rotations);
    let mut seen = Vec::new();
    for p in [path.with_extension("json.2"), path.with_extension("json.1"), path.clone()] {
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.ends_with('\n') && text.lines().all(|l| l.starts_with('{') && l.ends_with('}')), "{text}");
        seen.extend(text.lines().map(str::to_string));
    }
    assert!(!path.with_extension("json.3").exists(), "keep 2: older files are deleted");
    let n: Vec<usize> =
        seen.iter().map(|l| l.rsplit(':').next().unwrap().trim_end_matches('}').parse().unwrap()).collect();
    assert_eq!(n, (20 - n.len()..20).collect::<Vec<_>>(), "the newest records, in order, across files");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & !0o640, 0, "created no wider than 0640: {mode:o}");
}

#[test]
fn fanout_filters_types_per_sink_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut alerts = cfg(SinkKind::File, &dir.path().join("alerts.json"));
    alerts.types = vec!["alert".into()];
    let all = cfg(SinkKind::File, &dir.path().join("all.json"));
    let mut f = Fanout::start(&[alerts, all]).unwrap();
    let monitor = f.monitor();
    for i in 0..10 {
        f.push(EventType::Alert, &line("alert", i));
        f.push(EventType::Dns, &line("dns", i));
    }
    f.send();
    f.close(Duration::from_secs(10));
    let a = std::fs::read_to_string(dir.path().join("alerts.json")).unwrap();
    let b = std::fs::read_to_string(dir.path().join("all.json")).unwrap();
    assert_eq!(a.lines().count(), 10);
    assert!(a.lines().all(|l| l.contains("\"alert\"")));
    assert_eq!(b.lines().count(), 20);
    let s = monitor.snapshot();
    assert_eq!((s[0].delivered, s[1].delivered), (10, 20));
    assert_eq!(s[0].bytes, a.len() as u64);
    assert_eq!(s[0].dropped_total() + s[1].dropped_total(), 0);
    assert!(s[1].summary_line().contains("20 records delivered"), "{}", s[1].summary_line());
}

#[test]
fn full_queue_drops_newest_or_oldest_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    for overflow in [Overflow::DropNewest, Overflow::DropOldest] {
        let path = dir.path().join(format!("{overflow:?}.sock"));
        // The reader reads nothing for a while: the kernel queues only a few
        // datagrams (net.unix.max_dgram_qlen), then the sink blocks and its
        // queue (4 records) is what fills.
        let reader = UnixDatagram::bind(&path).unwrap();
        let mut c = cfg(SinkKind::UnixDgram, &path);
        c.queue_records = 4;
        c.overflow = overflow;
        let mut f = Fanout::start(&[c]).unwrap();
        let monitor = f.monitor();
        for i in 0..40 {
            f.push(EventType::Alert, &line("alert", i));
            if i % 2 == 1 {
                f.send();
            }
        }
        let read = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            reader.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 256];
            while let Ok(n) = reader.recv(&mut buf) {
                got.push(String::from_utf8_lossy(&buf[..n]).to_string());
            }
            got
        });
        f.close(Duration::from_secs(10));
        let got = read.join().unwrap();
        let s = &monitor.snapshot()[0];
        let queue_full = s.dropped[DropReason::QueueFull.index()];
        assert!(queue_full > 0, "{overflow:?}: nothing dropped: {s:?}");
        assert_eq!(s.delivered + s.dropped_total(), 40, "{overflow:?}: every record counted once: {s:?}");
        assert_eq!(got.len() as u64, s.delivered, "{overflow:?}");
        assert!(got.iter().all(|g| g.ends_with("}\n")), "whole records: {got:?}");
        let last_delivered = got.iter().any(|g| g.contains("\"n\":39}"));
        assert_eq!(last_delivered, overflow == Overflow::DropOldest, "{overflow:?}: {got:?}");
    }
}

#[test]
fn dgram_without_reader_counts_peer_down_and_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nobody.sock");
    let mut f = Fanout::start(&[cfg(SinkKind::UnixDgram, &path)]).unwrap();
    let monitor = f.monitor();
    f.push(EventType::Alert, &line("alert", 1));
    f.send();
    f.close(Duration::from_secs(10));
    let s = &monitor.snapshot()[0];
    assert_eq!((s.delivered, s.dropped[DropReason::PeerDown.index()]), (0, 1), "{s:?}");
    assert!(!s.up);

    let reader = UnixDatagram::bind(&path).unwrap();
    let mut f = Fanout::start(&[cfg(SinkKind::UnixDgram, &path)]).unwrap();
    let monitor = f.monitor();
    let mut huge = vec![b'x'; 1 << 20];
    huge.push(b'\n');
    f.push(EventType::Alert, &line("alert", 1));
    f.push(EventType::Alert, &huge);
    f.push(EventType::Alert, &line("alert", 2));
    f.send();
    f.close(Duration::from_secs(10));
    let s = &monitor.snapshot()[0];
    assert_eq!((s.delivered, s.dropped[DropReason::TooLarge.index()]), (2, 1), "{s:?}");
    let mut buf = [0u8; 256];
    let n = reader.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], line("alert", 1).as_slice());
}
