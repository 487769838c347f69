//! Counters of the application layer, per worker: flows and transactions
//! by protocol, and each parser's own counters, merged when sessions end.

use crate::app::dns::DnsStats;
use crate::app::ftp::data::FtpDataStats;
use crate::app::ftp::expect::ExpectStats;
use crate::app::ftp::FtpStats;
use crate::app::http::HttpStats;
use crate::app::ssh::SshStats;
use crate::app::tls::TlsStats;
use crate::app::AppProto;

/// Counters of the application layer (per worker).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppStats {
    /// Flows by recognised protocol, indexed like [`AppProto::ALL`]; the
    /// UDP ones again in `udp_flows` (Suricata counts `dns_udp`,
    /// `failed_udp` apart).
    pub flows: [u64; AppProto::COUNT],
    pub udp_flows: [u64; AppProto::COUNT],
    /// Transactions of the sessions that ended, by protocol (and over UDP).
    pub txs: [u64; AppProto::COUNT],
    pub udp_txs: [u64; AppProto::COUNT],
    pub events: u64,
    /// Events dropped uninspected because too many waited in a flow.
    pub events_dropped: u64,
    /// Application-layer anomalies raised, and those not kept for the
    /// logger because too many waited in a flow.
    pub anomalies: u64,
    pub anomalies_dropped: u64,
    /// DNS datagrams that did not parse.
    pub dns_malformed: u64,
    /// Stream bytes not parsed because the protocol was not recognised.
    pub unrecognised_bytes: u64,
    /// TLS flows whose payload was no longer inspected once it was
    /// encrypted (`app.tls.encryption_handling: track-only`).
    pub encrypted_uninspected_flows: u64,
    /// Parser counters of the sessions that ended.
    pub http: HttpStats,
    pub tls: TlsStats,
    pub dns: DnsStats,
    pub ssh: SshStats,
    pub ftp: FtpStats,
    pub ftp_data: FtpDataStats,
    /// The worker's table of announced FTP data connections.
    pub ftp_expect: ExpectStats,
}

macro_rules! add_fields {
    ($a:expr, $b:expr, $($f:ident),* $(,)?) => { $( $a.$f += $b.$f; )* };
}

/// Adds the parser counters the summary and metrics report.
pub(super) fn add_parser_stats(a: &mut AppStats, http: &HttpStats, tls: &TlsStats, dns: &DnsStats, ssh: &SshStats) {
    // Parser warnings past a parser's own bound are anomalies not kept.
    a.anomalies_dropped += http.anomalies_dropped + tls.anomalies_dropped;
    add_fields!(
        a.http,
        http,
        requests,
        responses,
        body_bytes_truncated,
        decompression_failures,
        decompression_bombs,
        header_limit_hits,
        tx_dropped,
        malformed,
        gaps,
        resync_bytes,
        tunnels
    );
    a.http.files.add(&http.files);
    add_fields!(
        a.tls,
        tls,
        records,
        malformed,
        oversized_records,
        oversized_handshakes,
        certs_over_limit,
        cert_parse_failures,
        gaps
    );
    add_fields!(a.dns, dns, messages, malformed, records_over_limit, names_too_long, pointer_loops, bad_pointers);
    add_fields!(a.ssh, ssh, banners, records, kexinits, malformed, long_banners, long_fields, long_kex_records, gaps);
}

impl AppStats {
    pub fn merge(&mut self, o: &AppStats) {
        for (a, b) in [
            (&mut self.flows, &o.flows),
            (&mut self.udp_flows, &o.udp_flows),
            (&mut self.txs, &o.txs),
            (&mut self.udp_txs, &o.udp_txs),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.events += o.events;
        self.events_dropped += o.events_dropped;
        self.anomalies += o.anomalies;
        self.anomalies_dropped += o.anomalies_dropped;
        self.dns_malformed += o.dns_malformed;
        self.unrecognised_bytes += o.unrecognised_bytes;
        self.encrypted_uninspected_flows += o.encrypted_uninspected_flows;
        add_parser_stats(self, &o.http, &o.tls, &o.dns, &o.ssh);
        add_ftp_stats(self, &o.ftp, &o.ftp_data);
        add_fields!(self.ftp_expect, o.ftp_expect, announced, claimed, expired, evicted);
    }
}

pub(super) fn add_ftp_stats(a: &mut AppStats, ftp: &FtpStats, data: &FtpDataStats) {
    add_fields!(
        a.ftp,
        ftp,
        transactions,
        unknown_commands,
        long_lines,
        reply_lines_dropped,
        tx_limit_hits,
        transfers,
        transfers_refused,
        gaps
    );
    add_fields!(a.ftp_data, data, connections, wrong_direction_bytes);
    a.ftp_data.files.add(&data.files);
}
