//! DNS parsing (in progress).
