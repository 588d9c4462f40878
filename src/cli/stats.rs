//! `sygnal stats`: counts for management — by status, category, month and deadline compliance.
//! No key, no content, no case numbers; cells below `[stats] min-cell` are suppressed.

use crate::desk::Installation;

use super::{print_json, with_desk};
use crate::cases::stats;

pub async fn stats(config_path: &Installation, json: bool) -> anyhow::Result<()> {
    let s = with_desk(config_path, async |d| d.stats().await).await?;
    let min_cell = s.min_cell;
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
