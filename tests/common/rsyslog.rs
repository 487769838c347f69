//! A real rsyslogd for the syslog sink tests, started by each test as its
//! own process, on free loopback ports, with its state in a temporary
//! directory. It parses each message as RFC 5424 and writes its fields
//! and MSG to a file, which the tests compare with the EVE output.
//! Included by the syslog test files (`#[path]`), not by every test.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn rsyslogd() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("rsyslogd"))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("SKIPPED: rsyslogd is not installed (apt-get install rsyslog, or scripts/setup.sh --lint)");
    }
    found
}

/// rsyslogd and its GnuTLS network stream driver (`lmnsd_gtls.so`, in
/// Debian's rsyslog-gnutls), or None with a `SKIPPED:` message.
pub fn rsyslogd_with_tls() -> Option<PathBuf> {
    let bin = rsyslogd()?;
    let mut dirs = vec![PathBuf::from("/usr/lib/rsyslog")];
    if let Ok(rd) = std::fs::read_dir("/usr/lib") {
        dirs.extend(rd.filter_map(|e| e.ok()).map(|e| e.path().join("rsyslog")));
    }
    if dirs.iter().any(|d| d.join("lmnsd_gtls.so").is_file()) {
        return Some(bin);
    }
    eprintln!(
        "SKIPPED: rsyslog's TLS driver lmnsd_gtls.so is not installed (apt-get install rsyslog-gnutls, or scripts/setup.sh --lint)"
    );
    None
}

pub fn free_port() -> u16 {
    // Free for both protocols, so either input may take it.
    loop {
        let t = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = t.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// One message as rsyslog parsed it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Parsed {
    pub pri: u32,
    pub app: String,
    pub procid: String,
    pub msgid: String,
    pub host: String,
    pub msg: String,
}

/// TLS settings of the TCP input (rsyslog's gtls driver).
pub struct Tls<'a> {
    pub ca: &'a Path,
    pub cert: &'a Path,
    pub key: &'a Path,
    /// `anon` (no client certificate asked) or `x509/certvalid` (one
    /// signed by `ca` required).
    pub auth_mode: &'a str,
}

pub struct Rsyslog {
    child: Child,
    bin: PathBuf,
    dir: PathBuf,
    out: PathBuf,
    pub udp: u16,
    pub tcp: u16,
}

impl Rsyslog {
    /// UDP and plain TCP inputs.
    pub fn start(bin: &Path, dir: &Path, udp: u16, tcp: u16) -> Rsyslog {
        Self::start_with(bin, dir, udp, tcp, None)
    }

    /// UDP and a TCP input, with TLS when `tls` is given.
    pub fn start_with(bin: &Path, dir: &Path, udp: u16, tcp: u16, tls: Option<&Tls<'_>>) -> Rsyslog {
        let out = dir.join("received.log");
        let conf = dir.join("rsyslog.conf");
        let (globals, imtcp) = match tls {
            None => (String::new(), String::new()),
            Some(t) => (
                format!(
                    r#" defaultNetstreamDriverCAFile="{}" defaultNetstreamDriverCertFile="{}" defaultNetstreamDriverKeyFile="{}""#,
                    t.ca.display(),
                    t.cert.display(),
                    t.key.display()
                ),
                format!(r#" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="{}""#, t.auth_mode),
            ),
        };
        // `|` separates the fields: none of them holds one but MSG, the last.
        std::fs::write(
            &conf,
            format!(
                r#"global(workDirectory="{dir}" maxMessageSize="64k"{globals})
module(load="imudp")
module(load="imtcp"{imtcp})
template(name="fields" type="string" string="%pri%|%app-name%|%procid%|%msgid%|%hostname%|%msg%\n")
ruleset(name="out") {{ action(type="omfile" file="{out}" template="fields") }}
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="out" rcvbufSize="16m")
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="out")
"#,
                dir = dir.display(),
                out = out.display(),
            ),
        )
        .unwrap();
        let err = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("rsyslogd.err")).unwrap();
        let child = Command::new(bin)
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
        let r = Rsyslog { child, bin: bin.to_path_buf(), dir: dir.to_path_buf(), out, udp, tcp };
        // Ready when TCP accepts and a UDP probe has come through.
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", tcp)).is_err() {
            assert!(Instant::now() < deadline, "rsyslogd did not listen on TCP {tcp}: {}", r.errors());
            std::thread::sleep(Duration::from_millis(50));
        }
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        while !r.received().iter().any(|p| p.app == "probe") {
            assert!(Instant::now() < deadline, "rsyslogd did not take UDP on {udp}: {}", r.errors());
            let _ = probe.send_to(b"<14>1 - - probe - - - ready", ("127.0.0.1", udp));
            std::thread::sleep(Duration::from_millis(100));
        }
        r
    }

    /// What rsyslogd wrote to stderr (its own errors), for assertions.
    pub fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.join("rsyslogd.err")).unwrap_or_default()
    }

    /// Stops it the way an init system does (SIGTERM: it writes out what
    /// it has received and closes its connections), and waits for it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }

    pub fn received(&self) -> Vec<Parsed> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.splitn(6, '|').collect();
                Some(Parsed {
                    pri: f.first()?.parse().ok()?,
                    app: f.get(1)?.to_string(),
                    procid: f.get(2)?.to_string(),
                    msgid: f.get(3)?.to_string(),
                    host: f.get(4)?.to_string(),
                    msg: f.get(5)?.to_string(),
                })
            })
            .collect()
    }

    /// The messages from `app`, once `n` of them are there (or after 20 s).
    pub fn wait_for(&self, app: &str, n: usize) -> Vec<Parsed> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got: Vec<Parsed> = self.received().into_iter().filter(|p| p.app == app).collect();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The record's `event_type`.
pub fn event_type(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["event_type"].as_str().unwrap().to_string()
}

/// Checks the header rsyslog parsed off each record `got[k]` sent for
/// `want[k]`: MSGID the event type, PROCID our pid, HOSTNAME this machine,
/// PRI `facility` with alerts' severity from `alert.severity` (1 crit ..
/// 3 warning, 4 and above notice) and `other_severity` for the rest.
pub fn assert_headers(got: &[Parsed], want: &[String], facility: u32, other_severity: u32) {
    let pid = std::process::id().to_string();
    let machine = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
    for (p, line) in got.iter().zip(want) {
        let kind = event_type(line);
        assert_eq!(
            (p.msgid.as_str(), p.procid.as_str(), p.host.as_str()),
            (kind.as_str(), pid.as_str(), machine.as_str())
        );
        let severity = if kind == "alert" {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            match v["alert"]["severity"].as_u64().unwrap() {
                1 => 2,
                2 => 3,
                3 => 4,
                _ => 5,
            }
        } else {
            other_severity
        };
        assert_eq!(p.pri, facility * 8 + severity, "{p:?}");
    }
}
