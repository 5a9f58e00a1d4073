//! The sentences a sender reads about recipients: each leads with what to do, names the
//! recipient, and stays under about 25 words; what backs it (the sanctions list and its
//! date, the `xn--` spelling) goes to the detail line. The content findings' sentences are in
//! `content`. `tests/messages/messages.json` holds the expected sentences for real drafts.

use crate::domain::{country_of, Domain};
use crate::lookalike::{Lookalike, Resemblance, ScriptSpoof};
use crate::policy::Action;

/// A finding's sentence and its optional second line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sentence {
    pub message: String,
    pub detail: Option<String>,
}

impl Sentence {
    fn new(message: String) -> Sentence {
        Sentence {
            message,
            detail: None,
        }
    }

    fn with_detail(message: String, detail: String) -> Sentence {
        Sentence {
            message,
            detail: Some(detail),
        }
    }
}

/// A recipient that is not an address at all.
pub fn not_an_address(raw: &str, why: &str) -> Sentence {
    Sentence::new(format!("Correct or remove \"{raw}\": {why}."))
}

/// A recipient that mail software could read as several addresses (`<a@x.mil> <b@x.ml>`, or a
/// display name holding another address); at most three are named.
pub fn several_addresses(raw: &str, addresses: &[String]) -> Sentence {
    let more = if addresses.len() > 3 {
        " and others"
    } else {
        ""
    };
    let shown: Vec<&str> = addresses.iter().take(3).map(String::as_str).collect();
    Sentence::new(format!(
        "Write one address for this recipient: \"{raw}\" could go to {}{more}.",
        shown.join(" or ")
    ))
}

/// An address whose top-level domain does not exist (`army.con`).
pub fn no_such_tld(address: &str, domain: &Domain, suggestion: Option<&str>) -> Sentence {
    let tld = domain.tld();
    Sentence::new(match suggestion {
        Some(s) => format!(
            "Check {address}: did you mean {s}? .{tld} does not exist, so it cannot be delivered."
        ),
        None => {
            format!(
                "Correct or remove {address}: .{tld} does not exist, so it cannot be delivered."
            )
        }
    })
}

/// An address at a domain the policy blocks.
pub fn blocked(address: &str, domain: &Domain, action: Action) -> Sentence {
    let domain = domain.unicode();
    Sentence::new(if action == Action::Warn {
        format!(
            "Check that you may send to {address}: your organisation lists {domain} as blocked."
        )
    } else {
        let remove = remove(address, action);
        format!("{remove}: your organisation does not allow mail to {domain}.")
    })
}

/// What to do with a recipient the policy blocks: remove it, or justify it where allowed.
fn remove(address: &str, action: Action) -> String {
    if action == Action::BlockWithJustification {
        format!("Remove {address} or give a reason to send")
    } else {
        format!("Remove {address}")
    }
}

/// `.ml is Mali` when the TLD is a country's.
fn tld_is_country(domain: &Domain) -> Option<String> {
    country_of(domain.tld()).map(|country| format!(".{} is {country}", domain.tld()))
}

/// An address at a domain that resembles a reference domain.
pub fn lookalike(address: &str, domain: &Domain, l: &Lookalike) -> Sentence {
    let s = &l.suggestion;
    let ask = format!("Check {address}: did you mean {s}?");
    let typed = domain.unicode();
    match l.resemblance {
        Resemblance::TldEdit => Sentence::new(match tld_is_country(domain) {
            Some(country) => format!("{ask} {country}."),
            None => format!("{ask} {typed} is a different domain."),
        }),
        Resemblance::OneEdit => Sentence::new(format!("{ask} {typed} only looks like it.")),
        Resemblance::Homoglyph => {
            let message = format!("{ask} The address uses look-alike letters to imitate it.");
            if typed != domain.as_str() {
                let detail = format!("Its real spelling is {}.", domain.as_str());
                Sentence::with_detail(message, detail)
            } else {
                Sentence::new(message)
            }
        }
        Resemblance::OtherTld => Sentence::new(match tld_is_country(domain) {
            Some(country) => {
                format!("{ask} {typed} has the same name under a different ending; {country}.")
            }
            None => format!("{ask} {typed} has the same name under a different ending."),
        }),
    }
}

/// A domain in Cyrillic or Greek look-alike letters that imitates no reference domain.
pub fn script_spoof(address: &str, domain: &Domain, spoof: &ScriptSpoof) -> Sentence {
    let message = match spoof {
        ScriptSpoof::Mixed => format!(
            "Check {address} before sending: its domain mixes Latin letters with Cyrillic or Greek look-alikes."
        ),
        ScriptSpoof::WholeScript { looks_like } => format!(
            "Check {address} before sending: its domain uses Cyrillic or Greek letters that imitate {looks_like}."
        ),
    };
    Sentence::with_detail(
        message,
        format!("Its real spelling is {}.", domain.as_str()),
    )
}

/// An address at a country TLD one letter away from a generic one (`army.ml` for `army.mil`).
pub fn tld_trap(address: &str, domain: &Domain, suggestion: &str, owner: &str) -> Sentence {
    let country = country_of(domain.tld()).unwrap_or("another country");
    Sentence::new(format!(
        "Check {address}: did you mean {suggestion}? .{} is {country}, not {owner}.",
        domain.tld()
    ))
}

/// An address in a destination the policy treats as high-risk.
pub fn risky_destination(
    address: &str,
    country: &str,
    action: Action,
    reason: &str,
    as_of: &str,
) -> Sentence {
    let message = if action == Action::Warn {
        format!("Check that you may send to {address}: {country} is on your organisation's high-risk list.")
    } else {
        let remove = remove(address, action);
        format!("{remove}: {country} is on your organisation's high-risk list.")
    };
    Sentence::with_detail(message, format!("{reason}, list as of {as_of}."))
}

/// An address the sender never wrote to, one letter away from one they did.
pub fn lookalike_address(address: &str, meant: &str) -> Sentence {
    Sentence::new(format!(
        "Check {address}: did you mean {meant}? You have written to {meant}, never to this address."
    ))
}

/// A reply or forward that adds a domain none of the original's participants had; `fix` is
/// the address the sender probably meant at a participant's domain.
pub fn reply_adds_domain(
    address: &str,
    domain: &str,
    forward: bool,
    participant_domains: &[String],
    fix: Option<&str>,
) -> Sentence {
    let among = listed(participant_domains);
    let context = if forward {
        format!("The forwarded email was between people at {among}; {domain} is new.")
    } else {
        format!("This reply is to people at {among}; {domain} is new.")
    };
    Sentence::new(match fix {
        Some(fix) => format!("Check {address}: did you mean {fix}? {context}"),
        None => format!("Check {address} before sending. {context}"),
    })
}

/// `a`, `a and b`, `a, b and c`, or `a, b and 3 others`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [a, b, c] => format!("{a}, {b} and {c}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} others", rest.len()),
    }
}

/// A known contact's name (or personal local part) at an address the sender never used.
/// `who` is the contact's name as the sender knows it (cut to three words), or its local part.
pub fn contact_at_other_address(address: &str, known: &str, who: &str) -> Sentence {
    let (_, known_domain) = known.rsplit_once('@').unwrap_or((known, ""));
    Sentence::new(format!(
        "Check {address}: did you mean {known}? You know {who} at {known_domain}, not at this address."
    ))
}

/// An outside address the sender's history does not hold.
pub fn first_time_recipient(address: &str) -> Sentence {
    Sentence::new(format!(
        "Check {address}: you have never written to this address before."
    ))
}

/// Visible outside addresses at many organisations.
pub fn suggest_bcc(visible: usize, organisations: usize) -> Sentence {
    Sentence::new(format!(
        "Consider Bcc: this email shows {visible} addresses at {organisations} outside organisations to everyone who gets it."
    ))
}

/// Many recipients outside the organisation.
pub fn many_external(count: usize) -> Sentence {
    let plural = if count == 1 { "" } else { "s" };
    Sentence::new(format!(
        "Check the recipients: this email goes to {count} recipient{plural} outside your organisation."
    ))
}
