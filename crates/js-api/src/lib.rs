//! `sendguard-js-api`: the engine's JavaScript API, shared by both WebAssembly builds. `api`
//! holds the calls as plain Rust (loading a policy or a signed bundle, checking a draft,
//! keyset trust, errors as codes), used by `sendguard-wasm` (the ES module, wasm-bindgen) and
//! by `exports`, the plain C ABI (JSON bytes in, JSON bytes out) of Outlook's classic single
//! script. The C ABI exists beside wasm-bindgen because binaryen's `wasm2js`, which turns the
//! `.wasm` into the pure-JavaScript fallback for runtimes without `WebAssembly`, refuses
//! wasm-bindgen's output (its externref table); a surface of integers and linear memory
//! converts cleanly. No decision here, of detection or of trust: only decoding requests,
//! calling `sendguard-core`, and encoding answers and errors.
//!
//! The C ABI's protocol, used by `addin/tools/classic-glue.js`:
//! - the caller copies UTF-8 request bytes into memory from [`exports::sg_alloc`];
//! - each call returns a status: `>= 0` is success, `< 0` an error; either way the answer (JSON)
//!   is in the response buffer at [`exports::sg_response_ptr`] with length [`exports::sg_response_len`];
//! - an error answer is `{"code": "...", "message": "..."}`.
//!
//! The same functions are plain Rust, so they are tested natively:
//!
//! ```
//! use sendguard_js_api::api::{Engines};
//!
//! let mut engines = Engines::default();
//! let loaded = engines.load_policy(br#"{"internal_domains": ["army.mil"]}"#).unwrap();
//! let verdict = engines
//!     .check(loaded.handle, br#"{"to": ["colonel.smith@army.ml"]}"#, b"[]")
//!     .unwrap();
//! assert!(verdict.starts_with(r#"{"action":"warn""#));
//! ```

pub mod api;
#[cfg(feature = "exports")]
pub mod exports;
