//! The Arrow schema of each class: every field the mappers write, with
//! its type, all nullable. Every Parquet file of a class has exactly this
//! schema whatever its records hold, so Glue and Athena read them as one
//! table. OCSF integers are Int64, strings Utf8, arrays lists, objects
//! structs; `time` and the other times stay ms since the epoch (Int64), as
//! in the JSON.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};

use super::OcsfClass;

fn s(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn i(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

fn b(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}

fn st(name: &str, fields: Vec<Field>) -> Field {
    Field::new(name, DataType::Struct(Fields::from(fields)), true)
}

fn list(name: &str, item: DataType) -> Field {
    Field::new(name, DataType::List(Arc::new(Field::new("item", item, true))), true)
}

fn strings(names: &[&str]) -> Vec<Field> {
    names.iter().map(|n| s(n)).collect()
}

fn ints(names: &[&str]) -> Vec<Field> {
    names.iter().map(|n| i(n)).collect()
}

fn metadata() -> Field {
    let product = st("product", strings(&["name", "vendor_name", "version"]));
    let mut f = vec![s("version"), product];
    f.extend(strings(&["log_name", "original_time", "correlation_uid", "tenant_uid"]));
    st("metadata", f)
}

fn endpoint_fields() -> Vec<Field> {
    vec![s("ip"), i("port"), s("vlan_uid")]
}

fn connection_info() -> Field {
    st(
        "connection_info",
        vec![
            s("protocol_name"),
            i("protocol_num"),
            i("protocol_ver_id"),
            s("protocol_ver"),
            i("direction_id"),
            s("direction"),
            s("uid"),
            i("tcp_flags"),
        ],
    )
}

fn unmapped(class: OcsfClass) -> Field {
    let mut mirror = vec![i("vni")];
    mirror.extend(strings(&[
        "tunnel_src_ip",
        "gwlb_endpoint_id",
        "gwlb_attachment_id",
        "gwlb_flow_cookie",
        "tenant",
        "rule_action",
    ]));
    mirror.extend([b("truncated"), i("truncated_packets")]);
    let mut f = vec![st("mirrorids", mirror)];
    f.extend(strings(&["host", "in_iface", "direction", "app_proto"]));
    f.extend(ints(&[
        "pcap_cnt",
        "tx_id",
        "parent_id",
        "icmp_type",
        "icmp_code",
        "response_icmp_type",
        "response_icmp_code",
    ]));
    f.push(match class {
        OcsfClass::DetectionFinding => {
            st("alert", vec![i("gid"), i("signature_id"), i("rev"), s("action"), s("category"), i("severity")])
        }
        OcsfClass::NetworkActivity => {
            let mut x = strings(&["state", "reason", "bypass", "action"]);
            x.push(b("alerted"));
            x.extend(ints(&["age", "min_ttl", "max_ttl"]));
            x.push(s("tcp_state"));
            st("flow", x)
        }
        OcsfClass::HttpActivity => {
            st("http", strings(&["hostname", "http_method", "status_string", "redirect", "xff"]))
        }
        OcsfClass::DnsActivity => {
            st("dns", vec![i("version"), s("type"), i("id"), s("flags"), s("rrname"), i("queries")])
        }
    });
    st("unmapped", f)
}

fn base(class: OcsfClass) -> Vec<Field> {
    let mut f = Vec::new();
    for (n, int) in [
        ("category_uid", true),
        ("category_name", false),
        ("class_uid", true),
        ("class_name", false),
        ("activity_id", true),
        ("activity_name", false),
        ("type_uid", true),
        ("type_name", false),
        ("severity_id", true),
        ("severity", false),
        ("time", true),
    ] {
        f.push(if int { i(n) } else { s(n) });
    }
    f.push(metadata());
    f.push(unmapped(class));
    f
}

/// The fields of network classes: endpoints, connection, application.
fn network_common() -> Vec<Field> {
    vec![st("src_endpoint", endpoint_fields()), st("dst_endpoint", endpoint_fields()), connection_info(), s("app_name")]
}

/// The Arrow schema of `class`.
pub fn of(class: OcsfClass) -> SchemaRef {
    let mut f = base(class);
    match class {
        OcsfClass::DetectionFinding => {
            let analytic =
                st("analytic", vec![s("uid"), s("name"), i("type_id"), s("type"), s("version"), s("category")]);
            f.push(st(
                "finding_info",
                vec![s("uid"), s("title"), list("types", DataType::Utf8), i("created_time"), analytic],
            ));
            f.extend([i("status_id"), s("status"), s("message")]);
            let evidence =
                vec![st("src_endpoint", endpoint_fields()), st("dst_endpoint", endpoint_fields()), connection_info()];
            f.push(list("evidences", DataType::Struct(Fields::from(evidence))));
        }
        OcsfClass::NetworkActivity => {
            f.extend(ints(&["start_time", "end_time", "duration"]));
            f.extend(network_common());
            f.push(st("traffic", ints(&["bytes_out", "bytes_in", "packets_out", "packets_in", "bytes", "packets"])));
        }
        OcsfClass::HttpActivity => {
            f.extend(network_common());
            let url =
                st("url", vec![s("url_string"), s("scheme"), s("path"), s("query_string"), s("hostname"), i("port")]);
            let mut req = vec![s("http_method"), url];
            req.extend(strings(&["user_agent", "referrer", "version"]));
            req.push(list("x_forwarded_for", DataType::Utf8));
            f.push(st("http_request", req));
            f.push(st("http_response", vec![i("code"), s("content_type"), i("length")]));
        }
        OcsfClass::DnsActivity => {
            f.extend(network_common());
            f.push(st("query", vec![s("hostname"), s("type"), i("opcode_id"), s("opcode"), i("packet_uid")]));
            let answer = vec![
                s("rdata"),
                s("type"),
                i("ttl"),
                i("packet_uid"),
                list("flag_ids", DataType::Int64),
                list("flags", DataType::Utf8),
            ];
            f.push(list("answers", DataType::Struct(Fields::from(answer))));
            f.extend([i("rcode_id"), s("rcode")]);
        }
    }
    Arc::new(Schema::new(f))
}
