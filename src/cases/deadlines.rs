//! Legal deadlines of the Polish act of 14 June 2024 (art. 25, art. 29) as pure date arithmetic.
//!
//! - acknowledgement: 7 days after the report was received;
//! - feedback: 3 months after the acknowledgement, or, when none could be sent, 3 months after
//!   the 7-day acknowledgement period ended ("3 miesiące od upływu 7 dni od dnia dokonania
//!   zgłoszenia");
//! - retention: until the end of the 3rd calendar year after the year follow-up ended.
//!
//! Month arithmetic clamps to the last day of the month (31 Jan + 3 months = 30 Apr,
//! 29 Feb + 12 months = 28 Feb): a deadline never runs past the month the law names.

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Serialize;

/// Days allowed for the acknowledgement.
pub const ACK_DAYS: u64 = 7;
/// Months allowed for the feedback.
pub const FEEDBACK_MONTHS: u32 = 3;
/// Full calendar years the register entry is kept after follow-up ended.
pub const RETENTION_YEARS: i32 = 3;

/// `date` plus `months`, clamped to the end of the target month. Saturates at the calendar's end.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

fn add_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

/// The deadlines of one case, derived from its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    /// Acknowledgement due (inclusive).
    pub acknowledgement_due: NaiveDate,
    /// Feedback due (inclusive).
    pub feedback_due: NaiveDate,
    /// Register entry kept until (inclusive); known once follow-up ended.
    pub retention_until: Option<NaiveDate>,
}

impl Deadlines {
    /// Deadlines from the date received, the acknowledgement date (if one was sent) and the date
    /// follow-up ended (if it did).
    pub fn compute(
        received: NaiveDate,
        acknowledged: Option<NaiveDate>,
        ended: Option<NaiveDate>,
    ) -> Deadlines {
        let acknowledgement_due = add_days(received, ACK_DAYS);
        let feedback_from = acknowledged.unwrap_or(acknowledgement_due);
        Deadlines {
            acknowledgement_due,
            feedback_due: add_months(feedback_from, FEEDBACK_MONTHS),
            retention_until: ended.map(retention_until),
        }
    }
}

/// The dates of a case that its status changes set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseDays {
    /// Received.
    pub received: NaiveDate,
    /// Acknowledgement sent.
    pub acknowledged: Option<NaiveDate>,
    /// Feedback given (the first time: later feedback does not move it).
    pub feedback: Option<NaiveDate>,
    /// Follow-up ended (closed, rejected, transferred).
    pub ended: Option<NaiveDate>,
}

impl CaseDays {
    /// The dates after a change to `to` that happened `on`: acknowledging sets the
    /// acknowledgement date, the first feedback sets the feedback date, an ending status sets
    /// the end date (and so starts the retention period).
    pub fn after(self, to: super::Status, on: NaiveDate) -> CaseDays {
        use super::Status;
        let mut next = self;
        match to {
            Status::Acknowledged => next.acknowledged = Some(on),
            Status::FeedbackGiven => next.feedback = self.feedback.or(Some(on)),
            s if s.is_terminal() => next.ended = Some(on),
            _ => {}
        }
        next
    }

    /// The deadlines these dates give.
    pub fn deadlines(&self) -> Deadlines {
        Deadlines::compute(self.received, self.acknowledged, self.ended)
    }
}

/// Last day the register entry must be kept: 31 December of the 3rd year after `ended`'s year.
pub fn retention_until(ended: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(ended.year().saturating_add(RETENTION_YEARS), 12, 31)
        .unwrap_or(NaiveDate::MAX)
}

/// Kept until: 3 years after the end of the year follow-up ended or the proceedings it started
/// ended, whichever is later; unknown while follow-up goes on.
pub fn kept_until(
    ended: Option<NaiveDate>,
    proceedings_ended: Option<NaiveDate>,
) -> Option<NaiveDate> {
    ended.map(|e| retention_until(proceedings_ended.map_or(e, |p| p.max(e))))
}

/// A date given for something that happened on a case is impossible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EventDateError {
    /// Before the report was received.
    #[error("{on} is before the case was received ({received})")]
    BeforeReceipt {
        /// Given date.
        on: NaiveDate,
        /// Date received.
        received: NaiveDate,
    },
    /// In the future: the register records what happened, not plans.
    #[error("{on} is in the future; record it on the day it happens")]
    Future {
        /// Given date.
        on: NaiveDate,
    },
}

/// Checks that `on` lies between the day the case was received and `today`.
pub fn check_event_date(
    received: NaiveDate,
    on: NaiveDate,
    today: NaiveDate,
) -> Result<(), EventDateError> {
    if on < received {
        return Err(EventDateError::BeforeReceipt { on, received });
    }
    if on > today {
        return Err(EventDateError::Future { on });
    }
    Ok(())
}
