//! The handlers' workflow in the register: art. 29 fields, status changes with their dates,
//! sealed notes and follow-up actions, identity disclosures, the audit chain. Each change and
//! its audit entry are written in one transaction.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Register, RegisterError};
use crate::audit::Event;
use crate::cases::{ActionKind, CaseDates, CaseDays, Category, Outcome, Status, TransitionError};
use crate::vault::StoredBlob;

#[cfg(test)]
#[path = "workflow_tests.rs"]
mod workflow_tests;

/// A case as the register of internal reports (art. 29) holds it. No content.
#[derive(Debug, Clone, Serialize)]
pub struct CaseFile {
    /// Case number.
    pub number: String,
    /// Date received.
    pub received_at: NaiveDate,
    /// Status.
    pub status: Status,
    /// Subject of the breach, once a handler set it.
    pub category: Option<Category>,
    /// Date the acknowledgement was sent.
    pub acknowledged_at: Option<NaiveDate>,
    /// Date feedback was given.
    pub feedback_at: Option<NaiveDate>,
    /// Date follow-up ended (closed, rejected or transferred).
    pub ended_at: Option<NaiveDate>,
    /// How follow-up ended.
    pub outcome: Option<Outcome>,
    /// Acknowledgement due.
    pub acknowledgement_due: NaiveDate,
    /// Feedback due.
    pub feedback_due: NaiveDate,
    /// Kept until.
    pub retention_until: Option<NaiveDate>,
    /// The reporter's identity was disclosed to a third party.
    pub identity_disclosed: bool,
    /// Arrived encrypted.
    pub encrypted: bool,
    /// Signature verified.
    pub signed: bool,
}

impl CaseFile {
    /// The dates its status changes set.
    pub fn days(&self) -> CaseDays {
        CaseDays {
            received: self.received_at,
            acknowledged: self.acknowledged_at,
            feedback: self.feedback_at,
            ended: self.ended_at,
        }
    }

    /// The dates its deadlines depend on.
    pub fn dates(&self) -> CaseDates {
        CaseDates {
            status: self.status,
            acknowledgement_due: self.acknowledgement_due,
            feedback_due: self.feedback_due,
            acknowledged_at: self.acknowledged_at,
            feedback_at: self.feedback_at,
        }
    }
}

/// A status change requested by a handler.
#[derive(Debug, Clone)]
pub struct StatusChange {
    /// New status.
    pub to: Status,
    /// Date it happened (the acknowledgement date, the feedback date, the end date).
    pub on: NaiveDate,
    /// How follow-up ended (for `closed`).
    pub outcome: Option<Outcome>,
    /// Audit actor.
    pub actor: String,
}

impl StatusChange {
    /// The audit event and detail recording this change from `from`: a close with its
    /// outcome, any other change with both statuses and the day.
    pub fn audit(&self, from: Status) -> (Event, String) {
        match (self.to, self.outcome) {
            (Status::Closed, Some(o)) => (
                Event::CaseClosed,
                format!("{from} -> closed on {}, outcome {o}", self.on),
            ),
            _ => (
                Event::StatusChanged,
                format!("{from} -> {} on {}", self.to, self.on),
            ),
        }
    }
}

/// What a case event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A handler's note.
    Note,
    /// A follow-up action.
    Action(ActionKind),
}

/// A note or follow-up action to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Note or action.
    pub kind: EventKind,
    /// Date of the action (or of the note).
    pub on: NaiveDate,
    /// Audit actor.
    pub actor: String,
    /// The sealed note (sealed to handlers and custodians, wrapped with the case's shred key).
    pub note: Option<StoredBlob>,
}

/// A recorded note or action.
#[derive(Debug, Clone, Serialize)]
pub struct CaseEvent {
    /// Event id.
    pub id: i64,
    /// `note` or `action`.
    pub kind: &'static str,
    /// Kind of follow-up action.
    pub action_kind: Option<ActionKind>,
    /// Date.
    pub on: NaiveDate,
    /// Who recorded it.
    pub actor: String,
    /// When recorded (RFC 3339).
    pub recorded_at: String,
    /// The sealed note, if any.
    #[serde(skip)]
    pub note: Option<StoredBlob>,
}

/// Whether the reporter was told before the identity was disclosed (art. 8 ust. 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReporterNotice {
    /// The reporter was told beforehand.
    Informed,
    /// Not told: telling would endanger the investigation or proceedings.
    WithheldWouldEndanger,
}

impl ReporterNotice {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ReporterNotice::Informed => "informed",
            ReporterNotice::WithheldWouldEndanger => "withheld-would-endanger",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<ReporterNotice> {
        match s {
            "informed" => Some(ReporterNotice::Informed),
            "withheld-would-endanger" => Some(ReporterNotice::WithheldWouldEndanger),
            _ => None,
        }
    }
}

/// A disclosure of the reporter's identity to record.
#[derive(Debug, Clone)]
pub struct NewDisclosure {
    /// Custodian (audit actor).
    pub actor: String,
    /// Authority or person it went to.
    pub recipient: String,
    /// Legal basis.
    pub legal_basis: String,
    /// Why.
    pub reason: String,
    /// Whether the reporter was told first.
    pub notice: ReporterNotice,
}

/// A recorded disclosure.
#[derive(Debug, Clone, Serialize)]
pub struct DisclosureRow {
    /// Id.
    pub id: i64,
    /// Case number.
    pub case_number: String,
    /// When (RFC 3339).
    pub at: String,
    /// Custodian.
    pub actor: String,
    /// Recipient.
    pub recipient: String,
    /// Legal basis.
    pub legal_basis: String,
    /// Reason.
    pub reason: String,
    /// Reporter notice.
    pub reporter_notice: ReporterNotice,
    /// The audit entry recorded with it.
    pub audit_id: i64,
}

impl Register {
    /// The register view of every case, oldest first.
    pub async fn case_files(&self) -> Result<Vec<CaseFile>, RegisterError> {
        match self {
            Register::Sqlite(r) => r
                .case_files(None)
                .await
                .map(|v| v.into_iter().map(|(_, f)| f).collect()),
        }
    }

    /// The register view of one case.
    pub async fn case_file(&self, number: &str) -> Result<Option<CaseFile>, RegisterError> {
        match self {
            Register::Sqlite(r) => Ok(r
                .case_files(Some(number))
                .await?
                .into_iter()
                .next()
                .map(|(_, f)| f)),
        }
    }

    /// Changes a case's status if the lifecycle allows it (checked inside the transaction), setting the dates and deadlines that
    /// follow, with an audit entry.
    pub async fn change_status(
        &self,
        number: &str,
        change: &StatusChange,
    ) -> Result<Result<CaseFile, TransitionError>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.change_status(number, change).await,
        }
    }

    /// Sets the subject of the breach, with an audit entry.
    pub async fn set_category(
        &self,
        number: &str,
        category: Category,
        actor: &str,
    ) -> Result<(), RegisterError> {
        match self {
            Register::Sqlite(r) => r.set_category(number, category, actor).await,
        }
    }

    /// Records a note or follow-up action, with an audit entry. Returns its id.
    pub async fn add_event(&self, number: &str, event: &NewEvent) -> Result<i64, RegisterError> {
        match self {
            Register::Sqlite(r) => r.add_event(number, event).await,
        }
    }

    /// Notes and actions of a case, oldest first.
    pub async fn events(&self, number: &str) -> Result<Vec<CaseEvent>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.events(number).await,
        }
    }

    /// Records a disclosure of identity, marks the case, with an audit entry.
    pub async fn record_disclosure(
        &self,
        number: &str,
        disclosure: &NewDisclosure,
    ) -> Result<i64, RegisterError> {
        match self {
            Register::Sqlite(r) => r.record_disclosure(number, disclosure).await,
        }
    }

    /// Records the configuration file's SHA-256; a first or changed one is an audit entry
    /// (`ConfigRecorded` / `ConfigChanged`). Returns whether it changed.
    pub async fn note_config(&self, sha256: &str) -> Result<bool, RegisterError> {
        match self {
            Register::Sqlite(r) => r.note_config(sha256).await,
        }
    }

    /// Disclosures, oldest first, optionally of one case.
    pub async fn disclosures(
        &self,
        number: Option<&str>,
    ) -> Result<Vec<DisclosureRow>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.disclosures(number).await,
        }
    }
}
