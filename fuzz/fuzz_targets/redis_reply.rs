//! The `redis` sink's reply parser: whatever a (hostile) server sends, a
//! parse never panics, never takes more than `MAX_REPLY_LINE` bytes or
//! more than it was given, and what it returns reads back as sent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mirrorids::output::sinks::redis::{parse_reply, Reply, MAX_REPLY_LINE};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    // Replies back to back, as a pipeline's answers arrive.
    while let Ok(Some((reply, n))) = parse_reply(rest) {
        assert!(n >= 3 && n <= rest.len() && n <= MAX_REPLY_LINE, "took {n} of {}", rest.len());
        let line = &rest[..n];
        assert!(line.ends_with(b"\r\n"));
        match reply {
            // Leading zeros and "-0" are taken, so compare values, not text.
            Reply::Integer(v) => {
                assert_eq!(std::str::from_utf8(&line[1..n - 2]).map(str::parse::<i64>), Ok(Ok(v)));
            }
            Reply::Status(s) | Reply::Error(s) => {
                assert_eq!(s, &line[1..n - 2]);
                assert!(!s.contains(&b'\r') && !s.contains(&b'\n'));
            }
        }
        rest = &rest[n..];
    }
    // Every prefix of a valid input is incomplete, never an error.
    if let Ok(Some((_, n))) = parse_reply(data) {
        for k in 0..n {
            assert_eq!(parse_reply(&data[..k]), Ok(None));
        }
    }
});
