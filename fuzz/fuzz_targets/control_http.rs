//! The metrics/health endpoint's request reading and answering: a request
//! head read in arbitrary pieces (the head reader the socket loop uses),
//! then the answer. Checks: the head never exceeds the limit, the answer is
//! a well-formed HTTP/1.1 response whose Content-Length is what follows
//! its head (HEAD: nothing follows).
//!
//! Input: a byte of flags (bit 0: the listener serves /metrics; bit 1: a
//! worker has stalled), a byte naming how many pieces, that many piece
//! lengths (u8 each), then the bytes the client sends (what is left after
//! the last piece arrives as one more read, then the client closes).

#![no_main]

use std::sync::Arc;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mirrorids::control::http::{answer, ControlApp, Head, HeadReader};
use mirrorids::control::state::SensorState;

fuzz_target!(|data: &[u8]| {
    let [flags, n, rest @ ..] = data else { return };
    let (sizes, mut sent) = rest.split_at(usize::from(*n).min(rest.len()));
    let state = SensorState::new(1);
    let stall_after = if flags & 2 != 0 { Duration::ZERO } else { Duration::from_secs(3600) };
    let app = ControlApp { state: Arc::clone(&state), telemetry: None, serve_metrics: flags & 1 != 0, stall_after };
    let mut reader = HeadReader::default();
    let mut pieces = sizes.iter().map(|&s| usize::from(s)).chain(std::iter::repeat(usize::MAX));
    let head = loop {
        let spare = reader.spare();
        if spare.is_empty() {
            break Head::TooLarge;
        }
        let take = pieces.next().unwrap_or(usize::MAX).min(sent.len()).min(spare.len());
        spare[..take].copy_from_slice(&sent[..take]);
        sent = &sent[take..];
        if let Some(h) = reader.filled(take) {
            break h;
        }
    };
    if let Head::Complete(h) = &head {
        assert!(h.len() <= 8 * 1024, "a head over the limit");
    }
    let Some(bytes) = answer(&head, &app) else { return };
    let split = memchr::memmem::find(&bytes, b"\r\n\r\n").expect("an answer has a head") + 4;
    let (head_text, body) = bytes.split_at(split);
    let head_text = std::str::from_utf8(head_text).expect("the answer's head is text");
    assert!(head_text.starts_with("HTTP/1.1 "), "{head_text}");
    let length: usize = head_text
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.parse().ok())
        .expect("the answer has a Content-Length");
    let is_head = matches!(&head, Head::Complete(h) if h.starts_with(b"HEAD "));
    assert!(body.len() == length || (is_head && body.is_empty()), "Content-Length {length}, body {}", body.len());
});
