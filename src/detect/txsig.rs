//! Compiling the application-layer part of a rule: which transaction
//! buffers it inspects (on which side), the field tests, and the point of
//! the transaction where it can be evaluated.

use super::datasets::{DatasetStore, SetCheck};
use super::prefilter::Prefilter;
use super::program::{compile_program, Program};
use crate::app::hooks::{self, Hook};
use crate::app::{buffer_progress, check_progress, AppProto, Progress};
use crate::rules::{AppBuffer, AppCheck, Buffer, ErrorKind, Item, NumCmp, Rule, RuleError, Transform};

/// One inspected buffer of a transaction.
pub struct TxBuffer {
    pub buffer: AppBuffer,
    /// 0 = the request (client) side, 1 = the response (server) side.
    pub side: usize,
    pub transforms: Box<[Transform]>,
    /// Index into [`TxSig::programs`].
    pub program: usize,
    pub bsize: Option<NumCmp>,
    /// `dataset`/`datarep` keywords of the buffer.
    pub sets: Box<[SetCheck]>,
}

/// The transaction part of a signature, evaluated at one point of a
/// transaction per variant.
pub struct TxSig {
    pub proto: AppProto,
    /// A rule with no direction whose keywords both sides have (`http.header`,
    /// `ssl_version`...) is evaluated for the request and for the response,
    /// as Suricata registers such keywords for both directions.
    pub variants: Box<[TxVariant]>,
    pub checks: Box<[AppCheck]>,
    /// The keywords of each buffer, in rule order (shared by variants).
    pub programs: Box<[Option<Program>]>,
    /// Which buffer holds the prefilter pattern.
    pub prefilter_buffer: Option<usize>,
    /// `=>`: the header describes the request side.
    pub transactional: bool,
}

/// The signature's buffers resolved for one side.
pub struct TxVariant {
    /// Evaluated once per transaction, when it reaches this point.
    pub progress: Progress,
    pub buffers: Box<[TxBuffer]>,
}

impl TxSig {
    pub fn variant(&self, p: Progress) -> Option<&TxVariant> {
        self.variants.iter().find(|v| v.progress == p)
    }
}

fn skip(kind: ErrorKind, message: String) -> RuleError {
    RuleError { column: 0, kind, message }
}

/// The side a buffer belongs to, when it has only one: request buffers on
/// the request, response buffers on the response; None when both sides
/// have it.
fn fixed_side(b: AppBuffer) -> Option<usize> {
    use AppBuffer::*;
    match b {
        HttpUri | HttpUriRaw | HttpMethod | HttpRequestLine | HttpUserAgent | HttpHost | HttpHostRaw | HttpAccept
        | HttpAcceptEnc | HttpAcceptLang | HttpReferer | HttpRequestBody | TlsSni | Ja3Hash | Ja3String | Ja4Hash
        | DnsQuery | SshHassh | SshHasshString => Some(0),
        HttpStatCode | HttpStatMsg | HttpResponseLine | HttpServer | HttpLocation | HttpResponseBody | Ja3sHash
        | Ja3sString | SshHasshServer | SshHasshServerString => Some(1),
        _ => None,
    }
}

fn check_fixed_side(c: &AppCheck) -> Option<usize> {
    match c {
        AppCheck::UriLen { .. } | AppCheck::FtpBounce => Some(0),
        AppCheck::TlsVersion(_) => Some(1),
        _ => None,
    }
}

/// The rule's direction from `flow:to_server`/`to_client`.
fn rule_side(rule: &Rule) -> Option<usize> {
    rule.flow.and_then(|f| f.to_server).map(|to_server| usize::from(!to_server))
}

/// Compiles the application-layer part of `rule`, if it has one.
pub fn compile_tx(
    rule: &Rule,
    proto: Option<AppProto>,
    regexes: &mut super::regexes::RegexTable,
    datasets: &mut DatasetStore,
) -> Result<Option<TxSig>, RuleError> {
    let app_buffers: Vec<_> = rule.buffers.iter().filter(|b| matches!(b.buffer, Buffer::App(_))).collect();
    let checks: Vec<AppCheck> =
        rule.app_checks.iter().filter(|c| !matches!(c, AppCheck::AppProto { .. })).cloned().collect();
    if app_buffers.is_empty() && checks.is_empty() && rule.hook.is_none() {
        return Ok(None);
    }
    let mut programs = Vec::with_capacity(app_buffers.len());
    let mut set_checks: Vec<Vec<SetCheck>> = Vec::with_capacity(app_buffers.len());
    for bm in &app_buffers {
        let Buffer::App(b) = bm.buffer else { continue };
        if buffer_progress(b, 0).is_none() && buffer_progress(b, 1).is_none() {
            return Err(skip(
                ErrorKind::NeedsAppLayer,
                format!("needs the {} application-layer parser ({})", b.proto(), b.name()),
            ));
        }
        let program = compile_program(&bm.items, regexes).map_err(|e| skip(ErrorKind::InvalidValue, e))?;
        let mut checks = Vec::with_capacity(bm.sets.len());
        for s in &bm.sets {
            let mut c = datasets
                .resolve(&s.kw, &rule.location.file)
                .map_err(|e| skip(ErrorKind::InvalidValue, e.to_string()))?;
            c.after_items = s.after_items;
            checks.push(c);
        }
        programs.push((b, program));
        set_checks.push(checks);
    }
    // The sides the rule can be evaluated on.
    let fixed: Vec<usize> =
        programs.iter().filter_map(|(b, _)| fixed_side(*b)).chain(checks.iter().filter_map(check_fixed_side)).collect();
    let sides: Vec<usize> = match (rule_side(rule), fixed.iter().max()) {
        _ if rule.hook.is_some() => vec![rule.hook.map_or(0, |h| h.progress.side())],
        _ if rule.transactional => vec![fixed.iter().copied().max().unwrap_or(1)],
        (Some(s), _) => vec![s],
        (None, Some(&s)) => vec![s],
        (None, None) => vec![0, 1],
    };
    let mut variants = Vec::new();
    let mut tx_proto = proto.filter(|p| p.has_transactions());
    for &side in &sides {
        let mut progress: Option<Progress> = None;
        let mut usable = true;
        let mut buffers = Vec::with_capacity(programs.len());
        for (i, ((b, _), bm)) in programs.iter().zip(&app_buffers).enumerate() {
            let bside = fixed_side(*b).unwrap_or(side);
            let Some(p) = buffer_progress(*b, bside) else {
                usable = false;
                break;
            };
            progress = Some(progress.map_or(p, |q| q.max(p)));
            buffers.push(TxBuffer {
                buffer: *b,
                side: bside,
                transforms: bm.transforms.clone().into(),
                program: i,
                bsize: bm.bsize,
                sets: set_checks.get(i).cloned().unwrap_or_default().into(),
            });
        }
        for c in &checks {
            let cside = check_fixed_side(c).unwrap_or(side);
            if let Some(p) = check_progress(c, cside) {
                progress = Some(progress.map_or(p, |q| q.max(p)));
            }
        }
        if let Some(hook) = rule.hook {
            check_hook(&hook, &programs, &checks, side)?;
            progress = Some(hook.progress);
        }
        let Some(progress) = progress.filter(|_| usable) else { continue };
        match tx_proto {
            Some(tp) if tp != progress.proto() => {
                return Err(skip(
                    ErrorKind::InvalidValue,
                    format!("mixes {} and {} keywords", tp.name(), progress.proto().name()),
                ))
            }
            _ => tx_proto = Some(progress.proto()),
        }
        if !rule.transactional && rule_side(rule).is_some_and(|s| s != progress.side()) {
            return Err(skip(
                ErrorKind::InvalidValue,
                format!(
                    "flow:{} cannot see its {} keywords",
                    if side == 0 { "to_server" } else { "to_client" },
                    if side == 0 { "response" } else { "request" }
                ),
            ));
        }
        variants.push(TxVariant { progress, buffers: buffers.into() });
    }
    let Some(proto) = tx_proto.filter(|_| !variants.is_empty()) else {
        return Err(skip(
            ErrorKind::InvalidValue,
            "its application-layer keywords cannot be inspected together".into(),
        ));
    };
    let prefilter_buffer = choose_tx_prefilter(&app_buffers.iter().map(|b| b.items.as_slice()).collect::<Vec<_>>());
    Ok(Some(TxSig {
        proto,
        variants: variants.into(),
        checks: checks.into(),
        programs: programs.into_iter().map(|(_, p)| p).collect(),
        prefilter_buffer: prefilter_buffer.map(|(i, _)| i),
        transactional: rule.transactional,
    }))
}

/// An explicit hook is accepted, as in Suricata 8, only where every buffer
/// and field test of the rule exists at exactly the hook's state.
fn check_hook(
    hook: &Hook,
    programs: &[(AppBuffer, Option<Program>)],
    checks: &[AppCheck],
    side: usize,
) -> Result<(), RuleError> {
    let mismatch = |what: &str, at: String| {
        skip(ErrorKind::InvalidValue, format!("{what} is inspected at {at}, which doesn't match hook {}", hook.name))
    };
    for (b, _) in programs {
        let bside = fixed_side(*b).unwrap_or(side);
        if bside != side {
            return Err(mismatch(b.name(), "the other direction's progress".into()));
        }
        if buffer_progress(*b, bside) != Some(hook.progress) {
            return Err(mismatch(b.name(), "another point of the transaction".into()));
        }
        if let (Some(want), Some(level)) = (hook.level, hooks::buffer_level(*b)) {
            if want != level {
                return Err(mismatch(b.name(), format!("engine progress value {level} (the hook's is {want})")));
            }
        }
    }
    for c in checks {
        let cside = check_fixed_side(c).unwrap_or(side);
        if cside != side || check_progress(c, cside).is_some_and(|p| p != hook.progress) {
            return Err(mismatch("a field test", "another point of the transaction".into()));
        }
        // Suricata's state numbers of the tests that have a fixed one.
        let level = match c {
            AppCheck::UriLen { .. } => Some(1),
            AppCheck::SslVersion { .. } | AppCheck::SslState { .. } => Some(0),
            _ => None,
        };
        if let (Some(want), Some(level)) = (hook.level, level) {
            if want != level {
                return Err(mismatch("a field test", format!("engine progress value {level} (the hook's is {want})")));
            }
        }
    }
    Ok(())
}

/// The buffer and pattern a transaction rule is prefiltered by: the content
/// marked `fast_pattern`, else the longest positive content of any buffer;
/// with none, a pcre.
pub fn choose_tx_prefilter(buffers: &[&[Item]]) -> Option<(usize, Prefilter)> {
    for (i, items) in buffers.iter().enumerate() {
        for it in items.iter() {
            if let Item::Content(c) = it {
                if c.fast_pattern && !c.negated {
                    return Some((i, literal(c)));
                }
            }
        }
    }
    let mut best: Option<(usize, &crate::rules::Content)> = None;
    for (i, items) in buffers.iter().enumerate() {
        for it in items.iter() {
            if let Item::Content(c) = it {
                if !c.negated && best.is_none_or(|(_, b)| c.pattern.len() > b.pattern.len()) {
                    best = Some((i, c));
                }
            }
        }
    }
    if let Some((i, c)) = best {
        return Some((i, literal(c)));
    }
    for (i, items) in buffers.iter().enumerate() {
        for it in items.iter() {
            if let Item::Pcre(p) = it {
                if !p.negated && !p.relative && !p.ungreedy {
                    return Some((
                        i,
                        Prefilter::Regex {
                            source: p.source.clone(),
                            caseless: p.caseless,
                            dotall: p.dotall,
                            multiline: p.multiline,
                        },
                    ));
                }
            }
        }
    }
    None
}

fn literal(c: &crate::rules::Content) -> Prefilter {
    let bytes = match c.fast_pattern_chop {
        Some((o, l)) => c.pattern[usize::from(o)..usize::from(o) + usize::from(l)].to_vec(),
        None => c.pattern.clone(),
    };
    Prefilter::Literal { bytes, nocase: c.nocase }
}

/// Applies transforms to `input`, writing the result to `out`.
pub fn apply_transforms(ts: &[Transform], input: &[u8], out: &mut Vec<u8>, tmp: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(input);
    for t in ts {
        std::mem::swap(out, tmp);
        out.clear();
        match t {
            Transform::DotPrefix => {
                out.push(b'.');
                out.extend_from_slice(tmp);
            }
            Transform::ToLowercase => out.extend(tmp.iter().map(u8::to_ascii_lowercase)),
            Transform::ToUppercase => out.extend(tmp.iter().map(u8::to_ascii_uppercase)),
            Transform::StripWhitespace => out.extend(tmp.iter().copied().filter(|b| !b.is_ascii_whitespace())),
            Transform::CompressWhitespace => {
                let mut prev_ws = false;
                for &b in tmp.iter() {
                    let ws = b.is_ascii_whitespace();
                    if !(ws && prev_ws) {
                        out.push(b);
                    }
                    prev_ws = ws;
                }
            }
            Transform::UrlDecode => url_decode(tmp, out),
            Transform::ToMd5 => {
                use md5::Digest;
                out.extend_from_slice(&md5::Md5::digest(&tmp[..]));
            }
            Transform::ToSha1 => {
                use sha1::Digest;
                out.extend_from_slice(&sha1::Sha1::digest(&tmp[..]));
            }
            Transform::ToSha256 => {
                use sha2::Digest;
                out.extend_from_slice(&sha2::Sha256::digest(&tmp[..]));
            }
        }
    }
}

/// `%XX` and `+` decoding (Suricata's `url_decode`).
fn url_decode(input: &[u8], out: &mut Vec<u8>) {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms() {
        let (mut out, mut tmp) = (Vec::new(), Vec::new());
        apply_transforms(&[Transform::DotPrefix], b"evil.com", &mut out, &mut tmp);
        assert_eq!(out, b".evil.com");
        apply_transforms(&[Transform::ToLowercase, Transform::StripWhitespace], b"A b C", &mut out, &mut tmp);
        assert_eq!(out, b"abc");
        apply_transforms(&[Transform::UrlDecode], b"a%20b+c%2", &mut out, &mut tmp);
        assert_eq!(out, b"a b c%2");
        apply_transforms(&[Transform::CompressWhitespace], b"a  \t b", &mut out, &mut tmp);
        assert_eq!(out, b"a b");
        apply_transforms(&[Transform::ToMd5], b"", &mut out, &mut tmp);
        assert_eq!(out.len(), 16);
    }
}
