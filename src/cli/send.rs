//! `mirrorids send`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::builder::RangedU64ValueParser;
use clap::Args;

use super::{EXIT_ATTENTION, EXIT_OK, EXIT_RUNTIME};
use crate::send::{self, Encap, GwlbIds, PrepareStats, SendOptions, SendStats, WrapOptions, MAX_BATCH};

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Destination, e.g. 127.0.0.1:4789 or [::1]:4789.
    #[arg(long, value_name = "ADDR:PORT")]
    pub to: SocketAddr,
    /// Datagrams per second; default: as fast as possible.
    #[arg(long, value_name = "PPS", value_parser = RangedU64ValueParser::<u64>::new().range(1..))]
    pub rate: Option<u64>,
    /// Wrap plain frames in GENEVE with the AWS options around the IP
    /// packet, as a Gateway Load Balancer delivers them; VXLAN captures go
    /// inside GENEVE whole (outer IP, UDP 4789, VXLAN, original frame).
    #[arg(long)]
    pub geneve: bool,
    /// VNI of the VXLAN or GENEVE header added to plain frames.
    #[arg(long, default_value_t = 1, value_parser = RangedU64ValueParser::<u32>::new().range(0..=0xff_ffff))]
    pub vni: u32,
    /// UDP port marking a captured frame as already VXLAN, sent as it is
    /// (repeatable; default 4789). UDP 6081 marks GENEVE.
    #[arg(long = "vxlan-port", value_name = "PORT")]
    pub vxlan_ports: Vec<u16>,
    /// GWLB endpoint id in the GENEVE options (hex, up to 16 digits).
    #[arg(long, value_name = "HEX", value_parser = parse_hex_u64, requires = "geneve")]
    pub gwlb_endpoint_id: Option<u64>,
    /// GWLB attachment id in the GENEVE options (hex, up to 16 digits).
    #[arg(long, value_name = "HEX", value_parser = parse_hex_u64, requires = "geneve")]
    pub gwlb_attachment_id: Option<u64>,
    /// Local address to send from: 127.0.0.2 or 127.0.0.2:0, [::1]:0.
    #[arg(long, value_name = "ADDR", value_parser = parse_source)]
    pub source: Option<SocketAddr>,
    /// Send the captures this many times.
    #[arg(long, default_value_t = 1, value_parser = RangedU64ValueParser::<u64>::new().range(1..))]
    pub loops: u64,
    /// Datagrams per sendmmsg call.
    #[arg(long, default_value_t = 64, value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_BATCH as u64))]
    pub batch: usize,
    /// No summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Capture files (pcap or pcapng).
    #[arg(required = true, value_name = "PCAP")]
    pub pcaps: Vec<PathBuf>,
}

fn parse_hex_u64(s: &str) -> Result<u64, String> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    if digits.is_empty() || digits.len() > 16 {
        return Err(format!("expected 1 to 16 hex digits, got \"{s}\""));
    }
    u64::from_str_radix(digits, 16).map_err(|_| format!("expected hex digits, got \"{s}\""))
}

fn parse_source(s: &str) -> Result<SocketAddr, String> {
    s.parse::<SocketAddr>()
        .or_else(|_| s.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 0)))
        .map_err(|_| format!("expected an address, optionally with a port, got \"{s}\""))
}

pub fn run(a: SendArgs) -> u8 {
    let defaults = GwlbIds::default();
    let wrap = WrapOptions {
        vxlan_ports: if a.vxlan_ports.is_empty() { WrapOptions::default().vxlan_ports } else { a.vxlan_ports.clone() },
        vni: a.vni,
        encap: if a.geneve {
            Encap::Geneve(GwlbIds {
                endpoint_id: a.gwlb_endpoint_id.unwrap_or(defaults.endpoint_id),
                attachment_id: a.gwlb_attachment_id.unwrap_or(defaults.attachment_id),
            })
        } else {
            Encap::Vxlan
        },
        ..WrapOptions::default()
    };
    let prepared = match send::prepare(&a.pcaps, &wrap) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
    };
    for msg in &prepared.stats.damaged {
        eprintln!("warning: {msg}; the frames before it are sent");
    }
    let opts =
        SendOptions { source: a.source, rate_pps: a.rate, loops: a.loops, batch: a.batch, ..SendOptions::new(a.to) };
    let stats = match send::send(&prepared, &opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_RUNTIME;
        }
    };
    if !a.quiet {
        eprintln!("{}", summary(&stats, &prepared.stats));
    }
    if prepared.stats.damaged.is_empty() {
        EXIT_OK
    } else {
        EXIT_ATTENTION
    }
}

fn summary(s: &SendStats, p: &PrepareStats) -> String {
    let mut line = format!(
        "sent {} datagrams, {} bytes in {:.3} s: {:.0} packets/s, {:.3} Gbit/s; per pass {} as captured, {} wrapped, {} skipped",
        s.datagrams,
        s.bytes,
        s.elapsed.as_secs_f64(),
        s.pps(),
        s.gbps(),
        p.as_is,
        p.wrapped,
        p.skipped_total()
    );
    let reasons: Vec<String> = p.skipped_by_reason().map(|(r, n)| format!("{} {n}", r.name())).collect();
    if !reasons.is_empty() {
        line.push_str(&format!(" ({})", reasons.join(", ")));
    }
    if s.refused > 0 {
        line.push_str(&format!(", {} refused (port unreachable, sent again)", s.refused));
    }
    if s.retries > 0 {
        line.push_str(&format!(", {} retries (socket buffer full)", s.retries));
    }
    line
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::send::SkipReason;

    #[test]
    fn hex_ids_and_source_addresses() {
        assert_eq!(parse_hex_u64("0x0123456789abcdef"), Ok(0x0123_4567_89ab_cdef));
        assert_eq!(parse_hex_u64("FF"), Ok(255));
        assert!(parse_hex_u64("").is_err());
        assert!(parse_hex_u64("0x").is_err());
        assert!(parse_hex_u64("12345678901234567").is_err());
        assert!(parse_hex_u64("vpce-1").is_err());
        assert_eq!(parse_source("127.0.0.2"), Ok("127.0.0.2:0".parse().unwrap()));
        assert_eq!(parse_source("[::1]:5000"), Ok("[::1]:5000".parse().unwrap()));
        assert_eq!(parse_source("::1"), Ok("[::1]:0".parse().unwrap()));
        assert!(parse_source("localhost").is_err());
    }

    #[test]
    fn summary_names_skip_reasons_and_trouble() {
        let mut p = PrepareStats { as_is: 10, wrapped: 2, ..PrepareStats::default() };
        p.skipped[SkipReason::NotIp.index()] = 3;
        let s = SendStats {
            datagrams: 12,
            bytes: 1200,
            elapsed: Duration::from_secs(1),
            refused: 4,
            ..SendStats::default()
        };
        let line = summary(&s, &p);
        assert!(line.starts_with("sent 12 datagrams, 1200 bytes in 1.000 s: 12 packets/s"), "{line}");
        assert!(line.contains("3 skipped (not_ip 3), 4 refused"), "{line}");
        assert!(!line.contains("retries"), "{line}");
    }
}
