//! Small, dependency-free helpers shared by several stages: timestamps,
//! JSON string escaping and printable-payload rendering.

pub mod json;
pub mod time;

pub use time::Timestamp;
