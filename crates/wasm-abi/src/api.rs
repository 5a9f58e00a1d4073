//! The calls of the C ABI as plain Rust: engines kept by handle, requests as JSON bytes.

use sendguard_core::{Draft, Engine, KnownRecipients};
use serde::Serialize;

/// An error for JavaScript: a stable machine-readable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

/// What loading a policy answers: the handle for later checks and the policy's version
/// (`null` for a plain policy, the bundle's version for a signed one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Loaded {
    pub handle: u32,
    pub policy_version: Option<u64>,
}

/// The engines loaded so far. A handle is an index; dropped engines leave a hole.
#[derive(Default)]
pub struct Engines {
    slots: Vec<Option<Engine>>,
}

fn utf8<'a>(bytes: &'a [u8], what: &str, code: &'static str) -> Result<&'a str, ApiError> {
    std::str::from_utf8(bytes).map_err(|_| ApiError::new(code, format!("{what}: not UTF-8 text")))
}

impl Engines {
    /// Loads a plain (unsigned) policy from its JSON.
    pub fn load_policy(&mut self, policy_json: &[u8]) -> Result<Loaded, ApiError> {
        let text = utf8(policy_json, "policy", "bad_policy")?;
        let engine =
            Engine::from_json(text).map_err(|e| ApiError::new("bad_policy", e.to_string()))?;
        Ok(self.keep(engine, None))
    }

    fn keep(&mut self, engine: Engine, policy_version: Option<u64>) -> Loaded {
        self.slots.push(Some(engine));
        Loaded {
            handle: (self.slots.len() - 1) as u32,
            policy_version,
        }
    }

    /// Frees an engine; later calls with its handle fail with `bad_handle`.
    pub fn drop_engine(&mut self, handle: u32) -> Result<(), ApiError> {
        let slot = self
            .slots
            .get_mut(handle as usize)
            .filter(|s| s.is_some())
            .ok_or_else(|| bad_handle(handle))?;
        *slot = None;
        Ok(())
    }

    /// Checks a draft (JSON) given the known recipients (a JSON array of strings); answers
    /// the verdict JSON, byte for byte what `sendguard check --format json` prints.
    pub fn check(
        &self,
        handle: u32,
        draft_json: &[u8],
        known_json: &[u8],
    ) -> Result<String, ApiError> {
        let engine = self
            .slots
            .get(handle as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| bad_handle(handle))?;
        let draft = Draft::from_json(utf8(draft_json, "draft", "bad_draft")?)
            .map_err(|e| ApiError::new("bad_draft", e.to_string()))?;
        let known: Vec<String> = serde_json::from_slice(known_json).map_err(|e| {
            ApiError::new(
                "bad_context",
                format!("known recipients must be a list of strings: {e}"),
            )
        })?;
        let verdict = engine.check(&draft, &KnownRecipients::new(&known));
        Ok(serde_json::to_string(&verdict).expect("a verdict always serialises"))
    }
}

fn bad_handle(handle: u32) -> ApiError {
    ApiError::new(
        "bad_handle",
        format!("no engine is loaded with handle {handle}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_codes_and_name_the_field() {
        let mut engines = Engines::default();
        let e = engines
            .load_policy(br#"{"actions": {"tld_trapp": "warn"}}"#)
            .unwrap_err();
        assert_eq!(e.code, "bad_policy");
        assert!(e.message.contains("actions"), "{}", e.message);
        assert_eq!(engines.load_policy(b"\xff").unwrap_err().code, "bad_policy");

        let loaded = engines.load_policy(b"{}").unwrap();
        assert_eq!(loaded.policy_version, None);
        let e = engines
            .check(loaded.handle, br#"{"to": "not-a-list"}"#, b"[]")
            .unwrap_err();
        assert_eq!(e.code, "bad_draft");
        assert!(e.message.contains("to"), "{}", e.message);
        assert_eq!(
            engines.check(loaded.handle, b"{}", b"{}").unwrap_err().code,
            "bad_context"
        );
        assert_eq!(
            engines.check(99, b"{}", b"[]").unwrap_err().code,
            "bad_handle"
        );
    }

    #[test]
    fn known_recipients_are_used_and_dropped_engines_refused() {
        let mut engines = Engines::default();
        let h = engines.load_policy(b"{}").unwrap().handle;
        let draft = br#"{"to": ["bob@gmial.com"]}"#;
        let unknown = engines.check(h, draft, b"[]").unwrap();
        let known = engines.check(h, draft, br#"["bob@gmial.com"]"#).unwrap();
        assert_ne!(
            unknown, known,
            "knowing the recipient must change the verdict"
        );
        engines.drop_engine(h).unwrap();
        assert_eq!(
            engines.check(h, draft, b"[]").unwrap_err().code,
            "bad_handle"
        );
        assert_eq!(engines.drop_engine(h).unwrap_err().code, "bad_handle");
    }
}
