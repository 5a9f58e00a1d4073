//! Recipient strings: `Display Name <local@domain>`, bare addresses, quoted local parts, IDN.
//!
//! The parser is deliberately small: it handles what mail clients hand us for one recipient
//! (RFC 5322 `mailbox`), not whole header lines, and never panics on any input.

use crate::domain::{Domain, DomainError};

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
        format!("{}@{}", self.local.to_lowercase(), self.domain.as_str())
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
            AddressError::Domain(e) => write!(f, "{e}"),
        }
    }
}

/// Parses one recipient: `Name <a@b>`, `"Last, First" <a@b>`, `<a@b>` or `a@b`.
pub fn parse_mailbox(input: &str) -> Result<Mailbox, AddressError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    let (display_name, addr_text) = match find_unquoted(text, '<') {
        Some(open) => {
            let rest = &text[open + 1..];
            let close = find_unquoted(rest, '>').ok_or(AddressError::UnclosedAngle)?;
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
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(AddressError::BadLocal("has a misplaced dot".into()));
    }
    // RFC 5322 atext, plus non-ASCII (RFC 6531 internationalised addresses).
    const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
    if let Some(c) = local.chars().find(|c| {
        !(c.is_alphanumeric()
            || SPECIALS.contains(*c)
            || (!c.is_ascii() && !c.is_whitespace() && !c.is_control()))
    }) {
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

fn find_unquoted(text: &str, target: char) -> Option<usize> {
    unquoted_positions(text, target).next()
}

fn rfind_unquoted(text: &str, target: char) -> Option<usize> {
    unquoted_positions(text, target).last()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
