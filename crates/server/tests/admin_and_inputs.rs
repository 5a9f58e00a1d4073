//! The admin API under attack (issue 13, items 3, 6 and 7): a flood of failed attempts
//! through the reverse proxy never locks out an admin; history diffs of large policies
//! never stall the server; names, token scopes, bundle sizes, security headers and
//! `/metrics` are held to their settings.

mod in_process;

use std::net::IpAddr;

use in_process::{request, Running};
use sendguard_server::config::MetricsAccess;
use sendguard_server::Config;

fn through_proxy(server: &Running, client: &str, token: Option<&str>) -> u16 {
    let forwarded = [("X-Forwarded-For", client)];
    request(
        server.address,
        "GET",
        "/api/v1/whoami",
        token,
        &forwarded,
        b"",
    )
    .status
}

#[test]
fn failed_attempts_are_limited_per_client_behind_the_trusted_proxy() {
    let server = Running::start(|c| {
        c.trusted_proxies = vec![IpAddr::from([127, 0, 0, 1])];
        c.admin_failed_attempts_per_minute = 5;
    });
    let attacker = "203.0.113.9";
    let flood: Vec<u16> = (0..8)
        .map(|_| through_proxy(&server, attacker, Some("sgt_guess")))
        .collect();
    assert_eq!(flood, [401, 401, 401, 401, 401, 429, 429, 429]);
    assert_eq!(through_proxy(&server, attacker, None), 429);
    assert_eq!(
        through_proxy(&server, "198.51.100.7", None),
        401,
        "another client behind the same proxy has its own budget"
    );
    assert_eq!(
        through_proxy(&server, attacker, Some(&server.token)),
        200,
        "a valid token is never refused for others' failures, even from the same client"
    );
    assert_eq!(
        through_proxy(&server, "198.51.100.7", Some(&server.token)),
        200
    );
}

#[test]
fn forwarded_addresses_are_ignored_unless_the_proxy_is_trusted() {
    let server = Running::start(|c| c.admin_failed_attempts_per_minute = 3);
    let statuses: Vec<u16> = (0..5)
        .map(|i| through_proxy(&server, &format!("192.0.2.{i}"), None))
        .collect();
    assert_eq!(
        statuses,
        [401, 401, 401, 429, 429],
        "a forged header escapes the limit"
    );
}

#[test]
fn history_of_large_policies_answers_without_stalling_the_server() {
    let server = Running::start(|c| c.admin_requests_per_minute = 10_000);
    server.tenant_with_policy("acme");
    // Versions of about 200 KB, each one changing every line.
    for version in 0..4 {
        let domains: Vec<String> = (0..9_000)
            .map(|i| format!("\"v{version}d{i}.example\""))
            .collect();
        let policy = format!("{{\"trusted_domains\": [\n{}\n]}}", domains.join(",\n"));
        let published = server.admin("POST", "/api/v1/tenants/acme/policy", &policy);
        assert_eq!(published.status, 201, "{}", published.text());
    }
    let histories: Vec<_> = (0..2)
        .map(|_| {
            let (address, token) = (server.address, server.token.clone());
            std::thread::spawn(move || {
                request(
                    address,
                    "GET",
                    "/api/v1/tenants/acme/history",
                    Some(&token),
                    &[],
                    b"",
                )
            })
        })
        .collect();
    for _ in 0..5 {
        assert_eq!(server.get("/healthz").status, 200);
        assert_eq!(server.get("/v1/tenants/acme/policy").status, 200);
    }
    for history in histories {
        let history = history.join().unwrap();
        assert_eq!(history.status, 200, "{}", history.text());
        let entries = history.json();
        assert_eq!(entries.as_array().unwrap().len(), 5);
        for entry in &entries.as_array().unwrap()[..4] {
            let diff = entry["diff"].as_str().unwrap();
            assert!(
                diff.len() <= 64 * 1024 + 200,
                "a diff of {} bytes",
                diff.len()
            );
            assert!(!diff.is_empty());
        }
    }
}

#[test]
fn tenant_names_and_token_scopes_are_checked() {
    let server = Running::start(|_| {});
    let long = "n".repeat(250_000);
    for name in [long.as_str(), "bad\u{7}name", "line\nbreak", "  "] {
        let body = serde_json::json!({"id": "acme", "name": name}).to_string();
        let refused = server.admin("POST", "/api/v1/tenants", &body);
        assert_eq!(refused.status, 400, "{name:.20}: {}", refused.text());
    }
    let created = server.admin(
        "POST",
        "/api/v1/tenants",
        r#"{"id": "acme", "name": "  Acme Corp "}"#,
    );
    assert_eq!(created.json()["name"], "Acme Corp");
    let ghost = server.admin(
        "POST",
        "/api/v1/tokens",
        r#"{"name": "ci", "tenant": "ghost"}"#,
    );
    assert_eq!(ghost.status, 404, "{}", ghost.text());
    assert!(ghost.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("ghost"));
    let scoped = server.admin(
        "POST",
        "/api/v1/tokens",
        r#"{"name": "ci", "tenant": "acme"}"#,
    );
    assert_eq!(scoped.status, 201, "{}", scoped.text());
}

#[test]
fn a_bundle_clients_would_refuse_is_never_published_and_the_setting_is_bounded() {
    let limit = sendguard_core::bundle::MAX_BUNDLE_BYTES;
    let too_big = Config {
        max_body_bytes: limit + 1,
        ..Config::default()
    };
    let e = too_big.check().unwrap_err();
    assert!(e.contains("max_body_bytes"), "{e}");
    assert!(sendguard_server::Server::open(too_big).is_err());

    let server = Running::start(|c| c.max_body_bytes = limit);
    server.admin("POST", "/api/v1/tenants", r#"{"id": "acme"}"#);
    // Under the body limit, but over the bundle limit once signed (the payload is base64).
    let domains: Vec<String> = (0..58_000).map(|i| format!("\"d{i}.example\"")).collect();
    let policy = format!("{{\"trusted_domains\": [{}]}}", domains.join(","));
    assert!(policy.len() < limit && policy.len() * 4 / 3 > limit);
    let refused = server.admin("POST", "/api/v1/tenants/acme/policy", &policy);
    assert_eq!(refused.status, 413, "{}", refused.text());
    assert!(refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("make the policy smaller"));
    assert_eq!(
        server.get("/v1/tenants/acme/policy").status,
        404,
        "nothing was published"
    );
}

#[test]
fn every_response_carries_the_security_headers() {
    let server = Running::start(|_| {});
    server.tenant_with_policy("acme");
    let etag = server
        .get("/v1/tenants/acme/policy")
        .header("etag")
        .unwrap()
        .to_string();
    let not_modified = request(
        server.address,
        "GET",
        "/v1/tenants/acme/policy",
        None,
        &[("If-None-Match", &etag)],
        b"",
    );
    assert_eq!(not_modified.status, 304);
    let responses = [
        server.get("/v1/tenants/acme/policy"),
        not_modified,
        server.get("/v1/tenants/acme/keyset"),
        server.get("/v1/tenants/ghost/policy"),
        server.admin("GET", "/api/v1/tenants", ""),
        server.get("/api/v1/tenants"),
        server.get("/healthz"),
        server.get("/openapi.json"),
        server.get("/nowhere"),
        server.get("/"),
    ];
    for response in &responses {
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        let policy = response
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    }
}

#[test]
fn metrics_are_open_closed_or_off_by_setting() {
    let answers = |access| {
        let server = Running::start(|c| c.metrics = access);
        (
            server.get("/metrics").status,
            server.admin("GET", "/metrics", "").status,
        )
    };
    assert_eq!(answers(MetricsAccess::Open), (200, 200));
    assert_eq!(answers(MetricsAccess::Token), (401, 200));
    assert_eq!(answers(MetricsAccess::Off), (404, 404));
}
