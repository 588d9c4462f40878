//! `sygnal stats`: counts for management — by status, category, month and deadline compliance.
//! No key, no content, no case numbers; cells below `[stats] min-cell` are suppressed.

use std::path::Path;

use super::admin::open_all;
use super::casework::case_dates;
use super::{load_config, print_json};
use crate::cases::{compliance, stats};

pub async fn stats(config_path: &Path, json: bool) -> anyhow::Result<()> {
    let min_cell = load_config(config_path)?.stats.min_cell;
    let (register, _keys) = open_all(config_path).await?;
    let files = register.case_files().await;
    register.close().await;
    let today = crate::register::today();
    let inputs: Vec<stats::StatsInput> = files?
        .iter()
        .map(|f| {
            let d = case_dates(f);
            stats::StatsInput {
                status: f.status,
                category: f.category,
                received: f.received_at,
                acknowledgement: compliance::acknowledgement(&d, today),
                feedback: compliance::feedback(&d, today),
            }
        })
        .collect();
    let s = stats::compute(&inputs, min_cell);
    if json {
        return print_json(&s);
    }
    let cell = |c: &stats::Cell| match c {
        Some(n) => n.to_string(),
        None => format!("<{min_cell} (hidden)"),
    };
    println!("Cases: {}", cell(&s.total));
    for (title, map) in [
        ("By status", &s.by_status),
        ("By category", &s.by_category),
        ("By month received", &s.by_month),
        ("Acknowledgement (7 days)", &s.acknowledgement),
        ("Feedback (3 months)", &s.feedback),
    ] {
        println!();
        println!("{title}:");
        for (k, v) in map {
            println!("  {k:<24} {}", cell(v));
        }
    }
    println!();
    println!("Counts below {min_cell} are hidden (with one more where needed) so that no one can be singled out.");
    Ok(())
}
