use std::sync::Arc;

use super::*;
use crate::rules::{parse_rule, Location, Rule, Vars};

fn rule(opts: &str) -> Rule {
    let text = format!("alert tcp any any -> any any ({opts} sid:1;)");
    parse_rule(&text, &Vars::default(), Location { file: Arc::from("t"), line: 1 }).expect(&text)
}

/// Compiles the payload keywords of `opts` and runs them over `buf`.
fn check(opts: &str, buf: &[u8]) -> bool {
    let r = rule(opts);
    let items: Vec<Item> = r.payload_items().cloned().collect();
    let mut regexes = Vec::new();
    let prog = Program::new(&items, |p| {
        regexes.push(crate::detect::regexes::compile_pcre(p).expect("pcre compiles"));
        regexes.len() - 1
    });
    prog.matches(buf, &regexes, &mut ProgramScratch::default())
}

#[test]
fn plain_and_nocase() {
    assert!(check(r#"content:"evil";"#, b"some evil here"));
    assert!(!check(r#"content:"EVIL";"#, b"some evil here"));
    assert!(check(r#"content:"EVIL"; nocase;"#, b"some eViL here"));
    assert!(!check(r#"content:"evil";"#, b"ev"));
}

#[test]
fn offset_depth_window() {
    // depth counts from offset: window [2, 2+5).
    assert!(check(r#"content:"cde"; offset:2; depth:5;"#, b"abcdefgh"));
    assert!(!check(r#"content:"cde"; offset:3; depth:5;"#, b"abcdefgh"));
    assert!(!check(r#"content:"fgh"; offset:2; depth:5;"#, b"abcdefgh"));
    assert!(check(r#"content:"efg"; offset:2; depth:5;"#, b"abcdefgh"));
    assert!(check(r#"content:"abc"; startswith;"#, b"abcdef"));
    assert!(!check(r#"content:"bcd"; startswith;"#, b"abcdef"));
    assert!(check(r#"content:"def"; endswith;"#, b"abcdef"));
    assert!(!check(r#"content:"cde"; endswith;"#, b"abcdef"));
}

#[test]
fn distance_within_from_the_corpus() {
    // alert-distance-within-1: "DullBoy" within 7 bytes, 1 byte after.
    let opts = r#"content:"AllWorkAndNoPlayMakesWill"; content:"DullBoy"; distance:1; within:7;"#;
    assert!(check(opts, b"AllWorkAndNoPlayMakesWill DullBoy"));
    assert!(!check(opts, b"AllWorkAndNoPlayMakesWillDullBoy"));
    assert!(!check(opts, b"AllWorkAndNoPlayMakesWill  DullBoy"));
}

#[test]
fn backtracking_finds_later_anchor() {
    // The first "A" is not followed by "B" within 1 byte; the second is.
    assert!(check(r#"content:"A"; content:"B"; distance:0; within:1;"#, b"A..AB"));
    // Negative distance.
    assert!(check(r#"content:"world"; content:"hello"; distance:-11; within:5;"#, b"hello world"));
}

#[test]
fn negated_contents() {
    assert!(check(r#"content:"GET"; content:!"Host"; distance:0;"#, b"GET / HTTP/1.0\r\n\r\n"));
    assert!(!check(r#"content:"GET"; content:!"Host"; distance:0;"#, b"GET / HTTP/1.0\r\nHost: x\r\n"));
    assert!(check(r#"content:!"evil";"#, b"good"));
    assert!(!check(r#"content:!"evil";"#, b"evil"));
    assert!(check(r#"content:!"x"; endswith;"#, b"abc"));
    assert!(!check(r#"content:!"c"; endswith;"#, b"abc"));
}

#[test]
fn pcre_relative_and_anchored() {
    assert!(check(r#"content:"id="; pcre:"/^\d+/R";"#, b"x id=123"));
    assert!(!check(r#"content:"id="; pcre:"/^\d+/R";"#, b"x id=abc"));
    assert!(check(r#"pcre:"/evil/i";"#, b"so EVIL"));
    assert!(check(r#"pcre:!"/evil/";"#, b"so good"));
    assert!(check(r#"pcre:"/b/A";"#, b"bcd") && !check(r#"pcre:"/c/A";"#, b"bcd"));
    // pcre then relative content: retried at the next pcre match.
    assert!(check(r#"pcre:"/a./"; content:"X"; distance:0; within:1;"#, b"ab..acX"));
}

#[test]
fn byte_test_bitmask_from_the_corpus() {
    // detect-bytetest-01: "HTTP" with bitmasks.
    let http = b"HTTP/1.1 200 OK";
    assert!(check(r#"content:"|48 54 54 50|"; byte_test:1,=,0x9,0, bitmask 0xf8;"#, http));
    assert!(check(r#"content:"|48 54 54 50|"; byte_test:1,>,0x8,0, bitmask 0xf8;"#, http));
    assert!(check(r#"content:"|48 54 54 50|"; byte_test:1,<,0xa,0, bitmask 0xf8;"#, http));
    assert!(check(r#"content:"|48 54 54 50|"; byte_test:1,!=,0x48,0, bitmask 0xf8;"#, http));
    assert!(check(r#"content:"|48 54 54 50|"; byte_test:2,=,0x90a,0, bitmask 0xf8f8;"#, http));
    assert!(check(r#"byte_test:1,&,0x40,0;"#, http));
    assert!(!check(r#"byte_test:4,>,1,14;"#, http), "beyond the buffer");
}

#[test]
fn byte_jump_from_end_from_the_corpus() {
    let p = b"Question?13When will the pandemic end?";
    assert!(check(
        r#"content:"Question?"; byte_jump:2,0,relative,string,from_end,post_offset -26; content:"pandemic"; distance:0;"#,
        p
    ));
    assert!(check(
        r#"content:"Question?"; byte_jump:2,0,relative,string,from_end,post_offset -26, bitmask 0xfe; content:"ll the pandemic end"; distance:0;"#,
        p
    ));
    // Jumps before the start clamp to the start; past the end fail.
    assert!(check(r#"byte_jump:1,0,from_beginning,post_offset -10; content:"|02|"; within:1;"#, b"\x02Qabc"));
    assert!(!check(r#"byte_jump:1,0,from_beginning,post_offset 1000;"#, p));
}

#[test]
fn byte_extract_then_within_variable() {
    // Length-prefixed field: 0x03 then "abc" then "!".
    let opts = r#"byte_extract:1,0,len; content:"abc"; distance:0; within:len; content:"!"; distance:0; within:1;"#;
    assert!(check(opts, b"\x03abc!"));
    assert!(!check(opts, b"\x02abc!"));
}

#[test]
fn isdataat_forms() {
    // Relative: N bytes remain after the match; absolute: byte N exists
    // (the 1-byte difference of Suricata's isdataat table).
    assert!(check(r#"content:"a"; isdataat:3,relative;"#, b"abcd"));
    assert!(!check(r#"content:"a"; isdataat:4,relative;"#, b"abcd"));
    assert!(check(r#"content:"a"; isdataat:!4,relative;"#, b"abcd"));
    assert!(!check(r#"content:"c"; isdataat:!1,relative;"#, b"abcd"));
    assert!(check(r#"content:"d"; isdataat:!1,relative;"#, b"abcd"));
    assert!(check(r#"isdataat:4,relative;"#, b"abcd") && !check(r#"isdataat:5,relative;"#, b"abcd"));
    assert!(check(r#"isdataat:3;"#, b"abcd") && !check(r#"isdataat:4;"#, b"abcd"));
}

#[test]
fn byte_jump_of_zero_bytes() {
    // Suricata's documented from_end form, and a jump by 0 from an offset.
    let tail = r#"byte_jump:0,0,from_end,post_offset -4; content:"TAIL"; distance:0; within:4;"#;
    assert!(check(tail, b"HEAD....TAIL"));
    assert!(!check(&tail.replace("-4", "-5"), b"HEAD....TAIL"));
    assert!(check(r#"byte_jump:0,1; content:"b"; distance:0; within:1;"#, b"abc"));
}

#[test]
fn byte_test_values_up_to_u64_max() {
    let ones = [0xffu8; 8];
    assert!(check("byte_test:8,=,18446744073709551615,0;", &ones));
    assert!(check("byte_test:8,=,0xffffffffffffffff,0;", &ones));
    assert!(check("byte_test:8,>,18446744073709551614,0;", &ones));
    assert!(!check("byte_test:8,<,18446744073709551615,0;", &ones));
    assert!(crate::rules::payload::parse_byte_test("8,=,18446744073709551616,0", &[]).is_err());
}

#[test]
fn pcre_dollar_end_only() {
    // $ matches before a final newline unless E; m overrides E.
    assert!(check(r#"pcre:"/DEF$/";"#, b"abc\nDEF\n"));
    assert!(!check(r#"pcre:"/DEF$/E";"#, b"abc\nDEF\n"));
    assert!(check(r#"pcre:"/DEF$/E";"#, b"abc\nDEF"));
    assert!(check(r#"pcre:"/c$/mE";"#, b"abc\nDEF\n"));
    assert!(check(r#"pcre:"/[$]x\$$/E";"#, b"$x$"));
    assert_eq!(
        crate::detect::regexes::dollar_end_only(r"a$|[$\]]$|\$|[[:alpha:]$]$"),
        r"a\z|[$\]]\z|\$|[[:alpha:]$]\z"
    );
}

#[test]
fn byte_math_operators() {
    let buf = b"\x02\x03ABCDEF";
    let m = |rest: &str| format!("byte_math:bytes 1, offset 0, {rest}, result v;");
    assert!(check(&(m("oper +, rvalue 1") + " byte_test:1,=,v,1;"), buf), "2 + 1 = 3");
    assert!(check(&(m("oper *, rvalue 3") + " isdataat:v;"), buf), "6 < 8");
    assert!(!check(&(m("oper *, rvalue 4") + " isdataat:v;"), buf), "8");
    assert!(check(&(m("oper <<, rvalue 1") + " isdataat:v;"), buf), "4");
    assert!(!check(&(m("oper /, rvalue 0") + " isdataat:0;"), buf), "division by 0");
    assert!(!check(&(m("oper -, rvalue 3") + " isdataat:v;"), buf), "2 - 3 wraps");
    assert!(check(&(m("oper >>, rvalue 1") + " byte_test:1,=,v,0,bitmask 0x02;"), buf), "1");
    // Relative, and the pointer moves past the bytes read.
    let rel = r#"content:"|02|"; byte_math:bytes 1, offset 0, oper +, rvalue 0, result v, relative; content:"A"; distance:0; within:1; content:"D"; offset:v;"#;
    assert!(check(rel, buf));
    let var = "byte_extract:1,0,e; byte_math:bytes 1, offset 1, oper +, rvalue e, result v; isdataat:v;";
    assert!(check(var, buf), "3 + 2 = 5");
    assert!(check(
        "byte_math:bytes 2, offset 0, oper +, rvalue 0, result v, string dec; isdataat:v;",
        b"12xxxxxxxxxxxxx"
    ));
    assert!(!check("byte_math:bytes 2, offset 0, oper +, rvalue 0, result v, endian little; isdataat:v;", buf));
    use crate::rules::payload::parse_byte_math;
    for bad in [
        "bytes 1, offset 0, oper +, rvalue 1",
        "bytes 1, offset 0, oper %, rvalue 1, result v",
        "bytes 1, offset 0, oper +, rvalue 0x10, result v",
        "bytes 9, offset 0, oper +, rvalue 1, result v",
    ] {
        assert!(parse_byte_math(bad, &[], 0).is_err(), "{bad}");
    }
}

#[test]
fn pathological_backtracking_is_bounded() {
    let buf = vec![b'a'; 20_000];
    assert!(!check(r#"content:"a"; content:"a"; distance:0; content:"a"; distance:0; content:"b"; distance:0;"#, &buf));
}

proptest::proptest! {
    #[test]
    fn random_buffers_never_panic(buf in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), d in -20i32..20, w in 1u32..20) {
        let opts = format!(r#"content:"a"; content:"b"; distance:{d}; within:{w}; byte_test:2,>,1,0,relative; byte_jump:1,0,relative,post_offset {d}; isdataat:1,relative;"#);
        let _ = check(&opts, &buf);
    }
}

#[test]
fn byte_test_reads_its_byte_count_from_a_variable() {
    // byte 0 says how many bytes the value at offset 1 has.
    let opts = "byte_extract:1,0,n; byte_test:n,=,0x0102,1;";
    assert!(check(opts, b"\x02\x01\x02"));
    assert!(!check(opts, b"\x01\x01\x02"), "one byte: 0x01");
    assert!(!check(opts, b"\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"), "9 bytes is no byte_test");
    assert!(!check(opts, b"\x00\x01\x02"), "0 bytes");
    assert!(!check(opts, b"\x04\x01\x02"), "beyond the buffer");
}

#[test]
fn base64_decode_and_data() {
    let opts = r#"content:"<b64>"; base64_decode:bytes 40, offset 0, relative; base64_data; content:"whoami";"#;
    // "cmd=whoami" in base64, line-wrapped (skipped, RFC 2045).
    assert!(check(opts, b"x<b64>Y21kPXdo\r\nb2FtaQ==</b64>"));
    assert!(!check(opts, b"x<b64>Y21kPWxz</b64>"), "cmd=ls");
    assert!(!check(opts, b"Y21kPXdob2FtaQ== <b64>"), "relative: nothing after the match");
    // bytes bounds the text decoded: 8 characters give "cmd=wh".
    let short = r#"content:"<b64>"; base64_decode:bytes 8, relative; base64_data; content:"whoami";"#;
    assert!(!check(short, b"<b64>Y21kPXdob2FtaQ=="));
    // Not relative: from the buffer start (plus offset).
    let abs = r#"base64_decode:offset 2; base64_data; content:"cmd=";"#;
    assert!(check(abs, b"..Y21kPXdob2FtaQ=="));
    assert!(!check(abs, b"..AY21kPXdob2FtaQ=="), "misaligned text decodes to other bytes");
}

#[test]
fn lenient_base64() {
    let mut out = Vec::new();
    crate::detect::bytes::base64_decode_lenient(b"aGVs bG8=ignored", &mut out);
    assert_eq!(out, b"hello");
    crate::detect::bytes::base64_decode_lenient(b"aGVsbG", &mut out);
    assert_eq!(out, b"hell", "a last incomplete group gives its whole bytes");
    crate::detect::bytes::base64_decode_lenient(b"!!!", &mut out);
    assert!(out.is_empty());
}

/// asn1 in a rule: where it decodes from and how a failure backtracks, as
/// Suricata 8.0.6 did on the same payloads (UDP, one packet each).
#[test]
fn asn1_offsets_and_order() {
    const BS: &[u8] = b"\x03\x01\xff"; // BIT STRING claiming 255 unused bits
    let aa = [b"AA", BS].concat();
    assert!(check(r#"content:"AA"; asn1:bitstring_overflow, relative_offset 0;"#, &aa));
    assert!(check("asn1:bitstring_overflow, absolute_offset 2;", &aa));
    assert!(!check("asn1:bitstring_overflow;", &aa), "from byte 0");
    assert!(check("asn1:bitstring_overflow, relative_offset 2;", &aa), "no match before: from 0");
    let mark = [BS, b"MARK"].concat();
    assert!(check(r#"content:"MARK"; asn1:bitstring_overflow, relative_offset -7;"#, &mark));
    assert!(!check(r#"content:"MARK"; asn1:bitstring_overflow, relative_offset -8;"#, &mark), "before the start");
    assert!(!check(r#"content:"MARK"; asn1:bitstring_overflow, relative_offset 0;"#, &mark), "at the end");
    assert!(!check("asn1:bitstring_overflow, absolute_offset 7;", &mark));
    assert!(check(r#"content:"MARK"; asn1:bitstring_overflow, absolute_offset 0, relative_offset 0;"#, &mark));
    assert!(!check(r#"content:"MARK"; asn1:bitstring_overflow, relative_offset 65535;"#, &mark));
    // Inline, in rule order: the offset is the one at the keyword.
    let p = [b"AA", BS, b"BB\x05\x00"].concat();
    assert!(check(r#"content:"AA"; asn1:bitstring_overflow, relative_offset 0; content:"BB"; distance:0;"#, &p));
    assert!(!check(r#"asn1:bitstring_overflow, relative_offset 0; content:"AA";"#, &p));
    assert!(check(r#"content:"AA"; byte_jump:1,0,relative; asn1:bitstring_overflow, relative_offset -4;"#, &p));
    assert!(!check(r#"content:"AA"; pcre:"/B+/R"; asn1:bitstring_overflow, relative_offset -7;"#, &p));
    assert!(check(r#"content:"AA"; content:!"QQ"; asn1:bitstring_overflow, relative_offset 0;"#, &p));
}

#[test]
fn asn1_failure_retries_as_suricata() {
    // The first "A" is followed by a NULL and junk, the second by the
    // overflow. Suricata searches the "A" again only when a keyword after
    // the asn1 is relative to it, and a content with distance but no
    // within is not.
    let p = b"A\x05\x00ZA\x03\x01\xffB";
    let a = r#"content:"A"; asn1:bitstring_overflow, relative_offset 0;"#;
    assert!(!check(a, p));
    assert!(!check(&format!(r#"{a} content:"B"; distance:0;"#), p));
    assert!(!check(&format!(r#"{a} content:"B"; distance:3;"#), p));
    assert!(!check(&format!(r#"{a} content:"B"; distance:-20;"#), p));
    assert!(!check(&format!(r#"{a} content:"B";"#), p));
    assert!(!check(&format!("{a} isdataat:1;"), p));
    assert!(check(&format!(r#"{a} content:"B"; within:10;"#), p));
    assert!(check(&format!(r#"{a} content:"B"; distance:3; within:1;"#), p));
    assert!(check(&format!(r#"{a} pcre:"/B/R";"#), p));
    assert!(check(&format!("{a} byte_test:1,=,0x42,3,relative;"), p));
    assert!(check(&format!("{a} isdataat:1,relative;"), p));
    assert!(check(&format!("{a} byte_jump:1,0,relative;"), p));
    assert!(check(&format!("{a} asn1:oversize_length 0, relative_offset 0; isdataat:1,relative;"), p));
}
