//! threshold.config on arbitrary text (suppress, threshold, event_filter,
//! rate_filter lines with their address lists and variables), then the
//! loaded file deciding on a run of matches, so that every parsed setting
//! is also applied. A bad line must be an error naming its line number.
//!
//! Input: a u8 count of matches to decide, then the file's text. Matches
//! cycle through a few signatures and addresses one second apart.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use mirrorids::config::Config;
use mirrorids::output::threshold::{MatchFacts, ThresholdFile, Thresholds};
use mirrorids::util::Timestamp;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let vars = Config::default().vars;
    let file = match ThresholdFile::parse(&text, &vars) {
        Ok(f) => f,
        Err((line, _)) => {
            assert!(line >= 1 && line <= text.lines().count(), "error on line {line} of {}", text.lines().count());
            return;
        }
    };
    let mut t = Thresholds::new(file, 8);
    for i in 0..u32::from(n) {
        let m = MatchFacts {
            gid: 1 + i % 2,
            sid: i % 5,
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, (i % 3) as u8)),
            dst: IpAddr::V4(Ipv4Addr::new(192, 168, 1, (i % 7) as u8)),
            sport: 1024 + i as u16,
            dport: 80,
            flow_id: u64::from(i % 4),
            ts: Timestamp::from_secs_micros(1_700_000_000 + u64::from(i), 0),
        };
        let _ = t.check(&m, None, None);
    }
});
