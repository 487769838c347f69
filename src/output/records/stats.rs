//! EVE `stats` records: the sensor's counters, periodically and at the end
//! of a run, in Suricata's stats tree where Suricata has the counter
//! (`decoder`, `flow`, `tcp`, `app_layer`, `detect`), ours under
//! `mirrorids`.

use serde::{Deserialize, Serialize};

use crate::util::json::{push_key, push_str};
use crate::util::Timestamp;

/// Options of `stats` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatsLogConfig {
    pub enabled: bool,
    /// Seconds between two records while running (a last one is written
    /// at the end of the run).
    pub interval_secs: u64,
}

impl Default for StatsLogConfig {
    fn default() -> Self {
        StatsLogConfig { enabled: true, interval_secs: 30 }
    }
}

/// A tree of counters, written in the order given.
pub enum Node<'a> {
    Counter(&'a str, u64),
    /// A string value (`detect.engines[].last_reload`).
    Text(&'a str, String),
    Group(&'a str, Vec<Node<'a>>),
    /// An array of objects (`detect.engines`).
    List(&'a str, Vec<Vec<Node<'a>>>),
}

fn write_nodes(out: &mut Vec<u8>, nodes: &[Node<'_>]) {
    out.push(b'{');
    for (i, n) in nodes.iter().enumerate() {
        match n {
            Node::Counter(k, v) => {
                push_key(out, k, i == 0);
                crate::util::json::push_uint(out, *v);
            }
            Node::Text(k, v) => {
                push_key(out, k, i == 0);
                push_str(out, v);
            }
            Node::Group(k, children) => {
                push_key(out, k, i == 0);
                write_nodes(out, children);
            }
            Node::List(k, items) => {
                push_key(out, k, i == 0);
                out.push(b'[');
                for (j, item) in items.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    write_nodes(out, item);
                }
                out.push(b']');
            }
        }
    }
    out.push(b'}');
}

/// One `stats` record at wall-clock time `now`: Suricata's tree under
/// `stats`, ours under the top-level `mirrorids` object.
pub fn write_record(out: &mut Vec<u8>, now: Timestamp, tree: &[Node<'_>], ours: &[Node<'_>]) {
    out.extend_from_slice(b"{\"timestamp\":");
    now.push_eve_str(out);
    push_key(out, "event_type", false);
    push_str(out, "stats");
    push_key(out, "stats", false);
    write_nodes(out, tree);
    if !ours.is_empty() {
        push_key(out, "mirrorids", false);
        write_nodes(out, ours);
    }
    out.extend_from_slice(b"}\n");
}
