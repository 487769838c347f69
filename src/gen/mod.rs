//! Deterministic capture generator: AWS-mirror-style VXLAN captures (or the
//! plain frames a source-side capture shows) with a realistic mix of HTTP,
//! TLS, DNS, other TCP and ICMP across several mirror sessions; many
//! concurrent flows; reordered and retransmitted segments; truncated jumbo
//! frames; injected attacks with a ground-truth file.

pub mod apps;
pub mod attacks;
pub mod et_attacks;
pub mod flood;
pub mod frames;
pub mod http_evasion;
pub mod mix;
pub mod pcap_writer;
pub mod rng;
pub mod session;
pub mod tls;

pub use mix::{AttackPlan, Evasion, GenConfig, GenStats, Generator, Mode, SessionMix, TruthRecord};
