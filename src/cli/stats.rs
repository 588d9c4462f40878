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
    let cell = cell_text;
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
    println!("Counts below {min_cell} are hidden, and where only one would be, the next smallest too (its count may be large), so that no one can be singled out.");
    Ok(())
}

/// A cell as printed. A hidden cell is not labelled "<min": it may be hidden only to protect
/// another, small one, and hold a large count.
fn cell_text(c: &stats::Cell) -> String {
    match c {
        Some(n) => n.to_string(),
        None => "hidden".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::cell_text;
    use crate::cases::stats::{compute, StatsInput};
    use crate::cases::{Category, Compliance, Status};

    fn case(category: Option<Category>) -> StatsInput {
        StatsInput {
            status: Status::Received,
            category,
            received: "2026-12-01".parse().unwrap(),
            acknowledgement: Compliance::Pending,
            feedback: Compliance::Pending,
        }
    }

    #[test]
    fn a_cell_hidden_to_protect_another_is_not_labelled_as_small() {
        let mut cases = vec![case(None); 10];
        cases.push(case(Some(Category::Corruption)));
        let s = compute(&cases, 3);
        // 1 corruption case is hidden; the 10 uncategorised are hidden with it.
        assert_eq!(s.by_category["uncategorised"], None);
        assert_eq!(cell_text(&s.by_category["uncategorised"]), "hidden");
        assert!(!cell_text(&s.by_category["uncategorised"]).contains('<'));
        assert_eq!(cell_text(&Some(10)), "10");
    }
}
