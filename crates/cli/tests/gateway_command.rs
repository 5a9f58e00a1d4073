//! `sendguard gateway` through the real binary: it loads plain and signed policies as
//! `check` does, refuses a bad policy or a non-loopback address before listening, and speaks
//! the Postfix policy protocol on 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// A running gateway, killed on drop.
struct Gateway(Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sendguard(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sendguard"));
    command.arg("gateway").args(args);
    command
}

/// Starts the gateway on a free loopback port; returns it, a connection to it and what it
/// wrote to stderr before listening.
fn start(args: &[&str]) -> (Gateway, TcpStream, String) {
    let mut child = sendguard(&[&["--listen", "127.0.0.1:0", "--no-history"], args].concat())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let gateway = Gateway(child);
    let mut before = String::new();
    for line in stderr.lines().take(10) {
        let line = line.unwrap();
        if let Some(address) = line.strip_prefix("sendguard gateway: listening on ") {
            return (gateway, TcpStream::connect(address).unwrap(), before);
        }
        before.push_str(&line);
        before.push('\n');
    }
    panic!("the gateway did not start: {before}");
}

fn ask(stream: &mut TcpStream, recipient: &str) -> String {
    let request = format!(
        "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=alice@example.org\n\
         recipient={recipient}\n\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let (mut action, mut empty) = (String::new(), String::new());
    reader.read_line(&mut action).unwrap();
    reader.read_line(&mut empty).unwrap();
    assert_eq!(empty, "\n", "one action line, then an empty line");
    action
}

fn failed(output: &Output) -> (i32, String) {
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn vector(name: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/bundles");
    dir.join(name).to_str().unwrap().to_string()
}

#[test]
fn a_plain_policy_with_warnings_as_headers() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"blocked_domains": ["ru"]}"#).unwrap();
    let policy = policy.to_str().unwrap();
    let (_gateway, mut c, _) = start(&["--policy", policy, "--warn", "header"]);
    let warned = ask(&mut c, "colonel.smith@army.ml");
    assert!(
        warned.starts_with("action=PREPEND X-Sendguard-Warning: Check colonel.smith@army.ml"),
        "{warned}"
    );
    let blocked = ask(&mut c, "ivan@mail.ru");
    assert!(blocked.starts_with("action=REJECT 5.7.1 "), "{blocked}");
    assert_eq!(ask(&mut c, "colonel.smith@army.mil"), "action=DUNNO\n");
}

#[test]
fn a_signed_policy_is_verified_before_listening() {
    let keyset = vector("keyset-v1.json");
    // policy-v5 is validly signed but expired by now: in force as stale, so no check of it
    // runs and every recipient gets the could-not-check answer, never a pass.
    let (_gateway, mut c, warnings) = start(&[
        "--policy",
        &vector("policy-v5.json"),
        "--trust",
        &keyset,
        "--tenant",
        "acme",
    ]);
    assert!(warnings.contains("expired"), "{warnings}");
    let answer = ask(&mut c, "colonel.smith@army.mil");
    assert!(answer.starts_with("action=REJECT 5.7.1 "), "{answer}");

    let tampered = sendguard(&[
        "--policy",
        &vector("policy-transplanted-signature.json"),
        "--trust",
        &keyset,
        "--tenant",
        "acme",
    ])
    .output()
    .unwrap();
    let (code, stderr) = failed(&tampered);
    assert_eq!(code, 78, "{stderr}");
    assert!(!stderr.contains("listening"), "{stderr}");
}

#[test]
fn only_loopback_addresses_are_accepted() {
    let output = sendguard(&["--listen", "0.0.0.0:10040", "--policy", "x.json"])
        .output()
        .unwrap();
    let (code, stderr) = failed(&output);
    assert_eq!(code, 64, "{stderr}");
    assert!(stderr.contains("use a loopback address"), "{stderr}");
}
