//! Overlap policies: when a retransmitted or overlapping segment carries
//! different bytes than data already buffered, which bytes does the
//! receiving host keep? Operating systems disagree, and an attacker who
//! knows how the IDS decides can show it one stream while the target reads
//! another. So the choice follows the target (the receiving host), chosen
//! per destination network like Suricata's `host-os-policy`.
//!
//! The decisions follow the classic Novak/Sturges target-based reassembly
//! model as Suricata applies it: what matters is where the new segment
//! starts and ends relative to the segment it overlaps.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::rules::header::parse_addresses;
use crate::rules::ipset::IpSet;
use crate::rules::Vars;

/// How a host resolves overlapping TCP data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OverlapPolicy {
    /// The data seen first always wins.
    First,
    /// The data seen last always wins.
    Last,
    /// Suricata's default.
    #[default]
    Bsd,
    BsdRight,
    Linux,
    OldLinux,
    Windows,
    Windows2k3,
    Vista,
    Solaris,
    OldSolaris,
    Hpux10,
    Hpux11,
    Irix,
    Macos,
}

impl OverlapPolicy {
    pub const ALL: [OverlapPolicy; 15] = [
        OverlapPolicy::First,
        OverlapPolicy::Last,
        OverlapPolicy::Bsd,
        OverlapPolicy::BsdRight,
        OverlapPolicy::Linux,
        OverlapPolicy::OldLinux,
        OverlapPolicy::Windows,
        OverlapPolicy::Windows2k3,
        OverlapPolicy::Vista,
        OverlapPolicy::Solaris,
        OverlapPolicy::OldSolaris,
        OverlapPolicy::Hpux10,
        OverlapPolicy::Hpux11,
        OverlapPolicy::Irix,
        OverlapPolicy::Macos,
    ];

    /// The name used in configuration files (Suricata's spelling).
    pub fn name(self) -> &'static str {
        match self {
            OverlapPolicy::First => "first",
            OverlapPolicy::Last => "last",
            OverlapPolicy::Bsd => "bsd",
            OverlapPolicy::BsdRight => "bsd-right",
            OverlapPolicy::Linux => "linux",
            OverlapPolicy::OldLinux => "old-linux",
            OverlapPolicy::Windows => "windows",
            OverlapPolicy::Windows2k3 => "windows2k3",
            OverlapPolicy::Vista => "vista",
            OverlapPolicy::Solaris => "solaris",
            OverlapPolicy::OldSolaris => "old-solaris",
            OverlapPolicy::Hpux10 => "hpux10",
            OverlapPolicy::Hpux11 => "hpux11",
            OverlapPolicy::Irix => "irix",
            OverlapPolicy::Macos => "macos",
        }
    }

    pub fn from_name(s: &str) -> Option<OverlapPolicy> {
        OverlapPolicy::ALL.into_iter().find(|p| p.name() == s)
    }

    /// Whether the bytes of a new segment `[new_start, new_end)` replace
    /// those of an already buffered, overlapping segment
    /// `[old_start, old_end)` (stream offsets, original segment extents).
    pub fn new_wins(self, new_start: u64, new_end: u64, old_start: u64, old_end: u64) -> bool {
        use OverlapPolicy::*;
        match self {
            Last => true,
            First | BsdRight | Vista | OldSolaris => false,
            _ if new_start == old_start => {
                // Same start: a shorter new segment never wins; one that
                // covers the old one wins on some stacks, and a longer one
                // also on Linux.
                (new_end > old_end && self == Linux)
                    || (new_end >= old_end && matches!(self, OldLinux | Solaris | Hpux11))
            }
            _ if new_start < old_start => {
                // Starting before the old segment wins on most stacks;
                // Solaris and HP-UX 11 want it to cover the old one.
                matches!(self, Bsd | Hpux10 | Irix | Windows | Windows2k3 | OldLinux | Linux | Macos)
                    || (new_end >= old_end && matches!(self, Solaris | Hpux11))
            }
            // Starting inside the old segment: only Solaris and HP-UX 11
            // take new data, and only when it reaches past the old end.
            _ => new_end > old_end && matches!(self, Solaris | Hpux11),
        }
    }
}

/// `host-os-policy`: networks per overlap policy; the most specific network
/// containing the receiving host decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct HostOsPolicyConfig {
    /// Policy for hosts in no listed network.
    pub default: OverlapPolicy,
    /// Policy name -> addresses (Suricata address syntax: CIDRs, lists,
    /// negation), e.g. `windows: ["10.0.0.0/8"]`.
    pub networks: BTreeMap<OverlapPolicy, Vec<String>>,
}

/// The compiled host policy table.
#[derive(Debug, Clone, Default)]
pub struct PolicyTable {
    default: OverlapPolicy,
    /// (range size, range, policy), smallest range first: the first range
    /// containing an address is the most specific.
    ranges: Vec<(u128, (u128, u128), OverlapPolicy)>,
}

impl PolicyTable {
    pub fn build(cfg: &HostOsPolicyConfig) -> Result<PolicyTable, String> {
        let vars = Vars::default();
        let mut ranges = Vec::new();
        for (&policy, nets) in &cfg.networks {
            for net in nets {
                let set: IpSet = parse_addresses(net, &vars)
                    .map_err(|e| format!("stream.host_os_policy.networks.{}: \"{net}\": {e}", policy.name()))?;
                for &(lo, hi) in set.ranges() {
                    ranges.push((hi - lo, (lo, hi), policy));
                }
            }
        }
        ranges.sort_by_key(|&(size, (lo, _), _)| (size, lo));
        Ok(PolicyTable { default: cfg.default, ranges })
    }

    /// The policy of the host at `addr`.
    pub fn lookup(&self, addr: IpAddr) -> OverlapPolicy {
        let k = crate::rules::ipset::addr_key(addr);
        self.ranges.iter().find(|&&(_, (lo, hi), _)| lo <= k && k <= hi).map_or(self.default, |&(_, _, p)| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_overlap_by_policy() {
        // GOOD then EVIL at the same sequence number and length.
        let winners: Vec<&str> =
            OverlapPolicy::ALL.into_iter().filter(|p| p.new_wins(0, 4, 0, 4)).map(OverlapPolicy::name).collect();
        assert_eq!(winners, vec!["last", "old-linux", "solaris", "hpux11"]);
    }

    #[test]
    fn starting_before_wins_on_bsd_not_first() {
        assert!(OverlapPolicy::Bsd.new_wins(0, 6, 2, 8));
        assert!(!OverlapPolicy::First.new_wins(0, 6, 2, 8));
        assert!(!OverlapPolicy::Solaris.new_wins(0, 6, 2, 8));
        assert!(OverlapPolicy::Solaris.new_wins(0, 9, 2, 8));
        assert!(OverlapPolicy::Linux.new_wins(2, 9, 2, 8));
        assert!(!OverlapPolicy::Bsd.new_wins(2, 9, 2, 8));
        assert!(!OverlapPolicy::Windows.new_wins(4, 9, 2, 8));
        assert!(OverlapPolicy::Hpux11.new_wins(4, 9, 2, 8));
    }

    #[test]
    fn most_specific_network_decides() {
        let mut cfg = HostOsPolicyConfig::default();
        cfg.networks.insert(OverlapPolicy::Windows, vec!["0.0.0.0/0".into()]);
        cfg.networks.insert(OverlapPolicy::OldLinux, vec!["[2.2.2.2, 10.0.0.0/8]".into()]);
        let t = PolicyTable::build(&cfg).unwrap();
        assert_eq!(t.lookup("2.2.2.2".parse().unwrap()), OverlapPolicy::OldLinux);
        assert_eq!(t.lookup("10.1.2.3".parse().unwrap()), OverlapPolicy::OldLinux);
        assert_eq!(t.lookup("1.1.1.1".parse().unwrap()), OverlapPolicy::Windows);
        assert_eq!(t.lookup("::1".parse().unwrap()), OverlapPolicy::Bsd);
        cfg.networks.insert(OverlapPolicy::Linux, vec!["not-an-address".into()]);
        assert!(PolicyTable::build(&cfg).unwrap_err().contains("linux"));
    }
}
