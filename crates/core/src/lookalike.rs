//! Lookalike domains: is a recipient's domain one slip away from a domain the sender means?
//!
//! Three matchers, cheapest first, over a set of reference domains built once per policy:
//! - one edit of the whole domain (omission, insertion, repetition, replacement incl. keyboard
//!   neighbours, vowel swaps and bit flips, transposition, hyphen, missing or extra dot, TLD
//!   edits such as `army.mil` → `army.ml`), through [`NeighbourIndex`];
//! - homoglyphs: the domain's skeleton (every character that looks like ASCII replaced by
//!   what it looks like, `data/confusables-ascii.tsv`, then ASCII look-alikes `rn`/`m`,
//!   `vv`/`w`, `cl`/`d`, `0`/`o`, `1`/`l` folded) equal to a reference's skeleton or one edit
//!   from it (a homoglyph and a typo at once, in any order);
//! - the same name under another TLD, for the organisation's own and trusted domains only.
//!
//! Each is tried on the recipient's domain and on its parents (`mail.gmial.com` → `gmial.com`),
//! so the suggestion keeps the subdomain the sender typed. A reference, or a name below one,
//! is never a lookalike of another reference. [`find_in`] searches several sets (the policy's,
//! the sender's own domain, the known domains) with what it computes about the domain once.
//!
//! Without any reference, [`script_spoof`] still tells a label that mixes Latin with Cyrillic
//! or Greek letters (`pаypal.com`) or one written wholly in Cyrillic or Greek letters that all
//! look like Latin ones (`аррӏе.com`), as browsers' IDN spoof checks do.

use crate::domain::{is_within, parents, Domain, NATIONAL_SECOND_LEVELS};

use crate::index::{
    extend_hash, osa_within_one, osa_within_two, push_neighbour_keys,
    push_neighbour_keys_within_two, str_within_one, string_hash, HashBuckets, NeighbourIndex,
};

/// Where a reference domain comes from; earlier variants win when several match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReferenceClass {
    Internal,
    SenderOwn,
    Trusted,
    Known,
    /// Extra reference domains from the policy.
    Protected,
    /// The built-in list of big mail providers.
    HighValue,
}

/// How a lookalike differs from the domain it imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resemblance {
    /// Look-alike characters (`rnicrosoft.com`, `paypa1.com`, Cyrillic `аpple.com`). Listed
    /// first: when a slip is both one edit and a homoglyph, the homoglyph is the better story.
    Homoglyph,
    /// One edit, only in the TLD (`army.ml` for `army.mil`).
    TldEdit,
    /// One edit elsewhere (`gmial.com`, `seibm.com`).
    OneEdit,
    /// The same name under another TLD (`army.gov` for `army.mil`).
    OtherTld,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookalike {
    /// The reference domain matched (e.g. `gmail.com`).
    pub reference: String,
    /// What the sender probably meant: the recipient's domain with the matched part replaced.
    pub suggestion: String,
    pub class: ReferenceClass,
    pub resemblance: Resemblance,
}

/// Reference domains with the indexes to match against them. Build once, query many times.
#[derive(Debug, Default, Clone)]
pub struct ReferenceSet {
    names: Vec<String>,
    classes: Vec<ReferenceClass>,
    /// Per name, every class it was listed under (bit `1 << class`): a domain both internal
    /// and trusted matches as internal but still counts as trusted.
    listed_as: Vec<u8>,
    /// The strongest class among the references (none without references).
    strongest: Option<ReferenceClass>,
    /// Every name within one edit; also the exact lookups that classify each recipient.
    index: NeighbourIndex,
    /// What only a lookalike search needs, built on the first one: a draft to internal,
    /// trusted and known recipients alone never needs it, and a cold start does not wait.
    searches: std::sync::OnceLock<SearchIndexes>,
    /// Ids by the length of their name in characters (up to [`MAX_SCANNED_LENGTH`]), built on
    /// the first internationalised query: only those are compared with every reference of
    /// about their length, for a homoglyph plus two replaced letters (`mümchem.de`).
    by_length: std::sync::OnceLock<Vec<Vec<u32>>>,
}

/// The indexes of the homoglyph, glued-name and other-TLD searches.
#[derive(Debug, Clone)]
struct SearchIndexes {
    /// The skeletons of the names that differ from their skeleton, by id.
    other_skeletons: OtherSkeletons,
    /// Ids under the hash of their skeleton, for names that differ from their skeleton.
    skeletons: HashBuckets,
    /// The skeletons of those names, for a homoglyph plus one edit (most references are
    /// their own skeleton, and those are found through the main index).
    skeleton_index: NeighbourIndex,
    /// Ids under the hash of their name without its TLD, for [`Resemblance::OtherTld`]
    /// (organisation domains only).
    stems: HashBuckets,
    /// Ids under the hash of their name without dots (`armymil`), for the whole name typed
    /// as one label under some TLD (`armymil.com`, `army-mil.mil`, `paypalcom.com`).
    glued: HashBuckets,
}

impl ReferenceSet {
    /// Builds the set. A domain listed under several classes keeps the strongest. Ids follow
    /// the order of first appearance (a policy's order), so ties between equally good matches
    /// resolve the same way on every platform: the domain listed first wins.
    pub fn build(entries: impl IntoIterator<Item = (String, ReferenceClass)>) -> ReferenceSet {
        ReferenceSet::from_entries(entries.into_iter().collect())
    }

    // Not inlined, like `add`: the per-domain work stays in small functions that WebAssembly
    // engines optimise early and cheaply (see `index.rs`), instead of in one large function
    // whose optimising compile (~50 ms of CPU in V8) competes with the cold start itself.
    #[inline(never)]
    fn from_entries(entries: Vec<(String, ReferenceClass)>) -> ReferenceSet {
        let total_len = entries.iter().map(|(name, _)| name.len()).sum();
        let mut set = ReferenceSet {
            names: Vec::with_capacity(entries.len()),
            classes: Vec::with_capacity(entries.len()),
            listed_as: Vec::with_capacity(entries.len()),
            index: NeighbourIndex::with_capacity(entries.len(), total_len),
            ..ReferenceSet::default()
        };
        for (name, class) in entries {
            set.add(name, class);
        }
        set
    }

    /// The set of `names`, all of `class` and all different (the known domains: the history's
    /// index files each once), in their order: [`Self::build`] without looking each name up
    /// before filing it (a cold start's first check builds the known domains' set).
    #[inline(never)]
    pub fn of_distinct(names: Vec<String>, class: ReferenceClass) -> ReferenceSet {
        ReferenceSet {
            classes: vec![class; names.len()],
            listed_as: vec![1 << class as u8; names.len()],
            strongest: (!names.is_empty()).then_some(class),
            index: NeighbourIndex::build(&names),
            names,
            ..ReferenceSet::default()
        }
    }

    /// The search indexes, built on first use.
    fn searches(&self) -> &SearchIndexes {
        self.searches
            .get_or_init(|| SearchIndexes::build(&self.names, &self.classes))
    }

    /// Adds a reference, or for a name already listed (rare: a domain both internal and
    /// trusted, say) keeps the stronger class.
    #[inline(never)]
    fn add(&mut self, name: String, class: ReferenceClass) {
        self.strongest = Some(
            self.strongest
                .map_or(class, |strongest| strongest.min(class)),
        );
        let listed =
            (self.index.exact_candidates(&name)).find(|&id| self.names[id as usize] == name);
        match listed {
            Some(id) => {
                let id = id as usize;
                self.classes[id] = self.classes[id].min(class);
                self.listed_as[id] |= 1 << class as u8;
            }
            None => {
                self.index.insert(self.names.len() as u32, &name);
                self.names.push(name);
                self.classes.push(class);
                self.listed_as.push(1 << class as u8);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Approximate heap bytes held (index, names, maps), the search indexes included (built
    /// now if no search built them yet).
    pub fn heap_bytes(&self) -> usize {
        let names: usize = self.names.iter().map(|n| n.capacity() + 24).sum();
        let s = self.searches();
        let maps = s.other_skeletons.text.capacity()
            + s.other_skeletons.entries.capacity() * std::mem::size_of::<OtherSkeleton>()
            + s.skeletons.heap_bytes()
            + s.stems.heap_bytes()
            + s.glued.heap_bytes()
            + s.skeleton_index.heap_bytes();
        self.index.heap_bytes() + names + maps + self.classes.capacity()
    }

    /// True when `domain` is one of the references or lies below one.
    pub fn covers(&self, domain: &str) -> bool {
        self.exact(domain).is_some() || parents(domain).any(|p| self.exact(p).is_some())
    }

    /// True when `domain` or one of its parents was listed as `class` (the policy's internal
    /// or trusted domains, say).
    pub fn covers_as(&self, domain: &str, class: ReferenceClass) -> bool {
        let listed = |name: &str| {
            self.exact(name)
                .is_some_and(|id| self.listed_as[id] & 1 << class as u8 != 0)
        };
        listed(domain) || parents(domain).any(listed)
    }

    fn exact(&self, name: &str) -> Option<usize> {
        (self.is_listed_at(name, string_hash(name.as_bytes()))).map(|id| id as usize)
    }

    /// The reference `domain` most likely imitates, if any.
    pub fn find(&self, domain: &Domain) -> Option<Lookalike> {
        find_in(&[self], domain)
    }

    /// The id of `name`, whose [`string_hash`] is `hash`, when it is one of the references.
    fn is_listed_at(&self, name: &str, hash: u32) -> Option<u32> {
        (self.index.exact_candidates_of_hash(hash)).find(|&id| self.names[id as usize] == name)
    }

    /// The best match of `query` among these references: the strongest class, then the most
    /// specific name (the domain before its parents), then the closest resemblance; among
    /// equals the reference listed first (within each of [`Self::match_name`]'s searches).
    #[inline(never)]
    fn best_match(&self, query: &Query) -> Option<Match> {
        if self.names.is_empty() {
            return None;
        }
        let mut best = Best::default();
        for (depth, name) in query.names.iter().enumerate() {
            if (self.is_listed_at(name.name, query.keys[name.keys.start])).is_some() {
                // A reference, or a name below one, is never a lookalike of another reference;
                // a lookalike of a longer reference found before still is (`mòd.gov.uk`).
                break;
            }
            self.match_name(name, &query.keys, depth, &mut best);
        }
        best.0
    }

    /// The lookalike `found` describes, with its texts.
    fn lookalike(&self, query: &Query, found: Match) -> Lookalike {
        let name = query.names[found.name].name;
        let prefix = &query.full[..query.full.len() - name.len()];
        let reference = &self.names[found.id as usize];
        Lookalike {
            reference: reference.clone(),
            suggestion: format!("{prefix}{reference}"),
            class: found.class,
            resemblance: found.resemblance,
        }
    }

    /// True when `skel` is one edit from `target` (a reference's name or skeleton), or two
    /// when the reference's name has at least `two_from` characters before its suffix.
    fn within_reach(&self, target: &str, skel: &str, two_from: usize) -> bool {
        let name_ok = |t: &str| long_enough(t);
        name_ok(target)
            && (str_within_one(target, skel)
                || (name_length(target) >= two_from && osa_within_two(target, skel)))
    }

    /// References of about `skel`'s length within reach of it: the search for an
    /// internationalised name, which the index cannot do for two replaced letters.
    #[inline(never)]
    fn scan_near_length(&self, skel: &str) -> Vec<u32> {
        let by_length = self.by_length.get_or_init(|| {
            let mut by_length = vec![Vec::new(); MAX_SCANNED_LENGTH + 1];
            for (id, name) in self.names.iter().enumerate() {
                if let Some(ids) = by_length.get_mut(name.len()) {
                    ids.push(id as u32);
                }
            }
            by_length
        });
        let len = skel.chars().count();
        let lengths = len.saturating_sub(2)..=(len + 2).min(MAX_SCANNED_LENGTH);
        (lengths.flat_map(|l| &by_length[l]))
            .copied()
            .filter(|&id| self.within_reach(&self.names[id as usize], skel, HOMOGLYPH_TWO_EDITS))
            .collect()
    }

    /// Offers `best` the matches of one name of a query (the domain or a parent, `depth` levels
    /// up), search by search, cheapest first. Each search's candidates come in no particular
    /// order and may repeat, so the best of one search is the lowest (rank, id) among them,
    /// as when walked in id order; a later search replaces an earlier one's only by a better
    /// rank.
    fn match_name(&self, query: &QueryName, keys: &[u32], depth: usize, best: &mut Best) {
        let searches = self.searches();
        let typed = query.name;
        let found = |id: u32, resemblance: Resemblance| Match {
            class: self.classes[id as usize],
            rank: (self.classes[id as usize] as u8) * 32
                + (depth.min(3) as u8) * 8
                + resemblance as u8,
            id,
            resemblance,
            name: depth,
        };
        let mut one_edit = Best::default();
        self.index
            .for_each_candidate(&keys[query.keys.clone()], &mut |id| {
                let name = &self.names[id as usize];
                if name != typed
                    && osa_within_one(name.as_bytes(), typed.as_bytes())
                    && long_enough(name)
                {
                    one_edit.offer_lowest(found(id, one_edit_kind(typed, name)));
                }
            });
        best.offer(one_edit.0);
        // The lowest id among the names with this skeleton: one stored in the map, or a name
        // that is its own skeleton.
        let skel = query.skeleton();
        let stored = (searches.skeletons.values(query.skeleton_hash))
            .filter(|&id| searches.other_skeletons.of_id(id) == Some(skel))
            .min();
        // (A name that is its own skeleton was looked up already, and is no reference.)
        let itself = (query.skeleton.is_some())
            .then(|| self.is_listed_at(skel, query.skeleton_hash))
            .flatten();
        if let Some(id) = stored.into_iter().chain(itself).min() {
            if self.names[id as usize] != typed {
                best.offer(Some(found(id, Resemblance::Homoglyph)));
            }
        }
        // A homoglyph and one edit: the skeleton one edit from a reference's skeleton; two
        // edits for internationalised names long enough that two slips still leave them
        // recognisable (ASCII folds such as `1` for `l` in a real name, `11mail.com`, are
        // common; look-alike letters from other alphabets are not).
        let two_from = if query.idn {
            HOMOGLYPH_TWO_EDITS
        } else {
            usize::MAX
        };
        let near_skeleton = &keys[query.skeleton_keys.clone()];
        if query.skeleton.is_some() {
            let mut homoglyph = Best::default();
            self.index.for_each_candidate(near_skeleton, &mut |id| {
                if self.within_reach(&self.names[id as usize], skel, two_from) {
                    homoglyph.offer_lowest(found(id, Resemblance::Homoglyph));
                }
            });
            best.offer(homoglyph.0);
        }
        let mut homoglyph = Best::default();
        (searches.skeleton_index).for_each_candidate(near_skeleton, &mut |id| {
            let reach = |target| self.within_reach(target, skel, two_from);
            if searches.other_skeletons.of_id(id).is_some_and(reach) {
                homoglyph.offer_lowest(found(id, Resemblance::Homoglyph));
            }
        });
        best.offer(homoglyph.0);
        if query.idn {
            for id in self.scan_near_length(skel) {
                best.offer(Some(found(id, Resemblance::Homoglyph)));
            }
        }
        let Some(stem) = query.stem else {
            return;
        };
        // Compared only when a reference shares the hash (rarely).
        let mut glued = None;
        for id in searches.glued.values(stem.glued_hash) {
            let name = &self.names[id as usize];
            if glued_reference(name) == *glued.get_or_insert_with(|| glued_name(stem.name, ""))
                // `fastmail.com.au` is the reference under a country suffix, not glued.
                && !is_within(stem.name, name)
                && long_enough(name)
            {
                best.offer(Some(found(id, Resemblance::OneEdit)));
            }
        }
        let with_stem = (searches.stems.values(stem.hash)).filter(|&id| {
            let name = &self.names[id as usize];
            stem_of(name) == Some(stem.name) || national_stem(name) == Some(stem.name)
        });
        // The strongest class first, then the domain listed first.
        if let Some(id) = with_stem.min_by_key(|&id| (self.classes[id as usize], id)) {
            let name = &self.names[id as usize];
            if name != typed && long_enough(name) {
                best.offer(Some(found(id, Resemblance::OtherTld)));
            }
        }
    }
}

/// The reference `domain` most likely imitates among `sets` (the policy's, the sender's own
/// domain, the known domains): the best match of each set, then the strongest class and
/// closest resemblance among them, the earlier set winning a tie. The domain is prepared for
/// the search once, whatever the number of sets.
pub fn find_in(sets: &[&ReferenceSet], domain: &Domain) -> Option<Lookalike> {
    if sets.iter().all(|set| set.is_empty()) {
        return None;
    }
    let query = Query::new(domain.as_str());
    let mut best: Option<(&ReferenceSet, Match)> = None;
    let strength = |found: Match| (found.class, found.resemblance as u8);
    for &set in sets {
        let Some(strongest) = set.strongest else {
            continue; // no references
        };
        // A set whose strongest class at its closest resemblance cannot beat the best so far
        // (a tie goes to the earlier set) is not searched: a recipient imitating a trusted
        // domain needs no search of the known domains.
        let unbeatable = |(_, found): (_, Match)| (strongest, 0) >= strength(found);
        if best.is_some_and(unbeatable) {
            continue;
        }
        if let Some(found) = set.best_match(&query) {
            if best.is_none_or(|(_, other)| strength(found) < strength(other)) {
                best = Some((set, found));
            }
        }
    }
    best.map(|(set, found)| set.lookalike(&query, found))
}

/// A domain prepared for lookalike searches in several reference sets: what each search
/// looks up, computed once (the hashing is most of a search that finds nothing).
struct Query<'d> {
    full: &'d str,
    /// The domain, then each of its parents ([`parents`]).
    names: Vec<QueryName<'d>>,
    /// The index keys of every name, side by side ([`QueryName`] holds ranges into them).
    keys: Vec<u32>,
}

/// One name of a [`Query`] and its index keys.
struct QueryName<'d> {
    name: &'d str,
    /// The keys of the name's neighbours ([`push_neighbour_keys`]), its own hash first.
    keys: std::ops::Range<usize>,
    /// Its skeleton, when that differs from the name.
    skeleton: Option<String>,
    skeleton_hash: u32,
    /// The keys of the skeleton's neighbours: within one edit, or two for an
    /// internationalised name.
    skeleton_keys: std::ops::Range<usize>,
    /// Punycode (`xn--`) somewhere in the name.
    idn: bool,
    /// The name without its TLD, when it has one.
    stem: Option<Stem<'d>>,
}

#[derive(Clone, Copy)]
struct Stem<'d> {
    name: &'d str,
    hash: u32,
    /// The hash of the stem typed as one label ([`glued_name`] without a TLD).
    glued_hash: u32,
}

impl<'d> Query<'d> {
    #[inline(never)]
    fn new(full: &'d str) -> Query<'d> {
        let mut keys = Vec::with_capacity(4 * full.len());
        let mut names = Vec::new();
        // Room to fold each name in: a string is kept only for a name that is not its own
        // skeleton.
        let mut folded = String::with_capacity(full.len());
        for name in std::iter::once(full).chain(parents(full)) {
            names.push(QueryName::new(name, &mut keys, &mut folded));
        }
        Query { full, names, keys }
    }
}

impl<'d> QueryName<'d> {
    fn new(name: &'d str, keys: &mut Vec<u32>, folded: &mut String) -> QueryName<'d> {
        let own = keys.len();
        push_neighbour_keys(name, keys);
        let own = own..keys.len();
        let idn = has_punycode(name);
        folded.clear();
        let other_skeleton = push_other_skeleton(name, folded);
        let skeleton = other_skeleton.map(|_| folded.clone());
        let skeleton_keys = match (&skeleton, idn) {
            (None, false) => own.clone(),
            (Some(skel), false) => {
                let start = keys.len();
                push_neighbour_keys(skel, keys);
                start..keys.len()
            }
            (_, true) => {
                let start = keys.len();
                push_neighbour_keys_within_two(skeleton.as_deref().unwrap_or(name), keys);
                start..keys.len()
            }
        };
        let skeleton_hash = other_skeleton.unwrap_or(keys[own.start]);
        let stem = stem_of(name).map(|stem| Stem {
            name: stem,
            hash: text_hash(stem),
            glued_hash: glued_stem_hash(stem),
        });
        QueryName {
            name,
            keys: own,
            skeleton,
            skeleton_hash,
            skeleton_keys,
            idn,
            stem,
        }
    }

    /// The name's skeleton.
    fn skeleton(&self) -> &str {
        self.skeleton.as_deref().unwrap_or(self.name)
    }
}

/// A match of a search, before its texts are built (most matches are outranked).
#[derive(Debug, Clone, Copy)]
struct Match {
    /// Lower is better: class, then the name's depth, then resemblance.
    rank: u8,
    class: ReferenceClass,
    /// The reference's id.
    id: u32,
    resemblance: Resemblance,
    /// The position of the matched name in [`Query::names`].
    name: usize,
}

/// The best match so far.
#[derive(Debug, Default)]
struct Best(Option<Match>);

impl Best {
    /// Keeps `found` when it ranks better than the best so far: among equal ranks the first
    /// offered stays.
    fn offer(&mut self, found: Option<Match>) {
        if let Some(found) = found {
            if self.0.is_none_or(|best| found.rank < best.rank) {
                self.0 = Some(found);
            }
        }
    }

    /// Keeps `found` when its (rank, id) is lower: the best of candidates given in any order.
    fn offer_lowest(&mut self, found: Match) {
        if self
            .0
            .is_none_or(|best| (found.rank, found.id) < (best.rank, best.id))
        {
            self.0 = Some(found);
        }
    }
}

impl SearchIndexes {
    /// The search indexes of `names` (their classes in `classes`).
    #[inline(never)]
    fn build(names: &[String], classes: &[ReferenceClass]) -> SearchIndexes {
        // Most names are their own skeleton; those are found by exact lookup instead.
        let other_skeletons = OtherSkeletons::of(names);
        let skeletons = HashBuckets::from_pairs(
            (other_skeletons.entries.iter()).map(|skel| (skel.hash, skel.id)),
        );
        let skeleton_index = other_skeletons.index();
        let stems = HashBuckets::from_pairs(
            (names.iter().zip(classes).enumerate())
                .filter(|(_, (_, &class))| class <= ReferenceClass::Trusted)
                .flat_map(|(id, (name, _))| stem_hashes(name).map(move |h| (h, id as u32))),
        );
        let glued = HashBuckets::from_pairs(
            (names.iter().enumerate()).map(|(id, name)| (glued_hash(name), id as u32)),
        );
        SearchIndexes {
            other_skeletons,
            skeletons,
            skeleton_index,
            stems,
            glued,
        }
    }
}

/// The hashes `name` is filed under in `stems`: its name without the TLD, and without a
/// national suffix such as `.co.uk` when it has one.
#[inline(never)]
fn stem_hashes(name: &str) -> impl Iterator<Item = u32> + '_ {
    let national = national_stem(name).filter(|n| Some(*n) != stem_of(name));
    (stem_of(name).into_iter().chain(national)).map(text_hash)
}

/// The skeletons of the names that are not their own skeleton, one after another in one
/// text: each name folded once, in one pass that also hashes it, and no string apiece (the
/// known domains' search indexes are built at a cold start's first check, issue 17).
#[derive(Debug, Clone, Default)]
struct OtherSkeletons {
    text: String,
    /// In increasing order of id.
    entries: Vec<OtherSkeleton>,
}

#[derive(Debug, Clone, Copy)]
struct OtherSkeleton {
    id: u32,
    /// [`text_hash`] of the skeleton.
    hash: u32,
    /// Where it ends in [`OtherSkeletons::text`] (it starts where the one before ends).
    end: u32,
}

impl OtherSkeletons {
    #[inline(never)]
    fn of(names: &[String]) -> OtherSkeletons {
        let mut text = String::with_capacity(names.iter().map(|n| n.len()).sum());
        let mut entries = Vec::new();
        for (id, name) in names.iter().enumerate() {
            let start = text.len();
            match push_other_skeleton(name, &mut text) {
                Some(hash) => entries.push(OtherSkeleton {
                    id: id as u32,
                    hash,
                    end: text.len() as u32,
                }),
                None => text.truncate(start),
            }
        }
        OtherSkeletons { text, entries }
    }

    /// The skeleton of the name at `id`, when it is not the name itself.
    fn of_id(&self, id: u32) -> Option<&str> {
        let at = self.entries.binary_search_by_key(&id, |e| e.id).ok()?;
        Some(self.at(at))
    }

    /// The skeleton of the `at`th entry.
    fn at(&self, at: usize) -> &str {
        let start = at
            .checked_sub(1)
            .map_or(0, |before| self.entries[before].end);
        &self.text[start as usize..self.entries[at].end as usize]
    }

    /// The skeletons indexed under the ids of their names.
    #[inline(never)]
    fn index(&self) -> NeighbourIndex {
        let mut index = NeighbourIndex::with_capacity(self.entries.len(), self.text.len());
        for (at, entry) in self.entries.iter().enumerate() {
            index.insert(entry.id, self.at(at));
        }
        index
    }
}

/// [`text_hash`] of [`glued_reference`], without building it for plain ASCII names.
#[inline(never)]
fn glued_hash(name: &str) -> u32 {
    if has_punycode(name) {
        return text_hash(&glued_reference(name));
    }
    plain_glued_hash(name)
}

/// [`text_hash`] of `stem` typed as one label (`glued_name(stem, "")`), without building it
/// for plain ASCII names.
fn glued_stem_hash(stem: &str) -> u32 {
    if has_punycode(stem) {
        return text_hash(&glued_name(stem, ""));
    }
    plain_glued_hash(stem)
}

/// [`text_hash`] of a plain ASCII text without its dots and hyphens.
fn plain_glued_hash(text: &str) -> u32 {
    (text.bytes())
        .filter(|&b| b != b'.' && b != b'-')
        .fold(0, extend_hash)
}

/// A reference typed as one label: its name (in Unicode) and TLD without dots and hyphens
/// (`armymil` for `army.mil`, `münchende` for `münchen.de`).
fn glued_reference(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, tld)) => glued_name(stem, tld),
        None => glued_name(name, ""),
    }
}

/// `stem` (ASCII form; shown in Unicode) followed by `tld`, without dots and hyphens.
fn glued_name(stem: &str, tld: &str) -> String {
    let unicode;
    let stem = if has_punycode(stem) {
        unicode = idna::domain_to_unicode(stem).0;
        unicode.as_str()
    } else {
        stem
    };
    (stem.chars().chain(tld.chars()))
        .filter(|c| !matches!(c, '.' | '-'))
        .collect()
}

/// The name without a national suffix such as `.co.uk`: `hsbc` for `hsbc.co.uk`.
fn national_stem(name: &str) -> Option<&str> {
    let (rest, tld) = name.rsplit_once('.')?;
    let (stem, second) = rest.rsplit_once('.')?;
    (tld.len() == 2 && NATIONAL_SECOND_LEVELS.contains(&second)).then_some(stem)
}

/// Internationalised names of at least this many characters before their public suffix also
/// match a homoglyph plus two edits: measured on `tests/eval` (see `docs/policy.md`). Two plain
/// typos are not matched: on the same corpus they added 3 of 12,124 lookalikes, at 15 times
/// the index lookups for every recipient.
const HOMOGLYPH_TWO_EDITS: usize = 4;

/// References longer than this are not scanned for internationalised queries (the index still
/// finds them within one edit).
const MAX_SCANNED_LENGTH: usize = 63;

/// The characters of `name` before its public suffix (`wellsfargo` in `wellsfargo.com`,
/// `hsbc` in `hsbc.co.uk`).
fn name_length(name: &str) -> usize {
    let stem = national_stem(name).or(stem_of(name)).unwrap_or(name);
    stem.chars().count()
}

fn stem_of(name: &str) -> Option<&str> {
    name.rsplit_once('.').map(|(stem, _)| stem)
}

/// Appends `name`'s skeleton to `out`, and answers its [`text_hash`] when it differs from
/// `name` (else `None`; `out` has grown all the same). Plain names (nearly all) are folded and
/// hashed in one pass.
#[inline(never)]
fn push_other_skeleton(name: &str, out: &mut String) -> Option<u32> {
    if !name.is_ascii() || has_punycode(name) {
        let skel = skeleton(name);
        out.push_str(&skel);
        return (skel != name).then(|| text_hash(&skel));
    }
    let (mut hash, mut upper) = (0, false);
    let lower = name.bytes().map(|b| {
        upper |= b.is_ascii_uppercase();
        b.to_ascii_lowercase() as char
    });
    let folded = fold_ascii_lookalikes(lower, |c| {
        hash = extend_hash(hash, c as u8);
        out.push(c);
    });
    (folded || upper).then_some(hash)
}

/// Whether `name` holds `xn--` (a punycode label). (A byte search: `str::contains` sets up a
/// substring searcher per call, and this runs for every reference a search index files.)
fn has_punycode(name: &str) -> bool {
    name.as_bytes().windows(4).any(|w| w == b"xn--")
}

/// The hash a text (a skeleton, a stem) is filed under; [`extend_hash`] builds the same one
/// byte by byte, as a skeleton is folded.
fn text_hash(text: &str) -> u32 {
    string_hash(text.as_bytes())
}

/// One-edit matches on very short names (`x.com`, `me.com`) hit too many real domains.
fn long_enough(reference: &str) -> bool {
    reference.len() >= 6
}

fn one_edit_kind(typed: &str, reference: &str) -> Resemblance {
    if stem_of(typed) == stem_of(reference) {
        Resemblance::TldEdit
    } else {
        Resemblance::OneEdit
    }
}

/// The confusable skeleton of a domain: each character that looks like ASCII replaced by what
/// it looks like (`data/confusables-ascii.tsv`: UTS #39 confusables, canonical decomposition
/// without combining marks, Latin Extended / IPA / small capitals and Cyrillic and Greek
/// letters by their capitals), lower-cased, then ASCII look-alike sequences folded
/// (`rn`→`m`, `vv`→`w`, `cl`→`d`, `0`→`o`, `1`→`l`).
///
/// Only look-alikes of ASCII are kept: the references worth imitating are ASCII domains, and
/// the full Unicode tables (with their normalisation data) would add over 100 KB to the
/// WebAssembly build that every send loads.
pub fn skeleton(ascii_domain: &str) -> String {
    // Only punycode labels can hold non-ASCII characters; plain ASCII skips IDNA entirely.
    if !has_punycode(ascii_domain) {
        let mut out = String::with_capacity(ascii_domain.len());
        fold_ascii_lookalikes(ascii_lower_chars(ascii_domain), |c| out.push(c));
        return out;
    }
    let (unicode, _) = idna::domain_to_unicode(ascii_domain);
    let mut uts39 = String::with_capacity(unicode.len());
    for c in unicode.chars() {
        match ascii_lookalike(c) {
            Some(entry) => uts39.push_str(entry.looks),
            None => uts39.push(c),
        }
    }
    let mut out = String::with_capacity(uts39.len());
    fold_ascii_lookalikes(uts39.to_lowercase().chars(), |c| out.push(c));
    out
}

fn ascii_lower_chars(ascii: &str) -> impl Iterator<Item = char> + '_ {
    ascii.bytes().map(|b| b.to_ascii_lowercase() as char)
}

/// The last step of [`skeleton`], over lower-case characters: `rn`→`m`, `vv`→`w`, `cl`→`d`,
/// `0`→`o`, `1`→`l`, dotless `ı`→`i`. Answers whether it folded anything.
fn fold_ascii_lookalikes(lower: impl Iterator<Item = char>, mut out: impl FnMut(char)) -> bool {
    let mut changed = false;
    let mut chars = lower.peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let folded = match (c, next) {
            ('r', Some('n')) | ('n', Some('n')) => Some('m'),
            ('v', Some('v')) => Some('w'),
            ('c', Some('l')) => Some('d'),
            _ => None,
        };
        if let Some(f) = folded {
            chars.next();
            out(f);
            changed = true;
            continue;
        }
        let f = match c {
            '0' => 'o',
            '1' => 'l',
            'ı' => 'i',
            c => c,
        };
        changed |= f != c;
        out(f);
    }
    changed
}

const CONFUSABLES_ASCII: &str = include_str!("../data/confusables-ascii.tsv");

/// One row of `data/confusables-ascii.tsv`.
#[derive(Debug, Clone, Copy)]
struct LooksAscii {
    /// What the character looks like, lower-case ASCII.
    looks: &'static str,
    /// A UTS #39 confusable as it is (rule `c`), not one found through its decomposition,
    /// capital or name: only these make a whole-script spoof.
    confusable: bool,
}

/// What a non-ASCII character looks like in ASCII, if it looks like ASCII at all.
fn ascii_lookalike(c: char) -> Option<LooksAscii> {
    static TABLE: std::sync::OnceLock<Vec<(char, LooksAscii)>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        CONFUSABLES_ASCII
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut cols = l.split('\t');
                let code = u32::from_str_radix(cols.next()?, 16).ok()?;
                let looks = cols.next()?;
                let confusable = cols.next()? == "c";
                Some((char::from_u32(code)?, LooksAscii { looks, confusable }))
            })
            .collect()
    });
    table
        .binary_search_by_key(&c, |&(k, _)| k)
        .ok()
        .map(|i| table[i].1)
}

/// How a domain disguises itself with letters of another script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptSpoof {
    /// One label mixes Latin letters with Cyrillic or Greek ones (`pаypal.com`).
    Mixed,
    /// A label written wholly in Cyrillic or Greek letters that all look like Latin ones
    /// (`аррӏе.com`); `looks_like` is the domain as it reads (`apple.com`).
    WholeScript { looks_like: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
    /// Digits, hyphens and every other script (CJK, Arabic…): they neither mix nor spoof here.
    Other,
}

/// The script of a letter, by Unicode block: enough to tell Latin, Cyrillic and Greek apart.
fn script_of(c: char) -> Script {
    match c as u32 {
        0x61..=0x7A | 0xC0..=0x24F | 0x250..=0x2AF | 0x1D00..=0x1D7F | 0x1E00..=0x1EFF => {
            Script::Latin
        }
        0x2C60..=0x2C7F | 0xA720..=0xA7FF | 0xAB30..=0xAB6F => Script::Latin,
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        _ => Script::Other,
    }
}

/// ccTLDs of countries that write in Cyrillic: an all-Cyrillic name there is ordinary.
const CYRILLIC_COUNTRY_TLDS: [&str; 12] = [
    "ru", "su", "by", "ua", "kz", "kg", "bg", "rs", "mk", "mn", "tj", "uz",
];

/// Whether `domain` disguises itself with letters of another script, references aside.
/// Real single-script IDN names (`münchen.de`, `яндекс.рф`) are not spoofs.
pub fn script_spoof(domain: &Domain) -> Option<ScriptSpoof> {
    if !has_punycode(domain.as_str()) {
        return None;
    }
    let unicode = domain.unicode();
    let (labels, tld) = unicode.rsplit_once('.')?;
    let mut whole_script = false;
    for label in labels.split('.') {
        let scripts = label.chars().map(script_of).filter(|&s| s != Script::Other);
        let (mut first, mut mixed) = (None, false);
        for script in scripts {
            mixed |= first.is_some_and(|f| f != script);
            first.get_or_insert(script);
        }
        if mixed {
            return Some(ScriptSpoof::Mixed);
        }
        whole_script |= matches!(first, Some(Script::Cyrillic | Script::Greek))
            && label.chars().all(|c| {
                c.is_ascii_digit() || c == '-' || ascii_lookalike(c).is_some_and(|l| l.confusable)
            });
    }
    let latin_tld = tld.is_ascii() && !CYRILLIC_COUNTRY_TLDS.contains(&tld);
    (whole_script && latin_tld).then(|| ScriptSpoof::WholeScript {
        looks_like: skeleton(domain.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> ReferenceSet {
        set_of(&[
            ("army.mil", ReferenceClass::Internal),
            ("se.ibm.com", ReferenceClass::Trusted),
            ("gmail.com", ReferenceClass::HighValue),
            ("microsoft.com", ReferenceClass::HighValue),
            ("apple.com", ReferenceClass::HighValue),
        ])
    }

    fn set_of(entries: &[(&str, ReferenceClass)]) -> ReferenceSet {
        ReferenceSet::build(entries.iter().map(|&(d, c)| (d.to_string(), c)))
    }

    fn find(s: &ReferenceSet, d: &str) -> Option<(String, Resemblance)> {
        s.find(&Domain::parse(d).unwrap())
            .map(|l| (l.suggestion, l.resemblance))
    }

    #[test]
    fn finds_each_kind() {
        let s = set();
        assert_eq!(
            find(&s, "army.ml"),
            Some(("army.mil".into(), Resemblance::TldEdit))
        );
        assert_eq!(
            find(&s, "gmial.com"),
            Some(("gmail.com".into(), Resemblance::OneEdit))
        );
        assert_eq!(
            find(&s, "seibm.com"),
            Some(("se.ibm.com".into(), Resemblance::OneEdit))
        );
        assert_eq!(
            find(&s, "rnicrosoft.com"),
            Some(("microsoft.com".into(), Resemblance::Homoglyph))
        );
        assert_eq!(
            find(&s, "аррӏе.com"),
            Some(("apple.com".into(), Resemblance::Homoglyph))
        );
        assert_eq!(
            find(&s, "army.gov"),
            Some(("army.mil".into(), Resemblance::OtherTld))
        );
        assert_eq!(
            find(&s, "mail.gmial.com"),
            Some(("mail.gmail.com".into(), Resemblance::OneEdit))
        );
        assert_eq!(find(&s, "example.org"), None);
        assert_eq!(find(&s, "gmail.com"), None);
    }

    #[test]
    fn across_sets_the_strongest_class_wins_and_a_tie_goes_to_the_earlier_set() {
        let policy = set_of(&[("gmail.com", ReferenceClass::HighValue)]);
        let known = set_of(&[
            ("gmail.co", ReferenceClass::Known),
            ("army.mil", ReferenceClass::Known),
        ]);
        let trusted = set_of(&[("army.mil", ReferenceClass::Trusted)]);
        let find = |sets: &[&ReferenceSet], d: &str| {
            find_in(sets, &Domain::parse(d).unwrap()).map(|l| (l.suggestion, l.class))
        };
        // A known domain is a stronger reference than a big provider's.
        assert_eq!(
            find(&[&policy, &known], "gmial.co"),
            Some(("gmail.co".into(), ReferenceClass::Known))
        );
        // The trusted set's match leaves the known set unsearched; the answer is the same.
        assert_eq!(
            find(&[&trusted, &known], "army.ml"),
            Some(("army.mil".into(), ReferenceClass::Trusted))
        );
        // The same class and resemblance in two sets: the earlier set's reference.
        let other_known = set_of(&[("army.mx", ReferenceClass::Known)]);
        let reference = |sets: &[&ReferenceSet]| {
            find_in(sets, &Domain::parse("army.ml").unwrap()).map(|l| (l.reference, l.resemblance))
        };
        assert_eq!(
            reference(&[&known, &other_known]),
            Some(("army.mil".into(), Resemblance::TldEdit))
        );
        assert_eq!(
            reference(&[&other_known, &known]),
            Some(("army.mx".into(), Resemblance::TldEdit))
        );
        assert_eq!(find(&[&policy, &known], "example.org"), None);
        assert_eq!(find(&[&ReferenceSet::default()], "gmial.com"), None);
    }

    /// The skeleton's hash [`push_other_skeleton`] answers.
    fn hash_of_other_skeleton(name: &str) -> Option<u32> {
        push_other_skeleton(name, &mut String::new())
    }

    #[test]
    fn skeleton_hash_shortcut_agrees_with_skeleton() {
        for name in [
            "army.mil",
            "rnicrosoft.com",
            "vvikipedia.org",
            "clarity.io",
            "g00gle.com",
            "paypa1.com",
            "north-2.example",
            "xn--80ak6aa92e.com",
            "a-9.b",
            "Mod.uk",
        ] {
            let skel = skeleton(name);
            let expected = (skel != name).then(|| text_hash(&skel));
            assert_eq!(hash_of_other_skeleton(name), expected, "{name}");
        }
        assert_eq!(hash_of_other_skeleton("army.mil"), None);
        assert!(hash_of_other_skeleton("paypa1.com").is_some());
    }

    #[test]
    fn a_set_of_distinct_names_answers_as_one_built_name_by_name() {
        let names = [
            "gmail.com",
            "army.mil",
            "g00gle.com",
            "rnicrosoft.com",
            "fastmail.com.au",
        ];
        let names: Vec<String> = names.map(String::from).into();
        let class = ReferenceClass::Known;
        let built = ReferenceSet::build(names.iter().map(|n| (n.clone(), class)));
        let distinct = ReferenceSet::of_distinct(names, class);
        for query in [
            "gmial.com",
            "army.ml",
            "goog1e.com",
            "microsoft.com",
            "fastmailcom.au",
            "gmail.com",
            "mail.gmail.com",
            "unrelated.org",
        ] {
            let domain = Domain::parse(query).unwrap();
            assert_eq!(distinct.find(&domain), built.find(&domain), "{query}");
            assert_eq!(distinct.covers(query), built.covers(query), "{query}");
            assert_eq!(
                distinct.covers_as(query, class),
                built.covers_as(query, class)
            );
        }
        assert_eq!(distinct.len(), built.len());
        assert!(ReferenceSet::of_distinct(Vec::new(), class).is_empty());
    }

    #[test]
    fn other_skeletons_are_the_skeletons_of_the_names_that_differ() {
        let names: Vec<String> = [
            "army.mil",
            "rnicrosoft.com",
            "example.org",
            "xn--80ak6aa92e.com",
            "g00gle.com",
            "Mod.uk",
            "vvikipedia.org",
            "xn--mnchen-3ya.de",
        ]
        .map(String::from)
        .into();
        let others = OtherSkeletons::of(&names);
        for (id, name) in names.iter().enumerate() {
            let skel = skeleton(name);
            let expected = (skel != *name).then_some(skel.as_str());
            assert_eq!(others.of_id(id as u32), expected, "{name}");
        }
        let hashes: Vec<(u32, u32)> = others.entries.iter().map(|e| (e.id, e.hash)).collect();
        let expected: Vec<(u32, u32)> = (names.iter().enumerate())
            .filter_map(|(id, n)| Some((id as u32, hash_of_other_skeleton(n)?)))
            .collect();
        assert_eq!(hashes, expected);
        assert_eq!(OtherSkeletons::of(&[]).of_id(0), None);
    }

    proptest::proptest! {
        #[test]
        fn skeleton_hash_shortcut_agrees_on_any_ascii_name(name in "[a-zA-Z0-9.-]{0,24}|[rnvclRNVCL01.]{0,12}") {
            let skel = skeleton(&name);
            let expected = (skel != name).then(|| text_hash(&skel));
            proptest::prop_assert_eq!(hash_of_other_skeleton(&name), expected);
            let mut folded = String::new();
            let hash = push_other_skeleton(&name, &mut folded);
            proptest::prop_assert_eq!(hash, expected);
            proptest::prop_assert_eq!(folded, skel);
        }
    }

    #[test]
    fn other_tld_matches_the_first_organisation_domain_with_that_name() {
        let s = set_of(&[
            ("acme.org", ReferenceClass::Trusted),
            ("acme.com", ReferenceClass::Internal),
            ("gmail.com", ReferenceClass::HighValue),
        ]);
        assert_eq!(
            find(&s, "acme.net"),
            Some(("acme.com".into(), Resemblance::OtherTld))
        );
        // Only organisation domains count for another TLD.
        assert_eq!(find(&s, "gmail.de"), None);
    }

    #[test]
    fn a_domain_listed_twice_keeps_its_strongest_class() {
        let s = set_of(&[
            ("army.mil", ReferenceClass::Trusted),
            ("gmail.com", ReferenceClass::HighValue),
            ("army.mil", ReferenceClass::Internal),
        ]);
        assert_eq!(s.len(), 2);
        let found = s.find(&Domain::parse("army.ml").unwrap()).unwrap();
        assert_eq!(found.class, ReferenceClass::Internal);
        assert!(s.covers("gmail.com"));
        // Listed under both: internal and trusted, here and below.
        assert!(s.covers_as("army.mil", ReferenceClass::Trusted));
        assert!(s.covers_as("mail.army.mil", ReferenceClass::Internal));
        assert!(!s.covers_as("gmail.com", ReferenceClass::Trusted));
        assert!(!s.covers_as("mil", ReferenceClass::Internal));
    }

    #[test]
    fn references_with_folded_characters_are_found_by_their_skeleton() {
        let s = set_of(&[
            ("north1-bank.com", ReferenceClass::Trusted),
            ("xn--80ak6aa92e.com", ReferenceClass::Trusted),
        ]);
        // `1` and `l` share a skeleton: the reference's was hashed while folded, the query's
        // from its text.
        assert_eq!(
            find(&s, "northl-bank.com"),
            Some(("north1-bank.com".into(), Resemblance::Homoglyph))
        );
        assert_eq!(find(&s, "north1-bank.com"), None);
    }

    #[test]
    fn homoglyphs_beyond_uts39_and_with_a_typo() {
        let s = set();
        for typed in [
            "ármy.mil",  // decomposition
            "gmaíl.com", // decomposition
            "ɱicrosoft.com",
            "ᴍicrosoft.com",
            "аррӏе.com",
            "gмail.com",     // Cyrillic м, by its capital
            "gmaіll.com",    // Cyrillic і and an extra l
            "rnicrosft.com", // `rn` and an omission
        ] {
            let found = find(&s, typed).map(|(s, _)| s);
            assert!(
                found.as_deref().is_some_and(|f| [
                    "army.mil",
                    "gmail.com",
                    "microsoft.com",
                    "apple.com"
                ]
                .contains(&f)),
                "{typed}: {found:?}"
            );
        }
        assert_eq!(
            find(&s, "gmaíl.com"),
            Some(("gmail.com".into(), Resemblance::Homoglyph))
        );
        assert_eq!(
            find(&s, "gmaіll.com"),
            Some(("gmail.com".into(), Resemblance::Homoglyph))
        );
    }

    #[test]
    fn a_reference_is_never_a_lookalike_of_another() {
        let s = set_of(&[
            ("mail.com", ReferenceClass::Trusted),
            ("gmail.com", ReferenceClass::HighValue),
        ]);
        assert_eq!(find(&s, "gmail.com"), None);
        assert_eq!(find(&s, "eu.gmail.com"), None);
        assert_eq!(find(&s, "gmall.com").map(|l| l.0), Some("gmail.com".into()));
    }

    #[test]
    fn script_spoofs() {
        let spoof = |d: &str| script_spoof(&Domain::parse(d).unwrap());
        assert_eq!(spoof("pаypal.com"), Some(ScriptSpoof::Mixed));
        assert_eq!(
            spoof("аррӏе.com"),
            Some(ScriptSpoof::WholeScript {
                looks_like: "apple.com".into()
            })
        );
        for quiet in [
            "münchen.de",
            "яндекс.рф",
            "москва.com",
            "аррӏе.ru",
            "paypal.com",
            "ελλάδα.gr",
        ] {
            assert_eq!(spoof(quiet), None, "{quiet}");
        }
    }

    #[test]
    fn covers_subdomains() {
        let s = set();
        assert!(s.covers("army.mil") && s.covers("mail.army.mil") && !s.covers("notarmy.mil"));
    }
}
