//! Pure SSH wire parsing (RFC 4253): the identification line, the binary
//! packet header and the KEXINIT message, with the results Suricata's
//! parser gives for the same bytes (its quirks included, since rules and
//! EVE consumers are written against them). No state, no allocation.

/// Message codes the parser acts on.
pub const MSG_KEXINIT: u8 = 20;
pub const MSG_NEWKEYS: u8 = 21;

/// Bytes of a binary packet header as framed here: `packet_length` (4),
/// `padding_length` (1) and the message code (1).
pub const RECORD_HEADER_LEN: usize = 6;

/// What [`line`] found at the start of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// A line (without its terminator) and what follows the terminator.
    Complete { line: &'a [u8], rest: &'a [u8] },
    /// No terminator yet: more bytes are needed.
    Incomplete,
}

/// Splits off the first line. A line ends at `\n`, `\r\n`, or a lone `\r`
/// that is not the last byte (a final `\r` may be the start of `\r\n`).
/// The line is everything before the first `\r` or `\n`, so in `a\rb\n`
/// the line is `a` and `b\n` remains, as in Suricata.
pub fn line(input: &[u8]) -> Line<'_> {
    let Some(end) = input.iter().position(|&b| b == b'\n' || b == b'\r') else { return Line::Incomplete };
    let line = &input[..end];
    let rest = &input[end..];
    match rest {
        [b'\n', r @ ..] | [b'\r', b'\n', r @ ..] => Line::Complete { line, rest: r },
        [b'\r'] => Line::Incomplete,
        [b'\r', r @ ..] => Line::Complete { line, rest: r },
        _ => Line::Incomplete,
    }
}

/// The fields of an identification line `SSH-protoversion-softwareversion
/// SP comments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Banner<'a> {
    /// Between `SSH-` and the next `-` (at least one byte).
    pub proto_version: &'a [u8],
    /// After that `-`, up to the first space, `\r` or `\n`. Suricata's
    /// quirk is kept: when the software version would be empty because a
    /// space follows the `-` at once, the whole remainder (space and
    /// comments) is taken instead.
    pub software_version: &'a [u8],
}

/// Parses an identification line (or, for an over-long line still
/// without its end, the bytes so far). None when it is not one: no `SSH-`
/// prefix, an empty protocol version, or no `-` after it.
pub fn banner(line: &[u8]) -> Option<Banner<'_>> {
    let rest = line.strip_prefix(b"SSH-")?;
    let dash = rest.iter().position(|&b| b == b'-')?;
    if dash == 0 {
        return None;
    }
    let proto_version = &rest[..dash];
    let after = &rest[dash + 1..];
    let software_version = match after.iter().position(|&b| matches!(b, b' ' | b'\r' | b'\n')) {
        Some(0) => after,
        Some(n) => &after[..n],
        None => after,
    };
    Some(Banner { proto_version, software_version })
}

/// A binary packet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// `packet_length`: what follows the length field (padding length,
    /// payload, padding). At least 2 here.
    pub packet_len: u32,
    pub padding_len: u8,
    pub msg_code: u8,
}

impl RecordHeader {
    /// Bytes of the record after the 6 framed here.
    pub fn body_len(&self) -> u32 {
        self.packet_len - 2
    }
}

/// What [`record_header`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    Ok(RecordHeader),
    /// Fewer than [`RECORD_HEADER_LEN`] bytes.
    Incomplete,
    /// `packet_length` below 2 cannot hold a padding length and a message
    /// code: the stream is not SSH binary packets (Suricata gives up).
    Invalid,
}

/// Reads a binary packet header from the start of `input`.
pub fn record_header(input: &[u8]) -> Header {
    let len = match input.get(..4) {
        Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        None => return Header::Incomplete,
    };
    if len < 2 {
        return Header::Invalid;
    }
    match input.get(4..RECORD_HEADER_LEN) {
        Some(b) => Header::Ok(RecordHeader { packet_len: len, padding_len: b[0], msg_code: b[1] }),
        None => Header::Incomplete,
    }
}

/// The algorithm lists of a KEXINIT message (after its message code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KexInit<'a> {
    pub cookie: &'a [u8],
    pub kex_algorithms: &'a [u8],
    pub server_host_key_algorithms: &'a [u8],
    pub encryption_client_to_server: &'a [u8],
    pub encryption_server_to_client: &'a [u8],
    pub mac_client_to_server: &'a [u8],
    pub mac_server_to_client: &'a [u8],
    pub compression_client_to_server: &'a [u8],
    pub compression_server_to_client: &'a [u8],
    pub languages_client_to_server: &'a [u8],
    pub languages_server_to_client: &'a [u8],
    pub first_kex_packet_follows: u8,
}

fn name_list<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let b = input.get(..4)?;
    let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let list = input.get(4..4usize.checked_add(len)?)?;
    *input = &input[4 + len..];
    Some(list)
}

/// Parses a KEXINIT body: the record bytes after the message code (cookie,
/// ten name-lists, the flag and the reserved word; padding may follow).
/// None when it is truncated or a list runs past the end.
pub fn kexinit(body: &[u8]) -> Option<KexInit<'_>> {
    let cookie = body.get(..16)?;
    let mut i = &body[16..];
    let k = KexInit {
        cookie,
        kex_algorithms: name_list(&mut i)?,
        server_host_key_algorithms: name_list(&mut i)?,
        encryption_client_to_server: name_list(&mut i)?,
        encryption_server_to_client: name_list(&mut i)?,
        mac_client_to_server: name_list(&mut i)?,
        mac_server_to_client: name_list(&mut i)?,
        compression_client_to_server: name_list(&mut i)?,
        compression_server_to_client: name_list(&mut i)?,
        languages_client_to_server: name_list(&mut i)?,
        languages_server_to_client: name_list(&mut i)?,
        first_kex_packet_follows: *i.first()?,
    };
    // The reserved uint32 must be there too.
    i.get(1..5)?;
    Some(k)
}

impl KexInit<'_> {
    /// Appends the HASSH string of the sender: for a client
    /// `kex;encryption_c2s;mac_c2s;compression_c2s`, for a server (HASSH
    /// server) the server-to-client lists.
    pub fn push_hassh_string(&self, server: bool, out: &mut Vec<u8>) {
        let lists = if server {
            [
                self.kex_algorithms,
                self.encryption_server_to_client,
                self.mac_server_to_client,
                self.compression_server_to_client,
            ]
        } else {
            [
                self.kex_algorithms,
                self.encryption_client_to_server,
                self.mac_client_to_server,
                self.compression_client_to_server,
            ]
        };
        for (i, l) in lists.iter().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            out.extend_from_slice(l);
        }
    }
}

/// Lowercase hex MD5 of `data`.
pub fn md5_hex(data: &[u8]) -> [u8; 32] {
    use md5::Digest;
    let d = md5::Md5::digest(data);
    let mut out = [0u8; 32];
    use crate::util::HEX_DIGITS;
    for (i, b) in d.iter().enumerate() {
        out[2 * i] = HEX_DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = HEX_DIGITS[usize::from(b & 15)];
    }
    out
}
