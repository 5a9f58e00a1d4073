//! Attachments: key stores and credential files by name, and archives sent with their password
//! in the same email (which defeats the archive's encryption).

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
}

impl AttachmentRules {
    pub fn new(risky_types: &[String]) -> AttachmentRules {
        AttachmentRules {
            risky: risky_types
                .iter()
                .map(|t| t.trim().to_lowercase())
                .collect(),
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
                && *body_mentions_password.get_or_insert_with(|| gives_password(body))
            {
                tally.add(Detector::ArchiveWithPassword, || name.to_string());
            }
        }
    }
}

const PASSWORD_WORDS: &[&str] = &[
    "password",
    "passcode",
    "passphrase",
    "passwort",
    "kennwort",
    "mot de passe",
    "pwd",
];

/// "The password is Summer2024!" or "Password: …", not "the password follows separately".
fn gives_password(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    PASSWORD_WORDS.iter().any(|word| {
        lower.match_indices(word).any(|(at, _)| {
            let rest = lower[at + word.len()..].trim_start_matches([' ', '\t']);
            let Some(rest) = ["is", "ist", "est", ":", "="]
                .iter()
                .find_map(|v| rest.strip_prefix(v))
            else {
                return false;
            };
            let rest = rest.trim_start_matches([' ', '\t']);
            let value_len = rest.find([' ', '\t', '\r', '\n']).unwrap_or(rest.len());
            // The value as written (case matters for the strength test).
            let start = body.len() - rest.len();
            let value = &body.as_bytes()[start..start + value_len];
            let value = value
                .strip_suffix(b".")
                .or_else(|| value.strip_suffix(b","))
                .unwrap_or(value);
            looks_like_a_password(value)
        })
    })
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
