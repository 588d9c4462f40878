//! How an opened case looks on a terminal and as JSON. Report text is the reporter's: every
//! string goes through [`term::text`] before it is printed.

use crate::split::SignatureLabel;
use serde::Serialize;

use super::term;
use crate::desk::{OpenedCase, OpenedFollowUp};
use crate::i18n::Texts;
use crate::split::{Report, ReportAttachment, ReportPart};

/// An attachment as shown: everything but the bytes (`--save-attachments` writes those).
#[derive(Serialize)]
struct AttachmentJson<'a> {
    name: &'a Option<String>,
    content_type: &'a str,
    size: u64,
    sha256: &'a str,
    cleaned: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_cleaned_reason: &'a Option<String>,
    metadata_removed: &'a [String],
    /// Found irrelevant: destroyed by this day.
    #[serde(skip_serializing_if = "Option::is_none")]
    destroy_by: Option<chrono::NaiveDate>,
    /// Destroyed as irrelevant on this day: no bytes left.
    #[serde(skip_serializing_if = "Option::is_none")]
    destroyed_on: Option<chrono::NaiveDate>,
}

/// A part that arrived outside the encryption, as shown (its text, not its bytes).
#[derive(Serialize)]
struct PartJson<'a> {
    content_type: &'a str,
    name: &'a Option<String>,
    size: u64,
    sha256: &'a str,
    text: &'a Option<String>,
}

/// The report without attachment bytes.
#[derive(Serialize)]
struct ReportJson<'a> {
    subject: &'a Option<String>,
    body: &'a Option<String>,
    html: &'a Option<String>,
    attachments: Vec<AttachmentJson<'a>>,
    encrypted: bool,
    signature: SignatureLabel,
    subject_outside_encryption: bool,
    decryption_flags: &'a [String],
    unencrypted_parts: Vec<PartJson<'a>>,
    legacy_display_removed: bool,
    received_at: &'a str,
}

/// `cases show --json`: the report with the case number and status.
#[derive(Serialize)]
struct CaseJson<'a> {
    number: &'a str,
    status: &'a str,
    #[serde(flatten)]
    report: ReportJson<'a>,
    follow_ups: Vec<FollowUpJson<'a>>,
    /// Register fields and deadlines.
    register: &'a crate::desk::CaseFile,
    /// Notes and actions, the notes opened.
    events: &'a [crate::desk::OpenedEvent],
}

/// A reporter's answer filed into the case; its attachments numbered as the case's.
#[derive(Serialize)]
struct FollowUpJson<'a> {
    message: i64,
    received_at: chrono::NaiveDate,
    encrypted: bool,
    signature: SignatureLabel,
    first_attachment: u32,
    subject: &'a Option<String>,
    body: &'a Option<String>,
    html: &'a Option<String>,
    attachments: Vec<AttachmentJson<'a>>,
    unencrypted_parts: Vec<PartJson<'a>>,
}

fn follow_up_json(f: &OpenedFollowUp) -> FollowUpJson<'_> {
    FollowUpJson {
        message: f.message,
        received_at: f.received_at,
        encrypted: f.encrypted,
        signature: f.signature,
        first_attachment: f.first_attachment,
        subject: &f.report.subject,
        body: &f.report.body,
        html: &f.report.html,
        attachments: f.report.attachments.iter().map(attachment_json).collect(),
        unencrypted_parts: f.report.unencrypted_parts.iter().map(part_json).collect(),
    }
}

/// The reporter's answers (`cases show`, `cases export`).
pub(super) fn follow_ups_json(f: &[OpenedFollowUp]) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::to_value(
        f.iter().map(follow_up_json).collect::<Vec<_>>(),
    )?)
}

fn attachment_json(a: &ReportAttachment) -> AttachmentJson<'_> {
    AttachmentJson {
        name: &a.name,
        content_type: &a.content_type,
        size: a.size,
        sha256: &a.sha256,
        cleaned: a.cleaned,
        not_cleaned_reason: &a.not_cleaned_reason,
        metadata_removed: &a.metadata_removed,
        destroy_by: a.destroy_by,
        destroyed_on: a.destroyed_on,
    }
}

fn part_json(p: &ReportPart) -> PartJson<'_> {
    PartJson {
        content_type: &p.content_type,
        name: &p.name,
        size: p.size,
        sha256: &p.sha256,
        text: &p.text,
    }
}

/// The report as JSON for a handler (keys sorted, as `serde_json` prints a map).
pub(super) fn case_json(c: &OpenedCase) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::to_value(CaseJson {
        number: &c.number,
        status: &c.status,
        report: report_json(&c.report),
        follow_ups: c.follow_ups.iter().map(follow_up_json).collect(),
        register: &c.file,
        events: &c.events,
    })?)
}

/// The report without attachment bytes, for `report.json` of an export.
pub(super) fn report_file_json(r: &Report) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::to_value(report_json(r))?)
}

fn report_json(r: &Report) -> ReportJson<'_> {
    ReportJson {
        subject: &r.subject,
        body: &r.body,
        html: &r.html,
        attachments: r.attachments.iter().map(attachment_json).collect(),
        encrypted: r.encrypted,
        signature: r.signature(),
        subject_outside_encryption: r.subject_outside_encryption,
        decryption_flags: &r.decryption_flags,
        unencrypted_parts: r.unencrypted_parts.iter().map(part_json).collect(),
        legacy_display_removed: r.legacy_display_removed,
        received_at: &r.received_at,
    }
}

/// What cleaning did to an attachment: the names of the fields removed, or why it was not
/// cleaned (values are in the sealed identity record only).
fn cleaning(tx: &Texts, a: &ReportAttachment) -> String {
    if !a.cleaned {
        let why = a
            .not_cleaned_reason
            .as_deref()
            .map_or_else(|| t!(tx => "attachment-unknown-reason"), term::line);
        t!(tx => "attachment-not-cleaned", why = why)
    } else if !a.metadata_removed.is_empty() {
        t!(
            tx => "attachment-metadata-removed",
            fields = term::line(&a.metadata_removed.join(", "))
        )
    } else {
        t!(tx => "attachment-no-metadata")
    }
}

/// Whether and how the reporter can be written to (`cases reply`).
fn reply_line(contact: Option<&crate::desk::ContactState>) -> String {
    match contact {
        None => t!("reply-off"),
        Some(c) if c.state == "open" && c.encrypted => t!("reply-open-encrypted"),
        Some(c) if c.state == "open" => t!("reply-open-plain"),
        Some(c) if c.state == "ended" => t!("reply-ended", why = term::line(&c.reason)),
        Some(c) => t!(
            "reply-none",
            why = crate::contact::NoContact::parse(&c.reason).map_or_else(
                || term::line(&c.reason),
                |n| super::texts().text(n.message_id(), None)
            )
        ),
    }
}

/// `cases show`: the case's register fields and deadlines, the report, the reporter's answers,
/// then the notes and actions.
pub(super) fn print_case(c: &OpenedCase) {
    let r = &c.report;
    let s = |v: &Option<String>| term::text(v.as_deref().unwrap_or(""));
    let f = &c.file;
    let mut rows = vec![
        (t!("field-case"), c.number.clone()),
        (t!("field-received"), term::line(&r.received_at)),
        (
            t!("field-status"),
            super::case_text::status_text(super::texts(), &c.status),
        ),
    ];
    for d in crate::desk::open_deadlines(f) {
        rows.push((
            t!(
                "field-due",
                deadline = super::case_text::deadline(super::texts(), d.kind)
            ),
            super::case_text::when(super::texts(), d.due, d.days_left),
        ));
    }
    rows.push((t!("field-reply"), reply_line(c.contact.as_ref())));
    rows.push((
        t!("field-arrived"),
        super::case_text::arrived(super::texts(), r.encrypted, r.signature()),
    ));
    if !r.decryption_flags.is_empty() {
        rows.push((
            t!("field-opened"),
            t!(
                "value-weak-decryption",
                flags = term::line(&r.decryption_flags.join(", "))
            ),
        ));
    }
    let subject = if r.subject_outside_encryption {
        t!("value-subject-unencrypted", subject = s(&r.subject))
    } else {
        s(&r.subject)
    };
    rows.push((t!("field-subject"), subject));
    super::case_text::print_rows(&rows);
    println!();
    println!("{}", s(&r.body));
    print_attachments_and_parts(r, 1);
    for f in &c.follow_ups {
        println!();
        println!(
            "--- {}",
            t!(
                "follow-up-heading",
                message = f.message,
                received = f.received_at.to_string(),
                arrived = super::case_text::arrived(super::texts(), f.encrypted, f.signature)
            )
        );
        super::case_text::print_rows(&[(t!("field-subject"), s(&f.report.subject))]);
        println!();
        println!("{}", s(&f.report.body));
        print_attachments_and_parts(&f.report, f.first_attachment);
    }
    println!();
    println!("--- {}", t!("events-heading"));
    super::case_text::print_events(super::texts(), &c.events);
}

/// A message's attachments (numbered as the case's, from `first`) and the parts that arrived
/// outside its encryption.
fn print_attachments_and_parts(r: &Report, first: u32) {
    for line in attachment_lines(super::texts(), r, first) {
        println!("{line}");
    }
}

/// The lines of [`print_attachments_and_parts`], in `tx`'s language (a printed case file too).
pub(super) fn attachment_lines(tx: &Texts, r: &Report, first: u32) -> Vec<String> {
    let mut out = Vec::new();
    if !r.attachments.is_empty() {
        out.push(String::new());
        out.push(t!(tx => "attachments-heading"));
        for (i, a) in r.attachments.iter().enumerate() {
            out.push(format!(
                "  {}. {} ({}, {}, sha256 {})",
                u32::try_from(i).unwrap_or(u32::MAX).saturating_add(first),
                a.name
                    .as_deref()
                    .map_or_else(|| t!(tx => "attachment-no-name"), term::line),
                term::line(&a.content_type),
                t!(tx => "size-bytes", bytes = a.size),
                a.sha256,
            ));
            if let Some(d) = a.destroyed_on {
                out.push(format!(
                    "     {}",
                    t!(tx => "attachment-destroyed", on = d.to_string())
                ));
                continue;
            }
            if let Some(d) = a.destroy_by {
                out.push(format!(
                    "     {}",
                    t!(tx => "attachment-irrelevant", by = d.to_string())
                ));
            }
            out.push(format!("     {}", cleaning(tx, a)));
        }
    }
    if !r.unencrypted_parts.is_empty() {
        out.push(String::new());
        out.push(t!(tx => "unencrypted-parts-heading"));
        for (i, p) in r.unencrypted_parts.iter().enumerate() {
            out.push(format!(
                "  {}. {} ({})",
                i + 1,
                term::line(&p.content_type),
                t!(tx => "size-bytes", bytes = p.size)
            ));
            if let Some(text) = &p.text {
                for line in term::text(text).lines() {
                    out.push(format!("     | {line}"));
                }
            }
        }
    }
    out
}
