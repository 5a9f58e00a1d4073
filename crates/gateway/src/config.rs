//! The gateway's settings, as the server takes its own (crates/server/src/config.rs):
//! built-in defaults, then a TOML file, then `SENDGUARD_GATEWAY_*` environment variables,
//! then the command line (crates/cli/src/gateway.rs). Later sources win. Documented in
//! docs/gateway.md ("Settings").

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// `127.0.0.1:10040` (loopback only) or `unix:/path/to/socket`.
    pub listen: String,
    /// A local policy: plain JSON, or a signed bundle with `trust` and `tenant`.
    pub policy: Option<PathBuf>,
    /// A Sendguard server (`http://host:port`): the tenant's keyset and signed policy.
    pub policy_url: Option<String>,
    /// A folder written by `sendguard export`.
    pub policy_dir: Option<PathBuf>,
    /// The pinned keyset (the tenant's first keyset, as the add-ins pin it).
    pub trust: Option<PathBuf>,
    pub tenant: Option<String>,
    /// Where the last good policy, the accepted keysets and the history are kept.
    pub state_dir: PathBuf,
    /// How often the policy is fetched (an event from the server fetches it at once).
    pub poll_interval_secs: u64,
    /// What a warning does: `confirm`, `header` or `hold`.
    pub warn: Warn,
    /// With `warn = "confirm"`: how long a resend confirms a refused attempt.
    pub confirm_window_secs: i64,
    pub max_connections: usize,
    /// A policy connection idle this long is closed.
    pub idle_timeout_secs: u64,
    /// `/metrics` and `/healthz` on this loopback address (off when unset).
    pub ops_listen: Option<SocketAddr>,
    pub log_format: LogFormat,
    /// Name senders and recipients in the logs (off: logs carry no addresses).
    pub log_addresses: bool,
    /// Learn each sender's accepted recipients (under `state_dir/history`), so that
    /// address-level lookalikes are caught here too.
    pub history: bool,
    /// The most recipients kept per sender (the least useful are dropped first).
    pub history_max_entries: usize,
    /// The most senders whose history is kept; a new sender past it is not learnt.
    pub history_max_senders: usize,
    /// Send the anonymous counts (docs/privacy.md) to the policy server (`policy_url` only;
    /// the signed policy's `reporting.enabled` can also switch them off).
    pub report: bool,
    /// How often the counts are sent (also at a graceful shutdown).
    pub report_interval_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Warn {
    Confirm,
    Header,
    Hold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: "127.0.0.1:10040".into(),
            policy: None,
            policy_url: None,
            policy_dir: None,
            trust: None,
            tenant: None,
            state_dir: PathBuf::from("sendguard-gateway-data"),
            poll_interval_secs: 300,
            warn: Warn::Confirm,
            confirm_window_secs: 600,
            max_connections: 100,
            idle_timeout_secs: 300,
            ops_listen: None,
            log_format: LogFormat::Text,
            log_addresses: false,
            history: true,
            history_max_entries: 5_000,
            history_max_senders: 100_000,
            report: true,
            report_interval_secs: 3_600,
        }
    }
}

/// Where the service listens, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddress {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// The environment variables read, each naming one field.
pub const ENV_VARS: &[&str] = &[
    "SENDGUARD_GATEWAY_LISTEN",
    "SENDGUARD_GATEWAY_POLICY",
    "SENDGUARD_GATEWAY_POLICY_URL",
    "SENDGUARD_GATEWAY_POLICY_DIR",
    "SENDGUARD_GATEWAY_TRUST",
    "SENDGUARD_GATEWAY_TENANT",
    "SENDGUARD_GATEWAY_STATE_DIR",
    "SENDGUARD_GATEWAY_POLL_INTERVAL_SECS",
    "SENDGUARD_GATEWAY_WARN",
    "SENDGUARD_GATEWAY_CONFIRM_WINDOW_SECS",
    "SENDGUARD_GATEWAY_MAX_CONNECTIONS",
    "SENDGUARD_GATEWAY_IDLE_TIMEOUT_SECS",
    "SENDGUARD_GATEWAY_OPS_LISTEN",
    "SENDGUARD_GATEWAY_LOG_FORMAT",
    "SENDGUARD_GATEWAY_LOG_ADDRESSES",
    "SENDGUARD_GATEWAY_HISTORY",
    "SENDGUARD_GATEWAY_HISTORY_MAX_ENTRIES",
    "SENDGUARD_GATEWAY_HISTORY_MAX_SENDERS",
    "SENDGUARD_GATEWAY_REPORT",
    "SENDGUARD_GATEWAY_REPORT_INTERVAL_SECS",
];

impl GatewayConfig {
    /// Defaults, overridden by `file` (if given) and then by the environment (`get`).
    pub fn load(
        file: Option<&Path>,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<GatewayConfig, String> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => GatewayConfig::default(),
        };
        config.apply_env(get)?;
        Ok(config)
    }

    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
            value
                .trim()
                .parse()
                .map_err(|_| format!("{name}: cannot read `{value}`"))
        }
        fn word<T: for<'de> Deserialize<'de>>(name: &str, value: &str) -> Result<T, String> {
            T::deserialize(
                serde::de::value::StrDeserializer::<serde::de::value::Error>::new(value.trim()),
            )
            .map_err(|e| format!("{name}: {e}"))
        }
        for &name in ENV_VARS {
            let Some(value) = get(name) else { continue };
            match name {
                "SENDGUARD_GATEWAY_LISTEN" => self.listen = value.trim().to_string(),
                "SENDGUARD_GATEWAY_POLICY" => self.policy = Some(PathBuf::from(value)),
                "SENDGUARD_GATEWAY_POLICY_URL" => self.policy_url = Some(value.trim().into()),
                "SENDGUARD_GATEWAY_POLICY_DIR" => self.policy_dir = Some(PathBuf::from(value)),
                "SENDGUARD_GATEWAY_TRUST" => self.trust = Some(PathBuf::from(value)),
                "SENDGUARD_GATEWAY_TENANT" => self.tenant = Some(value.trim().into()),
                "SENDGUARD_GATEWAY_STATE_DIR" => self.state_dir = PathBuf::from(value),
                "SENDGUARD_GATEWAY_POLL_INTERVAL_SECS" => {
                    self.poll_interval_secs = parse(name, &value)?
                }
                "SENDGUARD_GATEWAY_WARN" => self.warn = word(name, &value)?,
                "SENDGUARD_GATEWAY_CONFIRM_WINDOW_SECS" => {
                    self.confirm_window_secs = parse(name, &value)?
                }
                "SENDGUARD_GATEWAY_MAX_CONNECTIONS" => self.max_connections = parse(name, &value)?,
                "SENDGUARD_GATEWAY_IDLE_TIMEOUT_SECS" => {
                    self.idle_timeout_secs = parse(name, &value)?
                }
                "SENDGUARD_GATEWAY_OPS_LISTEN" => self.ops_listen = Some(parse(name, &value)?),
                "SENDGUARD_GATEWAY_LOG_FORMAT" => self.log_format = word(name, &value)?,
                "SENDGUARD_GATEWAY_LOG_ADDRESSES" => self.log_addresses = parse(name, &value)?,
                "SENDGUARD_GATEWAY_HISTORY" => self.history = parse(name, &value)?,
                "SENDGUARD_GATEWAY_HISTORY_MAX_ENTRIES" => {
                    self.history_max_entries = parse(name, &value)?
                }
                "SENDGUARD_GATEWAY_HISTORY_MAX_SENDERS" => {
                    self.history_max_senders = parse(name, &value)?
                }
                "SENDGUARD_GATEWAY_REPORT" => self.report = parse(name, &value)?,
                "SENDGUARD_GATEWAY_REPORT_INTERVAL_SECS" => {
                    self.report_interval_secs = parse(name, &value)?
                }
                _ => unreachable!("every name in ENV_VARS is handled"),
            }
        }
        Ok(())
    }

    /// Refuses settings that cannot work, naming the setting.
    pub fn check(&self) -> Result<ListenAddress, String> {
        let sources = [
            self.policy.is_some(),
            self.policy_url.is_some(),
            self.policy_dir.is_some(),
        ];
        match sources.iter().filter(|s| **s).count() {
            1 => {}
            0 => return Err("give one policy source: policy, policy_url or policy_dir".into()),
            _ => return Err("give only one of policy, policy_url and policy_dir".into()),
        }
        if (self.policy_url.is_some() || self.policy_dir.is_some())
            && (self.trust.is_none() || self.tenant.is_none())
        {
            return Err(
                "policy_url and policy_dir need trust (the pinned keyset) and tenant".into(),
            );
        }
        if self.trust.is_some() != self.tenant.is_some() {
            return Err("trust and tenant go together".into());
        }
        if let Some(tenant) = &self.tenant {
            if tenant.is_empty()
                || !tenant
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return Err(format!(
                    "tenant `{tenant}`: letters, digits, `-`, `_` and `.` only"
                ));
            }
        }
        let positive = [
            ("poll_interval_secs", self.poll_interval_secs),
            ("idle_timeout_secs", self.idle_timeout_secs),
            ("max_connections", self.max_connections as u64),
            ("history_max_entries", self.history_max_entries as u64),
            ("history_max_senders", self.history_max_senders as u64),
            ("report_interval_secs", self.report_interval_secs),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("{name}: must be at least 1"));
        }
        if self.history_max_entries > sendguard_core::history::MAX_ENTRIES {
            return Err(format!(
                "history_max_entries: at most {}",
                sendguard_core::history::MAX_ENTRIES
            ));
        }
        if self.confirm_window_secs < 60 || self.confirm_window_secs > 86_400 {
            return Err("confirm_window_secs: from 60 (one minute) to 86400 (one day)".into());
        }
        if let Some(ops) = self.ops_listen.filter(|a| !a.ip().is_loopback()) {
            return Err(format!("ops_listen {ops}: use a loopback address"));
        }
        if let Some(path) = self.listen.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("listen: `unix:` needs a socket path".into());
            }
            return Ok(ListenAddress::Unix(PathBuf::from(path)));
        }
        let address: SocketAddr = self.listen.parse().map_err(|_| {
            format!(
                "listen `{}`: expected 127.0.0.1:PORT or unix:/path",
                self.listen
            )
        })?;
        if !address.ip().is_loopback() {
            return Err(format!(
                "listen {address}: use a loopback address or a Unix socket; the policy protocol has no authentication"
            ));
        }
        Ok(ListenAddress::Tcp(address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn file_then_environment() {
        let dir = std::env::temp_dir().join(format!("sg-gw-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("gateway.toml");
        std::fs::write(
            &file,
            "listen = \"unix:/run/sg.sock\"\npolicy_url = \"http://127.0.0.1:8080\"\ntrust = \"k.json\"\ntenant = \"acme\"\nwarn = \"hold\"\n",
        )
        .unwrap();
        let config = GatewayConfig::load(
            Some(&file),
            env(&[
                ("SENDGUARD_GATEWAY_WARN", "header"),
                ("SENDGUARD_GATEWAY_LOG_ADDRESSES", "true"),
                ("SENDGUARD_GATEWAY_REPORT", "false"),
            ]),
        )
        .unwrap();
        assert_eq!(config.warn, Warn::Header);
        assert!(config.log_addresses);
        assert!(!config.report);
        assert_eq!(
            config.check(),
            Ok(ListenAddress::Unix("/run/sg.sock".into()))
        );
        std::fs::write(&file, "listen = \"x\"\nunknown = 1\n").unwrap();
        let e = GatewayConfig::load(Some(&file), env(&[])).unwrap_err();
        assert!(e.contains("unknown"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn settings_that_cannot_work_are_refused_by_name() {
        let with = |pairs: &[(&str, &str)]| {
            GatewayConfig::load(None, env(pairs)).and_then(|c| c.check().map(|_| c))
        };
        let policy = ("SENDGUARD_GATEWAY_POLICY", "p.json");
        assert!(with(&[policy]).is_ok());
        assert!(with(&[]).unwrap_err().contains("policy source"));
        let url = ("SENDGUARD_GATEWAY_POLICY_URL", "http://127.0.0.1:1");
        assert!(with(&[policy, url]).unwrap_err().contains("only one"));
        assert!(with(&[url]).unwrap_err().contains("pinned keyset"));
        let bad = [
            ("SENDGUARD_GATEWAY_LISTEN", "0.0.0.0:10040"),
            ("SENDGUARD_GATEWAY_OPS_LISTEN", "10.0.0.1:9"),
            ("SENDGUARD_GATEWAY_CONFIRM_WINDOW_SECS", "5"),
            ("SENDGUARD_GATEWAY_MAX_CONNECTIONS", "0"),
            ("SENDGUARD_GATEWAY_WARN", "maybe"),
            ("SENDGUARD_GATEWAY_TENANT", "a/b"),
        ];
        for pair in bad {
            let e = with(&[policy, pair, ("SENDGUARD_GATEWAY_TRUST", "k")]);
            assert!(e.is_err(), "{pair:?}");
        }
    }
}
