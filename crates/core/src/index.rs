//! A symmetric-delete index: finds, among many strings, those within one edit of a query.
//!
//! Brute force (an edit distance against every reference) costs seconds for 100 recipients
//! against 100,000 domains. Instead every reference is stored under itself and each of its
//! one-character deletions; a query looks up itself and its own deletions. Two strings within
//! one edit (insertion, omission, replacement, adjacent transposition) always share such a key,
//! so the index yields every true neighbour plus a few false candidates, which
//! [`osa_within_one`] then removes. Keys are 32-bit hashes in [`HashBuckets`]: compact, and
//! a hash collision only adds a candidate that verification removes.

/// Entry ids are positions in the slice the index was built from.
#[derive(Debug, Default, Clone)]
pub struct NeighbourIndex {
    /// Each entry's id under the hash of the entry and of each of its deletions ([`WHOLE`]
    /// marks the hash of the entry itself).
    buckets: HashBuckets,
}

impl NeighbourIndex {
    /// Builds the index over `entries`; the id of an entry is its position.
    pub fn build<S: AsRef<str>>(entries: &[S]) -> NeighbourIndex {
        assert!(
            entries.len() < WHOLE as usize,
            "ids must leave the WHOLE bit free"
        );
        let mut keys = Vec::with_capacity(entries.iter().map(|e| e.as_ref().len() + 1).sum());
        let mut scratch = VariantHasher::default();
        for (id, entry) in entries.iter().enumerate() {
            let mut whole = WHOLE;
            scratch.for_each_variant(entry.as_ref(), |h| {
                keys.push(HashBuckets::key(h, whole | id as u32));
                whole = 0;
            });
        }
        NeighbourIndex {
            buckets: HashBuckets::new(keys),
        }
    }

    /// Ids of entries that may be within one edit of `query` (verify with [`osa_within_one`]),
    /// sorted and without repeats.
    pub fn candidates(&self, query: &str) -> Vec<u32> {
        let mut out = Vec::new();
        VariantHasher::default().for_each_variant(query, |h| {
            out.extend(self.buckets.values(h).map(|v| v & !WHOLE));
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Ids of entries that may be `name` itself (of the same hash; the caller compares the
    /// names), in increasing order.
    pub fn exact_candidates(&self, name: &str) -> impl Iterator<Item = u32> + '_ {
        (self.buckets.values(string_hash(name.as_bytes())))
            .filter(|v| v & WHOLE != 0)
            .map(|v| v & !WHOLE)
    }

    /// Heap bytes held by the index.
    pub fn heap_bytes(&self) -> usize {
        self.buckets.heap_bytes()
    }
}

/// A multimap from 32-bit hashes to 32-bit values (ids), built in one counting-sort pass:
/// several times faster than a comparison sort or a hash map for the hundreds of thousands of
/// keys a large policy makes, and compact. Values of one hash come out in the order given.
/// A hash collision only adds a value that the caller's comparison removes.
#[derive(Debug, Default, Clone)]
pub struct HashBuckets {
    /// `hash << 32 | value`, grouped into buckets by the hash's top bits.
    keys: Vec<u64>,
    /// Bucket `b` is `keys[starts[b]..starts[b + 1]]`.
    starts: Vec<u32>,
    /// The hash's top `32 - shift` bits pick the bucket.
    shift: u32,
}

impl HashBuckets {
    /// The key filing `value` under `hash`, for [`HashBuckets::new`].
    pub fn key(hash: u32, value: u32) -> u64 {
        (hash as u64) << 32 | value as u64
    }

    pub fn new(keys: Vec<u64>) -> HashBuckets {
        // About two keys per bucket: lookups scan a handful of keys, the bucket table stays a
        // fraction of the keys' size, and a set of a few names (the sender's own domain, built
        // per check) gets a few buckets, not thousands.
        let bits = (usize::BITS - keys.len().leading_zeros()).clamp(2, 20) - 1;
        let shift = 32 - bits;
        let mut starts = vec![0u32; (1 << bits) + 1];
        for chunk in keys.chunks(CHUNK) {
            count_buckets(chunk, shift, &mut starts[1..]);
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        let mut grouped = vec![0u64; keys.len()];
        let mut next = starts[..starts.len() - 1].to_vec();
        for chunk in keys.chunks(CHUNK) {
            scatter_by_bucket(chunk, shift, &mut next, &mut grouped);
        }
        HashBuckets {
            keys: grouped,
            starts,
            shift,
        }
    }

    /// The values filed under `hash`, in the order given.
    pub fn values(&self, hash: u32) -> impl Iterator<Item = u32> + '_ {
        let bucket = (hash >> self.shift) as usize;
        let range = match self.starts.get(bucket..bucket + 2) {
            Some(&[start, end]) => start as usize..end as usize,
            _ => 0..0,
        };
        self.keys[range]
            .iter()
            .filter(move |&&k| (k >> 32) as u32 == hash)
            .map(|&k| k as u32)
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<u64>()
            + self.starts.capacity() * std::mem::size_of::<u32>()
    }
}

/// Marks, in a key's id half, the hash of the whole entry (not of one of its deletions).
const WHOLE: u32 = 1 << 31;

/// Keys are counted and scattered in calls of this many: in WebAssembly, V8 and SpiderMonkey
/// swap optimised code in only between calls, so one call over all the keys would run
/// entirely on the slow baseline tier of a cold start.
const CHUNK: usize = 8192;

#[inline(never)]
fn count_buckets(keys: &[u64], shift: u32, counts: &mut [u32]) {
    for &k in keys {
        counts[((k >> 32) as u32 >> shift) as usize] += 1;
    }
}

#[inline(never)]
fn scatter_by_bucket(keys: &[u64], shift: u32, next: &mut [u32], out: &mut [u64]) {
    for &k in keys {
        let slot = &mut next[((k >> 32) as u32 >> shift) as usize];
        out[*slot as usize] = k;
        *slot += 1;
    }
}

/// Polynomial hashes (mod 2^32) of a string and of each of its one-character deletions, each
/// deletion in O(1): `h(s without s[i..j]) = P(i)·B^(n-j) + S(j)`, with `P` the prefix hashes
/// and `S(j)` the hash of `s[j..]`, built up from the end.
#[derive(Default)]
struct VariantHasher {
    prefix: Vec<u32>,
}

const BASE: u32 = 0x0100_0193;

/// [`VariantHasher`]'s hash of a whole string (also used to file texts in [`HashBuckets`]).
pub fn string_hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |h, &c| extend_hash(h, c))
}

/// [`string_hash`] of a string extended by one byte.
pub fn extend_hash(hash: u32, byte: u8) -> u32 {
    hash.wrapping_mul(BASE).wrapping_add(byte as u32 + 1)
}

impl VariantHasher {
    /// Calls `f` with the hash of `s` and of each one-character deletion of `s` (a deletion
    /// equal to the one before it, as in `oo`, is given once). Not inlined, so that a policy's
    /// many calls run optimised after the first few (see [`CHUNK`]).
    #[inline(never)]
    fn for_each_variant(&mut self, s: &str, mut f: impl FnMut(u32)) {
        let b = s.as_bytes();
        let n = b.len();
        self.prefix.clear();
        self.prefix.push(0);
        let mut h = 0u32;
        for &c in b {
            h = extend_hash(h, c);
            self.prefix.push(h);
        }
        f(h);
        // From the last character back: `suffix` = S(end), `power` = B^(n - end).
        let (mut suffix, mut power) = (0u32, 1u32);
        let mut previous = None;
        let mut end = n;
        while end > 0 {
            let mut start = end - 1;
            while !s.is_char_boundary(start) {
                start -= 1;
            }
            let deleted = self.prefix[start].wrapping_mul(power).wrapping_add(suffix);
            if previous != Some(deleted) {
                f(deleted);
                previous = Some(deleted);
            }
            for &c in b[start..end].iter().rev() {
                suffix = suffix.wrapping_add((c as u32 + 1).wrapping_mul(power));
                power = power.wrapping_mul(BASE);
            }
            end = start;
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
    fn variant_hashes_are_the_hashes_of_the_deletions() {
        for s in ["army.mil", "gmaill.com", "jürgen.de", "a", "", "ab.c"] {
            let mut got = Vec::new();
            VariantHasher::default().for_each_variant(s, |h| got.push(h));
            let mut expected = vec![string_hash(s.as_bytes())];
            let chars: Vec<(usize, char)> = s.char_indices().collect();
            for &(i, c) in chars.iter().rev() {
                let deleted = format!("{}{}", &s[..i], &s[i + c.len_utf8()..]);
                let h = string_hash(deleted.as_bytes());
                if expected.len() == 1 || *expected.last().unwrap() != h {
                    expected.push(h);
                }
            }
            assert_eq!(got, expected, "{s}");
        }
    }

    #[test]
    fn buckets_scale_with_the_number_of_keys() {
        let one = NeighbourIndex::build(&["example.org"]);
        assert!(
            one.buckets.starts.len() <= 17,
            "{}",
            one.buckets.starts.len()
        );
        let names: Vec<String> = (0..5000).map(|i| format!("partner-{i}.example")).collect();
        let many = NeighbourIndex::build(&names);
        assert!(many.buckets.starts.len() > 1 << 16);
        let exact: Vec<u32> = many.exact_candidates("partner-42.example").collect();
        assert_eq!(exact, [42]);
        assert!(many.candidates("partner-42.example").contains(&142));
        assert!(NeighbourIndex::build::<&str>(&[])
            .candidates("a.b")
            .is_empty());
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
