//! The gateway's anonymous counts reach a real `sendguard serve` on 127.0.0.1 (issue 15): a
//! block, a warning confirmed by resending and one left unconfirmed are counted as the
//! sender met them, sent at a graceful shutdown and then on the interval by a restarted
//! gateway (the same install, its unsent counts kept), and nothing of any address reaches the
//! server. With `--no-report`, or a local policy file, nothing is kept or sent.

mod gateway_support;
#[path = "../../server/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use gateway_support::{get, ops_address, Gateway};
use support::Server;

/// `mail.ru` is blocked; `army.ml` is the built-in TLD trap (a warning).
const POLICY: &str = r#"{"blocked_domains": ["mail.ru"]}"#;

/// A server with acme's policy, and the gateway's arguments to use it with `state` and `extra`.
fn server_and_gateway_args(dir: &Path, state: &Path, extra: &[&str]) -> (Server, Vec<String>) {
    let (server, pinned) = server_with_policy(dir);
    let url = format!("http://{}", server.address);
    let args: Vec<String> = [
        "--policy-url",
        &url,
        "--trust",
        &pinned,
        "--tenant",
        "acme",
        "--state-dir",
        state.to_str().unwrap(),
    ]
    .iter()
    .chain(extra)
    .map(|a| a.to_string())
    .collect();
    (server, args)
}

fn server_with_policy(dir: &Path) -> (Server, String) {
    // Domains are named to admins once this many installs reported them: one here.
    let server = Server::start(
        &dir.join("server-data"),
        None,
        &[("SENDGUARD_REPORT_MIN_INSTALLS", "1")],
    );
    server.create_tenant("acme");
    let published = server.publish("acme", POLICY);
    assert!(published.status < 300, "{}", published.text());
    let keyset = server.get("/v1/tenants/acme/keyset");
    assert_eq!(keyset.status, 200);
    let pinned = dir.join("pinned-keyset.json");
    std::fs::write(&pinned, &keyset.body).unwrap();
    (server, pinned.to_str().unwrap().to_string())
}

fn summary(server: &Server) -> serde_json::Value {
    let answer = server.admin("GET", "/api/v1/tenants/acme/reports?days=7", "");
    assert_eq!(answer.status, 200, "{}", answer.text());
    serde_json::from_slice(&answer.body).unwrap()
}

/// The summary's (prevented, overridden, monitored) for one finding kind over the window.
fn fates(summary: &serde_json::Value, kind: &str) -> (i64, i64, i64) {
    let rows = summary["daily"].as_array().unwrap();
    rows.iter()
        .filter(|r| r["kind"] == kind)
        .fold((0, 0, 0), |(p, o, m), r| {
            (
                p + r["prevented"].as_i64().unwrap(),
                o + r["overridden"].as_i64().unwrap(),
                m + r["monitored"].as_i64().unwrap(),
            )
        })
}

/// Asks for SIGTERM, as a service manager stops the gateway, and waits for it to end.
fn stop_gracefully(gateway: &mut Gateway) {
    let pid = gateway.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    while gateway.child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "still running:\n{}",
            gateway.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The parts of the addresses asked about that must never reach the server.
const ADDRESS_PARTS: [&str; 4] = ["alice", "ivan", "colonel", "olga"];

#[test]
fn the_gateways_counts_arrive_at_the_server_without_an_address() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (server, args) = server_and_gateway_args(dir.path(), &state, &["--warn", "confirm"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut gateway = Gateway::start(dir.path(), "first", &args);
    gateway.assert_logged("anonymous counts go to");
    gateway.wait_for("policy version 1 in force");
    assert!(gateway
        .ask("ivan@mail.ru")
        .starts_with("action=REJECT 5.7.1 "));
    let typo = "colonel.smith@army.ml";
    assert!(gateway
        .ask(typo)
        .ends_with("send it again within 10 minutes.\n"));
    assert_eq!(
        gateway.ask(typo),
        "action=DUNNO\n",
        "confirmed: sent anyway"
    );
    // Refused and not resent before the gateway stops: the mail did not go.
    assert!(gateway
        .ask("olga@army.ml")
        .starts_with("action=REJECT 5.7.1 "));
    assert_eq!(gateway.ask("olga@example.org"), "action=DUNNO\n");
    assert_eq!(
        summary(&server)["installs"],
        0,
        "nothing is sent before the hour"
    );

    stop_gracefully(&mut gateway);
    gateway.assert_logged("shutting down: 1 daily count reports sent");
    let sent = summary(&server);
    assert_eq!(sent["installs"], 1);
    assert_eq!(fates(&sent, "blocked_domain"), (1, 0, 0));
    assert_eq!(
        fates(&sent, "tld_trap"),
        (1, 1, 0),
        "one cancelled (prevented), one sent anyway (overridden)"
    );
    let domains = sent["domains"].as_array().unwrap();
    assert_eq!(domains.len(), 1, "{sent}");
    assert_eq!(
        (domains[0]["kind"].as_str(), domains[0]["domain"].as_str()),
        (Some("tld_trap"), Some("army.ml"))
    );
    assert!(!sent.to_string().contains('@'), "{sent}");

    // Restarted with a short interval: the same install id, today's counts kept and added to
    // (the server replaces a day's report, so a restart must not send a smaller one).
    let fast = [
        &args[..],
        &["--report-interval", "1s", "--ops-listen", "127.0.0.1:0"],
    ]
    .concat();
    let mut gateway = Gateway::start(dir.path(), "second", &fast);
    let ops = ops_address(&mut gateway);
    assert!(gateway
        .ask("ivan@mail.ru")
        .starts_with("action=REJECT 5.7.1 "));
    let deadline = Instant::now() + Duration::from_secs(60);
    let later = loop {
        let later = summary(&server);
        if fates(&later, "blocked_domain") == (2, 0, 0) {
            break later;
        }
        assert!(Instant::now() < deadline, "{later}\n{}", gateway.log());
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(later["installs"], 1, "one gateway, one install");
    assert_eq!(fates(&later, "tld_trap"), (1, 1, 0));
    let accepted = "sendguard_gateway_reports_total{result=\"accepted\"} 1";
    let deadline = Instant::now() + Duration::from_secs(60);
    while !get(&ops, "/metrics").1.contains(accepted) {
        assert!(Instant::now() < deadline, "{}", get(&ops, "/metrics").1);
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(gateway);

    // Nothing the server keeps holds any part of an address the gateway was asked about.
    for entry in std::fs::read_dir(dir.path().join("server-data")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for part in ADDRESS_PARTS {
                assert!(!text.contains(part), "{part} in {}", path.display());
            }
        }
    }
    let kept = std::fs::read_to_string(state.join("reports.json")).unwrap();
    assert!(!kept.contains('@'), "{kept}");
}

#[test]
fn no_report_or_a_local_policy_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let quiet = ["--no-report", "--report-interval", "1s"];
    let (server, args) = server_and_gateway_args(dir.path(), &state, &quiet);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut gateway = Gateway::start(dir.path(), "silent", &args);
    gateway.wait_for("policy version 1 in force");
    gateway.assert_logged("reporting is off");
    assert!(gateway
        .ask("ivan@mail.ru")
        .starts_with("action=REJECT 5.7.1 "));
    assert!(gateway
        .ask("colonel.smith@army.ml")
        .starts_with("action=REJECT"));
    // Several intervals pass, then a stop: still nothing.
    std::thread::sleep(Duration::from_secs(3));
    stop_gracefully(&mut gateway);
    // The server logs each request's path (the gateway's policy fetch shows), none a report.
    assert!(server.logs().contains("/v1/tenants/acme/policy"));
    assert!(
        !server.logs().contains("/v1/tenants/acme/reports"),
        "no report request reached the server:\n{}",
        server.logs()
    );
    assert_eq!(summary(&server)["installs"], 0);
    assert!(!state.join("reports.json").exists());
    assert!(!state.join("report-install-id").exists());

    // A local policy file: there is no server to send to, said once at start.
    let file = dir.path().join("policy.json");
    std::fs::write(&file, POLICY).unwrap();
    let local = Gateway::start(dir.path(), "local", &["--policy", file.to_str().unwrap()]);
    local.assert_logged("no counts are sent: the policy comes from a local file or folder");
    assert!(local
        .ask("ivan@mail.ru")
        .starts_with("action=REJECT 5.7.1 "));
    assert!(!dir.path().join("local-state").join("reports.json").exists());
}
