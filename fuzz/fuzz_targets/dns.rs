//! DNS: whole-message parsing (each stream as one UDP payload), protocol
//! probing, and DNS over TCP with both streams cut, interleaved and gapped
//! as the input's control bytes say (see `mirrorids_fuzz`). Every parsed
//! message is read the way detection reads it, and written as EVE writes
//! it (the line must be JSON).
//!
//! Flags: bit 0 = `max_records` 0..=7 instead of the default; bit 1 = the
//! streams are already TCP-framed (else each is sent as one framed message).

#![no_main]

use std::hint::black_box;

use libfuzzer_sys::fuzz_target;
use mirrorids::app::dns::{
    self, DnsConfig, DnsMessage, DnsTcp, RData, Record, MAX_NAME_LEN, MAX_OPT_OPTIONS, MAX_TXT_STRINGS,
};
use mirrorids_fuzz::{Op, Script};

fn name(n: &[u8]) -> usize {
    assert!(n.len() <= MAX_NAME_LEN, "name of {} bytes kept", n.len());
    n.len() + n.iter().filter(|&&b| b == b'.').count()
}

fn record(r: &Record) -> usize {
    let mut n = name(&r.name) + dns::rrtype_name(r.rrtype).len() + usize::from(r.rrclass) + r.ttl as usize % 7;
    n += match &r.rdata {
        RData::BadAddr => 0,
        RData::A(a) => usize::from(a[0]),
        RData::Aaaa(a) => usize::from(a[15]),
        RData::Name(t) => name(&t.bytes),
        RData::Txt(strings) => {
            assert!(strings.len() <= MAX_TXT_STRINGS);
            strings.iter().map(Vec::len).sum()
        }
        RData::Soa(s) => name(&s.mname.bytes) + name(&s.rname.bytes) + s.serial as usize % 7,
        RData::Srv { port, target, .. } => usize::from(*port) + name(&target.bytes),
        RData::Sshfp { fingerprint, .. } => fingerprint.len(),
        RData::Opt(opts) => {
            assert!(opts.len() <= MAX_OPT_OPTIONS);
            opts.iter().map(|o| o.data.len()).sum()
        }
        RData::Null(raw) | RData::Other(raw) => raw.len(),
    };
    n
}

/// Reads every field a rule or an EVE record can name, and checks bounds.
fn inspect(cfg: &DnsConfig, m: &DnsMessage) {
    let records = m.questions.len() + m.answers.len() + m.authorities.len() + m.additionals.len();
    assert!(records <= cfg.max_records, "{records} records kept, limit {}", cfg.max_records);
    let mut n = usize::from(m.id) + usize::from(m.is_response()) + usize::from(m.opcode());
    n += dns::rcode_name(m.rcode()).len() + usize::from(m.truncated_parse);
    for q in &m.questions {
        n += name(&q.name) + dns::rrtype_name(q.rrtype).len() + usize::from(q.rrclass);
    }
    for r in m.answers.iter().chain(&m.authorities).chain(&m.additionals) {
        n += record(r);
    }
    black_box(n);
    let mut line = b"{\"x\":0".to_vec();
    mirrorids::output::records::dns::write_alert_object(&mut line, m, 0);
    line.push(b'}');
    assert!(std::str::from_utf8(&line).is_ok_and(|s| s.matches('{').count() >= 2), "EVE dns object");
}

fuzz_target!(|data: &[u8]| {
    let script = Script::new(data);
    let cfg = match script.flags & 1 {
        0 => DnsConfig::default(),
        _ => DnsConfig { max_records: usize::from(script.flags >> 5) },
    };
    for payload in [data, script.stream(0), script.stream(1)] {
        black_box((dns::probe(payload, false), dns::probe(payload, true)));
        if let Ok(m) = dns::parse_message(&cfg, payload) {
            inspect(&cfg, &m);
        }
    }

    let mut tcp = DnsTcp::new();
    let mut out = Vec::new();
    let mut feed = |tcp: &mut DnsTcp, op: Op<'_>| {
        match op {
            Op::Data(dir, piece) => tcp.parse(&cfg, dir, piece, &mut out),
            Op::Gap(dir, len) => tcp.gap(dir, len),
            Op::Close(_) => {}
        }
        for m in out.drain(..) {
            inspect(&cfg, &m);
        }
        black_box(tcp.stats());
    };
    if script.flags & 2 != 0 {
        script.run(false, |op| feed(&mut tcp, op));
    } else {
        // Each stream as one framed message: the prefix is cut like the rest.
        let framed: [Vec<u8>; 2] = [0, 1].map(|d| {
            let s = script.stream(d);
            let s = &s[..s.len().min(0xffff)];
            let mut v = (s.len() as u16).to_be_bytes().to_vec();
            v.extend_from_slice(s);
            v
        });
        let input = mirrorids_fuzz::encode(script.flags, script.ctl(), &framed[0], &framed[1]);
        Script::new(&input).run(false, |op| feed(&mut tcp, op));
    }
});
