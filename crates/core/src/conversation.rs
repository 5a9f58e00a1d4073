//! What the sender's history and the message being answered say about one new recipient: a
//! reply that drifts to a domain none of the original's participants had
//! (`reply_adds_domain`), and a known contact's name or personal local part at an address
//! never used (`contact_at_other_address`). The engine turns these into findings.

use crate::address::{parse_mailbox, Address, Mailbox};
use crate::domain::is_within;
use crate::draft::{Original, OriginalKind};
use crate::known::{Contact, KnownRecipients};

/// Names at least this similar (Jaro-Winkler over their sorted words) are the same name.
pub const NAME_SIMILARITY: f64 = 0.92;

/// The original message's participants, read once per check.
#[derive(Debug, Clone)]
pub struct Participants {
    pub kind: OriginalKind,
    addresses: Vec<Address>,
    /// Their domains (canonical ASCII), in order of first appearance, without repeats.
    domains: Vec<String>,
}

impl Participants {
    /// The participants that parse; `None` when none does (nothing to compare with).
    pub fn of(original: &Original) -> Option<Participants> {
        let addresses: Vec<Address> = (original.participants.iter())
            .filter_map(|p| parse_mailbox(p).ok())
            .map(|m| m.address)
            .collect();
        let mut domains: Vec<String> = Vec::new();
        for a in &addresses {
            let d = a.domain.as_str();
            if !domains.iter().any(|known| known == d) {
                domains.push(d.to_string());
            }
        }
        (!addresses.is_empty()).then_some(Participants {
            kind: original.kind,
            addresses,
            domains,
        })
    }

    /// Whether `domain` is new to the conversation: neither a participant's domain nor
    /// above or below one (`mail.acme.com` and `acme.com` are the same organisation).
    pub fn is_new_domain(&self, domain: &str) -> bool {
        !(self.domains.iter()).any(|d| is_within(domain, d) || is_within(d, domain))
    }

    /// The participants' domains as a sentence shows them (Unicode), those `is_internal`
    /// says are the sender's own left out when others remain.
    pub fn shown_domains(&self, is_internal: impl Fn(&str) -> bool) -> Vec<String> {
        let outside: Vec<&Address> = (self.addresses.iter())
            .filter(|a| !is_internal(a.domain.as_str()))
            .collect();
        let shown = if outside.is_empty() {
            self.addresses.iter().collect()
        } else {
            outside
        };
        let mut out: Vec<String> = Vec::new();
        for a in shown {
            let d = a.domain.unicode().to_string();
            if !out.contains(&d) {
                out.push(d);
            }
        }
        out
    }

    /// The address the sender probably meant at a participant's domain: a participant with
    /// the same local part, else a known contact with it at a participant's domain, else a
    /// known contact there one edit from it.
    pub fn fix_for(&self, local: &str, known: &KnownRecipients) -> Option<String> {
        let local = local.to_lowercase();
        if let Some(a) = (self.addresses.iter()).find(|a| a.local.to_lowercase() == local) {
            return Some(a.display());
        }
        let at_participants = |c: &Contact| self.domains.iter().any(|d| d == c.domain);
        if let Some(c) = known.same_local(&local).into_iter().find(at_participants) {
            return Some(c.display());
        }
        (self.domains.iter())
            .find_map(|d| known.neighbour(&local, d))
            .map(|c| c.display())
    }
}

/// How a recipient resembles a known contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resemblance {
    /// The display name is (nearly) the contact's.
    Name,
    /// The same personal local part (`john.smith@`) at another domain.
    LocalPart,
}

/// Local parts that name a role, not a person: the same one at two organisations is two
/// mailboxes, not one contact.
const ROLE_WORDS: &[&str] = &[
    "abuse",
    "accounts",
    "admin",
    "billing",
    "contact",
    "enquiries",
    "help",
    "hello",
    "hr",
    "info",
    "jobs",
    "mail",
    "marketing",
    "no",
    "noreply",
    "office",
    "postmaster",
    "press",
    "reply",
    "sales",
    "security",
    "service",
    "support",
    "team",
    "webmaster",
];

/// A local part that names a person: two or more words of letters joined by `.`, `_` or `-`
/// (`john.smith`), none of them a role word.
fn is_personal(local: &str) -> bool {
    let words: Vec<&str> = local.split(['.', '_', '-']).collect();
    words.len() >= 2
        && (words.iter()).all(|w| w.len() >= 2 && w.chars().all(char::is_alphabetic))
        && !words.iter().any(|w| ROLE_WORDS.contains(w))
}

/// The known contact a new recipient most likely stands for, when its display name or its
/// personal local part is a known contact's at another address; contacts the draft also
/// writes to (`in_draft` says which canonical addresses it holds) are left out: the sender
/// chose both.
pub fn other_address_of<'k>(
    mailbox: &Mailbox,
    known: &'k KnownRecipients,
    in_draft: &dyn Fn(&str) -> bool,
) -> Option<(Contact<'k>, Resemblance)> {
    // (Written out only for a candidate: most recipients have none.)
    let own = std::cell::OnceCell::new();
    let usable = |c: &Contact| {
        let address = c.canonical();
        address != *own.get_or_init(|| mailbox.address.canonical()) && !in_draft(&address)
    };
    let by_name = (mailbox.display_name.as_deref())
        .and_then(|name| {
            (known.similar_names(name, NAME_SIMILARITY).into_iter())
                .map(|(c, _)| c)
                .find(|c| usable(c))
        })
        .map(|c| (c, Resemblance::Name));
    by_name.or_else(|| {
        let local = mailbox.address.local.to_lowercase();
        if !is_personal(&local) {
            return None;
        }
        let domain = mailbox.address.domain.as_str();
        let mut same: Vec<Contact> = (known.same_local(&local).into_iter())
            .filter(|c| c.domain != domain && usable(c))
            .collect();
        crate::order::sort_by(&mut same, |a, b| {
            (b.last_day, b.count)
                .cmp(&(a.last_day, a.count))
                .then(a.domain.cmp(b.domain))
        });
        same.first().map(|&c| (c, Resemblance::LocalPart))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::History;
    use std::collections::HashSet;

    fn known() -> KnownRecipients {
        KnownRecipients::from_history(&History::parse(
            "john.smith@lockheedmartin.com\t12\t20400\tJohn Smith\n\
             bob@acme.com\t3\t20390\tBob Jones\n\
             info@acme.com\t3\t20390\t\n",
        ))
    }

    fn mailbox(text: &str) -> Mailbox {
        parse_mailbox(text).unwrap()
    }

    #[test]
    fn a_name_or_a_personal_local_part_finds_the_contact() {
        let k = known();
        let none = |_: &str| false;
        let (c, how) =
            other_address_of(&mailbox("Jon Smith <js1970@gmail.com>"), &k, &none).unwrap();
        assert_eq!(
            (c.display().as_str(), how),
            ("john.smith@lockheedmartin.com", Resemblance::Name)
        );
        let (c, how) = other_address_of(&mailbox("john.smith@gmail.com"), &k, &none).unwrap();
        assert_eq!((c.local, how), ("john.smith", Resemblance::LocalPart));
        assert!(other_address_of(&mailbox("info@other.com"), &k, &none).is_none());
        assert!(other_address_of(&mailbox("Smith <x@gmail.com>"), &k, &none).is_none());
        let both: HashSet<String> = ["john.smith@lockheedmartin.com".to_string()].into();
        let in_draft = |a: &str| both.contains(a);
        assert!(other_address_of(&mailbox("john.smith@gmail.com"), &k, &in_draft).is_none());
    }

    #[test]
    fn a_reply_knows_its_domains_and_the_fix() {
        let original = Original {
            kind: OriginalKind::Reply,
            participants: vec![
                "Bob <bob@acme.com>".into(),
                "a@nato.int".into(),
                "bad".into(),
            ],
        };
        let p = Participants::of(&original).unwrap();
        assert!(p.is_new_domain("acme-corp.com"));
        assert!(!p.is_new_domain("mail.acme.com"));
        assert_eq!(p.shown_domains(|_| false), ["acme.com", "nato.int"]);
        assert_eq!(p.fix_for("Bob", &known()).as_deref(), Some("bob@acme.com"));
        assert_eq!(p.fix_for("bobb", &known()).as_deref(), Some("bob@acme.com"));
        assert_eq!(p.fix_for("carol", &known()), None);
        let empty = Original {
            kind: OriginalKind::Forward,
            participants: vec!["nonsense".into()],
        };
        assert!(Participants::of(&empty).is_none());
    }
}
