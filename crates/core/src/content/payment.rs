//! Payment cards (issuer prefix and length, then Luhn) and IBANs (country length, then mod 97).

use super::detectors::Detector;
use super::text::{group_by_four, is_alnum, mask, NumberToken};
use super::Tally;

/// Counts the number token if it is a card number.
pub fn card_in(token: &NumberToken, tally: &mut Tally) {
    if plausible_grouping(token) && is_card_number(token.digits()) {
        tally.add(Detector::PaymentCard, || {
            mask(&group_by_four(token.digits()), 4, 4)
        });
    }
}

/// Cards are written in one run or in groups of 4 to 6 (the last group may be shorter):
/// `4111 1111 1111 1111`, `3782 822463 10005`. Phone-number groupings are not cards.
fn plausible_grouping(token: &NumberToken) -> bool {
    let (last, rest) = token.groups().split_last().expect("never empty");
    *last >= 1 && rest.iter().all(|g| (4..=6).contains(g))
}

/// A known issuer's prefix and length, and a valid Luhn check digit.
pub fn is_card_number(digits: &[u8]) -> bool {
    issuer_accepts(digits) && luhn_valid(digits)
}

fn issuer_accepts(digits: &[u8]) -> bool {
    let len = digits.len();
    let prefix = |n: usize| {
        digits
            .iter()
            .take(n)
            .fold(0u32, |acc, d| acc * 10 + u32::from(*d))
    };
    let visa = prefix(1) == 4 && matches!(len, 13 | 16 | 19);
    let mastercard =
        ((51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4))) && len == 16;
    let amex = matches!(prefix(2), 34 | 37) && len == 15;
    let discover = (prefix(4) == 6011 || (644..=649).contains(&prefix(3)) || prefix(2) == 65)
        && (16..=19).contains(&len);
    let jcb = (3528..=3589).contains(&prefix(4)) && (16..=19).contains(&len);
    let diners = (prefix(2) == 36 || (300..=305).contains(&prefix(3))) && len == 14;
    visa || mastercard || amex || discover || jcb || diners
}

pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// IBAN lengths by country (the SWIFT IBAN registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// The IBAN starting at `start` (upper-case, in one run or in groups separated by single
/// spaces), as its end and redacted excerpt.
pub fn iban_at(bytes: &[u8], start: usize) -> Option<(usize, String)> {
    if !(bytes.get(start + 2)?.is_ascii_digit() && bytes.get(start + 3)?.is_ascii_digit()) {
        return None;
    }
    let (iban, end) = read_iban(bytes, start)?;
    Some((end, mask(&group_iban(&iban), 4, 4)))
}

/// Reads the IBAN starting at `start` if the country's length of characters follows (upper-case
/// letters and digits, single spaces allowed) and no letter or digit is glued to its end.
fn read_iban(bytes: &[u8], start: usize) -> Option<(Vec<u8>, usize)> {
    let country = std::str::from_utf8(&bytes[start..start + 2]).ok()?;
    let length = IBAN_LENGTHS.iter().find(|(c, _)| *c == country)?.1;
    let mut iban = Vec::with_capacity(length);
    let mut i = start;
    while iban.len() < length && i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_uppercase() || b.is_ascii_digit() {
            iban.push(b);
        } else if !(b == b' ' && i > start && bytes[i - 1] != b' ') {
            return None;
        }
        i += 1;
    }
    let glued = i < bytes.len() && (is_alnum(bytes[i]) || bytes[i] >= 0x80);
    (iban.len() == length && !glued && iban_checksum_valid(&iban)).then_some((iban, i))
}

/// ISO 13616: move the first four characters to the end, letters become 10..35, mod 97 == 1.
pub fn iban_checksum_valid(iban: &[u8]) -> bool {
    let rotated = iban[4..].iter().chain(&iban[..4]);
    let mut remainder: u32 = 0;
    for &b in rotated {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        let width = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * width + value) % 97;
    }
    remainder == 1
}

fn group_iban(iban: &[u8]) -> String {
    let mut out = String::new();
    for (i, b) in iban.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(char::from(*b));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::text::{alnum_runs, number_tokens};

    fn count(text: &str) -> (u32, u32, Vec<String>) {
        let mut tally = Tally::default();
        let runs = alnum_runs(text.as_bytes());
        for token in number_tokens(text, &runs) {
            card_in(&token, &mut tally);
        }
        crate::content::scan_upper_case_ids(text, &alnum_runs(text.as_bytes()), &mut tally);
        let cards = tally.count(Detector::PaymentCard);
        let ibans = tally.count(Detector::Iban);
        (cards, ibans, tally.excerpts())
    }

    #[test]
    fn cards_need_issuer_length_and_luhn() {
        assert!(is_card_number(&digits("4111111111111111")));
        assert!(is_card_number(&digits("378282246310005")));
        assert!(is_card_number(&digits("5555555555554444")));
        assert!(is_card_number(&digits("2223003122003222")));
        assert!(is_card_number(&digits("6011111111111117")));
        assert!(!is_card_number(&digits("4111111111111112")), "fails Luhn");
        assert!(
            !is_card_number(&digits("1234567812345670")),
            "passes Luhn, no issuer"
        );
        assert!(
            !is_card_number(&digits("411111111111111")),
            "Visa has no 15-digit numbers"
        );
        let (cards, _, excerpts) =
            count("Card: 4111 1111 1111 1111 exp 12/27, and 4111-1111-1111-1111.");
        assert_eq!(cards, 2);
        assert_eq!(excerpts, ["4111 **** **** 1111"]);
        assert_eq!(
            count("order 4111 1111 1111 1112 and phone 4111 111 111 1111").0,
            0
        );
    }

    #[test]
    fn ibans_need_country_length_and_mod_97() {
        let (_, ibans, excerpts) =
            count("Pay GB82 WEST 1234 5698 7654 32 or DE89370400440532013000 today.");
        assert_eq!(ibans, 2);
        assert_eq!(excerpts, ["GB82 **** **** **** **54 32"]);
        assert_eq!(
            count("GB82 WEST 1234 5698 7654 33").1,
            0,
            "bad check digits"
        );
        assert_eq!(count("GB82 WEST 1234 5698 7654 3210").1, 0, "too long");
        assert_eq!(
            count("gb82west12345698765432 and QQ82WEST12345698765432").1,
            0
        );
    }

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }
}
