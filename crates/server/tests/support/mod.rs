//! Test support: runs the real `sendguard serve` binary on 127.0.0.1 with a temporary data
//! directory, and talks HTTP/1.1 to it over plain sockets (no client library needed).
//!
//! The binary belongs to `sendguard-cli`, which depends on this crate, so these tests cannot
//! name it with `CARGO_BIN_EXE_*`: [`sendguard_binary`] builds it with the cargo running the
//! tests (a no-op when it is up to date) and finds it beside the test executable, so the same
//! target directory is used with or without `CARGO_TARGET_DIR`.

#![allow(dead_code)] // each test file uses its own subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use sendguard_core::keyset::{self, Keyset, RootKeys};

#[path = "../http/mod.rs"]
mod http;
#[allow(unused_imports)] // each test file uses its own subset
pub use http::{request, Response};

pub struct Server {
    pub child: Child,
    pub address: SocketAddr,
    /// The admin token printed on first start (or the one passed in on restart).
    pub token: String,
    pub data_dir: PathBuf,
    pub log: PathBuf,
}

impl Server {
    /// Starts a server on a free loopback port; `token` is required when the data directory
    /// was used before (no token is printed then).
    pub fn start(data_dir: &Path, token: Option<&str>, env: &[(&str, &str)]) -> Server {
        let log = data_dir.with_extension(format!("log{}", std::process::id()));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut command = Command::new(sendguard_binary());
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env_remove("SENDGUARD_CONFIG")
            .env("RUST_LOG", "debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(log_file);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("sendguard serve starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut printed_token = None;
        let address = loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                panic!(
                    "server exited early; log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            let line = line.trim();
            if line.starts_with("sgt_") {
                printed_token = Some(line.to_string());
            }
            if let Some(address) = line.strip_prefix("sendguard: listening on http://") {
                break address.parse().unwrap();
            }
        };
        let token = match (printed_token, token) {
            (Some(printed), None) => printed,
            (None, Some(given)) => given.to_string(),
            (printed, given) => panic!("token printed: {printed:?}, given: {given:?}"),
        };
        Server {
            child,
            address,
            token,
            data_dir: data_dir.to_path_buf(),
            log,
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        request(self.address, method, path, token, headers, body)
    }

    /// An admin request with the admin token.
    pub fn admin(&self, method: &str, path: &str, body: &str) -> Response {
        self.request(method, path, Some(&self.token), &[], body.as_bytes())
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, &[], b"")
    }

    pub fn create_tenant(&self, id: &str) {
        let created = self.admin("POST", "/api/v1/tenants", &format!(r#"{{"id": "{id}"}}"#));
        assert_eq!(created.status, 201, "{}", created.text());
    }

    pub fn publish(&self, tenant: &str, policy: &str) -> Response {
        self.admin("POST", &format!("/api/v1/tenants/{tenant}/policy"), policy)
    }

    /// The tenant's keyset, verified against the root key pinned from the data directory
    /// (as an add-in pins it at installation).
    pub fn pinned_trust(&self, tenant: &str, now: i64) -> Keyset {
        let root = sendguard_sign::read_public_file(&self.data_dir.join("root.key")).unwrap();
        let keyset = self.get(&format!("/v1/tenants/{tenant}/keyset"));
        assert_eq!(keyset.status, 200);
        let pinned = RootKeys {
            keys: vec![root],
            threshold: 1,
        };
        keyset::verify_with_roots(&keyset.body, &pinned, tenant, now).unwrap()
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `sendguard` binary of this build (its profile, its target directory), built once per
/// test process.
pub fn sendguard_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        // <target>/<profile dir>/deps/<test executable>
        let exe = std::env::current_exe().expect("the test executable's path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("tests run from <target>/<profile>/deps");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(other) => other,
            None => panic!("no profile directory in {}", exe.display()),
        };
        let built = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "sendguard-cli",
                "--bin",
                "sendguard",
            ])
            .args(["--profile", profile])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(
            built.success(),
            "cargo build of the sendguard binary failed"
        );
        let binary = profile_dir.join(format!("sendguard{}", std::env::consts::EXE_SUFFIX));
        assert!(binary.is_file(), "no binary at {}", binary.display());
        binary
    })
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub struct EventStream {
    stream: TcpStream,
    seen: String,
}

impl EventStream {
    pub fn open(address: SocketAddr, path: &str) -> EventStream {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        EventStream {
            stream,
            seen: String::new(),
        }
    }

    /// Reads until the stream has shown `needle` (panics after the read timeout).
    pub fn wait_for(&mut self, needle: &str) -> String {
        let mut buffer = [0u8; 4096];
        while !self.seen.contains(needle) {
            let n = self
                .stream
                .read(&mut buffer)
                .unwrap_or_else(|e| panic!("waiting for {needle}: {e}; saw {}", self.seen));
            assert!(n > 0, "stream closed before {needle}; saw {}", self.seen);
            self.seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
        self.seen.clone()
    }

    /// Reads until the server closes the stream; returns whether it did within the timeout.
    pub fn closes(&mut self) -> bool {
        let mut buffer = [0u8; 4096];
        loop {
            match self.stream.read(&mut buffer) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
    }
}
