//! Control plane (placeholder until the control branch merges).
pub mod snapshot;
