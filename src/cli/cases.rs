//! `sygnal cases`: list (no content) and show (with a handler's key, audited).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use serde_json::Value;

use super::admin::open_all;
use super::{casework, coded, exit, print_json, terminal_safe};
use crate::cases::Status;
use crate::register::{AuditEntry, Register};
use crate::vault::VaultError;

/// Largest sealed record opened (report JSON with base64 attachments).
pub(super) const MAX_RECORD_BYTES: usize = 512 * 1024 * 1024;

#[derive(Subcommand, Debug)]
pub enum CasesCommand {
    /// List cases: number, date received, status, encrypted, signed. Never content.
    List {
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
        #[arg(long, value_parser = super::casework::parse_date)]
        on: Option<chrono::NaiveDate>,
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
        #[arg(long, value_parser = super::casework::parse_date)]
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
        #[arg(long, value_parser = super::casework::parse_date)]
        on: Option<chrono::NaiveDate>,
        /// JSON output.
        #[arg(long)]
        json: bool,
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
    /// Write a complete case file (report, attachments, notes, actions; never the identity).
    Export {
        /// Case number.
        number: String,
        /// The handler's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// New folder to write into (created 0700, files 0600).
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn cases(config_path: &Path, command: CasesCommand) -> anyhow::Result<()> {
    let (register, keys) = open_all(config_path).await?;
    let result = match command {
        CasesCommand::List { json } => list(&register, json).await,
        CasesCommand::Show {
            number,
            key,
            json,
            save_attachments,
        } => {
            show(
                &register,
                &keys,
                &number,
                &key,
                json,
                save_attachments.as_deref(),
            )
            .await
        }
        CasesCommand::Status {
            number,
            status,
            key,
            on,
            json,
        } => match casework::status_for_command(&status) {
            Ok(to) => {
                casework::change_status(&register, &keys, &number, &key, to, on, None, json).await
            }
            Err(e) => Err(e),
        },
        CasesCommand::Note {
            number,
            key,
            file,
            json,
        } => {
            casework::add_event(
                &register,
                &keys,
                &number,
                &key,
                None,
                None,
                file.as_deref(),
                json,
            )
            .await
        }
        CasesCommand::Action {
            number,
            kind,
            key,
            on,
            file,
            json,
        } => {
            casework::add_event(
                &register,
                &keys,
                &number,
                &key,
                Some(&kind),
                on,
                file.as_deref(),
                json,
            )
            .await
        }
        CasesCommand::Close {
            number,
            outcome,
            key,
            on,
            json,
        } => match casework::parse_outcome(&outcome) {
            Ok(o) => {
                casework::change_status(
                    &register,
                    &keys,
                    &number,
                    &key,
                    Status::Closed,
                    on,
                    Some(o),
                    json,
                )
                .await
            }
            Err(e) => Err(e),
        },
        CasesCommand::SetCategory {
            number,
            category,
            key,
            json,
        } => casework::set_category(&register, &keys, &number, &key, &category, json).await,
        CasesCommand::History { number, key, json } => {
            casework::history(&register, &keys, &number, &key, json).await
        }
        CasesCommand::AckText { number, lang } => {
            casework::ack_text(&register, &number, &lang).await
        }
        CasesCommand::Due { within, json } => casework::due(&register, within, json).await,
        CasesCommand::Export { number, key, out } => {
            casework::export(&register, &keys, &number, &key, &out).await
        }
    };
    register.close().await;
    result
}

async fn list(register: &Register, json: bool) -> anyhow::Result<()> {
    let cases = register.list_cases().await?;
    if json {
        return print_json(&cases);
    }
    if cases.is_empty() {
        println!("no cases");
    }
    for c in &cases {
        println!(
            "{:<16} {}  {:<15} {}{}",
            c.number,
            c.received_at,
            c.status,
            if c.encrypted {
                "encrypted"
            } else {
                "UNENCRYPTED"
            },
            if c.signed { ", signed" } else { "" }
        );
    }
    Ok(())
}

/// Maps a failure to open a sealed record to a user-facing error.
pub(super) fn unseal_error(e: VaultError, number: &str, what: &str) -> anyhow::Error {
    match e {
        VaultError::Unseal(crate::openpgp::UnsealError::NotARecipient { .. }) => coded(
            exit::KEY_REFUSED,
            format!("this key is not {what} of case {number}: it cannot open it"),
        ),
        VaultError::Unseal(crate::openpgp::UnsealError::WrongPassphrase { .. }) => coded(
            exit::KEY_REFUSED,
            "wrong passphrase for the secret key".to_owned(),
        ),
        other => anyhow::Error::new(other).context(format!("cannot open case {number}")),
    }
}

async fn show(
    register: &Register,
    keys: &crate::keystore::KeyStore,
    number: &str,
    key_path: &Path,
    json: bool,
    save: Option<&Path>,
) -> anyhow::Result<()> {
    let casework::Proven {
        record,
        actor,
        report: plaintext,
        ..
    } = casework::prove(register, keys, number, key_path).await?;
    register
        .audit(&AuditEntry {
            actor,
            action: "CaseOpened",
            case_number: Some(number.to_owned()),
            detail: String::new(),
        })
        .await?;

    let mut report: Value =
        serde_json::from_slice(&plaintext).context("the opened report is not valid JSON")?;
    if let Some(dir) = save {
        save_attachments(&report, dir)?;
    }
    strip_attachment_data(&mut report);
    if let Value::Object(map) = &mut report {
        map.insert("number".into(), Value::from(number));
        map.insert("status".into(), Value::from(record.summary.status.clone()));
    }
    if json {
        return print_json(&report);
    }
    print_report(number, &record.summary.status, &report);
    Ok(())
}

/// `fingerprint (name)` of the key holder, for the audit trail.
pub(super) async fn actor(register: &Register, fingerprint: &str) -> anyhow::Result<String> {
    let name = register
        .readers()
        .await?
        .into_iter()
        .find(|r| r.fingerprint == fingerprint)
        .map(|r| r.name)
        .unwrap_or_else(|| "not a registered reader".to_owned());
    Ok(format!("{fingerprint} ({name})"))
}

pub(super) fn strip_attachment_data(report: &mut Value) {
    for list in ["attachments", "unencrypted_parts"] {
        if let Some(Value::Array(items)) = report.get_mut(list) {
            for item in items {
                if let Value::Object(m) = item {
                    m.remove("data");
                }
            }
        }
    }
}

pub(super) fn save_attachments(report: &Value, dir: &Path) -> anyhow::Result<()> {
    use base64::Engine as _;
    {
        use std::os::unix::fs::DirBuilderExt;
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    let mut used = BTreeSet::new();
    let Some(Value::Array(items)) = report.get("attachments") else {
        return Ok(());
    };
    for (i, item) in items.iter().enumerate() {
        let data = item
            .get("data")
            .and_then(Value::as_str)
            .map(|d| base64::engine::general_purpose::STANDARD.decode(d))
            .transpose()
            .context("attachment data is not valid base64")?
            .unwrap_or_default();
        let name = item
            .get("name")
            .and_then(Value::as_str)
            .map(safe_file_name)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        let mut candidate = name.clone();
        let mut n = 1;
        while used.contains(&candidate) || dir.join(&candidate).exists() {
            n += 1;
            candidate = format!("{n}-{name}");
        }
        used.insert(candidate.clone());
        let path = dir.join(&candidate);
        // The name is report content: errors name the folder only, never the file.
        write_private(&path, &data)
            .with_context(|| format!("cannot write attachment {} into {}", i + 1, dir.display()))?;
    }
    // Counts only: the names are report content and stderr may end up in a log.
    eprintln!("saved {} attachment(s) into {}", items.len(), dir.display());
    Ok(())
}

/// Evidence files are readable by their owner only.
pub(super) fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Display names are already sanitised at intake; this keeps a file name a single component.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}

/// What cleaning did to an attachment: the names of the fields removed, or why it was not
/// cleaned (values are in the sealed identity record only).
fn print_cleaning(a: &Value) {
    let removed: Vec<&str> = a
        .get("metadata_removed")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match a.get("cleaned").and_then(Value::as_bool) {
        Some(false) => println!(
            "     NOT CLEANED: {}",
            a.get("not_cleaned_reason")
                .and_then(Value::as_str)
                .unwrap_or("unknown reason")
        ),
        Some(true) if !removed.is_empty() => {
            println!("     metadata removed: {}", removed.join(", "));
        }
        Some(true) => println!("     no identifying metadata found"),
        None => {}
    }
}

fn print_report(number: &str, status: &str, r: &Value) {
    let s = |k: &str| terminal_safe(r.get(k).and_then(Value::as_str).unwrap_or(""));
    let b = |k: &str| r.get(k).and_then(Value::as_bool).unwrap_or(false);
    println!("Case:     {number}");
    println!("Received: {}", s("received_at"));
    println!("Status:   {status}");
    println!(
        "Arrived:  {}{}",
        if b("encrypted") {
            "encrypted"
        } else {
            "UNENCRYPTED"
        },
        if b("signed") {
            ", signature verified"
        } else {
            ""
        }
    );
    println!("Subject:  {}", s("subject"));
    println!();
    println!("{}", s("body"));
    if let Some(Value::Array(items)) = r.get("attachments") {
        if !items.is_empty() {
            println!();
            println!("Attachments:");
            for (i, a) in items.iter().enumerate() {
                println!(
                    "  {}. {} ({}, {} bytes, sha256 {})",
                    i + 1,
                    terminal_safe(a.get("name").and_then(Value::as_str).unwrap_or("(no name)")),
                    a.get("content_type").and_then(Value::as_str).unwrap_or("?"),
                    a.get("size").and_then(Value::as_u64).unwrap_or(0),
                    a.get("sha256").and_then(Value::as_str).unwrap_or("?"),
                );
                print_cleaning(a);
            }
        }
    }
    if let Some(Value::Array(items)) = r.get("unencrypted_parts") {
        if !items.is_empty() {
            println!();
            println!("Parts that arrived OUTSIDE the encryption (not from the encrypted report; may be forged):");
            for (i, p) in items.iter().enumerate() {
                println!(
                    "  {}. {} ({} bytes)",
                    i + 1,
                    p.get("content_type").and_then(Value::as_str).unwrap_or("?"),
                    p.get("size").and_then(Value::as_u64).unwrap_or(0)
                );
                if let Some(text) = p.get("text").and_then(Value::as_str) {
                    for line in terminal_safe(text).lines() {
                        println!("     | {line}");
                    }
                }
            }
        }
    }
}
