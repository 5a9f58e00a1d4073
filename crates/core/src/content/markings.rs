//! Protective markings: UK classifications and caveats, US CUI banners and portion marks and
//! legacy FOUO, NATO levels. Banners are upper-case and stand at the start of a line, at the
//! start (or, for unambiguous ones, anywhere) of the subject, or in an attachment's name;
//! "confidential" in running prose is not a marking.

use super::detectors::Detector;
use super::text::is_alnum;
use super::Tally;

/// Markings no ordinary upper-case text uses: they count wherever they stand in a line's start,
/// a subject or a file name, whatever follows.
const UNAMBIGUOUS: &[&str] = &[
    "COSMIC TOP SECRET",
    "NATO SECRET",
    "NATO CONFIDENTIAL",
    "NATO RESTRICTED",
    "OFFICIAL-SENSITIVE",
    "OFFICIAL SENSITIVE",
    "UK EYES ONLY",
    "FOR OFFICIAL USE ONLY",
    "U//FOUO",
    "FOUO",
    "CUI//",
    "(CUI)",
    "(CUI//",
    "(U//FOUO)",
    "(U//CUI)",
    "(FOUO)",
    "(TS)",
    "(TS//",
    "(S//",
    "(C//",
];

/// Markings that are also ordinary words in capitals ("SECRET SANTA", "CONFIDENTIAL: this email
/// is intended…"): they count only as a whole banner, alone or followed by caveats.
const AMBIGUOUS: &[&str] = &[
    "TOP SECRET",
    "SECRET",
    "CONFIDENTIAL",
    "RESTRICTED",
    "PROTECT",
    "CUI",
    "CONTROLLED",
];

/// Caveats and codewords that may follow an ambiguous marking after a space.
const CAVEATS: &[&str] = &[
    "UK EYES ONLY",
    "EYES ONLY",
    "NOFORN",
    "REL TO",
    "ORCON",
    "STRAP",
    "COMMERCIAL",
    "PERSONAL",
    "LOCSEN",
    "UKEO",
    "SCI",
    "SI",
];

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

/// The banner a line (subject, file name) starts with, as its upper-case token
/// (`SECRET//NOFORN`, `OFFICIAL-SENSITIVE`).
fn banner(line: &str, place: Place) -> Option<&str> {
    let t = strip_lead(line);
    let first = *t.as_bytes().first()?;
    if !matches!(
        first,
        b'(' | b'C' | b'F' | b'N' | b'O' | b'P' | b'R' | b'S' | b'T' | b'U'
    ) {
        return None;
    }
    if let Some(m) = UNAMBIGUOUS.iter().find(|m| starts_with_word(t, m)) {
        return Some(token_at(t, m.len()));
    }
    let m = AMBIGUOUS.iter().find(|m| starts_with_word(t, m))?;
    let rest = &t[m.len()..];
    let rest_is_banner = !rest.bytes().any(|b| b.is_ascii_lowercase());
    let whole = match place {
        // A subject's banner may be followed by the subject itself after a separator.
        Place::Subject => {
            rest.trim().is_empty()
                || starts_with_separator(rest)
                || (rest_is_banner && caveat_follows(rest))
        }
        // File names: `SECRET_plan.docx`, `CONFIDENTIAL - Q3.pdf`.
        Place::AttachmentName => rest.starts_with(['-', ' ', '.']) || rest.is_empty(),
        Place::Body => {
            rest_is_banner
                && (rest.trim().is_empty() || starts_with_separator(rest) || caveat_follows(rest))
        }
    };
    whole.then(|| token_at(t, m.len()))
}

/// A marking from [`UNAMBIGUOUS`] anywhere, upper-case, standing as a word.
fn anywhere(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    for m in UNAMBIGUOUS {
        let mut from = 0;
        while let Some(pos) = text[from..].find(m) {
            let at = from + pos;
            let before_ok = at == 0 || !is_alnum(bytes[at - 1]);
            if before_ok && ends_word(text, at + m.len(), m) {
                return Some(token_at(&text[at..], m.len()));
            }
            from = at + 1;
        }
    }
    None
}

fn starts_with_word(t: &str, marking: &str) -> bool {
    t.starts_with(marking) && ends_word(t, marking.len(), marking)
}

/// No letter or digit glued after the marking (markings ending in `//` or `(` need no check).
fn ends_word(t: &str, end: usize, marking: &str) -> bool {
    marking.ends_with(['/', ')'])
        || !t
            .as_bytes()
            .get(end)
            .is_some_and(|b| is_alnum(*b) || *b >= 0x80)
}

fn starts_with_separator(rest: &str) -> bool {
    let r = rest.trim_start_matches(' ');
    ["//", "/", ":", "-", "–", "—", "|", "]", ")", ","]
        .iter()
        .any(|s| r.starts_with(s))
}

fn caveat_follows(rest: &str) -> bool {
    let r = rest.trim_start();
    CAVEATS.iter().any(|c| r.starts_with(c))
}

/// The marking and the banner characters glued to it: `CUI//SP-PRVCY`, `SECRET//NOFORN`.
fn token_at(t: &str, marking_len: usize) -> &str {
    let extra = t[marking_len..]
        .bytes()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"/-".contains(b))
        .count();
    t[..marking_len + extra].trim_end_matches('-')
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
    fn banners_at_line_start() {
        assert_eq!(
            found("OFFICIAL-SENSITIVE\nHello", Place::Body),
            ["OFFICIAL-SENSITIVE", "1"]
        );
        assert_eq!(
            found("CUI//SP-PRVCY\ntext\nCUI//SP-PRVCY", Place::Body),
            ["CUI//SP-PRVCY", "2"]
        );
        assert_eq!(
            found("  SECRET//NOFORN\n", Place::Body),
            ["SECRET//NOFORN", "1"]
        );
        assert_eq!(
            found("TOP SECRET UK EYES ONLY", Place::Body),
            ["TOP SECRET", "1"]
        );
        assert_eq!(found("(CUI) The plan is set.", Place::Body), ["(CUI)", "1"]);
        assert_eq!(
            found("NATO RESTRICTED", Place::Body),
            ["NATO RESTRICTED", "1"]
        );
        assert_eq!(found("CONFIDENTIAL\n", Place::Body), ["CONFIDENTIAL", "1"]);
    }

    #[test]
    fn prose_and_disclaimers_are_not_banners() {
        for text in [
            "This is confidential, please keep it between us.",
            "CONFIDENTIAL: This email and any files transmitted with it are confidential.",
            "SECRET SANTA sign-ups close Friday",
            "Our secret recipe, top secret of course.",
            "Please mark the report OFFICIAL-SENSITIVE before sending.",
            "CUIDADO con el perro",
            "PROTECTION plans",
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
        assert_eq!(found("Secret santa", Place::Subject), ["0"]);
        assert_eq!(found("SECRET plans for the party", Place::Subject), ["0"]);
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
