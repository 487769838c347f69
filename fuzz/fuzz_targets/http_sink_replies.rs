//! The HTTP sinks' answer parsers (`splunk_hec` events and acks,
//! `elasticsearch` `_bulk`): whatever a (hostile) server sends, parsing
//! never panics, and a bulk answer is taken only with exactly as many
//! items as records were sent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mirrorids::output::sinks::elasticsearch::parse_bulk_response;
use mirrorids::output::sinks::splunk_hec::{parse_ack_response, parse_hec_response};

fuzz_target!(|data: &[u8]| {
    // The first byte picks how many records the bulk request had.
    let (sent, body) = match data.split_first() {
        Some((&n, rest)) => (usize::from(n), rest),
        None => (0, data),
    };
    if let Ok(items) = parse_bulk_response(body, sent) {
        assert_eq!(items.len(), sent);
        for item in &items {
            assert!(item.reason.as_ref().is_none_or(|r| r.chars().count() <= 300));
        }
    }
    let r = parse_hec_response(body);
    if let Some(id) = r.ack_id {
        let _ = parse_ack_response(body, &[id]);
    }
    let _ = parse_ack_response(body, &[u64::from(sent as u8), 0]);
});
