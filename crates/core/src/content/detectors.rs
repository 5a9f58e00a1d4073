//! The built-in detectors: their ids (as policies and findings name them), groups and wording.

/// A built-in detector. Custom detectors from the policy are named by their own ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detector {
    ProtectiveMarking,
    PaymentCard,
    Iban,
    UsSsn,
    UkNationalInsurance,
    PrivateKey,
    AwsAccessKey,
    GithubToken,
    Password,
    Bip39SeedPhrase,
    WifPrivateKey,
    EthereumPrivateKey,
    RiskyAttachment,
    ArchiveWithPassword,
}

use Detector::*;

/// Every built-in detector, in the order findings list them.
pub const ALL: &[Detector] = &[
    ProtectiveMarking,
    PrivateKey,
    Bip39SeedPhrase,
    WifPrivateKey,
    EthereumPrivateKey,
    AwsAccessKey,
    GithubToken,
    Password,
    PaymentCard,
    Iban,
    UsSsn,
    UkNationalInsurance,
    RiskyAttachment,
    ArchiveWithPassword,
];

/// Group names a rule may use instead of listing detectors. `all` also covers custom
/// detectors, and `custom` covers only them (both handled by the rule matcher).
pub const GROUPS: &[(&str, &[Detector])] = &[
    ("all", ALL),
    ("custom", &[]),
    ("markings", &[ProtectiveMarking]),
    (
        "personal_data",
        &[PaymentCard, Iban, UsSsn, UkNationalInsurance],
    ),
    (
        "secrets",
        &[PrivateKey, AwsAccessKey, GithubToken, Password],
    ),
    (
        "crypto",
        &[Bip39SeedPhrase, WifPrivateKey, EthereumPrivateKey],
    ),
    ("attachments", &[RiskyAttachment, ArchiveWithPassword]),
];

impl Detector {
    pub fn id(self) -> &'static str {
        match self {
            ProtectiveMarking => "protective_marking",
            PaymentCard => "payment_card",
            Iban => "iban",
            UsSsn => "us_ssn",
            UkNationalInsurance => "uk_national_insurance",
            PrivateKey => "private_key",
            AwsAccessKey => "aws_access_key",
            GithubToken => "github_token",
            Password => "password",
            Bip39SeedPhrase => "bip39_seed_phrase",
            WifPrivateKey => "wif_private_key",
            EthereumPrivateKey => "ethereum_private_key",
            RiskyAttachment => "risky_attachment",
            ArchiveWithPassword => "archive_with_password",
        }
    }

    pub fn from_id(id: &str) -> Option<Detector> {
        ALL.iter().copied().find(|d| d.id() == id)
    }

    /// What the sender should do about what was found, as the sentence opens
    /// ("Remove the payment card number", "Remove the 3 payment card numbers").
    pub fn instruction(self, count: u32) -> String {
        let (one, many) = match self {
            ProtectiveMarking => {
                return "Check the marking allows it".to_string();
            }
            PaymentCard => ("payment card number", "payment card numbers"),
            Iban => ("bank account number (IBAN)", "bank account numbers (IBAN)"),
            UsSsn => ("Social Security number", "Social Security numbers"),
            UkNationalInsurance => ("National Insurance number", "National Insurance numbers"),
            PrivateKey => ("private key", "private keys"),
            AwsAccessKey => ("AWS access key", "AWS access keys"),
            GithubToken => ("GitHub token", "GitHub tokens"),
            Password => ("password", "passwords"),
            Bip39SeedPhrase => ("wallet seed phrase", "wallet seed phrases"),
            WifPrivateKey => ("Bitcoin private key", "Bitcoin private keys"),
            EthereumPrivateKey => ("Ethereum private key", "Ethereum private keys"),
            RiskyAttachment => (
                "attached key or credential file",
                "attached key or credential files",
            ),
            ArchiveWithPassword => {
                return "Take the archive's password out of the email".to_string();
            }
        };
        if count == 1 {
            format!("Remove the {one}")
        } else {
            format!("Remove the {count} {many}")
        }
    }

    /// Why it matters, in a few words, for the finding's detail line.
    pub fn stakes(self) -> &'static str {
        match self {
            ProtectiveMarking => {
                "marked material may only go to people cleared and entitled to see it"
            }
            PaymentCard | Iban => "whoever reads it can use it for fraud",
            UsSsn | UkNationalInsurance => "it is personal data that enables identity theft",
            PrivateKey | AwsAccessKey | GithubToken | Password => "whoever reads it gets access",
            Bip39SeedPhrase | WifPrivateKey | EthereumPrivateKey => {
                "whoever reads it can empty the wallet"
            }
            RiskyAttachment => "whoever opens it may get access to the keys or passwords inside",
            ArchiveWithPassword => "anyone who receives the email can open the archive",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sentence opens with what to do, and the longest one a detector can make (several
    /// recipients, the longest reason) stays within 25 words.
    #[test]
    fn instructions_lead_with_a_verb_and_stay_short() {
        for detector in ALL {
            for count in [1, 12] {
                let instruction = detector.instruction(count);
                let verb = instruction.split(' ').next().unwrap_or("");
                assert!(["Remove", "Check", "Take"].contains(&verb), "{instruction}");
                let sentence = format!(
                    "{instruction} before sending to a@example.org and 3 others, who are outside your organisation and its trusted partners."
                );
                let words = sentence.split_whitespace().count();
                assert!(words <= 25, "{words} words: {sentence}");
            }
        }
    }
}
