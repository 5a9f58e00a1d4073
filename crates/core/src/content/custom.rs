//! The policy's own detectors: keywords (whole words) and regular expressions.

use regex_lite::{Regex, RegexBuilder};

use super::rules::CustomDetector;
use super::text::abbreviate;
use super::{Source, Tally};

/// The largest compiled pattern accepted, in bytes of regex-lite's NFA (its `size_limit`).
/// regex-lite runs in time proportional to the text times the states alive at once, which
/// grows with the compiled size: `(\w+\s?){300}Z` compiles to ~85 KB and took 2.8 s per
/// 100 KB body. At 4 KB, `(\w+\s?){10}Z`, a UUID or a card-number shape still fit; a long
/// list of words belongs in `keywords`.
pub const PATTERN_SIZE_LIMIT: usize = 4 << 10;

/// Work the custom patterns may do on one draft, in units of one byte of text through 1 KB
/// of compiled pattern (a pattern's [`CompiledPattern::weight`] times the bytes it scans):
/// 256 KB of text through small patterns, ~100 KB through the costliest accepted one, which
/// `examples/pattern_budget.rs` measured at 0.68 s on a busy 2-core machine where issue 13's
/// pattern took 14.7 s. Past it, the check fails by the policy's `fail_mode`.
pub const DRAFT_PATTERN_BUDGET: u64 = 1 << 19;

/// An admin's pattern, compiled, with what it costs per byte of text.
#[derive(Debug, Clone)]
pub struct CompiledPattern {
    pub regex: Regex,
    /// 1 + the compiled size in KB (rounded up to a power of two): the work per byte scanned.
    pub weight: u64,
}

/// Compiles an admin's pattern within [`PATTERN_SIZE_LIMIT`]; the error says what is wrong in
/// one line, leading with what to do.
pub fn compile_pattern(pattern: &str, case_sensitive: bool) -> Result<CompiledPattern, String> {
    let build = |limit: usize| {
        RegexBuilder::new(pattern)
            .case_insensitive(!case_sensitive)
            .size_limit(limit)
            .build()
    };
    // The smallest power-of-two limit the pattern compiles under bounds its size (regex-lite
    // does not say it); a compile stops as soon as it passes the limit, so the tries are cheap.
    let mut limit = 512;
    loop {
        match build(limit) {
            Ok(regex) => {
                let weight = 1 + (limit as u64).div_ceil(1024);
                return Ok(CompiledPattern { regex, weight });
            }
            Err(e) if e.to_string().contains("size limit") => {
                if limit >= PATTERN_SIZE_LIMIT {
                    return Err(format!(
                        "simplify this pattern (fewer or shorter repetitions, or use `keywords`): it compiles to more than {} KB, too costly to run on every email",
                        PATTERN_SIZE_LIMIT >> 10
                    ));
                }
                limit *= 2;
            }
            Err(e) => return Err(regex_error(&e.to_string())),
        }
    }
}

fn regex_error(message: &str) -> String {
    // The regex crate's message spans several lines with a caret diagram; keep the gist.
    let gist = message
        .lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .unwrap_or(message);
    format!(
        "not a valid regular expression: {}",
        gist.trim_start_matches("error: ")
    )
}

/// One custom detector, compiled.
#[derive(Debug, Clone)]
pub struct CustomMatcher {
    index: usize,
    /// Longest first (so `Falcon-7` wins over `Falcon` at the same place); ASCII lower-case
    /// unless case-sensitive. Found by plain substring search, which is fast on any body.
    keywords: Vec<String>,
    case_sensitive: bool,
    pattern: Option<CompiledPattern>,
}

impl CustomMatcher {
    pub fn new(index: usize, detector: &CustomDetector) -> Result<CustomMatcher, String> {
        let fold = |k: &str| {
            if detector.case_sensitive {
                k.to_string()
            } else {
                k.to_ascii_lowercase()
            }
        };
        let mut keywords: Vec<String> = detector.keywords.iter().map(|k| fold(k.trim())).collect();
        // Longest first (the shared sort: `crate::order`).
        crate::order::sort_by_key(&mut keywords, |w| (u64::MAX - w.len() as u64, 0));
        let pattern = match &detector.pattern {
            Some(p) => Some(compile_pattern(p, detector.case_sensitive)?),
            None => None,
        };
        Ok(CustomMatcher {
            index,
            keywords,
            case_sensitive: detector.case_sensitive,
            pattern,
        })
    }

    /// The pattern's work on `bytes` of text, in [`DRAFT_PATTERN_BUDGET`] units (0 without one).
    pub fn pattern_cost(&self, bytes: usize) -> u64 {
        self.pattern
            .as_ref()
            .map_or(0, |p| p.weight.saturating_mul(bytes as u64))
    }

    /// Finds the keywords and, with `run_pattern`, the pattern in `text`.
    pub fn scan(&self, text: &str, run_pattern: bool, tally: &mut Tally) {
        let source = Source::Custom(self.index);
        if !self.keywords.is_empty() {
            // ASCII folding keeps byte offsets, so matches in `haystack` are places in `text`.
            let folded;
            let haystack = if self.case_sensitive {
                text
            } else {
                folded = text.to_ascii_lowercase();
                &folded
            };
            let mut found: Vec<(usize, usize)> = self
                .keywords
                .iter()
                .flat_map(|k| {
                    haystack
                        .match_indices(k.as_str())
                        .map(|(at, _)| (at, at + k.len()))
                        .collect::<Vec<_>>()
                })
                .filter(|&(start, end)| whole_word(text, start, end))
                .collect();
            // Longest match first at each place; overlapping shorter ones are dropped.
            crate::order::sort_by_key(&mut found, |&(start, end)| {
                (start as u64, u64::MAX - end as u64)
            });
            let mut covered_to = 0;
            for (start, end) in found {
                if start >= covered_to {
                    covered_to = end;
                    tally.add_source(source, || text[start..end].to_string());
                }
            }
        }
        if let Some(pattern) = self.pattern.as_ref().filter(|_| run_pattern) {
            for m in pattern.regex.find_iter(text).filter(|m| !m.is_empty()) {
                tally.add_source(source, || abbreviate(m.as_str()));
            }
        }
    }
}

/// No letter or digit (in any script) touches the match on either side.
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric());
    let after = text[end..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric());
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(detector: &CustomDetector, text: &str) -> (u32, Vec<String>) {
        let mut tally = Tally::default();
        CustomMatcher::new(0, detector)
            .unwrap()
            .scan(text, true, &mut tally);
        (tally.count_source(Source::Custom(0)), tally.excerpts())
    }

    fn detector(keywords: &[&str], pattern: Option<&str>, case_sensitive: bool) -> CustomDetector {
        CustomDetector {
            id: "x".into(),
            description: "x".into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            pattern: pattern.map(str::to_string),
            case_sensitive,
        }
    }

    #[test]
    fn keywords_match_whole_words() {
        let d = detector(&["Falcon", "Falcon-7"], None, false);
        assert_eq!(
            count(&d, "Project FALCON-7 starts; falcon again"),
            (2, vec!["FALCON-7".to_string()])
        );
        assert_eq!(count(&d, "Falconry and refalcon are not it").0, 0);
        let d = detector(&["Falcon"], None, true);
        assert_eq!(count(&d, "falcon").0, 0);
    }

    #[test]
    fn patterns_match_and_are_redacted() {
        let d = detector(&[], Some(r"EMP-\d{6}"), true);
        assert_eq!(
            count(&d, "ids EMP-123456 and EMP-654321"),
            (2, vec!["E*********".to_string()])
        );
        assert!(compile_pattern("(a", true)
            .unwrap_err()
            .starts_with("not a valid regular expression"));
        assert!(
            compile_pattern(r"(\w+){1000}{1000}", true).is_err(),
            "too big"
        );
    }

    #[test]
    fn costly_patterns_are_refused_and_weighed() {
        // The pattern of issue 13: 2.8 s per 100 KB body before the limit.
        let e = compile_pattern(r"(\w+\s?){300}Z", false).unwrap_err();
        assert!(e.starts_with("simplify this pattern"), "{e}");
        assert!(compile_pattern(r".{0,100}secret.{0,100}", false).is_err());
        let small = compile_pattern(r"EMP-\d{6}", true).unwrap();
        let larger = compile_pattern(r"(\w+\s?){10}Z", false).unwrap();
        assert_eq!(small.weight, 2);
        assert!(larger.weight > small.weight && larger.weight <= 5);
    }
}
