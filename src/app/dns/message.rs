//! Wire-format parsing of one DNS message (RFC 1035 section 4).
//!
//! Positions are offsets into the whole message, because compression
//! pointers are offsets from its start. Every read goes through `get`, so
//! hostile input ends a parse instead of panicking.

use super::{DnsConfig, DnsError, DnsMessage, DnsStats, Question, RData, Record, HEADER_LEN};

/// Longest message: the TCP length prefix is 16 bits, and UDP payloads are
/// smaller still.
pub const MAX_MESSAGE_LEN: usize = 65535;
/// Bytes kept of a rendered name (Suricata keeps up to 1025). Names over
/// RFC 1035's 255 octets in wire form (253 rendered) are counted in
/// `DnsStats::names_too_long`; their rendering is cut at this length.
pub const MAX_NAME_LEN: usize = 255;
/// Labels plus pointers walked for one name: Suricata's limit. Without
/// pointers, going past it is an error (as in Suricata); with pointers the
/// name ends there and counts as a pointer loop.
pub const MAX_NAME_STEPS: usize = 255;
/// Compression pointers followed for one name. Real compressors chain a
/// few; any loop hits this quickly whatever its labels, so loops are told
/// apart from merely long names.
pub const MAX_NAME_JUMPS: usize = 32;
/// TXT strings kept per record: without it a 64 KiB record of 1-byte
/// strings would cost one allocation per two input bytes.
pub const MAX_TXT_STRINGS: usize = 256;

/// Smallest encodings, to size vectors from the bytes left rather than
/// from attacker-chosen header counts.
const MIN_QUESTION_LEN: usize = 5;
const MIN_RECORD_LEN: usize = 11;

/// Why parsing stopped before the end of the sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// `max_records` reached.
    Limit,
    /// The message ends inside a record.
    Truncated,
    /// Label length byte with top bits 01 or 10.
    BadLabel,
    /// Compression pointer past the end of the message.
    BadPointer,
    /// More than `MAX_NAME_STEPS` labels without any pointer.
    TooManyLabels,
}

pub(super) fn be16(msg: &[u8], pos: usize) -> Option<u16> {
    msg.get(pos..pos.checked_add(2)?)?.try_into().ok().map(u16::from_be_bytes)
}

fn be32(msg: &[u8], pos: usize) -> Option<u32> {
    msg.get(pos..pos.checked_add(4)?)?.try_into().ok().map(u32::from_be_bytes)
}

/// A name being rendered, on the stack: one exact allocation per name.
struct NameBuf {
    bytes: [u8; MAX_NAME_LEN],
    len: usize,
    /// Wire-form length so far (length bytes + labels + the root byte).
    wire_len: usize,
}

impl NameBuf {
    fn new() -> Self {
        NameBuf { bytes: [0; MAX_NAME_LEN], len: 0, wire_len: 1 }
    }

    /// Appends `.label` (no dot before the first label), keeping at most
    /// `MAX_NAME_LEN` bytes: Suricata keeps the leading part of long names.
    fn push_label(&mut self, label: &[u8]) {
        let dot: &[u8] = if self.wire_len > 1 { b"." } else { b"" };
        self.wire_len += 1 + label.len();
        for part in [dot, label] {
            let room = MAX_NAME_LEN - self.len;
            let n = part.len().min(room);
            if let (Some(dst), Some(src)) = (self.bytes.get_mut(self.len..self.len + n), part.get(..n)) {
                dst.copy_from_slice(src);
                self.len += n;
            }
        }
    }

    fn to_vec(&self) -> Vec<u8> {
        self.bytes.get(..self.len).unwrap_or_default().to_vec()
    }
}

/// Parses the name starting at `start`; returns it and the position after
/// it in the original byte sequence (after the first pointer, if any).
///
/// Forward pointers are followed, as Suricata does (RFC 1035 only uses
/// backward ones, but a sensor must see what a lenient resolver might).
/// Termination does not depend on pointer direction: the walk stops after
/// `MAX_NAME_STEPS` steps or `MAX_NAME_JUMPS` jumps, whichever is first.
/// Once a pointer was followed the name's extent in the message is known,
/// so a loop only ends the name (counted), not the message.
fn parse_name(msg: &[u8], start: usize, stats: &mut DnsStats) -> Result<(Vec<u8>, usize), Stop> {
    let mut name = NameBuf::new();
    let mut pos = start;
    // Position after the first pointer: where the next field starts.
    let mut after: Option<usize> = None;
    let mut steps = 0;
    let mut jumps = 0;
    let mut looped = false;
    loop {
        let Some(&len) = msg.get(pos) else {
            // Labels ran off the end of the message. Suricata accepts the
            // name if a pointer brought it here (its end in the stream is
            // known); otherwise the next field is missing anyway.
            match after {
                Some(_) => break,
                None => return Err(Stop::Truncated),
            }
        };
        match len & 0xc0 {
            0x00 if len == 0 => {
                pos += 1;
                break;
            }
            0x00 => {
                let label = msg.get(pos + 1..pos + 1 + usize::from(len)).ok_or(Stop::Truncated)?;
                name.push_label(label);
                pos += 1 + usize::from(len);
            }
            0xc0 => {
                let target = usize::from(be16(msg, pos).ok_or(Stop::Truncated)? & 0x3fff);
                if target >= msg.len() {
                    stats.bad_pointers += 1;
                    return Err(Stop::BadPointer);
                }
                after.get_or_insert(pos + 2);
                jumps += 1;
                if jumps > MAX_NAME_JUMPS {
                    looped = true;
                    break;
                }
                pos = target;
            }
            _ => {
                stats.bad_labels += 1;
                return Err(Stop::BadLabel);
            }
        }
        steps += 1;
        if steps > MAX_NAME_STEPS {
            if after.is_none() {
                return Err(Stop::TooManyLabels);
            }
            looped = true;
            break;
        }
    }
    // A loop repeats labels until cut: it counts as a loop, not as a
    // long name.
    if looped {
        stats.pointer_loops += 1;
    } else if name.wire_len > 255 {
        stats.names_too_long += 1;
    }
    Ok((name.to_vec(), after.unwrap_or(pos)))
}

/// Sequential reader over the sections, with the record budget.
struct Parser<'a, 's> {
    msg: &'a [u8],
    pos: usize,
    budget: usize,
    stats: &'s mut DnsStats,
}

impl Parser<'_, '_> {
    /// Capacity for `count` entries of at least `min_len` bytes: never more
    /// than the budget or what the remaining bytes can hold.
    fn capacity(&self, count: u16, min_len: usize) -> usize {
        let left = self.msg.len().saturating_sub(self.pos) / min_len;
        usize::from(count).min(self.budget).min(left)
    }

    fn take_budget(&mut self) -> Result<(), Stop> {
        self.budget = self.budget.checked_sub(1).ok_or(Stop::Limit)?;
        Ok(())
    }

    fn questions(&mut self, count: u16, out: &mut Vec<Question>) -> Result<(), Stop> {
        out.reserve_exact(self.capacity(count, MIN_QUESTION_LEN));
        for _ in 0..count {
            self.take_budget()?;
            let (name, pos) = parse_name(self.msg, self.pos, self.stats)?;
            let rrtype = be16(self.msg, pos).ok_or(Stop::Truncated)?;
            let rrclass = be16(self.msg, pos + 2).ok_or(Stop::Truncated)?;
            self.pos = pos + 4;
            out.push(Question { name, rrtype, rrclass });
        }
        Ok(())
    }

    fn records(&mut self, count: u16, out: &mut Vec<Record>) -> Result<(), Stop> {
        out.reserve_exact(self.capacity(count, MIN_RECORD_LEN));
        for _ in 0..count {
            self.take_budget()?;
            let (name, pos) = parse_name(self.msg, self.pos, self.stats)?;
            let rrtype = be16(self.msg, pos).ok_or(Stop::Truncated)?;
            let rrclass = be16(self.msg, pos + 2).ok_or(Stop::Truncated)?;
            let ttl = be32(self.msg, pos + 4).ok_or(Stop::Truncated)?;
            let rdlen = usize::from(be16(self.msg, pos + 8).ok_or(Stop::Truncated)?);
            let rstart = pos + 10;
            let rdata = self.msg.get(rstart..rstart + rdlen).ok_or(Stop::Truncated)?;
            self.pos = rstart + rdlen;
            let rdata = self.rdata(rrtype, rstart, rdata);
            out.push(Record { name, rrtype, rrclass, ttl, rdata });
        }
        Ok(())
    }

    /// Decodes rdata at `rstart`. The record length already fixes where
    /// the next record starts, so a bad name here only degrades this
    /// record to `Other` (counted) instead of ending the message.
    fn rdata(&mut self, rrtype: u16, rstart: usize, raw: &[u8]) -> RData {
        if raw.is_empty() {
            return RData::None;
        }
        match rrtype {
            1 => raw.try_into().map_or_else(|_| RData::Other(raw.to_vec()), RData::A),
            28 => raw.try_into().map_or_else(|_| RData::Other(raw.to_vec()), RData::Aaaa),
            // CNAME, NS, PTR: a name; MX: a 16-bit preference, then a name.
            2 | 5 | 12 | 15 => {
                let at = if rrtype == 15 { rstart + 2 } else { rstart };
                match parse_name(self.msg, at, self.stats) {
                    // The name must lie within the rdata (Suricata parses
                    // it from the rdata slice).
                    Ok((name, end)) if end <= rstart + raw.len() => RData::Name(name),
                    _ => RData::Other(raw.to_vec()),
                }
            }
            16 => RData::Txt(self.txt(raw)),
            _ => RData::Other(raw.to_vec()),
        }
    }

    /// TXT character-strings. A string running past the rdata ends the
    /// list (Suricata keeps those before it).
    fn txt(&mut self, raw: &[u8]) -> Vec<Vec<u8>> {
        let mut strings = Vec::new();
        let mut rest = raw;
        while let Some((&len, tail)) = rest.split_first() {
            let Some(s) = tail.get(..usize::from(len)) else { break };
            if strings.len() == MAX_TXT_STRINGS {
                self.stats.txt_over_limit += 1;
                break;
            }
            strings.push(s.to_vec());
            rest = tail.get(usize::from(len)..).unwrap_or_default();
        }
        strings
    }
}

/// Parses one DNS message like [`super::parse_message`], adding to `stats`
/// (the integrator keeps one `DnsStats` for UDP and reads `DnsTcp::stats`
/// for TCP).
pub fn parse_message_with_stats(cfg: &DnsConfig, data: &[u8], stats: &mut DnsStats) -> Result<DnsMessage, DnsError> {
    parse(cfg, data, stats).map(|(m, _)| m)
}

/// The parse, with why it stopped early (if it did).
fn parse(cfg: &DnsConfig, data: &[u8], stats: &mut DnsStats) -> Result<(DnsMessage, Option<Stop>), DnsError> {
    if data.len() > MAX_MESSAGE_LEN {
        stats.oversized += 1;
        stats.malformed += 1;
        return Err(DnsError::TooLong);
    }
    let field = |i: usize| be16(data, 2 * i);
    let (Some(id), Some(flags), Some(qd), Some(an), Some(ns), Some(ar)) =
        (field(0), field(1), field(2), field(3), field(4), field(5))
    else {
        stats.malformed += 1;
        return Err(DnsError::TooShort);
    };
    let mut m = DnsMessage { id, flags, ..DnsMessage::default() };
    let mut p = Parser { msg: data, pos: HEADER_LEN, budget: cfg.max_records, stats };
    let stop = p
        .questions(qd, &mut m.questions)
        .and_then(|()| p.records(an, &mut m.answers))
        .and_then(|()| p.records(ns, &mut m.authorities))
        .and_then(|()| p.records(ar, &mut m.additionals))
        .err();
    // Bytes after the last section are ignored, as Suricata does.
    match stop {
        None => {}
        Some(Stop::Limit) => stats.records_over_limit += 1,
        Some(_) => stats.malformed += 1,
    }
    m.truncated_parse = stop.is_some();
    stats.messages += 1;
    Ok((m, stop))
}

/// For [`super::probe`]: whether a complete message parses without a
/// structural error (bad label type, pointer out of the message, label
/// run without end), including names inside rdata. Running out of data or
/// into the record limit is no structural error: Suricata then falls back
/// to the header checks.
pub(super) fn body_is_well_formed(msg: &[u8]) -> bool {
    let mut stats = DnsStats::default();
    match parse(&DnsConfig::default(), msg, &mut stats) {
        Ok((_, None | Some(Stop::Limit | Stop::Truncated))) => stats.bad_labels + stats.bad_pointers == 0,
        _ => false,
    }
}
