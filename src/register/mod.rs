//! The case register: cases, intake records, quarantine, readers, audit.
//!
//! What each operation writes, and with which audit event, is written once here, in
//! backend-neutral files (`filing`, `reading`, `workflow`, `keys`) over the storage primitives
//! of `store.rs`: one statement at a time, shared SQL with `$N` placeholders. A backend is an
//! enum variant (`match self`, no trait objects) with a thin folder of its own: connect,
//! migrate, check durability, begin and finish a transaction, bind and decode.
//! Only sealed blobs are stored (invariant 2); filing a case and planning the server deletion
//! happen in one durable transaction (invariant 1).

mod attachments;
mod backup;
mod batch;
mod chunks;
mod contact;
mod copy;
mod destruction;
mod digests;
mod filing;
mod keys;
mod lease;
mod lifecycle;
mod messages;
mod notes_irrelevant;
mod postgres;
mod reading;
mod retention;
mod sqlite;
pub(crate) mod store;
mod types;
mod value;
mod workflow;

#[cfg(test)]
mod contact_tests;
#[cfg(test)]
mod copy_tests;
#[cfg(test)]
mod register_tests;
#[cfg(test)]
mod retention_tests;
#[cfg(test)]
pub(crate) mod testing;

use chrono::NaiveDate;

pub use attachments::{
    AttachmentState, Copy as AttachmentCopy, NewAttachment, SealedCopy, IRRELEVANT_DAYS,
    IRRELEVANT_RULE,
};
pub use batch::{Filed, Filing};
pub use contact::{
    Attempt, ContactState, Due, NewContact, OutKind, OutboxEntry, Planned as PlannedMessage,
};
pub use copy::CopyReport;
pub use destruction::Destruction;
pub use digests::{DigestAttempt, DigestRow, DIGEST_ATTEMPTS};
pub use lease::{Acquired, Lease};
pub use lifecycle::*;
pub use messages::{NewFollowUp, StoredFollowUp};
pub use notes_irrelevant::{CaseShredSet, IrrelevantNote};
pub use postgres::PgRegister;
pub use retention::{Expired, Keep, Reviewed, RETENTION_RULE};
pub use sqlite::SqliteRegister;
pub use types::*;
pub use workflow::*;

use crate::config::RegisterConfig;

/// A register backend.
pub enum Register {
    /// Embedded SQLite file (the default).
    Sqlite(SqliteRegister),
    /// A schema in a PostgreSQL database (the path past one machine).
    Postgres(PgRegister),
}

impl Register {
    /// Opens (creating if missing) and migrates the register; checks its durability settings.
    pub async fn open(config: &RegisterConfig) -> Result<Register, RegisterError> {
        match config {
            RegisterConfig::Sqlite { path } => {
                Ok(Register::Sqlite(SqliteRegister::open(path).await?))
            }
            RegisterConfig::Postgres { url, schema } => {
                let url = url.read().map_err(|e| {
                    RegisterError::Setup(format!("reading the PostgreSQL URL: {e}"))
                })?;
                Ok(Register::Postgres(PgRegister::open(&url, schema).await?))
            }
        }
    }

    /// What was checked of its durability when it was opened, for `doctor`.
    pub fn durability(&self) -> &'static str {
        match self {
            Register::Sqlite(_) => "SQLite: WAL, synchronous=FULL, secure_delete",
            Register::Postgres(_) => {
                "PostgreSQL: fsync, full_page_writes and synchronous_commit on; writers serialised"
            }
        }
    }

    /// Closes the pool (for SQLite, checkpointing the WAL).
    pub async fn close(self) {
        match self {
            Register::Sqlite(r) => r.close().await,
            Register::Postgres(r) => r.close().await,
        }
    }
}

/// Today's date in the host's local time zone, as stored in `received_at`: legal deadlines and
/// the yearly case sequence follow the organisation's calendar (run with `TZ=Europe/Warsaw`).
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}
