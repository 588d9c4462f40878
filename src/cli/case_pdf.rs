//! A case printed for the paper file the procedure still keeps (akta sprawy): the register
//! fields and deadlines, the report and the reporter's later messages with their attachments
//! listed, the notes and actions, a signature line. Never the identity. Polish by default.

use super::pdf::{self, Flow};
use super::{case_text, report_view, term};
use crate::desk::{open_deadlines, CaseExport};
use crate::i18n::{Lang, Texts};
use crate::split::Report;

/// Renders the case file; the error says what failed.
pub(super) fn render(export: &CaseExport, lang: Lang) -> Result<Vec<u8>, String> {
    let tx = Texts::new(lang);
    let number = export.file.number.as_str();
    let title = t!(tx => "pdf-case-title", number = number);
    pdf::render(
        &flow(&tx, export, &title),
        &title,
        lang,
        |page, pages| t!(tx => "pdf-page", number = number, page = page, pages = pages),
    )
}

fn flow(tx: &Texts, export: &CaseExport, title: &str) -> Flow {
    let mut f = Flow::default();
    f.title(title);
    f.line(&t!(tx => "pdf-made-on", on = export.made_on.to_string()));

    f.heading(&t!(tx => "pdf-register-heading"));
    let mut rows = case_text::file_rows(tx, &export.file);
    for d in open_deadlines(&export.file) {
        rows.push((
            t!(tx => "field-due", deadline = case_text::deadline(tx, d.kind)),
            case_text::when(tx, d.due, d.days_left),
        ));
    }
    aligned(&mut f, &rows);

    f.heading(&t!(tx => "pdf-report-heading"));
    let r = &export.report;
    aligned(
        &mut f,
        &[
            (t!(tx => "field-received"), term::line(&r.received_at)),
            (
                t!(tx => "field-arrived"),
                case_text::arrived(tx, r.encrypted, r.signature()),
            ),
        ],
    );
    message(&mut f, tx, r, 1);

    f.heading(&t!(tx => "pdf-follow-ups-heading"));
    if export.follow_ups.is_empty() {
        f.line(&format!("  {}", t!(tx => "pdf-follow-ups-none")));
    }
    for m in &export.follow_ups {
        f.gap();
        f.line(&format!(
            "--- {}",
            t!(
                tx => "follow-up-heading",
                message = m.message,
                received = m.received_at.to_string(),
                arrived = case_text::arrived(tx, m.encrypted, m.signature)
            )
        ));
        message(&mut f, tx, &m.report, m.first_attachment);
    }

    f.heading(&t!(tx => "pdf-events-heading"));
    for line in case_text::event_lines(tx, &export.events) {
        f.text(&line, 0);
    }

    f.heading(&t!(tx => "pdf-signature-heading"));
    f.gap();
    f.line(&t!(tx => "pdf-signature"));
    f.gap();
    f.line(&t!(tx => "pdf-no-identity"));
    f
}

/// A message: its subject, its text as written, its attachments and unencrypted parts.
fn message(f: &mut Flow, tx: &Texts, r: &Report, first_attachment: u32) {
    let subject = term::line(r.subject.as_deref().unwrap_or(""));
    let subject = if r.subject_outside_encryption {
        t!(tx => "value-subject-unencrypted", subject = subject)
    } else {
        subject
    };
    aligned(f, &[(t!(tx => "field-subject"), subject)]);
    f.gap();
    f.text(&term::text(r.body.as_deref().unwrap_or("")), 0);
    for line in report_view::attachment_lines(tx, r, first_attachment) {
        f.text(&line, 0);
    }
}

/// Labels and values, the labels padded to one width.
fn aligned(f: &mut Flow, rows: &[(String, String)]) {
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (label, value) in rows {
        f.line(&format!("{label:<width$}  {value}"));
    }
}
