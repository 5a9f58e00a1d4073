//! The draft being sent, as the add-ins and the command line hand it to the engine.

use serde::{Deserialize, Serialize};

/// An email draft. Recipients are strings: `"Display Name <addr@domain>"` or a bare address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Draft {
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub name: String,
    #[serde(default)]
    pub size: u64,
}

/// Which recipient field an address stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    To,
    Cc,
    Bcc,
}

impl Draft {
    /// Reads a draft from JSON, naming the offending field on error.
    pub fn from_json(text: &str) -> Result<Draft, crate::error::Error> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| crate::error::Error::Draft {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// Every recipient with its field and its position in the draft (To, then Cc, then Bcc).
    pub fn recipients(&self) -> impl Iterator<Item = (Field, &str)> {
        let to = self.to.iter().map(|r| (Field::To, r.as_str()));
        let cc = self.cc.iter().map(|r| (Field::Cc, r.as_str()));
        let bcc = self.bcc.iter().map(|r| (Field::Bcc, r.as_str()));
        to.chain(cc).chain(bcc)
    }
}
