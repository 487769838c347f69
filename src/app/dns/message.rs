//! Wire-format parsing of one DNS message (RFC 1035 section 4), with the
//! outcome Suricata's parser gives (rust/src/dns/parser.rs): a question or
//! answer section that does not parse rejects the message (no transaction),
//! an authority or additional section that does not parse is dropped (and
//! so is what follows it), the message is kept.
//!
//! Positions are offsets into the whole message, because compression
//! pointers are offsets from its start. Every read goes through `get`, so
//! hostile input ends a parse instead of panicking.

use super::{DnsConfig, DnsError, DnsMessage, DnsStats, Name, OptEntry, Question, RData, Record, Soa, HEADER_LEN};

/// Longest message: the TCP length prefix is 16 bits, and UDP payloads are
/// smaller still.
pub const MAX_MESSAGE_LEN: usize = 65535;
/// Bytes kept of a rendered name: Suricata's limit. Longer names are cut
/// here and flagged [`Name::truncated`] (EVE `rrname_truncated`); names
/// over RFC 1035's 255 octets in wire form are also counted in
/// `DnsStats::names_too_long`.
pub const MAX_NAME_LEN: usize = 1025;
/// Labels plus pointers walked for one name: Suricata's limit. The name
/// ends there, flagged truncated (a pointer loop ends this way); without
/// pointers this is counted as a loop all the same.
pub const MAX_NAME_STEPS: usize = 255;
/// TXT strings kept per record: without it a 64 KiB record of 1-byte
/// strings would cost one allocation per two input bytes. The rest is
/// dropped and counted (Suricata has no such bound).
pub const MAX_TXT_STRINGS: usize = 256;
/// EDNS options kept per OPT record, for the same reason.
pub const MAX_OPT_OPTIONS: usize = 64;

/// Smallest encodings, to size vectors from the bytes left rather than
/// from attacker-chosen header counts.
const MIN_QUESTION_LEN: usize = 5;
const MIN_RECORD_LEN: usize = 11;

/// Why parsing a section stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// `max_records` reached.
    Limit,
    /// The message (or a record's data) ends inside a field.
    Truncated,
    /// Label length byte with top bits 01 or 10.
    BadLabel,
    /// Compression pointer past the end of the message, or to itself.
    BadPointer,
}

pub(super) fn be16(msg: &[u8], pos: usize) -> Option<u16> {
    msg.get(pos..pos.checked_add(2)?)?.try_into().ok().map(u16::from_be_bytes)
}

fn be32(msg: &[u8], pos: usize) -> Option<u32> {
    msg.get(pos..pos.checked_add(4)?)?.try_into().ok().map(u32::from_be_bytes)
}

/// A name being rendered straight into the vector the [`Name`] keeps: one
/// allocation per name, no copy. (A 1 KiB buffer on the stack cost a
/// memset and a 1 KiB move per name, more than the name's parsing.)
struct NameBuf {
    bytes: Vec<u8>,
    /// More than `MAX_NAME_LEN` bytes were rendered (or too many steps).
    truncated: bool,
    /// Wire-form length so far (length bytes + labels + the root byte).
    wire_len: usize,
}

/// Room reserved for a name before its first label: most names are
/// shorter; longer ones grow the vector.
const NAME_CAPACITY: usize = 64;

impl NameBuf {
    fn new() -> Self {
        NameBuf { bytes: Vec::with_capacity(NAME_CAPACITY), truncated: false, wire_len: 1 }
    }

    /// Appends `.label` (no dot before the first label); once past
    /// `MAX_NAME_LEN` the name is cut there and nothing more is added, as
    /// Suricata does.
    fn push_label(&mut self, label: &[u8]) {
        let first = self.wire_len == 1;
        self.wire_len += 1 + label.len();
        if self.truncated {
            return;
        }
        let dot: &[u8] = if first { b"" } else { b"." };
        let total = self.bytes.len() + dot.len() + label.len();
        for part in [dot, label] {
            let room = MAX_NAME_LEN - self.bytes.len();
            self.bytes.extend_from_slice(part.get(..part.len().min(room)).unwrap_or_default());
        }
        self.truncated = total > MAX_NAME_LEN;
    }

    fn into_name(self) -> Name {
        Name { bytes: self.bytes, truncated: self.truncated }
    }
}

/// Parses the name at `start`, whose own bytes must lie before `end` (the
/// end of the message, or of the record data holding it); pointers may
/// lead anywhere in the message. Returns it and the position after it in
/// the original byte sequence (after the first pointer, if any).
///
/// As Suricata: running out of bytes ends the name (an empty slice is the
/// root name), forward pointers are followed, a pointer to itself is an
/// error; termination comes from `MAX_NAME_STEPS`, whatever the pointers
/// do. Once a pointer was followed the name's extent in the message is
/// known, so a name cut at `MAX_NAME_LEN` stops there; without one the
/// labels are walked to their end to find the next field.
fn parse_name(msg: &[u8], start: usize, end: usize, stats: &mut DnsStats) -> Result<(Name, usize), Stop> {
    let mut name = NameBuf::new();
    let mut pos = start;
    // Bytes are read up to `limit`: the record's end until a pointer is
    // followed, the message's end after.
    let mut limit = end.min(msg.len());
    // Position after the first pointer: where the next field starts.
    let mut after: Option<usize> = None;
    let mut steps = 0;
    loop {
        if pos >= limit {
            break;
        }
        let len = msg.get(pos).copied().ok_or(Stop::Truncated)?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                pos += 1;
                break;
            }
            0x00 => {
                let label =
                    msg.get(pos + 1..pos + 1 + usize::from(len)).filter(|_| pos + 1 + usize::from(len) <= limit);
                name.push_label(label.ok_or(Stop::Truncated)?);
                pos += 1 + usize::from(len);
            }
            0xc0 => {
                if pos + 2 > limit {
                    return Err(Stop::Truncated);
                }
                let target = usize::from(be16(msg, pos).ok_or(Stop::Truncated)? & 0x3fff);
                // Suricata compares the rest of the message at the target
                // with the bytes being read: a pointer to itself, where
                // those bytes run to the end of the message.
                if target > msg.len() || (target == pos && limit == msg.len()) {
                    stats.bad_pointers += 1;
                    return Err(Stop::BadPointer);
                }
                after.get_or_insert(pos + 2);
                limit = msg.len();
                pos = target;
            }
            _ => {
                stats.bad_labels += 1;
                return Err(Stop::BadLabel);
            }
        }
        steps += 1;
        if steps > MAX_NAME_STEPS {
            stats.pointer_loops += 1;
            name.truncated = true;
            break;
        }
        if name.truncated && after.is_some() {
            break;
        }
    }
    if name.wire_len > 255 {
        stats.names_too_long += 1;
    }
    Ok((name.into_name(), after.unwrap_or(pos)))
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
            let (name, pos) = parse_name(self.msg, self.pos, self.msg.len(), self.stats)?;
            let rrtype = be16(self.msg, pos).ok_or(Stop::Truncated)?;
            let rrclass = be16(self.msg, pos + 2).ok_or(Stop::Truncated)?;
            self.pos = pos + 4;
            out.push(Question { name: name.bytes, name_truncated: name.truncated, rrtype, rrclass });
        }
        Ok(())
    }

    /// A section of resource records. On error the records parsed so far
    /// stay in `out`; the caller decides what the section's failure means.
    fn records(&mut self, count: u16, out: &mut Vec<Record>) -> Result<(), Stop> {
        out.reserve_exact(self.capacity(count, MIN_RECORD_LEN));
        for _ in 0..count {
            self.take_budget()?;
            let (name, pos) = parse_name(self.msg, self.pos, self.msg.len(), self.stats)?;
            let rrtype = be16(self.msg, pos).ok_or(Stop::Truncated)?;
            let rrclass = be16(self.msg, pos + 2).ok_or(Stop::Truncated)?;
            let ttl = be32(self.msg, pos + 4).ok_or(Stop::Truncated)?;
            let rdlen = usize::from(be16(self.msg, pos + 8).ok_or(Stop::Truncated)?);
            let rstart = pos + 10;
            let rend = rstart + rdlen;
            let raw = self.msg.get(rstart..rend).ok_or(Stop::Truncated)?;
            let rdata = self.rdata(rrtype, rstart, raw)?;
            self.pos = rend;
            out.push(Record { name: name.bytes, name_truncated: name.truncated, rrtype, rrclass, ttl, rdata });
        }
        Ok(())
    }

    /// Decodes the data of a record at `rstart`, as Suricata's
    /// `dns_parse_rdata`: a record whose data does not parse fails its
    /// section. Names must start within the data (an empty rest is the
    /// root name); bytes after the decoded fields are ignored.
    fn rdata(&mut self, rrtype: u16, rstart: usize, raw: &[u8]) -> Result<RData, Stop> {
        let rend = rstart + raw.len();
        let name_at = |p: &mut Self, at: usize| parse_name(p.msg, at, rend, p.stats);
        Ok(match rrtype {
            1 | 28 => match raw.len() {
                4 => raw.try_into().map_or(RData::BadAddr, RData::A),
                16 => raw.try_into().map_or(RData::BadAddr, RData::Aaaa),
                _ => RData::BadAddr,
            },
            // NS, CNAME, PTR: a name.
            2 | 5 | 12 => RData::Name(name_at(self, rstart)?.0),
            // MX: a 16-bit preference (not kept, as Suricata), then a name.
            15 => {
                be16(raw, 0).ok_or(Stop::Truncated)?;
                RData::Name(name_at(self, rstart + 2)?.0)
            }
            6 => {
                let (mname, p) = name_at(self, rstart)?;
                let (rname, p) = name_at(self, p)?;
                let field = |i: usize| be32(raw, p - rstart + 4 * i).ok_or(Stop::Truncated);
                let [serial, refresh, retry, expire, minimum] = [field(0)?, field(1)?, field(2)?, field(3)?, field(4)?];
                RData::Soa(Box::new(Soa { mname, rname, serial, refresh, retry, expire, minimum }))
            }
            10 => RData::Null(raw.to_vec()),
            16 => RData::Txt(self.txt(raw)?),
            33 => {
                let field = |i: usize| be16(raw, 2 * i).ok_or(Stop::Truncated);
                let (priority, weight, port) = (field(0)?, field(1)?, field(2)?);
                let target = name_at(self, rstart + 6)?.0;
                RData::Srv { priority, weight, port, target }
            }
            41 => RData::Opt(self.opt(raw)?),
            44 => match raw {
                [algo, fp_type, fingerprint @ ..] => {
                    RData::Sshfp { algo: *algo, fp_type: *fp_type, fingerprint: fingerprint.to_vec() }
                }
                _ => return Err(Stop::Truncated),
            },
            _ => RData::Other(raw.to_vec()),
        })
    }

    /// TXT character-strings; one running past the data fails the record.
    fn txt(&mut self, raw: &[u8]) -> Result<Vec<Vec<u8>>, Stop> {
        let mut strings = Vec::new();
        let mut counted = false;
        let mut rest = raw;
        while let Some((&len, tail)) = rest.split_first() {
            let s = tail.get(..usize::from(len)).ok_or(Stop::Truncated)?;
            if strings.len() < MAX_TXT_STRINGS {
                strings.push(s.to_vec());
            } else if !counted {
                // Counted once; the rest is still checked for structure.
                self.stats.txt_over_limit += 1;
                counted = true;
            }
            rest = tail.get(usize::from(len)..).unwrap_or_default();
        }
        Ok(strings)
    }

    /// EDNS options (code, length, data); a cut one fails the record.
    fn opt(&mut self, raw: &[u8]) -> Result<Vec<OptEntry>, Stop> {
        let mut opts = Vec::new();
        let mut at = 0;
        let mut counted = false;
        while at < raw.len() {
            let code = be16(raw, at).ok_or(Stop::Truncated)?;
            let len = usize::from(be16(raw, at + 2).ok_or(Stop::Truncated)?);
            let data = raw.get(at + 4..at + 4 + len).ok_or(Stop::Truncated)?;
            if opts.len() < MAX_OPT_OPTIONS {
                opts.push(OptEntry { code, data: data.to_vec() });
            } else if !counted {
                self.stats.opt_over_limit += 1;
                counted = true;
            }
            at += 4 + len;
        }
        Ok(opts)
    }
}

/// Parses one DNS message like [`super::parse_message`], adding to `stats`
/// (the integrator keeps one `DnsStats` for UDP and reads `DnsTcp::stats`
/// for TCP).
pub fn parse_message_with_stats(cfg: &DnsConfig, data: &[u8], stats: &mut DnsStats) -> Result<DnsMessage, DnsError> {
    let (m, stop) = parse(cfg, data, stats)?;
    match stop {
        Some((_, Stop::Limit)) | None => {
            stats.messages += 1;
            Ok(m)
        }
        Some(_) => Err(DnsError::Malformed),
    }
}

/// Where a parse stopped: 0 questions, 1 answers (these reject the
/// message), 2 authorities, 3 additionals (these are dropped).
type Stopped = Option<(u8, Stop)>;

/// The parse, with why and where the question or answer section stopped
/// (the message is then still returned, for [`body_is_well_formed`]).
fn parse(cfg: &DnsConfig, data: &[u8], stats: &mut DnsStats) -> Result<(DnsMessage, Stopped), DnsError> {
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
    let mut stop = p.questions(qd, &mut m.questions).err().map(|s| (0, s));
    if stop.is_none() {
        stop = p.records(an, &mut m.answers).err().map(|s| (1, s));
    }
    if stop.is_none() {
        match p.records(ns, &mut m.authorities) {
            Err(Stop::Limit) => stop = Some((2, Stop::Limit)),
            Err(_) => {
                // As Suricata: the section and everything after it dropped.
                m.authorities = Vec::new();
                m.invalid_authorities = true;
            }
            Ok(()) => match p.records(ar, &mut m.additionals) {
                Err(Stop::Limit) => stop = Some((3, Stop::Limit)),
                Err(_) => {
                    m.additionals = Vec::new();
                    m.invalid_additionals = true;
                }
                Ok(()) => {}
            },
        }
    }
    // Bytes after the last section are ignored, as Suricata does.
    match stop {
        Some((_, Stop::Limit)) => stats.records_over_limit += 1,
        Some(_) => stats.malformed += 1,
        None if m.invalid_authorities || m.invalid_additionals => stats.malformed += 1,
        None => {}
    }
    m.truncated_parse = stop.is_some();
    Ok((m, stop))
}

/// For [`super::probe`]: whether a complete message parses without a
/// structural error (bad label type, pointer out of the message), names
/// inside record data included. Running out of data or into the record
/// limit is no structural error: Suricata then falls back to the header
/// checks.
pub(super) fn body_is_well_formed(msg: &[u8]) -> bool {
    let mut stats = DnsStats::default();
    match parse(&DnsConfig::default(), msg, &mut stats) {
        Ok((_, None | Some((_, Stop::Limit | Stop::Truncated)))) => stats.bad_labels + stats.bad_pointers == 0,
        _ => false,
    }
}
