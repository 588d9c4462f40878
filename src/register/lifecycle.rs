//! Register types for the key lifecycle: intake key states, sealed blob slots, reseal runs.
//! Carries fingerprints, ids and sealed bytes only (invariant 2).

use crate::vault::{BlobKind, StoredBlob};

/// State of an intake key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IntakeKeyStateKind {
    /// The published key.
    Current,
    /// Superseded, still decrypting until its grace period ends.
    Grace,
    /// Secret parts destroyed.
    Retired,
}

impl IntakeKeyStateKind {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeKeyStateKind::Current => "current",
            IntakeKeyStateKind::Grace => "grace",
            IntakeKeyStateKind::Retired => "retired",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "current" => Some(Self::Current),
            "grace" => Some(Self::Grace),
            "retired" => Some(Self::Retired),
            _ => None,
        }
    }
}

/// Lifecycle row of one intake key.
#[derive(Debug, Clone)]
pub struct IntakeKeyState {
    /// Primary fingerprint.
    pub fingerprint: String,
    /// State.
    pub state: IntakeKeyStateKind,
    /// When recorded (RFC 3339).
    pub created_at: String,
    /// When a newer key replaced it.
    pub superseded_at: Option<String>,
    /// End of the grace period (RFC 3339).
    pub grace_until: Option<String>,
    /// When its secret parts were destroyed.
    pub retired_at: Option<String>,
}

/// Who may read a slot's blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotReaders {
    /// Handlers and custodians.
    HandlersAndCustodians,
    /// Custodians only.
    Custodians,
}

/// A place where sealed blobs live: one table and its PKESK/body column pair. Reseal walks
/// every slot the same way, so a new sealed table only needs a new variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobSlot {
    /// `cases.report_*`.
    CaseReport,
    /// `cases.identity_*`.
    CaseIdentity,
    /// `quarantine.raw_*`.
    QuarantineRaw,
    /// `case_events.note_*`: notes and action notes, under their case's shred key.
    CaseNote,
}

impl BlobSlot {
    /// Every slot, in the order a reseal walks them.
    pub const ALL: [BlobSlot; 4] = [
        BlobSlot::CaseReport,
        BlobSlot::CaseIdentity,
        BlobSlot::CaseNote,
        BlobSlot::QuarantineRaw,
    ];

    /// Stored name (in `reseal_done.slot`).
    pub fn as_str(self) -> &'static str {
        match self {
            BlobSlot::CaseReport => "case-report",
            BlobSlot::CaseIdentity => "case-identity",
            BlobSlot::QuarantineRaw => "quarantine-raw",
            BlobSlot::CaseNote => "case-note",
        }
    }

    /// The shred-layer binding of the slot's blobs.
    pub fn kind(self) -> BlobKind {
        match self {
            BlobSlot::CaseReport => BlobKind::Report,
            BlobSlot::CaseIdentity => BlobKind::Identity,
            BlobSlot::QuarantineRaw => BlobKind::Quarantine,
            BlobSlot::CaseNote => BlobKind::Note,
        }
    }

    /// Who reads it.
    pub fn readers(self) -> SlotReaders {
        match self {
            BlobSlot::CaseIdentity => SlotReaders::Custodians,
            BlobSlot::CaseReport | BlobSlot::QuarantineRaw | BlobSlot::CaseNote => {
                SlotReaders::HandlersAndCustodians
            }
        }
    }

    /// `SELECT id, label, shred_key, pkesks, body` after `id > ?`, ordered, limited.
    pub(crate) fn select_page_sql(self) -> &'static str {
        match self {
            BlobSlot::CaseReport => {
                "SELECT id, number AS label, shred_key, report_pkesks AS pkesks, report_body AS body \
                 FROM cases WHERE id > ? ORDER BY id LIMIT ?"
            }
            BlobSlot::CaseIdentity => {
                "SELECT id, number AS label, shred_key, identity_pkesks AS pkesks, identity_body AS body \
                 FROM cases WHERE id > ? ORDER BY id LIMIT ?"
            }
            BlobSlot::QuarantineRaw => {
                "SELECT id, 'Q' || id AS label, shred_key, raw_pkesks AS pkesks, raw_body AS body \
                 FROM quarantine WHERE id > ? AND raw_pkesks IS NOT NULL AND shred_key IS NOT NULL \
                 ORDER BY id LIMIT ?"
            }
            BlobSlot::CaseNote => {
                "SELECT e.id AS id, c.number || ' note #' || e.id AS label, c.shred_key AS shred_key, \
                 e.note_pkesks AS pkesks, e.note_body AS body \
                 FROM case_events e JOIN cases c ON c.id = e.case_id \
                 WHERE e.id > ? AND e.note_pkesks IS NOT NULL ORDER BY e.id LIMIT ?"
            }
        }
    }

    /// `UPDATE` of the PKESKs, checked against the old value (`pkesks, id, old pkesks`).
    pub(crate) fn update_sql(self) -> &'static str {
        match self {
            BlobSlot::CaseReport => {
                "UPDATE cases SET report_pkesks = ? WHERE id = ? AND report_pkesks = ?"
            }
            BlobSlot::CaseIdentity => {
                "UPDATE cases SET identity_pkesks = ? WHERE id = ? AND identity_pkesks = ?"
            }
            BlobSlot::QuarantineRaw => {
                "UPDATE quarantine SET raw_pkesks = ? WHERE id = ? AND raw_pkesks = ?"
            }
            BlobSlot::CaseNote => {
                "UPDATE case_events SET note_pkesks = ? WHERE id = ? AND note_pkesks = ?"
            }
        }
    }

    /// `SELECT COUNT(*)` of the slot's blobs.
    pub(crate) fn count_sql(self) -> &'static str {
        match self {
            BlobSlot::CaseReport | BlobSlot::CaseIdentity => "SELECT COUNT(*) FROM cases",
            BlobSlot::QuarantineRaw => {
                "SELECT COUNT(*) FROM quarantine WHERE raw_pkesks IS NOT NULL AND shred_key IS NOT NULL"
            }
            BlobSlot::CaseNote => "SELECT COUNT(*) FROM case_events WHERE note_pkesks IS NOT NULL",
        }
    }
}

/// One sealed blob as found in its slot.
#[derive(Debug, Clone)]
pub struct SlotBlob {
    /// Slot.
    pub slot: BlobSlot,
    /// Row id in the slot's table.
    pub row_id: i64,
    /// Case number or `Q<id>`, for messages.
    pub label: String,
    /// Shred key id.
    pub shred_key: String,
    /// Sealed bytes.
    pub blob: StoredBlob,
}

/// A re-wrapped blob to commit: the new PKESKs replace `old_pkesks` only if unchanged.
#[derive(Debug, Clone)]
pub struct PkeskUpdate {
    /// Slot.
    pub slot: BlobSlot,
    /// Row id.
    pub row_id: i64,
    /// PKESKs read before re-wrapping.
    pub old_pkesks: Vec<u8>,
    /// New PKESKs.
    pub new_pkesks: Vec<u8>,
}

/// A reseal run.
#[derive(Debug, Clone)]
pub struct ResealRun {
    /// Id.
    pub id: i64,
    /// Whether a crashed run with the same target was resumed.
    pub resumed: bool,
    /// Blobs committed so far.
    pub done_count: i64,
}

use super::{Register, RegisterError};
use std::collections::HashSet;

/// Key lifecycle calls, dispatched per backend like the rest of [`Register`].
impl Register {
    /// Marks a reader removed, with an audit entry. False if no active reader matched.
    pub async fn remove_reader(
        &self,
        fingerprint: &str,
        actor: &str,
    ) -> Result<bool, RegisterError> {
        match self {
            Register::Sqlite(r) => r.remove_reader(fingerprint, actor).await,
        }
    }

    /// Every intake key's lifecycle row.
    pub async fn intake_key_states(&self) -> Result<Vec<IntakeKeyState>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.intake_key_states().await,
        }
    }

    /// Makes `fingerprint` current; other current keys enter grace until `grace_until`.
    pub async fn record_intake_current(
        &self,
        fingerprint: &str,
        grace_until: &str,
        action: crate::audit::Event,
    ) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => {
                r.record_intake_current(fingerprint, grace_until, action)
                    .await
            }
        }
    }

    /// Records a key found in the key folder but unknown to the register.
    pub async fn adopt_intake_key(
        &self,
        fingerprint: &str,
        state: IntakeKeyStateKind,
    ) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.adopt_intake_key(fingerprint, state).await,
        }
    }

    /// Records a retired key, with an audit entry.
    pub async fn record_intake_retired(&self, fingerprint: &str) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.record_intake_retired(fingerprint).await,
        }
    }

    /// Number of blobs in a slot.
    pub async fn slot_count(&self, slot: BlobSlot) -> Result<i64, RegisterError> {
        match self {
            Register::Sqlite(r) => r.slot_count(slot).await,
        }
    }

    /// A page of a slot's blobs.
    pub async fn slot_page(
        &self,
        slot: BlobSlot,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SlotBlob>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.slot_page(slot, after, limit).await,
        }
    }

    /// Starts or resumes a reseal run.
    pub async fn reseal_begin(
        &self,
        target: &str,
        rotate_content: bool,
        actor: &str,
    ) -> Result<ResealRun, RegisterError> {
        match self {
            Register::Sqlite(r) => r.reseal_begin(target, rotate_content, actor).await,
        }
    }

    /// Row ids a run already committed in a slot.
    pub async fn reseal_done(
        &self,
        run_id: i64,
        slot: BlobSlot,
    ) -> Result<HashSet<i64>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.reseal_done(run_id, slot).await,
        }
    }

    /// Commits a batch of re-wrapped blobs with the run's progress.
    pub async fn reseal_commit(
        &self,
        run_id: i64,
        updates: &[PkeskUpdate],
    ) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.reseal_commit(run_id, updates).await,
        }
    }

    /// Closes a run.
    pub async fn reseal_finish(
        &self,
        run_id: i64,
        actor: &str,
        summary: &str,
    ) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.reseal_finish(run_id, actor, summary).await,
        }
    }
}

/// Which table a content rotation replaces a row in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentTarget {
    /// A case: report and identity, one shred key.
    Case,
    /// A quarantine entry's raw message.
    Quarantine,
}

/// Content re-encrypted under fresh session keys and a fresh shred key (`--rotate-content`).
#[derive(Debug, Clone)]
pub struct ContentUpdate {
    /// Table.
    pub target: ContentTarget,
    /// Row id.
    pub row_id: i64,
    /// Shred key id the row had (the update applies only if unchanged).
    pub old_shred: String,
    /// New shred key id (already durable in the key folder).
    pub new_shred: String,
    /// New blobs: for a case the report then the identity; for quarantine the raw message.
    pub blobs: Vec<StoredBlob>,
    /// A case's notes (`case_events` id, new blob), sealed under the same new shred key: they
    /// move with the case, or the old shred key's destruction would destroy them.
    pub notes: Vec<(i64, StoredBlob)>,
}

impl Register {
    /// Commits a batch of content rotations with the run's progress; shred keys no row uses
    /// any more are recorded for destruction in the same transaction.
    pub async fn reseal_replace_content(
        &self,
        run_id: i64,
        updates: &[ContentUpdate],
    ) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.reseal_replace_content(run_id, updates).await,
        }
    }

    /// Shred keys waiting to be destroyed after a content rotation.
    pub async fn reseal_pending_shreds(&self) -> Result<Vec<String>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.reseal_pending_shreds().await,
        }
    }

    /// Records a destroyed shred key (audit `ShredKeyDestroyed`).
    pub async fn reseal_shred_destroyed(&self, id: &str, actor: &str) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.reseal_shred_destroyed(id, actor).await,
        }
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod lifecycle_tests;
