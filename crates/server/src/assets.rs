//! The client files built into the binary by the release build (build.rs, feature
//! `embed-assets`): the engine for the console's simulator (`wasm/`), the Thunderbird
//! package (`thunderbird/`) and the Outlook add-in's parts (`outlook/`). A binary built
//! without them still serves the API and the console, and says what is missing (at start
//! and in each 404), so that an operator knows which build step to run.

use crate::config::Config;

/// (path under the asset root, bytes), sorted by path; empty without `embed-assets`.
const EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The Thunderbird package inside the binary.
pub const XPI: &str = "thunderbird/sendguard-thunderbird.xpi";
/// The URL path the Thunderbird package is served at.
pub const XPI_URL_PATH: &str = "/addin/thunderbird/sendguard-thunderbird.xpi";

/// An embedded file by its path (`wasm/sendguard.js`).
pub fn get(path: &str) -> Option<&'static [u8]> {
    EMBEDDED
        .binary_search_by(|(name, _)| name.cmp(&path))
        .ok()
        .map(|i| EMBEDDED[i].1)
}

/// Every embedded file under `folder/` (for routes), as (path below the folder, bytes).
pub fn under(folder: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> + '_ {
    EMBEDDED.iter().filter_map(move |&(name, bytes)| {
        name.strip_prefix(folder)
            .and_then(|rest| rest.strip_prefix('/'))
            .map(|rest| (rest, bytes))
    })
}

/// The content type of a served file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "xml" => "application/xml; charset=utf-8",
        "xpi" => "application/x-xpinstall",
        _ => "application/octet-stream",
    }
}

/// The parts a client needs, each with whether this server has it and how to get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The engine's ES module build, for the console's simulator (`/wasm/`).
    Engine,
    /// The Thunderbird package (`/addin/thunderbird/sendguard-thunderbird.xpi`).
    Thunderbird,
    /// The Outlook add-in's scripts and pages, served per tenant.
    Outlook,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::Engine, Part::Thunderbird, Part::Outlook];

    /// Whether this server can serve the part: built in, or (engine, Thunderbird) from a
    /// configured folder.
    pub fn available(self, config: &Config) -> bool {
        match self {
            Part::Engine => config.wasm_dir.is_some() || get("wasm/sendguard.js").is_some(),
            Part::Thunderbird => config.addin_dir.is_some() || get(XPI).is_some(),
            Part::Outlook => OUTLOOK_PARTS.iter().all(|p| get(p).is_some()),
        }
    }

    /// What is missing and what to do, in one sentence.
    pub fn missing(self) -> &'static str {
        match self {
            Part::Engine => "the engine for the console's simulator (/wasm/) is not built in: run scripts/build-release, or scripts/build-wasm and set wasm_dir to build/wasm/esm",
            Part::Thunderbird => "the Thunderbird extension (.xpi) is not built in: run scripts/build-release, or scripts/build-thunderbird and set addin_dir",
            Part::Outlook => "the Outlook add-in is not built in: run scripts/build-release",
        }
    }
}

/// The Outlook files the server must have to assemble each tenant's add-in.
pub const OUTLOOK_PARTS: &[&str] = &[
    "outlook/engine/sendguard-classic.js",
    "outlook/engine/sendguard-classic-web.js",
    "outlook/main-commands.js",
    "outlook/main-taskpane.js",
    "outlook/static/commands.html",
    "outlook/static/taskpane.html",
];

/// One line per part this server cannot serve (empty when it serves everything).
pub fn missing(config: &Config) -> Vec<&'static str> {
    Part::ALL
        .into_iter()
        .filter(|p| !p.available(config))
        .map(Part::missing)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_is_sorted_for_lookups() {
        assert!(EMBEDDED.windows(2).all(|w| w[0].0 < w[1].0));
        for &(name, bytes) in EMBEDDED {
            assert_eq!(get(name), Some(bytes));
        }
        assert_eq!(get("wasm/no-such-file"), None);
    }

    #[test]
    fn a_server_without_assets_names_each_missing_part_and_its_fix() {
        let config = Config::default();
        let missing = missing(&config);
        if cfg!(feature = "embed-assets") {
            assert!(missing.is_empty(), "{missing:?}");
        } else {
            assert_eq!(missing.len(), 3, "{missing:?}");
            assert!(missing.iter().all(|m| m.contains("scripts/build-release")));
        }
    }
}
