//! "Confirm by resending": the sender, recipient pairs whose warning was answered with a
//! refusal, each waiting (until it expires) for the one resend that then passes. Bounded in
//! memory; time is passed in, so tests control it.

use std::collections::{HashMap, VecDeque};

/// A sender, recipient pair, compared without regard to ASCII case.
type Pair = (String, String);

#[derive(Debug)]
pub struct ConfirmStore {
    window_seconds: i64,
    capacity: usize,
    /// Each pending pair and when its window closes.
    pending: HashMap<Pair, i64>,
    /// The same pairs in the order their windows close (all windows are equally long), so
    /// expiry and eviction take the oldest first. May hold stale duplicates of a pair.
    order: VecDeque<(Pair, i64)>,
}

impl ConfirmStore {
    /// `capacity` pairs at most; when full the oldest pending pair is forgotten (its sender
    /// is then refused once more, never let through).
    pub fn new(window_seconds: i64, capacity: usize) -> ConfirmStore {
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

    /// True when this attempt is the resend that confirms an earlier refusal (which is then
    /// used up); otherwise records the attempt, which the caller refuses, and returns false.
    pub fn confirm_or_remember(&mut self, sender: &str, recipient: &str, now: i64) -> bool {
        self.expire(now);
        let pair = (sender.to_ascii_lowercase(), recipient.to_ascii_lowercase());
        if self.pending.remove(&pair).is_some() {
            return true;
        }
        while self.pending.len() >= self.capacity {
            self.forget_oldest();
        }
        let closes = now.saturating_add(self.window_seconds);
        self.pending.insert(pair.clone(), closes);
        self.order.push_back((pair, closes));
        // Stale duplicates cannot pile up beyond the live entries by much.
        if self.order.len() > 2 * self.capacity {
            let pending = &self.pending;
            self.order.retain(|(p, t)| pending.get(p) == Some(t));
        }
        false
    }

    fn expire(&mut self, now: i64) {
        while let Some((_, closes)) = self.order.front() {
            if *closes > now {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((pair, closes)) = self.order.pop_front() {
            if self.pending.get(&pair) == Some(&closes) {
                self.pending.remove(&pair);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resend_within_the_window_passes_once() {
        let mut store = ConfirmStore::new(600, 100);
        assert!(!store.confirm_or_remember("a@x.org", "c@army.ml", 1000));
        assert!(store.confirm_or_remember("A@X.org", "c@ARMY.ml", 1599));
        assert!(!store.confirm_or_remember("a@x.org", "c@army.ml", 1600));
        assert!(store.confirm_or_remember("a@x.org", "c@army.ml", 1601));
        assert!(store.is_empty());
    }

    #[test]
    fn a_resend_after_the_window_is_refused_again() {
        let mut store = ConfirmStore::new(600, 100);
        assert!(!store.confirm_or_remember("a@x.org", "c@army.ml", 1000));
        assert!(!store.confirm_or_remember("a@x.org", "c@army.ml", 1600));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn pairs_are_separate_and_the_store_is_bounded() {
        let mut store = ConfirmStore::new(600, 3);
        for i in 0..10 {
            assert!(!store.confirm_or_remember("a@x.org", &format!("r{i}@army.ml"), 1000 + i));
            assert!(store.len() <= 3);
            assert!(store.order.len() <= 6);
        }
        assert!(!store.confirm_or_remember("b@x.org", "r9@army.ml", 1010));
        // The oldest were forgotten: refused again rather than let through.
        assert!(!store.confirm_or_remember("a@x.org", "r0@army.ml", 1011));
        assert!(store.confirm_or_remember("b@x.org", "r9@army.ml", 1012));
    }
}
