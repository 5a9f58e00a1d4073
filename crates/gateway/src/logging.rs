//! The gateway's log lines on stderr: plain text (`sendguard gateway: ...`) or one JSON
//! object per line. No line names a sender or recipient unless the admin's `log_addresses`
//! setting asks: addresses are the senders' history, which stays on this server.

use std::io::Write;
use std::sync::OnceLock;

use crate::config::LogFormat;

struct LogSettings {
    format: LogFormat,
    addresses: bool,
}

static SETTINGS: OnceLock<LogSettings> = OnceLock::new();

/// Sets the format and the address choice once, at start (later calls change nothing).
pub fn init(format: LogFormat, addresses: bool) {
    let _ = SETTINGS.set(LogSettings { format, addresses });
}

fn settings() -> &'static LogSettings {
    SETTINGS.get_or_init(|| LogSettings {
        format: LogFormat::Text,
        addresses: false,
    })
}

/// One log line. A closed stderr must not stop the service (`eprintln!` would panic), so a
/// failed write is ignored.
pub fn log(message: std::fmt::Arguments) {
    let line = match settings().format {
        LogFormat::Text => format!("sendguard gateway: {message}\n"),
        LogFormat::Json => {
            let text = serde_json::Value::String(message.to_string());
            format!(
                "{{\"ts\":{},\"service\":\"sendguard-gateway\",\"message\":{text}}}\n",
                crate::server::unix_now()
            )
        }
    };
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// ` sender=… recipient=…` when the admin asked for addresses in the logs, else nothing.
pub fn addresses(sender: &str, recipient: &str) -> String {
    if !settings().addresses {
        return String::new();
    }
    let clean = |a: &str| crate::action::one_line(a).replace(' ', "_");
    format!(
        " sender=<{}> recipient=<{}>",
        clean(sender),
        clean(recipient)
    )
}
