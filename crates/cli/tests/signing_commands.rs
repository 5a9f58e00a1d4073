//! The signing commands end to end, through the real `sendguard` binary: keygen, keyset
//! create/update/verify, policy sign/verify, and `check` with a signed policy.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BAD_POLICY: i32 = 78;

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("sendguard-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.0.join(name), text).unwrap();
        self.path(name)
    }

    /// Runs sendguard; with `stdout_to`, stdout is saved in that file.
    fn run(&self, args: &[&str], stdout_to: Option<&str>) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_sendguard"))
            .args(args)
            .current_dir(&self.0)
            .output()
            .unwrap();
        if let Some(name) = stdout_to {
            std::fs::write(self.0.join(name), &output.stdout).unwrap();
        }
        output
    }

    fn key_id(&self, pub_file: &str) -> String {
        let text = std::fs::read_to_string(self.0.join(pub_file)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["key_id"].as_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `sendguard keyset verify` of `keyset` as an update of the trusted keyset `trust`.
fn verify_keyset_update(dir: &Scratch, trust: &str, keyset: &str) -> Output {
    dir.run(
        &[
            "keyset", "verify", "--tenant", "acme", "--trust", trust, keyset,
        ],
        None,
    )
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ok(output: Output) -> Output {
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    output
}

#[test]
fn keygen_writes_a_private_secret_and_never_prints_it() {
    let dir = Scratch::new("keygen");
    let output = ok(dir.run(&["keygen", "--out", "k"], None));
    let secret_text = std::fs::read_to_string(dir.path("k.secret")).unwrap();
    let secret: serde_json::Value = serde_json::from_str(&secret_text).unwrap();
    let seed = secret["secret_key"].as_str().unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains(seed));
    assert!(!stderr(&output).contains(seed));
    assert!(!std::fs::read_to_string(dir.path("k.pub"))
        .unwrap()
        .contains(seed));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path("k.secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second keygen must not overwrite the key.
    assert_ne!(code(&dir.run(&["keygen", "--out", "k"], None)), 0);
    assert_eq!(
        std::fs::read_to_string(dir.path("k.secret")).unwrap(),
        secret_text
    );
}

#[test]
fn sign_verify_check_revoke_and_rotate() {
    let dir = Scratch::new("flow");
    for name in ["root", "root2", "signer", "signer2"] {
        ok(dir.run(&["keygen", "--out", name], None));
    }
    let create = [
        "keyset",
        "create",
        "--tenant",
        "acme",
        "--expires",
        "1y",
        "--root",
        "root.pub",
        "--signing-key",
        "signer.pub",
        "--sign",
        "root.secret",
    ];
    ok(dir.run(&create, Some("keyset1.json")));
    let policy = dir.write("policy.json", r#"{"blocked_domains": ["ml"]}"#);
    let sign = [
        "policy",
        "sign",
        "--key",
        "signer.secret",
        "--tenant",
        "acme",
        "--version",
        "4",
        "--expires",
        "30d",
    ];
    ok(dir.run(
        &[&sign[..], &[policy.as_str()]].concat(),
        Some("bundle.json"),
    ));
    let verified = ok(dir.run(
        &[
            "policy",
            "verify",
            "--trust",
            "keyset1.json",
            "--tenant",
            "acme",
            "bundle.json",
        ],
        None,
    ));
    assert!(String::from_utf8_lossy(&verified.stdout).contains("version 4"));

    // The signed policy is what `check` applies: army.ml is blocked by it (exit 2), while
    // the built-in policy only warns (exit 1).
    let draft = dir.write("draft.json", r#"{"to": ["colonel.smith@army.ml"]}"#);
    let signed_check = [
        "check",
        "--policy",
        "bundle.json",
        "--trust",
        "keyset1.json",
        "--tenant",
        "acme",
        &draft,
    ];
    assert_eq!(code(&dir.run(&signed_check, None)), 2);
    assert_eq!(code(&dir.run(&["check", &draft], None)), 1);
    assert_eq!(
        code(&dir.run(&["check", "--policy", &policy, &draft], None)),
        2,
        "plain JSON policies still work"
    );

    // Tampering, another tenant, and a policy the engine cannot read are refused.
    let mut bytes = std::fs::read(dir.path("bundle.json")).unwrap();
    bytes[100] ^= 1;
    std::fs::write(dir.path("tampered.json"), &bytes).unwrap();
    let tampered = dir.run(
        &[
            "check",
            "--policy",
            "tampered.json",
            "--trust",
            "keyset1.json",
            "--tenant",
            "acme",
            &draft,
        ],
        None,
    );
    assert_eq!(code(&tampered), BAD_POLICY, "{}", stderr(&tampered));
    let globex = dir.run(
        &[
            "policy",
            "verify",
            "--trust",
            "keyset1.json",
            "--tenant",
            "globex",
            "bundle.json",
        ],
        None,
    );
    assert_eq!(code(&globex), BAD_POLICY);
    let bad_policy = dir.write("bad.json", r#"{"internal_domian": []}"#);
    assert_eq!(
        code(&dir.run(&[&sign[..], &[bad_policy.as_str()]].concat(), None)),
        BAD_POLICY
    );

    // Revoking the stolen signing key: the old bundle is refused under the new keyset.
    let signer_id = dir.key_id("signer.pub");
    let revoke = [
        "keyset",
        "update",
        "--from",
        "keyset1.json",
        "--tenant",
        "acme",
        "--expires",
        "1y",
        "--revoke",
        &signer_id,
        "--add-signing-key",
        "signer2.pub",
        "--sign",
        "root.secret",
    ];
    ok(dir.run(&revoke, Some("keyset2.json")));
    ok(verify_keyset_update(&dir, "keyset1.json", "keyset2.json"));
    let revoked = dir.run(
        &[
            "policy",
            "verify",
            "--trust",
            "keyset2.json",
            "--tenant",
            "acme",
            "bundle.json",
        ],
        None,
    );
    assert_eq!(code(&revoked), BAD_POLICY);
    assert!(
        stderr(&revoked).contains("[revoked_key]"),
        "{}",
        stderr(&revoked)
    );

    // Root rotation needs the old and the new root; the new root alone is refused.
    let rotate = |signers: &[&str]| {
        let mut args = vec![
            "keyset",
            "update",
            "--from",
            "keyset2.json",
            "--tenant",
            "acme",
            "--expires",
            "1y",
            "--add-root",
            "root2.pub",
            "--remove-root",
        ];
        let root_id = dir.key_id("root.pub");
        args.push(&root_id);
        for s in signers {
            args.extend(["--sign", s]);
        }
        dir.run(&args, Some("keyset3.json"))
    };
    assert_eq!(code(&rotate(&["root2.secret"])), BAD_POLICY);
    ok(rotate(&["root.secret", "root2.secret"]));
    ok(verify_keyset_update(&dir, "keyset2.json", "keyset3.json"));
    // A client that pinned only the old root follows the rotation (both roots signed it).
    ok(dir.run(
        &[
            "keyset",
            "verify",
            "--tenant",
            "acme",
            "--root",
            "root.pub",
            "keyset3.json",
        ],
        None,
    ));
    // The retired root can no longer sign an update on its own.
    let next = [
        "keyset",
        "update",
        "--from",
        "keyset3.json",
        "--tenant",
        "acme",
        "--expires",
        "1y",
        "--sign",
        "root.secret",
    ];
    assert_eq!(code(&dir.run(&next, None)), BAD_POLICY);
}

#[test]
fn policy_verify_reads_the_shared_vectors() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/bundles");
    let dir = Scratch::new("vectors");
    let file = |name: &str| vectors.join(name).to_str().unwrap().to_string();
    let now = (1_767_225_600 + 86_400).to_string();
    let base = [
        "policy",
        "verify",
        "--trust",
        &file("keyset-v1.json"),
        "--tenant",
        "acme",
        "--now",
        &now,
    ];
    ok(dir.run(
        &[&base[..], &[file("policy-v5.json").as_str()]].concat(),
        None,
    ));
    let rollback = dir.run(
        &[
            &base[..],
            &[
                "--held-version",
                "6",
                "--held-digest",
                &"0".repeat(64),
                &file("policy-v5.json"),
            ],
        ]
        .concat(),
        None,
    );
    assert_eq!(code(&rollback), BAD_POLICY);
    assert!(stderr(&rollback).contains("[rollback]"));
    let oversized = dir.run(
        &[&base[..], &[file("policy-oversized.json").as_str()]].concat(),
        None,
    );
    assert!(stderr(&oversized).contains("[too_large]"));
}

#[test]
fn check_runs_no_rule_of_a_stale_signed_policy_and_fails_as_it_says() {
    // policy-v5.json expired on 2026-01-31, so by the real clock it is stale: the core's one
    // expiry rule (in_force.rs) gives every draft the could-not-check verdict in its fail
    // mode (warn), never a pass.
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/bundles");
    let file = |name: &str| vectors.join(name).to_str().unwrap().to_string();
    let dir = Scratch::new("stale");
    let draft = dir.write("draft.json", r#"{"to": ["someone@acme.example"]}"#);
    let (bundle, keyset) = (file("policy-v5.json"), file("keyset-v1.json"));
    let check = [
        "check", "--policy", &bundle, "--trust", &keyset, "--tenant", "acme", &draft,
    ];
    let stale = dir.run(&check, None);
    assert_eq!(code(&stale), 1, "a warning verdict: {}", stderr(&stale));
    assert!(stderr(&stale).contains("warning") && stderr(&stale).contains("expired"));
    assert!(
        stdout(&stale).contains("expired on 2026-01-31"),
        "{}",
        stdout(&stale)
    );
}
