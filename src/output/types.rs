//! `output.eve.types`: which EVE records are written, each with its own
//! options, written as Suricata's `eve-log` `types:` list:
//!
//! ```yaml
//! types:
//!   - alert
//!   - flow
//!   - http: { extended: true, custom: [X-Forwarded-For] }
//!   - dns: { formats: [detailed, grouped] }
//! ```
//!
//! A type that is not listed is not written. `files` is also accepted as
//! `fileinfo` (Suricata's configuration name and event type); `ftp`
//! writes both `ftp` and `ftp_data` records, as Suricata's `ftp` logger.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::records::anomaly::AnomalyLogConfig;
use super::records::dns::DnsLogConfig;
use super::records::fileinfo::FilesLogConfig;
use super::records::flow::FlowLogConfig;
use super::records::http::HttpLogConfig;
use super::records::stats::StatsLogConfig;
use super::records::tls::TlsLogConfig;
use super::records::EventType;

/// A record type with no options of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Plain {
    pub enabled: bool,
}

impl Default for Plain {
    fn default() -> Self {
        Plain { enabled: true }
    }
}

/// The record types written and their options (None: not written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EveTypes {
    pub alert: Option<Plain>,
    pub flow: Option<FlowLogConfig>,
    /// One record per direction of each flow, at its end.
    pub netflow: Option<Plain>,
    pub http: Option<HttpLogConfig>,
    pub dns: Option<DnsLogConfig>,
    pub tls: Option<TlsLogConfig>,
    pub ssh: Option<Plain>,
    /// `ftp` records and the `ftp_data` records of data connections.
    pub ftp: Option<Plain>,
    pub files: Option<FilesLogConfig>,
    pub anomaly: Option<AnomalyLogConfig>,
    pub stats: Option<StatsLogConfig>,
}

impl Default for EveTypes {
    /// What suits a mirror target: every record type but `netflow`.
    fn default() -> Self {
        EveTypes {
            alert: Some(Plain::default()),
            flow: Some(FlowLogConfig::default()),
            netflow: None,
            http: Some(HttpLogConfig::default()),
            dns: Some(DnsLogConfig::default()),
            tls: Some(TlsLogConfig::default()),
            ssh: Some(Plain::default()),
            ftp: Some(Plain::default()),
            files: Some(FilesLogConfig::default()),
            anomaly: Some(AnomalyLogConfig::default()),
            stats: Some(StatsLogConfig::default()),
        }
    }
}

impl EveTypes {
    /// Alerts only (what `replay` wrote before other records existed).
    pub fn alerts_only() -> EveTypes {
        EveTypes {
            alert: Some(Plain::default()),
            flow: None,
            netflow: None,
            http: None,
            dns: None,
            tls: None,
            ssh: None,
            ftp: None,
            files: None,
            anomaly: None,
            stats: None,
        }
    }

    /// Whether records of this event type are written.
    pub fn enabled(&self, t: EventType) -> bool {
        match t {
            EventType::Alert => self.alert.is_some_and(|p| p.enabled),
            EventType::Flow => self.flow.as_ref().is_some_and(|c| c.enabled),
            EventType::Netflow => self.netflow.is_some_and(|p| p.enabled),
            EventType::Http => self.http.as_ref().is_some_and(|c| c.enabled),
            EventType::Dns => self.dns.as_ref().is_some_and(|c| c.enabled),
            EventType::Tls => self.tls.as_ref().is_some_and(|c| c.enabled),
            EventType::Ssh => self.ssh.is_some_and(|p| p.enabled),
            EventType::Ftp | EventType::FtpData => self.ftp.is_some_and(|p| p.enabled),
            EventType::Fileinfo => self.files.as_ref().is_some_and(|c| c.enabled),
            EventType::Anomaly => self.anomaly.as_ref().is_some_and(|c| c.enabled),
            EventType::Stats => self.stats.as_ref().is_some_and(|c| c.enabled),
            // Written by the alert log, with its `tagged-packets` option.
            EventType::Packet => self.alert.is_some_and(|p| p.enabled),
        }
    }

    /// The names of the types written, for logs and summaries.
    pub fn names(&self) -> Vec<&'static str> {
        EventType::ALL.iter().filter(|t| self.enabled(**t)).map(|t| t.name()).collect()
    }
}

const NAMES: &[&str] = &["alert", "flow", "netflow", "http", "dns", "tls", "ssh", "ftp", "files", "anomaly", "stats"];

impl Serialize for EveTypes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct One<'a, T: Serialize>(&'static str, &'a T);
        impl<T: Serialize> Serialize for One<'_, T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(self.0, self.1)?;
                m.end()
            }
        }
        let mut seq = s.serialize_seq(None)?;
        if let Some(c) = &self.alert {
            seq.serialize_element(&One("alert", c))?;
        }
        if let Some(c) = &self.flow {
            seq.serialize_element(&One("flow", c))?;
        }
        if let Some(c) = &self.netflow {
            seq.serialize_element(&One("netflow", c))?;
        }
        if let Some(c) = &self.http {
            seq.serialize_element(&One("http", c))?;
        }
        if let Some(c) = &self.dns {
            seq.serialize_element(&One("dns", c))?;
        }
        if let Some(c) = &self.tls {
            seq.serialize_element(&One("tls", c))?;
        }
        if let Some(c) = &self.ssh {
            seq.serialize_element(&One("ssh", c))?;
        }
        if let Some(c) = &self.ftp {
            seq.serialize_element(&One("ftp", c))?;
        }
        if let Some(c) = &self.files {
            seq.serialize_element(&One("files", c))?;
        }
        if let Some(c) = &self.anomaly {
            seq.serialize_element(&One("anomaly", c))?;
        }
        if let Some(c) = &self.stats {
            seq.serialize_element(&One("stats", c))?;
        }
        seq.end()
    }
}

/// One list entry: `name`, or `name: {options}` (options may be empty).
struct Entry<'a>(&'a mut EveTypes);

impl<'de> de::DeserializeSeed<'de> for Entry<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Entry<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record type name, or a map of one record type name to its options")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<(), E> {
        set_default(self.0, name).map_err(|_| E::unknown_variant(name, NAMES))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(name) = map.next_key::<String>()? else {
            return Err(de::Error::invalid_length(0, &"one record type"));
        };
        let t = &mut *self.0;
        // `- http:` with nothing after it is YAML null: the defaults.
        match name.as_str() {
            "alert" => t.alert = Some(map.next_value::<Option<Plain>>()?.unwrap_or_default()),
            "flow" => t.flow = Some(map.next_value::<Option<FlowLogConfig>>()?.unwrap_or_default()),
            "netflow" => t.netflow = Some(map.next_value::<Option<Plain>>()?.unwrap_or_default()),
            "http" => t.http = Some(map.next_value::<Option<HttpLogConfig>>()?.unwrap_or_default()),
            "dns" => t.dns = Some(map.next_value::<Option<DnsLogConfig>>()?.unwrap_or_default()),
            "tls" => t.tls = Some(map.next_value::<Option<TlsLogConfig>>()?.unwrap_or_default()),
            "ssh" => t.ssh = Some(map.next_value::<Option<Plain>>()?.unwrap_or_default()),
            "ftp" => t.ftp = Some(map.next_value::<Option<Plain>>()?.unwrap_or_default()),
            "files" | "fileinfo" => t.files = Some(map.next_value::<Option<FilesLogConfig>>()?.unwrap_or_default()),
            "anomaly" => t.anomaly = Some(map.next_value::<Option<AnomalyLogConfig>>()?.unwrap_or_default()),
            "stats" => t.stats = Some(map.next_value::<Option<StatsLogConfig>>()?.unwrap_or_default()),
            other => return Err(de::Error::unknown_variant(other, NAMES)),
        }
        if let Some(extra) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!(
                "one record type per list entry (\"{name}\" and \"{extra}\"): indent the options under the type"
            )));
        }
        Ok(())
    }
}

fn set_default(t: &mut EveTypes, name: &str) -> Result<(), ()> {
    match name {
        "alert" => t.alert = Some(Plain::default()),
        "flow" => t.flow = Some(FlowLogConfig::default()),
        "netflow" => t.netflow = Some(Plain::default()),
        "http" => t.http = Some(HttpLogConfig::default()),
        "dns" => t.dns = Some(DnsLogConfig::default()),
        "tls" => t.tls = Some(TlsLogConfig::default()),
        "ssh" => t.ssh = Some(Plain::default()),
        "ftp" => t.ftp = Some(Plain::default()),
        "files" | "fileinfo" => t.files = Some(FilesLogConfig::default()),
        "anomaly" => t.anomaly = Some(AnomalyLogConfig::default()),
        "stats" => t.stats = Some(StatsLogConfig::default()),
        _ => return Err(()),
    }
    Ok(())
}

impl<'de> Deserialize<'de> for EveTypes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EveTypes, D::Error> {
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = EveTypes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a list of record types (alert, flow, netflow, http, dns, tls, ssh, ftp, files, anomaly, stats)",
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EveTypes, A::Error> {
                let mut t = EveTypes::alerts_only();
                t.alert = None;
                while seq.next_element_seed(Entry(&mut t))?.is_some() {}
                Ok(t)
            }
        }
        d.deserialize_seq(List)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<EveTypes, String> {
        serde_yaml::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn suricata_style_list() {
        let t = parse("- alert\n- flow\n- http:\n    extended: false\n- dns:\n- files\n").unwrap();
        assert!(t.enabled(EventType::Alert) && t.enabled(EventType::Flow) && t.enabled(EventType::Dns));
        assert!(t.enabled(EventType::Fileinfo));
        assert!(!t.enabled(EventType::Tls) && !t.enabled(EventType::Stats));
        assert!(!t.http.as_ref().unwrap().extended);
        let off = parse("- alert\n- flow:\n    enabled: false\n").unwrap();
        assert!(!off.enabled(EventType::Flow));
    }

    #[test]
    fn round_trips_and_rejects_unknown_types() {
        let d = EveTypes::default();
        let text = serde_yaml::to_string(&d).unwrap();
        assert_eq!(parse(&text).unwrap(), d);
        let e = parse("- alert\n- smb\n").unwrap_err();
        assert!(e.contains("smb") && e.contains("netflow"), "{e}");
        let e = parse("- http:\n    extnded: true\n").unwrap_err();
        assert!(e.contains("extnded"), "{e}");
        let e = parse("- alert: {}\n  flow: {}\n").unwrap_err();
        assert!(e.contains("one record type"), "{e}");
    }

    #[test]
    fn toml_form() {
        let v: toml::Value = toml::from_str("types = [\"alert\", { http = { extended = true } }]").unwrap();
        let t: EveTypes = v.get("types").unwrap().clone().try_into().unwrap();
        assert!(t.enabled(EventType::Http) && t.enabled(EventType::Alert) && !t.enabled(EventType::Flow));
    }
}
