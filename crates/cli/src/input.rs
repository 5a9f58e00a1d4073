//! Reading drafts: JSON in the engine's draft format, or `.eml` (RFC 5322 + MIME).

use mail_parser::{Message, MessageParser, MimeHeaders};
use sendguard_core::address::split_header;
use sendguard_core::{Attachment, Draft};

use crate::{exit, Failure};

/// Reads one draft from a file: `.eml` by extension (or by looking like headers), else JSON.
pub fn read_draft_file(path: &str) -> Result<Draft, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::new(exit::NO_INPUT, format!("cannot read {path}: {e}")))?;
    let is_json =
        path.ends_with(".json") || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if is_json && !path.ends_with(".eml") {
        let text = String::from_utf8(bytes)
            .map_err(|_| Failure::new(exit::BAD_INPUT, format!("{path}: not UTF-8 text")))?;
        Draft::from_json(&text).map_err(|e| Failure::new(exit::BAD_INPUT, format!("{path}: {e}")))
    } else {
        draft_from_eml(&bytes).map_err(|m| Failure::new(exit::BAD_INPUT, format!("{path}: {m}")))
    }
}

/// Turns an RFC 5322 message into a draft: recipients, subject, the text parts (HTML
/// converted to text where there is no plain part), attachment names and sizes. Messages
/// attached as `message/rfc822` count as content: their subject and text join the body.
///
/// Recipients come from the raw header values, cut by the core's `split_header` and left
/// for the engine's parser as written (no decoding and re-quoting, which once turned an
/// escaped display name into a second address). Every `To`, `Cc` and `Bcc` header counts,
/// however many there are, and so do `Resent-To`, `Resent-Cc` and `Resent-Bcc`, which a
/// gateway delivers to.
pub fn draft_from_eml(bytes: &[u8]) -> Result<Draft, String> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| "not an email message (no RFC 5322 headers found)".to_string())?;
    let mut draft = Draft {
        subject: message.subject().unwrap_or_default().to_string(),
        ..Draft::default()
    };
    for header in message.headers() {
        let raw = bytes
            .get(header.offset_start as usize..header.offset_end as usize)
            .unwrap_or_default();
        let list = match header.name.as_str().trim().to_ascii_lowercase().as_str() {
            "from" if draft.from.is_none() => {
                draft.from = split_header(&String::from_utf8_lossy(raw))
                    .into_iter()
                    .next();
                continue;
            }
            "to" | "resent-to" => &mut draft.to,
            "cc" | "resent-cc" => &mut draft.cc,
            "bcc" | "resent-bcc" => &mut draft.bcc,
            _ => continue,
        };
        list.extend(split_header(&String::from_utf8_lossy(raw)));
    }
    let mut body = Vec::new();
    add_content(&message, 0, &mut body, &mut draft.attachments);
    draft.body = body.join("\n");
    Ok(draft)
}

/// How deep attached messages are opened (a message in a message in a message...).
const MAX_NESTED_MESSAGES: usize = 8;

/// The message's text parts and attachments; attached messages' subject and text too.
fn add_content(
    message: &Message,
    depth: usize,
    body: &mut Vec<String>,
    attachments: &mut Vec<Attachment>,
) {
    body.extend(
        (0..message.text_body.len()).filter_map(|i| message.body_text(i).map(String::from)),
    );
    for part in message.attachments() {
        attachments.push(Attachment {
            name: part.attachment_name().unwrap_or("(unnamed)").to_string(),
            size: part.len() as u64,
        });
        if let Some(inner) = part.message() {
            if depth < MAX_NESTED_MESSAGES {
                body.extend(inner.subject().map(String::from));
                add_content(inner, depth + 1, body, attachments);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eml_headers_and_parts() {
        let eml = b"From: Alice <alice@army.mil>\r\nTo: \"Smith, John\" <john.smith@army.ml>, bob@example.org\r\nCc: carol@example.net\r\nSubject: Travel plan\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"plan.pdf\"\r\n\r\nAAAA\r\n--b--\r\n";
        let d = draft_from_eml(eml).unwrap();
        assert_eq!(d.from.as_deref(), Some("Alice <alice@army.mil>"));
        assert_eq!(
            d.to,
            ["\"Smith, John\" <john.smith@army.ml>", "bob@example.org"]
        );
        assert_eq!(d.cc, ["carol@example.net"]);
        assert_eq!(d.subject, "Travel plan");
        assert!(d.body.contains("See attached."));
        assert_eq!(d.attachments[0].name, "plan.pdf");
    }
}

/// Each way a recipient was once hidden from `sendguard check` in `.eml` input: the draft
/// must block when `army.ml` is blocked, whatever else the headers say.
#[cfg(test)]
mod hidden_recipients {
    use super::*;
    use sendguard_core::{Engine, KnownRecipients, Outcome};

    fn verdict(headers: &str) -> (Draft, Outcome) {
        let eml = format!("From: alice@army.mil\r\n{headers}Subject: s\r\n\r\nbody\r\n");
        let draft = draft_from_eml(eml.as_bytes()).unwrap();
        let engine =
            Engine::from_json(r#"{"internal_domains": ["army.mil"], "blocked_domains": ["ml"]}"#)
                .unwrap();
        let action = engine.check(&draft, &KnownRecipients::default()).action;
        (draft, action)
    }

    #[test]
    fn every_variant_blocks() {
        for headers in [
            "To: \"x\\\" <colonel.smith@army.mil> \" <colonel.smith@army.ml>\r\n",
            "To: =?utf-8?Q?x=5C=22_=3Ccolonel=2Esmith=40army=2Emil=3E_?= <colonel.smith@army.ml>\r\n",
            "To: <colonel.smith@army.mil> <colonel.smith@army.ml>\r\n",
            "To: <colonel.smith@army.mil> colonel.smith@army.ml\r\n",
            "To: Colonel <colonel.smith@army.mil>colonel.smith@army.ml, bob@army.mil\r\n",
            "To: colonel.smith@army.ml\r\nTo: colonel.smith@army.mil\r\n",
            "To: colonel.smith@army.mil\r\nTo: colonel.smith@army.ml\r\n",
            "To: colonel.smith@army.mil\r\nCc: a@army.mil\r\nCC: colonel.smith@army.ml\r\n",
            "To: colonel.smith@army.mil\r\nBcc: colonel.smith@army.ml\r\n",
            "To: colonel.smith@army.mil\r\nResent-To: colonel.smith@army.ml\r\n",
            "To: colonel.smith@army.mil\r\nResent-Cc: colonel.smith@army.ml\r\n",
            "To: colonel.smith@army.mil\r\nResent-Bcc: colonel.smith@army.ml\r\n",
            "To: Staff: colonel.smith@army.mil, colonel.smith@army.ml;\r\n",
            "To: colonel.smith@army.mil,\r\n colonel.smith@army.ml\r\n",
        ] {
            let (draft, action) = verdict(headers);
            assert_eq!(action, Outcome::Block, "{headers:?} read as {draft:?}");
        }
    }

    #[test]
    fn raw_header_values_reach_the_parser_unchanged() {
        let (draft, _) = verdict(
            "To: \"x\\\" <colonel.smith@army.mil> \" <colonel.smith@army.ml>\r\nTo: b@army.mil\r\n",
        );
        assert_eq!(
            draft.to,
            [
                "\"x\\\" <colonel.smith@army.mil> \" <colonel.smith@army.ml>",
                "b@army.mil"
            ]
        );
        let (draft, action) = verdict("To: Colonel Smith <colonel.smith@army.mil>\r\n");
        assert_eq!(draft.to, ["Colonel Smith <colonel.smith@army.mil>"]);
        assert_eq!(action, Outcome::Allow);
    }

    #[test]
    fn attached_messages_are_content() {
        let eml = "From: alice@army.mil\r\nTo: bob@example.org\r\nSubject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the attached message.\r\n--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"old.eml\"\r\n\r\nFrom: x@army.mil\r\nSubject: SECRET//NOFORN plan\r\nContent-Type: text/plain\r\n\r\nCard 4111 1111 1111 1111 for the booking.\r\n--b--\r\n";
        let draft = draft_from_eml(eml.as_bytes()).unwrap();
        assert!(draft.body.contains("4111 1111 1111 1111"), "{draft:?}");
        assert!(draft.body.contains("SECRET//NOFORN plan"), "{draft:?}");
        assert_eq!(draft.attachments[0].name, "old.eml");
        let engine = Engine::new(Default::default()).unwrap();
        let verdict = engine.check(&draft, &KnownRecipients::default());
        assert!(
            verdict
                .findings
                .iter()
                .any(|f| f.detector.as_deref() == Some("payment_card")),
            "{verdict:?}"
        );
    }
}

/// Structure-aware properties of the `.eml` reader: messages built from address headers
/// (any case, repeated, folded, `Resent-*`), other headers, multipart bodies and attached
/// messages. Nothing panics, and every mailbox written in an address header reaches the
/// draft. `PROPTEST_CASES` raises the number of cases (`scripts/fuzz-long`).
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn cases() -> ProptestConfig {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(32);
        ProptestConfig {
            cases,
            ..ProptestConfig::default()
        }
    }

    fn mailbox() -> impl Strategy<Value = String> {
        (
            prop::option::of("[A-Za-z ,.\\\"<>]{1,12}"),
            "[a-z]{1,8}",
            prop::sample::select(vec!["army.mil", "army.ml", "example.org"]),
        )
            .prop_map(|(name, local, domain)| match name {
                Some(n) if !n.trim().is_empty() => format!(
                    "\"{}\" <{local}@{domain}>",
                    n.trim().replace('\\', "\\\\").replace('"', "\\\"")
                ),
                _ => format!("{local}@{domain}"),
            })
    }

    fn address_header() -> impl Strategy<Value = (String, Vec<String>)> {
        (
            prop::sample::select(vec![
                "To",
                "to",
                "TO",
                "Cc",
                "CC",
                "Bcc",
                "Resent-To",
                "resent-cc",
                "Resent-Bcc",
            ]),
            prop::collection::vec(mailbox(), 1..4),
            any::<bool>(),
        )
            .prop_map(|(name, list, folded)| {
                let separator = if folded { ",\r\n " } else { ", " };
                (format!("{name}: {}\r\n", list.join(separator)), list)
            })
    }

    fn other_header() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z ]{0,20}".prop_map(|s| format!("Subject: {s}\r\n")),
            Just("X-Mailer: test\r\n".to_string()),
            Just("Subject: =?utf-8?Q?caf=C3=A9?=\r\n".to_string()),
            "[ -~]{0,30}".prop_map(|s| format!("X-Junk: {s}\r\n")),
        ]
    }

    fn body() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Content-Type: text/plain\r\n\r\nHello.\r\n".to_string()),
            Just("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nTo: inner@army.ml\r\nSubject: inner\r\n\r\nInner text.\r\n--b--\r\n".to_string()),
            "[ -~\r\n]{0,200}".prop_map(|s| format!("\r\n{s}")),
        ]
    }

    proptest! {
        #![proptest_config(cases())]

        #[test]
        fn every_written_recipient_reaches_the_draft(
            headers in prop::collection::vec(prop_oneof![
                address_header().prop_map(Some),
                other_header().prop_map(|h| Some((h, Vec::new()))),
            ], 1..6),
            body in body(),
        ) {
            let mut eml = String::from("From: alice@army.mil\r\n");
            let mut written = Vec::new();
            for (header, list) in headers.into_iter().flatten() {
                eml.push_str(&header);
                written.extend(list);
            }
            eml.push_str(&body);
            let draft = draft_from_eml(eml.as_bytes()).map_err(TestCaseError::fail)?;
            let read: Vec<&String> = draft.to.iter().chain(&draft.cc).chain(&draft.bcc).collect();
            for mailbox in &written {
                prop_assert!(read.contains(&mailbox), "{mailbox} missing from {read:?} in\n{eml}");
            }
        }

        #[test]
        fn no_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = draft_from_eml(&bytes);
        }
    }
}
