//! Postfix's SMTPD access policy delegation protocol, read defensively: `name=value` lines
//! ending with an empty line, bounded in line length, attribute count and request size.
//! Only the attributes the gateway uses are kept; unknown ones are ignored, as Postfix asks.

use std::io::{BufRead, Read};

/// Bounds on one request. Postfix's requests are a few hundred bytes; these leave room for
/// long addresses and future attributes while keeping a hostile peer from growing memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest line, in bytes, without its `\n`.
    pub max_line: usize,
    /// The most `name=value` lines in one request.
    pub max_attributes: usize,
    /// The most bytes in one request, all lines together.
    pub max_request: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 2048,
            max_attributes: 100,
            max_request: 16 * 1024,
        }
    }
}

/// The attributes of one request that the gateway acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// `request`: must be `smtpd_access_policy`.
    pub request: Option<String>,
    /// `protocol_state`: `RCPT`, `DATA`, `END-OF-MESSAGE`...
    pub protocol_state: Option<String>,
    /// `sender`: the envelope sender; empty for bounces.
    pub sender: Option<String>,
    /// `recipient`: the envelope recipient of this `RCPT TO`.
    pub recipient: Option<String>,
    /// `instance`: the same for every request about one message (ties the RCPT requests to
    /// the END-OF-MESSAGE one, when the history learns accepted mail).
    pub instance: Option<String>,
}

/// Why a request could not be read. `at_boundary` says whether the stream still stands at
/// the start of the next request (the whole bad request was consumed), so the connection
/// can go on; otherwise it must be closed after the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub reason: String,
    pub at_boundary: bool,
    /// The connection itself failed (reset, idle timeout): nothing can be answered on it.
    pub io_failed: bool,
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ProtocolError {}

fn broken(reason: impl Into<String>) -> ProtocolError {
    ProtocolError {
        reason: reason.into(),
        at_boundary: false,
        io_failed: false,
    }
}

/// Reads one request. `Ok(None)` when the peer closed the connection between requests.
/// A request with a bad line is read to its end (within the limits) before the error is
/// returned, so the connection can carry on with the next one.
pub fn read_request(
    reader: &mut impl BufRead,
    limits: &Limits,
) -> Result<Option<Request>, ProtocolError> {
    let mut request = Request::default();
    let mut first_error: Option<String> = None;
    let mut attributes = 0usize;
    let mut total = 0usize;
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        // One byte more than the limit, so that an over-long line is seen as such.
        let read = Read::take(&mut *reader, limits.max_line as u64 + 2)
            .read_until(b'\n', &mut line)
            .map_err(|e| ProtocolError {
                io_failed: true,
                ..broken(format!("cannot read the request: {e}"))
            })?;
        if read == 0 {
            if total == 0 {
                return Ok(None);
            }
            return Err(broken("the connection closed in the middle of a request"));
        }
        total += read;
        if line.last() != Some(&b'\n') {
            if read > limits.max_line {
                return Err(broken(format!(
                    "a line is longer than {} bytes",
                    limits.max_line
                )));
            }
            return Err(broken("the connection closed in the middle of a request"));
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > limits.max_line {
            return Err(broken(format!(
                "a line is longer than {} bytes",
                limits.max_line
            )));
        }
        if total > limits.max_request {
            return Err(broken(format!(
                "the request is longer than {} bytes",
                limits.max_request
            )));
        }
        if line.is_empty() {
            return match first_error {
                Some(reason) => Err(ProtocolError {
                    reason,
                    at_boundary: true,
                    io_failed: false,
                }),
                None => Ok(Some(request)),
            };
        }
        attributes += 1;
        if attributes > limits.max_attributes {
            return Err(broken(format!(
                "the request has more than {} attributes",
                limits.max_attributes
            )));
        }
        if let Err(reason) = take_attribute(&mut request, &line, attributes) {
            first_error.get_or_insert(reason);
        }
    }
}

/// Stores one `name=value` line if the gateway uses that name. Only the values it uses must
/// be clean text: an unknown attribute is ignored whatever its bytes (a client's 8-bit HELO
/// name must not turn all its mail away).
fn take_attribute(request: &mut Request, line: &[u8], number: usize) -> Result<(), String> {
    let split = line
        .iter()
        .position(|&b| b == b'=')
        .ok_or_else(|| format!("attribute line {number} is not `name=value`"))?;
    let (name, value) = (&line[..split], &line[split + 1..]);
    let (slot, name) = match name {
        b"request" => (&mut request.request, "request"),
        b"protocol_state" => (&mut request.protocol_state, "protocol_state"),
        b"sender" => (&mut request.sender, "sender"),
        b"recipient" => (&mut request.recipient, "recipient"),
        b"instance" => (&mut request.instance, "instance"),
        _ => return Ok(()),
    };
    let value =
        std::str::from_utf8(value).map_err(|_| format!("attribute `{name}` is not UTF-8 text"))?;
    if value.chars().any(char::is_control) {
        return Err(format!("attribute `{name}` contains a control character"));
    }
    // Postfix never repeats a name; two values for the recipient would make the check
    // ambiguous, so a repeated name that matters is an error rather than a guess.
    if slot.is_some() {
        return Err(format!("attribute `{name}` is given twice"));
    }
    *slot = Some(value.to_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read_all(bytes: &[u8]) -> Vec<Result<Option<Request>, ProtocolError>> {
        let mut reader = Cursor::new(bytes.to_vec());
        let mut out = Vec::new();
        loop {
            let r = read_request(&mut reader, &Limits::default());
            let stop = matches!(r, Ok(None)) || matches!(&r, Err(e) if !e.at_boundary);
            out.push(r);
            if stop || out.len() > 10 {
                return out;
            }
        }
    }

    #[test]
    fn reads_requests_in_turn_and_ignores_unknown_attributes() {
        let text = "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@example.org\n\
                    recipient=colonel.smith@army.ml\nclient_address=127.0.0.1\nqueue_id=\n\n\
                    request=smtpd_access_policy\r\nprotocol_state=RCPT\r\nrecipient=b@army.mil\r\n\r\n";
        let got = read_all(text.as_bytes());
        assert_eq!(got.len(), 3);
        let first = got[0].clone().unwrap().unwrap();
        assert_eq!(first.request.as_deref(), Some("smtpd_access_policy"));
        assert_eq!(first.protocol_state.as_deref(), Some("RCPT"));
        assert_eq!(first.sender.as_deref(), Some("a@example.org"));
        assert_eq!(first.recipient.as_deref(), Some("colonel.smith@army.ml"));
        let second = got[1].clone().unwrap().unwrap();
        assert_eq!(second.recipient.as_deref(), Some("b@army.mil"));
        assert_eq!(second.sender, None);
        assert_eq!(got[2], Ok(None));
    }

    #[test]
    fn a_huge_line_is_refused_and_ends_the_connection() {
        let mut text = b"request=smtpd_access_policy\nrecipient=".to_vec();
        text.extend(std::iter::repeat_n(b'a', 1_000_000));
        text.extend(b"\n\n");
        let got = read_all(&text);
        assert_eq!(got.len(), 1);
        let e = got[0].clone().unwrap_err();
        assert!(e.reason.contains("longer than 2048 bytes"), "{e}");
        assert!(!e.at_boundary);
    }

    #[test]
    fn a_request_without_its_empty_line_is_an_error() {
        let got = read_all(b"request=smtpd_access_policy\nrecipient=a@army.ml\n");
        let e = got[0].clone().unwrap_err();
        assert!(e.reason.contains("closed in the middle"), "{e}");
        let got = read_all(b"request=smtpd_access_policy\nrecipient=a@army.ml");
        assert!(got[0]
            .clone()
            .unwrap_err()
            .reason
            .contains("closed in the middle"));
    }

    #[test]
    fn binary_and_control_characters_are_errors_but_the_next_request_is_read() {
        let mut text = b"request=smtpd_access_policy\nrecipient=a\xff\xfe@army.ml\n\n".to_vec();
        text.extend(b"recipient=a\x00b@army.ml\n\n");
        text.extend(b"no equals sign\n\n");
        text.extend(b"request=smtpd_access_policy\nrecipient=ok@army.mil\n\n");
        let got = read_all(&text);
        let e = got[0].clone().unwrap_err();
        assert!(e.reason.contains("`recipient` is not UTF-8"), "{e}");
        assert!(e.at_boundary);
        assert!(got[1]
            .clone()
            .unwrap_err()
            .reason
            .contains("control character"));
        assert!(got[2]
            .clone()
            .unwrap_err()
            .reason
            .contains("not `name=value`"));
        let ok = got[3].clone().unwrap().unwrap();
        assert_eq!(ok.recipient.as_deref(), Some("ok@army.mil"));
        assert_eq!(got[4], Ok(None));
    }

    #[test]
    fn unknown_attributes_are_ignored_whatever_their_bytes() {
        let text = b"helo_name=\xff\x01bad\nrequest=smtpd_access_policy\nrecipient=a@army.mil\n\n";
        let request = read_all(text)[0].clone().unwrap().unwrap();
        assert_eq!(request.recipient.as_deref(), Some("a@army.mil"));
    }

    #[test]
    fn a_repeated_name_that_matters_is_an_error_and_unknown_repeats_are_not() {
        let got = read_all(b"recipient=a@army.mil\nrecipient=b@army.ml\n\n");
        let e = got[0].clone().unwrap_err();
        assert!(e.reason.contains("`recipient` is given twice"), "{e}");
        let got = read_all(b"recipient=a@army.mil\nfoo=1\nfoo=2\n\n");
        assert!(got[0].clone().unwrap().is_some());
    }

    #[test]
    fn too_many_attributes_or_bytes_end_the_connection() {
        let many = "x=1\n".repeat(101) + "\n";
        let e = read_all(many.as_bytes())[0].clone().unwrap_err();
        assert!(e.reason.contains("more than 100 attributes"), "{e}");
        assert!(!e.at_boundary);
        let line = format!("x={}\n", "y".repeat(2000));
        let big = line.repeat(9) + "\n";
        let e = read_all(big.as_bytes())[0].clone().unwrap_err();
        assert!(e.reason.contains("longer than 16384 bytes"), "{e}");
    }

    #[test]
    fn empty_input_is_a_clean_close() {
        assert_eq!(read_all(b""), vec![Ok(None)]);
    }
}
