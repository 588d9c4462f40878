//! The case lifecycle: numbers, statuses and their allowed transitions, legal deadlines,
//! categories and follow-up kinds. Pure: no IO.

pub mod acknowledgement;
pub mod compliance;
mod deadlines;
mod lifecycle;
mod number;
pub mod stats;

#[cfg(test)]
mod cases_tests;

pub use compliance::{CaseDates, Compliance, DeadlineKind, Due};
pub use deadlines::{
    add_months, check_event_date, kept_until, CaseDays, Deadlines, EventDateError,
};
pub use lifecycle::{
    ActionKind, Category, EndReason, EndReasonError, Outcome, Recipient, RejectionReason, Status,
    TransitionError, TransitionHint,
};
pub use number::{NumberPattern, PatternError, SeqKind};
