//! `sygnal register export`: the register of internal reports (art. 29 of the act) as CSV or
//! JSON. Who may see sealed fields, and the record of the export, are the desk's.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use zeroize::Zeroizing;

use super::{print_json, reader_key, with_desk};
use crate::desk::RegisterEntry;

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

pub async fn register(config_path: &Path, command: RegisterCommand) -> anyhow::Result<()> {
    let RegisterCommand::Export { format, year, key } = command;
    let key = key.as_deref().map(reader_key::load).transpose()?;
    let entries = with_desk(config_path, async |d| {
        d.export_register(year, key.as_ref()).await
    })
    .await?;
    match format {
        Format::Json => print_json(&entries),
        Format::Csv => {
            let csv = Zeroizing::new(to_csv(&entries));
            print!("{}", csv.as_str());
            Ok(())
        }
    }
}

fn to_csv(entries: &[RegisterEntry]) -> String {
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
