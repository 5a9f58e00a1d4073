//! National identity numbers: US Social Security numbers (range rules and a nearby keyword,
//! as they carry no check digit) and UK National Insurance numbers (prefix and suffix rules).

use super::detectors::Detector;
use super::text::{is_alnum, mask, Nearby, NumberToken};
use super::Tally;

/// Words that make a nine-digit number an SSN, within 60 bytes either side.
const SSN_KEYWORDS: Nearby = Nearby::new(&["ssn", "social security", "soc sec", "ss#", "ss #"], 60);

/// Numbers the SSA voided or uses in examples.
const SSN_EXAMPLES: &[[u8; 9]] = &[
    [0, 7, 8, 0, 5, 1, 1, 2, 0],
    [2, 1, 9, 0, 9, 9, 9, 9, 9],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
];

/// Counts the number token if it is an SSN; `keyword_spans` caches where the keywords
/// stand in `text` (found on the first SSN-shaped number).
pub fn ssn_in(
    text: &str,
    token: &NumberToken,
    keyword_spans: &mut Option<Vec<(usize, usize)>>,
    tally: &mut Tally,
) {
    let shaped = match token.separator {
        Some(_) => token.groups() == [3, 2, 4],
        None => token.groups() == [9],
    };
    if shaped && ssn_ranges_valid(token.digits()) {
        let keywords = &SSN_KEYWORDS;
        let spans = keyword_spans.get_or_insert_with(|| keywords.spans(text));
        if keywords.near(spans, token.start, token.end) {
            tally.add(Detector::UsSsn, || {
                mask(&text[token.start..token.end], 0, 4)
            });
        }
    }
}

/// Area not 000, 666 or 900-999; group not 00; serial not 0000; not a known example.
pub fn ssn_ranges_valid(digits: &[u8]) -> bool {
    let number = |range: std::ops::Range<usize>| {
        digits[range]
            .iter()
            .fold(0u32, |a, d| a * 10 + u32::from(*d))
    };
    let (area, group, serial) = (number(0..3), number(3..5), number(5..9));
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !SSN_EXAMPLES.iter().any(|e| e[..] == *digits)
}

/// The UK National Insurance number starting at `start` (`AB123456C` or `AB 12 34 56 C`,
/// upper-case), as its end and redacted excerpt.
pub fn nino_at(bytes: &[u8], start: usize) -> Option<(usize, String)> {
    let end = read_nino(bytes, start)?;
    let prefix = String::from_utf8_lossy(&bytes[start..start + 2]);
    Some((
        end,
        format!("{prefix} ** ** ** {}", char::from(bytes[end - 1])),
    ))
}

/// The end of a valid NI number starting at `start`: prefix letters (neither D, F, I, Q, U, V;
/// second not O; not an unissued pair), three pairs of digits with optional single spaces,
/// suffix A-D, nothing glued after.
fn read_nino(bytes: &[u8], start: usize) -> Option<usize> {
    let (first, second) = (*bytes.get(start)?, *bytes.get(start + 1)?);
    const NEVER: &[u8] = b"DFIQUV";
    const UNISSUED: &[&[u8; 2]] = &[b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"];
    if NEVER.contains(&first)
        || NEVER.contains(&second)
        || second == b'O'
        || UNISSUED.contains(&&[first, second])
    {
        return None;
    }
    let mut i = start + 2;
    let spaced = bytes.get(i) == Some(&b' ');
    for _ in 0..3 {
        if spaced {
            (bytes.get(i) == Some(&b' ')).then_some(())?;
            i += 1;
        }
        (bytes.get(i)?.is_ascii_digit() && bytes.get(i + 1)?.is_ascii_digit()).then_some(())?;
        i += 2;
    }
    if spaced {
        (bytes.get(i) == Some(&b' ')).then_some(())?;
        i += 1;
    }
    let suffix = *bytes.get(i)?;
    i += 1;
    let glued = i < bytes.len() && (is_alnum(bytes[i]) || bytes[i] >= 0x80);
    (matches!(suffix, b'A'..=b'D') && !glued).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::text::{alnum_runs, number_tokens};

    fn ssns(text: &str) -> u32 {
        let mut tally = Tally::default();
        let runs = alnum_runs(text.as_bytes());
        let mut spans = None;
        for token in number_tokens(text, &runs) {
            ssn_in(text, &token, &mut spans, &mut tally);
        }
        tally.count(Detector::UsSsn)
    }

    fn ninos(text: &str) -> u32 {
        let mut tally = Tally::default();
        crate::content::scan_upper_case_ids(text, &alnum_runs(text.as_bytes()), &mut tally);
        tally.count(Detector::UkNationalInsurance)
    }

    #[test]
    fn ssn_needs_ranges_and_a_keyword() {
        assert_eq!(ssns("Employee SSN: 536-22-8726"), 1);
        assert_eq!(ssns("social security number 536228726."), 1);
        assert_eq!(ssns("Invoice 536-22-8726 is due"), 0, "no keyword");
        assert_eq!(
            ssns("SSN: 666-22-8726, 900-22-8726, 536-00-8726, 536-22-0000"),
            0
        );
        assert_eq!(ssns("SSN: 078-05-1120"), 0, "voided example");
    }

    #[test]
    fn nino_prefix_and_suffix_rules() {
        assert_eq!(ninos("NI number AB123456C"), 1);
        assert_eq!(ninos("NINO: JG 10 37 75 A."), 1);
        assert_eq!(
            ninos("GB123456A DA123456A AO123456A AB123456E AB123456CD"),
            0
        );
        assert_eq!(ninos("AB 1234 56 C"), 0);
    }
}
