//! A small HTTP/1.1 client for what the gateway asks of a Sendguard server: the two GETs
//! (the tenant's keyset and signed policy, with an ETag), its event stream, and the POST of
//! the daily counts (`reports.rs`). Plain `http://` only: what the gateway trusts is the
//! signature, checked by the core, never the transport (docs/gateway.md); the counts are
//! anonymous (docs/privacy.md). Every read is bounded in bytes and time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The longest status or header line read.
const MAX_HEAD_LINE: usize = 8 * 1024;
/// The most header lines read.
const MAX_HEADERS: usize = 64;

/// A server's base address: `http://host[:port][/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    host: String,
    port: u16,
    prefix: String,
}

impl BaseUrl {
    pub fn parse(text: &str) -> Result<BaseUrl, String> {
        let rest = text.strip_prefix("http://").ok_or_else(|| {
            format!("`{text}`: the policy server's address must start with http:// (the bundle's signature, not the transport, is what the gateway trusts; see docs/gateway.md)")
        })?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let bad = |why: &str| format!("`{text}`: {why}");
        if authority.is_empty() || path.contains(['?', '#']) || text.contains(char::is_whitespace) {
            return Err(bad("expected http://host[:port][/path], no query"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| bad("the port is not a number"))?,
            ),
            _ => (authority, 80),
        };
        Ok(BaseUrl {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            prefix: path.trim_end_matches('/').to_string(),
        })
    }

    fn path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}:{}{}", self.host, self.port, self.prefix)
    }
}

/// A complete response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

/// `GET base+path`, with `If-None-Match` when `etag` is given; the body is at most
/// `max_body` bytes (more is an error), everything within `timeout` per read.
pub fn get(
    base: &BaseUrl,
    path: &str,
    etag: Option<&str>,
    max_body: usize,
    timeout: Duration,
) -> Result<Response, String> {
    let request = Request {
        method: "GET",
        accept: "application/json",
        etag,
        json_body: None,
    };
    let (status, headers, reader) = open(base, path, &request, timeout)?;
    read_response(status, &headers, reader, max_body)
}

/// `POST base+path` with a JSON body; the answer's body is at most `max_body` bytes.
pub fn post_json(
    base: &BaseUrl,
    path: &str,
    body: &[u8],
    max_body: usize,
    timeout: Duration,
) -> Result<Response, String> {
    let request = Request {
        method: "POST",
        accept: "application/json",
        etag: None,
        json_body: Some(body),
    };
    let (status, headers, reader) = open(base, path, &request, timeout)?;
    read_response(status, &headers, reader, max_body)
}

fn read_response(
    status: u16,
    headers: &[(String, String)],
    reader: BufReader<TcpStream>,
    max_body: usize,
) -> Result<Response, String> {
    let mut body = Vec::new();
    let limit = max_body as u64 + 1;
    let read = match header(headers, "transfer-encoding") {
        Some(te) if te.eq_ignore_ascii_case("chunked") => {
            Chunked::new(reader).take(limit).read_to_end(&mut body)
        }
        _ => match header(headers, "content-length") {
            Some(len) => {
                let len: u64 = len
                    .parse()
                    .map_err(|_| "a bad Content-Length".to_string())?;
                if len > max_body as u64 {
                    return Err(format!("the body is over {max_body} bytes"));
                }
                reader.take(len).read_to_end(&mut body)
            }
            None => reader.take(limit).read_to_end(&mut body),
        },
    };
    read.map_err(|e| format!("reading the body: {e}"))?;
    if body.len() > max_body {
        return Err(format!("the body is over {max_body} bytes"));
    }
    Ok(Response {
        status,
        etag: header(headers, "etag").map(str::to_string),
        body,
    })
}

/// `GET base+path` as an event stream: the body's reader (chunks decoded) when the server
/// answers 200, else the status.
pub fn open_stream(
    base: &BaseUrl,
    path: &str,
    timeout: Duration,
) -> Result<Result<Box<dyn BufRead + Send>, u16>, String> {
    let request = Request {
        method: "GET",
        accept: "text/event-stream",
        etag: None,
        json_body: None,
    };
    let (status, headers, reader) = open(base, path, &request, timeout)?;
    if status != 200 {
        return Ok(Err(status));
    }
    let body: Box<dyn BufRead + Send> = match header(&headers, "transfer-encoding") {
        Some(te) if te.eq_ignore_ascii_case("chunked") => {
            Box::new(BufReader::new(Chunked::new(reader)))
        }
        _ => Box::new(reader),
    };
    Ok(Ok(body))
}

type Head = (u16, Vec<(String, String)>, BufReader<TcpStream>);

/// What one request sends besides its path.
struct Request<'a> {
    method: &'a str,
    accept: &'a str,
    etag: Option<&'a str>,
    json_body: Option<&'a [u8]>,
}

fn open(base: &BaseUrl, path: &str, request: &Request, timeout: Duration) -> Result<Head, String> {
    let address = (base.host.as_str(), base.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", base.host))?
        .next()
        .ok_or_else(|| format!("no address for {}", base.host))?;
    let stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|e| format!("cannot connect to {base}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).ok();
    stream.set_write_timeout(Some(timeout)).ok();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}:{}\r\nAccept: {}\r\nConnection: close\r\nUser-Agent: sendguard-gateway\r\n",
        request.method,
        base.path(path),
        base.host,
        base.port,
        request.accept
    );
    if let Some(etag) = request.etag.filter(|e| !e.contains(['\r', '\n'])) {
        head.push_str(&format!("If-None-Match: {etag}\r\n"));
    }
    if let Some(body) = request.json_body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    let mut message = head.into_bytes();
    message.extend_from_slice(request.json_body.unwrap_or_default());
    (&stream)
        .write_all(&message)
        .map_err(|e| format!("cannot send to {base}: {e}"))?;
    let mut reader = BufReader::new(stream);
    let status_line = head_line(&mut reader)?;
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|s| s.get(2..5))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| "not an HTTP response".to_string())?;
    let mut headers = Vec::new();
    loop {
        let line = head_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(format!("more than {MAX_HEADERS} header lines"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| "a header line without `:`".to_string())?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok((status, headers, reader))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// One CRLF-ended line of at most [`MAX_HEAD_LINE`] bytes, without its ending.
fn head_line(reader: &mut impl BufRead) -> Result<String, String> {
    let mut line = Vec::new();
    reader
        .take(MAX_HEAD_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .map_err(|e| format!("reading the response: {e}"))?;
    if !line.ends_with(b"\n") {
        return Err("the response head ended early or has an over-long line".into());
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| "a response head line that is not UTF-8".into())
}

/// Decodes `Transfer-Encoding: chunked` (extensions and trailers ignored).
struct Chunked<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Chunked<R> {
    fn new(inner: R) -> Self {
        Chunked {
            inner,
            left: 0,
            done: false,
        }
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let invalid = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why);
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let line = head_line(&mut self.inner).map_err(|e| invalid(&e))?;
            let size = line.split(';').next().unwrap_or("").trim();
            self.left = u64::from_str_radix(size, 16).map_err(|_| invalid("a bad chunk size"))?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(invalid("the connection closed inside a chunk"));
        }
        self.left -= n as u64;
        if self.left == 0 {
            let end = head_line(&mut self.inner).map_err(|e| invalid(&e))?;
            if !end.is_empty() {
                return Err(invalid("a chunk without its line end"));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let url = BaseUrl::parse("http://127.0.0.1:8080/guard/").unwrap();
        assert_eq!(url.to_string(), "http://127.0.0.1:8080/guard");
        assert_eq!(url.path("/v1/x"), "/guard/v1/x");
        assert_eq!(BaseUrl::parse("http://example.org").unwrap().port, 80);
        assert_eq!(BaseUrl::parse("http://[::1]:81").unwrap().host, "::1");
        for bad in [
            "https://x",
            "ftp://x",
            "http://",
            "http://x:y",
            "http://x/?a",
            "http://x /",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chunked_bodies_decode_and_bad_ones_fail() {
        let mut out = String::new();
        Chunked::new(&b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "abcde");
        let mut out = Vec::new();
        assert!(Chunked::new(&b"zz\r\nabc"[..])
            .read_to_end(&mut out)
            .is_err());
        assert!(Chunked::new(&b"5\r\nab"[..]).read_to_end(&mut out).is_err());
    }
}
