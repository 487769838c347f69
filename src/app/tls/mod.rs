//! TLS parsing (in progress).
