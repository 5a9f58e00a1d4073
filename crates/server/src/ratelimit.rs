//! Rate limiting for the admin API: token buckets, one per key. The admin API keeps two sets
//! with separate budgets: requests with a valid token (per token) and requests without one
//! (per client), so a flood of failed attempts never uses up an admin's allowance. The
//! client is the socket's address, or the one a trusted reverse proxy names.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::HeaderMap;

pub struct RateLimiter<K> {
    per_minute: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets idle this long are full again and can be forgotten.
const FORGET_AFTER_SECS: f64 = 120.0;
/// Past this many buckets, full ones are forgotten (bounds memory under a flood of clients).
const MAX_BUCKETS: usize = 10_000;

impl<K: Hash + Eq> RateLimiter<K> {
    pub fn new(per_minute: u32) -> RateLimiter<K> {
        RateLimiter {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket; `false` when it is empty.
    pub fn allow(&self, key: K, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > MAX_BUCKETS {
            buckets.retain(|_, b| now.duration_since(b.updated).as_secs_f64() < FORGET_AFTER_SECS);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.per_minute,
            updated: now,
        });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * self.per_minute / 60.0;
        bucket.tokens = (bucket.tokens + refill).min(self.per_minute);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The client behind a request (see [`client_address`]); a request without a socket (a test
/// through the router) counts as `0.0.0.0`.
pub fn client_of(request: &axum::extract::Request, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    client_address(peer, request.headers(), trusted_proxies)
}

/// The client behind a request: the socket's peer, unless that is a trusted proxy; then the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries further
/// left were written by the client and prove nothing).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(address) if trusted_proxies.contains(&address) => continue,
            Ok(address) => return address,
            // Not an address: the proxy did not write it; the proxy is all we know.
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn empties_then_refills() {
        let limiter = RateLimiter::new(2);
        let (a, b) = (IpAddr::from([127, 0, 0, 1]), IpAddr::from([127, 0, 0, 2]));
        let t0 = Instant::now();
        assert!(limiter.allow(a, t0) && limiter.allow(a, t0));
        assert!(!limiter.allow(a, t0));
        assert!(limiter.allow(b, t0), "buckets are per client");
        assert!(
            limiter.allow(a, t0 + Duration::from_secs(30)),
            "one token back after 30 s at 2/min"
        );
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let proxy = IpAddr::from([10, 0, 0, 1]);
        let other_proxy = IpAddr::from([10, 0, 0, 2]);
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "1.1.1.1, 203.0.113.9".parse().unwrap());
        headers.append("x-forwarded-for", "10.0.0.2".parse().unwrap());
        let client = IpAddr::from([203, 0, 113, 9]);
        assert_eq!(
            client_address(proxy, &headers, &[proxy, other_proxy]),
            client
        );
        assert_eq!(
            client_address(client, &headers, &[proxy]),
            client,
            "a client that is no proxy cannot name another client"
        );
        assert_eq!(client_address(proxy, &HeaderMap::new(), &[proxy]), proxy);
        let mut garbage = HeaderMap::new();
        garbage.insert("x-forwarded-for", "nonsense".parse().unwrap());
        assert_eq!(client_address(proxy, &garbage, &[proxy]), proxy);
    }
}
