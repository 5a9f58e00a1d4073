//! The operations listener (loopback only): `GET /metrics` (Prometheus text) and
//! `GET /healthz` (200 while a current policy is in force, else 503 with the reason).
//! One connection at a time, each bounded in bytes and seconds: it serves a scraper, not
//! the public.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use crate::live::LivePolicy;
use crate::metrics::METRICS;
use crate::server::{log, unix_now};

const MAX_HEAD: u64 = 8 * 1024;

/// Serves until accepting fails.
pub fn serve_ops(listener: TcpListener, live: Arc<LivePolicy>) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                if let Err(e) = answer(stream, &live) {
                    log(format_args!("operations request: {e}"));
                }
            }
            Err(e) => log(format_args!("operations listener: cannot accept: {e}")),
        }
    }
}

fn answer(stream: TcpStream, live: &LivePolicy) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    let mut reader = BufReader::new((&stream).take(MAX_HEAD));
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The rest of the head, up to the empty line (bounded by `take`).
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 && line.trim_end() != "" {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, body) = match (method, path) {
        ("GET", "/metrics") => ("200 OK", METRICS.render(live, unix_now())),
        ("GET", "/healthz") => health(live),
        ("GET", _) => ("404 Not Found", "not found\n".to_string()),
        _ => ("405 Method Not Allowed", "only GET\n".to_string()),
    };
    let content_type = if path == "/metrics" {
        "text/plain; version=0.0.4"
    } else {
        "text/plain; charset=utf-8"
    };
    write!(
        &stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    Ok(())
}

fn health(live: &LivePolicy) -> (&'static str, String) {
    match live.get() {
        None => (
            "503 Service Unavailable",
            "no verified policy yet: every recipient gets DEFER\n".into(),
        ),
        Some(p) if p.is_stale(unix_now()) => (
            "503 Service Unavailable",
            "the policy in force has expired: every recipient gets the fail-mode answer\n".into(),
        ),
        Some(p) => match p.version {
            Some(v) => ("200 OK", format!("ok: policy version {v}\n")),
            None => ("200 OK", "ok: local policy\n".into()),
        },
    }
}
