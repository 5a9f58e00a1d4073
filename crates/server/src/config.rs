//! Server settings: built-in defaults, then a TOML file, then `SENDGUARD_*` environment
//! variables (documented in docs/server.md). Later sources win.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use sendguard_core::bundle::MAX_BUNDLE_BYTES;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where to listen. Loopback by default: put a TLS proxy in front to expose it.
    pub listen: SocketAddr,
    /// SQLite database, signing keys and keyset live here.
    pub data_dir: PathBuf,
    /// Origins (e.g. `https://addin.example.org`) allowed to fetch policy from a browser.
    pub addin_origins: Vec<String>,
    /// The https address users reach this server at (behind its TLS proxy), e.g.
    /// `https://guard.example.org`: used in the Outlook manifest, the add-ins' pinned URLs
    /// and Thunderbird's `policies.json` (console, Deploy).
    pub public_url: Option<String>,
    /// Serve the console from this folder instead of the copy built into the binary.
    pub console_dir: Option<PathBuf>,
    /// Static add-in files served under `/addin/`, if set.
    pub addin_dir: Option<PathBuf>,
    /// The engine's WebAssembly build (`build/wasm/esm`), served under `/wasm/` for the
    /// console's simulator, if set.
    pub wasm_dir: Option<PathBuf>,
    /// A signed bundle is valid this many days after publication.
    pub bundle_lifetime_days: u32,
    /// The renewal job re-signs a tenant's current policy when it has fewer than this many
    /// days left (must be less than `bundle_lifetime_days`).
    pub policy_renewal_margin_days: u32,
    /// How often the renewal job looks for bundles (and keysets) close to expiry.
    pub renewal_interval_minutes: u32,
    /// Largest accepted request body (at most [`MAX_BUNDLE_BYTES`]: no larger body could
    /// become a bundle that clients accept).
    pub max_body_bytes: usize,
    /// Requests (other than event streams) taking longer are answered 408.
    pub request_timeout_secs: u64,
    /// A request's head must arrive within this many seconds of the connection opening or of
    /// the previous response (so this also ends idle keep-alive connections).
    pub header_timeout_secs: u64,
    /// A connection with no byte moving either way for this long is closed.
    pub idle_timeout_secs: u64,
    /// Most connections served at once; 0: as many as the open-file limit allows.
    pub max_connections: usize,
    /// Admin API requests per minute per admin token.
    pub admin_requests_per_minute: u32,
    /// Admin API requests without a valid token per minute per client.
    pub admin_failed_attempts_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the admin limits).
    pub trusted_proxies: Vec<IpAddr>,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// Devices' reports (counts per day) are deleted this many days after the day they count.
    pub report_retention_days: u32,
    /// A destination domain shows in the console only once this many installs reported it.
    pub report_min_installs: u32,
    /// Reports accepted per minute from one install (a device sends about one a day).
    pub reports_per_install_per_minute: u32,
    /// Reports accepted per minute from one client address (many installs behind one NAT).
    pub reports_per_client_per_minute: u32,
    /// `text` or `json` logs.
    pub log_format: LogFormat,
}

/// `/metrics` for everyone, for callers with an admin token, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsAccess {
    Open,
    Token,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("sendguard-data"),
            addin_origins: Vec::new(),
            public_url: None,
            console_dir: None,
            addin_dir: None,
            wasm_dir: None,
            bundle_lifetime_days: 30,
            policy_renewal_margin_days: 10,
            renewal_interval_minutes: 60,
            max_body_bytes: 256 * 1024,
            request_timeout_secs: 15,
            header_timeout_secs: 10,
            idle_timeout_secs: 60,
            max_connections: 0,
            admin_requests_per_minute: 300,
            admin_failed_attempts_per_minute: 30,
            trusted_proxies: Vec::new(),
            metrics: MetricsAccess::Token,
            report_retention_days: 180,
            report_min_installs: 3,
            reports_per_install_per_minute: 10,
            reports_per_client_per_minute: 600,
            log_format: LogFormat::Text,
        }
    }
}

/// Event streams send a comment this often, so that idle connections can be told from them.
pub const EVENT_STREAM_KEEP_ALIVE_SECS: u64 = 20;

/// The environment variables read, each naming one [`Config`] field.
pub const ENV_VARS: &[&str] = &[
    "SENDGUARD_LISTEN",
    "SENDGUARD_DATA_DIR",
    "SENDGUARD_ADDIN_ORIGINS",
    "SENDGUARD_PUBLIC_URL",
    "SENDGUARD_CONSOLE_DIR",
    "SENDGUARD_ADDIN_DIR",
    "SENDGUARD_WASM_DIR",
    "SENDGUARD_BUNDLE_LIFETIME_DAYS",
    "SENDGUARD_POLICY_RENEWAL_MARGIN_DAYS",
    "SENDGUARD_RENEWAL_INTERVAL_MINUTES",
    "SENDGUARD_MAX_BODY_BYTES",
    "SENDGUARD_REQUEST_TIMEOUT_SECS",
    "SENDGUARD_HEADER_TIMEOUT_SECS",
    "SENDGUARD_IDLE_TIMEOUT_SECS",
    "SENDGUARD_MAX_CONNECTIONS",
    "SENDGUARD_ADMIN_REQUESTS_PER_MINUTE",
    "SENDGUARD_ADMIN_FAILED_ATTEMPTS_PER_MINUTE",
    "SENDGUARD_TRUSTED_PROXIES",
    "SENDGUARD_METRICS",
    "SENDGUARD_REPORT_RETENTION_DAYS",
    "SENDGUARD_REPORT_MIN_INSTALLS",
    "SENDGUARD_REPORTS_PER_INSTALL_PER_MINUTE",
    "SENDGUARD_REPORTS_PER_CLIENT_PER_MINUTE",
    "SENDGUARD_LOG_FORMAT",
];

impl Config {
    /// Defaults, overridden by `file` (if given) and then by the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.check()?;
        Ok(config)
    }

    /// Refuses settings that cannot work (a renewal margin as long as a bundle's life would
    /// re-sign on every check).
    pub fn check(&self) -> Result<(), String> {
        if self.bundle_lifetime_days == 0 {
            return Err("bundle_lifetime_days must be at least 1".into());
        }
        if self.policy_renewal_margin_days == 0
            || self.policy_renewal_margin_days >= self.bundle_lifetime_days
        {
            return Err(format!(
                "policy_renewal_margin_days ({}) must be at least 1 and less than bundle_lifetime_days ({})",
                self.policy_renewal_margin_days, self.bundle_lifetime_days
            ));
        }
        if let Some(url) = &self.public_url {
            let host = url.strip_prefix("https://").unwrap_or("");
            if host.is_empty()
                || host.starts_with('/')
                || url.contains(['?', '#', ' ', '"', '<', '>'])
            {
                return Err(format!(
                    "public_url `{url}` must be an https URL without query or fragment (Outlook loads add-ins only over https)"
                ));
            }
        }
        if self.report_retention_days == 0 || self.report_min_installs == 0 {
            return Err("report_retention_days and report_min_installs: must be at least 1".into());
        }
        if self.renewal_interval_minutes == 0 {
            return Err("renewal_interval_minutes must be at least 1".into());
        }
        if self.max_body_bytes > MAX_BUNDLE_BYTES {
            return Err(format!(
                "max_body_bytes: at most {MAX_BUNDLE_BYTES} (clients refuse larger bundles), not {}",
                self.max_body_bytes
            ));
        }
        let positive = [
            ("request_timeout_secs", self.request_timeout_secs),
            ("header_timeout_secs", self.header_timeout_secs),
            ("idle_timeout_secs", self.idle_timeout_secs),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(format!("{name}: must be at least 1"));
        }
        if self.idle_timeout_secs <= EVENT_STREAM_KEEP_ALIVE_SECS {
            return Err(format!(
                "idle_timeout_secs: must be over {EVENT_STREAM_KEEP_ALIVE_SECS} (event streams are quiet that long)"
            ));
        }
        Ok(())
    }

    /// `public_url` without a trailing slash.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref().map(|u| u.trim_end_matches('/'))
    }

    /// How long a signed bundle is valid, in seconds.
    pub fn bundle_lifetime_secs(&self) -> i64 {
        i64::from(self.bundle_lifetime_days) * 86_400
    }

    /// A bundle expiring within this many seconds is renewed.
    pub fn policy_renewal_margin_secs(&self) -> i64 {
        i64::from(self.policy_renewal_margin_days) * 86_400
    }

    /// Applies `SENDGUARD_*` variables; `get` is the environment (a parameter so tests need not set it).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
            value
                .trim()
                .parse()
                .map_err(|_| format!("{name}: cannot read `{value}`"))
        }
        for &name in ENV_VARS {
            let Some(value) = get(name) else { continue };
            match name {
                "SENDGUARD_LISTEN" => self.listen = parse(name, &value)?,
                "SENDGUARD_DATA_DIR" => self.data_dir = PathBuf::from(value),
                "SENDGUARD_ADDIN_ORIGINS" => {
                    self.addin_origins = comma_list(&value).map(String::from).collect()
                }
                "SENDGUARD_PUBLIC_URL" => self.public_url = Some(value.trim().to_string()),
                "SENDGUARD_CONSOLE_DIR" => self.console_dir = Some(PathBuf::from(value)),
                "SENDGUARD_ADDIN_DIR" => self.addin_dir = Some(PathBuf::from(value)),
                "SENDGUARD_WASM_DIR" => self.wasm_dir = Some(PathBuf::from(value)),
                "SENDGUARD_BUNDLE_LIFETIME_DAYS" => {
                    self.bundle_lifetime_days = parse(name, &value)?
                }
                "SENDGUARD_POLICY_RENEWAL_MARGIN_DAYS" => {
                    self.policy_renewal_margin_days = parse(name, &value)?
                }
                "SENDGUARD_RENEWAL_INTERVAL_MINUTES" => {
                    self.renewal_interval_minutes = parse(name, &value)?
                }
                "SENDGUARD_MAX_BODY_BYTES" => self.max_body_bytes = parse(name, &value)?,
                "SENDGUARD_REQUEST_TIMEOUT_SECS" => {
                    self.request_timeout_secs = parse(name, &value)?
                }
                "SENDGUARD_HEADER_TIMEOUT_SECS" => self.header_timeout_secs = parse(name, &value)?,
                "SENDGUARD_IDLE_TIMEOUT_SECS" => self.idle_timeout_secs = parse(name, &value)?,
                "SENDGUARD_MAX_CONNECTIONS" => self.max_connections = parse(name, &value)?,
                "SENDGUARD_ADMIN_REQUESTS_PER_MINUTE" => {
                    self.admin_requests_per_minute = parse(name, &value)?
                }
                "SENDGUARD_ADMIN_FAILED_ATTEMPTS_PER_MINUTE" => {
                    self.admin_failed_attempts_per_minute = parse(name, &value)?
                }
                "SENDGUARD_TRUSTED_PROXIES" => {
                    self.trusted_proxies = comma_list(&value)
                        .map(|address| parse(name, address))
                        .collect::<Result<_, _>>()?
                }
                "SENDGUARD_METRICS" => {
                    self.metrics = match value.trim() {
                        "open" => MetricsAccess::Open,
                        "token" => MetricsAccess::Token,
                        "off" => MetricsAccess::Off,
                        other => {
                            return Err(format!(
                                "{name}: `{other}` is not `open`, `token` or `off`"
                            ))
                        }
                    }
                }
                "SENDGUARD_REPORT_RETENTION_DAYS" => {
                    self.report_retention_days = parse(name, &value)?
                }
                "SENDGUARD_REPORT_MIN_INSTALLS" => self.report_min_installs = parse(name, &value)?,
                "SENDGUARD_REPORTS_PER_INSTALL_PER_MINUTE" => {
                    self.reports_per_install_per_minute = parse(name, &value)?
                }
                "SENDGUARD_REPORTS_PER_CLIENT_PER_MINUTE" => {
                    self.reports_per_client_per_minute = parse(name, &value)?
                }
                "SENDGUARD_LOG_FORMAT" => {
                    self.log_format = match value.trim() {
                        "text" => LogFormat::Text,
                        "json" => LogFormat::Json,
                        other => {
                            return Err(format!("{name}: `{other}` is neither `text` nor `json`"))
                        }
                    }
                }
                _ => unreachable!("every name in ENV_VARS is handled"),
            }
        }
        Ok(())
    }
}

/// The non-empty items of a comma-separated list.
fn comma_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        let mut config: Config =
            toml::from_str("listen = \"127.0.0.1:9999\"\naddin_origins = [\"https://a.example\"]")
                .unwrap();
        assert_eq!(config.listen.port(), 9999);
        assert_eq!(config.bundle_lifetime_days, 30);
        let env = |name: &str| match name {
            "SENDGUARD_ADDIN_ORIGINS" => Some("https://b.example, https://c.example".to_string()),
            "SENDGUARD_LOG_FORMAT" => Some("json".to_string()),
            _ => None,
        };
        config.apply_env(env).unwrap();
        assert_eq!(
            config.addin_origins,
            ["https://b.example", "https://c.example"]
        );
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.listen.port(), 9999);
    }

    #[test]
    fn bad_values_are_named() {
        let e = Config::default()
            .apply_env(|n| (n == "SENDGUARD_LISTEN").then(|| "nowhere".into()))
            .unwrap_err();
        assert!(e.contains("SENDGUARD_LISTEN"), "{e}");
        assert!(toml::from_str::<Config>("listne = \"x\"").is_err());
    }

    #[test]
    fn a_renewal_margin_must_be_shorter_than_a_bundles_life() {
        assert!(Config::default().check().is_ok());
        let config = Config {
            policy_renewal_margin_days: 30,
            ..Config::default()
        };
        let e = config.check().unwrap_err();
        assert!(e.contains("policy_renewal_margin_days (30)"), "{e}");
        let config = Config {
            public_url: Some("http://guard.example.org".into()),
            ..Config::default()
        };
        assert!(config.check().unwrap_err().contains("https"));
    }

    #[test]
    fn proxies_metrics_and_impossible_limits() {
        let mut config = Config::default();
        let env = |name: &str| match name {
            "SENDGUARD_TRUSTED_PROXIES" => Some("10.0.0.1, ::1".to_string()),
            "SENDGUARD_METRICS" => Some("off".to_string()),
            _ => None,
        };
        config.apply_env(env).unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.metrics, MetricsAccess::Off);
        assert!(config.check().is_ok());
        config.max_body_bytes = MAX_BUNDLE_BYTES + 1;
        let e = config.check().unwrap_err();
        assert!(
            e.contains("max_body_bytes") && e.contains("clients refuse"),
            "{e}"
        );
        let e = Config::default()
            .apply_env(|n| (n == "SENDGUARD_METRICS").then(|| "public".into()))
            .unwrap_err();
        assert!(e.contains("SENDGUARD_METRICS"), "{e}");
    }
}
