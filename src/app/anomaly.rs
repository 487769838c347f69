//! Application-layer anomalies (EVE `anomaly` records of type `applayer`):
//! what the parsers and protocol detection report about a flow, named as
//! Suricata names its events, waiting in the flow's session until the
//! worker logs them on the packet that brought them to light.

/// Which part of the application layer raised it (EVE `anomaly.layer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// A protocol parser (`proto_parser`), about a transaction.
    Parser,
    /// Protocol detection (`proto_detect`), about the flow.
    Detect,
}

/// One anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppAnomaly {
    /// Suricata's event name (`RESPONSE_HEADER_REPETITION`,
    /// `APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION`...).
    pub event: &'static str,
    pub layer: Layer,
    /// The transaction, where the protocol has them.
    pub tx: Option<u64>,
    /// The direction whose data raised it (0 = client to server): a record
    /// written without a packet (at flow end) describes that direction.
    pub dir: u8,
}

/// Suricata's names of protocol detection events.
pub const ONLY_ONE_DIRECTION: &str = "APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION";
pub const MISMATCH_BOTH_DIRECTIONS: &str = "APPLAYER_MISMATCH_PROTOCOL_BOTH_DIRECTIONS";

/// Anomalies kept per flow until logged; more are counted, not kept.
pub const MAX_PENDING: usize = 256;

/// A flow's anomalies waiting for the logger (nothing is kept when the
/// logger does not want them).
#[derive(Debug, Default)]
pub struct PendingAnomalies {
    /// The `anomaly` logger takes application-layer events.
    pub wanted: bool,
    pub list: Vec<AppAnomaly>,
    /// Raised (kept or not).
    pub raised: u64,
    /// Not kept because the list was full.
    pub dropped: u64,
}

impl PendingAnomalies {
    pub fn push(&mut self, a: AppAnomaly) {
        self.raised += 1;
        if !self.wanted {
            return;
        }
        if self.list.len() < MAX_PENDING {
            self.list.push(a);
        } else {
            self.dropped += 1;
        }
    }
}
