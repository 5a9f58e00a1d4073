//! Changing a history: learning the recipients of a send (or an address-book import) and
//! trimming to the most useful entries that fit a store. Most useful = most recent, then most
//! frequent; the least useful are dropped first.

use serde::Deserialize;

use super::{clean_name, line_of, History, HistoryEntry, HEADER, MAX_ENTRIES};
use crate::address::parse_mailbox;

/// The default bound of a learnt history (`LearnOptions::max_entries`).
pub const DEFAULT_MAX_ENTRIES: usize = 50_000;

/// What to learn: `{recipients: ["Name <a@b>", ...], now_day, max_entries?, import?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnOptions {
    /// Recipient strings as a draft holds them; unparsable ones are ignored.
    pub recipients: Vec<String>,
    /// Days since 1970-01-01 UTC (the core has no clock).
    pub now_day: u32,
    /// Keep at most this many entries (default [`DEFAULT_MAX_ENTRIES`], at most
    /// [`MAX_ENTRIES`]).
    #[serde(default)]
    pub max_entries: Option<usize>,
    /// An address-book import: absent addresses are added with count 0, known ones keep
    /// their count and their name (a name is only filled in where there was none).
    #[serde(default)]
    pub import: bool,
}

/// How to trim: `{max_bytes?, max_entries?}`; the most useful entries that fit both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrimOptions {
    /// The text form (header included, UTF-8 bytes) stays within this many bytes.
    #[serde(default)]
    pub max_bytes: Option<usize>,
    #[serde(default)]
    pub max_entries: Option<usize>,
}

impl History {
    /// Learns a send (each parsable recipient: count + 1, `last_day` = `now_day`, its display
    /// name if given) or, with `import`, an address-book import; then keeps the
    /// `max_entries` most useful entries.
    pub fn learn(&mut self, options: &LearnOptions) {
        for recipient in &options.recipients {
            let Ok(mailbox) = parse_mailbox(recipient) else {
                continue;
            };
            let name = clean_name(mailbox.display_name.as_deref().unwrap_or(""));
            let key = mailbox.address.canonical();
            match self.positions.get(&key) {
                Some(&i) => {
                    let entry = &mut self.entries[i];
                    entry.last_day = entry.last_day.max(options.now_day);
                    if !options.import {
                        entry.count = entry.count.saturating_add(1);
                    }
                    if !name.is_empty() && (!options.import || entry.name.is_empty()) {
                        entry.name = name;
                    }
                }
                None => {
                    self.positions.insert(key, self.entries.len());
                    self.entries.push(HistoryEntry {
                        address: mailbox.address,
                        count: u32::from(!options.import),
                        last_day: options.now_day,
                        name,
                    });
                }
            }
        }
        let max = options.max_entries.unwrap_or(DEFAULT_MAX_ENTRIES);
        self.trim(&TrimOptions {
            max_bytes: None,
            max_entries: Some(max),
        });
    }

    /// Keeps the most useful entries whose text form fits `max_bytes` and `max_entries`
    /// (never more than [`MAX_ENTRIES`]); the rest are dropped. Entries are kept in order of
    /// usefulness, so the first that does not fit ends the history.
    pub fn trim(&mut self, options: &TrimOptions) {
        let max_entries = options.max_entries.unwrap_or(MAX_ENTRIES).min(MAX_ENTRIES);
        let mut budget = options
            .max_bytes
            .map(|b| b.saturating_sub(HEADER.len() + 1));
        let mut kept = Vec::with_capacity(self.entries.len().min(max_entries));
        for entry in self.ranked().into_iter().take(max_entries) {
            if let Some(left) = budget.as_mut() {
                let bytes = line_of(entry).len();
                if bytes > *left {
                    break;
                }
                *left -= bytes;
            }
            kept.push(entry.clone());
        }
        self.replace_entries(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learn(history: &mut History, recipients: &[&str], now_day: u32, import: bool) {
        history.learn(&LearnOptions {
            recipients: recipients.iter().map(|r| r.to_string()).collect(),
            now_day,
            max_entries: None,
            import,
        });
    }

    #[test]
    fn a_send_counts_and_an_import_does_not() {
        let mut h = History::default();
        learn(
            &mut h,
            &["John Smith <John.Smith@Example.COM>", "not an address"],
            100,
            false,
        );
        learn(&mut h, &["john.smith@example.com"], 101, false);
        learn(
            &mut h,
            &["Johnny <john.smith@example.com>", "Ann <ann@example.org>"],
            102,
            true,
        );
        let text = h.to_text();
        assert_eq!(
            text,
            "#sendguard-history 1\njohn.smith@example.com\t2\t102\tJohn Smith\nann@example.org\t0\t102\tAnn\n"
        );
    }

    #[test]
    fn names_lose_line_breaks_and_tabs() {
        let mut h = History::default();
        learn(&mut h, &["\"A\tB\" <a@b.com>"], 1, false);
        assert_eq!(h.entries()[0].name, "A B");
        assert_eq!(History::parse(&h.to_text()).len(), 1);
    }

    #[test]
    fn trims_keep_the_most_recent_then_most_frequent() {
        let mut h = History::parse("old@x.com\t50\t10\nnew@x.com\t1\t20\nfreq@x.com\t9\t20\n");
        let mut by_entries = h.clone();
        by_entries.trim(&TrimOptions {
            max_bytes: None,
            max_entries: Some(2),
        });
        let kept: Vec<String> = by_entries
            .entries()
            .iter()
            .map(|e| e.text_address())
            .collect();
        assert_eq!(kept, ["freq@x.com", "new@x.com"]);
        let limit = HEADER.len() + 1 + "freq@x.com\t9\t20\t\n".len();
        h.trim(&TrimOptions {
            max_bytes: Some(limit),
            max_entries: None,
        });
        assert_eq!(h.len(), 1);
        assert!(h.to_text().len() <= limit);
        // Learning past max_entries drops the least useful.
        h.learn(&LearnOptions {
            recipients: vec!["a@y.com".into(), "b@y.com".into()],
            now_day: 30,
            max_entries: Some(2),
            import: false,
        });
        let kept: Vec<String> = h.entries().iter().map(|e| e.text_address()).collect();
        assert_eq!(kept, ["a@y.com", "b@y.com"]);
    }
}
