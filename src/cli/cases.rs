//! `sygnal cases`: the handlers' commands. Parses, calls one use case of [`crate::desk`],
//! renders; the rules (who may open a case, what closing needs, what is recorded) are the
//! desk's.

use crate::desk::Installation;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Subcommand;
use zeroize::Zeroizing;

use anyhow::Context;

use super::{
    case_files, case_pdf, case_text, coded, exit, print_json, reader_key, report_view, term,
    with_desk,
};
use crate::cases::acknowledgement::Lang;
use crate::cases::{ActionKind, Category, EndReason, Outcome, Recipient, RejectionReason, Status};
use crate::desk::{CaseFile, CaseFilter, CaseListing, DeskError, DueItem, Ending, EventKind};
use crate::desk::{NewNote, MAX_NOTE_BYTES};

#[derive(Subcommand, Debug)]
pub enum CasesCommand {
    /// List cases: number, date received, status, next deadline, how it arrived. Never
    /// content; no key needed.
    List {
        /// Only cases in this status (received, acknowledged, in-follow-up, ...).
        #[arg(long)]
        status: Option<String>,
        /// Only cases with a deadline due within this many days (overdue ones included).
        #[arg(long)]
        due_within: Option<i64>,
        /// Only cases of this subject (a category of art. 3).
        #[arg(long)]
        category: Option<String>,
        /// Only cases received in this year.
        #[arg(long)]
        year: Option<i32>,
        /// A handler's secret key: show each case's subject too (each case opened is recorded).
        #[arg(long)]
        key: Option<PathBuf>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Search the subjects and texts of every case your key opens, the reporter's answers
    /// included (each case searched is recorded as opened).
    Search {
        /// The text to look for (at least 3 characters; case does not matter).
        text: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Open a case with a handler's secret key (recorded in the audit trail).
    Show {
        /// Case number, e.g. ZW/2026/0001.
        number: String,
        /// The handler's secret key file (passphrase from SYGNAL_PASSPHRASE or a prompt).
        #[arg(long)]
        key: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
        /// Write the attachments into this folder.
        #[arg(long)]
        save_attachments: Option<PathBuf>,
    },
    /// Change the status (received, acknowledged, in-follow-up, feedback-given, rejected,
    /// transferred); the date is the day it happened (default today).
    Status {
        /// Case number.
        number: String,
        /// New status.
        status: String,
        /// The handler's secret key file (must open the case).
        #[arg(long)]
        key: PathBuf,
        /// Date it happened (YYYY-MM-DD), e.g. the day the acknowledgement was sent.
        #[arg(long, value_parser = parse_date)]
        on: Option<chrono::NaiveDate>,
        /// For `rejected`: why (out-of-scope, no-new-information, insufficient-information,
        /// other; a note says more).
        #[arg(long)]
        reason: Option<String>,
        /// For `transferred`: to whom (ombudsman, public-authority, prosecutor, police,
        /// eu-body, other; a note names them).
        #[arg(long)]
        to: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Add a note (text from stdin or --file), sealed to the handlers.
    Note {
        /// Case number.
        number: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Read the note from this file instead of stdin.
        #[arg(long)]
        file: Option<PathBuf>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Record a follow-up action (dated, with its kind; a sealed note from --file).
    Action {
        /// Case number.
        number: String,
        /// Kind: investigation, interview, document-request, reporter-contact,
        /// external-review, corrective-action, referral, recovery, other.
        #[arg(long)]
        kind: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Date of the action (default today).
        #[arg(long, value_parser = parse_date)]
        on: Option<chrono::NaiveDate>,
        /// A note on the action, sealed.
        #[arg(long)]
        file: Option<PathBuf>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Close the case: follow-up ended with an outcome; the retention period starts.
    Close {
        /// Case number.
        number: String,
        /// substantiated, partly-substantiated, unsubstantiated, not-investigable.
        #[arg(long)]
        outcome: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Date follow-up ended (default today).
        #[arg(long, value_parser = parse_date)]
        on: Option<chrono::NaiveDate>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Keep a case past its retention date (court or other proceedings it started): scheduled
    /// destruction skips it until released. The reason is sealed as a note to the readers.
    Hold {
        /// Case number.
        number: String,
        /// Why it must be kept (sealed, never stored in the clear).
        #[arg(long)]
        reason: String,
        /// A handler's secret key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Release a legal hold: the case is destroyed on the next retention run if its date passed.
    Release {
        /// Case number.
        number: String,
        /// The day the proceedings the case started ended (YYYY-MM-DD): the case is then kept
        /// 3 years after the end of that year, if that is later than its follow-up's.
        #[arg(long, value_parser = parse_date)]
        proceedings_ended: Option<NaiveDate>,
        /// A handler's secret key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Record that an attachment or a note is irrelevant to the report: it is destroyed within
    /// 14 days (by the daily retention run at the latest; `cases redact` sooner). Shown in
    /// `cases due`.
    #[command(group(clap::ArgGroup::new("material").required(true).args(["attachment", "note"])))]
    MarkIrrelevant {
        /// Case number.
        number: String,
        /// The attachment's position in `cases show` (from 1).
        #[arg(long)]
        attachment: Option<u32>,
        /// The note's id in `cases history`.
        #[arg(long)]
        note: Option<i64>,
        /// Why it is irrelevant (sealed as a note, never stored in the clear).
        #[arg(long)]
        reason: String,
        /// A handler's secret key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Destroy an attachment or a note found irrelevant now; the rest of the case still opens.
    #[command(group(clap::ArgGroup::new("material").required(true).args(["attachment", "note"])))]
    Redact {
        /// Case number.
        number: String,
        /// The attachment's position (from 1).
        #[arg(long)]
        attachment: Option<u32>,
        /// The note's id in `cases history`.
        #[arg(long)]
        note: Option<i64>,
        /// A handler's secret key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Set the subject of the breach (a category of art. 3 of the act).
    SetCategory {
        /// Case number.
        number: String,
        /// Category, e.g. corruption, public-procurement, privacy, other.
        category: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Register fields, follow-up actions and the opened notes of a case (recorded).
    History {
        /// Case number.
        number: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Print the acknowledgement text for the reporter (Polish; --lang en for English). Send it
    /// yourself, then record the date with `cases status NUMBER acknowledged --on DATE`.
    AckText {
        /// Case number.
        number: String,
        /// pl (default) or en.
        #[arg(long, default_value = "pl")]
        lang: String,
    },
    /// Deadlines due or overdue, soonest first (no content; no key needed).
    Due {
        /// Only deadlines within this many days (overdue ones always shown).
        #[arg(long)]
        within: Option<i64>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Write to the reporter through the gateway (you never see their address): the text from
    /// --file or stdin, encrypted to their key when they gave one. Recorded as a
    /// reporter-contact action with the text sealed.
    Reply {
        /// Case number.
        number: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: std::path::PathBuf,
        /// Read the reply from this file instead of stdin.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// This is the statutory feedback (art. 27): dated when the server accepts it.
        #[arg(long)]
        feedback: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// End contact with the reporter (they asked not to be written to): their address, key
    /// and reply token are destroyed; what was not sent yet is dropped.
    EndContact {
        /// Case number.
        number: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: std::path::PathBuf,
        /// Why, in one line (stored as written: no names).
        #[arg(long)]
        reason: String,
    },
    /// Write a complete case file (report, attachments, notes, actions; never the identity):
    /// into a folder (JSON, attachments and a printable case.pdf), or as a PDF to print.
    #[command(group(clap::ArgGroup::new("into").required(true).multiple(true).args(["out", "pdf"])))]
    Export {
        /// Case number.
        number: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// New folder to write into (created 0700, files 0600).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the printable case file (PDF, A4) to this new file (0600).
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Language of the printed case file: pl (default) or en.
        #[arg(long, default_value = "pl", value_parser = parse_lang)]
        lang: Lang,
    },
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("{s:?}: the case file is printed in pl or en"))
}

/// Parses `--on` dates.
fn parse_date(s: &str) -> Result<NaiveDate, String> {
    s.parse::<NaiveDate>()
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// Parses a word of a closed list; `what` is the message naming the list.
fn parse_or_usage<T>(
    s: &str,
    parse: fn(&str) -> Option<T>,
    what: &str,
    choices: String,
) -> anyhow::Result<T> {
    parse(s).ok_or_else(|| {
        coded(
            exit::USAGE,
            t!(
                "cli-unknown-choice",
                what = super::texts().text(what, None),
                given = s,
                choices = choices
            ),
        )
    })
}

/// The status named in `cases status` (closing goes through `cases close`, which takes the
/// outcome).
fn status_for_command(s: &str) -> anyhow::Result<Status> {
    // Only what this command takes is offered: closing has its own.
    let offered = Status::ALL
        .iter()
        .filter(|s| **s != Status::Closed)
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let st = parse_or_usage(
        s,
        Status::parse,
        "word-status",
        t!("cli-status-choices", offered = offered),
    )?;
    if st == Status::Closed {
        return Err(coded(exit::USAGE, t!("cli-close-with-close")));
    }
    Ok(st)
}

/// `--reason` or `--to`, parsed; which status takes which is the desk's rule.
fn ending_for(reason: Option<&str>, recipient: Option<&str>) -> anyhow::Result<Ending> {
    Ok(match (reason, recipient) {
        (Some(_), Some(_)) => return Err(coded(exit::USAGE, t!("cli-reason-or-recipient"))),
        (Some(r), None) => Ending::Reason(EndReason::Rejected(parse_or_usage(
            r,
            RejectionReason::parse,
            "word-reason",
            RejectionReason::choices(),
        )?)),
        (None, Some(t)) => Ending::Reason(EndReason::Transferred(parse_or_usage(
            t,
            Recipient::parse,
            "word-recipient",
            Recipient::choices(),
        )?)),
        (None, None) => Ending::None,
    })
}

fn read_note(file: Option<&Path>) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    super::input::read_text(file, MAX_NOTE_BYTES)
}

pub async fn cases(config_path: &Installation, command: CasesCommand) -> anyhow::Result<()> {
    match command {
        CasesCommand::List {
            status,
            due_within,
            category,
            year,
            key,
            json,
        } => {
            let filter = CaseFilter {
                status: status
                    .map(|s| parse_or_usage(&s, Status::parse, "word-status", Status::choices()))
                    .transpose()?,
                due_within,
                category: category
                    .map(|c| {
                        parse_or_usage(&c, Category::parse, "word-category", Category::choices())
                    })
                    .transpose()?,
                year,
            };
            let key = key.as_deref().map(reader_key::load).transpose()?;
            let (cases, not_opened) = with_desk(config_path, async |d| match &key {
                Some(k) => d.case_list_with_subjects(&filter, k).await,
                None => Ok((d.case_list(&filter).await?, 0)),
            })
            .await?;
            if json {
                return print_json(&cases);
            }
            print_list(&cases, key.is_some());
            if not_opened > 0 {
                eprintln!("{}", t!("cases-not-opened", n = not_opened));
            }
            Ok(())
        }
        CasesCommand::Search { text, key, json } => {
            let key = reader_key::load(&key)?;
            let found = with_desk(config_path, async |d| d.search_cases(&text, &key).await).await?;
            if json {
                return print_json(&found);
            }
            print_search(&found);
            Ok(())
        }
        CasesCommand::Show {
            number,
            key,
            json,
            save_attachments,
        } => {
            let key = reader_key::load(&key)?;
            let opened = with_desk(config_path, async |d| d.open_case(&number, &key).await).await?;
            if let Some(dir) = save_attachments.as_deref() {
                case_files::save_attachments(&opened.report, dir)?;
                for f in &opened.follow_ups {
                    case_files::save_attachments(&f.report, dir)?;
                }
            }
            if json {
                return print_json(&report_view::case_json(&opened)?);
            }
            report_view::print_case(&opened);
            Ok(())
        }
        CasesCommand::Status {
            number,
            status,
            key,
            on,
            reason,
            to: recipient,
            json,
        } => {
            let to = status_for_command(&status)?;
            let ending = ending_for(reason.as_deref(), recipient.as_deref())?;
            let key = reader_key::load(&key)?;
            let file = with_desk(config_path, async |d| {
                d.change_status(&number, &key, to, on, ending).await
            })
            .await?;
            print_case_file(&file, json)
        }
        CasesCommand::Close {
            number,
            outcome,
            key,
            on,
            json,
        } => {
            let outcome =
                parse_or_usage(&outcome, Outcome::parse, "word-outcome", Outcome::choices())?;
            let key = reader_key::load(&key)?;
            let file = with_desk(config_path, async |d| {
                d.change_status(&number, &key, Status::Closed, on, Ending::Outcome(outcome))
                    .await
            })
            .await?;
            print_case_file(&file, json)
        }
        CasesCommand::Note {
            number,
            key,
            file,
            json,
        } => {
            let key = reader_key::load(&key)?;
            let text = read_note(file.as_deref())?;
            let new = NewNote {
                kind: EventKind::Note,
                on: None,
                text: Some(text),
            };
            record_event(config_path, &number, &key, new, json).await
        }
        CasesCommand::Action {
            number,
            kind,
            key,
            on,
            file,
            json,
        } => {
            let kind = parse_or_usage(
                &kind,
                ActionKind::parse,
                "word-action-kind",
                ActionKind::choices(),
            )?;
            let key = reader_key::load(&key)?;
            // An action's note is optional: read only when --file is given.
            let text = file.as_deref().map(|f| read_note(Some(f))).transpose()?;
            let new = NewNote {
                kind: EventKind::Action(kind),
                on,
                text,
            };
            record_event(config_path, &number, &key, new, json).await
        }
        CasesCommand::Hold {
            number,
            reason,
            key,
        } => {
            let key = reader_key::load(&key)?;
            let reason = Zeroizing::new(reason.into_bytes());
            with_desk(config_path, async |d| {
                d.hold_case(&number, &key, reason).await
            })
            .await?;
            println!("{number}: on legal hold; retention skips it until `cases release`");
            Ok(())
        }
        CasesCommand::Release {
            number,
            proceedings_ended,
            key,
        } => {
            let key = reader_key::load(&key)?;
            let kept = with_desk(config_path, async |d| {
                d.release_case(&number, &key, proceedings_ended).await
            })
            .await?;
            match kept {
                Some(k) => println!(
                    "{number}: hold released; kept until {k}, destroyed by the first retention run after"
                ),
                None => println!(
                    "{number}: hold released; kept until 3 years after the end of the year its follow-up ends"
                ),
            }
            Ok(())
        }
        CasesCommand::MarkIrrelevant {
            number,
            attachment,
            note,
            reason,
            key,
        } => {
            let key = reader_key::load(&key)?;
            let reason = Zeroizing::new(reason.into_bytes());
            let (by, what) = with_desk(config_path, async |d| match (attachment, note) {
                (Some(a), _) => Ok((
                    d.mark_irrelevant(&number, a, &key, reason).await?,
                    format!("attachment {a}"),
                )),
                (None, Some(n)) => Ok((
                    d.mark_note_irrelevant(&number, n, &key, reason).await?,
                    format!("note #{n}"),
                )),
                (None, None) => Err(DeskError::Invalid(
                    "say which: --attachment N or --note ID".to_owned(),
                )),
            })
            .await?;
            println!(
                "{number}: {what} found irrelevant; destroyed by {by} (`cases redact` does it now)"
            );
            Ok(())
        }
        CasesCommand::Redact {
            number,
            attachment,
            note,
            key,
        } => {
            let key = reader_key::load(&key)?;
            let d = with_desk(config_path, async |d| match (attachment, note) {
                (Some(a), _) => d.redact_attachment(&number, a, &key).await,
                (None, Some(n)) => d.redact_note(&number, n, &key).await,
                (None, None) => Err(DeskError::Invalid(
                    "say which: --attachment N or --note ID".to_owned(),
                )),
            })
            .await?;
            println!(
                "{number}: {} destroyed on {} (audit entry {}); the rest of the case still opens",
                d.item, d.destroyed_on, d.audit_id
            );
            Ok(())
        }
        CasesCommand::SetCategory {
            number,
            category,
            key,
            json,
        } => {
            let category = parse_or_usage(
                &category,
                Category::parse,
                "word-category",
                Category::choices(),
            )?;
            let key = reader_key::load(&key)?;
            let file = with_desk(config_path, async |d| {
                d.set_category(&number, &key, category).await
            })
            .await?;
            print_case_file(&file, json)
        }
        CasesCommand::History { number, key, json } => {
            let key = reader_key::load(&key)?;
            let history = with_desk(config_path, async |d| d.history(&number, &key).await).await?;
            if json {
                return print_json(
                    &serde_json::json!({ "case": history.file, "events": history.events }),
                );
            }
            case_text::print_file(super::texts(), &history.file);
            println!();
            case_text::print_events(super::texts(), &history.events);
            Ok(())
        }
        CasesCommand::AckText { number, lang } => {
            let lang =
                Lang::parse(&lang).ok_or_else(|| coded(exit::USAGE, "--lang must be pl or en"))?;
            let text = with_desk(config_path, async |d| {
                d.acknowledgement_text(&number, lang).await
            })
            .await?;
            print!("{text}");
            Ok(())
        }
        CasesCommand::Reply {
            number,
            key,
            file,
            feedback,
            json,
        } => {
            super::contact::reply(config_path, &number, &key, file.as_deref(), feedback, json).await
        }
        CasesCommand::EndContact {
            number,
            key,
            reason,
        } => super::contact::end_contact(config_path, &number, &key, &reason).await,
        CasesCommand::Due { within, json } => {
            let (items, unsent) = with_desk(config_path, async |d| {
                Ok((d.due(within).await?, d.unsent_messages().await?))
            })
            .await?;
            if json {
                return print_json(&items);
            }
            print_due(&items);
            super::contact::print_unsent(&unsent);
            Ok(())
        }
        CasesCommand::Export {
            number,
            key,
            out,
            pdf,
            lang,
        } => {
            if let Some(out) = &out {
                case_files::check_new_folder(out)?;
            }
            if let Some(pdf) = pdf.as_deref().filter(|p| p.exists()) {
                return Err(coded(
                    exit::USAGE,
                    t!("file-exists", path = pdf.display().to_string()),
                ));
            }
            let key = reader_key::load(&key)?;
            let export =
                with_desk(config_path, async |d| d.export_case(&number, &key).await).await?;
            let printed = case_pdf::render(&export, lang).map_err(anyhow::Error::msg)?;
            if let Some(out) = &out {
                case_files::write_export(&export, out)?;
                case_files::write_private(&out.join("case.pdf"), &printed)
                    .with_context(|| format!("cannot write case.pdf into {}", out.display()))?;
                eprintln!(
                    "{}",
                    t!(
                        "case-exported",
                        number = number.as_str(),
                        path = out.display().to_string()
                    )
                );
            }
            if let Some(pdf) = &pdf {
                case_files::write_private(pdf, &printed)
                    .with_context(|| format!("cannot write {}", pdf.display()))?;
                eprintln!(
                    "{}",
                    t!(
                        "case-pdf-written",
                        number = number.as_str(),
                        path = pdf.display().to_string()
                    )
                );
            }
            Ok(())
        }
    }
}

async fn record_event(
    config_path: &Installation,
    number: &str,
    key: &crate::desk::ReaderKey,
    new: NewNote,
    json: bool,
) -> anyhow::Result<()> {
    let out = with_desk(config_path, async |d| d.add_event(number, key, new).await).await?;
    if json {
        return print_json(&out);
    }
    let what = match out.action_kind {
        None => t!("recorded-note", id = out.id, number = number),
        Some(k) => t!(
            "recorded-action",
            id = out.id,
            number = number,
            kind = case_text::action(super::texts(), k)
        ),
    };
    println!("{what}");
    if out.sealed_note {
        println!("{}", t!("recorded-note-sealed"));
    }
    Ok(())
}

fn print_case_file(f: &CaseFile, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(f);
    }
    case_text::print_file(super::texts(), f);
    Ok(())
}

/// `cases list`: a header, then one case per line (with its subject last, when opened).
fn print_list(cases: &[CaseListing], subjects: bool) {
    if cases.is_empty() {
        println!("{}", t!("cases-none"));
        return;
    }
    let rows: Vec<[String; 5]> = cases
        .iter()
        .map(|c| {
            let mut row = list_row(c);
            if subjects {
                let [.., last] = &mut row;
                let subject = c.subject.as_deref().map(term::line).unwrap_or_default();
                *last = format!("{subject}  | {last}");
            }
            row
        })
        .collect();
    let header = [
        t!("col-case"),
        t!("col-received"),
        t!("col-status"),
        t!("col-deadline"),
        if subjects {
            format!("{}  | {}", t!("col-subject"), t!("col-arrived"))
        } else {
            t!("col-arrived")
        },
    ];
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2, w3) = (width(0), width(1), width(2), width(3));
    for [a, b, c, d, e] in std::iter::once(&header).chain(rows.iter()) {
        println!("{a:<w0$}  {b:<w1$}  {c:<w2$}  {d:<w3$}  {e}");
    }
}

fn list_row(c: &CaseListing) -> [String; 5] {
    let s = &c.summary;
    if let Some(d) = s.destroyed_on {
        return [
            s.number.clone(),
            s.received_at.to_string(),
            case_text::status_text(super::texts(), &s.status),
            "-".to_owned(),
            t!("case-destroyed", on = d.to_string()),
        ];
    }
    let deadline = c.next_deadline.map_or_else(
        || "-".to_owned(),
        |n| {
            format!(
                "{} {}",
                case_text::deadline(super::texts(), n.kind),
                case_text::when(super::texts(), n.due, n.days_left)
            )
        },
    );
    let mut arrived = case_text::arrived(super::texts(), s.encrypted, s.signature);
    if !s.flags.is_empty() {
        arrived.push_str(&format!(" [{}]", s.flags.join(", ")));
    }
    [
        s.number.clone(),
        s.received_at.to_string(),
        case_text::status_text(super::texts(), &s.status),
        deadline,
        arrived,
    ]
}

/// `cases search`: each line found, by case and message.
fn print_search(found: &crate::desk::SearchResult) {
    for h in &found.hits {
        println!(
            "{:<16} {} {}: {}",
            h.number,
            t!("search-where", message = h.message),
            if h.field == "subject" {
                t!("search-subject")
            } else {
                t!("search-body")
            },
            term::line(&h.line)
        );
    }
    println!(
        "{}",
        t!(
            "search-summary",
            hits = found.hits.len(),
            searched = found.searched
        )
    );
    if found.not_opened > 0 {
        eprintln!("{}", t!("cases-not-opened", n = found.not_opened));
    }
}

/// `cases due`: each open deadline, soonest first.
fn print_due(items: &[DueItem]) {
    if items.is_empty() {
        println!("{}", t!("due-nothing"));
    }
    for i in items {
        let what = match (i.attachment, i.note) {
            (Some(a), _) => t!("due-attachment", attachment = a),
            (None, Some(n)) => t!("due-note", note = n),
            (None, None) => String::new(),
        };
        println!(
            "{:<16} {}{what}: {}  [{}]",
            i.number,
            case_text::deadline(super::texts(), i.deadline),
            case_text::when(super::texts(), i.due, i.days_left),
            super::texts().status(i.status)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::status_for_command;

    #[test]
    fn an_unknown_status_offers_only_statuses_the_command_takes() {
        let err = status_for_command("done").unwrap_err().to_string();
        assert!(err.contains("in-follow-up"), "{err}");
        assert!(
            !err.contains(", closed"),
            "closed is offered but refused: {err}"
        );
        assert!(err.contains("cases close"), "{err}");
    }
}
