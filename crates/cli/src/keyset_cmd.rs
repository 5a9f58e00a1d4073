//! `sendguard keyset create|update|verify`: the keys that may sign a tenant's policies,
//! signed by root keys. `update` makes the next version: add or revoke signing keys, rotate
//! roots (then sign with the old and the new root).

use std::io::Write;

use clap::{Args, Subcommand};
use sendguard_core::keyset::{self, Keyset, RootKeys};
use sendguard_sign::{KeysetBuilder, SigningKey};

use crate::policy_cmd::check_header_args;
use crate::trust::{
    load_pinned_keyset, now, parse_duration, read_bytes, read_public_key, read_secret_key, refused,
};
use crate::{exit, Failure};

#[derive(Subcommand)]
pub enum KeysetCommand {
    /// Create a first keyset (written to stdout).
    Create(CreateArgs),
    /// Create the next version of a keyset (written to stdout); verified as clients will.
    Update(UpdateArgs),
    /// Verify a keyset: as pinned (signed by its own roots), against pinned root keys, or as
    /// an update of a trusted keyset.
    Verify(VerifyArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    #[arg(long, value_name = "T")]
    tenant: String,
    #[arg(long, value_name = "N", default_value_t = 1)]
    version: u64,
    /// How long the keyset stays fresh, e.g. 1y.
    #[arg(long, value_name = "DURATION")]
    expires: String,
    /// Root public key file (repeatable).
    #[arg(long = "root", value_name = "PUB", required = true)]
    roots: Vec<String>,
    /// How many roots must sign keysets.
    #[arg(long, default_value_t = 1)]
    threshold: usize,
    /// Policy-signing public key file (repeatable).
    #[arg(long = "signing-key", value_name = "PUB")]
    signing_keys: Vec<String>,
    /// Root secret key file to sign with (repeatable).
    #[arg(long = "sign", value_name = "SECRET", required = true)]
    signers: Vec<String>,
}

#[derive(Args)]
pub struct UpdateArgs {
    /// The keyset clients trust now.
    #[arg(long, value_name = "KEYSET")]
    from: String,
    #[arg(long, value_name = "T")]
    tenant: String,
    #[arg(long, value_name = "DURATION")]
    expires: String,
    /// Add a policy-signing public key (repeatable).
    #[arg(long = "add-signing-key", value_name = "PUB")]
    add_signing_keys: Vec<String>,
    /// Revoke a key by id, for good (repeatable).
    #[arg(long = "revoke", value_name = "KEY_ID")]
    revoke: Vec<String>,
    /// Add a root public key (repeatable).
    #[arg(long = "add-root", value_name = "PUB")]
    add_roots: Vec<String>,
    /// Retire a root key by id (repeatable).
    #[arg(long = "remove-root", value_name = "KEY_ID")]
    remove_roots: Vec<String>,
    #[arg(long)]
    threshold: Option<usize>,
    /// Root secret key file to sign with (repeatable): old and new roots when rotating.
    #[arg(long = "sign", value_name = "SECRET", required = true)]
    signers: Vec<String>,
}

#[derive(Args)]
pub struct VerifyArgs {
    #[arg(long, value_name = "T")]
    tenant: String,
    /// The keyset trusted now: verify KEYSET as its update.
    #[arg(long, value_name = "KEYSET", conflicts_with = "roots")]
    trust: Option<String>,
    /// Pinned root public key file (repeatable): verify KEYSET as signed by them.
    #[arg(long = "root", value_name = "PUB")]
    roots: Vec<String>,
    #[arg(long, default_value_t = 1)]
    threshold: usize,
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<i64>,
    keyset: String,
}

pub fn run(command: KeysetCommand) -> Result<u8, Failure> {
    match command {
        KeysetCommand::Create(args) => create(args),
        KeysetCommand::Update(args) => update(args),
        KeysetCommand::Verify(args) => verify(args),
    }
}

fn lifetime(text: &str) -> Result<i64, Failure> {
    parse_duration(text).map_err(|m| Failure::new(exit::USAGE, format!("--expires {m}")))
}

fn read_signers(paths: &[String]) -> Result<Vec<SigningKey>, Failure> {
    paths.iter().map(|p| read_secret_key(p)).collect()
}

/// Signs, checks the result the way clients will, and writes it to stdout.
fn sign_and_write(
    builder: KeysetBuilder,
    signers: &[SigningKey],
    check: impl Fn(&[u8]) -> Result<Keyset, sendguard_core::BundleError>,
) -> Result<u8, Failure> {
    let signer_refs: Vec<&SigningKey> = signers.iter().collect();
    let bytes = builder.sign(&signer_refs);
    check(&bytes).map_err(|e| {
        Failure::new(
            exit::BAD_POLICY,
            format!("clients would refuse this keyset: {e} [{}]", e.code()),
        )
    })?;
    std::io::stdout()
        .write_all(&bytes)
        .map_err(|e| Failure::new(exit::NO_INPUT, format!("cannot write output: {e}")))?;
    Ok(exit::ALLOW)
}

fn create(args: CreateArgs) -> Result<u8, Failure> {
    check_header_args(&args.tenant, args.version)?;
    let issued_at = now();
    let mut builder = KeysetBuilder::new(
        &args.tenant,
        args.version,
        issued_at,
        issued_at + lifetime(&args.expires)?,
    )
    .root_threshold(args.threshold);
    for path in &args.roots {
        builder = builder.add_root(&read_public_key(path)?);
    }
    for path in &args.signing_keys {
        builder = builder.add_signing_key(&read_public_key(path)?);
    }
    let signers = read_signers(&args.signers)?;
    sign_and_write(builder, &signers, |bytes| {
        keyset::verify_pinned(bytes, &args.tenant, issued_at)
    })
}

fn update(args: UpdateArgs) -> Result<u8, Failure> {
    let issued_at = now();
    let current = load_pinned_keyset(&args.from, &args.tenant, issued_at)?;
    let mut builder =
        KeysetBuilder::next(&current, issued_at, issued_at + lifetime(&args.expires)?);
    for path in &args.add_roots {
        builder = builder.add_root(&read_public_key(path)?);
    }
    for id in &args.remove_roots {
        builder = builder.remove_root(id);
    }
    if let Some(threshold) = args.threshold {
        builder = builder.root_threshold(threshold);
    }
    for path in &args.add_signing_keys {
        builder = builder.add_signing_key(&read_public_key(path)?);
    }
    for id in &args.revoke {
        builder = builder.revoke(id);
    }
    let signers = read_signers(&args.signers)?;
    sign_and_write(builder, &signers, |bytes| {
        keyset::verify_update(bytes, &current, issued_at)
    })
}

fn verify(args: VerifyArgs) -> Result<u8, Failure> {
    let now = args.now.unwrap_or_else(now);
    let bytes = read_bytes(&args.keyset)?;
    let result = if let Some(trust) = &args.trust {
        keyset::verify_update(&bytes, &load_pinned_keyset(trust, &args.tenant, now)?, now)
    } else if !args.roots.is_empty() {
        let keys = args
            .roots
            .iter()
            .map(|p| read_public_key(p))
            .collect::<Result<_, _>>()?;
        keyset::verify_with_roots(
            &bytes,
            &RootKeys {
                keys,
                threshold: args.threshold,
            },
            &args.tenant,
            now,
        )
    } else {
        keyset::verify_pinned(&bytes, &args.tenant, now)
    };
    let keyset = result.map_err(|e| refused(&args.keyset, &e))?;
    let ids = |keys: &[sendguard_core::envelope::PublicKey]| {
        keys.iter()
            .map(|k| k.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "valid: tenant {}, keyset version {}",
        keyset.tenant, keyset.version
    );
    println!(
        "root keys ({} must sign): {}",
        keyset.roots.threshold,
        ids(&keyset.roots.keys)
    );
    println!("policy-signing keys: {}", ids(&keyset.signing_keys));
    println!("revoked: {}", keyset.revoked_key_ids.join(", "));
    println!(
        "issued at {} (Unix), expires at {} (Unix)",
        keyset.issued_at, keyset.expires_at
    );
    Ok(exit::ALLOW)
}
