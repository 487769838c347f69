//! The deployment artifacts in `deploy/` as their users check them: cfn-lint
//! on the CloudFormation templates, checkov on the templates, the Terraform
//! module and the Dockerfile (hadolint too when it is installed), all with
//! no finding; and the dashboards and the CloudWatch agent ask only for
//! metrics a running sensor exports.
//!
//! The linters are Python tools that `scripts/setup-lint.sh` (run by the test
//! suite through `scripts/setup.sh --lint`) installs into
//! `~/.cache/mirrorids/lint-venv` (or `$MIRRORIDS_LINT_VENV`).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mirrorids");
const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// Bounds how long a broken sensor can hang the test; nothing is timed.
const PATIENCE: Duration = Duration::from_secs(90);

fn deploy() -> PathBuf {
    Path::new(REPO).join("deploy")
}

/// The lint virtualenv's copy of a tool, else one on PATH.
fn find_tool(name: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("MIRRORIDS_LINT_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/mirrorids/lint-venv")));
    if let Some(p) = venv.map(|v| v.join("bin").join(name)).filter(|p| p.is_file()) {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn tool(name: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| {
        panic!(
            "{name} is not installed: run scripts/setup-lint.sh (it installs cfn-lint, checkov and hadolint \
             into ~/.cache/mirrorids/lint-venv)"
        )
    })
}

fn run(cmd: &mut Command) -> Output {
    cmd.current_dir(REPO).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn cfn_lint_finds_nothing_in_the_cloudformation_templates() {
    let mut templates: Vec<PathBuf> = std::fs::read_dir(deploy().join("cloudformation"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    templates.sort();
    assert!(templates.len() >= 3, "expected the three templates, found {templates:?}");
    let out = run(Command::new(tool("cfn-lint")).args(&templates));
    assert!(out.status.success() && out.stdout.is_empty(), "cfn-lint findings:\n{}", text(&out));
}

#[test]
fn checkov_finds_nothing_in_deploy() {
    let out = run(Command::new(tool("checkov"))
        .args(["-d", "deploy", "--framework", "cloudformation", "terraform", "dockerfile"])
        // No platform look-ups: the run must not depend on the network.
        .args(["--skip-download", "--output", "json"])
        .env("BC_SKIP_MAPPING", "TRUE"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("checkov output ({e}):\n{}", text(&out)));
    // One report per framework (a single one is not wrapped in a list).
    let reports = match json {
        Value::Array(v) => v,
        one => vec![one],
    };
    let mut scanned = BTreeSet::new();
    let mut problems = Vec::new();
    for r in &reports {
        let kind = r["check_type"].as_str().unwrap_or("?").to_string();
        let s = &r["summary"];
        if s["passed"].as_u64().unwrap_or(0) > 0 {
            scanned.insert(kind.clone());
        }
        if s["parsing_errors"].as_u64().unwrap_or(0) > 0 {
            problems.push(format!("{kind}: parsing errors: {}", r["results"]["parsing_errors"]));
        }
        for f in r["results"]["failed_checks"].as_array().into_iter().flatten() {
            problems.push(format!(
                "{kind}: {} {} in {} ({})",
                f["check_id"].as_str().unwrap_or("?"),
                f["check_name"].as_str().unwrap_or("?"),
                f["file_path"].as_str().unwrap_or("?"),
                f["resource"].as_str().unwrap_or("?"),
            ));
        }
    }
    assert!(problems.is_empty(), "checkov findings:\n{}", problems.join("\n"));
    for kind in ["cloudformation", "terraform", "dockerfile"] {
        assert!(scanned.contains(kind), "checkov scanned no {kind} file:\n{}", text(&out));
    }
}

#[test]
fn hadolint_finds_nothing_in_the_dockerfile() {
    // Optional: setup.sh installs it where a wheel exists for the platform.
    let Some(hadolint) = find_tool("hadolint") else {
        eprintln!("hadolint not installed; skipped (scripts/setup-lint.sh installs it where it can)");
        return;
    };
    let out = run(Command::new(hadolint).arg("deploy/container/Dockerfile"));
    assert!(out.status.success(), "hadolint findings:\n{}", text(&out));
}

/// Every `mirrorids_*` name in a string.
fn metric_names(s: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = s;
    while let Some(i) = rest.find("mirrorids_") {
        let tail = &rest[i..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        names.insert(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}

/// Every string value in a JSON document under the given keys.
fn strings_under(v: &Value, keys: &[&str], out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::String(s) if keys.contains(&k.as_str()) => out.push(s.clone()),
                    Value::Array(a) if keys.contains(&k.as_str()) => {
                        out.extend(a.iter().filter_map(|s| s.as_str().map(str::to_string)))
                    }
                    _ => strings_under(x, keys, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| strings_under(x, keys, out)),
        _ => {}
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut c = TcpStream::connect(("127.0.0.1", port)).ok()?;
    c.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(c, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
    let mut out = String::new();
    c.read_to_string(&mut out).ok()?;
    out.split_once("\r\n\r\n").map(|b| b.1.to_string())
}

/// Names on a running sensor's `/metrics`, after its first publish.
fn exported_metric_names() -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let metrics = free_port();
    let mut child = Command::new(BIN)
        .args(["run", "--listen", &format!("127.0.0.1:{udp}"), "--workers", "1"])
        .args(["-r", &format!("{REPO}/signatures/mirrorids.rules")])
        .args(["--eve", &dir.path().join("eve.json").display().to_string()])
        .args(["--set", "control.health_listen=''"])
        .args(["--set", &format!("control.metrics_listen=127.0.0.1:{metrics}")])
        .args(["--set", "control.stats_interval_secs=1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + PATIENCE;
    let text = loop {
        let m = http_get(metrics, "/metrics").unwrap_or_default();
        // The rule-set gauges come with the first snapshot the control thread publishes.
        if m.contains("mirrorids_ruleset_generation ") {
            break m;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("mirrorids run exited ({status}) before publishing metrics:\n{err}");
        }
        if Instant::now() > end {
            child.kill().unwrap();
            panic!("no metrics published within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .filter(|n| n.starts_with("mirrorids_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn dashboards_query_only_metrics_the_sensor_exports() {
    let obs = deploy().join("observability");
    let read_json = |name: &str| -> Value { serde_json::from_slice(&std::fs::read(obs.join(name)).unwrap()).unwrap() };
    let mut queries = Vec::new();
    strings_under(&read_json("grafana-dashboard.json"), &["expr", "query", "definition"], &mut queries);
    let dashboard: BTreeSet<String> = queries.iter().flat_map(|q| metric_names(q)).collect();
    let mut selectors = Vec::new();
    strings_under(&read_json("cloudwatch-agent.json"), &["metric_selectors"], &mut selectors);
    let cloudwatch: BTreeSet<String> = selectors.iter().flat_map(|q| metric_names(q)).collect();
    assert!(dashboard.len() > 20 && !cloudwatch.is_empty(), "too few metrics found: {dashboard:?} {cloudwatch:?}");

    let exported = exported_metric_names();
    // A histogram or summary is queried through its series' suffixes.
    let known = |n: &String| {
        exported.contains(n)
            || ["_bucket", "_sum", "_count"].iter().any(|s| n.strip_suffix(s).is_some_and(|b| exported.contains(b)))
    };
    let unknown: Vec<&String> = dashboard.iter().chain(&cloudwatch).filter(|n| !known(n)).collect();
    assert!(unknown.is_empty(), "queried but not exported: {unknown:?}\nexported: {exported:?}");
}
