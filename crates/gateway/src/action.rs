//! The one `action=...` line the gateway answers, and the sanitising that keeps the engine's
//! sentence a single printable ASCII line of bounded length (SMTP replies and headers).

/// The longest sentence put in a reply or header. SMTP reply lines are limited to 512 bytes
/// with the code and Postfix's own prefix (`<rcpt>: Recipient address rejected: `).
pub const MAX_TEXT: usize = 300;

/// An access(5) action, as Postfix reads it from a policy service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyAction {
    /// No opinion: Postfix goes on with its other restrictions.
    Dunno,
    /// A permanent refusal (`5.7.1`), shown to the sender's app at `RCPT TO`.
    Reject(String),
    /// A temporary refusal (`4.7.1`): the client tries again later.
    Defer(String),
    /// Accept, adding a header line (`name: value`).
    Prepend(String),
    /// Accept, but keep the message in the hold queue for an administrator.
    Hold(String),
}

impl PolicyAction {
    /// The reply as sent: one `action=` line and the empty line that ends it.
    pub fn to_reply(&self) -> String {
        let action = match self {
            PolicyAction::Dunno => "DUNNO".to_string(),
            PolicyAction::Reject(text) => format!("REJECT 5.7.1 {}", one_line(text)),
            PolicyAction::Defer(text) => format!("DEFER 4.7.1 {}", one_line(text)),
            PolicyAction::Prepend(header) => format!("PREPEND {}", one_line(header)),
            PolicyAction::Hold(text) => format!("HOLD {}", one_line(text)),
        };
        format!("action={action}\n\n")
    }

    /// A word for logs.
    pub fn name(&self) -> &'static str {
        match self {
            PolicyAction::Dunno => "DUNNO",
            PolicyAction::Reject(_) => "REJECT",
            PolicyAction::Defer(_) => "DEFER",
            PolicyAction::Prepend(_) => "PREPEND",
            PolicyAction::Hold(_) => "HOLD",
        }
    }
}

/// One printable ASCII line of at most [`MAX_TEXT`] characters: line breaks and other
/// controls become spaces, runs of spaces one, other characters `?` (SMTP replies and
/// headers are ASCII; the engine's detail keeps the `xn--` spelling of a Unicode domain).
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT));
    for c in text.chars() {
        let c = match c {
            '…' => '.',
            c if c.is_control() || c.is_whitespace() => ' ',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => '?',
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if out.len() == MAX_TEXT {
            out.pop();
            out.push('.');
            break;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_one_action_line_and_an_empty_line() {
        assert_eq!(PolicyAction::Dunno.to_reply(), "action=DUNNO\n\n");
        assert_eq!(
            PolicyAction::Reject("Check it.".into()).to_reply(),
            "action=REJECT 5.7.1 Check it.\n\n"
        );
        assert_eq!(
            PolicyAction::Defer("Try later.".into()).to_reply(),
            "action=DEFER 4.7.1 Try later.\n\n"
        );
        assert_eq!(
            PolicyAction::Prepend("X-Sendguard-Warning: Check it.".into()).to_reply(),
            "action=PREPEND X-Sendguard-Warning: Check it.\n\n"
        );
        assert_eq!(
            PolicyAction::Hold("Check it.".into()).to_reply(),
            "action=HOLD Check it.\n\n"
        );
    }

    #[test]
    fn sentences_become_one_bounded_printable_line() {
        assert_eq!(
            one_line("Check a@x.ml:\r\n\tdid you mean\u{0}x.mil?"),
            "Check a@x.ml: did you mean x.mil?"
        );
        assert_eq!(one_line("Check a@аpple.com…"), "Check a@?pple.com.");
        let long = one_line(&"word ".repeat(200));
        assert_eq!(long.len(), MAX_TEXT);
        assert!(long.ends_with('.'));
        let reply = PolicyAction::Reject("a\n\naction=DUNNO\n".into()).to_reply();
        assert_eq!(reply, "action=REJECT 5.7.1 a action=DUNNO\n\n");
    }
}
