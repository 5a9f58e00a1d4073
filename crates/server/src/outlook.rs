//! The Outlook add-in, assembled per tenant from the parts built into the binary, the way
//! `addin/outlook/package.mjs` packages it: the manifest (the root `manifest.xml` template
//! with this server's public URL and the admin's SendMode), and the scripts (the pinned
//! `SENDGUARD_CONFIG` line + an engine script + the bundled add-in code). Each tenant's
//! add-in lives under `/t/{tenant}/addin/outlook/`, so one server carries every tenant's.

use serde::Serialize;

use crate::assets;

/// The manifest template (repository root), with this placeholder for the server's URL.
pub const TEMPLATE: &str = include_str!("../../../manifest.xml");
const TEMPLATE_URL: &str = "https://sendguard.example";

/// What Outlook does with a "block" verdict (the manifest's `SendMode`).
pub const SEND_MODES: [&str; 3] = ["PromptUser", "SoftBlock", "Block"];

/// The base URL of a tenant's add-in: the manifest's URLs are this + `/addin/outlook/...`.
pub fn tenant_base(public_url: &str, tenant: &str) -> String {
    format!("{}/t/{tenant}", public_url.trim_end_matches('/'))
}

/// The manifest to deploy for one tenant (as package.mjs's `packageManifest`).
pub fn manifest(public_url: &str, tenant: &str, send_mode: &str) -> Result<String, String> {
    if !SEND_MODES.contains(&send_mode) {
        return Err(format!(
            "send mode `{send_mode}`: use one of {}",
            SEND_MODES.join(", ")
        ));
    }
    let origin = origin(public_url)?;
    let base = tenant_base(public_url, tenant);
    let app_domain = format!("<AppDomain>{TEMPLATE_URL}</AppDomain>");
    let xml = TEMPLATE
        .replace(&app_domain, &format!("<AppDomain>{origin}</AppDomain>"))
        .replace(TEMPLATE_URL, &base);
    // Every send event (messages, meeting invites) gets the same SendMode.
    let mut parts = xml.split("SendMode=\"");
    let mut out = parts.next().unwrap_or_default().to_string();
    let mut found = false;
    for part in parts {
        let (_, rest) = part
            .split_once('"')
            .ok_or("unterminated SendMode in the manifest template")?;
        out.push_str(&format!("SendMode=\"{send_mode}\"{rest}"));
        found = true;
    }
    if !found {
        return Err("the manifest template has no SendMode".into());
    }
    let xml = out;
    Ok(xml)
}

/// `https://host[:port]` of an https URL.
fn origin(url: &str) -> Result<&str, String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("public_url `{url}` must start with https://"))?;
    let host_len = rest.find('/').unwrap_or(rest.len());
    Ok(&url[.."https://".len() + host_len])
}

/// What the add-in pins (package.mjs's `SENDGUARD_CONFIG`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddinConfig<'a> {
    pub tenant: &'a str,
    /// The tenant's keyset, pinned: where the add-in's trust starts.
    pub keyset: &'a str,
    pub policy_url: String,
    pub keyset_url: String,
    pub baked_bundle: Option<&'a str>,
    pub baked_policy: Option<&'a str>,
    pub fail_mode: &'a str,
}

impl<'a> AddinConfig<'a> {
    pub fn new(public_url: &str, tenant: &'a str, keyset: &'a str) -> AddinConfig<'a> {
        let server = public_url.trim_end_matches('/');
        AddinConfig {
            tenant,
            keyset,
            policy_url: format!("{server}/v1/tenants/{tenant}/policy"),
            keyset_url: format!("{server}/v1/tenants/{tenant}/keyset"),
            baked_bundle: None,
            baked_policy: None,
            fail_mode: "warn",
        }
    }
}

/// A file of a tenant's add-in (`commands.js`, `taskpane.html`, `assets/icon-16.png`), or
/// `None` if there is no such file (or the Outlook parts are not built in).
pub fn file(name: &str, config: &AddinConfig) -> Option<Vec<u8>> {
    let script = |entry: &str, engine: &str| -> Option<Vec<u8>> {
        let line = format!(
            "var SENDGUARD_CONFIG = {};\n",
            serde_json::to_string(config).ok()?
        );
        let engine = assets::get(&format!("outlook/engine/{engine}"))?;
        let main = assets::get(&format!("outlook/main-{entry}.js"))?;
        Some([line.as_bytes(), engine, main].concat())
    };
    match name {
        "commands.js" => script("commands", "sendguard-classic.js"),
        "commands-web.js" => script("commands", "sendguard-classic-web.js"),
        "taskpane.js" => script("taskpane", "sendguard-classic.js"),
        "taskpane-web.js" => script("taskpane", "sendguard-classic-web.js"),
        _ if !name.contains("..") => assets::get(&format!("outlook/static/{name}")).map(Vec::from),
        _ => None,
    }
}

/// The list Office reads at `/.well-known/microsoft-officeaddins-allowed.json`: each tenant's
/// event script (classic Outlook's runtime may make cross-origin requests only from these).
pub fn allowed_scripts<'a>(public_url: &str, tenants: impl Iterator<Item = &'a str>) -> String {
    let allowed: Vec<String> = tenants
        .map(|t| format!("{}/addin/outlook/commands.js", tenant_base(public_url, t)))
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "allowed": allowed })).unwrap_or_default()
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_points_at_the_tenants_files_on_this_server() {
        let xml = manifest("https://guard.example.org/sg", "acme", "SoftBlock").unwrap();
        assert!(!xml.contains(TEMPLATE_URL));
        assert!(xml.contains("<AppDomain>https://guard.example.org</AppDomain>"));
        assert!(xml.contains("https://guard.example.org/sg/t/acme/addin/outlook/commands.js"));
        let modes = TEMPLATE.matches("SendMode=").count();
        assert!(modes >= 1);
        assert_eq!(
            xml.matches("SendMode=\"SoftBlock\"").count(),
            modes,
            "every send event"
        );
        assert!(manifest("http://guard.example.org", "acme", "Block").is_err());
        assert!(manifest("https://guard.example.org", "acme", "Maybe").is_err());
    }

    #[test]
    fn the_pinned_config_names_the_tenant_and_its_urls() {
        let config = AddinConfig::new("https://guard.example.org/", "acme", "{}");
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(
            json["policyUrl"],
            "https://guard.example.org/v1/tenants/acme/policy"
        );
        assert_eq!(
            json["keysetUrl"],
            "https://guard.example.org/v1/tenants/acme/keyset"
        );
        assert_eq!(json["keyset"], "{}");
        assert!(json["bakedPolicy"].is_null());
        let allowed = allowed_scripts("https://g.example", ["a", "b"].into_iter());
        assert!(allowed.contains("https://g.example/t/b/addin/outlook/commands.js"));
    }
}
