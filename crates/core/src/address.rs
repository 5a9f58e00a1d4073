//! Recipient strings: `Display Name <local@domain>`, bare addresses, quoted local parts, IDN.
//!
//! The parser is deliberately small: it handles what mail clients hand us for one recipient
//! (RFC 5322 `mailbox`) and never panics on any input. Two `<...>` or any text after the `>`
//! is refused ([`AddressError::TextAfterAngle`]), never cut off. Since mail software does not
//! all read a string the same way (quotes and escapes in display names), [`candidates`] lists
//! every address a string could be read as, so the engine can be as strict as the strictest of
//! them: a recipient is never hidden behind another. [`split_header`] cuts a raw `To:`-style
//! header value into such strings.

use crate::domain::{Domain, DomainError};
use crate::swar::{bytes_equal, bytes_within, HIGH_BITS};

/// A parsed mailbox: optional display name and the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub display_name: Option<String>,
    pub address: Address,
}

/// An address: the local part as typed and the normalised domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// As typed, including quotes for a quoted local part.
    pub local: String,
    pub domain: Domain,
}

impl Address {
    /// `local@domain` with the domain in ASCII form, the form used for comparisons.
    pub fn canonical(&self) -> String {
        // Built in place: a history indexes tens of thousands of these at a cold start.
        let domain = self.domain.as_str();
        let mut out = String::with_capacity(self.local.len() + 1 + domain.len());
        if self.local.is_ascii() {
            out.push_str(&self.local);
            out.make_ascii_lowercase();
        } else {
            out.push_str(&self.local.to_lowercase());
        }
        out.push('@');
        out.push_str(domain);
        out
    }

    /// `local@domain` with the domain in Unicode form, for messages.
    pub fn display(&self) -> String {
        format!("{}@{}", self.local, self.domain.unicode())
    }

    /// The same local part at another domain: what a fix replaces the address with.
    pub fn with_domain(&self, domain: &str) -> String {
        format!("{}@{}", self.local, domain)
    }
}

/// Why a recipient string is not a usable address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    Empty,
    NoAt,
    EmptyLocal,
    BadLocal(String),
    UnclosedAngle,
    /// Something follows the `>` (text, or a second `<...>`).
    TextAfterAngle,
    Domain(DomainError),
}

impl std::fmt::Display for AddressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddressError::Empty => write!(f, "the recipient is empty"),
            AddressError::NoAt => write!(f, "there is no @ in the address"),
            AddressError::EmptyLocal => write!(f, "nothing stands before the @"),
            AddressError::BadLocal(why) => write!(f, "the part before the @ {why}"),
            AddressError::UnclosedAngle => write!(f, "a < is not closed by >"),
            AddressError::TextAfterAngle => write!(f, "text follows the closing >"),
            AddressError::Domain(e) => write!(f, "{e}"),
        }
    }
}

/// Parses one recipient as RFC 5322 reads it: `Name <a@b>`, `"Last, First" <a@b>`, `<a@b>` or
/// `a@b`. The first unquoted `<` opens the address, and nothing may follow its `>`.
pub fn parse_mailbox(input: &str) -> Result<Mailbox, AddressError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    let (display_name, addr_text) = match find_unquoted(text, '<') {
        Some(open) => {
            let rest = &text[open + 1..];
            let close = find_unquoted(rest, '>').ok_or(AddressError::UnclosedAngle)?;
            if !rest[close + 1..].trim().is_empty() {
                return Err(AddressError::TextAfterAngle);
            }
            let name = unquote_display_name(text[..open].trim());
            (
                if name.is_empty() { None } else { Some(name) },
                rest[..close].trim(),
            )
        }
        None => (None, text),
    };
    Ok(Mailbox {
        display_name,
        address: parse_address(addr_text)?,
    })
}

/// At most this many candidates are listed; a string holding more is treated as the
/// strictest case by the engine (it cannot check them all within a bounded time).
pub const MAX_CANDIDATES: usize = 16;

/// Every address a mail program could read in `input`, in order of appearance, without
/// duplicates: the RFC 5322 reading (when there is one) and every `@`-word of the string read
/// without regard to quotes, angle brackets or comments (how a careless parser, or a person,
/// reads it). At most [`MAX_CANDIDATES`] + 1 entries, so a caller can tell "more than the
/// maximum". Linear in the length of `input`.
pub fn candidates(input: &str) -> Vec<Address> {
    let mut found: Vec<Address> = Vec::new();
    let add = |address: Address, found: &mut Vec<Address>| {
        let canonical = address.canonical();
        if !found.iter().any(|a| a.canonical() == canonical) {
            found.push(address);
        }
    };
    if let Ok(m) = parse_mailbox(input) {
        add(m.address, &mut found);
    }
    for word in input.split(is_word_separator).filter(|w| w.contains('@')) {
        if found.len() > MAX_CANDIDATES {
            break;
        }
        if let Ok(address) = parse_address(word) {
            add(address, &mut found);
        }
    }
    found
}

/// What ends an `@`-word for [`candidates`]: how a careless reader cuts a string.
fn is_word_separator(c: char) -> bool {
    c.is_whitespace() || ",;<>()\"'[]`".contains(c)
}

/// True when `input`, which [`parse_mailbox`] reads, can be read as no other address: its
/// only `@` stands in a word (as [`candidates`] cuts them) that is the very text the RFC 5322
/// reading took as the address, so [`candidates`] would list that address alone. Nearly
/// every recipient (`Name <a@b.org>`, `a@b.org`) passes this one scan without the
/// candidates' parsing and allocation.
pub fn has_one_reading(input: &str) -> bool {
    let mut ats = input.match_indices('@').map(|(at, _)| at);
    let (Some(at), None) = (ats.next(), ats.next()) else {
        return false;
    };
    let start = (input[..at].char_indices().rev())
        .find(|&(_, c)| is_word_separator(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = (input[at..].char_indices())
        .find(|&(_, c)| is_word_separator(c))
        .map_or(input.len(), |(i, _)| at + i);
    address_text(input) == Some(&input[start..end])
}

/// The text [`parse_mailbox`] hands to [`parse_address`] (trimmed as that trims it), when
/// the angle brackets are well formed.
fn address_text(input: &str) -> Option<&str> {
    let text = input.trim();
    let Some(open) = find_unquoted(text, '<') else {
        return Some(text);
    };
    let rest = &text[open + 1..];
    let close = find_unquoted(rest, '>')?;
    Some(rest[..close].trim())
}

/// Parses a bare address `local@domain`; the local part may be quoted (`"john doe"@x.org`).
pub fn parse_address(text: &str) -> Result<Address, AddressError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    let at = rfind_unquoted(text, '@').ok_or(AddressError::NoAt)?;
    let local = &text[..at];
    let domain_text = &text[at + 1..];
    check_local(local)?;
    let domain = Domain::parse(domain_text).map_err(AddressError::Domain)?;
    Ok(Address {
        local: local.to_string(),
        domain,
    })
}

/// Where the `@` of `text` is, when `text` is an address already in its canonical form
/// (`local@domain`, the local part a lower-case ASCII dot-atom, the domain a canonical plain
/// ASCII one): [`parse_address`] would read it as these two parts unchanged, and
/// [`Address::canonical`] is `text`. The rule by which the known-recipient index uses a
/// history's addresses in place (the domain checked once per domain): `history/usual.rs`
/// applies it a word at a time to the usual characters, and the tests here prove that such
/// an address parses as itself.
#[cfg(test)]
fn canonical_plain_at(text: &str) -> Option<usize> {
    let at = canonical_local_at(text)?;
    crate::domain::is_canonical_plain(&text[at + 1..]).then_some(at)
}

/// Where the `@` after `text`'s local part is, when that local part is in canonical form (a
/// lower-case ASCII dot-atom: [`parse_address`] keeps it as it is). An `@` cannot be inside
/// such a local part, so this is the address's only `@` unless the domain after it holds
/// another, which every domain check refuses; the domain is not looked at here.
#[cfg(test)]
pub(crate) fn canonical_local_at(text: &str) -> Option<usize> {
    // One table lookup a byte: lower-case atext, and no dot after a dot (as if a dot came
    // before the start, so that a leading dot is refused too).
    let mut previous = b'.';
    for (at, &b) in text.as_bytes().iter().enumerate() {
        if b == b'@' {
            let fits = (1..=64).contains(&at) && previous != b'.';
            return fits.then_some(at);
        }
        if !CANONICAL_LOCAL[b as usize] || (b == b'.' && previous == b'.') {
            return None;
        }
        previous = b;
    }
    None
}

/// The high bit of each byte of `word` that is a usual character of a local part (lower-case
/// ASCII letters, digits, `-`, `.`, `/`, `_`: `-` to `9` is one range), and of each that is a
/// dot. Exact for the bytes below the first that is not ASCII (any byte from there on may be
/// wrong).
pub(crate) fn usual_local_lanes(word: u64) -> (u64, u64) {
    let usual =
        bytes_within(word, b'a', b'z') | bytes_within(word, b'-', b'9') | bytes_equal(word, b'_');
    (usual & !word & HIGH_BITS, bytes_equal(word, b'.'))
}

/// The bytes of a local part in canonical form: lower-case letters, digits and the other
/// characters of RFC 5322 atext.
#[cfg(test)]
const CANONICAL_LOCAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        let lower = b >= b'a' as usize && b <= b'z' as usize;
        let digit = b >= b'0' as usize && b <= b'9' as usize;
        table[b] = lower || digit || (ATEXT_SPECIALS >> b) & 1 == 1;
        b += 1;
    }
    table
};

/// The ASCII characters besides letters and digits that RFC 5322 atext allows, as a bit set
/// (one test per character, no search through a string).
const ATEXT_SPECIALS: u128 = ascii_set(b"!#$%&'*+-/=?^_`{|}~.");

const fn ascii_set(chars: &[u8]) -> u128 {
    let mut set = 0;
    let mut i = 0;
    while i < chars.len() {
        set |= 1 << chars[i];
        i += 1;
    }
    set
}

fn check_local(local: &str) -> Result<(), AddressError> {
    if local.is_empty() {
        return Err(AddressError::EmptyLocal);
    }
    if local.len() > 64 {
        return Err(AddressError::BadLocal(
            "is longer than 64 characters".into(),
        ));
    }
    if let Some(quoted) = local.strip_prefix('"') {
        let inner = quoted
            .strip_suffix('"')
            .ok_or_else(|| AddressError::BadLocal("has an unbalanced quote".into()))?;
        // Inside quotes every `"` must be escaped, and a final backslash would escape the close.
        let mut escaped = false;
        for c in inner.chars() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => return Err(AddressError::BadLocal("has an unbalanced quote".into())),
                _ => {}
            }
        }
        if escaped {
            return Err(AddressError::BadLocal("has an unbalanced quote".into()));
        }
        return Ok(());
    }
    if local.starts_with('.')
        || local.ends_with('.')
        || local.as_bytes().windows(2).any(|w| w == b"..")
    {
        return Err(AddressError::BadLocal("has a misplaced dot".into()));
    }
    // RFC 5322 atext, plus non-ASCII (RFC 6531 internationalised addresses).
    let is_atext = |c: char| {
        c.is_alphanumeric()
            || (c.is_ascii() && (ATEXT_SPECIALS >> c as u32) & 1 == 1)
            || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
    };
    if let Some(c) = local.chars().find(|&c| !is_atext(c)) {
        let shown = if c.is_whitespace() {
            "a space".to_string()
        } else {
            format!("`{c}`")
        };
        return Err(AddressError::BadLocal(format!(
            "holds {shown}, which needs quotes"
        )));
    }
    Ok(())
}

fn unquote_display_name(name: &str) -> String {
    let name = name.trim();
    if name.len() >= 2 && name.starts_with('"') && name.ends_with('"') {
        name[1..name.len() - 1]
            .replace("\\\"", "\"")
            .replace("\\\\", "\\")
    } else {
        name.to_string()
    }
}

/// Byte offsets of `target` outside double quotes (a backslash escapes inside quotes).
fn unquoted_positions(text: &str, target: char) -> impl Iterator<Item = usize> + '_ {
    let mut in_quotes = false;
    let mut escaped = false;
    text.char_indices().filter_map(move |(i, c)| {
        if escaped {
            escaped = false;
            return None;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            c if c == target && !in_quotes => return Some(i),
            _ => {}
        }
        None
    })
}

/// Cuts a raw address header value (`To:`, `Cc:`, ... after the colon, possibly folded) into
/// one string per mailbox, for [`parse_mailbox`]: commas split outside quotes, angle brackets
/// and comments; comments are dropped; a group (`Team: a@x.org, b@y.org;`) yields its members.
/// Nothing else is changed, so an ambiguous mailbox stays ambiguous. Linear in the length.
pub fn split_header(value: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut escaped = false;
    let mut comment_depth = 0usize;
    let mut in_angle = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
            if comment_depth == 0 {
                current.push(c);
            }
            continue;
        }
        if comment_depth > 0 {
            match c {
                '\\' => escaped = true,
                '(' => comment_depth += 1,
                ')' => comment_depth -= 1,
                _ => {}
            }
            continue;
        }
        match c {
            '\\' if in_quotes => {
                escaped = true;
                current.push(c);
            }
            '"' => {
                in_quotes = !in_quotes;
                current.push(c);
            }
            _ if in_quotes => current.push(c),
            '(' => comment_depth = 1,
            '<' => {
                in_angle = true;
                current.push(c);
            }
            '>' => {
                in_angle = false;
                current.push(c);
            }
            // A group's name ends at its colon and its members follow (inside `<...>` a colon
            // belongs to an obsolete source route, which the address parser refuses).
            // A group's name is not an address, unless it looks like one: then it stays.
            ':' if !in_angle => {
                if current.contains('@') {
                    parts.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
            }
            ',' | ';' if !in_angle => parts.push(std::mem::take(&mut current)),
            '\r' | '\n' => current.push(' '),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn find_unquoted(text: &str, target: char) -> Option<usize> {
    unquoted_positions(text, target).next()
}

fn rfind_unquoted(text: &str, target: char) -> Option<usize> {
    if !text.as_bytes().contains(&b'"') {
        // Nothing is quoted (a backslash escapes only inside quotes): the plain search, for
        // the tens of thousands of addresses a history holds.
        return text.rfind(target);
    }
    unquoted_positions(text, target).last()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_local_parts_are_found_up_to_their_at() {
        let a64 = "a".repeat(64);
        for (text, at) in [
            ("abcdefgh@x.com", Some(8)),
            ("o'brien+tag@x.com", Some(11)),
            ("abcdefg.@x.com", None),
            ("abcdefg..hijk@x", None),
            (".abcdefgh@x", None),
            ("Abc@x.com", None),
            ("m\u{fc}ller@x.com", None),
            ("@x.com", None),
            ("abcdefgh.", None),
            (&a64, None),
        ] {
            assert_eq!(canonical_local_at(text), at, "{text:?}");
        }
        assert_eq!(canonical_local_at(&format!("{a64}@x.com")), Some(64));
        assert_eq!(canonical_local_at(&format!("{a64}a@x.com")), None);
    }

    proptest::proptest! {
        /// The shortcut before `candidates` never hides a second reading.
        #[test]
        fn one_reading_means_one_candidate(
            input in "[a-z\"' <>.,()\\\\]{0,8}@?[a-z\"' <>.,()\\\\]{0,6}@[a-z]{1,5}\\.(com|org)[ >\"']{0,2}"
        ) {
            if parse_mailbox(&input).is_ok() && has_one_reading(&input) {
                proptest::prop_assert_eq!(candidates(&input).len(), 1, "{}", input);
            }
        }

        /// An address the shortcut reads in place is one `parse_address` reads unchanged.
        #[test]
        fn canonical_plain_addresses_parse_as_themselves(
            input in "[a-zA-Z0-9.+'\"@ _-]{0,6}(xn--)?[a-z.]{0,3}@[a-zA-Z0-9.@ -]{0,8}(\\.|\\.com|\\.xn--p1ai|-)?"
        ) {
            match canonical_plain_at(&input) {
                Some(at) => {
                    let address = parse_address(&input).expect("a canonical address parses");
                    proptest::prop_assert_eq!(address.local.as_str(), &input[..at]);
                    proptest::prop_assert_eq!(address.domain.as_str(), &input[at + 1..]);
                    proptest::prop_assert_eq!(address.domain.unicode(), &input[at + 1..]);
                    proptest::prop_assert_eq!(address.canonical(), input.clone());
                }
                // And it reads every canonical address but those needing a closer look.
                None => {
                    let read_as_itself = parse_address(&input).is_ok_and(|a| a.canonical() == input);
                    proptest::prop_assert!(
                        !read_as_itself || input.contains('"') || input.contains("xn--"),
                        "{} is canonical but not read in place", input
                    );
                }
            }
        }
    }

    #[test]
    fn canonical_plain_at_reads_only_canonical_addresses() {
        assert_eq!(
            canonical_plain_at("john.smith@lockheedmartin.com"),
            Some(10)
        );
        assert_eq!(canonical_plain_at("o'brien+x@a-b.co.uk"), Some(9));
        for other in [
            "John@a.com",
            "a@A.com",
            "a@a.com.",
            "a@xn--bcher-kva.de",
            "\"a b\"@a.com",
            ".a@a.com",
            "a..b@a.com",
            "a@localhost",
            "a@-a.com",
            "m\u{fc}ller@a.com",
            "a@b@c.com",
            "",
        ] {
            assert_eq!(canonical_plain_at(other), None, "{other}");
        }
    }

    #[test]
    fn one_reading() {
        for plain in [
            "a@b.org",
            "User 5 <user5@b.org>",
            " <a@b.org> ",
            "\"Smith, J\" <j@x.org>",
        ] {
            assert!(has_one_reading(plain), "{plain}");
        }
        for ambiguous in [
            "a'b@c.com",
            "\"x y\"@b.com",
            "\"a@army.ml\" <b@army.mil>",
            "a@b.org <c@d.org>",
        ] {
            assert!(!has_one_reading(ambiguous), "{ambiguous}");
        }
    }

    #[test]
    fn display_names_and_bare_addresses() {
        let m = parse_mailbox("Colonel Smith <colonel.smith@ARMY.MIL.>").unwrap();
        assert_eq!(m.display_name.as_deref(), Some("Colonel Smith"));
        assert_eq!(m.address.canonical(), "colonel.smith@army.mil");
        let m = parse_mailbox("\"Smith, John\" <john@x.org>").unwrap();
        assert_eq!(m.display_name.as_deref(), Some("Smith, John"));
        let m = parse_mailbox("  a@b.co ").unwrap();
        assert_eq!(m.display_name, None);
        assert_eq!(m.address.domain.as_str(), "b.co");
    }

    #[test]
    fn quoted_local_parts_and_idn() {
        let m = parse_mailbox("\"john doe\"@example.com").unwrap();
        assert_eq!(m.address.local, "\"john doe\"");
        let m = parse_mailbox("\"a@b\"@example.com").unwrap();
        assert_eq!(m.address.domain.as_str(), "example.com");
        let m = parse_mailbox("ivan@пример.рф").unwrap();
        assert_eq!(m.address.domain.as_str(), "xn--e1afmkfd.xn--p1ai");
        assert_eq!(m.address.display(), "ivan@пример.рф");
    }

    #[test]
    fn clear_errors() {
        assert_eq!(parse_mailbox(""), Err(AddressError::Empty));
        assert_eq!(parse_mailbox("john.smith"), Err(AddressError::NoAt));
        assert_eq!(parse_mailbox("@x.com"), Err(AddressError::EmptyLocal));
        assert!(matches!(
            parse_mailbox("john smith@x.com"),
            Err(AddressError::BadLocal(_))
        ));
        assert!(matches!(
            parse_mailbox("a..b@x.com"),
            Err(AddressError::BadLocal(_))
        ));
        assert_eq!(
            parse_mailbox("Bob <bob@x.com"),
            Err(AddressError::UnclosedAngle)
        );
        assert!(matches!(
            parse_mailbox("bob@localhost"),
            Err(AddressError::Domain(_))
        ));
    }

    #[test]
    fn ambiguous_strings_are_refused_with_every_candidate() {
        let canon = |input: &str| -> Vec<String> {
            candidates(input).iter().map(Address::canonical).collect()
        };
        // A backslash before a quote: RFC 5322 reads army.ml, a careless reader army.mil too.
        let hidden = r#""x\" <colonel.smith@army.mil> " <colonel.smith@army.ml>"#;
        let m = parse_mailbox(hidden).unwrap();
        assert_eq!(m.address.canonical(), "colonel.smith@army.ml");
        assert_eq!(
            m.display_name.as_deref(),
            Some("x\" <colonel.smith@army.mil> ")
        );
        assert_eq!(
            canon(hidden),
            ["colonel.smith@army.ml", "colonel.smith@army.mil"]
        );
        let two = "<a@army.mil> <b@army.ml>";
        assert_eq!(parse_mailbox(two), Err(AddressError::TextAfterAngle));
        assert_eq!(canon(two), ["a@army.mil", "b@army.ml"]);
        assert_eq!(
            parse_mailbox("Bob <bob@x.com> junk"),
            Err(AddressError::TextAfterAngle)
        );
        assert_eq!(canon("a@army.mil b@army.ml"), ["a@army.mil", "b@army.ml"]);
        assert_eq!(canon("a@army.mil <b@army.ml>"), ["b@army.ml", "a@army.mil"]);
        // The same address twice is one address.
        assert_eq!(canon("\"bob@x.com\" <Bob@x.com>"), ["bob@x.com"]);
        assert_eq!(canon("Bob <bob@x.com"), ["bob@x.com"]);
        // Many addresses: the list stops one past the maximum.
        let many: Vec<String> = (0..40).map(|i| format!("<a{i}@x.com>")).collect();
        assert_eq!(candidates(&many.join(" ")).len(), MAX_CANDIDATES + 1);
    }

    #[test]
    fn header_values_split_into_mailboxes() {
        assert_eq!(
            split_header(" \"Smith, John\" <j@x.org>, bob@y.org (Bob, home),\r\n\tc@z.org"),
            ["\"Smith, John\" <j@x.org>", "bob@y.org", "c@z.org"]
        );
        assert_eq!(
            split_header("Team: a@x.org, b@y.org;, Undisclosed recipients:;"),
            ["a@x.org", "b@y.org"]
        );
        assert_eq!(
            split_header("a@army.ml: b@x.org;"),
            ["a@army.ml", "b@x.org"]
        );
        // Nothing is re-escaped or dropped: an ambiguous mailbox stays one ambiguous string.
        let hidden = r#""x\" <colonel.smith@army.mil> " <colonel.smith@army.ml>"#;
        assert_eq!(split_header(hidden), [hidden]);
        assert_eq!(
            split_header("<a@army.mil> <b@army.ml>"),
            ["<a@army.mil> <b@army.ml>"]
        );
    }
}
