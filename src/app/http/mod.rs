//! HTTP parsing (in progress).
