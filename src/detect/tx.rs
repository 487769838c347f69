//! Detection on application-layer transactions: when a transaction reaches
//! a [`Progress`] point, the signatures waiting for that point are
//! prefiltered on the buffers they name and verified against the
//! transaction.

use super::eval::{check_flowbits, class_of, flow_matches_tx, header_matches_dir, proto_checks_match};
use super::mpm_cache::MpmCache;
use super::prefilter::Prefilter;
use super::prefilter::PrefilterDb;
use super::program::Program;
use super::signature::Signature;
use super::txsig::{apply_transforms, TxBuffer};
use super::{DetectCtx, DetectEngine, FlowDetectState, FlowInfo};
use crate::app::{Progress, TxSource};
use crate::decode::Decoded;
use crate::rules::{AppBuffer, Transform};

/// Elements of a multi-valued buffer inspected at most.
const MAX_LIST: usize = 64;

/// A buffer as a prefilter scans it: which one, on which side, after
/// which transforms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BufKey {
    pub buffer: AppBuffer,
    pub side: usize,
    pub transforms: Box<[Transform]>,
}

/// The signatures evaluated at one progress point.
#[derive(Default)]
pub struct TxGroup {
    dbs: Vec<(BufKey, PrefilterDb)>,
    always: Vec<u32>,
}

impl TxGroup {
    pub fn patterns(&self) -> usize {
        self.dbs.iter().map(|(_, d)| d.patterns).sum()
    }

    pub fn prepare_scratch(&self, scratch: &mut Option<hyperscan::Scratch>) -> Result<(), String> {
        for (_, db) in &self.dbs {
            db.prepare_scratch(scratch)?;
        }
        Ok(())
    }
}

/// Prefilters of one buffer key, with the signature each belongs to.
type GroupEntry = (BufKey, Vec<(Prefilter, u32)>);

/// Builds one group per progress point from the transaction signatures.
pub fn build_groups(sigs: &[Signature], cache: &mut MpmCache, threads: usize) -> Result<Vec<TxGroup>, String> {
    let mut entries: Vec<Vec<GroupEntry>> = (0..Progress::ALL.len()).map(|_| Vec::new()).collect();
    let mut always: Vec<Vec<u32>> = vec![Vec::new(); Progress::ALL.len()];
    for s in sigs {
        let Some(tx) = &s.tx else { continue };
        for v in tx.variants.iter() {
            let g = v.progress.index();
            let key_pf = tx.prefilter_buffer.and_then(|i| v.buffers.get(i)).zip(s.prefilter.clone());
            match key_pf {
                Some((b, pf)) => {
                    let key = BufKey { buffer: b.buffer, side: b.side, transforms: b.transforms.clone() };
                    let (key, pf) = scan_key(key, pf);
                    match entries[g].iter_mut().find(|(k, _)| *k == key) {
                        Some((_, list)) => list.push((pf, s.id)),
                        None => entries[g].push((key, vec![(pf, s.id)])),
                    }
                }
                None => always[g].push(s.id),
            }
        }
    }
    let lists: Vec<&[(Prefilter, u32)]> = entries.iter().flatten().map(|(_, list)| list.as_slice()).collect();
    let mut built = PrefilterDb::build_all(&lists, cache, threads)?.into_iter();
    let mut groups = Vec::with_capacity(entries.len());
    for (e, mut a) in entries.into_iter().zip(always) {
        let mut dbs = Vec::with_capacity(e.len());
        for (key, _) in e {
            let (db, refused) = built.next().ok_or_else(|| "prefilter database not built".to_string())?;
            a.extend(refused);
            dbs.push((key, db));
        }
        a.sort_unstable();
        a.dedup();
        groups.push(TxGroup { dbs, always: a });
    }
    Ok(groups)
}

/// The key and pattern a prefilter database holds a signature's fast
/// pattern under, so that keys reading the same bytes share one database
/// and each buffer is scanned once:
/// - `http.request_body` and `http.response_body` are file_data of their
///   side (`HttpView::buffer`: file_data is the side's body), which ET
///   rules inspect most; a response body was scanned twice, once per name.
/// - a key whose only transform is `dotprefix` scans the buffer as it is
///   for the pattern less its leading dot: a buffer that contains ".x"
///   once a dot is put in front contains "x", so this selects a superset
///   (verification applies the transform), without the transformed copy
///   and a second scan of every DNS query, TLS SNI and HTTP host.
fn scan_key(key: BufKey, pf: Prefilter) -> (BufKey, Prefilter) {
    use AppBuffer::{FileData, HttpRequestBody, HttpResponseBody};
    let key = match (key.buffer, key.side) {
        (HttpRequestBody, 0) | (HttpResponseBody, 1) => BufKey { buffer: FileData, ..key },
        _ => key,
    };
    match pf {
        // A lone "." is not in the untransformed buffer: that key stays.
        Prefilter::Literal { bytes, nocase } if *key.transforms == [Transform::DotPrefix] && bytes != b"." => {
            let bytes = match bytes.split_first() {
                Some((b'.', rest)) => rest.to_vec(),
                _ => bytes,
            };
            (BufKey { transforms: Box::new([]), ..key }, Prefilter::Literal { bytes, nocase })
        }
        pf => (key, pf),
    }
}

/// A transaction that reached a progress point.
pub struct TxInput<'a> {
    pub progress: Progress,
    /// The transaction's id within its flow (`xbits ... track tx`).
    pub tx_id: u64,
    /// Header facts of the event's direction (client -> server for request
    /// points, server -> client for response points).
    pub dec: &'a Decoded,
    pub flow: FlowInfo,
    pub tx: &'a dyn TxSource,
    /// The payload of the packet the transaction is inspected on, when it
    /// is of the transaction side's direction.
    pub payload: &'a [u8],
}

impl DetectEngine {
    /// A signature inspects a HASSH buffer: the SSH parser must compute it.
    pub fn needs_hassh(&self) -> bool {
        use AppBuffer::*;
        self.sigs.iter().filter_map(|s| s.tx.as_ref()).any(|tx| {
            tx.variants
                .iter()
                .flat_map(|v| v.buffers.iter())
                .any(|b| matches!(b.buffer, SshHassh | SshHasshString | SshHasshServer | SshHasshServerString))
        })
    }

    /// Evaluates the signatures waiting for `input.progress`; appends the
    /// ids of those that matched to `out`.
    pub fn detect_tx(
        &self,
        ctx: &mut DetectCtx,
        input: &TxInput<'_>,
        mut state: Option<&mut FlowDetectState>,
        out: &mut Vec<u32>,
    ) {
        if state.as_ref().is_some_and(|s| s.passed) {
            return;
        }
        ctx.match_ends.clear();
        ctx.set_hits.clear();
        let Some(group) = self.tx_groups.get(input.progress.index()) else { return };
        ctx.candidates.clear();
        ctx.candidates.extend_from_slice(&group.always);
        if let Some(scratch) = &ctx.scratch {
            for (key, db) in &group.dbs {
                for i in 0..MAX_LIST {
                    let Some(bytes) = input.tx.buffer_list(key.buffer, key.side, i) else { break };
                    let data = if key.transforms.is_empty() {
                        bytes
                    } else {
                        apply_transforms(&key.transforms, bytes, &mut ctx.tx_buf, &mut ctx.tx_tmp);
                        &ctx.tx_buf[..]
                    };
                    let cands = &mut ctx.candidates;
                    if !db.scan(data, scratch, |s| cands.push(s)) {
                        ctx.scan_errors += 1;
                    }
                }
            }
        }
        ctx.candidates.sort_unstable();
        ctx.candidates.dedup();
        for i in 0..ctx.candidates.len() {
            let id = ctx.candidates[i];
            let Some(sig) = self.sigs.get(id as usize) else { continue };
            let mark = ctx.set_hits.len();
            if !self.tx_matches(sig, input, state.as_deref(), ctx) {
                super::datasets::forget_hits(&mut ctx.set_hits, mark);
                continue;
            }
            ctx.set_hits[mark..].iter_mut().for_each(|h| h.sig = id);
            out.push(id);
            ctx.match_ends.push(0);
            if let Some(st) = state.as_deref_mut() {
                super::eval::apply_flowbits(sig, st, &mut ctx.flowbits_overflow);
                super::eval::apply_flowints(sig, st, &mut ctx.flowbits_overflow);
                for &id in sig.tx_bit_sets.iter() {
                    if !st.set_tx_bit(input.tx_id, id) {
                        ctx.flowbits_overflow += 1;
                    }
                }
            }
            super::eval::apply_xbits(sig, input.dec, ctx);
        }
    }

    fn tx_matches(
        &self,
        sig: &Signature,
        input: &TxInput<'_>,
        state: Option<&FlowDetectState>,
        ctx: &mut DetectCtx,
    ) -> bool {
        let Some(tx) = &sig.tx else { return false };
        let Some(variant) = tx.variant(input.progress) else { return false };
        // `=>` rules describe the request direction whatever the event.
        let reversed = tx.transactional && input.progress.side() == 1;
        if !header_matches_dir(sig, input.dec, class_of(input.dec), reversed)
            || !flow_matches_tx(sig, &input.flow, tx.transactional)
            || !proto_checks_match(sig, Some(&input.flow))
            || !check_flowbits(sig, state)
            || !super::eval::check_flowints(sig, state)
            || !sig.tx_bit_tests.iter().all(|&id| state.is_some_and(|st| st.tx_bit_is_set(input.tx_id, id)))
            || !super::eval::check_xbits(sig, input.dec, ctx)
            || !self.iprep_matches(sig, input.dec)
            || !self.ip_buffers_match(sig, input.dec, ctx)
        {
            return false;
        }
        let side = input.progress.side();
        if !tx.checks.iter().all(|c| input.tx.check(c, side)) {
            return false;
        }
        for b in variant.buffers.iter() {
            let program = tx.programs.get(b.program).and_then(Option::as_ref);
            if !self.buffer_matches(b, program, input.tx, ctx) {
                return false;
            }
        }
        if let Some(p) = &sig.program {
            let mut parts = (0..).map_while(|i| input.tx.raw(side, i)).chain([input.payload]);
            if !parts.any(|raw| !raw.is_empty() && p.matches(raw, &ctx.regexes, &mut ctx.program)) {
                return false;
            }
        }
        true
    }

    /// A buffer matches when one of its elements satisfies its size test
    /// and keywords.
    fn buffer_matches(&self, b: &TxBuffer, program: Option<&Program>, tx: &dyn TxSource, ctx: &mut DetectCtx) -> bool {
        for i in 0..MAX_LIST {
            let Some(bytes) = tx.buffer_list(b.buffer, b.side, i) else { return false };
            let data = if b.transforms.is_empty() {
                bytes
            } else {
                apply_transforms(&b.transforms, bytes, &mut ctx.tx_buf, &mut ctx.tx_tmp);
                &ctx.tx_buf[..]
            };
            if b.bsize.is_some_and(|n| !n.matches(data.len() as u64)) {
                continue;
            }
            // Dataset keywords before the contents run first, those after
            // only once the contents matched (a `set` then adds only
            // buffers that have them), as in Suricata's keyword order.
            // An element that fails leaves no JSON hits behind.
            let mark = ctx.set_hits.len();
            if !self.datasets.check_all(&b.sets, false, data, &mut ctx.set_hits) {
                super::datasets::forget_hits(&mut ctx.set_hits, mark);
                continue;
            }
            let matched = match program {
                None => true,
                Some(p) => p.matches(data, &ctx.regexes, &mut ctx.program),
            };
            if matched && self.datasets.check_all(&b.sets, true, data, &mut ctx.set_hits) {
                return true;
            }
            super::datasets::forget_hits(&mut ctx.set_hits, mark);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppProto;
    use crate::decode::{decode_frame, DecodeConfig};
    use crate::rules::AppCheck;
    use crate::source::LinkType;

    /// A transaction with one buffer of each name a test sets.
    struct Fake(Vec<(AppBuffer, usize, &'static [u8])>);

    impl TxSource for Fake {
        fn buffer(&self, b: AppBuffer, side: usize) -> Option<&[u8]> {
            self.0.iter().find(|(n, s, _)| *n == b && *s == side).map(|(_, _, v)| *v)
        }
        fn check(&self, _: &AppCheck, _: usize) -> bool {
            true
        }
        fn raw(&self, _: usize, _: usize) -> Option<&[u8]> {
            None
        }
    }

    fn engine(rules: &str) -> DetectEngine {
        let config = super::super::DetectConfig {
            mpm_cache: super::super::mpm_cache::MpmCacheConfig { enabled: false, ..Default::default() },
            ..Default::default()
        };
        super::super::tests::build(rules, config)
    }

    /// Signature ids of `progress`'s rules that match `tx`.
    fn sids(e: &DetectEngine, progress: Progress, app_proto: AppProto, tx: &Fake) -> Vec<u32> {
        let (c, s) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let (c, s) = if progress.side() == 0 { (c, s) } else { (s, c) };
        let frame = if app_proto == AppProto::Dns {
            crate::gen::frames::udp(c, s, 40000, 53, b"x")
        } else {
            let t = crate::gen::frames::TcpSpec { sport: 40000, dport: 80, seq: 1, ack: 1, flags: 0x18, window: 512 };
            crate::gen::frames::tcp(c, s, t, b"x")
        };
        let mut dec = Decoded::default();
        decode_frame(&frame, LinkType::ETHERNET, &DecodeConfig::default(), &mut dec).unwrap();
        let flow = FlowInfo {
            to_server: progress.side() == 0,
            established: true,
            client_bytes: 0,
            server_bytes: 0,
            app_proto,
        };
        let input = TxInput { progress, tx_id: 0, dec: &dec, flow, tx, payload: &[] };
        let mut ctx = e.new_ctx().unwrap();
        let mut out = Vec::new();
        e.detect_tx(&mut ctx, &input, None, &mut out);
        let mut sids: Vec<u32> = out.iter().map(|&i| e.sigs[i as usize].sid).collect();
        sids.sort_unstable();
        sids
    }

    #[test]
    fn dotprefix_prefilter_scans_the_buffer_as_it_is() {
        let e = engine(
            "alert dns any any -> any any (dns.query; dotprefix; content:\".evil.com\"; endswith; sid:1;)\n\
             alert dns any any -> any any (dns.query; dotprefix; content:\"evil.org\"; sid:2;)\n\
             alert dns any any -> any any (dns.query; dotprefix; content:\".\"; startswith; sid:3;)\n\
             alert dns any any -> any any (dns.query; content:\"plain\"; sid:4;)\n",
        );
        // One database for the query, transformed or not, except for the
        // lone dot.
        let dns = &e.tx_groups[Progress::DnsRequest.index()];
        assert_eq!(dns.dbs.len(), 2, "{:?}", dns.dbs.iter().map(|(k, _)| k).collect::<Vec<_>>());
        let q = |name: &'static [u8]| Fake(vec![(AppBuffer::DnsQuery, 0, name)]);
        let at = |name| sids(&e, Progress::DnsRequest, AppProto::Dns, &q(name));
        assert_eq!(at(b"evil.com"), [1, 3]);
        assert_eq!(at(b"www.evil.com"), [1, 3]);
        assert_eq!(at(b"notevil.com"), [3]);
        assert_eq!(at(b"evil.org.plain"), [2, 3, 4]);
    }

    #[test]
    fn body_names_share_file_data_and_match_as_before() {
        let e = engine(
            "alert http any any -> any any (http.response_body; content:\"secret\"; sid:1;)\n\
             alert http any any -> any any (file_data; content:\"other\"; sid:2;)\n\
             alert http any any -> any any (http.request_body; content:\"upload\"; sid:3;)\n\
             alert http any any -> any any (flow:to_server; file_data; content:\"form\"; sid:4;)\n",
        );
        for p in [Progress::HttpRequestBody, Progress::HttpResponseBody] {
            assert_eq!(e.tx_groups[p.index()].dbs.len(), 1, "{p:?}");
        }
        let tx = Fake(vec![
            (AppBuffer::HttpResponseBody, 1, b"a secret and other things"),
            (AppBuffer::FileData, 1, b"a secret and other things"),
            (AppBuffer::HttpRequestBody, 0, b"upload form"),
            (AppBuffer::FileData, 0, b"upload form"),
        ]);
        assert_eq!(sids(&e, Progress::HttpResponseBody, AppProto::Http, &tx), [1, 2]);
        assert_eq!(sids(&e, Progress::HttpRequestBody, AppProto::Http, &tx), [3, 4]);
    }
}
