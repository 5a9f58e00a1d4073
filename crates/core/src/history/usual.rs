//! The usual history line read in one pass: `local@domain<TAB>count<TAB>day<TAB>name<LF>`
//! with a local part of lower-case letters, digits, `.`, `-` and `_`, and a name without
//! TAB or CR. Almost every line an add-in keeps has that shape, and the known-recipient index
//! reads tens of thousands of them at a cold start on WebAssembly's baseline tier, where each
//! pass over a line costs. So this reads a word (eight bytes) at a time, finds the `@`, the
//! tabs and the end as it goes, and hashes the local part and the domain in the same pass
//! ([`crate::key_hash`]); any other line (a comment, upper case, a CR, a line near the end of
//! the text, ...) is left to the general reader (`read_entry_lines`, `line_fields`), which
//! gives the same fields for every line this takes (`tests/known_index.rs`).

use std::ops::Range;

use crate::address::usual_local_lanes;
use crate::key_hash::{low_lanes, KeyHasher};
use crate::swar::{bytes_equal, bytes_within, repeat, HIGH_BITS};

use super::{is_trimmed, MAX_LINE_BYTES, MAX_NAME_CHARS};

/// A line in the usual shape; positions are in the text given to [`usual_line`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsualLine {
    /// The local part (in canonical form) and the domain (not yet checked: anything without
    /// a TAB or LF).
    pub local: Range<usize>,
    pub domain: Range<usize>,
    pub local_hash: u64,
    pub domain_hash: u64,
    pub count: u32,
    pub last_day: u32,
    /// Empty when the line has none.
    pub name: Range<usize>,
    /// Whether the name is stored as written ([`super::is_clean_name`]).
    pub name_is_clean: bool,
    /// Where the next line starts.
    pub next: usize,
}

/// The line of `line_text` starting at `start`, when it has the usual shape and ends with a LF
/// within [`MAX_LINE_BYTES`]; `None` for any other line (and for the last few bytes of a
/// text, where a word would read past its end).
pub(crate) fn usual_line(line_text: &str, start: usize) -> Option<UsualLine> {
    let text = line_text.as_bytes();
    let (at, local_hash) = local_part(text, start)?;
    let (domain_end, domain_hash) = domain(text, at + 1)?;
    let (count, after_count) = number(text, domain_end + 1)?;
    if text.get(after_count) != Some(&b'\t') {
        return None;
    }
    let (last_day, after_day) = number(text, after_count + 1)?;
    let (name, end) = match text.get(after_day) {
        Some(b'\n') => (after_day..after_day, after_day),
        Some(b'\t') => {
            let end = name_end(text, after_day + 1, start)?;
            (after_day + 1..end, end)
        }
        _ => return None,
    };
    if end - start > MAX_LINE_BYTES {
        return None;
    }
    // (Cut at ASCII bytes: a string.) No TAB, CR or LF in it (`name_end`): clean unless too
    // long or not trimmed.
    let name_text = &line_text[name.clone()];
    let name_is_clean = name_text.len() <= MAX_NAME_CHARS && is_trimmed(name_text);
    Some(UsualLine {
        local: start..at,
        domain: at + 1..domain_end,
        local_hash,
        domain_hash,
        count,
        last_day,
        name,
        name_is_clean,
        next: end + 1,
    })
}

/// The eight bytes of `text` from `at`, read little-endian.
fn word_at(text: &[u8], at: usize) -> Option<u64> {
    let bytes = text.get(at..at + 8)?;
    Some(u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
}

/// The high bits of the lanes below the lowest flagged in `flags` (a lane's high bit).
fn below_first(flags: u64) -> u64 {
    ((flags & flags.wrapping_neg()) - 1) & HIGH_BITS
}

/// Where the `@` after a canonical local part starting at `start` is, and the local part's
/// hash: what `canonical_local_at` accepts, restricted to the usual characters (1 to 64 of
/// them, no dot first, last or after a dot).
fn local_part(text: &[u8], start: usize) -> Option<(usize, u64)> {
    let mut hasher = KeyHasher::default();
    // (As if a dot came before the start, so that a leading dot is refused too.)
    let mut after_dot = true;
    let mut at = start;
    loop {
        let word = word_at(text, at)?;
        let ats = bytes_equal(word, b'@');
        // The lanes that belong to the local part: all eight, or those before the `@`.
        let lanes = if ats == 0 {
            HIGH_BITS
        } else {
            below_first(ats)
        };
        let (usual, dots) = usual_local_lanes(word);
        if usual & lanes != lanes {
            return None; // not ASCII, or a character the general reader decides
        }
        let dots = dots & lanes;
        if dots & (dots << 8 | u64::from(after_dot) << 7) != 0 {
            return None; // a dot after a dot
        }
        if ats != 0 {
            let lane = ats.trailing_zeros() as usize / 8;
            let len = at + lane - start;
            let dot_last = match lane {
                0 => after_dot,
                _ => dots >> (8 * lane - 1) & 1 == 1,
            };
            if !(1..=64).contains(&len) || dot_last {
                return None;
            }
            return Some((at + lane, hasher.finish(low_lanes(word, lane), len)));
        }
        hasher.word(word);
        after_dot = dots >> 63 == 1;
        at += 8;
        if at - start > 64 {
            return None;
        }
    }
}

/// Where the domain starting at `start` ends (the TAB after it) and its hash; `None` when
/// a LF comes first, the domain is empty, or no TAB comes within a line's length.
fn domain(text: &[u8], start: usize) -> Option<(usize, u64)> {
    let mut hasher = KeyHasher::default();
    let mut at = start;
    loop {
        let word = word_at(text, at)?;
        let stops = bytes_equal(word, b'\t') | bytes_equal(word, b'\n');
        if stops != 0 {
            let lane = stops.trailing_zeros() as usize / 8;
            let len = at + lane - start;
            if text[at + lane] != b'\t' || len == 0 {
                return None;
            }
            return Some((at + lane, hasher.finish(low_lanes(word, lane), len)));
        }
        hasher.word(word);
        at += 8;
        if at - start > MAX_LINE_BYTES {
            return None;
        }
    }
}

/// A decimal number of one to eight digits starting at `start` (as `parse_number` reads it;
/// nine digits or more are left to it) and where its digits end: one word, no loop.
fn number(text: &[u8], start: usize) -> Option<(u32, usize)> {
    let word = word_at(text, start)?;
    // (Exact up to the first byte that is not a digit, ASCII or not.)
    let others = !bytes_within(word, b'0', b'9') & HIGH_BITS;
    let digits = others.trailing_zeros() as usize / 8;
    if !(1..8).contains(&digits) {
        return None;
    }
    // The digits' values moved to the top lanes, zeros (leading zeros) below them.
    let values = word.wrapping_sub(repeat(b'0')) << (8 * (8 - digits));
    Some((eight_digits(values), start + digits))
}

/// The number eight digit values (0 to 9 a byte, the first in the lowest byte) write: pairs,
/// then fours, then all eight, by multiplication.
fn eight_digits(values: u64) -> u32 {
    const LOW_BYTES: u64 = 0x0000_00ff_0000_00ff;
    const HUNDREDS_AND_MILLIONS: u64 = 100 + (1_000_000 << 32);
    const ONES_AND_TEN_THOUSANDS: u64 = 1 + (10_000 << 32);
    let pairs = values.wrapping_mul(10).wrapping_add(values >> 8);
    let high = (pairs & LOW_BYTES).wrapping_mul(HUNDREDS_AND_MILLIONS);
    let low = (pairs >> 16 & LOW_BYTES).wrapping_mul(ONES_AND_TEN_THOUSANDS);
    (high.wrapping_add(low) >> 32) as u32
}

/// Where the name starting at `start` ends: its LF, when no TAB or CR comes first (the line
/// starting at `line` not longer than a line may be).
fn name_end(text: &[u8], start: usize, line: usize) -> Option<usize> {
    let mut at = start;
    loop {
        let word = word_at(text, at)?;
        let stops = bytes_equal(word, b'\t') | bytes_equal(word, b'\r') | bytes_equal(word, b'\n');
        if stops != 0 {
            let end = at + stops.trailing_zeros() as usize / 8;
            return (text[end] == b'\n').then_some(end);
        }
        at += 8;
        if at - line > MAX_LINE_BYTES {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{is_clean_name, line_fields, Lines};
    use crate::key_hash::key_hash;

    /// What the general reader makes of the first line of `text`, in the same terms.
    fn general(text: &str) -> Option<(String, String, u32, u32, String, bool)> {
        let line = Lines(text).next()?;
        let fields = line_fields(line)?;
        let at = crate::address::canonical_local_at(fields.address)?;
        Some((
            fields.address[..at].to_string(),
            fields.address[at + 1..].to_string(),
            fields.count,
            fields.last_day,
            fields.name.to_string(),
            is_clean_name(fields.name),
        ))
    }

    fn usual(text: &str) -> Option<(String, String, u32, u32, String, bool)> {
        let line = usual_line(text, 0)?;
        let part = |r: Range<usize>| text[r].to_string();
        assert_eq!(
            line.local_hash,
            key_hash(text[line.local.clone()].as_bytes())
        );
        assert_eq!(
            line.domain_hash,
            key_hash(text[line.domain.clone()].as_bytes())
        );
        assert_eq!(text.as_bytes()[line.next - 1], b'\n');
        Some((
            part(line.local),
            part(line.domain),
            line.count,
            line.last_day,
            part(line.name),
            line.name_is_clean,
        ))
    }

    #[test]
    fn a_usual_line_reads_as_the_general_reader_reads_it() {
        // Local parts and domains of every length around a word, so that the `@`, the tabs
        // and the end fall in every lane; the text goes on after the line, as in a history.
        for local_len in 1..=20 {
            for domain_len in 3..=19 {
                let local: String = (0..local_len).map(|i| b"ab.c-d_9"[i % 8] as char).collect();
                let domain = format!("{}.com", "x".repeat(domain_len - 3));
                for rest in ["\t1\t2\tAnn Lee\n", "\t12\t20400\n", "\t0\t7\t\n"] {
                    let text = format!("{local}@{domain}{rest}next@line.org\t1\t2\n");
                    assert_eq!(usual(&text).is_some(), general(&text).is_some(), "{text:?}");
                    if usual(&text).is_some() {
                        assert_eq!(usual(&text), general(&text), "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn other_lines_are_left_to_the_general_reader() {
        let tail = "\nnext@line.org\t1\t2\n";
        for line in [
            "#ann@acme.com\t1\t2",          // a comment
            ".ann@acme.com\t1\t2",          // a leading dot
            "ann.@acme.com\t1\t2",          // a dot last
            "an..n@acme.com\t1\t2",         // two dots
            "Ann@acme.com\t1\t2",           // upper case
            "ann+x@acme.com\t1\t2",         // another atext character
            "m\u{fc}ller@acme.com\t1\t2",   // not ASCII
            "ann@acme.com\t1\t2\tAnn\tLee", // a TAB in the name
            "ann@acme.com\t1\t2\tAnn\rLee", // a CR in the name
            "ann@acme.com\t1\t2\r",         // CRLF
            "ann@acme.com\t1\t2\tAnn\r",    // CRLF after a name
            "ann@acme.com\t\t2",            // no count
            "ann@acme.com\t1\t",            // no day
            "ann@acme.com\t4294967296\t2",  // a count beyond 32 bits
            "ann@acme.com\t1 \t2",          // a space after a number
            "ann@\t1\t2",                   // no domain
            "ann@acme.com 1 2",             // no tabs
            "@acme.com\t1\t2",              // no local part
        ] {
            let text = format!("{line}{tail}");
            assert_eq!(usual(&text), None, "{line:?}");
        }
        let long_local = format!("{}@acme.com\t1\t2{tail}", "a".repeat(65));
        assert_eq!(usual(&long_local), None);
        let longest_local = format!("{}@acme.com\t1\t2{tail}", "a".repeat(64));
        assert!(usual(&longest_local).is_some());
        let long_line = format!("ann@acme.com\t1\t2\t{}{tail}", "n".repeat(1100));
        assert_eq!(usual(&long_line), None);
        // The end of a text: left to the general reader.
        assert_eq!(usual("ann@acme.com\t1\t2\n"), None);
    }

    #[test]
    fn numbers_read_as_the_general_reader_reads_them() {
        let mut values: Vec<u64> = vec![0, 1, 7, 9, 10, 99, 100, 20400, 9_999_999, 99_999_999];
        values.extend((0..2000u64).map(|i| i * i * 7919 % 100_000_000));
        for value in values {
            for zeros in 0..3 {
                let digits = format!("{}{value}", "0".repeat(zeros));
                let text = format!("{digits}\t123456789");
                let read = number(text.as_bytes(), 0);
                match digits.len() {
                    1..=7 => assert_eq!(read, Some((value as u32, digits.len())), "{text:?}"),
                    _ => assert_eq!(read, None, "{text:?}"),
                }
            }
        }
        for text in ["\t1234567", "x1234567", "1\u{e9}23456", "12345678", "1"] {
            let expected =
                (text.starts_with('1') && text.len() >= 8 && !text.starts_with("12345678"))
                    .then_some((1, 1));
            assert_eq!(number(text.as_bytes(), 0), expected, "{text:?}");
        }
    }

    proptest::proptest! {
        /// Any bytes a damaged store could hold: whatever the one-pass reader takes, the
        /// general reader reads the same.
        #[test]
        fn whatever_is_taken_reads_as_the_general_reader_reads_it(
            chars in proptest::collection::vec(proptest::sample::select(vec![
                'a', 'b', 'z', '0', '1', '9', '.', '-', '_', '/', '+', '@', '\t', '\r', '\n',
                ' ', 'A', '#', '\u{e9}', '\u{a0}',
            ]), 0..80),
        ) {
            let line: String = chars.into_iter().collect();
            let text = format!("{line}\nnext@line.org\t1\t2\n");
            if let Some(read) = usual(&text) {
                proptest::prop_assert_eq!(Some(read), general(&text), "{:?}", text);
            }
        }

        /// Lines close to the usual shape, so that most are taken.
        #[test]
        fn near_usual_lines_read_as_the_general_reader_reads_them(
            local in "[a-z0-9._/+A-]{0,20}",
            domain in "[a-z0-9.-]{0,20}",
            count in "[0-9]{0,10}",
            day in "[0-9x]{0,9}",
            name in "[ a-zA-Z\t\r]{0,12}",
        ) {
            let text = format!("{local}@{domain}\t{count}\t{day}\t{name}\nnext@line.org\t1\t2\n");
            match usual(&text) {
                Some(read) => proptest::prop_assert_eq!(Some(read), general(&text), "{:?}", text),
                // Left to the general reader only for what its shape leaves out.
                None => proptest::prop_assert!(
                    general(&text).is_none()
                        || local.contains('+')
                        || name.contains('\r')
                        || count.len() >= 8
                        || day.len() >= 8,
                    "{:?} left to the general reader", text
                ),
            }
        }
    }

    #[test]
    fn names_that_need_cleaning_are_marked() {
        let tail = "next@line.org\t1\t2\n";
        let read = |name: &str| usual(&format!("ann@acme.com\t1\t2\t{name}\n{tail}")).unwrap();
        assert!(read("Ann Lee").5);
        assert!(read("").5);
        assert!(!read(" Ann Lee").5);
        assert!(!read("Ann Lee\u{a0}").5);
        assert!(!read(&"n".repeat(201)).5);
        assert!(read("Jos\u{e9} M\u{fc}ller").5);
    }
}
