//! `sygnal register export`: the register of internal reports (art. 29 of the act) as CSV or
//! JSON. Who may see sealed fields, and the record of the export, are the desk's.
//! `sygnal register migrate`: the whole register, still sealed, onto another backend.

use crate::desk::Installation;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use zeroize::Zeroizing;

use super::{coded, exit, print_json, reader_key, with_desk};
use crate::config::RegisterConfig;
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
    /// Move the whole register, still sealed, into a new register on another backend (e.g.
    /// from SQLite to PostgreSQL), then check it. Stop the gateway first.
    Migrate {
        /// The register to copy: sqlite:PATH, postgres:URL_FILE or postgres:env:VARIABLE.
        #[arg(long)]
        from: String,
        /// The new, empty register (same forms); default: the one in the config file.
        #[arg(long)]
        to: Option<String>,
        /// Schema of a PostgreSQL --from.
        #[arg(long, default_value = crate::config::DEFAULT_PG_SCHEMA)]
        from_schema: String,
        /// Schema of a PostgreSQL --to.
        #[arg(long, default_value = crate::config::DEFAULT_PG_SCHEMA)]
        to_schema: String,
    },
}

/// Export format.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// Comma-separated values (RFC 4180), one row per case.
    Csv,
    /// The same for Excel in a Polish (or any comma-decimal) locale, which opens it as it is:
    /// semicolons between fields and a UTF-8 byte order mark, so Polish letters show right.
    CsvExcel,
    /// JSON array, one object per case.
    Json,
}

pub async fn register(config_path: &Installation, command: RegisterCommand) -> anyhow::Result<()> {
    let (format, year, key) = match command {
        RegisterCommand::Export { format, year, key } => (format, year, key),
        RegisterCommand::Migrate {
            from,
            to,
            from_schema,
            to_schema,
        } => return migrate(config_path, &from, to.as_deref(), &from_schema, &to_schema).await,
    };
    let key = key.as_deref().map(reader_key::load).transpose()?;
    let entries = with_desk(config_path, async |d| {
        d.export_register(year, key.as_ref()).await
    })
    .await?;
    match format {
        Format::Json => print_json(&entries),
        Format::Csv => {
            let csv = Zeroizing::new(to_csv(&entries, ','));
            print!("{}", csv.as_str());
            Ok(())
        }
        Format::CsvExcel => {
            let csv = Zeroizing::new(to_csv(&entries, ';'));
            print!("\u{feff}{}", csv.as_str());
            Ok(())
        }
    }
}

async fn migrate(
    config_path: &Installation,
    from: &str,
    to: Option<&str>,
    from_schema: &str,
    to_schema: &str,
) -> anyhow::Result<()> {
    let spec = |s: &str, schema: &str, flag: &str| {
        RegisterConfig::from_spec(s, schema).map_err(|e| coded(exit::USAGE, format!("{flag}: {e}")))
    };
    let from = spec(from, from_schema, "--from")?;
    let to = match to {
        Some(to) => spec(to, to_schema, "--to")?,
        None => config_path.load()?.register,
    };
    let report = crate::desk::migrate_register(&from, &to).await?;
    println!("register copied and checked:");
    for (table, rows) in &report.rows {
        if *rows > 0 {
            println!("  {table:<22} {rows:>8} row(s), same digest on both sides");
        }
    }
    println!(
        "  sealed blobs           {:>8}, copied as they were (nothing decrypted)",
        report.sealed_blobs
    );
    match &report.audit_head {
        Some((id, hash)) => println!(
            "  audit chain verifies; the old head {id}:{hash} is in it; the move is entry {}",
            report.migration_entry
        ),
        None => println!(
            "  audit chain verifies; the move is entry {}",
            report.migration_entry
        ),
    }
    println!(
        "Next: point [register] in the config at the new register, start the gateway, and keep \
         or destroy the old one as your backups are kept (it still opens with the same keys)."
    );
    Ok(())
}

/// The register as CSV with `sep` between fields (`,` by RFC 4180; `;` for Excel where the
/// comma is the decimal sign).
fn to_csv(entries: &[RegisterEntry], sep: char) -> String {
    let d = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut out = [
        "number",
        "received_at",
        "category",
        "status",
        "acknowledged_at",
        "feedback_at",
        "actions",
        "ended_at",
        "outcome",
        "end_reason",
        "retention_until",
        "identity_disclosed",
        "personal_data",
    ]
    .join(&sep.to_string());
    out.push_str("\r\n");
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
            e.end_reason
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            d(e.retention_until),
            e.identity_disclosed.to_string(),
            e.personal_data.clone(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f, sep))
                .collect::<Vec<_>>()
                .join(&sep.to_string()),
        );
        out.push_str("\r\n");
    }
    out
}

/// RFC 4180 quoting (a field holding `sep` is quoted too); a leading `= + - @` is defused so a
/// spreadsheet does not run it as a formula.
fn csv_field(f: &str, sep: char) -> String {
    let f = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([sep, ',', '"', '\n', '\r']) {
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
        assert_eq!(csv_field("plain", ','), "plain");
        assert_eq!(csv_field("a,b", ','), "\"a,b\"");
        assert_eq!(csv_field("say \"x\"", ','), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)", ','), "'=HYPERLINK(1)");
        assert_eq!(csv_field("line\nbreak", ','), "\"line\nbreak\"");
    }

    #[test]
    fn a_field_holding_the_excel_separator_is_quoted() {
        assert_eq!(csv_field("a;b", ';'), "\"a;b\"");
        assert_eq!(csv_field("Zgłoszenie nr 7", ';'), "Zgłoszenie nr 7");
    }
}
