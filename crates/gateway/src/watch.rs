//! Keeps the policy fresh while the service runs: a refresh every `poll_interval`, and at
//! once when the server's event stream (`/v1/tenants/{t}/policy/events`, if it offers one)
//! announces a new version. Each outcome is logged; a policy that goes stale is logged once
//! with the fail mode every recipient then gets.

use std::io::BufRead;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use crate::http_get::{self, BaseUrl};
use crate::live::LivePolicy;
use crate::metrics::METRICS;
use crate::refresh::{fail_mode_name, Outcome, Refresher, Source};
use crate::server::{log, unix_now};

/// Runs the refresher for ever on this thread (call it on one of its own).
pub fn keep_fresh(mut refresher: Refresher, live: Arc<LivePolicy>, poll_interval: Duration) {
    let (wake, woken) = mpsc::channel();
    if let Source::Server(base) = refresher.source().clone() {
        let tenant = refresher.tenant().to_string();
        std::thread::spawn(move || listen_for_events(&base, &tenant, wake));
    }
    let mut stale_logged = false;
    loop {
        match woken.recv_timeout(poll_interval) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            // No event stream (or it gave up): polling alone.
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(poll_interval),
        }
        // Events that arrived meanwhile are served by this one refresh.
        while woken.try_recv().is_ok() {}
        let outcome = refresher.refresh(unix_now(), &live);
        report(&outcome, &live);
        let stale = live.get().is_some_and(|p| p.is_stale(unix_now()));
        if stale && !stale_logged {
            if let Some(policy) = live.get() {
                log(format_args!(
                    "the policy in force (version {}) has expired: no check of it runs; every recipient gets the fail_mode `{}` answer until a newer one verifies",
                    policy.version.unwrap_or(0),
                    fail_mode_name(policy.fail_mode())
                ));
            }
        }
        stale_logged = stale;
    }
}

/// Logs and counts one refresh.
pub fn report(outcome: &Outcome, live: &LivePolicy) {
    METRICS.refresh(outcome);
    let kept = match live.get() {
        Some(p) => format!("policy version {} stays in force", p.version.unwrap_or(0)),
        None => "no policy is in force: every recipient gets DEFER (try again later)".into(),
    };
    match outcome {
        Outcome::Updated(version) => log(format_args!("policy version {version} in force")),
        Outcome::Unchanged => {}
        Outcome::Refused(why) => log(format_args!("the fetched policy is refused: {why}; {kept}")),
        Outcome::Failed(why) => log(format_args!("policy not refreshed: {why}; {kept}")),
    }
}

/// Reads the event stream, waking the refresher on each `policy` event; reconnects after a
/// pause; gives up (polling alone) when the server has no stream.
fn listen_for_events(base: &BaseUrl, tenant: &str, wake: Sender<()>) {
    let path = format!("/v1/tenants/{tenant}/policy/events");
    loop {
        // The server comments every 20 s: a minute of silence is a dead stream.
        match http_get::open_stream(base, &path, Duration::from_secs(60)) {
            Ok(Ok(stream)) => {
                for line in std::io::Read::take(stream, MAX_STREAM_BYTES).lines() {
                    let Ok(line) = line else { break };
                    if line.trim_end() == "event: policy" && wake.send(()).is_err() {
                        return;
                    }
                }
            }
            Ok(Err(404)) | Ok(Err(405)) => {
                log(format_args!(
                    "the server offers no policy event stream; polling only"
                ));
                return;
            }
            Ok(Err(status)) => log(format_args!("event stream: the server answered {status}")),
            Err(e) => log(format_args!("event stream: {e}")),
        }
        std::thread::sleep(Duration::from_secs(30));
    }
}

/// A stream is reopened after this many bytes (bounds what one connection can make us read).
const MAX_STREAM_BYTES: u64 = 16 << 20;
