//! `sygnal retention`: destroy cases past their retention date (crypto-shredding), and the
//! record of destructions for the yearly review. The rules and the record are the desk's.

use anyhow::Context;
use clap::{Subcommand, ValueEnum};

use super::{print_json, with_desk};
use crate::cases::acknowledgement::Lang;
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
    /// The destruction record for the yearly review (what, which case, when, by whom, rule);
    /// as PDF, the review record to sign: totals, destructions, cases kept and why.
    Report {
        /// Only destructions of this year (the PDF: this year, default the current one).
        #[arg(long)]
        year: Option<i32>,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// With --format pdf: the file to write (created, mode 0600; an existing one is kept).
        #[arg(long, required_if_eq("format", "pdf"))]
        output: Option<std::path::PathBuf>,
        /// Language of the PDF: pl (default) or en.
        #[arg(long, default_value = "pl", value_parser = parse_lang)]
        lang: Lang,
    },
}

/// Report format.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum Format {
    /// Comma-separated values, one row per destruction.
    Csv,
    /// JSON array.
    Json,
    /// The review record as PDF (with --output).
    Pdf,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("{s:?}: the record is in pl or en"))
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
            if let Some(holder) = &run.running_elsewhere {
                println!(
                    "nothing done: another gateway process runs retention now ({holder}); \
                     try again when it has finished"
                );
                return Ok(());
            }
            for number in &run.would_destroy {
                println!("would destroy {number}");
            }
            for d in &run.destroyed {
                if d.case_number.is_empty() {
                    println!("destroyed {} (never filed as a case)", d.item);
                } else if d.item.is_empty() {
                    println!(
                        "destroyed {} (kept until {})",
                        d.case_number,
                        d.kept_until.map_or_else(String::new, |k| k.to_string())
                    );
                } else {
                    println!(
                        "destroyed {} of {} (found irrelevant)",
                        d.item, d.case_number
                    );
                }
            }
            for number in &run.on_hold {
                println!("kept {number}: on legal hold");
            }
            if run.destroyed.is_empty() && run.would_destroy.is_empty() {
                println!("nothing past its retention date");
            }
            Ok(())
        }
        RetentionCommand::Report {
            year,
            format: Format::Pdf,
            output,
            lang,
        } => review_pdf(config_path, year, output, lang).await,
        RetentionCommand::Report { year, format, .. } => {
            let rows = with_desk(config_path, async |d| d.destructions(year).await).await?;
            match format {
                // (Pdf is the arm above.)
                Format::Json | Format::Pdf => print_json(&rows),
                Format::Csv => {
                    println!("case_number,material,item,received_on,ended_on,kept_until,destroyed_on,actor,rule,audit_id");
                    let d =
                        |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                    for r in &rows {
                        println!(
                            "{},{},{},{},{},{},{},{},\"{}\",{}",
                            r.case_number,
                            r.material,
                            r.item,
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

/// The review record as PDF, written to `output`.
async fn review_pdf(
    config_path: &Installation,
    year: Option<i32>,
    output: Option<std::path::PathBuf>,
    lang: Lang,
) -> anyhow::Result<()> {
    let Some(path) = output else {
        return Err(anyhow::anyhow!("--format pdf needs --output FILE"));
    };
    if path.exists() {
        return Err(super::coded(
            super::exit::USAGE,
            format!(
                "{} exists: a signed review record is never overwritten; give a new file name",
                path.display()
            ),
        ));
    }
    let review = with_desk(config_path, async |d| d.retention_review(year).await).await?;
    let pdf = super::review_pdf::render(&review, lang).map_err(anyhow::Error::msg)?;
    super::case_files::write_private(&path, &pdf)
        .with_context(|| format!("write the review record to {}", path.display()))?;
    println!(
        "{}: review record {}: {} case(s) reviewed, {} destruction(s)",
        path.display(),
        review.year,
        review.cases.len(),
        review.destructions.len()
    );
    Ok(())
}
