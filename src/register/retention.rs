//! Destroying a case when the law says it may no longer be kept: in one transaction, its sealed
//! content goes (report, identity, notes, sealed details, their chunks), its shred key is queued
//! for destruction, and a destruction record that outlives the case is written with its audit
//! entry. The number and dates stay, as the art. 29 register may keep them. The shred key file is
//! destroyed right after the commit (and again on the next run after a crash), so a copy of the
//! register taken before opens nothing of the case with any key that exists after.

use chrono::NaiveDate;

use super::chunks;
use super::destruction::{date, insert_destruction, queue_shred, Destruction};
use super::store::{args, today_stored, Tx};
use super::{Register, RegisterError};
use crate::audit::Event;

/// What the register keeps of a destroyed case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// Its number and dates (the art. 29 register's columns), nothing sealed.
    #[default]
    NumberAndDates,
    /// Nothing but the destruction record, which names the case and its day of destruction.
    Nothing,
}

/// Removes every row of case `id` (inside the destroying transaction, after its sealed data
/// went). Its intake record goes too, unless its server copy was never confirmed deleted:
/// then the case keeps its number and dates, and false is returned.
async fn forget_case(tx: &mut Tx, id: i64) -> Result<bool, RegisterError> {
    let open: i64 = tx
        .one(
            "count open intake",
            "SELECT COUNT(*) AS n FROM intake WHERE case_id = $1 AND deletion <> 'deleted'",
            args![id],
        )
        .await?
        .get("n", "count open intake")?;
    if open > 0 {
        tracing::warn!(
            "CaseKeptNumberAndDates: its server copy was never confirmed deleted; `sygnal doctor --mailbox`"
        );
        return Ok(false);
    }
    for (what, sql) in [
        ("DELETE intake", "DELETE FROM intake WHERE case_id = $1"),
        (
            "UPDATE quarantine case",
            "UPDATE quarantine SET case_id = NULL WHERE case_id = $1",
        ),
        (
            "DELETE case events",
            "DELETE FROM case_events WHERE case_id = $1",
        ),
        (
            "DELETE disclosures",
            "DELETE FROM disclosures WHERE case_id = $1",
        ),
        (
            "DELETE sealed details",
            "DELETE FROM sealed_details WHERE case_id = $1",
        ),
        (
            "DELETE attachments",
            "DELETE FROM case_attachments WHERE case_id = $1",
        ),
        ("DELETE case", "DELETE FROM cases WHERE id = $1"),
    ] {
        tx.exec(what, sql, args![id]).await?;
    }
    Ok(true)
}

/// A case whose retention date has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    /// Case number.
    pub number: String,
    /// Received.
    pub received_at: NaiveDate,
    /// Follow-up ended.
    pub ended_at: Option<NaiveDate>,
    /// Kept until (inclusive).
    pub retention_until: NaiveDate,
    /// On legal hold since, if it is.
    pub hold_since: Option<NaiveDate>,
}

/// A case as the yearly review sees it: dates and standing, never content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reviewed {
    /// Case number.
    pub number: String,
    /// Received.
    pub received_at: NaiveDate,
    /// Status (as stored: `received`, `closed`, ...).
    pub status: String,
    /// Follow-up ended.
    pub ended_at: Option<NaiveDate>,
    /// Kept until (inclusive), once follow-up ended.
    pub retention_until: Option<NaiveDate>,
    /// On legal hold since.
    pub hold_since: Option<NaiveDate>,
    /// Destroyed on.
    pub destroyed_on: Option<NaiveDate>,
}

/// The rule scheduled retention destroys under.
pub const RETENTION_RULE: &str =
    "art. 8 i art. 29 ustawy o ochronie sygnalistów: 3 lata po końcu roku zakończenia działań następczych";

impl Register {
    /// Cases kept until a day before `today` and not yet destroyed, oldest first; those on
    /// hold are listed with it (they stay).
    pub async fn expired_cases(&self, today: NaiveDate) -> Result<Vec<Expired>, RegisterError> {
        let rows = self
            .all(
                "SELECT expired cases",
                "SELECT number, received_at, ended_at, retention_until, hold_since FROM cases \
                 WHERE destroyed_on IS NULL AND retention_until IS NOT NULL AND retention_until < $1 \
                 ORDER BY retention_until, id",
                args![today.to_string().as_str()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Expired {
                    number: r.get("number", "read expired case")?,
                    received_at: date(r, "received_at")?
                        .ok_or_else(|| RegisterError::Corrupt("received_at".into()))?,
                    ended_at: date(r, "ended_at")?,
                    retention_until: date(r, "retention_until")?
                        .ok_or_else(|| RegisterError::Corrupt("retention_until".into()))?,
                    hold_since: date(r, "hold_since")?,
                })
            })
            .collect()
    }

    /// Destroys case `number` under `rule`: see the module. Refused for a case on hold, one
    /// already destroyed, or one not yet past its retention date on `today` (unless `rule`
    /// is given for an earlier end by the caller, which must check it). Returns the record.
    pub async fn destroy_case(
        &self,
        number: &str,
        actor: &str,
        rule: &str,
        today: NaiveDate,
        keep: Keep,
    ) -> Result<Destruction, RegisterError> {
        self.write(async |tx| {
            let row = tx
                .opt(
                    "SELECT case to destroy",
                    "SELECT id, shred_key, received_at, ended_at, retention_until, destroyed_on, \
                     hold_since FROM cases WHERE number = $1",
                    args![number],
                )
                .await?
                .ok_or_else(|| RegisterError::NotFound(format!("case {number}")))?;
            let what = "read case to destroy";
            let id: i64 = row.get("id", what)?;
            let shred_key: String = row.get("shred_key", what)?;
            if let Some(d) = date(&row, "destroyed_on")? {
                return Err(RegisterError::Conflict(format!(
                    "case {number} was already destroyed on {d}"
                )));
            }
            if let Some(h) = date(&row, "hold_since")? {
                return Err(RegisterError::Conflict(format!(
                    "case {number} is on legal hold since {h}: release it first"
                )));
            }
            let kept_until = date(&row, "retention_until")?;
            if kept_until.is_none_or(|k| k >= today) {
                return Err(RegisterError::Conflict(format!(
                    "case {number} is kept until {}: not destroyed before then",
                    kept_until.map_or("its follow-up ends and 3 more years pass".to_owned(), |k| k
                        .to_string())
                )));
            }
            let received_on = date(&row, "received_at")?;
            let ended_on = date(&row, "ended_at")?;
            for slot in ["cases.report", "cases.identity"] {
                tx.exec(
                    "DELETE case chunks",
                    "DELETE FROM blob_chunks WHERE owner = $1",
                    args![chunks::owner(slot, id).as_str()],
                )
                .await?;
            }
            let empty: &[u8] = &[];
            let on = today.to_string();
            tx.exec(
                "UPDATE destroyed case",
                "UPDATE cases SET report_pkesks = $1, report_body = $1, identity_pkesks = $1, \
                 identity_body = $1, destroyed_on = $2 WHERE id = $3",
                args![empty, on.as_str(), id],
            )
            .await?;
            tx.exec(
                "UPDATE destroyed notes",
                "UPDATE case_events SET note_pkesks = NULL, note_body = NULL WHERE case_id = $1",
                args![id],
            )
            .await?;
            tx.exec(
                "DELETE sealed details",
                "DELETE FROM sealed_details WHERE case_id = $1",
                args![id],
            )
            .await?;
            let audit_id = tx
                .audit(
                    actor,
                    Event::CaseDestroyed,
                    Some(number),
                    &format!(
                        "kept until {}; {rule}",
                        kept_until.map_or_else(String::new, |k| k.to_string())
                    ),
                )
                .await?;
            super::attachments::shred_all(tx, id, number, &on).await?;
            super::messages::shred_all(tx, id, number).await?;
            super::contact::forget(tx, id, number).await?;
            let nothing = keep == Keep::Nothing && forget_case(tx, id).await?;
            let kept = |d: Option<NaiveDate>| if nothing { None } else { d };
            let record = Destruction {
                case_number: number.to_owned(),
                material: "case".to_owned(),
                item: String::new(),
                received_on: kept(received_on),
                ended_on: kept(ended_on),
                kept_until: kept(kept_until),
                destroyed_on: today,
                actor: actor.to_owned(),
                rule: rule.to_owned(),
                audit_id,
            };
            insert_destruction(tx, &record).await?;
            queue_shred(
                tx,
                &shred_key,
                &format!("case {number} destroyed (retention)"),
            )
            .await?;
            Ok(record)
        })
        .await
    }

    /// Puts case `number` on legal hold (scheduled destruction skips it), with an audit entry.
    pub async fn hold(&self, number: &str, actor: &str) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let changed = tx
                .exec(
                    "UPDATE hold",
                    "UPDATE cases SET hold_since = $1 WHERE number = $2 AND destroyed_on IS NULL \
                     AND hold_since IS NULL",
                    args![today_stored().as_str(), number],
                )
                .await?;
            if changed == 0 {
                return Err(RegisterError::Conflict(format!(
                    "case {number} is already on hold (or does not exist, or was destroyed)"
                )));
            }
            tx.audit(actor, Event::CaseHeld, Some(number), "").await?;
            Ok(())
        })
        .await
    }

    /// Releases case `number`'s legal hold, with an audit entry. With `proceedings_ended`
    /// (the proceedings the case started ended that day), the case is kept 3 years after the
    /// end of that year if that is later than its follow-up's. Returns the new kept-until day.
    pub async fn release(
        &self,
        number: &str,
        actor: &str,
        proceedings_ended: Option<NaiveDate>,
    ) -> Result<Option<NaiveDate>, RegisterError> {
        self.write(async |tx| {
            let row = tx
                .opt(
                    "SELECT case to release",
                    "SELECT id, ended_at, proceedings_ended_on, retention_until FROM cases \
                     WHERE number = $1 AND hold_since IS NOT NULL AND destroyed_on IS NULL",
                    args![number],
                )
                .await?
                .ok_or_else(|| {
                    RegisterError::Conflict(format!(
                        "case {number} is not on hold (or does not exist, or was destroyed)"
                    ))
                })?;
            let id: i64 = row.get("id", "read case to release")?;
            let proceedings = match (date(&row, "proceedings_ended_on")?, proceedings_ended) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            let kept = crate::cases::kept_until(date(&row, "ended_at")?, proceedings)
                .max(date(&row, "retention_until")?);
            let ds = |d: Option<NaiveDate>| d.map(|d| d.to_string());
            tx.exec(
                "UPDATE release",
                "UPDATE cases SET hold_since = NULL, proceedings_ended_on = $1, \
                 retention_until = $2 WHERE id = $3",
                args![ds(proceedings).as_deref(), ds(kept).as_deref(), id],
            )
            .await?;
            let detail = match (proceedings_ended, kept) {
                (Some(p), Some(k)) => format!("proceedings ended {p}; kept until {k}"),
                (Some(p), None) => {
                    format!("proceedings ended {p}; kept until 3 years after follow-up ends")
                }
                (None, _) => String::new(),
            };
            tx.audit(actor, Event::CaseReleased, Some(number), &detail)
                .await?;
            Ok(kept)
        })
        .await
    }

    /// Every case the register held at some time in `year`: received by its end and not
    /// destroyed before it began. In filing order.
    pub async fn reviewed_cases(&self, year: i32) -> Result<Vec<Reviewed>, RegisterError> {
        let (first, last) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
        let rows = self
            .all(
                "SELECT reviewed cases",
                "SELECT number, received_at, status, ended_at, retention_until, hold_since, \
                 destroyed_on FROM cases WHERE received_at <= $1 \
                 AND (destroyed_on IS NULL OR destroyed_on >= $2) ORDER BY id",
                args![last.as_str(), first.as_str()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Reviewed {
                    number: r.get("number", "read reviewed case")?,
                    received_at: date(r, "received_at")?
                        .ok_or_else(|| RegisterError::Corrupt("received_at".into()))?,
                    status: r.get("status", "read reviewed case")?,
                    ended_at: date(r, "ended_at")?,
                    retention_until: date(r, "retention_until")?,
                    hold_since: date(r, "hold_since")?,
                    destroyed_on: date(r, "destroyed_on")?,
                })
            })
            .collect()
    }

    /// Whether case `number` was destroyed.
    pub async fn destroyed(&self, number: &str) -> Result<bool, RegisterError> {
        Ok(self
            .opt(
                "SELECT destroyed",
                "SELECT 1 AS gone FROM cases WHERE number = $1 AND destroyed_on IS NOT NULL",
                args![number],
            )
            .await?
            .is_some())
    }

    /// Destruction records, of one year (by the day of destruction) or all.
    pub async fn destructions(&self, year: Option<i32>) -> Result<Vec<Destruction>, RegisterError> {
        let rows = self
            .all(
                "SELECT destructions",
                "SELECT case_number, material, item, received_on, ended_on, kept_until, \
                 destroyed_on, actor, rule, audit_id FROM destructions ORDER BY id",
                &[],
            )
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let what = "read destruction";
            let destroyed_on = date(r, "destroyed_on")?
                .ok_or_else(|| RegisterError::Corrupt("destroyed_on".into()))?;
            if year.is_some_and(|y| chrono::Datelike::year(&destroyed_on) != y) {
                continue;
            }
            out.push(Destruction {
                case_number: r.get("case_number", what)?,
                material: r.get("material", what)?,
                item: r.get("item", what)?,
                received_on: date(r, "received_on")?,
                ended_on: date(r, "ended_on")?,
                kept_until: date(r, "kept_until")?,
                destroyed_on,
                actor: r.get("actor", what)?,
                rule: r.get("rule", what)?,
                audit_id: r.get("audit_id", what)?,
            });
        }
        Ok(out)
    }
}
