//! Data connections announced by FTP control connections and not seen yet
//! (Suricata's app-layer expectations), per worker.
//!
//! A control connection's transfer command yields an [`Announcement`]: the
//! two addresses, the port the data connection will go to, the direction
//! the data will flow, the command and file. A new flow whose protocol is
//! not recognised from its first data claims the latest matching
//! announcement and becomes `ftp-data` (as in Suricata: any source port,
//! either address order, data in the announced direction).
//!
//! Workers share nothing and flows are spread by a hash of their 5-tuple,
//! so the data connection may land on another worker than its control
//! connection. Announcements are therefore plain values (`Clone`, no
//! reference into the control flow) that the coordinator can hand to every
//! worker; each worker keeps its own bounded, expiring table. Within one
//! worker, its own control flows announce directly.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::parser::Command;
use crate::util::Timestamp;

/// Settings of the table (`app.ftp.expectations`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExpectConfig {
    /// Announcements kept per worker; the oldest goes first (counted).
    pub max_entries: usize,
    /// Announcements kept per address pair (Suricata's 10); the pair's
    /// oldest goes first.
    pub max_per_pair: usize,
    /// Seconds (packet time) an announcement waits for its connection
    /// (Suricata's expectation timeout, 30 s).
    pub timeout_secs: u64,
}

impl Default for ExpectConfig {
    fn default() -> Self {
        ExpectConfig { max_entries: 1024, max_per_pair: 10, timeout_secs: 30 }
    }
}

/// Where a data connection is expected: the address pair (either order),
/// the mirror session, and the port its client connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExpectKey {
    addrs: [IpAddr; 2],
    vni: Option<u32>,
    port: u16,
}

impl ExpectKey {
    /// `port`: the data connection's server port.
    pub fn new(a: IpAddr, b: IpAddr, vni: Option<u32>, port: u16) -> ExpectKey {
        let addrs = if a <= b { [a, b] } else { [b, a] };
        ExpectKey { addrs, vni, port }
    }
}

/// A data connection a control connection announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub key: ExpectKey,
    /// The data goes from the data connection's client to its server.
    pub data_to_server: bool,
    pub command: Command,
    /// The file transferred (None for listings).
    pub file_name: Option<Box<[u8]>>,
    /// The control connection's EVE `flow_id` (the data flow's
    /// `parent_id`).
    pub parent_flow_id: u64,
    /// When it was announced (packet time).
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpectStats {
    pub announced: u64,
    /// Claimed by a data connection.
    pub claimed: u64,
    /// Not claimed in time.
    pub expired: u64,
    /// Pushed out by newer ones (`max_entries`, `max_per_pair`).
    pub evicted: u64,
}

/// One worker's announcements, oldest first.
#[derive(Debug, Default)]
pub struct Expectations {
    cfg: ExpectConfig,
    entries: VecDeque<Announcement>,
    pub stats: ExpectStats,
}

impl Expectations {
    pub fn new(cfg: &ExpectConfig) -> Expectations {
        Expectations { cfg: cfg.clone(), entries: VecDeque::new(), stats: ExpectStats::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    fn expired(&self, a: &Announcement, now: Timestamp) -> bool {
        now.secs().saturating_sub(a.at.secs()) > self.cfg.timeout_secs
    }

    /// Drops what waited longer than the timeout at `now`, oldest first
    /// (cheap: announcements come roughly in time order; one forwarded
    /// late waits its turn, and is not claimed once too old).
    fn expire(&mut self, now: Timestamp) {
        while self.entries.front().is_some_and(|a| self.expired(a, now)) {
            self.entries.pop_front();
            self.stats.expired += 1;
        }
    }

    /// Records a data connection to expect.
    pub fn announce(&mut self, a: Announcement) {
        self.stats.announced += 1;
        self.expire(a.at);
        if self.cfg.max_entries == 0 {
            self.stats.evicted += 1;
            return;
        }
        let same_pair = |x: &Announcement| x.key.addrs == a.key.addrs && x.key.vni == a.key.vni;
        if self.entries.iter().filter(|x| same_pair(x)).count() >= self.cfg.max_per_pair.max(1) {
            if let Some(i) = self.entries.iter().position(same_pair) {
                self.entries.remove(i);
                self.stats.evicted += 1;
            }
        }
        if self.entries.len() >= self.cfg.max_entries {
            self.entries.pop_front();
            self.stats.evicted += 1;
        }
        self.entries.push_back(a);
    }

    /// The announcement a new flow is: the latest one for its addresses
    /// and server port, with data in direction `to_server` (the direction
    /// of the flow's first data), removed from the table.
    pub fn claim(&mut self, key: &ExpectKey, to_server: bool, now: Timestamp) -> Option<Announcement> {
        self.expire(now);
        let i = self
            .entries
            .iter()
            .rposition(|a| a.key == *key && a.data_to_server == to_server && !self.expired(a, now))?;
        self.stats.claimed += 1;
        self.entries.remove(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn ann(port: u16, to_server: bool, secs: u64, name: &str) -> Announcement {
        Announcement {
            key: ExpectKey::new(ip("10.0.0.1"), ip("10.0.0.2"), None, port),
            data_to_server: to_server,
            command: Command::named("RETR").unwrap(),
            file_name: Some(name.as_bytes().into()),
            parent_flow_id: 7,
            at: Timestamp::from_secs_micros(secs, 0),
        }
    }

    #[test]
    fn claimed_once_in_either_address_order_and_direction() {
        let mut e = Expectations::new(&ExpectConfig::default());
        e.announce(ann(5000, false, 100, "a"));
        let now = Timestamp::from_secs_micros(101, 0);
        let other = ExpectKey::new(ip("10.0.0.2"), ip("10.0.0.1"), None, 5000);
        assert!(e.claim(&other, true, now).is_none(), "wrong direction");
        assert!(e.claim(&ExpectKey::new(ip("10.0.0.2"), ip("10.0.0.1"), Some(3), 5000), false, now).is_none());
        let got = e.claim(&other, false, now).unwrap();
        assert_eq!(got.file_name.as_deref(), Some(&b"a"[..]));
        assert!(e.claim(&other, false, now).is_none());
        assert_eq!(e.stats.claimed, 1);
    }

    #[test]
    fn bounded_and_expiring() {
        let cfg = ExpectConfig { max_entries: 3, max_per_pair: 2, timeout_secs: 30 };
        let mut e = Expectations::new(&cfg);
        for (i, p) in [1, 2, 3].into_iter().enumerate() {
            e.announce(ann(p, true, 100 + i as u64, "x"));
        }
        // Two per pair: the oldest of the pair went.
        assert_eq!(e.len(), 2);
        assert_eq!(e.stats.evicted, 1);
        let k = |p| ExpectKey::new(ip("10.0.0.1"), ip("10.0.0.2"), None, p);
        assert!(e.claim(&k(1), true, Timestamp::from_secs_micros(103, 0)).is_none());
        // Past the timeout nothing is claimed.
        assert!(e.claim(&k(3), true, Timestamp::from_secs_micros(200, 0)).is_none());
        assert!(e.is_empty());
        assert_eq!(e.stats.expired, 2);
    }
}
