//! The gateway over real TCP on 127.0.0.1, spoken to as Postfix does: several requests on
//! one connection, each answered by one `action=` line and an empty line.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use sendguard_core::in_force::PolicyInForce;
use sendguard_core::{Engine, Policy};
use sendguard_gateway::{serve, ConfirmStore, Decider, Settings, WarnMode};

/// Starts a gateway with this policy in confirm mode; returns a connection to it.
fn start(policy: &str) -> TcpStream {
    let address = start_with(policy, Settings::default());
    TcpStream::connect(address).unwrap()
}

fn start_with(policy: &str, settings: Settings) -> std::net::SocketAddr {
    let engine = Engine::new(Policy::from_json(policy).unwrap()).unwrap();
    let decider = Arc::new(Decider::new(
        PolicyInForce::plain(engine),
        WarnMode::Confirm,
        ConfirmStore::new(600, 1000),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || serve(listener, decider, settings));
    address
}

/// Sends raw request bytes and reads one reply (up to its empty line).
fn ask_raw(stream: &mut TcpStream, request: &[u8]) -> String {
    stream.write_all(request).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut reply = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "closed: {reply:?}"
        );
        if line == "\n" {
            return reply;
        }
        reply.push_str(&line);
    }
}

fn ask(stream: &mut TcpStream, sender: &str, recipient: &str) -> String {
    let request = format!(
        "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n\
         client_address=127.0.0.1\nsender={sender}\nrecipient={recipient}\n\
         recipient_count=0\nqueue_id=\ninstance=1a2b.3c4d.1\nsize=0\n\n"
    );
    ask_raw(stream, request.as_bytes())
}

#[test]
fn warn_is_refused_then_a_resend_passes_once_and_the_right_domain_passes() {
    let mut c = start("{}");
    let first = ask(&mut c, "alice@example.org", "colonel.smith@army.ml");
    assert!(
        first
            .starts_with("action=REJECT 5.7.1 Check colonel.smith@army.ml: did you mean army.mil?"),
        "{first}"
    );
    assert!(
        first.ends_with("If you meant it, send it again within 10 minutes.\n"),
        "{first}"
    );
    assert_eq!(first.lines().count(), 1, "{first}");
    assert_eq!(
        ask(&mut c, "alice@example.org", "colonel.smith@army.mil"),
        "action=DUNNO\n"
    );
    assert_eq!(
        ask(&mut c, "alice@example.org", "colonel.smith@army.ml"),
        "action=DUNNO\n"
    );
    let again = ask(&mut c, "alice@example.org", "colonel.smith@army.ml");
    assert!(again.starts_with("action=REJECT 5.7.1 Check"), "{again}");
}

#[test]
fn a_blocked_tld_is_refused_without_a_resend_offer() {
    let mut c = start(r#"{"blocked_domains": ["ru"]}"#);
    for _ in 0..2 {
        let reply = ask(&mut c, "alice@example.org", "ivan@mail.ru");
        assert!(reply.starts_with("action=REJECT 5.7.1 "), "{reply}");
        assert!(reply.contains("mail.ru"), "{reply}");
        assert!(!reply.contains("send it again"), "{reply}");
    }
}

#[test]
fn malformed_requests_get_the_fail_mode_answer() {
    let mut c = start("{}");
    let reply = ask_raw(
        &mut c,
        b"request=smtpd_access_policy\nthis is not an attribute\n\n",
    );
    assert_eq!(
        reply,
        "action=DEFER 4.7.1 Try again later: the recipient check could not run.\n"
    );
    // The connection goes on after a well-framed bad request.
    assert_eq!(ask(&mut c, "a@example.org", "b@army.mil"), "action=DUNNO\n");

    let mut c = start(r#"{"fail_mode": "block"}"#);
    let reply = ask_raw(
        &mut c,
        b"request=smtpd_access_policy\nprotocol_state=RCPT\n\n",
    );
    assert_eq!(
        reply,
        "action=REJECT 5.7.1 Contact your administrator: the recipient check could not run.\n"
    );
    let mut huge = b"request=smtpd_access_policy\nrecipient=".to_vec();
    huge.extend(vec![b'x'; 100_000]);
    huge.extend(b"\n\n");
    let reply = ask_raw(&mut c, &huge);
    assert!(reply.starts_with("action=REJECT 5.7.1 Contact"), "{reply}");
}

#[test]
fn connections_beyond_the_cap_are_closed_and_served_again_once_one_ends() {
    let settings = Settings {
        max_connections: 1,
        ..Settings::default()
    };
    let address = start_with("{}", settings);
    let mut first = TcpStream::connect(address).unwrap();
    assert_eq!(
        ask(&mut first, "a@example.org", "b@army.mil"),
        "action=DUNNO\n"
    );
    let mut second = TcpStream::connect(address).unwrap();
    // A guard against hanging, not a timing assertion: a timeout fails the test.
    second
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut byte = [0u8; 1];
    let closed = match std::io::Read::read(&mut second, &mut byte) {
        Ok(n) => n == 0,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(closed, "the second connection is closed without an answer");
    drop(first);
    // The first connection's slot frees once its thread has seen it close; poll (bounded).
    for _ in 0..200 {
        let mut next = TcpStream::connect(address).unwrap();
        let request = b"request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=b@army.mil\n\n";
        // A connection refused at the cap may fail on write or on read: try again.
        if next.write_all(request).is_ok() {
            let mut reply = String::new();
            if BufReader::new(next).read_line(&mut reply).is_ok() && !reply.is_empty() {
                assert_eq!(reply, "action=DUNNO\n");
                return;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the gateway never served a connection again");
}
