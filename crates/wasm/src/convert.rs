//! JavaScript values ⇄ the engine's types, and errors as JavaScript `Error`s with a code.

use sendguard_core::Draft;
use sendguard_js_api::api::{self, ApiError};
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

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

/// Reads a context `{known?: [...], history?: string}`: the known list, and the history as the
/// JavaScript value it is (`undefined` when absent). `undefined` or `null` is an empty context.
pub fn context_from_js(value: &JsValue) -> Result<(Vec<String>, JsValue), JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok((Vec::new(), JsValue::UNDEFINED));
    }
    let bad = |why: &str| error("bad_context", &format!("context: {why}"));
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(bad("expected an object {known, history}"));
    }
    for key in js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if key != "known" && key != "history" {
            return Err(bad(&format!(
                "unknown field `{key}`, expected `known` or `history`"
            )));
        }
    }
    let get = |key: &str| js_sys::Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let history = get("history");
    if !(history.is_undefined() || history.is_null() || history.is_string()) {
        return Err(bad("history must be a string"));
    }
    let known = match get("known") {
        k if k.is_undefined() || k.is_null() => Vec::new(),
        k => serde_wasm_bindgen::from_value::<Vec<String>>(k)
            .map_err(|e| bad(&format!("known must be a list of strings: {e}")))?,
    };
    Ok((known, history))
}

#[wasm_bindgen]
extern "C" {
    /// The JavaScript engine's own UTF-8 encoder.
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(
        this: &TextEncoder,
        text: &js_sys::JsString,
        into: &js_sys::Uint8Array,
    ) -> Encoded;

    /// What `encodeInto` answers: UTF-16 units read, bytes written.
    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn read(this: &Encoded) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

/// A context's history text (empty when absent), encoded by the JavaScript engine's
/// `TextEncoder` straight into this module's memory: wasm-bindgen's own string passing copies
/// ASCII one character at a time in JavaScript (~10 ms of a fresh process for the megabyte
/// of 20,000 addresses), and `encode` makes a second copy to bring in. (A lone surrogate
/// becomes U+FFFD either way.)
pub fn history_text(history: &JsValue) -> String {
    let Some(history) = history.dyn_ref::<js_sys::JsString>() else {
        return String::new();
    };
    let encoder = TextEncoder::new();
    let units = history.length();
    // As many bytes as units first (an ASCII text, the usual one, fits exactly); then room
    // for the rest at its most (three bytes a unit).
    let mut bytes: Vec<u8> = Vec::with_capacity(units as usize);
    let mut read = 0;
    loop {
        let rest = match read {
            0 => history.clone(),
            _ => history.substring(read, units),
        };
        let room = bytes.spare_capacity_mut();
        let room_len = room.len();
        // SAFETY: the view covers `bytes`' spare capacity and is dropped before `bytes` is
        // touched again; `encodeInto` only writes into it, and nothing between here and the
        // end of the call can grow this module's memory (which would detach the view).
        let view = unsafe { js_sys::Uint8Array::view_mut_raw(room.as_mut_ptr().cast(), room_len) };
        let encoded = encoder.encode_into(&rest, &view);
        drop(view);
        // SAFETY: `encodeInto` wrote `written` bytes (never more than the view holds) at the
        // start of the spare capacity.
        let written = (encoded.written() as usize).min(room_len);
        unsafe { bytes.set_len(bytes.len() + written) };
        // (Each round reads something unless the encoder is broken: then what it gave is all.)
        let progress = encoded.read();
        read += progress;
        if read >= units || progress == 0 {
            break;
        }
        bytes.reserve(3 * (units - read) as usize);
    }
    // (`TextEncoder` writes only UTF-8; checked anyway, as every input is.)
    api::owned_history_text(bytes)
}

/// A value (a verdict) as a plain object: `null` for absent values and objects for maps,
/// exactly the shape of the native JSON.
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| error("internal", &e.to_string()))
}
