//! `dataset`, `datarep` and `iprep`: the rule side of Suricata's datasets and
//! IP reputation. Parsing only; the sets and reputation data are loaded
//! and shared by [`crate::detect::datasets`] and
//! [`crate::detect::reputation`] when the rules compile, because several
//! rules (and the configuration) may declare the same set.

use serde::{Deserialize, Serialize};

/// What a dataset holds. Suricata's `ip` holds IPv4 and IPv6 addresses
/// (IPv4 stored in the first 4 of 16 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    String,
    Md5,
    Sha256,
    Ipv4,
    #[serde(alias = "ipv6")]
    Ip,
}

impl DataType {
    pub fn from_name(s: &str) -> Option<DataType> {
        Some(match s {
            "string" => DataType::String,
            "md5" => DataType::Md5,
            "sha256" => DataType::Sha256,
            "ipv4" => DataType::Ipv4,
            "ip" | "ipv6" => DataType::Ip,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Md5 => "md5",
            DataType::Sha256 => "sha256",
            DataType::Ipv4 => "ipv4",
            DataType::Ip => "ip",
        }
    }
}

/// `dataset:<cmd>,...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetCmd {
    IsSet,
    IsNotSet,
    /// Adds the buffer; matches only when it was not in the set before.
    Set,
    /// Removes the buffer; matches only when it was in the set.
    Unset,
}

impl SetCmd {
    /// Whether the command changes the set (the set must then be writable
    /// at runtime).
    pub fn modifies(self) -> bool {
        matches!(self, SetCmd::Set | SetCmd::Unset)
    }
}

/// The file format of a set's `load` file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SetFormat {
    /// One item per line (`item[,reputation]`).
    #[default]
    Csv,
    /// One JSON document holding an array of objects (at `array_key`).
    Json,
    /// One JSON object per line (Suricata 8's `ndjson`; later Suricata
    /// docs call it `jsonline`).
    Ndjson,
}

/// Where an alert carries the JSON object of the item a rule matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContextField {
    /// `alert.context.<key>`: Suricata 8.0's `context_key`.
    #[default]
    Context,
    /// `alert.extra.<key>`: the `enrichment_key` of later Suricata docs.
    Extra,
}

impl ContextField {
    pub fn name(self) -> &'static str {
        match self {
            ContextField::Context => "context",
            ContextField::Extra => "extra",
        }
    }
}

/// The options a rule may give for the set it names (they must agree with
/// an earlier declaration of the same set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetOptions {
    pub data_type: Option<DataType>,
    pub load: Option<String>,
    pub save: Option<String>,
    /// `state`: load from and save to the same file.
    pub state: Option<String>,
    pub memcap: Option<u64>,
    pub hashsize: Option<u32>,
    pub format: SetFormat,
    /// JSON sets: the key under which the rule's alerts carry the matched
    /// item's object, and where (`context_key` or `enrichment_key`).
    pub context_key: Option<String>,
    pub context_field: ContextField,
    /// JSON sets: the (dotted) path of each object's value.
    pub value_key: Option<String>,
    /// `json` sets: the dotted path of the array of objects in the file
    /// (ignored for `ndjson`, as Suricata 8.0.6 ignores it).
    pub array_key: Option<String>,
    /// JSON sets: alerts show the object without its `value_key`.
    pub remove_key: bool,
}

/// `dataset:<cmd>,<name>[, options]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetKw {
    pub cmd: SetCmd,
    pub name: String,
    pub opts: SetOptions,
}

/// `datarep` comparison of the stored reputation with the rule's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepOp {
    Gt,
    Lt,
    Eq,
    Ge,
    Le,
}

impl RepOp {
    pub fn test(self, stored: u16, value: u16) -> bool {
        match self {
            RepOp::Gt => stored > value,
            RepOp::Lt => stored < value,
            RepOp::Eq => stored == value,
            RepOp::Ge => stored >= value,
            RepOp::Le => stored <= value,
        }
    }
}

/// `datarep:<name>,<op>,<value>[, options]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatarepKw {
    pub name: String,
    pub op: RepOp,
    pub value: u16,
    pub opts: SetOptions,
}

/// A dataset keyword in a buffer's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetKw {
    Dataset(DatasetKw),
    Datarep(DatarepKw),
}

impl SetKw {
    pub fn name(&self) -> &str {
        match self {
            SetKw::Dataset(d) => &d.name,
            SetKw::Datarep(d) => &d.name,
        }
    }

    pub fn opts(&self) -> &SetOptions {
        match self {
            SetKw::Dataset(d) => &d.opts,
            SetKw::Datarep(d) => &d.opts,
        }
    }
}

/// A dataset keyword with its place among the buffer's other keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferSet {
    pub kw: SetKw,
    /// Content-like keywords of the buffer before it: when some, it runs
    /// once they matched (a `set` after a content adds only buffers that
    /// have the content), else before them.
    pub after_items: bool,
}

/// Suricata's sizes: a number with an optional `kb`/`mb`/`gb` (or
/// `kib`/`mib`/`gib`) unit, powers of 1024.
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_lowercase();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim() {
        "" | "b" => 1,
        "kb" | "kib" | "k" => 1 << 10,
        "mb" | "mib" | "m" => 1 << 20,
        "gb" | "gib" | "g" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Splits the comma-separated fields; options are `key value`.
fn fields(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|f| !f.is_empty())
}

fn check_name(name: &str) -> Result<(), String> {
    // Suricata's DATASET_NAME_MAX_LEN.
    if name.len() > 63 {
        return Err(format!("dataset name \"{name}\" is longer than 63 characters"));
    }
    if name.chars().any(|c| c.is_whitespace()) {
        return Err(format!("spaces are not allowed in dataset names (\"{name}\")"));
    }
    Ok(())
}

fn parse_option(opts: &mut SetOptions, field: &str, kw: &str) -> Result<(), String> {
    // The one option without a value.
    if field == "remove_key" && kw == "dataset" {
        opts.remove_key = true;
        return Ok(());
    }
    let (key, val) = field
        .split_once(char::is_whitespace)
        .map(|(k, v)| (k, v.trim()))
        .ok_or_else(|| format!("{kw}: option \"{field}\" needs a value"))?;
    let once = |slot: &Option<String>| -> Result<String, String> {
        if slot.is_some() {
            return Err(format!("{kw}: '{key}' can only appear once"));
        }
        Ok(val.to_string())
    };
    match key {
        "type" => {
            opts.data_type = Some(
                DataType::from_name(val)
                    .ok_or_else(|| format!("{kw}: bad type \"{val}\" (string, md5, sha256, ipv4, ip)"))?,
            )
        }
        "load" => opts.load = Some(once(&opts.load)?),
        "save" if kw == "dataset" => opts.save = Some(once(&opts.save)?),
        "state" if kw == "dataset" => opts.state = Some(once(&opts.state)?),
        "memcap" => opts.memcap = Some(parse_size(val).ok_or_else(|| format!("{kw}: invalid memcap \"{val}\""))?),
        "hashsize" => {
            let n = parse_size(val).ok_or_else(|| format!("{kw}: invalid hashsize \"{val}\""))?;
            opts.hashsize = Some(u32::try_from(n).map_err(|_| format!("{kw}: hashsize {n} is too large"))?);
        }
        "format" if kw == "dataset" => {
            opts.format = match val {
                "csv" => SetFormat::Csv,
                "json" => SetFormat::Json,
                // `jsonline` is the name in later Suricata docs.
                "ndjson" | "jsonline" => SetFormat::Ndjson,
                _ => return Err(format!("dataset: unknown format {val} (csv, json, ndjson)")),
            }
        }
        "context_key" | "enrichment_key" if kw == "dataset" => {
            if opts.context_key.is_some() {
                return Err(format!("dataset: '{key}' can only appear once"));
            }
            // The key becomes an EVE field name.
            if val.is_empty() || !val.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("dataset: {key} can only contain alphanumeric characters and underscores"));
            }
            opts.context_key = Some(val.to_string());
            opts.context_field = if key == "context_key" { ContextField::Context } else { ContextField::Extra };
        }
        "value_key" if kw == "dataset" => opts.value_key = Some(once(&opts.value_key)?),
        "array_key" if kw == "dataset" => opts.array_key = Some(once(&opts.array_key)?),
        _ => return Err(format!("{kw}: unknown option \"{key}\"")),
    }
    Ok(())
}

pub fn parse_dataset(v: &str) -> Result<DatasetKw, String> {
    let mut it = fields(v);
    let cmd = match it.next() {
        Some("isset") => SetCmd::IsSet,
        Some("isnotset") => SetCmd::IsNotSet,
        Some("set") => SetCmd::Set,
        Some("unset") => SetCmd::Unset,
        Some(other) => return Err(format!("dataset action \"{other}\" is not supported")),
        None => return Err("dataset needs a command and a set name".into()),
    };
    let name = it.next().ok_or("dataset needs a set name")?.to_string();
    check_name(&name)?;
    let mut opts = SetOptions::default();
    for f in it {
        parse_option(&mut opts, f, "dataset")?;
    }
    if opts.state.is_some() && (opts.load.is_some() || opts.save.is_some()) {
        return Err("dataset: 'state' can not be mixed with 'load' and 'save'".into());
    }
    check_json_options(cmd, &opts)?;
    Ok(DatasetKw { cmd, name, opts })
}

/// Suricata 8.0.6's rules for JSON sets: they are loaded once and only
/// looked up (no `set`/`unset`, nothing saved), and need both keys.
fn check_json_options(cmd: SetCmd, opts: &SetOptions) -> Result<(), String> {
    let json_key = [
        ("context_key", opts.context_key.is_some()),
        ("value_key", opts.value_key.is_some()),
        ("array_key", opts.array_key.is_some()),
        ("remove_key", opts.remove_key),
    ]
    .into_iter()
    .find(|(_, given)| *given);
    match opts.format {
        SetFormat::Csv => match json_key {
            Some((key, _)) => Err(format!("dataset: {key} needs format json or ndjson")),
            None => Ok(()),
        },
        SetFormat::Json | SetFormat::Ndjson => {
            if cmd.modifies() {
                let c = if cmd == SetCmd::Set { "set" } else { "unset" };
                return Err(format!("dataset: json format is not supported for '{c}' command"));
            }
            if opts.save.is_some() || opts.state.is_some() {
                return Err("dataset: json format is not supported with 'save' or 'state' option".into());
            }
            if opts.context_key.is_none() {
                return Err("dataset: json format needs a 'context_key' parameter".into());
            }
            if opts.value_key.is_none() {
                return Err("dataset: json format needs a 'value_key' parameter".into());
            }
            Ok(())
        }
    }
}

pub fn parse_datarep(v: &str) -> Result<DatarepKw, String> {
    let mut it = fields(v);
    let name = it.next().ok_or("datarep needs a set name")?.to_string();
    check_name(&name)?;
    let op = match it.next() {
        Some(">") => RepOp::Gt,
        Some("<") => RepOp::Lt,
        Some("==") => RepOp::Eq,
        // Suricata 8 refuses >= and <= here (iprep has them).
        Some(other) => return Err(format!("datarep operation \"{other}\" is not supported (>, <, ==)")),
        None => return Err("datarep needs an operation".into()),
    };
    let raw = it.next().ok_or("datarep needs a value")?;
    let value: u16 = raw.parse().map_err(|_| format!("datarep: invalid value \"{raw}\" (0-65535)"))?;
    let mut opts = SetOptions::default();
    for f in it {
        parse_option(&mut opts, f, "datarep")?;
    }
    if opts.load.is_some() && opts.data_type.is_none() {
        return Err("datarep: if load is used type must be set as well".into());
    }
    Ok(DatarepKw { name, op, value, opts })
}

/// Which of the packet's addresses `iprep` looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IprepSide {
    /// Source or destination.
    Any,
    Src,
    Dst,
    /// Source and destination.
    Both,
}

/// What `iprep` tests of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IprepTest {
    /// The address has a score in the category that compares so.
    Cmp(RepOp, u8),
    /// The address has a score in the category (`>=,0`).
    IsSet,
    /// The address has no score in the category.
    IsNotSet,
}

/// `iprep:<side>,<category>,<op>,<score>` or `iprep:<side>,<category>,<isset|isnotset>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IprepKw {
    pub side: IprepSide,
    /// The category short name, resolved against the categories file when
    /// the rules compile.
    pub category: String,
    pub test: IprepTest,
}

pub fn parse_iprep(v: &str) -> Result<IprepKw, String> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    let side = match parts.first().copied() {
        Some("any") => IprepSide::Any,
        Some("src") => IprepSide::Src,
        Some("dst") => IprepSide::Dst,
        Some("both") => IprepSide::Both,
        Some(other) => return Err(format!("iprep: side must be any, src, dst or both, got \"{other}\"")),
        None => return Err("iprep needs a side".into()),
    };
    let category = parts.get(1).copied().unwrap_or("");
    if category.is_empty() || !category.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(format!("iprep: invalid category \"{category}\""));
    }
    let test = match parts.get(2..) {
        Some(["isset"]) => IprepTest::IsSet,
        Some(["isnotset"]) => IprepTest::IsNotSet,
        Some([op, val]) => {
            let op = match *op {
                ">" => RepOp::Gt,
                "<" => RepOp::Lt,
                "=" | "==" => RepOp::Eq,
                ">=" => RepOp::Ge,
                "<=" => RepOp::Le,
                other => return Err(format!("iprep: operator must be <, <=, >, >= or =, got \"{other}\"")),
            };
            let n: u8 = val.parse().map_err(|_| format!("iprep: invalid score \"{val}\""))?;
            IprepTest::Cmp(op, n)
        }
        _ => return Err(format!("\"{v}\" is not a valid setting for iprep")),
    };
    Ok(IprepKw { side, category: category.to_string(), test })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_options() {
        let d = parse_dataset("isset,ua-seen, type string, load ua.lst, memcap 10mb, hashsize 1024").unwrap();
        assert_eq!(d.cmd, SetCmd::IsSet);
        assert_eq!(d.name, "ua-seen");
        assert_eq!(d.opts.data_type, Some(DataType::String));
        assert_eq!(d.opts.load.as_deref(), Some("ua.lst"));
        assert_eq!(d.opts.memcap, Some(10 << 20));
        assert_eq!(d.opts.hashsize, Some(1024));
        assert!(parse_dataset("set,x, state a.lst, load b.lst").is_err());
        assert!(parse_dataset("frob,x").is_err());
        assert!(parse_dataset("set,x, type json").is_err());
        assert!(parse_dataset("set,x, format json").is_err());
        assert!(parse_dataset("set,x, format csv").is_ok());
        assert!(parse_dataset("isset,x, format xml").is_err());
        assert!(parse_dataset("isset,x, context_key a").is_err(), "needs a JSON format");
        assert!(parse_dataset("set,x, load a, load b").is_err());
    }

    #[test]
    fn json_options() {
        let d = parse_dataset(
            "isset,t, type string, load f.json, format json, context_key threat, value_key host, array_key a.b, remove_key",
        )
        .unwrap();
        assert_eq!(d.opts.format, SetFormat::Json);
        assert_eq!(d.opts.context_key.as_deref(), Some("threat"));
        assert_eq!(d.opts.context_field, ContextField::Context);
        assert_eq!(d.opts.value_key.as_deref(), Some("host"));
        assert_eq!(d.opts.array_key.as_deref(), Some("a.b"));
        assert!(d.opts.remove_key);
        let e = parse_dataset("isnotset,t, load f, format jsonline, enrichment_key x_1, value_key v").unwrap();
        assert_eq!((e.opts.format, e.opts.context_field), (SetFormat::Ndjson, ContextField::Extra));
        for bad in [
            "set,t, load f, format json, context_key k, value_key v",
            "unset,t, load f, format json, context_key k, value_key v",
            "isset,t, state f, format json, context_key k, value_key v",
            "isset,t, load f, format json, value_key v",
            "isset,t, load f, format json, context_key k",
            "isset,t, load f, format json, context_key a-b, value_key v",
            "isset,t, load f, format json, context_key k, context_key j, value_key v",
        ] {
            assert!(parse_dataset(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn datarep_and_iprep() {
        let r = parse_datarep("dns_rep, >, 20, load r.csv, type string").unwrap();
        assert_eq!((r.op, r.value), (RepOp::Gt, 20));
        assert!(parse_datarep("x, >, 20, load r.csv").is_err());
        assert!(parse_datarep("x, !, 20").is_err());
        assert!(parse_datarep("x, >=, 20").is_err());
        assert!(parse_datarep("x, >, 70000").is_err());
        let i = parse_iprep("src, BadHosts, >, 30").unwrap();
        assert_eq!((i.side, i.test), (IprepSide::Src, IprepTest::Cmp(RepOp::Gt, 30)));
        assert_eq!(parse_iprep("both,Good,isnotset").unwrap().test, IprepTest::IsNotSet);
        assert!(parse_iprep("up,Bad,>,1").is_err());
        assert!(parse_iprep("src,Bad,>,300").is_err());
        assert!(parse_iprep("src,Bad,>").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100 MiB"), Some(100 << 20));
        assert_eq!(parse_size("2048"), Some(2048));
        assert_eq!(parse_size("1kb"), Some(1024));
        assert_eq!(parse_size("x"), None);
    }
}
