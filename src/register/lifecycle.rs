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
    /// `sealed_details.*`: free text of identity events, under their case's shred key.
    SealedDetail,
    /// `case_attachments.cleaned_*`: an attachment as cleaned, under its own shred key.
    AttachmentCleaned,
    /// `case_attachments.original_*`: the attachment as it arrived, under the same key.
    AttachmentOriginal,
    /// `case_messages.report_*`: a reporter's answer filed into the case, under its own key.
    MessageReport,
    /// `case_messages.identity_*`: who sent that answer, under the same key.
    MessageIdentity,
}

impl BlobSlot {
    /// Every slot, in the order a reseal walks them.
    pub const ALL: [BlobSlot; 9] = [
        BlobSlot::CaseReport,
        BlobSlot::CaseIdentity,
        BlobSlot::MessageReport,
        BlobSlot::MessageIdentity,
        BlobSlot::CaseNote,
        BlobSlot::SealedDetail,
        BlobSlot::AttachmentCleaned,
        BlobSlot::AttachmentOriginal,
        BlobSlot::QuarantineRaw,
    ];

    /// Stored name (in `reseal_done.slot`).
    pub fn as_str(self) -> &'static str {
        match self {
            BlobSlot::CaseReport => "case-report",
            BlobSlot::CaseIdentity => "case-identity",
            BlobSlot::QuarantineRaw => "quarantine-raw",
            BlobSlot::CaseNote => "case-note",
            BlobSlot::SealedDetail => "sealed-detail",
            BlobSlot::AttachmentCleaned => "attachment-cleaned",
            BlobSlot::AttachmentOriginal => "attachment-original",
            BlobSlot::MessageReport => "message-report",
            BlobSlot::MessageIdentity => "message-identity",
        }
    }

    /// The shred-layer binding of the slot's blobs.
    pub fn kind(self) -> BlobKind {
        match self {
            BlobSlot::CaseReport | BlobSlot::MessageReport => BlobKind::Report,
            BlobSlot::CaseIdentity | BlobSlot::MessageIdentity => BlobKind::Identity,
            BlobSlot::QuarantineRaw => BlobKind::Quarantine,
            BlobSlot::CaseNote => BlobKind::Note,
            BlobSlot::SealedDetail => BlobKind::Detail,
            BlobSlot::AttachmentCleaned => BlobKind::Attachment,
            BlobSlot::AttachmentOriginal => BlobKind::Original,
        }
    }

    /// Who reads it.
    pub fn readers(self) -> SlotReaders {
        match self {
            BlobSlot::CaseIdentity
            | BlobSlot::MessageIdentity
            | BlobSlot::QuarantineRaw
            | BlobSlot::SealedDetail
            | BlobSlot::AttachmentOriginal => SlotReaders::Custodians,
            BlobSlot::CaseReport
            | BlobSlot::MessageReport
            | BlobSlot::CaseNote
            | BlobSlot::AttachmentCleaned => SlotReaders::HandlersAndCustodians,
        }
    }

    /// The owner prefix of this slot's bodies in `blob_chunks`, if they may be chunked.
    pub(crate) fn chunk_owner(self) -> Option<&'static str> {
        match self {
            BlobSlot::CaseReport => Some("cases.report"),
            BlobSlot::CaseIdentity => Some("cases.identity"),
            BlobSlot::QuarantineRaw => Some("quarantine.raw"),
            BlobSlot::AttachmentCleaned => Some("case_attachments.cleaned"),
            BlobSlot::AttachmentOriginal => Some("case_attachments.original"),
            BlobSlot::MessageReport => Some("case_messages.report"),
            BlobSlot::MessageIdentity => Some("case_messages.identity"),
            BlobSlot::CaseNote | BlobSlot::SealedDetail => None,
        }
    }

    /// `SELECT id, label, shred_key, pkesks, body` after `id > $1`, ordered, at most `$2`.
    pub(crate) fn select_page_sql(self) -> &'static str {
        match self {
            BlobSlot::CaseReport => {
                "SELECT id, number AS label, shred_key, report_pkesks AS pkesks, report_body AS body \
                 FROM cases WHERE id > $1 AND destroyed_on IS NULL ORDER BY id LIMIT $2"
            }
            BlobSlot::CaseIdentity => {
                "SELECT id, number AS label, shred_key, identity_pkesks AS pkesks, identity_body AS body \
                 FROM cases WHERE id > $1 AND destroyed_on IS NULL ORDER BY id LIMIT $2"
            }
            BlobSlot::QuarantineRaw => {
                "SELECT id, 'Q' || id AS label, shred_key, raw_pkesks AS pkesks, raw_body AS body \
                 FROM quarantine WHERE id > $1 AND raw_pkesks IS NOT NULL AND shred_key IS NOT NULL \
                 ORDER BY id LIMIT $2"
            }
            BlobSlot::CaseNote => {
                "SELECT e.id AS id, c.number || ' note #' || e.id AS label, c.shred_key AS shred_key, \
                 e.note_pkesks AS pkesks, e.note_body AS body \
                 FROM case_events e JOIN cases c ON c.id = e.case_id \
                 WHERE e.id > $1 AND e.note_pkesks IS NOT NULL ORDER BY e.id LIMIT $2"
            }
            BlobSlot::SealedDetail => {
                "SELECT d.audit_id AS id, c.number || ' detail #' || d.audit_id AS label, \
                 c.shred_key AS shred_key, d.pkesks AS pkesks, d.body AS body \
                 FROM sealed_details d JOIN cases c ON c.id = d.case_id \
                 WHERE d.audit_id > $1 ORDER BY d.audit_id LIMIT $2"
            }
            BlobSlot::AttachmentCleaned => {
                "SELECT a.id AS id, c.number || ' attachment ' || a.idx AS label, \
                 a.shred_key AS shred_key, a.cleaned_pkesks AS pkesks, a.cleaned_body AS body \
                 FROM case_attachments a JOIN cases c ON c.id = a.case_id \
                 WHERE a.id > $1 AND a.cleaned_pkesks IS NOT NULL ORDER BY a.id LIMIT $2"
            }
            BlobSlot::AttachmentOriginal => {
                "SELECT a.id AS id, c.number || ' original ' || a.idx AS label, \
                 a.shred_key AS shred_key, a.original_pkesks AS pkesks, a.original_body AS body \
                 FROM case_attachments a JOIN cases c ON c.id = a.case_id \
                 WHERE a.id > $1 AND a.original_pkesks IS NOT NULL ORDER BY a.id LIMIT $2"
            }
            BlobSlot::MessageReport => {
                "SELECT m.id AS id, c.number || ' message ' || m.seq AS label, \
                 m.shred_key AS shred_key, m.report_pkesks AS pkesks, m.report_body AS body \
                 FROM case_messages m JOIN cases c ON c.id = m.case_id \
                 WHERE m.id > $1 ORDER BY m.id LIMIT $2"
            }
            BlobSlot::MessageIdentity => {
                "SELECT m.id AS id, c.number || ' message ' || m.seq || ' identity' AS label, \
                 m.shred_key AS shred_key, m.identity_pkesks AS pkesks, m.identity_body AS body \
                 FROM case_messages m JOIN cases c ON c.id = m.case_id \
                 WHERE m.id > $1 ORDER BY m.id LIMIT $2"
            }
        }
    }

    /// `UPDATE` of the PKESKs, checked against the old value (`$1` pkesks, `$2` id, `$3` old).
    pub(crate) fn update_sql(self) -> &'static str {
        match self {
            BlobSlot::CaseReport => {
                "UPDATE cases SET report_pkesks = $1 WHERE id = $2 AND report_pkesks = $3"
            }
            BlobSlot::CaseIdentity => {
                "UPDATE cases SET identity_pkesks = $1 WHERE id = $2 AND identity_pkesks = $3"
            }
            BlobSlot::QuarantineRaw => {
                "UPDATE quarantine SET raw_pkesks = $1 WHERE id = $2 AND raw_pkesks = $3"
            }
            BlobSlot::CaseNote => {
                "UPDATE case_events SET note_pkesks = $1 WHERE id = $2 AND note_pkesks = $3"
            }
            BlobSlot::SealedDetail => {
                "UPDATE sealed_details SET pkesks = $1 WHERE audit_id = $2 AND pkesks = $3"
            }
            BlobSlot::AttachmentCleaned => {
                "UPDATE case_attachments SET cleaned_pkesks = $1 WHERE id = $2 AND cleaned_pkesks = $3"
            }
            BlobSlot::AttachmentOriginal => {
                "UPDATE case_attachments SET original_pkesks = $1 WHERE id = $2 AND original_pkesks = $3"
            }
            BlobSlot::MessageReport => {
                "UPDATE case_messages SET report_pkesks = $1 WHERE id = $2 AND report_pkesks = $3"
            }
            BlobSlot::MessageIdentity => {
                "UPDATE case_messages SET identity_pkesks = $1 WHERE id = $2 AND identity_pkesks = $3"
            }
        }
    }

    /// `SELECT COUNT(*) AS n` of the slot's blobs.
    pub(crate) fn count_sql(self) -> &'static str {
        match self {
            BlobSlot::CaseReport | BlobSlot::CaseIdentity => "SELECT COUNT(*) AS n FROM cases",
            BlobSlot::QuarantineRaw => {
                "SELECT COUNT(*) AS n FROM quarantine WHERE raw_pkesks IS NOT NULL AND shred_key IS NOT NULL"
            }
            BlobSlot::CaseNote => "SELECT COUNT(*) AS n FROM case_events WHERE note_pkesks IS NOT NULL",
            BlobSlot::SealedDetail => "SELECT COUNT(*) AS n FROM sealed_details",
            BlobSlot::AttachmentCleaned => {
                "SELECT COUNT(*) AS n FROM case_attachments WHERE cleaned_pkesks IS NOT NULL"
            }
            BlobSlot::AttachmentOriginal => {
                "SELECT COUNT(*) AS n FROM case_attachments WHERE original_pkesks IS NOT NULL"
            }
            BlobSlot::MessageReport | BlobSlot::MessageIdentity => {
                "SELECT COUNT(*) AS n FROM case_messages"
            }
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

/// Which table a content rotation replaces a row in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentTarget {
    /// A case: report and identity, one shred key.
    Case,
    /// A quarantine entry's raw message.
    Quarantine,
    /// An attachment held apart: its cleaned copy, then its original if it has one.
    Attachment,
    /// A reporter's answer filed into a case: report and identity, one shred key.
    Message,
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
    /// A case's sealed details (audit id, new blob), moved the same way.
    pub details: Vec<(i64, StoredBlob)>,
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod lifecycle_tests;
