//! `sendguard keygen`: a new Ed25519 key pair. The secret key file is created with mode 0600
//! and never printed; the public key file goes into keysets.

use std::path::PathBuf;

use clap::Args;
use sendguard_sign::{public_file_text, SigningKey};

use crate::{exit, Failure};

#[derive(Args)]
pub struct KeygenArgs {
    /// Writes OUT.secret (mode 0600) and OUT.pub; refuses to overwrite either.
    #[arg(long, value_name = "OUT")]
    out: PathBuf,
}

pub fn run(args: KeygenArgs) -> Result<u8, Failure> {
    let with_suffix = |suffix: &str| {
        let mut path = args.out.clone().into_os_string();
        path.push(suffix);
        PathBuf::from(path)
    };
    let (secret_path, public_path) = (with_suffix(".secret"), with_suffix(".pub"));
    for path in [&secret_path, &public_path] {
        if path.exists() {
            return Err(Failure::new(
                exit::USAGE,
                format!("{} exists; not overwriting a key", path.display()),
            ));
        }
    }
    let key = SigningKey::generate().map_err(|m| Failure::new(exit::NO_INPUT, m))?;
    let cannot_write = |path: &PathBuf, e: std::io::Error| {
        Failure::new(
            exit::NO_INPUT,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    key.write_secret_file(&secret_path)
        .map_err(|e| cannot_write(&secret_path, e))?;
    std::fs::write(&public_path, public_file_text(&key.public_key()))
        .map_err(|e| cannot_write(&public_path, e))?;
    println!("key id {}", key.key_id());
    println!(
        "secret key: {} (mode 0600; keep it private)",
        secret_path.display()
    );
    println!("public key: {}", public_path.display());
    Ok(exit::ALLOW)
}
