//! A symmetric-delete index: finds, among many strings, those within one edit of a query.
//!
//! Brute force (an edit distance against every reference) costs seconds for 100 recipients
//! against 100,000 domains. Instead every reference is stored under itself and each of its
//! one-character deletions; a query looks up itself and its own deletions. Two strings within
//! one edit (insertion, omission, replacement, adjacent transposition) always share such a key,
//! so the index yields every true neighbour plus a few false candidates, which
//! [`osa_within_one`] then removes. Keys are 32-bit hashes in [`HashBuckets`]: compact, and
//! a hash collision only adds a candidate that verification removes.

/// Strings filed under ids: positions in the slice given to [`NeighbourIndex::build`], or
/// whatever the caller passes to [`NeighbourIndex::insert`].
#[derive(Debug, Default, Clone)]
pub struct NeighbourIndex {
    /// Each entry's id under the hash of the entry and of each of its deletions ([`WHOLE`]
    /// marks the hash of the entry itself).
    buckets: HashBuckets,
}

impl NeighbourIndex {
    /// Builds the index over `entries`; the id of an entry is its position.
    pub fn build<S: AsRef<str>>(entries: &[S]) -> NeighbourIndex {
        let total_len = entries.iter().map(|e| e.as_ref().len()).sum();
        let mut index = NeighbourIndex::with_capacity(entries.len(), total_len);
        for (id, entry) in entries.iter().enumerate() {
            index.insert(id as u32, entry.as_ref());
        }
        index
    }

    /// An empty index sized for `entries` strings of `total_len` bytes in all.
    pub fn with_capacity(entries: usize, total_len: usize) -> NeighbourIndex {
        NeighbourIndex {
            buckets: HashBuckets::with_capacity(entries + total_len),
        }
    }

    /// Files `entry` under `id` (ids below 2^31).
    pub fn insert(&mut self, id: u32, entry: &str) {
        assert!(id < WHOLE, "ids must leave the WHOLE bit free");
        let mut whole = WHOLE;
        let buckets = &mut self.buckets;
        for_each_variant(entry, |h| {
            buckets.insert(h, whole | id);
            whole = 0;
        });
    }

    /// Ids of entries that may be within one edit of `query` (verify with [`osa_within_one`]),
    /// sorted and without repeats.
    pub fn candidates(&self, query: &str) -> Vec<u32> {
        let mut out = Vec::with_capacity(16);
        self.extend_with_neighbours(query, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Appends the ids filed under `query`'s hash and under those of its deletions.
    fn extend_with_neighbours(&self, query: &str, out: &mut Vec<u32>) {
        for_each_variant(query, |h| self.buckets.extend_with_values(h, out));
    }

    /// Ids of entries that may be within two edits of `query` (verify with [`osa_within_two`]):
    /// [`Self::candidates`] plus those that share a key with a one-character deletion of the
    /// query. That finds every entry one edit away and, at two edits, the query with one or
    /// two characters inserted, or with one inserted and one replaced (`gnnx.net` for
    /// `gmx.net`); not two replacements or two omissions, which would need the entries' double
    /// deletions (several times the index).
    pub fn candidates_within_two(&self, query: &str) -> Vec<u32> {
        let mut keys = Vec::with_capacity(64);
        push_neighbour_keys_within_two(query, &mut keys);
        let mut out = Vec::with_capacity(64);
        for key in keys {
            self.buckets.extend_with_values(key, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Calls `f` with the id of every entry filed under one of `keys` (from
    /// [`push_neighbour_keys`] or [`push_neighbour_keys_within_two`]): the same entries as
    /// [`Self::candidates`] or [`Self::candidates_within_two`] give, in no particular order and
    /// possibly repeated, without hashing the query again for each index it is looked up in.
    /// Not inlined: one call per recipient and index, run optimised by WebAssembly engines
    /// after the first few (see [`for_each_variant`]); `f` is called through a pointer, so that
    /// every search shares one copy of this loop (most keys find nothing, so it is rarely
    /// called).
    #[inline(never)]
    pub fn for_each_candidate(&self, keys: &[u32], mut f: &mut dyn FnMut(u32)) {
        for &key in keys {
            self.buckets.for_each_value(key, &mut f);
        }
    }

    /// Ids of entries that may be `name` itself (of the same hash; the caller compares the
    /// names), latest first.
    pub fn exact_candidates(&self, name: &str) -> impl Iterator<Item = u32> + '_ {
        self.exact_candidates_of_hash(string_hash(name.as_bytes()))
    }

    /// [`Self::exact_candidates`] of a name whose [`string_hash`] is `hash`.
    pub fn exact_candidates_of_hash(&self, hash: u32) -> impl Iterator<Item = u32> + '_ {
        (self.buckets.values(hash))
            .filter(|v| v & WHOLE != 0)
            .map(|v| v & !WHOLE)
    }

    /// Heap bytes held by the index.
    pub fn heap_bytes(&self) -> usize {
        self.buckets.heap_bytes()
    }
}

/// A multimap from 32-bit hashes to 32-bit values (ids): a chained hash table in flat arrays,
/// filled in one pass with one random access per key. Several times faster to build than a
/// sorted array or a general hash map for the hundreds of thousands of keys a large policy
/// makes, and compact. A hash collision only adds a value that the caller's comparison removes.
#[derive(Debug, Default, Clone)]
pub struct HashBuckets {
    /// Per bucket: 1 + the position of the latest key filed there; 0 when empty.
    heads: Vec<u32>,
    /// The keys in insertion order, each with its chain link side by side (one cache line
    /// per step of a chain, not three).
    keys: Vec<Key>,
    /// The hash's top `32 - shift` bits pick the bucket.
    shift: u32,
    /// Two bits set for every key filed ([`Self::filter_bits`]): most lookups of a neighbour search
    /// (a query's deletions) find nothing, and this small table answers them without the
    /// two random reads of a bucket and its chain. A known sender's history doubles those
    /// lookups (its domains are searched beside the policy's).
    filter: Vec<u64>,
}

impl HashBuckets {
    /// An empty table sized for about `keys` insertions (more work, but chains grow).
    pub fn with_capacity(keys: usize) -> HashBuckets {
        // About two keys per bucket: lookups walk a handful of keys, the bucket table stays a
        // fraction of the keys' size, and a set of a few names (the sender's own domain, built
        // per check) gets a few buckets, not thousands. At most 2^24 buckets (64 MB), for a
        // million references.
        let bits = (usize::BITS - keys.leading_zeros()).clamp(2, 25) - 1;
        HashBuckets {
            heads: vec![0; 1 << bits],
            keys: Vec::with_capacity(keys),
            shift: 32 - bits,
            filter: vec![0; (1usize << bits).div_ceil(BUCKETS_PER_FILTER_WORD)],
        }
    }

    /// A table of `(hash, value)` pairs.
    #[inline(never)]
    pub fn from_pairs(pairs: impl Iterator<Item = (u32, u32)>) -> HashBuckets {
        let pairs: Vec<(u32, u32)> = pairs.collect();
        let mut buckets = HashBuckets::with_capacity(pairs.len());
        for (hash, value) in pairs {
            buckets.insert(hash, value);
        }
        buckets
    }

    pub fn insert(&mut self, hash: u32, value: u32) {
        let (word, bits) = self.filter_bits(hash);
        self.filter[word] |= bits;
        let head = &mut self.heads[(hash >> self.shift) as usize];
        self.keys.push(Key {
            hash,
            value,
            next: *head,
        });
        *head = self.keys.len() as u32;
    }

    /// The values filed under `hash`, latest first.
    pub fn values(&self, hash: u32) -> impl Iterator<Item = u32> + '_ {
        // (A default, empty table has no buckets at all.)
        let bucket = hash.checked_shr(self.shift).unwrap_or(0) as usize;
        let filed = self.may_hold(hash);
        let mut at = if filed {
            self.heads.get(bucket).copied().unwrap_or(0)
        } else {
            0
        };
        std::iter::from_fn(move || {
            while at != 0 {
                let key = &self.keys[at as usize - 1];
                at = key.next;
                if key.hash == hash {
                    return Some(key.value);
                }
            }
            None
        })
    }

    /// Appends the ids filed under `hash` (without the [`WHOLE`] mark) to `out`.
    fn extend_with_values(&self, hash: u32, out: &mut Vec<u32>) {
        self.for_each_value(hash, &mut |id| out.push(id));
    }

    /// Calls `f` with each id filed under `hash` (without the [`WHOLE`] mark): the neighbour
    /// search's inner loop, without an iterator adapter in between.
    fn for_each_value(&self, hash: u32, f: &mut impl FnMut(u32)) {
        if !self.may_hold(hash) {
            return;
        }
        let bucket = hash.checked_shr(self.shift).unwrap_or(0) as usize;
        let mut at = self.heads.get(bucket).copied().unwrap_or(0);
        while let Some(key) = (at as usize).checked_sub(1).and_then(|i| self.keys.get(i)) {
            if key.hash == hash {
                f(key.value & !WHOLE);
            }
            at = key.next;
        }
    }

    /// False when no key has `hash` (true may still find none).
    fn may_hold(&self, hash: u32) -> bool {
        if self.filter.is_empty() {
            return false;
        }
        let (word, bits) = self.filter_bits(hash);
        self.filter[word] & bits == bits
    }

    /// The word of [`Self::filter`] for `hash`, and its two bits there: the hash's low bits
    /// pick the word (the length is a power of two words; the bucket takes the high bits), a
    /// multiple of the hash two bits in it (two bits a key halve a lookup's chance of a false
    /// "maybe" several times over one bit in a twice larger table).
    fn filter_bits(&self, hash: u32) -> (usize, u64) {
        let word = hash as usize & (self.filter.len() - 1);
        let mixed = hash.wrapping_mul(FILTER_MIX);
        (word, 1 << (mixed >> 26) | 1 << (mixed >> 20 & 63))
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.heads.capacity() * std::mem::size_of::<u32>()
            + self.keys.capacity() * std::mem::size_of::<Key>()
            + self.filter.capacity() * std::mem::size_of::<u64>()
    }
}

/// Buckets per 64-bit word of [`HashBuckets::filter`]: 16 bits a bucket, 8 a key, two of
/// them set per key (about one missing hash's lookup in twenty still walks a chain; with one
/// bit of four a key, one in five did, and the known domains' search beside the policy's
/// walked their chains for most of its time), ~8% more than the table's memory.
const BUCKETS_PER_FILTER_WORD: usize = 4;

/// An odd constant (2^32 / golden ratio) whose product with a hash spreads all its bits into
/// the top ones, which pick a key's two bits in its filter word.
const FILTER_MIX: u32 = 0x9E37_79B9;

#[derive(Debug, Clone, Copy)]
struct Key {
    hash: u32,
    value: u32,
    /// 1 + the position of the key filed before this one in the same bucket; 0 ends the chain.
    next: u32,
}

/// Marks, in a key's id half, the hash of the whole entry (not of one of its deletions).
const WHOLE: u32 = 1 << 31;

/// The polynomial hash (mod 2^32) of a string: `h(s) = Σ (s[k] + 1)·B^(n-1-k)`.
const BASE: u32 = 0x0100_0193;

/// `BASE`'s inverse mod 2^32 (it is odd), by Newton's iteration: each step doubles the
/// number of correct low bits (1, 2, 4, … 32; five steps from the 3 bits `BASE` itself gives).
const BASE_INVERSE: u32 = {
    let mut inverse = BASE;
    let mut step = 0;
    while step < 5 {
        inverse = inverse.wrapping_mul(2u32.wrapping_sub(BASE.wrapping_mul(inverse)));
        step += 1;
    }
    inverse
};

/// [`for_each_variant`]'s hash of a whole string (also used to file texts in [`HashBuckets`]).
pub fn string_hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |h, &c| extend_hash(h, c))
}

/// [`string_hash`] of a string extended by one byte.
pub fn extend_hash(hash: u32, byte: u8) -> u32 {
    hash.wrapping_mul(BASE).wrapping_add(byte as u32 + 1)
}

/// Calls `f` with the hash of `s`, then with the hash of each one-character deletion of `s`
/// from the first character on (a deletion equal to the one before it, as in `oo`, is given
/// once). Each deletion costs O(1) and no memory: with `P(i)` the hash of `s[..i]` and `H`
/// that of `s`, deleting the character at `start..end` gives
/// `H - (P(end) - P(start))·B^(n-end)`, and `B^(n-end)` steps down by `BASE_INVERSE`.
/// Not inlined, so that a policy's many calls run optimised after the first few:
/// WebAssembly engines swap optimised code in only between calls, never inside a running loop.
#[inline(never)]
fn for_each_variant(s: &str, mut f: impl FnMut(u32)) {
    let b = s.as_bytes();
    let (mut whole, mut power) = (0u32, 1u32);
    for &c in b {
        whole = extend_hash(whole, c);
        power = power.wrapping_mul(BASE);
    }
    f(whole);
    // `before` = P(start) and `after` = P(end) of the character being deleted; `power` steps
    // down to B^(n-end) as its bytes pass.
    let (mut before, mut after, mut previous) = (0u32, 0u32, None);
    for (i, &c) in b.iter().enumerate() {
        after = extend_hash(after, c);
        power = power.wrapping_mul(BASE_INVERSE);
        // A character ends where the next byte is not a UTF-8 continuation byte.
        if b.get(i + 1).is_none_or(|&next| (next as i8) >= -0x40) {
            let deleted = whole.wrapping_sub(after.wrapping_sub(before).wrapping_mul(power));
            if previous != Some(deleted) {
                f(deleted);
                previous = Some(deleted);
            }
            before = after;
        }
    }
}

/// Appends the keys [`NeighbourIndex::candidates`] looks `query` up under (the hash of
/// `query`, first, then of each of its deletions), for [`NeighbourIndex::for_each_candidate`].
pub fn push_neighbour_keys(query: &str, keys: &mut Vec<u32>) {
    for_each_variant(query, |h| keys.push(h));
}

/// Appends the keys [`NeighbourIndex::candidates_within_two`] looks `query` up under: those of
/// `query` and those of each of its one-character deletions.
pub fn push_neighbour_keys_within_two(query: &str, keys: &mut Vec<u32>) {
    push_neighbour_keys(query, keys);
    let mut deleted = String::with_capacity(query.len());
    for (start, c) in query.char_indices() {
        deleted.clear();
        deleted.push_str(&query[..start]);
        deleted.push_str(&query[start + c.len_utf8()..]);
        push_neighbour_keys(&deleted, keys);
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

/// True when `a` and `b` are at most two edits apart under optimal string alignment, over
/// characters.
pub fn osa_within_two(a: &str, b: &str) -> bool {
    over_characters(a, b, osa_slices_within_two, osa_slices_within_two)
}

/// [`osa_within_two`] over slices: three rows of the table at a time, cut off as soon as a
/// whole row exceeds two.
fn osa_slices_within_two<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        if row.iter().all(|&d| d > 2) {
            return false;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()] <= 2
}

/// [`osa_within_one`] over characters (not bytes) of two strings.
pub fn str_within_one(a: &str, b: &str) -> bool {
    over_characters(a, b, osa_within_one, osa_within_one)
}

/// Compares two strings by characters: as bytes when both are ASCII (no copy), else as chars.
fn over_characters(
    a: &str,
    b: &str,
    bytes: fn(&[u8], &[u8]) -> bool,
    chars: fn(&[char], &[char]) -> bool,
) -> bool {
    if a.is_ascii() && b.is_ascii() {
        bytes(a.as_bytes(), b.as_bytes())
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        chars(&a, &b)
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
    fn within_two() {
        for (a, b) in [
            ("gmx.net", "gnnx.net"),
            ("wellsfargo.com", "wellsesfargo.com"),
            ("abc", "abc"),
            ("munchen.de", "mumchem.de"),
            ("ab", "ba"),
        ] {
            assert!(osa_within_two(a, b), "{a} ~ {b}");
        }
        assert!(!osa_within_two("army.mil", "navy.mil.x"));
        assert!(!osa_within_two("abcdef", "badcfe"));
        let idx = NeighbourIndex::build(&["gmx.net", "wellsfargo.com"]);
        assert!(idx.candidates_within_two("gnnx.net").contains(&0));
        assert!(idx.candidates_within_two("wellsesfargo.com").contains(&1));
    }

    #[test]
    fn variant_hashes_are_the_hashes_of_the_deletions() {
        for s in ["army.mil", "gmaill.com", "jürgen.de", "a", "", "ab.c"] {
            let mut got = Vec::new();
            for_each_variant(s, |h| got.push(h));
            let mut expected = vec![string_hash(s.as_bytes())];
            for (i, c) in s.char_indices() {
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
        assert!(one.buckets.heads.len() <= 16, "{}", one.buckets.heads.len());
        let names: Vec<String> = (0..5000).map(|i| format!("partner-{i}.example")).collect();
        let many = NeighbourIndex::build(&names);
        assert!(many.buckets.heads.len() >= 1 << 16);
        let exact: Vec<u32> = many.exact_candidates("partner-42.example").collect();
        assert_eq!(exact, [42]);
        assert!(many.candidates("partner-42.example").contains(&142));
        assert!(NeighbourIndex::build::<&str>(&[])
            .candidates("a.b")
            .is_empty());
    }

    #[test]
    fn candidates_of_precomputed_keys_are_the_candidates() {
        let refs = [
            "army.mil",
            "gmail.com",
            "gmial.com",
            "se.ibm.com",
            "münchen.de",
        ];
        let idx = NeighbourIndex::build(&refs);
        for query in [
            "army.ml",
            "gmaill.com",
            "gmal.com",
            "seibm.com",
            "mümchem.de",
            "x",
        ] {
            let gathered = |within_two: bool| {
                let mut keys = Vec::new();
                if within_two {
                    push_neighbour_keys_within_two(query, &mut keys);
                } else {
                    push_neighbour_keys(query, &mut keys);
                }
                let mut ids = Vec::new();
                idx.for_each_candidate(&keys, &mut |id| ids.push(id));
                ids.sort_unstable();
                ids.dedup();
                ids
            };
            assert_eq!(gathered(false), idx.candidates(query), "{query}");
            assert_eq!(gathered(true), idx.candidates_within_two(query), "{query}");
        }
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
