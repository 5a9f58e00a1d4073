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
    keys: Vec<(u32, u32)>,
}

impl NeighbourIndex {
    /// Builds the index over `entries`; the id of an entry is its position.
    pub fn build<S: AsRef<str>>(entries: &[S]) -> NeighbourIndex {
        let mut keys = Vec::with_capacity(entries.iter().map(|e| e.as_ref().len() + 1).sum());
        for (id, entry) in entries.iter().enumerate() {
            let id = id as u32;
            for_each_variant(entry.as_ref(), |h| keys.push((h, id)));
        }
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        NeighbourIndex { keys }
    }

    /// Ids of entries that may be within one edit of `query` (verify with [`osa_within_one`]),
    /// sorted and without repeats.
    pub fn candidates(&self, query: &str) -> Vec<u32> {
        let mut out = Vec::new();
        for_each_variant(query, |h| {
            let start = self.keys.partition_point(|&(k, _)| k < h);
            out.extend(
                self.keys[start..]
                    .iter()
                    .take_while(|&&(k, _)| k == h)
                    .map(|&(_, id)| id),
            );
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Heap bytes held by the index.
    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<(u32, u32)>()
    }
}

const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

fn fnv(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Calls `f` with the hash of `s` and of each one-character deletion of `s`.
fn for_each_variant(s: &str, mut f: impl FnMut(u32)) {
    f(fnv(FNV_OFFSET, s.as_bytes()));
    let mut prefix_hash = FNV_OFFSET;
    for (start, c) in s.char_indices() {
        let end = start + c.len_utf8();
        f(fnv(prefix_hash, &s.as_bytes()[end..]));
        prefix_hash = fnv(prefix_hash, &s.as_bytes()[start..end]);
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
