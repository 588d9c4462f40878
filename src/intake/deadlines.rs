//! Deadline warnings in the gateway's log: case number, which deadline and its date, never
//! content. Once per day per mailbox session.

use chrono::NaiveDate;

use super::Gateway;
use crate::cases::compliance;

/// Days before a deadline from which it is logged as approaching.
pub const NEAR_DAYS: i64 = 2;

impl Gateway {
    /// Logs open deadlines that are near or past; at most once per `today`.
    pub(super) async fn warn_deadlines(&self, warned_on: &mut Option<NaiveDate>) {
        let today = crate::register::today();
        if *warned_on == Some(today) {
            return;
        }
        let files = match self.register.case_files().await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read deadlines");
                return;
            }
        };
        *warned_on = Some(today);
        for f in &files {
            let Some(d) = compliance::due_on(&f.dates(), today) else {
                continue;
            };
            let (kind, due, days_left) = (d.deadline, d.due, d.days_left);
            if d.overdue() {
                tracing::warn!(case = %f.number, deadline = kind.as_str(), %due, days_overdue = -days_left, "DeadlineMissed");
            } else if days_left <= NEAR_DAYS {
                tracing::warn!(case = %f.number, deadline = kind.as_str(), %due, days_left, "DeadlineApproaching");
            }
        }
    }
}
