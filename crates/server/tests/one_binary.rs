//! One binary serves everything: a server started from an empty data directory on
//! 127.0.0.1 serves the console, the Deploy page's outputs (keyset, Thunderbird's
//! `policies.json`, the Outlook manifest) and, when built with `embed-assets` (as by
//! scripts/build-release; the console suite runs this file so), the simulator's engine, the
//! `.xpi` and each tenant's Outlook add-in. Without the assets it says which are missing and
//! how to get them. Plain HTTP/1.1 over a socket: what a browser or add-in would send.

mod in_process;

use in_process::Running;

const PUBLIC_URL: &str = "https://guard.example.test";

/// A server from an empty data directory on 127.0.0.1, with tenant `acme`.
fn start(public_url: Option<&str>) -> Running {
    let server = Running::start(|config| config.public_url = public_url.map(String::from));
    let created = server.admin("POST", "/api/v1/tenants", r#"{"id":"acme"}"#);
    assert_eq!(created.status, 201, "{}", created.text());
    server
}

/// The Deploy page's data for tenant `acme`.
fn deploy_info(server: &Running) -> serde_json::Value {
    server
        .admin("GET", "/api/v1/tenants/acme/deploy", "")
        .json()
}

#[test]
fn the_console_and_the_deploy_outputs_come_from_the_binary_alone() {
    let server = start(Some(PUBLIC_URL));

    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Sendguard console"));
    assert_eq!(server.get("/app.js").status, 200);

    // Deploy: the keyset as served to add-ins, and a policies.json that pins it.
    let keyset = server.get("/v1/tenants/acme/keyset").text();
    let deploy = deploy_info(&server);
    assert_eq!(deploy["keyset"], keyset.as_str());
    assert_eq!(deploy["server_url"], PUBLIC_URL);
    let settings = &deploy["thunderbird"]["policies_json"]["policies"];
    let pinned = &settings["3rdparty"]["Extensions"]["sendguard@sendguard.org"];
    assert_eq!(pinned["server"], PUBLIC_URL);
    assert_eq!(pinned["tenant"], "acme");
    assert_eq!(pinned["keyset"], keyset.as_str());
    let install = &settings["ExtensionSettings"]["sendguard@sendguard.org"];
    assert_eq!(install["installation_mode"], "force_installed");
    assert_eq!(
        install["install_url"],
        format!("{PUBLIC_URL}/addin/thunderbird/sendguard-thunderbird.xpi")
    );
    assert_eq!(deploy["thunderbird"]["xpi_url"], install["install_url"]);

    let manifest_path = deploy["outlook"]["manifest_path"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest = server.admin("GET", &format!("{manifest_path}?send_mode=SoftBlock"), "");
    let without_token = server.get(&manifest_path);
    assert_eq!(without_token.status, 401);

    if cfg!(feature = "embed-assets") {
        assert!(deploy["thunderbird"]["problem"].is_null(), "{deploy}");
        assert!(deploy["outlook"]["problem"].is_null(), "{deploy}");
        assert_eq!(manifest.status, 200, "{}", manifest.text());
        assert!(manifest
            .header("content-disposition")
            .unwrap()
            .contains("attachment"));
        let xml = manifest.text();
        let base = format!("{PUBLIC_URL}/t/acme/addin/outlook");
        assert!(xml.contains(&format!("{base}/commands.js")), "{xml}");
        assert!(xml.contains("SendMode=\"SoftBlock\""));
        assert!(!xml.contains("sendguard.example"));
        embedded_files_are_served(&server, &keyset);
    } else {
        assert!(deploy["outlook"]["problem"]
            .as_str()
            .unwrap()
            .contains("scripts/build-release"));
        assert_eq!(manifest.status, 409);
        for path in [
            "/wasm/sendguard.js",
            "/addin/thunderbird/sendguard-thunderbird.xpi",
            "/t/acme/addin/outlook/commands.js",
        ] {
            let missing = server.get(path);
            assert_eq!(missing.status, 404, "{path}");
            assert_eq!(missing.json()["error"]["code"], "not_built_in", "{path}");
            assert!(
                missing.text().contains("scripts/build-release"),
                "{path}: {}",
                missing.text()
            );
        }
    }
}

/// The release build's files, as a browser, Thunderbird and Outlook fetch them.
fn embedded_files_are_served(server: &Running, keyset: &str) {
    let engine = server.get("/wasm/sendguard.js");
    assert_eq!(engine.status, 200);
    assert!(engine
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    assert!(engine.text().contains("sendguard_bg.wasm"));
    let module = server.get("/wasm/sendguard_bg.wasm");
    assert_eq!(module.header("content-type"), Some("application/wasm"));
    assert_eq!(&module.body[..4], b"\0asm");

    let xpi = server.get("/addin/thunderbird/sendguard-thunderbird.xpi");
    assert_eq!(xpi.status, 200);
    assert_eq!(xpi.header("content-type"), Some("application/x-xpinstall"));
    assert_eq!(&xpi.body[..4], b"PK\x03\x04", "a zip archive");

    // Each tenant's Outlook add-in: its scripts pin the tenant's keyset and this server's URLs.
    let commands = server.get("/t/acme/addin/outlook/commands.js").text();
    let first_line = commands.lines().next().unwrap();
    let config: serde_json::Value = serde_json::from_str(
        first_line
            .strip_prefix("var SENDGUARD_CONFIG = ")
            .unwrap()
            .strip_suffix(';')
            .unwrap(),
    )
    .unwrap();
    assert_eq!(config["tenant"], "acme");
    assert_eq!(config["keyset"], keyset);
    assert_eq!(
        config["policyUrl"],
        format!("{PUBLIC_URL}/v1/tenants/acme/policy")
    );
    assert!(
        commands.contains("SendguardEngine"),
        "the engine follows the config"
    );
    for file in [
        "commands.html",
        "taskpane.html",
        "taskpane-web.js",
        "load-engine.js",
        "assets/icon-64.png",
    ] {
        let answer = server.get(&format!("/t/acme/addin/outlook/{file}"));
        assert_eq!(answer.status, 200, "{file}");
        assert!(answer
            .header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors https:"));
    }
    assert_eq!(
        server.get("/t/nobody/addin/outlook/commands.js").status,
        404
    );
    let allowed = server
        .get("/.well-known/microsoft-officeaddins-allowed.json")
        .json();
    assert_eq!(
        allowed["allowed"][0],
        format!("{PUBLIC_URL}/t/acme/addin/outlook/commands.js")
    );
}

#[test]
fn without_a_public_url_the_deploy_page_says_what_to_set() {
    let server = start(None);
    let deploy = deploy_info(&server);
    assert_eq!(deploy["public_url_set"], false);
    assert_eq!(deploy["server_url"], format!("http://{}", server.address));
    assert!(deploy["outlook"]["problem"]
        .as_str()
        .unwrap()
        .contains("public_url"));
    let manifest = server.admin(
        "GET",
        "/api/v1/tenants/acme/deploy/outlook-manifest.xml",
        "",
    );
    assert_eq!(manifest.status, 409);
    assert!(manifest.text().contains("public_url"));
}
