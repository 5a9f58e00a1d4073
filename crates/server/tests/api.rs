//! The policy server's HTTP API, tested against the real `sendguard serve` binary on
//! 127.0.0.1 with a temporary data directory (see `support/`).

mod support;

use sendguard_core::bundle::{self, HeldPolicy};
use support::{now, EventStream, Server};

const POLICY_V1: &str =
    r#"{"internal_domains": ["acme.example"], "trusted_domains": ["partner.example"]}"#;
const POLICY_V2: &str = r#"{"internal_domains": ["acme.example"], "trusted_domains": ["partner.example", "nato.int"], "blocked_domains": ["ml"]}"#;

fn data_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    (dir, data)
}

#[test]
fn admin_api_refuses_missing_wrong_and_revoked_tokens() {
    let (_tmp, data) = data_dir();
    let server = Server::start(&data, None, &[]);
    let refused = server.get("/api/v1/tenants");
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json()["error"]["code"], "unauthorized");
    let wrong = server.request("GET", "/api/v1/tenants", Some("sgt_0000"), &[], b"");
    assert_eq!(wrong.status, 401);

    let created = server.admin("POST", "/api/v1/tokens", r#"{"name": "ci robot"}"#);
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let ci_token = created["token"].as_str().unwrap().to_string();
    let whoami = server.request("GET", "/api/v1/whoami", Some(&ci_token), &[], b"");
    assert_eq!(whoami.json()["name"], "ci robot");

    let listed = server.admin("GET", "/api/v1/tokens", "").text();
    assert!(
        listed.contains("ci robot") && !listed.contains(&ci_token),
        "token values are never listed"
    );
    let duplicate = server.admin("POST", "/api/v1/tokens", r#"{"name": "ci robot"}"#);
    assert_eq!(duplicate.json()["error"]["code"], "conflict");

    let revoked = server.admin("DELETE", &format!("/api/v1/tokens/{}", created["id"]), "");
    assert_eq!(revoked.status, 204);
    let after = server.request("GET", "/api/v1/whoami", Some(&ci_token), &[], b"");
    assert_eq!(after.status, 401);
    assert_eq!(
        server.admin("GET", "/api/v1/whoami", "").status,
        200,
        "the admin token still works"
    );
    let admin_id = server.admin("GET", "/api/v1/whoami", "").json()["id"].clone();
    let last = server.admin("DELETE", &format!("/api/v1/tokens/{admin_id}"), "");
    assert_eq!(last.status, 409, "the last global token cannot be revoked");
    assert_eq!(server.admin("GET", "/api/v1/whoami", "").status, 200);
}

#[test]
fn tenants_are_isolated() {
    let (_tmp, data) = data_dir();
    let server = Server::start(&data, None, &[]);
    server.create_tenant("acme");
    server.create_tenant("globex");
    let scoped = server
        .admin(
            "POST",
            "/api/v1/tokens",
            r#"{"name": "acme admin", "tenant": "acme"}"#,
        )
        .json();
    let scoped = scoped["token"].as_str().unwrap().to_string();
    let publish = |tenant: &str, token: &str| {
        server.request(
            "POST",
            &format!("/api/v1/tenants/{tenant}/policy"),
            Some(token),
            &[],
            POLICY_V1.as_bytes(),
        )
    };
    assert_eq!(publish("acme", &scoped).status, 201);
    let other = publish("globex", &scoped);
    assert_eq!(other.status, 403);
    assert_eq!(other.json()["error"]["code"], "forbidden");
    assert_eq!(
        server
            .request(
                "GET",
                "/api/v1/tenants/globex/history",
                Some(&scoped),
                &[],
                b""
            )
            .status,
        403
    );
    assert_eq!(
        server
            .request(
                "POST",
                "/api/v1/tokens",
                Some(&scoped),
                &[],
                b"{\"name\":\"x\"}"
            )
            .status,
        403
    );
    let visible = server
        .request("GET", "/api/v1/tenants", Some(&scoped), &[], b"")
        .json();
    assert_eq!(visible.as_array().unwrap().len(), 1, "{visible}");

    assert_eq!(
        server.get("/v1/tenants/globex/policy").status,
        404,
        "nothing published for globex"
    );
    assert_eq!(server.publish("globex", POLICY_V2).status, 201);
    let acme = server.get("/v1/tenants/acme/policy");
    let globex = server.get("/v1/tenants/globex/policy");
    assert_ne!(acme.body, globex.body);
    let now = now();
    let acme_trust = server.pinned_trust("acme", now);
    assert!(bundle::verify(&acme.body, &acme_trust, "acme", None, now).is_ok());
    let mixed = bundle::verify(&globex.body, &acme_trust, "acme", None, now).unwrap_err();
    assert_eq!(
        mixed.code(),
        "wrong_tenant",
        "a bundle for one tenant never passes as another's"
    );
}

#[test]
fn publish_then_fetch_verifies_with_the_pinned_key_answers_304_and_announces_events() {
    let (_tmp, data) = data_dir();
    let server = Server::start(&data, None, &[]);
    server.create_tenant("acme");
    let mut events = EventStream::open(server.address, "/v1/tenants/acme/policy/events");
    events.wait_for("\r\n\r\n"); // the stream is open before anything is published

    let published = server.publish("acme", POLICY_V1);
    assert_eq!(published.status, 201, "{}", published.text());
    assert_eq!(published.json()["version"], 1);
    assert_eq!(published.json()["published_by"], "admin");
    let seen = events.wait_for("\"version\":1");
    assert!(seen.contains("event: policy"), "{seen}");

    let fetched = server.get("/v1/tenants/acme/policy");
    assert_eq!(fetched.status, 200);
    let etag = fetched.header("etag").expect("an ETag").to_string();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong ETag: {etag}"
    );
    let now = now();
    let trust = server.pinned_trust("acme", now);
    let verified = bundle::verify(&fetched.body, &trust, "acme", None, now).unwrap();
    assert_eq!(verified.version, 1);
    assert_eq!(
        verified.policy_json, POLICY_V1,
        "the exact published bytes are signed"
    );
    assert_eq!(verified.key_id, published.json()["key_id"]);

    let unchanged = server.request(
        "GET",
        "/v1/tenants/acme/policy",
        None,
        &[("If-None-Match", &etag)],
        b"",
    );
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.body.is_empty());
    assert_eq!(unchanged.header("etag"), Some(etag.as_str()));

    assert_eq!(server.publish("acme", POLICY_V2).status, 201);
    events.wait_for("\"version\":2");
    let changed = server.request(
        "GET",
        "/v1/tenants/acme/policy",
        None,
        &[("If-None-Match", &etag)],
        b"",
    );
    assert_eq!(
        changed.status, 200,
        "a new version answers the old ETag with the new bundle"
    );
    let held = HeldPolicy {
        version: verified.version,
        digest: verified.digest,
    };
    let second = bundle::verify(&changed.body, &trust, "acme", Some(&held), now).unwrap();
    assert_eq!(
        (second.version, second.policy_json.as_str()),
        (2, POLICY_V2)
    );
}

#[test]
fn rollback_publishes_the_old_policy_as_a_new_higher_version() {
    let (_tmp, data) = data_dir();
    let server = Server::start(&data, None, &[]);
    server.create_tenant("acme");
    server.publish("acme", POLICY_V1);
    server.publish("acme", POLICY_V2);
    let rolled = server.admin("POST", "/api/v1/tenants/acme/rollback", r#"{"version": 1}"#);
    assert_eq!(rolled.status, 201, "{}", rolled.text());
    assert_eq!(rolled.json()["version"], 3);
    assert_eq!(rolled.json()["rollback_of"], 1);

    let history = server
        .admin("GET", "/api/v1/tenants/acme/history", "")
        .json();
    let versions: Vec<i64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [3, 2, 1], "newest first");
    let diff = history[0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("--- version 2") && diff.contains("+++ version 3"),
        "{diff}"
    );
    assert!(
        diff.contains("-{") && diff.contains("nato.int"),
        "the diff shows what changed: {diff}"
    );
    assert_eq!(history[1]["published_by"], "admin");

    let now = now();
    let trust = server.pinned_trust("acme", now);
    let bundle_bytes = server.get("/v1/tenants/acme/policy").body;
    let v2 = server
        .admin("GET", "/api/v1/tenants/acme/history/2", "")
        .json();
    assert_eq!(v2["policy"], POLICY_V2);
    let verified = bundle::verify(&bundle_bytes, &trust, "acme", None, now).unwrap();
    assert_eq!(
        (verified.version, verified.policy_json.as_str()),
        (3, POLICY_V1)
    );
    let missing = server.admin("POST", "/api/v1/tenants/acme/rollback", r#"{"version": 9}"#);
    assert_eq!(missing.status, 404);
}

#[test]
fn malformed_policies_are_refused_with_the_field_path_and_nothing_is_published() {
    let (_tmp, data) = data_dir();
    let server = Server::start(&data, None, &[("SENDGUARD_MAX_BODY_BYTES", "4096")]);
    server.create_tenant("acme");
    let bad_field = server.publish("acme", r#"{"actions": {"tld_trap": "maybe"}}"#);
    assert_eq!(bad_field.status, 422);
    let error = bad_field.json();
    assert_eq!(error["error"]["code"], "invalid_policy");
    assert_eq!(error["error"]["path"], "actions.tld_trap");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("maybe"),
        "{error}"
    );

    let unknown = server.admin(
        "POST",
        "/api/v1/tenants/acme/policy/validate",
        r#"{"internal_domian": []}"#,
    );
    assert_eq!(unknown.json()["error"]["path"], "internal_domian");
    let bad_domain = server.publish(
        "acme",
        r#"{"internal_domains": ["ok.example", "not a domain"]}"#,
    );
    assert_eq!(bad_domain.json()["error"]["path"], "internal_domains[1]");
    let not_json = server.publish("acme", "{");
    assert_eq!(not_json.status, 422);
    // One object, nothing after it: a second half would be stored but never read (issue 13).
    let two = server.publish(
        "acme",
        "{}\n{\"blocked_domains\": [\"ml\"], \"fail_mode\": \"block\"}",
    );
    assert_eq!(two.status, 422);
    let message = two.json()["error"]["message"].to_string();
    assert!(message.contains("only one JSON object"), "{message}");
    assert_eq!(server.publish("acme", "[]").status, 422);
    let too_large = server.publish(
        "acme",
        &format!(
            "{{\"internal_domains\": [\"{}.example\"]}}",
            "a".repeat(5000)
        ),
    );
    assert_eq!(too_large.status, 413);
    assert_eq!(too_large.json()["error"]["code"], "too_large");

    let valid = server.admin("POST", "/api/v1/tenants/acme/policy/validate", POLICY_V1);
    assert_eq!(valid.json()["valid"], true);
    assert!(server
        .admin("GET", "/api/v1/tenants/acme/history", "")
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(server.get("/v1/tenants/acme/policy").status, 404);
}

/// kill -9 in the middle of a stream of publishes: afterwards every version the server
/// answered 201 for is there, intact and verifiable, and no version is half-written.
#[test]
fn kill_9_during_publishing_loses_no_published_version_and_leaves_no_half_written_one() {
    let (_tmp, data) = data_dir();
    // No rate limit here: the writers must still be publishing when the kill comes.
    let unlimited = [("SENDGUARD_ADMIN_REQUESTS_PER_MINUTE", "1000000")];
    let server = Server::start(&data, None, &unlimited);
    server.create_tenant("acme");
    let token = server.token.clone();
    let address = server.address;
    let policy_for = |n: usize| {
        format!(r#"{{"internal_domains": ["acme.example"], "trusted_domains": ["p{n}.example"]}}"#)
    };

    // Two writers publish as fast as they can; each records the versions it was told about.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let token = token.clone();
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for i in 0.. {
                    let n = w * 1_000_000 + i;
                    let body = policy_for(n);
                    let outcome = std::panic::catch_unwind(|| {
                        support::request(
                            address,
                            "POST",
                            "/api/v1/tenants/acme/policy",
                            Some(&token),
                            &[],
                            body.as_bytes(),
                        )
                    });
                    match outcome {
                        Ok(r) if r.status != 201 => {
                            panic!("publish answered {}: {}", r.status, r.text())
                        }
                        Ok(r) => acknowledged.push((r.json()["version"].as_i64().unwrap(), body)),
                        _ => break, // the server is gone
                    }
                }
                acknowledged
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(700));
    server.kill_9();
    let acknowledged: Vec<(i64, String)> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        acknowledged.len() >= 2,
        "the writers published before the kill ({})",
        acknowledged.len()
    );

    let server = Server::start(&data, Some(&token), &unlimited);
    let history = server
        .admin("GET", "/api/v1/tenants/acme/history", "")
        .json();
    let history = history.as_array().unwrap();
    let newest = history[0]["version"].as_i64().unwrap();
    let versions: Vec<i64> = history
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(
        versions,
        (1..=newest).rev().collect::<Vec<_>>(),
        "versions are contiguous"
    );
    for (version, body) in &acknowledged {
        let stored = server
            .admin(
                "GET",
                &format!("/api/v1/tenants/acme/history/{version}"),
                "",
            )
            .json();
        assert_eq!(
            stored["policy"].as_str(),
            Some(body.as_str()),
            "version {version} survived intact"
        );
    }
    // Every stored version is complete: the served bundle verifies and matches the record.
    let now = now();
    let trust = server.pinned_trust("acme", now);
    let latest = server.get("/v1/tenants/acme/policy");
    let verified = bundle::verify(&latest.body, &trust, "acme", None, now).unwrap();
    assert_eq!(verified.version as i64, newest);
    assert_eq!(latest.header("etag"), history[0]["etag"].as_str());
    let stored = server
        .admin("GET", &format!("/api/v1/tenants/acme/history/{newest}"), "")
        .json();
    assert_eq!(
        stored["policy"].as_str(),
        Some(verified.policy_json.as_str())
    );
    // And publishing carries on from there.
    assert_eq!(
        server.publish("acme", POLICY_V1).json()["version"],
        newest + 1
    );
}

#[test]
fn key_rotation_publishes_the_next_keyset_before_signing_with_the_new_key() {
    let (_tmp, data) = data_dir();
    let server = Server::start(&data, None, &[]);
    server.create_tenant("acme");
    server.publish("acme", POLICY_V1);
    let now = now();
    let pinned = server.pinned_trust("acme", now);
    let old_key = server.admin("GET", "/api/v1/keys", "").json()["signing_key_id"].clone();

    let rotated = server.admin("POST", "/api/v1/keys/rotate", r#"{"revoke_old": false}"#);
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let new_key = rotated.json()["signing_key_id"].clone();
    assert_ne!(new_key, old_key);
    assert_eq!(rotated.json()["keysets"][0]["version"], 2);
    let keyset = server.get("/v1/tenants/acme/keyset").body;
    let updated = sendguard_core::keyset::verify_update(&keyset, &pinned, now).unwrap();
    let bundle_v1 = server.get("/v1/tenants/acme/policy").body;
    assert!(
        bundle::verify(&bundle_v1, &updated, "acme", None, now).is_ok(),
        "the old key stays listed"
    );
    assert_eq!(server.publish("acme", POLICY_V2).json()["key_id"], new_key);
    let bundle_v2 = server.get("/v1/tenants/acme/policy").body;

    // A stolen key: revoke it; every tenant's policy is re-signed as a new version.
    let revoked = server.admin("POST", "/api/v1/keys/rotate", r#"{"revoke_old": true}"#);
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    let keyset = server.get("/v1/tenants/acme/keyset").body;
    let latest_trust = sendguard_core::keyset::verify_update(&keyset, &updated, now).unwrap();
    let resigned = server.get("/v1/tenants/acme/policy").body;
    let resigned = bundle::verify(&resigned, &latest_trust, "acme", None, now).unwrap();
    assert_eq!(
        (resigned.version, resigned.policy_json.as_str()),
        (3, POLICY_V2)
    );
    assert_eq!(
        resigned.key_id,
        server.admin("GET", "/api/v1/keys", "").json()["signing_key_id"]
    );
    let stolen = bundle::verify(&bundle_v2, &latest_trust, "acme", None, now).unwrap_err();
    assert_eq!(
        stolen.code(),
        "revoked_key",
        "bundles signed by the revoked key are refused"
    );
}

/// The root key can stay offline: keysets signed elsewhere (with `sendguard-sign`) are
/// uploaded, and accepted only as valid updates that still list the server's signing key.
#[test]
fn keysets_signed_offline_are_accepted_only_as_valid_updates() {
    use sendguard_core::envelope::PublicKey;
    use sendguard_sign::{KeysetBuilder, SigningKey};

    let (_tmp, data) = data_dir();
    let server = Server::start(&data, None, &[]);
    server.create_tenant("acme");
    let now = now();
    let year = 365 * 86_400;
    let trust = server.pinned_trust("acme", now);
    let root = SigningKey::read_secret_file(&data.join("root.key")).unwrap();
    let new_root = SigningKey::generate().unwrap();
    let put = |body: &[u8]| {
        server.request(
            "PUT",
            "/api/v1/tenants/acme/keyset",
            Some(&server.token),
            &[],
            body,
        )
    };

    let stranger = SigningKey::generate().unwrap();
    let forged = KeysetBuilder::next(&trust, now, now + year).sign(&[&stranger]);
    assert_eq!(put(&forged).json()["error"]["code"], "invalid_keyset");
    let server_key = server.admin("GET", "/api/v1/keys", "").json()["signing_key_id"]
        .as_str()
        .unwrap()
        .to_string();
    let locks_out = KeysetBuilder::next(&trust, now, now + year)
        .revoke(&server_key)
        .sign(&[&root]);
    let refused = put(&locks_out).json();
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&server_key),
        "{refused}"
    );

    let rotated_root = KeysetBuilder::next(&trust, now, now + year)
        .add_root(&new_root.public_key())
        .sign(&[&root, &new_root]);
    let accepted = put(&rotated_root);
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(accepted.json()["version"], 2);
    assert_eq!(server.get("/v1/tenants/acme/keyset").body, rotated_root);
    assert_eq!(put(&rotated_root).status, 409, "the same version again");

    // A tenant whose root never touched the server.
    let offline_root = SigningKey::generate().unwrap();
    let public = server.admin("GET", "/api/v1/keys", "").json()["signing_public_key"]
        .as_str()
        .unwrap()
        .to_string();
    let first = KeysetBuilder::new("globex", 1, now, now + year)
        .add_root(&offline_root.public_key())
        .add_signing_key(&PublicKey::from_base64(&public).unwrap())
        .sign(&[&offline_root]);
    let body =
        serde_json::json!({"id": "globex", "keyset": String::from_utf8(first.clone()).unwrap()})
            .to_string();
    assert_eq!(server.admin("POST", "/api/v1/tenants", &body).status, 201);
    server.publish("globex", POLICY_V1);
    let pinned = sendguard_core::keyset::verify_pinned(&first, "globex", now).unwrap();
    let fetched = server.get("/v1/tenants/globex/policy").body;
    assert_eq!(
        bundle::verify(&fetched, &pinned, "globex", None, now)
            .unwrap()
            .policy_json,
        POLICY_V1
    );
}
