//! Test support for the hardening tests: the server run in this process (its own runtime on
//! a thread, listening on 127.0.0.1), and plain HTTP/1.1 over sockets to talk to it. Each
//! test file uses its own subset.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use sendguard_server::{Config, Server};

/// How long a test waits for any one answer before failing (a bound, never a measurement).
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Running {
    pub address: SocketAddr,
    pub token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Running {
    /// A fresh server; `configure` adjusts the settings (the data directory is temporary).
    pub fn start(configure: impl FnOnce(&mut Config)) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        configure(&mut config);
        let server = Server::open(config).unwrap();
        let token = server.first_admin_token.clone().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime
                .block_on(server.serve_until(listener, async {
                    let _ = stopped.await;
                }))
                .unwrap();
        });
        Running {
            address,
            token,
            stop: Some(stop),
            thread: Some(thread),
            _dir: dir,
        }
    }

    pub fn request(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> Response {
        request(self.address, method, path, token, &[], body.as_bytes())
    }

    pub fn admin(&self, method: &str, path: &str, body: &str) -> Response {
        self.request(method, path, Some(&self.token), body)
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, "")
    }

    /// A tenant with a published policy.
    pub fn tenant_with_policy(&self, tenant: &str) {
        let created = self.admin(
            "POST",
            "/api/v1/tenants",
            &format!(r#"{{"id": "{tenant}"}}"#),
        );
        assert_eq!(created.status, 201, "{}", created.text());
        let published = self.admin(
            "POST",
            &format!("/api/v1/tenants/{tenant}/policy"),
            r#"{"internal_domains": ["acme.example"]}"#,
        );
        assert_eq!(published.status, 201, "{}", published.text());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on its own connection (`Connection: close`), answered within [`PATIENCE`].
pub fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    read_response(&mut stream)
}

/// Reads a whole `Connection: close` response (or panics after [`PATIENCE`]).
pub fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        assert!(
            raw.windows(4).any(|w| w == b"\r\n\r\n"),
            "no answer: {e}; got {:?}",
            String::from_utf8_lossy(&raw)
        );
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Whether the server closed `stream` (read returned end of file) within [`PATIENCE`].
pub fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}
