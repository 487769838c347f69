use std::net::IpAddr;
use std::sync::Arc;

use super::*;

fn loc() -> Location {
    Location { file: Arc::from("test.rules"), line: 1 }
}

fn parse(text: &str) -> Result<Rule, RuleError> {
    parse_rule(text, &Vars::default(), loc())
}

#[test]
fn et_style_rule() {
    let r = parse(
        r#"alert tcp $EXTERNAL_NET any -> $HOME_NET 1433 (msg:"ET EXPLOIT MS-SQL SQL Injection closing string plus line comment"; flow: to_server,established; content:"'|00|"; content:"-|00|-|00|"; reference:url,owasp.org/index.php/SQL_Injection; classtype:attempted-user; sid:2000488; rev:7; metadata:affected_product Web_Server_Applications, created_at 2010_07_30, updated_at 2019_07_26;)"#,
    )
    .unwrap();
    assert_eq!(r.action, Action::Alert);
    assert_eq!(r.proto, Proto::Tcp);
    assert_eq!((r.sid, r.rev, r.gid), (2000488, 7, 1));
    assert!(r.dst_ports.contains(1433) && !r.dst_ports.contains(80));
    assert!(r.src.contains("8.8.8.8".parse::<IpAddr>().unwrap()));
    assert_eq!(r.flow.unwrap().to_server, Some(true));
    let contents: Vec<_> = r.payload_items().collect();
    assert_eq!(contents.len(), 2);
    assert_eq!(r.references, vec![("url".to_string(), "owasp.org/index.php/SQL_Injection".to_string())]);
    assert_eq!(r.metadata[1], ("created_at".to_string(), "2010_07_30".to_string()));
    assert_eq!(r.classtype.as_deref(), Some("attempted-user"));
}

#[test]
fn content_modifiers_and_relative() {
    let r = parse(r#"alert tcp any any -> any any (content:"AllWorkAndNoPlayMakesWill"; content:"DullBoy"; distance:1; within:7; nocase; fast_pattern; sid:2;)"#).unwrap();
    let items: Vec<_> = r.payload_items().collect();
    let Item::Content(c) = items[1] else { panic!() };
    assert_eq!((c.distance, c.within, c.nocase, c.fast_pattern), (Some(Num::Lit(1)), Some(Num::Lit(7)), true, true));
}

#[test]
fn legacy_modifier_moves_content_to_buffer() {
    let r = parse(r#"alert tcp any any -> any any (content:"Exabot"; nocase; http_user_agent; sid:3;)"#).unwrap();
    assert_eq!(r.buffers.len(), 1);
    assert_eq!(r.buffers[0].buffer, Buffer::App(AppBuffer::HttpUserAgent));
    let r = parse(r#"alert dns any any -> any any (dns.query; content:"evil.com"; bsize:8; sid:4;)"#).unwrap();
    assert_eq!(r.buffers[0].buffer, Buffer::App(AppBuffer::DnsQuery));
    assert_eq!(r.buffers[0].bsize, Some(NumCmp::Eq(8)));
}

#[test]
fn byte_extract_variables() {
    let r = parse(r#"alert tcp any any -> any any (content:"x"; byte_extract:1,0,len,relative; content:"y"; distance:0; within:len; sid:5;)"#).unwrap();
    assert_eq!(r.byte_vars, vec!["len".to_string()]);
    let Some(Item::Content(c)) = r.payload_items().nth(2) else { panic!() };
    assert_eq!(c.within, Some(Num::Var(0)));
}

#[test]
fn flowbits_threshold_and_checks() {
    let r = parse(r#"alert icmp any any -> any any (itype:7<>20; flowbits:set,a; flowbits:noalert; threshold: type limit, track by_src, seconds 60, count 1; sid:6;)"#).unwrap();
    assert!(r.noalert);
    assert_eq!(r.flowbits.len(), 1);
    assert!(r.threshold.is_some());
    assert_eq!(r.checks, vec![PacketCheck::Itype(NumCmp::Range(7, 20))]);
}

#[test]
fn escaped_semicolons_and_multiline_file() {
    let mut set = ParsedRules::default();
    let text = "# a comment\n#alert tcp any any -> any any (sid:99;)\nalert tcp any any -> any any (msg:\"a\\;b\"; \\\n  content:\"x\\;y\"; sid:7;)\n\nalert tcp any any -> any any (bogus; sid:8;)\n";
    set.add_text(text, "f.rules", &Vars::default());
    assert_eq!(set.rules.len(), 1);
    assert_eq!(set.disabled, 1);
    assert_eq!(set.rules[0].msg, "a;b");
    assert_eq!(set.rules[0].location.line, 3);
    let Some(Item::Content(c)) = set.rules[0].payload_items().next() else { panic!() };
    assert_eq!(c.pattern, b"x;y");
    assert_eq!(set.failed.len(), 1);
    let f = &set.failed[0];
    assert_eq!((f.location.line, f.sid), (6, Some(8)));
    assert_eq!(f.error.kind, ErrorKind::UnknownKeyword);
    assert_eq!(f.error.column, 31, "{}", f.error);
}

#[test]
fn duplicates_keep_highest_rev() {
    let mut set = ParsedRules::default();
    set.add_text(
        "alert ip any any -> any any (sid:1; rev:1;)\nalert ip any any -> any any (sid:1; rev:3;)\nalert ip any any -> any any (sid:1; rev:2;)\n",
        "d.rules",
        &Vars::default(),
    );
    set.drop_duplicates();
    assert_eq!(set.rules.len(), 1);
    assert_eq!(set.rules[0].rev, 3);
    assert_eq!(set.failed.len(), 2);
    assert!(set.failed.iter().all(|f| f.error.kind == ErrorKind::Duplicate));
}

#[test]
fn invalid_rules_name_the_problem() {
    let cases: &[(&str, &str)] = &[
        ("alert tcp any any -> any any (content:\"a\"; sid:1;", "no ')'"),
        ("alert tcp any any any -> any any (sid:1;)", "7 parts"),
        ("alert tcp any any <= any any (sid:1;)", "direction"),
        ("alert tcp $NOPE any -> any any (sid:1;)", "undefined address variable"),
        ("alert tcp any 99999 -> any any (sid:1;)", "invalid port"),
        ("alert tcp any any -> any any (content:\"a\";)", "missing sid"),
        ("alert tcp any any -> any any (nocase; sid:1;)", "preceding content"),
        ("alert tcp any any -> any any (content:\"abcd\"; depth:2; sid:1;)", "shorter than the content"),
        ("alert tcp any any -> any any (content:\"a\"; offset:1; distance:1; sid:1;)", "cannot be mixed"),
        ("alert tcp any any -> any any (content:\"a\"; sid:1)", "not terminated"),
        ("alert tcp any any -> any any (content:\"|4|\"; sid:1;)", "odd number"),
        ("alert tcp any any -> any any (dsize:>70000; sid:1;)", "out of range"),
        ("alert tcp any any -> any any (flow:sideways; sid:1;)", "unknown option"),
        ("alert tcp any any -> any any (frobnicate:1; sid:1;)", "unknown keyword"),
        ("alert icmp any 80 -> any any (sid:1;)", "ports"),
        ("alert tcp any any -> any any (sid:0;)", "greater than 0"),
        ("alert tcp any any -> any any (content:\"a\"; fast_pattern:0,5; sid:1;)", "chop"),
        ("alert tcp any any -> any any (content:\"a\"; nocase; nocase; sid:1;)", "nocase given twice"),
        (
            "alert tcp any any -> any any (content:\"a\"; fast_pattern; content:\"b\"; fast_pattern; sid:1;)",
            "only one content",
        ),
        ("shout tcp any any -> any any (sid:1;)", "unknown action"),
    ];
    for (text, want) in cases {
        let err = parse(text).expect_err(text);
        assert!(err.message.contains(want), "{text}: got \"{}\", want \"{want}\"", err.message);
        assert!(err.column >= 1);
    }
}

#[test]
fn unsupported_and_app_keywords_are_recorded() {
    let r = parse(r#"alert tcp any any -> any any (content:"a"; lua:x.lua; sid:1;)"#).unwrap();
    assert_eq!(r.unsupported, vec!["lua".to_string()]);
    let r = parse(r#"alert tcp any any -> any any (content:"a"; tag:session,5,packets; sid:1;)"#).unwrap();
    assert!(r.unsupported.is_empty() && r.tags.len() == 1);
    let r = parse(r#"alert http any any -> any any (urilen:>5; sid:1;)"#).unwrap();
    assert!(r.app_keywords.is_empty());
    assert_eq!(r.app_checks.len(), 1);
    let r = parse(r#"alert tls any any -> any any (tls.store; sid:1;)"#).unwrap();
    assert_eq!(r.app_keywords, vec![("tls.store".to_string(), "tls")]);
    let r = parse(r#"alert ftp any any -> any any (ftpbounce; sid:1;)"#).unwrap();
    assert_eq!(r.app_checks, vec![super::AppCheck::FtpBounce]);
}

#[test]
fn file_keywords() {
    use super::app::{FileSide, HashAlgo};
    let r = parse(r#"alert http any any -> any any (filename:"Report.PDF"; fileext:exe; sid:1;)"#).unwrap();
    let b = r.buffers.iter().find(|b| b.buffer == Buffer::App(AppBuffer::FileName)).unwrap();
    let [Item::Content(name), Item::Content(ext)] = &b.items[..] else { panic!("{:?}", b.items) };
    assert_eq!((&name.pattern[..], name.nocase, name.endswith), (&b"Report.PDF"[..], true, false));
    assert_eq!((&ext.pattern[..], ext.nocase, ext.endswith), (&b".exe"[..], true, true));
    let r = parse(r#"alert http any any -> any any (filename:!"a.txt"; sid:1;)"#).unwrap();
    assert!(matches!(&r.buffers[0].items[0], Item::Content(c) if c.negated));
    let r = parse(r#"alert http any any -> any any (filesize:>1KB; sid:1;)"#).unwrap();
    assert_eq!(r.app_checks, vec![AppCheck::FileSize(NumCmp::Gt(1024))]);
    let r = parse(r#"alert http any any -> any any (filesize:10<>2MB; sid:1;)"#).unwrap();
    assert_eq!(r.app_checks, vec![AppCheck::FileSize(NumCmp::Range(10, 2 << 20))]);
    let r = parse(r#"alert http any any -> any any (filestore:response,tx; sid:1;)"#).unwrap();
    assert_eq!(r.filestore.and_then(|f| f.side), Some(FileSide::Response));
    assert_eq!(r.app_checks, vec![AppCheck::HasFile]);
    assert!(parse(r#"alert http any any -> any any (filestore:sideways; sid:1;)"#).is_err());
    let r = parse(r#"alert http any any -> any any (filemagic:"PE32"; sid:1;)"#).unwrap();
    assert_eq!(r.unsupported, vec!["filemagic".to_string()]);
    // Hash lists: beside the rule file, checked line by line.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.list"), "# comment\nC52B63A215092A1E6BB4D36DDDADBDCC trailing words\n\n")
        .unwrap();
    std::fs::write(dir.path().join("bad.list"), "abcd\n").unwrap();
    let at = Location { file: Arc::from(dir.path().join("x.rules").to_str().unwrap()), line: 1 };
    let r =
        parse_rule("alert http any any -> any any (filemd5:!ok.list; sid:1;)", &Vars::default(), at.clone()).unwrap();
    let [AppCheck::FileHash { algo: HashAlgo::Md5, list, negated: true }] = &r.app_checks[..] else { panic!() };
    assert_eq!(list.len(), 1);
    assert!(list
        .contains(&[0xc5, 0x2b, 0x63, 0xa2, 0x15, 0x09, 0x2a, 0x1e, 0x6b, 0xb4, 0xd3, 0x6d, 0xdd, 0xad, 0xbd, 0xcc]));
    let e = parse_rule("alert http any any -> any any (filesha1:bad.list; sid:1;)", &Vars::default(), at.clone());
    assert!(e.unwrap_err().message.contains("not 40 characters"));
    let e = parse_rule("alert http any any -> any any (filesha256:none.list; sid:1;)", &Vars::default(), at);
    let msg = e.unwrap_err().message;
    assert!(msg.contains("cannot open hash list") && msg.contains("none.list"), "{msg}");
}

proptest::proptest! {
    /// No rule text panics the parser.
    #[test]
    fn arbitrary_rule_text_never_panics(s in "\\PC{0,200}") {
        let _ = parse(&s);
        let _ = parse(&format!("alert tcp any any -> any any ({s})"));
    }

    #[test]
    fn arbitrary_options_never_panic(k in "[a-z_.]{1,16}", v in "\\PC{0,40}") {
        let _ = parse(&format!("alert tcp any any -> any any (content:\"x\"; {k}:{v}; sid:1;)"));
    }
}

#[test]
fn asn1_keyword() {
    let r = parse(r#"alert tcp any any -> any 445 (content:"|FF|SMBs"; asn1:double_overflow, bitstring_overflow, relative_offset 54, oversize_length 2048; sid:9;)"#).unwrap();
    let Some(Item::Asn1(a)) = r.payload_items().nth(1) else { panic!("{:?}", r.buffers) };
    assert!(a.bitstring_overflow && a.double_overflow);
    assert_eq!((a.oversize_length, a.relative_offset, a.absolute_offset), (Some(2048), Some(54), None));
    assert!(r.unsupported.is_empty());
    // Always in the packet payload's list, as in Suricata.
    let r =
        parse(r#"alert http any any -> any any (http.uri; content:"x"; asn1:bitstring_overflow; sid:10;)"#).unwrap();
    assert!(matches!(r.payload_items().next(), Some(Item::Asn1(_))));
    // A packet keyword: not with stream-only inspection.
    for stream in [
        "alert tcp-stream any any -> any any (asn1:bitstring_overflow; sid:11;)",
        "alert tcp any any -> any any (flow:only_stream; asn1:bitstring_overflow; sid:11;)",
        "alert tcp any any -> any any (asn1:bitstring_overflow; flow:established,only_stream; sid:11;)",
    ] {
        let e = parse(stream).unwrap_err();
        assert!(e.to_string().contains("tcp-stream or flow:only_stream"), "{stream}: {e}");
    }
    assert!(parse("alert tcp-pkt any any -> any any (asn1:bitstring_overflow; sid:12;)").is_ok());
    // Bad options name the problem.
    for (bad, says) in [
        ("asn1;", "asn1 needs a value"),
        ("asn1:oversize_length 2048,, bitstring_overflow;", "no option at \", bitstring_overflow\""),
        ("asn1:relative_offset 70000;", "relative_offset needs"),
        ("asn1:bitstring_overflow, nope;", "no option at \"nope\""),
    ] {
        let text = format!("alert tcp any any -> any any ({bad} sid:13;)");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains(says), "{bad}: {e}");
    }
}

/// Parsing in pieces on several threads gives what parsing each file in
/// order gives: the same rules, failures, lines and counts, with pieces
/// never cut inside a rule continued over lines.
#[test]
fn parsing_in_pieces_on_threads_matches_parsing_in_order() {
    let mut text = String::new();
    for i in 0..400u32 {
        match i % 5 {
            0 => text.push_str(&format!("alert tcp any any -> any any (msg:\"r{i}\"; content:\"x{i}\"; sid:{i};)\n")),
            1 => text.push_str(&format!(
                "alert tcp any any -> any any (msg:\"c{i}\"; \\\n  content:\"y\"; \\\r\n sid:{i};)\r\n"
            )),
            2 => text.push_str(&format!("# alert udp any any -> any any (sid:{i};)\n\n")),
            3 => text.push_str(&format!("alert tcp any any -> any any (nosuchkeyword; sid:{i};)\n")),
            _ => text.push_str(&format!("alert ip any any -> any any (msg:\"caf\u{e9} {i}\"; sid:{i};)\n")),
        }
    }
    // A last rule continued to the end of the file.
    text.push_str("alert tcp any any -> any any (msg:\"end\"; \\\n sid:9999;) \\");
    let texts: Vec<(Arc<str>, String)> =
        vec![(Arc::from("a.rules"), text.clone()), (Arc::from("b.rules"), text.clone())];
    let mut want = ParsedRules::default();
    for (file, text) in &texts {
        want.add_text(text, file, &Vars::default());
    }
    let summary = |p: &ParsedRules| {
        let rules: Vec<_> =
            p.rules.iter().map(|r| (r.sid, r.msg.clone(), r.location.to_string(), r.text.clone())).collect();
        let failed: Vec<_> = p.failed.iter().map(|f| (f.sid, f.location.to_string(), f.error.to_string())).collect();
        (rules, failed, p.disabled)
    };
    // 240 rules a file (sid 0 is refused), the continued last one included.
    assert_eq!(want.rules.len(), 2 * 240);
    for (threads, chunk) in [(1, 1), (2, 1), (3, 7), (4, 100), (2, 1 << 20)] {
        let got = ParsedRules::parse_texts(&texts, &Vars::default(), threads, chunk);
        assert_eq!(summary(&got), summary(&want), "{threads} threads, pieces of {chunk} bytes");
    }
    let pieces: Vec<(&str, u32)> = split_between_rules(&text, 64).collect();
    assert_eq!(pieces.iter().map(|(p, _)| *p).collect::<String>(), text);
    for (i, (p, line)) in pieces.iter().enumerate() {
        assert!(i + 1 == pieces.len() || !p.trim_end_matches(['\r', '\n']).ends_with('\\'), "piece {i} cut a rule");
        let at = text.lines().nth(*line as usize - 1).unwrap();
        assert!(p.starts_with(at), "piece at line {line}");
    }
}
