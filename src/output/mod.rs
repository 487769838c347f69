//! Output: EVE JSON. Workers format whole records into their own buffers,
//! one file per record type ([`records`]); every record leaves the workers
//! through the output stage ([`stage`]), which orders them, applies
//! thresholds, suppressions and the per-packet cap to alerts, and writes
//! whole lines. [`types`] is the `types:` list saying which records are
//! written.

pub mod community_id;
pub mod filestore;
pub mod ocsf;
pub mod records;
pub mod sinks;
pub mod stage;
pub mod tenants;
pub mod threshold;
pub mod types;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// EVE output settings (Suricata's `eve-log`): where records go, which
/// records are written (`types`), and the options of alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EveConfig {
    /// Where records go: a file path, or "-" for standard output.
    pub path: PathBuf,
    /// Append to the file instead of truncating it at start (`replay`;
    /// the live sensor always appends).
    pub append: bool,
    /// Start a new file once this many bytes are written; 0: never.
    pub rotate_bytes: u64,
    /// Start a new file after this many seconds; 0: never.
    pub rotate_interval_secs: u64,
    /// Rotated files kept (`eve.json.1` newest to `.N`).
    pub rotate_keep: usize,
    /// Permissions of a created file, octal (the umask still applies).
    pub mode: String,
    /// `payload`: the inspected bytes, base64.
    pub payload: bool,
    /// `payload_printable`: the inspected bytes as printable text.
    pub payload_printable: bool,
    /// Most payload bytes logged per alert.
    pub payload_buffer_size: usize,
    /// `http.http_request_body`/`http_response_body` in alerts on HTTP
    /// transactions: the bodies as kept for inspection, base64
    /// (Suricata's alert `http-body`).
    pub http_body: bool,
    /// The same as printable text (`http-body-printable`).
    pub http_body_printable: bool,
    /// `packet`: the alerting packet, base64, with `packet_info`.
    pub packet: bool,
    /// Rule metadata, flow counters and flowbits in alerts.
    pub metadata: bool,
    /// `alert.references`.
    pub references: bool,
    /// `alert.rule`: the rule text.
    pub rule: bool,
    /// `ether`: MAC addresses.
    pub ethernet: bool,
    /// `verdict`.
    pub verdict: bool,
    /// `tagged-packets`: the packets a rule's `tag` covers are written as
    /// `packet` records (Suricata's stock configuration turns it on).
    pub tagged_packets: bool,
    /// The `mirrorids` object on records about mirrored traffic: the
    /// session (VNI), the mirrored interface's address, GWLB's GENEVE
    /// options, the tenant; on alerts also truncation and the rule's own
    /// action.
    pub mirrorids: bool,
    /// IPv6 addresses in compressed form (`fe80::1`); Suricata 8 writes
    /// them in full (`fe80:0000:...:0001`) unless its `ipv6-compress` is on.
    pub ipv6_compress: bool,
    /// `community_id`: the Community ID v1 flow hash (Corelight's spec, as
    /// Zeek, Suricata and Elastic write it) on every record of a flow,
    /// so records of other tools about the same connection join on it.
    /// Off by default, as Suricata's `community-id`.
    pub community_id: bool,
    /// Seed of the hash (Suricata's `community-id-seed`): only sensors
    /// and tools using the same seed produce the same IDs. 0 by default.
    pub community_id_seed: u16,
    /// Suricata's `sensor-name`: when set, every record ends with
    /// `"host":"<name>"`, naming the sensor that wrote it (a fleet's
    /// records meet in one SIEM).
    pub sensor_name: String,
    /// Tenants of a fleet shared by several teams: records about a
    /// tenant's mirror sessions (by VNI) or source addresses (by CIDR)
    /// carry `mirrorids.tenant` (see [`tenants`]). The first that matches
    /// names the record; none: no label.
    pub tenants: Vec<tenants::Tenant>,
    /// X-Forwarded-For: the client address a proxy or load balancer in
    /// front of the mirrored host reported.
    pub xff: XffConfig,
    /// The records written, each with its options (Suricata's `types:`
    /// list): alert, flow, netflow, http, dns, tls, ssh, files, anomaly,
    /// stats.
    pub types: types::EveTypes,
}

impl EveConfig {
    /// The file settings of the main EVE file.
    pub fn file_options(&self, append: bool) -> sinks::file::FileOptions {
        sinks::file::FileOptions {
            rotate_bytes: self.rotate_bytes,
            rotate_interval_secs: self.rotate_interval_secs,
            rotate_keep: self.rotate_keep,
            mode: self.mode.clone(),
            append,
        }
    }
}

/// How alerts use an X-Forwarded-For header (Suricata's `xff` settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct XffConfig {
    pub enabled: bool,
    /// `extra-data`: add `alert.xff`; `overwrite`: replace the client's
    /// address (`src_ip` of requests, `dest_ip` of responses).
    pub mode: XffMode,
    /// `reverse`: the last address of the header is the client's (one
    /// proxy appended it); `forward`: the first.
    pub deployment: XffDeployment,
    /// The request header to read.
    pub header: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum XffMode {
    ExtraData,
    Overwrite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum XffDeployment {
    Reverse,
    Forward,
}

impl Default for XffConfig {
    fn default() -> Self {
        XffConfig {
            enabled: false,
            mode: XffMode::ExtraData,
            deployment: XffDeployment::Reverse,
            header: "X-Forwarded-For".into(),
        }
    }
}

impl Default for EveConfig {
    fn default() -> Self {
        EveConfig {
            path: PathBuf::from("eve.json"),
            append: false,
            rotate_bytes: 0,
            rotate_interval_secs: 0,
            rotate_keep: 10,
            mode: "0640".into(),
            payload: false,
            payload_printable: false,
            payload_buffer_size: 4096,
            http_body: false,
            http_body_printable: false,
            packet: false,
            metadata: true,
            references: false,
            rule: false,
            ethernet: false,
            verdict: false,
            tagged_packets: true,
            mirrorids: true,
            ipv6_compress: false,
            community_id: false,
            community_id_seed: 0,
            sensor_name: String::new(),
            tenants: Vec::new(),
            xff: XffConfig::default(),
            types: types::EveTypes::default(),
        }
    }
}
