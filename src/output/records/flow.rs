//! EVE `flow` records (one per flow, when it ends) and `netflow` records
//! (one per direction), with Suricata 8's fields: counters, start and end,
//! age, state, why it ended, whether it alerted, and for TCP the flags
//! seen each way and the session's state.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{end, push_bool, push_ip, push_proto, push_time, push_u64, push_vlans, write_flow_ext, EventType};
use crate::app::AppProto;
use crate::decode::tcp::{ACK, CWR, ECE, FIN, PSH, RST, SYN, URG};
use crate::decode::{IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP};
use crate::flow::{exception, EndReason, Flow};
use crate::output::community_id::Tuple;
use crate::output::EveConfig;
use crate::util::json::{push_hex, push_key, push_str};

/// Options of `flow` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowLogConfig {
    pub enabled: bool,
    /// `flow.exception_policy`: the exception policies applied to the flow
    /// (a session picked up without its SYN, a parser that gave up).
    pub exception_policy: bool,
}

impl Default for FlowLogConfig {
    fn default() -> Self {
        FlowLogConfig { enabled: true, exception_policy: true }
    }
}

/// EVE `flow.state`.
pub fn state_name(f: &Flow) -> &'static str {
    if f.bypassed {
        "bypassed"
    } else if f.proto == IPPROTO_TCP {
        if f.tcp.flow_closed() {
            "closed"
        } else if f.tcp.was_established {
            "established"
        } else {
            "new"
        }
    } else if f.pkts[0] > 0 && f.pkts[1] > 0 {
        "established"
    } else {
        "new"
    }
}

/// The record's start: timestamp (the flow's start), ids, endpoints
/// (client first), `ip_v` before `proto` as Suricata's flow log writes
/// them.
fn write_head(out: &mut Vec<u8>, eve: &EveConfig, f: &Flow, kind: EventType, to_server: bool) {
    let (a, b) = if to_server { (f.client, f.server) } else { (f.server, f.client) };
    let ports = matches!(f.proto, IPPROTO_TCP | crate::decode::IPPROTO_UDP);
    out.extend_from_slice(b"{\"timestamp\":");
    f.start.push_eve_str(out);
    push_u64(out, "flow_id", f.id);
    if let Some(id) = f.parent_id {
        push_u64(out, "parent_id", id);
    }
    push_key(out, "event_type", false);
    push_str(out, kind.name());
    push_vlans(out, f.vlans());
    push_key(out, "src_ip", false);
    push_ip(out, a.0, eve.ipv6_compress);
    if ports {
        push_u64(out, "src_port", u64::from(a.1));
    }
    push_key(out, "dest_ip", false);
    push_ip(out, b.0, eve.ipv6_compress);
    if ports {
        push_u64(out, "dest_port", u64::from(b.1));
    }
    if kind == EventType::Flow {
        push_u64(out, "ip_v", if a.0.is_ipv4() { 4 } else { 6 });
    }
    push_key(out, "proto", false);
    push_proto(out, f.proto);
    if matches!(f.proto, IPPROTO_ICMP | IPPROTO_ICMPV6) {
        let (mine, theirs) = if to_server { (f.icmp[0], f.icmp[1]) } else { (f.icmp[1], f.icmp[0]) };
        if let Some((t, c)) = mine {
            push_u64(out, "icmp_type", u64::from(t));
            push_u64(out, "icmp_code", u64::from(c));
        }
        if let Some((t, c)) = theirs.filter(|_| kind == EventType::Flow) {
            push_u64(out, "response_icmp_type", u64::from(t));
            push_u64(out, "response_icmp_code", u64::from(c));
        }
    }
    if f.app_proto != AppProto::Unknown {
        push_key(out, "app_proto", false);
        push_str(out, f.app_proto.name());
    }
}

fn write_tcp(out: &mut Vec<u8>, flags: u8, ts: Option<u8>, tc: Option<u8>, f: Option<&Flow>) {
    out.extend_from_slice(b",\"tcp\":{\"tcp_flags\":\"");
    push_hex(out, u64::from(flags), 2);
    out.push(b'"');
    if let (Some(ts), Some(tc)) = (ts, tc) {
        out.extend_from_slice(b",\"tcp_flags_ts\":\"");
        push_hex(out, u64::from(ts), 2);
        out.extend_from_slice(b"\",\"tcp_flags_tc\":\"");
        push_hex(out, u64::from(tc), 2);
        out.push(b'"');
    }
    for (bit, name) in
        [(SYN, "syn"), (FIN, "fin"), (RST, "rst"), (PSH, "psh"), (ACK, "ack"), (URG, "urg"), (ECE, "ecn"), (CWR, "cwr")]
    {
        if flags & bit != 0 {
            push_bool(out, name, true);
        }
    }
    if let Some(f) = f {
        if let Some(state) = f.tcp.state_name() {
            push_key(out, "state", false);
            push_str(out, state);
            for (d, key) in [(0, "ts_gap"), (1, "tc_gap")] {
                if f.gaps[d] {
                    push_bool(out, key, true);
                }
            }
            push_u64(out, "ts_max_regions", 1);
            push_u64(out, "tc_max_regions", 1);
        }
    }
    out.push(b'}');
}

fn write_exceptions(out: &mut Vec<u8>, f: &Flow) {
    let all = [
        (exception::MIDSTREAM_IGNORE, "stream_midstream", "ignore"),
        (exception::MIDSTREAM_BYPASS, "stream_midstream", "bypass"),
        (exception::APP_LAYER_ERROR, "app_layer_error", "ignore"),
    ];
    out.extend_from_slice(b",\"exception_policy\":[");
    let mut first = true;
    for (bit, target, policy) in all {
        if f.exception & bit != 0 {
            if !first {
                out.push(b',');
            }
            first = false;
            let _ = write!(out, "{{\"target\":\"{target}\",\"policy\":\"{policy}\"}}");
        }
    }
    out.push(b']');
}

/// One `flow` record for a flow that ended for `reason`, with the names of
/// the flowbits set on it. `alerted` is written false: the output stage
/// sets it once it knows whether an alert of the flow passed thresholds.
pub fn write_record(
    out: &mut Vec<u8>,
    eve: &EveConfig,
    cfg: &FlowLogConfig,
    f: &Flow,
    reason: EndReason,
    flowbits: &[&str],
) {
    write_head(out, eve, f, EventType::Flow, true);
    out.extend_from_slice(b",\"flow\":{");
    push_key(out, "pkts_toserver", true);
    crate::util::json::push_uint(out, f.pkts[0]);
    push_u64(out, "pkts_toclient", f.pkts[1]);
    push_u64(out, "bytes_toserver", f.bytes[0]);
    push_u64(out, "bytes_toclient", f.bytes[1]);
    push_time(out, "start", f.start);
    push_time(out, "end", f.last);
    push_u64(out, "age", f.last.secs().saturating_sub(f.start.secs()));
    push_key(out, "state", false);
    push_str(out, state_name(f));
    if f.bypassed {
        push_key(out, "bypass", false);
        push_str(out, "local");
    }
    push_key(out, "reason", false);
    push_str(out, reason.name());
    push_bool(out, "alerted", false);
    if f.detect.passed {
        push_key(out, "action", false);
        push_str(out, "pass");
    }
    if cfg.exception_policy && f.exception != 0 {
        write_exceptions(out, f);
    }
    if f.tx_cnt > 0 {
        push_u64(out, "tx_cnt", u64::from(f.tx_cnt));
    }
    out.push(b'}');
    if eve.metadata {
        super::alert::write_flowbits(out, flowbits);
    }
    // After the flow object and metadata, before `tcp`, as Suricata's
    // flow log writes it.
    super::push_community_id(out, eve, Some(&Tuple::of_flow(f)));
    if f.proto == IPPROTO_TCP {
        let (ts, tc) = (f.tcp_flags[0], f.tcp_flags[1]);
        write_tcp(out, ts | tc, Some(ts), Some(tc), Some(f));
    }
    write_flow_ext(out, eve, f, true);
    end(out);
}

/// The two `netflow` records of a flow: client to server, then back (the
/// second only if the server answered).
pub fn write_netflow(out: &mut Vec<u8>, eve: &EveConfig, f: &Flow) {
    for d in 0..2 {
        if d == 1 && f.pkts[1] == 0 {
            break;
        }
        write_head(out, eve, f, EventType::Netflow, d == 0);
        out.extend_from_slice(b",\"netflow\":{");
        push_key(out, "pkts", true);
        crate::util::json::push_uint(out, f.pkts[d]);
        push_u64(out, "bytes", f.bytes[d]);
        push_time(out, "start", f.start);
        push_time(out, "end", f.last);
        push_u64(out, "age", f.last.secs().saturating_sub(f.start.secs()));
        let (lo, hi) = f.ttl[d];
        if lo <= hi {
            push_u64(out, "min_ttl", u64::from(lo));
            push_u64(out, "max_ttl", u64::from(hi));
        }
        if f.tx_cnt > 0 {
            push_u64(out, "tx_cnt", u64::from(f.tx_cnt));
        }
        out.push(b'}');
        // Both directions' records name the same connection.
        super::push_community_id(out, eve, Some(&Tuple::of_flow(f)));
        if f.proto == IPPROTO_TCP {
            write_tcp(out, f.tcp_flags[d], None, None, None);
        }
        write_flow_ext(out, eve, f, true);
        end(out);
    }
}
