//! Cold-start phase marks: instantiation leaves the User Timing mark
//! `sendguard:instantiated`, and the first policy verification, the first index build and
//! the first check of this module instance each leave a measure (`performance.measure`)
//! named `sendguard:verify`, `sendguard:index` and `sendguard:first-check`, and the first
//! history read (copied in and indexed) one named `sendguard:history`. The budgets
//! script (scripts/wasm-budgets.mjs) and the console's Chromium test read them, so a slower
//! cold start names its phase. Only the first of each phase is marked: a long-lived page
//! (Thunderbird's background page) gains no entries per refresh or per send. Where the
//! global object has no `performance`, nothing is marked.

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::{JsCast, JsValue};
use web_sys::Performance;

/// The phases of a cold start that the engine itself runs.
#[derive(Clone, Copy)]
pub enum Phase {
    /// The module's instantiation: only its end is marked (the start function runs then).
    Instantiate,
    /// The pinned keyset, then the signed bundle against it.
    Verify,
    /// Compiling a policy into its indexes (`Engine::new`).
    Index,
    /// The first `engine.check`: the check code's first (baseline) compile and run.
    FirstCheck,
    /// The first history given to a check: its text copied in and read into the
    /// known-recipient index.
    History,
}

/// Whether each phase (by its index) was marked already.
static MARKED: [AtomicBool; 5] = [
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
];

impl Phase {
    /// The entry's name.
    fn name(self) -> &'static str {
        match self {
            Phase::Instantiate => "sendguard:instantiated",
            Phase::Verify => "sendguard:verify",
            Phase::Index => "sendguard:index",
            Phase::FirstCheck => "sendguard:first-check",
            Phase::History => "sendguard:history",
        }
    }

    /// The performance object the first time this phase asks for one; `None` afterwards,
    /// and where there is none.
    fn first_time(self) -> Option<Performance> {
        if MARKED[self as usize].swap(true, Ordering::Relaxed) {
            return None;
        }
        let value =
            js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok()?;
        // No `instanceof Performance` check: Node's object is not of the DOM's class.
        value.is_object().then(|| value.unchecked_into())
    }
}

/// Runs `work`; the first time per phase, marks it as a measure named for the phase.
pub fn measure<T>(phase: Phase, work: impl FnOnce() -> T) -> T {
    let Some(performance) = phase.first_time() else {
        return work();
    };
    const START: &str = "sendguard:start";
    // Marking is best effort: a runtime whose `performance` lacks User Timing still checks.
    let _ = performance.mark(START);
    let result = work();
    let _ = performance.measure_with_start_mark(phase.name(), START);
    performance.clear_marks_with_mark_name(START);
    result
}

/// Marks the end of instantiation, once (the module's start function calls it).
pub fn mark_instantiated() {
    if let Some(performance) = Phase::Instantiate.first_time() {
        let _ = performance.mark(Phase::Instantiate.name());
    }
}
