//! The TCP service: one thread per Postfix connection, at most `max_connections` at once,
//! several requests per connection, a fail-mode answer to every request that cannot be read.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::decide::Decider;
use crate::protocol::{read_request, Limits};

/// Limits of the service.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub limits: Limits,
    /// Connections served at once; more are closed at once (Postfix then applies
    /// `smtpd_policy_service_default_action`).
    pub max_connections: usize,
    /// A connection idle this long is closed (Postfix reconnects when it needs to).
    pub idle_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            limits: Limits::default(),
            max_connections: 100,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// Serves connections from `listener` until accepting fails.
pub fn serve(
    listener: TcpListener,
    decider: Arc<Decider>,
    settings: Settings,
) -> std::io::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                log(format_args!("cannot accept a connection: {e}"));
                continue;
            }
        };
        if active.fetch_add(1, Ordering::SeqCst) >= settings.max_connections {
            active.fetch_sub(1, Ordering::SeqCst);
            log(format_args!(
                "refusing a connection: {} already open (the limit)",
                settings.max_connections
            ));
            drop(stream);
            continue;
        }
        let decider = Arc::clone(&decider);
        let active = Arc::clone(&active);
        std::thread::spawn(move || {
            if let Err(e) = serve_stream(stream, &decider, &settings) {
                log(format_args!("connection ended: {e}"));
            }
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

fn serve_stream(stream: TcpStream, decider: &Decider, settings: &Settings) -> std::io::Result<()> {
    stream.set_read_timeout(Some(settings.idle_timeout))?;
    stream.set_write_timeout(Some(settings.idle_timeout))?;
    let reader = BufReader::new(stream.try_clone()?);
    let served = serve_connection(reader, &stream, decider, &settings.limits, unix_now);
    // After a broken frame the peer may still be sending; closing with unread input would
    // reset the connection and could destroy the answer before the peer reads it. So: end
    // our side, then discard what remains, bounded in bytes and time.
    let _ = stream.shutdown(Shutdown::Write);
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    let _ = std::io::copy(&mut (&stream).take(DRAIN_LIMIT), &mut std::io::sink());
    served
}

/// The most bytes read and discarded after the last answer on a connection.
const DRAIN_LIMIT: u64 = 1 << 20;

/// Answers requests from `reader` on `writer` until the peer closes or a request breaks the
/// framing (then the fail-mode answer is sent and the connection closed).
pub fn serve_connection(
    mut reader: impl BufRead,
    mut writer: impl Write,
    decider: &Decider,
    limits: &Limits,
    now: impl Fn() -> i64,
) -> std::io::Result<()> {
    loop {
        let (action, go_on) = match read_request(&mut reader, limits) {
            Ok(None) => return Ok(()),
            Ok(Some(request)) => match decider.decide(&request, now()) {
                Ok(action) => (action, true),
                Err(reason) => (failed(decider, &reason), true),
            },
            // Nothing can be answered on a failed connection; Postfix sees it close and
            // asks again (or applies smtpd_policy_service_default_action).
            Err(e) if e.io_failed => return Err(std::io::Error::other(e.reason)),
            Err(e) => (failed(decider, &e.reason), e.at_boundary),
        };
        writer.write_all(action.to_reply().as_bytes())?;
        writer.flush()?;
        if !go_on {
            return Ok(());
        }
    }
}

fn failed(decider: &Decider, reason: &str) -> crate::PolicyAction {
    let action = decider.fail_action();
    log(format_args!(
        "malformed policy request ({reason}); answered {} by the policy's fail_mode",
        action.name()
    ));
    action
}

/// One log line on stderr. A closed stderr must not stop the service (`eprintln!` would
/// panic), so a failed write is ignored.
pub fn log(message: std::fmt::Arguments) {
    let _ = writeln!(std::io::stderr().lock(), "sendguard gateway: {message}");
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confirm::ConfirmStore;
    use crate::decide::WarnMode;
    use sendguard_core::in_force::PolicyInForce;
    use sendguard_core::{Engine, Policy};

    /// The built-in policy, warnings confirmed by resending.
    fn decider() -> Decider {
        let engine = Engine::new(Policy::default()).unwrap();
        let policy = PolicyInForce::plain(engine);
        Decider::new(policy, WarnMode::Confirm, ConfirmStore::new(600, 10))
    }

    fn run(input: &[u8]) -> String {
        let mut out = Vec::new();
        serve_connection(input, &mut out, &decider(), &Limits::default(), || 1000).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_answer_per_request_and_a_fail_answer_for_a_bad_one() {
        let out = run(
            b"request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=a@army.mil\n\n\
                        garbage\n\n\
                        request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=b@army.mil\n\n",
        );
        assert_eq!(
            out,
            "action=DUNNO\n\n\
             action=DEFER 4.7.1 Try again later: the recipient check could not run.\n\n\
             action=DUNNO\n\n"
        );
    }

    #[test]
    fn a_broken_frame_gets_the_fail_answer_and_ends_the_connection() {
        let mut input = b"recipient=".to_vec();
        input.extend(vec![b'x'; 5000]);
        input.extend(
            b"\n\nrequest=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=b@army.mil\n\n",
        );
        let out = run(&input);
        assert_eq!(
            out,
            "action=DEFER 4.7.1 Try again later: the recipient check could not run.\n\n"
        );
        let out = run(b"request=smtpd_access_policy\nrecipient=a@army.mil\n");
        assert!(out.starts_with("action=DEFER"), "{out}");
    }

    /// A reader that times out, as an idle connection does.
    struct Idle;
    impl std::io::Read for Idle {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::WouldBlock.into())
        }
    }

    #[test]
    fn an_idle_timeout_closes_without_a_stray_answer() {
        let mut out = Vec::new();
        let reader = std::io::BufReader::new(Idle);
        let result = serve_connection(reader, &mut out, &decider(), &Limits::default(), || 0);
        assert!(result.is_err());
        assert!(out.is_empty());
    }
}
