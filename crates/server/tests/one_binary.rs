//! One binary serves everything: a server started from an empty data directory on
//! 127.0.0.1 serves the console, the Deploy page's outputs (keyset, Thunderbird's
//! `policies.json`, the Outlook manifest) and, when built with `embed-assets` (as by
//! scripts/build-release; the console suite runs this file so), the simulator's engine, the
//! `.xpi` and each tenant's Outlook add-in. Without the assets it says which are missing and
//! how to get them. Plain HTTP/1.1 over a socket: what a browser or add-in would send.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use sendguard_server::{Config, Server};

const PUBLIC_URL: &str = "https://guard.example.test";

struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

/// One request on its own connection (`Connection: close`, so the body ends at EOF).
fn http(address: SocketAddr, method: &str, path: &str, token: Option<&str>, body: &str) -> Answer {
    let mut stream = TcpStream::connect(address).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = unchunk(&body);
    }
    Answer { status, head, body }
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
}

/// The Deploy page's data for tenant `acme`.
fn deploy_info(address: SocketAddr, token: &str) -> serde_json::Value {
    http(
        address,
        "GET",
        "/api/v1/tenants/acme/deploy",
        Some(token),
        "",
    )
    .json()
}

/// A served server on 127.0.0.1 from an empty data directory, with tenant `acme`.
fn start(
    data_dir: &std::path::Path,
    public_url: Option<&str>,
) -> (SocketAddr, String, std::thread::JoinHandle<()>) {
    let config = Config {
        data_dir: data_dir.into(),
        public_url: public_url.map(String::from),
        ..Config::default()
    };
    let server = Server::open(config).unwrap();
    let token = server.first_admin_token.clone().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    // The runtime lives in its own thread and ends with the test process.
    let handle = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = server.serve(listener).await;
        });
    });
    assert_eq!(
        http(
            address,
            "POST",
            "/api/v1/tenants",
            Some(&token),
            r#"{"id":"acme"}"#
        )
        .status,
        201
    );
    (address, token, handle)
}

#[test]
fn the_console_and_the_deploy_outputs_come_from_the_binary_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (address, token, _server) = start(&dir.path().join("data"), Some(PUBLIC_URL));

    let page = http(address, "GET", "/", None, "");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Sendguard console"));
    assert_eq!(http(address, "GET", "/app.js", None, "").status, 200);

    // Deploy: the keyset as served to add-ins, and a policies.json that pins it.
    let keyset = http(address, "GET", "/v1/tenants/acme/keyset", None, "").text();
    let deploy = deploy_info(address, &token);
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
    let manifest = http(
        address,
        "GET",
        &format!("{manifest_path}?send_mode=SoftBlock"),
        Some(&token),
        "",
    );
    let without_token = http(address, "GET", &manifest_path, None, "");
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
        embedded_files_are_served(address, &keyset);
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
            let missing = http(address, "GET", path, None, "");
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
fn embedded_files_are_served(address: SocketAddr, keyset: &str) {
    let engine = http(address, "GET", "/wasm/sendguard.js", None, "");
    assert_eq!(engine.status, 200);
    assert!(engine
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    assert!(engine.text().contains("sendguard_bg.wasm"));
    let module = http(address, "GET", "/wasm/sendguard_bg.wasm", None, "");
    assert_eq!(module.header("content-type"), Some("application/wasm"));
    assert_eq!(&module.body[..4], b"\0asm");

    let xpi = http(
        address,
        "GET",
        "/addin/thunderbird/sendguard-thunderbird.xpi",
        None,
        "",
    );
    assert_eq!(xpi.status, 200);
    assert_eq!(xpi.header("content-type"), Some("application/x-xpinstall"));
    assert_eq!(&xpi.body[..4], b"PK\x03\x04", "a zip archive");

    // Each tenant's Outlook add-in: its scripts pin the tenant's keyset and this server's URLs.
    let commands = http(
        address,
        "GET",
        "/t/acme/addin/outlook/commands.js",
        None,
        "",
    )
    .text();
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
        let answer = http(
            address,
            "GET",
            &format!("/t/acme/addin/outlook/{file}"),
            None,
            "",
        );
        assert_eq!(answer.status, 200, "{file}");
        assert!(answer
            .header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors https:"));
    }
    assert_eq!(
        http(
            address,
            "GET",
            "/t/nobody/addin/outlook/commands.js",
            None,
            ""
        )
        .status,
        404
    );
    let allowed = http(
        address,
        "GET",
        "/.well-known/microsoft-officeaddins-allowed.json",
        None,
        "",
    )
    .json();
    assert_eq!(
        allowed["allowed"][0],
        format!("{PUBLIC_URL}/t/acme/addin/outlook/commands.js")
    );
}

#[test]
fn without_a_public_url_the_deploy_page_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let (address, token, _server) = start(&dir.path().join("data"), None);
    let deploy = deploy_info(address, &token);
    assert_eq!(deploy["public_url_set"], false);
    assert_eq!(deploy["server_url"], format!("http://{address}"));
    assert!(deploy["outlook"]["problem"]
        .as_str()
        .unwrap()
        .contains("public_url"));
    let manifest = http(
        address,
        "GET",
        "/api/v1/tenants/acme/deploy/outlook-manifest.xml",
        Some(&token),
        "",
    );
    assert_eq!(manifest.status, 409);
    assert!(manifest.text().contains("public_url"));
}
