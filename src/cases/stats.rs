//! Statistics for management: counts only, with small cells suppressed so that no number is
//! small enough to point at a person. Pure.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{Category, Compliance, Status};

/// Default smallest count shown.
pub const DEFAULT_MIN_CELL: u64 = 3;

/// What the statistics know of one case.
#[derive(Debug, Clone, Copy)]
pub struct StatsInput {
    /// Status.
    pub status: Status,
    /// Category.
    pub category: Option<Category>,
    /// Date received.
    pub received: NaiveDate,
    /// Acknowledgement compliance.
    pub acknowledgement: Compliance,
    /// Feedback compliance.
    pub feedback: Compliance,
}

/// A count, or `None` when suppressed (serialised as `null`).
pub type Cell = Option<u64>;

/// The statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Smallest count shown; smaller ones (and one more, where needed so the hidden one cannot
    /// be worked out from the total) are `null`.
    pub min_cell: u64,
    /// All cases.
    pub total: Cell,
    /// By status.
    pub by_status: BTreeMap<String, Cell>,
    /// By category (`uncategorised` when none set yet).
    pub by_category: BTreeMap<String, Cell>,
    /// By month received (`YYYY-MM`).
    pub by_month: BTreeMap<String, Cell>,
    /// Acknowledgement deadline compliance.
    pub acknowledgement: BTreeMap<String, Cell>,
    /// Feedback deadline compliance.
    pub feedback: BTreeMap<String, Cell>,
}

/// Counts `cases`, suppressing cells below `min_cell`.
pub fn compute(cases: &[StatsInput], min_cell: u64) -> Stats {
    let mut by_status = BTreeMap::new();
    let mut by_category = BTreeMap::new();
    let mut by_month = BTreeMap::new();
    let mut ack = BTreeMap::new();
    let mut fb = BTreeMap::new();
    for c in cases {
        *by_status
            .entry(c.status.as_str().to_owned())
            .or_insert(0u64) += 1;
        let cat = c.category.map(Category::as_str).unwrap_or("uncategorised");
        *by_category.entry(cat.to_owned()).or_insert(0u64) += 1;
        let month = format!("{:04}-{:02}", c.received.year(), c.received.month());
        *by_month.entry(month).or_insert(0u64) += 1;
        *ack.entry(c.acknowledgement.as_str().to_owned())
            .or_insert(0u64) += 1;
        *fb.entry(c.feedback.as_str().to_owned()).or_insert(0u64) += 1;
    }
    let total = cases.len() as u64;
    Stats {
        min_cell,
        total: (total >= min_cell).then_some(total),
        by_status: suppress(by_status, min_cell),
        by_category: suppress(by_category, min_cell),
        by_month: suppress(by_month, min_cell),
        acknowledgement: suppress(ack, min_cell),
        feedback: suppress(fb, min_cell),
    }
}

/// Hides cells below `min`; if exactly one cell would be hidden, hides the next smallest too, so
/// the hidden count cannot be derived as total minus the others.
fn suppress(counts: BTreeMap<String, u64>, min: u64) -> BTreeMap<String, Cell> {
    let hidden = counts.values().filter(|n| **n < min).count();
    let extra = if hidden == 1 {
        counts
            .iter()
            .filter(|(_, n)| **n >= min)
            .min_by_key(|(_, n)| **n)
            .map(|(k, _)| k.clone())
    } else {
        None
    };
    counts
        .into_iter()
        .map(|(k, n)| {
            let show = n >= min && extra.as_deref() != Some(k.as_str());
            (k, show.then_some(n))
        })
        .collect()
}
