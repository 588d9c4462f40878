//! The record of a destruction: what, of which case, when, by whom, under which rule and
//! with which audit entry. Written in the destroying transaction; kept after the case is gone.

use chrono::NaiveDate;

use super::store::{args, Row, Tx};
use super::RegisterError;

/// One destruction, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Destruction {
    /// Case number.
    pub case_number: String,
    /// What was destroyed: `case`, `attachment`, `note`, `quarantined-message`.
    pub material: String,
    /// Which item of the case (`attachment 2`); empty for the whole case.
    pub item: String,
    /// The case's dates.
    pub received_on: Option<NaiveDate>,
    /// Follow-up ended.
    pub ended_on: Option<NaiveDate>,
    /// It was to be kept until.
    pub kept_until: Option<NaiveDate>,
    /// When it was destroyed.
    pub destroyed_on: NaiveDate,
    /// Who: `schedule` or a reader.
    pub actor: String,
    /// Under which rule.
    pub rule: String,
    /// The audit entry that recorded it.
    pub audit_id: i64,
}

pub(super) fn date(r: &Row, col: &'static str) -> Result<Option<NaiveDate>, RegisterError> {
    let text: Option<String> = r.get(col, "read retention row")?;
    text.map(|t| {
        t.parse()
            .map_err(|_| RegisterError::Corrupt(format!("{col} = {t:?}")))
    })
    .transpose()
}

/// Writes a destruction record (inside the destroying transaction).
pub(super) async fn insert_destruction(tx: &mut Tx, r: &Destruction) -> Result<(), RegisterError> {
    let d = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let (received, ended, kept) = (d(r.received_on), d(r.ended_on), d(r.kept_until));
    tx.exec(
        "INSERT destruction",
        "INSERT INTO destructions (case_number, material, item, received_on, ended_on, \
         kept_until, destroyed_on, actor, rule, audit_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![
            r.case_number.as_str(),
            r.material.as_str(),
            r.item.as_str(),
            received.as_deref(),
            ended.as_deref(),
            kept.as_deref(),
            r.destroyed_on.to_string().as_str(),
            r.actor.as_str(),
            r.rule.as_str(),
            r.audit_id
        ],
    )
    .await?;
    Ok(())
}

/// Queues shred key `id` for destruction right after the commit (and again on the next run
/// after a crash), saying `why` in its `ShredKeyDestroyed` entry.
pub(super) async fn queue_shred(tx: &mut Tx, id: &str, why: &str) -> Result<(), RegisterError> {
    tx.exec(
        "INSERT INTO reseal_shred_pending",
        "INSERT INTO reseal_shred_pending (shred_key, why) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        args![id, why],
    )
    .await?;
    Ok(())
}
