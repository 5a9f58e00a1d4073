//! `sendguard gateway` operations through the real binary: a Unix socket, a settings file
//! and environment variables, JSON logs that name addresses only when asked, `/metrics` and
//! `/healthz`, and malformed requests that are answered by the fail mode (never a pass)
//! without stopping the service.

mod gateway_support;

use gateway_support::{get, ops_address, Gateway};

#[test]
fn a_unix_socket_a_settings_file_metrics_health_and_malformed_requests() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"blocked_domains": ["ru"], "fail_mode": "block"}"#,
    )
    .unwrap();
    let socket = dir.path().join("gateway.sock");
    let settings = dir.path().join("gateway.toml");
    std::fs::write(
        &settings,
        format!(
            "listen = \"unix:{}\"\npolicy = \"{}\"\nops_listen = \"127.0.0.1:0\"\nwarn = \"header\"\n",
            socket.display(),
            policy.display()
        ),
    )
    .unwrap();
    let config = settings.to_str().unwrap();
    let mut gateway = Gateway::start_with(dir.path(), "unix", &["--config", config]);
    assert!(gateway.address.starts_with("unix:"), "{}", gateway.address);
    let ops = ops_address(&mut gateway);

    assert!(gateway
        .ask("ivan@mail.ru")
        .starts_with("action=REJECT 5.7.1 Remove"));
    assert!(gateway
        .ask("colonel.smith@army.ml")
        .starts_with("action=PREPEND X-Sendguard-Warning: "));
    assert_eq!(gateway.ask("colonel.smith@army.mil"), "action=DUNNO\n");
    // Malformed: answered by the policy's fail_mode (block: REJECT), logged, never DUNNO;
    // the service goes on.
    let fail =
        "action=REJECT 5.7.1 Contact your administrator: the recipient check could not run.\n";
    for bad in [
        &b"garbage\n\n"[..],
        b"request=smtpd_access_policy\nprotocol_state=RCPT\n\n",
        b"request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=a@b\xff.org\n\n",
        b"request=other\nprotocol_state=RCPT\nrecipient=a@b.org\n\n",
        b"request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=a@b.org\nrecipient=c@d.org\n\n",
        b"request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=a@b.org\n",
    ] {
        assert_eq!(gateway.send(bad), fail, "{}", String::from_utf8_lossy(bad));
    }
    let mut huge = b"request=smtpd_access_policy\nrecipient=".to_vec();
    huge.extend(vec![b'x'; 100_000]);
    assert_eq!(gateway.send(&huge), fail);
    assert_eq!(gateway.ask("colonel.smith@army.mil"), "action=DUNNO\n");

    let (status, health) = get(&ops, "/healthz");
    assert_eq!(status, "HTTP/1.1 200 OK", "{health}");
    let (status, metrics) = get(&ops, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        metrics.contains("sendguard_gateway_answers_total{action=\"REJECT\"} 8"),
        "{metrics}"
    );
    assert!(
        metrics.contains("sendguard_gateway_answers_total{action=\"PREPEND\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("sendguard_gateway_malformed_requests_total 7"),
        "{metrics}"
    );
    assert!(get(&ops, "/other").0.contains("404"));
    let log = gateway.log();
    assert!(!log.contains("ivan") && !log.contains("colonel"), "{log}");
    assert!(log.contains("malformed policy request"), "{log}");
}

#[test]
fn environment_settings_json_logs_and_addresses_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"blocked_domains": ["ru"]}"#).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_sendguard"))
        .args([
            "gateway",
            "--listen",
            "127.0.0.1:0",
            "--log-json",
            "--log-addresses",
        ])
        .env("SENDGUARD_GATEWAY_POLICY", &policy)
        .env("SENDGUARD_GATEWAY_WARN", "hold")
        .stderr(std::fs::File::create(dir.path().join("env.log")).unwrap())
        .spawn()
        .unwrap();
    let mut gateway = Gateway {
        child,
        log: dir.path().join("env.log"),
        address: String::new(),
    };
    let line = gateway.wait_for("listening on ");
    let line: serde_json::Value = serde_json::from_str(&line).unwrap();
    let message = line["message"].as_str().unwrap();
    gateway.address = message.rsplit(' ').next().unwrap().to_string();
    assert!(gateway
        .ask("colonel.smith@army.ml")
        .starts_with("action=HOLD "));
    assert!(gateway.ask("ivan@mail.ru").starts_with("action=REJECT "));
    let log = gateway.log();
    for line in log.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            value["ts"].is_i64() && value["message"].is_string(),
            "{line}"
        );
    }
    assert!(log.contains("recipient=<ivan@mail.ru>"), "{log}");
    assert!(log.contains("sender=<alice@example.org>"), "{log}");
}

#[test]
fn settings_that_cannot_work_stop_the_start_with_their_name() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sendguard"))
        .args(["gateway", "--policy-url", "http://127.0.0.1:1"])
        .env_remove("SENDGUARD_GATEWAY_CONFIG")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("need trust"), "{stderr}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sendguard"))
        .args([
            "gateway",
            "--policy",
            "p.json",
            "--ops-listen",
            "10.1.1.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(64));
}
