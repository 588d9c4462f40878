//! `sygnal retention`: destroy cases past their retention date (crypto-shredding), and the
//! record of destructions for the yearly review. The rules and the record are the desk's.

use clap::{Subcommand, ValueEnum};

use super::{print_json, with_desk};
use crate::desk::Installation;

#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Destroy every case past its retention date that is not on legal hold (its shred key and
    /// ciphertext; number and dates stay). `sygnal run` does it daily.
    Run {
        /// Only list what would be destroyed.
        #[arg(long)]
        dry_run: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// The destruction record for the yearly review (what, which case, when, by whom, rule).
    Report {
        /// Only destructions of this year.
        #[arg(long)]
        year: Option<i32>,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
    },
}

/// Report format.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// Comma-separated values, one row per destruction.
    Csv,
    /// JSON array.
    Json,
}

pub async fn retention(
    config_path: &Installation,
    command: RetentionCommand,
) -> anyhow::Result<()> {
    match command {
        RetentionCommand::Run { dry_run, json } => {
            let run = with_desk(config_path, async |d| d.run_retention(dry_run).await).await?;
            if json {
                return print_json(&run);
            }
            for number in &run.would_destroy {
                println!("would destroy {number}");
            }
            for d in &run.destroyed {
                println!(
                    "destroyed {} (kept until {})",
                    d.case_number,
                    d.kept_until.map_or_else(String::new, |k| k.to_string())
                );
            }
            for number in &run.on_hold {
                println!("kept {number}: on legal hold");
            }
            if run.destroyed.is_empty() && run.would_destroy.is_empty() {
                println!("nothing past its retention date");
            }
            Ok(())
        }
        RetentionCommand::Report { year, format } => {
            let rows = with_desk(config_path, async |d| d.destructions(year).await).await?;
            match format {
                Format::Json => print_json(&rows),
                Format::Csv => {
                    println!("case_number,material,received_on,ended_on,kept_until,destroyed_on,actor,rule,audit_id");
                    let d =
                        |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                    for r in &rows {
                        println!(
                            "{},{},{},{},{},{},{},\"{}\",{}",
                            r.case_number,
                            r.material,
                            d(r.received_on),
                            d(r.ended_on),
                            d(r.kept_until),
                            r.destroyed_on,
                            r.actor,
                            r.rule.replace('"', "\"\""),
                            r.audit_id
                        );
                    }
                    Ok(())
                }
            }
        }
    }
}
