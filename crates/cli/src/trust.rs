//! Shared by the signing commands and `check`: reading keys, keysets and bundles from files,
//! durations (`30d`), and the clock (the core has none).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sendguard_core::bundle::BundleError;
use sendguard_core::envelope::PublicKey;
use sendguard_core::in_force::{LoadError, PolicyInForce};
use sendguard_core::keyset::{self, Keyset};
use sendguard_sign::SigningKey;

use crate::{exit, Failure};

pub fn read_bytes(path: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure::new(exit::NO_INPUT, format!("cannot read {path}: {e}")))
}

pub fn read_secret_key(path: &str) -> Result<SigningKey, Failure> {
    SigningKey::read_secret_file(Path::new(path)).map_err(|m| Failure::new(exit::NO_INPUT, m))
}

pub fn read_public_key(path: &str) -> Result<PublicKey, Failure> {
    sendguard_sign::read_public_file(Path::new(path)).map_err(|m| Failure::new(exit::NO_INPUT, m))
}

/// The current Unix time in seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Parses `30d`, `12h`, `90m`, `3600s`, `2w` or `1y` (365 days) into seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "y" => 365 * 86_400,
        _ => {
            return Err(format!(
                "`{text}`: a duration is a number and a unit: s, m, h, d, w or y (e.g. 30d)"
            ))
        }
    };
    let number: i64 = number
        .parse()
        .map_err(|_| format!("`{text}`: the duration needs a number, e.g. 30d"))?;
    number
        .checked_mul(unit_seconds)
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("`{text}`: the duration must be positive and reasonable"))
}

/// A refused bundle or keyset: exit code 78 and the reason with its stable code.
pub fn refused(path: &str, e: &BundleError) -> Failure {
    Failure::new(exit::BAD_POLICY, format!("{path}: {e} [{}]", e.code()))
}

/// Reads a keyset file the operator pins as given (signed by its own roots).
pub fn load_pinned_keyset(path: &str, tenant: &str, now: i64) -> Result<Keyset, Failure> {
    keyset::verify_pinned(&read_bytes(path)?, tenant, now).map_err(|e| refused(path, &e))
}

/// The policy in force for a signed bundle, verified against a pinned keyset now. An expired
/// policy follows the core's one expiry rule (`sendguard_core::in_force`): its checks never
/// run and every draft gets the could-not-check verdict in its `fail_mode`; stderr says so.
pub fn signed_policy_engine(
    bundle_path: &str,
    keyset_path: &str,
    tenant: &str,
) -> Result<PolicyInForce, Failure> {
    let now = now();
    let trust = load_pinned_keyset(keyset_path, tenant, now)?;
    match PolicyInForce::from_bundle(&read_bytes(bundle_path)?, &trust, tenant, None, now) {
        Ok((in_force, verified)) => {
            if in_force.is_stale() {
                eprintln!(
                    "sendguard: warning: {bundle_path}: {}; no check of it runs: every draft gets the could-not-check verdict",
                    BundleError::Expired(Box::new(verified))
                );
            }
            Ok(in_force)
        }
        Err(LoadError::Refused(e)) => Err(refused(bundle_path, &e)),
        Err(LoadError::BadPolicy(e)) => Err(Failure::new(
            exit::BAD_POLICY,
            format!("{bundle_path}: signed, but {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400));
        assert_eq!(parse_duration("12h"), Ok(43_200));
        assert_eq!(parse_duration("3600s"), Ok(3600));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("0d").is_err());
        assert!(parse_duration("-1d").is_err());
        assert!(parse_duration("99999999999999999y").is_err());
    }
}
