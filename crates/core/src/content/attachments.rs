//! Attachments: key stores and credential files by name, and archives sent with their password
//! in the same email (which defeats the archive's encryption).

use regex::bytes::Regex;

use crate::draft::Attachment;

use super::detectors::Detector;
use super::secrets::looks_like_a_password;
use super::Tally;

/// Archive formats that carry passwords.
const ARCHIVES: &[&str] = &[".zip", ".zipx", ".7z", ".rar"];

#[derive(Debug, Clone)]
pub struct AttachmentRules {
    /// Lower-case `.ext` endings and exact file names.
    risky: Vec<String>,
    password_mention: Regex,
}

impl AttachmentRules {
    pub fn new(risky_types: &[String]) -> AttachmentRules {
        let password_mention = Regex::new(
            r"(?i-u)(?:password|passcode|passphrase|passwort|kennwort|mot de passe|pwd)[ \t]*(?:is|ist|est|:|=)[ \t]*([^ \t\r\n]+)",
        )
        .expect("a valid built-in pattern");
        AttachmentRules {
            risky: risky_types
                .iter()
                .map(|t| t.trim().to_lowercase())
                .collect(),
            password_mention,
        }
    }

    pub fn scan(&self, attachments: &[Attachment], body: &str, tally: &mut Tally) {
        let mut body_mentions_password = None;
        for attachment in attachments {
            // Some clients hand over a path; only the last component is the file's name.
            let name = attachment
                .name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or_default()
                .trim();
            let lower = name.to_lowercase();
            let risky = self.risky.iter().any(|t| {
                if t.starts_with('.') {
                    lower.ends_with(t.as_str())
                } else {
                    lower == *t
                }
            });
            if risky {
                tally.add(Detector::RiskyAttachment, || name.to_string());
            }
            if ARCHIVES.iter().any(|ext| lower.ends_with(ext))
                && *body_mentions_password.get_or_insert_with(|| self.gives_password(body))
            {
                tally.add(Detector::ArchiveWithPassword, || name.to_string());
            }
        }
    }
}

impl AttachmentRules {
    /// "The password is Summer2024!", not "the password follows separately".
    fn gives_password(&self, body: &str) -> bool {
        self.password_mention
            .captures_iter(body.as_bytes())
            .any(|c| {
                let value = c[1]
                    .strip_suffix(b".")
                    .or_else(|| c[1].strip_suffix(b","))
                    .unwrap_or(&c[1]);
                looks_like_a_password(value)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::rules::DEFAULT_RISKY_ATTACHMENT_TYPES;

    fn scan(names: &[&str], body: &str) -> (u32, u32, Vec<String>) {
        let rules = AttachmentRules::new(
            &DEFAULT_RISKY_ATTACHMENT_TYPES
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        );
        let attachments: Vec<Attachment> = names
            .iter()
            .map(|n| Attachment {
                name: n.to_string(),
                size: 1,
            })
            .collect();
        let mut tally = Tally::default();
        rules.scan(&attachments, body, &mut tally);
        (
            tally.count(Detector::RiskyAttachment),
            tally.count(Detector::ArchiveWithPassword),
            tally.excerpts(),
        )
    }

    #[test]
    fn key_stores_and_archives_with_passwords() {
        assert_eq!(
            scan(
                &["Passwords.KDBX", "C:\\Users\\a\\.ssh\\id_rsa", "notes.pdf"],
                ""
            )
            .0,
            2
        );
        assert_eq!(
            scan(&["plan.key", "id_rsa.pub", "deck.pem.pdf"], "").0,
            0,
            "Keynote, public key, PDF"
        );
        assert_eq!(scan(&["data.zip"], "The password is Summer2024!").1, 1);
        assert_eq!(scan(&["data.zip"], "Here is the data you asked for.").1, 0);
        assert_eq!(scan(&["data.zip"], "The password is sent separately.").1, 0);
        assert_eq!(scan(&["data.ZIP"], "Passwort: Gr3en!Tea").2, ["data.ZIP"]);
    }
}
