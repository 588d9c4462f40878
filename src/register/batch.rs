//! Intake's batches: many filings in one transaction (one fsync for many cases; each case or
//! quarantine entry still commits together with its intake record), the attempts of a batch
//! counted in one, and a batch's deletions recorded in one.

use std::collections::HashMap;

use super::filing::{
    file_case_in, file_quarantine_in, mark_deleted_in, placeholders, record_attempt_in, text_args,
};
use super::messages::{file_follow_up_in, NewFollowUp};
use super::{
    FiledCase, FiledQuarantine, IntakeRef, IntakeRow, NewCase, NewQuarantine, Register,
    RegisterError,
};
use crate::cases::NumberPattern;

/// One message's filing in a batch.
pub enum Filing<'a> {
    /// A new case.
    Case(&'a IntakeRef, &'a NewCase),
    /// A later message from the reporter, into case `.1`.
    FollowUp(&'a IntakeRef, i64, &'a NewFollowUp),
    /// A quarantine entry.
    Quarantine(&'a IntakeRef, &'a NewQuarantine),
}

/// What a filing became.
#[derive(Debug, Clone)]
pub enum Filed {
    /// A case, or a message filed into one.
    Case(FiledCase),
    /// A quarantine entry.
    Quarantine(FiledQuarantine),
}

impl Filed {
    /// The intake record's id.
    #[must_use]
    pub fn intake_id(&self) -> i64 {
        match self {
            Filed::Case(c) => c.intake_id,
            Filed::Quarantine(q) => q.intake_id,
        }
    }
}

impl Register {
    /// Files every one of `filings` with its intake record in one transaction: all of them or,
    /// on any error, none (the caller then files them one by one to find the one at fault).
    pub async fn file_batch(
        &self,
        filings: &[Filing<'_>],
        pattern: &NumberPattern,
    ) -> Result<Vec<Filed>, RegisterError> {
        self.write(async |tx| {
            let mut filed = Vec::with_capacity(filings.len());
            for (i, filing) in filings.iter().enumerate() {
                filed.push(match filing {
                    Filing::Case(intake, case) => {
                        Filed::Case(file_case_in(tx, intake, case, pattern).await?)
                    }
                    Filing::FollowUp(intake, case_id, message) => {
                        Filed::Case(file_follow_up_in(tx, intake, *case_id, message).await?)
                    }
                    Filing::Quarantine(intake, entry) => {
                        Filed::Quarantine(file_quarantine_in(tx, intake, entry).await?)
                    }
                });
                if i == 0 {
                    crate::failpoint::hit("mid-commit");
                }
            }
            Ok(filed)
        })
        .await
    }

    /// Records, durably and together, that processing of these messages starts now; returns
    /// each one's attempt count, this one included (see [`Register::record_attempt`]).
    pub async fn record_attempts(&self, fingerprints: &[&str]) -> Result<Vec<u32>, RegisterError> {
        self.write(async |tx| {
            let mut counts = Vec::with_capacity(fingerprints.len());
            for fingerprint in fingerprints {
                counts.push(record_attempt_in(tx, fingerprint).await?);
            }
            Ok(counts)
        })
        .await
    }

    /// Attempts already counted at each of `fingerprints` tried before, in one query (absent:
    /// never tried).
    pub async fn attempts_so_far(
        &self,
        fingerprints: &[&str],
    ) -> Result<HashMap<String, u32>, RegisterError> {
        let what = "SELECT intake_attempts";
        let mut counts = HashMap::new();
        if fingerprints.is_empty() {
            return Ok(counts);
        }
        let sql = format!(
            "SELECT fingerprint, attempts FROM intake_attempts WHERE fingerprint IN ({})",
            placeholders(fingerprints.len())
        );
        for row in self.all(what, &sql, &text_args(fingerprints)).await? {
            let n: i64 = row.get("attempts", what)?;
            counts.insert(
                row.get("fingerprint", what)?,
                u32::try_from(n).unwrap_or(u32::MAX),
            );
        }
        Ok(counts)
    }

    /// Records that every one of `rows`' server copies is gone, in one transaction (see
    /// [`Register::mark_deleted`]).
    pub async fn mark_deleted_all(&self, rows: &[IntakeRow]) -> Result<(), RegisterError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.write(async |tx| {
            for row in rows {
                mark_deleted_in(tx, row).await?;
            }
            Ok(())
        })
        .await
    }
}
