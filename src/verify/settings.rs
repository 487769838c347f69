//! Maps a test's Suricata arguments and `suricata.yaml` to our
//! configuration. Only settings that change what we detect or log are
//! mapped; the others are listed as ignored in verbose output.

use std::path::Path;

use serde_yaml::Value;

use crate::config::Config;
use crate::flow::tcp::MidstreamPolicy;
use crate::output::records::anomaly::AnomalyLogConfig;
use crate::output::records::dns::{is_type_name, DnsFormat, DnsLogConfig, DnsVersion, RrtypeName};
use crate::output::records::fileinfo::FilesLogConfig;
use crate::output::records::flow::FlowLogConfig;
use crate::output::records::http::{DumpHeaders, HttpLogConfig};
use crate::output::records::stats::StatsLogConfig;
use crate::output::records::tls::{TlsField, TlsLogConfig};
use crate::output::types::{EveTypes, Plain};
use crate::rules::header::ActionClass;
use crate::stream::{OverlapPolicy, UrgentPolicy};

/// Suricata's defaults where ours differ (we default to mirror-target
/// settings; the tests assume Suricata's).
pub fn suricata_defaults() -> Config {
    let mut c = Config::default();
    c.stream.midstream = false;
    c.stream.async_oneside = false;
    // Suricata inspects a stream it has no app-layer parser for when a
    // chunk is full, at FIN/RST, or when the flow ends.
    c.stream.reassembly.inspect_acked = false;
    c.output.eve.payload = false;
    c.output.eve.payload_printable = false;
    c.output.eve.packet = false;
    c.output.eve.metadata = true;
    c.output.eve.ethernet = false;
    c.output.eve.types = stock_eve_types();
    c
}

/// The records Suricata's stock `suricata.yaml` logs (the tests' default):
/// everything we write but `netflow`; anomalies of the application layer
/// only.
pub fn stock_eve_types() -> EveTypes {
    EveTypes { netflow: None, anomaly: Some(AnomalyLogConfig::suricata()), ..EveTypes::default() }
}

/// Maps an `eve-log` `types:` list: every type Suricata logs and we write,
/// with the options we have; the others are listed as ignored.
fn map_eve_types(list: &[Value], ignored: &mut Vec<String>) -> EveTypes {
    let mut t = EveTypes::alerts_only();
    t.alert = None;
    for entry in list {
        let (name, opts) = match entry {
            Value::String(n) => (n.as_str(), None),
            Value::Mapping(m) => match m.iter().next() {
                Some((Value::String(n), v)) => (n.as_str(), Some(v)),
                _ => continue,
            },
            _ => continue,
        };
        let get = |k: &str| opts.and_then(|o| o.get(k));
        let flag = |k: &str| get(k).and_then(truthy);
        if flag("enabled") == Some(false) {
            continue;
        }
        let strings = |k: &str| -> Vec<String> {
            get(k).and_then(Value::as_sequence).map(|v| v.iter().filter_map(as_string).collect()).unwrap_or_default()
        };
        match name {
            "alert" => t.alert = Some(Plain::default()),
            "flow" => t.flow = Some(FlowLogConfig::default()),
            "netflow" => t.netflow = Some(Plain::default()),
            "ssh" => t.ssh = Some(Plain::default()),
            "ftp" => t.ftp = Some(Plain::default()),
            "http" => {
                let mut c = HttpLogConfig { extended: flag("extended").unwrap_or(false), ..Default::default() };
                c.custom = strings("custom");
                c.dump_all_headers = match get("dump-all-headers").and_then(as_string).as_deref() {
                    Some("both") => Some(DumpHeaders::Both),
                    Some("request") => Some(DumpHeaders::Request),
                    Some("response") => Some(DumpHeaders::Response),
                    _ => None,
                };
                t.http = Some(c);
            }
            "tls" => {
                let mut c = TlsLogConfig { extended: flag("extended").unwrap_or(false), ..Default::default() };
                if get("custom").is_some() {
                    let names = strings("custom");
                    for n in names.iter().filter(|n| TlsField::from_name(n).is_none()) {
                        ignored.push(format!("eve-log tls custom field {n}"));
                    }
                    c.custom = Some(names.iter().filter_map(|n| TlsField::from_name(n)).collect());
                }
                if let Some(b) = flag("session-resumption") {
                    c.session_resumption = b;
                }
                t.tls = Some(c);
            }
            "dns" => t.dns = Some(map_dns(opts, ignored)),
            "files" => t.files = Some(FilesLogConfig { force_hash: strings("force-hash"), ..Default::default() }),
            "anomaly" => {
                let mut c = AnomalyLogConfig::suricata();
                if let Some(types) = get("types") {
                    let kind = |k: &str| types.get(k).and_then(truthy);
                    c.types.decode = kind("decode").unwrap_or(c.types.decode);
                    c.types.stream = kind("stream").unwrap_or(c.types.stream);
                    c.types.applayer = kind("applayer").unwrap_or(c.types.applayer);
                }
                t.anomaly = Some(c);
            }
            "stats" => t.stats = Some(StatsLogConfig::default()),
            other => ignored.push(format!("eve-log type {other}")),
        }
    }
    t
}

/// A `dns` entry's options, as Suricata 8 reads them.
fn map_dns(opts: Option<&Value>, ignored: &mut Vec<String>) -> DnsLogConfig {
    let mut c = DnsLogConfig::default();
    let get = |k: &str| opts.and_then(|o| o.get(k));
    if let Some(b) = get("requests").and_then(truthy) {
        c.requests = b;
    }
    if let Some(b) = get("responses").and_then(truthy) {
        c.responses = b;
    }
    if let Some(v) = get("version").and_then(as_string) {
        // Suricata falls back to version 3 on anything but 2 or 3.
        c.version = Some(if v.trim() == "2" { DnsVersion::V2 } else { DnsVersion::V3 });
    }
    let list =
        |k: &str| get(k).and_then(Value::as_sequence).map(|v| v.iter().filter_map(as_string).collect::<Vec<_>>());
    if let Some(formats) = list("formats") {
        let parsed: Vec<DnsFormat> = formats
            .iter()
            .filter_map(|f| match f.to_ascii_lowercase().as_str() {
                "detailed" => Some(DnsFormat::Detailed),
                "grouped" => Some(DnsFormat::Grouped),
                _ => None,
            })
            .collect();
        // An empty (or unknown-only) list keeps the default, as in Suricata.
        if !parsed.is_empty() {
            c.formats = parsed;
        }
    }
    if let Some(types) = list("types") {
        for t in types.iter().filter(|t| !is_type_name(t)) {
            ignored.push(format!("eve-log dns type {t}"));
        }
        c.types = Some(types.into_iter().filter_map(|t| RrtypeName::try_from(t).ok()).collect());
    }
    c
}

fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" | "1" => Some(true),
            "no" | "false" | "off" | "0" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_u64().map(|n| n != 0),
        _ => None,
    }
}

fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn size_value(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mult) = if let Some(n) = s.strip_suffix("kb") {
        (n, 1024)
    } else if let Some(n) = s.strip_suffix("mb") {
        (n, 1 << 20)
    } else if let Some(n) = s.strip_suffix("gb") {
        (n, 1 << 30)
    } else {
        (s.as_str(), 1)
    };
    num.trim().parse::<u64>().ok().map(|n| n * mult)
}

fn policy(v: &str) -> Option<MidstreamPolicy> {
    match v {
        "ignore" | "auto" | "drop-packet" | "drop-flow" | "reject" | "pass-packet" => Some(MidstreamPolicy::Ignore),
        "bypass" | "pass-flow" => Some(MidstreamPolicy::Bypass),
        _ => None,
    }
}

/// `xff:` of an alert output.
/// Suricata's `file-store` output (version 2): on or off, every file
/// (`force-filestore`), digests it forces. A relative `dir` is Suricata's
/// log directory's; a test run has none, so it goes to a temporary one.
fn apply_file_store(cfg: &mut Config, fs: &Value) {
    let f = &mut cfg.output.filestore;
    if let Some(b) = fs.get("enabled").and_then(truthy) {
        f.enabled = b;
    }
    if let Some(b) = fs.get("force-filestore").and_then(truthy) {
        f.force = b;
    }
    let dir = fs.get("dir").and_then(as_string).unwrap_or_else(|| "filestore".into());
    let dir = std::path::PathBuf::from(dir);
    f.dir = if dir.is_absolute() {
        dir
    } else {
        std::env::temp_dir().join(format!("mirrorids-verify-{}", std::process::id())).join(dir)
    };
    let hashes: Vec<String> = fs
        .get("force-hash")
        .and_then(Value::as_sequence)
        .map(|v| v.iter().filter_map(as_string).collect())
        .unwrap_or_default();
    if let Some(files) = cfg.output.eve.types.files.as_mut() {
        for h in hashes {
            if !files.force_hash.contains(&h) {
                files.force_hash.push(h);
            }
        }
    }
}

fn apply_xff(cfg: &mut Config, x: &Value) {
    use crate::output::{XffDeployment, XffMode};
    let xff = &mut cfg.output.eve.xff;
    if let Some(b) = x.get("enabled").and_then(truthy) {
        xff.enabled = b;
    }
    match x.get("mode").and_then(Value::as_str) {
        Some("overwrite") => xff.mode = XffMode::Overwrite,
        Some("extra-data") => xff.mode = XffMode::ExtraData,
        _ => {}
    }
    match x.get("deployment").and_then(Value::as_str) {
        Some("forward") => xff.deployment = XffDeployment::Forward,
        Some("reverse") => xff.deployment = XffDeployment::Reverse,
        _ => {}
    }
    if let Some(h) = x.get("header").and_then(Value::as_str) {
        xff.header = h.to_string();
    }
}

/// libhtp limits mapped onto [`crate::app::http::HttpConfig`].
const HTTP_LIMITS: [&str; 3] = ["request-body-limit", "response-body-limit", "response-body-decompress-layer-limit"];

/// Applies one Suricata `key=value` setting; returns false if ignored.
pub fn apply_setting(cfg: &mut Config, key: &str, value: &str, test_dir: &Path) -> bool {
    match key {
        "stream.midstream" => cfg.stream.midstream = truthy(&Value::String(value.into())).unwrap_or(false),
        "stream.async-oneside" => cfg.stream.async_oneside = truthy(&Value::String(value.into())).unwrap_or(false),
        "stream.midstream-policy" => match policy(value) {
            Some(p) => cfg.stream.midstream_policy = p,
            None => return false,
        },
        "exception-policy" => match policy(value) {
            Some(p) => cfg.stream.midstream_policy = p,
            None => return false,
        },
        "decoder.vxlan.enabled" => {
            if truthy(&Value::String(value.into())) == Some(false) {
                cfg.decode.vxlan_ports.clear();
            }
        }
        "decoder.vxlan.ports" => {
            let ports: Vec<u16> =
                value.trim_matches(|c| c == '[' || c == ']').split(',').filter_map(|p| p.trim().parse().ok()).collect();
            if ports.is_empty() {
                return false;
            }
            cfg.decode.vxlan_ports = ports;
        }
        "decoder.teredo.enabled" => match truthy(&Value::String(value.into())) {
            Some(b) => cfg.decode.teredo.enabled = b,
            None => return false,
        },
        "decoder.teredo.ports" => {
            // Suricata: "any" (or no ports) looks at every UDP datagram.
            if value.trim() == "any" {
                cfg.decode.teredo.ports.clear();
                return true;
            }
            let ports: Vec<u16> =
                value.trim_matches(|c| c == '[' || c == ']').split(',').filter_map(|p| p.trim().parse().ok()).collect();
            if ports.is_empty() {
                return false;
            }
            cfg.decode.teredo.ports = ports;
        }
        "stream.reassembly.urgent.policy" => match value.trim() {
            "oob" => cfg.stream.reassembly.urgent_policy = UrgentPolicy::Oob,
            "inline" => cfg.stream.reassembly.urgent_policy = UrgentPolicy::Inline,
            // drop and gap act on the packet (IPS) or declare a gap: not mapped.
            _ => return false,
        },
        "stream.reassembly.depth" => match size_value(value) {
            Some(n) => cfg.stream.reassembly.depth = n,
            None => return false,
        },
        "stream.reassembly.memcap" => match size_value(value) {
            Some(n) => cfg.stream.reassembly.memcap = n,
            None => return false,
        },
        "stream.reassembly.toserver-chunk-size" => match size_value(value) {
            Some(n) if n > 0 => cfg.stream.reassembly.to_server_chunk = n.min(u64::from(u32::MAX)) as u32,
            _ => return false,
        },
        "stream.reassembly.toclient-chunk-size" => match size_value(value) {
            Some(n) if n > 0 => cfg.stream.reassembly.to_client_chunk = n.min(u64::from(u32::MAX)) as u32,
            _ => return false,
        },
        "app-layer.protocols.http.libhtp.default-config.request-body-limit" => match size_value(value) {
            Some(n) => cfg.app.http.request_body_limit = n.min(usize::MAX as u64) as usize,
            None => return false,
        },
        "app-layer.protocols.http.libhtp.default-config.response-body-limit" => match size_value(value) {
            Some(n) => cfg.app.http.response_body_limit = n.min(usize::MAX as u64) as usize,
            None => return false,
        },
        "app-layer.protocols.http.libhtp.default-config.response-body-decompress-layer-limit" => {
            match value.trim().parse() {
                Ok(n) => cfg.app.http.decompress_layer_limit = n,
                Err(_) => return false,
            }
        }
        "stream.inline" => cfg.stream.reassembly.inline = truthy(&Value::String(value.into())).unwrap_or(false),
        "app-layer.protocols.ssh.hassh" => match truthy(&Value::String(value.into())) {
            Some(b) => cfg.app.ssh.hassh = b,
            None => return false,
        },
        "detect.guess-applayer-tx" => {
            cfg.detect.guess_applayer_tx = truthy(&Value::String(value.into())).unwrap_or(false);
        }
        "app-layer.protocols.tls.ja3-fingerprints" | "app-layer.protocols.tls.ja4-fingerprints" => {
            use crate::app::tls::Fingerprints;
            let f = match value.trim() {
                "auto" => Fingerprints::Auto,
                v => match truthy(&Value::String(v.into())) {
                    Some(true) => Fingerprints::Yes,
                    Some(false) => Fingerprints::No,
                    None => return false,
                },
            };
            if key.ends_with("ja3-fingerprints") {
                cfg.app.tls.ja3_fingerprints = f;
            } else {
                cfg.app.tls.ja4_fingerprints = f;
            }
        }
        "app-layer.protocols.tls.encryption-handling" => {
            use crate::app::tls::EncryptionHandling;
            cfg.app.tls.encryption_handling = match value.trim() {
                // `default` is the name before Suricata 8.
                "track-only" | "default" => EncryptionHandling::TrackOnly,
                "full" => EncryptionHandling::Full,
                // Bypass (stop parsing the flow too) is not implemented.
                _ => return false,
            };
        }
        "threshold-file" => {
            // Paths are relative to the test's folder, with or without
            // suricata-verify's `${TEST_DIR}`.
            let value = value.replace("${TEST_DIR}/", "").replace("${TEST_DIR}", ".");
            cfg.detect.threshold_file = Some(test_dir.join(value));
        }
        "classification-file" => cfg.detect.classification_file = Some(test_dir.join(value)),
        "packet-alert-max" => match value.parse() {
            Ok(n) if n > 0 => cfg.detect.packet_alert_max = n,
            _ => return false,
        },
        _ => return false,
    }
    true
}

/// Applies a test's command-line arguments.
pub fn apply_args(cfg: &mut Config, args: &[String], test_dir: &Path, ignored: &mut Vec<String>) {
    let tokens: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            "--set" if i + 1 < tokens.len() => {
                let a = tokens[i + 1];
                match a.split_once('=') {
                    Some((k, v)) if apply_setting(cfg, k, v, test_dir) => {}
                    _ => ignored.push(format!("--set {a}")),
                }
                i += 2;
            }
            // Checksum validation is never done: mirrored copies carry
            // stale checksums. Suricata's threading (`--runmode single`,
            // which FTP tests use so that its data connections are not
            // raced against their control connection) has no bearing on
            // our records.
            "-k" | "--runmode" if i + 1 < tokens.len() => i += 2,
            t => {
                ignored.push(t.to_string());
                i += 1;
            }
        }
    }
}

/// Applies the parts of a `suricata.yaml` that matter to us.
pub fn apply_suricata_yaml(
    cfg: &mut Config,
    path: &Path,
    test_dir: &Path,
    ignored: &mut Vec<String>,
) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let y: Value = serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(outputs) = y.get("outputs").and_then(Value::as_sequence) {
        for o in outputs {
            if let Some(fs) = o.get("file-store") {
                apply_file_store(cfg, fs);
            }
            let Some(eve) = o.get("eve-log") else { continue };
            if let Some(b) = eve.get("ethernet").and_then(truthy) {
                cfg.output.eve.ethernet = b;
            }
            if let Some(b) = eve.get("ipv6-compress").and_then(truthy) {
                cfg.output.eve.ipv6_compress = b;
            }
            if let Some(list) = eve.get("types").and_then(Value::as_sequence) {
                cfg.output.eve.types = map_eve_types(list, ignored);
            }
            for t in eve.get("types").and_then(Value::as_sequence).into_iter().flatten() {
                if let Some(b) = t.get("files").and_then(|f| f.get("force-filestore")).and_then(truthy) {
                    cfg.output.filestore.force = b;
                }
                let Some(alert) = t.get("alert") else { continue };
                let flag = |k: &str| alert.get(k).and_then(truthy);
                if let Some(b) = flag("payload") {
                    cfg.output.eve.payload = b;
                }
                if let Some(x) = alert.get("xff") {
                    apply_xff(cfg, x);
                }
                if let Some(b) = flag("payload-printable") {
                    cfg.output.eve.payload_printable = b;
                }
                if let Some(b) = flag("http-body") {
                    cfg.output.eve.http_body = b;
                }
                if let Some(b) = flag("http-body-printable") {
                    cfg.output.eve.http_body_printable = b;
                }
                if let Some(b) = flag("packet") {
                    cfg.output.eve.packet = b;
                }
                if let Some(b) = flag("verdict") {
                    cfg.output.eve.verdict = b;
                }
                // Off unless the test's configuration turns it on, as in
                // Suricata's code (its stock yaml turns it on).
                cfg.output.eve.tagged_packets = flag("tagged-packets").unwrap_or(false);
                if let Some(m) = alert.get("metadata") {
                    if let Some(b) = truthy(m) {
                        cfg.output.eve.metadata = b;
                    }
                }
                if let Some(n) = alert.get("payload-buffer-size").and_then(as_string).and_then(|s| size_value(&s)) {
                    cfg.output.eve.payload_buffer_size = n.max(1) as usize;
                }
            }
        }
    }
    if let Some(vars) = y.get("vars") {
        for (section, target) in [("address-groups", true), ("port-groups", false)] {
            let Some(m) = vars.get(section).and_then(Value::as_mapping) else { continue };
            for (k, v) in m {
                let (Some(k), Some(v)) = (k.as_str(), as_string(v)) else { continue };
                if target {
                    cfg.vars.address_groups.insert(k.to_string(), v);
                } else {
                    cfg.vars.port_groups.insert(k.to_string(), v);
                }
            }
        }
    }
    if let Some(order) = y.get("action-order").and_then(Value::as_sequence) {
        let parsed: Vec<ActionClass> = order
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|a| match a {
                "pass" => Some(ActionClass::Pass),
                "drop" => Some(ActionClass::Drop),
                "reject" => Some(ActionClass::Reject),
                "alert" => Some(ActionClass::Alert),
                _ => None,
            })
            .collect();
        if parsed.len() == 4 {
            cfg.detect.action_order = parsed;
        }
    }
    if let Some(n) = y.get("packet-alert-max").and_then(as_string) {
        apply_setting(cfg, "packet-alert-max", &n, test_dir);
    }
    for key in ["exception-policy", "threshold-file", "classification-file"] {
        if let Some(v) = y.get(key).and_then(as_string) {
            if !apply_setting(cfg, key, &v, test_dir) {
                ignored.push(format!("{key}: {v}"));
            }
        }
    }
    if let Some(stream) = y.get("stream") {
        for (k, v) in [
            ("midstream", "stream.midstream"),
            ("async-oneside", "stream.async-oneside"),
            ("midstream-policy", "stream.midstream-policy"),
            ("inline", "stream.inline"),
        ] {
            if let Some(val) = stream.get(k).and_then(as_string) {
                apply_setting(cfg, v, &val, test_dir);
            }
        }
        if let Some(r) = stream.get("reassembly") {
            for k in ["depth", "memcap", "toserver-chunk-size", "toclient-chunk-size"] {
                if let Some(val) = r.get(k).and_then(as_string) {
                    if !apply_setting(cfg, &format!("stream.reassembly.{k}"), &val, test_dir) {
                        ignored.push(format!("stream.reassembly.{k}: {val}"));
                    }
                }
            }
        }
    }
    // Without the stock yaml's `urgent: policy: oob`, Suricata's code
    // default keeps urgent bytes inline.
    let urgent = ["stream", "reassembly", "urgent", "policy"].iter().try_fold(&y, |v: &Value, k| v.get(*k));
    let urgent = urgent.and_then(as_string).unwrap_or_else(|| "inline".into());
    if !apply_setting(cfg, "stream.reassembly.urgent.policy", &urgent, test_dir) {
        ignored.push(format!("stream.reassembly.urgent.policy: {urgent}"));
    }
    // A test's own suricata.yaml replaces the stock one (whose ports are
    // $TEREDO_PORTS, 3544, as our default): without `ports` Suricata looks
    // for Teredo on every UDP datagram.
    let teredo = ["decoder", "teredo"].iter().try_fold(&y, |v: &Value, k| v.get(*k));
    if teredo.and_then(|c| c.get("ports")).is_none() {
        cfg.decode.teredo.ports.clear();
    }
    for k in ["enabled", "ports"] {
        if let Some(val) = teredo.and_then(|c| c.get(k)).and_then(as_string) {
            let key = format!("decoder.teredo.{k}");
            if !apply_setting(cfg, &key, &val, test_dir) {
                ignored.push(format!("{key}: {val}"));
            }
        }
    }
    super::datasets::apply(cfg, &y, test_dir, ignored);
    if let Some(hosts) = y.get("host-os-policy").and_then(Value::as_mapping) {
        apply_host_os_policy(cfg, hosts, ignored);
    }
    let libhtp =
        ["app-layer", "protocols", "http", "libhtp", "default-config"].iter().try_fold(&y, |v: &Value, k| v.get(*k));
    for k in HTTP_LIMITS {
        if let Some(val) = libhtp.and_then(|c| c.get(k)).and_then(as_string) {
            let key = format!("app-layer.protocols.http.libhtp.default-config.{k}");
            if !apply_setting(cfg, &key, &val, test_dir) {
                ignored.push(format!("{key}: {val}"));
            }
        }
    }
    let ssh = ["app-layer", "protocols", "ssh", "hassh"].iter().try_fold(&y, |v: &Value, k| v.get(*k));
    if let Some(val) = ssh.and_then(as_string) {
        if !apply_setting(cfg, "app-layer.protocols.ssh.hassh", &val, test_dir) {
            ignored.push(format!("app-layer.protocols.ssh.hassh: {val}"));
        }
    }
    let tls = ["app-layer", "protocols", "tls"].iter().try_fold(&y, |v: &Value, k| v.get(*k));
    for k in ["ja3-fingerprints", "ja4-fingerprints"] {
        if let Some(val) = tls.and_then(|c| c.get(k)).and_then(as_string) {
            let key = format!("app-layer.protocols.tls.{k}");
            if !apply_setting(cfg, &key, &val, test_dir) {
                ignored.push(format!("{key}: {val}"));
            }
        }
    }
    for key in ["app-layer", "defrag", "flow", "detect"] {
        if y.get(key).is_some() {
            ignored.push(format!("suricata.yaml section {key}"));
        }
    }
    Ok(())
}

/// `host-os-policy:` maps policy names to address lists.
fn apply_host_os_policy(cfg: &mut Config, hosts: &serde_yaml::Mapping, ignored: &mut Vec<String>) {
    for (k, v) in hosts {
        let Some(name) = k.as_str() else { continue };
        let Some(policy) = OverlapPolicy::from_name(name) else {
            ignored.push(format!("host-os-policy: {name}"));
            continue;
        };
        let nets: Vec<String> = match v {
            Value::Sequence(items) => items.iter().filter_map(as_string).collect(),
            other => as_string(other).into_iter().collect(),
        };
        if !nets.is_empty() {
            cfg.stream.host_os_policy.networks.insert(policy, nets);
        }
    }
}

/// Environment variables a test sets for Suricata.
pub fn apply_env(cfg: &mut Config, env: &[(String, String)], ignored: &mut Vec<String>) {
    for (k, v) in env {
        match (k.as_str(), cfg.output.eve.types.dns.as_mut()) {
            // Read by Suricata 8 when the `dns` entry names no version.
            ("SURICATA_EVE_DNS_VERSION", Some(dns)) if dns.version.is_none() => {
                dns.version = Some(if v.trim() == "2" { DnsVersion::V2 } else { DnsVersion::V3 });
            }
            ("SURICATA_EVE_DNS_VERSION", _) => {}
            _ => ignored.push(format!("env {k}={v}")),
        }
    }
}
