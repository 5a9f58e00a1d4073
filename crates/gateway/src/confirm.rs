//! "Confirm by resending": the sender, recipient pairs whose warning was answered with a
//! refusal, each waiting (until it expires) for the one resend that then passes. Bounded in
//! memory; time is passed in, so tests control it. Each pending pair carries a value the
//! caller chose (the gateway's: what to count if the refusal lapses, `reports.rs`), handed
//! back when the resend confirms it or when it lapses unconfirmed.

use std::collections::{HashMap, VecDeque};

/// A sender, recipient pair, compared without regard to ASCII case.
type Pair = (String, String);

#[derive(Debug)]
pub struct ConfirmStore<T = ()> {
    window_seconds: i64,
    capacity: usize,
    /// Each pending pair: when its window closes, and its value.
    pending: HashMap<Pair, (i64, T)>,
    /// The same pairs in the order their windows close (all windows are equally long), so
    /// expiry and eviction take the oldest first. May hold stale duplicates of a pair.
    order: VecDeque<(Pair, i64)>,
}

impl<T> ConfirmStore<T> {
    /// `capacity` pairs at most; when full the oldest pending pair is forgotten (its sender
    /// is then refused once more, never let through).
    pub fn new(window_seconds: i64, capacity: usize) -> ConfirmStore<T> {
        ConfirmStore {
            window_seconds,
            capacity: capacity.max(1),
            pending: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn window_seconds(&self) -> i64 {
        self.window_seconds
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// `Some(value remembered with the refusal)` when this attempt is the resend that
    /// confirms an earlier refusal (which is then used up); otherwise remembers the attempt
    /// with `value`, which the caller refuses, and returns `None`. The values of refusals
    /// that lapsed meanwhile (window closed, or forgotten for room) go to `lapsed`.
    pub fn attempt(
        &mut self,
        sender: &str,
        recipient: &str,
        now: i64,
        value: T,
        lapsed: &mut Vec<T>,
    ) -> Option<T> {
        self.expire(now, lapsed);
        let pair = (sender.to_ascii_lowercase(), recipient.to_ascii_lowercase());
        if let Some((_, confirmed)) = self.pending.remove(&pair) {
            return Some(confirmed);
        }
        while self.pending.len() >= self.capacity {
            self.forget_oldest(lapsed);
        }
        let closes = now.saturating_add(self.window_seconds);
        self.pending.insert(pair.clone(), (closes, value));
        self.order.push_back((pair, closes));
        // Stale duplicates cannot pile up beyond the live entries by much.
        if self.order.len() > 2 * self.capacity {
            let pending = &self.pending;
            self.order
                .retain(|(p, t)| pending.get(p).is_some_and(|(closes, _)| closes == t));
        }
        None
    }

    /// Forgets the refusals whose window has closed by `now`, their values to `lapsed`.
    pub fn expire(&mut self, now: i64, lapsed: &mut Vec<T>) {
        while let Some((_, closes)) = self.order.front() {
            if *closes > now {
                break;
            }
            self.forget_oldest(lapsed);
        }
    }

    fn forget_oldest(&mut self, lapsed: &mut Vec<T>) {
        if let Some((pair, closes)) = self.order.pop_front() {
            if self.pending.get(&pair).is_some_and(|(t, _)| *t == closes) {
                if let Some((_, value)) = self.pending.remove(&pair) {
                    lapsed.push(value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// True when the attempt confirms; the lapsed values are dropped.
    fn confirms(store: &mut ConfirmStore<u32>, sender: &str, recipient: &str, now: i64) -> bool {
        store
            .attempt(sender, recipient, now, 0, &mut Vec::new())
            .is_some()
    }

    #[test]
    fn a_resend_within_the_window_passes_once() {
        let mut store = ConfirmStore::new(600, 100);
        assert!(!confirms(&mut store, "a@x.org", "c@army.ml", 1000));
        assert!(confirms(&mut store, "A@X.org", "c@ARMY.ml", 1599));
        assert!(!confirms(&mut store, "a@x.org", "c@army.ml", 1600));
        assert!(confirms(&mut store, "a@x.org", "c@army.ml", 1601));
        assert!(store.is_empty());
    }

    #[test]
    fn a_resend_after_the_window_is_refused_again() {
        let mut store = ConfirmStore::new(600, 100);
        assert!(!confirms(&mut store, "a@x.org", "c@army.ml", 1000));
        assert!(!confirms(&mut store, "a@x.org", "c@army.ml", 1600));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn values_come_back_confirmed_or_lapsed() {
        let mut store = ConfirmStore::new(600, 2);
        let mut lapsed = Vec::new();
        assert_eq!(
            store.attempt("a@x.org", "c@army.ml", 1000, 1, &mut lapsed),
            None
        );
        assert_eq!(
            store.attempt("a@x.org", "c@army.ml", 1001, 9, &mut lapsed),
            Some(1)
        );
        assert_eq!(
            store.attempt("a@x.org", "d@army.ml", 1002, 2, &mut lapsed),
            None
        );
        assert_eq!(
            store.attempt("a@x.org", "e@army.ml", 1003, 3, &mut lapsed),
            None
        );
        // Full: the oldest is forgotten for room, and lapses.
        assert_eq!(
            store.attempt("a@x.org", "f@army.ml", 1004, 4, &mut lapsed),
            None
        );
        assert_eq!(lapsed, [2]);
        store.expire(1603, &mut lapsed);
        assert_eq!(lapsed, [2, 3], "the window of e closed at 1603");
        store.expire(2000, &mut lapsed);
        assert_eq!(lapsed, [2, 3, 4]);
        assert!(store.is_empty());
    }

    #[test]
    fn pairs_are_separate_and_the_store_is_bounded() {
        let mut store = ConfirmStore::new(600, 3);
        for i in 0..10 {
            assert!(!confirms(
                &mut store,
                "a@x.org",
                &format!("r{i}@army.ml"),
                1000 + i
            ));
            assert!(store.len() <= 3);
            assert!(store.order.len() <= 6);
        }
        assert!(!confirms(&mut store, "b@x.org", "r9@army.ml", 1010));
        // The oldest were forgotten: refused again rather than let through.
        assert!(!confirms(&mut store, "a@x.org", "r0@army.ml", 1011));
        assert!(confirms(&mut store, "b@x.org", "r9@army.ml", 1012));
    }
}
