//! Detection: compiled signatures, grouped by transport protocol, each
//! group prefiltered by a Hyperscan database of fast patterns; candidates
//! are verified with Suricata's semantics ([`program`], [`eval`]).
//!
//! The [`DetectEngine`] is immutable and shared by all workers (behind an
//! `Arc`, swapped whole on reload); each worker owns a [`DetectCtx`] with
//! its Hyperscan scratch, regex clones and candidate buffers.

pub mod asn1;
pub mod bytes;
pub mod datasets;
mod eval;
mod gate;
pub mod hoststate;
pub mod iponly;
pub mod mpm_cache;
pub mod prefilter;
pub mod program;
mod regexes;
pub mod reputation;
pub mod signature;
pub mod tx;
pub mod txsig;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use eval::{DetectInput, FlowDetectState, FlowInfo};
use gate::Gates;
use hoststate::HostState;
use iponly::IpOnlyIndex;
use prefilter::PrefilterDb;
pub use program::Placement;
use program::ProgramScratch;
use signature::{CompileContext, FlowbitNames};
pub use signature::{Inspect, ProtoClass, Signature};

use crate::rules::classification::Classifications;
use crate::rules::header::ActionClass;
use crate::rules::{AppBuffer, AppCheck, ErrorKind, FailedRule, ParsedRules};

/// Detection settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Order in which rule actions are evaluated; a matching `pass` stops
    /// the rules after it (Suricata's `action-order`).
    pub action_order: Vec<ActionClass>,
    /// Alerts kept per packet; the rest are counted as overflow.
    pub packet_alert_max: usize,
    /// `classification.config` to load; when unset, the file next to the
    /// first rule file is used if present, else the built-in table.
    pub classification_file: Option<std::path::PathBuf>,
    /// `threshold.config` (suppress, threshold, rate_filter lines).
    pub threshold_file: Option<std::path::PathBuf>,
    /// Rule files (or directories of `*.rules`) loaded when the command
    /// line names none.
    pub rule_files: Vec<std::path::PathBuf>,
    /// Alerts of packet and stream rules on TCP show the transaction of
    /// their direction, flagged `tx_guessed` (Suricata's
    /// `detect.guess-applayer-tx`; on UDP the transaction of the datagram
    /// is always shown to rules of an application protocol).
    pub guess_applayer_tx: bool,
    /// xbits kept per worker (host and IP-pair bits together); when full
    /// of live bits, new ones are not set and counted.
    pub xbits_max_entries: usize,
    /// Hosts with running `tag:host` tags per worker; more are counted.
    pub tagged_hosts_max: usize,
    /// Sets for `dataset`/`datarep` (Suricata's `datasets:` section).
    pub datasets: datasets::DatasetsConfig,
    /// IP reputation for `iprep`.
    pub reputation: reputation::ReputationConfig,
    /// Compiled prefilter databases kept on disk between loads.
    pub mpm_cache: mpm_cache::MpmCacheConfig,
    /// Threads compiling the prefilter databases the cache does not hold
    /// (0: one per core). More threads load faster and take more memory
    /// while they do: ET Open on 2 cores loads cold in 2.0-2.3 s with a
    /// 310 MB peak on 1 thread, 1.5-2.1 s and 388 MB on 2.
    pub compile_threads: usize,
    /// Threads parsing rule text and compiling pcre expressions (0: one
    /// per core). They take little memory: on 2 cores ET Open plus the
    /// bundled rules load from the prefilter cache in 0.42-0.49 s on two
    /// threads, 0.52-0.54 s on one.
    pub load_threads: usize,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            action_order: vec![ActionClass::Pass, ActionClass::Drop, ActionClass::Reject, ActionClass::Alert],
            packet_alert_max: 15,
            classification_file: None,
            threshold_file: None,
            rule_files: Vec::new(),
            guess_applayer_tx: false,
            xbits_max_entries: 65_536,
            tagged_hosts_max: 4096,
            datasets: datasets::DatasetsConfig::default(),
            reputation: reputation::ReputationConfig::default(),
            mpm_cache: mpm_cache::MpmCacheConfig::default(),
            compile_threads: 1,
            load_threads: 0,
        }
    }
}

/// Signatures of one transport class and packet direction, for one kind
/// of buffer.
struct Group {
    prefilter: PrefilterDb,
    /// Signatures with no usable fast pattern: candidates for every buffer
    /// whose header they may match.
    always: Vec<gate::Unfiltered>,
    /// Streamed packets only: signatures selected by size or port
    /// instead of the prefilter (elsewhere fast patterns filter better).
    gates: Gates,
}

/// What is inspected, which decides the signatures that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferKind {
    /// A packet whose payload is not part of a reassembled stream.
    Packet = 0,
    /// A TCP packet whose payload went into the stream: only packet-only
    /// rules (`tcp-pkt`, dsize, no payload keywords) look at it; the others
    /// see its bytes in the stream.
    StreamedPacket = 1,
    /// A window of reassembled stream.
    Stream = 2,
}

impl BufferKind {
    const ALL: [BufferKind; 3] = [BufferKind::Packet, BufferKind::StreamedPacket, BufferKind::Stream];

    /// Whether signature `s` is evaluated on this kind of buffer.
    pub fn applies(self, s: &Signature) -> bool {
        let payload = s.program.is_some();
        match self {
            BufferKind::Packet => !payload || s.inspect != Inspect::Stream,
            BufferKind::StreamedPacket => !payload || s.inspect == Inspect::Packet,
            BufferKind::Stream => payload && s.inspect != Inspect::Packet,
        }
    }
}

/// Why rules did not load, and what loaded.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub loaded: usize,
    pub failed: Vec<FailedRule>,
    pub disabled: usize,
    pub iponly: usize,
    /// Signatures inspecting application-layer transactions.
    pub app_layer: usize,
    pub prefiltered: usize,
    pub unprefiltered: usize,
    pub patterns: usize,
    /// What the prefilter cache did during this load, and where.
    pub mpm_cache: mpm_cache::MpmCacheStats,
    pub mpm_cache_dir: Option<std::path::PathBuf>,
}

impl LoadReport {
    /// The load summary's cache line, e.g. `prefilter cache: 80 of 80 databases read from DIR`.
    pub fn mpm_cache_summary(&self) -> String {
        self.mpm_cache.describe(self.mpm_cache_dir.as_deref())
    }

    /// Skipped rules counted by reason class.
    pub fn by_kind(&self) -> BTreeMap<ErrorKind, usize> {
        let mut m = BTreeMap::new();
        for f in &self.failed {
            *m.entry(f.error.kind).or_insert(0) += 1;
        }
        m
    }
}

pub struct DetectEngine {
    pub sigs: Vec<Signature>,
    /// Indexed by `group_index(class, to_client, kind)`: rules restricted
    /// to one flow direction only sit in that direction's group, so the
    /// prefilter for server responses (most of the bytes) holds a fraction
    /// of the patterns; and a streamed packet is scanned only for the few
    /// packet-only rules.
    groups: Vec<Group>,
    /// Transaction signatures, one group per [`crate::app::Progress`].
    tx_groups: Vec<tx::TxGroup>,
    iponly: IpOnlyIndex,
    /// Compiled regexes (workers clone them: pcre2 match data is not
    /// shared between threads without a lock).
    regexes: Vec<pcre2::bytes::Regex>,
    pub flowbits: FlowbitNames,
    pub flowints: FlowbitNames,
    pub xbits: FlowbitNames,
    pub config: DetectConfig,
    pub report: LoadReport,
    /// A rule uses a JA3/JA3S keyword: the TLS parser computes them then
    /// (`ja3-fingerprints: auto`).
    pub uses_ja3: bool,
    /// Some alerting rule has `tag`: packets are checked against tags.
    pub has_tags: bool,
    /// The sets `dataset`/`datarep` keywords use (shared by all workers).
    pub datasets: datasets::DatasetStore,
    /// IP reputation, when configured.
    pub reputation: Option<reputation::IpReputation>,
}

/// What the loaded rules need of file tracking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileNeeds {
    /// Some rule inspects files (name, size, digest) or stores them.
    pub files: bool,
    pub hashes: crate::app::files::HashKinds,
    /// Some rule has `filestore`.
    pub store: bool,
}

impl DetectEngine {
    /// What the rules need of file tracking (files are only tracked, and
    /// digests only computed, when something needs them).
    pub fn file_needs(&self) -> FileNeeds {
        use crate::rules::app::HashAlgo;
        let mut n = FileNeeds::default();
        for s in &self.sigs {
            n.store |= s.filestore.is_some();
            let Some(tx) = &s.tx else { continue };
            for c in tx.checks.iter() {
                match c {
                    AppCheck::FileHash { algo, .. } => {
                        n.files = true;
                        match algo {
                            HashAlgo::Md5 => n.hashes.md5 = true,
                            HashAlgo::Sha1 => n.hashes.sha1 = true,
                            HashAlgo::Sha256 => n.hashes.sha256 = true,
                        }
                    }
                    AppCheck::FileSize(_) | AppCheck::HasFile => n.files = true,
                    _ => {}
                }
            }
            n.files |= tx.variants.iter().flat_map(|v| v.buffers.iter()).any(|b| b.buffer == AppBuffer::FileName);
        }
        n.files |= n.store;
        n
    }
}

impl std::fmt::Debug for DetectEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DetectEngine").field("signatures", &self.sigs.len()).finish()
    }
}

const GROUPS: usize = 4 * 2 * 3;

/// The group for buffers of a transport class in one direction (packets
/// without a flow use the to-server group, which also holds every rule
/// that names no direction).
fn group_index(class: ProtoClass, to_client: bool, kind: BufferKind) -> usize {
    (class as usize * 2 + usize::from(to_client)) * 3 + kind as usize
}

/// Rank of a signature that changes (`sets`) and/or tests (`reads`) some
/// state: setters run before readers, so a bit set by one rule is seen by
/// another on the same packet.
fn setter_rank(sets: bool, reads: bool) -> u8 {
    match (sets, reads) {
        (true, false) => 0,
        (true, true) => 1,
        (false, true) => 2,
        (false, false) => 3,
    }
}

/// Flowbits and flowints (`flowbit_actions` hold only set/unset/toggle).
fn flowbits_rank(s: &Signature) -> u8 {
    let sets = !s.flowbit_actions.is_empty() || !s.flowint_actions.is_empty();
    setter_rank(sets, !s.flowbit_tests.is_empty() || !s.flowint_tests.is_empty())
}

/// xbits, ordered after flowbits as in Suricata.
fn xbits_rank(s: &Signature) -> u8 {
    setter_rank(
        !s.xbit_actions.is_empty() || !s.tx_bit_sets.is_empty(),
        !s.xbit_tests.is_empty() || !s.tx_bit_tests.is_empty(),
    )
}

impl DetectEngine {
    /// Compiles parsed rules. Rules that cannot run are reported in
    /// `report.failed` with the reason; the others load.
    pub fn build(
        parsed: ParsedRules,
        classifications: &Classifications,
        config: DetectConfig,
    ) -> Result<DetectEngine, String> {
        let mut flowbits = FlowbitNames::default();
        let mut xbits = FlowbitNames::default();
        let mut flowints = FlowbitNames::default();
        let mut regexes = regexes::RegexTable::prepare(&parsed.rules, crate::util::par::threads(config.load_threads));
        let mut report = LoadReport { failed: parsed.failed, disabled: parsed.disabled, ..LoadReport::default() };
        let mut sigs = Vec::with_capacity(parsed.rules.len());
        let uses_ja3 = parsed.rules.iter().flat_map(|r| &r.buffers).any(|b| {
            use crate::rules::AppBuffer::{Ja3Hash, Ja3String, Ja3sHash, Ja3sString};
            matches!(b.buffer, crate::rules::Buffer::App(Ja3Hash | Ja3String | Ja3sHash | Ja3sString))
        });
        let mut datasets = datasets::DatasetStore::from_config(&config.datasets);
        // A reputation file that does not load skips the iprep rules, with
        // the file, line and problem as their reason.
        let (reputation, reputation_error) = match reputation::IpReputation::load(&config.reputation) {
            Ok(r) => (r, None),
            Err(e) => (None, Some(e.to_string())),
        };
        for rule in &parsed.rules {
            let mut cx = CompileContext {
                classifications,
                flowbits: &mut flowbits,
                flowints: &mut flowints,
                xbits: &mut xbits,
                regexes: &mut regexes,
                datasets: &mut datasets,
                reputation: reputation.as_ref(),
                reputation_error: reputation_error.as_deref(),
            };
            match signature::compile(rule, &mut cx) {
                Ok(s) => sigs.push(s),
                Err(error) => {
                    report.failed.push(FailedRule { location: rule.location.clone(), sid: Some(rule.sid), error })
                }
            }
        }
        // The parsed rules are not needed any more: freeing 25k of them
        // takes a twentieth of a load, done meanwhile on another thread.
        let rules = parsed.rules;
        let freeing = std::thread::Builder::new().name("rules-free".into()).spawn(move || drop(rules));
        let order = |a: ActionClass| config.action_order.iter().position(|&x| x == a).unwrap_or(usize::MAX);
        // Stable: ties keep load order.
        sigs.sort_by_key(|s| (order(s.action.order_class()), flowbits_rank(s), xbits_rank(s), s.priority));
        for (i, s) in sigs.iter_mut().enumerate() {
            s.id = i as u32;
        }
        let mut entries: Vec<Vec<(prefilter::Prefilter, u32)>> = vec![Vec::new(); GROUPS];
        let mut always: Vec<Vec<u32>> = vec![Vec::new(); GROUPS];
        let mut gates: Vec<Gates> = (0..GROUPS).map(|_| Gates::default()).collect();
        let mut iponly_sigs = Vec::new();
        for s in &sigs {
            if s.tx.is_some() {
                report.app_layer += 1;
                continue;
            }
            if s.iponly {
                iponly_sigs.push((s.id, &s.src, &s.dst, s.bidirectional));
                report.iponly += 1;
                continue;
            }
            for c in ProtoClass::ALL {
                if s.proto.classes & c.bit() == 0 {
                    continue;
                }
                for to_client in [false, true] {
                    if s.flow.to_server == Some(to_client) {
                        continue;
                    }
                    for kind in BufferKind::ALL {
                        if !kind.applies(s) || (kind != BufferKind::Packet && c != ProtoClass::Tcp) {
                            continue;
                        }
                        let g = group_index(c, to_client, kind);
                        match &s.prefilter {
                            Some(_) if kind == BufferKind::StreamedPacket && gates[g].try_add(s) => {}
                            Some(p) => entries[g].push((p.clone(), s.id)),
                            None => always[g].push(s.id),
                        }
                    }
                }
            }
            if s.prefilter.is_some() {
                report.prefiltered += 1;
            } else {
                report.unprefiltered += 1;
            }
        }
        let iponly = IpOnlyIndex::build(&iponly_sigs);
        let mut cache = mpm_cache::MpmCache::open(&config.mpm_cache);
        let mut groups = Vec::with_capacity(GROUPS);
        let lists: Vec<&[(prefilter::Prefilter, u32)]> = entries.iter().map(Vec::as_slice).collect();
        let built = PrefilterDb::build_all(&lists, &mut cache, config.compile_threads)?;
        for ((mut a, mut gates), (db, refused)) in always.into_iter().zip(gates).zip(built) {
            gates.index();
            report.patterns += db.patterns;
            a.extend(refused);
            a.sort_unstable();
            a.dedup();
            let always = a.iter().filter_map(|&id| sigs.get(id as usize)).map(gate::Unfiltered::of).collect();
            groups.push(Group { prefilter: db, always, gates });
        }
        let tx_groups = tx::build_groups(&sigs, &mut cache, config.compile_threads)?;
        cache.prune();
        report.mpm_cache = cache.stats;
        report.mpm_cache_dir = cache.dir().map(Into::into);
        report.patterns += tx_groups.iter().map(tx::TxGroup::patterns).sum::<usize>();
        report.loaded = sigs.len();
        let has_tags = sigs.iter().any(|s| !s.tags.is_empty() && !s.noalert);
        if let Ok(freeing) = freeing {
            let _ = freeing.join();
        }
        Ok(DetectEngine {
            sigs,
            groups,
            tx_groups,
            iponly,
            regexes: regexes.into_regexes(),
            flowbits,
            flowints,
            xbits,
            config,
            report,
            uses_ja3,
            has_tags,
            datasets,
            reputation,
        })
    }

    /// For benchmarks, the ceiling of inspection: scans `payload` with the
    /// one database inspection would run on it first (the stream group's
    /// for TCP, whose bytes are inspected as reassembled stream, the packet
    /// group's otherwise), verifies nothing, and returns how many candidate
    /// signatures the scan named.
    pub fn prefilter_scan_only(&self, ctx: &DetectCtx, class: ProtoClass, to_client: bool, payload: &[u8]) -> usize {
        let kind = if class == ProtoClass::Tcp { BufferKind::Stream } else { BufferKind::Packet };
        let (Some(g), Some(scratch)) = (self.groups.get(group_index(class, to_client, kind)), &ctx.scratch) else {
            return 0;
        };
        let mut candidates = 0;
        g.prefilter.scan(payload, scratch, |_| candidates += 1);
        candidates
    }

    /// A worker's private matching state for this engine.
    pub fn new_ctx(&self) -> Result<DetectCtx, String> {
        let mut scratch = None;
        for g in &self.groups {
            g.prefilter.prepare_scratch(&mut scratch)?;
        }
        for g in &self.tx_groups {
            g.prepare_scratch(&mut scratch)?;
        }
        Ok(DetectCtx {
            scratch,
            regexes: self.regexes.clone(),
            candidates: Vec::new(),
            match_ends: Vec::new(),
            set_hits: Vec::new(),
            tx_buf: Vec::new(),
            tx_tmp: Vec::new(),
            anchors_tmp: Vec::new(),
            program: ProgramScratch::default(),
            scan_errors: 0,
            flowbits_overflow: 0,
            hosts: HostState::new(self.config.xbits_max_entries, self.config.tagged_hosts_max),
            now: crate::util::Timestamp::default(),
        })
    }
}

/// Per-worker matching state.
pub struct DetectCtx {
    scratch: Option<hyperscan::Scratch>,
    regexes: Vec<pcre2::bytes::Regex>,
    candidates: Vec<u32>,
    /// For each match of the last `detect` call, where in the buffer it
    /// ended (0 for signatures without payload keywords).
    pub match_ends: Vec<usize>,
    /// JSON set objects for the alerts of the last `detect` call's
    /// matches (see [`datasets::SetHit`]); stream windows accumulate until
    /// the worker clears them with its hits.
    pub set_hits: Vec<datasets::SetHit>,
    /// Transformed transaction buffers.
    tx_buf: Vec<u8>,
    tx_tmp: Vec<u8>,
    /// Message starts of a stream window's new data, relative to it.
    anchors_tmp: Vec<u32>,
    program: ProgramScratch,
    /// Prefilter scans Hyperscan reported as failed.
    pub scan_errors: u64,
    /// Flowbits not set because the flow held the maximum.
    pub flowbits_overflow: u64,
    /// xbits and host tags of this worker.
    pub hosts: HostState,
    /// Time of the packet being inspected (xbits expire against it).
    pub now: crate::util::Timestamp,
}
