//! `sendguard policy sign` and `sendguard policy verify`: signed policy bundles.

use std::io::Write;

use clap::{Args, Subcommand};
use sendguard_core::bundle::{self, HeldPolicy};
use sendguard_core::Policy;

use crate::trust::{load_pinned_keyset, now, parse_duration, read_bytes, read_secret_key, refused};
use crate::{exit, Failure};

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Sign a policy JSON file into a bundle (written to stdout).
    Sign(SignArgs),
    /// Verify a bundle against a keyset; prints what it holds.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct SignArgs {
    /// Secret key file of a policy-signing key listed in the tenant's keyset.
    #[arg(long, value_name = "SECRET")]
    key: String,
    #[arg(long, value_name = "T")]
    tenant: String,
    /// The policy version: higher than every version published before.
    #[arg(long, value_name = "N")]
    version: u64,
    /// How long the policy stays fresh, e.g. 30d, 12h.
    #[arg(long, value_name = "DURATION")]
    expires: String,
    /// The policy JSON file (signed byte for byte).
    policy: String,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The keyset file to trust (signed by its root keys).
    #[arg(long, value_name = "KEYSET")]
    trust: String,
    #[arg(long, value_name = "T")]
    tenant: String,
    /// The version already held: refuses older bundles (rollback).
    #[arg(long, value_name = "N", requires = "held_digest")]
    held_version: Option<u64>,
    /// The digest of the held bundle (as printed by verify): refuses other content at the same version.
    #[arg(long, value_name = "HEX", requires = "held_version")]
    held_digest: Option<String>,
    /// Verify as of this Unix time instead of now.
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<i64>,
    bundle: String,
}

pub fn run(command: PolicyCommand) -> Result<u8, Failure> {
    match command {
        PolicyCommand::Sign(args) => sign(args),
        PolicyCommand::Verify(args) => verify(args),
    }
}

fn sign(args: SignArgs) -> Result<u8, Failure> {
    let key = read_secret_key(&args.key)?;
    let text = String::from_utf8(read_bytes(&args.policy)?)
        .map_err(|_| Failure::new(exit::BAD_POLICY, format!("{}: not UTF-8 text", args.policy)))?;
    // Never sign what the engine would refuse to read.
    Policy::from_json(&text)
        .map_err(|e| Failure::new(exit::BAD_POLICY, format!("{}: {e}", args.policy)))?;
    let lifetime = parse_duration(&args.expires)
        .map_err(|m| Failure::new(exit::USAGE, format!("--expires {m}")))?;
    check_header_args(&args.tenant, args.version)?;
    let issued_at = now();
    let bundle = sendguard_sign::sign_policy(
        &key,
        &args.tenant,
        args.version,
        issued_at,
        issued_at + lifetime,
        &text,
    );
    if bundle.len() > bundle::MAX_BUNDLE_BYTES {
        let message = format!(
            "the bundle would be {} bytes, over the {}-byte limit",
            bundle.len(),
            bundle::MAX_BUNDLE_BYTES
        );
        return Err(Failure::new(exit::BAD_POLICY, message));
    }
    std::io::stdout()
        .write_all(&bundle)
        .map_err(|e| Failure::new(exit::NO_INPUT, format!("cannot write output: {e}")))?;
    Ok(exit::ALLOW)
}

fn verify(args: VerifyArgs) -> Result<u8, Failure> {
    let now = args.now.unwrap_or_else(now);
    let trust = load_pinned_keyset(&args.trust, &args.tenant, now)?;
    let held = match (args.held_version, &args.held_digest) {
        (Some(version), Some(digest)) => Some(
            HeldPolicy::from_hex(version, digest)
                .ok_or_else(|| Failure::new(exit::USAGE, "--held-digest must be 64 hex digits"))?,
        ),
        _ => None,
    };
    let verified = bundle::verify(
        &read_bytes(&args.bundle)?,
        &trust,
        &args.tenant,
        held.as_ref(),
        now,
    )
    .map_err(|e| refused(&args.bundle, &e))?;
    verified.policy().map_err(|e| {
        Failure::new(
            exit::BAD_POLICY,
            format!("{}: signed, but {e}", args.bundle),
        )
    })?;
    println!(
        "valid: tenant {}, version {}",
        verified.tenant, verified.version
    );
    println!("signed by key {}", verified.key_id);
    println!(
        "issued at {} (Unix), expires at {} (Unix)",
        verified.issued_at, verified.expires_at
    );
    println!("digest {}", verified.digest_hex());
    Ok(exit::ALLOW)
}

/// Refuses a tenant or version that every client would refuse.
pub fn check_header_args(tenant: &str, version: u64) -> Result<(), Failure> {
    if tenant.is_empty() || tenant.len() > bundle::MAX_TENANT_BYTES {
        return Err(Failure::new(exit::USAGE, "--tenant must be 1 to 128 bytes"));
    }
    if version == 0 || version > sendguard_core::envelope::MAX_SAFE_INTEGER {
        return Err(Failure::new(exit::USAGE, "--version must be 1 to 2^53-1"));
    }
    Ok(())
}
