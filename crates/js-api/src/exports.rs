//! The exported functions: integers and pointers into linear memory only, so that `wasm2js`
//! can convert the module. Every call that answers returns 0 (ok) or 1 (error) and leaves its
//! JSON answer in the response buffer.

use std::cell::RefCell;

use serde::Serialize;

use crate::api::{self, ApiError, Engines};

thread_local! {
    // WebAssembly here is single-threaded: these are plain globals of the module instance.
    static ENGINES: RefCell<Engines> = RefCell::new(Engines::default());
    static RESPONSE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

const OK: u32 = 0;
const ERROR: u32 = 1;

fn respond<T: Serialize>(result: Result<T, ApiError>) -> u32 {
    let (status, bytes) = match result {
        Ok(value) => (OK, serde_json::to_vec(&value)),
        Err(error) => (ERROR, serde_json::to_vec(&error)),
    };
    RESPONSE.with(|r| *r.borrow_mut() = bytes.expect("answers always serialise"));
    status
}

/// # Safety
/// `ptr..ptr+len` must be memory this module handed out with [`sg_alloc`] (or `len` is 0).
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

/// Reserves `len` bytes for a request; the caller frees them with [`sg_free`].
#[no_mangle]
pub extern "C" fn sg_alloc(len: usize) -> *mut u8 {
    Box::into_raw(vec![0u8; len].into_boxed_slice()) as *mut u8
}

/// Frees memory from [`sg_alloc`].
///
/// # Safety
/// `ptr` and `len` must be exactly what [`sg_alloc`] gave and took, freed once.
#[no_mangle]
pub unsafe extern "C" fn sg_free(ptr: *mut u8, len: usize) {
    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
}

/// Where the last answer is; valid until the next call.
#[no_mangle]
pub extern "C" fn sg_response_ptr() -> *const u8 {
    RESPONSE.with(|r| r.borrow().as_ptr())
}

#[no_mangle]
pub extern "C" fn sg_response_len() -> usize {
    RESPONSE.with(|r| r.borrow().len())
}

/// Answers the engine's version as a JSON string.
#[no_mangle]
pub extern "C" fn sg_version() -> u32 {
    respond::<&str>(Ok(sendguard_core::VERSION))
}

/// Loads a plain policy (JSON); answers `{"handle", "policy": null}`.
///
/// # Safety
/// The request bytes come from [`sg_alloc`].
#[no_mangle]
pub unsafe extern "C" fn sg_load_policy(ptr: *const u8, len: usize) -> u32 {
    respond(ENGINES.with(|e| e.borrow_mut().load_policy(bytes(ptr, len))))
}

/// Loads a signed policy bundle, verified against the pinned keyset; the request is JSON
/// `{"tenant", "held": {"version", "digest"} | null, "now"}`. Answers `{"handle", "policy"}`.
///
/// # Safety
/// The request bytes come from [`sg_alloc`].
#[no_mangle]
pub unsafe extern "C" fn sg_load_bundle(
    bundle: *const u8,
    bundle_len: usize,
    keyset: *const u8,
    keyset_len: usize,
    request: *const u8,
    request_len: usize,
) -> u32 {
    let (bundle, keyset, request) = (
        bytes(bundle, bundle_len),
        bytes(keyset, keyset_len),
        bytes(request, request_len),
    );
    respond(ENGINES.with(|e| e.borrow_mut().load_bundle(bundle, keyset, request)))
}

/// Verifies a keyset; the request is JSON `{"tenant", "now", "pinned_roots"?}`, and
/// `current` (null pointer: none) is the keyset trusted now, for an update. Answers
/// `{"tenant", "version", "issued_at", "expires_at", "digest"}`.
///
/// # Safety
/// The request bytes come from [`sg_alloc`]; `current` may be null.
#[no_mangle]
pub unsafe extern "C" fn sg_verify_keyset(
    keyset: *const u8,
    keyset_len: usize,
    current: *const u8,
    current_len: usize,
    request: *const u8,
    request_len: usize,
) -> u32 {
    let current = (!current.is_null()).then(|| bytes(current, current_len));
    let (keyset, request) = (bytes(keyset, keyset_len), bytes(request, request_len));
    respond(ENGINES.with(|e| e.borrow().verify_keyset(keyset, current, request)))
}

/// Decides which keyset to trust: the request is JSON `{"tenant", "now", "pinned",
/// "stored"?, "fetched"?}`; answers `{"keyset", "source", "info", "chain", "problem",
/// "outcome", "refusal"}` (see `api::trust_keysets`).
///
/// # Safety
/// The request bytes come from [`sg_alloc`].
#[no_mangle]
pub unsafe extern "C" fn sg_trust_keysets(request: *const u8, request_len: usize) -> u32 {
    let request = bytes(request, request_len);
    respond(ENGINES.with(|e| e.borrow().trust_keysets(request)))
}

/// Checks a draft (JSON) with a context (JSON `{"known": [...], "history": "..."}`, or a list
/// of known addresses; without `history`, the one set last by [`sg_set_history`]); answers the
/// verdict JSON.
///
/// # Safety
/// The request bytes come from [`sg_alloc`].
#[no_mangle]
pub unsafe extern "C" fn sg_check(
    handle: u32,
    draft: *const u8,
    draft_len: usize,
    known: *const u8,
    known_len: usize,
) -> u32 {
    let result = ENGINES.with(|e| {
        e.borrow_mut()
            .check(handle, bytes(draft, draft_len), bytes(known, known_len))
    });
    // The verdict is already JSON: store it as is rather than as a JSON string.
    respond_text(result)
}

/// Reserves room for `capacity` bytes that [`sg_set_history`] then takes over (or
/// [`sg_release`] frees): the glue encodes the history text straight into it.
#[no_mangle]
pub extern "C" fn sg_reserve(capacity: usize) -> *mut u8 {
    // Not cleared: the glue writes the bytes it hands over, and only those are read.
    std::mem::ManuallyDrop::new(Vec::<u8>::with_capacity(capacity)).as_mut_ptr()
}

/// Frees room from [`sg_reserve`] that was not handed over.
///
/// # Safety
/// `ptr` and `capacity` must be exactly what [`sg_reserve`] gave and took, freed once.
#[no_mangle]
pub unsafe extern "C" fn sg_release(ptr: *mut u8, capacity: usize) {
    drop(Vec::from_raw_parts(ptr, 0, capacity));
}

/// Sets the history (UTF-8 text; empty: none) that later checks with this engine use, taking
/// over its bytes (the first `len` of the room [`sg_reserve`] gave: no copy of megabytes on a
/// cold start); answers its summary `{"entries", "last_day", "rejected"}`.
///
/// # Safety
/// `ptr` and `capacity` must be exactly what [`sg_reserve`] gave and took, its first `len`
/// bytes written; the room is the engine's afterwards (not released again).
#[no_mangle]
pub unsafe extern "C" fn sg_set_history(
    handle: u32,
    history: *mut u8,
    len: usize,
    capacity: usize,
) -> u32 {
    let history = Vec::from_raw_parts(history, len.min(capacity), capacity);
    respond(ENGINES.with(|e| e.borrow_mut().set_history(handle, history)))
}

/// Stores a history text as the answer, as is (not as a JSON string: it may be megabytes).
fn respond_text(result: Result<String, ApiError>) -> u32 {
    match result {
        Ok(text) => {
            RESPONSE.with(|r| *r.borrow_mut() = text.into_bytes());
            OK
        }
        Err(error) => respond::<()>(Err(error)),
    }
}

/// The countable facts of a verdict: `{verdict, outcome?, justification?}` (JSON) in,
/// `{enabled, counts, domains, justification?}` out (`api::report_tally`).
///
/// # Safety
/// The request bytes come from [`sg_alloc`].
#[no_mangle]
pub unsafe extern "C" fn sg_report_tally(
    handle: u32,
    request: *const u8,
    request_len: usize,
) -> u32 {
    let request = bytes(request, request_len);
    respond(ENGINES.with(|e| e.borrow().report_tally(handle, request)))
}

/// `learnHistory`: answers the new history text (raw UTF-8); the options are JSON
/// `{"recipients", "now_day", "max_entries"?, "import"?}`.
///
/// # Safety
/// The request bytes come from [`sg_alloc`].
#[no_mangle]
pub unsafe extern "C" fn sg_learn_history(
    history: *const u8,
    history_len: usize,
    options: *const u8,
    options_len: usize,
) -> u32 {
    let history = api::history_text(bytes(history, history_len));
    respond_text(api::learn_history(&history, bytes(options, options_len)))
}

/// `trimHistory`: answers the trimmed history text (raw UTF-8); the options are JSON
/// `{"max_bytes"?, "max_entries"?}`.
///
/// # Safety
/// The request bytes come from [`sg_alloc`].
#[no_mangle]
pub unsafe extern "C" fn sg_trim_history(
    history: *const u8,
    history_len: usize,
    options: *const u8,
    options_len: usize,
) -> u32 {
    let history = api::history_text(bytes(history, history_len));
    respond_text(api::trim_history(&history, bytes(options, options_len)))
}

/// `historySummary`: answers `{"entries", "last_day", "rejected"}`.
///
/// # Safety
/// The request bytes come from [`sg_alloc`].
#[no_mangle]
pub unsafe extern "C" fn sg_history_summary(history: *const u8, history_len: usize) -> u32 {
    let history = api::history_text(bytes(history, history_len));
    respond(Ok(api::history_summary(&history)))
}

/// Frees an engine.
#[no_mangle]
pub extern "C" fn sg_drop_engine(handle: u32) -> u32 {
    respond(ENGINES.with(|e| e.borrow_mut().drop_engine(handle)))
}
