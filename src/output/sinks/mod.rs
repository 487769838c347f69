//! Where records go besides the main EVE file (`output.eve.path`): any
//! number of sinks, each with its own record-type filter. The output stage
//! hands every written record to the [`fanout`], which queues it for each
//! sink that wants its type. Each sink's queue is bounded and has its own
//! thread, so a slow or dead peer never stalls the packet path. Every
//! record a sink does not deliver is counted, by reason.
//!
//! A sink is one file implementing [`Sink`]: it takes whole records and
//! says how many it delivered.

pub mod elasticsearch;
pub mod fanout;
pub mod file;
pub mod http;
pub mod ocsf;
pub mod redis;
pub mod splunk_hec;
pub mod spool;
pub mod stdout;
pub mod syslog;
pub mod tls;
pub mod unix_dgram;
pub mod unix_stream;

use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::records::EventType;

/// One sink's settings (`output.sinks` is a list of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// What it is: `file`, `stdout`, `unix_stream` (connects to a listening
    /// Unix stream socket, one record per line), `unix_dgram` (one
    /// datagram per record), as Suricata's eve-log `filetype`s, `syslog`
    /// (RFC 5424 over UDP, TCP or TLS, options under `syslog:`), `redis` (a list
    /// or channel, options under `redis:`), `splunk_hec` (HTTP(S) push to
    /// Splunk's HTTP Event Collector, options under `splunk_hec:`),
    /// `elasticsearch` (HTTP(S) `_bulk` push, options under `elasticsearch:`)
    /// or `ocsf` (OCSF 1.1.0 for AWS Security Lake, JSON lines or Parquet,
    /// options under `ocsf:`).
    #[serde(rename = "type")]
    pub kind: SinkKind,
    /// Its name in metrics and the summary; default `<type>-<position>`.
    #[serde(default)]
    pub name: String,
    /// EVE `event_type`s it receives (alert, flow, netflow, http, dns, tls,
    /// ssh, ftp, ftp_data, fileinfo, anomaly, stats, packet); empty: all
    /// (an `ocsf` sink: all those with an OCSF class).
    #[serde(default)]
    pub types: Vec<String>,
    /// File or socket path (file, unix_stream, unix_dgram), or the file
    /// (`ocsf` json) or directory (`ocsf` parquet) of an `ocsf` sink.
    #[serde(default)]
    pub path: PathBuf,
    /// Records waiting for this sink at most; beyond, `overflow` applies.
    #[serde(default = "default_queue_records")]
    pub queue_records: usize,
    #[serde(default)]
    pub overflow: Overflow,
    /// Longest time a delivered record may sit in a write buffer, in ms.
    /// Buffers are also flushed whenever the sink's queue runs empty.
    #[serde(default = "default_flush_interval_ms")]
    pub flush_interval_ms: u64,
    /// Rotation and permissions of `file` sinks.
    #[serde(default)]
    pub file: file::FileOptions,
    /// An on-disk spool for records the peer cannot take now (stream
    /// sinks): they are delivered, in order, when it is back.
    #[serde(default)]
    pub spool: spool::SpoolConfig,
    /// Receiver and message fields of `syslog` sinks.
    #[serde(default)]
    pub syslog: syslog::SyslogOptions,
    /// Server, mode and key of `redis` sinks (checked only for them).
    #[serde(default)]
    pub redis: redis::RedisOptions,
    /// Collector, token, envelope fields, acknowledgements, batching and
    /// retries of `splunk_hec` sinks (checked only for them).
    #[serde(default)]
    pub splunk_hec: splunk_hec::SplunkHecOptions,
    /// Cluster, index pattern, credentials, batching and retries of
    /// `elasticsearch` sinks (checked only for them).
    #[serde(default)]
    pub elasticsearch: elasticsearch::ElasticsearchOptions,
    /// Format and Security Lake layout of `ocsf` sinks (checked only for them).
    #[serde(default)]
    pub ocsf: ocsf::OcsfOptions,
}

fn default_queue_records() -> usize {
    65_536
}

fn default_flush_interval_ms() -> u64 {
    1000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    File,
    Stdout,
    UnixStream,
    UnixDgram,
    Syslog,
    Redis,
    SplunkHec,
    Elasticsearch,
    Ocsf,
}

impl SinkKind {
    pub fn name(self) -> &'static str {
        match self {
            SinkKind::File => "file",
            SinkKind::Stdout => "stdout",
            SinkKind::UnixStream => "unix_stream",
            SinkKind::UnixDgram => "unix_dgram",
            SinkKind::Syslog => "syslog",
            SinkKind::Redis => "redis",
            SinkKind::SplunkHec => "splunk_hec",
            SinkKind::Elasticsearch => "elasticsearch",
            SinkKind::Ocsf => "ocsf",
        }
    }
}

/// What a full sink queue gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// The records that do not fit (the queue keeps the older ones).
    #[default]
    DropNewest,
    /// The oldest queued records, to make room.
    DropOldest,
}

impl SinkConfig {
    /// The name used in metrics: the configured one or `<type>-<index>`.
    pub fn label(&self, index: usize) -> String {
        if self.name.is_empty() {
            format!("{}-{index}", self.kind.name())
        } else {
            self.name.clone()
        }
    }

    /// Which record types it takes, by [`EventType::index`].
    pub fn filter(&self) -> Result<[bool; EventType::COUNT], String> {
        let mut f = [self.types.is_empty(); EventType::COUNT];
        if self.kind == SinkKind::Ocsf && self.types.is_empty() {
            // Only the record types that have an OCSF class.
            f = std::array::from_fn(|i| crate::output::ocsf::MAPPED_TYPES.contains(&EventType::ALL[i].name()));
        }
        for t in &self.types {
            let e = EventType::ALL.iter().find(|e| e.name() == t).ok_or_else(|| {
                let known: Vec<&str> = EventType::ALL.iter().map(|e| e.name()).collect();
                format!("unknown record type \"{t}\" (known: {})", known.join(", "))
            })?;
            f[e.index()] = true;
        }
        Ok(f)
    }

    pub fn validate(&self, index: usize) -> Result<(), String> {
        let at = |m: String| format!("output.sinks[{index}] ({}): {m}", self.label(index));
        self.filter().map_err(at)?;
        if self.queue_records == 0 {
            return Err(at("queue_records must be positive".into()));
        }
        let needs_path =
            matches!(self.kind, SinkKind::File | SinkKind::UnixStream | SinkKind::UnixDgram | SinkKind::Ocsf);
        if needs_path && self.path.as_os_str().is_empty() {
            return Err(at(format!("a {} sink needs a path", self.kind.name())));
        }
        if self.spool.enabled()
            && matches!(self.kind, SinkKind::File | SinkKind::Stdout | SinkKind::UnixDgram | SinkKind::Ocsf)
        {
            return Err(at(format!("a {} sink has no peer to wait for: spool is for stream sinks", self.kind.name())));
        }
        self.spool.validate().map_err(at)?;
        if self.kind == SinkKind::Syslog {
            self.syslog.validate().map_err(at)?;
        }
        if self.kind == SinkKind::Redis {
            self.redis.validate().map_err(at)?;
        }
        if self.kind == SinkKind::SplunkHec {
            self.splunk_hec.validate().map_err(at)?;
        }
        if self.kind == SinkKind::Elasticsearch {
            self.elasticsearch.validate().map_err(at)?;
        }
        if self.kind == SinkKind::Ocsf {
            if let Some(t) = self.types.iter().find(|t| !crate::output::ocsf::MAPPED_TYPES.contains(&t.as_str())) {
                return Err(at(format!(
                    "an ocsf sink cannot take \"{t}\" records: they have no OCSF class (it takes {})",
                    crate::output::ocsf::MAPPED_TYPES.join(", ")
                )));
            }
            self.ocsf.validate().map_err(at)?;
        }
        self.file.validate().map_err(at)
    }
}

/// Checks the whole list: each sink, and that names are unique (they
/// label metrics).
pub fn validate_all(sinks: &[SinkConfig]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for (i, s) in sinks.iter().enumerate() {
        s.validate(i)?;
        if !seen.insert(s.label(i)) {
            return Err(format!("output.sinks[{i}]: the name \"{}\" is used twice", s.label(i)));
        }
    }
    Ok(())
}

/// Why records were not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The sink's queue was full (`overflow` chose which).
    QueueFull,
    /// The peer was not there or stopped taking records.
    PeerDown,
    /// Writing failed (disk full, permissions...).
    WriteError,
    /// Larger than the transport carries (a datagram).
    TooLarge,
    /// Still queued when the shutdown's wait ran out.
    Shutdown,
    /// The on-disk spool was full (`spool.overflow` chose which).
    SpoolFull,
    /// The sink could not put it in its format (an `ocsf` sink: a record
    /// type with no OCSF class, a malformed record).
    Unmapped,
}

impl DropReason {
    pub const ALL: [DropReason; 7] = [
        DropReason::QueueFull,
        DropReason::PeerDown,
        DropReason::WriteError,
        DropReason::TooLarge,
        DropReason::Shutdown,
        DropReason::SpoolFull,
        DropReason::Unmapped,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::PeerDown => "peer_down",
            DropReason::WriteError => "write_error",
            DropReason::TooLarge => "too_large",
            DropReason::Shutdown => "shutdown",
            DropReason::SpoolFull => "spool_full",
            DropReason::Unmapped => "unmapped",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A delivery that stopped early.
#[derive(Debug)]
pub struct SinkError {
    /// Records delivered whole before the failure (counted as delivered).
    pub delivered: usize,
    /// Records not delivered whole, besides `delivered`, `refused` and `rejected`,
    /// from the failing one on; the fanout counts them under `reason`.
    pub reason: DropReason,
    /// Records refused one by one (too large), delivered ones excepted.
    pub refused: usize,
    /// Records the peer answered with an error one by one (a Redis error
    /// reply), counted as `write_error`; delivery went on after them.
    pub rejected: usize,
    pub message: String,
}

/// Whole records: each range of `lines` is one record, newline included.
pub struct Records<'a> {
    pub lines: &'a [u8],
    pub ranges: &'a [Range<usize>],
}

impl Records<'_> {
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.ranges.iter().filter_map(|r| self.lines.get(r.clone()))
    }
}

/// A destination for records.
pub trait Sink: Send {
    /// Delivers `records` in order. `Ok(refused)`: all delivered except
    /// `refused` too-large ones. `Err`: see [`SinkError`].
    fn deliver(&mut self, records: &Records<'_>) -> Result<usize, SinkError>;
    /// Pushes out anything buffered.
    fn flush(&mut self) -> Result<(), String>;
    /// SIGHUP: reopen (files, after rotation by logrotate).
    fn reopen(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Whether the peer is taking records now.
    fn up(&self) -> bool {
        true
    }
    /// Of the records the last `deliver` refused (`Ok(refused)` or
    /// `SinkError::refused`), how many because the sink could not put them
    /// in its format (counted as `unmapped`; the rest are `too_large`).
    fn take_unmapped(&mut self) -> usize {
        0
    }
    /// Called when no record came for `flush_interval_ms` (time-based work
    /// such as closing a file that is due).
    fn idle(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Shutdown: completes everything (files closed, footers written).
    fn close(&mut self) -> Result<(), String> {
        self.flush()
    }
}

/// How long a peer may stall a write or a reply before it counts as down.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(2);
/// A down peer is tried again at most this often.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// Lets a sink try to reach its peer at most once per [`RECONNECT_EVERY`],
/// so an outage costs one connection attempt a second, not one per block.
#[derive(Debug, Default)]
pub struct ReconnectGate {
    last_try: Option<Instant>,
}

impl ReconnectGate {
    /// A gate that has just been used: the next attempt waits a second.
    pub fn tried_now() -> Self {
        ReconnectGate { last_try: Some(Instant::now()) }
    }

    /// Whether an attempt may be made now (and, if so, records it).
    pub fn open(&mut self) -> bool {
        if self.last_try.is_some_and(|t| t.elapsed() < RECONNECT_EVERY) {
            return false;
        }
        self.last_try = Some(Instant::now());
        true
    }
}

/// Writes the records of one delivery, framed back to back in `out`, to
/// a stream; `ends[k] = (i, end)`: record `i`'s frame ends at byte `end`.
/// Written straight to the socket, so a record counts as delivered only
/// once all its bytes are there. On failure: the records wholly written,
/// and the index of the first one that was not.
pub fn write_framed(
    stream: &mut impl std::io::Write,
    out: &[u8],
    ends: &[(usize, usize)],
    records: usize,
) -> Result<(), (usize, usize, std::io::Error)> {
    let mut written = 0;
    while written < out.len() {
        let e = match stream.write(&out[written..]) {
            Ok(0) => std::io::Error::from(std::io::ErrorKind::WriteZero),
            Ok(n) => {
                written += n;
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => e,
        };
        let whole = ends.iter().take_while(|&&(_, end)| end <= written).count();
        let first_lost = ends.get(whole).map_or(records, |&(i, _)| i);
        return Err((whole, first_lost, e));
    }
    Ok(())
}

/// Opens the sink `cfg` describes.
pub fn open(cfg: &SinkConfig) -> Result<Box<dyn Sink>, String> {
    Ok(match cfg.kind {
        SinkKind::File => Box::new(file::FileSink::open(&cfg.path, &cfg.file)?),
        SinkKind::Stdout => Box::new(stdout::StdoutSink),
        SinkKind::UnixStream => Box::new(unix_stream::UnixStreamSink::new(&cfg.path)),
        SinkKind::UnixDgram => Box::new(unix_dgram::UnixDgramSink::new(&cfg.path)?),
        SinkKind::Syslog => Box::new(syslog::SyslogSink::new(&cfg.syslog)?),
        SinkKind::Redis => Box::new(redis::RedisSink::new(&cfg.redis)),
        SinkKind::SplunkHec => Box::new(splunk_hec::SplunkHecSink::new(&cfg.splunk_hec)?),
        SinkKind::Elasticsearch => Box::new(elasticsearch::ElasticsearchSink::new(&cfg.elasticsearch)?),
        SinkKind::Ocsf => Box::new(ocsf::OcsfSink::open(&cfg.path, &cfg.ocsf, &cfg.file)?),
    })
}

/// A sink's counters, shared by its thread, the metrics and the summary.
#[derive(Debug, Default)]
pub struct SinkCounters {
    pub delivered: AtomicU64,
    pub bytes: AtomicU64,
    pub dropped: [AtomicU64; DropReason::COUNT],
    /// Records waiting in its queue.
    pub queued: AtomicUsize,
    pub up: AtomicBool,
    /// Records and bytes waiting in its spool.
    pub spooled: AtomicU64,
    pub spooled_bytes: AtomicU64,
}

impl SinkCounters {
    pub fn drop_records(&self, reason: DropReason, n: u64) {
        self.dropped[reason.index()].fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self, name: &str) -> SinkStats {
        SinkStats {
            name: name.to_string(),
            delivered: self.delivered.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            dropped: std::array::from_fn(|i| self.dropped[i].load(Ordering::Relaxed)),
            queued: self.queued.load(Ordering::Relaxed),
            up: self.up.load(Ordering::Relaxed),
            spooled: self.spooled.load(Ordering::Relaxed),
            spooled_bytes: self.spooled_bytes.load(Ordering::Relaxed),
        }
    }
}

/// A sink's counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkStats {
    pub name: String,
    pub delivered: u64,
    pub bytes: u64,
    pub dropped: [u64; DropReason::COUNT],
    pub queued: usize,
    pub up: bool,
    pub spooled: u64,
    pub spooled_bytes: u64,
}

impl SinkStats {
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    /// One summary line: `eve-alerts: 120 records delivered (48 KB); dropped: queue_full=3`.
    pub fn summary_line(&self) -> String {
        let drops: Vec<String> = DropReason::ALL
            .iter()
            .filter(|r| self.dropped[r.index()] > 0)
            .map(|r| format!("{}={}", r.name(), self.dropped[r.index()]))
            .collect();
        let drops = if drops.is_empty() { "none".to_string() } else { drops.join(" ") };
        let spool =
            if self.spooled > 0 { format!("; {} records left in the spool", self.spooled) } else { String::new() };
        format!(
            "sink {}: {} records delivered, {} bytes; dropped: {drops}{spool}",
            self.name, self.delivered, self.bytes
        )
    }
}

#[cfg(test)]
mod tests;
