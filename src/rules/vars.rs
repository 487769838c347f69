//! Address and port variables (`$HOME_NET`, `$HTTP_PORTS`...).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Variables available to rule headers, with Suricata's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Vars {
    /// Address groups, e.g. `HOME_NET: "[10.0.0.0/8]"`.
    pub address_groups: BTreeMap<String, String>,
    /// Port groups, e.g. `HTTP_PORTS: "80"`.
    pub port_groups: BTreeMap<String, String>,
}

impl Default for Vars {
    fn default() -> Self {
        let addr = [
            ("HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"),
            ("EXTERNAL_NET", "!$HOME_NET"),
            ("HTTP_SERVERS", "$HOME_NET"),
            ("SMTP_SERVERS", "$HOME_NET"),
            ("SQL_SERVERS", "$HOME_NET"),
            ("DNS_SERVERS", "$HOME_NET"),
            ("TELNET_SERVERS", "$HOME_NET"),
            ("AIM_SERVERS", "$EXTERNAL_NET"),
            ("DC_SERVERS", "$HOME_NET"),
            ("DNP3_SERVER", "$HOME_NET"),
            ("DNP3_CLIENT", "$HOME_NET"),
            ("MODBUS_CLIENT", "$HOME_NET"),
            ("MODBUS_SERVER", "$HOME_NET"),
            ("ENIP_CLIENT", "$HOME_NET"),
            ("ENIP_SERVER", "$HOME_NET"),
        ];
        let ports = [
            ("HTTP_PORTS", "80"),
            ("SHELLCODE_PORTS", "!80"),
            ("ORACLE_PORTS", "1521"),
            ("SSH_PORTS", "22"),
            ("DNP3_PORTS", "20000"),
            ("MODBUS_PORTS", "502"),
            ("FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"),
            ("FTP_PORTS", "21"),
            ("GENEVE_PORTS", "6081"),
            ("VXLAN_PORTS", "4789"),
            ("TEREDO_PORTS", "3544"),
        ];
        Vars {
            address_groups: addr.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            port_groups: ports.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }
}

impl Vars {
    pub fn address(&self, name: &str) -> Option<&str> {
        self.address_groups.get(name).map(String::as_str)
    }

    pub fn port(&self, name: &str) -> Option<&str> {
        self.port_groups.get(name).map(String::as_str)
    }
}
