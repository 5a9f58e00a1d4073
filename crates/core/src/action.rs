//! What a policy tells the engine to do about a finding, and when a check cannot run: the
//! vocabulary the policy, its content rules and the verdict share (kept apart so none of them
//! depends on another for it).

use serde::{Deserialize, Serialize};

/// What to do about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Report nothing.
    Allow,
    /// Tell the sender; they may send anyway.
    Warn,
    /// Stop the send unless the sender writes a justification.
    BlockWithJustification,
    /// Stop the send.
    Block,
}

/// What the add-ins do when a check cannot run (engine error, no valid policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    #[default]
    Warn,
    Block,
}
