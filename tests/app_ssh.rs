//! SSH end to end: captures of SSH connections (built with the generator's
//! pieces) through the engine, against what Suricata 8.0.6 writes for the
//! same captures: the `ssh` record (when, and with which fields), HASSH
//! values, and the `ssh.*` rule keywords with the `ssh` object of their
//! alerts. The expected values come from running the reference Suricata
//! (`../shared/reference/run-suricata.sh`) on these captures; set
//! `SSH_CAPTURE_DIR` to write them out for that.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use mirrorids::config::Config;
use mirrorids::gen::apps;
use mirrorids::gen::pcap_writer::PcapWriter;
use mirrorids::gen::rng::Rng;
use mirrorids::gen::session::{tcp_conversation, TcpShape};
use mirrorids::source::LinkType;
use mirrorids::util::Timestamp;
use serde_json::Value;

type Turns = Vec<(Vec<u8>, Vec<u8>)>;

/// Writes one TCP connection (client 10.1.0.5:40022 -> 10.1.0.9:22) with
/// these turns to `dir/name`.
fn capture(dir: &Path, name: &str, turns: &Turns) -> PathBuf {
    let mut rng = Rng::new(7);
    let client = ("10.1.0.5".parse().unwrap(), 40022);
    let server = ("10.1.0.9".parse().unwrap(), 22);
    let pkts = tcp_conversation(&mut rng, Timestamp(1_700_000_000_000_000), client, server, turns, TcpShape::default());
    let path = dir.join(name);
    let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap(), LinkType::ETHERNET, 65535).unwrap();
    for p in &pkts {
        w.write_packet(p.ts, &p.frame, p.frame.len() as u32).unwrap();
    }
    if let Some(keep) = std::env::var_os("SSH_CAPTURE_DIR") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&path, Path::new(&keep).join(name)).unwrap();
    }
    path
}

fn handshake() -> Turns {
    apps::ssh_handshake(&mut Rng::new(11), "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13", "SSH-2.0-OpenSSH_8.9")
}

/// Replays with Suricata's timing (a transaction is inspected on the next
/// packet of its direction, as `verify` sets it).
fn run(dir: &Path, rules: &str, pcap: &Path, hassh: bool) -> Vec<Value> {
    let rule_file = dir.join("ssh.rules");
    std::fs::write(&rule_file, rules).unwrap();
    let mut cfg = Config::default();
    cfg.app.ssh.hassh = hassh;
    cfg.stream.reassembly.inspect_acked = false;
    replay_records(cfg, &[rule_file], &[pcap.to_path_buf()])
}

/// What is compared with Suricata's records: when and on which packet,
/// and the `ssh` object.
fn placed(r: &Value) -> (String, u64, String, String) {
    let ts = r["timestamp"].as_str().unwrap_or("");
    let t = ts.get(17..26).unwrap_or("").to_string();
    (t, r["pcap_cnt"].as_u64().unwrap_or(0), r["pkt_src"].as_str().unwrap_or("").to_string(), r["ssh"].to_string())
}

fn of_type<'a>(records: &'a [Value], t: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["event_type"] == t).collect()
}

/// Client and server HASSH of [`handshake`], as Suricata 8.0.6 computes
/// them.
const CLIENT_HASSH: &str = "8859f2c6afbe167f477d61836c5d07e1";
const SERVER_HASSH: &str = "6d229a1e59f977fd504aa682ccb99a5b";

#[test]
fn ssh_record_after_both_banners() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = capture(dir.path(), "ssh-handshake.pcap", &handshake());
    let records = run(dir.path(), "", &pcap, false);
    let ssh = of_type(&records, "ssh");
    assert_eq!(ssh.len(), 1, "{records:?}");
    let s = &ssh[0]["ssh"];
    assert_eq!(s["client"]["proto_version"], "2.0");
    assert_eq!(s["client"]["software_version"], "OpenSSH_9.6p1");
    assert_eq!(s["server"]["software_version"], "OpenSSH_8.9");
    assert!(s["client"].get("hassh").is_none());
    assert_eq!(ssh[0]["src_port"], 40022);
    let flow = of_type(&records, "flow");
    assert_eq!(flow[0]["app_proto"], "ssh");
    assert_eq!(flow[0]["flow"]["tx_cnt"], 1);
}

#[test]
fn hassh_when_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = capture(dir.path(), "ssh-handshake.pcap", &handshake());
    let records = run(dir.path(), "", &pcap, true);
    let ssh = of_type(&records, "ssh");
    assert_eq!(ssh.len(), 1);
    let s = &ssh[0]["ssh"];
    assert_eq!(s["client"]["hassh"]["hash"], CLIENT_HASSH);
    assert_eq!(s["server"]["hassh"]["hash"], SERVER_HASSH);
    let cs = s["client"]["hassh"]["string"].as_str().unwrap();
    assert!(cs.starts_with("sntrup761x25519-sha512@openssh.com,") && cs.ends_with(";none,zlib@openssh.com,zlib"));
}

#[test]
fn rules_on_ssh_keywords_alert_as_suricata() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = capture(dir.path(), "ssh-handshake.pcap", &handshake());
    // Sids 1-9 as run through Suricata 8.0.6; 10 and 11 are keywords it
    // refuses as obsolete (we keep Suricata 7's meaning).
    let rules = format!(
        "alert ssh any any -> any any (msg:\"proto\"; flow:to_server; ssh.proto; content:\"2.0\"; sid:1;)\n\
         alert ssh any any -> any any (msg:\"software\"; ssh.software; content:\"OpenSSH_8\"; sid:2;)\n\
         alert ssh any any -> any any (msg:\"hassh\"; ssh.hassh; content:\"{CLIENT_HASSH}\"; sid:3;)\n\
         alert ssh any any -> any any (msg:\"hassh server string\"; ssh.hassh.server.string; content:\"hmac-sha2-512-etm\"; sid:4;)\n\
         alert ssh any any -> any any (msg:\"software none\"; ssh_software; content:\"PuTTY\"; sid:5;)\n\
         alert ssh any any -> any any (msg:\"software both\"; ssh.software; content:\"OpenSSH\"; sid:6;)\n\
         alert ssh any any -> any any (msg:\"hassh server\"; ssh.hassh.server; content:\"{}\"; sid:7;)\n\
         alert ssh any any -> any any (msg:\"raw banner\"; flow:to_server; content:\"SSH-2.0-OpenSSH_9\"; sid:8;)\n\
         alert tcp any any -> any any (msg:\"raw banner tcp\"; flow:to_client; content:\"SSH-2.0-OpenSSH_8\"; sid:9;)\n\
         alert ssh any any -> any any (msg:\"protoversion\"; ssh.protoversion:2_compat; flow:to_client; sid:10;)\n\
         alert ssh any any -> any any (msg:\"softwareversion\"; ssh.softwareversion:OpenSSH_9.6p1; sid:11;)\n",
        SERVER_HASSH.to_uppercase()
    );
    let records = run(dir.path(), &rules, &pcap, false);
    // Suricata's alerts: sid, packet (pcap_cnt), source port, and whose
    // HASSH the `ssh` object carries by then.
    let want: [(u64, u64, u64, bool, bool); 9] = [
        (1, 7, 40022, false, false),
        (6, 7, 40022, false, false),
        (8, 7, 40022, false, false),
        (2, 9, 22, true, false),
        (6, 9, 22, true, false),
        (9, 9, 22, false, false),
        (3, 11, 40022, true, true),
        (4, 13, 22, true, true),
        (7, 13, 22, true, true),
    ];
    let alerts = of_type(&records, "alert");
    for (sid_, pcap_cnt, sport, ch, sh) in want {
        let a = alerts
            .iter()
            .find(|a| sid(a) == sid_ && a["pcap_cnt"] == pcap_cnt)
            .unwrap_or_else(|| panic!("sid {sid_} at {pcap_cnt}: {alerts:?}"));
        assert_eq!(a["src_port"], sport);
        if sid_ == 8 || sid_ == 9 {
            // Not transaction rules: no tx, no object.
            assert!(a.get("ssh").is_none() && a.get("tx_id").is_none(), "{a}");
            continue;
        }
        assert_eq!(a["tx_id"], 0);
        assert_eq!(a["ssh"]["client"]["software_version"], "OpenSSH_9.6p1");
        assert_eq!(a["ssh"]["server"]["software_version"], "OpenSSH_8.9");
        assert_eq!(a["ssh"]["client"]["hassh"]["hash"].as_str().is_some(), ch, "{a}");
        assert_eq!(a["ssh"]["server"]["hassh"]["hash"].as_str().is_some(), sh, "{a}");
    }
    let mut sids: Vec<u64> = alerts.iter().map(|a| sid(a)).collect();
    sids.sort();
    assert_eq!(sids, [1, 2, 3, 4, 6, 6, 7, 8, 9, 10, 11], "{alerts:?}");
    // A rule on HASSH turns it on: the record carries it, and waits for
    // both NEWKEYS.
    let ssh = of_type(&records, "ssh");
    assert_eq!(ssh[0]["ssh"]["client"]["hassh"]["hash"], CLIENT_HASSH);
    assert_eq!(ssh[0]["pkt_src"], "stream (detect/log)");
}

#[test]
fn hassh_rules_need_an_md5() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("bad.rules");
    std::fs::write(
        &rules,
        "alert ssh any any -> any any (ssh.hassh; content:\"abc\"; sid:1;)\n\
         alert ssh any any -> any any (ssh.hassh.server; content:\"zzzzzz0123456789abcdef0123456789\"; sid:2;)\n\
         alert ssh any any -> any any (ssh.hassh; to_lowercase; content:\"abc\"; sid:3;)\n\
         alert ssh any any -> any any (ssh.hassh.string; content:\"abc\"; sid:4;)\n",
    )
    .unwrap();
    let (engine, _) = mirrorids::engine::load_rules(&Config::default(), &[rules]).unwrap();
    let mut failed: Vec<u32> = engine.report.failed.iter().filter_map(|f| f.sid).collect();
    failed.sort();
    // As Suricata 8.0.6: an ssh.hassh content must be an MD5 in hex,
    // unless a transform changes the buffer.
    assert_eq!(failed, [1, 2]);
    assert_eq!(engine.report.loaded, 2);
    assert!(engine.needs_hassh());
}

/// A client identification line longer than 256 bytes whose end comes
/// in a later piece, then the rest of the handshake.
fn long_banner() -> Turns {
    let mut t = handshake();
    let mut first = b"SSH-2.0-".to_vec();
    first.extend(std::iter::repeat_n(b'A', 300));
    let mut second = b"AAAA\r\n".to_vec();
    second.extend(std::mem::take(&mut t[1].0));
    t[0].0 = first;
    t[1].0 = second;
    t
}

/// A client KEXINIT of 65,535 body bytes (over the reassembly limit)
/// whose header arrives with 4 body bytes, the rest later; then a normal
/// KEXINIT, which must still be read.
fn oversized_kexinit() -> Turns {
    let hs = handshake();
    let mut t = vec![hs[0].clone()];
    let mut head = 65537u32.to_be_bytes().to_vec();
    head.extend_from_slice(&[4, 20, 0xaa, 0xaa, 0xaa, 0xaa]);
    t.push((head, Vec::new()));
    for c in vec![0u8; 65535 - 4].chunks(8192) {
        t.push((c.to_vec(), Vec::new()));
    }
    t.extend(hs[1..].iter().cloned());
    t
}

#[test]
fn captures_build() {
    let dir = tempfile::tempdir().unwrap();
    for (name, turns) in [
        ("ssh-handshake.pcap", handshake()),
        ("ssh-long-banner.pcap", long_banner()),
        ("ssh-long-kexinit.pcap", oversized_kexinit()),
        ("ssh-invalid-record.pcap", invalid_record()),
    ] {
        assert!(capture(dir.path(), name, &turns).metadata().unwrap().len() > 1000);
    }
}

/// The server sends a packet whose length cannot be (1): Suricata stops
/// parsing the flow and logs the transaction at once.
fn invalid_record() -> Turns {
    let mut t = handshake();
    t[1].1 = vec![0, 0, 0, 1, 0, 20];
    t
}

/// Each capture through Suricata 8.0.6, HASSH off and on: when the `ssh`
/// record is written (seconds past the minute, pcap_cnt, pkt_src), whether
/// each side has a HASSH, and the software version's length as written.
#[test]
fn ssh_records_as_suricata_writes_them() {
    type Want = (&'static str, u64, &'static str, bool, bool, usize);
    let cases: [(&str, Turns, [Want; 2]); 4] = [
        (
            "handshake",
            handshake(),
            [("20.017086", 7, "wire/pcap", false, false, 13), ("20.039711", 0, "stream (detect/log)", true, true, 13)],
        ),
        (
            "long-banner",
            long_banner(),
            [("20.052806", 22, "wire/pcap", false, false, 287), ("20.052806", 22, "wire/pcap", true, true, 287)],
        ),
        (
            "long-kexinit",
            oversized_kexinit(),
            [("20.017086", 7, "wire/pcap", false, false, 13), ("20.101459", 80, "wire/pcap", false, true, 13)],
        ),
        (
            "invalid-record",
            invalid_record(),
            [("20.017086", 7, "wire/pcap", false, false, 13), ("20.027299", 11, "wire/pcap", true, false, 13)],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, turns, wants) in cases {
        let pcap = capture(dir.path(), &format!("ssh-{name}.pcap"), &turns);
        for (hassh, (t, pcap_cnt, pkt_src, ch, sh, swlen)) in [false, true].into_iter().zip(wants) {
            let records = run(dir.path(), "", &pcap, hassh);
            let ssh = of_type(&records, "ssh");
            assert_eq!(ssh.len(), 1, "{name} hassh={hassh}: {records:?}");
            let (got_t, got_cnt, got_src, _) = placed(ssh[0]);
            assert_eq!((got_t.as_str(), got_cnt, got_src.as_str()), (t, pcap_cnt, pkt_src), "{name} hassh={hassh}");
            let s = &ssh[0]["ssh"];
            assert_eq!(s["client"]["hassh"]["hash"].is_string(), ch, "{name} hassh={hassh}");
            assert_eq!(s["server"]["hassh"]["hash"].is_string(), sh, "{name} hassh={hassh}");
            assert_eq!(s["client"]["software_version"].as_str().map(str::len), Some(swlen), "{name}");
            if ch {
                assert_eq!(s["client"]["hassh"]["hash"], CLIENT_HASSH);
            }
            if sh {
                assert_eq!(s["server"]["hassh"]["hash"], SERVER_HASSH);
            }
        }
    }
}

/// `verify` takes Suricata's HASSH switch from a test's arguments and
/// suricata.yaml.
#[test]
fn verify_maps_the_hassh_setting() {
    use mirrorids::verify::settings::{apply_args, apply_suricata_yaml};
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    let mut ignored = Vec::new();
    apply_args(&mut cfg, &["--set app-layer.protocols.ssh.hassh=yes".to_string()], dir.path(), &mut ignored);
    assert!(cfg.app.ssh.hassh, "{ignored:?}");
    let yaml = dir.path().join("suricata.yaml");
    std::fs::write(&yaml, "app-layer:\n  protocols:\n    ssh:\n      enabled: yes\n      hassh: no\n").unwrap();
    apply_suricata_yaml(&mut cfg, &yaml, dir.path(), &mut ignored).unwrap();
    assert!(!cfg.app.ssh.hassh);
}
