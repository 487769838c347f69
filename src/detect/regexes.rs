//! The pcre expressions of a rule set, compiled once each.
//!
//! Compiling (with PCRE2's JIT) is a tenth of a rule load: ET Open has about
//! 9,000 pcre keywords. [`RegexTable::prepare`] compiles every distinct
//! expression of the rules on several threads before the signatures are
//! built one by one; signatures that use the same expression (with the
//! same modifiers) share one compiled regex.

use std::collections::HashMap;

use crate::rules::{Item, Pcre, Rule};

/// The pcre keyword with only what decides its compiled regex: the
/// modifiers that act on how the program runs it (`!`, `R`, `A`, `B`) are
/// cleared, so keywords that differ only there share one regex.
fn regex_key(p: &Pcre) -> Pcre {
    Pcre { negated: false, anchored: false, relative: false, rawbytes: false, ..p.clone() }
}

/// Compiled regexes that programs refer to by index.
#[derive(Default)]
pub struct RegexTable {
    regexes: Vec<pcre2::bytes::Regex>,
    /// Index in `regexes` of each expression, or why it did not compile.
    index: HashMap<Pcre, Result<usize, String>>,
}

impl RegexTable {
    /// A table with every distinct pcre of `rules` compiled, on `threads`
    /// threads.
    pub fn prepare(rules: &[Rule], threads: usize) -> RegexTable {
        let mut seen = std::collections::HashSet::new();
        let mut keys = Vec::new();
        for rule in rules {
            for b in &rule.buffers {
                collect(&b.items, &mut |p| {
                    let key = regex_key(p);
                    if seen.insert(key.clone()) {
                        keys.push(key);
                    }
                });
            }
        }
        let mut table = RegexTable::default();
        let compiled = crate::util::par::map_ordered(&keys, threads, compile_pcre);
        for (key, result) in keys.into_iter().zip(compiled) {
            let at = table.add(result);
            table.index.insert(key, at);
        }
        table
    }

    /// The index of `p`'s regex, compiling it if [`RegexTable::prepare`]
    /// did not see it.
    pub fn index_of(&mut self, p: &Pcre) -> Result<usize, String> {
        let key = regex_key(p);
        if let Some(known) = self.index.get(&key) {
            return known.clone();
        }
        let at = self.add(compile_pcre(&key));
        self.index.insert(key, at.clone());
        at
    }

    fn add(&mut self, compiled: Result<pcre2::bytes::Regex, String>) -> Result<usize, String> {
        compiled.map(|re| {
            self.regexes.push(re);
            self.regexes.len() - 1
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{parse_rule, Location, Vars};

    fn rule(opts: &str) -> Rule {
        let text = format!("alert tcp any any -> any any ({opts} sid:1;)");
        parse_rule(&text, &Vars::default(), Location { file: std::sync::Arc::from("t"), line: 1 }).expect(&text)
    }

    fn pcres(r: &Rule) -> Vec<Pcre> {
        let mut out = Vec::new();
        for b in &r.buffers {
            collect(&b.items, &mut |p| out.push(p.clone()));
        }
        out
    }

    #[test]
    fn one_regex_per_expression_and_compiling_modifiers() {
        let a = rule(r#"content:"x"; pcre:"/ab+c/"; pcre:"/ab+c/R"; pcre:!"/ab+c/"; pcre:"/ab+c/i";"#);
        let b = rule(r#"content:"y"; base64_decode; base64_data; pcre:"/ab+c/i"; pcre:"/[z/";"#);
        let mut table = RegexTable::prepare(&[a.clone(), b.clone()], 2);
        let ids: Vec<_> = pcres(&a).iter().chain(&pcres(&b)).map(|p| table.index_of(p)).collect();
        assert_eq!(ids[..5], [Ok(0), Ok(0), Ok(0), Ok(1), Ok(1)], "R and ! share the regex, i does not");
        assert!(ids[5].as_ref().is_err_and(|e| e.contains("[z")), "{:?}", ids[5]);
        // An expression the table was not prepared with is compiled then.
        let c = rule(r#"content:"z"; pcre:"/q{2}/s";"#);
        assert_eq!(table.index_of(&pcres(&c)[0]), Ok(2));
        let regexes = table.into_regexes();
        assert_eq!(regexes.len(), 3);
        assert!(regexes[1].is_match(b"xABBC").unwrap() && regexes[2].is_match(b"qq").unwrap());
    }
}
