//! The service: one thread per Postfix connection (TCP on loopback, or a Unix socket), at
//! most `max_connections` at once, several requests per connection, a fail-mode answer to
//! every request that cannot be read.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::decide::Decider;
use crate::metrics::METRICS;
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

/// Where Postfix reaches the service.
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// One accepted connection, TCP or Unix.
trait Connection: Read + Write + Send + Sized + 'static {
    fn set_timeouts(&self, timeout: Duration) -> std::io::Result<()>;
    fn duplicate(&self) -> std::io::Result<Self>;
    fn end_writing(&self);
}

macro_rules! connection {
    ($stream:ty) => {
        impl Connection for $stream {
            fn set_timeouts(&self, timeout: Duration) -> std::io::Result<()> {
                self.set_read_timeout(Some(timeout))?;
                self.set_write_timeout(Some(timeout))
            }
            fn duplicate(&self) -> std::io::Result<Self> {
                self.try_clone()
            }
            fn end_writing(&self) {
                let _ = self.shutdown(Shutdown::Write);
            }
        }
    };
}
connection!(TcpStream);

/// Answers are small and awaited one at a time: sent at once, never held for coalescing.
fn no_delay(stream: &TcpStream) {
    let _ = stream.set_nodelay(true);
}
connection!(UnixStream);

/// Serves connections from `listener` until accepting fails.
pub fn serve(
    listener: impl Into<Listener>,
    decider: Arc<Decider>,
    settings: Settings,
) -> std::io::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    match listener.into() {
        Listener::Tcp(listener) => {
            for stream in listener.incoming() {
                if let Ok(stream) = &stream {
                    no_delay(stream);
                }
                admit(stream, &active, &decider, settings);
            }
        }
        Listener::Unix(listener) => {
            for stream in listener.incoming() {
                admit(stream, &active, &decider, settings);
            }
        }
    }
    Ok(())
}

impl From<TcpListener> for Listener {
    fn from(listener: TcpListener) -> Self {
        Listener::Tcp(listener)
    }
}

impl From<UnixListener> for Listener {
    fn from(listener: UnixListener) -> Self {
        Listener::Unix(listener)
    }
}

/// Serves one accepted connection on its own thread, within the connection cap.
fn admit<C: Connection>(
    stream: std::io::Result<C>,
    active: &Arc<AtomicUsize>,
    decider: &Arc<Decider>,
    settings: Settings,
) {
    let stream = match stream {
        Ok(stream) => stream,
        Err(e) => {
            log(format_args!("cannot accept a connection: {e}"));
            return;
        }
    };
    if active.fetch_add(1, Ordering::SeqCst) >= settings.max_connections {
        active.fetch_sub(1, Ordering::SeqCst);
        METRICS.connection_refused();
        log(format_args!(
            "refusing a connection: {} already open (the limit)",
            settings.max_connections
        ));
        return;
    }
    let decider = Arc::clone(decider);
    let active = Arc::clone(active);
    METRICS.connection_opened();
    std::thread::spawn(move || {
        if let Err(e) = serve_stream(stream, &decider, &settings) {
            log(format_args!("connection ended: {e}"));
        }
        METRICS.connection_closed();
        active.fetch_sub(1, Ordering::SeqCst);
    });
}

fn serve_stream<C: Connection>(
    stream: C,
    decider: &Decider,
    settings: &Settings,
) -> std::io::Result<()> {
    stream.set_timeouts(settings.idle_timeout)?;
    let reader = BufReader::new(stream.duplicate()?);
    let mut writer = stream.duplicate()?;
    let served = serve_connection(reader, &mut writer, decider, &settings.limits, unix_now);
    // After a broken frame the peer may still be sending; closing with unread input would
    // reset the connection and could destroy the answer before the peer reads it. So: end
    // our side, then discard what remains, bounded in bytes and time.
    stream.end_writing();
    stream.set_timeouts(Duration::from_secs(1))?;
    let _ = std::io::copy(&mut stream.take(DRAIN_LIMIT), &mut std::io::sink());
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
        METRICS.answer(action.name());
        writer.write_all(action.to_reply().as_bytes())?;
        writer.flush()?;
        if !go_on {
            return Ok(());
        }
    }
}

fn failed(decider: &Decider, reason: &str) -> crate::PolicyAction {
    let action = decider.fail_action();
    METRICS.malformed();
    log(format_args!(
        "malformed policy request ({reason}); answered {} by the policy's fail_mode",
        action.name()
    ));
    action
}

pub use crate::logging::log;

pub fn unix_now() -> i64 {
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
