//! The case lifecycle: numbers, statuses and their allowed transitions, legal deadlines,
//! categories and follow-up kinds. Pure: no IO.

mod deadlines;
mod lifecycle;
mod number;

#[cfg(test)]
mod cases_tests;

pub use deadlines::{add_months, Deadlines};
pub use lifecycle::{ActionKind, Category, Outcome, Status, TransitionError};
pub use number::{NumberPattern, PatternError};
