//! Counters the live engine hands to the control plane.

/// Counters of one receive thread.
#[derive(Debug, Clone, Default)]
pub struct ReceiverStats {
    pub datagrams: u64,
    pub bytes: u64,
    /// The kernel's count of datagrams dropped because the socket buffer was full (SO_RXQ_OVFL), or frames dropped by an AF_PACKET ring.
    pub kernel_drops: u64,
    pub denied_source: u64,
    pub denied_vni: u64,
    /// Datagrams larger than the receive buffer (MSG_TRUNC).
    pub oversize: u64,
    /// Datagrams too short for a VXLAN/GENEVE header or with a bad header.
    pub not_tunnel: u64,
    pub recv_errors: u64,
}

impl ReceiverStats {
    pub fn merge(&mut self, o: &ReceiverStats) {
        self.datagrams += o.datagrams;
        self.bytes += o.bytes;
        self.kernel_drops += o.kernel_drops;
        self.denied_source += o.denied_source;
        self.denied_vni += o.denied_vni;
        self.oversize += o.oversize;
        self.not_tunnel += o.not_tunnel;
        self.recv_errors += o.recv_errors;
    }
}

#[derive(Debug, Clone, Default)]
pub struct RulesetStatus {
    pub generation: u64,
    pub loaded: usize,
    pub failed: usize,
    pub files: Vec<String>,
    pub loaded_at_unix: f64,
    pub reloads_ok: u64,
    pub reloads_failed: u64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LiveSnapshot {
    pub receivers: Vec<(String, ReceiverStats)>,
    pub reader: crate::engine::ReaderStats,
    pub workers: Vec<crate::engine::worker::WorkerStats>,
    pub queue_depths: Vec<usize>,
    pub queue_capacity: usize,
    pub alerts: crate::output::alerts::AlertStats,
    pub ruleset: RulesetStatus,
}
