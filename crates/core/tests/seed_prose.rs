//! False positives of the seed-phrase detector on long English prose, before and after the
//! rule that a phrase must stand apart (own lines, a numbered list, or a keyword nearby).
//!
//! The prose is the worst case for the checksum alone: 2 MB of sentences made only of BIP39
//! list words (common English words: "abandon", "about", "kitchen", "mother"…), wrapped at 72
//! columns into paragraphs like an email's, generated deterministically. "Before" counts every
//! checksum-valid window of 12-24 consecutive list words (the old rule, 1 window in 16 passes
//! by chance); "after" is the detector as it is. Debian's licence texts are real prose; the
//! content noise test covers them (`tests/content_noise.rs`).
//! `cargo test -p sendguard-core --test seed_prose -- --nocapture` prints the rates.

use sendguard_core::content::crypto::{checksum_valid, SeedWords};
use sendguard_core::{Draft, Engine, KnownRecipients, Policy};

/// A small deterministic generator (64-bit LCG), so the prose is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

fn prose(bytes: usize) -> String {
    let words: Vec<&str> = include_str!("../data/bip39-english.txt")
        .lines()
        .filter(|w| !w.is_empty())
        .collect();
    let mut rng = Lcg(18);
    let (mut text, mut line) = (String::new(), 0);
    while text.len() < bytes {
        // A paragraph of 3-8 sentences of 6-20 words.
        for _ in 0..3 + rng.next(6) {
            let n = 6 + rng.next(15);
            for i in 0..n {
                let mut word = words[rng.next(words.len())].to_string();
                if i == 0 {
                    word[..1].make_ascii_uppercase();
                }
                let punct = match (i + 1 == n, rng.next(8)) {
                    (true, _) => ".",
                    (false, 0) => ",",
                    _ => "",
                };
                let piece = format!("{word}{punct}");
                if line + piece.len() + 1 > 72 {
                    text.push('\n');
                    line = 0;
                } else if line > 0 {
                    text.push(' ');
                    line += 1;
                }
                text.push_str(&piece);
                line += piece.len();
            }
        }
        text.push_str("\n\n");
        line = 0;
    }
    text
}

/// The old rule: checksum-valid windows of consecutive list words (as the detector tried them:
/// longest first, then past the phrase).
fn before(text: &str) -> usize {
    let words = SeedWords::shared();
    let mut found = 0;
    for paragraph in text.split("\n\n") {
        let run: Vec<u16> = paragraph
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .filter_map(|w| words.index_of(w.as_bytes()))
            .collect();
        // Runs longer than 48 words were tried only at their ends (the first and last 24).
        let long = run.len() > 48;
        let mut start = 0;
        while start + 12 <= run.len() {
            if long && start > 24 && start + 24 < run.len() {
                start = run.len() - 24;
                continue;
            }
            let hit = [24, 21, 18, 15, 12]
                .into_iter()
                .find(|&n| start + n <= run.len() && checksum_valid(&run[start..start + n]));
            match hit {
                Some(n) => {
                    found += 1;
                    start += n;
                }
                None => start += 1,
            }
        }
    }
    found
}

/// The detector as it is: seed phrases found in 64 KB emails to an outsider.
fn after(text: &str) -> usize {
    let engine = Engine::new(Policy::default()).unwrap();
    let mut found = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(64 * 1024);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let draft = Draft {
            to: vec!["jane@northwind-traders.com".into()],
            body: rest[..cut].to_string(),
            ..Draft::default()
        };
        let verdict = engine.check(&draft, &KnownRecipients::default());
        found += (verdict.findings.iter())
            .filter(|f| f.detector.as_deref() == Some("bip39_seed_phrase"))
            .map(|f| f.count.unwrap_or(1) as usize)
            .sum::<usize>();
        rest = &rest[cut..];
    }
    found
}

#[test]
fn prose_of_list_words_is_no_seed_phrase() {
    let text = prose(2 << 20);
    let mb = text.len() as f64 / (1 << 20) as f64;
    let (before, after) = (before(&text), after(&text));
    println!(
        "seed phrases in {mb:.1} MB of list-word prose: before {before} ({:.1}/MB), after {after} ({:.2}/MB)",
        before as f64 / mb,
        after as f64 / mb
    );
    assert!(
        before > 100,
        "the prose must exercise the checksum: {before}"
    );
    assert!(
        after * 50 <= before,
        "after {after} is not far below before {before}"
    );
}
