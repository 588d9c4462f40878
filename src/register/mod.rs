//! The case register: cases, intake records, quarantine, readers, audit.
//!
//! Backends are an enum (`match self`, no trait objects) with the same file set per backend.
//! Only sealed blobs are stored (invariant 2); filing a case and planning the server deletion
//! happen in one durable transaction (invariant 1).

mod lifecycle;
mod sqlite;
mod types;
mod workflow;

#[cfg(test)]
mod register_tests;

use chrono::NaiveDate;

pub use lifecycle::*;
pub use sqlite::SqliteRegister;
pub use types::*;
pub use workflow::*;

use crate::cases::NumberPattern;
use crate::config::RegisterConfig;

/// A register backend.
pub enum Register {
    /// Embedded SQLite file (the default).
    Sqlite(SqliteRegister),
}

impl Register {
    /// Opens (creating if missing) and migrates the register; checks its durability settings.
    pub async fn open(config: &RegisterConfig) -> Result<Register, RegisterError> {
        match config {
            RegisterConfig::Sqlite { path } => {
                Ok(Register::Sqlite(SqliteRegister::open(path).await?))
            }
        }
    }

    /// Files a case and records its intake (deletion pending), in one transaction.
    pub async fn file_case(
        &self,
        intake: &IntakeRef,
        case: &NewCase,
        pattern: &NumberPattern,
    ) -> Result<FiledCase, RegisterError> {
        match self {
            Register::Sqlite(r) => r.file_case(intake, case, pattern).await,
        }
    }

    /// Files a quarantine entry and records its intake, in one transaction.
    pub async fn file_quarantine(
        &self,
        intake: &IntakeRef,
        entry: &NewQuarantine,
    ) -> Result<FiledQuarantine, RegisterError> {
        match self {
            Register::Sqlite(r) => r.file_quarantine(intake, entry).await,
        }
    }

    /// The intake record for a keyed fingerprint, if this message was taken before.
    pub async fn intake_by_fingerprint(
        &self,
        fingerprint: &str,
    ) -> Result<Option<IntakeRow>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.intake_by_fingerprint(fingerprint).await,
        }
    }

    /// Whether the message at this position was deliberately left on the server.
    pub async fn left_on_server(&self, at: &Position) -> Result<bool, RegisterError> {
        match self {
            Register::Sqlite(r) => r.left_on_server(at).await,
        }
    }

    /// Intake records of `mailbox` whose server copy still has to be deleted.
    pub async fn pending_deletions(&self, mailbox: &str) -> Result<Vec<IntakeRow>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.pending_deletions(mailbox).await,
        }
    }

    /// Records that the server copy is gone (with an audit entry).
    pub async fn mark_deleted(&self, row: &IntakeRow) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.mark_deleted(row).await,
        }
    }

    /// Points an intake record at the position where its message was found again.
    pub async fn move_intake(&self, intake_id: i64, at: &Position) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.move_intake(intake_id, at).await,
        }
    }

    /// Stores the UIDVALIDITY seen now; returns the one stored before, if different.
    pub async fn note_uidvalidity(
        &self,
        mailbox: &str,
        uidvalidity: u32,
    ) -> Result<Option<u32>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.note_uidvalidity(mailbox, uidvalidity).await,
        }
    }

    /// Case summaries, oldest first. No content.
    pub async fn list_cases(&self) -> Result<Vec<CaseSummary>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.list_cases().await,
        }
    }

    /// One case with its sealed blobs.
    pub async fn case(&self, number: &str) -> Result<Option<CaseRecord>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.case(number).await,
        }
    }

    /// Quarantine entries, oldest first.
    pub async fn list_quarantine(&self) -> Result<Vec<QuarantineSummary>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.list_quarantine().await,
        }
    }

    /// One quarantine entry with its sealed raw message.
    pub async fn quarantine_entry(
        &self,
        id: i64,
    ) -> Result<Option<QuarantineRecord>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.quarantine_entry(id).await,
        }
    }

    /// Files a case from a quarantined message and marks the entry filed, in one transaction.
    pub async fn file_case_from_quarantine(
        &self,
        quarantine_id: i64,
        case: &NewCase,
        pattern: &NumberPattern,
    ) -> Result<FiledCase, RegisterError> {
        match self {
            Register::Sqlite(r) => {
                r.file_case_from_quarantine(quarantine_id, case, pattern)
                    .await
            }
        }
    }

    /// Replaces the reason of a quarantine entry after a failed retry.
    pub async fn update_quarantine_reason(
        &self,
        id: i64,
        reason: &str,
        detail: &str,
    ) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.update_quarantine_reason(id, reason, detail).await,
        }
    }

    /// Adds a reader certificate (with an audit entry).
    pub async fn add_reader(&self, reader: &NewReader) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.add_reader(reader).await,
        }
    }

    /// Active readers.
    pub async fn readers(&self) -> Result<Vec<ReaderRow>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.readers().await,
        }
    }

    /// Appends an audit entry.
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.audit(entry).await,
        }
    }

    /// Audit entries, oldest first.
    pub async fn audit_entries(&self) -> Result<Vec<AuditRow>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.audit_entries().await,
        }
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(self) {
        match self {
            Register::Sqlite(r) => r.close().await,
        }
    }
}

/// Today's date in the host's local time zone, as stored in `received_at`: legal deadlines and
/// the yearly case sequence follow the organisation's calendar (run with `TZ=Europe/Warsaw`).
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}
