//! Numeric comparisons shared by `dsize`, `ttl`, `itype`, `icode`, `bsize`,
//! `urilen`, `window`... (Suricata's "uint" keyword syntax).

/// `N`, `!N`, `<N`, `<=N`, `>N`, `>=N`, `N<>M` / `N-M` (exclusive range),
/// `!N<>M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumCmp {
    Eq(u64),
    Ne(u64),
    Lt(u64),
    Le(u64),
    Gt(u64),
    Ge(u64),
    /// lo < x < hi
    Range(u64, u64),
    NotRange(u64, u64),
}

impl NumCmp {
    pub fn matches(self, x: u64) -> bool {
        match self {
            NumCmp::Eq(n) => x == n,
            NumCmp::Ne(n) => x != n,
            NumCmp::Lt(n) => x < n,
            NumCmp::Le(n) => x <= n,
            NumCmp::Gt(n) => x > n,
            NumCmp::Ge(n) => x >= n,
            NumCmp::Range(lo, hi) => lo < x && x < hi,
            NumCmp::NotRange(lo, hi) => !(lo < x && x < hi),
        }
    }

    /// Whether any value >= `min_len` could satisfy the comparison; used to
    /// reject rules that can never match.
    pub fn max_value(self) -> Option<u64> {
        match self {
            NumCmp::Eq(n) | NumCmp::Le(n) => Some(n),
            NumCmp::Lt(n) => Some(n.saturating_sub(1)),
            NumCmp::Range(_, hi) => Some(hi.saturating_sub(1)),
            _ => None,
        }
    }

    /// Parses the value, checking every bound against `max`.
    pub fn parse(s: &str, max: u64) -> Result<NumCmp, String> {
        let s = s.trim();
        let num = |t: &str| -> Result<u64, String> {
            let t = t.trim();
            let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                u64::from_str_radix(h, 16)
            } else {
                t.parse::<u64>()
            }
            .map_err(|_| format!("invalid number \"{t}\""))?;
            if v > max {
                return Err(format!("{v} is out of range (maximum {max})"));
            }
            Ok(v)
        };
        let (neg, body) = match s.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, s),
        };
        let range = body.split_once("<>").or_else(|| {
            // "N-M", but not a leading minus sign.
            body.char_indices().skip(1).find(|&(_, c)| c == '-').map(|(i, _)| (&body[..i], &body[i + 1..]))
        });
        if let Some((a, b)) = range {
            let (lo, hi) = (num(a)?, num(b)?);
            if lo >= hi {
                return Err(format!("range \"{s}\" is empty: the first bound must be below the second"));
            }
            return Ok(if neg { NumCmp::NotRange(lo, hi) } else { NumCmp::Range(lo, hi) });
        }
        let cmp = if let Some(r) = body.strip_prefix("<=") {
            NumCmp::Le(num(r)?)
        } else if let Some(r) = body.strip_prefix(">=") {
            NumCmp::Ge(num(r)?)
        } else if let Some(r) = body.strip_prefix('<') {
            NumCmp::Lt(num(r)?)
        } else if let Some(r) = body.strip_prefix('>') {
            NumCmp::Gt(num(r)?)
        } else if let Some(r) = body.strip_prefix('=') {
            NumCmp::Eq(num(r)?)
        } else {
            NumCmp::Eq(num(body)?)
        };
        Ok(match (neg, cmp) {
            (false, c) => c,
            (true, NumCmp::Eq(n)) => NumCmp::Ne(n),
            (true, NumCmp::Lt(n)) => NumCmp::Ge(n),
            (true, NumCmp::Le(n)) => NumCmp::Gt(n),
            (true, NumCmp::Gt(n)) => NumCmp::Le(n),
            (true, NumCmp::Ge(n)) => NumCmp::Lt(n),
            (true, c) => c,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(NumCmp::parse("8", 255), Ok(NumCmp::Eq(8)));
        assert_eq!(NumCmp::parse(" >7", 255), Ok(NumCmp::Gt(7)));
        assert_eq!(NumCmp::parse("<15", 255), Ok(NumCmp::Lt(15)));
        assert_eq!(NumCmp::parse("<=15", 255), Ok(NumCmp::Le(15)));
        assert_eq!(NumCmp::parse("7<>20", 255), Ok(NumCmp::Range(7, 20)));
        assert_eq!(NumCmp::parse("7-20", 255), Ok(NumCmp::Range(7, 20)));
        assert_eq!(NumCmp::parse("!0", 255), Ok(NumCmp::Ne(0)));
        assert_eq!(NumCmp::parse("!>5", 255), Ok(NumCmp::Le(5)));
        assert_eq!(NumCmp::parse("0x10", 255), Ok(NumCmp::Eq(16)));
    }

    #[test]
    fn errors() {
        assert!(NumCmp::parse("256", 255).is_err());
        assert!(NumCmp::parse("20<>7", 255).is_err());
        assert!(NumCmp::parse("abc", 255).is_err());
        assert!(NumCmp::parse("", 255).is_err());
        assert!(NumCmp::parse("-5", 255).is_err());
    }

    #[test]
    fn semantics() {
        let r = NumCmp::Range(7, 20);
        assert!(!r.matches(7) && r.matches(8) && r.matches(19) && !r.matches(20));
        assert!(NumCmp::NotRange(7, 20).matches(7));
    }
}
