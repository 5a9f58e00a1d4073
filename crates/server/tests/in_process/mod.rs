//! Test support for the hardening tests: the server run in this process (its own runtime on
//! a thread, listening on 127.0.0.1), and plain HTTP/1.1 over sockets to talk to it. Each
//! test file uses its own subset.

#![allow(dead_code)]

use std::net::SocketAddr;

use sendguard_server::{Config, Server};

#[path = "../http/mod.rs"]
mod http;
#[allow(unused_imports)] // each test file uses its own subset
pub use http::{closed_by_server, read_response, request, try_request, Response, PATIENCE};

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
