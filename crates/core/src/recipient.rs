//! One checked recipient: the classes the recipient checks found, which content rules address.

use crate::draft::Field;

/// What the engine concluded about one recipient; content rules use these classes.
#[derive(Debug, Clone)]
pub struct CheckedRecipient {
    pub position: usize,
    pub field: Field,
    /// The address as typed (Unicode domain), or the raw text when it did not parse.
    pub address: String,
    pub internal: bool,
    pub trusted: bool,
    pub known: bool,
    /// Reported as a lookalike, TLD trap, lookalike address or invalid address.
    pub suspicious: bool,
    pub risky_destination: bool,
    /// Outside, and not in the sender's history (only when a history was given).
    pub first_time: bool,
}
