//! SSH handshake parser with Suricata 8's semantics: each side's
//! identification line (`ssh.proto`, `ssh.software`), then the binary
//! packets until NEWKEYS, reading each side's KEXINIT for HASSH
//! (`ssh.hassh`, `ssh.hassh.server` and their strings). Everything after
//! NEWKEYS is encrypted; once both sides sent it the parser stops, as
//! Suricata's does (`encryption-handling: track-only`).
//!
//! Data is handled the way Suricata's app layer hands it over: a step that
//! needs more bytes says how many it consumed and how many more it needs
//! (a banner without its line end, a partial packet header, a KEXINIT
//! body when HASSH is on), and the unconsumed bytes are kept until that
//! many are there. What is kept is bounded: under 256 bytes of banner, 6
//! of header, [`SshConfig::max_kexinit_bytes`] of KEXINIT. A gap stops
//! its direction; a malformed banner or packet stops the connection
//! (Suricata disables the app layer of the flow).
//!
//! The connection is one transaction (`tx_id` 0), as in Suricata.
//!
//! Layout: this file holds the connection state machine; `parser.rs` the
//! pure wire parsing.

pub mod parser;
#[cfg(test)]
mod tests;

use parser::{Header, Line};

/// Identification lines at least this long raise `long_banner`; a line
/// still without its end at this length is taken as it is and the rest
/// of it skipped (Suricata's `SSH_MAX_BANNER_LEN`).
pub const MAX_BANNER_LEN: usize = 256;

/// Settings of the SSH parser (`app.ssh`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SshConfig {
    /// Compute HASSH (Suricata's `app-layer.protocols.ssh.hassh`, off by
    /// default there too). Loading a rule that uses an `ssh.hassh*`
    /// keyword turns it on, as in Suricata; when on, `ssh` records also
    /// wait for both NEWKEYS (or the flow's end) and carry `hassh`.
    pub hassh: bool,
    /// Longest protocol or software version kept from an identification
    /// line; longer ones are cut (counted in [`SshStats::long_fields`]).
    pub max_banner_bytes: usize,
    /// Largest KEXINIT body reassembled across segments for HASSH
    /// (Suricata's `SSH_MAX_REASSEMBLED_RECORD_LEN`); longer ones are
    /// skipped and counted in [`SshStats::long_kex_records`].
    pub max_kexinit_bytes: usize,
}

impl Default for SshConfig {
    fn default() -> Self {
        SshConfig { hassh: false, max_banner_bytes: 4096, max_kexinit_bytes: 65535 }
    }
}

/// Where a side is, in Suricata's order (detection progress and EVE
/// logging compare them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum SshState {
    #[default]
    InProgress,
    /// An identification line longer than [`MAX_BANNER_LEN`] was taken
    /// before its end; the rest of the line is skipped.
    BannerWaitEol,
    BannerDone,
    /// NEWKEYS sent: what follows is encrypted.
    Finished,
}

/// What a side announced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshSide {
    pub state: SshState,
    /// `protoversion` of the identification line (`2.0`, `1.99`).
    pub proto_version: Vec<u8>,
    /// `softwareversion` (`OpenSSH_9.6`); empty when there is none.
    pub software_version: Vec<u8>,
    /// Lengths of both versions as sent: they are kept up to
    /// `max_banner_bytes`, EVE says how much longer they were.
    pub sent_lens: [usize; 2],
    /// HASSH (client) or HASSH server: lowercase hex MD5 of
    /// `hassh_string`. Empty when not computed.
    pub hassh: Vec<u8>,
    pub hassh_string: Vec<u8>,
}

/// Suricata's app-layer events of an SSH transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshAnomaly {
    InvalidBanner,
    LongBanner,
    InvalidRecord,
    LongKexRecord,
}

impl SshAnomaly {
    /// Suricata's event name (`ssh.<name>` in rules and EVE).
    pub fn name(self) -> &'static str {
        match self {
            SshAnomaly::InvalidBanner => "invalid_banner",
            SshAnomaly::LongBanner => "long_banner",
            SshAnomaly::InvalidRecord => "invalid_record",
            SshAnomaly::LongKexRecord => "long_kex_record",
        }
    }
}

/// App-layer events kept per connection.
const MAX_ANOMALIES: usize = 8;

/// The transaction: both sides.
#[derive(Debug, Clone, Default)]
pub struct SshInfo {
    /// 0 = client, 1 = server.
    pub sides: [SshSide; 2],
    /// Events raised, in order (at most 8 kept).
    pub anomalies: Vec<SshAnomaly>,
}

impl SshInfo {
    /// Suricata logs the transaction once both identification lines are
    /// parsed, or with HASSH on once both sides sent NEWKEYS (at the
    /// latest when the flow ends).
    pub fn ready_to_log(&self, hassh: bool) -> bool {
        let want = if hassh { SshState::Finished } else { SshState::BannerDone };
        self.sides.iter().all(|s| s.state == want)
    }

    /// Something to log: at least one identification line.
    pub fn has_banner(&self) -> bool {
        self.sides.iter().any(|s| !s.proto_version.is_empty())
    }
}

/// A point detection cares about was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshEvent {
    /// Side `dir`'s identification line is available (`ssh.proto`,
    /// `ssh.software`): its state reached [`SshState::BannerDone`].
    Banner(usize),
    /// Side `dir`'s HASSH was computed.
    Hassh(usize),
    /// Side `dir` sent NEWKEYS.
    NewKeys(usize),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SshStats {
    /// Identification lines parsed.
    pub banners: u64,
    /// Binary packets framed (up to NEWKEYS).
    pub records: u64,
    /// KEXINIT messages parsed for HASSH.
    pub kexinits: u64,
    /// Malformed identification lines or packet headers (the connection
    /// stops being parsed).
    pub malformed: u64,
    /// Identification lines of [`MAX_BANNER_LEN`] bytes or more.
    pub long_banners: u64,
    /// Versions cut to `max_banner_bytes`, HASSH strings not extended
    /// past `max_kexinit_bytes`.
    pub long_fields: u64,
    /// KEXINIT bodies over `max_kexinit_bytes`, skipped without HASSH.
    pub long_kex_records: u64,
    /// Gaps reported; the direction stops.
    pub gaps: u64,
}

/// Parsing state of one direction.
#[derive(Debug, Default)]
struct Dir {
    /// Bytes not consumed yet, waiting for `needed` of them.
    pending: Vec<u8>,
    needed: usize,
    /// Body bytes of the current packet still to skip (or, when
    /// `kexinit_pending`, the whole KEXINIT body waited for).
    record_left: u64,
    kexinit_pending: bool,
    /// A gap: nothing more is parsed in this direction.
    dead: bool,
}

/// What a step did with its input.
enum Step {
    /// Everything consumed.
    Done,
    /// `consumed` bytes used; wait until `needed` more (counted from the
    /// first unconsumed byte) are there.
    Incomplete { consumed: usize, needed: usize },
    /// Malformed: the connection stops.
    Failed,
}

#[derive(Debug, Default)]
pub struct SshConn {
    info: SshInfo,
    stats: SshStats,
    dirs: [Dir; 2],
    /// A malformed banner or packet: nothing more is parsed (Suricata
    /// then treats the transaction as finished for logging).
    failed: bool,
    /// HASSH was on when data was last parsed (it decides when to log).
    hassh: bool,
}

impl SshConn {
    pub fn new() -> SshConn {
        SshConn::default()
    }

    pub fn info(&self) -> &SshInfo {
        &self.info
    }

    pub fn stats(&self) -> &SshStats {
        &self.stats
    }

    /// Parsing stopped on malformed input.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Suricata logs the transaction now: both identification lines
    /// parsed (with HASSH on: both sides sent NEWKEYS), or parsing failed.
    /// (At the flow's end it is logged whatever its state.)
    pub fn ready_to_log(&self) -> bool {
        self.failed || self.info.ready_to_log(self.hassh)
    }

    /// Both sides sent NEWKEYS: the rest of the connection is encrypted.
    pub fn encrypted(&self) -> bool {
        self.info.sides.iter().all(|s| s.state == SshState::Finished)
    }

    /// `len` bytes of direction `dir` are missing: its framing is lost, so
    /// it stops.
    pub fn gap(&mut self, dir: usize, len: u64) {
        let Some(d) = self.dirs.get_mut(dir) else { return };
        if len == 0 || d.dead {
            return;
        }
        self.stats.gaps += 1;
        *d = Dir { dead: true, ..Dir::default() };
    }

    /// In-order stream bytes of one direction (0 = client->server), in
    /// arbitrary pieces.
    pub fn parse(&mut self, cfg: &SshConfig, dir: usize, data: &[u8], events: &mut Vec<SshEvent>) {
        self.hassh = cfg.hassh;
        if dir > 1 || data.is_empty() || self.failed || self.dirs[dir].dead || self.encrypted() {
            return;
        }
        // Bytes kept from earlier pieces come first; nothing is parsed
        // until as many as the last step asked for are there.
        let waiting = self.dirs[dir].needed > 0;
        let mut buf = std::mem::take(&mut self.dirs[dir].pending);
        let input: &[u8] = if waiting {
            buf.extend_from_slice(data);
            if buf.len() < self.dirs[dir].needed {
                self.dirs[dir].pending = buf;
                return;
            }
            &buf
        } else {
            data
        };
        self.dirs[dir].needed = 0;
        match self.step(cfg, dir, input, events) {
            Step::Done => {}
            Step::Incomplete { consumed, needed } => {
                let consumed = consumed.min(input.len());
                let keep = if waiting {
                    buf.drain(..consumed);
                    buf
                } else {
                    input[consumed..].to_vec()
                };
                let d = &mut self.dirs[dir];
                d.needed = needed.max(1);
                d.pending = keep;
            }
            Step::Failed => {
                self.failed = true;
                self.stats.malformed += 1;
                self.dirs = Default::default();
            }
        }
    }

    fn anomaly(&mut self, a: SshAnomaly) {
        if self.info.anomalies.len() < MAX_ANOMALIES {
            self.info.anomalies.push(a);
        }
    }

    fn set_state(&mut self, dir: usize, state: SshState, events: &mut Vec<SshEvent>) {
        let old = self.info.sides[dir].state;
        self.info.sides[dir].state = state;
        if old < SshState::BannerDone && state >= SshState::BannerDone {
            events.push(SshEvent::Banner(dir));
        }
        if state == SshState::Finished && old != SshState::Finished {
            events.push(SshEvent::NewKeys(dir));
        }
    }

    fn step(&mut self, cfg: &SshConfig, dir: usize, input: &[u8], events: &mut Vec<SshEvent>) -> Step {
        if self.info.sides[dir].state >= SshState::BannerDone {
            self.records(cfg, dir, input, events)
        } else {
            self.banner(cfg, dir, input, events)
        }
    }

    /// Copies the versions of an identification line (bounded).
    fn take_banner(&mut self, cfg: &SshConfig, dir: usize, b: parser::Banner<'_>) {
        self.stats.banners += 1;
        let side = &mut self.info.sides[dir];
        let fields = [(&mut side.proto_version, b.proto_version), (&mut side.software_version, b.software_version)];
        for ((field, v), sent) in fields.into_iter().zip(&mut side.sent_lens) {
            *sent += v.len();
            let room = cfg.max_banner_bytes.saturating_sub(field.len());
            if v.len() > room {
                self.stats.long_fields += 1;
            }
            field.extend_from_slice(&v[..v.len().min(room)]);
        }
    }

    fn banner(&mut self, cfg: &SshConfig, dir: usize, input: &[u8], events: &mut Vec<SshEvent>) -> Step {
        if self.info.sides[dir].state == SshState::BannerWaitEol {
            // Suricata 8.0 skips to the end of the over-long line and
            // parses packets after it, but leaves the side in this state:
            // each later piece is again searched for a line end first.
            return match parser::line(input) {
                Line::Complete { rest, .. } => self.records_after(cfg, dir, input, rest, events),
                Line::Incomplete => Step::Done,
            };
        }
        match parser::line(input) {
            Line::Complete { line, rest } => {
                let Some(b) = parser::banner(line) else {
                    self.anomaly(SshAnomaly::InvalidBanner);
                    return Step::Failed;
                };
                self.take_banner(cfg, dir, b);
                self.set_state(dir, SshState::BannerDone, events);
                if line.len() >= MAX_BANNER_LEN {
                    self.stats.long_banners += 1;
                    self.anomaly(SshAnomaly::LongBanner);
                }
                self.records_after(cfg, dir, input, rest, events)
            }
            Line::Incomplete if input.len() < MAX_BANNER_LEN => {
                Step::Incomplete { consumed: 0, needed: input.len() + 1 }
            }
            Line::Incomplete => {
                // Too long to wait for its end: take what is there.
                let Some(b) = parser::banner(input) else {
                    self.anomaly(SshAnomaly::InvalidBanner);
                    return Step::Failed;
                };
                self.take_banner(cfg, dir, b);
                self.set_state(dir, SshState::BannerWaitEol, events);
                self.stats.long_banners += 1;
                self.anomaly(SshAnomaly::LongBanner);
                Step::Done
            }
        }
    }

    /// Packets in `rest`, the tail of `input` after a line.
    fn records_after(
        &mut self,
        cfg: &SshConfig,
        dir: usize,
        input: &[u8],
        rest: &[u8],
        events: &mut Vec<SshEvent>,
    ) -> Step {
        match self.records(cfg, dir, rest, events) {
            Step::Incomplete { consumed, needed } => {
                Step::Incomplete { consumed: consumed + (input.len() - rest.len()), needed }
            }
            other => other,
        }
    }

    /// Computes the side's HASSH from a KEXINIT body. A second KEXINIT
    /// before NEWKEYS extends the string and appends a second hash, as
    /// Suricata does.
    fn hassh(&mut self, cfg: &SshConfig, dir: usize, body: &[u8], events: &mut Vec<SshEvent>) {
        let Some(k) = parser::kexinit(body) else { return };
        self.stats.kexinits += 1;
        let side = &mut self.info.sides[dir];
        let start = side.hassh_string.len();
        k.push_hassh_string(dir == 1, &mut side.hassh_string);
        if side.hassh_string.len() > cfg.max_kexinit_bytes {
            side.hassh_string.truncate(start);
            self.stats.long_fields += 1;
            return;
        }
        let h = parser::md5_hex(&side.hassh_string);
        side.hassh.extend_from_slice(&h);
        events.push(SshEvent::Hassh(dir));
    }

    /// Binary packets: framed, skipped, KEXINIT read (HASSH on), NEWKEYS
    /// noted.
    fn records(&mut self, cfg: &SshConfig, dir: usize, input: &[u8], events: &mut Vec<SshEvent>) -> Step {
        let total = input.len();
        let mut input = input;
        let d = &mut self.dirs[dir];
        if d.record_left > 0 {
            if d.record_left > input.len() as u64 {
                d.record_left -= input.len() as u64;
                return Step::Done;
            }
            let start = d.record_left as usize;
            d.record_left = 0;
            if std::mem::take(&mut d.kexinit_pending) && cfg.hassh {
                self.hassh(cfg, dir, &input[..start], events);
            }
            input = &input[start..];
        }
        while !input.is_empty() {
            let h = match parser::record_header(input) {
                Header::Ok(h) => h,
                Header::Incomplete => {
                    return Step::Incomplete { consumed: total - input.len(), needed: parser::RECORD_HEADER_LEN }
                }
                Header::Invalid => {
                    self.anomaly(SshAnomaly::InvalidRecord);
                    return Step::Failed;
                }
            };
            self.stats.records += 1;
            let body = &input[parser::RECORD_HEADER_LEN..];
            let body_len = u64::from(h.body_len());
            if body.len() as u64 >= body_len {
                let (msg, rest) = body.split_at(body_len as usize);
                match h.msg_code {
                    parser::MSG_KEXINIT if cfg.hassh => self.hassh(cfg, dir, msg, events),
                    parser::MSG_NEWKEYS => self.set_state(dir, SshState::Finished, events),
                    _ => {}
                }
                input = rest;
                continue;
            }
            // The packet continues in later pieces.
            let d = &mut self.dirs[dir];
            d.record_left = body_len - body.len() as u64;
            match h.msg_code {
                parser::MSG_NEWKEYS => self.set_state(dir, SshState::Finished, events),
                parser::MSG_KEXINIT if cfg.hassh => {
                    if body_len < cfg.max_kexinit_bytes as u64 {
                        // Wait for the whole body, then read it.
                        d.record_left = body_len;
                        d.kexinit_pending = true;
                        return Step::Incomplete { consumed: total - body.len(), needed: body_len as usize };
                    }
                    // Suricata 8.0.6 skips the whole body from here, the
                    // body bytes already in this piece included, so it
                    // overshoots the packet's end by that many bytes and
                    // loses the framing (fixed upstream later, redmine
                    // 8837). Kept: the same bytes give the same result.
                    d.record_left = body_len;
                    self.stats.long_kex_records += 1;
                    self.anomaly(SshAnomaly::LongKexRecord);
                }
                _ => {}
            }
            return Step::Done;
        }
        Step::Done
    }
}
