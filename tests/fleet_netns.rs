//! The fleet of deploy/cloudformation, end to end on one machine, with real
//! kernel networking in network namespaces:
//!
//! ```text
//!  workload ──veth──▶ mirror ──VXLAN 4789──▶ balancer ──▶ sensor s1 (mirrorids run)
//!  (tcpreplay)        (tc mirred into a       (VIP, one      └▶ sensor s2 (mirrorids run)
//!                      kernel VXLAN device)    flow hash)         ▲ health checks
//! ```
//!
//! - The workload namespace puts generated traffic on its interface.
//! - The mirror namespace copies every frame into a kernel VXLAN device, which does what an
//!   AWS mirror session does: VNI per session, outer UDP source port a hash of the inner flow.
//!   The kernel's hash is symmetric, so a connection's two directions share one outer port.
//! - The balancer hashes the outer source address and port onto the sensors in service, as an
//!   NLB does. That is nftables here (this kernel has no IPVS), IPVS when
//!   MIRRORIDS_FLEET_BALANCER=ipvs.
//! - A health checker in the balancer's namespace probes each sensor's /health every 100 ms.
//!   It takes a sensor out after 3 failures and puts it back after 2 successes, as an NLB
//!   target group does.
//!
//! Phase 1: the union of both sensors' alerts equals `replay`'s on the same traffic. Every
//! connection's flow record is on exactly one sensor, whole. Thresholds counted across
//! connections (`track by_src`) are the exception, reported rather than compared: each sensor
//! counts only the connections hashed to it (README "Deploy": how the fleet spreads).
//!
//! Phase 2: a sensor is killed. Its health checks fail and it is taken out. A new mirror
//! session's traffic is then inspected, all of it, by the other sensor.
//!
//! Skips, saying why, when not root, when network namespaces are not permitted, or when a tool
//! is missing (`scripts/setup.sh --lint` installs them).

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use mirrorids::gen::{AttackPlan, GenConfig, Mode};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mirrorids");
/// Only bounds how long a broken fleet can hang the test; nothing is timed.
const PATIENCE: Duration = Duration::from_secs(90);
const VIP: Ipv4Addr = Ipv4Addr::new(10, 201, 0, 100);
const MIRROR_ADDR: Ipv4Addr = Ipv4Addr::new(10, 201, 1, 1);
const BALANCER_ADDR: Ipv4Addr = Ipv4Addr::new(10, 201, 1, 2);
const HEALTH_PORT: u16 = 9100;
const METRICS_PORT: u16 = 9101;
/// The sensors: namespace role, address, and the balancer's address on their link.
const SENSORS: [(&str, Ipv4Addr, Ipv4Addr); 2] = [
    ("s1", Ipv4Addr::new(10, 201, 2, 2), Ipv4Addr::new(10, 201, 2, 1)),
    ("s2", Ipv4Addr::new(10, 201, 3, 2), Ipv4Addr::new(10, 201, 3, 1)),
];
/// Jumbo frames travel whole: the test is about spreading, not truncation.
const MTU: u32 = 9216;
const UNDERLAY_MTU: u32 = 9300;

fn sh(cmd: &[&str]) -> Result<String, String> {
    sh_in(cmd, None)
}

fn sh_in(cmd: &[&str], stdin: Option<&str>) -> Result<String, String> {
    let mut child = Command::new(cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("`{}`: {e}", cmd.join(" ")))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).map_err(|e| format!("`{}` stdin: {e}", cmd.join(" ")))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("`{}`: {e}", cmd.join(" ")))?;
    if !out.status.success() {
        return Err(format!("`{}` failed: {}", cmd.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Why this machine cannot run the fleet, if it cannot.
fn why_not() -> Option<String> {
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root: network namespaces need CAP_SYS_ADMIN".into());
    }
    for (tool, flag) in [("ip", "-V"), ("tc", "-V"), ("nft", "--version"), ("tcpreplay", "-V")] {
        if sh(&[tool, flag]).is_err() {
            return Some(format!("{tool} is not installed (scripts/setup.sh --lint installs it)"));
        }
    }
    let probe = format!("mifleet{}probe", std::process::id());
    if let Err(e) = sh(&["ip", "netns", "add", &probe]) {
        return Some(format!("network namespaces are not permitted here: {e}"));
    }
    let _ = sh(&["ip", "netns", "del", &probe]);
    None
}

/// Runs `f` on a thread inside network namespace `ns` (setns moves only
/// the calling thread).
fn in_netns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            enter_netns(ns).unwrap();
            f()
        })
        .join()
        .unwrap()
    })
}

fn enter_netns(ns: &str) -> Result<(), String> {
    let path = format!("/run/netns/{ns}");
    let f = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(format!("setns {path}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// One HTTP/1.0 GET: status and body, or None when nothing answers.
fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok()?;
    s.set_read_timeout(Some(Duration::from_millis(500))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: sensor\r\n\r\n").as_bytes()).ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Some((status, body))
}

/// How the balancer spreads the mirror traffic over the sensors in service.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Balancer {
    /// nftables: the outer source address and port hashed onto the sensors,
    /// statelessly (no connection tracking), in the prerouting hook.
    Nft,
    /// Linux IPVS, source hashing on address and port (`-s sh -b sh-port`).
    Ipvs,
}

/// The namespaces, torn down on drop.
struct Lab {
    prefix: String,
    balancer: Balancer,
    sensors: Vec<Sensor>,
}

impl Lab {
    fn ns(&self, role: &str) -> String {
        format!("{}-{role}", self.prefix)
    }

    fn exec(&self, role: &str, cmd: &[&str]) -> Result<String, String> {
        let ns = self.ns(role);
        let mut all = vec!["ip", "netns", "exec", &ns];
        all.extend_from_slice(cmd);
        sh(&all)
    }

    fn up(balancer: Balancer) -> Result<Lab, String> {
        let lab = Lab { prefix: format!("mifleet{}", std::process::id()), balancer, sensors: Vec::new() };
        for role in ["wl", "mir", "lb", "s1", "s2"] {
            sh(&["ip", "netns", "add", &lab.ns(role)])?;
            // No IPv6 neighbour discovery of the lab's own interfaces in the mirrored traffic.
            lab.exec(role, &["sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; ip link set lo up"])?;
        }
        let veth = |a: &str, a_ns: &str, b: &str, b_ns: &str, mtu: u32| {
            let (a_ns, b_ns, mtu) = (lab.ns(a_ns), lab.ns(b_ns), mtu.to_string());
            sh(&[
                "ip", "link", "add", a, "netns", &a_ns, "mtu", &mtu, "type", "veth", "peer", "name", b, "netns", &b_ns,
                "mtu", &mtu,
            ])
        };
        veth("w0", "wl", "m0", "mir", MTU)?;
        veth("m1", "mir", "l0", "lb", UNDERLAY_MTU)?;
        veth("l1", "lb", "e0", "s1", UNDERLAY_MTU)?;
        veth("l2", "lb", "e0", "s2", UNDERLAY_MTU)?;
        let addr = |role: &str, dev: &str, a: Ipv4Addr| {
            lab.exec(role, &["ip", "addr", "add", &format!("{a}/24"), "dev", dev])?;
            lab.exec(role, &["ip", "link", "set", dev, "up"])
        };
        lab.exec("wl", &["ip", "link", "set", "w0", "up"])?;
        lab.exec("mir", &["ip", "link", "set", "m0", "up"])?;
        addr("mir", "m1", MIRROR_ADDR)?;
        addr("lb", "l0", BALANCER_ADDR)?;
        for (i, (role, ip, gw)) in SENSORS.iter().enumerate() {
            addr("lb", &format!("l{}", i + 1), *gw)?;
            addr(role, "e0", *ip)?;
            lab.exec(role, &["ip", "route", "add", "default", "via", &gw.to_string()])?;
        }
        lab.exec("mir", &["ip", "route", "add", &format!("{VIP}/32"), "via", &BALANCER_ADDR.to_string()])?;
        lab.exec("lb", &["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])?;
        // Everything arriving from the workload goes into the session's VXLAN device.
        lab.exec("mir", &["tc", "qdisc", "add", "dev", "m0", "ingress"])?;
        lab.balancer_setup()?;
        Ok(lab)
    }

    /// A mirror session: a kernel VXLAN device to the VIP with its VNI; the
    /// outer source port is the kernel's hash of the inner flow, in
    /// AWS's range. Frames from the workload then go to this session only.
    fn mirror_session(&self, vni: u32) -> Result<(), String> {
        let dev = format!("vx{vni}");
        let (vni, vip, local, mtu) = (vni.to_string(), VIP.to_string(), MIRROR_ADDR.to_string(), MTU.to_string());
        self.exec(
            "mir",
            &[
                "ip", "link", "add", &dev, "mtu", &mtu, "type", "vxlan", "id", &vni, "remote", &vip, "local", &local,
                "dstport", "4789", "srcport", "49152", "65535", "dev", "m1",
            ],
        )?;
        self.exec("mir", &["ip", "link", "set", &dev, "up"])?;
        let _ = self.exec("mir", &["tc", "filter", "del", "dev", "m0", "parent", "ffff:"]);
        self.exec(
            "mir",
            &[
                "tc", "filter", "add", "dev", "m0", "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0",
                "0", "action", "mirred", "egress", "redirect", "dev", &dev,
            ],
        )
        .map(drop)
    }

    fn balancer_setup(&self) -> Result<(), String> {
        match self.balancer {
            Balancer::Nft => {
                let table = "table ip fleet {\n  chain spread {\n    type filter hook prerouting priority raw; policy accept;\n  }\n}\n";
                self.exec_stdin("lb", &["nft", "-f", "-"], table)?;
            }
            Balancer::Ipvs => {
                self.exec("lb", &["ip", "addr", "add", &format!("{VIP}/32"), "dev", "lo"])?;
                // A datagram for a removed sensor is scheduled afresh instead of dropped.
                self.exec("lb", &["sh", "-c", "echo 1 > /proc/sys/net/ipv4/vs/expire_nodest_conn"])?;
                self.exec("lb", &["ipvsadm", "-A", "-u", &format!("{VIP}:4789"), "-s", "sh", "-b", "sh-port"])?;
            }
        }
        self.balance(&[])
    }

    /// Points the VIP at exactly `backends`.
    fn balance(&self, backends: &[Ipv4Addr]) -> Result<(), String> {
        balance(&self.ns("lb"), self.balancer, backends)
    }

    fn exec_stdin(&self, role: &str, cmd: &[&str], input: &str) -> Result<String, String> {
        let ns = self.ns(role);
        let mut all = vec!["ip", "netns", "exec", &ns];
        all.extend_from_slice(cmd);
        sh_in(&all, Some(input))
    }

    /// Replays `pcap` onto the workload's interface; returns the frames sent.
    fn workload(&self, pcap: &Path) -> Result<u64, String> {
        let out = self.exec("wl", &["tcpreplay", "-i", "w0", "--pps", "4000", &pcap.display().to_string()])?;
        let sent = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("Successful packets:"))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| format!("tcpreplay said: {out}"))?;
        let failed = out.lines().find_map(|l| l.trim().strip_prefix("Failed packets:")).map(str::trim);
        if failed != Some("0") {
            return Err(format!("tcpreplay could not send every frame: {out}"));
        }
        Ok(sent)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for s in &mut self.sensors {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
        for role in ["wl", "mir", "lb", "s1", "s2"] {
            let _ = sh(&["ip", "netns", "del", &self.ns(role)]);
        }
    }
}

fn balance(lb_ns: &str, balancer: Balancer, backends: &[Ipv4Addr]) -> Result<(), String> {
    match balancer {
        Balancer::Nft => {
            let spread = if backends.is_empty() {
                "counter drop".to_string()
            } else {
                let map: Vec<String> = backends.iter().enumerate().map(|(i, b)| format!("{i} : {b}")).collect();
                format!("ip daddr set jhash ip saddr . udp sport mod {} map {{ {} }}", backends.len(), map.join(", "))
            };
            let script = format!(
                "flush chain ip fleet spread\nadd rule ip fleet spread ip daddr {VIP} udp dport 4789 notrack {spread}\n"
            );
            sh_in(&["ip", "netns", "exec", lb_ns, "nft", "-f", "-"], Some(&script)).map(drop)
        }
        Balancer::Ipvs => {
            let service = format!("{VIP}:4789");
            let listed = sh(&["ip", "netns", "exec", lb_ns, "ipvsadm", "-L", "-n", "-u", &service])?;
            for (_, ip, _) in SENSORS {
                let real = format!("{ip}:4789");
                let present = listed.contains(&real);
                if present && !backends.contains(&ip) {
                    sh(&["ip", "netns", "exec", lb_ns, "ipvsadm", "-d", "-u", &service, "-r", &real])?;
                } else if !present && backends.contains(&ip) {
                    sh(&["ip", "netns", "exec", lb_ns, "ipvsadm", "-a", "-u", &service, "-r", &real, "-m"])?;
                }
            }
            Ok(())
        }
    }
}

/// `mirrorids run` in a sensor namespace.
struct Sensor {
    role: &'static str,
    child: Child,
    eve: PathBuf,
    log: PathBuf,
}

impl Sensor {
    fn start(lab: &Lab, role: &'static str, ip: Ipv4Addr, dir: &Path, run: &str) -> Sensor {
        let eve = dir.join(format!("{role}-{run}.json"));
        let log = dir.join(format!("{role}-{run}.log"));
        let rules = repo().join("signatures");
        let child = Command::new("ip")
            .args(["netns", "exec", &lab.ns(role), BIN, "run", "--listen", "0.0.0.0:4789", "--rules"])
            .arg(&rules)
            .arg("--eve")
            .arg(&eve)
            .args(["--set", &format!("control.health_listen={ip}:{HEALTH_PORT}")])
            .args(["--set", &format!("control.metrics_listen={ip}:{METRICS_PORT}")])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Sensor { role, child, eve, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM (the sensor drains and flushes), then its EVE records.
    fn stop(&mut self) -> Vec<Value> {
        // `ip netns exec` execs the sensor, so this pid is mirrorids itself.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let end = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{} exited with {status}: {}", self.role, self.log());
                break;
            }
            assert!(Instant::now() < end, "{} did not stop: {}", self.role, self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        parse_eve(&std::fs::read(&self.eve).unwrap_or_default())
    }
}

/// The NLB target group's health checks, from the balancer's namespace:
/// every 100 ms, 3 failures take a sensor out, 2 successes put it in.
struct HealthChecker {
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<(Vec<Ipv4Addr>, Vec<String>)>>,
    thread: Option<JoinHandle<()>>,
}

impl HealthChecker {
    fn start(lab: &Lab) -> HealthChecker {
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(Mutex::new((Vec::new(), Vec::new())));
        let (lb, balancer) = (lab.ns("lb"), lab.balancer);
        let (stop2, state2) = (stop.clone(), state.clone());
        let thread = std::thread::spawn(move || {
            enter_netns(&lb).unwrap();
            let started = Instant::now();
            let mut streak = [0i32; SENSORS.len()]; // > 0 successes, < 0 failures in a row
            let mut healthy = [false; SENSORS.len()];
            while !stop2.load(Ordering::Relaxed) {
                let mut changed = false;
                for (i, (role, ip, _)) in SENSORS.iter().enumerate() {
                    let ok = http_get(SocketAddr::from((*ip, HEALTH_PORT)), "/health").is_some_and(|(s, _)| s == 200);
                    streak[i] = match (ok, streak[i] > 0) {
                        (true, true) => streak[i] + 1,
                        (true, false) => 1,
                        (false, false) => streak[i] - 1,
                        (false, true) => -1,
                    };
                    let flip = if healthy[i] { streak[i] <= -3 } else { streak[i] >= 2 };
                    if flip {
                        healthy[i] = !healthy[i];
                        changed = true;
                        let what = if healthy[i] { "in service" } else { "out of service (3 failed checks)" };
                        let line = format!("{:>6} ms: {role} {what}", started.elapsed().as_millis());
                        state2.lock().unwrap().1.push(line);
                    }
                }
                if changed {
                    let up: Vec<Ipv4Addr> = SENSORS.iter().zip(healthy).filter(|(_, h)| *h).map(|(s, _)| s.1).collect();
                    balance(&lb, balancer, &up).unwrap();
                    state2.lock().unwrap().0 = up;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        HealthChecker { stop, state, thread: Some(thread) }
    }

    fn in_service(&self) -> Vec<Ipv4Addr> {
        self.state.lock().unwrap().0.clone()
    }

    fn events(&self) -> Vec<String> {
        self.state.lock().unwrap().1.clone()
    }

    fn wait_for(&self, want: &[Ipv4Addr], why: &str) {
        let end = Instant::now() + PATIENCE;
        while self.in_service() != want {
            assert!(Instant::now() < end, "{why}: in service {:?}; checks: {:?}", self.in_service(), self.events());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for HealthChecker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Datagrams a sensor has received so far, from its metrics endpoint.
fn datagrams(lab: &Lab, ip: Ipv4Addr) -> Option<u64> {
    let (_, body) = in_netns(&lab.ns("lb"), || http_get(SocketAddr::from((ip, METRICS_PORT)), "/metrics"))?;
    let series = body.lines().filter(|l| l.starts_with("mirrorids_receiver_datagrams_total"));
    Some(series.filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum::<f64>() as u64)
}

/// Waits until the sensors at `ips` have received `want` datagrams in all.
fn wait_received(lab: &Lab, ips: &[Ipv4Addr], want: u64) {
    let end = Instant::now() + PATIENCE;
    loop {
        let got: Vec<Option<u64>> = ips.iter().map(|ip| datagrams(lab, *ip)).collect();
        let total: u64 = got.iter().flatten().sum();
        if total == want {
            return;
        }
        assert!(total <= want, "sensors received {got:?}, more than the {want} frames sent");
        assert!(Instant::now() < end, "sensors received {got:?} of {want} datagrams");
        std::thread::sleep(Duration::from_millis(50));
    }
}

type FlowKey = (String, String, String, String, String);

/// Flow records by 5-tuple: packets each way.
fn flows(records: &[Value]) -> BTreeMap<FlowKey, Vec<(u64, u64)>> {
    let mut m: BTreeMap<FlowKey, Vec<(u64, u64)>> = BTreeMap::new();
    for r in records.iter().filter(|r| r["event_type"] == "flow") {
        let key = (
            r["src_ip"].to_string(),
            r["src_port"].to_string(),
            r["dest_ip"].to_string(),
            r["dest_port"].to_string(),
            r["proto"].to_string(),
        );
        let f = &r["flow"];
        m.entry(key)
            .or_default()
            .push((f["pkts_toserver"].as_u64().unwrap_or(0), f["pkts_toclient"].as_u64().unwrap_or(0)));
    }
    m
}

fn alert_refs(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["event_type"] == "alert").collect()
}

/// Alerts of signatures that count across connections, by signature.
fn cross_flow_counts(records: &[Value]) -> BTreeMap<u64, usize> {
    let mut m = BTreeMap::new();
    for a in alert_refs(records).into_iter().filter(|a| THRESHOLDED.contains(&sid(a))) {
        *m.entry(sid(a)).or_insert(0) += 1;
    }
    m
}

/// Checks that the sensors' records together are `reference`'s: the same
/// per-connection alerts, each flow whole on one sensor. Returns a line
/// for the report.
fn check_union(reference: &[Value], parts: &[(&str, &[Value])], vni: u64) -> String {
    let want = projection(&alert_refs(reference), false);
    let mut got = BTreeMap::new();
    for (_, recs) in parts {
        for (k, n) in projection(&alert_refs(recs), false) {
            *got.entry(k).or_insert(0) += n;
        }
        for r in alert_refs(recs) {
            assert_eq!(r["mirrorids"]["vni"].as_u64(), Some(vni), "alert from the wrong session: {r}");
        }
    }
    assert!(!want.is_empty(), "the reference has no alert: the traffic tests nothing");
    assert_eq!(got, want, "the sensors' alerts together differ from replay's (per connection)");

    let want_flows = flows(reference);
    let mut union = BTreeMap::new();
    for (role, recs) in parts {
        for (k, v) in flows(recs) {
            assert!(union.insert(k.clone(), v).is_none(), "flow {k:?} split between sensors (seen again on {role})");
        }
    }
    assert_eq!(union.len(), want_flows.len(), "flow count differs from replay's");
    assert_eq!(union, want_flows, "flows (packets each way) differ from replay's");

    let shares: Vec<String> = parts.iter().map(|(role, recs)| format!("{role} {} flows", flows(recs).len())).collect();
    let mut cross = BTreeMap::new();
    for (_, recs) in parts {
        for (k, n) in cross_flow_counts(recs) {
            *cross.entry(k).or_insert(0) += n;
        }
    }
    format!(
        "{} per-connection alerts and {} flows as replay ({}); cross-connection thresholds: sensors {:?}, replay {:?}",
        want.values().sum::<usize>(),
        want_flows.len(),
        shares.join(", "),
        cross,
        cross_flow_counts(reference),
    )
}

#[test]
fn fleet_spreads_by_flow_and_survives_a_dead_sensor() {
    if let Some(why) = why_not() {
        eprintln!("SKIPPED fleet_spreads_by_flow_and_survives_a_dead_sensor: {why}");
        return;
    }
    let balancer = match std::env::var("MIRRORIDS_FLEET_BALANCER").as_deref() {
        Ok("ipvs") if Path::new("/proc/net/ip_vs").exists() => Balancer::Ipvs,
        Ok("ipvs") => {
            eprintln!("SKIPPED: MIRRORIDS_FLEET_BALANCER=ipvs but this kernel has no IPVS (/proc/net/ip_vs)");
            return;
        }
        _ => Balancer::Nft,
    };
    let dir = tempfile::tempdir().unwrap();
    let gen = |seed, name| {
        let cfg = GenConfig {
            seed,
            target_bytes: 2 << 20,
            mode: Mode::Plain,
            attacks: AttackPlan::Every(3),
            ..GenConfig::default()
        };
        generate(dir.path(), name, cfg).0
    };
    let (first, second) = (gen(71, "first.pcap"), gen(72, "second.pcap"));
    let rules = [repo().join("signatures")];
    let cfg = mirrorids::config::Config::default;
    let (ref_first, ref_second) = (
        replay_records(cfg(), &rules, std::slice::from_ref(&first)),
        replay_records(cfg(), &rules, std::slice::from_ref(&second)),
    );

    let mut lab = Lab::up(balancer).unwrap();
    let checker = HealthChecker::start(&lab);
    let ips: Vec<Ipv4Addr> = SENSORS.iter().map(|s| s.1).collect();

    // Phase 1: both sensors in service; session VNI 42 spread over them.
    for (role, ip, _) in SENSORS {
        lab.sensors.push(Sensor::start(&lab, role, ip, dir.path(), "first"));
    }
    checker.wait_for(&ips, "both sensors never came into service");
    lab.mirror_session(42).unwrap();
    let sent = lab.workload(&first).unwrap();
    wait_received(&lab, &ips, sent);
    let records: Vec<Vec<Value>> = lab.sensors.iter_mut().map(Sensor::stop).collect();
    for s in &lab.sensors {
        assert!(s.log().contains("dropped: kernel=0 "), "{} dropped datagrams: {}", s.role, s.log());
    }
    let parts: Vec<(&str, &[Value])> = SENSORS.iter().zip(&records).map(|(s, r)| (s.0, r.as_slice())).collect();
    for (role, recs) in &parts {
        assert!(flows(recs).len() > 10, "{role} got almost no flows: the balancer did not spread");
    }
    let phase1 = check_union(&ref_first, &parts, 42);
    checker.wait_for(&[], "stopped sensors stayed in service");

    // Phase 2: both sensors again (as replaced instances); one dies.
    lab.sensors.clear();
    for (role, ip, _) in SENSORS {
        lab.sensors.push(Sensor::start(&lab, role, ip, dir.path(), "second"));
    }
    checker.wait_for(&ips, "restarted sensors never came back into service");
    let killed_at = Instant::now();
    lab.sensors[0].child.kill().unwrap();
    lab.sensors[0].child.wait().unwrap();
    checker.wait_for(&ips[1..], "the dead sensor was never taken out");
    let takeout = killed_at.elapsed();
    lab.mirror_session(43).unwrap();
    let sent = lab.workload(&second).unwrap();
    wait_received(&lab, &ips[1..], sent);
    let survivor = lab.sensors[1].stop();
    let phase2 = check_union(&ref_second, &[("s2", &survivor)], 43);

    eprintln!("fleet ({balancer:?} balancer, {} sent frames in phase 2)", sent);
    eprintln!("  phase 1, both sensors: {phase1}");
    eprintln!("  phase 2, s1 killed and taken out after {} ms: {phase2}", takeout.as_millis());
    eprintln!("  health checks: {:?}", checker.events());
}
