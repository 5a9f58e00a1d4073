//! JavaScript values ⇄ the engine's types, and errors as JavaScript `Error`s with a code.

use sendguard_core::Draft;
use sendguard_js_api::api::ApiError;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// A JavaScript `Error` whose `code` property a caller can switch on.
pub fn error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// The shared API's error as a JavaScript `Error`; a stale policy or keyset rides along
/// as `policy` or `keyset`.
pub fn api_error(e: &ApiError) -> JsValue {
    let js = error(e.code, &e.message);
    if let Some(policy) = &e.policy {
        if let Ok(value) = to_js(policy) {
            let _ = js_sys::Reflect::set(&js, &"policy".into(), &value);
        }
    }
    if let Some(keyset) = &e.keyset {
        if let Ok(value) = to_js(keyset) {
            let _ = js_sys::Reflect::set(&js, &"keyset".into(), &value);
        }
    }
    js
}

/// Reads a request object (`{tenant, held, now}` for a bundle, …); `what` names it in errors.
pub fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| error("bad_request", &format!("{what}: {e}")))
}

/// Reads a draft object. It goes through JSON text on purpose: the native reader and the
/// classic build read JSON too, so every build accepts the same drafts and names a bad field
/// with the same message.
pub fn draft_from_js(value: &JsValue) -> Result<Draft, JsValue> {
    let text = match js_sys::JSON::stringify(value) {
        Ok(text) if value.is_object() => String::from(text),
        _ => return Err(error("bad_draft", "draft: expected an object")),
    };
    Draft::from_json(&text).map_err(|e| error("bad_draft", &e.to_string()))
}

/// What a check needs besides the draft.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct CheckContext {
    /// Addresses the sender has written to before.
    known: Vec<String>,
}

/// Reads `{known: [...]}`; `undefined` or `null` is an empty context.
pub fn known_from_js(value: JsValue) -> Result<Vec<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    serde_wasm_bindgen::from_value::<CheckContext>(value)
        .map(|c| c.known)
        .map_err(|e| error("bad_context", &format!("context: {e}")))
}

/// A value (a verdict) as a plain object: `null` for absent values and objects for maps,
/// exactly the shape of the native JSON.
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| error("internal", &e.to_string()))
}
