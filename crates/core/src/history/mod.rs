//! The sender's history: every address they wrote to (or imported from an address book), how
//! often, how recently and under which display name. The add-ins keep it on the device as
//! text and hand it back with each check; the engine reads it like the draft and never sends
//! it anywhere (it is input, never output). Format: `docs/history-format.md`.
//!
//! Reading is bounded ([`MAX_ENTRIES`], [`MAX_BYTES`], [`MAX_LINE_BYTES`]) and never fails: a
//! line that cannot be read is skipped and counted in [`History::rejected`], because the store
//! is the device's own and a corrupt line must not stop mail. Learning and trimming are here
//! too ([`learn`]), so that no client parses or ranks the text itself.

mod learn;

use serde::Serialize;

use crate::address::{parse_address, Address};
use crate::fast_hash::FastMap;

pub use learn::{LearnOptions, TrimOptions};

/// The first line of the text form.
pub const HEADER: &str = "#sendguard-history 1";
/// At most this many entries are read; the lines after them are rejected.
pub const MAX_ENTRIES: usize = 100_000;
/// At most this many bytes of text are read; the lines after them are rejected.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// A longer line is rejected (an address is at most 254 bytes; a name is cut to
/// [`MAX_NAME_CHARS`] when learnt).
pub const MAX_LINE_BYTES: usize = 1024;
/// Display names are kept to this many characters.
pub const MAX_NAME_CHARS: usize = 200;

/// One known address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub address: Address,
    /// How many times the sender wrote to it (0 for an address-book entry never written to).
    pub count: u32,
    /// Days since 1970-01-01 UTC of the last send or import that touched it.
    pub last_day: u32,
    /// The display name last seen with it, or empty.
    pub name: String,
}

impl HistoryEntry {
    /// `local@domain` as the text form writes it: lower-cased local part, Unicode domain.
    pub fn text_address(&self) -> String {
        format!(
            "{}@{}",
            self.address.local.to_lowercase(),
            self.address.domain.unicode()
        )
    }

    /// Most useful first: the most recent, then the most frequent, then by address (so that
    /// the order, and what a trim keeps, never depends on the order of the input).
    fn usefulness_order(&self, other: &HistoryEntry, keys: (&str, &str)) -> std::cmp::Ordering {
        (other.last_day, other.count, keys.0).cmp(&(self.last_day, self.count, keys.1))
    }
}

/// The history: entries, one per canonical address, and how many lines could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    entries: Vec<HistoryEntry>,
    /// Canonical address (`Address::canonical`) → position in `entries`.
    /// (A fast hash: the history is the device's own data, not an attacker's.)
    positions: FastMap<String, usize>,
    rejected: usize,
}

/// What the options page and the task pane show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HistorySummary {
    pub entries: usize,
    /// The most recent `last_day`, or `null` when the history is empty.
    pub last_day: Option<u32>,
    /// Lines that could not be read (including those beyond the bounds).
    pub rejected: usize,
}

impl History {
    /// Reads the text form. Never fails: unreadable lines, lines beyond [`MAX_ENTRIES`] or
    /// [`MAX_BYTES`], and every line of a text whose header names another version are
    /// counted in [`History::rejected`]. Comments (`#`) and blank lines are skipped; an
    /// address given twice is merged (counts added, the later day and a non-empty name kept).
    pub fn parse(text: &str) -> History {
        let expected = entries_expected(text);
        let mut history = History {
            entries: Vec::with_capacity(expected),
            positions: FastMap::with_capacity_and_hasher(expected, Default::default()),
            rejected: 0,
        };
        history.rejected = read_entry_lines(text, |line| {
            if history.entries.len() >= MAX_ENTRIES {
                return false;
            }
            match parse_line(line) {
                Some(entry) => history.merge(entry),
                None => return false,
            }
            true
        });
        history
    }

    /// The entries, in the order they were read or added.
    pub fn entries(&self) -> &[HistoryEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lines of the text that could not be read.
    pub fn rejected(&self) -> usize {
        self.rejected
    }

    /// The entry for an address (any spelling the engine reads as the same address).
    pub fn get(&self, address: &Address) -> Option<&HistoryEntry> {
        (self.positions.get(&address.canonical())).map(|&i| &self.entries[i])
    }

    pub fn summary(&self) -> HistorySummary {
        HistorySummary {
            entries: self.entries.len(),
            last_day: self.entries.iter().map(|e| e.last_day).max(),
            rejected: self.rejected,
        }
    }

    /// The text form: the header, then one line per entry, most useful first.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(HEADER.len() + 1 + self.entries.len() * 48);
        out.push_str(HEADER);
        out.push('\n');
        for entry in self.ranked() {
            out.push_str(&line_of(entry));
        }
        out
    }

    /// The entries, most useful first.
    fn ranked(&self) -> Vec<&HistoryEntry> {
        let mut keyed: Vec<(String, &HistoryEntry)> = (self.entries.iter())
            .map(|e| (e.address.canonical(), e))
            .collect();
        crate::order::sort_by(&mut keyed, |(ka, a), (kb, b)| {
            a.usefulness_order(b, (ka, kb))
        });
        keyed.into_iter().map(|(_, e)| e).collect()
    }

    /// Adds an entry, or merges it into the one for the same address.
    // Not inlined, like `parse_line`: per-entry work in small functions that WebAssembly
    // engines optimise between calls (ARCHITECTURE.md, the invariant on whole-input loops).
    #[inline(never)]
    fn merge(&mut self, entry: HistoryEntry) {
        use std::collections::hash_map::Entry;
        match self.positions.entry(entry.address.canonical()) {
            Entry::Occupied(at) => {
                let known = &mut self.entries[*at.get()];
                known.count = known.count.saturating_add(entry.count);
                known.last_day = known.last_day.max(entry.last_day);
                if known.name.is_empty() {
                    known.name = entry.name;
                }
            }
            Entry::Vacant(at) => {
                at.insert(self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    /// Keeps only `entries` (most useful first), rebuilding the positions.
    fn replace_entries(&mut self, entries: Vec<HistoryEntry>) {
        self.positions = (entries.iter().enumerate())
            .map(|(i, e)| (e.address.canonical(), i))
            .collect();
        self.entries = entries;
    }
}

/// One entry line as an entry, or `None`.
#[inline(never)]
fn parse_line(line: &str) -> Option<HistoryEntry> {
    let fields = line_fields(line)?;
    Some(HistoryEntry {
        address: parse_address(fields.address).ok()?,
        count: fields.count,
        last_day: fields.last_day,
        name: clean_name(fields.name),
    })
}

/// The fields of one entry line, borrowed from it; the address not yet read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineFields<'a> {
    /// Non-empty, without surrounding spaces.
    pub address: &'a str,
    pub count: u32,
    pub last_day: u32,
    /// As written: [`clean_name`] makes it the stored name.
    pub name: &'a str,
}

/// One entry line, `address<TAB>count<TAB>last_day[<TAB>name]`, cut into its fields, or `None`
/// when it has another shape (the one grammar of a line, for [`History::parse`] and the
/// known-recipient index that reads the text in place).
pub(crate) fn line_fields(line: &str) -> Option<LineFields<'_>> {
    if line.len() > MAX_LINE_BYTES {
        return None;
    }
    let (address, rest) = split_once_at(line, b'\t')?;
    let (count, rest) = split_once_at(rest, b'\t')?;
    let (day, name) = split_once_at(rest, b'\t').unwrap_or((rest, ""));
    if find_byte(name.as_bytes(), b'\t').is_some() || !is_trimmed(address) || address.is_empty() {
        return None;
    }
    Some(LineFields {
        address,
        count: parse_number(count)?,
        last_day: parse_number(day)?,
        name,
    })
}

/// Calls `read` with every line of `text` that would be an entry (not blank, not a comment,
/// its `\r` removed), in order; `read` answers whether it took the line. Answers the lines
/// rejected: those `read` refused, those beyond [`MAX_BYTES`], and every line of a text whose
/// header names another version (then `read` is never called).
pub(crate) fn read_entry_lines<'t>(text: &'t str, mut read: impl FnMut(&'t str) -> bool) -> usize {
    let (readable, beyond) = split_at_line_boundary(text, MAX_BYTES);
    let mut lines = Lines(readable);
    let first = lines.clone().find(|l| !is_blank(l));
    if first.is_some_and(is_other_version) {
        return count_entry_lines(text);
    }
    let mut rejected = count_entry_lines(beyond);
    for line in lines.by_ref() {
        if is_blank(line) || line.starts_with('#') {
            continue;
        }
        if !read(line) {
            rejected += 1;
        }
    }
    rejected
}

/// The lines of a text, each without its `\n` and a `\r` before it (`str::lines`, but a
/// lone `\r` at the end is removed too, and the search is [`find_byte`]'s).
#[derive(Clone)]
struct Lines<'t>(&'t str);

impl<'t> Iterator for Lines<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        let (line, rest) = match split_once_at(self.0, b'\n') {
            Some(cut) => cut,
            None if self.0.is_empty() => return None,
            None => (self.0, ""),
        };
        self.0 = rest;
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// Whether a line holds only white space.
fn is_blank(line: &str) -> bool {
    match line.as_bytes().first() {
        Some(&b) if b > b' ' && b < 0x80 => false, // the usual line, decided by its first byte
        _ => line.trim().is_empty(),
    }
}

/// Whether `s` has no white space at either end, `s.trim() == s` (the ASCII test first: a
/// history holds tens of thousands of fields).
fn is_trimmed(s: &str) -> bool {
    let visible = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    (visible(s.as_bytes().first()) && visible(s.as_bytes().last())) || s.trim().len() == s.len()
}

/// `s` cut at the first `byte` (ASCII), without it.
fn split_once_at(s: &str, byte: u8) -> Option<(&str, &str)> {
    let at = find_byte(s.as_bytes(), byte)?;
    // An ASCII byte is a character of its own: both cuts are on character boundaries.
    Some((&s[..at], &s[at + 1..]))
}

/// The position of the first `byte` in `haystack`, eight bytes at a time: a history is a
/// megabyte of short fields, and the word-at-a-time test is small enough for WebAssembly
/// engines to optimise after a few calls.
#[inline(never)]
pub(crate) fn find_byte(haystack: &[u8], byte: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let pattern = ONES * u64::from(byte);
    let mut words = haystack.chunks_exact(8);
    let mut start = 0;
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes")) ^ pattern;
        // The lowest byte flagged is the first zero byte of `x` (flags above it may be false).
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(start + zero.trailing_zeros() as usize / 8);
        }
        start += 8;
    }
    let rest = words.remainder().iter().position(|&b| b == byte)?;
    Some(start + rest)
}

/// About how many entries `text` holds, to reserve room for them without reading it (a count
/// of its newlines would be a byte loop over a megabyte on WebAssembly's first tier): a line
/// with a name takes 40 to 60 bytes; a history of shorter lines regrows its tables once or twice.
pub(crate) fn entries_expected(text: &str) -> usize {
    (text.len().min(MAX_BYTES) / 32 + 1).min(MAX_ENTRIES)
}

/// A decimal `u32`: digits only (no sign, no spaces).
fn parse_number(field: &str) -> Option<u32> {
    if field.is_empty() {
        return None;
    }
    (field.bytes()).try_fold(0u32, |n, b| match b {
        b'0'..=b'9' => n.checked_mul(10)?.checked_add(u32::from(b - b'0')),
        _ => None,
    })
}

/// A display name as stored: no TAB, CR or LF (they would break the line), trimmed, at most
/// [`MAX_NAME_CHARS`] characters.
pub fn clean_name(name: &str) -> String {
    if is_clean_name(name) {
        return name.to_string(); // the usual case: one copy
    }
    let cleaned: String = (name.chars())
        .map(|c| {
            if matches!(c, '\t' | '\r' | '\n') {
                ' '
            } else {
                c
            }
        })
        .take(MAX_NAME_CHARS)
        .collect();
    cleaned.trim().to_string()
}

/// Whether [`clean_name`] keeps `name` as it is.
pub(crate) fn is_clean_name(name: &str) -> bool {
    let clean = |b: &u8| !matches!(b, b'\t' | b'\r' | b'\n');
    name.len() <= MAX_NAME_CHARS && name.as_bytes().iter().all(clean) && is_trimmed(name)
}

/// One entry's line of the text form, with its newline.
fn line_of(entry: &HistoryEntry) -> String {
    format!(
        "{}\t{}\t{}\t{}\n",
        entry.text_address(),
        entry.count,
        entry.last_day,
        entry.name
    )
}

/// A header of this format naming a version this engine does not read.
fn is_other_version(line: &str) -> bool {
    line.strip_prefix("#sendguard-history")
        .is_some_and(|rest| rest.trim() != "1")
}

/// Lines that would be entries (not blank, not comments).
fn count_entry_lines(text: &str) -> usize {
    (text.split('\n'))
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count()
}

/// `text` cut after the last newline within `max` bytes (all of it when it fits), and the rest.
fn split_at_line_boundary(text: &str, max: usize) -> (&str, &str) {
    if text.len() <= max {
        return (text, "");
    }
    // A newline is one byte and never inside a UTF-8 sequence, so this cut is a char boundary.
    let cut = text.as_bytes()[..max]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    text.split_at(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "#sendguard-history 1\n\
        john.smith@lockheedmartin.com\t12\t20400\tJohn Smith\n\
        bob@acme.com\t3\t20390\t\n\
        # a comment\n\
        \n\
        not an address\t1\t1\tX\n\
        alice@b\u{fc}cher.de\t1\t20000\n";

    #[test]
    fn reads_entries_and_counts_unreadable_lines() {
        let h = History::parse(TEXT);
        assert_eq!(h.len(), 3);
        assert_eq!(h.rejected(), 1);
        assert_eq!(h.entries()[0].name, "John Smith");
        assert_eq!(h.entries()[2].text_address(), "alice@b\u{fc}cher.de");
        assert_eq!(h.entries()[2].address.domain.as_str(), "xn--bcher-kva.de");
        let s = h.summary();
        assert_eq!((s.entries, s.last_day, s.rejected), (3, Some(20400), 1));
    }

    #[test]
    fn one_shape_per_line() {
        for bad in [
            "a@b.com\t1",
            "a@b.com\t-1\t2",
            "a@b.com\t1\t2\tname\textra",
            " a@b.com\t1\t2",
            "a@b.com\t+1\t2",
            "a@b.com\t99999999999\t2",
            "Name <a@b.com>\t1\t2",
        ] {
            let h = History::parse(bad);
            assert_eq!((h.len(), h.rejected()), (0, 1), "{bad:?}");
        }
        let long = format!("a@b.com\t1\t2\t{}", "x".repeat(MAX_LINE_BYTES));
        assert_eq!(History::parse(&long).rejected(), 1);
    }

    #[test]
    fn duplicates_merge_and_other_versions_are_not_read() {
        let h = History::parse("A@B.com\t1\t5\t\na@b.COM\t2\t3\tAnn\n");
        assert_eq!(h.len(), 1);
        let e = &h.entries()[0];
        assert_eq!((e.count, e.last_day, e.name.as_str()), (3, 5, "Ann"));
        let future = History::parse("#sendguard-history 2\na@b.com\t1\t5\n");
        assert_eq!((future.len(), future.rejected()), (0, 1));
    }

    proptest::proptest! {
        #[test]
        fn find_byte_finds_the_first(haystack in proptest::collection::vec(0u8..=255, 0..40), byte in 0u8..=255) {
            let expected = haystack.iter().position(|&b| b == byte);
            proptest::prop_assert_eq!(find_byte(&haystack, byte), expected);
        }
    }

    #[test]
    fn find_byte_in_words() {
        assert_eq!(find_byte(b"abcdefgh\tj", b'\t'), Some(8));
        assert_eq!(find_byte(b"\x01\x00abc\x00", 0), Some(1));
        assert_eq!(find_byte(b"\xff\x80\x7f", 0x7f), Some(2));
        assert_eq!(find_byte(b"", b'a'), None);
    }

    #[test]
    fn bounds_hold() {
        let mut text = String::from(HEADER);
        text.push('\n');
        for i in 0..MAX_ENTRIES + 5 {
            text.push_str(&format!("u{i}@x.com\t1\t1\n"));
        }
        let h = History::parse(&text);
        assert_eq!((h.len(), h.rejected()), (MAX_ENTRIES, 5));
        let (head, rest) = split_at_line_boundary("ab\ncd\nef", 7);
        assert_eq!((head, rest), ("ab\ncd\n", "ef"));
    }

    #[test]
    fn text_round_trips_most_useful_first() {
        let h = History::parse(TEXT);
        let text = h.to_text();
        assert!(text.starts_with("#sendguard-history 1\njohn.smith@lockheedmartin.com\t12\t20400\tJohn Smith\nbob@acme.com\t3\t20390\t\n"), "{text}");
        let again = History::parse(&text);
        assert_eq!(again.to_text(), text);
        assert_eq!(again.rejected(), 0);
    }
}
