//! What is due next on a case, and whether each deadline was kept. Pure: `today` is a parameter.

use chrono::NaiveDate;
use serde::Serialize;

use super::Status;

/// Which legal deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeadlineKind {
    /// Acknowledge receipt (7 days).
    Acknowledgement,
    /// Give feedback (3 months).
    Feedback,
    /// Destroy material found irrelevant to the report (14 days from the finding).
    DestroyIrrelevant,
}

impl DeadlineKind {
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Acknowledgement => "acknowledgement",
            DeadlineKind::Feedback => "feedback",
            DeadlineKind::DestroyIrrelevant => "destroy-irrelevant",
        }
    }
}

/// The dates of a case that deadlines depend on.
#[derive(Debug, Clone, Copy)]
pub struct CaseDates {
    /// Status.
    pub status: Status,
    /// Acknowledgement due.
    pub acknowledgement_due: NaiveDate,
    /// Feedback due.
    pub feedback_due: NaiveDate,
    /// Acknowledged on.
    pub acknowledged_at: Option<NaiveDate>,
    /// Feedback given on.
    pub feedback_at: Option<NaiveDate>,
    /// The report came with no address: there is no one to acknowledge to.
    pub no_reply_address: bool,
}

impl CaseDates {
    /// An acknowledgement is owed: the reporter gave an address and follow-up goes on. Starting
    /// follow-up does not discharge it; only sending it does.
    fn acknowledgement_owed(&self) -> bool {
        !self.no_reply_address && !self.status.is_terminal()
    }
}

/// The next open deadline of a case, if any.
pub fn next_due(c: &CaseDates) -> Option<(DeadlineKind, NaiveDate)> {
    open_deadlines(c).into_iter().next()
}

/// Every open deadline of a case, soonest first: the acknowledgement while it is owed and not
/// sent, the feedback while follow-up goes on and none was given.
pub fn open_deadlines(c: &CaseDates) -> Vec<(DeadlineKind, NaiveDate)> {
    let mut open = Vec::new();
    if c.acknowledged_at.is_none() && c.acknowledgement_owed() {
        open.push((DeadlineKind::Acknowledgement, c.acknowledgement_due));
    }
    if c.feedback_at.is_none() && !c.status.is_terminal() {
        open.push((DeadlineKind::Feedback, c.feedback_due));
    }
    open
}

/// The next open deadline of a case as seen on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// Which deadline.
    pub deadline: DeadlineKind,
    /// Due date (inclusive).
    pub due: NaiveDate,
    /// Days left (negative: overdue).
    pub days_left: i64,
}

impl Due {
    /// Past the due date.
    pub fn overdue(&self) -> bool {
        self.days_left < 0
    }
}

/// The next open deadline on `today`, if any.
pub fn due_on(c: &CaseDates, today: NaiveDate) -> Option<Due> {
    let (deadline, due) = next_due(c)?;
    Some(Due {
        deadline,
        due,
        days_left: (due - today).num_days(),
    })
}

/// Whether a deadline was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compliance {
    /// Done by the deadline.
    OnTime,
    /// Done after the deadline.
    Late,
    /// Not done and the deadline has passed.
    Overdue,
    /// Not done; still time.
    Pending,
    /// Does not apply (no contact address, or the case ended without it).
    NotApplicable,
}

impl Compliance {
    /// Stable text.
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::OnTime => "on-time",
            Compliance::Late => "late",
            Compliance::Overdue => "overdue",
            Compliance::Pending => "pending",
            Compliance::NotApplicable => "not-applicable",
        }
    }
}

fn judge(done: Option<NaiveDate>, due: NaiveDate, open: bool, today: NaiveDate) -> Compliance {
    match done {
        Some(d) if d <= due => Compliance::OnTime,
        Some(_) => Compliance::Late,
        None if !open => Compliance::NotApplicable,
        None if today > due => Compliance::Overdue,
        None => Compliance::Pending,
    }
}

/// Acknowledgement compliance on `today`.
pub fn acknowledgement(c: &CaseDates, today: NaiveDate) -> Compliance {
    judge(
        c.acknowledged_at,
        c.acknowledgement_due,
        c.acknowledgement_owed(),
        today,
    )
}

/// Feedback compliance on `today`.
pub fn feedback(c: &CaseDates, today: NaiveDate) -> Compliance {
    judge(
        c.feedback_at,
        c.feedback_due,
        !c.status.is_terminal(),
        today,
    )
}
