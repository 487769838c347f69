//! `output.sinks` against real peers on this machine: a Unix stream
//! listener and a Unix datagram reader, each taking only its record types;
//! a rotated file; a peer that is not there, whose records are counted as
//! dropped rather than lost silently.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::time::Duration;

use common::*;
use mirrorids::config::Config;
use mirrorids::output::sinks::DropReason;

#[test]
fn each_sink_gets_exactly_its_record_types_whole_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 2 << 20);
    let stream_path = dir.path().join("stream.sock");
    let dgram_path = dir.path().join("dgram.sock");
    let listener = UnixListener::bind(&stream_path).unwrap();
    let dgram = UnixDatagram::bind(&dgram_path).unwrap();
    dgram.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The reader must keep up: the kernel holds only a few datagrams.
    let dgram_reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = dgram.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).trim_end_matches('\n').to_string());
        }
        got
    });
    let stream_reader = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        BufReader::new(conn).lines().map(Result::unwrap).collect::<Vec<String>>()
    });

    let mut cfg = Config::default();
    cfg.output.sinks = vec![
        sink(&format!("type: unix_stream\nname: shipper\npath: {}\ntypes: [alert, dns, flow]", stream_path.display())),
        sink(&format!("type: unix_dgram\npath: {}\ntypes: [alert]", dgram_path.display())),
        sink(&format!(
            "type: file\nname: alerts-file\npath: {}\ntypes: [alert]\nfile: {{ rotate_bytes: 4096, rotate_keep: 100 }}",
            dir.path().join("alerts.json").display()
        )),
    ];
    let rules = [repo().join("signatures")];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &rules, &[pcap]).unwrap();

    let want_stream = lines_of_types(&eve, &["alert", "dns", "flow"]);
    let want_alerts = lines_of_types(&eve, &["alert"]);
    assert!(want_alerts.len() > 10, "the capture should alert: {}", want_alerts.len());
    assert_eq!(stream_reader.join().unwrap(), want_stream, "unix_stream: same lines, same order");
    assert_eq!(dgram_reader.join().unwrap(), want_alerts, "unix_dgram: one datagram per alert");

    // The rotated files, oldest (highest number) first, then the current one.
    let mut files: Vec<(usize, std::path::PathBuf)> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let n = if name == "alerts.json" { 0 } else { name.strip_prefix("alerts.json.")?.parse().ok()? };
            Some((n, p))
        })
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    assert!(files.len() > 2, "4 KiB rotation should have rotated: {files:?}");
    let mut from_files = Vec::new();
    for (_, p) in &files {
        let text = std::fs::read_to_string(p).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'), "{} ends inside a line", p.display());
        from_files.extend(text.lines().map(str::to_string));
    }
    assert_eq!(from_files, want_alerts, "rotated files hold every alert once, in order");

    let by_name = |n: &str| summary.sinks.iter().find(|s| s.name == n).unwrap().clone();
    assert_eq!(by_name("shipper").delivered, want_stream.len() as u64);
    assert_eq!(by_name("unix_dgram-1").delivered, want_alerts.len() as u64);
    assert_eq!(by_name("alerts-file").delivered, want_alerts.len() as u64);
    for s in &summary.sinks {
        assert_eq!(s.dropped_total(), 0, "{s:?}");
    }
    let mut text = Vec::new();
    summary.print(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains(&format!("sink shipper: {} records delivered", want_stream.len())), "{text}");
}

#[test]
fn a_peer_that_is_not_there_costs_counted_records_only() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 2 << 20);
    let mut cfg = Config::default();
    cfg.output.sinks = vec![
        sink(&format!("type: unix_stream\nname: absent\npath: {}", dir.path().join("none.sock").display())),
        sink(&format!(
            "type: unix_dgram\nname: absent-dgram\npath: {}\ntypes: [alert]",
            dir.path().join("none2.sock").display()
        )),
    ];
    let rules = [repo().join("signatures")];
    let (eve, summary) = mirrorids::engine::replay_to_memory(cfg, &rules, &[pcap]).unwrap();
    let all = String::from_utf8_lossy(&eve).lines().count() as u64;
    let alerts = lines_of_types(&eve, &["alert"]).len() as u64;
    assert!(all > 100);
    let absent = &summary.sinks[0];
    assert_eq!(absent.delivered, 0);
    assert!(!absent.up);
    // Every record is either refused for lack of a peer or (if the burst
    // outran the sink) for a full queue; none vanishes.
    let counted = absent.dropped[DropReason::PeerDown.index()] + absent.dropped[DropReason::QueueFull.index()];
    assert_eq!(counted, all, "{absent:?}");
    assert!(absent.dropped[DropReason::PeerDown.index()] > 0);
    let dgram = &summary.sinks[1];
    assert_eq!(dgram.delivered, 0);
    assert_eq!(dgram.dropped_total(), alerts, "{dgram:?}");
    // The main EVE output is untouched by the sinks' trouble.
    assert!(lines_of_types(&eve, &["flow"]).len() > 10);
}

#[test]
fn a_bad_sink_configuration_names_the_sink_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("mirrorids.yaml");
    std::fs::write(
        &conf,
        "output:\n  sinks:\n    - type: file\n      name: alerts\n      types: [alerts]\n      path: /tmp/a.json\n",
    )
    .unwrap();
    let err = Config::load(Some(&conf), &[]).unwrap_err().to_string();
    assert!(
        err.contains("mirrorids.yaml") && err.contains("output.sinks[0] (alerts): unknown record type \"alerts\""),
        "{err}"
    );
    std::fs::write(&conf, "output:\n  sinks:\n    - type: file\n      path: /nonexistent-dir/a.json\n").unwrap();
    let cfg = Config::load(Some(&conf), &[]).unwrap();
    let err = mirrorids::engine::replay_to_memory(cfg, &[repo().join("signatures")], &[]).unwrap_err();
    assert!(err.contains("output.sinks[0] (file-0): /nonexistent-dir/a.json"), "{err}");
}

#[test]
fn the_spool_keeps_an_outage_and_delivers_it_first_in_order_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = mix_capture(dir.path(), 2 << 20);
    let sock = dir.path().join("shipper.sock");
    let spool_dir = dir.path().join("spool");
    let mut cfg = Config::default();
    cfg.output.sinks = vec![sink(&format!(
        "type: unix_stream\nname: shipper\npath: {}\ntypes: [alert, dns]\nspool: {{ dir: {}, segment_bytes: 65536 }}",
        sock.display(),
        spool_dir.display()
    ))];
    let rules = [repo().join("signatures")];

    // Run 1: nobody listens. Everything waits in the spool; nothing is dropped.
    let (eve1, summary) =
        mirrorids::engine::replay_to_memory(cfg.clone(), &rules, std::slice::from_ref(&pcap)).unwrap();
    let want1 = lines_of_types(&eve1, &["alert", "dns"]);
    let s = &summary.sinks[0];
    assert_eq!((s.delivered, s.dropped_total()), (0, 0), "{s:?}");
    assert_eq!(s.spooled, want1.len() as u64, "{s:?}");
    let mut text = Vec::new();
    summary.print(&mut text).unwrap();
    assert!(String::from_utf8(text).unwrap().contains(&format!("{} records left in the spool", want1.len())));

    // Run 2: the listener is back. The backlog comes first, then this run's records.
    let listener = UnixListener::bind(&sock).unwrap();
    let reader = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        BufReader::new(conn).lines().map(Result::unwrap).collect::<Vec<String>>()
    });
    let (eve2, summary) = mirrorids::engine::replay_to_memory(cfg, &rules, &[pcap]).unwrap();
    let want2 = lines_of_types(&eve2, &["alert", "dns"]);
    let got = reader.join().unwrap();
    assert_eq!(got.len(), want1.len() + want2.len(), "nothing lost, nothing twice");
    assert_eq!(got[..want1.len()], want1[..], "the backlog first, in order");
    assert_eq!(got[want1.len()..], want2[..], "then the new records, in order");
    let s = &summary.sinks[0];
    assert_eq!((s.delivered, s.dropped_total(), s.spooled), ((want1.len() + want2.len()) as u64, 0, 0), "{s:?}");
}
