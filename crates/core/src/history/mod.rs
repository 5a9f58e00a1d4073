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
mod usual;

use serde::Serialize;

use crate::address::{parse_address, Address};
use crate::fast_hash::FastMap;
use crate::swar::bytes_equal;

pub use learn::{LearnOptions, TrimOptions};
pub(crate) use usual::usual_line;

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
fn parse_line(line: Line) -> Option<HistoryEntry> {
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
pub(crate) fn line_fields(line: Line<'_>) -> Option<LineFields<'_>> {
    let Line {
        text,
        tabs,
        tabs_found,
    } = line;
    if text.len() > MAX_LINE_BYTES || !(2..=3).contains(&tabs_found) {
        return None;
    }
    // A tab is ASCII, a character of its own: every cut is on a character boundary.
    let address = &text[..tabs[0]];
    let count = &text[tabs[0] + 1..tabs[1]];
    let (day, name) = match tabs_found {
        3 => (&text[tabs[1] + 1..tabs[2]], &text[tabs[2] + 1..]),
        _ => (&text[tabs[1] + 1..], ""),
    };
    if address.is_empty() || !is_trimmed(address) {
        return None;
    }
    Some(LineFields {
        address,
        count: parse_number(count)?,
        last_day: parse_number(day)?,
        name,
    })
}

/// One line of a history's text, without its `\n` (nor a `\r` before it), and where its first
/// three tabs are: found in the same pass as its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line<'t> {
    pub text: &'t str,
    pub tabs: [usize; 3],
    /// How many tabs the line has, counted up to 4 (which means too many).
    pub tabs_found: usize,
}

/// Calls `read` with every line of `text` that would be an entry (not blank, not a comment,
/// its `\r` removed), in order; `read` answers whether it took the line. Answers the lines
/// rejected: those `read` refused, those beyond [`MAX_BYTES`], and every line of a text whose
/// header names another version (then `read` is never called).
pub(crate) fn read_entry_lines<'t>(text: &'t str, read: impl FnMut(Line<'t>) -> bool) -> usize {
    read_lines_with(text, &mut EveryLine(read))
}

/// What reads a history's lines for [`read_lines_with`].
pub(crate) trait LineReader<'t> {
    /// Reads the line of `text` starting at `at` if it has the usual shape (`usual_line`),
    /// answering where the next line starts; `None` leaves it to [`LineReader::read`].
    fn read_usual(&mut self, text: &'t str, at: usize) -> Option<usize>;
    /// Takes an entry line, or answers false.
    fn read(&mut self, line: Line<'t>) -> bool;
}

/// A reader with no way of its own for the usual line.
struct EveryLine<F>(F);

impl<'t, F: FnMut(Line<'t>) -> bool> LineReader<'t> for EveryLine<F> {
    fn read_usual(&mut self, _: &'t str, _: usize) -> Option<usize> {
        None
    }

    fn read(&mut self, line: Line<'t>) -> bool {
        (self.0)(line)
    }
}

/// [`read_entry_lines`] with a reader that may take the usual line in one pass: every line
/// it does not take goes through [`Lines`] to [`LineReader::read`] as before.
pub(crate) fn read_lines_with<'t>(text: &'t str, reader: &mut impl LineReader<'t>) -> usize {
    let (readable, beyond) = split_at_line_boundary(text, MAX_BYTES);
    let first = Lines(readable).find(|l| !is_blank(l.text));
    if first.is_some_and(|l| is_other_version(l.text)) {
        return count_entry_lines(text);
    }
    let mut rejected = count_entry_lines(beyond);
    // One call a line: this loop runs on WebAssembly's baseline tier to its end, and only a
    // call can switch to optimised code (ARCHITECTURE.md; in V8 that code comes after a
    // read of 20,000 lines, docs/wasm.md, so the per-line code is written for the baseline).
    let mut at = 0;
    while at < readable.len() {
        at = match reader.read_usual(readable, at) {
            Some(next) => next,
            None => {
                let (taken, next) = read_any_line(readable, at, reader);
                rejected += usize::from(taken == Some(false));
                next
            }
        };
    }
    rejected
}

/// Reads the line of `text` starting at `at` with `reader` when it would be an entry: whether
/// it was taken (`None` for a blank line or a comment), and where the next line starts.
#[inline(never)]
fn read_any_line<'t>(
    text: &'t str,
    at: usize,
    reader: &mut impl LineReader<'t>,
) -> (Option<bool>, usize) {
    let mut lines = Lines(&text[at..]);
    let Some(line) = lines.next() else {
        return (None, text.len());
    };
    let next = text.len() - lines.0.len();
    if is_blank(line.text) || line.text.starts_with('#') {
        return (None, next);
    }
    (Some(reader.read(line)), next)
}

/// The lines of a text (as `str::lines` cuts them, but a lone `\r` at the end is removed
/// too), each with its tabs.
#[derive(Clone)]
struct Lines<'t>(&'t str);

impl<'t> Iterator for Lines<'t> {
    type Item = Line<'t>;

    fn next(&mut self) -> Option<Line<'t>> {
        if self.0.is_empty() {
            return None;
        }
        let (end, tabs, tabs_found) = scan_line(self.0.as_bytes());
        // A newline is ASCII, a character of its own: both cuts are on character boundaries.
        let text = &self.0[..end];
        self.0 = self.0.get(end + 1..).unwrap_or("");
        let text = text.strip_suffix('\r').unwrap_or(text);
        Some(Line {
            text,
            tabs,
            tabs_found,
        })
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

/// Where the first line of `text` ends (its `\n`, or the end of the text), where its first
/// three tabs are, and how many tabs it has (counted up to 4, which means too many): one pass,
/// eight bytes at a time, for the lines and fields of a history.
#[inline(never)]
fn scan_line(text: &[u8]) -> (usize, [usize; 3], usize) {
    let mut tabs = [0; 3];
    let mut found = 0;
    let mut record = |at: usize| {
        if found < 3 {
            tabs[found] = at;
        }
        found = (found + 1).min(4);
    };
    let mut words = text.chunks_exact(8);
    let mut start = 0;
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let newline = bytes_equal(word, b'\n');
        let mut tabs_here = bytes_equal(word, b'\t');
        if newline != 0 {
            // Only the tabs before the newline (the bits below its flag) are this line's.
            tabs_here &= (newline & newline.wrapping_neg()) - 1;
        }
        while tabs_here != 0 {
            record(start + tabs_here.trailing_zeros() as usize / 8);
            tabs_here &= tabs_here - 1;
        }
        if newline != 0 {
            return (start + newline.trailing_zeros() as usize / 8, tabs, found);
        }
        start += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        match b {
            b'\n' => return (start + i, tabs, found),
            b'\t' => record(start + i),
            _ => {}
        }
    }
    (text.len(), tabs, found)
}

/// About how many entries `text` holds, to reserve room for them without reading it (a count
/// of its newlines would be a byte loop over a megabyte on WebAssembly's first tier): a line
/// with a name takes 40 to 60 bytes; a history of shorter lines regrows its tables once or twice.
pub(crate) fn entries_expected(text: &str) -> usize {
    (text.len().min(MAX_BYTES) / 40 + 1).min(MAX_ENTRIES)
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
    name.len() <= MAX_NAME_CHARS && !has_tab_or_line_break(name.as_bytes()) && is_trimmed(name)
}

/// Whether `bytes` hold a TAB, CR or LF: eight bytes at a time (a history's index tests the
/// name of every line).
fn has_tab_or_line_break(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let breaks = |w: u64| bytes_equal(w, b'\t') | bytes_equal(w, b'\r') | bytes_equal(w, b'\n');
    words.any(|w| breaks(u64::from_le_bytes(w.try_into().expect("8 bytes"))) != 0)
        || (words.remainder().iter()).any(|b| matches!(b, b'\t' | b'\r' | b'\n'))
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

    #[test]
    fn names_with_a_tab_or_line_break_anywhere_are_cleaned() {
        let plain = "Maria Gonzalez-Fernandez";
        assert!(is_clean_name(plain));
        for at in 0..=plain.len() {
            for c in ['\t', '\r', '\n'] {
                let mut name = plain.to_string();
                name.insert(at, c);
                assert!(!is_clean_name(&name), "{name:?}");
                assert!(!clean_name(&name).contains(c));
            }
        }
    }

    #[test]
    fn numbers_are_digits_that_fit_32_bits() {
        let parse = |s: &str| parse_number(s);
        assert_eq!(parse("0"), Some(0));
        assert_eq!(parse("999999999"), Some(999_999_999));
        assert_eq!(parse("4294967295"), Some(u32::MAX));
        assert_eq!(parse("4294967296"), None);
        assert_eq!(parse("99999999999"), None);
        for bad in ["", "-1", "+1", "1 ", "1a", "１"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

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
        fn a_scan_finds_the_line_end_and_its_tabs(text in proptest::collection::vec(proptest::prop_oneof![proptest::strategy::Just(9u8), proptest::strategy::Just(10u8), proptest::strategy::Just(8u8), proptest::strategy::Just(0x89u8), 0u8..=255], 0..40)) {
            let end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
            let all: Vec<usize> = (0..end).filter(|&i| text[i] == b'\t').collect();
            let (found_end, tabs, found) = scan_line(&text);
            proptest::prop_assert_eq!(found_end, end);
            proptest::prop_assert_eq!(found, all.len().min(4));
            proptest::prop_assert_eq!(&tabs[..found.min(3)], &all[..found.min(3)]);
        }
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
