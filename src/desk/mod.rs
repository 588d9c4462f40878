//! The use cases: one function per thing a person can do with sygnal, shared by every front end
//! (the CLI today; SMTP replies and a web console next). Each takes a proven actor and typed
//! input, applies every rule, writes its audit event in the same transaction as the change, and
//! returns typed output or a typed refusal ([`DeskError`], with one [`Disposition`]).
//!
//! Front ends parse, call one function here, and render. Who may act on what (invariant 5),
//! what is recorded (invariant 6) and what never leaves sealed form (invariant 2) are decided
//! here and in the pure core (`cases`, `audit`), nowhere else.

mod actor;
mod admin;
mod art29;
mod audit;
mod backup;
mod casework;
mod digest;
mod error;
mod follow_ups;
mod identity;
mod keys;
mod mailbox;
mod material;
mod migrate;
mod operations;
mod outbox;
mod quarantine;
mod reading;
mod retention;
mod run;
mod signers;
mod stats;

#[cfg(test)]
mod desk_tests;

use std::path::PathBuf;

pub use actor::{Actor, ReaderKey};
pub use admin::{ReaderAdded, ReaderListing, ReaderStanding, ReadersApproved, ResealPending};
pub use art29::{RegisterAction, RegisterEntry};
pub use audit::{audit_broken, AuditVerdict, Checkpoint, ExpectedHead};
pub use backup::{restore, BackupMade, Restored};
pub use casework::{
    open_deadlines, CaseExport, CaseFilter, CaseListing, DueItem, Ending, EventRecorded, History,
    NewNote, NextDeadline, OpenedCase, OpenedEvent, MAX_NOTE_BYTES,
};
pub use digest::DigestRun;
pub use error::{Arg, DeskError, Disposition, Message, Refusal, Why};
pub(crate) use error::{Opener, Sealed};
pub use follow_ups::{FollowUpIdentity, OpenedFollowUp};
pub use identity::{
    Disclosure, DisclosureRecorded, IdentityAccess, IdentityAccessKind, IdentityDetail,
    UnsealedIdentity,
};
pub use keys::{
    check_key_folder, reseal_incomplete, DoctorReport, ImportedIntakeKey, InitOutcome,
    IntakeExport, ResealRequest,
};
pub use mailbox::{received, FolderFinding, FolderPurge, MailboxInspection, MailboxPurge};
pub use material::IrrelevantItem;
pub use migrate::migrate_register;
pub use operations::{Health, Operations};
pub use outbox::{texts, Delivery, ReplyPlanned, MAX_REPLY_BYTES};
pub use quarantine::RetryItem;
pub use reading::{SearchHit, SearchResult};
pub use retention::{
    RetentionReview, RetentionRun, ReviewCounts, ReviewedCase, Standing, SCHEDULE,
};
pub use run::run_intake;
pub use signers::TrustedSigner;

/// The register's vocabulary that front ends name in requests and responses.
pub use crate::register::{
    CaseFile, ContactState, EventKind, IntakeKeyStateKind, OutboxEntry, ReporterNotice, Role,
};

use crate::config::Config;
use crate::keystore::KeyStore;
use crate::register::Register;

/// Which installation a command works on: its config file and, in a deployment with several
/// mailboxes (`[tenants.NAME]`), the tenant (None: the only one there is).
#[derive(Debug, Clone)]
pub struct Installation {
    /// The config file.
    pub config: PathBuf,
    /// The tenant.
    pub tenant: Option<String>,
}

impl Installation {
    /// The config file's display form, for messages.
    pub fn display(&self) -> std::path::Display<'_> {
        self.config.display()
    }

    /// This installation's configuration (the chosen tenant's).
    pub fn load(&self) -> Result<Config, DeskError> {
        Ok(Config::load_tenant(&self.config, self.tenant.as_deref())?)
    }
}

/// An open installation: its configuration, register and key folder.
pub struct Desk {
    config: Config,
    config_path: PathBuf,
    register: Register,
    keys: KeyStore,
}

impl Desk {
    /// Loads the configuration, opens the register and the key folder, and records the
    /// configuration file's hash (a change is an audit entry).
    pub async fn open(at: &Installation) -> Result<Desk, DeskError> {
        let config = at.load()?;
        let config_path = at.config.as_path();
        let register = Register::open(&config.register).await?;
        let desk = Desk {
            keys: KeyStore::open_config(&config.keys)?,
            config,
            config_path: config_path.to_owned(),
            register,
        };
        if let Err(e) = desk.note_config().await {
            desk.close().await;
            return Err(e);
        }
        Ok(desk)
    }

    /// Closes the register (checkpointing its journal).
    pub async fn close(self) {
        self.register.close().await;
    }

    /// A configuration change is an audit entry (invariant 6): the file's SHA-256 is compared
    /// with the one last seen. The file holds no secrets (passwords live in their own files).
    async fn note_config(&self) -> Result<(), DeskError> {
        use sha2::Digest;
        let path = &self.config_path;
        let bytes = std::fs::read(path)
            .map_err(DeskError::io(format!("cannot read {}", path.display())))?;
        let changed = self
            .register
            .note_config(&hex::encode(sha2::Sha256::digest(&bytes)))
            .await?;
        if changed {
            tracing::info!(config = %path.display(), "ConfigRecorded");
        }
        Ok(())
    }
}
