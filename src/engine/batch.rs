//! Units of work passed from the reader to a worker: many packets in one
//! buffer, recycled, so the packet path allocates nothing in steady state.

use crate::decode::{DecodeError, Decoded};
use crate::detect::DetectEngine;
use crate::source::LinkType;
use crate::util::Timestamp;

/// One packet in a batch: where its bytes are, and what decoding found.
#[derive(Debug, Clone, Copy)]
pub struct PacketMeta {
    pub off: u32,
    pub len: u32,
    pub ts: Timestamp,
    /// Position in the capture (1-based), EVE's `pcap_cnt`.
    pub pcap_cnt: u64,
    pub linktype: LinkType,
    pub dec: Decoded,
}

/// A frame the reader could not decode, for the worker to log as a decode
/// anomaly (only when decode anomalies are logged).
#[derive(Debug, Clone, Copy)]
pub struct Failed {
    pub ts: Timestamp,
    pub pcap_cnt: u64,
    pub error: DecodeError,
}

#[derive(Debug, Default)]
pub struct Batch {
    pub data: Vec<u8>,
    pub pkts: Vec<PacketMeta>,
    /// Frames that did not decode, in capture order (their buffer is
    /// recycled with the batch).
    pub failed: Vec<Failed>,
    /// Capture position of the last packet dispatched (to any worker) when
    /// this batch was sent.
    pub horizon: u64,
    /// The source whose pool this batch returns to.
    pub origin: usize,
}

impl Batch {
    pub fn with_capacity(packets: usize, bytes: usize) -> Batch {
        Batch {
            data: Vec::with_capacity(bytes),
            pkts: Vec::with_capacity(packets),
            failed: Vec::new(),
            horizon: 0,
            origin: 0,
        }
    }

    pub fn clear(&mut self) {
        self.data.clear();
        self.pkts.clear();
        self.failed.clear();
        self.horizon = 0;
    }

    pub fn push(&mut self, frame: &[u8], ts: Timestamp, pcap_cnt: u64, linktype: LinkType, dec: &Decoded) {
        let off = self.data.len() as u32;
        self.data.extend_from_slice(frame);
        self.pkts.push(PacketMeta { off, len: frame.len() as u32, ts, pcap_cnt, linktype, dec: *dec });
    }

    pub fn frame(&self, p: &PacketMeta) -> &[u8] {
        self.data.get(p.off as usize..(p.off + p.len) as usize).unwrap_or(&[])
    }
}

pub enum WorkerMsg {
    Batch(Batch),
    /// Live: the wall clock moved on (flow timeouts in a quiet worker,
    /// statistics refresh, heartbeat).
    Tick(Timestamp),
    /// Live: switch to a new rule set, keeping every flow.
    Reload(std::sync::Arc<ReloadPlan>),
    /// End of input: flush flows, report, stop.
    Finish,
}

/// A new rule set for the workers, with the renumbering of flowbits from
/// the set it replaces.
pub struct ReloadPlan {
    pub engine: std::sync::Arc<DetectEngine>,
    pub flowbits: Vec<Option<u16>>,
    /// The same for flowint names.
    pub flowints: Vec<Option<u16>>,
    /// The same for xbit names.
    pub xbits: Vec<Option<u16>>,
}
