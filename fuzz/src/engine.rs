//! The whole engine in one thread, for the targets that feed it frames
//! (`datagram`, `stream`): the reader's dispatcher (decode, defragment,
//! batch) hands batches to a worker (flows, TCP reassembly, application
//! parsers, detection, EVE records) through the same channels as in the
//! sensor, drained after every frame, so nothing needs a thread.
//!
//! The configuration comes from the input's first byte (stream overlap
//! policy, defragmentation policy, tiny memory caps, pickup rules, inline
//! reassembly), so the fuzzer reaches the paths taken when each cap is
//! hit. Every record the worker writes is checked: one line, valid JSON.

use std::sync::{Arc, Mutex, OnceLock};

use crossbeam_channel::{bounded, Receiver, Sender};
use mirrorids::config::{Config, Format};
use mirrorids::detect::DetectEngine;
use mirrorids::engine::batch::{Batch, WorkerMsg};
use mirrorids::engine::reader::Dispatcher;
use mirrorids::engine::worker::Worker;
use mirrorids::output::stage::RecordBatch;
use mirrorids::rules::classification::Classifications;
use mirrorids::rules::ParsedRules;
use mirrorids::source::{FrameMeta, LinkType};
use mirrorids::stream::policy::OverlapPolicy;
use mirrorids::util::Timestamp;

/// The bundled signatures and rules for every keyword family the engine
/// inspects with (buffers of each protocol, flowbits, byte math, pcre,
/// stream size, thresholds, anomalies), so inputs reach detection.
const FUZZ_RULES: &str = r#"
alert http any any -> any any (msg:"uri"; http.uri; content:"/admin"; nocase; sid:9000001;)
alert http any any -> any any (msg:"ua"; http.user_agent; content:"curl"; sid:9000002;)
alert http any any -> any any (msg:"body"; file_data; content:"passwd"; pcre:"/root:.?:0:0/"; sid:9000003;)
alert http any any -> any any (msg:"header"; http.header; content:"X-"; http.method; content:"POST"; sid:9000004;)
alert http any any -> any any (msg:"stat"; http.stat_code; content:"200"; http.response_body; content:"ok"; sid:9000005;)
alert http any any -> any any (msg:"cookie"; http.cookie; content:"id="; http.host; content:"."; urilen:>3; sid:9000006;)
alert http any any -> any any (msg:"raw"; http.uri.raw; content:"%2e"; http.request_line; content:"HTTP/1"; sid:9000007;)
alert dns any any -> any any (msg:"dns"; dns.query; content:"evil"; nocase; sid:9000010;)
alert dns any any -> any any (msg:"dns opcode"; dns.opcode:0; dns.query; dotprefix; content:".com"; endswith; sid:9000011;)
alert tls any any -> any any (msg:"sni"; tls.sni; content:"example"; sid:9000020;)
alert tls any any -> any any (msg:"cert"; tls.cert_subject; content:"CN="; tls.version:1.2; sid:9000021;)
alert tls any any -> any any (msg:"ja3"; ja3.hash; content:"e7d705a3286e19ea42f587b344ee6865"; sid:9000022;)
alert ssh any any -> any any (msg:"ssh"; ssh.software; content:"OpenSSH"; sid:9000030;)
alert ssh any any -> any any (msg:"ssh proto"; ssh.proto; content:"2.0"; sid:9000031;)
alert ftp any any -> any any (msg:"ftp"; ftp.command; content:"RETR"; sid:9000040;)
alert tcp any any -> any any (msg:"stream"; flow:established,to_server; content:"USER "; content:"PASS "; distance:0; sid:9000050;)
alert tcp any any -> any any (msg:"bytes"; content:"|00 01|"; byte_test:2,>,100,0,relative; byte_jump:1,0,relative; isdataat:2,relative; sid:9000051;)
alert tcp any any -> any any (msg:"extract"; byte_extract:1,0,len; content:"A"; within:len; sid:9000052;)
alert tcp any any -> any any (msg:"set"; content:"LOGIN"; flowbits:set,login; flowbits:noalert; sid:9000053;)
alert tcp any any -> any any (msg:"isset"; flowbits:isset,login; content:"OK"; sid:9000054;)
alert tcp any any -> any any (msg:"size"; stream_size:server,>,100; content:"Z"; sid:9000055;)
alert tcp any any -> any any (msg:"syn"; flags:S,12; dsize:>0; sid:9000056;)
alert tcp any any -> any any (msg:"urg"; flags:U+; sid:9000057;)
alert tcp any any -> any any (msg:"b64"; content:"Authorization: Basic "; base64_decode:relative; base64_data; content:"admin"; sid:9000058;)
alert tcp any any -> any any (msg:"filter"; content:"AAAA"; detection_filter:track by_src, count 2, seconds 60; sid:9000059;)
alert tcp any any -> any any (msg:"threshold"; content:"BBBB"; threshold:type both, track by_dst, count 2, seconds 60; sid:9000060;)
alert udp any any -> any any (msg:"udp"; content:"|de ad|"; offset:0; depth:4; sid:9000070;)
alert icmp any any -> any any (msg:"icmp"; itype:8; icode:0; content:"ping"; sid:9000071;)
alert ip any any -> any any (msg:"frag"; fragbits:M; sid:9000072;)
alert ip any any -> any any (msg:"ttl"; ttl:<2; sid:9000073;)
alert tcp any any -> any any (msg:"ooo"; stream-event:reassembly_overlap_different_data; sid:9000080;)
alert http any any -> any any (msg:"http event"; app-layer-event:http.request_header_invalid; sid:9000081;)
alert ip any any -> any any (msg:"decode event"; decode-event:ipv4.trunc_pkt; sid:9000082;)
alert http any any -> any any (msg:"file"; filemagic:"PDF"; filename; content:".pdf"; sid:9000090;)
"#;

const BUNDLED: &str = include_str!("../../signatures/mirrorids.rules");

/// The detection engine every input runs against, built once per process.
pub fn detect_engine() -> Arc<DetectEngine> {
    static ENGINE: OnceLock<Arc<DetectEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let cfg = Config::default();
            let mut parsed = ParsedRules::default();
            parsed.add_text(BUNDLED, "mirrorids.rules", &cfg.vars);
            parsed.add_text(FUZZ_RULES, "fuzz.rules", &cfg.vars);
            let engine = DetectEngine::build(parsed, &Classifications::builtin(), cfg.detect.clone())
                .expect("the fuzz rule set compiles");
            Arc::new(engine)
        })
        .clone()
}

const DEFRAG_POLICIES: [&str; 4] = ["bsd", "linux", "first", "last"];

/// The configuration named by `sel` (the input's first byte):
/// bits 0-3 the stream overlap policy (15 = the default), bits 4-5 the
/// defragmentation policy, bit 6 tiny caps everywhere, bit 7 strict pickup
/// (no midstream, no one-sided sessions) with inline reassembly.
pub fn config(sel: u8) -> Arc<Config> {
    static CONFIGS: OnceLock<Mutex<Vec<Option<Arc<Config>>>>> = OnceLock::new();
    let cache = CONFIGS.get_or_init(|| Mutex::new(vec![None; 256]));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(Some(c)) = cache.get(usize::from(sel)) {
        return c.clone();
    }
    let mut sets = vec![
        // A small table for every input: cheap to set up, and evictions
        // happen.
        "flow.memcap=262144".to_string(),
        format!("defrag.policy={}", DEFRAG_POLICIES[usize::from(sel >> 4) & 3]),
    ];
    if let Some(p) = OverlapPolicy::ALL.get(usize::from(sel & 0x0f)) {
        sets.push(format!("stream.host_os_policy.default={}", p.name()));
    }
    if sel & 0x40 != 0 {
        sets.extend(
            [
                "stream.reassembly.memcap=16384",
                "stream.reassembly.max_segments=4",
                "stream.reassembly.depth=2048",
                "stream.reassembly.to_server_chunk=64",
                "stream.reassembly.to_client_chunk=64",
                "stream.reassembly.lookback=16",
                "stream.reassembly.reorder_tolerance=1",
                "stream.reassembly.max_unacked=512",
                "stream.reassembly.urgent_max_pending=1",
                "flow.memcap=1",
                "defrag.max_trackers=2",
                "defrag.max_fragments=4",
                "defrag.memcap=4096",
                "engine.threshold_memcap_entries=2",
            ]
            .map(String::from),
        );
    }
    if sel & 0x80 != 0 {
        sets.extend(
            ["stream.midstream=false", "stream.async_oneside=false", "stream.reassembly.inline=true"].map(String::from),
        );
    }
    let cfg =
        Arc::new(Config::from_text(None, Format::Yaml, "fuzz", &sets).expect("the fuzz configurations are valid"));
    if let Some(slot) = cache.get_mut(usize::from(sel)) {
        *slot = Some(cfg.clone());
    }
    cfg
}

/// One engine: a dispatcher and a worker joined by channels.
pub struct Harness {
    dispatcher: Dispatcher,
    batches: Receiver<WorkerMsg>,
    free: Sender<Batch>,
    worker: Worker,
    out: RecordBatch,
    pub records: u64,
}

impl Harness {
    pub fn new(sel: u8) -> Harness {
        let cfg = config(sel);
        let (to_worker, batches) = bounded::<WorkerMsg>(cfg.engine.queue_batches);
        let (free, free_rx) = bounded::<Batch>(cfg.engine.queue_batches + 2);
        let dispatcher = Dispatcher::new(&cfg, vec![to_worker], vec![free_rx]);
        let max_flows = cfg.flow.max_flows(1);
        let worker = Worker::new(0, detect_engine(), cfg, max_flows).expect("a worker starts");
        Harness { dispatcher, batches, free, worker, out: RecordBatch::default(), records: 0 }
    }

    /// One frame through the dispatcher, and whatever it sent through the
    /// worker.
    pub fn frame(&mut self, frame: &[u8], linktype: LinkType, ts: Timestamp) {
        let len = frame.len() as u32;
        self.dispatcher.handle_frame(frame, FrameMeta { ts, linktype, wire_len: len, cap_len: len });
        self.dispatcher.flush_partial(false);
        self.drain();
    }

    /// A wall-clock tick (flow timeouts) at `now`.
    pub fn tick(&mut self, now: Timestamp) {
        self.worker.tick(now, &mut self.out);
        self.check();
    }

    fn drain(&mut self) {
        while let Ok(msg) = self.batches.try_recv() {
            if let WorkerMsg::Batch(batch) = msg {
                self.worker.process_batch(&batch, &mut self.out);
                self.check();
                let _ = self.free.try_send(batch);
            }
        }
    }

    /// End of input: every flow flushed and logged.
    pub fn finish(mut self) -> u64 {
        self.dispatcher.flush_partial(false);
        self.drain();
        let mut records = self.records;
        let mut out = std::mem::take(&mut self.out);
        self.worker.finish(&mut out, |o| {
            records += check_lines(o);
            o.clear();
        });
        records + check_lines(&out)
    }

    fn check(&mut self) {
        self.records += check_lines(&self.out);
        self.out.clear();
    }
}

/// Every record is one line of valid JSON; returns how many there were.
fn check_lines(out: &RecordBatch) -> u64 {
    for r in &out.records {
        let line = out.lines.get(r.line.clone()).expect("a record's line lies within the batch");
        let body = line.strip_suffix(b"\n").expect("a record ends with a newline");
        assert!(!body.contains(&b'\n'), "a record spans lines: {}", String::from_utf8_lossy(line));
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(body) {
            panic!("a record is not JSON ({e}): {}", String::from_utf8_lossy(line));
        }
    }
    out.records.len() as u64
}
