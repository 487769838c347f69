//! RESP encoding and reply parsing, and the sink against a scripted fake
//! server (error replies mid-batch, a hostile reply, a silent server).
//! The real-server tests are in tests/sink_redis.rs.

use std::io::{Read, Write};
use std::net::TcpListener;

use super::*;
use crate::output::sinks::{ReconnectGate, SinkConfig};

#[test]
fn commands_are_resp_arrays_of_bulk_strings() {
    let mut b = Vec::new();
    push_command(&mut b, &[b"LPUSH", b"suricata", b"{\"a\":1}"]);
    assert_eq!(b, b"*3\r\n$5\r\nLPUSH\r\n$8\r\nsuricata\r\n$7\r\n{\"a\":1}\r\n");
    b.clear();
    push_bulk(&mut b, b"");
    assert_eq!(b, b"$0\r\n\r\n");
    b.clear();
    push_decimal(&mut b, 1_234_567_890);
    push_decimal(&mut b, 0);
    assert_eq!(b, b"12345678900");
    // The per-record prefix plus a bulk value is the same command.
    let sink = RedisSink {
        opts: RedisOptions::default(),
        conn: None,
        gate: ReconnectGate::tried_now(),
        last_error: String::new(),
        handshake_reported: false,
        prefix: {
            let mut p = b"*3\r\n".to_vec();
            push_bulk(&mut p, b"LPUSH");
            push_bulk(&mut p, b"suricata");
            p
        },
        wbuf: Vec::new(),
    };
    let mut c = sink.prefix.clone();
    push_bulk(&mut c, value(b"{\"a\":1}\n", &(0..8)));
    let mut want = Vec::new();
    push_command(&mut want, &[b"LPUSH", b"suricata", b"{\"a\":1}"]);
    assert_eq!(c, want, "the newline is not part of the value");
}

#[test]
fn replies_are_parsed_strictly() {
    assert_eq!(parse_reply(b":12\r\n"), Ok(Some((Reply::Integer(12), 5))));
    assert_eq!(parse_reply(b":-3\r\n:1\r\n"), Ok(Some((Reply::Integer(-3), 5))));
    assert_eq!(parse_reply(b"+OK\r\n"), Ok(Some((Reply::Status(b"OK"), 5))));
    assert_eq!(parse_reply(b"-WRONGTYPE Operation\r\n"), Ok(Some((Reply::Error(b"WRONGTYPE Operation"), 22))));
    assert_eq!(parse_reply(b":9223372036854775807\r\n").unwrap().unwrap().0, Reply::Integer(i64::MAX));
    assert_eq!(parse_reply(b":-9223372036854775808\r\n").unwrap().unwrap().0, Reply::Integer(i64::MIN));
    // Incomplete.
    for partial in [&b""[..], b":", b":12", b":12\r", b"-ERR some"] {
        assert_eq!(parse_reply(partial), Ok(None), "{partial:?}");
    }
    // Out of step or hostile.
    assert_eq!(parse_reply(b"$5\r\nhello\r\n"), Err(ReplyError::Unexpected(b'$')));
    assert_eq!(parse_reply(b"*1\r\n"), Err(ReplyError::Unexpected(b'*')));
    assert_eq!(parse_reply(b"_\r\n"), Err(ReplyError::Unexpected(b'_')));
    for bad in [
        &b":\r\n"[..],
        b":1a\r\n",
        b":+1\r\n",
        b":-\r\n",
        b":9223372036854775808\r\n",
        b":1\n",
        b"+O\rK\r\n",
        b"+\n",
        b":1 \r\n",
    ] {
        assert_eq!(parse_reply(bad), Err(ReplyError::Malformed), "{bad:?}");
    }
    let mut long = vec![b'-'];
    long.resize(MAX_REPLY_LINE + 10, b'x');
    assert_eq!(parse_reply(&long), Err(ReplyError::TooLong));
    long.truncate(MAX_REPLY_LINE - 1);
    assert_eq!(parse_reply(&long), Ok(None), "may still end in time");
    long.truncate(MAX_REPLY_LINE - 2);
    long.extend_from_slice(b"\r\n");
    assert!(matches!(parse_reply(&long), Ok(Some((Reply::Error(_), n))) if n == MAX_REPLY_LINE));
}

#[test]
fn options_use_suricata_names_and_are_checked_for_redis_sinks_only() {
    let c: SinkConfig = serde_yaml::from_str("type: redis").unwrap();
    assert_eq!(c.redis, RedisOptions::default());
    assert_eq!((c.redis.server.as_str(), c.redis.key.as_str(), c.redis.batch), ("127.0.0.1:6379", "suricata", 256));
    assert!(c.validate(0).is_ok(), "a redis sink needs no path");
    for (name, mode) in [
        ("list", RedisMode::List),
        ("lpush", RedisMode::List),
        ("rpush", RedisMode::Rpush),
        ("channel", RedisMode::Channel),
        ("publish", RedisMode::Channel),
    ] {
        let c: SinkConfig = serde_yaml::from_str(&format!("type: redis\nredis: {{ mode: {name} }}")).unwrap();
        assert_eq!(c.redis.mode, mode);
    }
    assert!(serde_yaml::from_str::<SinkConfig>("type: redis\nredis: { mode: xadd }").is_err());
    assert!(serde_yaml::from_str::<SinkConfig>("type: redis\nredis: { sever: x }").is_err());
    let bad = |yaml: &str| serde_yaml::from_str::<SinkConfig>(yaml).unwrap().validate(1).unwrap_err();
    assert!(bad("type: redis\nredis: { server: localhost }").contains("host:port"));
    assert!(bad("type: redis\nredis: { server: ':6379' }").contains("host:port"));
    assert!(bad("type: redis\nredis: { key: '' }").contains("redis.key"));
    assert!(bad("type: redis\nredis: { batch: 0 }").contains("redis.batch"));
    assert!(bad("type: redis\nname: r\nredis: { username: u }").contains("output.sinks[1] (r): redis.username"));
    let v6: SinkConfig = serde_yaml::from_str("type: redis\nredis: { server: '[::1]:7000', db: 2 }").unwrap();
    assert!(v6.validate(0).is_ok());
    // Not checked for other kinds.
    let f: SinkConfig = serde_yaml::from_str("type: stdout\nredis: { batch: 0 }").unwrap();
    assert!(f.validate(0).is_ok());
}

/// A fake server: reads `expect` bytes of commands, answers `replies`, then closes.
fn fake(expect: usize, replies: &'static [u8]) -> (String, std::thread::JoinHandle<Vec<u8>>) {
    fake_steps(vec![(expect, replies)])
}

/// A fake server answering each step's bytes (one pipeline) with its replies.
fn fake_steps(steps: Vec<(usize, &'static [u8])>) -> (String, std::thread::JoinHandle<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let t = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut all = Vec::new();
        for (expect, replies) in steps {
            let mut got = vec![0; expect];
            s.read_exact(&mut got).unwrap();
            s.write_all(replies).unwrap();
            all.extend_from_slice(&got);
        }
        all
    });
    (addr, t)
}

fn records(n: usize) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut lines = Vec::new();
    let mut ranges = Vec::new();
    for i in 0..n {
        let s = lines.len();
        lines.extend_from_slice(format!("{{\"n\":{i}}}\n").as_bytes());
        ranges.push(s..lines.len());
    }
    (lines, ranges)
}

fn encoded(mode: &[u8], key: &[u8], lines: &[u8], ranges: &[Range<usize>]) -> usize {
    let mut b = Vec::new();
    for r in ranges {
        push_command(&mut b, &[mode, key, value(lines, r)]);
    }
    b.len()
}

#[test]
fn error_replies_cost_their_records_only_and_a_cut_costs_the_rest() {
    let (lines, ranges) = records(5);
    let first = encoded(b"RPUSH", b"k", &lines, &ranges[..3]);
    let second = encoded(b"RPUSH", b"k", &lines, &ranges[3..]);
    // Two batches (batch 3): the first all answered, one with an error;
    // the second answered once, then the server goes away.
    let (addr, t) =
        fake_steps(vec![(first, b":1\r\n-WRONGTYPE Operation against a key\r\n:2\r\n"), (second, b":3\r\n")]);
    let opts = RedisOptions { server: addr, mode: RedisMode::Rpush, key: "k".into(), batch: 3, ..Default::default() };
    let mut sink = RedisSink::new(&opts);
    assert!(sink.up());
    let e = sink.deliver(&Records { lines: &lines, ranges: &ranges }).unwrap_err();
    let sent = t.join().unwrap();
    assert!(sent.starts_with(b"*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$7\r\n{\"n\":0}\r\n"));
    assert_eq!((e.delivered, e.rejected, e.refused, e.reason), (3, 1, 0, DropReason::PeerDown), "{e:?}");
    assert!(!sink.up());
}

#[test]
fn error_replies_alone_keep_the_connection() {
    let (lines, ranges) = records(2);
    let len = encoded(b"LPUSH", b"suricata", &lines, &ranges);
    let (addr, t) = fake(len, b"-OOM command not allowed\r\n:1\r\n");
    let mut sink = RedisSink::new(&RedisOptions { server: addr, ..Default::default() });
    let e = sink.deliver(&Records { lines: &lines, ranges: &ranges }).unwrap_err();
    t.join().unwrap();
    assert_eq!((e.delivered, e.rejected, e.reason), (1, 1, DropReason::WriteError));
    assert!(e.message.contains("OOM command not allowed"), "{}", e.message);
    assert!(sink.up(), "a refused record is not an outage");
}

#[test]
fn a_hostile_or_silent_server_is_a_peer_down() {
    let (lines, ranges) = records(3);
    let len = encoded(b"LPUSH", b"suricata", &lines, &ranges);
    for replies in [&b":1\r\n$999999999\r\n"[..], b":1\r\n:1\n", b":1\r\n+QUEUED\r\n", b":1\r\n"] {
        let (addr, t) = fake(len, replies);
        let mut sink = RedisSink::new(&RedisOptions { server: addr, ..Default::default() });
        let e = sink.deliver(&Records { lines: &lines, ranges: &ranges }).unwrap_err();
        t.join().unwrap();
        assert_eq!((e.delivered, e.rejected, e.reason), (1, 0, DropReason::PeerDown), "{replies:?}: {e:?}");
        assert!(!sink.up());
    }
}

#[test]
fn a_refused_auth_is_a_peer_down_and_nothing_is_sent() {
    let mut auth = Vec::new();
    push_command(&mut auth, &[b"AUTH", b"u", b"pw"]);
    push_command(&mut auth, &[b"SELECT", b"3"]);
    let (addr, t) = fake(auth.len(), b"-WRONGPASS invalid username-password pair\r\n+OK\r\n");
    let opts = RedisOptions {
        server: addr,
        username: Some("u".into()),
        password: Some("pw".into()),
        db: Some(3),
        ..Default::default()
    };
    let mut sink = RedisSink::new(&opts);
    assert_eq!(t.join().unwrap(), auth);
    assert!(!sink.up());
    let (lines, ranges) = records(4);
    let e = sink.deliver(&Records { lines: &lines, ranges: &ranges }).unwrap_err();
    assert_eq!((e.delivered, e.reason), (0, DropReason::PeerDown));
    assert!(e.message.contains("AUTH: WRONGPASS"), "{}", e.message);
}
