//! A symmetric-delete index: finds, among many strings, those within one edit of a query.
//!
//! Brute force (an edit distance against every reference) costs seconds for 100 recipients
//! against 100,000 domains. Instead every reference is stored under itself and each of its
//! one-character deletions; a query looks up itself and its own deletions. Two strings within
//! one edit (insertion, omission, replacement, adjacent transposition) always share such a key,
//! so the index yields every true neighbour plus a few false candidates, which
//! [`osa_within_one`] then removes. Keys are 32-bit hashes in one sorted `Vec`: compact, and
//! a hash collision only adds a candidate that verification removes.

/// Entry ids are positions in the slice the index was built from.
#[derive(Debug, Default, Clone)]
pub struct NeighbourIndex {
    /// `hash << 32 | id`, sorted: one flat `u64` sorts much faster than pairs.
    keys: Vec<u64>,
}

impl NeighbourIndex {
    /// Builds the index over `entries`; the id of an entry is its position.
    pub fn build<S: AsRef<str>>(entries: &[S]) -> NeighbourIndex {
        let mut keys = Vec::with_capacity(entries.iter().map(|e| e.as_ref().len() + 1).sum());
        let mut scratch = VariantHasher::default();
        for (id, entry) in entries.iter().enumerate() {
            let id = id as u64;
            scratch.for_each_variant(entry.as_ref(), |h| keys.push((h as u64) << 32 | id));
        }
        sort_by_hash(&mut keys);
        keys.dedup();
        keys.shrink_to_fit();
        NeighbourIndex { keys }
    }

    /// Ids of entries that may be within one edit of `query` (verify with [`osa_within_one`]),
    /// sorted and without repeats.
    pub fn candidates(&self, query: &str) -> Vec<u32> {
        let mut out = Vec::new();
        VariantHasher::default().for_each_variant(query, |h| {
            let first = (h as u64) << 32;
            let start = self.keys.partition_point(|&k| k < first);
            let same_hash = self.keys[start..]
                .iter()
                .take_while(|&&k| k >> 32 == h as u64);
            out.extend(same_hash.map(|&k| k as u32));
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Heap bytes held by the index.
    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<u64>()
    }
}

/// Sorts `hash << 32 | id` keys. Ids were pushed in increasing order, so a stable sort on the
/// hash alone sorts the whole key: two 16-bit counting-sort passes, several times faster than a
/// comparison sort for the hundreds of thousands of keys a large policy makes.
fn sort_by_hash(keys: &mut Vec<u64>) {
    let mut buffer = vec![0u64; keys.len()];
    for shift in [32u32, 48] {
        let digit = |k: u64| ((k >> shift) & 0xFFFF) as usize;
        let mut starts = vec![0usize; 1 << 16];
        for &k in keys.iter() {
            starts[digit(k)] += 1;
        }
        let mut total = 0;
        for slot in starts.iter_mut() {
            let count = *slot;
            *slot = total;
            total += count;
        }
        for &k in keys.iter() {
            let d = digit(k);
            buffer[starts[d]] = k;
            starts[d] += 1;
        }
        std::mem::swap(keys, &mut buffer);
    }
}

/// Polynomial hashes (mod 2^32) of a string and of each of its one-character deletions, each
/// deletion in O(1) from prefix and suffix hashes: `h(s without s[i..j]) = P(i)·B^(n-j) + S(j)`.
#[derive(Default)]
struct VariantHasher {
    prefix: Vec<u32>,
    suffix: Vec<u32>,
    power: Vec<u32>,
}

const BASE: u32 = 0x0100_0193;

impl VariantHasher {
    /// Calls `f` with the hash of `s` and of each one-character deletion of `s`.
    fn for_each_variant(&mut self, s: &str, mut f: impl FnMut(u32)) {
        let b = s.as_bytes();
        let n = b.len();
        self.prefix.clear();
        self.prefix.push(0);
        for &c in b {
            let last = *self.prefix.last().unwrap();
            self.prefix
                .push(last.wrapping_mul(BASE).wrapping_add(c as u32 + 1));
        }
        self.power.clear();
        self.power.push(1);
        for _ in 0..n {
            let last = *self.power.last().unwrap();
            self.power.push(last.wrapping_mul(BASE));
        }
        // suffix[j] = hash of b[j..] as a string of its own.
        self.suffix.clear();
        self.suffix.resize(n + 1, 0);
        for j in (0..n).rev() {
            let term = (b[j] as u32 + 1).wrapping_mul(self.power[n - j - 1]);
            self.suffix[j] = term.wrapping_add(self.suffix[j + 1]);
        }
        f(self.prefix[n]);
        for (start, c) in s.char_indices() {
            let end = start + c.len_utf8();
            f(self.prefix[start]
                .wrapping_mul(self.power[n - end])
                .wrapping_add(self.suffix[end]));
        }
    }
}

/// True when `a` and `b` are equal or one edit apart under optimal string alignment:
/// one insertion, omission, replacement, or swap of two adjacent characters.
pub fn osa_within_one<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let i = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if i == short.len() {
        return true; // equal, or `long` has one extra character at the end
    }
    if short.len() == long.len() {
        // replacement at i, or transposition of i and i+1
        short[i + 1..] == long[i + 1..]
            || (i + 1 < short.len()
                && short[i] == long[i + 1]
                && short[i + 1] == long[i]
                && short[i + 2..] == long[i + 2..])
    } else {
        short[i..] == long[i + 1..] // `long` has one extra character at i
    }
}

/// [`osa_within_one`] over characters (not bytes) of two strings.
pub fn str_within_one(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        osa_within_one(a.as_bytes(), b.as_bytes())
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        osa_within_one(&a, &b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osa_one_edit_kinds() {
        for (a, b) in [
            ("army.mil", "army.ml"),     // omission
            ("gmail.com", "gmaill.com"), // insertion / repetition
            ("gmail.com", "gmsil.com"),  // replacement
            ("gmail.com", "gmial.com"),  // transposition
            ("se.ibm.com", "seibm.com"), // missing dot
            ("paypal.com", "pay-pal.com"),
            ("abc", "abc"),
        ] {
            assert!(str_within_one(a, b), "{a} ~ {b}");
        }
        for (a, b) in [
            ("army.mil", "navy.mil"),
            ("abcd", "badc"),
            ("ab", "abcd"),
            ("gmail.com", "gmx.com"),
        ] {
            assert!(!str_within_one(a, b), "{a} !~ {b}");
        }
        assert!(str_within_one("jürgen", "jurgen"));
    }

    #[test]
    fn radix_sort_matches_comparison_sort() {
        let mut state = 7u64;
        let mut keys: Vec<u64> = (0..5000u64)
            .map(|id| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state & 0xFFFF_FFFF) << 32 | id
            })
            .collect();
        let mut expected = keys.clone();
        expected.sort_unstable();
        sort_by_hash(&mut keys);
        assert_eq!(keys, expected);
    }

    #[test]
    fn index_finds_all_neighbours() {
        let refs = ["army.mil", "gmail.com", "se.ibm.com", "example.org"];
        let idx = NeighbourIndex::build(&refs);
        let hits = |q: &str| -> Vec<&str> {
            idx.candidates(q)
                .into_iter()
                .map(|i| refs[i as usize])
                .filter(|r| str_within_one(q, r))
                .collect()
        };
        assert_eq!(hits("army.ml"), ["army.mil"]);
        assert_eq!(hits("gmial.com"), ["gmail.com"]);
        assert_eq!(hits("seibm.com"), ["se.ibm.com"]);
        assert_eq!(hits("exampel.org"), ["example.org"]);
        assert!(hits("unrelated.net").is_empty());
    }
}
