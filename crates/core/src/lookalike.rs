//! Lookalike domains: is a recipient's domain one slip away from a domain the sender means?
//!
//! Three matchers, cheapest first, over a set of reference domains built once per policy:
//! - one edit of the whole domain (omission, insertion, repetition, replacement incl. keyboard
//!   neighbours, vowel swaps and bit flips, transposition, hyphen, missing or extra dot, TLD
//!   edits such as `army.mil` → `army.ml`), through [`NeighbourIndex`];
//! - homoglyphs: the UTS #39 confusable skeleton (lower-cased) plus ASCII look-alikes
//!   (`rn`/`m`, `vv`/`w`, `cl`/`d`, `0`/`o`, `1`/`l`), compared exactly;
//! - the same name under another TLD, for the organisation's own and trusted domains only.
//!
//! Each is tried on the recipient's domain and on its parents (`mail.gmial.com` → `gmial.com`),
//! so the suggestion keeps the subdomain the sender typed.

use crate::domain::{parents, Domain};
use crate::fast_hash::FastMap;
use crate::index::{osa_within_one, NeighbourIndex};

/// Where a reference domain comes from; earlier variants win when several match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReferenceClass {
    Internal,
    SenderOwn,
    Trusted,
    Known,
    /// Extra reference domains from the policy.
    Protected,
    /// The built-in list of big mail providers.
    HighValue,
}

/// How a lookalike differs from the domain it imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resemblance {
    /// Look-alike characters (`rnicrosoft.com`, `paypa1.com`, Cyrillic `аpple.com`). Listed
    /// first: when a slip is both one edit and a homoglyph, the homoglyph is the better story.
    Homoglyph,
    /// One edit, only in the TLD (`army.ml` for `army.mil`).
    TldEdit,
    /// One edit elsewhere (`gmial.com`, `seibm.com`).
    OneEdit,
    /// The same name under another TLD (`army.gov` for `army.mil`).
    OtherTld,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookalike {
    /// The reference domain matched (e.g. `gmail.com`).
    pub reference: String,
    /// What the sender probably meant: the recipient's domain with the matched part replaced.
    pub suggestion: String,
    pub class: ReferenceClass,
    pub resemblance: Resemblance,
}

/// Reference domains with the indexes to match against them. Build once, query many times.
#[derive(Debug, Default, Clone)]
pub struct ReferenceSet {
    names: Vec<String>,
    classes: Vec<ReferenceClass>,
    index: NeighbourIndex,
    /// Skeleton → id, for names that differ from their skeleton.
    skeletons: FastMap<String, u32>,
    /// Name without TLD → id, for [`Resemblance::OtherTld`] (organisation domains only).
    stems: FastMap<String, u32>,
}

impl ReferenceSet {
    /// Builds the set. A domain listed under several classes keeps the first (strongest) one.
    pub fn build(entries: impl IntoIterator<Item = (String, ReferenceClass)>) -> ReferenceSet {
        // Sorted by name, then class: the first of each name is its strongest class. Ids follow
        // this order, so ties resolve the same way on every platform.
        let mut pairs: Vec<(String, ReferenceClass)> = entries.into_iter().collect();
        pairs.sort_unstable();
        pairs.dedup_by(|later, first| later.0 == first.0);
        let (names, classes): (Vec<String>, Vec<ReferenceClass>) = pairs.into_iter().unzip();
        let index = NeighbourIndex::build(&names);
        let mut skeletons = FastMap::default();
        let mut stems = FastMap::default();
        for (id, name) in names.iter().enumerate() {
            let id = id as u32;
            // Most names are their own skeleton; those are found by exact lookup instead.
            let skel = skeleton(name);
            if skel != *name {
                skeletons.entry(skel).or_insert(id);
            }
            if classes[id as usize] <= ReferenceClass::Trusted {
                if let Some((stem, _)) = name.rsplit_once('.') {
                    stems.entry(stem.to_string()).or_insert(id);
                }
            }
        }
        ReferenceSet {
            names,
            classes,
            index,
            skeletons,
            stems,
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Approximate heap bytes held (index, names, maps).
    pub fn heap_bytes(&self) -> usize {
        let names: usize = self.names.iter().map(|n| n.capacity() + 24).sum();
        let maps = (self.skeletons.len() + self.stems.len()) * 48 + names;
        self.index.heap_bytes() + names + maps + self.classes.capacity()
    }

    /// True when `domain` is one of the references or lies below one.
    pub fn covers(&self, domain: &str) -> bool {
        self.exact(domain).is_some() || parents(domain).any(|p| self.exact(p).is_some())
    }

    fn exact(&self, name: &str) -> Option<usize> {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).ok()
    }

    /// The reference `domain` most likely imitates, if any.
    pub fn find(&self, domain: &Domain) -> Option<Lookalike> {
        let full = domain.as_str();
        let mut best: Option<(u8, Lookalike)> = None;
        // The domain itself, then its parents; a match on a longer name is more specific.
        for (depth, query) in std::iter::once(full).chain(parents(full)).enumerate() {
            let prefix = &full[..full.len() - query.len()];
            for (id, resemblance) in self.matches(query) {
                let class = self.classes[id];
                let reference = &self.names[id];
                let rank = (class as u8) * 16 + (depth.min(3) as u8) * 4 + resemblance as u8;
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    let suggestion = format!("{prefix}{reference}");
                    best = Some((
                        rank,
                        Lookalike {
                            reference: reference.clone(),
                            suggestion,
                            class,
                            resemblance,
                        },
                    ));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    fn matches(&self, query: &str) -> Vec<(usize, Resemblance)> {
        let mut out = Vec::new();
        for id in self.index.candidates(query) {
            let name = &self.names[id as usize];
            if name != query
                && osa_within_one(name.as_bytes(), query.as_bytes())
                && long_enough(name)
            {
                out.push((id as usize, one_edit_kind(query, name)));
            }
        }
        // The lowest id among the names with this skeleton: one stored in the map, or a name
        // that is its own skeleton.
        let skel = skeleton(query);
        let stored = self.skeletons.get(&skel).map(|&id| id as usize);
        if let Some(id) = stored.into_iter().chain(self.exact(&skel)).min() {
            if self.names[id] != query {
                out.push((id, Resemblance::Homoglyph));
            }
        }
        if let Some((stem, _)) = query.rsplit_once('.') {
            if let Some(&id) = self.stems.get(stem) {
                if self.names[id as usize] != query && long_enough(&self.names[id as usize]) {
                    out.push((id as usize, Resemblance::OtherTld));
                }
            }
        }
        out
    }
}

/// One-edit matches on very short names (`x.com`, `me.com`) hit too many real domains.
fn long_enough(reference: &str) -> bool {
    reference.len() >= 6
}

fn one_edit_kind(typed: &str, reference: &str) -> Resemblance {
    let stem = |d: &str| d.rsplit_once('.').map(|(s, _)| s.to_string());
    if stem(typed) == stem(reference) {
        Resemblance::TldEdit
    } else {
        Resemblance::OneEdit
    }
}

/// The confusable skeleton of a domain: each character that looks like ASCII replaced by what
/// it looks like (UTS #39 confusables, `data/confusables-ascii.tsv`), lower-cased, then ASCII
/// look-alike sequences folded (`rn`→`m`, `vv`→`w`, `cl`→`d`, `0`→`o`, `1`→`l`).
///
/// Only look-alikes of ASCII are kept from UTS #39: the references worth imitating are ASCII
/// domains, and the full tables (with their normalisation data) would add over 100 KB to the
/// WebAssembly build that every send loads.
pub fn skeleton(ascii_domain: &str) -> String {
    // Only punycode labels can hold non-ASCII characters; plain ASCII skips IDNA entirely.
    let uts39: String = if !ascii_domain.contains("xn--") {
        ascii_domain.to_string()
    } else {
        let (unicode, _) = idna::domain_to_unicode(ascii_domain);
        let mut out = String::with_capacity(unicode.len());
        for c in unicode.chars() {
            match ascii_lookalike(c) {
                Some(prototype) => out.push_str(prototype),
                None => out.push(c),
            }
        }
        out
    };
    let lower = uts39.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let folded = match (c, next) {
            ('r', Some('n')) => Some('m'),
            ('v', Some('v')) => Some('w'),
            ('c', Some('l')) => Some('d'),
            _ => None,
        };
        if let Some(f) = folded {
            chars.next();
            out.push(f);
            continue;
        }
        out.push(match c {
            '0' => 'o',
            '1' => 'l',
            'ı' => 'i',
            c => c,
        });
    }
    out
}

const CONFUSABLES_ASCII: &str = include_str!("../data/confusables-ascii.tsv");

/// What a non-ASCII character looks like in ASCII, if it looks like ASCII at all.
fn ascii_lookalike(c: char) -> Option<&'static str> {
    static TABLE: std::sync::OnceLock<Vec<(char, &'static str)>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        CONFUSABLES_ASCII
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (code, looks) = l.split_once('\t')?;
                Some((char::from_u32(u32::from_str_radix(code, 16).ok()?)?, looks))
            })
            .collect()
    });
    table
        .binary_search_by_key(&c, |&(k, _)| k)
        .ok()
        .map(|i| table[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> ReferenceSet {
        ReferenceSet::build([
            ("army.mil".to_string(), ReferenceClass::Internal),
            ("se.ibm.com".to_string(), ReferenceClass::Trusted),
            ("gmail.com".to_string(), ReferenceClass::HighValue),
            ("microsoft.com".to_string(), ReferenceClass::HighValue),
            ("apple.com".to_string(), ReferenceClass::HighValue),
        ])
    }

    fn find(s: &ReferenceSet, d: &str) -> Option<(String, Resemblance)> {
        s.find(&Domain::parse(d).unwrap())
            .map(|l| (l.suggestion, l.resemblance))
    }

    #[test]
    fn finds_each_kind() {
        let s = set();
        assert_eq!(
            find(&s, "army.ml"),
            Some(("army.mil".into(), Resemblance::TldEdit))
        );
        assert_eq!(
            find(&s, "gmial.com"),
            Some(("gmail.com".into(), Resemblance::OneEdit))
        );
        assert_eq!(
            find(&s, "seibm.com"),
            Some(("se.ibm.com".into(), Resemblance::OneEdit))
        );
        assert_eq!(
            find(&s, "rnicrosoft.com"),
            Some(("microsoft.com".into(), Resemblance::Homoglyph))
        );
        assert_eq!(
            find(&s, "аррӏе.com"),
            Some(("apple.com".into(), Resemblance::Homoglyph))
        );
        assert_eq!(
            find(&s, "army.gov"),
            Some(("army.mil".into(), Resemblance::OtherTld))
        );
        assert_eq!(
            find(&s, "mail.gmial.com"),
            Some(("mail.gmail.com".into(), Resemblance::OneEdit))
        );
        assert_eq!(find(&s, "example.org"), None);
        assert_eq!(find(&s, "gmail.com"), None);
    }

    #[test]
    fn covers_subdomains() {
        let s = set();
        assert!(s.covers("army.mil") && s.covers("mail.army.mil") && !s.covers("notarmy.mil"));
    }
}
