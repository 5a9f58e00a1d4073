//! The policy server's operational surface, against the real binary: health, metrics,
//! OpenAPI, security headers, CORS, rate limiting, logs, graceful shutdown and export.

mod support;

use support::{EventStream, Server};

const POLICY: &str =
    r#"{"internal_domains": ["secret-internal.example"], "trusted_domains": ["partner.example"]}"#;

#[test]
fn health_readiness_metrics_and_openapi_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), None, &[]);
    assert_eq!(server.get("/healthz").text(), "ok\n");
    assert_eq!(server.get("/readyz").status, 200);
    server.create_tenant("acme");
    server.publish("acme", POLICY);
    server.get("/v1/tenants/acme/policy");
    assert_eq!(
        server.get("/metrics").status,
        401,
        "metrics need a token by default"
    );
    let metrics = server.admin("GET", "/metrics", "").text();
    assert!(
        metrics.contains("sendguard_policy_publishes_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("sendguard_http_requests_total{area=\"distribution\",status=\"2xx\"} 1"),
        "{metrics}"
    );
    let openapi = server.get("/openapi.json").json();
    assert!(openapi["paths"]["/api/v1/tenants/{tenant}/rollback"]["post"].is_object());
    assert_eq!(server.get("/nowhere").json()["error"]["code"], "not_found");
}

#[test]
fn security_headers_and_cors_only_for_configured_addin_origins() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = "https://addin.acme.example";
    let server = Server::start(
        &tmp.path().join("data"),
        None,
        &[("SENDGUARD_ADDIN_ORIGINS", origin)],
    );
    server.create_tenant("acme");
    server.publish("acme", POLICY);
    let console = server.get("/");
    assert_eq!(console.status, 200);
    assert!(console
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(console
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(console.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        server
            .admin("GET", "/api/v1/tenants", "")
            .header("cache-control"),
        Some("no-store")
    );

    let allowed = server.request(
        "GET",
        "/v1/tenants/acme/policy",
        None,
        &[("Origin", origin)],
        b"",
    );
    assert_eq!(allowed.header("access-control-allow-origin"), Some(origin));
    assert!(allowed
        .header("access-control-expose-headers")
        .unwrap()
        .contains("etag"));
    let other = server.request(
        "GET",
        "/v1/tenants/acme/policy",
        None,
        &[("Origin", "https://evil.example")],
        b"",
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
    let admin_cors = server.request(
        "GET",
        "/api/v1/tenants",
        Some(&server.token),
        &[("Origin", origin)],
        b"",
    );
    assert_eq!(
        admin_cors.header("access-control-allow-origin"),
        None,
        "the admin API is same-origin only"
    );
}

#[test]
fn failed_attempts_and_admin_requests_have_separate_budgets() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(
        &tmp.path().join("data"),
        None,
        &[
            ("SENDGUARD_ADMIN_FAILED_ATTEMPTS_PER_MINUTE", "5"),
            ("SENDGUARD_ADMIN_REQUESTS_PER_MINUTE", "3"),
        ],
    );
    let statuses: Vec<u16> = (0..7)
        .map(|_| {
            server
                .request("GET", "/api/v1/whoami", Some("sgt_guess"), &[], b"")
                .status
        })
        .collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    let limited = server.request("GET", "/api/v1/whoami", None, &[], b"");
    assert_eq!(limited.status, 429);
    assert_eq!(limited.json()["error"]["code"], "rate_limited");
    let admin: Vec<u16> = (0..4)
        .map(|_| server.admin("GET", "/api/v1/whoami", "").status)
        .collect();
    assert_eq!(
        admin,
        [200, 200, 200, 429],
        "failed attempts never spend an admin's allowance, which has its own limit"
    );
    assert_eq!(
        server.get("/healthz").status,
        200,
        "distribution and operations are not limited"
    );
}

#[test]
fn logs_never_contain_tokens_policy_text_or_addresses() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), None, &[]);
    server.create_tenant("acme");
    server.publish("acme", POLICY);
    server.publish("acme", r#"{"internal_domains": ["bad domain"]}"#);
    server.admin("POST", "/api/v1/tokens", r#"{"name": "robot"}"#);
    server.request("GET", "/api/v1/whoami", Some("sgt_wrong-guess"), &[], b"");
    let logs = server.logs();
    assert!(
        logs.contains("policy published"),
        "the log is being written: {logs}"
    );
    assert!(!logs.contains(&server.token), "admin token in the log");
    assert!(!logs.contains("sgt_"), "a token in the log");
    assert!(
        !logs.contains("secret-internal") && !logs.contains("bad domain"),
        "policy text in the log"
    );
    assert!(!logs.contains('@'), "an address in the log");
}

#[test]
fn sigterm_ends_event_streams_and_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::start(&tmp.path().join("data"), None, &[]);
    server.create_tenant("acme");
    let mut events = EventStream::open(server.address, "/v1/tenants/acme/policy/events");
    events.wait_for("\r\n\r\n");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        events.closes(),
        "the event stream is closed by the shutdown"
    );
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    assert!(server.logs().contains("shutting down"));
}

#[test]
fn export_writes_the_served_bytes_as_static_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data, None, &[]);
    server.create_tenant("acme");
    server.publish("acme", POLICY);
    let out = tmp.path().join("site");
    let export = std::process::Command::new(support::sendguard_binary())
        .args(["export", "--out"])
        .arg(&out)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    for document in ["policy", "keyset"] {
        let path = format!("/v1/tenants/acme/{document}");
        let written = std::fs::read(out.join(&path[1..])).unwrap();
        assert_eq!(written, server.get(&path).body, "{document}");
    }
    let missing = std::process::Command::new(support::sendguard_binary())
        .args(["export", "--out", "x", "--data-dir"])
        .arg(tmp.path().join("nothing-here"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(66));
}

#[test]
fn addin_files_can_be_framed_by_outlook_and_the_office_allow_list_is_served() {
    let tmp = tempfile::tempdir().unwrap();
    let addin = tmp.path().join("addin");
    std::fs::create_dir_all(addin.join("outlook")).unwrap();
    std::fs::write(addin.join("outlook/commands.html"), "<!DOCTYPE html>").unwrap();
    let allowed = r#"{"allowed":["https://guard.example.org/addin/outlook/commands.js"]}"#;
    let no_list = Server::start(
        &tmp.path().join("data-1"),
        None,
        &[("SENDGUARD_ADDIN_DIR", addin.to_str().unwrap())],
    );
    assert_eq!(
        no_list
            .get("/.well-known/microsoft-officeaddins-allowed.json")
            .status,
        404,
        "no list until the packaging command wrote one"
    );
    drop(no_list);

    std::fs::write(addin.join("microsoft-officeaddins-allowed.json"), allowed).unwrap();
    let server = Server::start(
        &tmp.path().join("data-2"),
        None,
        &[("SENDGUARD_ADDIN_DIR", addin.to_str().unwrap())],
    );
    let list = server.get("/.well-known/microsoft-officeaddins-allowed.json");
    assert_eq!(list.status, 200);
    assert_eq!(list.header("content-type"), Some("application/json"));
    assert_eq!(list.text(), allowed);

    let page = server.get("/addin/outlook/commands.html");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors https:"), "{csp}");
    assert!(
        !csp.contains("script-src 'self'"),
        "office.js comes from Microsoft's CDN: {csp}"
    );
    assert!(server
        .get("/")
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
}

#[test]
fn the_console_can_be_served_from_disk_with_the_same_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let web = tmp.path().join("web");
    std::fs::create_dir(&web).unwrap();
    std::fs::write(
        web.join("index.html"),
        "<!doctype html><title>edited console</title>",
    )
    .unwrap();
    let server = Server::start(
        &tmp.path().join("data"),
        None,
        &[("SENDGUARD_CONSOLE_DIR", web.to_str().unwrap())],
    );
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("edited console"));
    assert!(page.header("content-security-policy").is_some());
    assert_eq!(
        server.get("/healthz").status,
        200,
        "routes still win over the folder"
    );
    assert_eq!(server.get("/missing.js").status, 404);
}
