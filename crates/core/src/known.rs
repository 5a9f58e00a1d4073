//! What the sender knows, indexed for the checks: the addresses they wrote to (from a history,
//! `crate::history`, or a plain list), grouped by domain, with their display names.
//!
//! Building is one pass over the entries (a table by address and one by domain); everything
//! else is built on first use and only where a draft needs it: a domain's neighbour index
//! when a recipient at that domain is checked, the known domains' lookalike references when
//! a recipient's domain is looked up, the name and local-part index when a recipient's
//! address is new. So a check costs no work proportional to the whole history per recipient.
//!
//! A history's text is read in place ([`KnownRecipients::from_history_text`]): the index keeps
//! the text and every contact is spans of it, so tens of thousands of entries cost no
//! allocation each; only an address not already in canonical form (upper case, an
//! internationalised domain, a quoted local part) or a name that needs cleaning is parsed and
//! its canonical form appended. The same text gives the same contacts as
//! `History::parse` followed by [`KnownRecipients::from_owned_history`] (`tests/known_index.rs`).

use std::borrow::Cow;
use std::hash::Hasher;
use std::sync::OnceLock;

use crate::address::{canonical_plain_at, parse_address, parse_mailbox, Address};
use crate::fast_hash::{FastHasher, FastMap};
use crate::history::{
    self, clean_name, entries_expected, is_clean_name, line_fields, History, HistorySummary,
    MAX_ENTRIES,
};
use crate::index::{extend_hash, str_within_one, string_hash, HashBuckets, NeighbourIndex};
use crate::lookalike::{ReferenceClass, ReferenceSet};

/// A domain with more known local parts than this gets a neighbour index; fewer are compared
/// one by one (cheaper than building an index).
const SCAN_AT_MOST: usize = 32;
/// At most this many contacts sharing one name token are compared with a recipient's name.
const NAME_CANDIDATES: usize = 256;
/// Names are compared on at most this many characters.
const NAME_CHARS: usize = 64;

/// One known address, as the checks see it (borrowed from the index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contact<'k> {
    /// Lower-cased local part.
    pub local: &'k str,
    /// The domain, canonical ASCII form.
    pub domain: &'k str,
    /// The domain's Unicode form, for messages, when it differs from `domain`.
    pub unicode_domain: Option<&'k str>,
    /// The display name (may be empty).
    pub name: &'k str,
    pub count: u32,
    pub last_day: u32,
}

impl Contact<'_> {
    /// `local@domain` as messages show it.
    pub fn display(&self) -> String {
        let domain = self.unicode_domain.unwrap_or(self.domain);
        format!("{}@{}", self.local, domain)
    }

    /// `local@domain` in canonical (ASCII) form.
    pub fn canonical(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }
}

/// Where a string is in [`KnownRecipients::text`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn of(text: &str, start: usize) -> Span {
        Span {
            start: start as u32,
            len: text.len() as u32,
        }
    }

    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// One known address, its strings as spans of the index's text.
#[derive(Debug, Clone, Copy)]
struct Entry {
    local: Span,
    domain: Span,
    unicode_domain: Option<Span>,
    name: Span,
    count: u32,
    last_day: u32,
}

/// The known contacts at one domain.
#[derive(Debug, Clone, Default)]
struct DomainContacts {
    domain: Span,
    ids: Vec<u32>,
    /// Over the local parts of `ids` (ids are positions in `ids`), built on first use.
    neighbours: OnceLock<NeighbourIndex>,
}

/// Ids by a 64-bit hash of their key (an address or a domain, kept in the index's text), so
/// that a table entry is 12 bytes and no allocation. A second key with the same hash (about
/// once in 10^10 histories of 20,000 addresses) goes to `collided`, searched one by one.
#[derive(Debug, Clone, Default)]
struct IdTable {
    first: FastMap<u64, u32>,
    collided: Vec<(u64, u32)>,
}

impl IdTable {
    fn with_capacity(n: usize) -> IdTable {
        IdTable {
            first: FastMap::with_capacity_and_hasher(n, Default::default()),
            collided: Vec::new(),
        }
    }

    /// The id filed under `hash` whose key `is_key` recognises.
    fn find(&self, hash: u64, is_key: impl Fn(u32) -> bool) -> Option<u32> {
        let &id = self.first.get(&hash)?;
        if is_key(id) {
            return Some(id);
        }
        (self.collided.iter())
            .find(|&&(h, id)| h == hash && is_key(id))
            .map(|&(_, id)| id)
    }

    /// Files a key that [`IdTable::find`] did not find.
    fn insert(&mut self, hash: u64, id: u32) {
        use std::collections::hash_map::Entry;
        match self.first.entry(hash) {
            Entry::Vacant(at) => {
                at.insert(id);
            }
            Entry::Occupied(_) => self.collided.push((hash, id)),
        }
    }
}

/// The hash an address is filed under: its lower-cased local part and canonical domain.
fn address_hash(local: &str, domain: &str) -> u64 {
    let mut hasher = FastHasher::default();
    hasher.write(local.as_bytes());
    hasher.write_u8(b'@');
    hasher.write(domain.as_bytes());
    hasher.finish()
}

/// The hash a domain is filed under.
fn domain_hash(domain: &str) -> u64 {
    let mut hasher = FastHasher::default();
    hasher.write(domain.as_bytes());
    hasher.finish()
}

/// The addresses the sender has written to before. Prepare once, reuse for many checks.
#[derive(Debug, Clone, Default)]
pub struct KnownRecipients {
    /// The strings of every contact: a history's text as given, then the canonical forms of
    /// the entries that were not already canonical there (and of a plain list's entries).
    text: String,
    entries: Vec<Entry>,
    /// Entry ids by address. (Fast hashes: keys come from the sender's own history and
    /// list; a draft's addresses are only looked up.)
    by_address: IdTable,
    /// The contacts of each known domain, and their positions by domain.
    domains: Vec<DomainContacts>,
    by_domain: IdTable,
    /// The known domains as lookalike references.
    references: OnceLock<ReferenceSet>,
    /// Contacts by the words of their names and by their local parts, each built on first use
    /// (hashes, not strings: no allocation per contact; a collision only adds a candidate that
    /// the comparison removes).
    names: OnceLock<HashBuckets>,
    locals: OnceLock<HashBuckets>,
    /// Whether a non-empty history was given (first-time recipients are only reported then).
    from_history: bool,
    /// What the history read held (entries, the latest day, unreadable lines).
    summary: HistorySummary,
    rejected: Vec<String>,
}

/// A history line's address as the index files it: spans of the text when the address was
/// canonical there, else its parsed canonical parts.
enum LineAddress {
    InPlace { local: Span, domain: Span },
    Parsed(Address),
}

impl KnownRecipients {
    /// Parses addresses (bare or `Name <addr>`); unparsable entries are kept in [`Self::rejected`].
    pub fn new<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> KnownRecipients {
        let mut known = KnownRecipients::default();
        known.add_list(entries);
        known
    }

    /// The index over a history's text form (`docs/history-format.md`) and a plain list,
    /// read in place: what a client holding the text calls, at a cold start with tens of
    /// thousands of entries. The same contacts, in the same order, as [`History::parse`]
    /// then [`KnownRecipients::from_owned_history`]; [`KnownRecipients::history_summary`]
    /// is the parsed history's summary.
    pub fn from_history_text<S: AsRef<str>>(
        text: String,
        list: impl IntoIterator<Item = S>,
    ) -> KnownRecipients {
        let expected = entries_expected(&text);
        let mut known = KnownRecipients {
            entries: Vec::with_capacity(expected),
            by_address: IdTable::with_capacity(expected),
            ..KnownRecipients::default()
        };
        // The text is read where it is; what needs a canonical form of its own is appended
        // to `known.text` meanwhile, and the two are joined at the end (appended spans count
        // from the end of the history's text).
        let base = text.len();
        let rejected = history::read_entry_lines(&text, |line| {
            known.entries.len() < MAX_ENTRIES && known.read_line(&text, base, line)
        });
        let appended = std::mem::replace(&mut known.text, text);
        known.text.push_str(&appended);
        known.summary = HistorySummary {
            entries: known.entries.len(),
            last_day: known.entries.iter().map(|e| e.last_day).max(),
            rejected,
        };
        known.from_history = !known.entries.is_empty();
        known.add_list(list);
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

    /// A parsed history and a plain list together. (A client holding the history's text
    /// calls [`KnownRecipients::from_history_text`] instead, which reads it in place.)
    pub fn from_owned_history<S: AsRef<str>>(
        history: History,
        list: impl IntoIterator<Item = S>,
    ) -> KnownRecipients {
        let mut known = KnownRecipients {
            entries: Vec::with_capacity(history.len()),
            by_address: IdTable::with_capacity(history.len()),
            summary: history.summary(),
            ..KnownRecipients::default()
        };
        // One entry per canonical address already: each is new here.
        for entry in history.entries() {
            known.add_new(
                &entry.address,
                &entry.name,
                entry.count,
                entry.last_day,
                Known::Keep,
            );
        }
        known.from_history = !known.entries.is_empty();
        known.add_list(list);
        known
    }

    /// Reads one history line of `text` (the history's text; `base` its length, where the
    /// appended strings start) into the index, merging it with an entry for the same
    /// address. Answers false for a line that is not an entry.
    // Not inlined: per-entry work in a small function that WebAssembly engines optimise
    // between calls (ARCHITECTURE.md, the invariant on whole-input loops).
    #[inline(never)]
    fn read_line(&mut self, text: &str, base: usize, line: &str) -> bool {
        let Some(fields) = line_fields(line) else {
            return false;
        };
        // Where a part of the line is in the text (an empty one, such as a missing name,
        // may be a string of its own: it is nowhere).
        let in_text = |part: &str| match part.is_empty() {
            true => Span::default(),
            false => Span::of(part, part.as_ptr() as usize - text.as_ptr() as usize),
        };
        let address = match canonical_plain_at(fields.address) {
            Some(at) => LineAddress::InPlace {
                local: in_text(&fields.address[..at]),
                domain: in_text(&fields.address[at + 1..]),
            },
            None => match parse_address(fields.address) {
                Ok(address) => LineAddress::Parsed(address),
                Err(_) => return false,
            },
        };
        let name = if is_clean_name(fields.name) {
            in_text(fields.name)
        } else {
            self.append(base, &clean_name(fields.name))
        };
        let (local, domain, unicode_domain) = match address {
            LineAddress::InPlace { local, domain } => (local, domain, None),
            LineAddress::Parsed(address) => self.append_address(base, &address),
        };
        let entry = Entry {
            local,
            domain,
            unicode_domain,
            name,
            count: fields.count,
            last_day: fields.last_day,
        };
        self.file(text, base, entry, Known::Merge);
        true
    }

    /// Adds a plain list's entries (bare or `Name <addr>`), each unless its address is known.
    fn add_list<S: AsRef<str>>(&mut self, entries: impl IntoIterator<Item = S>) {
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            match parse_mailbox(entry) {
                Ok(m) => {
                    let name = m.display_name.as_deref().unwrap_or("");
                    self.add_new(&m.address, name, 1, 0, Known::Keep);
                }
                Err(_) => self.rejected.push(entry.to_string()),
            }
        }
    }

    /// Adds a parsed address, its strings appended to the text.
    fn add_new(&mut self, address: &Address, name: &str, count: u32, last_day: u32, known: Known) {
        let (local, domain, unicode_domain) = self.append_address(0, address);
        let name = self.append(0, name);
        let entry = Entry {
            local,
            domain,
            unicode_domain,
            name,
            count,
            last_day,
        };
        self.file("", 0, entry, known);
    }

    /// Files an entry (its strings in place) under its address and its domain; for an
    /// address known already, `known` says what becomes of it. `text` and `base` are those of
    /// [`Self::str_at`].
    // Not inlined, like `read_line`.
    #[inline(never)]
    fn file(&mut self, text: &str, base: usize, entry: Entry, known: Known) {
        let (hash, id_known, domain_hash, domain_id) = {
            let local = self.str_at(text, base, entry.local);
            let domain = self.str_at(text, base, entry.domain);
            let hash = address_hash(local, domain);
            let id_known = self.by_address.find(hash, |id| {
                let e = &self.entries[id as usize];
                self.str_at(text, base, e.local) == local
                    && self.str_at(text, base, e.domain) == domain
            });
            let domain_hash = domain_hash(domain);
            let domain_id = id_known.is_none().then(|| {
                self.by_domain.find(domain_hash, |d| {
                    self.str_at(text, base, self.domains[d as usize].domain) == domain
                })
            });
            (hash, id_known, domain_hash, domain_id.flatten())
        };
        if let Some(id) = id_known {
            if known == Known::Merge {
                // The address given twice: counts added, the later day and a non-empty name kept.
                let e = &mut self.entries[id as usize];
                e.count = e.count.saturating_add(entry.count);
                e.last_day = e.last_day.max(entry.last_day);
                if e.name.len == 0 {
                    e.name = entry.name;
                }
            }
            return;
        }
        let id = self.entries.len() as u32;
        self.by_address.insert(hash, id);
        match domain_id {
            Some(d) => self.domains[d as usize].ids.push(id),
            None => {
                self.by_domain
                    .insert(domain_hash, self.domains.len() as u32);
                self.domains.push(DomainContacts {
                    domain: entry.domain,
                    ids: vec![id],
                    ..DomainContacts::default()
                });
            }
        }
        self.entries.push(entry);
    }

    /// Appends `s` to the text; `base` as in [`Self::str_at`].
    fn append(&mut self, base: usize, s: &str) -> Span {
        let span = Span::of(s, base + self.text.len());
        self.text.push_str(s);
        span
    }

    /// Appends an address's canonical parts: the lower-cased local part, the ASCII domain
    /// and its Unicode form where it differs.
    fn append_address(&mut self, base: usize, address: &Address) -> (Span, Span, Option<Span>) {
        let local = self.append(base, &address.local.to_lowercase());
        let domain = self.append(base, address.domain.as_str());
        let unicode = address.domain.unicode();
        let unicode_domain =
            (unicode != address.domain.as_str()).then(|| self.append(base, unicode));
        (local, domain, unicode_domain)
    }

    /// A span's string: within `text` below `base` (a history's text being read in place),
    /// in [`Self::text`] from `base` on (`base` 0 once the index is built).
    fn str_at<'a>(&'a self, text: &'a str, base: usize, span: Span) -> &'a str {
        let range = span.range();
        if range.start < base {
            &text[range]
        } else {
            &self.text[range.start - base..range.end - base]
        }
    }

    /// The contact with id `id`.
    fn contact_at(&self, id: u32) -> Contact<'_> {
        let e = &self.entries[id as usize];
        let at = |span: Span| &self.text[span.range()];
        Contact {
            local: at(e.local),
            domain: at(e.domain),
            unicode_domain: e.unicode_domain.map(at),
            name: at(e.name),
            count: e.count,
            last_day: e.last_day,
        }
    }

    /// Every contact, in the order first read or added.
    pub fn contacts(&self) -> impl Iterator<Item = Contact<'_>> + '_ {
        (0..self.entries.len() as u32).map(|id| self.contact_at(id))
    }

    /// The history's summary (entries, the latest day, lines that could not be read); empty
    /// without a history.
    pub fn history_summary(&self) -> HistorySummary {
        self.summary
    }

    /// Entries that were not addresses.
    pub fn rejected(&self) -> &[String] {
        &self.rejected
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether these came from a non-empty history (not only a plain list).
    pub fn has_history(&self) -> bool {
        self.from_history
    }

    pub fn knows(&self, address: &Address) -> bool {
        self.find(address).is_some()
    }

    /// The contact at exactly this address.
    pub fn contact(&self, address: &Address) -> Option<Contact<'_>> {
        self.find(address).map(|id| self.contact_at(id))
    }

    /// The id of the contact at this address.
    fn find(&self, address: &Address) -> Option<u32> {
        let local = &address.local;
        let local: Cow<str> = if local
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
        {
            Cow::Borrowed(local)
        } else {
            Cow::Owned(local.to_lowercase())
        };
        let domain = address.domain.as_str();
        self.by_address.find(address_hash(&local, domain), |id| {
            let e = &self.entries[id as usize];
            self.text[e.local.range()] == *local && &self.text[e.domain.range()] == domain
        })
    }

    /// The contacts at this (canonical) domain.
    fn at_domain(&self, domain: &str) -> Option<&DomainContacts> {
        let d = self.by_domain.find(domain_hash(domain), |d| {
            &self.text[self.domains[d as usize].domain.range()] == domain
        })?;
        Some(&self.domains[d as usize])
    }

    /// Whether any known address is at this (canonical) domain.
    pub fn knows_domain(&self, domain: &str) -> bool {
        self.at_domain(domain).is_some()
    }

    /// The known domains as lookalike references (built on first use).
    pub fn references(&self) -> &ReferenceSet {
        self.references.get_or_init(|| {
            let mut domains: Vec<&str> = (self.domains.iter())
                .map(|d| &self.text[d.domain.range()])
                .collect();
            // In a fixed order, so that ties between matches resolve alike everywhere.
            crate::order::sort_by(&mut domains, |a, b| a.cmp(b));
            ReferenceSet::build(
                domains
                    .into_iter()
                    .map(|d| (d.to_string(), ReferenceClass::Known)),
            )
        })
    }

    /// A known address at `domain` whose local part is one edit from `local` (lower-cased):
    /// the alphabetically first when there are several. Local parts shorter than 3 never match.
    pub fn neighbour(&self, local: &str, domain: &str) -> Option<Contact<'_>> {
        let at = self.at_domain(domain)?;
        let local_of = |id: u32| &self.text[self.entries[id as usize].local.range()];
        let matches = |id: &u32| {
            let k = local_of(*id);
            k != local && k.chars().count() >= 3 && str_within_one(k, local)
        };
        let found: Vec<u32> = if at.ids.len() <= SCAN_AT_MOST {
            at.ids.iter().copied().filter(matches).collect()
        } else {
            let index = at.neighbours.get_or_init(|| {
                let locals: Vec<&str> = at.ids.iter().map(|&id| local_of(id)).collect();
                NeighbourIndex::build(&locals)
            });
            (index.candidates(local).into_iter())
                .map(|i| at.ids[i as usize])
                .filter(matches)
                .collect()
        };
        (found.into_iter().map(|id| self.contact_at(id))).min_by(|a, b| a.local.cmp(b.local))
    }

    /// Known contacts whose name resembles `name` (Jaro-Winkler over the words in order of
    /// the alphabet, at least `threshold`), best first, with their similarity. Names of one
    /// word match nothing: too many people share one.
    pub fn similar_names(&self, name: &str, threshold: f64) -> Vec<(Contact<'_>, f64)> {
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
        let mut found: Vec<(Contact, f64)> = (ids.into_iter())
            .map(|id| self.contact_at(id))
            .filter_map(|c| {
                let key = name_key(c.name);
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
    pub fn same_local(&self, local: &str) -> Vec<Contact<'_>> {
        (self.locals().values(string_hash(local.as_bytes())))
            .map(|id| self.contact_at(id))
            .filter(|c| c.local == local)
            .collect()
    }

    /// Contacts by the hash of each word of their name, for names of two words or more (one
    /// word matches nothing, see [`KnownRecipients::similar_names`]); built on first use.
    fn names(&self) -> &HashBuckets {
        self.names.get_or_init(|| {
            let mut pairs = Vec::with_capacity(self.entries.len() * 2);
            let mut tokens = Vec::new();
            for (id, entry) in self.entries.iter().enumerate() {
                tokens.clear();
                name_token_hashes(&self.text[entry.name.range()], &mut tokens);
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
            HashBuckets::from_pairs((self.entries.iter().enumerate()).map(|(id, e)| {
                (
                    string_hash(self.text[e.local.range()].as_bytes()),
                    id as u32,
                )
            }))
        })
    }
}

/// What becomes of an entry for an address already known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// A history line given twice: merged into the first.
    Merge,
    /// A plain list's entry: the history's entry stays as it is.
    Keep,
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
