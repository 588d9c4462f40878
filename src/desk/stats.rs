//! Statistics for management: counts by status, category, month and deadline compliance. No
//! key, no content, no case numbers; cells below `[stats] min-cell` are suppressed (with one
//! more where a hidden cell could be worked out from the total).

use super::{Desk, DeskError};
use crate::cases::{compliance, stats};
use crate::register::{today, CaseFile};

fn inputs(files: &[CaseFile], today: chrono::NaiveDate) -> Vec<stats::StatsInput> {
    files
        .iter()
        .map(|f| {
            let d = f.dates();
            stats::StatsInput {
                status: f.status,
                category: f.category,
                received: f.received_at,
                acknowledgement: compliance::acknowledgement(&d, today),
                feedback: compliance::feedback(&d, today),
            }
        })
        .collect()
}

impl Desk {
    /// Statistics of every case.
    pub async fn stats(&self) -> Result<stats::Stats, DeskError> {
        let files = self.register.case_files().await?;
        Ok(stats::compute(
            &inputs(&files, today()),
            self.config.stats.min_cell,
        ))
    }
}
