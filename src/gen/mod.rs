//! Deterministic capture generator: AWS-mirror-style VXLAN captures with a
//! realistic traffic mix, injected attacks and a ground-truth file.

pub mod frames;
pub mod pcap_writer;
