//! Pure FTP control-channel parsing with the results Suricata 8.0's parser
//! gives for the same bytes (its quirks included, since rules and EVE
//! consumers are written against them): splitting lines, recognising a
//! command in a request line, splitting a reply line into its completion
//! code and text, reading the data port out of PORT/EPRT commands and
//! 227/229 replies, and the `ftpbounce` test. No state, no allocation.

/// What a command is to the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Announces an active-mode data connection (PORT, EPRT).
    Active,
    /// Asks for a passive-mode one (PASV, EPSV).
    Passive,
    /// Moves data over the data connection, from the server (RETR, LIST,
    /// NLST, MLSD) or to it (STOR, APPE, STOU).
    Transfer {
        upload: bool,
    },
    Other,
}

/// One of Suricata's FTP commands (its `FtpCommands` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Command {
    /// Index in [`COMMANDS`].
    pub index: u8,
}

/// Suricata 8's command table, in its order. A request line carries a
/// command when one of these names occurs anywhere in it, any case (its
/// multi-pattern matcher is not anchored); the leftmost one wins. Names
/// are logged as written here (`AUTH_TLS` included, which is why
/// Suricata 8.0 never sees an `AUTH TLS` command). `UNKNOWN` is a pattern
/// too: a line containing it opens a transaction without a command name.
pub const COMMANDS: &[&str] = &[
    "PORT", "EPRT", "AUTH_TLS", "PASV", "EPSV", "RETR", "STOR", "ABOR", "ACCT", "ALLO", "APPE", "CDUP", "CHMOD", "CWD",
    "DELE", "HELP", "IDLE", "LIST", "MAIL", "MDTM", "MKD", "MLFL", "MODE", "MRCP", "MRSQ", "MSAM", "MSND", "MSOM",
    "NLST", "NOOP", "PASS", "PWD", "QUIT", "REIN", "REST", "RMD", "RNFR", "RNTO", "SITE", "SIZE", "SMNT", "STAT",
    "STOU", "STRU", "SYST", "TYPE", "UMASK", "USER", "MLSD", "UNKNOWN",
];

impl Command {
    /// Looks a name up in the table (exact, uppercase), for tests and rules.
    pub fn named(name: &str) -> Option<Command> {
        COMMANDS.iter().position(|c| *c == name).map(|i| Command { index: i as u8 })
    }

    /// The name Suricata logs; None for the `UNKNOWN` pattern.
    pub fn name(self) -> Option<&'static str> {
        COMMANDS.get(usize::from(self.index)).copied().filter(|n| *n != "UNKNOWN")
    }

    pub fn is(self, name: &str) -> bool {
        COMMANDS.get(usize::from(self.index)) == Some(&name)
    }

    pub fn kind(self) -> Kind {
        match COMMANDS.get(usize::from(self.index)).copied().unwrap_or("") {
            "PORT" | "EPRT" => Kind::Active,
            "PASV" | "EPSV" => Kind::Passive,
            "RETR" | "LIST" | "NLST" | "MLSD" => Kind::Transfer { upload: false },
            "STOR" | "APPE" | "STOU" => Kind::Transfer { upload: true },
            _ => Kind::Other,
        }
    }

    /// The transfer carries a named file (a listing does not).
    pub fn carries_file(self) -> bool {
        ["RETR", "STOR", "APPE", "STOU"].iter().any(|n| self.is(n))
    }

    /// Bytes of the name: `command_data` starts this many bytes plus one
    /// into the line, wherever the name was found.
    pub fn len(self) -> usize {
        COMMANDS.get(usize::from(self.index)).map_or(0, |n| n.len())
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// The command a request line carries (see [`COMMANDS`]).
pub fn find_command(line: &[u8]) -> Option<Command> {
    // Leftmost match: no name in the table contains another, so the
    // leftmost start is also the earliest end, the order in which the
    // matcher reports them.
    for start in 0..line.len() {
        let rest = &line[start..];
        let first = rest[0].to_ascii_uppercase();
        for (i, name) in COMMANDS.iter().enumerate() {
            let n = name.as_bytes();
            if n[0] == first && rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n) {
                return Some(Command { index: i as u8 });
            }
        }
    }
    None
}

/// C's `isspace`.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `line` without trailing whitespace (how a request is kept).
pub fn trim_end(line: &[u8]) -> &[u8] {
    let n = line.iter().rposition(|&b| !is_space(b)).map_or(0, |p| p + 1);
    &line[..n]
}

/// What [`next_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// A line without its `\n` (and a `\r` before it), then what follows.
    Complete { line: &'a [u8], rest: &'a [u8] },
    /// A line whose terminator is at or past `max` bytes (terminator
    /// included): its first `max` bytes, then what follows the line.
    Long { line: &'a [u8], rest: &'a [u8] },
    /// No `\n` yet.
    Incomplete,
}

/// Splits off the first line of `input`, lines ending at `\n` as in
/// Suricata (a lone `\r` does not end one).
pub fn next_line(input: &[u8], max: usize) -> Line<'_> {
    let Some(lf) = memchr::memchr(b'\n', input) else { return Line::Incomplete };
    let rest = &input[lf + 1..];
    if lf + 1 >= max {
        return Line::Long { line: &input[..max.min(input.len())], rest };
    }
    let line = &input[..lf];
    Line::Complete { line: line.strip_suffix(b"\r").unwrap_or(line), rest }
}

/// A reply line as Suricata 8 splits it: trailing whitespace removed, then
/// a completion code when the line starts with three digits and a space.
/// "220-Welcome" (a continuation line) has no code and is all text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply<'a> {
    pub code: Option<[u8; 3]>,
    pub text: &'a [u8],
}

/// Splits a reply line; None when nothing is left after trimming (such a
/// line adds no reply).
pub fn reply(line: &[u8]) -> Option<Reply<'_>> {
    let line = trim_end(line);
    if line.is_empty() {
        return None;
    }
    match line {
        [a, b, c, b' ', text @ ..] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
            Some(Reply { code: Some([*a, *b, *c]), text })
        }
        _ => Some(Reply { code: None, text: line }),
    }
}

/// A positive preliminary reply (`1yz `): its transaction stays open for
/// the final reply.
pub fn is_preliminary(line: &[u8]) -> bool {
    matches!(line, [b'1', b, c, s, ..] if b.is_ascii_digit() && c.is_ascii_digit() && is_space(*s))
}

/// A tiny cursor for the port parsers (nom's `multispace0`, `digit1`...).
struct Cur<'a>(&'a [u8]);

impl<'a> Cur<'a> {
    fn tag(&mut self, t: &[u8]) -> Option<()> {
        self.0 = self.0.strip_prefix(t)?;
        Some(())
    }

    /// `multispace0`: spaces, tabs, CR, LF.
    fn spaces(&mut self) {
        let n = self.0.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).count();
        self.0 = &self.0[n..];
    }

    fn digits(&mut self) -> Option<&'a [u8]> {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let (d, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(d)
    }

    /// Digits read as a u16 (too many for one fails).
    fn u16(&mut self) -> Option<u16> {
        let d = self.digits()?;
        d.iter().try_fold(0u16, |n, &c| n.checked_mul(10)?.checked_add(u16::from(c - b'0')))
    }

    /// `multispace0 u16 multispace0`.
    fn spaced_u16(&mut self) -> Option<u16> {
        self.spaces();
        let v = self.u16()?;
        self.spaces();
        Some(v)
    }

    /// Up to and past `t` (`take_until` then `tag`).
    fn past(&mut self, t: &[u8]) -> Option<()> {
        let at = memchr::memmem::find(self.0, t)?;
        self.0 = &self.0[at + t.len()..];
        Some(())
    }

    /// `,` then a byte value (the two halves of a port).
    fn byte(&mut self, spaced: bool) -> Option<u16> {
        let v = if spaced { self.spaced_u16()? } else { self.u16()? };
        (v <= 255).then_some(v)
    }
}

/// The four address numbers of `h1,h2,h3,h4,`, not checked.
fn skip_address(c: &mut Cur<'_>) -> Option<()> {
    for _ in 0..4 {
        c.digits()?;
        c.tag(b",")?;
    }
    Some(())
}

fn port_of(p1: u16, p2: u16) -> Option<u16> {
    Some(p1 * 256 + p2).filter(|p| *p != 0)
}

/// The data port of `PORT h1,h2,h3,h4,p1,p2` (the command name in capitals,
/// as Suricata's parser wants it); None when it does not parse or is 0.
pub fn port_command(line: &[u8]) -> Option<u16> {
    let mut c = Cur(line);
    c.tag(b"PORT")?;
    c.spaces();
    c.digits()?;
    c.spaces();
    c.tag(b",")?;
    for _ in 0..3 {
        c.digits()?;
        c.tag(b",")?;
    }
    let p1 = c.byte(false)?;
    c.tag(b",")?;
    port_of(p1, c.byte(false)?)
}

/// The data port of `EPRT |proto|address|port|`.
pub fn eprt_command(line: &[u8]) -> Option<u16> {
    let mut c = Cur(line);
    c.tag(b"EPRT")?;
    for _ in 0..3 {
        c.past(b"|")?;
    }
    let p = c.spaced_u16()?;
    c.tag(b"|")?;
    Some(p).filter(|p| *p != 0)
}

/// The data port of `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`.
pub fn pasv_reply(line: &[u8]) -> Option<u16> {
    if !line.starts_with(b"227 ") {
        return None;
    }
    let mut c = Cur(&line[3..]);
    c.past(b"(")?;
    skip_address(&mut c)?;
    let p1 = c.byte(true)?;
    c.tag(b",")?;
    let p2 = c.byte(true)?;
    c.tag(b")")?;
    port_of(p1, p2)
}

/// The data port of `229 Entering Extended Passive Mode (|||port|)`.
pub fn epsv_reply(line: &[u8]) -> Option<u16> {
    if !line.starts_with(b"229 ") {
        return None;
    }
    let mut c = Cur(&line[3..]);
    c.past(b"|||")?;
    let p = c.spaced_u16()?;
    c.tag(b"|)")?;
    Some(p).filter(|p| *p != 0)
}

/// Suricata's `ftpbounce` test of a PORT line: the first four numbers
/// (after whatever precedes the first digit) form an address that differs
/// from `client`, the first four bytes of the client's address (all of an
/// IPv4 address; Suricata compares the first 32 bits of an IPv6 one).
/// Its reading is kept: a number may be 256, spaces may precede a comma,
/// a fourth digit in a number or anything else ends the test without a
/// match, and the fourth number must be followed by a comma.
pub fn bounce(line: &[u8], client: [u8; 4]) -> bool {
    if line.len() < 8 {
        return false;
    }
    let mut i = line.iter().position(u8::is_ascii_digit).unwrap_or(line.len());
    let (mut octet, mut digits, mut count, mut ip) = (0u32, 0, 0, 0u32);
    while i < line.len() && digits < 4 {
        let c = line[i];
        if c.is_ascii_digit() {
            octet = octet * 10 + u32::from(c - b'0');
            digits += 1;
        } else {
            if octet > 256 {
                return false;
            }
            while i < line.len() && is_space(line[i]) {
                i += 1;
            }
            if line.get(i) != Some(&b',') {
                return false;
            }
            count += 1;
            digits = 0;
            ip = (ip << 8).wrapping_add(octet);
            octet = 0;
            if count == 4 {
                return ip.to_be_bytes() != client;
            }
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(line: &[u8]) -> Option<&'static str> {
        find_command(line).and_then(Command::name)
    }

    #[test]
    fn commands_are_found_as_suricata_finds_them() {
        assert_eq!(name(b"USER anonymous"), Some("USER"));
        assert_eq!(name(b"noop"), Some("NOOP"));
        // Anywhere in the line, leftmost first.
        assert_eq!(name(b"USERNAME"), Some("USER"));
        assert_eq!(name(b"xpwd"), Some("PWD"));
        assert_eq!(name(b"SITE CHMOD 755 f"), Some("SITE"));
        assert_eq!(name(b"AUTH TLS"), None);
        assert_eq!(name(b"AUTH_TLS"), Some("AUTH_TLS"));
        assert_eq!(name(b"FEAT"), None);
        assert_eq!(name(b"\x00\xffgarbage"), None);
        assert_eq!(name(b""), None);
        // The UNKNOWN pattern is a command without a name.
        let u = find_command(b"an unknown thing").unwrap();
        assert_eq!(u.name(), None);
        assert_eq!(find_command(b"MLSD").map(Command::kind), Some(Kind::Transfer { upload: false }));
        assert_eq!(Command::named("STOU").map(Command::kind), Some(Kind::Transfer { upload: true }));
        assert_eq!(Command::named("CWD").map(Command::len), Some(3));
    }

    #[test]
    fn lines_end_at_lf() {
        assert_eq!(next_line(b"NOOP\r\nPWD", 4096), Line::Complete { line: b"NOOP", rest: b"PWD" });
        assert_eq!(next_line(b"SYST\nX", 4096), Line::Complete { line: b"SYST", rest: b"X" });
        assert_eq!(next_line(b"a\rb\r\n", 4096), Line::Complete { line: b"a\rb", rest: b"" });
        assert_eq!(next_line(b"NOOP\r", 4096), Line::Incomplete);
        // The terminator counts towards the limit.
        assert_eq!(next_line(b"abc\n", 4), Line::Long { line: b"abc\n", rest: b"" });
        assert_eq!(next_line(b"abcdef\nz", 4), Line::Long { line: b"abcd", rest: b"z" });
    }

    #[test]
    fn replies_split_as_suricata_splits_them() {
        assert_eq!(reply(b"220 Ready."), Some(Reply { code: Some(*b"220"), text: b"Ready." }));
        assert_eq!(reply(b"220-Welcome"), Some(Reply { code: None, text: b"220-Welcome" }));
        assert_eq!(reply(b"213  b"), Some(Reply { code: Some(*b"213"), text: b" b" }));
        assert_eq!(reply(b"200 a  "), Some(Reply { code: Some(*b"200"), text: b"a" }));
        assert_eq!(reply(b"211 "), Some(Reply { code: None, text: b"211" }));
        assert_eq!(reply(b"250\tc"), Some(Reply { code: None, text: b"250\tc" }));
        assert_eq!(reply(b"99 x"), Some(Reply { code: None, text: b"99 x" }));
        assert_eq!(reply(b"  \t"), None);
        assert!(is_preliminary(b"150 Opening"));
        assert!(!is_preliminary(b"150-Opening") && !is_preliminary(b"226 Done") && !is_preliminary(b"150"));
    }

    #[test]
    fn data_ports() {
        assert_eq!(port_command(b"PORT 192,168,0,13,234,10"), Some(59914));
        assert_eq!(port_command(b"PORT 10 ,9,8,7,4,1"), Some(1025));
        assert_eq!(port_command(b"port 10,9,8,7,4,1"), None);
        assert_eq!(port_command(b"PORT 212,27,32,66,257,243"), None);
        assert_eq!(port_command(b"PORT 212,27,32,66,255,65535"), None);
        assert_eq!(port_command(b"PORT 1,2,3,4,0,0"), None);
        assert_eq!(port_command(b"PORT 1,2,3"), None);
        assert_eq!(eprt_command(b"EPRT |2|2a01:e34::1|41813|"), Some(41813));
        assert_eq!(eprt_command(b"EPRT |2|::1| 7000 |"), Some(7000));
        assert_eq!(eprt_command(b"EPRT |2|::1|81813|"), None);
        assert_eq!(pasv_reply(b"227 Entering Passive Mode (212,27,32,66,221,243)."), Some(56819));
        assert_eq!(pasv_reply(b"227 Entering (203,0,113,21, 195 , 80)"), Some(50000));
        assert_eq!(pasv_reply(b"227 Entering (203,0,113,21,195,80"), None);
        assert_eq!(pasv_reply(b"227-Entering (203,0,113,21,195,80)"), None);
        assert_eq!(epsv_reply(b"229 Entering Extended Passive Mode (|||48758|)."), Some(48758));
        assert_eq!(epsv_reply(b"229 ok (||| 50001 |)"), Some(50001));
        assert_eq!(epsv_reply(b"229 ok (|||50001)"), None);
    }

    #[test]
    fn bounce_is_an_address_other_than_the_clients() {
        let client = [198, 51, 100, 7];
        assert!(bounce(b"PORT 10,1,2,3,0,25", client));
        assert!(!bounce(b"PORT 198,51,100,7,160,41", client));
        assert!(bounce(b"port 10 ,9,8,7,4,1", client));
        // Suricata's reading: 256 is taken, a fourth digit or a missing
        // comma after the fourth number ends the test.
        assert!(bounce(b"PORT 1,2,3,256,0,1", client));
        assert!(!bounce(b"PORT 1000,2,3,4,0,1", client));
        assert!(!bounce(b"PORT 10,1,2,3", client));
        assert!(!bounce(b"PORT 10,1,2", client));
        assert!(!bounce(b"PORT", client));
        assert!(!bounce(b"PORT x,y", client));
    }
}
