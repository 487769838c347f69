//! Tenant labels: one fleet of sensors serves several teams' mirror
//! sessions, and each team's SIEM (or index, or dashboard) wants its own
//! records. A tenant is named by the mirror sessions (VNIs) and the source
//! addresses (CIDRs) it owns; every record about its traffic carries
//! `mirrorids.tenant`, which a SIEM routes on.
//!
//! The CIDRs match the address that sent the mirrored copy (the source
//! ENI's primary address, VXLAN's outer source): that address is in the
//! team's subnet whatever the mirrored connection talks to. Traffic that
//! came through no tunnel (a plain capture, a SPAN port) is matched on the
//! connection's client address instead.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::rules::ipset::{parse_cidr, IpSet};

/// One tenant (`output.eve.tenants` is a list of them; the first that
/// matches a record names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// The label written as `mirrorids.tenant`.
    pub name: String,
    /// Mirror sessions (VXLAN/GENEVE VNI, GRE key) of this tenant.
    #[serde(default)]
    pub vnis: Vec<u32>,
    /// Source addresses of this tenant, as `10.1.0.0/16`, `2001:db8::/48`
    /// or a single address: the mirrored interface's address (the tunnel's
    /// outer source), or the client's for traffic without a tunnel.
    #[serde(default)]
    pub cidrs: Vec<Cidr>,
}

/// An address block, kept with the text it was written as (which is what
/// the configuration shows back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cidr {
    text: String,
    set: IpSet,
}

impl TryFrom<String> for Cidr {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let set = parse_cidr(&text)?;
        Ok(Cidr { text, set })
    }
}

impl From<Cidr> for String {
    fn from(c: Cidr) -> String {
        c.text
    }
}

/// Checks the list: names present and unique, each tenant owning
/// something, VNIs within 24 bits.
pub fn validate(tenants: &[Tenant]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for (i, t) in tenants.iter().enumerate() {
        let at = |m: &str| format!("output.eve.tenants[{i}] ({}): {m}", t.name);
        if t.name.is_empty() {
            return Err(format!("output.eve.tenants[{i}]: a tenant needs a name"));
        }
        if !seen.insert(t.name.as_str()) {
            return Err(at("the name is used twice"));
        }
        if t.vnis.is_empty() && t.cidrs.is_empty() {
            return Err(at("names no vnis and no cidrs, so no record would carry it"));
        }
        if let Some(v) = t.vnis.iter().find(|&&v| v > 0xff_ffff) {
            return Err(at(&format!("VNI {v} does not fit 24 bits")));
        }
    }
    Ok(())
}

/// The tenant of a record: the first whose VNIs hold `vni` or whose CIDRs
/// hold `origin` (see the module's documentation for which address that
/// is). A handful of tenants is the expected case, so a linear scan: it
/// runs once per record, and records are far fewer than packets.
pub fn lookup(tenants: &[Tenant], vni: Option<u32>, origin: Option<IpAddr>) -> Option<&str> {
    tenants
        .iter()
        .find(|t| {
            vni.is_some_and(|v| t.vnis.contains(&v))
                || origin.is_some_and(|a| t.cidrs.iter().any(|c| c.set.contains(a)))
        })
        .map(|t| t.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenants(yaml: &str) -> Result<Vec<Tenant>, String> {
        serde_yaml::from_str::<Vec<Tenant>>(yaml).map_err(|e| e.to_string())
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn the_first_tenant_that_owns_the_vni_or_the_address_names_the_record() {
        let t = tenants(
            "- {name: payments, vnis: [42, 43]}\n\
             - {name: web, cidrs: [10.1.0.0/16, '2001:db8::/48']}\n\
             - {name: catch-10, cidrs: [10.0.0.0/8]}\n",
        )
        .unwrap();
        validate(&t).unwrap();
        assert_eq!(lookup(&t, Some(42), ip("10.1.2.3")), Some("payments"));
        assert_eq!(lookup(&t, Some(7), ip("10.1.2.3")), Some("web"));
        assert_eq!(lookup(&t, None, ip("2001:db8::5")), Some("web"));
        assert_eq!(lookup(&t, Some(7), ip("10.200.0.1")), Some("catch-10"));
        assert_eq!(lookup(&t, Some(7), ip("192.0.2.1")), None);
        assert_eq!(lookup(&t, None, ip("2001:db9::5")), None);
        assert_eq!(lookup(&t, None, None), None);
    }

    #[test]
    fn bad_lists_are_refused_with_the_tenant_named() {
        assert!(tenants("- {name: a, cidrs: [10.0.0.0/33]}").unwrap_err().contains("10.0.0.0/33"));
        assert!(tenants("- {name: a, vni: [1]}").unwrap_err().contains("unknown field"));
        let e = validate(&tenants("- {name: a, vnis: [1]}\n- {name: a, vnis: [2]}").unwrap()).unwrap_err();
        assert!(e.contains("tenants[1] (a)") && e.contains("twice"), "{e}");
        let e = validate(&tenants("- {name: empty}").unwrap()).unwrap_err();
        assert!(e.contains("no vnis and no cidrs"), "{e}");
        let e = validate(&tenants("- {name: big, vnis: [16777216]}").unwrap()).unwrap_err();
        assert!(e.contains("24 bits"), "{e}");
        assert!(validate(&tenants("- {name: ''}").unwrap()).unwrap_err().contains("needs a name"));
    }

    #[test]
    fn a_cidr_shows_back_as_written() {
        let t = tenants("- {name: a, cidrs: [' 10.0.0.0/8']}").unwrap();
        assert_eq!(serde_yaml::to_string(&t[0].cidrs).unwrap().trim(), "- ' 10.0.0.0/8'");
    }
}
