//! `sygnal cases status|note|action|close|set-category|history|due|export`: the handlers'
//! work on a case. Every command that changes or reads content proves itself with `--key` (the
//! key must open the case's report); notes are sealed like the report (invariant 2).

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::cases::{
    actor, save_attachments, strip_attachment_data, unseal_error, MAX_RECORD_BYTES,
};
use super::{coded, exit, print_json, reader_key};
use crate::cases::{compliance, ActionKind, CaseDates, Category, DeadlineKind, Outcome, Status};
use crate::keystore::KeyStore;
use crate::register::{
    AuditEntry, CaseFile, CaseRecord, EventKind, NewEvent, Register, StatusChange,
};
use crate::vault::{self, BlobKind, ShredKey};

/// Largest note accepted (text typed or pasted by a handler).
pub const MAX_NOTE_BYTES: usize = 1024 * 1024;

/// A handler who proved they can open the case.
pub(super) struct Proven {
    pub record: CaseRecord,
    pub key: reader_key::ReaderKey,
    pub shred: ShredKey,
    pub actor: String,
    /// The opened report (for commands that show it).
    pub report: Zeroizing<Vec<u8>>,
}

/// Loads the case and opens its report with `key_path`: only a key the case was sealed to
/// passes. The actor is that key's fingerprint and holder's name.
pub(super) async fn prove(
    register: &Register,
    keys: &KeyStore,
    number: &str,
    key_path: &Path,
) -> anyhow::Result<Proven> {
    let record = register
        .case(number)
        .await?
        .ok_or_else(|| coded(exit::NOT_FOUND, format!("no case {number}")))?;
    let key = reader_key::load(key_path)?;
    let shred = keys.shred_key(&record.shred_key)?;
    let report = vault::open(
        &record.report,
        &shred,
        BlobKind::Report,
        &key.cert,
        key.passphrase.as_ref(),
        MAX_RECORD_BYTES,
    )
    .map_err(|e| unseal_error(e, number, "a handler"))?;
    let actor = actor(register, &key.fingerprint).await?;
    Ok(Proven {
        record,
        key,
        shred,
        actor,
        report,
    })
}

/// Parses a status name.
pub(super) fn parse_status(s: &str) -> anyhow::Result<Status> {
    Status::parse(s).ok_or_else(|| {
        coded(
            exit::USAGE,
            format!("unknown status {s:?}; one of: {}", Status::choices()),
        )
    })
}

fn parse_or_usage<T>(
    s: &str,
    parse: fn(&str) -> Option<T>,
    what: &str,
    choices: String,
) -> anyhow::Result<T> {
    parse(s).ok_or_else(|| {
        coded(
            exit::USAGE,
            format!("unknown {what} {s:?}; one of: {choices}"),
        )
    })
}

fn print_file(f: &CaseFile, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(f);
    }
    let d = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "-".to_owned());
    println!("Case:              {}", f.number);
    println!("Status:            {}", f.status);
    println!(
        "Category:          {}",
        f.category.map(Category::as_str).unwrap_or("-")
    );
    println!("Received:          {}", f.received_at);
    println!(
        "Acknowledged:      {} (due {})",
        d(f.acknowledged_at),
        f.acknowledgement_due
    );
    println!(
        "Feedback given:    {} (due {})",
        d(f.feedback_at),
        f.feedback_due
    );
    println!("Ended:             {}", d(f.ended_at));
    println!(
        "Outcome:           {}",
        f.outcome.map(Outcome::as_str).unwrap_or("-")
    );
    println!("Keep until:        {}", d(f.retention_until));
    if f.identity_disclosed {
        println!("Identity:          DISCLOSED to a third party (see `sygnal identity log`)");
    }
    Ok(())
}

/// `cases status` / `cases close`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn change_status(
    register: &Register,
    keys: &KeyStore,
    number: &str,
    key: &Path,
    to: Status,
    on: Option<NaiveDate>,
    outcome: Option<Outcome>,
    json: bool,
) -> anyhow::Result<()> {
    if to == Status::Closed && outcome.is_none() {
        return Err(coded(
            exit::USAGE,
            format!(
                "closing a case needs an outcome: `sygnal cases close {number} --outcome OUTCOME` ({})",
                Outcome::choices()
            ),
        ));
    }
    let proven = prove(register, keys, number, key).await?;
    let change = StatusChange {
        to,
        on: on.unwrap_or_else(crate::register::today),
        outcome,
        actor: proven.actor,
    };
    check_on(proven.record.summary.received_at, change.on)?;
    let file = register
        .change_status(number, &change)
        .await?
        .map_err(|e| coded(exit::USAGE, e.to_string()))?;
    print_file(&file, json)
}

/// `cases set-category`.
pub(super) async fn set_category(
    register: &Register,
    keys: &KeyStore,
    number: &str,
    key: &Path,
    category: &str,
    json: bool,
) -> anyhow::Result<()> {
    let category = parse_or_usage(category, Category::parse, "category", Category::choices())?;
    let proven = prove(register, keys, number, key).await?;
    register
        .set_category(number, category, &proven.actor)
        .await?;
    let file = register
        .case_file(number)
        .await?
        .ok_or_else(|| coded(exit::NOT_FOUND, format!("no case {number}")))?;
    print_file(&file, json)
}

/// Reads a note from `file` or stdin, bounded, into zeroizing memory.
fn read_note(file: Option<&Path>) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::new());
    let limit = (MAX_NOTE_BYTES as u64) + 1;
    match file {
        Some(p) => std::fs::File::open(p)
            .with_context(|| format!("cannot read {}", p.display()))?
            .take(limit)
            .read_to_end(&mut buf)?,
        None => std::io::stdin().lock().take(limit).read_to_end(&mut buf)?,
    };
    if buf.len() > MAX_NOTE_BYTES {
        return Err(coded(
            exit::USAGE,
            format!("the note is larger than {MAX_NOTE_BYTES} bytes; attach documents to the case file instead"),
        ));
    }
    if std::str::from_utf8(&buf).is_err() {
        return Err(coded(exit::USAGE, "the note is not UTF-8 text"));
    }
    Ok(buf)
}

/// Seals a note to every active reader (handlers and custodians), under the case's shred key.
async fn seal_note(
    register: &Register,
    text: &[u8],
    shred: &ShredKey,
) -> anyhow::Result<vault::StoredBlob> {
    let mut certs = Vec::new();
    for r in register.readers().await? {
        let cert = crate::openpgp::parse_cert(&r.cert)
            .with_context(|| format!("stored certificate {} is unreadable", r.fingerprint))?;
        if crate::openpgp::check_recipient(&cert).is_ok() {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return Err(anyhow::Error::new(vault::VaultError::NoReaders("handlers")));
    }
    Ok(vault::seal(text, &certs, shred, BlobKind::Note)?)
}

#[derive(Serialize)]
struct Recorded<'a> {
    number: &'a str,
    id: i64,
    kind: &'static str,
    action_kind: Option<ActionKind>,
    on: NaiveDate,
    sealed_note: bool,
}

/// `cases note` / `cases action`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn add_event(
    register: &Register,
    keys: &KeyStore,
    number: &str,
    key: &Path,
    kind: Option<&str>,
    on: Option<NaiveDate>,
    file: Option<&Path>,
    json: bool,
) -> anyhow::Result<()> {
    let kind = match kind {
        None => EventKind::Note,
        Some(k) => EventKind::Action(parse_or_usage(
            k,
            ActionKind::parse,
            "action kind",
            ActionKind::choices(),
        )?),
    };
    let proven = prove(register, keys, number, key).await?;
    // A note is required; an action's note is optional (read only when --file is given).
    let text = match (kind, file) {
        (EventKind::Note, f) => Some(read_note(f)?),
        (EventKind::Action(_), Some(f)) => Some(read_note(Some(f))?),
        (EventKind::Action(_), None) => None,
    };
    if matches!(kind, EventKind::Note)
        && text
            .as_ref()
            .is_some_and(|t| t.iter().all(u8::is_ascii_whitespace))
    {
        return Err(coded(exit::USAGE, "the note is empty"));
    }
    let note = match &text {
        Some(t) => Some(seal_note(register, t, &proven.shred).await?),
        None => None,
    };
    let on = on.unwrap_or_else(crate::register::today);
    check_on(proven.record.summary.received_at, on)?;
    let id = register
        .add_event(
            number,
            &NewEvent {
                kind,
                on,
                actor: proven.actor,
                note,
            },
        )
        .await?;
    let out = Recorded {
        number,
        id,
        kind: if matches!(kind, EventKind::Note) {
            "note"
        } else {
            "action"
        },
        action_kind: match kind {
            EventKind::Action(k) => Some(k),
            EventKind::Note => None,
        },
        on,
        sealed_note: text.is_some(),
    };
    if json {
        return print_json(&out);
    }
    println!(
        "recorded {} #{} on case {number}{}",
        out.kind,
        id,
        if out.sealed_note {
            " (note sealed)"
        } else {
            ""
        }
    );
    Ok(())
}

#[derive(Serialize)]
struct OpenedEvent {
    id: i64,
    kind: &'static str,
    action_kind: Option<ActionKind>,
    on: NaiveDate,
    actor: String,
    recorded_at: String,
    #[serde(serialize_with = "serialize_secret")]
    note: Option<Zeroizing<String>>,
}

/// Opened note text as a zeroizing string (invalid UTF-8 replaced; notes are written as UTF-8).
pub(super) fn note_text(plain: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(String::from_utf8_lossy(plain).into_owned())
}

/// Serialises an opened note without copying it into a non-zeroizing string first.
pub(super) fn serialize_secret<S: serde::Serializer>(
    v: &Option<Zeroizing<String>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(t) => s.serialize_some(t.as_str()),
        None => s.serialize_none(),
    }
}

/// Opens the notes of a case with a proven handler's key.
async fn open_events(
    register: &Register,
    number: &str,
    proven: &Proven,
) -> anyhow::Result<Vec<OpenedEvent>> {
    let mut out = Vec::new();
    for e in register.events(number).await? {
        let note = match &e.note {
            Some(blob) => {
                let plain = vault::open(
                    blob,
                    &proven.shred,
                    BlobKind::Note,
                    &proven.key.cert,
                    proven.key.passphrase.as_ref(),
                    MAX_NOTE_BYTES,
                )
                .map_err(|err| unseal_error(err, number, "a reader of the notes"))?;
                Some(note_text(&plain))
            }
            None => None,
        };
        out.push(OpenedEvent {
            id: e.id,
            kind: e.kind,
            action_kind: e.action_kind,
            on: e.on,
            actor: e.actor,
            recorded_at: e.recorded_at,
            note,
        });
    }
    Ok(out)
}

/// `cases history`: register fields, actions and opened notes (audited).
pub(super) async fn history(
    register: &Register,
    keys: &KeyStore,
    number: &str,
    key: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let proven = prove(register, keys, number, key).await?;
    let events = open_events(register, number, &proven).await?;
    register
        .audit(&AuditEntry {
            actor: proven.actor.clone(),
            action: "NotesOpened",
            case_number: Some(number.to_owned()),
            detail: format!("{} event(s)", events.len()),
        })
        .await?;
    let file = register
        .case_file(number)
        .await?
        .ok_or_else(|| coded(exit::NOT_FOUND, format!("no case {number}")))?;
    if json {
        return print_json(&serde_json::json!({ "case": file, "events": events }));
    }
    print_file(&file, false)?;
    println!();
    if events.is_empty() {
        println!("no notes or actions");
    }
    for e in &events {
        println!(
            "#{} {} {}{} by {}",
            e.id,
            e.on,
            e.kind,
            e.action_kind.map(|k| format!(" ({k})")).unwrap_or_default(),
            e.actor
        );
        if let Some(n) = &e.note {
            for line in n.lines() {
                println!("    {line}");
            }
        }
    }
    Ok(())
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
}

pub(super) fn case_dates(f: &CaseFile) -> CaseDates {
    CaseDates {
        status: f.status,
        acknowledgement_due: f.acknowledgement_due,
        feedback_due: f.feedback_due,
        acknowledged_at: f.acknowledged_at,
        feedback_at: f.feedback_at,
    }
}

/// `cases due`: open deadlines, soonest first. No key needed: no content.
pub(super) async fn due(
    register: &Register,
    within: Option<i64>,
    json: bool,
) -> anyhow::Result<()> {
    let today = crate::register::today();
    let mut items: Vec<DueItem> = register
        .case_files()
        .await?
        .into_iter()
        .filter_map(|f| {
            let (deadline, due) = compliance::next_due(&case_dates(&f))?;
            let days_left = (due - today).num_days();
            Some(DueItem {
                number: f.number,
                status: f.status,
                deadline,
                due,
                days_left,
                overdue: days_left < 0,
            })
        })
        .filter(|i| within.is_none_or(|w| i.days_left <= w))
        .collect();
    items.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.number.cmp(&b.number)));
    if json {
        return print_json(&items);
    }
    if items.is_empty() {
        println!("nothing due");
    }
    for i in &items {
        println!(
            "{:<16} {:<15} {:<16} {} {}",
            i.number,
            i.deadline.as_str(),
            i.status.as_str(),
            i.due,
            if i.overdue {
                format!("OVERDUE by {} day(s)", -i.days_left)
            } else {
                format!("in {} day(s)", i.days_left)
            }
        );
    }
    Ok(())
}

/// `cases export`: a complete case file for a handler (report, attachments, notes, actions),
/// never the identity.
pub(super) async fn export(
    register: &Register,
    keys: &KeyStore,
    number: &str,
    key: &Path,
    out: &Path,
) -> anyhow::Result<()> {
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(coded(
            exit::USAGE,
            format!("{} is not empty; give a new folder", out.display()),
        ));
    }
    let proven = prove(register, keys, number, key).await?;
    let events = open_events(register, number, &proven).await?;
    let file = register
        .case_file(number)
        .await?
        .ok_or_else(|| coded(exit::NOT_FOUND, format!("no case {number}")))?;
    // Recorded before anything is written.
    register
        .audit(&AuditEntry {
            actor: proven.actor.clone(),
            action: "CaseExported",
            case_number: Some(number.to_owned()),
            detail: format!("{} event(s); identity not included", events.len()),
        })
        .await?;
    let mut report: Value =
        serde_json::from_slice(&proven.report).context("the opened report is not valid JSON")?;
    save_attachments(&report, &out.join("attachments"))?;
    strip_attachment_data(&mut report);
    let write = |name: &str, v: &dyn erased::Json| -> anyhow::Result<()> {
        let text = Zeroizing::new(v.to_pretty()?);
        super::cases::write_private(&out.join(name), text.as_bytes())
            .with_context(|| format!("cannot write {name} into {}", out.display()))
    };
    write("case.json", &file)?;
    write("report.json", &report)?;
    write("events.json", &events)?;
    eprintln!(
        "case {number} exported to {} (identity not included)",
        out.display()
    );
    Ok(())
}

mod erased {
    /// Serialises behind a trait object (the three files have different types).
    pub trait Json {
        fn to_pretty(&self) -> serde_json::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_pretty(&self) -> serde_json::Result<String> {
            serde_json::to_string_pretty(self)
        }
    }
}

fn check_on(received: NaiveDate, on: NaiveDate) -> anyhow::Result<()> {
    crate::cases::check_event_date(received, on, crate::register::today())
        .map_err(|e| coded(exit::USAGE, format!("--on: {e}")))
}

/// Parses `--on` dates.
pub(super) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    s.parse::<NaiveDate>()
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// The status named in `cases status` (closing goes through `cases close`, which needs an outcome).
pub(super) fn status_for_command(s: &str) -> anyhow::Result<Status> {
    let st = parse_status(s)?;
    if st == Status::Closed {
        return Err(coded(
            exit::USAGE,
            "use `sygnal cases close NUMBER --outcome OUTCOME` to close a case",
        ));
    }
    Ok(st)
}

/// Parses `--outcome`.
pub(super) fn parse_outcome(s: &str) -> anyhow::Result<Outcome> {
    parse_or_usage(s, Outcome::parse, "outcome", Outcome::choices())
}

/// `cases ack-text`: the acknowledgement for the reporter (number and dates only; no key).
pub(super) async fn ack_text(register: &Register, number: &str, lang: &str) -> anyhow::Result<()> {
    let lang = crate::cases::acknowledgement::Lang::parse(lang)
        .ok_or_else(|| coded(exit::USAGE, "--lang must be pl or en"))?;
    let f = register
        .case_file(number)
        .await?
        .ok_or_else(|| coded(exit::NOT_FOUND, format!("no case {number}")))?;
    // The feedback deadline if acknowledged today (or on the recorded date).
    let ack_on = f.acknowledged_at.unwrap_or_else(crate::register::today);
    let due = crate::cases::Deadlines::compute(f.received_at, Some(ack_on), None).feedback_due;
    print!(
        "{}",
        crate::cases::acknowledgement::acknowledgement(lang, number, f.received_at, due)
    );
    Ok(())
}
