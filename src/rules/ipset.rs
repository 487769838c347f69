//! Address sets as sorted, merged ranges: exact semantics for lists,
//! negation, CIDR and ranges, and a binary-search lookup.

use std::net::IpAddr;

/// A set of IPv4 and IPv6 addresses. IPv4 addresses live in the IPv4-mapped
/// part of a single u128 space so one range list covers both families
/// without letting an IPv4 CIDR match IPv6 traffic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpSet {
    /// Sorted, non-overlapping, non-adjacent inclusive ranges.
    ranges: Vec<(u128, u128)>,
}

const V4_BASE: u128 = 0xffff_0000_0000;

/// "10.0.0.0/8", "2001:db8::/32" or a single address.
pub fn parse_cidr(s: &str) -> Result<IpSet, String> {
    let bad = || format!("\"{s}\" is not an address or CIDR");
    let (ip, prefix) = match s.trim().split_once('/') {
        Some((a, p)) => (a.parse::<IpAddr>().map_err(|_| bad())?, Some(p.parse::<u8>().map_err(|_| bad())?)),
        None => (s.trim().parse::<IpAddr>().map_err(|_| bad())?, None),
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    if prefix > max {
        return Err(bad());
    }
    Ok(IpSet::cidr(ip, prefix))
}

pub fn addr_key(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v4) => V4_BASE | u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl IpSet {
    pub fn any() -> Self {
        IpSet { ranges: vec![(0, u128::MAX)] }
    }

    pub fn empty() -> Self {
        IpSet::default()
    }

    pub fn is_any(&self) -> bool {
        self.ranges == [(0, u128::MAX)]
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn ranges(&self) -> &[(u128, u128)] {
        &self.ranges
    }

    /// A CIDR block (prefix length checked by the caller's parser).
    pub fn cidr(addr: IpAddr, prefix: u8) -> Self {
        let (key, bits) = match addr {
            IpAddr::V4(_) => (addr_key(addr), u32::from(prefix) + 96),
            IpAddr::V6(_) => (addr_key(addr), u32::from(prefix)),
        };
        let host_bits = 128 - bits.min(128);
        let mask = if host_bits == 128 { u128::MAX } else { (1u128 << host_bits) - 1 };
        IpSet { ranges: vec![(key & !mask, key | mask)] }
    }

    pub fn range(lo: IpAddr, hi: IpAddr) -> Self {
        let (a, b) = (addr_key(lo), addr_key(hi));
        IpSet { ranges: vec![(a.min(b), a.max(b))] }
    }

    pub fn contains(&self, a: IpAddr) -> bool {
        let k = addr_key(a);
        // Last range starting at or before k.
        let i = self.ranges.partition_point(|&(lo, _)| lo <= k);
        i > 0 && self.ranges[i - 1].1 >= k
    }

    pub fn union(&self, other: &IpSet) -> IpSet {
        let mut all: Vec<(u128, u128)> = self.ranges.iter().chain(other.ranges.iter()).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u128, u128)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        IpSet { ranges: out }
    }

    pub fn complement(&self) -> IpSet {
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let mut next: Option<u128> = Some(0);
        for &(lo, hi) in &self.ranges {
            if let Some(n) = next {
                if lo > n {
                    out.push((n, lo - 1));
                }
            }
            next = hi.checked_add(1);
        }
        if let Some(n) = next {
            out.push((n, u128::MAX));
        }
        IpSet { ranges: out }
    }

    pub fn difference(&self, other: &IpSet) -> IpSet {
        self.complement().union(other).complement()
    }

    pub fn intersects(&self, other: &IpSet) -> bool {
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a, b) = (self.ranges[i], other.ranges[j]);
            if a.1 < b.0 {
                i += 1;
            } else if b.1 < a.0 {
                j += 1;
            } else {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_and_negation() {
        let home = IpSet::cidr(ip("10.0.0.0"), 8).union(&IpSet::cidr(ip("192.168.0.0"), 16));
        assert!(home.contains(ip("10.1.2.3")));
        assert!(home.contains(ip("192.168.255.255")));
        assert!(!home.contains(ip("11.0.0.0")));
        let ext = home.complement();
        assert!(ext.contains(ip("8.8.8.8")));
        assert!(!ext.contains(ip("10.0.0.1")));
        assert!(ext.contains(ip("::1")), "IPv6 is outside an IPv4 HOME_NET");
        assert_eq!(ext.complement(), home);
    }

    #[test]
    fn v4_cidr_does_not_cover_v6() {
        let all_v4 = IpSet::cidr(ip("0.0.0.0"), 0);
        assert!(all_v4.contains(ip("255.255.255.255")));
        assert!(!all_v4.contains(ip("2001:db8::1")));
        let v6 = IpSet::cidr(ip("2001:db8::"), 32);
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
    }

    #[test]
    fn difference_and_ranges() {
        let s =
            IpSet::cidr(ip("100.117.241.0"), 24).difference(&IpSet::range(ip("100.117.241.10"), ip("100.117.241.20")));
        assert!(s.contains(ip("100.117.241.9")));
        assert!(!s.contains(ip("100.117.241.15")));
        assert!(s.contains(ip("100.117.241.21")));
        assert!(IpSet::any().is_any());
        assert!(IpSet::any().complement().is_empty());
        assert!(s.intersects(&IpSet::cidr(ip("100.117.241.0"), 28)));
        assert!(!s.intersects(&IpSet::range(ip("100.117.241.12"), ip("100.117.241.13"))));
    }
}
