//! Domain names: normalisation (case, trailing dot, IDN) and the TLD facts the checks need.
//!
//! Every domain inside the engine is held in its ASCII form (`xn--` punycode for IDN labels),
//! lower-cased and without a trailing dot, so that `ARMY.MIL.`, `army.mil` and the Unicode and
//! punycode spellings of an IDN compare equal.

use crate::fast_hash::{FastMap, FastSet};
use std::sync::OnceLock;

/// A domain in canonical ASCII form, plus its Unicode form for display and homoglyph checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain {
    ascii: String,
    /// The Unicode form where it differs from `ascii` (an internationalised name), else empty.
    unicode: String,
}

/// Why a domain could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainError {
    Empty,
    /// No dot: mail across the internet needs a domain with a top-level domain.
    NoTld,
    /// A label is empty (`a..b`), too long, or holds characters a host name cannot hold.
    BadLabel(String),
    /// IDNA (UTS #46) processing refused the name.
    Idna,
}

impl std::fmt::Display for DomainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DomainError::Empty => write!(f, "the domain is empty"),
            DomainError::NoTld => write!(f, "the domain has no top-level domain (no dot)"),
            DomainError::BadLabel(l) => {
                write!(f, "the domain part `{l}` is not valid in a domain name")
            }
            DomainError::Idna => {
                write!(f, "the domain is not a valid internationalised domain name")
            }
        }
    }
}

impl Domain {
    /// Parses and normalises a domain: trims one trailing dot, lower-cases, converts IDN to ASCII.
    pub fn parse(input: &str) -> Result<Domain, DomainError> {
        let ascii = Domain::canonical(input)?;
        // (A byte search: `str::contains` sets up a substring searcher per call.)
        let unicode = if ascii.as_bytes().windows(4).any(|w| w == b"xn--") {
            idna::domain_to_unicode(&ascii).0
        } else {
            String::new() // the same as `ascii`: no second copy (a history parses thousands)
        };
        Ok(Domain { ascii, unicode })
    }

    /// Only the canonical ASCII form of [`Domain::parse`] (`ARMY.MIL.` → `army.mil`), for
    /// building a policy's lists, where the Unicode form is not needed.
    pub fn canonical(input: &str) -> Result<String, DomainError> {
        let trimmed = input.trim();
        let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
        if trimmed.is_empty() {
            return Err(DomainError::Empty);
        }
        // Nearly every domain is plain ASCII, its own canonical form once lower-cased: one pass
        // checks and copies it (UTS #46 would only lower-case it, at several times the cost).
        match plain_ascii_domain(trimmed) {
            Some(ascii) => Ok(ascii),
            None => idna_canonical(trimmed),
        }
    }

    /// The canonical ASCII form and the Unicode form where it differs (an internationalised
    /// name), taken apart without copying.
    pub fn into_parts(self) -> (String, Option<String>) {
        let unicode = (!self.unicode.is_empty()).then_some(self.unicode);
        (self.ascii, unicode)
    }

    /// The canonical ASCII form, e.g. `xn--80ak6aa92e.com`.
    pub fn as_str(&self) -> &str {
        &self.ascii
    }

    /// The Unicode form, for display and homoglyph checks.
    pub fn unicode(&self) -> &str {
        if self.unicode.is_empty() {
            &self.ascii
        } else {
            &self.unicode
        }
    }

    /// The last label in ASCII form, e.g. `mil`.
    pub fn tld(&self) -> &str {
        self.ascii.rsplit('.').next().unwrap_or(&self.ascii)
    }

    /// Everything left of the TLD, e.g. `army` for `army.mil`, `mail.army` for `mail.army.mil`.
    pub fn without_tld(&self) -> &str {
        let tld_len = self.tld().len();
        &self.ascii[..self.ascii.len() - tld_len - 1]
    }

    /// True when `self` equals `parent` or lies below it (`mail.army.mil` under `army.mil`).
    pub fn is_within(&self, parent: &str) -> bool {
        is_within(&self.ascii, parent)
    }
}

/// [`Domain::canonical`] through UTS #46 (IDNA): for IDN, punycode and everything else that
/// is not a plain ASCII name, whose errors this path names.
fn idna_canonical(name: &str) -> Result<String, DomainError> {
    let ascii = idna::domain_to_ascii(name).map_err(|_| DomainError::Idna)?;
    if ascii.is_empty() {
        return Err(DomainError::Empty);
    }
    for label in ascii.split('.') {
        if !is_host_label(label.as_bytes()) {
            return Err(DomainError::BadLabel(label.to_string()));
        }
    }
    if !ascii.contains('.') {
        return Err(DomainError::NoTld);
    }
    Ok(ascii)
}

/// A host name label: 1 to 63 letters, digits and inner hyphens.
fn is_host_label(label: &[u8]) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label[0] != b'-'
        && label[label.len() - 1] != b'-'
        && label
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `name` lower-cased when it is a valid domain of plain ASCII labels (at least two, none of
/// them punycode); `None` sends it to the full IDNA path, which also explains the error.
/// One pass over the bytes: this runs for every domain of a policy on each cold start.
fn plain_ascii_domain(name: &str) -> Option<String> {
    let upper = plain_ascii_shape(name)?;
    Some(if upper {
        name.to_ascii_lowercase()
    } else {
        name.to_owned()
    })
}

/// Whether `name` (not trimmed, no trailing dot) is already a canonical plain ASCII domain:
/// [`Domain::parse`] would read it as itself, with no Unicode form of its own.
pub(crate) fn is_canonical_plain(name: &str) -> bool {
    plain_ascii_shape(name) == Some(false)
}

/// For a plain ASCII domain (letters, digits and hyphens in two labels or more, no punycode),
/// whether it has upper-case letters; `None` for any other name.
fn plain_ascii_shape(name: &str) -> Option<bool> {
    // The characters are checked in the loop; each label's shape when it ends. Punycode
    // labels (`xn--`, any case) go through IDNA, which checks their encoding.
    let plain_label = |label: &[u8]| {
        !label.is_empty()
            && label.len() <= 63
            && label[0] != b'-'
            && label[label.len() - 1] != b'-'
            && !(label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--"))
    };
    let bytes = name.as_bytes();
    let (mut label_start, mut labels, mut upper) = (0, 1, false);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'.' {
            if !plain_label(&bytes[label_start..i]) {
                return None;
            }
            label_start = i + 1;
            labels += 1;
        } else if b.is_ascii_uppercase() {
            upper = true;
        } else if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return None;
        }
    }
    if labels < 2 || !plain_label(&bytes[label_start..]) {
        return None;
    }
    Some(upper)
}

/// True when `domain` equals `parent` or is a subdomain of it, on a label boundary.
pub fn is_within(domain: &str, parent: &str) -> bool {
    domain == parent
        || (domain.len() > parent.len()
            && domain.ends_with(parent)
            && domain.as_bytes()[domain.len() - parent.len() - 1] == b'.')
}

/// The parents of a domain that still have at least two labels, nearest first:
/// `a.b.army.mil` gives `b.army.mil`, `army.mil`.
pub fn parents(domain: &str) -> impl Iterator<Item = &str> {
    let mut rest = domain;
    std::iter::from_fn(move || {
        let dot = rest.find('.')?;
        let parent = &rest[dot + 1..];
        if parent.contains('.') {
            rest = parent;
            Some(parent)
        } else {
            None
        }
    })
}

/// A set of domains (or bare TLDs) that also covers everything below them. Lookups hash the
/// domain and each of its parents, so the cost does not grow with the size of the set.
#[derive(Debug, Clone, Default)]
pub struct DomainSet {
    names: FastSet<String>,
}

impl DomainSet {
    /// Builds the set from names already in canonical form.
    pub fn new(names: impl IntoIterator<Item = String>) -> DomainSet {
        DomainSet {
            names: names.into_iter().collect(),
        }
    }

    /// True when `domain` or any of its parents (down to the bare TLD) is in the set.
    pub fn covers(&self, domain: &str) -> bool {
        let mut rest = domain;
        loop {
            if self.names.contains(rest) {
                return true;
            }
            match rest.find('.') {
                Some(dot) => rest = &rest[dot + 1..],
                None => return false,
            }
        }
    }
}

const IANA_TLDS: &str = include_str!("../data/tlds.txt");
const CCTLD_COUNTRIES: &str = include_str!("../data/cctld-countries.tsv");

// Built on first use (the first check), with the fast hasher: SipHash over 1,500 TLDs is a
// visible part of a first check in WebAssembly's baseline tier.
fn tld_set() -> &'static FastSet<&'static str> {
    static SET: OnceLock<FastSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        IANA_TLDS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    })
}

fn country_map() -> &'static FastMap<&'static str, &'static str> {
    static MAP: OnceLock<FastMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| {
        CCTLD_COUNTRIES
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .collect()
    })
}

/// True when the TLD (ASCII form) is delegated in the IANA root zone.
pub fn tld_exists(tld: &str) -> bool {
    tld_set().contains(tld)
}

/// The country or territory of a ccTLD (ASCII form), as a sentence would name it: `ml` → `Mali`.
pub fn country_of(tld: &str) -> Option<&'static str> {
    country_map().get(tld).copied()
}

/// Generic TLDs that senders mean most often; a one-edit miss of one of them is a typo trap.
pub const GENERIC_TLDS: [&str; 7] = ["com", "net", "org", "mil", "gov", "edu", "int"];

/// Who a generic TLD belongs to, for messages.
pub fn generic_tld_owner(tld: &str) -> Option<&'static str> {
    Some(match tld {
        "mil" => "the US military's .mil",
        "gov" => "the US government's .gov",
        "edu" => "US universities' .edu",
        "int" => "international organisations' .int",
        "com" => ".com",
        "net" => ".net",
        "org" => ".org",
        _ => return None,
    })
}

/// The ccTLDs one edit away from a big generic TLD, and the generic TLD they are mistaken for.
/// They are real, delegated country domains: mail to them is delivered, to someone else.
/// `.co` (for `.com`) and `.eu` (for `.edu`) are left out on purpose: they are huge legitimate
/// namespaces, and a warning on every new `.eu` or `.co` correspondent would train users to
/// click through. Lookalike checks still catch `gmail.co` against a reference domain.
pub const TLD_TRAPS: [(&str, &str); 6] = [
    ("ml", "mil"),
    ("il", "mil"),
    ("cm", "com"),
    ("om", "com"),
    ("ne", "net"),
    ("et", "net"),
];

/// Second-level labels under which a ccTLD registers names (`co.il`, `ac.uk`): a domain under
/// one of them is an ordinary national domain, not a mistyped generic one.
pub const NATIONAL_SECOND_LEVELS: [&str; 12] = [
    "co", "ac", "org", "gov", "net", "com", "muni", "k12", "edu", "ltd", "plc", "sch",
];

/// The generic TLD a trap ccTLD is mistaken for, if the domain looks like such a slip.
pub fn tld_trap(domain: &Domain) -> Option<&'static str> {
    let tld = domain.tld();
    let generic = TLD_TRAPS.iter().find(|(cc, _)| *cc == tld)?.1;
    // `example.co.il` is a normal Israeli domain; `army.il` or `mail.army.il` looks like `.mil`.
    let second = domain.without_tld().rsplit('.').next().unwrap_or("");
    if NATIONAL_SECOND_LEVELS.contains(&second) {
        return None;
    }
    Some(generic)
}

/// The nearest generic TLD within one edit of a TLD that does not exist: `con` → `com`.
pub fn nearest_generic_tld(tld: &str) -> Option<&'static str> {
    GENERIC_TLDS
        .iter()
        .copied()
        .find(|g| crate::index::osa_within_one(tld.as_bytes(), g.as_bytes()))
}

/// The generic TLDs within two edits (OSA) of `tld`, nearest first: `nry` → `net`, `org`.
pub fn generic_tlds_near(tld: &str) -> Vec<&'static str> {
    // Two passes in list order, not a sort: a sort's code for one call site would cost more
    // WebAssembly than this whole function.
    let within = |edits: fn(&str, &str) -> bool| {
        (GENERIC_TLDS.iter().copied()).filter(move |g| edits(tld, g))
    };
    let one = |a: &str, b: &str| crate::index::str_within_one(a, b);
    let two_not_one = |a: &str, b: &str| {
        crate::index::osa_within_two(a, b) && !crate::index::str_within_one(a, b)
    };
    within(one).chain(within(two_not_one)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_trailing_dot_and_idn() {
        let d = Domain::parse("ARMY.Mil.").unwrap();
        assert_eq!(d.as_str(), "army.mil");
        let u = Domain::parse("bücher.de").unwrap();
        let p = Domain::parse("xn--bcher-kva.de").unwrap();
        assert_eq!(u, p);
        assert_eq!(u.unicode(), "bücher.de");
    }

    #[test]
    fn the_plain_ascii_path_agrees_with_idna() {
        for name in [
            "army.mil",
            "ARMY.Mil",
            "a-b.c-d.org",
            "x.y",
            "123.example",
            "Xn--bcher-kva.de",
            "ab--cd.com",
            "-a.com",
            "a-.com",
            "a..b",
            ".a.b",
            "a.b.",
            "nodot",
            "a_b.com",
        ] {
            if let Some(plain) = plain_ascii_domain(name) {
                assert_eq!(Ok(plain), idna_canonical(name), "{name}");
            }
        }
        let long = format!("{}.com", "a".repeat(64));
        assert_eq!(plain_ascii_domain(&long), None);
        assert_eq!(plain_ascii_domain("xn--bcher-kva.de"), None);
        assert_eq!(plain_ascii_domain("Army.MIL").as_deref(), Some("army.mil"));
    }

    proptest::proptest! {
        #[test]
        fn plain_ascii_names_canonicalise_as_idna_does(name in "[a-zA-Z0-9.-]{1,24}") {
            if let Some(plain) = plain_ascii_domain(&name) {
                proptest::prop_assert_eq!(Ok(plain), idna_canonical(&name));
            }
        }
    }

    #[test]
    fn refuses_bad_domains() {
        assert_eq!(Domain::parse("localhost"), Err(DomainError::NoTld));
        assert!(Domain::parse("a..b").is_err());
        assert!(Domain::parse("-a.com").is_err());
        assert!(Domain::parse("").is_err());
    }

    #[test]
    fn tld_facts() {
        assert!(tld_exists("mil") && tld_exists("ml") && !tld_exists("con"));
        assert_eq!(country_of("ml"), Some("Mali"));
        assert_eq!(nearest_generic_tld("con"), Some("com"));
        assert_eq!(nearest_generic_tld("cmo"), Some("com"));
        assert_eq!(generic_tlds_near("nry"), ["net", "org"]);
        assert_eq!(generic_tlds_near("con")[0], "com");
        assert!(generic_tlds_near("museum").is_empty());
        assert_eq!(tld_trap(&Domain::parse("army.ml").unwrap()), Some("mil"));
        assert_eq!(tld_trap(&Domain::parse("shop.co.il").unwrap()), None);
    }

    #[test]
    fn parents_and_within() {
        assert_eq!(
            parents("a.b.army.mil").collect::<Vec<_>>(),
            ["b.army.mil", "army.mil"]
        );
        assert!(is_within("mail.army.mil", "army.mil"));
        assert!(!is_within("notarmy.mil", "army.mil"));
    }
}
