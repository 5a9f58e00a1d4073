//! What the sender knows, indexed for the checks: the addresses they wrote to (from a history,
//! `crate::history`, or a plain list), grouped by domain, with their display names.
//!
//! Building is one pass over the entries (a map by address and one by domain); everything
//! else is built on first use and only where a draft needs it: a domain's neighbour index
//! when a recipient at that domain is checked, the known domains' lookalike references when
//! a recipient's domain is looked up, the name and local-part index when a recipient's
//! address is new. So a check costs no work proportional to the whole history per recipient.

use std::sync::OnceLock;

use crate::address::{parse_mailbox, Address};
use crate::fast_hash::FastMap;
use crate::history::{History, HistoryEntry};
use crate::index::{extend_hash, str_within_one, string_hash, HashBuckets, NeighbourIndex};
use crate::lookalike::{ReferenceClass, ReferenceSet};

/// A domain with more known local parts than this gets a neighbour index; fewer are compared
/// one by one (cheaper than building an index).
const SCAN_AT_MOST: usize = 32;
/// At most this many contacts sharing one name token are compared with a recipient's name.
const NAME_CANDIDATES: usize = 256;
/// Names are compared on at most this many characters.
const NAME_CHARS: usize = 64;

/// One known address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Lower-cased local part.
    pub local: String,
    /// The domain, canonical ASCII form.
    pub domain: String,
    /// The domain's Unicode form, for messages, when it differs from `domain`.
    pub unicode_domain: Option<String>,
    /// The display name (may be empty).
    pub name: String,
    pub count: u32,
    pub last_day: u32,
}

impl Contact {
    /// `local@domain` as messages show it.
    pub fn display(&self) -> String {
        let domain = self.unicode_domain.as_deref().unwrap_or(&self.domain);
        format!("{}@{}", self.local, domain)
    }

    /// `local@domain` in canonical (ASCII) form.
    pub fn canonical(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }
}

/// The known contacts at one domain.
#[derive(Debug, Clone, Default)]
struct DomainContacts {
    ids: Vec<u32>,
    /// Over the local parts of `ids` (ids are positions in `ids`), built on first use.
    neighbours: OnceLock<NeighbourIndex>,
}

/// The addresses the sender has written to before. Prepare once, reuse for many checks.
#[derive(Debug, Clone, Default)]
pub struct KnownRecipients {
    contacts: Vec<Contact>,
    /// Canonical address → id. (Fast hashes: keys come from the sender's own history and
    /// list; a draft's addresses are only looked up.)
    by_address: FastMap<String, usize>,
    /// Canonical domain → its contacts.
    domains: FastMap<String, DomainContacts>,
    /// The known domains as lookalike references.
    references: OnceLock<ReferenceSet>,
    /// Contacts by the words of their names and by their local parts, each built on first use
    /// (hashes, not strings: no allocation per contact; a collision only adds a candidate that
    /// the comparison removes).
    names: OnceLock<HashBuckets>,
    locals: OnceLock<HashBuckets>,
    /// Whether a non-empty history was given (first-time recipients are only reported then).
    from_history: bool,
    rejected: Vec<String>,
}

impl KnownRecipients {
    /// Parses addresses (bare or `Name <addr>`); unparsable entries are kept in [`Self::rejected`].
    pub fn new<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> KnownRecipients {
        let mut known = KnownRecipients::default();
        known.add_list(entries);
        known
    }

    /// The index over a history (a copy of it: see [`KnownRecipients::from_owned_history`]).
    pub fn from_history(history: &History) -> KnownRecipients {
        KnownRecipients::from_owned_history(history.clone(), std::iter::empty::<&str>())
    }

    /// A history and a plain list together (the check context's `history` and `known`).
    pub fn from_history_and_list<S: AsRef<str>>(
        history: &History,
        list: impl IntoIterator<Item = S>,
    ) -> KnownRecipients {
        KnownRecipients::from_owned_history(history.clone(), list)
    }

    /// A history and a plain list together, the history's entries and address map taken as
    /// they are (nothing copied or hashed again): what a client that parsed the history only
    /// for this index calls, at a cold start with tens of thousands of entries.
    pub fn from_owned_history<S: AsRef<str>>(
        history: History,
        list: impl IntoIterator<Item = S>,
    ) -> KnownRecipients {
        let (entries, positions) = history.into_parts();
        let mut known = KnownRecipients {
            contacts: Vec::with_capacity(entries.len()),
            // The history holds one entry per canonical address, in order: its positions are
            // the contacts' ids.
            by_address: positions,
            ..KnownRecipients::default()
        };
        for entry in entries {
            known.add_contact(contact_of(entry));
        }
        known.from_history = !known.contacts.is_empty();
        known.add_list(list);
        known
    }

    fn add_list<S: AsRef<str>>(&mut self, entries: impl IntoIterator<Item = S>) {
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            match parse_mailbox(entry) {
                Ok(m) => self.add(&m.address, m.display_name.as_deref().unwrap_or(""), 1, 0),
                Err(_) => self.rejected.push(entry.to_string()),
            }
        }
    }

    /// Adds a list entry unless its address is known already.
    fn add(&mut self, address: &Address, name: &str, count: u32, last_day: u32) {
        let canonical = address.canonical();
        if self.by_address.contains_key(&canonical) {
            return;
        }
        self.by_address.insert(canonical, self.contacts.len());
        self.add_contact(Contact {
            local: address.local.to_lowercase(),
            domain: address.domain.as_str().to_string(),
            unicode_domain: (address.domain.unicode() != address.domain.as_str())
                .then(|| address.domain.unicode().to_string()),
            name: name.to_string(),
            count,
            last_day,
        });
    }

    /// Files a contact (already in `by_address`) under its domain.
    // Not inlined: per-entry work in a small function that WebAssembly engines optimise
    // between calls (ARCHITECTURE.md, the invariant on whole-input loops).
    #[inline(never)]
    fn add_contact(&mut self, contact: Contact) {
        let id = self.contacts.len() as u32;
        match self.domains.get_mut(&contact.domain) {
            Some(at) => at.ids.push(id),
            None => {
                let at = DomainContacts {
                    ids: vec![id],
                    ..DomainContacts::default()
                };
                self.domains.insert(contact.domain.clone(), at);
            }
        }
        self.contacts.push(contact);
    }

    /// Entries that were not addresses.
    pub fn rejected(&self) -> &[String] {
        &self.rejected
    }

    pub fn len(&self) -> usize {
        self.contacts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
    }

    /// Whether these came from a non-empty history (not only a plain list).
    pub fn has_history(&self) -> bool {
        self.from_history
    }

    pub fn knows(&self, address: &Address) -> bool {
        self.by_address.contains_key(&address.canonical())
    }

    /// The contact at exactly this address.
    pub fn contact(&self, address: &Address) -> Option<&Contact> {
        (self.by_address.get(&address.canonical())).map(|&id| &self.contacts[id])
    }

    /// Whether any known address is at this (canonical) domain.
    pub fn knows_domain(&self, domain: &str) -> bool {
        self.domains.contains_key(domain)
    }

    /// The known domains as lookalike references (built on first use).
    pub fn references(&self) -> &ReferenceSet {
        self.references.get_or_init(|| {
            let mut domains: Vec<&String> = self.domains.keys().collect();
            // In a fixed order, so that ties between matches resolve alike everywhere.
            crate::order::sort_by(&mut domains, |a, b| a.cmp(b));
            ReferenceSet::build(
                domains
                    .into_iter()
                    .map(|d| (d.clone(), ReferenceClass::Known)),
            )
        })
    }

    /// A known address at `domain` whose local part is one edit from `local` (lower-cased):
    /// the alphabetically first when there are several. Local parts shorter than 3 never match.
    pub fn neighbour(&self, local: &str, domain: &str) -> Option<&Contact> {
        let at = self.domains.get(domain)?;
        let matches = |id: &u32| {
            let k = &self.contacts[*id as usize].local;
            *k != local && k.chars().count() >= 3 && str_within_one(k, local)
        };
        let found: Vec<u32> = if at.ids.len() <= SCAN_AT_MOST {
            at.ids.iter().copied().filter(matches).collect()
        } else {
            let index = at.neighbours.get_or_init(|| self.domain_index(&at.ids));
            (index.candidates(local).into_iter())
                .map(|i| at.ids[i as usize])
                .filter(matches)
                .collect()
        };
        (found.into_iter().map(|id| &self.contacts[id as usize]))
            .min_by(|a, b| a.local.cmp(&b.local))
    }

    fn domain_index(&self, ids: &[u32]) -> NeighbourIndex {
        let locals: Vec<&str> = (ids.iter())
            .map(|&id| self.contacts[id as usize].local.as_str())
            .collect();
        NeighbourIndex::build(&locals)
    }

    /// Known contacts whose name resembles `name` (Jaro-Winkler over the words in order of
    /// the alphabet, at least `threshold`), best first, with their similarity. Names of one
    /// word match nothing: too many people share one.
    pub fn similar_names(&self, name: &str, threshold: f64) -> Vec<(&Contact, f64)> {
        let query = name_key(name);
        if query.split(' ').count() < 2 {
            return Vec::new();
        }
        let index = self.names();
        let mut ids: Vec<u32> = (query.split(' '))
            .flat_map(|token| {
                index
                    .values(string_hash(token.as_bytes()))
                    .take(NAME_CANDIDATES)
            })
            .collect();
        crate::order::sort_by_key(&mut ids, |&id| (u64::from(id), 0));
        ids.dedup();
        let mut found: Vec<(&Contact, f64)> = (ids.into_iter())
            .map(|id| &self.contacts[id as usize])
            .filter_map(|c| {
                let key = name_key(&c.name);
                let similarity = strsim::jaro_winkler(&query, &key);
                (key.contains(' ') && similarity >= threshold).then_some((c, similarity))
            })
            .collect();
        crate::order::sort_by(&mut found, |(a, sa), (b, sb)| {
            (sb.total_cmp(sa))
                .then(b.last_day.cmp(&a.last_day))
                .then(b.count.cmp(&a.count))
                .then(a.canonical().cmp(&b.canonical()))
        });
        found
    }

    /// Known contacts with this (lower-cased) local part, at any domain.
    pub fn same_local(&self, local: &str) -> Vec<&Contact> {
        (self.locals().values(string_hash(local.as_bytes())))
            .map(|id| &self.contacts[id as usize])
            .filter(|c| c.local == local)
            .collect()
    }

    /// Contacts by the hash of each word of their name, for names of two words or more (one
    /// word matches nothing, see [`KnownRecipients::similar_names`]); built on first use.
    fn names(&self) -> &HashBuckets {
        self.names.get_or_init(|| {
            let mut pairs = Vec::with_capacity(self.contacts.len() * 2);
            let mut tokens = Vec::new();
            for (id, contact) in self.contacts.iter().enumerate() {
                tokens.clear();
                name_token_hashes(&contact.name, &mut tokens);
                if tokens.len() >= 2 {
                    pairs.extend(tokens.iter().map(|&h| (h, id as u32)));
                }
            }
            HashBuckets::from_pairs(pairs.into_iter())
        })
    }

    /// Contacts by the hash of their local part; built on first use (only a personal local
    /// part or a reply's fix looks there).
    fn locals(&self) -> &HashBuckets {
        self.locals.get_or_init(|| {
            HashBuckets::from_pairs(
                (self.contacts.iter().enumerate())
                    .map(|(id, c)| (string_hash(c.local.as_bytes()), id as u32)),
            )
        })
    }
}

/// Splits a name into the words [`name_key`] keeps (without sorting or removing repeats).
fn words(name: &str) -> impl Iterator<Item = &str> {
    let name = match name.char_indices().nth(NAME_CHARS) {
        Some((cut, _)) => &name[..cut],
        None => name,
    };
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// A history entry as a contact, its strings moved, not copied.
#[inline(never)]
fn contact_of(entry: HistoryEntry) -> Contact {
    let HistoryEntry {
        address,
        count,
        last_day,
        name,
    } = entry;
    let (domain, unicode_domain) = address.domain.into_parts();
    let mut local = address.local;
    if local.is_ascii() {
        local.make_ascii_lowercase(); // as `to_lowercase` would, without a copy
    } else {
        local = local.to_lowercase();
    }
    Contact {
        local,
        domain,
        unicode_domain,
        name,
        count,
        last_day,
    }
}

/// The hash of each word of `name`, lower-cased as [`name_key`] lower-cases it, without
/// building the key (one pass, no allocation).
// Not inlined: per-contact work in a small function that WebAssembly engines optimise between
// calls (ARCHITECTURE.md, the invariant on whole-input loops).
#[inline(never)]
fn name_token_hashes(name: &str, out: &mut Vec<u32>) {
    if name.is_ascii() {
        // The usual case, byte by byte: the same words and hashes as below (an ASCII
        // character is alphanumeric, and lower-cases, as its byte does).
        let name = &name.as_bytes()[..name.len().min(NAME_CHARS)];
        for word in name
            .split(|b| !b.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            out.push(
                word.iter()
                    .fold(0, |hash, &b| extend_hash(hash, b.to_ascii_lowercase())),
            );
        }
        return;
    }
    for word in words(name) {
        let mut hash = 0;
        let mut utf8 = [0u8; 4];
        for c in word.chars().flat_map(char::to_lowercase) {
            for &b in c.encode_utf8(&mut utf8).as_bytes() {
                hash = extend_hash(hash, b);
            }
        }
        out.push(hash);
    }
}

/// A name as compared: lower-case words of letters and digits, sorted, joined by one space
/// (`Smith, John` and `John Smith` are the same name), on at most [`NAME_CHARS`] characters.
pub fn name_key(name: &str) -> String {
    let lower: String = name
        .chars()
        .take(NAME_CHARS)
        .flat_map(char::to_lowercase)
        .collect();
    let mut words: Vec<&str> = (lower.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    crate::order::sort_by(&mut words, |a, b| a.cmp(b));
    words.dedup();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownRecipients {
        let history = History::parse(
            "john.smith@lockheedmartin.com\t12\t20400\tJohn Smith\n\
             ann@acme.com\t1\t20300\tAnn Lee\n\
             j.smith@gmail.com\t1\t20000\tSmith, John\n",
        );
        KnownRecipients::from_history(&history)
    }

    #[test]
    fn indexes_a_history() {
        let k = known();
        assert!(k.has_history());
        assert_eq!(k.len(), 3);
        assert!(k.knows_domain("acme.com"));
        let jon = parse_mailbox("jon.smith@lockheedmartin.com")
            .unwrap()
            .address;
        assert!(!k.knows(&jon));
        let n = k.neighbour("jon.smith", "lockheedmartin.com").unwrap();
        assert_eq!(n.display(), "john.smith@lockheedmartin.com");
        assert!(!KnownRecipients::new(["a@b.com"]).has_history());
    }

    #[test]
    fn large_domains_use_an_index_with_the_same_answers() {
        let locals: Vec<String> = (0..100).map(|i| format!("user{i}")).collect();
        let list: Vec<String> = locals.iter().map(|l| format!("{l}@big.com")).collect();
        let k = KnownRecipients::new(&list);
        assert_eq!(k.neighbour("usr42", "big.com").unwrap().local, "user42");
        assert_eq!(k.neighbour("user1x", "big.com").unwrap().local, "user1");
        assert!(k.neighbour("someone", "big.com").is_none());
    }

    #[test]
    fn names_match_by_words_in_any_order() {
        let k = known();
        let found = k.similar_names("Jon Smith", 0.9);
        let addresses: Vec<String> = found.iter().map(|(c, _)| c.display()).collect();
        assert_eq!(
            addresses,
            ["john.smith@lockheedmartin.com", "j.smith@gmail.com"]
        );
        assert!(k.similar_names("Smith", 0.9).is_empty());
        assert!(k.similar_names("Ann Lee", 0.9)[0].1 > 0.99);
        assert_eq!(name_key("Smith,  JOHN"), "john smith");
        assert_eq!(k.same_local("ann").len(), 1);
    }
}
