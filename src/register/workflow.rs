//! The handlers' workflow in the register: art. 29 fields, status changes with their dates,
//! sealed notes and follow-up actions, identity disclosures, the audit chain. Each change and
//! its audit entry are written in one transaction.

use chrono::NaiveDate;
use serde::Serialize;

use super::store::{args, now_rfc3339, today_stored, Row, Tx};
use super::{AuditEntry, Register, RegisterError};
use crate::audit::Event;
use crate::cases::{
    ActionKind, CaseDates, CaseDays, Category, Deadlines, EndReason, Outcome, Status,
    TransitionError,
};
use crate::split::SignatureLabel;
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
    /// Why it was rejected, or to whom it was transferred.
    #[serde(serialize_with = "end_reason_text")]
    pub end_reason: Option<EndReason>,
    /// Acknowledgement due.
    pub acknowledgement_due: NaiveDate,
    /// Feedback due.
    pub feedback_due: NaiveDate,
    /// Kept until.
    pub retention_until: Option<NaiveDate>,
    /// Proceedings the case started ended on (recorded when its legal hold was released).
    pub proceedings_ended_on: Option<NaiveDate>,
    /// The reporter's identity was disclosed to a third party.
    pub identity_disclosed: bool,
    /// Arrived encrypted.
    pub encrypted: bool,
    /// What its signatures say.
    pub signature: SignatureLabel,
    /// The report came with no address at all: no acknowledgement can be sent (art. 27
    /// asks for one only where the reporter gave an address for contact).
    pub no_reply_address: bool,
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
            no_reply_address: self.no_reply_address,
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
    /// Why (for `rejected`) or to whom (for `transferred`).
    pub end_reason: Option<EndReason>,
    /// Audit actor.
    pub actor: String,
}

impl StatusChange {
    /// The audit event and detail recording this change from `from` to `now`: a close with
    /// its outcome, a late acknowledgement as such, any other change with both statuses and
    /// the day.
    pub fn audit(&self, from: Status, now: Status) -> (Event, String) {
        if self.to == Status::Acknowledged && now != Status::Acknowledged {
            return (
                Event::StatusChanged,
                format!(
                    "acknowledgement sent on {} recorded; status stays {now}",
                    self.on
                ),
            );
        }
        match (self.to, self.outcome) {
            (Status::Closed, Some(o)) => (
                Event::CaseClosed,
                format!("{from} -> closed on {}, outcome {o}", self.on),
            ),
            _ => (
                Event::StatusChanged,
                format!(
                    "{from} -> {} on {}{}",
                    self.to,
                    self.on,
                    self.end_reason
                        .map(|r| format!(" ({})", r.as_str()))
                        .unwrap_or_default()
                ),
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
    /// Found irrelevant: its note is destroyed by this day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note_destroy_by: Option<NaiveDate>,
    /// Its note was destroyed as irrelevant on this day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note_destroyed_on: Option<NaiveDate>,
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
    /// Recipient, legal basis and reason, sealed to custodians under the case's shred key.
    pub sealed: StoredBlob,
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
    /// Reporter notice.
    pub reporter_notice: ReporterNotice,
    /// The audit entry recorded with it.
    pub audit_id: i64,
}

const CASE_FILE_SELECT: &str =
    "SELECT id, number, received_at, status, category, acknowledged_at, \
     feedback_at, ended_at, outcome, ack_due, feedback_due, retention_until, identity_disclosed, \
     encrypted, signature, proceedings_ended_on, end_reason, \
     (SELECT k.reason FROM contacts k WHERE k.case_id = cases.id AND k.state = 'none') \
      AS no_contact_reason FROM cases";

/// An end reason in JSON: its stored text.
pub fn end_reason_text<S: serde::Serializer>(
    reason: &Option<EndReason>,
    s: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&reason.map(EndReason::as_str), s)
}

/// The stored signature label of a case row.
pub(super) fn signature_label(r: &Row) -> Result<SignatureLabel, RegisterError> {
    let text: String = r.get("signature", "read case signature")?;
    SignatureLabel::parse(&text).ok_or_else(|| corrupt("signature", &text))
}

fn corrupt(what: &str, value: &str) -> RegisterError {
    RegisterError::Corrupt(format!("cases.{what} = {value:?}"))
}

fn opt_date(r: &Row, col: &'static str) -> Result<Option<NaiveDate>, RegisterError> {
    let v: Option<String> = r.get(col, "read case file")?;
    v.map(|s| s.parse().map_err(|_| corrupt(col, &s)))
        .transpose()
}

/// A case file and its row id.
fn case_file(r: &Row) -> Result<(i64, CaseFile), RegisterError> {
    let what = "read case file";
    let received_at = opt_date(r, "received_at")?.ok_or_else(|| corrupt("received_at", ""))?;
    let status: String = r.get("status", what)?;
    let category: Option<String> = r.get("category", what)?;
    let outcome: Option<String> = r.get("outcome", what)?;
    let end_reason: Option<String> = r.get("end_reason", what)?;
    let acknowledged_at = opt_date(r, "acknowledged_at")?;
    let ended_at = opt_date(r, "ended_at")?;
    // Deadlines stored at filing and on each change; derived again when a row predates them.
    let derived = Deadlines::compute(received_at, acknowledged_at, ended_at);
    let status = Status::parse(&status).ok_or_else(|| corrupt("status", &status))?;
    Ok((
        r.get("id", what)?,
        CaseFile {
            number: r.get("number", what)?,
            received_at,
            status,
            category: category
                .map(|c| Category::parse(&c).ok_or_else(|| corrupt("category", &c)))
                .transpose()?,
            acknowledged_at,
            feedback_at: opt_date(r, "feedback_at")?,
            ended_at,
            outcome: outcome
                .map(|o| Outcome::parse(&o).ok_or_else(|| corrupt("outcome", &o)))
                .transpose()?,
            end_reason: end_reason
                .map(|e| EndReason::parse(status, &e).ok_or_else(|| corrupt("end_reason", &e)))
                .transpose()?,
            acknowledgement_due: opt_date(r, "ack_due")?.unwrap_or(derived.acknowledgement_due),
            feedback_due: opt_date(r, "feedback_due")?.unwrap_or(derived.feedback_due),
            retention_until: opt_date(r, "retention_until")?.or(derived.retention_until),
            proceedings_ended_on: opt_date(r, "proceedings_ended_on")?,
            identity_disclosed: r.get("identity_disclosed", what)?,
            encrypted: r.get("encrypted", what)?,
            signature: signature_label(r)?,
            no_reply_address: r
                .get::<Option<String>>("no_contact_reason", what)?
                .is_some_and(|reason| reason == crate::contact::NoContact::NoAddress.code()),
        },
    ))
}

/// The case file inside a transaction, or NotFound.
pub(super) async fn case_file_in(
    tx: &mut Tx,
    number: &str,
) -> Result<(i64, CaseFile), RegisterError> {
    let row = tx
        .opt(
            "SELECT case file",
            &format!("{CASE_FILE_SELECT} WHERE number = $1"),
            args![number],
        )
        .await?
        .ok_or_else(|| RegisterError::NotFound(format!("case {number}")))?;
    case_file(&row)
}

/// Changes a case's status inside a transaction (see [`Register::change_status`]).
pub(super) async fn change_status_in(
    tx: &mut Tx,
    number: &str,
    change: &StatusChange,
) -> Result<Result<CaseFile, TransitionError>, RegisterError> {
    let (id, file) = case_file_in(tx, number).await?;
    let now = match file
        .status
        .after_request(change.to, file.acknowledged_at.is_some())
    {
        Ok(now) => now,
        Err(e) => return Ok(Err(e)),
    };
    let days = file.days().after(change.to, change.on);
    let dl = days.deadlines();
    let ds = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    // The end of proceedings the case started may keep it longer than follow-up does.
    let (acknowledged, feedback, ended, retention) = (
        ds(days.acknowledged),
        ds(days.feedback),
        ds(days.ended),
        ds(crate::cases::kept_until(
            days.ended,
            file.proceedings_ended_on,
        )),
    );
    let (ack_due, feedback_due) = (
        dl.acknowledgement_due.to_string(),
        dl.feedback_due.to_string(),
    );
    tx.exec(
                "UPDATE case status",
                "UPDATE cases SET status = $1, acknowledged_at = $2, feedback_at = $3, ended_at = $4,
                        outcome = COALESCE($5, outcome), ack_due = $6, feedback_due = $7, retention_until = $8,
                        end_reason = COALESCE($10, end_reason)
                 WHERE id = $9",
                args![
                    now.as_str(),
                    acknowledged.as_deref(),
                    feedback.as_deref(),
                    ended.as_deref(),
                    change.outcome.map(Outcome::as_str),
                    ack_due.as_str(),
                    feedback_due.as_str(),
                    retention.as_deref(),
                    id,
                    change.end_reason.map(EndReason::as_str)
                ],
            )
            .await?;
    let (event, detail) = change.audit(file.status, now);
    tx.audit(&change.actor, event, Some(number), &detail)
        .await?;
    let (_, updated) = case_file_in(tx, number).await?;
    Ok(Ok(updated))
}

/// Records a note or action inside a transaction (see [`Register::add_event`]).
pub(super) async fn add_event_in(
    tx: &mut Tx,
    number: &str,
    event: &NewEvent,
) -> Result<i64, RegisterError> {
    let (case_id, _) = case_file_in(tx, number).await?;
    let (kind, action_kind) = match event.kind {
        EventKind::Note => ("note", None),
        EventKind::Action(k) => ("action", Some(k.as_str())),
    };
    let (on, recorded) = (event.on.to_string(), today_stored());
    let id: i64 = tx
                .one(
                    "INSERT INTO case_events",
                    "INSERT INTO case_events (case_id, kind, action_kind, on_date, actor, note_pkesks, note_body, recorded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    args![
                        case_id,
                        kind,
                        action_kind,
                        on.as_str(),
                        event.actor.as_str(),
                        event.note.as_ref().map(|n| n.pkesks.as_slice()),
                        event.note.as_ref().map(|n| n.body.as_slice()),
                        recorded.as_str()
                    ],
                )
                .await?
                .get("id", "INSERT INTO case_events")?;
    let (audit_event, detail) = match event.kind {
        EventKind::Note => (Event::NoteAdded, format!("note #{id}")),
        EventKind::Action(k) => (
            Event::ActionRecorded,
            format!(
                "action #{id}: {k} on {}{}",
                event.on,
                if event.note.is_some() {
                    " (sealed note)"
                } else {
                    ""
                }
            ),
        ),
    };
    tx.audit(&event.actor, audit_event, Some(number), &detail)
        .await?;
    Ok(id)
}

fn event_row(r: &Row) -> Result<CaseEvent, RegisterError> {
    let what = "read case event";
    let kind: String = r.get("kind", what)?;
    let action_kind: Option<String> = r.get("action_kind", what)?;
    let on: String = r.get("on_date", what)?;
    let pkesks: Option<Vec<u8>> = r.get("note_pkesks", what)?;
    let body: Option<Vec<u8>> = r.get("note_body", what)?;
    Ok(CaseEvent {
        id: r.get("id", what)?,
        kind: if kind == "note" { "note" } else { "action" },
        action_kind: action_kind
            .map(|k| {
                ActionKind::parse(&k).ok_or_else(|| {
                    RegisterError::Corrupt(format!("case_events.action_kind = {k:?}"))
                })
            })
            .transpose()?,
        on: on
            .parse()
            .map_err(|_| RegisterError::Corrupt(format!("case_events.on_date = {on:?}")))?,
        actor: r.get("actor", what)?,
        recorded_at: r.get("recorded_at", what)?,
        note: match (pkesks, body) {
            (Some(pkesks), Some(body)) => Some(StoredBlob { pkesks, body }),
            _ => None,
        },
        note_destroy_by: super::destruction::date(r, "destroy_by")?,
        note_destroyed_on: super::destruction::date(r, "destroyed_on")?,
    })
}

fn disclosure_row(r: &Row) -> Result<DisclosureRow, RegisterError> {
    let what = "read disclosure";
    let notice: String = r.get("reporter_notice", what)?;
    Ok(DisclosureRow {
        id: r.get("id", what)?,
        case_number: r.get("number", what)?,
        at: r.get("at", what)?,
        actor: r.get("actor", what)?,
        reporter_notice: ReporterNotice::parse(&notice).ok_or_else(|| {
            RegisterError::Corrupt(format!("disclosures.reporter_notice = {notice:?}"))
        })?,
        audit_id: r.get("audit_id", what)?,
    })
}

impl Register {
    /// The register view of every case, oldest first.
    pub async fn case_files(&self) -> Result<Vec<CaseFile>, RegisterError> {
        self.all(
            "SELECT case files",
            &format!("{CASE_FILE_SELECT} ORDER BY id"),
            &[],
        )
        .await?
        .iter()
        .map(|r| case_file(r).map(|(_, f)| f))
        .collect()
    }

    /// The register view of one case.
    pub async fn case_file(&self, number: &str) -> Result<Option<CaseFile>, RegisterError> {
        self.opt(
            "SELECT case files",
            &format!("{CASE_FILE_SELECT} WHERE number = $1"),
            args![number],
        )
        .await?
        .map(|r| case_file(&r).map(|(_, f)| f))
        .transpose()
    }

    /// Changes a case's status if the lifecycle allows it (checked inside the transaction),
    /// setting the dates and deadlines that follow, with an audit entry.
    pub async fn change_status(
        &self,
        number: &str,
        change: &StatusChange,
    ) -> Result<Result<CaseFile, TransitionError>, RegisterError> {
        self.write(async |tx| change_status_in(tx, number, change).await)
            .await
    }

    /// Sets the subject of the breach, with an audit entry.
    pub async fn set_category(
        &self,
        number: &str,
        category: Category,
        actor: &str,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let (id, file) = case_file_in(tx, number).await?;
            tx.exec(
                "UPDATE case category",
                "UPDATE cases SET category = $1 WHERE id = $2",
                args![category.as_str(), id],
            )
            .await?;
            let before = file.category.map(Category::as_str).unwrap_or("none");
            tx.audit(
                actor,
                Event::CategorySet,
                Some(number),
                &format!("{before} -> {category}"),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Records a note or follow-up action, with an audit entry. Returns its id.
    pub async fn add_event(&self, number: &str, event: &NewEvent) -> Result<i64, RegisterError> {
        self.write(async |tx| add_event_in(tx, number, event).await)
            .await
    }

    /// Notes and actions of a case, oldest first.
    pub async fn events(&self, number: &str) -> Result<Vec<CaseEvent>, RegisterError> {
        self.all(
            "SELECT case_events",
            "SELECT e.id, e.kind, e.action_kind, e.on_date, e.actor, e.recorded_at, e.note_pkesks, e.note_body,
                    e.destroy_by, e.destroyed_on
             FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.number = $1 ORDER BY e.id",
            args![number],
        )
        .await?
        .iter()
        .map(event_row)
        .collect()
    }

    /// Records a disclosure of identity, marks the case, with an audit entry.
    pub async fn record_disclosure(
        &self,
        number: &str,
        d: &NewDisclosure,
    ) -> Result<i64, RegisterError> {
        self.write(async |tx| {
            let (case_id, _) = case_file_in(tx, number).await?;
            let audit_id = tx
                .audit(
                    &d.actor,
                    Event::IdentityDisclosed,
                    Some(number),
                    &format!("reporter: {} (details sealed)", d.notice.as_str()),
                )
                .await?;
            insert_sealed_detail(tx, audit_id, case_id, &d.sealed).await?;
            let at = today_stored();
            let id: i64 = tx
                .one(
                    "INSERT INTO disclosures",
                    "INSERT INTO disclosures (case_id, at, actor, reporter_notice, audit_id)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    args![
                        case_id,
                        at.as_str(),
                        d.actor.as_str(),
                        d.notice.as_str(),
                        audit_id
                    ],
                )
                .await?
                .get("id", "INSERT INTO disclosures")?;
            tx.exec(
                "UPDATE case identity_disclosed",
                "UPDATE cases SET identity_disclosed = $1 WHERE id = $2",
                args![true, case_id],
            )
            .await?;
            Ok(id)
        })
        .await
    }

    /// Appends an identity event's audit entry with its free text sealed beside it (to
    /// custodians, under the case's shred key), in one transaction; returns the entry's id.
    pub async fn audit_sealed(
        &self,
        entry: &AuditEntry,
        number: &str,
        sealed: &StoredBlob,
    ) -> Result<i64, RegisterError> {
        self.write(async |tx| {
            let (case_id, _) = case_file_in(tx, number).await?;
            let audit_id = tx
                .audit(&entry.actor, entry.action, Some(number), &entry.detail)
                .await?;
            insert_sealed_detail(tx, audit_id, case_id, sealed).await?;
            Ok(audit_id)
        })
        .await
    }

    /// Sealed details of a case's identity events: (audit id, blob), oldest first.
    pub async fn sealed_details(
        &self,
        number: &str,
    ) -> Result<Vec<(i64, StoredBlob)>, RegisterError> {
        let what = "read sealed detail";
        self.all(
            "SELECT sealed_details",
            "SELECT d.audit_id, d.pkesks, d.body FROM sealed_details d JOIN cases c ON c.id = d.case_id \
             WHERE c.number = $1 ORDER BY d.audit_id",
            args![number],
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.get("audit_id", what)?,
                StoredBlob {
                    pkesks: r.get("pkesks", what)?,
                    body: r.get("body", what)?,
                },
            ))
        })
        .collect()
    }

    /// Records the configuration file's SHA-256; a first or changed one is an audit entry
    /// (`ConfigRecorded` / `ConfigChanged`). Returns whether it changed.
    pub async fn note_config(&self, sha256: &str) -> Result<bool, RegisterError> {
        self.write(async |tx| {
            let old: Option<String> = match tx
                .opt(
                    "SELECT config_state",
                    "SELECT sha256 FROM config_state WHERE id = 1",
                    &[],
                )
                .await?
            {
                Some(r) => Some(r.get("sha256", "SELECT config_state")?),
                None => None,
            };
            if old.as_deref() == Some(sha256) {
                return Ok(false);
            }
            let now = now_rfc3339();
            tx.exec(
                "UPSERT config_state",
                "INSERT INTO config_state (id, sha256, updated_at) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, updated_at = excluded.updated_at",
                args![sha256, now.as_str()],
            )
            .await?;
            let (event, detail) = match &old {
                Some(o) => (Event::ConfigChanged, format!("sha256 {o} -> {sha256}")),
                None => (Event::ConfigRecorded, format!("sha256 {sha256}")),
            };
            tx.audit("admin", event, None, &detail).await?;
            Ok(true)
        })
        .await
    }

    /// Disclosures, oldest first, optionally of one case.
    pub async fn disclosures(
        &self,
        number: Option<&str>,
    ) -> Result<Vec<DisclosureRow>, RegisterError> {
        self.all(
            "SELECT disclosures",
            "SELECT d.id, c.number, d.at, d.actor, d.reporter_notice, d.audit_id
             FROM disclosures d JOIN cases c ON c.id = d.case_id
             WHERE $1 IS NULL OR c.number = $1 ORDER BY d.id",
            args![number],
        )
        .await?
        .iter()
        .map(disclosure_row)
        .collect()
    }
}

async fn insert_sealed_detail(
    tx: &mut Tx,
    audit_id: i64,
    case_id: i64,
    sealed: &StoredBlob,
) -> Result<(), RegisterError> {
    tx.exec(
        "INSERT INTO sealed_details",
        "INSERT INTO sealed_details (audit_id, case_id, pkesks, body) VALUES ($1, $2, $3, $4)",
        args![
            audit_id,
            case_id,
            sealed.pkesks.as_slice(),
            sealed.body.as_slice()
        ],
    )
    .await?;
    Ok(())
}
