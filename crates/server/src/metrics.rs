//! Prometheus metrics, kept as plain atomic counters (a handful of series does not need a
//! metrics library) and rendered in the text exposition format at `/metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Which part of the server a request went to; a fixed set, so labels stay bounded.
#[derive(Debug, Clone, Copy)]
pub enum Area {
    Admin,
    Distribution,
    Console,
    Operations,
}

const AREAS: [&str; 4] = ["admin", "distribution", "console", "operations"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

impl Area {
    pub fn of_path(path: &str) -> Area {
        if path.starts_with("/api/") {
            Area::Admin
        } else if path.starts_with("/v1/") {
            Area::Distribution
        } else if matches!(path, "/healthz" | "/readyz" | "/metrics" | "/openapi.json") {
            Area::Operations
        } else {
            Area::Console
        }
    }
}

#[derive(Default)]
pub struct Metrics {
    requests: [[AtomicU64; 5]; 4],
    pub publishes: AtomicU64,
    pub rate_limited: AtomicU64,
    pub event_streams: AtomicI64,
}

impl Metrics {
    pub fn count_request(&self, area: Area, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[area as usize][class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP sendguard_http_requests_total HTTP requests answered, by area and status class.\n");
        out.push_str("# TYPE sendguard_http_requests_total counter\n");
        for (a, area) in AREAS.iter().enumerate() {
            for (c, class) in CLASSES.iter().enumerate() {
                let n = self.requests[a][c].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "sendguard_http_requests_total{{area=\"{area}\",status=\"{class}\"}} {n}"
                );
            }
        }
        let simple = [
            (
                "sendguard_policy_publishes_total",
                "counter",
                "Policy versions published.",
                self.publishes.load(Ordering::Relaxed) as i64,
            ),
            (
                "sendguard_admin_rate_limited_total",
                "counter",
                "Admin requests refused by the rate limit.",
                self.rate_limited.load(Ordering::Relaxed) as i64,
            ),
            (
                "sendguard_event_streams",
                "gauge",
                "Open policy event streams.",
                self.event_streams.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, value) in simple {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counted_requests() {
        let m = Metrics::default();
        m.count_request(Area::of_path("/v1/tenants/a/policy"), 304);
        m.count_request(Area::of_path("/api/v1/tokens"), 401);
        let text = m.render();
        assert!(
            text.contains("sendguard_http_requests_total{area=\"distribution\",status=\"3xx\"} 1"),
            "{text}"
        );
        assert!(text.contains("sendguard_http_requests_total{area=\"admin\",status=\"4xx\"} 1"));
        assert!(text.contains("sendguard_http_requests_total{area=\"admin\",status=\"2xx\"} 0"));
    }
}
