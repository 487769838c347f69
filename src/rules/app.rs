//! Application-layer keywords that are not buffers (`urilen`,
//! `dns.opcode`, `ssl_version`, `app-layer-protocol`...) and the transforms
//! applied to a sticky buffer before matching (`dotprefix`...).

use std::sync::Arc;

use super::numeric::NumCmp;

/// A test of a parsed application-layer field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppCheck {
    /// `urilen`: length of the normalised (or `raw`) URI.
    UriLen { cmp: NumCmp, raw: bool },
    /// `dns.opcode`.
    DnsOpcode { value: u8, negated: bool },
    /// `dns.rrtype`: the record type of a question (requests) or an
    /// answer (responses), optionally of one of them by index.
    DnsRrtype { value: u16, negated: bool, index: RrIndex },
    /// `tls.version`: the negotiated (or client) version.
    TlsVersion(u16),
    /// `ssl_version`: record versions seen (bit set as in the TLS parser);
    /// `any` = at least one of `mask`, `negated` bits must not be seen.
    SslVersion { mask: u32, negated: u32 },
    /// `ssl_state`: handshake states seen (`|` = any of `any`, `!` bits
    /// must not be seen).
    SslState { any: u32, negated: u32 },
    /// `app-layer-protocol`: the flow's detected protocol.
    AppProto { proto: String, negated: bool },
    /// `tls.subject`, `tls.issuerdn`, `tls.fingerprint` (legacy forms
    /// taking a value): the field contains the string.
    TlsField { field: TlsField, value: Vec<u8>, negated: bool },
    /// `tls_cert_notbefore` / `tls_cert_notafter`: a date comparison.
    TlsCertDate { after: bool, cmp: NumCmp },
    /// `tls_cert_expired` / `tls_cert_valid`.
    TlsCertExpired(bool),
    /// `ssh.protoversion`: the side's protocol version is `value`, or with
    /// `compat2` is 2 or 1.99 (`2_compat`). Suricata 8 refuses this keyword
    /// as obsolete (use `ssh.proto`); we keep Suricata 7's meaning so older
    /// rules still load.
    SshProtoVersion { compat2: bool, value: Vec<u8> },
    /// `ssh.softwareversion`: the side's software version is exactly this
    /// (Suricata 7's meaning; obsolete in Suricata 8, like the above).
    SshSoftwareVersion(Vec<u8>),
    /// `filesize`: a file of the transaction's side has this size (once
    /// closed; a truncated file only for `>`/`>=`, as in Suricata).
    FileSize(NumCmp),
    /// `filemd5`/`filesha1`/`filesha256`: a closed file's digest is (or,
    /// negated, is not) in the list.
    FileHash { algo: HashAlgo, list: Arc<HashList>, negated: bool },
    /// The side carries a file (what `filestore` alone needs).
    HasFile,
    /// `app-layer-event:http.<event>`: the HTTP parser raised this event
    /// (its bit in `HttpTx::events`) on the transaction.
    HttpEvent { bit: u64 },
    /// `app-layer-event:<tls|ssh|dns|ftp>.<event>`: that parser raised
    /// this event on the transaction (`bit` in `app::events`' list).
    ParserEvent { proto: crate::app::events::EventProto, bit: u32 },
    /// `ftpbounce`: the FTP connection's latest command is a PORT naming
    /// another address than the client's (Suricata's test).
    FtpBounce,
    /// `ftpdata_command:retr|stor`: the FTP data connection carries that
    /// command's transfer.
    FtpDataCommand { stor: bool },
}

/// The digest a hash list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgo {
    Md5,
    Sha1,
    Sha256,
}

impl HashAlgo {
    /// Bytes of the digest.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlgo::Md5 => 16,
            HashAlgo::Sha1 => 20,
            HashAlgo::Sha256 => 32,
        }
    }
}

/// A hash list file's digests, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HashList {
    pub path: std::path::PathBuf,
    digests: Vec<Box<[u8]>>,
}

impl HashList {
    pub fn contains(&self, d: &[u8]) -> bool {
        self.digests.binary_search_by(|x| x.as_ref().cmp(d)).is_ok()
    }

    pub fn len(&self) -> usize {
        self.digests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Reads a list as Suricata does: per line, the leading run of hex
    /// digits (lines starting otherwise are skipped, what follows the run
    /// is ignored); a run of the wrong length is an error.
    pub fn parse(text: &str, algo: HashAlgo, path: &std::path::Path) -> Result<HashList, String> {
        let mut digests = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let run = line.bytes().take_while(u8::is_ascii_hexdigit).count();
            if run == 0 {
                continue;
            }
            let hex = &line[..run];
            if run != algo.digest_len() * 2 {
                return Err(format!(
                    "{}:{}: hash string not {} characters",
                    path.display(),
                    n + 1,
                    algo.digest_len() * 2
                ));
            }
            let d: Vec<u8> = (0..run).step_by(2).filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect();
            digests.push(d.into_boxed_slice());
        }
        digests.sort();
        digests.dedup();
        Ok(HashList { path: path.to_path_buf(), digests })
    }
}

/// Where `filestore` stores from (Suricata's `filestore:<direction>,<scope>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStoreOpts {
    /// Side whose files are stored: None = the side the rule matched on.
    pub side: Option<FileSide>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSide {
    Request,
    Response,
    Both,
}

/// `filestore[:direction[,scope]]`: direction `request`/`to_server`,
/// `response`/`to_client` or `both`; scope `file`, `tx` or `ssn` (all
/// store the files of the matching transaction here).
pub fn parse_filestore(value: Option<&str>) -> Result<FileStoreOpts, String> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(FileStoreOpts { side: None }) };
    let mut parts = v.split(',').map(str::trim);
    let side = match parts.next().unwrap_or("") {
        "request" | "to_server" => Some(FileSide::Request),
        "response" | "to_client" => Some(FileSide::Response),
        "both" => Some(FileSide::Both),
        "" => None,
        other => return Err(format!("filestore: unknown direction \"{other}\"")),
    };
    match parts.next() {
        None | Some("file" | "tx" | "ssn") => {}
        Some(other) => return Err(format!("filestore: unknown scope \"{other}\"")),
    }
    if parts.next().is_some() {
        return Err("filestore takes at most a direction and a scope".into());
    }
    Ok(FileStoreOpts { side })
}

/// Loads a `filemd5`/`filesha1`/`filesha256` list. A relative name is
/// looked up as Suricata does: first as given (from the working directory,
/// Suricata's place for it without `default-rule-path`), then beside the
/// rule file.
pub fn parse_file_hash(
    name: &str,
    value: Option<&str>,
    rule_dir: Option<&std::path::Path>,
) -> Result<AppCheck, String> {
    let algo = match name {
        "filemd5" => HashAlgo::Md5,
        "filesha1" => HashAlgo::Sha1,
        _ => HashAlgo::Sha256,
    };
    let v = value.map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| format!("{name} needs a file name"))?;
    let (negated, file) = negation(v);
    let file = super::unquote(file);
    let given = std::path::PathBuf::from(&file);
    let mut tried = vec![given.clone()];
    if given.is_relative() {
        if let Some(d) = rule_dir {
            tried.push(d.join(&given));
        }
    }
    let mut last_err = String::new();
    for p in &tried {
        match std::fs::read(p) {
            Ok(bytes) => {
                let list =
                    HashList::parse(&String::from_utf8_lossy(&bytes), algo, p).map_err(|e| format!("{name}: {e}"))?;
                return Ok(AppCheck::FileHash { algo, list: Arc::new(list), negated });
            }
            Err(e) => last_err = e.to_string(),
        }
    }
    let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
    Err(format!("{name}: cannot open hash list \"{file}\" (tried {}): {last_err}", tried.join(", ")))
}

/// `filesize` values: Suricata's unsigned comparisons, numbers optionally
/// followed by `KB`, `MB` or `GB` (powers of 1024).
fn parse_filesize(v: &str) -> Result<NumCmp, String> {
    let mut plain = String::with_capacity(v.len());
    let mut digits = String::new();
    let mut chars = v.chars().peekable();
    let flush = |digits: &mut String, plain: &mut String, mult: u64| -> Result<(), String> {
        if !digits.is_empty() {
            let n: u64 = digits.parse().map_err(|_| format!("invalid number \"{digits}\""))?;
            let n = n.checked_mul(mult).ok_or_else(|| format!("filesize {digits} is too large"))?;
            plain.push_str(&n.to_string());
            digits.clear();
        }
        Ok(())
    };
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c.to_ascii_uppercase() {
            'K' => Some(1u64 << 10),
            'M' => Some(1 << 20),
            'G' => Some(1 << 30),
            _ => None,
        };
        if let Some(m) =
            unit.filter(|_| !digits.is_empty() && chars.peek().is_some_and(|b| b.eq_ignore_ascii_case(&'b')))
        {
            chars.next();
            flush(&mut digits, &mut plain, m)?;
            continue;
        }
        flush(&mut digits, &mut plain, 1)?;
        plain.push(c);
    }
    flush(&mut digits, &mut plain, 1)?;
    NumCmp::parse(&plain, u64::MAX).map_err(|e| format!("filesize: {e}"))
}

/// Which elements of a list a test applies to (`dns.rrtype:1,0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RrIndex {
    /// Any element.
    Any,
    /// Every element.
    All,
    /// One element; negative counts from the end (-1 = last).
    At(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsField {
    Subject,
    Issuer,
    Fingerprint,
}

/// Record-layer versions for `ssl_version` (and the TLS parser).
pub mod ssl_versions {
    pub const SSLV2: u32 = 1;
    pub const SSLV3: u32 = 2;
    pub const TLS10: u32 = 4;
    pub const TLS11: u32 = 8;
    pub const TLS12: u32 = 16;
    pub const TLS13: u32 = 32;
}

/// Handshake states for `ssl_state` (and the TLS parser).
pub mod ssl_states {
    pub const CLIENT_HELLO: u32 = 1;
    pub const SERVER_HELLO: u32 = 2;
    pub const CLIENT_KEYX: u32 = 4;
    pub const SERVER_KEYX: u32 = 8;
    pub const UNKNOWN: u32 = 16;
}

/// A transform applied to a sticky buffer before its keywords match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transform {
    /// Prepends `.` (so `dns.query; dotprefix; content:".evil.com";
    /// endswith;` matches the domain and its subdomains only).
    DotPrefix,
    ToLowercase,
    ToUppercase,
    StripWhitespace,
    CompressWhitespace,
    UrlDecode,
    ToMd5,
    ToSha1,
    ToSha256,
}

impl Transform {
    pub fn from_keyword(kw: &str) -> Option<Transform> {
        Some(match kw {
            "dotprefix" => Transform::DotPrefix,
            "to_lowercase" => Transform::ToLowercase,
            "to_uppercase" => Transform::ToUppercase,
            "strip_whitespace" => Transform::StripWhitespace,
            "compress_whitespace" => Transform::CompressWhitespace,
            "url_decode" => Transform::UrlDecode,
            "to_md5" => Transform::ToMd5,
            "to_sha1" => Transform::ToSha1,
            "to_sha256" => Transform::ToSha256,
            _ => return None,
        })
    }
}

/// Parses the value of an application-layer keyword. `Ok(None)` for
/// keywords that need no representation.
pub fn parse_app_check(name: &str, value: Option<&str>) -> Result<AppCheck, String> {
    let need = || value.map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| format!("{name} needs a value"));
    Ok(match name {
        "app-layer-event" => {
            let v = need()?;
            let (proto, event) =
                v.split_once('.').ok_or_else(|| format!("app-layer-event: expected <proto>.<event>, got \"{v}\""))?;
            if proto != "http" {
                let (proto, bit) = crate::app::events::lookup(proto, event)?;
                return Ok(AppCheck::ParserEvent { proto, bit });
            }
            let a = crate::app::http::HttpAnomaly::from_name(event)
                .ok_or_else(|| format!("app-layer-event: unknown http event \"{event}\""))?;
            AppCheck::HttpEvent { bit: a.bit() }
        }
        "urilen" => {
            let v = need()?;
            let (num, raw) = match v.split_once(',') {
                Some((n, kind)) => match kind.trim() {
                    "raw" => (n, true),
                    "norm" => (n, false),
                    other => return Err(format!("urilen: unknown option \"{other}\"")),
                },
                None => (v, false),
            };
            AppCheck::UriLen { cmp: NumCmp::parse(num, u64::from(u32::MAX))?, raw }
        }
        "dns.opcode" => {
            let (negated, v) = negation(need()?);
            let value = v.parse::<u8>().map_err(|_| format!("dns.opcode: invalid value \"{v}\""))?;
            if value > 15 {
                return Err(format!("dns.opcode: {value} is out of range (0-15)"));
            }
            AppCheck::DnsOpcode { value, negated }
        }
        "dns.rrtype" => {
            let (negated, v) = negation(need()?);
            let (v, index) = match v.split_once(',') {
                Some((t, i)) => {
                    let index = match i.trim() {
                        "all" => RrIndex::All,
                        n => RrIndex::At(n.parse().map_err(|_| format!("dns.rrtype: invalid index \"{n}\""))?),
                    };
                    (t.trim(), index)
                }
                None => (v, RrIndex::Any),
            };
            let value = match v.parse::<u16>() {
                Ok(n) => n,
                Err(_) => rrtype_by_name(v).ok_or_else(|| format!("dns.rrtype: unknown type \"{v}\""))?,
            };
            AppCheck::DnsRrtype { value, negated, index }
        }
        "tls.version" | "tls_version" => AppCheck::TlsVersion(parse_tls_version(need()?)?),
        "ssl_version" => {
            let (mut mask, mut negated) = (0, 0);
            for part in need()?.split(',') {
                let (neg, v) = negation(part.trim());
                let bit = match v.to_ascii_lowercase().as_str() {
                    "sslv2" => ssl_versions::SSLV2,
                    "sslv3" => ssl_versions::SSLV3,
                    "tls1.0" => ssl_versions::TLS10,
                    "tls1.1" => ssl_versions::TLS11,
                    "tls1.2" => ssl_versions::TLS12,
                    "tls1.3" => ssl_versions::TLS13,
                    other => return Err(format!("ssl_version: unknown version \"{other}\"")),
                };
                if neg {
                    negated |= bit;
                } else {
                    mask |= bit;
                }
            }
            AppCheck::SslVersion { mask, negated }
        }
        "ssl_state" => {
            let (mut any, mut negated) = (0, 0);
            for part in need()?.split(['|', ',']) {
                let (neg, v) = negation(part.trim());
                let bit = match v {
                    "client_hello" => ssl_states::CLIENT_HELLO,
                    "server_hello" => ssl_states::SERVER_HELLO,
                    "client_keyx" => ssl_states::CLIENT_KEYX,
                    "server_keyx" => ssl_states::SERVER_KEYX,
                    "unknown" => ssl_states::UNKNOWN,
                    other => return Err(format!("ssl_state: unknown state \"{other}\"")),
                };
                if neg {
                    negated |= bit;
                } else {
                    any |= bit;
                }
            }
            AppCheck::SslState { any, negated }
        }
        "app-layer-protocol" => {
            let (negated, v) = negation(need()?);
            let proto = v.split(',').next().unwrap_or(v).trim().to_ascii_lowercase();
            if proto.is_empty() {
                return Err("app-layer-protocol needs a protocol".into());
            }
            AppCheck::AppProto { proto, negated }
        }
        "tls.subject" | "tls.issuerdn" | "tls.fingerprint" => {
            let (negated, v) = negation(need()?);
            let field = match name {
                "tls.subject" => TlsField::Subject,
                "tls.issuerdn" => TlsField::Issuer,
                _ => TlsField::Fingerprint,
            };
            AppCheck::TlsField { field, value: super::unquote(v).into_bytes(), negated }
        }
        "tls_cert_notbefore" | "tls_cert_notafter" => {
            let after = name == "tls_cert_notafter";
            AppCheck::TlsCertDate { after, cmp: parse_date_cmp(need()?)? }
        }
        "ssh.protoversion" => parse_ssh_protoversion(need()?)?,
        "ssh.softwareversion" => parse_ssh_softwareversion(need()?)?,
        "tls_cert_expired" => AppCheck::TlsCertExpired(true),
        "tls_cert_valid" => AppCheck::TlsCertExpired(false),
        "filesize" => AppCheck::FileSize(parse_filesize(need()?)?),
        "ftpbounce" => match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => AppCheck::FtpBounce,
            Some(_) => return Err("ftpbounce takes no value".into()),
        },
        // Suricata's `^\s*(stor|retr)\s*$`: lowercase only.
        "ftpdata_command" => match need()? {
            "stor" => AppCheck::FtpDataCommand { stor: true },
            "retr" => AppCheck::FtpDataCommand { stor: false },
            other => return Err(format!("ftpdata_command: \"{other}\" is not stor or retr")),
        },
        other => return Err(format!("keyword \"{other}\" is not supported")),
    })
}

/// Strips the optional quotes around a value (Suricata's
/// SIGMATCH_QUOTES_OPTIONAL) and the spaces around it.
fn optional_quotes(v: &str) -> &str {
    let v = v.trim();
    let v = v.strip_prefix('"').unwrap_or(v);
    v.strip_suffix('"').unwrap_or(v).trim()
}

/// `ssh.protoversion:2.0`, `1.99`, `2_compat` (Suricata 7:
/// `[0-9]+([.-0-9]+)?|2_compat`).
fn parse_ssh_protoversion(v: &str) -> Result<AppCheck, String> {
    let v = optional_quotes(v);
    if v == "2_compat" {
        return Ok(AppCheck::SshProtoVersion { compat2: true, value: Vec::new() });
    }
    let ok = v.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && v.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    if !ok {
        return Err(format!("ssh.protoversion: invalid version \"{v}\""));
    }
    Ok(AppCheck::SshProtoVersion { compat2: false, value: v.as_bytes().to_vec() })
}

/// `ssh.softwareversion:OpenSSH_9.6` (letters, digits, `:.-_+` and
/// spaces, as Suricata 7 accepts).
fn parse_ssh_softwareversion(v: &str) -> Result<AppCheck, String> {
    let v = optional_quotes(v);
    let ok = !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b":.-_+".contains(&b) || b.is_ascii_whitespace());
    if !ok {
        return Err(format!("ssh.softwareversion: invalid version \"{v}\""));
    }
    Ok(AppCheck::SshSoftwareVersion(v.as_bytes().to_vec()))
}

fn negation(v: &str) -> (bool, &str) {
    match v.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, v),
    }
}

fn parse_tls_version(v: &str) -> Result<u16, String> {
    let v = v.trim();
    if let Some(h) = v.strip_prefix("0x") {
        return u16::from_str_radix(h, 16).map_err(|_| format!("tls.version: invalid value \"{v}\""));
    }
    Ok(match v {
        "1.0" => 0x0301,
        "1.1" => 0x0302,
        "1.2" => 0x0303,
        "1.3" => 0x0304,
        "3.0" | "ssl3" | "sslv3" => 0x0300,
        other => return Err(format!("tls.version: unknown version \"{other}\"")),
    })
}

/// `>2015-10-22`, `<2019`, `2019-01-01T10:00:00` as Unix seconds.
fn parse_date_cmp(v: &str) -> Result<NumCmp, String> {
    let v = v.trim();
    let (op, date) = match v.as_bytes().first() {
        Some(b'<' | b'>') => v.split_at(1),
        _ => ("", v),
    };
    let secs = parse_date(date.trim()).ok_or_else(|| format!("invalid date \"{date}\""))?;
    Ok(match op {
        "<" => NumCmp::Lt(secs),
        ">" => NumCmp::Gt(secs),
        _ => NumCmp::Eq(secs),
    })
}

/// `YYYY[-MM[-DD[THH[:MM[:SS]]]]]` (UTC) to Unix seconds.
fn parse_date(s: &str) -> Option<u64> {
    let (d, t) = s.split_once('T').unwrap_or((s, ""));
    let mut dp = d.split('-').map(|p| p.parse::<u64>().ok());
    let year = dp.next()??;
    let month = dp.next().flatten().unwrap_or(1);
    let day = dp.next().flatten().unwrap_or(1);
    let mut tp = t.split(':').filter(|p| !p.is_empty()).map(|p| p.parse::<u64>().ok());
    let hour = tp.next().flatten().unwrap_or(0);
    let min = tp.next().flatten().unwrap_or(0);
    let sec = tp.next().flatten().unwrap_or(0);
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = crate::util::time::days_from_civil(year as i64, month as u32, day as u32);
    Some(days as u64 * 86_400 + hour * 3600 + min * 60 + sec)
}

/// Record types rules may name (`dns.rrtype:TXT`).
fn rrtype_by_name(n: &str) -> Option<u16> {
    Some(match n.to_ascii_uppercase().as_str() {
        "A" => 1,
        "NS" => 2,
        "CNAME" => 5,
        "SOA" => 6,
        "PTR" => 12,
        "HINFO" => 13,
        "MX" => 15,
        "TXT" => 16,
        "AAAA" => 28,
        "SRV" => 33,
        "NAPTR" => 35,
        "OPT" => 41,
        "DS" => 43,
        "RRSIG" => 46,
        "NSEC" => 47,
        "DNSKEY" => 48,
        "SVCB" => 64,
        "HTTPS" => 65,
        "ANY" => 255,
        "NULL" => 10,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(
            parse_app_check("urilen", Some("3<>20")).unwrap(),
            AppCheck::UriLen { cmp: NumCmp::Range(3, 20), raw: false }
        );
        assert_eq!(
            parse_app_check("urilen", Some("17, raw")).unwrap(),
            AppCheck::UriLen { cmp: NumCmp::Eq(17), raw: true }
        );
        assert_eq!(
            parse_app_check("ssl_version", Some("!sslv2,tls1.0")).unwrap(),
            AppCheck::SslVersion { mask: ssl_versions::TLS10, negated: ssl_versions::SSLV2 }
        );
        assert_eq!(
            parse_app_check("dns.rrtype", Some("TXT")).unwrap(),
            AppCheck::DnsRrtype { value: 16, negated: false, index: RrIndex::Any }
        );
        assert_eq!(
            parse_app_check("dns.rrtype", Some("1,-1")).unwrap(),
            AppCheck::DnsRrtype { value: 1, negated: false, index: RrIndex::At(-1) }
        );
        assert_eq!(parse_app_check("tls.version", Some("1.2")).unwrap(), AppCheck::TlsVersion(0x0303));
        assert_eq!(
            parse_app_check("app-layer-protocol", Some("!http")).unwrap(),
            AppCheck::AppProto { proto: "http".into(), negated: true }
        );
        assert!(parse_app_check("dns.opcode", Some("99")).is_err());
        assert!(parse_app_check("ssl_state", Some("bogus")).is_err());
        let AppCheck::TlsCertDate { cmp: NumCmp::Gt(t), .. } =
            parse_app_check("tls_cert_notafter", Some(">2015-10-22")).unwrap()
        else {
            panic!()
        };
        assert_eq!(t, 1_445_472_000);
        assert_eq!(Transform::from_keyword("dotprefix"), Some(Transform::DotPrefix));
        assert_eq!(
            parse_app_check("ssh.protoversion", Some("2_compat")).unwrap(),
            AppCheck::SshProtoVersion { compat2: true, value: Vec::new() }
        );
        assert_eq!(
            parse_app_check("ssh.protoversion", Some("\"1.99\"")).unwrap(),
            AppCheck::SshProtoVersion { compat2: false, value: b"1.99".to_vec() }
        );
        for bad in ["2_com", ".1", "lalala"] {
            assert!(parse_app_check("ssh.protoversion", Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            parse_app_check("ssh.softwareversion", Some("\"SecureCRT-4.0\"")).unwrap(),
            AppCheck::SshSoftwareVersion(b"SecureCRT-4.0".to_vec())
        );
        assert!(parse_app_check("ssh.softwareversion", Some("a/b")).is_err());
        assert_eq!(parse_app_check("ftpbounce", None).unwrap(), AppCheck::FtpBounce);
        assert!(parse_app_check("ftpbounce", Some("x")).is_err());
        assert_eq!(
            parse_app_check("ftpdata_command", Some(" stor ")).unwrap(),
            AppCheck::FtpDataCommand { stor: true }
        );
        assert!(parse_app_check("ftpdata_command", Some("RETR")).is_err());
        assert!(parse_app_check("ftpdata_command", None).is_err());
    }
}
