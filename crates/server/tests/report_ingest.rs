//! The report ingest endpoint under hostile clients (issue 15, items 3 and 7): strict JSON
//! with unknown fields refused, bounded counts and bodies, limits per install and per client,
//! a re-sent day counted once, a domain named only once K installs reported it (one install
//! cannot inflate it), the tenant's signed policy switching reporting and justifications, and
//! retention. The server runs in this process on 127.0.0.1; retention uses a moved clock.

mod in_process;
mod router;

use std::net::IpAddr;

use in_process::{request, Running};
use router::{call, published_server};
use sendguard_core::in_force::utc_date;
use sendguard_server::clock::ManualClock;

fn today() -> String {
    utc_date(sendguard_server::now_unix())
}

fn install(n: u32) -> String {
    format!("{n:032x}")
}

/// A report of `install` for today with the given JSON members after the header fields.
fn report(install: &str, day: &str, members: &str) -> String {
    format!(r#"{{"install_id": "{install}", "day": "{day}", "policy_version": 1{members}}}"#)
}

const COUNTS: &str = r#", "counts": [
    {"kind": "tld_trap", "action": "warn", "outcome": "fixed", "count": 3},
    {"kind": "tld_trap", "action": "warn", "outcome": "sent_anyway", "count": 1},
    {"kind": "external_recipients", "action": "warn", "outcome": "sent_anyway", "count": 4},
    {"kind": "lookalike_domain", "action": "warn", "outcome": "monitored", "count": 2}]"#;

fn post(server: &Running, tenant: &str, body: &str) -> in_process::Response {
    server.request("POST", &format!("/v1/tenants/{tenant}/reports"), None, body)
}

fn summary(server: &Running) -> serde_json::Value {
    let answer = server.admin("GET", "/api/v1/tenants/acme/reports?days=7", "");
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()
}

#[test]
fn reports_are_counted_once_per_install_and_day_and_summed_for_the_admin() {
    let server = Running::start(|_| {});
    server.tenant_with_policy("acme");
    let first = post(&server, "acme", &report(&install(1), &today(), COUNTS));
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["stored"], "new");
    // The same day again (a retry, or the day's later total): it replaces, never adds.
    let again = post(&server, "acme", &report(&install(1), &today(), COUNTS));
    assert_eq!(again.json()["stored"], "replaced");
    post(&server, "acme", &report(&install(2), &today(), COUNTS));

    let summary = summary(&server);
    assert_eq!(summary["installs"], 2);
    let daily = summary["daily"].as_array().unwrap();
    let trap = daily.iter().find(|d| d["kind"] == "tld_trap").unwrap();
    assert_eq!(
        (trap["prevented"].as_i64(), trap["overridden"].as_i64()),
        (Some(6), Some(2))
    );
    let rules = summary["rules"].as_array().unwrap();
    assert_eq!(
        rules[0]["kind"], "external_recipients",
        "the noisiest rule first"
    );
    assert_eq!(rules[0]["override_rate"], 1.0);
    let monitored = rules
        .iter()
        .find(|r| r["kind"] == "lookalike_domain")
        .unwrap();
    assert_eq!(monitored["monitored"], 4);
    assert!(monitored["override_rate"].is_null(), "nothing was shown");

    let anonymous = server.request("GET", "/api/v1/tenants/acme/reports", None, "");
    assert_eq!(anonymous.status, 401, "the summary is the admin's");
    assert_eq!(
        server
            .admin("GET", "/api/v1/tenants/acme/reports?days=0", "")
            .status,
        400
    );
    assert_eq!(
        server
            .admin("GET", "/api/v1/tenants/acme/reports?days=7&x=1", "")
            .status,
        400
    );
}

#[test]
fn bad_reports_are_refused_with_the_field_and_nothing_is_stored() {
    let server = Running::start(|_| {});
    server.tenant_with_policy("acme");
    let day = today();
    let refused = |body: &str, status: u16, path: Option<&str>| {
        let answer = post(&server, "acme", body);
        assert_eq!(answer.status, status, "{body}: {}", answer.text());
        if let Some(path) = path {
            assert_eq!(answer.json()["error"]["path"], path, "{body}");
        }
    };
    let id = install(1);
    refused(
        &report(&id, &day, r#", "sender": "colonel.smith@army.mil""#),
        400,
        Some("sender"),
    );
    refused(
        &report(
            &id,
            &day,
            r#", "domains": [{"kind": "tld_trap", "domain": "colonel.smith@army.ml", "count": 1}]"#,
        ),
        400,
        Some("domains[0].domain"),
    );
    refused(
        &report(
            &id,
            &day,
            r#", "counts": [{"kind": "tld_trap", "action": "warn", "outcome": "fixed", "count": 99999999}]"#,
        ),
        400,
        Some("counts[0].count"),
    );
    refused(
        &report(
            &id,
            &day,
            r#", "counts": [{"kind": "tld_trap", "action": "warn", "outcome": "fixed", "count": 1, "recipient": "a@army.ml"}]"#,
        ),
        400,
        Some("counts[0].recipient"),
    );
    refused(
        &format!("{}{}", report(&id, &day, ""), report(&id, &day, "")),
        400,
        None,
    );
    refused(&report("not-random", &day, ""), 400, Some("install_id"));
    refused(&report(&id, "2020-01-01", ""), 400, None);
    refused(
        &report(&id, &day, "").replace("\"policy_version\": 1", "\"policy_version\": 7"),
        400,
        None,
    );
    let padding = "x".repeat(70 * 1024);
    refused(
        &report(
            &id,
            &day,
            &format!(r#", "justifications": [{{"kind": "tld_trap", "text": "{padding}"}}]"#),
        ),
        413,
        None,
    );
    let nobody = post(&server, "nobody", &report(&id, &day, ""));
    assert_eq!(nobody.status, 404, "{}", nobody.text());
    assert_eq!(summary(&server)["installs"], 0, "nothing of it was stored");
}

#[test]
fn reports_are_rate_limited_per_install_and_per_client() {
    let server = Running::start(|c| {
        c.reports_per_install_per_minute = 2;
        c.reports_per_client_per_minute = 5;
        c.trusted_proxies = vec![IpAddr::from([127, 0, 0, 1])];
    });
    server.tenant_with_policy("acme");
    let send = |n: u32, client: &str| {
        let body = report(&install(n), &today(), "");
        let path = "/v1/tenants/acme/reports";
        let forwarded = [("X-Forwarded-For", client)];
        request(
            server.address,
            "POST",
            path,
            None,
            &forwarded,
            body.as_bytes(),
        )
        .status
    };
    let one_install: Vec<u16> = (0..3).map(|_| send(1, "203.0.113.1")).collect();
    assert_eq!(one_install, [200, 200, 429]);
    assert_eq!(
        send(2, "203.0.113.1"),
        200,
        "another install has its own budget"
    );
    // Invented install ids do not escape the client's budget (5 a minute, 4 spent).
    let invented: Vec<u16> = (10..13).map(|n| send(n, "203.0.113.1")).collect();
    assert_eq!(invented, [200, 429, 429]);
    assert_eq!(
        send(20, "198.51.100.2"),
        200,
        "another client behind the proxy"
    );
}

#[test]
fn a_domain_is_named_only_once_k_installs_reported_it_and_one_install_cannot_inflate_it() {
    let server = Running::start(|c| c.report_min_installs = 3);
    server.tenant_with_policy("acme");
    let loud = r#", "domains": [{"kind": "tld_trap", "domain": "army.ml", "count": 10000}]"#;
    let quiet = r#", "domains": [{"kind": "tld_trap", "domain": "army.ml", "count": 1}]"#;
    for (n, members) in [(1, loud), (2, quiet)] {
        assert_eq!(
            post(&server, "acme", &report(&install(n), &today(), members)).status,
            200
        );
    }
    let two = summary(&server);
    assert_eq!(two["domains"].as_array().unwrap().len(), 0, "{two}");
    assert_eq!(two["hidden_domains"], 1);
    post(&server, "acme", &report(&install(3), &today(), quiet));
    let three = summary(&server);
    let domain = &three["domains"][0];
    assert_eq!(domain["domain"], "army.ml");
    assert_eq!(domain["installs"], 3);
    assert_eq!(
        domain["install_days"], 3,
        "10,000 from one install counts once"
    );
    assert_eq!(three["min_installs"], 3);
}

#[test]
fn the_signed_policy_switches_reporting_and_justifications() {
    let server = Running::start(|_| {});
    server.tenant_with_policy("acme");
    let justified =
        r#", "justifications": [{"kind": "tld_trap", "text": "the Mali office asked for it"}]"#;
    let answer = post(&server, "acme", &report(&install(1), &today(), justified));
    assert_eq!(answer.json()["justifications_dropped"], 1, "off by default");
    assert_eq!(
        summary(&server)["justifications"].as_array().unwrap().len(),
        0
    );

    let publish = |policy: &str| {
        let answer = server.admin("POST", "/api/v1/tenants/acme/policy", policy);
        assert_eq!(answer.status, 201, "{}", answer.text());
    };
    publish(r#"{"reporting": {"record_justifications": true}}"#);
    let answer = post(&server, "acme", &report(&install(1), &today(), justified));
    assert_eq!(answer.json()["justifications_dropped"], 0);
    let shown = summary(&server);
    assert_eq!(
        shown["justifications"][0]["text"],
        "the Mali office asked for it"
    );

    publish(r#"{"reporting": {"enabled": false}}"#);
    let off = post(&server, "acme", &report(&install(2), &today(), COUNTS));
    assert_eq!(off.status, 403);
    assert_eq!(off.json()["error"]["code"], "reporting_off");
    assert_eq!(summary(&server)["installs"], 1, "install 2 was not stored");
}

const DAY: i64 = 86_400;
/// 2027-01-15.
const START: i64 = 1_800_000_000;

#[tokio::test]
async fn the_retention_job_deletes_days_past_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let (server, token) =
        published_server(dir.path(), &clock, |c| c.report_retention_days = 30, "{}").await;
    let app = server.router();
    let sent = report(&install(1), &utc_date(START), COUNTS);
    assert_eq!(
        call(&app, "POST", "/v1/tenants/acme/reports", None, &sent)
            .await
            .status,
        200
    );
    let installs = |app: axum::Router, token: String| async move {
        call(
            &app,
            "GET",
            "/api/v1/tenants/acme/reports?days=30",
            Some(&token),
            "",
        )
        .await
        .json()["installs"]
            .clone()
    };

    clock.set(START + 29 * DAY);
    server.run_jobs_once().await;
    clock.set(START);
    assert_eq!(
        installs(app.clone(), token.clone()).await,
        1,
        "kept for 30 days"
    );

    clock.set(START + 30 * DAY);
    server.run_jobs_once().await;
    clock.set(START);
    assert_eq!(
        installs(app.clone(), token.clone()).await,
        0,
        "deleted on day 31"
    );
    clock.set(START + 30 * DAY);
    let late = call(&app, "POST", "/v1/tenants/acme/reports", None, &sent).await;
    assert_eq!(
        late.status,
        400,
        "a day past retention is refused: {}",
        late.json()
    );
}
