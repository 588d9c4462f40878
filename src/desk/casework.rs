//! The handlers' work on a case: open it, change its status, categorise it, add notes and
//! actions, read its history, export it; the due list and the acknowledgement text. Every use
//! that reads or changes content proves the actor with a key that opens the case's report, and
//! every read of content is audited before it is returned.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use zeroize::Zeroizing;

use super::actor::ProvenReader;
use super::{Desk, DeskError, Message, Opener, ReaderKey, Sealed, Why};
use crate::audit::Event;
use crate::cases::{
    acknowledgement, check_event_date, compliance, ActionKind, Category, DeadlineKind, Deadlines,
    EndReason, EndReasonError, EventDateError, Outcome, Recipient, RejectionReason, Status,
    TransitionError,
};
use crate::readers::Readers;
use crate::register::{
    today, AuditEntry, CaseEvent, CaseFile, CaseSummary, EventKind, NewEvent, StatusChange,
};
use crate::split::Report;
use crate::vault::{self, BlobKind, ShredKey, StoredBlob, VaultError};

/// Largest note accepted (text typed or pasted by a handler).
pub const MAX_NOTE_BYTES: usize = 1024 * 1024;

/// An opened case: its number, status and report (audited as `CaseOpened`).
pub struct OpenedCase {
    /// Case number.
    pub number: String,
    /// Status.
    pub status: String,
    /// The report, with attachments.
    pub report: Report,
    /// The reporter's answers filed into the case, in order.
    pub follow_ups: Vec<super::OpenedFollowUp>,
    /// Whether the reporter can be written to through the gateway (never the address).
    pub contact: Option<super::ContactState>,
    /// Its register fields: dates, deadlines, outcome.
    pub file: CaseFile,
    /// Its notes and actions, the notes opened.
    pub events: Vec<OpenedEvent>,
}

/// How a status change ends follow-up, when it does: closing takes an outcome, rejecting its
/// reason, transferring its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The change ends nothing.
    None,
    /// Closed with this outcome.
    Outcome(Outcome),
    /// Rejected or transferred, and why or to whom.
    Reason(EndReason),
}

/// A note or action to record.
pub struct NewNote {
    /// Note or action (with its kind).
    pub kind: EventKind,
    /// The day it happened (default today).
    pub on: Option<NaiveDate>,
    /// The note's text: required for a note, optional for an action.
    pub text: Option<Zeroizing<Vec<u8>>>,
}

/// A recorded note or action.
#[derive(Debug, Serialize)]
pub struct EventRecorded {
    /// Case number.
    pub number: String,
    /// Event id.
    pub id: i64,
    /// `note` or `action`.
    pub kind: &'static str,
    /// Kind of action.
    pub action_kind: Option<ActionKind>,
    /// The day it happened.
    pub on: NaiveDate,
    /// A sealed note came with it.
    pub sealed_note: bool,
}

/// A note or action with its note opened.
#[derive(Serialize)]
pub struct OpenedEvent {
    /// The event as the register holds it (its sealed note is never serialised).
    #[serde(flatten)]
    pub event: CaseEvent,
    /// The opened note.
    #[serde(serialize_with = "serialize_secret")]
    pub note: Option<Zeroizing<String>>,
}

/// A case's register fields with its notes and actions opened (audited as `NotesOpened`).
pub struct History {
    /// Register fields.
    pub file: CaseFile,
    /// Notes and actions, oldest first.
    pub events: Vec<OpenedEvent>,
}

/// Everything a handler may take out of a case: never the identity (audited as
/// `CaseExported` before it is returned).
pub struct CaseExport {
    /// Register fields.
    pub file: CaseFile,
    /// The report, with attachments.
    pub report: Report,
    /// The reporter's answers filed into the case.
    pub follow_ups: Vec<super::OpenedFollowUp>,
    /// Notes and actions.
    pub events: Vec<OpenedEvent>,
    /// The day it was taken out (the register's clock).
    pub made_on: NaiveDate,
}

/// One open deadline.
#[derive(Debug, Serialize)]
pub struct DueItem {
    /// Case number.
    pub number: String,
    /// Status.
    pub status: Status,
    /// Which deadline.
    pub deadline: DeadlineKind,
    /// Due date (inclusive).
    pub due: NaiveDate,
    /// Days left (negative: overdue).
    pub days_left: i64,
    /// Past the due date.
    pub overdue: bool,
    /// For `destroy-irrelevant`: which attachment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<u32>,
    /// For `destroy-irrelevant`: which note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<i64>,
}

/// Serialises an opened note without copying it into a non-zeroizing string first.
pub(crate) fn serialize_secret<S: serde::Serializer>(
    v: &Option<Zeroizing<String>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(t) => s.serialize_some(t.as_str()),
        None => s.serialize_none(),
    }
}

/// Opened note text as a zeroizing string (notes are written as UTF-8).
pub(super) fn note_text(plain: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(String::from_utf8_lossy(plain).into_owned())
}

/// A date given for something that happened on a case: not before the case arrived, not in
/// the future.
fn check_on(received: NaiveDate, on: NaiveDate) -> Result<(), DeskError> {
    check_event_date(received, on, today()).map_err(|e| {
        match e {
            EventDateError::BeforeReceipt { on, received } => Why::invalid("err-on-before-receipt")
                .arg("on", on.to_string())
                .arg("received", received.to_string()),
            EventDateError::Future { on } => {
                Why::invalid("err-on-future").arg("on", on.to_string())
            }
        }
        .into()
    })
}

/// A status the lifecycle does not allow, as the person is told.
pub(super) fn transition_refused(e: &TransitionError) -> Why {
    let status = |s: Status| Message::new(crate::i18n::status_id(s));
    Why::invalid("err-transition")
        .arg("from", status(e.from))
        .arg("to", status(e.to))
        .arg("hint", e.hint.code())
}

/// A rejection names why, a transfer names to whom ([`EndReason::check`]), as the person is
/// told.
fn check_end_reason(to: Status, given: Option<EndReason>) -> Result<(), DeskError> {
    EndReason::check(to, given).map_err(|e| {
        match e {
            EndReasonError::ReasonMissing => {
                Why::invalid("err-reject-needs-reason").arg("choices", RejectionReason::choices())
            }
            EndReasonError::RecipientMissing => {
                Why::invalid("err-transfer-needs-recipient").arg("choices", Recipient::choices())
            }
            EndReasonError::NotFor { given, to } => Why::invalid("err-end-reason-wrong-status")
                .arg("given", given.as_str())
                .arg("status", given.status().as_str())
                .arg("to", to.as_str()),
        }
        .into()
    })
}

/// The note rules: bounded, UTF-8, and a note (unlike an action's remark) says something.
fn check_note(kind: EventKind, text: Option<&[u8]>) -> Result<(), DeskError> {
    if let Some(t) = text {
        if t.len() > MAX_NOTE_BYTES {
            return Err(Why::invalid("err-note-too-large")
                .arg("max", MAX_NOTE_BYTES)
                .into());
        }
        if std::str::from_utf8(t).is_err() {
            return Err(Why::invalid("err-note-not-utf8").into());
        }
    }
    match (kind, text) {
        (EventKind::Note, None) => Err(Why::invalid("err-note-empty").into()),
        (EventKind::Note, Some(t)) if t.iter().all(u8::is_ascii_whitespace) => {
            Err(Why::invalid("err-note-empty").into())
        }
        _ => Ok(()),
    }
}

/// The acknowledgement's feedback deadline: three months from the acknowledgement, if it was
/// recorded, or from `today` if it is being sent now.
fn feedback_due_if_acknowledged(file: &CaseFile, today: NaiveDate) -> NaiveDate {
    let ack_on = file.acknowledged_at.unwrap_or(today);
    Deadlines::compute(file.received_at, Some(ack_on), None).feedback_due
}

/// Open deadlines on `today`, soonest first; with `within`, only those due within that many
/// days (overdue ones always).
fn due_list(files: Vec<CaseFile>, today: NaiveDate, within: Option<i64>) -> Vec<DueItem> {
    let mut items: Vec<DueItem> = files
        .into_iter()
        .filter_map(|f| {
            let d = compliance::due_on(&f.dates(), today)?;
            Some(DueItem {
                number: f.number,
                status: f.status,
                deadline: d.deadline,
                due: d.due,
                days_left: d.days_left,
                overdue: d.overdue(),
                attachment: None,
                note: None,
            })
        })
        .filter(|i| within.is_none_or(|w| i.days_left <= w))
        .collect();
    items.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.number.cmp(&b.number)));
    items
}

pub(super) fn parse_report(plain: &[u8]) -> Result<Report, DeskError> {
    serde_json::from_slice(plain).map_err(|e| DeskError::Damaged {
        what: "report",
        detail: e.to_string(),
    })
}

/// Which cases `cases list` shows; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// In this status.
    pub status: Option<Status>,
    /// With a deadline due within this many days (overdue ones included).
    pub due_within: Option<i64>,
    /// Of this subject.
    pub category: Option<Category>,
    /// Received in this year.
    pub year: Option<i32>,
}

/// A case as listed: its summary, subject and next deadline. No content.
#[derive(Debug, Clone, Serialize)]
pub struct CaseListing {
    /// Number, dates, status, how it arrived.
    #[serde(flatten)]
    pub summary: CaseSummary,
    /// Subject of the breach, once set.
    pub category: Option<Category>,
    /// The next legal deadline, while one is open.
    pub next_deadline: Option<NextDeadline>,
    /// Its subject, when listed with a reader's key (opened and recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A case's next open deadline as seen today.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NextDeadline {
    /// Which deadline.
    pub kind: DeadlineKind,
    /// Due date (inclusive).
    pub due: NaiveDate,
    /// Days left (negative: overdue).
    pub days_left: i64,
}

/// Every open deadline of a case as seen today, soonest first.
pub fn open_deadlines(f: &CaseFile) -> Vec<NextDeadline> {
    let today = today();
    compliance::open_deadlines(&f.dates())
        .into_iter()
        .map(|(kind, due)| NextDeadline {
            kind,
            due,
            days_left: (due - today).num_days(),
        })
        .collect()
}

impl CaseFilter {
    fn admits(&self, f: &CaseFile, next: Option<&NextDeadline>) -> bool {
        self.status.is_none_or(|s| s == f.status)
            && self.category.is_none_or(|c| Some(c) == f.category)
            && self.year.is_none_or(|y| y == f.received_at.year())
            && self
                .due_within
                .is_none_or(|w| next.is_some_and(|n| n.days_left <= w))
    }
}

impl Desk {
    /// Case summaries, oldest first. No content, no key needed.
    pub async fn list_cases(&self) -> Result<Vec<CaseSummary>, DeskError> {
        Ok(self.register.list_cases().await?)
    }

    /// The cases `filter` admits, oldest first, each with its next deadline. No content, no
    /// key needed.
    pub async fn case_list(&self, filter: &CaseFilter) -> Result<Vec<CaseListing>, DeskError> {
        let mut files: std::collections::HashMap<String, CaseFile> = self
            .register
            .case_files()
            .await?
            .into_iter()
            .map(|f| (f.number.clone(), f))
            .collect();
        let mut out = Vec::new();
        for summary in self.register.list_cases().await? {
            let Some(f) = files.remove(&summary.number) else {
                continue;
            };
            let next = open_deadlines(&f).into_iter().next();
            if filter.admits(&f, next.as_ref()) {
                out.push(CaseListing {
                    summary,
                    category: f.category,
                    next_deadline: next,
                    subject: None,
                });
            }
        }
        Ok(out)
    }

    /// A case's dates, status and open deadlines (soonest first). No content, no key needed.
    pub async fn case_overview(
        &self,
        number: &str,
    ) -> Result<(CaseFile, Vec<NextDeadline>), DeskError> {
        let file = self.case_file(number).await?;
        let deadlines = open_deadlines(&file);
        Ok((file, deadlines))
    }

    async fn case_file(&self, number: &str) -> Result<CaseFile, DeskError> {
        self.register
            .case_file(number)
            .await?
            .ok_or_else(|| Why::not_found("err-no-case").arg("number", number).into())
    }

    async fn audit(
        &self,
        actor: &super::Actor,
        event: Event,
        case_number: Option<&str>,
        detail: String,
    ) -> Result<(), DeskError> {
        self.register
            .audit(&AuditEntry {
                actor: actor.as_str().to_owned(),
                action: event,
                case_number: case_number.map(str::to_owned),
                detail,
            })
            .await?;
        Ok(())
    }

    /// Opens a case's report with a reader's key; recorded before it is returned.
    pub async fn open_case(&self, number: &str, key: &ReaderKey) -> Result<OpenedCase, DeskError> {
        let proven = self.prove_reader(number, key).await?;
        let events = self.open_events(number, key, &proven).await?;
        // The notes open with the case: the one audit entry says so.
        let detail = if events.is_empty() {
            String::new()
        } else {
            format!("with {} note(s) and action(s)", events.len())
        };
        self.audit(&proven.actor, Event::CaseOpened, Some(number), detail)
            .await?;
        let mut report = parse_report(&proven.report)?;
        self.fill_report(number, key, &mut report, 1).await?;
        let follow_ups = self.open_follow_ups(number, key).await?;
        Ok(OpenedCase {
            number: number.to_owned(),
            status: proven.record.summary.status.clone(),
            report,
            follow_ups,
            contact: self.register.contact_state(number).await?,
            file: self.case_file(number).await?,
            events,
        })
    }

    /// Changes a case's status on the day it happened (default today). Closing needs an
    /// outcome; the lifecycle decides which changes are allowed.
    pub async fn change_status(
        &self,
        number: &str,
        key: &ReaderKey,
        to: Status,
        on: Option<NaiveDate>,
        ending: Ending,
    ) -> Result<CaseFile, DeskError> {
        let (outcome, end_reason) = match ending {
            Ending::None => (None, None),
            Ending::Outcome(o) => (Some(o), None),
            Ending::Reason(r) => (None, Some(r)),
        };
        if to == Status::Closed && outcome.is_none() {
            return Err(Why::invalid("err-close-needs-outcome")
                .arg("number", number)
                .arg("choices", Outcome::choices())
                .into());
        }
        check_end_reason(to, end_reason)?;
        let proven = self.prove_reader(number, key).await?;
        let change = StatusChange {
            to,
            on: on.unwrap_or_else(today),
            outcome,
            end_reason,
            actor: proven.actor.into_string(),
        };
        check_on(proven.record.summary.received_at, change.on)?;
        self.register
            .change_status(number, &change)
            .await?
            .map_err(|e| transition_refused(&e).into())
    }

    /// Sets the subject of the breach.
    pub async fn set_category(
        &self,
        number: &str,
        key: &ReaderKey,
        category: Category,
    ) -> Result<CaseFile, DeskError> {
        let proven = self.prove_reader(number, key).await?;
        self.register
            .set_category(number, category, proven.actor.as_str())
            .await?;
        self.case_file(number).await
    }

    /// Records a note or a follow-up action; its note is sealed to every current reader under
    /// the case's shred key (invariant 2).
    pub async fn add_event(
        &self,
        number: &str,
        key: &ReaderKey,
        new: NewNote,
    ) -> Result<EventRecorded, DeskError> {
        let proven = self.prove_reader(number, key).await?;
        check_note(new.kind, new.text.as_deref().map(|t| t.as_slice()))?;
        let note = match &new.text {
            Some(t) => Some(self.seal_note(t, &proven.shred).await?),
            None => None,
        };
        let on = new.on.unwrap_or_else(today);
        check_on(proven.record.summary.received_at, on)?;
        let id = self
            .register
            .add_event(
                number,
                &NewEvent {
                    kind: new.kind,
                    on,
                    actor: proven.actor.into_string(),
                    note,
                },
            )
            .await?;
        Ok(EventRecorded {
            number: number.to_owned(),
            id,
            kind: match new.kind {
                EventKind::Note => "note",
                EventKind::Action(_) => "action",
            },
            action_kind: match new.kind {
                EventKind::Action(k) => Some(k),
                EventKind::Note => None,
            },
            on,
            sealed_note: new.text.is_some(),
        })
    }

    pub(super) async fn seal_note(
        &self,
        text: &[u8],
        shred: &ShredKey,
    ) -> Result<StoredBlob, DeskError> {
        let readers = Readers::load(&self.register).await?;
        if readers.handlers.is_empty() {
            return Err(VaultError::NoReaders("handlers").into());
        }
        Ok(vault::seal(text, &readers.handlers, shred, BlobKind::Note)?)
    }

    /// Opens the notes of a case with a proven reader's key.
    async fn open_events(
        &self,
        number: &str,
        key: &ReaderKey,
        proven: &ProvenReader,
    ) -> Result<Vec<OpenedEvent>, DeskError> {
        let mut out = Vec::new();
        for event in self.register.events(number).await? {
            let note = match &event.note {
                Some(blob) => Some(note_text(&self.open_note(
                    blob,
                    &proven.shred,
                    key,
                    number,
                    Opener::NoteReader,
                )?)),
                None => None,
            };
            out.push(OpenedEvent { event, note });
        }
        Ok(out)
    }

    pub(super) fn open_note(
        &self,
        blob: &StoredBlob,
        shred: &ShredKey,
        key: &ReaderKey,
        number: &str,
        role: Opener,
    ) -> Result<Zeroizing<Vec<u8>>, DeskError> {
        vault::open(
            blob,
            shred,
            BlobKind::Note,
            &key.cert,
            key.passphrase.as_ref(),
            MAX_NOTE_BYTES,
        )
        .map_err(|err| DeskError::unseal(err, Sealed::Case(number), role))
    }

    /// Register fields, actions and opened notes of a case (audited).
    pub async fn history(&self, number: &str, key: &ReaderKey) -> Result<History, DeskError> {
        let proven = self.prove_reader(number, key).await?;
        let events = self.open_events(number, key, &proven).await?;
        self.audit(
            &proven.actor,
            Event::NotesOpened,
            Some(number),
            format!("{} event(s)", events.len()),
        )
        .await?;
        Ok(History {
            file: self.case_file(number).await?,
            events,
        })
    }

    /// A complete case file for a handler (report, attachments, notes, actions), never the
    /// identity. Recorded before anything is returned, so before anything is written.
    pub async fn export_case(
        &self,
        number: &str,
        key: &ReaderKey,
    ) -> Result<CaseExport, DeskError> {
        let proven = self.prove_reader(number, key).await?;
        let events = self.open_events(number, key, &proven).await?;
        let file = self.case_file(number).await?;
        self.audit(
            &proven.actor,
            Event::CaseExported,
            Some(number),
            format!("{} event(s); identity not included", events.len()),
        )
        .await?;
        let mut report = parse_report(&proven.report)?;
        self.fill_report(number, key, &mut report, 1).await?;
        let follow_ups = self.open_follow_ups(number, key).await?;
        Ok(CaseExport {
            file,
            report,
            follow_ups,
            events,
            made_on: today(),
        })
    }

    /// Open deadlines, soonest first, with material found irrelevant and not yet destroyed.
    /// No content, no key needed.
    pub async fn due(&self, within: Option<i64>) -> Result<Vec<DueItem>, DeskError> {
        let files = self.register.case_files().await?;
        let statuses: Vec<(String, Status)> =
            files.iter().map(|f| (f.number.clone(), f.status)).collect();
        let mut items = due_list(files, today(), within);
        for i in self.irrelevant_pending().await? {
            let (Some(due), Some(days_left)) = (i.destroy_by, i.days_left) else {
                continue;
            };
            let Some((_, status)) = statuses.iter().find(|(n, _)| *n == i.number) else {
                continue;
            };
            if within.is_some_and(|w| days_left > w) {
                continue;
            }
            items.push(DueItem {
                number: i.number,
                status: *status,
                deadline: DeadlineKind::DestroyIrrelevant,
                due,
                days_left,
                overdue: days_left < 0,
                attachment: i.attachment,
                note: i.note,
            });
        }
        items.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.number.cmp(&b.number)));
        Ok(items)
    }

    /// The acknowledgement for the reporter: case number and dates only, no key needed.
    pub async fn acknowledgement_text(
        &self,
        number: &str,
        lang: acknowledgement::Lang,
    ) -> Result<String, DeskError> {
        let f = self.case_file(number).await?;
        let due = feedback_due_if_acknowledged(&f, today());
        Ok(acknowledgement::acknowledgement(
            lang,
            number,
            f.received_at,
            due,
        ))
    }
}

#[cfg(test)]
#[path = "casework_tests.rs"]
mod casework_tests;
