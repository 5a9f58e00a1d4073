//! Stalling the server (issue 13, item 3): idle and slow sockets, a flood of requests and
//! huge declared bodies must never keep distribution, the admin API or `/healthz` from
//! answering. Loopback only; every count is bounded, and nothing is timed: waits only bound
//! how long a test may hang.

mod in_process;

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use in_process::{closed_by_server, read_response, try_request, Running};

#[test]
fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    let server = Running::start(|c| c.header_timeout_secs = 1);
    let mut idle = TcpStream::connect(server.address).unwrap();
    assert!(
        closed_by_server(&mut idle),
        "a silent connection stays open"
    );

    // One byte every 200 ms: the head would take 10 s to arrive.
    let mut slow = TcpStream::connect(server.address).unwrap();
    let head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaaaaaaa\r\n\r\n";
    let mut cut_off = false;
    for byte in head {
        if slow.write_all(&[*byte]).is_err() {
            cut_off = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(cut_off || closed_by_server(&mut slow));
    let mut answer = Vec::new();
    let _ = std::io::Read::read_to_end(&mut slow, &mut answer);
    assert!(
        !String::from_utf8_lossy(&answer).contains("200 OK"),
        "the trickled request was served"
    );
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    let server = Running::start(|_| {});
    server.tenant_with_policy("acme");
    let mut stream = TcpStream::connect(server.address).unwrap();
    write!(
        stream,
        "POST /api/v1/tenants/acme/policy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Length: 99000000000\r\n\r\n{{",
        server.token
    )
    .unwrap();
    let refused = read_response(&mut stream);
    assert_eq!(refused.status, 413, "{}", refused.text());
    assert_eq!(refused.json()["error"]["code"], "too_large");
    assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        server
            .admin("GET", "/api/v1/tenants/acme/history", "")
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// What a flooding client records when the server cut its connection to make room.
const CUT_OFF: u16 = 0;

/// One GET of a flooding client: the status, or [`CUT_OFF`] when the server reset the
/// connection (a flood may be shed; hanging past the test's patience still fails).
fn flooding_request(address: std::net::SocketAddr, path: &str, token: Option<&str>) -> u16 {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionRefused, ConnectionReset};
    match try_request(address, "GET", path, token, &[], b"") {
        Ok(response) => response.status,
        Err(e)
            if [
                ConnectionReset,
                ConnectionAborted,
                BrokenPipe,
                ConnectionRefused,
            ]
            .contains(&e.kind()) =>
        {
            CUT_OFF
        }
        Err(e) => panic!("a flooding request to {path} got no answer: {e}"),
    }
}

#[test]
fn distribution_and_admin_answer_through_idle_slow_and_flooding_clients() {
    let server = Running::start(|c| {
        c.max_connections = 48;
        c.header_timeout_secs = 5;
        c.admin_failed_attempts_per_minute = 20;
    });
    server.tenant_with_policy("acme");
    let address = server.address;

    // More silent sockets than the server takes connections.
    let idle: Vec<TcpStream> = (0..80)
        .map(|_| TcpStream::connect(address).unwrap())
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    // Slow clients: each keeps sending a byte of a head that never ends.
    let slow: Vec<_> = (0..8)
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut sent = 0;
                while !done.load(Ordering::Relaxed) && sent < 200 {
                    let Ok(mut stream) = TcpStream::connect(address) else {
                        continue;
                    };
                    let _ = stream.write_all(b"GET /v1/tenants/acme/policy HTTP/1.1\r\n");
                    while !done.load(Ordering::Relaxed)
                        && stream.write_all(b"X-Slow: 1\r\n").is_ok()
                        && sent < 200
                    {
                        sent += 1;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            })
        })
        .collect();
    // Flooding clients: policy GETs and admin calls without a token, as fast as they go.
    let flood: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                for i in 0..150 {
                    let (path, token) = match i % 3 {
                        0 => ("/api/v1/tenants", None),
                        _ => ("/v1/tenants/acme/policy", None),
                    };
                    statuses.push(flooding_request(address, path, token));
                }
                statuses
            })
        })
        .collect();

    for _ in 0..5 {
        let policy = server.get("/v1/tenants/acme/policy");
        assert_eq!(policy.status, 200, "{}", policy.text());
        let admin = server.admin("GET", "/api/v1/tenants", "");
        assert_eq!(admin.status, 200, "{}", admin.text());
        assert_eq!(server.get("/healthz").status, 200);
    }
    let flooded: Vec<u16> = flood.into_iter().flat_map(|t| t.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    for thread in slow {
        thread.join().unwrap();
    }
    assert!(
        flooded.contains(&200),
        "the flood's policy GETs are served too"
    );
    assert!(
        flooded.contains(&429),
        "the flood's failed admin attempts are limited: {flooded:?}"
    );
    assert!(
        flooded
            .iter()
            .all(|s| [CUT_OFF, 200, 401, 429, 503].contains(s)),
        "{flooded:?}"
    );
    drop(idle);
    let after = server.admin("GET", "/api/v1/whoami", "");
    assert_eq!(after.status, 200, "the admin is never limited by the flood");
}

#[test]
fn event_streams_outlive_the_header_timeout_and_still_get_publishes() {
    let server = Running::start(|c| c.header_timeout_secs = 1);
    server.tenant_with_policy("acme");
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream.set_read_timeout(Some(in_process::PATIENCE)).unwrap();
    write!(
        stream,
        "GET /v1/tenants/acme/policy/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut seen = String::new();
    let mut read_until = |needle: &str, seen: &mut String| {
        let mut buffer = [0u8; 4096];
        while !seen.contains(needle) {
            let n = std::io::Read::read(&mut stream, &mut buffer).unwrap();
            assert!(n > 0, "the stream closed before {needle}: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    };
    read_until("\"version\":1", &mut seen);
    // Three header timeouts pass with the stream quiet.
    std::thread::sleep(Duration::from_secs(3));
    let published = server.admin(
        "POST",
        "/api/v1/tenants/acme/policy",
        r#"{"internal_domains": ["later.example"]}"#,
    );
    assert_eq!(published.status, 201);
    read_until("\"version\":2", &mut seen);
}
