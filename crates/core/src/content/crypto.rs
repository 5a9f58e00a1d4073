//! Cryptocurrency keys: BIP39 seed phrases (English list, SHA-256 checksum verified, standing
//! apart from the prose around them: on lines of their own, as a numbered list or one word a
//! line, or next to a keyword such as "recovery phrase"), WIF
//! private keys (Base58Check verified) and Ethereum private keys (64 hex digits next to a
//! keyword such as "private key": a bare hash is not a key).

use sha2::{Digest, Sha256};

use super::detectors::Detector;
use super::text::{abbreviate, Nearby};
use super::Tally;

/// The BIP39 English word list (2048 words, sorted; SHA-256 2f5eed53…24dbda).
const ENGLISH: &str = include_str!("../../data/bip39-english.txt");

/// Seed phrases have 12, 15, 18, 21 or 24 words; longer first so a 24-word phrase is one.
const PHRASE_LENGTHS: [usize; 5] = [24, 21, 18, 15, 12];

/// Bytes that may separate the words of a phrase: blanks, numbering, light punctuation.
const SEPARATOR: [bool; 256] = {
    let mut table = [false; 256];
    let allowed = b" \t\r\n,.;:)(#-0123456789";
    let mut i = 0;
    while i < allowed.len() {
        table[allowed[i] as usize] = true;
        i += 1;
    }
    table
};

/// Runs of list words longer than this are only tried at their ends.
const LONG_RUN: usize = 48;

/// The BIP39 list as an open-addressing table: word (packed 5 bits a letter) → index.
#[derive(Debug, Clone)]
pub struct SeedWords {
    slots: Vec<(u64, u16)>,
    words: Vec<&'static str>,
}

const SLOT_BITS: u32 = 12;

impl SeedWords {
    /// The table, built on first use: it does not depend on the policy, and building it when
    /// loading one would add to every cold start of the add-ins.
    pub fn shared() -> &'static SeedWords {
        static WORDS: std::sync::OnceLock<SeedWords> = std::sync::OnceLock::new();
        WORDS.get_or_init(SeedWords::new)
    }

    pub fn new() -> SeedWords {
        let words: Vec<&'static str> = ENGLISH
            .lines()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        debug_assert_eq!(words.len(), 2048);
        let mut slots = vec![(0u64, 0u16); 1 << SLOT_BITS];
        for (index, word) in words.iter().enumerate() {
            let key = pack(word.as_bytes()).expect("list words are 3 to 8 letters");
            let mut slot = slot_of(key);
            while slots[slot].0 != 0 {
                slot = (slot + 1) & ((1 << SLOT_BITS) - 1);
            }
            slots[slot] = (key, index as u16);
        }
        SeedWords { slots, words }
    }

    /// The word's index in the list, ignoring case.
    pub fn index_of(&self, word: &[u8]) -> Option<u16> {
        let key = pack(word)?;
        let mut slot = slot_of(key);
        loop {
            match self.slots[slot] {
                (0, _) => return None,
                (k, index) if k == key => return Some(index),
                _ => slot = (slot + 1) & ((1 << SLOT_BITS) - 1),
            }
        }
    }

    /// Counts seed phrases (runs of list words separated only by spaces, line breaks,
    /// numbering or light punctuation, whose checksum holds) and WIF and Ethereum keys, in
    /// one pass over the text's letter-and-digit runs.
    pub fn scan(&self, text: &str, runs: &[(usize, usize)], tally: &mut Tally) {
        let bytes = text.as_bytes();
        let mut run: Vec<RunWord> = Vec::new();
        let mut last_word_end = 0;
        let mut keyword_spans = None;
        let mut seed_spans = None;
        for &(start, end) in runs {
            let token = &bytes[start..end];
            let glued = bytes.get(end).is_some_and(|b| *b >= 0x80 || *b == b'_')
                || (start > 0 && bytes[start - 1] >= 0x80);
            if matches!(token.len(), 51 | 52 | 64 | 66) && !glued {
                scan_key(text, start, end, &mut keyword_spans, tally);
            }
            if token[0].is_ascii_digit() && token.iter().all(u8::is_ascii_digit) {
                continue; // numbering between words: `1. abandon 2. ability`
            }
            let separated = start - last_word_end <= 12
                && bytes[last_word_end..start]
                    .iter()
                    .all(|&b| SEPARATOR[usize::from(b)]);
            let index = if glued { None } else { self.index_of(token) };
            match index {
                Some(index) if separated || run.is_empty() => run.push((index, start, end)),
                Some(index) => {
                    self.count_phrases(text, &run, &mut seed_spans, tally);
                    run.clear();
                    run.push((index, start, end));
                }
                None => {
                    self.count_phrases(text, &run, &mut seed_spans, tally);
                    run.clear();
                }
            }
            last_word_end = end;
        }
        self.count_phrases(text, &run, &mut seed_spans, tally);
    }

    /// Counts the phrases of a run of list words: checksum-valid windows that stand apart
    /// ([`stands_apart`]). `seed_spans` caches where the seed keywords stand.
    fn count_phrases(
        &self,
        text: &str,
        run: &[RunWord],
        seed_spans: &mut Option<Vec<(usize, usize)>>,
        tally: &mut Tally,
    ) {
        // A phrase stands at the start or end of a long run of list words (prose made of
        // common words, or hostile input): only those windows are tried, so cost stays linear
        // with a small constant.
        let long = run.len() > LONG_RUN;
        let indices: Vec<u16> = run.iter().map(|w| w.0).collect();
        let mut start = 0;
        while start + 12 <= run.len() {
            if long && start > 24 && start + 24 < run.len() {
                start = run.len() - 24;
                continue;
            }
            let length = PHRASE_LENGTHS.into_iter().find(|&n| {
                start + n <= run.len()
                    && checksum_valid(&indices[start..start + n])
                    && stands_apart(text, run, start, n, seed_spans)
            });
            match length {
                Some(n) => {
                    let first = self.words[usize::from(run[start].0)];
                    tally.add(Detector::Bip39SeedPhrase, || {
                        format!("{first} … ({n} words)")
                    });
                    start += n;
                }
                None => start += 1,
            }
        }
    }
}

/// A list word in a run: its index in the list and where it stands in the text.
type RunWord = (u16, usize, usize);

/// Words that announce a seed phrase nearby (within 200 bytes).
const SEED_KEYWORDS: Nearby = Nearby::new(
    &[
        "seed phrase",
        "seed words",
        "seed:",
        "phrase:",
        "recovery phrase",
        "recovery words",
        "recovery seed",
        "secret phrase",
        "backup phrase",
        "mnemonic",
        "passphrase",
        "wallet seed",
        "bip39",
        "bip-39",
        "12 words",
        "24 words",
        "12-word",
        "24-word",
    ],
    200,
);

/// Whether the `n` words of `run` from `start` stand apart from prose the way real seed
/// phrases do: a seed keyword nearby; a numbered list or one word a line (every gap between
/// the words holds a digit or a line break); or lines of their own (nothing but numbering and
/// punctuation beside it on its lines, and the phrase either the whole run of list words or
/// opening a paragraph or following a line that ends in a colon). A
/// run of common words inside a sentence passes the checksum by chance 1 time in 16; this
/// keeps such runs out.
fn stands_apart(
    text: &str,
    run: &[RunWord],
    start: usize,
    n: usize,
    seed_spans: &mut Option<Vec<(usize, usize)>>,
) -> bool {
    let bytes = text.as_bytes();
    let words = &run[start..start + n];
    let (first, last) = (words[0].1, words[n - 1].2);
    let listed = words.windows(2).all(|pair| {
        bytes[pair[0].2..pair[1].1]
            .iter()
            .any(|b| b.is_ascii_digit() || *b == b'\n')
    });
    let line_start = bytes[..first]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line_end = bytes[last..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| last + i);
    // The line before: none, blank, or an introduction ending in a colon ("Recovery words:").
    let before = text[..line_start].trim_end_matches(['\n', '\r']);
    let introduced = before.is_empty()
        || before.ends_with(['\n', ':'])
        || text[..line_start].ends_with("\n\n")
        || text[..line_start].ends_with("\n\r\n");
    let own_lines = (n == run.len() || introduced)
        && (bytes[line_start..first].iter()).all(|&b| SEPARATOR[usize::from(b)])
        && (bytes[last..line_end].iter())
            .all(|&b| SEPARATOR[usize::from(b)] || b == b'!' || b == b'?');
    listed
        || own_lines
        || SEED_KEYWORDS.near(
            seed_spans.get_or_insert_with(|| SEED_KEYWORDS.spans(text)),
            first,
            last,
        )
}

impl Default for SeedWords {
    fn default() -> Self {
        SeedWords::new()
    }
}

fn pack(word: &[u8]) -> Option<u64> {
    if !(3..=8).contains(&word.len()) {
        return None;
    }
    word.iter().try_fold(0u64, |key, b| {
        b.is_ascii_alphabetic()
            .then(|| key * 32 + u64::from(b.to_ascii_lowercase() - b'a' + 1))
    })
}

fn slot_of(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOT_BITS)) as usize
}

/// BIP39: the words' 11-bit indices are the entropy followed by the first `n / 3` bits of its
/// SHA-256.
pub fn checksum_valid(indices: &[u16]) -> bool {
    let n = indices.len();
    if !PHRASE_LENGTHS.contains(&n) {
        return false;
    }
    let mut bits = [0u8; 33];
    for (w, &index) in indices.iter().enumerate() {
        for b in 0..11 {
            if index & (1 << (10 - b)) != 0 {
                let at = w * 11 + b;
                bits[at / 8] |= 0x80 >> (at % 8);
            }
        }
    }
    let checksum_bits = n / 3;
    let entropy_bytes = (n * 11 - checksum_bits) / 8;
    let hash = Sha256::digest(&bits[..entropy_bytes]);
    let expected = hash[0] >> (8 - checksum_bits);
    let actual = (indices[n - 1] & ((1 << checksum_bits) - 1)) as u8;
    expected == actual
}

/// Words that make 64 hex digits an Ethereum key rather than a hash, within 80 bytes.
const ETHEREUM_KEYWORDS: Nearby = Nearby::new(
    &[
        "private key",
        "private_key",
        "privatekey",
        "private-key",
        "priv key",
        "privkey",
        "secret key",
        "wallet key",
    ],
    80,
);

/// Counts a WIF or Ethereum private key if the run `text[start..end]` is one; `keyword_spans`
/// caches where the Ethereum keywords stand.
fn scan_key(
    text: &str,
    start: usize,
    end: usize,
    keyword_spans: &mut Option<Vec<(usize, usize)>>,
    tally: &mut Tally,
) {
    let token = &text[start..end];
    let hex = token.strip_prefix("0x").unwrap_or(token);
    if matches!(token.len(), 51 | 52) && is_wif(token) {
        tally.add(Detector::WifPrivateKey, || abbreviate(token));
    } else if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        let keywords = &ETHEREUM_KEYWORDS;
        if keywords.near(
            keyword_spans.get_or_insert_with(|| keywords.spans(text)),
            start,
            end,
        ) {
            tally.add(Detector::EthereumPrivateKey, || abbreviate(token));
        }
    }
}

const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Wallet Import Format: Base58Check of 0x80, 32 key bytes, optionally 0x01 (compressed).
pub fn is_wif(token: &str) -> bool {
    let first = token.as_bytes()[0];
    let shape = (token.len() == 51 && first == b'5')
        || (token.len() == 52 && (first == b'K' || first == b'L'));
    if !shape {
        return false;
    }
    let Some(bytes) = base58_decode(token) else {
        return false;
    };
    let (payload, checksum) = match bytes.len() {
        37 | 38 => bytes.split_at(bytes.len() - 4),
        _ => return false,
    };
    let compressed_ok = payload.len() == 33 || payload[33] == 0x01;
    let hash = Sha256::digest(Sha256::digest(payload));
    payload[0] == 0x80 && compressed_ok && hash[..4] == *checksum
}

fn base58_decode(s: &str) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(40);
    for c in s.bytes() {
        let mut carry = BASE58.iter().position(|&b| b == c)? as u32;
        for byte in out.iter_mut().rev() {
            carry += u32::from(*byte) * 58;
            *byte = carry as u8;
            carry >>= 8;
        }
        while carry > 0 {
            out.insert(0, carry as u8);
            carry >>= 8;
        }
    }
    let leading_zeros = s.bytes().take_while(|&b| b == b'1').count();
    let mut result = vec![0u8; leading_zeros];
    result.extend(out);
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::text::alnum_runs;

    fn seeds(text: &str) -> u32 {
        let mut tally = Tally::default();
        SeedWords::new().scan(text, &alnum_runs(text.as_bytes()), &mut tally);
        tally.count(Detector::Bip39SeedPhrase)
    }

    fn keys(text: &str) -> (u32, u32) {
        let mut tally = Tally::default();
        SeedWords::new().scan(text, &alnum_runs(text.as_bytes()), &mut tally);
        (
            tally.count(Detector::WifPrivateKey),
            tally.count(Detector::EthereumPrivateKey),
        )
    }

    #[test]
    fn word_list_is_complete() {
        let words = SeedWords::new();
        assert_eq!(words.words.len(), 2048);
        assert_eq!(words.index_of(b"abandon"), Some(0));
        assert_eq!(words.index_of(b"Zoo"), Some(2047));
        assert_eq!(words.index_of(b"sendguard"), None);
        assert!(words
            .words
            .iter()
            .enumerate()
            .all(|(i, w)| words.index_of(w.as_bytes()) == Some(i as u16)));
    }

    #[test]
    fn seed_phrases_need_the_checksum() {
        let valid = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        assert_eq!(seeds(valid), 1);
        assert_eq!(seeds(&format!("My seed:\n{valid}\nkeep it safe")), 1);
        let numbered = "1. legal 2. winner 3. thank 4. year 5. wave 6. sausage 7. worth 8. useful 9. legal 10. winner 11. thank 12. yellow";
        assert_eq!(seeds(numbered), 1);
        assert_eq!(
            seeds(&valid.replace("about", "abandon")),
            0,
            "checksum fails"
        );
        assert_eq!(seeds(&valid.replace(" about", "")), 0, "11 words");
        assert_eq!(
            seeds(&valid.replace(" about", " \"about\"")),
            0,
            "quotes break a run"
        );
        assert_eq!(seeds(&format!("{valid}s")), 0, "abouts is no list word");
    }

    #[test]
    fn seed_phrases_stand_apart_from_prose() {
        let valid = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        // Inside a sentence: a run of common words that passes the checksum by chance.
        let sentence = format!("Weekend plans: we {valid} the old cabin, then drive home.");
        assert_eq!(seeds(&sentence), 0);
        // The same sentence next to a keyword, on a line of its own, or one word a line.
        assert_eq!(
            seeds(&format!("My recovery phrase, {valid} the old cabin")),
            1
        );
        assert_eq!(seeds(&format!("Hi Bob,\n\n{valid}\n\nThanks")), 1);
        assert_eq!(seeds(&format!("Words:\n{valid}\nkeep it safe")), 1);
        assert_eq!(seeds(&valid.replace(' ', "\n")), 1);
    }

    #[test]
    fn wif_and_ethereum_keys() {
        assert_eq!(
            keys("key 5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"),
            (1, 0)
        );
        assert_eq!(
            keys("KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"),
            (1, 0)
        );
        assert_eq!(
            keys("5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTK"),
            (0, 0),
            "bad checksum"
        );
        let hex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
        assert_eq!(keys(&format!("Private key: 0x{hex}")), (0, 1));
        assert_eq!(
            keys(&format!("sha256sum of the release: {hex}")),
            (0, 0),
            "a hash, no keyword"
        );
    }
}
