//! Secrets: PEM and PGP private keys, AWS access key ids, GitHub tokens, and credential lines
//! such as `Password: Tr0ub4dor&3`.

use super::detectors::Detector;
use super::text::{abbreviate, standalone};
use super::Tally;

/// Counts private keys, cloud and GitHub tokens and credential lines. `runs` are the text's
/// letter-and-digit runs ([`super::text::alnum_runs`]).
pub fn scan(text: &str, runs: &[(usize, usize)], tally: &mut Tally) {
    scan_private_keys(text, tally);
    scan_tokens(text, runs, tally);
    scan_credential_lines(text, tally);
}

/// `-----BEGIN … PRIVATE KEY-----` and `-----BEGIN PGP PRIVATE KEY BLOCK-----` headers
/// followed by key material.
fn scan_private_keys(text: &str, tally: &mut Tally) {
    for (at, _) in text.match_indices("-----BEGIN ") {
        let rest = &text[at + 11..];
        let Some(label_len) = rest.get(..rest.len().min(64)).and_then(|r| r.find("-----")) else {
            continue;
        };
        let label = &rest[..label_len];
        let well_formed = label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
            && (label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK"));
        let header_end = at + 11 + label_len + 5;
        if well_formed && has_key_material(&text[header_end..]) {
            tally.add(Detector::PrivateKey, || text[at..header_end].to_string());
        }
    }
}

/// AWS key ids (`AKIA` + 16 of `A-Z2-7`) and GitHub tokens (`ghp_` + 36, `github_pat_…`).
fn scan_tokens(text: &str, runs: &[(usize, usize)], tally: &mut Tally) {
    let bytes = text.as_bytes();
    for (i, &(start, end)) in runs.iter().enumerate() {
        let run = &bytes[start..end];
        if run.len() == 20
            && [b"AKIA", b"ASIA", b"ABIA", b"ACCA"]
                .iter()
                .any(|p| run.starts_with(*p))
            && run[4..]
                .iter()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b))
            && standalone(bytes, start, end)
        {
            tally.add(Detector::AwsAccessKey, || abbreviate(&text[start..end]));
        }
        let classic = run.len() == 3 && run.starts_with(b"gh") && b"pousr".contains(&run[2]);
        if classic && bytes.get(end) == Some(&b'_') {
            let token_ok = runs
                .get(i + 1)
                .is_some_and(|&(s, e)| s == end + 1 && e - s == 36);
            if token_ok && standalone(bytes, start, end + 37) {
                tally.add(Detector::GithubToken, || abbreviate(&text[start..end + 37]));
            }
        }
    }
    for (at, _) in text.match_indices("github_pat_") {
        let len = bytes[at + 11..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        if (22..=255).contains(&len) && standalone(bytes, at, at + 11 + len) {
            tally.add(Detector::GithubToken, || {
                abbreviate(&text[at..at + 11 + len])
            });
        }
    }
}

const CREDENTIAL_KEYWORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passcode",
    "passphrase",
    "passwort",
    "kennwort",
    "mot de passe",
];

/// Lines that are a credential keyword (after indentation, quoting or a bullet), `:` or `=`,
/// and a single value: `Password: Tr0ub4dor&3`.
fn scan_credential_lines(text: &str, tally: &mut Tally) {
    for line in text.split('\n') {
        let line = line.trim_start_matches([' ', '\t', '>', '*', '-']);
        let Some(keyword) = CREDENTIAL_KEYWORDS.iter().find(|k| {
            line.get(..k.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(k))
        }) else {
            continue;
        };
        let after = line[keyword.len()..].trim_start_matches([' ', '\t']);
        let Some(value) = after.strip_prefix([':', '=']) else {
            continue;
        };
        let value = value.trim_matches([' ', '\t', '\r']);
        if !value.is_empty()
            && !value.contains([' ', '\t'])
            && looks_like_a_password(value.as_bytes())
        {
            tally.add(Detector::Password, || {
                format!("{}: ********", &line[..keyword.len()])
            });
        }
    }
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
    use crate::content::text::alnum_runs;

    fn counts(text: &str) -> Vec<(Detector, u32)> {
        let mut tally = Tally::default();
        scan(text, &alnum_runs(text.as_bytes()), &mut tally);
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
        let text = "PASSWORD = Tr0ub4dor&3";
        scan(text, &alnum_runs(text.as_bytes()), &mut tally);
        assert_eq!(tally.excerpts(), ["PASSWORD: ********"]);
    }
}
