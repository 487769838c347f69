//! The FTP control channel against what Suricata 8.0.6 makes of the same
//! bytes (each case was run through it; see tests/data/conformance/ftp-*).

use super::*;

const CLIENT: [u8; 4] = [192, 168, 10, 5];

struct T {
    cfg: FtpConfig,
    conn: FtpConn,
    events: Vec<FtpEvent>,
}

impl T {
    fn new() -> T {
        T::with(FtpConfig::default())
    }

    fn with(cfg: FtpConfig) -> T {
        T { cfg, conn: FtpConn::new(CLIENT), events: Vec::new() }
    }

    fn c(&mut self, data: &[u8]) -> &mut T {
        self.conn.parse(&self.cfg, 0, data, &mut self.events);
        self
    }

    fn s(&mut self, data: &[u8]) -> &mut T {
        self.conn.parse(&self.cfg, 1, data, &mut self.events);
        self
    }

    /// What the logger and detection do at the end of a packet: complete
    /// transactions are logged, inspected and freed.
    fn flush(&mut self) -> &mut T {
        for tx in self.conn.txs_mut().filter(|t| t.done) {
            tx.logged = true;
            tx.inspected = [true; 2];
        }
        self.conn.prune(true);
        self
    }

    fn txs(&self) -> Vec<&FtpTx> {
        self.conn.txs.iter().collect()
    }

    fn summary(&self) -> Vec<(Option<&'static str>, Vec<String>)> {
        self.txs()
            .iter()
            .map(|t| {
                let replies = t
                    .replies
                    .iter()
                    .map(|r| {
                        let code = r.code.map(|c| String::from_utf8_lossy(&c).into_owned()).unwrap_or_default();
                        format!("{code}|{}", String::from_utf8_lossy(&r.text))
                    })
                    .collect();
                (t.command.and_then(Command::name), replies)
            })
            .collect()
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

#[test]
fn banner_and_commands_split_anywhere() {
    let mut t = T::new();
    t.s(b"220-Welcome\r\n220-second\r\n220 Ready.\r\n");
    t.c(b"US").c(b"ER anon").c(b"ymous\r");
    assert_eq!(t.conn.tx_count(), 1, "no line end yet");
    t.c(b"\n").s(b"331 Password").s(b" please.\r\n");
    assert_eq!(
        t.summary(),
        vec![
            (None, vec![s("|220-Welcome"), s("|220-second"), s("220|Ready.")]),
            (Some("USER"), vec![s("331|Password please.")]),
        ]
    );
    let user = t.conn.tx(1).unwrap();
    assert_eq!(user.command_data(), Some(&b"anonymous"[..]));
    assert!(user.done && !user.request_truncated);
    assert_eq!(t.events, vec![FtpEvent::Reply(0), FtpEvent::Request(1), FtpEvent::Reply(1)]);
}

#[test]
fn pipelined_commands_take_their_replies_in_order() {
    let mut t = T::new();
    t.c(b"CWD /pub\r\nPWD\r\nNOOP\r\n").s(b"250 ok.\r\n257 \"/pub\"\r\n200 NOOP ok.\r\n");
    assert_eq!(
        t.summary(),
        vec![
            (Some("CWD"), vec![s("250|ok.")]),
            (Some("PWD"), vec![s("257|\"/pub\"")]),
            (Some("NOOP"), vec![s("200|NOOP ok.")]),
        ]
    );
    // A preliminary reply keeps the transaction open for the final one.
    let mut t = T::new();
    t.c(b"RETR a\r\n").s(b"150 Opening.\r\n");
    assert!(!t.conn.tx(0).unwrap().done);
    t.s(b"226 Done.\r\n");
    assert_eq!(t.summary(), vec![(Some("RETR"), vec![s("150|Opening."), s("226|Done.")])]);
}

#[test]
fn multi_line_reply_across_pieces_as_suricata() {
    // In one piece every line goes to the command.
    let mut t = T::new();
    t.c(b"STAT\r\n").s(b"211-Status:\r\n211-  connected\r\n211 End\r\n");
    assert_eq!(t.summary(), vec![(Some("STAT"), vec![s("|211-Status:"), s("|211-  connected"), s("211|End")])]);
    // Cut after the first line: the first line completed the command,
    // which was logged and freed; the rest opens a transaction of its own.
    let mut t = T::new();
    t.c(b"HELP\r\n").s(b"214-Recognized:\r\n USER PA").flush().s(b"SS\r\n214 Help OK.\r\n");
    assert_eq!(t.summary(), vec![(None, vec![s("| USER PASS"), s("214|Help OK.")])]);
    assert_eq!(t.conn.tx_count(), 2);
}

#[test]
fn unknown_lines_and_suricata_quirks() {
    let mut t = T::new();
    // No transaction for an unknown command; its reply opens one.
    t.c(b"XYZZY plugh\r\n").s(b"500 Unknown command.\r\n");
    assert_eq!(t.summary(), vec![(None, vec![s("500|Unknown command.")])]);
    t.flush();
    // A reply after an unknown command line loses its command's name.
    t.c(b"NOOP\r\nXYZZY\r\n").s(b"200 ok\r\n500 unknown\r\n");
    assert_eq!(t.summary(), vec![(None, vec![s("200|ok"), s("500|unknown")])]);
    t.flush();
    // Anywhere in the line, any case; command_data from the name's length.
    t.c(b"USERNAME\r\nxpwd\r\nnoop   \r\nCWD  a b  \r\nunknown cmd\r\n");
    let txs = t.txs();
    let names: Vec<_> = txs.iter().map(|t| t.command.and_then(Command::name)).collect();
    assert_eq!(names, vec![Some("USER"), Some("PWD"), Some("NOOP"), Some("CWD"), None]);
    assert_eq!(txs[0].command_data(), Some(&b"AME"[..]));
    assert_eq!(txs[1].command_data(), Some(&b""[..]));
    assert_eq!(txs[2].command_data(), None);
    assert_eq!(txs[3].command_data(), Some(&b" a b"[..]));
    // Garbage, empty and LF-only lines.
    let mut t = T::new();
    t.c(b"\x00\xff\x10garbage\r\n\r\nMKD new dir\n").s(b"500 ?\r\nnot a reply line\n257 created\r\n");
    assert_eq!(t.summary(), vec![(Some("MKD"), vec![s("500|?"), s("|not a reply line"), s("257|created")])]);
}

#[test]
fn long_lines_are_cut_and_their_rest_skipped() {
    let mut t = T::new();
    let mut line = b"SITE ".to_vec();
    line.extend(std::iter::repeat_n(b'A', 5000));
    line.extend_from_slice(b"\r\nNOOP\r\n");
    for piece in line.chunks(1400) {
        t.c(piece);
    }
    t.c(b"PWD\r\n");
    // Suricata drops what shares a piece with the cut line's end (NOOP).
    let txs = t.txs();
    assert_eq!(txs.len(), 2);
    assert!(txs[0].request_truncated);
    assert_eq!(txs[0].command_data().map(<[u8]>::len), Some(4091));
    assert!(txs[1].command.is_some_and(|c| c.is("PWD")));
    assert_eq!(t.conn.stats().long_lines, 1);
    let mut anomalies = Vec::new();
    t.conn.drain_anomalies(|a| anomalies.push(a.event));
    assert_eq!(anomalies, vec!["request_command_too_long"]);
    // A long reply line in one piece.
    let mut t = T::new();
    let mut reply = b"211 ".to_vec();
    reply.extend(std::iter::repeat_n(b'B', 5000));
    reply.extend_from_slice(b"\r\n");
    t.c(b"STAT\r\n").s(&reply).c(b"QUIT\r\n").s(b"221 Bye\r\n");
    let txs = t.txs();
    assert_eq!(txs[0].replies.len(), 1);
    assert!(txs[0].replies[0].truncated);
    assert_eq!(txs[0].replies[0].text.len(), 4092);
    assert_eq!(txs[1].replies.len(), 1);
}

#[test]
fn transfers_are_announced() {
    let mut t = T::new();
    t.c(b"PORT 192,168,10,5,156,74\r\n").s(b"200 PORT command successful.\r\n");
    let port = t.conn.tx(0).unwrap();
    assert_eq!((port.dyn_port, port.active), (40010, true));
    t.c(b"RETR readme.txt\r\n").s(b"150 Opening.\r\n");
    t.c(b"PASV\r\n").s(b"227 Entering Passive Mode (203,0,113,21,195,80).\r\n");
    t.c(b"STOR  two  spaces \r\n");
    t.c(b"EPSV\r\n").s(b"229 Entering Extended Passive Mode (|||50001|)\r\n").c(b"LIST\r\n");
    t.c(b"EPRT |1|192.168.10.5|40030|\r\n").s(b"200 ok\r\n").c(b"STOU\r\n");
    let got: Vec<_> = t
        .conn
        .take_transfers()
        .into_iter()
        .map(|x| (x.port, x.data_to_server, x.command.name(), x.file_name.map(|n| String::from_utf8(n).unwrap())))
        .collect();
    assert_eq!(
        got,
        vec![
            (40010, true, Some("RETR"), Some(s("readme.txt"))),
            (50000, true, Some("STOR"), Some(s(" two  spaces"))),
            (50001, false, Some("LIST"), None),
            (40030, false, Some("STOU"), Some(s("<stou>"))),
        ]
    );
    // No port yet, no file name: refused, with Suricata's events.
    t.c(b"RETR x.txt\r\n").s(b"425 Use PASV first.\r\n");
    t.c(b"PASV\r\n").s(b"227 Entering Passive Mode (1,2,3,4,5,6)\r\n").c(b"RETR\r\n");
    assert!(t.conn.take_transfers().is_empty());
    let mut anomalies = Vec::new();
    t.conn.drain_anomalies(|a| anomalies.push(a.event));
    assert_eq!(anomalies, vec!["file_before_port", "file_without_name"]);
}

#[test]
fn replies_are_read_in_the_light_of_the_latest_command() {
    let mut t = T::new();
    // A PORT whose line does not parse completes without its reply.
    t.c(b"port 10,9,8,7,4,1\r\n").s(b"500 Illegal PORT command.\r\n");
    let tx = t.conn.tx(0).unwrap();
    assert!(tx.done && tx.replies.is_empty() && tx.dyn_port == 0);
    // A PASV followed by another command: the 227 is not read as PASV's.
    t.c(b"PASV\r\nNOOP\r\n").s(b"227 Entering (203,0,113,21,195,81)\r\n200 ok\r\n");
    assert_eq!(t.conn.tx(1).unwrap().dyn_port, 0);
    assert!(t.conn.take_transfers().is_empty());
}

#[test]
fn bounce_tests_the_latest_port_command() {
    let mut t = T::new();
    t.c(b"PORT 10,1,2,3,0,25\r\n");
    assert!(t.conn.bounce());
    t.c(b"PORT 192,168,10,5,160,41\r\n");
    assert!(!t.conn.bounce());
    t.c(b"PORT 10,1,2,3,0,25\r\nNOOP\r\n");
    assert!(!t.conn.bounce());
    t.c(b"EPRT |1|10.1.2.3|25|\r\n");
    assert!(!t.conn.bounce());
}

#[test]
fn bounded() {
    let cfg = FtpConfig { max_transactions: 4, max_reply_lines: 2, ..FtpConfig::default() };
    let mut t = T::with(cfg);
    t.c(b"STAT\r\n").s(b"211-a\r\n211-b\r\n211-c\r\n211 d\r\n");
    assert_eq!(t.txs()[0].replies.len(), 2);
    assert_eq!(t.conn.stats().reply_lines_dropped, 2);
    // Commands never answered: past the limit the connection stops.
    t.c(b"NOOP\r\n".repeat(10).as_slice());
    assert!(t.conn.failed());
    assert_eq!(t.conn.stats().tx_limit_hits, 1);
    let n = t.conn.tx_count();
    t.c(b"NOOP\r\n").s(b"200 ok\r\n");
    assert_eq!(t.conn.tx_count(), n);
    // A gap drops the line in progress.
    let mut t = T::new();
    t.c(b"RETR par");
    t.conn.gap(0, 10);
    t.c(b"tial\r\nNOOP\r\n").c(b"PWD\r\n");
    assert_eq!(t.summary(), vec![(Some("PWD"), vec![])]);
}

#[test]
fn hostile_input_never_panics() {
    // A cheap deterministic byte soup, cut at every size (the fuzz target
    // goes further).
    const WORDS: &[u8] = b"PORT 1,2,3,4,5,6|(|||227 229 150 RETR STOR PASV EPSV";
    let mut x: u32 = 0x1234_5678;
    let mut soup = Vec::new();
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let b = match x % 7 {
            0 => b'\n',
            1 => b'\r',
            2 => WORDS[(x >> 8) as usize % WORDS.len()],
            _ => (x >> 16) as u8,
        };
        soup.push(b);
    }
    let cfg = FtpConfig { max_line_bytes: 64, max_transactions: 8, ..FtpConfig::default() };
    for size in [1, 2, 7, 64, 1460] {
        let mut t = T::with(cfg.clone());
        for (i, piece) in soup.chunks(size).enumerate() {
            t.conn.parse(&t.cfg, i % 2, piece, &mut t.events);
            if i % 5 == 0 {
                t.flush();
            }
            let _ = (t.conn.bounce(), t.conn.take_transfers());
        }
        assert!(t.txs().iter().all(|tx| tx.request.len() <= 64 && tx.replies.len() <= cfg.max_reply_lines));
    }
}
