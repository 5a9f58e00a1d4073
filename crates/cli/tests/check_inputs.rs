//! `sendguard check` on hostile inputs, through the real binary: JSON Lines with a line that is
//! not UTF-8 or holds two objects, `.eml` files hiding a recipient, a policy file with a second
//! object after the first, a history file with a line that is not an entry.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BLOCK: i32 = 2;
const BAD_INPUT: i32 = 65;
const BAD_POLICY: i32 = 78;

fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("sendguard-check-{name}-"))
        .tempdir()
        .unwrap()
}

fn check(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sendguard"))
        .arg("check")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn json_lines_go_on_after_a_bad_line_in_order() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"to\": [\"a@example.org\"]}\n");
    input.extend_from_slice(b"{\"to\": [\"b@example.org\"], \"subject\": \"caf\xe9\"}\n");
    input.extend_from_slice(b"{\"to\": [\"a@army.mil\"]}{\"to\": [\"colonel.smith@army.ml\"]}\n");
    input.extend_from_slice(b"[]\n");
    input.extend_from_slice(b"{\"to\": [\"colonel.smith@army.ml\"]}\n");
    let out = check(&["--format", "json", "-"], &input);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert_eq!(lines[0]["action"], "allow");
    assert_eq!(lines[1]["error"]["code"], "bad_draft");
    assert!(lines[1]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("line 2: not UTF-8"));
    assert!(lines[2]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("only one JSON object"));
    assert!(lines[3]["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("line 4"));
    assert_eq!(lines[4]["action"], "warn");
    assert_eq!(out.status.code(), Some(BAD_INPUT));
}

#[test]
fn eml_with_a_hidden_recipient_blocks() {
    let dir = scratch("eml");
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"internal_domains": ["army.mil"], "blocked_domains": ["ml"]}"#,
    )
    .unwrap();
    for (name, headers) in [
        (
            "backslash.eml",
            "To: \"x\\\" <colonel.smith@army.mil> \" <colonel.smith@army.ml>\r\n",
        ),
        (
            "encoded.eml",
            "To: =?utf-8?Q?x=5C=22_=3Ccolonel=2Esmith=40army=2Emil=3E_?= <colonel.smith@army.ml>\r\n",
        ),
        ("two-angles.eml", "To: <a@army.mil> <colonel.smith@army.ml>\r\n"),
        ("after-angle.eml", "To: <a@army.mil> colonel.smith@army.ml\r\n"),
        ("second-to.eml", "To: colonel.smith@army.ml\r\nTo: a@army.mil\r\n"),
        ("resent.eml", "To: a@army.mil\r\nResent-To: colonel.smith@army.ml\r\n"),
    ] {
        let path = dir.path().join(name);
        let eml = format!("From: alice@army.mil\r\n{headers}Subject: plan\r\n\r\nHello.\r\n");
        std::fs::write(&path, eml).unwrap();
        let out = check(
            &["--policy", policy.to_str().unwrap(), path.to_str().unwrap()],
            b"",
        );
        assert_eq!(
            out.status.code(),
            Some(BLOCK),
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn a_policy_with_a_second_object_is_refused() {
    let dir = scratch("policy");
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        "{}\n{\"blocked_domains\": [\"ml\"], \"fail_mode\": \"block\"}\n",
    )
    .unwrap();
    let out = check(&["--policy", policy.to_str().unwrap(), "-"], b"");
    assert_eq!(out.status.code(), Some(BAD_POLICY));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("only one JSON object"), "{stderr}");
}

#[test]
fn a_history_file_feeds_the_checks_and_bad_lines_are_skipped() {
    let dir = scratch("history");
    let history = dir.path().join("history.txt");
    std::fs::write(
        &history,
        "#sendguard-history 1\njohn.smith@lockheedmartin.com\t12\t20400\tJohn Smith\nnot a line\n",
    )
    .unwrap();
    let history = history.to_str().unwrap();
    let draft = b"{\"to\": [\"jon.smith@lockheedmartin.com\"]}\n";
    let out = check(&["--format", "json", "--history", history, "-"], draft);
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["findings"][0]["kind"], "lookalike_address");
    assert_eq!(
        verdict["findings"][0]["fix"],
        "john.smith@lockheedmartin.com"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ignoring 1 line(s)"), "{stderr}");
    // Without the history the same draft is quiet; a missing file is a clear error.
    let quiet = check(&["--format", "json", "-"], draft);
    let verdict: serde_json::Value = serde_json::from_slice(&quiet.stdout).unwrap();
    assert_eq!(verdict["action"], "allow");
    let missing = check(&["--history", "/nonexistent/history.txt", "-"], draft);
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/history.txt")
    );
    assert_ne!(missing.status.code(), Some(0));
}
