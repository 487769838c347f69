//! FTP control channel with Suricata 8's semantics: one transaction per
//! command, with the reply lines that answer it (a multi-line `123-...` /
//! `123 ...` reply and a `1yz` preliminary reply before the final one stay
//! with their command; a reply with no command waiting opens a transaction
//! of its own, as the server's banner does). The data connections the
//! commands announce (PORT/EPRT, 227/229 replies, then RETR, STOR, LIST...)
//! are handed on as [`Transfer`]s; `expect.rs` keeps them until the data
//! connection shows up, `data.rs` parses that connection (`ftp-data`).
//!
//! Data is handled as Suricata's app layer hands it over: lines end at
//! `\n`; an incomplete line waits (bounded by
//! [`FtpConfig::max_line_bytes`]); a longer line is cut there, flagged
//! truncated, and the rest of it skipped. What is kept per connection is
//! bounded: transactions ([`FtpConfig::max_transactions`], as Suricata's
//! `max-tx`: past it the connection is no longer parsed), reply lines per
//! transaction ([`FtpConfig::max_reply_lines`]); overflows are counted.
//!
//! Layout: this file holds the connection state machine; `parser.rs` the
//! pure wire parsing.

pub mod data;
pub mod expect;
pub mod parser;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use parser::{Command, Kind, Line};

/// Settings of the FTP parser (`app.ftp`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FtpConfig {
    /// Longest command or reply line kept, its terminator included
    /// (Suricata's `max-line-length`, 4 KiB); longer ones are cut there and
    /// flagged truncated (`request_command_too_long` /
    /// `response_command_too_long`).
    pub max_line_bytes: usize,
    /// Transactions open at once per connection (Suricata's `max-tx`);
    /// past it, as in Suricata, the connection is no longer parsed
    /// (counted in [`FtpStats::tx_limit_hits`]).
    pub max_transactions: usize,
    /// Reply lines kept per transaction; more are counted in
    /// [`FtpStats::reply_lines_dropped`], not kept (Suricata keeps them
    /// all).
    pub max_reply_lines: usize,
    /// Data connections announced and not yet seen, per worker, and how
    /// long one is waited for.
    pub expectations: expect::ExpectConfig,
}

impl Default for FtpConfig {
    fn default() -> Self {
        FtpConfig {
            max_line_bytes: 4096,
            max_transactions: 1024,
            max_reply_lines: 256,
            expectations: expect::ExpectConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FtpStats {
    /// Transactions opened (commands, and replies without one).
    pub transactions: u64,
    /// Command lines without a command Suricata knows (no transaction).
    pub unknown_commands: u64,
    /// Lines cut at `max_line_bytes`.
    pub long_lines: u64,
    /// Reply lines not kept past `max_reply_lines`.
    pub reply_lines_dropped: u64,
    /// Connections no longer parsed because `max_transactions` were open.
    pub tx_limit_hits: u64,
    /// Data connections announced.
    pub transfers: u64,
    /// Transfer commands without a data port, or without a file name.
    pub transfers_refused: u64,
    /// Gaps reported; the direction's line in progress is dropped.
    pub gaps: u64,
}

/// One reply line as Suricata keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyLine {
    /// The completion code (three digits), when the line has one.
    pub code: Option<[u8; 3]>,
    /// The text, as lossy UTF-8 (what Suricata logs).
    pub text: Vec<u8>,
    pub truncated: bool,
}

/// A command and its replies.
#[derive(Debug, Clone, Default)]
pub struct FtpTx {
    pub id: u64,
    /// None: a reply with no command waiting, a line matching Suricata's
    /// `UNKNOWN` pattern, or a command whose reply came after an unknown
    /// command line (Suricata forgets the command then).
    pub command: Option<Command>,
    /// The command line, trailing whitespace removed.
    pub request: Vec<u8>,
    pub request_truncated: bool,
    pub replies: Vec<ReplyLine>,
    /// The data port a reply or the command announced, and whether the
    /// server connects (active) or the client (passive).
    pub dyn_port: u16,
    pub active: bool,
    /// A final (not `1yz`) reply came.
    pub done: bool,
    pub logged: bool,
    /// Detection is done with the request / the reply.
    pub inspected: [bool; 2],
    /// Events raised on the command (bits of `events::FTP_EVENTS`).
    pub events: u32,
}

impl FtpTx {
    /// `command_data`: the line after the command name and one byte,
    /// wherever the name was found (Suricata's offset).
    pub fn command_data(&self) -> Option<&[u8]> {
        let c = self.command?;
        self.request.get(c.len() + 1..)
    }
}

/// A data connection a command announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The port the data connection goes to (its server's port).
    pub port: u16,
    /// The data goes from the data connection's client to its server
    /// (active download, passive upload).
    pub data_to_server: bool,
    pub command: Command,
    /// The file (RETR, STOR, APPE; `<stou>` for STOU); None for listings.
    pub file_name: Option<Vec<u8>>,
}

/// A point detection cares about was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FtpEvent {
    /// Transaction `id`'s command was parsed.
    Request(u64),
    /// Transaction `id` got its final reply.
    Reply(u64),
}

/// An app-layer event of a transaction (Suricata's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FtpAnomaly {
    pub event: &'static str,
    pub tx: u64,
    pub dir: u8,
}

/// Anomalies kept until the session collects them.
const MAX_ANOMALIES: usize = 64;

/// Line assembly of one direction.
#[derive(Debug, Default)]
struct Dir {
    /// An incomplete line (under `max_line_bytes`).
    pending: Vec<u8>,
    /// A cut line's rest is being skipped, up to its `\n`.
    skip: bool,
}

#[derive(Debug, Default)]
pub struct FtpConn {
    txs: VecDeque<FtpTx>,
    next_id: u64,
    /// The latest command line (Suricata's `state->command`): replies are
    /// read in its light, whichever transaction they go to. None after a
    /// line without a known command.
    last: Option<Command>,
    /// The latest PORT/EPRT line, as sent.
    port_line: Vec<u8>,
    dyn_port: u16,
    active: bool,
    dirs: [Dir; 2],
    /// Past `max_transactions`: nothing more is parsed.
    failed: bool,
    /// The client's address, first four bytes (what `ftpbounce` compares).
    client: [u8; 4],
    anomalies: Vec<FtpAnomaly>,
    transfers: Vec<Transfer>,
    stats: FtpStats,
}

impl FtpConn {
    /// `client`: the first four bytes of the client's address.
    pub fn new(client: [u8; 4]) -> FtpConn {
        FtpConn { client, ..FtpConn::default() }
    }

    pub fn stats(&self) -> &FtpStats {
        &self.stats
    }

    /// Transactions opened so far (EVE `flow.tx_cnt`).
    pub fn tx_count(&self) -> u64 {
        self.next_id
    }

    pub fn failed(&self) -> bool {
        self.failed
    }

    pub fn tx(&self, id: u64) -> Option<&FtpTx> {
        self.txs.iter().find(|t| t.id == id)
    }

    pub fn tx_mut(&mut self, id: u64) -> Option<&mut FtpTx> {
        self.txs.iter_mut().find(|t| t.id == id)
    }

    pub fn txs_mut(&mut self) -> impl Iterator<Item = &mut FtpTx> {
        self.txs.iter_mut()
    }

    pub fn remove_tx(&mut self, id: u64) {
        self.txs.retain(|t| t.id != id);
    }

    /// Frees the transactions logged (or not to be logged) and inspected.
    pub fn prune(&mut self, keep_for_log: bool) {
        self.txs.retain(|t| !(t.done && (t.logged || !keep_for_log) && t.inspected == [true; 2]));
    }

    /// `ftpbounce` as Suricata evaluates it: on the connection's latest
    /// command, not the transaction's (a PORT followed by another command
    /// in the same segment is not tested).
    pub fn bounce(&self) -> bool {
        self.last.is_some_and(|c| c.is("PORT")) && parser::bounce(&self.port_line, self.client)
    }

    /// Hands the anomalies raised so far to `f`.
    pub fn drain_anomalies(&mut self, mut f: impl FnMut(FtpAnomaly)) {
        for a in self.anomalies.drain(..) {
            f(a);
        }
    }

    /// The data connections announced since the last call.
    pub fn take_transfers(&mut self) -> Vec<Transfer> {
        std::mem::take(&mut self.transfers)
    }

    fn anomaly(&mut self, event: &'static str, tx: u64, dir: u8) {
        if let Some(t) = self.tx_mut(tx) {
            t.events |= crate::app::events::event_bit(crate::app::events::EventProto::Ftp, event);
        }
        if self.anomalies.len() < MAX_ANOMALIES {
            self.anomalies.push(FtpAnomaly { event, tx, dir });
        }
    }

    /// `len` bytes of direction `dir` are missing: the line in progress is
    /// lost (the next `\n` ends whatever the gap cut).
    pub fn gap(&mut self, dir: usize, len: u64) {
        let Some(d) = self.dirs.get_mut(dir) else { return };
        if len == 0 {
            return;
        }
        self.stats.gaps += 1;
        d.pending.clear();
        d.skip = true;
    }

    /// In-order stream bytes of one direction (0 = client->server), in
    /// arbitrary pieces.
    pub fn parse(&mut self, cfg: &FtpConfig, dir: usize, data: &[u8], events: &mut Vec<FtpEvent>) {
        if dir > 1 || data.is_empty() || self.failed {
            return;
        }
        let max = cfg.max_line_bytes.max(8);
        // Replies go to the oldest transaction still waiting, searched from
        // the one the previous line of this piece went to.
        let mut cursor = 0;
        let mut rest = data;
        if self.dirs[dir].skip {
            // Suricata drops the rest of the piece holding the cut line's
            // end along with it.
            if memchr::memchr(b'\n', rest).is_some() {
                self.dirs[dir].skip = false;
            }
            return;
        }
        if !self.dirs[dir].pending.is_empty() {
            let mut line = std::mem::take(&mut self.dirs[dir].pending);
            match memchr::memchr(b'\n', rest) {
                Some(lf) if line.len() + lf < max - 1 => {
                    line.extend_from_slice(&rest[..lf]);
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    self.line(cfg, dir, &line, false, &mut cursor, events);
                    rest = &rest[lf + 1..];
                }
                Some(lf) => {
                    let take = (max - line.len()).min(lf + 1);
                    line.extend_from_slice(&rest[..take]);
                    self.long_line(cfg, dir, &line, Some(&rest[lf + 1..]), &mut cursor, events);
                    rest = &[];
                }
                None if line.len() + rest.len() >= max => {
                    let take = max - line.len();
                    line.extend_from_slice(&rest[..take]);
                    self.long_line(cfg, dir, &line, None, &mut cursor, events);
                    rest = &[];
                }
                None => {
                    line.extend_from_slice(rest);
                    self.dirs[dir].pending = line;
                    return;
                }
            }
            line.clear();
            self.dirs[dir].pending = line;
            if rest.is_empty() {
                return;
            }
        }
        while !self.failed {
            match parser::next_line(rest, max) {
                Line::Complete { line, rest: r } => {
                    self.line(cfg, dir, line, false, &mut cursor, events);
                    rest = r;
                }
                Line::Long { line, rest: r } => return self.long_line(cfg, dir, line, Some(r), &mut cursor, events),
                Line::Incomplete if rest.len() >= max => {
                    return self.long_line(cfg, dir, &rest[..max], None, &mut cursor, events)
                }
                Line::Incomplete => {
                    let d = &mut self.dirs[dir];
                    d.pending.clear();
                    d.pending.extend_from_slice(rest);
                    return;
                }
            }
        }
    }

    /// A line cut at the limit. Suricata drops what follows it in the same
    /// piece; the rest of the line is skipped unless its end (`after`,
    /// what follows the `\n`) is here and the line was taken.
    fn long_line(
        &mut self,
        cfg: &FtpConfig,
        dir: usize,
        line: &[u8],
        after: Option<&[u8]>,
        cursor: &mut usize,
        events: &mut Vec<FtpEvent>,
    ) {
        self.stats.long_lines += 1;
        let taken = self.line(cfg, dir, line, true, cursor, events);
        self.dirs[dir].skip = match after {
            None => true,
            // Not taken: the cut line's flag stays, and the next `\n` (with
            // everything after it in the piece) is dropped; here it is this
            // piece's rest.
            Some(rest) => !taken && memchr::memchr(b'\n', rest).is_none(),
        };
    }

    /// One line; returns whether it was taken (a transaction opened, or a
    /// reply line kept).
    fn line(
        &mut self,
        cfg: &FtpConfig,
        dir: usize,
        line: &[u8],
        truncated: bool,
        cursor: &mut usize,
        events: &mut Vec<FtpEvent>,
    ) -> bool {
        if dir == 0 {
            self.request(cfg, line, truncated, events)
        } else {
            self.reply(cfg, line, truncated, cursor, events)
        }
    }

    /// Room for one more transaction; past the limit the connection stops.
    fn room(&mut self, cfg: &FtpConfig) -> bool {
        let oldest = self.txs.front().map_or(self.next_id, |t| t.id);
        if self.next_id - oldest > cfg.max_transactions as u64 {
            self.failed = true;
            self.stats.tx_limit_hits += 1;
            return false;
        }
        true
    }

    fn open_tx(&mut self, command: Option<Command>, request: &[u8], truncated: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.stats.transactions += 1;
        self.txs.push_back(FtpTx {
            id,
            command,
            request: request.to_vec(),
            request_truncated: truncated,
            ..FtpTx::default()
        });
        id
    }

    fn request(&mut self, cfg: &FtpConfig, line: &[u8], truncated: bool, events: &mut Vec<FtpEvent>) -> bool {
        let found = parser::find_command(line);
        // The UNKNOWN pattern opens a transaction but is no command.
        self.last = found.filter(|c| c.name().is_some());
        let Some(cmd) = found else {
            self.stats.unknown_commands += 1;
            return false;
        };
        if !self.room(cfg) {
            return false;
        }
        let request = parser::trim_end(line);
        let id = self.open_tx(self.last, request, truncated);
        if truncated {
            self.anomaly("request_command_too_long", id, 0);
        }
        events.push(FtpEvent::Request(id));
        match cmd.kind() {
            Kind::Active => {
                self.port_line.clear();
                self.port_line.extend_from_slice(line);
            }
            Kind::Transfer { upload } => self.transfer(cmd, upload, id),
            Kind::Passive | Kind::Other => {}
        }
        true
    }

    /// A transfer command: announces its data connection when a data port
    /// is known (and, for a file, the file is named).
    fn transfer(&mut self, cmd: Command, upload: bool, id: u64) {
        let Some(request) = self.tx(id).map(|t| &t.request) else { return };
        let name = request.get(cmd.len() + 1..).filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
        let refused = if self.dyn_port == 0 {
            Some("file_before_port")
        } else if cmd.carries_file() && name.is_none() && !cmd.is("STOU") {
            Some("file_without_name")
        } else {
            None
        };
        if let Some(event) = refused {
            self.stats.transfers_refused += 1;
            return self.anomaly(event, id, 0);
        }
        let file_name = match () {
            _ if cmd.is("STOU") => Some(b"<stou>".to_vec()),
            _ if cmd.carries_file() => name,
            _ => None,
        };
        // The data goes to the connection's client when the server sends
        // to a passive client or an active server receives.
        let data_to_server = self.active != upload;
        self.transfers.push(Transfer { port: self.dyn_port, data_to_server, command: cmd, file_name });
        self.stats.transfers += 1;
        self.dyn_port = 0;
        self.active = false;
    }

    /// The transaction a reply line goes to: the oldest one waiting for its
    /// reply, from `cursor` on; else the last one; else a new one.
    fn reply_tx(&mut self, cfg: &FtpConfig, cursor: &mut usize) -> Option<usize> {
        let start = (*cursor).min(self.txs.len());
        let found = self.txs.iter().skip(start).position(|t| !t.done).map(|i| start + i);
        let i = match found.or_else(|| self.txs.len().checked_sub(1)) {
            Some(i) => i,
            None => {
                if !self.room(cfg) {
                    return None;
                }
                self.open_tx(None, b"", false);
                // No command: nothing to inspect on the request side.
                if let Some(t) = self.txs.back_mut() {
                    t.inspected[0] = true;
                }
                self.txs.len() - 1
            }
        };
        *cursor = i;
        Some(i)
    }

    fn reply(
        &mut self,
        cfg: &FtpConfig,
        line: &[u8],
        truncated: bool,
        cursor: &mut usize,
        events: &mut Vec<FtpEvent>,
    ) -> bool {
        let Some(i) = self.reply_tx(cfg, cursor) else { return false };
        let last = self.last;
        // A port that does not parse completes the transaction without the
        // line (Suricata's `goto tx_complete`).
        let mut keep = true;
        let port = match last.map(|c| (c, c.kind())) {
            Some((c, Kind::Active)) => {
                let p = if c.is("PORT") {
                    parser::port_command(&self.port_line)
                } else {
                    parser::eprt_command(&self.port_line)
                };
                keep = p.is_some();
                p.map(|p| (p, true))
            }
            Some((c, Kind::Passive)) => {
                let p = if c.is("PASV") { parser::pasv_reply(line) } else { parser::epsv_reply(line) };
                p.map(|p| (p, false))
            }
            _ => None,
        };
        if let Some((p, active)) = port {
            self.dyn_port = p;
            self.active = active;
        }
        let (max_lines, id) = (cfg.max_reply_lines, self.txs[i].id);
        let tx = &mut self.txs[i];
        if last.is_none() {
            tx.command = None;
        }
        if let Some((p, active)) = port {
            tx.dyn_port = p;
            tx.active = active;
        }
        let mut taken = false;
        if keep && !line.is_empty() {
            taken = true;
            if let Some(r) = parser::reply(line) {
                if tx.replies.len() < max_lines {
                    let text = String::from_utf8_lossy(r.text).into_owned().into_bytes();
                    tx.replies.push(ReplyLine { code: r.code, text, truncated });
                } else {
                    self.stats.reply_lines_dropped += 1;
                }
            }
            if truncated {
                self.anomaly("response_command_too_long", id, 1);
            }
            if parser::is_preliminary(line) {
                return taken;
            }
        }
        let tx = &mut self.txs[i];
        if !tx.done {
            tx.done = true;
            events.push(FtpEvent::Reply(id));
        }
        taken
    }
}
