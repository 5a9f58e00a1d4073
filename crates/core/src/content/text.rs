//! Shared text helpers for the detectors: byte-level boundaries, number tokens, nearby
//! keywords and redaction. All scanning works on bytes of ASCII patterns, so offsets of
//! matches always fall on `char` boundaries.

/// True when `b` is an ASCII letter or digit (a table lookup: this runs once a byte).
pub fn is_alnum(b: u8) -> bool {
    ALNUM[usize::from(b)]
}

const ALNUM: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
};

/// True when no letter or digit touches `text[start..end]` on either side (non-ASCII letters
/// count as letters, so `é4111…` is not a boundary).
pub fn standalone(text: &[u8], start: usize, end: usize) -> bool {
    let before = start == 0 || !(is_alnum(text[start - 1]) || text[start - 1] >= 0x80);
    let after = end >= text.len() || !(is_alnum(text[end]) || text[end] >= 0x80);
    before && after
}

/// Every maximal run of ASCII letters and digits, as (start, end). The detectors that look
/// at words and numbers share this one pass over the text.
pub fn alnum_runs(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::with_capacity(bytes.len() / 6);
    let mut i = 0;
    while i < bytes.len() {
        if !is_alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_alnum(bytes[i]) {
            i += 1;
        }
        runs.push((start, i));
    }
    runs
}

/// A number written as digit groups: `4111 1111 1111 1111`, `078-05-1120`, `123456789`.
/// Fixed-size, so scanning a megabyte of numbers allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberToken {
    pub start: usize,
    pub end: usize,
    digits: [u8; MAX_TOKEN_DIGITS],
    digit_count: usize,
    groups: [u8; MAX_TOKEN_DIGITS],
    group_count: usize,
    /// The single separator used between groups (`b' '` or `b'-'`), if any.
    pub separator: Option<u8>,
}

impl NumberToken {
    /// The digits' values (0-9), separators left out.
    pub fn digits(&self) -> &[u8] {
        &self.digits[..self.digit_count]
    }

    /// Length of each digit group, in order.
    pub fn groups(&self) -> &[u8] {
        &self.groups[..self.group_count]
    }
}

/// Longest digit run a token may have: a longer number is no identifier we look for.
const MAX_TOKEN_DIGITS: usize = 19;

/// Every standalone number of 9 to 19 digits, grouped by single spaces or dashes (one kind of
/// separator per number), from the text's letter-and-digit `runs`. Decimals (`3.14159…`),
/// numbers glued to letters and longer numbers are skipped whole.
pub fn number_tokens<'a>(
    text: &'a str,
    runs: &'a [(usize, usize)],
) -> impl Iterator<Item = NumberToken> + 'a {
    let bytes = text.as_bytes();
    let all_digits = move |(s, e): (usize, usize)| bytes[s..e].iter().all(u8::is_ascii_digit);
    let mut r = 0;
    std::iter::from_fn(move || {
        while r < runs.len() {
            if !all_digits(runs[r]) {
                r += 1;
                continue;
            }
            let start = runs[r].0;
            let mut token = NumberToken {
                start,
                end: start,
                digits: [0; MAX_TOKEN_DIGITS],
                digit_count: 0,
                groups: [0; MAX_TOKEN_DIGITS],
                group_count: 0,
                separator: None,
            };
            let mut rejected = false;
            loop {
                let (s, e) = runs[r];
                let n = e - s;
                if token.digit_count + n > MAX_TOKEN_DIGITS || token.group_count == MAX_TOKEN_DIGITS
                {
                    rejected = true; // too long; keep walking to its end
                } else {
                    for (k, b) in bytes[s..e].iter().enumerate() {
                        token.digits[token.digit_count + k] = b - b'0';
                    }
                    token.digit_count += n;
                    token.groups[token.group_count] = n as u8; // n ≤ 19, checked above
                    token.group_count += 1;
                }
                token.end = e;
                r += 1;
                // The next group follows after exactly one space or dash.
                let Some(&next) = runs.get(r) else { break };
                let sep = bytes[e];
                if next.0 != e + 1 || !(sep == b' ' || sep == b'-') || !all_digits(next) {
                    break;
                }
                rejected |= token.separator.is_some_and(|s| s != sep);
                token.separator = Some(sep);
            }
            if rejected || token.digit_count < 9 {
                continue;
            }
            let (start, end) = (token.start, token.end);
            let glued_before = start > 0 && {
                let p = bytes[start - 1];
                p >= 0x80
                    || ((p == b'.' || p == b',') && start >= 2 && bytes[start - 2].is_ascii_digit())
            };
            let glued_after = end < bytes.len() && {
                let n = bytes[end];
                n >= 0x80
                    || ((n == b'.' || n == b',')
                        && bytes.get(end + 1).is_some_and(u8::is_ascii_digit))
            };
            if !glued_before && !glued_after {
                return Some(token);
            }
        }
        None
    })
}

/// Keywords that give a nearby number its meaning ("SSN", "private key"). Their places in a
/// text are found in one pass, only once a candidate number needs them, so a megabyte of
/// SSN-shaped numbers costs one search, not one per number.
#[derive(Debug)]
pub struct Nearby {
    /// Lower-case ASCII.
    keywords: &'static [&'static str],
    /// How far (bytes, either side) a keyword may stand from the number.
    window: usize,
}

impl Nearby {
    /// `keywords` are lower-case ASCII, matched ignoring case.
    pub const fn new(keywords: &'static [&'static str], window: usize) -> Nearby {
        Nearby { keywords, window }
    }

    /// Where the keywords stand in `text`, ordered by start.
    pub fn spans(&self, text: &str) -> Vec<(usize, usize)> {
        let lower = text.to_ascii_lowercase();
        let mut spans: Vec<(usize, usize)> = self
            .keywords
            .iter()
            .flat_map(|k| {
                lower
                    .match_indices(k)
                    .map(|(at, _)| (at, at + k.len()))
                    .collect::<Vec<_>>()
            })
            .collect();
        crate::order::sort_by_key(&mut spans, |&(start, end)| (start as u64, end as u64));
        spans
    }

    /// Whether a keyword of `spans` (from [`Self::spans`]) stands within the window of
    /// `start..end`.
    pub fn near(&self, spans: &[(usize, usize)], start: usize, end: usize) -> bool {
        let longest = self.keywords.iter().map(|k| k.len()).max().unwrap_or(0);
        let from = start.saturating_sub(self.window);
        let first = spans.partition_point(|&(s, _)| s + longest < from);
        spans[first..]
            .iter()
            .take_while(|&&(s, _)| s <= end + self.window)
            .any(|&(_, e)| e >= from)
    }
}

/// Shows the first `keep_start` and last `keep_end` letters or digits of `s` and stars the
/// others, keeping separators: `4111 **** **** 1111`.
pub fn mask(s: &str, keep_start: usize, keep_end: usize) -> String {
    let total = s.chars().filter(|c| c.is_ascii_alphanumeric()).count();
    let mut seen = 0;
    s.chars()
        .map(|c| {
            if !c.is_ascii_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen <= keep_start || seen > total.saturating_sub(keep_end) {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// A long token (a key, a token) shortened to its first and last four characters:
/// `ghp_****…****wxyz`. Short ones are starred whole but for their first character.
pub fn abbreviate(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 12 {
        let first: String = chars.iter().take(1).collect();
        return first + &"*".repeat(chars.len().saturating_sub(1));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****…****{tail}")
}

/// Digits grouped by four: `4111111111111111` → `4111 1111 1111 1111`.
pub fn group_by_four(digits: &[u8]) -> String {
    let mut out = String::new();
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(char::from(b'0' + d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        number_tokens(text, &alnum_runs(text.as_bytes()))
            .map(|t| text[t.start..t.end].to_string())
            .collect()
    }

    #[test]
    fn number_tokens_skip_decimals_glued_and_long_numbers() {
        assert_eq!(
            tokens("card 4111 1111 1111 1111, ok"),
            ["4111 1111 1111 1111"]
        );
        assert_eq!(tokens("pi 3.14159265358979323 x"), Vec::<String>::new());
        assert_eq!(
            tokens("ref A123456789012 and 12345678901234567890123"),
            Vec::<String>::new()
        );
        assert_eq!(tokens("1234-5678 9012-3456"), Vec::<String>::new());
        assert_eq!(tokens("ssn 078-05-1120."), ["078-05-1120"]);
        assert_eq!(tokens("12345678"), Vec::<String>::new());
    }

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask("4111 1111 1111 1111", 4, 4), "4111 **** **** 1111");
        assert_eq!(mask("078-05-1120", 0, 4), "***-**-1120");
        assert_eq!(
            abbreviate("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            "ghp_****…****6789"
        );
        assert_eq!(abbreviate("secret"), "s*****");
        let ssn = Nearby::new(&["ssn", "ss#"], 8);
        let text = "my SSN is 078-05-1120; invoice 078-05-1120 is due; SS# 078-05-1120";
        let spans = ssn.spans(text);
        assert_eq!(spans, [(3, 6), (51, 54)]);
        assert!(ssn.near(&spans, 10, 21));
        assert!(!ssn.near(&spans, 31, 42), "more than 8 bytes from both");
        assert!(ssn.near(&spans, 55, 66));
    }
}
