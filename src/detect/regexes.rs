//! The pcre expressions of a rule set, compiled once each.
//!
//! Compiling (with PCRE2's JIT) is a tenth of a rule load: ET Open has about
//! 9,000 pcre keywords. [`RegexTable::prepare`] compiles every distinct
//! expression of the rules on several threads before the signatures are
//! built one by one; signatures that use the same expression (with the
//! same modifiers) share one compiled regex.

use std::collections::HashMap;

use crate::rules::{Item, Pcre, Rule};

/// What decides the compiled regex of a pcre keyword (its other modifiers,
/// `R`, `!`, `A`, act on how the program runs it).
#[derive(Clone, PartialEq, Eq, Hash)]
struct RegexKey {
    source: String,
    caseless: bool,
    dotall: bool,
    multiline: bool,
    extended: bool,
    dollar_endonly: bool,
    ungreedy: bool,
}

impl RegexKey {
    fn of(p: &Pcre) -> RegexKey {
        RegexKey {
            source: p.source.clone(),
            caseless: p.caseless,
            dotall: p.dotall,
            multiline: p.multiline,
            extended: p.extended,
            dollar_endonly: p.dollar_endonly,
            ungreedy: p.ungreedy,
        }
    }
}

/// Compiled regexes that programs refer to by index.
#[derive(Default)]
pub struct RegexTable {
    regexes: Vec<pcre2::bytes::Regex>,
    /// Index in `regexes` of each expression handed out, or why it failed.
    known: HashMap<RegexKey, Result<usize, String>>,
    /// Compiled ahead by [`RegexTable::prepare`], not yet handed out.
    prepared: HashMap<RegexKey, Result<pcre2::bytes::Regex, String>>,
}

impl RegexTable {
    /// A table with every pcre of `rules` compiled on `threads` threads.
    pub fn prepare(rules: &[Rule], threads: usize) -> RegexTable {
        let mut keys = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for rule in rules {
            for b in &rule.buffers {
                collect(&b.items, &mut |p| {
                    let k = RegexKey::of(p);
                    if seen.insert(k.clone()) {
                        keys.push((k, p));
                    }
                });
            }
        }
        let compiled = crate::util::par::map_ordered(&keys, threads, |(_, p)| compile_pcre(p));
        let prepared = keys.into_iter().map(|(k, _)| k).zip(compiled).collect();
        RegexTable { prepared, ..RegexTable::default() }
    }

    /// The index of `p`'s regex, compiling it if it was not prepared.
    pub fn index_of(&mut self, p: &Pcre) -> Result<usize, String> {
        let key = RegexKey::of(p);
        if let Some(known) = self.known.get(&key) {
            return known.clone();
        }
        let compiled = self.prepared.remove(&key).unwrap_or_else(|| compile_pcre(p));
        let result = compiled.map(|re| {
            self.regexes.push(re);
            self.regexes.len() - 1
        });
        self.known.insert(key, result.clone());
        result
    }

    /// The compiled regexes, indexed as [`RegexTable::index_of`] said.
    pub fn into_regexes(self) -> Vec<pcre2::bytes::Regex> {
        self.regexes
    }
}

/// Calls `f` on each pcre of `items`, those inside `base64_data` included.
fn collect<'a>(items: &'a [Item], f: &mut dyn FnMut(&'a Pcre)) {
    for it in items {
        match it {
            Item::Pcre(p) => f(p),
            Item::Base64Decode(d) => collect(&d.data, f),
            _ => {}
        }
    }
}

/// Compiles a pcre with Suricata's modifiers.
pub fn compile_pcre(p: &crate::rules::Pcre) -> Result<pcre2::bytes::Regex, String> {
    // The pcre2 crate has no PCRE2_DOLLAR_ENDONLY (E); it is ignored with m.
    let source = if p.dollar_endonly && !p.multiline { dollar_end_only(&p.source) } else { p.source.clone() };
    let source = if p.ungreedy { format!("(?U){source}") } else { source };
    pcre2::bytes::RegexBuilder::new()
        .caseless(p.caseless)
        .dotall(p.dotall)
        .multi_line(p.multiline)
        .extended(p.extended)
        .jit_if_available(true)
        .build(&source)
        .map_err(|e| format!("invalid pcre /{}/: {e}", p.source))
}

/// Rewrites each `$` that is an assertion (not escaped, not in a class)
/// to `\z`: the end of the subject only, not before a final newline.
pub(crate) fn dollar_end_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 4);
    let mut chars = source.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `]` first in a class (after an optional `^`) is literal.
                if chars.peek() == Some(&'^') {
                    out.extend(chars.next());
                }
                if chars.peek() == Some(&']') {
                    out.extend(chars.next());
                }
                continue;
            }
            // A POSIX class inside a class: `[[:alpha:]$]`.
            '[' if chars.peek() == Some(&':') => {
                out.push(c);
                while let Some(n) = chars.next() {
                    out.push(n);
                    if n == ':' && chars.peek() == Some(&']') {
                        out.extend(chars.next());
                        break;
                    }
                }
                continue;
            }
            ']' if in_class => in_class = false,
            '$' if !in_class => {
                out.push_str("\\z");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}
