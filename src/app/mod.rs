//! Application-layer parsing: HTTP/1.x, TLS and DNS, so that rules can
//! inspect the buffers application-layer keywords name (`http.uri`,
//! `tls.sni`, `dns.query`...).
//!
//! Each protocol has a connection parser fed with reassembled, in-order
//! stream data per direction (or one datagram at a time for DNS over UDP),
//! told about gaps, and told when a direction ends. Parsers produce
//! transactions and events saying when a transaction has progressed; the
//! engine inspects a transaction's buffers at those points. Every parser is
//! bounded and never panics on input.
//!
//! Directions are numbered as everywhere else: 0 = client to server,
//! 1 = server to client.

pub mod dns;
pub mod http;
pub mod tls;
