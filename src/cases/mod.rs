//! The case lifecycle: numbers and statuses. Pure: no IO.

mod number;

pub use number::{NumberPattern, PatternError};

/// Status of a case. Stored as its `as_str()` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Filed by intake; nobody has acted yet.
    Received,
}

impl Status {
    /// Stable text stored in the register and shown in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
        }
    }
}
