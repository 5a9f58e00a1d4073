//! Test support: `sendguard gateway` (this crate's binary) with its log in a file, waited on
//! by log lines, asked over TCP or a Unix socket.

#![allow(dead_code)] // each test file uses its own subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running gateway whose log goes to a file; killed on drop.
pub struct Gateway {
    pub child: Child,
    pub log: PathBuf,
    /// `127.0.0.1:PORT`, or `unix:/path` for a Unix socket.
    pub address: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gateway {
    /// Started with exactly these arguments (after `--poll-interval 1h`).
    pub fn start_with(dir: &Path, name: &str, args: &[&str]) -> Gateway {
        let log = dir.join(format!("{name}.log"));
        // Never the default state folder (the working directory's).
        let state = dir.join(format!("{name}-state"));
        let default_state = ["--state-dir", state.to_str().unwrap()];
        let state_args: &[&str] = if args.contains(&"--state-dir") {
            &[]
        } else {
            &default_state
        };
        let child = Command::new(env!("CARGO_BIN_EXE_sendguard"))
            .args(["gateway", "--poll-interval", "1h"])
            .args(state_args)
            .args(args)
            .env_remove("SENDGUARD_GATEWAY_CONFIG")
            .stderr(std::fs::File::create(&log).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut gateway = Gateway {
            child,
            log,
            address: String::new(),
        };
        let line = gateway.wait_for("listening on ");
        // The last word of the line, text or JSON.
        let word = line.rsplit(' ').next().unwrap();
        gateway.address = word.trim_end_matches(['"', '}']).to_string();
        gateway
    }

    /// Started on a free loopback port.
    pub fn start(dir: &Path, name: &str, args: &[&str]) -> Gateway {
        Gateway::start_with(dir, name, &[&["--listen", "127.0.0.1:0"], args].concat())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asserts that the log (so far) has `needle`.
    pub fn assert_logged(&self, needle: &str) {
        let log = self.log();
        assert!(log.contains(needle), "no `{needle}` in:\n{log}");
    }

    /// The first log line containing `needle`, waiting for it (bounded: not a timing test).
    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(line) = self.log().lines().find(|l| l.contains(needle)) {
                return line.to_string();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the gateway exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "no `{needle}` in:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn ask(&self, recipient: &str) -> String {
        let request = format!(
            "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=alice@example.org\n\
             recipient={recipient}\n\n"
        );
        self.send(request.as_bytes())
    }

    /// Sends raw bytes on a new connection and ends it; answers the first reply line.
    pub fn send(&self, bytes: &[u8]) -> String {
        let mut line = String::new();
        match self.address.strip_prefix("unix:") {
            Some(path) => {
                let mut stream = UnixStream::connect(path).unwrap();
                stream.write_all(bytes).unwrap();
                // The end of input: a request cut short is answered, not waited on.
                stream.shutdown(std::net::Shutdown::Write).unwrap();
                BufReader::new(stream).read_line(&mut line).unwrap();
            }
            None => {
                let mut stream = TcpStream::connect(&self.address).unwrap();
                stream.write_all(bytes).unwrap();
                stream.shutdown(std::net::Shutdown::Write).unwrap();
                BufReader::new(stream).read_line(&mut line).unwrap();
            }
        }
        line
    }
}

/// `GET path` on the operations listener: (status line, body).
pub fn get(address: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

/// The operations listener's address, from the gateway's log.
pub fn ops_address(gateway: &mut Gateway) -> String {
    let line = gateway.wait_for("metrics and health on http://");
    let after = line.split("http://").nth(1).unwrap();
    after.trim_end_matches(['"', '}']).to_string()
}
