//! What a flow, a stream and a transaction cost in memory: the fixed parts
//! the README's Performance section quotes. A type growing past its figure
//! fails here, so the table is updated with the change that grows it.

use std::mem::size_of;

use mirrorids::app::dns::DnsMessage;
use mirrorids::app::http::{HttpConn, HttpTx};
use mirrorids::app::session::AppSession;
use mirrorids::app::tls::{TlsConn, TlsInfo};
use mirrorids::flow::table::BYTES_PER_FLOW;
use mirrorids::stream::TcpStreams;

/// (what, bytes now, the README's figure).
fn figures() -> Vec<(&'static str, usize, usize)> {
    vec![
        ("flow (record, LRU links, index entry)", BYTES_PER_FLOW, 478),
        ("application session (a flow with payload)", size_of::<AppSession>(), 520),
        ("TCP streams (a connection with payload)", size_of::<TcpStreams>(), 952),
        ("HTTP connection parser", size_of::<HttpConn>(), 760),
        ("HTTP transaction", size_of::<HttpTx>(), 456),
        ("DNS message (a transaction)", size_of::<DnsMessage>(), 104),
        ("TLS connection parser", size_of::<TlsConn>(), 896),
        ("TLS handshake record (the transaction)", size_of::<TlsInfo>(), 480),
    ]
}

#[test]
fn fixed_costs_stay_within_the_documented_figures() {
    let mut over = Vec::new();
    for (what, now, documented) in figures() {
        println!("{what}: {now} bytes (documented at most {documented})");
        if now > documented {
            over.push(format!("{what}: {now} > {documented}"));
        }
    }
    assert!(over.is_empty(), "update the README's memory table: {over:?}");
}
