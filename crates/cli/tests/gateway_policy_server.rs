//! `sendguard gateway` fed by a real `sendguard serve` on 127.0.0.1, and by a folder made by
//! `sendguard export`: the add-ins' refresh protocol (pinned keyset, keyset updates, ETag,
//! event stream, last good policy kept on disk), refusals (tampered, rolled back) that leave
//! the last good policy in force, and a restart with the server down.

mod gateway_support;
#[path = "../../server/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use gateway_support::Gateway;
use support::Server;

const V1: &str = r#"{"blocked_domains": ["mail.ru"]}"#;
const V2: &str = r#"{"blocked_domains": ["mail.ru", "yandex.ru"]}"#;

fn server_with_policy(dir: &Path) -> (Server, PathBuf) {
    let server = Server::start(&dir.join("server-data"), None, &[]);
    server.create_tenant("acme");
    let published = server.publish("acme", V1);
    assert!(published.status < 300, "{}", published.text());
    // The keyset an installation pins: the tenant's first keyset, as served.
    let keyset = server.get("/v1/tenants/acme/keyset");
    assert_eq!(keyset.status, 200);
    let pinned = dir.join("pinned-keyset.json");
    std::fs::write(&pinned, &keyset.body).unwrap();
    (server, pinned)
}

/// The gateway's arguments for tenant `acme` from `source` (`--policy-url` or `--policy-dir`).
fn source_args(flag: &str, source: &str, pinned: &Path, state: &Path) -> Vec<String> {
    let path = |p: &Path| p.to_str().unwrap().to_string();
    vec![
        flag.into(),
        source.into(),
        "--trust".into(),
        path(pinned),
        "--tenant".into(),
        "acme".into(),
        "--state-dir".into(),
        path(state),
    ]
}

#[test]
fn a_server_policy_is_fetched_kept_fresh_and_survives_the_server_going_down() {
    let dir = tempfile::tempdir().unwrap();
    let (server, pinned) = server_with_policy(dir.path());
    let url = format!("http://{}", server.address);
    let state = dir.path().join("state");
    let args = source_args("--policy-url", &url, &pinned, &state);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut gateway = Gateway::start(dir.path(), "first", &args);
    gateway.assert_logged("policy version 1 in force");
    assert!(gateway
        .ask("ivan@mail.ru")
        .starts_with("action=REJECT 5.7.1 Remove ivan@mail.ru"));
    assert_eq!(gateway.ask("olga@yandex.ru"), "action=DUNNO\n");

    // A publish reaches the gateway through the event stream (polling is an hour away).
    let published = server.publish("acme", V2);
    assert!(published.status < 300, "{}", published.text());
    gateway.wait_for("policy version 2 in force");
    assert!(gateway
        .ask("olga@yandex.ru")
        .starts_with("action=REJECT 5.7.1 "));

    // A key rotation that revokes the old key: the keyset update is accepted (verified from
    // the pinned keyset), then the policy re-signed by the new key as version 3.
    let rotated = server.admin("POST", "/api/v1/keys/rotate", r#"{"revoke_old": true}"#);
    assert!(rotated.status < 300, "{}", rotated.text());
    gateway.wait_for("keyset version 2 accepted");
    gateway.wait_for("policy version 3 in force");
    drop(gateway);

    // Restarted with the server gone: the last good policy, verified again, stays in force.
    server.kill_9();
    let mut gateway = Gateway::start(dir.path(), "second", &args);
    // Its keyset chain is kept too: version 3 is signed by a key the pinned keyset lacks.
    gateway.wait_for("the last good policy (version 3) is in force");
    gateway.wait_for("policy not refreshed");
    gateway.assert_logged("policy version 3 stays in force");
    assert!(gateway
        .ask("olga@yandex.ru")
        .starts_with("action=REJECT 5.7.1 "));
    assert!(
        !gateway.log().contains("olga"),
        "no addresses in the logs by default"
    );

    // The kept bundle changed on disk is refused like a fetched one: no policy, no pass.
    drop(gateway);
    let kept = state.join("policy.bundle");
    let mut bytes = std::fs::read(&kept).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 1;
    std::fs::write(&kept, bytes).unwrap();
    let mut gateway = Gateway::start(dir.path(), "third", &args);
    gateway.wait_for("the kept policy is refused");
    assert!(gateway
        .ask("colonel.smith@army.mil")
        .starts_with("action=DEFER 4.7.1 "));
}

#[test]
fn an_exported_folder_refuses_tampered_and_rolled_back_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let (server, pinned) = server_with_policy(dir.path());
    let v1 = server.get("/v1/tenants/acme/policy").body;
    assert!(server.publish("acme", V2).status < 300);
    let export = dir.path().join("export");
    let exported = Command::new(env!("CARGO_BIN_EXE_sendguard"))
        .args(["export", "--out"])
        .arg(&export)
        .arg("--data-dir")
        .arg(dir.path().join("server-data"))
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let policy_file = export.join("v1/tenants/acme/policy");
    let v2 = std::fs::read(&policy_file).unwrap();
    let state = dir.path().join("state");
    let args = source_args("--policy-dir", export.to_str().unwrap(), &pinned, &state);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let gateway = Gateway::start(dir.path(), "v2", &args);
    gateway.assert_logged("policy version 2 in force");
    drop(gateway);

    // Tampered: refused, and the last good policy stays in force.
    let mut tampered = v2.clone();
    let i = tampered.len() / 3;
    tampered[i] ^= 4;
    std::fs::write(&policy_file, &tampered).unwrap();
    let gateway = Gateway::start(dir.path(), "tampered", &args);
    gateway.assert_logged("the fetched policy is refused");
    gateway.assert_logged("policy version 2 stays in force");
    assert!(gateway
        .ask("olga@yandex.ru")
        .starts_with("action=REJECT 5.7.1 "));
    drop(gateway);

    // An older, validly signed bundle: a rollback, refused.
    std::fs::write(&policy_file, &v1).unwrap();
    let gateway = Gateway::start(dir.path(), "rollback", &args);
    gateway.assert_logged("[rollback]");
    assert!(gateway
        .ask("olga@yandex.ru")
        .starts_with("action=REJECT 5.7.1 "));
}
