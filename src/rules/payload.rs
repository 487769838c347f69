//! Payload keywords: content (and its modifiers), pcre, byte_test,
//! byte_jump, byte_extract, isdataat -- their AST and value parsers
//! (`asn1`'s options are in [`super::asn1`]).

use super::asn1::Asn1;
use super::buffers::AppBuffer;

/// A number given literally or through a `byte_extract` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Num {
    Lit(i64),
    /// Index into the rule's byte_extract variables.
    Var(u8),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content {
    pub pattern: Vec<u8>,
    pub negated: bool,
    pub nocase: bool,
    pub offset: Option<Num>,
    pub depth: Option<Num>,
    pub distance: Option<Num>,
    pub within: Option<Num>,
    pub fast_pattern: bool,
    pub fast_pattern_only: bool,
    /// `fast_pattern:<offset>,<length>`: use only this slice in the prefilter.
    pub fast_pattern_chop: Option<(u16, u16)>,
    pub rawbytes: bool,
    pub startswith: bool,
    pub endswith: bool,
}

impl Content {
    /// Relative to the previous match (distance/within).
    pub fn is_relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Pcre {
    /// The regular expression between the delimiters.
    pub source: String,
    pub negated: bool,
    pub caseless: bool,
    pub dotall: bool,
    pub multiline: bool,
    pub extended: bool,
    pub anchored: bool,
    pub dollar_endonly: bool,
    pub ungreedy: bool,
    pub relative: bool,
    pub rawbytes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Big,
    Little,
    /// Endianness taken from the DCE/RPC header (needs the DCE parser).
    Dce,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumBase {
    Dec,
    Hex,
    Oct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOp {
    Lt,
    Gt,
    Eq,
    Le,
    Ge,
    And,
    Xor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteTest {
    pub nbytes: u8,
    /// The number of bytes comes from a byte_extract variable (read when
    /// the rule is evaluated; a value outside 1..=8, or 1..=20 with
    /// `string`, fails the test), as Suricata 7+ allows.
    pub nbytes_var: Option<u8>,
    pub op: ByteOp,
    pub negated: bool,
    pub value: Num,
    pub offset: Num,
    pub relative: bool,
    pub endian: Endian,
    pub string: Option<NumBase>,
    pub bitmask: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteJump {
    pub nbytes: u8,
    pub offset: Num,
    pub relative: bool,
    pub multiplier: u32,
    pub endian: Endian,
    pub string: Option<NumBase>,
    pub align: bool,
    pub from_beginning: bool,
    pub from_end: bool,
    pub post_offset: i32,
    pub bitmask: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteExtract {
    pub nbytes: u8,
    pub offset: i32,
    pub var: u8,
    pub relative: bool,
    pub multiplier: u32,
    pub endian: Endian,
    pub string: Option<NumBase>,
    pub align: u8,
    pub bitmask: Option<u64>,
}

/// `byte_math`'s operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathOp {
    Add,
    Sub,
    Mul,
    Div,
    Shl,
    Shr,
}

/// `byte_math:bytes N, offset O, oper OP, rvalue V, result NAME[, ...]`:
/// reads like byte_extract, applies the operator with `rvalue` (a number
/// or a variable) and stores the result in variable `var`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteMath {
    pub nbytes: u8,
    pub offset: i32,
    pub oper: MathOp,
    pub rvalue: Num,
    pub var: u8,
    pub relative: bool,
    pub endian: Endian,
    pub string: Option<NumBase>,
    pub bitmask: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsDataAt {
    pub negated: bool,
    pub offset: Num,
    pub relative: bool,
}

/// One payload keyword, in rule order within its buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Content(Content),
    Pcre(Pcre),
    ByteTest(ByteTest),
    ByteJump(ByteJump),
    ByteExtract(ByteExtract),
    ByteMath(ByteMath),
    IsDataAt(IsDataAt),
    Base64Decode(Box<Base64Decode>),
    /// Always in the packet payload's list, whatever buffer is current.
    Asn1(Asn1),
}

/// `base64_decode[:bytes N][, offset N][, relative]`: decodes the base64
/// text of the buffer from `offset` (counted from the end of the previous
/// match with `relative`, else from the buffer start), at most `bytes` of
/// it (0: to the end). It matches when something decoded and the keywords
/// that follow `base64_data` (`data`) match the decoded bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Base64Decode {
    pub bytes: u32,
    pub offset: u32,
    pub relative: bool,
    pub data: Vec<Item>,
}

pub fn parse_base64_decode(value: Option<&str>) -> Result<Base64Decode, String> {
    let mut d = Base64Decode::default();
    for opt in value.unwrap_or("").split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let (name, arg) = opt.split_once(char::is_whitespace).map_or((opt, ""), |(n, a)| (n, a.trim()));
        let number = |what: &str| -> Result<u32, String> {
            arg.parse::<u32>().map_err(|_| format!("base64_decode: invalid {what} \"{arg}\""))
        };
        match name {
            "bytes" => {
                d.bytes = number("bytes")?;
                if d.bytes == 0 {
                    return Err("base64_decode: bytes must be above 0".into());
                }
            }
            "offset" => {
                d.offset = number("offset")?;
                if d.offset > 65_535 {
                    return Err("base64_decode: offset must be at most 65535".into());
                }
            }
            "relative" if arg.is_empty() => d.relative = true,
            other => return Err(format!("base64_decode: unknown option \"{other}\"")),
        }
    }
    Ok(d)
}

/// Splits `[!]"text"` into the negation and the text between the quotes.
fn negated_quoted<'v>(value: &'v str, keyword: &str) -> Result<(bool, &'v str), String> {
    let v = value.trim();
    let (negated, v) = match v.strip_prefix('!') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, v),
    };
    let inner = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .ok_or_else(|| format!("{keyword} must be a quoted string, got {v}"))?;
    Ok((negated, inner))
}

/// Decodes a quoted content string: `"abc|0d 0a|def"` with `\"`, `\;`,
/// `\:`, `\\` and `\|` escapes.
pub fn parse_content_string(value: &str) -> Result<(bool, Vec<u8>), String> {
    let (negated, inner) = negated_quoted(value, "content")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut hex = false;
    let mut nibble: Option<u8> = None;
    let mut chars = inner.bytes();
    while let Some(b) = chars.next() {
        if hex {
            match b {
                b'|' => {
                    if nibble.is_some() {
                        return Err("odd number of hex digits in |..|".into());
                    }
                    hex = false;
                }
                b' ' | b'\t' => {
                    if nibble.is_some() {
                        return Err("space inside a hex byte".into());
                    }
                }
                _ => {
                    let d = (b as char).to_digit(16).ok_or_else(|| format!("invalid hex digit '{}'", b as char))? as u8;
                    match nibble.take() {
                        Some(hi) => out.push(hi << 4 | d),
                        None => nibble = Some(d),
                    }
                }
            }
            continue;
        }
        match b {
            b'|' => hex = true,
            b'\\' => match chars.next() {
                Some(e @ (b'"' | b';' | b':' | b'\\' | b'|')) => out.push(e),
                Some(e) => return Err(format!("invalid escape \\{}", e as char)),
                None => return Err("trailing backslash".into()),
            },
            b'"' => return Err("unescaped quote inside content".into()),
            _ => out.push(b),
        }
    }
    if hex {
        return Err("unterminated |..| hex block".into());
    }
    if out.is_empty() {
        return Err("empty content".into());
    }
    Ok((negated, out))
}

/// Parses `pcre:"/re/flags"`; returns the pcre and, for HTTP modifier
/// flags, the buffer it moves to.
pub fn parse_pcre(value: &str) -> Result<(Pcre, Option<AppBuffer>), String> {
    // Suricata also takes an unquoted expression: `pcre:/x/U;`.
    let (negated, inner) = match value.trim() {
        v if v.trim_start_matches('!').trim_start().starts_with('/') => {
            let rest = v.strip_prefix('!');
            (rest.is_some(), rest.unwrap_or(v).trim_start())
        }
        _ => negated_quoted(value, "pcre")?,
    };
    let body = inner.strip_prefix('/').ok_or("pcre must start with /")?;
    let end = body.rfind('/').ok_or("pcre has no closing /")?;
    let (source, flags) = (&body[..end], &body[end + 1..]);
    let mut p = Pcre { source: source.to_string(), negated, ..Pcre::default() };
    let mut buffer = None;
    for f in flags.chars() {
        let b = match f {
            'i' => {
                p.caseless = true;
                None
            }
            's' => {
                p.dotall = true;
                None
            }
            'm' => {
                p.multiline = true;
                None
            }
            'x' => {
                p.extended = true;
                None
            }
            'A' => {
                p.anchored = true;
                None
            }
            'E' => {
                p.dollar_endonly = true;
                None
            }
            'G' => {
                p.ungreedy = true;
                None
            }
            'R' => {
                p.relative = true;
                None
            }
            'B' => {
                p.rawbytes = true;
                None
            }
            'O' => None,
            'U' => Some(AppBuffer::HttpUri),
            'I' => Some(AppBuffer::HttpUriRaw),
            'P' => Some(AppBuffer::HttpRequestBody),
            'Q' => Some(AppBuffer::FileData),
            'H' => Some(AppBuffer::HttpHeader),
            'D' => Some(AppBuffer::HttpHeaderRaw),
            'M' => Some(AppBuffer::HttpMethod),
            'C' => Some(AppBuffer::HttpCookie),
            'S' => Some(AppBuffer::HttpStatCode),
            'Y' => Some(AppBuffer::HttpStatMsg),
            'V' => Some(AppBuffer::HttpUserAgent),
            'W' => Some(AppBuffer::HttpHost),
            'Z' => Some(AppBuffer::HttpHostRaw),
            c => return Err(format!("unknown pcre modifier '{c}'")),
        };
        if let Some(b) = b {
            if buffer.is_some_and(|old| old != b) {
                return Err("pcre has modifiers for two different buffers".into());
            }
            buffer = Some(b);
        }
    }
    Ok((p, buffer))
}

/// Resolves a number or a byte_extract variable name.
pub fn parse_num(s: &str, vars: &[String]) -> Result<Num, String> {
    let s = s.trim();
    if let Ok(v) = s.parse::<i64>() {
        return Ok(Num::Lit(v));
    }
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if let Ok(v) = i64::from_str_radix(h, 16) {
            return Ok(Num::Lit(v));
        }
    }
    match vars.iter().position(|v| v == s) {
        Some(i) => Ok(Num::Var(i as u8)),
        None if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !s.is_empty() => {
            Err(format!("unknown byte_extract variable \"{s}\""))
        }
        None => Err(format!("invalid number \"{s}\"")),
    }
}

fn parse_u64(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let r = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16)
    } else if s.len() > 1 && s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()) {
        u64::from_str_radix(&s[1..], 8)
    } else {
        s.parse()
    };
    r.map_err(|_| format!("invalid number \"{s}\""))
}

fn parse_i32(s: &str) -> Result<i32, String> {
    s.trim().parse().map_err(|_| format!("invalid number \"{}\"", s.trim()))
}

/// Options shared by the byte_* keywords.
struct ByteOpts {
    relative: bool,
    endian: Endian,
    string: Option<NumBase>,
    bitmask: Option<u64>,
    multiplier: u32,
    align: Option<u8>,
    from_beginning: bool,
    from_end: bool,
    post_offset: i32,
}

fn parse_byte_opts(args: &[&str], keyword: &str) -> Result<ByteOpts, String> {
    let mut o = ByteOpts {
        relative: false,
        endian: Endian::Big,
        string: None,
        bitmask: None,
        multiplier: 1,
        align: None,
        from_beginning: false,
        from_end: false,
        post_offset: 0,
    };
    let mut endian_set = false;
    for a in args {
        let a = a.trim();
        let (word, arg) = match a.split_once(char::is_whitespace) {
            Some((w, rest)) => (w, Some(rest.trim())),
            None => (a, None),
        };
        match word {
            "relative" => o.relative = true,
            "big" | "little" | "dce" => {
                if endian_set {
                    return Err(format!("{keyword}: endianness given twice"));
                }
                endian_set = true;
                o.endian = match word {
                    "big" => Endian::Big,
                    "little" => Endian::Little,
                    _ => Endian::Dce,
                };
            }
            "string" => o.string = Some(o.string.unwrap_or(NumBase::Dec)),
            "dec" | "hex" | "oct" => {
                o.string = Some(match word {
                    "dec" => NumBase::Dec,
                    "hex" => NumBase::Hex,
                    _ => NumBase::Oct,
                })
            }
            "bitmask" => o.bitmask = Some(parse_u64(need_arg(arg, keyword, word)?)?),
            "multiplier" => {
                let m = parse_u64(need_arg(arg, keyword, word)?)?;
                o.multiplier = u32::try_from(m).ok().filter(|&m| m > 0).ok_or("multiplier out of range")?;
            }
            "align" => {
                o.align = Some(match arg {
                    None => 4,
                    Some(n) => match parse_u64(n)? {
                        2 => 2,
                        4 => 4,
                        _ => return Err(format!("{keyword}: align must be 2 or 4")),
                    },
                })
            }
            "from_beginning" => o.from_beginning = true,
            "from_end" => o.from_end = true,
            "post_offset" => o.post_offset = parse_i32(need_arg(arg, keyword, word)?)?,
            _ => return Err(format!("{keyword}: unknown option \"{a}\"")),
        }
    }
    Ok(o)
}

fn need_arg<'a>(arg: Option<&'a str>, keyword: &str, word: &str) -> Result<&'a str, String> {
    arg.ok_or_else(|| format!("{keyword}: \"{word}\" needs a value"))
}

/// Number of bytes to read; with `string`, 0 means "the rest of the buffer"
/// (ET uses `byte_test:0,=,0,0,string,dec` on `http.content_len`).
fn check_nbytes(n: &str, string: bool, keyword: &str) -> Result<u8, String> {
    let n: u8 = n.trim().parse().map_err(|_| format!("{keyword}: invalid number of bytes \"{}\"", n.trim()))?;
    let max = if string { 20 } else { 8 };
    if (n == 0 && !string) || n > max {
        return Err(format!("{keyword}: number of bytes must be 1..={max}, got {n}"));
    }
    Ok(n)
}

pub fn parse_byte_test(value: &str, vars: &[String]) -> Result<ByteTest, String> {
    let args: Vec<&str> = value.split(',').collect();
    if args.len() < 4 {
        return Err("byte_test needs <bytes>,<operator>,<value>,<offset>".into());
    }
    let o = parse_byte_opts(&args[4..], "byte_test")?;
    let (nbytes, nbytes_var) = match parse_num(args[0], vars) {
        Ok(Num::Var(i)) => (0, Some(i)),
        _ => (check_nbytes(args[0], o.string.is_some(), "byte_test")?, None),
    };
    let op_str = args[1].trim();
    let (negated, op_str) = match op_str.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, op_str),
    };
    let op = match op_str {
        "<" => ByteOp::Lt,
        ">" => ByteOp::Gt,
        "=" => ByteOp::Eq,
        // "!" alone is the historical spelling of "!=".
        "" if negated => ByteOp::Eq,
        "<=" => ByteOp::Le,
        ">=" => ByteOp::Ge,
        "&" => ByteOp::And,
        "^" => ByteOp::Xor,
        other => return Err(format!("byte_test: unknown operator \"{other}\"")),
    };
    if o.align.is_some() || o.from_beginning || o.from_end || o.post_offset != 0 || o.multiplier != 1 {
        return Err("byte_test: option only valid for byte_jump/byte_extract".into());
    }
    Ok(ByteTest {
        nbytes,
        nbytes_var,
        op,
        negated,
        value: parse_test_value(args[2], vars)?,
        offset: parse_num(args[3], vars)?,
        relative: o.relative,
        endian: o.endian,
        string: o.string,
        bitmask: o.bitmask,
    })
}

/// byte_test's value, compared as an unsigned 64-bit number: a literal
/// above i64::MAX (up to 2^64-1, decimal or hex) keeps its bits in the
/// i64.
fn parse_test_value(s: &str, vars: &[String]) -> Result<Num, String> {
    parse_num(s, vars).or_else(|e| parse_u64(s).map(|v| Num::Lit(v as i64)).map_err(|_| e))
}

pub fn parse_byte_jump(value: &str, vars: &[String]) -> Result<ByteJump, String> {
    let args: Vec<&str> = value.split(',').collect();
    if args.len() < 2 {
        return Err("byte_jump needs <bytes>,<offset>".into());
    }
    let o = parse_byte_opts(&args[2..], "byte_jump")?;
    // Suricata reads nothing for 0 bytes and jumps by 0: its documented
    // `byte_jump:0,0, from_end, post_offset -8` lands 8 bytes before the end.
    let nbytes = match args[0].trim() {
        "0" if o.string.is_none() => 0,
        n => check_nbytes(n, o.string.is_some(), "byte_jump")?,
    };
    if o.from_beginning && o.from_end {
        return Err("byte_jump: from_beginning and from_end exclude each other".into());
    }
    Ok(ByteJump {
        nbytes,
        offset: parse_num(args[1], vars)?,
        relative: o.relative,
        multiplier: o.multiplier,
        endian: o.endian,
        string: o.string,
        align: o.align.is_some(),
        from_beginning: o.from_beginning,
        from_end: o.from_end,
        post_offset: o.post_offset,
        bitmask: o.bitmask,
    })
}

/// Parses byte_extract; the new variable's name is returned for the caller
/// to register.
pub fn parse_byte_extract(value: &str, var_index: u8) -> Result<(ByteExtract, String), String> {
    let args: Vec<&str> = value.split(',').collect();
    if args.len() < 3 {
        return Err("byte_extract needs <bytes>,<offset>,<name>".into());
    }
    let o = parse_byte_opts(&args[3..], "byte_extract")?;
    let nbytes = check_nbytes(args[0], o.string.is_some(), "byte_extract")?;
    let name = args[2].trim();
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || name.as_bytes()[0].is_ascii_digit()
    {
        return Err(format!("byte_extract: invalid variable name \"{name}\""));
    }
    if o.from_beginning || o.from_end || o.post_offset != 0 {
        return Err("byte_extract: option only valid for byte_jump".into());
    }
    Ok((
        ByteExtract {
            nbytes,
            offset: parse_i32(args[1])?,
            var: var_index,
            relative: o.relative,
            multiplier: o.multiplier,
            endian: o.endian,
            string: o.string,
            align: o.align.unwrap_or(0),
            bitmask: o.bitmask,
        },
        name.to_string(),
    ))
}

/// Parses byte_math (Suricata 8's key-value form); the result variable's
/// name is returned for the caller to register.
pub fn parse_byte_math(value: &str, vars: &[String], var_index: u8) -> Result<(ByteMath, String), String> {
    let (mut nbytes, mut offset, mut oper, mut rvalue, mut result) = (None, None, None, None, None);
    let mut opts = Vec::new();
    for part in value.split(',').map(str::trim) {
        let (k, v) = match part.split_once(char::is_whitespace) {
            Some((k, v)) => (k, Some(v.trim())),
            None => (part, None),
        };
        let need = || v.ok_or_else(|| format!("byte_math: \"{k}\" needs a value"));
        match k {
            "bytes" => nbytes = Some(need()?.to_string()),
            "offset" => offset = Some(parse_i32(need()?)?),
            "oper" => {
                oper = Some(match need()? {
                    "+" => MathOp::Add,
                    "-" => MathOp::Sub,
                    "*" => MathOp::Mul,
                    "/" => MathOp::Div,
                    "<<" => MathOp::Shl,
                    ">>" => MathOp::Shr,
                    o => return Err(format!("byte_math: unknown oper \"{o}\"")),
                })
            }
            // A decimal number or a variable: Suricata reads 0x... as a name.
            "rvalue" => {
                let v = need()?;
                rvalue = Some(match v.parse::<u32>() {
                    Ok(n) => Num::Lit(i64::from(n)),
                    Err(_) => match vars.iter().position(|n| n == v) {
                        Some(i) => Num::Var(i as u8),
                        None => return Err(format!("byte_math: unknown variable \"{v}\" in rvalue")),
                    },
                })
            }
            "result" => result = Some(need()?.to_string()),
            "endian" => opts.push(need()?),
            "string" | "bitmask" => opts.push(part),
            "relative" | "dce" => opts.push(part),
            _ => return Err(format!("byte_math: unknown option \"{part}\"")),
        }
    }
    let o = parse_byte_opts(&opts, "byte_math")?;
    let nbytes = nbytes.ok_or("byte_math: missing bytes")?;
    let nbytes = check_nbytes(&nbytes, o.string.is_some(), "byte_math")?;
    let name = result.ok_or("byte_math: missing result")?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("byte_math: invalid result name \"{name}\""));
    }
    Ok((
        ByteMath {
            nbytes,
            offset: offset.ok_or("byte_math: missing offset")?,
            oper: oper.ok_or("byte_math: missing oper")?,
            rvalue: rvalue.ok_or("byte_math: missing rvalue")?,
            var: var_index,
            relative: o.relative,
            endian: o.endian,
            string: o.string,
            bitmask: o.bitmask,
        },
        name,
    ))
}

pub fn parse_isdataat(value: &str, vars: &[String]) -> Result<(IsDataAt, bool), String> {
    let mut args = value.split(',');
    let first = args.next().unwrap_or("").trim();
    let (negated, n) = match first.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, first),
    };
    let offset = parse_num(n, vars)?;
    let mut relative = false;
    let mut rawbytes = false;
    for a in args {
        match a.trim() {
            "relative" => relative = true,
            "rawbytes" => rawbytes = true,
            other => return Err(format!("isdataat: unknown option \"{other}\"")),
        }
    }
    Ok((IsDataAt { negated, offset, relative }, rawbytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_strings() {
        assert_eq!(parse_content_string("\"abc\"").unwrap(), (false, b"abc".to_vec()));
        assert_eq!(parse_content_string("!\"uid=0|28|root|29|\"").unwrap(), (true, b"uid=0(root)".to_vec()));
        assert_eq!(parse_content_string("\"|0d 0A|x\\;\\\"\"").unwrap().1, b"\r\nx;\"".to_vec());
        assert_eq!(parse_content_string("\"|41 42|\"").unwrap().1, b"AB".to_vec());
        for bad in ["abc", "\"\"", "\"|4|\"", "\"|zz|\"", "\"|41\"", "\"a\\qb\"", "\"a\"b\""] {
            assert!(parse_content_string(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pcre_forms() {
        let (p, b) = parse_pcre("\"/^\\d+[^\\r\\n]+/R\"").unwrap();
        assert!(p.relative && b.is_none());
        let (p, b) = parse_pcre("!\"/evil/Ui\"").unwrap();
        assert!(p.negated && p.caseless);
        assert_eq!(b, Some(AppBuffer::HttpUri));
        assert!(parse_pcre("\"/a/Z1\"").is_err());
        assert!(parse_pcre("\"abc\"").is_err());
        assert!(parse_pcre("\"/a/UH\"").is_err());
    }

    #[test]
    fn byte_keywords() {
        let t = parse_byte_test("1,!&,128,0", &[]).unwrap();
        assert!(t.negated && t.op == ByteOp::And);
        let t = parse_byte_test("2, =, 0x90a, 0, bitmask 0xf8f8", &[]).unwrap();
        assert_eq!(t.bitmask, Some(0xf8f8));
        assert_eq!(t.value, Num::Lit(0x90a));
        let t = parse_byte_test("4,>,36,0,relative,little", &[]).unwrap();
        assert!(t.relative && t.endian == Endian::Little);
        assert!(parse_byte_test("9,=,1,0", &[]).is_err());
        assert!(parse_byte_test("0,=,0,0,string,dec", &[]).is_ok());
        assert!(parse_byte_test("0,=,0,0", &[]).is_err());
        assert!(parse_byte_test("1,=,1", &[]).is_err());
        assert!(parse_byte_test("1,~,1,0", &[]).is_err());
        let j = parse_byte_jump("2,0,relative,string,from_end,post_offset -26, bitmask 0xfe", &[]).unwrap();
        assert!(j.from_end && j.relative && j.post_offset == -26 && j.string == Some(NumBase::Dec));
        assert!(parse_byte_jump("0,0,relative", &[]).is_ok(), "Suricata jumps by 0");
        let (e, name) = parse_byte_extract("2,0,len,relative,little", 0).unwrap();
        assert_eq!((e.nbytes, name.as_str()), (2, "len"));
        let vars = vec!["len".to_string()];
        assert_eq!(parse_byte_test("1,>,len,0", &vars).unwrap().value, Num::Var(0));
        assert!(parse_byte_test("1,>,nope,0", &vars).unwrap_err().contains("unknown byte_extract"));
        let (i, raw) = parse_isdataat("!2,relative", &[]).unwrap();
        assert!(i.negated && i.relative && !raw);
    }
}
