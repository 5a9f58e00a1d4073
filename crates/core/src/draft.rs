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
    /// The message being answered or forwarded, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<Original>,
}

/// The message a draft answers or forwards: its kind and its participants (From, To and
/// Cc), as the client read them when the reply or forward began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Original {
    pub kind: OriginalKind,
    /// Recipient strings, as in the draft: `"Name <a@b>"` or bare addresses.
    #[serde(default)]
    pub participants: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginalKind {
    Reply,
    Forward,
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
    /// Reads a draft from JSON (one object, nothing after it: `crate::json`), naming the
    /// offending field on error.
    pub fn from_json(text: &str) -> Result<Draft, crate::error::Error> {
        crate::json::from_str(text).map_err(|e| crate::error::Error::Draft {
            path: e.path,
            message: e.message,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_object_nothing_after_it() {
        let e = Draft::from_json(r#"{"to":["a@army.mil"]}{"to":["colonel.smith@army.ml"]}"#)
            .unwrap_err();
        assert!(e.to_string().contains("only one JSON object"), "{e}");
        assert!(Draft::from_json("[]").is_err(), "an array is not a draft");
        assert!(Draft::from_json(r#"{"attachments": [["a.pdf", 1]]}"#).is_err());
        let d = Draft::from_json("{\"to\": [\"a@army.mil\"]}\n").unwrap();
        assert_eq!(d.to, ["a@army.mil"]);
        let reply = r#"{"original": {"kind": "reply", "participants": ["Bob <bob@acme.com>"]}}"#;
        let d = Draft::from_json(reply).unwrap();
        assert_eq!(d.original.unwrap().kind, OriginalKind::Reply);
        assert!(Draft::from_json(r#"{"original": {"kind": "resend"}}"#).is_err());
        assert!(Draft::from_json(r#"{"original": {"kind": "reply", "cc": []}}"#).is_err());
    }
}
