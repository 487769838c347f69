//! A live `mirrorids run` on loopback for the tests that drive the sensor
//! as users do: started with free ports for its health and metrics
//! endpoints, fed by `mirrorids send`, watched through the endpoints,
//! signalled, and killed if a test fails. Included by those test files
//! (`#[path]`), not by every test.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_mirrorids");
/// Generous: CI machines are slow and shared. Nothing is timed, these
/// only bound how long a broken sensor can hang a test.
pub const PATIENCE: Duration = Duration::from_secs(90);

pub fn s(p: &Path) -> String {
    p.display().to_string()
}

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `mirrorids run` with its endpoints.
pub struct Sensor {
    pub child: Child,
    pub health: u16,
    pub metrics: u16,
    pub log: PathBuf,
}

impl Sensor {
    pub fn start(dir: &Path, args: &[String]) -> Sensor {
        let (health, metrics) = (free_tcp_port(), free_tcp_port());
        let log = dir.join(format!("sensor-{health}.log"));
        let mut all = vec![
            "run".to_string(),
            "--set".into(),
            format!("control.health_listen=127.0.0.1:{health}"),
            "--set".into(),
            format!("control.metrics_listen=127.0.0.1:{metrics}"),
            "--set".into(),
            "control.stats_interval_secs=1".into(),
        ];
        all.extend_from_slice(args);
        let child = Command::new(BIN)
            .args(&all)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Sensor { child, health, metrics, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn health(&self) -> Option<(u16, String)> {
        http_get(self.health, "/health")
    }

    pub fn wait_healthy(&mut self) {
        let end = Instant::now() + PATIENCE;
        while self.health().map(|h| h.0) != Some(200) {
            assert!(self.child.try_wait().unwrap().is_none(), "sensor exited: {}", self.log());
            assert!(Instant::now() < end, "never healthy: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn metrics(&self) -> String {
        http_get(self.metrics, "/metrics").map(|r| r.1).unwrap_or_default()
    }

    /// Waits until a metric (summed over its label sets matching `filter`)
    /// reaches `want`.
    pub fn wait_metric(&mut self, name: &str, filter: &str, want: f64) {
        let end = Instant::now() + PATIENCE;
        loop {
            let m = self.metrics();
            if metric(&m, name, filter) >= want {
                return;
            }
            assert!(self.child.try_wait().unwrap().is_none(), "sensor exited: {}", self.log());
            assert!(Instant::now() < end, "{name}{{{filter}}} never reached {want}:\n{m}\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn signal(&self, sig: i32) {
        // kill(2) directly: a fresh machine need not have procps' kill(1).
        let pid = i32::try_from(self.child.id()).unwrap();
        #[allow(unsafe_code)]
        // SAFETY: sends a signal to our own child process; no memory involved.
        let r = unsafe { libc::kill(pid, sig) };
        assert_eq!(r, 0, "kill({pid}, {sig})");
    }

    /// SIGTERM, then the exit code.
    pub fn stop(mut self) -> (i32, String) {
        self.signal(15);
        let end = Instant::now() + PATIENCE;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return (st.code().unwrap_or(-1), self.log());
            }
            assert!(Instant::now() < end, "sensor did not stop: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut c = TcpStream::connect(("127.0.0.1", port)).ok()?;
    c.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(c, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
    let mut out = String::new();
    c.read_to_string(&mut out).ok()?;
    let code = out.split(' ').nth(1)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n").map(|b| b.1.to_string()).unwrap_or_default();
    Some((code, body))
}

/// Sum of a metric's samples whose labels contain `filter`.
pub fn metric(text: &str, name: &str, filter: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, v) = l.rsplit_once(' ')?;
            let (n, labels) = key.split_once('{').unwrap_or((key, ""));
            (n == name && labels.contains(filter)).then(|| v.parse::<f64>().ok()).flatten()
        })
        .sum()
}

pub fn send(args: &[&str]) -> u64 {
    let out = Command::new(BIN).arg("send").args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "send {args:?}: {err}");
    // "sent N datagrams, ..."
    err.split_whitespace().skip_while(|w| *w != "sent").nth(1).and_then(|n| n.parse().ok()).expect("datagram count")
}

/// A `/proc/PID/status` field in kB (`VmRSS:`, `VmHWM:`); 0 if unreadable.
pub fn status_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
