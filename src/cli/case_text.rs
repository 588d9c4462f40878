//! The words of case work in the user's language (`locales/*.ftl`): statuses, deadlines, how a
//! report arrived, the register fields. Shared by every command a handler runs.

use chrono::NaiveDate;

use super::term;
use crate::cases::{ActionKind, Category, DeadlineKind, EndReason, Outcome, Status};
use crate::desk::{CaseFile, OpenedEvent};
use crate::split::SignatureLabel;

/// A status as people say it.
pub(super) fn status(s: Status) -> String {
    match s {
        Status::Received => t!("status-received"),
        Status::Acknowledged => t!("status-acknowledged"),
        Status::InFollowUp => t!("status-in-follow-up"),
        Status::FeedbackGiven => t!("status-feedback-given"),
        Status::Closed => t!("status-closed"),
        Status::Rejected => t!("status-rejected"),
        Status::Transferred => t!("status-transferred"),
    }
}

/// A stored status text as people say it (the text itself if it is not a status).
pub(super) fn status_text(code: &str) -> String {
    Status::parse(code).map_or_else(|| code.to_owned(), status)
}

/// A status with the word a command takes for it: "w działaniach następczych (in-follow-up)".
pub(super) fn status_with_code(s: Status) -> String {
    let label = status(s);
    if label == s.as_str() {
        label
    } else {
        format!("{label} ({})", s.as_str())
    }
}

/// Which deadline.
pub(super) fn deadline(kind: DeadlineKind) -> String {
    match kind {
        DeadlineKind::Acknowledgement => t!("deadline-acknowledgement"),
        DeadlineKind::Feedback => t!("deadline-feedback"),
        DeadlineKind::DestroyIrrelevant => t!("deadline-destroy-irrelevant"),
    }
}

/// "2026-12-10 (in 3 days)", "(today)", "(OVERDUE by 2 days)".
pub(super) fn when(due: NaiveDate, days_left: i64) -> String {
    let due = due.to_string();
    if days_left < 0 {
        t!("due-overdue", due = due, days = -days_left)
    } else {
        t!("due-in", due = due, days = days_left)
    }
}

/// How a message arrived: encrypted or not, and what its signature says.
pub(super) fn arrived(encrypted: bool, signature: SignatureLabel) -> String {
    let how = if encrypted {
        t!("arrived-encrypted")
    } else {
        t!("arrived-unencrypted")
    };
    let signed = match signature {
        SignatureLabel::TrustedSigner => t!("signature-trusted"),
        SignatureLabel::UnknownSigner => t!("signature-unknown"),
        SignatureLabel::Unsigned => t!("signature-none"),
    };
    format!("{how}, {signed}")
}

/// A follow-up action's kind.
pub(super) fn action(kind: ActionKind) -> String {
    match kind {
        ActionKind::Investigation => t!("action-investigation"),
        ActionKind::Interview => t!("action-interview"),
        ActionKind::DocumentRequest => t!("action-document-request"),
        ActionKind::ReporterContact => t!("action-reporter-contact"),
        ActionKind::ExternalReview => t!("action-external-review"),
        ActionKind::CorrectiveAction => t!("action-corrective-action"),
        ActionKind::Referral => t!("action-referral"),
        ActionKind::Recovery => t!("action-recovery"),
        ActionKind::Other => t!("action-other"),
    }
}

fn date(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| d.to_string())
}

/// The register fields of a case, one per line, labels aligned.
pub(super) fn print_file(f: &CaseFile) {
    print_rows(&file_rows(f));
}

/// Labels and values, the labels padded to one width.
pub(super) fn print_rows(rows: &[(String, String)]) {
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (label, value) in rows {
        println!("{label:<width$}  {value}");
    }
}

/// A case's notes and actions, oldest first, with their opened notes.
pub(super) fn print_events(events: &[OpenedEvent]) {
    if events.is_empty() {
        println!("{}", t!("events-none"));
    }
    for opened in events {
        let e = &opened.event;
        let what = match e.action_kind {
            Some(k) => t!("event-action", kind = action(k)),
            None => t!("event-note"),
        };
        println!(
            "#{} {} {what} {}",
            e.id,
            e.on,
            t!("event-by", actor = term::line(&e.actor))
        );
        if let Some(n) = &opened.note {
            for line in term::text(n).lines() {
                println!("    {line}");
            }
        }
        if let Some(d) = e.note_destroyed_on {
            println!("    {}", t!("event-note-destroyed", on = d.to_string()));
        } else if let Some(d) = e.note_destroy_by {
            println!("    {}", t!("event-note-irrelevant", by = d.to_string()));
        }
    }
}

fn file_rows(f: &CaseFile) -> Vec<(String, String)> {
    let mut rows = vec![
        (t!("field-case"), f.number.clone()),
        (t!("field-status"), status_with_code(f.status)),
        (
            t!("field-category"),
            f.category.map_or_else(|| "-".to_owned(), category),
        ),
        (t!("field-received"), f.received_at.to_string()),
        (
            t!("field-acknowledged"),
            t!(
                "value-done-due",
                done = date(f.acknowledged_at),
                due = f.acknowledgement_due.to_string()
            ),
        ),
        (
            t!("field-feedback"),
            t!(
                "value-done-due",
                done = date(f.feedback_at),
                due = f.feedback_due.to_string()
            ),
        ),
        (t!("field-ended"), date(f.ended_at)),
        (
            t!("field-outcome"),
            f.outcome.map_or_else(|| "-".to_owned(), outcome),
        ),
    ];
    match f.end_reason {
        Some(EndReason::Rejected(r)) => rows.push((t!("field-rejected-because"), r.to_string())),
        Some(EndReason::Transferred(r)) => rows.push((t!("field-transferred-to"), r.to_string())),
        None => {}
    }
    rows.push((t!("field-keep-until"), date(f.retention_until)));
    if let Some(p) = f.proceedings_ended_on {
        rows.push((
            t!("field-proceedings-ended"),
            t!("value-proceedings-ended", on = p.to_string()),
        ));
    }
    if f.identity_disclosed {
        rows.push((t!("field-identity"), t!("value-identity-disclosed")));
    }
    rows
}

/// A subject of the breach: its code (the closed list of art. 3, typed in commands).
fn category(c: Category) -> String {
    c.as_str().to_owned()
}

fn outcome(o: Outcome) -> String {
    match o {
        Outcome::Substantiated => t!("outcome-substantiated"),
        Outcome::PartlySubstantiated => t!("outcome-partly-substantiated"),
        Outcome::Unsubstantiated => t!("outcome-unsubstantiated"),
        Outcome::NotInvestigable => t!("outcome-not-investigable"),
    }
}
