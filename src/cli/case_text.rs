//! The words of case work in the user's language (`locales/*.ftl`): statuses, deadlines, how a
//! report arrived, the register fields. Shared by every command a handler runs.

use chrono::NaiveDate;

use super::term;
use crate::cases::{ActionKind, Category, DeadlineKind, EndReason, Outcome, Status};
use crate::desk::{CaseFile, OpenedEvent};
use crate::i18n::Texts;
use crate::split::SignatureLabel;

/// A stored status text as people say it (the text itself if it is not a status).
pub(super) fn status_text(tx: &Texts, code: &str) -> String {
    Status::parse(code).map_or_else(|| code.to_owned(), |s| tx.status(s))
}

/// A status with the word a command takes for it: "w działaniach następczych (in-follow-up)".
pub(super) fn status_with_code(tx: &Texts, s: Status) -> String {
    let label = tx.status(s);
    if label == s.as_str() {
        label
    } else {
        format!("{label} ({})", s.as_str())
    }
}

/// Which deadline.
pub(super) fn deadline(tx: &Texts, kind: DeadlineKind) -> String {
    tx.deadline(kind)
}

/// "2026-12-10 (in 3 days)", "(today)", "(OVERDUE by 2 days)".
pub(super) fn when(tx: &Texts, due: NaiveDate, days_left: i64) -> String {
    tx.when(due, days_left)
}

/// How a message arrived: encrypted or not, and what its signature says.
pub(super) fn arrived(tx: &Texts, encrypted: bool, signature: SignatureLabel) -> String {
    let how = if encrypted {
        t!(tx => "arrived-encrypted")
    } else {
        t!(tx => "arrived-unencrypted")
    };
    let signed = match signature {
        SignatureLabel::TrustedSigner => t!(tx => "signature-trusted"),
        SignatureLabel::UnknownSigner => t!(tx => "signature-unknown"),
        SignatureLabel::Unsigned => t!(tx => "signature-none"),
    };
    format!("{how}, {signed}")
}

/// A follow-up action's kind.
pub(super) fn action(tx: &Texts, kind: ActionKind) -> String {
    match kind {
        ActionKind::Investigation => t!(tx => "action-investigation"),
        ActionKind::Interview => t!(tx => "action-interview"),
        ActionKind::DocumentRequest => t!(tx => "action-document-request"),
        ActionKind::ReporterContact => t!(tx => "action-reporter-contact"),
        ActionKind::ExternalReview => t!(tx => "action-external-review"),
        ActionKind::CorrectiveAction => t!(tx => "action-corrective-action"),
        ActionKind::Referral => t!(tx => "action-referral"),
        ActionKind::Recovery => t!(tx => "action-recovery"),
        ActionKind::Other => t!(tx => "action-other"),
    }
}

fn date(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| d.to_string())
}

/// The register fields of a case, one per line, labels aligned.
pub(super) fn print_file(tx: &Texts, f: &CaseFile) {
    print_rows(&file_rows(tx, f));
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
pub(super) fn print_events(tx: &Texts, events: &[OpenedEvent]) {
    for line in event_lines(tx, events) {
        println!("{line}");
    }
}

/// The lines of [`print_events`] (a printed case file too).
pub(super) fn event_lines(tx: &Texts, events: &[OpenedEvent]) -> Vec<String> {
    if events.is_empty() {
        return vec![t!(tx => "events-none")];
    }
    let mut out = Vec::new();
    for opened in events {
        let e = &opened.event;
        let what = match e.action_kind {
            Some(k) => t!(tx => "event-action", kind = action(tx, k)),
            None => t!(tx => "event-note"),
        };
        out.push(format!(
            "#{} {} {what} {}",
            e.id,
            e.on,
            t!(tx => "event-by", actor = term::line(&e.actor))
        ));
        if let Some(n) = &opened.note {
            for line in term::text(n).lines() {
                out.push(format!("    {line}"));
            }
        }
        if let Some(d) = e.note_destroyed_on {
            out.push(format!(
                "    {}",
                t!(tx => "event-note-destroyed", on = d.to_string())
            ));
        } else if let Some(d) = e.note_destroy_by {
            out.push(format!(
                "    {}",
                t!(tx => "event-note-irrelevant", by = d.to_string())
            ));
        }
    }
    out
}

/// The register fields of a case: label and value.
pub(super) fn file_rows(tx: &Texts, f: &CaseFile) -> Vec<(String, String)> {
    let mut rows = vec![
        (t!(tx => "field-case"), f.number.clone()),
        (t!(tx => "field-status"), status_with_code(tx, f.status)),
        (
            t!(tx => "field-category"),
            f.category.map_or_else(|| "-".to_owned(), category),
        ),
        (t!(tx => "field-received"), f.received_at.to_string()),
        (
            t!(tx => "field-acknowledged"),
            t!(
                tx => "value-done-due",
                done = date(f.acknowledged_at),
                due = f.acknowledgement_due.to_string()
            ),
        ),
        (
            t!(tx => "field-feedback"),
            t!(
                tx => "value-done-due",
                done = date(f.feedback_at),
                due = f.feedback_due.to_string()
            ),
        ),
        (t!(tx => "field-ended"), date(f.ended_at)),
        (
            t!(tx => "field-outcome"),
            f.outcome.map_or_else(|| "-".to_owned(), |o| outcome(tx, o)),
        ),
    ];
    match f.end_reason {
        Some(EndReason::Rejected(r)) => {
            rows.push((t!(tx => "field-rejected-because"), r.to_string()))
        }
        Some(EndReason::Transferred(r)) => {
            rows.push((t!(tx => "field-transferred-to"), r.to_string()))
        }
        None => {}
    }
    rows.push((t!(tx => "field-keep-until"), date(f.retention_until)));
    if let Some(p) = f.proceedings_ended_on {
        rows.push((
            t!(tx => "field-proceedings-ended"),
            t!(tx => "value-proceedings-ended", on = p.to_string()),
        ));
    }
    if f.identity_disclosed {
        rows.push((
            t!(tx => "field-identity"),
            t!(tx => "value-identity-disclosed"),
        ));
    }
    rows
}

/// A subject of the breach: its code (the closed list of art. 3, typed in commands).
fn category(c: Category) -> String {
    c.as_str().to_owned()
}

fn outcome(tx: &Texts, o: Outcome) -> String {
    match o {
        Outcome::Substantiated => t!(tx => "outcome-substantiated"),
        Outcome::PartlySubstantiated => t!(tx => "outcome-partly-substantiated"),
        Outcome::Unsubstantiated => t!(tx => "outcome-unsubstantiated"),
        Outcome::NotInvestigable => t!(tx => "outcome-not-investigable"),
    }
}
