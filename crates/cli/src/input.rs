//! Reading drafts: JSON in the engine's draft format, or `.eml` (RFC 5322 + MIME).

use mail_parser::{Address, MessageParser, MimeHeaders};
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

/// Turns an RFC 5322 message into a draft: addresses with display names, subject, the text
/// parts (HTML converted to text where there is no plain part), attachment names and sizes.
pub fn draft_from_eml(bytes: &[u8]) -> Result<Draft, String> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| "not an email message (no RFC 5322 headers found)".to_string())?;
    let list = |a: Option<&Address>| -> Vec<String> {
        a.map(|a| a.iter().filter_map(mailbox_string).collect())
            .unwrap_or_default()
    };
    let body = (0..message.text_body.len())
        .filter_map(|i| message.body_text(i))
        .collect::<Vec<_>>()
        .join("\n");
    let attachments = message
        .attachments()
        .map(|a| Attachment {
            name: a.attachment_name().unwrap_or("(unnamed)").to_string(),
            size: a.len() as u64,
        })
        .collect();
    Ok(Draft {
        from: list(message.from()).into_iter().next(),
        to: list(message.to()),
        cc: list(message.cc()),
        bcc: list(message.bcc()),
        subject: message.subject().unwrap_or_default().to_string(),
        body,
        attachments,
    })
}

fn mailbox_string(addr: &mail_parser::Addr) -> Option<String> {
    let address = addr.address()?;
    Some(match addr.name() {
        Some(name) if !name.is_empty() => format!("\"{}\" <{address}>", name.replace('"', "\\\"")),
        _ => address.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eml_headers_and_parts() {
        let eml = b"From: Alice <alice@army.mil>\r\nTo: \"Smith, John\" <john.smith@army.ml>, bob@example.org\r\nCc: carol@example.net\r\nSubject: Travel plan\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"plan.pdf\"\r\n\r\nAAAA\r\n--b--\r\n";
        let d = draft_from_eml(eml).unwrap();
        assert_eq!(d.from.as_deref(), Some("\"Alice\" <alice@army.mil>"));
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
