//! `sygnal register export`: the register of internal reports (art. 29 of the act) as an
//! inspector asks for it. Sealed fields (action notes) appear only with a handler's key, and
//! the export is recorded. Personal data stay in the vault; the register names where.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use clap::{Subcommand, ValueEnum};
use serde::Serialize;
use zeroize::Zeroizing;

use super::admin::open_all;
use super::cases::{actor, unseal_error};
use super::casework::MAX_NOTE_BYTES;
use super::{coded, exit, print_json, reader_key};
use crate::cases::{ActionKind, Category, Outcome, Status};
use crate::register::AuditEntry;
use crate::vault::{self, BlobKind};

#[derive(Subcommand, Debug)]
pub enum RegisterCommand {
    /// Export the register of internal reports (art. 29 fields).
    Export {
        /// Output format.
        #[arg(long, value_enum)]
        format: Format,
        /// Only cases received in this year.
        #[arg(long)]
        year: Option<i32>,
        /// A handler's secret key: include the sealed action notes.
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

/// Export format.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// Comma-separated values (RFC 4180), one row per case.
    Csv,
    /// JSON array, one object per case.
    Json,
}

#[derive(Serialize)]
struct ActionOut {
    on: NaiveDate,
    kind: ActionKind,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::casework::serialize_secret"
    )]
    note: Option<Zeroizing<String>>,
}

#[derive(Serialize)]
struct Entry {
    number: String,
    received_at: NaiveDate,
    category: Option<Category>,
    status: Status,
    acknowledged_at: Option<NaiveDate>,
    feedback_at: Option<NaiveDate>,
    actions: Vec<ActionOut>,
    ended_at: Option<NaiveDate>,
    outcome: Option<Outcome>,
    retention_until: Option<NaiveDate>,
    identity_disclosed: bool,
    personal_data: String,
}

pub async fn register(config_path: &Path, command: RegisterCommand) -> anyhow::Result<()> {
    let RegisterCommand::Export { format, year, key } = command;
    let (register, keys) = open_all(config_path).await?;
    let result = async {
        let key = key.as_deref().map(reader_key::load).transpose()?;
        if let Some(k) = &key {
            // Sealed fields are for readers; anyone else is refused before anything is opened.
            let readers = register.readers().await?;
            if !readers.iter().any(|r| r.fingerprint == k.fingerprint) {
                return Err(coded(
                    exit::KEY_REFUSED,
                    format!("{} is not a registered handler key", k.fingerprint),
                ));
            }
        }
        let mut entries = Vec::new();
        for f in register.case_files().await? {
            if year.is_some_and(|y| f.received_at.year() != y) {
                continue;
            }
            let record = match &key {
                Some(_) => register.case(&f.number).await?,
                None => None,
            };
            let mut actions = Vec::new();
            for e in register.events(&f.number).await? {
                let Some(kind) = e.action_kind else { continue };
                let note = match (&key, &record, &e.note) {
                    (Some(k), Some(rec), Some(blob)) => {
                        let shred = keys.shred_key(&rec.shred_key)?;
                        let plain = vault::open(
                            blob,
                            &shred,
                            BlobKind::Note,
                            &k.cert,
                            k.passphrase.as_ref(),
                            MAX_NOTE_BYTES,
                        )
                        .map_err(|err| unseal_error(err, &f.number, "a handler"))?;
                        Some(super::casework::note_text(&plain))
                    }
                    (None, _, Some(_)) => Some(Zeroizing::new("(sealed)".to_owned())),
                    _ => None,
                };
                actions.push(ActionOut {
                    on: e.on,
                    kind,
                    note,
                });
            }
            entries.push(Entry {
                personal_data: format!(
                    "sealed in the vault: identity record of case {} (custodians only)",
                    f.number
                ),
                number: f.number,
                received_at: f.received_at,
                category: f.category,
                status: f.status,
                acknowledged_at: f.acknowledged_at,
                feedback_at: f.feedback_at,
                actions,
                ended_at: f.ended_at,
                outcome: f.outcome,
                retention_until: f.retention_until,
                identity_disclosed: f.identity_disclosed,
            });
        }
        let who = match &key {
            Some(k) => actor(&register, &k.fingerprint).await?,
            None => "admin".to_owned(),
        };
        register
            .audit(&AuditEntry {
                actor: who,
                action: "RegisterExported",
                case_number: None,
                detail: format!(
                    "{} case(s), year {}, sealed fields {}",
                    entries.len(),
                    year.map(|y| y.to_string())
                        .unwrap_or_else(|| "all".to_owned()),
                    if key.is_some() {
                        "included"
                    } else {
                        "withheld"
                    }
                ),
            })
            .await?;
        anyhow::Ok(entries)
    }
    .await;
    register.close().await;
    let entries = result?;
    match format {
        Format::Json => print_json(&entries),
        Format::Csv => {
            let csv = Zeroizing::new(to_csv(&entries));
            print!("{}", csv.as_str());
            Ok(())
        }
    }
}

fn to_csv(entries: &[Entry]) -> String {
    let d = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut out = String::from(
        "number,received_at,category,status,acknowledged_at,feedback_at,actions,ended_at,outcome,retention_until,identity_disclosed,personal_data\r\n",
    );
    for e in entries {
        let actions = e
            .actions
            .iter()
            .map(|a| match &a.note {
                Some(n) => format!("{} {}: {}", a.on, a.kind, n.as_str()),
                None => format!("{} {}", a.on, a.kind),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let fields = [
            e.number.clone(),
            e.received_at.to_string(),
            e.category
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            e.status.as_str().to_owned(),
            d(e.acknowledged_at),
            d(e.feedback_at),
            actions,
            d(e.ended_at),
            e.outcome.map(|o| o.as_str().to_owned()).unwrap_or_default(),
            d(e.retention_until),
            e.identity_disclosed.to_string(),
            e.personal_data.clone(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// RFC 4180 quoting; a leading `= + - @` is defused so a spreadsheet does not run it as a formula.
fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }
}
