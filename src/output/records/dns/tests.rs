//! `dns` objects compared with what Suricata 8.0.6 wrote for the same
//! messages (the expected values are its output, crafted captures run
//! through the reference engine).

use serde_json::{json, Value};

use super::*;
use crate::app::dns::{parse_message, DnsConfig, Question, Soa};

fn names(list: &[&str]) -> Vec<RrtypeName> {
    list.iter().map(|n| RrtypeName::try_from(n.to_string()).unwrap()).collect()
}

fn name(s: &str) -> Name {
    Name { bytes: s.as_bytes().to_vec(), truncated: false }
}

fn rr(name: &str, rrtype: u16, rdata: RData) -> Record {
    Record { name: name.as_bytes().to_vec(), rrtype, rrclass: 1, ttl: 60, rdata, ..Record::default() }
}

fn q(name: &str, rrtype: u16) -> Question {
    Question { name: name.as_bytes().to_vec(), rrtype, rrclass: 1, ..Question::default() }
}

fn response(qs: Vec<Question>, answers: Vec<Record>) -> DnsMessage {
    DnsMessage { id: 7, flags: 0x8180, questions: qs, answers, ..DnsMessage::default() }
}

/// The `dns` object `write_v3` makes, parsed back.
fn v3(cfg: &DnsLogConfig, m: &DnsMessage, tx_id: u64) -> Value {
    let mut out = b"{\"x\":0".to_vec();
    write_v3(&mut out, Flags::of(cfg), m, tx_id);
    out.push(b'}');
    let v: Value = serde_json::from_slice(&out).unwrap();
    v["dns"].clone()
}

#[test]
fn request_header_and_queries() {
    let m = DnsMessage { id: 17481, flags: 0x0100, questions: vec![q("a.example", 16)], ..DnsMessage::default() };
    assert_eq!(
        v3(&DnsLogConfig::default(), &m, 0),
        json!({"version":3,"type":"request","tx_id":0,"id":17481,"flags":"100","rd":true,"opcode":0,
               "rcode":"NOERROR","queries":[{"rrname":"a.example","rrtype":"TXT"}]})
    );
    // Every named bit, opcode 5, an rcode without a name.
    let m = DnsMessage { flags: 0x8000 | (5 << 11) | 0x0400 | 0x0200 | 0x0040 | 11, ..m };
    let v = v3(&DnsLogConfig::default(), &m, 1);
    assert_eq!(v["flags"], "ae4b");
    for bit in ["qr", "aa", "tc", "z"] {
        assert_eq!(v[bit], true, "{bit}");
    }
    assert!(v.get("rd").is_none() && v.get("ra").is_none());
    assert_eq!((v["opcode"].clone(), v["rcode"].clone()), (json!(5), json!("11")));
    assert_eq!(v["type"], "response");
}

#[test]
fn answers_detailed_and_grouped() {
    let aaaa = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let m = response(
        vec![q("c.example", 5)],
        vec![
            rr("c.example", 5, RData::Name(name("t.example"))),
            rr("t.example", 1, RData::A([9, 9, 9, 9])),
            rr("t.example", 28, RData::Aaaa(aaaa)),
            rr("t.example", 1, RData::BadAddr),
            rr("t.example", 28, RData::A([1, 2, 3, 4])),
            rr("t.example", 13, RData::Other(vec![1])),
        ],
    );
    let v = v3(&DnsLogConfig::default(), &m, 1);
    assert_eq!(
        v["answers"],
        json!([
            {"rrname":"c.example","rrtype":"CNAME","ttl":60,"rdata":"t.example"},
            {"rrname":"t.example","rrtype":"A","ttl":60,"rdata":"9.9.9.9"},
            {"rrname":"t.example","rrtype":"AAAA","ttl":60,"rdata":"2001:0db8:0000:0000:0000:0000:0000:0001"},
            {"rrname":"t.example","rrtype":"A","ttl":60,"rdata":""},
            {"rrname":"t.example","rrtype":"AAAA","ttl":60,"rdata":"1.2.3.4"},
            {"rrname":"t.example","rrtype":"HINFO","ttl":60}
        ])
    );
    assert_eq!(
        v["grouped"],
        json!({"CNAME":["t.example"],"A":["9.9.9.9",""],
               "AAAA":["2001:0db8:0000:0000:0000:0000:0000:0001","1.2.3.4"]})
    );
    // Nothing groupable: an empty object, as Suricata writes it.
    let m = response(vec![q("h.example", 13)], vec![rr("h.example", 13, RData::Other(vec![]))]);
    assert_eq!(v3(&DnsLogConfig::default(), &m, 1)["grouped"], json!({}));
}

#[test]
fn txt_strings_are_separate_entries() {
    let txt = RData::Txt(vec![b"hello".to_vec(), b"wor\"ld\x01\xff".to_vec(), vec![]]);
    let m = response(vec![q("t.example", 16)], vec![rr("t.example", 16, txt)]);
    let v = v3(&DnsLogConfig::default(), &m, 1);
    let rdata: Vec<&Value> = v["answers"].as_array().unwrap().iter().map(|a| &a["rdata"]).collect();
    assert_eq!(rdata, [&json!("hello"), &json!("wor\"ld\u{1}\\xff"), &json!("")]);
    assert_eq!(v["grouped"]["TXT"], json!(["hello", "wor\"ld\u{1}\\xff", ""]));
    // A TXT record without strings: an empty list of answers.
    let m = response(vec![q("t.example", 16)], vec![rr("t.example", 16, RData::Txt(vec![]))]);
    // Suricata writes `"answers":[]` and `"TXT":[]`; the schema wants an
    // item in each: left out.
    let v = v3(&DnsLogConfig::default(), &m, 1);
    assert_eq!((v.get("answers"), v["grouped"].clone()), (None, json!({})));
}

#[test]
fn structured_data() {
    let soa = Soa {
        mname: name("ns1.ex.com"),
        rname: name("admin.ex.com"),
        serial: 1,
        refresh: 2,
        retry: 3,
        expire: 4,
        minimum: 5,
    };
    let m = response(
        vec![q("ex.com", 255)],
        vec![
            rr("ex.com", 6, RData::Soa(Box::new(soa))),
            rr("s.ex.com", 33, RData::Srv { priority: 10, weight: 20, port: 5060, target: name("sip.ex.com") }),
            rr("ssh.ex.com", 44, RData::Sshfp { algo: 1, fp_type: 2, fingerprint: vec![0, 1, 0xab] }),
            rr("n.ex.com", 10, RData::Null(b"abc\x00def".to_vec())),
            rr("o.ex.com", 41, RData::Opt(vec![])),
        ],
    );
    let v = v3(&DnsLogConfig::default(), &m, 1);
    let soa =
        json!({"mname":"ns1.ex.com","rname":"admin.ex.com","serial":1,"refresh":2,"retry":3,"expire":4,"minimum":5});
    let srv = json!({"priority":10,"weight":20,"port":5060,"name":"sip.ex.com"});
    let sshfp = json!({"fingerprint":"00:01:ab","algo":1,"type":2});
    assert_eq!(v["answers"][0]["soa"], soa);
    assert_eq!(v["answers"][1]["srv"], srv);
    assert_eq!(v["answers"][2]["sshfp"], sshfp);
    assert_eq!(v["answers"][3]["rdata"], "abc\u{0}def");
    // Suricata writes `"opt":[]` here; the schema has OPT data in
    // additionals only (see `Section`).
    assert_eq!(v["answers"][4], json!({"rrname":"o.ex.com","rrtype":"OPT","ttl":60}));
    assert_eq!(v["grouped"], json!({"SOA":[soa],"SRV":[srv],"SSHFP":[sshfp],"NULL":["abc\u{0}def"]}));
}

#[test]
fn authorities_and_additionals() {
    let opt =
        |opts: Vec<dns::OptEntry>| Record { rrtype: 41, rrclass: 4096, rdata: RData::Opt(opts), ..Record::default() };
    let mut m = response(vec![q("x.example", 1)], vec![]);
    m.flags = 0x8183;
    m.authorities = vec![rr("example", 16, RData::Txt(vec![b"one".to_vec(), b"two".to_vec()]))];
    m.additionals = vec![opt(vec![]), rr("ns.example", 1, RData::A([1, 1, 1, 1]))];
    let v = v3(&DnsLogConfig::default(), &m, 1);
    assert!(v.get("answers").is_none() && v.get("grouped").is_none());
    assert_eq!(
        v["authorities"],
        json!([{"rrname":"example","rrtype":"TXT","ttl":60,"rdata":"one"},
               {"rrname":"example","rrtype":"TXT","ttl":60,"rdata":"two"}])
    );
    // The OPT record without options is left out.
    assert_eq!(v["additionals"], json!([{"rrname":"ns.example","rrtype":"A","ttl":60,"rdata":"1.1.1.1"}]));
    // With options: code and hex data.
    let data = dns::OptEntry { code: 10, data: vec![0x57, 0xaf] };
    let empty = dns::OptEntry { code: 12, data: vec![] };
    m.additionals = vec![opt(vec![data, empty])];
    assert_eq!(
        v3(&DnsLogConfig::default(), &m, 1)["additionals"],
        json!([{"rrname":"","rrtype":"OPT","ttl":0,"opt":[{"code":10,"data":"57af"},{"code":12,"data":""}]}])
    );
    // Only empty OPT records: no key at all.
    m.additionals = vec![opt(vec![])];
    assert!(v3(&DnsLogConfig::default(), &m, 1).get("additionals").is_none());
}

#[test]
fn truncated_names_are_flagged() {
    let mut m =
        response(vec![q("long", 1)], vec![rr("long", 5, RData::Name(Name { bytes: b"t".to_vec(), truncated: true }))]);
    m.questions[0].name_truncated = true;
    m.answers[0].name_truncated = true;
    m.authorities = m.answers.clone();
    let v = v3(&DnsLogConfig::default(), &m, 1);
    assert_eq!(v["queries"][0], json!({"rrname":"long","rrtype":"A","rrname_truncated":true}));
    assert_eq!(
        v["authorities"][0],
        json!({"rrname":"long","rrname_truncated":true,"rrtype":"CNAME","ttl":60,"rdata":"t","rdata_truncated":true})
    );
    // Suricata flags answers too; the schema allows the flags in queries
    // and authorities only (see `Section`).
    assert_eq!(v["answers"][0], json!({"rrname":"long","rrtype":"CNAME","ttl":60,"rdata":"t"}));
}

#[test]
fn formats_types_and_directions() {
    let m = response(vec![q("y.example", 28), q("y.example", 1)], vec![rr("y.example", 1, RData::A([1, 2, 3, 4]))]);
    let detailed = DnsLogConfig { formats: vec![DnsFormat::Detailed], ..DnsLogConfig::default() };
    let v = v3(&detailed, &m, 1);
    assert!(v.get("answers").is_some() && v.get("grouped").is_none());
    let grouped = DnsLogConfig { formats: vec![DnsFormat::Grouped], ..DnsLogConfig::default() };
    let v = v3(&grouped, &m, 1);
    assert!(v.get("answers").is_none() && v.get("grouped").is_some());

    // `types` keeps the questions of those types, and the messages with one.
    let only_a = DnsLogConfig { types: Some(names(&["A"])), ..DnsLogConfig::default() };
    assert_eq!(v3(&only_a, &m, 1)["queries"], json!([{"rrname":"y.example","rrtype":"A"}]));
    assert!(only_a.logs(&m));
    let only_mx = DnsLogConfig { types: Some(names(&["mx"])), ..DnsLogConfig::default() };
    assert!(!only_mx.logs(&m));

    // Requests and responses.
    let request = DnsMessage { flags: 0x0100, ..m.clone() };
    let no_requests = DnsLogConfig { requests: false, ..DnsLogConfig::default() };
    assert!(!no_requests.logs(&request) && no_requests.logs(&m));
    let no_responses = DnsLogConfig { responses: false, ..DnsLogConfig::default() };
    assert!(no_responses.logs(&request) && !no_responses.logs(&m));
    // A message without questions is never logged.
    assert!(!DnsLogConfig::default().logs(&response(vec![], vec![])));
}

#[test]
fn unnamed_types_pass_only_with_every_default() {
    // Suricata's filter lets any type through only while its flag word is
    // all ones: any non-default option leaves types it cannot name out.
    let m = response(vec![q("u.example", 9999)], vec![]);
    assert!(DnsLogConfig::default().logs(&m));
    let detailed = DnsLogConfig { formats: vec![DnsFormat::Detailed], ..DnsLogConfig::default() };
    assert!(!detailed.logs(&m));
    let no_requests = DnsLogConfig { requests: false, ..DnsLogConfig::default() };
    assert!(!no_requests.logs(&m));
    let all_formats =
        DnsLogConfig { formats: vec![DnsFormat::Grouped, DnsFormat::Detailed], ..DnsLogConfig::default() };
    assert!(all_formats.logs(&m));
    // Alerts: their question list is emptied (Suricata writes
    // `"queries":[]`, the schema wants an item: no key), the object is
    // still there.
    let mut out = Vec::new();
    write_alert_object(&mut out, &m, 1);
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with(",\"dns\":{\"version\":3") && !out.contains("queries"));
}

#[test]
fn alert_object_has_details_only() {
    let m = response(vec![q("a.example", 1)], vec![rr("a.example", 1, RData::A([1, 2, 3, 4]))]);
    let mut out = b"{\"x\":0".to_vec();
    write_alert_object(&mut out, &m, 3);
    out.push(b'}');
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["dns"]["tx_id"], 3);
    assert!(v["dns"].get("answers").is_some() && v["dns"].get("grouped").is_none());
}

#[test]
fn version_2_queries_stop_at_the_first_filtered_question() {
    let m = DnsMessage { flags: 0x0100, questions: vec![q("a", 1), q("b", 28), q("c", 1)], ..DnsMessage::default() };
    assert_eq!(DnsLogConfig::default().v2_queries(&m), 3);
    let only_a = DnsLogConfig { types: Some(names(&["a"])), ..DnsLogConfig::default() };
    assert_eq!(only_a.v2_queries(&m), 1);
    let only_aaaa = DnsLogConfig { types: Some(names(&["aaaa"])), ..DnsLogConfig::default() };
    assert_eq!(only_aaaa.v2_queries(&m), 0);
    assert_eq!(DnsLogConfig::default().v2_queries(&response(vec![q("a", 1)], vec![])), 0);
}

#[test]
fn config_serde() {
    let c: DnsLogConfig = serde_yaml::from_str("{version: 2, formats: [grouped], types: [a, aaaa]}").unwrap();
    assert_eq!(c.version(), DnsVersion::V2);
    assert_eq!(c.formats, [DnsFormat::Grouped]);
    assert!(serde_yaml::from_str::<DnsLogConfig>("{version: 4}").is_err());
    assert!(serde_yaml::from_str::<DnsLogConfig>("{format: [grouped]}").is_err());
    assert!(serde_yaml::from_str::<DnsLogConfig>("{types: [a, caa]}").is_err());
    assert_eq!(DnsLogConfig::default().version(), DnsVersion::V3);
    assert!(is_type_name("NSAPPTR") && is_type_name("https") && !is_type_name("caa"));
}

#[test]
fn parsed_message_end_to_end() {
    // bug-4503's request: an EDNS cookie in the additional section.
    let wire = [
        0x25, 0x82, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1, 1, b'1', 1, b'2', 1, b'3', 1, b'4', 0, 0, 1, 0, 1, 0, 0, 41,
        0x10, 0, 0, 0, 0, 0, 0, 12, 0, 10, 0, 8, 0x57, 0xaf, 0x86, 0x7b, 0x4f, 0xd8, 0x4d, 0x60,
    ];
    let m = parse_message(&DnsConfig::default(), &wire).unwrap();
    assert_eq!(
        v3(&DnsLogConfig::default(), &m, 0),
        json!({"version":3,"type":"request","tx_id":0,"id":9602,"flags":"120","rd":true,"opcode":0,
               "rcode":"NOERROR","queries":[{"rrname":"1.2.3.4","rrtype":"A"}],
               "additionals":[{"rrname":"","rrtype":"OPT","ttl":0,"opt":[{"code":10,"data":"57af867b4fd84d60"}]}]})
    );
}

/// Every shape of `dns` object validates against Suricata 8.0.6's schema
/// (strict about unknown keys), wrapped in a record header.
#[test]
fn objects_validate_against_suricata_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/schemas/suricata-8.0.6-eve.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema present")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let soa = Soa { mname: Name { bytes: b"ns".to_vec(), truncated: true }, rname: name("r"), ..Soa::default() };
    let opt = dns::OptEntry { code: 10, data: vec![1, 2] };
    let long = Name { bytes: b"long".to_vec(), truncated: true };
    let mut m = response(
        vec![Question { name_truncated: true, ..q("a.example", 1) }, q("u.example", 9999)],
        vec![
            Record { name_truncated: true, ..rr("a.example", 1, RData::A([1, 2, 3, 4])) },
            rr("a.example", 28, RData::Aaaa([0; 16])),
            rr("a.example", 1, RData::BadAddr),
            rr("a.example", 5, RData::Name(long.clone())),
            rr("a.example", 16, RData::Txt(vec![b"x\xff".to_vec()])),
            rr("a.example", 10, RData::Null(vec![0, 1])),
            rr("a.example", 6, RData::Soa(Box::new(soa))),
            rr("a.example", 33, RData::Srv { priority: 1, weight: 2, port: 3, target: long }),
            rr("a.example", 44, RData::Sshfp { algo: 1, fp_type: 1, fingerprint: vec![9] }),
            rr("a.example", 41, RData::Opt(vec![opt.clone()])),
            rr("a.example", 13, RData::Other(vec![1])),
        ],
    );
    m.flags = 0x8000 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0040 | 3;
    m.authorities = m.answers.clone();
    m.additionals = vec![Record { rrtype: 41, rdata: RData::Opt(vec![opt]), ..Record::default() }];
    let request = DnsMessage { flags: 0x0140, answers: vec![], authorities: vec![], ..m.clone() };
    let mut objects = Vec::new();
    for msg in [&m, &request] {
        for cfg in [
            DnsLogConfig::default(),
            DnsLogConfig { formats: vec![DnsFormat::Grouped], ..DnsLogConfig::default() },
            DnsLogConfig { types: Some(names(&["a"])), ..DnsLogConfig::default() },
        ] {
            let mut o = Vec::new();
            write_v3(&mut o, Flags::of(&cfg), msg, 1);
            objects.push(o);
        }
        let mut o = Vec::new();
        write_alert_object(&mut o, msg, 1);
        objects.push(o);
    }
    let mut o = Vec::new();
    v2_query_object(&mut o, &request, 0, 0);
    objects.push(o);
    let mut o = Vec::new();
    v2_answer_object(&mut o, Flags::of(&DnsLogConfig::default()), &m);
    objects.push(o);
    for o in objects {
        let line = [
            &br#"{"timestamp":"2024-05-02T16:30:50.272848+0000","flow_id":1,"event_type":"dns","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":53,"proto":"UDP","ip_v":4,"pkt_src":"wire/pcap""#[..],
            &o,
            b"}",
        ]
        .concat();
        let v: Value = serde_json::from_slice(&line).unwrap();
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:?}\n{v}");
    }
}
