use serde_json::{json, Value};

use super::*;

pub const ALERT: &str = r#"{"timestamp":"2024-04-01T12:00:00.123456+0000","flow_id":1234567890123,"pcap_cnt":7,"event_type":"alert","vlan":[12],"src_ip":"10.0.0.1","src_port":40000,"dest_ip":"192.0.2.8","dest_port":80,"proto":"TCP","app_proto":"http","direction":"to_server","alert":{"action":"allowed","gid":1,"signature_id":2019401,"rev":3,"signature":"ET POLICY curl UA","category":"Attempted Information Leak","severity":2},"http":{"hostname":"example.com"},"community_id":"1:abc=","mirrorids":{"vni":42,"gwlb_endpoint_id":"00000000000000ab","truncated":false,"rule_action":"alert","tenant":"blue"},"host":"sensor-1"}"#;
pub const FLOW: &str = r#"{"timestamp":"2024-04-01T12:00:00.000000+0000","flow_id":99,"event_type":"flow","src_ip":"2001:0db8:0000:0000:0000:0000:0000:0001","src_port":5353,"dest_ip":"2001:0db8:0000:0000:0000:0000:0000:0002","dest_port":53,"ip_v":6,"proto":"UDP","app_proto":"dns","flow":{"pkts_toserver":2,"pkts_toclient":3,"bytes_toserver":100,"bytes_toclient":300,"start":"2024-04-01T12:00:00.000000+0000","end":"2024-04-01T12:00:02.500000+0000","age":2,"state":"established","reason":"timeout","alerted":false},"mirrorids":{"vni":7,"tunnel_src_ip":"172.16.0.9","truncated":2}}"#;
pub const NETFLOW: &str = r#"{"timestamp":"2024-04-01T12:00:00.000000+0000","flow_id":99,"event_type":"netflow","src_ip":"10.0.0.2","src_port":1,"dest_ip":"10.0.0.1","dest_port":2,"proto":"TCP","netflow":{"pkts":4,"bytes":400,"start":"2024-04-01T12:00:00.000000+0000","end":"2024-04-01T12:00:01.000000+0000","age":1,"min_ttl":64,"max_ttl":64},"tcp":{"tcp_flags":"1b","syn":true}}"#;
pub const HTTP: &str = r#"{"timestamp":"2024-04-01T12:00:00.500000+0000","flow_id":5,"event_type":"http","src_ip":"10.0.0.1","src_port":40000,"dest_ip":"192.0.2.8","dest_port":8080,"proto":"TCP","tx_id":0,"http":{"hostname":"www.example.com","http_port":8080,"url":"/a/b.php?x=1","http_user_agent":"curl/8.0","xff":"203.0.113.5, bogus","http_content_type":"text/html","http_refer":"http://r.example/","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":1234}}"#;
pub const DNS: &str = r#"{"timestamp":"2024-04-01T12:00:00.000000+0000","flow_id":6,"event_type":"dns","src_ip":"10.0.0.53","src_port":53,"dest_ip":"10.0.0.1","dest_port":5353,"proto":"UDP","dns":{"version":3,"type":"response","tx_id":0,"id":4660,"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rcode":"NXDOMAIN","queries":[{"rrname":"www.example.com","rrtype":"A"}],"answers":[{"rrname":"www.example.com","rrtype":"A","ttl":300,"rdata":"192.0.2.1"},{"rrname":"example.com","rrtype":"SOA","ttl":60,"soa":{"mname":"ns.example.com"}}]}}"#;

fn map(line: &str) -> Mapped {
    transform(line.as_bytes()).unwrap()
}

#[test]
fn eve_times_parse_to_the_microsecond() {
    assert_eq!(parse_eve_time("1970-01-01T00:00:00.000001+0000"), Some(1));
    assert_eq!(parse_eve_time("2017-08-02T20:06:04.112404+0000"), Some(1_501_704_364_112_404));
    assert_eq!(parse_eve_time("2017-08-02T22:06:04.112404+0200"), Some(1_501_704_364_112_404));
    assert_eq!(parse_eve_time("2017-08-02T20:06:04Z"), Some(1_501_704_364_000_000));
    for bad in [
        "",
        "2017",
        "2017-08-02T20:06:04.1+02",
        "2017-13-02T20:06:04+0000",
        "ab17-08-02T20:06:04+0000",
        "2017-08-02T20:06:04x",
    ] {
        assert_eq!(parse_eve_time(bad), None, "{bad}");
    }
}

#[test]
fn severity_follows_the_rule_priority() {
    assert_eq!([1, 2, 3, 4].map(|p| severity_of_priority(Some(p))), [4, 3, 2, 1]);
    assert_eq!(severity_of_priority(None), 1);
}

#[test]
fn an_alert_is_a_detection_finding() {
    let m = map(ALERT);
    assert_eq!(m.class, OcsfClass::DetectionFinding);
    let e = &m.event;
    assert_eq!(e["class_uid"], 2004);
    assert_eq!(e["category_uid"], 2);
    assert_eq!(e["activity_id"], 1);
    assert_eq!(e["type_uid"], 200401);
    assert_eq!(e["severity_id"], 3);
    assert_eq!(e["severity"], "Medium");
    assert_eq!(e["time"], 1_711_972_800_123i64);
    assert_eq!(m.time_ms, 1_711_972_800_123);
    assert_eq!(e["metadata"]["version"], "1.1.0");
    assert_eq!(e["metadata"]["product"]["name"], "mirrorids");
    assert_eq!(e["metadata"]["correlation_uid"], "1234567890123");
    assert_eq!(e["metadata"]["tenant_uid"], "blue");
    let fi = &e["finding_info"];
    assert_eq!(fi["title"], "ET POLICY curl UA");
    assert_eq!(fi["types"], json!(["Attempted Information Leak"]));
    assert_eq!(fi["uid"], "1:2019401:3:1234567890123:1711972800123456");
    assert_eq!(fi["analytic"]["uid"], "2019401");
    assert_eq!(fi["analytic"]["version"], "3");
    assert_eq!(fi["analytic"]["type_id"], 1);
    let ev = &e["evidences"][0];
    assert_eq!(ev["src_endpoint"], json!({"ip": "10.0.0.1", "port": 40000, "vlan_uid": "12"}));
    assert_eq!(ev["dst_endpoint"]["port"], 80);
    assert_eq!(ev["connection_info"]["protocol_name"], "tcp");
    assert_eq!(ev["connection_info"]["protocol_num"], 6);
    assert_eq!(ev["connection_info"]["protocol_ver_id"], 4);
    assert_eq!(ev["connection_info"]["uid"], "1:abc=");
    let u = &e["unmapped"];
    assert_eq!(
        u["alert"],
        json!({"gid": 1, "signature_id": 2019401, "rev": 3, "action": "allowed", "category": "Attempted Information Leak", "severity": 2})
    );
    assert_eq!(u["mirrorids"]["vni"], 42);
    assert_eq!(u["mirrorids"]["truncated"], false);
    assert_eq!(u["mirrorids"]["gwlb_endpoint_id"], "00000000000000ab");
    assert_eq!(u["host"], "sensor-1");
    assert_eq!(u["direction"], "to_server");
    assert_eq!(u["pcap_cnt"], 7);
}

#[test]
fn a_flow_is_network_activity_with_traffic_both_ways() {
    let e = map(FLOW).event;
    assert_eq!(e["class_uid"], 4001);
    assert_eq!(e["type_uid"], 400106);
    assert_eq!(e["start_time"], 1_711_972_800_000i64);
    assert_eq!(e["end_time"], 1_711_972_802_500i64);
    assert_eq!(e["time"], e["end_time"]);
    assert_eq!(e["duration"], 2500);
    assert_eq!(e["src_endpoint"]["ip"], "2001:db8::1");
    assert_eq!(e["connection_info"]["protocol_ver_id"], 6);
    assert_eq!(e["connection_info"]["protocol_num"], 17);
    assert_eq!(
        e["traffic"],
        json!({"bytes_out": 100, "bytes_in": 300, "packets_out": 2, "packets_in": 3, "bytes": 400, "packets": 5})
    );
    assert_eq!(e["app_name"], "dns");
    assert_eq!(e["unmapped"]["flow"]["state"], "established");
    assert_eq!(e["unmapped"]["mirrorids"], json!({"vni": 7, "tunnel_src_ip": "172.16.0.9", "truncated_packets": 2}));
    let n = map(NETFLOW).event;
    assert_eq!(n["traffic"], json!({"bytes_out": 400, "packets_out": 4, "bytes": 400, "packets": 4}));
    assert_eq!(n["connection_info"]["tcp_flags"], 0x1b);
    assert_eq!(n["unmapped"]["flow"]["max_ttl"], 64);
}

#[test]
fn http_maps_request_and_response() {
    let e = map(HTTP).event;
    assert_eq!(e["class_uid"], 4002);
    assert_eq!(e["activity_id"], 3);
    assert_eq!(e["type_uid"], 400203);
    let rq = &e["http_request"];
    assert_eq!(rq["http_method"], "GET");
    assert_eq!(
        rq["url"],
        json!({"url_string": "http://www.example.com:8080/a/b.php?x=1", "scheme": "http", "path": "/a/b.php", "query_string": "x=1", "hostname": "www.example.com", "port": 8080})
    );
    assert_eq!(rq["user_agent"], "curl/8.0");
    assert_eq!(rq["referrer"], "http://r.example/");
    assert_eq!(rq["version"], "HTTP/1.1");
    assert_eq!(rq["x_forwarded_for"], json!(["203.0.113.5"]));
    assert_eq!(e["http_response"], json!({"code": 200, "content_type": "text/html", "length": 1234}));
    assert_eq!(e["unmapped"]["tx_id"], 0);

    // A method OCSF does not list, a host name its pattern refuses, no response.
    let odd =
        HTTP.replace("\"GET\"", "\"PROPFIND\"").replace("www.example.com", "bad_host").replace(",\"status\":200", "");
    let e = map(&odd).event;
    assert_eq!(e["activity_id"], 99);
    assert!(e["http_request"].get("http_method").is_none());
    assert!(e["http_request"]["url"].get("hostname").is_none());
    assert_eq!(e["http_request"]["url"]["url_string"], "http://bad_host:8080/a/b.php?x=1");
    assert_eq!(e["http_response"]["code"], 0);
    assert_eq!(e["unmapped"]["http"]["http_method"], "PROPFIND");
    assert_eq!(e["unmapped"]["http"]["hostname"], "bad_host");
}

#[test]
fn dns_maps_query_answers_and_rcode() {
    let e = map(DNS).event;
    assert_eq!(e["class_uid"], 4003);
    assert_eq!(e["activity_id"], 2);
    assert_eq!(e["type_uid"], 400302);
    assert_eq!(
        e["query"],
        json!({"hostname": "www.example.com", "type": "A", "opcode_id": 0, "opcode": "Query", "packet_uid": 4660})
    );
    assert_eq!(e["rcode_id"], 3);
    assert_eq!(e["rcode"], "NXDomain");
    let a = e["answers"].as_array().unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0]["rdata"], "192.0.2.1");
    assert_eq!(a[0]["ttl"], 300);
    assert_eq!(a[0]["flag_ids"], json!([3, 4]));
    assert_eq!(a[0]["flags"], json!(["Recursion Desired", "Recursion Available"]));
    assert_eq!(a[1]["rdata"], "{\"mname\":\"ns.example.com\"}");
    // A request; a name OCSF's pattern refuses.
    let q = DNS
        .replace("\"response\"", "\"request\"")
        .replace("\"www.example.com\",\"rrtype\":\"A\"}]", "\"_dmarc.example.com\",\"rrtype\":\"TXT\"}]");
    let e = map(&q).event;
    assert_eq!(e["activity_id"], 1);
    assert!(e.get("query").is_none());
    assert_eq!(e["unmapped"]["dns"]["rrname"], "_dmarc.example.com");
    // Version 2.
    let v2 = r#"{"timestamp":"2024-04-01T12:00:00.000000+0000","event_type":"dns","src_ip":"10.0.0.1","src_port":5353,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"version":2,"type":"query","id":1,"rrname":"a.example","rrtype":"AAAA","tx_id":0,"opcode":0}}"#;
    let e = map(v2).event;
    assert_eq!(e["activity_id"], 1);
    assert_eq!(e["query"]["hostname"], "a.example");
    assert_eq!(e["query"]["type"], "AAAA");
}

#[test]
fn other_types_are_unmapped_and_bad_lines_malformed() {
    assert_eq!(transform(br#"{"event_type":"tls","timestamp":"x"}"#), Err(Skip::Unmapped("tls".into())));
    assert_eq!(transform(br#"{"event_type":"stats"}"#), Err(Skip::Unmapped("stats".into())));
    for bad in [&b"not json"[..], b"[1,2]", b"{}", b"{\"event_type\":\"alert\"}", b"{\"event_type\":3}", b"\xff\xfe"] {
        assert!(matches!(transform(bad), Err(Skip::Malformed(_))), "{:?}", String::from_utf8_lossy(bad));
    }
    // An alert without a valid address still has a finding (endpoints are evidence).
    let no_ip = ALERT.replace("\"10.0.0.1\"", "\"nope\"");
    assert!(map(&no_ip).event["evidences"][0].get("src_endpoint").is_none());
    // A flow without one has no source: malformed.
    assert!(matches!(
        transform(FLOW.replace("\"2001:0db8:0000:0000:0000:0000:0000:0001\"", "1").as_bytes()),
        Err(Skip::Malformed(_))
    ));
}

#[test]
fn strings_and_names_fit_ocsf() {
    let long = "é".repeat(MAX_STRING + 10);
    assert_eq!(text(&long).as_str().unwrap().chars().count(), MAX_STRING);
    assert!(is_hostname("a-b.example.com") && is_hostname("x"));
    for bad in ["", "a..b", "-a.b", "a-.b", "a_b.c", "a.b.", "a b"] {
        assert!(!is_hostname(bad), "{bad}");
    }
    assert_eq!(proto_num("IPv6-ICMP"), Some(58));
    assert_eq!(proto_num("254"), Some(254));
    assert_eq!(proto_num("nope"), None);
}

/// Every field the mappers write is in the class's Arrow schema, with its
/// type (strict decoding refuses any other), so JSON and Parquet hold the
/// same thing.
#[test]
fn the_arrow_schemas_hold_exactly_what_the_mappers_write() {
    let odd_http = HTTP.replace("\"GET\"", "\"PROPFIND\"").replace("www.example.com", "bad_host");
    let odd_dns = DNS.replace("www.example.com\",\"rrtype\":\"A\"}]", "_x.example.com\",\"rrtype\":\"A\"}]");
    let samples = [ALERT, FLOW, NETFLOW, HTTP, DNS, &odd_http, &odd_dns];
    for class in OcsfClass::ALL {
        let rows: Vec<Value> = samples.iter().map(|s| map(s)).filter(|m| m.class == class).map(|m| m.event).collect();
        assert!(!rows.is_empty());
        let schema = schema::of(class);
        let mut d = arrow_json::ReaderBuilder::new(schema.clone()).with_strict_mode(true).build_decoder().unwrap();
        d.serialize(&rows).unwrap_or_else(|e| panic!("{class:?}: {e}"));
        let batch = d.flush().unwrap_or_else(|e| panic!("{class:?}: {e}")).unwrap();
        assert_eq!(batch.num_rows(), rows.len());
    }
}

#[test]
fn integers_beyond_ocsf_range_are_left_out() {
    let big = ALERT
        .replace("\"gid\":1", "\"gid\":18446744073709551615")
        .replace("\"pcap_cnt\":7", "\"pcap_cnt\":9223372036854775808");
    let m = map(&big);
    assert!(m.event["unmapped"]["alert"].get("gid").is_none());
    assert!(m.event["unmapped"].get("pcap_cnt").is_none());
    let mut d = arrow_json::ReaderBuilder::new(schema::of(m.class)).with_strict_mode(true).build_decoder().unwrap();
    d.serialize(&[m.event]).unwrap();
    assert_eq!(d.flush().unwrap().unwrap().num_rows(), 1);
}
