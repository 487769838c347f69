//! The control plane of the live sensor, at the edge of the pipeline: it
//! owns nothing on the packet path. Workers report liveness through
//! [`state::SensorState`] (one relaxed store per batch); the engine hands
//! counter snapshots ([`snapshot::LiveSnapshot`]) to a control thread that
//! publishes them as Prometheus metrics ([`metrics::Telemetry`]) and serves
//! `/health` and `/metrics` ([`http::serve`]); [`logging`] sets up the log
//! lines.

pub mod http;
pub mod logging;
pub mod metrics;
pub mod snapshot;
pub mod state;

pub use http::{serve, ControlApp};
pub use metrics::Telemetry;
pub use snapshot::{LiveSnapshot, ReceiverStats, RulesetStatus};
pub use state::{Health, SensorState};
