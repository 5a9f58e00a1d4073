//! Each sender's history, learnt from the mail Postfix accepted, so that address-level
//! lookalikes (`lookalike_address`, `contact_at_other_address`) work at the gateway too.
//! The history is the core's (`sendguard_core::history`: text format, learning, bounds);
//! this file keeps one text per sender and feeds the check its index.
//!
//! Store: one file per sender under `STATE_DIR/history/` (named by the SHA-256 of the
//! sender's canonical address), written whole by rename. Why files rather than SQLite: the
//! core's history already is one bounded text per sender, read and written whole; a file per
//! sender needs no schema, no C library in the gateway, and a crash loses at most the one
//! message being learnt. Bounded: entries per sender (`max_entries`), senders on disk
//! (`max_senders`), indexes in memory (`CACHE_SENDERS`), messages awaiting their end
//! (`MAX_PENDING`).
//!
//! When: a recipient answered DUNNO at `RCPT` waits under the request's `instance`; the
//! `END-OF-MESSAGE` request of the same instance (Postfix's `smtpd_end_of_data_restrictions`)
//! learns them all: only mail that was accepted is learnt.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use sendguard_core::address::parse_address;
use sendguard_core::history::{History, LearnOptions};
use sendguard_core::KnownRecipients;

use crate::files::write_atomically;
use crate::server::log;

/// Senders whose index is kept in memory; past it the cache starts over (indexes are
/// rebuilt from their files on demand).
const CACHE_SENDERS: usize = 1_000;
/// Messages whose RCPT answers wait for their END-OF-MESSAGE; the oldest is dropped past it.
const MAX_PENDING: usize = 10_000;
/// Recipients remembered for one message (Postfix's default `smtpd_recipient_limit`).
const MAX_RECIPIENTS_PER_MESSAGE: usize = 1_000;

pub struct HistoryStore {
    dir: PathBuf,
    max_entries: usize,
    max_senders: usize,
    state: Mutex<State>,
    /// Held across read, learn and write of a file, so that two messages ending at once
    /// both count.
    writing: Mutex<()>,
}

#[derive(Default)]
struct State {
    known: HashMap<String, Arc<KnownRecipients>>,
    /// instance → (sender, recipients accepted so far), and the instances in arrival order.
    pending: HashMap<String, (String, Vec<String>)>,
    order: VecDeque<String>,
    senders_on_disk: usize,
}

impl HistoryStore {
    /// Opens (creating) `dir`; counts the senders already there.
    pub fn open(
        dir: &Path,
        max_entries: usize,
        max_senders: usize,
    ) -> Result<HistoryStore, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let senders_on_disk = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "txt"))
            })
            .count();
        Ok(HistoryStore {
            dir: dir.to_path_buf(),
            max_entries,
            max_senders,
            state: Mutex::new(State {
                senders_on_disk,
                ..State::default()
            }),
            writing: Mutex::new(()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The index of what `sender` has written to (empty for an unknown or empty sender).
    pub fn known(&self, sender: &str) -> Arc<KnownRecipients> {
        let Some(key) = sender_key(sender) else {
            return Arc::default();
        };
        if let Some(known) = self.lock().known.get(&key) {
            return Arc::clone(known);
        }
        // Read in place (no parsed copy first): a cache miss costs a third of parsing.
        let known = Arc::new(KnownRecipients::from_history_text(
            self.read_text(&key),
            std::iter::empty::<&str>(),
        ));
        let mut state = self.lock();
        if state.known.len() >= CACHE_SENDERS {
            state.known.clear();
        }
        state.known.insert(key, Arc::clone(&known));
        known
    }

    /// A recipient the gateway passed at RCPT, learnt if the message is accepted.
    pub fn passed(&self, instance: Option<&str>, sender: &str, recipient: &str) {
        let (Some(instance), Some(_)) = (instance.filter(|i| !i.is_empty()), sender_key(sender))
        else {
            return;
        };
        let mut state = self.lock();
        if !state.pending.contains_key(instance) {
            if state.order.len() >= MAX_PENDING {
                if let Some(oldest) = state.order.pop_front() {
                    state.pending.remove(&oldest);
                }
            }
            state.order.push_back(instance.to_string());
            state
                .pending
                .insert(instance.to_string(), (sender.to_string(), Vec::new()));
        }
        let (_, recipients) = state.pending.get_mut(instance).expect("inserted above");
        if recipients.len() < MAX_RECIPIENTS_PER_MESSAGE {
            recipients.push(recipient.to_string());
        }
    }

    /// The message of `instance` was accepted: its sender learns its passed recipients.
    pub fn accepted(&self, instance: Option<&str>, now_day: u32) {
        let Some(instance) = instance else { return };
        let pending = {
            let mut state = self.lock();
            let pending = state.pending.remove(instance);
            if pending.is_some() {
                state.order.retain(|i| i != instance);
            }
            pending
        };
        let Some((sender, recipients)) = pending else {
            return;
        };
        let Some(key) = sender_key(&sender) else {
            return;
        };
        let _writing = self
            .writing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let path = self.path(&key);
        let new_sender = !path.exists();
        if new_sender && self.lock().senders_on_disk >= self.max_senders {
            log(format_args!(
                "history: {} senders already kept (history_max_senders); a new sender is not learnt",
                self.max_senders
            ));
            return;
        }
        let mut history = self.read(&key);
        history.learn(&LearnOptions {
            recipients,
            now_day,
            max_entries: Some(self.max_entries),
            import: false,
        });
        let text = history.to_text();
        if let Err(e) = write_atomically(&path, text.as_bytes()) {
            log(format_args!("history: {e}"));
            return;
        }
        let known = Arc::new(KnownRecipients::from_owned_history(
            history,
            std::iter::empty::<&str>(),
        ));
        let mut state = self.lock();
        if new_sender {
            state.senders_on_disk += 1;
        }
        if state.known.len() >= CACHE_SENDERS {
            state.known.clear();
        }
        state.known.insert(key, known);
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.txt"))
    }

    /// The sender's history; an unreadable or missing file is an empty one (the core skips
    /// lines it cannot read and bounds the rest).
    fn read(&self, key: &str) -> History {
        History::parse(&self.read_text(key))
    }

    /// The text of the sender's history file; empty when missing or not UTF-8.
    fn read_text(&self, key: &str) -> String {
        std::fs::read(self.path(key))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default()
    }
}

/// The file name of a sender: SHA-256 of its canonical address (no address on disk in
/// file names, any length of address fits).
fn sender_key(sender: &str) -> Option<String> {
    let address = parse_address(sender).ok()?;
    let digest = Sha256::digest(address.canonical().as_bytes());
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_mail_is_learnt_per_sender_and_bounded() {
        let dir = std::env::temp_dir().join(format!("sg-gw-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = HistoryStore::open(&dir, 2, 1).unwrap();
        store.passed(Some("m1"), "alice@example.org", "bob@partner.example");
        store.passed(Some("m1"), "alice@example.org", "carol@partner.example");
        store.passed(Some("m2"), "alice@example.org", "never@accepted.example");
        assert!(store.known("alice@example.org").is_empty());
        store.accepted(Some("m1"), 20_000);
        let history = store.read(&sender_key("Alice@Example.org").unwrap());
        assert_eq!(history.len(), 2);
        assert!(!store.known("alice@example.org").is_empty());
        assert!(
            store.known("bob@example.org").is_empty(),
            "another sender's is apart"
        );
        // Only max_senders senders are kept.
        store.passed(Some("m3"), "bob@example.org", "x@y.example");
        store.accepted(Some("m3"), 20_000);
        assert!(store
            .read(&sender_key("bob@example.org").unwrap())
            .is_empty());
        // Reopened: read back from disk.
        let again = HistoryStore::open(&dir, 2, 1).unwrap();
        assert!(!again.known("alice@example.org").is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
