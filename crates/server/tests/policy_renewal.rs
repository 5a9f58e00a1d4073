//! Bundles never lapse on a healthy server: with the clock moved day by day to day 40 and no
//! admin action after the first publish, the renewal job keeps re-signing the same policy as
//! new versions, history marks them as renewals, and a client following the protocol
//! (`bundle::verify` with the version it holds) accepts each one. In-process server with a
//! `ManualClock`; requests go through the router.

mod router;

use std::sync::Arc;

use router::{call, published_server};
use sendguard_core::bundle::{self, HeldPolicy};
use sendguard_core::keyset;
use sendguard_server::clock::ManualClock;
use sendguard_server::{Config, Server};

const DAY: i64 = 86_400;
/// 2027-01-15: any fixed start works; the keyset (a year) outlives the test's 40 days.
const START: i64 = 1_800_000_000;
const POLICY: &str =
    "{\n  \"internal_domains\": [\"acme.example\"],\n  \"actions\": {\"tld_trap\": \"block\"}\n}\n";

async fn pinned_keyset(app: &axum::Router, now: i64) -> keyset::Keyset {
    let bytes = call(app, "GET", "/v1/tenants/acme/keyset", None, "")
        .await
        .body;
    keyset::verify_pinned(&bytes, "acme", now).unwrap()
}

#[tokio::test]
async fn day_40_still_serves_a_valid_bundle_of_the_same_policy_with_no_admin_action() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let (server, token) = published_server(dir.path(), &clock, |_| {}, POLICY).await;
    let app = server.router();
    let trusted = pinned_keyset(&app, START).await;

    // A client that checks every day, by the protocol: verify against the pinned keyset and
    // the version it holds; a newer version replaces the held one.
    let first = call(&app, "GET", "/v1/tenants/acme/policy", None, "")
        .await
        .body;
    let accepted = bundle::verify(&first, &trusted, "acme", None, START).unwrap();
    let mut held = HeldPolicy {
        version: accepted.version,
        digest: accepted.digest,
    };
    for day in 1..=40 {
        let now = START + day * DAY;
        clock.set(now);
        server.run_jobs_once().await;
        let served = call(&app, "GET", "/v1/tenants/acme/policy", None, "")
            .await
            .body;
        let verified = bundle::verify(&served, &trusted, "acme", Some(&held), now)
            .unwrap_or_else(|e| panic!("day {day}: the client refuses what is served: {e}"));
        assert!(verified.expires_at > now, "day {day}: not expired");
        assert_eq!(verified.policy_json, POLICY, "day {day}: the same policy");
        if verified.version != held.version {
            assert!(
                verified.version > held.version,
                "day {day}: version goes up"
            );
            held = HeldPolicy {
                version: verified.version,
                digest: verified.digest,
            };
        }
    }
    let day_40 = START + 40 * DAY;
    assert!(held.version > 1, "renewed at least once");

    // What is served on day 40 is valid and unexpired, even for a client that held only the
    // first version (offline since day 0), while that first bundle itself has expired.
    let served = call(&app, "GET", "/v1/tenants/acme/policy", None, "")
        .await
        .body;
    let from_v1 = HeldPolicy {
        version: accepted.version,
        digest: accepted.digest,
    };
    let current = bundle::verify(&served, &trusted, "acme", Some(&from_v1), day_40).unwrap();
    assert_eq!(current.policy_json, POLICY);
    assert!(current.expires_at > day_40);
    assert_eq!(
        bundle::verify(&first, &trusted, "acme", None, day_40)
            .unwrap_err()
            .code(),
        "expired"
    );

    // History: the admin's publish, then renewals only, each re-signing the one before it as
    // soon as it had less than the margin left, with no diff.
    let config = Config::default();
    let history = call(
        &app,
        "GET",
        "/api/v1/tenants/acme/history",
        Some(&token),
        "",
    )
    .await
    .json();
    let history = history.as_array().unwrap();
    assert_eq!(history.len() as u64, current.version);
    let (oldest, renewals) = history.split_last().unwrap();
    assert_eq!(oldest["published_by"], "admin");
    assert!(oldest["renewal_of"].is_null());
    for (i, entry) in renewals.iter().enumerate() {
        let previous = &history[i + 1];
        assert_eq!(entry["renewal_of"], previous["version"], "{entry}");
        assert_eq!(entry["published_by"], "sendguard (renewal)");
        assert!(entry["rollback_of"].is_null());
        assert_eq!(entry["diff"], "", "same policy text");
        let left =
            previous["expires_at"].as_i64().unwrap() - entry["published_at"].as_i64().unwrap();
        assert!(
            left <= config.policy_renewal_margin_secs() && left > 0,
            "renewed {left} s before expiry"
        );
    }
    let detail = call(
        &app,
        "GET",
        &format!("/api/v1/tenants/acme/history/{}", current.version),
        Some(&token),
        "",
    )
    .await;
    assert_eq!(detail.json()["policy"], POLICY);
}

#[tokio::test]
async fn the_serving_server_renews_at_start_without_being_asked() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(START);
    let (server, _token) = published_server(dir.path(), &clock, |_| {}, POLICY).await;
    drop(server);

    // Restarted 25 days later: the bundle has 5 days left, within the 10-day margin.
    let now = START + 25 * DAY;
    clock.set(now);
    let config = Config {
        data_dir: dir.path().into(),
        ..Config::default()
    };
    let server = Server::open_with_clock(config, Arc::new(clock.clone())).unwrap();
    let app = server.router();
    let trusted = pinned_keyset(&app, now).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let serving = tokio::spawn(server.serve(listener));
    let mut version = 1;
    // Bounded wait for the job's first run (it runs at start, then hourly).
    for _ in 0..500 {
        let served = call(&app, "GET", "/v1/tenants/acme/policy", None, "")
            .await
            .body;
        version = bundle::verify(&served, &trusted, "acme", None, now)
            .unwrap()
            .version;
        if version > 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    serving.abort();
    assert_eq!(version, 2, "the job started by serve renewed version 1");
}
