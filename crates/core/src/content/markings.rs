//! Protective markings, parsed as a grammar rather than matched as strings:
//! - US banners: a classification, then control markings each after `//`
//!   (`SECRET//NOFORN`, `TOP SECRET//SI/TK//REL TO USA, FVEY`, `UNCLASSIFIED//FOR OFFICIAL USE ONLY`),
//!   and CUI banners (`CUI`, `CUI//SP-PRVCY/SP-TAX//NOFORN`, legacy `CONTROLLED`); FOUO;
//! - portion marks: `(U//FOUO)`, `(S//NF)`, `(TS)`, `(CUI)`, `(CUI//SP-PRVCY)`;
//! - UK: `OFFICIAL-SENSITIVE` with an optional descriptor (`COMMERCIAL`, `LOCSEN`, `PERSONAL`),
//!   `SECRET` / `TOP SECRET` with caveats (`UK EYES ONLY`, `STRAP1`), legacy `PROTECT` and
//!   `RESTRICTED`;
//! - NATO: `NATO RESTRICTED`, `NATO CONFIDENTIAL`, `NATO SECRET`, `COSMIC TOP SECRET`, with
//!   `ATOMAL` or `BOHEMIA`.
//!
//! A marking with control markings, a caveat or a form no prose uses is certain. A bare
//! classification (`SECRET`, `CONFIDENTIAL`) is also an ordinary word in capitals ("SECRET
//! SANTA", "CONFIDENTIAL: this email is intended…"): it counts only as a whole banner. Banners
//! are upper case and stand at the start of a line, at the start of the subject (certain ones
//! anywhere in it) or in an attachment's name. `UNCLASSIFIED` and `(U)` alone, plain `OFFICIAL`
//! and `NATO UNCLASSIFIED` are not sensitive and are not reported.

use super::detectors::Detector;
use super::text::is_alnum;
use super::Tally;

/// US and UK classifications, longest first; `UNCLASSIFIED` counts only with control markings.
const CLASSIFICATIONS: &[&str] = &[
    "UNCLASSIFIED",
    "CONFIDENTIAL",
    "TOP SECRET",
    "CONTROLLED",
    "RESTRICTED",
    "PROTECT",
    "SECRET",
    "CUI",
];

/// Caveats that may follow a classification after a space (`TOP SECRET UK EYES ONLY`).
const CAVEATS: &[&str] = &[
    "UK EYES ONLY",
    "EYES ONLY",
    "NOFORN",
    "REL TO",
    "ORCON",
    "STRAP",
    "UKEO",
    "SCI",
];

/// NATO levels (`NATO UNCLASSIFIED` is not sensitive) and their special categories.
const NATO: &[&str] = &[
    "COSMIC TOP SECRET",
    "NATO CONFIDENTIAL",
    "NATO RESTRICTED",
    "NATO SECRET",
];
const NATO_CATEGORIES: &[&str] = &["ATOMAL", "BOHEMIA"];

/// UK OFFICIAL-SENSITIVE and its descriptors.
const UK_SENSITIVE: &[&str] = &["OFFICIAL-SENSITIVE", "OFFICIAL SENSITIVE"];
const UK_DESCRIPTORS: &[&str] = &["COMMERCIAL", "LOCSEN", "PERSONAL"];

/// Markings no prose uses, whatever follows them.
const STANDALONE: &[&str] = &["FOR OFFICIAL USE ONLY", "UK EYES ONLY", "FOUO"];

/// Classifications a portion mark opens with: `(TS)`, `(S//NF)`, `(U//FOUO)`.
const PORTION_LEVELS: &[&str] = &["CUI", "CTS", "TS", "NS", "NC", "NR", "S", "C", "U", "R"];

/// Portion marks that are sensitive without control markings (`(U)`, `(C)` © and `(S)`, as in
/// "item(s)", are not).
const SENSITIVE_ALONE: &[&str] = &["CUI", "CTS", "TS", "NS", "NC", "NR", "FOUO"];

/// A marking at the start of a text: how long it is and whether it is certain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parsed {
    len: usize,
    certain: bool,
}

/// Where a text stands in the draft: the rules differ a little.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Subject,
    Body,
    AttachmentName,
}

/// Counts markings in a text: each body line, the subject or a file name counts at most once.
pub fn scan(text: &str, place: Place, tally: &mut Tally) {
    match place {
        Place::Body => {
            for line in text.lines() {
                if let Some(found) = banner(line, place) {
                    tally.add(Detector::ProtectiveMarking, || found.to_string());
                }
            }
        }
        Place::Subject | Place::AttachmentName => {
            // File names use `_` for spaces: `TOP_SECRET_plan.pdf`.
            let text = if place == Place::AttachmentName {
                text.replace('_', " ")
            } else {
                text.to_string()
            };
            if let Some(found) = banner(&text, place).or_else(|| anywhere(&text)) {
                tally.add(Detector::ProtectiveMarking, || found.to_string());
            }
        }
    }
}

/// Reply and forward prefixes and decorations that may stand before a banner.
fn strip_lead(mut s: &str) -> &str {
    loop {
        let t = s.trim_start_matches(|c: char| c.is_whitespace() || "[*#>=|".contains(c));
        let prefix = ["re:", "fw:", "fwd:", "aw:", "wg:", "tr:"]
            .iter()
            .find(|p| {
                t.get(..p.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(p))
            });
        match prefix {
            Some(p) => s = &t[p.len()..],
            None => return t,
        }
    }
}

/// The banner a line (subject, file name) starts with, as written (`SECRET//NOFORN`).
fn banner(line: &str, place: Place) -> Option<&str> {
    let t = strip_lead(line);
    let parsed = marking_at(t)?;
    let found = t[..parsed.len].trim_end();
    if parsed.certain {
        return Some(found);
    }
    let rest = &t[parsed.len..];
    let rest_is_banner = !rest.bytes().any(|b| b.is_ascii_lowercase());
    let whole = match place {
        // A subject's banner may be followed by the subject itself after a separator.
        Place::Subject => rest.trim().is_empty() || starts_with_separator(rest),
        // File names: `SECRET_plan.docx`, `CONFIDENTIAL - Q3.pdf`.
        Place::AttachmentName => rest.starts_with(['-', ' ', '.']) || rest.is_empty(),
        Place::Body => rest_is_banner && (rest.trim().is_empty() || starts_with_separator(rest)),
    };
    whole.then_some(found)
}

/// A certain marking anywhere in a subject or file name, standing as a word.
fn anywhere(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .filter(|&at| at == 0 || !is_alnum(bytes[at - 1]))
        .filter(|&at| b"(CFNOTU".contains(&bytes[at]))
        .find_map(|at| {
            let parsed = marking_at(&text[at..]).filter(|p| p.certain)?;
            Some(text[at..at + parsed.len].trim_end())
        })
}

/// The grammar's start: a portion mark, a NATO or UK marking, or a US or CUI banner.
fn marking_at(t: &str) -> Option<Parsed> {
    let first = *t.as_bytes().first()?;
    if !matches!(
        first,
        b'(' | b'C' | b'F' | b'N' | b'O' | b'P' | b'R' | b'S' | b'T' | b'U'
    ) {
        return None;
    }
    portion(t)
        .or_else(|| nato(t))
        .or_else(|| uk_sensitive(t))
        .or_else(|| word_from(t, STANDALONE).map(|m| certain(m.len())))
        .or_else(|| classified(t))
}

fn certain(len: usize) -> Parsed {
    Parsed { len, certain: true }
}

/// `(TS)`, `(S//NF)`, `(U//FOUO)`, `(CUI//SP-PRVCY)`, `(FOUO)`.
fn portion(t: &str) -> Option<Parsed> {
    let inner = t.strip_prefix('(')?;
    let close = inner.get(..inner.len().min(64))?.find(')')?;
    let inner = &inner[..close];
    let level = (PORTION_LEVELS.iter().chain(["FOUO"].iter()))
        .find(|l| inner.starts_with(**l) && !inner[l.len()..].starts_with(is_marking_char))?;
    let controls = controls(&inner[level.len()..]);
    let whole = level.len() + controls == inner.len();
    (whole && (controls > 0 || SENSITIVE_ALONE.contains(level))).then(|| certain(close + 2))
}

/// `NATO SECRET`, `COSMIC TOP SECRET ATOMAL`, `NATO RESTRICTED//…`.
fn nato(t: &str) -> Option<Parsed> {
    let level = word_from(t, NATO)?;
    let mut len = level.len();
    if let Some(category) = t[len..]
        .strip_prefix(' ')
        .and_then(|r| word_from(r, NATO_CATEGORIES))
    {
        len += 1 + category.len();
    }
    Some(certain(len + controls(&t[len..])))
}

/// `OFFICIAL-SENSITIVE`, optionally with a descriptor: `OFFICIAL-SENSITIVE COMMERCIAL`,
/// `OFFICIAL-SENSITIVE: PERSONAL`, `OFFICIAL-SENSITIVE-LOCSEN`.
fn uk_sensitive(t: &str) -> Option<Parsed> {
    let level = word_from(t, UK_SENSITIVE)?;
    let rest = &t[level.len()..];
    let descriptor = [" ", ": ", "-", " - ", "//"].iter().find_map(|sep| {
        let d = word_from(rest.strip_prefix(sep)?, UK_DESCRIPTORS)?;
        Some(sep.len() + d.len())
    });
    Some(certain(level.len() + descriptor.unwrap_or(0)))
}

/// A US or UK classification or CUI: certain with control markings or a caveat; a bare one
/// must stand alone (the caller decides).
fn classified(t: &str) -> Option<Parsed> {
    let level = word_from(t, CLASSIFICATIONS)?;
    let rest = &t[level.len()..];
    let controls = controls(rest);
    if controls > 0 {
        return Some(certain(level.len() + controls));
    }
    if let Some(caveat) = rest.strip_prefix(' ').and_then(caveat_at) {
        return Some(certain(level.len() + 1 + caveat));
    }
    (level != "UNCLASSIFIED").then_some(Parsed {
        len: level.len(),
        certain: false,
    })
}

/// The length of a caveat (`UK EYES ONLY`, `STRAP1`) with its codeword digits.
fn caveat_at(t: &str) -> Option<usize> {
    let caveat = CAVEATS.iter().find(|c| t.starts_with(**c))?;
    let digits = t[caveat.len()..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    let end = caveat.len() + digits;
    (!t[end..].starts_with(is_marking_char)).then_some(end)
}

/// The length of the control markings at the start of `t`: blocks each opened by `//`, made of
/// upper-case words (letters, digits, inner `-`) joined by `/`, a space or `, `
/// (`//SI/TK//REL TO USA, FVEY`). 0 when there are none.
fn controls(t: &str) -> usize {
    let bytes = t.as_bytes();
    let mut at = 0;
    while bytes[at..].starts_with(b"//") {
        let block = control_block(&bytes[at + 2..]);
        if block == 0 {
            break;
        }
        at += 2 + block;
    }
    at
}

/// One control block: words joined by `/`, ` ` or `, `, each starting with a letter or digit
/// and all upper case (`NOFORN Budget` ends before `Budget`).
fn control_block(bytes: &[u8]) -> usize {
    let starts_word =
        |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let (mut at, mut end) = (0, 0);
    while starts_word(bytes.get(at)) {
        let word = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'-')
            .count();
        if bytes.get(at + word).is_some_and(u8::is_ascii_lowercase) {
            break;
        }
        at += word;
        end = at;
        at += match &bytes[at..] {
            [b'/', next, ..] | [b' ', next, ..] if *next != b'/' => 1,
            [b',', b' ', ..] => 2,
            _ => break,
        };
    }
    end
}

/// The first of `words` that `t` starts with as a whole word.
fn word_from<'w>(t: &str, words: &[&'w str]) -> Option<&'w str> {
    words
        .iter()
        .find(|w| t.starts_with(**w) && !t[w.len()..].starts_with(is_marking_char))
        .copied()
}

/// A letter or digit glued to a marking makes it another word (`SECRETARY`, `CUISINE`).
fn is_marking_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn starts_with_separator(rest: &str) -> bool {
    let r = rest.trim_start_matches(' ');
    ["//", "/", ":", "-", "–", "—", "|", "]", ")", ","]
        .iter()
        .any(|s| r.starts_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, place: Place) -> Vec<String> {
        let mut tally = Tally::default();
        scan(text, place, &mut tally);
        let n = tally.count(Detector::ProtectiveMarking);
        let mut e = tally.excerpts();
        e.push(n.to_string());
        e
    }

    #[test]
    fn us_banners_with_control_markings() {
        for (text, marking) in [
            ("SECRET//NOFORN", "SECRET//NOFORN"),
            ("  SECRET//NOFORN\n", "SECRET//NOFORN"),
            (
                "TOP SECRET//SI/TK//REL TO USA, FVEY",
                "TOP SECRET//SI/TK//REL TO USA, FVEY",
            ),
            (
                "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
                "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
            ),
            (
                "CONFIDENTIAL//NOFORN Budget figures",
                "CONFIDENTIAL//NOFORN",
            ),
            ("CUI//SP-PRVCY", "CUI//SP-PRVCY"),
            (
                "CUI//SP-PRVCY/SP-TAX//NOFORN",
                "CUI//SP-PRVCY/SP-TAX//NOFORN",
            ),
            ("CONTROLLED//SP-EXPT", "CONTROLLED//SP-EXPT"),
            ("FOR OFFICIAL USE ONLY", "FOR OFFICIAL USE ONLY"),
            ("CUI", "CUI"),
            ("SECRET", "SECRET"),
            ("CONFIDENTIAL\n", "CONFIDENTIAL"),
        ] {
            assert_eq!(found(text, Place::Body), [marking, "1"], "{text}");
        }
        assert_eq!(
            found("CUI//SP-PRVCY\ntext\nCUI//SP-PRVCY", Place::Body),
            ["CUI//SP-PRVCY", "2"]
        );
    }

    #[test]
    fn portion_marks() {
        for (text, marking) in [
            ("(U//FOUO) The convoy leaves at six.", "(U//FOUO)"),
            ("(S//NF) Grid reference follows.", "(S//NF)"),
            ("(TS) Source names.", "(TS)"),
            ("(CUI) The plan is set.", "(CUI)"),
            (
                "(CUI//SP-PRVCY) Names and dates of birth.",
                "(CUI//SP-PRVCY)",
            ),
            ("(TS//SI//NF) Intercepts.", "(TS//SI//NF)"),
        ] {
            assert_eq!(found(text, Place::Body), [marking, "1"], "{text}");
        }
    }

    #[test]
    fn uk_and_nato_markings() {
        for (text, marking) in [
            ("OFFICIAL-SENSITIVE\nHello", "OFFICIAL-SENSITIVE"),
            (
                "OFFICIAL-SENSITIVE COMMERCIAL",
                "OFFICIAL-SENSITIVE COMMERCIAL",
            ),
            (
                "OFFICIAL-SENSITIVE: PERSONAL",
                "OFFICIAL-SENSITIVE: PERSONAL",
            ),
            ("OFFICIAL SENSITIVE-LOCSEN", "OFFICIAL SENSITIVE-LOCSEN"),
            ("TOP SECRET UK EYES ONLY", "TOP SECRET UK EYES ONLY"),
            ("SECRET STRAP1", "SECRET STRAP1"),
            ("NATO RESTRICTED", "NATO RESTRICTED"),
            ("COSMIC TOP SECRET ATOMAL", "COSMIC TOP SECRET ATOMAL"),
            ("NATO SECRET//REL TO FIN", "NATO SECRET//REL TO FIN"),
        ] {
            assert_eq!(found(text, Place::Body), [marking, "1"], "{text}");
        }
    }

    #[test]
    fn look_alikes_are_not_markings() {
        for text in [
            "This is confidential, please keep it between us.",
            "CONFIDENTIAL: This email and any files transmitted with it are confidential.",
            "CONFIDENTIALITY NOTICE: this message is for its recipient only.",
            "SECRET SANTA sign-ups close Friday",
            "SECRETARY OF STATE",
            "Our secret recipe, top secret of course.",
            "Please mark the report OFFICIAL-SENSITIVE before sending.",
            "OFFICIAL",
            "UNCLASSIFIED",
            "NATO UNCLASSIFIED",
            "NATO SUMMIT 2026",
            "(U) The meeting moved to Tuesday.",
            "(C) 2026 Acme Ltd. All rights reserved.",
            "(S) Select the item(s) to order.",
            "(SOON) new offers",
            "CUIDADO con el perro",
            "CUISINE OF THE WEEK",
            "RESTRICTED AREA AUTHORISED PERSONNEL",
            "PROTECTION plans",
            "SECRET//noforn is how it is not written",
            "Unclassified//for official use only",
        ] {
            assert_eq!(found(text, Place::Body), ["0"], "{text}");
        }
    }

    #[test]
    fn subjects_and_file_names() {
        assert_eq!(
            found("RE: OFFICIAL-SENSITIVE: Q3 budget", Place::Subject),
            ["OFFICIAL-SENSITIVE", "1"]
        );
        assert_eq!(
            found("SECRET - travel plans", Place::Subject),
            ["SECRET", "1"]
        );
        assert_eq!(
            found("Budget figures (OFFICIAL-SENSITIVE)", Place::Subject),
            ["OFFICIAL-SENSITIVE", "1"]
        );
        assert_eq!(
            found("Minutes (U//FOUO) attached", Place::Subject),
            ["(U//FOUO)", "1"]
        );
        assert_eq!(found("Secret santa", Place::Subject), ["0"]);
        assert_eq!(found("SECRET plans for the party", Place::Subject), ["0"]);
        assert_eq!(found("Minutes (U) attached", Place::Subject), ["0"]);
        assert_eq!(
            found("SECRET_plan.docx", Place::AttachmentName),
            ["SECRET", "1"]
        );
        assert_eq!(
            found("report_CUI_(CUI).pdf", Place::AttachmentName),
            ["(CUI)", "1"]
        );
        assert_eq!(found("secretariat.pdf", Place::AttachmentName), ["0"]);
    }
}
