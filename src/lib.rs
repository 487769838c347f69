//! mirrorids: a network intrusion detection sensor for AWS VPC Traffic
//! Mirroring.
//!
//! The modules read as the path of a packet:
//! [`source`] (pcap files, later sockets) -> [`decode`] (VXLAN/GENEVE/GRE
//! decapsulation, IP, transport, defragmentation) -> [`flow`] (bidirectional
//! flow table keyed by tunnel and 5-tuple) -> [`stream`] (TCP reassembly) -> [`detect`] (Hyperscan
//! prefilter and Suricata-semantics verification of [`rules`]) ->
//! [`output`] (EVE JSON). [`engine`] wires the stages onto threads;
//! [`config`], [`control`] (health and metrics endpoints, logging of the
//! live sensor), [`verify`] (suricata-verify style regression runner),
//! [`gen`] (deterministic capture generator) and [`send`] (load tool:
//! replays captures over UDP as AWS delivers them) sit at the edge.

#![deny(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod control;
pub mod decode;
pub mod detect;
pub mod engine;
pub mod flow;
pub mod gen;
pub mod output;
pub mod rules;
pub mod send;
pub mod source;
pub mod stream;
pub mod util;
pub mod verify;
