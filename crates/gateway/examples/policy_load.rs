//! Load for `scripts/bench-gateway`: CONNECTIONS threads, each sending REQUESTS policy
//! requests one after another on one connection (as Postfix's smtpd does) to a running
//! `sendguard gateway`, timing each answer. Prints requests/s and latency percentiles.
//! Bounded: CONNECTIONS × REQUESTS requests, each read with a 10 s time-out.
//!
//! Usage: cargo run --release -p sendguard-gateway --example policy_load -- ADDRESS CONNECTIONS REQUESTS

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Recipients cycled through: mostly ordinary mail, some lookalikes and blocked ones.
const RECIPIENTS: [&str; 8] = [
    "colonel.smith@army.mil",
    "j.doe@example.org",
    "sales@partner.example",
    "colonel.smith@army.ml",
    "ops@navy.mil",
    "a.b@university.edu",
    "ivan@mail.ru",
    "c.d@example.com",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, address, connections, requests] = &args[..] else {
        eprintln!("usage: policy_load ADDRESS CONNECTIONS REQUESTS");
        std::process::exit(64);
    };
    let connections: usize = connections.parse().expect("CONNECTIONS is a number");
    let requests: usize = requests.parse().expect("REQUESTS is a number");
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let address = address.clone();
            std::thread::spawn(move || run(&address, worker, requests))
        })
        .collect();
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("a load thread finished"))
        .collect();
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "requests {} in {:.2} s: {:.0} requests/s, latency p50 {:.0} us, p99 {:.0} us, max {:.0} us",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        latencies.last().unwrap().as_secs_f64() * 1e6
    );
}

fn run(address: &str, worker: usize, requests: usize) -> Vec<Duration> {
    let stream = TcpStream::connect(address).expect("the gateway accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut latencies = Vec::with_capacity(requests);
    for i in 0..requests {
        let recipient = RECIPIENTS[(worker + i) % RECIPIENTS.len()];
        let request = format!(
            "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n\
             client_address=127.0.0.1\nsender=user{worker}@example.org\nrecipient={recipient}\n\
             instance={worker}.{i}\nrecipient_count=0\n\n"
        );
        let sent = Instant::now();
        writer
            .write_all(request.as_bytes())
            .expect("the request is sent");
        line.clear();
        reader.read_line(&mut line).expect("an answer");
        assert!(line.starts_with("action="), "not an answer: {line}");
        line.clear();
        reader.read_line(&mut line).expect("the empty line");
        latencies.push(sent.elapsed());
    }
    latencies
}
