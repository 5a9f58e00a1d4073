//! Secrets: PEM and PGP private keys, AWS access key ids, GitHub tokens, and credential lines
//! such as `Password: Tr0ub4dor&3`.

use regex::bytes::Regex;

use super::detectors::Detector;
use super::text::{abbreviate, standalone};
use super::Tally;

/// The compiled patterns; built once per engine.
#[derive(Debug, Clone)]
pub struct SecretPatterns {
    /// Key headers and token formats in one pass (ASCII only, so no Unicode tables are needed).
    tokens: Regex,
    /// Credential keywords; the line around each is checked by hand (faster than a
    /// line-anchored regex, which cannot use a literal prefilter).
    credential_keyword: Regex,
}

impl SecretPatterns {
    pub fn new() -> SecretPatterns {
        let tokens = Regex::new(concat!(
            r"(?-u)-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----",
            r"|(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
            r"|gh[pousr]_[A-Za-z0-9]{36}",
            r"|github_pat_[A-Za-z0-9_]{22,255}",
        ))
        .expect("a valid built-in pattern");
        let credential_keyword = Regex::new(
            r"(?i-u)password|passwd|pwd|passcode|passphrase|passwort|kennwort|mot de passe",
        )
        .expect("a valid built-in pattern");
        SecretPatterns {
            tokens,
            credential_keyword,
        }
    }

    pub fn scan(&self, text: &str, tally: &mut Tally) {
        let bytes = text.as_bytes();
        for m in self.tokens.find_iter(bytes) {
            let found = &text[m.start()..m.end()];
            if found.starts_with("-----") {
                if has_key_material(&text[m.end()..]) {
                    tally.add(Detector::PrivateKey, || found.to_string());
                }
            } else if standalone(bytes, m.start(), m.end()) {
                let detector = if found.starts_with('g') {
                    Detector::GithubToken
                } else {
                    Detector::AwsAccessKey
                };
                tally.add(detector, || abbreviate(found));
            }
        }
        for m in self.credential_keyword.find_iter(bytes) {
            if let Some(value) = credential_value(bytes, m.start(), m.end()) {
                if looks_like_a_password(value) {
                    tally.add(Detector::Password, || {
                        format!("{}: ********", &text[m.start()..m.end()])
                    });
                }
            }
        }
    }
}

impl Default for SecretPatterns {
    fn default() -> Self {
        SecretPatterns::new()
    }
}

/// The value of a credential line `Password: value`: the keyword opens its line (after
/// indentation, quoting or a bullet), then `:` or `=`, then one value and the end of the line.
fn credential_value(bytes: &[u8], keyword_start: usize, keyword_end: usize) -> Option<&[u8]> {
    let mut i = keyword_start;
    while i > 0 && b" \t>*-".contains(&bytes[i - 1]) {
        i -= 1;
    }
    if i > 0 && bytes[i - 1] != b'\n' {
        return None;
    }
    let skip_blanks = |mut i: usize| {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        i
    };
    let i = skip_blanks(keyword_end);
    if !matches!(bytes.get(i), Some(b':' | b'=')) {
        return None;
    }
    let value_start = skip_blanks(i + 1);
    let mut value_end = value_start;
    while value_end < bytes.len() && !b" \t\r\n".contains(&bytes[value_end]) {
        value_end += 1;
    }
    let mut rest = skip_blanks(value_end);
    if bytes.get(rest) == Some(&b'\r') {
        rest += 1;
    }
    let line_ends = rest == bytes.len() || bytes[rest] == b'\n';
    (value_end > value_start && line_ends).then(|| &bytes[value_start..value_end])
}

/// A real key follows its header with lines of base64 (64 characters each; headers such as
/// `Proc-Type:` may come first); documentation shows `...` instead.
fn has_key_material(after_header: &str) -> bool {
    let is_base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=';
    for line in after_header.lines().take(8) {
        let line = line.trim();
        if line.starts_with("-----") {
            return false;
        }
        if line.len() >= 40 && line.bytes().all(is_base64) {
            return true;
        }
    }
    false
}

/// Placeholders and words are not passwords: the value must be 6 to 128 characters, not a
/// mask or a link, and either mix kinds of characters or be long.
pub(super) fn looks_like_a_password(value: &[u8]) -> bool {
    let len = value.len();
    if !(6..=128).contains(&len) {
        return false;
    }
    let text = String::from_utf8_lossy(value).to_ascii_lowercase();
    let starts_like_a_placeholder = ["http://", "https://", "<", "[", "{", "(", "$", "%"];
    let says_it_is_hidden = [
        "redacted", "hidden", "removed", "changeme", "password", "****",
    ];
    let placeholder = starts_like_a_placeholder
        .iter()
        .any(|p| text.starts_with(p))
        || says_it_is_hidden.iter().any(|p| text.contains(p))
        || text.contains("%s")
        || text.contains('{')
        || value.iter().all(|b| *b == value[0])
        || looks_like_code(value);
    let kinds = [
        value.iter().any(u8::is_ascii_lowercase),
        value.iter().any(u8::is_ascii_uppercase),
        value.iter().any(u8::is_ascii_digit),
        value.iter().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    !placeholder && (kinds >= 2 || len >= 12)
}

/// Code assigns variables, not passwords: `pwd = self.pwd`, `password = auth[2]`, `f(x);`.
fn looks_like_code(value: &[u8]) -> bool {
    let ends_like_code = matches!(value.last(), Some(b')' | b']' | b';' | b','));
    let identifier = |part: &[u8]| {
        part.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && part.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    let dotted = value.contains(&b'.') && value.split(|b| *b == b'.').all(identifier);
    ends_like_code || dotted || value == b"None" || value == b"null"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(text: &str) -> Vec<(Detector, u32)> {
        let mut tally = Tally::default();
        SecretPatterns::new().scan(text, &mut tally);
        [
            Detector::PrivateKey,
            Detector::AwsAccessKey,
            Detector::GithubToken,
            Detector::Password,
        ]
        .into_iter()
        .map(|d| (d, tally.count(d)))
        .filter(|(_, n)| *n > 0)
        .collect()
    }

    #[test]
    fn keys_need_material() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4fM0dMkQzqmVbJXgS7u0gq6Hk0rZ6Xq2n0nZ5H2lJ1Z3kP\n-----END RSA PRIVATE KEY-----";
        assert_eq!(counts(pem), [(Detector::PrivateKey, 1)]);
        let pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0WNFUBCADNhJ0qZs5ZhvB8bAq+5M2LcZ8u2VvZy6e0YtqJ6j3v8s1Y2kLm\n";
        assert_eq!(counts(pgp), [(Detector::PrivateKey, 1)]);
        assert!(
            counts("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----")
                .is_empty()
        );
        assert!(counts(
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx4fM0dMkQzq\n"
        )
        .is_empty());
    }

    #[test]
    fn tokens_stand_alone() {
        assert_eq!(
            counts("aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
            [(Detector::AwsAccessKey, 1)]
        );
        assert!(counts("AKIAIOSFODNN7EXAMPLEX and xAKIAIOSFODNN7EXAMPLE").is_empty());
        let token = format!("token ghp_{}", "a1B2c3D4e5".repeat(3) + "F6g7H8");
        assert_eq!(counts(&token), [(Detector::GithubToken, 1)]);
        let pat = format!("github_pat_{}", "11ABCDEFG0".repeat(8) + "zz");
        assert_eq!(counts(&pat), [(Detector::GithubToken, 1)]);
    }

    #[test]
    fn credential_lines_need_a_real_value() {
        assert_eq!(
            counts("Hi,\nPassword: Tr0ub4dor&3\nThanks"),
            [(Detector::Password, 1)]
        );
        assert_eq!(counts("pwd=correcthorsebattery"), [(Detector::Password, 1)]);
        for text in [
            "Password: see below",
            "Password: required",
            "Password: ********",
            "Password: https://reset.example.com/a1",
            "Password: <your password>",
            "Forgot your password? Reset it: Tr0ub4dor&3 is an example",
            "Password:",
            "    pwd = self.pwd",
            "password = os.environ.get(KEY);",
        ] {
            assert!(counts(text).is_empty(), "{text}");
        }
        let mut tally = Tally::default();
        SecretPatterns::new().scan("PASSWORD = Tr0ub4dor&3", &mut tally);
        assert_eq!(tally.excerpts(), ["PASSWORD: ********"]);
    }
}
