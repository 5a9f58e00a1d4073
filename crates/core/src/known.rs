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
//! allocation each. The usual line (a canonical address, `history/usual.rs`) is read in one
//! pass; any other (upper case, an internationalised domain, a quoted local part, a CR) is
//! parsed, its canonical form appended, as is a name that needs cleaning. The same text gives
//! the same contacts as `History::parse` followed by
//! [`KnownRecipients::from_owned_history`] (`tests/known_index.rs`).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use crate::address::{parse_address, parse_mailbox, Address};
use crate::domain::is_canonical_plain;
use crate::history::{
    self, clean_name, entries_expected, is_clean_name, line_fields, usual_line, History,
    HistorySummary, Line, LineReader, MAX_ENTRIES,
};
use crate::index::{extend_hash, str_within_one, string_hash, HashBuckets, NeighbourIndex};
use crate::key_hash::{key_hash, mix};
use crate::lookalike::{ReferenceClass, ReferenceSet};

/// A domain with more known local parts than this gets a neighbour index; fewer are compared
/// one by one (cheaper than building an index).
const SCAN_AT_MOST: usize = 32;
/// At most this many contacts sharing one name token are compared with a recipient's name.
const NAME_CANDIDATES: usize = 256;
/// Names are compared on at most this many characters.
const NAME_CHARS: usize = 64;

/// The longest history text the index keeps whole (its spans are 32-bit, and strings may be
/// appended after it).
const MAX_KEPT_BYTES: usize = u32::MAX as usize / 2;

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

    /// The span of a range of the text; an empty one is nowhere, as in [`Span::default`].
    fn at(range: Range<usize>) -> Span {
        match range.is_empty() {
            true => Span::default(),
            false => Span {
                start: range.start as u32,
                len: range.len() as u32,
            },
        }
    }

    fn range(self) -> Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// One known address, its strings as spans of the index's text.
#[derive(Debug, Clone, Copy)]
struct Entry {
    local: Span,
    /// Its domain's position in [`KnownRecipients::domains`].
    domain: u32,
    name: Span,
    count: u32,
    last_day: u32,
    /// The id of the contact at the same domain filed before this one, or [`NO_ID`].
    previous_at_domain: u32,
}

/// No contact: the end of a domain's chain of contacts.
const NO_ID: u32 = u32::MAX;

/// The known contacts at one domain.
#[derive(Debug, Clone)]
struct DomainContacts {
    /// [`domain_hash`] of `domain`.
    hash: u64,
    /// The domain (canonical ASCII form) and its Unicode form where it differs.
    domain: Span,
    unicode_domain: Option<Span>,
    /// The id of the contact filed last here (the others follow through
    /// [`Entry::previous_at_domain`]: a chain through the entries instead of a list per
    /// domain, whose thousands of small allocations took 5% of a history's read on
    /// WebAssembly's baseline tier), or [`NO_ID`]; and how many there are.
    last: u32,
    len: u32,
    /// The contacts' ids and an index over their local parts (ids are positions in that
    /// list), built on first use by a domain with many contacts.
    neighbours: OnceLock<(Vec<u32>, NeighbourIndex)>,
}

/// Ids by a 64-bit hash of their key (an address or a domain, kept in the index's text): an
/// open-addressing table whose slots hold an id and the top half of its key's hash, so that
/// filing an entry costs no allocation and a probe reads a key only when the hashes agree.
/// (Simpler than a general hash map, and faster in WebAssembly, where a history's twenty
/// thousand entries are filed at a cold start.)
#[derive(Debug, Clone, Default)]
struct IdTable {
    /// `hash >> 32 << 32 | (1 + id)`, or 0 for an empty slot; a power of two long, at most
    /// half full.
    slots: Vec<u64>,
    len: usize,
}

impl IdTable {
    fn with_capacity(n: usize) -> IdTable {
        IdTable {
            slots: vec![0; (2 * n).next_power_of_two().max(8)],
            len: 0,
        }
    }

    /// The id filed under `hash` whose key `is_key` recognises.
    fn find(&self, hash: u64, is_key: impl Fn(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = (hash >> 32) as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return None;
            }
            let id = (slot as u32).wrapping_sub(1);
            if slot >> 32 == hash >> 32 && is_key(id) {
                return Some(id);
            }
            at = (at + 1) & mask;
        }
    }

    /// The id filed under `hash` whose key `is_key` recognises, or else the empty slot where
    /// an id for that key goes ([`IdTable::fill`]): a look-up then an insertion in one probe.
    /// (The table first grows if it could not take one more id.)
    fn find_or_vacancy(&mut self, hash: u64, is_key: impl Fn(u32) -> bool) -> Result<u32, usize> {
        self.make_room();
        let mask = self.slots.len() - 1;
        let mut at = (hash >> 32) as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return Err(at);
            }
            let id = (slot as u32).wrapping_sub(1);
            if slot >> 32 == hash >> 32 && is_key(id) {
                return Ok(id);
            }
            at = (at + 1) & mask;
        }
    }

    /// Files `id` under `hash` in the empty slot [`IdTable::find_or_vacancy`] gave (nothing
    /// filed since).
    fn fill(&mut self, vacancy: usize, hash: u64, id: u32) {
        self.slots[vacancy] = hash >> 32 << 32 | u64::from(id + 1);
        self.len += 1;
    }

    /// Files an id whose key [`IdTable::find`] did not find.
    fn insert(&mut self, hash: u64, id: u32) {
        self.make_room();
        self.place(hash >> 32 << 32 | u64::from(id + 1));
        self.len += 1;
    }

    /// Grows the table, if need be, so that it stays at most half full with one more id.
    #[inline]
    fn make_room(&mut self) {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
    }

    /// Doubles the table or more (apart from [`IdTable::make_room`], which runs per entry).
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let size = (4 * (self.len + 1)).next_power_of_two();
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        for slot in old.into_iter().filter(|&s| s != 0) {
            self.place(slot);
        }
    }

    /// Puts a slot's value in the first empty slot from where its hash starts.
    fn place(&mut self, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut at = (slot >> 32) as usize & mask;
        while self.slots[at] != 0 {
            at = (at + 1) & mask;
        }
        self.slots[at] = slot;
    }
}

/// The hash a domain is filed under.
fn domain_hash(domain: &str) -> u64 {
    key_hash(domain.as_bytes())
}

/// The hash an address is filed under: of its lower-cased local part's [`key_hash`] and its
/// canonical domain's (each computed once, for both tables).
fn address_hash(local_hash: u64, domain_hash: u64) -> u64 {
    mix(local_hash, domain_hash)
}

/// Whether two strings are equal, compared eight bytes at a time (`==` calls `memcmp`, a
/// byte loop in WebAssembly, for every domain a history's line names); the last few bytes of
/// a string of eight or more as the last eight, overlapping the word before.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().expect("8 bytes"));
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    if !x.by_ref().zip(y.by_ref()).all(|(p, q)| word(p) == word(q)) {
        return false;
    }
    match a.len() {
        0..8 => a == b,
        len => word(&a[len - 8..]) == word(&b[len - 8..]),
    }
}

/// The addresses the sender has written to before. Prepare once, reuse for many checks.
#[derive(Debug, Clone, Default)]
pub struct KnownRecipients {
    /// The strings of every contact: a history's text as given, then the canonical forms of
    /// the entries that were not already canonical there (and of a plain list's entries).
    text: String,
    /// How much of `text` is the history's text as given.
    history_len: usize,
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
        mut text: String,
        list: impl IntoIterator<Item = S>,
    ) -> KnownRecipients {
        if text.len() > MAX_KEPT_BYTES {
            // Spans are 32-bit. Only the first `history::MAX_BYTES` are read anyway; past
            // this (impossible in WebAssembly), the unread lines are not counted as rejected.
            let mut cut = history::MAX_BYTES;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
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
        let rejected = history::read_lines_with(
            &text,
            &mut InPlace {
                known: &mut known,
                text: &text,
                base,
            },
        );
        known.history_len = text.len();
        let appended = std::mem::replace(&mut known.text, text);
        known.text.push_str(&appended);
        // (`summary.last_day` was kept while reading: no second loop over the entries.)
        known.summary.entries = known.entries.len();
        known.summary.rejected = rejected;
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
    /// address: a line `read_usual_line` left (another atext character, upper case, an
    /// internationalised domain, a CR, the end of the text), its address parsed and its
    /// canonical parts appended. Answers false for a line that is not an entry.
    // Not inlined: per-entry work in a small function that WebAssembly engines optimise
    // between calls (ARCHITECTURE.md, the invariant on whole-input loops).
    #[inline(never)]
    fn read_line(&mut self, text: &str, base: usize, line: Line) -> bool {
        let Some(fields) = line_fields(line) else {
            return false;
        };
        let Ok(address) = parse_address(fields.address) else {
            return false;
        };
        let name = if fields.name.is_empty() {
            Span::default()
        } else if is_clean_name(fields.name) {
            let start = fields.name.as_ptr() as usize - text.as_ptr() as usize;
            Span::at(start..start + fields.name.len())
        } else {
            self.append_clean_name(base, fields.name)
        };
        let local = address.local.to_lowercase();
        let entry = Entry {
            local: self.append(base, &local),
            domain: 0,
            name,
            count: fields.count,
            last_day: fields.last_day,
            previous_at_domain: NO_ID,
        };
        let filed = self.file_domain(text, base, &local, &address);
        self.file(text, base, entry, &local, filed, Known::Merge);
        self.summary.last_day = self.summary.last_day.max(Some(entry.last_day));
        true
    }

    /// Reads the line of `text` starting at `at` in one pass when it has the usual shape
    /// ([`history::usual_line`]) and its domain is filed already (its canonical form checked
    /// once, for its first address) or in canonical plain ASCII: its strings used where they
    /// are. Answers where the next line starts; `None` leaves the line to [`Self::read_line`],
    /// which reads it as the same entry. `base` as in [`Self::str_at`].
    // Not inlined, like `read_line`.
    #[inline(never)]
    fn read_usual_line(&mut self, text: &str, base: usize, at: usize) -> Option<usize> {
        if self.entries.len() >= MAX_ENTRIES {
            return None;
        }
        let line = usual_line(text, at)?;
        let domain = &text[line.domain.clone()];
        let domain_id = self.find_domain(text, base, line.domain_hash, domain);
        if domain_id.is_none() && !is_canonical_plain(domain) {
            return None;
        }
        let name = if line.name_is_clean {
            Span::at(line.name)
        } else {
            self.append_clean_name(base, &text[line.name])
        };
        let entry = Entry {
            local: Span::at(line.local.clone()),
            domain: 0,
            name,
            count: line.count,
            last_day: line.last_day,
            previous_at_domain: NO_ID,
        };
        let filed = Filed {
            local_hash: line.local_hash,
            domain_hash: line.domain_hash,
            at: domain_id.ok_or((Span::at(line.domain), None)),
        };
        self.file(text, base, entry, &text[line.local], filed, Known::Merge);
        self.summary.last_day = self.summary.last_day.max(Some(line.last_day));
        Some(line.next)
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
        let lower = address.local.to_lowercase();
        let entry = Entry {
            local: self.append(0, &lower),
            domain: 0,
            name: self.append(0, name),
            count,
            last_day,
            previous_at_domain: NO_ID,
        };
        let filed = self.file_domain("", 0, &lower, address);
        self.file("", 0, entry, &lower, filed, known);
    }

    /// Where a parsed address's domain is filed, or its canonical forms appended to the text
    /// for filing it (`local` its lower-cased local part).
    fn file_domain(&mut self, text: &str, base: usize, local: &str, address: &Address) -> Filed {
        let domain = address.domain.as_str();
        let domain_hash = domain_hash(domain);
        let at = match self.find_domain(text, base, domain_hash, domain) {
            Some(d) => Ok(d),
            None => {
                let span = self.append(base, domain);
                let unicode = address.domain.unicode();
                let unicode = (unicode != domain).then(|| self.append(base, unicode));
                Err((span, unicode))
            }
        };
        Filed {
            local_hash: key_hash(local.as_bytes()),
            domain_hash,
            at,
        }
    }

    /// The id of the domain filed as `domain` (`hash` its [`domain_hash`]); `text` and `base`
    /// are those of [`Self::str_at`].
    fn find_domain(&self, text: &str, base: usize, hash: u64, domain: &str) -> Option<u32> {
        self.by_domain.find(hash, |d| {
            let at = &self.domains[d as usize];
            at.hash == hash && same(self.str_at(text, base, at.domain), domain)
        })
    }

    /// Files an entry (its local part in place, `local` that string) under its address and
    /// its domain (`filed`); for an address known already, `known` says what becomes of it.
    /// `text` and `base` are those of [`Self::str_at`].
    // Not inlined, like `read_line`.
    #[inline(never)]
    fn file(
        &mut self,
        text: &str,
        base: usize,
        mut entry: Entry,
        local: &str,
        filed: Filed,
        known: Known,
    ) {
        let hash = address_hash(filed.local_hash, filed.domain_hash);
        let domain = match filed.at {
            Ok(d) => d,
            Err((span, unicode_domain)) => {
                let d = self.domains.len() as u32;
                self.by_domain.insert(filed.domain_hash, d);
                self.domains.push(DomainContacts {
                    hash: filed.domain_hash,
                    domain: span,
                    unicode_domain,
                    last: NO_ID,
                    len: 0,
                    neighbours: OnceLock::new(),
                });
                d
            }
        };
        entry.domain = domain;
        // (The table compares the top half of the addresses' hashes.) One probe finds the
        // address or where it goes.
        let (entries, own_text) = (&self.entries, &self.text);
        let id_known = self.by_address.find_or_vacancy(hash, |id| {
            let e = &entries[id as usize];
            // (Reached only when the top halves of two hashes agree: `==` is enough.)
            e.domain == domain && span_str(text, own_text, base, e.local) == local
        });
        let vacancy = match id_known {
            Ok(id) => {
                if known == Known::Merge {
                    // The address given twice: counts added, the later day and a non-empty
                    // name kept.
                    let e = &mut self.entries[id as usize];
                    e.count = e.count.saturating_add(entry.count);
                    e.last_day = e.last_day.max(entry.last_day);
                    if e.name.len == 0 {
                        e.name = entry.name;
                    }
                }
                return;
            }
            Err(vacancy) => vacancy,
        };
        let id = self.entries.len() as u32;
        self.by_address.fill(vacancy, hash, id);
        let at = &mut self.domains[domain as usize];
        entry.previous_at_domain = at.last;
        (at.last, at.len) = (id, at.len + 1);
        self.entries.push(entry);
    }

    /// Appends the name as stored ([`clean_name`]).
    #[inline(never)]
    fn append_clean_name(&mut self, base: usize, name: &str) -> Span {
        self.append(base, &clean_name(name))
    }

    /// Appends `s` to the text; `base` as in [`Self::str_at`].
    fn append(&mut self, base: usize, s: &str) -> Span {
        let span = Span::of(s, base + self.text.len());
        self.text.push_str(s);
        span
    }

    /// A span's string: within `text` below `base` (a history's text being read in place),
    /// in [`Self::text`] from `base` on (`base` 0 once the index is built).
    fn str_at<'a>(&'a self, text: &'a str, base: usize, span: Span) -> &'a str {
        span_str(text, &self.text, base, span)
    }

    /// The contact with id `id`.
    fn contact_at(&self, id: u32) -> Contact<'_> {
        let e = &self.entries[id as usize];
        let d = &self.domains[e.domain as usize];
        let at = |span: Span| &self.text[span.range()];
        Contact {
            local: at(e.local),
            domain: at(d.domain),
            unicode_domain: d.unicode_domain.map(at),
            name: at(e.name),
            count: e.count,
            last_day: e.last_day,
        }
    }

    /// Every contact, in the order first read or added.
    pub fn contacts(&self) -> impl Iterator<Item = Contact<'_>> + '_ {
        (0..self.entries.len() as u32).map(|id| self.contact_at(id))
    }

    /// The history's text as given to [`KnownRecipients::from_history_text`] (empty for an
    /// index built otherwise).
    pub fn history_text(&self) -> &str {
        &self.text[..self.history_len]
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
        let domain_hash = domain_hash(domain);
        let d = self.find_domain("", 0, domain_hash, domain)?;
        let hash = address_hash(key_hash(local.as_bytes()), domain_hash);
        self.by_address.find(hash, |id| {
            let e = &self.entries[id as usize];
            e.domain == d && self.text[e.local.range()] == *local
        })
    }

    /// The contacts at this (canonical) domain.
    fn at_domain(&self, domain: &str) -> Option<&DomainContacts> {
        let d = self.find_domain("", 0, domain_hash(domain), domain)?;
        Some(&self.domains[d as usize])
    }

    /// Whether any known address is at this (canonical) domain.
    pub fn knows_domain(&self, domain: &str) -> bool {
        self.at_domain(domain).is_some()
    }

    /// The known domains as lookalike references (built on first use).
    pub fn references(&self) -> &ReferenceSet {
        self.references.get_or_init(|| {
            // In the order first read: the history's, most useful first, so that between
            // equally good matches the domain the sender uses most wins, alike everywhere.
            // (Each domain is filed once: no name needs looking up before it is added.)
            let domains = (self.domains.iter()).map(|d| self.text[d.domain.range()].to_string());
            ReferenceSet::of_distinct(domains.collect(), ReferenceClass::Known)
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
        let found: Vec<u32> = if at.len as usize <= SCAN_AT_MOST {
            self.ids_at(at).filter(matches).collect()
        } else {
            let (ids, index) = at.neighbours.get_or_init(|| {
                let ids: Vec<u32> = self.ids_at(at).collect();
                let locals: Vec<&str> = ids.iter().map(|&id| local_of(id)).collect();
                (ids, NeighbourIndex::build(&locals))
            });
            (index.candidates(local).into_iter())
                .map(|i| ids[i as usize])
                .filter(matches)
                .collect()
        };
        (found.into_iter().map(|id| self.contact_at(id))).min_by(|a, b| a.local.cmp(b.local))
    }

    /// The ids of the contacts at a domain, the latest filed first.
    fn ids_at<'a>(&'a self, at: &DomainContacts) -> impl Iterator<Item = u32> + 'a {
        let mut next = at.last;
        std::iter::from_fn(move || {
            let id = next;
            next = self.entries.get(id as usize)?.previous_at_domain;
            Some(id)
        })
        .take(at.len as usize)
    }

    /// Known contacts whose name resembles `name` (Jaro-Winkler over the words in order of
    /// the alphabet, at least `threshold`), best first, with their similarity. Names of one
    /// word match nothing: too many people share one.
    pub fn similar_names(&self, name: &str, threshold: f64) -> Vec<(Contact<'_>, f64)> {
        // The candidates first, by the hashes of the name's words (as the index files them):
        // most recipients' names match no contact's word, and need no key built.
        let mut words = Vec::new();
        name_token_hashes(name, &mut words);
        if words.len() < 2 {
            return Vec::new();
        }
        let index = self.names();
        let mut ids: Vec<u32> = Vec::new();
        for (i, &word) in words.iter().enumerate() {
            if !words[..i].contains(&word) {
                ids.extend(index.values(word).take(NAME_CANDIDATES));
            }
        }
        // (Most names find no candidate: their key is not built.)
        if ids.is_empty() {
            return Vec::new();
        }
        let query = name_key(name);
        if query.split(' ').count() < 2 {
            return Vec::new();
        }
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
                // (Written out only for a tie: two strings per comparison otherwise.)
                .then_with(|| a.canonical().cmp(&b.canonical()))
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
            // Filed straight into the table (about two words a name), without a list of pairs
            // first: fresh memory is paid for page by page at a cold start.
            let mut index = HashBuckets::with_capacity(2 * self.entries.len());
            let mut words = Vec::new();
            for id in 0..self.entries.len() as u32 {
                self.name_words(id, &mut words, &mut index);
            }
            index
        })
    }

    /// Files contact `id` in `index` under the hash of each word of its name, for a name of
    /// two words or more (`words` is room to work in).
    // Not inlined: per-contact work (ARCHITECTURE.md, the invariant on whole-input loops).
    #[inline(never)]
    fn name_words(&self, id: u32, words: &mut Vec<u32>, index: &mut HashBuckets) {
        words.clear();
        name_token_hashes(&self.text[self.entries[id as usize].name.range()], words);
        if words.len() >= 2 {
            for &hash in words.iter() {
                index.insert(hash, id);
            }
        }
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

/// A history's text read in place into the index ([`KnownRecipients::from_history_text`]):
/// `text` the whole text, `base` its length.
struct InPlace<'k> {
    known: &'k mut KnownRecipients,
    text: &'k str,
    base: usize,
}

impl<'t> LineReader<'t> for InPlace<'_> {
    fn read_usual(&mut self, text: &'t str, at: usize) -> Option<usize> {
        // (`text` is the readable part of `self.text`, from its start: the same positions.)
        self.known.read_usual_line(text, self.base, at)
    }

    fn read(&mut self, line: Line<'t>) -> bool {
        self.known.entries.len() < MAX_ENTRIES && self.known.read_line(self.text, self.base, line)
    }
}

/// [`KnownRecipients::str_at`] of the index's text `own_text`.
fn span_str<'a>(text: &'a str, own_text: &'a str, base: usize, span: Span) -> &'a str {
    let range = span.range();
    if range.start < base {
        &text[range]
    } else {
        &own_text[range.start - base..range.end - base]
    }
}

/// An entry's hashes, and where its domain is filed: its id when filed already, else its
/// canonical form and Unicode form (where they differ) in the text, to file it under.
#[derive(Debug, Clone, Copy)]
struct Filed {
    /// [`key_hash`] of the lower-cased local part, and [`domain_hash`].
    local_hash: u64,
    domain_hash: u64,
    at: Result<u32, (Span, Option<Span>)>,
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
    if !ascii_token_hashes(name, out) {
        unicode_token_hashes(name, out);
    }
}

/// [`name_token_hashes`] of any name, character by character (apart: its Unicode case tables
/// would make the usual ASCII case a large function, slow to optimise).
#[inline(never)]
fn unicode_token_hashes(name: &str, out: &mut Vec<u32>) {
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

/// [`name_token_hashes`] of a name in ASCII (the usual case), in one loop over its bytes: the
/// same words and hashes (an ASCII character is alphanumeric, and lower-cases, as its byte
/// does). Answers false, with `out` as it was, for a name with other characters.
fn ascii_token_hashes(name: &str, out: &mut Vec<u32>) -> bool {
    let bytes = name.as_bytes();
    let start = out.len();
    let (mut hash, mut in_word) = (0, false);
    for &b in &bytes[..bytes.len().min(NAME_CHARS)] {
        match NAME_BYTES[b as usize] {
            SEPARATOR => {
                if in_word {
                    out.push(hash);
                    (hash, in_word) = (0, false);
                }
            }
            NOT_ASCII => {
                out.truncate(start);
                return false;
            }
            lower => {
                hash = extend_hash(hash, lower);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(hash);
    }
    // Past the characters compared, the rest must be ASCII too for these to be its words.
    bytes[bytes.len().min(NAME_CHARS)..].is_ascii() || {
        out.truncate(start);
        false
    }
}

/// What each byte is to [`ascii_token_hashes`]: a letter or digit as it hashes (lower case),
/// [`SEPARATOR`] for other ASCII, [`NOT_ASCII`] from 0x80 (one table lookup a byte).
const NAME_BYTES: [u8; 256] = {
    let mut table = [NOT_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            SEPARATOR
        };
        b += 1;
    }
    table
};
const SEPARATOR: u8 = 0;
const NOT_ASCII: u8 = 0x80;

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
    fn strings_compare_equal_only_when_equal() {
        let base = "lockheedmartin.co.uk.example";
        for len in 0..base.len() {
            let a = &base[..len];
            assert!(same(a, a));
            for at in 0..len {
                let mut other = a.as_bytes().to_vec();
                other[at] = b'#';
                assert!(
                    !same(a, std::str::from_utf8(&other).unwrap()),
                    "{a} at {at}"
                );
            }
            assert!(!same(a, &base[..len + 1]));
        }
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
    fn ascii_names_hash_as_their_words() {
        let long = format!("{} Tail", "x".repeat(70));
        for name in [
            "John Smith",
            "Smith,  JOHN",
            " a-b.c9 ",
            "",
            "--",
            &long,
            "Jos\u{e9} M",
        ] {
            let mut fast = Vec::new();
            name_token_hashes(name, &mut fast);
            let words: Vec<u32> = (words(name))
                .map(|w| string_hash(w.to_lowercase().as_bytes()))
                .collect();
            assert_eq!(fast, words, "{name:?}");
        }
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
