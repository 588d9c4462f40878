//! Deadline warnings in the gateway's log: case number, which deadline and its date, never
//! content. Once per day per mailbox session.

use chrono::NaiveDate;

use super::Gateway;
use crate::cases::{compliance, CaseDates};

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
            let dates = CaseDates {
                status: f.status,
                acknowledgement_due: f.acknowledgement_due,
                feedback_due: f.feedback_due,
                acknowledged_at: f.acknowledged_at,
                feedback_at: f.feedback_at,
            };
            let Some((kind, due)) = compliance::next_due(&dates) else {
                continue;
            };
            let days_left = (due - today).num_days();
            if days_left < 0 {
                tracing::warn!(case = %f.number, deadline = kind.as_str(), %due, days_overdue = -days_left, "DeadlineMissed");
            } else if days_left <= NEAR_DAYS {
                tracing::warn!(case = %f.number, deadline = kind.as_str(), %due, days_left, "DeadlineApproaching");
            }
        }
    }
}
