//! Concurrent publishes (issue 13, item 4): once a version is acknowledged, no older one is
//! ever served again, however the publishes interleave.

mod in_process;

use in_process::Running;

#[test]
fn the_newest_acknowledged_version_is_served_after_every_burst() {
    let server = Running::start(|c| c.admin_requests_per_minute = 10_000);
    server.tenant_with_policy("acme");
    for burst in 0..30 {
        let acknowledged: Vec<i64> = std::thread::scope(|scope| {
            let publishes: Vec<_> = (0..4)
                .map(|i| {
                    let server = &server;
                    scope.spawn(move || {
                        let policy = format!(r#"{{"internal_domains": ["b{burst}-{i}.example"]}}"#);
                        let published =
                            server.admin("POST", "/api/v1/tenants/acme/policy", &policy);
                        assert_eq!(published.status, 201, "{}", published.text());
                        published.json()["version"].as_i64().unwrap()
                    })
                })
                .collect();
            publishes.into_iter().map(|p| p.join().unwrap()).collect()
        });
        let newest = *acknowledged.iter().max().unwrap();
        let served = server.get("/v1/tenants/acme/policy");
        let etag = served.header("etag").unwrap().to_string();
        let history = server
            .admin("GET", "/api/v1/tenants/acme/history", "")
            .json();
        let newest_etag = history
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["version"] == newest)
            .unwrap()["etag"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            etag, newest_etag,
            "burst {burst}: version {newest} was acknowledged, an older one is served"
        );
    }
}
