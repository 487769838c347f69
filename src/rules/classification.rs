//! Classification table: `classtype` names to a category text and default
//! priority (Suricata's `classification.config` format).

use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub description: String,
    pub priority: u8,
}

#[derive(Debug, Clone, Default)]
pub struct Classifications {
    map: HashMap<String, Classification>,
}

/// The standard table shipped with Suricata and Snort, plus the classes
/// Emerging Threats adds. Used when no file is configured.
const BUILTIN: &str = "\
not-suspicious,Not Suspicious Traffic,3
unknown,Unknown Traffic,3
bad-unknown,Potentially Bad Traffic,2
attempted-recon,Attempted Information Leak,2
successful-recon-limited,Information Leak,2
successful-recon-largescale,Large Scale Information Leak,2
attempted-dos,Attempted Denial of Service,2
successful-dos,Denial of Service,2
attempted-user,Attempted User Privilege Gain,1
unsuccessful-user,Unsuccessful User Privilege Gain,1
successful-user,Successful User Privilege Gain,1
attempted-admin,Attempted Administrator Privilege Gain,1
successful-admin,Successful Administrator Privilege Gain,1
rpc-portmap-decode,Decode of an RPC Query,2
shellcode-detect,Executable code was detected,1
string-detect,A suspicious string was detected,3
suspicious-filename-detect,A suspicious filename was detected,2
suspicious-login,An attempted login using a suspicious username was detected,2
system-call-detect,A system call was detected,2
tcp-connection,A TCP connection was detected,4
trojan-activity,A Network Trojan was detected,1
unusual-client-port-connection,A client was using an unusual port,2
network-scan,Detection of a Network Scan,3
denial-of-service,Detection of a Denial of Service Attack,2
non-standard-protocol,Detection of a non-standard protocol or event,2
protocol-command-decode,Generic Protocol Command Decode,3
web-application-activity,access to a potentially vulnerable web application,2
web-application-attack,Web Application Attack,1
misc-activity,Misc activity,3
misc-attack,Misc Attack,2
icmp-event,Generic ICMP event,3
inappropriate-content,Inappropriate Content was Detected,1
policy-violation,Potential Corporate Privacy Violation,1
default-login-attempt,Attempt to login by a default username and password,2
targeted-activity,Targeted Malicious Activity was Detected,1
exploit-kit,Exploit Kit Activity Detected,1
external-ip-check,Device Retrieving External IP Address Detected,2
domain-c2,Domain Observed Used for C2 Detected,1
pup-activity,Possibly Unwanted Program Detected,2
credential-theft,Successful Credential Theft Detected,1
social-engineering,Possible Social Engineering Attempted,2
coin-mining,Crypto Currency Mining Activity Detected,2
command-and-control,Malware Command and Control Activity Detected,1
";

impl Classifications {
    pub fn builtin() -> Self {
        let mut c = Classifications::default();
        for line in BUILTIN.lines() {
            // The built-in table is well formed; a bad line would simply be absent.
            let _ = c.add_line(&format!("config classification: {line}"));
        }
        c
    }

    /// Loads a `classification.config` file on top of the current table.
    pub fn load_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            self.add_line(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        }
        Ok(())
    }

    fn add_line(&mut self, line: &str) -> Result<(), String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let Some(rest) = line.strip_prefix("config classification:") else {
            return Err(format!("expected \"config classification: name,description,priority\", got \"{line}\""));
        };
        let parts: Vec<&str> = rest.splitn(3, ',').map(str::trim).collect();
        let [name, desc, prio] = parts[..] else {
            return Err(format!("expected name,description,priority in \"{line}\""));
        };
        let priority: u8 = prio.parse().map_err(|_| format!("invalid priority \"{prio}\""))?;
        self.map.insert(name.to_ascii_lowercase(), Classification { description: desc.to_string(), priority });
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Classification> {
        self.map.get(&name.to_ascii_lowercase())
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_and_file() {
        let mut c = Classifications::builtin();
        assert_eq!(c.get("bad-unknown").unwrap().priority, 2);
        assert_eq!(c.get("Trojan-Activity").unwrap().description, "A Network Trojan was detected");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("classification.config");
        std::fs::write(&p, "# comment\nconfig classification: custom,My Class, 4\n").unwrap();
        c.load_file(&p).unwrap();
        assert_eq!(c.get("custom").unwrap().priority, 4);
        std::fs::write(&p, "config classification: broken\n").unwrap();
        let err = c.load_file(&p).unwrap_err();
        assert!(err.contains(":1:"), "{err}");
    }
}
