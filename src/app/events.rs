//! `app-layer-event:<proto>.<event>` for the parsers other than HTTP
//! (whose events are in `http::events`): the events each parser raises,
//! as rules name them, and where a raised one is kept so a rule can test
//! it on its transaction.
//!
//! A rule names only events this build's parser raises; any other name
//! skips the rule with that reason rather than loading a rule that could
//! never match.

/// A parser whose events rules can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventProto {
    /// Kept per connection (`TlsInfo::events`): TLS has one transaction.
    Tls,
    /// Kept per connection (`SshInfo::anomalies`).
    Ssh,
    /// Per message: the Z flag is read from the message itself.
    Dns,
    /// Per command (`FtpTx::events`).
    Ftp,
}

/// Event names as the parsers raise them (and EVE `anomaly.event` shows).
pub const TLS_EVENTS: &[&str] = &[
    "INVALID_RECORD_VERSION",
    "INVALID_RECORD_TYPE",
    "INVALID_RECORD_LENGTH",
    "MULTIPLE_SNI_EXTENSIONS",
    "INVALID_HANDSHAKE_MESSAGE",
    "INVALID_CERTIFICATE",
];
pub const SSH_EVENTS: &[&str] = &["invalid_banner", "long_banner", "invalid_record", "long_kex_record"];
pub const DNS_EVENTS: &[&str] = &["Z_FLAG_SET"];
pub const FTP_EVENTS: &[&str] =
    &["request_command_too_long", "response_command_too_long", "file_before_port", "file_without_name"];

impl EventProto {
    fn of(proto: &str) -> Option<EventProto> {
        Some(match proto {
            "tls" | "ssl" => EventProto::Tls,
            "ssh" => EventProto::Ssh,
            "dns" => EventProto::Dns,
            "ftp" => EventProto::Ftp,
            _ => return None,
        })
    }

    pub fn names(self) -> &'static [&'static str] {
        match self {
            EventProto::Tls => TLS_EVENTS,
            EventProto::Ssh => SSH_EVENTS,
            EventProto::Dns => DNS_EVENTS,
            EventProto::Ftp => FTP_EVENTS,
        }
    }
}

/// The bit of a raised event in its protocol's mask (0 for a name the
/// parser does not raise, which tests nothing).
pub fn event_bit(proto: EventProto, name: &str) -> u32 {
    proto.names().iter().position(|n| *n == name).map_or(0, |i| 1 << i)
}

/// Resolves `app-layer-event:<proto>.<event>` (the event name in any case,
/// as Suricata compares them).
pub fn lookup(proto: &str, event: &str) -> Result<(EventProto, u32), String> {
    let p =
        EventProto::of(proto).ok_or_else(|| format!("app-layer-event: {proto} events are not raised by this build"))?;
    let bit = p
        .names()
        .iter()
        .position(|n| n.eq_ignore_ascii_case(event))
        .map(|i| 1u32 << i)
        .ok_or_else(|| format!("app-layer-event: our {proto} parser does not raise \"{event}\""))?;
    Ok((p, bit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_in_any_case() {
        assert_eq!(lookup("tls", "invalid_record_type").unwrap(), (EventProto::Tls, 2));
        assert_eq!(lookup("ssh", "LONG_BANNER").unwrap(), (EventProto::Ssh, 2));
        assert_eq!(event_bit(EventProto::Ftp, "response_command_too_long"), 2);
        assert!(lookup("tls", "invalid_sslv2_header").unwrap_err().contains("does not raise"));
        assert!(lookup("smb", "x").is_err());
    }
}
