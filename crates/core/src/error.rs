//! The errors of the engine's inputs: a policy or a draft that cannot be read, each naming the
//! path of the offending field.

/// An error from the engine's inputs (the checks themselves never fail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    Policy(PolicyError),
    /// A draft that is not valid JSON of the draft format; `path` names the field.
    Draft {
        path: String,
        message: String,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Policy(e) => write!(f, "{e}"),
            Error::Draft { path, message } if path.is_empty() || path == "." => {
                write!(f, "draft: {message}")
            }
            Error::Draft { path, message } => write!(f, "draft at `{path}`: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        Error::Policy(e)
    }
}

/// A policy that could not be read, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// Where, e.g. `internal_domains[2]` or `actions.tld_trap`; empty for the whole document.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "policy: {}", self.message)
        } else {
            write!(f, "policy at `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PolicyError {}
